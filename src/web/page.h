/* page: renders the site's HTML pages.
 *
 * Contract: page_render puts a handler's view inside the site scope (language,
 * the school, the current path, the language list) and renders a template with
 * the layout; every page goes through it so they share one look and one set of
 * headers. page_error is the site-styled error page the HTTP layer calls.
 */
#ifndef CARTABLE_WEB_PAGE_H
#define CARTABLE_WEB_PAGE_H

#include "core/value.h"
#include "domain/people.h"
#include "http/request.h"
#include "http/router.h"
#include "web_generated.h"

value_t *page_site_scope(request_t *r);
void page_render(request_t *r, int status, tpl_id_t tpl, value_t *view);
void page_error(request_t *r, int status, int msg_id, const char *detail);
const char *page_role_label(request_t *r, role_t role);
/* A local path to go back to: "next" if it is one of ours, else fallback. */
str_t page_safe_next(str_t next, str_t fallback);
/* "Activated", "Not activated yet"... for a person as an administrator sees them. */
const char *page_account_status(request_t *r, const person_t *p);
/* "mardi 1 décembre 08:30": an instant in the school's time zone, in the request's language. */
const char *page_instant_label(request_t *r, int64_t at);
/* The label of a school kind in the request's language. */
const char *page_school_kind_label(request_t *r, str_t kind);

int web_register_routes(router_t *router, char *err, size_t errlen);
int account_register_routes(router_t *router, char *err, size_t errlen);
int directory_register_routes(router_t *router, char *err, size_t errlen);

#endif
