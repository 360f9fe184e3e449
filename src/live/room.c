#include "live/room.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static const char *const REACTIONS[] = {"👍", "👏", "❤️", "😂", "😮", "❓", "✅", "❌"};
#define NREACTIONS (sizeof REACTIONS / sizeof REACTIONS[0])

const char *room_role_code(room_role_t r)
{
    switch (r) {
    case ROOM_HOST: return "host";
    case ROOM_PARTICIPANT: return "participant";
    case ROOM_GUEST: break;
    }
    return "guest";
}

const char *room_refusal_code(room_refusal_t r)
{
    switch (r) {
    case ROOM_NOT_ALLOWED: return "not_allowed";
    case ROOM_BAD_VALUE: return "bad_value";
    case ROOM_REMOVED: return "removed";
    case ROOM_REFUSED: return "refused";
    case ROOM_LOCKED: return "locked";
    case ROOM_WAIT: return "wait";
    case ROOM_ACCEPTED:
    case ROOM_NOTHING: break;
    }
    return "ok";
}

/* ------------------------------------------------------------------ commands */

static char *dup_bytes(const char *s, size_t len)
{
    char *d = xmalloc(len + 1);
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void room_cmd_clear(room_cmd_t *c)
{
    free(c->text);
    c->text = NULL;
    c->text_len = 0;
    for (int i = 0; i < c->nchoices; i++)
        free(c->choices[i]);
    c->nchoices = 0;
}

void room_cmd_copy(room_cmd_t *dst, const room_cmd_t *src)
{
    *dst = *src;
    dst->text = src->text ? dup_bytes(src->text, src->text_len) : NULL;
    for (int i = 0; i < src->nchoices; i++)
        dst->choices[i] = dup_bytes(src->choices[i], src->choice_lens[i]);
}

void room_cmd_set_text(room_cmd_t *c, const char *s, size_t len)
{
    free(c->text);
    c->text = dup_bytes(s, len);
    c->text_len = len;
}

void room_name_copy(char dst[ROOM_NAME_MAX], const char *s, size_t len)
{
    if (len >= ROOM_NAME_MAX) {
        /* Cut on a character boundary, never inside a UTF-8 sequence. */
        len = ROOM_NAME_MAX - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}


/* ------------------------------------------------------------------ the room */

room_t *room_new(int64_t id)
{
    room_t *r = xcalloc(1, sizeof *r);
    r->id = id;
    u64map_init(&r->index);
    return r;
}

static void poll_clear(room_t *r)
{
    free(r->question);
    r->question = NULL;
    for (int i = 0; i < r->nchoices; i++)
        free(r->choices[i]);
    r->nchoices = 0;
    r->poll_id = 0;
    r->poll_open = false;
}

void room_free(room_t *r)
{
    if (!r)
        return;
    free(r->title);
    free(r->note);
    free(r->members);
    u64map_dispose(&r->index);
    for (size_t i = 0; i < ROOM_CHAT_KEEP; i++)
        free(r->chat[i].text);
    poll_clear(r);
    free(r->lobby);
    free(r->refused);
    free(r);
}

room_member_t *room_member(const room_t *r, int64_t id)
{
    uint64_t pos;
    if (!id || !u64map_get(&r->index, (uint64_t)id, &pos))
        return NULL;
    return &r->members[pos - 1];
}

static room_member_t *member_add(room_t *r, const room_cmd_t *c)
{
    if (r->nmembers == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->members = xrealloc(r->members, r->cap * sizeof *r->members);
    }
    room_member_t *m = &r->members[r->nmembers++];
    memset(m, 0, sizeof *m);
    m->id = c->actor;
    memcpy(m->name, c->name, sizeof m->name);
    m->role = c->role;
    m->vote = -1;
    /* Hosts publish from the start; the others when a host allows them. */
    m->publish = c->role == ROOM_HOST;
    u64map_put(&r->index, (uint64_t)c->actor, r->nmembers);
    return m;
}

bool room_in_lobby(const room_t *r, int64_t guest_id)
{
    for (size_t i = 0; i < r->nlobby; i++)
        if (r->lobby[i].id == guest_id)
            return true;
    return false;
}

bool room_guest_refused(const room_t *r, int64_t guest_id)
{
    for (size_t i = 0; i < r->nrefused; i++)
        if (r->refused[i] == guest_id)
            return true;
    return false;
}

static void lobby_remove(room_t *r, int64_t guest_id)
{
    for (size_t i = 0; i < r->nlobby; i++)
        if (r->lobby[i].id == guest_id) {
            memmove(&r->lobby[i], &r->lobby[i + 1], (r->nlobby - i - 1) * sizeof *r->lobby);
            r->nlobby--;
            return;
        }
}

/* ------------------------------------------------------------------ deciding */

static bool may(room_role_t role, room_kind_t k)
{
    switch (k) {
    case ROOM_OPEN:
    case ROOM_JOIN:
    case ROOM_LEAVE:
    case ROOM_KNOCK:
    case ROOM_CLOSE:
        return true; /* decided by the hub from who the socket is */
    case ROOM_CHAT:
    case ROOM_HAND:
    case ROOM_REACTION:
    case ROOM_VOTE:
        return true;
    case ROOM_POLL_OPEN:
    case ROOM_POLL_CLOSE:
    case ROOM_NOTE:
    case ROOM_LOCK:
    case ROOM_MUTE_ALL:
    case ROOM_PUBLISH:
    case ROOM_REMOVE:
    case ROOM_ADMIT:
    case ROOM_REFUSE:
    case ROOM_KIND_COUNT:
        break;
    }
    return role == ROOM_HOST;
}

room_refusal_t room_decide(room_t *r, room_cmd_t *c)
{
    if (!may(c->role, c->kind))
        return ROOM_NOT_ALLOWED;
    room_member_t *m = room_member(r, c->actor);
    if (m && m->removed && c->kind != ROOM_LEAVE)
        return ROOM_REMOVED;
    switch (c->kind) {
    case ROOM_OPEN:
        if (r->seq)
            return ROOM_NOTHING;
        break;
    case ROOM_KNOCK:
        if (c->role != ROOM_GUEST)
            return ROOM_BAD_VALUE;
        if (room_guest_refused(r, c->actor))
            return ROOM_REFUSED;
        if (m)
            return ROOM_NOTHING; /* already admitted: join instead */
        if (r->locked)
            return ROOM_LOCKED;
        if (room_in_lobby(r, c->actor))
            return ROOM_NOTHING;
        break;
    case ROOM_JOIN:
        if (c->role == ROOM_GUEST && !m) {
            if (room_guest_refused(r, c->actor))
                return ROOM_REFUSED;
            return r->locked && !room_in_lobby(r, c->actor) ? ROOM_LOCKED : ROOM_WAIT;
        }
        c->first_join = !m || !m->present;
        if (!c->first_join) {
            /* Another tab of someone already there: the same participant, no
             * event; the owner counts the socket and its worker welcomes it. */
            m->sockets++;
            return ROOM_NOTHING;
        }
        break;
    case ROOM_LEAVE:
        if (!m || m->sockets <= 0)
            return ROOM_NOTHING;
        if (m->sockets > 1) {
            m->sockets--; /* another tab is still open: no event */
            return ROOM_NOTHING;
        }
        break;
    case ROOM_CHAT:
        /* Also from a page without JavaScript (no socket, maybe never joined):
         * the hub has checked who they are; a guest must have been admitted. */
        if (c->role == ROOM_GUEST && !m)
            return ROOM_NOT_ALLOWED;
        break;
    case ROOM_HAND:
    case ROOM_REACTION:
    case ROOM_VOTE:
        if (!m || !m->present)
            return ROOM_NOT_ALLOWED;
        if (c->kind == ROOM_VOTE && (!r->poll_open || (uint64_t)c->target != r->poll_id || c->choice < 0 ||
                                     c->choice >= r->nchoices))
            return ROOM_BAD_VALUE;
        if (c->kind == ROOM_HAND && m->hand == c->flag)
            return ROOM_NOTHING;
        break;
    case ROOM_POLL_CLOSE:
        if (!r->poll_open)
            return ROOM_BAD_VALUE;
        break;
    case ROOM_PUBLISH:
    case ROOM_REMOVE: {
        room_member_t *t = room_member(r, c->target);
        if (!t || t->removed || t->id == c->actor)
            return ROOM_BAD_VALUE;
        if (c->kind == ROOM_REMOVE && t->role == ROOM_HOST)
            return ROOM_NOT_ALLOWED; /* a host is not removed by another host */
        break;
    }
    case ROOM_ADMIT:
    case ROOM_REFUSE:
        if (!room_in_lobby(r, c->target))
            return ROOM_BAD_VALUE;
        break;
    case ROOM_LOCK:
        if (r->locked == c->flag)
            return ROOM_NOTHING;
        break;
    case ROOM_POLL_OPEN:
    case ROOM_NOTE:
    case ROOM_MUTE_ALL:
    case ROOM_CLOSE:
    case ROOM_KIND_COUNT:
        break;
    }
    c->seq = r->seq + 1;
    room_apply(r, c);
    /* Owner-only bookkeeping: sockets per person, and since when they are there. */
    m = room_member(r, c->actor);
    if (m && c->kind == ROOM_JOIN) {
        if (m->sockets++ == 0) {
            m->joined_ms = c->at_ms;
            if (!m->first_joined_ms)
                m->first_joined_ms = c->at_ms;
        }
    } else if (m && c->kind == ROOM_LEAVE) {
        m->sockets = 0;
    }
    return ROOM_ACCEPTED;
}

/* ------------------------------------------------------------------ applying */

static void set_owned(char **slot, const char *s, size_t len)
{
    free(*slot);
    *slot = dup_bytes(s ? s : "", s ? len : 0);
}

void room_apply(room_t *r, const room_cmd_t *ev)
{
    r->seq = ev->seq;
    room_member_t *m = room_member(r, ev->actor);
    switch (ev->kind) {
    case ROOM_OPEN:
        set_owned(&r->title, ev->text, ev->text_len);
        r->ends_at = ev->ends_at;
        break;
    case ROOM_JOIN:
        if (!m)
            m = member_add(r, ev);
        else
            memcpy(m->name, ev->name, sizeof m->name);
        if (!m->present)
            r->present++;
        m->present = true;
        if (m->role == ROOM_GUEST)
            lobby_remove(r, ev->actor);
        break;
    case ROOM_LEAVE:
        if (m && m->present) {
            m->present = false; /* hand and vote stay: a reconnection finds them */
            r->present--;
        }
        break;
    case ROOM_KNOCK:
        if (r->nlobby == r->lobby_cap) {
            r->lobby_cap = r->lobby_cap ? r->lobby_cap * 2 : 4;
            r->lobby = xrealloc(r->lobby, r->lobby_cap * sizeof *r->lobby);
        }
        r->lobby[r->nlobby].id = ev->actor;
        memcpy(r->lobby[r->nlobby].name, ev->name, ROOM_NAME_MAX);
        r->nlobby++;
        break;
    case ROOM_CHAT: {
        room_chat_line_t *l = &r->chat[r->chat_next];
        free(l->text);
        l->seq = ev->seq;
        l->from = ev->actor;
        memcpy(l->from_name, ev->name, ROOM_NAME_MAX);
        l->to_hosts = ev->flag;
        l->text = dup_bytes(ev->text, ev->text_len);
        l->at_ms = ev->at_ms;
        r->chat_next = (r->chat_next + 1) % ROOM_CHAT_KEEP;
        if (r->nchat < ROOM_CHAT_KEEP)
            r->nchat++;
        break;
    }
    case ROOM_HAND:
        if (m)
            m->hand = ev->flag;
        break;
    case ROOM_REACTION:
        break;
    case ROOM_POLL_OPEN:
        poll_clear(r);
        r->poll_id = ev->seq;
        r->poll_open = true;
        r->question = dup_bytes(ev->text, ev->text_len);
        for (int i = 0; i < ev->nchoices; i++) {
            r->choices[i] = dup_bytes(ev->choices[i], ev->choice_lens[i]);
            r->counts[i] = 0;
        }
        r->nchoices = ev->nchoices;
        for (size_t i = 0; i < r->nmembers; i++)
            r->members[i].vote = -1;
        break;
    case ROOM_POLL_CLOSE:
        r->poll_open = false;
        break;
    case ROOM_VOTE:
        if (m && ev->choice >= 0 && ev->choice < r->nchoices) {
            if (m->vote >= 0 && m->vote < r->nchoices)
                r->counts[m->vote]--;
            m->vote = ev->choice; /* voting again changes one's answer */
            r->counts[ev->choice]++;
        }
        break;
    case ROOM_NOTE:
        set_owned(&r->note, ev->text, ev->text_len);
        break;
    case ROOM_LOCK:
        r->locked = ev->flag;
        break;
    case ROOM_MUTE_ALL:
        break;
    case ROOM_PUBLISH: {
        room_member_t *t = room_member(r, ev->target);
        if (t)
            t->publish = ev->flag;
        break;
    }
    case ROOM_REMOVE: {
        room_member_t *t = room_member(r, ev->target);
        if (t) {
            if (t->present)
                r->present--;
            t->present = t->hand = t->publish = false;
            t->removed = true;
        }
        break;
    }
    case ROOM_ADMIT:
        /* Admitted: a member not there yet, who comes in with their next join. */
        for (size_t i = 0; i < r->nlobby; i++)
            if (r->lobby[i].id == ev->target && !room_member(r, ev->target)) {
                room_cmd_t as = {.actor = ev->target, .role = ROOM_GUEST};
                memcpy(as.name, r->lobby[i].name, ROOM_NAME_MAX);
                member_add(r, &as);
            }
        lobby_remove(r, ev->target);
        break;
    case ROOM_REFUSE:
        lobby_remove(r, ev->target);
        if (r->nrefused == r->refused_cap) {
            r->refused_cap = r->refused_cap ? r->refused_cap * 2 : 4;
            r->refused = xrealloc(r->refused, r->refused_cap * sizeof *r->refused);
        }
        r->refused[r->nrefused++] = ev->target;
        break;
    case ROOM_CLOSE:
    case ROOM_KIND_COUNT:
        break;
    }
}

/* ------------------------------------------------------------------ JSON */

void room_json_string(buf_t *b, const char *s, size_t len)
{
    buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"': BUF_LIT(b, "\\\""); break;
        case '\\': BUF_LIT(b, "\\\\"); break;
        case '\n': BUF_LIT(b, "\\n"); break;
        case '\r': BUF_LIT(b, "\\r"); break;
        case '\t': BUF_LIT(b, "\\t"); break;
        case '<': BUF_LIT(b, "\\u003c"); break; /* safe inside a <script> too */
        default:
            if (ch < 0x20)
                buf_printf(b, "\\u%04x", ch);
            else
                buf_putc(b, (char)ch);
        }
    }
    buf_putc(b, '"');
}

