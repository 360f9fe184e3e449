#include "web/template.h"

#include <string.h>

#define TPL_MAX_LOOP_DEPTH 16

void html_escape_text(buf_t *out, const char *s, size_t n)
{
    buf_reserve(out, n + 16);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        size_t rlen;
        switch (s[i]) {
        case '&': rep = "&amp;"; rlen = 5; break;
        case '<': rep = "&lt;"; rlen = 4; break;
        case '>': rep = "&gt;"; rlen = 4; break;
        default: continue;
        }
        buf_append(out, s + start, i - start);
        buf_append(out, rep, rlen);
        start = i + 1;
    }
    buf_append(out, s + start, n - start);
}

void html_escape(buf_t *out, const char *s, size_t n)
{
    buf_reserve(out, n + 16);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        size_t rlen;
        switch (s[i]) {
        case '&': rep = "&amp;"; rlen = 5; break;
        case '<': rep = "&lt;"; rlen = 4; break;
        case '>': rep = "&gt;"; rlen = 4; break;
        case '"': rep = "&quot;"; rlen = 6; break;
        case '\'': rep = "&#39;"; rlen = 5; break;
        default: continue;
        }
        buf_append(out, s + start, i - start);
        buf_append(out, rep, rlen);
        start = i + 1;
    }
    buf_append(out, s + start, n - start);
}

void url_escape_component(buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_reserve(out, n * 3);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out->data[out->len++] = (char)c;
        } else {
            out->data[out->len++] = '%';
            out->data[out->len++] = hex[c >> 4];
            out->data[out->len++] = hex[c & 15];
        }
    }
    out->data[out->len] = '\0';
}

bool url_scheme_safe(const char *s, size_t n)
{
    /* Browsers ignore leading spaces and control characters before a scheme. */
    size_t i = 0;
    while (i < n && (unsigned char)s[i] <= ' ')
        i++;
    size_t start = i;
    for (; i < n; i++) {
        char c = s[i];
        if (c == ':')
            break;
        if (c == '/' || c == '?' || c == '#')
            return true; /* relative reference: no scheme */
        bool scheme_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
                           c == '-' || c == '.';
        if (!scheme_char) {
            /* Tabs and newlines inside a scheme are stripped by browsers: "java\tscript:". */
            return memchr(s + i, ':', n - i) == NULL;
        }
    }
    if (i == n)
        return true; /* no ':' at all */
    str_t scheme = {s + start, i - start};
    return str_ieq(scheme, STR("http")) || str_ieq(scheme, STR("https")) || str_ieq(scheme, STR("mailto")) ||
           str_ieq(scheme, STR("tel"));
}

static void write_escaped(buf_t *out, const char *s, size_t n, tpl_escape_t esc)
{
    switch (esc) {
    case TPL_ESC_TEXT:
        html_escape_text(out, s, n);
        break;
    case TPL_ESC_ATTR:
        html_escape(out, s, n);
        break;
    case TPL_ESC_URL:
        if (url_scheme_safe(s, n))
            html_escape(out, s, n);
        else
            BUF_LIT(out, "#blocked");
        break;
    case TPL_ESC_URL_PART:
        url_escape_component(out, s, n);
        break;
    }
}

typedef struct loop {
    const value_t *list;
    uint32_t index;
} loop_t;

typedef struct render {
    const tpl_set_t *set;
    const value_t *scopes[TPL_MAX_LOOP_DEPTH + 2];
    int nscopes;
    loop_t loops[TPL_MAX_LOOP_DEPTH];
    int nloops;
} render_t;

/* Resolves a path to a value; sets *number for @index/@number. */
static const value_t *resolve(const render_t *r, const tpl_path_t *p, int64_t *number, bool *is_number)
{
    *is_number = false;
    switch (p->kind) {
    case TPL_PATH_DOT:
        return r->nloops ? r->loops[r->nloops - 1].list->as.list.items[r->loops[r->nloops - 1].index]
                         : r->scopes[r->nscopes - 1];
    case TPL_PATH_INDEX:
    case TPL_PATH_NUMBER:
        if (!r->nloops)
            return NULL;
        *is_number = true;
        *number = (int64_t)r->loops[r->nloops - 1].index + (p->kind == TPL_PATH_NUMBER);
        return NULL;
    default:
        break;
    }
    for (int s = r->nscopes - 1; s >= 0; s--) {
        const value_t *v = value_get(r->scopes[s], p->segs[0], p->lens[0]);
        if (!v)
            continue;
        for (int k = 1; k < p->nsegs && v; k++)
            v = value_get(v, p->segs[k], p->lens[k]);
        return v;
    }
    return NULL;
}

static bool path_truthy(const render_t *r, uint32_t path)
{
    int64_t num;
    bool is_number;
    const value_t *v = resolve(r, &r->set->paths[path], &num, &is_number);
    return is_number ? num != 0 : value_truthy(v);
}

