/* Live-class pages: the list and the scheduling form, the room as a plain page
 * (chat, who is there, the lobby for hosts: everything works without
 * JavaScript; liveclass.js adds the live room and media), the guest's way in,
 * and the attendance report that feeds the roll call. Who may do what comes
 * from policy through live_hub_identify; the room's state from this worker's
 * copy (live/hub.h). */
#include "web/liveclass.h"

#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/attendance.h"
#include "domain/directory.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "live/hub.h"
#include "web/page.h"
#include "web/schoolday.h"
#include "web/template.h"

#define LIST_DAYS 30

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

static const char *msg(request_t *r, msg_id_t id)
{
    return i18n_text((lang_id_t)r->lang, id);
}

static const char *fmt(request_t *r, msg_id_t id, const char **args, size_t n)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    i18n_format(&b, (lang_id_t)r->lang, id, args, n);
    return b.data;
}

msg_id_t liveclass_problem_msg(live_problem_t p)
{
    switch (p) {
    case LIVE_TITLE_EMPTY: return MSG_liveclass_error_title_empty;
    case LIVE_TITLE_TOO_LONG: return MSG_liveclass_error_title_too_long;
    case LIVE_BAD_TEXT: return MSG_liveclass_error_bad_text;
    case LIVE_BAD_TIME: return MSG_liveclass_error_bad_time;
    case LIVE_BAD_LENGTH: return MSG_liveclass_error_bad_length;
    case LIVE_BAD_SLOT: return MSG_liveclass_error_bad_slot;
    case LIVE_GUEST_NAME_EMPTY: return MSG_liveclass_error_name_empty;
    case LIVE_GUEST_NAME_TOO_LONG: return MSG_liveclass_error_name_too_long;
    case LIVE_OK: break;
    }
    return MSG_error_bad_input;
}

static const char *clock_label(request_t *r, int64_t at_ms)
{
    return arena_printf(&r->arena, "%02d:%02d", clock_local_minutes(at_ms / 1000) / 60,
                        clock_local_minutes(at_ms / 1000) % 60);
}

static const char *when_label(request_t *r, const live_class_t *lc)
{
    const char *args[3] = {day_label(r, date_of_instant(lc->starts_at)), clock_label(r, lc->starts_at * 1000),
                           clock_label(r, lc->ends_at * 1000)};
    return fmt(r, MSG_liveclass_when, args, 3);
}

