#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/mail.h"

typedef enum { OPT_STRING, OPT_BOOL, OPT_UINT, OPT_SIZE, OPT_DURATION } opt_type_t;

typedef struct option_desc {
    const char *key;
    opt_type_t type;
    size_t offset;
    uint64_t min, max; /* for numbers */
    const char *def;
    const char *help;
} option_desc_t;

#define OFF(field) offsetof(config_t, field)

static const option_desc_t options[] = {
    {"listen", OPT_STRING, OFF(listen), 0, 0, "127.0.0.1:8080", "address and port to serve HTTP on"},
    {"data", OPT_STRING, OFF(data_dir), 0, 0, "./data", "directory for the database, uploads and temporary files"},
    {"threads", OPT_UINT, OFF(threads), 0, 1024, "0", "event-loop threads; 0 means one per core"},
    {"http2", OPT_BOOL, OFF(http2), 0, 0, "false", "accept cleartext HTTP/2 (h2c); keep off on the internet (see docs/operations.md)"},
    {"demo", OPT_BOOL, OFF(demo), 0, 0, "false", "create the demo school if the database is new"},
    {"access_log", OPT_BOOL, OFF(access_log), 0, 0, "true", "one logfmt line per request"},
    {"log_file", OPT_STRING, OFF(log_file), 0, 0, "-", "log destination; '-' is standard error; reopened on SIGHUP"},
    {"log_level", OPT_STRING, OFF(log_level), 0, 0, "info", "debug, info, warn or error"},
    {"max_body", OPT_SIZE, OFF(max_body), 1024, 1ull << 32, "64M", "largest request body accepted at all"},
    {"max_form", OPT_SIZE, OFF(max_form), 256, 64ull << 20, "256K", "largest urlencoded form body"},
    {"max_json", OPT_SIZE, OFF(max_json), 256, 64ull << 20, "1M", "largest JSON request body"},
    {"max_upload_file", OPT_SIZE, OFF(max_upload_file), 1024, 1ull << 32, "20M", "largest single uploaded file"},
    {"max_upload_total", OPT_SIZE, OFF(max_upload_total), 1024, 1ull << 32, "50M", "largest total of the files in one form"},
    {"max_url", OPT_SIZE, OFF(max_url), 256, 256 * 1024, "8K", "longest request target (path and query)"},
    {"max_headers", OPT_SIZE, OFF(max_headers), 1024, 256 * 1024, "32K", "largest request head (request line and header fields)"},
    {"request_timeout", OPT_DURATION, OFF(request_timeout_ms), 100, 3600 * 1000, "60s",
     "time allowed to receive a whole request, and to keep an idle connection"},
    {"shutdown_timeout", OPT_DURATION, OFF(shutdown_timeout_ms), 0, 3600 * 1000, "10s",
     "on SIGTERM, how long in-flight requests may take to finish"},
    {"max_connections", OPT_UINT, OFF(max_connections), 1, 10000000, "100000", "open connections per process"},
    {"gzip_level", OPT_UINT, OFF(gzip_level), 1, 9, "5", "gzip level for dynamic responses"},
    {"session_keys", OPT_STRING, OFF(session_keys), 0, 0, "", "session key file; empty means DATA/session.keys"},
    {"session_lifetime", OPT_DURATION, OFF(session_lifetime_ms), 5 * 60 * 1000, 7ull * 24 * 3600 * 1000, "12h",
     "how long a sign-in lasts"},
    {"remember_lifetime", OPT_DURATION, OFF(remember_lifetime_ms), 24ull * 3600 * 1000, 365ull * 24 * 3600 * 1000,
     "180d", "how long a sign-in on \"this device\" lasts"},
    {"secure_cookies", OPT_BOOL, OFF(secure_cookies), 0, 0, "false", "mark cookies Secure (set it when served over HTTPS)"},
    {"hash_threads", OPT_UINT, OFF(hash_threads), 0, 256, "0", "password hashing threads; 0 means one per core"},
    {"hash_queue", OPT_UINT, OFF(hash_queue), 1, 1000000, "256", "sign-ins that may wait for a hashing thread"},
    {"class_view_cache", OPT_UINT, OFF(class_view_cache), 0, 1000000, "4096",
     "class and group timetable/homework views cached per worker thread (0: no cache, for measurements)"},
    {"login_ip_per_minute", OPT_UINT, OFF(login_ip_per_minute), 1, 1000000, "600",
     "sign-in attempts per minute from one address (a school may share one)"},
    {"admission", OPT_BOOL, OFF(admission), 0, 0, "true",
     "the waiting room: newcomers beyond the admission rate wait in line (off: everyone comes in)"},
    {"admission_window", OPT_DURATION, OFF(admission_window_ms), 60 * 1000, 7 * 24 * 3600 * 1000ULL, "8h",
     "how long an admission lets a newcomer in (they are never turned out within it)"},
    {"admission_ticket_ttl", OPT_DURATION, OFF(admission_ticket_ttl_ms), 60 * 1000, 24 * 3600 * 1000ULL, "2h",
     "a waiting-room ticket not admitted by then is void (its holder starts again)"},
    {"admission_tickets_per_ip_per_minute", OPT_UINT, OFF(admission_tickets_per_ip_per_minute), 1, 1000000, "600",
     "new waiting-room tickets per minute from one address (a school's pupils may share one)"},
    {"admission_priority", OPT_BOOL, OFF(admission_priority), 0, 0, "true",
     "the waiting room's priority lane: a teacher with a lesson within the hour, a pupil with a hand-in due "
     "within the hour, may sign in from the waiting page and come in at once"},
    {"admission_priority_per_minute", OPT_UINT, OFF(admission_priority_per_minute), 1, 1000000, "120",
     "sign-ins through the priority lane per minute (each costs a password check); beyond, they wait their turn"},
    {"requests_per_account_per_second", OPT_UINT, OFF(requests_per_account_per_second), 1, 1000000, "20",
     "requests per second one signed-in person may make (bursts of ten times that); beyond, 429"},
    {"login_failures_per_hour", OPT_UINT, OFF(login_failures_per_hour), 1, 100000, "10",
     "failed sign-ins per hour for one login before it must wait"},
    {"trusted_proxies", OPT_STRING, OFF(trusted_proxies), 0, 0, "",
     "reverse proxies whose X-Forwarded-For is believed: addresses or networks (10.0.0.0/8), comma-separated"},
    {"default_lang", OPT_STRING, OFF(default_lang), 0, 0, "fr", "language when the browser asks for none we have: fr or en"},
    {"timezone", OPT_STRING, OFF(timezone), 0, 0, "Europe/Paris", "time zone times are shown in"},
    {"ws_max_message", OPT_SIZE, OFF(ws_max_message), 128, 16ull << 20, "64K",
     "largest WebSocket message accepted; a larger one closes the connection (1009)"},
    {"ws_max_connections", OPT_UINT, OFF(ws_max_connections), 1, 10000000, "50000",
     "open WebSocket connections per process, within max_connections (they count there too); beyond, 503"},
    {"ws_ping_interval", OPT_DURATION, OFF(ws_ping_interval_ms), 100, 3600 * 1000, "30s",
     "a WebSocket silent this long gets a ping, and is closed if still silent as long again"},
    {"live_poll_interval", OPT_DURATION, OFF(live_poll_interval_ms), 10, 60 * 1000, "250ms",
     "how often each worker looks for changes to push to live pages (the badge)"},
    {"live_join_early", OPT_DURATION, OFF(live_join_early_ms), 0, 24ull * 3600 * 1000, "10m",
     "how long before its start a live class can be joined"},
    {"live_join_late", OPT_DURATION, OFF(live_join_late_ms), 0, 24ull * 3600 * 1000, "30m",
     "how long after its end a live class can still be joined"},
    {"smtp_url", OPT_STRING, OFF(smtp_url), 0, 0, "",
     "mail server for e-mail digests: smtp://host:port or smtps://host:port; empty sends no e-mail"},
    {"smtp_from", OPT_STRING, OFF(smtp_from), 0, 0, "",
     "sender of e-mails, \"Name <address>\" or an address (needed with smtp_url)"},
    {"smtp_user", OPT_STRING, OFF(smtp_user), 0, 0, "", "user name for the mail server; empty: no authentication"},
    {"smtp_password", OPT_STRING, OFF(smtp_password), 0, 0, "", "password for the mail server"},
    {"smtp_tls", OPT_BOOL, OFF(smtp_tls), 0, 0, "false",
     "require TLS with the mail server (STARTTLS on smtp://; smtps:// always uses it)"},
    {"digest_period", OPT_DURATION, OFF(digest_period_ms), 1000, 31ull * 24 * 3600 * 1000, "1d",
     "how often e-mail digests are sent: at most one per person and period, only when something is new"},
    {"public_url", OPT_STRING, OFF(public_url), 0, 0, "",
     "address people reach Cartable at (https://ent.example.org), for links in e-mails; empty: no links"},
    {"janus_urls", OPT_STRING, OFF(janus_urls), 0, 0, "",
     "Janus servers for live classes' audio and video: HTTP API URLs (http://127.0.0.1:8088/janus), comma-separated; "
     "a room lives on the (room number mod count)th; empty: live classes have chat only"},
    {"janus_public_urls", OPT_STRING, OFF(janus_public_urls), 0, 0, "",
     "the same Janus servers as browsers reach them (https://media.example.org/janus), same order; empty: janus_urls"},
    {"janus_admin_key", OPT_STRING, OFF(janus_admin_key), 0, 0, "",
     "admin_key of Janus's VideoRoom plugin (set one there so that only Cartable creates rooms)"},
    {"admission_rate", OPT_UINT, OFF(admission_rate), 0, 1000000, "0",
     "newcomers let in per second, pinned; 0 works it out from the server's health"},
    {"admission_min_rate", OPT_UINT, OFF(admission_min_rate), 1, 1000000, "5",
     "the worked-out admission rate never goes below this (newcomers per second)"},
    {"admission_max_rate", OPT_UINT, OFF(admission_max_rate), 1, 1000000, "2000",
     "the worked-out admission rate never goes above this (newcomers per second)"},
    {"admission_max_loop_lag", OPT_DURATION, OFF(admission_max_loop_lag_ms), 1, 10 * 1000, "25ms",
     "healthy while every event loop runs its timers less late than this"},
    {"admission_max_writer_delay", OPT_DURATION, OFF(admission_max_writer_delay_ms), 1, 60 * 1000, "100ms",
     "healthy while writes wait less than this for the database writer"},
    {"admission_max_cpu", OPT_UINT, OFF(admission_max_cpu), 0, 100, "0",
     "healthy while the process uses less than this percentage of the cores it may run on; 0: CPU is not a signal "
     "(loop lag and writer delay are)"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int config_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    uint64_t mul = 1;
    if (*end) {
        switch (toupper((unsigned char)*end)) {
        case 'K': mul = 1024; break;
        case 'M': mul = 1024 * 1024; break;
        case 'G': mul = 1024ull * 1024 * 1024; break;
        default: return -1;
        }
        end++;
        if (toupper((unsigned char)*end) == 'B' || toupper((unsigned char)*end) == 'I') {
            end++;
            if (toupper((unsigned char)*end) == 'B')
                end++;
        }
        if (*end)
            return -1;
    }
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

int config_parse_duration_ms(const char *s, uint64_t *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    uint64_t mul;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mul = 1000;
    else if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mul = 60 * 1000;
    else if (strcmp(end, "h") == 0)
        mul = 3600 * 1000;
    else if (strcmp(end, "d") == 0)
        mul = 24ull * 3600 * 1000;
    else
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static const option_desc_t *find_option(const char *key, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *k = options[i].key;
        if (strlen(k) != len)
            continue;
        size_t j = 0;
        for (; j < len; j++) {
            char c = key[j] == '-' ? '_' : (char)tolower((unsigned char)key[j]);
            if (c != k[j])
                break;
        }
        if (j == len)
            return &options[i];
    }
    return NULL;
}

static int apply(config_t *cfg, const option_desc_t *o, const char *value, const char *origin, char *err, size_t errlen)
{
    char *base = (char *)cfg;
    switch (o->type) {
    case OPT_STRING: {
        char **slot = (char **)(base + o->offset);
        free(*slot);
        *slot = xstrdup(value);
        return 0;
    }
    case OPT_BOOL: {
        bool *slot = (bool *)(base + o->offset);
        if (!strcmp(value, "true") || !strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "1"))
            *slot = true;
        else if (!strcmp(value, "false") || !strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "0"))
            *slot = false;
        else {
            set_err(err, errlen, "%s: %s: expected true or false, got \"%s\"", origin, o->key, value);
            return -1;
        }
        return 0;
    }
    case OPT_UINT:
    case OPT_SIZE:
    case OPT_DURATION: {
        uint64_t v;
        int rc;
        if (o->type == OPT_SIZE)
            rc = config_parse_size(value, &v);
        else if (o->type == OPT_DURATION)
            rc = config_parse_duration_ms(value, &v);
        else {
            char *end;
            errno = 0;
            v = strtoull(value, &end, 10);
            rc = (!*value || !isdigit((unsigned char)*value) || *end || errno) ? -1 : 0;
        }
        if (rc != 0) {
            set_err(err, errlen, "%s: %s: \"%s\" is not a valid %s", origin, o->key, value,
                    o->type == OPT_SIZE ? "size (e.g. 64K, 32M)"
                    : o->type == OPT_DURATION ? "duration (e.g. 500ms, 30s, 5m)"
                                              : "whole number");
            return -1;
        }
        if (v < o->min || v > o->max) {
            set_err(err, errlen, "%s: %s: %s is out of range (%llu to %llu%s)", origin, o->key, value,
                    (unsigned long long)o->min, (unsigned long long)o->max,
                    o->type == OPT_SIZE ? " bytes" : o->type == OPT_DURATION ? " ms" : "");
            return -1;
        }
        if (o->type == OPT_UINT)
            *(unsigned *)(base + o->offset) = (unsigned)v;
        else
            *(uint64_t *)(base + o->offset) = v;
        return 0;
    }
    }
    return -1;
}

