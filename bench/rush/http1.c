/* http1: see http1.h. */
#define _GNU_SOURCE
#include "http1.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* ---- buffers -------------------------------------------------------------------- */

void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "rush: out of memory\n");
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

void buf_add(buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_str(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        buf_add(b, tmp, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- answers -------------------------------------------------------------------- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER_START, CH_TRAILER_LINE, CH_FINAL_LF };

void http_resp_reset(http_resp_t *r, bool head_request)
{
    buf_t head = r->head, body = r->body;
    memset(r, 0, sizeof *r);
    head.len = body.len = 0;
    r->head = head;
    r->body = body;
    r->head_request = head_request;
    r->content_length = -1;
}

void http_resp_free(http_resp_t *r)
{
    buf_free(&r->head);
    buf_free(&r->body);
}

const char *http_span(const http_resp_t *r, span_t s, size_t *len)
{
    *len = s.len;
    return s.len ? r->head.p + s.off : NULL;
}

static bool name_is(const char *p, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == k && strncasecmp(p, name, k) == 0;
}

/* Does the comma-separated header value contain this token? */
static bool has_token(const char *v, size_t n, const char *token)
{
    size_t k = strlen(token);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(v + i, token, k) == 0 && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
            (i + k == n || v[i + k] == ',' || v[i + k] == ' ' || v[i + k] == ';'))
            return true;
    return false;
}

static int parse_head(http_resp_t *r)
{
    const char *h = r->head.p;
    const char *end = h + r->head.len;
    if (r->head.len < 12 || memcmp(h, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)h[7]) || h[8] != ' ')
        return -1;
    r->minor = h[7] - '0';
    if (!isdigit((unsigned char)h[9]) || !isdigit((unsigned char)h[10]) || !isdigit((unsigned char)h[11]))
        return -1;
    r->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    r->close = r->minor == 0;
    const char *line = memchr(h, '\n', r->head.len);
    if (!line)
        return -1;
    line++;
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            return -1;
        const char *le = eol;
        if (le > line && le[-1] == '\r')
            le--;
        if (le == line)
            break; /* the blank line */
        const char *colon = memchr(line, ':', (size_t)(le - line));
        if (!colon)
            return -1;
        size_t nlen = (size_t)(colon - line);
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = le;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t vlen = (size_t)(ve - v);
        span_t sp = {(uint32_t)(v - h), (uint32_t)vlen};
        if (name_is(line, nlen, "content-length")) {
            char *e;
            long long cl = strtoll(v, &e, 10);
            if (e == v || cl < 0)
                return -1;
            r->content_length = cl;
        } else if (name_is(line, nlen, "transfer-encoding")) {
            if (has_token(v, vlen, "chunked"))
                r->chunked = true;
        } else if (name_is(line, nlen, "connection")) {
            if (has_token(v, vlen, "close"))
                r->close = true;
            else if (has_token(v, vlen, "keep-alive"))
                r->close = false;
        } else if (name_is(line, nlen, "content-encoding")) {
            if (has_token(v, vlen, "gzip"))
                r->gzip = true;
        } else if (name_is(line, nlen, "set-cookie")) {
            if (r->nset_cookie < HTTP_MAX_SET_COOKIES)
                r->set_cookie[r->nset_cookie++] = sp;
        } else if (name_is(line, nlen, "location")) {
            r->location = sp;
        } else if (name_is(line, nlen, "x-waiting-room")) {
            r->waiting_room = sp;
        } else if (name_is(line, nlen, "refresh")) {
            r->refresh = sp;
        } else if (name_is(line, nlen, "retry-after")) {
            r->retry_after = sp;
        }
        line = eol + 1;
    }
    if (r->chunked)
        r->content_length = -1;
    bool no_body = r->head_request || r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200);
    if (no_body)
        r->content_length = 0, r->chunked = false;
    else if (!r->chunked && r->content_length < 0)
        r->until_close = true, r->close = true;
    return 0;
}

