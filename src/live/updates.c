#include "live/updates.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/revocation.h"
#include "core/log.h"
#include "domain/notify.h"
#include "http/identity.h"
#include "http/request.h"
#include "http/response.h"
#include "http/worker.h"
#include "store/store.h"
#include "web_generated.h"

/* A person with channels open on this worker: their badge is read once for
 * all of them (a pupil with the site open in several tabs and devices). */
typedef struct live_person {
    h2o_linklist_t link;  /* in worker->live.people */
    h2o_linklist_t conns; /* of live_conn_t, by person_link */
    int64_t person_id;
    uint64_t badge_version; /* of the badge last read for them */
} live_person_t;

/* One open channel. */
typedef struct live_conn {
    h2o_linklist_t link;        /* in worker->live.conns */
    h2o_linklist_t person_link; /* in person->conns */
    live_person_t *person;
    worker_t *worker;
    ws_conn_t *ws;
    session_t session;   /* as it was at the handshake */
    notify_badge_t badge; /* the last one sent */
    unsigned bad_messages;
    live_rate_t rate;
} live_conn_t;

/* ------------------------------------------------------------------ pure pieces */

live_message_t live_parse_message(const char *text, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return LIVE_MSG_BAD_JSON;
    live_message_t m;
    json_t *type = json_is_object(j) ? json_object_get(j, "type") : NULL;
    if (!json_is_string(type))
        m = LIVE_MSG_BAD_MESSAGE;
    else if (strcmp(json_string_value(type), "ping") == 0 && json_string_length(type) == 4)
        m = LIVE_MSG_PING;
    else
        m = LIVE_MSG_UNKNOWN_TYPE;
    json_decref(j);
    return m;
}

const char *live_message_error(live_message_t m)
{
    switch (m) {
    case LIVE_MSG_PING: return NULL;
    case LIVE_MSG_BAD_JSON: return "bad_json";
    case LIVE_MSG_BAD_MESSAGE: return "bad_message";
    case LIVE_MSG_UNKNOWN_TYPE: return "unknown_type";
    }
    return "bad_message";
}

size_t live_badge_json(char *out, size_t outlen, int messages, int notifications)
{
    int n = snprintf(out, outlen, "{\"type\":\"badge\",\"messages\":%d,\"notifications\":%d}", messages < 0 ? 0 : messages,
                     notifications < 0 ? 0 : notifications);
    if (n < 0)
        return 0;
    return (size_t)n < outlen ? (size_t)n : outlen ? outlen - 1 : 0;
}

void live_rate_init(live_rate_t *r, uint64_t now_ms)
{
    r->tokens = LIVE_RATE_BURST;
    r->at_ms = now_ms;
}

bool live_rate_take(live_rate_t *r, uint64_t now_ms)
{
    if (now_ms > r->at_ms) {
        r->tokens += (double)(now_ms - r->at_ms) * LIVE_RATE_PER_S / 1000.0;
        if (r->tokens > LIVE_RATE_BURST)
            r->tokens = LIVE_RATE_BURST;
        r->at_ms = now_ms;
    }
    if (r->tokens < 1.0)
        return false;
    r->tokens -= 1.0;
    return true;
}

/* ------------------------------------------------------------------ sending */

static void send_badge(live_conn_t *lc, const notify_badge_t *b)
{
    char json[96];
    size_t n = live_badge_json(json, sizeof json, b->messages, b->notifications);
    if (ws_send_text(lc->ws, str_make(json, n)) == 0)
        lc->badge = *b;
}

static void send_error(live_conn_t *lc, const char *code)
{
    char json[96];
    int n = snprintf(json, sizeof json, "{\"type\":\"error\",\"code\":\"%s\"}", code);
    if (n > 0 && (size_t)n < sizeof json)
        ws_send_text(lc->ws, str_make(json, (size_t)n));
}

/* ------------------------------------------------------------------ the channel */

static void on_text(ws_conn_t *c, void *data, str_t text)
{
    live_conn_t *lc = data;
    const char *code;
    if (!live_rate_take(&lc->rate, h2o_now(lc->worker->ctx.loop))) {
        code = "rate_limited";
    } else {
        live_message_t m = live_parse_message(text.ptr, text.len);
        if (m == LIVE_MSG_PING) {
            ws_send_text(c, STR("{\"type\":\"pong\"}"));
            return;
        }
        code = live_message_error(m);
    }
    if (++lc->bad_messages >= LIVE_MAX_BAD_MESSAGES) {
        ws_close(c, WS_CLOSE_POLICY, "too many bad messages");
        return;
    }
    send_error(lc, code);
}

