/* demo_day: the demo school's school day (see demo.h for the school itself).
 *
 * Contract: demo_school_day fills a freshly built demo school, inside the same
 * write job: a timetable for every class (A/B weeks, option groups), the school
 * year's holidays, a few timetable changes around `today`, and cahier de textes
 * entries and homework from three weeks before to one week after it; then each
 * school-day module's demo data (grades, attendance, news). Deterministic for a
 * seed and a date.
 */
#ifndef CARTABLE_DOMAIN_DEMO_DAY_H
#define CARTABLE_DOMAIN_DEMO_DAY_H

#include <stdint.h>

#include "core/clock.h"
#include "store/store.h"

int demo_school_day(store_tx_t *tx, int64_t school_id, date_t today, uint64_t seed);

#endif
