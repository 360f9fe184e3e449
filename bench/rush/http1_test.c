/* http1_test: the response parser and cookie jar of bench/rush on answers split at
 * random places (chunked with extensions and trailers, gzip with Content-Length,
 * HTTP/1.0 read until close, a 303, a malformed status line). `make -C bench/rush check`. */
#include "http1.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
static int feed_split(http_resp_t *r, const char *p, size_t n, unsigned seed) {
  srand(seed); size_t i = 0; int rc = 0;
  while (i < n) { size_t k = 1 + (size_t)rand() % 7; if (k > n - i) k = n - i; size_t used; rc = http_resp_feed(r, p + i, k, &used); if (rc) { i += used; break; } i += used; }
  return rc;
}
int main(void) {
  const char *a = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: wr=abc; Path=/; Max-Age=7200\r\nX-Waiting-Room: position=12; wait=30\r\nRefresh: 7\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";
  for (unsigned s = 0; s < 200; s++) {
    http_resp_t r = {0}; http_resp_reset(&r, false);
    int rc = feed_split(&r, a, strlen(a), s);
    buf_t sc = {0}; size_t n; const char *b = http_body_text(&r, &sc, &n);
    if (rc != 1 || strcmp(b, "hello, world") || r.status != 200 || !r.waiting_room.len) { printf("FAIL chunked seed %u rc %d body '%s'\n", s, rc, b); return 1; }
    jar_t j = {0}; size_t l; const char *v = http_span(&r, r.set_cookie[0], &l); jar_set_cookie(&j, v, l);
    if (strcmp(jar_get(&j, "wr"), "abc")) { printf("FAIL jar\n"); return 1; }
    const char *del = "wr=gone; Path=/; Max-Age=0; HttpOnly"; jar_set_cookie(&j, del, strlen(del));
    if (jar_get(&j, "wr")) { printf("FAIL delete\n"); return 1; }
    http_resp_free(&r); buf_free(&sc);
  }
  /* gzip + content-length, then until-close */
  char plain[5000]; for (int i = 0; i < 4999; i++) plain[i] = 'a' + i % 26; plain[4999] = 0;
  unsigned char gz[8000]; z_stream z = {0}; deflateInit2(&z, 5, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (unsigned char *)plain; z.avail_in = 4999; z.next_out = gz; z.avail_out = sizeof gz; deflate(&z, Z_FINISH); size_t gl = sizeof gz - z.avail_out; deflateEnd(&z);
  char msg[9000]; int hl = sprintf(msg, "HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %zu\r\n\r\n", gl); memcpy(msg + hl, gz, gl);
  for (unsigned s = 0; s < 50; s++) {
    http_resp_t r = {0}; http_resp_reset(&r, false);
    int rc = feed_split(&r, msg, hl + gl, s); buf_t sc = {0}; size_t n; const char *b = http_body_text(&r, &sc, &n);
    if (rc != 1 || !b || strcmp(b, plain)) { printf("FAIL gzip\n"); return 1; }
    http_resp_free(&r); buf_free(&sc);
  }
  const char *c = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close";
  http_resp_t r = {0}; http_resp_reset(&r, false); int rc = feed_split(&r, c, strlen(c), 1);
  if (rc != 0 || http_resp_eof(&r) != 1 || strcmp(r.body.p, "until close") || !r.close) { printf("FAIL close\n"); return 1; }
  http_resp_free(&r);
  const char *d = "HTTP/1.1 303 See Other\r\nLocation: /\r\nContent-Length: 0\r\n\r\n";
  http_resp_reset(&r, false); rc = feed_split(&r, d, strlen(d), 3); if (rc != 1 || r.status != 303) { printf("FAIL 303\n"); return 1; }
  http_resp_free(&r);
  const char *bad = "HTTX/1.1 200\r\n\r\n"; http_resp_reset(&r, false); size_t u; if (http_resp_feed(&r, bad, strlen(bad), &u) != -1) { printf("FAIL bad\n"); return 1; }
  http_resp_free(&r);
  puts("parser ok");
  return 0;
}
