/* cartable: the command line.
 *
 *   cartable serve [--listen ADDR:PORT] [--data DIR] [--threads N] [--demo] [--config FILE] [...]
 *   cartable help [config]
 *   cartable version
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/hashpool.h"
#include "auth/password.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "edge/admission.h"
#include "edge/capacity.h"
#include "edge/ratelimit.h"
#include "core/config.h"
#include "core/log.h"
#include "domain/demo.h"
#include "http/mailer.h"
#include "http/ops.h"
#include "http/server.h"
#include "http/response.h"
#include "http/static.h"
#include "live/janus.h"
#include "live/updates.h"
#include "store/store.h"
#include "live/hub.h"
#include "web/attendance.h"
#include "web/liveclass.h"
#include "web/grades.h"
#include "web/messages.h"
#include "web/news.h"
#include "web/waiting.h"
#include "web/notify.h"
#include "web/page.h"
#include "web/schoolday.h"
#include "web/template.h"

#ifndef CARTABLE_VERSION
#define CARTABLE_VERSION "dev"
#endif

extern char **environ;

/* The per-process context of `serve`. It stays reachable until exit: connections
 * still open at shutdown point into its workers (see server_run). */
static app_t *serving_app;

static void usage(FILE *f)
{
    fprintf(f, "Cartable %s — school digital workspace\n\n"
               "Usage:\n"
               "  cartable serve [options]   serve HTTP (see `cartable help config` for every option)\n"
               "  cartable user ...          list, add, reset, disable, enable accounts\n"
               "  cartable import csv|aaf DIR  import a school's directory\n"
               "  cartable generate --schools N  build a benchmark directory\n"
               "  cartable keys rotate       add a new session signing key\n"
               "  cartable help [config]     this text, or the reference of every setting\n"
               "  cartable version\n\n"
               "Common options:\n"
               "  --listen ADDR:PORT   address to serve on (default 127.0.0.1:8080)\n"
               "  --data DIR           data directory, created if missing (default ./data)\n"
               "  --threads N          event-loop threads (default: one per core)\n"
               "  --demo               create the demo school in a new database\n"
               "  --config FILE        read settings from FILE (also CARTABLE_CONFIG)\n"
               "Every setting can also come from a CARTABLE_<SETTING> environment variable.\n",
            CARTABLE_VERSION);
}

