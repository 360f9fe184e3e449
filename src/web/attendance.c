/* Attendance pages: a teacher's roll calls of the day and the roll call form, a
 * pupil's absences (with the parents' justification form), the school's day for
 * the school life office (with the pending justifications to review). */
#include "web/attendance.h"

#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/directory.h"
#include "domain/school.h"
#include "domain/timetable.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/template.h"

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

static const char *msg(request_t *r, msg_id_t id)
{
    return i18n_text((lang_id_t)r->lang, id);
}

static const char *msg_arg(request_t *r, msg_id_t id, const char *arg)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    const char *args[1] = {arg};
    i18n_format(&b, (lang_id_t)r->lang, id, args, 1);
    return b.data;
}

msg_id_t attendance_problem_msg(attendance_problem_t p)
{
    switch (p) {
    case ATT_BAD_DATE: return MSG_attendance_error_bad_date;
    case ATT_BAD_TIME: return MSG_attendance_error_bad_time;
    case ATT_BAD_MARK: return MSG_attendance_error_bad_mark;
    case ATT_BAD_MINUTES: return MSG_attendance_error_bad_minutes;
    case ATT_NOT_IN_TEACHING: return MSG_attendance_error_not_in_teaching;
    case ATT_DUPLICATE_PUPIL: return MSG_attendance_error_duplicate;
    case ATT_REASON_EMPTY: return MSG_attendance_error_reason_empty;
    case ATT_REASON_TOO_LONG: return MSG_attendance_error_reason_too_long;
    case ATT_BAD_TEXT: return MSG_attendance_error_bad_text;
    case ATT_ALREADY_JUSTIFIED: return MSG_attendance_error_already_justified;
    case ATT_NOT_PENDING: return MSG_attendance_error_not_pending;
    case ATT_NO_SUCH_ABSENCE: return MSG_error_not_found;
    case ATT_OK: break;
    }
    return MSG_error_bad_input;
}

int attendance_problem_status(attendance_problem_t p)
{
    switch (p) {
    case ATT_ALREADY_JUSTIFIED:
    case ATT_NOT_PENDING: return 409;
    case ATT_NO_SUCH_ABSENCE: return 404;
    default: return 400;
    }
}

const char *attendance_date_label(request_t *r, date_t d)
{
    if (r->lang == LANG_FR)
        return arena_printf(&r->arena, "%02d/%02d/%04d", d.day, d.month, d.year);
    char *out = arena_alloc(&r->arena, 11);
    date_format_iso(d, out);
    return out;
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

/* 404 for what does not exist, 403 for what this person may not do, 503 when
 * the store failed: false in those cases, the answer given. */
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

/* The day asked for in the query (`date`), today when absent; false (answered
 * 400) when malformed. */
static bool query_day(request_t *r, date_t *out)
{
    *out = date_today();
    if (!request_query_valid(r)) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return false;
    }
    str_t s = request_query(r, "date");
    if (s.ptr && s.len && !date_parse_iso(s, out)) {
        respond_error(r, 400, MSG_error_bad_input, msg(r, MSG_attendance_error_bad_date));
        return false;
    }
    return true;
}

static const char *absence_what(request_t *r, const absence_t *x)
{
    if (x->kind == MARK_LATE)
        return msg_arg(r, MSG_attendance_kind_late, arena_printf(&r->arena, "%d", x->minutes_late));
    return msg(r, MSG_attendance_kind_absent);
}

static const char *status_label(request_t *r, absence_status_t s)
{
    static const msg_id_t labels[] = {
        [ABSENCE_UNJUSTIFIED] = MSG_attendance_status_unjustified,
        [ABSENCE_PENDING] = MSG_attendance_status_pending,
        [ABSENCE_JUSTIFIED] = MSG_attendance_status_justified,
        [ABSENCE_REFUSED] = MSG_attendance_status_refused,
    };
    return msg(r, labels[(unsigned)s < 4 ? s : 0]);
}

static value_t *absence_view(request_t *r, const absence_t *x)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", x->id);
    value_set_int(m, "pupil_id", x->pupil_id);
    value_set_str(m, "pupil_name", x->pupil_name);
    value_set_str(m, "class_name", x->class_name);
    value_set_str(m, "subject_name", x->subject_name);
    value_set_cstr(m, "date", iso(r, x->on));
    value_set_cstr(m, "date_label", attendance_date_label(r, x->on));
    value_set_cstr(m, "starts", hhmm(r, x->starts_min));
    value_set_cstr(m, "what", absence_what(r, x));
    value_set_cstr(m, "status", absence_status_code(x->status));
    value_set_cstr(m, "status_label", status_label(r, x->status));
    value_set_str(m, "reason", x->reason);
    return m;
}

