/* principal: what policy needs to know about the signed-in person.
 *
 * Contract: a principal is loaded from the directory once (roles per school,
 * children and their classes, classes and groups taught, own class) and kept in
 * a per-worker cache. The cache empties itself when the directory topic moves
 * or the day changes (classes are date-dependent), so a principal is never
 * staler than the last committed directory change.
 */
#ifndef CARTABLE_AUTH_PRINCIPAL_H
#define CARTABLE_AUTH_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/u64map.h"
#include "domain/directory.h"
#include "domain/people.h"
#include "store/store.h"

/* A pupil whose school day this person follows: themself, or a child. */
typedef struct learner {
    int64_t pupil_id;
    int64_t school_id;
    int64_t class_id; /* 0 when not enrolled today */
    str_t class_name;
    int64_t *groups;  /* teaching groups the pupil belongs to */
    int ngroups;
} learner_t;

typedef struct principal {
    int64_t person_id;
    str_t login, first_name, last_name;
    bool platform_admin;
    bool disabled;
    membership_t *roles;
    int nroles;
    child_info_t *children;
    int nchildren;
    int64_t *taught_classes;
    int ntaught_classes;
    int64_t *taught_groups;
    int ntaught_groups;
    int64_t pupil_class_id; /* 0 unless a pupil enrolled today */
    learner_t *learners;    /* a pupil: themself; a parent: each child */
    int nlearners;
    arena_t arena;          /* owns all of the above */
} principal_t;

/* 1 loaded, 0 no such person, negative on store error. */
int principal_load(store_reader_t *r, int64_t person_id, date_t today, principal_t *out);
void principal_dispose(principal_t *p);

bool principal_has_role(const principal_t *p, int64_t school_id, role_t role);
bool principal_has_any_role(const principal_t *p, role_t role);
bool principal_in_school(const principal_t *p, int64_t school_id);
bool principal_is_parent_of(const principal_t *p, int64_t child_id);
bool principal_teaches_class(const principal_t *p, int64_t class_id);
bool principal_teaches_group(const principal_t *p, int64_t group_id);
/* The learner entry for a pupil this person follows, or NULL. */
const learner_t *principal_learner(const principal_t *p, int64_t pupil_id);
/* Is the pupil in that class (class_id) or group (group_id)? */
bool learner_in(const learner_t *l, int64_t class_id, int64_t group_id);
/* The school shown by default: the first membership's. 0 if none. */
int64_t principal_main_school(const principal_t *p);
/* The most significant role, for display: admin > staff > teacher > parent > pupil. */
int principal_main_role(const principal_t *p);

typedef struct principal_cache {
    u64map_t index; /* person id -> slot + 1 */
    principal_t **slots;
    size_t cap, used;
    uint64_t version;
    date_t day;
} principal_cache_t;

void principal_cache_init(principal_cache_t *c, size_t capacity);
void principal_cache_dispose(principal_cache_t *c);
/* The person's principal, loading it if needed; NULL if there is no such person. */
const principal_t *principal_cache_get(principal_cache_t *c, store_t *store, store_reader_t *r, int64_t person_id);

#endif
