/* multipart/form-data: the streaming parser and the whole-form reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "http/multipart.h"

#define CT "multipart/form-data; boundary=XyZ"

static const char body[] = "preamble is ignored\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"title\"\r\n"
                           "\r\n"
                           "Devoir de français\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\fakepath\\\\r\xc3\xa9sum\xc3\xa9.txt\"\r\n"
                           "Content-Type: text/plain\r\n"
                           "\r\n"
                           "line one\r\n--X almost a boundary\r\r\nend\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
                           "Content-Type: application/octet-stream\r\n"
                           "\r\n"
                           "\r\n"
                           "--XyZ--\r\n"
                           "epilogue is ignored";

typedef struct events {
    buf_t log;
} events_t;

static int ev_begin(void *ud, const multipart_part_info_t *info)
{
    events_t *e = ud;
    buf_printf(&e->log, "[begin %.*s|%.*s]", (int)info->name.len, info->name.ptr, (int)info->filename.len,
               info->filename.ptr ? info->filename.ptr : "");
    return 0;
}

static int ev_data(void *ud, const char *p, size_t n)
{
    events_t *e = ud;
    buf_append(&e->log, p, n);
    return 0;
}

static int ev_end(void *ud)
{
    events_t *e = ud;
    buf_puts(&e->log, "[end]");
    return 0;
}

/* Feeding the body in every chunk size gives the same events. */
static void parser_is_independent_of_chunking(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    multipart_callbacks_t cb = {ev_begin, ev_data, ev_end};
    char *expected = NULL;
    for (size_t chunk = 1; chunk <= sizeof body; chunk++) {
        events_t e;
        buf_init(&e.log, &a, 256);
        multipart_parser_t *p = arena_alloc(&a, sizeof *p);
        multipart_parser_init(p, "XyZ", 3, &cb, &e);
        for (size_t off = 0; off < sizeof body - 1; off += chunk) {
            size_t n = sizeof body - 1 - off < chunk ? sizeof body - 1 - off : chunk;
            assert_int_equal(multipart_parser_feed(p, body + off, n), MP_OK);
        }
        assert_int_equal(multipart_parser_finish(p), MP_OK);
        if (!expected) {
            expected = e.log.data;
            assert_non_null(strstr(expected, "[begin title|]Devoir de français[end]"));
            assert_non_null(strstr(expected, "line one\r\n--X almost a boundary\r\r\nend[end]"));
            assert_non_null(strstr(expected, "[begin empty|][end]"));
        } else {
            assert_string_equal(e.log.data, expected);
        }
    }
    arena_free(&a);
}

static multipart_error_t parse_all(const char *b, size_t n)
{
    multipart_callbacks_t cb = {NULL, NULL, NULL};
    multipart_parser_t *p = malloc(sizeof *p);
    multipart_parser_init(p, "XyZ", 3, &cb, NULL);
    multipart_error_t e = multipart_parser_feed(p, b, n);
    if (e == MP_OK)
        e = multipart_parser_finish(p);
    free(p);
    return e;
}

static void parser_rejects_malformed_bodies(void **state)
{
    (void)state;
    const char *truncated = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
    assert_int_equal(parse_all(truncated, strlen(truncated)), MP_ERR_TRUNCATED);
    const char *no_name = "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--";
    assert_int_equal(parse_all(no_name, strlen(no_name)), MP_ERR_NO_NAME);
    const char *not_form = "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--";
    assert_int_equal(parse_all(not_form, strlen(not_form)), MP_ERR_NO_NAME);
    const char *bad_after = "--XyZjunk\r\n";
    assert_int_equal(parse_all(bad_after, strlen(bad_after)), MP_ERR_SYNTAX);
    const char *bad_header = "--XyZ\r\nno colon here\r\n\r\nv\r\n--XyZ--";
    assert_int_equal(parse_all(bad_header, strlen(bad_header)), MP_ERR_SYNTAX);
    const char *unterminated_quote = "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--";
    assert_int_equal(parse_all(unterminated_quote, strlen(unterminated_quote)), MP_ERR_SYNTAX);
    assert_int_equal(parse_all("", 0), MP_ERR_TRUNCATED);
    /* part headers over the limit */
    size_t n = MULTIPART_MAX_HEADER_BYTES + 100;
    char *big = malloc(n + 64);
    strcpy(big, "--XyZ\r\nX-Pad: ");
    memset(big + strlen(big), 'a', n);
    big[14 + n] = '\0';
    assert_int_equal(parse_all(big, strlen(big)), MP_ERR_HEADERS_TOO_LARGE);
    free(big);
    /* no parts at all is a valid, empty form */
    assert_int_equal(parse_all("--XyZ--\r\n", 9), MP_OK);
}

