/* Imports: CSV and AAF, good and bad files, idempotence, changes and history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/password.h"
#include "core/clock.h"
#include "domain/directory.h"
#include "domain/import.h"
#include "domain/people.h"
#include "domain/school.h"
#include "domain/timetable.h"

#ifndef FIXTURES
#error FIXTURES must name tests/fixtures
#endif

static char dir[64];
static store_t *store;

/* What person() returns lives until the test's teardown. */
static arena_t people_arena;

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-import-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    store_options_t o = {.data_dir = data};
    arena_init(&people_arena, NULL);
    return store_open(&o, &store, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    store_close(store);
    arena_free(&people_arena);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t count_with(const char *sql, const store_arg_t *args, size_t nargs)
{
    store_reader_t *r = store_reader_open(store);
    int64_t n = -1;
    store_int(STORE_READER(r), sql, args, nargs, &n);
    store_reader_close(r);
    return n;
}

static int64_t count(const char *sql)
{
    return count_with(sql, STORE_NO_ARGS);
}

static int64_t total_rows(void)
{
    return count("SELECT (SELECT COUNT(*) FROM people) + (SELECT COUNT(*) FROM memberships) + "
                 "(SELECT COUNT(*) FROM classes) + (SELECT COUNT(*) FROM parent_links) + "
                 "(SELECT COUNT(*) FROM enrolments) + (SELECT COUNT(*) FROM teaching) + "
                 "(SELECT COUNT(*) FROM group_members) + (SELECT COUNT(*) FROM schools)");
}

/* Copies the good CSV fixture to a scratch directory. */
static void copy_fixture(const char *name, char out[128])
{
    snprintf(out, 128, "%s/%s-%d", dir, name, rand());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/%s/good/* %s/", out, FIXTURES, name, out);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *d, const char *name, const char *text, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", d, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static person_t person(const char *external)
{
    store_reader_t *r = store_reader_open(store);
    person_t p = {0};
    assert_int_equal(person_by_external_id(STORE_READER(r), &people_arena, str_from(external), &p), 1);
    store_reader_close(r);
    return p;
}

static void csv_import_is_complete_and_idempotent(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    import_data_t d;
    char err[512];
    char path[256];
    snprintf(path, sizeof path, "%s/csv/good", FIXTURES);
    assert_true(import_read_csv(&a, path, &d, err, sizeof err));
    import_report_t rep;
    /* a dry run reports exactly what the import will do, and writes nothing */
    int64_t empty = total_rows();
    assert_int_equal(import_apply(store, &d, true, &rep), STORE_OK);
    assert_int_equal(rep.people.created, 14);
    assert_int_equal(rep.links.created, 7);
    assert_int_equal(total_rows(), empty);
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    assert_int_equal(rep.classes.created, 3);
    assert_int_equal(rep.groups.created, 1);
    assert_int_equal(rep.subjects.created, 3);
    assert_int_equal(rep.people.created, 14); /* 5 pupils, 5 parents, 2 teachers, 2 staff */
    assert_int_equal(rep.links.created, 7);
    assert_int_equal(rep.teaching.created, 4);

    /* what it means */
    person_t hugo = person("csv:0999998E:E2");
    assert_string_equal(hugo.login.ptr, "hugo.dupont");
    assert_string_equal(hugo.birth_date.ptr, "2013-07-19");
    person_t awa = person("csv:0999998E:E3");
    assert_string_equal(awa.birth_date.ptr, "2014-11-12"); /* DD/MM/YYYY accepted */
    assert_string_equal(awa.login.ptr, "awa.n-diaye");
    store_reader_t *r = store_reader_open(store);
    class_info_t c;
    assert_int_equal(pupil_class(STORE_READER(r), &a, hugo.id, date_today(), &c), 1);
    assert_string_equal(c.code.ptr, "5A");
    person_t *parents;
    assert_int_equal(parents_of(STORE_READER(r), &a, hugo.id, &parents), 2);
    child_info_t *kids;
    assert_int_equal(children_of(STORE_READER(r), &a, person("csv:0999998E:P1").id, date_today(), &kids), 2);
    assert_int_equal(count("SELECT COUNT(*) FROM group_members"), 2);
    teaching_t *t;
    assert_int_equal(teaching_of_teacher(STORE_READER(r), &a, person("csv:0999998E:T2").id, &t), 2);
    membership_t *m;
    assert_int_equal(memberships_of(STORE_READER(r), &a, person("csv:0999998E:S1").id, &m), 1);
    assert_int_equal(m[0].role, ROLE_SCHOOL_ADMIN);
    store_reader_close(r);

    /* again: nothing changes */
    int64_t before = total_rows();
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    assert_int_equal(rep.people.created + rep.people.updated + rep.people.removed, 0);
    assert_int_equal(rep.people.unchanged, 14);
    assert_int_equal(rep.classes.unchanged, 3);
    assert_int_equal(rep.links.unchanged, 7);
    assert_int_equal(rep.teaching.unchanged, 4);
    assert_int_equal(rep.enrolments.unchanged, 5);
    assert_int_equal(rep.memberships.removed, 0);
    assert_int_equal(total_rows(), before);
    arena_free(&a);
}

static void csv_changes_are_applied_and_history_kept(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    char err[512], path[256];
    import_data_t d;
    import_report_t rep;
    snprintf(path, sizeof path, "%s/csv/good", FIXTURES);
    assert_true(import_read_csv(&a, path, &d, err, sizeof err));
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);

    char copy[128];
    copy_fixture("csv", copy);
    /* Awa moves to 6B, Inès leaves (with her guardian), Zoé arrives, Sophie's name changes. */
    const char pupils[] = "id;last_name;first_name;birth_date;class;groups;email\n"
                          "E1;Dupont;Léa;2014-03-02;6A;;\nE2;Dupont;Hugo;2013-07-19;5A;LAT5;\n"
                          "E3;N'Diaye;Awa;12/11/2014;6B;;\nE4;Le Gall;Maël;2014-01-30;6B;;\n"
                          "E6;Petit;Zoé;2013-02-02;5A;;\n";
    const char parents[] = "id;last_name;first_name;email;children;relation\n"
                           "P1;Dupont-Roy;Sophie;sophie.dupont@example.org;E1|E2;mere\nP2;Dupont;Marc;;E1|E2;pere\n"
                           "P3;N'Diaye;Fatou;;E3;mere\nP4;Le Gall;Yann;;E4;\nP6;Petit;Anne;;E6;\n";
    write_file(copy, "pupils.csv", pupils, sizeof pupils - 1);
    write_file(copy, "parents.csv", parents, sizeof parents - 1);
    assert_true(import_read_csv(&a, copy, &d, err, sizeof err));
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    assert_int_equal(rep.people.created, 2);  /* Zoé and her mother */
    assert_int_equal(rep.people.updated, 1);  /* Sophie */
    assert_int_equal(rep.enrolments.updated, 1);
    assert_int_equal(rep.memberships.removed, 3); /* Inès (pupil, Latin group) and Karim (parent) */

    store_reader_t *r = store_reader_open(store);
    person_t awa = person("csv:0999998E:E3");
    class_info_t now;
    assert_int_equal(pupil_class(STORE_READER(r), &a, awa.id, date_today(), &now), 1);
    assert_string_equal(now.code.ptr, "6B");
    person_t *roster;
    assert_int_equal(class_roster(STORE_READER(r), &a, now.id, date_today(), &roster), 2); /* Awa and Maël */
    person_t ines = person("csv:0999998E:E5");
    membership_t *m;
    assert_int_equal(memberships_of(STORE_READER(r), &a, ines.id, &m), 0);
    class_info_t c;
    assert_int_equal(pupil_class(STORE_READER(r), &a, ines.id, date_add_days(date_today(), 1), &c), 0);
    assert_string_equal(person("csv:0999998E:P1").last_name.ptr, "Dupont-Roy");
    store_reader_close(r);
    arena_free(&a);
}

