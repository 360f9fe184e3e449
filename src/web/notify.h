/* The notifications page: what is new for the signed-in person (the feed of
 * domain/notify.h), marking it all seen, and the e-mail digest setting.
 *
 * Contract: GET /notifications lists the feed, newest first, each item linking
 * to the page that tells more (domain/notify_text.h); POST /notifications/seen
 * marks everything seen (one write, answered after its commit) and goes back;
 * POST /notifications/settings switches the e-mail digest, offered only when
 * the server sends mail (smtp_url) and the person has an address we send to.
 */
#ifndef CARTABLE_WEB_NOTIFY_H
#define CARTABLE_WEB_NOTIFY_H

#include <stddef.h>

#include "http/router.h"

int notify_register_routes(router_t *router, char *err, size_t errlen);

#endif
