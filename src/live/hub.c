#include "live/hub.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "auth/revocation.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/liveclass.h"
#include "http/identity.h"
#include "http/request.h"
#include "http/response.h"
#include "http/worker.h"
#include "live/janus.h"
#include "live/updates.h"
#include "store/store.h"
#include "web/template.h"
#include "web_generated.h"

/* ------------------------------------------------------------------ types */

typedef enum conn_state {
    CONN_PENDING = 0, /* join sent, waiting for its event */
    CONN_WAITING,     /* a guest in the lobby */
    CONN_IN,          /* welcomed: receives every event */
} conn_state_t;

typedef enum media_state {
    MEDIA_NONE = 0, /* no Janus, or not asked yet */
    MEDIA_CREATING, /* owner: the room is being made on Janus */
    MEDIA_READY,    /* pin known: sockets get a token each */
    MEDIA_FAILED,   /* owner: Janus could not make it; tried again at the next join */
} media_state_t;

typedef struct local_room {
    room_t *room;
    h2o_linklist_t conns; /* live_room_conn_t.link */
    int64_t last_event_ms; /* owner: for the idle close */
    media_state_t media;
    char pin[JANUS_TOKEN_MAX + 1];
} local_room_t;

typedef struct live_room_conn {
    h2o_linklist_t link; /* in local_room_t.conns, or unlinked while the room has no copy here */
    worker_t *worker;
    ws_conn_t *ws;
    uint64_t id;
    int64_t room_id;
    int64_t member; /* person id, or minus the guest id */
    room_role_t role;
    conn_state_t state;
    char name[ROOM_NAME_MAX];
    char *title; /* to open the room on its owner if it is not open */
    int64_t ends_at;
    int64_t expires_at; /* the session's or the guest cookie's */
    session_t session;  /* people only */
    bool is_person;
    live_rate_t rate;
    unsigned bad_messages;
    char token[JANUS_TOKEN_LEN + 1]; /* this socket's Janus join token, "" before media */
} live_room_conn_t;

/* An event, shared by every worker's task for it. */
typedef struct live_event {
    atomic_int refs;
    room_cmd_t ev;
    unsigned origin; /* worker the command came from */
    uint64_t conn_id, ref;
    char *json;
    size_t json_len;
} live_event_t;

typedef struct event_task {
    worker_task_t base;
    worker_t *worker;
    live_event_t *event;
} event_task_t;

typedef struct cmd_task {
    worker_task_t base;
    worker_t *worker; /* the owner */
    room_cmd_t cmd;
    unsigned origin;
    uint64_t conn_id, ref;
} cmd_task_t;

typedef struct reply_task {
    worker_task_t base;
    worker_t *worker; /* the origin */
    room_kind_t kind;
    room_refusal_t refusal;
    uint64_t conn_id, ref;
} reply_task_t;

typedef struct pending_post {
    h2o_linklist_t link;
    uint64_t ref;
    request_t *request;
    live_hub_done_fn done;
} pending_post_t;

static worker_t *owner_of(worker_t *w, int64_t room_id)
{
    app_t *app = w->app;
    return app->workers[(uint64_t)room_id % app->nthreads];
}

static local_room_t *local_get(worker_t *w, int64_t room_id)
{
    uint64_t v;
    return u64map_get(&w->rooms.rooms, (uint64_t)room_id, &v) ? (local_room_t *)(uintptr_t)v : NULL;
}

static local_room_t *local_create(worker_t *w, int64_t room_id)
{
    if (owner_of(w, room_id) == w)
        metrics_live_rooms(w->metrics, 1);
    local_room_t *l = xcalloc(1, sizeof *l);
    l->room = room_new(room_id);
    h2o_linklist_init_anchor(&l->conns);
    u64map_put(&w->rooms.rooms, (uint64_t)room_id, (uint64_t)(uintptr_t)l);
    /* Sockets waiting for this room to open here join its list. */
    return l;
}

static void local_free(worker_t *w, local_room_t *l)
{
    if (owner_of(w, l->room->id) == w)
        metrics_live_rooms(w->metrics, -1);
    while (!h2o_linklist_is_empty(&l->conns)) {
        live_room_conn_t *c = H2O_STRUCT_FROM_MEMBER(live_room_conn_t, link, l->conns.next);
        h2o_linklist_unlink(&c->link);
    }
    u64map_erase(&w->rooms.rooms, (uint64_t)l->room->id);
    room_free(l->room);
    free(l);
}

const room_t *live_hub_room(worker_t *w, int64_t room_id)
{
    local_room_t *l = local_get(w, room_id);
    return l ? l->room : NULL;
}

static live_room_conn_t *conn_get(worker_t *w, uint64_t id)
{
    uint64_t v;
    return id && u64map_get(&w->rooms.conns, id, &v) ? (live_room_conn_t *)(uintptr_t)v : NULL;
}

/* ------------------------------------------------------------------ sending */

static void send_json(live_room_conn_t *c, const char *json, size_t len)
{
    ws_send_text(c->ws, str_make(json, len));
}

static void send_error(live_room_conn_t *c, const char *code)
{
    char json[96];
    int n = snprintf(json, sizeof json, "{\"type\":\"error\",\"code\":\"%s\"}", code);
    if (n > 0 && (size_t)n < sizeof json)
        send_json(c, json, (size_t)n);
}

