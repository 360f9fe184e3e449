#include "domain/liveclass.h"

#include <sodium.h>
#include <string.h>

#include "core/buf.h"
#include "core/bytes.h"
#include "domain/timetable.h"

#define YEAR_S (366 * 24 * 3600)

const char *liveclass_problem_code(live_problem_t p)
{
    static const char *const codes[] = {
        [LIVE_OK] = "ok",
        [LIVE_TITLE_EMPTY] = "title_empty",
        [LIVE_TITLE_TOO_LONG] = "title_too_long",
        [LIVE_BAD_TEXT] = "bad_text",
        [LIVE_BAD_TIME] = "bad_time",
        [LIVE_BAD_LENGTH] = "bad_length",
        [LIVE_BAD_SLOT] = "bad_slot",
        [LIVE_GUEST_NAME_EMPTY] = "name_empty",
        [LIVE_GUEST_NAME_TOO_LONG] = "name_too_long",
    };
    return (unsigned)p < sizeof codes / sizeof codes[0] && codes[p] ? codes[p] : "invalid";
}

/* One line of clean text, 1..max characters once trimmed. */
static live_problem_t line_check(str_t s, size_t max, live_problem_t empty, live_problem_t too_long)
{
    if (s.len && text_check(s.ptr, s.len) != TEXT_OK)
        return LIVE_BAD_TEXT;
    if (!s.ptr || str_is_blank(s))
        return empty;
    str_t t = str_trim(s);
    if (utf8_length(t.ptr, t.len) > max)
        return too_long;
    for (size_t i = 0; i < t.len; i++)
        if (t.ptr[i] == '\n' || t.ptr[i] == '\r' || t.ptr[i] == '\t')
            return LIVE_BAD_TEXT;
    return LIVE_OK;
}

live_problem_t liveclass_check(const live_draft_t *d)
{
    live_problem_t p = line_check(d->title, LIVE_TITLE_MAX, LIVE_TITLE_EMPTY, LIVE_TITLE_TOO_LONG);
    if (p != LIVE_OK)
        return p;
    if (d->minutes < LIVE_MIN_MINUTES || d->minutes > LIVE_MAX_MINUTES)
        return LIVE_BAD_LENGTH;
    if (d->starts_at <= d->now - 3600 || d->starts_at > d->now + YEAR_S)
        return LIVE_BAD_TIME;
    return LIVE_OK;
}

live_problem_t liveclass_guest_name_check(str_t name)
{
    return line_check(name, LIVE_GUEST_NAME_MAX, LIVE_GUEST_NAME_EMPTY, LIVE_GUEST_NAME_TOO_LONG);
}

