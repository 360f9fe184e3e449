/* The demo school's school day: a timetable for every class (with A/B weeks and
 * option groups), the year's holidays, terms, a few changes around today, and
 * three weeks of cahier de textes; then each module's own demo data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/demo_day.h"
#include "domain/attendance.h"
#include "domain/directory.h"
#include "domain/grades.h"
#include "domain/homework.h"
#include "domain/news.h"
#include "domain/messages.h"
#include "domain/timetable.h"

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

/* The week's grid: Monday, Tuesday, Thursday, Friday all day, Wednesday morning. */
typedef struct cell {
    int weekday, starts, ends;
} cell_t;

static const int day_starts[] = {8 * 60 + 30, 9 * 60 + 30, 10 * 60 + 40, 11 * 60 + 40, 14 * 60, 15 * 60, 16 * 60 + 5};
#define CELLS_PER_DAY 7
#define NCELLS (4 * CELLS_PER_DAY + 4)

static cell_t cell_at(int i)
{
    static const int days[] = {1, 2, 4, 5};
    if (i < 4 * CELLS_PER_DAY)
        return (cell_t){days[i / CELLS_PER_DAY], day_starts[i % CELLS_PER_DAY], day_starts[i % CELLS_PER_DAY] + 55};
    int k = i - 4 * CELLS_PER_DAY;
    return (cell_t){3, day_starts[k], day_starts[k] + 55};
}

/* Weekly hours of a subject in collège: whole hours every week, plus one hour on
 * A weeks or B weeks for the subjects taught 1.5 hours. */
typedef struct hours {
    const char *code;
    int weekly;
    char alternate; /* 0, 'A' or 'B' */
    const char *room;
} hours_t;

static const hours_t hours[] = {
    {"FRANC", 4, 0, NULL},  {"MATHS", 4, 0, NULL},     {"HIGEO", 3, 0, NULL},           {"ANGL", 3, 0, NULL},
    {"SVT", 1, 'A', "Labo SVT"}, {"PHYCH", 1, 'B', "Labo physique"}, {"TECHN", 1, 'B', "Salle techno"},
    {"ARTPL", 1, 0, "Salle d'arts"}, {"EDMUS", 1, 0, "Salle de musique"}, {"EPS", 3, 0, "Gymnase"},
    {"ESPA", 2, 0, NULL},
};

static const hours_t *hours_of(str_t code)
{
    for (size_t i = 0; i < sizeof hours / sizeof hours[0]; i++)
        if (str_eq_cstr(code, hours[i].code))
            return &hours[i];
    return NULL;
}

/* Who is busy when: bit i for week A, bit 32 + i for week B. */
typedef struct busy {
    int64_t id;
    uint64_t mask;
} busy_t;

typedef struct busy_map {
    busy_t *items;
    int n, cap;
} busy_map_t;

static uint64_t *busy_of(busy_map_t *m, int64_t id)
{
    for (int i = 0; i < m->n; i++)
        if (m->items[i].id == id)
            return &m->items[i].mask;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        busy_t *grown = realloc(m->items, sizeof *grown * (size_t)m->cap);
        if (!grown)
            return NULL;
        m->items = grown;
    }
    m->items[m->n] = (busy_t){id, 0};
    return &m->items[m->n++].mask;
}

static uint64_t bits_for(int cell, char weeks)
{
    uint64_t a = 1ULL << cell, b = 1ULL << (32 + cell);
    return weeks == 'A' ? a : weeks == 'B' ? b : a | b;
}

typedef struct day_ctx {
    store_tx_t *tx;
    arena_t *arena;
    rng_t rng;
    int64_t school_id;
    date_t year_from, year_to, today;
    busy_map_t teachers;
    int64_t author; /* demo.prof writes the demo changes */
} day_ctx_t;

/* days_used: a bit per weekday where this teaching already meets the class; a
 * subject comes back on another day, as timetables do. */
