/* News pages: what reaches the signed-in person, one announcement (which records
 * the read), and the publishing form, whose audience list holds only what policy
 * allows this person. */
#include "web/news.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "domain/directory.h"
#include "domain/school.h"
#include "domain/timetable.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/attendance.h"
#include "web/page.h"
#include "web/template.h"

#define LIST_LIMIT 50

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

static const char *msg(request_t *r, msg_id_t id)
{
    return i18n_text((lang_id_t)r->lang, id);
}

static const char *msg_arg(request_t *r, msg_id_t id, const char *arg)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    const char *args[1] = {arg};
    i18n_format(&b, (lang_id_t)r->lang, id, args, 1);
    return b.data;
}

msg_id_t news_problem_msg(news_problem_t p)
{
    switch (p) {
    case NEWS_TITLE_EMPTY: return MSG_news_error_title_empty;
    case NEWS_TITLE_TOO_LONG: return MSG_news_error_title_too_long;
    case NEWS_BODY_EMPTY: return MSG_news_error_body_empty;
    case NEWS_BODY_TOO_LONG: return MSG_news_error_body_too_long;
    case NEWS_BAD_TEXT: return MSG_news_error_bad_text;
    case NEWS_BAD_AUDIENCE: return MSG_news_error_bad_audience;
    case NEWS_BAD_CLASS: return MSG_news_error_bad_class;
    case NEWS_OK: break;
    }
    return MSG_error_bad_input;
}

int news_may_publish(request_t *r, const principal_t *p, news_draft_t *d)
{
    policy_target_t t;
    if (d->class_id) {
        int rc = policy_target_class(reader(r), &r->arena, d->class_id, &t);
        if (rc < 0)
            return rc;
        if (rc == 0 || (d->school_id && d->school_id != t.school_id))
            return NEWS_NO_TARGET;
        d->school_id = t.school_id;
    } else {
        school_t s;
        int rc = d->school_id ? school_get(reader(r), &r->arena, d->school_id, &s) : 0;
        if (rc < 0)
            return rc;
        if (rc == 0)
            return NEWS_NO_TARGET;
        t = policy_target_school(d->school_id);
    }
    return policy_allows(p, POLICY_NEWS_PUBLISH, &t) ? 1 : 0;
}

bool news_sees_reads(const principal_t *p, const news_item_t *n)
{
    policy_target_t t = policy_target_school(n->school_id);
    return p->person_id == n->author_id || policy_allows(p, POLICY_SCHOOL_LIFE, &t);
}

static const char *audience_label(request_t *r, const news_item_t *n)
{
    const char *cls = arena_strndup(&r->arena, n->class_name.ptr ? n->class_name.ptr : "", n->class_name.len);
    switch (n->audience) {
    case NEWS_TO_CLASS: return msg_arg(r, MSG_news_to_class, cls);
    case NEWS_TO_PARENTS: return n->class_id ? msg_arg(r, MSG_news_to_parents_of, cls) : msg(r, MSG_news_to_parents);
    case NEWS_TO_SCHOOL: break;
    }
    return msg(r, MSG_news_to_school);
}


/* ---- the publishing choices ---- */

typedef struct audience_option {
    news_audience_t audience;
    int64_t school_id, class_id;
    const char *value, *label;
} audience_option_t;

/* Every audience this person may publish to: the school and its parents where
 * they are staff, each class policy lets them address. */
