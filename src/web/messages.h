/* The messaging pages (inbox, sent, drafts, archive, a conversation, the compose
 * form, moderation) and the send path they share with the JSON API
 * (src/api/messages.c).
 *
 * Contract:
 * - messages_submit is the one way a request sends a message: it resolves the
 *   recipients through policy (messages_resolve), checks the text, then queues
 *   one write (messages_send or messages_reply_privately) and calls `done` on the
 *   request's loop with 0 (sent; c->sent says whether it was a retried
 *   duplicate), MESSAGES_INVALID (c->problem, c->culprit), or a negative store
 *   status. It calls `done` on every path, exactly once. Attached files
 *   (already adopted into the data directory) are discarded when nothing was sent.
 * - The compose is never lost: callers hand the author's text back with the
 *   refusal (the page re-renders its form, the API keeps the client's body).
 * - The school of a new conversation is c->school_id when the author belongs to
 *   it, else their main school; a message in a conversation takes the
 *   conversation's.
 */
#ifndef CARTABLE_WEB_MESSAGES_H
#define CARTABLE_WEB_MESSAGES_H

#include "auth/policy.h"
#include "domain/messages.h"
#include "http/request.h"
#include "http/router.h"
#include "web_generated.h"

typedef struct msg_compose {
    /* what the author wrote */
    int64_t school_id;
    str_t to_text;             /* "p:12,c:4" (a new conversation) */
    str_t subject, body;
    int64_t conversation_id;   /* > 0: a message in this conversation (reply to all) */
    int64_t private_reply_to;  /* > 0: a broadcast answered privately */
    int64_t forward_of;        /* a message being forwarded, or 0 */
    str_t idempotency_key;
    int64_t draft_id;
    stored_file_t *files;
    int nfiles;
    /* the outcome */
    msg_problem_t problem;
    msg_to_t culprit;          /* the recipient at fault (MSG_BAD_RECIPIENT, MSG_NOT_ALLOWED) */
    msg_sent_t sent;
    int npeople;               /* how many people it reached */
    /* private to messages_submit */
    msg_resolved_t resolved;
    msg_send_t send;
    void (*done)(request_t *r, struct msg_compose *c, int status);
} msg_compose_t;

typedef void (*msg_done_fn)(request_t *r, msg_compose_t *c, int status);
void messages_submit(request_t *r, const principal_t *p, msg_compose_t *c, msg_done_fn done);

/* The message of a problem in the request's language. */
msg_id_t messages_problem_msg(msg_problem_t p);

int messages_register_routes(router_t *router, char *err, size_t errlen);
/* The API half (src/api/messages.c), registered by messages_register_routes. */
int messages_api_register_routes(router_t *router, char *err, size_t errlen);

#endif
