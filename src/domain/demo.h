/* demo: the demonstration school `cartable serve --demo` creates, and the
 * académie-sized directories `cartable generate` builds for benchmarks.
 *
 * Contract:
 * - demo_seed creates the demo only in a database without any school, in one
 *   transaction, and is a no-op otherwise: it never touches real schools.
 * - The demo is a collège of 24 classes (6e to 3e), 25 pupils each, with parents
 *   (some families have two children there), about 45 teachers with their
 *   subjects and classes, Latin groups, staff and management. Its four stable
 *   accounts (DEMO_PASSWORD): demo.eleve (a pupil in 5e B), demo.parent (that
 *   pupil's parent, who also has a child in 3e), demo.prof (teaches mathematics
 *   in 5e B) and demo.admin (the school's management). Other accounts are not
 *   activated: their activation letters can be printed.
 * - Everything is drawn from a seeded generator: the same seed builds the same
 *   school.
 */
#ifndef CARTABLE_DOMAIN_DEMO_H
#define CARTABLE_DOMAIN_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

#define DEMO_SCHOOL_UAI "0999999F"
#define DEMO_PASSWORD "cartable-demo"
#define GENERATED_PASSWORD "cartable-bench"

typedef struct school_spec {
    const char *uai;
    const char *name;
    const char *city;
    int classes_per_level; /* four levels: 6e, 5e, 4e, 3e */
    int pupils_per_class;
    bool is_demo;
    bool demo_accounts;        /* create demo.eleve & co */
    const char *password_hash; /* given to every account; NULL: none activated */
    const char *demo_hash;     /* for the demo accounts */
} school_spec_t;

typedef struct build_stats {
    int64_t school_id;
    int pupils, parents, teachers, staff, classes;
} build_stats_t;

int demo_build_school(store_tx_t *tx, const school_spec_t *spec, uint64_t seed, build_stats_t *stats);

/* Returns 1 if it created the demo, 0 if the database already had a school, <0 on error. */
int demo_seed(store_t *store);

/* Builds n schools of pupils_per_school pupils (collèges, UAIs 098xxxx); every account
 * gets GENERATED_PASSWORD. Returns 0 or a negative status; progress is printed to
 * stderr when verbose. */
int generate_directory(store_t *store, int schools, int pupils_per_school, bool verbose);

#endif
