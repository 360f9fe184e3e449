/* The live-class API: the caller's live classes, and scheduling one. The same
 * rules as the pages (web/liveclass.c). */
#include <string.h>

#include "api/api.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "live/hub.h"
#include "web/liveclass.h"

static value_t *item_json(request_t *r, const principal_t *p, const live_class_t *lc)
{
    const config_t *cfg = r->app->config;
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", lc->id);
    value_set_str(m, "title", lc->title);
    value_set_int(m, "teaching_id", lc->teaching_id);
    value_set_str(m, "subject", lc->teaching.subject_name);
    value_set_str(m, "target", lc->teaching.target_name);
    value_set_str(m, "teacher", lc->teaching.teacher_name);
    value_set_int(m, "starts_at", lc->starts_at);
    value_set_int(m, "ends_at", lc->ends_at);
    if (lc->slot_id)
        value_set_int(m, "slot_id", lc->slot_id);
    value_set_bool(m, "cancelled", lc->cancelled_at != 0);
    value_set_bool(m, "joinable", live_joinable_now(cfg, lc, clock_now()));
    value_set_cstr(m, "room_url", arena_printf(&r->arena, "/live/%lld", (long long)lc->id));
    value_set_cstr(m, "socket_url", arena_printf(&r->arena, "/live/%lld/socket", (long long)lc->id));
    policy_target_t t = policy_target_of_teaching(&lc->teaching);
    if (policy_allows(p, POLICY_LIVE_HOST, &t))
        value_set_cstr(m, "guest_url",
                       arena_printf(&r->arena, "/live/guest/%.*s", (int)lc->guest_key.len, lc->guest_key.ptr));
    return m;
}

static void api_live_list(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    live_class_t *lc;
    teaching_t *hosted;
    int nh = 0;
    int n = liveclass_for_person(r, p, &lc, &hosted, &nh);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_t *list = value_set_list(root, "live_classes");
    for (int i = 0; i < n; i++)
        value_push(list, item_json(r, p, &lc[i]));
    respond_json(r, 200, root);
}

typedef struct api_sched {
    live_draft_t draft;
    teaching_t teaching;
    int64_t id;
    live_problem_t problem;
} api_sched_t;

static int sched_write(store_tx_t *tx, void *ud)
{
    api_sched_t *j = ud;
    return liveclass_schedule(tx, &j->draft, &j->teaching, &j->id, &j->problem);
}

static void sched_written(request_t *r, void *ud, int status)
{
    api_sched_t *j = ud;
    if (status == LIVE_INVALID) {
        respond_error(r, 400, liveclass_problem_msg(j->problem), liveclass_problem_code(j->problem));
        return;
    }
    live_class_t lc;
    if (status < 0 || liveclass_get(STORE_READER(r->worker->store_reader), &r->arena, j->id, &lc) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("live class scheduled", "live=%lld teaching=%lld starts=%lld by=%lld", (long long)j->id,
             (long long)j->teaching.id, (long long)j->draft.starts_at, (long long)j->draft.by);
    response_header(r, "location", str_from(arena_printf(&r->arena, "/live/%lld", (long long)j->id)));
    respond_json(r, 201, item_json(r, r->principal, &lc));
}

static void api_live_create(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    static const char shape[] = "expected {\"teaching_id\": id, \"starts_at\": Unix seconds, \"minutes\": integer, "
                                "\"title\": string, \"slot_id\": id (optional)}";
    json_t *tid = json_object_get(body, "teaching_id"), *at = json_object_get(body, "starts_at");
    json_t *min = json_object_get(body, "minutes"), *title = json_object_get(body, "title");
    json_t *slot = json_object_get(body, "slot_id");
    if (!json_is_object(body) || !json_is_integer(tid) || !json_is_integer(at) || !json_is_integer(min) ||
        !json_is_string(title) || (slot && !json_is_integer(slot) && !json_is_null(slot))) {
        respond_error(r, 400, MSG_error_bad_input, shape);
        return;
    }
    api_sched_t *j = ARENA_NEW(&r->arena, api_sched_t);
    int status = 0;
    if (!liveclass_prepare(r, p, json_integer_value(tid), &j->draft, &j->teaching, &status)) {
        if (status == 403)
            respond_forbidden(r);
        else
            respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    json_int_t minutes = json_integer_value(min);
    j->draft.title = (str_t){json_string_value(title), json_string_length(title)};
    j->draft.starts_at = json_integer_value(at);
    j->draft.minutes = minutes < 0 || minutes > 100000 ? -1 : (int)minutes;
    j->draft.slot_id = json_is_integer(slot) ? json_integer_value(slot) : 0;
    live_problem_t problem = liveclass_check(&j->draft);
    if (problem != LIVE_OK) {
        respond_error(r, 400, liveclass_problem_msg(problem), liveclass_problem_code(problem));
        return;
    }
    if (request_store_write(r, sched_write, j, sched_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

int liveclass_api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1/live-classes", HANDLER(api_live_list), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/live-classes", HANDLER(api_live_create), NULL, ROUTE_API, err, errlen))
        return -1;
    return 0;
}
