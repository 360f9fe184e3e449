#include "domain/news.h"

#include "domain/dayview.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"

/* Each id list of the reach filter is cut at this length: more schools or
 * classes than this per person does not happen. */
#define REACH_IDS 32
#define REACH_ARGS (6 * REACH_IDS + 8)

const char *news_audience_code(news_audience_t a)
{
    switch (a) {
    case NEWS_TO_SCHOOL: return "school";
    case NEWS_TO_CLASS: return "class";
    case NEWS_TO_PARENTS: return "parents";
    }
    return "school";
}

bool news_audience_parse(str_t s, news_audience_t *out)
{
    static const news_audience_t all[] = {NEWS_TO_SCHOOL, NEWS_TO_CLASS, NEWS_TO_PARENTS};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (str_eq_cstr(s, news_audience_code(all[i]))) {
            *out = all[i];
            return true;
        }
    return false;
}

const char *news_problem_code(news_problem_t p)
{
    static const char *const codes[] = {
        [NEWS_OK] = "ok",
        [NEWS_TITLE_EMPTY] = "title_empty",
        [NEWS_TITLE_TOO_LONG] = "title_too_long",
        [NEWS_BODY_EMPTY] = "body_empty",
        [NEWS_BODY_TOO_LONG] = "body_too_long",
        [NEWS_BAD_TEXT] = "bad_text",
        [NEWS_BAD_AUDIENCE] = "bad_audience",
        [NEWS_BAD_CLASS] = "bad_class",
    };
    return (unsigned)p < sizeof codes / sizeof codes[0] && codes[p] ? codes[p] : "invalid";
}

news_problem_t news_check(const news_draft_t *d)
{
    if ((d->title.len && text_check(d->title.ptr, d->title.len) != TEXT_OK) ||
        (d->body.len && text_check(d->body.ptr, d->body.len) != TEXT_OK))
        return NEWS_BAD_TEXT;
    if (!d->title.ptr || str_is_blank(d->title))
        return NEWS_TITLE_EMPTY;
    str_t title = str_trim(d->title);
    if (utf8_length(title.ptr, title.len) > NEWS_TITLE_MAX)
        return NEWS_TITLE_TOO_LONG;
    /* A title is one line. */
    for (size_t i = 0; i < title.len; i++)
        if (title.ptr[i] == '\n' || title.ptr[i] == '\r')
            return NEWS_BAD_TEXT;
    if (!d->body.ptr || str_is_blank(d->body))
        return NEWS_BODY_EMPTY;
    if (utf8_length(d->body.ptr, d->body.len) > NEWS_BODY_MAX)
        return NEWS_BODY_TOO_LONG;
    if (d->audience != NEWS_TO_SCHOOL && d->audience != NEWS_TO_CLASS && d->audience != NEWS_TO_PARENTS)
        return NEWS_BAD_AUDIENCE;
    if (d->audience == NEWS_TO_CLASS && d->class_id <= 0)
        return NEWS_BAD_CLASS;
    if (d->audience == NEWS_TO_SCHOOL && d->class_id)
        return NEWS_BAD_CLASS;
    return NEWS_OK;
}

int news_publish(store_tx_t *tx, const news_draft_t *d, int64_t *id, news_problem_t *problem)
{
    if ((*problem = news_check(d)) != NEWS_OK)
        return NEWS_INVALID;
    if (d->class_id) {
        int64_t school = 0;
        int rc = store_int(STORE_TX(tx), "SELECT school_id FROM classes WHERE id = ?", STORE_ARGS(SA_INT(d->class_id)),
                           &school);
        if (rc < 0)
            return rc;
        if (rc == 0 || school != d->school_id) {
            *problem = NEWS_BAD_CLASS;
            return NEWS_INVALID;
        }
    }
    int rc = store_tx_exec(tx,
                           "INSERT INTO news (school_id, author_id, audience, class_id, title, body, published_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(d->school_id), SA_INT(d->author_id),
                                      SA_CSTR(news_audience_code(d->audience)),
                                      d->class_id ? SA_INT(d->class_id) : SA_NULL, SA_TEXT(str_trim(d->title)),
                                      SA_TEXT(d->body), SA_INT(d->now)));
    if (rc != STORE_OK)
        return rc;
    *id = store_tx_last_id(tx);
    /* dashboards cache what reaches each person: the school's news key moves */
    store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, school_news_key(d->school_id));
    return STORE_OK;
}

