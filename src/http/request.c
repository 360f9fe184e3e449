#include "http/request.h"

#include "core/clock.h"

#include <netdb.h>
#include <string.h>

#include "core/log.h"
#include "http/body.h"
#include "http/cookie.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/template.h"

str_t request_method(const request_t *r)
{
    return (str_t){r->h2o->method.base, r->h2o->method.len};
}

str_t request_header(const request_t *r, const char *lower_name)
{
    h2o_req_t *req = r->h2o;
    size_t n = strlen(lower_name);
    const h2o_token_t *token = h2o_lookup_token(lower_name, n);
    ssize_t i = token ? h2o_find_header(&req->headers, token, -1)
                      : h2o_find_header_by_str(&req->headers, lower_name, n, -1);
    if (i < 0)
        return STR_NULL;
    return (str_t){req->headers.entries[i].value.base, req->headers.entries[i].value.len};
}

str_t request_cookie(const request_t *r, const char *name)
{
    h2o_req_t *req = r->h2o;
    str_t want = str_from(name);
    /* Browsers may send several Cookie headers over HTTP/2. */
    for (ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, -1); i >= 0;
         i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) {
        str_t v = cookie_find((str_t){req->headers.entries[i].value.base, req->headers.entries[i].value.len}, want);
        if (v.ptr)
            return v;
    }
    return STR_NULL;
}

const route_param_t *request_param(const request_t *r, const char *name)
{
    return route_param(&r->match, name);
}

int64_t request_arrived_at(const request_t *r)
{
    int64_t at = (int64_t)r->h2o->timestamps.request_begin_at.tv_sec;
    return at > 0 ? at : clock_now();
}

int64_t request_param_int(const request_t *r, const char *name)
{
    const route_param_t *p = route_param(&r->match, name);
    return p && p->type == PARAM_INT ? p->num : -1;
}

str_t request_param_str(const request_t *r, const char *name)
{
    const route_param_t *p = route_param(&r->match, name);
    return p ? p->str : STR_NULL;
}

static bool parse_query(request_t *r)
{
    if (r->query)
        return true;
    r->query = arena_alloc(&r->arena, sizeof(form_t));
    form_init(r->query, &r->arena);
    form_error_t err;
    if (form_parse_urlencoded(r->query, r->query_string.ptr, r->query_string.len, NULL, &err) != FORM_OK) {
        form_init(r->query, &r->arena);
        r->query->cap = (size_t)-1; /* marks "invalid" without another field */
        return false;
    }
    return true;
}

str_t request_query(request_t *r, const char *name)
{
    parse_query(r);
    if (r->query->cap == (size_t)-1)
        return STR_NULL;
    return form_get(r->query, name);
}

bool request_query_valid(request_t *r)
{
    parse_query(r);
    return r->query->cap != (size_t)-1;
}

static str_t body_of(const request_t *r)
{
    return (str_t){r->h2o->entity.base, r->h2o->entity.base ? r->h2o->entity.len : 0};
}

static void bad_text(request_t *r, msg_id_t what, str_t field)
{
    buf_t detail;
    buf_init(&detail, &r->arena, 128);
    char *name = arena_strndup(&r->arena, field.ptr ? field.ptr : "", field.len);
    const char *args[1] = {name};
    i18n_format(&detail, (lang_id_t)r->lang, what, args, 1);
    respond_error(r, 400, MSG_error_bad_input, detail.data);
}

static msg_id_t form_status_message(form_status_t st)
{
    switch (st) {
    case FORM_BAD_PERCENT: return MSG_input_bad_encoding;
    case FORM_BAD_UTF8: return MSG_input_bad_utf8;
    case FORM_NUL_BYTE: return MSG_input_nul_byte;
    case FORM_CONTROL_CHAR: return MSG_input_control_char;
    case FORM_TOO_MANY_FIELDS: return MSG_input_too_many_fields;
    case FORM_VALUE_TOO_LONG: return MSG_input_field_too_long;
    case FORM_OK: break;
    }
    return MSG_error_bad_input;
}

static msg_id_t text_status_message(text_status_t t)
{
    switch (t) {
    case TEXT_NUL_BYTE: return MSG_input_nul_byte;
    case TEXT_CONTROL_CHAR: return MSG_input_control_char;
    default: return MSG_input_bad_utf8;
    }
}

/* State-changing requests prove they come from our own pages. */
static bool needs_csrf(const request_t *r)
{
    str_t m = request_method(r);
    return !str_eq(m, STR("GET")) && !str_eq(m, STR("HEAD"));
}

static bool form_csrf_ok(request_t *r, const form_t *f)
{
    if (!needs_csrf(r) || request_csrf_valid(r, form_get(f, "_csrf")))
        return true;
    respond_error(r, 403, MSG_error_csrf, NULL);
    return false;
}

form_t *request_form(request_t *r)
{
    str_t charset;
    str_t ct = body_media_type(request_header(r, "content-type"), &charset);
    if (!str_ieq(ct, STR("application/x-www-form-urlencoded")) || !body_charset_utf8(charset)) {
        respond_error(r, 415, MSG_error_unsupported_media_type, "application/x-www-form-urlencoded; charset=utf-8");
        return NULL;
    }
    str_t body = body_of(r);
    if (body.len > r->app->config->max_form) {
        respond_error(r, 413, MSG_error_too_large, NULL);
        return NULL;
    }
    form_t *f = arena_alloc(&r->arena, sizeof *f);
    form_init(f, &r->arena);
    form_error_t err;
    form_limits_t limits = {.max_fields = 1000, .max_value = r->app->config->max_form};
    form_status_t st = form_parse_urlencoded(f, body.ptr, body.len, &limits, &err);
    if (st != FORM_OK) {
        bad_text(r, form_status_message(st), err.field);
        return NULL;
    }
    return form_csrf_ok(r, f) ? f : NULL;
}

