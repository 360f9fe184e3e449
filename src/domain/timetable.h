/* timetable: weekly slots, one-off changes and holidays, resolved into the
 * lessons of a day or a week.
 *
 * Contract:
 * - A slot repeats every week, or on A or B weeks only, between valid_from and
 *   valid_to, for one teaching (teacher x subject x class or group). Weeks
 *   alternate from the school year's week_a_monday (default: the year's first
 *   Monday is an A week), holidays included.
 * - A day's lessons are its slots, minus holidays, with that day's changes
 *   applied: cancelled and teacher_absent keep the lesson with its status (people
 *   must see it is off), room_change and moved change it, extra adds one.
 * - timetable_* readers take the teachings to show (a pupil's class and groups,
 *   a teacher's own) so one function serves every view. Results are sorted by
 *   start time, in the arena.
 * - Writes validate (times within the day, end after start, dates ISO, a change
 *   to a slot that exists on that date) and return TIMETABLE_INVALID with a
 *   message in err; they mark the teaching's class or group key
 *   (school_day_key) in STORE_TOPIC_SCHOOL_DAY (holidays: the whole topic).
 *   The rules live in timetable_slot_problem and timetable_holiday_problem, which
 *   importers call to check their rows before writing anything.
 * - Removing a slot keeps history: from the given day on the lesson is gone (its
 *   changes from then on are deleted, its roll calls from then on keep their
 *   teaching but lose the slot); a slot nothing refers to any more is deleted,
 *   one that earlier changes or roll calls refer to ends the day before.
 */
#ifndef CARTABLE_DOMAIN_TIMETABLE_H
#define CARTABLE_DOMAIN_TIMETABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "domain/directory.h"
#include "store/store.h"

enum { TIMETABLE_INVALID = -10 };

/* Cache key of a class's or a group's school-day data (store_key_version). */
uint64_t school_day_key(int64_t class_id, int64_t group_id);
/* Marks a teaching's key after a write about it. */
void school_day_touch(store_tx_t *tx, const teaching_t *t);

typedef enum lesson_status {
    LESSON_NORMAL = 0,
    LESSON_CANCELLED,
    LESSON_TEACHER_ABSENT,
    LESSON_ROOM_CHANGED,
    LESSON_MOVED,
    LESSON_EXTRA,
} lesson_status_t;

typedef struct timetable_entry {
    int64_t slot_id;     /* 0 for an extra session */
    int64_t change_id;   /* 0 when unchanged */
    int64_t teaching_id;
    int64_t class_id, group_id;
    date_t on;
    int starts_min, ends_min;
    str_t room;
    str_t subject_name, target_name, teacher_name;
    str_t note;
    lesson_status_t status;
} timetable_entry_t;

typedef struct timetable_slot {
    int64_t id;
    int64_t teaching_id;
    int weekday;         /* 1 Monday .. 7 Sunday */
    int starts_min, ends_min;
    char weeks;          /* 0, 'A' or 'B' */
    str_t room;
    date_t valid_from, valid_to;
} timetable_slot_t;

typedef struct timetable_holiday {
    int64_t id;
    str_t label;
    date_t from, to;
} timetable_holiday_t;

/* Is this date in a week A (true) or B (false) for the school? */
int timetable_week_is_a(store_src_t src, int64_t school_id, date_t on, bool *is_a);
/* The holiday covering a date: 1 (label in *label), 0 none. */
int timetable_holiday(store_src_t src, arena_t *a, int64_t school_id, date_t on, str_t *label);
/* The school's holidays that meet [from, to], by first day. */
int timetable_holidays_between(store_src_t src, arena_t *a, int64_t school_id, date_t from, date_t to,
                               timetable_holiday_t **out);

/* Lessons of the given teachings from `from` for `days` days (1 for a day, 7 for
 * a week), with changes applied. */
int timetable_range(store_src_t src, arena_t *a, int64_t school_id, const teaching_t *teachings, int nteachings,
                    date_t from, int days, timetable_entry_t **out);

/* Why a slot or a holiday cannot be stored (a message for people), or NULL. */
const char *timetable_slot_problem(const timetable_slot_t *slot);
const char *timetable_holiday_problem(str_t label, date_t from, date_t to);

/* Validated writes. *id receives the new row's id. */
int timetable_slot_add(store_tx_t *tx, const teaching_t *t, const timetable_slot_t *slot, int64_t *id, char *err,
                       size_t errlen);
/* Rewrites slot->id (a slot of teaching t) with slot's day, times, weeks, room and validity. */
int timetable_slot_update(store_tx_t *tx, const teaching_t *t, const timetable_slot_t *slot, char *err,
                          size_t errlen);
/* Takes slot_id (a slot of t) out of the timetable from `from` on (see the contract):
 * 1 deleted, 2 kept with its validity ending the day before, 0 no such slot of t, or
 * a negative status. */
int timetable_slot_remove(store_tx_t *tx, const teaching_t *t, int64_t slot_id, date_t from);
typedef struct timetable_change {
    int64_t slot_id;     /* 0 for an extra session */
    date_t on;
    lesson_status_t kind; /* CANCELLED, TEACHER_ABSENT, ROOM_CHANGED, MOVED or EXTRA */
    int starts_min, ends_min; /* MOVED and EXTRA */
    str_t room;               /* ROOM_CHANGED, MOVED, EXTRA (optional) */
    str_t note;
} timetable_change_t;
int timetable_change_add(store_tx_t *tx, const teaching_t *t, const timetable_change_t *c, int64_t by, int64_t *id,
                         char *err, size_t errlen);
int timetable_change_remove(store_tx_t *tx, const teaching_t *t, int64_t change_id);
int timetable_holiday_add(store_tx_t *tx, int64_t school_id, str_t label, date_t from, date_t to, int64_t *id,
                          char *err, size_t errlen);
int timetable_holiday_update(store_tx_t *tx, int64_t school_id, int64_t id, str_t label, date_t from, date_t to,
                             char *err, size_t errlen);
/* 1 removed, 0 no such holiday in the school, or a negative status. */
int timetable_holiday_remove(store_tx_t *tx, int64_t school_id, int64_t id);

/* A slot by id, with its teaching: 1 found, 0 none. */
int timetable_slot_get(store_src_t src, arena_t *a, int64_t slot_id, timetable_slot_t *out);
/* Every slot of the school, whatever its validity: the latest ending first. */
int timetable_slots_of_school(store_src_t src, arena_t *a, int64_t school_id, timetable_slot_t **out);

const char *lesson_status_code(lesson_status_t s); /* "cancelled"... for the API */
/* "08:30" */
void timetable_format_time(int minutes, char out[6]);
/* Parses "8:30" or "08:30": minutes, or -1. */
int timetable_parse_time(str_t s);
/* Parses a day of the week, 1 to 7 or its French or English name in any case
 * ("lundi", "Monday"): 1 (Monday) to 7, or -1. */
int timetable_parse_weekday(str_t s);

#endif
