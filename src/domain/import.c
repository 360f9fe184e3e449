#include "domain/import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/u64map.h"
#include "domain/directory.h"
#include "domain/school.h"
#include "domain/timetable.h"

void *import_grow(arena_t *a, void *array, int n, size_t size)
{
    /* Doubling at powers of two: n is the count before adding one. */
    if (n == 0)
        return arena_alloc(a, size * 8);
    if (n >= 8 && (n & (n - 1)) == 0)
        return arena_realloc(a, array, size * (size_t)n, size * (size_t)n * 2);
    return array;
}

/* ---- a string -> index map (codes and external ids) ---- */

typedef struct name_index {
    u64map_t map;
    const str_t *keys; /* the strings, by index */
} name_index_t;

static uint64_t fnv(str_t s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.ptr[i];
        h *= 0x100000001b3ull;
    }
    return h ? h : 1;
}

static void index_build(name_index_t *x, const void *items, int n, size_t stride, size_t key_offset)
{
    u64map_init(&x->map);
    for (int i = 0; i < n; i++) {
        const str_t *k = (const str_t *)((const char *)items + stride * (size_t)i + key_offset);
        if (!u64map_get(&x->map, fnv(*k), NULL)) /* the first occurrence: a duplicate is reported where it stands */
            u64map_put(&x->map, fnv(*k), (uint64_t)i + 1);
    }
    x->keys = NULL;
}

static int index_find(const name_index_t *x, const void *items, int n, size_t stride, size_t key_offset, str_t key)
{
    uint64_t v;
    if (u64map_get(&x->map, fnv(key), &v)) {
        const str_t *k = (const str_t *)((const char *)items + stride * (size_t)(v - 1) + key_offset);
        if (str_eq(*k, key))
            return (int)v - 1;
    }
    /* a 64-bit hash collision (or absent): look properly */
    for (int i = 0; i < n; i++) {
        const str_t *k = (const str_t *)((const char *)items + stride * (size_t)i + key_offset);
        if (str_eq(*k, key))
            return i;
    }
    return -1;
}

#define FIND_CLASS(d_, x_, key_)                                                                                       \
    index_find(x_, (d_)->classes, (d_)->nclasses, sizeof(import_class_t), offsetof(import_class_t, code), key_)
#define FIND_GROUP(d_, x_, key_)                                                                                       \
    index_find(x_, (d_)->groups, (d_)->ngroups, sizeof(import_class_t), offsetof(import_class_t, code), key_)
#define FIND_SUBJECT(d_, x_, key_)                                                                                     \
    index_find(x_, (d_)->subjects, (d_)->nsubjects, sizeof(import_subject_t), offsetof(import_subject_t, code), key_)
#define FIND_PERSON(d_, x_, key_)                                                                                      \
    index_find(x_, (d_)->people, (d_)->npeople, sizeof(import_person_t), offsetof(import_person_t, id), key_)

typedef struct indexes {
    name_index_t classes, groups, subjects, people;
} indexes_t;

static void indexes_build(indexes_t *x, const import_data_t *d)
{
    index_build(&x->classes, d->classes, d->nclasses, sizeof(import_class_t), offsetof(import_class_t, code));
    index_build(&x->groups, d->groups, d->ngroups, sizeof(import_class_t), offsetof(import_class_t, code));
    index_build(&x->subjects, d->subjects, d->nsubjects, sizeof(import_subject_t), offsetof(import_subject_t, code));
    index_build(&x->people, d->people, d->npeople, sizeof(import_person_t), offsetof(import_person_t, id));
}

static void indexes_free(indexes_t *x)
{
    u64map_dispose(&x->classes.map);
    u64map_dispose(&x->groups.map);
    u64map_dispose(&x->subjects.map);
    u64map_dispose(&x->people.map);
}

static bool code_ok(str_t s)
{
    return s.len > 0 && s.len <= 64 && text_check(s.ptr, s.len) == TEXT_OK && !memchr(s.ptr, '\n', s.len) &&
           !memchr(s.ptr, '\r', s.len) && !memchr(s.ptr, '\t', s.len);
}

/* Where a record came from, for messages (records built in code have none). */
#define WHERE(rec) ((rec)->where ? (rec)->where : "import")

static bool failf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool failf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* `teacher "T1", subject "MATHS", class "6A"` for messages. */
static const char *teaching_text(const import_teaching_t *t, char *buf, size_t len)
{
    bool class_ = t->class_code.len > 0;
    str_t target = class_ ? t->class_code : t->group_code;
    snprintf(buf, len, "teacher \"%.*s\", subject \"%.*s\", %s \"%.*s\"", (int)t->teacher_id.len, t->teacher_id.ptr,
             (int)t->subject_code.len, t->subject_code.ptr, class_ ? "class" : "group", (int)target.len, target.ptr);
    return buf;
}

/* A teaching row (or a slot's teaching) names a teacher, a subject and a class or
 * a group of the data. */