static void on_close(ws_conn_t *c, void *data)
{
    (void)c;
    live_conn_t *lc = data;
    live_worker_t *lw = &lc->worker->live;
    h2o_linklist_unlink(&lc->link);
    h2o_linklist_unlink(&lc->person_link);
    live_person_t *person = lc->person;
    if (h2o_linklist_is_empty(&person->conns)) {
        u64map_erase(&lw->people_index, (uint64_t)person->person_id);
        h2o_linklist_unlink(&person->link);
        free(person);
    }
    lw->count--;
    free(lc);
}

/* The person's entry on this worker, made on their first channel. */
static live_person_t *person_for(live_worker_t *lw, int64_t person_id, uint64_t badge_version)
{
    uint64_t ptr;
    if (u64map_get(&lw->people_index, (uint64_t)person_id, &ptr))
        return (live_person_t *)(uintptr_t)ptr;
    live_person_t *person = xcalloc(1, sizeof *person);
    person->person_id = person_id;
    person->badge_version = badge_version;
    h2o_linklist_init_anchor(&person->conns);
    h2o_linklist_insert(&lw->people, &person->link);
    u64map_put(&lw->people_index, (uint64_t)person_id, (uint64_t)(uintptr_t)person);
    return person;
}

static void close_all(live_person_t *person, uint16_t code, const char *reason)
{
    for (h2o_linklist_t *n = person->conns.next; n != &person->conns; n = n->next)
        ws_close(H2O_STRUCT_FROM_MEMBER(live_conn_t, person_link, n)->ws, code, reason);
}

static const ws_handlers_t handlers = {.on_text = on_text, .on_close = on_close};

/* Looks at one person after the store changed: their account, their channels'
 * sessions (when sign-outs moved), then their badge, read once and sent to each
 * channel that does not show it yet. ws_close and ws_send_text only queue work
 * for later in the loop, so no channel or person goes away under this. */
static void refresh(live_worker_t *lw, worker_t *w, live_person_t *person, date_t today, int64_t now,
                    bool check_sessions)
{
    store_t *store = w->app->store;
    const principal_t *p = principal_cache_get(&w->principals, store, w->store_reader, person->person_id);
    if (!p || p->disabled) {
        close_all(person, LIVE_CLOSE_SIGNED_OUT, "signed out");
        return;
    }
    if (check_sessions)
        for (h2o_linklist_t *n = person->conns.next; n != &person->conns; n = n->next) {
            live_conn_t *lc = H2O_STRUCT_FROM_MEMBER(live_conn_t, person_link, n);
            if (session_revoked(&w->revocations, &lc->session))
                ws_close(lc->ws, LIVE_CLOSE_SIGNED_OUT, "signed out");
        }
    uint64_t version = notify_badge_version(store, p, today);
    if (version == person->badge_version)
        return;
    notify_badge_t b;
    if (notify_badge(&w->notifications, store, w->store_reader, p, today, now, &b) < 0) {
        lw->look_again = true; /* logged by the store; next tick tries again */
        return;
    }
    person->badge_version = version;
    for (h2o_linklist_t *n = person->conns.next; n != &person->conns; n = n->next) {
        live_conn_t *lc = H2O_STRUCT_FROM_MEMBER(live_conn_t, person_link, n);
        if (!ws_is_closing(lc->ws) && (b.messages != lc->badge.messages || b.notifications != lc->badge.notifications))
            send_badge(lc, &b);
    }
}

/* Closes the channels whose session has expired; returns the next expiry. */
static int64_t close_expired(live_worker_t *lw, int64_t now)
{
    int64_t next = INT64_MAX;
    for (h2o_linklist_t *n = lw->conns.next; n != &lw->conns; n = n->next) {
        live_conn_t *lc = H2O_STRUCT_FROM_MEMBER(live_conn_t, link, n);
        if (ws_is_closing(lc->ws))
            continue;
        if (lc->session.expires_at <= now)
            ws_close(lc->ws, LIVE_CLOSE_RECHECK, "session expired");
        else if (lc->session.expires_at < next)
            next = lc->session.expires_at;
    }
    return next;
}

static void on_poll(h2o_timeout_entry_t *entry)
{
    live_worker_t *lw = (live_worker_t *)((char *)entry - offsetof(live_worker_t, poll_entry));
    worker_t *w = (worker_t *)((char *)lw - offsetof(worker_t, live));
    store_t *store = w->app->store;
    uint64_t now_ms = h2o_now(w->ctx.loop);
    int64_t now = clock_now();
    if (now >= lw->next_expiry)
        lw->next_expiry = close_expired(lw, now);
    /* Read the counter before any version: a write landing after this read shows
     * on the next tick, never in between. */
    uint64_t changes = store_change_count(store);
    date_t today = date_today();
    bool look = lw->look_again || changes != lw->change_count || date_compare(today, lw->day) != 0 ||
                now_ms - lw->last_full_ms >= LIVE_FULL_SWEEP_MS;
    if (look) {
        lw->look_again = false;
        lw->change_count = changes;
        lw->day = today;
        lw->last_full_ms = now_ms;
        bool sessions_known = revocations_refresh(&w->revocations, store, w->store_reader, now) == 0;
        if (!sessions_known)
            lw->look_again = true;
        bool check_sessions = sessions_known && w->revocations.topic_version != lw->sessions_version;
        for (h2o_linklist_t *n = lw->people.next; n != &lw->people; n = n->next)
            refresh(lw, w, H2O_STRUCT_FROM_MEMBER(live_person_t, link, n), today, now, check_sessions);
        if (check_sessions)
            lw->sessions_version = w->revocations.topic_version;
    }
    if (lw->count && !lw->stopping)
        h2o_timeout_link(w->ctx.loop, &lw->poll, &lw->poll_entry);
}

