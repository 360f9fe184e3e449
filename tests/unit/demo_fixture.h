/* demo_fixture: the demo school in a fresh temporary data directory, for unit
 * tests that read and write a real store. Include it in one test file (its state
 * is that file's) and pass demo_setup / demo_teardown to cmocka. */
#ifndef CARTABLE_TESTS_DEMO_FIXTURE_H
#define CARTABLE_TESTS_DEMO_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/demo.h"
#include "store/store.h"

static char demo_dir[64];
static store_t *demo_store;
static store_reader_t *demo_reader;

static int demo_setup(void **state)
{
    (void)state;
    strcpy(demo_dir, "/tmp/cartable-test-XXXXXX");
    if (!mkdtemp(demo_dir))
        return -1;
    char data[128], err[256];
    snprintf(data, sizeof data, "%s/data", demo_dir);
    store_options_t o = {.data_dir = data};
    if (store_open(&o, &demo_store, err, sizeof err) != 0 || demo_seed(demo_store) != 1)
        return -1;
    demo_reader = store_reader_open(demo_store);
    return 0;
}

static int demo_teardown(void **state)
{
    (void)state;
    store_reader_close(demo_reader);
    store_close(demo_store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", demo_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
