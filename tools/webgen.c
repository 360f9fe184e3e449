/* webgen: compiles Cartable's web layer into C at build time.
 *
 *   webgen --templates DIR --i18n DIR --assets DIR --out-c FILE --out-h FILE
 *
 * - Assets: every file under the assets directory becomes an embedded_asset_t
 *   with a content fingerprint, a strong ETag and, for text, a gzip copy.
 * - Message catalogues: DIR/fr.txt (the reference) and every other LANG.txt, each
 *   optionally continued in LANG.AREA.txt files (one per part of the site), as
 *   `key = text` lines. Every language must have exactly the reference's keys and
 *   the same {0}..{9} placeholders, or the build fails.
 * - Templates: every .html file becomes a program of ops (web/embedded.h).
 *   Layouts (`{{extends "layout"}}` + `{{#block "name"}}`) and partials
 *   (`{{> name}}`) are flattened here. An HTML state machine runs over the
 *   flattened text and decides how each substitution is escaped from where it
 *   stands; a substitution where no escaping is safe (tag names, unquoted or
 *   event-handler or style attributes, script, comments) is a build error, and
 *   so is an unknown message key, partial, block or asset.
 * Errors are reported as file:line: message, and the exit status is 1.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../src/web/embedded.h"

/* ------------------------------------------------------------------ utilities */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "webgen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}
static void sb_addc(sbuf_t *b, char c) { sb_add(b, &c, 1); }
static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("out of memory");
    sb_add(b, s, (size_t)n);
    free(s);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read %s: %s", path, strerror(errno));
    sbuf_t b = {0};
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        sb_add(&b, tmp, n);
    fclose(f);
    if (!b.p)
        sb_add(&b, "", 0);
    *len = b.len;
    return b.p;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists regular files under dir (recursively), relative paths, sorted. */
static void list_files(const char *root, const char *rel, char ***out, size_t *n)
{
    char path[8192];
    snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d)
        die("cannot open directory %s: %s", path, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096], full[8192 + 256];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (stat(full, &st) != 0)
            die("cannot stat %s", full);
        if (S_ISDIR(st.st_mode)) {
            list_files(root, sub, out, n);
        } else if (S_ISREG(st.st_mode)) {
            *out = xrealloc(*out, sizeof(char *) * (*n + 1));
            (*out)[(*n)++] = xstrdup(sub);
        }
    }
    closedir(d);
    qsort(*out, *n, sizeof(char *), cmp_str);
}

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Writes bytes as a C string literal body, wrapped every ~100 bytes. */
static void emit_c_string(sbuf_t *o, const unsigned char *p, size_t n)
{
    sb_add(o, "\"", 1);
    size_t col = 0;
    bool prev_hex = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (col > 100) {
            sb_add(o, "\"\n    \"", 7);
            col = 0;
            prev_hex = false;
        }
        if (c == '"' || c == '\\') {
            sb_addc(o, '\\');
            sb_addc(o, (char)c);
            col += 2;
            prev_hex = false;
        } else if (c == '\n') {
            sb_add(o, "\\n", 2);
            col += 2;
            prev_hex = false;
        } else if (c >= 0x20 && c < 0x7F && !(prev_hex && isxdigit(c)) && c != '?') {
            sb_addc(o, (char)c);
            col++;
            prev_hex = false;
        } else {
            sb_printf(o, "\\x%02x", c);
            col += 4;
            prev_hex = true;
        }
    }
    sb_add(o, "\"", 1);
}

static void c_identifier(char *dst, const char *src)
{
    for (; *src; src++)
        *dst++ = isalnum((unsigned char)*src) ? *src : '_';
    *dst = '\0';
}

/* ------------------------------------------------------------------ assets */

typedef struct asset {
    char *name, *url, *plain_url, *mime, *etag;
    unsigned char *data, *gz;
    size_t size, gz_size;
    bool compressible;
} asset_t;

static asset_t *assets;
static size_t nassets;

static const char *mime_for(const char *name, bool *compressible)
{
    const char *dot = strrchr(name, '.');
    const char *ext = dot ? dot + 1 : "";
    static const struct {
        const char *ext, *mime;
        bool text;
    } map[] = {
        {"css", "text/css; charset=utf-8", true},
        {"js", "text/javascript; charset=utf-8", true},
        {"svg", "image/svg+xml", true},
        {"txt", "text/plain; charset=utf-8", true},
        {"json", "application/json", true},
        {"webmanifest", "application/manifest+json", true},
        {"png", "image/png", false},
        {"ico", "image/x-icon", false},
        {"woff2", "font/woff2", false},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(ext, map[i].ext) == 0) {
            *compressible = map[i].text;
            return map[i].mime;
        }
    }
    die("asset %s: unknown file type (add it to webgen's mime table)", name);
}

static void load_assets(const char *dir)
{
    char **files = NULL;
    size_t n = 0;
    list_files(dir, "", &files, &n);
    for (size_t i = 0; i < n; i++) {
        asset_t a = {0};
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        a.name = files[i];
        a.data = (unsigned char *)read_file(path, &a.size);
        a.mime = xstrdup(mime_for(a.name, &a.compressible));
        uint64_t h = fnv1a64(a.data, a.size);
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        const char *dot = strrchr(a.name, '.');
        size_t base = dot ? (size_t)(dot - a.name) : strlen(a.name);
        sbuf_t url = {0};
        sb_printf(&url, "/assets/%.*s.%.10s%s", (int)base, a.name, hex, dot ? dot : "");
        a.url = url.p;
        sbuf_t plain = {0};
        sb_printf(&plain, "/assets/%s", a.name);
        a.plain_url = plain.p;
        sbuf_t etag = {0};
        sb_printf(&etag, "\"%s\"", hex);
        a.etag = etag.p;
        if (a.compressible && a.size > 256) {
            z_stream zs = {0};
            if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
                die("zlib init failed");
            size_t cap = deflateBound(&zs, a.size);
            a.gz = xmalloc(cap);
            zs.next_in = a.data;
            zs.avail_in = (uInt)a.size;
            zs.next_out = a.gz;
            zs.avail_out = (uInt)cap;
            if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
                die("zlib deflate failed for %s", a.name);
            a.gz_size = zs.total_out;
            deflateEnd(&zs);
            if (a.gz_size + 64 >= a.size) {
                free(a.gz);
                a.gz = NULL;
                a.gz_size = 0;
            }
        }
        assets = xrealloc(assets, sizeof(asset_t) * (nassets + 1));
        assets[nassets++] = a;
    }
    free(files);
}

