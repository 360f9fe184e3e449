/* request: what a handler sees of one HTTP request, and the helpers to read it.
 *
 * Contract:
 * - A request owns an arena (r->arena) freed after its response has been sent;
 *   everything a helper returns lives in it.
 * - Readers of client input (query, form, multipart, JSON) validate as they
 *   parse and, on bad input, answer the request themselves with a clear 4xx
 *   (HTML or JSON by negotiation) and return NULL/-1: the handler then just
 *   returns. They never crash and never accept NUL bytes or invalid UTF-8.
 * - A handler answers exactly once, through http/response.h, now or later (an
 *   asynchronous handler keeps the request until it answers).
 */
#ifndef CARTABLE_HTTP_REQUEST_H
#define CARTABLE_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "auth/session.h"
#include "core/arena.h"
#include "core/str.h"
#include "http/form.h"
#include "http/multipart.h"
#include "http/router.h"
#include "http/server.h"

struct worker;
struct st_h2o_req_t;

typedef struct request {
    struct st_h2o_req_t *h2o;
    struct worker *worker;
    const app_t *app;
    arena_t arena;
    route_match_t match;
    const route_t *route; /* NULL when no route matched */
    unsigned metrics_slot;
    int lang;             /* lang_id_t */
    bool is_api;          /* under /api/: errors are JSON */
    bool responded;
    str_t path;           /* raw request path, without the query */
    str_t query_string;   /* without '?', STR("") if none */
    form_t *query;        /* parsed on first use */
    /* identity (http/identity.h), worked out on first use */
    bool identity_checked;
    bool has_session;
    session_t session;
    const struct principal *principal;
    char csrf[CSRF_TOKEN_LEN + 1];
    const char *client_ip; /* worked out on first use */
    void *ctx; /* a handler's state across asynchronous steps */
} request_t;

str_t request_method(const request_t *r);
/* First value of a request header (name in lower case), or STR_NULL. */
str_t request_header(const request_t *r, const char *lower_name);
str_t request_cookie(const request_t *r, const char *name);

const route_param_t *request_param(const request_t *r, const char *name);
/* When the request began to arrive (Unix seconds): what a deadline is judged
 * against, however long the request then waited for the store. */
int64_t request_arrived_at(const request_t *r);
int64_t request_param_int(const request_t *r, const char *name);
str_t request_param_str(const request_t *r, const char *name);

/* Query string value (first), or STR_NULL. A malformed query string reads as empty;
 * request_query_valid says whether it was. */
str_t request_query(request_t *r, const char *name);
bool request_query_valid(request_t *r);

/* Reads an application/x-www-form-urlencoded body. On bad input answers 400/413/415
 * and returns NULL. */
form_t *request_form(request_t *r);
/* Reads a multipart/form-data body (files to the data directory's tmp/). On bad
 * input answers 400/413/415 and returns NULL. */
multipart_form_result_t *request_multipart(request_t *r);
/* The same, except that a file too large or too many files does not answer: the
 * result comes back with its status and the text fields read so far, so the
 * handler can show the form again with what the person wrote. */
multipart_form_result_t *request_multipart_keeping_text(request_t *r);
/* Reads a JSON body (Content-Type application/json, at most max_json bytes,
 * UTF-8, no NUL, no duplicate keys). On bad input answers 400/413/415 and returns
 * NULL. The caller owns the reference (json_decref), registered on the arena. */
json_t *request_json(request_t *r);

/* Client address as text ("127.0.0.1"): the peer, or what trusted proxies say
 * in X-Forwarded-For (edge/proxy.h). */
const char *request_client_ip(request_t *r);
/* The same for any h2o request (the access log has no request_t for some);
 * writes at most PROXY_ADDR_MAX bytes into out. */
const char *client_address(const app_t *app, struct st_h2o_req_t *req, char *out);

#endif