static void json_cstr(buf_t *b, const char *s)
{
    room_json_string(b, s ? s : "", s ? strlen(s) : 0);
}

static void person_json(buf_t *b, int64_t id, const char *name, room_role_t role)
{
    buf_printf(b, "{\"id\":%lld,\"name\":", (long long)id);
    json_cstr(b, name);
    buf_printf(b, ",\"role\":\"%s\"}", room_role_code(role));
}

static void poll_json(const room_t *r, buf_t *b)
{
    if (!r->poll_id) {
        BUF_LIT(b, "null");
        return;
    }
    buf_printf(b, "{\"id\":%llu,\"question\":", (unsigned long long)r->poll_id);
    json_cstr(b, r->question);
    BUF_LIT(b, ",\"choices\":[");
    for (int i = 0; i < r->nchoices; i++) {
        if (i)
            buf_putc(b, ',');
        json_cstr(b, r->choices[i]);
    }
    BUF_LIT(b, "],\"counts\":[");
    for (int i = 0; i < r->nchoices; i++)
        buf_printf(b, i ? ",%d" : "%d", r->counts[i]);
    buf_printf(b, "],\"open\":%s}", r->poll_open ? "true" : "false");
}

static void lobby_json(const room_t *r, buf_t *b)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < r->nlobby; i++) {
        buf_printf(b, "%s{\"id\":%lld,\"name\":", i ? "," : "", (long long)r->lobby[i].id);
        json_cstr(b, r->lobby[i].name);
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
}

