/* messages: sending, reading, folders, drafts and moderation. */
#include "domain/messages.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

uint64_t messages_person_key(int64_t person_id)
{
    return (uint64_t)person_id;
}

const char *msg_problem_code(msg_problem_t p)
{
    static const char *const codes[] = {
        [MSG_OK] = "ok",
        [MSG_NO_RECIPIENT] = "no_recipient",
        [MSG_TOO_MANY_RECIPIENTS] = "too_many_recipients",
        [MSG_BAD_RECIPIENT] = "bad_recipient",
        [MSG_NOT_ALLOWED] = "recipient_not_allowed",
        [MSG_SUBJECT_EMPTY] = "subject_empty",
        [MSG_SUBJECT_TOO_LONG] = "subject_too_long",
        [MSG_BODY_EMPTY] = "body_empty",
        [MSG_BODY_TOO_LONG] = "body_too_long",
        [MSG_BAD_TEXT] = "bad_text",
        [MSG_BAD_KEY] = "bad_idempotency_key",
        [MSG_SENDER_BLOCKED] = "sender_blocked",
        [MSG_CANNOT_REPLY] = "cannot_reply",
        [MSG_TOO_MANY_FILES] = "too_many_files",
    };
    return (unsigned)p < sizeof codes / sizeof codes[0] && codes[p] ? codes[p] : "invalid";
}

msg_problem_t messages_check(const msg_send_t *m)
{
    if ((m->subject.len && text_check(m->subject.ptr, m->subject.len) != TEXT_OK) ||
        (m->body.len && text_check(m->body.ptr, m->body.len) != TEXT_OK))
        return MSG_BAD_TEXT;
    if (m->conversation_id <= 0) {
        if (!m->subject.ptr || str_is_blank(m->subject))
            return MSG_SUBJECT_EMPTY;
        str_t subject = str_trim(m->subject);
        if (utf8_length(subject.ptr, subject.len) > MSG_SUBJECT_MAX)
            return MSG_SUBJECT_TOO_LONG;
        for (size_t i = 0; i < subject.len; i++)
            if (subject.ptr[i] == '\n' || subject.ptr[i] == '\r')
                return MSG_BAD_TEXT;
    }
    if (!m->body.ptr || str_is_blank(m->body))
        return MSG_BODY_EMPTY;
    if (utf8_length(m->body.ptr, m->body.len) > MSG_BODY_MAX)
        return MSG_BODY_TOO_LONG;
    if (m->idempotency_key.len) {
        if (m->idempotency_key.len > MSG_KEY_MAX)
            return MSG_BAD_KEY;
        for (size_t i = 0; i < m->idempotency_key.len; i++) {
            unsigned char c = (unsigned char)m->idempotency_key.ptr[i];
            if (c <= ' ' || c >= 0x7f)
                return MSG_BAD_KEY;
        }
    }
    if (m->nfiles < 0 || m->nfiles > MSG_FILES_MAX)
        return MSG_TOO_MANY_FILES;
    return MSG_OK;
}

int messages_is_blocked(store_src_t src, int64_t school_id, int64_t person_id)
{
    int64_t one = 0;
    return store_int(src, "SELECT 1 FROM message_blocks WHERE school_id = ? AND person_id = ?",
                     STORE_ARGS(SA_INT(school_id), SA_INT(person_id)), &one);
}

typedef struct id_list {
    int64_t *v;
    int n;
} id_list_t;

static void fill_id(arena_t *a, const store_row_t *row, void *item)
{
    (void)a;
    *(int64_t *)item = store_row_int(row, 0);
}

/* Every member's inbox and badge move. */
static int touch_members(store_tx_t *tx, int64_t conversation_id)
{
    arena_t a;
    arena_init(&a, NULL);
    int64_t *ids = NULL;
    int n = store_list(STORE_TX(tx), &a, "SELECT person_id FROM conversation_members WHERE conversation_id = ?",
                       STORE_ARGS(SA_INT(conversation_id)), sizeof *ids, fill_id, (void **)&ids);
    for (int i = 0; i < n; i++)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(ids[i]));
    arena_free(&a);
    return n < 0 ? n : 0;
}

static int add_member(store_tx_t *tx, int64_t conversation_id, int64_t person_id, bool can_reply, int64_t now)
{
    return store_tx_exec(tx,
                         "INSERT INTO conversation_members (conversation_id, person_id, unread, archived, can_reply, "
                         "joined_at, last_message_at) VALUES (?, ?, 0, 0, ?, ?, ?)",
                         STORE_ARGS(SA_INT(conversation_id), SA_INT(person_id), SA_INT(can_reply), SA_INT(now),
                                    SA_INT(now)));
}

typedef struct found_message {
    int64_t id, conversation_id;
} found_message_t;

