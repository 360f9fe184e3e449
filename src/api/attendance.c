/* The attendance API: a pupil's absences, a teacher's lessons of the day, the
 * roll call of a lesson (read and replace), justification and review, a school's
 * day. The same policy questions as the pages (web/attendance.c). */
#include <string.h>

#include "api/api.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/attendance.h"
#include "domain/school.h"
#include "domain/timetable.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/attendance.h"

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

static const char *iso(request_t *r, date_t d)
{
    char *out = arena_alloc(&r->arena, 11);
    date_format_iso(d, out);
    return out;
}

static const char *hhmm(request_t *r, int minutes)
{
    char *out = arena_alloc(&r->arena, 6);
    timetable_format_time(minutes, out);
    return out;
}

static bool found_and_allowed(request_t *r, int rc, const principal_t *p, policy_action_t action,
                              const policy_target_t *t)
{
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return false;
    }
    if (!policy_allows(p, action, t)) {
        respond_forbidden(r);
        return false;
    }
    return true;
}

static void refuse(request_t *r, attendance_problem_t problem)
{
    respond_error(r, attendance_problem_status(problem), attendance_problem_msg(problem),
                  attendance_problem_code(problem));
}

static value_t *absence_json(request_t *r, const absence_t *x)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", x->id);
    value_t *pv = value_set_map(m, "pupil");
    value_set_int(pv, "id", x->pupil_id);
    value_set_str(pv, "name", x->pupil_name);
    value_set_str(m, "class", x->class_name);
    value_set_cstr(m, "date", iso(r, x->on));
    value_set_cstr(m, "start", hhmm(r, x->starts_min));
    value_set_cstr(m, "end", hhmm(r, x->ends_min));
    value_set_str(m, "subject", x->subject_name);
    value_set_cstr(m, "kind", attendance_mark_code(x->kind));
    value_set_int(m, "minutes_late", x->minutes_late);
    value_set_cstr(m, "status", absence_status_code(x->status));
    value_set_str(m, "reason", x->reason);
    if (x->roll_call_id)
        value_set_int(m, "roll_call_id", x->roll_call_id);
    else
        value_set(m, "roll_call_id", value_null(&r->arena));
    return m;
}

static bool query_day(request_t *r, date_t *out)
{
    *out = date_today();
    str_t s = request_query(r, "date");
    if (!request_query_valid(r) || (s.ptr && s.len && !date_parse_iso(s, out))) {
        refuse(r, ATT_BAD_DATE);
        return false;
    }
    return true;
}

/* ---- a pupil's absences ---- */

static void api_pupil_attendance(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    str_t s = request_query(r, "pupil");
    int64_t pupil = 0;
    if (s.ptr) {
        if (!str_to_i64(s, &pupil) || pupil <= 0) {
            respond_error(r, 400, MSG_error_bad_input, "\"pupil\" must be a person id");
            return;
        }
    } else if (principal_learner(p, p->person_id)) {
        pupil = p->person_id;
    } else if (!(pupil = request_current_child(r))) {
        respond_error(r, 400, MSG_error_bad_input, "\"pupil\" is required");
        return;
    }
    policy_target_t t;
    int rc = policy_target_person(reader(r), &r->arena, pupil, &t);
    if (!found_and_allowed(r, rc, p, POLICY_PUPIL_RECORD, &t))
        return;
    person_t person;
    absence_t *list;
    attendance_totals_t tot;
    int n;
    if (person_get(STORE_READER(reader(r)), &r->arena, pupil, &person) != 1 ||
        (n = attendance_of_pupil(STORE_READER(reader(r)), &r->arena, pupil, &list, &tot)) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_t *pv = value_set_map(root, "pupil");
    value_set_int(pv, "id", person.id);
    value_set_str(pv, "first_name", person.first_name);
    value_set_str(pv, "last_name", person.last_name);
    value_t *tv = value_set_map(root, "totals");
    value_set_int(tv, "absences", tot.absences);
    value_set_int(tv, "half_days", tot.half_days);
    value_set_int(tv, "lateness", tot.lateness);
    value_set_int(tv, "late_minutes", tot.late_minutes);
    value_set_int(tv, "unjustified", tot.unjustified);
    value_set_int(tv, "pending", tot.pending);
    value_set_bool(root, "can_justify", policy_allows(p, POLICY_PUPIL_JUSTIFY, &t));
    value_t *lv = value_set_list(root, "absences");
    for (int i = 0; i < n; i++)
        value_push(lv, absence_json(r, &list[i]));
    respond_json(r, 200, root);
}

/* ---- a teacher's lessons ---- */

static void api_roll_calls(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    date_t day;
    if (!query_day(r, &day))
        return;
    roll_call_due_t *list;
    int n = attendance_teacher_day(STORE_READER(reader(r)), &r->arena, p->person_id, 0, day,
                                   clock_local_minutes(clock_now()), &list);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_cstr(root, "date", iso(r, day));
    value_t *lv = value_set_list(root, "lessons");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "teaching_id", list[i].teaching_id);
        value_set_cstr(m, "start", hhmm(r, list[i].starts_min));
        value_set_cstr(m, "end", hhmm(r, list[i].ends_min));
        value_set_str(m, "subject", list[i].subject_name);
        value_set_str(m, "target", list[i].target_name);
        value_set_str(m, "room", list[i].room);
        value_set_bool(m, "started", list[i].started);
        if (list[i].roll_call_id)
            value_set_int(m, "roll_call_id", list[i].roll_call_id);
        else
            value_set(m, "roll_call_id", value_null(&r->arena));
        value_push(lv, m);
    }
    respond_json(r, 200, root);
}

