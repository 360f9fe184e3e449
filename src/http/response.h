/* response: the ways a handler answers.
 *
 * Contract:
 * - Every answer carries the security headers (nosniff always; CSP, frame and
 *   referrer policies on HTML) and, for dynamic content, Cache-Control: no-store
 *   unless the handler set its own.
 * - Text bodies of 512 bytes or more are gzip-compressed when the client accepts
 *   it, with a per-worker deflate stream (no allocation per response).
 * - respond_error answers in the client's terms: a JSON error object for API
 *   routes and clients that prefer JSON, otherwise a page in the site's style.
 * - Body memory must live until the response is sent: the request arena or
 *   static data.
 */
#ifndef CARTABLE_HTTP_RESPONSE_H
#define CARTABLE_HTTP_RESPONSE_H

#include "core/buf.h"
#include "core/value.h"
#include "http/request.h"

void response_header(request_t *r, const char *name, str_t value);
void response_header_cstr(request_t *r, const char *name, const char *value);
void response_set_cookie(request_t *r, str_t set_cookie_value);

/* A dynamic body in the request arena (or static memory); gzips when worth it. */
void respond_body(request_t *r, int status, const char *content_type, str_t body);
/* Static bytes sent as they are (assets): no copy, no compression. */
/* The pages' Content-Security-Policy, with the origins of media_urls (comma-
 * separated URLs, may be empty) allowed in connect-src. */
void response_csp_build(char *out, size_t outlen, const char *media_urls);
void respond_static(request_t *r, int status, const char *content_type, const void *data, size_t len);
void respond_json(request_t *r, int status, const value_t *body);
void respond_text(request_t *r, int status, const char *text);
void respond_redirect(request_t *r, int status, str_t location);
void respond_no_content(request_t *r, int status);
/* msg_id: a catalogue message (web_generated.h); detail: extra plain text or NULL. */
void respond_error(request_t *r, int status, int msg_id, const char *detail);

/* True for API routes, or when the Accept header prefers JSON to HTML. */
bool request_wants_json(const request_t *r);
const char *http_reason(int status);

#endif
