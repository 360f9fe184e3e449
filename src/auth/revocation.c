#include "auth/revocation.h"

#include <stdio.h>

void revocations_init(revocations_t *r)
{
    u64map_init(&r->epochs);
    u64map_init(&r->revoked);
    r->last_seq = 0;
    r->topic_version = 0;
}

void revocations_dispose(revocations_t *r)
{
    u64map_dispose(&r->epochs);
    u64map_dispose(&r->revoked);
}

typedef struct refresh_ctx {
    revocations_t *r;
    int64_t now;
} refresh_ctx_t;

static int on_event(void *ud, const store_row_t *row)
{
    refresh_ctx_t *c = ud;
    revocations_t *r = c->r;
    int64_t seq = store_row_int(row, 0);
    int64_t person = store_row_int(row, 1);
    if (seq > r->last_seq)
        r->last_seq = seq;
    if (!store_row_is_null(row, 2)) {
        uint64_t epoch = (uint64_t)store_row_int(row, 2), cur = 0;
        if (!u64map_get(&r->epochs, (uint64_t)person, &cur) || epoch > cur)
            u64map_put(&r->epochs, (uint64_t)person, epoch);
    } else {
        str_t sid = store_row_text(row, 3);
        uint64_t v = 0;
        if (str_to_u64(sid, &v) && v)
            u64map_put(&r->revoked, v, (uint64_t)store_row_int(row, 4));
    }
    return 0;
}

int revocations_refresh(revocations_t *r, store_t *store, store_reader_t *reader, int64_t now)
{
    uint64_t v = store_topic_version(store, STORE_TOPIC_SESSIONS);
    if (v == r->topic_version)
        return 0;
    refresh_ctx_t c = {r, now};
    int rc = store_read(reader,
                        "SELECT seq, person_id, epoch, session_id, expires_at FROM session_events "
                        "WHERE seq > ? AND expires_at > ? ORDER BY seq",
                        STORE_ARGS(SA_INT(r->last_seq), SA_INT(now)), on_event, &c);
    if (rc < 0)
        return rc;
    r->topic_version = v;
    return 0;
}

bool session_revoked(const revocations_t *r, const session_t *s)
{
    uint64_t epoch;
    if (u64map_get(&r->epochs, (uint64_t)s->person_id, &epoch) && s->epoch < epoch)
        return true;
    return u64map_get(&r->revoked, s->sid, NULL);
}

int session_event_logout(store_tx_t *tx, const session_t *s)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%llu", (unsigned long long)s->sid);
    int rc = store_tx_exec(tx, "INSERT INTO session_events (person_id, session_id, expires_at) VALUES (?, ?, ?)",
                           STORE_ARGS(SA_INT(s->person_id), SA_CSTR(sid), SA_INT(s->expires_at)));
    if (rc == STORE_OK)
        store_tx_touch(tx, STORE_TOPIC_SESSIONS);
    return rc;
}

int session_events_prune(store_tx_t *tx, int64_t now)
{
    return store_tx_exec(tx, "DELETE FROM session_events WHERE expires_at <= ?", STORE_ARGS(SA_INT(now)));
}
