#include "web/page.h"

#include "domain/school.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/template.h"

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

static void add_school(request_t *r, value_t *site)
{
    school_t s;
    if (school_first(r->worker->store_reader, &r->arena, &s) != 1)
        return;
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