static void send_welcome(live_room_conn_t *c, local_room_t *l)
{
    buf_t b;
    buf_init(&b, NULL, 1024);
    room_welcome_json(l->room, c->member, c->role, c->name, &b);
    send_json(c, b.data, b.len);
    buf_dispose(&b);
}

/* ------------------------------------------------------------------ commands */

static void owner_handle(worker_t *owner, room_cmd_t *cmd, unsigned origin, uint64_t conn_id, uint64_t ref);
static void origin_reply(worker_t *w, room_kind_t kind, room_refusal_t refusal, uint64_t conn_id, uint64_t ref);

static void run_cmd(worker_task_t *t)
{
    cmd_task_t *ct = (cmd_task_t *)t;
    if (!ct->worker->rooms.ready) {
        room_cmd_clear(&ct->cmd);
        free(ct);
        return;
    }
    owner_handle(ct->worker, &ct->cmd, ct->origin, ct->conn_id, ct->ref);
    room_cmd_clear(&ct->cmd);
    free(ct);
}

/* Sends a command to the room's owner; c's text and choices move with it. */
static void send_cmd(worker_t *w, room_cmd_t *c, uint64_t conn_id, uint64_t ref)
{
    worker_t *owner = owner_of(w, c->room_id);
    if (owner == w) {
        owner_handle(w, c, w->index, conn_id, ref);
        room_cmd_clear(c);
        return;
    }
    cmd_task_t *ct = xcalloc(1, sizeof *ct);
    ct->base.run = run_cmd;
    ct->worker = owner;
    ct->cmd = *c;
    ct->origin = w->index;
    ct->conn_id = conn_id;
    ct->ref = ref;
    memset(c, 0, sizeof *c); /* moved */
    worker_post(owner, &ct->base);
}

static void cmd_from_conn(live_room_conn_t *c, room_cmd_t *cmd, room_kind_t kind)
{
    cmd->kind = kind;
    cmd->room_id = c->room_id;
    cmd->actor = c->member;
    cmd->role = c->role;
    memcpy(cmd->name, c->name, sizeof cmd->name);
    cmd->at_ms = (int64_t)clock_now_ms();
}

/* Opens the room on its owner unless this worker has a copy of it already (an
 * opening already open changes nothing). Commands from one worker reach the
 * owner in order, so the opening is there before what follows it. */
static void ensure_open(worker_t *w, int64_t room_id, const char *title, int64_t ends_at)
{
    if (local_get(w, room_id))
        return;
    room_cmd_t open = {.kind = ROOM_OPEN, .room_id = room_id, .ends_at = ends_at, .at_ms = (int64_t)clock_now_ms()};
    room_cmd_set_text(&open, title, strlen(title));
    send_cmd(w, &open, 0, 0);
}

static void send_join(live_room_conn_t *c)
{
    ensure_open(c->worker, c->room_id, c->title, c->ends_at);
    room_cmd_t cmd = {0};
    cmd_from_conn(c, &cmd, ROOM_JOIN);
    c->state = CONN_PENDING;
    send_cmd(c->worker, &cmd, c->id, 0);
}

/* Posts a task to every worker but `from`: make builds the one for w. */
static void post_to_others(worker_t *from, worker_task_t *(*make)(worker_t *w, void *arg), void *arg)
{
    app_t *app = from->app;
    for (unsigned i = 0; i < app->nthreads; i++)
        if (app->workers[i] != from)
            worker_post(app->workers[i], make(app->workers[i], arg));
}

/* ------------------------------------------------------------------ media (Janus) */

/* A Janus participant id per socket (a person's second tab is another
 * participant there): unique across workers, below 2^53 for the browser. */
static uint64_t feed_id(const live_room_conn_t *c)
{
    return c->id * 256 + c->worker->index + 1;
}

typedef struct media_ud {
    worker_t *worker;
    int64_t room_id;
    uint64_t conn_id;
    char token[JANUS_TOKEN_LEN + 1];
} media_ud_t;

static janus_caller_t caller(worker_t *w, janus_done_fn done, void *ud)
{
    return (janus_caller_t){.post = janus_post_worker, .target = w, .done = done, .ud = ud};
}

static void send_media(live_room_conn_t *c, local_room_t *l)
{
    const room_member_t *m = room_member(l->room, c->member);
    buf_t b;
    buf_init(&b, NULL, 256);
    buf_printf(&b, "{\"type\":\"media\",\"server\":");
    const char *url = janus_public_url(c->worker->app->janus, (uint64_t)l->room->id);
    room_json_string(&b, url ? url : "", url ? strlen(url) : 0);
    buf_printf(&b, ",\"room\":%lld,\"pin\":", (long long)l->room->id);
    room_json_string(&b, l->pin, strlen(l->pin));
    buf_printf(&b, ",\"token\":\"%s\",\"id\":%llu,\"display\":", c->token, (unsigned long long)feed_id(c));
    room_json_string(&b, c->name, strlen(c->name));
    buf_printf(&b, ",\"publish\":%s}", m && m->publish ? "true" : "false");
    send_json(c, b.data, b.len);
    buf_dispose(&b);
}

