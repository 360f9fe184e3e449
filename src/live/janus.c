#include "live/janus.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/worker.h"

#define DEFAULT_KEEPALIVE_MS 25000
#define DEFAULT_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 2000
#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 5000
#define MAX_ANSWER (1 << 20)
#define SECRET_LEN 32
#define DESCRIPTION_MAX 200
#define DEFAULT_PUBLISHERS 6
#define DEFAULT_BITRATE 512000

/* ------------------------------------------------------------------ types */

typedef enum job_kind { JOB_CREATE, JOB_DESTROY, JOB_ADD, JOB_REMOVE, JOB_KICK } job_kind_t;

typedef struct job {
    struct job *next;
    job_kind_t kind;
    uint64_t room, id;
    char *description;
    unsigned publishers, bitrate;
    char token[JANUS_TOKEN_MAX + 1];
    char secret[JANUS_TOKEN_MAX + 1], pin[JANUS_TOKEN_MAX + 1]; /* create: given, or "" */
    janus_caller_t caller;
} job_t;

struct janus_reply {
    worker_task_t task; /* first: janus_post_worker hands it to worker_post */
    janus_done_fn done;
    void *ud;
    janus_result_t result;
};

/* A room as this client made it: enough to make it again. */
typedef struct jroom {
    struct jroom *next;
    uint64_t id;
    char *description;
    unsigned publishers, bitrate;
    char secret[JANUS_TOKEN_MAX + 1], pin[JANUS_TOKEN_MAX + 1];
    char **tokens;
    size_t ntokens, cap;
} jroom_t;

typedef enum inst_state { ST_NEW, ST_UP, ST_DOWN } inst_state_t;

typedef struct instance {
    janus_t *j;
    unsigned index;
    char *url, *public_url;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job_t *head, *tail; /* under lock */
    CURLM *multi;       /* curl_multi_wakeup from janus_stop */
    /* the thread's own */
    CURL *easy;
    struct curl_slist *headers;
    uint64_t session, handle;
    inst_state_t state;
    uint64_t next_keepalive, next_retry, retry_ms;
    jroom_t *rooms;
    char down_reason[160]; /* why it is down */
    unsigned long tx;
    char txbuf[32];
    char *answer;
    size_t answer_len, answer_cap;
    bool answer_too_big;
    char curl_error[CURL_ERROR_SIZE];
} instance_t;

struct janus {
    instance_t *inst;
    unsigned n;
    char *admin_key;
    uint64_t keepalive_ms, timeout_ms;
    atomic_bool stop;
    atomic_uint up;
    atomic_uint_fast64_t restarts, rooms;
};

/* ------------------------------------------------------------------ small helpers */

static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool janus_token_valid(const char *token)
{
    if (!token || !*token)
        return false;
    size_t n = 0;
    for (const char *p = token; *p; p++, n++)
        if (n >= JANUS_TOKEN_MAX || !token_char(*p))
            return false;
    return true;
}

