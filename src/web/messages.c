/* Messaging: the send path shared with the API, and the pages. */
#include "web/messages.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/page.h"
#include "web/template.h"
#include "web/uploads.h"
#include "core/buf.h"
#include "domain/directory.h"
#include "domain/people.h"

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

msg_id_t messages_problem_msg(msg_problem_t p)
{
    switch (p) {
    case MSG_NO_RECIPIENT: return MSG_messages_error_no_recipient;
    case MSG_TOO_MANY_RECIPIENTS: return MSG_messages_error_too_many_recipients;
    case MSG_BAD_RECIPIENT: return MSG_messages_error_bad_recipient;
    case MSG_NOT_ALLOWED: return MSG_messages_error_not_allowed;
    case MSG_SUBJECT_EMPTY: return MSG_messages_error_subject_empty;
    case MSG_SUBJECT_TOO_LONG: return MSG_messages_error_subject_too_long;
    case MSG_BODY_EMPTY: return MSG_messages_error_body_empty;
    case MSG_BODY_TOO_LONG: return MSG_messages_error_body_too_long;
    case MSG_BAD_TEXT: return MSG_messages_error_bad_text;
    case MSG_BAD_KEY: return MSG_messages_error_bad_key;
    case MSG_SENDER_BLOCKED: return MSG_messages_error_blocked;
    case MSG_CANNOT_REPLY: return MSG_messages_error_cannot_reply;
    case MSG_TOO_MANY_FILES: return MSG_error_too_many_files;
    case MSG_OK: break;
    }
    return MSG_error_bad_input;
}

/* ---- sending ---- */

static int send_write(store_tx_t *tx, void *ud)
{
    msg_compose_t *c = ud;
    if (c->private_reply_to > 0)
        return messages_reply_privately(tx, c->private_reply_to, &c->send, &c->sent, &c->problem);
    return messages_send(tx, &c->send, &c->sent, &c->problem);
}

static void send_written(request_t *r, void *ud, int status)
{
    msg_compose_t *c = ud;
    /* files belong to the message only if one was written */
    if (status != STORE_OK || c->sent.duplicate)
        uploads_discard(r, c->files, c->nfiles);
    if (status == STORE_OK && !c->sent.duplicate)
        LOG_INFO("message sent", "conversation=%lld message=%lld by=%lld school=%lld recipients=%d files=%d",
                 (long long)c->sent.conversation_id, (long long)c->sent.message_id, (long long)c->send.author_id,
                 (long long)c->send.school_id, c->npeople, c->nfiles);
    c->done(r, c, status);
}

typedef struct sent_ids {
    int64_t message_id, conversation_id;
} sent_ids_t;

static void fill_sent_ids(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    sent_ids_t *ids = item;
    ids->message_id = store_row_int(row, 0);
    ids->conversation_id = store_row_int(row, 1);
}

static void finish(request_t *r, msg_compose_t *c, int status)
{
    uploads_discard(r, c->files, c->nfiles);
    c->done(r, c, status);
}

/* A retry of a send that went through: its first result, whatever changed since
 * (rules, membership). 1 found, 0 not, negative on a store error. */
static int already_sent(request_t *r, const principal_t *p, msg_compose_t *c)
{
    if (!c->idempotency_key.len || c->idempotency_key.len > MSG_KEY_MAX)
        return 0;
    sent_ids_t found;
    int rc = store_one(STORE_READER(reader(r)), &r->arena,
                       "SELECT id, conversation_id FROM messages WHERE author_id = ? AND idempotency_key = ?",
                       STORE_ARGS(SA_INT(p->person_id), SA_TEXT(c->idempotency_key)), sizeof found, fill_sent_ids,
                       &found);
    if (rc == 1)
        c->sent = (msg_sent_t){.conversation_id = found.conversation_id, .message_id = found.message_id,
                               .duplicate = true};
    return rc;
}

void messages_submit(request_t *r, const principal_t *p, msg_compose_t *c, msg_done_fn done)
{
    c->done = done;
    c->problem = MSG_OK;
    memset(&c->sent, 0, sizeof c->sent);
    int rc = already_sent(r, p, c);
    if (rc != 0) {
        finish(r, c, rc < 0 ? rc : STORE_OK);
        return;
    }
    int64_t existing = c->conversation_id > 0 ? c->conversation_id : c->private_reply_to;
    if (existing > 0) {
        msg_conversation_t mc;
        rc = messages_get(STORE_READER(reader(r)), &r->arena, p->person_id, existing, &mc);
        if (rc == 1) {
            c->school_id = mc.school_id;
            int64_t members = 1;
            rc = c->private_reply_to > 0 ? 0 : messages_member_count(STORE_READER(reader(r)), existing, &members);
            c->npeople = c->private_reply_to > 0 ? 1 : (int)members - 1;
        } else if (rc == 0) {
            c->problem = MSG_CANNOT_REPLY;
            rc = MESSAGES_INVALID;
        }
    } else {
        if (!c->school_id || !principal_in_school(p, c->school_id))
            c->school_id = principal_main_school(p);
        msg_to_t *to = NULL;
        int nto = msg_to_parse_list(&r->arena, c->to_text, &to);
        if (nto == -1) {
            c->problem = MSG_BAD_RECIPIENT;
            rc = MESSAGES_INVALID;
        } else if (nto == -2) {
            c->problem = MSG_TOO_MANY_RECIPIENTS;
            rc = MESSAGES_INVALID;
        } else {
            rc = messages_resolve(reader(r), &r->arena, p, c->school_id, to, nto, &c->resolved, &c->problem,
                                  &c->culprit);
            c->npeople = c->resolved.npeople;
        }
    }
    c->send = (msg_send_t){.school_id = c->school_id, .author_id = p->person_id,
                           .conversation_id = c->conversation_id, .to = &c->resolved, .subject = c->subject,
                           .body = c->body, .forwarded_from = c->forward_of, .idempotency_key = c->idempotency_key,
                           .files = c->files, .nfiles = c->nfiles, .draft_id = c->draft_id,
                           .now = request_arrived_at(r)};
    if (rc == 0) {
        msg_send_t checked = c->send;
        if (c->private_reply_to > 0)
            checked.conversation_id = c->private_reply_to; /* its subject is the broadcast's */
        if ((c->problem = messages_check(&checked)) != MSG_OK)
            rc = MESSAGES_INVALID;
    }
    if (rc != 0) {
        finish(r, c, rc);
        return;
    }
    if (request_store_write(r, send_write, c, send_written) != 0)
        finish(r, c, STORE_BUSY);
}

