#include "edge/admission.h"

#include <math.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"

#define BUCKET_MS 100
#define NBUCKETS 36000 /* one hour of arrivals */

/* token: version, kind, key id, 0, time (ms), expiry (ms), nonce, then a 16-byte tag */
#define TOKEN_VERSION 1
#define PAYLOAD_BYTES 28
#define TAG_BYTES 16
#define TOKEN_BYTES (PAYLOAD_BYTES + TAG_BYTES)
enum { KIND_TICKET = 'T', KIND_ADMISSION = 'A' };

struct admission {
    admission_settings_t settings;
    /* arrivals per bucket; slot[i] says which 100 ms period bucket i counts */
    _Atomic uint32_t count[NBUCKETS];
    _Atomic uint64_t slot[NBUCKETS];
    /* Arrivals counted from the horizon, bucket by bucket, as of the last tick:
     * cum[p % NBUCKETS] for periods cum_from..cum_to, so a position is read in
     * constant time however long the line. */
    _Atomic uint32_t cum[NBUCKETS];
    _Atomic uint64_t cum_from, cum_to;
    _Atomic uint64_t horizon_ms;   /* tickets that arrived at or before it are in */
    _Atomic uint64_t newest_ms;    /* the newest ticket's arrival */
    _Atomic int64_t allowance_milli; /* immediate admissions left, in thousandths */
    _Atomic uint64_t rate_bits;    /* double */
    _Atomic uint64_t asked;        /* newcomers since the last tick */
    uint64_t last_tick_ms;         /* the ticking thread's own */
    double budget;                 /* admissions not yet used, carried from tick to tick (ticking thread) */
    _Atomic uint64_t admitted_now, admitted_from_line, admitted_first, tickets, waiting_answers, refused, expired, bad;
};

static double load_rate(const admission_t *a)
{
    uint64_t bits = atomic_load_explicit(&a->rate_bits, memory_order_relaxed);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static void store_rate(admission_t *a, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof d);
    atomic_store_explicit(&a->rate_bits, bits, memory_order_relaxed);
}

admission_t *admission_new(const admission_settings_t *s)
{
    admission_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->settings = *s;
    store_rate(a, 0);
    return a;
}

void admission_free(admission_t *a)
{
    free(a);
}

bool admission_enabled(const admission_t *a)
{
    return a && a->settings.enabled;
}

/* ---- tokens ---- */

static void tag(const unsigned char *key, const unsigned char *payload, unsigned char out[TAG_BYTES])
{
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(full, payload, PAYLOAD_BYTES, key);
    memcpy(out, full, TAG_BYTES);
}

