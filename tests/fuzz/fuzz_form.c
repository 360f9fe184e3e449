/* Fuzzes urlencoded form parsing: never crashes; accepted fields are always valid text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t a;
    arena_init(&a, NULL);
    form_t f;
    form_init(&f, &a);
    form_error_t err;
    form_limits_t lim = {.max_fields = 64, .max_value = 4096};
    form_status_t st = form_parse_urlencoded(&f, (const char *)data, size, &lim, &err);
    if (st == FORM_OK) {
        if (f.len > lim.max_fields)
            abort();
        for (size_t i = 0; i < f.len; i++) {
            if (text_check(f.fields[i].name.ptr, f.fields[i].name.len) != TEXT_OK ||
                text_check(f.fields[i].value.ptr, f.fields[i].value.len) != TEXT_OK || f.fields[i].value.len > lim.max_value)
                abort();
        }
    } else if (err.field.ptr && !utf8_valid(err.field.ptr, err.field.len)) {
        abort(); /* the field named in an error message must be printable */
    }
    arena_free(&a);
    return 0;
}
