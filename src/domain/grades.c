#include "domain/grades.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/timetable.h"

#define TEACHINGS_MAX 64

/* ---- codes ---- */

static const char *const status_codes[] = {"none", "mark", "absent", "exempt", "not_handed_in"};

const char *grade_status_code(grade_status_t s)
{
    return (unsigned)s < sizeof status_codes / sizeof status_codes[0] ? status_codes[s] : "none";
}

bool grade_status_parse(str_t s, grade_status_t *out)
{
    if (s.len == 0) {
        *out = GRADE_NONE;
        return true;
    }
    for (size_t i = 0; i < sizeof status_codes / sizeof status_codes[0]; i++)
        if (str_eq_cstr(s, status_codes[i])) {
            *out = (grade_status_t)i;
            return true;
        }
    return false;
}

const char *grades_error_text(grades_error_t e)
{
    switch (e) {
    case GRADES_OK: return "ok";
    case GRADES_E_TITLE: return "the title is required (200 characters at most)";
    case GRADES_E_DATE: return "the date must be a real date (YYYY-MM-DD)";
    case GRADES_E_COEFFICIENT: return "the coefficient must be above 0 and at most 100";
    case GRADES_E_SCALE: return "the scale must be above 0 and at most 1000";
    case GRADES_E_SCALE_BELOW_MARKS: return "marks already given are above this scale";
    case GRADES_E_NOT_NUMBER: return "not a number";
    case GRADES_E_PRECISION: return "at most 2 decimals";
    case GRADES_E_STATUS: return "the status must be mark, absent, exempt, not_handed_in or none";
    case GRADES_E_VALUE_MISSING: return "a mark needs a value";
    case GRADES_E_VALUE_RANGE: return "the value must be between 0 and the evaluation's scale";
    case GRADES_E_VALUE_UNEXPECTED: return "only the status mark takes a value";
    case GRADES_E_COMMENT: return "the comment is too long (500 characters at most)";
    case GRADES_E_PUPIL: return "not a pupil of this class or group";
    case GRADES_E_DUPLICATE: return "the same pupil appears twice";
    case GRADES_E_TOO_MANY: return "too many marks in one request";
    case GRADES_E_NOT_FOUND: return "no such evaluation in this teaching";
    }
    return "invalid";
}

/* ---- arithmetic ---- */

double grades_on20(double value, double scale)
{
    return value / scale * 20.0;
}

double grades_round2(double v)
{
    /* The nudge keeps 12.345 (stored as 12.34499...) rounding up as people expect. */
    return round(v * 100.0 + copysign(1e-7, v)) / 100.0;
}

bool grades_two_decimals(double v)
{
    if (!isfinite(v))
        return false;
    double x = v * 100.0;
    return fabs(x - nearbyint(x)) < 1e-6;
}

bool grades_average(const grade_point_t *p, int n, double *out)
{
    double sum = 0, weight = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].status != GRADE_MARK || !(p[i].scale > 0) || !(p[i].coefficient > 0))
            continue;
        sum += grades_on20(p[i].value, p[i].scale) * p[i].coefficient;
        weight += p[i].coefficient;
    }
    if (weight <= 0)
        return false;
    *out = sum / weight;
    return true;
}

void grades_stats(const double *v, int n, grade_stats_t *out)
{
    memset(out, 0, sizeof *out);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || v[i] < out->min)
            out->min = v[i];
        if (i == 0 || v[i] > out->max)
            out->max = v[i];
        sum += v[i];
    }
    out->count = n > 0 ? n : 0;
    if (n > 0)
        out->average = sum / n;
}

