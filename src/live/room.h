/* room: one live class's room as state and events, with no I/O.
 *
 * Contract:
 * - A room changes only by events, applied in seq order (room_apply). The room's
 *   owner turns commands into events (room_decide): it checks the command against
 *   the room (who may send what, values in range), gives the event the next seq,
 *   and applies it; every other copy of the room applies the same events in the
 *   same order and so holds the same state. room_decide and room_apply are pure
 *   functions of the room and their input (the clock comes in the command).
 * - Who may send what: hosts everything; participants and admitted guests chat,
 *   hands, reactions and votes. A removed person cannot come back; a refused guest
 *   neither. Nobody enrolled ever waits: only guests go through the lobby, and a
 *   locked room turns new guests away.
 * - room_event_json renders an event once, as every participant receives it;
 *   events meant for hosts only (chat "to hosts", the lobby) have a short "skip"
 *   rendering for the others (room_event_for).
 * - The room keeps the last ROOM_CHAT_KEEP chat messages, one poll at a time, a
 *   shared note, who is there, and for the owner, how many sockets each person has
 *   open and since when (attendance).
 */
#ifndef CARTABLE_LIVE_ROOM_H
#define CARTABLE_LIVE_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"
#include "core/u64map.h"

#define ROOM_NAME_MAX 128       /* bytes, with the NUL */
#define ROOM_CHAT_KEEP 100
#define ROOM_CHAT_MAX_CHARS 2000
#define ROOM_NOTE_MAX_CHARS 20000
#define ROOM_QUESTION_MAX_CHARS 300
#define ROOM_CHOICE_MAX_CHARS 100
#define ROOM_POLL_MIN_CHOICES 2
#define ROOM_POLL_MAX_CHOICES 6

typedef enum room_role { ROOM_GUEST = 0, ROOM_PARTICIPANT, ROOM_HOST } room_role_t;
const char *room_role_code(room_role_t r); /* "guest", "participant", "host" */

typedef enum room_kind {
    ROOM_OPEN = 0, /* the room's first event: its title */
    ROOM_JOIN,     /* a socket came in (a second tab, a reconnection: the same person) */
    ROOM_LEAVE,    /* command: a socket went away; event: the person's last one did */
    ROOM_KNOCK,    /* a guest asks to come in; event: the lobby as it now is */
    ROOM_CHAT,
    ROOM_HAND,
    ROOM_REACTION,
    ROOM_POLL_OPEN,
    ROOM_POLL_CLOSE,
    ROOM_VOTE,
    ROOM_NOTE,
    ROOM_LOCK,
    ROOM_MUTE_ALL,
    ROOM_PUBLISH,
    ROOM_REMOVE,
    ROOM_ADMIT,
    ROOM_REFUSE,
    ROOM_CLOSE, /* the room is over: copies are freed */
    ROOM_KIND_COUNT
} room_kind_t;

/* Refusals of room_decide, sent back as {"type":"error","code":...}. */
typedef enum room_refusal {
    ROOM_ACCEPTED = 0,
    ROOM_NOT_ALLOWED,  /* "not_allowed": this role may not send this */
    ROOM_BAD_VALUE,    /* "bad_value": no such poll, person, guest; out of range */
    ROOM_REMOVED,      /* "removed": the host removed this person */
    ROOM_REFUSED,      /* "refused": the host refused this guest */
    ROOM_LOCKED,       /* "locked": a guest knocking at a locked room */
    ROOM_WAIT,         /* not an error: a guest joining before being admitted (knock instead) */
    ROOM_NOTHING,      /* nothing changes (a leave that does not end a presence, a join from another tab) */
} room_refusal_t;
const char *room_refusal_code(room_refusal_t r);

/* A command, and once decided, the event it became. Owned by whoever holds it;
 * text and choices are heap copies freed by room_cmd_clear. */