/* ---- a teacher's roll calls of the day ---- */

static void roll_calls_page(request_t *r)
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
    value_t *v = value_map(&r->arena);
    value_set_cstr(v, "date", iso(r, day));
    value_set_cstr(v, "date_label", attendance_date_label(r, day));
    value_set_cstr(v, "prev_date", iso(r, date_add_days(day, -1)));
    value_set_cstr(v, "next_date", iso(r, date_add_days(day, 1)));
    str_t saved = request_query(r, "saved");
    value_set_bool(v, "saved", saved.ptr != NULL);
    value_t *lessons = value_set_list(v, "lessons");
    bool future = date_compare(day, date_today()) > 0;
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "teaching_id", list[i].teaching_id);
        value_set_cstr(m, "starts", hhmm(r, list[i].starts_min));
        value_set_cstr(m, "ends", hhmm(r, list[i].ends_min));
        value_set_str(m, "subject_name", list[i].subject_name);
        value_set_str(m, "target_name", list[i].target_name);
        value_set_str(m, "room", list[i].room);
        value_set_bool(m, "done", list[i].roll_call_id != 0);
        value_set_bool(m, "started", list[i].started);
        /* A roll call cannot be taken for a later day: no link there. */
        if (!future)
            value_set_cstr(m, "url", arena_printf(&r->arena, "/teaching/%lld/roll-call?date=%s&start=%s",
                                                  (long long)list[i].teaching_id, iso(r, day),
                                                  hhmm(r, list[i].starts_min)));
        value_push(lessons, m);
    }
    page_render(r, 200, TPL_attendance_roll_calls, v);
}

/* ---- the roll call form ---- */

typedef struct roll_form {
    teaching_t teaching;
    date_t day;
    int start;
    int64_t slot_id;
    int ends_min;
    person_t *roster;
    int nroster;
    bool taken;
    /* What the form shows for each roster pupil: a mark and the minutes typed. */
    attendance_mark_t *marks;
    str_t *minutes;
    int64_t error_pupil;
    /* the write */
    roll_call_line_t *lines;
    int nlines;
    roll_call_input_t input;
    int64_t roll_call_id;
    attendance_problem_t problem;
} roll_form_t;

/* Loads the teaching, checks policy, works out the lesson (date, start, slot,
 * end) and its roster. Answers and returns NULL when it cannot go on. */
static roll_form_t *load_roll(request_t *r, const principal_t *p, str_t date_s, str_t start_s)
{
    int64_t tid = request_param_int(r, "id");
    policy_target_t t;
    int rc = policy_target_teaching(reader(r), &r->arena, tid, &t);
    if (!found_and_allowed(r, rc, p, POLICY_TEACHING_WRITE, &t))
        return NULL;
    roll_form_t *f = ARENA_NEW(&r->arena, roll_form_t);
    if (teaching_get(STORE_READER(reader(r)), &r->arena, tid, &f->teaching) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return NULL;
    }
    f->day = date_today();
    if (date_s.ptr && date_s.len &&
        (!date_parse_iso(date_s, &f->day) || date_compare(f->day, date_today()) > 0)) {
        respond_error(r, 400, MSG_error_bad_input, msg(r, MSG_attendance_error_bad_date));
        return NULL;
    }
    store_src_t src = STORE_READER(reader(r));
    if (start_s.ptr && start_s.len) {
        f->start = timetable_parse_time(start_s);
        if (f->start < 0 || f->start >= 1440) {
            respond_error(r, 400, MSG_error_bad_input, msg(r, MSG_attendance_error_bad_time));
            return NULL;
        }
    } else {
        rc = attendance_first_lesson(src, &r->arena, &f->teaching, f->day, &f->start);
        if (rc <= 0) {
            respond_error(r, rc < 0 ? 503 : 400, rc < 0 ? MSG_error_unavailable : MSG_error_bad_input,
                          rc < 0 ? NULL : msg(r, MSG_attendance_error_no_start));
            return NULL;
        }
    }
    if (attendance_lesson_at(src, &r->arena, &f->teaching, f->day, f->start, &f->slot_id, &f->ends_min) < 0 ||
        (f->nroster = attendance_roster(src, &r->arena, &f->teaching, f->day, &f->roster)) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return NULL;
    }
    f->marks = ARENA_ARRAY(&r->arena, attendance_mark_t, (size_t)f->nroster + 1);
    f->minutes = ARENA_ARRAY(&r->arena, str_t, (size_t)f->nroster + 1);
    for (int i = 0; i < f->nroster; i++)
        f->minutes[i] = STR("");
    roll_call_t rcall;
    rc = attendance_roll_call_get(src, &r->arena, f->teaching.id, f->day, f->start, &rcall);
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return NULL;
    }
    f->taken = rc == 1;
    return f;
}