static void random_text(char *out, size_t bytes, size_t outlen)
{
    unsigned char raw[48];
    if (bytes > sizeof raw)
        bytes = sizeof raw;
    randombytes_buf(raw, bytes);
    sodium_bin2base64(out, outlen, raw, bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void janus_token_new(char out[JANUS_TOKEN_LEN + 1])
{
    random_text(out, JANUS_TOKEN_LEN * 3 / 4, JANUS_TOKEN_LEN + 1);
}

/* Copies what fits. */
static void copy_text(char *dst, size_t dstlen, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= dstlen)
        n = dstlen - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* At most DESCRIPTION_MAX bytes, not cutting a UTF-8 sequence. */
static char *cut_description(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    if (n > DESCRIPTION_MAX) {
        n = DESCRIPTION_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ------------------------------------------------------------------ requests (pure) */

static char *dump(json_t *root)
{
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return s;
}

static json_t *envelope(const char *kind, const char *transaction)
{
    json_t *o = json_object();
    json_object_set_new(o, "janus", json_string(kind));
    json_object_set_new(o, "transaction", json_string(transaction));
    return o;
}

static char *message(json_t *body, const char *transaction)
{
    json_t *o = envelope("message", transaction);
    json_object_set_new(o, "body", body);
    return dump(o);
}

static json_t *token_array(const char *const *tokens, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(tokens[i]));
    return a;
}

char *janus_req_plain(const char *kind, const char *transaction)
{
    return dump(envelope(kind, transaction));
}

char *janus_req_attach(const char *transaction)
{
    json_t *o = envelope("attach", transaction);
    json_object_set_new(o, "plugin", json_string("janus.plugin.videoroom"));
    return dump(o);
}

char *janus_req_create(const janus_room_def_t *r, const char *const *tokens, size_t ntokens, const char *admin_key,
                       const char *transaction)
{
    json_t *b = json_object();
    json_object_set_new(b, "request", json_string("create"));
    json_object_set_new(b, "room", json_integer((json_int_t)r->room));
    json_object_set_new(b, "permanent", json_false());
    json_object_set_new(b, "description", json_string(r->description ? r->description : ""));
    json_object_set_new(b, "secret", json_string(r->secret));
    json_object_set_new(b, "pin", json_string(r->pin));
    json_object_set_new(b, "is_private", json_true());
    json_object_set_new(b, "require_pvtid", json_true());
    json_object_set_new(b, "publishers", json_integer(r->publishers));
    json_object_set_new(b, "bitrate", json_integer(r->bitrate));
    json_object_set_new(b, "bitrate_cap", json_true());
    json_object_set_new(b, "audiocodec", json_string("opus"));
    json_object_set_new(b, "videocodec", json_string("vp8"));
    /* Present, even empty, it turns the token check on. */
    json_object_set_new(b, "allowed", token_array(tokens, ntokens));
    if (admin_key && *admin_key)
        json_object_set_new(b, "admin_key", json_string(admin_key));
    return message(b, transaction);
}

static json_t *room_request(const char *request, uint64_t room, const char *secret)
{
    json_t *b = json_object();
    json_object_set_new(b, "request", json_string(request));
    json_object_set_new(b, "room", json_integer((json_int_t)room));
    json_object_set_new(b, "secret", json_string(secret));
    return b;
}

char *janus_req_allowed(uint64_t room, const char *secret, const char *action, const char *const *tokens,
                        size_t ntokens, const char *transaction)
{
    json_t *b = room_request("allowed", room, secret);
    json_object_set_new(b, "action", json_string(action));
    json_object_set_new(b, "allowed", token_array(tokens, ntokens));
    return message(b, transaction);
}

char *janus_req_kick(uint64_t room, const char *secret, uint64_t id, const char *transaction)
{
    json_t *b = room_request("kick", room, secret);
    json_object_set_new(b, "id", json_integer((json_int_t)id));
    return message(b, transaction);
}

char *janus_req_destroy(uint64_t room, const char *secret, const char *transaction)
{
    json_t *b = room_request("destroy", room, secret);
    json_object_set_new(b, "permanent", json_false());
    return message(b, transaction);
}

char *janus_req_edit(const janus_room_def_t *r, const char *transaction)
{
    json_t *b = room_request("edit", r->room, r->secret);
    json_object_set_new(b, "new_description", json_string(r->description ? r->description : ""));
    json_object_set_new(b, "new_pin", json_string(r->pin));
    json_object_set_new(b, "new_is_private", json_true());
    json_object_set_new(b, "new_require_pvtid", json_true());
    json_object_set_new(b, "new_publishers", json_integer(r->publishers));
    json_object_set_new(b, "new_bitrate", json_integer(r->bitrate));
    return message(b, transaction);
}

/* ------------------------------------------------------------------ answers (pure) */

static void answer_fail(janus_answer_t *a, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void answer_fail(janus_answer_t *a, int status, const char *fmt, ...)
{
    a->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
}

void janus_parse_answer(const char *text, size_t len, const char *transaction, const char *expect,
                        const char *videoroom, janus_answer_t *out)
{
    memset(out, 0, sizeof *out);
    json_error_t e;
    json_t *root = json_loadb(text ? text : "", text ? len : 0, 0, &e);
    if (!root || !json_is_object(root)) {
        answer_fail(out, JANUS_BAD_ANSWER, "not a JSON object: %.100s", root ? "another JSON value" : e.text);
        json_decref(root);
        return;
    }
    const char *kind = json_string_value(json_object_get(root, "janus"));
    const char *tx = json_string_value(json_object_get(root, "transaction"));
    if (!kind) {
        answer_fail(out, JANUS_BAD_ANSWER, "%s", "no \"janus\" field");
    } else if (transaction && (!tx || strcmp(tx, transaction) != 0)) {
        answer_fail(out, JANUS_BAD_ANSWER, "%s", "the answer is to another transaction");
    } else if (strcmp(kind, "error") == 0) {
        json_t *err = json_object_get(root, "error");
        json_t *code = json_object_get(err, "code");
        const char *reason = json_string_value(json_object_get(err, "reason"));
        if (!json_is_integer(code)) {
            answer_fail(out, JANUS_BAD_ANSWER, "%s", "an error without a code");
        } else {
            out->code = (int)json_integer_value(code);
            out->session_gone = out->code == 458 || out->code == 459; /* no such session, no such handle */
            answer_fail(out, JANUS_REFUSED, "%s", reason ? reason : "(no reason given)");
        }
    } else if (strcmp(kind, expect) != 0) {
        answer_fail(out, JANUS_BAD_ANSWER, "unexpected answer \"%.60s\"", kind);
    } else {
        json_t *id = json_object_get(json_object_get(root, "data"), "id");
        if (json_is_integer(id) && json_integer_value(id) > 0)
            out->id = (uint64_t)json_integer_value(id);
        out->status = JANUS_OK;
        if (videoroom) {
            json_t *pd = json_object_get(json_object_get(root, "plugindata"), "data");
            json_t *code = json_object_get(pd, "error_code");
            const char *vr = json_string_value(json_object_get(pd, "videoroom"));
            json_t *allowed = json_object_get(pd, "allowed");
            if (!json_is_object(pd)) {
                answer_fail(out, JANUS_BAD_ANSWER, "%s", "no plugin data");
            } else if (code) {
                const char *why = json_string_value(json_object_get(pd, "error"));
                if (!json_is_integer(code)) {
                    answer_fail(out, JANUS_BAD_ANSWER, "%s", "an error without a code");
                } else {
                    out->code = (int)json_integer_value(code);
                    answer_fail(out, JANUS_REFUSED, "%s", why ? why : "(no reason given)");
                }
            } else if (!vr || strcmp(vr, videoroom) != 0) {
                answer_fail(out, JANUS_BAD_ANSWER, "unexpected VideoRoom answer \"%.60s\"", vr ? vr : "(none)");
            } else if (allowed && !json_is_array(allowed)) {
                answer_fail(out, JANUS_BAD_ANSWER, "%s", "\"allowed\" is not a list");
            } else if (allowed) {
                size_t n = json_array_size(allowed);
                out->tokens = xcalloc(n ? n : 1, sizeof(char *));
                for (size_t i = 0; i < n; i++) {
                    const char *t = json_string_value(json_array_get(allowed, i));
                    if (t)
                        out->tokens[out->ntokens++] = xstrdup(t);
                }
            }
        }
    }
    json_decref(root);
}

void janus_answer_dispose(janus_answer_t *a)
{
    for (size_t i = 0; i < a->ntokens; i++)
        free(a->tokens[i]);
    free(a->tokens);
    a->tokens = NULL;
    a->ntokens = 0;
}

/* ------------------------------------------------------------------ URL lists */

/* Splits "a, b,c" into trimmed items; each must be an http(s) URL with a host.
 * Returns the count (0 for an empty list) or -1 with err. */
static void free_urls(char **urls, int n, char **pub, int np)
{
    for (int i = 0; i < n; i++)
        free(urls[i]);
    for (int i = 0; i < np; i++)
        free(pub[i]);
    free(urls);
    free(pub);
}

static int split_urls(const char *list, char ***out, const char *what, char *err, size_t errlen)
{
    *out = NULL;
    int n = 0, cap = 0;
    char **items = NULL;
    const char *p = list ? list : "";
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '/'))
            b--;
        size_t len = (size_t)(b - a);
        size_t scheme = len > 7 && strncmp(a, "http://", 7) == 0 ? 7 : len > 8 && strncmp(a, "https://", 8) == 0 ? 8 : 0;
        if (!scheme || a[scheme] == '/' || a[scheme] == ':') {
            snprintf(err, errlen, "%s: \"%.*s\" is not an http:// or https:// URL", what, (int)(len < 200 ? len : 200), a);
            for (int i = 0; i < n; i++)
                free(items[i]);
            free(items);
            return -1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            char **grown = realloc(items, (size_t)cap * sizeof *items);
            if (!grown)
                abort();
            items = grown;
        }
        char *s = xmalloc(len + 1);
        memcpy(s, a, len);
        s[len] = '\0';
        items[n++] = s;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = items;
    return n;
}

/* ------------------------------------------------------------------ rooms remembered */

static jroom_t *room_find(instance_t *in, uint64_t id)
{
    for (jroom_t *r = in->rooms; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

static void jroom_free(jroom_t *r)
{
    for (size_t i = 0; i < r->ntokens; i++)
        free(r->tokens[i]);
    free(r->tokens);
    free(r->description);
    free(r);
}

static void room_forget(instance_t *in, uint64_t id)
{
    for (jroom_t **pp = &in->rooms; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            jroom_t *r = *pp;
            *pp = r->next;
            jroom_free(r);
            atomic_fetch_sub(&in->j->rooms, 1);
            return;
        }
    }
}

static bool room_has_token(const jroom_t *r, const char *token)
{
    for (size_t i = 0; i < r->ntokens; i++)
        if (strcmp(r->tokens[i], token) == 0)
            return true;
    return false;
}

static void room_add_token(jroom_t *r, const char *token)
{
    if (room_has_token(r, token))
        return;
    if (r->ntokens == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        char **grown = realloc(r->tokens, r->cap * sizeof *grown);
        if (!grown)
            abort();
        r->tokens = grown;
    }
    r->tokens[r->ntokens++] = xstrdup(token);
}

static void room_remove_token(jroom_t *r, const char *token)
{
    for (size_t i = 0; i < r->ntokens; i++) {
        if (strcmp(r->tokens[i], token) == 0) {
            free(r->tokens[i]);
            r->tokens[i] = r->tokens[--r->ntokens];
            return;
        }
    }
}

static janus_room_def_t room_def(const jroom_t *r)
{
    return (janus_room_def_t){.room = r->id, .description = r->description, .secret = r->secret, .pin = r->pin,
                              .publishers = r->publishers, .bitrate = r->bitrate};
}

/* ------------------------------------------------------------------ HTTP */

static size_t on_answer_data(char *data, size_t size, size_t nmemb, void *ud)
{
    instance_t *in = ud;
    size_t n = size * nmemb;
    if (in->answer_len + n + 1 > MAX_ANSWER) {
        in->answer_too_big = true;
        return 0;
    }
    if (in->answer_len + n + 1 > in->answer_cap) {
        size_t cap = in->answer_cap ? in->answer_cap : 4096;
        while (cap < in->answer_len + n + 1)
            cap *= 2;
        char *grown = realloc(in->answer, cap);
        if (!grown)
            return 0;
        in->answer = grown;
        in->answer_cap = cap;
    }
    memcpy(in->answer + in->answer_len, data, n);
    in->answer_len += n;
    in->answer[in->answer_len] = '\0';
    return n;
}

static const char *next_tx(instance_t *in)
{
    snprintf(in->txbuf, sizeof in->txbuf, "c%u-%lu", in->index, ++in->tx);
    return in->txbuf;
}

/* POSTs body to the instance (path: "", "/SESSION" or "/SESSION/HANDLE") and
 * reads the answer. A transport failure is JANUS_UNAVAILABLE. */
static void post(instance_t *in, int depth, const char *body, const char *expect, const char *videoroom,
                 janus_answer_t *a)
{
    char url[2300];
    if (depth == 0)
        snprintf(url, sizeof url, "%s", in->url);
    else if (depth == 1)
        snprintf(url, sizeof url, "%s/%llu", in->url, (unsigned long long)in->session);
    else
        snprintf(url, sizeof url, "%s/%llu/%llu", in->url, (unsigned long long)in->session,
                 (unsigned long long)in->handle);
    /* The transaction is the one the body was made with. */
    char tx[sizeof in->txbuf];
    copy_text(tx, sizeof tx, in->txbuf);
    in->answer_len = 0;
    in->answer_too_big = false;
    in->curl_error[0] = '\0';
    if (in->answer)
        in->answer[0] = '\0';
    curl_easy_setopt(in->easy, CURLOPT_URL, url);
    curl_easy_setopt(in->easy, CURLOPT_POSTFIELDS, body);
    CURLcode rc = CURLE_FAILED_INIT;
    bool stopped = false;
    if (curl_multi_add_handle(in->multi, in->easy) == CURLM_OK) {
        int running = 1;
        while (running) {
            if (atomic_load(&in->j->stop)) {
                stopped = true;
                break;
            }
            if (curl_multi_perform(in->multi, &running) != CURLM_OK)
                break;
            if (running)
                curl_multi_poll(in->multi, NULL, 0, 1000, NULL);
        }
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(in->multi, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == in->easy)
                rc = msg->data.result;
        curl_multi_remove_handle(in->multi, in->easy);
    }
    if (stopped) {
        memset(a, 0, sizeof *a);
        answer_fail(a, JANUS_UNAVAILABLE, "%s", "stopping");
        return;
    }
    if (rc != CURLE_OK) {
        memset(a, 0, sizeof *a);
        if (in->answer_too_big)
            answer_fail(a, JANUS_BAD_ANSWER, "%s", "answer too large");
        else
            answer_fail(a, JANUS_UNAVAILABLE, "%.150s", in->curl_error[0] ? in->curl_error : curl_easy_strerror(rc));
        return;
    }
    janus_parse_answer(in->answer, in->answer_len, tx, expect, videoroom, a);
    if (a->status == JANUS_BAD_ANSWER) {
        long code = 0;
        curl_easy_getinfo(in->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200) {
            char why[sizeof a->message];
            copy_text(why, sizeof why, a->message);
            answer_fail(a, JANUS_BAD_ANSWER, "HTTP status %ld: %.130s", code, why);
        }
    }
}

/* ------------------------------------------------------------------ instance state */

static void log_instance(log_level_t level, instance_t *in, const char *msg, const char *why)
{
    logq_t q, w;
    log_event(level, msg, "instance=%u url=\"%s\" error=\"%s\"", in->index, logq(&q, in->url), logq(&w, why ? why : ""));
}

static void go_down(instance_t *in, const char *why)
{
    if (in->state == ST_UP)
        atomic_fetch_sub(&in->j->up, 1);
    if (in->state != ST_DOWN) {
        log_instance(LOG_WARN, in, "janus unreachable: audio and video of its rooms are off until it is back", why);
        in->retry_ms = RETRY_FIRST_MS;
    } else {
        in->retry_ms = in->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : in->retry_ms * 2;
    }
    if (in->retry_ms > in->j->keepalive_ms)
        in->retry_ms = in->j->keepalive_ms;
    in->state = ST_DOWN;
    copy_text(in->down_reason, sizeof in->down_reason, why);
    in->session = in->handle = 0;
    in->next_retry = clock_monotonic_ms() + in->retry_ms;
}

static bool put_back_room(instance_t *in, jroom_t *r, janus_answer_t *a);

/* A new session and handle; then every room remembered is put back (they are
 * gone if Janus restarted; if they are not, they are brought in line). */
static bool connect_instance(instance_t *in, bool restarted)
{
    janus_answer_t a;
    in->session = in->handle = 0;
    char *body = janus_req_plain("create", next_tx(in));
    post(in, 0, body, "success", NULL, &a);
    free(body);
    if (a.status == JANUS_OK && !a.id)
        answer_fail(&a, JANUS_BAD_ANSWER, "%s", "no session id");
    if (a.status == JANUS_OK) {
        in->session = a.id;
        body = janus_req_attach(next_tx(in));
        post(in, 1, body, "success", NULL, &a);
        free(body);
        if (a.status == JANUS_OK && !a.id)
            answer_fail(&a, JANUS_BAD_ANSWER, "%s", "no handle id");
        in->handle = a.id;
    }
    if (a.status != JANUS_OK) {
        go_down(in, a.message);
        janus_answer_dispose(&a);
        return false;
    }
    inst_state_t was = in->state;
    in->state = ST_UP;
    atomic_fetch_add(&in->j->up, 1);
    in->next_keepalive = clock_monotonic_ms() + in->j->keepalive_ms;
    size_t n = 0;
    for (jroom_t *r = in->rooms; r; r = r->next)
        n++;
    if (was == ST_DOWN || restarted || n) {
        logq_t q;
        LOG_INFO(restarted ? "janus lost its session (restarted?): putting its rooms back" : "janus is back: putting its rooms back",
                 "instance=%u url=\"%s\" rooms=%zu", in->index, logq(&q, in->url), n);
    } else {
        logq_t q;
        LOG_INFO("janus ready", "instance=%u url=\"%s\"", in->index, logq(&q, in->url));
    }
    if (n) {
        atomic_fetch_add(&in->j->restarts, 1);
        for (jroom_t *r = in->rooms; r && in->state == ST_UP; r = r->next) {
            if (!put_back_room(in, r, &a)) {
                logq_t q, w;
                if (a.status == JANUS_REFUSED)
                    LOG_ERROR("janus: a room cannot be put back", "instance=%u room=%llu code=%d error=\"%s\"",
                              in->index, (unsigned long long)r->id, a.code, logq(&w, a.message));
                else if (a.status != JANUS_UNAVAILABLE)
                    LOG_ERROR("janus: a room cannot be put back", "instance=%u url=\"%s\" room=%llu error=\"%s\"",
                              in->index, logq(&q, in->url), (unsigned long long)r->id, logq(&w, a.message));
            }
            janus_answer_dispose(&a);
        }
    }
    return in->state == ST_UP;
}

/* A request on the handle, as is (no reconnection): keeps the state right. */
static void handle_request(instance_t *in, char *body, const char *videoroom, janus_answer_t *a)
{
    post(in, 2, body, "success", videoroom, a);
    if (a->status == JANUS_UNAVAILABLE)
        go_down(in, a->message);
}

/* Makes the room on Janus as remembered: created with its tokens, or, if
 * Janus has it already (same secret), set as ours and its tokens to ours exactly. */
static bool put_back_room(instance_t *in, jroom_t *r, janus_answer_t *a)
{
    janus_room_def_t def = room_def(r);
    char *body = janus_req_create(&def, (const char *const *)r->tokens, r->ntokens, in->j->admin_key, next_tx(in));
    handle_request(in, body, "created", a);
    free(body);
    if (a->status == JANUS_OK || a->status != JANUS_REFUSED || a->code != 427 /* exists */)
        return a->status == JANUS_OK;
    janus_answer_dispose(a);
    body = janus_req_edit(&def, next_tx(in));
    handle_request(in, body, "edited", a);
    free(body);
    if (a->status != JANUS_OK)
        return false;
    body = janus_req_allowed(r->id, r->secret, "add", (const char *const *)r->tokens, r->ntokens, next_tx(in));
    handle_request(in, body, "success", a);
    free(body);
    if (a->status != JANUS_OK)
        return false;
    /* Tokens Janus has and we do not (removed while it was out of reach). */
    size_t extra = 0;
    for (size_t i = 0; i < a->ntokens; i++)
        if (!room_has_token(r, a->tokens[i]))
            a->tokens[extra++] = a->tokens[i];
        else
            free(a->tokens[i]);
    a->ntokens = extra;
    if (!extra)
        return true;
    body = janus_req_allowed(r->id, r->secret, "remove", (const char *const *)a->tokens, extra, next_tx(in));
    janus_answer_dispose(a);
    handle_request(in, body, "success", a);
    free(body);
    return a->status == JANUS_OK;
}

/* Makes sure the instance has a session; false (a filled) when it cannot. */
static bool ensure_up(instance_t *in, janus_answer_t *a)
{
    memset(a, 0, sizeof *a);
    if (in->state == ST_UP)
        return true;
    if (in->state == ST_NEW || clock_monotonic_ms() >= in->next_retry)
        if (connect_instance(in, false))
            return true;
    answer_fail(a, JANUS_UNAVAILABLE, "janus cannot be reached: %.120s", in->down_reason);
    return false;
}

/* A request on the handle for a job: when Janus lost the session (it
 * restarted), everything is put back and the request is sent again, once.
 * make_body is called for each try (a fresh transaction). */
typedef char *(*body_fn)(instance_t *in, const job_t *job, const jroom_t *r);

static void job_request(instance_t *in, const job_t *job, jroom_t *r, body_fn make_body, const char *videoroom,
                        janus_answer_t *a)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!ensure_up(in, a))
            return;
        char *body = make_body(in, job, r);
        handle_request(in, body, videoroom, a);
        free(body);
        if (a->status == JANUS_REFUSED && a->session_gone && attempt == 0) {
            janus_answer_dispose(a);
            atomic_fetch_sub(&in->j->up, 1);
            in->state = ST_NEW;
            if (!connect_instance(in, true)) {
                answer_fail(a, JANUS_UNAVAILABLE, "janus cannot be reached: %.120s", in->down_reason);
                return;
            }
            continue;
        }
        /* Janus lost this one room (destroyed behind our back): put it back, try again. */
        if (a->status == JANUS_REFUSED && a->code == 426 && r && attempt == 0 && job->kind != JOB_DESTROY) {
            janus_answer_t b;
            janus_answer_dispose(a);
            if (put_back_room(in, r, &b)) {
                janus_answer_dispose(&b);
                continue;
            }
            *a = b;
        }
        return;
    }
}