static int audience_options(request_t *r, const principal_t *p, audience_option_t **out)
{
    int cap = 8, n = 0;
    audience_option_t *o = ARENA_ARRAY(&r->arena, audience_option_t, (size_t)cap);
    date_t today = date_today();
    for (int i = 0; i < p->nroles; i++) {
        int64_t sid = p->roles[i].school_id;
        bool seen = false;
        for (int k = 0; k < i; k++)
            seen = seen || p->roles[k].school_id == sid;
        policy_target_t st = policy_target_school(sid);
        if (seen || !policy_allows(p, POLICY_NEWS_PUBLISH, &st))
            continue;
        school_year_t year;
        class_info_t *classes = NULL;
        int nc = school_year_for(STORE_READER(reader(r)), &r->arena, sid, today, &year) == 1
                     ? classes_of_school(STORE_READER(reader(r)), &r->arena, sid, year.id, today, &classes)
                     : 0;
        if (nc < 0)
            return nc;
        if (n + nc + 2 > cap) {
            int grown_cap = (n + nc + 2) * 2;
            audience_option_t *grown = ARENA_ARRAY(&r->arena, audience_option_t, (size_t)grown_cap);
            memcpy(grown, o, sizeof *o * (size_t)n);
            o = grown;
            cap = grown_cap;
        }
        const char *school = arena_strndup(&r->arena, p->roles[i].school_name.ptr ? p->roles[i].school_name.ptr : "",
                                           p->roles[i].school_name.len);
        o[n++] = (audience_option_t){NEWS_TO_SCHOOL, sid, 0, arena_printf(&r->arena, "school-%lld", (long long)sid),
                                     msg_arg(r, MSG_news_audience_school, school)};
        o[n++] = (audience_option_t){NEWS_TO_PARENTS, sid, 0, arena_printf(&r->arena, "parents-%lld", (long long)sid),
                                     msg_arg(r, MSG_news_audience_parents, school)};
        for (int k = 0; k < nc; k++) {
            const char *name = arena_strndup(&r->arena, classes[k].name.ptr, classes[k].name.len);
            o[n++] = (audience_option_t){NEWS_TO_CLASS, sid, classes[k].id,
                                         arena_printf(&r->arena, "class-%lld", (long long)classes[k].id),
                                         msg_arg(r, MSG_news_audience_class, name)};
        }
    }
    for (int i = 0; i < p->ntaught_classes; i++) {
        int64_t cid = p->taught_classes[i];
        bool seen = false;
        for (int k = 0; k < n && !seen; k++)
            seen = o[k].class_id == cid;
        policy_target_t ct;
        class_info_t c;
        if (seen || policy_target_class(reader(r), &r->arena, cid, &ct) != 1 ||
            !policy_allows(p, POLICY_NEWS_PUBLISH, &ct) ||
            class_get(STORE_READER(reader(r)), &r->arena, cid, &c) != 1)
            continue;
        if (n == cap) {
            audience_option_t *grown = ARENA_ARRAY(&r->arena, audience_option_t, (size_t)cap * 2);
            memcpy(grown, o, sizeof *o * (size_t)n);
            o = grown;
            cap *= 2;
        }
        o[n++] = (audience_option_t){NEWS_TO_CLASS, c.school_id, cid,
                                     arena_printf(&r->arena, "class-%lld", (long long)cid),
                                     msg_arg(r, MSG_news_audience_class,
                                             arena_strndup(&r->arena, c.name.ptr, c.name.len))};
    }
    *out = o;
    return n;
}

/* "school-12", "parents-12", "class-34": false on anything else. */
static bool parse_audience(str_t v, news_draft_t *d)
{
    str_t rest;
    str_t kind = str_cut(v, '-', &rest);
    int64_t id;
    if (!rest.ptr || !str_to_i64(rest, &id) || id <= 0)
        return false;
    if (str_eq_cstr(kind, "school") || str_eq_cstr(kind, "parents")) {
        d->audience = str_eq_cstr(kind, "school") ? NEWS_TO_SCHOOL : NEWS_TO_PARENTS;
        d->school_id = id;
        d->class_id = 0;
        return true;
    }
    if (str_eq_cstr(kind, "class")) {
        d->audience = NEWS_TO_CLASS;
        d->school_id = 0;
        d->class_id = id;
        return true;
    }
    return false;
}

/* ---- the list ---- */

static void news_list_page(request_t *r)
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
    audience_option_t *opts;
    int nopts = audience_options(r, p, &opts);
    value_t *v = value_map(&r->arena);
    value_set_int(v, "unread", unread);
    value_set_bool(v, "can_publish", nopts > 0);
    value_t *list = value_set_list(v, "items");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", items[i].id);
        value_set_str(m, "title", items[i].title);
        value_set_str(m, "author_name", items[i].author_name);
        value_set_cstr(m, "audience_label", audience_label(r, &items[i]));
        value_set_cstr(m, "published", page_instant_label(r, items[i].published_at));
        value_set_bool(m, "unread", items[i].unread);
        value_push(list, m);
    }
    page_render(r, 200, TPL_news_list, v);
}

/* ---- one item ---- */

typedef struct read_job {
    news_item_t item;
    int64_t person_id;
} read_job_t;

static void render_item(request_t *r, const principal_t *p, const news_item_t *n)
{
    value_t *v = value_map(&r->arena);
    value_t *iv = value_set_map(v, "item");
    value_set_int(iv, "id", n->id);
    value_set_str(iv, "title", n->title);
    value_set_str(iv, "body", n->body);
    value_set_str(iv, "author_name", n->author_name);
    value_set_cstr(iv, "audience_label", audience_label(r, n));
    value_set_cstr(iv, "published", page_instant_label(r, n->published_at));
    value_set_bool(v, "published", request_query(r, "published").ptr != NULL);
    if (news_sees_reads(p, n)) {
        int64_t read = 0, audience = 0;
        if (news_read_count(STORE_READER(reader(r)), n, date_today(), &read, &audience) == STORE_OK) {
            value_t *rv = value_set_map(v, "reads");
            value_set_int(rv, "read", read);
            value_set_int(rv, "audience", audience);
        }
    }
    page_render(r, 200, TPL_news_item, v);
}

