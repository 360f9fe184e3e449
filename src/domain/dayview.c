#include "domain/dayview.h"

#include <stdlib.h>
#include <string.h>

void dayview_cache_init(dayview_cache_t *c, size_t capacity)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    c->cap = capacity;
    c->slots = capacity ? calloc(capacity, sizeof *c->slots) : NULL;
    if (!c->slots)
        c->cap = 0;
}

static void drop_all(dayview_cache_t *c)
{
    for (size_t i = 0; i < c->used; i++) {
        arena_free(&c->slots[i]->arena);
        free(c->slots[i]);
        c->slots[i] = NULL;
    }
    c->used = 0;
    u64map_clear(&c->index);
}

void dayview_cache_dispose(dayview_cache_t *c)
{
    drop_all(c);
    free(c->slots);
    u64map_dispose(&c->index);
    memset(c, 0, sizeof *c);
}

static void fill_teaching_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

/* Fills v from the store, allocating in a (the view's own arena, or a request's). */
static int build(dayview_t *v, store_reader_t *r, arena_t *a)
{
    int n;
    if (v->class_id) {
        n = teaching_of_class(STORE_READER(r), a, v->class_id, &v->teachings);
    } else {
        int64_t *ids;
        n = store_list(STORE_READER(r), a, "SELECT id FROM teaching WHERE group_id = ? ORDER BY id",
                       STORE_ARGS(SA_INT(v->group_id)), sizeof *ids, fill_teaching_id, (void **)&ids);
        if (n > 0) {
            v->teachings = arena_alloc(a, sizeof *v->teachings * (size_t)n);
            for (int i = 0; i < n; i++)
                if (teaching_get(STORE_READER(r), a, ids[i], &v->teachings[i]) != 1)
                    return STORE_ERROR;
        }
    }
    if (n < 0)
        return n;
    v->nteachings = n;
    n = timetable_range(STORE_READER(r), a, v->school_id, v->teachings, v->nteachings, v->from, DAYVIEW_DAYS,
                        &v->entries);
    if (n < 0)
        return n;
    v->nentries = n;
    /* published or scheduled: render time decides what is visible */
    n = homework_due_between(STORE_READER(r), a, v->teachings, v->nteachings, v->from,
                             date_add_days(v->from, DAYVIEW_DAYS - 1), INT64_MAX, false, 0, &v->homework);
    if (n < 0)
        return n;
    v->nhomework = n;
    int64_t *ids = arena_alloc(a, sizeof *ids * (size_t)(v->nteachings + 1));
    for (int i = 0; i < v->nteachings; i++)
        ids[i] = v->teachings[i].id;
    n = liveclass_of_teachings(STORE_READER(r), a, ids, v->nteachings, date_local_instant(v->from, 0),
                               date_local_instant(date_add_days(v->from, DAYVIEW_DAYS), 0), &v->live);
    if (n < 0)
        return n;
    v->nlive = n;
    return 0;
}

const dayview_t *dayview_get(dayview_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                             int64_t school_id, int64_t class_id, int64_t group_id, date_t from)
{
    uint64_t key = school_day_key(class_id, group_id);
    uint64_t version = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, key);
    uint64_t slot;
    if (c->cap && u64map_get(&c->index, key, &slot)) {
        dayview_t *v = c->slots[slot - 1];
        if (v->version == version && date_compare(v->from, from) == 0) {
            c->hits++;
            return v;
        }
        /* stale: rebuild in place */
        arena_free(&v->arena);
        memset(v, 0, sizeof *v);
        arena_init(&v->arena, NULL);
        v->class_id = class_id;
        v->group_id = group_id;
        v->school_id = school_id;
        v->from = from;
        v->version = version;
        c->misses++;
        if (build(v, r, &v->arena) < 0) {
            /* keep the slot, but never serve it */
            v->version = UINT64_MAX;
            return NULL;
        }
        return v;
    }
    c->misses++;
    dayview_t *v;
    if (!c->cap) {
        v = arena_alloc(scratch, sizeof *v);
        memset(v, 0, sizeof *v);
        v->class_id = class_id;
        v->group_id = group_id;
        v->school_id = school_id;
        v->from = from;
        return build(v, r, scratch) < 0 ? NULL : v; /* all of it in the request's arena */
    }
    if (c->used == c->cap)
        drop_all(c); /* a full cache starts again: simpler than LRU, and rare */
    v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    arena_init(&v->arena, NULL);
    v->class_id = class_id;
    v->group_id = group_id;
    v->school_id = school_id;
    v->from = from;
    v->version = version;
    if (build(v, r, &v->arena) < 0) {
        arena_free(&v->arena);
        free(v);
        return NULL;
    }
    c->slots[c->used] = v;
    u64map_put(&c->index, key, c->used + 1);
    c->used++;
    return v;
}