static int roster_index(const roll_form_t *f, int64_t pupil)
{
    for (int i = 0; i < f->nroster; i++)
        if (f->roster[i].id == pupil)
            return i;
    return -1;
}

/* The marks of the roll call already taken, to edit it. */
static int fill_saved_marks(request_t *r, roll_form_t *f)
{
    roll_call_t rcall;
    int rc = attendance_roll_call_get(STORE_READER(reader(r)), &r->arena, f->teaching.id, f->day, f->start, &rcall);
    if (rc <= 0)
        return rc;
    absence_t *abs;
    int n = attendance_roll_call_absences(STORE_READER(reader(r)), &r->arena, rcall.id, &abs);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        int k = roster_index(f, abs[i].pupil_id);
        if (k < 0)
            continue;
        f->marks[k] = abs[i].kind;
        if (abs[i].kind == MARK_LATE)
            f->minutes[k] = str_from(arena_printf(&r->arena, "%d", abs[i].minutes_late));
    }
    return STORE_OK;
}

static void render_roll(request_t *r, int status, roll_form_t *f, const char *error)
{
    value_t *v = value_map(&r->arena);
    value_set_str(v, "subject_name", f->teaching.subject_name);
    value_set_str(v, "target_name", f->teaching.target_name);
    value_set_cstr(v, "date", iso(r, f->day));
    value_set_cstr(v, "date_label", attendance_date_label(r, f->day));
    value_set_cstr(v, "start", hhmm(r, f->start));
    value_set_bool(v, "taken", f->taken);
    value_set_cstr(v, "action", arena_printf(&r->arena, "/teaching/%lld/roll-call?date=%s&start=%s",
                                             (long long)f->teaching.id, iso(r, f->day), hhmm(r, f->start)));
    if (error)
        value_set_cstr(v, "error", error);
    value_t *list = value_set_list(v, "pupils");
    for (int i = 0; i < f->nroster; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", f->roster[i].id);
        value_set_cstr(m, "name", arena_printf(&r->arena, "%.*s %.*s", (int)f->roster[i].last_name.len,
                                               f->roster[i].last_name.ptr, (int)f->roster[i].first_name.len,
                                               f->roster[i].first_name.ptr));
        value_set_bool(m, "present", f->marks[i] == MARK_PRESENT);
        value_set_bool(m, "absent", f->marks[i] == MARK_ABSENT);
        value_set_bool(m, "late", f->marks[i] == MARK_LATE);
        value_set_str(m, "minutes", f->minutes[i]);
        value_set_bool(m, "error", f->error_pupil == f->roster[i].id);
        value_push(list, m);
    }
    page_render(r, status, TPL_attendance_roll_call, v);
}

static void roll_call_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    if (!request_query_valid(r)) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return;
    }
    roll_form_t *f = load_roll(r, p, request_query(r, "date"), request_query(r, "start"));
    if (!f)
        return;
    if (fill_saved_marks(r, f) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    render_roll(r, 200, f, NULL);
}

static int roll_write(store_tx_t *tx, void *ud)
{
    roll_form_t *f = ud;
    return attendance_roll_call_save(tx, &f->input, &f->roll_call_id, &f->problem);
}

