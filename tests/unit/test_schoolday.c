/* The school day's domain: calendar arithmetic, timetable resolution (A/B weeks,
 * holidays, changes), the cahier de textes and hand-in rules, file type
 * detection, keyed versions and the class-view cache. */
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
#include "domain/dayview.h"
#include "domain/directory.h"
#include "domain/files.h"
#include "domain/homework.h"
#include "domain/people.h"
#include "domain/school.h"
#include "domain/timetable.h"

static char dir[64];
static store_t *store;
static store_reader_t *reader;

typedef struct fixture {
    int64_t school, teacher, pupil, other_pupil;
    teaching_t maths, french, other_class_maths;
    int64_t class_id, other_class;
} fixture_t;
static fixture_t fx;

static date_t D(int y, int m, int d) { return (date_t){y, m, d}; }

static int64_t person(store_tx_t *tx, const char *login, role_t role)
{
    person_t p = {.login = str_from(login), .first_name = STR("Test"), .last_name = str_from(login)};
    assert_int_equal(person_create(tx, &p), STORE_OK);
    assert_int_equal(membership_add(tx, p.id, fx.school, role), STORE_OK);
    return p.id;
}

static int build(store_tx_t *tx, void *ud)
{
    (void)ud;
    arena_t a;
    arena_init(&a, NULL);
    school_t s = {.uai = STR("0999997C"), .name = STR("Collège test"), .kind = STR("college"), .city = STR(""),
                  .timezone = STR("Europe/Paris")};
    assert_int_equal(school_create(tx, &s), STORE_OK);
    fx.school = s.id;
    school_year_t y;
    assert_int_equal(school_year_ensure(tx, &a, s.id, D(2026, 11, 23), &y), STORE_OK);
    upsert_result_t res;
    int64_t maths, french;
    assert_int_equal(subject_upsert(tx, s.id, STR("MATHS"), STR("Mathématiques"), &maths, &res), STORE_OK);
    assert_int_equal(subject_upsert(tx, s.id, STR("FRANC"), STR("Français"), &french, &res), STORE_OK);
    assert_int_equal(class_upsert(tx, s.id, y.id, STR("5B"), STR("5e B"), STR("5e"), &fx.class_id, &res), STORE_OK);
    assert_int_equal(class_upsert(tx, s.id, y.id, STR("3A"), STR("3e A"), STR("3e"), &fx.other_class, &res), STORE_OK);
    fx.teacher = person(tx, "prof", ROLE_TEACHER);
    fx.pupil = person(tx, "eleve", ROLE_PUPIL);
    fx.other_pupil = person(tx, "autre", ROLE_PUPIL);
    assert_int_equal(enrol_pupil(tx, fx.pupil, fx.class_id, D(2026, 9, 1), &res), STORE_OK);
    assert_int_equal(enrol_pupil(tx, fx.other_pupil, fx.other_class, D(2026, 9, 1), &res), STORE_OK);
    assert_int_equal(teaching_set(tx, fx.teacher, maths, fx.class_id, 0, &res), STORE_OK);
    assert_int_equal(teaching_set(tx, fx.teacher, french, fx.class_id, 0, &res), STORE_OK);
    assert_int_equal(teaching_set(tx, fx.teacher, maths, fx.other_class, 0, &res), STORE_OK);
    teaching_t *t;
    int n = teaching_of_teacher(STORE_TX(tx), &a, fx.teacher, &t);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++) {
        teaching_t *dst = t[i].class_id == fx.other_class         ? &fx.other_class_maths
                          : str_eq_cstr(t[i].subject_code, "MATHS") ? &fx.maths
                                                                    : &fx.french;
        *dst = t[i];
        /* the fixture outlives the arena: names are not used by these tests */
        dst->subject_name = dst->target_name = dst->teacher_name = dst->subject_code = STR("");
    }
    arena_free(&a);
    return STORE_OK;
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-day-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    store_options_t o = {.data_dir = data};
    if (store_open(&o, &store, err, sizeof err) != 0)
        return -1;
    memset(&fx, 0, sizeof fx);
    if (store_write_sync(store, build, NULL) != STORE_OK)
        return -1;
    reader = store_reader_open(store);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_reader_close(reader);
    store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- calendar ---- */

