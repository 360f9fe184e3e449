/* messages: the school's rules, the recipients an author types, and whom they
 * may reach (the picker and the check before a send ask policy the same way). */
#include "domain/messages.h"

#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/u64map.h"

msg_rules_t msg_rules_default(void)
{
    return (msg_rules_t){.pupil_to_teachers = true, .pupil_to_staff = true, .pupil_to_classmates = false,
                         .parent_to_teachers = true, .parent_to_staff = true, .parent_to_class_parents = false};
}

static int rules_row(void *ud, const store_row_t *row)
{
    msg_rules_t *r = ud;
    r->pupil_to_teachers = store_row_int(row, 0) != 0;
    r->pupil_to_staff = store_row_int(row, 1) != 0;
    r->pupil_to_classmates = store_row_int(row, 2) != 0;
    r->parent_to_teachers = store_row_int(row, 3) != 0;
    r->parent_to_staff = store_row_int(row, 4) != 0;
    r->parent_to_class_parents = store_row_int(row, 5) != 0;
    return 1;
}

int msg_rules_get(store_src_t src, int64_t school_id, msg_rules_t *out)
{
    *out = msg_rules_default();
    int rc = store_query(src,
                         "SELECT pupil_to_teachers, pupil_to_staff, pupil_to_classmates, parent_to_teachers, "
                         "parent_to_staff, parent_to_class_parents FROM message_rules WHERE school_id = ?",
                         STORE_ARGS(SA_INT(school_id)), rules_row, out);
    return rc < 0 ? rc : 0;
}

int msg_rules_set(store_tx_t *tx, int64_t school_id, const msg_rules_t *r, int64_t now)
{
    int rc = store_tx_exec(tx, "DELETE FROM message_rules WHERE school_id = ?", STORE_ARGS(SA_INT(school_id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx,
                           "INSERT INTO message_rules (school_id, pupil_to_teachers, pupil_to_staff, "
                           "pupil_to_classmates, parent_to_teachers, parent_to_staff, parent_to_class_parents, "
                           "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(school_id), SA_INT(r->pupil_to_teachers), SA_INT(r->pupil_to_staff),
                                      SA_INT(r->pupil_to_classmates), SA_INT(r->parent_to_teachers),
                                      SA_INT(r->parent_to_staff), SA_INT(r->parent_to_class_parents), SA_INT(now)));
    /* every picker of the school changes: the whole topic moves */
    if (rc == STORE_OK)
        store_tx_touch(tx, STORE_TOPIC_MESSAGES);
    return rc;
}

static const char *const to_prefixes[] = {[MSG_TO_PERSON] = "p", [MSG_TO_CLASS] = "c", [MSG_TO_GROUP] = "g",
                                          [MSG_TO_CLASS_PARENTS] = "cp"};

bool msg_to_parse(str_t s, msg_to_t *out)
{
    s = str_trim(s);
    str_t rest;
    str_t prefix = str_cut(s, ':', &rest);
    if (str_is_null(rest) || rest.len == 0 || rest.len > 18)
        return false;
    for (size_t i = 0; i < rest.len; i++)
        if (rest.ptr[i] < '0' || rest.ptr[i] > '9')
            return false;
    int64_t id;
    if (!str_to_i64(rest, &id) || id <= 0)
        return false;
    for (size_t k = 0; k < sizeof to_prefixes / sizeof to_prefixes[0]; k++)
        if (str_eq_cstr(prefix, to_prefixes[k])) {
            out->kind = (msg_to_kind_t)k;
            out->id = id;
            return true;
        }
    return false;
}

int msg_to_parse_list(arena_t *a, str_t s, msg_to_t **out)
{
    int n = 0;
    msg_to_t *list = arena_alloc(a, sizeof *list * MSG_RECIPIENTS_MAX);
    str_t rest = s;
    while (!str_is_null(rest) && rest.len) {
        str_t item = str_trim(str_cut(rest, ',', &rest));
        if (item.len == 0)
            continue;
        msg_to_t to;
        if (!msg_to_parse(item, &to))
            return -1;
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen |= list[i].kind == to.kind && list[i].id == to.id;
        if (seen)
            continue;
        if (n == MSG_RECIPIENTS_MAX)
            return -2;
        list[n++] = to;
    }
    *out = list;
    return n;
}

str_t msg_to_format(arena_t *a, const msg_to_t *to, int n)
{
    buf_t b;
    buf_init(&b, a, 16 * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s%s:%lld", i ? "," : "", to_prefixes[to[i].kind], (long long)to[i].id);
    return buf_str(&b);
}

/* ---- what policy needs to know about the people of a school ---- */

typedef struct pair {
    int64_t person, value;
} pair_t;

typedef struct pairs {
    pair_t *v;
    int n, cap;
    arena_t *a;
} pairs_t;

static void pairs_push(pairs_t *p, int64_t person, int64_t value)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 64;
        p->v = arena_realloc(p->a, p->v, sizeof *p->v * (size_t)p->cap, sizeof *p->v * (size_t)cap);
        p->cap = cap;
    }
    p->v[p->n++] = (pair_t){person, value};
}

