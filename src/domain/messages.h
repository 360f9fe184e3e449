/* messages: conversations between the people of a school, class broadcasts,
 * drafts, reports and blocks.
 *
 * Contract:
 * - A conversation belongs to one school; its members each have a delivery row
 *   (unread count, archived). Sending a message is one write: the message row,
 *   its files, and an unread increment on every other member's row, committed
 *   together; each member's key (messages_person_key) is raised so badges and
 *   inboxes refresh.
 * - Who may write to whom is policy's (POLICY_MESSAGE_WRITE for a person,
 *   POLICY_MESSAGE_BROADCAST for a class or group), with the school's switches
 *   (msg_rules_t) loaded into the target. messages_resolve expands what the
 *   author typed (people, a class, a group, a class's parents) into people and
 *   refuses the whole send if one of them may not be written to: the author is
 *   told which, and nothing is sent.
 * - A broadcast's recipients cannot reply to all: their reply opens (or
 *   continues) a private conversation with the sender, one per recipient and
 *   broadcast.
 * - An idempotency key (per author) makes a retried send return the message the
 *   first attempt created instead of sending twice.
 * - A sender blocked in a school by its administrator cannot send there; what
 *   was sent stays. Reports are per message and person, once.
 * - Refusals return MESSAGES_INVALID with a msg_problem_t, writing nothing.
 */
#ifndef CARTABLE_DOMAIN_MESSAGES_H
#define CARTABLE_DOMAIN_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/principal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"
#include "core/u64map.h"
#include "domain/files.h"
#include "store/store.h"

enum { MESSAGES_INVALID = -40 };

#define MSG_SUBJECT_MAX 200
#define MSG_BODY_MAX 20000
#define MSG_KEY_MAX 100       /* idempotency key length */
#define MSG_RECIPIENTS_MAX 50 /* typed entries (a class counts as one) */
#define MSG_FILES_MAX 10
#define MSG_PAGE 30           /* conversations per inbox page */
#define MSG_PREVIEW_CHARS 140 /* the start of the last message, in a list */

typedef enum msg_problem {
    MSG_OK = 0,
    MSG_NO_RECIPIENT,
    MSG_TOO_MANY_RECIPIENTS,
    MSG_BAD_RECIPIENT,     /* malformed, unknown, or not of this school */
    MSG_NOT_ALLOWED,       /* the rules do not let the author write to someone listed */
    MSG_SUBJECT_EMPTY,
    MSG_SUBJECT_TOO_LONG,
    MSG_BODY_EMPTY,
    MSG_BODY_TOO_LONG,
    MSG_BAD_TEXT,
    MSG_BAD_KEY,
    MSG_SENDER_BLOCKED,
    MSG_CANNOT_REPLY,      /* not a member, or a broadcast's recipient replying to all */
    MSG_TOO_MANY_FILES,
} msg_problem_t;

const char *msg_problem_code(msg_problem_t p); /* "no_recipient"... for the API */

/* The school's communication switches (see migration 0004). */
typedef struct msg_rules {
    bool pupil_to_teachers, pupil_to_staff, pupil_to_classmates;
    bool parent_to_teachers, parent_to_staff, parent_to_class_parents;
} msg_rules_t;

msg_rules_t msg_rules_default(void);
int msg_rules_get(store_src_t src, int64_t school_id, msg_rules_t *out);
int msg_rules_set(store_tx_t *tx, int64_t school_id, const msg_rules_t *rules, int64_t now);

/* What an author types in the "to" field. */
typedef enum msg_to_kind { MSG_TO_PERSON = 0, MSG_TO_CLASS, MSG_TO_GROUP, MSG_TO_CLASS_PARENTS } msg_to_kind_t;

typedef struct msg_to {
    msg_to_kind_t kind;
    int64_t id;
} msg_to_t;

/* "p:12", "c:4", "g:7", "cp:4"; a list is comma-separated. false on a malformed entry. */
bool msg_to_parse(str_t s, msg_to_t *out);
/* Parses a list into the arena; -1 malformed, -2 too many, else the count. */
int msg_to_parse_list(arena_t *a, str_t s, msg_to_t **out);
str_t msg_to_format(arena_t *a, const msg_to_t *to, int n);

/* Someone the author may pick: a person, or a class / group / class's parents for
 * a broadcast. */
