/* The API's sign-in, sign-out and "who am I". */
#include <string.h>

#include "api/api.h"
#include "auth/principal.h"
#include "domain/school.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web_generated.h"

static value_t *me_json(request_t *r, const principal_t *p)
{
    arena_t *a = &r->arena;
    value_t *v = value_map(a);
    value_set_int(v, "id", p->person_id);
    value_set_str(v, "login", p->login);
    value_set_str(v, "first_name", p->first_name);
    value_set_str(v, "last_name", p->last_name);
    int main_role = principal_main_role(p);
    value_set_cstr(v, "role", p->platform_admin ? "platform_admin" : main_role >= 0 ? role_code((role_t)main_role) : "");
    value_t *roles = value_set_list(v, "roles");
    for (int i = 0; i < p->nroles; i++) {
        value_t *m = value_map(a);
        value_set_int(m, "school_id", p->roles[i].school_id);
        value_set_str(m, "school", p->roles[i].school_name);
        value_set_cstr(m, "role", role_code(p->roles[i].role));
        value_push(roles, m);
    }
    school_t s;
    int64_t sid = principal_main_school(p);
    if (sid && school_get(r->worker->store_reader, a, sid, &s) == 1) {
        value_t *sv = value_set_map(v, "school");
        value_set_int(sv, "id", s.id);
        value_set_str(sv, "uai", s.uai);
        value_set_str(sv, "name", s.name);
    } else {
        value_set(v, "school", value_null(a));
    }
    if (principal_has_any_role(p, ROLE_PARENT)) {
        value_t *kids = value_set_list(v, "children");
        for (int i = 0; i < p->nchildren; i++) {
            const child_info_t *c = &p->children[i];
            value_t *m = value_map(a);
            value_set_int(m, "id", c->person.id);
            value_set_str(m, "first_name", c->person.first_name);
            value_set_str(m, "last_name", c->person.last_name);
            value_set_str(m, "class", c->class_name);
            value_set_int(m, "school_id", c->school_id);
            value_set_str(m, "school", c->school_name);
            value_push(kids, m);
        }
    }
    /* Cookie-authenticated writes send it back in X-CSRF-Token. */
    value_set_cstr(v, "csrf_token", request_csrf_token(r));
    return v;
}

static void login_done(request_t *r, login_outcome_t outcome, unsigned retry_after)
{
    switch (outcome) {
    case LOGIN_OK:
        respond_json(r, 200, me_json(r, r->principal));
        return;
    case LOGIN_BAD_CREDENTIALS:
        respond_error(r, 401, MSG_error_bad_credentials, NULL);
        return;
    case LOGIN_THROTTLED:
    case LOGIN_BUSY:
        response_header(r, "retry-after", str_from(arena_printf(&r->arena, "%u", retry_after ? retry_after : 1)));
        respond_error(r, outcome == LOGIN_BUSY ? 503 : 429,
                      outcome == LOGIN_BUSY ? MSG_error_busy : MSG_error_too_many_attempts,
                      arena_printf(&r->arena, "retry after %u s", retry_after ? retry_after : 1));
        return;
    case LOGIN_BAD_INPUT:
        respond_error(r, 400, MSG_error_bad_input, "\"login\" and \"password\" are required");
        return;
    case LOGIN_ERROR:
    case LOGIN_NOT_ACCEPTED: /* never asked for here */
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
}

static void api_login(request_t *r)
{
    json_t *body = request_json(r);
    if (!body)
        return;
    json_t *login = json_object_get(body, "login"), *password = json_object_get(body, "password");
    json_t *remember = json_object_get(body, "remember");
    if (!json_is_object(body) || !json_is_string(login) || !json_is_string(password) ||
        (remember && !json_is_boolean(remember))) {
        respond_error(r, 400, MSG_error_bad_input,
                      "expected {\"login\": string, \"password\": string, \"remember\": boolean (optional)}");
        return;
    }
    str_t l = {json_string_value(login), json_string_length(login)};
    str_t p = {json_string_value(password), json_string_length(password)};
    if (text_check(l.ptr, l.len) != TEXT_OK || text_check(p.ptr, p.len) != TEXT_OK) {
        respond_error(r, 400, MSG_error_bad_input, "login and password must be text");
        return;
    }
    /* jansson's strings live as long as the JSON, which the request arena holds. */
    login_start(r, l, p, remember && json_is_true(remember), login_done);
}

static void logout_done(request_t *r, int status)
{
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    respond_no_content(r, 204);
}

static void api_logout(request_t *r)
{
    if (!request_json(r))
        return;
    logout_start(r, false, logout_done);
}

static void api_me(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    respond_json(r, 200, me_json(r, p));
}

int api_auth_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "POST", "/api/v1/login", HANDLER(api_login), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/logout", HANDLER(api_logout), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/me", HANDLER(api_me), NULL, ROUTE_API, err, errlen))
        return -1;
    return 0;
}
