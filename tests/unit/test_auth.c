/* Identity: passwords, activation codes, session tokens and keys, CSRF, rate
 * limits, revocation, the hash pool, and the policy matrix on the demo school. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/hashpool.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/principal.h"
#include "auth/revocation.h"
#include "auth/session.h"
#include "core/clock.h"
#include "core/u64map.h"
#include "domain/demo.h"
#include "domain/directory.h"
#include "domain/people.h"
#include "edge/ratelimit.h"

static char dir[64];

static int mkdir_tmp(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/cartable-auth-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int rm_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void passwords(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(STR("correct horse"), h), 0);
    assert_non_null(strstr(h, "$argon2id$"));
    assert_non_null(strstr(h, "m=19456,t=2,p=1")); /* 19 MiB, 2 passes */
    assert_true(password_verify(h, STR("correct horse")));
    assert_false(password_verify(h, STR("correct horsf")));
    assert_false(password_verify(h, STR("")));
    assert_false(password_verify(NULL, STR("x")));
    assert_false(password_verify("garbage", STR("x")));
    assert_false(password_verify(password_dummy_hash(), STR("correct horse")));
    assert_int_equal(password_check(STR("1234567")), PASSWORD_TOO_SHORT);
    assert_int_equal(password_check(STR("        ")), PASSWORD_TOO_SHORT);
    assert_int_equal(password_check(STR("12345678")), PASSWORD_OK);
    assert_int_equal(password_check(STR("mot de passe éèà")), PASSWORD_OK);
    assert_int_equal(password_check(str_make("abcd\0efgh", 9)), PASSWORD_BAD_TEXT);
    char longpw[130];
    memset(longpw, 'a', 129);
    assert_int_equal(password_check(str_make(longpw, 129)), PASSWORD_TOO_LONG);
}

