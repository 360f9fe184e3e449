#include "http/server.h"

#include "core/clock.h"
#include "edge/admission.h"
#include "edge/capacity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/negotiate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/worker.h"
#include "store/store.h"
#include "web/template.h"

#define REQUEST_ENV_KEY "cartable.request"

/* ------------------------------------------------------------------ listening */

int server_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host) {
            snprintf(err, errlen, "listen: \"%s\" is not [address]:port", s);
            return -1;
        }
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof host) {
            snprintf(err, errlen, "listen: \"%s\" is not address:port", s);
            return -1;
        }
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) {
        snprintf(err, errlen, "listen: bad port in \"%s\"", s);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "listen: cannot resolve \"%s\": %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int open_listener(const struct sockaddr_storage *ss, socklen_t len, char *err, size_t errlen)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        snprintf(err, errlen, "setsockopt: %s", strerror(errno));
        close(fd);
        return -1;
    }
    /* Accept only once the request has arrived: idle connects cost no wakeup. */
    int defer = 5;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        snprintf(err, errlen, "cannot listen on that address: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, H2O_SOMAXCONN) != 0) {
        snprintf(err, errlen, "listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* SO_REUSEPORT would let a second server of the same user share a busy port and take
 * half of its connections. A plain bind first tells whether anyone holds the port. */
static int check_port_free(const struct sockaddr_storage *ss, socklen_t len, char *err, size_t errlen)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    if ((ss->ss_family == AF_INET && sin->sin_port == 0) || (ss->ss_family == AF_INET6 && sin6->sin6_port == 0))
        return 0;
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* TIME_WAIT leftovers are fine */
    int rc = bind(fd, (const struct sockaddr *)ss, len);
    int saved = errno;
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on that address: %s", strerror(saved));
        return -1;
    }
    return 0;
}

