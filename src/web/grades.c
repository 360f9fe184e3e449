/* The grades pages: a teaching's evaluations, the marks grid, a pupil's marks by
 * subject and the term report (web/grades.h). */
#include "web/grades.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
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

static const char *msg1(request_t *r, msg_id_t id, const char *a0)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    const char *args[1] = {a0};
    i18n_format(&b, (lang_id_t)r->lang, id, args, 1);
    return b.data;
}

static const char *msg2(request_t *r, msg_id_t id, const char *a0, const char *a1)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    const char *args[2] = {a0, a1};
    i18n_format(&b, (lang_id_t)r->lang, id, args, 2);
    return b.data;
}

/* ---- shared helpers ---- */

const char *grades_number(request_t *r, double v, bool fixed2)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.2f", grades_round2(v));
    if (!fixed2) {
        char *dot = strchr(tmp, '.');
        if (dot) {
            char *end = tmp + strlen(tmp);
            while (end > dot + 1 && end[-1] == '0')
                *--end = '\0';
            if (end == dot + 1)
                *dot = '\0';
        }
    }
    if (r->lang == LANG_FR) {
        char *dot = strchr(tmp, '.');
        if (dot)
            *dot = ',';
    }
    return arena_strdup(&r->arena, tmp);
}

/* For the value of an input: always a dot, never trailing zeros. */
static const char *input_number(request_t *r, double v)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.2f", grades_round2(v));
    char *dot = strchr(tmp, '.');
    if (dot) {
        char *end = tmp + strlen(tmp);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    return arena_strdup(&r->arena, tmp);
}

value_t *grades_json_number(request_t *r, bool has, double v)
{
    return has && isfinite(v) ? value_number(&r->arena, grades_round2(v)) : value_null(&r->arena);
}

const char *grades_error_message(request_t *r, grades_error_t e, double scale)
{
    switch (e) {
    case GRADES_OK: return "";
    case GRADES_E_TITLE: return msg(r, MSG_grades_error_title);
    case GRADES_E_DATE: return msg(r, MSG_grades_error_date);
    case GRADES_E_COEFFICIENT: return msg(r, MSG_grades_error_coefficient);
    case GRADES_E_SCALE: return msg(r, MSG_grades_error_scale);
    case GRADES_E_SCALE_BELOW_MARKS: return msg(r, MSG_grades_error_scale_below_marks);
    case GRADES_E_NOT_NUMBER: return msg(r, MSG_grades_error_not_number);
    case GRADES_E_PRECISION: return msg(r, MSG_grades_error_precision);
    case GRADES_E_STATUS: return msg(r, MSG_grades_error_status);
    case GRADES_E_VALUE_MISSING: return msg(r, MSG_grades_error_value_missing);
    case GRADES_E_VALUE_RANGE: return msg1(r, MSG_grades_error_value_range, grades_number(r, scale, false));
    case GRADES_E_VALUE_UNEXPECTED: return msg(r, MSG_grades_error_value_unexpected);
    case GRADES_E_COMMENT: return msg(r, MSG_grades_error_comment);
    case GRADES_E_PUPIL: return msg(r, MSG_grades_error_pupil);
    case GRADES_E_DUPLICATE: return msg(r, MSG_grades_error_duplicate);
    case GRADES_E_TOO_MANY: return msg(r, MSG_grades_error_too_many);
    case GRADES_E_NOT_FOUND: return msg(r, MSG_grades_error_not_found);
    }
    return msg(r, MSG_error_bad_input);
}

static const char *date_text(request_t *r, date_t d)
{
    if (!date_valid(d))
        return "";
    if (r->lang == LANG_FR)
        return arena_printf(&r->arena, "%02d/%02d/%04d", d.day, d.month, d.year);
    char *s = arena_alloc(&r->arena, 11);
    date_format_iso(d, s);
    return s;
}

static const char *iso(request_t *r, date_t d)
{
    char *s = arena_alloc(&r->arena, 11);
    if (date_valid(d))
        date_format_iso(d, s);
    else
        s[0] = '\0';
    return s;
}

static const char *status_label(request_t *r, grade_status_t s)
{
    static const msg_id_t labels[] = {MSG_grades_status_none, MSG_grades_status_mark, MSG_grades_status_absent,
                                      MSG_grades_status_exempt, MSG_grades_status_not_handed_in};
    return msg(r, labels[(unsigned)s < 5 ? s : 0]);
}

