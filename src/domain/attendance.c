#include "domain/attendance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/timetable.h"

/* timetable_range looks at this many teachings per call: larger sets go in chunks. */
#define RANGE_CHUNK 64

const char *attendance_mark_code(attendance_mark_t m)
{
    switch (m) {
    case MARK_PRESENT: return "present";
    case MARK_ABSENT: return "absent";
    case MARK_LATE: return "late";
    }
    return "present";
}

bool attendance_mark_parse(str_t s, attendance_mark_t *out)
{
    static const attendance_mark_t all[] = {MARK_PRESENT, MARK_ABSENT, MARK_LATE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (str_eq_cstr(s, attendance_mark_code(all[i]))) {
            *out = all[i];
            return true;
        }
    return false;
}

const char *absence_status_code(absence_status_t s)
{
    switch (s) {
    case ABSENCE_UNJUSTIFIED: return "unjustified";
    case ABSENCE_PENDING: return "pending";
    case ABSENCE_JUSTIFIED: return "justified";
    case ABSENCE_REFUSED: return "refused";
    }
    return "unjustified";
}

static absence_status_t status_parse(str_t s)
{
    static const absence_status_t all[] = {ABSENCE_PENDING, ABSENCE_JUSTIFIED, ABSENCE_REFUSED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (str_eq_cstr(s, absence_status_code(all[i])))
            return all[i];
    return ABSENCE_UNJUSTIFIED;
}

const char *attendance_problem_code(attendance_problem_t p)
{
    static const char *const codes[] = {
        [ATT_OK] = "ok",
        [ATT_BAD_DATE] = "bad_date",
        [ATT_BAD_TIME] = "bad_time",
        [ATT_BAD_MARK] = "bad_status",
        [ATT_BAD_MINUTES] = "bad_minutes_late",
        [ATT_NOT_IN_TEACHING] = "pupil_not_in_teaching",
        [ATT_DUPLICATE_PUPIL] = "duplicate_pupil",
        [ATT_REASON_EMPTY] = "reason_empty",
        [ATT_REASON_TOO_LONG] = "reason_too_long",
        [ATT_BAD_TEXT] = "bad_text",
        [ATT_ALREADY_JUSTIFIED] = "already_justified",
        [ATT_NOT_PENDING] = "not_pending",
        [ATT_NO_SUCH_ABSENCE] = "no_such_absence",
    };
    return (unsigned)p < sizeof codes / sizeof codes[0] && codes[p] ? codes[p] : "invalid";
}

/* ---- roll calls ---- */

int attendance_roster(store_src_t src, arena_t *a, const teaching_t *t, date_t on, person_t **out)
{
    if (t->class_id)
        return class_roster(src, a, t->class_id, on, out);
    return group_roster(src, a, t->group_id, out);
}

attendance_problem_t attendance_check_lines(const roll_call_input_t *in, const person_t *roster, int nroster)
{
    if (!date_valid(in->on) || date_compare(in->on, in->today) > 0)
        return ATT_BAD_DATE;
    if (in->starts_min < 0 || in->starts_min >= 1440 || in->ends_min <= in->starts_min || in->ends_min > 1440)
        return ATT_BAD_TIME;
    for (int i = 0; i < in->nlines; i++) {
        const roll_call_line_t *l = &in->lines[i];
        if (l->mark != MARK_PRESENT && l->mark != MARK_ABSENT && l->mark != MARK_LATE)
            return ATT_BAD_MARK;
        if (l->mark == MARK_LATE && (l->minutes_late < 1 || l->minutes_late > ATTENDANCE_LATE_MAX))
            return ATT_BAD_MINUTES;
        bool found = false;
        for (int k = 0; k < nroster && !found; k++)
            found = roster[k].id == l->pupil_id;
        if (!found)
            return ATT_NOT_IN_TEACHING;
        for (int k = 0; k < i; k++)
            if (in->lines[k].pupil_id == l->pupil_id)
                return ATT_DUPLICATE_PUPIL;
    }
    return ATT_OK;
}

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

static const roll_call_line_t *line_of(const roll_call_input_t *in, int64_t pupil_id)
{
    for (int i = 0; i < in->nlines; i++)
        if (in->lines[i].pupil_id == pupil_id)
            return &in->lines[i];
    return NULL;
}

static int save_in(store_tx_t *tx, arena_t *a, const roll_call_input_t *in, int64_t *id, attendance_problem_t *problem)
{
    person_t *roster;
    int n = attendance_roster(STORE_TX(tx), a, &in->teaching, in->on, &roster);
    if (n < 0)
        return n;
    if ((*problem = attendance_check_lines(in, roster, n)) != ATT_OK)
        return ATTENDANCE_INVALID;
    char d[11];
    date_format_iso(in->on, d);
    int rc = store_tx_exec(tx,
                           "INSERT INTO roll_calls (school_id, teaching_id, slot_id, on_date, starts_min, taken_by, "
                           "taken_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (teaching_id, on_date, starts_min) DO "
                           "UPDATE SET taken_by = excluded.taken_by, taken_at = excluded.taken_at, "
                           "slot_id = COALESCE(excluded.slot_id, roll_calls.slot_id)",
                           STORE_ARGS(SA_INT(in->teaching.school_id), SA_INT(in->teaching.id),
                                      in->slot_id ? SA_INT(in->slot_id) : SA_NULL, SA_CSTR(d), SA_INT(in->starts_min),
                                      SA_INT(in->taken_by), SA_INT(in->now)));
    if (rc != STORE_OK)
        return rc;
    int64_t rid = 0;
    if ((rc = store_int(STORE_TX(tx), "SELECT id FROM roll_calls WHERE teaching_id = ? AND on_date = ? AND starts_min = ?",
                        STORE_ARGS(SA_INT(in->teaching.id), SA_CSTR(d), SA_INT(in->starts_min)), &rid)) != 1)
        return rc < 0 ? rc : STORE_ERROR;
    /* Present again: the absence goes (with any justification, now pointless). */
    int64_t *had;
    int nhad = store_list(STORE_TX(tx), a, "SELECT pupil_id FROM absences WHERE roll_call_id = ?",
                          STORE_ARGS(SA_INT(rid)), sizeof *had, fill_id, (void **)&had);
    if (nhad < 0)
        return nhad;
    for (int i = 0; i < nhad; i++) {
        const roll_call_line_t *l = line_of(in, had[i]);
        if (l && l->mark != MARK_PRESENT)
            continue;
        if ((rc = store_tx_exec(tx, "DELETE FROM absences WHERE roll_call_id = ? AND pupil_id = ?",
                                STORE_ARGS(SA_INT(rid), SA_INT(had[i])))) != STORE_OK)
            return rc;
    }
    /* Still absent: the row is updated in place, so its status and reason stay. */
    for (int i = 0; i < in->nlines; i++) {
        const roll_call_line_t *l = &in->lines[i];
        if (l->mark == MARK_PRESENT)
            continue;
        int late = l->mark == MARK_LATE ? l->minutes_late : 0;
        rc = store_tx_exec(tx,
                           "INSERT INTO absences (school_id, pupil_id, roll_call_id, on_date, starts_min, ends_min, "
                           "kind, minutes_late, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (roll_call_id, pupil_id) DO UPDATE SET kind = excluded.kind, "
                           "minutes_late = excluded.minutes_late, starts_min = excluded.starts_min, "
                           "ends_min = excluded.ends_min, recorded_by = excluded.recorded_by, "
                           "recorded_at = excluded.recorded_at "
                           "WHERE absences.kind <> excluded.kind OR absences.minutes_late <> excluded.minutes_late",
                           STORE_ARGS(SA_INT(in->teaching.school_id), SA_INT(l->pupil_id), SA_INT(rid), SA_CSTR(d),
                                      SA_INT(in->starts_min), SA_INT(in->ends_min),
                                      SA_CSTR(attendance_mark_code(l->mark)), SA_INT(late), SA_INT(in->taken_by),
                                      SA_INT(in->now)));
        if (rc != STORE_OK)
            return rc;
    }
    school_day_touch(tx, &in->teaching);
    *id = rid;
    return STORE_OK;
}

int attendance_roll_call_save(store_tx_t *tx, const roll_call_input_t *in, int64_t *id, attendance_problem_t *problem)
{
    arena_t a;
    arena_init(&a, NULL);
    *problem = ATT_OK;
    int rc = save_in(tx, &a, in, id, problem);
    arena_free(&a);
    return rc;
}

static void fill_roll_call(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    roll_call_t *r = item;
    r->id = store_row_int(row, 0);
    r->teaching_id = store_row_int(row, 1);
    r->slot_id = store_row_int(row, 2);
    date_parse_iso(store_row_text(row, 3), &r->on);
    r->starts_min = (int)store_row_int(row, 4);
    r->taken_by = store_row_int(row, 5);
    r->taken_at = store_row_int(row, 6);
}

int attendance_roll_call_get(store_src_t src, arena_t *a, int64_t teaching_id, date_t on, int starts_min,
                             roll_call_t *out)
{
    char d[11];
    date_format_iso(on, d);
    return store_one(src, a,
                     "SELECT id, teaching_id, COALESCE(slot_id, 0), on_date, starts_min, taken_by, taken_at "
                     "FROM roll_calls WHERE teaching_id = ? AND on_date = ? AND starts_min = ?",
                     STORE_ARGS(SA_INT(teaching_id), SA_CSTR(d), SA_INT(starts_min)), sizeof *out, fill_roll_call, out);
}

static bool lesson_on(const timetable_entry_t *e)
{
    return e->status != LESSON_CANCELLED && e->status != LESSON_TEACHER_ABSENT;
}

int attendance_lesson_at(store_src_t src, arena_t *a, const teaching_t *t, date_t day, int start_min, int64_t *slot_id,
                         int *ends_min)
{
    *slot_id = 0;
    *ends_min = start_min + ATTENDANCE_DEFAULT_MINUTES > 1440 ? 1440 : start_min + ATTENDANCE_DEFAULT_MINUTES;
    timetable_entry_t *e;
    int n = timetable_range(src, a, t->school_id, t, 1, day, 1, &e);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        if (e[i].starts_min == start_min && lesson_on(&e[i])) {
            *slot_id = e[i].slot_id;
            *ends_min = e[i].ends_min;
            return 1;
        }
    return 0;
}

int attendance_first_lesson(store_src_t src, arena_t *a, const teaching_t *t, date_t day, int *start_min)
{
    timetable_entry_t *e;
    int n = timetable_range(src, a, t->school_id, t, 1, day, 1, &e);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        if (lesson_on(&e[i])) {
            *start_min = e[i].starts_min;
            return 1;
        }
    return 0;
}

/* ---- absences ---- */

#define ABSENCE_SELECT                                                                                                 \
    "SELECT a.id, a.school_id, a.pupil_id, COALESCE(a.roll_call_id, 0), COALESCE(rc.teaching_id, 0), a.on_date, "     \
    "a.starts_min, a.ends_min, a.kind, a.minutes_late, a.status, a.reason, p.first_name || ' ' || p.last_name, "      \
    "COALESCE((SELECT c.name FROM enrolments e JOIN classes c ON c.id = e.class_id WHERE e.pupil_id = a.pupil_id "    \
    "AND e.starts_on <= a.on_date AND (e.ends_on IS NULL OR e.ends_on >= a.on_date) ORDER BY e.starts_on DESC "       \
    "LIMIT 1), '') AS class_name, COALESCE(s.name, ''), COALESCE(a.justified_by, 0), COALESCE(a.justified_at, 0), "   \
    "p.last_name, p.first_name "                                                                                     \
    "FROM absences a JOIN people p ON p.id = a.pupil_id LEFT JOIN roll_calls rc ON rc.id = a.roll_call_id "          \
    "LEFT JOIN teaching t ON t.id = rc.teaching_id LEFT JOIN subjects s ON s.id = t.subject_id "

static void fill_absence(arena_t *a, const store_row_t *row, void *item)
{
    absence_t *x = item;
    x->id = store_row_int(row, 0);
    x->school_id = store_row_int(row, 1);
    x->pupil_id = store_row_int(row, 2);
    x->roll_call_id = store_row_int(row, 3);
    x->teaching_id = store_row_int(row, 4);
    date_parse_iso(store_row_text(row, 5), &x->on);
    x->starts_min = (int)store_row_int(row, 6);
    x->ends_min = (int)store_row_int(row, 7);
    x->kind = str_eq_cstr(store_row_text(row, 8), "late") ? MARK_LATE : MARK_ABSENT;
    x->minutes_late = (int)store_row_int(row, 9);
    x->status = status_parse(store_row_text(row, 10));
    x->reason = store_row_text_copy(row, 11, a);
    x->pupil_name = store_row_text_copy(row, 12, a);
    x->class_name = store_row_text_copy(row, 13, a);
    x->subject_name = store_row_text_copy(row, 14, a);
    x->justified_by = store_row_int(row, 15);
    x->justified_at = store_row_int(row, 16);
}

int attendance_absence_get(store_src_t src, arena_t *a, int64_t id, absence_t *out)
{
    return store_one(src, a, ABSENCE_SELECT "WHERE a.id = ?", STORE_ARGS(SA_INT(id)), sizeof *out, fill_absence, out);
}

int attendance_roll_call_absences(store_src_t src, arena_t *a, int64_t roll_call_id, absence_t **out)
{
    return store_list(src, a, ABSENCE_SELECT "WHERE a.roll_call_id = ? ORDER BY p.last_name, p.first_name",
                      STORE_ARGS(SA_INT(roll_call_id)), sizeof **out, fill_absence, (void **)out);
}

static void add_totals(attendance_totals_t *t, const absence_t *list, int n)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        const absence_t *x = &list[i];
        if (x->kind == MARK_LATE) {
            t->lateness++;
            t->late_minutes += x->minutes_late;
        } else {
            t->absences++;
            /* A half-day counts once however many lessons of it were missed. */
            bool morning = x->starts_min < ATTENDANCE_NOON_MIN, seen = false;
            for (int k = 0; k < i && !seen; k++)
                seen = list[k].kind == MARK_ABSENT && date_compare(list[k].on, x->on) == 0 &&
                       (list[k].starts_min < ATTENDANCE_NOON_MIN) == morning;
            if (!seen)
                t->half_days++;
        }
        if (x->status == ABSENCE_UNJUSTIFIED || x->status == ABSENCE_REFUSED)
            t->unjustified++;
        else if (x->status == ABSENCE_PENDING)
            t->pending++;
    }
}

