/* wsclient: the pieces bench/msgload.c and bench/classload.c share (see wsclient.h). */
#define _GNU_SOURCE
#include "wsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

int64_t now_us(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void die(const char *what)
{
    perror(what);
    exit(1);
}

const char *arg_value(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

int tcp_connect(int port, bool nonblocking, uint32_t source)
{
    int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (source) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in s = {.sin_family = AF_INET};
        s.sin_addr.s_addr = htonl(source);
        if (bind(fd, (struct sockaddr *)&s, sizeof s) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int ws_upgrade_request(char *buf, size_t cap, int port, const char *path, const char *cookie)
{
    int n = snprintf(buf, cap,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\nCookie: %s\r\n\r\n",
                     path, port, cookie);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int ws_send_frame(int fd, int opcode, const void *payload, size_t n)
{
    unsigned char f[8 + 65536];
    if (n > 65535)
        return -1;
    size_t h = 2;
    f[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) {
        f[1] = (unsigned char)(0x80 | n);
    } else {
        f[1] = 0x80 | 126;
        f[2] = (unsigned char)(n >> 8);
        f[3] = (unsigned char)n;
        h = 4;
    }
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(f + h, mask, 4);
    const unsigned char *p = payload;
    for (size_t i = 0; i < n; i++)
        f[h + 4 + i] = p[i] ^ mask[i % 4];
    ssize_t w;
    do
        w = write(fd, f, h + 4 + n);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)(h + 4 + n) ? 0 : -1;
}

ssize_t recv_stamped(int fd, void *buf, size_t cap, int64_t *kernel_us)
{
    char cbuf[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n;
    do
        n = recvmsg(fd, &mh, 0);
    while (n < 0 && errno == EINTR);
    *kernel_us = 0;
    if (n > 0)
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                *kernel_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
            }
    return n;
}

size_t ws_handshake_feed(ws_handshake_t *h, const char *p, size_t n, bool *done, int *status)
{
    static const char end[] = "\r\n\r\n";
    *done = false;
    for (size_t i = 0; i < n; i++) {
        if (h->seen < sizeof h->line - 1)
            h->line[h->seen] = p[i];
        if (h->seen < UINT16_MAX)
            h->seen++;
        h->match = p[i] == end[h->match] ? (uint8_t)(h->match + 1) : (p[i] == '\r' ? 1 : 0);
        if (h->match == 4) {
            h->line[sizeof h->line - 1] = '\0';
            *status = 0;
            if (memcmp(h->line, "HTTP/1.", 7) == 0)
                *status = atoi(h->line + 9);
            *done = true;
            return i + 1;
        }
    }
    return n;
}

/* Bytes a frame header needs, from its first two. */
static size_t header_need(const ws_reader_t *r)
{
    size_t plen7 = r->hdr[1] & 0x7f;
    return 2 + (plen7 == 126 ? 2 : plen7 == 127 ? 8 : 0);
}

/* A frame or message is whole: hands it over. */
static bool frame_done(ws_reader_t *r, char *cap, ws_on_message cb, void *ctx)
{
    if (r->opcode >= 8)
        return cb(ctx, r->opcode, r->ctl, r->ctl_len, r->ctl_len);
    if (!r->fin)
        return true;
    cap[r->cap_len] = '\0';
    return cb(ctx, r->msg_op, cap, r->cap_len, r->msg_len);
}

bool ws_reader_feed(ws_reader_t *r, char *cap, size_t cap_size, const uint8_t *p, size_t n, ws_on_message cb,
                    void *ctx)
{
    while (n > 0) {
        if (r->left == 0) { /* a frame's header, byte by byte */
            r->hdr[r->hlen++] = *p++;
            n--;
            if (r->hlen < 2 || r->hlen < header_need(r))
                continue;
            if (r->hdr[1] & 0x80)
                return false; /* a server does not mask */
            size_t plen7 = r->hdr[1] & 0x7f;
            uint64_t plen = plen7;
            if (plen7 == 126)
                plen = (uint64_t)r->hdr[2] << 8 | r->hdr[3];
            else if (plen7 == 127) {
                plen = 0;
                for (int i = 2; i < 10; i++)
                    plen = plen << 8 | r->hdr[i];
            }
            r->fin = (r->hdr[0] & 0x80) != 0;
            r->opcode = r->hdr[0] & 0x0f;
            if (r->opcode >= 8) {
                if (plen > 125 || !r->fin)
                    return false;
                r->ctl_len = 0;
            } else if (r->opcode != 0) {
                r->msg_op = r->opcode;
                r->msg_len = 0;
                r->cap_len = 0;
            }
            r->left = plen;
            r->hlen = 0;
            if (plen == 0 && !frame_done(r, cap, cb, ctx))
                return false;
            continue;
        }
        /* payload bytes of the current frame */
        size_t take = n < r->left ? n : (size_t)r->left;
        if (r->opcode >= 8) {
            memcpy(r->ctl + r->ctl_len, p, take);
            r->ctl_len = (uint8_t)(r->ctl_len + take);
        } else {
            size_t room = cap_size - 1 - r->cap_len;
            size_t c = take < room ? take : room;
            memcpy(cap + r->cap_len, p, c);
            r->cap_len = (uint16_t)(r->cap_len + c);
            r->msg_len += (uint32_t)take;
        }
        p += take;
        n -= take;
        r->left -= take;
        if (r->left == 0 && !frame_done(r, cap, cb, ctx))
            return false;
    }
    return true;
}

double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}