/* "12,5/20", or the status in words. */
static const char *mark_text(request_t *r, grade_status_t s, double value, double scale)
{
    if (s != GRADE_MARK)
        return status_label(r, s);
    return msg2(r, MSG_grades_value_on, grades_number(r, value, false), grades_number(r, scale, false));
}

static bool answer_rc(request_t *r, int rc)
{
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return false;
    }
    return true;
}

bool grades_load_teaching(request_t *r, const principal_t *p, int64_t id, policy_action_t action, teaching_t *out)
{
    if (!answer_rc(r, teaching_get(STORE_READER(reader(r)), &r->arena, id, out)))
        return false;
    policy_target_t t = policy_target_of_teaching(out);
    if (!policy_allows(p, action, &t)) {
        respond_forbidden(r);
        return false;
    }
    return true;
}

bool grades_load_evaluation(request_t *r, const principal_t *p, int64_t id, policy_action_t action,
                            grades_eval_ctx_t *out)
{
    memset(out, 0, sizeof *out);
    if (!answer_rc(r, evaluation_get(STORE_READER(reader(r)), &r->arena, id, &out->e)))
        return false;
    if (!answer_rc(r, teaching_get(STORE_READER(reader(r)), &r->arena, out->e.teaching_id, &out->t)))
        return false;
    policy_target_t t = policy_target_of_teaching(&out->t);
    if (!policy_allows(p, action, &t)) {
        respond_forbidden(r);
        return false;
    }
    out->can_write = policy_allows(p, POLICY_TEACHING_WRITE, &t);
    return true;
}

bool grades_may_see_mark(const principal_t *p, const teaching_t *t, int64_t pupil_id)
{
    /* The pupil is on the teaching's roster: their class is the teaching's, or
     * the teaching's group is one of theirs. */
    membership_t one;
    policy_target_t target = policy_target_pupil(pupil_id, t->school_id, t->class_id, &one);
    int64_t group = t->group_id;
    if (group) {
        target.groups = &group;
        target.ngroups = 1;
    }
    return policy_allows(p, POLICY_PUPIL_RECORD, &target);
}

bool grades_load_pupil_term(request_t *r, const principal_t *p, int64_t pupil_id, grades_pupil_term_t *out)
{
    memset(out, 0, sizeof *out);
    if (!request_query_valid(r)) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return false;
    }
    policy_target_t t;
    if (!answer_rc(r, policy_target_person(reader(r), &r->arena, pupil_id, &t)))
        return false;
    if (!policy_allows(p, POLICY_PUPIL_RECORD, &t)) {
        respond_forbidden(r);
        return false;
    }
    if (!answer_rc(r, person_get(STORE_READER(reader(r)), &r->arena, pupil_id, &out->person)))
        return false;
    int64_t school = t.school_id;
    for (int i = 0; !school && i < t.nroles; i++)
        if (t.roles[i].role == ROLE_PUPIL)
            school = t.roles[i].school_id;
    date_t today = date_today();
    int n = grades_terms(STORE_READER(reader(r)), &r->arena, school, today, &out->terms);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    out->nterms = n;
    out->current = grades_term_index(out->terms, n, today);
    str_t q = request_query(r, "term");
    if (q.ptr) {
        int64_t num = 0;
        int found = -1;
        if (str_to_i64(q, &num))
            for (int i = 0; i < n; i++)
                if (out->terms[i].number == num)
                    found = i;
        if (found < 0) {
            respond_error(r, 400, MSG_grades_error_term, NULL);
            return false;
        }
        out->current = found;
    }
    teaching_t *teachings;
    int nt = teaching_of_pupil(STORE_READER(reader(r)), &r->arena, t.class_id, t.groups, t.ngroups, &teachings);
    if (nt < 0 || grades_of_pupil(STORE_READER(reader(r)), &r->arena, pupil_id, teachings, nt,
                                  out->terms[out->current].starts, out->terms[out->current].ends, &out->grades) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    return true;
}

/* ---- the write job ---- */