grades_error_t grades_parse_number(str_t s, double *out)
{
    s = str_trim(s);
    size_t i = 0;
    bool negative = false;
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+'))
        negative = s.ptr[i++] == '-';
    int64_t whole = 0;
    size_t digits = 0;
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, digits++) {
        if (digits >= 9)
            return GRADES_E_NOT_NUMBER; /* far beyond any scale */
        whole = whole * 10 + (s.ptr[i] - '0');
    }
    int64_t frac = 0;
    size_t fdigits = 0;
    if (i < s.len && (s.ptr[i] == '.' || s.ptr[i] == ',')) {
        i++;
        for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, fdigits++)
            if (fdigits < 2)
                frac = frac * 10 + (s.ptr[i] - '0');
    }
    if (i != s.len || digits + fdigits == 0)
        return GRADES_E_NOT_NUMBER;
    if (fdigits > 2) {
        /* "12.500" is still 2 decimals; "12.345" is not. */
        for (size_t k = s.len - (fdigits - 2); k < s.len; k++)
            if (s.ptr[k] != '0')
                return GRADES_E_PRECISION;
    }
    if (fdigits == 1)
        frac *= 10;
    double v = (double)(whole * 100 + frac) / 100.0;
    *out = negative ? -v : v;
    return GRADES_OK;
}

/* ---- terms ---- */

void grades_default_terms(date_t on, term_t out[3])
{
    date_t starts, ends;
    char label[10];
    school_year_of(on, &starts, &ends, label);
    date_t march = {starts.year + 1, 3, 1};
    out[0] = (term_t){1, STR(""), starts, (date_t){starts.year, 11, 30}};
    out[1] = (term_t){2, STR(""), (date_t){starts.year, 12, 1}, date_add_days(march, -1)};
    out[2] = (term_t){3, STR(""), march, ends};
}

typedef struct term_row {
    term_t t;
    bool ok;
} term_row_t;

static void fill_term(arena_t *a, const store_row_t *row, void *item)
{
    term_row_t *t = item;
    t->t.number = (int)store_row_int(row, 0);
    t->t.label = store_row_text_copy(row, 1, a);
    t->ok = date_parse_iso(store_row_text(row, 2), &t->t.starts) && date_parse_iso(store_row_text(row, 3), &t->t.ends);
}

int grades_terms(store_src_t src, arena_t *a, int64_t school_id, date_t on, term_t **out)
{
    school_year_t year;
    int rc = school_year_for(src, a, school_id, on, &year);
    if (rc < 0)
        return rc;
    int n = 0;
    term_row_t *rows = NULL;
    if (rc == 1) {
        n = store_list(src, a, "SELECT number, label, starts_on, ends_on FROM terms WHERE school_id = ? AND year_id = ? "
                               "ORDER BY number",
                       STORE_ARGS(SA_INT(school_id), SA_INT(year.id)), sizeof *rows, fill_term, (void **)&rows);
        if (n < 0)
            return n;
    }
    int good = 0;
    for (int i = 0; i < n; i++)
        good += rows[i].ok;
    if (good == 0) {
        term_t *d = arena_alloc(a, sizeof *d * 3);
        grades_default_terms(on, d);
        *out = d;
        return 3;
    }
    term_t *list = arena_alloc(a, sizeof *list * (size_t)good);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].ok)
            list[k++] = rows[i].t;
    *out = list;
    return k;
}

int grades_term_index(const term_t *terms, int n, date_t on)
{
    int last_started = 0;
    for (int i = 0; i < n; i++) {
        if (date_compare(terms[i].starts, on) <= 0 && date_compare(on, terms[i].ends) <= 0)
            return i;
        if (date_compare(terms[i].starts, on) <= 0)
            last_started = i;
    }
    return last_started;
}

/* ---- checks ---- */

static bool text_fits(str_t s, size_t max_chars)
{
    if (!s.ptr)
        return true;
    return text_check(s.ptr, s.len) == TEXT_OK && utf8_length(s.ptr, s.len) <= max_chars;
}