int server_listen(app_t *app, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (server_parse_listen(app->config->listen, &ss, &len, err, errlen) != 0)
        return -1;
    if (check_port_free(&ss, len, err, errlen) != 0)
        return -1;
    for (unsigned i = 0; i < app->nthreads; i++) {
        int fd = open_listener(&ss, len, err, errlen);
        if (fd < 0) {
            for (unsigned k = 0; k < i; k++)
                close(app->listen_fds[k]);
            return -1;
        }
        app->listen_fds[i] = fd;
        if (i == 0) {
            /* Port 0 asked for any free port: the other sockets share the one we got. */
            len = sizeof ss;
            getsockname(fd, (struct sockaddr *)&ss, &len);
        }
    }
    char host[NI_MAXHOST], port[NI_MAXSERV];
    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(app->bound_addr, sizeof app->bound_addr, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return 0;
}

/* ------------------------------------------------------------------ requests */

static uint64_t timeval_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static int resolve_lang(const request_t *r)
{
    str_t cookie = request_cookie(r, "lang");
    if (cookie.ptr) {
        int l = i18n_lang_from_code(cookie);
        if (l >= 0)
            return l;
    }
    str_t header = request_header(r, "accept-language");
    if (header.ptr) {
        int l = accept_language_pick(header, i18n_lang_codes, LANG_COUNT);
        if (l >= 0)
            return l;
    }
    return r->app->default_lang;
}

static size_t request_head_bytes(const h2o_req_t *req)
{
    size_t n = req->input.method.len + req->input.path.len + 12;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return n;
}

static void dispatch(request_t *r)
{
    const config_t *cfg = r->app->config;
    h2o_req_t *req = r->h2o;
    if (req->input.path.len > cfg->max_url) {
        respond_error(r, 414, MSG_error_uri_too_long, NULL);
        return;
    }
    if (request_head_bytes(req) > cfg->max_headers) {
        req->http1_is_persistent = 0;
        respond_error(r, 431, MSG_error_headers_too_large, NULL);
        return;
    }
    if (r->path.len == 0 || r->path.ptr[0] != '/') {
        respond_error(r, 400, MSG_error_bad_request_target, NULL);
        return;
    }
    router_result_t rr = router_match(r->app->router, request_method(r), r->path, &r->arena, &r->match);
    if (rr == ROUTER_NOT_FOUND && r->path.len > 1 && r->path.ptr[r->path.len - 1] == '/') {
        /* "/school/" -> "/school": one URL per page. */
        route_match_t m2;
        str_t trimmed = {r->path.ptr, r->path.len - 1};
        if (router_match(r->app->router, STR("GET"), trimmed, &r->arena, &m2) == ROUTER_FOUND &&
            (str_eq(request_method(r), STR("GET")) || str_eq(request_method(r), STR("HEAD")))) {
            buf_t loc;
            buf_init(&loc, &r->arena, trimmed.len + r->query_string.len + 2);
            buf_append_str(&loc, trimmed);
            if (r->query_string.len) {
                buf_putc(&loc, '?');
                buf_append_str(&loc, r->query_string);
            }
            respond_redirect(r, 308, buf_str(&loc));
            return;
        }
    }
    switch (rr) {
    case ROUTER_FOUND:
        r->route = r->match.route;
        r->metrics_slot = r->route->id;
        if (r->route->flags & ROUTE_API)
            r->is_api = true;
        /* Newcomers beyond what the server can take now wait in line (edge/admission.h). */
        if (!(r->route->flags & ROUTE_OPEN) && r->app->gate && !r->app->gate(r))
            return;
        /* A handler answers now or, if asynchronous, later: the request lives until then. */
        ((handler_fn)r->route->handler)(r);
        return;
    case ROUTER_METHOD_NOT_ALLOWED:
        response_header_cstr(r, "allow", arena_strdup(&r->arena, r->match.allow));
        respond_error(r, 405, MSG_error_method_not_allowed, NULL);
        return;
    case ROUTER_BAD_PATH:
        respond_error(r, 400, MSG_error_bad_path, NULL);
        return;
    case ROUTER_NOT_FOUND:
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    worker_t *w = worker_of_ctx(req->conn->ctx);
    request_t *r = h2o_mem_alloc_pool(&req->pool, sizeof *r);
    memset(r, 0, sizeof *r);
    r->h2o = req;
    r->worker = w;
    r->app = w->app;
    arena_init(&r->arena, &w->chunk_cache);
    *h2o_req_getenv(req, H2O_STRLIT(REQUEST_ENV_KEY), 1) = h2o_iovec_init((char *)r, 0);
    metrics_inflight(w->metrics, 1);
    r->metrics_slot = metrics_slot_unmatched(w->metrics);

    size_t qa = req->query_at;
    if (qa == SIZE_MAX || qa > req->path.len) {
        r->path = (str_t){req->path.base, req->path.len};
        r->query_string = STR("");
    } else {
        r->path = (str_t){req->path.base, qa};
        r->query_string = (str_t){req->path.base + qa + 1, req->path.len - qa - 1};
    }
    r->is_api = str_eq(r->path, STR("/api")) || str_starts_with(r->path, STR("/api/"));
    r->lang = resolve_lang(r);
    dispatch(r);
    return 0;
}

static void check_shutdown(worker_t *w);

static void on_log_flush(h2o_timeout_entry_t *entry)
{
    worker_t *w = (worker_t *)((char *)entry - offsetof(worker_t, log_flush_timer));
    accesslog_flush(&w->accesslog);
}

static void on_access(h2o_logger_t *self, h2o_req_t *req)
{
    (void)self;
    worker_t *w = worker_of_ctx(req->conn->ctx);
    h2o_iovec_t *env = h2o_req_getenv(req, H2O_STRLIT(REQUEST_ENV_KEY), 0);
    request_t *r = env ? (request_t *)env->base : NULL;

    struct timeval end = req->timestamps.response_end_at;
    if (end.tv_sec == 0)
        end = *h2o_get_timestamp(req->conn->ctx, NULL, NULL);
    uint64_t begin_us = timeval_us(req->timestamps.request_begin_at);
    uint64_t end_us = timeval_us(end);
    uint64_t dur_us = begin_us && end_us > begin_us ? end_us - begin_us : 0;
    int status = req->res.status ? req->res.status : 0;

    metrics_observe(w->metrics, r ? r->metrics_slot : metrics_slot_protocol(w->metrics), status, dur_us);

    bool log_it = w->accesslog.enabled && !(r && r->route && (r->route->flags & ROUTE_NO_LOG));
    if (log_it) {
        bool was_empty = w->accesslog.buf.len == 0;
        buf_t *b = accesslog_begin(&w->accesslog);
        BUF_LIT(b, " method=");
        logfmt_value(b, req->input.method.base, req->input.method.len < 16 ? req->input.method.len : 16);
        BUF_LIT(b, " path=");
        size_t plen = req->input.path.len;
        if (req->input.query_at != SIZE_MAX && req->input.query_at < plen)
            plen = req->input.query_at; /* query strings may carry tokens: not logged */
        logfmt_value(b, req->input.path.base, plen < 256 ? plen : 256);
        BUF_LIT(b, " route=");
        if (r && r->route)
            logfmt_value(b, r->route->pattern, strlen(r->route->pattern));
        else
            buf_putc(b, '-');
        BUF_LIT(b, " status=");
        buf_put_u64(b, (uint64_t)status);
        BUF_LIT(b, " bytes=");
        buf_put_u64(b, req->bytes_sent);
        buf_printf(b, " ms=%.3f", (double)dur_us / 1000.0);
        BUF_LIT(b, " ip=");
        char host[PROXY_ADDR_MAX];
        buf_puts(b, r && r->client_ip ? r->client_ip : client_address(w->app, req, host));
        BUF_LIT(b, " proto=");
        buf_puts(b, req->version >= 0x200 ? "h2" : req->version == 0x100 ? "http/1.0" : "http/1.1");
        BUF_LIT(b, " worker=");
        buf_put_u64(b, w->index);
        if (accesslog_end(&w->accesslog)) {
            accesslog_flush(&w->accesslog);
        } else if (was_empty) {
            h2o_timeout_link(w->ctx.loop, &w->ctx.hundred_ms_timeout, &w->log_flush_timer);
        }
    }
    if (r) {
        arena_free(&r->arena);
        metrics_inflight(w->metrics, -1);
        if (w->stopping)
            check_shutdown(w);
    }
}

/* ------------------------------------------------------------------ connections */

static void on_connection_close(void *data)
{
    worker_t *w = data;
    w->open_connections--;
    metrics_connection(w->metrics, -1);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    worker_t *w = listener->data;
    if (err != NULL)
        return;
    /* Take a burst of connections per wakeup, not one. */
    for (int i = 0; i < 64; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (!sock)
            break;
        if (w->open_connections >= w->max_connections) {
            metrics_connection_rejected(w->metrics);
            h2o_socket_close(sock);
            continue;
        }
        w->open_connections++;
        metrics_connection(w->metrics, 1);
        sock->on_close.cb = on_connection_close;
        sock->on_close.data = w;
        h2o_accept(&w->accept_ctx, sock);
    }
}

/* ------------------------------------------------------------------ shutdown */

typedef struct control_message {
    h2o_multithread_message_t super;
    int kind;
} control_message_t;

enum { CONTROL_SHUTDOWN = 1 };

static void on_shutdown_check(h2o_timeout_entry_t *entry)
{
    worker_t *w = (worker_t *)((char *)entry - offsetof(worker_t, shutdown_check));
    check_shutdown(w);
}

static void check_shutdown(worker_t *w)
{
    uint64_t now = h2o_now(w->ctx.loop);
    uint64_t inflight = metrics_inflight_now(w->metrics);
    /* WebSockets were sent 1001 when the shutdown began; whoever has not taken it
     * after a short grace is dropped: a peer never holds the shutdown up. */
    if (ws_registry_open(w) && (now >= w->shutdown_started + WS_SHUTDOWN_GRACE_MS || now >= w->shutdown_deadline))
        ws_registry_abort(w);
    uint64_t websockets = ws_registry_open(w);
    if ((inflight == 0 && websockets == 0) || now >= w->shutdown_deadline) {
        if (inflight)
            LOG_WARN("shutdown timeout: requests still in flight were cut", "worker=%u requests=%llu", w->index,
                     (unsigned long long)inflight);
        w->exit = true;
        return;
    }
    if (!h2o_timeout_is_linked(&w->shutdown_check))
        h2o_timeout_link(w->ctx.loop, &w->ctx.hundred_ms_timeout, &w->shutdown_check);
}

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    worker_t *w = (worker_t *)((char *)receiver - offsetof(worker_t, control));
    while (!h2o_linklist_is_empty(messages)) {
        control_message_t *m = H2O_STRUCT_FROM_MEMBER(control_message_t, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        if (m->kind == CONTROL_SHUTDOWN && !w->stopping) {
            w->stopping = true;
            if (w->listener) {
                h2o_socket_read_stop(w->listener);
                h2o_socket_close(w->listener);
                w->listener = NULL;
            }
            h2o_context_request_shutdown(&w->ctx);
            w->shutdown_started = h2o_now(w->ctx.loop);
            w->shutdown_deadline = w->shutdown_started + w->app->config->shutdown_timeout_ms;
            live_worker_shutdown(w);
            live_hub_worker_shutdown(w);
            ws_registry_shutdown(w);
            check_shutdown(w);
        }
        free(m);
    }
}

/* ------------------------------------------------------------------ loop lag */

/* Every CAPACITY_LAG_PERIOD_MS: how much later than due the timer fires is how long
 * the loop was held up by other work (edge/capacity.h). Stops with the worker. */
static void lag_probe_arm(worker_t *w, uint64_t now_us)
{
    w->lag_probe_due_us = now_us + CAPACITY_LAG_PERIOD_MS * 1000u;
    h2o_timeout_link(w->ctx.loop, &w->lag_period, &w->lag_probe);
}

static void on_lag_probe(h2o_timeout_entry_t *entry)
{
    worker_t *w = (worker_t *)((char *)entry - offsetof(worker_t, lag_probe));
    uint64_t now = clock_monotonic_us();
    capacity_report_loop_lag(w->app->capacity, w->index, now > w->lag_probe_due_us ? now - w->lag_probe_due_us : 0);
    if (!w->stopping)
        lag_probe_arm(w, now);
}

/* ------------------------------------------------------------------ tasks */

void worker_post(worker_t *w, worker_task_t *task)
{
    h2o_multithread_send_message(&w->tasks, &task->message);
}

static void on_tasks(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        worker_task_t *t = H2O_STRUCT_FROM_MEMBER(worker_task_t, message.link, messages->next);
        h2o_linklist_unlink(&t->message.link);
        t->run(t);
    }
}

/* Every 100 ms on worker 0: the admission rate from the server's health, and the
 * waiting room's line moved by it. */
static void on_admission_tick(h2o_timeout_entry_t *entry)
{
    worker_t *w = (worker_t *)((char *)entry - offsetof(worker_t, admission_timer));
    app_t *app = w->app;
    uint64_t now = clock_now_ms();
    double rate = app->capacity ? capacity_rate(app->capacity) : 0;
    double asked = admission_tick(app->admission, rate, now);
    if (app->capacity) {
        uint64_t inflight = 0;
        for (unsigned i = 0; i < app->nthreads; i++)
            inflight += metrics_inflight_now(app->workers[i]->metrics);
        capacity_tick(app->capacity, app->store, inflight, asked, clock_monotonic_ms());
    }
    if (!w->stopping)
        h2o_timeout_link(w->ctx.loop, &w->ctx.hundred_ms_timeout, entry);
}

/* ------------------------------------------------------------------ workers */

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, loop, w->globalconf);
    w->accept_ctx.ctx = &w->ctx;
    w->accept_ctx.hosts = w->globalconf->hosts;
    h2o_multithread_register_receiver(w->ctx.queue, &w->control, on_control);
    h2o_multithread_register_receiver(w->ctx.queue, &w->tasks, on_tasks);
    w->log_flush_timer.cb = on_log_flush;
    w->shutdown_check.cb = on_shutdown_check;
    w->admission_timer.cb = on_admission_tick;
    if (w->index == 0 && w->app->admission)
        h2o_timeout_link(loop, &w->ctx.hundred_ms_timeout, &w->admission_timer);
    if (w->app->capacity) {
        h2o_timeout_init(loop, &w->lag_period, CAPACITY_LAG_PERIOD_MS);
        w->lag_probe.cb = on_lag_probe;
        lag_probe_arm(w, clock_monotonic_us());
    }
    ws_registry_init(w);
    live_worker_init(w);
    live_hub_worker_init(w);
    w->listener = h2o_evloop_socket_create(loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    h2o_socket_read_start(w->listener, on_accept);

    while (!w->exit)
        h2o_evloop_run(loop, INT32_MAX); /* returns on any interruption: the flag decides */

    live_worker_dispose(w);
    ws_registry_dispose(w);
    live_hub_worker_dispose(w);
    accesslog_flush(&w->accesslog);
    if (h2o_timeout_is_linked(&w->log_flush_timer))
        h2o_timeout_unlink(&w->log_flush_timer);
    if (h2o_timeout_is_linked(&w->shutdown_check))
        h2o_timeout_unlink(&w->shutdown_check);
    if (h2o_timeout_is_linked(&w->admission_timer))
        h2o_timeout_unlink(&w->admission_timer);
    if (w->app->capacity) {
        if (h2o_timeout_is_linked(&w->lag_probe))
            h2o_timeout_unlink(&w->lag_probe);
        h2o_timeout_dispose(loop, &w->lag_period);
    }
    return NULL;
}