static multipart_form_result_t *multipart_read(request_t *r, bool keep_on_size_error);

multipart_form_result_t *request_multipart(request_t *r)
{
    return multipart_read(r, false);
}

multipart_form_result_t *request_multipart_keeping_text(request_t *r)
{
    return multipart_read(r, true);
}

static multipart_form_result_t *multipart_read(request_t *r, bool keep_on_size_error)
{
    str_t content_type = request_header(r, "content-type");
    str_t charset;
    str_t ct = body_media_type(content_type, &charset);
    if (!str_ieq(ct, STR("multipart/form-data"))) {
        respond_error(r, 415, MSG_error_unsupported_media_type, "multipart/form-data");
        return NULL;
    }
    const config_t *cfg = r->app->config;
    char *tmp = arena_printf(&r->arena, "%s/tmp", cfg->data_dir);
    multipart_limits_t limits = {
        .max_fields = 1000,
        .max_field_bytes = cfg->max_form,
        .max_files = 20,
        .max_file_bytes = cfg->max_upload_file,
        .max_total_file_bytes = cfg->max_upload_total,
        .tmp_dir = tmp,
    };
    multipart_form_result_t *res = arena_alloc(&r->arena, sizeof *res);
    str_t body = body_of(r);
    multipart_form_status_t st = multipart_read_form(&r->arena, content_type, body.ptr, body.len, &limits, res);
    switch (st) {
    case MPF_OK:
        return form_csrf_ok(r, &res->fields) ? res : NULL;
    case MPF_MALFORMED:
        respond_error(r, 400, MSG_error_bad_input, multipart_error_text(res->mp_error));
        return NULL;
    case MPF_BAD_TEXT:
        bad_text(r, text_status_message(res->text), res->field);
        return NULL;
    case MPF_TOO_MANY_FIELDS:
        bad_text(r, MSG_input_too_many_fields, res->field);
        return NULL;
    case MPF_FIELD_TOO_LARGE:
        bad_text(r, MSG_input_field_too_long, res->field);
        return NULL;
    case MPF_TOO_MANY_FILES:
    case MPF_FILE_TOO_LARGE:
    case MPF_FILES_TOO_LARGE:
        /* The text fields read before the file at fault are handed back. */
        if (keep_on_size_error && form_csrf_ok(r, &res->fields))
            return res;
        if (keep_on_size_error)
            return NULL;
        if (st == MPF_TOO_MANY_FILES)
            respond_error(r, 413, MSG_error_too_many_files, NULL);
        else
            respond_error(r, 413, MSG_error_file_too_large, NULL);
        return NULL;
    case MPF_IO: {
        logq_t q;
        LOG_ERROR("cannot store upload", "dir=\"%s\"", logq(&q, tmp));
        respond_error(r, 500, MSG_error_internal, NULL);
        return NULL;
    }
    }
    return NULL;
}

static void decref_json(void *p) { json_decref(p); }

json_t *request_json(request_t *r)
{
    json_t *j;
    char err[256];
    switch (json_body_parse(request_header(r, "content-type"), body_of(r), r->app->config->max_json, &j, err, sizeof err)) {
    case JSON_BODY_OK:
        arena_on_free(&r->arena, decref_json, j);
        /* A browser session must show its CSRF token; API clients without the cookie
         * are not exposed to cross-site requests. */
        if (needs_csrf(r) && request_session(r) && !request_csrf_valid(r, request_header(r, "x-csrf-token"))) {
            respond_error(r, 403, MSG_error_csrf, NULL);
            return NULL;
        }
        return j;
    case JSON_BODY_WRONG_TYPE:
        respond_error(r, 415, MSG_error_unsupported_media_type, "application/json");
        return NULL;
    case JSON_BODY_TOO_LARGE:
        respond_error(r, 413, MSG_error_too_large, NULL);
        return NULL;
    case JSON_BODY_MALFORMED:
        respond_error(r, 400, MSG_error_bad_json, arena_strdup(&r->arena, err));
        return NULL;
    }
    return NULL;
}

const char *client_address(const app_t *app, h2o_req_t *req, char *out)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    char peer[NI_MAXHOST]; /* h2o hands getnameinfo NI_MAXHOST */
    size_t n = len ? h2o_socket_getnumerichost((struct sockaddr *)&ss, len, peer) : SIZE_MAX;
    if (n == SIZE_MAX) {
        strcpy(out, "-");
        return out;
    }
    if (app->trusted_proxies.n == 0)
        return proxy_client_address(&app->trusted_proxies, str_make(peer, n), (proxy_forwarded_t){0}, out);
    /* Every X-Forwarded-For line, in order (a proxy may add its own line). */
    str_t lines[16];
    size_t nlines = 0;
    for (ssize_t i = -1; nlines < 16 && (i = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, i)) != -1;)
        lines[nlines++] = str_make(req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    return proxy_client_address(&app->trusted_proxies, str_make(peer, n), (proxy_forwarded_t){lines, nlines}, out);
}

const char *request_client_ip(request_t *r)
{
    if (!r->client_ip) {
        char *buf = arena_alloc(&r->arena, PROXY_ADDR_MAX);
        r->client_ip = client_address(r->app, r->h2o, buf);
    }
    return r->client_ip;
}
