#include "domain/files.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

static bool starts(const unsigned char *b, size_t n, const char *magic, size_t mlen)
{
    return n >= mlen && memcmp(b, magic, mlen) == 0;
}

/* A ZIP is an OpenDocument when its first entry is the uncompressed "mimetype"
 * file naming an ODF type, and Office Open XML when it holds [Content_Types].xml. */
static const char *zip_document_type(int fd, const unsigned char *head, size_t n)
{
    if (n >= 30 + 8 && memcmp(head + 30, "mimetype", 8) == 0) {
        const char *m = (const char *)head + 38;
        size_t left = n - 38;
        if (left >= 39 && memcmp(m, "application/vnd.oasis.opendocument.text", 39) == 0)
            return "application/vnd.oasis.opendocument.text";
        if (left >= 46 && memcmp(m, "application/vnd.oasis.opendocument.spreadsheet", 46) == 0)
            return "application/vnd.oasis.opendocument.spreadsheet";
        if (left >= 47 && memcmp(m, "application/vnd.oasis.opendocument.presentation", 47) == 0)
            return "application/vnd.oasis.opendocument.presentation";
        return NULL;
    }
    /* Look for the OOXML manifest's name among the first 64 KiB. */
    unsigned char buf[65536];
    ssize_t got = pread(fd, buf, sizeof buf, 0);
    if (got <= 0)
        return NULL;
    static const char manifest[] = "[Content_Types].xml";
    if (!memmem(buf, (size_t)got, manifest, sizeof manifest - 1))
        return NULL;
    if (memmem(buf, (size_t)got, "word/", 5))
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    if (memmem(buf, (size_t)got, "xl/", 3))
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if (memmem(buf, (size_t)got, "ppt/", 4))
        return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    return NULL;
}

/* Plain text: valid UTF-8 without NUL or control characters other than tab and line breaks. */
static bool is_plain_text(int fd)
{
    unsigned char buf[65536];
    off_t off = 0;
    size_t carry = 0;
    for (;;) {
        ssize_t got = pread(fd, buf + carry, sizeof buf - carry, off);
        if (got < 0)
            return false;
        size_t n = carry + (size_t)got;
        if (n == 0)
            return true;
        /* keep an incomplete UTF-8 sequence for the next round */
        size_t end = n;
        if (got > 0) {
            size_t k = n;
            while (k > 0 && n - k < 4 && (buf[k - 1] & 0xC0) == 0x80)
                k--;
            if (k > 0 && buf[k - 1] >= 0xC0)
                end = k - 1;
        }
        for (size_t i = 0; i < end; i++)
            if (buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
                return false;
        if (!utf8_valid((const char *)buf, end))
            return false;
        if (got == 0)
            return end == n;
        off += got;
        carry = n - end;
        memmove(buf, buf + end, carry);
    }
}

const char *files_detect_type(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unsigned char head[512];
    ssize_t got = pread(fd, head, sizeof head, 0);
    const char *type = NULL;
    size_t n = got > 0 ? (size_t)got : 0;
    if (starts(head, n, "%PDF-", 5))
        type = "application/pdf";
    else if (starts(head, n, "\x89PNG\r\n\x1a\n", 8))
        type = "image/png";
    else if (starts(head, n, "\xff\xd8\xff", 3))
        type = "image/jpeg";
    else if (starts(head, n, "GIF87a", 6) || starts(head, n, "GIF89a", 6))
        type = "image/gif";
    else if (n >= 12 && memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WEBP", 4) == 0)
        type = "image/webp";
    else if (starts(head, n, "PK\x03\x04", 4))
        type = zip_document_type(fd, head, n);
    else if (n > 0 && is_plain_text(fd)) {
        /* Text that a browser would take for markup is refused, even as text. */
        size_t i = 0;
        while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
            i++;
        if (i < n && head[i] != '<')
            type = "text/plain; charset=utf-8";
    }
    close(fd);
    return type;
}

str_t files_display_name(arena_t *a, str_t name)
{
    const char *p = name.ptr;
    size_t n = name.len;
    for (size_t i = 0; i < name.len; i++)
        if (name.ptr[i] == '/' || name.ptr[i] == '\\') {
            p = name.ptr + i + 1;
            n = name.len - i - 1;
        }
    char *out = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || c == '"')
            continue;
        out[k++] = (char)c;
    }
    /* cut at FILE_NAME_MAX bytes without splitting a UTF-8 sequence */
    if (k > FILE_NAME_MAX) {
        k = FILE_NAME_MAX;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
    }
    out[k] = '\0';
    if (k == 0)
        return STR("file");
    return str_make(out, k);
}

char *files_path(arena_t *a, const char *data_dir, const char *id)
{
    return arena_printf(a, "%s/files/%s", data_dir, id);
}

int files_adopt(arena_t *a, const char *data_dir, const char *tmp_path, str_t name, stored_file_t *out)
{
    memset(out, 0, sizeof *out);
    const char *type = files_detect_type(tmp_path);
    if (!type)
        return -1;
    struct stat st;
    if (stat(tmp_path, &st) != 0)
        return -2;
    unsigned char raw[FILE_ID_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out->id, sizeof out->id, raw, sizeof raw);
    char *dir = arena_printf(a, "%s/files", data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -2;
    char *dest = files_path(a, data_dir, out->id);
    if (rename(tmp_path, dest) != 0) {
        logq_t q;
        LOG_ERROR("cannot store an uploaded file", "path=\"%s\" error=\"%s\"", logq(&q, dest), strerror(errno));
        return -2;
    }
    out->name = files_display_name(a, name);
    out->content_type = type;
    out->size = (int64_t)st.st_size;
    return 0;
}

void files_discard(const char *data_dir, const char *id)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/files/%s", data_dir, id);
    unlink(path);
}

int files_insert(store_tx_t *tx, int64_t school_id, int64_t owner_id, const stored_file_t *f)
{
    return store_tx_exec(tx,
                         "INSERT INTO files (id, school_id, owner_id, name, content_type, size, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         STORE_ARGS(SA_CSTR(f->id), SA_INT(school_id), SA_INT(owner_id), SA_TEXT(f->name),
                                    SA_CSTR(f->content_type), SA_INT(f->size), SA_INT(clock_now())));
}

void files_fill(arena_t *a, const store_row_t *row, void *item)
{
    stored_file_t *f = item;
    str_t id = store_row_text(row, 0);
    snprintf(f->id, sizeof f->id, "%.*s", (int)id.len, id.ptr);
    f->name = store_row_text_copy(row, 1, a);
    str_t t = store_row_text_copy(row, 2, a);
    f->content_type = t.ptr;
    f->size = store_row_int(row, 3);
}

int files_get(store_src_t src, arena_t *a, str_t id, stored_file_t *out)
{
    if (id.len != FILE_ID_LEN)
        return 0;
    return store_one(src, a, "SELECT id, name, content_type, size FROM files WHERE id = ?", STORE_ARGS(SA_TEXT(id)),
                     sizeof *out, files_fill, out);
}