static void calendar_arithmetic(void **state)
{
    (void)state;
    assert_int_equal(date_weekday(D(2026, 11, 23)), 1);
    assert_int_equal(date_weekday(D(2026, 11, 22)), 7);
    assert_int_equal(date_weekday(D(2000, 2, 29)), 2);
    assert_int_equal(date_weekday(D(1970, 1, 1)), 4);
    assert_int_equal(date_day_number(D(1970, 1, 1)), 0);
    assert_int_equal(date_day_number(D(2026, 11, 23)) - date_day_number(D(2026, 1, 1)), 326);
    date_t m = date_monday(D(2026, 11, 29));
    assert_int_equal(date_compare(m, D(2026, 11, 23)), 0);
    assert_int_equal(date_compare(date_monday(D(2027, 1, 1)), D(2026, 12, 28)), 0);
    assert_int_equal(timetable_parse_time(STR("8:30")), 510);
    assert_int_equal(timetable_parse_time(STR("08:30")), 510);
    assert_int_equal(timetable_parse_time(STR("24:00")), 1440);
    assert_int_equal(timetable_parse_time(STR("24:01")), -1);
    assert_int_equal(timetable_parse_time(STR("12:60")), -1);
    assert_int_equal(timetable_parse_time(STR("1230")), -1);
    assert_int_equal(timetable_parse_time(STR("ab:cd")), -1);
    assert_int_equal(timetable_parse_time(STR("")), -1);
    char out[6];
    timetable_format_time(545, out);
    assert_string_equal(out, "09:05");
}

/* ---- timetable ---- */

typedef struct slot_job {
    const teaching_t *t;
    timetable_slot_t slot;
    int64_t id;
    char err[160];
} slot_job_t;

static int slot_write(store_tx_t *tx, void *ud)
{
    slot_job_t *j = ud;
    return timetable_slot_add(tx, j->t, &j->slot, &j->id, j->err, sizeof j->err);
}

static int64_t add_slot(const teaching_t *t, int weekday, int starts, int ends, char weeks)
{
    slot_job_t j = {.t = t, .slot = {.weekday = weekday, .starts_min = starts, .ends_min = ends, .weeks = weeks,
                                     .room = STR("S1"), .valid_from = D(2026, 9, 1), .valid_to = D(2027, 7, 4)}};
    assert_int_equal(store_write_sync(store, slot_write, &j), STORE_OK);
    return j.id;
}

typedef struct change_job {
    const teaching_t *t;
    timetable_change_t c;
    char err[160];
} change_job_t;

static int change_write(store_tx_t *tx, void *ud)
{
    change_job_t *j = ud;
    return timetable_change_add(tx, j->t, &j->c, fx.teacher, NULL, j->err, sizeof j->err);
}

static int holiday_write(store_tx_t *tx, void *ud)
{
    (void)ud;
    char err[160];
    return timetable_holiday_add(tx, fx.school, STR("Noël"), D(2026, 12, 19), D(2027, 1, 3), NULL, err, sizeof err);
}

static int count_on(const timetable_entry_t *e, int n, date_t d)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += date_compare(e[i].on, d) == 0;
    return c;
}

