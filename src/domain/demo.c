#include "domain/demo.h"

#include "core/log.h"
#include "domain/school.h"

static int count_schools(void *ud, const store_row_t *row)
{
    *(int64_t *)ud = store_row_int(row, 0);
    return 0;
}

static int seed(store_tx_t *tx, void *ud)
{
    (void)ud;
    int64_t n = 0;
    int rc = store_tx_query(tx, "SELECT COUNT(*) FROM schools", STORE_NO_ARGS, count_schools, &n);
    if (rc < 0)
        return rc;
    if (n > 0)
        return 0;
    school_t s = {
        .uai = STR(DEMO_SCHOOL_UAI),
        .name = STR("Collège Jean Moulin (démo)"),
        .kind = STR("college"),
        .city = STR("Villeneuve-sur-Lot"),
        .timezone = STR("Europe/Paris"),
        .is_demo = true,
    };
    rc = school_create(tx, &s);
    return rc < 0 ? rc : 1;
}

int demo_seed(store_t *store)
{
    int rc = store_write_sync(store, seed, NULL);
    if (rc == 1)
        LOG_INFO("demo school created", "uai=%s", DEMO_SCHOOL_UAI);
    return rc;
}
