#include "auth/principal.h"

#include <stdlib.h>
#include <string.h>

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

int principal_load(store_reader_t *r, int64_t person_id, date_t today, principal_t *out)
{
    memset(out, 0, sizeof *out);
    arena_init(&out->arena, NULL);
    arena_t *a = &out->arena;
    person_t p;
    int rc = person_get(STORE_READER(r), a, person_id, &p);
    if (rc <= 0)
        goto fail;
    out->person_id = p.id;
    out->login = p.login;
    out->first_name = p.first_name;
    out->last_name = p.last_name;
    out->platform_admin = p.platform_admin;
    out->disabled = p.disabled;
    if ((rc = memberships_of(STORE_READER(r), a, person_id, &out->roles)) < 0)
        goto fail;
    out->nroles = rc;
    if (principal_has_any_role(out, ROLE_PARENT)) {
        if ((rc = children_of(STORE_READER(r), a, person_id, today, &out->children)) < 0)
            goto fail;
        out->nchildren = rc;
    }
    if (principal_has_any_role(out, ROLE_TEACHER)) {
        if ((rc = store_list(STORE_READER(r), a, "SELECT DISTINCT class_id FROM teaching WHERE teacher_id = ? "
                                                 "AND class_id IS NOT NULL",
                             STORE_ARGS(SA_INT(person_id)), sizeof(int64_t), fill_id, (void **)&out->taught_classes)) < 0)
            goto fail;
        out->ntaught_classes = rc;
        if ((rc = store_list(STORE_READER(r), a, "SELECT DISTINCT group_id FROM teaching WHERE teacher_id = ? "
                                                 "AND group_id IS NOT NULL",
                             STORE_ARGS(SA_INT(person_id)), sizeof(int64_t), fill_id, (void **)&out->taught_groups)) < 0)
            goto fail;
        out->ntaught_groups = rc;
    }
    str_t own_class_name = STR("");
    if (principal_has_any_role(out, ROLE_PUPIL)) {
        class_info_t c;
        if ((rc = pupil_class(STORE_READER(r), a, person_id, today, &c)) < 0)
            goto fail;
        out->pupil_class_id = rc == 1 ? c.id : 0;
        own_class_name = rc == 1 ? c.name : STR("");
    }
    bool is_pupil = principal_has_any_role(out, ROLE_PUPIL);
    out->learners = arena_alloc(a, sizeof(learner_t) * (size_t)(out->nchildren + 1));
    if (is_pupil) {
        int64_t school = 0;
        for (int i = 0; i < out->nroles; i++)
            if (out->roles[i].role == ROLE_PUPIL)
                school = out->roles[i].school_id;
        out->learners[out->nlearners++] = (learner_t){.pupil_id = person_id, .school_id = school,
                                                      .class_id = out->pupil_class_id,
                                                      .class_name = own_class_name};
    }
    for (int i = 0; i < out->nchildren; i++)
        out->learners[out->nlearners++] = (learner_t){.pupil_id = out->children[i].person.id,
                                                      .school_id = out->children[i].school_id,
                                                      .class_id = out->children[i].class_id,
                                                      .class_name = out->children[i].class_name};
    for (int i = 0; i < out->nlearners; i++) {
        learner_t *l = &out->learners[i];
        if ((rc = store_list(STORE_READER(r), a, "SELECT group_id FROM group_members WHERE pupil_id = ? ORDER BY group_id",
                             STORE_ARGS(SA_INT(l->pupil_id)), sizeof(int64_t), fill_id, (void **)&l->groups)) < 0)
            goto fail;
        l->ngroups = rc;
    }
    return 1;
fail:
    arena_free(&out->arena);
    return rc;
}

void principal_dispose(principal_t *p)
{
    arena_free(&p->arena);
}

bool principal_has_role(const principal_t *p, int64_t school_id, role_t role)
{
    return has_role(p->roles, p->nroles, school_id, role);
}

bool principal_has_any_role(const principal_t *p, role_t role)
{
    for (int i = 0; i < p->nroles; i++)
        if (p->roles[i].role == role)
            return true;
    return false;
}

bool principal_in_school(const principal_t *p, int64_t school_id)
{
    for (int i = 0; i < p->nroles; i++)
        if (p->roles[i].school_id == school_id)
            return true;
    return false;
}

bool principal_is_parent_of(const principal_t *p, int64_t child_id)
{
    for (int i = 0; i < p->nchildren; i++)
        if (p->children[i].person.id == child_id)
            return true;
    return false;
}

bool principal_teaches_class(const principal_t *p, int64_t class_id)
{
    for (int i = 0; i < p->ntaught_classes; i++)
        if (p->taught_classes[i] == class_id)
            return true;
    return false;
}

bool principal_teaches_group(const principal_t *p, int64_t group_id)
{
    for (int i = 0; i < p->ntaught_groups; i++)
        if (p->taught_groups[i] == group_id)
            return true;
    return false;
}

const learner_t *principal_learner(const principal_t *p, int64_t pupil_id)
{
    for (int i = 0; i < p->nlearners; i++)
        if (p->learners[i].pupil_id == pupil_id)
            return &p->learners[i];
    return NULL;
}

bool learner_in(const learner_t *l, int64_t class_id, int64_t group_id)
{
    if (class_id)
        return l->class_id == class_id;
    for (int i = 0; i < l->ngroups; i++)
        if (l->groups[i] == group_id)
            return true;
    return false;
}

int64_t principal_main_school(const principal_t *p)
{
    return p->nroles ? p->roles[0].school_id : 0;
}

int principal_main_role(const principal_t *p)
{
    static const role_t order[] = {ROLE_SCHOOL_ADMIN, ROLE_STAFF, ROLE_TEACHER, ROLE_PARENT, ROLE_PUPIL};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (principal_has_any_role(p, order[i]))
            return (int)order[i];
    return -1;
}

/* ---- cache ---- */

void principal_cache_init(principal_cache_t *c, size_t capacity)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    c->cap = capacity ? capacity : 1;
    c->slots = xcalloc(c->cap, sizeof(principal_t *));
}

static void cache_clear(principal_cache_t *c)
{
    for (size_t i = 0; i < c->used; i++) {
        principal_dispose(c->slots[i]);
        free(c->slots[i]);
        c->slots[i] = NULL;
    }
    c->used = 0;
    u64map_clear(&c->index);
}

void principal_cache_dispose(principal_cache_t *c)
{
    cache_clear(c);
    free(c->slots);
    u64map_dispose(&c->index);
}

const principal_t *principal_cache_get(principal_cache_t *c, store_t *store, store_reader_t *r, int64_t person_id)
{
    uint64_t v = store_topic_version(store, STORE_TOPIC_DIRECTORY);
    date_t today = date_today();
    if (v != c->version || date_compare(today, c->day) != 0) {
        cache_clear(c);
        c->version = v;
        c->day = today;
    }
    uint64_t slot;
    if (u64map_get(&c->index, (uint64_t)person_id, &slot))
        return c->slots[slot - 1];
    principal_t *p = xmalloc(sizeof *p);
    if (principal_load(r, person_id, today, p) != 1) {
        free(p);
        return NULL;
    }
    if (c->used == c->cap) {
        /* Full: start again rather than track recency; the working set refills it. */
        cache_clear(c);
    }
    c->slots[c->used++] = p;
    u64map_put(&c->index, (uint64_t)person_id, c->used);
    return p;
}
