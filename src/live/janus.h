/* janus: the live class's audio and video rooms, on Janus WebRTC servers
 * (VideoRoom plugin), driven over Janus's HTTP API with libcurl.
 *
 * Contract:
 * - janus_start starts one thread per instance of janus_urls (*out is NULL
 *   when it is empty: live classes then have chat only). No event loop ever
 *   waits for Janus: jobs are queued from any thread, and each job's
 *   completion is handed back through the caller's post function
 *   (janus_post_worker: the worker's loop), exactly once, whatever happens:
 *   Janus unreachable, an error answer, a malformed one. Nothing aborts.
 * - A room lives on instance `room % n`. That instance's thread alone owns
 *   its rooms, its Janus session and its VideoRoom handle, and keeps the
 *   session alive (keepalive_ms).
 * - Rooms are private, opus + vp8, capped (publishers, bitrate), with a
 *   random secret (never leaves this module) and a random pin (in the
 *   result, for the browsers), and with the `allowed` check on: only a holder
 *   of a token added with janus_add_token may join; subscribers must also be
 *   in the room (require_pvtid).
 * - Janus keeps rooms in memory only. The client remembers the rooms it
 *   created and their tokens; when an instance has lost its session (it
 *   restarted) or comes back after being unreachable, the client opens a new
 *   session and puts every room back as it was (same pin, secret, tokens)
 *   before it runs anything else. While an instance is unreachable its jobs
 *   fail at once (JANUS_UNAVAILABLE) and it is tried again every few seconds.
 * - A failed create or add changes nothing remembered; a remove or destroy
 *   is remembered even when Janus could not be told.
 * - Instance state changes (down, back, restarted) are logged once each;
 *   a job refused by Janus is logged once, where it fails.
 * - janus_stop wakes every thread (a request in flight is cut) and joins
 *   them; jobs not yet run are dropped without a completion. Call it once the
 *   workers have stopped, like mailer_stop.
 * - The janus_t is the per-process context (held by the app); there is no
 *   other shared state.
 */
#ifndef CARTABLE_LIVE_JANUS_H
#define CARTABLE_LIVE_JANUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

typedef struct janus janus_t;

typedef enum janus_status {
    JANUS_OK = 0,
    JANUS_OFF = -1,         /* no janus_urls: no audio/video */
    JANUS_INVALID = -2,     /* a bad argument (room number, token) */
    JANUS_UNAVAILABLE = -3, /* the instance cannot be reached */
    JANUS_REFUSED = -4,     /* Janus answered with an error: result.code, result.message */
    JANUS_BAD_ANSWER = -5,  /* Janus's answer is not what the API says */
    JANUS_NO_ROOM = -6,     /* this client did not create that room */
} janus_status_t;

#define JANUS_PIN_LEN 22    /* random, URL-safe */
#define JANUS_TOKEN_MAX 64  /* join tokens: 1..64 of [A-Za-z0-9_-] */
#define JANUS_TOKEN_LEN 24  /* what janus_token_new makes */
#define JANUS_ROOM_MAX ((1ull << 53) - 1) /* room numbers a browser's JSON keeps exactly */

typedef struct janus_result {
    int status;        /* JANUS_OK or a janus_status_t */
    int code;          /* with JANUS_REFUSED: Janus's or the VideoRoom's error code (426: no such room...) */
    uint64_t room;
    char pin[JANUS_TOKEN_MAX + 1]; /* janus_create_room: what browsers join with */
    char message[160];           /* why, when status is not JANUS_OK */
} janus_result_t;

/* Completions. The client calls post(target, reply) on its own thread; post
 * must get janus_reply_run(reply) called on the caller's thread, which calls
 * done(result, ud) there and frees the reply. */
typedef struct janus_reply janus_reply_t;
typedef void (*janus_post_fn)(void *target, janus_reply_t *reply);
typedef void (*janus_done_fn)(const janus_result_t *result, void *ud);
void janus_reply_run(janus_reply_t *reply);
/* A post function for a worker's event loop: target is a worker_t *. */
void janus_post_worker(void *target, janus_reply_t *reply);
/* Is this worker task a reply janus_post_worker posted? (A server that stops
 * runs what is left in its queues once its workers have ended.) */
struct worker_task;
bool janus_task_is_reply(const struct worker_task *task);

typedef struct janus_caller {
    janus_post_fn post;
    void *target;
    janus_done_fn done; /* NULL: no completion wanted */
    void *ud;
} janus_caller_t;

