#include "domain/directory.h"

#include <stdio.h>
#include <string.h>

/* ---- school years ---- */

static void fill_year(arena_t *a, const store_row_t *row, void *item)
{
    school_year_t *y = item;
    y->id = store_row_int(row, 0);
    y->label = store_row_text_copy(row, 1, a);
    y->starts_on = store_row_text_copy(row, 2, a);
    y->ends_on = store_row_text_copy(row, 3, a);
}

int school_year_for(store_src_t src, arena_t *a, int64_t school_id, date_t on, school_year_t *out)
{
    char d[11];
    date_format_iso(on, d);
    return store_one(src, a,
                     "SELECT id, label, starts_on, ends_on FROM school_years WHERE school_id = ? AND starts_on <= ? "
                     "AND ends_on >= ? ORDER BY starts_on DESC LIMIT 1",
                     STORE_ARGS(SA_INT(school_id), SA_CSTR(d), SA_CSTR(d)), sizeof *out, fill_year, out);
}

int school_year_ensure(store_tx_t *tx, arena_t *a, int64_t school_id, date_t on, school_year_t *out)
{
    int rc = school_year_for(STORE_TX(tx), a, school_id, on, out);
    if (rc != 0)
        return rc < 0 ? rc : STORE_OK;
    date_t starts, ends;
    char label[10], s[11], e[11];
    school_year_of(on, &starts, &ends, label);
    date_format_iso(starts, s);
    date_format_iso(ends, e);
    rc = store_tx_exec(tx, "INSERT INTO school_years (school_id, label, starts_on, ends_on) VALUES (?, ?, ?, ?)",
                       STORE_ARGS(SA_INT(school_id), SA_CSTR(label), SA_CSTR(s), SA_CSTR(e)));
    if (rc != STORE_OK)
        return rc;
    store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    rc = school_year_for(STORE_TX(tx), a, school_id, on, out);
    return rc == 1 ? STORE_OK : STORE_ERROR;
}

/* ---- classes and groups ---- */

static void fill_class(arena_t *a, const store_row_t *row, void *item)
{
    class_info_t *c = item;
    c->id = store_row_int(row, 0);
    c->school_id = store_row_int(row, 1);
    c->year_id = store_row_int(row, 2);
    c->code = store_row_text_copy(row, 3, a);
    c->name = store_row_text_copy(row, 4, a);
    c->level = store_row_text_copy(row, 5, a);
    c->pupils = store_row_int(row, 6);
}

int class_upsert(store_tx_t *tx, int64_t school_id, int64_t year_id, str_t code, str_t name, str_t level, int64_t *id,
                 upsert_result_t *result)
{
    int64_t existing = 0;
    int rc = store_int(STORE_TX(tx), "SELECT id FROM classes WHERE school_id = ? AND year_id = ? AND code = ?",
                       STORE_ARGS(SA_INT(school_id), SA_INT(year_id), SA_TEXT(code)), &existing);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        rc = store_tx_exec(tx, "INSERT INTO classes (school_id, year_id, code, name, level) VALUES (?, ?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(school_id), SA_INT(year_id), SA_TEXT(code), SA_TEXT(name), SA_TEXT(level)));
        if (rc != STORE_OK)
            return rc;
        *id = store_tx_last_id(tx);
        *result = UPSERT_CREATED;
    } else {
        rc = store_tx_exec(tx, "UPDATE classes SET name = ?, level = ? WHERE id = ? AND (name <> ? OR level <> ?)",
                           STORE_ARGS(SA_TEXT(name), SA_TEXT(level), SA_INT(existing), SA_TEXT(name), SA_TEXT(level)));
        if (rc != STORE_OK)
            return rc;
        *id = existing;
        *result = store_tx_changes(tx) ? UPSERT_UPDATED : UPSERT_UNCHANGED;
    }
    if (*result != UPSERT_UNCHANGED)
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return STORE_OK;
}

#define CLASS_COLUMNS "c.id, c.school_id, c.year_id, c.code, c.name, c.level"

int class_get(store_src_t src, arena_t *a, int64_t id, class_info_t *out)
{
    return store_one(src, a, "SELECT " CLASS_COLUMNS ", 0 FROM classes c WHERE c.id = ?", STORE_ARGS(SA_INT(id)),
                     sizeof *out, fill_class, out);
}

