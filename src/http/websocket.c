#include "http/websocket.h"

#include <h2o/websocket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "http/request.h"
#include "http/response.h"
#include "http/worker.h"
#include "web_generated.h"

struct ws_conn {
    h2o_linklist_t link; /* in worker->websockets.conns */
    worker_t *worker;
    h2o_websocket_conn_t *h2o; /* its sock is NULL until the 101 has been written */
    const ws_handlers_t *handlers;
    void *data;
    h2o_timeout_entry_t flush; /* write what was queued (zero timeout; 100 ms while a close waits) */
    uint64_t last_recv_ms;     /* loop time of the last message (any kind) received */
    uint64_t ping_sent_ms;     /* 0: no ping waiting for an answer */
    uint64_t close_sent_ms;    /* when the connection started closing */
    uint16_t close_code;       /* ws_close's, until its frame is queued */
    uint8_t close_reason_len;
    char close_reason[123];
    bool close_pending;        /* ws_close waits for the messages queued before it */
    bool closing;              /* closing (either side): nothing more is sent or handed over */
    bool drop;                 /* drop the socket at the next flush */
    bool ended;                /* on_close has run */
};

static uint64_t now_ms(const worker_t *w) { return h2o_now(w->ctx.loop); }

static ws_registry_t *registry(worker_t *w) { return &w->websockets; }

/* ------------------------------------------------------------------ ending */

/* A socket whose WebSocket has ended but whose peer may still be sending (its
 * answer to our close frame, the rest of a refused message). Closing a TCP socket
 * with unread input makes the kernel send a reset, which can destroy the close
 * frame before the peer has read it; so the socket is half-closed (FIN after what
 * was written), and what still comes is read and dropped until the peer closes or
 * WS_LINGER_MS pass. */
struct ws_linger {
    h2o_linklist_t link; /* in worker->websockets.lingering */
    worker_t *worker;
    h2o_socket_t *sock;
    uint64_t until_ms;
};

static void linger_end(ws_linger_t *l)
{
    ws_registry_t *reg = &l->worker->websockets;
    h2o_linklist_unlink(&l->link);
    reg->nlingering--;
    h2o_socket_close(l->sock);
    free(l);
}

