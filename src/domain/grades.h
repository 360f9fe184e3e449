/* grades: evaluations, marks, terms and the averages of a term report.
 *
 * Contract:
 * - An evaluation belongs to a teaching (teacher x subject x class or group): a
 *   title (1..GRADES_TITLE_MAX characters), a date, a coefficient (0 < c <= 100)
 *   and a scale ("sur", 0 < s <= 1000, 20 by default).
 * - A mark is one pupil's result in an evaluation: status `mark` with a value
 *   (0 <= value <= scale, at most 2 decimals), or `absent`, `exempt`,
 *   `not_handed_in` with no value; a comment (GRADES_COMMENT_MAX characters) may
 *   go with any status. Only pupils of the teaching's class (class_roster, on the
 *   evaluation's date or today) or group (group_roster) may be marked.
 * - Averages, as French schools compute them, in double, rounded only for
 *   display (grades_round2):
 *     each mark is brought to /20: value / scale * 20;
 *     a subject's average = sum(mark20 x coefficient) / sum(coefficient) over the
 *       pupil's marks with status `mark` in the term; absent, exempt and not
 *       handed in are LEFT OUT (they neither count as 0 nor weigh);
 *     the overall average = the plain mean of the subject averages (subjects have
 *       no coefficient yet); a subject without any counted mark is left out;
 *     an evaluation's class average, min and max are over its `mark` values, in
 *       its own scale;
 *     a subject's class average, min and max (term report) are over the averages
 *       of the pupils who have one in that subject.
 * - Terms: the school's rows in `terms` for the school year; a school that has
 *   none for a year gets the DEFAULT TRIMESTERS: 1 September - 30 November,
 *   1 December - 28/29 February, 1 March - 31 August.
 * - Writes validate everything first (GRADES_INVALID, with a grades_error_t
 *   saying which rule failed), run in one write job (a grid of marks is one
 *   job: all or nothing) and mark the teaching's cache key (school_day_touch).
 */
#ifndef CARTABLE_DOMAIN_GRADES_H
#define CARTABLE_DOMAIN_GRADES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "domain/directory.h"
#include "domain/people.h"
#include "store/store.h"

enum { GRADES_INVALID = -10 };

#define GRADES_TITLE_MAX 200
#define GRADES_COMMENT_MAX 500
#define GRADES_DEFAULT_SCALE 20.0
#define GRADES_COEFFICIENT_MAX 100.0
#define GRADES_SCALE_MAX 1000.0
#define GRADES_MARKS_MAX 500 /* marks in one write */

typedef enum grade_status {
    GRADE_NONE = 0, /* nothing entered (in a write: remove the pupil's mark) */
    GRADE_MARK,
    GRADE_ABSENT,
    GRADE_EXEMPT,
    GRADE_NOT_HANDED_IN,
} grade_status_t;

/* "none", "mark", "absent", "exempt", "not_handed_in" */
const char *grade_status_code(grade_status_t s);
/* Accepts the codes above; "" reads as "none". */
bool grade_status_parse(str_t s, grade_status_t *out);

/* Which rule an input broke. */
typedef enum grades_error {
    GRADES_OK = 0,
    GRADES_E_TITLE,             /* missing, or longer than GRADES_TITLE_MAX */
    GRADES_E_DATE,              /* not a real YYYY-MM-DD date */
    GRADES_E_COEFFICIENT,       /* not in ]0, 100] */
    GRADES_E_SCALE,             /* not in ]0, 1000] */
    GRADES_E_SCALE_BELOW_MARKS, /* a new scale below marks already given */
    GRADES_E_NOT_NUMBER,        /* typed text is not a number */
    GRADES_E_PRECISION,         /* more than 2 decimals */
    GRADES_E_STATUS,            /* unknown status */
    GRADES_E_VALUE_MISSING,     /* status mark without a value */
    GRADES_E_VALUE_RANGE,       /* below 0 or above the scale */
    GRADES_E_VALUE_UNEXPECTED,  /* a value with a status other than mark */
    GRADES_E_COMMENT,           /* longer than GRADES_COMMENT_MAX */
    GRADES_E_PUPIL,             /* not a pupil of the teaching's class or group */
    GRADES_E_DUPLICATE,         /* the same pupil twice in one write */
    GRADES_E_TOO_MANY,          /* more than GRADES_MARKS_MAX marks */
    GRADES_E_NOT_FOUND,         /* no such evaluation in this teaching */
} grades_error_t;

/* A sentence in English (API details, logs). */
const char *grades_error_text(grades_error_t e);

/* ---- arithmetic (pure, no store) ---- */

typedef struct grade_stats {
    int count; /* 0: no value, the rest is meaningless */
    double average, min, max;
} grade_stats_t;

typedef struct grade_point {
    grade_status_t status;
    double value, scale, coefficient;
} grade_point_t;

/* value / scale * 20 */
double grades_on20(double value, double scale);
/* Rounded half away from zero to 2 decimals, for display only. */
double grades_round2(double v);
/* The weighted /20 average of the points with status mark; false when none counts. */
bool grades_average(const grade_point_t *points, int n, double *out);
/* Mean, min and max of n values. */
void grades_stats(const double *values, int n, grade_stats_t *out);
/* Parses typed text: "12", "12.5", "12,75" (French comma), a leading '-' (so that
 * a negative is refused for its range), spaces around. GRADES_E_NOT_NUMBER or
 * GRADES_E_PRECISION (3 decimals or more). */
grades_error_t grades_parse_number(str_t s, double *out);
/* At most 2 decimals? */
bool grades_two_decimals(double v);

/* ---- terms ---- */

typedef struct term {
    int number;   /* 1.. */
    str_t label;  /* empty for the default trimesters: show "Trimestre N" */
    date_t starts, ends;
} term_t;