static void setup_globalconf(app_t *app, h2o_globalconf_t *gc)
{
    h2o_config_init(gc);
    gc->server_name = h2o_iovec_init(H2O_STRLIT("cartable"));
    gc->max_request_entity_size = app->config->max_body;
    gc->http1.req_timeout = app->config->request_timeout_ms;
    gc->http1.upgrade_to_http2 = app->config->http2;
    gc->http2.idle_timeout = app->config->request_timeout_ms;
    uint64_t idle_seconds = app->config->request_timeout_ms / 1000;
    snprintf(app->keep_alive_header, sizeof app->keep_alive_header, "timeout=%llu",
             (unsigned long long)(idle_seconds ? idle_seconds : 1));
    h2o_hostconf_t *host = h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    /* Requests h2o answers before any handler (malformed, too large) are bound to the
     * fallback path: log and count them there too. */
    h2o_logger_t *logger = h2o_create_logger(path, sizeof *logger);
    logger->log_access = on_access;
    h2o_logger_t *fallback_logger = h2o_create_logger(&host->fallback_path, sizeof *fallback_logger);
    fallback_logger->log_access = on_access;
}

static int wait_for_signal(app_t *app, sigset_t *set)
{
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (log_reopen() != 0)
                LOG_ERROR("cannot reopen the log file", "error=\"%s\"", strerror(errno));
            else
                LOG_INFO("log file reopened", "%s", "");
            char err[512];
            if (app_keys_reload(app, err, sizeof err) != 0) {
                logq_t q;
                LOG_ERROR("session keys not reloaded; the previous keys stay in force", "error=\"%s\"", logq(&q, err));
            } else {
                LOG_INFO("session keys reloaded", "keys=%u", app_session_keys(app)->n);
            }
            continue;
        }
        return sig;
    }
}