static int found_row(void *ud, const store_row_t *row)
{
    found_message_t *f = ud;
    f->id = store_row_int(row, 0);
    f->conversation_id = store_row_int(row, 1);
    return 1;
}

static int refuse(msg_problem_t *problem, msg_problem_t p)
{
    *problem = p;
    return MESSAGES_INVALID;
}

/* The message row, its files, and the unread increments: one send. */
static int post_message(store_tx_t *tx, const msg_send_t *m, int64_t conversation_id, msg_sent_t *out)
{
    int rc = store_tx_exec(tx,
                           "INSERT INTO messages (conversation_id, author_id, body, sent_at, forwarded_from, "
                           "idempotency_key) VALUES (?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(conversation_id), SA_INT(m->author_id), SA_TEXT(m->body),
                                      SA_INT(m->now), m->forwarded_from ? SA_INT(m->forwarded_from) : SA_NULL,
                                      m->idempotency_key.len ? SA_TEXT(m->idempotency_key) : SA_NULL));
    if (rc != STORE_OK)
        return rc;
    out->conversation_id = conversation_id;
    out->message_id = store_tx_last_id(tx);
    for (int i = 0; i < m->nfiles && rc == STORE_OK; i++) {
        rc = files_insert(tx, m->school_id, m->author_id, &m->files[i]);
        if (rc == STORE_OK)
            rc = store_tx_exec(tx, "INSERT INTO message_files (message_id, file_id) VALUES (?, ?)",
                               STORE_ARGS(SA_INT(out->message_id), SA_CSTR(m->files[i].id)));
    }
    /* a forward carries the original's attachments (the same stored files) */
    if (rc == STORE_OK && m->forwarded_from)
        rc = store_tx_exec(tx,
                           "INSERT INTO message_files (message_id, file_id) SELECT ?, file_id FROM message_files "
                           "WHERE message_id = ?",
                           STORE_ARGS(SA_INT(out->message_id), SA_INT(m->forwarded_from)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx,
                           "UPDATE conversation_members SET unread = unread + 1, archived = 0, last_message_at = ? "
                           "WHERE conversation_id = ? AND person_id <> ?",
                           STORE_ARGS(SA_INT(m->now), SA_INT(conversation_id), SA_INT(m->author_id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx,
                           "UPDATE conversation_members SET last_message_at = ? WHERE conversation_id = ? AND "
                           "person_id = ?",
                           STORE_ARGS(SA_INT(m->now), SA_INT(conversation_id), SA_INT(m->author_id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "UPDATE conversations SET last_message_at = ? WHERE id = ?",
                           STORE_ARGS(SA_INT(m->now), SA_INT(conversation_id)));
    if (rc == STORE_OK && m->draft_id)
        rc = messages_draft_delete(tx, m->author_id, m->draft_id);
    if (rc == STORE_OK)
        rc = touch_members(tx, conversation_id);
    return rc;
}

/* What every send checks first: the text, a block, and a key already used. */
static int precheck(store_tx_t *tx, const msg_send_t *m, msg_sent_t *out, msg_problem_t *problem, bool *duplicate)
{
    memset(out, 0, sizeof *out);
    *duplicate = false;
    if ((*problem = messages_check(m)) != MSG_OK)
        return MESSAGES_INVALID;
    int rc = messages_is_blocked(STORE_TX(tx), m->school_id, m->author_id);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return refuse(problem, MSG_SENDER_BLOCKED);
    if (m->idempotency_key.len) {
        found_message_t f = {0};
        rc = store_query(STORE_TX(tx),
                         "SELECT id, conversation_id FROM messages WHERE author_id = ? AND idempotency_key = ?",
                         STORE_ARGS(SA_INT(m->author_id), SA_TEXT(m->idempotency_key)), found_row, &f);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            out->conversation_id = f.conversation_id;
            out->message_id = f.id;
            out->duplicate = *duplicate = true;
            return STORE_OK;
        }
    }
    if (m->forwarded_from) {
        int64_t conv = 0;
        rc = messages_message_conversation(STORE_TX(tx), m->forwarded_from, &conv);
        if (rc < 0)
            return rc;
        if (rc == 0 || (rc = messages_is_member(STORE_TX(tx), m->author_id, conv)) != 1)
            return rc < 0 ? rc : refuse(problem, MSG_CANNOT_REPLY);
    }
    return STORE_OK;
}

int messages_send(store_tx_t *tx, const msg_send_t *m, msg_sent_t *out, msg_problem_t *problem)
{
    bool duplicate;
    int rc = precheck(tx, m, out, problem, &duplicate);
    if (rc != STORE_OK || duplicate)
        return rc;
    if (m->conversation_id > 0) {
        int64_t can_reply = 0;
        rc = store_int(STORE_TX(tx),
                       "SELECT m.can_reply FROM conversation_members m JOIN conversations c "
                       "ON c.id = m.conversation_id WHERE m.conversation_id = ? AND m.person_id = ? AND c.school_id = ?",
                       STORE_ARGS(SA_INT(m->conversation_id), SA_INT(m->author_id), SA_INT(m->school_id)),
                       &can_reply);
        if (rc < 0)
            return rc;
        if (rc == 0 || !can_reply)
            return refuse(problem, MSG_CANNOT_REPLY);
        return post_message(tx, m, m->conversation_id, out);
    }
    const msg_resolved_t *to = m->to;
    if (!to || to->npeople <= 0)
        return refuse(problem, MSG_NO_RECIPIENT);
    bool broadcast = to->broadcast && *to->broadcast;
    rc = store_tx_exec(tx,
                       "INSERT INTO conversations (school_id, subject, created_by, created_at, broadcast, "
                       "broadcast_target, last_message_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       STORE_ARGS(SA_INT(m->school_id), SA_TEXT(str_trim(m->subject)), SA_INT(m->author_id),
                                  SA_INT(m->now), SA_CSTR(broadcast ? to->broadcast : ""),
                                  broadcast ? SA_INT(to->broadcast_target) : SA_NULL, SA_INT(m->now)));
    if (rc != STORE_OK)
        return rc;
    int64_t conversation_id = store_tx_last_id(tx);
    rc = add_member(tx, conversation_id, m->author_id, true, m->now);
    for (int i = 0; i < to->npeople && rc == STORE_OK; i++)
        if (to->people[i] != m->author_id)
            rc = add_member(tx, conversation_id, to->people[i], !broadcast, m->now);
    if (rc != STORE_OK)
        return rc;
    return post_message(tx, m, conversation_id, out);
}

typedef struct broadcast_info {
    int64_t school_id, created_by;
    bool is_broadcast;
    str_t subject;
} broadcast_info_t;

static void fill_broadcast(arena_t *a, const store_row_t *row, void *item)
{
    broadcast_info_t *b = item;
    b->school_id = store_row_int(row, 0);
    b->created_by = store_row_int(row, 1);
    b->is_broadcast = store_row_text(row, 2).len > 0;
    b->subject = store_row_text_copy(row, 3, a);
}

int messages_reply_privately(store_tx_t *tx, int64_t broadcast_id, const msg_send_t *m, msg_sent_t *out,
                             msg_problem_t *problem)
{
    msg_send_t reply = *m;
    reply.conversation_id = 1; /* the subject comes from the broadcast */
    bool duplicate;
    int rc = precheck(tx, &reply, out, problem, &duplicate);
    if (rc != STORE_OK || duplicate)
        return rc;
    arena_t a;
    arena_init(&a, NULL);
    broadcast_info_t b = {0};
    rc = store_one(STORE_TX(tx), &a,
                   "SELECT c.school_id, c.created_by, c.broadcast, c.subject FROM conversations c "
                   "JOIN conversation_members m ON m.conversation_id = c.id AND m.person_id = ? WHERE c.id = ?",
                   STORE_ARGS(SA_INT(m->author_id), SA_INT(broadcast_id)), sizeof b, fill_broadcast, &b);
    if (rc == 1 && (!b.is_broadcast || b.created_by == m->author_id || b.school_id != m->school_id)) {
        arena_free(&a);
        return refuse(problem, MSG_CANNOT_REPLY);
    }
    if (rc != 1) {
        arena_free(&a);
        return rc < 0 ? rc : refuse(problem, MSG_CANNOT_REPLY);
    }
    int64_t private_id = 0;
    rc = store_int(STORE_TX(tx), "SELECT id FROM conversations WHERE reply_to_broadcast = ? AND created_by = ?",
                   STORE_ARGS(SA_INT(broadcast_id), SA_INT(m->author_id)), &private_id);
    if (rc == 0) {
        str_t subject = str_from(arena_printf(&a, "Re: %.*s", (int)b.subject.len, b.subject.ptr));
        rc = store_tx_exec(tx,
                           "INSERT INTO conversations (school_id, subject, created_by, created_at, "
                           "reply_to_broadcast, last_message_at) VALUES (?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(b.school_id), SA_TEXT(subject), SA_INT(m->author_id), SA_INT(m->now),
                                      SA_INT(broadcast_id), SA_INT(m->now)));
        if (rc == STORE_OK) {
            private_id = store_tx_last_id(tx);
            rc = add_member(tx, private_id, m->author_id, true, m->now);
        }
        if (rc == STORE_OK)
            rc = add_member(tx, private_id, b.created_by, true, m->now);
    }
    arena_free(&a);
    if (rc < 0)
        return rc;
    return post_message(tx, m, private_id, out);
}

/* ---- reading ---- */

/* Members are counted up to one more than a list shows ("6 participants" and
 * more read the same): a broadcast's hundreds are not counted on every view. */
#define MEMBERS_COUNTED_SQL "7"
/* One character more than shown, so a cut preview can say so. */
#define PREVIEW_CHARS_SQL "141"
#define CONVERSATION_SELECT                                                                                            \
    "SELECT c.id, c.school_id, c.subject, c.broadcast, COALESCE(cl.name, g.name, ''), c.created_by, "               \
    "m.last_message_at, m.unread, m.archived, m.can_reply, COALESCE(c.reply_to_broadcast, 0), "                      \
    "(SELECT p.first_name || ' ' || p.last_name FROM messages x JOIN people p ON p.id = x.author_id "                \
    "WHERE x.conversation_id = c.id ORDER BY x.id DESC LIMIT 1), "                                                   \
    "(SELECT substr(x.body, 1, " PREVIEW_CHARS_SQL ") FROM messages x WHERE x.conversation_id = c.id ORDER BY x.id DESC LIMIT 1), "    \
    "(SELECT COUNT(*) FROM (SELECT 1 FROM conversation_members k WHERE k.conversation_id = c.id LIMIT "          \
    MEMBERS_COUNTED_SQL ") AS k) "                                                                                   \
    "FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id "                                  \
    "LEFT JOIN classes cl ON c.broadcast IN ('class', 'class_parents') AND cl.id = c.broadcast_target "             \
    "LEFT JOIN teaching_groups g ON c.broadcast = 'group' AND g.id = c.broadcast_target "

static void fill_conversation(arena_t *a, const store_row_t *row, void *item)
{
    msg_conversation_t *c = item;
    memset(c, 0, sizeof *c);
    c->id = store_row_int(row, 0);
    c->school_id = store_row_int(row, 1);
    c->subject = store_row_text_copy(row, 2, a);
    c->broadcast = store_row_text_copy(row, 3, a);
    c->broadcast_name = store_row_text_copy(row, 4, a);
    c->created_by = store_row_int(row, 5);
    c->last_message_at = store_row_int(row, 6);
    c->unread = (int)store_row_int(row, 7);
    c->archived = store_row_int(row, 8) != 0;
    c->can_reply = store_row_int(row, 9) != 0;
    c->reply_to_broadcast = store_row_int(row, 10);
    c->last_author = store_row_text_copy(row, 11, a);
    c->preview = store_row_text_copy(row, 12, a);
    if (utf8_length(c->preview.ptr, c->preview.len) > MSG_PREVIEW_CHARS) {
        size_t cut = 0;
        for (int chars = 0; cut < c->preview.len && chars < MSG_PREVIEW_CHARS; chars++)
            do
                cut++;
            while (cut < c->preview.len && ((unsigned char)c->preview.ptr[cut] & 0xC0) == 0x80);
        c->preview = str_from(arena_printf(a, "%.*s…", (int)cut, c->preview.ptr));
    }
    c->nmembers = (int)store_row_int(row, 13);
}

typedef struct names_ctx {
    buf_t b;
    int n;
} names_ctx_t;

static int name_row(void *ud, const store_row_t *row)
{
    names_ctx_t *c = ud;
    if (c->n++)
        buf_puts(&c->b, ", ");
    buf_append_str(&c->b, store_row_text(row, 0));
    return 0;
}


/* "Léa Dupont, M. Martin" (the others than the reader); nothing for a broadcast,
 * whose recipients do not see each other. */
static int load_members(store_src_t src, arena_t *a, int64_t person_id, msg_conversation_t *c)
{
    if (c->broadcast.len) {
        c->members = STR("");
        return 0;
    }
    names_ctx_t n = {.n = 0};
    buf_init(&n.b, a, 64);
    int rc = store_query(src,
                         "SELECT p.first_name || ' ' || p.last_name FROM conversation_members k JOIN people p "
                         "ON p.id = k.person_id WHERE k.conversation_id = ? AND k.person_id <> ? "
                         "ORDER BY p.last_name, p.first_name LIMIT 4",
                         STORE_ARGS(SA_INT(c->id), SA_INT(person_id)), name_row, &n);
    c->members = buf_str(&n.b);
    return rc < 0 ? rc : 0;
}

/* A LIKE pattern matching `s` anywhere, with the pattern characters escaped. */
static str_t like_pattern(arena_t *a, str_t s)
{
    buf_t b;
    buf_init(&b, a, s.len + 3);
    buf_putc(&b, '%');
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.ptr[i];
        if (ch == '%' || ch == '_' || ch == '\\')
            buf_putc(&b, '\\');
        buf_putc(&b, ch);
    }
    buf_putc(&b, '%');
    return buf_str(&b);
}

