/* config: every setting of the server, with a default that lets `cartable serve`
 * run with none.
 *
 * Precedence, lowest first: built-in defaults, the config file (`key = value`
 * lines, '#' comments), CARTABLE_<KEY> environment variables, command-line
 * options (--key value, --key=value, dashes or underscores alike). An unknown key
 * or a bad value is an error that names the key, the source and the line.
 * The filled config is immutable once the server starts.
 */
#ifndef CARTABLE_CORE_CONFIG_H
#define CARTABLE_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct config {
    char *listen;          /* ADDR:PORT */
    char *data_dir;        /* SQLite database, uploads, temporary files */
    char *config_file;     /* where the file settings came from, or NULL */
    unsigned threads;      /* 0: one per core */
    bool http2;            /* h2c (prior knowledge and upgrade); off by default */
    bool demo;             /* create and serve the demo school */
    bool access_log;       /* one logfmt line per request */
    char *log_file;        /* "-": standard error */
    char *log_level;       /* debug, info, warn, error */
    uint64_t max_body;     /* largest request body accepted at all (bytes) */
    uint64_t max_form;     /* largest urlencoded form */
    uint64_t max_json;     /* largest JSON body */
    uint64_t max_upload_file;  /* one file in a multipart form */
    uint64_t max_upload_total; /* all files of one multipart form */
    uint64_t max_url;      /* request target length */
    uint64_t max_headers;  /* request line plus header fields, in bytes */
    uint64_t request_timeout_ms; /* to receive a whole request; also the keep-alive idle time */
    uint64_t shutdown_timeout_ms; /* in-flight requests get this long to finish on SIGTERM */
    unsigned max_connections;
    unsigned gzip_level;   /* 1..9 for dynamic responses */
    char *session_keys;    /* key file; empty: DATA/session.keys */
    uint64_t session_lifetime_ms;  /* a sign-in without "this device" */
    uint64_t remember_lifetime_ms; /* a sign-in with "this device" */
    bool secure_cookies;   /* behind HTTPS: cookies get the Secure flag */
    unsigned hash_threads; /* password hashing threads; 0: one per core */
    unsigned hash_queue;   /* sign-ins waiting for a hashing thread before 503 */
    unsigned login_ip_per_minute;
    unsigned class_view_cache; /* class views cached per worker; 0 disables */
    unsigned login_failures_per_hour;
    char *trusted_proxies; /* addresses/networks whose X-Forwarded-For is believed */
    char *default_lang;    /* fr or en */
    char *timezone;        /* shown times; stored times are UTC */
    uint64_t ws_max_message;     /* largest WebSocket message received (bytes) */
    unsigned ws_max_connections; /* WebSocket connections per process (also counted in max_connections) */
    uint64_t ws_ping_interval_ms; /* a silent WebSocket gets a ping after this, is dropped after twice this */
    uint64_t live_poll_interval_ms; /* how often each worker looks for changes to push (live badge) */
    uint64_t live_join_early_ms;    /* a live class opens this long before its start */
    uint64_t live_join_late_ms;     /* and stays open this long after its end */
    char *smtp_url;        /* smtp://host:port or smtps://host:port; empty: no e-mail is sent */
    char *smtp_from;       /* "Cartable <ent@example.org>" or "ent@example.org" */
    char *smtp_user;       /* SMTP authentication; empty: none */
    char *smtp_password;
    bool smtp_tls;         /* require TLS (STARTTLS on smtp://; smtps:// always has it) */
    uint64_t digest_period_ms; /* how often e-mail digests go out (one per person at most) */
    char *public_url;      /* https://ent.example.org: where links in e-mails point; empty: no links */
    /* Live classes' audio and video (live/janus.h). */
    char *janus_urls;        /* Janus HTTP API URLs, comma-separated; empty: chat only */
    char *janus_public_urls; /* the same instances as browsers reach them, same order; empty: janus_urls */
    char *janus_admin_key;   /* the VideoRoom plugin's admin_key, when it has one */
    /* Admission control (edge/capacity.h): how many newcomers per second. */
    unsigned admission_rate;     /* pinned rate; 0: worked out from the server's health */
    unsigned admission_min_rate; /* the worked-out rate never goes below... */
    unsigned admission_max_rate; /* ...nor above */
    uint64_t admission_max_loop_lag_ms;     /* healthy: every event loop runs its timers less late than this */
    uint64_t admission_max_writer_delay_ms; /* healthy: writes wait for the store writer less than this */
    unsigned admission_max_cpu;  /* healthy: the process uses less than this percentage of the cores */
    bool admission;        /* the waiting room */
    uint64_t admission_window_ms;      /* an admission lets one in this long */
    uint64_t admission_ticket_ttl_ms;  /* a ticket is void after this */
    unsigned admission_tickets_per_ip_per_minute;
    unsigned requests_per_account_per_second; /* a signed-in person's requests (bursts of 10x) */
    bool admission_priority;                  /* the waiting room's priority lane */
    unsigned admission_priority_per_minute;   /* sign-ins through it */
} config_t;

void config_init_defaults(config_t *cfg);
void config_dispose(config_t *cfg);

/* Each returns 0, or -1 with a message in err. */
int config_set(config_t *cfg, const char *key, const char *value, const char *origin, char *err, size_t errlen);
int config_load_file(config_t *cfg, const char *path, char *err, size_t errlen);
/* Unknown CARTABLE_* variables are not errors (tools set their own): each is
 * reported on `warnings` when it is not NULL. A bad value is an error. */
int config_load_env(config_t *cfg, char **envp, void *warnings, char *err, size_t errlen);
/* Consumes --key value options from argv[*i]; sets *i past them. Returns 1 if argv[*i]
 * was a config option, 0 if not (left for the caller), -1 on error. */
int config_parse_arg(config_t *cfg, int argc, char **argv, int *i, char *err, size_t errlen);
/* Checks settings that depend on each other; fills derived values. */
int config_validate(config_t *cfg, char *err, size_t errlen);

/* Parses "64K", "32M", "1G", "1024"; returns 0 or -1. */
int config_parse_size(const char *s, uint64_t *out);
/* Parses "500ms", "30s", "5m", "2h", "180d"; bare numbers are seconds; returns 0 or -1. */
int config_parse_duration_ms(const char *s, uint64_t *out);

/* Prints every key with its default and help text (for `cartable help config`). */
void config_print_reference(void *file);

#endif