static int pair_cmp(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->person != b->person)
        return a->person < b->person ? -1 : 1;
    return (a->value > b->value) - (a->value < b->value);
}

typedef struct person_facts {
    int64_t id;
    str_t name;
    membership_t roles[ROLE_COUNT];
    int nroles;
    int64_t class_id;
    str_t class_name;
    int64_t *groups, *taught_classes, *taught_groups, *children_classes;
    int ngroups, ntaught_classes, ntaught_groups, nchildren_classes;
} person_facts_t;

typedef struct school_people {
    int64_t school_id;
    person_facts_t *people;
    int n, cap;
    u64map_t index; /* person id -> index + 1 */
    arena_t *a;
} school_people_t;

static person_facts_t *facts_of(school_people_t *sp, int64_t id)
{
    uint64_t v;
    return u64map_get(&sp->index, (uint64_t)id, &v) ? &sp->people[v - 1] : NULL;
}

static int member_row(void *ud, const store_row_t *row)
{
    school_people_t *sp = ud;
    int64_t id = store_row_int(row, 0);
    role_t role;
    if (!role_parse(store_row_text(row, 3), &role))
        return 0;
    person_facts_t *f = facts_of(sp, id);
    if (!f) {
        if (sp->n == sp->cap) {
            int cap = sp->cap ? sp->cap * 2 : 256;
            sp->people = arena_realloc(sp->a, sp->people, sizeof *sp->people * (size_t)sp->cap,
                                       sizeof *sp->people * (size_t)cap);
            sp->cap = cap;
        }
        f = &sp->people[sp->n++];
        memset(f, 0, sizeof *f);
        f->id = id;
        str_t first = store_row_text(row, 1), last = store_row_text(row, 2);
        f->name = str_from(arena_printf(sp->a, "%.*s %.*s", (int)first.len, first.ptr, (int)last.len, last.ptr));
        u64map_put(&sp->index, (uint64_t)id, (uint64_t)sp->n);
    }
    if (f->nroles < ROLE_COUNT)
        f->roles[f->nroles++] = (membership_t){.school_id = sp->school_id, .role = role, .school_name = STR("")};
    return 0;
}

static int class_row(void *ud, const store_row_t *row)
{
    school_people_t *sp = ud;
    person_facts_t *f = facts_of(sp, store_row_int(row, 0));
    if (f && !f->class_id) {
        f->class_id = store_row_int(row, 1);
        f->class_name = store_row_text_copy(row, 2, sp->a);
    }
    return 0;
}

typedef struct pair_ctx {
    pairs_t pairs;
    int value_col;
} pair_ctx_t;

static int pair_row(void *ud, const store_row_t *row)
{
    pair_ctx_t *c = ud;
    if (!store_row_is_null(row, c->value_col))
        pairs_push(&c->pairs, store_row_int(row, 0), store_row_int(row, c->value_col));
    return 0;
}

/* Hands each person their slice of the sorted pairs. */
static void distribute(school_people_t *sp, pairs_t *p, size_t ids_offset, size_t count_offset)
{
    qsort(p->v, (size_t)p->n, sizeof *p->v, pair_cmp);
    int64_t *values = arena_alloc(sp->a, sizeof(int64_t) * (size_t)(p->n + 1));
    for (int i = 0; i < p->n; i++)
        values[i] = p->v[i].value;
    for (int i = 0; i < p->n;) {
        int j = i;
        while (j < p->n && p->v[j].person == p->v[i].person)
            j++;
        person_facts_t *f = facts_of(sp, p->v[i].person);
        if (f) {
            *(int64_t **)((char *)f + ids_offset) = &values[i];
            *(int *)((char *)f + count_offset) = j - i;
        }
        i = j;
    }
}