/* Who this is for the room: 1, or 0 with the answer sent (sign in, 403). */
static int who_or_answer(request_t *r, const live_class_t *lc, live_who_t *who)
{
    int rc = live_hub_identify(r, lc, who);
    if (rc == 1)
        return 1;
    if (rc < 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
    else if (!request_principal(r))
        request_require_principal(r); /* to the sign-in page, and back here */
    else
        respond_forbidden(r);
    return 0;
}

/* ------------------------------------------------------------------ the list */

typedef struct sched_form {
    str_t title, day, start, minutes;
    int64_t teaching_id, slot_id;
} sched_form_t;

/* The teachings this person may host live classes for. */
static int host_teachings(request_t *r, const principal_t *p, teaching_t **out)
{
    teaching_t *t;
    int n = teaching_of_teacher(STORE_READER(reader(r)), &r->arena, p->person_id, &t);
    if (n < 0)
        return n;
    int k = 0;
    for (int i = 0; i < n; i++) {
        policy_target_t tg = policy_target_of_teaching(&t[i]);
        if (policy_allows(p, POLICY_LIVE_HOST, &tg))
            t[k++] = t[i];
    }
    *out = t;
    return k;
}

int liveclass_for_person(request_t *r, const principal_t *p, live_class_t **out, teaching_t **hosted, int *nhosted)
{
    int nh = host_teachings(r, p, hosted);
    if (nh < 0)
        return nh;
    *nhosted = nh;
    /* Every teaching whose live classes this person sees: hosted, and followed. */
    int cap = nh + 32, n = 0;
    int64_t *ids = ARENA_ARRAY(&r->arena, int64_t, (size_t)cap);
    for (int i = 0; i < nh; i++)
        ids[n++] = (*hosted)[i].id;
    for (int i = 0; i < p->nlearners; i++) {
        const learner_t *l = &p->learners[i];
        teaching_t *t;
        int nt = teaching_of_pupil(STORE_READER(reader(r)), &r->arena, l->class_id, l->groups, l->ngroups, &t);
        if (nt < 0)
            return nt;
        for (int k = 0; k < nt; k++) {
            if (n == cap) {
                int64_t *grown = ARENA_ARRAY(&r->arena, int64_t, (size_t)cap * 2);
                memcpy(grown, ids, sizeof *ids * (size_t)n);
                ids = grown;
                cap *= 2;
            }
            ids[n++] = t[k].id;
        }
    }
    int64_t now = clock_now();
    return liveclass_of_teachings(STORE_READER(reader(r)), &r->arena, ids, n, now - live_join_late_s(r->app->config),
                                  now + LIST_DAYS * 24 * 3600, out);
}

static void render_list(request_t *r, const principal_t *p, int status, const sched_form_t *f, const char *error)
{
    live_class_t *lc;
    teaching_t *hosted;
    int nh = 0;
    int nl = liveclass_for_person(r, p, &lc, &hosted, &nh);
    if (nl < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_t *list = value_set_list(v, "live");
    for (int i = 0; i < nl; i++)
        value_push(list, live_class_value(r, &lc[i]));
    if (nh > 0) {
        value_t *tl = value_set_list(v, "teachings");
        int64_t chosen = f ? f->teaching_id : 0;
        for (int i = 0; i < nh; i++) {
            value_t *m = value_map(&r->arena);
            value_set_int(m, "id", hosted[i].id);
            value_set_str(m, "subject", hosted[i].subject_name);
            value_set_str(m, "target", hosted[i].target_name);
            value_set_bool(m, "selected", hosted[i].id == chosen);
            value_push(tl, m);
        }
        value_t *fm = value_set_map(v, "form");
        char today[11];
        date_format_iso(date_today(), today);
        value_set_str(fm, "title", f && f->title.ptr ? f->title : STR(""));
        value_set_cstr(fm, "day", arena_strndup(&r->arena, f && f->day.len ? f->day.ptr : today,
                                                f && f->day.len ? f->day.len : strlen(today)));
        value_set_str(fm, "start", f && f->start.ptr ? f->start : STR(""));
        value_set_str(fm, "minutes", f && f->minutes.len ? f->minutes : STR("55"));
        if (f && f->slot_id)
            value_set_int(fm, "slot", f->slot_id);
    }
    if (error)
        value_set_cstr(v, "error", error);
    page_render(r, status, TPL_liveclass_list, v);
}

static void read_form_fields(sched_form_t *f, str_t teaching, str_t slot)
{
    int64_t id = 0;
    if (teaching.ptr && str_to_i64(teaching, &id) && id > 0)
        f->teaching_id = id;
    if (slot.ptr && slot.len && str_to_i64(slot, &id) && id > 0)
        f->slot_id = id;
}

static void live_list_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    /* Prefilled from a timetable slot: ?teaching=&slot=&day=&start=&minutes= */
    sched_form_t f = {.day = request_query(r, "day"), .start = request_query(r, "start"),
                      .minutes = request_query(r, "minutes"), .title = request_query(r, "title")};
    read_form_fields(&f, request_query(r, "teaching"), request_query(r, "slot"));
    render_list(r, p, 200, &f, NULL);
}

typedef struct sched_job {
    live_draft_t draft;
    teaching_t teaching;
    sched_form_t form;
    int64_t id;
    live_problem_t problem;
} sched_job_t;

static int sched_write(store_tx_t *tx, void *ud)
{
    sched_job_t *j = ud;
    return liveclass_schedule(tx, &j->draft, &j->teaching, &j->id, &j->problem);
}

static void sched_written(request_t *r, void *ud, int status)
{
    sched_job_t *j = ud;
    if (status == LIVE_INVALID) {
        render_list(r, r->principal, 400, &j->form, msg(r, liveclass_problem_msg(j->problem)));
        return;
    }
    if (status < 0) {
        render_list(r, r->principal, 503, &j->form, msg(r, MSG_error_unavailable));
        return;
    }
    LOG_INFO("live class scheduled", "live=%lld teaching=%lld starts=%lld by=%lld", (long long)j->id,
             (long long)j->teaching.id, (long long)j->draft.starts_at, (long long)j->draft.by);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/live/%lld?scheduled=1", (long long)j->id)));
}

/* Reads and checks a scheduling request (form or API): 1 ready (j filled), or 0
 * with the problem in *problem / *status (403, 503). */
int liveclass_prepare(request_t *r, const principal_t *p, int64_t teaching_id, live_draft_t *d, teaching_t *t,
                      int *status)
{
    int rc = teaching_id > 0 ? teaching_get(STORE_READER(reader(r)), &r->arena, teaching_id, t) : 0;
    if (rc < 0) {
        *status = 503;
        return 0;
    }
    policy_target_t tg = rc == 1 ? policy_target_of_teaching(t) : (policy_target_t){0};
    if (rc == 0 || !policy_allows(p, POLICY_LIVE_HOST, &tg)) {
        *status = 403;
        return 0;
    }
    d->teaching_id = t->id;
    d->by = p->person_id;
    d->now = clock_now();
    return 1;
}

static void live_schedule_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *form = request_form(r);
    if (!form)
        return;
    sched_job_t *j = ARENA_NEW(&r->arena, sched_job_t);
    sched_form_t *f = &j->form;
    f->title = form_get(form, "title");
    f->day = form_get(form, "day");
    f->start = form_get(form, "start");
    f->minutes = form_get(form, "minutes");
    read_form_fields(f, form_get(form, "teaching"), form_get(form, "slot"));
    int status = 0;
    if (!liveclass_prepare(r, p, f->teaching_id, &j->draft, &j->teaching, &status)) {
        render_list(r, p, status, f, msg(r, status == 403 ? MSG_liveclass_error_bad_teaching : MSG_error_unavailable));
        return;
    }
    date_t day;
    int start = f->start.ptr ? timetable_parse_time(f->start) : -1;
    int64_t minutes = 0;
    if (!f->day.ptr || !date_parse_iso(f->day, &day) || start < 0) {
        render_list(r, p, 400, f, msg(r, MSG_liveclass_error_bad_time));
        return;
    }
    if (!f->minutes.ptr || !str_to_i64(f->minutes, &minutes) || minutes < 0 || minutes > 100000) {
        render_list(r, p, 400, f, msg(r, MSG_liveclass_error_bad_length));
        return;
    }
    j->draft.title = f->title.ptr ? f->title : STR("");
    j->draft.starts_at = date_local_instant(day, start);
    j->draft.minutes = (int)minutes;
    j->draft.slot_id = f->slot_id;
    live_problem_t problem = liveclass_check(&j->draft);
    if (problem != LIVE_OK) {
        render_list(r, p, 400, f, msg(r, liveclass_problem_msg(problem)));
        return;
    }
    if (request_store_write(r, sched_write, j, sched_written) != 0)
        render_list(r, p, 503, f, msg(r, MSG_error_unavailable));
}