static void chat_json(const room_chat_line_t *l, buf_t *b)
{
    buf_printf(b, "{\"type\":\"chat\",\"seq\":%llu,\"from\":{\"id\":%lld,\"name\":", (unsigned long long)l->seq,
               (long long)l->from);
    json_cstr(b, l->from_name);
    buf_printf(b, "},\"to\":\"%s\",\"text\":", l->to_hosts ? "hosts" : "all");
    json_cstr(b, l->text);
    buf_printf(b, ",\"at\":%lld}", (long long)l->at_ms);
}

bool room_event_hosts_only(const room_cmd_t *ev)
{
    return (ev->kind == ROOM_CHAT && ev->flag) || ev->kind == ROOM_KNOCK || ev->kind == ROOM_ADMIT ||
           ev->kind == ROOM_REFUSE;
}

void room_event_json(const room_t *r, const room_cmd_t *ev, buf_t *b)
{
    unsigned long long seq = (unsigned long long)ev->seq;
    const room_member_t *m = room_member(r, ev->actor);
    room_role_t role = m ? m->role : ev->role;
    switch (ev->kind) {
    case ROOM_OPEN:
        buf_printf(b, "{\"type\":\"open\",\"seq\":%llu,\"title\":", seq);
        json_cstr(b, r->title);
        buf_putc(b, '}');
        return;
    case ROOM_JOIN:
    case ROOM_LEAVE:
        buf_printf(b, "{\"type\":\"%s\",\"seq\":%llu,\"person\":", ev->kind == ROOM_JOIN ? "joined" : "left", seq);
        person_json(b, ev->actor, ev->name, role);
        if (ev->kind == ROOM_JOIN && m)
            buf_printf(b, ",\"hand\":%s,\"publish\":%s", m->hand ? "true" : "false", m->publish ? "true" : "false");
        buf_putc(b, '}');
        return;
    case ROOM_KNOCK:
    case ROOM_ADMIT:
    case ROOM_REFUSE:
        buf_printf(b, "{\"type\":\"lobby\",\"seq\":%llu,\"lobby\":", seq);
        lobby_json(r, b);
        if (ev->kind != ROOM_KNOCK)
            buf_printf(b, ",\"%s\":%lld", ev->kind == ROOM_ADMIT ? "admitted" : "refused", (long long)ev->target);
        buf_putc(b, '}');
        return;
    case ROOM_CHAT: {
        room_chat_line_t l = {.seq = ev->seq, .from = ev->actor, .to_hosts = ev->flag, .text = ev->text,
                              .at_ms = ev->at_ms};
        memcpy(l.from_name, ev->name, ROOM_NAME_MAX);
        chat_json(&l, b);
        return;
    }
    case ROOM_HAND:
        buf_printf(b, "{\"type\":\"hand\",\"seq\":%llu,\"person\":%lld,\"up\":%s}", seq, (long long)ev->actor,
                   ev->flag ? "true" : "false");
        return;
    case ROOM_REACTION:
        buf_printf(b, "{\"type\":\"reaction\",\"seq\":%llu,\"person\":%lld,\"emoji\":", seq, (long long)ev->actor);
        room_json_string(b, ev->text, ev->text_len);
        buf_putc(b, '}');
        return;
    case ROOM_POLL_OPEN:
    case ROOM_POLL_CLOSE:
    case ROOM_VOTE:
        buf_printf(b, "{\"type\":\"poll\",\"seq\":%llu,\"poll\":", seq);
        poll_json(r, b);
        buf_putc(b, '}');
        return;
    case ROOM_NOTE:
        buf_printf(b, "{\"type\":\"note\",\"seq\":%llu,\"text\":", seq);
        json_cstr(b, r->note);
        buf_putc(b, '}');
        return;
    case ROOM_LOCK:
        buf_printf(b, "{\"type\":\"locked\",\"seq\":%llu,\"locked\":%s}", seq, ev->flag ? "true" : "false");
        return;
    case ROOM_MUTE_ALL:
        buf_printf(b, "{\"type\":\"mute_all\",\"seq\":%llu}", seq);
        return;
    case ROOM_PUBLISH:
        buf_printf(b, "{\"type\":\"publish\",\"seq\":%llu,\"person\":%lld,\"allowed\":%s}", seq,
                   (long long)ev->target, ev->flag ? "true" : "false");
        return;
    case ROOM_REMOVE:
        buf_printf(b, "{\"type\":\"removed\",\"seq\":%llu,\"person\":%lld}", seq, (long long)ev->target);
        return;
    case ROOM_CLOSE:
        buf_printf(b, "{\"type\":\"closed\",\"seq\":%llu}", seq);
        return;
    case ROOM_KIND_COUNT:
        break;
    }
    buf_printf(b, "{\"type\":\"skip\",\"seq\":%llu}", seq);
}

