/* The live channel's pieces without I/O: Origin checks, client messages, the
 * badge message, the rate limit, its settings, and the store counter its change
 * detection reads. The channel itself is tested over HTTP (tests/http/live.test.mjs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "http/websocket.h"
#include "live/updates.h"
#include "store/store.h"

static void origin_same_host_only(void **state)
{
    (void)state;
    str_t host = STR("127.0.0.1:8080");
    assert_true(ws_origin_allowed(STR_NULL, host)); /* not a browser */
    assert_true(ws_origin_allowed(STR("http://127.0.0.1:8080"), host));
    assert_true(ws_origin_allowed(STR("HTTP://127.0.0.1:8080"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:8081"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1"), host));
    assert_false(ws_origin_allowed(STR("http://evil.example"), host));
    assert_false(ws_origin_allowed(STR("null"), host));
    assert_false(ws_origin_allowed(STR(""), host));
    assert_false(ws_origin_allowed(STR("http://"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:8080/"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:8080.evil.example"), host));
    assert_false(ws_origin_allowed(STR("http://user@127.0.0.1:8080"), host));
    assert_false(ws_origin_allowed(STR("ws://127.0.0.1:8080"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:99999"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:"), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:8080"), STR_NULL));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1:8080"), STR("")));
    /* Default ports: a proxy in front passes "ent.example" as Host. */
    assert_true(ws_origin_allowed(STR("https://ent.example"), STR("ent.example")));
    assert_true(ws_origin_allowed(STR("https://ENT.example"), STR("ent.EXAMPLE:443")));
    assert_true(ws_origin_allowed(STR("http://ent.example"), STR("ent.example:80")));
    assert_false(ws_origin_allowed(STR("https://ent.example"), STR("ent.example:80")));
    assert_false(ws_origin_allowed(STR("https://ent.example.evil"), STR("ent.example")));
    /* IPv6 */
    assert_true(ws_origin_allowed(STR("http://[::1]:8080"), STR("[::1]:8080")));
    assert_false(ws_origin_allowed(STR("http://[::1]:8080"), STR("[::2]:8080")));
    assert_false(ws_origin_allowed(STR("http://[::1:8080"), STR("[::1]:8080")));
    assert_false(ws_origin_allowed(STR("http://[::1]x"), STR("[::1]")));
    /* A NUL or a space inside is malformed. */
    assert_false(ws_origin_allowed(str_make("http://127.0.0.1\0:8080", 21), host));
    assert_false(ws_origin_allowed(STR("http://127.0.0.1 :8080"), host));
}