typedef struct msg_contact {
    msg_to_t to;
    str_t name;   /* "Léa Dupont", "5e B", "Parents de 5e B" */
    str_t detail; /* role and class, subject taught... */
} msg_contact_t;

/* Everyone (and every broadcast target) `who` may write to in a school, sorted by
 * name. Filtered by policy, so the picker offers only what a send accepts. */
int messages_contacts(store_reader_t *r, arena_t *a, const principal_t *who, int64_t school_id, msg_contact_t **out);

/* Expands the typed recipients into people (author excluded, no duplicates),
 * asking policy for each. On MSG_NOT_ALLOWED / MSG_BAD_RECIPIENT *culprit
 * receives the entry at fault. Broadcast kind: the first class/group entry, if any. */
typedef struct msg_resolved {
    int64_t *people;
    int npeople;
    const char *broadcast; /* "", "class", "group", "class_parents" */
    int64_t broadcast_target;
} msg_resolved_t;
int messages_resolve(store_reader_t *r, arena_t *a, const principal_t *who, int64_t school_id, const msg_to_t *to,
                     int nto, msg_resolved_t *out, msg_problem_t *problem, msg_to_t *culprit);

/* A new conversation, or a message in an existing one. */
typedef struct msg_send {
    int64_t school_id;
    int64_t author_id;
    int64_t conversation_id;     /* > 0: a message in that conversation (reply to all) */
    const msg_resolved_t *to;    /* a new conversation */
    str_t subject;               /* a new conversation */
    str_t body;
    int64_t forwarded_from;      /* a message the author could read, or 0 */
    str_t idempotency_key;       /* optional */
    const stored_file_t *files;  /* already adopted (files_adopt) */
    int nfiles;
    int64_t draft_id;            /* deleted once sent, or 0 */
    int64_t now;
} msg_send_t;

typedef struct msg_sent {
    int64_t conversation_id, message_id;
    bool duplicate; /* the idempotency key had been used: nothing new was sent */
} msg_sent_t;

/* Checks the text, the key and the counts (not the store). */
msg_problem_t messages_check(const msg_send_t *m);
int messages_send(store_tx_t *tx, const msg_send_t *m, msg_sent_t *out, msg_problem_t *problem);
/* A broadcast recipient's private reply: finds or opens the conversation with
 * the broadcast's sender, then sends in it. */
int messages_reply_privately(store_tx_t *tx, int64_t broadcast_id, const msg_send_t *m, msg_sent_t *out,
                             msg_problem_t *problem);

typedef enum msg_folder { MSG_INBOX = 0, MSG_SENT, MSG_ARCHIVE } msg_folder_t;

typedef struct msg_conversation {
    int64_t id;
    int64_t school_id;
    str_t subject;
    str_t broadcast;        /* "" or the broadcast kind */
    str_t broadcast_name;   /* the class or group name */
    int64_t created_by;
    int64_t last_message_at;
    str_t last_author;      /* "Léa Dupont" */
    str_t preview;          /* the start of the last message, "…" when cut */
    str_t members;          /* "Léa Dupont, M. Martin..." (first few; "" for a broadcast:
                             * recipients do not see each other) */
    int nmembers;           /* counted up to 7: "more than 6" is all a list says */
    int unread;
    bool archived, can_reply;
    int64_t reply_to_broadcast;
} msg_conversation_t;

typedef struct msg_message {
    int64_t id;
    int64_t author_id;
    str_t author_name;
    str_t body;
    int64_t sent_at;
    int64_t forwarded_from;
    stored_file_t *files;
    int nfiles;
} msg_message_t;

/* Where a page of conversations ends: its last conversation's time and id
 * (several conversations can share a second). {0, 0}: the first page. */
typedef struct msg_cursor {
    int64_t at, id;
} msg_cursor_t;

/* A folder's conversations, newest first; `search` (optional) matches the subject
 * or a member's name; `before` pages (the previous page's last entry). */
int messages_list(store_reader_t *r, arena_t *a, int64_t person_id, msg_folder_t folder, str_t search,
                  msg_cursor_t before, int limit, msg_conversation_t **out);