static void token_added(const janus_result_t *res, void *ud)
{
    media_ud_t *u = ud;
    worker_t *w = u->worker;
    live_room_conn_t *c = w->rooms.ready ? conn_get(w, u->conn_id) : NULL;
    local_room_t *l = c ? local_get(w, c->room_id) : NULL;
    if (res->status == JANUS_OK && c && l && !ws_is_closing(c->ws) && !strcmp(c->token, u->token)) {
        send_media(c, l);
    } else if (res->status == JANUS_OK && w->rooms.ready) {
        /* The socket went away meanwhile: the token goes too. */
        janus_remove_token(w->app->janus, (uint64_t)u->room_id, u->token, caller(w, NULL, NULL));
    } else if (c && !ws_is_closing(c->ws)) {
        c->token[0] = '\0';
        send_json(c, "{\"type\":\"media_unavailable\"}", 29);
    }
    free(u);
}

/* Gives a welcomed socket its own join token, then the media message. */
static void media_for(live_room_conn_t *c, local_room_t *l)
{
    janus_t *j = c->worker->app->janus;
    if (!j || l->media != MEDIA_READY || c->token[0] || c->state != CONN_IN)
        return;
    media_ud_t *u = xcalloc(1, sizeof *u);
    u->worker = c->worker;
    u->room_id = c->room_id;
    u->conn_id = c->id;
    janus_token_new(c->token);
    memcpy(u->token, c->token, sizeof u->token);
    if (janus_add_token(j, (uint64_t)c->room_id, c->token, caller(c->worker, token_added, u)) != 0) {
        c->token[0] = '\0';
        free(u);
    }
}

typedef struct media_task {
    worker_task_t base;
    worker_t *worker;
    int64_t room_id;
    char pin[JANUS_TOKEN_MAX + 1];
} media_task_t;

/* On every worker: the room's pin is known; its welcomed sockets get tokens. */
static void media_ready_here(worker_t *w, int64_t room_id, const char *pin)
{
    local_room_t *l = local_get(w, room_id);
    if (!l)
        return;
    l->media = MEDIA_READY;
    snprintf(l->pin, sizeof l->pin, "%s", pin);
    for (h2o_linklist_t *n = l->conns.next; n != &l->conns; n = n->next)
        media_for(H2O_STRUCT_FROM_MEMBER(live_room_conn_t, link, n), l);
}

static void run_media(worker_task_t *t)
{
    media_task_t *mt = (media_task_t *)t;
    if (mt->worker->rooms.ready)
        media_ready_here(mt->worker, mt->room_id, mt->pin);
    free(mt);
}

static worker_task_t *make_media_task(worker_t *w, void *arg)
{
    media_task_t *mt = xmalloc(sizeof *mt);
    *mt = *(const media_task_t *)arg;
    mt->base.run = run_media;
    mt->worker = w;
    return &mt->base;
}

static void room_created(const janus_result_t *res, void *ud)
{
    media_ud_t *u = ud;
    worker_t *owner = u->worker;
    local_room_t *l = owner->rooms.ready ? local_get(owner, u->room_id) : NULL;
    if (l && res->status == JANUS_OK) {
        media_task_t ready = {.room_id = u->room_id};
        snprintf(ready.pin, sizeof ready.pin, "%s", res->pin);
        post_to_others(owner, make_media_task, &ready);
        media_ready_here(owner, u->room_id, res->pin);
    } else if (l) {
        l->media = MEDIA_FAILED;
        LOG_WARN("live room without audio and video", "room=%lld status=%d code=%d error=\"%s\"",
                 (long long)u->room_id, res->status, res->code, res->message);
    }
    free(u);
}

/* On the owner: makes the room on Janus (once; again after a failure). */
static void media_create(worker_t *owner, local_room_t *l)
{
    janus_t *j = owner->app->janus;
    if (!j || (l->media != MEDIA_NONE && l->media != MEDIA_FAILED))
        return;
    media_ud_t *u = xcalloc(1, sizeof *u);
    u->worker = owner;
    u->room_id = l->room->id;
    janus_room_spec_t spec = {.room = (uint64_t)l->room->id, .description = l->room->title ? l->room->title : "",
                              .publishers = LIVE_MEDIA_PUBLISHERS};
    l->media = MEDIA_CREATING;
    if (janus_create_room(j, &spec, caller(owner, room_created, u)) != 0) {
        l->media = MEDIA_FAILED;
        free(u);
    }
}

/* Kicks this worker's sockets of a person out of the Janus room (removed, or no
 * longer allowed to publish: an honest page has stopped already; this is for
 * one that would not). */
static void media_kick(worker_t *w, local_room_t *l, int64_t member)
{
    janus_t *j = w->app->janus;
    if (!j || l->media != MEDIA_READY)
        return;
    for (h2o_linklist_t *n = l->conns.next; n != &l->conns; n = n->next) {
        live_room_conn_t *c = H2O_STRUCT_FROM_MEMBER(live_room_conn_t, link, n);
        if (c->member == member && c->token[0])
            janus_kick(j, (uint64_t)l->room->id, feed_id(c), caller(w, NULL, NULL));
    }
}

/* ------------------------------------------------------------------ events */

static void event_unref(live_event_t *e)
{
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
        room_cmd_clear(&e->ev);
        free(e->json);
        free(e);
    }
}

