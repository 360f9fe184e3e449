/* Fuzzes JSON body acceptance: the first byte picks the Content-Type. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"application/json", "application/json; charset=utf-8", "text/plain",
                                        "application/json; charset=latin1"};
    if (size < 1)
        return 0;
    str_t ct = str_from(types[data[0] % 4]);
    json_t *j = NULL;
    char err[256];
    json_body_status_t st = json_body_parse(ct, (str_t){(const char *)data + 1, size - 1}, 2048, &j, err, sizeof err);
    if ((st == JSON_BODY_OK) != (j != NULL))
        abort();
    if (j) {
        /* what was accepted serialises back to valid UTF-8 without NUL */
        char *dump = json_dumps(j, JSON_ENCODE_ANY);
        if (!dump || memchr(dump, 0, strlen(dump)) || !utf8_valid(dump, strlen(dump)))
            abort();
        free(dump);
        json_decref(j);
    }
    return 0;
}