static void timetable_weeks_holidays_and_changes(void **state)
{
    (void)state;
    int64_t monday = add_slot(&fx.maths, 1, 8 * 60 + 30, 9 * 60 + 25, 0);
    add_slot(&fx.french, 2, 10 * 60, 11 * 60, 'A');
    add_slot(&fx.french, 2, 14 * 60, 15 * 60, 'B');
    add_slot(&fx.other_class_maths, 1, 8 * 60 + 30, 9 * 60 + 25, 0);

    /* bad slots are refused with a reason */
    slot_job_t bad[] = {
        {.t = &fx.maths, .slot = {.weekday = 8, .starts_min = 60, .ends_min = 120, .valid_from = D(2026, 9, 1), .valid_to = D(2027, 7, 1)}},
        {.t = &fx.maths, .slot = {.weekday = 1, .starts_min = 600, .ends_min = 540, .valid_from = D(2026, 9, 1), .valid_to = D(2027, 7, 1)}},
        {.t = &fx.maths, .slot = {.weekday = 1, .starts_min = 600, .ends_min = 1500, .valid_from = D(2026, 9, 1), .valid_to = D(2027, 7, 1)}},
        {.t = &fx.maths, .slot = {.weekday = 1, .starts_min = 60, .ends_min = 120, .weeks = 'C', .valid_from = D(2026, 9, 1), .valid_to = D(2027, 7, 1)}},
        {.t = &fx.maths, .slot = {.weekday = 1, .starts_min = 60, .ends_min = 120, .valid_from = D(2027, 9, 1), .valid_to = D(2027, 7, 1)}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(store_write_sync(store, slot_write, &bad[i]), TIMETABLE_INVALID);
        assert_true(strlen(bad[i].err) > 10);
    }

    teaching_t mine[2] = {fx.maths, fx.french};
    arena_t a;
    arena_init(&a, NULL);
    timetable_entry_t *e;
    /* 2026-11-23 is a week A (weeks count from the Monday of 1 September 2026) */
    int n = timetable_range(STORE_READER(reader), &a, fx.school, mine, 2, D(2026, 11, 23), 14, &e);
    assert_int_equal(n, 4); /* two Mondays, one A Tuesday, one B Tuesday */
    assert_int_equal(count_on(e, n, D(2026, 11, 24)), 1);
    for (int i = 0; i < n; i++)
        if (date_compare(e[i].on, D(2026, 11, 24)) == 0)
            assert_int_equal(e[i].starts_min, 10 * 60);
        else if (date_compare(e[i].on, D(2026, 12, 1)) == 0)
            assert_int_equal(e[i].starts_min, 14 * 60);
    /* sorted by date, then time */
    for (int i = 1; i < n; i++)
        assert_true(date_compare(e[i - 1].on, e[i].on) <= 0);
    bool is_a;
    assert_int_equal(timetable_week_is_a(STORE_READER(reader), fx.school, D(2026, 11, 23), &is_a), 0);
    assert_true(is_a);
    assert_int_equal(timetable_week_is_a(STORE_READER(reader), fx.school, D(2026, 12, 2), &is_a), 0);
    assert_false(is_a);

    /* holidays empty the days they cover */
    assert_int_equal(store_write_sync(store, holiday_write, NULL), STORE_OK);
    n = timetable_range(STORE_READER(reader), &a, fx.school, mine, 2, D(2026, 12, 21), 14, &e);
    assert_int_equal(n, 0);
    str_t label;
    assert_int_equal(timetable_holiday(STORE_READER(reader), &a, fx.school, D(2026, 12, 25), &label), 1);
    assert_true(str_eq_cstr(label, "Noël"));

    /* changes: kept visible with their status, or moved, or added */
    change_job_t cancelled = {.t = &fx.maths, .c = {.slot_id = monday, .on = D(2026, 11, 23), .kind = LESSON_CANCELLED,
                                                    .note = STR("Sortie"), .room = STR("")}};
    assert_int_equal(store_write_sync(store, change_write, &cancelled), STORE_OK);
    change_job_t twice = cancelled;
    twice.c.kind = LESSON_TEACHER_ABSENT;
    assert_int_equal(store_write_sync(store, change_write, &twice), TIMETABLE_INVALID);
    change_job_t moved = {.t = &fx.maths, .c = {.slot_id = monday, .on = D(2026, 11, 30), .kind = LESSON_MOVED,
                                                .starts_min = 13 * 60, .ends_min = 14 * 60, .room = STR("B2"), .note = STR("")}};
    assert_int_equal(store_write_sync(store, change_write, &moved), STORE_OK);
    change_job_t extra = {.t = &fx.maths, .c = {.on = D(2026, 11, 25), .kind = LESSON_EXTRA, .starts_min = 9 * 60,
                                                .ends_min = 10 * 60, .room = STR("CDI"), .note = STR("")}};
    assert_int_equal(store_write_sync(store, change_write, &extra), STORE_OK);
    /* refused: a day the slot does not meet, another teaching's slot, no room, bad times */
    change_job_t wrong_day = cancelled;
    wrong_day.c.on = D(2026, 11, 24);
    assert_int_equal(store_write_sync(store, change_write, &wrong_day), TIMETABLE_INVALID);
    change_job_t wrong_teaching = cancelled;
    wrong_teaching.t = &fx.french;
    wrong_teaching.c.on = D(2026, 12, 7);
    assert_int_equal(store_write_sync(store, change_write, &wrong_teaching), TIMETABLE_INVALID);
    change_job_t no_room = {.t = &fx.maths, .c = {.slot_id = monday, .on = D(2026, 12, 7), .kind = LESSON_ROOM_CHANGED,
                                                  .room = STR(""), .note = STR("")}};
    assert_int_equal(store_write_sync(store, change_write, &no_room), TIMETABLE_INVALID);
    change_job_t bad_times = extra;
    bad_times.c.starts_min = 600;
    bad_times.c.ends_min = 500;
    assert_int_equal(store_write_sync(store, change_write, &bad_times), TIMETABLE_INVALID);

    n = timetable_range(STORE_READER(reader), &a, fx.school, mine, 1, D(2026, 11, 23), 8, &e);
    assert_int_equal(n, 3);
    assert_int_equal(e[0].status, LESSON_CANCELLED);
    assert_true(str_eq_cstr(e[0].note, "Sortie"));
    assert_int_equal(e[1].status, LESSON_EXTRA);
    assert_int_equal(e[1].starts_min, 9 * 60);
    assert_int_equal(e[2].status, LESSON_MOVED);
    assert_int_equal(e[2].starts_min, 13 * 60);
    assert_true(str_eq_cstr(e[2].room, "B2"));
    arena_free(&a);
}

/* ---- cahier de textes and hand-ins ---- */

typedef struct hw_job {
    const teaching_t *t;
    lesson_input_t lesson;
    homework_input_t hw;
    int64_t id;
    int which; /* 0 lesson, 1 homework */
    char err[160];
} hw_job_t;

static int hw_write(store_tx_t *tx, void *ud)
{
    hw_job_t *j = ud;
    if (j->which == 0)
        return lesson_save(tx, j->t, 0, &j->lesson, fx.teacher, &j->id, j->err, sizeof j->err);
    return homework_save(tx, j->t, 0, &j->hw, fx.teacher, &j->id, j->err, sizeof j->err);
}

static int64_t homework(date_t due, bool publish, bool hand_in, int *status)
{
    hw_job_t j = {.t = &fx.maths, .which = 1,
                  .hw = {.given_on = D(2026, 11, 16), .due_on = due, .due_min = 8 * 60, .title = STR("Exercices"),
                         .instructions = STR(""), .minutes = 30, .hand_in = hand_in, .publish = publish,
                         .publish_at = publish ? 1 : 0}};
    *status = store_write_sync(store, hw_write, &j);
    return j.id;
}

static void notebook_validation_and_drafts(void **state)
{
    (void)state;
    hw_job_t bad[] = {
        {.t = &fx.maths, .which = 0, .lesson = {.on = D(2026, 2, 30), .title = STR("x")}},
        {.t = &fx.maths, .which = 0, .lesson = {.on = D(2026, 11, 16), .title = STR("   ")}},
        {.t = &fx.maths, .which = 0, .lesson = {.on = D(2026, 11, 16), .title = STR("x"), .links = STR("javascript:alert(1)")}},
        {.t = &fx.maths, .which = 0, .lesson = {.on = D(2026, 11, 16), .title = STR("x"), .links = STR("https://a.fr/ b")}},
        {.t = &fx.maths, .which = 1, .hw = {.given_on = D(2026, 11, 16), .due_on = D(2026, 11, 15), .title = STR("x"), .due_min = -1}},
        {.t = &fx.maths, .which = 1, .hw = {.given_on = D(2026, 11, 16), .due_on = D(2026, 11, 20), .title = STR("x"), .minutes = 601, .due_min = -1}},
        {.t = &fx.maths, .which = 1, .hw = {.given_on = D(2026, 11, 16), .due_on = D(2028, 11, 20), .title = STR("x"), .due_min = -1}},
        {.t = &fx.maths, .which = 1, .hw = {.given_on = D(2026, 11, 16), .due_on = D(2026, 11, 20), .title = STR("x"), .due_min = 1440}},
        {.t = &fx.maths, .which = 1, .hw = {.given_on = D(2026, 11, 16), .due_on = D(2026, 11, 20), .title = STR("x"), .due_min = -1, .lesson_id = 999999}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = store_write_sync(store, hw_write, &bad[i]);
        if (rc != HOMEWORK_INVALID)
            fail_msg("case %zu: %d", i, rc);
        assert_true(strlen(bad[i].err) > 5);
    }
    hw_job_t ok = {.t = &fx.maths, .which = 0,
                   .lesson = {.on = D(2026, 11, 16), .title = STR("Fractions"), .links = STR("https://a.fr/x\r\nhttp://b.fr"),
                              .publish = true, .publish_at = 1}};
    assert_int_equal(store_write_sync(store, hw_write, &ok), STORE_OK);
    hw_job_t draft = {.t = &fx.maths, .which = 0, .lesson = {.on = D(2026, 11, 17), .title = STR("Brouillon")}};
    assert_int_equal(store_write_sync(store, hw_write, &draft), STORE_OK);
    arena_t a;
    arena_init(&a, NULL);
    lesson_entry_t *l;
    assert_int_equal(lessons_between(STORE_READER(reader), &a, &fx.maths, 1, D(2026, 11, 1), D(2026, 11, 30), clock_now(),
                                     false, &l),
                     1);
    assert_true(str_eq_cstr(l[0].title, "Fractions"));
    assert_int_equal(lessons_between(STORE_READER(reader), &a, &fx.maths, 1, D(2026, 11, 1), D(2026, 11, 30), clock_now(),
                                     true, &l),
                     2);
    /* another teaching sees neither */
    assert_int_equal(lessons_between(STORE_READER(reader), &a, &fx.other_class_maths, 1, D(2026, 11, 1),
                                     D(2026, 11, 30), clock_now(), true, &l),
                     0);
    arena_free(&a);
}

typedef struct submit_job {
    homework_item_t hw;
    int64_t pupil;
    str_t text;
    int64_t now;
    char err[160];
} submit_job_t;

static int submit_write(store_tx_t *tx, void *ud)
{
    submit_job_t *j = ud;
    return submission_save(tx, &fx.maths, &j->hw, j->pupil, j->text, NULL, 0, j->now, NULL, j->err, sizeof j->err);
}

typedef struct return_job {
    int64_t id;
    bool has_mark;
    double mark;
    char err[160];
} return_job_t;

static int return_write(store_tx_t *tx, void *ud)
{
    return_job_t *j = ud;
    return submission_return(tx, &fx.maths, j->id, STR("Bien"), j->has_mark, j->mark, clock_now(), j->err,
                             sizeof j->err);
}

static void hand_in_rules(void **state)
{
    (void)state;
    int rc;
    int64_t id = homework(D(2026, 11, 27), true, true, &rc);
    assert_int_equal(rc, STORE_OK);
    int64_t offline = homework(D(2026, 11, 27), true, false, &rc);
    assert_int_equal(rc, STORE_OK);
    arena_t a;
    arena_init(&a, NULL);
    submit_job_t j = {.pupil = fx.pupil, .text = STR("Ma réponse")};
    assert_int_equal(homework_get(STORE_READER(reader), &a, offline, &j.hw), 1);
    j.now = j.hw.due_at - 3600;
    assert_int_equal(store_write_sync(store, submit_write, &j), HOMEWORK_INVALID); /* not handed in online */
    assert_int_equal(homework_get(STORE_READER(reader), &a, id, &j.hw), 1);
    j.text = STR("  ");
    assert_int_equal(store_write_sync(store, submit_write, &j), HOMEWORK_INVALID); /* nothing handed in */
    j.text = STR("Première version");
    assert_int_equal(store_write_sync(store, submit_write, &j), STORE_OK);
    j.text = STR("Seconde version");
    assert_int_equal(store_write_sync(store, submit_write, &j), STORE_OK);
    submission_t s;
    assert_int_equal(submission_get(STORE_READER(reader), &a, id, fx.pupil, &s), 1);
    assert_int_equal(s.revision, 2);
    assert_false(s.late);
    assert_true(str_eq_cstr(s.text, "Seconde version"));
    /* after the deadline: no resubmission */
    j.now = j.hw.due_at + 60;
    j.text = STR("Trop tard");
    assert_int_equal(store_write_sync(store, submit_write, &j), HOMEWORK_CLOSED);
    /* but a first hand-in is accepted, marked late */
    submit_job_t late = {.hw = j.hw, .pupil = fx.other_pupil, .text = STR("En retard"), .now = j.hw.due_at + 60};
    assert_int_equal(store_write_sync(store, submit_write, &late), STORE_OK);
    assert_int_equal(submission_get(STORE_READER(reader), &a, id, fx.other_pupil, &s), 1);
    assert_true(s.late);
    /* returning: marks between 0 and 20 */
    assert_int_equal(submission_get(STORE_READER(reader), &a, id, fx.pupil, &s), 1);
    return_job_t r = {.id = s.id, .has_mark = true, .mark = 20.5};
    assert_int_equal(store_write_sync(store, return_write, &r), HOMEWORK_INVALID);
    r.mark = -1;
    assert_int_equal(store_write_sync(store, return_write, &r), HOMEWORK_INVALID);
    r.mark = 0.0 / 0.0;
    assert_int_equal(store_write_sync(store, return_write, &r), HOMEWORK_INVALID);
    r.mark = 14.5;
    assert_int_equal(store_write_sync(store, return_write, &r), STORE_OK);
    r.id = 999999;
    assert_int_equal(store_write_sync(store, return_write, &r), HOMEWORK_INVALID);
    /* returned: closed even before the deadline */
    j.now = j.hw.due_at - 60;
    assert_int_equal(store_write_sync(store, submit_write, &j), HOMEWORK_CLOSED);
    submission_t *all;
    assert_int_equal(submissions_of_homework(STORE_READER(reader), &a, id, &all), 2);
    arena_free(&a);
}

/* ---- files ---- */

static const char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void file_types_by_content(void **state)
{
    (void)state;
    struct {
        const char *data;
        size_t len;
        const char *type;
    } cases[] = {
        {"%PDF-1.7\n...", 12, "application/pdf"},
        {"\x89PNG\r\n\x1a\n0000", 12, "image/png"},
        {"\xff\xd8\xff\xe0 jfif", 10, "image/jpeg"},
        {"GIF89a....", 10, "image/gif"},
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, "image/webp"},
        {"Mon devoir\nligne 2\n", 19, "text/plain; charset=utf-8"},
        {"Élève — été\n", 18, "text/plain; charset=utf-8"},
        {"<html><script>alert(1)</script>", 31, NULL},
        {"  <svg onload=alert(1)>", 23, NULL},
        {"MZ\x90\0\3\0\0\0", 8, NULL},
        {"\x7f" "ELF\2\1\1", 7, NULL},
        {"PK\3\4 random zip", 16, NULL},
        {"bad \xc3\x28 utf8", 12, NULL},
        {"nul\0inside", 10, NULL},
        {"", 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = files_detect_type(write_tmp("f", cases[i].data, cases[i].len));
        if (cases[i].type == NULL && t != NULL)
            fail_msg("case %zu accepted as %s", i, t);
        if (cases[i].type && (!t || strcmp(t, cases[i].type) != 0))
            fail_msg("case %zu: %s", i, t ? t : "refused");
    }
    /* an OpenDocument: its first entry is the uncompressed mimetype */
    char odt[128];
    memset(odt, 0, sizeof odt);
    memcpy(odt, "PK\3\4", 4);
    memcpy(odt + 30, "mimetypeapplication/vnd.oasis.opendocument.text", 47);
    assert_string_equal(files_detect_type(write_tmp("odt", odt, sizeof odt)), "application/vnd.oasis.opendocument.text");

    arena_t a;
    arena_init(&a, NULL);
    assert_true(str_eq_cstr(files_display_name(&a, STR("../../etc/passwd")), "passwd"));
    assert_true(str_eq_cstr(files_display_name(&a, STR("C:\\Users\\x\\devoir.pdf")), "devoir.pdf"));
    assert_true(str_eq_cstr(files_display_name(&a, STR("a\"b\r\nc.pdf")), "abc.pdf"));
    assert_true(str_eq_cstr(files_display_name(&a, STR("dir/")), "file"));
    char longname[400];
    memset(longname, 'x', sizeof longname);
    memcpy(longname + 118, "é", 2); /* a two-byte character across the cut */
    str_t cut = files_display_name(&a, str_make(longname, sizeof longname));
    assert_true(cut.len <= FILE_NAME_MAX);
    assert_true(utf8_valid(cut.ptr, cut.len));

    /* adoption moves the file under a random id; refused types stay put */
    char data_dir[128];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    stored_file_t f1, f2;
    char tmp1[256];
    snprintf(tmp1, sizeof tmp1, "%s", write_tmp("up1", "%PDF-1.4 x", 10));
    assert_int_equal(files_adopt(&a, data_dir, tmp1, STR("devoir.pdf"), &f1), 0);
    assert_int_equal(access(tmp1, F_OK), -1);
    assert_int_equal(strlen(f1.id), FILE_ID_LEN);
    assert_int_equal(access(files_path(&a, data_dir, f1.id), R_OK), 0);
    assert_int_equal(f1.size, 10);
    char tmp2[256];
    snprintf(tmp2, sizeof tmp2, "%s", write_tmp("up2", "%PDF-1.4 y", 10));
    assert_int_equal(files_adopt(&a, data_dir, tmp2, STR("devoir.pdf"), &f2), 0);
    assert_string_not_equal(f1.id, f2.id);
    const char *html = write_tmp("up3", "<html></html>", 13);
    char tmp3[256];
    snprintf(tmp3, sizeof tmp3, "%s", html);
    assert_int_equal(files_adopt(&a, data_dir, tmp3, STR("x.pdf"), &f2), -1);
    files_discard(data_dir, f1.id);
    assert_int_equal(access(files_path(&a, data_dir, f1.id), F_OK), -1);
    arena_free(&a);
}

/* ---- keyed versions and the class-view cache ---- */

typedef struct touch_job {
    uint64_t key;
    int result;
} touch_job_t;

static int touch_write(store_tx_t *tx, void *ud)
{
    touch_job_t *j = ud;
    store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, j->key);
    return j->result;
}

static void keyed_versions_and_cache(void **state)
{
    (void)state;
    add_slot(&fx.maths, 1, 8 * 60, 9 * 60, 0);
    uint64_t k5b = school_day_key(fx.class_id, 0), k3a = school_day_key(fx.other_class, 0);
    assert_int_not_equal(k5b, school_day_key(0, fx.class_id)); /* a class and a group never share a key */
    uint64_t v5b = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, k5b);
    /* a job rolled back raises nothing */
    touch_job_t undone = {k5b, STORE_UNDONE};
    assert_int_equal(store_write_sync(store, touch_write, &undone), STORE_UNDONE);
    assert_int_equal(store_key_version(store, STORE_TOPIC_SCHOOL_DAY, k5b), v5b);

    dayview_cache_t c;
    dayview_cache_init(&c, 16);
    arena_t scratch;
    arena_init(&scratch, NULL);
    const dayview_t *v = dayview_get(&c, store, reader, &scratch, fx.school, fx.class_id, 0, D(2026, 11, 23));
    assert_non_null(v);
    int before = v->nentries;
    assert_true(before >= 2);
    dayview_get(&c, store, reader, &scratch, fx.school, fx.class_id, 0, D(2026, 11, 23));
    assert_int_equal(c.hits, 1);
    /* another class's write leaves this view cached */
    touch_job_t other = {k3a, STORE_OK};
    assert_int_equal(store_write_sync(store, touch_write, &other), STORE_OK);
    dayview_get(&c, store, reader, &scratch, fx.school, fx.class_id, 0, D(2026, 11, 23));
    assert_int_equal(c.hits, 2);
    /* a write about this class is seen by the next read */
    add_slot(&fx.french, 3, 8 * 60, 9 * 60, 0);
    v = dayview_get(&c, store, reader, &scratch, fx.school, fx.class_id, 0, D(2026, 11, 23));
    assert_int_equal(c.hits, 2);
    assert_int_equal(v->nentries, before + 2);
    /* another day is another view */
    dayview_get(&c, store, reader, &scratch, fx.school, fx.class_id, 0, D(2026, 11, 24));
    assert_int_equal(c.hits, 2);
    dayview_cache_dispose(&c);

    /* disabled: built every time, in the caller's arena */
    dayview_cache_init(&c, 0);
    v = dayview_get(&c, store, reader, &scratch, fx.school, fx.class_id, 0, D(2026, 11, 23));
    assert_non_null(v);
    assert_int_equal(v->nentries, before + 2);
    assert_int_equal(c.hits, 0);
    dayview_cache_dispose(&c);
    arena_free(&scratch);
}

int main(void)
{
    clock_set_timezone("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calendar_arithmetic),
        cmocka_unit_test_setup_teardown(timetable_weeks_holidays_and_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(notebook_validation_and_drafts, setup, teardown),
        cmocka_unit_test_setup_teardown(hand_in_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(file_types_by_content, setup, teardown),
        cmocka_unit_test_setup_teardown(keyed_versions_and_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
