/* rush: the 8:30 morning load generator (bench/rush.sh, bench/README.md).
 *
 * An OPEN model: virtual users arrive at a set rate (Poisson or evenly spaced),
 * whatever the server answers, so that overload shows as latency, errors and a
 * waiting line rather than as a slower client. Each user is a browser-like
 * journey on its own keep-alive connection, with think times between steps:
 *
 *   resume (a share of users, --resume-share): starts with a valid `sid` cookie
 *     from the pool (rush pool); whether the waiting room holds it is the
 *     server's business (until cartable 18e912f it never did; since, a session
 *     not admitted within the window arrives like anyone);
 *   or sign in: GET /login (the form's _csrf), think, POST /login (urlencoded,
 *     303 expected), following the redirect;
 *   GET / (today), GET /homework, GET /homework/{id} (a link of the list, when
 *   there is one), GET /messages (the inbox);
 *   send (a share, --send-share): GET /messages/new (_csrf, key, school, the
 *     allowed `to` values), think, POST /messages/new as multipart/form-data to
 *     one of them (303 expected), following the redirect to the conversation.
 *
 * The waiting room: any answer carrying `X-Waiting-Room: position=N; wait=S`
 * (a 200 page with `Refresh: S`, or an API 503 with `Retry-After: S`) is not
 * the page: the user keeps its cookies (the `wr` ticket), waits Refresh
 * seconds (capped by --poll-ms) and asks for the same URL again, until the real
 * answer comes (with its `adm` cookie). Per journey: arrival (scheduled), first
 * request, admission (first answer that is not the waiting room), time waited.
 *
 * One thread, epoll, non-blocking sockets, edge-triggered; timers in a binary
 * heap; latencies in microseconds on CLOCK_MONOTONIC, each request timed from
 * its first byte written to its last byte read. Run it on a CPU of its own.
 *
 *   rush run --port P --rate R --duration S [options]      (see usage())
 *   rush pool --port P --logins FILE --count N --out FILE   sign N people in
 *
 * Output: a human report, then machine-readable lines starting with "RUSH ".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http1.h"

/* ---- options ------------------------------------------------------------------- */

static struct {
    char host[64];
    int port;
    double rate, duration, warmup, drain;
    bool poisson;
    double resume_share, send_share;
    const char *sessions, *logins, *password, *journeys_out, *out, *label;
    double think_ms;
    bool think_exp;
    int64_t timeout_us, poll_cap_us;
    bool gzip;
    uint64_t seed;
    double progress_s;
    long pool_count;
    int concurrency;
} opt = {
    .host = "127.0.0.1",
    .rate = 10,
    .duration = 30,
    .drain = 60,
    .poisson = true,
    .resume_share = 0.7,
    .send_share = 1.0,
    .password = "cartable-bench",
    .think_ms = 1000,
    .think_exp = true,
    .timeout_us = 10 * 1000000LL,
    .gzip = true,
    .seed = 42,
    .progress_s = 5,
    .concurrency = 16,
};

static bool pool_mode;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng_state;
static uint64_t rnd64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* uniform in (0, 1) */
static double rnd01(void)
{
    return ((double)(rnd64() >> 11) + 0.5) / 9007199254740992.0;
}

/* ---- series of latencies ----------------------------------------------------------- */

typedef struct series {
    uint32_t *v; /* microseconds */
    size_t n, cap;
} series_t;

static void series_add(series_t *s, int64_t us)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            fprintf(stderr, "rush: out of memory\n");
            exit(1);
        }
    }
    s->v[s->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void series_sort(series_t *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_u32);
}

/* Nearest-rank percentile of a sorted series, in ms (NAN when empty). */
static double pct_ms(const series_t *s, double p)
{
    if (!s->n)
        return NAN;
    double r = ceil(p / 100.0 * (double)s->n);
    size_t i = r < 1 ? 0 : (size_t)r - 1;
    if (i >= s->n)
        i = s->n - 1;
    return s->v[i] / 1000.0;
}

/* ---- journeys ---------------------------------------------------------------------- */

enum step {
    S_LOGIN_FORM,
    S_LOGIN,
    S_TODAY,
    S_HW_LIST,
    S_HW,
    S_INBOX,
    S_MSG_FORM,
    S_SEND,
    S_SENT_PAGE,
    S_POOL,
    S_NSTEPS,
    S_DONE = S_NSTEPS,
};
static const char *const step_name[S_NSTEPS] = {
    "login_form", "login", "today", "homework_list", "homework", "inbox", "message_form", "send", "sent_page", "pool_login",
};

enum kind { K_RESUME, K_LOGIN, K_POOL };
enum outcome { O_ACTIVE, O_DONE, O_ERROR, O_TIMEOUT, O_UNFINISHED };

/* error codes besides HTTP statuses */
enum {
    E_CONNECT = -1,  /* the connection failed or broke before an answer */
    E_CLOSED = -2,   /* closed in the middle of an answer */
    E_BAD = -3,      /* an answer that could not be parsed */
    E_LOGIN = -4,    /* POST /login answered 200 (the form again: refused) */
    E_SENDFORM = -5, /* POST /messages/new answered 200 (the form again: refused) */
    E_REDIRECT = -6, /* a page answered by a redirect (to /login: not signed in) */
    E_NOFORM = -7,   /* a form without the hidden fields it needs */
    E_SOCKET = -8,   /* socket() failed (file descriptors) */
    E_NOSID = -9,    /* a sign-in without a sid cookie */
};

static const char *code_name(int code, char *tmp, size_t n)
{
    switch (code) {
    case E_CONNECT: return "connect";
    case E_CLOSED: return "closed";
    case E_BAD: return "bad_answer";
    case E_LOGIN: return "login_refused";
    case E_SENDFORM: return "send_refused";
    case E_REDIRECT: return "redirect";
    case E_NOFORM: return "no_form";
    case E_SOCKET: return "socket";
    case E_NOSID: return "no_sid";
    default: snprintf(tmp, n, "%d", code); return tmp;
    }
}

typedef struct user user_t;

typedef struct journey {
    int64_t arrival_us, first_req_us, admitted_us, first_wait_us, end_us;
    int64_t server_us; /* the sum of its answered requests' latencies (waiting room excluded) */
    uint32_t wr_answers, first_position, last_position;
    uint8_t kind, outcome, gated, warm, err_step, sent;
    int16_t err_code;
    uint32_t login; /* index in the logins list (login and pool journeys) */
    user_t *u;
} journey_t;

