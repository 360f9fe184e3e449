#include "domain/demo.h"
#include "domain/demo_day.h"

#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/directory.h"
#include "domain/people.h"
#include "domain/school.h"

/* ---- deterministic randomness ---- */

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t next(rng_t *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static int pick(rng_t *r, int n)
{
    return (int)(next(r) % (uint64_t)n);
}

static bool chance(rng_t *r, int percent)
{
    return pick(r, 100) < percent;
}

static const char *const girls[] = {
    "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Mila", "Inès", "Ambre", "Julia",
    "Mia", "Léna", "Manon", "Juliette", "Lou", "Zoé", "Camille", "Agathe", "Sarah", "Romane", "Lucie", "Éva",
    "Nina", "Jeanne", "Clara", "Margaux", "Yasmine", "Maëlys", "Salomé", "Noémie", "Adèle", "Capucine", "Maya",
    "Aïcha", "Fatou", "Elif", "Sofia"};
static const char *const boys[] = {
    "Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël", "Lucas", "Hugo", "Noah", "Liam",
    "Gabin", "Sacha", "Paul", "Nathan", "Aaron", "Mohamed", "Ethan", "Tom", "Éden", "Léon", "Noé", "Tiago",
    "Théo", "Isaac", "Marius", "Victor", "Ayden", "Martin", "Naël", "Mathis", "Axel", "Robin", "Timéo", "Enzo",
    "Yanis", "Karim", "Mamadou", "Baptiste"};
static const char *const surnames[] = {
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet",
    "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André", "Mercier",
    "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin",
    "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard",
    "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard",
    "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre",
    "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît",
    "Rey", "Leclerc", "Payet", "Rolland", "Le Gall", "Nguyen", "Diallo", "Traoré", "Benali", "Haddad", "Kaya",
    "Da Silva", "Ferreira", "N'Diaye", "Le Goff"};
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct subject_spec {
    const char *code, *name;
    int classes_per_teacher;
    int from_level; /* 0: 6e, 1: 5e... */
} subject_spec_t;

static const subject_spec_t subjects[] = {
    {"FRANC", "Français", 4, 0},
    {"MATHS", "Mathématiques", 4, 0},
    {"HIGEO", "Histoire-géographie et EMC", 4, 0},
    {"ANGL", "Anglais", 5, 0},
    {"SVT", "Sciences de la vie et de la Terre", 6, 0},
    {"PHYCH", "Physique-chimie", 6, 1},
    {"TECHN", "Technologie", 8, 0},
    {"ARTPL", "Arts plastiques", 12, 0},
    {"EDMUS", "Éducation musicale", 12, 0},
    {"EPS", "Éducation physique et sportive", 6, 0},
    {"ESPA", "Espagnol", 6, 1},
};
static const char *const levels[] = {"6e", "5e", "4e", "3e"};

typedef struct builder {
    store_tx_t *tx;
    arena_t *arena;
    rng_t rng;
    int64_t school_id;
    int64_t year_id;
    date_t start;
    const school_spec_t *spec;
    build_stats_t *stats;
} builder_t;

static int add_person(builder_t *b, const char *login, const char *first, const char *last, role_t role,
                      const char *birth, bool activated, int64_t *id)
{
    person_t p = {.first_name = str_from(first), .last_name = str_from(last), .email = STR(""),
                  .birth_date = birth ? str_from(birth) : STR("")};
    int rc;
    if (login) {
        p.login = str_from(login);
    } else if ((rc = login_unique(b->tx, b->arena, p.first_name, p.last_name, &p.login)) != STORE_OK) {
        return rc;
    }
    if ((rc = person_create(b->tx, &p)) != STORE_OK)
        return rc;
    *id = p.id;
    const char *hash = login ? b->spec->demo_hash : b->spec->password_hash;
    if (activated && hash && (rc = store_tx_exec(b->tx, "UPDATE people SET password_hash = ? WHERE id = ?",
                                                 STORE_ARGS(SA_CSTR(hash), SA_INT(p.id)))) != STORE_OK)
        return rc;
    return membership_add(b->tx, p.id, b->school_id, role);
}

static const char *birth_for_level(builder_t *b, int level)
{
    /* 6e pupils are 11 in the autumn of the school year */
    int year = b->start.year - 11 - level;
    char *out = arena_alloc(b->arena, 11);
    date_format_iso((date_t){year, 1 + pick(&b->rng, 12), 1 + pick(&b->rng, 28)}, out);
    return out;
}

typedef struct family {
    int64_t parents[2];
    int nparents;
    const char *last;
    int level;
} family_t;

static int add_family(builder_t *b, family_t *f, const char *last, int level)
{
    f->last = last;
    f->level = level;
    f->nparents = chance(&b->rng, 80) ? 2 : 1;
    for (int i = 0; i < f->nparents; i++) {
        bool mother = i == 0 ? chance(&b->rng, 60) : !(f->nparents == 2 && chance(&b->rng, 60));
        const char *first = mother ? girls[pick(&b->rng, N(girls))] : boys[pick(&b->rng, N(boys))];
        const char *plast = i == 1 && chance(&b->rng, 30) ? surnames[pick(&b->rng, N(surnames))] : last;
        int rc = add_person(b, NULL, first, plast, ROLE_PARENT, NULL, b->spec->password_hash != NULL, &f->parents[i]);
        if (rc != STORE_OK)
            return rc;
        b->stats->parents++;
    }
    return STORE_OK;
}

static int link_family(builder_t *b, const family_t *f, int64_t child)
{
    for (int i = 0; i < f->nparents; i++) {
        upsert_result_t res;
        int rc = parent_link_set(b->tx, f->parents[i], child, STR("responsable"), true, &res);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

int demo_build_school(store_tx_t *tx, const school_spec_t *spec, uint64_t seed, build_stats_t *stats)
{
    arena_t arena;
    arena_init(&arena, NULL);
    memset(stats, 0, sizeof *stats);
    builder_t b = {.tx = tx, .arena = &arena, .rng = {seed ? seed : 1}, .spec = spec, .stats = stats};
    int rc;
    school_t s = {.uai = str_from(spec->uai), .name = str_from(spec->name), .kind = STR("college"),
                  .city = str_from(spec->city), .timezone = STR("Europe/Paris"), .is_demo = spec->is_demo};
    if ((rc = school_create(tx, &s)) != STORE_OK)
        goto out;
    b.school_id = stats->school_id = s.id;
    date_t today = date_today();
    school_year_t year;
    if ((rc = school_year_ensure(tx, &arena, s.id, today, &year)) != STORE_OK)
        goto out;
    b.year_id = year.id;
    date_parse_iso(year.starts_on, &b.start);

    /* subjects */
    int nsubj = N(subjects);
    int64_t subject_ids[16], latin_id, german_id;
    upsert_result_t res;
    for (int i = 0; i < nsubj; i++)
        if ((rc = subject_upsert(tx, s.id, str_from(subjects[i].code), str_from(subjects[i].name), &subject_ids[i],
                                 &res)) != STORE_OK)
            goto out;
    if ((rc = subject_upsert(tx, s.id, STR("LATIN"), STR("Latin"), &latin_id, &res)) != STORE_OK ||
        (rc = subject_upsert(tx, s.id, STR("ALLEM"), STR("Allemand"), &german_id, &res)) != STORE_OK)
        goto out;

    /* classes */
    int per = spec->classes_per_level;
    int nclasses = 4 * per;
    int64_t *class_ids = ARENA_ARRAY(&arena, int64_t, nclasses);
    for (int l = 0; l < 4; l++) {
        for (int k = 0; k < per; k++) {
            char code[16], name[32];
            snprintf(code, sizeof code, "%c%c", levels[l][0], 'A' + k % 26);
            snprintf(name, sizeof name, "%s %c", levels[l], 'A' + k % 26);
            if ((rc = class_upsert(tx, s.id, year.id, str_from(code), str_from(name), str_from(levels[l]),
                                   &class_ids[l * per + k], &res)) != STORE_OK)
                goto out;
            stats->classes++;
        }
    }
    /* Latin and German groups for 5e, 4e, 3e */
    int64_t latin_groups[4] = {0}, german_groups[4] = {0};
    for (int l = 1; l < 4; l++) {
        char code[16], name[32];
        snprintf(code, sizeof code, "LAT-%c", levels[l][0]);
        snprintf(name, sizeof name, "Latin %s", levels[l]);
        if ((rc = group_upsert(tx, s.id, year.id, str_from(code), str_from(name), &latin_groups[l], &res)) != STORE_OK)
            goto out;
        snprintf(code, sizeof code, "ALL-%c", levels[l][0]);
        snprintf(name, sizeof name, "Allemand %s", levels[l]);
        if ((rc = group_upsert(tx, s.id, year.id, str_from(code), str_from(name), &german_groups[l], &res)) != STORE_OK)
            goto out;
    }

    /* management and staff */
    int64_t id;
    if (spec->demo_accounts) {
        if ((rc = add_person(&b, "demo.admin", "Claire", "Dubois", ROLE_SCHOOL_ADMIN, NULL, true, &id)) != STORE_OK)
            goto out;
    } else if ((rc = add_person(&b, NULL, girls[pick(&b.rng, N(girls))], surnames[pick(&b.rng, N(surnames))],
                                ROLE_SCHOOL_ADMIN, NULL, spec->password_hash != NULL, &id)) != STORE_OK) {
        goto out;
    }
    stats->staff++;
    for (int i = 0; i < 4; i++) {
        role_t role = i == 0 ? ROLE_SCHOOL_ADMIN : ROLE_STAFF; /* the deputy; CPE, librarian, secretary */
        const char *first = chance(&b.rng, 50) ? girls[pick(&b.rng, N(girls))] : boys[pick(&b.rng, N(boys))];
        if ((rc = add_person(&b, NULL, first, surnames[pick(&b.rng, N(surnames))], role, NULL,
                             spec->password_hash != NULL, &id)) != STORE_OK)
            goto out;
        stats->staff++;
    }

    /* teachers: each subject's classes dealt out in turn */
    int64_t first_french = 0, german_teacher = 0;
    for (int si = 0; si < nsubj; si++) {
        const subject_spec_t *sub = &subjects[si];
        int nclass_for = (4 - sub->from_level) * per;
        int nteachers = (nclass_for + sub->classes_per_teacher - 1) / sub->classes_per_teacher;
        int64_t *teachers = ARENA_ARRAY(&arena, int64_t, nteachers);
        for (int t = 0; t < nteachers; t++) {
            bool is_demo_prof = spec->demo_accounts && strcmp(sub->code, "MATHS") == 0 && t == 0;
            const char *first = chance(&b.rng, 60) ? girls[pick(&b.rng, N(girls))] : boys[pick(&b.rng, N(boys))];
            if ((rc = add_person(&b, is_demo_prof ? "demo.prof" : NULL, is_demo_prof ? "Nadia" : first,
                                 is_demo_prof ? "Benali" : surnames[pick(&b.rng, N(surnames))], ROLE_TEACHER, NULL,
                                 spec->password_hash != NULL || is_demo_prof, &teachers[t])) != STORE_OK)
                goto out;
            if (strcmp(sub->code, "FRANC") == 0 && t == 0)
                first_french = teachers[t];
            stats->teachers++;
        }
        /* Deal classes so that the demo teacher has 5e B (level 1, class index 1). */
        int k = 0;
        for (int l = sub->from_level; l < 4; l++) {
            for (int c = 0; c < per; c++, k++) {
                int t = k / sub->classes_per_teacher;
                if (strcmp(sub->code, "MATHS") == 0 && l == 1 && c == 1 % per)
                    t = 0;
                if (t >= nteachers)
                    t = nteachers - 1;
                if ((rc = teaching_set(tx, teachers[t], subject_ids[si], class_ids[l * per + c], 0, &res)) != STORE_OK)
                    goto out;
            }
        }
    }
    if ((rc = add_person(&b, NULL, boys[pick(&b.rng, N(boys))], surnames[pick(&b.rng, N(surnames))], ROLE_TEACHER,
                         NULL, spec->password_hash != NULL, &german_teacher)) != STORE_OK)
        goto out;
    stats->teachers++;
    for (int l = 1; l < 4; l++) {
        if ((rc = teaching_set(tx, first_french, latin_id, 0, latin_groups[l], &res)) != STORE_OK ||
            (rc = teaching_set(tx, german_teacher, german_id, 0, german_groups[l], &res)) != STORE_OK)
            goto out;
    }

    /* pupils and their families */
    int npupils = nclasses * spec->pupils_per_class;
    family_t *families = ARENA_ARRAY(&arena, family_t, npupils + 1);
    int nfamilies = 0;
    family_t demo_family = {0};
    for (int l = 0; l < 4; l++) {
        for (int c = 0; c < per; c++) {
            int64_t class_id = class_ids[l * per + c];
            for (int i = 0; i < spec->pupils_per_class; i++) {
                bool demo_pupil = spec->demo_accounts && l == 1 && c == 1 % per && i == 0;
                bool demo_sibling = spec->demo_accounts && l == 3 && c == 0 && i == 0;
                bool girl = demo_pupil ? true : demo_sibling ? false : chance(&b.rng, 50);
                const char *first = demo_pupil ? "Léa" : demo_sibling ? "Hugo"
                                    : girl ? girls[pick(&b.rng, N(girls))]
                                           : boys[pick(&b.rng, N(boys))];
                family_t *fam;
                if (demo_pupil || demo_sibling) {
                    fam = &demo_family;
                } else if (nfamilies > 0 && chance(&b.rng, 10)) {
                    /* a sibling in another year: the same parents */
                    fam = &families[pick(&b.rng, nfamilies)];
                    if (fam->level == l)
                        fam = NULL;
                } else {
                    fam = NULL;
                }
                const char *last = fam ? fam->last : surnames[pick(&b.rng, N(surnames))];
                if (demo_pupil || demo_sibling)
                    last = "Martin";
                int64_t pupil;
                if ((rc = add_person(&b, demo_pupil ? "demo.eleve" : NULL, first, last, ROLE_PUPIL,
                                     birth_for_level(&b, l), spec->password_hash != NULL || demo_pupil, &pupil)) !=
                    STORE_OK)
                    goto out;
                stats->pupils++;
                if ((rc = enrol_pupil(tx, pupil, class_id, b.start, &res)) != STORE_OK)
                    goto out;
                if (demo_pupil || demo_sibling) {
                    if (demo_family.nparents == 0) {
                        demo_family.last = "Martin";
                        demo_family.level = l;
                        demo_family.nparents = 2;
                        if ((rc = add_person(&b, "demo.parent", "Sophie", "Martin", ROLE_PARENT, NULL, true,
                                             &demo_family.parents[0])) != STORE_OK ||
                            (rc = add_person(&b, NULL, "Karim", "Martin", ROLE_PARENT, NULL,
                                             spec->password_hash != NULL, &demo_family.parents[1])) != STORE_OK)
                            goto out;
                        stats->parents += 2;
                    }
                } else if (!fam) {
                    fam = &families[nfamilies++];
                    if ((rc = add_family(&b, fam, last, l)) != STORE_OK)
                        goto out;
                }
                if ((rc = link_family(&b, demo_pupil || demo_sibling ? &demo_family : fam, pupil)) != STORE_OK)
                    goto out;
                /* options: Latin (about 1 in 6 from 5e), German (about 1 in 8) */
                if (l >= 1 && chance(&b.rng, 16) && (rc = group_member_add(tx, pupil, latin_groups[l])) != STORE_OK)
                    goto out;
                if (l >= 1 && chance(&b.rng, 12) && (rc = group_member_add(tx, pupil, german_groups[l])) != STORE_OK)
                    goto out;
            }
        }
    }
    rc = STORE_OK;
out:
    arena_free(&arena);
    return rc;
}

static int count_schools(void *ud, const store_row_t *row)
{
    *(int64_t *)ud = store_row_int(row, 0);
    return 0;
}

typedef struct seed_ctx {
    char hash[PASSWORD_HASH_MAX];
    build_stats_t stats;
} seed_ctx_t;

static int seed(store_tx_t *tx, void *ud)
{
    seed_ctx_t *c = ud;
    int64_t n = 0;
    int rc = store_tx_query(tx, "SELECT COUNT(*) FROM schools", STORE_NO_ARGS, count_schools, &n);
    if (rc < 0)
        return rc;
    if (n > 0)
        return 0;
    school_spec_t spec = {
        .uai = DEMO_SCHOOL_UAI,
        .name = "Collège Jean Moulin (démo)",
        .city = "Villeneuve-sur-Lot",
        .classes_per_level = 6,
        .pupils_per_class = 25,
        .is_demo = true,
        .demo_accounts = true,
        .password_hash = NULL,
        .demo_hash = c->hash,
    };
    rc = demo_build_school(tx, &spec, 20210406, &c->stats);
    if (rc < 0)
        return rc;
    rc = demo_school_day(tx, c->stats.school_id, date_today(), 20210406);
    return rc < 0 ? rc : 1;
}

int demo_seed(store_t *store)
{
    seed_ctx_t c;
    memset(&c, 0, sizeof c);
    if (password_hash(STR(DEMO_PASSWORD), c.hash) != 0)
        return STORE_ERROR;
    int rc = store_write_sync(store, seed, &c);
    if (rc == 1)
        LOG_INFO("demo school created", "uai=%s pupils=%d parents=%d teachers=%d staff=%d classes=%d", DEMO_SCHOOL_UAI,
                 c.stats.pupils, c.stats.parents, c.stats.teachers, c.stats.staff, c.stats.classes);
    return rc;
}

typedef struct gen_ctx {
    school_spec_t spec;
    uint64_t seed;
    build_stats_t stats;
} gen_ctx_t;

static int gen_one(store_tx_t *tx, void *ud)
{
    gen_ctx_t *g = ud;
    return demo_build_school(tx, &g->spec, g->seed, &g->stats);
}

int generate_directory(store_t *store, int schools, int pupils_per_school, bool verbose)
{
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(STR(GENERATED_PASSWORD), hash) != 0)
        return STORE_ERROR;
    int per_class = 25;
    int classes_per_level = (pupils_per_school + 4 * per_class - 1) / (4 * per_class);
    if (classes_per_level < 1)
        classes_per_level = 1;
    if (classes_per_level > 26)
        classes_per_level = 26;
    per_class = pupils_per_school / (4 * classes_per_level);
    if (per_class < 1)
        per_class = 1;
    int64_t total_pupils = 0;
    for (int i = 0; i < schools; i++) {
        char digits[8], uai[9], name[64];
        snprintf(digits, sizeof digits, "098%04d", (i + 1) % 10000);
        snprintf(uai, sizeof uai, "%s%c", digits, uai_check_letter(str_from(digits)));
        snprintf(name, sizeof name, "Collège n°%d", i + 1);
        gen_ctx_t g = {.spec = {.uai = uai, .name = name, .city = "Académie de démonstration",
                                .classes_per_level = classes_per_level, .pupils_per_class = per_class,
                                .password_hash = hash},
                       .seed = 1000003ull * (uint64_t)(i + 1)};
        int rc = store_write_sync(store, gen_one, &g);
        if (rc < 0) {
            if (rc == STORE_CONSTRAINT)
                fprintf(stderr, "school %s exists already: generate into an empty data directory\n", uai);
            return rc;
        }
        total_pupils += g.stats.pupils;
        if (verbose && ((i + 1) % 10 == 0 || i + 1 == schools))
            fprintf(stderr, "  %d/%d schools, %lld pupils\n", i + 1, schools, (long long)total_pupils);
    }
    return STORE_OK;
}
