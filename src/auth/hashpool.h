/* hashpool: password hashing off the event loops.
 *
 * Contract:
 * - A fixed number of threads run argon2id jobs from a bounded queue. When the
 *   queue is full, hashpool_submit refuses at once (the caller answers 503 with
 *   Retry-After): a login storm makes new logins wait or retry, it never grows
 *   memory or stalls the event loops.
 * - The threads run with SCHED_BATCH and a lower priority (nice 10): when an
 *   event loop and a hash thread share a core, the event loop gets it, so
 *   logged-in users keep their response times during a storm.
 * - A job's done callback runs on a pool thread; it must hand the job back to its
 *   event loop (worker_post) and not touch loop-owned state itself.
 */
#ifndef CARTABLE_AUTH_HASHPOOL_H
#define CARTABLE_AUTH_HASHPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/password.h"

typedef enum hash_op { HASH_VERIFY = 0, HASH_CREATE } hash_op_t;

typedef struct hash_job hash_job_t;
struct hash_job {
    hash_op_t op;
    const char *stored_hash;          /* HASH_VERIFY: what to check against */
    char password[PASSWORD_MAX_BYTES + 1];
    size_t password_len;
    bool ok;                          /* HASH_VERIFY: matched; HASH_CREATE: hashed */
    char new_hash[PASSWORD_HASH_MAX]; /* HASH_CREATE */
    void (*done)(hash_job_t *job);
    void *ctx;
    hash_job_t *next;                 /* owned by the pool */
};

typedef struct hashpool hashpool_t;

hashpool_t *hashpool_start(unsigned threads, unsigned queue_max);
/* Finishes queued jobs, then stops the threads. */
void hashpool_stop(hashpool_t *p);
/* 0, or -1 when the queue is full or the pool is stopping. The password is wiped
 * from the job after use. */
int hashpool_submit(hashpool_t *p, hash_job_t *job);

typedef struct hashpool_stats {
    uint64_t done;
    uint64_t rejected;
    unsigned queued;
    unsigned threads;
    unsigned queue_max;
} hashpool_stats_t;
void hashpool_get_stats(hashpool_t *p, hashpool_stats_t *out);

#endif
