/* session: signed session tokens, their keys, and CSRF tokens.
 *
 * Contract:
 * - A token carries who (person id), until when, the person's session epoch, a
 *   random session id and a "this device" flag, signed with HMAC-SHA-256 under a
 *   key id. It is verified with no database access: signature, version, expiry.
 *   Revocation (epochs, logouts) is checked separately, from a per-worker cache
 *   (auth/revocation.h).
 * - Keys live in a file (one "id hex" per line, 0600): the first signs, all
 *   verify. session_keys_rotate puts a new key first and keeps three old ones,
 *   so sessions signed before a rotation stay valid.
 * - CSRF: a signed-in form carries HMAC(key, session id); an anonymous one
 *   carries the random value of the `csrf` cookie (double submit). Comparisons
 *   are constant-time.
 */
#ifndef CARTABLE_AUTH_SESSION_H
#define CARTABLE_AUTH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

#define SESSION_TOKEN_LEN 96 /* base64url of 72 bytes */
#define CSRF_TOKEN_LEN 22    /* base64url of 16 bytes */
#define SESSION_MAX_KEYS 4

typedef struct session {
    int64_t person_id;
    uint32_t epoch;
    int64_t issued_at;
    int64_t expires_at;
    uint64_t sid; /* never 0 */
    bool remember;
    uint8_t key_id;
} session_t;

typedef struct session_keys {
    unsigned n;
    uint8_t ids[SESSION_MAX_KEYS];
    unsigned char keys[SESSION_MAX_KEYS][32];
} session_keys_t;

/* The key with this id, or NULL: what verifies a token signed before a rotation. */
const unsigned char *session_key_for(const session_keys_t *keys, uint8_t id);

/* Loads the key file, creating it with one key if it does not exist. */
int session_keys_load(const char *path, session_keys_t *out, char *err, size_t errlen);
/* Adds a new signing key to the file (keeping the newest SESSION_MAX_KEYS). */
int session_keys_rotate(const char *path, char *err, size_t errlen);

typedef enum session_status {
    SESSION_VALID = 0,
    SESSION_MALFORMED, /* wrong length, bad base64, unknown version */
    SESSION_BAD_SIGNATURE,
    SESSION_UNKNOWN_KEY,
    SESSION_EXPIRED,
} session_status_t;

void session_new(session_t *s, int64_t person_id, uint32_t epoch, bool remember, int64_t now, int64_t lifetime);
/* Writes the token (SESSION_TOKEN_LEN chars and a NUL). */
void session_encode(const session_keys_t *keys, session_t *s, char out[SESSION_TOKEN_LEN + 1]);
session_status_t session_decode(const session_keys_t *keys, str_t token, int64_t now, session_t *out);

void session_csrf(const session_keys_t *keys, const session_t *s, char out[CSRF_TOKEN_LEN + 1]);
void csrf_random(char out[CSRF_TOKEN_LEN + 1]);
bool csrf_equal(str_t a, str_t b);

#endif