static int place(day_ctx_t *c, const teaching_t *t, uint64_t *class_busy, unsigned *days_used, char weeks,
                 const char *room, int64_t *slot)
{
    uint64_t *tb = busy_of(&c->teachers, t->teacher_id);
    if (!tb)
        return STORE_ERROR;
    int start = pick(&c->rng, NCELLS);
    for (int k = 0; k < NCELLS; k++) {
        int cell = (start + k) % NCELLS;
        uint64_t bits = bits_for(cell, weeks);
        cell_t at = cell_at(cell);
        if ((*class_busy & bits) || (*tb & bits) || (*days_used & (1u << at.weekday)))
            continue;
        timetable_slot_t s = {.weekday = at.weekday, .starts_min = at.starts, .ends_min = at.ends, .weeks = weeks,
                              .room = str_from(room), .valid_from = c->year_from, .valid_to = c->year_to};
        char err[128];
        int rc = timetable_slot_add(c->tx, t, &s, slot, err, sizeof err);
        if (rc != STORE_OK)
            return rc;
        *class_busy |= bits;
        *tb |= bits;
        *days_used |= 1u << at.weekday;
        return 1;
    }
    return 0; /* no free hour: the demo leaves it out */
}

static int class_timetable(day_ctx_t *c, const class_info_t *cl, int index)
{
    teaching_t *t;
    int n = teaching_of_class(STORE_TX(c->tx), c->arena, cl->id, &t);
    if (n < 0)
        return n;
    /* Friday 15:00 is kept for the level's option groups (Latin, German). */
    uint64_t busy = bits_for(3 * CELLS_PER_DAY + 5, 0);
    char home[24];
    snprintf(home, sizeof home, "Salle %d", 101 + index);
    for (int i = 0; i < n; i++) {
        const hours_t *h = hours_of(t[i].subject_code);
        if (!h)
            continue;
        const char *room = h->room ? h->room : home;
        int64_t slot;
        unsigned days_used = 0;
        for (int k = 0; k < h->weekly; k++)
            if (place(c, &t[i], &busy, &days_used, 0, room, &slot) < 0)
                return STORE_ERROR;
        if (h->alternate && place(c, &t[i], &busy, &days_used, h->alternate, room, &slot) < 0)
            return STORE_ERROR;
    }
    return STORE_OK;
}

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

/* Option groups (Latin, German) meet in the cell kept free for them, Friday 15:00,
 * and one more hour on Thursday at 16:05 (a level's classes have no lesson then
 * only if the greedy placement left it free: a clash is skipped). */
static int group_timetable(day_ctx_t *c)
{
    int64_t *ids;
    int n = store_list(STORE_TX(c->tx), c->arena,
                       "SELECT t.id FROM teaching t JOIN subjects s ON s.id = t.subject_id "
                       "WHERE s.school_id = ? AND t.group_id IS NOT NULL ORDER BY t.id",
                       STORE_ARGS(SA_INT(c->school_id)), sizeof *ids, fill_id, (void **)&ids);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        teaching_t t;
        if (teaching_get(STORE_TX(c->tx), c->arena, ids[i], &t) != 1)
            return STORE_ERROR;
        cell_t at = cell_at(3 * CELLS_PER_DAY + 5);
        timetable_slot_t s = {.weekday = at.weekday, .starts_min = at.starts, .ends_min = at.ends,
                              .room = STR("CDI"), .valid_from = c->year_from, .valid_to = c->year_to};
        /* Two option groups of a level at the same time need two rooms. */
        if (i % 2)
            s.room = STR("Salle 201");
        char err[128];
        if (timetable_slot_add(c->tx, &t, &s, NULL, err, sizeof err) != STORE_OK)
            return STORE_ERROR;
    }
    return STORE_OK;
}

/* The French school holidays, placed the usual way for any year: Toussaint
 * around 1 November, Christmas, winter in February, spring in April. */
static int add_holidays(day_ctx_t *c)
{
    int y = c->year_from.year;
    struct {
        const char *label;
        date_t from;
        int days;
    } h[] = {
        {"Vacances de la Toussaint", date_monday((date_t){y, 10, 24}), 14},
        {"Vacances de Noël", date_monday((date_t){y, 12, 22}), 14},
        {"Vacances d'hiver", date_monday((date_t){y + 1, 2, 14}), 14},
        {"Vacances de printemps", date_monday((date_t){y + 1, 4, 14}), 14},
    };
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        /* from the Saturday before to the Sunday two weeks later */
        date_t from = date_add_days(h[i].from, -2), to = date_add_days(h[i].from, h[i].days - 1);
        char err[128];
        if (timetable_holiday_add(c->tx, c->school_id, str_from(h[i].label), from, to, NULL, err, sizeof err) !=
            STORE_OK)
            return STORE_ERROR;
    }
    return STORE_OK;
}