static void complete_pending(worker_t *w, uint64_t ref, room_refusal_t refusal)
{
    for (h2o_linklist_t *n = w->rooms.pending.next; n != &w->rooms.pending; n = n->next) {
        pending_post_t *p = H2O_STRUCT_FROM_MEMBER(pending_post_t, link, n);
        if (p->ref == ref) {
            h2o_linklist_unlink(&p->link);
            p->done(p->request, refusal);
            return;
        }
    }
}

/* Attaches sockets of this worker that were waiting for the room's copy. */
static void adopt_orphans(worker_t *w, local_room_t *l);

/* One event on one worker: the copy, then the sockets. */
static void deliver(worker_t *w, live_event_t *e, bool owner)
{
    const room_cmd_t *ev = &e->ev;
    local_room_t *l = local_get(w, ev->room_id);
    if (!l) {
        if (ev->kind != ROOM_OPEN) {
            LOG_WARN("live room event for a room not open here", "room=%lld seq=%llu worker=%u",
                     (long long)ev->room_id, (unsigned long long)ev->seq, w->index);
            return;
        }
        l = local_create(w, ev->room_id);
        adopt_orphans(w, l);
    }
    if (!owner)
        room_apply(l->room, ev);
    l->last_event_ms = (int64_t)clock_now_ms();
    bool hosts_only = room_event_hosts_only(ev);
    char skip[64];
    int skip_len = snprintf(skip, sizeof skip, "{\"type\":\"skip\",\"seq\":%llu}", (unsigned long long)ev->seq);
    bool mine = e->origin == w->index;
    h2o_linklist_t *n = l->conns.next;
    while (n != &l->conns) {
        live_room_conn_t *c = H2O_STRUCT_FROM_MEMBER(live_room_conn_t, link, n);
        n = n->next;
        if (ws_is_closing(c->ws))
            continue;
        switch (c->state) {
        case CONN_IN:
            if (hosts_only && c->role != ROOM_HOST && c->member != ev->actor)
                send_json(c, skip, (size_t)skip_len);
            else
                send_json(c, e->json, e->json_len);
            if (ev->kind == ROOM_REMOVE && ev->target == c->member)
                ws_close(c->ws, LIVE_ROOM_CLOSE_OUT, "removed");
            else if (ev->kind == ROOM_CLOSE)
                ws_close(c->ws, LIVE_ROOM_CLOSE_OUT, "closed");
            break;
        case CONN_PENDING:
            if (ev->kind == ROOM_JOIN && mine && e->conn_id == c->id) {
                c->state = CONN_IN;
                send_welcome(c, l);
                media_for(c, l);
            }
            break;
        case CONN_WAITING:
            if (ev->kind == ROOM_ADMIT && ev->target == c->member)
                send_join(c);
            else if (ev->kind == ROOM_REFUSE && ev->target == c->member)
                ws_close(c->ws, LIVE_ROOM_CLOSE_OUT, "refused");
            else if (ev->kind == ROOM_CLOSE)
                ws_close(c->ws, LIVE_ROOM_CLOSE_OUT, "closed");
            break;
        }
    }
    if (mine && e->ref)
        complete_pending(w, e->ref, ROOM_ACCEPTED);
    if (ev->kind == ROOM_REMOVE || (ev->kind == ROOM_PUBLISH && !ev->flag))
        media_kick(w, l, ev->target);
    if (ev->kind == ROOM_CLOSE) {
        if (owner && w->app->janus && l->media == MEDIA_READY)
            janus_destroy_room(w->app->janus, (uint64_t)l->room->id, caller(w, NULL, NULL));
        local_free(w, l);
    }
}

static void run_event(worker_task_t *t)
{
    event_task_t *et = (event_task_t *)t;
    if (et->worker->rooms.ready)
        deliver(et->worker, et->event, false);
    event_unref(et->event);
    free(et);
}

static worker_task_t *make_event_task(worker_t *w, void *arg)
{
    event_task_t *et = xcalloc(1, sizeof *et);
    et->base.run = run_event;
    et->worker = w;
    et->event = arg;
    return &et->base;
}

/* On the owner, after room_decide accepted: renders the event once, delivers it
 * here, and posts it to every other worker. */
static void broadcast(worker_t *owner, local_room_t *l, room_cmd_t *ev, unsigned origin, uint64_t conn_id, uint64_t ref)
{
    live_event_t *e = xcalloc(1, sizeof *e);
    app_t *app = owner->app;
    atomic_init(&e->refs, (int)app->nthreads);
    e->ev = *ev;
    memset(ev, 0, sizeof *ev); /* moved */
    e->origin = origin;
    e->conn_id = conn_id;
    e->ref = ref;
    buf_t b;
    buf_init(&b, NULL, 256);
    room_event_json(l->room, &e->ev, &b);
    e->json = b.data;
    e->json_len = b.len;
    post_to_others(owner, make_event_task, e);
    deliver(owner, e, true);
    event_unref(e);
}

/* ------------------------------------------------------------------ attendance */

typedef struct presence_job {
    store_job_t job;
    int64_t live_id, member, joined, left, seconds;
} presence_job_t;

static int presence_write(store_tx_t *tx, void *ud)
{
    presence_job_t *p = ud;
    if (p->member < 0)
        return liveclass_guest_presence(tx, -p->member, p->joined, p->seconds);
    return liveclass_presence_add(tx, p->live_id, p->member, p->joined, p->left, p->seconds);
}