int class_by_code(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, str_t code, class_info_t *out)
{
    return store_one(src, a,
                     "SELECT " CLASS_COLUMNS ", 0 FROM classes c WHERE c.school_id = ? AND c.year_id = ? AND c.code = ?",
                     STORE_ARGS(SA_INT(school_id), SA_INT(year_id), SA_TEXT(code)), sizeof *out, fill_class, out);
}

int classes_of_school(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, date_t on, class_info_t **out)
{
    char d[11];
    date_format_iso(on, d);
    return store_list(src, a,
                      "SELECT " CLASS_COLUMNS ", (SELECT COUNT(*) FROM enrolments e WHERE e.class_id = c.id "
                      "AND e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?)) "
                      "FROM classes c WHERE c.school_id = ? AND c.year_id = ? ORDER BY c.level, c.code",
                      STORE_ARGS(SA_CSTR(d), SA_CSTR(d), SA_INT(school_id), SA_INT(year_id)), sizeof **out, fill_class,
                      (void **)out);
}

int group_upsert(store_tx_t *tx, int64_t school_id, int64_t year_id, str_t code, str_t name, int64_t *id,
                 upsert_result_t *result)
{
    int64_t existing = 0;
    int rc = store_int(STORE_TX(tx), "SELECT id FROM teaching_groups WHERE school_id = ? AND year_id = ? AND code = ?",
                       STORE_ARGS(SA_INT(school_id), SA_INT(year_id), SA_TEXT(code)), &existing);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        rc = store_tx_exec(tx, "INSERT INTO teaching_groups (school_id, year_id, code, name) VALUES (?, ?, ?, ?)",
                           STORE_ARGS(SA_INT(school_id), SA_INT(year_id), SA_TEXT(code), SA_TEXT(name)));
        if (rc != STORE_OK)
            return rc;
        *id = store_tx_last_id(tx);
        *result = UPSERT_CREATED;
    } else {
        rc = store_tx_exec(tx, "UPDATE teaching_groups SET name = ? WHERE id = ? AND name <> ?",
                           STORE_ARGS(SA_TEXT(name), SA_INT(existing), SA_TEXT(name)));
        if (rc != STORE_OK)
            return rc;
        *id = existing;
        *result = store_tx_changes(tx) ? UPSERT_UPDATED : UPSERT_UNCHANGED;
    }
    if (*result != UPSERT_UNCHANGED)
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return STORE_OK;
}

#define GROUP_COLUMNS "g.id, g.school_id, g.year_id, g.code, g.name, ''"

int group_get(store_src_t src, arena_t *a, int64_t id, group_info_t *out)
{
    return store_one(src, a, "SELECT " GROUP_COLUMNS ", 0 FROM teaching_groups g WHERE g.id = ?", STORE_ARGS(SA_INT(id)),
                     sizeof *out, fill_class, out);
}

int group_by_code(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, str_t code, group_info_t *out)
{
    return store_one(src, a,
                     "SELECT " GROUP_COLUMNS ", 0 FROM teaching_groups g WHERE g.school_id = ? AND g.year_id = ? "
                     "AND g.code = ?",
                     STORE_ARGS(SA_INT(school_id), SA_INT(year_id), SA_TEXT(code)), sizeof *out, fill_class, out);
}

int groups_of_school(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, group_info_t **out)
{
    return store_list(src, a,
                      "SELECT " GROUP_COLUMNS ", (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) "
                      "FROM teaching_groups g WHERE g.school_id = ? AND g.year_id = ? ORDER BY g.code",
                      STORE_ARGS(SA_INT(school_id), SA_INT(year_id)), sizeof **out, fill_class, (void **)out);
}

/* ---- subjects ---- */

static void fill_subject(arena_t *a, const store_row_t *row, void *item)
{
    subject_t *s = item;
    s->id = store_row_int(row, 0);
    s->code = store_row_text_copy(row, 1, a);
    s->name = store_row_text_copy(row, 2, a);
}