typedef struct janus_options {
    const char *urls;        /* comma-separated API URLs: http://127.0.0.1:8088/janus,... */
    const char *public_urls; /* what browsers use, same order; NULL or "": urls */
    const char *admin_key;   /* the VideoRoom's admin_key, if it has one; NULL or "" */
    uint64_t keepalive_ms;   /* 0: 25 s (Janus drops a session silent for 60 s) */
    uint64_t timeout_ms;     /* one request, connection included; 0: 5 s */
} janus_options_t;

void janus_options_from_config(const config_t *cfg, janus_options_t *o);

/* 0 (*out NULL when urls is empty), or -1 with a message in err. */
int janus_start(const janus_options_t *o, janus_t **out, char *err, size_t errlen);
void janus_stop(janus_t *j);

/* What the browsers of a room use: the public URL of its instance (NULL if j is NULL). */
const char *janus_public_url(const janus_t *j, uint64_t room);

typedef struct janus_room_spec {
    uint64_t room;           /* 1..JANUS_ROOM_MAX */
    const char *description; /* cut to 200 bytes */
    unsigned publishers;     /* most concurrent publishers; 0: 6 */
    unsigned bitrate;        /* cap per publisher, bits/s; 0: 512000 */
    /* NULL: random. A caller that keeps them (in the store) can take its
     * rooms back after a restart of its own, while Janus kept them. */
    const char *secret, *pin;
} janus_room_spec_t;

/* Each queues a job: 0, after which its completion comes exactly once; or,
 * with no completion, JANUS_OFF (j is NULL) or JANUS_INVALID. Creating a room
 * the client already has answers its pin; one that Janus has but the client
 * does not know is taken over if the secret given opens it. */
int janus_create_room(janus_t *j, const janus_room_spec_t *spec, janus_caller_t c);
int janus_destroy_room(janus_t *j, uint64_t room, janus_caller_t c);
int janus_add_token(janus_t *j, uint64_t room, const char *token, janus_caller_t c);
int janus_remove_token(janus_t *j, uint64_t room, const char *token, janus_caller_t c);
/* Kicks participant `id` out (remove its token first, or it may come back). */
int janus_kick(janus_t *j, uint64_t room, uint64_t id, janus_caller_t c);

/* A fresh random join token (JANUS_TOKEN_LEN characters). */
void janus_token_new(char out[JANUS_TOKEN_LEN + 1]);
bool janus_token_valid(const char *token);

typedef struct janus_stats {
    unsigned instances, up;
    uint64_t restarts; /* times an instance's rooms were put back */
    uint64_t rooms;    /* rooms remembered */
} janus_stats_t;
void janus_get_stats(const janus_t *j, janus_stats_t *out);

/* ---- the pure parts, apart for the tests ---------------------------------- */

/* Request bodies (heap strings, caller frees). `body` requests wrap a
 * VideoRoom request in a "message"; tokens may be NULL when ntokens is 0. */
typedef struct janus_room_def {
    uint64_t room;
    const char *description, *secret, *pin;
    unsigned publishers, bitrate;
} janus_room_def_t;
char *janus_req_plain(const char *kind, const char *transaction); /* create, keepalive, destroy */
char *janus_req_attach(const char *transaction);
char *janus_req_create(const janus_room_def_t *r, const char *const *tokens, size_t ntokens, const char *admin_key,
                       const char *transaction);
/* action: add or remove */
char *janus_req_allowed(uint64_t room, const char *secret, const char *action, const char *const *tokens,
                        size_t ntokens, const char *transaction);
char *janus_req_kick(uint64_t room, const char *secret, uint64_t id, const char *transaction);
char *janus_req_destroy(uint64_t room, const char *secret, const char *transaction);
/* Sets a room Janus already has to r (pin, description, caps). */
char *janus_req_edit(const janus_room_def_t *r, const char *transaction);

/* One answer of Janus's HTTP API, understood. */
typedef struct janus_answer {
    int status;            /* JANUS_OK, JANUS_REFUSED or JANUS_BAD_ANSWER */
    int code;              /* with JANUS_REFUSED */
    bool session_gone;     /* Janus no longer knows the session or handle (458, 459) */
    uint64_t id;           /* "data":{"id"}: a new session's or handle's */
    size_t ntokens;        /* "allowed": how many tokens the room has */
    char **tokens;         /* and which (janus_answer_dispose frees them) */
    char message[160];
} janus_answer_t;
/* expect: "ack" for a keepalive, "success" for the others; videoroom: what
 * the plugin's answer must say ("created", "success", "destroyed"), or NULL
 * when none is expected. */
void janus_parse_answer(const char *text, size_t len, const char *transaction, const char *expect,
                        const char *videoroom, janus_answer_t *out);
void janus_answer_dispose(janus_answer_t *a);

#endif
