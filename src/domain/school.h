/* school: an establishment, known by its UAI (unité administrative immatriculée).
 *
 * Contract: a UAI is 7 digits followed by a check letter (the number modulo 23,
 * as a letter of A-Z without I, O and Q); uai_valid verifies the letter. school_* read
 * through the caller's store reader and copy text into the caller's arena.
 */
#ifndef CARTABLE_DOMAIN_SCHOOL_H
#define CARTABLE_DOMAIN_SCHOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "core/u64map.h"
#include "store/store.h"

typedef struct school {
    int64_t id;
    str_t uai;
    str_t name;
    str_t kind; /* ecole, college, lycee, lycee_pro, autre */
    str_t city;
    str_t timezone;
    bool is_demo;
} school_t;

bool uai_valid(str_t uai);
/* The check letter for the first seven characters, or 0 if they are malformed. */
char uai_check_letter(str_t first7);
bool school_kind_valid(str_t kind);

/* 1 found, 0 not found, negative STORE_* on error. */
int school_get(store_reader_t *r, arena_t *a, int64_t id, school_t *out);
int school_by_uai(store_src_t src, arena_t *a, str_t uai, school_t *out);
/* The first school (by id): what a single-school installation shows on its home page. */
int school_first(store_reader_t *r, arena_t *a, school_t *out);
/* Lists schools ordered by name; *out in the arena. Returns the count or a negative status. */
int school_list(store_reader_t *r, arena_t *a, school_t **out);
/* Inserts; sets s->id. STORE_CONSTRAINT when the UAI exists. */
int school_create(store_tx_t *tx, school_t *s);

/* A worker's copy of the schools its pages show, emptied when the directory
 * topic moves (imports, new schools): page headers need no query. */
typedef struct school_cache {
    u64map_t index; /* id -> slot + 1 */
    school_t *items;
    size_t n, cap;
    arena_t arena;
    uint64_t version;
} school_cache_t;

void school_cache_init(school_cache_t *c);
void school_cache_dispose(school_cache_t *c);
/* The school, or NULL if there is none with that id or the store failed. */
const school_t *school_cache_get(school_cache_t *c, store_t *store, store_reader_t *r, int64_t id);

#endif
