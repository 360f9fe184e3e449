/* The Janus client's pure parts (requests, answers, tokens, settings) and its
 * behaviour with no Janus or a broken one: every job completes, with a status.
 * Against a real Janus: tests/janus/test_janus_server.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "live/janus.h"

static json_t *parse(char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    free(text);
    assert_non_null(o);
    return o;
}

static const char *str_at(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void requests_are_what_janus_expects(void **state)
{
    (void)state;
    json_t *o = parse(janus_req_plain("create", "t1"));
    assert_string_equal(str_at(o, "janus"), "create");
    assert_string_equal(str_at(o, "transaction"), "t1");
    json_decref(o);

    o = parse(janus_req_attach("t2"));
    assert_string_equal(str_at(o, "janus"), "attach");
    assert_string_equal(str_at(o, "plugin"), "janus.plugin.videoroom");
    json_decref(o);

    janus_room_def_t def = {.room = 1234, .description = "5e B \"maths\"", .secret = "s3", .pin = "p1",
                            .publishers = 3, .bitrate = 256000};
    o = parse(janus_req_create(&def, NULL, 0, NULL, "t3"));
    assert_string_equal(str_at(o, "janus"), "message");
    json_t *b = json_object_get(o, "body");
    assert_string_equal(str_at(b, "request"), "create");
    assert_int_equal(json_integer_value(json_object_get(b, "room")), 1234);
    assert_string_equal(str_at(b, "description"), "5e B \"maths\"");
    assert_string_equal(str_at(b, "secret"), "s3");
    assert_string_equal(str_at(b, "pin"), "p1");
    assert_int_equal(json_integer_value(json_object_get(b, "publishers")), 3);
    assert_int_equal(json_integer_value(json_object_get(b, "bitrate")), 256000);
    assert_true(json_is_true(json_object_get(b, "bitrate_cap")));
    assert_true(json_is_true(json_object_get(b, "is_private")));
    assert_true(json_is_true(json_object_get(b, "require_pvtid")));
    assert_true(json_is_false(json_object_get(b, "permanent")));
    assert_string_equal(str_at(b, "audiocodec"), "opus");
    assert_string_equal(str_at(b, "videocodec"), "vp8");
    /* An empty list still turns the token check on: it must be there. */
    assert_true(json_is_array(json_object_get(b, "allowed")));
    assert_int_equal(json_array_size(json_object_get(b, "allowed")), 0);
    assert_null(json_object_get(b, "admin_key"));
    json_decref(o);

    const char *toks[] = {"tok-a", "tok-b"};
    o = parse(janus_req_create(&def, toks, 2, "ak", "t4"));
    b = json_object_get(o, "body");
    assert_int_equal(json_array_size(json_object_get(b, "allowed")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "allowed"), 1)), "tok-b");
    assert_string_equal(str_at(b, "admin_key"), "ak");
    json_decref(o);

    o = parse(janus_req_allowed(99, "sec", "remove", toks, 1, "t5"));
    b = json_object_get(o, "body");
    assert_string_equal(str_at(b, "request"), "allowed");
    assert_string_equal(str_at(b, "action"), "remove");
    assert_string_equal(str_at(b, "secret"), "sec");
    assert_int_equal(json_integer_value(json_object_get(b, "room")), 99);
    assert_int_equal(json_array_size(json_object_get(b, "allowed")), 1);
    json_decref(o);

    o = parse(janus_req_kick(99, "sec", 77, "t6"));
    b = json_object_get(o, "body");
    assert_string_equal(str_at(b, "request"), "kick");
    assert_int_equal(json_integer_value(json_object_get(b, "id")), 77);
    json_decref(o);

    o = parse(janus_req_edit(&def, "t8"));
    b = json_object_get(o, "body");
    assert_string_equal(str_at(b, "request"), "edit");
    assert_string_equal(str_at(b, "secret"), "s3");
    assert_string_equal(str_at(b, "new_pin"), "p1");
    assert_int_equal(json_integer_value(json_object_get(b, "new_publishers")), 3);
    assert_true(json_is_true(json_object_get(b, "new_is_private")));
    json_decref(o);

    o = parse(janus_req_destroy(99, "sec", "t7"));
    b = json_object_get(o, "body");
    assert_string_equal(str_at(b, "request"), "destroy");
    assert_string_equal(str_at(b, "secret"), "sec");
    json_decref(o);
}