int attendance_of_pupil(store_src_t src, arena_t *a, int64_t pupil_id, absence_t **out, attendance_totals_t *totals)
{
    absence_t *list;
    int n = store_list(src, a, ABSENCE_SELECT "WHERE a.pupil_id = ? ORDER BY a.on_date DESC, a.starts_min DESC",
                       STORE_ARGS(SA_INT(pupil_id)), sizeof *list, fill_absence, (void **)&list);
    if (n < 0)
        return n;
    if (totals)
        add_totals(totals, list, n);
    if (out)
        *out = list;
    return n;
}

int attendance_recent(store_src_t src, arena_t *a, int64_t pupil_id, date_t since, absence_t **out)
{
    char d[11];
    date_format_iso(since, d);
    return store_list(src, a,
                      ABSENCE_SELECT "WHERE a.pupil_id = ? AND a.on_date >= ? ORDER BY a.on_date DESC, a.starts_min DESC",
                      STORE_ARGS(SA_INT(pupil_id), SA_CSTR(d)), sizeof **out, fill_absence, (void **)out);
}

int attendance_pending(store_src_t src, arena_t *a, int64_t school_id, absence_t **out)
{
    return store_list(src, a,
                      ABSENCE_SELECT "WHERE a.school_id = ? AND a.status = 'pending' "
                                     "ORDER BY a.justified_at, a.on_date, a.starts_min",
                      STORE_ARGS(SA_INT(school_id)), sizeof **out, fill_absence, (void **)out);
}

