/* cartable generate: an académie-sized directory for benchmarks.
 *
 *   cartable generate --schools N [--pupils-per-school M] --data DIR
 *
 * Collèges with their classes, pupils, parents, teachers and staff; every account
 * has the password "cartable-bench". Meant for an empty data directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "domain/demo.h"

int cmd_generate(int argc, char **argv)
{
    int schools = 0, pupils = 500;
    char *rest[64];
    int nrest = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--schools") == 0 && i + 1 < argc)
            schools = atoi(argv[++i]);
        else if (strcmp(argv[i], "--pupils-per-school") == 0 && i + 1 < argc)
            pupils = atoi(argv[++i]);
        else if (nrest < 64)
            rest[nrest++] = argv[i];
    }
    if (schools < 1 || schools > 9999 || pupils < 4 || pupils > 5000) {
        fprintf(stderr, "usage: cartable generate --schools N (1-9999) [--pupils-per-school M (4-5000)] --data DIR\n");
        return 2;
    }
    config_t cfg;
    if (cli_load_config(&cfg, nrest, rest) != 0)
        return 2;
    store_t *s;
    if (cli_open_store(&cfg, &s) != 0)
        return 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fprintf(stderr, "generating %d schools of about %d pupils into %s\n", schools, pupils, cfg.data_dir);
    int rc = generate_directory(s, schools, pupils, true);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    store_close(s);
    config_dispose(&cfg);
    if (rc < 0) {
        fprintf(stderr, "cartable: generation stopped (store error %d)\n", rc);
        return 1;
    }
    fprintf(stderr, "done in %.1f s; every account's password is \"%s\"\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, GENERATED_PASSWORD);
    return 0;
}