static void on_linger_read(h2o_socket_t *sock, const char *err)
{
    ws_linger_t *l = sock->data;
    if (err != NULL) { /* the peer has closed too (or failed): done */
        linger_end(l);
        return;
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
}

static void arm_tick(worker_t *w);

static void linger(worker_t *w, h2o_socket_t *sock)
{
    ws_registry_t *reg = &w->websockets;
    if (shutdown(h2o_socket_get_fd(sock), SHUT_WR) != 0) {
        h2o_socket_close(sock);
        return;
    }
    ws_linger_t *l = xcalloc(1, sizeof *l);
    l->worker = w;
    l->sock = sock;
    l->until_ms = now_ms(w) + WS_LINGER_MS;
    h2o_linklist_insert(&reg->lingering, &l->link);
    reg->nlingering++;
    sock->data = l;
    h2o_buffer_consume(&sock->input, sock->input->size);
    h2o_socket_read_start(sock, on_linger_read);
    arm_tick(w);
}

/* Ends a connection: handler first, then the socket (which the server's
 * connection count follows) and the memory. Never called from inside wslay or
 * h2o's processing of this connection, except from its own close callback.
 * gently: the connection ended in order (close frames, or the peer went away):
 * half-close and drain, rather than drop the socket at once. */
static void teardown(ws_conn_t *c, bool gently)
{
    worker_t *w = c->worker;
    if (h2o_timeout_is_linked(&c->flush))
        h2o_timeout_unlink(&c->flush);
    h2o_linklist_unlink(&c->link);
    registry(w)->count--;
    metrics_websocket(w->metrics, -1);
    c->ended = true;
    c->handlers->on_close(c, c->data);
    h2o_socket_t *sock = c->h2o->sock;
    if (gently && sock != NULL && !h2o_socket_is_writing(sock)) {
        c->h2o->sock = NULL; /* the socket is the linger's now */
        h2o_websocket_close(c->h2o); /* frees wslay's context and h2o's connection */
        linger(w, sock);
    } else {
        h2o_websocket_close(c->h2o); /* also closes the socket */
    }
    free(c);
}

static void look_again_soon(ws_conn_t *c)
{
    if (!h2o_timeout_is_linked(&c->flush))
        h2o_timeout_link(c->worker->ctx.loop, &c->worker->ctx.hundred_ms_timeout, &c->flush);
}

static void on_flush(h2o_timeout_entry_t *entry)
{
    ws_conn_t *c = (ws_conn_t *)((char *)entry - offsetof(ws_conn_t, flush));
    if (c->h2o->sock == NULL) {
        /* The 101 is still being written: h2o proceeds with what is queued once it
         * is out, but a pending close or drop is ours to act on. */
        if (c->close_pending || c->drop)
            look_again_soon(c);
        return;
    }
    if (c->drop) {
        teardown(c, false);
        return;
    }
    if (c->close_pending) {
        wslay_event_context_ptr ctx = c->h2o->ws_ctx;
        /* wslay sends control frames before queued messages: the close frame is
         * queued only once what was sent before it has gone. */
        if (wslay_event_get_queued_msg_count(ctx) == 0) {
            c->close_pending = false;
            int rc = wslay_event_queue_close(ctx, c->close_code, (const uint8_t *)c->close_reason, c->close_reason_len);
            if (rc == 0)
                wslay_event_shutdown_read(ctx); /* h2o closes the socket once the frame is out */
            else if (rc != WSLAY_ERR_NO_MORE_MSG) { /* WSLAY_ERR_NO_MORE_MSG: a close is on its way already */
                teardown(c, false);
                return;
            }
        } else {
            look_again_soon(c);
        }
    }
    h2o_websocket_proceed(c->h2o); /* may end the connection (its close callback) */
}

static void schedule_flush(ws_conn_t *c)
{
    if (!h2o_timeout_is_linked(&c->flush))
        h2o_timeout_link(c->worker->ctx.loop, &c->worker->ctx.zero_timeout, &c->flush);
}

/* ------------------------------------------------------------------ messages */

static void on_ws_event(h2o_websocket_conn_t *hc, const struct wslay_event_on_msg_recv_arg *arg)
{
    ws_conn_t *c = hc->data;
    if (arg == NULL) { /* closed, by either side, or the socket failed */
        teardown(c, true);
        return;
    }
    c->last_recv_ms = now_ms(c->worker);
    c->ping_sent_ms = 0; /* anything at all shows the peer is there */
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
        if (c->closing)
            return;
    {
        metrics_websocket_messages(c->worker->metrics, 1, 0);
        str_t text = arg->msg ? str_make((const char *)arg->msg, arg->msg_length) : STR(""); /* empty: NULL */
        /* wslay has checked the UTF-8 already; this costs little and keeps the promise
         * made to handlers whatever wslay's version does. */
        if (!utf8_valid(text.ptr, text.len)) {
            ws_close(c, WS_CLOSE_INVALID_DATA, "text must be UTF-8");
            return;
        }
        c->handlers->on_text(c, c->data, text);
        return;
    }
    case WSLAY_BINARY_FRAME:
        metrics_websocket_messages(c->worker->metrics, 1, 0);
        ws_close(c, WS_CLOSE_UNSUPPORTED_DATA, "binary messages are not accepted");
        return;
    case WSLAY_CONNECTION_CLOSE:
        /* wslay answers it and stops reading; the socket closes once the answer is out. */
        c->closing = true;
        if (!c->close_sent_ms)
            c->close_sent_ms = c->last_recv_ms;
        return;
    default: /* ping (wslay answers it), pong */
        return;
    }
}

