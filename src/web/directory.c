/* The directory pages: a school's overview and search, a class, a person, and the
 * account actions administrators take (activation letters, resets, disabling). */
#include <string.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/directory.h"
#include "domain/people.h"
#include "domain/school.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/template.h"

#define ACTIVATION_DAYS 60
#define PAGE_SIZE 50

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

/* Answers 404 for something that does not exist, 403 for what this person may
 * not see, 503 if the store failed; returns false in those cases. */
static bool found_and_allowed(request_t *r, int rc, const principal_t *p, policy_action_t action,
                              const policy_target_t *t)
{
    if (rc < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return false;
    }
    if (!policy_allows(p, action, t)) {
        respond_forbidden(r);
        return false;
    }
    return true;
}

static value_t *role_options(request_t *r, int selected)
{
    value_t *list = value_list(&r->arena);
    for (int i = 0; i < ROLE_COUNT; i++) {
        value_t *o = value_map(&r->arena);
        value_set_cstr(o, "code", role_code((role_t)i));
        value_set_cstr(o, "label", page_role_label(r, (role_t)i));
        value_set_bool(o, "selected", i == selected);
        value_push(list, o);
    }
    return list;
}

/* ---- a school ---- */

static void school_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    int64_t sid = request_param_int(r, "sid");
    school_t school;
    int rc = school_get(reader(r), &r->arena, sid, &school);
    policy_target_t t = policy_target_school(sid);
    if (!found_and_allowed(r, rc, p, POLICY_SCHOOL_DIRECTORY, &t))
        return;
    value_t *v = value_map(&r->arena);
    value_set_int(v, "school_id", sid);
    value_set_str(v, "school_name", school.name);
    value_set_cstr(v, "q", "");
    value_set(v, "roles", role_options(r, -1));
    value_t *counts = value_set_list(v, "counts");
    for (int i = 0; i < ROLE_COUNT; i++) {
        value_t *c = value_map(&r->arena);
        value_set_cstr(c, "label", page_role_label(r, (role_t)i));
        value_set_int(c, "count", people_count(STORE_READER(reader(r)), sid, i));
        value_push(counts, c);
    }
    school_year_t year;
    date_t today = date_today();
    value_t *classes = value_set_list(v, "classes");
    if (school_year_for(STORE_READER(reader(r)), &r->arena, sid, today, &year) == 1) {
        class_info_t *list;
        int n = classes_of_school(STORE_READER(reader(r)), &r->arena, sid, year.id, today, &list);
        for (int i = 0; i < n; i++) {
            value_t *c = value_map(&r->arena);
            value_set_int(c, "id", list[i].id);
            value_set_str(c, "name", list[i].name);
            value_set_str(c, "level", list[i].level);
            value_set_int(c, "pupils", list[i].pupils);
            value_push(classes, c);
        }
    }
    page_render(r, 200, TPL_admin_school, v);
}

static void people_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    int64_t sid = request_param_int(r, "sid");
    school_t school;
    int rc = school_get(reader(r), &r->arena, sid, &school);
    policy_target_t t = policy_target_school(sid);
    if (!found_and_allowed(r, rc, p, POLICY_SCHOOL_DIRECTORY, &t))
        return;
    if (!request_query_valid(r)) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return;
    }
    str_t q = request_query(r, "q"), role_s = request_query(r, "role"), off_s = request_query(r, "offset");
    role_t role;
    int role_i = role_s.len && role_parse(role_s, &role) ? (int)role : -1;
    int64_t offset = 0;
    if (off_s.len && (!str_to_i64(off_s, &offset) || offset < 0 || offset > 1000000)) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return;
    }
    if (q.len > 100)
        q.len = 100;
    person_query_t query = {.school_id = sid, .role = role_i, .text = q.ptr ? q : STR(""), .limit = PAGE_SIZE,
                            .offset = (int)offset};
    person_t *people;
    int64_t total = 0;
    int n = person_search(STORE_READER(reader(r)), &r->arena, &query, &people, &total);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_int(v, "school_id", sid);
    value_set_str(v, "school_name", school.name);
    value_set_str(v, "q", query.text);
    value_set_cstr(v, "role", role_i >= 0 ? role_code((role_t)role_i) : "");
    value_set(v, "roles", role_options(r, role_i));
    value_set_int(v, "total", total);
    value_t *list = value_set_list(v, "people");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", people[i].id);
        value_set_str(m, "first_name", people[i].first_name);
        value_set_str(m, "last_name", people[i].last_name);
        value_set_str(m, "login", people[i].login);
        value_set_cstr(m, "status", page_account_status(r, &people[i]));
        value_push(list, m);
    }
    if (offset > 0) {
        value_set_bool(v, "prev_offset_set", true);
        value_set_int(v, "prev_offset", offset > PAGE_SIZE ? offset - PAGE_SIZE : 0);
    }
    if (offset + n < total)
        value_set_int(v, "next_offset", offset + n);
    page_render(r, 200, TPL_admin_people, v);
}

