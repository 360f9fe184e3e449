#include "core/mail.h"

#include <sodium.h>
#include <time.h>

static bool atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Dot-separated runs of allowed bytes: no empty run, runs of at most max_run bytes. */
static bool dotted(str_t s, bool (*allowed)(unsigned char), size_t max_run, bool hyphen_edges)
{
    size_t run = 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || s.ptr[i] == '.') {
            if (run == 0 || run > max_run)
                return false;
            if (!hyphen_edges && (s.ptr[i - run] == '-' || s.ptr[i - 1] == '-'))
                return false;
            run = 0;
            continue;
        }
        if (!allowed((unsigned char)s.ptr[i]))
            return false;
        run++;
    }
    return true;
}

bool mail_address_valid(str_t addr)
{
    if (!addr.ptr || addr.len < 3 || addr.len > MAIL_ADDRESS_MAX)
        return false;
    size_t at = addr.len;
    for (size_t i = 0; i < addr.len; i++)
        if (addr.ptr[i] == '@') {
            if (at != addr.len)
                return false; /* two of them */
            at = i;
        }
    if (at == addr.len || at == 0 || at > 64)
        return false;
    str_t local = str_slice(addr, 0, at), domain = str_slice(addr, at + 1, addr.len);
    return dotted(local, atext, 64, true) && dotted(domain, label_char, 63, false);
}

int mail_mailbox_parse(str_t s, str_t *name, str_t *addr)
{
    s = str_trim(s);
    *name = STR("");
    *addr = s;
    if (s.len && s.ptr[s.len - 1] == '>') {
        const char *lt = memchr(s.ptr, '<', s.len);
        if (!lt)
            return -1;
        size_t open = (size_t)(lt - s.ptr);
        *addr = str_slice(s, open + 1, s.len - 1);
        str_t n = str_trim(str_slice(s, 0, open));
        if (n.len >= 2 && n.ptr[0] == '"' && n.ptr[n.len - 1] == '"')
            n = str_slice(n, 1, n.len - 1);
        if (text_check(n.ptr, n.len) != TEXT_OK)
            return -1;
        for (size_t i = 0; i < n.len; i++) {
            unsigned char c = (unsigned char)n.ptr[i];
            if (c < 0x20 || c == '"' || c == '\\')
                return -1;
        }
        *name = n;
    }
    return mail_address_valid(*addr) ? 0 : -1;
}

/* ---- headers ---- */

/* Raw bytes per encoded-word: 48 base64 characters, so that "Subject: " and one
 * word stay within 78 bytes. Cut back to a character boundary. */
#define WORD_BYTES 36

static bool printable_ascii(str_t v)
{
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.ptr[i] < 0x20 || (unsigned char)v.ptr[i] > 0x7e)
            return false;
    /* something that looks like an encoded-word would be decoded by the reader */
    for (size_t i = 0; i + 1 < v.len; i++)
        if (v.ptr[i] == '=' && v.ptr[i + 1] == '?')
            return false;
    return true;
}

/* Encoded-words of whole UTF-8 characters, one per line after the first. */
static void put_encoded_words(buf_t *out, str_t v)
{
    for (size_t i = 0; i < v.len;) {
        size_t n = v.len - i < WORD_BYTES ? v.len - i : WORD_BYTES;
        while (n > 1 && i + n < v.len && ((unsigned char)v.ptr[i + n] & 0xC0) == 0x80)
            n--;
        unsigned char raw[WORD_BYTES];
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)v.ptr[i + k];
            raw[k] = c < 0x20 || c == 0x7f ? ' ' : c;
        }
        char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, raw, n, sodium_base64_VARIANT_ORIGINAL);
        if (i)
            buf_puts(out, "\r\n ");
        buf_printf(out, "=?UTF-8?B?%s?=", b64);
        i += n;
    }
}

void mail_put_header_text(buf_t *out, const char *name, str_t value)
{
    buf_printf(out, "%s: ", name);
    if (printable_ascii(value) && strlen(name) + 2 + value.len <= MAIL_LINE_MAX)
        buf_append_str(out, value);
    else
        put_encoded_words(out, value);
    buf_puts(out, "\r\n");
}

static bool atom_phrase(str_t v)
{
    if (!v.len || v.ptr[0] == ' ' || v.ptr[v.len - 1] == ' ')
        return false;
    for (size_t i = 0; i < v.len; i++)
        if (v.ptr[i] != ' ' && !atext((unsigned char)v.ptr[i]))
            return false;
    return true;
}

void mail_put_header_mailbox(buf_t *out, const char *name, str_t display, str_t addr)
{
    buf_printf(out, "%s: ", name);
    size_t start = out->len;
    if (display.len && printable_ascii(display)) {
        if (atom_phrase(display)) {
            buf_append_str(out, display);
        } else {
            buf_putc(out, '"');
            for (size_t i = 0; i < display.len; i++) {
                if (display.ptr[i] == '"' || display.ptr[i] == '\\')
                    buf_putc(out, '\\');
                buf_putc(out, display.ptr[i]);
            }
            buf_putc(out, '"');
        }
        if (strlen(name) + 2 + (out->len - start) + addr.len + 3 > MAIL_LINE_MAX) {
            out->len = start; /* too long for one line: fold it as encoded-words */
            out->data[start] = '\0';
            put_encoded_words(out, display);
        }
    } else if (display.len) {
        put_encoded_words(out, display);
    }
    if (display.len) {
        buf_puts(out, " <");
        buf_append_str(out, addr);
        buf_putc(out, '>');
    } else {
        buf_append_str(out, addr);
    }
    buf_puts(out, "\r\n");
}

void mail_put_header_date(buf_t *out, int64_t unix_seconds)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday % 7], tm.tm_mday,
               months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- quoted-printable body ---- */

#define QP_LINE 76

static void qp_line(buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool last = i + 1 == n;
        char tok[3];
        size_t len = 1;
        tok[0] = (char)c;
        bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
        /* room for the soft break's "=" on every line but the last */
        if (col + (literal ? 1 : 3) > QP_LINE - (last ? 0 : 1)) {
            buf_puts(out, "=\r\n");
            col = 0;
        }
        if (!literal || (col == 0 && c == '.')) {
            tok[0] = '=';
            tok[1] = hex[c >> 4];
            tok[2] = hex[c & 15];
            len = 3;
        }
        buf_append(out, tok, len);
        col += len;
    }
    buf_puts(out, "\r\n");
}

void mail_put_body_qp(buf_t *out, str_t text)
{
    size_t start = 0;
    for (size_t i = 0; i <= text.len; i++) {
        if (i < text.len && text.ptr[i] != '\n')
            continue;
        size_t end = i;
        if (end > start && text.ptr[end - 1] == '\r')
            end--;
        if (i < text.len || end > start)
            qp_line(out, text.ptr + start, end - start);
        start = i + 1;
    }
}
