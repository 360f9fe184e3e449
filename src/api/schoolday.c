/* The school day in JSON: a pupil's today, week and homework, a teacher's
 * lessons and timetable changes, the OpenAPI document of the whole API. Same
 * policy and validation as the pages (web/schoolday.c, web/notebook.c). */
#include <string.h>

#include "api/api.h"
#include "auth/policy.h"
#include "domain/timetable.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/negotiate.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/schoolday.h"
#include "web/template.h"

/* src/api/openapi.json, embedded at build time (tools/embed.c). */
typedef struct embedded_file {
    const char *name;
    const char *text;
    size_t len;
} embedded_file_t;
extern const embedded_file_t api_documents[];

static void unavailable(request_t *r) { respond_error(r, 503, MSG_error_unavailable, NULL); }

static bool date_query(request_t *r, const char *name, date_t *out)
{
    str_t q = request_query(r, name);
    if (!q.ptr || !q.len)
        return true;
    if (date_parse_iso(q, out))
        return true;
    buf_t detail;
    buf_init(&detail, &r->arena, 64);
    const char *args[1] = {name};
    i18n_format(&detail, (lang_id_t)r->lang, MSG_input_bad_date, args, 1);
    respond_error(r, 400, MSG_error_bad_input, detail.data);
    return false;
}

