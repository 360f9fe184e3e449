#include "http/mailer.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/principal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mail.h"
#include "domain/maildigest.h"
#include "web/template.h"

/* People read per query during a round. */
#define BATCH 100
#define CONNECT_TIMEOUT_S 20L
#define RESPONSE_TIMEOUT_S 30L /* also bounds the QUIT when a round's connection closes */
#define TRANSFER_TIMEOUT_S 120L
/* After a stop, how long an interrupted transfer may take to end. */
#define STOP_GRACE_MS 2000

struct mailer {
    const config_t *cfg;
    store_t *store;
    lang_id_t lang;
    char *from_name, *from_addr; /* parsed from smtp_from */
    char *mail_from;             /* "<address>" for MAIL FROM */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stop;
    CURLM *multi; /* a round's, under lock: mailer_stop wakes it */
    /* the thread's own */
    CURL *easy;
    curl_socket_t sock; /* the connection to the mail server, or CURL_SOCKET_BAD */
    store_reader_t *reader;
    char curl_error[CURL_ERROR_SIZE];
};

typedef enum send_result { SEND_OK = 0, SEND_REFUSED, SEND_UNREACHABLE, SEND_STOPPED } send_result_t;

typedef struct upload {
    const char *p;
    size_t left;
} upload_t;

static size_t read_upload(char *dst, size_t size, size_t nitems, void *ud)
{
    upload_t *u = ud;
    size_t n = size * nitems < u->left ? size * nitems : u->left;
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* Failures that say the server is out of reach (or refuses us whole), not this mail. */
static bool unreachable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_GOT_NOTHING:
        return true;
    default:
        return false;
    }
}

/* The connection's socket is ours to know, so that a stop can cut it: libcurl
 * would otherwise finish an interrupted SMTP transfer politely, waiting for the
 * server's answers. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    mailer_t *m = ud;
    (void)purpose;
    int fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    m->sock = fd;
    return fd;
}

static int close_socket(void *ud, curl_socket_t fd)
{
    mailer_t *m = ud;
    if (fd == m->sock)
        m->sock = CURL_SOCKET_BAD;
    return close(fd);
}

/* Whatever the connection waits for will not come: it fails at once. */
static void cut_connection(mailer_t *m)
{
    if (m->sock != CURL_SOCKET_BAD)
        shutdown(m->sock, SHUT_RDWR);
}

static CURL *new_easy(mailer_t *m)
{
    const config_t *cfg = m->cfg;
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, m->mail_from);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, m);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, m);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, RESPONSE_TIMEOUT_S);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, TRANSFER_TIMEOUT_S);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, m->curl_error);
    curl_easy_setopt(e, CURLOPT_USE_SSL, (long)(cfg->smtp_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    if (cfg->smtp_user[0]) {
        curl_easy_setopt(e, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, cfg->smtp_password);
    }
    return e;
}

/* One message to one recipient, through the round's multi handle so that
 * mailer_stop can interrupt it. *code receives the server's last reply code. */
static send_result_t send_mail(mailer_t *m, int64_t person, const char *rcpt, str_t message, long *code)
{
    char angle[MAIL_ADDRESS_MAX + 3];
    snprintf(angle, sizeof angle, "<%s>", rcpt);
    struct curl_slist *rcpts = curl_slist_append(NULL, angle);
    upload_t up = {message.ptr, message.len};
    m->curl_error[0] = '\0';
    curl_easy_setopt(m->easy, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(m->easy, CURLOPT_READDATA, &up);
    curl_easy_setopt(m->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)message.len);
    CURLcode rc = CURLE_FAILED_INIT;
    bool stopped = false;
    if (rcpts && curl_multi_add_handle(m->multi, m->easy) == CURLM_OK) {
        uint64_t give_up = 0;
        int running = 1;
        while (running) {
            if (!stopped && atomic_load(&m->stop)) {
                stopped = true;
                give_up = clock_monotonic_ms() + STOP_GRACE_MS;
                cut_connection(m);
            }
            if (curl_multi_perform(m->multi, &running) != CURLM_OK || (stopped && clock_monotonic_ms() > give_up))
                break;
            if (running)
                curl_multi_poll(m->multi, NULL, 0, stopped ? 50 : 1000, NULL);
        }
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m->multi, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == m->easy)
                rc = msg->data.result;
        curl_multi_remove_handle(m->multi, m->easy);
    }
    curl_easy_setopt(m->easy, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpts);
    *code = 0;
    curl_easy_getinfo(m->easy, CURLINFO_RESPONSE_CODE, code);
    if (stopped)
        return SEND_STOPPED;
    if (rc == CURLE_OK)
        return SEND_OK;
    logq_t q;
    LOG_WARN("e-mail not accepted", "person=%lld smtp_code=%ld curl=%d error=\"%s\"", (long long)person, *code,
             (int)rc, logq(&q, m->curl_error[0] ? m->curl_error : curl_easy_strerror(rc)));
    return unreachable(rc) ? SEND_UNREACHABLE : SEND_REFUSED;
}

