#include "http/multipart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

enum {
    ST_PREAMBLE = 0,
    ST_AFTER_DELIM,
    ST_AFTER_DELIM_CR,
    ST_HEADERS,
    ST_BODY,
    ST_EPILOGUE,
    ST_ERROR,
};

/* RFC 2046 bchars */
static int is_bchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("'()+_,-./:=? ", c) != NULL;
}

multipart_error_t multipart_boundary(str_t content_type, char *out, size_t *out_len)
{
    str_t params;
    str_t type = str_trim(str_cut(content_type, ';', &params));
    if (!str_ieq(type, STR("multipart/form-data")))
        return MP_ERR_BOUNDARY;
    while (params.ptr) {
        str_t rest;
        str_t param = str_trim(str_cut(params, ';', &rest));
        params = rest;
        str_t value;
        str_t name = str_trim(str_cut(param, '=', &value));
        if (!str_ieq(name, STR("boundary")) || value.ptr == NULL)
            continue;
        value = str_trim(value);
        if (value.len >= 2 && value.ptr[0] == '"' && value.ptr[value.len - 1] == '"') {
            value.ptr++;
            value.len -= 2;
        }
        if (value.len == 0 || value.len > MULTIPART_MAX_BOUNDARY || value.ptr[value.len - 1] == ' ')
            return MP_ERR_BOUNDARY;
        for (size_t i = 0; i < value.len; i++)
            if (!is_bchar((unsigned char)value.ptr[i]))
                return MP_ERR_BOUNDARY;
        memcpy(out, value.ptr, value.len);
        *out_len = value.len;
        return MP_OK;
    }
    return MP_ERR_BOUNDARY;
}

void multipart_parser_init(multipart_parser_t *p, const char *boundary, size_t boundary_len, const multipart_callbacks_t *cb,
                           void *ud)
{
    memset(p, 0, offsetof(multipart_parser_t, header));
    memcpy(p->delimiter, "\r\n--", 4);
    if (boundary_len > MULTIPART_MAX_BOUNDARY)
        boundary_len = MULTIPART_MAX_BOUNDARY;
    memcpy(p->delimiter + 4, boundary, boundary_len);
    p->delimiter_len = 4 + boundary_len;
    /* The first delimiter may open the body without a preceding CRLF. */
    p->match = 2;
    p->state = ST_PREAMBLE;
    p->header_len = 0;
    p->cb = *cb;
    p->ud = ud;
    p->error = MP_OK;
}

static multipart_error_t fail(multipart_parser_t *p, multipart_error_t e)
{
    p->state = ST_ERROR;
    p->error = e;
    return e;
}

/* Reads a token or quoted-string parameter value at s[*i]; writes the decoded value to out. */
static int read_param_value(const char *s, size_t len, size_t *i, char *out, size_t *out_len, size_t out_cap)
{
    size_t o = 0;
    if (*i < len && s[*i] == '"') {
        (*i)++;
        while (*i < len && s[*i] != '"') {
            char c = s[*i];
            if (c == '\\' && *i + 1 < len) {
                (*i)++;
                c = s[*i];
            }
            if (o >= out_cap)
                return -1;
            out[o++] = c;
            (*i)++;
        }
        if (*i >= len)
            return -1; /* unterminated quote */
        (*i)++;
    } else {
        while (*i < len && s[*i] != ';' && s[*i] != ' ' && s[*i] != '\t') {
            if (o >= out_cap)
                return -1;
            out[o++] = s[(*i)++];
        }
    }
    *out_len = o;
    return 0;
}

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

