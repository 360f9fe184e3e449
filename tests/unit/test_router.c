/* The router: literal and typed segments, precedence, 404/405, decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void h1(void) {}
static void h2(void) {}

static router_t *build(void)
{
    char err[256];
    router_t *r = router_new();
    assert_non_null(router_add(r, "GET", "/", h1, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/classes/{id:int}", h1, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/classes/new", h2, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/classes/{slug}", h2, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "POST", "/classes/{id:int}", h2, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/classes/{id:int}/pupils/{pid:int}", h1, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/files/{rest:*}", h1, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "DELETE", "/a/{x}/b", h1, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/a/lit/c", h1, NULL, 0, err, sizeof err));
    router_freeze(r);
    return r;
}

static router_result_t m(router_t *r, const char *method, const char *path, arena_t *a, route_match_t *out)
{
    return router_match(r, str_from(method), str_from(path), a, out);
}

static void matches_by_precedence(void **state)
{
    (void)state;
    router_t *r = build();
    arena_t a;
    arena_init(&a, NULL);
    route_match_t mt;
    assert_int_equal(m(r, "GET", "/", &a, &mt), ROUTER_FOUND);
    assert_string_equal(mt.route->pattern, "/");
    assert_int_equal(m(r, "GET", "/classes/42", &a, &mt), ROUTER_FOUND);
    assert_string_equal(mt.route->pattern, "/classes/{id:int}");
    assert_true(route_param(&mt, "id")->num == 42);
    assert_int_equal(m(r, "GET", "/classes/new", &a, &mt), ROUTER_FOUND);
    assert_string_equal(mt.route->pattern, "/classes/new");
    assert_int_equal(m(r, "GET", "/classes/6e%20B", &a, &mt), ROUTER_FOUND);
    assert_string_equal(mt.route->pattern, "/classes/{slug}");
    assert_true(str_eq(route_param(&mt, "slug")->str, STR("6e B")));
    /* leading zeros and overflow are not ints: they fall to the str route */
    assert_int_equal(m(r, "GET", "/classes/007", &a, &mt), ROUTER_FOUND);
    assert_string_equal(mt.route->pattern, "/classes/{slug}");
    assert_int_equal(m(r, "GET", "/classes/9999999999999999999", &a, &mt), ROUTER_FOUND);
    assert_string_equal(mt.route->pattern, "/classes/{slug}");
    assert_int_equal(m(r, "GET", "/classes/3/pupils/17", &a, &mt), ROUTER_FOUND);
    assert_true(route_param(&mt, "id")->num == 3 && route_param(&mt, "pid")->num == 17);
    assert_null(route_param(&mt, "nope"));
    assert_int_equal(m(r, "GET", "/files/a/b%2Fc/d.pdf", &a, &mt), ROUTER_FOUND);
    assert_true(str_eq(route_param(&mt, "rest")->str, STR("a/b/c/d.pdf")));
    /* backtracking: the literal branch fails deeper, the parameter branch wins */
    assert_int_equal(m(r, "DELETE", "/a/lit/b", &a, &mt), ROUTER_FOUND);
    assert_true(str_eq(route_param(&mt, "x")->str, STR("lit")));
    /* HEAD is served by GET routes */
    assert_int_equal(m(r, "HEAD", "/classes/1", &a, &mt), ROUTER_FOUND);
    arena_free(&a);
    router_free(r);
}

static void not_found_and_not_allowed(void **state)
{
    (void)state;
    router_t *r = build();
    arena_t a;
    arena_init(&a, NULL);
    route_match_t mt;
    assert_int_equal(m(r, "GET", "/nothing", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/classes", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/classes/", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/classes//1", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/files/", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "GET", "", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "GET", "*", &a, &mt), ROUTER_NOT_FOUND);
    assert_int_equal(m(r, "PUT", "/classes/1", &a, &mt), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(mt.allow, "GET, POST, HEAD");
    assert_int_equal(m(r, "POST", "/", &a, &mt), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(mt.allow, "GET, HEAD");
    /* bad percent-encoding and invalid text are bad requests */
    assert_int_equal(m(r, "GET", "/classes/%ZZ", &a, &mt), ROUTER_BAD_PATH);
    assert_int_equal(m(r, "GET", "/classes/%FF", &a, &mt), ROUTER_BAD_PATH);
    assert_int_equal(m(r, "GET", "/classes/a%00b", &a, &mt), ROUTER_BAD_PATH);
    assert_int_equal(m(r, "GET", "/classes/a%0Ab", &a, &mt), ROUTER_BAD_PATH);
    /* too many segments: not found, no overflow */
    char deep[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "/x");
    assert_int_equal(m(r, "GET", deep, &a, &mt), ROUTER_NOT_FOUND);
    arena_free(&a);
    router_free(r);
}

static void bad_patterns_are_refused(void **state)
{
    (void)state;
    char err[256];
    router_t *r = router_new();
    assert_null(router_add(r, "GET", "nope", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a/{x", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a/{x:float}", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a/{rest:*}/b", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a/b{x}", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a//b", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a/", h1, NULL, 0, err, sizeof err));
    assert_non_null(router_add(r, "GET", "/a/{x:int}", h1, NULL, 0, err, sizeof err));
    assert_null(router_add(r, "GET", "/a/{y:int}", h1, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "registered twice"));
    assert_int_equal(router_count(r), 1);
    assert_string_equal(router_route(r, 0)->pattern, "/a/{x:int}");
    router_freeze(r);
    assert_null(router_add(r, "GET", "/b", h1, NULL, 0, err, sizeof err));
    router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_by_precedence),
        cmocka_unit_test(not_found_and_not_allowed),
        cmocka_unit_test(bad_patterns_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