/* ---- lessons of a day ---- */

static void fill_teaching_row(arena_t *a, const store_row_t *row, void *item)
{
    teaching_t *t = item;
    t->id = store_row_int(row, 0);
    t->teacher_id = store_row_int(row, 1);
    t->subject_id = store_row_int(row, 2);
    t->class_id = store_row_int(row, 3);
    t->group_id = store_row_int(row, 4);
    t->subject_name = store_row_text_copy(row, 5, a);
    t->target_name = store_row_text_copy(row, 6, a);
    t->teacher_name = store_row_text_copy(row, 7, a);
    t->school_id = store_row_int(row, 8);
}

static int teachings_of_school(store_src_t src, arena_t *a, int64_t school_id, teaching_t **out)
{
    return store_list(src, a,
                      "SELECT t.id, t.teacher_id, t.subject_id, COALESCE(t.class_id, 0), COALESCE(t.group_id, 0), "
                      "s.name, COALESCE(c.name, g.name, ''), p.first_name || ' ' || p.last_name, s.school_id "
                      "FROM teaching t JOIN subjects s ON s.id = t.subject_id JOIN people p ON p.id = t.teacher_id "
                      "LEFT JOIN classes c ON c.id = t.class_id LEFT JOIN teaching_groups g ON g.id = t.group_id "
                      "WHERE s.school_id = ? ORDER BY t.id",
                      STORE_ARGS(SA_INT(school_id)), sizeof **out, fill_teaching_row, (void **)out);
}

