#include "http/identity.h"

#include <string.h>

#include "auth/hashpool.h"
#include "auth/password.h"
#include "auth/revocation.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/people.h"
#include "edge/ratelimit.h"
#include "http/async.h"
#include "http/cookie.h"
#include "http/response.h"
#include "http/worker.h"
#include "web_generated.h"

#define SESSION_COOKIE "sid"
#define CSRF_COOKIE "csrf"
#define CHILD_COOKIE "child"

static int64_t lifetime_s(const request_t *r, bool remember)
{
    const config_t *c = r->app->config;
    return (int64_t)((remember ? c->remember_lifetime_ms : c->session_lifetime_ms) / 1000);
}

void request_set_cookie(request_t *r, const char *name, str_t value, int64_t max_age)
{
    buf_t b;
    buf_init(&b, &r->arena, 160);
    cookie_attrs_t attrs = {.max_age = max_age, .path = "/", .http_only = true, .secure = r->app->config->secure_cookies,
                            .same_site = COOKIE_SAMESITE_LAX};
    if (cookie_format(&b, str_from(name), value, &attrs) == 0)
        response_set_cookie(r, buf_str(&b));
}

static void issue(request_t *r, session_t *s)
{
    char token[SESSION_TOKEN_LEN + 1];
    session_encode(app_session_keys(r->app), s, token);
    /* A session cookie (no Max-Age) unless "this device": a shared family computer
     * forgets it when the browser closes. */
    int64_t max_age = s->remember ? s->expires_at - clock_now() : 0;
    request_set_cookie(r, SESSION_COOKIE, (str_t){arena_strndup(&r->arena, token, SESSION_TOKEN_LEN), SESSION_TOKEN_LEN},
               max_age);
}

static void check_identity(request_t *r)
{
    if (r->identity_checked)
        return;
    r->identity_checked = true;
    str_t cookie = request_cookie(r, SESSION_COOKIE);
    if (!cookie.ptr)
        return;
    int64_t now = clock_now();
    session_t s;
    if (session_decode(app_session_keys(r->app), cookie, now, &s) != SESSION_VALID)
        return;
    worker_t *w = r->worker;
    if (revocations_refresh(&w->revocations, r->app->store, w->store_reader, now) < 0)
        return; /* cannot tell whether it was revoked: treat as signed out */
    if (session_revoked(&w->revocations, &s))
        return;
    const principal_t *p = principal_cache_get(&w->principals, r->app->store, w->store_reader, s.person_id);
    if (!p || p->disabled)
        return;
    r->has_session = true;
    r->session = s;
    r->principal = p;
    /* Slide a plain sign-in when half of it is gone (same session id). */
    int64_t life = lifetime_s(r, false);
    if (!s.remember && s.expires_at - now < life / 2) {
        r->session.expires_at = now + life;
        issue(r, &r->session);
    }
}

const session_t *request_session(request_t *r)
{
    check_identity(r);
    return r->has_session ? &r->session : NULL;
}

const principal_t *request_principal(request_t *r)
{
    check_identity(r);
    return r->principal;
}

void respond_forbidden(request_t *r)
{
    respond_error(r, 403, MSG_error_forbidden, NULL);
}

const principal_t *request_require_principal(request_t *r)
{
    const principal_t *p = request_principal(r);
    if (p)
        return p;
    if (request_wants_json(r)) {
        respond_error(r, 401, MSG_error_not_signed_in, NULL);
        return NULL;
    }
    /* Back to this page after signing in (GET only: a form post cannot be replayed). */
    buf_t loc;
    buf_init(&loc, &r->arena, 64 + r->path.len * 3);
    BUF_LIT(&loc, "/login");
    if (str_eq(request_method(r), STR("GET")) && !str_eq(r->path, STR("/"))) {
        BUF_LIT(&loc, "?next=");
        for (size_t i = 0; i < r->path.len; i++) {
            unsigned char c = (unsigned char)r->path.ptr[i];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
                c == '_' || c == '.')
                buf_putc(&loc, (char)c);
            else
                buf_printf(&loc, "%%%02X", c);
        }
    }
    respond_redirect(r, 303, buf_str(&loc));
    return NULL;
}