static void answer(const char *text, const char *tx, const char *expect, const char *vr, janus_answer_t *a)
{
    janus_parse_answer(text, text ? strlen(text) : 0, tx, expect, vr, a);
}

static void answers_are_understood(void **state)
{
    (void)state;
    janus_answer_t a;
    answer("{\"janus\":\"success\",\"transaction\":\"t\",\"data\":{\"id\":4242}}", "t", "success", NULL, &a);
    assert_int_equal(a.status, JANUS_OK);
    assert_int_equal(a.id, 4242);
    janus_answer_dispose(&a);

    answer("{\"janus\":\"ack\",\"session_id\":1,\"transaction\":\"k\"}", "k", "ack", NULL, &a);
    assert_int_equal(a.status, JANUS_OK);
    janus_answer_dispose(&a);

    answer("{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\","
           "\"data\":{\"videoroom\":\"created\",\"room\":5,\"permanent\":false}}}",
           "t", "success", "created", &a);
    assert_int_equal(a.status, JANUS_OK);
    janus_answer_dispose(&a);

    answer("{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"data\":{\"videoroom\":\"success\","
           "\"room\":5,\"allowed\":[\"a\",\"b\",7]}}}",
           "t", "success", "success", &a);
    assert_int_equal(a.status, JANUS_OK);
    assert_int_equal(a.ntokens, 2);
    assert_string_equal(a.tokens[0], "a");
    assert_string_equal(a.tokens[1], "b");
    janus_answer_dispose(&a);
    assert_null(a.tokens);
}

static void error_answers_carry_their_code(void **state)
{
    (void)state;
    janus_answer_t a;
    /* Janus itself: the session is gone (it restarted) */
    answer("{\"janus\":\"error\",\"transaction\":\"t\",\"error\":{\"code\":458,\"reason\":\"No such session 12\"}}", "t",
           "ack", NULL, &a);
    assert_int_equal(a.status, JANUS_REFUSED);
    assert_int_equal(a.code, 458);
    assert_true(a.session_gone);
    assert_string_equal(a.message, "No such session 12");
    janus_answer_dispose(&a);

    answer("{\"janus\":\"error\",\"transaction\":\"t\",\"error\":{\"code\":459,\"reason\":\"No such handle\"}}", "t",
           "success", "success", &a);
    assert_true(a.session_gone);
    janus_answer_dispose(&a);

    answer("{\"janus\":\"error\",\"transaction\":\"t\",\"error\":{\"code\":403,\"reason\":\"Unauthorized\"}}", "t",
           "success", NULL, &a);
    assert_int_equal(a.status, JANUS_REFUSED);
    assert_false(a.session_gone);
    janus_answer_dispose(&a);

    /* the plugin's */
    answer("{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\","
           "\"data\":{\"videoroom\":\"event\",\"error_code\":427,\"error\":\"Room 5 already exists\"}}}",
           "t", "success", "created", &a);
    assert_int_equal(a.status, JANUS_REFUSED);
    assert_int_equal(a.code, 427);
    assert_string_equal(a.message, "Room 5 already exists");
    janus_answer_dispose(&a);
}

