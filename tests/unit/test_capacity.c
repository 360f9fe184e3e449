/* Capacity: the admission rate worked out from the server's health (loop lag,
 * writer queueing delay, CPU), and the store's queueing delay it reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "edge/capacity.h"
#include "store/store.h"

static config_t cfg;

static int setup(void **state)
{
    (void)state;
    config_init_defaults(&cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    config_dispose(&cfg);
    return 0;
}

static const capacity_health_t fine = {.loop_lag_ms = 1, .writer_delay_ms = 2, .cpu = 0.1};

static double health_rate(capacity_t *c, bool *healthy)
{
    capacity_health_t h;
    capacity_health(c, &h);
    if (healthy)
        *healthy = h.healthy;
    assert_true(h.rate == capacity_rate(c));
    return h.rate;
}

static void defaults_are_the_documented_ones(void **state)
{
    (void)state;
    assert_int_equal(cfg.admission_rate, 0);
    assert_int_equal(cfg.admission_min_rate, 5);
    assert_int_equal(cfg.admission_max_rate, 2000);
    assert_int_equal(cfg.admission_max_loop_lag_ms, 25);
    assert_int_equal(cfg.admission_max_writer_delay_ms, 100);
    assert_int_equal(cfg.admission_max_cpu, 0); /* off: loop lag and writer delay decide */
    char err[256];
    assert_int_equal(config_set(&cfg, "admission_min_rate", "3000", "test", err, sizeof err), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "admission_min_rate"));
    assert_int_equal(config_set(&cfg, "admission_max_cpu", "101", "test", err, sizeof err), -1);
    assert_int_equal(config_set(&cfg, "admission_max_loop_lag", "50ms", "test", err, sizeof err), 0);
    assert_int_equal(cfg.admission_max_loop_lag_ms, 50);
}

static void grows_while_healthy_and_used_only(void **state)
{
    (void)state;
    capacity_t *c = capacity_new(&cfg, 2);
    bool healthy = false;
    assert_float_equal(health_rate(c, &healthy), CAPACITY_INITIAL_RATE, 1e-9);
    assert_true(healthy);

    /* used (asked for at least 80% of it): +5% a tick */
    capacity_apply(c, &fine, 50);
    assert_float_equal(capacity_rate(c), 52.5, 1e-9);
    capacity_apply(c, &fine, 0.8 * 52.5);
    assert_float_equal(capacity_rate(c), 55.125, 1e-9);
    /* not used: stays */
    for (int i = 0; i < 20; i++)
        capacity_apply(c, &fine, 0.79 * 55.125);
    assert_float_equal(capacity_rate(c), 55.125, 1e-9);
    capacity_apply(c, &fine, 0);
    assert_float_equal(capacity_rate(c), 55.125, 1e-9);
    assert_float_equal(health_rate(c, &healthy), 55.125, 1e-9);
    assert_true(healthy);
    capacity_free(c);

    /* a small rate grows by at least one a tick */
    cfg.admission_min_rate = 5;
    cfg.admission_max_rate = 6;
    c = capacity_new(&cfg, 1);
    assert_float_equal(capacity_rate(c), 6, 1e-9); /* the initial rate, clamped */
    capacity_free(c);
    cfg.admission_max_rate = 2000;
    c = capacity_new(&cfg, 1);
    for (int i = 0; i < 30; i++)
        capacity_apply(c, &(capacity_health_t){.loop_lag_ms = 500}, 0);
    assert_float_equal(capacity_rate(c), 5, 1e-9);
    capacity_apply(c, &fine, 5);
    assert_float_equal(capacity_rate(c), 6, 1e-9);
    capacity_free(c);
}

