/* cartable user: accounts from the command line.
 *
 *   cartable user list    [--school UAI] [--role ROLE] [--search TEXT]
 *   cartable user add     --first NAME --last NAME --role ROLE --school UAI [--login L] [--email E] [--password-stdin]
 *   cartable user reset   LOGIN        new activation code (printed); the password stops working
 *   cartable user password LOGIN       new password read from standard input
 *   cartable user disable LOGIN | enable LOGIN
 *   cartable user platform-admin LOGIN [--revoke]
 */
#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "domain/people.h"
#include "domain/school.h"

#define ACTIVATION_SECONDS (60 * 24 * 3600)

static void usage(void)
{
    fprintf(stderr, "usage:\n"
                    "  cartable user list [--school UAI] [--role ROLE] [--search TEXT]\n"
                    "  cartable user add --first NAME --last NAME --role ROLE --school UAI [--login LOGIN]\n"
                    "                    [--email ADDRESS] [--password-stdin]\n"
                    "  cartable user reset LOGIN\n"
                    "  cartable user password LOGIN      (the new password on standard input)\n"
                    "  cartable user disable LOGIN\n"
                    "  cartable user enable LOGIN\n"
                    "  cartable user platform-admin LOGIN [--revoke]\n"
                    "roles: pupil, parent, teacher, staff, school_admin\n"
                    "plus the usual settings: --data DIR, --config FILE\n");
}

/* Takes "--name value" pairs this command knows; leaves the rest for the settings. */
typedef struct opts {
    const char *school, *role, *search, *first, *last, *login, *email;
    bool password_stdin, revoke;
    const char *positional;
    int rest_argc;
    char *rest[64];
} opts_t;

static int parse(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    /* A login, when the subcommand takes one, comes first: "user reset LOGIN --data DIR". */
    if (argc > 0 && argv[0][0] != '-') {
        o->positional = argv[0];
        argc--;
        argv++;
    }
    static const struct {
        const char *name;
        size_t offset;
    } valued[] = {
        {"--school", offsetof(opts_t, school)}, {"--role", offsetof(opts_t, role)},
        {"--search", offsetof(opts_t, search)}, {"--first", offsetof(opts_t, first)},
        {"--last", offsetof(opts_t, last)},     {"--login", offsetof(opts_t, login)},
        {"--email", offsetof(opts_t, email)},
    };
    for (int i = 0; i < argc; i++) {
        bool taken = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
            if (strcmp(argv[i], valued[k].name) == 0) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "cartable: %s needs a value\n", argv[i]);
                    return -1;
                }
                *(const char **)((char *)o + valued[k].offset) = argv[++i];
                taken = true;
            }
        }
        if (taken)
            continue;
        if (strcmp(argv[i], "--password-stdin") == 0)
            o->password_stdin = true;
        else if (strcmp(argv[i], "--revoke") == 0)
            o->revoke = true;
        else if (o->rest_argc < 64)
            o->rest[o->rest_argc++] = argv[i];
    }
    return 0;
}

static int read_password(char *out, size_t cap, size_t *len)
{
    if (!fgets(out, (int)cap, stdin)) {
        fprintf(stderr, "cartable: no password on standard input\n");
        return -1;
    }
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    password_problem_t p = password_check(str_make(out, n));
    if (p != PASSWORD_OK) {
        fprintf(stderr, "cartable: the password must be 8 to 128 bytes of text\n");
        return -1;
    }
    *len = n;
    return 0;
}

/* ---- writes ---- */

typedef struct add_job {
    person_t p;
    int64_t school_id;
    role_t role;
    const char *hash;
    const char *code_hash;
    arena_t *arena;
} add_job_t;

static int add_write(store_tx_t *tx, void *ud)
{
    add_job_t *j = ud;
    int rc;
    if (!j->p.login.len && (rc = login_unique(tx, j->arena, j->p.first_name, j->p.last_name, &j->p.login)) < 0)
        return rc;
    if ((rc = person_create(tx, &j->p)) < 0 || (rc = membership_add(tx, j->p.id, j->school_id, j->role)) < 0)
        return rc;
    if (j->hash)
        return person_set_password(tx, j->p.id, j->hash);
    return person_set_activation(tx, j->p.id, j->code_hash, clock_now() + ACTIVATION_SECONDS);
}

