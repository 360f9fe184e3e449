#include "http/cookie.h"

#include <string.h>

/* RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
static bool is_cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B) ||
           (c >= 0x5D && c <= 0x7E);
}

/* RFC 7230 tchar */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool cookie_octets_valid(str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_cookie_octet((unsigned char)s.ptr[i]))
            return false;
    return true;
}

bool cookie_name_valid(str_t s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!is_tchar((unsigned char)s.ptr[i]))
            return false;
    return true;
}

bool cookie_next(str_t header, size_t *cursor, str_t *name, str_t *value)
{
    size_t i = *cursor;
    while (i < header.len) {
        /* skip separators and whitespace */
        while (i < header.len && (header.ptr[i] == ' ' || header.ptr[i] == '\t' || header.ptr[i] == ';'))
            i++;
        if (i >= header.len)
            break;
        size_t start = i;
        while (i < header.len && header.ptr[i] != ';')
            i++;
        str_t pair = str_trim((str_t){header.ptr + start, i - start});
        str_t v;
        str_t n = str_trim(str_cut(pair, '=', &v));
        if (v.ptr == NULL || !cookie_name_valid(n))
            continue; /* malformed pair: ignore it, as browsers do */
        v = str_trim(v);
        if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') {
            v.ptr++;
            v.len -= 2;
        }
        if (!cookie_octets_valid(v))
            continue;
        *name = n;
        *value = v;
        *cursor = i;
        return true;
    }
    *cursor = header.len;
    return false;
}

str_t cookie_find(str_t header, str_t name)
{
    size_t cursor = 0;
    str_t n, v;
    int pairs = 0;
    while (pairs++ < COOKIE_MAX_PAIRS && cookie_next(header, &cursor, &n, &v))
        if (str_eq(n, name))
            return v;
    return STR_NULL;
}

int cookie_format(buf_t *b, str_t name, str_t value, const cookie_attrs_t *attrs)
{
    if (!cookie_name_valid(name) || !cookie_octets_valid(value))
        return -1;
    const char *path = attrs && attrs->path ? attrs->path : "/";
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == ';' || (unsigned char)*p >= 0x7F)
            return -1;
    buf_append_str(b, name);
    buf_putc(b, '=');
    buf_append_str(b, value);
    BUF_LIT(b, "; Path=");
    buf_puts(b, path);
    if (attrs && attrs->max_age > 0) {
        BUF_LIT(b, "; Max-Age=");
        buf_put_i64(b, attrs->max_age);
    } else if (attrs && attrs->max_age < 0) {
        BUF_LIT(b, "; Max-Age=0");
    }
    if (attrs && attrs->http_only)
        BUF_LIT(b, "; HttpOnly");
    if (attrs && attrs->secure)
        BUF_LIT(b, "; Secure");
    cookie_same_site_t ss = attrs ? attrs->same_site : COOKIE_SAMESITE_LAX;
    if (ss == COOKIE_SAMESITE_STRICT)
        BUF_LIT(b, "; SameSite=Strict");
    else if (ss == COOKIE_SAMESITE_NONE)
        BUF_LIT(b, "; SameSite=None");
    else
        BUF_LIT(b, "; SameSite=Lax");
    return 0;
}
