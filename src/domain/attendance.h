/* attendance: roll calls, absences and lateness, and their justification.
 *
 * Contract:
 * - A roll call is one lesson occurrence of a teaching (teaching, date, start
 *   minute; the timetable slot when the lesson comes from one). Taking it again
 *   edits it: attendance_roll_call_save is ONE write that upserts the roll call
 *   and replaces its absences. A pupil marked present again loses the absence; a
 *   pupil still absent (or late) keeps the justification already given.
 * - Every pupil of a line must be in the teaching's roster on that date (its
 *   class, or its group); pupils of the roster without a line are present.
 *   Lateness is 1 to ATTENDANCE_LATE_MAX minutes. Refusals return
 *   ATTENDANCE_INVALID with the problem in *problem, and write nothing.
 * - Justification: the reason (1 to ATTENDANCE_REASON_MAX characters) sets an
 *   absence `pending` (or `justified` at once when the school's staff give it);
 *   staff then accept (`justified`) or refuse (`refused`) a pending one. A
 *   justified absence cannot be justified again.
 * - Writes mark the teaching's school-day key (school_day_touch).
 * - Who may do what is policy's business (auth/policy.h), not this module's.
 */
#ifndef CARTABLE_DOMAIN_ATTENDANCE_H
#define CARTABLE_DOMAIN_ATTENDANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/str.h"
#include "domain/directory.h"
#include "store/store.h"

enum { ATTENDANCE_INVALID = -20 };

#define ATTENDANCE_LATE_MAX 240
#define ATTENDANCE_REASON_MAX 1000
/* Lessons starting before this minute are in the morning half-day. */
#define ATTENDANCE_NOON_MIN (12 * 60 + 30)

typedef enum attendance_mark { MARK_PRESENT = 0, MARK_ABSENT, MARK_LATE } attendance_mark_t;

typedef enum absence_status {
    ABSENCE_UNJUSTIFIED = 0,
    ABSENCE_PENDING,
    ABSENCE_JUSTIFIED,
    ABSENCE_REFUSED,
} absence_status_t;

typedef enum attendance_problem {
    ATT_OK = 0,
    ATT_BAD_DATE,         /* not a date, or after today */
    ATT_BAD_TIME,         /* start not within the day */
    ATT_BAD_MARK,         /* not present, absent or late */
    ATT_BAD_MINUTES,      /* lateness out of 1..ATTENDANCE_LATE_MAX */
    ATT_NOT_IN_TEACHING,  /* a pupil outside the teaching's roster */
    ATT_DUPLICATE_PUPIL,  /* the same pupil twice */
    ATT_REASON_EMPTY,
    ATT_REASON_TOO_LONG,
    ATT_BAD_TEXT,         /* invalid UTF-8 or control characters */
    ATT_ALREADY_JUSTIFIED,
    ATT_NOT_PENDING,      /* a review of an absence nobody justified */
    ATT_NO_SUCH_ABSENCE,
} attendance_problem_t;

const char *attendance_mark_code(attendance_mark_t m);   /* "present", "absent", "late" */
bool attendance_mark_parse(str_t s, attendance_mark_t *out);
const char *absence_status_code(absence_status_t s);     /* "unjustified", "pending", ... */
const char *attendance_problem_code(attendance_problem_t p); /* "bad_date"... for the API */

typedef struct roll_call_line {
    int64_t pupil_id;
    attendance_mark_t mark;
    int minutes_late; /* MARK_LATE only */
} roll_call_line_t;

typedef struct roll_call_input {
    teaching_t teaching;
    int64_t slot_id;   /* 0: not from the timetable */
    date_t on;
    int starts_min, ends_min;
    const roll_call_line_t *lines;
    int nlines;
    int64_t taken_by;
    int64_t now;       /* Unix seconds */
    date_t today;      /* later dates are refused */
} roll_call_input_t;

/* Validates without writing (the same checks the save makes against its roster). */
attendance_problem_t attendance_check_lines(const roll_call_input_t *in, const person_t *roster, int nroster);
/* The write (see the contract). *id receives the roll call's id. */
int attendance_roll_call_save(store_tx_t *tx, const roll_call_input_t *in, int64_t *id,
                              attendance_problem_t *problem);

/* The lesson of a teaching starting at start_min on a day, from the timetable:
 * 1 found (slot_id, ends_min set; slot_id 0 for an extra session), 0 not in the
 * timetable (slot_id 0, ends_min = start + ATTENDANCE_DEFAULT_MINUTES). */
#define ATTENDANCE_DEFAULT_MINUTES 55
int attendance_lesson_at(store_src_t src, arena_t *a, const teaching_t *t, date_t day, int start_min, int64_t *slot_id,
                         int *ends_min);
