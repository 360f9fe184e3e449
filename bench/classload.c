/* classload: the client of bench/liveclass.sh. One thread, epoll, non-blocking
 * sockets: it opens the live-class rooms' WebSockets (GET /live/{id}/socket,
 * docs/live-class.md) of signed-in people, waits for each one's "welcome",
 * answers pings, and posts and times chat messages. Plain libc, with
 * bench/wsclient.c; bench/liveclass.sh builds it with cc.
 *
 *   classload --port P --cookies FILE --plan FILE [--path-fmt /live/%d/socket]
 *             [--rate R [--arrivals poisson|fixed] [--seed N] | --connecting 256]
 *             [--sources N] [--timeout-ms 30000] [--ready FILE] [--joins FILE]
 *             [--go FILE] [--chat LABEL:COUNT:INTERVAL_MS,...] [--chat-out FILE]
 *             [--done FILE] [--seconds S] [--welcome-type welcome]
 *
 * --plan: one room a line, "LABEL ROOM_ID SOCKETS FIRST PEOPLE": SOCKETS sockets
 * on room ROOM_ID, socket j of the line for the person on line FIRST + j % PEOPLE
 * of --cookies (lines "sid=..."; the first line is line 0). A person with more
 * sockets than one holds several tabs.
 *
 * Opening: --connecting N (default 256) handshakes at a time, in plan order
 * (a closed loop, for holding many sockets); or --rate R, an open model: the
 * sockets arrive in a random order (--seed) at R a second, Poisson (or fixed
 * gaps), each opened at its arrival whatever the others are doing. Sockets come
 * from --sources N loopback addresses, 127.0.0.2 .. 127.0.0.(N+1), socket i from
 * the (i % N)-th (bind() with IP_BIND_ADDRESS_NO_PORT): each address has its own
 * ephemeral ports, so more than ~28,000 sockets fit. A socket is in once its
 * "welcome" has come (--welcome-type: another first message, e.g. "badge" to
 * try the tool on /live/updates with --path-fmt '/live/updates?r=%d'); one not
 * in after --timeout-ms from its arrival is a timeout.
 *
 * Once every socket is in or has failed: "IN FAILED" to --ready, one line per
 * socket to --joins:
 *   socket label room person arrival_ms welcome_ms outcome status
 * (arrival_ms from the first arrival; welcome_ms from the arrival to the
 * welcome's read, -1 if none; outcome welcome|http|connect|closed|error|timeout;
 * status: the HTTP status of the upgrade, or the close code, or 0).
 *
 * Then, if --chat: waits for --go to exist (the script measures the idle server
 * meanwhile), then for each LABEL:COUNT:INTERVAL_MS in turn, posts COUNT chat
 * messages to the first room of that label, one every INTERVAL_MS, from its
 * sockets in turn ({"type":"chat","to":"all","text":"bench SPEC K SEND_US"}), and
 * records each copy received by the room's other sockets:
 *   spec k socket send_us kernel_us user_us
 * (CLOCK_REALTIME microseconds: send_us just before the write; kernel_us the
 * kernel's receive time of the bytes on the receiving socket, SO_TIMESTAMPNS;
 * user_us this client's read) to --chat-out, and touches --done 2 s after the
 * last send. Then it holds the sockets --seconds more (0: exits at once; default
 * 3600), or until SIGTERM. A summary goes to standard output (CLASSLOAD lines).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wsclient.h"

enum { S_WAIT, S_CONNECTING, S_HANDSHAKE, S_WELCOME, S_IN, S_DONE };
enum { O_NONE, O_WELCOME, O_HTTP, O_CONNECT, O_CLOSED, O_ERROR, O_TIMEOUT };
static const char *const outcome_name[] = {"none", "welcome", "http", "connect", "closed", "error", "timeout"};

#define CAP 384 /* first bytes of each message kept: the type, a chat's text */

typedef struct conn {
    int fd;
    uint8_t state, outcome;
    uint16_t status;
    int32_t person, room;
    int64_t due_us;     /* monotonic: its arrival */
    int64_t welcome_us; /* monotonic, 0: none yet */
    ws_handshake_t hs;
    ws_reader_t rd;
    char cap[CAP];
} conn_t;

typedef struct room {
    char label[32];
    int id, first_sock, nsock, first_person, npersons;
} room_t;

