/* schoolday: the pages of a pupil's (or a parent's) school day and a teacher's:
 * today, the week's timetable, the cahier de textes, the calendar feed; the
 * teacher's notebook and hand-ins live in web/notebook.c.
 *
 * Contract: a pupil sees their own day; a parent the day of the child chosen in
 * family mode (request_current_child) or named by ?pupil=ID; every read is
 * checked with policy (POLICY_PUPIL_RECORD for a pupil's day, POLICY_TEACHING_READ
 * for a teaching's). Class-level data comes from the worker's dayview cache;
 * only what is personal (done ticks, hand-ins) is read per request.
 */
#ifndef CARTABLE_WEB_SCHOOLDAY_H
#define CARTABLE_WEB_SCHOOLDAY_H

#include "auth/principal.h"
#include "core/value.h"
#include "domain/homework.h"
#include "domain/liveclass.h"
#include "domain/timetable.h"
#include "http/request.h"
#include "http/router.h"

/* A pupil's merged view (class + groups) for DAYVIEW_DAYS days from `from`:
 * published homework only, with the pupil's done/hand-in state. */
typedef struct learner_day {
    timetable_entry_t *entries;
    int nentries;
    homework_item_t *homework;
    int nhomework;
    live_class_t *live; /* live classes of the class and groups, by start */
    int nlive;
} learner_day_t;

int learner_day_load(request_t *r, const learner_t *l, date_t from, learner_day_t *out);
/* The learner a request is about: ?pupil=ID, else the principal (pupil) or the
 * family-mode child (parent). Answers 403/404 itself and returns NULL. */
const learner_t *request_learner(request_t *r);

/* A live class for a list (title, subject, time, room_url, joinable now). */
value_t *live_class_value(request_t *r, const live_class_t *lc);

/* View helpers shared with the notebook and API. */
value_t *entry_value(request_t *r, const timetable_entry_t *e);
value_t *homework_value(request_t *r, const homework_item_t *h);
/* "lundi 23 novembre" in the request's language. */
const char *day_label(request_t *r, date_t d);

/* Adds the signed-in person's day to the dashboard view: "day" (a pupil's, or the
 * family-mode child's) and "teacher_day". false on a store error. */
bool schoolday_dashboard(request_t *r, const principal_t *p, value_t *v);

int schoolday_register_routes(router_t *router, char *err, size_t errlen);
int notebook_register_routes(router_t *router, char *err, size_t errlen);
int schoolday_api_register_routes(router_t *router, char *err, size_t errlen);

#endif