struct user {
    uint32_t jid, gen, conn_serial, responses_on_conn;
    int fd;
    bool connecting, outstanding, retried;
    int step;
    int tries; /* pool: retries after 429/503 */
    buf_t out;
    size_t out_off;
    http_resp_t resp;
    int64_t sent_us;
    jar_t jar;
    const char *method;
    buf_t path, body;
    const char *ctype;
    bool api;
    char csrf[64], key[96], school[16], to[32], hw[64], ctype_buf[96];
};

static journey_t *J;
static size_t nj, capj;
static series_t lat[S_NSTEPS], wr_lat, lag_start, lag_timer;
static uint64_t timeouts_by_step[S_NSTEPS], hw_skipped, send_skipped, cookie_overflow;
static long active, peak_active, open_conns, peak_conns;
static int64_t loop_busy_max_us, loop_oversleep_max_us;
static long loop_busy_over10ms, loop_events_max;

typedef struct errcount {
    int code, step;
    uint64_t n;
} errcount_t;
static errcount_t errs[64];
static int nerrs;

static void count_error(int code, int step)
{
    for (int i = 0; i < nerrs; i++)
        if (errs[i].code == code && errs[i].step == step) {
            errs[i].n++;
            return;
        }
    if (nerrs < (int)(sizeof errs / sizeof errs[0]))
        errs[nerrs++] = (errcount_t){code, step, 1};
}

static char **logins, **sessions;
static size_t nlogins, nsessions;

static char **read_lines(const char *path, size_t *n, bool sid)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t k = strcspn(p, " \t\r\n");
        p[k] = '\0';
        if (!k)
            continue;
        if (sid && strncmp(p, "sid=", 4) == 0)
            p += 4;
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof *v);
        }
        v[(*n)++] = strdup(p);
    }
    fclose(f);
    return v;
}

/* ---- timers ---------------------------------------------------------------------- */

enum { T_GO, T_TIMEOUT };
typedef struct tmr {
    int64_t at;
    uint32_t jid, gen;
    int kind;
} tmr_t;
static tmr_t *heap;
static size_t nheap, capheap;

static void heap_push(tmr_t t)
{
    if (nheap == capheap) {
        capheap = capheap ? capheap * 2 : 4096;
        heap = realloc(heap, capheap * sizeof *heap);
    }
    size_t i = nheap++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (heap[p].at <= t.at)
            break;
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = t;
}

static tmr_t heap_pop(void)
{
    tmr_t top = heap[0], last = heap[--nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= nheap)
            break;
        if (c + 1 < nheap && heap[c + 1].at < heap[c].at)
            c++;
        if (last.at <= heap[c].at)
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (nheap)
        heap[i] = last;
    return top;
}

/* ---- connections ----------------------------------------------------------------- */

static int ep;
static struct sockaddr_in server_addr;
static char host_header[96];
static buf_t scratch; /* inflated bodies */

static void close_conn(user_t *u)
{
    if (u->fd >= 0) {
        close(u->fd); /* also leaves the epoll set */
        u->fd = -1;
        open_conns--;
    }
    u->connecting = false;
    u->responses_on_conn = 0;
}

static void finish(user_t *u, int outcome);
static void send_current(user_t *u);
static void on_response(user_t *u);

static void fail(user_t *u, int code)
{
    journey_t *j = &J[u->jid];
    j->err_code = (int16_t)code;
    j->err_step = (uint8_t)u->step;
    if (!j->warm)
        count_error(code, u->step);
    finish(u, O_ERROR);
}

/* A connection broke: retry once on a fresh one if it was a reused keep-alive
 * connection that broke before any byte of the answer (the server had closed
 * it while idle), as browsers do; otherwise the journey fails. */
static void conn_broken(user_t *u, int code)
{
    if (!u->outstanding) {
        close_conn(u);
        return;
    }
    if (u->resp.bytes == 0 && u->responses_on_conn > 0 && !u->retried) {
        close_conn(u);
        u->retried = true;
        send_current(u);
        return;
    }
    close_conn(u);
    fail(u, u->resp.bytes ? E_CLOSED : code);
}

static int open_conn(user_t *u)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    u->fd = fd;
    u->conn_serial++;
    u->responses_on_conn = 0;
    open_conns++;
    if (open_conns > peak_conns)
        peak_conns = open_conns;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = (uint64_t)u->jid | ((uint64_t)u->conn_serial << 32)};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        perror("epoll_ctl");
        exit(1);
    }
    if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) == 0)
        u->connecting = false;
    else if (errno == EINPROGRESS)
        u->connecting = true;
    else
        return -2;
    return 0;
}

