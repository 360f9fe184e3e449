/* Attendance on the demo school: roll calls (take, edit, what a retake keeps),
 * refusals, justification and review, totals, the lessons due, the demo data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "domain/attendance.h"
#include "domain/demo.h"
#include "domain/directory.h"
#include "domain/timetable.h"
#include "store/store.h"

static char dir[64];
static store_t *store;
static store_reader_t *rd;

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-att-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    store_options_t o = {.data_dir = data};
    if (store_open(&o, &store, err, sizeof err) != 0 || demo_seed(store) != 1)
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

/* demo.prof's mathematics in 5e B */
static void maths_5b(arena_t *a, teaching_t *out)
{
    int64_t id = sql_int("SELECT t.id FROM teaching t JOIN classes c ON c.id = t.class_id JOIN people p ON "
                         "p.id = t.teacher_id WHERE c.code = '5B' AND p.login = 'demo.prof'");
    assert_int_equal(teaching_get(STORE_READER(rd), a, id, out), 1);
}

typedef struct save_ctx {
    roll_call_input_t in;
    int64_t id;
    attendance_problem_t problem;
} save_ctx_t;

static int save_fn(store_tx_t *tx, void *ud)
{
    save_ctx_t *c = ud;
    return attendance_roll_call_save(tx, &c->in, &c->id, &c->problem);
}

static int save(const teaching_t *t, date_t on, int start, const roll_call_line_t *lines, int n,
                attendance_problem_t *problem, int64_t *id)
{
    save_ctx_t c = {.in = {.teaching = *t, .on = on, .starts_min = start, .ends_min = start + 55, .lines = lines,
                           .nlines = n, .taken_by = t->teacher_id, .now = clock_now(), .today = date_today()}};
    int rc = store_write_sync(store, save_fn, &c);
    if (problem)
        *problem = c.problem;
    if (id)
        *id = c.id;
    return rc;
}

typedef struct just_ctx {
    int64_t id, by;
    const char *reason;
    bool accepted, review, accept;
    attendance_problem_t problem;
} just_ctx_t;

static int just_fn(store_tx_t *tx, void *ud)
{
    just_ctx_t *c = ud;
    if (c->review)
        return attendance_review(tx, c->id, c->accept, &c->problem);
    return attendance_justify(tx, c->id, c->by, str_from(c->reason), c->accepted, clock_now(), &c->problem);
}

static int64_t absence_of(int64_t roll_call, int64_t pupil)
{
    int64_t id = 0;
    store_int(STORE_READER(rd), "SELECT id FROM absences WHERE roll_call_id = ? AND pupil_id = ?",
              STORE_ARGS(SA_INT(roll_call), SA_INT(pupil)), &id);
    return id;
}