static void drops_on_each_unhealthy_signal(void **state)
{
    (void)state;
    cfg.admission_max_cpu = 1; /* 1% of the cores: less than one core, whatever the machine */
    capacity_t *c = capacity_new(&cfg, 1);
    const capacity_health_t bad[] = {
        {.loop_lag_ms = 25, .writer_delay_ms = 2, .cpu = 0},     /* at the limit is over it */
        {.loop_lag_ms = 1, .writer_delay_ms = 100, .cpu = 0},
        {.loop_lag_ms = 1, .writer_delay_ms = 2, .cpu = 1e6},
        {.loop_lag_ms = 900, .writer_delay_ms = 900, .cpu = 64},
    };
    const capacity_health_t ok = {.loop_lag_ms = 24.9, .writer_delay_ms = 99.9, .cpu = 0.001};
    double rate = capacity_rate(c);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool healthy = true;
        capacity_apply(c, &bad[i], 1e6); /* demand does not matter when unhealthy */
        assert_float_equal(health_rate(c, &healthy), rate * 0.7, 1e-9);
        assert_false(healthy);
        rate *= 0.7;
        /* just under every limit: healthy again, and the drop is not repeated */
        capacity_apply(c, &ok, 0);
        assert_float_equal(health_rate(c, &healthy), rate, 1e-9);
        assert_true(healthy);
    }
    capacity_health_t h;
    capacity_apply(c, &(capacity_health_t){.loop_lag_ms = 30, .writer_delay_ms = 120, .cpu = 3, .inflight = 17}, 0);
    capacity_health(c, &h);
    assert_float_equal(h.loop_lag_ms, 30, 1e-9);
    assert_float_equal(h.writer_delay_ms, 120, 1e-9);
    assert_float_equal(h.cpu, 3, 1e-9);
    assert_int_equal(h.inflight, 17);
    assert_false(h.healthy);
    capacity_free(c);
}

static void stays_within_its_bounds(void **state)
{
    (void)state;
    cfg.admission_min_rate = 10;
    cfg.admission_max_rate = 80;
    capacity_t *c = capacity_new(&cfg, 1);
    for (int i = 0; i < 200; i++)
        capacity_apply(c, &fine, 1e6);
    assert_float_equal(capacity_rate(c), 80, 1e-9);
    for (int i = 0; i < 200; i++)
        capacity_apply(c, &(capacity_health_t){.writer_delay_ms = 1000}, 1e6);
    assert_float_equal(capacity_rate(c), 10, 1e-9);
    capacity_free(c);
    /* the initial rate is clamped too */
    cfg.admission_min_rate = 100;
    cfg.admission_max_rate = 200;
    c = capacity_new(&cfg, 1);
    assert_float_equal(capacity_rate(c), 100, 1e-9);
    capacity_free(c);
}

static void a_pinned_rate_holds_whatever_the_health(void **state)
{
    (void)state;
    cfg.admission_rate = 300;
    capacity_t *c = capacity_new(&cfg, 1);
    assert_float_equal(capacity_rate(c), 300, 1e-9);
    bool healthy = true;
    for (int i = 0; i < 10; i++)
        capacity_apply(c, &(capacity_health_t){.loop_lag_ms = 1000}, 1e6);
    assert_float_equal(health_rate(c, &healthy), 300, 1e-9);
    assert_false(healthy); /* still measured and shown */
    for (int i = 0; i < 10; i++)
        capacity_apply(c, &fine, 1e6);
    assert_float_equal(health_rate(c, &healthy), 300, 1e-9);
    assert_true(healthy);
    capacity_free(c);
}

static double tick_lag(capacity_t *c, uint64_t now_ms)
{
    capacity_tick(c, NULL, 0, 0, now_ms);
    capacity_health_t h;
    capacity_health(c, &h);
    return h.loop_lag_ms;
}

