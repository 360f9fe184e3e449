/* import: bringing a school's directory in from the administration's exports.
 *
 * Contract:
 * - A reader (import_csv.c, import_aaf.c) turns files into an import_data_t,
 *   checking everything first: a malformed file names the file and the line or
 *   element at fault, and nothing is written.
 * - import_apply writes one school's data in one transaction: it creates what is
 *   new, updates what changed and leaves the rest; people the export no longer
 *   lists lose their role in this school (their history stays). Running the same
 *   import twice changes nothing the second time.
 * - People are matched by an external id in the importer's namespace ("aaf:<id>",
 *   "csv:<UAI>:<id>"), never by name; accounts created by hand are not touched.
 * - Timetable slots, when given, are matched by (teaching, day, start, weeks) and
 *   holidays by (label, first day); among the school's rows the latest matching one
 *   is updated, even one that had ended. Slots of this importer's teachers that are
 *   still running and no longer listed are removed from today on
 *   (timetable_slot_remove: deleted, or ended yesterday when changes or roll calls
 *   refer to them); holidays of the current school year or later no longer listed
 *   are deleted. A slot's teaching must be in the data's teaching (when given) or
 *   else in the store, which import_apply checks in its transaction.
 */
#ifndef CARTABLE_DOMAIN_IMPORT_H
#define CARTABLE_DOMAIN_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"
#include "domain/people.h"
#include "store/store.h"

/* Every record keeps `where` it came from ("classes.csv:4", or the AAF record that
 * named it) for the messages of import_validate. */
typedef struct import_class {
    str_t code, name, level;
    const char *where;
} import_class_t;

typedef struct import_subject {
    str_t code, name;
    const char *where;
} import_subject_t;

typedef struct import_person {
    str_t id; /* external id, without namespace */
    role_t role;
    str_t first_name, last_name, email, birth_date;
    str_t class_code;  /* pupils */
    str_t *groups;     /* pupils: group codes */
    int ngroups;
    const char *where; /* "pupils.csv:12" for messages */
} import_person_t;

typedef struct import_link {
    str_t parent_id, child_id;
    str_t relation;
    bool legal_guardian;
    const char *where;
} import_link_t;

typedef struct import_teaching {
    str_t teacher_id, subject_code, class_code, group_code; /* class or group */
    const char *where;
} import_teaching_t;

/* A weekly slot: its teaching named as in a teaching row (where included). */
typedef struct import_slot {
    import_teaching_t teaching;
    int weekday;              /* 1 Monday .. 7 Sunday */
    int starts_min, ends_min; /* minutes after midnight */
    char weeks;               /* 0 (every week), 'A' or 'B' */
    str_t room;
    date_t from, to;          /* {0}: not given, the school year's first or last day */
    const char *where;
} import_slot_t;

typedef struct import_holiday {
    str_t label;
    date_t from, to;
    const char *where;
} import_holiday_t;

typedef struct import_data {
    str_t uai, school_name, school_kind, city;
    str_t ns; /* "aaf" or "csv:<UAI>" */
    import_class_t *classes;
    int nclasses;
    import_class_t *groups; /* level empty */
    int ngroups;
    import_subject_t *subjects;
    int nsubjects;
    import_person_t *people;
    int npeople;
    import_link_t *links;
    int nlinks;
    import_teaching_t *teaching;
    int nteaching;
    import_slot_t *slots;
    int nslots;
    import_holiday_t *holidays;
    int nholidays;
    /* What the files cover: only those roles lose members the files do not list,
     * and groups, links, teaching, the timetable and holidays are synced only when
     * given. */
    bool has_role[ROLE_COUNT];
    bool has_groups, has_links, has_teaching, has_timetable, has_holidays;
} import_data_t;

/* Reads a directory of CSV files (docs/formats/csv.md). Returns true, or false with
 * "file:line: what" in err. */
bool import_read_csv(arena_t *a, const char *dir, import_data_t *out, char *err, size_t errlen);
/* Reads the AAF export files for one school in dir (docs/formats/aaf.md). uai may be
 * NULL when the directory holds one school's files. */
bool import_read_aaf(arena_t *a, const char *dir, const char *uai, import_data_t *out, char *err, size_t errlen);
/* Reads a whole file into the arena (at most max bytes). */
bool import_read_file(arena_t *a, const char *path, size_t max, str_t *out, char *err, size_t errlen);

typedef struct import_counts {
    int created, updated, unchanged, removed;
} import_counts_t;

typedef struct import_report {
    import_counts_t classes, groups, subjects, people, memberships, enrolments, links, teaching, slots, holidays;
    char error[512]; /* set when import_apply fails */
} import_report_t;

/* Cross-checks the data (every class a pupil names exists, every link names known
 * people...). Returns true, or false with the first problem in err. */
bool import_validate(const import_data_t *d, char *err, size_t errlen);
/* Applies one school's data in one transaction. Returns 0 or a negative status.
 * A dry run does the same work and reports the same counts, then rolls it back. */
int import_apply(store_t *store, const import_data_t *d, bool dry_run, import_report_t *report);
void import_report_print(const import_report_t *r, const import_data_t *d, void *file);

/* Helpers for readers: growing arrays in the arena. */
void *import_grow(arena_t *a, void *array, int n, size_t size);

#endif
