/* The messaging API: conversations and their messages, sending (through
 * messages_submit, the pages' own send path), archiving, reports, the recipient
 * picker's contacts, and the notification feed with its badge.
 *
 * Instants are ISO 8601 in UTC ("2026-11-23T07:45:00Z"). A refused send answers
 * 400 (what was written) or 403 (whom or where it may not be written) with
 * error.code = msg_problem_code and, for a recipient at fault, error.culprit: the
 * client keeps its draft, nothing was sent. Someone else's conversation is 404,
 * like one that does not exist. */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/notify.h"
#include "domain/notify_text.h"
#include "http/async.h"
#include "http/identity.h"
#include "http/response.h"
#include "http/worker.h"
#include "web/messages.h"
#include "web/template.h"

#define THREAD_LIMIT 200 /* the latest messages of a conversation */
#define FEED_LIMIT 50
#define SEARCH_MAX 100   /* characters of a search */
#define CULPRIT_MAX 32   /* a malformed recipient is echoed up to this many bytes */

static store_reader_t *reader(request_t *r)
{
    return r->worker->store_reader;
}

/* The store could not answer: the client may simply try again. */
static void unavailable(request_t *r)
{
    response_header_cstr(r, "retry-after", "1");
    respond_error(r, 503, MSG_error_unavailable, NULL);
}

static void not_found(request_t *r)
{
    respond_error(r, 404, MSG_error_not_found, NULL);
}

/* A lookup's outcome: true when found, else answered (503, or 404: someone
 * else's conversation looks like none). */
static bool found(request_t *r, int rc)
{
    if (rc < 0)
        unavailable(r);
    else if (rc == 0)
        not_found(r);
    return rc > 0;
}

/* The signed-in caller and the JSON body of a write; NULL: answered. */
static json_t *caller_body(request_t *r, const principal_t **p)
{
    *p = request_require_principal(r);
    return *p ? request_json(r) : NULL;
}

/* A write for the caller about the conversation or message in the path. */
typedef struct caller_job {
    int64_t person_id, id, now;
    bool flag;   /* archived */
    str_t text;  /* a report's reason */
} caller_job_t;

static caller_job_t *caller_job(request_t *r, const principal_t *p)
{
    caller_job_t *j = ARENA_NEW(&r->arena, caller_job_t);
    j->person_id = p->person_id;
    j->id = request_param_int(r, "id");
    j->now = clock_now();
    return j;
}

static void queue_write(request_t *r, store_write_fn fn, caller_job_t *j, request_write_done_fn done)
{
    if (request_store_write(r, fn, j, done) != 0)
        unavailable(r);
}

/* ---- instants, JSON members ---- */