static bool teaching_refs_ok(const import_data_t *d, const indexes_t *x, const import_teaching_t *t, char *err,
                             size_t errlen)
{
    int ti = FIND_PERSON(d, &x->people, t->teacher_id);
    if (ti < 0 || d->people[ti].role != ROLE_TEACHER)
        return failf(err, errlen, "%s: teacher \"%.*s\" is not among the teachers", WHERE(t), (int)t->teacher_id.len,
                     t->teacher_id.ptr);
    if (FIND_SUBJECT(d, &x->subjects, t->subject_code) < 0)
        return failf(err, errlen, "%s: subject \"%.*s\" is not among the subjects", WHERE(t),
                     (int)t->subject_code.len, t->subject_code.ptr);
    if ((t->class_code.len == 0) == (t->group_code.len == 0))
        return failf(err, errlen, "%s: give a class or a group (one of them)", WHERE(t));
    if (t->class_code.len && FIND_CLASS(d, &x->classes, t->class_code) < 0)
        return failf(err, errlen, "%s: class \"%.*s\" is not among the classes", WHERE(t), (int)t->class_code.len,
                     t->class_code.ptr);
    if (t->group_code.len && FIND_GROUP(d, &x->groups, t->group_code) < 0)
        return failf(err, errlen, "%s: group \"%.*s\" is not among the groups", WHERE(t), (int)t->group_code.len,
                     t->group_code.ptr);
    return true;
}

/* Keys that identify a row, as text for the name indexes ('\x1f' cannot be in a
 * CSV field: control characters are refused). */
static str_t teaching_key(arena_t *a, const import_teaching_t *t)
{
    return str_from(arena_printf(a, "%.*s\x1f%.*s\x1f%.*s\x1f%.*s", (int)t->teacher_id.len, t->teacher_id.ptr,
                                 (int)t->subject_code.len, t->subject_code.ptr, (int)t->class_code.len,
                                 t->class_code.ptr, (int)t->group_code.len, t->group_code.ptr));
}

static str_t slot_key_text(arena_t *a, const import_slot_t *s)
{
    str_t t = teaching_key(a, &s->teaching);
    return str_from(arena_printf(a, "%.*s\x1f%d\x1f%d\x1f%c", (int)t.len, t.ptr, s->weekday, s->starts_min,
                                 s->weeks ? s->weeks : '-'));
}

static str_t holiday_key_text(arena_t *a, const import_holiday_t *h)
{
    char from[11];
    date_format_iso(h->from, from);
    return str_from(arena_printf(a, "%.*s\x1f%s", (int)h->label.len, h->label.ptr, from));
}

/* The index of keys[i] among keys[0..n), its first occurrence. */
#define FIND_KEY(x_, keys_, n_, key_) index_find(x_, keys_, n_, sizeof(str_t), 0, key_)

typedef struct key_set {
    arena_t arena;
    str_t *teaching, *slots, *holidays;
    name_index_t teaching_x, slots_x, holidays_x;
} key_set_t;

static bool validate_timetable_rows(const import_data_t *d, const indexes_t *x, key_set_t *k, char *err,
                                    size_t errlen)
{
    char text[320];
    for (int i = 0; i < d->nslots; i++) {
        const import_slot_t *s = &d->slots[i];
        if (!teaching_refs_ok(d, x, &s->teaching, err, errlen))
            return false;
        if (d->has_teaching &&
            FIND_KEY(&k->teaching_x, k->teaching, d->nteaching, teaching_key(&k->arena, &s->teaching)) < 0)
            return failf(err, errlen, "%s: %s is not among the teaching assignments", WHERE(s),
                         teaching_text(&s->teaching, text, sizeof text));
        /* Dates not given are the school year's, known when applying (checked again then). */
        date_t any = date_valid(s->from) ? s->from : date_valid(s->to) ? s->to : date_today();
        timetable_slot_t check = {.weekday = s->weekday, .starts_min = s->starts_min, .ends_min = s->ends_min,
                                  .weeks = s->weeks, .room = s->room,
                                  .valid_from = date_valid(s->from) ? s->from : any,
                                  .valid_to = date_valid(s->to) ? s->to : any};
        const char *problem = timetable_slot_problem(&check);
        if (problem)
            return failf(err, errlen, "%s: %s", WHERE(s), problem);
        int first = FIND_KEY(&k->slots_x, k->slots, d->nslots, k->slots[i]);
        if (first != i)
            return failf(err, errlen, "%s: the same lesson (%s, same day, start and weeks) is already at %s", WHERE(s),
                         teaching_text(&s->teaching, text, sizeof text), WHERE(&d->slots[first]));
    }
    for (int i = 0; i < d->nholidays; i++) {
        const import_holiday_t *h = &d->holidays[i];
        const char *problem = timetable_holiday_problem(h->label, h->from, h->to);
        if (problem)
            return failf(err, errlen, "%s: %s", WHERE(h), problem);
        int first = FIND_KEY(&k->holidays_x, k->holidays, d->nholidays, k->holidays[i]);
        if (first != i)
            return failf(err, errlen, "%s: holiday \"%.*s\" starting that day is already at %s", WHERE(h),
                         (int)h->label.len, h->label.ptr, WHERE(&d->holidays[first]));
    }
    return true;
}

