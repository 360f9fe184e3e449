/* The waiting room: the gate every page and API call passes, its page, and the
 * operators' view of the line. */
#include "web/waiting.h"

#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "edge/admission.h"
#include "domain/urgency.h"
#include "edge/ratelimit.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/server.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/template.h"

#define TICKET_COOKIE "wr"
#define ADMISSION_COOKIE "adm"

static uint64_t now_ms(void)
{
    return clock_now_ms();
}

/* "moins d'une minute", "environ 4 min". */
static const char *wait_label(request_t *r, uint64_t seconds)
{
    if (seconds < 60)
        return i18n_text((lang_id_t)r->lang, MSG_waiting_seconds);
    buf_t b;
    buf_init(&b, &r->arena, 32);
    char minutes[24];
    snprintf(minutes, sizeof minutes, "%llu", (unsigned long long)((seconds + 59) / 60));
    const char *args[1] = {minutes};
    i18n_format(&b, (lang_id_t)r->lang, MSG_waiting_minutes, args, 1);
    buf_putc(&b, '\0');
    return b.data;
}

/* How soon the page looks again: often enough to move up the line in small
 * steps, seldom enough that waiting costs the server next to nothing. */
static unsigned refresh_seconds(uint64_t wait)
{
    uint64_t s = wait / 4;
    return (unsigned)(s < 2 ? 2 : s > 10 ? 10 : s);
}

static void waiting_headers(request_t *r, const admission_answer_t *a, unsigned refresh)
{
    response_header_cstr(r, "x-waiting-room", arena_printf(&r->arena, "position=%llu; wait=%llu",
                                                            (unsigned long long)a->position,
                                                            (unsigned long long)a->wait_seconds));
    response_header_cstr(r, "cache-control", "no-store");
    response_header_cstr(r, "retry-after", arena_printf(&r->arena, "%u", refresh));
}

static void answer_waiting(request_t *r, const admission_answer_t *a, const char *notice)
{
    unsigned refresh = refresh_seconds(a->wait_seconds);
    waiting_headers(r, a, refresh);
    if (r->is_api) {
        value_t *root = value_map(&r->arena);
        value_t *e = value_set_map(root, "error");
        value_set_cstr(e, "code", "waiting_room");
        value_set_cstr(e, "message", i18n_text((lang_id_t)r->lang, MSG_waiting_title));
        value_set_int(e, "position", (int64_t)a->position);
        value_set_int(e, "estimated_wait_seconds", (int64_t)a->wait_seconds);
        value_set_int(e, "retry_after_seconds", refresh);
        respond_json(r, 503, root);
        return;
    }
    response_header_cstr(r, "refresh", arena_printf(&r->arena, "%u", refresh));
    value_t *site = value_map(&r->arena);
    value_set_cstr(site, "lang", i18n_lang_code((lang_id_t)r->lang));
    value_t *v = value_map(&r->arena);
    value_set_int(v, "refresh", refresh);
    value_set_cstr(v, "position", arena_printf(&r->arena, "%llu", (unsigned long long)a->position));
    value_set_cstr(v, "wait", wait_label(r, a->wait_seconds));
    /* the same address again: a GET, or the page the form was on */
    bool get = str_eq_cstr(request_method(r), "GET") || str_eq_cstr(request_method(r), "HEAD");
    value_set_str(v, "here", get ? str_make(r->h2o->path.base, r->h2o->path.len) : STR("/"));
    if (notice)
        value_set_cstr(v, "notice", notice);
    if (r->app->config->admission_priority) {
        value_set_bool(v, "priority", true);
        value_set_cstr(v, "csrf", request_csrf_token(r));
    }
    buf_t out;
    buf_init(&out, &r->arena, 2048);
    tpl_render(&out, TPL_waiting_page, site, v, (lang_id_t)r->lang);
    response_header_cstr(r, "content-language", i18n_lang_code((lang_id_t)r->lang));
    respond_body(r, 200, "text/html; charset=utf-8", buf_str(&out));
}

