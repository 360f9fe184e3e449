#include "web/page.h"

#include "core/clock.h"
#include "domain/school.h"
#include "auth/policy.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/attendance.h"
#include "web/template.h"
#include "domain/timetable.h"

const char *page_school_kind_label(request_t *r, str_t kind)
{
    static const struct {
        const char *kind;
        msg_id_t msg;
    } labels[] = {
        {"ecole", MSG_school_kind_ecole},         {"college", MSG_school_kind_college},
        {"lycee", MSG_school_kind_lycee},         {"lycee_pro", MSG_school_kind_lycee_pro},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (str_eq_cstr(kind, labels[i].kind))
            return i18n_text((lang_id_t)r->lang, labels[i].msg);
    return i18n_text((lang_id_t)r->lang, MSG_school_kind_autre);
}

const char *page_role_label(request_t *r, role_t role)
{
    static const msg_id_t labels[ROLE_COUNT] = {MSG_role_pupil, MSG_role_parent, MSG_role_teacher, MSG_role_staff,
                                                MSG_role_school_admin};
    return i18n_text((lang_id_t)r->lang, (unsigned)role < ROLE_COUNT ? labels[role] : MSG_role_staff);
}

str_t page_safe_next(str_t next, str_t fallback)
{
    if (next.len == 0 || next.ptr[0] != '/' || (next.len > 1 && (next.ptr[1] == '/' || next.ptr[1] == '\\')))
        return fallback;
    for (size_t i = 0; i < next.len; i++)
        if ((unsigned char)next.ptr[i] < 0x21 || next.ptr[i] == 0x7F)
            return fallback;
    return next;
}

const char *page_account_status(request_t *r, const person_t *p)
{
    msg_id_t m = p->disabled ? MSG_admin_disabled
                 : p->activated ? MSG_admin_activated
                 : p->activation_pending ? MSG_admin_code_pending
                                         : MSG_admin_not_activated;
    return i18n_text((lang_id_t)r->lang, m);
}

const char *page_instant_label(request_t *r, int64_t at)
{
    char t[6];
    timetable_format_time(clock_local_minutes(at), t);
    return arena_printf(&r->arena, "%s %s", attendance_date_label(r, date_of_instant(at)), t);
}

static void add_user(request_t *r, value_t *site)
{
    const principal_t *p = request_principal(r);
    if (!p)
        return;
    value_t *u = value_set_map(site, "user");
    value_set_int(u, "id", p->person_id);
    value_set_str(u, "login", p->login);
    value_set_str(u, "first_name", p->first_name);
    value_set_str(u, "last_name", p->last_name);
    value_set_bool(u, "follows_pupil", p->nlearners > 0);
    value_set_bool(u, "teacher", principal_has_any_role(p, ROLE_TEACHER));
    int64_t school = principal_main_school(p);
    policy_target_t t = policy_target_school(school);
    if (school && policy_allows(p, POLICY_SCHOOL_DIRECTORY, &t))
        value_set_int(u, "directory_school", school);
    /* The badge is on every page: from the worker's cache, recomputed only when
     * something the person would be told about changed. A store error hides it. */
    notify_badge_t badge;
    if (notify_badge(&r->worker->notifications, r->app->store, r->worker->store_reader, p, date_today(), clock_now(),
                     &badge) == 0) {
        value_set_int(u, "badge_messages", badge.messages);
        value_set_int(u, "badge_notifications", badge.notifications);
    }
}

static void add_school(request_t *r, value_t *site)
{
    school_t first;
    const school_t *sp = NULL;
    const principal_t *p = request_principal(r);
    int64_t school_id = p ? principal_main_school(p) : 0;
    if (school_id)
        sp = school_cache_get(&r->worker->schools, r->app->store, r->worker->store_reader, school_id);
    else if (school_first(r->worker->store_reader, &r->arena, &first) == 1)
        sp = &first;
    if (!sp)
        return;
    school_t s = *sp;
    value_t *v = value_set_map(site, "school");
    value_set_int(v, "id", s.id);
    value_set_str(v, "uai", s.uai);
    value_set_str(v, "name", s.name);
    value_set_str(v, "kind", s.kind);
    value_set_cstr(v, "kind_label", page_school_kind_label(r, s.kind));
    value_set_str(v, "city", s.city);
    value_set_bool(v, "is_demo", s.is_demo);
}

value_t *page_site_scope(request_t *r)
{
    value_t *site = value_map(&r->arena);
    value_set_cstr(site, "lang", i18n_lang_code((lang_id_t)r->lang));
    value_set_str(site, "path", r->path);
    value_set_cstr(site, "csrf", request_csrf_token(r));
    value_t *langs = value_set_list(site, "langs");
    static const msg_id_t names[LANG_COUNT] = {[LANG_FR] = MSG_lang_fr, [LANG_EN] = MSG_lang_en};
    for (int l = 0; l < LANG_COUNT; l++) {
        value_t *item = value_map(&r->arena);
        value_set_cstr(item, "code", i18n_lang_code((lang_id_t)l));
        value_set_cstr(item, "label", i18n_text((lang_id_t)l, names[l]));
        value_set_bool(item, "selected", l == r->lang);
        value_push(langs, item);
    }
    add_school(r, site);
    add_user(r, site);
    return site;
}

void page_render(request_t *r, int status, tpl_id_t tpl, value_t *view)
{
    buf_t out;
    buf_init(&out, &r->arena, 8192);
    tpl_render(&out, tpl, page_site_scope(r), view, (lang_id_t)r->lang);
    response_header_cstr(r, "content-language", i18n_lang_code((lang_id_t)r->lang));
    respond_body(r, status, "text/html; charset=utf-8", buf_str(&out));
}

void page_error(request_t *r, int status, int msg_id, const char *detail)
{
    value_t *view = value_map(&r->arena);
    value_set_int(view, "status", status);
    value_set_cstr(view, "message", i18n_text((lang_id_t)r->lang, (msg_id_t)msg_id));
    if (detail)
        value_set_cstr(view, "detail", arena_strdup(&r->arena, detail));
    page_render(r, status, TPL_error, view);
}
