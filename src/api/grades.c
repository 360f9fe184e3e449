/* The grades API: a pupil's marks and averages for a term, an evaluation with the
 * marks the caller may see, creating and changing evaluations, setting marks.
 * Same loaders, checks and write job as the pages (web/grades.h). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/negotiate.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/grades.h"
#include "web/template.h"
#include "web_generated.h"

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

static bool accepts_json(request_t *r)
{
    if (accept_allows_json(request_header(r, "accept")))
        return true;
    respond_error(r, 406, MSG_error_not_acceptable, NULL);
    return false;
}

static const char *error_code(grades_error_t e)
{
    static const char *const codes[] = {
        "ok",     "title",         "date",          "coefficient",      "scale",   "scale_below_marks",
        "not_number", "precision", "status",        "value_missing",    "value_range", "value_unexpected",
        "comment", "pupil",        "duplicate",     "too_many",         "not_found",
    };
    return (unsigned)e < sizeof codes / sizeof codes[0] ? codes[e] : "invalid";
}

static value_t *field_error(request_t *r, const char *field, int64_t pupil, grades_error_t e, double scale)
{
    value_t *m = value_map(&r->arena);
    value_set_cstr(m, "field", field);
    if (pupil)
        value_set_int(m, "pupil", pupil);
    value_set_cstr(m, "code", error_code(e));
    value_set_cstr(m, "message", grades_error_message(r, e, scale));
    return m;
}

/* 400 in the API's error shape, with one entry per refused field. */
static void respond_invalid(request_t *r, const char *detail, value_t *fields)
{
    value_t *root = value_map(&r->arena);
    value_t *err = value_set_map(root, "error");
    value_set_int(err, "status", 400);
    value_set_cstr(err, "code", "bad_input");
    value_set_cstr(err, "message", i18n_text((lang_id_t)r->lang, MSG_error_bad_input));
    value_set_cstr(err, "detail", detail);
    value_set(err, "fields", fields);
    respond_json(r, 400, root);
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

/* ---- GET /api/v1/grades ---- */

static value_t *term_json(request_t *r, const term_t *t)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "number", t->number);
    value_set_str(m, "label", t->label);
    value_set_cstr(m, "starts_on", iso(r, t->starts));
    value_set_cstr(m, "ends_on", iso(r, t->ends));
    return m;
}

static value_t *stats_json(request_t *r, const grade_stats_t *s)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "count", s->count);
    value_set(m, "average", grades_json_number(r, s->count > 0, s->average));
    value_set(m, "min", grades_json_number(r, s->count > 0, s->min));
    value_set(m, "max", grades_json_number(r, s->count > 0, s->max));
    return m;
}

static void api_grades(request_t *r)
{
    if (!accepts_json(r))
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    str_t q = request_query(r, "pupil");
    int64_t pupil = 0;
    if (q.ptr) {
        if (!str_to_i64(q, &pupil) || pupil <= 0) {
            respond_error(r, 400, MSG_grades_error_pupil_param, NULL);
            return;
        }
    } else if (principal_has_any_role(p, ROLE_PUPIL)) {
        pupil = p->person_id;
    } else {
        pupil = request_current_child(r);
    }
    if (!pupil) {
        respond_error(r, 400, MSG_grades_error_pupil_param, NULL);
        return;
    }
    grades_pupil_term_t pt;
    if (!grades_load_pupil_term(r, p, pupil, &pt))
        return;
    value_t *root = value_map(&r->arena);
    value_t *pv = value_set_map(root, "pupil");
    value_set_int(pv, "id", pt.person.id);
    value_set_str(pv, "first_name", pt.person.first_name);
    value_set_str(pv, "last_name", pt.person.last_name);
    value_set(root, "term", term_json(r, &pt.terms[pt.current]));
    value_t *terms = value_set_list(root, "terms");
    for (int i = 0; i < pt.nterms; i++)
        value_push(terms, term_json(r, &pt.terms[i]));
    value_set(root, "average", grades_json_number(r, pt.grades.has_average, pt.grades.average));
    value_t *subjects = value_set_list(root, "subjects");
    for (int s = 0; s < pt.grades.nsubjects; s++) {
        const subject_grades_t *sg = &pt.grades.subjects[s];
        value_t *m = value_map(&r->arena);
        value_set_int(m, "subject_id", sg->subject_id);
        value_set_str(m, "subject", sg->subject_name);
        value_set_str(m, "teacher", sg->teacher_names);
        value_set(m, "average", grades_json_number(r, sg->has_average, sg->average));
        value_set(m, "class_average", grades_json_number(r, sg->class_stats.count > 0, sg->class_stats.average));
        value_set(m, "min", grades_json_number(r, sg->class_stats.count > 0, sg->class_stats.min));
        value_set(m, "max", grades_json_number(r, sg->class_stats.count > 0, sg->class_stats.max));
        value_t *marks = value_set_list(m, "marks");
        for (int k = 0; k < sg->nmarks; k++) {
            const pupil_mark_t *pm = &sg->marks[k];
            value_t *x = value_map(&r->arena);
            value_set_int(x, "evaluation_id", pm->eval.id);
            value_set_int(x, "teaching_id", pm->eval.teaching_id);
            value_set_str(x, "title", pm->eval.title);
            value_set_cstr(x, "date", iso(r, pm->eval.on));
            value_set(x, "coefficient", value_number(&r->arena, pm->eval.coefficient));
            value_set(x, "scale", value_number(&r->arena, pm->eval.scale));
            value_set_cstr(x, "status", grade_status_code(pm->status));
            value_set(x, "value", grades_json_number(r, pm->status == GRADE_MARK, pm->value));
            value_set_str(x, "comment", pm->comment);
            value_set(x, "class", stats_json(r, &pm->eval.stats));
            value_push(marks, x);
        }
        value_push(subjects, m);
    }
    respond_json(r, 200, root);
}