static const asset_t *find_asset(const char *name)
{
    for (size_t i = 0; i < nassets; i++)
        if (strcmp(assets[i].name, name) == 0)
            return &assets[i];
    return NULL;
}

/* ------------------------------------------------------------------ i18n */

typedef struct catalogue {
    char *lang;
    char **keys;
    char **texts;
    size_t n;
} catalogue_t;

static catalogue_t *langs;
static size_t nlangs;

static unsigned placeholders(const char *s)
{
    unsigned mask = 0;
    for (const char *p = s; *p; p++)
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}')
            mask |= 1u << (p[1] - '0');
    return mask;
}

/* A language's catalogue is LANG.txt plus any LANG.AREA.txt (one file per part of
 * the site, so features keep their messages apart); keys are unique across them. */
static catalogue_t *catalogue_for(const char *lang)
{
    for (size_t i = 0; i < nlangs; i++)
        if (strcmp(langs[i].lang, lang) == 0)
            return &langs[i];
    langs = xrealloc(langs, sizeof(catalogue_t) * (nlangs + 1));
    langs[nlangs] = (catalogue_t){.lang = xstrdup(lang)};
    return &langs[nlangs++];
}

static void load_catalogue(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char lang[64];
    size_t ll = strcspn(file, ".");
    if (ll == 0 || ll >= sizeof lang)
        die("%s: a catalogue is named LANG.txt or LANG.AREA.txt", path);
    memcpy(lang, file, ll);
    lang[ll] = '\0';
    size_t len;
    char *src = read_file(path, &len);
    catalogue_t c = *catalogue_for(lang);
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        while (*line == ' ' || *line == '\t')
            line++;
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        if (!*line || *line == '#')
            continue;
        char *eq = strstr(line, " = ");
        if (!eq)
            die("%s:%d: expected `key = text`", path, lineno);
        *eq = '\0';
        char *key = line, *text = eq + 3;
        for (char *k = key; *k; k++)
            if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_' || *k == '.'))
                die("%s:%d: key \"%s\" may only use a-z, 0-9, '_' and '.'", path, lineno, key);
        for (size_t i = 0; i < c.n; i++)
            if (strcmp(c.keys[i], key) == 0)
                die("%s:%d: key \"%s\" defined twice", path, lineno, key);
        /* "\n" in a message stands for a line break. */
        sbuf_t t = {0};
        for (char *p = text; *p; p++) {
            if (p[0] == '\\' && p[1] == 'n') {
                sb_addc(&t, '\n');
                p++;
            } else {
                sb_addc(&t, *p);
            }
        }
        if (!t.p)
            sb_add(&t, "", 0);
        c.keys = xrealloc(c.keys, sizeof(char *) * (c.n + 1));
        c.texts = xrealloc(c.texts, sizeof(char *) * (c.n + 1));
        c.keys[c.n] = xstrdup(key);
        c.texts[c.n] = t.p;
        c.n++;
    }
    *catalogue_for(lang) = c;
}

static int is_catalogue(const char *file)
{
    size_t l = strlen(file);
    return l > 4 && strcmp(file + l - 4, ".txt") == 0 && !strchr(file, '/');
}

static void load_i18n(const char *dir)
{
    char **files = NULL;
    size_t n = 0;
    list_files(dir, "", &files, &n);
    /* French first: it is the reference the others are checked against. */
    catalogue_for("fr");
    for (size_t i = 0; i < n; i++)
        if (is_catalogue(files[i]) && strncmp(files[i], "fr.", 3) == 0)
            load_catalogue(dir, files[i]);
    for (size_t i = 0; i < n; i++)
        if (is_catalogue(files[i]) && strncmp(files[i], "fr.", 3) != 0)
            load_catalogue(dir, files[i]);
    if (langs[0].n == 0)
        die("%s: no French catalogue (fr.txt)", dir);
    const catalogue_t *ref = &langs[0];
    for (size_t li = 1; li < nlangs; li++) {
        const catalogue_t *c = &langs[li];
        for (size_t i = 0; i < ref->n; i++) {
            size_t j = 0;
            while (j < c->n && strcmp(c->keys[j], ref->keys[i]) != 0)
                j++;
            if (j == c->n)
                die("%s/%s*.txt: missing key \"%s\" (present in the French catalogue)", dir, c->lang, ref->keys[i]);
            if (placeholders(c->texts[j]) != placeholders(ref->texts[i]))
                die("%s/%s.txt: key \"%s\" has different {N} placeholders than fr.txt", dir, c->lang, ref->keys[i]);
        }
        if (c->n != ref->n) {
            for (size_t j = 0; j < c->n; j++) {
                size_t i = 0;
                while (i < ref->n && strcmp(c->keys[j], ref->keys[i]) != 0)
                    i++;
                if (i == ref->n)
                    die("%s/%s*.txt: key \"%s\" is not in the French catalogue", dir, c->lang, c->keys[j]);
            }
        }
    }
}

static int message_id(const char *key)
{
    for (size_t i = 0; i < langs[0].n; i++)
        if (strcmp(langs[0].keys[i], key) == 0)
            return (int)i;
    return -1;
}

/* The placeholders a message uses, so that {{t}} can check its argument count. */
static int message_arg_count(int id)
{
    unsigned mask = placeholders(langs[0].texts[id]);
    int n = 0;
    while (mask & (1u << n))
        n++;
    return n;
}

/* ------------------------------------------------------------------ template AST */

typedef enum { N_TEXT, N_VAR, N_MSG, N_IF, N_UNLESS, N_EACH, N_PARTIAL, N_BLOCK, N_ASSET } ntype_t;

typedef struct node node_t;
typedef struct nodelist {
    node_t **items;
    size_t n;
} nodelist_t;

struct node {
    ntype_t type;
    const char *file;
    int line;
    char *text; /* TEXT content; PARTIAL/BLOCK/ASSET name */
    size_t len;
    int path;   /* VAR, IF, UNLESS, EACH */
    int msg;    /* MSG */
    int args[10];
    int nargs;
    nodelist_t body, alt;
};

typedef struct template {
    char *name;
    char *file;
    char *extends;
    int extends_line;
    nodelist_t top;
} template_t;

static template_t *templates;
static size_t ntemplates;

static tpl_path_t *paths;
static char **path_src;
static size_t npaths;

static void list_push(nodelist_t *l, node_t *n)
{
    l->items = xrealloc(l->items, sizeof(node_t *) * (l->n + 1));
    l->items[l->n++] = n;
}

static node_t *new_node(ntype_t t, const char *file, int line)
{
    node_t *n = xmalloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = t;
    n->file = file;
    n->line = line;
    n->path = -1;
    return n;
}