static void presence_done(store_job_t *job)
{
    presence_job_t *p = (presence_job_t *)job;
    if (job->status < 0)
        LOG_WARN("live presence not recorded", "live=%lld member=%lld seconds=%lld status=%d", (long long)p->live_id,
                 (long long)p->member, (long long)p->seconds, job->status);
    free(p);
}

static void record_presence(worker_t *w, int64_t live_id, int64_t member, int64_t joined_ms, int64_t left_ms)
{
    presence_job_t *p = xcalloc(1, sizeof *p);
    p->live_id = live_id;
    p->member = member;
    p->joined = joined_ms / 1000;
    p->left = left_ms / 1000;
    p->seconds = left_ms > joined_ms ? (left_ms - joined_ms) / 1000 : 0;
    p->job.fn = presence_write;
    p->job.ud = p;
    p->job.on_done = presence_done;
    if (store_submit(w->app->store, &p->job) != 0) {
        LOG_WARN("live presence not recorded: store closing", "live=%lld member=%lld", (long long)live_id,
                 (long long)member);
        free(p);
    }
}

/* ------------------------------------------------------------------ the owner */

static void owner_handle(worker_t *owner, room_cmd_t *cmd, unsigned origin, uint64_t conn_id, uint64_t ref)
{
    local_room_t *l = local_get(owner, cmd->room_id);
    if (!l && cmd->kind == ROOM_OPEN) {
        l = local_create(owner, cmd->room_id);
        adopt_orphans(owner, l);
    } else if (l && cmd->kind == ROOM_JOIN && l->media == MEDIA_FAILED) {
        media_create(owner, l);
    } else if (!l) {
        /* Closed since (a leave: nothing to do), or never opened. */
        if (cmd->kind != ROOM_LEAVE)
            origin_reply(owner->app->workers[origin], cmd->kind, ROOM_BAD_VALUE, conn_id, ref);
        return;
    }
    room_member_t *m = room_member(l->room, cmd->actor);
    int64_t joined_ms = m ? m->joined_ms : 0;
    bool was_present = m && m->present;
    room_refusal_t refusal = room_decide(l->room, cmd);
    if (cmd->kind == ROOM_OPEN && refusal == ROOM_ACCEPTED)
        media_create(owner, l);
    if (refusal != ROOM_NOTHING)
        metrics_live_decided(owner->metrics, refusal == ROOM_ACCEPTED);
    if (refusal == ROOM_ACCEPTED) {
        if (cmd->kind == ROOM_LEAVE && was_present)
            record_presence(owner, l->room->id, cmd->actor, joined_ms, cmd->at_ms);
        if (cmd->kind == ROOM_REMOVE) {
            room_member_t *t = room_member(l->room, cmd->target);
            if (t && t->sockets > 0) {
                record_presence(owner, l->room->id, t->id, t->joined_ms, cmd->at_ms);
                t->sockets = 0;
            }
        }
        broadcast(owner, l, cmd, origin, conn_id, ref);
        return;
    }
    if (cmd->kind == ROOM_LEAVE || cmd->kind == ROOM_OPEN)
        return;
    if (cmd->kind == ROOM_KNOCK && refusal == ROOM_NOTHING)
        refusal = room_member(l->room, cmd->actor) ? ROOM_NOTHING : ROOM_WAIT;
    origin_reply(owner->app->workers[origin], cmd->kind, refusal, conn_id, ref);
}

/* ------------------------------------------------------------------ replies */

static void handle_reply(worker_t *w, room_kind_t kind, room_refusal_t refusal, uint64_t conn_id, uint64_t ref)
{
    if (ref) {
        complete_pending(w, ref, refusal);
        return;
    }
    live_room_conn_t *c = conn_get(w, conn_id);
    if (!c || ws_is_closing(c->ws))
        return;
    switch (refusal) {
    case ROOM_WAIT:
        if (kind == ROOM_JOIN) {
            /* A guest not admitted yet: into the lobby. */
            c->state = CONN_WAITING;
            room_cmd_t knock = {0};
            cmd_from_conn(c, &knock, ROOM_KNOCK);
            send_cmd(w, &knock, c->id, 0);
        }
        send_json(c, "{\"type\":\"lobby_wait\"}", 21);
        return;
    case ROOM_REMOVED:
    case ROOM_REFUSED:
    case ROOM_LOCKED:
        if (kind == ROOM_JOIN || kind == ROOM_KNOCK) {
            send_error(c, room_refusal_code(refusal));
            ws_close(c->ws, LIVE_ROOM_CLOSE_OUT, room_refusal_code(refusal));
            return;
        }
        break;
    case ROOM_NOTHING:
        if (kind == ROOM_KNOCK) { /* admitted meanwhile */
            send_join(c);
        } else if (kind == ROOM_JOIN && c->state == CONN_PENDING) {
            /* Another tab: this worker's copy already has the person there (the
             * owner's events reach it before this reply). */
            local_room_t *l = local_get(w, c->room_id);
            if (l) {
                c->state = CONN_IN;
                send_welcome(c, l);
                media_for(c, l);
            }
        }
        return;
    case ROOM_ACCEPTED:
        return;
    case ROOM_NOT_ALLOWED:
    case ROOM_BAD_VALUE:
        break;
    }
    send_error(c, room_refusal_code(refusal));
    if (++c->bad_messages >= LIVE_MAX_BAD_MESSAGES)
        ws_close(c->ws, WS_CLOSE_POLICY, "too many bad messages");
}