/* ---- an evaluation ---- */

static value_t *evaluation_json(request_t *r, const principal_t *p, const grades_eval_ctx_t *c)
{
    const evaluation_t *e = &c->e;
    value_t *v = value_map(&r->arena);
    value_set_int(v, "id", e->id);
    value_set_int(v, "teaching_id", e->teaching_id);
    value_set_str(v, "subject", c->t.subject_name);
    value_set_str(v, "target", c->t.target_name);
    value_set_str(v, "teacher", c->t.teacher_name);
    value_set_str(v, "title", e->title);
    value_set_cstr(v, "date", iso(r, e->on));
    value_set(v, "coefficient", value_number(&r->arena, e->coefficient));
    value_set(v, "scale", value_number(&r->arena, e->scale));
    value_set(v, "class", stats_json(r, &e->stats));
    value_set_bool(v, "can_write", c->can_write);
    person_t *roster;
    int nr = grades_roster(STORE_READER(reader(r)), &r->arena, &c->t, e->on, date_today(), &roster);
    mark_t *marks;
    int nm = marks_of_evaluation(STORE_READER(reader(r)), &r->arena, e->id, &marks);
    if (nr < 0 || nm < 0)
        return NULL;
    value_t *list = value_set_list(v, "marks");
    for (int i = 0; i < nr; i++) {
        if (!c->can_write && !grades_may_see_mark(p, &c->t, roster[i].id))
            continue;
        const mark_t *m = NULL;
        for (int k = 0; k < nm && !m; k++)
            if (marks[k].pupil_id == roster[i].id)
                m = &marks[k];
        value_t *x = value_map(&r->arena);
        value_set_int(x, "pupil", roster[i].id);
        value_set_str(x, "first_name", roster[i].first_name);
        value_set_str(x, "last_name", roster[i].last_name);
        value_set_cstr(x, "status", grade_status_code(m ? m->status : GRADE_NONE));
        value_set(x, "value", grades_json_number(r, m && m->status == GRADE_MARK, m ? m->value : 0));
        value_set_str(x, "comment", m ? m->comment : STR(""));
        value_push(list, x);
    }
    return v;
}

/* Answers with the evaluation as it now is (after a write). */
static void respond_evaluation(request_t *r, int status, int64_t id)
{
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, r->principal, id, POLICY_TEACHING_READ, &c))
        return;
    value_t *v = evaluation_json(r, r->principal, &c);
    if (!v) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (status == 201)
        response_header(r, "location", str_from(arena_printf(&r->arena, "/api/v1/evaluations/%lld", (long long)id)));
    respond_json(r, status, v);
}

static void api_evaluation(request_t *r)
{
    if (!accepts_json(r))
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_READ, &c))
        return;
    value_t *v = evaluation_json(r, p, &c);
    if (!v) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    respond_json(r, 200, v);
}

/* ---- creating and changing an evaluation ---- */