/* Writes what is pending; returns false if the user is gone or its connection broke. */
static bool flush(user_t *u)
{
    while (u->out_off < u->out.len) {
        ssize_t w = send(u->fd, u->out.p + u->out_off, u->out.len - u->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            u->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return true;
        conn_broken(u, E_CONNECT);
        return false;
    }
    return true;
}

static char rbuf[256 * 1024];

static void do_read(user_t *u)
{
    for (;;) {
        ssize_t n = read(u->fd, rbuf, sizeof rbuf);
        if (n > 0) {
            if (!u->outstanding) { /* nothing asked: not HTTP we know */
                close_conn(u);
                return;
            }
            size_t used;
            int rc = http_resp_feed(&u->resp, rbuf, (size_t)n, &used);
            if (rc < 0) {
                close_conn(u);
                fail(u, E_BAD);
                return;
            }
            if (rc == 1) {
                on_response(u);
                return; /* no pipelining: nothing else can be in the socket */
            }
            continue;
        }
        if (n == 0) {
            if (u->outstanding && http_resp_eof(&u->resp) == 1) {
                on_response(u);
                return;
            }
            conn_broken(u, E_CONNECT);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return;
        conn_broken(u, E_CONNECT);
        return;
    }
}

static void on_event(struct epoll_event *ev)
{
    uint32_t jid = (uint32_t)ev->data.u64, serial = (uint32_t)(ev->data.u64 >> 32);
    if (jid >= nj)
        return;
    user_t *u = J[jid].u;
    if (!u || u->fd < 0 || u->conn_serial != serial)
        return; /* an event for a connection closed since */
    if (u->connecting) {
        if (!(ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            conn_broken(u, E_CONNECT);
            return;
        }
        u->connecting = false;
    }
    if ((ev->events & EPOLLOUT) && u->out_off < u->out.len) {
        if (!flush(u))
            return;
    }
    if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        do_read(u);
}

/* ---- requests -------------------------------------------------------------------- */

static void url_encode(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            buf_add(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_add(b, e, 3);
        }
    }
}

static void set_request(user_t *u, const char *method, const char *path)
{
    u->method = method;
    u->path.len = 0;
    buf_str(&u->path, path);
    u->body.len = 0;
    u->ctype = NULL;
    u->api = strncmp(path, "/api/", 5) == 0;
}

static void schedule(user_t *u, int kind, int64_t at)
{
    heap_push((tmr_t){at, u->jid, u->gen, kind});
}

/* Writes the current request (method, path, body, cookies) on the user's
 * connection, opening one if needed. */
static void send_current(user_t *u)
{
    journey_t *j = &J[u->jid];
    buf_t *o = &u->out;
    o->len = 0;
    u->out_off = 0;
    buf_printf(o, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: cartable-rush/1\r\n", u->method, u->path.p,
               host_header);
    if (u->api)
        buf_str(o, "Accept: application/json\r\n");
    else
        buf_str(o, "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n");
    buf_str(o, "Accept-Language: fr-FR,fr;q=0.9\r\n");
    if (opt.gzip)
        buf_str(o, "Accept-Encoding: gzip\r\n");
    if (u->jar.n) {
        buf_str(o, "Cookie: ");
        jar_header(&u->jar, o);
        buf_str(o, "\r\n");
    }
    if (u->ctype) {
        buf_printf(o, "Origin: http://%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", host_header, u->ctype,
                   u->body.len);
    }
    buf_str(o, "\r\n");
    if (u->body.len)
        buf_add(o, u->body.p, u->body.len);

    int64_t now = mono_us();
    if (!j->first_req_us) {
        j->first_req_us = now;
        if (!j->warm && j->kind != K_POOL)
            series_add(&lag_start, now - j->arrival_us);
    }
    u->gen++;
    u->sent_us = now;
    u->outstanding = true;
    http_resp_reset(&u->resp, strcmp(u->method, "HEAD") == 0);
    schedule(u, T_TIMEOUT, now + opt.timeout_us);
    if (u->fd < 0) {
        int rc = open_conn(u);
        if (rc == -1) {
            fail(u, E_SOCKET);
            return;
        }
        if (rc == -2) {
            conn_broken(u, E_CONNECT);
            return;
        }
        if (u->connecting)
            return; /* EPOLLOUT will say when it can be written */
    }
    flush(u);
}

static int64_t think_us(void)
{
    if (opt.think_ms <= 0)
        return 0;
    double ms = opt.think_exp ? -opt.think_ms * log(rnd01()) : opt.think_ms;
    return (int64_t)(ms * 1000.0);
}

/* Copies the value of the first `needle"VALUE"` (needle ends with value=") found. */
static bool find_value(const char *html, const char *needle, char *out, size_t cap)
{
    const char *p = strstr(html, needle);
    if (!p)
        return false;
    p += strlen(needle);
    size_t k = strcspn(p, "\"<>");
    if (p[k] != '"' || k == 0 || k >= cap)
        return false;
    memcpy(out, p, k);
    out[k] = '\0';
    return true;
}

/* Picks one of the values following needle (all occurrences) at random. */
static bool pick_value(const char *html, const char *needle, bool digits_only, char *out, size_t cap)
{
    size_t count = 0, nl = strlen(needle);
    for (const char *p = strstr(html, needle); p; p = strstr(p + nl, needle)) {
        const char *v = p + nl;
        size_t k = strcspn(v, "\"<>");
        if (v[k] != '"' || !k || k >= cap)
            continue;
        if (digits_only && strspn(v, "0123456789") != k)
            continue;
        count++;
        if (rnd64() % count == 0) { /* reservoir of one */
            memcpy(out, v, k);
            out[k] = '\0';
        }
    }
    return count > 0;
}

static void multipart_field(buf_t *b, const char *boundary, const char *name, const char *value)
{
    buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", boundary, name, value);
}

/* Sets up the request of a step; false when the step does not apply. */
static bool prepare(user_t *u, int step, const char *location)
{
    journey_t *j = &J[u->jid];
    u->step = step;
    switch (step) {
    case S_LOGIN_FORM:
        set_request(u, "GET", "/login");
        return true;
    case S_LOGIN:
        set_request(u, "POST", "/login");
        u->ctype = "application/x-www-form-urlencoded";
        buf_str(&u->body, "_csrf=");
        url_encode(&u->body, u->csrf);
        buf_str(&u->body, "&next=%2F&login=");
        url_encode(&u->body, logins[j->login]);
        buf_str(&u->body, "&password=");
        url_encode(&u->body, opt.password);
        return true;
    case S_TODAY:
        set_request(u, "GET", location && location[0] == '/' ? location : "/");
        return true;
    case S_HW_LIST:
        set_request(u, "GET", "/homework");
        return true;
    case S_HW: {
        if (!u->hw[0]) {
            if (!j->warm)
                hw_skipped++;
            return false;
        }
        char path[96];
        snprintf(path, sizeof path, "/homework/%s", u->hw);
        set_request(u, "GET", path);
        return true;
    }
    case S_INBOX:
        set_request(u, "GET", "/messages");
        return true;
    case S_MSG_FORM:
        if (rnd01() >= opt.send_share)
            return false;
        set_request(u, "GET", "/messages/new");
        return true;
    case S_SEND: {
        set_request(u, "POST", "/messages/new");
        char boundary[48];
        snprintf(boundary, sizeof boundary, "----rush%016llx", (unsigned long long)rnd64());
        snprintf(u->ctype_buf, sizeof u->ctype_buf, "multipart/form-data; boundary=%s", boundary);
        u->ctype = u->ctype_buf;
        buf_t *b = &u->body;
        multipart_field(b, boundary, "_csrf", u->csrf);
        multipart_field(b, boundary, "key", u->key);
        if (u->school[0])
            multipart_field(b, boundary, "school", u->school);
        multipart_field(b, boundary, "filter", "");
        multipart_field(b, boundary, "to", u->to);
        char subject[96];
        snprintf(subject, sizeof subject, "Question sur le travail n°%u", u->jid);
        multipart_field(b, boundary, "subject", subject);
        multipart_field(b, boundary, "body",
                        "Bonjour,\r\n\r\nJe n'ai pas compris l'exercice 3 : faut-il rendre la rédaction "
                        "sur copie double ou en ligne ?\r\n\r\nMerci, bonne journée.");
        buf_printf(b,
                   "--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n\r\n",
                   boundary);
        multipart_field(b, boundary, "action", "send");
        buf_printf(b, "--%s--\r\n", boundary);
        return true;
    }
    case S_SENT_PAGE:
        set_request(u, "GET", location && location[0] == '/' ? location : "/messages");
        return true;
    case S_POOL:
        set_request(u, "POST", "/api/v1/login");
        u->ctype = "application/json";
        buf_printf(&u->body, "{\"login\":\"%s\",\"password\":\"%s\",\"remember\":true}", logins[j->login],
                   opt.password);
        return true;
    }
    return false;
}

/* Moves to a step (skipping those that do not apply), after a think time or at once. */
static void go_to(user_t *u, int step, bool think, const char *location)
{
    while (step < S_DONE && step != S_POOL && !prepare(u, step, location))
        step = step == S_MSG_FORM ? S_DONE : step + 1;
    if (step == S_POOL)
        prepare(u, step, location);
    if (step >= S_DONE) {
        finish(u, O_DONE);
        return;
    }
    int64_t t = think ? think_us() : 0;
    if (t > 0) {
        u->gen++;
        schedule(u, T_GO, mono_us() + t);
    } else {
        send_current(u);
    }
}

static int64_t header_seconds_us(const http_resp_t *r, span_t s)
{
    size_t n;
    const char *v = http_span(r, s, &n);
    if (!v || !n || v[0] < '0' || v[0] > '9')
        return -1;
    return (int64_t)(strtod(v, NULL) * 1e6);
}

static uint32_t wr_field(const http_resp_t *r, const char *name)
{
    size_t n;
    const char *v = http_span(r, r->waiting_room, &n);
    size_t k = strlen(name);
    for (size_t i = 0; v && i + k < n; i++)
        if (strncasecmp(v + i, name, k) == 0 && v[i + k] == '=' && (i == 0 || v[i - 1] == ' ' || v[i - 1] == ';'))
            return (uint32_t)strtoul(v + i + k + 1, NULL, 10);
    return 0;
}

static FILE *pool_out;
static long pool_ok;

static void on_response(user_t *u)
{
    int64_t now = mono_us();
    int64_t l = now - u->sent_us;
    journey_t *j = &J[u->jid];
    http_resp_t *r = &u->resp;
    u->outstanding = false;
    u->retried = false;
    u->gen++;
    u->responses_on_conn++;
    for (int i = 0; i < r->nset_cookie; i++) {
        size_t n;
        const char *v = http_span(r, r->set_cookie[i], &n);
        if (jar_set_cookie(&u->jar, v, n) < 0)
            cookie_overflow++;
    }
    if (r->close)
        close_conn(u);

    if (r->waiting_room.len) { /* the waiting room, not the page */
        if (!j->warm)
            series_add(&wr_lat, l);
        uint32_t pos = wr_field(r, "position");
        if (!j->gated) {
            j->gated = 1;
            j->first_wait_us = u->sent_us;
            j->first_position = pos;
        }
        j->last_position = pos;
        j->wr_answers++;
        int64_t d = header_seconds_us(r, r->refresh);
        if (d < 0)
            d = header_seconds_us(r, r->retry_after);
        if (d < 0)
            d = (int64_t)wr_field(r, "wait") * 1000000;
        if (opt.poll_cap_us > 0 && d > opt.poll_cap_us)
            d = opt.poll_cap_us;
        if (d < 50000)
            d = 50000; /* "Refresh: 0" must not spin */
        schedule(u, T_GO, now + d); /* the same request again */
        return;
    }
    if (!j->admitted_us)
        j->admitted_us = now;
    if (!j->warm)
        series_add(&lat[u->step], l);
    j->server_us += l;

    int st = r->status;
    if (u->step == S_POOL && (st == 503 || st == 429) && u->tries < 20) {
        u->tries++;
        int64_t d = header_seconds_us(r, r->retry_after);
        schedule(u, T_GO, now + (d > 0 ? d : 1000000));
        return;
    }
    if (st >= 400 || st < 200) {
        fail(u, st);
        return;
    }
    bool redirect = st >= 300;
    char loc[512] = "";
    size_t ln;
    const char *lv = http_span(r, r->location, &ln);
    if (lv && ln < sizeof loc) {
        memcpy(loc, lv, ln);
        loc[ln] = '\0';
        if (strncmp(loc, "http://", 7) == 0) { /* absolute: keep the path */
            char *p = strchr(loc + 7, '/');
            memmove(loc, p ? p : "/", strlen(p ? p : "/") + 1);
        }
    }
    size_t blen;
    const char *html;
    switch (u->step) {
    case S_LOGIN_FORM:
        html = redirect ? NULL : http_body_text(r, &scratch, &blen);
        if (redirect)
            fail(u, E_REDIRECT);
        else if (!html || !find_value(html, "name=\"_csrf\" value=\"", u->csrf, sizeof u->csrf))
            fail(u, E_NOFORM);
        else
            go_to(u, S_LOGIN, true, NULL);
        return;
    case S_LOGIN:
        if (!redirect)
            fail(u, E_LOGIN);
        else
            go_to(u, S_TODAY, false, loc); /* the browser follows the 303 at once */
        return;
    case S_TODAY:
    case S_HW:
    case S_INBOX:
        if (redirect)
            fail(u, E_REDIRECT);
        else
            go_to(u, u->step + 1, true, NULL);
        return;
    case S_HW_LIST:
        if (redirect) {
            fail(u, E_REDIRECT);
            return;
        }
        html = http_body_text(r, &scratch, &blen);
        u->hw[0] = '\0';
        if (html)
            pick_value(html, "href=\"/homework/", true, u->hw, sizeof u->hw);
        go_to(u, S_HW, true, NULL);
        return;
    case S_MSG_FORM:
        if (redirect) {
            fail(u, E_REDIRECT);
            return;
        }
        html = http_body_text(r, &scratch, &blen);
        if (!html || !find_value(html, "name=\"_csrf\" value=\"", u->csrf, sizeof u->csrf) ||
            !find_value(html, "name=\"key\" value=\"", u->key, sizeof u->key)) {
            fail(u, E_NOFORM);
            return;
        }
        if (!find_value(html, "name=\"school\" value=\"", u->school, sizeof u->school))
            u->school[0] = '\0';
        if (!pick_value(html, "name=\"to\" value=\"", false, u->to, sizeof u->to)) {
            if (!j->warm)
                send_skipped++;
            finish(u, O_DONE);
            return;
        }
        go_to(u, S_SEND, true, NULL);
        return;
    case S_SEND:
        if (!redirect) {
            fail(u, E_SENDFORM);
            return;
        }
        j->sent = 1;
        go_to(u, S_SENT_PAGE, false, loc); /* followed at once too */
        return;
    case S_SENT_PAGE:
        if (redirect)
            fail(u, E_REDIRECT);
        else
            finish(u, O_DONE);
        return;
    case S_POOL: {
        const char *sid = jar_get(&u->jar, "sid");
        if (!sid) {
            fail(u, E_NOSID);
            return;
        }
        fprintf(pool_out, "sid=%s\n", sid);
        pool_ok++;
        finish(u, O_DONE);
        return;
    }
    }
}

static void on_timer(tmr_t t, int64_t now)
{
    journey_t *j = &J[t.jid];
    user_t *u = j->u;
    if (!u || u->gen != t.gen)
        return; /* answered, or the journey ended */
    if (t.kind == T_GO) {
        if (!j->warm)
            series_add(&lag_timer, now - t.at);
        send_current(u);
    } else if (u->outstanding) {
        if (!j->warm)
            timeouts_by_step[u->step]++;
        j->err_step = (uint8_t)u->step;
        close_conn(u);
        finish(u, O_TIMEOUT);
    }
}

/* ---- journeys' lives ---------------------------------------------------------------- */

static void pool_next(void);

static void finish(user_t *u, int outcome)
{
    journey_t *j = &J[u->jid];
    j->outcome = (uint8_t)outcome;
    j->end_us = mono_us();
    close_conn(u);
    buf_free(&u->out);
    buf_free(&u->path);
    buf_free(&u->body);
    http_resp_free(&u->resp);
    free(u);
    j->u = NULL;
    active--;
    if (pool_mode)
        pool_next();
}

static uint32_t new_journey(int64_t arrival, int kind)
{
    if (nj == capj) {
        capj = capj ? capj * 2 : 65536;
        J = realloc(J, capj * sizeof *J);
        if (!J) {
            fprintf(stderr, "rush: out of memory\n");
            exit(1);
        }
    }
    uint32_t id = (uint32_t)nj++;
    memset(&J[id], 0, sizeof J[id]);
    J[id].arrival_us = arrival;
    J[id].kind = (uint8_t)kind;
    return id;
}

static void start_journey(uint32_t jid)
{
    journey_t *j = &J[jid];
    user_t *u = calloc(1, sizeof *u);
    if (!u) {
        fprintf(stderr, "rush: out of memory\n");
        exit(1);
    }
    u->jid = jid;
    u->fd = -1;
    j->u = u;
    active++;
    if (active > peak_active)
        peak_active = active;
    switch (j->kind) {
    case K_RESUME:
        jar_put(&u->jar, "sid", sessions[rnd64() % nsessions]);
        go_to(u, S_TODAY, false, NULL);
        break;
    case K_LOGIN:
        j->login = (uint32_t)(rnd64() % nlogins);
        go_to(u, S_LOGIN_FORM, false, NULL);
        break;
    case K_POOL:
        go_to(u, S_POOL, false, NULL);
        break;
    }
}

static long pool_started;

static void pool_next(void)
{
    while (active < opt.concurrency && pool_started < opt.pool_count) {
        uint32_t id = new_journey(mono_us(), K_POOL);
        J[id].login = (uint32_t)(pool_started % (long)nlogins);
        pool_started++;
        start_journey(id);
    }
}

/* ---- the report ------------------------------------------------------------------- */

/* Spearman's rank correlation of two keys over n items (average ranks for ties). */
typedef struct rk {
    int64_t key;
    size_t i;
} rk_t;
static int cmp_rk(const void *a, const void *b)
{
    const rk_t *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}
static void ranks(const int64_t *key, size_t n, double *rank)
{
    rk_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (rk_t){key[i], i};
    qsort(v, n, sizeof *v, cmp_rk);
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k + 1 < n && v[k + 1].key == v[i].key)
            k++;
        double r = (double)(i + k) / 2.0 + 1.0;
        for (size_t m = i; m <= k; m++)
            rank[v[m].i] = r;
        i = k + 1;
    }
    free(v);
}
static double spearman(const int64_t *a, const int64_t *b, size_t n)
{
    if (n < 3)
        return NAN;
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb);
    ranks(a, n, ra);
    ranks(b, n, rb);
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++)
        ma += ra[i], mb += rb[i];
    ma /= (double)n, mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