static void roll_call_take_edit_and_keep(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    teaching_t t;
    maths_5b(&a, &t);
    date_t day = date_add_days(date_today(), -1);
    person_t *roster;
    int n = attendance_roster(STORE_READER(rd), &a, &t, day, &roster);
    assert_int_equal(n, 25);
    int64_t p1 = roster[3].id, p2 = roster[4].id;
    int start = 7 * 60; /* not in the timetable: an extra session is still a lesson */
    roll_call_line_t lines[] = {{p1, MARK_ABSENT, 0}, {p2, MARK_LATE, 12}};
    int64_t rc1, rc2;
    attendance_problem_t problem;
    assert_int_equal(save(&t, day, start, lines, 2, &problem, &rc1), STORE_OK);
    int64_t a1 = absence_of(rc1, p1), a2 = absence_of(rc1, p2);
    assert_true(a1 > 0 && a2 > 0);
    absence_t x;
    assert_int_equal(attendance_absence_get(STORE_READER(rd), &a, a2, &x), 1);
    assert_int_equal(x.kind, MARK_LATE);
    assert_int_equal(x.minutes_late, 12);
    assert_int_equal(x.status, ABSENCE_UNJUSTIFIED);

    /* a parent justifies p1's absence: pending */
    just_ctx_t j = {.id = a1, .by = t.teacher_id, .reason = "  Rendez-vous chez le dentiste  "};
    assert_int_equal(store_write_sync(store, just_fn, &j), STORE_OK);
    assert_int_equal(attendance_absence_get(STORE_READER(rd), &a, a1, &x), 1);
    assert_int_equal(x.status, ABSENCE_PENDING);
    assert_true(str_eq_cstr(x.reason, "Rendez-vous chez le dentiste"));

    /* retaking the same lesson edits it: p1 still absent keeps the justification,
     * p2 present again loses the lateness */
    roll_call_line_t again[] = {{p1, MARK_ABSENT, 0}, {p2, MARK_PRESENT, 0}};
    assert_int_equal(save(&t, day, start, again, 2, &problem, &rc2), STORE_OK);
    assert_int_equal(rc2, rc1);
    assert_int_equal(absence_of(rc1, p1), a1);
    assert_int_equal(absence_of(rc1, p2), 0);
    assert_int_equal(attendance_absence_get(STORE_READER(rd), &a, a1, &x), 1);
    assert_int_equal(x.status, ABSENCE_PENDING);
    assert_int_equal(sql_int("SELECT COUNT(*) FROM roll_calls WHERE starts_min = 420"), 1);

    /* staff accept; then a review again is refused */
    just_ctx_t rv = {.id = a1, .review = true, .accept = true};
    assert_int_equal(store_write_sync(store, just_fn, &rv), STORE_OK);
    assert_int_equal(attendance_absence_get(STORE_READER(rd), &a, a1, &x), 1);
    assert_int_equal(x.status, ABSENCE_JUSTIFIED);
    assert_int_equal(store_write_sync(store, just_fn, &rv), ATTENDANCE_INVALID);
    assert_int_equal(rv.problem, ATT_NOT_PENDING);
    just_ctx_t again_j = {.id = a1, .by = t.teacher_id, .reason = "encore"};
    assert_int_equal(store_write_sync(store, just_fn, &again_j), ATTENDANCE_INVALID);
    assert_int_equal(again_j.problem, ATT_ALREADY_JUSTIFIED);

    /* a refused justification may be given again */
    roll_call_line_t late[] = {{p2, MARK_LATE, 5}};
    assert_int_equal(save(&t, day, start, late, 1, &problem, &rc2), STORE_OK);
    int64_t a3 = absence_of(rc1, p2);
    just_ctx_t j3 = {.id = a3, .by = t.teacher_id, .reason = "Bus"};
    assert_int_equal(store_write_sync(store, just_fn, &j3), STORE_OK);
    just_ctx_t no = {.id = a3, .review = true, .accept = false};
    assert_int_equal(store_write_sync(store, just_fn, &no), STORE_OK);
    assert_int_equal(attendance_absence_get(STORE_READER(rd), &a, a3, &x), 1);
    assert_int_equal(x.status, ABSENCE_REFUSED);
    /* and p1, absent in the first save but not named in this one, is present */
    assert_int_equal(absence_of(rc1, p1), 0);
    arena_free(&a);
}