/* The lessons of a day for any number of teachings, cancelled ones left out. */
static int lessons_of_day(store_src_t src, arena_t *a, int64_t school_id, const teaching_t *t, int nt, date_t day,
                          timetable_entry_t **out)
{
    timetable_entry_t *all = NULL;
    int n = 0;
    for (int from = 0; from < nt; from += RANGE_CHUNK) {
        int count = nt - from < RANGE_CHUNK ? nt - from : RANGE_CHUNK;
        timetable_entry_t *e;
        int m = timetable_range(src, a, school_id, t + from, count, day, 1, &e);
        if (m < 0)
            return m;
        if (m == 0)
            continue;
        timetable_entry_t *grown = arena_alloc(a, sizeof *grown * (size_t)(n + m));
        if (n)
            memcpy(grown, all, sizeof *grown * (size_t)n);
        memcpy(grown + n, e, sizeof *e * (size_t)m);
        all = grown;
        n += m;
    }
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (lesson_on(&all[i]))
            all[kept++] = all[i];
    *out = all;
    return kept;
}

typedef struct taken {
    int64_t id, teaching_id;
    int starts_min;
    int absent, late;
    bool matched;
} taken_t;

static void fill_taken(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    taken_t *t = item;
    t->id = store_row_int(row, 0);
    t->teaching_id = store_row_int(row, 1);
    t->starts_min = (int)store_row_int(row, 2);
    t->absent = (int)store_row_int(row, 3);
    t->late = (int)store_row_int(row, 4);
}

