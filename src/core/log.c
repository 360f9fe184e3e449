#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The process-wide log context: written at startup and on SIGHUP, read by every thread. */
static struct {
    _Atomic int fd;
    _Atomic int min_level;
    char path[4096];
} log_process = {.fd = 2, .min_level = LOG_INFO};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *log_level_name(log_level_t level)
{
    return (unsigned)level < 4 ? level_names[level] : "info";
}

int log_parse_level(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

log_level_t log_min_level(void)
{
    return (log_level_t)atomic_load_explicit(&log_process.min_level, memory_order_relaxed);
}

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int log_open(const char *path, log_level_t min_level)
{
    atomic_store(&log_process.min_level, (int)min_level);
    if (path == NULL || strcmp(path, "-") == 0) {
        log_process.path[0] = '\0';
        atomic_store(&log_process.fd, 2);
        return 0;
    }
    if (strlen(path) >= sizeof log_process.path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open_path(path);
    if (fd < 0)
        return -1;
    strcpy(log_process.path, path);
    int old = atomic_exchange(&log_process.fd, fd);
    if (old > 2)
        close(old);
    return 0;
}

int log_reopen(void)
{
    if (log_process.path[0] == '\0')
        return 0;
    int fd = open_path(log_process.path);
    if (fd < 0)
        return -1;
    int old = atomic_exchange(&log_process.fd, fd);
    /* A writer that loaded the old fd just before the swap may still use it for one
     * write; closing it would at worst lose that line to EBADF, never corrupt another. */
    if (old > 2)
        close(old);
    return 0;
}

void log_close(void)
{
    int old = atomic_exchange(&log_process.fd, 2);
    if (old > 2)
        close(old);
}

void log_write_lines(const char *data, size_t len)
{
    int fd = atomic_load_explicit(&log_process.fd, memory_order_relaxed);
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report a failing log */
        }
        data += n;
        len -= (size_t)n;
    }
}

void logfmt_head(buf_t *b, log_level_t level)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    buf_printf(b, "time=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
               tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_level_name(level));
}

void logfmt_value(buf_t *b, const char *s, size_t n)
{
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7F)
            quote = true;
    }
    if (!quote) {
        buf_append(b, s, n);
        return;
    }
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c == '\n') {
            BUF_LIT(b, "\\n");
        } else if (c < 0x20 || c == 0x7F) {
            buf_printf(b, "\\x%02x", c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

void log_event(log_level_t level, const char *msg, const char *kv_fmt, ...)
{
    if ((int)level < atomic_load_explicit(&log_process.min_level, memory_order_relaxed))
        return;
    buf_t line;
    buf_init(&line, NULL, 256);
    logfmt_head(&line, level);
    BUF_LIT(&line, " msg=");
    logfmt_value(&line, msg, strlen(msg));
    if (kv_fmt && kv_fmt[0]) {
        buf_putc(&line, ' ');
        va_list ap;
        va_start(ap, kv_fmt);
        buf_vprintf(&line, kv_fmt, ap);
        va_end(ap);
    }
    buf_putc(&line, '\n');
    log_write_lines(line.data, line.len);
    buf_dispose(&line);
}

const char *logq(logq_t *q, const char *text)
{
    size_t o = 0;
    for (const char *p = text ? text : ""; *p && o + 5 < sizeof q->s; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            q->s[o++] = '\\';
            q->s[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(q->s + o, sizeof q->s - o, "\\x%02x", c);
        } else {
            q->s[o++] = (char)c;
        }
    }
    q->s[o] = '\0';
    return q->s;
}