int ws_send_text(ws_conn_t *c, str_t text)
{
    if (c->ended || c->closing || c->drop)
        return -1;
    wslay_event_context_ptr ctx = c->h2o->ws_ctx;
    if (wslay_event_get_queued_msg_length(ctx) + text.len > WS_MAX_QUEUED) {
        LOG_WARN("websocket peer not reading: dropped", "worker=%u queued=%zu", c->worker->index,
                 wslay_event_get_queued_msg_length(ctx));
        c->drop = true;
        schedule_flush(c);
        return -1;
    }
    struct wslay_event_msg m = {.opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text.ptr, .msg_length = text.len};
    if (wslay_event_queue_msg(ctx, &m) != 0)
        return -1;
    metrics_websocket_messages(c->worker->metrics, 0, 1);
    schedule_flush(c);
    return 0;
}

void ws_close(ws_conn_t *c, uint16_t code, const char *reason)
{
    if (c->ended || c->closing)
        return;
    c->closing = true;
    c->close_sent_ms = now_ms(c->worker);
    c->close_code = code;
    size_t len = reason ? strlen(reason) : 0;
    if (len > sizeof c->close_reason)
        len = sizeof c->close_reason;
    memcpy(c->close_reason, reason ? reason : "", len);
    c->close_reason_len = (uint8_t)len;
    c->close_pending = true; /* on_flush queues the frame after what is queued already */
    schedule_flush(c);
}

bool ws_is_closing(const ws_conn_t *c) { return c->closing || c->drop || c->ended; }

worker_t *ws_worker(const ws_conn_t *c) { return c->worker; }

/* ------------------------------------------------------------------ liveness */

static void on_tick(h2o_timeout_entry_t *entry)
{
    ws_registry_t *reg = (ws_registry_t *)((char *)entry - offsetof(ws_registry_t, tick_entry));
    worker_t *w = (worker_t *)((char *)reg - offsetof(worker_t, websockets));
    uint64_t now = now_ms(w);
    h2o_linklist_t *node = reg->conns.next;
    while (node != &reg->conns) {
        ws_conn_t *c = H2O_STRUCT_FROM_MEMBER(ws_conn_t, link, node);
        node = node->next; /* c may end below; ending touches no other connection */
        if (c->h2o->sock == NULL)
            continue; /* the 101 is being written */
        if (!c->closing && !wslay_event_get_read_enabled(c->h2o->ws_ctx))
            c->closing = true; /* wslay closed it (1002, 1007, 1009): its close frame is on the way */
        if (c->closing && !c->close_sent_ms)
            c->close_sent_ms = now;
        if (c->closing || c->drop) {
            if (c->drop || (c->close_sent_ms && now - c->close_sent_ms >= WS_CLOSE_GRACE_MS))
                teardown(c, false);
            continue;
        }
        if (c->ping_sent_ms) {
            if (now - c->ping_sent_ms >= reg->ping_interval_ms)
                ws_close(c, WS_CLOSE_GOING_AWAY, "no answer to ping");
            continue;
        }
        if (now - c->last_recv_ms >= reg->ping_interval_ms) {
            struct wslay_event_msg ping = {.opcode = WSLAY_PING, .msg = NULL, .msg_length = 0};
            if (wslay_event_queue_msg(c->h2o->ws_ctx, &ping) == 0) {
                c->ping_sent_ms = now;
                schedule_flush(c);
            }
        }
    }
    node = reg->lingering.next;
    while (node != &reg->lingering) {
        ws_linger_t *l = H2O_STRUCT_FROM_MEMBER(ws_linger_t, link, node);
        node = node->next;
        if (now >= l->until_ms)
            linger_end(l);
    }
    arm_tick(w);
}

static void arm_tick(worker_t *w)
{
    ws_registry_t *reg = registry(w);
    if ((reg->count || reg->nlingering) && !h2o_timeout_is_linked(&reg->tick_entry))
        h2o_timeout_link(w->ctx.loop, &reg->tick, &reg->tick_entry);
}