/* ------------------------------------------------------------------ the room */

static void render_room(request_t *r, const live_class_t *lc, const live_who_t *who, int status, const char *error,
                        str_t draft, bool draft_to_hosts)
{
    value_t *v = value_map(&r->arena);
    value_t *rv = value_set_map(v, "room");
    value_set_int(rv, "id", lc->id);
    value_set_str(rv, "title", lc->title);
    value_set_str(rv, "subject", lc->teaching.subject_name);
    value_set_str(rv, "target", lc->teaching.target_name);
    value_set_cstr(rv, "when", when_label(r, lc));
    value_t *yv = value_set_map(v, "you");
    value_set_int(yv, "id", who->member);
    value_set_cstr(yv, "role", room_role_code(who->role));
    bool host = who->role == ROOM_HOST;
    value_set_bool(v, "host", host);
    value_set_bool(v, "media", r->app->janus != NULL);
    value_set_bool(v, "scheduled", request_query(r, "scheduled").ptr != NULL);
    value_set_bool(v, "sent", request_query(r, "sent").ptr != NULL);
    if (error)
        value_set_cstr(v, "error", error);
    value_set_str(v, "draft", draft.ptr ? draft : STR(""));
    value_set_bool(v, "draft_to_hosts", draft_to_hosts);
    int64_t now = clock_now();
    bool joinable = live_joinable_now(r->app->config, lc, now);
    value_set_bool(v, "can_cancel", host && !lc->cancelled_at && now < lc->ends_at);
    if (lc->cancelled_at) {
        value_set_bool(v, "cancelled", true);
    } else if (!joinable && now >= lc->ends_at) {
        value_set_bool(v, "over", true);
    } else if (!joinable) {
        int64_t opens = lc->starts_at - live_join_early_s(r->app->config);
        const char *args[2] = {day_label(r, date_of_instant(opens)), clock_label(r, opens * 1000)};
        value_set_cstr(v, "opens_label", fmt(r, MSG_liveclass_opens_at, args, 2));
    }
    const room_t *room = live_hub_room(r->worker, lc->id);
    bool admitted = who->role != ROOM_GUEST || (room && room_member(room, who->member));
    if (joinable && !admitted) {
        value_set_bool(v, "waiting", true);
    } else if (joinable) {
        value_set_bool(v, "open", true);
        value_set_int(v, "present", room ? (int64_t)room->present : 0);
        value_t *pl = value_set_list(v, "participants");
        value_t *cl = value_set_list(v, "chat");
        if (room) {
            for (size_t i = 0; i < room->nmembers; i++) {
                const room_member_t *m = &room->members[i];
                if (!m->present)
                    continue;
                value_t *mv = value_map(&r->arena);
                value_set_int(mv, "id", m->id);
                value_set_cstr(mv, "name", m->name);
                value_set_bool(mv, "hand", m->hand);
                value_push(pl, mv);
            }
            size_t start = (room->chat_next + ROOM_CHAT_KEEP - room->nchat) % ROOM_CHAT_KEEP;
            for (size_t k = 0; k < room->nchat; k++) {
                const room_chat_line_t *l = &room->chat[(start + k) % ROOM_CHAT_KEEP];
                if (l->to_hosts && !host && l->from != who->member)
                    continue;
                value_t *cv = value_map(&r->arena);
                value_set_cstr(cv, "from", l->from_name);
                value_set_cstr(cv, "text", l->text);
                value_set_bool(cv, "to_hosts", l->to_hosts);
                value_set_cstr(cv, "at", clock_label(r, l->at_ms));
                value_push(cl, cv);
            }
            if (room->poll_id) {
                value_t *pv = value_set_map(v, "poll");
                value_set_cstr(pv, "question", room->question);
                value_set_bool(pv, "closed", !room->poll_open);
                value_t *chl = value_set_list(pv, "choices");
                for (int i = 0; i < room->nchoices; i++) {
                    value_t *c = value_map(&r->arena);
                    value_set_cstr(c, "label", room->choices[i]);
                    value_set_int(c, "count", room->counts[i]);
                    value_push(chl, c);
                }
            }
            if (room->note && room->note[0])
                value_set_cstr(v, "note", room->note);
            value_set_bool(v, "locked", room->locked);
        }
        if (host) {
            value_t *ll = value_set_list(v, "lobby");
            for (size_t i = 0; room && i < room->nlobby; i++) {
                value_t *g = value_map(&r->arena);
                value_set_int(g, "id", room->lobby[i].id);
                value_set_cstr(g, "name", room->lobby[i].name);
                value_set_int(g, "room_id", lc->id);
                value_push(ll, g);
            }
        }
    }
    if (host) {
        str_t base = str_from(r->app->config->public_url);
        value_set_cstr(v, "guest_url", arena_printf(&r->arena, "%.*s/live/guest/%.*s", (int)base.len, base.ptr,
                                                    (int)lc->guest_key.len, lc->guest_key.ptr));
    }
    page_render(r, status, TPL_liveclass_room, v);
}