/* ---- pages ---- */

#define CONTACTS_SHOWN 60

static const char *text(request_t *r, msg_id_t id)
{
    return i18n_text((lang_id_t)r->lang, id);
}

static const char *text_arg(request_t *r, msg_id_t id, const char *arg)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    const char *args[1] = {arg};
    i18n_format(&b, (lang_id_t)r->lang, id, args, 1);
    buf_putc(&b, '\0');
    return b.data;
}

static const char *cstr(request_t *r, str_t s)
{
    return arena_strndup(&r->arena, s.ptr ? s.ptr : "", s.len);
}

static void unavailable(request_t *r)
{
    respond_error(r, 503, MSG_error_unavailable, NULL);
}

/* A fresh idempotency key for a form: a double submission sends once. */
static const char *form_key(request_t *r)
{
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char *hex = arena_alloc(&r->arena, sizeof raw * 2 + 1);
    sodium_bin2hex(hex, sizeof raw * 2 + 1, raw, sizeof raw);
    return hex;
}

static bool may_moderate(const principal_t *p, int64_t school_id)
{
    policy_target_t t = policy_target_school(school_id);
    return school_id && policy_allows(p, POLICY_MESSAGE_MODERATE, &t);
}

static void set_folder_flags(request_t *r, value_t *v, const principal_t *p, const char *current)
{
    value_set_bool(v, "folder_inbox", strcmp(current, "inbox") == 0);
    value_set_bool(v, "folder_sent", strcmp(current, "sent") == 0);
    value_set_bool(v, "folder_archive", strcmp(current, "archive") == 0);
    value_set_bool(v, "folder_drafts", strcmp(current, "drafts") == 0);
    value_set_bool(v, "can_moderate", may_moderate(p, principal_main_school(p)));
    (void)r;
}

/* "Classe 5e B", or the other members' names. */
static const char *people_label(request_t *r, const msg_conversation_t *c)
{
    const char *name = cstr(r, c->broadcast_name);
    if (str_eq_cstr(c->broadcast, "class"))
        return text_arg(r, MSG_messages_broadcast_class, name);
    if (str_eq_cstr(c->broadcast, "group"))
        return text_arg(r, MSG_messages_broadcast_group, name);
    if (str_eq_cstr(c->broadcast, "class_parents"))
        return text_arg(r, MSG_messages_broadcast_class_parents, name);
    if (c->nmembers > 5) /* the first few names are listed */
        return text_arg(r, MSG_messages_members_more, cstr(r, c->members));
    return cstr(r, c->members);
}

static void messages_list_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    str_t folder_s = request_query(r, "folder");
    msg_folder_t folder = str_eq_cstr(folder_s, "sent") ? MSG_SENT : str_eq_cstr(folder_s, "archive") ? MSG_ARCHIVE
                                                                                                         : MSG_INBOX;
    const char *folder_name = folder == MSG_SENT ? "sent" : folder == MSG_ARCHIVE ? "archive" : "inbox";
    str_t q = request_query(r, "q");
    if (!q.ptr || q.len > 100)
        q = STR("");
    /* ?before=<time>.<id>: the last conversation of the previous page */
    msg_cursor_t before = {0, 0};
    str_t before_id, before_at = str_cut(request_query(r, "before"), '.', &before_id);
    if (!str_to_i64(before_at, &before.at) || !before_id.ptr || !str_to_i64(before_id, &before.id) ||
        before.at < 0 || before.id < 0)
        before = (msg_cursor_t){0, 0};
    msg_conversation_t *list;
    int unread = 0, n, blocked;
    if (folder == MSG_INBOX && !q.len && !before.at) {
        /* the page everyone opens: from the worker's cache while nothing of theirs moved */
        const msg_inbox_t *in = messages_inbox(&r->worker->inboxes, r->app->store, reader(r), &r->arena,
                                               p->person_id, principal_main_school(p));
        if (!in) {
            unavailable(r);
            return;
        }
        list = in->items;
        n = in->n;
        unread = in->unread;
        blocked = in->blocked;
    } else {
        n = messages_list(reader(r), &r->arena, p->person_id, folder, q, before, MSG_PAGE, &list);
        blocked = principal_main_school(p)
                      ? messages_is_blocked(STORE_READER(reader(r)), principal_main_school(p), p->person_id)
                      : 0;
        if (n < 0 || blocked < 0 || messages_unread(STORE_READER(reader(r)), p->person_id, &unread) < 0) {
            unavailable(r);
            return;
        }
    }
    value_t *v = value_map(&r->arena);
    set_folder_flags(r, v, p, folder_name);
    value_set_cstr(v, "folder_param", folder == MSG_INBOX ? "" : folder_name);
    value_set_str(v, "q", q);
    value_set_int(v, "unread", unread);
    value_set_bool(v, "blocked", blocked == 1);
    value_t *items = value_set_list(v, "conversations");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", list[i].id);
        value_set_str(m, "subject", list[i].subject);
        value_set_cstr(m, "people", people_label(r, &list[i]));
        value_set_cstr(m, "when", page_instant_label(r, list[i].last_message_at));
        value_set_str(m, "last_author", list[i].last_author);
        value_set_str(m, "preview", list[i].preview);
        value_set_int(m, "unread", list[i].unread);
        value_push(items, m);
    }
    if (n == MSG_PAGE)
        value_set_cstr(v, "older", arena_printf(&r->arena, "%lld.%lld", (long long)list[n - 1].last_message_at,
                                                (long long)list[n - 1].id));
    page_render(r, 200, TPL_messages_list, v);
}

