/* allocsize: which allocations a process holds, by requested size: an LD_PRELOAD
 * shim for finding what a server keeps per connection (bench/liveclass.sh
 * --parts ... alloc). Each malloc/calloc/realloc carries a 16-byte header with
 * its size; on SIGUSR2 the live allocations are written, one line per size
 * with more than ALLOCSIZE_MIN (default 500) of them, to $ALLOCSIZE_OUT
 * (default /tmp/allocsize.PID):
 *   size count bytes
 * Build: cc -O2 -shared -fPIC -o allocsize.so bench/allocsize.c
 * Use:   LD_PRELOAD=./allocsize.so cartable serve ...; kill -USR2 PID
 * Not for timing: every allocation takes an atomic add. Aligned allocations
 * (posix_memalign, aligned_alloc, memalign) are not counted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

#define MAXSIZE 65536
#define MAGIC 0xa11c517eu
static _Atomic long live[MAXSIZE + 1]; /* [MAXSIZE]: everything larger */
static _Atomic long live_big_bytes;

typedef struct hdr {
    uint32_t magic, pad;
    uint64_t size;
} hdr_t;

static void count(size_t n, long d)
{
    atomic_fetch_add_explicit(&live[n < MAXSIZE ? n : MAXSIZE], d, memory_order_relaxed);
    if (n >= MAXSIZE)
        atomic_fetch_add_explicit(&live_big_bytes, d * (long)n, memory_order_relaxed);
}

static void *wrap(void *raw, size_t n)
{
    if (!raw)
        return NULL;
    hdr_t *h = raw;
    h->magic = MAGIC;
    h->size = n;
    count(n, 1);
    return h + 1;
}

void *malloc(size_t n)
{
    return wrap(__libc_malloc(n + sizeof(hdr_t)), n);
}

void *calloc(size_t n, size_t m)
{
    if (m && n > (SIZE_MAX - sizeof(hdr_t)) / m) {
        errno = ENOMEM;
        return NULL;
    }
    return wrap(__libc_calloc(1, n * m + sizeof(hdr_t)), n * m);
}

void free(void *p)
{
    if (!p)
        return;
    hdr_t *h = (hdr_t *)p - 1;
    if (h->magic != MAGIC) { /* from an aligned allocation: not ours */
        __libc_free(p);
        return;
    }
    h->magic = 0;
    count(h->size, -1);
    __libc_free(h);
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    hdr_t *h = (hdr_t *)p - 1;
    if (h->magic != MAGIC)
        return __libc_realloc(p, n);
    size_t old = h->size;
    hdr_t *nh = __libc_realloc(h, n + sizeof(hdr_t));
    if (!nh)
        return NULL;
    count(old, -1);
    return wrap(nh, n);
}

static void dump(int sig)
{
    (void)sig;
    char path[256];
    const char *out = getenv("ALLOCSIZE_OUT");
    if (!out) {
        snprintf(path, sizeof path, "/tmp/allocsize.%d", (int)getpid());
        out = path;
    }
    long min = getenv("ALLOCSIZE_MIN") ? atol(getenv("ALLOCSIZE_MIN")) : 500;
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    char line[96];
    for (size_t s = 0; s <= MAXSIZE; s++) {
        long c = atomic_load(&live[s]);
        if (c <= min)
            continue;
        long bytes = s < MAXSIZE ? c * (long)s : atomic_load(&live_big_bytes);
        int n = snprintf(line, sizeof line, "%s%zu %ld %ld\n", s < MAXSIZE ? "" : ">=", s, c, bytes);
        if (write(fd, line, (size_t)n) != n)
            break;
    }
    close(fd);
}

__attribute__((constructor)) static void init(void)
{
    signal(SIGUSR2, dump);
}