/* ---- a class ---- */

static void class_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    int64_t cid = request_param_int(r, "id");
    policy_target_t t;
    int rc = policy_target_class(reader(r), &r->arena, cid, &t);
    if (!found_and_allowed(r, rc, p, POLICY_CLASS_ROSTER, &t))
        return;
    class_info_t c;
    class_get(STORE_READER(reader(r)), &r->arena, cid, &c);
    policy_target_t school_target = policy_target_school(c.school_id);
    bool accounts = policy_allows(p, POLICY_SCHOOL_ACCOUNTS, &school_target);
    person_t *pupils;
    int n = class_roster(STORE_READER(reader(r)), &r->arena, cid, date_today(), &pupils);
    teaching_t *teachers;
    int nt = teaching_of_class(STORE_READER(reader(r)), &r->arena, cid, &teachers);
    if (n < 0 || nt < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_t *cv = value_set_map(v, "class");
    value_set_int(cv, "id", c.id);
    value_set_str(cv, "name", c.name);
    value_set_int(v, "count", n);
    value_set_bool(v, "show_accounts", accounts);
    value_set_bool(v, "can_print", accounts);
    value_t *tl = value_set_list(v, "teachers");
    for (int i = 0; i < nt; i++) {
        value_t *m = value_map(&r->arena);
        value_set_str(m, "subject_name", teachers[i].subject_name);
        value_set_str(m, "teacher_name", teachers[i].teacher_name);
        value_push(tl, m);
    }
    value_t *list = value_set_list(v, "pupils");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", pupils[i].id);
        value_set_str(m, "first_name", pupils[i].first_name);
        value_set_str(m, "last_name", pupils[i].last_name);
        membership_t one;
        policy_target_t pt = policy_target_pupil(pupils[i].id, c.school_id, cid, &one);
        value_set_bool(m, "link", policy_allows(p, POLICY_PERSON_CARD, &pt));
        if (accounts) {
            value_set_cstr(m, "status", page_account_status(r, &pupils[i]));
            person_t *parents;
            int np = parents_of(STORE_READER(reader(r)), &r->arena, pupils[i].id, &parents);
            value_t *pl = value_set_list(m, "parents");
            for (int k = 0; k < np; k++) {
                value_t *pm = value_map(&r->arena);
                value_set_int(pm, "id", parents[k].id);
                value_set_str(pm, "first_name", parents[k].first_name);
                value_set_str(pm, "last_name", parents[k].last_name);
                value_set_cstr(pm, "status", page_account_status(r, &parents[k]));
                value_push(pl, pm);
            }
        }
        value_push(list, m);
    }
    page_render(r, 200, TPL_class, v);
}

/* ---- a person ---- */

static value_t *roles_view(request_t *r, const policy_target_t *t)
{
    value_t *list = value_list(&r->arena);
    for (int i = 0; i < t->nroles; i++) {
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "label", page_role_label(r, t->roles[i].role));
        value_set_str(m, "school", t->roles[i].school_name);
        value_push(list, m);
    }
    return list;
}

