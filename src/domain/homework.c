#include "domain/homework.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "domain/dayview.h"
#include "domain/timetable.h"

#define TEACHINGS_MAX 64

static int invalid(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return HOMEWORK_INVALID;
}

static bool text_ok(str_t s, size_t max_chars, bool required)
{
    if (required && str_trim(s).len == 0)
        return false;
    return utf8_length(s.ptr ? s.ptr : "", s.len) <= max_chars;
}

bool homework_links_valid(str_t links)
{
    str_t rest = links;
    while (rest.ptr && rest.len) {
        str_t line = str_trim(str_cut(rest, '\n', &rest));
        if (line.len && line.ptr[line.len - 1] == '\r')
            line.len--;
        if (!line.len)
            continue;
        if (!(str_starts_with(line, STR("https://")) || str_starts_with(line, STR("http://"))) || line.len > 500)
            return false;
        for (size_t i = 0; i < line.len; i++)
            if ((unsigned char)line.ptr[i] <= ' ')
                return false;
    }
    return true;
}

static int64_t publish_instant(bool publish, int64_t at)
{
    if (!publish)
        return 0;
    return at > 0 ? at : clock_now();
}

int lesson_save(store_tx_t *tx, const teaching_t *t, int64_t id, const lesson_input_t *in, int64_t author,
                int64_t *out_id, char *err, size_t errlen)
{
    if (!date_valid(in->on))
        return invalid(err, errlen, "the lesson's date is not a valid date");
    if (!text_ok(in->title, HOMEWORK_TITLE_MAX, true))
        return invalid(err, errlen, "the title is required (200 characters at most)");
    if (!text_ok(in->content, HOMEWORK_TEXT_MAX, false))
        return invalid(err, errlen, "the text is too long (20000 characters at most)");
    if (in->links.len > HOMEWORK_LINKS_MAX || !homework_links_valid(in->links))
        return invalid(err, errlen, "links must be web addresses (http:// or https://), one per line");
    char d[11];
    date_format_iso(in->on, d);
    int64_t pub = publish_instant(in->publish, in->publish_at);
    int64_t now = clock_now();
    int rc;
    if (id == 0) {
        rc = store_tx_exec(tx,
                           "INSERT INTO lessons (school_id, teaching_id, on_date, title, content, links, publish_at, "
                           "author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(t->school_id), SA_INT(t->id), SA_CSTR(d), SA_TEXT(in->title),
                                      SA_TEXT(in->content), SA_TEXT(in->links), pub ? SA_INT(pub) : SA_NULL,
                                      SA_INT(author), SA_INT(now), SA_INT(now)));
        if (rc != STORE_OK)
            return rc;
        id = store_tx_last_id(tx);
    } else {
        rc = store_tx_exec(tx,
                           "UPDATE lessons SET on_date = ?, title = ?, content = ?, links = ?, publish_at = ?, "
                           "updated_at = ? WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_CSTR(d), SA_TEXT(in->title), SA_TEXT(in->content), SA_TEXT(in->links),
                                      pub ? SA_INT(pub) : SA_NULL, SA_INT(now), SA_INT(id), SA_INT(t->id)));
        if (rc != STORE_OK)
            return rc;
        if (store_tx_changes(tx) == 0)
            return invalid(err, errlen, "no such lesson in this teaching");
    }
    if (out_id)
        *out_id = id;
    school_day_touch(tx, t);
    return STORE_OK;
}