/* Defaults, then the config file, then the environment, then the command line. */
static int load_config(config_t *cfg, int argc, char **argv)
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
            snprintf(err, sizeof err, "unknown option %s (see `cartable help config`)", argv[i]);
            goto fail;
        }
    }
    if (config_validate(cfg, err, sizeof err) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "cartable: %s\n", err);
    return -1;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int build_routes(app_t *app)
{
    char err[512];
    app->router = router_new();
    if (ops_register_routes(app->router, err, sizeof err) != 0 ||
        static_register_routes(app->router, err, sizeof err) != 0 ||
        web_register_routes(app->router, err, sizeof err) != 0 ||
        account_register_routes(app->router, err, sizeof err) != 0 ||
        directory_register_routes(app->router, err, sizeof err) != 0 ||
        grades_register_routes(app->router, err, sizeof err) != 0 ||
        attendance_register_routes(app->router, err, sizeof err) != 0 ||
        news_register_routes(app->router, err, sizeof err) != 0 ||
        waiting_register_routes(app->router, err, sizeof err) != 0 ||
        notify_register_routes(app->router, err, sizeof err) != 0 ||
        messages_register_routes(app->router, err, sizeof err) != 0 ||
        schoolday_register_routes(app->router, err, sizeof err) != 0 ||
        notebook_register_routes(app->router, err, sizeof err) != 0 ||
        schoolday_api_register_routes(app->router, err, sizeof err) != 0 ||
        api_register_routes(app->router, err, sizeof err) != 0 ||
        api_auth_register_routes(app->router, err, sizeof err) != 0 ||
        live_register_routes(app->router, err, sizeof err) != 0 ||
        live_hub_register_routes(app->router, err, sizeof err) != 0 ||
        liveclass_register_routes(app->router, err, sizeof err) != 0 ||
        (app->config->janus_urls[0] && static_register_vendor_scripts(app->router, err, sizeof err) != 0)) {
        logq_t q;
        LOG_ERROR("bad route table", "error=\"%s\"", logq(&q, err));
        return -1;
    }
    router_freeze(app->router);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    static config_t cfg; /* read by the workers until exit */
    if (load_config(&cfg, argc, argv) != 0)
        return 2;
    log_level_t level = LOG_INFO;
    log_parse_level(cfg.log_level, &level);
    if (log_open(cfg.log_file, level) != 0) {
        fprintf(stderr, "cartable: cannot open log file %s: %s\n", cfg.log_file, strerror(errno));
        return 1;
    }
    raise_fd_limit();

    app_t *app = xcalloc(1, sizeof *app);
    serving_app = app;
    app->config = &cfg;
    app->started_at_unix = (int64_t)time(NULL);
    app->default_lang = i18n_lang_from_code(str_from(cfg.default_lang));
    app->render_error_page = page_error;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    app->nthreads = cfg.threads ? cfg.threads : (unsigned)(cores > 0 ? cores : 1);
    if (app->nthreads > sizeof app->listen_fds / sizeof app->listen_fds[0])
        app->nthreads = sizeof app->listen_fds / sizeof app->listen_fds[0];

    char err[512];
    if (proxy_list_parse(cfg.trusted_proxies, &app->trusted_proxies, err, sizeof err) != 0) {
        fprintf(stderr, "cartable: trusted_proxies: %s\n", err);
        return 2;
    }
    if (clock_set_timezone(cfg.timezone) != 0) {
        logq_t q;
        LOG_ERROR("unknown time zone", "timezone=\"%s\"", logq(&q, cfg.timezone));
        return 2;
    }
    if (password_init() != 0) {
        LOG_ERROR("cannot initialise libsodium", "%s", "");
        return 1;
    }
    store_options_t sopts = {.data_dir = cfg.data_dir};
    if (store_open(&sopts, &app->store, err, sizeof err) != 0) {
        logq_t q;
        LOG_ERROR("cannot open the store", "error=\"%s\"", logq(&q, err));
        return 1;
    }
    if (cfg.demo && demo_seed(app->store) < 0) {
        LOG_ERROR("cannot create the demo school", "%s", "");
        return 1;
    }
    if (cfg.session_keys[0])
        snprintf(app->session_keys_path, sizeof app->session_keys_path, "%s", cfg.session_keys);
    else
        snprintf(app->session_keys_path, sizeof app->session_keys_path, "%s/session.keys", cfg.data_dir);
    if (app_keys_reload(app, err, sizeof err) != 0) {
        logq_t q;
        LOG_ERROR("cannot load the session keys", "error=\"%s\"", logq(&q, err));
        return 1;
    }
    app->hashpool = hashpool_start(cfg.hash_threads ? cfg.hash_threads : (unsigned)(cores > 0 ? cores : 1), cfg.hash_queue);
    app->login_ip_limit = ratelimit_new(65536, cfg.login_ip_per_minute / 60.0, cfg.login_ip_per_minute);
    app->login_failure_limit = ratelimit_new(65536, cfg.login_failures_per_hour / 3600.0, cfg.login_failures_per_hour);
    app->capacity = capacity_new(&cfg, app->nthreads);
    admission_settings_t admission = {.enabled = cfg.admission, .ticket_ttl_ms = cfg.admission_ticket_ttl_ms,
                                      .window_ms = cfg.admission_window_ms, .burst_seconds = 1.0};
    app->admission = admission_new(&admission);
    app->ticket_ip_limit = ratelimit_new(65536, cfg.admission_tickets_per_ip_per_minute / 60.0,
                                         cfg.admission_tickets_per_ip_per_minute);
    app->account_limit = ratelimit_new(65536, cfg.requests_per_account_per_second,
                                       10.0 * cfg.requests_per_account_per_second);
    app->priority_limit = ratelimit_new(16, cfg.admission_priority_per_minute / 60.0,
                                        cfg.admission_priority_per_minute / 6.0 + 1);
    app->gate = waiting_gate;
    response_csp_build(app->csp, sizeof app->csp, cfg.janus_public_urls[0] ? cfg.janus_public_urls : cfg.janus_urls);
    if (build_routes(app) != 0)
        return 1;
    if (server_listen(app, err, sizeof err) != 0) {
        logq_t q1, q2;
        LOG_ERROR("cannot listen", "addr=\"%s\" error=\"%s\"", logq(&q1, cfg.listen), logq(&q2, err));
        return 1;
    }
    /* E-mail digests: their own thread, stopped before the store closes. */
    mailer_t *mailer;
    if (mailer_start(&cfg, app->store, &mailer, err, sizeof err) != 0) {
        logq_t q;
        LOG_ERROR("cannot send e-mail", "error=\"%s\"", logq(&q, err));
        return 2;
    }
    /* Live classes' audio and video: Janus's client threads, stopped once the workers are. */
    janus_options_t media;
    janus_options_from_config(&cfg, &media);
    if (janus_start(&media, &app->janus, err, sizeof err) != 0) {
        logq_t q;
        LOG_ERROR("cannot start the Janus client", "error=\"%s\"", logq(&q, err));
        mailer_stop(mailer);
        return 2;
    }
    int rc = server_run(app);
    janus_stop(app->janus);
    app->janus = NULL;
    static_vendor_scripts_free();
    mailer_stop(mailer);
    hashpool_stop(app->hashpool);
    app->hashpool = NULL;
    store_close(app->store);
    app->store = NULL;
    ratelimit_free(app->login_ip_limit);
    ratelimit_free(app->login_failure_limit);
    app->login_ip_limit = app->login_failure_limit = NULL;
    capacity_free(app->capacity);
    app->capacity = NULL;
    ratelimit_free(app->ticket_ip_limit);
    ratelimit_free(app->account_limit);
    ratelimit_free(app->priority_limit);
    app->ticket_ip_limit = app->account_limit = app->priority_limit = NULL;
    admission_free(app->admission);
    app->admission = NULL;
    app_keys_free(app);
    LOG_INFO("stopped", "%s", "");
    log_close();
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "user") == 0)
        return cmd_user(argc - 2, argv + 2);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(argc - 2, argv + 2);
    if (strcmp(cmd, "generate") == 0)
        return cmd_generate(argc - 2, argv + 2);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("cartable %s\n", CARTABLE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "config") == 0)
            config_print_reference(stdout);
        else
            usage(stdout);
        return 0;
    }
    fprintf(stderr, "cartable: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
