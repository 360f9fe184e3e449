#include "web/uploads.h"

#include "core/buf.h"
#include "web/template.h"
#include "web_generated.h"

upload_outcome_t uploads_adopt(request_t *r, multipart_form_result_t *mp, stored_file_t *out, int max, int *n,
                               const char **refused)
{
    const char *data_dir = r->app->config->data_dir;
    *n = 0;
    *refused = "";
    for (upload_t *u = mp->uploads; u; u = u->next) {
        if (u->size == 0 && (!u->filename.ptr || u->filename.len == 0))
            continue;
        int rc = *n < max ? files_adopt(&r->arena, data_dir, u->path, u->filename, &out[*n]) : UPLOADS_TOO_MANY;
        if (rc == 0) {
            upload_claim(u);
            (*n)++;
            continue;
        }
        uploads_discard(r, out, *n);
        *n = 0;
        if (rc == -1)
            *refused = u->filename.ptr ? arena_strndup(&r->arena, u->filename.ptr, u->filename.len) : "";
        return rc == -1 ? UPLOADS_REFUSED_TYPE : rc == UPLOADS_TOO_MANY ? UPLOADS_TOO_MANY : UPLOADS_IO_ERROR;
    }
    return UPLOADS_OK;
}

void uploads_discard(request_t *r, const stored_file_t *files, int n)
{
    for (int i = 0; i < n; i++)
        files_discard(r->app->config->data_dir, files[i].id);
}

const char *uploads_refusal_text(request_t *r, upload_outcome_t o, const char *refused, int *status)
{
    *status = o == UPLOADS_REFUSED_TYPE ? 415 : o == UPLOADS_TOO_MANY ? 413 : 500;
    if (o == UPLOADS_IO_ERROR)
        return i18n_text((lang_id_t)r->lang, MSG_error_internal);
    buf_t b;
    buf_init(&b, &r->arena, 128);
    const char *args[1] = {refused ? refused : ""};
    i18n_format(&b, (lang_id_t)r->lang, o == UPLOADS_TOO_MANY ? MSG_error_too_many_files : MSG_notebook_file_refused,
                args, 1);
    buf_putc(&b, '\0');
    return b.data;
}