static void roll_call_refusals(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    teaching_t t;
    maths_5b(&a, &t);
    date_t day = date_add_days(date_today(), -2);
    int64_t stranger = sql_int("SELECT e.pupil_id FROM enrolments e JOIN classes c ON c.id = e.class_id "
                               "WHERE c.code = '4F' LIMIT 1");
    person_t *roster;
    assert_int_equal(attendance_roster(STORE_READER(rd), &a, &t, day, &roster), 25);
    int64_t mine = roster[0].id;
    int64_t before = sql_int("SELECT COUNT(*) FROM roll_calls");
    struct {
        roll_call_line_t line[2];
        int n;
        date_t on;
        int start;
        attendance_problem_t want;
    } cases[] = {
        {{{stranger, MARK_ABSENT, 0}}, 1, day, 6 * 60, ATT_NOT_IN_TEACHING},
        {{{mine, MARK_LATE, 0}}, 1, day, 6 * 60, ATT_BAD_MINUTES},
        {{{mine, MARK_LATE, 241}}, 1, day, 6 * 60, ATT_BAD_MINUTES},
        {{{mine, MARK_LATE, -3}}, 1, day, 6 * 60, ATT_BAD_MINUTES},
        {{{mine, (attendance_mark_t)7, 0}}, 1, day, 6 * 60, ATT_BAD_MARK},
        {{{mine, MARK_ABSENT, 0}, {mine, MARK_LATE, 3}}, 2, day, 6 * 60, ATT_DUPLICATE_PUPIL},
        {{{mine, MARK_ABSENT, 0}}, 1, date_add_days(date_today(), 1), 6 * 60, ATT_BAD_DATE},
        {{{mine, MARK_ABSENT, 0}}, 1, {2026, 2, 30}, 6 * 60, ATT_BAD_DATE},
        {{{mine, MARK_ABSENT, 0}}, 1, day, 1440, ATT_BAD_TIME},
        {{{mine, MARK_ABSENT, 0}}, 1, day, -5, ATT_BAD_TIME},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        attendance_problem_t problem = ATT_OK;
        int rc = save(&t, cases[i].on, cases[i].start, cases[i].line, cases[i].n, &problem, NULL);
        if (rc != ATTENDANCE_INVALID || problem != cases[i].want)
            fail_msg("case %zu: rc %d problem %d, wanted %d", i, rc, problem, cases[i].want);
    }
    assert_int_equal(sql_int("SELECT COUNT(*) FROM roll_calls"), before);
    /* lateness at the bounds is fine */
    roll_call_line_t bounds[] = {{roster[1].id, MARK_LATE, 1}, {roster[2].id, MARK_LATE, 240}};
    assert_int_equal(save(&t, day, 6 * 60, bounds, 2, NULL, NULL), STORE_OK);

    /* reasons */
    assert_int_equal(attendance_check_reason(STR("")), ATT_REASON_EMPTY);
    assert_int_equal(attendance_check_reason(STR(" \n\t ")), ATT_REASON_EMPTY);
    assert_int_equal(attendance_check_reason(str_make("a\0b", 3)), ATT_BAD_TEXT);
    char *longr = malloc(2 * 1001 + 1);
    for (int i = 0; i < 1001; i++)
        memcpy(longr + 2 * i, "\xc3\xa9", 2); /* é: counted as characters, not bytes */
    longr[2 * 1001] = 0;
    assert_int_equal(attendance_check_reason(str_make(longr, 2 * 1001)), ATT_REASON_TOO_LONG);
    assert_int_equal(attendance_check_reason(str_make(longr, 2 * 1000)), ATT_OK);
    free(longr);
    arena_free(&a);
}

static void totals_and_half_days(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    teaching_t t;
    maths_5b(&a, &t);
    date_t day = date_add_days(date_today(), -3);
    person_t *roster;
    assert_int_equal(attendance_roster(STORE_READER(rd), &a, &t, day, &roster), 25);
    int64_t pupil = roster[10].id;
    attendance_totals_t before;
    assert_true(attendance_of_pupil(STORE_READER(rd), &a, pupil, NULL, &before) >= 0);
    /* two morning lessons and one afternoon lesson on a day: 3 absences, 2 half-days */
    roll_call_line_t abs[] = {{pupil, MARK_ABSENT, 0}};
    roll_call_line_t late[] = {{pupil, MARK_LATE, 7}};
    date_t other = date_add_days(date_today(), -40);
    assert_int_equal(save(&t, other, 5 * 60, abs, 1, NULL, NULL), STORE_OK);
    assert_int_equal(save(&t, other, 6 * 60, abs, 1, NULL, NULL), STORE_OK);
    assert_int_equal(save(&t, other, 22 * 60, abs, 1, NULL, NULL), STORE_OK);
    assert_int_equal(save(&t, other, 23 * 60, late, 1, NULL, NULL), STORE_OK);
    attendance_totals_t after;
    absence_t *list;
    int n = attendance_of_pupil(STORE_READER(rd), &a, pupil, &list, &after);
    assert_true(n >= 4);
    assert_int_equal(after.absences, before.absences + 3);
    assert_int_equal(after.half_days, before.half_days + 2);
    assert_int_equal(after.lateness, before.lateness + 1);
    assert_int_equal(after.late_minutes, before.late_minutes + 7);
    assert_int_equal(after.unjustified, before.unjustified + 4);
    /* newest first */
    for (int i = 1; i < n; i++)
        assert_true(date_compare(list[i - 1].on, list[i].on) >= 0);
    absence_t *recent;
    int nr = attendance_recent(STORE_READER(rd), &a, pupil, date_add_days(date_today(), -41), &recent);
    assert_int_equal(nr, n);
    nr = attendance_recent(STORE_READER(rd), &a, pupil, date_add_days(date_today(), -39), &recent);
    assert_int_equal(nr, n - 4);
    arena_free(&a);
}

