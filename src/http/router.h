/* router: maps a method and a path to a route, with typed parameters.
 *
 * Patterns are literal segments and parameters: "/api/v1/classes/{id:int}/homework",
 * "/assets/{name}" (a str parameter: one non-empty segment), "/files/{rest:*}" (the
 * rest of the path, last only). Types: int (decimal, 1 to 18 digits, fits int64),
 * str (any segment, percent-decoded, valid UTF-8 without control characters).
 * Precedence when several patterns fit: literal, then int, then str, then *.
 *
 * Contract: routes are added at startup; after router_freeze the router is
 * immutable and shared by every thread without locks. router_match answers
 * found, not found, or method not allowed (with the Allow list); HEAD matches GET
 * routes. Parameter values live in the caller's arena.
 */
#ifndef CARTABLE_HTTP_ROUTER_H
#define CARTABLE_HTTP_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"

#define ROUTER_MAX_PARAMS 8
#define ROUTER_MAX_SEGMENTS 32

typedef enum param_type { PARAM_STR = 0, PARAM_INT, PARAM_REST } param_type_t;

typedef struct route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* as registered: also the metrics label */
    void (*handler)(void); /* opaque to the router: cast back by the caller */
    const void *data;    /* per-route data for the handler */
    unsigned flags;      /* opaque to the router */
    unsigned id;         /* index in registration order, dense from 0 */
} route_t;

typedef struct route_param {
    const char *name;
    param_type_t type;
    str_t str;   /* decoded text (for every type) */
    int64_t num; /* for PARAM_INT */
} route_param_t;

typedef struct route_match {
    const route_t *route;
    route_param_t params[ROUTER_MAX_PARAMS];
    unsigned nparams;
    char allow[96]; /* for ROUTER_METHOD_NOT_ALLOWED: "GET, HEAD, POST" */
} route_match_t;

typedef enum router_result {
    ROUTER_FOUND = 0,
    ROUTER_NOT_FOUND,
    ROUTER_METHOD_NOT_ALLOWED,
    ROUTER_BAD_PATH, /* undecodable percent-encoding or invalid text in a parameter */
} router_result_t;

typedef struct router router_t;

router_t *router_new(void);
void router_free(router_t *r);
/* Returns the new route, or NULL with a message in err for a malformed pattern or
 * a duplicate (method, pattern). */
const route_t *router_add(router_t *r, const char *method, const char *pattern, void (*handler)(void), const void *data,
                          unsigned flags, char *err, size_t errlen);
void router_freeze(router_t *r);
unsigned router_count(const router_t *r);
const route_t *router_route(const router_t *r, unsigned id);

/* path is the request path without the query string. */
router_result_t router_match(const router_t *r, str_t method, str_t path, arena_t *a, route_match_t *m);

const route_param_t *route_param(const route_match_t *m, const char *name);

#endif