/* ------------------------------------------------------------------ jobs */

static char *body_create(instance_t *in, const job_t *job, const jroom_t *r)
{
    (void)job;
    janus_room_def_t def = room_def(r);
    return janus_req_create(&def, (const char *const *)r->tokens, r->ntokens, in->j->admin_key, next_tx(in));
}

static char *body_destroy(instance_t *in, const job_t *job, const jroom_t *r)
{
    return janus_req_destroy(job->room, r->secret, next_tx(in));
}

static char *body_add(instance_t *in, const job_t *job, const jroom_t *r)
{
    const char *t = job->token;
    return janus_req_allowed(job->room, r->secret, "add", &t, 1, next_tx(in));
}

static char *body_remove(instance_t *in, const job_t *job, const jroom_t *r)
{
    const char *t = job->token;
    return janus_req_allowed(job->room, r->secret, "remove", &t, 1, next_tx(in));
}

static char *body_kick(instance_t *in, const job_t *job, const jroom_t *r)
{
    return janus_req_kick(job->room, r->secret, job->id, next_tx(in));
}

static const char *job_name(job_kind_t k)
{
    switch (k) {
    case JOB_CREATE: return "create";
    case JOB_DESTROY: return "destroy";
    case JOB_ADD: return "add_token";
    case JOB_REMOVE: return "remove_token";
    case JOB_KICK: return "kick";
    }
    return "?";
}