static void lessons_due(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    int64_t prof = sql_int("SELECT id FROM people WHERE login = 'demo.prof'");
    int64_t school = sql_int("SELECT id FROM schools LIMIT 1");
    /* a working day before the demo's fortnight: lessons, no roll calls */
    date_t day = {0};
    roll_call_due_t *list = NULL;
    int n = 0;
    for (int back = 15; back < 70 && n == 0; back++) {
        day = date_add_days(date_today(), -back);
        n = attendance_teacher_day(STORE_READER(rd), &a, prof, school, day, 0, &list);
        assert_true(n >= 0);
    }
    if (n == 0)
        skip(); /* the school year has just begun: nothing before the demo */
    for (int i = 0; i < n; i++) {
        assert_true(list[i].started); /* a past day */
        assert_int_equal(list[i].roll_call_id, 0);
    }
    roll_call_due_t *due;
    assert_int_equal(attendance_roll_calls_due(STORE_READER(rd), &a, prof, school, day, 0, &due), n);
    teaching_t t;
    assert_int_equal(teaching_get(STORE_READER(rd), &a, list[0].teaching_id, &t), 1);
    assert_int_equal(save(&t, day, list[0].starts_min, NULL, 0, NULL, NULL), STORE_OK);
    assert_int_equal(attendance_roll_calls_due(STORE_READER(rd), &a, prof, school, day, 0, &due), n - 1);
    assert_int_equal(attendance_teacher_day(STORE_READER(rd), &a, prof, school, day, 0, &list), n);
    int done = 0;
    for (int i = 0; i < n; i++)
        done += list[i].roll_call_id != 0;
    assert_int_equal(done, 1);
    /* the roll call found its timetable slot */
    assert_true(sql_int("SELECT COUNT(*) FROM roll_calls WHERE slot_id IS NOT NULL") > 0);
    /* a later day: nothing has started, nothing is due */
    assert_int_equal(attendance_roll_calls_due(STORE_READER(rd), &a, prof, school, date_add_days(date_today(), 7),
                                               1439, &due),
                     0);
    /* the school's day lists it */
    absence_t *abs;
    school_day_lesson_t *lessons;
    int nabs, nl;
    assert_int_equal(attendance_school_day(STORE_READER(rd), &a, school, day, &abs, &nabs, &lessons, &nl), STORE_OK);
    int taken = 0;
    for (int i = 0; i < nl; i++)
        taken += lessons[i].roll_call_id != 0;
    assert_int_equal(taken, 1);
    assert_true(nl > n);
    arena_free(&a);
}

static void demo_data(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    int64_t lea = sql_int("SELECT id FROM people WHERE login = 'demo.eleve'");
    attendance_totals_t tot;
    absence_t *list;
    int n = attendance_of_pupil(STORE_READER(rd), &a, lea, &list, &tot);
    assert_true(n >= 1);
    assert_int_equal(tot.unjustified, 1);
    assert_true(sql_int("SELECT COUNT(*) FROM roll_calls") > 500);
    assert_true(sql_int("SELECT COUNT(*) FROM absences WHERE status = 'pending'") > 0);
    assert_true(sql_int("SELECT COUNT(*) FROM absences WHERE status = 'justified'") > 0);
    assert_true(sql_int("SELECT COUNT(*) FROM absences WHERE kind = 'late'") > 0);
    int64_t school = sql_int("SELECT id FROM schools LIMIT 1");
    absence_t *pending;
    assert_true(attendance_pending(STORE_READER(rd), &a, school, &pending) > 0);
    assert_int_equal(pending[0].status, ABSENCE_PENDING);
    arena_free(&a);
}

int main(void)
{
    clock_set_timezone("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(demo_data),
        cmocka_unit_test(roll_call_take_edit_and_keep),
        cmocka_unit_test(roll_call_refusals),
        cmocka_unit_test(totals_and_half_days),
        cmocka_unit_test(lessons_due),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
