/* The home page and the language switch. */
#include "auth/policy.h"
#include "core/log.h"
#include "domain/directory.h"
#include "http/identity.h"
#include "http/worker.h"
#include "http/cookie.h"
#include "http/response.h"
#include "web/page.h"
#include "web/schoolday.h"
#include "web/template.h"

/* A signed-in person's starting page: what their roles give them. */
static void dashboard(request_t *r, const principal_t *p)
{
    value_t *v = value_map(&r->arena);
    store_reader_t *rd = r->worker->store_reader;
    if (principal_has_any_role(p, ROLE_PUPIL)) {
        value_t *pv = value_set_map(v, "pupil");
        const learner_t *self = principal_learner(p, p->person_id);
        if (self && self->class_id) {
            value_set_int(pv, "class_id", self->class_id);
            value_set_str(pv, "class_name", self->class_name);
        }
    }
    if (p->nchildren) {
        int64_t current = request_current_child(r);
        value_t *kids = value_set_list(v, "children");
        for (int i = 0; i < p->nchildren; i++) {
            const child_info_t *c = &p->children[i];
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", c->person.id);
            value_set_str(m, "first_name", c->person.first_name);
            value_set_str(m, "last_name", c->person.last_name);
            value_set_str(m, "class_name", c->class_name);
            value_set_str(m, "school_name", c->school_name);
            value_set_bool(m, "current", c->person.id == current);
            value_push(kids, m);
        }
    }
    if (principal_has_any_role(p, ROLE_TEACHER)) {
        value_set_bool(v, "teacher", true);
        teaching_t *t;
        int n = teaching_of_teacher(STORE_READER(rd), &r->arena, p->person_id, &t);
        value_t *list = value_set_list(v, "teaching");
        for (int i = 0; i < n; i++) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", t[i].id);
            value_set_int(m, "class_id", t[i].class_id);
            value_set_str(m, "target_name", t[i].target_name);
            value_set_str(m, "subject_name", t[i].subject_name);
            value_push(list, m);
        }
    }
    if (!schoolday_dashboard(r, p, v)) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    /* A pupil ticks their own homework; a parent reads it. */
    value_set_bool(v, "can_tick", principal_has_any_role(p, ROLE_PUPIL));
    value_set_cstr(v, "next", "/");
    for (int i = 0; i < p->nroles; i++) {
        policy_target_t t = policy_target_school(p->roles[i].school_id);
        if (policy_allows(p, POLICY_SCHOOL_DIRECTORY, &t)) {
            value_set_int(v, "admin_school", p->roles[i].school_id);
            break;
        }
    }
    page_render(r, 200, TPL_dashboard, v);
}

static void home(request_t *r)
{
    const principal_t *p = request_principal(r);
    if (p) {
        dashboard(r, p);
        return;
    }
    page_render(r, 200, TPL_home, value_map(&r->arena));
}

/* POST /lang: remembers the language in a cookie and goes back where the user was.
 * Works without JavaScript: the footer's form posts here. */
static void set_lang(request_t *r)
{
    form_t *f = request_form(r);
    if (!f)
        return;
    str_t code = form_get(f, "lang");
    int lang = code.ptr ? i18n_lang_from_code(code) : -1;
    if (lang < 0) {
        buf_t detail;
        buf_init(&detail, &r->arena, 64);
        const char *args[1] = {"lang"};
        i18n_format(&detail, (lang_id_t)r->lang, MSG_input_bad_choice, args, 1);
        respond_error(r, 400, MSG_error_bad_input, detail.data);
        return;
    }
    buf_t cookie;
    buf_init(&cookie, &r->arena, 96);
    cookie_attrs_t attrs = {.max_age = 400 * 24 * 3600, .path = "/", .http_only = true, .same_site = COOKIE_SAMESITE_LAX};
    cookie_format(&cookie, STR("lang"), str_from(i18n_lang_code((lang_id_t)lang)), &attrs);
    response_set_cookie(r, buf_str(&cookie));
    str_t next = form_get(f, "next");
    respond_redirect(r, 303, next.ptr ? next : STR("/"));
}

int web_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/", HANDLER(home), NULL, 0, err, errlen))
        return -1;
    if (!router_add(router, "POST", "/lang", HANDLER(set_lang), NULL, 0, err, errlen))
        return -1;
    return 0;
}
