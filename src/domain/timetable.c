#include "domain/timetable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEACHINGS_MAX 64
#define ROOM_MAX 40
#define NOTE_MAX 200

uint64_t school_day_key(int64_t class_id, int64_t group_id)
{
    return class_id ? (uint64_t)class_id << 1 : ((uint64_t)group_id << 1) | 1u;
}

void school_day_touch(store_tx_t *tx, const teaching_t *t)
{
    store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, school_day_key(t->class_id, t->group_id));
}

const char *lesson_status_code(lesson_status_t s)
{
    switch (s) {
    case LESSON_NORMAL:
        return "normal";
    case LESSON_CANCELLED:
        return "cancelled";
    case LESSON_TEACHER_ABSENT:
        return "teacher_absent";
    case LESSON_ROOM_CHANGED:
        return "room_change";
    case LESSON_MOVED:
        return "moved";
    case LESSON_EXTRA:
        return "extra";
    }
    return "normal";
}

static lesson_status_t status_of_code(str_t s)
{
    static const lesson_status_t all[] = {LESSON_CANCELLED, LESSON_TEACHER_ABSENT, LESSON_ROOM_CHANGED, LESSON_MOVED,
                                          LESSON_EXTRA};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (str_eq_cstr(s, lesson_status_code(all[i])))
            return all[i];
    return LESSON_NORMAL;
}

void timetable_format_time(int minutes, char out[6])
{
    if (minutes < 0 || minutes > 1440)
        minutes = 0;
    snprintf(out, 6, "%02d:%02d", (minutes / 60) % 100, minutes % 60);
}