/* Loads the school's active people with their roles there, class, groups, what
 * they teach and their children's classes: a handful of queries for a whole school. */
static int load_school_people(store_reader_t *r, arena_t *a, int64_t school_id, school_people_t *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->school_id = school_id;
    sp->a = a;
    u64map_init(&sp->index);
    char d[11];
    date_format_iso(date_today(), d);
    int rc = store_read(r,
                        "SELECT p.id, p.first_name, p.last_name, m.role FROM memberships m "
                        "JOIN people p ON p.id = m.person_id WHERE m.school_id = ? AND p.disabled = 0 "
                        "ORDER BY p.last_name, p.first_name, p.id",
                        STORE_ARGS(SA_INT(school_id)), member_row, sp);
    if (rc >= 0)
        rc = store_read(r,
                        "SELECT e.pupil_id, c.id, c.name FROM enrolments e JOIN classes c ON c.id = e.class_id "
                        "WHERE c.school_id = ? AND e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?) "
                        "ORDER BY e.starts_on DESC",
                        STORE_ARGS(SA_INT(school_id), SA_CSTR(d), SA_CSTR(d)), class_row, sp);
    struct {
        const char *sql;
        int nargs;
        int value_col;
        size_t ids, count;
    } lists[] = {
        {"SELECT gm.pupil_id, gm.group_id FROM group_members gm JOIN teaching_groups g ON g.id = gm.group_id "
         "WHERE g.school_id = ?",
         1, 1, offsetof(person_facts_t, groups), offsetof(person_facts_t, ngroups)},
        {"SELECT t.teacher_id, t.class_id FROM teaching t JOIN subjects s ON s.id = t.subject_id "
         "WHERE s.school_id = ?",
         1, 1, offsetof(person_facts_t, taught_classes), offsetof(person_facts_t, ntaught_classes)},
        {"SELECT t.teacher_id, t.group_id FROM teaching t JOIN subjects s ON s.id = t.subject_id "
         "WHERE s.school_id = ?",
         1, 1, offsetof(person_facts_t, taught_groups), offsetof(person_facts_t, ntaught_groups)},
        {"SELECT pl.parent_id, e.class_id FROM parent_links pl JOIN enrolments e ON e.pupil_id = pl.child_id "
         "JOIN classes c ON c.id = e.class_id "
         "WHERE c.school_id = ? AND e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?)",
         3, 1, offsetof(person_facts_t, children_classes), offsetof(person_facts_t, nchildren_classes)},
    };
    for (size_t i = 0; rc >= 0 && i < sizeof lists / sizeof lists[0]; i++) {
        pair_ctx_t c = {.pairs = {.a = a}, .value_col = lists[i].value_col};
        store_arg_t args[3] = {SA_INT(school_id), SA_CSTR(d), SA_CSTR(d)};
        rc = store_read(r, lists[i].sql, args, (size_t)lists[i].nargs, pair_row, &c);
        if (rc >= 0)
            distribute(sp, &c.pairs, lists[i].ids, lists[i].count);
    }
    if (rc < 0)
        u64map_dispose(&sp->index);
    return rc < 0 ? rc : 0;
}

static policy_target_t target_of(const school_people_t *sp, person_facts_t *f, const msg_rules_t *rules)
{
    return (policy_target_t){.school_id = sp->school_id, .class_id = f->class_id, .person_id = f->id,
                             .roles = f->roles, .nroles = f->nroles, .groups = f->groups, .ngroups = f->ngroups,
                             .taught_classes = f->taught_classes, .ntaught_classes = f->ntaught_classes,
                             .taught_groups = f->taught_groups, .ntaught_groups = f->ntaught_groups,
                             .children_classes = f->children_classes,
                             .nchildren_classes = f->nchildren_classes, .rules = rules};
}

