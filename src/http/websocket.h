/* websocket: WebSocket connections (RFC 6455) for handlers, over h2o's HTTP/1.1
 * upgrade (h2o/websocket.h) and wslay.
 *
 * Contract:
 * - A handler decides first who may connect (session, policy, Origin: see
 *   ws_origin_allowed), then calls ws_accept. ws_accept checks the handshake
 *   (HTTP/1.1 GET, Upgrade: websocket, a 24-character Sec-WebSocket-Key, version
 *   13) and the worker's cap; on any refusal it answers the request itself (400,
 *   426, 503) and returns NULL. Otherwise it answers 101 and returns the
 *   connection; the request ends there and the connection keeps nothing of it.
 * - Only complete text messages of valid UTF-8, at most ws_max_message bytes,
 *   reach on_text. A larger message closes the connection with 1009, a binary
 *   one with 1003, invalid UTF-8 with 1007, a protocol error with 1002.
 * - Liveness: a connection silent for ws_ping_interval gets a ping; if it stays
 *   silent (no pong, nothing) as long again, it is closed with 1001. A close that
 *   cannot be delivered within a few seconds drops the socket.
 * - ws_send_text and ws_close only queue: the bytes go out from the event loop,
 *   and nothing is torn down inside them, so a handler may call them anywhere,
 *   even from on_text. A peer that lets more than WS_MAX_QUEUED bytes pile up is
 *   dropped.
 * - Every connection ends exactly once, whatever the reason: on_close runs
 *   (from the loop, never from inside a ws_* call), then the connection's memory
 *   is freed. The handler frees its own state in on_close and must not use the
 *   ws_conn_t afterwards.
 * - Per worker (worker_t.websockets, its own thread only): the list of its
 *   connections and one liveness timer, running only while there are
 *   connections. A WebSocket stays counted in the worker's open connections
 *   (max_connections) and also counts against ws_max_connections / threads.
 * - A connection that ended in order is not closed with input unread (the
 *   kernel would answer with a reset that can destroy the close frame before the
 *   peer reads it): its socket is half-closed and drained for up to WS_LINGER_MS,
 *   still counted in the worker's open connections. A dropped one (the peer
 *   stopped reading or answering, or the server is stopping) is closed at once.
 * - Shutdown: ws_registry_shutdown sends 1001 to every connection and refuses
 *   new ones (503); each socket closes as soon as its close frame is out.
 *   ws_registry_abort drops what is left, draining sockets included (the server
 *   calls it after a short grace), so a shutdown never waits on a peer.
 */
#ifndef CARTABLE_HTTP_WEBSOCKET_H
#define CARTABLE_HTTP_WEBSOCKET_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

struct request;
struct worker;
typedef struct ws_conn ws_conn_t;
typedef struct ws_linger ws_linger_t;

/* Close codes (RFC 6455 section 7.4.1); 4000-4999 belong to applications. */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED_DATA = 1003,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
};

#define WS_MAX_QUEUED (1024 * 1024)  /* bytes waiting to be sent before a peer is dropped */
#define WS_CLOSE_GRACE_MS 5000       /* a queued close not out by then: socket dropped */
#define WS_SHUTDOWN_GRACE_MS 1000    /* on SIGTERM, how long peers get to take their 1001 */
#define WS_LINGER_MS 2000            /* an ended socket drains its input this long at most */

typedef struct ws_handlers {
    /* A complete text message; the bytes are valid during the call only. */
    void (*on_text)(ws_conn_t *c, void *data, str_t text);
    /* The connection has ended: the last call about c. */
    void (*on_close)(ws_conn_t *c, void *data);
} ws_handlers_t;

typedef struct ws_registry {
    h2o_linklist_t conns; /* ws_conn_t.link */
    uint64_t count;
    h2o_linklist_t lingering; /* ended sockets draining their input */
    uint64_t nlingering;
    uint64_t max;         /* this worker's share of ws_max_connections */
    uint64_t ping_interval_ms;
    uint64_t max_message;
    h2o_timeout_t tick;   /* liveness sweep */
    h2o_timeout_entry_t tick_entry;
    bool ready;           /* ws_registry_init has run */
    bool stopping;
} ws_registry_t;

/* On the worker's thread, once its loop exists; dispose before the thread ends. */
void ws_registry_init(struct worker *w);
void ws_registry_dispose(struct worker *w);
void ws_registry_shutdown(struct worker *w);
void ws_registry_abort(struct worker *w);
/* WebSockets open or draining: what a shutdown waits for. */
uint64_t ws_registry_open(struct worker *w);

/* Does the request ask for a WebSocket (GET with Upgrade: websocket)? */
bool ws_is_handshake(struct request *r);
/* Upgrades the request, or answers it with a refusal and returns NULL. data is
 * the handler's, given back to every callback. */
ws_conn_t *ws_accept(struct request *r, const ws_handlers_t *h, void *data);

/* 0, or -1 when the connection is closing or the peer is not reading. */
int ws_send_text(ws_conn_t *c, str_t text);
/* Sends a close frame (reason: at most 123 bytes, NULL for none); the socket
 * closes once it is out. Further sends are refused; on_close follows. */
void ws_close(ws_conn_t *c, uint16_t code, const char *reason);
bool ws_is_closing(const ws_conn_t *c);
struct worker *ws_worker(const ws_conn_t *c);

/* Cross-site WebSocket hijacking: a browser always sends Origin on a WebSocket
 * handshake, and a page of another site can open one with the person's cookies.
 * True when origin (the header, STR_NULL if absent) is http(s)://<host> where
 * host is the request's Host (case-insensitive, same port). An absent Origin is
 * allowed (not a browser); "null" and anything malformed are not. */
bool ws_origin_allowed(str_t origin, str_t host);

#endif
