#include "domain/notify.h"

#include <stdlib.h>
#include <string.h>

#include "domain/attendance.h"
#include "domain/dayview.h"
#include "domain/grades.h"
#include "domain/messages.h"
#include "domain/news.h"
#include "domain/timetable.h"

/* How far back the feed looks, and how much of each source it takes. */
#define FEED_DAYS 14
#define ABSENCE_DAYS 28
#define PER_SOURCE 10
/* Scheduled homework becomes visible at its publish time, which no write
 * announces: the badge is recomputed at least this often. */
#define BADGE_MAX_AGE 600

const char *notify_kind_code(notify_kind_t k)
{
    static const char *const codes[NOTIFY_KIND_COUNT] = {"message", "homework", "mark", "news", "absence"};
    return (unsigned)k < NOTIFY_KIND_COUNT ? codes[k] : "message";
}

/* The badge's two halves change for different reasons (a message arriving does
 * not change the feed), so each is recomputed only when its own version moves. */
typedef struct notify_entry {
    uint64_t messages_version, feed_version;
    date_t day;
    notify_badge_t badge;
} notify_entry_t;

void notify_cache_init(notify_cache_t *c, size_t capacity)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    c->cap = capacity;
    c->slots = capacity ? calloc(capacity, sizeof *c->slots) : NULL;
    if (!c->slots)
        c->cap = 0;
}

void notify_cache_dispose(notify_cache_t *c)
{
    free(c->slots);
    u64map_dispose(&c->index);
    memset(c, 0, sizeof *c);
}

uint64_t notify_seen_key(int64_t person_id)
{
    /* in the messages topic, apart from messages_person_key's person ids */
    return (uint64_t)person_id | (UINT64_C(1) << 63);
}

static uint64_t messages_version(store_t *store, const principal_t *p)
{
    return store_key_version(store, STORE_TOPIC_MESSAGES, messages_person_key(p->person_id));
}

static uint64_t feed_version(store_t *store, const principal_t *p)
{
    uint64_t v = store_key_version(store, STORE_TOPIC_MESSAGES, notify_seen_key(p->person_id)) +
                 store_key_version(store, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(p->person_id)) +
                 store_topic_version(store, STORE_TOPIC_DIRECTORY) + (uint64_t)(clock_now() / BADGE_MAX_AGE);
    for (int i = 0; i < p->nroles; i++)
        v += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_news_key(p->roles[i].school_id));
    for (int i = 0; i < p->nlearners; i++) {
        const learner_t *l = &p->learners[i];
        v += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_news_key(l->school_id));
        if (l->pupil_id != p->person_id)
            v += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(l->pupil_id));
        if (l->class_id)
            v += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(l->class_id, 0));
        for (int g = 0; g < l->ngroups; g++)
            v += store_key_version(store, STORE_TOPIC_SCHOOL_DAY, school_day_key(0, l->groups[g]));
    }
    return v;
}

uint64_t notify_badge_version(store_t *store, const principal_t *p, date_t today)
{
    (void)today;
    /* a sum of counters that only grow: any change to either half moves it */
    return messages_version(store, p) + feed_version(store, p);
}

typedef struct feed {
    notify_item_t *items;
    int n, cap;
    arena_t *a;
    int64_t seen_at, now;
    notify_item_t discard; /* filled and dropped */
} feed_t;

static notify_item_t *feed_add(feed_t *f, notify_kind_t kind, int64_t at)
{
    /* what is dated after now has not happened yet (a scheduled publication) */
    if (at > f->now)
        return &f->discard;
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 32;
        f->items = arena_realloc(f->a, f->items, sizeof *f->items * (size_t)f->cap, sizeof *f->items * (size_t)cap);
        f->cap = cap;
    }
    notify_item_t *it = &f->items[f->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->at = at;
    it->unseen = at > f->seen_at;
    return it;
}

static int add_messages(store_reader_t *r, feed_t *f, int64_t person_id)
{
    msg_conversation_t *list;
    int n = messages_list(r, f->a, person_id, MSG_INBOX, STR(""), (msg_cursor_t){0, 0}, PER_SOURCE * 3, &list);
    if (n < 0)
        return n;
    for (int i = 0, added = 0; i < n && added < PER_SOURCE; i++) {
        if (list[i].unread <= 0)
            continue;
        notify_item_t *it = feed_add(f, NOTIFY_MESSAGE, list[i].last_message_at);
        it->ref_id = list[i].id;
        it->title = list[i].subject;
        it->detail = list[i].last_author;
        it->count = list[i].unread;
        it->unseen = true; /* unread is unread, whatever was seen */
        added++;
    }
    return 0;
}

typedef struct homework_ctx {
    feed_t *f;
    int64_t pupil_id;
} homework_ctx_t;