/* Reads {title, date, coefficient?, scale?}; answers 400 and returns false on any fault. */
static bool read_evaluation(request_t *r, json_t *body, evaluation_input_t *in)
{
    memset(in, 0, sizeof *in);
    if (!json_is_object(body)) {
        respond_error(r, 400, MSG_error_bad_input,
                      "expected {\"title\": string, \"date\": \"YYYY-MM-DD\", \"coefficient\": number, \"scale\": number}");
        return false;
    }
    evaluation_errors_t errs = {0};
    json_t *title = json_object_get(body, "title"), *date = json_object_get(body, "date");
    json_t *coef = json_object_get(body, "coefficient"), *scale = json_object_get(body, "scale");
    if (json_is_string(title))
        in->title = (str_t){json_string_value(title), json_string_length(title)};
    else
        errs.title = GRADES_E_TITLE;
    if (!json_is_string(date) ||
        !date_parse_iso((str_t){json_string_value(date), json_string_length(date)}, &in->on))
        errs.date = GRADES_E_DATE;
    in->coefficient = 1;
    if (coef && !json_is_null(coef)) {
        if (json_is_number(coef))
            in->coefficient = json_number_value(coef);
        else
            errs.coefficient = GRADES_E_NOT_NUMBER;
    }
    in->scale = GRADES_DEFAULT_SCALE;
    if (scale && !json_is_null(scale)) {
        if (json_is_number(scale))
            in->scale = json_number_value(scale);
        else
            errs.scale = GRADES_E_NOT_NUMBER;
    }
    if (evaluation_check(in, &errs))
        return true;
    value_t *fields = value_list(&r->arena);
    const char *first = NULL;
    const struct {
        const char *name;
        grades_error_t e;
    } all[] = {{"title", errs.title}, {"date", errs.date}, {"coefficient", errs.coefficient}, {"scale", errs.scale}};
    for (size_t i = 0; i < 4; i++)
        if (all[i].e) {
            value_push(fields, field_error(r, all[i].name, 0, all[i].e, 0));
            if (!first)
                first = arena_printf(&r->arena, "%s: %s", all[i].name, grades_error_text(all[i].e));
        }
    respond_invalid(r, first, fields);
    return false;
}

static void write_done(request_t *r, void *ud, int status)
{
    grades_job_t *j = ud;
    if (status == GRADES_INVALID) {
        if (j->why == GRADES_E_NOT_FOUND) {
            respond_error(r, 404, MSG_error_not_found, NULL);
            return;
        }
        value_t *fields = value_list(&r->arena);
        const char *name = j->kind == GRADES_JOB_MARKS ? arena_printf(&r->arena, "marks[%d]", j->bad)
                           : j->why == GRADES_E_SCALE_BELOW_MARKS ? "scale"
                                                                  : "evaluation";
        int64_t pupil = j->kind == GRADES_JOB_MARKS && j->bad >= 0 && j->bad < j->nmarks ? j->marks[j->bad].pupil_id : 0;
        value_push(fields, field_error(r, name, pupil, j->why, j->in.scale));
        respond_invalid(r, arena_printf(&r->arena, "%s: %s", name, grades_error_text(j->why)), fields);
        return;
    }
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    switch (j->kind) {
    case GRADES_JOB_CREATE:
        respond_evaluation(r, 201, j->out_id);
        return;
    case GRADES_JOB_UPDATE:
    case GRADES_JOB_MARKS:
        respond_evaluation(r, 200, j->kind == GRADES_JOB_UPDATE ? j->out_id : j->evaluation_id);
        return;
    case GRADES_JOB_DELETE:
        if (!j->deleted)
            respond_error(r, 404, MSG_error_not_found, NULL);
        else
            respond_no_content(r, 204);
        return;
    }
}

static void submit(request_t *r, grades_job_t *j)
{
    if (request_store_write(r, grades_job_run, j, write_done) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

static void api_create(request_t *r)
{
    if (!accepts_json(r))
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    if (!grades_load_teaching(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &j->teaching))
        return;
    json_t *body = request_json(r);
    if (!body || !read_evaluation(r, body, &j->in))
        return;
    j->kind = GRADES_JOB_CREATE;
    j->author = p->person_id;
    j->now = clock_now();
    submit(r, j);
}

static void api_update(request_t *r)
{
    if (!accepts_json(r))
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &c))
        return;
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    json_t *body = request_json(r);
    if (!body || !read_evaluation(r, body, &j->in))
        return;
    j->kind = GRADES_JOB_UPDATE;
    j->teaching = c.t;
    j->evaluation_id = c.e.id;
    j->author = p->person_id;
    j->now = clock_now();
    submit(r, j);
}

static void api_delete(request_t *r)
{
    if (!accepts_json(r))
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &c))
        return;
    /* A body ({}) is required: reading it is what checks a browser session's CSRF token. */
    if (!request_json(r))
        return;
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    j->kind = GRADES_JOB_DELETE;
    j->teaching = c.t;
    j->evaluation_id = c.e.id;
    j->author = p->person_id;
    submit(r, j);
}

/* ---- setting marks ---- */

