/* Fuzzes Cookie header parsing and Set-Cookie formatting. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    str_t header = {(const char *)data, size};
    size_t cursor = 0;
    str_t name, value;
    int pairs = 0;
    while (cookie_next(header, &cursor, &name, &value)) {
        if (!cookie_name_valid(name) || !cookie_octets_valid(value) || cursor > size)
            abort();
        if (++pairs > (int)size + 1)
            abort();
    }
    (void)cookie_find(header, STR("sid"));
    /* formatting accepts only what it can write safely */
    size_t split = size ? data[0] % (size + 1) : 0;
    str_t n = {(const char *)data, split}, v = {(const char *)data + split, size - split};
    arena_t a;
    arena_init(&a, NULL);
    buf_t b;
    buf_init(&b, &a, 64);
    cookie_attrs_t attrs = {.max_age = 60, .http_only = true};
    if (cookie_format(&b, n, v, &attrs) == 0) {
        for (size_t i = 0; i < b.len; i++)
            if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7F)
                abort();
    } else if (b.len != 0) {
        abort();
    }
    arena_free(&a);
    return 0;
}