#define NEWS_SELECT                                                                                                    \
    "SELECT n.id, n.school_id, n.author_id, n.audience, COALESCE(n.class_id, 0), COALESCE(c.name, ''), n.title, "    \
    "n.body, p.first_name || ' ' || p.last_name, n.published_at, "                                                   \
    "CASE WHEN n.author_id = ? OR EXISTS (SELECT 1 FROM news_reads r WHERE r.news_id = n.id AND r.person_id = ?) "   \
    "THEN 0 ELSE 1 END FROM news n JOIN people p ON p.id = n.author_id LEFT JOIN classes c ON c.id = n.class_id "

static void fill_item(arena_t *a, const store_row_t *row, void *item)
{
    news_item_t *n = item;
    n->id = store_row_int(row, 0);
    n->school_id = store_row_int(row, 1);
    n->author_id = store_row_int(row, 2);
    news_audience_parse(store_row_text(row, 3), &n->audience);
    n->class_id = store_row_int(row, 4);
    n->class_name = store_row_text_copy(row, 5, a);
    n->title = store_row_text_copy(row, 6, a);
    n->body = store_row_text_copy(row, 7, a);
    n->author_name = store_row_text_copy(row, 8, a);
    n->published_at = store_row_int(row, 9);
    n->unread = store_row_int(row, 10) != 0;
}

int news_get(store_src_t src, arena_t *a, int64_t id, int64_t reader_id, news_item_t *out)
{
    return store_one(src, a, NEWS_SELECT "WHERE n.id = ?", STORE_ARGS(SA_INT(reader_id), SA_INT(reader_id), SA_INT(id)),
                     sizeof *out, fill_item, out);
}

/* ---- who an item reaches ---- */

typedef struct idset {
    int64_t ids[REACH_IDS];
    int n;
} idset_t;

static void idset_add(idset_t *s, int64_t id)
{
    if (id <= 0)
        return;
    for (int i = 0; i < s->n; i++)
        if (s->ids[i] == id)
            return;
    if (s->n < REACH_IDS)
        s->ids[s->n++] = id;
}

typedef struct reach {
    char sql[2048];
    store_arg_t args[REACH_ARGS + 4];
    size_t nargs;
} reach_t;

static void reach_list(reach_t *r, buf_t *b, const idset_t *s)
{
    buf_puts(b, "(0");
    for (int i = 0; i < s->n; i++) {
        buf_puts(b, ", ?");
        r->args[r->nargs++] = SA_INT(s->ids[i]);
    }
    buf_puts(b, ")");
}

/* The condition "item n reaches p" as SQL over the alias n, with its arguments. */
static void reach_build(reach_t *r, arena_t *a, const principal_t *p)
{
    idset_t staff = {0}, member = {0}, parent_schools = {0}, classes = {0}, child_classes = {0};
    for (int i = 0; i < p->nroles; i++) {
        const membership_t *m = &p->roles[i];
        idset_add(&member, m->school_id);
        if (m->role == ROLE_STAFF || m->role == ROLE_SCHOOL_ADMIN)
            idset_add(&staff, m->school_id);
        if (m->role == ROLE_PARENT)
            idset_add(&parent_schools, m->school_id);
    }
    for (int i = 0; i < p->nlearners; i++) {
        const learner_t *l = &p->learners[i];
        idset_add(&member, l->school_id);
        idset_add(&classes, l->class_id);
        if (l->pupil_id != p->person_id) {
            idset_add(&parent_schools, l->school_id);
            idset_add(&child_classes, l->class_id);
        }
    }
    for (int i = 0; i < p->ntaught_classes; i++)
        idset_add(&classes, p->taught_classes[i]);
    buf_t b;
    buf_init(&b, a, 512);
    r->nargs = 0;
    buf_puts(&b, "(n.author_id = ?");
    r->args[r->nargs++] = SA_INT(p->person_id);
    if (p->platform_admin) {
        buf_puts(&b, " OR 1 = 1");
    }
    buf_puts(&b, " OR n.school_id IN ");
    reach_list(r, &b, &staff);
    buf_puts(&b, " OR (n.audience = 'school' AND n.school_id IN ");
    reach_list(r, &b, &member);
    buf_puts(&b, ") OR (n.audience = 'class' AND n.class_id IN ");
    reach_list(r, &b, &classes);
    buf_puts(&b, ") OR (n.audience = 'parents' AND ((n.class_id IS NULL AND n.school_id IN ");
    reach_list(r, &b, &parent_schools);
    buf_puts(&b, ") OR n.class_id IN ");
    reach_list(r, &b, &child_classes);
    buf_puts(&b, ")))");
    snprintf(r->sql, sizeof r->sql, "%s", b.data);
}

