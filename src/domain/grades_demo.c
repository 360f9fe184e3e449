/* The demo school's marks: for every teaching, 3 to 5 evaluations spread over the
 * weeks before today in the current term and 2 in the previous term, each with a
 * mark for every pupil. A pupil has a level of their own (so their averages look
 * like a real pupil's, around 12/20) plus some luck per evaluation; a few are
 * absent, exempt or did not hand in. */
#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "domain/grades.h"

#define DEMO_WINDOW_DAYS 56

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

static double uniform(rng_t *r)
{
    return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* About N(0, 1): a sum of four uniforms (Irwin-Hall), enough for a demo. */
static double gauss(rng_t *r)
{
    return (uniform(r) + uniform(r) + uniform(r) + uniform(r) - 2.0) * 1.7320508;
}

static const char *const generic_titles[] = {
    "Interrogation écrite", "Contrôle de connaissances", "Devoir maison", "Évaluation de fin de chapitre",
    "Exposé oral", "Contrôle commun", "Travail en groupe", "Questions de cours",
};

typedef struct subject_titles {
    const char *code;
    const char *titles[4];
} subject_titles_t;

static const subject_titles_t subject_titles[] = {
    {"MATHS", {"Fractions et nombres décimaux", "Calcul littéral", "Géométrie : les triangles", "Proportionnalité"}},
    {"FRANC", {"Dictée", "Rédaction : le récit d'aventure", "Lecture suivie", "Grammaire : les propositions"}},
    {"HIGEO", {"Le monde médiéval", "Croquis : les espaces urbains", "Étude de document", "Repères chronologiques"}},
    {"ANGL", {"Compréhension orale", "Vocabulary test", "Expression écrite", "Irregular verbs"}},
    {"ESPA", {"Comprensión escrita", "Vocabulario", "Expresión oral", "Los verbos irregulares"}},
    {"SVT", {"La respiration", "Compte rendu de TP", "Les écosystèmes", "Schéma légendé"}},
    {"PHYCH", {"Les états de la matière", "Compte rendu d'expérience", "Circuits électriques", "Mélanges"}},
    {"TECHN", {"Projet : maquette", "Les objets techniques", "Algorithmique", "Dossier de conception"}},
    {"ARTPL", {"Production plastique", "Carnet de croquis", "Histoire des arts", "Projet collectif"}},
    {"EDMUS", {"Chant", "Écoute comparée", "Pratique rythmique", "Histoire des arts"}},
    {"EPS", {"Course de demi-fond", "Badminton", "Acrosport", "Natation"}},
};

static const char *const comments[] = {
    "Très bon travail.", "Des progrès, continue.", "Attention à la rédaction.", "Travail sérieux.",
    "Revoir la leçon.", "Excellent !", "Peut mieux faire.", "Bonne participation.",
};

static const char *title_for(rng_t *r, str_t code)
{
    for (size_t i = 0; i < sizeof subject_titles / sizeof subject_titles[0]; i++)
        if (str_eq_cstr(code, subject_titles[i].code) && pick(r, 3) > 0)
            return subject_titles[i].titles[pick(r, 4)];
    return generic_titles[pick(r, (int)(sizeof generic_titles / sizeof generic_titles[0]))];
}

/* A pupil's level, the same in every subject: a hash of the seed and the pupil. */
static double level_of(uint64_t seed, int64_t pupil)
{
    rng_t r = {seed ^ ((uint64_t)pupil * 0x2545F4914F6CDD1DULL)};
    return 12.3 + 2.6 * gauss(&r);
}

static date_t weekday_on_or_before(date_t d)
{
    int wd = date_weekday(d);
    return wd >= 6 ? date_add_days(d, 5 - wd) : d;
}

typedef struct demo {
    store_tx_t *tx;
    arena_t *arena;
    rng_t rng;
    uint64_t seed;
    date_t today;
} demo_t;

static int one_evaluation(demo_t *d, const teaching_t *t, const person_t *roster, int nr, date_t on, double subject_bias)
{
    int r = pick(&d->rng, 100);
    double scale = r < 78 ? 20 : r < 93 ? 10 : 40;
    r = pick(&d->rng, 100);
    double coefficient = r < 60 ? 1 : r < 85 ? 2 : 0.5;
    evaluation_input_t in = {.title = str_from(title_for(&d->rng, t->subject_code)), .on = on,
                             .coefficient = coefficient, .scale = scale};
    int64_t created = date_local_instant(on, 17 * 60 + pick(&d->rng, 120));
    date_t marked_on = date_add_days(on, 2 + pick(&d->rng, 5));
    if (date_compare(marked_on, d->today) > 0)
        marked_on = d->today;
    int64_t marked = date_local_instant(marked_on, 18 * 60 + pick(&d->rng, 180));
    /* nothing is stamped in the future: a demo made in the morning has today's marks already entered */
    int64_t now = clock_now();
    if (created > now)
        created = now - 2 * 3600;
    if (marked > now) /* marked yesterday evening instead */
        marked = marked - 24 * 3600 < now ? marked - 24 * 3600 : now - 600;
    if (marked < created)
        marked = created;
    int64_t id;
    grades_error_t why;
    int rc = evaluation_save(d->tx, t, 0, &in, t->teacher_id, created, &id, &why);
    if (rc != STORE_OK)
        return rc;
    double difficulty = gauss(&d->rng) * 1.0;
    mark_input_t *marks = arena_alloc(d->arena, sizeof *marks * (size_t)nr);
    for (int i = 0; i < nr; i++) {
        mark_input_t *m = &marks[i];
        *m = (mark_input_t){.pupil_id = roster[i].id, .comment = STR("")};
        int s = pick(&d->rng, 1000);
        if (s < 35) {
            m->status = GRADE_ABSENT;
        } else if (s < 50) {
            m->status = GRADE_EXEMPT;
        } else if (s < 65) {
            m->status = GRADE_NOT_HANDED_IN;
        } else {
            double on20 = level_of(d->seed, roster[i].id) + subject_bias + difficulty + 1.8 * gauss(&d->rng);
            if (on20 < 0)
                on20 = 0;
            if (on20 > 20)
                on20 = 20;
            double v = round(on20 / 20.0 * scale * 2.0) / 2.0; /* half points, as teachers give them */
            m->status = GRADE_MARK;
            m->has_value = true;
            m->value = v > scale ? scale : v;
            if (pick(&d->rng, 10) == 0)
                m->comment = str_from(comments[pick(&d->rng, (int)(sizeof comments / sizeof comments[0]))]);
        }
    }
    int bad;
    return marks_set(d->tx, t, id, marks, nr, d->today, marked, &bad, &why);
}

/* n evaluations spread evenly over [from, to], on weekdays. */
static int spread(demo_t *d, const teaching_t *t, const person_t *roster, int nr, date_t from, date_t to, int n,
                  double bias)
{
    int64_t span = date_day_number(to) - date_day_number(from);
    if (span < 0)
        return STORE_OK;
    for (int i = 0; i < n; i++) {
        int64_t at = span * (i + 1) / (n + 1) + pick(&d->rng, 3) - 1;
        if (at < 0)
            at = 0;
        if (at > span)
            at = span;
        date_t on = weekday_on_or_before(date_add_days(from, (int)at));
        if (date_compare(on, from) < 0)
            on = date_add_days(from, (int)at);
        int rc = one_evaluation(d, t, roster, nr, on, bias);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

int demo_grades(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed)
{
    arena_t arena;
    arena_init(&arena, NULL);
    demo_t d = {.tx = tx, .arena = &arena, .rng = {seed ^ 0x67726164ULL}, .seed = seed, .today = today};
    int rc;
    school_year_t year;
    term_t *terms;
    int nterms;
    if ((rc = school_year_for(STORE_TX(tx), &arena, school_id, today, &year)) != 1 ||
        (nterms = grades_terms(STORE_TX(tx), &arena, school_id, today, &terms)) < 0) {
        rc = rc < 0 ? rc : STORE_ERROR;
        goto out;
    }
    int k = grades_term_index(terms, nterms, today);
    date_t from = date_add_days(today, -DEMO_WINDOW_DAYS);
    if (date_compare(from, terms[k].starts) < 0)
        from = terms[k].starts;
    /* marks up to yesterday; on a term's first day, today's (a new term is never empty in the demo) */
    date_t to = date_add_days(today, -1);
    if (date_compare(to, from) < 0)
        to = from;
    int64_t *ids;
    int nt = store_list(STORE_TX(tx), &arena,
                        "SELECT t.id FROM teaching t JOIN subjects s ON s.id = t.subject_id "
                        "LEFT JOIN classes c ON c.id = t.class_id LEFT JOIN teaching_groups g ON g.id = t.group_id "
                        "WHERE s.school_id = ? AND COALESCE(c.year_id, g.year_id) = ? ORDER BY t.id",
                        STORE_ARGS(SA_INT(school_id), SA_INT(year.id)), sizeof *ids, fill_id, (void **)&ids);
    if (nt < 0) {
        rc = nt;
        goto out;
    }
    for (int i = 0; i < nt; i++) {
        teaching_t t;
        if ((rc = teaching_get(STORE_TX(tx), &arena, ids[i], &t)) != 1) {
            rc = rc < 0 ? rc : STORE_ERROR;
            goto out;
        }
        person_t *roster;
        int nr = grades_roster(STORE_TX(tx), &arena, &t, today, today, &roster);
        if (nr < 0) {
            rc = nr;
            goto out;
        }
        if (nr == 0)
            continue;
        double bias = gauss(&d.rng) * 0.8;
        if (k > 0 && (rc = spread(&d, &t, roster, nr, terms[k - 1].starts, terms[k - 1].ends, 2, bias)) != STORE_OK)
            goto out;
        if ((rc = spread(&d, &t, roster, nr, from, to, 3 + pick(&d.rng, 3), bias)) != STORE_OK)
            goto out;
    }
    rc = STORE_OK;
out:
    arena_free(&arena);
    return rc;
}