#define TAKEN_SELECT                                                                                                   \
    "SELECT r.id, r.teaching_id, r.starts_min, "                                                                     \
    "(SELECT COUNT(*) FROM absences x WHERE x.roll_call_id = r.id AND x.kind = 'absent'), "                          \
    "(SELECT COUNT(*) FROM absences x WHERE x.roll_call_id = r.id AND x.kind = 'late') FROM roll_calls r "

static taken_t *find_taken(taken_t *list, int n, int64_t teaching_id, int starts_min)
{
    for (int i = 0; i < n; i++)
        if (list[i].teaching_id == teaching_id && list[i].starts_min == starts_min)
            return &list[i];
    return NULL;
}

static const teaching_t *teaching_in(const teaching_t *t, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (t[i].id == id)
            return &t[i];
    return NULL;
}

static int lesson_order(const void *x, const void *y)
{
    const school_day_lesson_t *a = x, *b = y;
    if (a->starts_min != b->starts_min)
        return a->starts_min < b->starts_min ? -1 : 1;
    int c = strcmp(a->target_name.ptr ? a->target_name.ptr : "", b->target_name.ptr ? b->target_name.ptr : "");
    if (c)
        return c;
    return a->teaching_id < b->teaching_id ? -1 : a->teaching_id > b->teaching_id;
}