int messages_list(store_reader_t *r, arena_t *a, int64_t person_id, msg_folder_t folder, str_t search,
                  msg_cursor_t before, int limit, msg_conversation_t **out)
{
    static const char *const where[] = {
        [MSG_INBOX] = ("m.archived = 0 AND EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND "
                       "x.author_id <> m.person_id) "),
        [MSG_SENT] = "EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND x.author_id = m.person_id) ",
        [MSG_ARCHIVE] = "m.archived = 1 ",
    };
    if ((unsigned)folder > MSG_ARCHIVE)
        folder = MSG_INBOX;
    search = str_trim(search);
    str_t pattern = like_pattern(a, search);
    char *sql = arena_printf(
        a,
        "%sWHERE m.person_id = ? AND %s AND (? = 0 OR lower(c.subject) LIKE lower(?) ESCAPE '\\' OR EXISTS ("
        "SELECT 1 FROM conversation_members k JOIN people p ON p.id = k.person_id WHERE k.conversation_id = c.id AND "
        "lower(p.first_name || ' ' || p.last_name) LIKE lower(?) ESCAPE '\\')) AND (m.last_message_at < ? OR "
        "(m.last_message_at = ? AND c.id < ?)) ORDER BY m.last_message_at DESC, c.id DESC LIMIT ?",
        CONVERSATION_SELECT, where[folder]);
    int n = store_list(STORE_READER(r), a, sql,
                       STORE_ARGS(SA_INT(person_id), SA_INT(search.len > 0), SA_TEXT(pattern), SA_TEXT(pattern),
                                  SA_INT(before.at > 0 ? before.at : INT64_MAX),
                                  SA_INT(before.at > 0 ? before.at : INT64_MAX),
                                  SA_INT(before.at > 0 && before.id > 0 ? before.id : INT64_MAX),
                                  SA_INT(limit > 0 ? limit : MSG_PAGE)),
                       sizeof **out, fill_conversation, (void **)out);
    for (int i = 0; i < n; i++) {
        int rc = load_members(STORE_READER(r), a, person_id, &(*out)[i]);
        if (rc < 0)
            return rc;
    }
    return n;
}