static void complete(const job_t *job, const janus_result_t *r)
{
    if (!job->caller.done)
        return;
    janus_reply_t *rep = xcalloc(1, sizeof *rep);
    rep->done = job->caller.done;
    rep->ud = job->caller.ud;
    rep->result = *r;
    job->caller.post(job->caller.target, rep);
}

static void run_create(instance_t *in, const job_t *job, janus_result_t *res, janus_answer_t *a)
{
    jroom_t *known = room_find(in, job->room);
    if (known) {
        copy_text(res->pin, sizeof res->pin, known->pin);
        return;
    }
    jroom_t *r = xcalloc(1, sizeof *r);
    r->id = job->room;
    r->description = cut_description(job->description);
    r->publishers = job->publishers ? job->publishers : DEFAULT_PUBLISHERS;
    r->bitrate = job->bitrate ? job->bitrate : DEFAULT_BITRATE;
    if (job->secret[0])
        copy_text(r->secret, sizeof r->secret, job->secret);
    else
        random_text(r->secret, SECRET_LEN * 3 / 4, SECRET_LEN + 1);
    if (job->pin[0])
        copy_text(r->pin, sizeof r->pin, job->pin);
    else
        random_text(r->pin, JANUS_PIN_LEN * 3 / 4, JANUS_PIN_LEN + 1);
    job_request(in, job, r, body_create, "created", a);
    if (a->status == JANUS_REFUSED && a->code == 427) {
        /* Janus has it: ours from before a restart of ours if the secret opens it. */
        janus_answer_dispose(a);
        put_back_room(in, r, a);
    }
    if (a->status == JANUS_OK) {
        r->next = in->rooms;
        in->rooms = r;
        atomic_fetch_add(&in->j->rooms, 1);
        copy_text(res->pin, sizeof res->pin, r->pin);
    } else {
        jroom_free(r);
    }
}

