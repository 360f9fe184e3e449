/* body: what a request body is, before a handler sees it.
 *
 * Contract: pure functions over the Content-Type value and the body bytes, used by
 * http/request.c and tested on their own. body_media_type splits "type/sub;
 * charset=x" (case-insensitive names, quoted values); json_body_parse accepts only
 * application/json in UTF-8, at most `max` bytes, no duplicate keys, no NUL
 * character (\u0000), nesting bounded by jansson's parser.
 */
#ifndef CARTABLE_HTTP_BODY_H
#define CARTABLE_HTTP_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

str_t body_media_type(str_t content_type, str_t *charset);
/* True when no charset is given or it is UTF-8. */
bool body_charset_utf8(str_t charset);

typedef enum json_body_status {
    JSON_BODY_OK = 0,
    JSON_BODY_WRONG_TYPE, /* 415 */
    JSON_BODY_TOO_LARGE,  /* 413 */
    JSON_BODY_MALFORMED,  /* 400, err says where */
} json_body_status_t;

/* On success *out holds a new reference. */
json_body_status_t json_body_parse(str_t content_type, str_t body, size_t max, json_t **out, char *err, size_t errlen);

#endif