/* ---- one conversation ---- */

typedef struct thread_view {
    msg_conversation_t conversation;
    int64_t person_id;
    str_t reply_body;
    const char *error;
    const char *notice;
    int status;
} thread_view_t;

static const char *size_label(request_t *r, int64_t size)
{
    if (size < 1024)
        return arena_printf(&r->arena, "%lld o", (long long)size);
    if (size < 1024 * 1024)
        return arena_printf(&r->arena, "%lld Ko", (long long)(size / 1024));
    return arena_printf(&r->arena, "%.1f Mo", (double)size / (1024.0 * 1024.0));
}

/* The broadcast's sender, for a recipient's private reply label. */
static const char *sender_name(request_t *r, int64_t person_id)
{
    person_t who;
    if (person_get(STORE_READER(reader(r)), &r->arena, person_id, &who) != 1)
        return "";
    return arena_printf(&r->arena, "%.*s %.*s", (int)who.first_name.len, who.first_name.ptr, (int)who.last_name.len,
                        who.last_name.ptr);
}

static void render_thread(request_t *r, const thread_view_t *tv, bool moderator)
{
    const principal_t *p = request_principal(r);
    const msg_conversation_t *c = &tv->conversation;
    msg_message_t *msgs;
    int n = messages_thread(STORE_READER(reader(r)), &r->arena, c->id, 200, &msgs);
    int blocked = messages_is_blocked(STORE_READER(reader(r)), c->school_id, p->person_id);
    if (n < 0 || blocked < 0) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_t *cv = value_set_map(v, "conversation");
    value_set_int(cv, "id", c->id);
    value_set_str(cv, "subject", c->subject);
    value_set_cstr(cv, "people", moderator ? "" : people_label(r, c));
    value_set_bool(cv, "archived", c->archived);
    value_set_bool(v, "moderator", moderator);
    value_set_cstr(v, "back", moderator ? "/messages/moderation" : "/messages");
    value_set_cstr(v, "key", form_key(r));
    value_set_str(v, "reply_body", tv->reply_body);
    if (tv->error)
        value_set_cstr(v, "error", tv->error);
    if (tv->notice)
        value_set_cstr(v, "sent_notice", tv->notice);
    bool broadcast_recipient = c->broadcast.len && !c->can_reply && c->created_by != p->person_id;
    value_set_bool(v, "can_write", blocked == 0 && (c->can_reply || broadcast_recipient));
    if (broadcast_recipient)
        value_set_cstr(v, "private_to", sender_name(r, c->created_by));
    value_t *list = value_set_list(v, "messages");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", msgs[i].id);
        value_set_cstr(m, "author", msgs[i].author_id == p->person_id ? text(r, MSG_messages_from_me)
                                                                       : cstr(r, msgs[i].author_name));
        value_set_bool(m, "mine", msgs[i].author_id == p->person_id);
        value_set_cstr(m, "when", page_instant_label(r, msgs[i].sent_at));
        value_set_str(m, "body", msgs[i].body);
        value_set_bool(m, "forwarded", msgs[i].forwarded_from != 0);
        value_t *files = value_set_list(m, "files");
        for (int k = 0; k < msgs[i].nfiles; k++) {
            value_t *f = value_map(&r->arena);
            value_set_cstr(f, "id", msgs[i].files[k].id);
            value_set_str(f, "name", msgs[i].files[k].name);
            value_set_cstr(f, "size", size_label(r, msgs[i].files[k].size));
            value_push(files, f);
        }
        value_push(list, m);
    }
    page_render(r, tv->status ? tv->status : 200, TPL_messages_thread, v);
}

static int read_write(store_tx_t *tx, void *ud)
{
    thread_view_t *tv = ud;
    return messages_mark_read(tx, tv->person_id, tv->conversation.id);
}

static void read_written(request_t *r, void *ud, int status)
{
    thread_view_t *tv = ud;
    /* the read state is a side effect: failing it does not hide the conversation */
    if (status < 0)
        LOG_WARN("conversation read not recorded", "conversation=%lld person=%lld status=%d",
                 (long long)tv->conversation.id, (long long)tv->person_id, status);
    render_thread(r, tv, false);
}

static void thread_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    thread_view_t *tv = ARENA_NEW(&r->arena, thread_view_t);
    int rc = messages_get(STORE_READER(reader(r)), &r->arena, p->person_id, request_param_int(r, "id"),
                          &tv->conversation);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        /* someone else's conversation looks like no conversation */
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    tv->person_id = p->person_id;
    tv->reply_body = STR("");
    str_t sent = request_query(r, "sent");
    if (sent.ptr)
        tv->notice = str_eq_cstr(sent, "again") ? text(r, MSG_messages_sent_duplicate)
                                                : text_arg(r, MSG_messages_sent_ok, cstr(r, sent));
    if (request_query(r, "reported").ptr)
        tv->notice = text(r, str_eq_cstr(request_query(r, "reported"), "again") ? MSG_messages_already_reported
                                                                               : MSG_messages_reported);
    if (tv->conversation.unread == 0 || request_store_write(r, read_write, tv, read_written) != 0)
        render_thread(r, tv, false);
}

/* ---- writing ---- */

typedef struct compose_page {
    msg_compose_t c;
    str_t filter;
    const char *error;
    bool saved;
    int status;
    const char *key;
} compose_page_t;