static void run_job(instance_t *in, job_t *job)
{
    janus_result_t res = {.status = JANUS_OK, .room = job->room};
    janus_answer_t a;
    memset(&a, 0, sizeof a);
    if (job->kind == JOB_CREATE) {
        run_create(in, job, &res, &a);
    } else {
        jroom_t *r = room_find(in, job->room);
        if (!r) {
            answer_fail(&a, JANUS_NO_ROOM, "%s", "no such room here");
        } else if (job->kind == JOB_DESTROY) {
            job_request(in, job, r, body_destroy, "destroyed", &a);
            if (a.status == JANUS_REFUSED && a.code == 426) /* already gone */
                a.status = JANUS_OK;
            room_forget(in, job->room);
        } else if (job->kind == JOB_ADD) {
            job_request(in, job, r, body_add, "success", &a);
            if (a.status == JANUS_OK)
                room_add_token(r, job->token);
        } else if (job->kind == JOB_REMOVE) {
            room_remove_token(r, job->token);
            job_request(in, job, r, body_remove, "success", &a);
        } else {
            job_request(in, job, r, body_kick, "success", &a);
        }
    }
    res.status = a.status;
    res.code = a.status == JANUS_REFUSED ? a.code : 0;
    if (a.status != JANUS_OK)
        copy_text(res.message, sizeof res.message, a.message);
    if (a.status == JANUS_REFUSED || a.status == JANUS_BAD_ANSWER) {
        logq_t q;
        LOG_WARN("janus refused a request", "instance=%u job=%s room=%llu code=%d error=\"%s\"", in->index,
                 job_name(job->kind), (unsigned long long)job->room, res.code, logq(&q, res.message));
    }
    janus_answer_dispose(&a);
    complete(job, &res);
}