void room_welcome_json(const room_t *r, int64_t you, room_role_t role, const char *name, buf_t *b)
{
    buf_printf(b, "{\"type\":\"welcome\",\"seq\":%llu,\"you\":", (unsigned long long)r->seq);
    person_json(b, you, name, role);
    buf_printf(b, ",\"room\":{\"id\":%lld,\"title\":", (long long)r->id);
    json_cstr(b, r->title);
    buf_printf(b, ",\"locked\":%s,\"note\":", r->locked ? "true" : "false");
    json_cstr(b, r->note);
    BUF_LIT(b, ",\"participants\":[");
    bool first = true;
    for (size_t i = 0; i < r->nmembers; i++) {
        const room_member_t *m = &r->members[i];
        if (!m->present)
            continue;
        if (!first)
            buf_putc(b, ',');
        first = false;
        person_json(b, m->id, m->name, m->role);
        b->len--; /* reopen the person object to add the member's state */
        buf_printf(b, ",\"hand\":%s,\"publish\":%s}", m->hand ? "true" : "false", m->publish ? "true" : "false");
    }
    BUF_LIT(b, "],\"chat\":[");
    first = true;
    size_t start = (r->chat_next + ROOM_CHAT_KEEP - r->nchat) % ROOM_CHAT_KEEP;
    for (size_t k = 0; k < r->nchat; k++) {
        const room_chat_line_t *l = &r->chat[(start + k) % ROOM_CHAT_KEEP];
        if (l->to_hosts && role != ROOM_HOST && l->from != you)
            continue;
        if (!first)
            buf_putc(b, ',');
        first = false;
        chat_json(l, b);
    }
    BUF_LIT(b, "],\"poll\":");
    poll_json(r, b);
    const room_member_t *me = room_member(r, you);
    if (me && me->vote >= 0)
        buf_printf(b, ",\"my_vote\":%d", me->vote);
    if (role == ROOM_HOST) {
        BUF_LIT(b, ",\"lobby\":");
        lobby_json(r, b);
    }
    BUF_LIT(b, "}}");
}