/* RFC 8187 ext-value: charset'language'pct-encoded; only UTF-8 is accepted. */
static int decode_ext_value(const char *v, size_t n, char *out, size_t *out_len)
{
    const char *q1 = memchr(v, '\'', n);
    if (!q1)
        return -1;
    str_t charset = {v, (size_t)(q1 - v)};
    if (!str_ieq(charset, STR("UTF-8")))
        return -1;
    const char *q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - v));
    if (!q2)
        return -1;
    size_t o = 0;
    for (const char *p = q2 + 1; p < v + n; p++) {
        if (*p == '%') {
            if (v + n - p < 3)
                return -1;
            int hi = hexval((unsigned char)p[1]), lo = hexval((unsigned char)p[2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    *out_len = o;
    return 0;
}

/* Parses the buffered part headers and announces the part. */
static multipart_error_t begin_part(multipart_parser_t *p)
{
    /* Decoded values are at most as long as the raw header block. */
    char *name_buf = p->scratch_name, *file_buf = p->scratch_file, *raw = p->scratch_raw;
    multipart_part_info_t info = {STR_NULL, STR_NULL, STR_NULL};
    bool has_disposition = false, has_ext_filename = false;
    const char *h = p->header;
    size_t len = p->header_len;
    size_t pos = 0;
    while (pos < len) {
        const char *eol = NULL;
        for (size_t k = pos; k + 1 < len; k++)
            if (h[k] == '\r' && h[k + 1] == '\n') {
                eol = h + k;
                break;
            }
        if (!eol)
            return MP_ERR_SYNTAX;
        size_t line_len = (size_t)(eol - (h + pos));
        str_t line = {h + pos, line_len};
        pos += line_len + 2;
        if (line_len == 0)
            break; /* blank line: end of headers */
        str_t value;
        str_t name = str_cut(line, ':', &value);
        if (value.ptr == NULL || name.len == 0 || name.ptr[0] == ' ' || name.ptr[0] == '\t')
            return MP_ERR_SYNTAX;
        value = str_trim(value);
        if (str_ieq(name, STR("Content-Type"))) {
            info.content_type = value;
        } else if (str_ieq(name, STR("Content-Disposition"))) {
            str_t params;
            str_t kind = str_trim(str_cut(value, ';', &params));
            if (!str_ieq(kind, STR("form-data")))
                return MP_ERR_NO_NAME;
            has_disposition = true;
            size_t i = 0;
            const char *s = params.ptr;
            size_t slen = params.ptr ? params.len : 0;
            while (i < slen) {
                while (i < slen && (s[i] == ' ' || s[i] == '\t' || s[i] == ';'))
                    i++;
                size_t ns = i;
                while (i < slen && s[i] != '=' && s[i] != ';')
                    i++;
                str_t pname = str_trim((str_t){s + ns, i - ns});
                if (i >= slen || s[i] != '=') {
                    continue; /* parameter without a value: ignored */
                }
                i++;
                while (i < slen && (s[i] == ' ' || s[i] == '\t'))
                    i++;
                size_t raw_len = 0;
                if (read_param_value(s, slen, &i, raw, &raw_len, MULTIPART_MAX_HEADER_BYTES) != 0)
                    return MP_ERR_SYNTAX;
                if (str_ieq(pname, STR("name"))) {
                    memcpy(name_buf, raw, raw_len);
                    info.name = (str_t){name_buf, raw_len};
                } else if (str_ieq(pname, STR("filename*"))) {
                    size_t dl;
                    if (decode_ext_value(raw, raw_len, file_buf, &dl) == 0) {
                        info.filename = (str_t){file_buf, dl};
                        has_ext_filename = true;
                    }
                } else if (str_ieq(pname, STR("filename")) && !has_ext_filename) {
                    memcpy(file_buf, raw, raw_len);
                    info.filename = (str_t){file_buf, raw_len};
                }
            }
        }
        /* Other part headers (Content-Transfer-Encoding...) are ignored, as RFC 7578 allows. */
    }
    if (!has_disposition || info.name.ptr == NULL)
        return MP_ERR_NO_NAME;
    if (p->cb.on_part_begin && p->cb.on_part_begin(p->ud, &info) != 0)
        return MP_ERR_CALLBACK;
    return MP_OK;
}

static int emit(multipart_parser_t *p, const char *data, size_t len)
{
    if (len == 0 || !p->cb.on_part_data)
        return 0;
    return p->cb.on_part_data(p->ud, data, len);
}

multipart_error_t multipart_parser_feed(multipart_parser_t *p, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        switch (p->state) {
        case ST_ERROR:
            return p->error;
        case ST_EPILOGUE:
            return MP_OK; /* everything after the close delimiter is ignored */
        case ST_PREAMBLE: {
            char c = data[i];
            if (c == p->delimiter[p->match]) {
                p->match++;
                i++;
                if (p->match == p->delimiter_len) {
                    p->match = 0;
                    p->after_delim_dashes = 0;
                    p->state = ST_AFTER_DELIM;
                }
            } else if (p->match > 0) {
                p->match = 0; /* re-examine c from a fresh start */
            } else {
                i++;
            }
            break;
        }
        case ST_AFTER_DELIM: {
            char c = data[i++];
            if (c == '-') {
                if (++p->after_delim_dashes == 2)
                    p->state = ST_EPILOGUE;
            } else if (p->after_delim_dashes) {
                return fail(p, MP_ERR_SYNTAX);
            } else if (c == ' ' || c == '\t') {
                /* transport padding */
            } else if (c == '\r') {
                p->state = ST_AFTER_DELIM_CR;
            } else {
                return fail(p, MP_ERR_SYNTAX);
            }
            break;
        }
        case ST_AFTER_DELIM_CR:
            if (data[i++] != '\n')
                return fail(p, MP_ERR_SYNTAX);
            p->header_len = 0;
            p->state = ST_HEADERS;
            break;
        case ST_HEADERS: {
            char c = data[i++];
            if (p->header_len >= sizeof p->header)
                return fail(p, MP_ERR_HEADERS_TOO_LARGE);
            p->header[p->header_len++] = c;
            size_t n = p->header_len;
            bool done = (n == 2 && p->header[0] == '\r' && p->header[1] == '\n') ||
                        (n >= 4 && memcmp(p->header + n - 4, "\r\n\r\n", 4) == 0);
            if (done) {
                multipart_error_t e = begin_part(p);
                if (e != MP_OK)
                    return fail(p, e);
                p->match = 0;
                p->state = ST_BODY;
            }
            break;
        }
        case ST_BODY: {
            size_t run_start = i;
            while (i < len) {
                if (p->match == 0) {
                    const char *cr = memchr(data + i, '\r', len - i);
                    if (!cr) {
                        i = len;
                        break;
                    }
                    i = (size_t)(cr - data);
                    if (emit(p, data + run_start, i - run_start) != 0)
                        return fail(p, MP_ERR_CALLBACK);
                    p->match = 1;
                    i++;
                    run_start = i;
                    continue;
                }
                if (data[i] == p->delimiter[p->match]) {
                    p->match++;
                    i++;
                    run_start = i;
                    if (p->match == p->delimiter_len) {
                        p->match = 0;
                        if (p->cb.on_part_end && p->cb.on_part_end(p->ud) != 0)
                            return fail(p, MP_ERR_CALLBACK);
                        p->after_delim_dashes = 0;
                        p->state = ST_AFTER_DELIM;
                        break;
                    }
                    continue;
                }
                /* Mismatch: the bytes matched so far were data after all. They equal the
                 * delimiter's prefix, which never contains a second CR, so restarting at
                 * the current byte cannot miss a delimiter. */
                if (emit(p, p->delimiter, p->match) != 0)
                    return fail(p, MP_ERR_CALLBACK);
                p->match = 0;
                run_start = i;
            }
            if (p->state == ST_BODY && p->match == 0 && i > run_start) {
                if (emit(p, data + run_start, i - run_start) != 0)
                    return fail(p, MP_ERR_CALLBACK);
            }
            break;
        }
        }
    }
    return p->state == ST_ERROR ? p->error : MP_OK;
}

multipart_error_t multipart_parser_finish(multipart_parser_t *p)
{
    if (p->state == ST_ERROR)
        return p->error;
    if (p->state != ST_EPILOGUE)
        return fail(p, MP_ERR_TRUNCATED);
    return MP_OK;
}

const char *multipart_error_text(multipart_error_t e)
{
    switch (e) {
    case MP_OK: return "ok";
    case MP_ERR_BOUNDARY: return "missing or invalid multipart boundary";
    case MP_ERR_SYNTAX: return "malformed multipart body";
    case MP_ERR_HEADERS_TOO_LARGE: return "multipart part headers too large";
    case MP_ERR_NO_NAME: return "multipart part without a form-data name";
    case MP_ERR_TRUNCATED: return "multipart body ended before its closing boundary";
    case MP_ERR_CALLBACK: return "multipart part rejected";
    }
    return "unknown";
}

/* ---- whole-form reading ---- */

typedef struct collector {
    arena_t *arena;
    const multipart_limits_t *limits;
    multipart_form_result_t *out;
    upload_t *last;
    /* current part */
    bool in_file;
    bool skip_data; /* a file input left empty: filename="" */
    int fd;
    upload_t *upload;
    str_t name;
    buf_t value;
    uint64_t total_file_bytes;
} collector_t;

static void unlink_upload(void *arg)
{
    upload_t *u = arg;
    if (u->path) {
        unlink(u->path);
        u->path = NULL;
    }
}

char *upload_claim(upload_t *u)
{
    char *p = u->path;
    u->path = NULL;
    return p;
}

static str_t printable(str_t s)
{
    size_t n = 0;
    while (n < s.len && n < 64 && (unsigned char)s.ptr[n] >= 0x20 && (unsigned char)s.ptr[n] < 0x7F)
        n++;
    return (str_t){s.ptr, n};
}

static int stop(collector_t *c, multipart_form_status_t st, str_t field)
{
    c->out->status = st;
    c->out->field = field;
    return -1;
}

/* Keeps the last path component and at most 255 bytes, cut on a character boundary. */
static str_t clean_filename(str_t f)
{
    for (size_t i = f.len; i > 0; i--) {
        if (f.ptr[i - 1] == '/' || f.ptr[i - 1] == '\\') {
            f = (str_t){f.ptr + i, f.len - i};
            break;
        }
    }
    if (f.len > 255) {
        size_t n = 255;
        while (n > 0 && ((unsigned char)f.ptr[n] & 0xC0) == 0x80)
            n--;
        f.len = n;
    }
    return f;
}

static int on_begin(void *ud, const multipart_part_info_t *info)
{
    collector_t *c = ud;
    text_status_t t = text_check(info->name.ptr, info->name.len);
    if (t != TEXT_OK) {
        c->out->text = t;
        return stop(c, MPF_BAD_TEXT, printable(info->name));
    }
    c->name = (str_t){arena_strndup(c->arena, info->name.ptr, info->name.len), info->name.len};
    c->skip_data = false;
    if (info->filename.ptr != NULL) {
        c->in_file = true;
        if (info->filename.len == 0) {
            /* Browsers send an empty part with filename="" for a file input left empty. */
            c->skip_data = true;
            return 0;
        }
        str_t fname = clean_filename(info->filename);
        t = text_check(fname.ptr, fname.len);
        if (t != TEXT_OK || fname.len == 0) {
            c->out->text = t != TEXT_OK ? t : TEXT_BAD_UTF8;
            return stop(c, MPF_BAD_TEXT, c->name);
        }
        if (c->out->upload_count >= c->limits->max_files)
            return stop(c, MPF_TOO_MANY_FILES, c->name);
        upload_t *u = ARENA_NEW(c->arena, upload_t);
        u->field = c->name;
        u->filename = (str_t){arena_strndup(c->arena, fname.ptr, fname.len), fname.len};
        if (info->content_type.ptr)
            u->content_type = (str_t){arena_strndup(c->arena, info->content_type.ptr, info->content_type.len),
                                      info->content_type.len};
        u->path = arena_printf(c->arena, "%s/upload-XXXXXX", c->limits->tmp_dir ? c->limits->tmp_dir : "/tmp");
        c->fd = mkostemp(u->path, O_CLOEXEC);
        if (c->fd < 0) {
            u->path = NULL;
            return stop(c, MPF_IO, c->name);
        }
        arena_on_free(c->arena, unlink_upload, u);
        if (c->last)
            c->last->next = u;
        else
            c->out->uploads = u;
        c->last = u;
        c->out->upload_count++;
        c->upload = u;
    } else {
        c->in_file = false;
        if (c->out->fields.len >= c->limits->max_fields)
            return stop(c, MPF_TOO_MANY_FIELDS, c->name);
        buf_init(&c->value, c->arena, 64);
    }
    return 0;
}

static int on_data(void *ud, const char *data, size_t len)
{
    collector_t *c = ud;
    if (c->in_file) {
        if (c->skip_data) {
            /* Content under an empty filename: keep it rather than lose it silently. */
            c->skip_data = false;
            multipart_part_info_t info = {c->name, STR("fichier"), STR_NULL};
            if (on_begin(c, &info) != 0)
                return -1;
        }
        c->upload->size += len;
        c->total_file_bytes += len;
        if (c->upload->size > c->limits->max_file_bytes)
            return stop(c, MPF_FILE_TOO_LARGE, c->name);
        if (c->total_file_bytes > c->limits->max_total_file_bytes)
            return stop(c, MPF_FILES_TOO_LARGE, c->name);
        while (len > 0) {
            ssize_t n = write(c->fd, data, len);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return stop(c, MPF_IO, c->name);
            }
            data += n;
            len -= (size_t)n;
        }
        return 0;
    }
    if (c->value.len + len > c->limits->max_field_bytes)
        return stop(c, MPF_FIELD_TOO_LARGE, c->name);
    buf_append(&c->value, data, len);
    return 0;
}

static int on_end(void *ud)
{
    collector_t *c = ud;
    if (c->in_file) {
        if (!c->skip_data && c->fd >= 0) {
            close(c->fd);
            c->fd = -1;
        }
        c->in_file = false;
        return 0;
    }
    text_status_t t = text_check(c->value.data, c->value.len);
    if (t != TEXT_OK) {
        c->out->text = t;
        return stop(c, MPF_BAD_TEXT, c->name);
    }
    form_add(&c->out->fields, c->name, buf_str(&c->value));
    return 0;
}

multipart_form_status_t multipart_read_form(arena_t *a, str_t content_type, const char *body, size_t len,
                                            const multipart_limits_t *limits, multipart_form_result_t *out)
{
    memset(out, 0, sizeof *out);
    form_init(&out->fields, a);
    out->field = STR("");
    char boundary[MULTIPART_MAX_BOUNDARY];
    size_t blen = 0;
    multipart_error_t e = multipart_boundary(content_type, boundary, &blen);
    if (e != MP_OK) {
        out->status = MPF_MALFORMED;
        out->mp_error = e;
        return out->status;
    }
    collector_t c = {.arena = a, .limits = limits, .out = out, .fd = -1};
    multipart_callbacks_t cb = {on_begin, on_data, on_end};
    /* The parser holds an 8 KiB header buffer: keep it off the event loop's stack. */
    multipart_parser_t *p = arena_alloc(a, sizeof *p);
    multipart_parser_init(p, boundary, blen, &cb, &c);
    e = multipart_parser_feed(p, body, len);
    if (e == MP_OK)
        e = multipart_parser_finish(p);
    if (c.fd >= 0)
        close(c.fd);
    if (e != MP_OK) {
        if (e != MP_ERR_CALLBACK) {
            out->status = MPF_MALFORMED;
            out->mp_error = e;
        }
        /* Nothing of a failed form is kept: its files go now, not at request end. */
        for (upload_t *u = out->uploads; u; u = u->next)
            unlink_upload(u);
        out->uploads = NULL;
        out->upload_count = 0;
        return out->status;
    }
    out->status = MPF_OK;
    return MPF_OK;
}

const char *multipart_form_status_text(multipart_form_status_t s)
{
    switch (s) {
    case MPF_OK: return "ok";
    case MPF_MALFORMED: return "malformed multipart form";
    case MPF_BAD_TEXT: return "invalid text in a field";
    case MPF_TOO_MANY_FIELDS: return "too many fields";
    case MPF_FIELD_TOO_LARGE: return "field too large";
    case MPF_TOO_MANY_FILES: return "too many files";
    case MPF_FILE_TOO_LARGE: return "file too large";
    case MPF_FILES_TOO_LARGE: return "files too large in total";
    case MPF_IO: return "could not store the file";
    }
    return "unknown";
}
