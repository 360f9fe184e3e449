/* The demo school's attendance: every lesson of the past two weeks has its roll
 * call, with a few absences and lateness, some justified, some waiting for the
 * school's decision. Léa Martin (demo.eleve) has exactly one unjustified absence,
 * the most recent, so her mother has something to justify. */
#include <string.h>

#include "domain/attendance.h"
#include "domain/timetable.h"

#define DEMO_DAYS 14
#define CHUNK 64

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t next(rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int pick(rng_t *r, int n)
{
    return n > 0 ? (int)(next(r) % (uint64_t)n) : 0;
}

static const char *const reasons[] = {
    "Rendez-vous chez l'orthodontiste, prévu de longue date.",
    "Fièvre depuis la veille au soir, il est resté à la maison.",
    "Bus scolaire en panne ce matin-là.",
    "Obsèques d'un proche de la famille.",
    "Rendez-vous médical (certificat remis au secrétariat).",
    "Gastro-entérite, retour en classe le lendemain.",
};

static void fill_teaching(arena_t *a, const store_row_t *row, void *item)
{
    teaching_t *t = item;
    t->id = store_row_int(row, 0);
    t->teacher_id = store_row_int(row, 1);
    t->subject_id = store_row_int(row, 2);
    t->class_id = store_row_int(row, 3);
    t->group_id = store_row_int(row, 4);
    t->subject_name = store_row_text_copy(row, 5, a);
    t->target_name = store_row_text_copy(row, 6, a);
    t->teacher_name = STR("");
    t->school_id = store_row_int(row, 7);
}

static const teaching_t *teaching_in(const teaching_t *t, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (t[i].id == id)
            return &t[i];
    return NULL;
}

typedef struct demo {
    store_tx_t *tx;
    arena_t *arena;
    rng_t rng;
    date_t today;
    int64_t lea, lea_class;
    int64_t lea_parent;
    int64_t last_lea_absence; /* the one left unjustified */
} demo_t;

static int64_t a_parent_of(demo_t *d, int64_t pupil)
{
    int64_t id = 0;
    store_int(STORE_TX(d->tx), "SELECT parent_id FROM parent_links WHERE child_id = ? ORDER BY parent_id LIMIT 1",
              STORE_ARGS(SA_INT(pupil)), &id);
    return id;
}

static int set_status(demo_t *d, int64_t roll_call, int64_t pupil, date_t on, int64_t when)
{
    int r = pick(&d->rng, 10);
    if (r < 4)
        return STORE_OK; /* unjustified */
    /* Older justifications have been reviewed; the last days' still wait. */
    bool recent = date_compare(on, date_add_days(d->today, -3)) >= 0;
    int64_t parent = a_parent_of(d, pupil);
    if (!parent)
        return STORE_OK;
    return store_tx_exec(d->tx,
                         "UPDATE absences SET status = ?, reason = ?, justified_by = ?, justified_at = ? "
                         "WHERE roll_call_id = ? AND pupil_id = ?",
                         STORE_ARGS(SA_CSTR(recent && r >= 7 ? "pending" : "justified"),
                                    SA_CSTR(reasons[pick(&d->rng, (int)(sizeof reasons / sizeof reasons[0]))]),
                                    SA_INT(parent), SA_INT(when + 6 * 3600), SA_INT(roll_call), SA_INT(pupil)));
}

static int one_lesson_in(demo_t *d, arena_t *a, const teaching_t *t, const timetable_entry_t *e, bool lea_absent)
{
    person_t *roster;
    int n = attendance_roster(STORE_TX(d->tx), a, t, e->on, &roster);
    if (n <= 0)
        return n;
    roll_call_line_t *lines = arena_alloc(a, sizeof *lines * (size_t)n);
    int nl = 0;
    for (int i = 0; i < n; i++) {
        if (roster[i].id == d->lea) {
            if (lea_absent)
                lines[nl++] = (roll_call_line_t){.pupil_id = d->lea, .mark = MARK_ABSENT};
            continue;
        }
        int r = pick(&d->rng, 1000);
        if (r < 15)
            lines[nl++] = (roll_call_line_t){.pupil_id = roster[i].id, .mark = MARK_ABSENT};
        else if (r < 27)
            lines[nl++] = (roll_call_line_t){.pupil_id = roster[i].id, .mark = MARK_LATE,
                                             .minutes_late = 2 + pick(&d->rng, 19)};
    }
    int64_t taken = date_local_instant(e->on, e->starts_min + 4 + pick(&d->rng, 6));
    roll_call_input_t in = {.teaching = *t, .slot_id = e->slot_id, .on = e->on, .starts_min = e->starts_min,
                            .ends_min = e->ends_min, .lines = lines, .nlines = nl, .taken_by = t->teacher_id,
                            .now = taken, .today = d->today};
    int64_t id;
    attendance_problem_t problem;
    int rc = attendance_roll_call_save(d->tx, &in, &id, &problem);
    if (rc != STORE_OK)
        return rc;
    for (int i = 0; i < nl; i++)
        if (lines[i].pupil_id != d->lea && (rc = set_status(d, id, lines[i].pupil_id, e->on, taken)) != STORE_OK)
            return rc;
    if (lea_absent &&
        (rc = store_int(STORE_TX(d->tx), "SELECT id FROM absences WHERE roll_call_id = ? AND pupil_id = ?",
                        STORE_ARGS(SA_INT(id), SA_INT(d->lea)), &d->last_lea_absence)) < 0)
        return rc;
    return STORE_OK;
}

/* A fortnight of a school is over a thousand lessons: each gets its own arena. */
static int one_lesson(demo_t *d, const teaching_t *t, const timetable_entry_t *e, bool lea_absent)
{
    arena_t a;
    arena_init(&a, NULL);
    int rc = one_lesson_in(d, &a, t, e, lea_absent);
    arena_free(&a);
    return rc;
}

/* A justified lateness for Léa a week earlier, so her page shows both kinds. */
static int lea_history(demo_t *d, const teaching_t *t, const timetable_entry_t *e)
{
    int64_t rid = 0;
    char day[11];
    date_format_iso(e->on, day);
    int rc = store_int(STORE_TX(d->tx), "SELECT id FROM roll_calls WHERE teaching_id = ? AND on_date = ? AND starts_min = ?",
                       STORE_ARGS(SA_INT(t->id), SA_CSTR(day), SA_INT(e->starts_min)), &rid);
    if (rc != 1)
        return rc < 0 ? rc : STORE_OK;
    int64_t at = date_local_instant(e->on, e->starts_min);
    return store_tx_exec(d->tx,
                         "INSERT INTO absences (school_id, pupil_id, roll_call_id, on_date, starts_min, ends_min, kind, "
                         "minutes_late, status, reason, recorded_by, recorded_at, justified_by, justified_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, 'late', 10, 'justified', ?, ?, ?, ?, ?) "
                         "ON CONFLICT (roll_call_id, pupil_id) DO NOTHING",
                         STORE_ARGS(SA_INT(t->school_id), SA_INT(d->lea), SA_INT(rid), SA_CSTR(day),
                                    SA_INT(e->starts_min), SA_INT(e->ends_min),
                                    SA_CSTR("Retard du bus de la ligne 4."), SA_INT(t->teacher_id), SA_INT(at),
                                    SA_INT(d->lea_parent), SA_INT(at + 3 * 3600)));
}

static int run(demo_t *d, int64_t school_id)
{
    teaching_t *t;
    int nt = store_list(STORE_TX(d->tx), d->arena,
                        "SELECT t.id, t.teacher_id, t.subject_id, COALESCE(t.class_id, 0), COALESCE(t.group_id, 0), "
                        "s.name, COALESCE(c.name, g.name, ''), s.school_id FROM teaching t "
                        "JOIN subjects s ON s.id = t.subject_id LEFT JOIN classes c ON c.id = t.class_id "
                        "LEFT JOIN teaching_groups g ON g.id = t.group_id "
                        "WHERE s.school_id = ? AND EXISTS (SELECT 1 FROM timetable_slots x WHERE x.teaching_id = t.id) "
                        "ORDER BY t.id",
                        STORE_ARGS(SA_INT(school_id)), sizeof *t, fill_teaching, (void **)&t);
    if (nt < 0)
        return nt;
    store_int(STORE_TX(d->tx), "SELECT id FROM people WHERE login = 'demo.eleve'", STORE_NO_ARGS, &d->lea);
    store_int(STORE_TX(d->tx), "SELECT id FROM people WHERE login = 'demo.parent'", STORE_NO_ARGS, &d->lea_parent);
    class_info_t lc;
    if (d->lea && pupil_class(STORE_TX(d->tx), d->arena, d->lea, d->today, &lc) == 1)
        d->lea_class = lc.id;

    date_t from = date_add_days(d->today, -DEMO_DAYS);
    timetable_entry_t *lessons = NULL;
    int nlessons = 0;
    for (int k = 0; k < nt; k += CHUNK) {
        timetable_entry_t *e;
        int ne = timetable_range(STORE_TX(d->tx), d->arena, school_id, t + k, nt - k < CHUNK ? nt - k : CHUNK, from,
                                 DEMO_DAYS, &e);
        if (ne < 0)
            return ne;
        timetable_entry_t *grown = arena_alloc(d->arena, sizeof *grown * (size_t)(nlessons + ne + 1));
        if (nlessons)
            memcpy(grown, lessons, sizeof *grown * (size_t)nlessons);
        if (ne)
            memcpy(grown + nlessons, e, sizeof *e * (size_t)ne);
        lessons = grown;
        nlessons += ne;
    }
    /* Léa's last lesson of the fortnight: the absence left to justify. */
    int lea_last = -1, lea_earlier = -1;
    for (int i = 0; i < nlessons; i++) {
        if (lessons[i].status == LESSON_CANCELLED || lessons[i].status == LESSON_TEACHER_ABSENT)
            continue;
        if (!d->lea_class || lessons[i].class_id != d->lea_class)
            continue;
        const timetable_entry_t *best = lea_last >= 0 ? &lessons[lea_last] : NULL;
        if (!best || date_compare(lessons[i].on, best->on) > 0 ||
            (date_compare(lessons[i].on, best->on) == 0 && lessons[i].starts_min > best->starts_min))
            lea_last = i;
    }
    for (int i = 0; i < nlessons && lea_last >= 0; i++)
        if (lessons[i].class_id == d->lea_class && lessons[i].status != LESSON_CANCELLED &&
            lessons[i].status != LESSON_TEACHER_ABSENT &&
            date_compare(lessons[i].on, date_add_days(lessons[lea_last].on, -6)) <= 0) {
            lea_earlier = i;
            break;
        }
    for (int i = 0; i < nlessons; i++) {
        if (lessons[i].status == LESSON_CANCELLED || lessons[i].status == LESSON_TEACHER_ABSENT)
            continue;
        const teaching_t *te = teaching_in(t, nt, lessons[i].teaching_id);
        if (!te)
            continue;
        int rc = one_lesson(d, te, &lessons[i], i == lea_last);
        if (rc != STORE_OK)
            return rc;
        if (i == lea_earlier && (rc = lea_history(d, te, &lessons[i])) != STORE_OK)
            return rc;
    }
    if (lea_last >= 0 || !d->lea_class || !d->lea)
        return STORE_OK;
    /* No timetable in the last two weeks (holidays, a new year): one roll call
     * yesterday morning in one of her class's subjects still gives her the absence. */
    teaching_t *ct;
    int nct = teaching_of_class(STORE_TX(d->tx), d->arena, d->lea_class, &ct);
    if (nct <= 0)
        return nct;
    timetable_entry_t e = {.on = date_add_days(d->today, -1), .starts_min = 8 * 60 + 30, .ends_min = 9 * 60 + 25};
    return one_lesson(d, &ct[0], &e, true);
}

int demo_attendance(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed)
{
    arena_t arena;
    arena_init(&arena, NULL);
    demo_t d = {.tx = tx, .arena = &arena, .rng = {seed ? seed : 1}, .today = today};
    int rc = run(&d, school_id);
    arena_free(&arena);
    return rc;
}