/* Every value of a repeated field, joined with commas ("p:1,c:4"). */
static str_t joined_values(request_t *r, const form_t *f, const char *name)
{
    buf_t b;
    buf_init(&b, &r->arena, 64);
    for (size_t i = 0; i < f->len; i++)
        if (str_eq_cstr(f->fields[i].name, name)) {
            if (b.len)
                buf_putc(&b, ',');
            buf_append_str(&b, f->fields[i].value);
        }
    return buf_str(&b);
}

static bool contact_matches(const msg_contact_t *c, str_t filter)
{
    if (!filter.len)
        return true;
    for (size_t i = 0; i + filter.len <= c->name.len; i++) {
        size_t k = 0;
        while (k < filter.len) {
            char a = c->name.ptr[i + k], b = filter.ptr[k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                break;
            k++;
        }
        if (k == filter.len)
            return true;
    }
    return false;
}

static const char *contact_label(request_t *r, const msg_contact_t *c)
{
    const char *name = cstr(r, c->name);
    switch (c->to.kind) {
    case MSG_TO_CLASS: return text_arg(r, MSG_messages_contact_class, name);
    case MSG_TO_GROUP: return text_arg(r, MSG_messages_contact_group, name);
    case MSG_TO_CLASS_PARENTS: return text_arg(r, MSG_messages_contact_class_parents, name);
    case MSG_TO_PERSON: break;
    }
    return name;
}

static const char *contact_detail(request_t *r, const msg_contact_t *c)
{
    if (c->to.kind != MSG_TO_PERSON)
        return "";
    str_t rest;
    str_t code = str_cut(c->detail, ',', &rest);
    role_t role;
    if (!role_parse(code, &role))
        return cstr(r, c->detail);
    const char *label = page_role_label(r, role);
    return rest.ptr ? arena_printf(&r->arena, "%s,%.*s", label, (int)rest.len, rest.ptr) : label;
}

static bool chosen(const msg_to_t *to, int n, msg_to_t c)
{
    for (int i = 0; i < n; i++)
        if (to[i].kind == c.kind && to[i].id == c.id)
            return true;
    return false;
}

static void render_compose(request_t *r, compose_page_t *cp)
{
    const principal_t *p = request_principal(r);
    int64_t school = cp->c.school_id && principal_in_school(p, cp->c.school_id) ? cp->c.school_id
                                                                                 : principal_main_school(p);
    msg_contact_t *contacts = NULL;
    int n = school ? messages_contacts(reader(r), &r->arena, p, school, &contacts) : 0;
    if (n < 0) {
        unavailable(r);
        return;
    }
    msg_to_t *to = NULL;
    int nto = msg_to_parse_list(&r->arena, cp->c.to_text, &to);
    if (nto < 0)
        nto = 0;
    value_t *v = value_map(&r->arena);
    value_set_int(v, "school_id", school);
    value_set_cstr(v, "key", cp->key ? cp->key : form_key(r));
    value_set_str(v, "subject", cp->c.subject);
    value_set_str(v, "body", cp->c.body);
    value_set_str(v, "filter", cp->filter);
    if (cp->c.draft_id)
        value_set_int(v, "draft_id", cp->c.draft_id);
    if (cp->c.forward_of)
        value_set_int(v, "forward_of", cp->c.forward_of);
    if (cp->error)
        value_set_cstr(v, "error", cp->error);
    value_set_bool(v, "saved", cp->saved);
    value_t *chosen_list = value_set_list(v, "chosen");
    value_t *list = value_set_list(v, "contacts");
    int shown = 0, more = 0;
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_str(m, "value", msg_to_format(&r->arena, &contacts[i].to, 1));
        value_set_cstr(m, "name", contact_label(r, &contacts[i]));
        if (chosen(to, nto, contacts[i].to)) {
            value_push(chosen_list, m);
            continue;
        }
        if (!contact_matches(&contacts[i], cp->filter))
            continue;
        if (shown == CONTACTS_SHOWN) {
            more++;
            continue;
        }
        value_set_cstr(m, "detail", contact_detail(r, &contacts[i]));
        value_push(list, m);
        shown++;
    }
    if (more)
        value_set_int(v, "more", more);
    page_render(r, cp->status ? cp->status : 200, TPL_messages_compose, v);
}

/* "Re: ..." for a forward, and the original quoted below what the author adds. */
static void prefill_forward(request_t *r, compose_page_t *cp, int64_t message_id)
{
    const principal_t *p = request_principal(r);
    int64_t conversation = 0;
    msg_conversation_t c;
    if (messages_message_conversation(STORE_READER(reader(r)), message_id, &conversation) != 1 ||
        messages_get(STORE_READER(reader(r)), &r->arena, p->person_id, conversation, &c) != 1)
        return;
    msg_message_t *msgs;
    int n = messages_thread(STORE_READER(reader(r)), &r->arena, conversation, 200, &msgs);
    for (int i = 0; i < n; i++)
        if (msgs[i].id == message_id) {
            cp->c.forward_of = message_id;
            cp->c.subject = str_from(arena_printf(&r->arena, "Tr: %.*s", (int)c.subject.len, c.subject.ptr));
            cp->c.body = str_from(arena_printf(&r->arena, "\n\n---\n%.*s :\n%.*s", (int)msgs[i].author_name.len,
                                               msgs[i].author_name.ptr, (int)msgs[i].body.len, msgs[i].body.ptr));
        }
}

