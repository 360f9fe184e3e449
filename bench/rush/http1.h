/* http1: the small HTTP/1.1 client side of bench/rush — growable buffers, an
 * incremental response parser (status line, headers, Content-Length, chunked,
 * read-until-close), gzip bodies, and a per-user cookie jar.
 *
 * Contract:
 * - http_resp_feed takes the bytes read from a connection as they come and says
 *   when one whole answer is in; it copies nothing it does not need: the head is
 *   kept whole and the interesting headers are offsets into it.
 * - Header names are matched case-insensitively (cartable sends them in lower case).
 * - No pipelining: bytes after a complete answer are not consumed.
 */
#ifndef RUSH_HTTP1_H
#define RUSH_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

void buf_reserve(buf_t *b, size_t extra);
void buf_add(buf_t *b, const void *p, size_t n);
void buf_str(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(buf_t *b);

/* A header value inside the head buffer. */
typedef struct span {
    uint32_t off, len;
} span_t;

#define HTTP_MAX_SET_COOKIES 8
#define HTTP_MAX_HEAD (64 * 1024)

typedef struct http_resp {
    bool head_done, done;
    bool head_request; /* the request was HEAD: no body */
    int minor;         /* HTTP/1.x */
    int status;
    int64_t content_length; /* -1: not given */
    bool chunked, close, gzip, until_close;
    buf_t head; /* status line and headers, up to and including the blank line */
    buf_t body; /* decoded from chunked, still gzip-encoded if gzip */
    span_t location, waiting_room, refresh, retry_after;
    span_t set_cookie[HTTP_MAX_SET_COOKIES];
    int nset_cookie;
    uint64_t bytes; /* raw bytes of this answer received */
    /* chunked decoder */
    int ch_state;
    uint64_t ch_left;
} http_resp_t;

/* Ready for the next answer (keeps the buffers' memory). */
void http_resp_reset(http_resp_t *r, bool head_request);
void http_resp_free(http_resp_t *r);

/* Feeds n bytes; *used says how many were taken. Returns 1 when the answer is
 * complete, 0 when more is needed, -1 on a malformed answer. */
int http_resp_feed(http_resp_t *r, const char *p, size_t n, size_t *used);

/* The connection closed: completes a read-until-close answer. Returns 1 if the
 * answer is now complete, 0 otherwise. */
int http_resp_eof(http_resp_t *r);

/* A header value as a NUL-free pointer and length (NULL when absent). */
const char *http_span(const http_resp_t *r, span_t s, size_t *len);

/* The body as text: inflated into scratch when gzip-encoded. Returns NULL (and
 * *len 0) when it cannot be decoded. The result is NUL-terminated. */
const char *http_body_text(http_resp_t *r, buf_t *scratch, size_t *len);

/* ---- cookies ------------------------------------------------------------------ */

#define JAR_MAX 8
#define JAR_NAME 32
#define JAR_VALUE 400

typedef struct jar {
    int n;
    struct {
        char name[JAR_NAME];
        char value[JAR_VALUE];
    } c[JAR_MAX];
} jar_t;

/* Sets (or, for an empty value or Max-Age=0, removes) a cookie from a
 * Set-Cookie header value. Returns -1 if it did not fit. */
int jar_set_cookie(jar_t *j, const char *v, size_t len);
int jar_put(jar_t *j, const char *name, const char *value);
const char *jar_get(const jar_t *j, const char *name);
/* "a=b; c=d" into b (nothing if the jar is empty). */
void jar_header(const jar_t *j, buf_t *b);

#endif
