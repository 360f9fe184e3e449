/* Signing in and out, activating an account, the account page, the child switch. */
#include <string.h>

#include "auth/hashpool.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/people.h"
#include "edge/ratelimit.h"
#include "http/async.h"
#include "http/cookie.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/template.h"

static str_t copy(request_t *r, str_t s)
{
    return (str_t){arena_strndup(&r->arena, s.ptr ? s.ptr : "", s.len), s.len};
}

static const char *msg(request_t *r, msg_id_t id)
{
    return i18n_text((lang_id_t)r->lang, id);
}

static const char *msg_n(request_t *r, msg_id_t id, unsigned n)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    char num[16];
    snprintf(num, sizeof num, "%u", n);
    const char *args[1] = {num};
    i18n_format(&b, (lang_id_t)r->lang, id, args, 1);
    return b.data;
}

static void set_retry_after(request_t *r, unsigned seconds)
{
    response_header(r, "retry-after", str_from(arena_printf(&r->arena, "%u", seconds ? seconds : 1)));
}

/* ---- sign in ---- */

typedef struct login_page {
    str_t login;
    str_t next;
    bool remember;
} login_page_t;

static void render_login(request_t *r, int status, const login_page_t *lp, const char *error)
{
    value_t *v = value_map(&r->arena);
    value_set_str(v, "login", lp->login);
    value_set_str(v, "next", lp->next);
    value_set_bool(v, "remember", lp->remember);
    if (error)
        value_set_cstr(v, "error", error);
    page_render(r, status, TPL_login, v);
}

static void login_page(request_t *r)
{
    str_t next = page_safe_next(request_query(r, "next"), STR("/"));
    if (request_principal(r)) {
        respond_redirect(r, 303, next);
        return;
    }
    login_page_t lp = {.login = STR(""), .next = copy(r, next)};
    render_login(r, 200, &lp, NULL);
}

static void login_done(request_t *r, login_outcome_t outcome, unsigned retry_after)
{
    login_page_t *lp = r->ctx;
    switch (outcome) {
    case LOGIN_OK:
        respond_redirect(r, 303, lp->next);
        return;
    case LOGIN_BAD_CREDENTIALS:
        render_login(r, 401, lp, msg(r, MSG_login_failed));
        return;
    case LOGIN_THROTTLED:
        set_retry_after(r, retry_after);
        render_login(r, 429, lp, msg_n(r, MSG_error_throttled, retry_after));
        return;
    case LOGIN_BUSY:
        set_retry_after(r, retry_after);
        render_login(r, 503, lp, msg(r, MSG_error_busy));
        return;
    case LOGIN_BAD_INPUT:
        render_login(r, 400, lp, msg(r, MSG_login_bad_input));
        return;
    case LOGIN_ERROR:
    case LOGIN_NOT_ACCEPTED: /* never asked for here */
        render_login(r, 503, lp, msg(r, MSG_error_unavailable));
        return;
    }
}

static void login_submit(request_t *r)
{
    form_t *f = request_form(r);
    if (!f)
        return;
    login_page_t *lp = ARENA_NEW(&r->arena, login_page_t);
    lp->login = form_get(f, "login");
    if (!lp->login.ptr)
        lp->login = STR("");
    lp->next = page_safe_next(form_get(f, "next"), STR("/"));
    lp->remember = form_get(f, "remember").ptr != NULL;
    r->ctx = lp;
    str_t password = form_get(f, "password");
    login_start(r, lp->login, password.ptr ? password : STR(""), lp->remember, login_done);
}

static void logout_done(request_t *r, int status)
{
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    respond_redirect(r, 303, STR("/"));
}

static void logout_submit(request_t *r)
{
    if (!request_form(r))
        return;
    logout_start(r, false, logout_done);
}

/* ---- activation ---- */

typedef struct activation {
    str_t login, code;
    char code_hash[ACTIVATION_HASH_LEN + 1];
    hash_job_t job;
    int64_t person_id; /* set by the write */
    int64_t epoch;
} activation_t;

static void render_activate(request_t *r, int status, const activation_t *a, const char *error)
{
    value_t *v = value_map(&r->arena);
    value_set_str(v, "login", a ? a->login : STR(""));
    value_set_str(v, "code", a ? a->code : STR(""));
    if (error)
        value_set_cstr(v, "error", error);
    page_render(r, status, TPL_activate, v);
}

static void activate_page(request_t *r)
{
    render_activate(r, 200, NULL, NULL);
}

static const char *password_problem_text(request_t *r, password_problem_t p)
{
    switch (p) {
    case PASSWORD_TOO_SHORT: return msg(r, MSG_password_too_short);
    case PASSWORD_TOO_LONG: return msg(r, MSG_password_too_long);
    case PASSWORD_BAD_TEXT: return msg(r, MSG_password_bad_text);
    case PASSWORD_OK: break;
    }
    return NULL;
}