static bool validate_timetable(const import_data_t *d, const indexes_t *x, char *err, size_t errlen)
{
    if (d->nslots == 0 && d->nholidays == 0)
        return true;
    key_set_t k;
    arena_init(&k.arena, NULL);
    k.teaching = ARENA_ARRAY(&k.arena, str_t, d->nteaching + 1);
    k.slots = ARENA_ARRAY(&k.arena, str_t, d->nslots + 1);
    k.holidays = ARENA_ARRAY(&k.arena, str_t, d->nholidays + 1);
    for (int i = 0; i < d->nteaching; i++)
        k.teaching[i] = teaching_key(&k.arena, &d->teaching[i]);
    for (int i = 0; i < d->nslots; i++)
        k.slots[i] = slot_key_text(&k.arena, &d->slots[i]);
    for (int i = 0; i < d->nholidays; i++)
        k.holidays[i] = holiday_key_text(&k.arena, &d->holidays[i]);
    index_build(&k.teaching_x, k.teaching, d->nteaching, sizeof(str_t), 0);
    index_build(&k.slots_x, k.slots, d->nslots, sizeof(str_t), 0);
    index_build(&k.holidays_x, k.holidays, d->nholidays, sizeof(str_t), 0);
    bool ok = validate_timetable_rows(d, x, &k, err, errlen);
    u64map_dispose(&k.teaching_x.map);
    u64map_dispose(&k.slots_x.map);
    u64map_dispose(&k.holidays_x.map);
    arena_free(&k.arena);
    return ok;
}

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        snprintf(err, errlen, __VA_ARGS__);                                                                            \
        indexes_free(&x);                                                                                              \
        return false;                                                                                                  \
    } while (0)

bool import_validate(const import_data_t *d, char *err, size_t errlen)
{
    indexes_t x;
    indexes_build(&x, d);
    if (!uai_valid(d->uai))
        FAIL("school: \"%.*s\" is not a valid UAI", (int)d->uai.len, d->uai.ptr);
    for (int i = 0; i < d->nclasses; i++) {
        if (!code_ok(d->classes[i].code) || !code_ok(d->classes[i].name))
            FAIL("%s: a class's code and name must be 1 to 64 characters of text", WHERE(&d->classes[i]));
        if (FIND_CLASS(d, &x.classes, d->classes[i].code) != i)
            FAIL("%s: class \"%.*s\" is listed twice", WHERE(&d->classes[i]), (int)d->classes[i].code.len,
                 d->classes[i].code.ptr);
    }
    for (int i = 0; i < d->ngroups; i++) {
        if (!code_ok(d->groups[i].code) || !code_ok(d->groups[i].name))
            FAIL("%s: a group's code and name must be 1 to 64 characters of text", WHERE(&d->groups[i]));
        if (FIND_GROUP(d, &x.groups, d->groups[i].code) != i)
            FAIL("%s: group \"%.*s\" is listed twice", WHERE(&d->groups[i]), (int)d->groups[i].code.len,
                 d->groups[i].code.ptr);
    }
    for (int i = 0; i < d->nsubjects; i++) {
        if (!code_ok(d->subjects[i].code) || !code_ok(d->subjects[i].name))
            FAIL("%s: a subject's code and name must be 1 to 64 characters of text", WHERE(&d->subjects[i]));
        if (FIND_SUBJECT(d, &x.subjects, d->subjects[i].code) != i)
            FAIL("%s: subject \"%.*s\" is listed twice", WHERE(&d->subjects[i]), (int)d->subjects[i].code.len,
                 d->subjects[i].code.ptr);
    }
    for (int i = 0; i < d->npeople; i++) {
        const import_person_t *p = &d->people[i];
        if (!code_ok(p->id))
            FAIL("%s: the id is missing or invalid", p->where);
        if (FIND_PERSON(d, &x.people, p->id) != i)
            FAIL("%s: id \"%.*s\" is used twice", p->where, (int)p->id.len, p->id.ptr);
        person_t check = {.first_name = p->first_name, .last_name = p->last_name, .email = p->email,
                          .birth_date = p->birth_date};
        const char *problem = person_check(&check);
        if (problem)
            FAIL("%s: %s", p->where, problem);
        if (p->role == ROLE_PUPIL && p->class_code.len && FIND_CLASS(d, &x.classes, p->class_code) < 0)
            FAIL("%s: class \"%.*s\" is not among the classes", p->where, (int)p->class_code.len, p->class_code.ptr);
        for (int g = 0; g < p->ngroups; g++)
            if (FIND_GROUP(d, &x.groups, p->groups[g]) < 0)
                FAIL("%s: group \"%.*s\" is not among the groups", p->where, (int)p->groups[g].len, p->groups[g].ptr);
    }
    for (int i = 0; i < d->nlinks; i++) {
        const import_link_t *l = &d->links[i];
        int pi = FIND_PERSON(d, &x.people, l->parent_id), ci = FIND_PERSON(d, &x.people, l->child_id);
        if (pi < 0 || d->people[pi].role != ROLE_PARENT)
            FAIL("%s: parent \"%.*s\" (of pupil \"%.*s\") is not among the parents", WHERE(l), (int)l->parent_id.len,
                 l->parent_id.ptr, (int)l->child_id.len, l->child_id.ptr);
        if (ci < 0 || d->people[ci].role != ROLE_PUPIL)
            FAIL("%s: pupil \"%.*s\" (child of \"%.*s\") is not among the pupils", WHERE(l), (int)l->child_id.len,
                 l->child_id.ptr, (int)l->parent_id.len, l->parent_id.ptr);
    }
    bool ok = true;
    for (int i = 0; i < d->nteaching && ok; i++)
        ok = teaching_refs_ok(d, &x, &d->teaching[i], err, errlen);
    ok = ok && validate_timetable(d, &x, err, errlen);
    indexes_free(&x);
    return ok;
}

