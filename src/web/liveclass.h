/* liveclass (web): the live-class pages and their JSON API (docs/live-class.md).
 *
 * Contract: the pages work without JavaScript (the room's chat and the lobby are
 * plain forms through the hub's slow path); scheduling and hosting are decided
 * by policy (POLICY_LIVE_HOST), coming in by live_hub_identify. Every refusal
 * hands back what was typed.
 */
#ifndef CARTABLE_WEB_LIVECLASS_H
#define CARTABLE_WEB_LIVECLASS_H

#include "auth/principal.h"
#include "domain/liveclass.h"
#include "http/request.h"
#include "http/router.h"
#include "web_generated.h"

msg_id_t liveclass_problem_msg(live_problem_t p);
/* Checks that p may host live classes of teaching_id and starts a draft for it:
 * 1, or 0 with *status 403 (no such teaching, or not theirs) or 503. */
int liveclass_prepare(request_t *r, const principal_t *p, int64_t teaching_id, live_draft_t *d, teaching_t *t,
                      int *status);

/* The live classes this person hosts or follows (as a pupil or parent), from
 * those still open to those within LIST_DAYS; hosted: the teachings they may
 * schedule for. Returns the count or a negative status. */
int liveclass_for_person(request_t *r, const principal_t *p, live_class_t **out, teaching_t **hosted, int *nhosted);

int liveclass_register_routes(router_t *router, char *err, size_t errlen);
int liveclass_api_register_routes(router_t *router, char *err, size_t errlen);

#endif