static int activation_write(store_tx_t *tx, void *ud)
{
    activation_t *a = ud;
    int64_t id = person_activate(tx, a->login, a->code_hash, a->job.new_hash);
    if (id <= 0)
        return id < 0 ? (int)id : STORE_CONSTRAINT;
    a->person_id = id;
    return store_int(STORE_TX(tx), "SELECT session_epoch FROM people WHERE id = ?", STORE_ARGS(SA_INT(id)), &a->epoch) ==
                   1
               ? STORE_OK
               : STORE_ERROR;
}

static void activation_written(request_t *r, void *ud, int status)
{
    activation_t *a = ud;
    if (status == STORE_CONSTRAINT) {
        ratelimit_take(r->app->login_failure_limit, a->login, clock_monotonic_ms(), 1.0);
        render_activate(r, 401, a, msg(r, MSG_activate_failed));
        return;
    }
    if (status < 0) {
        render_activate(r, 503, a, msg(r, MSG_error_unavailable));
        return;
    }
    LOG_INFO("account activated", "person=%lld", (long long)a->person_id);
    request_set_session(r, a->person_id, (uint32_t)a->epoch, false);
    respond_redirect(r, 303, STR("/"));
}

static void activation_hashed(request_t *r, hash_job_t *job)
{
    activation_t *a = (activation_t *)((char *)job - offsetof(activation_t, job));
    if (!job->ok) {
        render_activate(r, 503, a, msg(r, MSG_error_unavailable));
        return;
    }
    if (request_store_write(r, activation_write, a, activation_written) != 0)
        render_activate(r, 503, a, msg(r, MSG_error_unavailable));
}

static void activate_submit(request_t *r)
{
    form_t *f = request_form(r);
    if (!f)
        return;
    activation_t *a = ARENA_NEW(&r->arena, activation_t);
    str_t login = form_get(f, "login"), code = form_get(f, "code");
    a->login = login_normalise(&r->arena, login.ptr ? login : STR(""));
    a->code = code.ptr ? code : STR("");
    str_t pw = form_get(f, "password"), confirm = form_get(f, "confirm");
    if (!pw.ptr)
        pw = STR("");
    const char *problem = password_problem_text(r, password_check(pw));
    if (problem) {
        render_activate(r, 400, a, problem);
        return;
    }
    if (!confirm.ptr || !str_eq(pw, confirm)) {
        render_activate(r, 400, a, msg(r, MSG_activate_mismatch));
        return;
    }
    uint64_t now_ms = clock_monotonic_ms();
    unsigned wait = ratelimit_take(r->app->login_ip_limit, str_from(request_client_ip(r)), now_ms, 1.0);
    if (!wait)
        wait = ratelimit_check(r->app->login_failure_limit, a->login, now_ms);
    if (wait) {
        set_retry_after(r, wait);
        render_activate(r, 429, a, msg_n(r, MSG_error_throttled, wait));
        return;
    }
    if (!activation_code_hash(a->code, a->code_hash) || !login_valid(a->login)) {
        ratelimit_take(r->app->login_failure_limit, a->login, now_ms, 1.0);
        render_activate(r, 401, a, msg(r, MSG_activate_failed));
        return;
    }
    a->job.op = HASH_CREATE;
    memcpy(a->job.password, pw.ptr, pw.len);
    a->job.password_len = pw.len;
    if (request_hash(r, &a->job, activation_hashed) != 0) {
        set_retry_after(r, 2);
        render_activate(r, 503, a, msg(r, MSG_error_busy));
    }
}

/* ---- the account page ---- */

static value_t *roles_view(request_t *r, const principal_t *p)
{
    value_t *list = value_list(&r->arena);
    for (int i = 0; i < p->nroles; i++) {
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "label", page_role_label(r, p->roles[i].role));
        value_set_str(m, "school", p->roles[i].school_name);
        value_push(list, m);
    }
    if (p->platform_admin) {
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "label", msg(r, MSG_role_platform_admin));
        value_set_cstr(m, "school", "Cartable");
        value_push(list, m);
    }
    return list;
}

static void render_me(request_t *r, int status, const char *error, const char *notice)
{
    const principal_t *p = request_principal(r);
    value_t *v = value_map(&r->arena);
    value_set(v, "roles", roles_view(r, p));
    if (p->nchildren) {
        value_t *kids = value_set_list(v, "children");
        for (int i = 0; i < p->nchildren; i++) {
            value_t *c = value_map(&r->arena);
            value_set_str(c, "first_name", p->children[i].person.first_name);
            value_set_str(c, "last_name", p->children[i].person.last_name);
            value_set_str(c, "class_name", p->children[i].class_name);
            value_push(kids, c);
        }
    }
    if (error)
        value_set_cstr(v, "error", error);
    if (notice)
        value_set_cstr(v, "notice", notice);
    page_render(r, status, TPL_me, v);
}

static void me_page(request_t *r)
{
    if (!request_require_principal(r))
        return;
    render_me(r, 200, NULL, NULL);
}

typedef struct password_change {
    hash_job_t check;
    hash_job_t create;
    int64_t person_id;
    int64_t epoch;
    bool remember;
} password_change_t;

