/* live/updates: GET /live/updates, a signed-in person's live channel (a
 * WebSocket) that keeps the badge on their pages current.
 *
 * Contract:
 * - The handshake needs a valid session (401 before any upgrade) and, when the
 *   browser sends an Origin, one of this site (403): a page of another site
 *   cannot open the channel with the person's cookie. The channel carries only
 *   the person's own counts, so no other policy question arises. A plain GET
 *   (no upgrade) answers 426 to a signed-in person and 401 to anyone else: the
 *   page script asks it to tell "signed out" from "network down".
 * - On open the server sends {"type":"badge","messages":M,"notifications":N}
 *   (notify_badge), then the same again each time one of the counts changes.
 * - Change detection: one timer per worker (live_poll_interval). A tick does
 *   nothing but read store_change_count unless the store changed, the day
 *   changed, or LIVE_FULL_SWEEP_MS went by (badges also age with time); then
 *   each person with channels on the worker (one entry for all their tabs and
 *   devices) compares notify_badge_version with the one their last badge came
 *   from, and only a different version reads the badge (from the worker's
 *   cache), once, for every channel of theirs that does not show it yet. No
 *   lock, no other thread involved.
 * - Sessions are checked again on those ticks: an account disabled closes its
 *   channels, and when sign-outs moved (the revocations' topic) each channel's
 *   session is checked: logged out or revoked (sign-out everywhere, password
 *   change) closes it with LIVE_CLOSE_SIGNED_OUT (4401: the script stops). A
 *   tick that reaches the earliest expiry among the open channels closes those
 *   past it with LIVE_CLOSE_RECHECK (4001: the script reconnects, with a cookie
 *   that page loads may have renewed).
 * - From the client only {"type":"ping"} means something (answered
 *   {"type":"pong"}). Anything else gets {"type":"error","code":C} with C one of
 *   bad_json, bad_message, unknown_type, rate_limited (more than LIVE_RATE_BURST
 *   messages at once, LIVE_RATE_PER_S a second sustained); the
 *   LIVE_MAX_BAD_MESSAGES-th such message closes the channel with 1008.
 */
#ifndef CARTABLE_LIVE_UPDATES_H
#define CARTABLE_LIVE_UPDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/u64map.h"
#include "http/router.h"
#include "http/websocket.h"

struct worker;
struct notify_badge;

enum {
    LIVE_CLOSE_RECHECK = 4001,    /* the session this channel was opened with has expired: reconnect */
    LIVE_CLOSE_SIGNED_OUT = 4401, /* signed out, revoked or disabled: do not reconnect */
};

#define LIVE_MAX_BAD_MESSAGES 8
#define LIVE_RATE_PER_S 5
#define LIVE_RATE_BURST 20
#define LIVE_FULL_SWEEP_MS 30000

/* Per worker (worker_t.live), touched by its thread only. */
typedef struct live_worker {
    h2o_linklist_t conns;  /* of this module's connections */
    h2o_linklist_t people; /* of the people they belong to */
    u64map_t people_index; /* person id -> their entry in people */
    uint64_t count;
    h2o_timeout_t poll;
    h2o_timeout_entry_t poll_entry;
    bool ready, stopping;
    bool look_again;       /* a badge could not be read: look at every connection next tick */
    uint64_t change_count; /* store_change_count at the last look */
    uint64_t sessions_version; /* the revocations' topic version at the last session check */
    int64_t next_expiry;   /* the earliest session expiry among the open channels */
    date_t day;
    uint64_t last_full_ms;
} live_worker_t;

/* On the worker's thread, once its loop exists / when it stops / before it ends. */
void live_worker_init(struct worker *w);
void live_worker_shutdown(struct worker *w);
void live_worker_dispose(struct worker *w);

int live_register_routes(router_t *router, char *err, size_t errlen);

/* ---- the pieces with no I/O, for tests ---- */

typedef enum live_message {
    LIVE_MSG_PING = 0,
    LIVE_MSG_BAD_JSON,     /* not JSON at all */
    LIVE_MSG_BAD_MESSAGE,  /* JSON, but not an object with a string "type" */
    LIVE_MSG_UNKNOWN_TYPE,
} live_message_t;

live_message_t live_parse_message(const char *text, size_t len);
/* "bad_json", "bad_message", "unknown_type"; NULL for LIVE_MSG_PING. */
const char *live_message_error(live_message_t m);
/* Writes the badge message, NUL-terminated; returns its length. */
size_t live_badge_json(char *out, size_t outlen, int messages, int notifications);

/* A token bucket: true if one more message may pass at now_ms. */
typedef struct live_rate {
    double tokens;
    uint64_t at_ms;
} live_rate_t;
void live_rate_init(live_rate_t *r, uint64_t now_ms);
bool live_rate_take(live_rate_t *r, uint64_t now_ms);

#endif