int attendance_school_day(store_src_t src, arena_t *a, int64_t school_id, date_t on, absence_t **absences,
                          int *nabsences, school_day_lesson_t **lessons, int *nlessons)
{
    char d[11];
    date_format_iso(on, d);
    int n = store_list(src, a,
                       ABSENCE_SELECT "WHERE a.school_id = ? AND a.on_date = ? "
                                      "ORDER BY class_name, p.last_name, p.first_name, a.starts_min",
                       STORE_ARGS(SA_INT(school_id), SA_CSTR(d)), sizeof **absences, fill_absence, (void **)absences);
    if (n < 0)
        return n;
    *nabsences = n;
    teaching_t *t;
    int nt = teachings_of_school(src, a, school_id, &t);
    if (nt < 0)
        return nt;
    timetable_entry_t *e;
    int ne = lessons_of_day(src, a, school_id, t, nt, on, &e);
    if (ne < 0)
        return ne;
    taken_t *tk;
    int ntk = store_list(src, a, TAKEN_SELECT "WHERE r.school_id = ? AND r.on_date = ?",
                         STORE_ARGS(SA_INT(school_id), SA_CSTR(d)), sizeof *tk, fill_taken, (void **)&tk);
    if (ntk < 0)
        return ntk;
    school_day_lesson_t *out = arena_zalloc(a, sizeof *out * (size_t)(ne + ntk + 1));
    int k = 0;
    for (int i = 0; i < ne; i++) {
        school_day_lesson_t *l = &out[k++];
        l->teaching_id = e[i].teaching_id;
        l->slot_id = e[i].slot_id;
        l->starts_min = e[i].starts_min;
        l->ends_min = e[i].ends_min;
        l->subject_name = e[i].subject_name;
        l->target_name = e[i].target_name;
        l->teacher_name = e[i].teacher_name;
        taken_t *x = find_taken(tk, ntk, e[i].teaching_id, e[i].starts_min);
        if (x && !x->matched) {
            x->matched = true;
            l->roll_call_id = x->id;
            l->absent = x->absent;
            l->late = x->late;
        }
    }
    /* Roll calls of lessons outside the timetable (an extra hour, a replacement). */
    for (int i = 0; i < ntk; i++) {
        if (tk[i].matched)
            continue;
        const teaching_t *te = teaching_in(t, nt, tk[i].teaching_id);
        school_day_lesson_t *l = &out[k++];
        l->teaching_id = tk[i].teaching_id;
        l->starts_min = tk[i].starts_min;
        l->ends_min = tk[i].starts_min;
        l->subject_name = te ? te->subject_name : STR("");
        l->target_name = te ? te->target_name : STR("");
        l->teacher_name = te ? te->teacher_name : STR("");
        l->roll_call_id = tk[i].id;
        l->absent = tk[i].absent;
        l->late = tk[i].late;
    }
    qsort(out, (size_t)k, sizeof *out, lesson_order);
    *lessons = out;
    *nlessons = k;
    return STORE_OK;
}

static int due_order(const void *x, const void *y)
{
    const roll_call_due_t *a = x, *b = y;
    if (a->starts_min != b->starts_min)
        return a->starts_min < b->starts_min ? -1 : 1;
    return a->teaching_id < b->teaching_id ? -1 : a->teaching_id > b->teaching_id;
}