static int password_write(store_tx_t *tx, void *ud)
{
    password_change_t *pc = ud;
    int rc = person_set_password(tx, pc->person_id, pc->create.new_hash);
    if (rc < 0)
        return rc;
    return store_int(STORE_TX(tx), "SELECT session_epoch FROM people WHERE id = ?", STORE_ARGS(SA_INT(pc->person_id)),
                     &pc->epoch) == 1
               ? STORE_OK
               : STORE_ERROR;
}

static void password_written(request_t *r, void *ud, int status)
{
    password_change_t *pc = ud;
    if (status < 0) {
        render_me(r, 503, msg(r, MSG_error_unavailable), NULL);
        return;
    }
    /* The new epoch ended every session; this device gets a fresh one. */
    request_set_session(r, pc->person_id, (uint32_t)pc->epoch, pc->remember);
    render_me(r, 200, NULL, msg(r, MSG_me_password_changed));
}

static void new_password_hashed(request_t *r, hash_job_t *job)
{
    password_change_t *pc = (password_change_t *)((char *)job - offsetof(password_change_t, create));
    if (!job->ok || request_store_write(r, password_write, pc, password_written) != 0)
        render_me(r, 503, msg(r, MSG_error_unavailable), NULL);
}

static void current_password_checked(request_t *r, hash_job_t *job)
{
    password_change_t *pc = (password_change_t *)((char *)job - offsetof(password_change_t, check));
    if (!job->ok) {
        ratelimit_take(r->app->login_failure_limit, r->principal->login, clock_monotonic_ms(), 1.0);
        render_me(r, 401, msg(r, MSG_me_wrong_password), NULL);
        return;
    }
    if (request_hash(r, &pc->create, new_password_hashed) != 0) {
        set_retry_after(r, 2);
        render_me(r, 503, msg(r, MSG_error_busy), NULL);
    }
}

static void password_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    str_t current = form_get(f, "current"), pw = form_get(f, "password"), confirm = form_get(f, "confirm");
    if (!pw.ptr)
        pw = STR("");
    const char *problem = password_problem_text(r, password_check(pw));
    if (problem) {
        render_me(r, 400, problem, NULL);
        return;
    }
    if (!confirm.ptr || !str_eq(pw, confirm)) {
        render_me(r, 400, msg(r, MSG_activate_mismatch), NULL);
        return;
    }
    if (!current.ptr || current.len > PASSWORD_MAX_BYTES) {
        render_me(r, 401, msg(r, MSG_me_wrong_password), NULL);
        return;
    }
    unsigned wait = ratelimit_check(r->app->login_failure_limit, p->login, clock_monotonic_ms());
    if (wait) {
        set_retry_after(r, wait);
        render_me(r, 429, msg_n(r, MSG_error_throttled, wait), NULL);
        return;
    }
    str_t stored;
    if (person_password_hash(STORE_READER(r->worker->store_reader), &r->arena, p->person_id, &stored) != 1 ||
        !stored.ptr) {
        render_me(r, 401, msg(r, MSG_me_wrong_password), NULL);
        return;
    }
    password_change_t *pc = ARENA_NEW(&r->arena, password_change_t);
    pc->person_id = p->person_id;
    pc->remember = request_session(r)->remember;
    pc->check.op = HASH_VERIFY;
    pc->check.stored_hash = stored.ptr;
    memcpy(pc->check.password, current.ptr, current.len);
    pc->check.password_len = current.len;
    pc->create.op = HASH_CREATE;
    memcpy(pc->create.password, pw.ptr, pw.len);
    pc->create.password_len = pw.len;
    if (request_hash(r, &pc->check, current_password_checked) != 0) {
        set_retry_after(r, 2);
        render_me(r, 503, msg(r, MSG_error_busy), NULL);
    }
}

static void logout_everywhere_submit(request_t *r)
{
    if (!request_require_principal(r))
        return;
    if (!request_form(r))
        return;
    logout_start(r, true, logout_done);
}

/* ---- the child a parent follows ---- */

static void child_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    int64_t child = 0;
    str_t c = form_get(f, "child");
    if (!c.ptr || !str_to_i64(c, &child)) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return;
    }
    policy_target_t t = {.person_id = child};
    if (!policy_allows(p, POLICY_ACT_FOR_CHILD, &t)) {
        respond_forbidden(r);
        return;
    }
    buf_t cookie;
    buf_init(&cookie, &r->arena, 96);
    cookie_attrs_t attrs = {.path = "/", .http_only = true, .secure = r->app->config->secure_cookies,
                            .same_site = COOKIE_SAMESITE_LAX};
    cookie_format(&cookie, STR("child"), c, &attrs);
    response_set_cookie(r, buf_str(&cookie));
    respond_redirect(r, 303, page_safe_next(form_get(f, "next"), STR("/")));
}

int account_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/login", HANDLER(login_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/login", HANDLER(login_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/logout", HANDLER(logout_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/activate", HANDLER(activate_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/activate", HANDLER(activate_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/me", HANDLER(me_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/me/password", HANDLER(password_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/me/logout-everywhere", HANDLER(logout_everywhere_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/child", HANDLER(child_submit), NULL, 0, err, errlen))
        return -1;
    return 0;
}
