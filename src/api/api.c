#include "api/api.h"

#include "domain/school.h"
#include "http/negotiate.h"
#include "http/response.h"
#include "http/worker.h"
#include "web_generated.h"

#ifndef CARTABLE_VERSION
#define CARTABLE_VERSION "dev"
#endif

/* Every API handler starts here: a client that cannot take JSON is told so. */
static bool accepts_json(request_t *r)
{
    if (accept_allows_json(request_header(r, "accept")))
        return true;
    respond_error(r, 406, MSG_error_not_acceptable, NULL);
    return false;
}

static void api_index(request_t *r)
{
    if (!accepts_json(r))
        return;
    value_t *root = value_map(&r->arena);
    value_set_cstr(root, "name", "cartable");
    value_set_cstr(root, "version", CARTABLE_VERSION);
    value_t *links = value_set_map(root, "links");
    value_set_cstr(links, "schools", "/api/v1/schools");
    value_set_cstr(links, "login", "/api/v1/login");
    value_set_cstr(links, "me", "/api/v1/me");
    value_set_cstr(links, "today", "/api/v1/today");
    value_set_cstr(links, "timetable", "/api/v1/timetable");
    value_set_cstr(links, "homework", "/api/v1/homework");
    value_set_cstr(links, "grades", "/api/v1/grades");
    value_set_cstr(links, "attendance", "/api/v1/attendance");
    value_set_cstr(links, "news", "/api/v1/news");
    value_set_cstr(links, "conversations", "/api/v1/conversations");
    value_set_cstr(links, "contacts", "/api/v1/contacts");
    value_set_cstr(links, "notifications", "/api/v1/notifications");
    value_set_cstr(links, "openapi", "/api/v1/openapi.json");
    respond_json(r, 200, root);
}

static value_t *school_json(arena_t *a, const school_t *s)
{
    value_t *v = value_map(a);
    value_set_int(v, "id", s->id);
    value_set_str(v, "uai", s->uai);
    value_set_str(v, "name", s->name);
    value_set_str(v, "kind", s->kind);
    value_set_str(v, "city", s->city);
    value_set_str(v, "timezone", s->timezone);
    value_set_bool(v, "demo", s->is_demo);
    return v;
}

static void api_schools(request_t *r)
{
    if (!accepts_json(r))
        return;
    school_t *schools;
    int n = school_list(r->worker->store_reader, &r->arena, &schools);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_t *list = value_set_list(root, "schools");
    for (int i = 0; i < n; i++)
        value_push(list, school_json(&r->arena, &schools[i]));
    respond_json(r, 200, root);
}

static void api_school(request_t *r)
{
    if (!accepts_json(r))
        return;
    school_t s;
    int rc = school_get(r->worker->store_reader, &r->arena, request_param_int(r, "id"), &s);
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    respond_json(r, 200, school_json(&r->arena, &s));
}

int api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1", HANDLER(api_index), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/schools", HANDLER(api_schools), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/schools/{id:int}", HANDLER(api_school), NULL, ROUTE_API, err, errlen))
        return -1;
    return 0;
}