typedef struct bad_case {
    const char *file;
    const char *content;
    const char *expect;
} bad_case_t;

static int64_t school_day_rows(void)
{
    return count("SELECT (SELECT COUNT(*) FROM timetable_slots) + (SELECT COUNT(*) FROM holidays) + "
                 "(SELECT COUNT(*) FROM timetable_changes) + (SELECT COUNT(*) FROM roll_calls)");
}

/* The good CSV files with one replaced by each case's: refused with its message,
 * and nothing of the school imported first changes. */
static void refuse_each(arena_t *a, const bad_case_t *cases, size_t n)
{
    int64_t before = total_rows(), before_day = school_day_rows();
    for (size_t i = 0; i < n; i++) {
        char copy[128], err[512] = "";
        copy_fixture("csv", copy);
        write_file(copy, cases[i].file, cases[i].content, strlen(cases[i].content));
        import_data_t d;
        bool ok = import_read_csv(a, copy, &d, err, sizeof err);
        if (ok || !strstr(err, cases[i].expect))
            fail_msg("case %zu (%s): expected \"%s\", got %s \"%s\"", i, cases[i].file, cases[i].expect,
                     ok ? "success" : "error", err);
        assert_int_equal(total_rows(), before);
        assert_int_equal(school_day_rows(), before_day);
    }
}