int messages_get(store_src_t src, arena_t *a, int64_t person_id, int64_t conversation_id, msg_conversation_t *out)
{
    int rc = store_one(src, a, CONVERSATION_SELECT "WHERE m.person_id = ? AND c.id = ?",
                       STORE_ARGS(SA_INT(person_id), SA_INT(conversation_id)), sizeof *out, fill_conversation, out);
    if (rc == 1 && (rc = load_members(src, a, person_id, out)) == 0)
        rc = 1;
    return rc;
}

int messages_get_any(store_src_t src, arena_t *a, int64_t conversation_id, msg_conversation_t *out)
{
    /* as the conversation's creator sees it */
    int rc = store_one(src, a, CONVERSATION_SELECT "WHERE m.person_id = c.created_by AND c.id = ?",
                       STORE_ARGS(SA_INT(conversation_id)), sizeof *out, fill_conversation, out);
    if (rc == 1 && (rc = load_members(src, a, 0, out)) == 0)
        rc = 1;
    return rc;
}

static void fill_message(arena_t *a, const store_row_t *row, void *item)
{
    msg_message_t *m = item;
    memset(m, 0, sizeof *m);
    m->id = store_row_int(row, 0);
    m->author_id = store_row_int(row, 1);
    m->author_name = store_row_text_copy(row, 2, a);
    m->body = store_row_text_copy(row, 3, a);
    m->sent_at = store_row_int(row, 4);
    m->forwarded_from = store_row_int(row, 5);
}