static void keepalive(instance_t *in)
{
    janus_answer_t a;
    char *body = janus_req_plain("keepalive", next_tx(in));
    post(in, 1, body, "ack", NULL, &a);
    free(body);
    if (a.status == JANUS_UNAVAILABLE) {
        go_down(in, a.message);
    } else if (a.status == JANUS_REFUSED && a.session_gone) {
        atomic_fetch_sub(&in->j->up, 1);
        in->state = ST_NEW;
        connect_instance(in, true);
    } else if (a.status != JANUS_OK) {
        go_down(in, a.message); /* not a Janus that knows us: start again */
    } else {
        in->next_keepalive = clock_monotonic_ms() + in->j->keepalive_ms;
    }
    janus_answer_dispose(&a);
}

/* ------------------------------------------------------------------ the thread */

static uint64_t next_due(const instance_t *in)
{
    return in->state == ST_UP ? in->next_keepalive : in->next_retry;
}

static void *instance_main(void *arg)
{
    instance_t *in = arg;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        if (atomic_load(&in->j->stop))
            break;
        uint64_t now = clock_monotonic_ms(), due = next_due(in);
        if (!in->head && now < due) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t wait = due - now;
            ts.tv_sec += (time_t)(wait / 1000);
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&in->wake, &in->lock, &ts);
            continue;
        }
        job_t *job = in->head;
        if (job) {
            in->head = job->next;
            if (!in->head)
                in->tail = NULL;
        }
        pthread_mutex_unlock(&in->lock);
        if (job) {
            run_job(in, job);
            free(job->description);
            free(job);
        } else if (in->state == ST_UP) {
            keepalive(in);
        } else {
            connect_instance(in, false);
        }
        pthread_mutex_lock(&in->lock);
    }
    pthread_mutex_unlock(&in->lock);
    return NULL;
}

