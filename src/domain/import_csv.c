/* The CSV import format (docs/formats/csv.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/csv.h"
#include "domain/import.h"
#include "domain/timetable.h"

#define CSV_FILE_MAX (64u << 20)

typedef struct reader {
    arena_t *a;
    const char *dir;
    import_data_t *d;
    char *err;
    size_t errlen;
} reader_t;

typedef struct columns {
    const char *names[12];
    bool required[12];
    int index[12];
} columns_t;

/* Opens DIR/name; returns 1 open, 0 absent (if optional), -1 error. */
static int open_file(reader_t *r, csv_t *c, const char *name, bool required, columns_t *cols)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        if (!required)
            return 0;
        snprintf(r->err, r->errlen, "%s: missing (this file is required)", name);
        return -1;
    }
    fclose(probe);
    str_t data;
    if (!import_read_file(r->a, path, CSV_FILE_MAX, &data, r->err, r->errlen))
        return -1;
    if (!csv_open(c, r->a, data.ptr, data.len)) {
        snprintf(r->err, r->errlen, "%s: %s", name, c->error);
        return -1;
    }
    for (int i = 0; cols->names[i]; i++) {
        cols->index[i] = csv_column(c, cols->names[i]);
        if (cols->index[i] < 0 && cols->required[i]) {
            snprintf(r->err, r->errlen, "%s: line 1: column \"%s\" is missing", name, cols->names[i]);
            return -1;
        }
    }
    return 1;
}

static str_t field(const columns_t *cols, str_t *fields, int i)
{
    return cols->index[i] >= 0 ? str_trim(fields[cols->index[i]]) : STR("");
}

static const char *where(reader_t *r, const char *file, int line)
{
    return arena_printf(r->a, "%s:%d", file, line);
}

/* "file:line: what" in the reader's err; returns false. */
static bool row_error(reader_t *r, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool row_error(reader_t *r, const char *file, int line, const char *fmt, ...)
{
    int n = snprintf(r->err, r->errlen, "%s:%d: ", file, line);
    if (n >= 0 && (size_t)n < r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* An optional date column: YYYY-MM-DD or DD/MM/YYYY; empty leaves *out as {0}. */
static bool date_field(reader_t *r, const char *file, int line, const char *column, str_t text, date_t *out)
{
    *out = (date_t){0};
    if (text.len == 0 || date_parse_iso(text, out) || date_parse_fr(text, out))
        return true;
    return row_error(r, file, line, "%s \"%.*s\" is not a date (YYYY-MM-DD or DD/MM/YYYY)", column, (int)text.len,
                     text.ptr);
}

/* Each file's rows go through `row`; returns false on the first error. */
typedef bool (*row_fn)(reader_t *r, const char *file, int line, const columns_t *cols, str_t *fields);

static int read_all(reader_t *r, const char *file, bool required, columns_t *cols, row_fn row)
{
    csv_t c;
    int rc = open_file(r, &c, file, required, cols);
    if (rc <= 0)
        return rc;
    str_t fields[CSV_MAX_COLUMNS];
    int got;
    while ((got = csv_next(&c, fields)) == 1)
        if (!row(r, file, c.line, cols, fields))
            return -1;
    if (got < 0) {
        snprintf(r->err, r->errlen, "%s: %s", file, c.error);
        return -1;
    }
    return 1;
}

#define ADD(arr, n, type) (*(arr) = import_grow(r->a, *(arr), *(n), sizeof(type)), &(*(arr))[(*(n))++])

static bool school_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    if (r->d->uai.len) {
        snprintf(r->err, r->errlen, "%s:%d: one school per import (a single row is expected)", file, line);
        return false;
    }
    r->d->uai = field(cols, f, 0);
    r->d->school_name = field(cols, f, 1);
    r->d->school_kind = field(cols, f, 2);
    r->d->city = field(cols, f, 3);
    if (r->d->school_name.len == 0) {
        snprintf(r->err, r->errlen, "%s:%d: the school's name is empty", file, line);
        return false;
    }
    return true;
}

static bool class_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_class_t *c = ADD(&r->d->classes, &r->d->nclasses, import_class_t);
    c->where = where(r, file, line);
    c->code = field(cols, f, 0);
    c->name = field(cols, f, 1);
    c->level = field(cols, f, 2);
    if (c->name.len == 0)
        c->name = c->code;
    return true;
}

static bool group_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_class_t *g = ADD(&r->d->groups, &r->d->ngroups, import_class_t);
    g->where = where(r, file, line);
    g->code = field(cols, f, 0);
    g->name = field(cols, f, 1);
    g->level = STR("");
    if (g->name.len == 0)
        g->name = g->code;
    return true;
}