static void csv_bad_files_change_nothing(void **state)
{
    (void)state;
    static const bad_case_t cases[] = {
        {"pupils.csv", "id;last_name;first_name;birth_date;class\nE1;Dupont;Léa;2014-03-02;9Z\n",
         "pupils.csv:2: class \"9Z\" is not among the classes"},
        {"pupils.csv", "id;last_name;first_name;birth_date;class\nE1;Dupont;Léa;2014-03-02;6A\nE2;Dupont;Hugo;2013-02-30;5A\n",
         "pupils.csv:3: birth_date \"2013-02-30\" is not a date"},
        {"pupils.csv", "id;last_name;first_name;birth_date\nE1;Dupont;Léa;2014-03-02\n",
         "pupils.csv: line 1: column \"class\" is missing"},
        {"pupils.csv", "id;last_name;first_name;birth_date;class\nE1;\"Dupont;Léa;2014-03-02;6A\n",
         "pupils.csv: line 2: a quoted field is never closed"},
        {"pupils.csv", "id;last_name;first_name;birth_date;class\nE1;Dup\xffont;Léa;2014-03-02;6A\n",
         "pupils.csv: line 2: field 2: invalid UTF-8"},
        {"pupils.csv", "id;last_name;first_name;birth_date;class\nE1;;Léa;2014-03-02;6A\n",
         "pupils.csv:2: last name missing or invalid"},
        {"pupils.csv", "id;last_name;first_name;birth_date;class\nE1;Dupont;Léa;;6A\nE1;Dupont;Hugo;;5A\n",
         "pupils.csv:3: id \"E1\" is used twice"},
        {"parents.csv", "id;last_name;first_name;email;children\nP1;Dupont;Sophie;;E99\n",
         "parents.csv:2: pupil \"E99\" (child of \"P1\") is not among the pupils"},
        {"parents.csv", "id;last_name;first_name;email;children;relation\nP1;Dupont;Sophie;;E1;oncle\n",
         "parents.csv:2: relation \"oncle\""},
        {"parents.csv", "id;last_name;first_name;email;children\nP1;Dupont;Sophie;not-an-address;E1\n",
         "parents.csv:2: e-mail address invalid"},
        {"school.csv", "uai;name\n0999998X;Collège\n", "\"0999998X\" is not a valid UAI"},
        {"teaching.csv", "teacher;subject;class;group\nT1;MATHS;6A;LAT5\n", "teaching.csv:2: give a class or a group"},
        {"teaching.csv", "teacher;subject;class\nT9;MATHS;6A\n", "teaching.csv:2: teacher \"T9\" is not among the teachers"},
        {"staff.csv", "id;last_name;first_name;email;role\nS1;Dubois;Claire;;pupil\n", "role \"pupil\" is not staff"},
        {"classes.csv", "", "classes.csv: the file is empty"},
        {"classes.csv", "code;name\n6A;6e A\n6A;again\n", "classes.csv:3: class \"6A\" is listed twice"},
        {"pupils.csv", "id;last_name;first_name;class\nE1;Dupont;Léa;6A;extra\n", "line 2: more than 4 fields"},
    };
    /* a school imported first: bad imports must leave it exactly as it is */
    arena_t a;
    arena_init(&a, NULL);
    char err[512], path[256];
    import_data_t d;
    import_report_t rep;
    snprintf(path, sizeof path, "%s/csv/good", FIXTURES);
    assert_true(import_read_csv(&a, path, &d, err, sizeof err));
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    int64_t before = total_rows();
    refuse_each(&a, cases, sizeof cases / sizeof cases[0]);
    /* a required file missing */
    char copy[128];
    copy_fixture("csv", copy);
    char rm[256];
    snprintf(rm, sizeof rm, "%s/teachers.csv", copy);
    unlink(rm);
    assert_false(import_read_csv(&a, copy, &d, err, sizeof err));
    assert_non_null(strstr(err, "teachers.csv: missing"));
    assert_int_equal(total_rows(), before);
    arena_free(&a);
}

/* ---- the timetable and holidays ---- */

/* Reads and applies DIR; fails the test with the message otherwise. */
static void import_ok(arena_t *a, const char *path, bool dry_run, import_report_t *rep)
{
    import_data_t d;
    char err[512];
    if (!import_read_csv(a, path, &d, err, sizeof err))
        fail_msg("%s", err);
    if (import_apply(store, &d, dry_run, rep) != STORE_OK)
        fail_msg("%s", rep->error);
}

/* The good CSV fixture, imported. */
static void import_good(arena_t *a, import_report_t *rep)
{
    char path[256];
    snprintf(path, sizeof path, "%s/csv/good", FIXTURES);
    import_ok(a, path, false, rep);
}

static void assert_counts(const import_counts_t *c, int created, int updated, int unchanged, int removed)
{
    if (c->created != created || c->updated != updated || c->unchanged != unchanged || c->removed != removed)
        fail_msg("got %d created, %d updated, %d unchanged, %d removed; expected %d, %d, %d, %d", c->created,
                 c->updated, c->unchanged, c->removed, created, updated, unchanged, removed);
}

static char *iso(arena_t *a, date_t d)
{
    char *s = arena_alloc(a, 11);
    date_format_iso(d, s);
    return s;
}

static void write_text(const char *d, const char *name, const char *text)
{
    write_file(d, name, text, strlen(text));
}

static void remove_file(const char *d, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", d, name);
    assert_int_equal(unlink(path), 0);
}

static void csv_timetable_is_imported_and_idempotent(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/csv/good", FIXTURES);
    import_report_t rep;
    import_ok(&a, path, true, &rep); /* a dry run counts, and writes nothing */
    assert_counts(&rep.slots, 7, 0, 0, 0);
    assert_counts(&rep.holidays, 4, 0, 0, 0);
    assert_int_equal(school_day_rows(), 0);
    import_ok(&a, path, false, &rep);
    assert_counts(&rep.slots, 7, 0, 0, 0);
    assert_counts(&rep.holidays, 4, 0, 0, 0);

    /* what it means: day names in French or English, A/B weeks, H:MM, the year's bounds */
    date_t year_from, year_to;
    char label[10];
    school_year_of(date_today(), &year_from, &year_to, label);
    assert_int_equal(count_with("SELECT COUNT(*) FROM timetable_slots WHERE valid_from = ? AND valid_to = ?",
                                STORE_ARGS(SA_CSTR(iso(&a, year_from)), SA_CSTR(iso(&a, year_to)))),
                     7);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots s JOIN teaching t ON t.id = s.teaching_id JOIN "
                           "classes c ON c.id = t.class_id WHERE c.code = '6B' AND s.weekday = 2 AND "
                           "s.starts_min = 540 AND s.ends_min = 600 AND s.weeks = 'A' AND s.room = 'B14'"),
                     1);
    /* Jeudi, then monday at 9:00 */
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots WHERE weekday = 4 AND starts_min = 600"), 1);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots WHERE weekday = 1 AND starts_min = 540"), 1);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots s JOIN teaching t ON t.id = s.teaching_id WHERE "
                           "t.group_id IS NOT NULL AND s.room = 'CDI'"),
                     1);
    assert_int_equal(count("SELECT COUNT(*) FROM holidays WHERE label = 'Vacances de Noël' AND "
                           "starts_on = '2026-12-19' AND ends_on = '2027-01-03'"), /* DD/MM/YYYY */
                     1);

    /* again: nothing changes */
    int64_t before = school_day_rows();
    import_ok(&a, path, false, &rep);
    assert_counts(&rep.slots, 0, 0, 7, 0);
    assert_counts(&rep.holidays, 0, 0, 4, 0);
    assert_int_equal(school_day_rows(), before);
    arena_free(&a);
}