static int homework_row(void *ud, const store_row_t *row)
{
    homework_ctx_t *c = ud;
    notify_item_t *it = feed_add(c->f, NOTIFY_HOMEWORK, store_row_int(row, 1));
    it->ref_id = store_row_int(row, 0);
    it->pupil_id = c->pupil_id;
    it->title = store_row_text_copy(row, 2, c->f->a);
    it->detail = store_row_text_copy(row, 3, c->f->a);
    return 0;
}

/* Homework published for the learner's class and groups since `since`. */
static int add_homework(store_reader_t *r, feed_t *f, const learner_t *l, int64_t since, int64_t now)
{
    enum { MAX_GROUPS = 16 };
    store_arg_t args[4 + MAX_GROUPS];
    size_t nargs = 0;
    args[nargs++] = SA_INT(since);
    args[nargs++] = SA_INT(now);
    args[nargs++] = SA_INT(l->class_id ? l->class_id : -1);
    char in[4 * MAX_GROUPS + 8] = "-1";
    size_t len = 2;
    for (int g = 0; g < l->ngroups && g < MAX_GROUPS; g++) {
        memcpy(in + len, ", ?", 3);
        len += 3;
        args[nargs++] = SA_INT(l->groups[g]);
    }
    in[len] = '\0';
    args[nargs++] = SA_INT(PER_SOURCE);
    arena_t *a = f->a;
    char *sql = arena_printf(a,
                             "SELECT h.id, h.publish_at, h.title, s.name FROM homework h "
                             "JOIN teaching t ON t.id = h.teaching_id JOIN subjects s ON s.id = t.subject_id "
                             "WHERE h.publish_at >= ? AND h.publish_at <= ? AND (t.class_id = ? OR t.group_id IN (%s)) "
                             "ORDER BY h.publish_at DESC, h.id DESC LIMIT ?",
                             in);
    homework_ctx_t c = {f, l->pupil_id};
    int rc = store_read(r, sql, args, nargs, homework_row, &c);
    return rc < 0 ? rc : 0;
}

static int add_learner(store_reader_t *r, feed_t *f, const learner_t *l, date_t today, int64_t now)
{
    int64_t since = date_local_instant(date_add_days(today, -FEED_DAYS), 0);
    int rc = add_homework(r, f, l, since, now);
    if (rc < 0)
        return rc;
    recent_mark_t *marks;
    int n = grades_recent(STORE_READER(r), f->a, l->pupil_id, since, PER_SOURCE, &marks);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        notify_item_t *it = feed_add(f, NOTIFY_MARK, marks[i].updated_at);
        it->ref_id = marks[i].evaluation_id;
        it->pupil_id = l->pupil_id;
        it->title = marks[i].title;
        it->detail = marks[i].subject_name;
    }
    absence_t *abs;
    n = attendance_recent(STORE_READER(r), f->a, l->pupil_id, date_add_days(today, -ABSENCE_DAYS), &abs);
    if (n < 0)
        return n;
    int count = 0;
    int64_t latest = 0;
    for (int i = 0; i < n; i++)
        if (abs[i].status == ABSENCE_UNJUSTIFIED || abs[i].status == ABSENCE_REFUSED) {
            count++;
            int64_t at = date_local_instant(abs[i].on, abs[i].starts_min);
            if (at > latest)
                latest = at;
        }
    if (count) {
        notify_item_t *it = feed_add(f, NOTIFY_ABSENCE, latest);
        it->ref_id = l->pupil_id;
        it->pupil_id = l->pupil_id;
        it->count = count;
    }
    return 0;
}

static int item_newest_first(const void *x, const void *y)
{
    const notify_item_t *a = x, *b = y;
    if (a->at != b->at)
        return a->at > b->at ? -1 : 1;
    return (int)a->kind - (int)b->kind;
}

static int seen_row(void *ud, const store_row_t *row)
{
    *(int64_t *)ud = store_row_int(row, 0);
    return 1;
}

/* with_messages false: the badge's build, which counts messages apart (one SUM)
 * and needs only the other items. */
static int build_feed(store_reader_t *r, arena_t *a, const principal_t *p, date_t today, int64_t now,
                      bool with_messages, feed_t *f)
{
    memset(f, 0, sizeof *f);
    f->a = a;
    f->now = now;
    int rc = store_read(r, "SELECT seen_at FROM notification_settings WHERE person_id = ?",
                        STORE_ARGS(SA_INT(p->person_id)), seen_row, &f->seen_at);
    if (rc >= 0 && with_messages)
        rc = add_messages(r, f, p->person_id);
    for (int i = 0; rc >= 0 && i < p->nlearners; i++)
        rc = add_learner(r, f, &p->learners[i], today, now);
    if (rc < 0)
        return rc;
    news_item_t *news;
    int n = news_for_person(STORE_READER(r), a, p, PER_SOURCE, &news);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        if (!news[i].unread)
            continue;
        notify_item_t *it = feed_add(f, NOTIFY_NEWS, news[i].published_at);
        it->ref_id = news[i].id;
        it->title = news[i].title;
        it->detail = news[i].author_name;
    }
    if (f->n > 1)
        qsort(f->items, (size_t)f->n, sizeof *f->items, item_newest_first);
    return 0;
}