/* ---- applying ---- */

typedef struct apply_ctx {
    const import_data_t *d;
    import_report_t *rep;
    arena_t arena;
    indexes_t x;
    int64_t school_id, year_id;
    date_t year_from, year_to, today;
    int64_t *class_ids, *group_ids, *subject_ids, *person_ids;
    bool dry_run;
} apply_ctx_t;

static void count(import_counts_t *c, upsert_result_t r)
{
    if (r == UPSERT_CREATED)
        c->created++;
    else if (r == UPSERT_UPDATED)
        c->updated++;
    else
        c->unchanged++;
}

static str_t ext_id(apply_ctx_t *c, str_t id)
{
    return str_from(arena_printf(&c->arena, "%.*s:%.*s", (int)c->d->ns.len, c->d->ns.ptr, (int)id.len, id.ptr));
}

#define CHECK(expr)                                                                                                    \
    do {                                                                                                               \
        int rc_ = (expr);                                                                                              \
        if (rc_ < 0) {                                                                                                 \
            snprintf(c->rep->error, sizeof c->rep->error, "store error %d at %s:%d", rc_, __FILE__, __LINE__);         \
            return rc_;                                                                                                \
        }                                                                                                              \
    } while (0)

static int apply_school(store_tx_t *tx, apply_ctx_t *c)
{
    const import_data_t *d = c->d;
    school_t s;
    int rc = school_by_uai(STORE_TX(tx), &c->arena, d->uai, &s);
    CHECK(rc);
    if (rc == 0) {
        s = (school_t){.uai = d->uai, .name = d->school_name.len ? d->school_name : d->uai,
                       .kind = school_kind_valid(d->school_kind) ? d->school_kind : STR("autre"), .city = d->city,
                       .timezone = STR("Europe/Paris")};
        CHECK(school_create(tx, &s));
    } else if (d->school_name.len && (!str_eq(s.name, d->school_name) || (d->city.len && !str_eq(s.city, d->city)))) {
        CHECK(store_tx_exec(tx, "UPDATE schools SET name = ?, city = ? WHERE id = ?",
                            STORE_ARGS(SA_TEXT(d->school_name), SA_TEXT(d->city.len ? d->city : s.city), SA_INT(s.id))));
    }
    c->school_id = s.id;
    school_year_t y;
    CHECK(school_year_ensure(tx, &c->arena, s.id, c->today, &y));
    c->year_id = y.id;
    if (!date_parse_iso(y.starts_on, &c->year_from) || !date_parse_iso(y.ends_on, &c->year_to))
        CHECK(STORE_ERROR);
    return STORE_OK;
}

static int apply_structure(store_tx_t *tx, apply_ctx_t *c)
{
    const import_data_t *d = c->d;
    upsert_result_t r;
    for (int i = 0; i < d->nsubjects; i++) {
        CHECK(subject_upsert(tx, c->school_id, d->subjects[i].code, d->subjects[i].name, &c->subject_ids[i], &r));
        count(&c->rep->subjects, r);
    }
    for (int i = 0; i < d->nclasses; i++) {
        CHECK(class_upsert(tx, c->school_id, c->year_id, d->classes[i].code, d->classes[i].name, d->classes[i].level,
                           &c->class_ids[i], &r));
        count(&c->rep->classes, r);
    }
    for (int i = 0; i < d->ngroups; i++) {
        CHECK(group_upsert(tx, c->school_id, c->year_id, d->groups[i].code, d->groups[i].name, &c->group_ids[i], &r));
        count(&c->rep->groups, r);
    }
    return STORE_OK;
}

static int apply_people(store_tx_t *tx, apply_ctx_t *c)
{
    const import_data_t *d = c->d;
    date_t today = date_today();
    for (int i = 0; i < d->npeople; i++) {
        const import_person_t *ip = &d->people[i];
        str_t ext = ext_id(c, ip->id);
        person_t p;
        int rc = person_by_external_id(STORE_TX(tx), &c->arena, ext, &p);
        CHECK(rc);
        person_t want = {.external_id = ext, .first_name = ip->first_name, .last_name = ip->last_name,
                         .email = ip->email, .birth_date = ip->birth_date};
        if (rc == 1) {
            want.id = p.id;
            bool changed;
            CHECK(person_update(tx, &want, &changed));
            if (changed)
                c->rep->people.updated++;
            else
                c->rep->people.unchanged++;
        } else {
            CHECK(login_unique(tx, &c->arena, ip->first_name, ip->last_name, &want.login));
            CHECK(person_create(tx, &want));
            c->rep->people.created++;
        }
        c->person_ids[i] = want.id;
        int64_t had = 0;
        CHECK(store_int(STORE_TX(tx), "SELECT COUNT(*) FROM memberships WHERE person_id = ? AND school_id = ? AND role = ?",
                        STORE_ARGS(SA_INT(want.id), SA_INT(c->school_id), SA_CSTR(role_code(ip->role))), &had));
        if (had) {
            c->rep->memberships.unchanged++;
        } else {
            CHECK(membership_add(tx, want.id, c->school_id, ip->role));
            c->rep->memberships.created++;
        }
        if (ip->role == ROLE_PUPIL) {
            if (ip->class_code.len) {
                upsert_result_t r;
                int k = FIND_CLASS(d, &c->x.classes, ip->class_code);
                CHECK(enrol_pupil(tx, want.id, c->class_ids[k], today, &r));
                count(&c->rep->enrolments, r);
            } else {
                CHECK(unenrol_pupil(tx, want.id, c->school_id, today));
            }
        }
    }
    return STORE_OK;
}