bool waiting_gate(request_t *r)
{
    const app_t *app = r->app;
    uint64_t now = now_ms();
    /* a signed-in person: within their fair share of requests */
    const session_t *session = request_session(r);
    if (session) {
        char key[24];
        int n = snprintf(key, sizeof key, "p:%lld", (long long)session->person_id);
        unsigned wait = ratelimit_take(app->account_limit, str_make(key, (size_t)n), now, 1.0);
        if (wait != 0) {
            response_header_cstr(r, "retry-after", arena_printf(&r->arena, "%u", wait));
            respond_error(r, 429, MSG_error_too_many_requests, NULL);
            return false;
        }
    }
    if (!admission_enabled(app->admission))
        return true;
    /* inside: admitted within the window (never turned out mid-work) */
    const session_keys_t *keys = app_session_keys(app);
    str_t adm = request_cookie(r, ADMISSION_COOKIE);
    if (adm.len && admission_valid(keys, adm, now))
        return true;
    /* A session from another day is not an admission: resuming it at 8:30 is
     * arriving at 8:30. But someone signed in with a lesson or a hand-in within
     * the hour comes in first. */
    if (session && app->config->admission_priority) {
        const principal_t *p = request_principal(r);
        if (p && urgency_now(r->worker->store_reader, &r->arena, p, clock_now()) == 1) {
            admission_answer_t first;
            admission_grant(app->admission, keys, now, &first);
            request_set_cookie(r, ADMISSION_COOKIE, str_from(arena_strdup(&r->arena, first.admission)),
                               (int64_t)(app->config->admission_window_ms / 1000));
            return true;
        }
    }
    str_t ip = str_from(request_client_ip(r));
    bool may_issue = ratelimit_check(app->ticket_ip_limit, ip, now) == 0;
    admission_answer_t a;
    if (admission_enter(app->admission, keys, request_cookie(r, TICKET_COOKIE), may_issue, now, &a) != 0) {
        unsigned wait = ratelimit_check(app->ticket_ip_limit, ip, now);
        response_header_cstr(r, "retry-after", arena_printf(&r->arena, "%u", wait ? wait : 1));
        respond_error(r, 429, MSG_waiting_too_many, NULL);
        return false;
    }
    /* an address's allowance pays for every entry without a ticket: clients that
     * drop cookies cannot use up the places of those who keep them */
    if (a.immediate || a.new_ticket)
        ratelimit_take(app->ticket_ip_limit, ip, now, 1.0);
    if (a.verdict == ADMIT_NOW) {
        uint64_t window_s = app->config->admission_window_ms / 1000;
        request_set_cookie(r, ADMISSION_COOKIE, str_from(arena_strdup(&r->arena, a.admission)), (int64_t)window_s);
        if (request_cookie(r, TICKET_COOKIE).ptr)
            request_set_cookie(r, TICKET_COOKIE, STR("gone"), -1);
        return true;
    }
    if (a.new_ticket) {
        request_set_cookie(r, TICKET_COOKIE, str_from(arena_strdup(&r->arena, a.ticket)),
                           (int64_t)(app->config->admission_ticket_ttl_ms / 1000));
    }
    answer_waiting(r, &a, NULL);
    return false;
}

/* ---- the priority lane: what cannot wait an hour comes in at once ---- */

static int accept_urgent(request_t *r, int64_t person_id)
{
    const principal_t *p = principal_cache_get(&r->worker->principals, r->app->store, r->worker->store_reader,
                                               person_id);
    if (!p)
        return -1;
    int rc = urgency_now(r->worker->store_reader, &r->arena, p, clock_now());
    if (rc < 0)
        return rc;
    LOG_INFO(rc ? "priority lane: let in" : "priority lane: nothing urgent", "person=%lld", (long long)person_id);
    return rc ? 0 : 1;
}