static int intern_path(const char *src, const char *file, int line)
{
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(path_src[i], src) == 0)
            return (int)i;
    tpl_path_t p = {0};
    if (strcmp(src, ".") == 0) {
        p.kind = TPL_PATH_DOT;
    } else if (strcmp(src, "@index") == 0) {
        p.kind = TPL_PATH_INDEX;
    } else if (strcmp(src, "@number") == 0) {
        p.kind = TPL_PATH_NUMBER;
    } else {
        p.kind = TPL_PATH_NAMES;
        const char *s = src;
        while (*s) {
            const char *e = s;
            while (*e && *e != '.') {
                if (!(isalnum((unsigned char)*e) || *e == '_'))
                    die("%s:%d: \"%s\" is not a valid name (letters, digits, '_', separated by '.')", file, line, src);
                e++;
            }
            if (e == s || p.nsegs == TPL_PATH_MAX_SEGMENTS)
                die("%s:%d: \"%s\" is not a valid path", file, line, src);
            p.segs[p.nsegs] = xstrndup(s, (size_t)(e - s));
            p.lens[p.nsegs] = (uint8_t)(e - s);
            p.nsegs++;
            s = *e ? e + 1 : e;
            if (*e == '.' && !*s)
                die("%s:%d: \"%s\" ends with '.'", file, line, src);
        }
    }
    paths = xrealloc(paths, sizeof(tpl_path_t) * (npaths + 1));
    path_src = xrealloc(path_src, sizeof(char *) * (npaths + 1));
    paths[npaths] = p;
    path_src[npaths] = xstrdup(src);
    return (int)npaths++;
}

/* Splits a tag's content into words; "quoted strings" stay one word (without quotes). */
static int split_words(char *s, char **words, bool *quoted, int max, const char *file, int line)
{
    int n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        if (n == max)
            die("%s:%d: too many words in a tag", file, line);
        if (*s == '"') {
            char *e = strchr(s + 1, '"');
            if (!e)
                die("%s:%d: unterminated string in a tag", file, line);
            *e = '\0';
            quoted[n] = true;
            words[n++] = s + 1;
            s = e + 1;
        } else {
            char *e = s;
            while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
                e++;
            char save = *e;
            *e = '\0';
            quoted[n] = false;
            words[n++] = s;
            s = save ? e + 1 : e;
        }
    }
    return n;
}

typedef struct open_block {
    node_t *node; /* NULL: top level */
    nodelist_t *list;
    bool in_else;
} open_block_t;

static void parse_template(template_t *t, const char *src, size_t len)
{
    open_block_t stack[64];
    int depth = 0;
    stack[0] = (open_block_t){NULL, &t->top, false};
    int line = 1;
    size_t i = 0;
    bool seen_content = false;
    while (i < len) {
        const char *open = memmem(src + i, len - i, "{{", 2);
        size_t text_end = open ? (size_t)(open - src) : len;
        if (text_end > i) {
            node_t *n = new_node(N_TEXT, t->file, line);
            n->text = xstrndup(src + i, text_end - i);
            n->len = text_end - i;
            list_push(stack[depth].list, n);
            for (size_t k = i; k < text_end; k++) {
                if (src[k] == '\n')
                    line++;
                else if (!isspace((unsigned char)src[k]))
                    seen_content = true;
            }
        }
        if (!open)
            break;
        const char *close = memmem(open + 2, len - (size_t)(open + 2 - src), "}}", 2);
        if (!close)
            die("%s:%d: \"{{\" without \"}}\"", t->file, line);
        char *tag = xstrndup(open + 2, (size_t)(close - open - 2));
        int tag_line = line;
        for (const char *k = open; k < close; k++)
            if (*k == '\n')
                line++;
        i = (size_t)(close + 2 - src);
        if (tag[0] == '!') {
            free(tag);
            continue;
        }
        char *words[16];
        bool quoted[16];
        int nw = split_words(tag, words, quoted, 16, t->file, tag_line);
        if (nw == 0)
            die("%s:%d: empty tag", t->file, tag_line);
        char *w0 = words[0];
        node_t *cur_block = stack[depth].node;
        if (strcmp(w0, "extends") == 0) {
            if (nw != 2 || !quoted[1])
                die("%s:%d: use {{extends \"layout\"}}", t->file, tag_line);
            if (depth != 0 || seen_content || t->top.n > 0)
                die("%s:%d: {{extends}} must come first", t->file, tag_line);
            t->extends = xstrdup(words[1]);
            t->extends_line = tag_line;
        } else if (w0[0] == '#') {
            const char *kw = w0 + 1;
            node_t *n;
            if (strcmp(kw, "if") == 0 || strcmp(kw, "unless") == 0 || strcmp(kw, "each") == 0) {
                if (nw != 2 || quoted[1])
                    die("%s:%d: use {{#%s path}}", t->file, tag_line, kw);
                n = new_node(kw[0] == 'i' ? N_IF : kw[0] == 'u' ? N_UNLESS : N_EACH, t->file, tag_line);
                n->path = intern_path(words[1], t->file, tag_line);
            } else if (strcmp(kw, "block") == 0) {
                if (nw != 2 || !quoted[1])
                    die("%s:%d: use {{#block \"name\"}}", t->file, tag_line);
                n = new_node(N_BLOCK, t->file, tag_line);
                n->text = xstrdup(words[1]);
            } else {
                die("%s:%d: unknown section {{%s}}", t->file, tag_line, w0);
            }
            list_push(stack[depth].list, n);
            if (depth + 1 >= 64)
                die("%s:%d: sections nested too deep", t->file, tag_line);
            depth++;
            stack[depth] = (open_block_t){n, &n->body, false};
        } else if (w0[0] == '/') {
            const char *kw = w0 + 1;
            if (!cur_block)
                die("%s:%d: {{%s}} closes nothing", t->file, tag_line, w0);
            const char *expect = cur_block->type == N_IF       ? "if"
                                 : cur_block->type == N_UNLESS ? "unless"
                                 : cur_block->type == N_EACH   ? "each"
                                                               : "block";
            if (strcmp(kw, expect) != 0)
                die("%s:%d: {{%s}} closes {{#%s}} opened on line %d", t->file, tag_line, w0, expect, cur_block->line);
            depth--;
        } else if (strcmp(w0, "else") == 0) {
            if (!cur_block || cur_block->type == N_BLOCK || stack[depth].in_else)
                die("%s:%d: {{else}} outside {{#if}}, {{#unless}} or {{#each}}", t->file, tag_line);
            stack[depth].in_else = true;
            stack[depth].list = &cur_block->alt;
        } else if (w0[0] == '>') {
            const char *name = w0[1] ? w0 + 1 : (nw > 1 ? words[1] : "");
            if (!*name)
                die("%s:%d: use {{> partial_name}}", t->file, tag_line);
            node_t *n = new_node(N_PARTIAL, t->file, tag_line);
            n->text = xstrdup(name);
            list_push(stack[depth].list, n);
        } else if (strcmp(w0, "t") == 0) {
            if (nw < 2 || !quoted[1])
                die("%s:%d: use {{t \"message.key\" arg...}}", t->file, tag_line);
            int id = message_id(words[1]);
            if (id < 0)
                die("%s:%d: unknown message key \"%s\" (add it to i18n/fr.txt and the other catalogues)", t->file,
                    tag_line, words[1]);
            node_t *n = new_node(N_MSG, t->file, tag_line);
            n->msg = id;
            n->nargs = nw - 2;
            if (n->nargs != message_arg_count(id))
                die("%s:%d: message \"%s\" takes %d argument(s), %d given", t->file, tag_line, words[1],
                    message_arg_count(id), n->nargs);
            for (int k = 2; k < nw; k++) {
                if (quoted[k])
                    die("%s:%d: message arguments are paths, not strings", t->file, tag_line);
                n->args[k - 2] = intern_path(words[k], t->file, tag_line);
            }
            list_push(stack[depth].list, n);
        } else if (strcmp(w0, "asset") == 0) {
            if (nw != 2 || !quoted[1])
                die("%s:%d: use {{asset \"file.css\"}}", t->file, tag_line);
            if (!find_asset(words[1]))
                die("%s:%d: no asset \"%s\" in the assets directory", t->file, tag_line, words[1]);
            node_t *n = new_node(N_ASSET, t->file, tag_line);
            n->text = xstrdup(words[1]);
            list_push(stack[depth].list, n);
        } else {
            if (nw != 1 || quoted[0])
                die("%s:%d: unknown tag {{%s}}", t->file, tag_line, w0);
            node_t *n = new_node(N_VAR, t->file, tag_line);
            n->path = intern_path(w0, t->file, tag_line);
            list_push(stack[depth].list, n);
        }
        free(tag);
    }
    if (depth != 0)
        die("%s:%d: {{#%s}} is never closed", t->file, stack[depth].node->line,
            stack[depth].node->type == N_IF       ? "if"
            : stack[depth].node->type == N_UNLESS ? "unless"
            : stack[depth].node->type == N_EACH   ? "each"
                                                  : "block");
}