static int sql_job(store_tx_t *tx, void *ud)
{
    const char *const *sql = ud;
    /* sql[0]: the statement; its two arguments follow as text */
    return store_tx_exec(tx, sql[0], STORE_ARGS(SA_CSTR(sql[1]), SA_CSTR(sql[2])));
}

typedef struct change_job {
    teaching_t t;
    timetable_change_t c;
    int64_t by;
} change_job_t;

static int change_job(store_tx_t *tx, void *ud)
{
    change_job_t *j = ud;
    char err[256];
    return timetable_change_add(tx, &j->t, &j->c, j->by, NULL, err, sizeof err);
}

/* timetable.csv of three weekly lessons on today's weekday, from four weeks ago to
 * in eight weeks (a past and a future, whatever the day), with the 6A lesson's room
 * and which rows to keep. */
static void write_timetable(arena_t *a, const char *dir_, const char *room_6a, bool with_6b, bool with_5a)
{
    date_t today = date_today();
    const char *valid = arena_printf(a, "%s;%s", iso(a, date_add_days(today, -28)), iso(a, date_add_days(today, 56)));
    int wd = date_weekday(today);
    const char *text = arena_printf(
        a,
        "teacher;subject;class;group;day;start;end;room;weeks;from;to\n"
        "T1;MATHS;6A;;%d;08:00;09:00;%s;;%s\n%s%s",
        wd, room_6a, valid, with_6b ? arena_printf(a, "T1;MATHS;6B;;%d;10:00;11:00;B14;;%s\n", wd, valid) : "",
        with_5a ? arena_printf(a, "T2;FRANC;5A;;%d;14:00;15:00;C3;;%s\n", wd, valid) : "");
    write_text(dir_, "timetable.csv", text);
}

static void csv_timetable_changes_removals_and_history(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    date_t today = date_today(), year_from, year_to;
    char label[10];
    school_year_of(today, &year_from, &year_to, label);
    char copy[128];
    copy_fixture("csv", copy);
    write_timetable(&a, copy, "B12", true, true);
    /* holidays: one of last school year, two to come */
    write_text(copy, "holidays.csv",
               arena_printf(&a, "label;from;to\nAncien;%s;%s\nPont;%s;%s\nStage;%s;%s\n",
                            iso(&a, date_add_days(year_from, -60)), iso(&a, date_add_days(year_from, -50)),
                            iso(&a, date_add_days(today, 10)), iso(&a, date_add_days(today, 11)),
                            iso(&a, date_add_days(today, 30)), iso(&a, date_add_days(today, 31))));
    import_report_t rep;
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 3, 0, 0, 0);
    assert_counts(&rep.holidays, 3, 0, 0, 0);

    /* a new room: that slot is updated, and only its class's cached day is outdated */
    int64_t id6a = count("SELECT id FROM classes WHERE code = '6A'");
    int64_t id5a = count("SELECT id FROM classes WHERE code = '5A'");
    uint64_t v6a = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(id6a, 0));
    uint64_t v5a = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(id5a, 0));
    write_timetable(&a, copy, "B20", true, true);
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 1, 2, 0);
    assert_counts(&rep.holidays, 0, 0, 3, 0);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots WHERE room = 'B20'"), 1);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots"), 3);
    assert_true(store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(id6a, 0)) > v6a);
    assert_int_equal(store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(id5a, 0)), v5a);

    /* the Pont is longer, the Stage is cancelled, last year's holiday is history;
     * holidays concern every class */
    write_text(copy, "holidays.csv",
               arena_printf(&a, "label;from;to\nPont;%s;%s\n", iso(&a, date_add_days(today, 10)),
                            iso(&a, date_add_days(today, 12))));
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 0, 3, 0);
    assert_counts(&rep.holidays, 0, 1, 0, 1);
    assert_true(store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(id5a, 0)) > v5a);
    assert_int_equal(count_with("SELECT COUNT(*) FROM holidays WHERE label = 'Pont' AND ends_on = ?",
                                STORE_ARGS(SA_CSTR(iso(&a, date_add_days(today, 12))))),
                     1);
    assert_int_equal(count("SELECT COUNT(*) FROM holidays WHERE label = 'Ancien'"), 1);
    assert_int_equal(count("SELECT COUNT(*) FROM holidays WHERE label = 'Stage'"), 0);

    /* The 5A lesson has a history: a change last week, one next week, a roll call today. */
    int64_t slot5a = count("SELECT id FROM timetable_slots WHERE room = 'C3'");
    int64_t teaching5a = count("SELECT teaching_id FROM timetable_slots WHERE room = 'C3'");
    store_reader_t *r = store_reader_open(store);
    change_job_t j = {.c = {.slot_id = slot5a, .kind = LESSON_CANCELLED, .note = STR("")},
                      .by = person("csv:0999998E:T2").id};
    assert_int_equal(teaching_get(STORE_READER(r), &a, teaching5a, &j.t), 1);
    store_reader_close(r);
    j.c.on = date_add_days(today, -7);
    assert_int_equal(store_write_sync(store, change_job, &j), STORE_OK);
    j.c.on = date_add_days(today, 7);
    assert_int_equal(store_write_sync(store, change_job, &j), STORE_OK);
    const char *roll[] = {arena_printf(&a,
                                       "INSERT INTO roll_calls (school_id, teaching_id, slot_id, on_date, starts_min, "
                                       "taken_by, taken_at) VALUES (%lld, %lld, %lld, ?, 840, %lld, ?)",
                                       (long long)j.t.school_id, (long long)j.t.id, (long long)slot5a, (long long)j.by),
                          iso(&a, today), "0"};
    assert_int_equal(store_write_sync(store, sql_job, roll), STORE_OK);

    /* Both lessons go: the 6B one, with no history, is deleted; the 5A one ends yesterday. */
    write_timetable(&a, copy, "B20", false, false);
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 0, 1, 2);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots WHERE room = 'B14'"), 0);
    assert_int_equal(count_with("SELECT COUNT(*) FROM timetable_slots WHERE id = ? AND valid_to = ?",
                                STORE_ARGS(SA_INT(slot5a), SA_CSTR(iso(&a, date_add_days(today, -1))))),
                     1);
    assert_int_equal(count_with("SELECT COUNT(*) FROM timetable_changes WHERE slot_id = ? AND on_date = ?",
                                STORE_ARGS(SA_INT(slot5a), SA_CSTR(iso(&a, date_add_days(today, -7))))),
                     1); /* last week's change stays */
    assert_int_equal(count_with("SELECT COUNT(*) FROM timetable_changes WHERE slot_id = ?", STORE_ARGS(SA_INT(slot5a))),
                     1); /* next week's is gone with the lesson */
    assert_int_equal(count("SELECT COUNT(*) FROM roll_calls WHERE slot_id IS NULL AND starts_min = 840"), 1);

    /* again: nothing more (the ended lesson is history, not a removal to redo) */
    int64_t before = school_day_rows();
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 0, 1, 0);
    assert_int_equal(school_day_rows(), before);

    /* its teaching cannot go while that history refers to it: refused, nothing changed */
    write_text(copy, "teaching.csv", "teacher;subject;class;group\nT1;MATHS;6A;\nT1;MATHS;6B;\nT2;LATIN;;LAT5\n");
    import_data_t d;
    char err[512];
    assert_true(import_read_csv(&a, copy, &d, err, sizeof err));
    int64_t rows = total_rows();
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_CONSTRAINT);
    assert_non_null(strstr(rep.error, "teaching: an assignment no longer listed cannot be removed"));
    assert_int_equal(total_rows(), rows);
    assert_int_equal(school_day_rows(), before);
    copy_fixture("csv", copy);

    /* listed again, the lesson takes up its row again (no second past) */
    write_timetable(&a, copy, "B20", false, true);
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 1, 1, 0);
    assert_int_equal(count_with("SELECT COUNT(*) FROM timetable_slots WHERE id = ? AND valid_to = ?",
                                STORE_ARGS(SA_INT(slot5a), SA_CSTR(iso(&a, date_add_days(today, 56))))),
                     1);
    assert_int_equal(count("SELECT COUNT(*) FROM timetable_slots"), 2);

    /* without the files, the timetable and holidays are left as they are */
    remove_file(copy, "timetable.csv");
    remove_file(copy, "holidays.csv");
    before = school_day_rows();
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 0, 0, 0);
    assert_counts(&rep.holidays, 0, 0, 0, 0);
    assert_int_equal(school_day_rows(), before);
    arena_free(&a);
}

