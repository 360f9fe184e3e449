/* cartable import: a school's directory from its exports.
 *
 *   cartable import csv DIR            the CSV files of docs/formats/csv.md
 *   cartable import aaf DIR [--uai U]  the AAF "Complet" export files of a school
 *   (--dry-run: report what the import would change, change nothing)
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/import.h"

int cmd_import(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[0], "csv") != 0 && strcmp(argv[0], "aaf") != 0)) {
        fprintf(stderr, "usage: cartable import csv DIR | cartable import aaf DIR [--uai UAI] [--dry-run]\n"
                        "       plus the usual settings: --data DIR, --config FILE\n");
        return 2;
    }
    bool aaf = strcmp(argv[0], "aaf") == 0, dry = false;
    const char *dir = argv[1], *uai = NULL;
    char *rest[64];
    int nrest = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--uai") == 0 && i + 1 < argc)
            uai = argv[++i];
        else if (strcmp(argv[i], "--dry-run") == 0)
            dry = true;
        else if (nrest < 64)
            rest[nrest++] = argv[i];
    }
    config_t cfg;
    if (cli_load_config(&cfg, nrest, rest) != 0)
        return 2;
    arena_t a;
    arena_init(&a, NULL);
    import_data_t d;
    char err[512];
    int rc = 0;
    bool ok = aaf ? import_read_aaf(&a, dir, uai, &d, err, sizeof err) : import_read_csv(&a, dir, &d, err, sizeof err);
    if (!ok) {
        fprintf(stderr, "cartable: import refused, nothing was changed:\n  %s\n", err);
        rc = 1;
        goto out;
    }
    store_t *s;
    if (cli_open_store(&cfg, &s) != 0) {
        rc = 1;
        goto out;
    }
    import_report_t rep;
    if (import_apply(s, &d, dry, &rep) < 0) {
        fprintf(stderr, "cartable: import refused, nothing was changed:\n  %s\n", rep.error);
        rc = 1;
    } else {
        import_report_print(&rep, &d, stdout);
        if (dry)
            printf("Dry run: this is what the import would do; nothing was changed.\n");
    }
    store_close(s);
out:
    arena_free(&a);
    config_dispose(&cfg);
    return rc;
}
