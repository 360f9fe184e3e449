#include "http/response.h"

#include <string.h>

#include "core/log.h"
#include "http/negotiate.h"
#include "http/worker.h"
#include "web/template.h"

#define GZIP_MIN_BYTES 512

static h2o_generator_t no_generator = {NULL, NULL};

static const char csp[] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                          "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

void response_csp_build(char *out, size_t outlen, const char *media_urls)
{
    /* connect-src takes origins: scheme://host[:port] of each URL. */
    char extra[768] = "";
    size_t used = 0;
    const char *p = media_urls ? media_urls : "";
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *scheme_end = strstr(p, "://");
        if (scheme_end && scheme_end < end) {
            const char *host_end = scheme_end + 3;
            while (host_end < end && *host_end != '/' && *host_end != ' ')
                host_end++;
            int n = snprintf(extra + used, sizeof extra - used, " %.*s", (int)(host_end - p), p);
            if (n > 0 && (size_t)n < sizeof extra - used)
                used += (size_t)n;
        }
        p = end;
    }
    snprintf(out, outlen,
             "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "connect-src 'self'%s; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'",
             extra);
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

void response_header(request_t *r, const char *name, str_t value)
{
    h2o_req_t *req = r->h2o;
    const h2o_token_t *token = h2o_lookup_token(name, strlen(name));
    if (token)
        h2o_add_header(&req->pool, &req->res.headers, token, NULL, value.ptr, value.len);
    else
        h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value.ptr, value.len);
}

void response_header_cstr(request_t *r, const char *name, const char *value)
{
    response_header(r, name, str_from(value));
}

void response_set_cookie(request_t *r, str_t value)
{
    h2o_add_header(&r->h2o->pool, &r->h2o->res.headers, H2O_TOKEN_SET_COOKIE, NULL, value.ptr, value.len);
}

static bool has_header(h2o_req_t *req, const h2o_token_t *token)
{
    return h2o_find_header(&req->res.headers, token, -1) != -1;
}

static void add_common_headers(request_t *r, const char *content_type, bool dynamic)
{
    h2o_req_t *req = r->h2o;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    if (content_type && strncmp(content_type, "text/html", 9) == 0) {
        const char *policy = r->app->csp[0] ? r->app->csp : csp;
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"), 0, NULL, policy,
                              strlen(policy));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-frame-options"), 0, NULL,
                              H2O_STRLIT("DENY"));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL,
                              H2O_STRLIT("same-origin"));
    }
    if (req->version < 0x200 && r->app->keep_alive_header[0])
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("keep-alive"), 0, NULL,
                              r->app->keep_alive_header, strlen(r->app->keep_alive_header));
    if (dynamic && !has_header(req, H2O_TOKEN_CACHE_CONTROL))
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
}

static void send_body(request_t *r, int status, str_t body)
{
    h2o_req_t *req = r->h2o;
    req->res.status = status;
    req->res.reason = http_reason(status);
    req->res.content_length = body.len;
    r->responded = true;
    h2o_start_response(req, &no_generator);
    /* HEAD gets the headers (Content-Length included) and no body: h2o_send does not drop it. */
    bool head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    h2o_iovec_t iov = h2o_iovec_init(body.ptr, body.len);
    h2o_send(req, &iov, body.len && !head ? 1 : 0, H2O_SEND_STATE_FINAL);
}