/* The store's ids of a teaching row's teacher, subject and class or group (the
 * teaching's own id is teaching_find's). */
static teaching_t teaching_ids(const apply_ctx_t *c, const import_teaching_t *t)
{
    const import_data_t *d = c->d;
    return (teaching_t){
        .teacher_id = c->person_ids[FIND_PERSON(d, &c->x.people, t->teacher_id)],
        .subject_id = c->subject_ids[FIND_SUBJECT(d, &c->x.subjects, t->subject_code)],
        .class_id = t->class_code.len ? c->class_ids[FIND_CLASS(d, &c->x.classes, t->class_code)] : 0,
        .group_id = t->group_code.len ? c->group_ids[FIND_GROUP(d, &c->x.groups, t->group_code)] : 0,
        .school_id = c->school_id,
    };
}

/* Group members, links and teaching: make the school's rows equal to the file's. */
static int apply_relations(store_tx_t *tx, apply_ctx_t *c)
{
    const import_data_t *d = c->d;
    /* groups: add what is missing, remove pupils no longer listed */
    for (int g = 0; d->has_groups && g < d->ngroups; g++) {
        CHECK(store_tx_exec(tx, "CREATE TEMPORARY TABLE IF NOT EXISTS import_keep (id INTEGER PRIMARY KEY)",
                            STORE_NO_ARGS));
        CHECK(store_tx_exec(tx, "DELETE FROM import_keep", STORE_NO_ARGS));
        for (int i = 0; i < d->npeople; i++) {
            const import_person_t *ip = &d->people[i];
            for (int k = 0; k < ip->ngroups; k++) {
                if (!str_eq(ip->groups[k], d->groups[g].code))
                    continue;
                CHECK(store_tx_exec(tx, "INSERT INTO import_keep (id) VALUES (?) ON CONFLICT DO NOTHING",
                                    STORE_ARGS(SA_INT(c->person_ids[i]))));
                int64_t had = 0;
                CHECK(store_int(STORE_TX(tx), "SELECT COUNT(*) FROM group_members WHERE pupil_id = ? AND group_id = ?",
                                STORE_ARGS(SA_INT(c->person_ids[i]), SA_INT(c->group_ids[g])), &had));
                if (!had) {
                    CHECK(group_member_add(tx, c->person_ids[i], c->group_ids[g]));
                    c->rep->memberships.created++;
                }
            }
        }
        CHECK(store_tx_exec(tx, "DELETE FROM group_members WHERE group_id = ? AND pupil_id NOT IN (SELECT id FROM import_keep)",
                            STORE_ARGS(SA_INT(c->group_ids[g]))));
        if (store_tx_changes(tx)) {
            c->rep->memberships.removed += (int)store_tx_changes(tx);
            store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
        }
    }
    /* parent links */
    for (int i = 0; i < d->nlinks; i++) {
        const import_link_t *l = &d->links[i];
        int pi = FIND_PERSON(d, &c->x.people, l->parent_id), ci = FIND_PERSON(d, &c->x.people, l->child_id);
        upsert_result_t r;
        CHECK(parent_link_set(tx, c->person_ids[pi], c->person_ids[ci], l->relation, l->legal_guardian, &r));
        count(&c->rep->links, r);
    }
    /* Links from this importer's parents to this school's pupils that the file dropped. */
    CHECK(store_tx_exec(tx, "CREATE TEMPORARY TABLE IF NOT EXISTS import_keep (id INTEGER PRIMARY KEY)", STORE_NO_ARGS));
    CHECK(store_tx_exec(tx, "DELETE FROM import_keep", STORE_NO_ARGS));
    for (int i = 0; i < d->nlinks; i++) {
        int pi = FIND_PERSON(d, &c->x.people, d->links[i].parent_id);
        int ci = FIND_PERSON(d, &c->x.people, d->links[i].child_id);
        /* key: parent and child packed; ids stay far below 2^31 */
        CHECK(store_tx_exec(tx, "INSERT INTO import_keep (id) VALUES (?) ON CONFLICT DO NOTHING",
                            STORE_ARGS(SA_INT(c->person_ids[pi] * 2147483648LL + c->person_ids[ci]))));
    }
    if (d->has_links)
    CHECK(store_tx_exec(tx,
                        "DELETE FROM parent_links WHERE parent_id * 2147483648 + child_id NOT IN "
                        "(SELECT id FROM import_keep) AND child_id IN (SELECT person_id FROM memberships "
                        "WHERE school_id = ? AND role = 'pupil') AND parent_id IN "
                        "(SELECT id FROM people WHERE external_id LIKE ?)",
                        STORE_ARGS(SA_INT(c->school_id), SA_TEXT(ext_id(c, STR("%"))))));
    if (store_tx_changes(tx)) {
        c->rep->links.removed += (int)store_tx_changes(tx);
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    }
    /* teaching */
    CHECK(store_tx_exec(tx, "DELETE FROM import_keep", STORE_NO_ARGS));
    for (int i = 0; i < d->nteaching; i++) {
        teaching_t t = teaching_ids(c, &d->teaching[i]);
        upsert_result_t r;
        CHECK(teaching_set(tx, t.teacher_id, t.subject_id, t.class_id, t.group_id, &r));
        count(&c->rep->teaching, r);
        CHECK(teaching_find(STORE_TX(tx), t.teacher_id, t.subject_id, t.class_id, t.group_id, &t.id));
        CHECK(store_tx_exec(tx, "INSERT INTO import_keep (id) VALUES (?) ON CONFLICT DO NOTHING",
                            STORE_ARGS(SA_INT(t.id))));
    }
    return STORE_OK;
}

