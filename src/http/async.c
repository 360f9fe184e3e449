#include "http/async.h"

#include "http/worker.h"

typedef struct write_op {
    store_job_t job;
    worker_task_t task;
    request_t *r;
    void *ud;
    request_write_done_fn done;
} write_op_t;

static void write_back_on_loop(worker_task_t *task)
{
    write_op_t *op = (write_op_t *)((char *)task - offsetof(write_op_t, task));
    op->done(op->r, op->ud, op->job.status);
}

static void write_committed(store_job_t *job)
{
    /* On the writer thread: hand the result to the request's loop. */
    write_op_t *op = job->done_ctx;
    worker_post(op->r->worker, &op->task);
}

int request_store_write(request_t *r, store_write_fn fn, void *ud, request_write_done_fn done)
{
    write_op_t *op = ARENA_NEW(&r->arena, write_op_t);
    op->r = r;
    op->ud = ud;
    op->done = done;
    op->task.run = write_back_on_loop;
    op->job = (store_job_t){.fn = fn, .ud = ud, .on_done = write_committed, .done_ctx = op};
    return store_submit(r->app->store, &op->job) == STORE_OK ? 0 : -1;
}

typedef struct hash_wait {
    worker_task_t task;
    request_t *r;
    hash_job_t *job;
    request_hash_done_fn done;
} hash_wait_t;

static void hash_back_on_loop(worker_task_t *task)
{
    hash_wait_t *op = (hash_wait_t *)((char *)task - offsetof(hash_wait_t, task));
    op->done(op->r, op->job);
}

static void hash_finished(hash_job_t *job)
{
    hash_wait_t *op = job->ctx;
    worker_post(op->r->worker, &op->task);
}

int request_hash(request_t *r, hash_job_t *job, request_hash_done_fn done)
{
    hash_wait_t *op = ARENA_NEW(&r->arena, hash_wait_t);
    op->r = r;
    op->job = job;
    op->done = done;
    op->task.run = hash_back_on_loop;
    job->done = hash_finished;
    job->ctx = op;
    return hashpool_submit(r->app->hashpool, job);
}