int news_visible(store_src_t src, const principal_t *p, int64_t news_id, bool *visible)
{
    *visible = false;
    if (!p || p->disabled)
        return STORE_OK;
    arena_t a;
    arena_init(&a, NULL);
    reach_t *r = ARENA_NEW(&a, reach_t);
    reach_build(r, &a, p);
    char *sql = arena_printf(&a, "SELECT COUNT(*) FROM news n WHERE n.id = ? AND %s", r->sql);
    store_arg_t *args = ARENA_ARRAY(&a, store_arg_t, r->nargs + 1);
    args[0] = SA_INT(news_id);
    memcpy(args + 1, r->args, sizeof *args * r->nargs);
    int64_t n = 0;
    int rc = store_int(src, sql, args, r->nargs + 1, &n);
    arena_free(&a);
    if (rc < 0)
        return rc;
    *visible = n > 0;
    return STORE_OK;
}

int news_for_person(store_src_t src, arena_t *a, const principal_t *p, int limit, news_item_t **out)
{
    *out = NULL;
    if (!p || p->disabled)
        return 0;
    if (limit <= 0 || limit > 500)
        limit = 500;
    reach_t *r = ARENA_NEW(a, reach_t);
    reach_build(r, a, p);
    char *sql = arena_printf(a, NEWS_SELECT "WHERE %s ORDER BY n.published_at DESC, n.id DESC LIMIT %d", r->sql, limit);
    store_arg_t *args = ARENA_ARRAY(a, store_arg_t, r->nargs + 2);
    args[0] = SA_INT(p->person_id);
    args[1] = SA_INT(p->person_id);
    memcpy(args + 2, r->args, sizeof *args * r->nargs);
    return store_list(src, a, sql, args, r->nargs + 2, sizeof **out, fill_item, (void **)out);
}

int news_unread_count(store_src_t src, const principal_t *p, int64_t *out)
{
    *out = 0;
    if (!p || p->disabled)
        return STORE_OK;
    arena_t a;
    arena_init(&a, NULL);
    reach_t *r = ARENA_NEW(&a, reach_t);
    reach_build(r, &a, p);
    char *sql = arena_printf(&a,
                             "SELECT COUNT(*) FROM news n WHERE n.author_id <> ? AND NOT EXISTS (SELECT 1 FROM "
                             "news_reads x WHERE x.news_id = n.id AND x.person_id = ?) AND %s",
                             r->sql);
    store_arg_t *args = ARENA_ARRAY(&a, store_arg_t, r->nargs + 2);
    args[0] = SA_INT(p->person_id);
    args[1] = SA_INT(p->person_id);
    memcpy(args + 2, r->args, sizeof *args * r->nargs);
    int rc = store_int(src, sql, args, r->nargs + 2, out);
    arena_free(&a);
    return rc < 0 ? rc : STORE_OK;
}

