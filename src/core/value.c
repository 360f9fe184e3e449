#include "core/value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static value_t *make(arena_t *a, value_kind_t kind)
{
    value_t *v = arena_alloc(a, sizeof *v);
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->arena = a;
    return v;
}

value_t *value_null(arena_t *a) { return make(a, VALUE_NULL); }

value_t *value_bool(arena_t *a, bool b)
{
    value_t *v = make(a, VALUE_BOOL);
    v->as.b = b;
    return v;
}

value_t *value_int(arena_t *a, int64_t i)
{
    value_t *v = make(a, VALUE_INT);
    v->as.i = i;
    return v;
}

value_t *value_number(arena_t *a, double d)
{
    value_t *v = make(a, VALUE_NUMBER);
    v->as.d = d;
    return v;
}

value_t *value_str(arena_t *a, str_t s)
{
    value_t *v = make(a, VALUE_STRING);
    v->as.s = s.ptr ? s : STR("");
    return v;
}

value_t *value_cstr(arena_t *a, const char *s) { return value_str(a, str_from(s)); }

value_t *value_str_copy(arena_t *a, const char *p, size_t n)
{
    return value_str(a, (str_t){arena_strndup(a, p, n), n});
}

value_t *value_list(arena_t *a) { return make(a, VALUE_LIST); }
value_t *value_map(arena_t *a) { return make(a, VALUE_MAP); }

void value_push(value_t *list, value_t *item)
{
    if (list->kind != VALUE_LIST)
        return;
    if (list->as.list.len == list->as.list.cap) {
        uint32_t cap = list->as.list.cap ? list->as.list.cap * 2 : 8;
        list->as.list.items = arena_realloc(list->arena, list->as.list.items, sizeof(value_t *) * list->as.list.cap,
                                            sizeof(value_t *) * cap);
        list->as.list.cap = cap;
    }
    list->as.list.items[list->as.list.len++] = item;
}

static value_entry_t *find_entry(const value_t *map, const char *key, size_t key_len)
{
    for (uint32_t i = 0; i < map->as.map.len; i++) {
        const value_entry_t *e = &map->as.map.entries[i];
        if (e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            return &map->as.map.entries[i];
    }
    return NULL;
}

void value_set(value_t *map, const char *key, value_t *v)
{
    if (map->kind != VALUE_MAP)
        return;
    size_t key_len = strlen(key);
    value_entry_t *e = find_entry(map, key, key_len);
    if (e) {
        e->value = v;
        return;
    }
    if (map->as.map.len == map->as.map.cap) {
        uint32_t cap = map->as.map.cap ? map->as.map.cap * 2 : 8;
        map->as.map.entries = arena_realloc(map->arena, map->as.map.entries, sizeof(value_entry_t) * map->as.map.cap,
                                            sizeof(value_entry_t) * cap);
        map->as.map.cap = cap;
    }
    map->as.map.entries[map->as.map.len++] = (value_entry_t){key, (uint32_t)key_len, v};
}

void value_set_str(value_t *map, const char *key, str_t s) { value_set(map, key, value_str(map->arena, s)); }
void value_set_cstr(value_t *map, const char *key, const char *s) { value_set(map, key, value_cstr(map->arena, s)); }
void value_set_int(value_t *map, const char *key, int64_t i) { value_set(map, key, value_int(map->arena, i)); }
void value_set_bool(value_t *map, const char *key, bool b) { value_set(map, key, value_bool(map->arena, b)); }

value_t *value_set_map(value_t *map, const char *key)
{
    value_t *child = value_map(map->arena);
    value_set(map, key, child);
    return child;
}

value_t *value_set_list(value_t *map, const char *key)
{
    value_t *child = value_list(map->arena);
    value_set(map, key, child);
    return child;
}

value_t *value_get(const value_t *map, const char *key, size_t key_len)
{
    if (!map || map->kind != VALUE_MAP)
        return NULL;
    value_entry_t *e = find_entry(map, key, key_len);
    return e ? e->value : NULL;
}

bool value_truthy(const value_t *v)
{
    if (!v)
        return false;
    switch (v->kind) {
    case VALUE_NULL: return false;
    case VALUE_BOOL: return v->as.b;
    case VALUE_INT: return v->as.i != 0;
    case VALUE_NUMBER: return v->as.d != 0.0 && !isnan(v->as.d);
    case VALUE_STRING: return v->as.s.len != 0;
    case VALUE_LIST: return v->as.list.len != 0;
    case VALUE_MAP: return true;
    }
    return false;
}

static void write_number(buf_t *b, double d)
{
    if (!isfinite(d)) {
        BUF_LIT(b, "null");
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.15g", d);
    buf_append(b, tmp, (size_t)n);
}

void value_write_text(buf_t *b, const value_t *v)
{
    if (!v)
        return;
    switch (v->kind) {
    case VALUE_STRING: buf_append(b, v->as.s.ptr, v->as.s.len); break;
    case VALUE_INT: buf_put_i64(b, v->as.i); break;
    case VALUE_NUMBER: write_number(b, v->as.d); break;
    case VALUE_BOOL: buf_puts(b, v->as.b ? "true" : "false"); break;
    default: break;
    }
}

void json_write_string(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, n + 2);
    buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* '<' , '>' and '&' are escaped too, so JSON embedded in HTML can never close a tag. */
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0x7F)
            continue;
        buf_append(b, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"': BUF_LIT(b, "\\\""); break;
        case '\\': BUF_LIT(b, "\\\\"); break;
        case '\n': BUF_LIT(b, "\\n"); break;
        case '\r': BUF_LIT(b, "\\r"); break;
        case '\t': BUF_LIT(b, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, 6);
        }
        }
    }
    buf_append(b, s + start, n - start);
    buf_putc(b, '"');
}

void value_write_json(buf_t *b, const value_t *v)
{
    if (!v) {
        BUF_LIT(b, "null");
        return;
    }
    switch (v->kind) {
    case VALUE_NULL: BUF_LIT(b, "null"); break;
    case VALUE_BOOL: buf_puts(b, v->as.b ? "true" : "false"); break;
    case VALUE_INT: buf_put_i64(b, v->as.i); break;
    case VALUE_NUMBER: write_number(b, v->as.d); break;
    case VALUE_STRING: json_write_string(b, v->as.s.ptr, v->as.s.len); break;
    case VALUE_LIST:
        buf_putc(b, '[');
        for (uint32_t i = 0; i < v->as.list.len; i++) {
            if (i)
                buf_putc(b, ',');
            value_write_json(b, v->as.list.items[i]);
        }
        buf_putc(b, ']');
        break;
    case VALUE_MAP:
        buf_putc(b, '{');
        for (uint32_t i = 0; i < v->as.map.len; i++) {
            if (i)
                buf_putc(b, ',');
            const char *k = v->as.map.entries[i].key;
            json_write_string(b, k, strlen(k));
            buf_putc(b, ':');
            value_write_json(b, v->as.map.entries[i].value);
        }
        buf_putc(b, '}');
        break;
    }
}