/* What a lesson of each subject was about, and the homework that followed. */
typedef struct topic {
    const char *code;
    const char *lessons[4];
    const char *homework[4];
} topic_t;

static const topic_t topics[] = {
    {"MATHS",
     {"Fractions : comparer et additionner", "Proportionnalité : tableaux et produit en croix",
      "Géométrie : triangles et inégalité triangulaire", "Nombres relatifs : addition et soustraction"},
     {"Exercices 12, 13 et 15 page 48", "Apprendre la propriété du cours et refaire l'exemple 2",
      "Construire les trois triangles de la fiche", "Exercices 3 à 6 page 61"}},
    {"FRANC",
     {"Lecture : le conte merveilleux", "Grammaire : les compléments circonstanciels", "Orthographe : l'accord du participe passé",
      "Expression écrite : écrire la suite d'un récit"},
     {"Lire le chapitre 3 du livre", "Exercices 2 et 4 page 112", "Dictée à préparer : liste de mots n°5",
      "Rédiger la suite du récit (15 lignes)"}},
    {"HIGEO",
     {"L'Empire romain dans le monde antique", "Habiter une métropole", "Les débuts du christianisme",
      "EMC : la laïcité à l'école"},
     {"Apprendre la leçon et les dates", "Compléter la carte de la fiche", "Répondre aux questions du document 2",
      "Préparer l'exposé en groupe"}},
    {"ANGL",
     {"Unit 3: daily routines", "Present simple vs present continuous", "Describing a picture", "Irregular verbs"},
     {"Learn the vocabulary page 34", "Workbook exercises 1 to 3", "Write 8 sentences about your routine",
      "Learn the first 20 irregular verbs"}},
    {"SVT",
     {"La respiration chez les êtres vivants", "Le rôle des micro-organismes", "Les roches et les paysages",
      "Observation au microscope"},
     {"Apprendre le schéma-bilan", "Faire l'activité 2 du manuel", "Compléter le compte rendu de l'observation",
      "Réviser pour l'évaluation"}},
    {"PHYCH",
     {"Les états de la matière", "Mélanges et corps purs", "Le circuit électrique simple", "Masse et volume"},
     {"Apprendre le vocabulaire du chapitre", "Exercices 5 et 7 page 40", "Schématiser le circuit de la fiche",
      "Relire le protocole de l'expérience"}},
};

static const topic_t *topic_of(str_t code)
{
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        if (str_eq_cstr(code, topics[i].code))
            return &topics[i];
    return NULL;
}

/* Three weeks of cahier de textes before today and the homework due up to a week
 * after, for the subjects that have topics. */
static int class_notebook(day_ctx_t *c, const class_info_t *cl)
{
    teaching_t *t;
    int nt = teaching_of_class(STORE_TX(c->tx), c->arena, cl->id, &t);
    if (nt < 0)
        return nt;
    date_t from = date_add_days(c->today, -21);
    timetable_entry_t *e;
    int n = timetable_range(STORE_TX(c->tx), c->arena, c->school_id, t, nt, from, 35, &e);
    if (n < 0)
        return n;
    int64_t published = date_local_instant(from, 0);
    for (int i = 0; i < n; i++) {
        if (date_compare(e[i].on, c->today) > 0)
            break;
        const teaching_t *te = NULL;
        for (int k = 0; k < nt; k++)
            if (t[k].id == e[i].teaching_id)
                te = &t[k];
        const topic_t *tp = te ? topic_of(te->subject_code) : NULL;
        if (!tp || e[i].status == LESSON_CANCELLED || e[i].status == LESSON_TEACHER_ABSENT)
            continue;
        int which = pick(&c->rng, 4);
        lesson_input_t li = {.on = e[i].on, .title = str_from(tp->lessons[which]),
                             .content = STR("Cours, exemples au tableau et exercices d'application en classe."),
                             .publish = true, .publish_at = published};
        int64_t lesson_id;
        char err[160];
        int rc = lesson_save(c->tx, te, 0, &li, te->teacher_id, &lesson_id, err, sizeof err);
        if (rc != STORE_OK)
            return STORE_ERROR;
        /* homework due at the next lesson of the same teaching */
        date_t due = {0};
        for (int k = i + 1; k < n; k++)
            if (e[k].teaching_id == e[i].teaching_id && date_compare(e[k].on, e[i].on) > 0) {
                due = e[k].on;
                break;
            }
        if (!date_valid(due) || pick(&c->rng, 3) == 0)
            continue;
        homework_input_t hi = {.given_on = e[i].on, .due_on = due, .due_min = e[i].starts_min,
                               .title = str_from(tp->homework[which]), .minutes = 15 + 5 * pick(&c->rng, 6),
                               .hand_in = which == 3 && str_eq_cstr(te->subject_code, "FRANC"),
                               .publish = true, .publish_at = published, .lesson_id = lesson_id};
        if (str_eq_cstr(te->subject_code, "MATHS") && which == 0)
            hi.hand_in = true;
        if (hi.hand_in)
            hi.instructions = STR("À rendre en ligne : un texte ou une photo de votre travail (PDF ou image).");
        if (homework_save(c->tx, te, 0, &hi, te->teacher_id, NULL, err, sizeof err) != STORE_OK)
            return STORE_ERROR;
    }
    return STORE_OK;
}

