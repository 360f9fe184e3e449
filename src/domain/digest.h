/* digest: what a dashboard shows besides the day itself — a pupil's new marks and
 * absences to justify, the news that reaches a person — cached per worker.
 *
 * Contract:
 * - A pupil's digest is valid while the keyed versions (store_key_version) of
 *   their class, their groups and their own key are unchanged and the day is the
 *   same: marks and roll calls raise the teaching's class or group key,
 *   justifications the same, so a new mark or absence shows on the next page.
 * - A person's news is valid while the news keys of their schools, their own key
 *   (raised when they read an item) and the directory topic are unchanged.
 * - Entries own their memory (an arena each); the cache belongs to one worker
 *   thread. Capacity 0 builds on every call, in the caller's arena.
 */
#ifndef CARTABLE_DOMAIN_DIGEST_H
#define CARTABLE_DOMAIN_DIGEST_H

#include "auth/principal.h"
#include "core/u64map.h"
#include "domain/grades.h"
#include "domain/news.h"

typedef struct learner_digest {
    recent_mark_t *marks;
    const char **mark_text; /* "14.5/20" for marks, NULL for the other statuses */
    int nmarks;
    int unjustified; /* absences and lateness of the last four weeks neither justified nor pending */
} learner_digest_t;

typedef struct person_news {
    news_item_t *items;
    int n;
} person_news_t;

typedef struct digest_entry {
    uint64_t version;
    date_t day;
    arena_t arena;
    union {
        learner_digest_t learner;
        person_news_t news;
    } as;
} digest_entry_t;

typedef struct digest_cache {
    u64map_t index; /* (id << 1 | kind) -> slot + 1 */
    digest_entry_t **slots;
    size_t cap, used;
} digest_cache_t;

void digest_cache_init(digest_cache_t *c, size_t capacity);
void digest_cache_dispose(digest_cache_t *c);
/* NULL on a store error. */
const learner_digest_t *digest_learner(digest_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                       const learner_t *l, date_t today);
const person_news_t *digest_news(digest_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                 const principal_t *p, date_t today);

#endif