static void live_room_page(request_t *r)
{
    live_class_t lc;
    live_who_t who;
    if (!live_hub_load_class(r, &lc) || !who_or_answer(r, &lc, &who))
        return;
    /* A guest's page knocks for them (the socket does the same with JavaScript). */
    if (who.role == ROOM_GUEST && live_joinable_now(r->app->config, &lc, clock_now())) {
        const room_t *room = live_hub_room(r->worker, lc.id);
        if (!room || (!room_member(room, who.member) && !room_in_lobby(room, who.member))) {
            if (room && room_guest_refused(room, who.member)) {
                respond_error(r, 403, MSG_liveclass_guest_refused, NULL);
                return;
            }
            room_cmd_t knock = {.kind = ROOM_KNOCK, .room_id = lc.id, .actor = who.member, .role = ROOM_GUEST};
            memcpy(knock.name, who.name, sizeof knock.name);
            char *title = arena_strndup(&r->arena, lc.title.ptr, lc.title.len);
            live_hub_send(r->worker, title, lc.ends_at, &knock);
        }
    }
    render_room(r, &lc, &who, 200, NULL, STR_NULL, false);
}

/* ---- the slow path: a chat message or a host's action from a plain form ---- */

typedef struct post_ctx {
    live_class_t lc;
    live_who_t who;
    str_t text;
    bool to_hosts;
    const char *back; /* where to go once done */
} post_ctx_t;