static const char *iso_instant(request_t *r, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char *s = arena_alloc(&r->arena, 21);
    if (!gmtime_r(&tt, &tm) || strftime(s, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        s[0] = '\0';
    return s;
}

static bool two_digits(const char *p, int max, int *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return *out <= max;
}

/* "2026-11-23T07:45:00Z", as iso_instant writes it, to Unix seconds. */
static bool parse_instant(str_t s, int64_t *out)
{
    date_t d;
    int h, m, sec;
    if (s.len != 20 || s.ptr[10] != 'T' || s.ptr[13] != ':' || s.ptr[16] != ':' || s.ptr[19] != 'Z' ||
        !date_parse_iso(str_make(s.ptr, 10), &d) || !two_digits(s.ptr + 11, 23, &h) ||
        !two_digits(s.ptr + 14, 59, &m) || !two_digits(s.ptr + 17, 59, &sec))
        return false;
    *out = date_day_number(d) * 86400 + h * 3600 + m * 60 + sec;
    return true;
}

/* A member that is a string when present: false when it is something else; *out
 * is STR_NULL when absent or null. */
static bool opt_string(json_t *o, const char *key, str_t *out)
{
    json_t *v = json_object_get(o, key);
    *out = json_is_string(v) ? str_make(json_string_value(v), json_string_length(v)) : STR_NULL;
    return !v || json_is_string(v) || json_is_null(v);
}

/* ---- refusals ---- */

/* A refused send, in the API's error shape plus the recipient at fault. */
static void refuse(request_t *r, msg_problem_t problem, const char *culprit)
{
    int status = problem == MSG_NOT_ALLOWED || problem == MSG_SENDER_BLOCKED || problem == MSG_CANNOT_REPLY ? 403 : 400;
    buf_t text;
    buf_init(&text, &r->arena, 128);
    const char *args[1] = {culprit ? culprit : ""};
    i18n_format(&text, (lang_id_t)r->lang, messages_problem_msg(problem), args, 1);
    value_t *root = value_map(&r->arena);
    value_t *err = value_set_map(root, "error");
    value_set_int(err, "status", status);
    value_set_cstr(err, "code", msg_problem_code(problem));
    value_set_str(err, "message", buf_str(&text));
    value_set_cstr(err, "detail", "nothing was sent");
    if (culprit)
        value_set_cstr(err, "culprit", culprit);
    respond_json(r, status, root);
}

/* The idempotency key, from the body or the Idempotency-Key header (they must
 * agree when both are given). false: answered. */
static bool read_key(request_t *r, json_t *body, str_t *out)
{
    str_t key, header = request_header(r, "idempotency-key");
    if (!opt_string(body, "idempotency_key", &key)) {
        respond_error(r, 400, MSG_error_bad_input, "idempotency_key: a string");
        return false;
    }
    if (key.ptr && header.ptr && !str_eq(key, header)) {
        refuse(r, MSG_BAD_KEY, NULL);
        return false;
    }
    *out = key.ptr ? key : header.ptr ? header : STR("");
    return true;
}

/* The "to" list as the domain reads it ("p:12,c:4"). false: answered (an entry
 * that is not a recipient is named as the culprit when short enough to be one). */
static bool read_recipients(request_t *r, json_t *to, str_t *out)
{
    size_t n = json_array_size(to);
    msg_to_t *list = arena_alloc(&r->arena, sizeof *list * (n + 1));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(to, i);
        if (!json_is_string(e)) {
            respond_error(r, 400, MSG_error_bad_input, "to: a list of strings such as \"p:12\" or \"c:4\"");
            return false;
        }
        str_t s = str_make(json_string_value(e), json_string_length(e));
        if (!msg_to_parse(s, &list[i])) {
            refuse(r, MSG_BAD_RECIPIENT, s.len <= CULPRIT_MAX ? arena_strndup(&r->arena, s.ptr, s.len) : NULL);
            return false;
        }
    }
    *out = msg_to_format(&r->arena, list, (int)n);
    return true;
}

/* ---- views ---- */

static void set_id_or_null(request_t *r, value_t *m, const char *key, int64_t id)
{
    value_set(m, key, id ? value_int(&r->arena, id) : value_null(&r->arena));
}

static value_t *conversation_json(request_t *r, const msg_conversation_t *c)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", c->id);
    value_set_int(m, "school_id", c->school_id);
    value_set_str(m, "subject", c->subject);
    bool broadcast = c->broadcast.len > 0;
    value_set(m, "broadcast", broadcast ? value_str(&r->arena, c->broadcast) : value_null(&r->arena));
    value_set(m, "broadcast_name", broadcast ? value_str(&r->arena, c->broadcast_name) : value_null(&r->arena));
    value_set_int(m, "created_by", c->created_by);
    value_set_cstr(m, "last_message_at", iso_instant(r, c->last_message_at));
    value_set_str(m, "last_author", c->last_author);
    value_set_str(m, "preview", c->preview);
    /* a broadcast's recipients are not listed (its name says who) */
    value_set(m, "members", broadcast ? value_null(&r->arena) : value_str(&r->arena, c->members));
    value_set_int(m, "member_count", c->nmembers);
    value_set_int(m, "unread", c->unread);
    value_set_bool(m, "archived", c->archived);
    value_set_bool(m, "can_reply", c->can_reply);
    set_id_or_null(r, m, "reply_to_broadcast", c->reply_to_broadcast);
    return m;
}

