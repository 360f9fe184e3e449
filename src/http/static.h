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

/* Scripts that Debian packages (the Janus browser library and the WebRTC
 * adapter it needs), read once at start-up and served as they are under
 * /assets/vendor/<name>, revalidated each time (their ETag follows the file's
 * size and time). Only when live classes have audio and video. */
#define STATIC_ADAPTER_JS "/usr/share/javascript/webrtc-adapter/adapter.min.js"
#define STATIC_JANUS_JS "/usr/share/javascript/janus-gateway/janus.min.js"
int static_register_vendor_scripts(router_t *router, char *err, size_t errlen);
/* Frees what static_register_vendor_scripts read. */
void static_vendor_scripts_free(void);

#endif