int notify_feed(store_reader_t *r, arena_t *a, const principal_t *p, date_t today, int64_t now, int limit,
                notify_item_t **out, int64_t *seen_at)
{
    feed_t f;
    int rc = build_feed(r, a, p, today, now, true, &f);
    if (rc < 0)
        return rc;
    *out = f.items;
    *seen_at = f.seen_at;
    return f.n < limit ? f.n : limit;
}

static int count_feed(store_reader_t *r, const principal_t *p, date_t today, int64_t now, int *notifications)
{
    arena_t a;
    arena_init(&a, NULL);
    feed_t f;
    int rc = build_feed(r, &a, p, today, now, false, &f);
    *notifications = 0;
    for (int i = 0; rc >= 0 && i < f.n; i++)
        if (f.items[i].kind != NOTIFY_MESSAGE && f.items[i].unseen)
            (*notifications)++;
    arena_free(&a);
    return rc < 0 ? rc : 0;
}

static int compute_badge(store_reader_t *r, const principal_t *p, date_t today, int64_t now, notify_badge_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = count_feed(r, p, today, now, &out->notifications);
    if (rc >= 0)
        rc = messages_unread(STORE_READER(r), p->person_id, &out->messages);
    return rc < 0 ? rc : 0;
}

int notify_badge(notify_cache_t *c, store_t *store, store_reader_t *r, const principal_t *p, date_t today,
                 int64_t now, notify_badge_t *out)
{
    if (!c->cap)
        return compute_badge(r, p, today, now, out);
    uint64_t mv = messages_version(store, p), fv = feed_version(store, p);
    uint64_t slot;
    notify_entry_t *e;
    if (u64map_get(&c->index, (uint64_t)p->person_id, &slot)) {
        e = &c->slots[slot - 1];
        if (date_compare(e->day, today) != 0)
            e->messages_version = e->feed_version = UINT64_MAX;
    } else {
        if (c->used == c->cap) {
            /* full: start again (a morning's people refill it) */
            u64map_clear(&c->index);
            c->used = 0;
        }
        e = &c->slots[c->used++];
        u64map_put(&c->index, (uint64_t)p->person_id, c->used);
        e->messages_version = e->feed_version = UINT64_MAX;
    }
    notify_badge_t b = e->badge;
    int rc = 0;
    if (e->feed_version != fv)
        rc = count_feed(r, p, today, now, &b.notifications);
    if (rc >= 0 && e->messages_version != mv)
        rc = messages_unread(STORE_READER(r), p->person_id, &b.messages);
    if (rc < 0) {
        e->messages_version = e->feed_version = UINT64_MAX; /* half-computed: not kept */
        return rc;
    }
    e->badge = b;
    e->day = today;
    e->messages_version = mv;
    e->feed_version = fv;
    *out = b;
    return 0;
}

int notify_mark_seen(store_tx_t *tx, int64_t person_id, int64_t now)
{
    int rc = store_tx_exec(tx, "UPDATE notification_settings SET seen_at = ? WHERE person_id = ?",
                           STORE_ARGS(SA_INT(now), SA_INT(person_id)));
    if (rc == STORE_OK && store_tx_changes(tx) == 0)
        rc = store_tx_exec(tx, "INSERT INTO notification_settings (person_id, seen_at) VALUES (?, ?)",
                           STORE_ARGS(SA_INT(person_id), SA_INT(now)));
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, notify_seen_key(person_id));
    return rc;
}

static int digest_row(void *ud, const store_row_t *row)
{
    *(bool *)ud = store_row_int(row, 0) != 0;
    return 1;
}

int notify_digest_get(store_src_t src, int64_t person_id, bool *email_digest)
{
    *email_digest = false;
    int rc = store_query(src, "SELECT email_digest FROM notification_settings WHERE person_id = ?",
                         STORE_ARGS(SA_INT(person_id)), digest_row, email_digest);
    return rc < 0 ? rc : 0;
}

int notify_digest_set(store_tx_t *tx, int64_t person_id, bool email_digest)
{
    int rc = store_tx_exec(tx, "UPDATE notification_settings SET email_digest = ? WHERE person_id = ?",
                           STORE_ARGS(SA_INT(email_digest), SA_INT(person_id)));
    if (rc == STORE_OK && store_tx_changes(tx) == 0)
        rc = store_tx_exec(tx, "INSERT INTO notification_settings (person_id, email_digest) VALUES (?, ?)",
                           STORE_ARGS(SA_INT(person_id), SA_INT(email_digest)));
    return rc;
}