static value_t *message_json(request_t *r, const msg_message_t *msg)
{
    value_t *m = value_map(&r->arena);
    value_set_int(m, "id", msg->id);
    value_set_int(m, "author_id", msg->author_id);
    value_set_str(m, "author_name", msg->author_name);
    value_set_str(m, "body", msg->body);
    value_set_cstr(m, "sent_at", iso_instant(r, msg->sent_at));
    set_id_or_null(r, m, "forwarded_from", msg->forwarded_from);
    value_t *files = value_set_list(m, "files");
    for (int i = 0; i < msg->nfiles; i++) {
        const stored_file_t *f = &msg->files[i];
        value_t *fm = value_map(&r->arena);
        value_set_cstr(fm, "id", f->id);
        value_set_str(fm, "name", f->name);
        value_set_cstr(fm, "content_type", f->content_type ? f->content_type : "application/octet-stream");
        value_set_int(fm, "size", f->size);
        value_set_cstr(fm, "url", arena_printf(&r->arena, "/files/%s", f->id));
        value_push(files, fm);
    }
    return m;
}

/* ---- GET /api/v1/conversations ---- */

static const char *const folder_codes[] = {[MSG_INBOX] = "inbox", [MSG_SENT] = "sent", [MSG_ARCHIVE] = "archive"};

