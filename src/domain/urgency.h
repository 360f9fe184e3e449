/* urgency: does a person have something that cannot wait, within the hour?
 *
 * Contract: yes for a teacher with a lesson of theirs starting within the next
 * hour or under way (a roll call to take, a class to start), and for a pupil with
 * an online hand-in due within the next hour that they have not handed in yet.
 * It is what lets someone through the waiting room's priority lane, so it reads
 * only what it must (their own teachings, their own homework) and counts
 * cancelled lessons out.
 */
#ifndef CARTABLE_DOMAIN_URGENCY_H
#define CARTABLE_DOMAIN_URGENCY_H

#include <stdint.h>

#include "auth/principal.h"
#include "core/arena.h"
#include "store/store.h"

#define URGENCY_WINDOW_MINUTES 60

/* 1 urgent, 0 not, negative on a store error. */
int urgency_now(store_reader_t *r, arena_t *a, const principal_t *p, int64_t now);

#endif
