#include "http/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "edge/capacity.h"

static const int status_codes[] = {101, 200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405,
                                   406, 409, 410, 413, 414, 415, 422, 429, 431, 500, 502, 503, 504};
#define NSTATUS (sizeof status_codes / sizeof status_codes[0] + 1) /* + "other" */

static const double bucket_bounds[METRICS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const uint64_t bucket_us[METRICS_BUCKETS] = {500,    1000,   2500,    5000,    10000,   25000,   50000,
                                                    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

typedef struct route_counters {
    _Atomic uint64_t by_status[NSTATUS];
    _Atomic uint64_t buckets[METRICS_BUCKETS]; /* non-cumulative; summed at render */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
} route_counters_t;

struct metrics {
    unsigned nslots;
    _Atomic uint64_t open_connections;
    _Atomic uint64_t accepted;
    _Atomic uint64_t rejected;
    _Atomic uint64_t inflight;
    _Atomic uint64_t ws_open, ws_opened, ws_rejected, ws_received, ws_sent;
    _Atomic uint64_t live_rooms, live_sockets, live_events, live_refusals;
    route_counters_t slots[];
};

static inline void bump(_Atomic uint64_t *c, uint64_t d)
{
    /* Only the owning worker writes: a plain read-modify-write with relaxed atomics
     * is race-free and avoids a locked instruction. */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d, memory_order_relaxed);
}

static inline uint64_t get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

metrics_t *metrics_new(unsigned nroutes)
{
    unsigned nslots = nroutes + 2;
    metrics_t *m = xcalloc(1, sizeof(metrics_t) + sizeof(route_counters_t) * nslots);
    m->nslots = nslots;
    return m;
}

void metrics_free(metrics_t *m) { free(m); }
unsigned metrics_slot_unmatched(const metrics_t *m) { return m->nslots - 2; }
unsigned metrics_slot_protocol(const metrics_t *m) { return m->nslots - 1; }

static unsigned status_index(int status)
{
    for (unsigned i = 0; i < NSTATUS - 1; i++)
        if (status_codes[i] == status)
            return i;
    return NSTATUS - 1;
}

void metrics_observe(metrics_t *m, unsigned slot, int status, uint64_t duration_us)
{
    if (slot >= m->nslots)
        slot = m->nslots - 2;
    route_counters_t *c = &m->slots[slot];
    bump(&c->by_status[status_index(status)], 1);
    unsigned b = 0;
    while (b < METRICS_BUCKETS && duration_us > bucket_us[b])
        b++;
    if (b < METRICS_BUCKETS)
        bump(&c->buckets[b], 1);
    bump(&c->count, 1);
    bump(&c->sum_us, duration_us);
}

void metrics_connection(metrics_t *m, int delta)
{
    if (delta > 0) {
        bump(&m->open_connections, 1);
        bump(&m->accepted, 1);
    } else {
        bump(&m->open_connections, (uint64_t)-1);
    }
}

void metrics_connection_rejected(metrics_t *m) { bump(&m->rejected, 1); }
void metrics_inflight(metrics_t *m, int delta) { bump(&m->inflight, (uint64_t)(int64_t)delta); }
uint64_t metrics_inflight_now(metrics_t *m) { return get(&m->inflight); }

void metrics_websocket(metrics_t *m, int delta)
{
    if (delta > 0) {
        bump(&m->ws_open, 1);
        bump(&m->ws_opened, 1);
    } else {
        bump(&m->ws_open, (uint64_t)-1);
    }
}

void metrics_websocket_rejected(metrics_t *m) { bump(&m->ws_rejected, 1); }

void metrics_live_rooms(metrics_t *m, int delta) { bump(&m->live_rooms, (uint64_t)(int64_t)delta); }
void metrics_live_sockets(metrics_t *m, int delta) { bump(&m->live_sockets, (uint64_t)(int64_t)delta); }
void metrics_live_decided(metrics_t *m, bool accepted) { bump(accepted ? &m->live_events : &m->live_refusals, 1); }

void metrics_websocket_messages(metrics_t *m, uint64_t received, uint64_t sent)
{
    if (received)
        bump(&m->ws_received, received);
    if (sent)
        bump(&m->ws_sent, sent);
}

static void label_value(buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(out, '\\');
        if (*s == '\n') {
            BUF_LIT(out, "\\n");
            continue;
        }
        buf_putc(out, *s);
    }
}

