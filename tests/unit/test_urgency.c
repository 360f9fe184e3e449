/* What lets someone through the waiting room's priority lane: a teacher with a
 * lesson starting within the hour or under way, a pupil with an online hand-in
 * due within the hour not yet handed in; nobody else, and not once it is done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/principal.h"
#include "core/clock.h"
#include "domain/directory.h"
#include "domain/timetable.h"
#include "domain/urgency.h"
#include "store/store.h"
#include "demo_fixture.h"

static int64_t id_of(const char *login)
{
    int64_t id = 0;
    store_int(STORE_READER(demo_reader), "SELECT id FROM people WHERE login = ?", STORE_ARGS(SA_CSTR(login)), &id);
    return id;
}

static int urgent(const char *login, int64_t now)
{
    principal_t p;
    assert_int_equal(principal_load(demo_reader, id_of(login), date_of_instant(now), &p), 1);
    arena_t a;
    arena_init(&a, NULL);
    int rc = urgency_now(demo_reader, &a, &p, now);
    arena_free(&a);
    principal_dispose(&p);
    return rc;
}

/* The teacher's first lesson on the next day that has one (holidays skipped). */
static int64_t next_lesson_start(int *ends_min)
{
    arena_t a;
    arena_init(&a, NULL);
    teaching_t *t;
    int nt = teaching_of_teacher(STORE_READER(demo_reader), &a, id_of("demo.prof"), &t);
    assert_true(nt > 0);
    int64_t start = 0;
    for (int d = 1; d < 40 && !start; d++) {
        date_t day = date_add_days(date_today(), d);
        timetable_entry_t *e;
        int n = timetable_range(STORE_READER(demo_reader), &a, t[0].school_id, t, nt, day, 1, &e);
        for (int k = 0; k < n && !start; k++)
            if (e[k].status == LESSON_NORMAL) {
                start = date_local_instant(day, e[k].starts_min);
                *ends_min = e[k].ends_min - e[k].starts_min;
            }
    }
    arena_free(&a);
    assert_true(start > 0);
    return start;
}

static void test_teacher(void **state)
{
    (void)state;
    int length;
    int64_t lesson = next_lesson_start(&length);
    assert_int_equal(urgent("demo.prof", lesson - 15 * 60), 1);          /* a quarter of an hour before */
    assert_int_equal(urgent("demo.prof", lesson + 10 * 60), 1);          /* under way */
    assert_int_equal(urgent("demo.prof", lesson - 4 * 3600), 0);         /* hours before: it can wait */
    /* a pupil and a parent are never urgent for a lesson */
    assert_int_equal(urgent("demo.parent", lesson - 15 * 60), 0);
}

typedef struct hw {
    int64_t due_at, now;
    int64_t id;
} hw_t;

/* An online hand-in for Léa's maths, due at hw->due_at. */
static int add_homework(store_tx_t *tx, void *ud)
{
    hw_t *h = ud;
    int64_t teaching = 0;
    int rc = store_int(STORE_TX(tx),
                       "SELECT t.id FROM teaching t JOIN classes c ON c.id = t.class_id JOIN people p "
                       "ON p.login = 'demo.prof' WHERE t.teacher_id = p.id AND c.code = '5B' LIMIT 1",
                       STORE_NO_ARGS, &teaching);
    if (rc != 1)
        return STORE_ERROR;
    char d[11];
    date_format_iso(date_of_instant(h->due_at), d);
    rc = store_tx_exec(tx,
                       "INSERT INTO homework (school_id, teaching_id, given_on, due_on, due_at, title, hand_in, "
                       "publish_at, author_id, created_at, updated_at) SELECT c.school_id, t.id, ?, ?, ?, "
                       "'Exposé à rendre', 1, ?, t.teacher_id, ?, ? FROM teaching t JOIN classes c "
                       "ON c.id = t.class_id WHERE t.id = ?",
                       STORE_ARGS(SA_CSTR(d), SA_CSTR(d), SA_INT(h->due_at), SA_INT(h->now - 3600),
                                  SA_INT(h->now - 3600), SA_INT(h->now - 3600), SA_INT(teaching)));
    h->id = store_tx_last_id(tx);
    return rc;
}

static int hand_it_in(store_tx_t *tx, void *ud)
{
    hw_t *h = ud;
    return store_tx_exec(tx,
                         "INSERT INTO submissions (homework_id, pupil_id, text, submitted_at) "
                         "SELECT ?, id, 'fait', ? FROM people WHERE login = 'demo.eleve'",
                         STORE_ARGS(SA_INT(h->id), SA_INT(h->now)));
}

static void test_pupil(void **state)
{
    (void)state;
    int64_t now = clock_now() + 7 * 24 * 3600; /* a week ahead: no demo hand-in is due then */
    assert_int_equal(urgent("demo.eleve", now), 0);
    hw_t h = {.due_at = now + 40 * 60, .now = now};
    assert_int_equal(store_write_sync(demo_store, add_homework, &h), STORE_OK);
    assert_int_equal(urgent("demo.eleve", now), 1);
    assert_int_equal(urgent("demo.eleve", now - 2 * 3600), 0);  /* due in more than an hour: it can wait */
    assert_int_equal(urgent("demo.parent", now), 0);            /* the parent does not hand in */
    assert_int_equal(store_write_sync(demo_store, hand_it_in, &h), STORE_OK);
    assert_int_equal(urgent("demo.eleve", now), 0);             /* handed in: nothing urgent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_teacher),
        cmocka_unit_test(test_pupil),
    };
    return cmocka_run_group_tests(tests, demo_setup, demo_teardown);
}
