#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/form.h"

typedef struct route_entry {
    route_t pub;
    const char *names[ROUTER_MAX_PARAMS];
    unsigned nparams;
} route_entry_t;

typedef struct node node_t;
struct node {
    char *literal; /* for literal children: the decoded segment */
    size_t literal_len;
    node_t **literals;
    size_t nliterals;
    node_t *int_child;
    node_t *str_child;
    node_t *rest_child;
    route_entry_t **routes;
    size_t nroutes;
};

struct router {
    node_t root;
    route_entry_t **all;
    size_t nall;
    bool frozen;
};

router_t *router_new(void)
{
    return xcalloc(1, sizeof(router_t));
}

static void node_free(node_t *n)
{
    for (size_t i = 0; i < n->nliterals; i++) {
        node_free(n->literals[i]);
        free(n->literals[i]);
    }
    free(n->literals);
    node_t *params[3] = {n->int_child, n->str_child, n->rest_child};
    for (int i = 0; i < 3; i++) {
        if (params[i]) {
            node_free(params[i]);
            free(params[i]);
        }
    }
    free(n->literal);
    free(n->routes);
}

void router_free(router_t *r)
{
    if (!r)
        return;
    node_free(&r->root);
    for (size_t i = 0; i < r->nall; i++) {
        for (unsigned k = 0; k < r->all[i]->nparams; k++)
            free((char *)r->all[i]->names[k]);
        free(r->all[i]);
    }
    free(r->all);
    free(r);
}

static node_t *child_literal(node_t *n, const char *seg, size_t len, bool create)
{
    for (size_t i = 0; i < n->nliterals; i++)
        if (n->literals[i]->literal_len == len && memcmp(n->literals[i]->literal, seg, len) == 0)
            return n->literals[i];
    if (!create)
        return NULL;
    node_t *c = xcalloc(1, sizeof *c);
    c->literal = xmalloc(len + 1);
    memcpy(c->literal, seg, len);
    c->literal[len] = '\0';
    c->literal_len = len;
    n->literals = xrealloc(n->literals, sizeof(node_t *) * (n->nliterals + 1));
    n->literals[n->nliterals++] = c;
    return c;
}

static node_t **param_slot(node_t *n, param_type_t t)
{
    return t == PARAM_INT ? &n->int_child : t == PARAM_STR ? &n->str_child : &n->rest_child;
}

const route_t *router_add(router_t *r, const char *method, const char *pattern, void (*handler)(void), const void *data,
                          unsigned flags, char *err, size_t errlen)
{
    if (r->frozen) {
        snprintf(err, errlen, "router is frozen");
        return NULL;
    }
    if (pattern[0] != '/') {
        snprintf(err, errlen, "%s: pattern must start with '/'", pattern);
        return NULL;
    }
    route_entry_t *e = xcalloc(1, sizeof *e);
    node_t *n = &r->root;
    const char *p = pattern + 1;
    unsigned nsegs = 0;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || ++nsegs > ROUTER_MAX_SEGMENTS) {
            snprintf(err, errlen, "%s: empty segment or too many segments", pattern);
            goto fail;
        }
        if (p[0] == '{') {
            if (p[len - 1] != '}' || len < 3) {
                snprintf(err, errlen, "%s: unclosed parameter", pattern);
                goto fail;
            }
            const char *colon = memchr(p, ':', len);
            size_t name_len = colon ? (size_t)(colon - p - 1) : len - 2;
            param_type_t type = PARAM_STR;
            if (colon) {
                size_t tl = (size_t)(p + len - 1 - colon - 1);
                if (tl == 3 && memcmp(colon + 1, "int", 3) == 0)
                    type = PARAM_INT;
                else if (tl == 3 && memcmp(colon + 1, "str", 3) == 0)
                    type = PARAM_STR;
                else if (tl == 1 && colon[1] == '*')
                    type = PARAM_REST;
                else {
                    snprintf(err, errlen, "%s: unknown parameter type", pattern);
                    goto fail;
                }
            }
            if (name_len == 0 || e->nparams == ROUTER_MAX_PARAMS) {
                snprintf(err, errlen, "%s: unnamed parameter or too many parameters", pattern);
                goto fail;
            }
            if (type == PARAM_REST && end && end[1] != '\0') {
                snprintf(err, errlen, "%s: a {name:*} parameter must come last", pattern);
                goto fail;
            }
            char *name = xmalloc(name_len + 1);
            memcpy(name, p + 1, name_len);
            name[name_len] = '\0';
            e->names[e->nparams++] = name;
            node_t **slot = param_slot(n, type);
            if (!*slot)
                *slot = xcalloc(1, sizeof(node_t));
            n = *slot;
        } else {
            if (memchr(p, '{', len) || memchr(p, '}', len)) {
                snprintf(err, errlen, "%s: a parameter must fill a whole segment", pattern);
                goto fail;
            }
            n = child_literal(n, p, len, true);
        }
        p += len;
        if (*p == '/')
            p++;
        if (*p == '\0' && p[-1] == '/') {
            snprintf(err, errlen, "%s: trailing slash", pattern);
            goto fail;
        }
    }
    for (size_t i = 0; i < n->nroutes; i++) {
        if (strcmp(n->routes[i]->pub.method, method) == 0) {
            snprintf(err, errlen, "%s %s: registered twice (or clashes with %s)", method, pattern,
                     n->routes[i]->pub.pattern);
            goto fail;
        }
    }
    e->pub.method = method;
    e->pub.pattern = pattern;
    e->pub.handler = handler;
    e->pub.data = data;
    e->pub.flags = flags;
    e->pub.id = (unsigned)r->nall;
    n->routes = xrealloc(n->routes, sizeof(route_entry_t *) * (n->nroutes + 1));
    n->routes[n->nroutes++] = e;
    r->all = xrealloc(r->all, sizeof(route_entry_t *) * (r->nall + 1));
    r->all[r->nall++] = e;
    return &e->pub;
