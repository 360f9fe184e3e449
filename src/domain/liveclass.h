/* liveclass: live classes as stored: when, for which teaching, who came.
 *
 * Contract:
 * - A live class belongs to one teaching (its audience is that teaching's class
 *   or group), at a time taken from one of its timetable slots or chosen freely:
 *   LIVE_MIN_MINUTES to LIVE_MAX_MINUTES long, starting no earlier than an hour
 *   ago and within a year. liveclass_check says what is wrong with a draft;
 *   liveclass_schedule refuses (LIVE_INVALID) what it would refuse.
 * - Each has a random invitation key (the guest link). Guests are rows of their
 *   own, with a name; a guest's cookie is a token signed under the session keys
 *   (live id, guest id, expiry), verified without the database.
 * - Presence is written when someone leaves (liveclass_presence_add): first join,
 *   last leave, seconds accumulated over reconnections.
 * - Writes mark the teaching's school-day key so "today" shows the change.
 * - Who may schedule, host or join is policy's business (POLICY_LIVE_*).
 */
#ifndef CARTABLE_DOMAIN_LIVECLASS_H
#define CARTABLE_DOMAIN_LIVECLASS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/session.h"
#include "core/arena.h"
#include "core/str.h"
#include "domain/directory.h"
#include "store/store.h"

enum { LIVE_INVALID = -30 };

#define LIVE_MIN_MINUTES 5
#define LIVE_MAX_MINUTES 240
#define LIVE_TITLE_MAX 200
#define LIVE_GUEST_NAME_MAX 80
#define LIVE_GUEST_KEY_LEN 22  /* base64url of 16 random bytes */
#define LIVE_GUEST_TOKEN_LEN 54 /* base64url of the signed guest token */

typedef enum live_problem {
    LIVE_OK = 0,
    LIVE_TITLE_EMPTY,
    LIVE_TITLE_TOO_LONG,
    LIVE_BAD_TEXT,      /* invalid UTF-8 or control characters */
    LIVE_BAD_TIME,      /* not a time, an hour ago or more, or over a year ahead */
    LIVE_BAD_LENGTH,    /* minutes out of LIVE_MIN_MINUTES..LIVE_MAX_MINUTES */
    LIVE_BAD_SLOT,      /* not one of the teaching's slots */
    LIVE_GUEST_NAME_EMPTY,
    LIVE_GUEST_NAME_TOO_LONG,
} live_problem_t;

const char *liveclass_problem_code(live_problem_t p); /* "title_empty"... for the API */

typedef struct live_class {
    int64_t id;
    int64_t school_id;
    int64_t teaching_id;
    int64_t slot_id; /* 0: not from the timetable */
    str_t title;
    int64_t starts_at, ends_at;
    str_t guest_key;
    int64_t created_by;
    int64_t cancelled_at; /* 0: not cancelled */
    teaching_t teaching;
} live_class_t;

typedef struct live_draft {
    int64_t teaching_id, slot_id;
    str_t title;
    int64_t starts_at;
    int minutes;
    int64_t by, now;
} live_draft_t;

live_problem_t liveclass_check(const live_draft_t *d);
/* LIVE_INVALID (and *problem) or a store status; *id on success. */
int liveclass_schedule(store_tx_t *tx, const live_draft_t *d, const teaching_t *t, int64_t *id, live_problem_t *problem);
int liveclass_cancel(store_tx_t *tx, const live_class_t *lc, int64_t now);

/* 1 found, 0 none, negative on error. */
int liveclass_get(store_src_t src, arena_t *a, int64_t id, live_class_t *out);
int liveclass_by_guest_key(store_src_t src, arena_t *a, str_t key, live_class_t *out);
/* Live classes of these teachings, not cancelled, ending after `from` and starting
 * before `to`, by start. Returns the count or a negative status. */
int liveclass_of_teachings(store_src_t src, arena_t *a, const int64_t *teaching_ids, int n, int64_t from, int64_t to,
                           live_class_t **out);

/* Is the room open to join at `now` (early/late margins in seconds)? */
bool liveclass_joinable(const live_class_t *lc, int64_t now, int64_t early_s, int64_t late_s);

/* ---- presence (attendance) ---- */

int liveclass_presence_add(store_tx_t *tx, int64_t live_id, int64_t person_id, int64_t joined_at, int64_t left_at,
                           int64_t seconds);
typedef struct live_presence {
    int64_t person_id;
    str_t name;
    int64_t first_joined_at, last_left_at, seconds;
} live_presence_t;
int liveclass_presence_list(store_src_t src, arena_t *a, int64_t live_id, live_presence_t **out);

/* ---- guests ---- */

live_problem_t liveclass_guest_name_check(str_t name);
int liveclass_guest_add(store_tx_t *tx, int64_t live_id, str_t name, int64_t now, int64_t *id, live_problem_t *problem);
int liveclass_guest_presence(store_tx_t *tx, int64_t guest_id, int64_t joined_at, int64_t seconds);
/* 1 found (its name in *name), 0 none. */
int liveclass_guest_name(store_src_t src, arena_t *a, int64_t live_id, int64_t guest_id, str_t *name);

typedef struct live_guest_token {
    int64_t live_id, guest_id;
    int64_t expires_at;
} live_guest_token_t;
void liveclass_guest_token(const session_keys_t *keys, const live_guest_token_t *t, char out[LIVE_GUEST_TOKEN_LEN + 1]);
/* true when signed by one of the keys and not expired at now. */
bool liveclass_guest_token_check(const session_keys_t *keys, str_t token, int64_t now, live_guest_token_t *out);

#endif