static void the_worst_loop_wins_and_old_reports_age_out(void **state)
{
    (void)state;
    capacity_t *c = capacity_new(&cfg, 4); /* worker 3 never reports: not counted */
    assert_float_equal(tick_lag(c, 1000), 0, 1e-9);
    capacity_report_loop_lag(c, 0, 3000);
    capacity_report_loop_lag(c, 1, 40000);
    capacity_report_loop_lag(c, 1, 1000); /* the worst since the last tick counts */
    capacity_report_loop_lag(c, 2, 10000);
    capacity_report_loop_lag(c, 9, 999000000); /* no such worker */
    assert_float_equal(tick_lag(c, 1100), 40, 1e-9);
    double rate = capacity_rate(c);
    assert_true(rate < CAPACITY_INITIAL_RATE);

    /* a report counts at one tick only */
    capacity_report_loop_lag(c, 0, 1000);
    capacity_report_loop_lag(c, 1, 2000);
    capacity_report_loop_lag(c, 2, 500);
    assert_float_equal(tick_lag(c, 1200), 2, 1e-9);
    assert_float_equal(capacity_rate(c), rate, 1e-9); /* healthy, but unused: held */

    /* worker 1 falls silent (a loop stuck in one long task cannot report): it is
     * late by at least the silence beyond its period */
    capacity_report_loop_lag(c, 0, 1000);
    capacity_report_loop_lag(c, 2, 1000);
    assert_float_equal(tick_lag(c, 1210), 1, 1e-9); /* silent less than a period: nothing inferred */
    capacity_report_loop_lag(c, 0, 1000);
    capacity_report_loop_lag(c, 2, 1000);
    assert_float_equal(tick_lag(c, 1300), 100 - CAPACITY_LAG_PERIOD_MS, 1e-9);
    assert_true(capacity_rate(c) < rate);
    /* it reports again: back to what it says */
    capacity_report_loop_lag(c, 0, 1000);
    capacity_report_loop_lag(c, 1, 120000); /* the stall, measured when it ended */
    capacity_report_loop_lag(c, 2, 1000);
    assert_float_equal(tick_lag(c, 1400), 120, 1e-9);
    for (unsigned w = 0; w < 3; w++)
        capacity_report_loop_lag(c, w, 700);
    assert_float_equal(tick_lag(c, 1500), 0.7, 1e-9);
    capacity_free(c);
}

/* ---- threads ---- */

#define REPORTERS 4
#define REPORTS 20000
#define HUGE_LAG_US 1000000000ull /* 1000 s: more than any silence the ticker's clock can show */

typedef struct race {
    capacity_t *c;
    unsigned worker;
    _Atomic int *running;
    _Atomic int *stop;
    _Atomic int *seen_huge;
    _Atomic int *bad_reads;
} race_t;

static void *reporter(void *arg)
{
    race_t *r = arg;
    for (unsigned k = 0; k < REPORTS; k++)
        capacity_report_loop_lag(r->c, r->worker, k == REPORTS / 2 ? HUGE_LAG_US : k % 1000);
    atomic_fetch_sub(r->running, 1);
    return NULL;
}

static void *ticker(void *arg)
{
    race_t *r = arg;
    uint64_t now = 1000;
    while (atomic_load(r->running) > 0) {
        capacity_tick(r->c, NULL, 3, capacity_rate(r->c), ++now);
        capacity_health_t h;
        capacity_health(r->c, &h);
        if (h.loop_lag_ms >= HUGE_LAG_US / 1000.0)
            atomic_fetch_add(r->seen_huge, 1);
    }
    return NULL;
}

static void *reader(void *arg)
{
    race_t *r = arg;
    while (!atomic_load(r->stop)) {
        double rate = capacity_rate(r->c);
        capacity_health_t h;
        capacity_health(r->c, &h);
        if (!isfinite(rate) || rate < cfg.admission_min_rate || rate > cfg.admission_max_rate || !isfinite(h.rate) ||
            h.loop_lag_ms < 0)
            atomic_fetch_add(r->bad_reads, 1);
    }
    return NULL;
}

static void reports_ticks_and_reads_from_many_threads(void **state)
{
    (void)state;
    capacity_t *c = capacity_new(&cfg, REPORTERS);
    _Atomic int running = REPORTERS, stop = 0, seen_huge = 0, bad_reads = 0;
    race_t shared = {.c = c, .running = &running, .stop = &stop, .seen_huge = &seen_huge, .bad_reads = &bad_reads};
    race_t each[REPORTERS];
    pthread_t rep[REPORTERS], tick, rd[2];
    pthread_create(&tick, NULL, ticker, &shared);
    for (int i = 0; i < 2; i++)
        pthread_create(&rd[i], NULL, reader, &shared);
    for (unsigned i = 0; i < REPORTERS; i++) {
        each[i] = shared;
        each[i].worker = i;
        pthread_create(&rep[i], NULL, reporter, &each[i]);
    }
    for (unsigned i = 0; i < REPORTERS; i++)
        pthread_join(rep[i], NULL);
    pthread_join(tick, NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(rd[i], NULL);

    /* each huge report was taken by a tick, or waits for the next one: none is lost */
    if (tick_lag(c, 10000000) >= HUGE_LAG_US / 1000.0)
        seen_huge++;
    assert_true(seen_huge >= 1);
    assert_int_equal(bad_reads, 0);
    /* then the worst of the latest reports wins */
    for (unsigned i = 0; i < REPORTERS; i++)
        capacity_report_loop_lag(c, i, 1000 * (i + 1));
    assert_float_equal(tick_lag(c, 10000100), REPORTERS, 1e-9);
    capacity_free(c);
}

/* ---- the store's queueing delay ---- */

static char dir[64];

/* The settings, and a fresh data directory removed afterwards. */
static int store_setup(void **state)
{
    strcpy(dir, "/tmp/cartable-capacity-XXXXXX");
    return mkdtemp(dir) ? setup(state) : -1;
}

static int store_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? teardown(state) : -1;
}

