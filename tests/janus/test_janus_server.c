/* The Janus client against a real Janus (Debian's janus, started here on
 * 127.0.0.1 with a config of its own: the HTTP transport and the VideoRoom
 * plugin only, its own admin secret and admin key): a room is made, a token
 * added; Janus's own API shows pin, secret and token in force; Janus is killed
 * and started again (twice: once slowly, the client seeing it down, once fast,
 * the client seeing its session gone) and the room comes back as it was.
 * No media: ICE does not work on loopback (notes on Janus), the API does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "live/janus.h"

#define ADMIN_KEY "test-admin-key-7f3a"
#define ROOM 4242u
#define SECRET "room-secret-given"

static char dir[256];
static char api[128];
static unsigned short port;
static pid_t janus_pid;

/* ---------------------------------------------------------------- Janus itself */

static void write_file(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void write_file(const char *name, const char *fmt, ...)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

static unsigned short free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Only what the test needs is loaded: folders of links to one plugin and one transport. */
static void write_config(void)
{
    char path[512], target[512];
    const char *links[][3] = {{"plugins", JANUS_PLUGIN_DIR, "libjanus_videoroom.so"},
                              {"transports", JANUS_TRANSPORT_DIR, "libjanus_http.so"}};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, links[i][0]);
        mkdir(path, 0700);
        snprintf(path, sizeof path, "%s/%s/%s", dir, links[i][0], links[i][2]);
        snprintf(target, sizeof target, "%s/%s", links[i][1], links[i][2]);
        assert_int_equal(symlink(target, path), 0);
    }
    snprintf(path, sizeof path, "%s/none", dir);
    mkdir(path, 0700);
    char secret[JANUS_TOKEN_LEN + 1];
    janus_token_new(secret);
    write_file("janus.jcfg",
               "general: {\n"
               "  configs_folder = \"%s\"\n  plugins_folder = \"%s/plugins\"\n"
               "  transports_folder = \"%s/transports\"\n  events_folder = \"%s/none\"\n"
               "  loggers_folder = \"%s/none\"\n  debug_level = 4\n  admin_secret = \"%s\"\n"
               "  server_name = \"cartable-test\"\n}\n"
               "certificates: {}\nmedia: {}\nnat: { ignore_mdns = true }\n"
               "plugins: {}\ntransports: {}\nloggers: {}\nevents: { broadcast = false }\n",
               dir, dir, dir, dir, dir, secret);
    write_file("janus.transport.http.jcfg",
               "general: { json = \"plain\" base_path = \"/janus\" http = true ip = \"127.0.0.1\" port = %u https = false }\n"
               "admin: { admin_http = false admin_ip = \"127.0.0.1\" }\ncors: {}\n",
               port);
    write_file("janus.plugin.videoroom.jcfg", "general: { admin_key = \"%s\" }\n", ADMIN_KEY);
}

static long http(const char *method, const char *url, const char *body, char **answer);

static void start_janus(void)
{
    char cfg[512], log[512];
    snprintf(cfg, sizeof cfg, "%s/janus.jcfg", dir);
    snprintf(log, sizeof log, "%s/janus.log", dir);
    janus_pid = fork();
    assert_true(janus_pid >= 0);
    if (janus_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execl(JANUS_BIN, "janus", "-F", dir, "-C", cfg, "-L", log, "-N", (char *)NULL);
        _exit(127);
    }
    /* ready when its API answers */
    for (int i = 0; i < 100; i++) {
        char *a = NULL;
        char url[200];
        snprintf(url, sizeof url, "%s/info", api);
        long code = http("GET", url, NULL, &a);
        free(a);
        if (code == 200)
            return;
        int st;
        if (waitpid(janus_pid, &st, WNOHANG) == janus_pid)
            fail_msg("janus exited at start; see %s", log);
        usleep(50 * 1000);
    }
    fail_msg("janus did not answer within 5 s; see %s", log);
}

static void kill_janus(void)
{
    if (janus_pid > 0) {
        kill(janus_pid, SIGKILL);
        waitpid(janus_pid, NULL, 0);
    }
    janus_pid = 0;
}

/* ---------------------------------------------------------------- raw API, as a browser would use it */

typedef struct sink {
    char *p;
    size_t n;
} sink_t;

static size_t on_data(char *d, size_t s, size_t n, void *ud)
{
    sink_t *k = ud;
    char *p = realloc(k->p, k->n + s * n + 1);
    if (!p)
        return 0;
    memcpy(p + k->n, d, s * n);
    k->p = p;
    k->n += s * n;
    k->p[k->n] = '\0';
    return s * n;
}