int attendance_teacher_day(store_src_t src, arena_t *a, int64_t teacher_id, int64_t school_id, date_t day,
                           int now_min, roll_call_due_t **out)
{
    *out = NULL;
    teaching_t *all;
    int nall = teaching_of_teacher(src, a, teacher_id, &all);
    if (nall < 0)
        return nall;
    /* Only the school asked for (0: every school the teacher teaches in). */
    teaching_t *t = arena_alloc(a, sizeof *t * (size_t)(nall + 1));
    int nt = 0;
    for (int i = 0; i < nall; i++)
        if (!school_id || all[i].school_id == school_id)
            t[nt++] = all[i];
    if (nt == 0)
        return 0;
    timetable_entry_t *e = NULL;
    int ne = 0;
    /* timetable_range works school by school (holidays, A/B weeks). */
    for (int i = 0; i < nt; i++) {
        bool first = true;
        for (int k = 0; k < i && first; k++)
            first = t[k].school_id != t[i].school_id;
        if (!first)
            continue;
        teaching_t *same = arena_alloc(a, sizeof *same * (size_t)nt);
        int ns = 0;
        for (int k = i; k < nt; k++)
            if (t[k].school_id == t[i].school_id)
                same[ns++] = t[k];
        timetable_entry_t *x;
        int nx = lessons_of_day(src, a, t[i].school_id, same, ns, day, &x);
        if (nx < 0)
            return nx;
        timetable_entry_t *grown = arena_alloc(a, sizeof *grown * (size_t)(ne + nx + 1));
        if (ne)
            memcpy(grown, e, sizeof *grown * (size_t)ne);
        if (nx)
            memcpy(grown + ne, x, sizeof *x * (size_t)nx);
        e = grown;
        ne += nx;
    }
    char d[11];
    date_format_iso(day, d);
    taken_t *tk;
    int ntk = store_list(src, a, TAKEN_SELECT "JOIN teaching t ON t.id = r.teaching_id WHERE t.teacher_id = ? AND "
                                              "r.on_date = ?",
                         STORE_ARGS(SA_INT(teacher_id), SA_CSTR(d)), sizeof *tk, fill_taken, (void **)&tk);
    if (ntk < 0)
        return ntk;
    date_t today = date_today();
    int cmp = date_compare(day, today);
    roll_call_due_t *list = arena_zalloc(a, sizeof *list * (size_t)(ne + ntk + 1));
    int n = 0;
    for (int i = 0; i < ne; i++) {
        roll_call_due_t *l = &list[n++];
        l->teaching_id = e[i].teaching_id;
        l->slot_id = e[i].slot_id;
        l->on = day;
        l->starts_min = e[i].starts_min;
        l->ends_min = e[i].ends_min;
        l->subject_name = e[i].subject_name;
        l->target_name = e[i].target_name;
        l->room = e[i].room;
        l->started = cmp < 0 || (cmp == 0 && now_min >= e[i].starts_min);
        taken_t *x = find_taken(tk, ntk, e[i].teaching_id, e[i].starts_min);
        if (x && !x->matched) {
            x->matched = true;
            l->roll_call_id = x->id;
        }
    }
    for (int i = 0; i < ntk; i++) {
        const teaching_t *te = teaching_in(t, nt, tk[i].teaching_id);
        if (tk[i].matched || !te)
            continue;
        roll_call_due_t *l = &list[n++];
        l->teaching_id = te->id;
        l->on = day;
        l->starts_min = tk[i].starts_min;
        l->ends_min = tk[i].starts_min;
        l->subject_name = te->subject_name;
        l->target_name = te->target_name;
        l->room = STR("");
        l->started = true;
        l->roll_call_id = tk[i].id;
    }
    qsort(list, (size_t)n, sizeof *list, due_order);
    *out = list;
    return n;
}

int attendance_roll_calls_due(store_src_t src, arena_t *a, int64_t teacher_id, int64_t school_id, date_t day,
                              int now_min, roll_call_due_t **out)
{
    roll_call_due_t *all;
    int n = attendance_teacher_day(src, a, teacher_id, school_id, day, now_min, &all);
    if (n <= 0) {
        *out = NULL;
        return n;
    }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (all[i].started && !all[i].roll_call_id)
            all[k++] = all[i];
    *out = all;
    return k;
}

/* ---- justification ---- */

