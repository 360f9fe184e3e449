/* core: arena, buf, str, text checks, config parsing, values and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/str.h"
#include "core/value.h"

static int cleanup_calls;
static void count_cleanup(void *arg) { cleanup_calls = cleanup_calls * 10 + *(int *)arg; }

static void arena_allocations_are_aligned_and_distinct(void **state)
{
    (void)state;
    chunk_cache_t cache;
    chunk_cache_init(&cache, 4);
    arena_t a;
    arena_init(&a, &cache);
    char *prev = NULL;
    for (int i = 1; i < 2000; i++) {
        char *p = arena_alloc(&a, (size_t)(i % 97) + 1);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, (size_t)(i % 97) + 1);
        assert_ptr_not_equal(p, prev);
        prev = p;
    }
    /* a block larger than a chunk */
    char *big = arena_alloc(&a, 3 * ARENA_CHUNK_SIZE);
    memset(big, 1, 3 * ARENA_CHUNK_SIZE);
    assert_true(arena_used(&a) > 3 * ARENA_CHUNK_SIZE);
    arena_free(&a);
    assert_int_equal(arena_used(&a), 0);
    /* chunks came back to the cache, bounded by its max */
    assert_true(cache.count > 0 && cache.count <= 4);
    chunk_cache_dispose(&cache);
}

static void arena_runs_cleanups_once_in_reverse(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    int one = 1, two = 2;
    cleanup_calls = 0;
    arena_on_free(&a, count_cleanup, &one);
    arena_on_free(&a, count_cleanup, &two);
    arena_reset(&a);
    assert_int_equal(cleanup_calls, 21); /* last registered runs first */
    arena_free(&a);
    assert_int_equal(cleanup_calls, 21);
}

static void arena_realloc_grows_in_place_and_keeps_data(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    char *p = arena_alloc(&a, 10);
    memcpy(p, "0123456789", 10);
    char *q = arena_realloc(&a, p, 10, 100);
    assert_ptr_equal(p, q);
    assert_memory_equal(q, "0123456789", 10);
    (void)arena_alloc(&a, 8);
    char *r = arena_realloc(&a, q, 100, 5000);
    assert_ptr_not_equal(r, q);
    assert_memory_equal(r, "0123456789", 10);
    assert_string_equal(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    arena_free(&a);
}

static void buf_appends_numbers_and_text(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    buf_t b;
    buf_init(&b, &a, 4);
    buf_puts(&b, "n=");
    buf_put_i64(&b, INT64_MIN);
    buf_putc(&b, ' ');
    buf_put_u64(&b, UINT64_MAX);
    buf_printf(&b, " %s", "ok");
    assert_string_equal(b.data, "n=-9223372036854775808 18446744073709551615 ok");
    assert_int_equal(b.len, strlen(b.data));
    /* a long printf goes beyond the internal small buffer */
    char longs[600];
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    buf_clear(&b);
    buf_printf(&b, "%s|", longs);
    assert_int_equal(b.len, 600);
    arena_free(&a);
}

static void str_helpers(void **state)
{
    (void)state;
    str_t rest;
    str_t head = str_cut(STR("a=b=c"), '=', &rest);
    assert_true(str_eq(head, STR("a")));
    assert_true(str_eq(rest, STR("b=c")));
    head = str_cut(STR("abc"), '=', &rest);
    assert_true(str_eq(head, STR("abc")));
    assert_null(rest.ptr);
    assert_true(str_eq(str_trim(STR(" \t x y \t")), STR("x y")));
    assert_true(str_ieq(STR("Content-Type"), STR("content-type")));
    assert_false(str_ieq(STR("abc"), STR("abd")));
    uint64_t u;
    assert_true(str_to_u64(STR("18446744073709551615"), &u));
    assert_true(u == UINT64_MAX);
    assert_false(str_to_u64(STR("18446744073709551616"), &u));
    assert_false(str_to_u64(STR("12a"), &u));
    assert_false(str_to_u64(STR(""), &u));
    int64_t i;
    assert_true(str_to_i64(STR("-9223372036854775808"), &i));
    assert_true(i == INT64_MIN);
    assert_false(str_to_i64(STR("9223372036854775808"), &i));
}

static void text_check_rejects_what_must_not_be_stored(void **state)
{
    (void)state;
    assert_int_equal(text_check("Élève «Zoé» 😀\tok\r\n", strlen("Élève «Zoé» 😀\tok\r\n")), TEXT_OK);
    assert_int_equal(text_check("a\0b", 3), TEXT_NUL_BYTE);
    assert_int_equal(text_check("a\x01", 2), TEXT_CONTROL_CHAR);
    assert_int_equal(text_check("a\x7f", 2), TEXT_CONTROL_CHAR);
    assert_int_equal(text_check("\xc3", 1), TEXT_BAD_UTF8);             /* truncated */
    assert_int_equal(text_check("\xc0\xaf", 2), TEXT_BAD_UTF8);         /* overlong '/' */
    assert_int_equal(text_check("\xed\xa0\x80", 3), TEXT_BAD_UTF8);     /* surrogate */
    assert_int_equal(text_check("\xf4\x90\x80\x80", 4), TEXT_BAD_UTF8); /* above U+10FFFF */
    assert_int_equal(text_check("\xff", 1), TEXT_BAD_UTF8);
    assert_int_equal(text_check("\x80", 1), TEXT_BAD_UTF8); /* lone continuation byte */
    assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));
    assert_int_equal(utf8_length("été", strlen("été")), 3);
}