static void fmt_ms(char *out, size_t n, double v)
{
    if (isnan(v))
        snprintf(out, n, "-");
    else if (v < 10)
        snprintf(out, n, "%.2f", v);
    else
        snprintf(out, n, "%.1f", v);
}

static void report(int64_t t0, int64_t t_arrivals_end, int64_t t_end, double cpu_s, double cpu_measured)
/* t0: the first arrival (warm-up included) */
{
    FILE *o = stdout;
    double measured_s = opt.duration;
    size_t arrivals = 0, started = 0, completed = 0, errors = 0, timeouts = 0, unfinished = 0, still_waiting = 0;
    size_t resumed = 0, signed_in = 0, sent = 0;
    series_t journey = {0}, wait = {0}, firstpos = {0};
    int64_t *arr = malloc((nj + 1) * sizeof *arr), *adm = malloc((nj + 1) * sizeof *adm);
    size_t ngated = 0, nadm = 0, ngated_resume = 0;
    for (size_t i = 0; i < nj; i++) {
        journey_t *j = &J[i];
        if (j->warm)
            continue;
        arrivals++;
        if (j->first_req_us)
            started++;
        if (j->kind == K_RESUME)
            resumed++;
        else
            signed_in++;
        sent += j->sent;
        switch (j->outcome) {
        case O_DONE:
            completed++;
            series_add(&journey, j->server_us);
            break;
        case O_ERROR: errors++; break;
        case O_TIMEOUT: timeouts++; break;
        default:
            unfinished++;
            if (j->gated && !j->admitted_us)
                still_waiting++;
        }
        if (j->gated) {
            ngated++;
            if (j->kind == K_RESUME)
                ngated_resume++;
            series_add(&firstpos, (int64_t)j->first_position * 1000); /* shown "in ms": a count */
            if (j->admitted_us) {
                series_add(&wait, j->admitted_us - j->first_req_us);
                arr[nadm] = j->arrival_us;
                adm[nadm] = j->admitted_us;
                nadm++;
            }
        }
    }
    double rho = spearman(arr, adm, nadm);
    free(arr);
    free(adm);
    for (int s = 0; s < S_NSTEPS; s++)
        series_sort(&lat[s]);
    series_sort(&journey);
    series_sort(&wait);
    series_sort(&wr_lat);
    series_sort(&lag_start);
    series_sort(&lag_timer);
    series_sort(&firstpos);

    double step_p99_max = NAN;
    for (int s = 0; s < S_NSTEPS; s++)
        if (lat[s].n && (isnan(step_p99_max) || pct_ms(&lat[s], 99) > step_p99_max))
            step_p99_max = pct_ms(&lat[s], 99);
    double wall = (double)(t_end - t0) / 1e6;
    double achieved = (double)started / measured_s;
    char a[32], b[32], c[32], d[32], e[32];

    fprintf(o, "\n== rush%s%s: %s arrivals at %.1f/s for %.0f s (+%.0f s warm-up), think %s %.0f ms, resume share %.2f, "
               "send share %.2f ==\n",
            opt.label ? " " : "", opt.label ? opt.label : "", opt.poisson ? "Poisson" : "evenly spaced", opt.rate,
            opt.duration, opt.warmup, opt.think_exp ? "exponential mean" : "fixed", opt.think_ms, opt.resume_share,
            opt.send_share);
    fprintf(o, "arrivals: offered %.1f/s, achieved %.1f/s (%zu journeys: %zu resume a session, %zu sign in)\n",
            opt.rate, achieved, arrivals, resumed, signed_in);
    fprintf(o, "journeys: %zu completed (%.1f/s), %zu errors, %zu timeouts, %zu unfinished (%zu of them still waiting "
               "in line); %zu messages sent; homework step skipped %" PRIu64 " times (no link), send skipped %" PRIu64
               " (no recipient)\n",
            completed, (double)completed / measured_s, errors, timeouts, unfinished, still_waiting, sent, hw_skipped,
            send_skipped);
    fmt_ms(a, sizeof a, pct_ms(&journey, 50));
    fmt_ms(b, sizeof b, pct_ms(&journey, 99));
    fmt_ms(c, sizeof c, pct_ms(&journey, 99.9));
    fmt_ms(d, sizeof d, pct_ms(&journey, 100));
    fprintf(o, "journey server time (sum of its requests, think and waiting excluded), completed journeys: p50 %s ms, p99 %s ms, "
               "p99.9 %s ms, max %s ms\n",
            a, b, c, d);
    fprintf(o, "%-14s %8s %9s %9s %9s %9s %9s\n", "step", "answers", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "timeouts");
    for (int s = 0; s < S_NSTEPS; s++) {
        if (!lat[s].n && !timeouts_by_step[s])
            continue;
        fmt_ms(a, sizeof a, pct_ms(&lat[s], 50));
        fmt_ms(b, sizeof b, pct_ms(&lat[s], 99));
        fmt_ms(c, sizeof c, pct_ms(&lat[s], 99.9));
        fmt_ms(d, sizeof d, pct_ms(&lat[s], 100));
        fprintf(o, "%-14s %8zu %9s %9s %9s %9s %9" PRIu64 "\n", step_name[s], lat[s].n, a, b, c, d, timeouts_by_step[s]);
    }
    fmt_ms(a, sizeof a, pct_ms(&wr_lat, 50));
    fmt_ms(b, sizeof b, pct_ms(&wr_lat, 99));
    fmt_ms(c, sizeof c, pct_ms(&wait, 50));
    fmt_ms(d, sizeof d, pct_ms(&wait, 99));
    fmt_ms(e, sizeof e, pct_ms(&wait, 100));
    fprintf(o, "waiting room: %zu journeys gated (%zu of them resuming a session), %zu waiting-room answers (p50 %s ms, p99 %s ms); time in line p50 %s ms, "
               "p99 %s ms, max %s ms; first position p50 %.0f, max %.0f; arrival/admission order Spearman %.4f over %zu admitted\n",
            ngated, ngated_resume, wr_lat.n, a, b, c, d, e, firstpos.n ? pct_ms(&firstpos, 50) : 0, firstpos.n ? pct_ms(&firstpos, 100) : 0,
            rho, nadm);
    fprintf(o, "errors:");
    if (!nerrs)
        fprintf(o, " none");
    for (int i = 0; i < nerrs; i++) {
        char tmp[16];
        fprintf(o, " %s@%s=%" PRIu64, code_name(errs[i].code, tmp, sizeof tmp), step_name[errs[i].step], errs[i].n);
    }
    fprintf(o, "\n");
    fmt_ms(a, sizeof a, pct_ms(&lag_start, 99));
    fmt_ms(b, sizeof b, pct_ms(&lag_start, 100));
    fmt_ms(c, sizeof c, pct_ms(&lag_timer, 99));
    fmt_ms(d, sizeof d, pct_ms(&lag_timer, 100));
    fprintf(o, "generator: %.1f %% of one core while arrivals were measured (%.1f %% over the whole %.1f s); first request "
               "after arrival p99 %s ms, max %s ms; timers late p99 %s ms, max %s ms; peak %ld users, %ld connections%s\n",
            100.0 * cpu_measured / measured_s, 100.0 * cpu_s / wall, wall, a, b, c, d, peak_active, peak_conns,
            cookie_overflow ? " (some cookies did not fit the jar)" : "");
    fprintf(o, "generator loop: longest batch of work %.1f ms (%ld batches over 10 ms, up to %ld events at once); "
               "slept at most %.1f ms longer than asked\n",
            loop_busy_max_us / 1000.0, loop_busy_over10ms, loop_events_max, loop_oversleep_max_us / 1000.0);

    /* machine-readable */
    fprintf(o, "RUSH summary rate=%.2f achieved=%.2f arrivals=%zu completed=%zu errors=%zu timeouts=%zu unfinished=%zu "
               "still_waiting=%zu sent=%zu hw_skipped=%" PRIu64 " journey_p50_ms=%.3f journey_p99_ms=%.3f journey_p999_ms=%.3f "
               "step_p99_max_ms=%.3f drain_s=%.1f\n",
            opt.rate, achieved, arrivals, completed, errors, timeouts, unfinished, still_waiting, sent, hw_skipped,
            pct_ms(&journey, 50), pct_ms(&journey, 99), pct_ms(&journey, 99.9), step_p99_max,
            (double)(t_end - t_arrivals_end) / 1e6);
    for (int s = 0; s < S_NSTEPS; s++)
        if (lat[s].n || timeouts_by_step[s])
            fprintf(o, "RUSH step name=%s n=%zu p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f timeouts=%" PRIu64 "\n",
                    step_name[s], lat[s].n, pct_ms(&lat[s], 50), pct_ms(&lat[s], 99), pct_ms(&lat[s], 99.9),
                    pct_ms(&lat[s], 100), timeouts_by_step[s]);
    fprintf(o, "RUSH wr gated=%zu gated_resume=%zu answers=%zu answer_p50_ms=%.3f answer_p99_ms=%.3f wait_p50_ms=%.3f wait_p99_ms=%.3f "
               "wait_max_ms=%.3f first_position_max=%.0f admitted=%zu spearman=%.4f\n",
            ngated, ngated_resume, wr_lat.n, pct_ms(&wr_lat, 50), pct_ms(&wr_lat, 99), pct_ms(&wait, 50), pct_ms(&wait, 99),
            pct_ms(&wait, 100), firstpos.n ? pct_ms(&firstpos, 100) : 0, nadm, rho);
    fprintf(o, "RUSH errors");
    if (!nerrs)
        fprintf(o, " none");
    for (int i = 0; i < nerrs; i++) {
        char tmp[16];
        fprintf(o, " %s@%s=%" PRIu64, code_name(errs[i].code, tmp, sizeof tmp), step_name[errs[i].step], errs[i].n);
    }
    fprintf(o, "\n");
    fprintf(o, "RUSH gen cpu_pct=%.1f cpu_total_pct=%.1f cpu_s=%.2f wall_s=%.1f start_lag_p99_ms=%.3f start_lag_max_ms=%.3f timer_lag_p99_ms=%.3f "
               "timer_lag_max_ms=%.3f peak_users=%ld peak_conns=%ld loop_busy_max_ms=%.3f loop_busy_over10ms=%ld "
               "oversleep_max_ms=%.3f\n",
            100.0 * cpu_measured / measured_s, 100.0 * cpu_s / wall, cpu_s, wall, pct_ms(&lag_start, 99), pct_ms(&lag_start, 100), pct_ms(&lag_timer, 99),
            pct_ms(&lag_timer, 100), peak_active, peak_conns, loop_busy_max_us / 1000.0, loop_busy_over10ms,
            loop_oversleep_max_us / 1000.0);
    fflush(o);
    free(journey.v);
    free(wait.v);
    free(firstpos.v);
}

