#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"

extern char **environ;

int cli_load_config(config_t *cfg, int argc, char **argv)
{
    char err[512];
    config_init_defaults(cfg);
    const char *file = getenv("CARTABLE_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && config_load_file(cfg, file, err, sizeof err) != 0)
        goto fail;
    if (config_load_env(cfg, environ, stderr, err, sizeof err) != 0)
        goto fail;
    for (int i = 0; i < argc;) {
        if (strcmp(argv[i], "--config") == 0) {
            i += 2;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0) {
            i++;
            continue;
        }
        int rc = config_parse_arg(cfg, argc, argv, &i, err, sizeof err);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            snprintf(err, sizeof err, "unknown option %s", argv[i]);
            goto fail;
        }
    }
    if (config_validate(cfg, err, sizeof err) != 0)
        goto fail;
    if (clock_set_timezone(cfg->timezone) != 0) {
        snprintf(err, sizeof err, "timezone: \"%s\" is not a known time zone", cfg->timezone);
        goto fail;
    }
    log_level_t level = LOG_WARN;
    log_parse_level(cfg->log_level, &level);
    log_open("-", level > LOG_WARN ? level : LOG_WARN);
    if (password_init() != 0) {
        snprintf(err, sizeof err, "cannot initialise libsodium");
        goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "cartable: %s\n", err);
    return -1;
}

int cli_open_store(const config_t *cfg, store_t **out)
{
    char err[512];
    store_options_t o = {.data_dir = cfg->data_dir, .client = true};
    if (store_open(&o, out, err, sizeof err) != 0) {
        fprintf(stderr, "cartable: %s\n", err);
        return -1;
    }
    return 0;
}