typedef struct chat_spec {
    int room, count;
    int64_t interval_us, t0;
    int sent, written; /* due so far; written to a socket */
    int32_t *sender;   /* socket of message k */
} chat_spec_t;

typedef struct chat_rec {
    int32_t spec, k, socket;
    int64_t send_us, kernel_us, user_us;
} chat_rec_t;

static volatile sig_atomic_t stop_flag;
static void on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int port, epfd, nconns, nrooms, nspecs, nsources, max_connecting, connecting;
static conn_t *conns;
static room_t *rooms;
static char **cookies;
static const char *path_fmt = "/live/%d/socket";
static const char *welcome_type = "welcome";
static int *order; /* arrival order */
static int next_arrival, pending;
static int64_t t_first;
static int n_in, n_failed, closed_after_ready, closed_early, rate_limited, bad_chat;
static int errors_by_outcome[8];
static bool ready;
static chat_spec_t *specs;
static chat_rec_t *recs;
static size_t nrecs, caprecs;
static int64_t max_lag_us;
static int close_codes[5000];
static char error_codes[16][32];
static int error_counts[16], nerror_codes;
static int connect_errnos[256];

static void count_error_code(const char *code)
{
    for (int i = 0; i < nerror_codes; i++)
        if (strcmp(error_codes[i], code) == 0) {
            error_counts[i]++;
            return;
        }
    if (nerror_codes < 16) {
        snprintf(error_codes[nerror_codes], sizeof error_codes[0], "%s", code);
        error_counts[nerror_codes++] = 1;
    }
}

/* The string value of "key" in a captured message (JSON, spaces allowed around
 * the colon), into out. */
static bool json_str(const char *text, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat)) {
        const char *v = p + strlen(pat);
        while (*v == ' ')
            v++;
        if (*v++ != ':')
            continue;
        while (*v == ' ')
            v++;
        if (*v++ != '"')
            continue;
        size_t n = 0;
        while (v[n] && v[n] != '"' && n + 1 < cap)
            n++;
        memcpy(out, v, n);
        out[n] = '\0';
        return v[n] == '"';
    }
    return false;
}

static void end_conn(int i, int outcome, int status)
{
    conn_t *c = &conns[i];
    if (c->state == S_DONE)
        return;
    if (c->state == S_IN) {
        if (ready)
            closed_after_ready++;
        else
            closed_early++;
        n_in--;
    } else if (c->state != S_WAIT) {
        pending--;
        if (c->state == S_CONNECTING || c->state == S_HANDSHAKE)
            connecting--;
        n_failed++;
        c->outcome = (uint8_t)outcome;
        c->status = (uint16_t)status;
        errors_by_outcome[outcome]++;
    }
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->state = S_DONE;
}

static void start_conn(int i, int64_t due)
{
    conn_t *c = &conns[i];
    c->due_us = due;
    pending++;
    uint32_t src = nsources ? (0x7f000002u + (uint32_t)(i % nsources)) : 0;
    c->fd = tcp_connect(port, true, src);
    if (c->fd < 0) {
        connect_errnos[errno & 255]++;
        pending--;
        n_failed++;
        c->outcome = O_CONNECT;
        errors_by_outcome[O_CONNECT]++;
        c->state = S_DONE;
        return;
    }
    int one = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    c->state = S_CONNECTING;
    connecting++;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
}

static void on_connected(int i)
{
    conn_t *c = &conns[i];
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
        connect_errnos[err & 255]++;
        end_conn(i, O_CONNECT, 0);
        return;
    }
    char path[64], req[2048];
    const char *at = strstr(path_fmt, "%d"); /* checked in main */
    snprintf(path, sizeof path, "%.*s%d%s", (int)(at - path_fmt), path_fmt, rooms[c->room].id, at + 2);
    int n = ws_upgrade_request(req, sizeof req, port, path, cookies[c->person]);
    if (n < 0 || write(c->fd, req, (size_t)n) != n) {
        end_conn(i, O_CONNECT, 0);
        return;
    }
    c->state = S_HANDSHAKE;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

typedef struct msg_ctx {
    int i;
    int64_t kernel_us, user_us;
} msg_ctx_t;

