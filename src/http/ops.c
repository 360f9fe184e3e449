#include "http/ops.h"

#include <string.h>

#include "core/arena.h"
#include "http/request.h"
#include "http/response.h"
#include "http/worker.h"
#include "store/store.h"
#include "web_generated.h"

static void healthz(request_t *r)
{
    respond_text(r, 200, "ok\n");
}

static int one_row(void *ud, const store_row_t *row)
{
    (void)row;
    *(int *)ud = 1;
    return 0;
}

static void readyz(request_t *r)
{
    if (r->worker->stopping) {
        respond_text(r, 503, "shutting down\n");
        return;
    }
    int seen = 0;
    if (!r->worker->store_reader || store_read(r->worker->store_reader, "SELECT 1", STORE_NO_ARGS, one_row, &seen) < 0 ||
        !seen) {
        respond_text(r, 503, "database unavailable\n");
        return;
    }
    respond_text(r, 200, "ready\n");
}

static void metrics(request_t *r)
{
    const app_t *app = r->app;
    unsigned nroutes = router_count(app->router);
    const char **labels = arena_alloc(&r->arena, sizeof(char *) * (nroutes + 1));
    for (unsigned i = 0; i < nroutes; i++) {
        const route_t *rt = router_route(app->router, i);
        labels[i] = arena_printf(&r->arena, "%s %s", rt->method, rt->pattern);
    }
    metrics_t **ms = arena_alloc(&r->arena, sizeof(metrics_t *) * app->nthreads);
    for (unsigned i = 0; i < app->nthreads; i++)
        ms[i] = app->workers[i]->metrics;
    metrics_source_t src = {
        .workers = ms,
        .nworkers = app->nthreads,
        .route_labels = labels,
        .nroutes = nroutes,
        .started_at_unix = app->started_at_unix,
    };
    buf_t out;
    buf_init(&out, &r->arena, 16384);
    metrics_render(&out, &src);
    respond_body(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&out));
}

int ops_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/healthz", HANDLER(healthz), NULL, ROUTE_NO_LOG, err, errlen) ||
        !router_add(router, "GET", "/readyz", HANDLER(readyz), NULL, ROUTE_NO_LOG, err, errlen) ||
        !router_add(router, "GET", "/metrics", HANDLER(metrics), NULL, ROUTE_NO_LOG, err, errlen))
        return -1;
    return 0;
}