bool evaluation_check(const evaluation_input_t *in, evaluation_errors_t *e)
{
    if (e->title == GRADES_OK && (!in->title.ptr || str_trim(in->title).len == 0 || !text_fits(in->title, GRADES_TITLE_MAX)))
        e->title = GRADES_E_TITLE;
    if (e->date == GRADES_OK && !date_valid(in->on))
        e->date = GRADES_E_DATE;
    if (e->coefficient == GRADES_OK) {
        if (!isfinite(in->coefficient) || in->coefficient <= 0 || in->coefficient > GRADES_COEFFICIENT_MAX)
            e->coefficient = GRADES_E_COEFFICIENT;
        else if (!grades_two_decimals(in->coefficient))
            e->coefficient = GRADES_E_PRECISION;
    }
    if (e->scale == GRADES_OK) {
        if (!isfinite(in->scale) || in->scale <= 0 || in->scale > GRADES_SCALE_MAX)
            e->scale = GRADES_E_SCALE;
        else if (!grades_two_decimals(in->scale))
            e->scale = GRADES_E_PRECISION;
    }
    return e->title == GRADES_OK && e->date == GRADES_OK && e->coefficient == GRADES_OK && e->scale == GRADES_OK;
}

grades_error_t mark_check(const mark_input_t *m, double scale)
{
    if ((unsigned)m->status > GRADE_NOT_HANDED_IN)
        return GRADES_E_STATUS;
    if (!text_fits(m->comment, GRADES_COMMENT_MAX))
        return GRADES_E_COMMENT;
    if (m->status != GRADE_MARK)
        return m->has_value ? GRADES_E_VALUE_UNEXPECTED : GRADES_OK;
    if (!m->has_value)
        return GRADES_E_VALUE_MISSING;
    if (!isfinite(m->value) || m->value < 0 || m->value > scale)
        return GRADES_E_VALUE_RANGE;
    if (!grades_two_decimals(m->value))
        return GRADES_E_PRECISION;
    return GRADES_OK;
}

/* ---- reading evaluations ---- */

#define EVALUATION_SELECT                                                                                            \
    "SELECT e.id, e.school_id, e.teaching_id, e.author_id, e.title, e.on_date, e.coefficient, e.scale, "             \
    "e.created_at, e.updated_at, COUNT(m.value), AVG(m.value), MIN(m.value), MAX(m.value), "                         \
    "SUM(CASE WHEN m.status = 'mark' THEN 1 ELSE 0 END), SUM(CASE WHEN m.status = 'absent' THEN 1 ELSE 0 END), "    \
    "SUM(CASE WHEN m.status = 'exempt' THEN 1 ELSE 0 END), "                                                         \
    "SUM(CASE WHEN m.status = 'not_handed_in' THEN 1 ELSE 0 END) "                                                   \
    "FROM evaluations e LEFT JOIN marks m ON m.evaluation_id = e.id "

static void fill_evaluation(arena_t *a, const store_row_t *row, void *item)
{
    evaluation_t *e = item;
    memset(e, 0, sizeof *e);
    e->id = store_row_int(row, 0);
    e->school_id = store_row_int(row, 1);
    e->teaching_id = store_row_int(row, 2);
    e->author_id = store_row_int(row, 3);
    e->title = store_row_text_copy(row, 4, a);
    if (!date_parse_iso(store_row_text(row, 5), &e->on))
        e->on = (date_t){0};
    e->coefficient = store_row_double(row, 6);
    e->scale = store_row_double(row, 7);
    e->created_at = store_row_int(row, 8);
    e->updated_at = store_row_int(row, 9);
    e->stats.count = (int)store_row_int(row, 10);
    if (e->stats.count > 0) {
        e->stats.average = store_row_double(row, 11);
        e->stats.min = store_row_double(row, 12);
        e->stats.max = store_row_double(row, 13);
    }
    for (int k = 0; k < 4; k++)
        e->nstatus[GRADE_MARK + k] = (int)store_row_int(row, 14 + k);
}

int evaluation_get(store_src_t src, arena_t *a, int64_t id, evaluation_t *out)
{
    return store_one(src, a, EVALUATION_SELECT "WHERE e.id = ? GROUP BY e.id", STORE_ARGS(SA_INT(id)), sizeof *out,
                     fill_evaluation, out);
}