/* Decodes chunked bytes into the body; returns bytes used, sets done. */
static size_t feed_chunked(http_resp_t *r, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !r->done) {
        char c = p[i];
        switch (r->ch_state) {
        case CH_SIZE:
            if (isxdigit((unsigned char)c)) {
                int d = isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
                if (r->ch_left > (UINT64_C(1) << 40))
                    return (size_t)-1;
                r->ch_left = r->ch_left * 16 + (uint64_t)d;
            } else if (c == ';' || c == ' ' || c == '\t') {
                r->ch_state = CH_EXT;
            } else if (c == '\r') {
                r->ch_state = CH_SIZE_LF;
            } else if (c == '\n') {
                r->ch_state = r->ch_left ? CH_DATA : CH_TRAILER_START;
            } else {
                return (size_t)-1;
            }
            i++;
            break;
        case CH_EXT:
            if (c == '\r')
                r->ch_state = CH_SIZE_LF;
            else if (c == '\n')
                r->ch_state = r->ch_left ? CH_DATA : CH_TRAILER_START;
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                return (size_t)-1;
            r->ch_state = r->ch_left ? CH_DATA : CH_TRAILER_START;
            i++;
            break;
        case CH_DATA: {
            size_t take = n - i;
            if (take > r->ch_left)
                take = (size_t)r->ch_left;
            buf_add(&r->body, p + i, take);
            r->ch_left -= take;
            i += take;
            if (!r->ch_left)
                r->ch_state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c == '\r')
                r->ch_state = CH_DATA_LF;
            else if (c == '\n')
                r->ch_state = CH_SIZE;
            else
                return (size_t)-1;
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                return (size_t)-1;
            r->ch_state = CH_SIZE;
            i++;
            break;
        case CH_TRAILER_START:
            if (c == '\r')
                r->ch_state = CH_FINAL_LF;
            else if (c == '\n')
                r->done = true;
            else
                r->ch_state = CH_TRAILER_LINE;
            i++;
            break;
        case CH_TRAILER_LINE:
            if (c == '\n')
                r->ch_state = CH_TRAILER_START;
            i++;
            break;
        case CH_FINAL_LF:
            if (c != '\n')
                return (size_t)-1;
            r->done = true;
            i++;
            break;
        }
    }
    return i;
}

int http_resp_feed(http_resp_t *r, const char *p, size_t n, size_t *used)
{
    size_t i = 0;
    *used = 0;
    if (r->done)
        return 1;
    r->bytes += n;
    if (!r->head_done) {
        size_t old = r->head.len;
        buf_add(&r->head, p, n);
        size_t from = old > 3 ? old - 3 : 0;
        const char *end = memmem(r->head.p + from, r->head.len - from, "\r\n\r\n", 4);
        if (!end) {
            *used = n;
            return r->head.len > HTTP_MAX_HEAD ? -1 : 0;
        }
        size_t hl = (size_t)(end + 4 - r->head.p);
        i = hl - old;
        r->head.len = hl;
        r->head.p[hl] = '\0';
        if (parse_head(r) < 0)
            return -1;
        r->head_done = true;
        if (r->status >= 100 && r->status < 200) {
            /* an interim answer (never asked for): skip it and read on */
            size_t rest = n - i;
            const char *rp = p + i;
            bool head_request = r->head_request;
            http_resp_reset(r, head_request);
            size_t u2;
            int rc = rest ? http_resp_feed(r, rp, rest, &u2) : 0;
            *used = i + (rest ? u2 : 0);
            return rc;
        }
        if (!r->chunked && r->content_length == 0) {
            r->done = true;
            *used = i;
            return 1;
        }
    }
    if (r->chunked) {
        size_t k = feed_chunked(r, p + i, n - i);
        if (k == (size_t)-1)
            return -1;
        i += k;
    } else if (r->content_length >= 0) {
        size_t need = (size_t)r->content_length - r->body.len;
        size_t take = n - i < need ? n - i : need;
        buf_add(&r->body, p + i, take);
        i += take;
        if (r->body.len == (size_t)r->content_length)
            r->done = true;
    } else {
        buf_add(&r->body, p + i, n - i);
        i = n;
    }
    *used = i;
    return r->done ? 1 : 0;
}

