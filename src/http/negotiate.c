#include "http/negotiate.h"

#include <string.h>

/* Parses "q=0.8" style weights into 0..1000; -1 if malformed. */
static int parse_q(str_t v)
{
    if (v.len == 0 || v.len > 5)
        return -1;
    if (v.ptr[0] == '1') {
        for (size_t i = 1; i < v.len; i++)
            if (v.ptr[i] != (i == 1 ? '.' : '0'))
                return -1;
        return 1000;
    }
    if (v.ptr[0] != '0')
        return -1;
    if (v.len == 1)
        return 0;
    if (v.ptr[1] != '.')
        return -1;
    int q = 0, scale = 100;
    for (size_t i = 2; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return -1;
        q += (v.ptr[i] - '0') * scale;
        scale /= 10;
    }
    return q;
}

bool header_list_next(str_t header, size_t *cursor, header_item_t *item)
{
    size_t i = *cursor;
    while (i < header.len) {
        size_t start = i;
        while (i < header.len && header.ptr[i] != ',')
            i++;
        str_t member = str_trim((str_t){header.ptr + start, i - start});
        if (i < header.len)
            i++; /* skip ',' */
        if (member.len == 0)
            continue;
        str_t params;
        str_t value = str_trim(str_cut(member, ';', &params));
        if (value.len == 0)
            continue;
        int q = 1000;
        bool bad = false;
        while (params.ptr != NULL) {
            str_t rest;
            str_t param = str_trim(str_cut(params, ';', &rest));
            params = rest;
            str_t pv;
            str_t pn = str_trim(str_cut(param, '=', &pv));
            if (pn.len == 1 && (pn.ptr[0] == 'q' || pn.ptr[0] == 'Q')) {
                q = pv.ptr ? parse_q(str_trim(pv)) : -1;
                if (q < 0)
                    bad = true;
            }
        }
        if (bad)
            continue;
        item->value = value;
        item->quality = q;
        *cursor = i;
        return true;
    }
    *cursor = header.len;
    return false;
}

int accept_quality(str_t accept, str_t type, str_t subtype)
{
    if (accept.ptr == NULL || str_trim(accept).len == 0)
        return 1000;
    size_t cursor = 0;
    header_item_t it;
    int best = -1, best_specificity = -1;
    while (header_list_next(accept, &cursor, &it)) {
        str_t sub;
        str_t t = str_cut(it.value, '/', &sub);
        if (sub.ptr == NULL)
            continue;
        int specificity;
        if (str_eq(t, STR("*")) && str_eq(sub, STR("*")))
            specificity = 0;
        else if (str_ieq(t, type) && str_eq(sub, STR("*")))
            specificity = 1;
        else if (str_ieq(t, type) && str_ieq(sub, subtype))
            specificity = 2;
        else
            continue;
        if (specificity > best_specificity) {
            best_specificity = specificity;
            best = it.quality;
        }
    }
    return best < 0 ? 0 : best;
}

bool accept_allows_json(str_t accept)
{
    return accept_quality(accept, STR("application"), STR("json")) > 0;
}

bool accept_prefers_json(str_t accept)
{
    if (accept.ptr == NULL)
        return false;
    int json = accept_quality(accept, STR("application"), STR("json"));
    int html = accept_quality(accept, STR("text"), STR("html"));
    return json > html;
}

int accept_language_pick(str_t header, const char *const *offered, int count)
{
    if (header.ptr == NULL)
        return -1;
    size_t cursor = 0;
    header_item_t it;
    int best = -1, best_q = 0;
    while (header_list_next(header, &cursor, &it)) {
        str_t primary = str_cut(it.value, '-', NULL);
        /* "*" leaves the choice to the server: its default, not our first language. */
        for (int i = 0; i < count; i++) {
            bool match = str_ieq(primary, str_from(offered[i]));
            /* Equal weights keep the header's order: the first listed wins. */
            if (match && it.quality > best_q) {
                best_q = it.quality;
                best = i;
                break;
            }
        }
    }
    return best;
}

bool accept_encoding_gzip(str_t header)
{
    if (header.ptr == NULL)
        return false;
    size_t cursor = 0;
    header_item_t it;
    int gzip = -1, star = -1;
    while (header_list_next(header, &cursor, &it)) {
        if (str_ieq(it.value, STR("gzip")) || str_ieq(it.value, STR("x-gzip")))
            gzip = it.quality;
        else if (str_eq(it.value, STR("*")))
            star = it.quality;
    }
    if (gzip >= 0)
        return gzip > 0;
    return star > 0;
}