static void run_reply(worker_task_t *t)
{
    reply_task_t *rt = (reply_task_t *)t;
    if (rt->worker->rooms.ready)
        handle_reply(rt->worker, rt->kind, rt->refusal, rt->conn_id, rt->ref);
    free(rt);
}

static void origin_reply(worker_t *w, room_kind_t kind, room_refusal_t refusal, uint64_t conn_id, uint64_t ref)
{
    if (!conn_id && !ref)
        return;
    /* Called on the owner's thread: w is the origin worker. */
    reply_task_t *rt = xcalloc(1, sizeof *rt);
    rt->base.run = run_reply;
    rt->worker = w;
    rt->kind = kind;
    rt->refusal = refusal;
    rt->conn_id = conn_id;
    rt->ref = ref;
    worker_post(w, &rt->base);
}

/* ------------------------------------------------------------------ the slow path */

int live_hub_post(request_t *r, const char *title, int64_t ends_at, room_cmd_t *c, live_hub_done_fn done)
{
    worker_t *w = r->worker;
    if (!w->rooms.ready || w->rooms.stopping) {
        room_cmd_clear(c);
        return -1;
    }
    pending_post_t *p = ARENA_NEW(&r->arena, pending_post_t);
    p->ref = ++w->rooms.next_ref;
    p->request = r;
    p->done = done;
    h2o_linklist_insert(&w->rooms.pending, &p->link);
    c->at_ms = (int64_t)clock_now_ms();
    ensure_open(w, c->room_id, title, ends_at);
    send_cmd(w, c, 0, p->ref);
    return 0;
}

void live_hub_send(worker_t *w, const char *title, int64_t ends_at, room_cmd_t *c)
{
    if (!w->rooms.ready || w->rooms.stopping) {
        room_cmd_clear(c);
        return;
    }
    c->at_ms = (int64_t)clock_now_ms();
    ensure_open(w, c->room_id, title, ends_at);
    send_cmd(w, c, 0, 0);
}

/* ------------------------------------------------------------------ sockets */

/* Sockets whose room has no copy on this worker yet wait in hw->orphans until
 * the room's opening event arrives. */
static void adopt_orphans(worker_t *w, local_room_t *l)
{
    h2o_linklist_t *list = &w->rooms.orphans;
    h2o_linklist_t *n = list->next;
    while (n != list) {
        live_room_conn_t *c = H2O_STRUCT_FROM_MEMBER(live_room_conn_t, link, n);
        n = n->next;
        if (c->room_id == l->room->id) {
            h2o_linklist_unlink(&c->link);
            h2o_linklist_insert(&l->conns, &c->link);
        }
    }
}

static void attach(live_room_conn_t *c)
{
    local_room_t *l = local_get(c->worker, c->room_id);
    h2o_linklist_insert(l ? &l->conns : &c->worker->rooms.orphans, &c->link);
}

static void on_text(ws_conn_t *ws, void *data, str_t text)
{
    live_room_conn_t *c = data;
    const char *code;
    if (!live_rate_take(&c->rate, h2o_now(c->worker->ctx.loop))) {
        code = "rate_limited";
    } else {
        room_cmd_t cmd = {0};
        bool ping = false;
        code = room_parse(text.ptr, text.len, &cmd, &ping);
        if (!code && ping) {
            ws_send_text(ws, STR("{\"type\":\"pong\"}"));
            return;
        }
        if (!code && c->state != CONN_IN) {
            room_cmd_clear(&cmd);
            code = c->state == CONN_WAITING ? "lobby_wait" : "not_yet";
        } else if (!code) {
            room_kind_t kind = cmd.kind;
            cmd_from_conn(c, &cmd, kind);
            send_cmd(c->worker, &cmd, c->id, 0);
            return;
        }
    }
    send_error(c, code);
    if (++c->bad_messages >= LIVE_MAX_BAD_MESSAGES)
        ws_close(ws, WS_CLOSE_POLICY, "too many bad messages");
}

static void on_close(ws_conn_t *ws, void *data)
{
    (void)ws;
    live_room_conn_t *c = data;
    worker_t *w = c->worker;
    if (c->state != CONN_WAITING && w->rooms.ready) {
        room_cmd_t cmd = {0};
        cmd_from_conn(c, &cmd, ROOM_LEAVE);
        send_cmd(w, &cmd, 0, 0);
    }
    if (c->token[0] && w->app->janus && w->rooms.ready)
        janus_remove_token(w->app->janus, (uint64_t)c->room_id, c->token, caller(w, NULL, NULL));
    h2o_linklist_unlink(&c->link);
    u64map_erase(&w->rooms.conns, c->id);
    w->rooms.sockets--;
    metrics_live_sockets(w->metrics, -1);
    free(c->title);
    free(c);
}

static const ws_handlers_t handlers = {.on_text = on_text, .on_close = on_close};

