/* admission: the waiting room's line — who comes in now, who waits, and in
 * which order.
 *
 * Contract:
 * - Only newcomers are counted: someone holding an admission is inside and
 *   never waits (the caller decides who is a newcomer; a session from another
 *   day is not an admission: resuming it at 8:30 is arriving at 8:30).
 * - A newcomer comes in at once while nobody is waiting and the admission rate
 *   (edge/capacity.h) has room; otherwise they get a ticket carrying their
 *   arrival time (ms). Tickets are admitted strictly in arrival order: the line
 *   is a horizon that advances through arrival times at the admission rate, and
 *   a ticket is in once the horizon has passed its arrival. The same ticket (a
 *   refresh, a second tab) keeps the same place.
 * - No list of people is kept: arrivals are counted in 100 ms buckets (one hour
 *   of them), so the state is fixed-size, lock-free (atomics), and a ticket's
 *   position is the count of arrivals between the horizon and its own.
 * - admission_tick (about every 100 ms, one thread) advances the horizon by the
 *   rate's budget and refills the immediate-admission allowance.
 * - Tickets and admissions are signed tokens (HMAC-SHA256 under the session
 *   keys, so they verify on any node sharing them and survive a key rotation
 *   while the old key is kept); a tampered, forged or expired one is worth
 *   nothing (an expired ticket means starting again at the back).
 */
#ifndef CARTABLE_EDGE_ADMISSION_H
#define CARTABLE_EDGE_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/session.h"
#include "core/str.h"

#define ADMISSION_TOKEN_LEN 64 /* base64url of the signed token */

typedef struct admission admission_t;

typedef struct admission_settings {
    bool enabled;
    uint64_t ticket_ttl_ms;   /* a ticket not admitted by then is void */
    uint64_t window_ms;       /* how long an admission lets one in */
    double burst_seconds;     /* immediate admissions allowed in a burst: rate x this */
} admission_settings_t;

admission_t *admission_new(const admission_settings_t *s);
void admission_free(admission_t *a);
bool admission_enabled(const admission_t *a);

typedef enum admission_verdict {
    ADMIT_NOW = 0,     /* come in (an admission token to hand out is written) */
    ADMIT_WAIT,        /* wait: position and estimated wait are filled */
} admission_verdict_t;

typedef struct admission_answer {
    admission_verdict_t verdict;
    uint64_t arrival_ms;   /* the ticket's */
    uint64_t position;     /* people ahead, 1-based */
    uint64_t wait_seconds; /* estimated */
    bool new_ticket;       /* a ticket was issued now (hand it out) */
    bool immediate;        /* let in at once, without a ticket */
    char ticket[ADMISSION_TOKEN_LEN + 1];    /* when waiting */
    char admission[ADMISSION_TOKEN_LEN + 1]; /* when admitted */
} admission_answer_t;

/* A newcomer's request. ticket is their ticket cookie (may be empty or bad);
 * may_issue says whether a new ticket may be issued for them (their address's
 * ticket allowance: edge/ratelimit). Returns -1 when a ticket is needed and
 * may_issue is false. */
int admission_enter(admission_t *a, const session_keys_t *keys, str_t ticket, bool may_issue, uint64_t now_ms,
                    admission_answer_t *out);

/* Lets someone in ahead of the line (the priority lane): an admission token. */
void admission_grant(admission_t *a, const session_keys_t *keys, uint64_t now_ms, admission_answer_t *out);

/* Is this admission token valid now? */
bool admission_valid(const session_keys_t *keys, str_t token, uint64_t now_ms);

/* Advances the line by rate x elapsed time. Returns how many newcomers asked
 * since the last tick (for capacity_tick). */
double admission_tick(admission_t *a, double rate, uint64_t now_ms);

typedef struct admission_stats {
    uint64_t waiting;          /* tickets between the horizon and the newest arrival */
    uint64_t admitted_now;     /* totals since start */
    uint64_t admitted_from_line;
    uint64_t admitted_first;   /* through the priority lane */
    uint64_t tickets;
    uint64_t waiting_answers;
    uint64_t refused_tickets;  /* may_issue false */
    uint64_t expired_tickets;
    uint64_t bad_tickets;      /* tampered, forged, unknown key */
    double rate;               /* admissions per second in force */
    double estimated_wait_s;   /* for the newest arrival */
    uint64_t horizon_ms;
} admission_stats_t;

void admission_stats(const admission_t *a, admission_stats_t *out);

#endif
