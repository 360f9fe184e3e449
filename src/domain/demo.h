/* demo: the demonstration school `cartable serve --demo` creates.
 *
 * Contract: demo_seed creates the demo data only in an empty database (no
 * school yet), in one transaction, and is a no-op otherwise; it never touches
 * a database that holds real schools.
 */
#ifndef CARTABLE_DOMAIN_DEMO_H
#define CARTABLE_DOMAIN_DEMO_H

#include "store/store.h"

#define DEMO_SCHOOL_UAI "0999999F"

/* Returns 1 if it created the demo, 0 if the database already had a school, <0 on error. */
int demo_seed(store_t *store);

#endif
