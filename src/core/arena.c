#include "core/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk_t *next;
    size_t size; /* usable bytes after the header */
    _Alignas(16) char data[];
};

struct arena_cleanup {
    arena_cleanup_t *next;
    void (*fn)(void *);
    void *arg;
};

static void out_of_memory(size_t size)
{
    /* Not an input error: every input size is bounded before it is allocated. */
    fprintf(stderr, "level=fatal msg=\"out of memory\" size=%zu\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        out_of_memory(size);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void chunk_cache_init(chunk_cache_t *cache, size_t max_chunks)
{
    cache->free = NULL;
    cache->count = 0;
    cache->max = max_chunks;
}

void chunk_cache_dispose(chunk_cache_t *cache)
{
    arena_chunk_t *c = cache->free;
    while (c) {
        arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    cache->free = NULL;
    cache->count = 0;
}

void arena_init(arena_t *a, chunk_cache_t *cache)
{
    a->chunks = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->cleanups = NULL;
    a->cache = cache;
    a->total = 0;
}

static arena_chunk_t *chunk_get(arena_t *a, size_t min_size)
{
    arena_chunk_t *c;
    if (min_size <= ARENA_CHUNK_SIZE && a->cache && a->cache->free) {
        c = a->cache->free;
        a->cache->free = c->next;
        a->cache->count--;
        return c;
    }
    size_t size = min_size > ARENA_CHUNK_SIZE ? min_size : ARENA_CHUNK_SIZE;
    c = xmalloc(sizeof(arena_chunk_t) + size);
    c->size = size;
    return c;
}

static void chunk_put(chunk_cache_t *cache, arena_chunk_t *c)
{
    if (cache && c->size == ARENA_CHUNK_SIZE && cache->count < cache->max) {
        c->next = cache->free;
        cache->free = c;
        cache->count++;
    } else {
        free(c);
    }
}

void *arena_alloc(arena_t *a, size_t size)
{
    size_t rounded = (size + 15) & ~(size_t)15;
    if (rounded < size)
        out_of_memory(size);
    if (rounded == 0)
        rounded = 16;
    if (a->cur == NULL || (size_t)(a->end - a->cur) < rounded) {
        if (rounded > ARENA_CHUNK_SIZE / 4) {
            /* A large block gets its own chunk, placed behind the current one so the
             * current chunk's free space stays usable. */
            arena_chunk_t *big = chunk_get(a, rounded);
            if (a->chunks) {
                big->next = a->chunks->next;
                a->chunks->next = big;
            } else {
                big->next = NULL;
                a->chunks = big;
                a->cur = big->data + big->size;
                a->end = a->cur;
            }
            a->total += rounded;
            return big->data;
        }
        arena_chunk_t *c = chunk_get(a, rounded);
        c->next = a->chunks;
        a->chunks = c;
        a->cur = c->data;
        a->end = c->data + c->size;
    }
    void *p = a->cur;
    a->cur += rounded;
    a->total += rounded;
    return p;
}

void *arena_zalloc(arena_t *a, size_t size)
{
    void *p = arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

void *arena_memdup(arena_t *a, const void *p, size_t len)
{
    void *q = arena_alloc(a, len);
    if (len)
        memcpy(q, p, len);
    return q;
}

char *arena_strndup(arena_t *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return arena_strndup(a, "", 0);
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void *arena_realloc(arena_t *a, void *p, size_t old_size, size_t new_size)
{
    if (p == NULL)
        return arena_alloc(a, new_size);
    size_t old_rounded = (old_size + 15) & ~(size_t)15;
    size_t new_rounded = (new_size + 15) & ~(size_t)15;
    if (old_rounded == 0)
        old_rounded = 16;
    /* The most recent small allocation can grow in place. */
    if ((char *)p + old_rounded == a->cur && new_rounded >= old_rounded &&
        (size_t)(a->end - (char *)p) >= new_rounded) {
        a->cur = (char *)p + new_rounded;
        a->total += new_rounded - old_rounded;
        return p;
    }
    if (new_size <= old_size)
        return p;
    void *q = arena_alloc(a, new_size);
    memcpy(q, p, old_size);
    return q;
}

int arena_on_free(arena_t *a, void (*fn)(void *), void *arg)
{
    arena_cleanup_t *c = arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

static void run_cleanups(arena_t *a)
{
    /* Cleanups live inside the arena, so detach the list before running them. */
    arena_cleanup_t *c = a->cleanups;
    a->cleanups = NULL;
    for (; c; c = c->next)
        c->fn(c->arg);
}

void arena_reset(arena_t *a)
{
    run_cleanups(a);
    arena_chunk_t *c = a->chunks;
    while (c) {
        arena_chunk_t *next = c->next;
        chunk_put(a->cache, c);
        c = next;
    }
    a->chunks = NULL;
    a->cur = NULL;
    a->end = NULL;
    a->total = 0;
}

void arena_free(arena_t *a)
{
    arena_reset(a);
}