int evaluations_of_teaching(store_src_t src, arena_t *a, int64_t teaching_id, evaluation_t **out)
{
    return store_list(src, a, EVALUATION_SELECT "WHERE e.teaching_id = ? GROUP BY e.id ORDER BY e.on_date DESC, e.id DESC",
                      STORE_ARGS(SA_INT(teaching_id)), sizeof **out, fill_evaluation, (void **)out);
}

static grade_status_t status_of(str_t s)
{
    grade_status_t st;
    return grade_status_parse(s, &st) ? st : GRADE_NONE;
}

static void fill_mark(arena_t *a, const store_row_t *row, void *item)
{
    mark_t *m = item;
    m->pupil_id = store_row_int(row, 0);
    m->status = status_of(store_row_text(row, 1));
    m->value = store_row_is_null(row, 2) ? 0 : store_row_double(row, 2);
    m->comment = store_row_text_copy(row, 3, a);
    m->updated_at = store_row_int(row, 4);
}

int marks_of_evaluation(store_src_t src, arena_t *a, int64_t evaluation_id, mark_t **out)
{
    return store_list(src, a,
                      "SELECT pupil_id, status, value, comment, updated_at FROM marks WHERE evaluation_id = ? "
                      "ORDER BY pupil_id",
                      STORE_ARGS(SA_INT(evaluation_id)), sizeof **out, fill_mark, (void **)out);
}

static int person_order(const void *pa, const void *pb)
{
    const person_t *a = pa, *b = pb;
    size_t n = a->last_name.len < b->last_name.len ? a->last_name.len : b->last_name.len;
    int c = n ? memcmp(a->last_name.ptr, b->last_name.ptr, n) : 0;
    if (c || a->last_name.len != b->last_name.len)
        return c ? c : (a->last_name.len < b->last_name.len ? -1 : 1);
    n = a->first_name.len < b->first_name.len ? a->first_name.len : b->first_name.len;
    c = n ? memcmp(a->first_name.ptr, b->first_name.ptr, n) : 0;
    if (c || a->first_name.len != b->first_name.len)
        return c ? c : (a->first_name.len < b->first_name.len ? -1 : 1);
    return (a->id > b->id) - (a->id < b->id);
}

int grades_roster(store_src_t src, arena_t *a, const teaching_t *t, date_t on, date_t today, person_t **out)
{
    if (t->group_id)
        return group_roster(src, a, t->group_id, out);
    person_t *then, *now;
    int n1 = class_roster(src, a, t->class_id, on, &then);
    if (n1 < 0 || date_compare(on, today) == 0) {
        *out = then;
        return n1;
    }
    int n2 = class_roster(src, a, t->class_id, today, &now);
    if (n2 < 0)
        return n2;
    person_t *all = arena_alloc(a, sizeof *all * (size_t)(n1 + n2 + 1));
    int n = 0;
    for (int i = 0; i < n1; i++)
        all[n++] = then[i];
    for (int i = 0; i < n2; i++) {
        bool seen = false;
        for (int k = 0; k < n1 && !seen; k++)
            seen = then[k].id == now[i].id;
        if (!seen)
            all[n++] = now[i];
    }
    if (n > n1)
        qsort(all, (size_t)n, sizeof *all, person_order);
    *out = all;
    return n;
}

/* ---- writes ---- */

static int refuse(grades_error_t *why, grades_error_t e)
{
    if (why)
        *why = e;
    return GRADES_INVALID;
}