static void api_today(request_t *r)
{
    const learner_t *l = request_learner(r);
    if (!l)
        return;
    date_t day = date_today();
    if (!date_query(r, "date", &day))
        return;
    learner_day_t d;
    if (learner_day_load(r, l, day, &d) < 0) {
        unavailable(r);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_int(root, "pupil", l->pupil_id);
    char iso[11];
    date_format_iso(day, iso);
    value_set_cstr(root, "date", arena_strdup(&r->arena, iso));
    value_t *lessons = value_set_list(root, "lessons");
    for (int i = 0; i < d.nentries; i++)
        if (date_compare(d.entries[i].on, day) == 0)
            value_push(lessons, entry_value(r, &d.entries[i]));
    value_t *hw = value_set_list(root, "homework");
    date_t until = date_add_days(day, 7);
    for (int i = 0; i < d.nhomework; i++)
        if (date_compare(d.homework[i].due_on, until) <= 0)
            value_push(hw, homework_value(r, &d.homework[i]));
    respond_json(r, 200, root);
}

static void api_timetable(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    date_t day = date_today();
    if (!date_query(r, "week", &day))
        return;
    date_t monday = date_monday(day);
    store_src_t src = STORE_READER(r->worker->store_reader);
    teaching_t *t = NULL;
    int n = 0;
    int64_t school = 0;
    value_t *root = value_map(&r->arena);
    if (p->nlearners || request_query(r, "pupil").ptr) {
        const learner_t *l = request_learner(r);
        if (!l)
            return;
        n = teaching_of_pupil(src, &r->arena, l->class_id, l->groups, l->ngroups, &t);
        school = l->school_id;
        value_set_int(root, "pupil", l->pupil_id);
    } else if (principal_has_any_role(p, ROLE_TEACHER)) {
        n = teaching_of_teacher(src, &r->arena, p->person_id, &t);
        school = n > 0 ? t[0].school_id : 0;
        value_set_int(root, "teacher", p->person_id);
    }
    timetable_entry_t *e = NULL;
    if (n > 0)
        n = timetable_range(src, &r->arena, school, t, n, monday, 7, &e);
    if (n < 0) {
        unavailable(r);
        return;
    }
    char iso[11];
    date_format_iso(monday, iso);
    value_set_cstr(root, "week", arena_strdup(&r->arena, iso));
    value_t *list = value_set_list(root, "lessons");
    for (int i = 0; i < n; i++)
        value_push(list, entry_value(r, &e[i]));
    respond_json(r, 200, root);
}

static void api_homework(request_t *r)
{
    const learner_t *l = request_learner(r);
    if (!l)
        return;
    date_t from = date_today();
    if (!date_query(r, "from", &from))
        return;
    learner_day_t d;
    if (learner_day_load(r, l, from, &d) < 0) {
        unavailable(r);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_int(root, "pupil", l->pupil_id);
    value_t *hw = value_set_list(root, "homework");
    for (int i = 0; i < d.nhomework; i++)
        value_push(hw, homework_value(r, &d.homework[i]));
    respond_json(r, 200, root);
}

/* POST /api/v1/teaching/{id}/timetable-changes:
 * {"slot": 12, "date": "2026-11-23", "kind": "cancelled", "note": "..."}
 * {"date": "...", "kind": "extra", "starts": "14:00", "ends": "15:00", "room": "B12"} */
typedef struct change_job {
    teaching_t teaching;
    timetable_change_t change;
    int64_t by, id;
    char err[160];
} change_job_t;

static int change_write(store_tx_t *tx, void *ud)
{
    change_job_t *j = ud;
    return timetable_change_add(tx, &j->teaching, &j->change, j->by, &j->id, j->err, sizeof j->err);
}

static void change_done(request_t *r, void *ud, int status)
{
    change_job_t *j = ud;
    if (status == TIMETABLE_INVALID) {
        respond_error(r, 400, MSG_error_bad_input, j->err);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_int(v, "id", j->id);
    value_set_int(v, "teaching", j->teaching.id);
    value_set_cstr(v, "kind", lesson_status_code(j->change.kind));
    respond_json(r, 201, v);
}

static str_t json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? str_make(json_string_value(v), json_string_length(v)) : STR_NULL;
}

static void api_change(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    change_job_t *j = arena_alloc(&r->arena, sizeof *j);
    memset(j, 0, sizeof *j);
    int rc = teaching_get(STORE_READER(r->worker->store_reader), &r->arena, request_param_int(r, "id"), &j->teaching);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    policy_target_t t = policy_target_of_teaching(&j->teaching);
    if (!policy_allows(p, POLICY_TEACHING_WRITE, &t)) {
        respond_forbidden(r);
        return;
    }
    static const struct {
        const char *code;
        lesson_status_t kind;
    } kinds[] = {{"cancelled", LESSON_CANCELLED}, {"teacher_absent", LESSON_TEACHER_ABSENT},
                 {"room_change", LESSON_ROOM_CHANGED}, {"moved", LESSON_MOVED}, {"extra", LESSON_EXTRA}};
    str_t kind = json_str(body, "kind");
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kind.ptr && str_eq_cstr(kind, kinds[i].code)) {
            j->change.kind = kinds[i].kind;
            known = true;
        }
    if (!known) {
        respond_error(r, 400, MSG_error_bad_input, "kind: cancelled, teacher_absent, room_change, moved or extra");
        return;
    }
    str_t date = json_str(body, "date");
    if (!date.ptr || !date_parse_iso(date, &j->change.on)) {
        respond_error(r, 400, MSG_error_bad_input, "date: YYYY-MM-DD");
        return;
    }
    json_t *slot = json_object_get(body, "slot");
    if (slot && !json_is_integer(slot)) {
        respond_error(r, 400, MSG_error_bad_input, "slot: a slot id");
        return;
    }
    j->change.slot_id = slot ? json_integer_value(slot) : 0;
    str_t starts = json_str(body, "starts"), ends = json_str(body, "ends");
    j->change.starts_min = starts.ptr ? timetable_parse_time(starts) : -1;
    j->change.ends_min = ends.ptr ? timetable_parse_time(ends) : -1;
    if ((starts.ptr && j->change.starts_min < 0) || (ends.ptr && j->change.ends_min < 0)) {
        respond_error(r, 400, MSG_error_bad_input, "starts, ends: HH:MM");
        return;
    }
    j->change.room = json_str(body, "room");
    j->change.note = json_str(body, "note");
    if (!j->change.room.ptr)
        j->change.room = STR("");
    if (!j->change.note.ptr)
        j->change.note = STR("");
    j->by = p->person_id;
    if (request_store_write(r, change_write, j, change_done) != 0)
        unavailable(r);
}

static void api_openapi(request_t *r)
{
    response_header_cstr(r, "cache-control", "public, max-age=3600");
    respond_static(r, 200, "application/json", api_documents[0].text, api_documents[0].len);
}

int schoolday_api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1/today", HANDLER(api_today), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/timetable", HANDLER(api_timetable), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/homework", HANDLER(api_homework), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/teaching/{id:int}/timetable-changes", HANDLER(api_change), NULL,
                    ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/openapi.json", HANDLER(api_openapi), NULL, ROUTE_API, err, errlen))
        return -1;
    return 0;
}