int http_resp_eof(http_resp_t *r)
{
    if (r->head_done && r->until_close && !r->done) {
        r->done = true;
        return 1;
    }
    return r->done ? 1 : 0;
}

const char *http_body_text(http_resp_t *r, buf_t *scratch, size_t *len)
{
    *len = 0;
    if (!r->gzip) {
        buf_reserve(&r->body, 0);
        r->body.p[r->body.len] = '\0';
        *len = r->body.len;
        return r->body.p;
    }
    scratch->len = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return NULL;
    z.next_in = (unsigned char *)r->body.p;
    z.avail_in = (unsigned)r->body.len;
    int rc = Z_OK;
    while (rc == Z_OK) {
        buf_reserve(scratch, 16384);
        z.next_out = (unsigned char *)scratch->p + scratch->len;
        z.avail_out = (unsigned)(scratch->cap - scratch->len - 1);
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        scratch->len += before - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            break;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        return NULL;
    scratch->p[scratch->len] = '\0';
    *len = scratch->len;
    return scratch->p;
}

/* ---- cookies -------------------------------------------------------------------- */

static int jar_find(const jar_t *j, const char *name, size_t nlen)
{
    for (int i = 0; i < j->n; i++)
        if (strlen(j->c[i].name) == nlen && memcmp(j->c[i].name, name, nlen) == 0)
            return i;
    return -1;
}

static void jar_remove(jar_t *j, int i)
{
    j->c[i] = j->c[j->n - 1];
    j->n--;
}

static int jar_store(jar_t *j, const char *name, size_t nlen, const char *value, size_t vlen, bool remove)
{
    if (nlen == 0 || nlen >= JAR_NAME)
        return -1;
    int i = jar_find(j, name, nlen);
    if (remove || vlen == 0) {
        if (i >= 0)
            jar_remove(j, i);
        return 0;
    }
    if (vlen >= JAR_VALUE)
        return -1;
    if (i < 0) {
        if (j->n == JAR_MAX)
            return -1;
        i = j->n++;
        memcpy(j->c[i].name, name, nlen);
        j->c[i].name[nlen] = '\0';
    }
    memcpy(j->c[i].value, value, vlen);
    j->c[i].value[vlen] = '\0';
    return 0;
}

int jar_set_cookie(jar_t *j, const char *v, size_t len)
{
    const char *semi = memchr(v, ';', len);
    size_t pair = semi ? (size_t)(semi - v) : len;
    const char *eq = memchr(v, '=', pair);
    if (!eq)
        return -1;
    size_t nlen = (size_t)(eq - v);
    while (nlen && v[nlen - 1] == ' ')
        nlen--;
    const char *val = eq + 1;
    size_t vlen = pair - (size_t)(val - v);
    if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"')
        val++, vlen -= 2;
    bool remove = false;
    for (size_t i = pair; i + 9 <= len; i++)
        if (strncasecmp(v + i, "max-age=0", 9) == 0 && (i + 9 == len || v[i + 9] == ';' || v[i + 9] == ' '))
            remove = true;
    return jar_store(j, v, nlen, val, vlen, remove);
}

int jar_put(jar_t *j, const char *name, const char *value)
{
    return jar_store(j, name, strlen(name), value, strlen(value), false);
}

const char *jar_get(const jar_t *j, const char *name)
{
    int i = jar_find(j, name, strlen(name));
    return i < 0 ? NULL : j->c[i].value;
}

void jar_header(const jar_t *j, buf_t *b)
{
    for (int i = 0; i < j->n; i++) {
        if (i)
            buf_add(b, "; ", 2);
        buf_str(b, j->c[i].name);
        buf_add(b, "=", 1);
        buf_str(b, j->c[i].value);
    }
}