static void compose_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    compose_page_t *cp = ARENA_NEW(&r->arena, compose_page_t);
    cp->c.subject = cp->c.body = cp->c.to_text = cp->filter = STR("");
    str_t to = request_query(r, "to");
    if (to.ptr && to.len <= 2000)
        cp->c.to_text = to;
    int64_t id;
    str_t draft = request_query(r, "draft");
    if (draft.ptr && str_to_i64(draft, &id) && id > 0) {
        msg_draft_t d;
        int rc = messages_draft_get(STORE_READER(reader(r)), &r->arena, p->person_id, id, &d);
        if (rc < 0) {
            unavailable(r);
            return;
        }
        if (rc == 0) {
            respond_error(r, 404, MSG_error_not_found, NULL);
            return;
        }
        cp->c = (msg_compose_t){.school_id = d.school_id, .to_text = d.recipients, .subject = d.subject,
                                .body = d.body, .draft_id = d.id};
    }
    str_t forward = request_query(r, "forward");
    if (forward.ptr && str_to_i64(forward, &id) && id > 0)
        prefill_forward(r, cp, id);
    render_compose(r, cp);
}

/* Who the refusal is about, as the picker names them. */
static const char *culprit_name(request_t *r, const msg_compose_t *c)
{
    if (c->problem != MSG_NOT_ALLOWED && c->problem != MSG_BAD_RECIPIENT)
        return "";
    if (c->culprit.kind == MSG_TO_PERSON) {
        const char *name = sender_name(r, c->culprit.id);
        if (*name)
            return name;
    } else {
        class_info_t cls;
        if (c->culprit.kind != MSG_TO_GROUP &&
            class_get(STORE_READER(reader(r)), &r->arena, c->culprit.id, &cls) == 1)
            return cstr(r, cls.name);
    }
    return cstr(r, msg_to_format(&r->arena, &c->culprit, 1));
}

static void compose_sent(request_t *r, msg_compose_t *c, int status)
{
    compose_page_t *cp = (compose_page_t *)c;
    if (status == STORE_OK) {
        respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/messages/%lld?sent=%s",
                                                       (long long)c->sent.conversation_id,
                                                       c->sent.duplicate ? "again"
                                                                         : arena_printf(&r->arena, "%d", c->npeople))));
        return;
    }
    /* the compose comes back with the reason; nothing typed is lost */
    cp->key = cstr(r, c->idempotency_key);
    if (status == MESSAGES_INVALID) {
        const char *who = culprit_name(r, c);
        cp->error = c->problem == MSG_NOT_ALLOWED ? text_arg(r, MSG_messages_error_not_allowed, who)
                                                  : text(r, messages_problem_msg(c->problem));
        cp->status = c->problem == MSG_NOT_ALLOWED || c->problem == MSG_SENDER_BLOCKED ? 403 : 400;
    } else {
        cp->error = text(r, MSG_error_unavailable);
        cp->status = 503;
        response_header_cstr(r, "retry-after", "5");
    }
    render_compose(r, cp);
}

typedef struct draft_job {
    compose_page_t *cp;
    msg_draft_t draft;
    int64_t author_id;
} draft_job_t;

static int draft_write(store_tx_t *tx, void *ud)
{
    draft_job_t *j = ud;
    int rc = messages_draft_save(tx, j->author_id, &j->draft);
    return rc == 0 ? MESSAGES_INVALID : rc < 0 ? rc : STORE_OK;
}

static void draft_written(request_t *r, void *ud, int status)
{
    draft_job_t *j = ud;
    if (status == STORE_OK) {
        j->cp->c.draft_id = j->draft.id;
        j->cp->saved = true;
    } else {
        j->cp->error = text(r, status == MESSAGES_INVALID ? MSG_messages_error_bad_text : MSG_error_unavailable);
        j->cp->status = status == MESSAGES_INVALID ? 400 : 503;
    }
    render_compose(r, j->cp);
}

/* Reads a multipart compose or reply: the fields, then the files. false when it
 * answered (the page with the text kept, or an error). */
static bool read_compose(request_t *r, compose_page_t *cp, multipart_form_result_t **out)
{
    multipart_form_result_t *mp = request_multipart_keeping_text(r);
    if (!mp)
        return false;
    form_t *f = &mp->fields;
    str_t v;
    cp->c.to_text = joined_values(r, f, "to");
    cp->c.subject = (v = form_get(f, "subject")).ptr ? v : STR("");
    cp->c.body = (v = form_get(f, "body")).ptr ? v : STR("");
    cp->c.idempotency_key = (v = form_get(f, "key")).ptr ? v : STR("");
    cp->filter = (v = form_get(f, "filter")).ptr && v.len <= 100 ? str_trim(v) : STR("");
    int64_t id;
    if ((v = form_get(f, "school")).ptr && str_to_i64(v, &id))
        cp->c.school_id = id;
    if ((v = form_get(f, "draft")).ptr && str_to_i64(v, &id) && id > 0)
        cp->c.draft_id = id;
    if ((v = form_get(f, "forward")).ptr && str_to_i64(v, &id) && id > 0)
        cp->c.forward_of = id;
    *out = mp;
    if (mp->status == MPF_FILE_TOO_LARGE || mp->status == MPF_FILES_TOO_LARGE || mp->status == MPF_TOO_MANY_FILES) {
        cp->error = text(r, mp->status == MPF_TOO_MANY_FILES ? MSG_error_too_many_files : MSG_error_file_too_large);
        cp->status = 413;
        return false;
    }
    return true;
}

static bool adopt_files(request_t *r, compose_page_t *cp, multipart_form_result_t *mp)
{
    cp->c.files = ARENA_ARRAY(&r->arena, stored_file_t, MSG_FILES_MAX);
    const char *refused;
    upload_outcome_t o = uploads_adopt(r, mp, cp->c.files, MSG_FILES_MAX, &cp->c.nfiles, &refused);
    if (o == UPLOADS_OK)
        return true;
    cp->error = uploads_refusal_text(r, o, refused, &cp->status);
    return false;
}

