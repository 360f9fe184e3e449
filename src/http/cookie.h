/* cookie: reading the Cookie request header and writing Set-Cookie.
 *
 * Contract: cookie_find scans a Cookie header for one name (RFC 6265 syntax,
 * tolerant of the spacing browsers send) without allocating; a malformed pair is
 * skipped, never fatal. A value in double quotes is returned without them.
 * cookie_format only writes names and values made of cookie-octets (callers
 * pass tokens, never user text) and refuses anything else.
 */
#ifndef CARTABLE_HTTP_COOKIE_H
#define CARTABLE_HTTP_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

#define COOKIE_MAX_PAIRS 64

typedef enum cookie_same_site { COOKIE_SAMESITE_LAX = 0, COOKIE_SAMESITE_STRICT, COOKIE_SAMESITE_NONE } cookie_same_site_t;

typedef struct cookie_attrs {
    int64_t max_age;   /* seconds; 0: session cookie; negative: delete now */
    const char *path;  /* default "/" */
    bool http_only;
    bool secure;
    cookie_same_site_t same_site;
} cookie_attrs_t;

/* Returns the value of the first cookie called name, or STR_NULL. */
str_t cookie_find(str_t header, str_t name);

/* Iterates pairs: *cursor starts at 0; returns false at the end. */
bool cookie_next(str_t header, size_t *cursor, str_t *name, str_t *value);

bool cookie_octets_valid(str_t s);
bool cookie_name_valid(str_t s);
/* Appends a Set-Cookie value to b; returns -1 (and writes nothing) on an invalid name or value. */
int cookie_format(buf_t *b, str_t name, str_t value, const cookie_attrs_t *attrs);

#endif