int grades_job_run(store_tx_t *tx, void *ud)
{
    grades_job_t *j = ud;
    switch (j->kind) {
    case GRADES_JOB_CREATE:
        return evaluation_save(tx, &j->teaching, 0, &j->in, j->author, j->now, &j->out_id, &j->why);
    case GRADES_JOB_UPDATE:
        j->out_id = j->evaluation_id;
        return evaluation_save(tx, &j->teaching, j->evaluation_id, &j->in, j->author, j->now, NULL, &j->why);
    case GRADES_JOB_DELETE: {
        int rc = evaluation_delete(tx, &j->teaching, j->evaluation_id);
        if (rc < 0)
            return rc;
        j->deleted = rc;
        return STORE_OK;
    }
    case GRADES_JOB_MARKS:
        return marks_set(tx, &j->teaching, j->evaluation_id, j->marks, j->nmarks, j->today, j->now, &j->bad, &j->why);
    }
    return STORE_ERROR;
}

/* ---- the evaluation form ---- */

typedef struct eval_form {
    str_t title, date, coefficient, scale; /* as typed */
    evaluation_input_t in;
    evaluation_errors_t errs;
} eval_form_t;

static str_t field(const form_t *f, const char *name)
{
    str_t s = form_get(f, name);
    return s.ptr ? s : STR("");
}

/* Reads and checks the fields; true when they are all fine. */
static bool read_eval_form(const form_t *f, eval_form_t *ef)
{
    memset(ef, 0, sizeof *ef);
    ef->title = field(f, "title");
    ef->date = field(f, "date");
    ef->coefficient = field(f, "coefficient");
    ef->scale = field(f, "scale");
    ef->in.title = ef->title;
    if (!date_parse_iso(str_trim(ef->date), &ef->in.on))
        ef->errs.date = GRADES_E_DATE;
    ef->in.coefficient = 1;
    if (str_trim(ef->coefficient).len)
        ef->errs.coefficient = grades_parse_number(ef->coefficient, &ef->in.coefficient);
    ef->in.scale = GRADES_DEFAULT_SCALE;
    if (str_trim(ef->scale).len)
        ef->errs.scale = grades_parse_number(ef->scale, &ef->in.scale);
    return evaluation_check(&ef->in, &ef->errs);
}

static value_t *eval_form_view(request_t *r, const eval_form_t *ef)
{
    value_t *v = value_map(&r->arena);
    value_set_str(v, "title", ef->title);
    value_set_str(v, "date", ef->date);
    value_set_str(v, "coefficient", ef->coefficient);
    value_set_str(v, "scale", ef->scale);
    if (ef->errs.title)
        value_set_cstr(v, "title_error", grades_error_message(r, ef->errs.title, 0));
    if (ef->errs.date)
        value_set_cstr(v, "date_error", grades_error_message(r, ef->errs.date, 0));
    if (ef->errs.coefficient)
        value_set_cstr(v, "coefficient_error", grades_error_message(r, ef->errs.coefficient, 0));
    if (ef->errs.scale)
        value_set_cstr(v, "scale_error", grades_error_message(r, ef->errs.scale, 0));
    return v;
}

static value_t *teaching_view(request_t *r, const teaching_t *t)
{
    value_t *v = value_map(&r->arena);
    value_set_int(v, "id", t->id);
    value_set_str(v, "subject", t->subject_name);
    value_set_str(v, "target", t->target_name);
    value_set_str(v, "teacher", t->teacher_name);
    return v;
}

/* ---- a teaching's evaluations ---- */

static void render_evaluations(request_t *r, const principal_t *p, const teaching_t *t, int status,
                               const eval_form_t *typed)
{
    evaluation_t *list;
    int n = evaluations_of_teaching(STORE_READER(reader(r)), &r->arena, t->id, &list);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    policy_target_t target = policy_target_of_teaching(t);
    value_t *v = value_map(&r->arena);
    value_set(v, "teaching", teaching_view(r, t));
    value_set_bool(v, "can_write", policy_allows(p, POLICY_TEACHING_WRITE, &target));
    value_t *l = value_set_list(v, "evaluations");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", list[i].id);
        value_set_str(m, "title", list[i].title);
        value_set_cstr(m, "date", date_text(r, list[i].on));
        value_set_cstr(m, "coefficient", grades_number(r, list[i].coefficient, false));
        value_set_cstr(m, "scale", grades_number(r, list[i].scale, false));
        if (list[i].stats.count)
            value_set_cstr(m, "average", grades_number(r, list[i].stats.average, true));
        int entered = 0;
        for (int k = GRADE_MARK; k <= GRADE_NOT_HANDED_IN; k++)
            entered += list[i].nstatus[k];
        value_set_int(m, "count", entered);
        value_push(l, m);
    }
    if (typed) {
        value_set(v, "form", eval_form_view(r, typed));
        value_set_cstr(v, "form_error", msg(r, MSG_grades_form_errors));
    } else {
        eval_form_t fresh = {.title = STR(""), .date = str_from(iso(r, date_today())), .coefficient = STR("1"),
                             .scale = STR("20")};
        value_set(v, "form", eval_form_view(r, &fresh));
    }
    page_render(r, status, TPL_grades_evaluations, v);
}