int subject_upsert(store_tx_t *tx, int64_t school_id, str_t code, str_t name, int64_t *id, upsert_result_t *result)
{
    int64_t existing = 0;
    int rc = store_int(STORE_TX(tx), "SELECT id FROM subjects WHERE school_id = ? AND code = ?",
                       STORE_ARGS(SA_INT(school_id), SA_TEXT(code)), &existing);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        rc = store_tx_exec(tx, "INSERT INTO subjects (school_id, code, name) VALUES (?, ?, ?)",
                           STORE_ARGS(SA_INT(school_id), SA_TEXT(code), SA_TEXT(name)));
        if (rc != STORE_OK)
            return rc;
        *id = store_tx_last_id(tx);
        *result = UPSERT_CREATED;
    } else {
        rc = store_tx_exec(tx, "UPDATE subjects SET name = ? WHERE id = ? AND name <> ?",
                           STORE_ARGS(SA_TEXT(name), SA_INT(existing), SA_TEXT(name)));
        if (rc != STORE_OK)
            return rc;
        *id = existing;
        *result = store_tx_changes(tx) ? UPSERT_UPDATED : UPSERT_UNCHANGED;
    }
    if (*result != UPSERT_UNCHANGED)
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return STORE_OK;
}

int subject_by_code(store_src_t src, arena_t *a, int64_t school_id, str_t code, subject_t *out)
{
    return store_one(src, a, "SELECT id, code, name FROM subjects WHERE school_id = ? AND code = ?",
                     STORE_ARGS(SA_INT(school_id), SA_TEXT(code)), sizeof *out, fill_subject, out);
}

int subjects_of_school(store_src_t src, arena_t *a, int64_t school_id, subject_t **out)
{
    return store_list(src, a, "SELECT id, code, name FROM subjects WHERE school_id = ? ORDER BY name",
                      STORE_ARGS(SA_INT(school_id)), sizeof **out, fill_subject, (void **)out);
}

/* ---- enrolments ---- */

int enrol_pupil(store_tx_t *tx, int64_t pupil_id, int64_t class_id, date_t from, upsert_result_t *result)
{
    char d[11], before[11];
    date_format_iso(from, d);
    date_format_iso(date_add_days(from, -1), before);
    int64_t current = 0;
    int rc = store_int(STORE_TX(tx),
                       "SELECT e.class_id FROM enrolments e JOIN classes c ON c.id = e.class_id "
                       "JOIN classes target ON target.id = ? "
                       "WHERE e.pupil_id = ? AND e.ends_on IS NULL AND c.school_id = target.school_id",
                       STORE_ARGS(SA_INT(class_id), SA_INT(pupil_id)), &current);
    if (rc < 0)
        return rc;
    if (rc == 1 && current == class_id) {
        *result = UPSERT_UNCHANGED;
        return STORE_OK;
    }
    if (rc == 1) {
        /* A class change ends the old enrolment the day before. One that began that
         * very day was a mistake being corrected: it goes, it is not history. */
        rc = store_tx_exec(tx, "DELETE FROM enrolments WHERE pupil_id = ? AND class_id = ? AND ends_on IS NULL AND starts_on >= ?",
                           STORE_ARGS(SA_INT(pupil_id), SA_INT(current), SA_CSTR(d)));
        if (rc == STORE_OK)
            rc = store_tx_exec(tx, "UPDATE enrolments SET ends_on = ? WHERE pupil_id = ? AND class_id = ? AND ends_on IS NULL",
                               STORE_ARGS(SA_CSTR(before), SA_INT(pupil_id), SA_INT(current)));
        if (rc != STORE_OK)
            return rc;
        *result = UPSERT_UPDATED;
    } else {
        *result = UPSERT_CREATED;
    }
    rc = store_tx_exec(tx,
                       "INSERT INTO enrolments (pupil_id, class_id, starts_on) VALUES (?, ?, ?) "
                       "ON CONFLICT (pupil_id, class_id, starts_on) DO UPDATE SET ends_on = NULL",
                       STORE_ARGS(SA_INT(pupil_id), SA_INT(class_id), SA_CSTR(d)));
    if (rc == STORE_OK)
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return rc;
}

