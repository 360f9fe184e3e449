/* waiting: the waiting room as people see it.
 *
 * Contract: waiting_gate is the app's gate (app_t.gate), asked before every
 * route that is not ROUTE_OPEN. A signed-in person is held to their share of
 * requests (429 beyond). Someone holding a valid admission goes on at no cost
 * (one MAC check, no store access). A signed-in person without one (a session
 * resumed from another day) comes in first if they have a lesson or a hand-in
 * within the hour (domain/urgency.h), else waits like any newcomer. A newcomer
 * asks the line (edge/admission.h): admitted, they get an admission cookie for
 * the admission window and their request goes on; otherwise a light page (no
 * JavaScript needed: it refreshes itself) with their place and an estimated
 * wait, at the URL they asked for, or for the JSON API a 503 with Retry-After
 * and the same figures. Tickets per address are bounded (edge/ratelimit):
 * beyond, 429.
 */
#ifndef CARTABLE_WEB_WAITING_H
#define CARTABLE_WEB_WAITING_H

#include <stdbool.h>

#include "http/request.h"
#include "http/router.h"

bool waiting_gate(request_t *r);
/* The operators' page (/admin/admission): the line, live. */
int waiting_register_routes(router_t *router, char *err, size_t errlen);

#endif
