#include "http/static.h"

#include <string.h>

#include "http/negotiate.h"
#include "http/request.h"
#include "http/response.h"
#include "http/worker.h"
#include "web_generated.h"

enum { STATIC_FINGERPRINTED = 1u << 8 };

/* If-None-Match: a list of entity tags, or "*"; weak tags compare by their opaque part. */
static bool etag_matches(str_t header, const char *etag)
{
    if (!header.ptr)
        return false;
    str_t want = str_from(etag);
    size_t i = 0;
    while (i < header.len) {
        while (i < header.len && (header.ptr[i] == ' ' || header.ptr[i] == ','))
            i++;
        size_t start = i;
        while (i < header.len && header.ptr[i] != ',')
            i++;
        str_t tag = str_trim((str_t){header.ptr + start, i - start});
        if (str_eq(tag, STR("*")))
            return true;
        if (tag.len > 2 && tag.ptr[0] == 'W' && tag.ptr[1] == '/')
            tag = (str_t){tag.ptr + 2, tag.len - 2};
        if (str_eq(tag, want))
            return true;
    }
    return false;
}

static void serve_asset(request_t *r)
{
    const embedded_asset_t *a = r->route->data;
    h2o_req_t *req = r->h2o;
    bool fingerprinted = (r->route->flags & STATIC_FINGERPRINTED) != 0;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, a->etag, strlen(a->etag));
    if (fingerprinted)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                       H2O_STRLIT("public, max-age=31536000, immutable"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
    if (a->gzip)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("accept-encoding"));
    if (etag_matches(request_header(r, "if-none-match"), a->etag)) {
        respond_static(r, 304, NULL, "", 0);
        return;
    }
    if (a->gzip && accept_encoding_gzip(request_header(r, "accept-encoding"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_ENCODING, NULL, H2O_STRLIT("gzip"));
        respond_static(r, 200, a->mime, a->gzip, a->gzip_size);
        return;
    }
    respond_static(r, 200, a->mime, a->data, a->size);
}

int static_register_routes(router_t *router, char *err, size_t errlen)
{
    for (size_t i = 0; i < embedded_asset_count; i++) {
        const embedded_asset_t *a = &embedded_assets[i];
        if (!router_add(router, "GET", a->url, HANDLER(serve_asset), a, STATIC_FINGERPRINTED | ROUTE_NO_LOG | ROUTE_OPEN, err, errlen) ||
            !router_add(router, "GET", a->plain_url, HANDLER(serve_asset), a, ROUTE_OPEN, err, errlen))
            return -1;
    }
    return 0;
}
