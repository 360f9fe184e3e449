/* Fuzzes the Accept, Accept-Language and Accept-Encoding readers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    str_t h = {(const char *)data, size};
    int q = accept_quality(h, STR("application"), STR("json"));
    if (q < 0 || q > 1000)
        abort();
    (void)accept_prefers_json(h);
    (void)accept_allows_json(h);
    const char *const langs[] = {"fr", "en"};
    int l = accept_language_pick(h, langs, 2);
    if (l < -1 || l > 1)
        abort();
    (void)accept_encoding_gzip(h);
    size_t cursor = 0, prev = 0;
    header_item_t it;
    while (header_list_next(h, &cursor, &it)) {
        if (cursor <= prev && size)
            abort(); /* always makes progress */
        if (it.quality < 0 || it.quality > 1000 || it.value.len == 0)
            abort();
        prev = cursor;
    }
    return 0;
}