int lesson_delete(store_tx_t *tx, const teaching_t *t, int64_t id)
{
    int rc = store_tx_exec(tx, "UPDATE homework SET lesson_id = NULL WHERE lesson_id = ?", STORE_ARGS(SA_INT(id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "DELETE FROM lesson_files WHERE lesson_id = ?", STORE_ARGS(SA_INT(id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "DELETE FROM lessons WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_INT(id), SA_INT(t->id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return 0;
    school_day_touch(tx, t);
    return 1;
}

int homework_save(store_tx_t *tx, const teaching_t *t, int64_t id, const homework_input_t *in, int64_t author,
                  int64_t *out_id, char *err, size_t errlen)
{
    if (!date_valid(in->given_on) || !date_valid(in->due_on))
        return invalid(err, errlen, "the dates are not valid dates");
    if (date_compare(in->due_on, in->given_on) < 0)
        return invalid(err, errlen, "the homework cannot be due before it is given");
    if (date_day_number(in->due_on) - date_day_number(in->given_on) > 366)
        return invalid(err, errlen, "the homework is due more than a year after it is given");
    if (!text_ok(in->title, HOMEWORK_TITLE_MAX, true))
        return invalid(err, errlen, "the title is required (200 characters at most)");
    if (!text_ok(in->instructions, HOMEWORK_TEXT_MAX, false))
        return invalid(err, errlen, "the instructions are too long (20000 characters at most)");
    if (in->minutes < 0 || in->minutes > 600)
        return invalid(err, errlen, "the estimated time must be between 0 and 600 minutes");
    int due_min = in->due_min < 0 ? HOMEWORK_DEFAULT_DUE_MIN : in->due_min;
    if (due_min > 1439)
        return invalid(err, errlen, "the deadline's time is not a time of day");
    if (in->lesson_id) {
        int64_t owner = 0;
        int rc = store_int(STORE_TX(tx), "SELECT teaching_id FROM lessons WHERE id = ?",
                           STORE_ARGS(SA_INT(in->lesson_id)), &owner);
        if (rc < 0)
            return rc;
        if (rc == 0 || owner != t->id)
            return invalid(err, errlen, "no such lesson in this teaching");
    }
    char g[11], d[11];
    date_format_iso(in->given_on, g);
    date_format_iso(in->due_on, d);
    int64_t due_at = date_local_instant(in->due_on, due_min);
    int64_t pub = publish_instant(in->publish, in->publish_at);
    int64_t now = clock_now();
    int rc;
    if (id == 0) {
        rc = store_tx_exec(tx,
                           "INSERT INTO homework (school_id, teaching_id, lesson_id, given_on, due_on, due_at, title, "
                           "instructions, minutes, hand_in, publish_at, author_id, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(t->school_id), SA_INT(t->id),
                                      in->lesson_id ? SA_INT(in->lesson_id) : SA_NULL, SA_CSTR(g), SA_CSTR(d),
                                      SA_INT(due_at), SA_TEXT(in->title), SA_TEXT(in->instructions),
                                      SA_INT(in->minutes), SA_INT(in->hand_in), pub ? SA_INT(pub) : SA_NULL,
                                      SA_INT(author), SA_INT(now), SA_INT(now)));
        if (rc != STORE_OK)
            return rc;
        id = store_tx_last_id(tx);
    } else {
        rc = store_tx_exec(tx,
                           "UPDATE homework SET given_on = ?, due_on = ?, due_at = ?, title = ?, instructions = ?, "
                           "minutes = ?, hand_in = ?, publish_at = ?, updated_at = ? WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_CSTR(g), SA_CSTR(d), SA_INT(due_at), SA_TEXT(in->title),
                                      SA_TEXT(in->instructions), SA_INT(in->minutes), SA_INT(in->hand_in),
                                      pub ? SA_INT(pub) : SA_NULL, SA_INT(now), SA_INT(id), SA_INT(t->id)));
        if (rc != STORE_OK)
            return rc;
        if (store_tx_changes(tx) == 0)
            return invalid(err, errlen, "no such homework in this teaching");
    }
    if (out_id)
        *out_id = id;
    school_day_touch(tx, t);
    return STORE_OK;
}

int homework_delete(store_tx_t *tx, const teaching_t *t, int64_t id)
{
    int64_t handed = 0;
    int rc = store_int(STORE_TX(tx), "SELECT COUNT(*) FROM submissions WHERE homework_id = ?", STORE_ARGS(SA_INT(id)),
                       &handed);
    if (rc < 0)
        return rc;
    if (handed > 0)
        return HOMEWORK_CLOSED; /* pupils' work is never deleted with it */
    rc = store_tx_exec(tx, "DELETE FROM homework_done WHERE homework_id = ?", STORE_ARGS(SA_INT(id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "DELETE FROM homework WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_INT(id), SA_INT(t->id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return 0;
    school_day_touch(tx, t);
    return 1;
}

int lesson_copy(store_tx_t *tx, const teaching_t *from, int64_t lesson_id, const teaching_t *to, int64_t author,
                int64_t *out_id)
{
    int64_t now = clock_now();
    int rc = store_tx_exec(tx,
                           "INSERT INTO lessons (school_id, teaching_id, on_date, title, content, links, publish_at, "
                           "author_id, created_at, updated_at) SELECT ?, ?, on_date, title, content, links, NULL, ?, ?, ? "
                           "FROM lessons WHERE id = ? AND teaching_id = ?",
                           STORE_ARGS(SA_INT(to->school_id), SA_INT(to->id), SA_INT(author), SA_INT(now), SA_INT(now),
                                      SA_INT(lesson_id), SA_INT(from->id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return 0;
    int64_t id = store_tx_last_id(tx);
    rc = store_tx_exec(tx,
                       "INSERT INTO homework (school_id, teaching_id, lesson_id, given_on, due_on, due_at, title, "
                       "instructions, minutes, hand_in, publish_at, author_id, created_at, updated_at) "
                       "SELECT ?, ?, ?, given_on, due_on, due_at, title, instructions, minutes, hand_in, NULL, ?, ?, ? "
                       "FROM homework WHERE lesson_id = ?",
                       STORE_ARGS(SA_INT(to->school_id), SA_INT(to->id), SA_INT(id), SA_INT(author), SA_INT(now),
                                  SA_INT(now), SA_INT(lesson_id)));
    if (rc == STORE_OK)
        rc = store_tx_exec(tx, "INSERT INTO lesson_files (lesson_id, file_id) SELECT ?, file_id FROM lesson_files "
                               "WHERE lesson_id = ?",
                           STORE_ARGS(SA_INT(id), SA_INT(lesson_id)));
    if (rc != STORE_OK)
        return rc;
    if (out_id)
        *out_id = id;
    school_day_touch(tx, to);
    return 1;
}

/* ---- reading ---- */

#define LESSON_COLUMNS                                                                                                 \
    "x.id, x.teaching_id, x.on_date, x.title, x.content, x.links, COALESCE(x.publish_at, 0), x.updated_at, s.name, " \
    "COALESCE(c.name, g.name, ''), p.first_name || ' ' || p.last_name"
#define TEACHING_JOINS                                                                                                 \
    " JOIN teaching t ON t.id = x.teaching_id JOIN subjects s ON s.id = t.subject_id "                                \
    "JOIN people p ON p.id = t.teacher_id LEFT JOIN classes c ON c.id = t.class_id "                                  \
    "LEFT JOIN teaching_groups g ON g.id = t.group_id "

static void fill_lesson(arena_t *a, const store_row_t *row, void *item)
{
    lesson_entry_t *l = item;
    l->id = store_row_int(row, 0);
    l->teaching_id = store_row_int(row, 1);
    date_parse_iso(store_row_text(row, 2), &l->on);
    l->title = store_row_text_copy(row, 3, a);
    l->content = store_row_text_copy(row, 4, a);
    l->links = store_row_text_copy(row, 5, a);
    l->publish_at = store_row_int(row, 6);
    l->updated_at = store_row_int(row, 7);
    l->subject_name = store_row_text_copy(row, 8, a);
    l->target_name = store_row_text_copy(row, 9, a);
    l->teacher_name = store_row_text_copy(row, 10, a);
}

int lesson_get(store_src_t src, arena_t *a, int64_t id, lesson_entry_t *out)
{
    return store_one(src, a,
                     "SELECT " LESSON_COLUMNS " FROM lessons x" TEACHING_JOINS "WHERE x.id = ?",
                     STORE_ARGS(SA_INT(id)), sizeof *out, fill_lesson, out);
}

/* "AND x.teaching_id IN (?, ...)" */
static int teaching_in(char *sql, size_t cap, const teaching_t *t, int nt, store_arg_t *args, size_t *n)
{
    int len = snprintf(sql, cap, " AND x.teaching_id IN (0");
    for (int i = 0; i < nt && i < TEACHINGS_MAX; i++) {
        args[(*n)++] = SA_INT(t[i].id);
        len += snprintf(sql + len, cap - (size_t)len, ", ?");
    }
    return len + snprintf(sql + len, cap - (size_t)len, ")");
}

int lessons_between(store_src_t src, arena_t *a, const teaching_t *t, int nt, date_t from, date_t to, int64_t now,
                    bool with_drafts, lesson_entry_t **out)
{
    *out = NULL;
    if (nt <= 0)
        return 0;
    char f[11], e[11], sql[2048];
    date_format_iso(from, f);
    date_format_iso(to, e);
    store_arg_t args[TEACHINGS_MAX + 4];
    size_t n = 0;
    int len = snprintf(sql, sizeof sql,
                       "SELECT " LESSON_COLUMNS " FROM lessons x" TEACHING_JOINS
                       "WHERE x.on_date >= ? AND x.on_date <= ?");
    args[n++] = SA_CSTR(f);
    args[n++] = SA_CSTR(e);
    len += teaching_in(sql + len, sizeof sql - (size_t)len, t, nt, args, &n);
    if (!with_drafts) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND x.publish_at IS NOT NULL AND x.publish_at <= ?");
        args[n++] = SA_INT(now);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY x.on_date DESC, s.name");
    return store_list(src, a, sql, args, n, sizeof **out, fill_lesson, (void **)out);
}

#define HOMEWORK_COLUMNS                                                                                               \
    "x.id, x.teaching_id, COALESCE(x.lesson_id, 0), x.given_on, x.due_on, x.due_at, x.title, x.instructions, "       \
    "x.minutes, x.hand_in, COALESCE(x.publish_at, 0), s.name, COALESCE(c.name, g.name, ''), "                        \
    "p.first_name || ' ' || p.last_name"

static void fill_homework(arena_t *a, const store_row_t *row, void *item)
{
    homework_item_t *h = item;
    memset(h, 0, sizeof *h);
    h->id = store_row_int(row, 0);
    h->teaching_id = store_row_int(row, 1);
    h->lesson_id = store_row_int(row, 2);
    date_parse_iso(store_row_text(row, 3), &h->given_on);
    date_parse_iso(store_row_text(row, 4), &h->due_on);
    h->due_at = store_row_int(row, 5);
    h->title = store_row_text_copy(row, 6, a);
    h->instructions = store_row_text_copy(row, 7, a);
    h->minutes = (int)store_row_int(row, 8);
    h->hand_in = store_row_int(row, 9) != 0;
    h->publish_at = store_row_int(row, 10);
    h->subject_name = store_row_text_copy(row, 11, a);
    h->target_name = store_row_text_copy(row, 12, a);
    h->teacher_name = store_row_text_copy(row, 13, a);
}

static void fill_homework_for_pupil(arena_t *a, const store_row_t *row, void *item)
{
    fill_homework(a, row, item);
    homework_item_t *h = item;
    h->done = store_row_int(row, 14) != 0;
    h->submitted_at = store_row_int(row, 15);
    h->late = store_row_int(row, 16) != 0;
    h->returned = store_row_int(row, 17) != 0;
}

int homework_get(store_src_t src, arena_t *a, int64_t id, homework_item_t *out)
{
    return store_one(src, a, "SELECT " HOMEWORK_COLUMNS " FROM homework x" TEACHING_JOINS "WHERE x.id = ?",
                     STORE_ARGS(SA_INT(id)), sizeof *out, fill_homework, out);
}

int homework_due_between(store_src_t src, arena_t *a, const teaching_t *t, int nt, date_t from, date_t to,
                         int64_t now, bool with_drafts, int64_t pupil_id, homework_item_t **out)
{
    *out = NULL;
    if (nt <= 0)
        return 0;
    char f[11], e[11], sql[2600];
    date_format_iso(from, f);
    date_format_iso(to, e);
    store_arg_t args[TEACHINGS_MAX + 6];
    size_t n = 0;
    int len;
    if (pupil_id) {
        len = snprintf(sql, sizeof sql,
                       "SELECT " HOMEWORK_COLUMNS ", (d.pupil_id IS NOT NULL), COALESCE(sb.submitted_at, 0), "
                       "COALESCE(sb.late, 0), (sb.returned_at IS NOT NULL) FROM homework x" TEACHING_JOINS
                       "LEFT JOIN homework_done d ON d.homework_id = x.id AND d.pupil_id = ? "
                       "LEFT JOIN submissions sb ON sb.homework_id = x.id AND sb.pupil_id = ? "
                       "WHERE x.due_on >= ? AND x.due_on <= ?");
        args[n++] = SA_INT(pupil_id);
        args[n++] = SA_INT(pupil_id);
    } else {
        len = snprintf(sql, sizeof sql,
                       "SELECT " HOMEWORK_COLUMNS " FROM homework x" TEACHING_JOINS
                       "WHERE x.due_on >= ? AND x.due_on <= ?");
    }
    args[n++] = SA_CSTR(f);
    args[n++] = SA_CSTR(e);
    len += teaching_in(sql + len, sizeof sql - (size_t)len, t, nt, args, &n);
    if (!with_drafts) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND x.publish_at IS NOT NULL AND x.publish_at <= ?");
        args[n++] = SA_INT(now);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY x.due_on, s.name, x.id");
    return store_list(src, a, sql, args, n, sizeof **out, pupil_id ? fill_homework_for_pupil : fill_homework,
                      (void **)out);
}

int homework_of_lesson(store_src_t src, arena_t *a, int64_t lesson_id, homework_item_t **out)
{
    return store_list(src, a,
                      "SELECT " HOMEWORK_COLUMNS " FROM homework x" TEACHING_JOINS "WHERE x.lesson_id = ? ORDER BY x.id",
                      STORE_ARGS(SA_INT(lesson_id)), sizeof **out, fill_homework, (void **)out);
}

int homework_mark_done(store_tx_t *tx, const teaching_t *t, int64_t homework_id, int64_t pupil_id, bool done)
{
    int rc;
    if (done)
        rc = store_tx_exec(tx,
                           "INSERT INTO homework_done (homework_id, pupil_id, done_at) SELECT id, ?, ? FROM homework "
                           "WHERE id = ? AND teaching_id = ? ON CONFLICT (homework_id, pupil_id) DO NOTHING",
                           STORE_ARGS(SA_INT(pupil_id), SA_INT(clock_now()), SA_INT(homework_id), SA_INT(t->id)));
    else
        rc = store_tx_exec(tx, "DELETE FROM homework_done WHERE homework_id = ? AND pupil_id = ?",
                           STORE_ARGS(SA_INT(homework_id), SA_INT(pupil_id)));
    if (rc == STORE_OK)
        store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(pupil_id));
    return rc;
}

/* ---- hand-ins ---- */

int submission_save(store_tx_t *tx, const teaching_t *t, const homework_item_t *hw, int64_t pupil_id, str_t text,
                    const stored_file_t *files, int nfiles, int64_t now, int64_t *out_id, char *err, size_t errlen)
{
    if (!hw->hand_in)
        return invalid(err, errlen, "this homework is not handed in online");
    if (!text_ok(text, HOMEWORK_TEXT_MAX, false))
        return invalid(err, errlen, "the text is too long (20000 characters at most)");
    if (str_trim(text).len == 0 && nfiles == 0)
        return invalid(err, errlen, "write something or add a file to hand in");
    if (nfiles > SUBMISSION_FILES_MAX)
        return invalid(err, errlen, "too many files (10 at most)");
    bool late = now > hw->due_at;
    int64_t existing = 0, returned = 0;
    int rc = store_int(STORE_TX(tx), "SELECT id FROM submissions WHERE homework_id = ? AND pupil_id = ?",
                       STORE_ARGS(SA_INT(hw->id), SA_INT(pupil_id)), &existing);
    if (rc < 0)
        return rc;
    if (existing) {
        rc = store_int(STORE_TX(tx), "SELECT COALESCE(returned_at, 0) FROM submissions WHERE id = ?",
                       STORE_ARGS(SA_INT(existing)), &returned);
        if (rc < 0)
            return rc;
        if (returned) {
            snprintf(err, errlen, "the teacher has already returned this work");
            return HOMEWORK_CLOSED;
        }
        if (late) {
            snprintf(err, errlen, "the deadline has passed: the work handed in stays as it is");
            return HOMEWORK_CLOSED;
        }
        rc = store_tx_exec(tx,
                           "UPDATE submissions SET text = ?, submitted_at = ?, late = 0, revision = revision + 1 "
                           "WHERE id = ?",
                           STORE_ARGS(SA_TEXT(text), SA_INT(now), SA_INT(existing)));
        if (rc == STORE_OK)
            rc = store_tx_exec(tx, "DELETE FROM submission_files WHERE submission_id = ?",
                               STORE_ARGS(SA_INT(existing)));
    } else {
        rc = store_tx_exec(tx,
                           "INSERT INTO submissions (homework_id, pupil_id, text, submitted_at, late) "
                           "VALUES (?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(hw->id), SA_INT(pupil_id), SA_TEXT(text), SA_INT(now), SA_INT(late)));
        existing = store_tx_last_id(tx);
    }
    if (rc != STORE_OK)
        return rc;
    for (int i = 0; i < nfiles; i++) {
        if ((rc = files_insert(tx, t->school_id, pupil_id, &files[i])) != STORE_OK)
            return rc;
        rc = store_tx_exec(tx, "INSERT INTO submission_files (submission_id, file_id) VALUES (?, ?)",
                           STORE_ARGS(SA_INT(existing), SA_CSTR(files[i].id)));
        if (rc != STORE_OK)
            return rc;
    }
    /* Handing in counts as done. */
    rc = store_tx_exec(tx,
                       "INSERT INTO homework_done (homework_id, pupil_id, done_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (homework_id, pupil_id) DO NOTHING",
                       STORE_ARGS(SA_INT(hw->id), SA_INT(pupil_id), SA_INT(now)));
    if (rc != STORE_OK)
        return rc;
    if (out_id)
        *out_id = existing;
    (void)t;
    store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(pupil_id));
    return STORE_OK;
}

#define SUBMISSION_COLUMNS                                                                                             \
    "sb.id, sb.homework_id, sb.pupil_id, p.last_name || ' ' || p.first_name, sb.text, sb.submitted_at, sb.late, "    \
    "sb.revision, sb.feedback, sb.mark IS NOT NULL, COALESCE(sb.mark, 0), COALESCE(sb.returned_at, 0) "              \
    "FROM submissions sb JOIN people p ON p.id = sb.pupil_id "

static void fill_submission(arena_t *a, const store_row_t *row, void *item)
{
    submission_t *s = item;
    memset(s, 0, sizeof *s);
    s->id = store_row_int(row, 0);
    s->homework_id = store_row_int(row, 1);
    s->pupil_id = store_row_int(row, 2);
    s->pupil_name = store_row_text_copy(row, 3, a);
    s->text = store_row_text_copy(row, 4, a);
    s->submitted_at = store_row_int(row, 5);
    s->late = store_row_int(row, 6) != 0;
    s->revision = (int)store_row_int(row, 7);
    s->feedback = store_row_text_copy(row, 8, a);
    s->has_mark = store_row_int(row, 9) != 0;
    s->mark = store_row_double(row, 10);
    s->returned_at = store_row_int(row, 11);
}

static int load_files(store_src_t src, arena_t *a, submission_t *s)
{
    int n = store_list(src, a,
                       "SELECT f.id, f.name, f.content_type, f.size FROM submission_files sf JOIN files f "
                       "ON f.id = sf.file_id WHERE sf.submission_id = ? ORDER BY f.name",
                       STORE_ARGS(SA_INT(s->id)), sizeof *s->files, files_fill, (void **)&s->files);
    if (n < 0)
        return n;
    s->nfiles = n;
    return 0;
}

int submission_get(store_src_t src, arena_t *a, int64_t homework_id, int64_t pupil_id, submission_t *out)
{
    int rc = store_one(src, a, "SELECT " SUBMISSION_COLUMNS "WHERE sb.homework_id = ? AND sb.pupil_id = ?",
                       STORE_ARGS(SA_INT(homework_id), SA_INT(pupil_id)), sizeof *out, fill_submission, out);
    if (rc == 1 && load_files(src, a, out) < 0)
        return STORE_ERROR;
    return rc;
}

int submission_by_id(store_src_t src, arena_t *a, int64_t id, submission_t *out)
{
    int rc = store_one(src, a, "SELECT " SUBMISSION_COLUMNS "WHERE sb.id = ?", STORE_ARGS(SA_INT(id)), sizeof *out,
                       fill_submission, out);
    if (rc == 1 && load_files(src, a, out) < 0)
        return STORE_ERROR;
    return rc;
}

int submissions_of_homework(store_src_t src, arena_t *a, int64_t homework_id, submission_t **out)
{
    int n = store_list(src, a, "SELECT " SUBMISSION_COLUMNS "WHERE sb.homework_id = ? ORDER BY p.last_name, p.first_name",
                       STORE_ARGS(SA_INT(homework_id)), sizeof **out, fill_submission, (void **)out);
    for (int i = 0; i < n; i++)
        if (load_files(src, a, &(*out)[i]) < 0)
            return STORE_ERROR;
    return n;
}

int submission_return(store_tx_t *tx, const teaching_t *t, int64_t submission_id, str_t feedback, bool has_mark,
                      double mark, int64_t now, char *err, size_t errlen)
{
    if (!text_ok(feedback, HOMEWORK_TEXT_MAX, false))
        return invalid(err, errlen, "the feedback is too long (20000 characters at most)");
    if (has_mark && (!isfinite(mark) || mark < 0 || mark > 20))
        return invalid(err, errlen, "the mark must be between 0 and 20");
    int rc = store_tx_exec(tx,
                           "UPDATE submissions SET feedback = ?, mark = ?, returned_at = ? WHERE id = ? AND "
                           "homework_id IN (SELECT id FROM homework WHERE teaching_id = ?)",
                           STORE_ARGS(SA_TEXT(feedback), has_mark ? SA_DOUBLE(mark) : SA_NULL, SA_INT(now),
                                      SA_INT(submission_id), SA_INT(t->id)));
    if (rc != STORE_OK)
        return rc;
    if (store_tx_changes(tx) == 0)
        return invalid(err, errlen, "no such hand-in for this teaching");
    int64_t pupil = 0;
    if (store_int(STORE_TX(tx), "SELECT pupil_id FROM submissions WHERE id = ?", STORE_ARGS(SA_INT(submission_id)),
                  &pupil) < 0)
        return STORE_ERROR;
    store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, pupil_day_key(pupil));
    return STORE_OK;
}

int lesson_attach(store_tx_t *tx, const teaching_t *t, int64_t lesson_id, int64_t owner, const stored_file_t *files,
                  int nfiles)
{
    for (int i = 0; i < nfiles; i++) {
        int rc = files_insert(tx, t->school_id, owner, &files[i]);
        if (rc == STORE_OK)
            rc = store_tx_exec(tx, "INSERT INTO lesson_files (lesson_id, file_id) VALUES (?, ?)",
                               STORE_ARGS(SA_INT(lesson_id), SA_CSTR(files[i].id)));
        if (rc != STORE_OK)
            return rc;
    }
    if (nfiles)
        school_day_touch(tx, t);
    return STORE_OK;
}

static void fill_lesson_file(arena_t *a, const store_row_t *row, void *item)
{
    lesson_file_t *lf = item;
    lf->lesson_id = store_row_int(row, 0);
    str_t id = store_row_text(row, 1);
    snprintf(lf->file.id, sizeof lf->file.id, "%.*s", (int)id.len, id.ptr);
    lf->file.name = store_row_text_copy(row, 2, a);
    lf->file.content_type = store_row_text_copy(row, 3, a).ptr;
    lf->file.size = store_row_int(row, 4);
}

int lesson_files_between(store_src_t src, arena_t *a, const teaching_t *t, int nt, date_t from, date_t to,
                         lesson_file_t **out)
{
    *out = NULL;
    if (nt <= 0)
        return 0;
    char f[11], e[11], sql[1600];
    date_format_iso(from, f);
    date_format_iso(to, e);
    store_arg_t args[TEACHINGS_MAX + 2];
    size_t n = 0;
    int len = snprintf(sql, sizeof sql,
                       "SELECT lf.lesson_id, fi.id, fi.name, fi.content_type, fi.size FROM lesson_files lf "
                       "JOIN files fi ON fi.id = lf.file_id JOIN lessons x ON x.id = lf.lesson_id "
                       "WHERE x.on_date >= ? AND x.on_date <= ?");
    args[n++] = SA_CSTR(f);
    args[n++] = SA_CSTR(e);
    len += teaching_in(sql + len, sizeof sql - (size_t)len, t, nt, args, &n);
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY fi.name");
    return store_list(src, a, sql, args, n, sizeof **out, fill_lesson_file, (void **)out);
}
