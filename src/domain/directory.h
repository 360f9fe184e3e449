/* directory: a school's structure and who is where in it.
 *
 * Contract:
 * - Classes and teaching groups belong to a school year (1 September to
 *   31 August); school_year_ensure creates the year a date falls in.
 * - A pupil's class over time is a list of enrolments: enrolling in another class
 *   closes the current one the day before, so history is kept; enrolling again
 *   in the current class changes nothing.
 * - Teaching is "teacher × subject × (class or group)".
 * - Upserts report whether they created, changed or left a row as it was, for
 *   import reports. Writes mark STORE_TOPIC_DIRECTORY.
 */
#ifndef CARTABLE_DOMAIN_DIRECTORY_H
#define CARTABLE_DOMAIN_DIRECTORY_H

#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"
#include "domain/people.h"
#include "store/store.h"

typedef enum upsert_result { UPSERT_UNCHANGED = 0, UPSERT_CREATED, UPSERT_UPDATED } upsert_result_t;

typedef struct school_year {
    int64_t id;
    str_t label;
    str_t starts_on, ends_on;
} school_year_t;

int school_year_for(store_src_t src, arena_t *a, int64_t school_id, date_t on, school_year_t *out);
int school_year_ensure(store_tx_t *tx, arena_t *a, int64_t school_id, date_t on, school_year_t *out);

typedef struct class_info {
    int64_t id;
    int64_t school_id;
    int64_t year_id;
    str_t code;
    str_t name;
    str_t level;
    int64_t pupils; /* current pupils, where listed */
} class_info_t;

typedef class_info_t group_info_t; /* same shape; level is empty */

int class_upsert(store_tx_t *tx, int64_t school_id, int64_t year_id, str_t code, str_t name, str_t level, int64_t *id,
                 upsert_result_t *result);
int class_get(store_src_t src, arena_t *a, int64_t id, class_info_t *out);
int class_by_code(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, str_t code, class_info_t *out);
int classes_of_school(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, date_t on, class_info_t **out);

int group_upsert(store_tx_t *tx, int64_t school_id, int64_t year_id, str_t code, str_t name, int64_t *id,
                 upsert_result_t *result);
int group_get(store_src_t src, arena_t *a, int64_t id, group_info_t *out);
int group_by_code(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, str_t code, group_info_t *out);
int groups_of_school(store_src_t src, arena_t *a, int64_t school_id, int64_t year_id, group_info_t **out);

typedef struct subject {
    int64_t id;
    str_t code;
    str_t name;
} subject_t;

int subject_upsert(store_tx_t *tx, int64_t school_id, str_t code, str_t name, int64_t *id, upsert_result_t *result);
int subject_by_code(store_src_t src, arena_t *a, int64_t school_id, str_t code, subject_t *out);
int subjects_of_school(store_src_t src, arena_t *a, int64_t school_id, subject_t **out);

/* Puts a pupil in a class from a date on (see the contract). */
int enrol_pupil(store_tx_t *tx, int64_t pupil_id, int64_t class_id, date_t from, upsert_result_t *result);
/* Ends the pupil's current enrolment in any class of the school (the pupil left). */
int unenrol_pupil(store_tx_t *tx, int64_t pupil_id, int64_t school_id, date_t on);
/* The pupil's class on a date: 1 found, 0 none. */
int pupil_class(store_src_t src, arena_t *a, int64_t pupil_id, date_t on, class_info_t *out);

typedef struct enrolment {
    class_info_t class_;
    str_t starts_on;
    str_t ends_on; /* empty: current */
} enrolment_t;
int pupil_enrolments(store_src_t src, arena_t *a, int64_t pupil_id, enrolment_t **out);
/* Pupils of a class on a date, by name. */
int class_roster(store_src_t src, arena_t *a, int64_t class_id, date_t on, person_t **out);

int group_member_add(store_tx_t *tx, int64_t pupil_id, int64_t group_id);
int group_roster(store_src_t src, arena_t *a, int64_t group_id, person_t **out);

int parent_link_set(store_tx_t *tx, int64_t parent_id, int64_t child_id, str_t relation, bool legal_guardian,
                    upsert_result_t *result);

typedef struct child_info {
    person_t person;
    int64_t school_id;
    str_t school_name;
    int64_t class_id; /* 0 when not enrolled */
    str_t class_name;
} child_info_t;

/* A parent's children, with their school and current class. */
int children_of(store_src_t src, arena_t *a, int64_t parent_id, date_t on, child_info_t **out);
int parents_of(store_src_t src, arena_t *a, int64_t child_id, person_t **out);

typedef struct teaching {
    int64_t id;
    int64_t teacher_id;
    int64_t subject_id;
    int64_t class_id; /* 0 for a group */
    int64_t group_id; /* 0 for a class */
    str_t subject_name;
    str_t target_name; /* the class or group's name */
    str_t teacher_name;
    int64_t school_id;
    str_t subject_code;
} teaching_t;

int teaching_set(store_tx_t *tx, int64_t teacher_id, int64_t subject_id, int64_t class_id, int64_t group_id,
                 upsert_result_t *result);
/* The teaching row teacher x subject x (class_id or group_id, the other 0): 1 found
 * (its id in *id), 0 none. */
int teaching_find(store_src_t src, int64_t teacher_id, int64_t subject_id, int64_t class_id, int64_t group_id,
                  int64_t *id);
int teaching_of_teacher(store_src_t src, arena_t *a, int64_t teacher_id, teaching_t **out);
int teaching_of_class(store_src_t src, arena_t *a, int64_t class_id, teaching_t **out);
/* One teaching row: 1 found, 0 none. */
int teaching_get(store_src_t src, arena_t *a, int64_t id, teaching_t *out);
/* Everything taught to a pupil: their class's and their groups' teaching. */
int teaching_of_pupil(store_src_t src, arena_t *a, int64_t class_id, const int64_t *groups, int ngroups,
                      teaching_t **out);

#endif