static template_t *find_template(const char *name)
{
    for (size_t i = 0; i < ntemplates; i++)
        if (strcmp(templates[i].name, name) == 0)
            return &templates[i];
    return NULL;
}

static void load_templates(const char *dir)
{
    char **files = NULL;
    size_t n = 0;
    list_files(dir, "", &files, &n);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(files[i]);
        if (l < 6 || strcmp(files[i] + l - 5, ".html") != 0)
            continue;
        template_t t = {0};
        t.name = xstrndup(files[i], l - 5);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        t.file = xstrdup(path);
        templates = xrealloc(templates, sizeof(template_t) * (ntemplates + 1));
        templates[ntemplates++] = t;
    }
    for (size_t i = 0; i < ntemplates; i++) {
        size_t len;
        char *src = read_file(templates[i].file, &len);
        parse_template(&templates[i], src, len);
        free(src);
    }
}

/* ------------------------------------------------------------------ flattening */

typedef struct override {
    const char *name;
    nodelist_t *body;
} override_t;

typedef struct overrides {
    override_t items[32];
    int n;
} overrides_t;

static nodelist_t *lookup_override(overrides_t *o, const char *name)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->items[i].name, name) == 0)
            return o->items[i].body;
    return NULL;
}

static void expand_list(const nodelist_t *in, nodelist_t *out, overrides_t *ov, int depth);

static void expand_template(const template_t *t, nodelist_t *out, overrides_t *ov, int depth)
{
    if (depth > 16)
        die("%s: layouts or partials include each other in a loop", t->file);
    if (t->extends) {
        const template_t *parent = find_template(t->extends);
        if (!parent)
            die("%s:%d: no template \"%s\" to extend", t->file, t->extends_line, t->extends);
        for (size_t i = 0; i < t->top.n; i++) {
            node_t *n = t->top.items[i];
            if (n->type == N_BLOCK) {
                if (!lookup_override(ov, n->text)) {
                    if (ov->n == 32)
                        die("%s: too many blocks", t->file);
                    ov->items[ov->n++] = (override_t){n->text, &n->body};
                }
            } else if (n->type == N_TEXT) {
                for (size_t k = 0; k < n->len; k++)
                    if (!isspace((unsigned char)n->text[k]))
                        die("%s:%d: a template that extends a layout may only hold {{#block}}s", t->file, n->line);
            } else {
                die("%s:%d: a template that extends a layout may only hold {{#block}}s", t->file, n->line);
            }
        }
        expand_template(parent, out, ov, depth + 1);
        return;
    }
    expand_list(&t->top, out, ov, depth);
}

static void expand_list(const nodelist_t *in, nodelist_t *out, overrides_t *ov, int depth)
{
    for (size_t i = 0; i < in->n; i++) {
        node_t *n = in->items[i];
        switch (n->type) {
        case N_BLOCK: {
            nodelist_t *body = lookup_override(ov, n->text);
            expand_list(body ? body : &n->body, out, ov, depth);
            break;
        }
        case N_PARTIAL: {
            const template_t *p = find_template(n->text);
            if (!p)
                die("%s:%d: no partial \"%s\"", n->file, n->line, n->text);
            if (p->extends)
                die("%s:%d: partial \"%s\" extends a layout; partials cannot", n->file, n->line, n->text);
            overrides_t none = {.n = 0};
            expand_template(p, out, &none, depth + 1);
            break;
        }
        case N_IF:
        case N_UNLESS:
        case N_EACH: {
            node_t *c = new_node(n->type, n->file, n->line);
            c->path = n->path;
            expand_list(&n->body, &c->body, ov, depth);
            expand_list(&n->alt, &c->alt, ov, depth);
            list_push(out, c);
            break;
        }
        default:
            list_push(out, n);
        }
    }
}

/* ------------------------------------------------------------------ HTML contexts and code */

enum {
    H_TEXT = 0,
    H_TAG_OPEN,   /* after '<' */
    H_TAG_NAME,
    H_IN_TAG,     /* between attributes */
    H_ATTR_NAME,
    H_AFTER_ATTR_NAME,
    H_BEFORE_VALUE,
    H_VALUE_DQ,
    H_VALUE_SQ,
    H_VALUE_UNQ,
    H_BOGUS,      /* <!doctype ...> or </tag ...> until '>' */
};