/* The three default trimesters of the school year `on` falls in. */
void grades_default_terms(date_t on, term_t out[3]);
/* The terms of the school year `on` falls in (stored ones, else the default
 * trimesters), by number: returns their count (>= 1) or a negative status. */
int grades_terms(store_src_t src, arena_t *a, int64_t school_id, date_t on, term_t **out);
/* The index of the term containing `on`; between terms the last one started; before
 * the first, 0. */
int grades_term_index(const term_t *terms, int n, date_t on);

/* ---- evaluations and marks ---- */

typedef struct evaluation {
    int64_t id, school_id, teaching_id, author_id;
    str_t title;
    date_t on;
    double coefficient, scale;
    int64_t created_at, updated_at;
    grade_stats_t stats; /* over its `mark` values, in its own scale */
    int nstatus[5];      /* marks entered per grade_status_t */
} evaluation_t;

typedef struct evaluation_input {
    str_t title;
    date_t on;          /* {0} when the typed date did not parse */
    double coefficient; /* 1 when not given */
    double scale;       /* GRADES_DEFAULT_SCALE when not given */
} evaluation_input_t;

/* Per-field verdicts on an evaluation's fields. */
typedef struct evaluation_errors {
    grades_error_t title, date, coefficient, scale;
} evaluation_errors_t;

/* Checks each field whose error is still GRADES_OK (a caller that failed to parse
 * a field sets its error first); true when all are fine. */
bool evaluation_check(const evaluation_input_t *in, evaluation_errors_t *errs);

typedef struct mark_input {
    int64_t pupil_id;
    grade_status_t status;
    bool has_value;
    double value;
    str_t comment;
} mark_input_t;

/* The rules of one mark against an evaluation's scale (not the roster). */
grades_error_t mark_check(const mark_input_t *m, double scale);

/* Creates (id 0) or updates an evaluation of the teaching. *why says what was
 * refused when GRADES_INVALID is returned. */
int evaluation_save(store_tx_t *tx, const teaching_t *t, int64_t id, const evaluation_input_t *in, int64_t author,
                    int64_t now, int64_t *out_id, grades_error_t *why);
/* Deletes an evaluation of the teaching and its marks: 1 done, 0 none. */
int evaluation_delete(store_tx_t *tx, const teaching_t *t, int64_t id);
/* Sets the marks of many pupils at once (GRADE_NONE removes a pupil's mark), all
 * or nothing: on GRADES_INVALID, *bad is the index of the first refused mark and
 * *why the rule. Pupils left out of `marks` keep what they have. */
int marks_set(store_tx_t *tx, const teaching_t *t, int64_t evaluation_id, const mark_input_t *marks, int n,
              date_t today, int64_t now, int *bad, grades_error_t *why);

/* 1 found (with stats), 0 none. */
int evaluation_get(store_src_t src, arena_t *a, int64_t id, evaluation_t *out);
/* A teaching's evaluations, newest first, with stats. */
int evaluations_of_teaching(store_src_t src, arena_t *a, int64_t teaching_id, evaluation_t **out);

typedef struct mark {
    int64_t pupil_id;
    grade_status_t status;
    double value; /* status mark only */
    str_t comment;
    int64_t updated_at;
} mark_t;

int marks_of_evaluation(store_src_t src, arena_t *a, int64_t evaluation_id, mark_t **out);
/* Pupils who may be marked in an evaluation of the teaching on `on`: the class's
 * pupils on that date or today, or the group's; by name. */
int grades_roster(store_src_t src, arena_t *a, const teaching_t *t, date_t on, date_t today, person_t **out);

/* ---- a pupil's term ---- */

typedef struct pupil_mark {
    evaluation_t eval; /* with the class's stats for it */
    grade_status_t status; /* GRADE_NONE: nothing entered for this pupil */
    double value;
    str_t comment;
} pupil_mark_t;

typedef struct subject_grades {
    int64_t subject_id;
    str_t subject_name;
    str_t teacher_names; /* ", "-joined when several teachings share the subject */
    int64_t teaching_id; /* the first teaching of the subject */
    pupil_mark_t *marks; /* by date */
    int nmarks;
    bool has_average;
    double average;          /* the pupil's, /20 */
    grade_stats_t class_stats; /* over the pupils' averages, /20 */
} subject_grades_t;

typedef struct pupil_grades {
    subject_grades_t *subjects; /* in the order of the teachings given */
    int nsubjects;
    bool has_average;
    double average; /* plain mean of the subject averages */
} pupil_grades_t;

/* The pupil's marks and averages from `from` to `to` (inclusive) in the given
 * teachings (teaching_of_pupil), one entry per subject, subjects with no
 * evaluation included. */
int grades_of_pupil(store_src_t src, arena_t *a, int64_t pupil_id, const teaching_t *t, int nt, date_t from, date_t to,
                    pupil_grades_t *out);

/* New marks for a pupil's dashboard: marks updated at or after `since` (Unix
 * seconds), newest first, at most `limit`. */
typedef struct recent_mark {
    int64_t evaluation_id, teaching_id;
    str_t subject_name, title;
    date_t on;
    grade_status_t status;
    double value, scale, coefficient; /* value: status mark only */
    int64_t updated_at;
} recent_mark_t;

int grades_recent(store_src_t src, arena_t *a, int64_t pupil_id, int64_t since, int limit, recent_mark_t **out);

/* Demo data (grades_demo.c): for every teaching of the school, 3 to 5 evaluations
 * in the weeks before `today` in the current term and 2 in the previous one, with
 * a mark for every pupil (around 12/20, a few absent, exempt, not handed in).
 * Deterministic for a seed and a date. */
int demo_grades(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed);

#endif
