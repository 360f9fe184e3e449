/* web/grades: the grades pages (a teaching's evaluations, the marks grid, a
 * pupil's marks by subject, the term report) and, in api/grades.c, their JSON
 * twins. Both share the loaders and the write job declared here.
 *
 * Contract: every access goes through policy_allows: POLICY_TEACHING_READ to see
 * an evaluation, POLICY_TEACHING_WRITE to create, change, delete it or set its
 * marks, POLICY_PUPIL_RECORD to see a pupil's marks (and, on an evaluation's
 * page, which pupils' marks a reader sees). Unknown ids answer 404, refusals
 * 403. Every write is one store job (grades_job_run) answered after its COMMIT;
 * a refused input is answered 400 with each field's message and what was typed.
 */
#ifndef CARTABLE_WEB_GRADES_H
#define CARTABLE_WEB_GRADES_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/policy.h"
#include "auth/principal.h"
#include "domain/grades.h"
#include "http/request.h"
#include "http/router.h"

int grades_register_routes(router_t *router, char *err, size_t errlen);
/* The JSON API (api/grades.c); grades_register_routes calls it. */
int grades_api_register_routes(router_t *router, char *err, size_t errlen);

/* ---- shared by the pages and the API ---- */

typedef struct grades_eval_ctx {
    evaluation_t e;
    teaching_t t;
    bool can_write;
} grades_eval_ctx_t;

/* Loads an evaluation and its teaching and checks `action` on the teaching;
 * otherwise answers 404/403/503 and returns false. */
bool grades_load_evaluation(request_t *r, const principal_t *p, int64_t id, policy_action_t action,
                            grades_eval_ctx_t *out);
/* Loads a teaching and checks `action`; answers otherwise. */
bool grades_load_teaching(request_t *r, const principal_t *p, int64_t id, policy_action_t action, teaching_t *out);
/* May this person see this pupil's mark in an evaluation of the teaching? */
bool grades_may_see_mark(const principal_t *p, const teaching_t *t, int64_t pupil_id);

typedef struct grades_pupil_term {
    person_t person;
    term_t *terms;
    int nterms;
    int current; /* index in terms */
    pupil_grades_t grades;
} grades_pupil_term_t;

/* The pupil's marks for the term named by ?term=N (default: today's), after
 * POLICY_PUPIL_RECORD; answers 400/403/404/503 itself and returns false. */
bool grades_load_pupil_term(request_t *r, const principal_t *p, int64_t pupil_id, grades_pupil_term_t *out);

typedef enum grades_job_kind { GRADES_JOB_CREATE, GRADES_JOB_UPDATE, GRADES_JOB_DELETE, GRADES_JOB_MARKS } grades_job_kind_t;

typedef struct grades_job {
    grades_job_kind_t kind;
    teaching_t teaching;
    int64_t evaluation_id;
    evaluation_input_t in;
    mark_input_t *marks;
    int nmarks;
    int64_t author;
    date_t today;
    int64_t now;
    /* results */
    int64_t out_id;
    int bad;
    grades_error_t why;
    int deleted;
    void *page; /* the handler's state for answering */
} grades_job_t;

int grades_job_run(store_tx_t *tx, void *ud);

/* A catalogue sentence for a refused field (the value's range names the scale). */
const char *grades_error_message(request_t *r, grades_error_t e, double scale);
/* A number for people: "12,5" in French; fixed2 forces two decimals ("12,50"). */
const char *grades_number(request_t *r, double v, bool fixed2);
/* Rounded to 2 decimals for JSON, or null. */
struct value;
struct value *grades_json_number(request_t *r, bool has, double v);

#endif
