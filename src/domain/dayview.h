/* dayview: a class's (or a group's) school days, cached per worker.
 *
 * Contract:
 * - A target is a class or a teaching group. Its view holds, from a given day on,
 *   DAYVIEW_DAYS days of timetable (changes applied) and the homework due in
 *   that window, published or scheduled (callers hide what is not published yet
 *   at render time, so the view does not depend on the minute).
 * - dayview_get returns the cached view when the target's key version
 *   (store_key_version of STORE_TOPIC_SCHOOL_DAY) and the day are unchanged,
 *   otherwise rebuilds it from the store. Every write about a teaching raises its
 *   target's key after its COMMIT, so a view is never staler than the last
 *   acknowledged write. The cache belongs to one worker thread: no locks.
 * - Disabled (capacity 0) it builds the view on every call: the benchmark
 *   measures both.
 */
#ifndef CARTABLE_DOMAIN_DAYVIEW_H
#define CARTABLE_DOMAIN_DAYVIEW_H

#include <stdint.h>

#include "core/arena.h"
#include "core/u64map.h"
#include "domain/homework.h"
#include "domain/liveclass.h"
#include "domain/timetable.h"

#define DAYVIEW_DAYS 14

typedef struct dayview {
    int64_t class_id, group_id, school_id;
    date_t from;
    uint64_t version;
    teaching_t *teachings;
    int nteachings;
    timetable_entry_t *entries;
    int nentries;
    homework_item_t *homework;
    int nhomework;
    live_class_t *live; /* live classes in the window, not cancelled, by start */
    int nlive;
    arena_t arena; /* owns all of the above */
} dayview_t;

typedef struct dayview_cache {
    u64map_t index; /* key -> slot + 1 */
    dayview_t **slots;
    size_t cap, used;
    uint64_t hits, misses;
} dayview_cache_t;

void dayview_cache_init(dayview_cache_t *c, size_t capacity);
void dayview_cache_dispose(dayview_cache_t *c);
/* The view of a class (group_id 0) or a group (class_id 0) from `from`; NULL on a
 * store error. With a disabled cache the view lives in `scratch`. */
const dayview_t *dayview_get(dayview_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                             int64_t school_id, int64_t class_id, int64_t group_id, date_t from);

/* What is personal to a pupil in the same window: homework ticked done, handed
 * in, returned. Cached per pupil under pupil_day_key, which ticks and hand-ins
 * raise (they leave the class's view alone). */
typedef struct personal_state {
    int64_t homework_id;
    bool done;
    int64_t submitted_at;
    bool late, returned;
} personal_state_t;

typedef struct personal_entry {
    uint64_t version;
    date_t from;
    personal_state_t *items;
    int n;
} personal_entry_t;

typedef struct personal_cache {
    u64map_t index; /* pupil id -> slot + 1 */
    personal_entry_t *slots;
    size_t cap, used;
} personal_cache_t;

/* A person's own key (a pupil's ticks and hand-ins, anyone's news reads). */
uint64_t pupil_day_key(int64_t pupil_id);
/* A school's news key: raised by publishing. */
uint64_t school_news_key(int64_t school_id);
void personal_cache_init(personal_cache_t *c, size_t capacity);
void personal_cache_dispose(personal_cache_t *c);
/* The pupil's states for homework due from `from` on; n in *n. NULL on a store
 * error. With a disabled cache the result lives in scratch. */
const personal_state_t *personal_get(personal_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                     int64_t pupil_id, date_t from, int *n);

#endif