static bool subject_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_subject_t *s = ADD(&r->d->subjects, &r->d->nsubjects, import_subject_t);
    s->where = where(r, file, line);
    s->code = field(cols, f, 0);
    s->name = field(cols, f, 1);
    if (s->name.len == 0)
        s->name = s->code;
    return true;
}

/* Splits "a|b|c" into trimmed, non-empty items. */
static int split_list(arena_t *a, str_t s, str_t **out)
{
    int n = 0;
    *out = NULL;
    str_t rest = s;
    while (rest.ptr && rest.len) {
        str_t next;
        str_t item = str_trim(str_cut(rest, '|', &next));
        rest = next;
        if (item.len) {
            *out = import_grow(a, *out, n, sizeof(str_t));
            (*out)[n++] = item;
        }
    }
    return n;
}

static import_person_t *person_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f, role_t role)
{
    import_person_t *p = ADD(&r->d->people, &r->d->npeople, import_person_t);
    memset(p, 0, sizeof *p);
    p->where = where(r, file, line);
    p->role = role;
    p->id = field(cols, f, 0);
    p->last_name = field(cols, f, 1);
    p->first_name = field(cols, f, 2);
    p->email = field(cols, f, 3);
    return p;
}

static bool pupil_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_person_t *p = person_row(r, file, line, cols, f, ROLE_PUPIL);
    str_t birth = field(cols, f, 4);
    date_t d;
    if (!date_field(r, file, line, "birth_date", birth, &d))
        return false;
    if (birth.len) {
        char *iso = arena_alloc(r->a, 11);
        date_format_iso(d, iso);
        p->birth_date = (str_t){iso, 10};
    }
    p->class_code = field(cols, f, 5);
    p->ngroups = split_list(r->a, field(cols, f, 6), &p->groups);
    return true;
}

static bool parent_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_person_t *p = person_row(r, file, line, cols, f, ROLE_PARENT);
    str_t *children;
    int n = split_list(r->a, field(cols, f, 4), &children);
    str_t relation = field(cols, f, 5);
    static const char *const relations[] = {"", "mere", "pere", "tuteur", "responsable"};
    bool known = false;
    for (size_t i = 0; i < sizeof relations / sizeof relations[0]; i++)
        known |= str_eq_cstr(relation, relations[i]);
    if (!known) {
        snprintf(r->err, r->errlen, "%s:%d: relation \"%.*s\" is not one of mere, pere, tuteur, responsable", file,
                 line, (int)relation.len, relation.ptr);
        return false;
    }
    for (int i = 0; i < n; i++) {
        import_link_t *l = ADD(&r->d->links, &r->d->nlinks, import_link_t);
        l->parent_id = p->id;
        l->child_id = children[i];
        l->relation = relation;
        l->legal_guardian = true;
        l->where = p->where;
    }
    return true;
}

static bool teacher_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    person_row(r, file, line, cols, f, ROLE_TEACHER);
    return true;
}

static bool staff_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    str_t role = field(cols, f, 4);
    role_t rr = ROLE_STAFF;
    if (role.len && (!role_parse(role, &rr) || (rr != ROLE_STAFF && rr != ROLE_SCHOOL_ADMIN))) {
        snprintf(r->err, r->errlen, "%s:%d: role \"%.*s\" is not staff or school_admin", file, line, (int)role.len,
                 role.ptr);
        return false;
    }
    person_row(r, file, line, cols, f, rr);
    return true;
}

/* teacher, subject, class, group: the first four columns of teaching.csv and
 * timetable.csv. */
static void teaching_fields(import_teaching_t *t, const char *where_, const columns_t *cols, str_t *f)
{
    t->where = where_;
    t->teacher_id = field(cols, f, 0);
    t->subject_code = field(cols, f, 1);
    t->class_code = field(cols, f, 2);
    t->group_code = field(cols, f, 3);
}

static bool teaching_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_teaching_t *t = ADD(&r->d->teaching, &r->d->nteaching, import_teaching_t);
    teaching_fields(t, where(r, file, line), cols, f);
    return true;
}

static bool time_field(reader_t *r, const char *file, int line, const char *column, str_t text, int *out)
{
    *out = timetable_parse_time(text);
    if (*out >= 0)
        return true;
    return row_error(r, file, line, "%s \"%.*s\" is not a time (HH:MM)", column, (int)text.len, text.ptr);
}

/* Columns: teacher, subject, class, group, day, start, end, room, weeks, from, to.
 * What the values mean together (end after start...) is import_validate's. */