/* ---- personal states ---- */

uint64_t pupil_day_key(int64_t pupil_id)
{
    /* class and group keys use the low bit; pupils live in another range */
    return (1ULL << 62) | (uint64_t)pupil_id;
}

uint64_t school_news_key(int64_t school_id)
{
    return (1ULL << 61) | (uint64_t)school_id;
}

void personal_cache_init(personal_cache_t *c, size_t capacity)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    c->cap = capacity;
    c->slots = capacity ? calloc(capacity, sizeof *c->slots) : NULL;
    if (!c->slots)
        c->cap = 0;
}

static void personal_drop_all(personal_cache_t *c)
{
    for (size_t i = 0; i < c->used; i++) {
        free(c->slots[i].items);
        memset(&c->slots[i], 0, sizeof c->slots[i]);
    }
    c->used = 0;
    u64map_clear(&c->index);
}

void personal_cache_dispose(personal_cache_t *c)
{
    personal_drop_all(c);
    free(c->slots);
    u64map_dispose(&c->index);
    memset(c, 0, sizeof *c);
}

static void fill_personal(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    personal_state_t *p = item;
    p->homework_id = store_row_int(row, 0);
    p->done = store_row_int(row, 1) != 0;
    p->submitted_at = store_row_int(row, 2);
    p->late = store_row_int(row, 3) != 0;
    p->returned = store_row_int(row, 4) != 0;
}

static int personal_load(store_reader_t *r, arena_t *a, int64_t pupil_id, date_t from, personal_state_t **out)
{
    char f[11];
    date_format_iso(from, f);
    return store_list(STORE_READER(r), a,
                      "SELECT h.id, d.pupil_id IS NOT NULL, COALESCE(s.submitted_at, 0), COALESCE(s.late, 0), "
                      "s.returned_at IS NOT NULL FROM homework h "
                      "LEFT JOIN homework_done d ON d.homework_id = h.id AND d.pupil_id = ? "
                      "LEFT JOIN submissions s ON s.homework_id = h.id AND s.pupil_id = ? "
                      "WHERE h.id IN (SELECT homework_id FROM homework_done WHERE pupil_id = ? "
                      "UNION SELECT homework_id FROM submissions WHERE pupil_id = ?) AND h.due_on >= ?",
                      STORE_ARGS(SA_INT(pupil_id), SA_INT(pupil_id), SA_INT(pupil_id), SA_INT(pupil_id), SA_CSTR(f)),
                      sizeof **out, fill_personal, (void **)out);
}

const personal_state_t *personal_get(personal_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                     int64_t pupil_id, date_t from, int *n)
{
    static const personal_state_t none;
    personal_state_t *items;
    if (!c->cap) {
        int got = personal_load(r, scratch, pupil_id, from, &items);
        if (got < 0)
            return NULL;
        *n = got;
        return got ? items : &none;
    }
    uint64_t version = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(pupil_id));
    uint64_t slot;
    personal_entry_t *e = NULL;
    if (u64map_get(&c->index, (uint64_t)pupil_id, &slot)) {
        e = &c->slots[slot - 1];
        if (e->version == version && date_compare(e->from, from) == 0) {
            *n = e->n;
            return e->n ? e->items : &none;
        }
    } else {
        if (c->used == c->cap)
            personal_drop_all(c);
        e = &c->slots[c->used];
        u64map_put(&c->index, (uint64_t)pupil_id, c->used + 1);
        c->used++;
    }
    /* load through the request's arena, keep a malloc'd copy */
    int got = personal_load(r, scratch, pupil_id, from, &items);
    free(e->items);
    e->items = NULL;
    e->n = 0;
    e->version = UINT64_MAX;
    if (got < 0)
        return NULL;
    if (got) {
        e->items = malloc(sizeof *items * (size_t)got);
        if (!e->items)
            return NULL;
        memcpy(e->items, items, sizeof *items * (size_t)got);
    }
    e->n = got;
    e->from = from;
    e->version = version;
    *n = got;
    return got ? e->items : &none;
}