static void api_marks(request_t *r)
{
    if (!accepts_json(r))
        return;
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    grades_eval_ctx_t c;
    if (!grades_load_evaluation(r, p, request_param_int(r, "id"), POLICY_TEACHING_WRITE, &c))
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    json_t *list = json_is_object(body) ? json_object_get(body, "marks") : body;
    if (!json_is_array(list)) {
        respond_error(r, 400, MSG_error_bad_input,
                      "expected [{\"pupil\": id, \"status\": \"mark\", \"value\": number, \"comment\": string}] "
                      "or {\"marks\": [...]}");
        return;
    }
    size_t n = json_array_size(list);
    if (n > GRADES_MARKS_MAX) {
        value_t *fields = value_list(&r->arena);
        value_push(fields, field_error(r, "marks", 0, GRADES_E_TOO_MANY, c.e.scale));
        respond_invalid(r, grades_error_text(GRADES_E_TOO_MANY), fields);
        return;
    }
    person_t *roster;
    date_t today = date_today();
    int nr = grades_roster(STORE_READER(reader(r)), &r->arena, &c.t, c.e.on, today, &roster);
    if (nr < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    mark_input_t *marks = arena_zalloc(&r->arena, sizeof *marks * (n + 1));
    value_t *fields = value_list(&r->arena);
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);
        json_t *pupil = json_object_get(item, "pupil"), *status = json_object_get(item, "status");
        json_t *value = json_object_get(item, "value"), *comment = json_object_get(item, "comment");
        mark_input_t *m = &marks[i];
        grades_error_t e = GRADES_OK;
        const char *what = "status";
        if (!json_is_object(item) || !json_is_integer(pupil) || json_integer_value(pupil) <= 0) {
            e = GRADES_E_PUPIL;
            what = "pupil";
        } else {
            m->pupil_id = json_integer_value(pupil);
            m->comment = STR("");
            if (!json_is_string(status) ||
                !grade_status_parse((str_t){json_string_value(status), json_string_length(status)}, &m->status) ||
                json_string_length(status) == 0)
                e = GRADES_E_STATUS;
            if (!e && value && !json_is_null(value)) {
                what = "value";
                if (json_is_number(value)) {
                    m->has_value = true;
                    m->value = json_number_value(value);
                } else {
                    e = GRADES_E_NOT_NUMBER;
                }
            }
            if (!e && comment && !json_is_null(comment)) {
                what = "comment";
                if (json_is_string(comment))
                    m->comment = (str_t){json_string_value(comment), json_string_length(comment)};
                else
                    e = GRADES_E_COMMENT;
            }
            if (!e) {
                e = mark_check(m, c.e.scale);
                what = e == GRADES_E_COMMENT ? "comment" : e == GRADES_E_STATUS ? "status" : "value";
            }
            if (!e) {
                bool in_roster = false;
                for (int k = 0; k < nr && !in_roster; k++)
                    in_roster = roster[k].id == m->pupil_id;
                for (size_t k = 0; k < i && !e; k++)
                    if (marks[k].pupil_id == m->pupil_id)
                        e = GRADES_E_DUPLICATE;
                if (!in_roster)
                    e = GRADES_E_PUPIL;
                what = "pupil";
            }
        }
        if (e) {
            const char *name = arena_printf(&r->arena, "marks[%zu].%s", i, what);
            value_push(fields, field_error(r, name, m->pupil_id, e, c.e.scale));
            if (!first)
                first = arena_printf(&r->arena, "%s: %s", name, grades_error_text(e));
        }
    }
    if (first) {
        respond_invalid(r, first, fields);
        return;
    }
    grades_job_t *j = ARENA_NEW(&r->arena, grades_job_t);
    j->kind = GRADES_JOB_MARKS;
    j->teaching = c.t;
    j->evaluation_id = c.e.id;
    j->in.scale = c.e.scale;
    j->marks = marks;
    j->nmarks = (int)n;
    j->author = p->person_id;
    j->today = today;
    j->now = clock_now();
    submit(r, j);
}

int grades_api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1/grades", HANDLER(api_grades), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/evaluations/{id:int}", HANDLER(api_evaluation), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "PUT", "/api/v1/evaluations/{id:int}", HANDLER(api_update), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "DELETE", "/api/v1/evaluations/{id:int}", HANDLER(api_delete), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "POST", "/api/v1/teaching/{id:int}/evaluations", HANDLER(api_create), NULL, ROUTE_API,
                    err, errlen) ||
        !router_add(router, "PUT", "/api/v1/evaluations/{id:int}/marks", HANDLER(api_marks), NULL, ROUTE_API, err,
                    errlen))
        return -1;
    return 0;
}