static void encode(const session_keys_t *keys, int kind, uint64_t at_ms, uint64_t expires_ms,
                   char out[ADMISSION_TOKEN_LEN + 1])
{
    unsigned char t[TOKEN_BYTES];
    t[0] = TOKEN_VERSION;
    t[1] = (unsigned char)kind;
    t[2] = keys->ids[0];
    t[3] = 0;
    le64_put(t + 4, at_ms);
    le64_put(t + 12, expires_ms);
    randombytes_buf(t + 20, 8);
    tag(keys->keys[0], t, t + PAYLOAD_BYTES);
    sodium_bin2base64(out, ADMISSION_TOKEN_LEN + 1, t, TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

typedef enum { TOKEN_OK, TOKEN_BAD, TOKEN_EXPIRED } token_status_t;

static token_status_t decode(const session_keys_t *keys, str_t token, int kind, uint64_t now_ms, uint64_t *at_ms)
{
    unsigned char t[TOKEN_BYTES + 4];
    size_t len = 0;
    if (token.len == 0 || token.len > ADMISSION_TOKEN_LEN ||
        sodium_base642bin(t, sizeof t, token.ptr, token.len, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != TOKEN_BYTES || t[0] != TOKEN_VERSION || t[1] != kind)
        return TOKEN_BAD;
    const unsigned char *key = session_key_for(keys, t[2]);
    if (!key)
        return TOKEN_BAD;
    unsigned char expected[TAG_BYTES];
    tag(key, t, expected);
    if (sodium_memcmp(expected, t + PAYLOAD_BYTES, TAG_BYTES) != 0)
        return TOKEN_BAD;
    *at_ms = le64_get(t + 4);
    uint64_t expires = le64_get(t + 12);
    if (now_ms >= expires || *at_ms > now_ms + 60000) /* from the future: not ours */
        return TOKEN_EXPIRED;
    return TOKEN_OK;
}

bool admission_valid(const session_keys_t *keys, str_t token, uint64_t now_ms)
{
    uint64_t at;
    return decode(keys, token, KIND_ADMISSION, now_ms, &at) == TOKEN_OK;
}

/* ---- the line ---- */

static uint64_t period_of(uint64_t ms)
{
    return ms / BUCKET_MS;
}

/* Counts an arrival in its bucket, reclaiming a bucket last used an hour ago. */
static void count_arrival(admission_t *a, uint64_t at_ms)
{
    uint64_t period = period_of(at_ms);
    size_t i = (size_t)(period % NBUCKETS);
    uint64_t held = atomic_load_explicit(&a->slot[i], memory_order_acquire);
    if (held != period && atomic_compare_exchange_strong(&a->slot[i], &held, period))
        atomic_store_explicit(&a->count[i], 0, memory_order_release);
    atomic_fetch_add_explicit(&a->count[i], 1, memory_order_acq_rel);
}

static uint32_t arrivals_in(const admission_t *a, uint64_t period)
{
    size_t i = (size_t)(period % NBUCKETS);
    if (atomic_load_explicit(&a->slot[i], memory_order_acquire) != period)
        return 0;
    return atomic_load_explicit(&a->count[i], memory_order_acquire);
}

/* The arrivals of a period that came after `after_ms` and at or before
 * `upto_ms`, taking them as spread evenly over their 100 ms. */
static double part_of(const admission_t *a, uint64_t period, uint64_t after_ms, uint64_t upto_ms)
{
    uint64_t start = period * BUCKET_MS, end = start + BUCKET_MS - 1;
    uint64_t lo = after_ms + 1 > start ? after_ms + 1 : start, hi = upto_ms < end ? upto_ms : end;
    if (hi < lo)
        return 0;
    return (double)arrivals_in(a, period) * (double)(hi - lo + 1) / BUCKET_MS;
}

/* People ahead of an arrival: everyone between the horizon and it (itself
 * included), from the last tick's running counts plus what arrived since. */
static uint64_t people_ahead(const admission_t *a, uint64_t arrival_ms)
{
    uint64_t horizon = atomic_load_explicit(&a->horizon_ms, memory_order_acquire);
    if (arrival_ms <= horizon)
        return 0;
    uint64_t ap = period_of(arrival_ms);
    uint64_t from = atomic_load_explicit(&a->cum_from, memory_order_acquire);
    uint64_t to = atomic_load_explicit(&a->cum_to, memory_order_acquire);
    double n = 0;
    uint64_t next = period_of(horizon);
    if (to >= from && from == period_of(horizon) && ap > from) {
        /* whole periods after the horizon's own, up to the arrival's (or the snapshot's end) */
        uint64_t last = ap - 1 < to ? ap - 1 : to;
        n = (double)atomic_load_explicit(&a->cum[last % NBUCKETS], memory_order_relaxed);
        next = last + 1;
        /* the horizon's own period: only its part after the horizon (cum holds it whole) */
        n -= (double)arrivals_in(a, from) - part_of(a, from, horizon, UINT64_MAX);
    }
    for (uint64_t p = next; p <= ap && p - next < NBUCKETS; p++)
        n += part_of(a, p, p == period_of(horizon) ? horizon : 0, arrival_ms);
    uint64_t whole = (uint64_t)ceil(n - 1e-9);
    return whole ? whole : 1;
}

/* Rebuilds the running counts from the horizon to the newest arrival (ticking thread). */
static void snapshot(admission_t *a, uint64_t horizon, uint64_t newest)
{
    uint64_t from = period_of(horizon), to = period_of(newest);
    if (newest <= horizon) {
        atomic_store_explicit(&a->cum_to, 0, memory_order_release);
        atomic_store_explicit(&a->cum_from, 1, memory_order_release);
        return;
    }
    if (to - from >= NBUCKETS)
        from = to - NBUCKETS + 1;
    /* readers check from == the horizon's period; make the range invalid while writing */
    atomic_store_explicit(&a->cum_from, 1, memory_order_release);
    atomic_store_explicit(&a->cum_to, 0, memory_order_release);
    uint32_t sum = 0;
    for (uint64_t p = from; p <= to; p++) {
        sum += arrivals_in(a, p);
        atomic_store_explicit(&a->cum[p % NBUCKETS], sum, memory_order_relaxed);
    }
    atomic_store_explicit(&a->cum_to, to, memory_order_release);
    atomic_store_explicit(&a->cum_from, from, memory_order_release);
}

static void set_max(_Atomic uint64_t *v, uint64_t x)
{
    uint64_t cur = atomic_load_explicit(v, memory_order_relaxed);
    while (cur < x && !atomic_compare_exchange_weak_explicit(v, &cur, x, memory_order_acq_rel, memory_order_relaxed))
        ;
}

/* Takes one immediate admission if there is one. */
static bool take_allowance(admission_t *a)
{
    int64_t cur = atomic_load_explicit(&a->allowance_milli, memory_order_relaxed);
    while (cur >= 1000)
        if (atomic_compare_exchange_weak_explicit(&a->allowance_milli, &cur, cur - 1000, memory_order_acq_rel,
                                                  memory_order_relaxed))
            return true;
    return false;
}

static void admit(admission_t *a, const session_keys_t *keys, uint64_t now_ms, admission_answer_t *out)
{
    out->verdict = ADMIT_NOW;
    encode(keys, KIND_ADMISSION, now_ms, now_ms + a->settings.window_ms, out->admission);
}

void admission_grant(admission_t *a, const session_keys_t *keys, uint64_t now_ms, admission_answer_t *out)
{
    memset(out, 0, sizeof *out);
    atomic_fetch_add_explicit(&a->admitted_first, 1, memory_order_relaxed);
    admit(a, keys, now_ms, out);
}

int admission_enter(admission_t *a, const session_keys_t *keys, str_t ticket, bool may_issue, uint64_t now_ms,
                    admission_answer_t *out)
{
    memset(out, 0, sizeof *out);
    atomic_fetch_add_explicit(&a->asked, 1, memory_order_relaxed);
    uint64_t arrival = 0;
    token_status_t st = ticket.len ? decode(keys, ticket, KIND_TICKET, now_ms, &arrival) : TOKEN_BAD;
    if (ticket.len && st == TOKEN_BAD)
        atomic_fetch_add_explicit(&a->bad, 1, memory_order_relaxed);
    if (st == TOKEN_EXPIRED)
        atomic_fetch_add_explicit(&a->expired, 1, memory_order_relaxed);
    if (st == TOKEN_OK) {
        out->arrival_ms = arrival;
        if (arrival <= atomic_load_explicit(&a->horizon_ms, memory_order_acquire)) {
            atomic_fetch_add_explicit(&a->admitted_from_line, 1, memory_order_relaxed);
            admit(a, keys, now_ms, out);
            return 0;
        }
        /* the same ticket keeps the same place; the token is handed back as it was */
        size_t n = ticket.len < ADMISSION_TOKEN_LEN ? ticket.len : ADMISSION_TOKEN_LEN;
        memcpy(out->ticket, ticket.ptr, n);
        out->ticket[n] = '\0';
    } else {
        /* nobody waiting and room now: in at once */
        bool line_empty = atomic_load_explicit(&a->newest_ms, memory_order_acquire) <=
                          atomic_load_explicit(&a->horizon_ms, memory_order_acquire);
        if (line_empty && take_allowance(a)) {
            atomic_fetch_add_explicit(&a->admitted_now, 1, memory_order_relaxed);
            admit(a, keys, now_ms, out);
            out->immediate = true;
            return 0;
        }
        if (!may_issue) {
            atomic_fetch_add_explicit(&a->refused, 1, memory_order_relaxed);
            return -1;
        }
        arrival = now_ms;
        out->arrival_ms = arrival;
        out->new_ticket = true;
        encode(keys, KIND_TICKET, arrival, arrival + a->settings.ticket_ttl_ms, out->ticket);
        count_arrival(a, arrival);
        set_max(&a->newest_ms, arrival);
        atomic_fetch_add_explicit(&a->tickets, 1, memory_order_relaxed);
    }
    out->verdict = ADMIT_WAIT;
    out->position = people_ahead(a, arrival);
    double rate = load_rate(a);
    out->wait_seconds = rate > 0 ? (uint64_t)ceil((double)out->position / rate) : 0;
    if (out->wait_seconds == 0)
        out->wait_seconds = 1;
    atomic_fetch_add_explicit(&a->waiting_answers, 1, memory_order_relaxed);
    return 0;
}

double admission_tick(admission_t *a, double rate, uint64_t now_ms)
{
    if (rate < 0)
        rate = 0;
    store_rate(a, rate);
    uint64_t elapsed = a->last_tick_ms && now_ms > a->last_tick_ms ? now_ms - a->last_tick_ms : 0;
    a->last_tick_ms = now_ms;
    double asked = (double)atomic_exchange_explicit(&a->asked, 0, memory_order_relaxed);
    double asked_per_s = elapsed ? asked * 1000.0 / (double)elapsed : 0;
    a->budget += rate * (double)elapsed / 1000.0;
    /* walk the horizon through the waiting arrivals, oldest first; arrivals are
     * taken as spread evenly over their bucket */
    uint64_t horizon = atomic_load_explicit(&a->horizon_ms, memory_order_acquire);
    uint64_t newest = atomic_load_explicit(&a->newest_ms, memory_order_acquire);
    if (now_ms > a->settings.ticket_ttl_ms && horizon < now_ms - a->settings.ticket_ttl_ms)
        horizon = now_ms - a->settings.ticket_ttl_ms; /* older tickets are void anyway */
    while (horizon < newest && a->budget > 0) {
        uint64_t period = period_of(horizon + 1);
        uint64_t start = period * BUCKET_MS, end = start + BUCKET_MS - 1;
        uint64_t from = horizon + 1 > start ? horizon + 1 : start;
        double width = (double)(end - from + 1);
        double left = part_of(a, period, horizon, end);
        if (left <= a->budget) {
            a->budget -= left;
            horizon = end;
        } else {
            horizon = from - 1 + (uint64_t)(width * a->budget / left);
            a->budget = 0;
        }
    }
    if (horizon >= newest) {
        /* nobody waits: the line restarts from now, and what is left of the budget
         * admits newcomers at once, up to a burst */
        horizon = now_ms - 1 > newest ? now_ms - 1 : newest; /* a ticket issued from now on waits */
        int64_t cap = (int64_t)(rate * a->settings.burst_seconds * 1000.0);
        int64_t add = (int64_t)(a->budget * 1000.0);
        int64_t cur = atomic_load_explicit(&a->allowance_milli, memory_order_relaxed);
        atomic_store_explicit(&a->allowance_milli, cur + add > cap ? cap : cur + add, memory_order_relaxed);
        a->budget = 0;
    } else {
        atomic_store_explicit(&a->allowance_milli, 0, memory_order_relaxed); /* people wait: none jumps the line */
        if (a->budget > rate)
            a->budget = rate; /* carry at most a second's worth */
    }
    atomic_store_explicit(&a->horizon_ms, horizon, memory_order_release);
    snapshot(a, horizon, atomic_load_explicit(&a->newest_ms, memory_order_acquire));
    return asked_per_s;
}

void admission_stats(const admission_t *a, admission_stats_t *out)
{
    memset(out, 0, sizeof *out);
    uint64_t newest = atomic_load_explicit(&a->newest_ms, memory_order_acquire);
    out->horizon_ms = atomic_load_explicit(&a->horizon_ms, memory_order_acquire);
    out->waiting = newest > out->horizon_ms ? people_ahead(a, newest) : 0;
    out->admitted_now = atomic_load_explicit(&a->admitted_now, memory_order_relaxed);
    out->admitted_from_line = atomic_load_explicit(&a->admitted_from_line, memory_order_relaxed);
    out->admitted_first = atomic_load_explicit(&a->admitted_first, memory_order_relaxed);
    out->tickets = atomic_load_explicit(&a->tickets, memory_order_relaxed);
    out->waiting_answers = atomic_load_explicit(&a->waiting_answers, memory_order_relaxed);
    out->refused_tickets = atomic_load_explicit(&a->refused, memory_order_relaxed);
    out->expired_tickets = atomic_load_explicit(&a->expired, memory_order_relaxed);
    out->bad_tickets = atomic_load_explicit(&a->bad, memory_order_relaxed);
    out->rate = load_rate(a);
    out->estimated_wait_s = out->rate > 0 ? (double)out->waiting / out->rate : 0;
}
