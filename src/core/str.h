/* str: a borrowed byte string (pointer + length), and the text checks every
 * input path uses.
 *
 * Contract: a str_t never owns its bytes and is not NUL-terminated unless said.
 * text_check decides whether user-supplied text may be stored: valid UTF-8 (no
 * overlongs, no surrogates, nothing above U+10FFFF), no NUL byte, no C0 control
 * character other than tab, line feed and carriage return, no DEL.
 */
#ifndef CARTABLE_CORE_STR_H
#define CARTABLE_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct str {
    const char *ptr;
    size_t len;
} str_t;

#define STR(lit) ((str_t){(lit), sizeof(lit) - 1})
#define STR_NULL ((str_t){NULL, 0})

static inline str_t str_from(const char *s) { return (str_t){s, s ? strlen(s) : 0}; }
static inline str_t str_make(const char *p, size_t n) { return (str_t){p, n}; }
static inline bool str_is_null(str_t s) { return s.ptr == NULL; }
static inline bool str_eq(str_t a, str_t b) { return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0); }
static inline bool str_eq_cstr(str_t a, const char *b) { return str_eq(a, str_from(b)); }
bool str_ieq(str_t a, str_t b); /* ASCII case-insensitive */
bool str_starts_with(str_t s, str_t prefix);
str_t str_trim(str_t s);        /* spaces and tabs */
/* Empty, or only spaces, tabs and line breaks (a text field left blank). */
bool str_is_blank(str_t s);
str_t str_slice(str_t s, size_t from, size_t to);
/* Splits off the part before the first `sep`; *rest gets what follows (STR_NULL if none). */
str_t str_cut(str_t s, char sep, str_t *rest);
/* Parses a decimal unsigned integer with no sign, no spaces; false on overflow or junk. */
bool str_to_u64(str_t s, uint64_t *out);
bool str_to_i64(str_t s, int64_t *out);

typedef enum text_status {
    TEXT_OK = 0,
    TEXT_BAD_UTF8,
    TEXT_NUL_BYTE,
    TEXT_CONTROL_CHAR,
} text_status_t;

bool utf8_valid(const char *s, size_t len);
text_status_t text_check(const char *s, size_t len);
/* Counts code points in valid UTF-8 (used for user-facing length limits). */
size_t utf8_length(const char *s, size_t len);

#endif