/* Changes around today for 5e B, so the demo shows each kind. */
static int demo_changes(day_ctx_t *c, const class_info_t *cl)
{
    teaching_t *t;
    int nt = teaching_of_class(STORE_TX(c->tx), c->arena, cl->id, &t);
    if (nt < 0)
        return nt;
    timetable_entry_t *e;
    int n = timetable_range(STORE_TX(c->tx), c->arena, c->school_id, t, nt, c->today, 7, &e);
    if (n < 0)
        return n;
    int made = 0;
    for (int i = 0; i < n && made < 3; i++) {
        const teaching_t *te = NULL;
        for (int k = 0; k < nt; k++)
            if (t[k].id == e[i].teaching_id)
                te = &t[k];
        if (!te || str_eq_cstr(te->subject_code, "MATHS"))
            continue;
        timetable_change_t ch = {.slot_id = e[i].slot_id, .on = e[i].on};
        if (made == 0) {
            ch.kind = LESSON_TEACHER_ABSENT;
            ch.note = STR("Étude surveillée en salle 12");
        } else if (made == 1) {
            ch.kind = LESSON_ROOM_CHANGED;
            ch.room = STR("Salle 214");
        } else {
            ch.kind = LESSON_CANCELLED;
            ch.note = STR("Sortie au musée pour les 5e");
        }
        char err[160];
        if (timetable_change_add(c->tx, te, &ch, te->teacher_id, NULL, err, sizeof err) != STORE_OK)
            return STORE_ERROR;
        made++;
    }
    return STORE_OK;
}

int demo_school_day(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed)
{
    arena_t arena;
    arena_init(&arena, NULL);
    day_ctx_t c = {.tx = tx, .arena = &arena, .rng = {seed}, .school_id = school_id, .today = today};
    int rc;
    school_year_t year;
    if ((rc = school_year_for(STORE_TX(tx), &arena, school_id, today, &year)) != 1 ||
        !date_parse_iso(year.starts_on, &c.year_from) || !date_parse_iso(year.ends_on, &c.year_to)) {
        rc = STORE_ERROR;
        goto out;
    }
    class_info_t *classes;
    int nc = classes_of_school(STORE_TX(tx), &arena, school_id, year.id, today, &classes);
    if (nc < 0) {
        rc = nc;
        goto out;
    }
    if ((rc = add_holidays(&c)) != STORE_OK)
        goto out;
    for (int i = 0; i < nc; i++)
        if ((rc = class_timetable(&c, &classes[i], i)) != STORE_OK)
            goto out;
    if ((rc = group_timetable(&c)) != STORE_OK)
        goto out;
    for (int i = 0; i < nc; i++) {
        if (str_eq_cstr(classes[i].code, "5B") && (rc = demo_changes(&c, &classes[i])) != STORE_OK)
            goto out;
        if ((rc = class_notebook(&c, &classes[i])) != STORE_OK)
            goto out;
    }
    if ((rc = demo_grades(tx, school_id, today, seed ^ 0x6a7d)) != STORE_OK)
        goto out;
    if ((rc = demo_attendance(tx, school_id, today, seed ^ 0xa77e)) != STORE_OK)
        goto out;
    if ((rc = demo_news(tx, school_id, today, seed ^ 0x4e35)) != STORE_OK)
        goto out;
    if ((rc = demo_messages(tx, school_id, today)) != STORE_OK)
        goto out;
    rc = STORE_OK;
out:
    free(c.teachers.items);
    arena_free(&arena);
    return rc;
}
