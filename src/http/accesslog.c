#include "http/accesslog.h"

#include "core/log.h"

void accesslog_init(accesslog_t *log, bool enabled)
{
    buf_init(&log->buf, NULL, ACCESSLOG_FLUSH_BYTES + 4096);
    log->enabled = enabled;
}

void accesslog_dispose(accesslog_t *log)
{
    accesslog_flush(log);
    buf_dispose(&log->buf);
}

buf_t *accesslog_begin(accesslog_t *log)
{
    logfmt_head(&log->buf, LOG_INFO);
    BUF_LIT(&log->buf, " msg=request");
    return &log->buf;
}

bool accesslog_end(accesslog_t *log)
{
    buf_putc(&log->buf, '\n');
    return log->buf.len >= ACCESSLOG_FLUSH_BYTES;
}

void accesslog_flush(accesslog_t *log)
{
    if (log->buf.len == 0)
        return;
    log_write_lines(log->buf.data, log->buf.len);
    buf_clear(&log->buf);
}