static void malformed_answers_are_bad_answers(void **state)
{
    (void)state;
    const char *bad[] = {
        NULL,
        "",
        "<html>502 Bad Gateway</html>",
        "{\"janus\":\"success\",\"transaction\":",
        "[1,2]",
        "\"success\"",
        "{\"transaction\":\"t\"}",
        "{\"janus\":7,\"transaction\":\"t\"}",
        "{\"janus\":\"success\"}",                          /* no transaction */
        "{\"janus\":\"success\",\"transaction\":\"other\"}", /* someone else's */
        "{\"janus\":\"event\",\"transaction\":\"t\"}",      /* not what was expected */
        "{\"janus\":\"error\",\"transaction\":\"t\",\"error\":{\"reason\":\"no code\"}}",
        "{\"janus\":\"error\",\"transaction\":\"t\",\"error\":\"flat\"}",
        "{\"janus\":\"success\",\"transaction\":\"t\"}",                                  /* no plugin data */
        "{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"data\":[]}}",     /* not an object */
        "{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"data\":{}}}",     /* no videoroom */
        "{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"data\":{\"videoroom\":\"destroyed\"}}}",
        "{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"data\":{\"videoroom\":\"success\","
        "\"allowed\":\"a\"}}}",
        "{\"janus\":\"success\",\"transaction\":\"t\",\"plugindata\":{\"data\":{\"videoroom\":\"event\","
        "\"error_code\":\"427\"}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        janus_answer_t a;
        answer(bad[i], "t", "success", "success", &a);
        if (a.status != JANUS_BAD_ANSWER)
            fail_msg("answer %zu (%s): status %d", i, bad[i] ? bad[i] : "NULL", a.status);
        assert_true(a.message[0] != '\0');
        janus_answer_dispose(&a);
    }
    /* length is honoured: no reading past it */
    janus_answer_t a;
    const char *text = "{\"janus\":\"ack\",\"transaction\":\"t\"}garbage";
    janus_parse_answer(text, strlen(text) - 7, "t", "ack", NULL, &a);
    assert_int_equal(a.status, JANUS_OK);
}

static void tokens(void **state)
{
    (void)state;
    char t[JANUS_TOKEN_LEN + 1], u[JANUS_TOKEN_LEN + 1];
    janus_token_new(t);
    janus_token_new(u);
    assert_int_equal(strlen(t), JANUS_TOKEN_LEN);
    assert_true(janus_token_valid(t));
    assert_string_not_equal(t, u);
    assert_true(janus_token_valid("a"));
    assert_true(janus_token_valid("A-z_09"));
    assert_false(janus_token_valid(NULL));
    assert_false(janus_token_valid(""));
    assert_false(janus_token_valid("a b"));
    assert_false(janus_token_valid("a\"b"));
    assert_false(janus_token_valid("é"));
    char longest[JANUS_TOKEN_MAX + 2];
    memset(longest, 'x', sizeof longest);
    longest[JANUS_TOKEN_MAX] = '\0';
    assert_true(janus_token_valid(longest));
    longest[JANUS_TOKEN_MAX] = 'x';
    longest[JANUS_TOKEN_MAX + 1] = '\0';
    assert_false(janus_token_valid(longest));
}

static int validate(const char *urls, const char *pub)
{
    config_t cfg;
    config_init_defaults(&cfg);
    char err[256] = "";
    int rc = config_set(&cfg, "janus_urls", urls, "test", err, sizeof err);
    if (rc == 0)
        rc = config_set(&cfg, "janus_public_urls", pub, "test", err, sizeof err);
    if (rc == 0)
        rc = config_validate(&cfg, err, sizeof err);
    config_dispose(&cfg);
    return rc;
}

static void settings(void **state)
{
    (void)state;
    config_t cfg;
    config_init_defaults(&cfg);
    assert_string_equal(cfg.janus_urls, ""); /* no audio/video unless asked */
    assert_string_equal(cfg.janus_public_urls, "");
    assert_string_equal(cfg.janus_admin_key, "");
    janus_options_t o;
    janus_options_from_config(&cfg, &o);
    janus_t *j = (janus_t *)&o; /* anything not NULL: it must be set to NULL */
    char err[256];
    assert_int_equal(janus_start(&o, &j, err, sizeof err), 0);
    assert_null(j);
    config_dispose(&cfg);

    assert_int_equal(validate("", ""), 0);
    assert_int_equal(validate("http://127.0.0.1:8088/janus", ""), 0);
    assert_int_equal(validate("http://a:8088/janus, http://b:8088/janus", "https://m1.example/janus,https://m2.example/janus"), 0);
    assert_int_equal(validate("ftp://a/janus", ""), -1);
    assert_int_equal(validate("127.0.0.1:8088", ""), -1);
    assert_int_equal(validate("http://a/janus,http://b/janus", "https://m1.example/janus"), -1);
    assert_int_equal(validate("http://a/janus", "wss://m1.example/janus"), -1);
}