static void roll_written(request_t *r, void *ud, int status)
{
    roll_form_t *f = ud;
    if (status == ATTENDANCE_INVALID) {
        render_roll(r, attendance_problem_status(f->problem), f, msg(r, attendance_problem_msg(f->problem)));
        return;
    }
    if (status < 0) {
        render_roll(r, 503, f, msg(r, MSG_error_unavailable));
        return;
    }
    LOG_INFO("roll call saved", "roll_call=%lld teaching=%lld absent_or_late=%d by=%lld", (long long)f->roll_call_id,
             (long long)f->teaching.id, f->nlines, (long long)r->principal->person_id);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/roll-calls?date=%s&saved=1", iso(r, f->day))));
}

/* Reads "p<id>" (present, absent, late) and "m<id>" (minutes late) fields. */
static attendance_problem_t read_marks(request_t *r, form_t *form, roll_form_t *f)
{
    attendance_problem_t problem = ATT_OK;
    f->lines = ARENA_ARRAY(&r->arena, roll_call_line_t, form->len + 1);
    f->nlines = 0;
    for (size_t i = 0; i < form->len; i++) {
        str_t name = form->fields[i].name;
        if (name.len < 2 || name.ptr[0] != 'p')
            continue;
        int64_t pupil;
        if (!str_to_i64(str_slice(name, 1, name.len), &pupil))
            continue;
        attendance_mark_t mark;
        int k = roster_index(f, pupil);
        if (!attendance_mark_parse(form->fields[i].value, &mark)) {
            if (problem == ATT_OK) {
                problem = ATT_BAD_MARK;
                f->error_pupil = pupil;
            }
            continue;
        }
        char mname[24];
        snprintf(mname, sizeof mname, "m%lld", (long long)pupil);
        str_t typed = form_get(form, mname);
        if (k >= 0) {
            f->marks[k] = mark;
            f->minutes[k] = typed.ptr ? typed : STR("");
        }
        int minutes = 0;
        if (mark == MARK_LATE) {
            int64_t m = -1;
            str_t t = str_trim(typed.ptr ? typed : STR(""));
            if (!str_to_i64(t, &m) || m > 100000)
                m = -1;
            minutes = (int)m;
        }
        f->lines[f->nlines++] = (roll_call_line_t){.pupil_id = pupil, .mark = mark, .minutes_late = minutes};
    }
    return problem;
}