void config_init_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char err[256];
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (apply(cfg, &options[i], options[i].def, "default", err, sizeof err) != 0) {
            fprintf(stderr, "bad built-in default: %s\n", err);
            abort();
        }
    }
}

void config_dispose(config_t *cfg)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (options[i].type == OPT_STRING) {
            char **slot = (char **)((char *)cfg + options[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
    free(cfg->config_file);
    cfg->config_file = NULL;
}

int config_set(config_t *cfg, const char *key, const char *value, const char *origin, char *err, size_t errlen)
{
    const option_desc_t *o = find_option(key, strlen(key));
    if (!o) {
        set_err(err, errlen, "%s: unknown setting \"%s\" (see `cartable help config`)", origin, key);
        return -1;
    }
    return apply(cfg, o, value, origin, err, errlen);
}

int config_load_file(config_t *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        set_err(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            set_err(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            set_err(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
            rc = -1;
            break;
        }
        char *kend = eq;
        while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t'))
            kend--;
        *kend = '\0';
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
            v[vl - 1] = '\0';
            v++;
        }
        char origin[4200];
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        if (config_set(cfg, p, v, origin, err, errlen) != 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    if (rc == 0) {
        free(cfg->config_file);
        cfg->config_file = xstrdup(path);
    }
    return rc;
}

int config_load_env(config_t *cfg, char **envp, void *warnings, char *err, size_t errlen)
{
    static const char prefix[] = "CARTABLE_";
    for (char **e = envp; e && *e; e++) {
        if (strncmp(*e, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *kv = *e + sizeof prefix - 1;
        const char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        size_t klen = (size_t)(eq - kv);
        /* CARTABLE_CONFIG names the file itself; CARTABLE_BIN and the like belong to tools. */
        if (klen == 6 && strncmp(kv, "CONFIG", 6) == 0)
            continue;
        const option_desc_t *o = find_option(kv, klen);
        if (!o) {
            if (warnings)
                fprintf(warnings, "cartable: warning: ignoring %.*s, which is not a setting (see `cartable help config`)\n",
                        (int)(klen + 9 < 200 ? klen + 9 : 200), *e);
            continue;
        }
        char origin[128];
        snprintf(origin, sizeof origin, "environment CARTABLE_%.*s", (int)(klen < 64 ? klen : 64), kv);
        if (apply(cfg, o, eq + 1, origin, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int config_parse_arg(config_t *cfg, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    if (strncmp(arg, "--", 2) != 0)
        return 0;
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const option_desc_t *o = find_option(name, nlen);
    if (!o)
        return 0;
    char origin[128];
    snprintf(origin, sizeof origin, "option --%.*s", (int)(nlen < 64 ? nlen : 64), name);
    const char *value;
    if (eq) {
        value = eq + 1;
    } else if (o->type == OPT_BOOL) {
        /* A bare boolean flag means true; an explicit value may follow. */
        const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
        if (next && (!strcmp(next, "true") || !strcmp(next, "false") || !strcmp(next, "on") || !strcmp(next, "off"))) {
            value = next;
            (*i)++;
        } else {
            value = "true";
        }
    } else {
        if (*i + 1 >= argc) {
            set_err(err, errlen, "%s needs a value", origin);
            return -1;
        }
        value = argv[++(*i)];
    }
    (*i)++;
    return apply(cfg, o, value, origin, err, errlen) == 0 ? 1 : -1;
}

/* A URL with one of the schemes, a host, and no space, control byte or quote. */
static bool url_plain(const char *url, const char *const *schemes, size_t nschemes)
{
    size_t skip = 0;
    for (size_t i = 0; i < nschemes && !skip; i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            skip = strlen(schemes[i]);
    if (!skip || !url[skip] || url[skip] == '/' || url[skip] == ':')
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

/* The e-mail settings: a mail server needs a sender; URLs must be what they say. */
static int validate_mail(config_t *cfg, char *err, size_t errlen)
{
    static const char *const smtp[] = {"smtp://", "smtps://"}, *const web[] = {"http://", "https://"};
    if (cfg->smtp_url[0]) {
        if (!url_plain(cfg->smtp_url, smtp, 2)) {
            set_err(err, errlen, "smtp_url: \"%s\" is not smtp://host[:port] or smtps://host[:port]", cfg->smtp_url);
            return -1;
        }
        str_t name, addr;
        if (!cfg->smtp_from[0]) {
            set_err(err, errlen, "smtp_from: the sender address is needed when smtp_url is set");
            return -1;
        }
        if (mail_mailbox_parse(str_from(cfg->smtp_from), &name, &addr) != 0) {
            set_err(err, errlen, "smtp_from: \"%s\" is not an address or \"Name <address>\"", cfg->smtp_from);
            return -1;
        }
    }
    if (cfg->public_url[0]) {
        if (!url_plain(cfg->public_url, web, 2)) {
            set_err(err, errlen, "public_url: \"%s\" is not an http:// or https:// address", cfg->public_url);
            return -1;
        }
        size_t n = strlen(cfg->public_url);
        while (n && cfg->public_url[n - 1] == '/')
            cfg->public_url[--n] = '\0';
    }
    return 0;
}

/* A comma-separated list of http(s) URLs: how many, or -1 with err. */
static int count_urls(const char *key, const char *list, char *err, size_t errlen)
{
    int n = 0;
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        if (!((len > 7 && strncmp(p, "http://", 7) == 0) || (len > 8 && strncmp(p, "https://", 8) == 0))) {
            set_err(err, errlen, "%s: \"%.*s\" is not an http:// or https:// URL", key, (int)(len < 200 ? len : 200), p);
            return -1;
        }
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

static int validate_janus(const config_t *cfg, char *err, size_t errlen)
{
    int n = count_urls("janus_urls", cfg->janus_urls, err, errlen);
    if (n < 0)
        return -1;
    int np = count_urls("janus_public_urls", cfg->janus_public_urls, err, errlen);
    if (np < 0)
        return -1;
    if (np && np != n) {
        set_err(err, errlen, "janus_public_urls: %d URLs for the %d of janus_urls (one each, same order)", np, n);
        return -1;
    }
    return 0;
}

int config_validate(config_t *cfg, char *err, size_t errlen)
{
    if (strcmp(cfg->default_lang, "fr") != 0 && strcmp(cfg->default_lang, "en") != 0) {
        set_err(err, errlen, "default_lang: \"%s\" is not a language Cartable has (fr, en)", cfg->default_lang);
        return -1;
    }
    const char *levels[] = {"debug", "info", "warn", "error"};
    bool ok = false;
    for (int i = 0; i < 4; i++)
        ok |= strcmp(cfg->log_level, levels[i]) == 0;
    if (!ok) {
        set_err(err, errlen, "log_level: \"%s\" is not one of debug, info, warn, error", cfg->log_level);
        return -1;
    }
    if (cfg->max_upload_file > cfg->max_body || cfg->max_upload_total > cfg->max_body) {
        set_err(err, errlen, "max_upload_file and max_upload_total must not exceed max_body (%llu bytes)",
                (unsigned long long)cfg->max_body);
        return -1;
    }
    if (cfg->max_upload_file > cfg->max_upload_total) {
        set_err(err, errlen, "max_upload_file must not exceed max_upload_total");
        return -1;
    }
    if (cfg->admission_min_rate > cfg->admission_max_rate) {
        set_err(err, errlen, "admission_min_rate (%u) must not exceed admission_max_rate (%u)", cfg->admission_min_rate,
                cfg->admission_max_rate);
        return -1;
    }
    if (!cfg->data_dir[0]) {
        set_err(err, errlen, "data: the data directory must not be empty");
        return -1;
    }
    if (validate_janus(cfg, err, errlen) != 0)
        return -1;
    return validate_mail(cfg, err, errlen);
}

void config_print_reference(void *file)
{
    FILE *f = file;
    fprintf(f, "Settings (config file key = value; environment CARTABLE_KEY; option --key):\n\n");
    for (size_t i = 0; i < NOPTIONS; i++)
        fprintf(f, "  %-18s default %-14s %s\n", options[i].key, options[i].def, options[i].help);
}
