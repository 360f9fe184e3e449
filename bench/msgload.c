/* msgload: the client side of the messaging benchmarks (bench/broadcast.sh,
 * bench/live.sh), in C so that the client adds as little time as possible to
 * what it measures. Plain libc and bench/wsclient.c (shared with classload.c);
 * bench/lib.sh builds them with cc.
 *
 *   msgload send --port P --cookie 'sid=...' --csrf TOKEN --to 'c:1,cp:1,...'
 *                [--interval-ms 200] [--jitter-ms 0] [--seconds 30 | --count N] [--tag TEXT]
 *     One keep-alive connection (as a browser keeps one); POST /api/v1/conversations
 *     on a fixed schedule (send i at start + i * interval + a random 0..jitter ms, at
 *     once if late), each with its own idempotency key. One line per send on standard output:
 *       seq start_us ack_us latency_us status recipients
 *     start_us and ack_us are CLOCK_REALTIME microseconds (request written, whole
 *     answer read); latency_us is measured on CLOCK_MONOTONIC.
 *
 *   msgload live --port P --cookies FILE [--first I] [--people N] --per-person K
 *                --ready FILE --seconds S --out FILE [--connecting 256]
 *     Opens K WebSockets on /live/updates for each of the N people whose cookies
 *     are lines I.. of FILE (socket s uses person I + s / K), answers pings, waits
 *     for every socket's first badge, then writes "OPEN FAILED" to the ready file
 *     and records every badge that follows, for S seconds (or until SIGTERM):
 *       socket person kernel_us user_us messages notifications
 *     kernel_us is when the kernel received the bytes (SO_TIMESTAMPNS), user_us
 *     when this client read them (both CLOCK_REALTIME): their difference is the
 *     client's own delay, reported on standard error with the client's CPU time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

/* ------------------------------------------------------------------ send */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one HTTP/1.1 answer; returns its status (0 on a closed or broken
 * connection), and copies the body's "recipients" count. */
static int read_answer(int fd, char *buf, size_t cap, int *recipients)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= cap)
            return 0;
        ssize_t n = read(fd, buf + have, cap - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    size_t head = (size_t)(end + 4 - buf);
    bool chunked = false;
    long length = -1;
    for (char *line = strstr(buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "content-length:", 15) == 0)
            length = strtol(line + 15, NULL, 10);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && strstr(line, "chunked") &&
                 strstr(line, "chunked") < strstr(line, "\r\n"))
            chunked = true;
    }
    for (;;) {
        buf[have] = '\0';
        if (!chunked && length >= 0 && have >= head + (size_t)length)
            break;
        if (chunked && have >= head + 5 && memcmp(buf + have - 5, "0\r\n\r\n", 5) == 0)
            break;
        if (!chunked && length < 0)
            return 0; /* not expected from cartable */
        if (have + 1 >= cap)
            return 0;
        ssize_t n = read(fd, buf + have, cap - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        have += (size_t)n;
    }
    const char *rc = strstr(buf + head, "\"recipients\":");
    *recipients = rc ? atoi(rc + 13) : 0;
    return status;
}