static void start_refuses_bad_lists(void **state)
{
    (void)state;
    janus_t *j = NULL;
    char err[256] = "";
    janus_options_t o = {.urls = "http://127.0.0.1:1/janus,nope"};
    assert_int_equal(janus_start(&o, &j, err, sizeof err), -1);
    assert_null(j);
    assert_non_null(strstr(err, "janus_urls"));
    o = (janus_options_t){.urls = "http://127.0.0.1:1/janus", .public_urls = "https://a/janus,https://b/janus"};
    assert_int_equal(janus_start(&o, &j, err, sizeof err), -1);
    assert_non_null(strstr(err, "janus_public_urls"));
}

/* ---- completions handed to "the caller's thread": here, the test's */

typedef struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    janus_reply_t *replies[64];
    int n;
} inbox_t;

static void inbox_post(void *target, janus_reply_t *reply)
{
    inbox_t *ib = target;
    pthread_mutex_lock(&ib->lock);
    if (ib->n < 64)
        ib->replies[ib->n++] = reply;
    pthread_cond_signal(&ib->cond);
    pthread_mutex_unlock(&ib->lock);
}

static void copy_result(const janus_result_t *r, void *ud)
{
    *(janus_result_t *)ud = *r;
}

/* Waits for the next completion and runs it here. */
static void next_result(inbox_t *ib, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ib->lock);
    while (ib->n == 0)
        if (pthread_cond_timedwait(&ib->cond, &ib->lock, &ts) != 0)
            break;
    janus_reply_t *reply = NULL;
    if (ib->n) {
        reply = ib->replies[0];
        memmove(ib->replies, ib->replies + 1, (size_t)(ib->n - 1) * sizeof ib->replies[0]);
        ib->n--;
    }
    pthread_mutex_unlock(&ib->lock);
    if (reply)
        janus_reply_run(reply);
}

static inbox_t inbox = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};
static janus_result_t last;

static janus_caller_t caller(void)
{
    return (janus_caller_t){.post = inbox_post, .target = &inbox, .done = copy_result, .ud = &last};
}

static int wait_status(void)
{
    last.status = -100;
    next_result(&inbox, 5000);
    return last.status;
}

static void no_janus_configured_means_off(void **state)
{
    (void)state;
    janus_room_spec_t spec = {.room = 1};
    assert_int_equal(janus_create_room(NULL, &spec, caller()), JANUS_OFF);
    assert_int_equal(janus_add_token(NULL, 1, "t", caller()), JANUS_OFF);
    assert_int_equal(janus_remove_token(NULL, 1, "t", caller()), JANUS_OFF);
    assert_int_equal(janus_kick(NULL, 1, 2, caller()), JANUS_OFF);
    assert_int_equal(janus_destroy_room(NULL, 1, caller()), JANUS_OFF);
    assert_null(janus_public_url(NULL, 1));
    janus_stop(NULL);
}