const char *request_csrf_token(request_t *r)
{
    if (r->csrf[0])
        return r->csrf;
    const session_t *s = request_session(r);
    if (s) {
        session_csrf(app_session_keys(r->app), s, r->csrf);
        return r->csrf;
    }
    str_t c = request_cookie(r, CSRF_COOKIE);
    if (c.ptr && c.len == CSRF_TOKEN_LEN) {
        memcpy(r->csrf, c.ptr, CSRF_TOKEN_LEN);
        r->csrf[CSRF_TOKEN_LEN] = '\0';
        return r->csrf;
    }
    csrf_random(r->csrf);
    request_set_cookie(r, CSRF_COOKIE, (str_t){arena_strndup(&r->arena, r->csrf, CSRF_TOKEN_LEN), CSRF_TOKEN_LEN}, 0);
    return r->csrf;
}

bool request_csrf_valid(request_t *r, str_t submitted)
{
    const session_t *s = request_session(r);
    char expected[CSRF_TOKEN_LEN + 1];
    if (s) {
        session_csrf(app_session_keys(r->app), s, expected);
        return csrf_equal(submitted, str_make(expected, CSRF_TOKEN_LEN));
    }
    str_t c = request_cookie(r, CSRF_COOKIE);
    return c.ptr && csrf_equal(submitted, c);
}

void request_set_session(request_t *r, int64_t person_id, uint32_t epoch, bool remember)
{
    session_t s;
    session_new(&s, person_id, epoch, remember, clock_now(), lifetime_s(r, remember));
    s.key_id = app_session_keys(r->app)->ids[0];
    issue(r, &s);
    r->identity_checked = true;
    r->has_session = true;
    r->session = s;
    r->principal = principal_cache_get(&r->worker->principals, r->app->store, r->worker->store_reader, person_id);
    r->csrf[0] = '\0';
}

void request_clear_session(request_t *r)
{
    request_set_cookie(r, SESSION_COOKIE, STR(""), -1);
    request_set_cookie(r, CHILD_COOKIE, STR(""), -1);
    r->has_session = false;
    r->principal = NULL;
    r->csrf[0] = '\0';
}

int64_t request_current_child(request_t *r)
{
    const principal_t *p = request_principal(r);
    if (!p || p->nchildren == 0)
        return 0;
    int64_t id;
    str_t c = request_cookie(r, CHILD_COOKIE);
    if (c.ptr && str_to_i64(c, &id) && principal_is_parent_of(p, id))
        return id;
    return p->children[0].person.id;
}