int evaluation_save(store_tx_t *tx, const teaching_t *t, int64_t id, const evaluation_input_t *in, int64_t author,
                    int64_t now, int64_t *out_id, grades_error_t *why)
{
    evaluation_errors_t errs = {0};
    if (!evaluation_check(in, &errs))
        return refuse(why, errs.title ? errs.title : errs.date ? errs.date : errs.coefficient ? errs.coefficient
                                                                                             : errs.scale);
    char d[11];
    date_format_iso(in->on, d);
    str_t title = str_trim(in->title);
    int rc;
    if (id == 0) {
        rc = store_tx_exec(tx,
                           "INSERT INTO evaluations (school_id, teaching_id, title, on_date, coefficient, scale, "
                           "author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(t->school_id), SA_INT(t->id), SA_TEXT(title), SA_CSTR(d),
                                      SA_DOUBLE(in->coefficient), SA_DOUBLE(in->scale), SA_INT(author), SA_INT(now),
                                      SA_INT(now)));
        if (rc != STORE_OK)
            return rc;
        id = store_tx_last_id(tx);
    } else {
        int64_t above = 0;
        rc = store_int(STORE_TX(tx), "SELECT COUNT(*) FROM marks WHERE evaluation_id = ? AND value > ?",
                       STORE_ARGS(SA_INT(id), SA_DOUBLE(in->scale)), &above);
        if (rc < 0)
            return rc;
        if (above > 0)
            return refuse(why, GRADES_E_SCALE_BELOW_MARKS);
        rc = store_tx_exec(tx,
                           "UPDATE evaluations SET title = ?, on_date = ?, coefficient = ?, scale = ?, updated_at = ? "
                           "WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_TEXT(title), SA_CSTR(d), SA_DOUBLE(in->coefficient), SA_DOUBLE(in->scale),
                                      SA_INT(now), SA_INT(id), SA_INT(t->id)));
        if (rc != STORE_OK)
            return rc;
        if (store_tx_changes(tx) == 0)
            return refuse(why, GRADES_E_NOT_FOUND);
    }
    if (out_id)
        *out_id = id;
    school_day_touch(tx, t);
    return STORE_OK;
}