static void unreachable_janus_fails_every_job(void **state)
{
    (void)state;
    /* Nothing listens on port 1: connections are refused at once. */
    janus_options_t o = {.urls = "http://127.0.0.1:1/janus/, http://127.0.0.1:1/other",
                         .public_urls = "https://media.example/janus,https://media2.example/janus",
                         .keepalive_ms = 200,
                         .timeout_ms = 1000};
    janus_t *j = NULL;
    char err[256];
    assert_int_equal(janus_start(&o, &j, err, sizeof err), 0);
    assert_non_null(j);
    assert_string_equal(janus_public_url(j, 4), "https://media.example/janus");
    assert_string_equal(janus_public_url(j, 5), "https://media2.example/janus");

    janus_room_spec_t spec = {.room = 4, .description = "x"};
    assert_int_equal(janus_create_room(j, &spec, caller()), 0);
    assert_int_equal(wait_status(), JANUS_UNAVAILABLE);
    assert_non_null(strstr(last.message, "cannot be reached"));
    /* a failed create is not remembered */
    assert_int_equal(janus_add_token(j, 4, "tok", caller()), 0);
    assert_int_equal(wait_status(), JANUS_NO_ROOM);
    assert_int_equal(janus_kick(j, 4, 9, caller()), 0);
    assert_int_equal(wait_status(), JANUS_NO_ROOM);
    assert_int_equal(janus_destroy_room(j, 4, caller()), 0);
    assert_int_equal(wait_status(), JANUS_NO_ROOM);

    /* refused before queueing, with no completion */
    spec.room = 0;
    assert_int_equal(janus_create_room(j, &spec, caller()), JANUS_INVALID);
    spec.room = JANUS_ROOM_MAX + 1;
    assert_int_equal(janus_create_room(j, &spec, caller()), JANUS_INVALID);
    spec = (janus_room_spec_t){.room = 4, .pin = "bad pin"};
    assert_int_equal(janus_create_room(j, &spec, caller()), JANUS_INVALID);
    assert_int_equal(janus_add_token(j, 4, "has space", caller()), JANUS_INVALID);
    assert_int_equal(janus_remove_token(j, 4, "", caller()), JANUS_INVALID);
    assert_int_equal(janus_kick(j, 4, 0, caller()), JANUS_INVALID);
    janus_caller_t no_post = caller();
    no_post.post = NULL;
    assert_int_equal(janus_destroy_room(j, 4, no_post), JANUS_INVALID);
    /* no completion wanted */
    janus_caller_t quiet = {0};
    assert_int_equal(janus_destroy_room(j, 4, quiet), 0);

    janus_stats_t st;
    janus_get_stats(j, &st);
    assert_int_equal(st.instances, 2);
    assert_int_equal(st.up, 0);
    assert_int_equal(st.rooms, 0);
    janus_stop(j);
    pthread_mutex_lock(&inbox.lock);
    assert_int_equal(inbox.n, 0);
    pthread_mutex_unlock(&inbox.lock);
}

/* A server that answers every request with `fake_answer`, then closes. */
static const char *fake_answer;
static int fake_fd;

static void *fake_server(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(fake_fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[4096];
        ssize_t got = recv(c, buf, sizeof buf, 0);
        (void)got;
        char head[256];
        int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n", strlen(fake_answer));
        ssize_t w = send(c, head, (size_t)n, MSG_NOSIGNAL);
        w = send(c, fake_answer, strlen(fake_answer), MSG_NOSIGNAL);
        (void)w;
        close(c);
    }
}

static void a_broken_janus_fails_jobs_cleanly(void **state)
{
    (void)state;
    fake_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fake_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fake_fd, (struct sockaddr *)&sa, &len);
    assert_int_equal(listen(fake_fd, 16), 0);
    pthread_t t;
    fake_answer = "{\"janus\":\"success\",\"transaction\": tr";
    pthread_create(&t, NULL, fake_server, NULL);

    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/janus", ntohs(sa.sin_port));
    janus_options_t o = {.urls = url, .keepalive_ms = 200, .timeout_ms = 1000};
    janus_t *j = NULL;
    char err[256];
    assert_int_equal(janus_start(&o, &j, err, sizeof err), 0);
    janus_room_spec_t spec = {.room = 8};
    assert_int_equal(janus_create_room(j, &spec, caller()), 0);
    assert_int_equal(wait_status(), JANUS_UNAVAILABLE);
    assert_non_null(strstr(last.message, "not a JSON object"));
    janus_stop(j);
    shutdown(fake_fd, SHUT_RDWR);
    close(fake_fd);
    pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_are_what_janus_expects),
        cmocka_unit_test(answers_are_understood),
        cmocka_unit_test(error_answers_carry_their_code),
        cmocka_unit_test(malformed_answers_are_bad_answers),
        cmocka_unit_test(tokens),
        cmocka_unit_test(settings),
        cmocka_unit_test(start_refuses_bad_lists),
        cmocka_unit_test(no_janus_configured_means_off),
        cmocka_unit_test(unreachable_janus_fails_every_job),
        cmocka_unit_test(a_broken_janus_fails_jobs_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
