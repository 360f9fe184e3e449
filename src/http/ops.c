#include "http/ops.h"

#include "edge/admission.h"

#include <string.h>

#include "core/arena.h"
#include "edge/capacity.h"
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

/* The waiting room's line, in the same exposition format. */
static void waiting_room_metrics(buf_t *out, const admission_t *a)
{
    if (!a)
        return;
    admission_stats_t st;
    admission_stats(a, &st);
    buf_printf(out,
               "# HELP cartable_waiting_room_enabled Whether newcomers may be held in the waiting room.\n"
               "# TYPE cartable_waiting_room_enabled gauge\ncartable_waiting_room_enabled %d\n"
               "# HELP cartable_waiting_room_waiting People in the waiting room's line.\n"
               "# TYPE cartable_waiting_room_waiting gauge\ncartable_waiting_room_waiting %llu\n"
               "# HELP cartable_waiting_room_estimated_wait_seconds Estimated wait for a newcomer now.\n"
               "# TYPE cartable_waiting_room_estimated_wait_seconds gauge\n"
               "cartable_waiting_room_estimated_wait_seconds %.1f\n"
               "# HELP cartable_waiting_room_admissions_total Newcomers let in, at once or from the line.\n"
               "# TYPE cartable_waiting_room_admissions_total counter\n"
               "cartable_waiting_room_admissions_total{from=\"now\"} %llu\n"
               "cartable_waiting_room_admissions_total{from=\"line\"} %llu\n"
               "cartable_waiting_room_admissions_total{from=\"priority\"} %llu\n"
               "# HELP cartable_waiting_room_tickets_total Tickets issued.\n"
               "# TYPE cartable_waiting_room_tickets_total counter\ncartable_waiting_room_tickets_total %llu\n"
               "# HELP cartable_waiting_room_answers_total Waiting-room pages and 503s served.\n"
               "# TYPE cartable_waiting_room_answers_total counter\ncartable_waiting_room_answers_total %llu\n"
               "# HELP cartable_waiting_room_shed_total Requests refused or sent to the back, by reason.\n"
               "# TYPE cartable_waiting_room_shed_total counter\n"
               "cartable_waiting_room_shed_total{reason=\"address_allowance\"} %llu\n"
               "cartable_waiting_room_shed_total{reason=\"bad_ticket\"} %llu\n"
               "cartable_waiting_room_shed_total{reason=\"expired_ticket\"} %llu\n",
               admission_enabled(a) ? 1 : 0, (unsigned long long)st.waiting, st.estimated_wait_s,
               (unsigned long long)st.admitted_now, (unsigned long long)st.admitted_from_line,
               (unsigned long long)st.admitted_first,
               (unsigned long long)st.tickets, (unsigned long long)st.waiting_answers,
               (unsigned long long)st.refused_tickets, (unsigned long long)st.bad_tickets,
               (unsigned long long)st.expired_tickets);
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
    capacity_health_t health;
    if (app->capacity) {
        capacity_health(app->capacity, &health);
        src.capacity = &health;
    }
    buf_t out;
    buf_init(&out, &r->arena, 16384);
    metrics_render(&out, &src);
    waiting_room_metrics(&out, app->admission);
    respond_body(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&out));
}

int ops_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/healthz", HANDLER(healthz), NULL, ROUTE_NO_LOG | ROUTE_OPEN, err, errlen) ||
        !router_add(router, "GET", "/readyz", HANDLER(readyz), NULL, ROUTE_NO_LOG | ROUTE_OPEN, err, errlen) ||
        !router_add(router, "GET", "/metrics", HANDLER(metrics), NULL, ROUTE_NO_LOG | ROUTE_OPEN, err, errlen))
        return -1;
    return 0;
}