static void on_chat(int i, const char *text, int64_t kernel_us, int64_t user_us)
{
    char t[128];
    if (!json_str(text, "text", t, sizeof t) || strncmp(t, "bench ", 6) != 0)
        return;
    int spec, k;
    long long send_us;
    if (sscanf(t + 6, "%d %d %lld", &spec, &k, &send_us) != 3 || spec < 0 || spec >= nspecs || k < 0 ||
        k >= specs[spec].count) {
        bad_chat++;
        return;
    }
    if (specs[spec].sender[k] == i)
        return; /* its own copy */
    if (nrecs == caprecs) {
        caprecs = caprecs ? caprecs * 2 : 65536;
        recs = realloc(recs, caprecs * sizeof *recs);
        if (!recs)
            die("realloc");
    }
    recs[nrecs++] = (chat_rec_t){spec, k, i, send_us, kernel_us, user_us};
    if (kernel_us && user_us - kernel_us > max_lag_us)
        max_lag_us = user_us - kernel_us;
}

static bool on_message(void *ctx, int opcode, const char *p, size_t n, size_t whole)
{
    (void)whole;
    msg_ctx_t *m = ctx;
    conn_t *c = &conns[m->i];
    if (opcode == 9) {
        (void)ws_send_frame(c->fd, 10, p, n);
        return true;
    }
    if (opcode == 8) {
        int code = n >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 1005;
        if (code >= 0 && code < 5000)
            close_codes[code]++;
        (void)ws_send_frame(c->fd, 8, p, n >= 2 ? 2 : 0);
        end_conn(m->i, O_CLOSED, code);
        return false;
    }
    if (opcode != 1)
        return true;
    char type[32];
    if (!json_str(p, "type", type, sizeof type))
        return true;
    if (strcmp(type, "error") == 0) {
        char code[32] = "?";
        json_str(p, "code", code, sizeof code);
        count_error_code(code);
        if (strcmp(code, "rate_limited") == 0)
            rate_limited++;
        if (c->state == S_WELCOME) {
            end_conn(m->i, O_ERROR, 0);
            return false;
        }
        return true;
    }
    if (c->state == S_WELCOME) {
        if (strcmp(type, welcome_type) != 0)
            return true; /* the contract says welcome first: not counted as in */
        c->state = S_IN;
        c->outcome = O_WELCOME;
        c->welcome_us = now_us(CLOCK_MONOTONIC);
        pending--;
        n_in++;
        return true;
    }
    if (strcmp(type, "chat") == 0)
        on_chat(m->i, p, m->kernel_us, m->user_us);
    return true;
}

static uint8_t rbuf[1 << 16];

static void on_readable(int i)
{
    conn_t *c = &conns[i];
    int64_t kernel_us;
    ssize_t n = recv_stamped(c->fd, rbuf, sizeof rbuf, &kernel_us);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        end_conn(i, O_CLOSED, 0);
        return;
    }
    msg_ctx_t m = {i, kernel_us, now_us(CLOCK_REALTIME)};
    size_t off = 0;
    if (c->state == S_HANDSHAKE) {
        bool done;
        int status = 0;
        off = ws_handshake_feed(&c->hs, (const char *)rbuf, (size_t)n, &done, &status);
        if (!done)
            return;
        if (status != 101) {
            end_conn(i, O_HTTP, status);
            return;
        }
        c->status = 101;
        c->state = S_WELCOME;
        connecting--;
    }
    if (off < (size_t)n && !ws_reader_feed(&c->rd, c->cap, sizeof c->cap, rbuf + off, (size_t)n - off, on_message, &m))
        end_conn(i, O_CLOSED, c->status == 101 ? 1002 : c->status); /* malformed, or closed in on_message */
}

static void load_cookies(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        die(file);
    char line[1024];
    int n = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            cookies = realloc(cookies, (size_t)cap * sizeof *cookies);
            if (!cookies)
                die("realloc");
        }
        cookies[n++] = strdup(line);
    }
    fclose(f);
    cookies = realloc(cookies, (size_t)(n + 1) * sizeof *cookies);
    cookies[n] = NULL;
}

static int ncookies(void)
{
    int n = 0;
    while (cookies[n])
        n++;
    return n;
}