static void compose_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    compose_page_t *cp = ARENA_NEW(&r->arena, compose_page_t);
    multipart_form_result_t *mp = NULL;
    if (!read_compose(r, cp, &mp)) {
        if (mp)
            render_compose(r, cp);
        return;
    }
    cp->key = cstr(r, cp->c.idempotency_key);
    str_t action = form_get(&mp->fields, "action");
    if (str_eq_cstr(action, "filter")) {
        render_compose(r, cp);
        return;
    }
    if (str_eq_cstr(action, "save")) {
        draft_job_t *j = ARENA_NEW(&r->arena, draft_job_t);
        j->cp = cp;
        j->author_id = p->person_id;
        j->draft = (msg_draft_t){.id = cp->c.draft_id,
                                 .school_id = cp->c.school_id && principal_in_school(p, cp->c.school_id)
                                                  ? cp->c.school_id
                                                  : principal_main_school(p),
                                 .recipients = cp->c.to_text, .subject = cp->c.subject, .body = cp->c.body,
                                 .updated_at = clock_now()};
        if (!j->draft.school_id) {
            respond_forbidden(r);
            return;
        }
        if (request_store_write(r, draft_write, j, draft_written) != 0) {
            cp->error = text(r, MSG_error_unavailable);
            cp->status = 503;
            render_compose(r, cp);
        }
        return;
    }
    if (!adopt_files(r, cp, mp)) {
        render_compose(r, cp);
        return;
    }
    messages_submit(r, p, &cp->c, compose_sent);
}

static void reply_sent(request_t *r, msg_compose_t *c, int status)
{
    compose_page_t *cp = (compose_page_t *)c;
    int64_t conversation = c->conversation_id ? c->conversation_id : c->private_reply_to;
    if (status == STORE_OK) {
        /* a private reply lives in its own conversation */
        respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/messages/%lld%s#m%lld",
                                                       (long long)c->sent.conversation_id,
                                                       c->sent.duplicate ? "?sent=again" : "",
                                                       (long long)c->sent.message_id)));
        return;
    }
    thread_view_t *tv = ARENA_NEW(&r->arena, thread_view_t);
    const principal_t *p = request_principal(r);
    int rc = messages_get(STORE_READER(reader(r)), &r->arena, p->person_id, conversation, &tv->conversation);
    if (rc != 1) {
        respond_error(r, rc == 0 ? 404 : 503, rc == 0 ? MSG_error_not_found : MSG_error_unavailable, NULL);
        return;
    }
    tv->person_id = p->person_id;
    tv->reply_body = c->body;
    if (status == MESSAGES_INVALID) {
        tv->error = text(r, messages_problem_msg(c->problem));
        tv->status = c->problem == MSG_CANNOT_REPLY || c->problem == MSG_SENDER_BLOCKED ? 403 : 400;
    } else {
        tv->error = cp->error ? cp->error : text(r, MSG_error_unavailable);
        tv->status = cp->status ? cp->status : 503;
    }
    render_thread(r, tv, false);
}

static void reply_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    compose_page_t *cp = ARENA_NEW(&r->arena, compose_page_t);
    int64_t id = request_param_int(r, "id");
    multipart_form_result_t *mp = NULL;
    bool ok = read_compose(r, cp, &mp);
    if (!mp)
        return;
    if (form_get(&mp->fields, "private").ptr)
        cp->c.private_reply_to = id;
    else
        cp->c.conversation_id = id;
    cp->c.forward_of = 0;
    cp->c.draft_id = 0;
    if (!ok || !adopt_files(r, cp, mp)) {
        reply_sent(r, &cp->c, STORE_ERROR);
        return;
    }
    messages_submit(r, p, &cp->c, reply_sent);
}

/* ---- archive, report, drafts ---- */

typedef struct flag_job {
    int64_t person_id, id;
    bool on;
    str_t reason;
    int result;
} flag_job_t;

static int archive_write(store_tx_t *tx, void *ud)
{
    flag_job_t *j = ud;
    return messages_archive(tx, j->person_id, j->id, j->on) < 0 ? STORE_ERROR : STORE_OK;
}

static void archive_written(request_t *r, void *ud, int status)
{
    flag_job_t *j = ud;
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303, str_from(j->on ? "/messages" : arena_printf(&r->arena, "/messages/%lld", (long long)j->id)));
}

static void archive_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    flag_job_t *j = ARENA_NEW(&r->arena, flag_job_t);
    j->person_id = p->person_id;
    j->id = request_param_int(r, "id");
    j->on = !str_eq_cstr(form_get(f, "archived"), "0");
    int member = messages_is_member(STORE_READER(reader(r)), p->person_id, j->id);
    if (member < 0) {
        unavailable(r);
        return;
    }
    if (member == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (request_store_write(r, archive_write, j, archive_written) != 0)
        unavailable(r);
}

static int report_write(store_tx_t *tx, void *ud)
{
    flag_job_t *j = ud;
    j->result = messages_report(tx, j->person_id, j->id, j->reason, clock_now());
    return j->result < 0 ? j->result : STORE_OK;
}

static void report_written(request_t *r, void *ud, int status)
{
    flag_job_t *j = ud;
    if (status == MESSAGES_INVALID) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    int64_t conversation = 0;
    messages_message_conversation(STORE_READER(reader(r)), j->id, &conversation);
    LOG_INFO("message reported", "message=%lld by=%lld", (long long)j->id, (long long)j->person_id);
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/messages/%lld?reported=%s#m%lld",
                                                   (long long)conversation, j->result == 1 ? "1" : "again",
                                                   (long long)j->id)));
}

static void report_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    form_t *f = request_form(r);
    if (!f)
        return;
    flag_job_t *j = ARENA_NEW(&r->arena, flag_job_t);
    j->person_id = p->person_id;
    j->id = request_param_int(r, "id");
    str_t reason = form_get(f, "reason");
    j->reason = reason.ptr && reason.len <= 2000 ? reason : STR("");
    if (request_store_write(r, report_write, j, report_written) != 0)
        unavailable(r);
}