static void roll_call_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *form = request_form(r);
    if (!form)
        return;
    str_t date_s = form_get(form, "date"), start_s = form_get(form, "start");
    if (!date_s.ptr)
        date_s = request_query(r, "date");
    if (!start_s.ptr)
        start_s = request_query(r, "start");
    roll_form_t *f = load_roll(r, p, date_s, start_s);
    if (!f)
        return;
    attendance_problem_t problem = read_marks(r, form, f);
    f->input = (roll_call_input_t){.teaching = f->teaching, .slot_id = f->slot_id, .on = f->day,
                                   .starts_min = f->start, .ends_min = f->ends_min, .lines = f->lines,
                                   .nlines = f->nlines, .taken_by = p->person_id, .now = clock_now(),
                                   .today = date_today()};
    if (problem == ATT_OK)
        problem = attendance_check_lines(&f->input, f->roster, f->nroster);
    if (problem != ATT_OK) {
        if (!f->error_pupil)
            for (int i = 0; i < f->nlines && !f->error_pupil; i++) {
                const roll_call_line_t *l = &f->lines[i];
                if (roster_index(f, l->pupil_id) < 0 ||
                    (l->mark == MARK_LATE && (l->minutes_late < 1 || l->minutes_late > ATTENDANCE_LATE_MAX)))
                    f->error_pupil = l->pupil_id;
            }
        render_roll(r, attendance_problem_status(problem), f, msg(r, attendance_problem_msg(problem)));
        return;
    }
    /* Only absences and lateness go to the write: everyone else is present. */
    int k = 0;
    for (int i = 0; i < f->nlines; i++)
        if (f->lines[i].mark != MARK_PRESENT)
            f->lines[k++] = f->lines[i];
    f->nlines = k;
    f->input.nlines = k;
    if (request_store_write(r, roll_write, f, roll_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- a pupil's absences ---- */

typedef struct pupil_page {
    int64_t error_absence;
    const char *error;
    str_t typed;
    bool sent, justified;
} pupil_page_t;

static void render_pupil(request_t *r, const principal_t *p, int64_t pupil_id, int status, const pupil_page_t *pp)
{
    policy_target_t t;
    int rc = policy_target_person(reader(r), &r->arena, pupil_id, &t);
    if (!found_and_allowed(r, rc, p, POLICY_PUPIL_RECORD, &t))
        return;
    person_t person;
    absence_t *list;
    attendance_totals_t totals;
    int n;
    if (person_get(STORE_READER(reader(r)), &r->arena, pupil_id, &person) != 1 ||
        (n = attendance_of_pupil(STORE_READER(reader(r)), &r->arena, pupil_id, &list, &totals)) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    bool can_justify = policy_allows(p, POLICY_PUPIL_JUSTIFY, &t);
    value_t *v = value_map(&r->arena);
    value_set_int(v, "pupil_id", pupil_id);
    value_set_cstr(v, "pupil_name", arena_printf(&r->arena, "%.*s %.*s", (int)person.first_name.len,
                                                 person.first_name.ptr, (int)person.last_name.len,
                                                 person.last_name.ptr));
    value_set_bool(v, "sent", pp && pp->sent);
    value_set_bool(v, "justified", pp && pp->justified);
    if (pp && pp->error && !pp->error_absence)
        value_set_cstr(v, "error", pp->error);
    value_t *tv = value_set_map(v, "totals");
    value_set_int(tv, "absences", totals.absences);
    value_set_int(tv, "half_days", totals.half_days);
    value_set_int(tv, "lateness", totals.lateness);
    value_set_int(tv, "unjustified", totals.unjustified);
    value_set_int(tv, "pending", totals.pending);
    value_t *lv = value_set_list(v, "absences");
    for (int i = 0; i < n; i++) {
        value_t *m = absence_view(r, &list[i]);
        bool open = list[i].status == ABSENCE_UNJUSTIFIED || list[i].status == ABSENCE_REFUSED;
        value_set_bool(m, "can_justify", can_justify && (open || (pp && pp->error_absence == list[i].id)));
        if (pp && pp->error_absence == list[i].id) {
            value_set_cstr(m, "error", pp->error);
            value_set_str(m, "typed", pp->typed);
        } else {
            value_set_cstr(m, "typed", "");
        }
        value_push(lv, m);
    }
    page_render(r, status, TPL_attendance_pupil, v);
}

static void pupil_absences_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    str_t done = request_query(r, "done");
    pupil_page_t pp = {.sent = str_eq_cstr(done, "sent"), .justified = str_eq_cstr(done, "justified")};
    render_pupil(r, p, request_param_int(r, "id"), 200, &pp);
}

typedef struct justify_job {
    int64_t absence_id, pupil_id, by;
    str_t reason;
    bool accepted;
    attendance_problem_t problem;
} justify_job_t;

static int justify_write(store_tx_t *tx, void *ud)
{
    justify_job_t *j = ud;
    return attendance_justify(tx, j->absence_id, j->by, j->reason, j->accepted, clock_now(), &j->problem);
}

static void justify_written(request_t *r, void *ud, int status)
{
    justify_job_t *j = ud;
    if (status == ATTENDANCE_INVALID) {
        pupil_page_t pp = {.error_absence = j->absence_id, .error = msg(r, attendance_problem_msg(j->problem)),
                           .typed = j->reason};
        render_pupil(r, r->principal, j->pupil_id, attendance_problem_status(j->problem), &pp);
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("absence justified", "absence=%lld by=%lld accepted=%d", (long long)j->absence_id, (long long)j->by,
             j->accepted);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/pupils/%lld/absences?done=%s", (long long)j->pupil_id,
                                                   j->accepted ? "justified" : "sent")));
}

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