typedef struct room_cmd {
    room_kind_t kind;
    int64_t room_id;
    int64_t actor; /* a person's id; a guest's is minus their guest id */
    room_role_t role;
    char name[ROOM_NAME_MAX];
    bool flag;       /* hand up, to hosts, locked, publish allowed */
    int64_t target;  /* publish/remove: a person; admit/refuse: a guest's (negative) id; vote: the poll */
    int choice;      /* vote */
    char *text;      /* chat, note, poll question, reaction, open: the title */
    size_t text_len;
    char *choices[ROOM_POLL_MAX_CHOICES];
    size_t choice_lens[ROOM_POLL_MAX_CHOICES];
    int nchoices;
    int64_t at_ms;   /* wall clock, Unix milliseconds: set by whoever sends it */
    int64_t ends_at; /* open: when the room may close (Unix seconds) */
    /* set by room_decide */
    uint64_t seq;
    bool first_join; /* join: the person was not there */
} room_cmd_t;

void room_cmd_clear(room_cmd_t *c);
/* Deep copy (text and choices duplicated). */
void room_cmd_copy(room_cmd_t *dst, const room_cmd_t *src);
void room_cmd_set_text(room_cmd_t *c, const char *s, size_t len);
/* Copies a name, cut to ROOM_NAME_MAX - 1 bytes on a character boundary. */
void room_name_copy(char dst[ROOM_NAME_MAX], const char *s, size_t len);

typedef struct room_member {
    int64_t id;
    char name[ROOM_NAME_MAX];
    room_role_t role;
    bool present, hand, publish, removed;
    int vote; /* choice in the open poll, -1 none */
    /* owner only */
    int sockets;
    int64_t joined_ms;       /* when the present stretch began */
    int64_t first_joined_ms;
} room_member_t;

typedef struct room_chat_line {
    uint64_t seq;
    int64_t from;
    char from_name[ROOM_NAME_MAX];
    bool to_hosts;
    char *text;
    int64_t at_ms;
} room_chat_line_t;

typedef struct room_guest {
    int64_t id; /* negative */
    char name[ROOM_NAME_MAX];
} room_guest_t;

typedef struct room {
    int64_t id;
    char *title;
    int64_t ends_at;
    uint64_t seq;
    bool locked;
    char *note;
    room_member_t *members;
    size_t nmembers, cap;
    u64map_t index; /* member id (as uint64) -> position + 1 */
    size_t present;
    room_chat_line_t chat[ROOM_CHAT_KEEP];
    size_t nchat; /* lines held, the newest at (chat_next - 1) mod KEEP */
    size_t chat_next;
    /* the poll: id is the seq of its opening event; 0 none */
    uint64_t poll_id;
    bool poll_open;
    char *question;
    char *choices[ROOM_POLL_MAX_CHOICES];
    int nchoices;
    int counts[ROOM_POLL_MAX_CHOICES];
    room_guest_t *lobby;
    size_t nlobby, lobby_cap;
    int64_t *refused; /* guests refused */
    size_t nrefused, refused_cap;
} room_t;

room_t *room_new(int64_t id);
void room_free(room_t *r);
room_member_t *room_member(const room_t *r, int64_t id);
bool room_in_lobby(const room_t *r, int64_t guest_id);
bool room_guest_refused(const room_t *r, int64_t guest_id);

/* On the owner: decides a command. ROOM_ACCEPTED: c is now an event (seq set)
 * and is applied to r. Otherwise nothing changed. */
room_refusal_t room_decide(room_t *r, room_cmd_t *c);
/* On every other copy: applies an event decided by the owner. */
void room_apply(room_t *r, const room_cmd_t *ev);

/* The event as sent to participants (NUL-terminated in b). */
void room_event_json(const room_t *r, const room_cmd_t *ev, buf_t *b);
/* Is the event for hosts (and its sender) only? */
bool room_event_hosts_only(const room_cmd_t *ev);
/* The welcome: the room's state as one participant sees it. */
void room_welcome_json(const room_t *r, int64_t you, room_role_t role, const char *name, buf_t *b);

/* JSON string escaping into b (with the quotes). */
void room_json_string(buf_t *b, const char *s, size_t len);

/* Parses a client's message into a command (kind, flag, target, choice, text,
 * choices): 0, or an error code ("bad_json", "bad_message", "unknown_type",
 * "bad_value") with nothing to free. A ping gives *is_ping. */
const char *room_parse(const char *text, size_t len, room_cmd_t *c, bool *is_ping);

#endif