attendance_problem_t attendance_check_reason(str_t reason)
{
    if (reason.len && text_check(reason.ptr, reason.len) != TEXT_OK)
        return ATT_BAD_TEXT;
    str_t t = str_trim(reason);
    /* Line breaks only are no reason either. */
    size_t visible = 0;
    for (size_t i = 0; i < t.len; i++)
        if (t.ptr[i] != '\r' && t.ptr[i] != '\n' && t.ptr[i] != ' ' && t.ptr[i] != '\t')
            visible++;
    if (visible == 0)
        return ATT_REASON_EMPTY;
    if (utf8_length(t.ptr, t.len) > ATTENDANCE_REASON_MAX)
        return ATT_REASON_TOO_LONG;
    return ATT_OK;
}

static int touch_absence(store_tx_t *tx, int64_t absence_id)
{
    arena_t a;
    arena_init(&a, NULL);
    int64_t teaching_id = 0;
    int rc = store_int(STORE_TX(tx),
                       "SELECT rc.teaching_id FROM absences x JOIN roll_calls rc ON rc.id = x.roll_call_id "
                       "WHERE x.id = ?",
                       STORE_ARGS(SA_INT(absence_id)), &teaching_id);
    teaching_t t;
    if (rc == 1 && (rc = teaching_get(STORE_TX(tx), &a, teaching_id, &t)) == 1)
        school_day_touch(tx, &t);
    else if (rc == 0)
        store_tx_touch(tx, STORE_TOPIC_SCHOOL_DAY);
    arena_free(&a);
    return rc < 0 ? rc : STORE_OK;
}

static int status_of(store_tx_t *tx, int64_t absence_id, absence_status_t *out)
{
    arena_t a;
    arena_init(&a, NULL);
    absence_t x;
    int rc = attendance_absence_get(STORE_TX(tx), &a, absence_id, &x);
    if (rc == 1)
        *out = x.status;
    arena_free(&a);
    return rc;
}

int attendance_justify(store_tx_t *tx, int64_t absence_id, int64_t by, str_t reason, bool accepted, int64_t now,
                       attendance_problem_t *problem)
{
    if ((*problem = attendance_check_reason(reason)) != ATT_OK)
        return ATTENDANCE_INVALID;
    absence_status_t st = ABSENCE_UNJUSTIFIED;
    int rc = status_of(tx, absence_id, &st);
    if (rc <= 0) {
        *problem = ATT_NO_SUCH_ABSENCE;
        return rc < 0 ? rc : ATTENDANCE_INVALID;
    }
    if (st == ABSENCE_JUSTIFIED) {
        *problem = ATT_ALREADY_JUSTIFIED;
        return ATTENDANCE_INVALID;
    }
    rc = store_tx_exec(tx, "UPDATE absences SET status = ?, reason = ?, justified_by = ?, justified_at = ? WHERE id = ?",
                       STORE_ARGS(SA_CSTR(accepted ? "justified" : "pending"), SA_TEXT(str_trim(reason)), SA_INT(by),
                                  SA_INT(now), SA_INT(absence_id)));
    if (rc != STORE_OK)
        return rc;
    return touch_absence(tx, absence_id);
}

int attendance_review(store_tx_t *tx, int64_t absence_id, bool accept, attendance_problem_t *problem)
{
    *problem = ATT_OK;
    absence_status_t st = ABSENCE_UNJUSTIFIED;
    int rc = status_of(tx, absence_id, &st);
    if (rc <= 0) {
        *problem = ATT_NO_SUCH_ABSENCE;
        return rc < 0 ? rc : ATTENDANCE_INVALID;
    }
    if (st != ABSENCE_PENDING) {
        *problem = ATT_NOT_PENDING;
        return ATTENDANCE_INVALID;
    }
    /* justified_by stays whoever gave the reason; the decision is the status. */
    rc = store_tx_exec(tx, "UPDATE absences SET status = ? WHERE id = ? AND status = 'pending'",
                       STORE_ARGS(SA_CSTR(accept ? "justified" : "refused"), SA_INT(absence_id)));
    if (rc != STORE_OK)
        return rc;
    return touch_absence(tx, absence_id);
}