fail:
    for (unsigned k = 0; k < e->nparams; k++)
        free((char *)e->names[k]);
    free(e);
    return NULL;
}

void router_freeze(router_t *r) { r->frozen = true; }
unsigned router_count(const router_t *r) { return (unsigned)r->nall; }
const route_t *router_route(const router_t *r, unsigned id) { return id < r->nall ? &r->all[id]->pub : NULL; }

typedef struct segment {
    str_t raw;     /* as in the path */
    str_t decoded; /* percent-decoded */
} segment_t;

typedef struct match_state {
    str_t method;
    bool head;
    segment_t segs[ROUTER_MAX_SEGMENTS];
    unsigned nsegs;
    str_t path;
    arena_t *arena;
    route_param_t vals[ROUTER_MAX_PARAMS];
    unsigned nvals;
    const node_t *first_path_match; /* for 405 */
    const route_entry_t *found;
    route_param_t found_vals[ROUTER_MAX_PARAMS];
    unsigned found_nvals;
} match_state_t;

static const route_entry_t *route_for_method(const node_t *n, str_t method, bool head)
{
    for (size_t i = 0; i < n->nroutes; i++)
        if (str_eq_cstr(method, n->routes[i]->pub.method))
            return n->routes[i];
    if (head)
        for (size_t i = 0; i < n->nroutes; i++)
            if (strcmp(n->routes[i]->pub.method, "GET") == 0)
                return n->routes[i];
    return NULL;
}

static bool parse_int_segment(str_t s, int64_t *out)
{
    if (s.len == 0 || s.len > 18 || (s.len > 1 && s.ptr[0] == '0'))
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (s.ptr[i] - '0');
    }
    *out = v;
    return true;
}

static bool terminal(match_state_t *st, const node_t *n)
{
    if (n->nroutes == 0)
        return false;
    if (!st->first_path_match)
        st->first_path_match = n;
    const route_entry_t *e = route_for_method(n, st->method, st->head);
    if (!e)
        return false;
    st->found = e;
    memcpy(st->found_vals, st->vals, sizeof(route_param_t) * st->nvals);
    st->found_nvals = st->nvals;
    return true;
}