static int read_write(store_tx_t *tx, void *ud)
{
    read_job_t *j = ud;
    return news_mark_read(tx, j->item.id, j->person_id, clock_now());
}

static void read_written(request_t *r, void *ud, int status)
{
    read_job_t *j = ud;
    /* The read receipt is a side effect: failing it does not hide the news. */
    if (status < 0)
        LOG_WARN("news read not recorded", "news=%lld person=%lld status=%d", (long long)j->item.id,
                 (long long)j->person_id, status);
    render_item(r, r->principal, &j->item);
}

static void news_item_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    read_job_t *j = ARENA_NEW(&r->arena, read_job_t);
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
        render_item(r, p, &j->item);
        return;
    }
    j->person_id = p->person_id;
    if (request_store_write(r, read_write, j, read_written) != 0)
        render_item(r, p, &j->item);
}

/* ---- publishing ---- */

typedef struct publish_job {
    news_draft_t draft;
    str_t audience_value;
    int64_t id;
    news_problem_t problem;
} publish_job_t;

static void render_form(request_t *r, const principal_t *p, int status, const publish_job_t *j, const char *error)
{
    audience_option_t *opts;
    int n = audience_options(r, p, &opts);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    if (n == 0) {
        respond_forbidden(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_str(v, "title", j ? j->draft.title : STR(""));
    value_set_str(v, "body", j ? j->draft.body : STR(""));
    if (error)
        value_set_cstr(v, "error", error);
    value_t *list = value_set_list(v, "options");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "value", opts[i].value);
        value_set_cstr(m, "label", opts[i].label);
        value_set_bool(m, "selected", j && str_eq_cstr(j->audience_value, opts[i].value));
        value_push(list, m);
    }
    page_render(r, status, TPL_news_new, v);
}

static void news_new_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    render_form(r, p, 200, NULL, NULL);
}

static int publish_write(store_tx_t *tx, void *ud)
{
    publish_job_t *j = ud;
    return news_publish(tx, &j->draft, &j->id, &j->problem);
}

static void publish_written(request_t *r, void *ud, int status)
{
    publish_job_t *j = ud;
    if (status == NEWS_INVALID) {
        render_form(r, r->principal, 400, j, msg(r, news_problem_msg(j->problem)));
        return;
    }
    if (status < 0) {
        render_form(r, r->principal, 503, j, msg(r, MSG_error_unavailable));
        return;
    }
    LOG_INFO("news published", "news=%lld audience=%s school=%lld class=%lld by=%lld", (long long)j->id,
             news_audience_code(j->draft.audience), (long long)j->draft.school_id, (long long)j->draft.class_id,
             (long long)j->draft.author_id);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/news/%lld?published=1", (long long)j->id)));
}

static void news_new_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *form = request_form(r);
    if (!form)
        return;
    publish_job_t *j = ARENA_NEW(&r->arena, publish_job_t);
    str_t title = form_get(form, "title"), body = form_get(form, "body"), aud = form_get(form, "audience");
    j->draft.title = title.ptr ? title : STR("");
    j->draft.body = body.ptr ? body : STR("");
    j->audience_value = aud.ptr ? aud : STR("");
    j->draft.author_id = p->person_id;
    j->draft.now = clock_now();
    if (!parse_audience(j->audience_value, &j->draft)) {
        render_form(r, p, 400, j, msg(r, MSG_news_error_bad_audience));
        return;
    }
    int may = news_may_publish(r, p, &j->draft);
    if (may < 0) {
        render_form(r, p, 503, j, msg(r, MSG_error_unavailable));
        return;
    }
    if (may == NEWS_NO_TARGET) {
        render_form(r, p, 400, j, msg(r, MSG_news_error_bad_class));
        return;
    }
    if (may == 0) {
        /* The draft is handed back with the refusal, so nothing typed is lost. */
        render_form(r, p, 403, j, msg(r, MSG_news_error_not_allowed));
        return;
    }
    news_problem_t problem = news_check(&j->draft);
    if (problem != NEWS_OK) {
        render_form(r, p, 400, j, msg(r, news_problem_msg(problem)));
        return;
    }
    if (request_store_write(r, publish_write, j, publish_written) != 0)
        render_form(r, p, 503, j, msg(r, MSG_error_unavailable));
}

int news_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/news", HANDLER(news_list_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/news/new", HANDLER(news_new_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/news/new", HANDLER(news_new_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/news/{id:int}", HANDLER(news_item_page), NULL, 0, err, errlen))
        return -1;
    return news_api_register_routes(router, err, errlen);
}