static void boundary_parameter(void **state)
{
    (void)state;
    char b[MULTIPART_MAX_BOUNDARY];
    size_t n;
    assert_int_equal(multipart_boundary(STR("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk"), b, &n), MP_OK);
    assert_int_equal(n, strlen("----WebKitFormBoundary7MA4YWxk"));
    assert_int_equal(multipart_boundary(STR("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b\""), b, &n), MP_OK);
    assert_memory_equal(b, "a b", 3);
    assert_int_equal(multipart_boundary(STR("multipart/form-data"), b, &n), MP_ERR_BOUNDARY);
    assert_int_equal(multipart_boundary(STR("multipart/form-data; boundary="), b, &n), MP_ERR_BOUNDARY);
    assert_int_equal(multipart_boundary(STR("multipart/form-data; boundary=a\"b"), b, &n), MP_ERR_BOUNDARY);
    assert_int_equal(multipart_boundary(STR("text/plain; boundary=abc"), b, &n), MP_ERR_BOUNDARY);
    char long_b[200] = "multipart/form-data; boundary=";
    memset(long_b + strlen(long_b), 'x', 71);
    assert_int_equal(multipart_boundary(str_from(long_b), b, &n), MP_ERR_BOUNDARY);
}

static char tmpdir[64];

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static int setup_dir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/cartable-mp-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static multipart_limits_t limits(void)
{
    return (multipart_limits_t){.max_fields = 10, .max_field_bytes = 1000, .max_files = 2, .max_file_bytes = 1000,
                                .max_total_file_bytes = 1500, .tmp_dir = tmpdir};
}