/* A conversation as its member sees it: 1 found, 0 not a member (or none). */
int messages_get(store_src_t src, arena_t *a, int64_t person_id, int64_t conversation_id, msg_conversation_t *out);
/* Any conversation, for a moderator (policy decided before). */
int messages_get_any(store_src_t src, arena_t *a, int64_t conversation_id, msg_conversation_t *out);
/* Its messages, oldest first (at most `limit`, the latest ones). */
int messages_thread(store_src_t src, arena_t *a, int64_t conversation_id, int limit, msg_message_t **out);
/* The conversation a message is in (0 none); for reports, forwards and files. */
int messages_message_conversation(store_src_t src, int64_t message_id, int64_t *conversation_id);
/* How many members a conversation has (exactly). */
int messages_member_count(store_src_t src, int64_t conversation_id, int64_t *out);
/* Is the person a member? (for reading a message's files) */
int messages_is_member(store_src_t src, int64_t person_id, int64_t conversation_id);
/* Is the file attached to a message of a conversation the person is a member of? */
int messages_file_readable(store_src_t src, int64_t person_id, str_t file_id);

int messages_mark_read(store_tx_t *tx, int64_t person_id, int64_t conversation_id);
int messages_archive(store_tx_t *tx, int64_t person_id, int64_t conversation_id, bool archived);
/* Unread messages over the person's conversations that are not archived. */
int messages_unread(store_src_t src, int64_t person_id, int *out);

/* Drafts. */
typedef struct msg_draft {
    int64_t id;
    int64_t school_id;
    int64_t conversation_id;
    str_t recipients, subject, body;
    int64_t updated_at;
} msg_draft_t;
/* Saves (id 0: creates; else the author's own draft). */
int messages_draft_save(store_tx_t *tx, int64_t author_id, msg_draft_t *d);
int messages_draft_delete(store_tx_t *tx, int64_t author_id, int64_t draft_id);
int messages_drafts(store_src_t src, arena_t *a, int64_t author_id, msg_draft_t **out);
int messages_draft_get(store_src_t src, arena_t *a, int64_t author_id, int64_t draft_id, msg_draft_t *out);

/* Moderation. */
typedef struct msg_report {
    int64_t id, message_id, conversation_id;
    int64_t reporter_id, author_id;
    str_t reporter_name, author_name, subject, body, reason;
    int64_t created_at;
    bool author_blocked;
} msg_report_t;
/* 1 reported, 0 already reported by this person. */
int messages_report(store_tx_t *tx, int64_t reporter_id, int64_t message_id, str_t reason, int64_t now);
int messages_reports_open(store_src_t src, arena_t *a, int64_t school_id, msg_report_t **out);
int messages_report_close(store_tx_t *tx, int64_t school_id, int64_t report_id, int64_t closed_by, int64_t now);
int messages_block(store_tx_t *tx, int64_t school_id, int64_t person_id, int64_t blocked_by, str_t reason,
                   int64_t now);
int messages_unblock(store_tx_t *tx, int64_t school_id, int64_t person_id);
int messages_is_blocked(store_src_t src, int64_t school_id, int64_t person_id);

/* Demo data (messages_demo.c): a class-parents broadcast, a parent-teacher
 * exchange, a note from the school life office to a pupil. */
int demo_messages(store_tx_t *tx, int64_t school_id, date_t today);

/* The first page of a person's inbox, its unread total and whether they are
 * blocked in their main school, cached per worker: an entry is rebuilt when
 * the person's messages key or the directory topic moved (every write that
 * concerns them raises their key). Entries own their memory; the cache belongs
 * to one worker thread. Capacity 0 builds on every call, in the caller's arena. */
typedef struct msg_inbox {
    msg_conversation_t *items;
    int n;
    int unread;
    bool blocked;
} msg_inbox_t;

typedef struct inbox_cache {
    u64map_t index; /* person id -> slot + 1 */
    struct inbox_entry **slots;
    size_t cap, used;
} inbox_cache_t;

void inbox_cache_init(inbox_cache_t *c, size_t capacity);
void inbox_cache_dispose(inbox_cache_t *c);
/* NULL on a store error. */
const msg_inbox_t *messages_inbox(inbox_cache_t *c, store_t *store, store_reader_t *r, arena_t *scratch,
                                  int64_t person_id, int64_t school_id);

/* A person's messages key (inbox, badge), raised by every write that concerns them. */
uint64_t messages_person_key(int64_t person_id);

#endif