static const char *role_label(const person_facts_t *f)
{
    /* the most telling role first */
    static const role_t order[] = {ROLE_SCHOOL_ADMIN, ROLE_STAFF, ROLE_TEACHER, ROLE_PARENT, ROLE_PUPIL};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (int i = 0; i < f->nroles; i++)
            if (f->roles[i].role == order[k])
                return role_code(order[k]);
    return "";
}

typedef struct named {
    int64_t id;
    str_t name;
} named_t;

static void fill_named(arena_t *a, const store_row_t *row, void *item)
{
    named_t *n = item;
    n->id = store_row_int(row, 0);
    n->name = store_row_text_copy(row, 1, a);
}

static int contact_cmp(const void *x, const void *y)
{
    const msg_contact_t *a = x, *b = y;
    if (a->to.kind != b->to.kind)
        return a->to.kind == MSG_TO_PERSON ? 1 : b->to.kind == MSG_TO_PERSON ? -1 : (int)a->to.kind - (int)b->to.kind;
    size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
    int c = n ? memcmp(a->name.ptr, b->name.ptr, n) : 0;
    return c ? c : (a->name.len > b->name.len) - (a->name.len < b->name.len);
}

int messages_contacts(store_reader_t *r, arena_t *a, const principal_t *who, int64_t school_id, msg_contact_t **out)
{
    *out = NULL;
    msg_rules_t rules;
    int rc = msg_rules_get(STORE_READER(r), school_id, &rules);
    if (rc < 0)
        return rc;
    school_people_t sp;
    if ((rc = load_school_people(r, a, school_id, &sp)) < 0)
        return rc;
    named_t *classes = NULL, *groups = NULL;
    int nclasses = store_list(STORE_READER(r), a, "SELECT id, name FROM classes WHERE school_id = ? ORDER BY name",
                              STORE_ARGS(SA_INT(school_id)), sizeof *classes, fill_named, (void **)&classes);
    int ngroups = nclasses < 0 ? nclasses
                               : store_list(STORE_READER(r), a,
                                            "SELECT id, name FROM teaching_groups WHERE school_id = ? ORDER BY name",
                                            STORE_ARGS(SA_INT(school_id)), sizeof *groups, fill_named,
                                            (void **)&groups);
    if (ngroups < 0) {
        u64map_dispose(&sp.index);
        return ngroups;
    }
    msg_contact_t *list = arena_alloc(a, sizeof *list * (size_t)(sp.n + 2 * nclasses + ngroups + 1));
    int n = 0;
    for (int i = 0; i < nclasses; i++) {
        policy_target_t t = {.school_id = school_id, .class_id = classes[i].id};
        if (!policy_allows(who, POLICY_MESSAGE_BROADCAST, &t))
            continue;
        list[n++] = (msg_contact_t){{MSG_TO_CLASS, classes[i].id}, classes[i].name, STR("class")};
        list[n++] = (msg_contact_t){{MSG_TO_CLASS_PARENTS, classes[i].id}, classes[i].name, STR("class_parents")};
    }
    for (int i = 0; i < ngroups; i++) {
        policy_target_t t = {.school_id = school_id, .group_id = groups[i].id};
        if (policy_allows(who, POLICY_MESSAGE_BROADCAST, &t))
            list[n++] = (msg_contact_t){{MSG_TO_GROUP, groups[i].id}, groups[i].name, STR("group")};
    }
    /* broadcast targets first (classes, then their parents, then groups), people after, by name */
    qsort(list, (size_t)n, sizeof *list, contact_cmp);
    for (int i = 0; i < sp.n; i++) {
        person_facts_t *f = &sp.people[i];
        policy_target_t t = target_of(&sp, f, &rules);
        if (!policy_allows(who, POLICY_MESSAGE_WRITE, &t))
            continue;
        str_t detail = str_from(role_label(f));
        if (f->class_name.len)
            detail = str_from(arena_printf(a, "%s, %.*s", role_label(f), (int)f->class_name.len, f->class_name.ptr));
        list[n++] = (msg_contact_t){{MSG_TO_PERSON, f->id}, f->name, detail};
    }
    u64map_dispose(&sp.index);
    *out = list;
    return n;
}