static long http(const char *method, const char *url, const char *body, char **answer)
{
    CURL *e = curl_easy_init();
    sink_t k = {0};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    long code = 0;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(e);
    *answer = k.p;
    return code;
}

static json_t *call(const char *path, json_t *req)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", api, path);
    if (!json_object_get(req, "transaction"))
        json_object_set_new(req, "transaction", json_string("test"));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *a = NULL;
    long code = http("POST", url, body, &a);
    free(body);
    assert_int_equal(code, 200);
    json_t *o = json_loads(a, 0, NULL);
    free(a);
    assert_non_null(o);
    return o;
}

static uint64_t session, handle;

static uint64_t new_handle(void)
{
    char path[64];
    snprintf(path, sizeof path, "/%llu", (unsigned long long)session);
    json_t *o = call(path, json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"));
    uint64_t h = (uint64_t)json_integer_value(json_object_get(json_object_get(o, "data"), "id"));
    json_decref(o);
    assert_true(h > 0);
    return h;
}

static void open_session(void)
{
    json_t *o = call("", json_pack("{s:s}", "janus", "create"));
    session = (uint64_t)json_integer_value(json_object_get(json_object_get(o, "data"), "id"));
    json_decref(o);
    assert_true(session > 0);
    handle = new_handle();
}

/* A synchronous VideoRoom request: its plugin data (caller decrefs the root, returned in *root). */
static json_t *videoroom(json_t *body, json_t **root)
{
    char path[64];
    snprintf(path, sizeof path, "/%llu/%llu", (unsigned long long)session, (unsigned long long)handle);
    *root = call(path, json_pack("{s:s, s:o}", "janus", "message", "body", body));
    return json_object_get(json_object_get(*root, "plugindata"), "data");
}

/* Our room as Janus lists it (with the admin key: it is private), or NULL. */
static json_t *listed(json_t **root, bool with_key)
{
    json_t *d = with_key ? videoroom(json_pack("{s:s, s:s}", "request", "list", "admin_key", ADMIN_KEY), root)
                         : videoroom(json_pack("{s:s}", "request", "list"), root);
    json_t *list = json_object_get(d, "list");
    assert_true(json_is_array(list));
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
        if (json_integer_value(json_object_get(r, "room")) == ROOM)
            return r;
    return NULL;
}

/* The room's tokens, through `allowed` with the secret (an empty add lists them). */
static int tokens_on_janus(const char *secret, char *out, size_t outlen)
{
    json_t *root;
    json_t *d = videoroom(json_pack("{s:s, s:I, s:s, s:s, s:[]}", "request", "allowed", "room", (json_int_t)ROOM, "secret",
                                    secret, "action", "add", "allowed"),
                          &root);
    int code = (int)json_integer_value(json_object_get(d, "error_code"));
    out[0] = '\0';
    if (!code) {
        /* sorted, comma-separated */
        json_t *a = json_object_get(d, "allowed");
        char *items[16];
        size_t n = 0, i;
        json_t *t;
        json_array_foreach(a, i, t)
            if (n < 16)
                items[n++] = (char *)json_string_value(t);
        for (size_t x = 0; x < n; x++)
            for (size_t y = x + 1; y < n; y++)
                if (strcmp(items[y], items[x]) < 0) {
                    char *tmp = items[x];
                    items[x] = items[y];
                    items[y] = tmp;
                }
        for (size_t x = 0; x < n; x++)
            snprintf(out + strlen(out), outlen - strlen(out), "%s%s", x ? "," : "", items[x]);
    }
    json_decref(root);
    return code;
}

/* A publisher joining (no media): 0 when in, else the VideoRoom's error code. */
static int join(const char *pin, const char *token, uint64_t id)
{
    uint64_t h = new_handle();
    json_t *body = json_pack("{s:s, s:s, s:I, s:s}", "request", "join", "ptype", "publisher", "room", (json_int_t)ROOM,
                             "display", "test");
    if (pin)
        json_object_set_new(body, "pin", json_string(pin));
    if (token)
        json_object_set_new(body, "token", json_string(token));
    if (id)
        json_object_set_new(body, "id", json_integer((json_int_t)id));
    char path[64];
    snprintf(path, sizeof path, "/%llu/%llu", (unsigned long long)session, (unsigned long long)h);
    json_t *o = call(path, json_pack("{s:s, s:s, s:o}", "janus", "message", "transaction", "join", "body", body));
    assert_string_equal(json_string_value(json_object_get(o, "janus")), "ack");
    json_decref(o);
    /* its answer comes as an event */
    char url[200];
    snprintf(url, sizeof url, "%s/%llu?maxev=1", api, (unsigned long long)session);
    for (;;) {
        char *a = NULL;
        assert_int_equal(http("GET", url, NULL, &a), 200);
        json_t *ev = json_loads(a, 0, NULL);
        free(a);
        assert_non_null(ev);
        json_t *d = json_object_get(json_object_get(ev, "plugindata"), "data");
        const char *tx = json_string_value(json_object_get(ev, "transaction"));
        if (d && tx && strcmp(tx, "join") == 0) {
            int code = (int)json_integer_value(json_object_get(d, "error_code"));
            bool joined = !code && strcmp(json_string_value(json_object_get(d, "videoroom")), "joined") == 0;
            json_decref(ev);
            assert_true(code || joined);
            return code;
        }
        json_decref(ev);
    }
}

/* ---------------------------------------------------------------- the client */

typedef struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    janus_reply_t *reply;
} inbox_t;