static void route_label(buf_t *out, const metrics_source_t *src, unsigned slot)
{
    BUF_LIT(out, "route=\"");
    if (slot < src->nroutes)
        label_value(out, src->route_labels[slot]);
    else if (slot == src->nroutes)
        BUF_LIT(out, "unmatched");
    else
        BUF_LIT(out, "protocol");
    buf_putc(out, '"');
}

void metrics_render(buf_t *out, const metrics_source_t *src)
{
    unsigned nslots = src->nroutes + 2;
    uint64_t open = 0, accepted = 0, rejected = 0, inflight = 0;
    uint64_t ws_open = 0, ws_opened = 0, ws_rejected = 0, ws_received = 0, ws_sent = 0;
    uint64_t live_rooms = 0, live_sockets = 0, live_events = 0, live_refusals = 0;
    for (unsigned w = 0; w < src->nworkers; w++) {
        ws_open += get(&src->workers[w]->ws_open);
        live_rooms += get(&src->workers[w]->live_rooms);
        live_sockets += get(&src->workers[w]->live_sockets);
        live_events += get(&src->workers[w]->live_events);
        live_refusals += get(&src->workers[w]->live_refusals);
        ws_opened += get(&src->workers[w]->ws_opened);
        ws_rejected += get(&src->workers[w]->ws_rejected);
        ws_received += get(&src->workers[w]->ws_received);
        ws_sent += get(&src->workers[w]->ws_sent);
        inflight += get(&src->workers[w]->inflight);
        open += get(&src->workers[w]->open_connections);
        accepted += get(&src->workers[w]->accepted);
        rejected += get(&src->workers[w]->rejected);
    }

    BUF_LIT(out, "# HELP cartable_http_requests_total HTTP requests answered, by route and status.\n"
                 "# TYPE cartable_http_requests_total counter\n");
    for (unsigned s = 0; s < nslots; s++) {
        for (unsigned k = 0; k < NSTATUS; k++) {
            uint64_t total = 0;
            for (unsigned w = 0; w < src->nworkers; w++)
                total += get(&src->workers[w]->slots[s].by_status[k]);
            if (!total)
                continue;
            BUF_LIT(out, "cartable_http_requests_total{");
            route_label(out, src, s);
            BUF_LIT(out, ",status=\"");
            if (k < NSTATUS - 1)
                buf_put_u64(out, (uint64_t)status_codes[k]);
            else
                BUF_LIT(out, "other");
            BUF_LIT(out, "\"} ");
            buf_put_u64(out, total);
            buf_putc(out, '\n');
        }
    }

    BUF_LIT(out, "# HELP cartable_http_request_duration_seconds Time from the first byte of a request to the last "
                 "byte of its response.\n# TYPE cartable_http_request_duration_seconds histogram\n");
    for (unsigned s = 0; s < nslots; s++) {
        uint64_t count = 0, sum_us = 0, buckets[METRICS_BUCKETS] = {0};
        for (unsigned w = 0; w < src->nworkers; w++) {
            route_counters_t *c = &src->workers[w]->slots[s];
            count += get(&c->count);
            sum_us += get(&c->sum_us);
            for (unsigned b = 0; b < METRICS_BUCKETS; b++)
                buckets[b] += get(&c->buckets[b]);
        }
        if (!count)
            continue;
        uint64_t cumulative = 0;
        for (unsigned b = 0; b < METRICS_BUCKETS; b++) {
            cumulative += buckets[b];
            BUF_LIT(out, "cartable_http_request_duration_seconds_bucket{");
            route_label(out, src, s);
            buf_printf(out, ",le=\"%g\"} ", bucket_bounds[b]);
            buf_put_u64(out, cumulative);
            buf_putc(out, '\n');
        }
        BUF_LIT(out, "cartable_http_request_duration_seconds_bucket{");
        route_label(out, src, s);
        BUF_LIT(out, ",le=\"+Inf\"} ");
        buf_put_u64(out, count);
        BUF_LIT(out, "\ncartable_http_request_duration_seconds_sum{");
        route_label(out, src, s);
        buf_printf(out, "} %.6f\ncartable_http_request_duration_seconds_count{", (double)sum_us / 1e6);
        route_label(out, src, s);
        BUF_LIT(out, "} ");
        buf_put_u64(out, count);
        buf_putc(out, '\n');
    }

    buf_printf(out,
               "# HELP cartable_http_open_connections Client connections open now.\n"
               "# TYPE cartable_http_open_connections gauge\ncartable_http_open_connections %llu\n"
               "# HELP cartable_http_connections_accepted_total Client connections accepted.\n"
               "# TYPE cartable_http_connections_accepted_total counter\ncartable_http_connections_accepted_total %llu\n"
               "# HELP cartable_http_connections_rejected_total Connections closed at once because max_connections "
               "was reached.\n"
               "# TYPE cartable_http_connections_rejected_total counter\ncartable_http_connections_rejected_total %llu\n"
               "# HELP cartable_http_requests_in_flight Requests being handled now.\n"
               "# TYPE cartable_http_requests_in_flight gauge\ncartable_http_requests_in_flight %llu\n"
               "# HELP cartable_process_start_time_seconds Start time of the process since the Unix epoch.\n"
               "# TYPE cartable_process_start_time_seconds gauge\ncartable_process_start_time_seconds %lld\n",
               (unsigned long long)open, (unsigned long long)accepted, (unsigned long long)rejected,
               (unsigned long long)inflight, (long long)src->started_at_unix);
    buf_printf(out,
               "# HELP cartable_websocket_connections WebSocket connections open now (also in "
               "cartable_http_open_connections).\n"
               "# TYPE cartable_websocket_connections gauge\ncartable_websocket_connections %llu\n"
               "# HELP cartable_websocket_opened_total WebSocket connections opened.\n"
               "# TYPE cartable_websocket_opened_total counter\ncartable_websocket_opened_total %llu\n"
               "# HELP cartable_websocket_rejected_total WebSocket handshakes refused because ws_max_connections "
               "was reached.\n"
               "# TYPE cartable_websocket_rejected_total counter\ncartable_websocket_rejected_total %llu\n"
               "# HELP cartable_websocket_messages_received_total WebSocket data messages received.\n"
               "# TYPE cartable_websocket_messages_received_total counter\n"
               "cartable_websocket_messages_received_total %llu\n"
               "# HELP cartable_websocket_messages_sent_total WebSocket data messages sent.\n"
               "# TYPE cartable_websocket_messages_sent_total counter\ncartable_websocket_messages_sent_total %llu\n",
               (unsigned long long)ws_open, (unsigned long long)ws_opened, (unsigned long long)ws_rejected,
               (unsigned long long)ws_received, (unsigned long long)ws_sent);
    buf_printf(out,
               "# HELP cartable_live_rooms Live-class rooms open now (counted on their owner worker).\n"
               "# TYPE cartable_live_rooms gauge\ncartable_live_rooms %llu\n"
               "# HELP cartable_live_room_sockets Sockets in live-class rooms now (lobby included).\n"
               "# TYPE cartable_live_room_sockets gauge\ncartable_live_room_sockets %llu\n"
               "# HELP cartable_live_room_events_total Room events decided (chat, joins, votes...).\n"
               "# TYPE cartable_live_room_events_total counter\ncartable_live_room_events_total %llu\n"
               "# HELP cartable_live_room_refusals_total Room commands refused (not allowed, bad value, locked...).\n"
               "# TYPE cartable_live_room_refusals_total counter\ncartable_live_room_refusals_total %llu\n",
               (unsigned long long)live_rooms, (unsigned long long)live_sockets, (unsigned long long)live_events,
               (unsigned long long)live_refusals);
    const capacity_health_t *h = src->capacity;
    if (h)
        buf_printf(out,
                   "# HELP cartable_admission_rate Newcomers let in per second now (worked out from the health "
                   "below, or pinned by admission_rate).\n"
                   "# TYPE cartable_admission_rate gauge\ncartable_admission_rate %.3f\n"
                   "# HELP cartable_admission_healthy 1 when every health signal was within its limit at the last "
                   "admission tick.\n"
                   "# TYPE cartable_admission_healthy gauge\ncartable_admission_healthy %d\n"
                   "# HELP cartable_loop_lag_seconds How late the most delayed event loop ran its timer, at the "
                   "last admission tick.\n"
                   "# TYPE cartable_loop_lag_seconds gauge\ncartable_loop_lag_seconds %.6f\n"
                   "# HELP cartable_writer_delay_seconds How long writes waited for the database writer, recently, "
                   "at the last admission tick.\n"
                   "# TYPE cartable_writer_delay_seconds gauge\ncartable_writer_delay_seconds %.6f\n"
                   "# HELP cartable_cpu_cores Process CPU use between the last two admission ticks, in cores.\n"
                   "# TYPE cartable_cpu_cores gauge\ncartable_cpu_cores %.3f\n",
                   h->rate, h->healthy ? 1 : 0, h->loop_lag_ms / 1000.0, h->writer_delay_ms / 1000.0, h->cpu);
}
