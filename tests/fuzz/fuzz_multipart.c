/* Fuzzes the streaming multipart parser. The first input byte picks a chunk size;
 * feeding the rest in chunks must produce exactly the events of feeding it whole. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/multipart.h"

typedef struct trace {
    buf_t b;
} trace_t;

static int on_begin(void *ud, const multipart_part_info_t *info)
{
    trace_t *t = ud;
    buf_printf(&t->b, "B%zu:", info->name.len);
    buf_append(&t->b, info->name.ptr, info->name.len);
    if (info->filename.ptr) {
        buf_printf(&t->b, "F%zu:", info->filename.len);
        buf_append(&t->b, info->filename.ptr, info->filename.len);
    }
    return 0;
}

static int on_data(void *ud, const char *p, size_t n)
{
    trace_t *t = ud;
    if (n == 0)
        abort(); /* empty data callbacks are never made */
    buf_append(&t->b, p, n);
    return 0;
}

static int on_end(void *ud)
{
    trace_t *t = ud;
    buf_puts(&t->b, "|E|");
    return 0;
}

static multipart_error_t run(multipart_parser_t *p, const char *data, size_t size, size_t chunk, trace_t *t)
{
    multipart_callbacks_t cb = {on_begin, on_data, on_end};
    multipart_parser_init(p, "bnd", 3, &cb, t);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        multipart_error_t e = multipart_parser_feed(p, data + off, n);
        if (e != MP_OK)
            return e;
    }
    return multipart_parser_finish(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    static multipart_parser_t p1, p2;
    arena_t a;
    arena_init(&a, NULL);
    trace_t whole, pieces;
    buf_init(&whole.b, &a, 256);
    buf_init(&pieces.b, &a, 256);
    multipart_error_t e1 = run(&p1, (const char *)data, size, size ? size : 1, &whole);
    multipart_error_t e2 = run(&p2, (const char *)data, size, chunk, &pieces);
    if (e1 != e2)
        abort();
    if (e1 == MP_OK && (whole.b.len != pieces.b.len || memcmp(whole.b.data, pieces.b.data, whole.b.len) != 0))
        abort();
    /* the boundary parser on the same bytes as a Content-Type value */
    char boundary[MULTIPART_MAX_BOUNDARY];
    size_t blen;
    if (multipart_boundary((str_t){(const char *)data, size}, boundary, &blen) == MP_OK &&
        (blen == 0 || blen > MULTIPART_MAX_BOUNDARY))
        abort();
    arena_free(&a);
    return 0;
}