/* ------------------------------------------------------------------ parsing */

static bool text_ok(const char *s, size_t len, size_t max_chars, bool multiline)
{
    if (text_check(s, len) != TEXT_OK || str_is_blank(str_make(s, len)) || utf8_length(s, len) > max_chars)
        return false;
    if (!multiline)
        for (size_t i = 0; i < len; i++)
            if (s[i] == '\n' || s[i] == '\r')
                return false;
    return true;
}

static const struct {
    const char *name;
    room_kind_t kind;
} TYPES[] = {
    {"chat", ROOM_CHAT},       {"hand", ROOM_HAND},         {"reaction", ROOM_REACTION}, {"vote", ROOM_VOTE},
    {"poll_open", ROOM_POLL_OPEN}, {"poll_close", ROOM_POLL_CLOSE}, {"note", ROOM_NOTE},  {"lock", ROOM_LOCK},
    {"mute_all", ROOM_MUTE_ALL}, {"publish", ROOM_PUBLISH}, {"remove", ROOM_REMOVE},    {"admit", ROOM_ADMIT},
    {"refuse", ROOM_REFUSE},
};

static bool get_bool(json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

static bool get_id(json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) == 0)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static const char *parse_fields(json_t *j, room_cmd_t *c)
{
    json_t *v;
    switch (c->kind) {
    case ROOM_CHAT: {
        v = json_object_get(j, "text");
        if (!json_is_string(v) || !text_ok(json_string_value(v), json_string_length(v), ROOM_CHAT_MAX_CHARS, true))
            return "bad_value";
        json_t *to = json_object_get(j, "to");
        if (to && !(json_is_string(to) && (!strcmp(json_string_value(to), "all") ||
                                           !strcmp(json_string_value(to), "hosts"))))
            return "bad_value";
        c->flag = to && !strcmp(json_string_value(to), "hosts");
        room_cmd_set_text(c, json_string_value(v), json_string_length(v));
        return NULL;
    }
    case ROOM_HAND:
        return get_bool(j, "up", &c->flag) ? NULL : "bad_value";
    case ROOM_LOCK:
        return get_bool(j, "locked", &c->flag) ? NULL : "bad_value";
    case ROOM_REACTION: {
        v = json_object_get(j, "emoji");
        if (!json_is_string(v))
            return "bad_value";
        for (size_t i = 0; i < NREACTIONS; i++)
            if (!strcmp(json_string_value(v), REACTIONS[i]) && json_string_length(v) == strlen(REACTIONS[i])) {
                room_cmd_set_text(c, REACTIONS[i], strlen(REACTIONS[i]));
                return NULL;
            }
        return "bad_value";
    }
    case ROOM_VOTE: {
        json_t *ch = json_object_get(j, "choice");
        if (!get_id(j, "poll", &c->target) || c->target < 0 || !json_is_integer(ch) ||
            json_integer_value(ch) < 0 || json_integer_value(ch) >= ROOM_POLL_MAX_CHOICES)
            return "bad_value";
        c->choice = (int)json_integer_value(ch);
        return NULL;
    }
    case ROOM_POLL_OPEN: {
        v = json_object_get(j, "question");
        json_t *choices = json_object_get(j, "choices");
        if (!json_is_string(v) ||
            !text_ok(json_string_value(v), json_string_length(v), ROOM_QUESTION_MAX_CHARS, false) ||
            !json_is_array(choices) || json_array_size(choices) < ROOM_POLL_MIN_CHOICES ||
            json_array_size(choices) > ROOM_POLL_MAX_CHOICES)
            return "bad_value";
        for (size_t i = 0; i < json_array_size(choices); i++) {
            json_t *ch = json_array_get(choices, i);
            if (!json_is_string(ch) ||
                !text_ok(json_string_value(ch), json_string_length(ch), ROOM_CHOICE_MAX_CHARS, false))
                return "bad_value";
        }
        room_cmd_set_text(c, json_string_value(v), json_string_length(v));
        for (size_t i = 0; i < json_array_size(choices); i++) {
            json_t *ch = json_array_get(choices, i);
            c->choices[i] = dup_bytes(json_string_value(ch), json_string_length(ch));
            c->choice_lens[i] = json_string_length(ch);
            c->nchoices++;
        }
        return NULL;
    }
    case ROOM_NOTE: {
        v = json_object_get(j, "text");
        /* An empty note clears it. */
        if (!json_is_string(v) || text_check(json_string_value(v), json_string_length(v)) != TEXT_OK ||
            utf8_length(json_string_value(v), json_string_length(v)) > ROOM_NOTE_MAX_CHARS)
            return "bad_value";
        room_cmd_set_text(c, json_string_value(v), json_string_length(v));
        return NULL;
    }
    case ROOM_PUBLISH:
        return get_id(j, "person", &c->target) && get_bool(j, "allowed", &c->flag) ? NULL : "bad_value";
    case ROOM_REMOVE:
        return get_id(j, "person", &c->target) ? NULL : "bad_value";
    case ROOM_ADMIT:
    case ROOM_REFUSE:
        return get_id(j, "guest", &c->target) && c->target < 0 ? NULL : "bad_value";
    case ROOM_POLL_CLOSE:
    case ROOM_MUTE_ALL:
        return NULL;
    default:
        break;
    }
    return "unknown_type";
}

const char *room_parse(const char *text, size_t len, room_cmd_t *c, bool *is_ping)
{
    *is_ping = false;
    json_error_t err;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!j)
        return "bad_json";
    const char *problem = "bad_message";
    json_t *type = json_object_get(j, "type");
    if (json_is_string(type)) {
        const char *t = json_string_value(type);
        problem = "unknown_type";
        if (!strcmp(t, "ping")) {
            *is_ping = true;
            problem = NULL;
        } else {
            for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
                if (!strcmp(t, TYPES[i].name) && json_string_length(type) == strlen(t)) {
                    c->kind = TYPES[i].kind;
                    problem = parse_fields(j, c);
                    break;
                }
        }
    }
    json_decref(j);
    if (problem)
        room_cmd_clear(c);
    return problem;
}