typedef struct record_job {
    int64_t person_id, at;
} record_job_t;

static int record_write(store_tx_t *tx, void *ud)
{
    record_job_t *j = ud;
    return maildigest_record(tx, j->person_id, j->at);
}

typedef struct round_stats {
    int sent, refused, skipped;
    bool unreachable, stopped;
} round_stats_t;

/* One person's digest: nothing when nothing is new. */
static void digest_one(mailer_t *m, arena_t *a, const maildigest_person_t *who, date_t today, round_stats_t *st)
{
    if (!mail_address_valid(who->email)) {
        LOG_WARN("no digest: the e-mail address cannot be used", "person=%lld", (long long)who->id);
        st->skipped++;
        return;
    }
    principal_t p;
    int rc = principal_load(m->reader, who->id, today, &p);
    if (rc != 1) {
        if (rc < 0)
            st->skipped++;
        return;
    }
    notify_item_t *items;
    int n = maildigest_items(m->reader, a, &p, today, clock_now(), who->last_digest_at, &items);
    if (n <= 0) {
        if (n < 0)
            st->skipped++;
        principal_dispose(&p);
        return;
    }
    int64_t newest = 0;
    for (int i = 0; i < n; i++)
        if (items[i].at > newest)
            newest = items[i].at;
    int64_t now = clock_now();
    const char *to = arena_strndup(a, who->email.ptr, who->email.len);
    maildigest_mail_t mail = {
        .from_name = str_from(m->from_name),
        .from_addr = str_from(m->from_addr),
        .to_name = str_from(arena_printf(a, "%.*s %.*s", (int)who->first_name.len, who->first_name.ptr,
                                         (int)who->last_name.len, who->last_name.ptr)),
        .to_addr = str_from(to),
        .lang = m->lang,
        .date = now,
        .message_id = str_from(maildigest_message_id(a, who->id, now, str_from(m->from_addr))),
        .base_url = str_from(m->cfg->public_url),
        .who = &p,
        .items = items,
        .nitems = n,
    };
    buf_t msg;
    buf_init(&msg, a, 4096);
    maildigest_compose(&msg, &mail);
    principal_dispose(&p);
    long code;
    switch (send_mail(m, who->id, to, buf_str(&msg), &code)) {
    case SEND_OK:
        break;
    case SEND_REFUSED:
        st->refused++;
        return;
    case SEND_UNREACHABLE:
        st->unreachable = true;
        return;
    case SEND_STOPPED:
        st->stopped = true;
        return;
    }
    st->sent++;
    /* The newest item told about: what happens later goes in the next digest. */
    record_job_t job = {who->id, newest};
    rc = store_write_sync(m->store, record_write, &job);
    if (rc < 0)
        LOG_ERROR("digest sent but not recorded: it may be sent again", "person=%lld status=%d", (long long)who->id,
                  rc);
    else
        LOG_INFO("digest sent", "person=%lld items=%d smtp_code=%ld", (long long)who->id, n, code);
}

/* A round's curl handles: one connection, reused from mail to mail. */
static bool round_open(mailer_t *m)
{
    CURLM *multi = curl_multi_init();
    m->easy = multi ? new_easy(m) : NULL;
    if (!m->easy) {
        if (multi)
            curl_multi_cleanup(multi);
        return false;
    }
    pthread_mutex_lock(&m->lock);
    m->multi = multi;
    pthread_mutex_unlock(&m->lock);
    return true;
}

/* Closes the round's connection (QUIT, unless stopping: then it is cut). */
static void round_close(mailer_t *m)
{
    if (atomic_load(&m->stop))
        cut_connection(m);
    pthread_mutex_lock(&m->lock);
    CURLM *multi = m->multi;
    m->multi = NULL;
    pthread_mutex_unlock(&m->lock);
    curl_multi_cleanup(multi);
    curl_easy_cleanup(m->easy);
    m->easy = NULL;
}