int live_hub_identify(request_t *r, const live_class_t *lc, live_who_t *who)
{
    memset(who, 0, sizeof *who);
    const principal_t *p = request_principal(r);
    if (p) {
        policy_target_t t = policy_target_of_teaching(&lc->teaching);
        bool host = policy_allows(p, POLICY_LIVE_HOST, &t);
        if (host || policy_allows(p, POLICY_LIVE_JOIN, &t)) {
            who->role = host ? ROOM_HOST : ROOM_PARTICIPANT;
            who->member = p->person_id;
            who->is_person = true;
            who->session = *request_session(r);
            who->expires_at = who->session.expires_at;
            buf_t b;
            buf_init(&b, &r->arena, 96);
            buf_append_str(&b, p->first_name);
            buf_putc(&b, ' ');
            buf_append_str(&b, p->last_name);
            /* A parent (neither host nor pupil here) says whose parent they are. */
            const learner_t *self = principal_learner(p, p->person_id);
            if (!host && !(self && learner_in(self, lc->teaching.class_id, lc->teaching.group_id)))
                for (int i = 0; i < p->nchildren; i++) {
                    const learner_t *lr = principal_learner(p, p->children[i].person.id);
                    if (lr && learner_in(lr, lc->teaching.class_id, lc->teaching.group_id)) {
                        str_t cf = p->children[i].person.first_name;
                        const char *args[1] = {arena_strndup(&r->arena, cf.ptr, cf.len)};
                        buf_putc(&b, ' ');
                        i18n_format(&b, (lang_id_t)r->app->default_lang, MSG_live_parent_of, args, 1);
                        break;
                    }
                }
            room_name_copy(who->name, b.data, b.len);
            return 1;
        }
    }
    live_guest_token_t g;
    if (liveclass_guest_token_check(app_session_keys(r->app), request_cookie(r, "lg"), clock_now(), &g) &&
        g.live_id == lc->id) {
        str_t name;
        int rc = liveclass_guest_name(STORE_READER(r->worker->store_reader), &r->arena, lc->id, g.guest_id, &name);
        if (rc != 1)
            return rc;
        who->role = ROOM_GUEST;
        who->member = -g.guest_id;
        who->expires_at = g.expires_at;
        room_name_copy(who->name, name.ptr, name.len);
        return 1;
    }
    return 0;
}

int live_hub_load_class(request_t *r, live_class_t *lc)
{
    int rc = liveclass_get(STORE_READER(r->worker->store_reader), &r->arena, request_param_int(r, "id"), lc);
    if (rc < 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
    else if (rc == 0)
        respond_error(r, 404, MSG_error_not_found, NULL);
    return rc == 1;
}

static void room_socket(request_t *r)
{
    worker_t *w = r->worker;
    live_class_t lc;
    if (!live_hub_load_class(r, &lc))
        return;
    live_who_t who;
    int rc = live_hub_identify(r, &lc, &who);
    if (rc != 1) {
        if (rc < 0)
            respond_error(r, 503, MSG_error_unavailable, NULL);
        else if (!request_principal(r))
            respond_error(r, 401, MSG_error_not_signed_in, NULL);
        else
            respond_forbidden(r);
        return;
    }
    h2o_req_t *req = r->h2o;
    if (!ws_origin_allowed(request_header(r, "origin"), str_make(req->authority.base, req->authority.len))) {
        respond_error(r, 403, MSG_live_cross_site, NULL);
        return;
    }
    const config_t *cfg = r->app->config;
    if (!live_joinable_now(cfg, &lc, clock_now())) {
        respond_error(r, 409, lc.cancelled_at ? MSG_live_room_cancelled : MSG_live_room_not_open, NULL);
        return;
    }
    if (!ws_is_handshake(r)) {
        ws_accept(r, &handlers, NULL); /* answers 426 */
        return;
    }
    if (!w->rooms.ready || w->rooms.stopping) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    live_room_conn_t *c = xcalloc(1, sizeof *c);
    c->member = who.member;
    c->role = who.role;
    memcpy(c->name, who.name, sizeof c->name);
    c->is_person = who.is_person;
    c->session = who.session;
    c->expires_at = who.expires_at;
    c->worker = w;
    c->room_id = lc.id;
    c->ends_at = lc.ends_at;
    c->title = xmalloc(lc.title.len + 1);
    memcpy(c->title, lc.title.ptr, lc.title.len);
    c->title[lc.title.len] = '\0';
    live_rate_init(&c->rate, h2o_now(w->ctx.loop));
    ws_conn_t *ws = ws_accept(r, &handlers, c);
    if (!ws) {
        free(c->title);
        free(c);
        return;
    }
    c->ws = ws;
    c->id = ++w->rooms.next_conn_id;
    u64map_put(&w->rooms.conns, c->id, (uint64_t)(uintptr_t)c);
    w->rooms.sockets++;
    metrics_live_sockets(w->metrics, 1);
    attach(c);
    send_join(c);
}

/* ------------------------------------------------------------------ the sweep */

static void close_idle_rooms(worker_t *w, int64_t now_ms)
{
    const config_t *cfg = w->app->config;
    /* Collect first: closing frees entries of the map being walked. */
    size_t n = 0, cap = 0;
    local_room_t **idle = NULL;
    for (size_t i = 0; i < w->rooms.rooms.cap; i++) {
        if (!w->rooms.rooms.keys[i])
            continue;
        local_room_t *l = (local_room_t *)(uintptr_t)w->rooms.rooms.values[i];
        if (owner_of(w, l->room->id) != w || l->room->present || l->room->nlobby)
            continue;
        bool over = now_ms / 1000 > l->room->ends_at + live_join_late_s(cfg);
        if (over || now_ms - l->last_event_ms > LIVE_ROOM_IDLE_MS) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                idle = xrealloc(idle, cap * sizeof *idle);
            }
            idle[n++] = l;
        }
    }
    for (size_t i = 0; i < n; i++) {
        room_cmd_t close = {.kind = ROOM_CLOSE, .room_id = idle[i]->room->id, .at_ms = now_ms};
        if (room_decide(idle[i]->room, &close) == ROOM_ACCEPTED)
            broadcast(w, idle[i], &close, w->index, 0, 0);
        room_cmd_clear(&close);
    }
    free(idle);
}

