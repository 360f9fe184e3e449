/* metrics: per-worker counters, summed at scrape time into Prometheus text.
 *
 * Contract: each worker owns its metrics_t and is its only writer; increments are
 * a relaxed load and store (no locked instruction on the hot path). A scrape
 * reads every worker's counters with relaxed loads: totals may lag by a request,
 * never tear. Routes are known at startup; two extra slots count requests that
 * matched no route and requests h2o answered itself (malformed, too large).
 */
#ifndef CARTABLE_HTTP_METRICS_H
#define CARTABLE_HTTP_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/buf.h"

struct capacity_health;

#define METRICS_BUCKETS 14

typedef struct metrics metrics_t;

metrics_t *metrics_new(unsigned nroutes);
void metrics_free(metrics_t *m);
/* route_slot: a route id, metrics_slot_unmatched() or metrics_slot_protocol(). */
void metrics_observe(metrics_t *m, unsigned route_slot, int status, uint64_t duration_us);
void metrics_connection(metrics_t *m, int delta);
void metrics_connection_rejected(metrics_t *m);
void metrics_inflight(metrics_t *m, int delta);
uint64_t metrics_inflight_now(metrics_t *m);
/* WebSocket connections: delta +1 when one opens, -1 when it ends. */
void metrics_websocket(metrics_t *m, int delta);
void metrics_websocket_rejected(metrics_t *m); /* refused: ws_max_connections reached */
void metrics_websocket_messages(metrics_t *m, uint64_t received, uint64_t sent);
/* Live-class rooms: rooms opened/closed on their owner, sockets in rooms, commands decided. */
void metrics_live_rooms(metrics_t *m, int delta);
void metrics_live_sockets(metrics_t *m, int delta);
void metrics_live_decided(metrics_t *m, bool accepted);
unsigned metrics_slot_unmatched(const metrics_t *m);
unsigned metrics_slot_protocol(const metrics_t *m);

typedef struct metrics_source {
    metrics_t *const *workers;
    unsigned nworkers;
    const char *const *route_labels; /* nroutes labels: "GET /api/v1/school" */
    unsigned nroutes;
    int64_t started_at_unix;
    const struct capacity_health *capacity; /* admission health (edge/capacity.h); NULL: not shown */
} metrics_source_t;

void metrics_render(buf_t *out, const metrics_source_t *src);

#endif
