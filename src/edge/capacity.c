#include "edge/capacity.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "store/store.h"

/* The control law's constants.
 * - Growth of 5% a tick (at least one newcomer per second): at about ten ticks a
 *   second the rate doubles in about 1.5 s, so a morning rush that the server can
 *   take is let in within seconds, while each step is small enough for the
 *   signals (measured over one tick) to show the step that went too far.
 * - Decrease to 70% a tick while unhealthy: multiplicative, so a rate far above
 *   capacity comes down within a second or two (2000 to 50 in about 10 ticks);
 *   each signal is measured over about one tick, so one hiccup costs one cut.
 * - A rate is "used" when newcomers asked for at least 80% of it: a rate nobody
 *   needs is not raised, so a quiet morning does not leave a huge rate in force
 *   when the rush comes. */
#define GROWTH 0.05
#define DECREASE 0.7
#define USED_SHARE 0.8

/* One worker's reports: written by that worker, read and reset by the tick.
 * About forty reports a second: padded to its own cache line anyway. */
typedef struct lag_slot {
    _Atomic uint64_t worst_us; /* the worst lag reported since the last tick */
    _Atomic uint64_t reports;  /* reports ever made: the tick sees a silent worker */
    char pad[64 - 2 * sizeof(uint64_t)];
} lag_slot_t;

/* What the tick remembers of each worker (tick thread only). */
typedef struct lag_seen {
    uint64_t reports;  /* the slot's count at the last tick */
    uint64_t heard_ms; /* the tick that last saw it move; 0: never heard from */
} lag_seen_t;

struct capacity {
    unsigned nworkers;
    lag_slot_t *slots;
    lag_seen_t *seen;

    /* settings */
    double pinned; /* admission_rate; 0: worked out */
    double min_rate, max_rate;
    double max_lag_ms, max_writer_ms, max_cpu;

    /* tick thread only */
    double rate_now;
    uint64_t cpu_at_ms, cpu_used_us; /* the previous tick's clock and process CPU time */
    double cpu_now;

    /* published for any thread */
    _Atomic double rate;
    _Atomic double loop_lag_ms, writer_delay_ms, cpu;
    _Atomic uint64_t inflight;
    _Atomic bool healthy;
};

/* The cores this process may run on (its affinity mask, so a container's
 * cpuset counts, a CPU quota does not). */
static unsigned usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static double clamp_rate(const capacity_t *c, double rate)
{
    return rate < c->min_rate ? c->min_rate : rate > c->max_rate ? c->max_rate : rate;
}

capacity_t *capacity_new(const config_t *cfg, unsigned nworkers)
{
    capacity_t *c = xcalloc(1, sizeof *c);
    c->nworkers = nworkers;
    c->slots = xcalloc(nworkers ? nworkers : 1, sizeof *c->slots);
    c->seen = xcalloc(nworkers ? nworkers : 1, sizeof *c->seen);
    c->pinned = cfg->admission_rate;
    c->min_rate = cfg->admission_min_rate;
    c->max_rate = cfg->admission_max_rate > cfg->admission_min_rate ? cfg->admission_max_rate : cfg->admission_min_rate;
    c->max_lag_ms = (double)cfg->admission_max_loop_lag_ms;
    c->max_writer_ms = (double)cfg->admission_max_writer_delay_ms;
    c->max_cpu = cfg->admission_max_cpu / 100.0 * usable_cores();
    c->rate_now = c->pinned > 0 ? c->pinned : clamp_rate(c, CAPACITY_INITIAL_RATE);
    atomic_init(&c->rate, c->rate_now);
    atomic_init(&c->loop_lag_ms, 0.0);
    atomic_init(&c->writer_delay_ms, 0.0);
    atomic_init(&c->cpu, 0.0);
    atomic_init(&c->inflight, 0);
    atomic_init(&c->healthy, true);
    return c;
}

void capacity_free(capacity_t *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c->seen);
    free(c);
}

void capacity_report_loop_lag(capacity_t *c, unsigned worker, uint64_t lag_us)
{
    if (!c || worker >= c->nworkers)
        return;
    lag_slot_t *s = &c->slots[worker];
    /* The tick may reset worst_us meanwhile: a compare-and-swap, not a plain store. */
    uint64_t cur = atomic_load_explicit(&s->worst_us, memory_order_relaxed);
    while (lag_us > cur &&
           !atomic_compare_exchange_weak_explicit(&s->worst_us, &cur, lag_us, memory_order_relaxed, memory_order_relaxed))
        ;
    atomic_fetch_add_explicit(&s->reports, 1, memory_order_release);
}

