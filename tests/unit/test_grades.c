/* Grades: the arithmetic (coefficients, scales, statuses left out, rounding), the
 * checks on every field, terms (the default trimesters and a school's own), the
 * writes (roster, all-or-nothing grids), a pupil's term, recent marks, the demo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "domain/demo.h"
#include "domain/directory.h"
#include "domain/grades.h"
#include "store/store.h"

static char dir[64];
static store_t *store;
static store_reader_t *rd;

static store_t *open_demo(const char *sub)
{
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/%s", dir, sub);
    store_options_t o = {.data_dir = data};
    store_t *s = NULL;
    if (store_open(&o, &s, err, sizeof err) != 0 || demo_seed(s) != 1)
        return NULL;
    return s;
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-grades-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    if (!(store = open_demo("data")))
        return -1;
    rd = store_reader_open(store);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_reader_close(rd);
    store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t sql_int(const char *sql)
{
    int64_t v = -1;
    store_int(STORE_READER(rd), sql, STORE_NO_ARGS, &v);
    return v;
}

static void teaching_of(arena_t *a, const char *class_code, const char *subject, teaching_t *out)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT t.id FROM teaching t JOIN classes c ON c.id = t.class_id JOIN subjects s ON s.id = t.subject_id "
             "WHERE c.code = '%s' AND s.code = '%s' ORDER BY t.id LIMIT 1",
             class_code, subject);
    int64_t id = sql_int(sql);
    assert_true(id > 0);
    assert_int_equal(teaching_get(STORE_READER(rd), a, id, out), 1);
}

static date_t d(int y, int m, int day)
{
    return (date_t){y, m, day};
}

/* ---- arithmetic ---- */

static void averages_with_coefficients_scales_and_statuses(void **state)
{
    (void)state;
    assert_true(fabs(grades_on20(8, 10) - 16) < 1e-12);
    assert_true(fabs(grades_on20(30, 40) - 15) < 1e-12);
    assert_true(fabs(grades_on20(7, 20) - 7) < 1e-12);
    grade_point_t p[] = {
        {GRADE_MARK, 15, 20, 2},  {GRADE_MARK, 8, 10, 1},     {GRADE_MARK, 30, 40, 0.5},
        {GRADE_ABSENT, 0, 20, 3}, {GRADE_EXEMPT, 0, 20, 5},   {GRADE_NOT_HANDED_IN, 0, 20, 4},
        {GRADE_NONE, 0, 20, 1},
    };
    double avg;
    /* (15*2 + 16*1 + 15*0.5) / 3.5: the absent, exempt and not handed in weigh nothing */
    assert_true(grades_average(p, 7, &avg));
    assert_true(fabs(avg - 53.5 / 3.5) < 1e-12);
    assert_true(fabs(grades_round2(avg) - 15.29) < 1e-9);
    /* only excluded statuses: no average at all (not 0) */
    assert_false(grades_average(p + 3, 4, &avg));
    assert_false(grades_average(p, 0, &avg));
    /* a zero is a mark and counts */
    grade_point_t zero[] = {{GRADE_MARK, 0, 20, 1}, {GRADE_MARK, 20, 20, 1}};
    assert_true(grades_average(zero, 2, &avg));
    assert_true(fabs(avg - 10) < 1e-12);

    double v[] = {12.5, 8, 17.25};
    grade_stats_t st;
    grades_stats(v, 3, &st);
    assert_int_equal(st.count, 3);
    assert_true(fabs(st.average - 37.75 / 3) < 1e-12);
    assert_true(st.min == 8 && st.max == 17.25);
    grades_stats(v, 0, &st);
    assert_int_equal(st.count, 0);
}

static void rounding_for_display(void **state)
{
    (void)state;
    assert_true(fabs(grades_round2(12.345) - 12.35) < 1e-9);
    assert_true(fabs(grades_round2(12.344999) - 12.34) < 1e-9);
    assert_true(fabs(grades_round2(2.675) - 2.68) < 1e-9);
    assert_true(fabs(grades_round2(10.0 / 3) - 3.33) < 1e-9);
    assert_true(fabs(grades_round2(20.0 / 3) - 6.67) < 1e-9);
    assert_true(grades_round2(0) == 0);
    assert_true(grades_two_decimals(12.25));
    assert_true(grades_two_decimals(0.1 + 0.2)); /* 0.30000000000000004 is 0.30 */
    assert_false(grades_two_decimals(12.125));
    assert_false(grades_two_decimals(NAN));
}