void ws_registry_init(worker_t *w)
{
    ws_registry_t *reg = registry(w);
    const config_t *cfg = w->app->config;
    h2o_linklist_init_anchor(&reg->conns);
    h2o_linklist_init_anchor(&reg->lingering);
    reg->count = 0;
    reg->nlingering = 0;
    uint64_t total = cfg->ws_max_connections < cfg->max_connections ? cfg->ws_max_connections : cfg->max_connections;
    unsigned n = w->app->nthreads ? w->app->nthreads : 1;
    reg->max = (total + n - 1) / n;
    reg->ping_interval_ms = cfg->ws_ping_interval_ms;
    reg->max_message = cfg->ws_max_message;
    /* The sweep is a quarter of the ping interval, so a silent peer is pinged
     * (and dropped) within a quarter of an interval of its time. */
    uint64_t tick = reg->ping_interval_ms / 4;
    tick = tick < 25 ? 25 : tick > 1000 ? 1000 : tick;
    h2o_timeout_init(w->ctx.loop, &reg->tick, tick);
    reg->tick_entry.cb = on_tick;
    reg->stopping = false;
    reg->ready = true;
}

void ws_registry_dispose(worker_t *w)
{
    ws_registry_t *reg = registry(w);
    if (!reg->ready)
        return;
    if (h2o_timeout_is_linked(&reg->tick_entry))
        h2o_timeout_unlink(&reg->tick_entry);
    h2o_timeout_dispose(w->ctx.loop, &reg->tick);
    reg->ready = false;
}

uint64_t ws_registry_open(worker_t *w) { return registry(w)->count + registry(w)->nlingering; }

void ws_registry_shutdown(worker_t *w)
{
    ws_registry_t *reg = registry(w);
    reg->stopping = true;
    for (h2o_linklist_t *node = reg->conns.next; node != &reg->conns; node = node->next)
        ws_close(H2O_STRUCT_FROM_MEMBER(ws_conn_t, link, node), WS_CLOSE_GOING_AWAY, "server shutting down");
}

void ws_registry_abort(worker_t *w)
{
    ws_registry_t *reg = registry(w);
    h2o_linklist_t *node = reg->conns.next;
    while (node != &reg->conns) {
        ws_conn_t *c = H2O_STRUCT_FROM_MEMBER(ws_conn_t, link, node);
        node = node->next;
        if (c->h2o->sock != NULL) /* one whose 101 is being written closes itself once it is out */
            teardown(c, false);
    }
    while (!h2o_linklist_is_empty(&reg->lingering))
        linger_end(H2O_STRUCT_FROM_MEMBER(ws_linger_t, link, reg->lingering.next));
}

/* ------------------------------------------------------------------ handshake */

bool ws_is_handshake(request_t *r)
{
    h2o_req_t *req = r->h2o;
    return h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("GET")) && req->upgrade.base != NULL &&
           h2o_lcstris(req->upgrade.base, req->upgrade.len, H2O_STRLIT("websocket"));
}

static void refuse(request_t *r, int status, int msg_id)
{
    if (status == 426) {
        response_header_cstr(r, "upgrade", "websocket");
        response_header_cstr(r, "sec-websocket-version", "13");
    } else if (status == 503) {
        response_header_cstr(r, "retry-after", "5");
    }
    r->h2o->http1_is_persistent = 0;
    respond_error(r, status, msg_id, NULL);
}