static void justify_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    absence_t x;
    if (!load_absence(r, p, POLICY_PUPIL_JUSTIFY, &x))
        return;
    form_t *form = request_form(r);
    if (!form)
        return;
    justify_job_t *j = ARENA_NEW(&r->arena, justify_job_t);
    j->absence_id = x.id;
    j->pupil_id = x.pupil_id;
    j->by = p->person_id;
    str_t reason = form_get(form, "reason");
    j->reason = reason.ptr ? reason : STR("");
    /* Staff who take a justification (a note, a call) decide at once. */
    policy_target_t school = policy_target_school(x.school_id);
    j->accepted = policy_allows(p, POLICY_SCHOOL_LIFE, &school);
    attendance_problem_t problem = attendance_check_reason(j->reason);
    if (problem == ATT_OK && x.status == ABSENCE_JUSTIFIED)
        problem = ATT_ALREADY_JUSTIFIED;
    if (problem != ATT_OK) {
        pupil_page_t pp = {.error_absence = x.id, .error = msg(r, attendance_problem_msg(problem)), .typed = j->reason};
        render_pupil(r, p, x.pupil_id, attendance_problem_status(problem), &pp);
        return;
    }
    if (request_store_write(r, justify_write, j, justify_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- the school's day ---- */

static void school_day_page(request_t *r)
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
    value_t *v = value_map(&r->arena);
    value_set_int(v, "school_id", sid);
    value_set_cstr(v, "date", iso(r, day));
    value_set_cstr(v, "date_label", attendance_date_label(r, day));
    value_set_bool(v, "reviewed", request_query(r, "reviewed").ptr != NULL);
    value_t *pl = value_set_list(v, "pending");
    for (int i = 0; i < npending; i++)
        value_push(pl, absence_view(r, &pending[i]));
    value_t *al = value_set_list(v, "absences");
    for (int i = 0; i < nabs; i++)
        value_push(al, absence_view(r, &abs[i]));
    int cmp = date_compare(day, date_today());
    int now = clock_local_minutes(clock_now()), taken = 0;
    value_t *ml = value_set_list(v, "missing");
    for (int i = 0; i < nlessons; i++) {
        const school_day_lesson_t *l = &lessons[i];
        if (l->roll_call_id) {
            taken++;
            continue;
        }
        if (cmp > 0 || (cmp == 0 && l->starts_min > now))
            continue;
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "starts", hhmm(r, l->starts_min));
        value_set_str(m, "target_name", l->target_name);
        value_set_str(m, "subject_name", l->subject_name);
        value_set_str(m, "teacher_name", l->teacher_name);
        value_push(ml, m);
    }
    value_set_int(v, "taken", taken);
    value_set_int(v, "total", nlessons);
    page_render(r, 200, TPL_attendance_school_day, v);
}

typedef struct review_job {
    int64_t absence_id, school_id, by;
    date_t day;
    bool accept;
    attendance_problem_t problem;
} review_job_t;

static int review_write(store_tx_t *tx, void *ud)
{
    review_job_t *j = ud;
    return attendance_review(tx, j->absence_id, j->accept, &j->problem);
}

static void review_written(request_t *r, void *ud, int status)
{
    review_job_t *j = ud;
    if (status == ATTENDANCE_INVALID) {
        respond_error(r, attendance_problem_status(j->problem), MSG_error_bad_input,
                      msg(r, attendance_problem_msg(j->problem)));
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("absence reviewed", "absence=%lld by=%lld decision=%s", (long long)j->absence_id, (long long)j->by,
             j->accept ? "accept" : "refuse");
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/schools/%lld/attendance?date=%s&reviewed=1",
                                                   (long long)j->school_id, iso(r, j->day))));
}

static void review_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    absence_t x;
    if (!load_absence(r, p, POLICY_SCHOOL_LIFE, &x))
        return;
    form_t *form = request_form(r);
    if (!form)
        return;
    str_t d = form_get(form, "decision");
    if (!str_eq_cstr(d, "accept") && !str_eq_cstr(d, "refuse")) {
        respond_error(r, 400, MSG_error_bad_input, msg(r, MSG_attendance_error_bad_decision));
        return;
    }
    if (x.status != ABSENCE_PENDING) {
        respond_error(r, 409, MSG_error_bad_input, msg(r, MSG_attendance_error_not_pending));
        return;
    }
    review_job_t *j = ARENA_NEW(&r->arena, review_job_t);
    j->absence_id = x.id;
    j->school_id = x.school_id;
    j->by = p->person_id;
    j->day = x.on;
    j->accept = str_eq_cstr(d, "accept");
    if (request_store_write(r, review_write, j, review_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

int attendance_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/roll-calls", HANDLER(roll_calls_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/teaching/{id:int}/roll-call", HANDLER(roll_call_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/teaching/{id:int}/roll-call", HANDLER(roll_call_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/pupils/{id:int}/absences", HANDLER(pupil_absences_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/absences/{id:int}/justify", HANDLER(justify_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/schools/{id:int}/attendance", HANDLER(school_day_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/absences/{id:int}/review", HANDLER(review_submit), NULL, 0, err, errlen))
        return -1;
    return attendance_api_register_routes(router, err, errlen);
}
