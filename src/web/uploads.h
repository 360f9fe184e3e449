/* uploads: turning a form's uploaded files into stored files.
 *
 * Contract: uploads_adopt moves every upload of a multipart form (the empty file
 * input of a form sent without a file is skipped) into the data directory with
 * files_adopt, checking each one's type by its content. All or nothing: on a
 * refusal the files already adopted are discarded and nothing is kept. The
 * caller discards them too if its write then fails (uploads_discard).
 */
#ifndef CARTABLE_WEB_UPLOADS_H
#define CARTABLE_WEB_UPLOADS_H

#include "domain/files.h"
#include "http/multipart.h"
#include "http/request.h"

typedef enum upload_outcome {
    UPLOADS_OK = 0,
    UPLOADS_REFUSED_TYPE = -1, /* a file whose content is not an accepted type */
    UPLOADS_IO_ERROR = -2,     /* logged */
    UPLOADS_TOO_MANY = -3,
} upload_outcome_t;

/* Fills out[0..max) and *n. On UPLOADS_REFUSED_TYPE, *refused is the file's name. */
upload_outcome_t uploads_adopt(request_t *r, multipart_form_result_t *mp, stored_file_t *out, int max, int *n,
                               const char **refused);
void uploads_discard(request_t *r, const stored_file_t *files, int n);
/* The message for a refusal, in the request's language; 413 or 415 in *status. */
const char *uploads_refusal_text(request_t *r, upload_outcome_t o, const char *refused, int *status);

#endif