static void parsing_typed_numbers(void **state)
{
    (void)state;
    double v;
    assert_int_equal(grades_parse_number(STR("12"), &v), GRADES_OK);
    assert_true(v == 12);
    assert_int_equal(grades_parse_number(STR(" 12,75 "), &v), GRADES_OK);
    assert_true(v == 12.75);
    assert_int_equal(grades_parse_number(STR("12.5"), &v), GRADES_OK);
    assert_true(v == 12.5);
    assert_int_equal(grades_parse_number(STR("0.05"), &v), GRADES_OK);
    assert_true(v == 0.05);
    assert_int_equal(grades_parse_number(STR("12.500"), &v), GRADES_OK);
    assert_true(v == 12.5);
    assert_int_equal(grades_parse_number(STR(".5"), &v), GRADES_OK);
    assert_true(v == 0.5);
    assert_int_equal(grades_parse_number(STR("-3"), &v), GRADES_OK); /* refused later, for its range */
    assert_true(v == -3);
    assert_int_equal(grades_parse_number(STR("12.345"), &v), GRADES_E_PRECISION);
    const char *junk[] = {"", " ", "abc", "12a", "1e3", "12..5", "1,2,3", "--1", "0x10", "12 5", "1234567890", ".", "+"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_int_equal(grades_parse_number(str_from(junk[i]), &v), GRADES_E_NOT_NUMBER);
    grade_status_t s;
    assert_true(grade_status_parse(STR("not_handed_in"), &s) && s == GRADE_NOT_HANDED_IN);
    assert_true(grade_status_parse(STR(""), &s) && s == GRADE_NONE);
    assert_true(grade_status_parse(STR("none"), &s) && s == GRADE_NONE);
    assert_false(grade_status_parse(STR("Mark"), &s));
    assert_false(grade_status_parse(STR("late"), &s));
    assert_string_equal(grade_status_code(GRADE_EXEMPT), "exempt");
}

/* ---- checks ---- */

static grades_error_t check_one(evaluation_input_t in, int which)
{
    evaluation_errors_t e = {0};
    evaluation_check(&in, &e);
    grades_error_t all[] = {e.title, e.date, e.coefficient, e.scale};
    for (int i = 0; i < 4; i++)
        if (i != which && all[i] != GRADES_OK)
            return (grades_error_t)-1; /* another field was refused */
    return all[which];
}

static void evaluation_fields_checked(void **state)
{
    (void)state;
    evaluation_input_t ok = {.title = STR("Contrôle"), .on = d(2026, 10, 5), .coefficient = 1, .scale = 20};
    evaluation_errors_t e = {0};
    assert_true(evaluation_check(&ok, &e));
    evaluation_input_t in = ok;
    in.title = STR("");
    assert_int_equal(check_one(in, 0), GRADES_E_TITLE);
    in.title = STR("   ");
    assert_int_equal(check_one(in, 0), GRADES_E_TITLE);
    in.title = STR_NULL;
    assert_int_equal(check_one(in, 0), GRADES_E_TITLE);
    char long_title[GRADES_TITLE_MAX + 2];
    memset(long_title, 'x', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    in.title = str_from(long_title);
    assert_int_equal(check_one(in, 0), GRADES_E_TITLE);
    in.title = str_make(long_title, GRADES_TITLE_MAX);
    assert_int_equal(check_one(in, 0), GRADES_OK);
    in.title = STR("bad\x01text");
    assert_int_equal(check_one(in, 0), GRADES_E_TITLE);
    in = ok;
    in.on = d(2026, 2, 30);
    assert_int_equal(check_one(in, 1), GRADES_E_DATE);
    in.on = (date_t){0};
    assert_int_equal(check_one(in, 1), GRADES_E_DATE);
    double bad_coef[] = {0, -1, 100.01, 1000, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_coef / sizeof bad_coef[0]; i++) {
        in = ok;
        in.coefficient = bad_coef[i];
        assert_int_equal(check_one(in, 2), GRADES_E_COEFFICIENT);
    }
    in = ok;
    in.coefficient = 100;
    assert_int_equal(check_one(in, 2), GRADES_OK);
    in.coefficient = 0.125;
    assert_int_equal(check_one(in, 2), GRADES_E_PRECISION);
    double bad_scale[] = {0, -20, 1000.5, 1e9, NAN};
    for (size_t i = 0; i < sizeof bad_scale / sizeof bad_scale[0]; i++) {
        in = ok;
        in.scale = bad_scale[i];
        assert_int_equal(check_one(in, 3), GRADES_E_SCALE);
    }
    in = ok;
    in.scale = 1000;
    assert_int_equal(check_one(in, 3), GRADES_OK);
    /* a field the caller could not parse keeps its own error */
    evaluation_errors_t pre = {.coefficient = GRADES_E_NOT_NUMBER};
    assert_false(evaluation_check(&ok, &pre));
    assert_int_equal(pre.coefficient, GRADES_E_NOT_NUMBER);
}

static void mark_fields_checked(void **state)
{
    (void)state;
    mark_input_t m = {.pupil_id = 1, .status = GRADE_MARK, .has_value = true, .value = 20, .comment = STR("")};
    assert_int_equal(mark_check(&m, 20), GRADES_OK);
    m.value = 0;
    assert_int_equal(mark_check(&m, 20), GRADES_OK);
    m.value = 20.01;
    assert_int_equal(mark_check(&m, 20), GRADES_E_VALUE_RANGE);
    m.value = 11;
    assert_int_equal(mark_check(&m, 10), GRADES_E_VALUE_RANGE);
    m.value = -0.5;
    assert_int_equal(mark_check(&m, 20), GRADES_E_VALUE_RANGE);
    m.value = NAN;
    assert_int_equal(mark_check(&m, 20), GRADES_E_VALUE_RANGE);
    m.value = 12.125;
    assert_int_equal(mark_check(&m, 20), GRADES_E_PRECISION);
    m.has_value = false;
    assert_int_equal(mark_check(&m, 20), GRADES_E_VALUE_MISSING);
    for (grade_status_t s = GRADE_NONE; s <= GRADE_NOT_HANDED_IN; s++) {
        if (s == GRADE_MARK)
            continue;
        mark_input_t o = {.pupil_id = 1, .status = s, .comment = STR("Malade")};
        assert_int_equal(mark_check(&o, 20), GRADES_OK);
        o.has_value = true;
        o.value = 5;
        assert_int_equal(mark_check(&o, 20), GRADES_E_VALUE_UNEXPECTED);
    }
    mark_input_t bad = {.status = (grade_status_t)9};
    assert_int_equal(mark_check(&bad, 20), GRADES_E_STATUS);
    char comment[GRADES_COMMENT_MAX + 2];
    memset(comment, 'c', sizeof comment - 1);
    comment[sizeof comment - 1] = '\0';
    mark_input_t c = {.status = GRADE_ABSENT, .comment = str_from(comment)};
    assert_int_equal(mark_check(&c, 20), GRADES_E_COMMENT);
    c.comment = str_make(comment, GRADES_COMMENT_MAX);
    assert_int_equal(mark_check(&c, 20), GRADES_OK);
}

/* ---- terms ---- */

typedef struct terms_ctx {
    int64_t school_id;
} terms_ctx_t;

static int add_semesters(store_tx_t *tx, void *ud)
{
    terms_ctx_t *c = ud;
    arena_t a;
    arena_init(&a, NULL);
    school_year_t y;
    int rc = school_year_ensure(tx, &a, c->school_id, d(2031, 10, 1), &y);
    if (rc >= 0)
        rc = store_tx_exec(tx,
                           "INSERT INTO terms (school_id, year_id, number, label, starts_on, ends_on) VALUES "
                           "(?, ?, 1, 'Semestre 1', '2031-09-01', '2032-01-31'), "
                           "(?, ?, 2, 'Semestre 2', '2032-02-01', '2032-07-04')",
                           STORE_ARGS(SA_INT(c->school_id), SA_INT(y.id), SA_INT(c->school_id), SA_INT(y.id)));
    arena_free(&a);
    return rc < 0 ? rc : STORE_OK;
}

static void terms_default_and_own(void **state)
{
    (void)state;
    term_t t[3];
    grades_default_terms(d(2026, 11, 22), t);
    assert_int_equal(t[0].number, 1);
    assert_true(date_compare(t[0].starts, d(2026, 9, 1)) == 0 && date_compare(t[0].ends, d(2026, 11, 30)) == 0);
    assert_true(date_compare(t[1].starts, d(2026, 12, 1)) == 0 && date_compare(t[1].ends, d(2027, 2, 28)) == 0);
    assert_true(date_compare(t[2].starts, d(2027, 3, 1)) == 0 && date_compare(t[2].ends, d(2027, 8, 31)) == 0);
    /* a leap year's February, asked from its spring */
    grades_default_terms(d(2028, 4, 10), t);
    assert_true(date_compare(t[1].starts, d(2027, 12, 1)) == 0 && date_compare(t[1].ends, d(2028, 2, 29)) == 0);
    assert_int_equal(grades_term_index(t, 3, d(2028, 2, 29)), 1);
    assert_int_equal(grades_term_index(t, 3, d(2028, 3, 1)), 2);
    assert_int_equal(grades_term_index(t, 3, d(2027, 9, 1)), 0);
    assert_int_equal(grades_term_index(t, 3, d(2027, 11, 30)), 0);

    arena_t a;
    arena_init(&a, NULL);
    int64_t school = sql_int("SELECT id FROM schools ORDER BY id LIMIT 1");
    term_t *list;
    /* the demo school has no terms: the default trimesters */
    assert_int_equal(grades_terms(STORE_READER(rd), &a, school, d(2026, 11, 22), &list), 3);
    assert_true(date_compare(list[1].starts, d(2026, 12, 1)) == 0);
    assert_int_equal(list[0].label.len, 0);
    /* a school year with no row at all: the defaults too */
    assert_int_equal(grades_terms(STORE_READER(rd), &a, school, d(2040, 1, 15), &list), 3);
    assert_true(date_compare(list[2].ends, d(2040, 8, 31)) == 0);
    /* a school's own semesters win for their year */
    terms_ctx_t c = {school};
    assert_int_equal(store_write_sync(store, add_semesters, &c), STORE_OK);
    assert_int_equal(grades_terms(STORE_READER(rd), &a, school, d(2031, 10, 1), &list), 2);
    assert_true(str_eq(list[1].label, STR("Semestre 2")));
    assert_true(date_compare(list[1].ends, d(2032, 7, 4)) == 0);
    /* in the summer gap, the last term started */
    assert_int_equal(grades_term_index(list, 2, d(2032, 8, 1)), 1);
    arena_free(&a);
}

/* ---- writes ---- */

typedef struct write_ctx {
    const teaching_t *t;
    int64_t id;
    evaluation_input_t in;
    const mark_input_t *marks;
    int n;
    int64_t now;
    int64_t out_id;
    int bad;
    grades_error_t why;
    int op; /* 0 save, 1 marks, 2 delete */
} write_ctx_t;

static int write_fn(store_tx_t *tx, void *ud)
{
    write_ctx_t *c = ud;
    if (c->op == 0)
        return evaluation_save(tx, c->t, c->id, &c->in, c->t->teacher_id, c->now, &c->out_id, &c->why);
    if (c->op == 1)
        return marks_set(tx, c->t, c->id, c->marks, c->n, date_today(), c->now, &c->bad, &c->why);
    int rc = evaluation_delete(tx, c->t, c->id);
    c->out_id = rc;
    return rc < 0 ? rc : STORE_OK;
}

static int64_t create_eval(const teaching_t *t, const char *title, date_t on, double coef, double scale)
{
    write_ctx_t c = {.t = t, .in = {.title = str_from(title), .on = on, .coefficient = coef, .scale = scale},
                     .now = clock_now()};
    assert_int_equal(store_write_sync(store, write_fn, &c), STORE_OK);
    assert_true(c.out_id > 0);
    return c.out_id;
}

static int set_marks(const teaching_t *t, int64_t eval, const mark_input_t *m, int n, int64_t now, int *bad,
                     grades_error_t *why)
{
    write_ctx_t c = {.t = t, .id = eval, .marks = m, .n = n, .now = now, .op = 1};
    int rc = store_write_sync(store, write_fn, &c);
    if (bad)
        *bad = c.bad;
    if (why)
        *why = c.why;
    return rc;
}

static mark_input_t mk(int64_t pupil, grade_status_t s, double v)
{
    return (mark_input_t){.pupil_id = pupil, .status = s, .has_value = s == GRADE_MARK, .value = v,
                          .comment = STR("")};
}

static int64_t count_marks(int64_t eval)
{
    int64_t n = -1;
    store_int(STORE_READER(rd), "SELECT COUNT(*) FROM marks WHERE evaluation_id = ?", STORE_ARGS(SA_INT(eval)), &n);
    return n;
}

static void writes_validate_and_keep_to_the_roster(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    teaching_t maths, other4f;
    teaching_of(&a, "5B", "MATHS", &maths);
    teaching_of(&a, "4F", "MATHS", &other4f);
    person_t *roster, *strangers;
    int nr = grades_roster(STORE_READER(rd), &a, &maths, date_today(), date_today(), &roster);
    int ns = grades_roster(STORE_READER(rd), &a, &other4f, date_today(), date_today(), &strangers);
    assert_true(nr >= 3 && ns >= 1);

    /* every bad evaluation field is refused with its rule, nothing written */
    int64_t before = sql_int("SELECT COUNT(*) FROM evaluations");
    write_ctx_t c = {.t = &maths, .in = {.title = STR("x"), .on = d(2026, 2, 30), .coefficient = 1, .scale = 20}};
    assert_int_equal(store_write_sync(store, write_fn, &c), GRADES_INVALID);
    assert_int_equal(c.why, GRADES_E_DATE);
    c.in = (evaluation_input_t){.title = STR("x"), .on = d(2026, 10, 1), .coefficient = 0, .scale = 20};
    assert_int_equal(store_write_sync(store, write_fn, &c), GRADES_INVALID);
    assert_int_equal(c.why, GRADES_E_COEFFICIENT);
    c.in = (evaluation_input_t){.title = STR("x"), .on = d(2026, 10, 1), .coefficient = 1, .scale = 0};
    assert_int_equal(store_write_sync(store, write_fn, &c), GRADES_INVALID);
    assert_int_equal(c.why, GRADES_E_SCALE);
    c.in = (evaluation_input_t){.title = STR(""), .on = d(2026, 10, 1), .coefficient = 1, .scale = 20};
    assert_int_equal(store_write_sync(store, write_fn, &c), GRADES_INVALID);
    assert_int_equal(c.why, GRADES_E_TITLE);
    assert_int_equal(sql_int("SELECT COUNT(*) FROM evaluations"), before);

    int64_t e = create_eval(&maths, "  Contrôle  ", date_today(), 2, 10);
    evaluation_t ev;
    assert_int_equal(evaluation_get(STORE_READER(rd), &a, e, &ev), 1);
    assert_true(str_eq(ev.title, STR("Contrôle")));
    assert_true(ev.scale == 10 && ev.coefficient == 2 && ev.teaching_id == maths.id);
    assert_int_equal(ev.stats.count, 0);

    int bad;
    grades_error_t why;
    /* a pupil of another class: the whole grid is refused, the good rows with it */
    mark_input_t m1[] = {mk(roster[0].id, GRADE_MARK, 7), mk(strangers[0].id, GRADE_MARK, 5)};
    assert_int_equal(set_marks(&maths, e, m1, 2, 100, &bad, &why), GRADES_INVALID);
    assert_int_equal(why, GRADES_E_PUPIL);
    assert_int_equal(bad, 1);
    assert_int_equal(count_marks(e), 0);
    /* someone who is not a pupil at all */
    mark_input_t m2[] = {mk(maths.teacher_id, GRADE_MARK, 5)};
    assert_int_equal(set_marks(&maths, e, m2, 1, 100, &bad, &why), GRADES_INVALID);
    assert_int_equal(why, GRADES_E_PUPIL);
    mark_input_t m3[] = {mk(99999999, GRADE_ABSENT, 0)};
    assert_int_equal(set_marks(&maths, e, m3, 1, 100, &bad, &why), GRADES_INVALID);
    /* above the scale, negative, twice the same pupil */
    mark_input_t m4[] = {mk(roster[0].id, GRADE_MARK, 10.5)};
    assert_int_equal(set_marks(&maths, e, m4, 1, 100, &bad, &why), GRADES_INVALID);
    assert_int_equal(why, GRADES_E_VALUE_RANGE);
    mark_input_t m5[] = {mk(roster[0].id, GRADE_MARK, -1)};
    assert_int_equal(set_marks(&maths, e, m5, 1, 100, &bad, &why), GRADES_INVALID);
    assert_int_equal(why, GRADES_E_VALUE_RANGE);
    mark_input_t m6[] = {mk(roster[0].id, GRADE_MARK, 5), mk(roster[0].id, GRADE_ABSENT, 0)};
    assert_int_equal(set_marks(&maths, e, m6, 2, 100, &bad, &why), GRADES_INVALID);
    assert_int_equal(why, GRADES_E_DUPLICATE);
    /* the evaluation through another teaching: not found */
    mark_input_t m7[] = {mk(strangers[0].id, GRADE_MARK, 5)};
    assert_int_equal(set_marks(&other4f, e, m7, 1, 100, &bad, &why), GRADES_INVALID);
    assert_int_equal(why, GRADES_E_NOT_FOUND);
    assert_int_equal(count_marks(e), 0);

    /* a good grid */
    mark_input_t ok[] = {mk(roster[0].id, GRADE_MARK, 7.5), mk(roster[1].id, GRADE_ABSENT, 0),
                         mk(roster[2].id, GRADE_MARK, 10)};
    assert_int_equal(set_marks(&maths, e, ok, 3, 100, &bad, &why), STORE_OK);
    assert_int_equal(count_marks(e), 3);
    assert_int_equal(evaluation_get(STORE_READER(rd), &a, e, &ev), 1);
    assert_int_equal(ev.stats.count, 2);
    assert_true(fabs(ev.stats.average - 8.75) < 1e-9 && ev.stats.min == 7.5 && ev.stats.max == 10);
    assert_int_equal(ev.nstatus[GRADE_ABSENT], 1);

    /* the scale cannot go below marks given; other edits pass */
    write_ctx_t up = {.t = &maths, .id = e, .in = {.title = STR("Contrôle"), .on = date_today(), .coefficient = 1,
                                                   .scale = 9}};
    assert_int_equal(store_write_sync(store, write_fn, &up), GRADES_INVALID);
    assert_int_equal(up.why, GRADES_E_SCALE_BELOW_MARKS);
    up.in.scale = 20;
    assert_int_equal(store_write_sync(store, write_fn, &up), STORE_OK);
    /* another teaching cannot update or delete it */
    write_ctx_t steal = {.t = &other4f, .id = e, .in = up.in};
    assert_int_equal(store_write_sync(store, write_fn, &steal), GRADES_INVALID);
    assert_int_equal(steal.why, GRADES_E_NOT_FOUND);
    steal.op = 2;
    assert_int_equal(store_write_sync(store, write_fn, &steal), STORE_OK);
    assert_int_equal(steal.out_id, 0);
    /* "none" removes a mark */
    mark_input_t rm[] = {mk(roster[1].id, GRADE_NONE, 0)};
    assert_int_equal(set_marks(&maths, e, rm, 1, 100, &bad, &why), STORE_OK);
    assert_int_equal(count_marks(e), 2);
    /* deleting takes the marks along */
    write_ctx_t del = {.t = &maths, .id = e, .op = 2};
    assert_int_equal(store_write_sync(store, write_fn, &del), STORE_OK);
    assert_int_equal(del.out_id, 1);
    assert_int_equal(count_marks(e), 0);
    assert_int_equal(evaluation_get(STORE_READER(rd), &a, e, &ev), 0);
    arena_free(&a);
}

/* ---- a pupil's term ---- */

static const subject_grades_t *subject_named(const pupil_grades_t *g, int64_t subject_id)
{
    for (int i = 0; i < g->nsubjects; i++)
        if (g->subjects[i].subject_id == subject_id)
            return &g->subjects[i];
    return NULL;
}

static void pupil_term_averages(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    teaching_t t[2];
    teaching_of(&a, "5B", "MATHS", &t[0]);
    teaching_of(&a, "5B", "FRANC", &t[1]);
    person_t *roster;
    int nr = grades_roster(STORE_READER(rd), &a, &t[0], date_today(), date_today(), &roster);
    assert_true(nr >= 3);
    int64_t A = roster[0].id, B = roster[1].id, C = roster[2].id;
    /* a window of its own, years ahead, where the demo put nothing */
    date_t from = d(2030, 1, 1), to = d(2030, 3, 31);
    int64_t e1 = create_eval(&t[0], "M1", d(2030, 1, 7), 2, 20);
    int64_t e2 = create_eval(&t[0], "M2", d(2030, 2, 7), 1, 10);
    int64_t e3 = create_eval(&t[0], "M3", d(2030, 3, 7), 3, 20);
    int64_t f1 = create_eval(&t[1], "F1", d(2030, 1, 9), 1, 40);
    create_eval(&t[0], "Outside", d(2030, 4, 2), 1, 20); /* after the window */
    mark_input_t m1[] = {mk(A, GRADE_MARK, 15), mk(B, GRADE_MARK, 10), mk(C, GRADE_ABSENT, 0)};
    mark_input_t m2[] = {mk(A, GRADE_MARK, 8), mk(B, GRADE_EXEMPT, 0), mk(C, GRADE_NOT_HANDED_IN, 0)};
    mark_input_t m3[] = {mk(A, GRADE_ABSENT, 0), mk(B, GRADE_MARK, 4)};
    mark_input_t f[] = {mk(A, GRADE_MARK, 24), mk(B, GRADE_MARK, 36)};
    assert_int_equal(set_marks(&t[0], e1, m1, 3, 100, NULL, NULL), STORE_OK);
    assert_int_equal(set_marks(&t[0], e2, m2, 3, 100, NULL, NULL), STORE_OK);
    assert_int_equal(set_marks(&t[0], e3, m3, 2, 100, NULL, NULL), STORE_OK);
    assert_int_equal(set_marks(&t[1], f1, f, 2, 100, NULL, NULL), STORE_OK);

    pupil_grades_t g;
    assert_int_equal(grades_of_pupil(STORE_READER(rd), &a, A, t, 2, from, to, &g), 2);
    const subject_grades_t *maths = subject_named(&g, t[0].subject_id), *fr = subject_named(&g, t[1].subject_id);
    assert_non_null(maths);
    assert_non_null(fr);
    assert_int_equal(maths->nmarks, 3);
    assert_int_equal(maths->marks[0].eval.id, e1);
    assert_int_equal(maths->marks[2].status, GRADE_ABSENT);
    /* A: (15*2 + 16*1) / 3 = 15.333...; the absence is left out */
    assert_true(maths->has_average);
    assert_true(fabs(maths->average - 46.0 / 3) < 1e-9);
    /* B: (10*2 + 4*3) / 5 = 6.4 (exempt left out); C: no mark, no average */
    assert_int_equal(maths->class_stats.count, 2);
    assert_true(fabs(maths->class_stats.average - (46.0 / 3 + 6.4) / 2) < 1e-9);
    assert_true(fabs(maths->class_stats.min - 6.4) < 1e-9);
    assert_true(fabs(maths->class_stats.max - 46.0 / 3) < 1e-9);
    /* each evaluation's class stats, in its own scale */
    assert_int_equal(maths->marks[0].eval.stats.count, 2);
    assert_true(maths->marks[0].eval.stats.average == 12.5);
    assert_true(maths->marks[1].eval.stats.average == 8 && maths->marks[1].eval.stats.count == 1);
    /* French: 24/40 = 12/20 */
    assert_true(fabs(fr->average - 12) < 1e-9);
    assert_true(fabs(fr->class_stats.max - 18) < 1e-9);
    /* overall: the plain mean of the subject averages */
    assert_true(g.has_average);
    assert_true(fabs(g.average - (46.0 / 3 + 12) / 2) < 1e-9);
    assert_true(fabs(grades_round2(g.average) - 13.67) < 1e-9);

    /* C has marks entered but none counts: no average anywhere */
    assert_int_equal(grades_of_pupil(STORE_READER(rd), &a, C, t, 2, from, to, &g), 2);
    assert_false(subject_named(&g, t[0].subject_id)->has_average);
    assert_false(g.has_average);
    assert_int_equal(subject_named(&g, t[1].subject_id)->marks[0].status, GRADE_NONE);

    /* recent marks: the newest first, unchanged re-saves keep their time */
    recent_mark_t *rec;
    mark_input_t again[] = {mk(A, GRADE_MARK, 15), mk(B, GRADE_MARK, 11)};
    int64_t later = clock_now() + 365 * 86400; /* after every demo mark */
    assert_int_equal(set_marks(&t[0], e1, again, 2, later, NULL, NULL), STORE_OK);
    int n = grades_recent(STORE_READER(rd), &a, A, 0, 100, &rec); /* the demo marks come first: newer */
    assert_true(n >= 4);
    bool seen_e1 = false;
    for (int i = 0; i < n; i++)
        if (rec[i].evaluation_id == e1) {
            seen_e1 = true;
            assert_true(rec[i].updated_at == 100); /* 15 again: not new */
            assert_true(rec[i].value == 15 && rec[i].scale == 20 && rec[i].status == GRADE_MARK);
            assert_true(str_eq(rec[i].title, STR("M1")));
            assert_true(str_eq(rec[i].subject_name, t[0].subject_name));
        }
    assert_true(seen_e1);
    n = grades_recent(STORE_READER(rd), &a, B, later, 50, &rec);
    assert_int_equal(n, 1);
    assert_int_equal(rec[0].evaluation_id, e1);
    assert_true(rec[0].value == 11);
    n = grades_recent(STORE_READER(rd), &a, A, 0, 2, &rec);
    assert_int_equal(n, 2);
    assert_true(rec[0].updated_at >= rec[1].updated_at);
    arena_free(&a);
}

/* ---- the demo ---- */

static void demo_marks_are_plausible_and_deterministic(void **state)
{
    (void)state;
    /* every teaching with pupils has evaluations, at most 5 in the current term */
    assert_int_equal(sql_int("SELECT COUNT(*) FROM teaching t WHERE NOT EXISTS (SELECT 1 FROM evaluations e "
                             "WHERE e.teaching_id = t.id AND e.title NOT IN ('M1','M2','M3','F1','Outside'))"),
                     0);
    term_t terms[3];
    date_t today = date_today();
    grades_default_terms(today, terms);
    int k = grades_term_index(terms, 3, today);
    char from[11], to[11];
    date_format_iso(terms[k].starts, from);
    date_format_iso(today, to);
    int64_t most = -1;
    store_int(STORE_READER(rd),
              "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM evaluations WHERE on_date >= ? AND on_date <= ? "
              "AND on_date < '2030-01-01' GROUP BY teaching_id) AS x",
              STORE_ARGS(SA_CSTR(from), SA_CSTR(to)), &most);
    assert_true(most <= 5);
    /* nothing after today (tests above wrote in 2030); on a term's first day, the demo's are today's */
    int64_t late = -1;
    store_int(STORE_READER(rd), "SELECT COUNT(*) FROM evaluations WHERE on_date > ? AND on_date < '2030-01-01'",
              STORE_ARGS(SA_CSTR(to)), &late);
    assert_int_equal(late, 0);
    /* a realistic spread around 12/20, with a few absent, exempt, not handed in */
    int64_t mean100 = sql_int("SELECT CAST(AVG(m.value / e.scale * 20) * 100 AS INTEGER) FROM marks m JOIN "
                              "evaluations e ON e.id = m.evaluation_id WHERE m.status = 'mark' AND e.on_date < '2030-01-01'");
    assert_true(mean100 > 1000 && mean100 < 1400);
    int64_t total = sql_int("SELECT COUNT(*) FROM marks");
    int64_t absent = sql_int("SELECT COUNT(*) FROM marks WHERE status = 'absent'");
    assert_true(absent > 0 && absent * 10 < total);
    assert_true(sql_int("SELECT COUNT(*) FROM marks WHERE status = 'exempt'") > 0);
    assert_true(sql_int("SELECT COUNT(*) FROM marks WHERE status = 'not_handed_in'") > 0);
    assert_true(sql_int("SELECT COUNT(*) FROM marks m JOIN evaluations e ON e.id = m.evaluation_id WHERE m.value > e.scale") == 0);

    /* the same seed and day build the same marks */
    store_t *twin = open_demo("twin");
    assert_non_null(twin);
    store_reader_t *r2 = store_reader_open(twin);
    const char *sig = "SELECT COUNT(*) * 1000000 + CAST(SUM(COALESCE(value, 0)) * 100 AS INTEGER) FROM marks m "
                      "JOIN evaluations e ON e.id = m.evaluation_id WHERE e.on_date < '2030-01-01'";
    int64_t s1 = -1, s2 = -2;
    store_int(STORE_READER(rd), sig, STORE_NO_ARGS, &s1);
    store_int(STORE_READER(r2), sig, STORE_NO_ARGS, &s2);
    assert_true(s1 == s2);
    store_reader_close(r2);
    store_close(twin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(averages_with_coefficients_scales_and_statuses),
        cmocka_unit_test(rounding_for_display),
        cmocka_unit_test(parsing_typed_numbers),
        cmocka_unit_test(evaluation_fields_checked),
        cmocka_unit_test(mark_fields_checked),
        cmocka_unit_test(terms_default_and_own),
        cmocka_unit_test(writes_validate_and_keep_to_the_roster),
        cmocka_unit_test(pupil_term_averages),
        cmocka_unit_test(demo_marks_are_plausible_and_deterministic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
