/* homework: the cahier de textes (what was done in each lesson, the homework
 * given) and pupils' hand-ins.
 *
 * Contract:
 * - Lessons and homework belong to a teaching. publish_at NULL is a draft, seen
 *   only by whoever may write for the teaching; otherwise pupils and parents see
 *   the entry from publish_at on (a teacher can prepare tomorrow's homework).
 * - Homework has a due date and a deadline instant (due_at: the due date at
 *   due_min, 08:00 by default) for online hand-in. A pupil may hand in and hand in
 *   again until the deadline; the first hand-in after it is accepted and marked
 *   late, and none is accepted after the teacher has returned it. Each hand-in
 *   replaces the previous text and files and records the server's time.
 * - Readers take the teachings to show (a pupil's class and groups, a teacher's
 *   own) and a `now`: published entries only, unless with_drafts.
 * - Writes validate every field and return HOMEWORK_INVALID with a message in
 *   err (in English; handlers map them to the catalogue by code); they mark the
 *   teaching's key (school_day_touch).
 */
#ifndef CARTABLE_DOMAIN_HOMEWORK_H
#define CARTABLE_DOMAIN_HOMEWORK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "domain/directory.h"
#include "domain/files.h"
#include "store/store.h"

enum { HOMEWORK_INVALID = -10, HOMEWORK_CLOSED = -11 };

#define HOMEWORK_TITLE_MAX 200
#define HOMEWORK_TEXT_MAX 20000
#define HOMEWORK_LINKS_MAX 2000
#define HOMEWORK_DEFAULT_DUE_MIN (8 * 60)

typedef struct lesson_entry {
    int64_t id;
    int64_t teaching_id;
    date_t on;
    str_t title, content, links;
    int64_t publish_at; /* 0: draft */
    int64_t updated_at;
    str_t subject_name, target_name, teacher_name;
} lesson_entry_t;

typedef struct homework_item {
    int64_t id;
    int64_t teaching_id;
    int64_t lesson_id;
    date_t given_on, due_on;
    int64_t due_at;
    str_t title, instructions;
    int minutes;
    bool hand_in;
    int64_t publish_at; /* 0: draft */
    str_t subject_name, target_name, teacher_name;
    /* for one pupil, when read with a pupil */
    bool done;
    int64_t submitted_at; /* 0: not handed in */
    bool late;
    bool returned;
} homework_item_t;

typedef struct lesson_input {
    date_t on;
    str_t title, content, links;
    bool publish;
    int64_t publish_at; /* 0: now, when publishing */
} lesson_input_t;

typedef struct homework_input {
    date_t given_on, due_on;
    int due_min; /* -1: HOMEWORK_DEFAULT_DUE_MIN */
    str_t title, instructions;
    int minutes;
    bool hand_in;
    bool publish;
    int64_t publish_at;
    int64_t lesson_id;
} homework_input_t;

/* id 0 creates; otherwise the entry must belong to the teaching. *out_id gets the id. */
int lesson_save(store_tx_t *tx, const teaching_t *t, int64_t id, const lesson_input_t *in, int64_t author,
                int64_t *out_id, char *err, size_t errlen);
int lesson_delete(store_tx_t *tx, const teaching_t *t, int64_t id);
int homework_save(store_tx_t *tx, const teaching_t *t, int64_t id, const homework_input_t *in, int64_t author,
                  int64_t *out_id, char *err, size_t errlen);
int homework_delete(store_tx_t *tx, const teaching_t *t, int64_t id);
/* Copies a lesson (and its homework) to another teaching, as drafts, the same day. */
int lesson_copy(store_tx_t *tx, const teaching_t *from, int64_t lesson_id, const teaching_t *to, int64_t author,
                int64_t *out_id);

int lesson_get(store_src_t src, arena_t *a, int64_t id, lesson_entry_t *out);
int homework_get(store_src_t src, arena_t *a, int64_t id, homework_item_t *out);

/* Lessons of the teachings between two dates (inclusive), newest first. */
int lessons_between(store_src_t src, arena_t *a, const teaching_t *t, int nt, date_t from, date_t to, int64_t now,
                    bool with_drafts, lesson_entry_t **out);
/* Homework due between two dates, by due date; with pupil_id, each item says
 * whether that pupil ticked it done or handed it in. */
int homework_due_between(store_src_t src, arena_t *a, const teaching_t *t, int nt, date_t from, date_t to,
                         int64_t now, bool with_drafts, int64_t pupil_id, homework_item_t **out);
/* Attaches stored files to a lesson (their rows inserted here). */
int lesson_attach(store_tx_t *tx, const teaching_t *t, int64_t lesson_id, int64_t owner, const stored_file_t *files,
                  int nfiles);
typedef struct lesson_file {
    int64_t lesson_id;
    stored_file_t file;
} lesson_file_t;
/* Files of the teachings' lessons between two dates. */
int lesson_files_between(store_src_t src, arena_t *a, const teaching_t *t, int nt, date_t from, date_t to,
                         lesson_file_t **out);

/* Homework given in a lesson. */
int homework_of_lesson(store_src_t src, arena_t *a, int64_t lesson_id, homework_item_t **out);

/* A pupil ticks (or unticks) a homework as done. */
int homework_mark_done(store_tx_t *tx, const teaching_t *t, int64_t homework_id, int64_t pupil_id, bool done);

/* ---- hand-ins ---- */

typedef struct submission {
    int64_t id;
    int64_t homework_id;
    int64_t pupil_id;
    str_t pupil_name;
    str_t text;
    int64_t submitted_at;
    bool late;
    int revision;
    str_t feedback;
    bool has_mark;
    double mark;
    int64_t returned_at;
    stored_file_t *files;
    int nfiles;
} submission_t;

#define SUBMISSION_FILES_MAX 10

/* Hands in (or again): text and already adopted files (their rows are inserted
 * here). HOMEWORK_CLOSED when the deadline has passed and a hand-in exists, or
 * the teacher has returned it. */
int submission_save(store_tx_t *tx, const teaching_t *t, const homework_item_t *hw, int64_t pupil_id, str_t text,
                    const stored_file_t *files, int nfiles, int64_t now, int64_t *out_id, char *err, size_t errlen);
/* 1 found, 0 none; files included. */
int submission_get(store_src_t src, arena_t *a, int64_t homework_id, int64_t pupil_id, submission_t *out);
int submission_by_id(store_src_t src, arena_t *a, int64_t id, submission_t *out);
/* Every hand-in of a homework, by pupil name, files included. */
int submissions_of_homework(store_src_t src, arena_t *a, int64_t homework_id, submission_t **out);
/* The teacher returns a hand-in with feedback and an optional mark (0..20). */
int submission_return(store_tx_t *tx, const teaching_t *t, int64_t submission_id, str_t feedback, bool has_mark,
                      double mark, int64_t now, char *err, size_t errlen);

/* Is every link a http(s) URL, one per line? */
bool homework_links_valid(str_t links);

#endif