static post_ctx_t *post_ctx_of(request_t *r)
{
    return (post_ctx_t *)r->ctx;
}

static msg_id_t refusal_msg(room_refusal_t refusal)
{
    switch (refusal) {
    case ROOM_NOT_ALLOWED: return MSG_liveclass_error_not_allowed;
    case ROOM_REMOVED: return MSG_liveclass_error_removed;
    case ROOM_REFUSED: return MSG_liveclass_guest_refused;
    case ROOM_LOCKED: return MSG_liveclass_guest_locked;
    case ROOM_BAD_VALUE: return MSG_liveclass_error_closed;
    default: break;
    }
    return MSG_error_bad_input;
}

static void post_done(request_t *r, room_refusal_t refusal)
{
    post_ctx_t *c = post_ctx_of(r);
    if (refusal == ROOM_ACCEPTED || refusal == ROOM_NOTHING) {
        respond_redirect(r, 303, str_from(c->back));
        return;
    }
    /* Refused: the page again, with the text handed back. */
    render_room(r, &c->lc, &c->who, refusal == ROOM_BAD_VALUE ? 409 : 403, msg(r, refusal_msg(refusal)), c->text,
                c->to_hosts);
}

static post_ctx_t *post_begin(request_t *r, form_t **form)
{
    post_ctx_t *c = ARENA_NEW(&r->arena, post_ctx_t);
    if (!live_hub_load_class(r, &c->lc) || !who_or_answer(r, &c->lc, &c->who))
        return NULL;
    *form = request_form(r);
    if (!*form)
        return NULL;
    r->ctx = c;
    c->back = arena_printf(&r->arena, "/live/%lld", (long long)c->lc.id);
    if (!live_joinable_now(r->app->config, &c->lc, clock_now())) {
        str_t text = form_get(*form, "text");
        render_room(r, &c->lc, &c->who, 409, msg(r, MSG_liveclass_error_closed), text, false);
        return NULL;
    }
    return c;
}

static void post_send(request_t *r, post_ctx_t *c, room_cmd_t *cmd)
{
    cmd->room_id = c->lc.id;
    cmd->actor = c->who.member;
    cmd->role = c->who.role;
    memcpy(cmd->name, c->who.name, sizeof cmd->name);
    char *title = arena_strndup(&r->arena, c->lc.title.ptr, c->lc.title.len);
    if (live_hub_post(r, title, c->lc.ends_at, cmd, post_done) != 0)
        render_room(r, &c->lc, &c->who, 503, msg(r, MSG_error_unavailable), c->text, c->to_hosts);
}

static void live_chat_submit(request_t *r)
{
    form_t *form;
    post_ctx_t *c = post_begin(r, &form);
    if (!c)
        return;
    str_t text = form_get(form, "text"), to = form_get(form, "to");
    c->text = text.ptr ? text : STR("");
    c->to_hosts = to.ptr && str_eq_cstr(to, "hosts");
    if (to.ptr && !c->to_hosts && !str_eq_cstr(to, "all")) {
        render_room(r, &c->lc, &c->who, 400, msg(r, MSG_error_bad_input), c->text, false);
        return;
    }
    if (text_check(c->text.ptr, c->text.len) != TEXT_OK || str_is_blank(c->text) ||
        utf8_length(c->text.ptr, c->text.len) > ROOM_CHAT_MAX_CHARS) {
        render_room(r, &c->lc, &c->who, 400, msg(r, MSG_liveclass_error_chat), c->text, c->to_hosts);
        return;
    }
    room_cmd_t cmd = {.kind = ROOM_CHAT, .flag = c->to_hosts};
    room_cmd_set_text(&cmd, c->text.ptr, c->text.len);
    c->back = arena_printf(&r->arena, "/live/%lld?sent=1#chat", (long long)c->lc.id);
    post_send(r, c, &cmd);
}

