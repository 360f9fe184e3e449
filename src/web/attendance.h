/* The attendance pages (roll calls, a pupil's absences, the school's day) and
 * their JSON API twin (src/api/attendance.c).
 *
 * Contract: attendance_register_routes adds the pages and the API routes. Every
 * handler asks policy (POLICY_TEACHING_WRITE for a roll call, POLICY_PUPIL_RECORD
 * to read a pupil's absences, POLICY_PUPIL_JUSTIFY to justify one,
 * POLICY_SCHOOL_LIFE for the school's day and reviews): unknown ids are 404,
 * refusals 403. Writes answer after their commit; a refused form comes back
 * with what was typed.
 */
#ifndef CARTABLE_WEB_ATTENDANCE_H
#define CARTABLE_WEB_ATTENDANCE_H

#include <stddef.h>

#include "domain/attendance.h"
#include "http/request.h"
#include "http/router.h"
#include "web_generated.h"

int attendance_register_routes(router_t *router, char *err, size_t errlen);
/* The API half, registered by attendance_register_routes. */
int attendance_api_register_routes(router_t *router, char *err, size_t errlen);

/* The catalogue message explaining a refusal. */
msg_id_t attendance_problem_msg(attendance_problem_t p);
/* HTTP status for a refusal: 409 for a state conflict, 400 otherwise. */
int attendance_problem_status(attendance_problem_t p);
/* "20/11/2026" (fr) or "2026-11-20" (en), in the arena. */
const char *attendance_date_label(request_t *r, date_t d);

#endif