int liveclass_schedule(store_tx_t *tx, const live_draft_t *d, const teaching_t *t, int64_t *id, live_problem_t *problem)
{
    *problem = liveclass_check(d);
    if (*problem != LIVE_OK)
        return LIVE_INVALID;
    if (d->slot_id) {
        int64_t owner = 0;
        int rc = store_int(STORE_TX(tx), "SELECT teaching_id FROM timetable_slots WHERE id = ?",
                           STORE_ARGS(SA_INT(d->slot_id)), &owner);
        if (rc < 0)
            return rc;
        if (rc == 0 || owner != t->id) {
            *problem = LIVE_BAD_SLOT;
            return LIVE_INVALID;
        }
    }
    unsigned char raw[16];
    char key[LIVE_GUEST_KEY_LEN + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(key, sizeof key, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    str_t title = str_trim(d->title);
    int rc = store_tx_exec(tx,
                           "INSERT INTO live_classes (school_id, teaching_id, slot_id, title, starts_at, ends_at, "
                           "guest_key, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(t->school_id), SA_INT(t->id), d->slot_id ? SA_INT(d->slot_id) : SA_NULL,
                                      SA_TEXT(title), SA_INT(d->starts_at),
                                      SA_INT(d->starts_at + (int64_t)d->minutes * 60), SA_CSTR(key), SA_INT(d->by),
                                      SA_INT(d->now)));
    if (rc != STORE_OK)
        return rc;
    *id = store_tx_last_id(tx);
    school_day_touch(tx, t);
    return STORE_OK;
}

int liveclass_cancel(store_tx_t *tx, const live_class_t *lc, int64_t now)
{
    int rc = store_tx_exec(tx, "UPDATE live_classes SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                           STORE_ARGS(SA_INT(now), SA_INT(lc->id)));
    if (rc != STORE_OK)
        return rc;
    school_day_touch(tx, &lc->teaching);
    return STORE_OK;
}

#define LIVE_SELECT                                                                                                   \
    "SELECT l.id, l.school_id, l.teaching_id, l.slot_id, l.title, l.starts_at, l.ends_at, l.guest_key, l.created_by, " \
    "l.cancelled_at, t.teacher_id, t.subject_id, t.class_id, t.group_id, s.name, COALESCE(c.name, g.name, ''), "      \
    "p.first_name || ' ' || p.last_name, s.code "                                                                     \
    "FROM live_classes l JOIN teaching t ON t.id = l.teaching_id JOIN subjects s ON s.id = t.subject_id "             \
    "JOIN people p ON p.id = t.teacher_id LEFT JOIN classes c ON c.id = t.class_id "                                  \
    "LEFT JOIN teaching_groups g ON g.id = t.group_id "

static void fill(arena_t *a, const store_row_t *row, void *item)
{
    live_class_t *l = item;
    l->id = store_row_int(row, 0);
    l->school_id = store_row_int(row, 1);
    l->teaching_id = store_row_int(row, 2);
    l->slot_id = store_row_is_null(row, 3) ? 0 : store_row_int(row, 3);
    l->title = store_row_text_copy(row, 4, a);
    l->starts_at = store_row_int(row, 5);
    l->ends_at = store_row_int(row, 6);
    l->guest_key = store_row_text_copy(row, 7, a);
    l->created_by = store_row_int(row, 8);
    l->cancelled_at = store_row_is_null(row, 9) ? 0 : store_row_int(row, 9);
    teaching_t *t = &l->teaching;
    t->id = l->teaching_id;
    t->teacher_id = store_row_int(row, 10);
    t->subject_id = store_row_int(row, 11);
    t->class_id = store_row_is_null(row, 12) ? 0 : store_row_int(row, 12);
    t->group_id = store_row_is_null(row, 13) ? 0 : store_row_int(row, 13);
    t->subject_name = store_row_text_copy(row, 14, a);
    t->target_name = store_row_text_copy(row, 15, a);
    t->teacher_name = store_row_text_copy(row, 16, a);
    t->school_id = l->school_id;
    t->subject_code = store_row_text_copy(row, 17, a);
}

int liveclass_get(store_src_t src, arena_t *a, int64_t id, live_class_t *out)
{
    return store_one(src, a, LIVE_SELECT "WHERE l.id = ?", STORE_ARGS(SA_INT(id)), sizeof *out, fill, out);
}

int liveclass_by_guest_key(store_src_t src, arena_t *a, str_t key, live_class_t *out)
{
    if (key.len != LIVE_GUEST_KEY_LEN)
        return 0;
    return store_one(src, a, LIVE_SELECT "WHERE l.guest_key = ?", STORE_ARGS(SA_TEXT(key)), sizeof *out, fill, out);
}

int liveclass_of_teachings(store_src_t src, arena_t *a, const int64_t *teaching_ids, int n, int64_t from, int64_t to,
                           live_class_t **out)
{
    *out = NULL;
    if (n <= 0)
        return 0;
    buf_t sql;
    buf_init(&sql, a, 1024);
    buf_puts(&sql, LIVE_SELECT "WHERE l.cancelled_at IS NULL AND l.ends_at > ? AND l.starts_at < ? AND l.teaching_id IN (");
    store_arg_t *args = ARENA_ARRAY(a, store_arg_t, (size_t)n + 2);
    args[0] = SA_INT(from);
    args[1] = SA_INT(to);
    for (int i = 0; i < n; i++) {
        buf_puts(&sql, i ? ", ?" : "?");
        args[i + 2] = SA_INT(teaching_ids[i]);
    }
    buf_puts(&sql, ") ORDER BY l.starts_at, l.id");
    return store_list(src, a, sql.data, args, (size_t)n + 2, sizeof **out, fill, (void **)out);
}

bool liveclass_joinable(const live_class_t *lc, int64_t now, int64_t early_s, int64_t late_s)
{
    return !lc->cancelled_at && now >= lc->starts_at - early_s && now < lc->ends_at + late_s;
}

int liveclass_presence_add(store_tx_t *tx, int64_t live_id, int64_t person_id, int64_t joined_at, int64_t left_at,
                           int64_t seconds)
{
    return store_tx_exec(tx,
                         "INSERT INTO live_presence (live_id, person_id, first_joined_at, last_left_at, seconds) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (live_id, person_id) DO UPDATE SET "
                         "first_joined_at = MIN(first_joined_at, excluded.first_joined_at), "
                         "last_left_at = MAX(last_left_at, excluded.last_left_at), "
                         "seconds = seconds + excluded.seconds",
                         STORE_ARGS(SA_INT(live_id), SA_INT(person_id), SA_INT(joined_at), SA_INT(left_at),
                                    SA_INT(seconds < 0 ? 0 : seconds)));
}

static void fill_presence(arena_t *a, const store_row_t *row, void *item)
{
    live_presence_t *p = item;
    p->person_id = store_row_int(row, 0);
    p->name = store_row_text_copy(row, 1, a);
    p->first_joined_at = store_row_int(row, 2);
    p->last_left_at = store_row_int(row, 3);
    p->seconds = store_row_int(row, 4);
}

int liveclass_presence_list(store_src_t src, arena_t *a, int64_t live_id, live_presence_t **out)
{
    return store_list(src, a,
                      "SELECT lp.person_id, p.first_name || ' ' || p.last_name, lp.first_joined_at, lp.last_left_at, "
                      "lp.seconds FROM live_presence lp JOIN people p ON p.id = lp.person_id WHERE lp.live_id = ? "
                      "ORDER BY p.last_name, p.first_name, p.id",
                      STORE_ARGS(SA_INT(live_id)), sizeof **out, fill_presence, (void **)out);
}

int liveclass_guest_add(store_tx_t *tx, int64_t live_id, str_t name, int64_t now, int64_t *id, live_problem_t *problem)
{
    *problem = liveclass_guest_name_check(name);
    if (*problem != LIVE_OK)
        return LIVE_INVALID;
    int rc = store_tx_exec(tx, "INSERT INTO live_guests (live_id, name, created_at) VALUES (?, ?, ?)",
                           STORE_ARGS(SA_INT(live_id), SA_TEXT(str_trim(name)), SA_INT(now)));
    if (rc != STORE_OK)
        return rc;
    *id = store_tx_last_id(tx);
    return STORE_OK;
}

int liveclass_guest_presence(store_tx_t *tx, int64_t guest_id, int64_t joined_at, int64_t seconds)
{
    return store_tx_exec(tx,
                         "UPDATE live_guests SET first_joined_at = COALESCE(first_joined_at, ?), seconds = seconds + ? "
                         "WHERE id = ?",
                         STORE_ARGS(SA_INT(joined_at), SA_INT(seconds < 0 ? 0 : seconds), SA_INT(guest_id)));
}

static void fill_name(arena_t *a, const store_row_t *row, void *item)
{
    *(str_t *)item = store_row_text_copy(row, 0, a);
}

int liveclass_guest_name(store_src_t src, arena_t *a, int64_t live_id, int64_t guest_id, str_t *name)
{
    return store_one(src, a, "SELECT name FROM live_guests WHERE id = ? AND live_id = ?",
                     STORE_ARGS(SA_INT(guest_id), SA_INT(live_id)), sizeof *name, fill_name, name);
}

/* ---- guest tokens: version, key id, live id, guest id, expiry, tag ---- */

#define GT_VERSION 1
#define GT_PAYLOAD (2 + 8 + 8 + 8)
#define GT_TAG 14
#define GT_BYTES (GT_PAYLOAD + GT_TAG)

static void gt_tag(const unsigned char *key, const unsigned char *payload, unsigned char out[GT_TAG])
{
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    /* The domain label keeps a guest token from ever verifying as another kind. */
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"live-guest", 10);
    crypto_auth_hmacsha256_update(&st, payload, GT_PAYLOAD);
    crypto_auth_hmacsha256_final(&st, full);
    memcpy(out, full, GT_TAG);
}

void liveclass_guest_token(const session_keys_t *keys, const live_guest_token_t *t, char out[LIVE_GUEST_TOKEN_LEN + 1])
{
    unsigned char b[GT_BYTES];
    b[0] = GT_VERSION;
    b[1] = keys->ids[0];
    le64_put(b + 2, (uint64_t)t->live_id);
    le64_put(b + 10, (uint64_t)t->guest_id);
    le64_put(b + 18, (uint64_t)t->expires_at);
    gt_tag(keys->keys[0], b, b + GT_PAYLOAD);
    sodium_bin2base64(out, LIVE_GUEST_TOKEN_LEN + 1, b, GT_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool liveclass_guest_token_check(const session_keys_t *keys, str_t token, int64_t now, live_guest_token_t *out)
{
    unsigned char b[GT_BYTES + 4];
    size_t len = 0;
    if (token.len != LIVE_GUEST_TOKEN_LEN ||
        sodium_base642bin(b, sizeof b, token.ptr, token.len, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != GT_BYTES || b[0] != GT_VERSION)
        return false;
    const unsigned char *key = session_key_for(keys, b[1]);
    if (!key)
        return false;
    unsigned char expected[GT_TAG];
    gt_tag(key, b, expected);
    if (sodium_memcmp(expected, b + GT_PAYLOAD, GT_TAG) != 0)
        return false;
    out->live_id = (int64_t)le64_get(b + 2);
    out->guest_id = (int64_t)le64_get(b + 10);
    out->expires_at = (int64_t)le64_get(b + 18);
    return out->live_id > 0 && out->guest_id > 0 && now < out->expires_at;
}