static void read_form_stores_fields_and_files(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    multipart_limits_t lim = limits();
    multipart_form_result_t res;
    assert_int_equal(multipart_read_form(&a, STR(CT), body, sizeof body - 1, &lim, &res), MPF_OK);
    assert_true(str_eq(form_get(&res.fields, "title"), STR("Devoir de français")));
    assert_int_equal(res.upload_count, 1); /* the empty file input is not an upload */
    upload_t *u = res.uploads;
    assert_true(str_eq(u->filename, STR("résumé.txt")));
    assert_true(str_eq(u->field, STR("file")));
    assert_true(str_eq(u->content_type, STR("text/plain")));
    assert_int_equal(u->size, strlen("line one\r\n--X almost a boundary\r\r\nend"));
    struct stat st;
    assert_int_equal(stat(u->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal((size_t)st.st_size, u->size);
    /* a claimed file survives the arena; an unclaimed one does not */
    char *kept = upload_claim(u);
    arena_free(&a);
    assert_int_equal(stat(kept, &st), 0);
    unlink(kept);
    assert_int_equal(count_files(tmpdir), 0);

    arena_init(&a, NULL);
    assert_int_equal(multipart_read_form(&a, STR(CT), body, sizeof body - 1, &lim, &res), MPF_OK);
    assert_int_equal(count_files(tmpdir), 1);
    arena_free(&a);
    assert_int_equal(count_files(tmpdir), 0);
}

static void read_form_limits_leave_nothing_behind(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    multipart_limits_t lim = limits();
    multipart_form_result_t res;
    buf_t b;
    buf_init(&b, &a, 4096);

    /* one file over the per-file limit */
    buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n");
    for (int i = 0; i < 1001; i++)
        buf_putc(&b, 'x');
    buf_puts(&b, "\r\n--XyZ--\r\n");
    assert_int_equal(multipart_read_form(&a, STR(CT), b.data, b.len, &lim, &res), MPF_FILE_TOO_LARGE);
    assert_true(str_eq(res.field, STR("f")));
    assert_int_equal(count_files(tmpdir), 0);

    /* two files, each within the limit, over the total */
    buf_clear(&b);
    for (int k = 0; k < 2; k++) {
        buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"; filename=\"a%d.bin\"\r\n\r\n", k, k);
        for (int i = 0; i < 800; i++)
            buf_putc(&b, 'y');
        buf_puts(&b, "\r\n");
    }
    buf_puts(&b, "--XyZ--\r\n");
    assert_int_equal(multipart_read_form(&a, STR(CT), b.data, b.len, &lim, &res), MPF_FILES_TOO_LARGE);
    assert_int_equal(count_files(tmpdir), 0);

    /* too many files */
    buf_clear(&b);
    for (int k = 0; k < 3; k++)
        buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%d.txt\"\r\n\r\nx\r\n", k);
    buf_puts(&b, "--XyZ--\r\n");
    assert_int_equal(multipart_read_form(&a, STR(CT), b.data, b.len, &lim, &res), MPF_TOO_MANY_FILES);
    assert_int_equal(count_files(tmpdir), 0);

    /* NUL in a text field, invalid UTF-8 in a file name */
    const char nul[] = "--XyZ\r\nContent-Disposition: form-data; name=\"msg\"\r\n\r\na\0b\r\n--XyZ--\r\n";
    assert_int_equal(multipart_read_form(&a, STR(CT), nul, sizeof nul - 1, &lim, &res), MPF_BAD_TEXT);
    assert_int_equal(res.text, TEXT_NUL_BYTE);
    assert_true(str_eq(res.field, STR("msg")));
    const char *bad_name = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\xff.txt\"\r\n\r\nx\r\n--XyZ--\r\n";
    assert_int_equal(multipart_read_form(&a, STR(CT), bad_name, strlen(bad_name), &lim, &res), MPF_BAD_TEXT);

    /* a text field over its limit */
    buf_clear(&b);
    buf_puts(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"essay\"\r\n\r\n");
    for (int i = 0; i < 1001; i++)
        buf_putc(&b, 'z');
    buf_puts(&b, "\r\n--XyZ--\r\n");
    assert_int_equal(multipart_read_form(&a, STR(CT), b.data, b.len, &lim, &res), MPF_FIELD_TOO_LARGE);

    /* malformed body, wrong content type */
    assert_int_equal(multipart_read_form(&a, STR(CT), "--XyZ\r\n", 7, &lim, &res), MPF_MALFORMED);
    assert_int_equal(res.mp_error, MP_ERR_TRUNCATED);
    assert_int_equal(multipart_read_form(&a, STR("text/plain"), "x", 1, &lim, &res), MPF_MALFORMED);
    assert_int_equal(res.mp_error, MP_ERR_BOUNDARY);

    /* an unwritable directory is an I/O error, not a crash */
    lim.tmp_dir = "/nonexistent-dir";
    assert_int_equal(multipart_read_form(&a, STR(CT), body, sizeof body - 1, &lim, &res), MPF_IO);
    arena_free(&a);
    assert_int_equal(count_files(tmpdir), 0);
}

static void rfc8187_filenames(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    multipart_limits_t lim = limits();
    multipart_form_result_t res;
    const char *b = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"fallback.txt\"; "
                    "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n--XyZ--\r\n";
    assert_int_equal(multipart_read_form(&a, STR(CT), b, strlen(b), &lim, &res), MPF_OK);
    assert_true(str_eq(res.uploads->filename, STR("€ rates.txt")));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_is_independent_of_chunking),
        cmocka_unit_test(parser_rejects_malformed_bodies),
        cmocka_unit_test(boundary_parameter),
        cmocka_unit_test_setup_teardown(read_form_stores_fields_and_files, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(read_form_limits_leave_nothing_behind, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(rfc8187_filenames, setup_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