int unenrol_pupil(store_tx_t *tx, int64_t pupil_id, int64_t school_id, date_t on)
{
    char d[11];
    date_format_iso(on, d);
    int rc = store_tx_exec(tx,
                           "UPDATE enrolments SET ends_on = ? WHERE pupil_id = ? AND ends_on IS NULL AND class_id IN "
                           "(SELECT id FROM classes WHERE school_id = ?)",
                           STORE_ARGS(SA_CSTR(d), SA_INT(pupil_id), SA_INT(school_id)));
    if (rc == STORE_OK && store_tx_changes(tx))
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return rc;
}

int pupil_class(store_src_t src, arena_t *a, int64_t pupil_id, date_t on, class_info_t *out)
{
    char d[11];
    date_format_iso(on, d);
    return store_one(src, a,
                     "SELECT " CLASS_COLUMNS ", 0 FROM enrolments e JOIN classes c ON c.id = e.class_id "
                     "WHERE e.pupil_id = ? AND e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?) "
                     "ORDER BY e.starts_on DESC LIMIT 1",
                     STORE_ARGS(SA_INT(pupil_id), SA_CSTR(d), SA_CSTR(d)), sizeof *out, fill_class, out);
}

static void fill_enrolment(arena_t *a, const store_row_t *row, void *item)
{
    enrolment_t *e = item;
    fill_class(a, row, &e->class_);
    e->starts_on = store_row_text_copy(row, 7, a);
    e->ends_on = store_row_text_copy(row, 8, a);
}

int pupil_enrolments(store_src_t src, arena_t *a, int64_t pupil_id, enrolment_t **out)
{
    return store_list(src, a,
                      "SELECT " CLASS_COLUMNS ", 0, e.starts_on, COALESCE(e.ends_on, '') FROM enrolments e "
                      "JOIN classes c ON c.id = e.class_id WHERE e.pupil_id = ? ORDER BY e.starts_on, e.ends_on",
                      STORE_ARGS(SA_INT(pupil_id)), sizeof **out, fill_enrolment, (void **)out);
}

static void fill_person_short(arena_t *a, const store_row_t *row, void *item)
{
    person_t *p = item;
    p->id = store_row_int(row, 0);
    p->login = store_row_text_copy(row, 1, a);
    p->first_name = store_row_text_copy(row, 2, a);
    p->last_name = store_row_text_copy(row, 3, a);
    p->disabled = store_row_int(row, 4) != 0;
    p->activated = store_row_int(row, 5) != 0;
    p->birth_date = store_row_text_copy(row, 6, a);
}

#define PERSON_SHORT                                                                                                   \
    "p.id, p.login, p.first_name, p.last_name, p.disabled, CASE WHEN p.password_hash IS NULL THEN 0 ELSE 1 END, "      \
    "COALESCE(p.birth_date, '')"

int class_roster(store_src_t src, arena_t *a, int64_t class_id, date_t on, person_t **out)
{
    char d[11];
    date_format_iso(on, d);
    return store_list(src, a,
                      "SELECT " PERSON_SHORT " FROM enrolments e JOIN people p ON p.id = e.pupil_id "
                      "WHERE e.class_id = ? AND e.starts_on <= ? AND (e.ends_on IS NULL OR e.ends_on >= ?) "
                      "ORDER BY p.last_name, p.first_name, p.id",
                      STORE_ARGS(SA_INT(class_id), SA_CSTR(d), SA_CSTR(d)), sizeof **out, fill_person_short,
                      (void **)out);
}