/* Teaching the file no longer lists (after the timetable, which may have freed it
 * of its slots); import_keep holds the listed ones. */
static int apply_teaching_removals(store_tx_t *tx, apply_ctx_t *c)
{
    const import_data_t *d = c->d;
    if (d->has_teaching) {
        int rc = store_tx_exec(tx,
                               "DELETE FROM teaching WHERE id NOT IN (SELECT id FROM import_keep) AND "
                               "(class_id IN (SELECT id FROM classes WHERE school_id = ? AND year_id = ?) OR "
                               "group_id IN (SELECT id FROM teaching_groups WHERE school_id = ? AND year_id = ?)) AND "
                               "teacher_id IN (SELECT id FROM people WHERE external_id LIKE ?)",
                               STORE_ARGS(SA_INT(c->school_id), SA_INT(c->year_id), SA_INT(c->school_id),
                                          SA_INT(c->year_id), SA_TEXT(ext_id(c, STR("%")))));
        if (rc == STORE_CONSTRAINT) {
            snprintf(c->rep->error, sizeof c->rep->error,
                     "teaching: an assignment no longer listed cannot be removed, its timetable, lessons, homework, "
                     "marks or roll calls refer to it (list it again)");
            return rc;
        }
        CHECK(rc);
        if (store_tx_changes(tx)) {
            c->rep->teaching.removed += (int)store_tx_changes(tx);
            store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
        }
    }
    return store_tx_exec(tx, "DROP TABLE IF EXISTS import_keep", STORE_NO_ARGS);
}

typedef struct stale {
    int64_t person_id;
    role_t role;
} stale_t;

static void fill_stale(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    stale_t *s = item;
    s->person_id = store_row_int(row, 0);
    role_parse(store_row_text(row, 1), &s->role);
}

/* People this importer brought into the school that the file no longer lists. */
static int apply_departures(store_tx_t *tx, apply_ctx_t *c)
{
    stale_t *list;
    int n = store_list(STORE_TX(tx), &c->arena,
                       "SELECT m.person_id, m.role FROM memberships m JOIN people p ON p.id = m.person_id "
                       "WHERE m.school_id = ? AND p.external_id LIKE ?",
                       STORE_ARGS(SA_INT(c->school_id), SA_TEXT(ext_id(c, STR("%")))), sizeof *list, fill_stale,
                       (void **)&list);
    CHECK(n);
    date_t today = date_today();
    for (int i = 0; i < n; i++) {
        bool listed = false;
        for (int k = 0; k < c->d->npeople && !listed; k++)
            listed = c->person_ids[k] == list[i].person_id && c->d->people[k].role == list[i].role;
        if (listed || !c->d->has_role[list[i].role])
            continue;
        CHECK(membership_remove(tx, list[i].person_id, c->school_id, list[i].role));
        if (list[i].role == ROLE_PUPIL)
            CHECK(unenrol_pupil(tx, list[i].person_id, c->school_id, today));
        c->rep->memberships.removed++;
    }
    return STORE_OK;
}

/* ---- the timetable and holidays ---- */

/* A slot's identity: teaching, day, start and weeks (start < 2048, day < 8). */
static uint64_t slot_key(int64_t teaching_id, int weekday, int starts_min, char weeks)
{
    uint64_t w = weeks == 'A' ? 1 : weeks == 'B' ? 2 : 0;
    return (uint64_t)teaching_id << 16 | (uint64_t)weekday << 13 | (uint64_t)starts_min << 2 | w;
}

typedef struct slot_sync {
    timetable_slot_t *have; /* the school's slots, the latest ending first */
    int nhave;
    bool *listed;           /* by have's index */
    u64map_t mine;          /* ids of this importer's teaching in the school */
    u64map_t by_key;        /* slot_key -> have's index + 1, for the importer's slots */
} slot_sync_t;

static int add_mine(void *ud, const store_row_t *row)
{
    u64map_put(ud, (uint64_t)store_row_int(row, 0), 1);
    return 0;
}

