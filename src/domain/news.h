/* news: a school's announcements and who has read them.
 *
 * Contract:
 * - An item goes to the whole school (everyone with a role in it, and the
 *   parents of its pupils), to its parents (audience `parents`: the school's
 *   parents, or one class's when class_id is set), or to one class (its pupils,
 *   their parents and its teachers). Who may publish where is policy's
 *   (POLICY_NEWS_PUBLISH); this module checks the text and that the class is
 *   the school's.
 * - Title 1..NEWS_TITLE_MAX and body 1..NEWS_BODY_MAX characters, both required,
 *   valid text. Refusals return NEWS_INVALID with the problem, writing nothing.
 * - What reaches a person is decided here, once, in SQL (news_for_person and
 *   news_visible share it): by their roles, their class, their children's
 *   classes, the classes they teach; the school's staff see all of its news and
 *   authors their own. Newest first.
 * - A read is recorded once per person (news_mark_read is idempotent). Read
 *   counts are "how many of the audience, author excluded, have read it", the
 *   audience counted on the day asked (disabled accounts left out).
 */
#ifndef CARTABLE_DOMAIN_NEWS_H
#define CARTABLE_DOMAIN_NEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/principal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"
#include "store/store.h"

enum { NEWS_INVALID = -30 };

#define NEWS_TITLE_MAX 200
#define NEWS_BODY_MAX 10000

typedef enum news_audience { NEWS_TO_SCHOOL = 0, NEWS_TO_CLASS, NEWS_TO_PARENTS } news_audience_t;

const char *news_audience_code(news_audience_t a); /* "school", "class", "parents" */
bool news_audience_parse(str_t s, news_audience_t *out);

typedef enum news_problem {
    NEWS_OK = 0,
    NEWS_TITLE_EMPTY,
    NEWS_TITLE_TOO_LONG,
    NEWS_BODY_EMPTY,
    NEWS_BODY_TOO_LONG,
    NEWS_BAD_TEXT,
    NEWS_BAD_AUDIENCE,
    NEWS_BAD_CLASS, /* no such class in the school, or none given for a class */
} news_problem_t;

const char *news_problem_code(news_problem_t p); /* "title_empty"... for the API */

typedef struct news_draft {
    int64_t school_id;
    news_audience_t audience;
    int64_t class_id; /* NEWS_TO_CLASS; optional for NEWS_TO_PARENTS */
    str_t title, body;
    int64_t author_id;
    int64_t now;
} news_draft_t;

typedef struct news_item {
    int64_t id;
    int64_t school_id;
    int64_t author_id;
    news_audience_t audience;
    int64_t class_id; /* 0: none */
    str_t class_name;
    str_t title, body;
    str_t author_name;
    int64_t published_at;
    bool unread; /* for the person asking */
} news_item_t;

/* Checks the text of a draft (not the class, which needs the store). */
news_problem_t news_check(const news_draft_t *d);
int news_publish(store_tx_t *tx, const news_draft_t *d, int64_t *id, news_problem_t *problem);

/* An item: 1 found, 0 none. unread is for reader_id. */
int news_get(store_src_t src, arena_t *a, int64_t id, int64_t reader_id, news_item_t *out);
/* Does the item reach this person (or may they see it as its author or staff)? */
int news_visible(store_src_t src, const principal_t *p, int64_t news_id, bool *visible);
/* What reaches the person, newest first, at most limit items. */
int news_for_person(store_src_t src, arena_t *a, const principal_t *p, int limit, news_item_t **out);
int news_unread_count(store_src_t src, const principal_t *p, int64_t *out);
/* Records that person_id has read the item (once). */
int news_mark_read(store_tx_t *tx, int64_t news_id, int64_t person_id, int64_t now);
/* How many of the audience (author excluded) have read it, and how many there are. */
int news_read_count(store_src_t src, const news_item_t *n, date_t today, int64_t *read, int64_t *audience);

/* Demo data (news_demo.c): a few announcements to the school, its parents and 5e B. */
int demo_news(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed);

#endif