/* The first lesson of a teaching on a day: 1 found (*start_min set), 0 none. */
int attendance_first_lesson(store_src_t src, arena_t *a, const teaching_t *t, date_t day, int *start_min);

/* The pupils a roll call is about: the class's on that date, or the group's. */
int attendance_roster(store_src_t src, arena_t *a, const teaching_t *t, date_t on, person_t **out);

typedef struct roll_call {
    int64_t id;
    int64_t teaching_id;
    int64_t slot_id;
    date_t on;
    int starts_min;
    int64_t taken_by;
    int64_t taken_at;
} roll_call_t;

/* The roll call of a lesson: 1 found, 0 none. */
int attendance_roll_call_get(store_src_t src, arena_t *a, int64_t teaching_id, date_t on, int starts_min,
                             roll_call_t *out);

typedef struct absence {
    int64_t id;
    int64_t school_id;
    int64_t pupil_id;
    int64_t roll_call_id;
    int64_t teaching_id; /* 0 without a roll call */
    date_t on;
    int starts_min, ends_min;
    attendance_mark_t kind; /* MARK_ABSENT or MARK_LATE */
    int minutes_late;
    absence_status_t status;
    str_t reason;
    str_t pupil_name;       /* "First Last" */
    str_t class_name;       /* the pupil's class on that date, or "" */
    str_t subject_name;     /* of the teaching, or "" */
    int64_t justified_by;
    int64_t justified_at;
} absence_t;

/* An absence by id: 1 found, 0 none. */
int attendance_absence_get(store_src_t src, arena_t *a, int64_t id, absence_t *out);
/* The absences and lateness of a roll call. */
int attendance_roll_call_absences(store_src_t src, arena_t *a, int64_t roll_call_id, absence_t **out);

typedef struct attendance_totals {
    int absences;     /* lessons missed */
    int half_days;    /* distinct (date, morning/afternoon) with an absence */
    int lateness;     /* times late */
    int late_minutes;
    int unjustified;  /* absences and lateness neither justified nor pending */
    int pending;
} attendance_totals_t;

/* A pupil's absences and lateness, newest first, with totals (either may be NULL). */
int attendance_of_pupil(store_src_t src, arena_t *a, int64_t pupil_id, absence_t **out, attendance_totals_t *totals);
/* Since a date (included), newest first: for dashboards. */
int attendance_recent(store_src_t src, arena_t *a, int64_t pupil_id, date_t since, absence_t **out);

/* A school's day: every absence of the date (by class then name), the roll calls
 * taken and the lessons whose roll call is missing (from the timetable). */
typedef struct school_day_lesson {
    int64_t teaching_id;
    int64_t slot_id;
    int starts_min, ends_min;
    str_t subject_name, target_name, teacher_name;
    int64_t roll_call_id; /* 0: not taken */
    int absent, late;
} school_day_lesson_t;

int attendance_school_day(store_src_t src, arena_t *a, int64_t school_id, date_t on, absence_t **absences,
                          int *nabsences, school_day_lesson_t **lessons, int *nlessons);
/* Pending justifications of a school, oldest first. */
int attendance_pending(store_src_t src, arena_t *a, int64_t school_id, absence_t **out);

/* A teacher's lessons of a day (timetable, with changes applied; cancelled ones
 * left out), each with its roll call if taken. */
typedef struct roll_call_due {
    int64_t teaching_id;
    int64_t slot_id;
    date_t on;
    int starts_min, ends_min;
    str_t subject_name, target_name, room;
    int64_t roll_call_id; /* 0: not taken yet */
    bool started;         /* the lesson has started (now_min >= starts_min on today) */
} roll_call_due_t;

int attendance_teacher_day(store_src_t src, arena_t *a, int64_t teacher_id, int64_t school_id, date_t day,
                           int now_min, roll_call_due_t **out);
/* For dashboards: the lessons of the day that have started and have no roll call. */
int attendance_roll_calls_due(store_src_t src, arena_t *a, int64_t teacher_id, int64_t school_id, date_t day,
                              int now_min, roll_call_due_t **out);

/* Justification: reason checked as the contract says; accepted: the staff gave it. */
int attendance_justify(store_tx_t *tx, int64_t absence_id, int64_t by, str_t reason, bool accepted, int64_t now,
                       attendance_problem_t *problem);
/* Staff's decision on a pending justification. */
int attendance_review(store_tx_t *tx, int64_t absence_id, bool accept, attendance_problem_t *problem);
/* Checks a reason without writing. */
attendance_problem_t attendance_check_reason(str_t reason);

/* Demo data (attendance_demo.c): two weeks of roll calls before `today` for the
 * school's timetable, with absences and lateness; Léa Martin (demo.eleve) gets one
 * unjustified absence her mother can justify. */
int demo_attendance(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed);

#endif