static void drafts_page(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    msg_draft_t *drafts;
    int n = messages_drafts(STORE_READER(reader(r)), &r->arena, p->person_id, &drafts);
    if (n < 0) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    set_folder_flags(r, v, p, "drafts");
    value_t *list = value_set_list(v, "drafts");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", drafts[i].id);
        value_set_str(m, "subject", drafts[i].subject);
        value_set_cstr(m, "when", page_instant_label(r, drafts[i].updated_at));
        value_push(list, m);
    }
    page_render(r, 200, TPL_messages_drafts, v);
}

static int draft_delete_write(store_tx_t *tx, void *ud)
{
    flag_job_t *j = ud;
    return messages_draft_delete(tx, j->person_id, j->id);
}

static void redirect_to_drafts(request_t *r, void *ud, int status)
{
    (void)ud;
    if (status < 0)
        unavailable(r);
    else
        respond_redirect(r, 303, STR("/messages/drafts"));
}

static void draft_delete_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p || !request_form(r))
        return;
    flag_job_t *j = ARENA_NEW(&r->arena, flag_job_t);
    j->person_id = p->person_id;
    j->id = request_param_int(r, "id");
    if (request_store_write(r, draft_delete_write, j, redirect_to_drafts) != 0)
        unavailable(r);
}

/* ---- moderation and rules (a school's administrators) ---- */

/* The school an administrator acts on: ?school= / the form's, else their main one.
 * 0 when they may not moderate it (the caller answers 403). */
static int64_t moderated_school(request_t *r, const principal_t *p, str_t wanted)
{
    int64_t id = 0;
    if (!wanted.ptr || !str_to_i64(wanted, &id) || id <= 0)
        id = principal_main_school(p);
    return may_moderate(p, id) ? id : 0;
}

/* The opening of a moderation page: the signed-in administrator and the ?school=
 * they moderate, or 0 once answered (sign-in page, 403). */
static int64_t require_moderator(request_t *r, const principal_t **who)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return 0;
    int64_t school = moderated_school(r, p, request_query(r, "school"));
    if (!school)
        respond_forbidden(r);
    *who = p;
    return school;
}

static void moderation_page(request_t *r)
{
    const principal_t *p;
    int64_t school = require_moderator(r, &p);
    if (!school)
        return;
    msg_report_t *reports;
    int n = messages_reports_open(STORE_READER(reader(r)), &r->arena, school, &reports);
    if (n < 0) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_int(v, "school_id", school);
    value_t *list = value_set_list(v, "reports");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_int(m, "id", reports[i].id);
        value_set_int(m, "conversation_id", reports[i].conversation_id);
        value_set_int(m, "author_id", reports[i].author_id);
        value_set_str(m, "subject", reports[i].subject);
        value_set_str(m, "body", reports[i].body);
        value_set_str(m, "reason", reports[i].reason);
        value_set_str(m, "reporter", reports[i].reporter_name);
        value_set_str(m, "author", reports[i].author_name);
        value_set_cstr(m, "when", page_instant_label(r, reports[i].created_at));
        value_set_bool(m, "blocked", reports[i].author_blocked);
        value_push(list, m);
    }
    page_render(r, 200, TPL_messages_moderation, v);
}

/* An administrator reads a conversation only when one of its messages was reported
 * in their school. */
static void moderation_thread_page(request_t *r)
{
    const principal_t *p;
    int64_t school = require_moderator(r, &p);
    if (!school)
        return;
    thread_view_t *tv = ARENA_NEW(&r->arena, thread_view_t);
    int64_t id = request_param_int(r, "id"), reported = 0;
    int rc = store_int(STORE_READER(reader(r)),
                       "SELECT 1 FROM message_reports rp JOIN messages x ON x.id = rp.message_id "
                       "JOIN conversations c ON c.id = x.conversation_id WHERE c.id = ? AND c.school_id = ? LIMIT 1",
                       STORE_ARGS(SA_INT(id), SA_INT(school)), &reported);
    if (rc == 1)
        rc = messages_get_any(STORE_READER(reader(r)), &r->arena, id, &tv->conversation);
    if (rc < 0) {
        unavailable(r);
        return;
    }
    if (rc == 0) {
        respond_error(r, 404, MSG_error_not_found, NULL);
        return;
    }
    tv->reply_body = STR("");
    LOG_INFO("reported conversation read", "conversation=%lld by=%lld", (long long)id, (long long)p->person_id);
    render_thread(r, tv, true);
}

typedef struct moderation_job {
    int64_t school_id, id, by;
    bool on;
    int result;
} moderation_job_t;

static void redirect_to_moderation(request_t *r, void *ud, int status)
{
    moderation_job_t *j = ud;
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303, str_from(arena_printf(&r->arena, "/messages/moderation?school=%lld",
                                                   (long long)j->school_id)));
}

static int close_write(store_tx_t *tx, void *ud)
{
    moderation_job_t *j = ud;
    int rc = messages_report_close(tx, j->school_id, j->id, j->by, clock_now());
    return rc < 0 ? rc : STORE_OK;
}

static int block_write(store_tx_t *tx, void *ud)
{
    moderation_job_t *j = ud;
    int rc = j->on ? messages_block(tx, j->school_id, j->id, j->by, STR(""), clock_now())
                   : messages_unblock(tx, j->school_id, j->id);
    return rc < 0 ? rc : STORE_OK;
}

static moderation_job_t *moderation_job(request_t *r, const principal_t *p, form_t *f)
{
    int64_t school = moderated_school(r, p, form_get(f, "school"));
    if (!school) {
        respond_forbidden(r);
        return NULL;
    }
    moderation_job_t *j = ARENA_NEW(&r->arena, moderation_job_t);
    j->school_id = school;
    j->by = p->person_id;
    return j;
}

