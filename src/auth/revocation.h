/* revocation: which valid-looking sessions have been ended, per worker.
 *
 * Contract: a worker keeps the session epochs raised (log out everywhere,
 * password change, account disabled) and the session ids logged out, read from
 * the session_events log. revocation_refresh reads only the events after the
 * last one seen, and only when the store's sessions topic has moved, so a
 * session check costs two hash lookups. A write that ends sessions is visible to
 * every worker's next check once its transaction has committed (and within about
 * a second when another process made it).
 */
#ifndef CARTABLE_AUTH_REVOCATION_H
#define CARTABLE_AUTH_REVOCATION_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/session.h"
#include "core/u64map.h"
#include "store/store.h"

typedef struct revocations {
    u64map_t epochs;  /* person id -> lowest valid epoch */
    u64map_t revoked; /* session id -> expiry */
    int64_t last_seq;
    uint64_t topic_version;
} revocations_t;

void revocations_init(revocations_t *r);
void revocations_dispose(revocations_t *r);
/* Reads new events if the topic moved; returns 0 or a negative status. */
int revocations_refresh(revocations_t *r, store_t *store, store_reader_t *reader, int64_t now);
bool session_revoked(const revocations_t *r, const session_t *s);

/* Writes (in a store transaction): end one session. Ending every session of a
 * person is person_bump_epoch (domain/people.h). */
int session_event_logout(store_tx_t *tx, const session_t *s);
/* Drops events that can no longer matter (their sessions have expired). */
int session_events_prune(store_tx_t *tx, int64_t now);

#endif