int messages_thread(store_src_t src, arena_t *a, int64_t conversation_id, int limit, msg_message_t **out)
{
    msg_message_t *newest = NULL;
    int n = store_list(src, a,
                       "SELECT x.id, x.author_id, p.first_name || ' ' || p.last_name, x.body, x.sent_at, "
                       "COALESCE(x.forwarded_from, 0) FROM messages x JOIN people p ON p.id = x.author_id "
                       "WHERE x.conversation_id = ? ORDER BY x.id DESC LIMIT ?",
                       STORE_ARGS(SA_INT(conversation_id), SA_INT(limit > 0 ? limit : 200)), sizeof *newest,
                       fill_message, (void **)&newest);
    if (n < 0)
        return n;
    msg_message_t *list = arena_alloc(a, sizeof *list * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        list[i] = newest[n - 1 - i];
        int k = store_list(src, a,
                           "SELECT f.id, f.name, f.content_type, f.size FROM message_files mf JOIN files f "
                           "ON f.id = mf.file_id WHERE mf.message_id = ? ORDER BY f.name",
                           STORE_ARGS(SA_INT(list[i].id)), sizeof *list[i].files, files_fill,
                           (void **)&list[i].files);
        if (k < 0)
            return k;
        list[i].nfiles = k;
    }
    *out = list;
    return n;
}