typedef struct hstate {
    int s;
    char tag[16];
    size_t tag_len;
    bool end_tag;
    char attr[32];
    size_t attr_len;
    bool value_started;
    int pre_depth; /* inside <pre> or <textarea>: whitespace is kept */
    bool last_ws;  /* text whitespace was just written: a following run is dropped */
} hstate_t;

/* Between attributes, a finished boolean attribute name ("selected") leaves the
 * machine in ATTR_NAME: for comparing branches that is the same place as IN_TAG. */
static hstate_t hstate_normal(hstate_t h)
{
    if (h.s == H_ATTR_NAME || h.s == H_AFTER_ATTR_NAME) {
        h.s = H_IN_TAG;
        h.attr[0] = '\0';
        h.attr_len = 0;
    }
    return h;
}

static bool hstate_eq(const hstate_t *x, const hstate_t *y)
{
    hstate_t a = hstate_normal(*x), b = hstate_normal(*y);
    return a.s == b.s && a.pre_depth == b.pre_depth && a.value_started == b.value_started &&
           strcmp(a.attr, b.attr) == 0 && strcmp(a.tag, b.tag) == 0 && a.end_tag == b.end_tag;
}

typedef struct gen {
    sbuf_t *text_pool;
    tpl_op_t *ops;
    size_t nops;
    sbuf_t pending; /* text not yet flushed into a TEXT op */
    hstate_t h;
    const char *file;
    int line;
    const char *tname;
} gen_t;

static void flush_text(gen_t *g)
{
    if (g->pending.len == 0)
        return;
    tpl_op_t op = {TPL_OP_TEXT, 0, 0, (uint32_t)g->text_pool->len, (uint32_t)g->pending.len};
    sb_add(g->text_pool, g->pending.p, g->pending.len);
    g->ops = xrealloc(g->ops, sizeof(tpl_op_t) * (g->nops + 1));
    g->ops[g->nops++] = op;
    g->pending.len = 0;
}

static size_t emit_op(gen_t *g, tpl_op_t op)
{
    flush_text(g);
    /* Only substitutions print something; control ops are invisible. */
    if (op.code == TPL_OP_VAR || op.code == TPL_OP_MSG)
        g->h.last_ws = false;
    g->ops = xrealloc(g->ops, sizeof(tpl_op_t) * (g->nops + 1));
    g->ops[g->nops] = op;
    return g->nops++;
}

static bool is_url_attr(const char *a)
{
    static const char *const url_attrs[] = {"href", "src", "action", "formaction", "poster", "cite", "data",
                                            "xlink:href", "manifest", "icon", NULL};
    for (int i = 0; url_attrs[i]; i++)
        if (strcmp(a, url_attrs[i]) == 0)
            return true;
    return false;
}

static bool is_forbidden_attr(const char *a)
{
    return (a[0] == 'o' && a[1] == 'n') || strcmp(a, "style") == 0 || strcmp(a, "srcset") == 0;
}

static void check_raw_tag(gen_t *g, const char *text, size_t len, size_t *i);