static void activation_codes(void **state)
{
    (void)state;
    char code[ACTIVATION_CODE_LEN + 1], h1[ACTIVATION_HASH_LEN + 1], h2[ACTIVATION_HASH_LEN + 1];
    activation_code_new(code);
    assert_int_equal(strlen(code), 14);
    assert_true(code[4] == '-' && code[9] == '-');
    for (int i = 0; i < 14; i++)
        if (i != 4 && i != 9)
            assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", code[i]));
    assert_true(activation_code_hash(str_from(code), h1));
    /* typed loosely: lower case, spaces, no dashes */
    char loose[32];
    snprintf(loose, sizeof loose, " %c%c%c%c %c%c%c%c%c%c%c%c ", code[0], code[1], code[2], code[3], code[5], code[6],
             code[7], code[8], code[10], code[11], code[12], code[13]);
    for (char *p = loose; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    assert_true(activation_code_hash(str_from(loose), h2));
    assert_string_equal(h1, h2);
    /* O for 0, I or L for 1 */
    assert_true(activation_code_hash(STR("0000-1111-2222"), h1));
    assert_true(activation_code_hash(STR("oooo-iiii-2222"), h2));
    assert_string_equal(h1, h2);
    assert_true(activation_code_hash(STR("OOOO-LLLL-2222"), h2));
    assert_string_equal(h1, h2);
    assert_false(activation_code_hash(STR("0000-1111-222"), h1));   /* too short */
    assert_false(activation_code_hash(STR("0000-1111-22222"), h1)); /* too long */
    assert_false(activation_code_hash(STR("0000-1111-222U"), h1));  /* U is not in the alphabet */
    assert_false(activation_code_hash(STR(""), h1));
    char other[ACTIVATION_CODE_LEN + 1];
    activation_code_new(other);
    assert_string_not_equal(code, other);
}

static void session_tokens(void **state)
{
    (void)state;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/session.keys", dir);
    session_keys_t keys;
    assert_int_equal(session_keys_load(path, &keys, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    session_keys_t again;
    assert_int_equal(session_keys_load(path, &again, err, sizeof err), 0);
    assert_memory_equal(keys.keys[0], again.keys[0], 32);

    int64_t now = 1800000000;
    session_t s, out;
    session_new(&s, 42, 7, true, now, 3600);
    char tok[SESSION_TOKEN_LEN + 1];
    session_encode(&keys, &s, tok);
    assert_int_equal(strlen(tok), SESSION_TOKEN_LEN);
    assert_int_equal(session_decode(&keys, str_from(tok), now + 10, &out), SESSION_VALID);
    assert_true(out.person_id == 42 && out.epoch == 7 && out.remember && out.sid == s.sid);
    assert_int_equal(session_decode(&keys, str_from(tok), now + 3600, &out), SESSION_EXPIRED);
    assert_int_equal(session_decode(&keys, str_from(tok), now - 3600, &out), SESSION_EXPIRED); /* issued in the future */
    /* every single-character change is refused */
    for (int i = 0; i < SESSION_TOKEN_LEN; i++) {
        char t[SESSION_TOKEN_LEN + 1];
        memcpy(t, tok, sizeof t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        session_status_t st2 = session_decode(&keys, str_from(t), now + 10, &out);
        if (st2 == SESSION_VALID) {
            /* the last character carries 2 unused bits in base64: accept only identical bytes */
            assert_int_equal(i, SESSION_TOKEN_LEN - 1);
            assert_true(out.sid == s.sid);
        }
    }
    assert_int_equal(session_decode(&keys, STR("short"), now, &out), SESSION_MALFORMED);
    char garbage[SESSION_TOKEN_LEN + 1];
    memset(garbage, '*', SESSION_TOKEN_LEN);
    garbage[SESSION_TOKEN_LEN] = '\0';
    assert_int_equal(session_decode(&keys, str_from(garbage), now, &out), SESSION_MALFORMED);
    /* a token made with another key is a forgery */
    session_keys_t other = keys;
    other.keys[0][0] ^= 1;
    char forged[SESSION_TOKEN_LEN + 1];
    session_encode(&other, &s, forged);
    assert_int_equal(session_decode(&keys, str_from(forged), now + 10, &out), SESSION_BAD_SIGNATURE);

    /* rotation: old sessions stay valid for three rotations, new ones use the new key */
    for (int r = 1; r <= 4; r++) {
        assert_int_equal(session_keys_rotate(path, err, sizeof err), 0);
        session_keys_t rotated;
        assert_int_equal(session_keys_load(path, &rotated, err, sizeof err), 0);
        session_status_t expect = r < SESSION_MAX_KEYS ? SESSION_VALID : SESSION_UNKNOWN_KEY;
        assert_int_equal(session_decode(&rotated, str_from(tok), now + 10, &out), expect);
        char fresh[SESSION_TOKEN_LEN + 1];
        session_t s2;
        session_new(&s2, 1, 0, false, now, 60);
        session_encode(&rotated, &s2, fresh);
        assert_int_equal(session_decode(&rotated, str_from(fresh), now + 1, &out), SESSION_VALID);
        assert_int_equal(out.key_id, rotated.ids[0]);
    }
    /* a corrupt key file is an error with the line */
    FILE *f = fopen(path, "w");
    fputs("# keys\n1 nothex\n", f);
    fclose(f);
    assert_int_equal(session_keys_load(path, &again, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2:"));

    /* CSRF */
    char c1[CSRF_TOKEN_LEN + 1], c2[CSRF_TOKEN_LEN + 1], c3[CSRF_TOKEN_LEN + 1];
    session_csrf(&keys, &s, c1);
    session_csrf(&keys, &s, c2);
    assert_string_equal(c1, c2);
    session_t s3;
    session_new(&s3, 42, 7, true, now, 3600);
    session_csrf(&keys, &s3, c3);
    assert_string_not_equal(c1, c3);
    assert_true(csrf_equal(str_from(c1), str_from(c2)));
    assert_false(csrf_equal(str_from(c1), str_from(c3)));
    assert_false(csrf_equal(str_from(c1), STR("")));
    char r1[CSRF_TOKEN_LEN + 1], r2[CSRF_TOKEN_LEN + 1];
    csrf_random(r1);
    csrf_random(r2);
    assert_int_equal(strlen(r1), CSRF_TOKEN_LEN);
    assert_string_not_equal(r1, r2);
}

static void rate_limits(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(1024, 1.0, 3.0); /* 3 at once, then 1 per second */
    uint64_t t = 1000000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(rl, STR("10.0.0.1"), t, 1), 0);
    unsigned wait = ratelimit_take(rl, STR("10.0.0.1"), t, 1);
    assert_int_equal(wait, 1);
    assert_int_equal(ratelimit_take(rl, STR("10.0.0.2"), t, 1), 0); /* another key is independent */
    assert_int_equal(ratelimit_check(rl, STR("10.0.0.1"), t), 1);
    assert_int_equal(ratelimit_take(rl, STR("10.0.0.1"), t + 1000, 1), 0); /* refilled */
    assert_int_equal(ratelimit_take(rl, STR("10.0.0.1"), t + 1000, 1), 1);
    ratelimit_reset(rl, STR("10.0.0.1"));
    assert_int_equal(ratelimit_check(rl, STR("10.0.0.1"), t + 1000), 0);
    /* far more keys than capacity: old, idle buckets are forgotten, never a crash */
    for (int i = 0; i < 20000; i++) {
        char k[32];
        snprintf(k, sizeof k, "key-%d", i);
        ratelimit_take(rl, str_from(k), t + 2000 + (uint64_t)i, 1);
    }
    ratelimit_free(rl);
    ratelimit_t *slow = ratelimit_new(16, 10.0 / 3600.0, 10.0); /* 10 per hour */
    for (int i = 0; i < 10; i++)
        assert_int_equal(ratelimit_take(slow, STR("demo.eleve"), t, 1), 0);
    wait = ratelimit_take(slow, STR("demo.eleve"), t, 1);
    assert_true(wait >= 359 && wait <= 361); /* one token every six minutes */
    ratelimit_free(slow);
}

static void u64_map(void **state)
{
    (void)state;
    u64map_t m;
    u64map_init(&m);
    enum { N = 20000 };
    static uint64_t ref[N];
    memset(ref, 0, sizeof ref);
    srand(7);
    for (int step = 0; step < 200000; step++) {
        uint64_t k = (uint64_t)(rand() % (N - 1)) + 1;
        int op = rand() % 3;
        if (op == 0) {
            uint64_t v = (uint64_t)rand() + 1;
            u64map_put(&m, k, v);
            ref[k] = v;
        } else if (op == 1) {
            bool had = u64map_erase(&m, k);
            assert_int_equal(had, ref[k] != 0);
            ref[k] = 0;
        } else {
            uint64_t v = 0;
            bool found = u64map_get(&m, k, &v);
            assert_int_equal(found, ref[k] != 0);
            if (found)
                assert_true(v == ref[k]);
        }
    }
    size_t live = 0;
    for (int k = 1; k < N; k++)
        live += ref[k] != 0;
    assert_int_equal(m.len, live);
    u64map_put(&m, 0, 5); /* key 0 is never stored */
    assert_false(u64map_get(&m, 0, NULL));
    u64map_dispose(&m);
}

typedef struct pool_ctx {
    _Atomic int done, ok;
} pool_ctx_t;

static void job_done(hash_job_t *job)
{
    pool_ctx_t *c = job->ctx;
    atomic_fetch_add(&c->ok, job->ok);
    atomic_fetch_add(&c->done, 1);
}

static void hash_pool(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash(STR("pool-password"), h), 0);
    hashpool_t *p = hashpool_start(2, 4);
    pool_ctx_t c = {0};
    hash_job_t jobs[12];
    int accepted = 0, refused = 0;
    for (int i = 0; i < 12; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].op = HASH_VERIFY;
        jobs[i].stored_hash = h;
        const char *pw = i % 2 ? "pool-password" : "wrong-password";
        memcpy(jobs[i].password, pw, strlen(pw));
        jobs[i].password_len = strlen(pw);
        jobs[i].done = job_done;
        jobs[i].ctx = &c;
        if (hashpool_submit(p, &jobs[i]) == 0)
            accepted++;
        else
            refused++;
    }
    /* two threads and four queue places: a burst of twelve cannot all wait */
    assert_true(refused > 0);
    assert_true(accepted >= 4);
    hashpool_stop(p); /* finishes what was accepted */
    assert_int_equal(c.done, accepted);
    for (int i = 0; i < 12; i++)
        assert_int_equal(jobs[i].password_len, 0); /* wiped, accepted or not */
    hashpool_t *q = hashpool_start(1, 8);
    hash_job_t create = {.op = HASH_CREATE, .done = job_done, .ctx = &c};
    memcpy(create.password, "brand-new-pass", 14);
    create.password_len = 14;
    assert_int_equal(hashpool_submit(q, &create), 0);
    hashpool_stop(q);
    assert_true(create.ok);
    assert_true(password_verify(create.new_hash, STR("brand-new-pass")));
}

/* ---- the policy matrix on the demo school ---- */

static store_t *demo;
static store_reader_t *reader;

static int demo_setup(void **state)
{
    if (mkdir_tmp(state) != 0)
        return -1;
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/data", dir);
    store_options_t o = {.data_dir = data};
    if (store_open(&o, &demo, err, sizeof err) != 0 || demo_seed(demo) != 1)
        return -1;
    reader = store_reader_open(demo);
    return 0;
}

static int demo_teardown(void **state)
{
    store_reader_close(reader);
    store_close(demo);
    return rm_tmp(state);
}

static int64_t id_of(const char *login)
{
    int64_t id = 0;
    store_int(STORE_READER(reader), "SELECT id FROM people WHERE login = ?", STORE_ARGS(SA_CSTR(login)), &id);
    return id;
}

static int64_t id_by_sql(const char *sql)
{
    int64_t id = 0;
    store_int(STORE_READER(reader), sql, STORE_NO_ARGS, &id);
    return id;
}

static bool allows(const principal_t *p, policy_action_t act, const policy_target_t *t)
{
    return policy_allows(p, act, t);
}

static void policy_matrix(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, NULL);
    date_t today = date_today();
    principal_t pupil, parent, teacher, admin, staff, other_pupil;
    assert_int_equal(principal_load(reader, id_of("demo.eleve"), today, &pupil), 1);
    assert_int_equal(principal_load(reader, id_of("demo.parent"), today, &parent), 1);
    assert_int_equal(principal_load(reader, id_of("demo.prof"), today, &teacher), 1);
    assert_int_equal(principal_load(reader, id_of("demo.admin"), today, &admin), 1);
    int64_t staff_id = id_by_sql("SELECT person_id FROM memberships WHERE role = 'staff' LIMIT 1");
    assert_int_equal(principal_load(reader, staff_id, today, &staff), 1);
    int64_t school = principal_main_school(&admin);
    int64_t class_5b = pupil.pupil_class_id;
    assert_true(class_5b > 0);
    /* a class the demo teacher does not teach and the demo pupil is not in */
    int64_t class_other = id_by_sql("SELECT c.id FROM classes c WHERE c.code = '4F'");
    assert_false(principal_teaches_class(&teacher, class_other));
    int64_t classmate = id_by_sql("SELECT e.pupil_id FROM enrolments e JOIN people p ON p.id = e.pupil_id "
                                  "JOIN classes c ON c.id = e.class_id WHERE c.code = '5B' AND p.login <> 'demo.eleve' "
                                  "LIMIT 1");
    int64_t stranger = id_by_sql("SELECT e.pupil_id FROM enrolments e JOIN classes c ON c.id = e.class_id "
                                 "WHERE c.code = '4F' LIMIT 1");
    assert_int_equal(principal_load(reader, stranger, today, &other_pupil), 1);
    assert_int_equal(parent.nchildren, 2);

    policy_target_t t_school = policy_target_school(school), t_5b, t_other, t_pupil, t_classmate, t_stranger,
                    t_teacher, t_parent, t_admin;
    assert_int_equal(policy_target_class(reader, &a, class_5b, &t_5b), 1);
    assert_int_equal(policy_target_class(reader, &a, class_other, &t_other), 1);
    assert_int_equal(policy_target_person(reader, &a, pupil.person_id, &t_pupil), 1);
    assert_int_equal(policy_target_person(reader, &a, classmate, &t_classmate), 1);
    assert_int_equal(policy_target_person(reader, &a, stranger, &t_stranger), 1);
    assert_int_equal(policy_target_person(reader, &a, teacher.person_id, &t_teacher), 1);
    assert_int_equal(policy_target_person(reader, &a, parent.person_id, &t_parent), 1);
    assert_int_equal(policy_target_person(reader, &a, admin.person_id, &t_admin), 1);

    /* another school: its administrator may see nothing of this one */
    principal_t outsider = admin;
    membership_t elsewhere = {.school_id = school + 1000, .role = ROLE_SCHOOL_ADMIN};
    outsider.roles = &elsewhere;
    outsider.nroles = 1;
    outsider.person_id = 999999;
    principal_t platform = outsider;
    platform.platform_admin = true;
    platform.nroles = 0;
    principal_t disabled_admin = admin;
    disabled_admin.disabled = true;

    struct {
        const char *who;
        const principal_t *p;
        bool dir, accounts, roster_5b, roster_other, card_self, card_classmate, card_stranger, card_teacher,
            account_pupil, manage_pupil, manage_self, child;
    } rows[] = {
        /*                       dir    acct   5B     other  self   mate   strgr  teach  acct-p manage self-m child */
        {"pupil", &pupil, false, false, true, false, true, false, false, false, true, false, false, false},
        {"parent", &parent, false, false, false, false, true, false, false, false, true, false, false, true},
        {"teacher", &teacher, false, false, true, false, true, true, false, true, false, false, false, false},
        {"staff", &staff, true, false, true, true, true, true, true, true, false, false, false, false},
        {"admin", &admin, true, true, true, true, true, true, true, true, true, true, false, false},
        {"outsider", &outsider, false, false, false, false, false, false, false, false, false, false, false, false},
        {"platform", &platform, true, true, true, true, true, true, true, true, true, true, true, true},
        {"disabled", &disabled_admin, false, false, false, false, false, false, false, false, false, false, false,
         false},
        {"anonymous", NULL, false, false, false, false, false, false, false, false, false, false, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const principal_t *p = rows[i].p;
        const policy_target_t *self = p == &teacher ? &t_teacher : p == &parent ? &t_parent : p == &admin ? &t_admin
                                      : p == &pupil ? &t_pupil : &t_admin;
        bool got[12] = {
            allows(p, POLICY_SCHOOL_DIRECTORY, &t_school),
            allows(p, POLICY_SCHOOL_ACCOUNTS, &t_school),
            allows(p, POLICY_CLASS_ROSTER, &t_5b),
            allows(p, POLICY_CLASS_ROSTER, &t_other),
            allows(p, POLICY_PERSON_CARD, self),
            allows(p, POLICY_PERSON_CARD, &t_classmate),
            allows(p, POLICY_PERSON_CARD, &t_stranger),
            allows(p, POLICY_PERSON_CARD, &t_teacher),
            allows(p, POLICY_PERSON_ACCOUNT, &t_pupil),
            allows(p, POLICY_PERSON_MANAGE, &t_pupil),
            allows(p, POLICY_PERSON_MANAGE, self),
            allows(p, POLICY_ACT_FOR_CHILD, &t_pupil),
        };
        bool want[12] = {rows[i].dir,           rows[i].accounts,      rows[i].roster_5b,     rows[i].roster_other,
                         rows[i].card_self,     rows[i].card_classmate, rows[i].card_stranger, rows[i].card_teacher,
                         rows[i].account_pupil, rows[i].manage_pupil,  rows[i].manage_self,   rows[i].child};
        static const char *const cols[12] = {"directory",   "accounts",    "roster 5B",   "roster other",
                                             "card self",   "card mate",   "card stranger", "card teacher",
                                             "account pupil", "manage pupil", "manage self", "act for child"};
        for (int k = 0; k < 12; k++)
            if (got[k] != want[k])
                fail_msg("%s / %s: expected %s", rows[i].who, cols[k], want[k] ? "allowed" : "refused");
    }
    /* a parent acts for their own children only */
    policy_target_t not_child = {.person_id = stranger};
    assert_false(policy_allows(&parent, POLICY_ACT_FOR_CHILD, &not_child));
    policy_target_t second_child = {.person_id = parent.children[0].person.id == pupil.person_id
                                                     ? parent.children[1].person.id
                                                     : parent.children[0].person.id};
    assert_true(policy_allows(&parent, POLICY_ACT_FOR_CHILD, &second_child));
    principal_dispose(&pupil);
    principal_dispose(&parent);
    principal_dispose(&teacher);
    principal_dispose(&admin);
    principal_dispose(&staff);
    principal_dispose(&other_pupil);
    arena_free(&a);
}

static int end_all(store_tx_t *tx, void *ud)
{
    return person_bump_epoch(tx, *(int64_t *)ud);
}

static int logout_one(store_tx_t *tx, void *ud)
{
    return session_event_logout(tx, ud);
}

static void revocation_follows_the_log(void **state)
{
    (void)state;
    revocations_t rv;
    revocations_init(&rv);
    int64_t now = clock_now();
    int64_t who = id_of("demo.eleve");
    session_t a1, a2, b1;
    session_new(&a1, who, 0, false, now, 3600);
    session_new(&a2, who, 0, true, now, 3600);
    session_new(&b1, id_of("demo.prof"), 0, false, now, 3600);
    assert_int_equal(revocations_refresh(&rv, demo, reader, now), 0);
    assert_false(session_revoked(&rv, &a1));
    /* one logout */
    assert_int_equal(store_write_sync(demo, logout_one, &a1), STORE_OK);
    assert_int_equal(revocations_refresh(&rv, demo, reader, now), 0);
    assert_true(session_revoked(&rv, &a1));
    assert_false(session_revoked(&rv, &a2));
    /* everywhere */
    assert_int_equal(store_write_sync(demo, end_all, &who), STORE_OK);
    assert_int_equal(revocations_refresh(&rv, demo, reader, now), 0);
    assert_true(session_revoked(&rv, &a2));
    assert_false(session_revoked(&rv, &b1));
    session_t fresh;
    session_new(&fresh, who, 1, false, now, 3600); /* signed in again after: the new epoch */
    assert_false(session_revoked(&rv, &fresh));
    /* a second worker starting now learns the same */
    revocations_t late;
    revocations_init(&late);
    assert_int_equal(revocations_refresh(&late, demo, reader, now), 0);
    assert_true(session_revoked(&late, &a1) && session_revoked(&late, &a2) && !session_revoked(&late, &fresh));
    revocations_dispose(&late);
    revocations_dispose(&rv);
}

int main(void)
{
    if (password_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passwords),
        cmocka_unit_test(activation_codes),
        cmocka_unit_test_setup_teardown(session_tokens, mkdir_tmp, rm_tmp),
        cmocka_unit_test(rate_limits),
        cmocka_unit_test(u64_map),
        cmocka_unit_test(hash_pool),
        cmocka_unit_test_setup_teardown(policy_matrix, demo_setup, demo_teardown),
        cmocka_unit_test_setup_teardown(revocation_follows_the_log, demo_setup, demo_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