static void report_close_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    form_t *f = p ? request_form(r) : NULL;
    moderation_job_t *j = f ? moderation_job(r, p, f) : NULL;
    if (!j)
        return;
    j->id = request_param_int(r, "id");
    if (request_store_write(r, close_write, j, redirect_to_moderation) != 0)
        unavailable(r);
}

static void block_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    form_t *f = p ? request_form(r) : NULL;
    moderation_job_t *j = f ? moderation_job(r, p, f) : NULL;
    if (!j)
        return;
    j->on = !str_eq_cstr(form_get(f, "blocked"), "0");
    if (!str_to_i64(form_get(f, "person"), &j->id) || j->id <= 0 || j->id == p->person_id) {
        respond_error(r, 400, MSG_error_bad_input, NULL);
        return;
    }
    LOG_INFO(j->on ? "sender blocked" : "sender unblocked", "school=%lld person=%lld by=%lld",
             (long long)j->school_id, (long long)j->id, (long long)p->person_id);
    if (request_store_write(r, block_write, j, redirect_to_moderation) != 0)
        unavailable(r);
}

static const struct {
    const char *name;
    msg_id_t label;
    size_t offset;
} rule_fields[] = {
    {"pupil_to_teachers", MSG_messages_rule_pupil_to_teachers, offsetof(msg_rules_t, pupil_to_teachers)},
    {"pupil_to_staff", MSG_messages_rule_pupil_to_staff, offsetof(msg_rules_t, pupil_to_staff)},
    {"pupil_to_classmates", MSG_messages_rule_pupil_to_classmates, offsetof(msg_rules_t, pupil_to_classmates)},
    {"parent_to_teachers", MSG_messages_rule_parent_to_teachers, offsetof(msg_rules_t, parent_to_teachers)},
    {"parent_to_staff", MSG_messages_rule_parent_to_staff, offsetof(msg_rules_t, parent_to_staff)},
    {"parent_to_class_parents", MSG_messages_rule_parent_to_class_parents,
     offsetof(msg_rules_t, parent_to_class_parents)},
};

static void render_rules(request_t *r, int64_t school, const msg_rules_t *rules, bool saved)
{
    value_t *v = value_map(&r->arena);
    value_set_int(v, "school_id", school);
    value_set_bool(v, "saved", saved);
    value_t *list = value_set_list(v, "rules");
    for (size_t i = 0; i < sizeof rule_fields / sizeof rule_fields[0]; i++) {
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "name", rule_fields[i].name);
        value_set_cstr(m, "label", text(r, rule_fields[i].label));
        value_set_bool(m, "on", *(const bool *)((const char *)rules + rule_fields[i].offset));
        value_push(list, m);
    }
    page_render(r, 200, TPL_messages_rules, v);
}

static void rules_page(request_t *r)
{
    const principal_t *p;
    int64_t school = require_moderator(r, &p);
    if (!school)
        return;
    msg_rules_t rules;
    if (msg_rules_get(STORE_READER(reader(r)), school, &rules) < 0) {
        unavailable(r);
        return;
    }
    render_rules(r, school, &rules, request_query(r, "saved").ptr != NULL);
}

typedef struct rules_job {
    int64_t school_id;
    msg_rules_t rules;
} rules_job_t;

static int rules_write(store_tx_t *tx, void *ud)
{
    rules_job_t *j = ud;
    return msg_rules_set(tx, j->school_id, &j->rules, clock_now());
}

static void rules_written(request_t *r, void *ud, int status)
{
    rules_job_t *j = ud;
    if (status < 0) {
        unavailable(r);
        return;
    }
    respond_redirect(r, 303,
                     str_from(arena_printf(&r->arena, "/messages/rules?school=%lld&saved=1", (long long)j->school_id)));
}

static void rules_submit(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    form_t *f = p ? request_form(r) : NULL;
    if (!f)
        return;
    rules_job_t *j = ARENA_NEW(&r->arena, rules_job_t);
    j->school_id = moderated_school(r, p, form_get(f, "school"));
    if (!j->school_id) {
        respond_forbidden(r);
        return;
    }
    /* an unchecked box is absent: every switch is read, none defaults to on */
    for (size_t i = 0; i < sizeof rule_fields / sizeof rule_fields[0]; i++)
        *(bool *)((char *)&j->rules + rule_fields[i].offset) = form_get(f, rule_fields[i].name).ptr != NULL;
    LOG_INFO("message rules changed", "school=%lld by=%lld", (long long)j->school_id, (long long)p->person_id);
    if (request_store_write(r, rules_write, j, rules_written) != 0)
        unavailable(r);
}

int messages_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/messages", HANDLER(messages_list_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/messages/new", HANDLER(compose_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/new", HANDLER(compose_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/messages/drafts", HANDLER(drafts_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/drafts/{id:int}/delete", HANDLER(draft_delete_submit), NULL, 0, err,
                    errlen) ||
        !router_add(router, "GET", "/messages/{id:int}", HANDLER(thread_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/{id:int}/reply", HANDLER(reply_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/{id:int}/archive", HANDLER(archive_submit), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/report/{id:int}", HANDLER(report_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/messages/moderation", HANDLER(moderation_page), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/messages/moderation/conversations/{id:int}", HANDLER(moderation_thread_page),
                    NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/moderation/reports/{id:int}/close", HANDLER(report_close_submit),
                    NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/moderation/block", HANDLER(block_submit), NULL, 0, err, errlen) ||
        !router_add(router, "GET", "/messages/rules", HANDLER(rules_page), NULL, 0, err, errlen) ||
        !router_add(router, "POST", "/messages/rules", HANDLER(rules_submit), NULL, 0, err, errlen))
        return -1;
    return messages_api_register_routes(router, err, errlen);
}