static bool walk(match_state_t *st, const node_t *n, unsigned i)
{
    if (i == st->nsegs)
        return terminal(st, n);
    const segment_t *seg = &st->segs[i];
    if (seg->decoded.len != 0) {
        node_t *lit = child_literal((node_t *)n, seg->decoded.ptr, seg->decoded.len, false);
        if (lit && walk(st, lit, i + 1))
            return true;
    }
    int64_t num;
    if (n->int_child && parse_int_segment(seg->decoded, &num)) {
        st->vals[st->nvals++] = (route_param_t){NULL, PARAM_INT, seg->decoded, num};
        if (walk(st, n->int_child, i + 1))
            return true;
        st->nvals--;
    }
    if (n->str_child && seg->decoded.len != 0) {
        st->vals[st->nvals++] = (route_param_t){NULL, PARAM_STR, seg->decoded, 0};
        if (walk(st, n->str_child, i + 1))
            return true;
        st->nvals--;
    }
    if (n->rest_child) {
        /* The rest of the path from this segment on, decoded as one string. */
        const char *from = seg->raw.ptr;
        size_t rest_len = (size_t)(st->path.ptr + st->path.len - from);
        char *dst = arena_alloc(st->arena, rest_len + 1);
        size_t m = percent_decode(dst, from, rest_len, 0);
        if (m != (size_t)-1 && m > 0) {
            dst[m] = '\0';
            st->vals[st->nvals++] = (route_param_t){NULL, PARAM_REST, {dst, m}, 0};
            if (terminal(st, n->rest_child))
                return true;
            st->nvals--;
        }
    }
    return false;
}

router_result_t router_match(const router_t *r, str_t method, str_t path, arena_t *a, route_match_t *m)
{
    memset(m, 0, offsetof(route_match_t, allow));
    m->allow[0] = '\0';
    if (path.len == 0 || path.ptr[0] != '/')
        return ROUTER_NOT_FOUND;
    match_state_t st;
    st.method = method;
    st.head = str_eq(method, STR("HEAD"));
    st.nsegs = 0;
    st.path = path;
    st.arena = a;
    st.nvals = 0;
    st.first_path_match = NULL;
    st.found = NULL;
    st.found_nvals = 0;

    size_t i = 1;
    if (path.len > 1) {
        while (i <= path.len) {
            size_t start = i;
            while (i < path.len && path.ptr[i] != '/')
                i++;
            if (st.nsegs == ROUTER_MAX_SEGMENTS)
                return ROUTER_NOT_FOUND;
            segment_t *seg = &st.segs[st.nsegs++];
            seg->raw = (str_t){path.ptr + start, i - start};
            if (memchr(seg->raw.ptr, '%', seg->raw.len)) {
                char *dst = arena_alloc(a, seg->raw.len + 1);
                size_t n = percent_decode(dst, seg->raw.ptr, seg->raw.len, 0);
                if (n == (size_t)-1)
                    return ROUTER_BAD_PATH;
                dst[n] = '\0';
                seg->decoded = (str_t){dst, n};
            } else {
                seg->decoded = seg->raw;
            }
            if (text_check(seg->decoded.ptr, seg->decoded.len) != TEXT_OK ||
                memchr(seg->decoded.ptr, '\n', seg->decoded.len) || memchr(seg->decoded.ptr, '\r', seg->decoded.len) ||
                memchr(seg->decoded.ptr, '\t', seg->decoded.len))
                return ROUTER_BAD_PATH;
            i++; /* skip '/' (or step past the end) */
        }
    }

    if (walk(&st, &r->root, 0)) {
        m->route = &st.found->pub;
        m->nparams = st.found_nvals;
        for (unsigned k = 0; k < st.found_nvals; k++) {
            m->params[k] = st.found_vals[k];
            m->params[k].name = st.found->names[k];
        }
        return ROUTER_FOUND;
    }
    if (st.first_path_match) {
        const node_t *n = st.first_path_match;
        size_t off = 0;
        bool has_get = false;
        for (size_t k = 0; k < n->nroutes; k++) {
            const char *meth = n->routes[k]->pub.method;
            has_get |= strcmp(meth, "GET") == 0;
            int w = snprintf(m->allow + off, sizeof m->allow - off, "%s%s", off ? ", " : "", meth);
            if (w < 0 || (size_t)w >= sizeof m->allow - off)
                break;
            off += (size_t)w;
        }
        if (has_get && off + 6 < sizeof m->allow)
            snprintf(m->allow + off, sizeof m->allow - off, ", HEAD");
        return ROUTER_METHOD_NOT_ALLOWED;
    }
    return ROUTER_NOT_FOUND;
}

const route_param_t *route_param(const route_match_t *m, const char *name)
{
    for (unsigned i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return &m->params[i];
    return NULL;
}