static void live_updates(request_t *r)
{
    worker_t *w = r->worker;
    const principal_t *p = request_principal(r);
    if (!p) {
        respond_error(r, 401, MSG_error_not_signed_in, NULL);
        return;
    }
    h2o_req_t *req = r->h2o;
    if (!ws_origin_allowed(request_header(r, "origin"), str_make(req->authority.base, req->authority.len))) {
        logq_t q;
        char origin[256];
        str_t o = request_header(r, "origin");
        snprintf(origin, sizeof origin, "%.*s", (int)(o.len < 200 ? o.len : 200), o.ptr);
        LOG_INFO("cross-site websocket refused", "person=%lld origin=\"%s\"", (long long)p->person_id, logq(&q, origin));
        respond_error(r, 403, MSG_live_cross_site, NULL);
        return;
    }
    if (!ws_is_handshake(r)) {
        ws_accept(r, &handlers, NULL); /* answers 426 */
        return;
    }
    /* The first badge before the upgrade: a store error is still a plain 503. */
    uint64_t changes = store_change_count(r->app->store); /* before the versions it covers */
    date_t today = date_today();
    int64_t now = clock_now();
    notify_badge_t b;
    uint64_t version = notify_badge_version(r->app->store, p, today);
    if (notify_badge(&w->notifications, r->app->store, w->store_reader, p, today, now, &b) < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    live_conn_t *lc = xcalloc(1, sizeof *lc);
    lc->worker = w;
    lc->session = *request_session(r);
    live_rate_init(&lc->rate, h2o_now(w->ctx.loop));
    ws_conn_t *c = ws_accept(r, &handlers, lc);
    if (!c) {
        free(lc);
        return;
    }
    lc->ws = c;
    live_worker_t *lw = &w->live;
    h2o_linklist_insert(&lw->conns, &lc->link);
    /* A person already here keeps their version: the next look brings their other
     * channels up to date if this badge is newer. */
    lc->person = person_for(lw, p->person_id, version);
    h2o_linklist_insert(&lc->person->conns, &lc->person_link);
    lw->count++;
    if (lc->session.expires_at < lw->next_expiry)
        lw->next_expiry = lc->session.expires_at;
    send_badge(lc, &b);
    if (lw->ready && !lw->stopping && !h2o_timeout_is_linked(&lw->poll_entry)) {
        /* The first channel of this worker: start from the store's state now. */
        if (lw->count == 1) {
            lw->change_count = changes;
            lw->day = today;
            lw->last_full_ms = h2o_now(w->ctx.loop);
        }
        h2o_timeout_link(w->ctx.loop, &lw->poll, &lw->poll_entry);
    }
}

/* ------------------------------------------------------------------ worker */

void live_worker_init(worker_t *w)
{
    live_worker_t *lw = &w->live;
    memset(lw, 0, sizeof *lw);
    h2o_linklist_init_anchor(&lw->conns);
    h2o_linklist_init_anchor(&lw->people);
    u64map_init(&lw->people_index);
    lw->next_expiry = INT64_MAX;
    h2o_timeout_init(w->ctx.loop, &lw->poll, w->app->config->live_poll_interval_ms);
    lw->poll_entry.cb = on_poll;
    lw->day = date_today();
    lw->ready = true;
}

void live_worker_shutdown(worker_t *w)
{
    live_worker_t *lw = &w->live;
    lw->stopping = true;
    if (h2o_timeout_is_linked(&lw->poll_entry))
        h2o_timeout_unlink(&lw->poll_entry);
}

void live_worker_dispose(worker_t *w)
{
    live_worker_t *lw = &w->live;
    if (!lw->ready)
        return;
    if (h2o_timeout_is_linked(&lw->poll_entry))
        h2o_timeout_unlink(&lw->poll_entry);
    h2o_timeout_dispose(w->ctx.loop, &lw->poll);
    u64map_dispose(&lw->people_index);
    lw->ready = false;
}

int live_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/live/updates", HANDLER(live_updates), NULL, ROUTE_OPEN, err, errlen))
        return -1;
    return 0;
}