#define TT_HEADER "teacher;subject;class;group;day;start;end;room;weeks;from;to\n"
#define TT_GOOD "T1;MATHS;6A;;lundi;08:00;09:00;B12;;;\n"

static void csv_bad_timetables_change_nothing(void **state)
{
    (void)state;
    static const bad_case_t cases[] = {
        {"timetable.csv", TT_HEADER TT_GOOD "T9;MATHS;6A;;lundi;10:00;11:00;;;;\n",
         "timetable.csv:3: teacher \"T9\" is not among the teachers"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;PHYS;6A;;lundi;10:00;11:00;;;;\n",
         "timetable.csv:3: subject \"PHYS\" is not among the subjects"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;9Z;;lundi;10:00;11:00;;;;\n",
         "timetable.csv:3: class \"9Z\" is not among the classes"},
        {"timetable.csv", TT_HEADER TT_GOOD "T2;LATIN;;LAT9;mardi;10:00;11:00;;;;\n",
         "timetable.csv:3: group \"LAT9\" is not among the groups"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;LAT5;lundi;10:00;11:00;;;;\n",
         "timetable.csv:3: give a class or a group"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lunedi;10:00;11:00;;;;\n",
         "timetable.csv:3: day \"lunedi\" is not a day of the week"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;8;10:00;11:00;;;;\n", "timetable.csv:3: day \"8\""},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10h00;11:00;;;;\n",
         "timetable.csv:3: start \"10h00\" is not a time (HH:MM)"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;25:00;;;;\n",
         "timetable.csv:3: end \"25:00\" is not a time"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;11:00;10:00;;;;\n",
         "timetable.csv:3: the lesson must end after it starts"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;10:00;;;;\n",
         "timetable.csv:3: the lesson must end after it starts"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;11:00;;C;;\n",
         "timetable.csv:3: weeks \"C\" is not empty (every week), A or B"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;11:00;;;2026-02-30;\n",
         "timetable.csv:3: from \"2026-02-30\" is not a date"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;11:00;;;;31/04/2027\n",
         "timetable.csv:3: to \"31/04/2027\" is not a date"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;11:00;;;2026-10-01;2026-09-30\n",
         "timetable.csv:3: the slot's validity must be two dates, the second not before the first"},
        {"timetable.csv",
         TT_HEADER TT_GOOD "T1;MATHS;6A;;lundi;10:00;11:00;Salle polyvalente du bâtiment B, 2e étage;;;\n",
         "timetable.csv:3: the room name is too long"},
        {"timetable.csv", TT_HEADER TT_GOOD "T2;MATHS;6A;;lundi;10:00;11:00;;;;\n",
         "timetable.csv:3: teacher \"T2\", subject \"MATHS\", class \"6A\" is not among the teaching assignments"},
        {"timetable.csv", TT_HEADER TT_GOOD "T1;MATHS;6A;;Lundi;08:00;10:00;B14;;;\n",
         "timetable.csv:3: the same lesson (teacher \"T1\", subject \"MATHS\", class \"6A\", same day, start and "
         "weeks) is already at timetable.csv:2"},
        {"timetable.csv", "teacher;subject;class;day;start\nT1;MATHS;6A;lundi;08:00\n",
         "timetable.csv: line 1: column \"end\" is missing"},
        {"holidays.csv", "label;from;to\nToussaint;2026-10-17;2026-11-01\nNoël;2026-12-19;2026-13-03\n",
         "holidays.csv:3: to \"2026-13-03\" is not a date"},
        {"holidays.csv", "label;from;to\nToussaint;2026-10-17;2026-11-01\nNoël;2027-01-03;19/12/2026\n",
         "holidays.csv:3: a holiday needs two dates, the second not before the first"},
        {"holidays.csv", "label;from;to\nToussaint;2026-10-17;2026-11-01\nNoël;2026-12-19;\n",
         "holidays.csv:3: a holiday needs its first and last days"},
        {"holidays.csv", "label;from;to\nToussaint;2026-10-17;2026-11-01\n;2026-12-19;2027-01-03\n",
         "holidays.csv:3: a holiday needs a name"},
        {"holidays.csv", "label;from;to\nToussaint;2026-10-17;2026-11-01\nToussaint;17/10/2026;2026-11-02\n",
         "holidays.csv:3: holiday \"Toussaint\" starting that day is already at holidays.csv:2"},
        {"holidays.csv", "label;from\nToussaint;2026-10-17\n", "holidays.csv: line 1: column \"to\" is missing"},
    };
    arena_t a;
    arena_init(&a, NULL);
    import_report_t rep;
    import_good(&a, &rep);
    refuse_each(&a, cases, sizeof cases / sizeof cases[0]);
    arena_free(&a);
}

