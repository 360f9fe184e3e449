/* ratelimit: token buckets per key (an IP address, a login), shared by all workers.
 *
 * Contract:
 * - Each key has a bucket of `burst` tokens refilled at `per_second`. take
 *   consumes tokens and answers 0, or how many whole seconds until the request
 *   would be allowed (for Retry-After). check answers the same without taking.
 * - Memory is fixed at creation: when the table is full, the bucket idle the
 *   longest is forgotten (an idle bucket is a full one, so nothing is lost).
 * - Keys are hashed with a per-process random SipHash key, so an attacker cannot
 *   aim collisions. The table is split in 64 shards, each with its own short
 *   lock: a check costs one uncontended lock, no allocation, no I/O.
 */
#ifndef CARTABLE_EDGE_RATELIMIT_H
#define CARTABLE_EDGE_RATELIMIT_H

#include <stdint.h>

#include "core/str.h"

typedef struct ratelimit ratelimit_t;

ratelimit_t *ratelimit_new(unsigned capacity, double per_second, double burst);
void ratelimit_free(ratelimit_t *rl);
unsigned ratelimit_take(ratelimit_t *rl, str_t key, uint64_t now_ms, double cost);
unsigned ratelimit_check(ratelimit_t *rl, str_t key, uint64_t now_ms);
/* Gives tokens back (a successful login clears its failures). */
void ratelimit_reset(ratelimit_t *rl, str_t key);

#endif