static int slots_load(store_tx_t *tx, apply_ctx_t *c, slot_sync_t *m)
{
    m->nhave = timetable_slots_of_school(STORE_TX(tx), &c->arena, c->school_id, &m->have);
    CHECK(m->nhave);
    m->listed = ARENA_ARRAY(&c->arena, bool, m->nhave + 1);
    CHECK(store_query(STORE_TX(tx),
                      "SELECT t.id FROM teaching t JOIN people p ON p.id = t.teacher_id WHERE p.external_id LIKE ? "
                      "AND (t.class_id IN (SELECT id FROM classes WHERE school_id = ?) OR "
                      "t.group_id IN (SELECT id FROM teaching_groups WHERE school_id = ?))",
                      STORE_ARGS(SA_TEXT(ext_id(c, STR("%"))), SA_INT(c->school_id), SA_INT(c->school_id)), add_mine,
                      &m->mine));
    for (int i = 0; i < m->nhave; i++) {
        const timetable_slot_t *h = &m->have[i];
        uint64_t key = slot_key(h->teaching_id, h->weekday, h->starts_min, h->weeks);
        if (u64map_get(&m->mine, (uint64_t)h->teaching_id, NULL) && !u64map_get(&m->by_key, key, NULL))
            u64map_put(&m->by_key, key, (uint64_t)i + 1);
    }
    return STORE_OK;
}

/* A slot or a holiday the store refused: the row at fault in the report. */
static int row_refused(apply_ctx_t *c, const char *where, int rc, const char *why)
{
    if (rc == TIMETABLE_INVALID) {
        snprintf(c->rep->error, sizeof c->rep->error, "%s: %s", where, why);
        return STORE_CONSTRAINT;
    }
    snprintf(c->rep->error, sizeof c->rep->error, "%s: store error %d", where, rc);
    return rc;
}

static bool slot_same(const timetable_slot_t *a, const timetable_slot_t *b)
{
    return a->ends_min == b->ends_min && str_eq(a->room, b->room) && date_compare(a->valid_from, b->valid_from) == 0 &&
           date_compare(a->valid_to, b->valid_to) == 0;
}

static int slots_write(store_tx_t *tx, apply_ctx_t *c, slot_sync_t *m)
{
    char why[256], text[320];
    for (int i = 0; i < c->d->nslots; i++) {
        const import_slot_t *s = &c->d->slots[i];
        teaching_t t = teaching_ids(c, &s->teaching);
        int rc = teaching_find(STORE_TX(tx), t.teacher_id, t.subject_id, t.class_id, t.group_id, &t.id);
        CHECK(rc);
        if (rc == 0) {
            snprintf(c->rep->error, sizeof c->rep->error, "%s: %s is not among the teaching assignments", WHERE(s),
                     teaching_text(&s->teaching, text, sizeof text));
            return STORE_CONSTRAINT;
        }
        timetable_slot_t want = {.teaching_id = t.id, .weekday = s->weekday, .starts_min = s->starts_min,
                                 .ends_min = s->ends_min, .weeks = s->weeks, .room = s->room,
                                 .valid_from = date_valid(s->from) ? s->from : c->year_from,
                                 .valid_to = date_valid(s->to) ? s->to : c->year_to};
        uint64_t at;
        if (u64map_get(&m->by_key, slot_key(t.id, s->weekday, s->starts_min, s->weeks), &at)) {
            m->listed[at - 1] = true;
            want.id = m->have[at - 1].id;
            if (slot_same(&m->have[at - 1], &want)) {
                c->rep->slots.unchanged++;
                continue;
            }
            rc = timetable_slot_update(tx, &t, &want, why, sizeof why);
            c->rep->slots.updated++;
        } else {
            rc = timetable_slot_add(tx, &t, &want, NULL, why, sizeof why);
            c->rep->slots.created++;
        }
        if (rc < 0)
            return row_refused(c, WHERE(s), rc, why);
    }
    return STORE_OK;
}

/* The importer's slots still running that the file no longer lists. */
static int slots_remove_unlisted(store_tx_t *tx, apply_ctx_t *c, slot_sync_t *m)
{
    for (int i = 0; i < m->nhave; i++) {
        const timetable_slot_t *h = &m->have[i];
        if (m->listed[i] || !u64map_get(&m->mine, (uint64_t)h->teaching_id, NULL) ||
            date_compare(h->valid_to, c->today) < 0)
            continue;
        teaching_t t;
        int rc = teaching_get(STORE_TX(tx), &c->arena, h->teaching_id, &t);
        CHECK(rc);
        if (rc == 0)
            CHECK(STORE_ERROR);
        CHECK(timetable_slot_remove(tx, &t, h->id, c->today));
        c->rep->slots.removed++;
    }
    return STORE_OK;
}

static int apply_timetable(store_tx_t *tx, apply_ctx_t *c)
{
    if (!c->d->has_timetable)
        return STORE_OK;
    slot_sync_t m = {0};
    u64map_init(&m.mine);
    u64map_init(&m.by_key);
    int rc = slots_load(tx, c, &m);
    if (rc >= 0)
        rc = slots_write(tx, c, &m);
    if (rc >= 0)
        rc = slots_remove_unlisted(tx, c, &m);
    u64map_dispose(&m.mine);
    u64map_dispose(&m.by_key);
    return rc;
}

/* Holidays: matched by label and first day, among all the school's; those of this
 * school year or later that the file no longer lists are deleted. */