static void live_host_submit(request_t *r)
{
    form_t *form;
    post_ctx_t *c = post_begin(r, &form);
    if (!c)
        return;
    c->text = STR("");
    str_t action = form_get(form, "action");
    room_cmd_t cmd = {0};
    int64_t guest = 0;
    str_t g = form_get(form, "guest");
    if (g.ptr && !str_to_i64(g, &guest))
        guest = 0;
    if (action.ptr && (str_eq_cstr(action, "admit") || str_eq_cstr(action, "refuse")) && guest < 0) {
        cmd.kind = str_eq_cstr(action, "admit") ? ROOM_ADMIT : ROOM_REFUSE;
        cmd.target = guest;
    } else if (action.ptr && (str_eq_cstr(action, "lock") || str_eq_cstr(action, "unlock"))) {
        cmd.kind = ROOM_LOCK;
        cmd.flag = str_eq_cstr(action, "lock");
    } else if (action.ptr && str_eq_cstr(action, "mute_all")) {
        cmd.kind = ROOM_MUTE_ALL;
    } else {
        render_room(r, &c->lc, &c->who, 400, msg(r, MSG_error_bad_input), STR_NULL, false);
        return;
    }
    post_send(r, c, &cmd);
}

/* ---- cancelling ---- */

typedef struct cancel_job {
    live_class_t lc;
} cancel_job_t;

static int cancel_write(store_tx_t *tx, void *ud)
{
    return liveclass_cancel(tx, &((cancel_job_t *)ud)->lc, clock_now());
}

static void cancel_written(request_t *r, void *ud, int status)
{
    cancel_job_t *j = ud;
    if (status < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return;
    }
    LOG_INFO("live class cancelled", "live=%lld by=%lld", (long long)j->lc.id, (long long)r->principal->person_id);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/live/%lld", (long long)j->lc.id)));
}