static void client_messages(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        live_message_t want;
    } cases[] = {
        {"{\"type\":\"ping\"}", LIVE_MSG_PING},
        {" {\"type\" : \"ping\", \"id\": 3} ", LIVE_MSG_PING},
        {"{\"type\":\"pong\"}", LIVE_MSG_UNKNOWN_TYPE},
        {"{\"type\":\"PING\"}", LIVE_MSG_UNKNOWN_TYPE},
        {"{\"type\":\"ping\\u0000x\"}", LIVE_MSG_BAD_JSON}, /* jansson refuses \u0000 */
        {"{\"type\":1}", LIVE_MSG_BAD_MESSAGE},
        {"{\"type\":null}", LIVE_MSG_BAD_MESSAGE},
        {"{}", LIVE_MSG_BAD_MESSAGE},
        {"[\"ping\"]", LIVE_MSG_BAD_MESSAGE},
        {"\"ping\"", LIVE_MSG_BAD_MESSAGE},
        {"42", LIVE_MSG_BAD_MESSAGE},
        {"", LIVE_MSG_BAD_JSON},
        {"{", LIVE_MSG_BAD_JSON},
        {"{\"type\":\"ping\"} x", LIVE_MSG_BAD_JSON},
        {"{\"type\":\"ping\",\"type\":\"ping\"}", LIVE_MSG_BAD_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(live_parse_message(cases[i].text, strlen(cases[i].text)), cases[i].want);
    /* Deep nesting is refused by the parser's depth limit, not by the stack. */
    size_t n = 100000;
    char *deep = malloc(n);
    memset(deep, '[', n);
    assert_int_equal(live_parse_message(deep, n), LIVE_MSG_BAD_JSON);
    free(deep);
    /* A NUL byte in the text. */
    assert_int_equal(live_parse_message("{\"type\":\"ping\"}\0", 16), LIVE_MSG_BAD_JSON);
    assert_null(live_message_error(LIVE_MSG_PING));
    assert_string_equal(live_message_error(LIVE_MSG_BAD_JSON), "bad_json");
    assert_string_equal(live_message_error(LIVE_MSG_BAD_MESSAGE), "bad_message");
    assert_string_equal(live_message_error(LIVE_MSG_UNKNOWN_TYPE), "unknown_type");
}

static void badge_message(void **state)
{
    (void)state;
    char out[96];
    size_t n = live_badge_json(out, sizeof out, 3, 12);
    assert_string_equal(out, "{\"type\":\"badge\",\"messages\":3,\"notifications\":12}");
    assert_int_equal(n, strlen(out));
    live_badge_json(out, sizeof out, -1, 2147483647);
    assert_string_equal(out, "{\"type\":\"badge\",\"messages\":0,\"notifications\":2147483647}");
    char tiny[8];
    n = live_badge_json(tiny, sizeof tiny, 1, 1);
    assert_int_equal(n, 7);
    assert_int_equal(tiny[7], '\0');
}

static void rate_limit(void **state)
{
    (void)state;
    live_rate_t r;
    live_rate_init(&r, 1000);
    for (int i = 0; i < LIVE_RATE_BURST; i++)
        assert_true(live_rate_take(&r, 1000));
    assert_false(live_rate_take(&r, 1000));
    assert_false(live_rate_take(&r, 1000 + 1000 / LIVE_RATE_PER_S - 1));
    assert_true(live_rate_take(&r, 1000 + 1000 / LIVE_RATE_PER_S));
    assert_false(live_rate_take(&r, 1000 + 1000 / LIVE_RATE_PER_S));
    /* A long quiet time refills the burst, no more. */
    int passed = 0;
    for (int i = 0; i < 100; i++)
        passed += live_rate_take(&r, 1000000);
    assert_int_equal(passed, LIVE_RATE_BURST);
    /* The clock going back does not mint tokens. */
    assert_false(live_rate_take(&r, 5));
}

static void settings(void **state)
{
    (void)state;
    config_t cfg;
    char err[256];
    config_init_defaults(&cfg);
    assert_int_equal(cfg.ws_max_message, 64 * 1024);
    assert_int_equal(cfg.ws_max_connections, 50000);
    assert_int_equal(cfg.ws_ping_interval_ms, 30000);
    assert_int_equal(cfg.live_poll_interval_ms, 250);
    assert_int_equal(config_set(&cfg, "ws_max_message", "1M", "test", err, sizeof err), 0);
    assert_int_equal(cfg.ws_max_message, 1024 * 1024);
    assert_int_equal(config_set(&cfg, "ws-max-message", "64", "test", err, sizeof err), -1);
    assert_non_null(strstr(err, "ws_max_message"));
    assert_int_equal(config_set(&cfg, "ws_max_message", "1G", "test", err, sizeof err), -1);
    assert_int_equal(config_set(&cfg, "ws_ping_interval", "5s", "test", err, sizeof err), 0);
    assert_int_equal(cfg.ws_ping_interval_ms, 5000);
    assert_int_equal(config_set(&cfg, "ws_ping_interval", "10ms", "test", err, sizeof err), -1);
    assert_int_equal(config_set(&cfg, "live_poll_interval", "0ms", "test", err, sizeof err), -1);
    assert_int_equal(config_set(&cfg, "ws_max_connections", "0", "test", err, sizeof err), -1);
    assert_int_equal(config_set(&cfg, "ws_max_connections", "lots", "test", err, sizeof err), -1);
    /* More WebSockets than connections is not an error: the lower cap holds. */
    assert_int_equal(config_set(&cfg, "max_connections", "10", "test", err, sizeof err), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof err), 0);
    config_dispose(&cfg);
}

/* ---- store_change_count ---- */

typedef struct touch {
    int what; /* 0 nothing, 1 a topic, 2 a key, 3 a key then fail */
} touch_t;

static int touch_fn(store_tx_t *tx, void *ud)
{
    touch_t *t = ud;
    if (t->what == 1)
        store_tx_touch(tx, STORE_TOPIC_SCHOOL_DAY);
    if (t->what >= 2)
        store_tx_touch_key(tx, STORE_TOPIC_SCHOOL_DAY, 42);
    return t->what == 3 ? STORE_ERROR : 0;
}

static void change_count_follows_commits(void **state)
{
    (void)state;
    char dir[64] = "/tmp/cartable-live-XXXXXX", err[256];
    assert_non_null(mkdtemp(dir));
    store_options_t o = {.data_dir = dir};
    store_t *s = NULL;
    assert_int_equal(store_open(&o, &s, err, sizeof err), 0);
    uint64_t c0 = store_change_count(s);
    uint64_t k0 = store_key_version(s, STORE_TOPIC_SCHOOL_DAY, 42);

    touch_t t = {0};
    assert_int_equal(store_write_sync(s, touch_fn, &t), 0);
    assert_int_equal(store_change_count(s), c0); /* nothing changed */

    t.what = 2; /* a keyed write: the topic does not move, the counter does */
    uint64_t topic = store_topic_version(s, STORE_TOPIC_SCHOOL_DAY);
    assert_int_equal(store_write_sync(s, touch_fn, &t), 0);
    uint64_t c1 = store_change_count(s);
    assert_true(c1 > c0);
    assert_int_equal(store_topic_version(s, STORE_TOPIC_SCHOOL_DAY), topic);
    assert_true(store_key_version(s, STORE_TOPIC_SCHOOL_DAY, 42) > k0);

    t.what = 3; /* rolled back: no change */
    assert_true(store_write_sync(s, touch_fn, &t) < 0);
    assert_int_equal(store_change_count(s), c1);

    t.what = 1;
    assert_int_equal(store_write_sync(s, touch_fn, &t), 0);
    assert_true(store_change_count(s) > c1);
    assert_true(store_topic_version(s, STORE_TOPIC_SCHOOL_DAY) > topic);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(origin_same_host_only),
        cmocka_unit_test(client_messages),
        cmocka_unit_test(badge_message),
        cmocka_unit_test(rate_limit),
        cmocka_unit_test(settings),
        cmocka_unit_test(change_count_follows_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
