/* value: the data a handler hands to a template or to the JSON API.
 *
 * Contract: a small tree (null, bool, int, number, string, list, map) allocated in
 * a request arena. Strings are borrowed unless made with a *_copy function. Map
 * keys are borrowed C strings (usually literals); lookups are linear, which is the
 * fastest choice for the handful of keys a view has. value_write_json writes the
 * same tree as JSON, so a page and its API twin render one view.
 */
#ifndef CARTABLE_CORE_VALUE_H
#define CARTABLE_CORE_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"

typedef enum value_kind {
    VALUE_NULL = 0,
    VALUE_BOOL,
    VALUE_INT,
    VALUE_NUMBER,
    VALUE_STRING,
    VALUE_LIST,
    VALUE_MAP,
} value_kind_t;

typedef struct value value_t;

typedef struct value_entry {
    const char *key;
    uint32_t key_len; /* compared first: lookups are the template engine's hot path */
    value_t *value;
} value_entry_t;

struct value {
    value_kind_t kind;
    union {
        bool b;
        int64_t i;
        double d;
        str_t s;
        struct {
            value_t **items;
            uint32_t len, cap;
        } list;
        struct {
            value_entry_t *entries;
            uint32_t len, cap;
        } map;
    } as;
    arena_t *arena; /* lists and maps grow in it */
};

value_t *value_null(arena_t *a);
value_t *value_bool(arena_t *a, bool b);
value_t *value_int(arena_t *a, int64_t i);
value_t *value_number(arena_t *a, double d);
value_t *value_str(arena_t *a, str_t s);              /* borrows */
value_t *value_cstr(arena_t *a, const char *s);       /* borrows */
value_t *value_str_copy(arena_t *a, const char *p, size_t n);
value_t *value_list(arena_t *a);
value_t *value_map(arena_t *a);

void value_push(value_t *list, value_t *item);
/* Sets or replaces key in map. */
void value_set(value_t *map, const char *key, value_t *v);
void value_set_str(value_t *map, const char *key, str_t s);
void value_set_cstr(value_t *map, const char *key, const char *s);
void value_set_int(value_t *map, const char *key, int64_t i);
void value_set_bool(value_t *map, const char *key, bool b);
value_t *value_set_map(value_t *map, const char *key);  /* new child map */
value_t *value_set_list(value_t *map, const char *key); /* new child list */

value_t *value_get(const value_t *map, const char *key, size_t key_len);
bool value_truthy(const value_t *v);
/* Writes the value as text (for templates): strings as is, numbers in decimal,
 * bool as true/false, null/list/map as nothing. */
void value_write_text(buf_t *b, const value_t *v);
void value_write_json(buf_t *b, const value_t *v);
/* Escapes a string as a JSON string literal, with quotes. */
void json_write_string(buf_t *b, const char *s, size_t n);

#endif