int group_member_add(store_tx_t *tx, int64_t pupil_id, int64_t group_id)
{
    int rc = store_tx_exec(tx, "INSERT INTO group_members (pupil_id, group_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           STORE_ARGS(SA_INT(pupil_id), SA_INT(group_id)));
    if (rc == STORE_OK && store_tx_changes(tx))
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return rc;
}

int group_roster(store_src_t src, arena_t *a, int64_t group_id, person_t **out)
{
    return store_list(src, a,
                      "SELECT " PERSON_SHORT " FROM group_members m JOIN people p ON p.id = m.pupil_id "
                      "WHERE m.group_id = ? ORDER BY p.last_name, p.first_name, p.id",
                      STORE_ARGS(SA_INT(group_id)), sizeof **out, fill_person_short, (void **)out);
}

/* ---- parents ---- */

int parent_link_set(store_tx_t *tx, int64_t parent_id, int64_t child_id, str_t relation, bool legal_guardian,
                    upsert_result_t *result)
{
    if (parent_id == child_id)
        return STORE_CONSTRAINT;
    str_t rel = relation.len ? relation : STR("responsable");
    int64_t existing = 0;
    int rc = store_int(STORE_TX(tx),
                       "SELECT CASE WHEN relation = ? AND legal_guardian = ? THEN 1 ELSE 2 END FROM parent_links "
                       "WHERE parent_id = ? AND child_id = ?",
                       STORE_ARGS(SA_TEXT(rel), SA_INT(legal_guardian), SA_INT(parent_id), SA_INT(child_id)), &existing);
    if (rc < 0)
        return rc;
    if (rc == 1 && existing == 1) {
        *result = UPSERT_UNCHANGED;
        return STORE_OK;
    }
    rc = store_tx_exec(tx,
                       "INSERT INTO parent_links (parent_id, child_id, relation, legal_guardian) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (parent_id, child_id) DO UPDATE SET relation = excluded.relation, "
                       "legal_guardian = excluded.legal_guardian",
                       STORE_ARGS(SA_INT(parent_id), SA_INT(child_id), SA_TEXT(rel), SA_INT(legal_guardian)));
    if (rc != STORE_OK)
        return rc;
    *result = rc == STORE_OK && existing ? UPSERT_UPDATED : UPSERT_CREATED;
    store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    return STORE_OK;
}

static void fill_child(arena_t *a, const store_row_t *row, void *item)
{
    child_info_t *c = item;
    fill_person_short(a, row, &c->person);
    c->school_id = store_row_int(row, 7);
    c->school_name = store_row_text_copy(row, 8, a);
    c->class_id = store_row_int(row, 9);
    c->class_name = store_row_text_copy(row, 10, a);
}

int children_of(store_src_t src, arena_t *a, int64_t parent_id, date_t on, child_info_t **out)
{
    char d[11];
    date_format_iso(on, d);
    return store_list(src, a,
                      "SELECT " PERSON_SHORT ", COALESCE(m.school_id, 0), COALESCE(s.name, ''), COALESCE(c.id, 0), "
                      "COALESCE(c.name, '') FROM parent_links l JOIN people p ON p.id = l.child_id "
                      "LEFT JOIN memberships m ON m.person_id = p.id AND m.role = 'pupil' "
                      "LEFT JOIN schools s ON s.id = m.school_id "
                      "LEFT JOIN enrolments e ON e.pupil_id = p.id AND e.starts_on <= ? "
                      "AND (e.ends_on IS NULL OR e.ends_on >= ?) "
                      "LEFT JOIN classes c ON c.id = e.class_id AND c.school_id = m.school_id "
                      "WHERE l.parent_id = ? ORDER BY p.first_name, p.id",
                      STORE_ARGS(SA_CSTR(d), SA_CSTR(d), SA_INT(parent_id)), sizeof **out, fill_child, (void **)out);
}

int parents_of(store_src_t src, arena_t *a, int64_t child_id, person_t **out)
{
    return store_list(src, a,
                      "SELECT " PERSON_SHORT " FROM parent_links l JOIN people p ON p.id = l.parent_id "
                      "WHERE l.child_id = ? ORDER BY p.last_name, p.first_name",
                      STORE_ARGS(SA_INT(child_id)), sizeof **out, fill_person_short, (void **)out);
}

/* ---- teaching ---- */

int teaching_find(store_src_t src, int64_t teacher_id, int64_t subject_id, int64_t class_id, int64_t group_id,
                  int64_t *id)
{
    *id = 0;
    return store_int(src,
                     "SELECT id FROM teaching WHERE teacher_id = ? AND subject_id = ? AND "
                     "COALESCE(class_id, 0) = ? AND COALESCE(group_id, 0) = ?",
                     STORE_ARGS(SA_INT(teacher_id), SA_INT(subject_id), SA_INT(class_id), SA_INT(group_id)), id);
}

int teaching_set(store_tx_t *tx, int64_t teacher_id, int64_t subject_id, int64_t class_id, int64_t group_id,
                 upsert_result_t *result)
{
    if ((class_id == 0) == (group_id == 0))
        return STORE_CONSTRAINT;
    int64_t existing;
    int rc = teaching_find(STORE_TX(tx), teacher_id, subject_id, class_id, group_id, &existing);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        *result = UPSERT_UNCHANGED;
        return STORE_OK;
    }
    rc = store_tx_exec(tx, "INSERT INTO teaching (teacher_id, subject_id, class_id, group_id) VALUES (?, ?, ?, ?)",
                       STORE_ARGS(SA_INT(teacher_id), SA_INT(subject_id), class_id ? SA_INT(class_id) : SA_NULL,
                                  group_id ? SA_INT(group_id) : SA_NULL));
    if (rc == STORE_OK) {
        *result = UPSERT_CREATED;
        store_tx_touch(tx, STORE_TOPIC_DIRECTORY);
    }
    return rc;
}