static void load_plan(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        die(file);
    char line[256];
    int cap = 0, nc = ncookies();
    while (fgets(line, sizeof line, f)) {
        room_t r;
        if (line[0] == '#' || sscanf(line, "%31s %d %d %d %d", r.label, &r.id, &r.nsock, &r.first_person, &r.npersons) != 5)
            continue;
        if (r.nsock < 1 || r.npersons < 1 || r.first_person < 0 || r.first_person + r.npersons > nc) {
            fprintf(stderr, "classload: bad plan line (%d cookies): %s", nc, line);
            exit(2);
        }
        if (nrooms == cap) {
            cap = cap ? cap * 2 : 256;
            rooms = realloc(rooms, (size_t)cap * sizeof *rooms);
            if (!rooms)
                die("realloc");
        }
        r.first_sock = nconns;
        nconns += r.nsock;
        rooms[nrooms++] = r;
    }
    fclose(f);
    if (!nconns) {
        fprintf(stderr, "classload: empty plan\n");
        exit(2);
    }
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!conns)
        die("calloc");
    for (int r = 0; r < nrooms; r++)
        for (int j = 0; j < rooms[r].nsock; j++) {
            conn_t *c = &conns[rooms[r].first_sock + j];
            c->fd = -1;
            c->room = r;
            c->person = rooms[r].first_person + j % rooms[r].npersons;
        }
}

static void parse_chat(const char *arg)
{
    char *s = strdup(arg), *save = NULL;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char label[32];
        int count, interval;
        if (sscanf(tok, "%31[^:]:%d:%d", label, &count, &interval) != 3 || count < 1 || interval < 1) {
            fprintf(stderr, "classload: --chat wants LABEL:COUNT:INTERVAL_MS, not %s\n", tok);
            exit(2);
        }
        int r = 0;
        while (r < nrooms && strcmp(rooms[r].label, label) != 0)
            r++;
        if (r == nrooms) {
            fprintf(stderr, "classload: no room labelled %s in the plan\n", label);
            exit(2);
        }
        specs = realloc(specs, (size_t)(nspecs + 1) * sizeof *specs);
        specs[nspecs] = (chat_spec_t){.room = r, .count = count, .interval_us = (int64_t)interval * 1000};
        specs[nspecs].sender = malloc((size_t)count * sizeof(int32_t));
        for (int k = 0; k < count; k++)
            specs[nspecs].sender[k] = -1;
        nspecs++;
    }
    free(s);
}

/* Message k of spec s, from the room's next socket that is in. */
static void send_chat(int s, int k)
{
    chat_spec_t *sp = &specs[s];
    room_t *r = &rooms[sp->room];
    for (int t = 0; t < r->nsock; t++) {
        int i = r->first_sock + (k + t) % r->nsock;
        if (conns[i].state != S_IN)
            continue;
        char text[256];
        int64_t send_us = now_us(CLOCK_REALTIME);
        int n = snprintf(text, sizeof text, "{\"type\":\"chat\",\"to\":\"all\",\"text\":\"bench %d %d %lld\"}", s, k,
                         (long long)send_us);
        sp->sender[k] = i;
        if (ws_send_frame(conns[i].fd, 1, text, (size_t)n) != 0)
            fprintf(stderr, "classload: chat %d/%d not written whole\n", s, k);
        else
            sp->written++;
        return;
    }
}

static void touch(const char *file, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die(tmp);
    fputs(text, f);
    fclose(f);
    rename(tmp, file);
}