static bool timetable_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_slot_t *s = ADD(&r->d->slots, &r->d->nslots, import_slot_t);
    memset(s, 0, sizeof *s);
    s->where = where(r, file, line);
    teaching_fields(&s->teaching, s->where, cols, f);
    str_t day = field(cols, f, 4), weeks = field(cols, f, 8);
    s->weekday = timetable_parse_weekday(day);
    if (s->weekday < 0)
        return row_error(r, file, line, "day \"%.*s\" is not a day of the week (1 to 7, lundi to dimanche, monday to "
                         "sunday)", (int)day.len, day.ptr);
    if (!time_field(r, file, line, "start", field(cols, f, 5), &s->starts_min) ||
        !time_field(r, file, line, "end", field(cols, f, 6), &s->ends_min))
        return false;
    s->room = field(cols, f, 7);
    if (weeks.len == 1 && (weeks.ptr[0] == 'A' || weeks.ptr[0] == 'a' || weeks.ptr[0] == 'B' || weeks.ptr[0] == 'b'))
        s->weeks = (char)(weeks.ptr[0] & ~0x20); /* upper case */
    else if (weeks.len)
        return row_error(r, file, line, "weeks \"%.*s\" is not empty (every week), A or B", (int)weeks.len,
                         weeks.ptr);
    return date_field(r, file, line, "from", field(cols, f, 9), &s->from) &&
           date_field(r, file, line, "to", field(cols, f, 10), &s->to);
}

static bool holiday_row(reader_t *r, const char *file, int line, const columns_t *cols, str_t *f)
{
    import_holiday_t *h = ADD(&r->d->holidays, &r->d->nholidays, import_holiday_t);
    h->where = where(r, file, line);
    h->label = field(cols, f, 0);
    str_t from = field(cols, f, 1), to = field(cols, f, 2);
    if (!date_field(r, file, line, "from", from, &h->from) || !date_field(r, file, line, "to", to, &h->to))
        return false;
    if (!from.len || !to.len)
        return row_error(r, file, line, "a holiday needs its first and last days (from and to)");
    return true;
}

bool import_read_csv(arena_t *a, const char *dir, import_data_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    reader_t r = {a, dir, out, err, errlen};
    columns_t school = {{"uai", "name", "kind", "city", NULL}, {true, true, false, false}};
    columns_t classes = {{"code", "name", "level", NULL}, {true, false, false}};
    columns_t groups = {{"code", "name", NULL}, {true, false}};
    columns_t subjects = {{"code", "name", NULL}, {true, true}};
    columns_t pupils = {{"id", "last_name", "first_name", "email", "birth_date", "class", "groups", NULL},
                        {true, true, true, false, false, true, false}};
    columns_t parents = {{"id", "last_name", "first_name", "email", "children", "relation", NULL},
                         {true, true, true, false, true, false}};
    columns_t teachers = {{"id", "last_name", "first_name", "email", NULL}, {true, true, true, false}};
    columns_t staff = {{"id", "last_name", "first_name", "email", "role", NULL}, {true, true, true, false, false}};
    columns_t teaching = {{"teacher", "subject", "class", "group", NULL}, {true, true, false, false}};
    columns_t timetable = {
        {"teacher", "subject", "class", "group", "day", "start", "end", "room", "weeks", "from", "to", NULL},
        {true, true, false, false, true, true, true, false, false, false, false}};
    columns_t holidays = {{"label", "from", "to", NULL}, {true, true, true}};
    int rc;
    if (read_all(&r, "school.csv", true, &school, school_row) < 0 ||
        read_all(&r, "classes.csv", true, &classes, class_row) < 0 ||
        (rc = read_all(&r, "groups.csv", false, &groups, group_row)) < 0)
        return false;
    out->has_groups = rc == 1;
    if (read_all(&r, "subjects.csv", false, &subjects, subject_row) < 0 ||
        read_all(&r, "pupils.csv", true, &pupils, pupil_row) < 0 ||
        read_all(&r, "parents.csv", true, &parents, parent_row) < 0 ||
        read_all(&r, "teachers.csv", true, &teachers, teacher_row) < 0 ||
        (rc = read_all(&r, "staff.csv", false, &staff, staff_row)) < 0)
        return false;
    out->has_role[ROLE_PUPIL] = out->has_role[ROLE_PARENT] = out->has_role[ROLE_TEACHER] = true;
    out->has_role[ROLE_STAFF] = out->has_role[ROLE_SCHOOL_ADMIN] = rc == 1;
    out->has_links = true;
    if ((rc = read_all(&r, "teaching.csv", false, &teaching, teaching_row)) < 0)
        return false;
    out->has_teaching = rc == 1;
    if ((rc = read_all(&r, "timetable.csv", false, &timetable, timetable_row)) < 0)
        return false;
    out->has_timetable = rc == 1;
    if ((rc = read_all(&r, "holidays.csv", false, &holidays, holiday_row)) < 0)
        return false;
    out->has_holidays = rc == 1;
    if (!out->uai.len) {
        snprintf(err, errlen, "school.csv: no school row");
        return false;
    }
    out->ns = str_from(arena_printf(a, "csv:%.*s", (int)out->uai.len, out->uai.ptr));
    return import_validate(out, err, errlen);
}
