/* The store: migrations, reads, durable writes, constraints; schools and UAIs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/demo.h"
#include "domain/school.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-store-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static store_t *open_store(const char *sub)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    store_options_t o = {.data_dir = path};
    store_t *s = NULL;
    int rc = store_open(&o, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("store_open: %s", err);
    return s;
}

static void open_creates_layout_and_migrates_once(void **state)
{
    (void)state;
    store_t *s = open_store("data/nested");
    assert_true(store_schema_version(s) >= 1);
    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "%s/data/nested/tmp", dir);
    assert_int_equal(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/data/nested/cartable.db", dir);
    assert_int_equal(stat(path, &st), 0);
    int v = store_schema_version(s);
    store_close(s);
    s = open_store("data/nested"); /* re-open: nothing to apply again */
    assert_int_equal(store_schema_version(s), v);
    store_close(s);
}

static int create_two(store_tx_t *tx, void *ud)
{
    (void)ud;
    school_t a = {.uai = STR("0750654D"), .name = STR("Lycée Henri-IV"), .kind = STR("lycee"), .city = STR("Paris")};
    school_t b = {.uai = STR("0750655E"), .name = STR("Lycée Louis-le-Grand"), .kind = STR("lycee"), .city = STR("Paris")};
    int rc = school_create(tx, &a);
    if (rc != STORE_OK)
        return rc;
    return school_create(tx, &b);
}

static int create_duplicate(store_tx_t *tx, void *ud)
{
    (void)ud;
    school_t a = {.uai = STR("0999998E"), .name = STR("Nouvelle"), .kind = STR("college")};
    int rc = school_create(tx, &a);
    if (rc != STORE_OK)
        return rc;
    school_t dup = {.uai = STR("0750654D"), .name = STR("Doublon"), .kind = STR("lycee")};
    return school_create(tx, &dup); /* fails: the whole transaction rolls back */
}

static int bad_kind(store_tx_t *tx, void *ud)
{
    (void)ud;
    school_t a = {.uai = STR("0999997D"), .name = STR("X"), .kind = STR("university")};
    return school_create(tx, &a);
}

static void writes_commit_or_roll_back_whole(void **state)
{
    (void)state;
    store_t *s = open_store("w");
    assert_int_equal(store_write_sync(s, create_two, NULL), STORE_OK);
    assert_int_equal(store_write_sync(s, create_duplicate, NULL), STORE_CONSTRAINT);
    assert_int_equal(store_write_sync(s, bad_kind, NULL), STORE_CONSTRAINT);

    store_reader_t *r = store_reader_open(s);
    arena_t a;
    arena_init(&a, NULL);
    school_t *list;
    int n = school_list(r, &a, &list);
    assert_int_equal(n, 2); /* "Nouvelle" was rolled back with the duplicate */
    assert_true(str_eq(list[0].name, STR("Lycée Henri-IV")));
    assert_true(str_eq(list[1].uai, STR("0750655E")));
    school_t one;
    assert_int_equal(school_get(r, &a, list[1].id, &one), 1);
    assert_true(str_eq(one.name, STR("Lycée Louis-le-Grand")));
    assert_int_equal(school_get(r, &a, 999, &one), 0);
    /* a wrong argument count is an error, not a crash */
    assert_true(store_read(r, "SELECT id FROM schools WHERE id = ?", STORE_NO_ARGS, NULL, NULL) < 0);
    /* bad SQL is an error */
    assert_true(store_read(r, "SELEC nonsense", STORE_NO_ARGS, NULL, NULL) < 0);
    /* the reader cannot write */
    assert_true(store_read(r, "DELETE FROM schools", STORE_NO_ARGS, NULL, NULL) < 0);
    assert_int_equal(school_list(r, &a, &list), 2);
    arena_free(&a);
    store_reader_close(r);
    store_close(s);
}

static void demo_seeds_only_an_empty_database(void **state)
{
    (void)state;
    store_t *s = open_store("demo");
    assert_int_equal(demo_seed(s), 1);
    assert_int_equal(demo_seed(s), 0);
    store_reader_t *r = store_reader_open(s);
    arena_t a;
    arena_init(&a, NULL);
    school_t sc;
    assert_int_equal(school_first(r, &a, &sc), 1);
    assert_true(sc.is_demo);
    assert_true(uai_valid(sc.uai));
    arena_free(&a);
    store_reader_close(r);
    store_close(s);

    s = open_store("real");
    assert_int_equal(store_write_sync(s, create_two, NULL), STORE_OK);
    assert_int_equal(demo_seed(s), 0); /* a database with real schools is never touched */
    store_close(s);
}

static void uai_check_letters(void **state)
{
    (void)state;
    assert_true(uai_valid(STR("0750654D")));
    assert_true(uai_valid(STR("0750655E")));
    assert_false(uai_valid(STR("0750654E")));
    assert_false(uai_valid(STR("075065AD")));
    assert_false(uai_valid(STR("0750654")));
    assert_false(uai_valid(STR("0750654DD")));
    assert_int_equal(uai_check_letter(STR("0999999")), 'F');
    assert_true(school_kind_valid(STR("college")));
    assert_false(school_kind_valid(STR("College")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_creates_layout_and_migrates_once, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_commit_or_roll_back_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(demo_seeds_only_an_empty_database, setup, teardown),
        cmocka_unit_test(uai_check_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