static void write_path(buf_t *out, const render_t *r, uint32_t path, tpl_escape_t esc)
{
    int64_t num;
    bool is_number;
    const value_t *v = resolve(r, &r->set->paths[path], &num, &is_number);
    if (is_number) {
        buf_put_i64(out, num);
        return;
    }
    if (!v)
        return;
    if (v->kind == VALUE_STRING) {
        write_escaped(out, v->as.s.ptr, v->as.s.len, esc);
        return;
    }
    char tmp[64];
    buf_t t = {.data = tmp, .len = 0, .cap = sizeof tmp - 1, .arena = NULL};
    /* numbers and booleans are short: render them to a stack buffer first */
    if (v->kind == VALUE_INT || v->kind == VALUE_NUMBER || v->kind == VALUE_BOOL) {
        value_write_text(&t, v);
        write_escaped(out, t.data, t.len, esc);
    }
}

static void write_message(buf_t *out, const render_t *r, unsigned lang, const tpl_op_t *op, tpl_escape_t esc)
{
    const char *msg = r->set->messages[lang * r->set->nmessages + op->a];
    const char *p = msg;
    while (*p) {
        const char *brace = strchr(p, '{');
        if (!brace) {
            write_escaped(out, p, strlen(p), esc);
            break;
        }
        if (brace[1] >= '0' && brace[1] <= '9' && brace[2] == '}') {
            write_escaped(out, p, (size_t)(brace - p), esc);
            int k = brace[1] - '0';
            if (k < op->nargs)
                write_path(out, r, op[1 + k].a, esc);
            p = brace + 3;
        } else {
            write_escaped(out, p, (size_t)(brace - p) + 1, esc);
            p = brace + 1;
        }
    }
}

void tpl_render(buf_t *out, tpl_id_t id, const value_t *site, const value_t *view, lang_id_t lang)
{
    tpl_render_set(&tpl_set, out, id, site, view, lang);
}

void tpl_render_set(const tpl_set_t *set, buf_t *out, unsigned id, const value_t *site, const value_t *view,
                    unsigned lang)
{
    const tpl_program_t *prog = &set->programs[id];
    if (lang >= set->nlangs)
        lang = 0;
    render_t r = {.set = set, .nscopes = 0, .nloops = 0};
    if (site)
        r.scopes[r.nscopes++] = site;
    if (view)
        r.scopes[r.nscopes++] = view;
    if (r.nscopes == 0) {
        static const value_t empty = {.kind = VALUE_MAP};
        r.scopes[r.nscopes++] = &empty;
    }
    uint32_t pc = 0;
    while (pc < prog->nops) {
        const tpl_op_t *op = &prog->ops[pc];
        switch ((tpl_opcode_t)op->code) {
        case TPL_OP_END:
            return;
        case TPL_OP_TEXT:
            buf_append(out, set->text + op->a, op->b);
            pc++;
            break;
        case TPL_OP_VAR:
            write_path(out, &r, op->a, (tpl_escape_t)op->esc);
            pc++;
            break;
        case TPL_OP_MSG:
            write_message(out, &r, lang, op, (tpl_escape_t)op->esc);
            pc += 1 + op->nargs;
            break;
        case TPL_OP_ARG:
            pc++;
            break;
        case TPL_OP_IF:
            pc = path_truthy(&r, op->a) ? pc + 1 : op->b;
            break;
        case TPL_OP_UNLESS:
            pc = path_truthy(&r, op->a) ? op->b : pc + 1;
            break;
        case TPL_OP_JUMP:
            pc = op->b;
            break;
        case TPL_OP_EACH: {
            int64_t num;
            bool is_number;
            const value_t *list = resolve(&r, &set->paths[op->a], &num, &is_number);
            if (!list || list->kind != VALUE_LIST || list->as.list.len == 0 || r.nloops == TPL_MAX_LOOP_DEPTH) {
                pc = op->b;
                break;
            }
            r.loops[r.nloops++] = (loop_t){list, 0};
            r.scopes[r.nscopes++] = list->as.list.items[0];
            pc++;
            break;
        }
        case TPL_OP_NEXT: {
            loop_t *l = &r.loops[r.nloops - 1];
            if (++l->index < l->list->as.list.len) {
                r.scopes[r.nscopes - 1] = l->list->as.list.items[l->index];
                pc = op->b;
            } else {
                r.nloops--;
                r.nscopes--;
                pc++;
            }
            break;
        }
        default:
            return;
        }
    }
}

const char *i18n_text(lang_id_t lang, msg_id_t id)
{
    if ((unsigned)lang >= LANG_COUNT || (unsigned)id >= MSG_COUNT)
        return "";
    return i18n_messages[lang * MSG_COUNT + id];
}

void i18n_format(buf_t *out, lang_id_t lang, msg_id_t id, const char *const *args, int nargs)
{
    const char *p = i18n_text(lang, id);
    while (*p) {
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
            int k = p[1] - '0';
            if (k < nargs && args[k])
                buf_puts(out, args[k]);
            p += 3;
        } else {
            buf_putc(out, *p++);
        }
    }
}

int i18n_lang_from_code(str_t code)
{
    for (int i = 0; i < LANG_COUNT; i++)
        if (str_ieq(code, str_from(i18n_lang_codes[i])))
            return i;
    return -1;
}

const char *i18n_lang_code(lang_id_t lang)
{
    return (unsigned)lang < LANG_COUNT ? i18n_lang_codes[lang] : i18n_lang_codes[0];
}