int timetable_parse_time(str_t s)
{
    /* H:MM or HH:MM, 00:00 to 24:00 */
    if (s.len < 4 || s.len > 5)
        return -1;
    size_t colon = s.len - 3;
    if (s.ptr[colon] != ':')
        return -1;
    int h = 0, m = 0;
    for (size_t i = 0; i < colon; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return -1;
        h = h * 10 + (s.ptr[i] - '0');
    }
    for (size_t i = colon + 1; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return -1;
        m = m * 10 + (s.ptr[i] - '0');
    }
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

int timetable_parse_weekday(str_t s)
{
    static const char *const names[2][7] = {
        {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"},
        {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
    };
    if (s.len == 1 && s.ptr[0] >= '1' && s.ptr[0] <= '7')
        return s.ptr[0] - '0';
    for (int lang = 0; lang < 2; lang++)
        for (int d = 0; d < 7; d++)
            if (str_ieq(s, str_from(names[lang][d])))
                return d + 1;
    return -1;
}

/* ---- weeks and holidays ---- */

typedef struct year_ref {
    str_t starts_on;
    str_t week_a_monday;
} year_ref_t;

static void fill_year_ref(arena_t *a, const store_row_t *row, void *item)
{
    year_ref_t *y = item;
    y->starts_on = store_row_text_copy(row, 0, a);
    y->week_a_monday = store_row_is_null(row, 1) ? STR_NULL : store_row_text_copy(row, 1, a);
}

/* The Monday that starts a week A for the year `on` falls in, or none (every
 * week then counts as A). */
static int week_a_reference(store_src_t src, arena_t *a, int64_t school_id, date_t on, date_t *monday, bool *found)
{
    char d[11];
    date_format_iso(on, d);
    year_ref_t y;
    int rc = store_one(src, a,
                       "SELECT starts_on, week_a_monday FROM school_years WHERE school_id = ? AND starts_on <= ? "
                       "AND ends_on >= ? ORDER BY starts_on DESC LIMIT 1",
                       STORE_ARGS(SA_INT(school_id), SA_CSTR(d), SA_CSTR(d)), sizeof y, fill_year_ref, &y);
    *found = false;
    if (rc <= 0)
        return rc;
    date_t ref;
    if (!(y.week_a_monday.ptr && date_parse_iso(y.week_a_monday, &ref)) && !date_parse_iso(y.starts_on, &ref))
        return 0;
    *monday = date_monday(ref);
    *found = true;
    return 1;
}

static bool parity_is_a(date_t monday_a, date_t on)
{
    int64_t weeks = (date_day_number(date_monday(on)) - date_day_number(monday_a)) / 7;
    return weeks % 2 == 0;
}

int timetable_week_is_a(store_src_t src, int64_t school_id, date_t on, bool *is_a)
{
    arena_t a;
    arena_init(&a, NULL);
    date_t monday;
    bool found;
    int rc = week_a_reference(src, &a, school_id, on, &monday, &found);
    arena_free(&a);
    if (rc < 0)
        return rc;
    *is_a = found ? parity_is_a(monday, on) : true;
    return 0;
}

static void fill_holiday(arena_t *a, const store_row_t *row, void *item)
{
    timetable_holiday_t *h = item;
    h->id = store_row_int(row, 0);
    h->label = store_row_text_copy(row, 1, a);
    date_parse_iso(store_row_text(row, 2), &h->from);
    date_parse_iso(store_row_text(row, 3), &h->to);
}

int timetable_holidays_between(store_src_t src, arena_t *a, int64_t school_id, date_t from, date_t to,
                               timetable_holiday_t **out)
{
    char f[11], t[11];
    date_format_iso(from, f);
    date_format_iso(to, t);
    return store_list(src, a,
                      "SELECT id, label, starts_on, ends_on FROM holidays WHERE school_id = ? AND starts_on <= ? "
                      "AND ends_on >= ? ORDER BY starts_on, id",
                      STORE_ARGS(SA_INT(school_id), SA_CSTR(t), SA_CSTR(f)), sizeof **out, fill_holiday, (void **)out);
}

int timetable_holiday(store_src_t src, arena_t *a, int64_t school_id, date_t on, str_t *label)
{
    timetable_holiday_t *h;
    int n = timetable_holidays_between(src, a, school_id, on, on, &h);
    if (n <= 0)
        return n;
    *label = h[0].label;
    return 1;
}

/* ---- slots and changes ---- */

static void fill_slot(arena_t *a, const store_row_t *row, void *item)
{
    timetable_slot_t *s = item;
    s->id = store_row_int(row, 0);
    s->teaching_id = store_row_int(row, 1);
    s->weekday = (int)store_row_int(row, 2);
    s->starts_min = (int)store_row_int(row, 3);
    s->ends_min = (int)store_row_int(row, 4);
    str_t w = store_row_text(row, 5);
    s->weeks = w.len ? w.ptr[0] : 0;
    s->room = store_row_text_copy(row, 6, a);
    date_parse_iso(store_row_text(row, 7), &s->valid_from);
    date_parse_iso(store_row_text(row, 8), &s->valid_to);
}

#define SLOT_COLUMNS "id, teaching_id, weekday, starts_min, ends_min, weeks, room, valid_from, valid_to"

int timetable_slot_get(store_src_t src, arena_t *a, int64_t slot_id, timetable_slot_t *out)
{
    return store_one(src, a, "SELECT " SLOT_COLUMNS " FROM timetable_slots WHERE id = ?", STORE_ARGS(SA_INT(slot_id)),
                     sizeof *out, fill_slot, out);
}

int timetable_slots_of_school(store_src_t src, arena_t *a, int64_t school_id, timetable_slot_t **out)
{
    return store_list(src, a,
                      "SELECT " SLOT_COLUMNS " FROM timetable_slots WHERE school_id = ? "
                      "ORDER BY valid_to DESC, id DESC",
                      STORE_ARGS(SA_INT(school_id)), sizeof **out, fill_slot, (void **)out);
}

typedef struct change_row {
    int64_t id, slot_id, teaching_id;
    date_t on;
    lesson_status_t kind;
    int starts_min, ends_min; /* -1 when not set */
    str_t room;               /* STR_NULL when not set */
    str_t note;
} change_row_t;

static void fill_change(arena_t *a, const store_row_t *row, void *item)
{
    change_row_t *c = item;
    c->id = store_row_int(row, 0);
    c->slot_id = store_row_is_null(row, 1) ? 0 : store_row_int(row, 1);
    c->teaching_id = store_row_int(row, 2);
    date_parse_iso(store_row_text(row, 3), &c->on);
    c->kind = status_of_code(store_row_text(row, 4));
    c->starts_min = store_row_is_null(row, 5) ? -1 : (int)store_row_int(row, 5);
    c->ends_min = store_row_is_null(row, 6) ? -1 : (int)store_row_int(row, 6);
    c->room = store_row_is_null(row, 7) ? STR_NULL : store_row_text_copy(row, 7, a);
    c->note = store_row_text_copy(row, 8, a);
}

/* "teaching_id IN (?, ?...)" with its arguments appended to args. */
static int teaching_filter(char *sql, size_t cap, const teaching_t *t, int n, store_arg_t *args, size_t *nargs)
{
    int len = snprintf(sql, cap, "teaching_id IN (0");
    for (int i = 0; i < n && i < TEACHINGS_MAX; i++) {
        args[(*nargs)++] = SA_INT(t[i].id);
        len += snprintf(sql + len, cap - (size_t)len, ", ?");
    }
    len += snprintf(sql + len, cap - (size_t)len, ")");
    return len;
}

static const teaching_t *find_teaching(const teaching_t *t, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (t[i].id == id)
            return &t[i];
    return NULL;
}

static bool slot_occurs(const timetable_slot_t *s, date_t day, bool week_a)
{
    if (date_weekday(day) != s->weekday)
        return false;
    if (date_compare(day, s->valid_from) < 0 || date_compare(day, s->valid_to) > 0)
        return false;
    if (s->weeks == 'A' && !week_a)
        return false;
    if (s->weeks == 'B' && week_a)
        return false;
    return true;
}

static int entry_order(const void *pa, const void *pb)
{
    const timetable_entry_t *a = pa, *b = pb;
    int c = date_compare(a->on, b->on);
    if (c)
        return c;
    if (a->starts_min != b->starts_min)
        return a->starts_min < b->starts_min ? -1 : 1;
    return a->teaching_id < b->teaching_id ? -1 : a->teaching_id > b->teaching_id;
}

static void entry_from_teaching(timetable_entry_t *e, const teaching_t *t)
{
    e->teaching_id = t->id;
    e->class_id = t->class_id;
    e->group_id = t->group_id;
    e->subject_name = t->subject_name;
    e->target_name = t->target_name;
    e->teacher_name = t->teacher_name;
}

int timetable_range(store_src_t src, arena_t *a, int64_t school_id, const teaching_t *teachings, int nteachings,
                    date_t from, int days, timetable_entry_t **out)
{
    *out = NULL;
    if (days < 1 || days > 62 || nteachings <= 0)
        return 0;
    date_t to = date_add_days(from, days - 1);
    char f[11], t[11];
    date_format_iso(from, f);
    date_format_iso(to, t);

    char sql[1600];
    store_arg_t args[TEACHINGS_MAX + 2];
    size_t nargs = 0;
    int len = snprintf(sql, sizeof sql, "SELECT " SLOT_COLUMNS " FROM timetable_slots WHERE ");
    len += teaching_filter(sql + len, sizeof sql - (size_t)len, teachings, nteachings, args, &nargs);
    snprintf(sql + len, sizeof sql - (size_t)len, " AND valid_from <= ? AND valid_to >= ?");
    args[nargs++] = SA_CSTR(t);
    args[nargs++] = SA_CSTR(f);
    timetable_slot_t *slots;
    int nslots = store_list(src, a, sql, args, nargs, sizeof *slots, fill_slot, (void **)&slots);
    if (nslots < 0)
        return nslots;

    nargs = 0;
    len = snprintf(sql, sizeof sql, "SELECT id, slot_id, teaching_id, on_date, kind, starts_min, ends_min, room, note "
                                    "FROM timetable_changes WHERE ");
    len += teaching_filter(sql + len, sizeof sql - (size_t)len, teachings, nteachings, args, &nargs);
    snprintf(sql + len, sizeof sql - (size_t)len, " AND on_date >= ? AND on_date <= ?");
    args[nargs++] = SA_CSTR(f);
    args[nargs++] = SA_CSTR(t);
    change_row_t *changes;
    int nchanges = store_list(src, a, sql, args, nargs, sizeof *changes, fill_change, (void **)&changes);
    if (nchanges < 0)
        return nchanges;

    timetable_holiday_t *hol;
    int nhol = timetable_holidays_between(src, a, school_id, from, to, &hol);
    if (nhol < 0)
        return nhol;
    date_t monday_a;
    bool has_ref;
    int rc = week_a_reference(src, a, school_id, from, &monday_a, &has_ref);
    if (rc < 0)
        return rc;

    size_t cap = (size_t)nslots * (size_t)((days + 6) / 7) + (size_t)nchanges + 1;
    timetable_entry_t *e = arena_alloc(a, sizeof *e * cap);
    size_t n = 0;
    for (int d = 0; d < days; d++) {
        date_t day = date_add_days(from, d);
        bool off = false;
        for (int h = 0; h < nhol; h++)
            if (date_compare(day, hol[h].from) >= 0 && date_compare(day, hol[h].to) <= 0)
                off = true;
        if (off)
            continue;
        bool week_a = has_ref ? parity_is_a(monday_a, day) : true;
        for (int i = 0; i < nslots && n < cap; i++) {
            const timetable_slot_t *s = &slots[i];
            const teaching_t *te = find_teaching(teachings, nteachings, s->teaching_id);
            if (!te || !slot_occurs(s, day, week_a))
                continue;
            timetable_entry_t *x = &e[n++];
            memset(x, 0, sizeof *x);
            entry_from_teaching(x, te);
            x->slot_id = s->id;
            x->on = day;
            x->starts_min = s->starts_min;
            x->ends_min = s->ends_min;
            x->room = s->room;
            x->note = STR("");
            for (int c = 0; c < nchanges; c++) {
                const change_row_t *ch = &changes[c];
                if (ch->slot_id != s->id || date_compare(ch->on, day) != 0)
                    continue;
                x->change_id = ch->id;
                x->status = ch->kind;
                x->note = ch->note;
                if (ch->room.ptr && ch->room.len)
                    x->room = ch->room;
                if (ch->kind == LESSON_MOVED && ch->starts_min >= 0) {
                    x->starts_min = ch->starts_min;
                    x->ends_min = ch->ends_min;
                }
            }
        }
        for (int c = 0; c < nchanges && n < cap; c++) {
            const change_row_t *ch = &changes[c];
            const teaching_t *te = find_teaching(teachings, nteachings, ch->teaching_id);
            if (ch->kind != LESSON_EXTRA || !te || date_compare(ch->on, day) != 0)
                continue;
            timetable_entry_t *x = &e[n++];
            memset(x, 0, sizeof *x);
            entry_from_teaching(x, te);
            x->change_id = ch->id;
            x->on = day;
            x->starts_min = ch->starts_min;
            x->ends_min = ch->ends_min;
            x->room = ch->room.ptr ? ch->room : STR("");
            x->note = ch->note;
            x->status = LESSON_EXTRA;
        }
    }
    qsort(e, n, sizeof *e, entry_order);
    *out = e;
    return (int)n;
}

/* ---- writes ---- */

static int invalid(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return TIMETABLE_INVALID;
}

static bool valid_times(int starts, int ends)
{
    return starts >= 0 && ends <= 1440 && ends > starts;
}

const char *timetable_slot_problem(const timetable_slot_t *s)
{
    if (s->weekday < 1 || s->weekday > 7)
        return "the day of the week must be 1 (Monday) to 7 (Sunday)";
    if (!valid_times(s->starts_min, s->ends_min))
        return "the lesson must end after it starts, within the day";
    if (s->weeks && s->weeks != 'A' && s->weeks != 'B')
        return "weeks must be every week, A or B";
    if (!date_valid(s->valid_from) || !date_valid(s->valid_to) || date_compare(s->valid_to, s->valid_from) < 0)
        return "the slot's validity must be two dates, the second not before the first";
    if (s->room.len > ROOM_MAX)
        return "the room name is too long (40 characters at most)";
    return NULL;
}

/* Inserts a slot of t (its id in *new_id), or rewrites slot s->id when update. */
static int slot_write(store_tx_t *tx, const teaching_t *t, const timetable_slot_t *s, bool update, int64_t *new_id,
                      char *err, size_t errlen)
{
    const char *problem = timetable_slot_problem(s);
    if (problem)
        return invalid(err, errlen, problem);
    char from[11], to[11], weeks[2] = {s->weeks, 0};
    date_format_iso(s->valid_from, from);
    date_format_iso(s->valid_to, to);
    store_arg_t args[] = {SA_INT(s->weekday), SA_INT(s->starts_min), SA_INT(s->ends_min), SA_CSTR(weeks),
                          SA_TEXT(s->room),   SA_CSTR(from),         SA_CSTR(to),
                          SA_INT(update ? s->id : t->school_id),     SA_INT(t->id)};
    int rc = store_tx_exec(tx,
                           update ? "UPDATE timetable_slots SET weekday = ?, starts_min = ?, ends_min = ?, weeks = ?, "
                                    "room = ?, valid_from = ?, valid_to = ? WHERE id = ? AND teaching_id = ?"
                                  : "INSERT INTO timetable_slots (weekday, starts_min, ends_min, weeks, room, "
                                    "valid_from, valid_to, school_id, teaching_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           args, sizeof args / sizeof args[0]);
    if (rc != STORE_OK)
        return rc;
    if (update && store_tx_changes(tx) == 0)
        return invalid(err, errlen, "no such lesson in this timetable");
    if (!update && new_id)
        *new_id = store_tx_last_id(tx);
    school_day_touch(tx, t);
    return STORE_OK;
}

int timetable_slot_add(store_tx_t *tx, const teaching_t *t, const timetable_slot_t *s, int64_t *id, char *err,
                       size_t errlen)
{
    return slot_write(tx, t, s, false, id, err, errlen);
}

int timetable_slot_update(store_tx_t *tx, const teaching_t *t, const timetable_slot_t *s, char *err, size_t errlen)
{
    return slot_write(tx, t, s, true, NULL, err, errlen);
}

int timetable_slot_remove(store_tx_t *tx, const teaching_t *t, int64_t slot_id, date_t from)
{
    char f[11], before[11];
    date_format_iso(from, f);
    date_format_iso(date_add_days(from, -1), before);
    int64_t mine = 0;
    int rc = store_int(STORE_TX(tx), "SELECT COUNT(*) FROM timetable_slots WHERE id = ? AND teaching_id = ?",
                       STORE_ARGS(SA_INT(slot_id), SA_INT(t->id)), &mine);
    if (rc < 0 || !mine)
        return rc < 0 ? rc : 0;
    /* From `from` on the lesson no longer takes place: its changes from then on go,
     * its roll calls from then on stay with their teaching only. */
    rc = store_tx_exec(tx, "DELETE FROM timetable_changes WHERE slot_id = ? AND on_date >= ?",
                       STORE_ARGS(SA_INT(slot_id), SA_CSTR(f)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "UPDATE roll_calls SET slot_id = NULL WHERE slot_id = ? AND on_date >= ?",
                           STORE_ARGS(SA_INT(slot_id), SA_CSTR(f)));
    int64_t refs = 0;
    if (rc == STORE_OK)
        rc = store_int(STORE_TX(tx),
                       "SELECT (SELECT COUNT(*) FROM timetable_changes WHERE slot_id = ?) + "
                       "(SELECT COUNT(*) FROM roll_calls WHERE slot_id = ?)",
                       STORE_ARGS(SA_INT(slot_id), SA_INT(slot_id)), &refs);
    if (rc < 0)
        return rc;
    /* What is left refers to days before `from`, when the slot was valid. */
    if (refs)
        rc = store_tx_exec(tx, "UPDATE timetable_slots SET valid_to = ? WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_CSTR(before), SA_INT(slot_id), SA_INT(t->id)));
    else
        rc = store_tx_exec(tx, "DELETE FROM timetable_slots WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_INT(slot_id), SA_INT(t->id)));
    if (rc != STORE_OK)
        return rc;
    school_day_touch(tx, t);
    return refs ? 2 : 1;
}

int timetable_change_add(store_tx_t *tx, const teaching_t *t, const timetable_change_t *c, int64_t by, int64_t *id,
                         char *err, size_t errlen)
{
    if (!date_valid(c->on))
        return invalid(err, errlen, "the date is not a valid date");
    if (c->note.len > NOTE_MAX)
        return invalid(err, errlen, "the note is too long (200 characters at most)");
    if (c->room.len > ROOM_MAX)
        return invalid(err, errlen, "the room name is too long (40 characters at most)");
    bool times = c->kind == LESSON_MOVED || c->kind == LESSON_EXTRA;
    if (times && !valid_times(c->starts_min, c->ends_min))
        return invalid(err, errlen, "the lesson must end after it starts, within the day");
    if (c->kind == LESSON_ROOM_CHANGED && c->room.len == 0)
        return invalid(err, errlen, "a room change needs the new room");
    switch (c->kind) {
    case LESSON_CANCELLED:
    case LESSON_TEACHER_ABSENT:
    case LESSON_ROOM_CHANGED:
    case LESSON_MOVED:
    case LESSON_EXTRA:
        break;
    default:
        return invalid(err, errlen, "unknown kind of change");
    }
    if (c->kind == LESSON_EXTRA) {
        if (c->slot_id)
            return invalid(err, errlen, "an extra session is not a change to a slot");
    } else {
        arena_t a;
        arena_init(&a, NULL);
        timetable_slot_t s;
        int rc = timetable_slot_get(STORE_TX(tx), &a, c->slot_id, &s);
        bool week_a = true;
        if (rc == 1)
            rc = timetable_week_is_a(STORE_TX(tx), t->school_id, c->on, &week_a) < 0 ? STORE_ERROR : 1;
        arena_free(&a);
        if (rc < 0)
            return rc;
        if (rc == 0 || s.teaching_id != t->id)
            return invalid(err, errlen, "no such lesson in this timetable");
        if (!slot_occurs(&s, c->on, week_a))
            return invalid(err, errlen, "this lesson does not take place on that date");
    }
    char d[11];
    date_format_iso(c->on, d);
    int rc = store_tx_exec(
        tx,
        "INSERT INTO timetable_changes (school_id, slot_id, teaching_id, on_date, kind, starts_min, ends_min, room, "
        "note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(SA_INT(t->school_id), c->slot_id ? SA_INT(c->slot_id) : SA_NULL, SA_INT(t->id), SA_CSTR(d),
                   SA_CSTR(lesson_status_code(c->kind)), times ? SA_INT(c->starts_min) : SA_NULL,
                   times ? SA_INT(c->ends_min) : SA_NULL, c->room.len ? SA_TEXT(c->room) : SA_NULL, SA_TEXT(c->note),
                   SA_INT(by), SA_INT(clock_now())));
    if (rc == STORE_CONSTRAINT)
        return invalid(err, errlen, "this lesson already has a change on that date: remove it first");
    if (rc != STORE_OK)
        return rc;
    if (id)
        *id = store_tx_last_id(tx);
    school_day_touch(tx, t);
    return STORE_OK;
}

int timetable_change_remove(store_tx_t *tx, const teaching_t *t, int64_t change_id)
{
    int rc = store_tx_exec(tx, "DELETE FROM timetable_changes WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_INT(change_id), SA_INT(t->id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return 0;
    school_day_touch(tx, t);
    return 1;
}

const char *timetable_holiday_problem(str_t label, date_t from, date_t to)
{
    if (label.len == 0 || label.len > 80)
        return "a holiday needs a name of at most 80 characters";
    if (!date_valid(from) || !date_valid(to) || date_compare(to, from) < 0)
        return "a holiday needs two dates, the second not before the first";
    return NULL;
}

/* Inserts a holiday (id 0: its id in *new_id) or rewrites holiday `id`. */
static int holiday_write(store_tx_t *tx, int64_t school_id, int64_t id, str_t label, date_t from, date_t to,
                         int64_t *new_id, char *err, size_t errlen)
{
    const char *problem = timetable_holiday_problem(label, from, to);
    if (problem)
        return invalid(err, errlen, problem);
    char f[11], t[11];
    date_format_iso(from, f);
    date_format_iso(to, t);
    int rc = id ? store_tx_exec(tx,
                                "UPDATE holidays SET label = ?, starts_on = ?, ends_on = ? WHERE id = ? AND "
                                "school_id = ?",
                                STORE_ARGS(SA_TEXT(label), SA_CSTR(f), SA_CSTR(t), SA_INT(id), SA_INT(school_id)))
                : store_tx_exec(tx, "INSERT INTO holidays (school_id, label, starts_on, ends_on) VALUES (?, ?, ?, ?)",
                                STORE_ARGS(SA_INT(school_id), SA_TEXT(label), SA_CSTR(f), SA_CSTR(t)));
    if (rc != STORE_OK)
        return rc;
    if (id && store_tx_changes(tx) == 0)
        return invalid(err, errlen, "no such holiday in this school");
    if (!id && new_id)
        *new_id = store_tx_last_id(tx);
    /* Holidays cover every class of the school. */
    store_tx_touch(tx, STORE_TOPIC_SCHOOL_DAY);
    return STORE_OK;
}

int timetable_holiday_add(store_tx_t *tx, int64_t school_id, str_t label, date_t from, date_t to, int64_t *id,
                          char *err, size_t errlen)
{
    return holiday_write(tx, school_id, 0, label, from, to, id, err, errlen);
}

int timetable_holiday_update(store_tx_t *tx, int64_t school_id, int64_t id, str_t label, date_t from, date_t to,
                             char *err, size_t errlen)
{
    return id > 0 ? holiday_write(tx, school_id, id, label, from, to, NULL, err, errlen)
                  : invalid(err, errlen, "no such holiday in this school");
}

int timetable_holiday_remove(store_tx_t *tx, int64_t school_id, int64_t id)
{
    int rc = store_tx_exec(tx, "DELETE FROM holidays WHERE id = ? AND school_id = ?",
                           STORE_ARGS(SA_INT(id), SA_INT(school_id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return 0;
    store_tx_touch(tx, STORE_TOPIC_SCHOOL_DAY);
    return 1;
}