static void config_sizes_and_durations(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(config_parse_size("64K", &v), 0);
    assert_true(v == 65536);
    assert_int_equal(config_parse_size("32MiB", &v), 0);
    assert_true(v == 32u << 20);
    assert_int_equal(config_parse_size("1G", &v), 0);
    assert_int_equal(config_parse_size("12Q", &v), -1);
    assert_int_equal(config_parse_size("-1", &v), -1);
    assert_int_equal(config_parse_size("", &v), -1);
    assert_int_equal(config_parse_size("99999999999999999999", &v), -1);
    assert_int_equal(config_parse_duration_ms("500ms", &v), 0);
    assert_true(v == 500);
    assert_int_equal(config_parse_duration_ms("30s", &v), 0);
    assert_true(v == 30000);
    assert_int_equal(config_parse_duration_ms("2m", &v), 0);
    assert_true(v == 120000);
    assert_int_equal(config_parse_duration_ms("7", &v), 0);
    assert_true(v == 7000);
    assert_int_equal(config_parse_duration_ms("1 day", &v), -1);
}

static void config_precedence_file_env_cli(void **state)
{
    (void)state;
    char path[] = "/tmp/cartable-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "# comment\nlisten = 127.0.0.1:9000\nthreads = 3\n  gzip_level=7  \ndata = \"/srv/cartable\"\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    config_t cfg;
    char err[256];
    config_init_defaults(&cfg);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_int_equal(config_load_file(&cfg, path, err, sizeof err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:9000");
    assert_int_equal(cfg.threads, 3);
    assert_int_equal(cfg.gzip_level, 7);
    assert_string_equal(cfg.data_dir, "/srv/cartable");

    char *env[] = {"HOME=/root", "CARTABLE_THREADS=5", "CARTABLE_ACCESS_LOG=off", NULL};
    assert_int_equal(config_load_env(&cfg, env, NULL, err, sizeof err), 0);
    assert_int_equal(cfg.threads, 5);
    assert_false(cfg.access_log);

    char *argv[] = {"--threads", "7", "--demo", "--max-body=2M", "extra"};
    int i = 0;
    assert_int_equal(config_parse_arg(&cfg, 5, argv, &i, err, sizeof err), 1);
    assert_int_equal(config_parse_arg(&cfg, 5, argv, &i, err, sizeof err), 1);
    assert_int_equal(config_parse_arg(&cfg, 5, argv, &i, err, sizeof err), 1);
    assert_int_equal(config_parse_arg(&cfg, 5, argv, &i, err, sizeof err), 0);
    assert_int_equal(i, 4);
    assert_int_equal(cfg.threads, 7);
    assert_true(cfg.demo);
    assert_true(cfg.max_body == 2u << 20);
    /* max_upload_file (20M default) now exceeds max_body: refused with a clear message */
    assert_int_equal(config_validate(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "max_upload_file"));
    config_dispose(&cfg);
    unlink(path);
}

static void config_errors_name_the_culprit(void **state)
{
    (void)state;
    config_t cfg;
    char err[256];
    config_init_defaults(&cfg);
    assert_int_equal(config_set(&cfg, "nonsense", "1", "test", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown setting \"nonsense\""));
    assert_int_equal(config_set(&cfg, "threads", "many", "test", err, sizeof err), -1);
    assert_non_null(strstr(err, "threads"));
    assert_int_equal(config_set(&cfg, "gzip_level", "12", "test", err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(config_set(&cfg, "http2", "maybe", "test", err, sizeof err), -1);
    /* an unknown variable is reported and skipped; a bad value is an error */
    char *env[] = {"CARTABLE_NOPE=1", NULL};
    char warn[256] = "";
    FILE *w = fmemopen(warn, sizeof warn, "w");
    assert_int_equal(config_load_env(&cfg, env, w, err, sizeof err), 0);
    fclose(w);
    assert_non_null(strstr(warn, "ignoring CARTABLE_NOPE,"));
    assert_null(strstr(warn, "=1")); /* values may be secrets: never echoed */
    char *bad_env[] = {"CARTABLE_THREADS=x", NULL};
    assert_int_equal(config_load_env(&cfg, bad_env, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "CARTABLE_THREADS"));
    assert_int_equal(config_set(&cfg, "default_lang", "de", "test", err, sizeof err), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "default_lang"));

    char path[] = "/tmp/cartable-test-config-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "listen = 127.0.0.1:1\nthis line has no equals sign\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(config_load_file(&cfg, path, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2:"));
    unlink(path);
    assert_int_equal(config_load_file(&cfg, "/nonexistent/cartable.conf", err, sizeof err), -1);
    config_dispose(&cfg);
}

static void values_render_as_json(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    value_t *root = value_map(&a);
    value_set_cstr(root, "name", "Zoé \"<b>\" \\ \n\x01");
    value_set_int(root, "n", -3);
    value_set_bool(root, "ok", true);
    value_set(root, "none", value_null(&a));
    value_set(root, "pi", value_number(&a, 3.5));
    value_t *list = value_set_list(root, "list");
    for (int i = 0; i < 20; i++)
        value_push(list, value_int(&a, i));
    value_set_int(root, "n", 4); /* replaces */
    buf_t b;
    buf_init(&b, &a, 16);
    value_write_json(&b, root);
    assert_string_equal(b.data, "{\"name\":\"Zoé \\\"\\u003cb\\u003e\\\" \\\\ \\n\\u0001\",\"n\":4,\"ok\":true,\"none\":null,"
                                "\"pi\":3.5,\"list\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]}");
    assert_true(value_truthy(value_get(root, "ok", 2)));
    assert_false(value_truthy(value_get(root, "none", 4)));
    assert_null(value_get(root, "missing", 7));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_allocations_are_aligned_and_distinct),
        cmocka_unit_test(arena_runs_cleanups_once_in_reverse),
        cmocka_unit_test(arena_realloc_grows_in_place_and_keeps_data),
        cmocka_unit_test(buf_appends_numbers_and_text),
        cmocka_unit_test(str_helpers),
        cmocka_unit_test(text_check_rejects_what_must_not_be_stored),
        cmocka_unit_test(config_sizes_and_durations),
        cmocka_unit_test(config_precedence_file_env_cli),
        cmocka_unit_test(config_errors_name_the_culprit),
        cmocka_unit_test(values_render_as_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
