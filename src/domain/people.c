#include "domain/people.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"

static const char *const role_codes[ROLE_COUNT] = {"pupil", "parent", "teacher", "staff", "school_admin"};

const char *role_code(role_t r)
{
    return (unsigned)r < ROLE_COUNT ? role_codes[r] : "?";
}

bool role_parse(str_t s, role_t *out)
{
    for (int i = 0; i < ROLE_COUNT; i++) {
        if (str_eq_cstr(s, role_codes[i])) {
            *out = (role_t)i;
            return true;
        }
    }
    return false;
}

#define PERSON_COLUMNS                                                                                                 \
    "id, login, COALESCE(external_id, ''), first_name, last_name, email, COALESCE(birth_date, ''), disabled, "         \
    "platform_admin, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, "                                             \
    "CASE WHEN activation_hash IS NOT NULL AND activation_expires > ? THEN 1 ELSE 0 END, session_epoch"

static void fill_person(arena_t *a, const store_row_t *row, void *item)
{
    person_t *p = item;
    p->id = store_row_int(row, 0);
    p->login = store_row_text_copy(row, 1, a);
    p->external_id = store_row_text_copy(row, 2, a);
    p->first_name = store_row_text_copy(row, 3, a);
    p->last_name = store_row_text_copy(row, 4, a);
    p->email = store_row_text_copy(row, 5, a);
    p->birth_date = store_row_text_copy(row, 6, a);
    p->disabled = store_row_int(row, 7) != 0;
    p->platform_admin = store_row_int(row, 8) != 0;
    p->activated = store_row_int(row, 9) != 0;
    p->activation_pending = store_row_int(row, 10) != 0;
    p->session_epoch = store_row_int(row, 11);
}

int person_get(store_src_t src, arena_t *a, int64_t id, person_t *out)
{
    return store_one(src, a, "SELECT " PERSON_COLUMNS " FROM people WHERE id = ?",
                     STORE_ARGS(SA_INT(clock_now()), SA_INT(id)), sizeof *out, fill_person, out);
}

typedef struct with_hash {
    person_t p;
    str_t hash;
} with_hash_t;

static void fill_with_hash(arena_t *a, const store_row_t *row, void *item)
{
    with_hash_t *w = item;
    fill_person(a, row, &w->p);
    w->hash = store_row_is_null(row, 12) ? STR_NULL : store_row_text_copy(row, 12, a);
}

int person_by_login(store_src_t src, arena_t *a, str_t login, person_t *out, str_t *password_hash)
{
    with_hash_t w;
    int rc = store_one(src, a, "SELECT " PERSON_COLUMNS ", password_hash FROM people WHERE login = ?",
                       STORE_ARGS(SA_INT(clock_now()), SA_TEXT(login)), sizeof w, fill_with_hash, &w);
    if (rc == 1) {
        *out = w.p;
        if (password_hash)
            *password_hash = w.hash;
    }
    return rc;
}

int person_by_external_id(store_src_t src, arena_t *a, str_t external_id, person_t *out)
{
    return store_one(src, a, "SELECT " PERSON_COLUMNS " FROM people WHERE external_id = ?",
                     STORE_ARGS(SA_INT(clock_now()), SA_TEXT(external_id)), sizeof *out, fill_person, out);
}

static bool name_ok(str_t s)
{
    if (s.len == 0 || text_check(s.ptr, s.len) != TEXT_OK || utf8_length(s.ptr, s.len) > NAME_MAX_CHARS)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] == '\n' || s.ptr[i] == '\r' || s.ptr[i] == '\t')
            return false;
    return str_trim(s).len == s.len;
}

const char *person_check(const person_t *p)
{
    if (!name_ok(p->first_name))
        return "first name missing or invalid";
    if (!name_ok(p->last_name))
        return "last name missing or invalid";
    if (p->email.len) {
        const char *at = memchr(p->email.ptr, '@', p->email.len);
        if (!at || at == p->email.ptr || at == p->email.ptr + p->email.len - 1 || p->email.len > 254 ||
            text_check(p->email.ptr, p->email.len) != TEXT_OK || memchr(p->email.ptr, ' ', p->email.len))
            return "e-mail address invalid";
    }
    if (p->birth_date.len) {
        date_t d;
        if (!date_parse_iso(p->birth_date, &d))
            return "birth date invalid";
    }
    return NULL;
}

