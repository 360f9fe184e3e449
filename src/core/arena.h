/* Arena: memory that dies together (a request, a parse, a render).
 *
 * Contract:
 * - arena_alloc returns 16-byte aligned memory that lives until arena_reset or
 *   arena_free; there is no per-allocation free.
 * - Chunks come from an optional chunk_cache owned by one thread, so the request
 *   hot path recycles memory instead of calling malloc. A cache is never shared
 *   between threads.
 * - Cleanup callbacks registered with arena_on_free run (last registered first)
 *   when the arena is reset or freed: temporary files, foreign handles.
 * - Out of memory is not an input error: it logs and aborts.
 */
#ifndef CARTABLE_CORE_ARENA_H
#define CARTABLE_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define ARENA_CHUNK_SIZE (16 * 1024)

typedef struct arena_chunk arena_chunk_t;

typedef struct chunk_cache {
    arena_chunk_t *free;
    size_t count;
    size_t max;
} chunk_cache_t;

typedef struct arena_cleanup arena_cleanup_t;

typedef struct arena {
    arena_chunk_t *chunks;
    char *cur;
    char *end;
    arena_cleanup_t *cleanups;
    chunk_cache_t *cache;
    size_t total;
} arena_t;

void chunk_cache_init(chunk_cache_t *cache, size_t max_chunks);
void chunk_cache_dispose(chunk_cache_t *cache);

void arena_init(arena_t *a, chunk_cache_t *cache);
void *arena_alloc(arena_t *a, size_t size);
void *arena_zalloc(arena_t *a, size_t size);
char *arena_strndup(arena_t *a, const char *s, size_t len);
char *arena_strdup(arena_t *a, const char *s);
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *arena_memdup(arena_t *a, const void *p, size_t len);
/* Grows the most recent allocation in place when possible, else copies. */
void *arena_realloc(arena_t *a, void *p, size_t old_size, size_t new_size);
int arena_on_free(arena_t *a, void (*fn)(void *), void *arg);
void arena_reset(arena_t *a);
void arena_free(arena_t *a);
/* Bytes handed out so far (for limits and metrics). */
static inline size_t arena_used(const arena_t *a) { return a->total; }

#define ARENA_NEW(a, type) ((type *)arena_zalloc((a), sizeof(type)))
#define ARENA_ARRAY(a, type, n) ((type *)arena_zalloc((a), sizeof(type) * (n)))

/* Process-wide fatal allocation failure: logs and aborts. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

#endif
