/* form: name/value fields from a query string or an
 * application/x-www-form-urlencoded body.
 *
 * Contract: form_parse_urlencoded decodes '+' and %XX, then checks every name and
 * value with text_check (valid UTF-8, no NUL, no control characters but tab, CR,
 * LF). It never fails silently: a bad field makes the whole form fail with the
 * reason and the field's name, so the handler can answer 400 and hand the user's
 * text back. Decoded strings live in the arena; the input is not modified.
 */
#ifndef CARTABLE_HTTP_FORM_H
#define CARTABLE_HTTP_FORM_H

#include <stddef.h>

#include "core/arena.h"
#include "core/str.h"

typedef struct form_field {
    str_t name;
    str_t value;
} form_field_t;

typedef struct form {
    form_field_t *fields;
    size_t len, cap;
    arena_t *arena;
} form_t;

typedef enum form_status {
    FORM_OK = 0,
    FORM_BAD_PERCENT,      /* %X or %ZZ */
    FORM_BAD_UTF8,
    FORM_NUL_BYTE,
    FORM_CONTROL_CHAR,
    FORM_TOO_MANY_FIELDS,
    FORM_VALUE_TOO_LONG,
} form_status_t;

typedef struct form_limits {
    size_t max_fields;
    size_t max_value; /* bytes, after decoding */
} form_limits_t;

typedef struct form_error {
    form_status_t status;
    str_t field; /* the offending field's name, decoded and valid UTF-8, or empty */
} form_error_t;

#define FORM_DEFAULT_LIMITS ((form_limits_t){.max_fields = 1000, .max_value = 1 << 20})

void form_init(form_t *f, arena_t *a);
form_status_t form_parse_urlencoded(form_t *f, const char *data, size_t len, const form_limits_t *limits, form_error_t *err);
void form_add(form_t *f, str_t name, str_t value);
/* First value for name, or STR_NULL. */
str_t form_get(const form_t *f, const char *name);
size_t form_count(const form_t *f, const char *name);
const char *form_status_text(form_status_t s);

/* Percent-decodes src into dst (at least len bytes); plus_is_space for forms.
 * Returns the decoded length, or (size_t)-1 on a bad escape. */
size_t percent_decode(char *dst, const char *src, size_t len, int plus_is_space);

#endif