static void write_journeys(const char *path, int64_t t0)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return;
    }
    static const char *const outcome[] = {"active", "done", "error", "timeout", "unfinished"};
    fprintf(f, "id\tkind\twarm\tarrival_ms\tfirst_request_ms\tadmitted_ms\twaited_ms\tend_ms\tserver_ms\toutcome\terror\tstep"
               "\twr_answers\tfirst_position\n");
    for (size_t i = 0; i < nj; i++) {
        journey_t *j = &J[i];
        char tmp[16];
#define REL(t) ((t) ? (double)((t) - t0) / 1000.0 : -1.0)
        fprintf(f, "%zu\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%s\t%s\t%u\t%u\n", i,
                j->kind == K_RESUME ? "resume" : j->kind == K_LOGIN ? "login" : "pool", j->warm, REL(j->arrival_us),
                REL(j->first_req_us), REL(j->admitted_us),
                j->gated && j->admitted_us ? (double)(j->admitted_us - j->first_req_us) / 1000.0 : 0.0, REL(j->end_us),
                (double)j->server_us / 1000.0, outcome[j->outcome],
                j->outcome == O_ERROR ? code_name(j->err_code, tmp, sizeof tmp) : "-",
                j->outcome == O_ERROR || j->outcome == O_TIMEOUT ? step_name[j->err_step] : "-", j->wr_answers,
                j->first_position);
#undef REL
    }
    fclose(f);
}

