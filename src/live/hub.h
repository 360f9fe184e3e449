/* hub: live-class rooms across the workers, and the room's WebSocket
 * (GET /live/{id}/socket, docs/live-class.md).
 *
 * Contract:
 * - Each room has an owner worker (room id mod threads) that alone decides its
 *   events (live/room.h); every worker holds a copy of every open room, kept by
 *   the owner posting each event to every worker in seq order (worker_post: one
 *   FIFO per worker), so a socket on any worker sees the room's events in order
 *   and a page on any worker reads the room from its own copy, without a lock.
 * - A socket is welcomed (the room's state at some seq S, then every event after
 *   S) when the owner's join event for it comes back to its worker. A guest not
 *   yet admitted waits in the lobby (a "lobby_wait" message) until a host admits
 *   them (then they join) or refuses them (closed with LIVE_ROOM_CLOSE_OUT).
 * - Who may come in is decided before the upgrade: policy (POLICY_LIVE_HOST /
 *   POLICY_LIVE_JOIN on the teaching), or a guest's signed cookie for this room;
 *   the room must be joinable now (live_join_early / live_join_late). Refusals
 *   are plain HTTP answers (401, 403, 404, 409 for a room not open now).
 * - From the client: at most LIVE_RATE_BURST messages at once and LIVE_RATE_PER_S
 *   a second sustained; LIVE_MAX_BAD_MESSAGES refusals close the socket (1008).
 *   A removed person's sockets close with LIVE_ROOM_CLOSE_OUT; an expired or
 *   revoked session's with LIVE_CLOSE_RECHECK / LIVE_CLOSE_SIGNED_OUT.
 * - Attendance: the owner writes a person's presence (first join, seconds) when
 *   their last socket leaves. A room with nobody in it is closed (its copies
 *   freed) once past its end plus live_join_late, or after LIVE_ROOM_IDLE_MS.
 * - Audio and video (when janus_urls is set): the owner makes the room on Janus
 *   when the room opens (again at the next join if that failed) and destroys it
 *   when the room closes; every welcomed socket gets its own join token, then a
 *   {"type":"media"} message (server, room, pin, token, id, publish); the token
 *   is withdrawn when the socket ends. A person removed, or no longer allowed
 *   to publish, is kicked out of the Janus room (their page joins again as a
 *   listener). Without Janus, or while it cannot be reached, the room works
 *   with chat only ({"type":"media_unavailable"}).
 * - live_hub_post is the slow path for a page without JavaScript: the command
 *   goes to the owner and the request is answered once its event (or refusal) is
 *   back on the request's worker.
 */
#ifndef CARTABLE_LIVE_HUB_H
#define CARTABLE_LIVE_HUB_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/session.h"
#include "core/config.h"
#include "core/u64map.h"
#include "domain/liveclass.h"
#include "http/router.h"
#include "live/room.h"

struct worker;
struct request;

enum { LIVE_ROOM_CLOSE_OUT = 4403 }; /* removed, refused, or the room closed: do not reconnect */

#define LIVE_ROOM_SWEEP_MS 10000
#define LIVE_MEDIA_PUBLISHERS 12 /* the teacher, a shared screen, and pupils given the floor */
#define LIVE_ROOM_IDLE_MS (2 * 3600 * 1000)

/* Per worker (worker_t.rooms), touched by its thread only. */
typedef struct live_hub_worker {
    u64map_t rooms; /* room id -> live_local_room_t * */
    u64map_t conns; /* socket id -> live_room_conn_t * */
    uint64_t next_conn_id;
    uint64_t next_ref;
    h2o_linklist_t pending; /* slow-path requests waiting for their event */
    h2o_linklist_t orphans; /* sockets whose room has no copy here yet */
    h2o_timeout_t sweep;
    h2o_timeout_entry_t sweep_entry;
    uint64_t sockets; /* open room sockets on this worker */
    bool ready, stopping;
} live_hub_worker_t;

void live_hub_worker_init(struct worker *w);
void live_hub_worker_shutdown(struct worker *w);
void live_hub_worker_dispose(struct worker *w);
/* After every worker thread has ended: frees room messages still queued. */
void live_hub_drain(struct worker *w);

int live_hub_register_routes(router_t *router, char *err, size_t errlen);

/* Who a request is, for a live class: a person policy lets in (host or
 * participant), or a guest holding this room's cookie. 1 found, 0 nobody who may
 * come in, negative on a store error. Answers nothing itself. */
typedef struct live_who {
    int64_t member; /* person id, or minus the guest id */
    room_role_t role;
    char name[ROOM_NAME_MAX];
    bool is_person;
    session_t session;
    int64_t expires_at;
} live_who_t;
int live_hub_identify(struct request *r, const live_class_t *lc, live_who_t *who);
/* The live class of the request's {id}: 1, or 0 with the answer sent (404, 503). */
int live_hub_load_class(struct request *r, live_class_t *lc);

/* The join window (live_join_early / live_join_late), in seconds. */
static inline int64_t live_join_early_s(const config_t *cfg) { return (int64_t)(cfg->live_join_early_ms / 1000); }
static inline int64_t live_join_late_s(const config_t *cfg) { return (int64_t)(cfg->live_join_late_ms / 1000); }
/* May the live class be joined at `now`? */
static inline bool live_joinable_now(const config_t *cfg, const live_class_t *lc, int64_t now)
{
    return liveclass_joinable(lc, now, live_join_early_s(cfg), live_join_late_s(cfg));
}

/* This worker's copy of a room, or NULL when nobody has come in since it opened. */
const room_t *live_hub_room(struct worker *w, int64_t room_id);

/* The slow path: sends c (kind, actor, role, name, fields) to the room's owner;
 * done(r, refusal) runs on r's worker once the owner decided. c's text and
 * choices move into the hub. Returns 0, or -1 if the hub is stopping. */
typedef void (*live_hub_done_fn)(struct request *r, room_refusal_t refusal);
int live_hub_post(struct request *r, const char *title, int64_t ends_at, room_cmd_t *c, live_hub_done_fn done);
/* Fire and forget (a guest's no-JavaScript knock). title and ends_at open the
 * room if it is not open. */
void live_hub_send(struct worker *w, const char *title, int64_t ends_at, room_cmd_t *c);

#endif
