/* notify: what is new for a person — unread messages, new homework, new marks,
 * news, absences to justify — as a feed, a badge and an e-mail digest.
 *
 * Contract:
 * - Nothing is fanned out for notifications: the feed is computed from the data it
 *   tells about (messages, the cahier de textes, marks, news, roll calls), for the
 *   person and the pupils they follow (principal learners). An item is "unseen"
 *   when it is newer than the person's seen_at (notify_mark_seen moves it); unread
 *   messages stay in the badge until read, whatever seen_at says.
 * - The badge (unread messages, unseen notifications) is on every page, so it is
 *   cached per worker in two halves: the unread count stays valid while the
 *   person's messages key (messages_person_key) is unchanged; the feed count
 *   while their seen key (notify_seen_key) and the school-day keys the feed
 *   depends on are unchanged; both for the same day. A message arriving thus
 *   costs one count, not the feed. notify_badge_version combines both versions
 *   so a live connection can tell when to push a new badge.
 * - Items carry their own link (href) and a short text, already in the person's
 *   language catalogue's terms (the caller formats; this module gives kinds and
 *   data).
 */
#ifndef CARTABLE_DOMAIN_NOTIFY_H
#define CARTABLE_DOMAIN_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/principal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"
#include "core/u64map.h"
#include "store/store.h"

typedef enum notify_kind {
    NOTIFY_MESSAGE = 0, /* a conversation with unread messages */
    NOTIFY_HOMEWORK,    /* homework published for a pupil the person follows */
    NOTIFY_MARK,        /* a new mark */
    NOTIFY_NEWS,        /* an unread news item */
    NOTIFY_ABSENCE,     /* absences to justify */
    NOTIFY_KIND_COUNT
} notify_kind_t;

const char *notify_kind_code(notify_kind_t k); /* "message", "homework", "mark", "news", "absence" */

typedef struct notify_item {
    notify_kind_t kind;
    int64_t at;        /* unix seconds: when it happened */
    int64_t ref_id;    /* conversation, homework, evaluation, news item, pupil */
    int64_t pupil_id;  /* the pupil it is about (homework, mark, absence), 0 otherwise */
    str_t title;       /* subject, homework text start, evaluation title, news title */
    str_t detail;      /* sender, subject name, mark, count */
    int count;         /* unread messages in the conversation, absences to justify */
    bool unseen;
} notify_item_t;

typedef struct notify_badge {
    int messages;      /* unread messages */
    int notifications; /* unseen feed items other than messages */
} notify_badge_t;

typedef struct notify_cache {
    u64map_t index; /* person id -> slot + 1 */
    struct notify_entry *slots;
    size_t cap, used;
} notify_cache_t;

void notify_cache_init(notify_cache_t *c, size_t capacity);
void notify_cache_dispose(notify_cache_t *c);

/* The key notify_mark_seen raises (messages topic). */
uint64_t notify_seen_key(int64_t person_id);
/* The version a person's badge depends on: any change to it changes this. */
uint64_t notify_badge_version(store_t *store, const principal_t *p, date_t today);
/* The person's badge, from the cache when still valid. 0 or a negative status. */
int notify_badge(notify_cache_t *c, store_t *store, store_reader_t *r, const principal_t *p, date_t today,
                 int64_t now, notify_badge_t *out);
/* The feed, newest first, at most `limit` items. *seen_at receives the person's seen_at. */
int notify_feed(store_reader_t *r, arena_t *a, const principal_t *p, date_t today, int64_t now, int limit,
                notify_item_t **out, int64_t *seen_at);
/* Everything up to `now` is seen (a write; raises the person's seen key). */
int notify_mark_seen(store_tx_t *tx, int64_t person_id, int64_t now);

/* E-mail digest settings. */
int notify_digest_get(store_src_t src, int64_t person_id, bool *email_digest);
int notify_digest_set(store_tx_t *tx, int64_t person_id, bool email_digest);

#endif