int messages_message_conversation(store_src_t src, int64_t message_id, int64_t *conversation_id)
{
    *conversation_id = 0;
    return store_int(src, "SELECT conversation_id FROM messages WHERE id = ?", STORE_ARGS(SA_INT(message_id)),
                     conversation_id);
}

int messages_member_count(store_src_t src, int64_t conversation_id, int64_t *out)
{
    *out = 0;
    int rc = store_int(src, "SELECT COUNT(*) FROM conversation_members WHERE conversation_id = ?",
                       STORE_ARGS(SA_INT(conversation_id)), out);
    return rc < 0 ? rc : 0;
}

int messages_is_member(store_src_t src, int64_t person_id, int64_t conversation_id)
{
    int64_t one = 0;
    return store_int(src, "SELECT 1 FROM conversation_members WHERE conversation_id = ? AND person_id = ?",
                     STORE_ARGS(SA_INT(conversation_id), SA_INT(person_id)), &one);
}

int messages_file_readable(store_src_t src, int64_t person_id, str_t file_id)
{
    int64_t one = 0;
    return store_int(src,
                     "SELECT 1 FROM message_files mf JOIN messages x ON x.id = mf.message_id "
                     "JOIN conversation_members k ON k.conversation_id = x.conversation_id "
                     "WHERE mf.file_id = ? AND k.person_id = ? LIMIT 1",
                     STORE_ARGS(SA_TEXT(file_id), SA_INT(person_id)), &one);
}

int messages_mark_read(store_tx_t *tx, int64_t person_id, int64_t conversation_id)
{
    int rc = store_tx_exec(tx,
                           "UPDATE conversation_members SET unread = 0 WHERE conversation_id = ? AND person_id = ? "
                           "AND unread <> 0",
                           STORE_ARGS(SA_INT(conversation_id), SA_INT(person_id)));
    if (rc == STORE_OK && store_tx_changes(tx) > 0)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(person_id));
    return rc;
}

int messages_archive(store_tx_t *tx, int64_t person_id, int64_t conversation_id, bool archived)
{
    int rc = store_tx_exec(tx, "UPDATE conversation_members SET archived = ? WHERE conversation_id = ? AND person_id = ?",
                           STORE_ARGS(SA_INT(archived), SA_INT(conversation_id), SA_INT(person_id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return 0;
    store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(person_id));
    return 1;
}

int messages_unread(store_src_t src, int64_t person_id, int *out)
{
    int64_t n = 0;
    int rc = store_int(src, "SELECT COALESCE(SUM(unread), 0) FROM conversation_members WHERE person_id = ? AND archived = 0",
                       STORE_ARGS(SA_INT(person_id)), &n);
    *out = (int)n;
    return rc < 0 ? rc : 0;
}

/* ---- drafts ---- */

int messages_draft_save(store_tx_t *tx, int64_t author_id, msg_draft_t *d)
{
    /* a draft keeps whatever was typed, but only as valid text */
    if ((d->subject.len && text_check(d->subject.ptr, d->subject.len) != TEXT_OK) ||
        (d->body.len && text_check(d->body.ptr, d->body.len) != TEXT_OK) ||
        (d->recipients.len && text_check(d->recipients.ptr, d->recipients.len) != TEXT_OK) ||
        utf8_length(d->body.ptr, d->body.len) > MSG_BODY_MAX || d->subject.len > 4 * MSG_SUBJECT_MAX ||
        d->recipients.len > 2000)
        return MESSAGES_INVALID;
    int64_t now = d->updated_at;
    int rc;
    if (d->id > 0) {
        rc = store_tx_exec(tx,
                           "UPDATE message_drafts SET recipients = ?, subject = ?, body = ?, updated_at = ? "
                           "WHERE id = ? AND author_id = ?",
                           STORE_ARGS(SA_TEXT(d->recipients), SA_TEXT(d->subject), SA_TEXT(d->body), SA_INT(now),
                                      SA_INT(d->id), SA_INT(author_id)));
        if (rc == STORE_OK && store_tx_changes(tx) == 0)
            return 0;
    } else {
        rc = store_tx_exec(tx,
                           "INSERT INTO message_drafts (author_id, school_id, recipients, subject, body, "
                           "conversation_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(author_id), SA_INT(d->school_id), SA_TEXT(d->recipients),
                                      SA_TEXT(d->subject), SA_TEXT(d->body),
                                      d->conversation_id ? SA_INT(d->conversation_id) : SA_NULL, SA_INT(now)));
        if (rc == STORE_OK)
            d->id = store_tx_last_id(tx);
    }
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(author_id));
    return rc == STORE_OK ? 1 : rc;
}

int messages_draft_delete(store_tx_t *tx, int64_t author_id, int64_t draft_id)
{
    int rc = store_tx_exec(tx, "DELETE FROM message_drafts WHERE id = ? AND author_id = ?",
                           STORE_ARGS(SA_INT(draft_id), SA_INT(author_id)));
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(author_id));
    return rc;
}