/* ---- main ---------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: rush [run] --port P --rate R --duration S [options]\n"
            "  --host A            server address (IPv4, default 127.0.0.1)\n"
            "  --warmup S          arrivals before the measured S seconds, not counted (default 0)\n"
            "  --drain S           after the last arrival, wait this long for journeys to end (default 60)\n"
            "  --arrivals poisson|fixed   (default poisson)\n"
            "  --resume-share X    share of users resuming a session (default 0.7)\n"
            "  --sessions FILE     sid pool (lines sid=VALUE, from `rush pool`)\n"
            "  --logins FILE       logins for users who sign in (first word of each line)\n"
            "  --password PW       their password (default cartable-bench)\n"
            "  --think-ms MS       think time between steps (default 1000)\n"
            "  --think exp|fixed   exponential with that mean, or fixed (default exp)\n"
            "  --send-share X      share of journeys that send a message (default 1)\n"
            "  --timeout-ms MS     per request (default 10000)\n"
            "  --poll-ms MS        cap on the waiting room's Refresh delay (default: none, honour it)\n"
            "  --no-gzip           do not send Accept-Encoding: gzip\n"
            "  --seed N            (default 42)\n"
            "  --journeys FILE     one line per journey (TSV)\n"
            "  --progress S        a progress line on stderr every S seconds (0: none; default 5)\n"
            "  --label TEXT        shown in the report\n"
            "usage: rush pool --port P --logins FILE --count N --out FILE [--concurrency 16] [--password PW]\n"
            "  signs N people in (POST /api/v1/login, remember) and writes their sid cookies\n");
    exit(2);
}

static double num(const char *s, const char *name)
{
    char *e;
    double v = strtod(s, &e);
    if (e == s || *e) {
        fprintf(stderr, "rush: %s wants a number, not '%s'\n", name, s);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && (v || (fprintf(stderr, "rush: %s needs a value\n", name), exit(2), 0)) && ++i)
        if (ARG("--host"))
            snprintf(opt.host, sizeof opt.host, "%s", v);
        else if (ARG("--port"))
            opt.port = (int)num(v, a);
        else if (ARG("--rate"))
            opt.rate = num(v, a);
        else if (ARG("--duration"))
            opt.duration = num(v, a);
        else if (ARG("--warmup"))
            opt.warmup = num(v, a);
        else if (ARG("--drain"))
            opt.drain = num(v, a);
        else if (ARG("--arrivals"))
            opt.poisson = strcmp(v, "fixed") != 0;
        else if (ARG("--resume-share"))
            opt.resume_share = num(v, a);
        else if (ARG("--send-share"))
            opt.send_share = num(v, a);
        else if (ARG("--sessions"))
            opt.sessions = v;
        else if (ARG("--logins"))
            opt.logins = v;
        else if (ARG("--password"))
            opt.password = v;
        else if (ARG("--think-ms"))
            opt.think_ms = num(v, a);
        else if (ARG("--think"))
            opt.think_exp = strcmp(v, "fixed") != 0;
        else if (ARG("--timeout-ms"))
            opt.timeout_us = (int64_t)(num(v, a) * 1000);
        else if (ARG("--poll-ms"))
            opt.poll_cap_us = (int64_t)(num(v, a) * 1000);
        else if (ARG("--seed"))
            opt.seed = (uint64_t)num(v, a);
        else if (ARG("--journeys"))
            opt.journeys_out = v;
        else if (ARG("--progress"))
            opt.progress_s = num(v, a);
        else if (ARG("--label"))
            opt.label = v;
        else if (ARG("--count"))
            opt.pool_count = (long)num(v, a);
        else if (ARG("--concurrency"))
            opt.concurrency = (int)num(v, a);
        else if (ARG("--out"))
            opt.out = v;
        else if (strcmp(a, "--no-gzip") == 0)
            opt.gzip = false;
        else {
            fprintf(stderr, "rush: unknown option %s\n", a);
            usage();
        }
#undef ARG
    }
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static volatile sig_atomic_t stop_now;
static void on_signal(int sig)
{
    (void)sig;
    stop_now = 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    int first = 1;
    if (strcmp(argv[1], "pool") == 0)
        pool_mode = true, first = 2;
    else if (strcmp(argv[1], "run") == 0)
        first = 2;
    else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        usage();
    parse_args(argc - first, argv + first);
    if (opt.port <= 0 || opt.port > 65535) {
        fprintf(stderr, "rush: --port is needed\n");
        usage();
    }
    rng_state = opt.seed;
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1000UL); /* timers to the microsecond, not 50 us late */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) {
        fprintf(stderr, "rush: --host wants an IPv4 address\n");
        return 2;
    }
    snprintf(host_header, sizeof host_header, "%s:%d", opt.host, opt.port);
    if (opt.logins)
        logins = read_lines(opt.logins, &nlogins, false);
    if (opt.sessions)
        sessions = read_lines(opt.sessions, &nsessions, true);
    if (pool_mode) {
        if (!nlogins || opt.pool_count <= 0 || !opt.out)
            usage();
        pool_out = fopen(opt.out, "w");
        if (!pool_out) {
            perror(opt.out);
            return 1;
        }
    } else {
        if (opt.rate <= 0 || opt.duration <= 0)
            usage();
        if (opt.resume_share > 0 && !nsessions) {
            fprintf(stderr, "rush: --resume-share %.2f needs --sessions FILE\n", opt.resume_share);
            return 2;
        }
        if (opt.resume_share < 1 && !nlogins) {
            fprintf(stderr, "rush: users who sign in need --logins FILE\n");
            return 2;
        }
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("epoll_create1");
        return 1;
    }

    double cpu0 = cpu_seconds(), cpu_warm = -1, cpu_arrivals = -1;
    int64_t t0 = mono_us() + 20000;
    int64_t warm_end = t0 + (int64_t)(opt.warmup * 1e6);
    int64_t arrivals_end = warm_end + (int64_t)(opt.duration * 1e6);
    int64_t next_arrival = t0, next_progress = t0 + (int64_t)(opt.progress_s * 1e6);
    int64_t deadline = INT64_MAX;
    bool arriving = !pool_mode;
    if (pool_mode)
        pool_next();
    static struct epoll_event evs[1024];
    for (;;) {
        int64_t now = mono_us();
        if (cpu_warm < 0 && now >= warm_end)
            cpu_warm = cpu_seconds();
        while (arriving && next_arrival <= now) {
            uint32_t id = new_journey(next_arrival,
                                      (nsessions && rnd01() < opt.resume_share) || !nlogins ? K_RESUME : K_LOGIN);
            J[id].warm = next_arrival < warm_end;
            start_journey(id);
            double gap = opt.poisson ? -log(rnd01()) / opt.rate : 1.0 / opt.rate;
            next_arrival += (int64_t)(gap * 1e6);
            if (next_arrival >= arrivals_end) {
                arriving = false;
                cpu_arrivals = cpu_seconds();
                deadline = arrivals_end + (int64_t)(opt.drain * 1e6);
            }
        }
        while (nheap && heap[0].at <= now)
            on_timer(heap_pop(), now);
        if (opt.progress_s > 0 && now >= next_progress) {
            size_t waiting = 0;
            for (size_t i = 0; i < nj; i++)
                if (J[i].u && J[i].gated && !J[i].admitted_us)
                    waiting++;
            fprintf(stderr, "rush: t=%.0fs journeys %zu, active %ld (in line %zu), connections %ld\n",
                    (double)(now - t0) / 1e6, nj, active, waiting, open_conns);
            next_progress += (int64_t)(opt.progress_s * 1e6);
        }
        if (pool_mode && active == 0 && pool_started >= opt.pool_count)
            break;
        if (!pool_mode && !arriving && (active == 0 || now >= deadline))
            break;
        if (stop_now)
            break;
        int64_t next = INT64_MAX;
        if (arriving)
            next = next_arrival;
        if (nheap && heap[0].at < next)
            next = heap[0].at;
        if (deadline < next)
            next = deadline;
        int64_t wait_us = next == INT64_MAX ? 1000000 : next <= now ? 0 : next - now;
        if (wait_us > 1000000)
            wait_us = 1000000;
        struct timespec tmo = {.tv_sec = wait_us / 1000000, .tv_nsec = (wait_us % 1000000) * 1000};
        int64_t wait_start = mono_us();
        if (wait_start - now > loop_busy_max_us) /* arrivals and timers, this time */
            loop_busy_max_us = wait_start - now;
        int n = epoll_pwait2(ep, evs, (int)(sizeof evs / sizeof evs[0]), &tmo, NULL);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        int64_t busy0 = mono_us();
        for (int i = 0; i < n; i++)
            on_event(&evs[i]);
        /* the generator's own stalls: how long one batch of events took */
        int64_t busy = mono_us() - busy0;
        if (busy > loop_busy_max_us)
            loop_busy_max_us = busy;
        if (busy > 10000)
            loop_busy_over10ms++;
        if (n > loop_events_max)
            loop_events_max = n;
        if (n == 0 && busy0 - wait_start - wait_us > loop_oversleep_max_us) /* asked to sleep wait_us */
            loop_oversleep_max_us = busy0 - wait_start - wait_us;
    }
    int64_t t_end = mono_us();
    double cpu = cpu_seconds() - cpu0;
    for (size_t i = 0; i < nj; i++)
        if (J[i].u) {
            J[i].outcome = O_UNFINISHED;
            close_conn(J[i].u);
        }

    if (pool_mode) {
        fclose(pool_out);
        fprintf(stderr, "rush pool: %ld of %ld signed in in %.1f s (%.1f/s), %d kinds of error, generator %.2f CPU s\n",
                pool_ok, opt.pool_count, (double)(t_end - t0) / 1e6, (double)pool_ok / ((double)(t_end - t0) / 1e6), nerrs,
                cpu);
        for (int i = 0; i < nerrs; i++) {
            char tmp[16];
            fprintf(stderr, "  %s: %" PRIu64 "\n", code_name(errs[i].code, tmp, sizeof tmp), errs[i].n);
        }
        return pool_ok == opt.pool_count ? 0 : 1;
    }
    if (cpu_warm < 0)
        cpu_warm = cpu0;
    if (cpu_arrivals < 0)
        cpu_arrivals = cpu_seconds();
    report(t0, arrivals_end, t_end, cpu, cpu_arrivals - cpu_warm);
    if (opt.journeys_out)
        write_journeys(opt.journeys_out, t0);
    return 0;
}
