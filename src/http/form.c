#include "http/form.h"

#include <string.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t percent_decode(char *dst, const char *src, size_t len, int plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (len - i < 3)
                return (size_t)-1;
            int hi = hexval((unsigned char)src[i + 1]);
            int lo = hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return (size_t)-1;
            dst[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dst[o++] = ' ';
        } else {
            dst[o++] = c;
        }
    }
    return o;
}

void form_init(form_t *f, arena_t *a)
{
    f->fields = NULL;
    f->len = f->cap = 0;
    f->arena = a;
}

void form_add(form_t *f, str_t name, str_t value)
{
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        f->fields = arena_realloc(f->arena, f->fields, sizeof(form_field_t) * f->cap, sizeof(form_field_t) * cap);
        f->cap = cap;
    }
    f->fields[f->len++] = (form_field_t){name, value};
}

static form_status_t from_text(text_status_t t)
{
    switch (t) {
    case TEXT_OK: return FORM_OK;
    case TEXT_BAD_UTF8: return FORM_BAD_UTF8;
    case TEXT_NUL_BYTE: return FORM_NUL_BYTE;
    case TEXT_CONTROL_CHAR: return FORM_CONTROL_CHAR;
    }
    return FORM_BAD_UTF8;
}

/* Decodes one component into the arena and checks it as text. */
static form_status_t decode_component(arena_t *a, const char *p, size_t n, str_t *out)
{
    char *dst = arena_alloc(a, n + 1);
    size_t m = percent_decode(dst, p, n, 1);
    if (m == (size_t)-1)
        return FORM_BAD_PERCENT;
    dst[m] = '\0';
    *out = (str_t){dst, m};
    return from_text(text_check(dst, m));
}

/* A name that failed its own check is reported as the first valid UTF-8 prefix so
 * that the message shown to the user is always printable. */
static str_t printable_prefix(str_t s)
{
    size_t n = 0;
    while (n < s.len && n < 64) {
        unsigned char c = (unsigned char)s.ptr[n];
        if (c < 0x20 || c >= 0x7F)
            break;
        n++;
    }
    return (str_t){s.ptr, n};
}

form_status_t form_parse_urlencoded(form_t *f, const char *data, size_t len, const form_limits_t *limits, form_error_t *err)
{
    form_limits_t lim = limits ? *limits : FORM_DEFAULT_LIMITS;
    form_error_t local;
    if (!err)
        err = &local;
    err->status = FORM_OK;
    err->field = STR("");

    size_t pos = 0;
    while (pos < len) {
        const char *start = data + pos;
        const char *amp = memchr(start, '&', len - pos);
        size_t plen = amp ? (size_t)(amp - start) : len - pos;
        pos += plen + (amp ? 1 : 0);
        if (plen == 0)
            continue; /* "a=1&&b=2" */
        const char *eq = memchr(start, '=', plen);
        size_t nlen = eq ? (size_t)(eq - start) : plen;
        const char *vstart = eq ? eq + 1 : start + plen;
        size_t vlen = eq ? plen - nlen - 1 : 0;

        if (f->len >= lim.max_fields) {
            err->status = FORM_TOO_MANY_FIELDS;
            return err->status;
        }
        str_t name, value;
        form_status_t st = decode_component(f->arena, start, nlen, &name);
        if (st != FORM_OK) {
            err->status = st;
            err->field = st == FORM_BAD_PERCENT ? STR("") : printable_prefix(name);
            return st;
        }
        st = decode_component(f->arena, vstart, vlen, &value);
        if (st != FORM_OK) {
            err->status = st;
            err->field = name;
            return st;
        }
        if (value.len > lim.max_value) {
            err->status = FORM_VALUE_TOO_LONG;
            err->field = name;
            return err->status;
        }
        form_add(f, name, value);
    }
    return FORM_OK;
}

str_t form_get(const form_t *f, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < f->len; i++)
        if (f->fields[i].name.len == n && memcmp(f->fields[i].name.ptr, name, n) == 0)
            return f->fields[i].value;
    return STR_NULL;
}

size_t form_count(const form_t *f, const char *name)
{
    size_t n = strlen(name), c = 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->fields[i].name.len == n && memcmp(f->fields[i].name.ptr, name, n) == 0)
            c++;
    return c;
}

const char *form_status_text(form_status_t s)
{
    switch (s) {
    case FORM_OK: return "ok";
    case FORM_BAD_PERCENT: return "bad percent-encoding";
    case FORM_BAD_UTF8: return "invalid UTF-8";
    case FORM_NUL_BYTE: return "NUL byte";
    case FORM_CONTROL_CHAR: return "control character";
    case FORM_TOO_MANY_FIELDS: return "too many fields";
    case FORM_VALUE_TOO_LONG: return "value too long";
    }
    return "unknown";
}
