/* Request parsers: urlencoded forms, cookies, content negotiation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/body.h"
#include "http/cookie.h"
#include "http/form.h"
#include "http/negotiate.h"

static form_status_t parse(arena_t *a, form_t *f, const char *s, size_t n, form_error_t *err)
{
    form_init(f, a);
    return form_parse_urlencoded(f, s, n, NULL, err);
}

static void form_decodes_fields(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    form_t f;
    form_error_t err;
    const char *s = "name=Zo%C3%A9+Martin&empty=&flag&&x=1%2B1%3D2&name=second";
    assert_int_equal(parse(&a, &f, s, strlen(s), &err), FORM_OK);
    assert_int_equal(f.len, 5);
    assert_true(str_eq(form_get(&f, "name"), STR("Zoé Martin")));
    assert_true(str_eq(form_get(&f, "empty"), STR("")));
    assert_true(str_eq(form_get(&f, "flag"), STR("")));
    assert_true(str_eq(form_get(&f, "x"), STR("1+1=2")));
    assert_int_equal(form_count(&f, "name"), 2);
    assert_null(form_get(&f, "missing").ptr);
    assert_int_equal(parse(&a, &f, "", 0, &err), FORM_OK);
    assert_int_equal(f.len, 0);
    arena_free(&a);
}

static void form_rejects_bad_input_with_the_field_name(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    form_t f;
    form_error_t err;
    assert_int_equal(parse(&a, &f, "msg=a%00b", 9, &err), FORM_NUL_BYTE);
    assert_true(str_eq(err.field, STR("msg")));
    assert_int_equal(parse(&a, &f, "msg=%C3%28", 10, &err), FORM_BAD_UTF8);
    assert_true(str_eq(err.field, STR("msg")));
    assert_int_equal(parse(&a, &f, "msg=%07", 7, &err), FORM_CONTROL_CHAR);
    assert_int_equal(parse(&a, &f, "msg=%ZZ", 7, &err), FORM_BAD_PERCENT);
    assert_int_equal(parse(&a, &f, "msg=%4", 6, &err), FORM_BAD_PERCENT);
    assert_int_equal(parse(&a, &f, "msg=%", 5, &err), FORM_BAD_PERCENT);
    /* a raw NUL byte in the body, not percent-encoded */
    assert_int_equal(parse(&a, &f, "msg=a\0b", 7, &err), FORM_NUL_BYTE);
    /* a bad name is reported by its printable prefix */
    assert_int_equal(parse(&a, &f, "ab%FFcd=1", 9, &err), FORM_BAD_UTF8);
    assert_true(str_eq(err.field, STR("ab")));

    form_limits_t lim = {.max_fields = 3, .max_value = 4};
    form_init(&f, &a);
    assert_int_equal(form_parse_urlencoded(&f, "a=1&b=2&c=3&d=4", 15, &lim, &err), FORM_TOO_MANY_FIELDS);
    form_init(&f, &a);
    assert_int_equal(form_parse_urlencoded(&f, "a=12345", 7, &lim, &err), FORM_VALUE_TOO_LONG);
    assert_true(str_eq(err.field, STR("a")));
    arena_free(&a);
}

static void cookies_are_found_and_malformed_pairs_skipped(void **state)
{
    (void)state;
    str_t h = STR("a=1; bad pair; =nameless; lang=en; quoted=\"v\"; sp ace=x; last=z");
    assert_true(str_eq(cookie_find(h, STR("lang")), STR("en")));
    assert_true(str_eq(cookie_find(h, STR("quoted")), STR("v")));
    assert_true(str_eq(cookie_find(h, STR("last")), STR("z")));
    assert_true(str_eq(cookie_find(h, STR("a")), STR("1")));
    assert_null(cookie_find(h, STR("missing")).ptr);
    assert_null(cookie_find(STR(""), STR("a")).ptr);
    assert_null(cookie_find(STR(";;;;"), STR("a")).ptr);
    /* a value with a forbidden octet is ignored */
    assert_null(cookie_find(STR("a=x\\y"), STR("a")).ptr);
}

static void set_cookie_is_formatted_and_guarded(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    buf_t b;
    buf_init(&b, &a, 16);
    cookie_attrs_t attrs = {.max_age = 3600, .path = "/", .http_only = true, .secure = true,
                            .same_site = COOKIE_SAMESITE_STRICT};
    assert_int_equal(cookie_format(&b, STR("sid"), STR("abc.def"), &attrs), 0);
    assert_string_equal(b.data, "sid=abc.def; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict");
    buf_clear(&b);
    assert_int_equal(cookie_format(&b, STR("sid"), STR("a;b"), &attrs), -1);
    assert_int_equal(cookie_format(&b, STR("s id"), STR("ab"), &attrs), -1);
    attrs.path = "/x;y";
    assert_int_equal(cookie_format(&b, STR("sid"), STR("ab"), &attrs), -1);
    assert_int_equal(b.len, 0);
    cookie_attrs_t del = {.max_age = -1};
    assert_int_equal(cookie_format(&b, STR("sid"), STR(""), &del), 0);
    assert_string_equal(b.data, "sid=; Path=/; Max-Age=0; SameSite=Lax");
    arena_free(&a);
}