/* What only the store can tell (a teaching assigned earlier, the school year's
 * bounds) is checked in the import's transaction: a refusal still writes nothing. */
static void csv_timetable_checked_against_the_store(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    import_report_t rep;
    import_good(&a, &rep);
    date_t year_from, year_to;
    char label[10];
    school_year_of(date_today(), &year_from, &year_to, label);
    static const struct {
        const char *row, *expect;
    } cases[] = {
        {"T2;MATHS;6A;;lundi;10:00;11:00;;;;\n",
         "timetable.csv:3: teacher \"T2\", subject \"MATHS\", class \"6A\" is not among the teaching assignments"},
        {NULL, "timetable.csv:3: the slot's validity must be two dates, the second not before the first"},
    };
    int64_t before = total_rows(), before_day = school_day_rows();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char copy[128];
        copy_fixture("csv", copy);
        remove_file(copy, "teaching.csv"); /* the teaching is the store's */
        /* the second case: from after the year's end, to left to the year's end */
        const char *row = cases[i].row ? cases[i].row
                                       : arena_printf(&a, "T1;MATHS;6B;;mardi;10:00;11:00;;;%s;\n",
                                                      iso(&a, date_add_days(year_to, 1)));
        write_text(copy, "timetable.csv", arena_printf(&a, TT_HEADER TT_GOOD "%s", row));
        import_data_t d;
        char err[512];
        assert_true(import_read_csv(&a, copy, &d, err, sizeof err));
        for (int dry = 1; dry >= 0; dry--) {
            assert_int_equal(import_apply(store, &d, dry, &rep), STORE_CONSTRAINT);
            if (!strstr(rep.error, cases[i].expect))
                fail_msg("case %zu: expected \"%s\", got \"%s\"", i, cases[i].expect, rep.error);
            assert_int_equal(rep.slots.created, 0); /* nothing of it was kept */
            assert_int_equal(total_rows(), before);
            assert_int_equal(school_day_rows(), before_day);
        }
    }
    /* a teaching assigned by an earlier import is enough without teaching.csv */
    char copy[128];
    copy_fixture("csv", copy);
    remove_file(copy, "teaching.csv");
    write_text(copy, "timetable.csv", TT_HEADER TT_GOOD "T2;LATIN;;LAT5;mardi;16:00;17:00;CDI;;;\n");
    import_ok(&a, copy, false, &rep);
    assert_counts(&rep.slots, 0, 0, 2, 5);
    arena_free(&a);
}