str_t login_normalise(arena_t *a, str_t typed)
{
    str_t t = str_trim(typed);
    char *out = arena_alloc(a, t.len + 1);
    for (size_t i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    out[t.len] = '\0';
    return (str_t){out, t.len};
}

/* ---- signing in ---- */

typedef struct login_attempt {
    hash_job_t job;
    str_t login;
    bool remember;
    bool real_account;
    int64_t person_id;
    uint32_t epoch;
    login_done_fn done;
    login_accept_fn accept;
} login_attempt_t;

static void login_hashed(request_t *r, hash_job_t *job)
{
    login_attempt_t *a = (login_attempt_t *)((char *)job - offsetof(login_attempt_t, job));
    if (job->ok && a->real_account) {
        ratelimit_reset(r->app->login_failure_limit, a->login);
        int verdict = a->accept ? a->accept(r, a->person_id) : 0;
        if (verdict != 0) {
            a->done(r, verdict > 0 ? LOGIN_NOT_ACCEPTED : LOGIN_ERROR, 0);
            return;
        }
        request_set_session(r, a->person_id, a->epoch, a->remember);
        LOG_INFO("signed in", "person=%lld remember=%d", (long long)a->person_id, a->remember);
        a->done(r, LOGIN_OK, 0);
        return;
    }
    /* Counted per login, known or not: the throttle says nothing about existence. */
    ratelimit_take(r->app->login_failure_limit, a->login, clock_monotonic_ms(), 1.0);
    a->done(r, LOGIN_BAD_CREDENTIALS, 0);
}

void login_start(request_t *r, str_t typed_login, str_t password, bool remember, login_done_fn done)
{
    login_start_if(r, typed_login, password, remember, NULL, done);
}

void login_start_if(request_t *r, str_t typed_login, str_t password, bool remember, login_accept_fn accept,
                    login_done_fn done)
{
    const app_t *app = r->app;
    str_t login = login_normalise(&r->arena, typed_login);
    if (login.len == 0 || password.len == 0 || password.len > PASSWORD_MAX_BYTES || login.len > 256) {
        done(r, LOGIN_BAD_INPUT, 0);
        return;
    }
    uint64_t now_ms = clock_monotonic_ms();
    const char *ip = request_client_ip(r);
    unsigned wait = ratelimit_take(app->login_ip_limit, str_from(ip), now_ms, 1.0);
    if (!wait)
        wait = ratelimit_check(app->login_failure_limit, login, now_ms);
    if (wait) {
        done(r, LOGIN_THROTTLED, wait);
        return;
    }
    login_attempt_t *a = ARENA_NEW(&r->arena, login_attempt_t);
    a->login = login;
    a->remember = remember;
    a->done = done;
    a->accept = accept;
    person_t p;
    str_t hash = STR_NULL;
    int rc = login_valid(login) ? person_by_login(STORE_READER(r->worker->store_reader), &r->arena, login, &p, &hash) : 0;
    if (rc < 0) {
        done(r, LOGIN_ERROR, 0);
        return;
    }
    a->real_account = rc == 1 && hash.ptr && !p.disabled;
    if (a->real_account) {
        a->person_id = p.id;
        a->epoch = (uint32_t)p.session_epoch;
        a->job.stored_hash = arena_strndup(&r->arena, hash.ptr, hash.len);
    } else {
        /* Same work as a real check, so timing does not tell unknown logins apart. */
        a->job.stored_hash = password_dummy_hash();
    }
    a->job.op = HASH_VERIFY;
    memcpy(a->job.password, password.ptr, password.len);
    a->job.password_len = password.len;
    if (request_hash(r, &a->job, login_hashed) != 0)
        done(r, LOGIN_BUSY, 2);
}

/* ---- signing out ---- */

typedef struct logout_op {
    session_t session;
    bool everywhere;
    int64_t horizon;
    void (*done)(request_t *r, int status);
} logout_op_t;

static int logout_write(store_tx_t *tx, void *ud)
{
    logout_op_t *op = ud;
    if (op->everywhere)
        return person_bump_epoch(tx, op->session.person_id);
    /* Any copy of this session, renewed or not, expires before the horizon. */
    session_t s = op->session;
    s.expires_at = op->horizon;
    return session_event_logout(tx, &s);
}

static void logout_written(request_t *r, void *ud, int status)
{
    logout_op_t *op = ud;
    if (status >= 0)
        request_clear_session(r);
    op->done(r, status);
}

void logout_start(request_t *r, bool everywhere, void (*done)(request_t *r, int status))
{
    const session_t *s = request_session(r);
    if (!s) {
        request_clear_session(r);
        done(r, STORE_OK);
        return;
    }
    logout_op_t *op = ARENA_NEW(&r->arena, logout_op_t);
    op->session = *s;
    op->everywhere = everywhere;
    op->horizon = clock_now() + lifetime_s(r, true);
    op->done = done;
    if (request_store_write(r, logout_write, op, logout_written) != 0)
        done(r, STORE_ERROR);
}