/* Runs the HTML state machine over static text, copying it (minified) to pending. */
static void feed_text(gen_t *g, const char *text, size_t len)
{
    hstate_t *h = &g->h;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        switch (h->s) {
        case H_TEXT:
            if (c == '<') {
                if (len - i >= 4 && memcmp(text + i, "<!--", 4) == 0) {
                    /* HTML comments are dropped at build time; they must close in the same text. */
                    const char *end = memmem(text + i + 4, len - i - 4, "-->", 3);
                    if (!end)
                        die("%s: an HTML comment must not contain template tags (use {{! ... }})", g->file);
                    i = (size_t)(end - text) + 2;
                    continue;
                }
                h->s = H_TAG_OPEN;
                h->last_ws = false;
                sb_addc(&g->pending, c);
            } else if (isspace((unsigned char)c) && h->pre_depth == 0) {
                bool newline = false;
                size_t j = i;
                while (j < len && isspace((unsigned char)text[j])) {
                    newline |= text[j] == '\n';
                    j++;
                }
                if (!h->last_ws)
                    sb_addc(&g->pending, newline ? '\n' : ' ');
                h->last_ws = true;
                i = j - 1;
            } else {
                sb_addc(&g->pending, c);
                h->last_ws = false;
            }
            break;
        case H_TAG_OPEN:
            sb_addc(&g->pending, c);
            if (c == '/') {
                h->end_tag = true;
                h->tag_len = 0;
                h->tag[0] = '\0';
                h->s = H_TAG_NAME;
            } else if (c == '!') {
                h->s = H_BOGUS;
            } else if (isalpha((unsigned char)c)) {
                h->end_tag = false;
                h->tag[0] = (char)tolower((unsigned char)c);
                h->tag[1] = '\0';
                h->tag_len = 1;
                h->s = H_TAG_NAME;
            } else {
                die("%s: '<' must start a tag; write &lt; for a literal '<'", g->file);
            }
            break;
        case H_TAG_NAME:
            if (isalnum((unsigned char)c) || c == '-') {
                if (h->tag_len + 1 < sizeof h->tag) {
                    h->tag[h->tag_len++] = (char)tolower((unsigned char)c);
                    h->tag[h->tag_len] = '\0';
                }
                sb_addc(&g->pending, c);
            } else if (c == '>') {
                sb_addc(&g->pending, c);
                goto tag_closed;
            } else if (isspace((unsigned char)c) || c == '/') {
                sb_addc(&g->pending, ' ');
                h->s = h->end_tag ? H_BOGUS : H_IN_TAG;
                /* collapse the rest of the whitespace run */
                while (i + 1 < len && isspace((unsigned char)text[i + 1]))
                    i++;
                if (c == '/')
                    g->pending.p[g->pending.len - 1] = '/';
            } else {
                die("%s: bad character '%c' in tag name <%s", g->file, c, h->tag);
            }
            break;
        case H_IN_TAG:
        case H_AFTER_ATTR_NAME:
            if (c == '>') {
                /* drop a space just before '>' */
                if (g->pending.len && g->pending.p[g->pending.len - 1] == ' ')
                    g->pending.len--;
                sb_addc(&g->pending, c);
                goto tag_closed;
            } else if (isspace((unsigned char)c)) {
                if (g->pending.len == 0 || g->pending.p[g->pending.len - 1] != ' ')
                    sb_addc(&g->pending, ' ');
                if (h->s == H_AFTER_ATTR_NAME)
                    h->s = H_AFTER_ATTR_NAME;
            } else if (c == '=' && h->s == H_AFTER_ATTR_NAME) {
                if (g->pending.len && g->pending.p[g->pending.len - 1] == ' ')
                    g->pending.len--;
                sb_addc(&g->pending, c);
                h->s = H_BEFORE_VALUE;
            } else if (c == '/') {
                sb_addc(&g->pending, c);
            } else {
                if (h->s == H_AFTER_ATTR_NAME && (g->pending.len == 0 || g->pending.p[g->pending.len - 1] != ' '))
                    sb_addc(&g->pending, ' ');
                h->attr[0] = (char)tolower((unsigned char)c);
                h->attr[1] = '\0';
                h->attr_len = 1;
                h->s = H_ATTR_NAME;
                sb_addc(&g->pending, c);
            }
            break;
        case H_ATTR_NAME:
            if (c == '=') {
                sb_addc(&g->pending, c);
                h->s = H_BEFORE_VALUE;
            } else if (isspace((unsigned char)c)) {
                h->s = H_AFTER_ATTR_NAME;
                sb_addc(&g->pending, ' ');
            } else if (c == '>') {
                sb_addc(&g->pending, c);
                goto tag_closed;
            } else {
                if (h->attr_len + 1 < sizeof h->attr) {
                    h->attr[h->attr_len++] = (char)tolower((unsigned char)c);
                    h->attr[h->attr_len] = '\0';
                }
                sb_addc(&g->pending, c);
            }
            break;
        case H_BEFORE_VALUE:
            if (isspace((unsigned char)c))
                break;
            sb_addc(&g->pending, c);
            h->value_started = false;
            if (c == '"')
                h->s = H_VALUE_DQ;
            else if (c == '\'')
                h->s = H_VALUE_SQ;
            else if (c == '>')
                goto tag_closed;
            else {
                h->s = H_VALUE_UNQ;
                h->value_started = true;
            }
            break;
        case H_VALUE_DQ:
        case H_VALUE_SQ:
            sb_addc(&g->pending, c);
            if ((h->s == H_VALUE_DQ && c == '"') || (h->s == H_VALUE_SQ && c == '\'')) {
                h->s = H_IN_TAG;
                h->attr[0] = '\0';
                h->attr_len = 0;
                h->value_started = false;
            } else {
                h->value_started = true;
            }
            break;
        case H_VALUE_UNQ:
            if (isspace((unsigned char)c)) {
                sb_addc(&g->pending, ' ');
                h->s = H_IN_TAG;
                h->attr[0] = '\0';
                h->attr_len = 0;
            } else if (c == '>') {
                sb_addc(&g->pending, c);
                goto tag_closed;
            } else {
                sb_addc(&g->pending, c);
            }
            break;
        case H_BOGUS:
            sb_addc(&g->pending, c);
            if (c == '>')
                goto tag_closed;
            break;
        }
        continue;
    tag_closed:
        h->attr[0] = '\0';
        h->attr_len = 0;
        h->value_started = false;
        h->s = H_TEXT;
        if (strcmp(h->tag, "pre") == 0 || strcmp(h->tag, "textarea") == 0) {
            if (h->end_tag) {
                if (h->pre_depth > 0)
                    h->pre_depth--;
            } else {
                h->pre_depth++;
            }
        }
        if (!h->end_tag && (strcmp(h->tag, "script") == 0 || strcmp(h->tag, "style") == 0)) {
            i++;
            check_raw_tag(g, text, len, &i);
            i--;
        }
        h->tag[0] = '\0';
        h->tag_len = 0;
        h->end_tag = false;
    }
}

/* <script> and <style> bodies are copied verbatim up to their end tag, which must be in
 * the same static text: a substitution inside them has no safe escaping. */
static void check_raw_tag(gen_t *g, const char *text, size_t len, size_t *i)
{
    char endtag[24];
    snprintf(endtag, sizeof endtag, "</%s", g->h.tag);
    size_t el = strlen(endtag);
    for (size_t k = *i; k + el <= len; k++) {
        if (strncasecmp(text + k, endtag, el) == 0) {
            sb_add(&g->pending, text + *i, k - *i);
            *i = k;
            return;
        }
    }
    die("%s: <%s> must be closed in the same static text; template tags inside <script> or <style> are not allowed",
        g->file, g->h.tag);
}

static tpl_escape_t escape_here(gen_t *g, const node_t *n, bool is_message)
{
    hstate_t *h = &g->h;
    switch (h->s) {
    case H_TEXT:
        return TPL_ESC_TEXT;
    case H_VALUE_DQ:
    case H_VALUE_SQ:
        if (is_forbidden_attr(h->attr))
            die("%s:%d: no substitution is allowed in the %s attribute", n->file, n->line, h->attr);
        if (is_url_attr(h->attr)) {
            if (is_message)
                die("%s:%d: a message cannot be a URL (%s attribute)", n->file, n->line, h->attr);
            return h->value_started ? TPL_ESC_URL_PART : TPL_ESC_URL;
        }
        return TPL_ESC_ATTR;
    case H_VALUE_UNQ:
    case H_BEFORE_VALUE:
        die("%s:%d: put quotes around an attribute value that holds a substitution", n->file, n->line);
    default:
        die("%s:%d: a substitution is not allowed here (inside a tag name, between attributes, or in <!...>)",
            n->file, n->line);
    }
}

static void gen_list(gen_t *g, const nodelist_t *l);