typedef struct login_job {
    str_t login;
    int kind; /* 0 reset, 1 password, 2 disable, 3 enable, 4 admin, 5 revoke admin */
    const char *value;
    int64_t id;
} login_job_t;

static int login_write(store_tx_t *tx, void *ud)
{
    login_job_t *j = ud;
    int rc = store_int(STORE_TX(tx), "SELECT id FROM people WHERE login = ?", STORE_ARGS(SA_TEXT(j->login)), &j->id);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return STORE_CONSTRAINT;
    switch (j->kind) {
    case 0: return person_reset_account(tx, j->id, j->value, clock_now() + ACTIVATION_SECONDS);
    case 1: return person_set_password(tx, j->id, j->value);
    case 2: return person_set_disabled(tx, j->id, true);
    case 3: return person_set_disabled(tx, j->id, false);
    default: {
        rc = store_tx_exec(tx, "UPDATE people SET platform_admin = ? WHERE id = ?",
                           STORE_ARGS(SA_INT(j->kind == 4), SA_INT(j->id)));
        if (rc == STORE_OK) {
            store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
            rc = person_bump_epoch(tx, j->id); /* the new rights apply at the next sign-in */
        }
        return rc;
    }
    }
}

static int list_people(store_t *s, const opts_t *o)
{
    store_reader_t *r = store_reader_open(s);
    arena_t a;
    arena_init(&a, NULL);
    school_t *schools;
    int ns = school_list(r, &a, &schools);
    int printed = 0;
    role_t role;
    if (o->role && !role_parse(str_from(o->role), &role)) {
        fprintf(stderr, "cartable: unknown role \"%s\"\n", o->role);
        arena_free(&a);
        store_reader_close(r);
        return 2;
    }
    printf("%-28s %-12s %-10s %-8s %s\n", "login", "role", "school", "account", "name");
    for (int i = 0; i < ns; i++) {
        if (o->school && !str_eq_cstr(schools[i].uai, o->school))
            continue;
        for (int offset = 0;; offset += 500) {
            person_query_t q = {.school_id = schools[i].id, .role = o->role ? (int)role : -1,
                                .text = o->search ? str_from(o->search) : STR(""), .limit = 500, .offset = offset};
            person_t *people;
            int n = person_search(STORE_READER(r), &a, &q, &people, NULL);
            for (int k = 0; k < n; k++) {
                membership_t *m;
                int nm = memberships_of(STORE_READER(r), &a, people[k].id, &m);
                for (int j = 0; j < nm; j++) {
                    if (m[j].school_id != schools[i].id || (o->role && m[j].role != role))
                        continue;
                    printf("%-28.*s %-12s %-10.*s %-8s %.*s %.*s\n", (int)people[k].login.len, people[k].login.ptr,
                           role_code(m[j].role), (int)schools[i].uai.len, schools[i].uai.ptr,
                           people[k].disabled ? "disabled" : people[k].activated ? "active" : "pending",
                           (int)people[k].first_name.len, people[k].first_name.ptr, (int)people[k].last_name.len,
                           people[k].last_name.ptr);
                    printed++;
                }
            }
            if (n < 500)
                break;
        }
    }
    fprintf(stderr, "%d account(s)\n", printed);
    arena_free(&a);
    store_reader_close(r);
    return 0;
}

