/* files: what people upload (lesson attachments, hand-ins), kept on disk under
 * random ids.
 *
 * Contract:
 * - The type is decided from the content (magic bytes), never from the name or
 *   the client's Content-Type: PDF, PNG, JPEG, GIF, WebP, OpenDocument and Office
 *   Open XML documents (ZIP with their manifest), and plain UTF-8 text. Anything
 *   else (HTML, SVG, scripts, executables, unknown binaries) is refused: those
 *   could run in a browser or on a pupil's computer.
 * - files_adopt moves an upload's temporary file to DATA/files/<id>, where id is
 *   32 random hex digits; the original name is kept only as display text (path
 *   parts and control characters dropped). The row is written in the caller's
 *   write job; if that job fails, files_discard removes the file.
 * - Files are served only through handlers that ask policy first, as attachments
 *   with the detected type and X-Content-Type-Options: nosniff.
 */
#ifndef CARTABLE_DOMAIN_FILES_H
#define CARTABLE_DOMAIN_FILES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "store/store.h"

#define FILE_ID_LEN 32
#define FILE_NAME_MAX 120

typedef struct stored_file {
    char id[FILE_ID_LEN + 1];
    str_t name;
    const char *content_type;
    int64_t size;
} stored_file_t;

/* The type of a file from its first bytes and its size; NULL if not accepted. */
const char *files_detect_type(const char *path);
/* A safe display name: the last path part, control characters removed, at most FILE_NAME_MAX bytes. */
str_t files_display_name(arena_t *a, str_t name);
/* Moves tmp_path into the data directory's files/; fills out (id, type, size).
 * Returns 0, -1 when the type is refused, -2 on an I/O error (logged). */
int files_adopt(arena_t *a, const char *data_dir, const char *tmp_path, str_t name, stored_file_t *out);
void files_discard(const char *data_dir, const char *id);
/* The on-disk path of a stored file. */
char *files_path(arena_t *a, const char *data_dir, const char *id);
/* Inserts the row (in the caller's write job). */
int files_insert(store_tx_t *tx, int64_t school_id, int64_t owner_id, const stored_file_t *f);
int files_get(store_src_t src, arena_t *a, str_t id, stored_file_t *out);
/* Fills a stored_file_t from a row "id, name, content_type, size" (store_list). */
void files_fill(arena_t *a, const store_row_t *row, void *item);

#endif