static int cmd_send(int argc, char **argv)
{
    int port = atoi(arg_value(argc, argv, "--port", "0"));
    const char *cookie = arg_value(argc, argv, "--cookie", NULL);
    const char *csrf = arg_value(argc, argv, "--csrf", NULL);
    const char *to = arg_value(argc, argv, "--to", NULL);
    const char *tag = arg_value(argc, argv, "--tag", "bench");
    int64_t interval = atoll(arg_value(argc, argv, "--interval-ms", "200")) * 1000;
    int64_t jitter = atoll(arg_value(argc, argv, "--jitter-ms", "0")) * 1000;
    double seconds = atof(arg_value(argc, argv, "--seconds", "0"));
    long count = atol(arg_value(argc, argv, "--count", "0"));
    if (!port || !cookie || !csrf || !to || (seconds <= 0 && count <= 0)) {
        fprintf(stderr, "usage: msgload send --port P --cookie C --csrf T --to LIST [--interval-ms MS] "
                        "(--seconds S | --count N)\n");
        return 2;
    }
    if (count <= 0)
        count = (long)(seconds * 1e6 / (double)interval);
    char tolist[4096] = "";
    size_t tl = 0;
    for (const char *p = to; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        tl += (size_t)snprintf(tolist + tl, sizeof tolist - tl, "%s\"%.*s\"", tl ? "," : "", (int)n, p);
        p += n + (e ? 1 : 0);
    }
    static char req[16384], body[8192], buf[65536];
    int fd = tcp_connect(port, false, 0);
    if (fd < 0)
        die("connect");
    int64_t t0 = now_us(CLOCK_MONOTONIC) + 10000;
    long pid = (long)getpid();
    srand48((long)now_us(CLOCK_REALTIME) ^ pid);
    for (long i = 0; i < count; i++) {
        int64_t due = t0 + i * interval + (jitter > 0 ? (int64_t)(drand48() * (double)jitter) : 0);
        struct timespec ts = {.tv_sec = due / 1000000, .tv_nsec = (due % 1000000) * 1000};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        int bl = snprintf(body, sizeof body,
                          "{\"to\":[%s],\"subject\":\"%s : information n°%ld\",\"body\":\"Madame, Monsieur,\\n\\n"
                          "Merci de lire cette information (n°%ld) et de la signer dans le carnet.\\n\\nLa direction\","
                          "\"idempotency_key\":\"%s-%ld-%ld\"}",
                          tolist, tag, i + 1, i + 1, tag, pid, i);
        int rl = snprintf(req, sizeof req,
                          "POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n"
                          "X-CSRF-Token: %s\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          port, cookie, csrf, bl, body);
        int status = 0, recipients = 0;
        int64_t start = 0, m0 = 0;
        for (int attempt = 0; attempt < 2 && !status; attempt++) {
            if (attempt) { /* the server closed the connection: again, same key */
                close(fd);
                if ((fd = tcp_connect(port, false, 0)) < 0)
                    die("connect");
            }
            start = now_us(CLOCK_REALTIME);
            m0 = now_us(CLOCK_MONOTONIC);
            if (write_all(fd, req, (size_t)rl) == 0)
                status = read_answer(fd, buf, sizeof buf, &recipients);
        }
        int64_t m1 = now_us(CLOCK_MONOTONIC);
        printf("%ld %lld %lld %lld %d %d\n", i + 1, (long long)start, (long long)(start + (m1 - m0)),
               (long long)(m1 - m0), status, recipients);
        fflush(stdout);
    }
    close(fd);
    return 0;
}

/* ------------------------------------------------------------------ live */

enum { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DONE };

typedef struct conn {
    int fd;
    int state;
    int person;
    bool first_badge;
    uint16_t len;
    char buf[1024];
} conn_t;

typedef struct record {
    int32_t socket, person;
    int64_t kernel_us, user_us;
    int32_t messages, notifications;
} record_t;

static volatile sig_atomic_t stop_flag;
static void on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static conn_t *conns;
static int nconns, epfd, port_g, connecting, max_connecting, next_to_open;
static char **cookies_g;
static int open_ok, open_failed, badges_first, closed_after_ready;
static bool ready;
static record_t *records;
static size_t nrecords, caprecords;
static int64_t max_lag_us;
static int close_codes[5000];

static void start_one(int i)
{
    conn_t *c = &conns[i];
    c->fd = tcp_connect(port_g, true, 0);
    if (c->fd < 0) {
        c->state = C_DONE;
        open_failed++;
        return;
    }
    int one = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    c->state = C_CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
    connecting++;
}

static void open_more(void)
{
    while (connecting < max_connecting && next_to_open < nconns)
        start_one(next_to_open++);
}

static void finish(conn_t *c, bool failed)
{
    if (c->state == C_DONE)
        return;
    if (c->state != C_OPEN) {
        connecting--;
        if (failed)
            open_failed++;
    } else if (ready) {
        closed_after_ready++;
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->state = C_DONE;
}

static void send_frame(conn_t *c, int opcode, const unsigned char *payload, size_t n)
{
    /* a full socket buffer here would be the server's problem */
    (void)ws_send_frame(c->fd, opcode, payload, n > 125 ? 125 : n);
}

static void on_badge(int i, conn_t *c, const char *p, size_t n, int64_t kernel_us, int64_t user_us)
{
    char text[256];
    if (n >= sizeof text)
        n = sizeof text - 1;
    memcpy(text, p, n);
    text[n] = '\0';
    if (!strstr(text, "\"badge\""))
        return;
    const char *m = strstr(text, "\"messages\":"), *no = strstr(text, "\"notifications\":");
    if (!c->first_badge) {
        c->first_badge = true;
        badges_first++;
        return;
    }
    if (!ready)
        return; /* a change before the measurement */
    if (nrecords == caprecords) {
        caprecords = caprecords ? caprecords * 2 : 65536;
        records = realloc(records, caprecords * sizeof *records);
        if (!records)
            die("realloc");
    }
    records[nrecords++] = (record_t){i, c->person, kernel_us, user_us, m ? atoi(m + 11) : -1, no ? atoi(no + 16) : -1};
    if (kernel_us && user_us - kernel_us > max_lag_us)
        max_lag_us = user_us - kernel_us;
}

/* Frames in c->buf: server frames are not masked. */
static void parse_frames(int i, conn_t *c, int64_t kernel_us, int64_t user_us)
{
    size_t off = 0;
    for (;;) {
        size_t avail = c->len - off;
        if (avail < 2)
            break;
        const unsigned char *b = (const unsigned char *)c->buf + off;
        int opcode = b[0] & 0x0f;
        size_t plen = b[1] & 0x7f, hl = 2;
        if (plen == 126) {
            if (avail < 4)
                break;
            plen = (size_t)b[2] << 8 | b[3];
            hl = 4;
        } else if (plen == 127) {
            finish(c, false); /* nothing this large is expected */
            return;
        }
        if (hl + plen > sizeof c->buf) {
            finish(c, false);
            return;
        }
        if (avail < hl + plen)
            break;
        const char *payload = c->buf + off + hl;
        if (opcode == 1)
            on_badge(i, c, payload, plen, kernel_us, user_us);
        else if (opcode == 9)
            send_frame(c, 10, (const unsigned char *)payload, plen);
        else if (opcode == 8) {
            int code = plen >= 2 ? ((unsigned char)payload[0] << 8 | (unsigned char)payload[1]) : 1005;
            if (code >= 0 && code < 5000)
                close_codes[code]++;
            send_frame(c, 8, (const unsigned char *)payload, plen >= 2 ? 2 : 0);
            finish(c, false);
            return;
        }
        off += hl + plen;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len = (uint16_t)(c->len - off);
}

static void on_readable(int i, conn_t *c)
{
    for (;;) {
        size_t room = sizeof c->buf - c->len;
        if (room == 0) {
            finish(c, c->state != C_OPEN);
            return;
        }
        int64_t kernel_us;
        ssize_t n = recv_stamped(c->fd, c->buf + c->len, room, &kernel_us);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            finish(c, c->state != C_OPEN);
            return;
        }
        int64_t user_us = now_us(CLOCK_REALTIME);
        c->len = (uint16_t)(c->len + n);
        if (c->state == C_HANDSHAKE) {
            char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (!end)
                continue;
            if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
                if (open_failed < 5)
                    fprintf(stderr, "msgload: handshake answered %.*s\n", (int)(strchr(c->buf, '\r') - c->buf),
                            c->buf);
                finish(c, true);
                return;
            }
            size_t head = (size_t)(end + 4 - c->buf);
            memmove(c->buf, c->buf + head, c->len - head);
            c->len = (uint16_t)(c->len - head);
            c->state = C_OPEN;
            connecting--;
            open_ok++;
            open_more();
        }
        if (c->state == C_OPEN)
            parse_frames(i, c, kernel_us, user_us);
        if (c->state == C_DONE)
            return;
    }
}

static void on_writable(int i, conn_t *c)
{
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
        finish(c, true);
        open_more();
        return;
    }
    char req[2048];
    int n = ws_upgrade_request(req, sizeof req, port_g, "/live/updates", cookies_g[c->person]);
    if (write(c->fd, req, (size_t)n) != n) {
        finish(c, true);
        open_more();
        return;
    }
    c->state = C_HANDSHAKE;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int cmd_live(int argc, char **argv)
{
    port_g = atoi(arg_value(argc, argv, "--port", "0"));
    const char *cookie_file = arg_value(argc, argv, "--cookies", NULL);
    int first = atoi(arg_value(argc, argv, "--first", "0"));
    int people = atoi(arg_value(argc, argv, "--people", "0"));
    int per = atoi(arg_value(argc, argv, "--per-person", "1"));
    const char *ready_file = arg_value(argc, argv, "--ready", NULL);
    const char *out_file = arg_value(argc, argv, "--out", NULL);
    double seconds = atof(arg_value(argc, argv, "--seconds", "60"));
    max_connecting = atoi(arg_value(argc, argv, "--connecting", "256"));
    if (!port_g || !cookie_file || !ready_file || !out_file || per < 1) {
        fprintf(stderr, "usage: msgload live --port P --cookies FILE [--first I] [--people N] --per-person K "
                        "--ready FILE --out FILE [--seconds S]\n");
        return 2;
    }
    FILE *f = fopen(cookie_file, "r");
    if (!f)
        die(cookie_file);
    char line[1024];
    int ncookies = 0, capc = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (ncookies == capc) {
            capc = capc ? capc * 2 : 1024;
            cookies_g = realloc(cookies_g, (size_t)capc * sizeof *cookies_g);
        }
        cookies_g[ncookies++] = strdup(line);
    }
    fclose(f);
    if (people <= 0)
        people = ncookies - first;
    if (first < 0 || first + people > ncookies) {
        fprintf(stderr, "msgload: only %d cookies\n", ncookies);
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);

    nconns = people * per;
    conns = calloc((size_t)nconns, sizeof *conns);
    for (int s = 0; s < nconns; s++)
        conns[s].person = first + s / per;
    if ((epfd = epoll_create1(0)) < 0)
        die("epoll_create1");
    struct epoll_event evs[512];
    int64_t t_start = now_us(CLOCK_MONOTONIC), t_ready = 0, t_end = 0;
    double cpu_ready = 0;
    open_more();
    while (!stop_flag) {
        int timeout = 100;
        int n = epoll_wait(epfd, evs, 512, timeout);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            conn_t *c = &conns[i];
            if (c->state == C_CONNECTING && (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                on_writable(i, c);
            else if (c->state == C_HANDSHAKE || c->state == C_OPEN)
                on_readable(i, c);
        }
        int64_t now = now_us(CLOCK_MONOTONIC);
        if (!ready && next_to_open >= nconns && connecting == 0 &&
            (badges_first >= open_ok || now - t_start > 120 * 1000000LL)) {
            ready = true;
            t_ready = now;
            cpu_ready = cpu_seconds();
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s.tmp", ready_file);
            FILE *rf = fopen(tmp, "w");
            if (!rf)
                die(tmp);
            fprintf(rf, "%d %d %d\n", open_ok, open_failed, badges_first);
            fclose(rf);
            rename(tmp, ready_file);
            fprintf(stderr, "msgload: %d sockets open (%d refused or failed), %d first badges, in %.1f s, cpu %.2f s\n",
                    open_ok, open_failed, badges_first, (double)(now - t_start) / 1e6, cpu_ready);
        }
        if (ready && now - t_ready > (int64_t)(seconds * 1e6))
            break;
    }
    t_end = now_us(CLOCK_MONOTONIC);
    double cpu_end = cpu_seconds();
    FILE *o = fopen(out_file, "w");
    if (!o)
        die(out_file);
    for (size_t k = 0; k < nrecords; k++)
        fprintf(o, "%d %d %lld %lld %d %d\n", records[k].socket, records[k].person, (long long)records[k].kernel_us,
                (long long)records[k].user_us, records[k].messages, records[k].notifications);
    fclose(o);
    fprintf(stderr, "msgload: recorded %zu badges over %.1f s; client cpu %.3f s while recording (%.2f%% of a core); "
                    "largest client delay (read time - kernel receive time) %.3f ms; %d sockets closed meanwhile",
            nrecords, t_ready ? (double)(t_end - t_ready) / 1e6 : 0.0, cpu_end - cpu_ready,
            t_ready && t_end > t_ready ? 100.0 * (cpu_end - cpu_ready) / ((double)(t_end - t_ready) / 1e6) : 0.0,
            (double)max_lag_us / 1000.0, closed_after_ready);
    for (int code = 0; code < 5000; code++)
        if (close_codes[code])
            fprintf(stderr, " (close %d: %d)", code, close_codes[code]);
    fprintf(stderr, "\n");
    printf("cpu_recording_s %.3f wall_recording_s %.3f max_client_delay_us %lld closed %d\n", cpu_end - cpu_ready,
           (double)(t_end - t_ready) / 1e6, (long long)max_lag_us, closed_after_ready);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "send") == 0)
        return cmd_send(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "live") == 0)
        return cmd_live(argc - 1, argv + 1);
    fprintf(stderr, "usage: msgload send ... | msgload live ... (see the top of bench/msgload.c)\n");
    return 2;
}