static void fill_teaching(arena_t *a, const store_row_t *row, void *item)
{
    teaching_t *t = item;
    t->id = store_row_int(row, 0);
    t->teacher_id = store_row_int(row, 1);
    t->subject_id = store_row_int(row, 2);
    t->class_id = store_row_int(row, 3);
    t->group_id = store_row_int(row, 4);
    t->subject_name = store_row_text_copy(row, 5, a);
    t->target_name = store_row_text_copy(row, 6, a);
    t->teacher_name = store_row_text_copy(row, 7, a);
    t->school_id = store_row_int(row, 8);
    t->subject_code = store_row_text_copy(row, 9, a);
}

#define TEACHING_SELECT                                                                                                \
    "SELECT t.id, t.teacher_id, t.subject_id, COALESCE(t.class_id, 0), COALESCE(t.group_id, 0), s.name, "             \
    "COALESCE(c.name, g.name, ''), p.first_name || ' ' || p.last_name, s.school_id, s.code FROM teaching t "           \
    "JOIN subjects s ON s.id = t.subject_id JOIN people p ON p.id = t.teacher_id "                                     \
    "LEFT JOIN classes c ON c.id = t.class_id LEFT JOIN teaching_groups g ON g.id = t.group_id "

int teaching_of_teacher(store_src_t src, arena_t *a, int64_t teacher_id, teaching_t **out)
{
    return store_list(src, a, TEACHING_SELECT "WHERE t.teacher_id = ? ORDER BY COALESCE(c.code, g.code), s.name",
                      STORE_ARGS(SA_INT(teacher_id)), sizeof **out, fill_teaching, (void **)out);
}

int teaching_of_class(store_src_t src, arena_t *a, int64_t class_id, teaching_t **out)
{
    return store_list(src, a, TEACHING_SELECT "WHERE t.class_id = ? ORDER BY s.name, p.last_name",
                      STORE_ARGS(SA_INT(class_id)), sizeof **out, fill_teaching, (void **)out);
}

int teaching_get(store_src_t src, arena_t *a, int64_t id, teaching_t *out)
{
    return store_one(src, a, TEACHING_SELECT "WHERE t.id = ?", STORE_ARGS(SA_INT(id)), sizeof *out, fill_teaching, out);
}

int teaching_of_pupil(store_src_t src, arena_t *a, int64_t class_id, const int64_t *groups, int ngroups,
                      teaching_t **out)
{
    /* Few groups per pupil: at most 16 are looked at, enough for any timetable. */
    enum { MAX_GROUPS = 16 };
    store_arg_t args[1 + MAX_GROUPS];
    size_t n = 0;
    args[n++] = SA_INT(class_id);
    char sql[1024];
    int len = snprintf(sql, sizeof sql, "%s", TEACHING_SELECT "WHERE t.class_id = ? OR t.group_id IN (0");
    for (int i = 0; i < ngroups && i < MAX_GROUPS; i++) {
        args[n++] = SA_INT(groups[i]);
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", ?");
    }
    snprintf(sql + len, sizeof sql - (size_t)len, ") ORDER BY s.name");
    return store_list(src, a, sql, args, n, sizeof **out, fill_teaching, (void **)out);
}