typedef struct held_job {
    store_job_t job;
    _Atomic int started, done;
    useconds_t hold_us;
} held_job_t;

static int hold_writer(store_tx_t *tx, void *ud)
{
    (void)tx;
    held_job_t *h = ud;
    atomic_store(&h->started, 1);
    if (h->hold_us)
        usleep(h->hold_us);
    return STORE_OK;
}

static void held_done(store_job_t *job)
{
    held_job_t *h = job->done_ctx;
    atomic_store(&h->done, 1);
}

static void submit_held(store_t *s, held_job_t *h, useconds_t hold_us)
{
    memset(h, 0, sizeof *h);
    h->hold_us = hold_us;
    h->job = (store_job_t){.fn = hold_writer, .ud = h, .on_done = held_done, .done_ctx = h};
    assert_int_equal(store_submit(s, &h->job), STORE_OK);
}

static void wait_flag(_Atomic int *flag)
{
    for (int i = 0; i < 5000 && !atomic_load(flag); i++)
        usleep(1000);
    assert_true(atomic_load(flag));
}

static void writer_delay_rises_while_the_writer_is_held_up(void **state)
{
    (void)state;
    store_options_t o = {.data_dir = dir};
    store_t *s = NULL;
    char err[256];
    assert_int_equal(store_open(&o, &s, err, sizeof err), 0);
    capacity_t *c = capacity_new(&cfg, 1);

    /* nothing queued: no delay */
    held_job_t quick;
    submit_held(s, &quick, 0);
    wait_flag(&quick.done);
    usleep(2 * STORE_DELAY_WINDOW_MS * 1000 + 10000);
    assert_true(store_queue_delay_us(s) < 50000);
    capacity_tick(c, s, 0, 0, 1000);
    double rate = capacity_rate(c);

    /* one job holds the writer for 300 ms; two more wait behind it */
    held_job_t hold, a, b;
    submit_held(s, &hold, 300000);
    wait_flag(&hold.started);
    submit_held(s, &a, 0);
    submit_held(s, &b, 0);
    usleep(150000);
    /* still waiting: the oldest queued job's wait shows before its batch begins */
    uint64_t d = store_queue_delay_us(s);
    assert_true(d >= 140000);
    assert_false(atomic_load(&a.started));
    capacity_tick(c, s, 2, 0, 1100);
    capacity_health_t h;
    capacity_health(c, &h);
    assert_true(h.writer_delay_ms >= 100);
    assert_false(h.healthy);
    assert_float_equal(capacity_rate(c), rate * 0.7, 1e-9);

    /* once their batch has begun, its wait is remembered for a window or two */
    wait_flag(&a.done);
    wait_flag(&b.done);
    assert_true(store_queue_delay_us(s) >= 250000);
    /* then forgotten */
    usleep(2 * STORE_DELAY_WINDOW_MS * 1000 + 10000);
    assert_true(store_queue_delay_us(s) < 50000);
    capacity_tick(c, s, 0, 0, 1200);
    capacity_health(c, &h);
    assert_true(h.writer_delay_ms < 50);

    capacity_free(c);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_are_the_documented_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(grows_while_healthy_and_used_only, setup, teardown),
        cmocka_unit_test_setup_teardown(drops_on_each_unhealthy_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(stays_within_its_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pinned_rate_holds_whatever_the_health, setup, teardown),
        cmocka_unit_test_setup_teardown(the_worst_loop_wins_and_old_reports_age_out, setup, teardown),
        cmocka_unit_test_setup_teardown(reports_ticks_and_reads_from_many_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(writer_delay_rises_while_the_writer_is_held_up, store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