int cmd_user(int argc, char **argv)
{
    if (argc < 1) {
        usage();
        return 2;
    }
    const char *sub = argv[0];
    opts_t o;
    if (parse(argc - 1, argv + 1, &o) != 0)
        return 2;
    config_t cfg;
    if (cli_load_config(&cfg, o.rest_argc, o.rest) != 0)
        return 2;
    store_t *s;
    if (cli_open_store(&cfg, &s) != 0)
        return 1;
    int rc = 0;
    arena_t a;
    arena_init(&a, NULL);
    if (strcmp(sub, "list") == 0) {
        rc = list_people(s, &o);
    } else if (strcmp(sub, "add") == 0) {
        role_t role;
        if (!o.first || !o.last || !o.role || !o.school) {
            usage();
            rc = 2;
            goto out;
        }
        if (!role_parse(str_from(o.role), &role)) {
            fprintf(stderr, "cartable: unknown role \"%s\" (pupil, parent, teacher, staff, school_admin)\n", o.role);
            rc = 2;
            goto out;
        }
        store_reader_t *r = store_reader_open(s);
        school_t school;
        int found = school_by_uai(STORE_READER(r), &a, str_from(o.school), &school);
        store_reader_close(r);
        if (found != 1) {
            fprintf(stderr, "cartable: no school with UAI %s\n", o.school);
            rc = 1;
            goto out;
        }
        add_job_t j = {.school_id = school.id, .role = role, .arena = &a};
        j.p = (person_t){.first_name = str_from(o.first), .last_name = str_from(o.last),
                         .email = o.email ? str_from(o.email) : STR(""), .login = o.login ? str_from(o.login) : STR("")};
        const char *problem = person_check(&j.p);
        if (problem || (o.login && !login_valid(j.p.login))) {
            fprintf(stderr, "cartable: %s\n", problem ? problem : "login: use a-z, 0-9, '.', '-', '_' (64 at most)");
            rc = 2;
            goto out;
        }
        char hash[PASSWORD_HASH_MAX], code[ACTIVATION_CODE_LEN + 1], code_hash[ACTIVATION_HASH_LEN + 1];
        if (o.password_stdin) {
            char pw[PASSWORD_MAX_BYTES + 8];
            size_t len;
            if (read_password(pw, sizeof pw, &len) != 0 || password_hash(str_make(pw, len), hash) != 0) {
                rc = 1;
                goto out;
            }
            j.hash = hash;
        } else {
            activation_code_new(code);
            activation_code_hash(str_from(code), code_hash);
            j.code_hash = code_hash;
        }
        int w = store_write_sync(s, add_write, &j);
        if (w < 0) {
            fprintf(stderr, "cartable: %s\n", w == STORE_CONSTRAINT ? "that login is taken" : "the account was not created");
            rc = 1;
            goto out;
        }
        printf("login: %.*s\n", (int)j.p.login.len, j.p.login.ptr);
        if (!o.password_stdin)
            printf("activation code: %s\n", code);
    } else {
        static const char *const subs[] = {"reset", "password", "disable", "enable", "platform-admin"};
        int kind = -1;
        for (int i = 0; i < 5; i++)
            if (strcmp(sub, subs[i]) == 0)
                kind = i;
        if (kind < 0 || !o.positional) {
            usage();
            rc = 2;
            goto out;
        }
        login_job_t j = {.login = str_from(o.positional), .kind = kind == 4 ? (o.revoke ? 5 : 4) : kind};
        char code[ACTIVATION_CODE_LEN + 1], code_hash[ACTIVATION_HASH_LEN + 1], hash[PASSWORD_HASH_MAX];
        if (kind == 0) {
            activation_code_new(code);
            activation_code_hash(str_from(code), code_hash);
            j.value = code_hash;
        } else if (kind == 1) {
            char pw[PASSWORD_MAX_BYTES + 8];
            size_t len;
            if (read_password(pw, sizeof pw, &len) != 0 || password_hash(str_make(pw, len), hash) != 0) {
                rc = 1;
                goto out;
            }
            j.value = hash;
        }
        int w = store_write_sync(s, login_write, &j);
        if (w == STORE_CONSTRAINT) {
            fprintf(stderr, "cartable: no account with login %s\n", o.positional);
            rc = 1;
            goto out;
        }
        if (w < 0) {
            fprintf(stderr, "cartable: the change was not made\n");
            rc = 1;
            goto out;
        }
        if (kind == 0)
            printf("activation code: %s\n", code);
        fprintf(stderr, "done: %s %s\n", sub, o.positional);
    }
out:
    arena_free(&a);
    store_close(s);
    config_dispose(&cfg);
    return rc;
}