static void fill_draft(arena_t *a, const store_row_t *row, void *item)
{
    msg_draft_t *d = item;
    d->id = store_row_int(row, 0);
    d->school_id = store_row_int(row, 1);
    d->conversation_id = store_row_int(row, 2);
    d->recipients = store_row_text_copy(row, 3, a);
    d->subject = store_row_text_copy(row, 4, a);
    d->body = store_row_text_copy(row, 5, a);
    d->updated_at = store_row_int(row, 6);
}

#define DRAFT_SELECT                                                                                                   \
    "SELECT id, school_id, COALESCE(conversation_id, 0), recipients, subject, body, updated_at FROM message_drafts "

int messages_drafts(store_src_t src, arena_t *a, int64_t author_id, msg_draft_t **out)
{
    return store_list(src, a, DRAFT_SELECT "WHERE author_id = ? ORDER BY updated_at DESC, id DESC LIMIT 100",
                      STORE_ARGS(SA_INT(author_id)), sizeof **out, fill_draft, (void **)out);
}

int messages_draft_get(store_src_t src, arena_t *a, int64_t author_id, int64_t draft_id, msg_draft_t *out)
{
    return store_one(src, a, DRAFT_SELECT "WHERE id = ? AND author_id = ?",
                     STORE_ARGS(SA_INT(draft_id), SA_INT(author_id)), sizeof *out, fill_draft, out);
}

/* ---- moderation ---- */

int messages_report(store_tx_t *tx, int64_t reporter_id, int64_t message_id, str_t reason, int64_t now)
{
    if ((reason.len && text_check(reason.ptr, reason.len) != TEXT_OK) || utf8_length(reason.ptr, reason.len) > 1000)
        return MESSAGES_INVALID;
    int64_t conversation = 0;
    int rc = messages_message_conversation(STORE_TX(tx), message_id, &conversation);
    if (rc == 1)
        rc = messages_is_member(STORE_TX(tx), reporter_id, conversation);
    if (rc != 1)
        return rc < 0 ? rc : MESSAGES_INVALID;
    int64_t already = 0;
    rc = store_int(STORE_TX(tx), "SELECT 1 FROM message_reports WHERE message_id = ? AND reporter_id = ?",
                   STORE_ARGS(SA_INT(message_id), SA_INT(reporter_id)), &already);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = store_tx_exec(tx,
                       "INSERT INTO message_reports (message_id, reporter_id, reason, created_at) VALUES (?, ?, ?, ?)",
                       STORE_ARGS(SA_INT(message_id), SA_INT(reporter_id), SA_TEXT(str_trim(reason)), SA_INT(now)));
    return rc == STORE_OK ? 1 : rc;
}

static void fill_report(arena_t *a, const store_row_t *row, void *item)
{
    msg_report_t *r = item;
    r->id = store_row_int(row, 0);
    r->message_id = store_row_int(row, 1);
    r->conversation_id = store_row_int(row, 2);
    r->reporter_id = store_row_int(row, 3);
    r->author_id = store_row_int(row, 4);
    r->reporter_name = store_row_text_copy(row, 5, a);
    r->author_name = store_row_text_copy(row, 6, a);
    r->subject = store_row_text_copy(row, 7, a);
    r->body = store_row_text_copy(row, 8, a);
    r->reason = store_row_text_copy(row, 9, a);
    r->created_at = store_row_int(row, 10);
    r->author_blocked = store_row_int(row, 11) != 0;
}

int messages_reports_open(store_src_t src, arena_t *a, int64_t school_id, msg_report_t **out)
{
    return store_list(src, a,
                      "SELECT r.id, r.message_id, x.conversation_id, r.reporter_id, x.author_id, "
                      "rp.first_name || ' ' || rp.last_name, au.first_name || ' ' || au.last_name, c.subject, x.body, "
                      "r.reason, r.created_at, "
                      "CASE WHEN EXISTS (SELECT 1 FROM message_blocks b WHERE b.school_id = c.school_id AND "
                      "b.person_id = x.author_id) THEN 1 ELSE 0 END "
                      "FROM message_reports r JOIN messages x ON x.id = r.message_id "
                      "JOIN conversations c ON c.id = x.conversation_id JOIN people rp ON rp.id = r.reporter_id "
                      "JOIN people au ON au.id = x.author_id WHERE c.school_id = ? AND r.closed_at IS NULL "
                      "ORDER BY r.created_at, r.id LIMIT 200",
                      STORE_ARGS(SA_INT(school_id)), sizeof **out, fill_report, (void **)out);
}