static void render_person(request_t *r, const principal_t *p, int64_t id, const char *notice)
{
    policy_target_t t;
    int rc = policy_target_person(reader(r), &r->arena, id, &t);
    if (!found_and_allowed(r, rc, p, POLICY_PERSON_CARD, &t))
        return;
    person_t person;
    if (person_get(STORE_READER(reader(r)), &r->arena, id, &person) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    bool account = policy_allows(p, POLICY_PERSON_ACCOUNT, &t);
    value_t *v = value_map(&r->arena);
    value_t *pv = value_set_map(v, "person");
    value_set_int(pv, "id", person.id);
    value_set_str(pv, "first_name", person.first_name);
    value_set_str(pv, "last_name", person.last_name);
    value_set(v, "roles", roles_view(r, &t));
    class_info_t c;
    if (t.class_id && class_get(STORE_READER(reader(r)), &r->arena, t.class_id, &c) == 1)
        value_set_str(v, "class_name", c.name);
    if (notice)
        value_set_cstr(v, "notice", notice);
    if (account) {
        value_set_bool(v, "account", true);
        value_set_str(pv, "login", person.login);
        value_set_str(pv, "email", person.email);
        value_set_str(pv, "birth_date", person.birth_date);
        value_set_bool(pv, "disabled", person.disabled);
        value_set_cstr(v, "status", page_account_status(r, &person));
        enrolment_t *hist;
        int nh = pupil_enrolments(STORE_READER(reader(r)), &r->arena, id, &hist);
        value_t *hl = value_set_list(v, "history");
        for (int i = 0; i < nh; i++) {
            value_t *h = value_map(&r->arena);
            value_set_str(h, "class_name", hist[i].class_.name);
            value_set_str(h, "starts_on", hist[i].starts_on);
            value_set_str(h, "ends_on", hist[i].ends_on);
            value_push(hl, h);
        }
        person_t *parents;
        int np = parents_of(STORE_READER(reader(r)), &r->arena, id, &parents);
        value_t *pl = value_set_list(v, "parents");
        for (int i = 0; i < np; i++) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", parents[i].id);
            value_set_str(m, "first_name", parents[i].first_name);
            value_set_str(m, "last_name", parents[i].last_name);
            value_push(pl, m);
        }
        child_info_t *kids;
        int nk = children_of(STORE_READER(reader(r)), &r->arena, id, date_today(), &kids);
        value_t *kl = value_set_list(v, "children");
        for (int i = 0; i < nk; i++) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", kids[i].person.id);
            value_set_str(m, "first_name", kids[i].person.first_name);
            value_set_str(m, "last_name", kids[i].person.last_name);
            value_set_str(m, "class_name", kids[i].class_name);
            value_push(kl, m);
        }
    }
    value_set_bool(v, "manage", policy_allows(p, POLICY_PERSON_MANAGE, &t));
    page_render(r, 200, TPL_person, v);
}

static void person_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    render_person(r, p, request_param_int(r, "id"), NULL);
}

/* ---- account actions ---- */

typedef struct letter {
    int64_t person_id;
    str_t first_name, last_name, login;
    char code[ACTIVATION_CODE_LEN + 1];
    char hash[ACTIVATION_HASH_LEN + 1];
} letter_t;

typedef struct letters_job {
    letter_t *letters;
    int n;
    int64_t expires_at;
    bool reset; /* one person's reset: the password goes too */
    str_t school_name;
    str_t back;
} letters_job_t;

static int letters_write(store_tx_t *tx, void *ud)
{
    letters_job_t *j = ud;
    for (int i = 0; i < j->n; i++) {
        int rc = j->reset ? person_reset_account(tx, j->letters[i].person_id, j->letters[i].hash, j->expires_at)
                          : person_set_activation(tx, j->letters[i].person_id, j->letters[i].hash, j->expires_at);
        if (rc < 0)
            return rc;
    }
    return STORE_OK;
}

static str_t site_address(request_t *r)
{
    h2o_req_t *req = r->h2o;
    return str_from(arena_printf(&r->arena, "%s://%.*s/", r->app->config->secure_cookies ? "https" : "http",
                                 (int)req->authority.len, req->authority.base));
}

static void letters_written(request_t *r, void *ud, int status)
{
    letters_job_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("activation letters issued", "count=%d by=%lld", j->n, (long long)r->principal->person_id);
    value_t *v = value_map(&r->arena);
    value_set_int(v, "count", j->n);
    value_set_str(v, "back", j->back);
    char expires[11];
    date_format_iso(date_of_instant(j->expires_at), expires);
    str_t address = site_address(r);
    value_t *list = value_set_list(v, "letters");
    for (int i = 0; i < j->n; i++) {
        letter_t *l = &j->letters[i];
        value_t *m = value_map(&r->arena);
        value_set_str(m, "school_name", j->school_name);
        value_set_cstr(m, "name", arena_printf(&r->arena, "%.*s %.*s", (int)l->first_name.len, l->first_name.ptr,
                                               (int)l->last_name.len, l->last_name.ptr));
        value_set_str(m, "login", l->login);
        value_set_cstr(m, "code", l->code);
        value_set_cstr(m, "expires", arena_strdup(&r->arena, expires));
        value_set_str(m, "address", address);
        value_push(list, m);
    }
    response_header_cstr(r, "cache-control", "no-store");
    page_render(r, 200, TPL_letters, v);
}

static void add_letter(request_t *r, letters_job_t *j, int cap, const person_t *person)
{
    if (person->activated || person->disabled || j->n == cap)
        return;
    for (int i = 0; i < j->n; i++)
        if (j->letters[i].person_id == person->id)
            return; /* a parent of two pupils of the class gets one letter */
    letter_t *l = &j->letters[j->n++];
    l->person_id = person->id;
    l->first_name = person->first_name;
    l->last_name = person->last_name;
    l->login = person->login;
    activation_code_new(l->code);
    activation_code_hash(str_from(l->code), l->hash);
}