/* ------------------------------------------------------------------ public */

void janus_reply_run(janus_reply_t *reply)
{
    reply->done(&reply->result, reply->ud);
    free(reply);
}

static void reply_task_run(worker_task_t *task)
{
    janus_reply_run((janus_reply_t *)task);
}

bool janus_task_is_reply(const worker_task_t *task)
{
    return task->run == reply_task_run;
}

void janus_post_worker(void *target, janus_reply_t *reply)
{
    reply->task.run = reply_task_run;
    worker_post(target, &reply->task);
}

void janus_options_from_config(const config_t *cfg, janus_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->urls = cfg->janus_urls;
    o->public_urls = cfg->janus_public_urls;
    o->admin_key = cfg->janus_admin_key;
}

static void instance_dispose(instance_t *in)
{
    while (in->head) {
        job_t *job = in->head;
        in->head = job->next;
        free(job->description);
        free(job);
    }
    while (in->rooms) {
        jroom_t *r = in->rooms;
        in->rooms = r->next;
        jroom_free(r);
    }
    if (in->easy)
        curl_easy_cleanup(in->easy);
    if (in->multi)
        curl_multi_cleanup(in->multi);
    curl_slist_free_all(in->headers);
    free(in->answer);
    free(in->url);
    free(in->public_url);
    pthread_cond_destroy(&in->wake);
    pthread_mutex_destroy(&in->lock);
}

static void janus_free(janus_t *j)
{
    for (unsigned i = 0; i < j->n; i++)
        instance_dispose(&j->inst[i]);
    free(j->inst);
    free(j->admin_key);
    free(j);
    curl_global_cleanup();
}

static bool instance_init(janus_t *j, instance_t *in)
{
    pthread_mutex_init(&in->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&in->wake, &ca);
    pthread_condattr_destroy(&ca);
    in->j = j;
    in->state = ST_NEW;
    in->next_retry = 0; /* connect at once */
    in->multi = curl_multi_init();
    in->easy = curl_easy_init();
    in->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (!in->multi || !in->easy || !in->headers)
        return false;
    CURL *e = in->easy;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, in->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, in);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, in->curl_error);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    long timeout = (long)j->timeout_ms;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout < CONNECT_TIMEOUT_MS ? timeout : (long)CONNECT_TIMEOUT_MS);
    return true;
}