/* The worst worker's lag since the last tick, in ms (see the contract). */
static double worst_loop_lag_ms(capacity_t *c, uint64_t now_ms)
{
    double worst = 0;
    for (unsigned i = 0; i < c->nworkers; i++) {
        lag_slot_t *s = &c->slots[i];
        lag_seen_t *seen = &c->seen[i];
        uint64_t reports = atomic_load_explicit(&s->reports, memory_order_acquire);
        double lag = (double)atomic_exchange_explicit(&s->worst_us, 0, memory_order_relaxed) / 1000.0;
        if (reports != seen->reports) {
            seen->reports = reports;
            seen->heard_ms = now_ms;
        } else if (seen->heard_ms && now_ms > seen->heard_ms + CAPACITY_LAG_PERIOD_MS) {
            /* Heard from at or after its last report: this underestimates the
             * silence, never invents one. */
            double silent = (double)(now_ms - seen->heard_ms - CAPACITY_LAG_PERIOD_MS);
            if (silent > lag)
                lag = silent;
        }
        if (lag > worst)
            worst = lag;
    }
    return worst;
}

/* Process CPU use since the previous tick, in cores; the previous value when the
 * clock has not moved forward. */
static double process_cpu(capacity_t *c, uint64_t now_ms)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return c->cpu_now;
    uint64_t used = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
                    (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
    if (c->cpu_at_ms && now_ms > c->cpu_at_ms && used >= c->cpu_used_us)
        c->cpu_now = (double)(used - c->cpu_used_us) / ((double)(now_ms - c->cpu_at_ms) * 1000.0);
    if (!c->cpu_at_ms || now_ms > c->cpu_at_ms) {
        c->cpu_at_ms = now_ms;
        c->cpu_used_us = used;
    }
    return c->cpu_now;
}

void capacity_tick(capacity_t *c, struct store *store, uint64_t inflight, double newcomers_per_s, uint64_t now_ms)
{
    capacity_health_t signals = {
        .loop_lag_ms = worst_loop_lag_ms(c, now_ms),
        .writer_delay_ms = store ? (double)store_queue_delay_us(store) / 1000.0 : 0,
        .inflight = inflight,
        .cpu = process_cpu(c, now_ms),
    };
    capacity_apply(c, &signals, newcomers_per_s);
}

void capacity_apply(capacity_t *c, const capacity_health_t *signals, double newcomers_per_s)
{
    /* CPU only counts when asked for: password hashing (low-priority threads) may
     * use every spare cycle while the loops, which the other two signals watch,
     * still answer at full speed */
    bool healthy = signals->loop_lag_ms < c->max_lag_ms && signals->writer_delay_ms < c->max_writer_ms &&
                   (c->max_cpu <= 0 || signals->cpu < c->max_cpu);
    double rate = c->rate_now;
    if (c->pinned > 0)
        rate = c->pinned;
    else if (!healthy)
        rate = clamp_rate(c, rate * DECREASE);
    else if (newcomers_per_s >= USED_SHARE * rate)
        rate = clamp_rate(c, rate + fmax(1.0, rate * GROWTH));
    c->rate_now = rate;
    atomic_store_explicit(&c->loop_lag_ms, signals->loop_lag_ms, memory_order_relaxed);
    atomic_store_explicit(&c->writer_delay_ms, signals->writer_delay_ms, memory_order_relaxed);
    atomic_store_explicit(&c->cpu, signals->cpu, memory_order_relaxed);
    atomic_store_explicit(&c->inflight, signals->inflight, memory_order_relaxed);
    atomic_store_explicit(&c->healthy, healthy, memory_order_relaxed);
    atomic_store_explicit(&c->rate, rate, memory_order_release);
}

double capacity_rate(const capacity_t *c)
{
    return atomic_load_explicit(&((capacity_t *)c)->rate, memory_order_acquire);
}

void capacity_health(const capacity_t *c, capacity_health_t *out)
{
    capacity_t *m = (capacity_t *)c; /* atomic loads of a const object: C17 wants them non-const */
    out->rate = atomic_load_explicit(&m->rate, memory_order_acquire);
    out->loop_lag_ms = atomic_load_explicit(&m->loop_lag_ms, memory_order_relaxed);
    out->writer_delay_ms = atomic_load_explicit(&m->writer_delay_ms, memory_order_relaxed);
    out->cpu = atomic_load_explicit(&m->cpu, memory_order_relaxed);
    out->inflight = atomic_load_explicit(&m->inflight, memory_order_relaxed);
    out->healthy = atomic_load_explicit(&m->healthy, memory_order_relaxed);
}