int app_keys_reload(app_t *app, char *err, size_t errlen)
{
    app_keys_t *k = xcalloc(1, sizeof *k);
    if (session_keys_load(app->session_keys_path, &k->keys, err, errlen) != 0) {
        free(k);
        return -1;
    }
    /* Only the signal thread (or main, before the workers) installs keys. */
    k->older = atomic_load_explicit(&app->session_keys, memory_order_relaxed);
    atomic_store_explicit(&app->session_keys, k, memory_order_release);
    return 0;
}

void app_keys_free(app_t *app)
{
    app_keys_t *k = atomic_exchange(&app->session_keys, NULL);
    while (k) {
        app_keys_t *older = k->older;
        sodium_memzero(k, sizeof *k);
        free(k);
        k = older;
    }
}

int server_run(app_t *app)
{
    static h2o_globalconf_t globalconf; /* one per process, read-only once workers run */
    setup_globalconf(app, &globalconf);

    /* Large bodies spill from memory to files in the data directory, not /tmp. */
    int n = snprintf(h2o_socket_buffer_mmap_settings.fn_template, sizeof h2o_socket_buffer_mmap_settings.fn_template,
                     "%s/tmp/body-XXXXXX", app->config->data_dir);
    if (n < 0 || (size_t)n >= sizeof h2o_socket_buffer_mmap_settings.fn_template) {
        logq_t q;
        LOG_ERROR("data directory path too long", "data=\"%s\"", logq(&q, app->config->data_dir));
        return -1;
    }
    h2o_socket_buffer_mmap_settings.threshold = 4 * 1024 * 1024;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    uint64_t per_worker_cap = (app->config->max_connections + app->nthreads - 1) / app->nthreads;
    app->workers = xcalloc(app->nthreads, sizeof(worker_t *));
    for (unsigned i = 0; i < app->nthreads; i++) {
        worker_t *w = xcalloc(1, sizeof *w);
        w->index = i;
        w->app = app;
        w->globalconf = &globalconf;
        w->listen_fd = app->listen_fds[i];
        w->max_connections = per_worker_cap;
        chunk_cache_init(&w->chunk_cache, 256);
        w->metrics = metrics_new(router_count(app->router));
        accesslog_init(&w->accesslog, app->config->access_log);
        w->store_reader = app->store ? store_reader_open(app->store) : NULL;
        revocations_init(&w->revocations);
        principal_cache_init(&w->principals, 4096);
        dayview_cache_init(&w->dayviews, app->config->class_view_cache);
        personal_cache_init(&w->personal, app->config->class_view_cache ? 8192 : 0);
        digest_cache_init(&w->digests, app->config->class_view_cache ? 8192 : 0);
        notify_cache_init(&w->notifications, app->config->class_view_cache ? 16384 : 0);
        inbox_cache_init(&w->inboxes, app->config->class_view_cache ? 2048 : 0);
        school_cache_init(&w->schools);
        app->workers[i] = w;
    }
    for (unsigned i = 0; i < app->nthreads; i++) {
        if (pthread_create(&app->workers[i]->thread, NULL, worker_main, app->workers[i]) != 0) {
            LOG_ERROR("cannot start worker thread", "error=\"%s\"", strerror(errno));
            return -1;
        }
    }
    logq_t q;
    LOG_INFO("listening", "addr=%s threads=%u http2=%s data=\"%s\"", app->bound_addr, app->nthreads,
             app->config->http2 ? "on" : "off", logq(&q, app->config->data_dir));

    int sig = wait_for_signal(app, &set);
    LOG_INFO("shutting down", "signal=%s timeout_ms=%llu", sig == SIGINT ? "SIGINT" : "SIGTERM",
             (unsigned long long)app->config->shutdown_timeout_ms);
    for (unsigned i = 0; i < app->nthreads; i++) {
        control_message_t *m = xcalloc(1, sizeof *m);
        m->kind = CONTROL_SHUTDOWN;
        h2o_multithread_send_message(&app->workers[i]->control, &m->super);
    }
    for (unsigned i = 0; i < app->nthreads; i++)
        pthread_join(app->workers[i]->thread, NULL);
    /* Free what Cartable owns. The workers' h2o contexts stay: idle keep-alive
     * connections still point into them and h2o 2.2 cannot close those one by one;
     * the caller keeps app (and so them) reachable until the process exits. */
    for (unsigned i = 0; i < app->nthreads; i++) {
        worker_t *w = app->workers[i];
        live_hub_drain(w);
        if (w->store_reader)
            store_reader_close(w->store_reader);
        w->store_reader = NULL;
        revocations_dispose(&w->revocations);
        principal_cache_dispose(&w->principals);
        dayview_cache_dispose(&w->dayviews);
        personal_cache_dispose(&w->personal);
        digest_cache_dispose(&w->digests);
        notify_cache_dispose(&w->notifications);
        inbox_cache_dispose(&w->inboxes);
        school_cache_dispose(&w->schools);
        accesslog_dispose(&w->accesslog);
        chunk_cache_dispose(&w->chunk_cache);
        if (w->deflate_ready)
            deflateEnd(&w->deflate);
        w->deflate_ready = false;
    }
    h2o_config_dispose(&globalconf);
    return 0;
}