int evaluation_delete(store_tx_t *tx, const teaching_t *t, int64_t id)
{
    int64_t found = 0;
    int rc = store_int(STORE_TX(tx), "SELECT id FROM evaluations WHERE id = ? AND teaching_id = ?",
                       STORE_ARGS(SA_INT(id), SA_INT(t->id)), &found);
    if (rc <= 0)
        return rc;
    rc = store_tx_exec(tx, "DELETE FROM marks WHERE evaluation_id = ?", STORE_ARGS(SA_INT(id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "DELETE FROM evaluations WHERE id = ?", STORE_ARGS(SA_INT(id)));
    if (rc != STORE_OK)
        return rc;
    school_day_touch(tx, t);
    return 1;
}

static int id_order(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

static bool has_id(const int64_t *ids, int n, int64_t id)
{
    return bsearch(&id, ids, (size_t)n, sizeof *ids, id_order) != NULL;
}

int marks_set(store_tx_t *tx, const teaching_t *t, int64_t evaluation_id, const mark_input_t *marks, int n,
              date_t today, int64_t now, int *bad, grades_error_t *why)
{
    if (bad)
        *bad = -1;
    if (n < 0 || n > GRADES_MARKS_MAX)
        return refuse(why, GRADES_E_TOO_MANY);
    arena_t a;
    arena_init(&a, NULL);
    int rc;
    evaluation_t e;
    rc = evaluation_get(STORE_TX(tx), &a, evaluation_id, &e);
    if (rc < 0)
        goto out;
    if (rc == 0 || e.teaching_id != t->id) {
        rc = refuse(why, GRADES_E_NOT_FOUND);
        goto out;
    }
    person_t *roster;
    int nr = grades_roster(STORE_TX(tx), &a, t, e.on, today, &roster);
    if (nr < 0) {
        rc = nr;
        goto out;
    }
    int64_t *ids = arena_alloc(&a, sizeof *ids * (size_t)(nr + 1));
    for (int i = 0; i < nr; i++)
        ids[i] = roster[i].id;
    qsort(ids, (size_t)nr, sizeof *ids, id_order);
    /* Everything is checked before anything is written: the first fault names its row. */
    for (int i = 0; i < n; i++) {
        grades_error_t err = mark_check(&marks[i], e.scale);
        if (err == GRADES_OK && !has_id(ids, nr, marks[i].pupil_id))
            err = GRADES_E_PUPIL;
        for (int k = 0; k < i && err == GRADES_OK; k++)
            if (marks[k].pupil_id == marks[i].pupil_id)
                err = GRADES_E_DUPLICATE;
        if (err != GRADES_OK) {
            if (bad)
                *bad = i;
            rc = refuse(why, err);
            goto out;
        }
    }
    for (int i = 0; i < n; i++) {
        const mark_input_t *m = &marks[i];
        if (m->status == GRADE_NONE) {
            rc = store_tx_exec(tx, "DELETE FROM marks WHERE evaluation_id = ? AND pupil_id = ?",
                               STORE_ARGS(SA_INT(evaluation_id), SA_INT(m->pupil_id)));
        } else {
            /* A grid saves every row: an unchanged mark keeps its updated_at, so
             * the dashboard's "new marks" only shows what really changed. */
            rc = store_tx_exec(
                tx,
                "INSERT INTO marks (evaluation_id, pupil_id, status, value, comment, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (evaluation_id, pupil_id) DO UPDATE SET "
                "status = excluded.status, value = excluded.value, comment = excluded.comment, "
                "updated_at = excluded.updated_at WHERE marks.status <> excluded.status OR "
                "COALESCE(marks.value, -1) <> COALESCE(excluded.value, -1) OR marks.comment <> excluded.comment",
                STORE_ARGS(SA_INT(evaluation_id), SA_INT(m->pupil_id), SA_CSTR(grade_status_code(m->status)),
                           m->status == GRADE_MARK ? SA_DOUBLE(m->value) : SA_NULL,
                           SA_TEXT(m->comment.ptr ? str_trim(m->comment) : STR("")), SA_INT(now)));
        }
        if (rc != STORE_OK)
            goto out;
    }
    school_day_touch(tx, t);
    rc = STORE_OK;
out:
    arena_free(&a);
    return rc;
}

/* ---- a pupil's term ---- */

typedef struct term_row_mark {
    int64_t eval_id, teaching_id;
    str_t title;
    date_t on;
    double coefficient, scale;
    int64_t pupil_id; /* 0: no mark row */
    grade_status_t status;
    double value;
    str_t comment;
} term_row_mark_t;

static void fill_term_mark(arena_t *a, const store_row_t *row, void *item)
{
    term_row_mark_t *m = item;
    m->eval_id = store_row_int(row, 0);
    m->teaching_id = store_row_int(row, 1);
    m->title = store_row_text_copy(row, 2, a);
    if (!date_parse_iso(store_row_text(row, 3), &m->on))
        m->on = (date_t){0};
    m->coefficient = store_row_double(row, 4);
    m->scale = store_row_double(row, 5);
    m->pupil_id = store_row_is_null(row, 6) ? 0 : store_row_int(row, 6);
    m->status = store_row_is_null(row, 7) ? GRADE_NONE : status_of(store_row_text(row, 7));
    m->value = store_row_is_null(row, 8) ? 0 : store_row_double(row, 8);
    m->comment = store_row_is_null(row, 9) ? STR("") : store_row_text_copy(row, 9, a);
}

typedef struct acc {
    int64_t pupil_id;
    double sum, weight;
} acc_t;

typedef struct subject_work {
    acc_t *accs;
    int naccs, cap;
    int nevals;
} subject_work_t;

static acc_t *acc_for(arena_t *a, subject_work_t *w, int64_t pupil_id)
{
    for (int i = 0; i < w->naccs; i++)
        if (w->accs[i].pupil_id == pupil_id)
            return &w->accs[i];
    if (w->naccs == w->cap) {
        int cap = w->cap ? w->cap * 2 : 32;
        w->accs = arena_realloc(a, w->accs, sizeof *w->accs * (size_t)w->cap, sizeof *w->accs * (size_t)cap);
        w->cap = cap;
    }
    w->accs[w->naccs] = (acc_t){pupil_id, 0, 0};
    return &w->accs[w->naccs++];
}

int grades_of_pupil(store_src_t src, arena_t *a, int64_t pupil_id, const teaching_t *t, int nt, date_t from, date_t to,
                    pupil_grades_t *out)
{
    memset(out, 0, sizeof *out);
    if (nt > TEACHINGS_MAX)
        nt = TEACHINGS_MAX;
    /* One entry per subject, in the order of the teachings. */
    subject_grades_t *subjects = arena_zalloc(a, sizeof *subjects * (size_t)(nt + 1));
    subject_work_t *work = arena_zalloc(a, sizeof *work * (size_t)(nt + 1));
    int *subject_of = arena_alloc(a, sizeof *subject_of * (size_t)(nt + 1));
    int ns = 0;
    for (int i = 0; i < nt; i++) {
        int k = 0;
        while (k < ns && subjects[k].subject_id != t[i].subject_id)
            k++;
        if (k == ns) {
            subjects[ns++] = (subject_grades_t){.subject_id = t[i].subject_id, .subject_name = t[i].subject_name,
                                                .teacher_names = t[i].teacher_name, .teaching_id = t[i].id};
        } else if (!str_eq(subjects[k].teacher_names, t[i].teacher_name)) {
            subjects[k].teacher_names = str_from(arena_printf(a, "%.*s, %.*s", (int)subjects[k].teacher_names.len,
                                                              subjects[k].teacher_names.ptr,
                                                              (int)t[i].teacher_name.len, t[i].teacher_name.ptr));
        }
        subject_of[i] = k;
    }
    out->subjects = subjects;
    out->nsubjects = ns;
    if (nt == 0)
        return 0;

    char sql[1024 + TEACHINGS_MAX * 3];
    int len = snprintf(sql, sizeof sql, "%s",
                       "SELECT e.id, e.teaching_id, e.title, e.on_date, e.coefficient, e.scale, m.pupil_id, m.status, "
                       "m.value, m.comment FROM evaluations e LEFT JOIN marks m ON m.evaluation_id = e.id "
                       "WHERE e.published = 1 AND e.on_date >= ? AND e.on_date <= ? AND e.teaching_id IN (");
    store_arg_t args[TEACHINGS_MAX + 2];
    char f[11], tday[11];
    date_format_iso(from, f);
    date_format_iso(to, tday);
    args[0] = SA_CSTR(f);
    args[1] = SA_CSTR(tday);
    for (int i = 0; i < nt; i++) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, i ? ", ?" : "?");
        args[2 + i] = SA_INT(t[i].id);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, ") ORDER BY e.on_date, e.id");
    term_row_mark_t *rows;
    int nrows = store_list(src, a, sql, args, (size_t)nt + 2, sizeof *rows, fill_term_mark, (void **)&rows);
    if (nrows < 0)
        return nrows;

    /* First pass: how many evaluations each subject has. */
    for (int i = 0; i < nrows; i++) {
        if (i > 0 && rows[i].eval_id == rows[i - 1].eval_id)
            continue;
        for (int k = 0; k < nt; k++)
            if (t[k].id == rows[i].teaching_id) {
                work[subject_of[k]].nevals++;
                break;
            }
    }
    for (int s = 0; s < ns; s++)
        subjects[s].marks = arena_zalloc(a, sizeof *subjects[s].marks * (size_t)(work[s].nevals + 1));

    /* Second pass: evaluations with their stats, and every pupil's weighted sums. */
    for (int i = 0; i < nrows;) {
        int s = -1;
        for (int k = 0; k < nt; k++)
            if (t[k].id == rows[i].teaching_id) {
                s = subject_of[k];
                break;
            }
        int j = i;
        pupil_mark_t *pm = s >= 0 ? &subjects[s].marks[subjects[s].nmarks++] : NULL;
        if (pm) {
            pm->eval = (evaluation_t){.id = rows[i].eval_id, .teaching_id = rows[i].teaching_id,
                                      .title = rows[i].title, .on = rows[i].on,
                                      .coefficient = rows[i].coefficient, .scale = rows[i].scale};
            pm->status = GRADE_NONE;
            pm->comment = STR("");
        }
        double sum = 0;
        for (; j < nrows && rows[j].eval_id == rows[i].eval_id; j++) {
            const term_row_mark_t *m = &rows[j];
            if (!pm || !m->pupil_id)
                continue;
            pm->eval.nstatus[m->status]++;
            if (m->pupil_id == pupil_id) {
                pm->status = m->status;
                pm->value = m->value;
                pm->comment = m->comment;
            }
            if (m->status != GRADE_MARK || !(m->scale > 0) || !(m->coefficient > 0))
                continue;
            grade_stats_t *st = &pm->eval.stats;
            if (st->count == 0 || m->value < st->min)
                st->min = m->value;
            if (st->count == 0 || m->value > st->max)
                st->max = m->value;
            st->count++;
            sum += m->value;
            acc_t *acc = acc_for(a, &work[s], m->pupil_id);
            acc->sum += grades_on20(m->value, m->scale) * m->coefficient;
            acc->weight += m->coefficient;
        }
        if (pm && pm->eval.stats.count)
            pm->eval.stats.average = sum / pm->eval.stats.count;
        i = j;
    }

    /* Averages: the pupil's, the class's over pupils' averages, the overall. */
    double *subject_avgs = arena_alloc(a, sizeof *subject_avgs * (size_t)(ns + 1));
    int navg = 0;
    for (int s = 0; s < ns; s++) {
        double *avgs = arena_alloc(a, sizeof *avgs * (size_t)(work[s].naccs + 1));
        int n = 0;
        for (int k = 0; k < work[s].naccs; k++) {
            const acc_t *acc = &work[s].accs[k];
            if (acc->weight <= 0)
                continue;
            avgs[n++] = acc->sum / acc->weight;
            if (acc->pupil_id == pupil_id) {
                subjects[s].has_average = true;
                subjects[s].average = avgs[n - 1];
            }
        }
        grades_stats(avgs, n, &subjects[s].class_stats);
        if (subjects[s].has_average)
            subject_avgs[navg++] = subjects[s].average;
    }
    if (navg > 0) {
        grade_stats_t overall;
        grades_stats(subject_avgs, navg, &overall);
        out->has_average = true;
        out->average = overall.average;
    }
    return ns;
}

/* ---- the dashboard ---- */

static void fill_recent(arena_t *a, const store_row_t *row, void *item)
{
    recent_mark_t *m = item;
    m->evaluation_id = store_row_int(row, 0);
    m->teaching_id = store_row_int(row, 1);
    m->subject_name = store_row_text_copy(row, 2, a);
    m->title = store_row_text_copy(row, 3, a);
    if (!date_parse_iso(store_row_text(row, 4), &m->on))
        m->on = (date_t){0};
    m->status = status_of(store_row_text(row, 5));
    m->value = store_row_is_null(row, 6) ? 0 : store_row_double(row, 6);
    m->scale = store_row_double(row, 7);
    m->coefficient = store_row_double(row, 8);
    m->updated_at = store_row_int(row, 9);
}

int grades_recent(store_src_t src, arena_t *a, int64_t pupil_id, int64_t since, int limit, recent_mark_t **out)
{
    if (limit < 1)
        limit = 1;
    if (limit > 100)
        limit = 100;
    return store_list(src, a,
                      "SELECT e.id, e.teaching_id, s.name, e.title, e.on_date, m.status, m.value, e.scale, "
                      "e.coefficient, m.updated_at FROM marks m JOIN evaluations e ON e.id = m.evaluation_id "
                      "JOIN teaching t ON t.id = e.teaching_id JOIN subjects s ON s.id = t.subject_id "
                      "WHERE m.pupil_id = ? AND m.updated_at >= ? AND e.published = 1 "
                      "ORDER BY m.updated_at DESC, e.on_date DESC, e.id DESC LIMIT ?",
                      STORE_ARGS(SA_INT(pupil_id), SA_INT(since), SA_INT(limit)), sizeof **out, fill_recent,
                      (void **)out);
}