static void aaf_import_reads_the_national_export(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    char err[512], path[256];
    import_data_t d;
    snprintf(path, sizeof path, "%s/aaf/good", FIXTURES);
    if (!import_read_aaf(&a, path, NULL, &d, err, sizeof err))
        fail_msg("%s", err);
    assert_true(str_eq(d.uai, STR("0999997D")));
    assert_true(str_eq(d.school_name, STR("Lycée Émile Zola"))); /* ISO-8859-15 decoded */
    assert_true(str_eq(d.school_kind, STR("lycee")));
    int pupils = 0, parents = 0, teachers = 0, staff = 0, admins = 0;
    for (int i = 0; i < d.npeople; i++) {
        switch (d.people[i].role) {
        case ROLE_PUPIL: pupils++; break;
        case ROLE_PARENT: parents++; break;
        case ROLE_TEACHER: teachers++; break;
        case ROLE_STAFF: staff++; break;
        case ROLE_SCHOOL_ADMIN: admins++; break;
        default: break;
        }
    }
    /* the pupil and teacher of another structure are left out, so is a mere contact */
    assert_int_equal(pupils, 3);
    assert_int_equal(parents, 3);
    assert_int_equal(teachers, 2);
    assert_int_equal(staff, 1);
    assert_int_equal(admins, 1);
    assert_int_equal(d.nlinks, 5);
    assert_int_equal(d.nclasses, 2);
    bool labelled = false;
    for (int i = 0; i < d.nclasses; i++)
        labelled |= str_eq(d.classes[i].code, STR("2NDE1")) && str_eq(d.classes[i].name, STR("Seconde 1"));
    assert_true(labelled);
    assert_int_equal(d.nteaching, 4); /* 2 explicit pairs, 2 from the subject x classes fallback */

    import_report_t rep;
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    person_t chloe = person("aaf:2001");
    assert_true(str_eq(chloe.first_name, STR("Chloé")));
    assert_true(str_eq(chloe.birth_date, STR("2011-02-14")));
    person_t gaelle = person("aaf:2003");
    assert_true(str_eq(gaelle.last_name, STR("Œuvrard")));
    assert_string_equal(gaelle.login.ptr, "gaelle.oeuvrard");
    store_reader_t *r = store_reader_open(store);
    child_info_t *kids;
    assert_int_equal(children_of(STORE_READER(r), &a, person("aaf:3001").id, date_today(), &kids), 2);
    store_reader_close(r);
    int64_t before = total_rows();
    assert_true(import_read_aaf(&a, path, "0999997D", &d, err, sizeof err));
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    assert_int_equal(rep.people.created + rep.people.updated, 0);
    assert_int_equal(total_rows(), before);
    arena_free(&a);
}

static void aaf_bad_files_are_refused(void **state)
{
    (void)state;
    static const bad_case_t cases[] = {
        {"Eleve", "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<ficAlimMENESR>\n<addRequest><identifier><id>1",
         "not well-formed XML"},
        {"Eleve", "<?xml version=\"1.0\"?>\n<ficAlimMENESR>\n<modifyRequest/>\n</ficAlimMENESR>\n", ":3: a delta export"},
        {"Eleve", "<?xml version=\"1.0\"?>\n<other/>\n", "the root element is not <ficAlimMENESR>"},
        {"Eleve", "<?xml version=\"1.0\"?>\n<ficAlimMENESR>\n<addRequest><attributes/></addRequest>\n</ficAlimMENESR>\n",
         ":3: addRequest without an identifier"},
        {"Eleve",
         "<?xml version=\"1.0\"?>\n<ficAlimMENESR>\n<addRequest><identifier><id>2001</id></identifier><attributes>"
         "<attr name=\"sn\"><value>X</value></attr><attr name=\"givenName\"><value>Y</value></attr>"
         "<attr name=\"ENTPersonStructRattach\"><value>7001</value></attr>"
         "<attr name=\"ENTPersonDateNaissance\"><value>31/02/2011</value></attr></attributes></addRequest>\n"
         "</ficAlimMENESR>\n",
         ":3: ENTPersonDateNaissance is not a date"},
        {"Eleve",
         "<?xml version=\"1.0\"?>\n<ficAlimMENESR>\n<addRequest><operationalAttributes><attr name=\"categoriePersonne\">"
         "<value>PersEducNat</value></attr></operationalAttributes><identifier><id>9</id></identifier><attributes/>"
         "</addRequest>\n</ficAlimMENESR>\n",
         "a PersEducNat record in the Eleve file"},
        /* XXE: an external entity must never be read */
        {"Eleve",
         "<?xml version=\"1.0\"?>\n<!DOCTYPE ficAlimMENESR [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
         "<ficAlimMENESR>\n<addRequest><identifier><id>2001</id></identifier><attributes>"
         "<attr name=\"sn\"><value>&xxe;</value></attr><attr name=\"givenName\"><value>Y</value></attr>"
         "<attr name=\"ENTPersonStructRattach\"><value>7001</value></attr>"
         "<attr name=\"ENTEleveClasses\"><value>7001$2NDE1</value></attr></attributes></addRequest>\n"
         "</ficAlimMENESR>\n",
         "last name missing or invalid"},
    };
    arena_t a;
    arena_init(&a, NULL);
    int64_t before = total_rows();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char copy[128];
        copy_fixture("aaf", copy);
        char name[128];
        snprintf(name, sizeof name, "ENT_0999997D_Complet_20260901_%s_0000.xml", cases[i].file);
        write_file(copy, name, cases[i].content, strlen(cases[i].content));
        char err[512] = "";
        import_data_t d;
        bool ok = import_read_aaf(&a, copy, NULL, &d, err, sizeof err);
        if (ok || !strstr(err, cases[i].expect))
            fail_msg("case %zu: expected \"%s\", got %s \"%s\"", i, cases[i].expect, ok ? "success" : "error", err);
        assert_null(strstr(err, "root:")); /* nothing of /etc/passwd */
        assert_int_equal(total_rows(), before);
    }
    char copy[128];
    copy_fixture("aaf", copy);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm %s/*PersEducNat*", copy);
    assert_int_equal(system(cmd), 0);
    char err[512];
    import_data_t d;
    assert_false(import_read_aaf(&a, copy, NULL, &d, err, sizeof err));
    assert_non_null(strstr(err, "no *_PersEducNat_*.xml file"));
    arena_free(&a);
}

static int make_logins(store_tx_t *tx, void *ud)
{
    str_t *out = ud;
    arena_t *a = malloc(sizeof *a); /* freed by the test */
    arena_init(a, NULL);
    int rc = login_unique(tx, a, STR("Zoé"), STR("L'Hôte-Évrard"), &out[0]);
    person_t p = {.login = out[0], .first_name = STR("Zoé"), .last_name = STR("L'Hôte-Évrard")};
    if (rc == 0)
        rc = person_create(tx, &p);
    if (rc == 0)
        rc = login_unique(tx, a, STR("ZOÉ"), STR("l’hôte évrard"), &out[1]);
    if (rc == 0)
        rc = login_unique(tx, a, STR("李"), STR("王"), &out[2]);
    if (rc == 0)
        rc = login_unique(tx, a, STR("Łukasz"), STR("Żółć"), &out[3]);
    out[4] = (str_t){(const char *)a, 0};
    return rc;
}