static void run_round(mailer_t *m)
{
    if (!round_open(m)) {
        LOG_ERROR("digest round: cannot set up libcurl", "%s", "");
        return;
    }
    date_t today = date_today();
    round_stats_t st = {0};
    int64_t after = 0;
    arena_t a;
    arena_init(&a, NULL);
    for (;;) {
        maildigest_person_t *people;
        int n = maildigest_candidates(m->reader, &a, after, BATCH, &people);
        if (n < 0) {
            LOG_ERROR("digest round: cannot read who asked for one", "status=%d", n);
            break;
        }
        for (int i = 0; i < n && !st.unreachable && !st.stopped; i++) {
            after = people[i].id;
            arena_t one;
            arena_init(&one, NULL);
            digest_one(m, &one, &people[i], today, &st);
            arena_free(&one);
            st.stopped |= atomic_load(&m->stop);
        }
        arena_reset(&a);
        if (n < BATCH || st.unreachable || st.stopped)
            break;
    }
    arena_free(&a);
    round_close(m);
    if (st.unreachable)
        LOG_WARN("digest round ended early: the mail server cannot be reached; next round tries again",
                 "sent=%d refused=%d", st.sent, st.refused);
    else if (st.sent || st.refused || st.skipped)
        LOG_INFO("digest round", "sent=%d refused=%d skipped=%d%s", st.sent, st.refused, st.skipped,
                 st.stopped ? " stopped=true" : "");
}

static void *mailer_main(void *arg)
{
    mailer_t *m = arg;
    m->reader = store_reader_open(m->store);
    if (!m->reader) {
        LOG_ERROR("the mailer cannot read the store: no e-mail digests will be sent", "%s", "");
    } else {
        uint64_t next = clock_monotonic_ms() + m->cfg->digest_period_ms;
        pthread_mutex_lock(&m->lock);
        while (!atomic_load(&m->stop)) {
            uint64_t now = clock_monotonic_ms();
            if (now < next) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t wait = next - now;
                ts.tv_sec += (time_t)(wait / 1000);
                ts.tv_nsec += (long)(wait % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&m->wake, &m->lock, &ts);
                continue;
            }
            pthread_mutex_unlock(&m->lock);
            run_round(m);
            next = clock_monotonic_ms() + m->cfg->digest_period_ms;
            pthread_mutex_lock(&m->lock);
        }
        pthread_mutex_unlock(&m->lock);
    }
    if (m->reader)
        store_reader_close(m->reader);
    m->reader = NULL;
    return NULL;
}

static char *heap_copy(str_t s)
{
    char *c = xmalloc(s.len + 1);
    memcpy(c, s.ptr, s.len);
    c[s.len] = '\0';
    return c;
}

static bool curl_speaks_smtp(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    for (const char *const *p = v->protocols; p && *p; p++)
        if (strcmp(*p, "smtp") == 0)
            return true;
    return false;
}

static void mailer_free(mailer_t *m)
{
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    free(m->from_name);
    free(m->from_addr);
    free(m->mail_from);
    free(m);
    curl_global_cleanup();
}

int mailer_start(const config_t *cfg, store_t *store, mailer_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg->smtp_url[0])
        return 0;
    str_t name, addr;
    if (mail_mailbox_parse(str_from(cfg->smtp_from), &name, &addr) != 0) {
        snprintf(err, errlen, "smtp_from: \"%s\" is not an address or \"Name <address>\"", cfg->smtp_from);
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }
    mailer_t *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    m->cfg = cfg;
    m->store = store;
    int lang = i18n_lang_from_code(str_from(cfg->default_lang));
    m->lang = lang < 0 ? LANG_FR : (lang_id_t)lang;
    m->from_name = heap_copy(name);
    m->from_addr = heap_copy(addr);
    m->mail_from = xmalloc(addr.len + 3);
    snprintf(m->mail_from, addr.len + 3, "<%s>", m->from_addr);
    m->sock = CURL_SOCKET_BAD;
    if (!curl_speaks_smtp()) {
        snprintf(err, errlen, "smtp_url: this libcurl cannot send mail (no SMTP support)");
        mailer_free(m);
        return -1;
    }
    if (cfg->smtp_user[0] && !cfg->smtp_tls && strncasecmp(cfg->smtp_url, "smtps://", 8) != 0)
        LOG_WARN("the mail server password is sent without TLS (set smtp_tls or use smtps://)", "%s", "");
    /* The thread takes no signal: they are the signal thread's (http/server.h). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&m->thread, NULL, mailer_main, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the mailer thread: %s", strerror(rc));
        mailer_free(m);
        return -1;
    }
    logq_t q;
    LOG_INFO("e-mail digests on", "period_ms=%llu from=\"%s\"", (unsigned long long)cfg->digest_period_ms,
             logq(&q, m->from_addr));
    *out = m;
    return 0;
}

void mailer_stop(mailer_t *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    atomic_store(&m->stop, true);
    pthread_cond_signal(&m->wake);
    if (m->multi)
        curl_multi_wakeup(m->multi);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    mailer_free(m);
}
