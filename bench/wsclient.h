/* wsclient: what the WebSocket load clients of bench/ share (msgload.c,
 * classload.c): clocks, options, non-blocking connects from a chosen loopback
 * source address, the upgrade request, masked client frames, reads stamped with
 * the kernel's receive time, and a streaming frame reader that keeps only the
 * first bytes of each message (so that 100,000 connections cost little memory).
 * Plain libc; built with the clients by bench/lib.sh. */
#ifndef BENCH_WSCLIENT_H
#define BENCH_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

int64_t now_us(clockid_t clk);
void die(const char *what);
/* The value after argv[i] == name, or def. */
const char *arg_value(int argc, char **argv, const char *name, const char *def);

/* A TCP connection to 127.0.0.1:port with TCP_NODELAY. source: the address to
 * connect from in host order (0: let the kernel choose); bound with
 * IP_BIND_ADDRESS_NO_PORT, so that each source address has its own ephemeral
 * ports. Returns the fd (connecting if nonblocking) or -1. */
int tcp_connect(int port, bool nonblocking, uint32_t source);

/* GET path with the upgrade headers and the cookie; returns its length. */
int ws_upgrade_request(char *buf, size_t cap, int port, const char *path, const char *cookie);

/* One masked client frame (FIN set); payload up to 65535 bytes. 0, or -1 when
 * the socket did not take all of it. */
int ws_send_frame(int fd, int opcode, const void *payload, size_t n);

/* recvmsg() with SO_TIMESTAMPNS: *kernel_us is the kernel's receive time of the
 * bytes read (CLOCK_REALTIME microseconds), 0 if the socket gave none. */
ssize_t recv_stamped(int fd, void *buf, size_t cap, int64_t *kernel_us);

/* The 101 of an upgrade, read across any number of reads. */
typedef struct ws_handshake {
    uint16_t seen;  /* bytes of the answer seen */
    uint8_t match;  /* how much of "\r\n\r\n" was just seen */
    char line[13];  /* "HTTP/1.1 101" */
} ws_handshake_t;
/* Feeds n bytes; returns how many belong to the answer's head (< n when frames
 * follow in the same read), and sets *status (HTTP status, or 0 if malformed)
 * once the head is complete (*done). */
size_t ws_handshake_feed(ws_handshake_t *h, const char *p, size_t n, bool *done, int *status);

/* A server's frames (not masked), fed as they are read. Each message's first
 * bytes are copied to the caller's capture buffer (fragments joined); control
 * frames keep their whole payload (at most 125 bytes). */
typedef struct ws_reader {
    uint8_t hdr[14];
    uint8_t hlen;     /* header bytes gathered */
    uint8_t opcode;   /* of the current frame */
    uint8_t msg_op;   /* of the current message (text/binary; continuation frames) */
    bool fin;
    uint8_t ctl_len;
    uint64_t left;    /* payload bytes still to come in the current frame */
    uint32_t msg_len; /* the current message's length so far */
    uint16_t cap_len; /* bytes of it captured */
    char ctl[125];
} ws_reader_t;

/* on_message(ctx, opcode, captured, captured_len, whole_len): a whole message
 * (opcode 1 text, 2 binary) or control frame (8 close, 9 ping, 10 pong, with
 * its payload); returns false to stop reading (the connection is done). */
typedef bool (*ws_on_message)(void *ctx, int opcode, const char *p, size_t n, size_t whole);
/* false if the frames are malformed or on_message said stop. */
bool ws_reader_feed(ws_reader_t *r, char *cap, size_t cap_size, const uint8_t *p, size_t n, ws_on_message cb,
                    void *ctx);

double cpu_seconds(void);

#endif