static void live_cancel_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    cancel_job_t *j = ARENA_NEW(&r->arena, cancel_job_t);
    if (!live_hub_load_class(r, &j->lc) || !request_form(r))
        return;
    policy_target_t t = policy_target_of_teaching(&j->lc.teaching);
    if (!policy_allows(p, POLICY_LIVE_HOST, &t)) {
        respond_forbidden(r);
        return;
    }
    if (request_store_write(r, cancel_write, j, cancel_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ---- attendance ---- */

typedef struct attendance_view {
    person_t *roster;
    int nroster;
    live_presence_t *presence;
    int npresence;
} attendance_view_t;

static const live_presence_t *presence_of(const attendance_view_t *a, int64_t person)
{
    for (int i = 0; i < a->npresence; i++)
        if (a->presence[i].person_id == person)
            return &a->presence[i];
    return NULL;
}

/* The host's view of a live class's attendance: 1, or 0 answered. */
static int attendance_load(request_t *r, live_class_t *lc, attendance_view_t *a)
{
    const principal_t *p = request_require_principal(r);
    if (!p || !live_hub_load_class(r, lc))
        return 0;
    policy_target_t t = policy_target_of_teaching(&lc->teaching);
    if (!policy_allows(p, POLICY_LIVE_HOST, &t)) {
        respond_forbidden(r);
        return 0;
    }
    a->nroster = attendance_roster(STORE_READER(reader(r)), &r->arena, &lc->teaching, date_of_instant(lc->starts_at),
                                   &a->roster);
    a->npresence = liveclass_presence_list(STORE_READER(reader(r)), &r->arena, lc->id, &a->presence);
    if (a->nroster < 0 || a->npresence < 0) {
        respond_error(r, 503, MSG_error_unavailable, NULL);
        return 0;
    }
    return 1;
}

static void live_attendance_page(request_t *r)
{
    live_class_t lc;
    attendance_view_t a;
    if (!attendance_load(r, &lc, &a))
        return;
    value_t *v = value_map(&r->arena);
    value_t *rv = value_set_map(v, "room");
    value_set_int(rv, "id", lc.id);
    value_set_str(rv, "title", lc.title);
    value_set_str(rv, "subject", lc.teaching.subject_name);
    value_set_str(rv, "target", lc.teaching.target_name);
    value_set_cstr(rv, "when", when_label(r, &lc));
    value_t *pl = value_set_list(v, "pupils");
    for (int i = 0; i < a.nroster; i++) {
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "name", arena_printf(&r->arena, "%.*s %.*s", (int)a.roster[i].last_name.len,
                                               a.roster[i].last_name.ptr, (int)a.roster[i].first_name.len,
                                               a.roster[i].first_name.ptr));
        const live_presence_t *lp = presence_of(&a, a.roster[i].id);
        value_set_bool(m, "came", lp != NULL);
        if (lp) {
            value_set_cstr(m, "joined", clock_label(r, lp->first_joined_at * 1000));
            value_set_int(m, "minutes", (lp->seconds + 59) / 60);
        }
        value_push(pl, m);
    }
    value_t *ol = value_set_list(v, "others");
    int nothers = 0;
    for (int i = 0; i < a.npresence; i++) {
        bool in_roster = false;
        for (int k = 0; k < a.nroster && !in_roster; k++)
            in_roster = a.roster[k].id == a.presence[i].person_id;
        if (in_roster)
            continue;
        value_t *m = value_map(&r->arena);
        value_set_str(m, "name", a.presence[i].name);
        value_set_cstr(m, "joined", clock_label(r, a.presence[i].first_joined_at * 1000));
        value_set_int(m, "minutes", (a.presence[i].seconds + 59) / 60);
        value_push(ol, m);
        nothers++;
    }
    value_set_int(v, "nothers", nothers);
    value_set_bool(v, "can_save", clock_now() >= lc.starts_at && a.nroster > 0);
    page_render(r, 200, TPL_liveclass_attendance, v);
}

typedef struct roll_job {
    roll_call_input_t in;
    int64_t id;
    attendance_problem_t problem;
} roll_job_t;

static int roll_write(store_tx_t *tx, void *ud)
{
    roll_job_t *j = ud;
    return attendance_roll_call_save(tx, &j->in, &j->id, &j->problem);
}

static void roll_written(request_t *r, void *ud, int status)
{
    roll_job_t *j = ud;
    if (status < 0) {
        respond_error(r, status == ATTENDANCE_INVALID ? 400 : 503,
                      status == ATTENDANCE_INVALID ? MSG_error_bad_input : MSG_error_unavailable,
                      status == ATTENDANCE_INVALID ? attendance_problem_code(j->problem) : NULL);
        return;
    }
    char day[11];
    date_format_iso(j->in.on, day);
    /* The roll call itself, for the teacher to check and adjust. */
    respond_redirect(r, 303,
                     str_from(arena_printf(&r->arena, "/teaching/%lld/roll-call?date=%s&start=%02d:%02d",
                                           (long long)j->in.teaching.id, day, j->in.starts_min / 60,
                                           j->in.starts_min % 60)));
}

static void live_attendance_submit(request_t *r)
{
    live_class_t lc;
    attendance_view_t a;
    if (!attendance_load(r, &lc, &a) || !request_form(r))
        return;
    if (clock_now() < lc.starts_at) {
        respond_error(r, 409, MSG_liveclass_error_closed, NULL);
        return;
    }
    roll_job_t *j = ARENA_NEW(&r->arena, roll_job_t);
    roll_call_line_t *lines = ARENA_ARRAY(&r->arena, roll_call_line_t, (size_t)a.nroster + 1);
    int n = 0;
    for (int i = 0; i < a.nroster; i++)
        if (!presence_of(&a, a.roster[i].id))
            lines[n++] = (roll_call_line_t){.pupil_id = a.roster[i].id, .mark = MARK_ABSENT};
    j->in.teaching = lc.teaching;
    j->in.slot_id = lc.slot_id;
    j->in.on = date_of_instant(lc.starts_at);
    j->in.starts_min = clock_local_minutes(lc.starts_at);
    j->in.ends_min = clock_local_minutes(lc.ends_at);
    if (j->in.ends_min <= j->in.starts_min)
        j->in.ends_min = 24 * 60;
    j->in.lines = lines;
    j->in.nlines = n;
    j->in.taken_by = r->principal->person_id;
    j->in.now = clock_now();
    j->in.today = date_today();
    if (request_store_write(r, roll_write, j, roll_written) != 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* ------------------------------------------------------------------ guests */

static void render_guest(request_t *r, const live_class_t *lc, int status, str_t name, const char *error)
{
    value_t *v = value_map(&r->arena);
    value_t *rv = value_set_map(v, "room");
    value_set_str(rv, "title", lc->title);
    value_set_str(rv, "subject", lc->teaching.subject_name);
    value_set_str(rv, "target", lc->teaching.target_name);
    value_set_cstr(rv, "when", when_label(r, lc));
    value_set_str(v, "key", lc->guest_key);
    value_set_str(v, "name", name.ptr ? name : STR(""));
    if (error)
        value_set_cstr(v, "error", error);
    page_render(r, status, TPL_liveclass_guest, v);
}

/* The invitation's live class: 1, or 0 answered (404 for a wrong key, 410 when over or cancelled). */
static int load_invitation(request_t *r, live_class_t *lc)
{
    int rc = liveclass_by_guest_key(STORE_READER(reader(r)), &r->arena, request_param_str(r, "key"), lc);
    if (rc < 0)
        respond_error(r, 503, MSG_error_unavailable, NULL);
    else if (rc == 0)
        respond_error(r, 404, MSG_error_not_found, NULL);
    else if (lc->cancelled_at || clock_now() >= lc->ends_at + live_join_late_s(r->app->config))
        respond_error(r, 410, lc->cancelled_at ? MSG_liveclass_cancelled : MSG_liveclass_over, NULL);
    else
        return 1;
    return 0;
}

static void live_guest_page(request_t *r)
{
    live_class_t lc;
    if (!load_invitation(r, &lc))
        return;
    render_guest(r, &lc, 200, STR_NULL, NULL);
}

typedef struct guest_job {
    live_class_t lc;
    str_t name;
    int64_t id;
    live_problem_t problem;
} guest_job_t;

static int guest_write(store_tx_t *tx, void *ud)
{
    guest_job_t *j = ud;
    return liveclass_guest_add(tx, j->lc.id, j->name, clock_now(), &j->id, &j->problem);
}

static void guest_written(request_t *r, void *ud, int status)
{
    guest_job_t *j = ud;
    if (status == LIVE_INVALID) {
        render_guest(r, &j->lc, 400, j->name, msg(r, liveclass_problem_msg(j->problem)));
        return;
    }
    if (status < 0) {
        render_guest(r, &j->lc, 503, j->name, msg(r, MSG_error_unavailable));
        return;
    }
    live_guest_token_t t = {.live_id = j->lc.id, .guest_id = j->id,
                            .expires_at = j->lc.ends_at + live_join_late_s(r->app->config)};
    char token[LIVE_GUEST_TOKEN_LEN + 1];
    liveclass_guest_token(app_session_keys(r->app), &t, token);
    request_set_cookie(r, "lg", str_from(arena_strndup(&r->arena, token, LIVE_GUEST_TOKEN_LEN)),
                       t.expires_at - clock_now());
    LOG_INFO("live class guest", "live=%lld guest=%lld", (long long)j->lc.id, (long long)j->id);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/live/%lld", (long long)j->lc.id)));
}

static void live_guest_submit(request_t *r)
{
    guest_job_t *j = ARENA_NEW(&r->arena, guest_job_t);
    if (!load_invitation(r, &j->lc))
        return;
    form_t *form = request_form(r);
    if (!form)
        return;
    str_t name = form_get(form, "name");
    j->name = name.ptr ? name : STR("");
    live_problem_t p = liveclass_guest_name_check(j->name);
    if (p != LIVE_OK) {
        render_guest(r, &j->lc, 400, j->name, msg(r, liveclass_problem_msg(p)));
        return;
    }
    if (request_store_write(r, guest_write, j, guest_written) != 0)
        render_guest(r, &j->lc, 503, j->name, msg(r, MSG_error_unavailable));
}

int liveclass_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/live", HANDLER(live_list_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/live", HANDLER(live_schedule_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/live/{id:int}", HANDLER(live_room_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/live/{id:int}/chat", HANDLER(live_chat_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/live/{id:int}/host", HANDLER(live_host_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/live/{id:int}/cancel", HANDLER(live_cancel_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/live/{id:int}/attendance", HANDLER(live_attendance_page), NULL, 0, err,
                    errlen) ||
        !router_add(router, "POST", "/live/{id:int}/attendance", HANDLER(live_attendance_submit), NULL, 0, err,
                    errlen) ||
        !router_add(router, "GET", "/live/guest/{key}", HANDLER(live_guest_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/live/guest/{key}", HANDLER(live_guest_submit), NULL, 0, err, errlen))
        return -1;
    return liveclass_api_register_routes(router, err, errlen);
}
