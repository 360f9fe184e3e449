#include "http/body.h"

#include <stdio.h>

str_t body_media_type(str_t content_type, str_t *charset)
{
    str_t params;
    str_t type = str_trim(str_cut(content_type, ';', &params));
    *charset = STR_NULL;
    while (params.ptr) {
        str_t rest;
        str_t p = str_trim(str_cut(params, ';', &rest));
        params = rest;
        str_t v;
        str_t n = str_trim(str_cut(p, '=', &v));
        if (str_ieq(n, STR("charset")) && v.ptr) {
            v = str_trim(v);
            if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
                v = (str_t){v.ptr + 1, v.len - 2};
            *charset = v;
        }
    }
    return type;
}

bool body_charset_utf8(str_t charset)
{
    return charset.ptr == NULL || str_ieq(charset, STR("utf-8")) || str_ieq(charset, STR("utf8"));
}

json_body_status_t json_body_parse(str_t content_type, str_t body, size_t max, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    str_t charset;
    str_t type = body_media_type(content_type, &charset);
    if (!str_ieq(type, STR("application/json")) || !body_charset_utf8(charset)) {
        snprintf(err, errlen, "expected Content-Type: application/json");
        return JSON_BODY_WRONG_TYPE;
    }
    if (body.len > max) {
        snprintf(err, errlen, "body over %zu bytes", max);
        return JSON_BODY_TOO_LARGE;
    }
    json_error_t jerr;
    /* jansson rejects invalid UTF-8 and, without JSON_ALLOW_NUL, "\u0000". */
    json_t *j = json_loadb(body.ptr ? body.ptr : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        snprintf(err, errlen, "%s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        return JSON_BODY_MALFORMED;
    }
    *out = j;
    return JSON_BODY_OK;
}
