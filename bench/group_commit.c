/* Group commit: acknowledged durable writes per second with N concurrent writers,
 * grouped (the store's normal mode) against one transaction per write.
 *
 *   bench_group_commit [--writers 64] [--seconds 10] [--dir /tmp/x]
 *
 * Each writer thread submits a small insert (a row with a unique key, like a
 * message or a hand-in receipt) and waits for its acknowledgement, which the store
 * gives only after the COMMIT (WAL, synchronous=FULL) that made it durable.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"

typedef struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} waiter_t;

typedef struct writer {
    store_t *store;
    int id;
    _Atomic bool *stop;
    uint64_t writes;
    uint64_t *latencies_us;
    size_t nlat, caplat;
} writer_t;

typedef struct op {
    int id;
    uint64_t seq;
} op_t;

static int insert(store_tx_t *tx, void *ud)
{
    op_t *o = ud;
    char key[40];
    snprintf(key, sizeof key, "W%03d-%09llu", o->id, (unsigned long long)o->seq);
    return store_tx_exec(tx, "INSERT INTO schools (uai, name, kind, created_at) VALUES (?, 'bench', 'autre', 0)",
                         STORE_ARGS(SA_CSTR(key)));
}

static void done(store_job_t *job)
{
    waiter_t *w = job->done_ctx;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *writer_main(void *arg)
{
    writer_t *wr = arg;
    waiter_t w;
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    op_t o = {.id = wr->id};
    while (!atomic_load(wr->stop)) {
        w.done = false;
        o.seq++;
        store_job_t job = {.fn = insert, .ud = &o, .on_done = done, .done_ctx = &w};
        uint64_t t0 = now_us();
        if (store_submit(wr->store, &job) != STORE_OK)
            break;
        pthread_mutex_lock(&w.lock);
        while (!w.done)
            pthread_cond_wait(&w.cond, &w.lock);
        pthread_mutex_unlock(&w.lock);
        if (job.status != STORE_OK) {
            fprintf(stderr, "write failed: %d\n", job.status);
            exit(1);
        }
        if (wr->nlat == wr->caplat) {
            wr->caplat = wr->caplat ? wr->caplat * 2 : 1024;
            wr->latencies_us = realloc(wr->latencies_us, sizeof(uint64_t) * wr->caplat);
        }
        wr->latencies_us[wr->nlat++] = now_us() - t0;
        wr->writes++;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void run(const char *dir, int writers, int seconds, unsigned max_batch, const char *label)
{
    char err[512];
    store_options_t o = {.data_dir = dir};
    store_t *s;
    if (store_open(&o, &s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    store_set_max_batch(s, max_batch);
    _Atomic bool stop = false;
    writer_t *w = calloc((size_t)writers, sizeof *w);
    pthread_t *th = calloc((size_t)writers, sizeof *th);
    uint64_t t0 = now_us();
    for (int i = 0; i < writers; i++) {
        w[i] = (writer_t){.store = s, .id = i, .stop = &stop};
        pthread_create(&th[i], NULL, writer_main, &w[i]);
    }
    sleep((unsigned)seconds);
    atomic_store(&stop, true);
    uint64_t total = 0, nlat = 0;
    for (int i = 0; i < writers; i++) {
        pthread_join(th[i], NULL);
        total += w[i].writes;
        nlat += w[i].nlat;
    }
    double elapsed = (double)(now_us() - t0) / 1e6;
    uint64_t *all = malloc(sizeof(uint64_t) * (nlat ? nlat : 1));
    size_t k = 0;
    for (int i = 0; i < writers; i++) {
        memcpy(all + k, w[i].latencies_us, sizeof(uint64_t) * w[i].nlat);
        k += w[i].nlat;
        free(w[i].latencies_us);
    }
    qsort(all, nlat, sizeof(uint64_t), cmp_u64);
    store_stats_t st;
    store_get_stats(s, &st);
    printf("| %s | %d | %.0f | %.1f | %.2f | %.2f |\n", label, writers, (double)total / elapsed,
           st.transactions ? (double)st.jobs / (double)st.transactions : 0.0, nlat ? all[nlat / 2] / 1000.0 : 0,
           nlat ? all[(size_t)(nlat * 0.99)] / 1000.0 : 0);
    free(all);
    free(w);
    free(th);
    store_close(s);
}

int main(int argc, char **argv)
{
    int writers = 64, seconds = 10;
    const char *dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--writers"))
            writers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
    }
    char tmpl[] = "/tmp/cartable-gc-XXXXXX";
    if (!dir)
        dir = mkdtemp(tmpl);
    log_open("/dev/null", LOG_WARN);
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/grouped", dir);
    snprintf(b, sizeof b, "%s/single", dir);
    printf("| mode | writers | acknowledged writes/s | writes per commit | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n");
    run(a, writers, seconds, 1024, "group commit");
    run(b, writers, seconds, 1, "one transaction per write");
    return 0;
}