static void gen_node(gen_t *g, const node_t *n)
{
    g->file = n->file;
    g->line = n->line;
    switch (n->type) {
    case N_TEXT:
        feed_text(g, n->text, n->len);
        break;
    case N_ASSET: {
        const asset_t *a = find_asset(n->text);
        if (!(g->h.s == H_VALUE_DQ || g->h.s == H_VALUE_SQ) || !is_url_attr(g->h.attr))
            die("%s:%d: {{asset}} belongs in a quoted href or src attribute", n->file, n->line);
        feed_text(g, a->url, strlen(a->url));
        break;
    }
    case N_VAR: {
        tpl_escape_t esc = escape_here(g, n, false);
        emit_op(g, (tpl_op_t){TPL_OP_VAR, (uint8_t)esc, 0, (uint32_t)n->path, 0});
        if (g->h.s == H_VALUE_DQ || g->h.s == H_VALUE_SQ)
            g->h.value_started = true;
        break;
    }
    case N_MSG: {
        tpl_escape_t esc = escape_here(g, n, true);
        emit_op(g, (tpl_op_t){TPL_OP_MSG, (uint8_t)esc, (uint16_t)n->nargs, (uint32_t)n->msg, 0});
        for (int k = 0; k < n->nargs; k++)
            emit_op(g, (tpl_op_t){TPL_OP_ARG, 0, 0, (uint32_t)n->args[k], 0});
        if (g->h.s == H_VALUE_DQ || g->h.s == H_VALUE_SQ)
            g->h.value_started = true;
        break;
    }
    case N_IF:
    case N_UNLESS: {
        size_t at = emit_op(g, (tpl_op_t){(uint8_t)(n->type == N_IF ? TPL_OP_IF : TPL_OP_UNLESS), 0, 0,
                                          (uint32_t)n->path, 0});
        hstate_t before = g->h;
        gen_list(g, &n->body);
        hstate_t after_then = g->h;
        if (n->alt.n) {
            size_t jump = emit_op(g, (tpl_op_t){TPL_OP_JUMP, 0, 0, 0, 0});
            flush_text(g);
            g->ops[at].b = (uint32_t)g->nops;
            g->h = before;
            gen_list(g, &n->alt);
            flush_text(g);
            g->ops[jump].b = (uint32_t)g->nops;
        } else {
            flush_text(g);
            g->ops[at].b = (uint32_t)g->nops;
            g->h = before;
        }
        if (!hstate_eq(&after_then, &g->h))
            die("%s:%d: the branches of this {{#%s}} end in different HTML contexts (close what you open inside it)",
                n->file, n->line, n->type == N_IF ? "if" : "unless");
        if (after_then.s != g->h.s)
            g->h = hstate_normal(g->h);
        g->h.last_ws = false; /* which branch ran is not known: keep the next space */
        break;
    }
    case N_EACH: {
        size_t at = emit_op(g, (tpl_op_t){TPL_OP_EACH, 0, 0, (uint32_t)n->path, 0});
        flush_text(g);
        size_t body_start = g->nops;
        g->h.last_ws = false; /* each pass follows the previous one, not the text before the loop */
        hstate_t before = g->h;
        gen_list(g, &n->body);
        if (!hstate_eq(&before, &g->h))
            die("%s:%d: the body of this {{#each}} must end in the HTML context it starts in", n->file, n->line);
        emit_op(g, (tpl_op_t){TPL_OP_NEXT, 0, 0, 0, (uint32_t)body_start});
        if (n->alt.n) {
            size_t jump = emit_op(g, (tpl_op_t){TPL_OP_JUMP, 0, 0, 0, 0});
            g->ops[at].b = (uint32_t)g->nops;
            gen_list(g, &n->alt);
            if (!hstate_eq(&before, &g->h))
                die("%s:%d: the {{else}} of this {{#each}} must end in the HTML context it starts in", n->file,
                    n->line);
            flush_text(g);
            g->ops[jump].b = (uint32_t)g->nops;
        } else {
            g->ops[at].b = (uint32_t)g->nops;
        }
        g->h.last_ws = false;
        break;
    }
    case N_BLOCK:
    case N_PARTIAL:
        die("%s:%d: internal error: unexpanded node", n->file, n->line);
    }
}

static void gen_list(gen_t *g, const nodelist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        gen_node(g, l->items[i]);
}

/* ------------------------------------------------------------------ output */