ws_conn_t *ws_accept(request_t *r, const ws_handlers_t *h, void *data)
{
    worker_t *w = r->worker;
    ws_registry_t *reg = registry(w);
    h2o_req_t *req = r->h2o;
    /* Only HTTP/1.1 upgrades: HTTP/2 has no Upgrade (and h2o 2.2 no RFC 8441). */
    if (req->version != 0x101 || !ws_is_handshake(r)) {
        refuse(r, 426, MSG_websocket_upgrade_required);
        return NULL;
    }
    const char *client_key = NULL;
    if (h2o_is_websocket_handshake(req, &client_key) != 0 || client_key == NULL) {
        refuse(r, 400, MSG_websocket_bad_handshake);
        return NULL;
    }
    str_t version = request_header(r, "sec-websocket-version");
    if (!str_eq(str_trim(version), STR("13"))) {
        refuse(r, 426, MSG_websocket_upgrade_required);
        return NULL;
    }
    if (!reg->ready || reg->stopping) {
        refuse(r, 503, MSG_error_unavailable);
        return NULL;
    }
    if (reg->count >= reg->max) {
        metrics_websocket_rejected(w->metrics);
        refuse(r, 503, MSG_websocket_busy);
        return NULL;
    }
    ws_conn_t *c = xcalloc(1, sizeof *c);
    c->worker = w;
    c->handlers = h;
    c->data = data;
    c->flush.cb = on_flush;
    c->last_recv_ms = now_ms(w);
    c->h2o = h2o_upgrade_to_websocket(req, client_key, c, on_ws_event);
    wslay_event_config_set_max_recv_msg_length(c->h2o->ws_ctx, reg->max_message);
    r->responded = true;
    h2o_linklist_insert(&reg->conns, &c->link);
    reg->count++;
    metrics_websocket(w->metrics, 1);
    arm_tick(w);
    return c;
}

/* ------------------------------------------------------------------ origin */

typedef struct origin_parts {
    str_t host;    /* without brackets for IPv6 */
    unsigned port; /* 0: none given */
} origin_parts_t;

/* "name", "name:port", "[v6]", "[v6]:port"; false if malformed. */
static bool split_authority(str_t a, origin_parts_t *out)
{
    out->port = 0;
    str_t port = STR_NULL;
    if (a.len && a.ptr[0] == '[') {
        const char *close = memchr(a.ptr, ']', a.len);
        if (!close)
            return false;
        out->host = str_make(a.ptr + 1, (size_t)(close - a.ptr - 1));
        size_t rest = a.len - (size_t)(close - a.ptr) - 1;
        if (rest) {
            if (close[1] != ':')
                return false;
            port = str_make(close + 2, rest - 1);
        }
    } else {
        const char *colon = memchr(a.ptr, ':', a.len);
        if (colon) {
            out->host = str_make(a.ptr, (size_t)(colon - a.ptr));
            port = str_make(colon + 1, a.len - (size_t)(colon - a.ptr) - 1);
        } else {
            out->host = a;
        }
    }
    if (out->host.len == 0)
        return false;
    for (size_t i = 0; i < out->host.len; i++) {
        unsigned char ch = (unsigned char)out->host.ptr[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == '@' || ch == '?' || ch == '#' || ch == '[' || ch == ']')
            return false;
    }
    if (port.ptr) {
        uint64_t p;
        if (port.len == 0 || port.len > 5 || !str_to_u64(port, &p) || p == 0 || p > 65535)
            return false;
        out->port = (unsigned)p;
    }
    return true;
}

bool ws_origin_allowed(str_t origin, str_t host)
{
    if (origin.ptr == NULL)
        return true;
    unsigned default_port;
    str_t rest;
    if (origin.len > 7 && str_ieq(str_make(origin.ptr, 7), STR("http://"))) {
        default_port = 80;
        rest = str_make(origin.ptr + 7, origin.len - 7);
    } else if (origin.len > 8 && str_ieq(str_make(origin.ptr, 8), STR("https://"))) {
        default_port = 443;
        rest = str_make(origin.ptr + 8, origin.len - 8);
    } else {
        return false; /* "null" (sandboxed frames, file:), other schemes */
    }
    origin_parts_t o, h;
    if (!split_authority(rest, &o) || host.ptr == NULL || !split_authority(host, &h))
        return false;
    unsigned op = o.port ? o.port : default_port;
    unsigned hp = h.port ? h.port : default_port;
    return op == hp && str_ieq(o.host, h.host);
}