int main(int argc, char **argv)
{
    port = atoi(arg_value(argc, argv, "--port", "0"));
    const char *cookie_file = arg_value(argc, argv, "--cookies", NULL);
    const char *plan_file = arg_value(argc, argv, "--plan", NULL);
    path_fmt = arg_value(argc, argv, "--path-fmt", path_fmt);
    welcome_type = arg_value(argc, argv, "--welcome-type", welcome_type);
    double rate = atof(arg_value(argc, argv, "--rate", "0"));
    bool fixed = strcmp(arg_value(argc, argv, "--arrivals", "poisson"), "fixed") == 0;
    long seed = atol(arg_value(argc, argv, "--seed", "42"));
    max_connecting = atoi(arg_value(argc, argv, "--connecting", "256"));
    nsources = atoi(arg_value(argc, argv, "--sources", "0"));
    int64_t timeout_us = atoll(arg_value(argc, argv, "--timeout-ms", "30000")) * 1000;
    const char *ready_file = arg_value(argc, argv, "--ready", NULL);
    const char *joins_file = arg_value(argc, argv, "--joins", NULL);
    const char *go_file = arg_value(argc, argv, "--go", NULL);
    const char *chat_arg = arg_value(argc, argv, "--chat", NULL);
    const char *chat_out = arg_value(argc, argv, "--chat-out", NULL);
    const char *done_file = arg_value(argc, argv, "--done", NULL);
    double seconds = atof(arg_value(argc, argv, "--seconds", "3600"));
    if (!port || !cookie_file || !plan_file || !strstr(path_fmt, "%d") || max_connecting < 1 || nsources < 0 || nsources > 250 ||
        (chat_arg && !chat_out)) {
        fprintf(stderr, "usage: see the top of bench/classload.c\n");
        return 2;
    }
    load_cookies(cookie_file);
    load_plan(plan_file);
    if (chat_arg)
        parse_chat(chat_arg);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)nconns + 16) {
        fprintf(stderr, "classload: ulimit -n %ld is too low for %d sockets\n", (long)rl.rlim_cur, nconns);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if ((epfd = epoll_create1(0)) < 0)
        die("epoll_create1");

    /* the arrivals: plan order (closed loop), or a random order at a rate */
    order = malloc((size_t)nconns * sizeof *order);
    int64_t *due = malloc((size_t)nconns * sizeof *due);
    for (int i = 0; i < nconns; i++)
        order[i] = i;
    srand48(seed);
    int64_t t0 = now_us(CLOCK_MONOTONIC) + (rate > 0 ? 20000 : 0);
    t_first = t0;
    if (rate > 0) {
        for (int i = nconns - 1; i > 0; i--) {
            int j = (int)(drand48() * (i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double t = 0;
        for (int i = 0; i < nconns; i++) {
            due[i] = t0 + (int64_t)(t * 1e6);
            t += fixed ? 1.0 / rate : -log(1.0 - drand48()) / rate;
        }
    }

    struct epoll_event evs[1024];
    int64_t t_ready = 0, t_open = 0, last_sweep = 0, chat_end = 0, late_max = 0;
    double cpu_ready = 0;
    int spec_now = -1;
    bool chats_done = !chat_arg, done_written = false;
    while (!stop_flag) {
        int64_t now = now_us(CLOCK_MONOTONIC);
        /* arrivals */
        if (rate > 0) {
            while (next_arrival < nconns && due[next_arrival] <= now) {
                if (now - due[next_arrival] > late_max)
                    late_max = now - due[next_arrival];
                start_conn(order[next_arrival], due[next_arrival]);
                next_arrival++;
            }
        } else {
            while (next_arrival < nconns && connecting < max_connecting) {
                start_conn(order[next_arrival], now);
                next_arrival++;
            }
        }
        /* sockets not in after the timeout */
        if (!ready && now - last_sweep > 500000) {
            last_sweep = now;
            for (int i = 0; i < nconns; i++) {
                conn_t *c = &conns[i];
                if ((c->state == S_CONNECTING || c->state == S_HANDSHAKE || c->state == S_WELCOME) &&
                    now - c->due_us > timeout_us)
                    end_conn(i, O_TIMEOUT, 0);
            }
        }
        if (!ready && next_arrival >= nconns && pending == 0) {
            ready = true;
            t_ready = t_open = now;
            cpu_ready = cpu_seconds();
            if (joins_file) {
                FILE *o = fopen(joins_file, "w");
                if (!o)
                    die(joins_file);
                for (int i = 0; i < nconns; i++) {
                    conn_t *c = &conns[i];
                    fprintf(o, "%d %s %d %d %.3f %.3f %s %d\n", i, rooms[c->room].label, rooms[c->room].id, c->person,
                            (double)(c->due_us - t_first) / 1000.0,
                            c->welcome_us ? (double)(c->welcome_us - c->due_us) / 1000.0 : -1.0,
                            outcome_name[c->outcome], c->status);
                }
                fclose(o);
            }
            char line[64];
            snprintf(line, sizeof line, "%d %d\n", n_in, n_failed);
            if (ready_file)
                touch(ready_file, line);
            fprintf(stderr, "classload: %d sockets in, %d failed, in %.1f s, cpu %.2f s\n", n_in, n_failed,
                    (double)(now - t0) / 1e6, cpu_ready);
        }
        /* chats, once the script says go */
        if (ready && !chats_done) {
            if (spec_now < 0) {
                struct stat st;
                if (!go_file || stat(go_file, &st) == 0) {
                    spec_now = 0;
                    specs[0].t0 = now + 10000;
                }
            }
            while (spec_now >= 0 && spec_now < nspecs) {
                chat_spec_t *sp = &specs[spec_now];
                if (sp->sent < sp->count && sp->t0 + sp->sent * sp->interval_us <= now) {
                    send_chat(spec_now, sp->sent);
                    sp->sent++;
                    continue;
                }
                if (sp->sent < sp->count)
                    break;
                spec_now++;
                if (spec_now < nspecs)
                    specs[spec_now].t0 = now + 1000000; /* a second between rooms */
                else
                    chat_end = now;
            }
            if (spec_now >= nspecs && now - chat_end > 2000000)
                chats_done = true;
        }
        if (ready && chats_done && !done_written) {
            done_written = true;
            if (done_file)
                touch(done_file, "done\n");
            t_ready = now; /* the hold's --seconds count from here */
        }
        if (ready && chats_done && now - t_ready >= (int64_t)(seconds * 1e6))
            break;
        /* wait: until the next arrival or send, 100 ms at most */
        int64_t wake = now + 100000;
        if (next_arrival < nconns)
            wake = rate > 0 ? due[next_arrival] : now + (connecting < max_connecting ? 0 : 100000);
        if (ready && !chats_done && spec_now >= 0 && spec_now < nspecs) {
            chat_spec_t *sp = &specs[spec_now];
            int64_t w = sp->t0 + sp->sent * sp->interval_us;
            if (w < wake)
                wake = w;
        }
        int timeout = wake <= now ? 0 : (int)((wake - now + 999) / 1000);
        if (timeout > 100)
            timeout = 100;
        int n = epoll_wait(epfd, evs, 1024, timeout);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            conn_t *c = &conns[i];
            if (c->state == S_CONNECTING && (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                on_connected(i);
            else if (c->state == S_HANDSHAKE || c->state == S_WELCOME || c->state == S_IN)
                on_readable(i);
        }
    }
    int64_t t_end = now_us(CLOCK_MONOTONIC);
    double cpu_end = cpu_seconds();
    if (chat_out) {
        FILE *o = fopen(chat_out, "w");
        if (!o)
            die(chat_out);
        for (size_t k = 0; k < nrecs; k++)
            fprintf(o, "%d %d %d %lld %lld %lld\n", recs[k].spec, recs[k].k, recs[k].socket, (long long)recs[k].send_us,
                    (long long)recs[k].kernel_us, (long long)recs[k].user_us);
        fclose(o);
    }
    printf("CLASSLOAD sockets=%d in=%d failed=%d", nconns, n_in + closed_after_ready, n_failed);
    for (int o = O_HTTP; o <= O_TIMEOUT; o++)
        printf(" %s=%d", outcome_name[o], errors_by_outcome[o]);
    printf(" closed_after_ready=%d closed_before_ready=%d late_max_ms=%.1f open_s=%.1f cpu_open_s=%.2f cpu_after_s=%.2f after_s=%.1f"
           " max_client_delay_ms=%.2f chat_copies=%zu bad_chat=%d rate_limited=%d\n",
           closed_after_ready, closed_early, (double)late_max / 1000.0, t_open ? (double)(t_open - t0) / 1e6 : -1.0, cpu_ready,
           cpu_end - cpu_ready, (double)(t_end - t_ready) / 1e6, (double)max_lag_us / 1000.0, nrecs, bad_chat,
           rate_limited);
    printf("CLASSLOAD errors");
    for (int e = 0; e < nerror_codes; e++)
        printf(" %s=%d", error_codes[e], error_counts[e]);
    printf("\nCLASSLOAD closes");
    for (int code = 0; code < 5000; code++)
        if (close_codes[code])
            printf(" %d=%d", code, close_codes[code]);
    printf("\nCLASSLOAD connect_errnos");
    for (int e = 0; e < 256; e++)
        if (connect_errnos[e])
            printf(" %s=%d", strerrorname_np(e) ? strerrorname_np(e) : "?", connect_errnos[e]);
    printf("\n");
    for (int s = 0; s < nspecs; s++)
        printf("CLASSLOAD chat spec=%d label=%s room=%d sockets=%d sent=%d\n", s, rooms[specs[s].room].label,
               rooms[specs[s].room].id, rooms[specs[s].room].nsock, specs[s].written);
    return 0;
}