/* Back to the line, where one's ticket still holds their place, with a word on why. */
static void back_in_line(request_t *r, msg_id_t why)
{
    const app_t *app = r->app;
    admission_answer_t a;
    uint64_t now = now_ms();
    str_t ip = str_from(request_client_ip(r));
    bool may_issue = ratelimit_check(app->ticket_ip_limit, ip, now) == 0;
    if (admission_enter(app->admission, app_session_keys(app), request_cookie(r, TICKET_COOKIE), may_issue, now,
                        &a) != 0 ||
        a.verdict == ADMIT_NOW) {
        /* no place to show (or their turn came meanwhile): the sign-in page */
        if (a.verdict == ADMIT_NOW)
            request_set_cookie(r, ADMISSION_COOKIE, str_from(arena_strdup(&r->arena, a.admission)),
                               (int64_t)(app->config->admission_window_ms / 1000));
        respond_redirect(r, 303, STR("/login"));
        return;
    }
    if (a.new_ticket)
        request_set_cookie(r, TICKET_COOKIE, str_from(arena_strdup(&r->arena, a.ticket)),
                           (int64_t)(app->config->admission_ticket_ttl_ms / 1000));
    answer_waiting(r, &a, i18n_text((lang_id_t)r->lang, why));
}

static void priority_done(request_t *r, login_outcome_t outcome, unsigned retry_after)
{
    (void)retry_after;
    switch (outcome) {
    case LOGIN_OK:
        respond_redirect(r, 303, STR("/"));
        return;
    case LOGIN_NOT_ACCEPTED:
        back_in_line(r, MSG_waiting_not_urgent);
        return;
    case LOGIN_BAD_CREDENTIALS:
    case LOGIN_BAD_INPUT:
        back_in_line(r, MSG_waiting_bad_credentials);
        return;
    case LOGIN_THROTTLED:
    case LOGIN_BUSY:
    case LOGIN_ERROR:
        back_in_line(r, MSG_waiting_lane_busy);
        return;
    }
}

static void priority_submit(request_t *r)
{
    const app_t *app = r->app;
    if (!app->config->admission_priority || request_session(r)) {
        respond_redirect(r, 303, STR("/"));
        return;
    }
    form_t *f = request_form(r);
    if (!f)
        return;
    /* each try costs a password check: the lane has its own small budget */
    if (ratelimit_take(app->priority_limit, STR("lane"), now_ms(), 1.0) != 0) {
        back_in_line(r, MSG_waiting_lane_busy);
        return;
    }
    str_t login = form_get(f, "login"), password = form_get(f, "password");
    login_start_if(r, login.ptr ? login : STR(""), password.ptr ? password : STR(""), false, accept_urgent,
                   priority_done);
}

/* ---- the operators' page ---- */

static void admission_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    policy_target_t t = policy_target_school(0);
    if (!policy_allows(p, POLICY_OPERATE, &t)) {
        respond_forbidden(r);
        return;
    }
    admission_stats_t s;
    admission_stats(r->app->admission, &s);
    value_t *v = value_map(&r->arena);
    value_set_cstr(v, "state", i18n_text((lang_id_t)r->lang, admission_enabled(r->app->admission) ? MSG_waiting_admin_on
                                                                                                   : MSG_waiting_admin_off));
    value_set_int(v, "waiting", (int64_t)s.waiting);
    value_set_cstr(v, "rate", arena_printf(&r->arena, "%.1f", s.rate));
    value_set_cstr(v, "wait", wait_label(r, (uint64_t)s.estimated_wait_s));
    value_set_int(v, "admitted_now", (int64_t)s.admitted_now);
    value_set_int(v, "admitted_from_line", (int64_t)s.admitted_from_line);
    value_set_int(v, "tickets", (int64_t)s.tickets);
    value_set_int(v, "refused", (int64_t)s.refused_tickets);
    value_set_int(v, "bad", (int64_t)s.bad_tickets);
    value_set_int(v, "expired", (int64_t)s.expired_tickets);
    response_header_cstr(r, "refresh", "2"); /* live, with no script */
    page_render(r, 200, TPL_waiting_admin, v);
}

int waiting_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/admin/admission", HANDLER(admission_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/waiting/priority", HANDLER(priority_submit), NULL, ROUTE_OPEN, err, errlen))
        return -1;
    return 0;
}