static inbox_t inbox = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};
static janus_result_t last;

static void inbox_post(void *target, janus_reply_t *reply)
{
    inbox_t *ib = target;
    pthread_mutex_lock(&ib->lock);
    assert_null(ib->reply); /* one job at a time here */
    ib->reply = reply;
    pthread_cond_signal(&ib->cond);
    pthread_mutex_unlock(&ib->lock);
}

static void copy_result(const janus_result_t *r, void *ud)
{
    *(janus_result_t *)ud = *r;
}

static janus_caller_t caller(void)
{
    return (janus_caller_t){.post = inbox_post, .target = &inbox, .done = copy_result, .ud = &last};
}

/* Runs the job's completion here, on "the caller's thread". */
static int wait_status(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 15;
    pthread_mutex_lock(&inbox.lock);
    while (!inbox.reply)
        if (pthread_cond_timedwait(&inbox.cond, &inbox.lock, &ts) != 0)
            fail_msg("no completion within 15 s");
    janus_reply_t *r = inbox.reply;
    inbox.reply = NULL;
    pthread_mutex_unlock(&inbox.lock);
    last.status = -100;
    janus_reply_run(r);
    return last.status;
}

static void wait_stats(janus_t *j, unsigned up, uint64_t restarts)
{
    for (int i = 0; i < 300; i++) {
        janus_stats_t st;
        janus_get_stats(j, &st);
        if (st.up == up && st.restarts >= restarts)
            return;
        usleep(50 * 1000);
    }
    janus_stats_t st;
    janus_get_stats(j, &st);
    fail_msg("waited 15 s for up=%u restarts>=%llu; have up=%u restarts=%llu", up, (unsigned long long)restarts, st.up,
             (unsigned long long)st.restarts);
}

/* Everything the room must be, checked through Janus's own API. */
static void room_is_in_force(const char *pin, const char *want_tokens)
{
    open_session();
    json_t *root;
    json_t *r = listed(&root, true);
    assert_non_null(r);
    assert_true(json_is_true(json_object_get(r, "pin_required")));
    assert_true(json_is_true(json_object_get(r, "is_private")));
    assert_int_equal(json_integer_value(json_object_get(r, "max_publishers")), 4);
    assert_int_equal(json_integer_value(json_object_get(r, "bitrate")), 300000);
    assert_string_equal(json_string_value(json_object_get(r, "audiocodec")), "opus");
    assert_string_equal(json_string_value(json_object_get(r, "videocodec")), "vp8");
    assert_string_equal(json_string_value(json_object_get(r, "description")), "5e B, mathématiques");
    json_decref(root);
    assert_null(listed(&root, false)); /* private: not listed without the admin key */
    json_decref(root);

    char toks[512];
    assert_int_equal(tokens_on_janus("wrong-secret", toks, sizeof toks), 433);
    assert_int_equal(tokens_on_janus(SECRET, toks, sizeof toks), 0);
    assert_string_equal(toks, want_tokens);

    assert_int_equal(join(NULL, "tok-a", 0), 429);    /* pin missing */
    assert_int_equal(join("wrong", "tok-a", 0), 433); /* pin wrong */
    assert_int_equal(join(pin, NULL, 0), 433);        /* no token */
    assert_int_equal(join(pin, "tok-z", 0), 433);     /* a token never given */
    assert_int_equal(join(pin, "tok-a", 0), 0);
}

