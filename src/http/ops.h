/* ops: the endpoints operators and orchestrators use.
 *
 * GET /healthz  200 "ok" while the process serves requests (liveness).
 * GET /readyz   200 "ready" when the database answers and the server is not
 *               shutting down; 503 otherwise (readiness: take out of rotation).
 * GET /metrics  Prometheus text: requests by route and status, latency
 *               histograms, open connections, requests in flight.
 */
#ifndef CARTABLE_HTTP_OPS_H
#define CARTABLE_HTTP_OPS_H

#include <stddef.h>

#include "http/router.h"

int ops_register_routes(router_t *router, char *err, size_t errlen);

#endif
