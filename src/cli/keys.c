/* cartable keys rotate: a new session signing key.
 *
 * The new key signs from the next start of the servers; older keys keep
 * verifying the sessions they signed (three are kept). */
#include <stdio.h>
#include <string.h>

#include "auth/session.h"
#include "cli/cli.h"

int cmd_keys(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "rotate") != 0) {
        fprintf(stderr, "usage: cartable keys rotate [--data DIR | --session-keys FILE]\n");
        return 2;
    }
    config_t cfg;
    if (cli_load_config(&cfg, argc - 1, argv + 1) != 0)
        return 2;
    char path[4200], err[512];
    if (cfg.session_keys[0])
        snprintf(path, sizeof path, "%s", cfg.session_keys);
    else
        snprintf(path, sizeof path, "%s/session.keys", cfg.data_dir);
    int rc = session_keys_rotate(path, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "cartable: %s\n", err);
    else
        fprintf(stderr, "new signing key in %s; send SIGHUP to the server (or restart it) to sign with it\n", path);
    config_dispose(&cfg);
    return rc == 0 ? 0 : 1;
}