static void class_letters(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    int64_t cid = request_param_int(r, "id");
    class_info_t c;
    int rc = class_get(STORE_READER(reader(r)), &r->arena, cid, &c);
    policy_target_t t = policy_target_school(rc == 1 ? c.school_id : 0);
    if (!found_and_allowed(r, rc, p, POLICY_SCHOOL_ACCOUNTS, &t))
        return;
    if (!request_form(r))
        return;
    person_t *pupils;
    int n = class_roster(STORE_READER(reader(r)), &r->arena, cid, date_today(), &pupils);
    if (n < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    int cap = n * 3 + 1;
    letters_job_t *j = ARENA_NEW(&r->arena, letters_job_t);
    j->letters = ARENA_ARRAY(&r->arena, letter_t, cap);
    j->expires_at = clock_now() + ACTIVATION_DAYS * 24 * 3600;
    j->back = str_from(arena_printf(&r->arena, "/classes/%lld", (long long)cid));
    school_t school;
    j->school_name = school_get(reader(r), &r->arena, c.school_id, &school) == 1 ? school.name : STR("");
    for (int i = 0; i < n; i++) {
        add_letter(r, j, cap, &pupils[i]);
        person_t *parents;
        int np = parents_of(STORE_READER(reader(r)), &r->arena, pupils[i].id, &parents);
        for (int k = 0; k < np; k++)
            add_letter(r, j, cap, &parents[k]);
    }
    if (request_store_write(r, letters_write, j, letters_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* Loads the target person and checks POLICY_PERSON_MANAGE; answers otherwise. */
static bool manageable(request_t *r, const principal_t *p, int64_t id, person_t *out)
{
    policy_target_t t;
    int rc = policy_target_person(reader(r), &r->arena, id, &t);
    if (!found_and_allowed(r, rc, p, POLICY_PERSON_MANAGE, &t))
        return false;
    if (person_get(STORE_READER(reader(r)), &r->arena, id, out) != 1) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return false;
    }
    return true;
}

static void person_reset(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    person_t person;
    if (!manageable(r, p, request_param_int(r, "id"), &person))
        return;
    if (!request_form(r))
        return;
    letters_job_t *j = ARENA_NEW(&r->arena, letters_job_t);
    j->letters = ARENA_ARRAY(&r->arena, letter_t, 1);
    j->reset = true;
    j->expires_at = clock_now() + ACTIVATION_DAYS * 24 * 3600;
    j->back = str_from(arena_printf(&r->arena, "/people/%lld", (long long)person.id));
    membership_t *m;
    int nm = memberships_of(STORE_READER(reader(r)), &r->arena, person.id, &m);
    j->school_name = nm > 0 ? m[0].school_name : STR("");
    person.activated = false;
    person.disabled = false;
    add_letter(r, j, 1, &person);
    if (request_store_write(r, letters_write, j, letters_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

typedef struct disable_job {
    int64_t id;
    bool disable;
} disable_job_t;

static int disable_write(store_tx_t *tx, void *ud)
{
    disable_job_t *d = ud;
    return person_set_disabled(tx, d->id, d->disable);
}

static void disable_written(request_t *r, void *ud, int status)
{
    disable_job_t *d = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO(d->disable ? "account disabled" : "account enabled", "person=%lld by=%lld", (long long)d->id,
             (long long)r->principal->person_id);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/people/%lld", (long long)d->id)));
}

static void set_disabled(request_t *r, bool disable)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    person_t person;
    if (!manageable(r, p, request_param_int(r, "id"), &person))
        return;
    if (!request_form(r))
        return;
    disable_job_t *d = ARENA_NEW(&r->arena, disable_job_t);
    d->id = person.id;
    d->disable = disable;
    if (request_store_write(r, disable_write, d, disable_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

static void person_disable(request_t *r) { set_disabled(r, true); }
static void person_enable(request_t *r) { set_disabled(r, false); }

int directory_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/admin/schools/{sid:int}", HANDLER(school_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/admin/schools/{sid:int}/people", HANDLER(people_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/classes/{id:int}", HANDLER(class_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/classes/{id:int}/letters", HANDLER(class_letters), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/people/{id:int}", HANDLER(person_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/people/{id:int}/reset", HANDLER(person_reset), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/people/{id:int}/disable", HANDLER(person_disable), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/people/{id:int}/enable", HANDLER(person_enable), NULL, 0, err, errlen))
        return -1;
    return 0;
}
