/* The news API: what reaches the caller, one item (recording the read), and
 * publishing. The same rules as the pages (web/news.c). */
#include <string.h>

#include "api/api.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/news.h"

#define LIST_LIMIT 100

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

static value_t *item_json(request_t *r, const news_item_t *n, bool body)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", n->id);
    value_set_int(m, "school_id", n->school_id);
    value_set_cstr(m, "audience", news_audience_code(n->audience));
    if (n->class_id) {
        value_t *c = value_set_map(m, "class");
        value_set_int(c, "id", n->class_id);
        value_set_str(c, "name", n->class_name);
    } else {
        value_set(m, "class", value_null(&r->arena));
    }
    value_set_str(m, "title", n->title);
    if (body)
        value_set_str(m, "body", n->body);
    value_t *a = value_set_map(m, "author");
    value_set_int(a, "id", n->author_id);
    value_set_str(a, "name", n->author_name);
    value_set_int(m, "published_at", n->published_at);
    value_set_bool(m, "unread", n->unread);
    return m;
}

static void api_news_list(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    news_item_t *items;
    int64_t unread = 0;
    int n = news_for_person(STORE_READER(reader(r)), &r->arena, p, LIST_LIMIT, &items);
    if (n < 0 || news_unread_count(STORE_READER(reader(r)), p, &unread) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_int(root, "unread", unread);
    value_t *list = value_set_list(root, "news");
    for (int i = 0; i < n; i++)
        value_push(list, item_json(r, &items[i], false));
    respond_json(r, 200, root);
}

typedef struct api_read {
    news_item_t item;
    int64_t person_id;
} api_read_t;

static void respond_item(request_t *r, const principal_t *p, const news_item_t *n, int status)
{
    value_t *v = item_json(r, n, true);
    if (news_sees_reads(p, n)) {
        int64_t read = 0, audience = 0;
        if (news_read_count(STORE_READER(reader(r)), n, date_today(), &read, &audience) == STORE_OK) {
            value_t *rv = value_set_map(v, "reads");
            value_set_int(rv, "read", read);
            value_set_int(rv, "audience", audience);
        }
    }
    respond_json(r, status, v);
}

static int read_write(store_tx_t *tx, void *ud)
{
    api_read_t *j = ud;
    return news_mark_read(tx, j->item.id, j->person_id, clock_now());
}

static void read_written(request_t *r, void *ud, int status)
{
    api_read_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    j->item.unread = false;
    respond_item(r, r->principal, &j->item, 200);
}

static void api_news_item(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    api_read_t *j = ARENA_NEW(&r->arena, api_read_t);
    int rc = news_get(STORE_READER(reader(r)), &r->arena, request_param_int(r, "id"), p->person_id, &j->item);
    bool visible = false;
    if (rc == 1 && news_visible(STORE_READER(reader(r)), p, j->item.id, &visible) < 0)
        rc = STORE_ERROR;
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (!visible) {
        respond_forbidden(r);
        return;
    }
    if (!j->item.unread) {
        respond_item(r, p, &j->item, 200);
        return;
    }
    j->person_id = p->person_id;
    if (request_store_write(r, read_write, j, read_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

typedef struct api_publish {
    news_draft_t draft;
    int64_t id;
    news_problem_t problem;
} api_publish_t;

static void refuse(request_t *r, news_problem_t problem)
{
    respond_error(r, 400, news_problem_msg(problem), news_problem_code(problem));
}

static int publish_write(store_tx_t *tx, void *ud)
{
    api_publish_t *j = ud;
    return news_publish(tx, &j->draft, &j->id, &j->problem);
}

static void publish_written(request_t *r, void *ud, int status)
{
    api_publish_t *j = ud;
    if (status == NEWS_INVALID) {
        refuse(r, j->problem);
        return;
    }
    news_item_t n;
    if (status < 0 || news_get(STORE_READER(reader(r)), &r->arena, j->id, r->principal->person_id, &n) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("news published", "news=%lld audience=%s school=%lld class=%lld by=%lld", (long long)j->id,
             news_audience_code(j->draft.audience), (long long)j->draft.school_id, (long long)j->draft.class_id,
             (long long)j->draft.author_id);
    response_header(r, "location", str_from(arena_printf(&r->arena, "/api/v1/news/%lld", (long long)j->id)));
    respond_item(r, r->principal, &n, 201);
}

static void api_news_publish(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    json_t *body = request_json(r);
    if (!body)
        return;
    static const char shape[] = "expected {\"title\": string, \"body\": string, \"audience\": \"school\"|\"parents\"|"
                                "\"class\", \"school_id\": id (optional), \"class_id\": id (class; optional for "
                                "parents)}";
    json_t *title = json_object_get(body, "title"), *text = json_object_get(body, "body");
    json_t *aud = json_object_get(body, "audience"), *sid = json_object_get(body, "school_id");
    json_t *cid = json_object_get(body, "class_id");
    if (!json_is_object(body) || !json_is_string(title) || !json_is_string(text) || !json_is_string(aud) ||
        (sid && !json_is_integer(sid) && !json_is_null(sid)) || (cid && !json_is_integer(cid) && !json_is_null(cid))) {
        respond_error(r, 400, MSG_error_bad_input, shape);
        return;
    }
    api_publish_t *j = ARENA_NEW(&r->arena, api_publish_t);
    news_draft_t *d = &j->draft;
    if (!news_audience_parse((str_t){json_string_value(aud), json_string_length(aud)}, &d->audience)) {
        refuse(r, NEWS_BAD_AUDIENCE);
        return;
    }
    d->title = (str_t){json_string_value(title), json_string_length(title)};
    d->body = (str_t){json_string_value(text), json_string_length(text)};
    d->school_id = json_is_integer(sid) ? json_integer_value(sid) : 0;
    d->class_id = json_is_integer(cid) ? json_integer_value(cid) : 0;
    d->author_id = p->person_id;
    d->now = clock_now();
    if (d->audience == NEWS_TO_SCHOOL && d->class_id) {
        refuse(r, NEWS_BAD_CLASS);
        return;
    }
    if (d->audience == NEWS_TO_CLASS && d->class_id <= 0) {
        refuse(r, NEWS_BAD_CLASS);
        return;
    }
    if (!d->class_id && !d->school_id)
        d->school_id = principal_main_school(p);
    int may = news_may_publish(r, p, d);
    if (may < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (may == NEWS_NO_TARGET) {
        respond_error(r, 404, MSG_error_not_found, d->class_id ? "no such class" : "no such school");
        return;
    }
    if (may == 0) {
        respond_forbidden(r);
        return;
    }
    news_problem_t problem = news_check(d);
    if (problem != NEWS_OK) {
        refuse(r, problem);
        return;
    }
    if (request_store_write(r, publish_write, j, publish_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

int news_api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1/news", HANDLER(api_news_list), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/news", HANDLER(api_news_publish), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/news/{id:int}", HANDLER(api_news_item), NULL, ROUTE_API, err, errlen))
        return -1;
    return 0;
}
