/* The home page and the language switch. */
#include "core/log.h"
#include "http/cookie.h"
#include "http/response.h"
#include "web/page.h"
#include "web/template.h"

static void home(request_t *r)
{
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