/* Compresses body with the worker's deflate stream; returns false when it would not help. */
static bool gzip_body(request_t *r, str_t body, str_t *out)
{
    worker_t *w = r->worker;
    if (!w->deflate_ready) {
        memset(&w->deflate, 0, sizeof w->deflate);
        if (deflateInit2(&w->deflate, (int)r->app->config->gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            return false;
        w->deflate_ready = true;
    } else if (deflateReset(&w->deflate) != Z_OK) {
        return false;
    }
    size_t cap = deflateBound(&w->deflate, body.len);
    unsigned char *dst = arena_alloc(&r->arena, cap);
    w->deflate.next_in = (unsigned char *)body.ptr;
    w->deflate.avail_in = (uInt)body.len;
    w->deflate.next_out = dst;
    w->deflate.avail_out = (uInt)cap;
    if (deflate(&w->deflate, Z_FINISH) != Z_STREAM_END)
        return false;
    size_t n = cap - w->deflate.avail_out;
    if (n + 32 >= body.len)
        return false;
    *out = (str_t){(const char *)dst, n};
    return true;
}

void respond_body(request_t *r, int status, const char *content_type, str_t body)
{
    h2o_req_t *req = r->h2o;
    if (r->responded) {
        LOG_ERROR("handler answered twice", "route=%s", r->route ? r->route->pattern : "-");
        return;
    }
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    add_common_headers(r, content_type, true);
    if (body.len >= GZIP_MIN_BYTES && status != 204 && status != 304) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("accept-encoding"));
        str_t gz;
        if (accept_encoding_gzip(request_header(r, "accept-encoding")) && gzip_body(r, body, &gz)) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_ENCODING, NULL, H2O_STRLIT("gzip"));
            body = gz;
        }
    }
    send_body(r, status, body);
}

void respond_static(request_t *r, int status, const char *content_type, const void *data, size_t len)
{
    h2o_req_t *req = r->h2o;
    if (r->responded)
        return;
    if (content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    add_common_headers(r, content_type, false);
    send_body(r, status, (str_t){data, len});
}

void respond_json(request_t *r, int status, const value_t *body)
{
    buf_t b;
    buf_init(&b, &r->arena, 1024);
    value_write_json(&b, body);
    buf_putc(&b, '\n');
    respond_body(r, status, "application/json; charset=utf-8", buf_str(&b));
}

void respond_text(request_t *r, int status, const char *text)
{
    respond_body(r, status, "text/plain; charset=utf-8", str_from(text));
}

void respond_redirect(request_t *r, int status, str_t location)
{
    /* Only local paths: an open redirect would let a link on Cartable send a pupil anywhere. */
    if (location.len == 0 || location.ptr[0] != '/' || (location.len > 1 && (location.ptr[1] == '/' || location.ptr[1] == '\\'))) {
        location = STR("/");
    }
    for (size_t i = 0; i < location.len; i++) {
        if ((unsigned char)location.ptr[i] < 0x20 || location.ptr[i] == 0x7F) {
            location = STR("/");
            break;
        }
    }
    h2o_req_t *req = r->h2o;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, location.ptr, location.len);
    add_common_headers(r, NULL, true);
    send_body(r, status, STR(""));
}

void respond_no_content(request_t *r, int status)
{
    add_common_headers(r, NULL, true);
    send_body(r, status, STR(""));
}

bool request_wants_json(const request_t *r)
{
    return r->is_api || accept_prefers_json(request_header(r, "accept"));
}

void respond_error(request_t *r, int status, int msg_id, const char *detail)
{
    if (r->responded)
        return;
    if (request_wants_json(r)) {
        value_t *root = value_map(&r->arena);
        value_t *err = value_set_map(root, "error");
        value_set_int(err, "status", status);
        const char *key = i18n_keys[msg_id];
        const char *dot = strchr(key, '.');
        value_set_cstr(err, "code", dot ? dot + 1 : key);
        value_set_cstr(err, "message", i18n_text((lang_id_t)r->lang, (msg_id_t)msg_id));
        if (detail)
            value_set_str(err, "detail", (str_t){arena_strdup(&r->arena, detail), strlen(detail)});
        respond_json(r, status, root);
        return;
    }
    if (r->app->render_error_page) {
        r->app->render_error_page(r, status, msg_id, detail);
        return;
    }
    respond_text(r, status, i18n_text((lang_id_t)r->lang, (msg_id_t)msg_id));
}
