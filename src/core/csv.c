#include "core/csv.h"

#include <stdio.h>
#include <string.h>

static int read_row(csv_t *c, str_t *fields, int max, int *nfields)
{
    *nfields = 0;
    c->line = c->next_line;
    /* skip blank lines */
    while (c->pos < c->len && (c->data[c->pos] == '\n' || c->data[c->pos] == '\r')) {
        if (c->data[c->pos] == '\n')
            c->next_line++;
        c->pos++;
        c->line = c->next_line;
    }
    if (c->pos >= c->len)
        return 0;
    for (;;) {
        if (*nfields == max) {
            snprintf(c->error, sizeof c->error, "line %d: more than %d fields", c->line, max);
            return -1;
        }
        str_t *f = &fields[(*nfields)++];
        if (c->pos < c->len && c->data[c->pos] == '"') {
            /* quoted: "" stands for one quote. Measure first, then copy exactly. */
            c->pos++;
            size_t scan = c->pos, n = 0;
            int lines = 0;
            for (;;) {
                if (scan >= c->len) {
                    snprintf(c->error, sizeof c->error, "line %d: a quoted field is never closed", c->line);
                    return -1;
                }
                char ch = c->data[scan++];
                if (ch == '"') {
                    if (scan < c->len && c->data[scan] == '"')
                        scan++;
                    else
                        break;
                } else if (ch == '\n') {
                    lines++;
                }
                if (++n > CSV_MAX_FIELD) {
                    snprintf(c->error, sizeof c->error, "line %d: field %d is longer than %d bytes", c->line, *nfields,
                             CSV_MAX_FIELD);
                    return -1;
                }
            }
            char *out = arena_alloc(c->arena, n + 1);
            size_t o = 0;
            while (c->pos < scan - 1) {
                char ch = c->data[c->pos++];
                if (ch == '"')
                    c->pos++; /* the second quote of a "" pair */
                out[o++] = ch;
            }
            c->pos = scan;
            c->next_line += lines;
            out[o] = '\0';
            n = o;
            *f = (str_t){out, n};
            if (c->pos < c->len && c->data[c->pos] != c->sep && c->data[c->pos] != '\n' && c->data[c->pos] != '\r') {
                snprintf(c->error, sizeof c->error, "line %d: text after the closing quote of field %d", c->line,
                         *nfields);
                return -1;
            }
        } else {
            size_t start = c->pos;
            while (c->pos < c->len && c->data[c->pos] != c->sep && c->data[c->pos] != '\n' && c->data[c->pos] != '\r') {
                if (c->data[c->pos] == '"') {
                    snprintf(c->error, sizeof c->error, "line %d: a quote inside unquoted field %d", c->line, *nfields);
                    return -1;
                }
                c->pos++;
            }
            if (c->pos - start > CSV_MAX_FIELD) {
                snprintf(c->error, sizeof c->error, "line %d: field %d is longer than %d bytes", c->line, *nfields,
                         CSV_MAX_FIELD);
                return -1;
            }
            *f = (str_t){c->data + start, c->pos - start};
        }
        text_status_t t = text_check(f->ptr, f->len);
        if (t != TEXT_OK) {
            snprintf(c->error, sizeof c->error, "line %d: field %d: %s", c->line, *nfields,
                     t == TEXT_NUL_BYTE ? "NUL byte" : t == TEXT_CONTROL_CHAR ? "control character" : "invalid UTF-8");
            return -1;
        }
        if (c->pos >= c->len)
            return 1;
        char ch = c->data[c->pos];
        if (ch == c->sep) {
            c->pos++;
            continue;
        }
        /* end of row: \n, \r\n or a lone \r */
        if (ch == '\r')
            c->pos++;
        if (c->pos < c->len && c->data[c->pos] == '\n')
            c->pos++;
        c->next_line++;
        return 1;
    }
}

bool csv_open(csv_t *c, arena_t *a, const char *data, size_t len)
{
    memset(c, 0, sizeof *c);
    c->arena = a;
    c->data = data;
    c->len = len;
    c->next_line = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3;
    /* The header's separator: the first ';' or ',' outside quotes on the first line. */
    c->sep = ';';
    bool in_quotes = false;
    for (size_t i = c->pos; i < len && data[i] != '\n'; i++) {
        if (data[i] == '"')
            in_quotes = !in_quotes;
        else if (!in_quotes && (data[i] == ';' || data[i] == ',')) {
            c->sep = data[i];
            break;
        }
    }
    int rc = read_row(c, c->header, CSV_MAX_COLUMNS, &c->ncols);
    if (rc <= 0) {
        if (rc == 0)
            snprintf(c->error, sizeof c->error, "the file is empty (a header line is expected)");
        return false;
    }
    for (int i = 0; i < c->ncols; i++) {
        c->header[i] = str_trim(c->header[i]);
        if (c->header[i].len == 0) {
            snprintf(c->error, sizeof c->error, "line 1: column %d has no name", i + 1);
            return false;
        }
        for (int k = 0; k < i; k++) {
            if (str_ieq(c->header[k], c->header[i])) {
                snprintf(c->error, sizeof c->error, "line 1: column \"%.*s\" appears twice", (int)c->header[i].len,
                         c->header[i].ptr);
                return false;
            }
        }
    }
    return true;
}

int csv_column(const csv_t *c, const char *name)
{
    for (int i = 0; i < c->ncols; i++)
        if (str_ieq(c->header[i], str_from(name)))
            return i;
    return -1;
}

int csv_next(csv_t *c, str_t fields[CSV_MAX_COLUMNS])
{
    int n;
    int rc = read_row(c, fields, c->ncols, &n);
    if (rc <= 0)
        return rc;
    for (int i = n; i < c->ncols; i++)
        fields[i] = STR("");
    return 1;
}