static void rooms_survive_janus_restarts(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/cartable-janus-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    port = free_port();
    snprintf(api, sizeof api, "http://127.0.0.1:%u/janus", port);
    write_config();
    start_janus();

    janus_options_t o = {.urls = api, .admin_key = ADMIN_KEY, .keepalive_ms = 300, .timeout_ms = 3000};
    janus_t *j = NULL;
    char err[256];
    assert_int_equal(janus_start(&o, &j, err, sizeof err), 0);
    janus_room_spec_t spec = {.room = ROOM, .description = "5e B, mathématiques", .publishers = 4, .bitrate = 300000,
                              .secret = SECRET};
    assert_int_equal(janus_create_room(j, &spec, caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    char pin[sizeof last.pin];
    strcpy(pin, last.pin);
    assert_int_equal(strlen(pin), JANUS_PIN_LEN);
    /* again: the same room, the same pin */
    assert_int_equal(janus_create_room(j, &spec, caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    assert_string_equal(last.pin, pin);

    assert_int_equal(janus_add_token(j, ROOM, "tok-a", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    assert_int_equal(janus_add_token(j, ROOM, "tok-b", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    assert_int_equal(janus_remove_token(j, ROOM, "tok-b", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    room_is_in_force(pin, "tok-a");

    /* kick: participant 77 is in, then out */
    assert_int_equal(janus_add_token(j, ROOM, "tok-k", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    assert_int_equal(join(pin, "tok-k", 77), 0);
    assert_int_equal(janus_kick(j, ROOM, 77, caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    assert_int_equal(janus_kick(j, ROOM, 77, caller()), 0);
    assert_int_equal(wait_status(), JANUS_REFUSED);
    assert_int_equal(last.code, 428); /* no such participant: gone */
    assert_int_equal(janus_remove_token(j, ROOM, "tok-k", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);

    /* 1. Janus dies and stays down a while: the client sees it unreachable */
    kill_janus();
    wait_stats(j, 0, 0);
    assert_int_equal(janus_add_token(j, ROOM, "tok-c", caller()), 0);
    assert_int_equal(wait_status(), JANUS_UNAVAILABLE); /* and not remembered */
    assert_int_equal(janus_remove_token(j, ROOM, "tok-a", caller()), 0);
    assert_int_equal(wait_status(), JANUS_UNAVAILABLE); /* but this is */
    assert_int_equal(janus_add_token(j, ROOM, "tok-a", caller()), 0);
    assert_int_equal(wait_status(), JANUS_UNAVAILABLE);
    start_janus();
    wait_stats(j, 1, 1);
    char toks[512];
    open_session();
    assert_int_equal(tokens_on_janus(SECRET, toks, sizeof toks), 0);
    assert_string_equal(toks, ""); /* removed while down; the add failed */
    assert_int_equal(janus_add_token(j, ROOM, "tok-a", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    room_is_in_force(pin, "tok-a");

    /* 2. Janus restarts between two keepalives: the client finds its session gone */
    kill_janus();
    start_janus();
    wait_stats(j, 1, 2);
    room_is_in_force(pin, "tok-a");

    /* 3. A job right after a restart the client has not seen yet */
    kill_janus();
    start_janus();
    assert_int_equal(janus_add_token(j, ROOM, "tok-d", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    open_session();
    assert_int_equal(tokens_on_janus(SECRET, toks, sizeof toks), 0);
    assert_string_equal(toks, "tok-a,tok-d");

    /* 4. Cartable restarts, Janus does not: the room is taken back with its
     * secret, set to the new pin, its tokens to the new process's */
    janus_stop(j);
    assert_int_equal(janus_start(&o, &j, err, sizeof err), 0);
    assert_int_equal(janus_create_room(j, &spec, caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    assert_string_not_equal(last.pin, pin);
    strcpy(pin, last.pin);
    assert_int_equal(janus_add_token(j, ROOM, "tok-a", caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    room_is_in_force(pin, "tok-a");
    /* someone else's secret does not take it */
    janus_room_spec_t thief = spec;
    thief.secret = "not-the-secret";
    janus_t *other = NULL;
    assert_int_equal(janus_start(&o, &other, err, sizeof err), 0);
    assert_int_equal(janus_create_room(other, &thief, caller()), 0);
    assert_int_equal(wait_status(), JANUS_REFUSED);
    assert_int_equal(last.code, 433);
    janus_stop(other);
    room_is_in_force(pin, "tok-a");

    /* destroy */
    assert_int_equal(janus_destroy_room(j, ROOM, caller()), 0);
    assert_int_equal(wait_status(), JANUS_OK);
    json_t *root;
    assert_null(listed(&root, true));
    json_decref(root);
    assert_int_equal(janus_destroy_room(j, ROOM, caller()), 0);
    assert_int_equal(wait_status(), JANUS_NO_ROOM);

    janus_stop(j);
    kill_janus();
}

static int teardown(void **state)
{
    (void)state;
    kill_janus();
    if (dir[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(rooms_survive_janus_restarts, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
