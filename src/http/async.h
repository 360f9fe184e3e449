/* async: a request waiting for a durable write or a password hash.
 *
 * Contract: the handler starts the work and returns without answering; the
 * completion runs later on the request's own event loop (never on the writer or
 * a hash thread), where it answers. The request, its arena and everything the
 * job points to stay alive until then: the response has not been sent, so h2o
 * keeps the request, and the in-flight count keeps shutdown waiting for it.
 */
#ifndef CARTABLE_HTTP_ASYNC_H
#define CARTABLE_HTTP_ASYNC_H

#include "auth/hashpool.h"
#include "http/request.h"
#include "store/store.h"

typedef void (*request_write_done_fn)(request_t *r, void *ud, int status);
/* Queues fn as a store job; done(r, ud, status) runs after the COMMIT. Returns 0,
 * or -1 when the store refuses (closing): the caller answers 503. */
int request_store_write(request_t *r, store_write_fn fn, void *ud, request_write_done_fn done);

typedef void (*request_hash_done_fn)(request_t *r, hash_job_t *job);
/* Queues a hash job; -1 when the pool is full (the caller answers 503 + Retry-After). */
int request_hash(request_t *r, hash_job_t *job, request_hash_done_fn done);

#endif
