/* server: the HTTP front of Cartable on libh2o's event loop.
 *
 * Contract:
 * - One worker thread per core (config threads), each with its own h2o event
 *   loop and its own listening socket on the same port (SO_REUSEPORT), so the
 *   kernel spreads connections and no lock sits on the request path.
 * - What workers share is the app: immutable after server_start (config,
 *   router, catalogues) or owned by one writer thread (the store).
 * - server_run blocks until SIGTERM or SIGINT, then stops accepting, lets
 *   in-flight requests finish (up to shutdown_timeout), and returns 0.
 *   SIGHUP reopens the log file and reloads the session keys.
 */
#ifndef CARTABLE_HTTP_SERVER_H
#define CARTABLE_HTTP_SERVER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/session.h"
#include "core/config.h"
#include "edge/proxy.h"
#include "http/router.h"

struct request;
struct store;
struct worker;
struct hashpool;
struct ratelimit;

typedef void (*handler_fn)(struct request *r);
/* Checks that fn is a handler_fn, then stores it in the router's generic slot. */
#define HANDLER(fn) ((void (*)(void))(handler_fn)(fn))

/* Route flags */
enum {
    ROUTE_API = 1u << 0,      /* JSON in, JSON errors out */
    ROUTE_NO_LOG = 1u << 1,   /* not in the access log (health probes) */
    ROUTE_OPEN = 1u << 2,     /* never behind the waiting room (probes, assets, the live channel) */
};

/* One loaded set of session keys. A reload installs a new set; older sets stay
 * allocated until exit because a request may still be using one. */
typedef struct app_keys {
    session_keys_t keys;
    struct app_keys *older;
} app_keys_t;

/* The per-process context: built before the workers start, then read-only
 * (except the session keys, swapped whole by app_keys_reload). */
typedef struct app {
    config_t *config;
    router_t *router;
    struct store *store;
    int default_lang;
    int64_t started_at_unix;
    /* Renders an error page in the site's style (set by the web layer). */
    void (*render_error_page)(struct request *r, int status, int msg_id, const char *detail);
    _Atomic(app_keys_t *) session_keys;
    char session_keys_path[4200];
    struct hashpool *hashpool;
    struct ratelimit *login_ip_limit;      /* attempts per address */
    struct ratelimit *login_failure_limit; /* failures per login */
    struct admission *admission;           /* the waiting room's line (edge/admission.h) */
    struct capacity *capacity;             /* the admission rate from the server's health (edge/capacity.h) */
    struct ratelimit *ticket_ip_limit;     /* waiting-room tickets per address */
    struct ratelimit *account_limit;       /* requests per signed-in person */
    struct ratelimit *priority_limit;      /* sign-ins through the waiting room's priority lane */
    struct janus *janus;                   /* live classes' audio and video (live/janus.h); NULL: chat only */
    /* Lets a request in, or answers it with the waiting room (set by the web layer). */
    bool (*gate)(struct request *r);
    proxy_list_t trusted_proxies;
    /* "timeout=N" for HTTP/1.1 responses, so clients drop an idle connection
     * before the server closes it rather than racing it with a new request. */
    char keep_alive_header[32];
    /* The Content-Security-Policy of pages: connect-src adds the Janus servers
     * browsers reach for a live class's audio and video (response_csp_build). */
    char csp[1024];
    /* Bound address, filled by server_listen ("127.0.0.1:8080"). */
    char bound_addr[128];
    int listen_fds[1024];
    unsigned nthreads;
    struct worker **workers;
} app_t;

/* The session keys in force. */
static inline const session_keys_t *app_session_keys(const app_t *app)
{
    return &atomic_load_explicit(&app->session_keys, memory_order_acquire)->keys;
}
/* (Re)loads the session keys from session_keys_path; on error the keys in force
 * stay. Returns 0 or -1 with a message in err. */
int app_keys_reload(app_t *app, char *err, size_t errlen);
void app_keys_free(app_t *app);

/* Creates the listening sockets (one per worker). Port 0 picks a free port,
 * shared by all of them. Returns 0, or -1 with a message in err. */
int server_listen(app_t *app, char *err, size_t errlen);
/* Starts the workers and blocks until a shutdown signal has been handled. */
int server_run(app_t *app);

/* Parses "host:port", "[v6]:port" or ":port". */
int server_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen);

#endif
