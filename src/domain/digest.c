#include "domain/digest.h"

#include <stdlib.h>
#include <string.h>

#include "domain/attendance.h"
#include "domain/dayview.h"
#include "domain/timetable.h"

#define RECENT_MARKS 5
#define RECENT_NEWS 3

void digest_cache_init(digest_cache_t *c, size_t capacity)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    c->cap = capacity;
    c->slots = capacity ? calloc(capacity, sizeof *c->slots) : NULL;
    if (!c->slots)
        c->cap = 0;
}

static void drop_all(digest_cache_t *c)
{
    for (size_t i = 0; i < c->used; i++) {
        arena_free(&c->slots[i]->arena);
        free(c->slots[i]);
        c->slots[i] = NULL;
    }
    c->used = 0;
    u64map_clear(&c->index);
}

void digest_cache_dispose(digest_cache_t *c)
{
    drop_all(c);
    free(c->slots);
    u64map_dispose(&c->index);
    memset(c, 0, sizeof *c);
}

typedef int (*build_fn)(digest_entry_t *e, store_reader_t *r, arena_t *a, const void *ctx);

/* The entry for key at version and day, rebuilt when either moved. */
static const digest_entry_t *get(digest_cache_t *c, store_reader_t *r, arena_t *scratch, uint64_t key,
                                 uint64_t version, date_t day, build_fn build, const void *ctx)
{
    if (!c->cap) {
        digest_entry_t *e = arena_alloc(scratch, sizeof *e);
        memset(e, 0, sizeof *e);
        return build(e, r, scratch, ctx) < 0 ? NULL : e;
    }
    uint64_t slot;
    digest_entry_t *e;
    if (u64map_get(&c->index, key, &slot)) {
        e = c->slots[slot - 1];
        if (e->version == version && date_compare(e->day, day) == 0)
            return e;
        arena_free(&e->arena);
    } else {
        if (c->used == c->cap)
            drop_all(c);
        e = calloc(1, sizeof *e);
        if (!e)
            return NULL;
        c->slots[c->used] = e;
        u64map_put(&c->index, key, c->used + 1);
        c->used++;
    }
    memset(&e->as, 0, sizeof e->as);
    arena_init(&e->arena, NULL);
    e->day = day;
    e->version = UINT64_MAX; /* never served unless built */
    if (build(e, r, &e->arena, ctx) < 0)
        return NULL;
    e->version = version;
    return e;
}

typedef struct learner_ctx {
    const learner_t *l;
    date_t today;
} learner_ctx_t;

static int build_learner(digest_entry_t *e, store_reader_t *r, arena_t *a, const void *ctx)
{
    const learner_ctx_t *lc = ctx;
    learner_digest_t *d = &e->as.learner;
    int64_t since = date_local_instant(date_add_days(lc->today, -14), 0);
    int n = grades_recent(STORE_READER(r), a, lc->l->pupil_id, since, RECENT_MARKS, &d->marks);
    if (n < 0)
        return n;
    d->nmarks = n;
    /* formatted once here rather than on every page view */
    d->mark_text = arena_alloc(a, sizeof *d->mark_text * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        d->mark_text[i] = d->marks[i].status == GRADE_MARK
                              ? arena_printf(a, "%g/%g", d->marks[i].value, d->marks[i].scale)
                              : NULL;
    absence_t *abs;
    n = attendance_recent(STORE_READER(r), a, lc->l->pupil_id, date_add_days(lc->today, -28), &abs);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        if (abs[i].status == ABSENCE_UNJUSTIFIED || abs[i].status == ABSENCE_REFUSED)
            d->unjustified++;
    return 0;
}

const learner_digest_t *digest_learner(digest_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                       const learner_t *l, date_t today)
{
    uint64_t version = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(l->pupil_id));
    if (l->class_id)
        version += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(l->class_id, 0));
    for (int i = 0; i < l->ngroups; i++)
        version += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(0, l->groups[i]));
    learner_ctx_t ctx = {l, today};
    const digest_entry_t *e =
        get(c, r, scratch, (uint64_t)l->pupil_id << 1, version, today, build_learner, &ctx);
    return e ? &e->as.learner : NULL;
}

static int build_news(digest_entry_t *e, store_reader_t *r, arena_t *a, const void *ctx)
{
    const principal_t *p = ctx;
    int n = news_for_person(STORE_READER(r), a, p, RECENT_NEWS, &e->as.news.items);
    if (n < 0)
        return n;
    e->as.news.n = n;
    return 0;
}

const person_news_t *digest_news(digest_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                 const principal_t *p, date_t today)
{
    uint64_t version = store_key_version(store, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(p->person_id)) +
                       store_topic_version(store, STORE_TOPIC_DIRECTORY);
    for (int i = 0; i < p->nroles; i++)
        version += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_news_key(p->roles[i].school_id));
    /* A parent's children's schools' news reaches them too. */
    for (int i = 0; i < p->nlearners; i++)
        version += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_news_key(p->learners[i].school_id));
    const digest_entry_t *e =
        get(c, r, scratch, ((uint64_t)p->person_id << 1) | 1u, version, today, build_news, p);
    return e ? &e->as.news : NULL;
}