static int apply_holidays(store_tx_t *tx, apply_ctx_t *c)
{
    const import_data_t *d = c->d;
    if (!d->has_holidays)
        return STORE_OK;
    timetable_holiday_t *have;
    int n = timetable_holidays_between(STORE_TX(tx), &c->arena, c->school_id, (date_t){1900, 1, 1},
                                       (date_t){2199, 12, 31}, &have);
    CHECK(n);
    bool *listed = ARENA_ARRAY(&c->arena, bool, n + 1);
    char why[256];
    for (int i = 0; i < d->nholidays; i++) {
        const import_holiday_t *h = &d->holidays[i];
        int k = 0;
        while (k < n && (listed[k] || !str_eq(have[k].label, h->label) || date_compare(have[k].from, h->from) != 0))
            k++;
        int rc = STORE_OK;
        if (k == n) {
            rc = timetable_holiday_add(tx, c->school_id, h->label, h->from, h->to, NULL, why, sizeof why);
            c->rep->holidays.created++;
        } else {
            listed[k] = true;
            if (date_compare(have[k].to, h->to) == 0) {
                c->rep->holidays.unchanged++;
                continue;
            }
            rc = timetable_holiday_update(tx, c->school_id, have[k].id, h->label, h->from, h->to, why, sizeof why);
            c->rep->holidays.updated++;
        }
        if (rc < 0)
            return row_refused(c, WHERE(h), rc, why);
    }
    for (int k = 0; k < n; k++) {
        if (listed[k] || date_compare(have[k].to, c->year_from) < 0)
            continue;
        CHECK(timetable_holiday_remove(tx, c->school_id, have[k].id));
        c->rep->holidays.removed++;
    }
    return STORE_OK;
}

static int apply(store_tx_t *tx, void *ud)
{
    apply_ctx_t *c = ud;
    int rc;
    if ((rc = apply_school(tx, c)) < 0 || (rc = apply_structure(tx, c)) < 0 || (rc = apply_people(tx, c)) < 0 ||
        (rc = apply_relations(tx, c)) < 0 || (rc = apply_timetable(tx, c)) < 0 || (rc = apply_holidays(tx, c)) < 0 ||
        (rc = apply_teaching_removals(tx, c)) < 0 || (rc = apply_departures(tx, c)) < 0)
        return rc;
    /* A dry run does all the work, so its report is exact, then undoes it. */
    return c->dry_run ? STORE_UNDONE : STORE_OK;
}

int import_apply(store_t *store, const import_data_t *d, bool dry_run, import_report_t *report)
{
    memset(report, 0, sizeof *report);
    if (!import_validate(d, report->error, sizeof report->error))
        return STORE_CONSTRAINT;
    apply_ctx_t c = {.d = d, .rep = report, .dry_run = dry_run, .today = date_today()};
    arena_init(&c.arena, NULL);
    indexes_build(&c.x, d);
    c.class_ids = ARENA_ARRAY(&c.arena, int64_t, d->nclasses + 1);
    c.group_ids = ARENA_ARRAY(&c.arena, int64_t, d->ngroups + 1);
    c.subject_ids = ARENA_ARRAY(&c.arena, int64_t, d->nsubjects + 1);
    c.person_ids = ARENA_ARRAY(&c.arena, int64_t, d->npeople + 1);
    int rc = store_write_sync(store, apply, &c);
    if (rc == STORE_UNDONE && dry_run)
        rc = STORE_OK;
    if (rc < 0) {
        import_report_t keep_error;
        memcpy(keep_error.error, report->error, sizeof keep_error.error);
        memset(report, 0, sizeof *report); /* nothing of it was kept */
        memcpy(report->error, keep_error.error, sizeof report->error);
        if (!report->error[0])
            snprintf(report->error, sizeof report->error, "the import could not be written (store error %d)", rc);
    }
    indexes_free(&c.x);
    arena_free(&c.arena);
    return rc;
}

static void print_counts(FILE *f, const char *what, const import_counts_t *c)
{
    fprintf(f, "  %-12s %5d created, %5d updated, %5d unchanged, %5d removed\n", what, c->created, c->updated,
            c->unchanged, c->removed);
}

void import_report_print(const import_report_t *r, const import_data_t *d, void *file)
{
    FILE *f = file;
    fprintf(f, "School %.*s (%.*s):\n", (int)d->uai.len, d->uai.ptr, (int)d->school_name.len, d->school_name.ptr);
    print_counts(f, "subjects", &r->subjects);
    print_counts(f, "classes", &r->classes);
    print_counts(f, "groups", &r->groups);
    print_counts(f, "people", &r->people);
    print_counts(f, "roles", &r->memberships);
    print_counts(f, "enrolments", &r->enrolments);
    print_counts(f, "parent links", &r->links);
    print_counts(f, "teaching", &r->teaching);
    print_counts(f, "slots", &r->slots);
    print_counts(f, "holidays", &r->holidays);
}

bool import_read_file(arena_t *a, const char *path, size_t max, str_t *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return false;
    }
    buf_t b;
    buf_init(&b, a, 65536);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (b.len + n > max) {
            fclose(f);
            snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
            return false;
        }
        buf_append(&b, tmp, n);
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "%s: read error", path);
        return false;
    }
    *out = buf_str(&b);
    return true;
}
