/* cli: the administration commands (everything but `serve`).
 *
 * Contract: each command parses its own options, then the usual settings
 * (--data, --config, CARTABLE_*), opens the store as a client (so it may run
 * beside a server, whose caches pick up the change within a second), and exits
 * 0 on success, 1 when the operation failed (nothing changed), 2 on bad usage.
 * Messages go to standard error; results (lists, codes) to standard output.
 */
#ifndef CARTABLE_CLI_CLI_H
#define CARTABLE_CLI_CLI_H

#include "core/config.h"
#include "store/store.h"

int cmd_user(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* Shared by the commands: settings from the remaining arguments, then the store. */
int cli_load_config(config_t *cfg, int argc, char **argv);
int cli_open_store(const config_t *cfg, store_t **out);

#endif
