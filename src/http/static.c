#include "http/static.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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

/* ---- scripts from Debian packages ---- */

typedef struct vendor_script {
    const char *path;
    const char *url;
    char *data;
    size_t size;
    char etag[64];
} vendor_script_t;

/* The per-process table, filled once before the workers start and read-only after. */
static vendor_script_t vendor_scripts[] = {
    {STATIC_ADAPTER_JS, "/assets/vendor/adapter.js", NULL, 0, ""},
    {STATIC_JANUS_JS, "/assets/vendor/janus.js", NULL, 0, ""},
};

static void serve_vendor(request_t *r)
{
    const vendor_script_t *v = r->route->data;
    h2o_req_t *req = r->h2o;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, v->etag, strlen(v->etag));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
    if (etag_matches(request_header(r, "if-none-match"), v->etag)) {
        respond_static(r, 304, NULL, "", 0);
        return;
    }
    respond_static(r, 200, "text/javascript; charset=utf-8", v->data, v->size);
}

int static_register_vendor_scripts(router_t *router, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof vendor_scripts / sizeof vendor_scripts[0]; i++) {
        vendor_script_t *v = &vendor_scripts[i];
        FILE *f = fopen(v->path, "rb");
        struct stat st;
        if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > 16 * 1024 * 1024) {
            snprintf(err, errlen, "cannot read %s (install libjs-janus-gateway and libjs-webrtc-adapter): %s", v->path,
                     f ? "empty or too large" : strerror(errno));
            if (f)
                fclose(f);
            return -1;
        }
        v->size = (size_t)st.st_size;
        v->data = xmalloc(v->size);
        size_t got = fread(v->data, 1, v->size, f);
        fclose(f);
        if (got != v->size) {
            snprintf(err, errlen, "cannot read %s: short read", v->path);
            return -1;
        }
        snprintf(v->etag, sizeof v->etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
                 (unsigned long long)st.st_mtime);
        if (!router_add(router, "GET", v->url, HANDLER(serve_vendor), v, ROUTE_OPEN | ROUTE_NO_LOG, err, errlen))
            return -1;
    }
    return 0;
}

void static_vendor_scripts_free(void)
{
    for (size_t i = 0; i < sizeof vendor_scripts / sizeof vendor_scripts[0]; i++) {
        free(vendor_scripts[i].data);
        vendor_scripts[i].data = NULL;
    }
}
