/* static: serves the assets compiled into the binary (src/web/assets).
 *
 * Contract: each asset answers at its fingerprinted URL (cached for a year,
 * immutable) and at its plain URL (revalidated every time); both carry a strong
 * ETag and answer If-None-Match with 304. A gzip copy made at build time is sent
 * to clients that accept it. Bytes are sent from the binary without copying.
 */
#ifndef CARTABLE_HTTP_STATIC_H
#define CARTABLE_HTTP_STATIC_H

#include <stddef.h>

#include "http/router.h"

int static_register_routes(router_t *router, char *err, size_t errlen);

#endif
