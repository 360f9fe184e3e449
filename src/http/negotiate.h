/* negotiate: reading Accept, Accept-Language and Accept-Encoding.
 *
 * Contract: each function takes the raw header value (STR_NULL when absent) and
 * answers one question, with RFC 9110 semantics for q-values (q=0 means "not
 * acceptable"; a missing header accepts everything). Malformed list members are
 * skipped. Nothing allocates.
 */
#ifndef CARTABLE_HTTP_NEGOTIATE_H
#define CARTABLE_HTTP_NEGOTIATE_H

#include <stdbool.h>

#include "core/str.h"

/* Quality (0..1000) the Accept header gives to type/subtype, honouring type/ and wildcards. */
int accept_quality(str_t accept, str_t type, str_t subtype);
/* True if the client would rather have JSON than HTML (an API client). */
bool accept_prefers_json(str_t accept);
/* True if JSON is acceptable at all. */
bool accept_allows_json(str_t accept);
/* Picks one of the offered language tags ("fr", "en") by the Accept-Language
 * header, matching primary subtags; returns the index, or -1 if none is asked for
 * ("*" included: the caller's default applies). */
int accept_language_pick(str_t accept_language, const char *const *offered, int count);
bool accept_encoding_gzip(str_t accept_encoding);

/* One member of a comma-separated header list, with its q-value (0..1000). */
typedef struct header_item {
    str_t value;  /* e.g. "text/html" (parameters other than q removed) */
    int quality;
} header_item_t;
/* Iterates; *cursor starts at 0. Returns false at the end. */
bool header_list_next(str_t header, size_t *cursor, header_item_t *item);

#endif