int messages_report_close(store_tx_t *tx, int64_t school_id, int64_t report_id, int64_t closed_by, int64_t now)
{
    int rc = store_tx_exec(tx,
                           "UPDATE message_reports SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL "
                           "AND message_id IN (SELECT x.id FROM messages x JOIN conversations c "
                           "ON c.id = x.conversation_id WHERE c.school_id = ?)",
                           STORE_ARGS(SA_INT(now), SA_INT(closed_by), SA_INT(report_id), SA_INT(school_id)));
    return rc != STORE_OK ? rc : store_tx_changes(tx) > 0 ? 1 : 0;
}

int messages_block(store_tx_t *tx, int64_t school_id, int64_t person_id, int64_t blocked_by, str_t reason, int64_t now)
{
    if (reason.len && text_check(reason.ptr, reason.len) != TEXT_OK)
        return MESSAGES_INVALID;
    int rc = messages_is_blocked(STORE_TX(tx), school_id, person_id);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = store_tx_exec(tx,
                       "INSERT INTO message_blocks (school_id, person_id, blocked_by, reason, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       STORE_ARGS(SA_INT(school_id), SA_INT(person_id), SA_INT(blocked_by), SA_TEXT(reason),
                                  SA_INT(now)));
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(person_id));
    return rc == STORE_OK ? 1 : rc;
}

int messages_unblock(store_tx_t *tx, int64_t school_id, int64_t person_id)
{
    int rc = store_tx_exec(tx, "DELETE FROM message_blocks WHERE school_id = ? AND person_id = ?",
                           STORE_ARGS(SA_INT(school_id), SA_INT(person_id)));
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_MESSAGES, messages_person_key(person_id));
    return rc != STORE_OK ? rc : store_tx_changes(tx) > 0 ? 1 : 0;
}

/* ---- the inbox cache ---- */

typedef struct inbox_entry {
    uint64_t version;
    int64_t school_id;
    arena_t arena;
    msg_inbox_t inbox;
} inbox_entry_t;

void inbox_cache_init(inbox_cache_t *c, size_t capacity)
{
    memset(c, 0, sizeof *c);
    u64map_init(&c->index);
    c->cap = capacity;
    c->slots = capacity ? calloc(capacity, sizeof *c->slots) : NULL;
    if (!c->slots)
        c->cap = 0;
}

static void inbox_drop_all(inbox_cache_t *c)
{
    for (size_t i = 0; i < c->used; i++) {
        arena_free(&c->slots[i]->arena);
        free(c->slots[i]);
        c->slots[i] = NULL;
    }
    c->used = 0;
    u64map_clear(&c->index);
}

void inbox_cache_dispose(inbox_cache_t *c)
{
    inbox_drop_all(c);
    free(c->slots);
    u64map_dispose(&c->index);
    memset(c, 0, sizeof *c);
}

static int build_inbox(store_reader_t *r, arena_t *a, int64_t person_id, int64_t school_id, msg_inbox_t *out)
{
    memset(out, 0, sizeof *out);
    int n = messages_list(r, a, person_id, MSG_INBOX, STR(""), (msg_cursor_t){0, 0}, MSG_PAGE, &out->items);
    if (n < 0)
        return n;
    out->n = n;
    int rc = messages_unread(STORE_READER(r), person_id, &out->unread);
    if (rc < 0)
        return rc;
    rc = school_id ? messages_is_blocked(STORE_READER(r), school_id, person_id) : 0;
    if (rc < 0)
        return rc;
    out->blocked = rc == 1;
    return 0;
}

const msg_inbox_t *messages_inbox(inbox_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                  int64_t person_id, int64_t school_id)
{
    if (!c->cap) {
        msg_inbox_t *in = arena_alloc(scratch, sizeof *in);
        return build_inbox(r, scratch, person_id, school_id, in) < 0 ? NULL : in;
    }
    uint64_t version = store_key_version(store, STORE_TOPIC_MESSAGES, messages_person_key(person_id)) +
                       store_topic_version(store, STORE_TOPIC_DIRECTORY);
    uint64_t slot;
    inbox_entry_t *e;
    if (u64map_get(&c->index, (uint64_t)person_id, &slot)) {
        e = c->slots[slot - 1];
        if (e->version == version && e->school_id == school_id)
            return &e->inbox;
        arena_free(&e->arena);
    } else {
        if (c->used == c->cap)
            inbox_drop_all(c); /* full: start again (a morning's readers refill it) */
        e = calloc(1, sizeof *e);
        if (!e)
            return NULL;
        c->slots[c->used] = e;
        u64map_put(&c->index, (uint64_t)person_id, c->used + 1);
        c->used++;
    }
    arena_init(&e->arena, NULL);
    e->version = UINT64_MAX; /* never served unless built */
    e->school_id = school_id;
    if (build_inbox(r, &e->arena, person_id, school_id, &e->inbox) < 0)
        return NULL;
    e->version = version;
    return &e->inbox;
}