/* ---- a roll call ---- */

typedef struct api_roll {
    teaching_t teaching;
    roll_call_input_t input;
    roll_call_line_t *lines;
    int64_t id;
    attendance_problem_t problem;
} api_roll_t;

static bool load_teaching(request_t *r, const principal_t *p, teaching_t *out)
{
    int64_t tid = request_param_int(r, "id");
    policy_target_t t;
    int rc = policy_target_teaching(reader(r), &r->arena, tid, &t);
    if (!found_and_allowed(r, rc, p, POLICY_TEACHING_WRITE, &t))
        return false;
    if (teaching_get(STORE_READER(reader(r)), &r->arena, tid, out) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    return true;
}

static void respond_roll(request_t *r, int64_t teaching_id, date_t day, int start)
{
    roll_call_t rc;
    int found = attendance_roll_call_get(STORE_READER(reader(r)), &r->arena, teaching_id, day, start, &rc);
    if (found < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (found == 0) {
        respond_error(r, 404, MSG_error_not_found, "no roll call for this lesson yet");
        return;
    }
    absence_t *abs;
    int n = attendance_roll_call_absences(STORE_READER(reader(r)), &r->arena, rc.id, &abs);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_int(root, "id", rc.id);
    value_set_int(root, "teaching_id", rc.teaching_id);
    value_set_cstr(root, "date", iso(r, rc.on));
    value_set_cstr(root, "start", hhmm(r, rc.starts_min));
    if (rc.slot_id)
        value_set_int(root, "slot_id", rc.slot_id);
    else
        value_set(root, "slot_id", value_null(&r->arena));
    value_set_int(root, "taken_by", rc.taken_by);
    value_set_int(root, "taken_at", rc.taken_at);
    value_t *lv = value_set_list(root, "absences");
    for (int i = 0; i < n; i++)
        value_push(lv, absence_json(r, &abs[i]));
    respond_json(r, 200, root);
}

static bool parse_start(request_t *r, json_t *v, int *out)
{
    if (json_is_string(v))
        *out = timetable_parse_time((str_t){json_string_value(v), json_string_length(v)});
    else if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 1440)
        *out = (int)json_integer_value(v);
    else
        *out = -1;
    if (*out < 0 || *out >= 1440) {
        refuse(r, ATT_BAD_TIME);
        return false;
    }
    return true;
}

static void api_roll_get(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    teaching_t t;
    if (!load_teaching(r, p, &t))
        return;
    date_t day;
    if (!query_day(r, &day))
        return;
    str_t s = request_query(r, "start");
    int start = s.ptr ? timetable_parse_time(s) : -1;
    if (start < 0 || start >= 1440) {
        refuse(r, ATT_BAD_TIME);
        return;
    }
    respond_roll(r, t.id, day, start);
}

static int roll_write(store_tx_t *tx, void *ud)
{
    api_roll_t *a = ud;
    return attendance_roll_call_save(tx, &a->input, &a->id, &a->problem);
}

static void roll_written(request_t *r, void *ud, int status)
{
    api_roll_t *a = ud;
    if (status == ATTENDANCE_INVALID) {
        refuse(r, a->problem);
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("roll call saved", "roll_call=%lld teaching=%lld absent_or_late=%d by=%lld", (long long)a->id,
             (long long)a->teaching.id, a->input.nlines, (long long)r->principal->person_id);
    respond_roll(r, a->teaching.id, a->input.on, a->input.starts_min);
}

static void api_roll_put(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    api_roll_t *a = ARENA_NEW(&r->arena, api_roll_t);
    if (!load_teaching(r, p, &a->teaching))
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    static const char shape[] = "expected {\"date\": \"YYYY-MM-DD\", \"start\": \"HH:MM\", \"pupils\": "
                                "[{\"pupil\": id, \"status\": \"present\"|\"absent\"|\"late\", \"minutes_late\": 1..240}]}";
    json_t *date = json_object_get(body, "date"), *start = json_object_get(body, "start");
    json_t *pupils = json_object_get(body, "pupils");
    if (!json_is_object(body) || !json_is_string(date) || !start || !json_is_array(pupils)) {
        respond_error(r, 400, MSG_error_bad_input, shape);
        return;
    }
    date_t day;
    if (!date_parse_iso((str_t){json_string_value(date), json_string_length(date)}, &day) ||
        date_compare(day, date_today()) > 0) {
        refuse(r, ATT_BAD_DATE);
        return;
    }
    int starts;
    if (!parse_start(r, start, &starts))
        return;
    size_t n = json_array_size(pupils);
    if (n > 1000) {
        respond_error(r, 400, MSG_error_bad_input, "too many pupils");
        return;
    }
    a->lines = ARENA_ARRAY(&r->arena, roll_call_line_t, n + 1);
    int nl = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(pupils, i);
        json_t *id = json_object_get(o, "pupil"), *st = json_object_get(o, "status");
        json_t *late = json_object_get(o, "minutes_late");
        if (!json_is_object(o) || !json_is_integer(id) || !json_is_string(st) ||
            (late && !json_is_integer(late) && !json_is_null(late))) {
            respond_error(r, 400, MSG_error_bad_input, shape);
            return;
        }
        attendance_mark_t mark;
        if (!attendance_mark_parse((str_t){json_string_value(st), json_string_length(st)}, &mark)) {
            refuse(r, ATT_BAD_MARK);
            return;
        }
        json_int_t m = json_is_integer(late) ? json_integer_value(late) : 0;
        if (mark == MARK_LATE && (m < 1 || m > ATTENDANCE_LATE_MAX)) {
            refuse(r, ATT_BAD_MINUTES);
            return;
        }
        a->lines[nl++] = (roll_call_line_t){.pupil_id = json_integer_value(id), .mark = mark,
                                            .minutes_late = mark == MARK_LATE ? (int)m : 0};
    }
    int64_t slot = 0;
    int ends = 0;
    person_t *roster;
    int nroster;
    if (attendance_lesson_at(STORE_READER(reader(r)), &r->arena, &a->teaching, day, starts, &slot, &ends) < 0 ||
        (nroster = attendance_roster(STORE_READER(reader(r)), &r->arena, &a->teaching, day, &roster)) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    a->input = (roll_call_input_t){.teaching = a->teaching, .slot_id = slot, .on = day, .starts_min = starts,
                                   .ends_min = ends, .lines = a->lines, .nlines = nl, .taken_by = p->person_id,
                                   .now = clock_now(), .today = date_today()};
    attendance_problem_t problem = attendance_check_lines(&a->input, roster, nroster);
    if (problem != ATT_OK) {
        refuse(r, problem);
        return;
    }
    if (request_store_write(r, roll_write, a, roll_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- justification and review ---- */

typedef struct api_absence_job {
    int64_t absence_id, by;
    str_t reason;
    bool accept;
    bool review;
    attendance_problem_t problem;
} api_absence_job_t;

static bool load_absence(request_t *r, const principal_t *p, policy_action_t action, absence_t *x)
{
    int rc = attendance_absence_get(STORE_READER(reader(r)), &r->arena, request_param_int(r, "id"), x);
    policy_target_t t = {0};
    if (rc == 1) {
        if (action == POLICY_SCHOOL_LIFE)
            t = policy_target_school(x->school_id);
        else
            rc = policy_target_person(reader(r), &r->arena, x->pupil_id, &t);
    }
    return found_and_allowed(r, rc, p, action, &t);
}

static int absence_write(store_tx_t *tx, void *ud)
{
    api_absence_job_t *j = ud;
    if (j->review)
        return attendance_review(tx, j->absence_id, j->accept, &j->problem);
    return attendance_justify(tx, j->absence_id, j->by, j->reason, j->accept, clock_now(), &j->problem);
}

static void absence_written(request_t *r, void *ud, int status)
{
    api_absence_job_t *j = ud;
    if (status == ATTENDANCE_INVALID) {
        refuse(r, j->problem);
        return;
    }
    absence_t x;
    if (status < 0 || attendance_absence_get(STORE_READER(reader(r)), &r->arena, j->absence_id, &x) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO(j->review ? "absence reviewed" : "absence justified", "absence=%lld by=%lld status=%s",
             (long long)j->absence_id, (long long)j->by, absence_status_code(x.status));
    respond_json(r, 200, absence_json(r, &x));
}

static void api_justify(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    absence_t x;
    if (!load_absence(r, p, POLICY_PUPIL_JUSTIFY, &x))
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    json_t *reason = json_object_get(body, "reason");
    if (!json_is_object(body) || !json_is_string(reason)) {
        respond_error(r, 400, MSG_error_bad_input, "expected {\"reason\": string}");
        return;
    }
    api_absence_job_t *j = ARENA_NEW(&r->arena, api_absence_job_t);
    j->absence_id = x.id;
    j->by = p->person_id;
    j->reason = (str_t){json_string_value(reason), json_string_length(reason)};
    policy_target_t school = policy_target_school(x.school_id);
    j->accept = policy_allows(p, POLICY_SCHOOL_LIFE, &school);
    attendance_problem_t problem = attendance_check_reason(j->reason);
    if (problem == ATT_OK && x.status == ABSENCE_JUSTIFIED)
        problem = ATT_ALREADY_JUSTIFIED;
    if (problem != ATT_OK) {
        refuse(r, problem);
        return;
    }
    if (request_store_write(r, absence_write, j, absence_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

static void api_review(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    absence_t x;
    if (!load_absence(r, p, POLICY_SCHOOL_LIFE, &x))
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    json_t *d = json_object_get(body, "decision");
    if (!json_is_object(body) || !json_is_string(d) ||
        (strcmp(json_string_value(d), "accept") != 0 && strcmp(json_string_value(d), "refuse") != 0)) {
        respond_error(r, 400, MSG_attendance_error_bad_decision, "expected {\"decision\": \"accept\"|\"refuse\"}");
        return;
    }
    api_absence_job_t *j = ARENA_NEW(&r->arena, api_absence_job_t);
    j->absence_id = x.id;
    j->by = p->person_id;
    j->review = true;
    j->accept = strcmp(json_string_value(d), "accept") == 0;
    if (x.status != ABSENCE_PENDING) {
        refuse(r, ATT_NOT_PENDING);
        return;
    }
    if (request_store_write(r, absence_write, j, absence_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- a school's day ---- */

static void api_school_day(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    int64_t sid = request_param_int(r, "id");
    school_t school;
    int rc = school_get(reader(r), &r->arena, sid, &school);
    policy_target_t t = policy_target_school(sid);
    if (!found_and_allowed(r, rc, p, POLICY_SCHOOL_LIFE, &t))
        return;
    date_t day;
    if (!query_day(r, &day))
        return;
    absence_t *abs, *pending;
    school_day_lesson_t *lessons;
    int nabs = 0, nlessons = 0, npending;
    if (attendance_school_day(STORE_READER(reader(r)), &r->arena, sid, day, &abs, &nabs, &lessons, &nlessons) < 0 ||
        (npending = attendance_pending(STORE_READER(reader(r)), &r->arena, sid, &pending)) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_int(root, "school_id", sid);
    value_set_cstr(root, "date", iso(r, day));
    value_t *al = value_set_list(root, "absences");
    for (int i = 0; i < nabs; i++)
        value_push(al, absence_json(r, &abs[i]));
    value_t *pl = value_set_list(root, "pending");
    for (int i = 0; i < npending; i++)
        value_push(pl, absence_json(r, &pending[i]));
    int taken = 0;
    value_t *ll = value_set_list(root, "lessons");
    for (int i = 0; i < nlessons; i++) {
        const school_day_lesson_t *l = &lessons[i];
        value_t *m = value_map(&r->arena);
        value_set_int(m, "teaching_id", l->teaching_id);
        value_set_cstr(m, "start", hhmm(r, l->starts_min));
        value_set_cstr(m, "end", hhmm(r, l->ends_min));
        value_set_str(m, "subject", l->subject_name);
        value_set_str(m, "target", l->target_name);
        value_set_str(m, "teacher", l->teacher_name);
        if (l->roll_call_id) {
            taken++;
            value_set_int(m, "roll_call_id", l->roll_call_id);
        } else {
            value_set(m, "roll_call_id", value_null(&r->arena));
        }
        value_set_int(m, "absent", l->absent);
        value_set_int(m, "late", l->late);
        value_push(ll, m);
    }
    value_set_int(root, "roll_calls_taken", taken);
    value_set_int(root, "lessons_total", nlessons);
    respond_json(r, 200, root);
}

int attendance_api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1/attendance", HANDLER(api_pupil_attendance), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "GET", "/api/v1/roll-calls", HANDLER(api_roll_calls), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/teaching/{id:int}/roll-call", HANDLER(api_roll_get), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "PUT", "/api/v1/teaching/{id:int}/roll-call", HANDLER(api_roll_put), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "POST", "/api/v1/absences/{id:int}/justification", HANDLER(api_justify), NULL, ROUTE_API,
                    err, errlen) ||
        !router_add(router, "POST", "/api/v1/absences/{id:int}/review", HANDLER(api_review), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "GET", "/api/v1/schools/{id:int}/attendance", HANDLER(api_school_day), NULL, ROUTE_API,
                    err, errlen))
        return -1;
    return 0;
}
