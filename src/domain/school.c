#include "domain/school.h"

#include <stdlib.h>

#include <string.h>
#include <time.h>

static const char uai_letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ"; /* 23 letters: no I, O, Q */

char uai_check_letter(str_t s)
{
    if (s.len != 7)
        return 0;
    const char *digits = s.ptr;
    long n = 0;
    for (int i = 0; i < 7; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return 0;
        n = n * 10 + (digits[i] - '0');
    }
    return uai_letters[n % 23];
}

bool uai_valid(str_t uai)
{
    if (uai.len != 8)
        return false;
    char want = uai_check_letter((str_t){uai.ptr, 7});
    return want != 0 && uai.ptr[7] == want;
}

bool school_kind_valid(str_t kind)
{
    static const char *const kinds[] = {"ecole", "college", "lycee", "lycee_pro", "autre"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (str_eq_cstr(kind, kinds[i]))
            return true;
    return false;
}

static void fill(arena_t *a, const store_row_t *row, void *item)
{
    school_t *s = item;
    s->id = store_row_int(row, 0);
    s->uai = store_row_text_copy(row, 1, a);
    s->name = store_row_text_copy(row, 2, a);
    s->kind = store_row_text_copy(row, 3, a);
    s->city = store_row_text_copy(row, 4, a);
    s->timezone = store_row_text_copy(row, 5, a);
    s->is_demo = store_row_int(row, 6) != 0;
}

#define SCHOOL_COLUMNS "id, uai, name, kind, city, timezone, is_demo"

int school_get(store_reader_t *r, arena_t *a, int64_t id, school_t *out)
{
    return store_one(STORE_READER(r), a, "SELECT " SCHOOL_COLUMNS " FROM schools WHERE id = ?", STORE_ARGS(SA_INT(id)),
                     sizeof *out, fill, out);
}

int school_by_uai(store_src_t src, arena_t *a, str_t uai, school_t *out)
{
    return store_one(src, a, "SELECT " SCHOOL_COLUMNS " FROM schools WHERE uai = ?", STORE_ARGS(SA_TEXT(uai)),
                     sizeof *out, fill, out);
}

int school_first(store_reader_t *r, arena_t *a, school_t *out)
{
    return store_one(STORE_READER(r), a, "SELECT " SCHOOL_COLUMNS " FROM schools ORDER BY id LIMIT 1", STORE_NO_ARGS,
                     sizeof *out, fill, out);
}

int school_list(store_reader_t *r, arena_t *a, school_t **out)
{
    return store_list(STORE_READER(r), a, "SELECT " SCHOOL_COLUMNS " FROM schools ORDER BY name, id", STORE_NO_ARGS,
                      sizeof **out, fill, (void **)out);
}

int school_create(store_tx_t *tx, school_t *s)
{
    int rc = store_tx_exec(tx,
                           "INSERT INTO schools (uai, name, kind, city, timezone, is_demo, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_TEXT(s->uai), SA_TEXT(s->name), SA_TEXT(s->kind), SA_TEXT(s->city),
                                      SA_TEXT(s->timezone.len ? s->timezone : STR("Europe/Paris")),
                                      SA_INT(s->is_demo), SA_INT(time(NULL))));
    if (rc == STORE_OK)
        s->id = store_tx_last_id(tx);
    return rc;
}

void school_cache_init(school_cache_t *c)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    arena_init(&c->arena, NULL);
}

void school_cache_dispose(school_cache_t *c)
{
    u64map_dispose(&c->index);
    arena_free(&c->arena);
    free(c->items);
    memset(c, 0, sizeof *c);
}

const school_t *school_cache_get(school_cache_t *c, store_t *store, store_reader_t *r, int64_t id)
{
    uint64_t version = store_topic_version(store, STORE_TOPIC_DIRECTORY);
    if (version != c->version || c->n >= 4096) {
        u64map_clear(&c->index);
        arena_free(&c->arena);
        arena_init(&c->arena, NULL);
        c->n = 0;
        c->version = version;
    }
    uint64_t slot;
    if (u64map_get(&c->index, (uint64_t)id, &slot))
        return &c->items[slot - 1];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        school_t *grown = realloc(c->items, sizeof *grown * cap);
        if (!grown)
            return NULL;
        c->items = grown;
        c->cap = cap;
    }
    if (school_get(r, &c->arena, id, &c->items[c->n]) != 1)
        return NULL;
    u64map_put(&c->index, (uint64_t)id, c->n + 1);
    return &c->items[c->n++];
}
