/* api: the JSON API under /api/v1.
 *
 * Contract: every route is registered with ROUTE_API, so errors come back as
 * {"error": {"status", "code", "message", "detail"?}}; a client whose Accept
 * header excludes JSON gets 406. Bodies are read with request_json. The API
 * is described in docs/api.md (and, from the school-day issue on, an OpenAPI
 * document at /api/v1/openapi.json).
 */
#ifndef CARTABLE_API_API_H
#define CARTABLE_API_API_H

#include <stddef.h>

#include "http/router.h"

int api_register_routes(router_t *router, char *err, size_t errlen);
int api_auth_register_routes(router_t *router, char *err, size_t errlen);

#endif