static void on_sweep(h2o_timeout_entry_t *entry)
{
    live_hub_worker_t *hw = (live_hub_worker_t *)((char *)entry - offsetof(live_hub_worker_t, sweep_entry));
    worker_t *w = (worker_t *)((char *)hw - offsetof(worker_t, rooms));
    int64_t now = clock_now();
    bool sessions_known = hw->sockets && revocations_refresh(&w->revocations, w->app->store, w->store_reader, now) == 0;
    for (size_t i = 0; i < hw->conns.cap; i++) {
        if (!hw->conns.keys[i])
            continue;
        live_room_conn_t *c = (live_room_conn_t *)(uintptr_t)hw->conns.values[i];
        if (ws_is_closing(c->ws))
            continue;
        if (c->expires_at <= now)
            ws_close(c->ws, LIVE_CLOSE_RECHECK, "session expired");
        else if (c->is_person && sessions_known && session_revoked(&w->revocations, &c->session))
            ws_close(c->ws, LIVE_CLOSE_SIGNED_OUT, "signed out");
    }
    close_idle_rooms(w, (int64_t)clock_now_ms());
    if (!hw->stopping)
        h2o_timeout_link(w->ctx.loop, &hw->sweep, &hw->sweep_entry);
}

/* ------------------------------------------------------------------ worker */

void live_hub_worker_init(worker_t *w)
{
    live_hub_worker_t *hw = &w->rooms;
    memset(hw, 0, sizeof *hw);
    u64map_init(&hw->rooms);
    u64map_init(&hw->conns);
    h2o_linklist_init_anchor(&hw->pending);
    h2o_linklist_init_anchor(&hw->orphans);
    h2o_timeout_init(w->ctx.loop, &hw->sweep, LIVE_ROOM_SWEEP_MS);
    hw->sweep_entry.cb = on_sweep;
    h2o_timeout_link(w->ctx.loop, &hw->sweep, &hw->sweep_entry);
    hw->ready = true;
}

void live_hub_worker_shutdown(worker_t *w)
{
    live_hub_worker_t *hw = &w->rooms;
    hw->stopping = true;
    if (h2o_timeout_is_linked(&hw->sweep_entry))
        h2o_timeout_unlink(&hw->sweep_entry);
    /* Slow-path requests still waiting are answered now rather than cut. */
    while (!h2o_linklist_is_empty(&hw->pending)) {
        pending_post_t *p = H2O_STRUCT_FROM_MEMBER(pending_post_t, link, hw->pending.next);
        h2o_linklist_unlink(&p->link);
        p->done(p->request, ROOM_BAD_VALUE);
    }
}

void live_hub_worker_dispose(worker_t *w)
{
    live_hub_worker_t *hw = &w->rooms;
    if (!hw->ready)
        return;
    hw->ready = false;
    if (h2o_timeout_is_linked(&hw->sweep_entry))
        h2o_timeout_unlink(&hw->sweep_entry);
    h2o_timeout_dispose(w->ctx.loop, &hw->sweep);
    for (size_t i = 0; i < hw->rooms.cap; i++)
        if (hw->rooms.keys[i]) {
            local_room_t *l = (local_room_t *)(uintptr_t)hw->rooms.values[i];
            while (!h2o_linklist_is_empty(&l->conns))
                h2o_linklist_unlink(l->conns.next);
            room_free(l->room);
            free(l);
        }
    u64map_dispose(&hw->rooms);
    u64map_dispose(&hw->conns);
}

void live_hub_drain(worker_t *w)
{
    /* Every thread has ended: what other workers posted after this one stopped
     * reading is still in its receiver. Only the hub's own tasks are freed here. */
    h2o_linklist_t *list = &w->tasks._messages;
    h2o_linklist_t *n = list->next;
    while (n != list) {
        worker_task_t *t = H2O_STRUCT_FROM_MEMBER(worker_task_t, message.link, n);
        n = n->next;
        if (t->run == run_event) {
            h2o_linklist_unlink(&t->message.link);
            event_unref(((event_task_t *)t)->event);
            free(t);
        } else if (t->run == run_cmd) {
            h2o_linklist_unlink(&t->message.link);
            room_cmd_clear(&((cmd_task_t *)t)->cmd);
            free(t);
        } else if (t->run == run_reply || t->run == run_media) {
            h2o_linklist_unlink(&t->message.link);
            free(t);
        } else if (janus_task_is_reply(t)) {
            /* Its completion sees the hub disposed and only frees what it holds. */
            h2o_linklist_unlink(&t->message.link);
            t->run(t);
        }
    }
}

int live_hub_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/live/{id:int}/socket", HANDLER(room_socket), NULL, ROUTE_OPEN, err, errlen))
        return -1;
    return 0;
}