int main(int argc, char **argv)
{
    const char *tdir = NULL, *idir = NULL, *adir = NULL, *out_c = NULL, *out_h = NULL, *prefix = "";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--templates"))
            tdir = argv[i + 1];
        else if (!strcmp(argv[i], "--i18n"))
            idir = argv[i + 1];
        else if (!strcmp(argv[i], "--assets"))
            adir = argv[i + 1];
        else if (!strcmp(argv[i], "--out-c"))
            out_c = argv[i + 1];
        else if (!strcmp(argv[i], "--out-h"))
            out_h = argv[i + 1];
        else if (!strcmp(argv[i], "--prefix"))
            prefix = argv[i + 1];
        else
            die("unknown option %s", argv[i]);
    }
    if (!tdir || !idir || !adir || !out_c || !out_h)
        die("usage: webgen --templates DIR --i18n DIR --assets DIR --out-c FILE --out-h FILE");

    load_assets(adir);
    load_i18n(idir);
    load_templates(tdir);

    char up[64];
    snprintf(up, sizeof up, "%s", prefix);
    for (char *q = up; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    const char *hdr_base = strrchr(out_h, '/') ? strrchr(out_h, '/') + 1 : out_h;

    sbuf_t text_pool = {0};
    sb_add(&text_pool, "", 0);
    sbuf_t code = {0};
    sb_printf(&code, "/* Generated by tools/webgen.c: do not edit. */\n#include \"%s\"\n\n", hdr_base);

    /* templates */
    size_t *nops = xmalloc(sizeof(size_t) * (ntemplates + 1));
    for (size_t ti = 0; ti < ntemplates; ti++) {
        template_t *t = &templates[ti];
        nodelist_t flat = {0};
        overrides_t ov = {.n = 0};
        expand_template(t, &flat, &ov, 0);
        gen_t g = {.text_pool = &text_pool, .tname = t->name, .file = t->file};
        gen_list(&g, &flat);
        if (g.h.s != H_TEXT)
            die("%s: the template ends inside a tag", t->file);
        emit_op(&g, (tpl_op_t){TPL_OP_END, 0, 0, 0, 0});
        char id[256];
        c_identifier(id, t->name);
        sb_printf(&code, "static const tpl_op_t ops_%s[] = {\n", id);
        for (size_t k = 0; k < g.nops; k++)
            sb_printf(&code, "    {%u, %u, %u, %u, %u},\n", g.ops[k].code, g.ops[k].esc, g.ops[k].nargs, g.ops[k].a,
                      g.ops[k].b);
        sb_printf(&code, "};\n");
        nops[ti] = g.nops;
        free(g.ops);
        free(g.pending.p);
    }
    sb_printf(&code, "\nconst tpl_program_t %stpl_programs[%sTPL_COUNT] = {\n", prefix, up);
    for (size_t ti = 0; ti < ntemplates; ti++) {
        char id[256];
        c_identifier(id, templates[ti].name);
        sb_printf(&code, "    {\"%s\", ops_%s, %zu},\n", templates[ti].name, id, nops[ti]);
    }
    sb_printf(&code, "};\n\nconst char %stpl_text[] =\n    ", prefix);
    emit_c_string(&code, (const unsigned char *)text_pool.p, text_pool.len);
    sb_printf(&code, ";\n\nconst tpl_path_t %stpl_paths[] = {\n", prefix);
    for (size_t i = 0; i < npaths; i++) {
        sb_printf(&code, "    {%u, %u, {", paths[i].kind, paths[i].nsegs);
        for (int k = 0; k < paths[i].nsegs; k++)
            sb_printf(&code, "%s\"%s\"", k ? ", " : "", paths[i].segs[k]);
        sb_printf(&code, "}, {");
        for (int k = 0; k < paths[i].nsegs; k++)
            sb_printf(&code, "%s%u", k ? ", " : "", paths[i].lens[k]);
        sb_printf(&code, "}},\n");
    }
    if (npaths == 0)
        sb_printf(&code, "    {0, 0, {0}, {0}},\n");
    sb_printf(&code, "};\n\n");

    /* messages */
    sb_printf(&code, "const char *const %si18n_lang_codes[%sLANG_COUNT] = {", prefix, up);
    for (size_t l = 0; l < nlangs; l++)
        sb_printf(&code, "%s\"%s\"", l ? ", " : "", langs[l].lang);
    sb_printf(&code, "};\n\nconst char *const %si18n_keys[%sMSG_COUNT] = {\n", prefix, up);
    for (size_t i = 0; i < langs[0].n; i++)
        sb_printf(&code, "    \"%s\",\n", langs[0].keys[i]);
    sb_printf(&code, "};\n\nconst char *const %si18n_messages[%sLANG_COUNT * %sMSG_COUNT] = {\n", prefix, up, up);
    for (size_t l = 0; l < nlangs; l++) {
        sb_printf(&code, "    /* %s */\n", langs[l].lang);
        for (size_t i = 0; i < langs[0].n; i++) {
            size_t j = 0;
            while (strcmp(langs[l].keys[j], langs[0].keys[i]) != 0)
                j++;
            sb_printf(&code, "    ");
            emit_c_string(&code, (const unsigned char *)langs[l].texts[j], strlen(langs[l].texts[j]));
            sb_printf(&code, ",\n");
        }
    }
    sb_printf(&code, "};\n\nconst tpl_set_t %stpl_set = {%stpl_programs, %stpl_text, %stpl_paths, %si18n_messages, "
                     "%sMSG_COUNT, %sLANG_COUNT};\n\n",
              prefix, prefix, prefix, prefix, prefix, up, up);

    /* assets */
    for (size_t i = 0; i < nassets; i++) {
        sb_printf(&code, "static const unsigned char asset_data_%zu[] = ", i);
        emit_c_string(&code, assets[i].data, assets[i].size);
        sb_printf(&code, ";\n");
        if (assets[i].gz) {
            sb_printf(&code, "static const unsigned char asset_gz_%zu[] = ", i);
            emit_c_string(&code, assets[i].gz, assets[i].gz_size);
            sb_printf(&code, ";\n");
        }
    }
    sb_printf(&code, "\nconst embedded_asset_t %sembedded_assets[] = {\n", prefix);
    for (size_t i = 0; i < nassets; i++) {
        const asset_t *a = &assets[i];
        sb_printf(&code, "    {\"%s\", \"%s\", \"%s\", \"%s\", asset_data_%zu, %zu, ", a->name, a->url, a->plain_url, a->mime,
                  i, a->size);
        if (a->gz)
            sb_printf(&code, "asset_gz_%zu, %zu, ", i, a->gz_size);
        else
            sb_printf(&code, "0, 0, ");
        sb_printf(&code, "\"\\\"%.*s\\\"\", %d},\n", (int)(strlen(a->etag) - 2), a->etag + 1, a->compressible);
    }
    if (nassets == 0)
        sb_printf(&code, "    {0},\n");
    sb_printf(&code, "};\nconst size_t %sembedded_asset_count = %zu;\n", prefix, nassets);

    /* header */
    sbuf_t hdr = {0};
    sb_printf(&hdr, "/* Generated by tools/webgen.c: do not edit. */\n#ifndef CARTABLE_%sWEB_GENERATED_H\n"
                    "#define CARTABLE_%sWEB_GENERATED_H\n\n#include \"web/embedded.h\"\n\ntypedef enum %stpl_id {\n",
              up, up, prefix);
    for (size_t ti = 0; ti < ntemplates; ti++) {
        char id[256];
        c_identifier(id, templates[ti].name);
        sb_printf(&hdr, "    %sTPL_%s,\n", up, id);
    }
    sb_printf(&hdr, "    %sTPL_COUNT\n} %stpl_id_t;\n\ntypedef enum %smsg_id {\n", up, prefix, prefix);
    for (size_t i = 0; i < langs[0].n; i++) {
        char id[256];
        c_identifier(id, langs[0].keys[i]);
        sb_printf(&hdr, "    %sMSG_%s,\n", up, id);
    }
    sb_printf(&hdr, "    %sMSG_COUNT\n} %smsg_id_t;\n\ntypedef enum %slang_id {\n", up, prefix, prefix);
    for (size_t l = 0; l < nlangs; l++) {
        char lang_up[32];
        snprintf(lang_up, sizeof lang_up, "%s", langs[l].lang);
        for (char *q = lang_up; *q; q++)
            *q = (char)toupper((unsigned char)*q);
        sb_printf(&hdr, "    %sLANG_%s,\n", up, lang_up);
    }
    sb_printf(&hdr, "    %sLANG_COUNT\n} %slang_id_t;\n\n", up, prefix);
    sb_printf(&hdr, "extern const tpl_program_t %stpl_programs[%sTPL_COUNT];\n", prefix, up);
    sb_printf(&hdr, "extern const char %stpl_text[];\n", prefix);
    sb_printf(&hdr, "extern const tpl_path_t %stpl_paths[];\n", prefix);
    sb_printf(&hdr, "extern const char *const %si18n_lang_codes[%sLANG_COUNT];\n", prefix, up);
    sb_printf(&hdr, "extern const char *const %si18n_keys[%sMSG_COUNT];\n", prefix, up);
    sb_printf(&hdr, "extern const char *const %si18n_messages[%sLANG_COUNT * %sMSG_COUNT];\n", prefix, up, up);
    sb_printf(&hdr, "extern const tpl_set_t %stpl_set;\n", prefix);
    sb_printf(&hdr, "extern const embedded_asset_t %sembedded_assets[];\n", prefix);
    sb_printf(&hdr, "extern const size_t %sembedded_asset_count;\n\n#endif\n", prefix);

    FILE *f = fopen(out_c, "w");
    if (!f || fwrite(code.p, 1, code.len, f) != code.len || fclose(f) != 0)
        die("cannot write %s", out_c);
    f = fopen(out_h, "w");
    if (!f || fwrite(hdr.p, 1, hdr.len, f) != hdr.len || fclose(f) != 0)
        die("cannot write %s", out_h);
    return 0;
}
