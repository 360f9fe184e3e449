/* multipart: multipart/form-data (RFC 7578), parsed as a stream.
 *
 * Contract:
 * - multipart_parser_* is a push parser: feed it the body in chunks of any size
 *   (one byte at a time works); it calls back at each part's headers, for each
 *   run of part data, and at each part's end, and never buffers part data.
 *   Per-part headers are bounded (MULTIPART_MAX_HEADER_BYTES). A callback
 *   returning non-zero stops the parse with MP_ERR_CALLBACK.
 * - multipart_read_form drives the parser over a whole body: text fields go to a
 *   form_t (text_check'ed, size-bounded), file parts stream to new files in a
 *   temporary directory (mode 0600, random names) under per-file and total limits.
 *   Temporary files are removed when the arena is freed unless upload_claim()
 *   took them. On any error nothing is kept and the error says which field.
 */
#ifndef CARTABLE_HTTP_MULTIPART_H
#define CARTABLE_HTTP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "http/form.h"

#define MULTIPART_MAX_BOUNDARY 70
#define MULTIPART_MAX_HEADER_BYTES 8192

typedef enum multipart_error {
    MP_OK = 0,
    MP_ERR_BOUNDARY,       /* missing or invalid boundary parameter */
    MP_ERR_SYNTAX,         /* body does not follow the multipart grammar */
    MP_ERR_HEADERS_TOO_LARGE,
    MP_ERR_NO_NAME,        /* a part without Content-Disposition: form-data; name=... */
    MP_ERR_TRUNCATED,      /* body ended before the closing boundary */
    MP_ERR_CALLBACK,
} multipart_error_t;

typedef struct multipart_part_info {
    str_t name;         /* decoded field name (not yet text-checked) */
    str_t filename;     /* STR_NULL if no filename parameter */
    str_t content_type; /* STR_NULL if absent */
} multipart_part_info_t;

typedef struct multipart_callbacks {
    int (*on_part_begin)(void *ud, const multipart_part_info_t *info);
    int (*on_part_data)(void *ud, const char *data, size_t len);
    int (*on_part_end)(void *ud);
} multipart_callbacks_t;

typedef struct multipart_parser {
    char delimiter[4 + MULTIPART_MAX_BOUNDARY]; /* "\r\n--" boundary */
    size_t delimiter_len;
    size_t match;        /* bytes of delimiter matched so far */
    int state;
    int after_delim_dashes;
    char header[MULTIPART_MAX_HEADER_BYTES];
    size_t header_len;
    /* decoded Content-Disposition parameters, valid during on_part_begin */
    char scratch_raw[MULTIPART_MAX_HEADER_BYTES];
    char scratch_name[MULTIPART_MAX_HEADER_BYTES];
    char scratch_file[MULTIPART_MAX_HEADER_BYTES];
    multipart_callbacks_t cb;
    void *ud;
    multipart_error_t error;
} multipart_parser_t;

/* Extracts the boundary parameter of a Content-Type value; returns MP_OK or MP_ERR_BOUNDARY. */
multipart_error_t multipart_boundary(str_t content_type, char *out, size_t *out_len);
void multipart_parser_init(multipart_parser_t *p, const char *boundary, size_t boundary_len,
                           const multipart_callbacks_t *cb, void *ud);
multipart_error_t multipart_parser_feed(multipart_parser_t *p, const char *data, size_t len);
/* Call after the last chunk: MP_OK only if the closing boundary was seen. */
multipart_error_t multipart_parser_finish(multipart_parser_t *p);
const char *multipart_error_text(multipart_error_t e);

/* ---- whole-form reading ---- */

typedef struct upload {
    str_t field;
    str_t filename;      /* as sent, without any directory part; valid UTF-8 */
    str_t content_type;  /* as declared by the client: never trusted for security */
    char *path;          /* temporary file; NULL once claimed */
    uint64_t size;
    struct upload *next;
} upload_t;

typedef struct multipart_limits {
    size_t max_fields;
    size_t max_field_bytes;  /* one text field */
    size_t max_files;
    uint64_t max_file_bytes;
    uint64_t max_total_file_bytes;
    const char *tmp_dir;
} multipart_limits_t;

typedef enum multipart_form_status {
    MPF_OK = 0,
    MPF_MALFORMED,          /* see mp_error */
    MPF_BAD_TEXT,           /* a field name, value or filename failed text_check */
    MPF_TOO_MANY_FIELDS,
    MPF_FIELD_TOO_LARGE,
    MPF_TOO_MANY_FILES,
    MPF_FILE_TOO_LARGE,
    MPF_FILES_TOO_LARGE,    /* total over the limit */
    MPF_IO,                 /* temporary file could not be written */
} multipart_form_status_t;

typedef struct multipart_form_result {
    multipart_form_status_t status;
    multipart_error_t mp_error;
    text_status_t text;     /* for MPF_BAD_TEXT */
    str_t field;            /* the field at fault, printable, or empty */
    form_t fields;
    upload_t *uploads;      /* in order of arrival */
    size_t upload_count;
} multipart_form_result_t;

multipart_form_status_t multipart_read_form(arena_t *a, str_t content_type, const char *body, size_t len,
                                            const multipart_limits_t *limits, multipart_form_result_t *out);
/* Takes the temporary file out of automatic cleanup; the caller now owns upload->path. */
char *upload_claim(upload_t *u);
const char *multipart_form_status_text(multipart_form_status_t s);

#endif