/* Appends the ASCII letters standing for one code point ("é" -> "e", "œ" -> "oe"). */
static void fold(buf_t *b, uint32_t cp)
{
    if (cp < 0x80) {
        char c = (char)cp;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            buf_putc(b, c);
        else if (c == ' ' || c == '-' || c == '\'' || c == '_')
            buf_putc(b, '-');
        return;
    }
    static const struct {
        uint32_t from, to;
        const char *ascii;
    } ranges[] = {
        {0xC0, 0xC5, "a"}, {0xC6, 0xC6, "ae"}, {0xC7, 0xC7, "c"}, {0xC8, 0xCB, "e"}, {0xCC, 0xCF, "i"},
        {0xD1, 0xD1, "n"}, {0xD2, 0xD6, "o"}, {0xD8, 0xD8, "o"}, {0xD9, 0xDC, "u"}, {0xDD, 0xDD, "y"},
        {0xDF, 0xDF, "ss"}, {0xE0, 0xE5, "a"}, {0xE6, 0xE6, "ae"}, {0xE7, 0xE7, "c"}, {0xE8, 0xEB, "e"},
        {0xEC, 0xEF, "i"}, {0xF1, 0xF1, "n"}, {0xF2, 0xF6, "o"}, {0xF8, 0xF8, "o"}, {0xF9, 0xFC, "u"},
        {0xFD, 0xFD, "y"}, {0xFF, 0xFF, "y"}, {0x152, 0x153, "oe"}, {0x178, 0x178, "y"}, {0x2019, 0x2019, "-"},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        if (cp >= ranges[i].from && cp <= ranges[i].to) {
            buf_puts(b, ranges[i].ascii);
            return;
        }
    }
    /* Latin Extended-A: pairs of upper/lower case letters, folded by their base. */
    if (cp >= 0x100 && cp <= 0x17F) {
        static const char base[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
        size_t k = cp - 0x100;
        if (k < sizeof base - 1)
            buf_putc(b, base[k]);
    }
}

static void fold_name(buf_t *b, str_t name)
{
    const unsigned char *p = (const unsigned char *)name.ptr;
    size_t i = 0, start = b->len;
    while (i < name.len) {
        uint32_t cp = p[i];
        size_t n = 1;
        if (cp >= 0xF0 && i + 3 < name.len) {
            cp = ((cp & 7u) << 18) | ((p[i + 1] & 63u) << 12) | ((p[i + 2] & 63u) << 6) | (p[i + 3] & 63u);
            n = 4;
        } else if (cp >= 0xE0 && i + 2 < name.len) {
            cp = ((cp & 15u) << 12) | ((p[i + 1] & 63u) << 6) | (p[i + 2] & 63u);
            n = 3;
        } else if (cp >= 0xC0 && i + 1 < name.len) {
            cp = ((cp & 31u) << 6) | (p[i + 1] & 63u);
            n = 2;
        }
        fold(b, cp);
        i += n;
    }
    /* collapse "--", trim '-' at both ends */
    size_t w = start;
    for (size_t r = start; r < b->len; r++) {
        char c = b->data[r];
        if (c == '-' && (w == start || b->data[w - 1] == '-'))
            continue;
        b->data[w++] = c;
    }
    while (w > start && b->data[w - 1] == '-')
        w--;
    b->len = w;
    b->data[w] = '\0';
}

bool login_valid(str_t login)
{
    if (login.len == 0 || login.len > LOGIN_MAX)
        return false;
    for (size_t i = 0; i < login.len; i++) {
        char c = login.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

int login_unique(store_tx_t *tx, arena_t *a, str_t first, str_t last, str_t *out)
{
    buf_t b;
    buf_init(&b, a, 64);
    fold_name(&b, first);
    if (b.len > 30)
        b.len = 30;
    size_t first_len = b.len;
    buf_putc(&b, '.');
    fold_name(&b, last);
    if (b.len > 56)
        b.len = 56;
    if (first_len == 0 || b.len == first_len + 1) {
        /* names with no letter we can write in ASCII */
        buf_clear(&b);
        buf_puts(&b, "utilisateur");
    }
    b.data[b.len] = '\0';
    size_t base_len = b.len;
    for (int n = 1; n < 100000; n++) {
        if (n > 1) {
            b.len = base_len;
            buf_printf(&b, "%d", n);
        }
        int64_t taken = 0;
        int rc = store_int(STORE_TX(tx), "SELECT COUNT(*) FROM people WHERE login = ?",
                           STORE_ARGS(SA_TEXT(buf_str(&b))), &taken);
        if (rc < 0)
            return rc;
        if (!taken) {
            *out = (str_t){arena_strndup(a, b.data, b.len), b.len};
            return STORE_OK;
        }
    }
    return STORE_ERROR;
}

static store_arg_t text_or_null(str_t s)
{
    return s.len ? SA_TEXT(s) : SA_NULL;
}

int person_create(store_tx_t *tx, person_t *p)
{
    int64_t now = clock_now();
    int rc = store_tx_exec(tx,
                           "INSERT INTO people (login, external_id, first_name, last_name, email, birth_date, disabled, "
                           "platform_admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_TEXT(p->login), text_or_null(p->external_id), SA_TEXT(p->first_name),
                                      SA_TEXT(p->last_name), SA_TEXT(p->email), text_or_null(p->birth_date),
                                      SA_INT(p->disabled), SA_INT(p->platform_admin), SA_INT(now), SA_INT(now)));
    if (rc == STORE_OK) {
        p->id = store_tx_last_id(tx);
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    }
    return rc;
}

int person_update(store_tx_t *tx, const person_t *p, bool *changed)
{
    int rc = store_tx_exec(tx,
                           "UPDATE people SET first_name = ?, last_name = ?, email = ?, birth_date = ?, updated_at = ? "
                           "WHERE id = ? AND (first_name <> ? OR last_name <> ? OR email <> ? OR "
                           "COALESCE(birth_date, '') <> ?)",
                           STORE_ARGS(SA_TEXT(p->first_name), SA_TEXT(p->last_name), SA_TEXT(p->email),
                                      text_or_null(p->birth_date), SA_INT(clock_now()), SA_INT(p->id),
                                      SA_TEXT(p->first_name), SA_TEXT(p->last_name), SA_TEXT(p->email),
                                      SA_TEXT(p->birth_date)));
    if (rc == STORE_OK) {
        *changed = store_tx_changes(tx) > 0;
        if (*changed)
            store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    }
    return rc;
}

int person_bump_epoch(store_tx_t *tx, int64_t id)
{
    int64_t now = clock_now();
    int rc = store_tx_exec(tx, "UPDATE people SET session_epoch = session_epoch + 1, updated_at = ? WHERE id = ?",
                           STORE_ARGS(SA_INT(now), SA_INT(id)));
    if (rc != STORE_OK)
        return rc;
    int64_t epoch = 0;
    if (store_int(STORE_TX(tx), "SELECT session_epoch FROM people WHERE id = ?", STORE_ARGS(SA_INT(id)), &epoch) != 1)
        return STORE_CONSTRAINT;
    rc = store_tx_exec(tx, "INSERT INTO session_events (person_id, epoch, expires_at) VALUES (?, ?, ?)",
                       STORE_ARGS(SA_INT(id), SA_INT(epoch), SA_INT(now + SESSION_LONGEST_SECONDS)));
    if (rc == STORE_OK)
        store_tx_touch(tx, STORE_TOPIC_SESSIONS);
    return rc;
}

int person_set_password(store_tx_t *tx, int64_t id, const char *hash)
{
    int rc = store_tx_exec(tx,
                           "UPDATE people SET password_hash = ?, activation_hash = NULL, activation_expires = NULL, "
                           "updated_at = ? WHERE id = ?",
                           STORE_ARGS(SA_CSTR(hash), SA_INT(clock_now()), SA_INT(id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return STORE_CONSTRAINT;
    /* A new password ends every other session of the person. */
    return person_bump_epoch(tx, id);
}

int person_set_activation(store_tx_t *tx, int64_t id, const char *code_hash, int64_t expires_at)
{
    int rc = store_tx_exec(tx, "UPDATE people SET activation_hash = ?, activation_expires = ?, updated_at = ? WHERE id = ?",
                           STORE_ARGS(SA_CSTR(code_hash), SA_INT(expires_at), SA_INT(clock_now()), SA_INT(id)));
    if (rc == STORE_OK && store_tx_changes(tx) == 0)
        return STORE_CONSTRAINT;
    return rc;
}

int person_set_disabled(store_tx_t *tx, int64_t id, bool disabled)
{
    int rc = store_tx_exec(tx, "UPDATE people SET disabled = ?, updated_at = ? WHERE id = ?",
                           STORE_ARGS(SA_INT(disabled), SA_INT(clock_now()), SA_INT(id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return STORE_CONSTRAINT;
    store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return disabled ? person_bump_epoch(tx, id) : STORE_OK;
}

int person_reset_account(store_tx_t *tx, int64_t id, const char *code_hash, int64_t expires_at)
{
    int rc = store_tx_exec(tx,
                           "UPDATE people SET password_hash = NULL, activation_hash = ?, activation_expires = ?, "
                           "updated_at = ? WHERE id = ?",
                           STORE_ARGS(SA_CSTR(code_hash), SA_INT(expires_at), SA_INT(clock_now()), SA_INT(id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return STORE_CONSTRAINT;
    store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return person_bump_epoch(tx, id);
}

static void fill_hash(arena_t *a, const store_row_t *row, void *item)
{
    *(str_t *)item = store_row_is_null(row, 0) ? STR_NULL : store_row_text_copy(row, 0, a);
}

int person_password_hash(store_src_t src, arena_t *a, int64_t id, str_t *out)
{
    *out = STR_NULL;
    return store_one(src, a, "SELECT password_hash FROM people WHERE id = ?", STORE_ARGS(SA_INT(id)), sizeof *out,
                     fill_hash, out);
}

int64_t person_activate(store_tx_t *tx, str_t login, const char *code_hash, const char *password_hash)
{
    int64_t id = 0;
    int rc = store_int(STORE_TX(tx),
                       "SELECT id FROM people WHERE login = ? AND activation_hash = ? AND activation_expires > ? "
                       "AND disabled = 0",
                       STORE_ARGS(SA_TEXT(login), SA_CSTR(code_hash), SA_INT(clock_now())), &id);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return 0;
    rc = person_set_password(tx, id, password_hash);
    return rc < 0 ? rc : id;
}

int membership_add(store_tx_t *tx, int64_t person_id, int64_t school_id, role_t role)
{
    int rc = store_tx_exec(tx,
                           "INSERT INTO memberships (person_id, school_id, role) VALUES (?, ?, ?) "
                           "ON CONFLICT DO NOTHING",
                           STORE_ARGS(SA_INT(person_id), SA_INT(school_id), SA_CSTR(role_code(role))));
    if (rc == STORE_OK && store_tx_changes(tx) > 0)
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return rc;
}

int membership_remove(store_tx_t *tx, int64_t person_id, int64_t school_id, role_t role)
{
    int rc = store_tx_exec(tx, "DELETE FROM memberships WHERE person_id = ? AND school_id = ? AND role = ?",
                           STORE_ARGS(SA_INT(person_id), SA_INT(school_id), SA_CSTR(role_code(role))));
    if (rc == STORE_OK && store_tx_changes(tx) > 0)
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return rc;
}

static void fill_membership(arena_t *a, const store_row_t *row, void *item)
{
    membership_t *m = item;
    m->school_id = store_row_int(row, 0);
    role_parse(store_row_text(row, 1), &m->role);
    m->school_name = store_row_text_copy(row, 2, a);
}

int memberships_of(store_src_t src, arena_t *a, int64_t person_id, membership_t **out)
{
    return store_list(src, a,
                      "SELECT m.school_id, m.role, s.name FROM memberships m JOIN schools s ON s.id = m.school_id "
                      "WHERE m.person_id = ? ORDER BY s.name, m.role",
                      STORE_ARGS(SA_INT(person_id)), sizeof **out, fill_membership, (void **)out);
}

bool has_role(const membership_t *m, int n, int64_t school_id, role_t role)
{
    for (int i = 0; i < n; i++)
        if (m[i].school_id == school_id && m[i].role == role)
            return true;
    return false;
}

int person_search(store_src_t src, arena_t *a, const person_query_t *q, person_t **out, int64_t *total)
{
    /* A prefix match on login and names, lower-cased (LIKE is case-sensitive on
     * PostgreSQL), with LIKE's wildcards escaped. */
    buf_t pat;
    buf_init(&pat, a, q->text.len + 2);
    for (size_t i = 0; i < q->text.len; i++) {
        char c = q->text.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c == '%' || c == '_' || c == '\\')
            buf_putc(&pat, '\\');
        buf_putc(&pat, c);
    }
    buf_putc(&pat, '%');
    const char *role = q->role >= 0 ? role_code((role_t)q->role) : "";
    int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 50;
    int offset = q->offset > 0 ? q->offset : 0;
#define SEARCH_WHERE                                                                                                   \
    " FROM people p WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = p.id AND m.school_id = ? "           \
    "AND (? = '' OR m.role = ?)) AND (p.login LIKE ? ESCAPE '\\' OR LOWER(p.last_name) LIKE ? ESCAPE '\\' "             \
    "OR LOWER(p.first_name) LIKE ? ESCAPE '\\')"
    if (total) {
        int rc = store_int(src, "SELECT COUNT(*)" SEARCH_WHERE,
                           STORE_ARGS(SA_INT(q->school_id), SA_CSTR(role), SA_CSTR(role), SA_TEXT(buf_str(&pat)),
                                      SA_TEXT(buf_str(&pat)), SA_TEXT(buf_str(&pat))),
                           total);
        if (rc < 0)
            return rc;
    }
    return store_list(src, a,
                      "SELECT p.id, p.login, COALESCE(p.external_id, ''), p.first_name, p.last_name, p.email, "
                      "COALESCE(p.birth_date, ''), p.disabled, p.platform_admin, "
                      "CASE WHEN p.password_hash IS NULL THEN 0 ELSE 1 END, "
                      "CASE WHEN p.activation_hash IS NOT NULL AND p.activation_expires > ? THEN 1 ELSE 0 END, "
                      "p.session_epoch" SEARCH_WHERE
                      " ORDER BY p.last_name, p.first_name, p.id LIMIT ? OFFSET ?",
                      STORE_ARGS(SA_INT(clock_now()), SA_INT(q->school_id), SA_CSTR(role), SA_CSTR(role),
                                 SA_TEXT(buf_str(&pat)), SA_TEXT(buf_str(&pat)), SA_TEXT(buf_str(&pat)), SA_INT(limit),
                                 SA_INT(offset)),
                      sizeof **out, fill_person, (void **)out);
#undef SEARCH_WHERE
}

int64_t people_count(store_src_t src, int64_t school_id, int role)
{
    int64_t n = 0;
    const char *r = role >= 0 ? role_code((role_t)role) : "";
    if (store_int(src, "SELECT COUNT(*) FROM memberships WHERE school_id = ? AND (? = '' OR role = ?)",
                  STORE_ARGS(SA_INT(school_id), SA_CSTR(r), SA_CSTR(r)), &n) < 0)
        return -1;
    return n;
}