int janus_start(const janus_options_t *o, janus_t **out, char *err, size_t errlen)
{
    *out = NULL;
    char **urls = NULL, **pub = NULL;
    int n = split_urls(o->urls, &urls, "janus_urls", err, errlen);
    if (n <= 0)
        return n;
    int np = split_urls(o->public_urls, &pub, "janus_public_urls", err, errlen);
    if (np < 0 || (np > 0 && np != n)) {
        if (np > 0)
            snprintf(err, errlen, "janus_public_urls: %d URLs for the %d of janus_urls (same order, one each)", np, n);
        free_urls(urls, n, pub, np);
        return -1;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libsodium or libcurl");
        free_urls(urls, n, pub, np);
        return -1;
    }
    janus_t *j = xcalloc(1, sizeof *j);
    j->n = (unsigned)n;
    j->admin_key = xstrdup(o->admin_key ? o->admin_key : "");
    j->keepalive_ms = o->keepalive_ms ? o->keepalive_ms : DEFAULT_KEEPALIVE_MS;
    j->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    j->inst = xcalloc(j->n, sizeof *j->inst);
    bool ok = true;
    for (unsigned i = 0; i < j->n; i++) {
        instance_t *in = &j->inst[i];
        in->index = i;
        in->url = urls[i];
        in->public_url = np ? pub[i] : xstrdup(urls[i]);
        ok = instance_init(j, in) && ok;
    }
    free(urls);
    free(pub);
    if (!ok) {
        snprintf(err, errlen, "cannot set up libcurl for janus");
        janus_free(j);
        return -1;
    }
    /* The threads take no signal: they are the signal thread's (http/server.h). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < j->n; i++) {
        int rc = pthread_create(&j->inst[i].thread, NULL, instance_main, &j->inst[i]);
        if (rc != 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            snprintf(err, errlen, "cannot start a janus thread: %s", strerror(rc));
            janus_stop(j);
            return -1;
        }
        j->inst[i].started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    LOG_INFO("audio and video on", "janus_instances=%u", j->n);
    *out = j;
    return 0;
}

void janus_stop(janus_t *j)
{
    if (!j)
        return;
    atomic_store(&j->stop, true);
    for (unsigned i = 0; i < j->n; i++) {
        instance_t *in = &j->inst[i];
        pthread_mutex_lock(&in->lock);
        pthread_cond_signal(&in->wake);
        pthread_mutex_unlock(&in->lock);
        curl_multi_wakeup(in->multi);
    }
    for (unsigned i = 0; i < j->n; i++)
        if (j->inst[i].started)
            pthread_join(j->inst[i].thread, NULL);
    janus_free(j);
}

const char *janus_public_url(const janus_t *j, uint64_t room)
{
    return j ? j->inst[room % j->n].public_url : NULL;
}

void janus_get_stats(const janus_t *j, janus_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!j)
        return;
    out->instances = j->n;
    out->up = atomic_load(&j->up);
    out->restarts = atomic_load(&j->restarts);
    out->rooms = atomic_load(&j->rooms);
}

static int enqueue(janus_t *j, job_t *job)
{
    instance_t *in = &j->inst[job->room % j->n];
    pthread_mutex_lock(&in->lock);
    if (in->tail)
        in->tail->next = job;
    else
        in->head = job;
    in->tail = job;
    pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->lock);
    return 0;
}

static job_t *new_job(janus_t *j, job_kind_t kind, uint64_t room, janus_caller_t c, int *status)
{
    *status = JANUS_OK;
    if (!j)
        *status = JANUS_OFF;
    else if (room == 0 || room > JANUS_ROOM_MAX || (c.done && !c.post))
        *status = JANUS_INVALID;
    if (*status)
        return NULL;
    job_t *job = xcalloc(1, sizeof *job);
    job->kind = kind;
    job->room = room;
    job->caller = c;
    return job;
}

int janus_create_room(janus_t *j, const janus_room_spec_t *spec, janus_caller_t c)
{
    int st;
    if (j && ((spec->secret && !janus_token_valid(spec->secret)) || (spec->pin && !janus_token_valid(spec->pin))))
        return JANUS_INVALID;
    job_t *job = new_job(j, JOB_CREATE, spec->room, c, &st);
    if (!job)
        return st;
    job->description = cut_description(spec->description);
    job->publishers = spec->publishers;
    job->bitrate = spec->bitrate;
    copy_text(job->secret, sizeof job->secret, spec->secret);
    copy_text(job->pin, sizeof job->pin, spec->pin);
    return enqueue(j, job);
}

int janus_destroy_room(janus_t *j, uint64_t room, janus_caller_t c)
{
    int st;
    job_t *job = new_job(j, JOB_DESTROY, room, c, &st);
    return job ? enqueue(j, job) : st;
}

static int token_job(janus_t *j, job_kind_t kind, uint64_t room, const char *token, janus_caller_t c)
{
    if (j && !janus_token_valid(token))
        return JANUS_INVALID;
    int st;
    job_t *job = new_job(j, kind, room, c, &st);
    if (!job)
        return st;
    copy_text(job->token, sizeof job->token, token);
    return enqueue(j, job);
}

int janus_add_token(janus_t *j, uint64_t room, const char *token, janus_caller_t c)
{
    return token_job(j, JOB_ADD, room, token, c);
}

int janus_remove_token(janus_t *j, uint64_t room, const char *token, janus_caller_t c)
{
    return token_job(j, JOB_REMOVE, room, token, c);
}

int janus_kick(janus_t *j, uint64_t room, uint64_t id, janus_caller_t c)
{
    int st;
    if (j && (id == 0 || id > JANUS_ROOM_MAX))
        return JANUS_INVALID;
    job_t *job = new_job(j, JOB_KICK, room, c, &st);
    if (!job)
        return st;
    job->id = id;
    return enqueue(j, job);
}
