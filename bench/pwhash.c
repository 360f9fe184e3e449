/* The raw password-check rate of this machine: argon2id verifications per second
 * (libsodium crypto_pwhash_str_verify, Cartable's parameters) on N threads, with
 * nothing else running. The yardstick for sign-ins per second through the server.
 *
 *   bench_pwhash [--threads N] [--seconds S]
 *
 * Prints one line: "threads=N seconds=S verifies=V per_second=R".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/password.h"

typedef struct worker {
    const char *hash;
    _Atomic bool *stop;
    uint64_t verifies;
} worker_t;

static void *run(void *arg)
{
    worker_t *w = arg;
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        if (!password_verify(w->hash, STR("cartable-bench"))) {
            fprintf(stderr, "verification failed\n");
            exit(1);
        }
        w->verifies++;
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    int seconds = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            threads = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_pwhash [--threads N] [--seconds S]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256 || seconds < 1) {
        fprintf(stderr, "threads must be 1 to 256 and seconds at least 1\n");
        return 2;
    }
    if (password_init() != 0)
        return 1;
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(STR("cartable-bench"), hash) != 0)
        return 1;
    _Atomic bool stop = false;
    worker_t *w = calloc((size_t)threads, sizeof *w);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!w || !t)
        return 1;
    double t0 = now_s();
    for (long i = 0; i < threads; i++) {
        w[i] = (worker_t){.hash = hash, .stop = &stop};
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    sleep((unsigned)seconds);
    atomic_store(&stop, true);
    uint64_t total = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += w[i].verifies;
    }
    double elapsed = now_s() - t0;
    printf("threads=%ld seconds=%.2f verifies=%llu per_second=%.1f\n", threads, elapsed, (unsigned long long)total,
           (double)total / elapsed);
    free(w);
    free(t);
    return 0;
}
