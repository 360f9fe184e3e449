/* accesslog: one logfmt line per request, batched per worker.
 *
 * Contract: a worker appends lines to its own buffer; the buffer goes to the log
 * in one write when it passes ACCESSLOG_FLUSH_BYTES or at most 100 ms after its
 * first line (the worker's loop drives accesslog_flush), and at shutdown. A
 * request's line is written after its response has been sent.
 */
#ifndef CARTABLE_HTTP_ACCESSLOG_H
#define CARTABLE_HTTP_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define ACCESSLOG_FLUSH_BYTES (32 * 1024)

typedef struct accesslog {
    buf_t buf;
    bool enabled;
} accesslog_t;

void accesslog_init(accesslog_t *log, bool enabled);
void accesslog_dispose(accesslog_t *log);
/* Starts a line (time, level); the caller appends " key=value" pairs and ends it. */
buf_t *accesslog_begin(accesslog_t *log);
/* Ends the line; returns true when the buffer should be flushed now. */
bool accesslog_end(accesslog_t *log);
void accesslog_flush(accesslog_t *log);

#endif