static void api_conversations(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    if (!request_query_valid(r)) {
        respond_error(r, 400, MSG_error_bad_input, "malformed query string");
        return;
    }
    msg_folder_t folder = MSG_INBOX;
    str_t f = request_query(r, "folder");
    bool known = !f.len;
    for (int i = MSG_INBOX; f.len && i <= MSG_ARCHIVE; i++)
        if (str_eq_cstr(f, folder_codes[i])) {
            folder = (msg_folder_t)i;
            known = true;
        }
    str_t q = request_query(r, "q"), before_s = request_query(r, "before"), before_id = request_query(r, "before_id");
    msg_cursor_t before = {0, 0};
    if (!q.ptr)
        q = STR("");
    const char *bad = NULL;
    if (!known)
        bad = "folder: inbox, sent or archive";
    else if (utf8_length(q.ptr, q.len) > SEARCH_MAX)
        bad = "q: 100 characters at most";
    else if (before_s.len && !parse_instant(before_s, &before.at))
        bad = "before: an instant such as 2026-11-23T07:45:00Z";
    else if (before_id.ptr && (!before_s.len || !str_to_i64(before_id, &before.id) || before.id <= 0))
        bad = "before_id: the previous page's next_before_id, with its next_before";
    if (bad) {
        respond_error(r, 400, MSG_error_bad_input, bad);
        return;
    }
    msg_conversation_t *list;
    int unread = 0;
    int n = messages_list(reader(r), &r->arena, p->person_id, folder, q, before, MSG_PAGE, &list);
    if (n < 0 || messages_unread(STORE_READER(reader(r)), p->person_id, &unread) < 0) {
        unavailable(r);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_cstr(root, "folder", folder_codes[folder]);
    value_set_int(root, "unread", unread);
    value_t *items = value_set_list(root, "conversations");
    for (int i = 0; i < n; i++)
        value_push(items, conversation_json(r, &list[i]));
    /* a full page: the next one is older than its last conversation */
    value_set(root, "next_before",
              n == MSG_PAGE ? value_cstr(&r->arena, iso_instant(r, list[n - 1].last_message_at)) : value_null(&r->arena));
    /* conversations can share a second: the id says where in it the page ended */
    value_set(root, "next_before_id", n == MSG_PAGE ? value_int(&r->arena, list[n - 1].id) : value_null(&r->arena));
    respond_json(r, 200, root);
}

/* ---- sending: POST /api/v1/conversations, POST /api/v1/conversations/{id}/messages ---- */

static void sent(request_t *r, msg_compose_t *c, int status)
{
    if (status == MESSAGES_INVALID) {
        bool named = (c->problem == MSG_BAD_RECIPIENT || c->problem == MSG_NOT_ALLOWED) && c->culprit.id > 0;
        refuse(r, c->problem, named ? msg_to_format(&r->arena, &c->culprit, 1).ptr : NULL);
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_int(v, "conversation_id", c->sent.conversation_id);
    value_set_int(v, "message_id", c->sent.message_id);
    value_set_int(v, "recipients", c->npeople);
    value_set_bool(v, "duplicate", c->sent.duplicate);
    response_header(r, "location",
                    str_from(arena_printf(&r->arena, "/api/v1/conversations/%lld/messages",
                                          (long long)c->sent.conversation_id)));
    respond_json(r, c->sent.duplicate ? 200 : 201, v);
}

static void api_conversation_create(request_t *r)
{
    const principal_t *p;
    json_t *body = caller_body(r, &p);
    if (!body)
        return;
    static const char shape[] = "expected {\"to\": [\"p:12\", \"c:4\", ...], \"subject\": string, \"body\": string, "
                                "\"school_id\": id (optional), \"idempotency_key\": string (optional)}";
    msg_compose_t *c = ARENA_NEW(&r->arena, msg_compose_t);
    json_t *to = json_object_get(body, "to"), *sid = json_object_get(body, "school_id");
    if (!json_is_object(body) || !json_is_array(to) || !opt_string(body, "subject", &c->subject) || !c->subject.ptr ||
        !opt_string(body, "body", &c->body) || !c->body.ptr || (sid && !json_is_integer(sid) && !json_is_null(sid))) {
        respond_error(r, 400, MSG_error_bad_input, shape);
        return;
    }
    if (!read_key(r, body, &c->idempotency_key) || !read_recipients(r, to, &c->to_text))
        return;
    if (json_is_integer(sid)) {
        c->school_id = json_integer_value(sid);
        if (!principal_in_school(p, c->school_id)) {
            respond_forbidden(r);
            return;
        }
    }
    messages_submit(r, p, c, sent);
}

static void api_message_post(request_t *r)
{
    const principal_t *p;
    json_t *body = caller_body(r, &p);
    if (!body)
        return;
    msg_compose_t *c = ARENA_NEW(&r->arena, msg_compose_t);
    json_t *priv = json_object_get(body, "private");
    if (!json_is_object(body) || !opt_string(body, "body", &c->body) || !c->body.ptr ||
        (priv && !json_is_boolean(priv) && !json_is_null(priv))) {
        respond_error(r, 400, MSG_error_bad_input,
                      "expected {\"body\": string, \"private\": boolean (optional), \"idempotency_key\": string "
                      "(optional)}");
        return;
    }
    if (!read_key(r, body, &c->idempotency_key))
        return;
    int64_t id = request_param_int(r, "id");
    if (!found(r, messages_is_member(STORE_READER(reader(r)), p->person_id, id)))
        return;
    /* a broadcast's recipient answers its sender alone; anyone else answers all */
    if (json_is_true(priv))
        c->private_reply_to = id;
    else
        c->conversation_id = id;
    messages_submit(r, p, c, sent);
}

/* ---- GET /api/v1/conversations/{id}/messages (marks it read) ---- */

typedef struct thread_job {
    msg_conversation_t conversation;
    int64_t person_id;
} thread_job_t;

static void respond_thread(request_t *r, const thread_job_t *j)
{
    msg_message_t *msgs;
    int n = messages_thread(STORE_READER(reader(r)), &r->arena, j->conversation.id, THREAD_LIMIT, &msgs);
    if (n < 0) {
        unavailable(r);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set(root, "conversation", conversation_json(r, &j->conversation));
    value_t *list = value_set_list(root, "messages");
    for (int i = 0; i < n; i++)
        value_push(list, message_json(r, &msgs[i]));
    respond_json(r, 200, root);
}

static int read_write(store_tx_t *tx, void *ud)
{
    thread_job_t *j = ud;
    return messages_mark_read(tx, j->person_id, j->conversation.id);
}

static void read_written(request_t *r, void *ud, int status)
{
    thread_job_t *j = ud;
    /* the read state is a side effect: failing it does not hide the conversation */
    if (status < 0)
        LOG_WARN("conversation read not recorded", "conversation=%lld person=%lld status=%d",
                 (long long)j->conversation.id, (long long)j->person_id, status);
    else
        j->conversation.unread = 0;
    respond_thread(r, j);
}

static void api_thread(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    thread_job_t *j = ARENA_NEW(&r->arena, thread_job_t);
    if (!found(r, messages_get(STORE_READER(reader(r)), &r->arena, p->person_id, request_param_int(r, "id"),
                               &j->conversation)))
        return;
    j->person_id = p->person_id;
    if (j->conversation.unread == 0 || request_store_write(r, read_write, j, read_written) != 0)
        respond_thread(r, j);
}

/* ---- POST /api/v1/conversations/{id}/archive ---- */

static int archive_write(store_tx_t *tx, void *ud)
{
    caller_job_t *j = ud;
    return messages_archive(tx, j->person_id, j->id, j->flag);
}

static void archive_written(request_t *r, void *ud, int status)
{
    caller_job_t *j = ud;
    if (!found(r, status)) /* 0: not a member */
        return;
    value_t *v = value_map(&r->arena);
    value_set_int(v, "id", j->id);
    value_set_bool(v, "archived", j->flag);
    respond_json(r, 200, v);
}

static void api_archive(request_t *r)
{
    const principal_t *p;
    json_t *body = caller_body(r, &p);
    if (!body)
        return;
    json_t *archived = json_object_get(body, "archived");
    if (!json_is_boolean(archived)) {
        respond_error(r, 400, MSG_error_bad_input, "expected {\"archived\": boolean}");
        return;
    }
    caller_job_t *j = caller_job(r, p);
    j->flag = json_is_true(archived);
    queue_write(r, archive_write, j, archive_written);
}

/* ---- POST /api/v1/messages/{id}/report ---- */

static int report_write(store_tx_t *tx, void *ud)
{
    caller_job_t *j = ud;
    return messages_report(tx, j->person_id, j->id, j->text, j->now);
}

static void report_written(request_t *r, void *ud, int status)
{
    caller_job_t *j = ud;
    if (status == MESSAGES_INVALID) { /* membership was checked: the reason is at fault */
        respond_error(r, 400, MSG_error_bad_input, "reason: text of 1000 characters at most");
        return;
    }
    if (status < 0) {
        unavailable(r);
        return;
    }
    if (status == 1)
        LOG_INFO("message reported", "message=%lld by=%lld", (long long)j->id, (long long)j->person_id);
    value_t *v = value_map(&r->arena);
    value_set_int(v, "message_id", j->id);
    value_set_bool(v, "reported", true);
    value_set_bool(v, "already_reported", status == 0);
    respond_json(r, status == 1 ? 201 : 200, v);
}

static void api_report(request_t *r)
{
    const principal_t *p;
    json_t *body = caller_body(r, &p);
    if (!body)
        return;
    caller_job_t *j = caller_job(r, p);
    if (!json_is_object(body) || !opt_string(body, "reason", &j->text)) {
        respond_error(r, 400, MSG_error_bad_input, "expected {\"reason\": string (optional)}");
        return;
    }
    int64_t conversation = 0;
    int rc = messages_message_conversation(STORE_READER(reader(r)), j->id, &conversation);
    if (rc == 1)
        rc = messages_is_member(STORE_READER(reader(r)), p->person_id, conversation);
    if (!found(r, rc))
        return;
    if (!j->text.ptr)
        j->text = STR("");
    queue_write(r, report_write, j, report_written);
}

/* ---- GET /api/v1/contacts ---- */

static void api_contacts(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    str_t s = request_query(r, "school_id");
    int64_t school = principal_main_school(p);
    if (!request_query_valid(r) || (s.len && (!str_to_i64(s, &school) || school <= 0))) {
        respond_error(r, 400, MSG_error_bad_input, "school_id: a school id");
        return;
    }
    if (s.len && !principal_in_school(p, school)) {
        respond_forbidden(r);
        return;
    }
    msg_contact_t *contacts = NULL;
    int n = school ? messages_contacts(reader(r), &r->arena, p, school, &contacts) : 0;
    if (n < 0) {
        unavailable(r);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set_int(root, "school_id", school);
    value_t *list = value_set_list(root, "contacts");
    for (int i = 0; i < n; i++) {
        value_t *m = value_map(&r->arena);
        value_set_str(m, "to", msg_to_format(&r->arena, &contacts[i].to, 1));
        value_set_str(m, "name", contacts[i].name);
        value_set_str(m, "detail", contacts[i].detail);
        value_push(list, m);
    }
    respond_json(r, 200, root);
}

/* ---- notifications ---- */

/* The badge, from the worker's cache. NULL: the store did not answer. */
static value_t *badge_json(request_t *r, const principal_t *p)
{
    notify_badge_t b;
    if (notify_badge(&r->worker->notifications, r->app->store, reader(r), p, date_today(), clock_now(), &b) < 0)
        return NULL;
    value_t *m = value_map(&r->arena);
    value_set_int(m, "messages", b.messages);
    value_set_int(m, "notifications", b.notifications);
    return m;
}

static void api_notifications(request_t *r)
{
    const principal_t *p = request_require_principal(r);
    if (!p)
        return;
    notify_item_t *items;
    int64_t seen_at = 0;
    int n = notify_feed(reader(r), &r->arena, p, date_today(), clock_now(), FEED_LIMIT, &items, &seen_at);
    value_t *badge = n < 0 ? NULL : badge_json(r, p);
    if (!badge) {
        unavailable(r);
        return;
    }
    value_t *root = value_map(&r->arena);
    value_set(root, "badge", badge);
    value_set(root, "seen_at", seen_at ? value_cstr(&r->arena, iso_instant(r, seen_at)) : value_null(&r->arena));
    value_t *list = value_set_list(root, "items");
    for (int i = 0; i < n; i++) {
        const notify_item_t *it = &items[i];
        value_t *m = value_map(&r->arena);
        value_set_cstr(m, "kind", notify_kind_code(it->kind));
        value_set_cstr(m, "at", iso_instant(r, it->at));
        value_set_int(m, "ref_id", it->ref_id);
        set_id_or_null(r, m, "pupil_id", it->pupil_id);
        value_set_str(m, "title", it->title);
        value_set_str(m, "detail", it->detail);
        value_set_int(m, "count", it->count);
        value_set_bool(m, "unseen", it->unseen);
        value_set_cstr(m, "href", notify_text_path(&r->arena, it));
        buf_t line;
        buf_init(&line, &r->arena, 96);
        notify_text_line(&line, (lang_id_t)r->lang, p, it);
        value_set_str(m, "text", buf_str(&line));
        value_push(list, m);
    }
    respond_json(r, 200, root);
}

static int seen_write(store_tx_t *tx, void *ud)
{
    caller_job_t *j = ud;
    return notify_mark_seen(tx, j->person_id, j->now);
}

static void seen_written(request_t *r, void *ud, int status)
{
    caller_job_t *j = ud;
    value_t *badge = status < 0 ? NULL : badge_json(r, r->principal);
    if (!badge) {
        unavailable(r);
        return;
    }
    value_t *v = value_map(&r->arena);
    value_set_cstr(v, "seen_at", iso_instant(r, j->now));
    value_set(v, "badge", badge);
    respond_json(r, 200, v);
}

static void api_notifications_seen(request_t *r)
{
    const principal_t *p;
    if (caller_body(r, &p))
        queue_write(r, seen_write, caller_job(r, p), seen_written);
}

int messages_api_register_routes(router_t *router, char *err, size_t errlen)
{
    if (!router_add(router, "GET", "/api/v1/conversations", HANDLER(api_conversations), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/conversations", HANDLER(api_conversation_create), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "GET", "/api/v1/conversations/{id:int}/messages", HANDLER(api_thread), NULL, ROUTE_API,
                    err, errlen) ||
        !router_add(router, "POST", "/api/v1/conversations/{id:int}/messages", HANDLER(api_message_post), NULL,
                    ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/conversations/{id:int}/archive", HANDLER(api_archive), NULL, ROUTE_API,
                    err, errlen) ||
        !router_add(router, "POST", "/api/v1/messages/{id:int}/report", HANDLER(api_report), NULL, ROUTE_API, err,
                    errlen) ||
        !router_add(router, "GET", "/api/v1/contacts", HANDLER(api_contacts), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "GET", "/api/v1/notifications", HANDLER(api_notifications), NULL, ROUTE_API, err, errlen) ||
        !router_add(router, "POST", "/api/v1/notifications/seen", HANDLER(api_notifications_seen), NULL, ROUTE_API,
                    err, errlen))
        return -1;
    return 0;
}
