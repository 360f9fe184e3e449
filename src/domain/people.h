/* people: persons, their accounts and their roles in schools.
 *
 * Contract:
 * - A person has one login (unique, lower-case ASCII "prenom.nom", numbered on
 *   collision) and belongs to schools through memberships (person × school ×
 *   role). A parent or a teacher may belong to several schools; platform
 *   administrators are flagged on the person.
 * - An account is activated when it has a password hash. Until then it may hold a
 *   pending activation code (only its hash is stored) with an expiry.
 * - session_epoch rises whenever every session of the person must end (log out
 *   everywhere, password change, account disabled).
 * - Writes mark STORE_TOPIC_DIRECTORY (and STORE_TOPIC_SESSIONS for epochs) so
 *   caches reload.
 */
#ifndef CARTABLE_DOMAIN_PEOPLE_H
#define CARTABLE_DOMAIN_PEOPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "store/store.h"

typedef enum role {
    ROLE_PUPIL = 0,
    ROLE_PARENT,
    ROLE_TEACHER,
    ROLE_STAFF,
    ROLE_SCHOOL_ADMIN,
    ROLE_COUNT
} role_t;

const char *role_code(role_t r); /* "pupil", "parent", ... as stored */
bool role_parse(str_t s, role_t *out);

typedef struct person {
    int64_t id;
    str_t login;
    str_t external_id;
    str_t first_name;
    str_t last_name;
    str_t email;
    str_t birth_date; /* YYYY-MM-DD or empty */
    bool disabled;
    bool platform_admin;
    bool activated;          /* has a password */
    bool activation_pending; /* holds an unexpired activation code */
    int64_t session_epoch;
} person_t;

typedef struct membership {
    int64_t school_id;
    role_t role;
    str_t school_name;
} membership_t;

#define LOGIN_MAX 64
/* No session lives longer than this: an epoch event older than it can be dropped. */
#define SESSION_LONGEST_SECONDS (400LL * 24 * 3600)
#define NAME_MAX_CHARS 100

int person_get(store_src_t src, arena_t *a, int64_t id, person_t *out);
/* With the password hash (NULL if not activated) for the login check. */
int person_by_login(store_src_t src, arena_t *a, str_t login, person_t *out, str_t *password_hash);
int person_by_external_id(store_src_t src, arena_t *a, str_t external_id, person_t *out);

/* Checks names and e-mail as a person may have them: non-empty names of at most
 * NAME_MAX_CHARS characters, valid text; returns NULL or what is wrong. */
const char *person_check(const person_t *p);
/* "Élodie", "Le Gall-Hervé" -> "elodie.le-gall-herve"; numbered if taken. */
int login_unique(store_tx_t *tx, arena_t *a, str_t first, str_t last, str_t *out);
bool login_valid(str_t login);

int person_create(store_tx_t *tx, person_t *p);
/* Updates names, e-mail, birth date; *changed says whether anything differed. */
int person_update(store_tx_t *tx, const person_t *p, bool *changed);
int person_set_password(store_tx_t *tx, int64_t id, const char *hash);
int person_set_activation(store_tx_t *tx, int64_t id, const char *code_hash, int64_t expires_at);
int person_set_disabled(store_tx_t *tx, int64_t id, bool disabled);
/* An administrator's reset: the password is removed, a new activation code is set
 * and every session ends. */
int person_reset_account(store_tx_t *tx, int64_t id, const char *code_hash, int64_t expires_at);
/* The stored password hash (NULL str if none), for checking the current password. */
int person_password_hash(store_src_t src, arena_t *a, int64_t id, str_t *out);
/* Ends every session of the person: raises the epoch and logs it in session_events. */
int person_bump_epoch(store_tx_t *tx, int64_t id);
/* Checks an activation code (by hash) and, if it is right and unexpired, sets the password.
 * Returns the person id, 0 if the code is wrong or expired, or a negative status. */
int64_t person_activate(store_tx_t *tx, str_t login, const char *code_hash, const char *password_hash);

int membership_add(store_tx_t *tx, int64_t person_id, int64_t school_id, role_t role);
int membership_remove(store_tx_t *tx, int64_t person_id, int64_t school_id, role_t role);
int memberships_of(store_src_t src, arena_t *a, int64_t person_id, membership_t **out);
bool has_role(const membership_t *m, int n, int64_t school_id, role_t role);

typedef struct person_query {
    int64_t school_id;
    int role; /* role_t, or -1 for any */
    str_t text; /* matches login, first or last name (prefix, case-insensitive) */
    int limit;
    int offset;
} person_query_t;

/* People of a school by name; *total counts all matches. */
int person_search(store_src_t src, arena_t *a, const person_query_t *q, person_t **out, int64_t *total);
int64_t people_count(store_src_t src, int64_t school_id, int role);

#endif