static void accept_headers(void **state)
{
    (void)state;
    assert_true(accept_allows_json(STR_NULL));
    assert_true(accept_allows_json(STR("*/*")));
    assert_true(accept_allows_json(STR("application/*;q=0.5")));
    assert_false(accept_allows_json(STR("text/html")));
    assert_false(accept_allows_json(STR("application/json;q=0, */*")));
    assert_true(accept_prefers_json(STR("application/json")));
    assert_false(accept_prefers_json(STR("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")));
    assert_false(accept_prefers_json(STR("*/*")));
    assert_int_equal(accept_quality(STR("text/*;q=0.3, text/html;q=0.7"), STR("text"), STR("html")), 700);
    assert_int_equal(accept_quality(STR("text/html;q=bogus"), STR("text"), STR("html")), 0);
    assert_int_equal(accept_quality(STR("text/html;q=1.000"), STR("text"), STR("html")), 1000);

    const char *const langs[] = {"fr", "en"};
    assert_int_equal(accept_language_pick(STR("en-GB,en;q=0.9,fr;q=0.8"), langs, 2), 1);
    assert_int_equal(accept_language_pick(STR("fr-FR,fr;q=0.9,en-US;q=0.8"), langs, 2), 0);
    assert_int_equal(accept_language_pick(STR("de-DE,de;q=0.9"), langs, 2), -1);
    assert_int_equal(accept_language_pick(STR("de, en;q=0.5"), langs, 2), 1);
    assert_int_equal(accept_language_pick(STR_NULL, langs, 2), -1);

    assert_true(accept_encoding_gzip(STR("gzip, deflate, br")));
    assert_false(accept_encoding_gzip(STR("gzip;q=0, deflate")));
    assert_true(accept_encoding_gzip(STR("*")));
    assert_false(accept_encoding_gzip(STR("identity")));
    assert_false(accept_encoding_gzip(STR_NULL));
}

static void json_bodies(void **state)
{
    (void)state;
    json_t *j;
    char err[256];
    assert_int_equal(json_body_parse(STR("application/json"), STR("{\"login\":\"zoé\",\"n\":[1,2]}"), 100, &j, err, sizeof err),
                     JSON_BODY_OK);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "zoé");
    json_decref(j);
    assert_int_equal(json_body_parse(STR("Application/JSON; charset=UTF-8"), STR("[]"), 100, &j, err, sizeof err), JSON_BODY_OK);
    json_decref(j);
    assert_int_equal(json_body_parse(STR("text/plain"), STR("{}"), 100, &j, err, sizeof err), JSON_BODY_WRONG_TYPE);
    assert_int_equal(json_body_parse(STR_NULL, STR("{}"), 100, &j, err, sizeof err), JSON_BODY_WRONG_TYPE);
    assert_int_equal(json_body_parse(STR("application/json; charset=latin1"), STR("{}"), 100, &j, err, sizeof err),
                     JSON_BODY_WRONG_TYPE);
    assert_int_equal(json_body_parse(STR("application/json"), STR("[1,2,3]"), 3, &j, err, sizeof err), JSON_BODY_TOO_LARGE);
    assert_int_equal(json_body_parse(STR("application/json"), STR("{\"a\":1,\"a\":2}"), 100, &j, err, sizeof err),
                     JSON_BODY_MALFORMED);
    assert_non_null(strstr(err, "duplicate"));
    assert_int_equal(json_body_parse(STR("application/json"), STR("{\"a\":\"x\\u0000y\"}"), 100, &j, err, sizeof err),
                     JSON_BODY_MALFORMED);
    assert_int_equal(json_body_parse(STR("application/json"), STR("\"\xff\""), 100, &j, err, sizeof err), JSON_BODY_MALFORMED);
    assert_int_equal(json_body_parse(STR("application/json"), STR("{\"a\":"), 100, &j, err, sizeof err), JSON_BODY_MALFORMED);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(json_body_parse(STR("application/json"), STR(""), 100, &j, err, sizeof err), JSON_BODY_MALFORMED);
    /* deep nesting is refused by the parser, not a stack overflow */
    char deep[4000];
    memset(deep, '[', 4000);
    assert_int_equal(json_body_parse(STR("application/json"), (str_t){deep, 4000}, 10000, &j, err, sizeof err),
                     JSON_BODY_MALFORMED);
    str_t cs;
    assert_true(str_eq(body_media_type(STR(" multipart/form-data ; boundary=x; charset=\"utf-8\""), &cs),
                       STR("multipart/form-data")));
    assert_true(str_eq(cs, STR("utf-8")));
    assert_true(body_charset_utf8(cs));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_decodes_fields),
        cmocka_unit_test(form_rejects_bad_input_with_the_field_name),
        cmocka_unit_test(cookies_are_found_and_malformed_pairs_skipped),
        cmocka_unit_test(set_cookie_is_formatted_and_guarded),
        cmocka_unit_test(accept_headers),
        cmocka_unit_test(json_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