static int person_create_job(store_tx_t *tx, void *ud)
{
    return person_create(tx, ud);
}

typedef struct moves {
    int64_t pupil, a, b;
} moves_t;

static int move_twice(store_tx_t *tx, void *ud)
{
    moves_t *m = ud;
    upsert_result_t r;
    int rc = enrol_pupil(tx, m->pupil, m->a, (date_t){2026, 9, 1}, &r);
    if (rc == 0 && r != UPSERT_CREATED)
        return -100;
    if (rc == 0)
        rc = enrol_pupil(tx, m->pupil, m->a, (date_t){2026, 10, 1}, &r); /* the same class: nothing */
    if (rc == 0 && r != UPSERT_UNCHANGED)
        return -101;
    if (rc == 0)
        rc = enrol_pupil(tx, m->pupil, m->b, (date_t){2026, 11, 2}, &r);
    if (rc == 0 && r != UPSERT_UPDATED)
        return -102;
    return rc;
}

static void class_changes_keep_history(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    char err[512], path[256];
    import_data_t d;
    import_report_t rep;
    snprintf(path, sizeof path, "%s/csv/good", FIXTURES);
    assert_true(import_read_csv(&a, path, &d, err, sizeof err));
    assert_int_equal(import_apply(store, &d, false, &rep), STORE_OK);
    store_reader_t *r = store_reader_open(store);
    school_t s;
    assert_int_equal(school_by_uai(STORE_READER(r), &a, STR("0999998E"), &s), 1);
    school_year_t y;
    assert_int_equal(school_year_for(STORE_READER(r), &a, s.id, date_today(), &y), 1);
    class_info_t c6a, c6b;
    assert_int_equal(class_by_code(STORE_READER(r), &a, s.id, y.id, STR("6A"), &c6a), 1);
    assert_int_equal(class_by_code(STORE_READER(r), &a, s.id, y.id, STR("6B"), &c6b), 1);
    /* a new pupil, away from the imported ones */
    person_t p = {.login = STR("test.history"), .first_name = STR("Test"), .last_name = STR("History")};
    store_reader_close(r);
    moves_t m = {0, c6a.id, c6b.id};
    assert_int_equal(store_write_sync(store, person_create_job, &p), STORE_OK);
    int64_t id = p.id;
    m.pupil = id;
    assert_int_equal(store_write_sync(store, move_twice, &m), STORE_OK);
    r = store_reader_open(store);
    enrolment_t *hist;
    assert_int_equal(pupil_enrolments(STORE_READER(r), &a, id, &hist), 2);
    assert_string_equal(hist[0].class_.code.ptr, "6A");
    assert_string_equal(hist[0].starts_on.ptr, "2026-09-01");
    assert_string_equal(hist[0].ends_on.ptr, "2026-11-01");
    assert_string_equal(hist[1].class_.code.ptr, "6B");
    assert_int_equal(hist[1].ends_on.len, 0);
    class_info_t on;
    assert_int_equal(pupil_class(STORE_READER(r), &a, id, (date_t){2026, 10, 15}, &on), 1);
    assert_string_equal(on.code.ptr, "6A");
    assert_int_equal(pupil_class(STORE_READER(r), &a, id, (date_t){2026, 11, 2}, &on), 1);
    assert_string_equal(on.code.ptr, "6B");
    assert_int_equal(pupil_class(STORE_READER(r), &a, id, (date_t){2026, 8, 31}, &on), 0);
    store_reader_close(r);
    arena_free(&a);
}

static void logins_are_ascii_and_unique(void **state)
{
    (void)state;
    str_t logins[5];
    assert_int_equal(store_write_sync(store, make_logins, logins), STORE_OK);
    assert_string_equal(logins[0].ptr, "zoe.l-hote-evrard");
    assert_string_equal(logins[1].ptr, "zoe.l-hote-evrard2");
    assert_string_equal(logins[2].ptr, "utilisateur");
    assert_string_equal(logins[3].ptr, "lukasz.zolc");
    for (int i = 0; i < 4; i++)
        assert_true(login_valid(logins[i]));
    arena_t *a = (arena_t *)logins[4].ptr;
    arena_free(a);
    free(a);
    assert_false(login_valid(STR("Upper")));
    assert_false(login_valid(STR("a b")));
    assert_false(login_valid(STR("")));
}

int main(void)
{
    srand((unsigned)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(csv_import_is_complete_and_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_changes_are_applied_and_history_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_bad_files_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_timetable_is_imported_and_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_timetable_changes_removals_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_bad_timetables_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_timetable_checked_against_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(aaf_import_reads_the_national_export, setup, teardown),
        cmocka_unit_test_setup_teardown(aaf_bad_files_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(class_changes_keep_history, setup, teardown),
        cmocka_unit_test_setup_teardown(logins_are_ascii_and_unique, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