/* Adds a person once (the set is small: a class and its parents). */
static void add_person(arena_t *a, msg_resolved_t *out, int *cap, u64map_t *seen, int64_t id)
{
    if (u64map_get(seen, (uint64_t)id, &(uint64_t){0}))
        return;
    u64map_put(seen, (uint64_t)id, 1);
    if (out->npeople == *cap) {
        int ncap = *cap ? *cap * 2 : 32;
        out->people = arena_realloc(a, out->people, sizeof(int64_t) * (size_t)*cap, sizeof(int64_t) * (size_t)ncap);
        *cap = ncap;
    }
    out->people[out->npeople++] = id;
}

int messages_resolve(store_reader_t *r, arena_t *a, const principal_t *who, int64_t school_id, const msg_to_t *to,
                     int nto, msg_resolved_t *out, msg_problem_t *problem, msg_to_t *culprit)
{
    memset(out, 0, sizeof *out);
    out->broadcast = "";
    *problem = MSG_OK;
    if (nto <= 0) {
        *problem = MSG_NO_RECIPIENT;
        return MESSAGES_INVALID;
    }
    if (nto > MSG_RECIPIENTS_MAX) {
        *problem = MSG_TOO_MANY_RECIPIENTS;
        return MESSAGES_INVALID;
    }
    msg_rules_t rules;
    int rc = msg_rules_get(STORE_READER(r), school_id, &rules);
    if (rc < 0)
        return rc;
    school_people_t sp;
    if ((rc = load_school_people(r, a, school_id, &sp)) < 0)
        return rc;
    u64map_t seen;
    u64map_init(&seen);
    u64map_put(&seen, (uint64_t)who->person_id, 1); /* the author is a member anyway */
    int cap = 0;
    for (int i = 0; i < nto && *problem == MSG_OK; i++) {
        *culprit = to[i];
        if (to[i].kind == MSG_TO_PERSON) {
            person_facts_t *f = facts_of(&sp, to[i].id);
            if (!f || f->id == who->person_id) {
                *problem = MSG_BAD_RECIPIENT;
                break;
            }
            policy_target_t t = target_of(&sp, f, &rules);
            if (!policy_allows(who, POLICY_MESSAGE_WRITE, &t)) {
                *problem = MSG_NOT_ALLOWED;
                break;
            }
            add_person(a, out, &cap, &seen, f->id);
            continue;
        }
        /* a class, a group or a class's parents: the target must be the school's */
        int64_t owner = 0;
        rc = store_int(STORE_READER(r),
                       to[i].kind == MSG_TO_GROUP ? "SELECT school_id FROM teaching_groups WHERE id = ?"
                                                  : "SELECT school_id FROM classes WHERE id = ?",
                       STORE_ARGS(SA_INT(to[i].id)), &owner);
        if (rc < 0)
            break;
        if (rc == 0 || owner != school_id) {
            *problem = MSG_BAD_RECIPIENT;
            break;
        }
        policy_target_t t = {.school_id = school_id, .class_id = to[i].kind == MSG_TO_GROUP ? 0 : to[i].id,
                             .group_id = to[i].kind == MSG_TO_GROUP ? to[i].id : 0};
        if (!policy_allows(who, POLICY_MESSAGE_BROADCAST, &t)) {
            *problem = MSG_NOT_ALLOWED;
            break;
        }
        if (!*out->broadcast) {
            out->broadcast = to[i].kind == MSG_TO_CLASS ? "class" : to[i].kind == MSG_TO_GROUP ? "group" : "class_parents";
            out->broadcast_target = to[i].id;
        }
        for (int k = 0; k < sp.n; k++) {
            person_facts_t *f = &sp.people[k];
            bool member = false;
            if (to[i].kind == MSG_TO_CLASS)
                member = f->class_id == to[i].id;
            else if (to[i].kind == MSG_TO_GROUP)
                for (int g = 0; g < f->ngroups; g++)
                    member |= f->groups[g] == to[i].id;
            else
                for (int c = 0; c < f->nchildren_classes; c++)
                    member |= f->children_classes[c] == to[i].id;
            if (member)
                add_person(a, out, &cap, &seen, f->id);
        }
    }
    u64map_dispose(&seen);
    u64map_dispose(&sp.index);
    if (rc < 0)
        return rc;
    if (*problem == MSG_OK && out->npeople == 0)
        *problem = MSG_NO_RECIPIENT; /* an empty class */
    return *problem == MSG_OK ? 0 : MESSAGES_INVALID;
}
