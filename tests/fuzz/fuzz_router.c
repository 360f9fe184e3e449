/* Fuzzes route matching against a realistic table: any path, any method. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

static void h(void) {}
static router_t *router;

static void build(void)
{
    static const char *const routes[][2] = {
        {"GET", "/"},
        {"GET", "/api/v1/schools"},
        {"GET", "/api/v1/schools/{id:int}"},
        {"POST", "/api/v1/schools/{id:int}"},
        {"GET", "/classes/{id:int}/homework/{hid:int}"},
        {"GET", "/classes/{slug}/week"},
        {"GET", "/classes/new"},
        {"GET", "/files/{rest:*}"},
        {"DELETE", "/a/{x}/b"},
        {"GET", "/a/lit/c"},
    };
    char err[256];
    router = router_new();
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!router_add(router, routes[i][0], routes[i][1], h, NULL, 0, err, sizeof err))
            abort();
    router_freeze(router);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!router)
        build();
    static const char *const methods[] = {"GET", "POST", "DELETE", "HEAD", "PUT"};
    str_t method = str_from(methods[size ? data[0] % 5 : 0]);
    str_t path = size ? (str_t){(const char *)data + 1, size - 1} : STR("");
    arena_t a;
    arena_init(&a, NULL);
    route_match_t m;
    router_result_t r = router_match(router, method, path, &a, &m);
    if (r == ROUTER_FOUND) {
        if (!m.route || m.nparams > ROUTER_MAX_PARAMS)
            abort();
        for (unsigned i = 0; i < m.nparams; i++) {
            if (!m.params[i].name || text_check(m.params[i].str.ptr, m.params[i].str.len) != TEXT_OK)
                abort();
            if (m.params[i].type == PARAM_INT && m.params[i].num < 0)
                abort();
        }
    } else if (r == ROUTER_METHOD_NOT_ALLOWED && m.allow[0] == '\0') {
        abort();
    }
    arena_free(&a);
    return 0;
}
