/* capacity: how many newcomers per second the server can take in now, worked
 * out from its own health.
 *
 * Contract:
 * - Health is measured continuously, with no lock on the request path: each
 *   worker reports its event loop's lag (how late its own periodic timer fires,
 *   every CAPACITY_LAG_PERIOD_MS) into its own slot; the store writer's queueing
 *   delay comes from the store (store_queue_delay_us); in-flight requests are
 *   passed in and process CPU (getrusage) is read at each tick.
 * - Loop lag at a tick is the worst worker's: the worst lag each reported since
 *   the previous tick (a report counts once, then ages out), or, for a worker
 *   that has reported before but not since, how long it has been silent beyond
 *   its period (a loop stuck in one long task cannot report, and is late by at
 *   least that much).
 * - capacity_tick (called about every 100 ms by one thread at a time) turns
 *   health into the admission rate: healthy means every signal under its limit
 *   (admission_max_loop_lag, admission_max_writer_delay, admission_max_cpu).
 *   While healthy and used (newcomers asked for at least 80% of it) the rate
 *   grows by 5% a tick (at least 1); as soon as one signal is over, it drops
 *   to 70% (so overload is shed within a second or two, and capacity is found
 *   again over a few seconds), always within [admission_min_rate,
 *   admission_max_rate]. It starts at CAPACITY_INITIAL_RATE. An operator can
 *   pin it (admission_rate > 0): health is still measured and shown.
 * - capacity_rate is one atomic read, for any thread. capacity_health reads
 *   what the last tick saw (each field atomically; two fields may come from two
 *   ticks).
 */
#ifndef CARTABLE_EDGE_CAPACITY_H
#define CARTABLE_EDGE_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct store;

typedef struct capacity capacity_t;

/* How often each worker measures its loop lag (its timer's period). */
#define CAPACITY_LAG_PERIOD_MS 25
/* Where the worked-out rate starts (within the configured bounds). */
#define CAPACITY_INITIAL_RATE 50.0

typedef struct capacity_health {
    double loop_lag_ms;     /* the worst worker's recent loop lag */
    double writer_delay_ms; /* how long writes waited for the writer, recently */
    uint64_t inflight;      /* requests being served */
    double cpu;             /* process CPU use over the last tick, in cores */
    double rate;            /* the admission rate in force (newcomers per second) */
    bool healthy;           /* every signal within its limit */
} capacity_health_t;

capacity_t *capacity_new(const struct config *cfg, unsigned nworkers);
void capacity_free(capacity_t *c);

/* A worker's loop lag, measured by that worker (its own slot: no lock). A worker
 * index out of range is ignored. */
void capacity_report_loop_lag(capacity_t *c, unsigned worker, uint64_t lag_us);

/* Reads the signals and adjusts the rate; newcomers_per_s is how many newcomers
 * asked to come in over the last tick (a rate nobody uses is not raised). store
 * may be NULL (no writer delay). now_ms is any clock that moves forward, the same
 * at every call. */
void capacity_tick(capacity_t *c, struct store *store, uint64_t inflight, double newcomers_per_s, uint64_t now_ms);

double capacity_rate(const capacity_t *c);
void capacity_health(const capacity_t *c, capacity_health_t *out);

/* The control law alone (capacity_tick after it has read the signals), for tests:
 * signals' loop_lag_ms, writer_delay_ms, cpu and inflight are taken as measured;
 * its rate and healthy are ignored (they are the outcome). */
void capacity_apply(capacity_t *c, const capacity_health_t *signals, double newcomers_per_s);

#endif
