/* worker: the per-thread context of one event loop.
 *
 * Contract: everything in a worker is touched by its own thread only, except the
 * metrics counters (read by whoever renders /metrics, with relaxed atomics) and
 * the control receiver (other threads post shutdown messages to it). Handlers
 * reach their worker through request->worker.
 */
#ifndef CARTABLE_HTTP_WORKER_H
#define CARTABLE_HTTP_WORKER_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <pthread.h>
#include <stdbool.h>
#include <zlib.h>

#include "auth/principal.h"
#include "auth/revocation.h"
#include "domain/dayview.h"
#include "domain/digest.h"
#include "domain/messages.h"
#include "domain/notify.h"
#include "domain/school.h"
#include "core/arena.h"
#include "http/accesslog.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/websocket.h"
#include "live/hub.h"
#include "live/updates.h"

typedef struct worker {
    unsigned index;
    pthread_t thread;
    app_t *app;
    h2o_globalconf_t *globalconf;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    int listen_fd;
    h2o_multithread_receiver_t control;
    h2o_multithread_receiver_t tasks; /* work handed back by the store writer, the hash pool */
    h2o_timeout_entry_t shutdown_check;
    h2o_timeout_entry_t log_flush_timer;
    h2o_timeout_entry_t admission_timer; /* worker 0 only: moves the waiting room's line */
    h2o_timeout_t lag_period;            /* CAPACITY_LAG_PERIOD_MS */
    h2o_timeout_entry_t lag_probe;       /* measures this loop's lag (edge/capacity.h) */
    uint64_t lag_probe_due_us;           /* when it should fire (monotonic) */
    uint64_t shutdown_started, shutdown_deadline;
    bool stopping;
    bool exit;

    chunk_cache_t chunk_cache;
    metrics_t *metrics;
    accesslog_t accesslog;
    z_stream deflate;
    bool deflate_ready;
    struct store_reader *store_reader;
    revocations_t revocations;
    principal_cache_t principals;
    dayview_cache_t dayviews;
    personal_cache_t personal;
    digest_cache_t digests;
    notify_cache_t notifications; /* badges */
    inbox_cache_t inboxes;        /* first inbox pages */
    school_cache_t schools;

    ws_registry_t websockets; /* this worker's WebSocket connections (http/websocket.h) */
    live_worker_t live;       /* the live badge's connections and timer (live/updates.h) */
    live_hub_worker_t rooms;  /* live-class rooms: copies, sockets, the owner's work (live/hub.h) */

    uint64_t open_connections; /* mirrored in metrics for scrapes */
    uint64_t max_connections;
} worker_t;

/* Work to run on a worker's loop, posted from any thread. */
typedef struct worker_task worker_task_t;
struct worker_task {
    h2o_multithread_message_t message;
    void (*run)(worker_task_t *task);
};
void worker_post(worker_t *w, worker_task_t *task);

static inline worker_t *worker_of_ctx(h2o_context_t *ctx)
{
    return (worker_t *)((char *)ctx - offsetof(worker_t, ctx));
}

#endif
