/* buf: a growable byte buffer, in an arena (request scope) or on the heap.
 *
 * Contract: data is always NUL-terminated after len (so it can be handed to C
 * string functions) but may contain NUL bytes itself. An arena-backed buffer is
 * released with its arena; a heap buffer with buf_dispose.
 */
#ifndef CARTABLE_CORE_BUF_H
#define CARTABLE_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    arena_t *arena; /* NULL: heap */
} buf_t;

void buf_init(buf_t *b, arena_t *arena, size_t initial);
void buf_dispose(buf_t *b);
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *p, size_t n);
void buf_putc(buf_t *b, char c);
void buf_puts(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_put_u64(buf_t *b, uint64_t v);
void buf_put_i64(buf_t *b, int64_t v);
static inline void buf_append_str(buf_t *b, str_t s) { buf_append(b, s.ptr, s.len); }
static inline void buf_clear(buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}
static inline str_t buf_str(const buf_t *b) { return (str_t){b->data, b->len}; }

#define BUF_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

#endif