static void evaluations_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    teaching_t t;
    if (!grades_load_teaching(r, p, request_param_int(r, "id"), POLICY_TEACHING_READ, &t))
        return;
    render_evaluations(r, p, &t, 200, NULL);
}

typedef struct create_page {
    eval_form_t form;
} create_page_t;

static void evaluation_created(request_t *r, void *ud, int status)
{
    grades_job_t *j = ud;
    create_page_t *cp = j->page;
    if (status == GRADES_INVALID) {
        /* Checked before the job: only a race gets here; say which field. */
        if (j->why == GRADES_E_TITLE)
            cp->form.errs.title = j->why;
        else if (j->why == GRADES_E_DATE)
            cp->form.errs.date = j->why;
        else if (j->why == GRADES_E_COEFFICIENT)
            cp->form.errs.coefficient = j->why;
        else
            cp->form.errs.scale = j->why;
        render_evaluations(r, r->principal, &j->teaching, 400, &cp->form);
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("evaluation created", "evaluation=%lld teaching=%lld by=%lld", (long long)j->out_id,
             (long long)j->teaching.id, (long long)j->author);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/evaluations/%lld?created=1", (long long)j->out_id)));
}

static void evaluation_create(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    if (!grades_load_teaching(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &j->teaching))
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    create_page_t *cp = ARENA_NEW(&r->arena, create_page_t);
    if (!read_eval_form(f, &cp->form)) {
        render_evaluations(r, p, &j->teaching, 400, &cp->form);
        return;
    }
    j->kind = GRADES_JOB_CREATE;
    j->in = cp->form.in;
    j->author = p->person_id;
    j->now = clock_now();
    j->page = cp;
    if (request_store_write(r, grades_job_run, j, evaluation_created) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- an evaluation: the grid, or what a reader may see ---- */

typedef struct grid_row {
    const person_t *who;
    bool present; /* the form named this pupil */
    str_t status, value, comment; /* as typed */
    grades_error_t err;
    bool comment_only; /* a comment with no status: said in its own words */
    mark_input_t in;
} grid_row_t;

typedef struct grid {
    grid_row_t *rows;
    int n;
    int nerrors;
    bool unknown_pupils;
} grid_t;

static value_t *status_options(request_t *r, str_t selected)
{
    value_t *l = value_list(&r->arena);
    for (int s = GRADE_NONE; s <= GRADE_NOT_HANDED_IN; s++) {
        value_t *o = value_map(&r->arena);
        const char *code = s == GRADE_NONE ? "" : grade_status_code((grade_status_t)s);
        value_set_cstr(o, "code", code);
        value_set_cstr(o, "label", status_label(r, (grade_status_t)s));
        value_set_bool(o, "selected", str_eq_cstr(selected, code) ||
                                          (s == GRADE_NONE && str_eq_cstr(selected, "none")));
        value_push(l, o);
    }
    return l;
}

static const char *person_name(request_t *r, const person_t *who)
{
    return arena_printf(&r->arena, "%.*s %.*s", (int)who->last_name.len, who->last_name.ptr,
                        (int)who->first_name.len, who->first_name.ptr);
}

typedef struct eval_page_state {
    const grid_t *typed_grid;     /* a refused grid, as typed */
    const char *grid_error;
    const eval_form_t *typed_form; /* a refused edit, as typed */
    const char *notice;
} eval_page_state_t;

static void render_evaluation(request_t *r, const principal_t *p, const grades_eval_ctx_t *c, int status,
                              const eval_page_state_t *st)
{
    const evaluation_t *e = &c->e;
    value_t *v = value_map(&r->arena);
    value_set(v, "teaching", teaching_view(r, &c->t));
    value_t *ev = value_set_map(v, "evaluation");
    value_set_int(ev, "id", e->id);
    value_set_str(ev, "title", e->title);
    value_set_cstr(ev, "date", iso(r, e->on));
    value_set_cstr(ev, "date_label", date_text(r, e->on));
    value_set_cstr(ev, "coefficient", grades_number(r, e->coefficient, false));
    value_set_cstr(ev, "scale", grades_number(r, e->scale, false));
    if (e->stats.count) {
        value_set_cstr(ev, "average", grades_number(r, e->stats.average, true));
        value_set_cstr(ev, "min", grades_number(r, e->stats.min, false));
        value_set_cstr(ev, "max", grades_number(r, e->stats.max, false));
    }
    value_set_bool(v, "can_write", c->can_write);
    if (st && st->notice)
        value_set_cstr(v, "notice", st->notice);

    person_t *roster;
    int nr = grades_roster(STORE_READER(reader(r)), &r->arena, &c->t, e->on, date_today(), &roster);
    mark_t *marks;
    int nm = marks_of_evaluation(STORE_READER(reader(r)), &r->arena, e->id, &marks);
    if (nr < 0 || nm < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (c->can_write) {
        value_t *rows = value_set_list(v, "rows");
        for (int i = 0; i < nr; i++) {
            const grid_row_t *typed = NULL;
            if (st && st->typed_grid)
                for (int k = 0; k < st->typed_grid->n && !typed; k++)
                    if (st->typed_grid->rows[k].who->id == roster[i].id && st->typed_grid->rows[k].present)
                        typed = &st->typed_grid->rows[k];
            const mark_t *m = NULL;
            for (int k = 0; k < nm && !m; k++)
                if (marks[k].pupil_id == roster[i].id)
                    m = &marks[k];
            value_t *row = value_map(&r->arena);
            value_set_int(row, "id", roster[i].id);
            value_set_cstr(row, "name", person_name(r, &roster[i]));
            if (typed) {
                value_set(row, "statuses", status_options(r, typed->status));
                value_set_str(row, "value", typed->value);
                value_set_str(row, "comment", typed->comment);
                if (typed->err) {
                    value_set_cstr(row, "error", typed->comment_only
                                                     ? msg(r, MSG_grades_error_comment_without_status)
                                                     : grades_error_message(r, typed->err, e->scale));
                }
            } else if (m) {
                value_set(row, "statuses", status_options(r, str_from(grade_status_code(m->status))));
                value_set_cstr(row, "value", m->status == GRADE_MARK ? input_number(r, m->value) : "");
                value_set_str(row, "comment", m->comment);
            } else {
                value_set(row, "statuses", status_options(r, STR("")));
                value_set_cstr(row, "value", "");
                value_set_cstr(row, "comment", "");
            }
            value_push(rows, row);
        }
        if (st && st->grid_error)
            value_set_cstr(v, "grid_error", st->grid_error);
        if (st && st->typed_form) {
            value_set(v, "form", eval_form_view(r, st->typed_form));
            value_set_cstr(v, "form_error", msg(r, MSG_grades_form_errors));
        } else {
            eval_form_t cur = {.title = e->title, .date = str_from(iso(r, e->on)),
                               .coefficient = str_from(input_number(r, e->coefficient)),
                               .scale = str_from(input_number(r, e->scale))};
            value_set(v, "form", eval_form_view(r, &cur));
        }
    } else {
        /* A reader sees the marks policy lets them see: their own, their
         * children's, all of them for the class's teachers and the staff. */
        value_t *vis = value_set_list(v, "visible");
        for (int i = 0; i < nr; i++) {
            if (!grades_may_see_mark(p, &c->t, roster[i].id))
                continue;
            const mark_t *m = NULL;
            for (int k = 0; k < nm && !m; k++)
                if (marks[k].pupil_id == roster[i].id)
                    m = &marks[k];
            value_t *row = value_map(&r->arena);
            value_set_int(row, "id", roster[i].id);
            value_set_cstr(row, "name", person_name(r, &roster[i]));
            value_set_cstr(row, "mark", m ? mark_text(r, m->status, m->value, e->scale) : status_label(r, GRADE_NONE));
            value_set_str(row, "comment", m ? m->comment : STR(""));
            value_push(vis, row);
        }
    }
    page_render(r, status, TPL_grades_evaluation, v);
}

static void evaluation_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_READ, &c))
        return;
    eval_page_state_t st = {0};
    if (request_query(r, "saved").ptr)
        st.notice = msg(r, MSG_grades_saved);
    else if (request_query(r, "created").ptr)
        st.notice = msg(r, MSG_grades_created);
    else if (request_query(r, "updated").ptr)
        st.notice = msg(r, MSG_grades_updated);
    render_evaluation(r, p, &c, 200, &st);
}

/* ---- saving the grid ---- */

/* Does the form name a pupil (status_ID, value_ID, comment_ID) who is not on the roster? */
static bool names_unknown_pupil(const form_t *f, const grid_t *g)
{
    static const char *const prefixes[] = {"status_", "value_", "comment_"};
    for (size_t i = 0; i < f->len; i++) {
        str_t name = f->fields[i].name;
        for (size_t k = 0; k < 3; k++) {
            str_t pre = str_from(prefixes[k]);
            if (!str_starts_with(name, pre))
                continue;
            uint64_t id = 0;
            if (!str_to_u64(str_slice(name, pre.len, name.len), &id))
                return true;
            bool known = false;
            for (int j = 0; j < g->n && !known; j++)
                known = (uint64_t)g->rows[j].who->id == id;
            if (!known)
                return true;
        }
    }
    return false;
}

typedef struct marks_page {
    grades_eval_ctx_t c;
    grid_t grid;
} marks_page_t;

static void marks_saved(request_t *r, void *ud, int status)
{
    grades_job_t *j = ud;
    marks_page_t *mp = j->page;
    if (status == GRADES_INVALID) {
        /* The roster or the evaluation changed since the checks: show the row. */
        if (j->bad >= 0 && j->bad < j->nmarks)
            for (int i = 0; i < mp->grid.n; i++)
                if (mp->grid.rows[i].present && mp->grid.rows[i].who->id == j->marks[j->bad].pupil_id)
                    mp->grid.rows[i].err = j->why;
        eval_page_state_t st = {.typed_grid = &mp->grid, .grid_error = j->why == GRADES_E_NOT_FOUND
                                                                           ? msg(r, MSG_grades_error_not_found)
                                                                           : msg(r, MSG_grades_form_errors)};
        render_evaluation(r, r->principal, &mp->c, 400, &st);
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("marks saved", "evaluation=%lld marks=%d by=%lld", (long long)j->evaluation_id, j->nmarks,
             (long long)j->author);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/evaluations/%lld?saved=1", (long long)j->evaluation_id)));
}

static void marks_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    marks_page_t *mp = ARENA_NEW(&r->arena, marks_page_t);
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &mp->c))
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    person_t *roster;
    date_t today = date_today();
    int nr = grades_roster(STORE_READER(reader(r)), &r->arena, &mp->c.t, mp->c.e.on, today, &roster);
    if (nr < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    grid_t *g = &mp->grid;
    g->rows = arena_zalloc(&r->arena, sizeof *g->rows * (size_t)(nr + 1));
    g->n = nr;
    mark_input_t *marks = arena_zalloc(&r->arena, sizeof *marks * (size_t)(nr + 1));
    int nmarks = 0;
    for (int i = 0; i < nr; i++) {
        grid_row_t *row = &g->rows[i];
        row->who = &roster[i];
        char name[40];
        snprintf(name, sizeof name, "status_%lld", (long long)roster[i].id);
        str_t status = form_get(f, name);
        snprintf(name, sizeof name, "value_%lld", (long long)roster[i].id);
        str_t value = form_get(f, name);
        snprintf(name, sizeof name, "comment_%lld", (long long)roster[i].id);
        str_t comment = form_get(f, name);
        if (!status.ptr && !value.ptr && !comment.ptr)
            continue; /* not in this form: left as it is */
        row->present = true;
        row->status = status.ptr ? status : STR("");
        row->value = value.ptr ? value : STR("");
        row->comment = comment.ptr ? comment : STR("");
        mark_input_t *m = &row->in;
        m->pupil_id = roster[i].id;
        m->comment = str_trim(row->comment);
        if (!grade_status_parse(str_trim(row->status), &m->status)) {
            row->err = GRADES_E_STATUS;
        } else if (str_trim(row->value).len) {
            row->err = grades_parse_number(row->value, &m->value);
            m->has_value = true;
            if (m->status == GRADE_NONE)
                m->status = GRADE_MARK; /* typing a number is enough */
        }
        if (!row->err && m->status == GRADE_NONE && m->comment.len) {
            row->err = GRADES_E_VALUE_MISSING;
            row->comment_only = true;
        }
        if (!row->err)
            row->err = mark_check(m, mp->c.e.scale);
        if (row->err)
            g->nerrors++;
        else
            marks[nmarks++] = *m;
    }
    g->unknown_pupils = names_unknown_pupil(f, g);
    if (g->nerrors || g->unknown_pupils) {
        eval_page_state_t st = {.typed_grid = g, .grid_error = g->unknown_pupils ? msg(r, MSG_grades_error_unknown_pupils)
                                                                                 : msg(r, MSG_grades_form_errors)};
        render_evaluation(r, p, &mp->c, 400, &st);
        return;
    }
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    j->kind = GRADES_JOB_MARKS;
    j->teaching = mp->c.t;
    j->evaluation_id = mp->c.e.id;
    j->marks = marks;
    j->nmarks = nmarks;
    j->author = p->person_id;
    j->today = today;
    j->now = clock_now();
    j->page = mp;
    if (request_store_write(r, grades_job_run, j, marks_saved) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- editing and deleting an evaluation ---- */

typedef struct edit_page {
    grades_eval_ctx_t c;
    eval_form_t form;
} edit_page_t;

static void evaluation_updated(request_t *r, void *ud, int status)
{
    grades_job_t *j = ud;
    edit_page_t *ep = j->page;
    if (status == GRADES_INVALID) {
        if (j->why == GRADES_E_NOT_FOUND) {
            respond_error(r, 404, MSG_error_not_found, NULL);
            return;
        }
        if (j->why == GRADES_E_SCALE_BELOW_MARKS || j->why == GRADES_E_SCALE)
            ep->form.errs.scale = j->why;
        else if (j->why == GRADES_E_DATE)
            ep->form.errs.date = j->why;
        else if (j->why == GRADES_E_COEFFICIENT)
            ep->form.errs.coefficient = j->why;
        else
            ep->form.errs.title = j->why;
        eval_page_state_t st = {.typed_form = &ep->form};
        render_evaluation(r, r->principal, &ep->c, 400, &st);
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/evaluations/%lld?updated=1", (long long)j->out_id)));
}

static void evaluation_edit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    edit_page_t *ep = ARENA_NEW(&r->arena, edit_page_t);
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &ep->c))
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    if (!read_eval_form(f, &ep->form)) {
        eval_page_state_t st = {.typed_form = &ep->form};
        render_evaluation(r, p, &ep->c, 400, &st);
        return;
    }
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    j->kind = GRADES_JOB_UPDATE;
    j->teaching = ep->c.t;
    j->evaluation_id = ep->c.e.id;
    j->in = ep->form.in;
    j->author = p->person_id;
    j->now = clock_now();
    j->page = ep;
    if (request_store_write(r, grades_job_run, j, evaluation_updated) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

static void evaluation_deleted(request_t *r, void *ud, int status)
{
    grades_job_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (!j->deleted) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    LOG_INFO("evaluation deleted", "evaluation=%lld by=%lld", (long long)j->evaluation_id, (long long)j->author);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/teaching/%lld/evaluations", (long long)j->teaching.id)));
}

static void evaluation_remove(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &c))
        return;
    if (!request_form(r))
        return;
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    j->kind = GRADES_JOB_DELETE;
    j->teaching = c.t;
    j->evaluation_id = c.e.id;
    j->author = p->person_id;
    if (request_store_write(r, grades_job_run, j, evaluation_deleted) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- a pupil's marks and term report ---- */

static value_t *term_views(request_t *r, grades_pupil_term_t *pt, value_t *v)
{
    value_t *l = value_set_list(v, "terms");
    for (int i = 0; i < pt->nterms; i++) {
        const term_t *t = &pt->terms[i];
        char num[12];
        snprintf(num, sizeof num, "%d", t->number);
        value_t *m = value_map(&r->arena);
        value_set_int(m, "number", t->number);
        value_set_cstr(m, "label", t->label.len ? arena_strndup(&r->arena, t->label.ptr, t->label.len)
                                                : msg1(r, MSG_grades_term_n, num));
        value_set_cstr(m, "starts", date_text(r, t->starts));
        value_set_cstr(m, "ends", date_text(r, t->ends));
        value_set_bool(m, "current", i == pt->current);
        value_push(l, m);
        if (i == pt->current)
            value_set(v, "term", m);
    }
    return l;
}

static value_t *pupil_view(request_t *r, const grades_pupil_term_t *pt, bool with_marks)
{
    value_t *v = value_map(&r->arena);
    value_t *pv = value_set_map(v, "pupil");
    value_set_int(pv, "id", pt->person.id);
    value_set_cstr(pv, "name", arena_printf(&r->arena, "%.*s %.*s", (int)pt->person.first_name.len,
                                            pt->person.first_name.ptr, (int)pt->person.last_name.len,
                                            pt->person.last_name.ptr));
    term_views(r, (grades_pupil_term_t *)pt, v);
    const pupil_grades_t *g = &pt->grades;
    value_set_bool(v, "has_average", g->has_average);
    if (g->has_average)
        value_set_cstr(v, "average", grades_number(r, g->average, true));
    value_t *subjects = value_set_list(v, "subjects");
    for (int s = 0; s < g->nsubjects; s++) {
        const subject_grades_t *sg = &g->subjects[s];
        value_t *m = value_map(&r->arena);
        value_set_int(m, "subject_id", sg->subject_id);
        value_set_str(m, "subject", sg->subject_name);
        value_set_str(m, "teacher", sg->teacher_names);
        if (sg->has_average)
            value_set_cstr(m, "average", grades_number(r, sg->average, true));
        if (sg->class_stats.count) {
            value_set_cstr(m, "class_average", grades_number(r, sg->class_stats.average, true));
            value_set_cstr(m, "min", grades_number(r, sg->class_stats.min, true));
            value_set_cstr(m, "max", grades_number(r, sg->class_stats.max, true));
        }
        if (with_marks) {
            value_t *ml = value_set_list(m, "marks");
            for (int k = 0; k < sg->nmarks; k++) {
                const pupil_mark_t *pm = &sg->marks[k];
                value_t *x = value_map(&r->arena);
                value_set_int(x, "id", pm->eval.id);
                value_set_str(x, "title", pm->eval.title);
                value_set_cstr(x, "date_label", date_text(r, pm->eval.on));
                value_set_cstr(x, "coefficient", grades_number(r, pm->eval.coefficient, false));
                value_set_cstr(x, "scale", grades_number(r, pm->eval.scale, false));
                value_set_cstr(x, "status", grade_status_code(pm->status));
                value_set_cstr(x, "mark", mark_text(r, pm->status, pm->value, pm->eval.scale));
                value_set_str(x, "comment", pm->comment);
                if (pm->eval.stats.count)
                    value_set_cstr(x, "average", grades_number(r, pm->eval.stats.average, true));
                value_push(ml, x);
            }
        }
        value_push(subjects, m);
    }
    return v;
}

static void pupil_grades_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_pupil_term_t pt;
    if (!grades_load_pupil_term(r, p, request_param_int(r, "id"), &pt))
        return;
    page_render(r, 200, TPL_grades_pupil, pupil_view(r, &pt, true));
}

static void pupil_report_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_pupil_term_t pt;
    if (!grades_load_pupil_term(r, p, request_param_int(r, "id"), &pt))
        return;
    page_render(r, 200, TPL_grades_report, pupil_view(r, &pt, false));
}

int grades_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/teaching/{id:int}/evaluations", HANDLER(evaluations_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/teaching/{id:int}/evaluations", HANDLER(evaluation_create), NULL, 0, err,
                    errlen) ||
        !router_add(router, "GET", "/evaluations/{id:int}", HANDLER(evaluation_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/evaluations/{id:int}/marks", HANDLER(marks_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/evaluations/{id:int}/edit", HANDLER(evaluation_edit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/evaluations/{id:int}/delete", HANDLER(evaluation_remove), NULL, 0, err,
                    errlen) ||
        !router_add(router, "GET", "/pupils/{id:int}/grades", HANDLER(pupil_grades_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/pupils/{id:int}/report", HANDLER(pupil_report_page), NULL, 0, err, errlen))
        return -1;
    return grades_api_register_routes(router, err, errlen);
}
