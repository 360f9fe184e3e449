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
#include <pthread.h>
#include <stdatomic.h>

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

/* ---- group commit ---- */

typedef struct gc_ctx {
    store_t *store;
    int thread;
    _Atomic int *visible_at_ack;
    _Atomic int *acks;
} gc_ctx_t;

typedef struct gc_job {
    store_job_t job;
    int64_t key;
    bool fail;
    gc_ctx_t *ctx;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    store_reader_t *checker;
} gc_job_t;

static int gc_insert(store_tx_t *tx, void *ud)
{
    gc_job_t *g = ud;
    char uai[16], name[32];
    /* the UAI column is UNIQUE: a failing job inserts then violates it */
    snprintf(uai, sizeof uai, "K%07lld", (long long)g->key);
    snprintf(name, sizeof name, "school %lld", (long long)g->key);
    int rc = store_tx_exec(tx, "INSERT INTO schools (uai, name, kind, created_at) VALUES (?, ?, 'autre', 0)",
                           STORE_ARGS(SA_CSTR(uai), SA_CSTR(name)));
    if (rc != STORE_OK)
        return rc;
    if (g->fail)
        return store_tx_exec(tx, "INSERT INTO schools (uai, name, kind, created_at) VALUES (?, 'dup', 'autre', 0)",
                             STORE_ARGS(SA_CSTR(uai)));
    return STORE_OK;
}

static int count_row(void *ud, const store_row_t *row)
{
    *(int64_t *)ud = store_row_int(row, 0);
    return 0;
}

static void gc_done(store_job_t *job)
{
    gc_job_t *g = job->done_ctx;
    /* Acknowledged means committed: another connection already sees the row. */
    char uai[16];
    snprintf(uai, sizeof uai, "K%07lld", (long long)g->key);
    int64_t n = -1;
    store_read(g->checker, "SELECT COUNT(*) FROM schools WHERE uai = ?", STORE_ARGS(SA_CSTR(uai)), count_row, &n);
    if ((job->status == STORE_OK && n == 1) || (job->status < 0 && n == 0))
        atomic_fetch_add(g->ctx->visible_at_ack, 1);
    atomic_fetch_add(g->ctx->acks, 1);
    pthread_mutex_lock(&g->lock);
    g->done = true;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

#define GC_THREADS 16
#define GC_PER_THREAD 50

static void *gc_thread(void *arg)
{
    gc_ctx_t *ctx = arg;
    /* The writer thread runs gc_done: it checks through its own read connection. */
    store_reader_t *checker = store_reader_open(ctx->store);
    for (int i = 0; i < GC_PER_THREAD; i++) {
        gc_job_t g = {.key = ctx->thread * 1000 + i, .fail = (i % 10 == 3), .ctx = ctx, .checker = checker};
        pthread_mutex_init(&g.lock, NULL);
        pthread_cond_init(&g.cond, NULL);
        g.job = (store_job_t){.fn = gc_insert, .ud = &g, .on_done = gc_done, .done_ctx = &g};
        if (store_submit(ctx->store, &g.job) != STORE_OK)
            abort();
        pthread_mutex_lock(&g.lock);
        while (!g.done)
            pthread_cond_wait(&g.cond, &g.lock);
        pthread_mutex_unlock(&g.lock);
        if (g.fail ? g.job.status != STORE_CONSTRAINT : g.job.status != STORE_OK)
            abort();
        pthread_mutex_destroy(&g.lock);
        pthread_cond_destroy(&g.cond);
    }
    store_reader_close(checker);
    return NULL;
}

static void group_commit_acknowledges_after_commit_and_isolates_failures(void **state)
{
    (void)state;
    store_t *s = open_store("gc");
    _Atomic int visible = 0, acks = 0;
    pthread_t th[GC_THREADS];
    gc_ctx_t ctx[GC_THREADS];
    for (int t = 0; t < GC_THREADS; t++) {
        ctx[t] = (gc_ctx_t){s, t, &visible, &acks};
        pthread_create(&th[t], NULL, gc_thread, &ctx[t]);
    }
    for (int t = 0; t < GC_THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(acks, GC_THREADS * GC_PER_THREAD);
    assert_int_equal(visible, GC_THREADS * GC_PER_THREAD);
    store_stats_t st;
    store_get_stats(s, &st);
    assert_true(st.jobs == GC_THREADS * GC_PER_THREAD);
    assert_true(st.failed_jobs == GC_THREADS * (GC_PER_THREAD / 10));
    /* concurrent writers share transactions */
    assert_true(st.transactions < st.jobs);
    store_reader_t *r = store_reader_open(s);
    int64_t n = 0;
    store_read(r, "SELECT COUNT(*) FROM schools WHERE uai LIKE 'K%'", STORE_NO_ARGS, count_row, &n);
    assert_int_equal(n, GC_THREADS * (GC_PER_THREAD - GC_PER_THREAD / 10));
    store_reader_close(r);
    store_close(s);
}

static int slow_insert(store_tx_t *tx, void *ud)
{
    usleep(2000);
    return gc_insert(tx, ud);
}

static void dummy_done(store_job_t *job) { (void)job; }

static void close_commits_what_was_queued(void **state)
{
    (void)state;
    store_t *s = open_store("drain");
    gc_ctx_t ctx = {0};
    gc_job_t jobs[20];
    for (int i = 0; i < 20; i++) {
        jobs[i] = (gc_job_t){.key = 900000 + i, .ctx = &ctx};
        jobs[i].job = (store_job_t){.fn = slow_insert, .ud = &jobs[i], .on_done = dummy_done};
        assert_int_equal(store_submit(s, &jobs[i].job), STORE_OK);
    }
    store_close(s); /* returns once the queue has been written */
    for (int i = 0; i < 20; i++)
        assert_int_equal(jobs[i].job.status, STORE_OK);
    s = open_store("drain");
    store_reader_t *r = store_reader_open(s);
    int64_t n = 0;
    store_read(r, "SELECT COUNT(*) FROM schools WHERE uai LIKE 'K09%'", STORE_NO_ARGS, count_row, &n);
    assert_int_equal(n, 20);
    store_reader_close(r);
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
        cmocka_unit_test_setup_teardown(group_commit_acknowledges_after_commit_and_isolates_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(close_commits_what_was_queued, setup, teardown),
        cmocka_unit_test(uai_check_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
