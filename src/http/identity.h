/* identity: who is making a request; signing in and out.
 *
 * Contract:
 * - request_session reads the `sid` cookie once per request: signature and expiry
 *   (no database), then the worker's revocation cache. A session close to its
 *   end is renewed in place (sign-ins without "this device" slide).
 * - request_principal adds the person's roles from the worker's principal cache.
 *   A disabled account has no principal.
 * - request_require_principal answers for the handler when nobody is signed in:
 *   pages go to the sign-in page (with where to come back), the API gets 401.
 * - CSRF: every state-changing form carries `_csrf`, every cookie-authenticated
 *   API write an X-CSRF-Token header; the request readers (http/request.h) check
 *   them, handlers never do.
 * - login_start runs the whole sign-in: per-address and per-login throttling
 *   (429 + Retry-After), the password check on the hash pool (503 when full), the
 *   same answer and the same work for an unknown login as for a wrong password,
 *   then the session cookie.
 */
#ifndef CARTABLE_HTTP_IDENTITY_H
#define CARTABLE_HTTP_IDENTITY_H

#include <stdbool.h>

#include "auth/principal.h"
#include "auth/session.h"
#include "http/request.h"

const session_t *request_session(request_t *r);
const principal_t *request_principal(request_t *r);
const principal_t *request_require_principal(request_t *r);
/* 403 in the client's terms. */
void respond_forbidden(request_t *r);

/* Sets an HttpOnly, SameSite=Lax cookie for the whole site (Secure when the
 * site is served over HTTPS); max_age 0 for a browser-session cookie, negative
 * to delete it. */
void request_set_cookie(request_t *r, const char *name, str_t value, int64_t max_age);
/* The token to put in forms (sets the anonymous `csrf` cookie when needed). */
const char *request_csrf_token(request_t *r);
bool request_csrf_valid(request_t *r, str_t submitted);

/* Issues the session cookie for a new session. */
void request_set_session(request_t *r, int64_t person_id, uint32_t epoch, bool remember);
void request_clear_session(request_t *r);

/* For a parent: the child chosen with the `child` cookie if it is one of theirs,
 * else the first child; 0 for anyone else. */
int64_t request_current_child(request_t *r);

typedef enum login_outcome {
    LOGIN_OK = 0,
    LOGIN_BAD_CREDENTIALS,
    LOGIN_THROTTLED, /* retry_after seconds */
    LOGIN_BUSY,      /* the hash pool is full: retry_after seconds */
    LOGIN_BAD_INPUT,
    LOGIN_ERROR,
    LOGIN_NOT_ACCEPTED, /* login_start_if: right password, condition not met */
} login_outcome_t;

typedef void (*login_done_fn)(request_t *r, login_outcome_t outcome, unsigned retry_after);
/* Starts a sign-in; done runs later on the request's loop, after the cookie is set. */
void login_start(request_t *r, str_t login, str_t password, bool remember, login_done_fn done);
/* The same, for a sign-in that is only granted on a condition: once the password
 * is right, accept(r, person_id) decides (0 yes, 1 no, negative on error) before
 * any session exists. A refusal answers LOGIN_NOT_ACCEPTED (the password was
 * right; nothing was issued). */
typedef int (*login_accept_fn)(request_t *r, int64_t person_id);
void login_start_if(request_t *r, str_t login, str_t password, bool remember, login_accept_fn accept,
                    login_done_fn done);

/* Ends this session (everywhere = every session of the person); clears the cookie.
 * done runs after the commit with a STORE_* status. */
void logout_start(request_t *r, bool everywhere, void (*done)(request_t *r, int status));

/* Normalises a typed login: trimmed, ASCII lower case. */
str_t login_normalise(arena_t *a, str_t typed);

#endif
