/* log: one logfmt line per event, written whole with a single write(2).
 *
 * Contract:
 * - The log destination is per-process state (the `log_process` context in log.c),
 *   set before threads start; log_reopen (on SIGHUP) swaps the file for rotation.
 * - log_event's kv format is printf-style and must only format trusted values;
 *   untrusted text goes through logfmt_value, which quotes and escapes it.
 * - Request lines are batched per thread by the access log (http/accesslog.h) and
 *   handed to log_write_lines in one write.
 */
#ifndef CARTABLE_CORE_LOG_H
#define CARTABLE_CORE_LOG_H

#include <stddef.h>

#include "core/buf.h"

typedef enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO,
    LOG_WARN,
    LOG_ERROR,
} log_level_t;

/* path NULL or "-": standard error. Returns 0, or -1 (errno set) if the file cannot be opened. */
int log_open(const char *path, log_level_t min_level);
int log_reopen(void);
void log_close(void);
int log_parse_level(const char *s, log_level_t *out);
log_level_t log_min_level(void);

void log_event(log_level_t level, const char *msg, const char *kv_fmt, ...) __attribute__((format(printf, 3, 4)));
void log_write_lines(const char *data, size_t len);

/* Appends `time=... level=...` as every line starts. */
void logfmt_head(buf_t *b, log_level_t level);
/* Appends a value, quoted and escaped when it holds spaces, quotes, '=' or control bytes. */
void logfmt_value(buf_t *b, const char *s, size_t n);
const char *log_level_name(log_level_t level);

/* Escapes text for use inside a quoted logfmt field: `"error=\"%s\""`, logq(&q, text).
 * Quotes, backslashes and control characters are escaped; long text is cut. */
typedef struct logq {
    char s[512];
} logq_t;
const char *logq(logq_t *q, const char *text);

#define LOG_DEBUG(msg, ...) log_event(LOG_DEBUG, msg, __VA_ARGS__)
#define LOG_INFO(msg, ...) log_event(LOG_INFO, msg, __VA_ARGS__)
#define LOG_WARN(msg, ...) log_event(LOG_WARN, msg, __VA_ARGS__)
#define LOG_ERROR(msg, ...) log_event(LOG_ERROR, msg, __VA_ARGS__)

#endif