int news_mark_read(store_tx_t *tx, int64_t news_id, int64_t person_id, int64_t now)
{
    int rc = store_tx_exec(tx,
                           "INSERT INTO news_reads (news_id, person_id, read_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (news_id, person_id) DO NOTHING",
                           STORE_ARGS(SA_INT(news_id), SA_INT(person_id), SA_INT(now)));
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(person_id)); /* their unread flags */
    return rc;
}

/* ---- read receipts ---- */

#define ENROLLED "e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?)"

/* The audience of an item as "SELECT person ids", with its arguments. */
static const char *audience_sql(const news_item_t *n, const char *d, store_arg_t *args, size_t *nargs)
{
    switch (n->audience) {
    case NEWS_TO_CLASS:
        args[(*nargs)++] = SA_INT(n->class_id);
        args[(*nargs)++] = SA_CSTR(d);
        args[(*nargs)++] = SA_CSTR(d);
        args[(*nargs)++] = SA_INT(n->class_id);
        args[(*nargs)++] = SA_CSTR(d);
        args[(*nargs)++] = SA_CSTR(d);
        args[(*nargs)++] = SA_INT(n->class_id);
        return "SELECT e.pupil_id FROM enrolments e WHERE e.class_id = ? AND " ENROLLED
               " UNION SELECT l.parent_id FROM parent_links l JOIN enrolments e ON e.pupil_id = l.child_id "
               "WHERE e.class_id = ? AND " ENROLLED " UNION SELECT t.teacher_id FROM teaching t WHERE t.class_id = ?";
    case NEWS_TO_PARENTS:
        if (n->class_id) {
            args[(*nargs)++] = SA_INT(n->class_id);
            args[(*nargs)++] = SA_CSTR(d);
            args[(*nargs)++] = SA_CSTR(d);
            return "SELECT l.parent_id FROM parent_links l JOIN enrolments e ON e.pupil_id = l.child_id "
                   "WHERE e.class_id = ? AND " ENROLLED;
        }
        args[(*nargs)++] = SA_INT(n->school_id);
        args[(*nargs)++] = SA_INT(n->school_id);
        args[(*nargs)++] = SA_CSTR(d);
        args[(*nargs)++] = SA_CSTR(d);
        return "SELECT m.person_id FROM memberships m WHERE m.school_id = ? AND m.role = 'parent' "
               "UNION SELECT l.parent_id FROM parent_links l JOIN enrolments e ON e.pupil_id = l.child_id "
               "JOIN classes c ON c.id = e.class_id WHERE c.school_id = ? AND " ENROLLED;
    case NEWS_TO_SCHOOL:
        break;
    }
    args[(*nargs)++] = SA_INT(n->school_id);
    args[(*nargs)++] = SA_INT(n->school_id);
    args[(*nargs)++] = SA_CSTR(d);
    args[(*nargs)++] = SA_CSTR(d);
    return "SELECT m.person_id FROM memberships m WHERE m.school_id = ? "
           "UNION SELECT l.parent_id FROM parent_links l JOIN enrolments e ON e.pupil_id = l.child_id "
           "JOIN classes c ON c.id = e.class_id WHERE c.school_id = ? AND " ENROLLED;
}

int news_read_count(store_src_t src, const news_item_t *n, date_t today, int64_t *read, int64_t *audience)
{
    char d[11];
    date_format_iso(today, d);
    char sql[1400];
    store_arg_t args[16];
    size_t nargs = 0;
    args[nargs++] = SA_INT(n->author_id);
    const char *who = audience_sql(n, d, args, &nargs);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM people p WHERE p.disabled = 0 AND p.id <> ? AND p.id IN (%s)", who);
    int rc = store_int(src, sql, args, nargs, audience);
    if (rc < 0)
        return rc;
    nargs = 0;
    args[nargs++] = SA_INT(n->id);
    args[nargs++] = SA_INT(n->author_id);
    who = audience_sql(n, d, args, &nargs);
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM news_reads r JOIN people p ON p.id = r.person_id WHERE r.news_id = ? "
             "AND p.disabled = 0 AND p.id <> ? AND p.id IN (%s)",
             who);
    rc = store_int(src, sql, args, nargs, read);
    return rc < 0 ? rc : STORE_OK;
}
