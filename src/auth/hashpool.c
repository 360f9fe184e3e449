#include "auth/hashpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/log.h"

struct hashpool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    hash_job_t *head, *tail;
    unsigned queued;
    unsigned queue_max;
    bool stopping;
    unsigned nthreads;
    pthread_t *threads;
    _Atomic uint64_t done, rejected;
};

static void lower_priority(void)
{
    /* Linux: SCHED_BATCH marks the thread CPU-bound; nice applies per thread. */
    struct sched_param sp = {.sched_priority = 0};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

static void *pool_main(void *arg)
{
    hashpool_t *p = arg;
    lower_priority();
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        if (!p->head)
            break;
        hash_job_t *job = p->head;
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->lock);

        str_t pw = {job->password, job->password_len};
        if (job->op == HASH_VERIFY)
            job->ok = password_verify(job->stored_hash, pw);
        else
            job->ok = password_hash(pw, job->new_hash) == 0;
        sodium_memzero(job->password, sizeof job->password);
        job->password_len = 0;
        atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
        job->next = NULL;
        job->done(job);

        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

hashpool_t *hashpool_start(unsigned threads, unsigned queue_max)
{
    hashpool_t *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->queue_max = queue_max ? queue_max : 1;
    p->nthreads = threads ? threads : 1;
    p->threads = xcalloc(p->nthreads, sizeof(pthread_t));
    for (unsigned i = 0; i < p->nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, pool_main, p) != 0) {
            LOG_ERROR("cannot start a hashing thread", "%s", "");
            p->nthreads = i;
            break;
        }
    }
    return p;
}

void hashpool_stop(hashpool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->threads);
    free(p);
}

int hashpool_submit(hashpool_t *p, hash_job_t *job)
{
    job->next = NULL;
    job->ok = false;
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->queued >= p->queue_max) {
        pthread_mutex_unlock(&p->lock);
        atomic_fetch_add_explicit(&p->rejected, 1, memory_order_relaxed);
        sodium_memzero(job->password, sizeof job->password);
        job->password_len = 0;
        return -1;
    }
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void hashpool_get_stats(hashpool_t *p, hashpool_stats_t *out)
{
    out->done = atomic_load_explicit(&p->done, memory_order_relaxed);
    out->rejected = atomic_load_explicit(&p->rejected, memory_order_relaxed);
    pthread_mutex_lock(&p->lock);
    out->queued = p->queued;
    pthread_mutex_unlock(&p->lock);
    out->threads = p->nthreads;
    out->queue_max = p->queue_max;
}
