/* password: hashing and checking passwords, and the printable activation codes
 * a school hands out.
 *
 * Contract:
 * - Passwords are hashed with argon2id (libsodium), m = 19 MiB, t = 2, p = 1 (the
 *   OWASP minimum), in the self-describing $argon2id$ string format. Hashing is
 *   slow by design: call it from the hash pool (auth/hashpool.h), never on an
 *   event loop.
 * - A password is 8 to 128 bytes of valid text, not only spaces.
 * - Activation codes are 12 characters of Crockford base32 (60 bits), shown as
 *   XXXX-XXXX-XXXX; only a BLAKE2b hash is stored. Reading back ignores case,
 *   spaces and dashes, and takes O for 0 and I or L for 1.
 */
#ifndef CARTABLE_AUTH_PASSWORD_H
#define CARTABLE_AUTH_PASSWORD_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

#define PASSWORD_MIN_BYTES 8
#define PASSWORD_MAX_BYTES 128
#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES
#define PASSWORD_OPSLIMIT 2
#define PASSWORD_MEMLIMIT (19u * 1024u * 1024u)

#define ACTIVATION_CODE_LEN 14      /* with the two dashes */
#define ACTIVATION_HASH_LEN 64      /* hex */

/* Must be called once before anything else here (sodium_init). */
int password_init(void);

typedef enum password_problem {
    PASSWORD_OK = 0,
    PASSWORD_TOO_SHORT,
    PASSWORD_TOO_LONG,
    PASSWORD_BAD_TEXT,
} password_problem_t;
password_problem_t password_check(str_t password);

/* 0, or -1 if memory is short. */
int password_hash(str_t password, char out[PASSWORD_HASH_MAX]);
/* true if the password matches the stored hash. */
bool password_verify(const char *hash, str_t password);
/* A hash of a random password: login checks for unknown accounts verify against it,
 * so that they take as long as real ones (no user enumeration by timing). */
const char *password_dummy_hash(void);

void activation_code_new(char out[ACTIVATION_CODE_LEN + 1]);
/* Normalises the typed code and hashes it; false if it cannot be a code. */
bool activation_code_hash(str_t typed, char out[ACTIVATION_HASH_LEN + 1]);

#endif
