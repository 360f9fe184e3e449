/* The live-class room without I/O: the owner's decisions, copies that apply the
 * same events reaching the same state, who may send what, the lobby, polls,
 * the chat's bounds, client messages, and the guest's signed cookie. The room
 * over the network is tested in tests/http/liveclass.test.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/liveclass.h"
#include "live/room.h"

static room_cmd_t cmd(room_kind_t kind, int64_t actor, room_role_t role, const char *name)
{
    room_cmd_t c = {.kind = kind, .room_id = 7, .actor = actor, .role = role, .at_ms = 1000};
    room_name_copy(c.name, name, strlen(name));
    return c;
}

/* Decides c on the owner and applies the event to the copy. */
static room_refusal_t step(room_t *owner, room_t *copy, room_cmd_t c)
{
    room_refusal_t r = room_decide(owner, &c);
    if (r == ROOM_ACCEPTED && copy)
        room_apply(copy, &c);
    room_cmd_clear(&c);
    return r;
}

static char *welcome(const room_t *r, int64_t you, room_role_t role)
{
    buf_t b;
    buf_init(&b, NULL, 256);
    room_welcome_json(r, you, role, "x", &b);
    return b.data;
}

static room_t *opened(room_t **copy)
{
    room_t *r = room_new(7);
    *copy = room_new(7);
    room_cmd_t open = {.kind = ROOM_OPEN, .room_id = 7, .ends_at = 99};
    room_cmd_set_text(&open, "Fractions", 9);
    assert_int_equal(step(r, *copy, open), ROOM_ACCEPTED);
    return r;
}

static void copies_agree(void **state)
{
    (void)state;
    room_t *copy, *r = opened(&copy);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, 1, ROOM_HOST, "Prof")), ROOM_ACCEPTED);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "Élève")), ROOM_ACCEPTED);
    room_cmd_t chat = cmd(ROOM_CHAT, 2, ROOM_PARTICIPANT, "Élève");
    room_cmd_set_text(&chat, "bonjour \"<b>\"", strlen("bonjour \"<b>\""));
    assert_int_equal(step(r, copy, chat), ROOM_ACCEPTED);
    room_cmd_t hand = cmd(ROOM_HAND, 2, ROOM_PARTICIPANT, "Élève");
    hand.flag = true;
    assert_int_equal(step(r, copy, hand), ROOM_ACCEPTED);
    assert_int_equal(r->seq, 5);
    assert_int_equal(copy->seq, 5);
    char *a = welcome(r, 1, ROOM_HOST), *b = welcome(copy, 1, ROOM_HOST);
    assert_string_equal(a, b);
    /* escaped for JSON and for a <script>: no raw quote or angle bracket of the text */
    assert_non_null(strstr(a, "bonjour \\\"\\u003cb>\\\""));
    assert_non_null(strstr(a, "\"hand\":true"));
    free(a);
    free(b);
    /* a hand already up: nothing happens, no seq spent */
    hand = cmd(ROOM_HAND, 2, ROOM_PARTICIPANT, "Élève");
    hand.flag = true;
    assert_int_equal(step(r, copy, hand), ROOM_NOTHING);
    assert_int_equal(r->seq, 5);
    room_free(r);
    room_free(copy);
}

static void who_may_send_what(void **state)
{
    (void)state;
    room_t *copy, *r = opened(&copy);
    step(r, copy, cmd(ROOM_JOIN, 1, ROOM_HOST, "Prof"));
    step(r, copy, cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "Élève"));
    const room_kind_t host_only[] = {ROOM_POLL_OPEN, ROOM_POLL_CLOSE, ROOM_NOTE,   ROOM_LOCK,  ROOM_MUTE_ALL,
                                     ROOM_PUBLISH,   ROOM_REMOVE,     ROOM_ADMIT, ROOM_REFUSE};
    for (size_t i = 0; i < sizeof host_only / sizeof host_only[0]; i++) {
        room_cmd_t c = cmd(host_only[i], 2, ROOM_PARTICIPANT, "Élève");
        c.target = 1;
        c.flag = true;
        assert_int_equal(step(r, copy, c), ROOM_NOT_ALLOWED);
        c = cmd(host_only[i], -5, ROOM_GUEST, "Invité");
        assert_int_equal(step(r, copy, c), ROOM_NOT_ALLOWED);
    }
    /* someone not there may not raise a hand or vote; a host is not removed */
    room_cmd_t h = cmd(ROOM_HAND, 3, ROOM_PARTICIPANT, "Absent");
    h.flag = true;
    assert_int_equal(step(r, copy, h), ROOM_NOT_ALLOWED);
    room_cmd_t rm = cmd(ROOM_REMOVE, 1, ROOM_HOST, "Prof");
    rm.target = 1;
    assert_int_equal(step(r, copy, rm), ROOM_BAD_VALUE);
    step(r, copy, cmd(ROOM_JOIN, 4, ROOM_HOST, "Admin"));
    rm = cmd(ROOM_REMOVE, 4, ROOM_HOST, "Admin");
    rm.target = 1;
    assert_int_equal(step(r, copy, rm), ROOM_NOT_ALLOWED);
    /* a removed pupil cannot come back or speak, but their sockets may still leave */
    rm = cmd(ROOM_REMOVE, 1, ROOM_HOST, "Prof");
    rm.target = 2;
    assert_int_equal(step(r, copy, rm), ROOM_ACCEPTED);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "Élève")), ROOM_REMOVED);
    room_cmd_t chat = cmd(ROOM_CHAT, 2, ROOM_PARTICIPANT, "Élève");
    room_cmd_set_text(&chat, "re", 2);
    assert_int_equal(step(r, copy, chat), ROOM_REMOVED);
    assert_true(room_member(copy, 2)->removed);
    assert_int_equal(copy->present, 2);
    room_free(r);
    room_free(copy);
}

static void lobby_and_lock(void **state)
{
    (void)state;
    room_t *copy, *r = opened(&copy);
    step(r, copy, cmd(ROOM_JOIN, 1, ROOM_HOST, "Prof"));
    /* a guest's join waits; their knock puts them in the lobby once */
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, -5, ROOM_GUEST, "Inspectrice")), ROOM_WAIT);
    assert_int_equal(step(r, copy, cmd(ROOM_KNOCK, -5, ROOM_GUEST, "Inspectrice")), ROOM_ACCEPTED);
    assert_int_equal(step(r, copy, cmd(ROOM_KNOCK, -5, ROOM_GUEST, "Inspectrice")), ROOM_NOTHING);
    assert_int_equal(copy->nlobby, 1);
    /* a person (not a guest) never knocks */
    assert_int_equal(step(r, copy, cmd(ROOM_KNOCK, 9, ROOM_PARTICIPANT, "Élève")), ROOM_BAD_VALUE);
    room_cmd_t admit = cmd(ROOM_ADMIT, 1, ROOM_HOST, "Prof");
    admit.target = -5;
    assert_int_equal(step(r, copy, admit), ROOM_ACCEPTED);
    assert_int_equal(copy->nlobby, 0);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, -5, ROOM_GUEST, "Inspectrice")), ROOM_ACCEPTED);
    assert_true(room_member(copy, -5)->present);
    /* admitting someone not in the lobby */
    admit.target = -6;
    assert_int_equal(step(r, copy, admit), ROOM_BAD_VALUE);
    /* refused: gone for good */
    step(r, copy, cmd(ROOM_KNOCK, -6, ROOM_GUEST, "Inconnu"));
    room_cmd_t refuse = cmd(ROOM_REFUSE, 1, ROOM_HOST, "Prof");
    refuse.target = -6;
    assert_int_equal(step(r, copy, refuse), ROOM_ACCEPTED);
    assert_true(room_guest_refused(copy, -6));
    assert_int_equal(step(r, copy, cmd(ROOM_KNOCK, -6, ROOM_GUEST, "Inconnu")), ROOM_REFUSED);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, -6, ROOM_GUEST, "Inconnu")), ROOM_REFUSED);
    /* locked: new guests are turned away; pupils still come straight in */
    room_cmd_t lock = cmd(ROOM_LOCK, 1, ROOM_HOST, "Prof");
    lock.flag = true;
    assert_int_equal(step(r, copy, lock), ROOM_ACCEPTED);
    assert_true(copy->locked);
    assert_int_equal(step(r, copy, cmd(ROOM_KNOCK, -7, ROOM_GUEST, "Tard")), ROOM_LOCKED);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, -7, ROOM_GUEST, "Tard")), ROOM_LOCKED);
    assert_int_equal(step(r, copy, cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "Élève")), ROOM_ACCEPTED);
    /* the lobby's events are for hosts */
    room_cmd_t k = cmd(ROOM_KNOCK, -8, ROOM_GUEST, "x");
    assert_true(room_event_hosts_only(&k));
    room_cmd_t priv = cmd(ROOM_CHAT, 2, ROOM_PARTICIPANT, "Élève");
    priv.flag = true;
    assert_true(room_event_hosts_only(&priv));
    priv.flag = false;
    assert_false(room_event_hosts_only(&priv));
    room_free(r);
    room_free(copy);
}

static void sockets_and_presence(void **state)
{
    (void)state;
    room_t *copy, *r = opened(&copy);
    room_cmd_t j = cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "Élève");
    assert_int_equal(room_decide(r, &j), ROOM_ACCEPTED);
    assert_true(j.first_join);
    room_apply(copy, &j);
    j = cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "Élève");
    j.at_ms = 5000;
    assert_int_equal(room_decide(r, &j), ROOM_NOTHING); /* a second tab: no event */
    assert_false(j.first_join);
    assert_int_equal(room_member(r, 2)->sockets, 2);
    assert_int_equal(room_member(r, 2)->joined_ms, 1000);
    assert_int_equal(copy->present, 1);
    /* the first tab closes: still there, no event */
    assert_int_equal(step(r, copy, cmd(ROOM_LEAVE, 2, ROOM_PARTICIPANT, "Élève")), ROOM_NOTHING);
    assert_true(room_member(copy, 2)->present);
    assert_int_equal(step(r, copy, cmd(ROOM_LEAVE, 2, ROOM_PARTICIPANT, "Élève")), ROOM_ACCEPTED);
    assert_false(room_member(copy, 2)->present);
    assert_int_equal(copy->present, 0);
    /* a leave too many changes nothing */
    assert_int_equal(step(r, copy, cmd(ROOM_LEAVE, 2, ROOM_PARTICIPANT, "Élève")), ROOM_NOTHING);
    assert_int_equal(step(r, copy, cmd(ROOM_LEAVE, 99, ROOM_PARTICIPANT, "Personne")), ROOM_NOTHING);
    room_free(r);
    room_free(copy);
}

static void polls(void **state)
{
    (void)state;
    room_t *copy, *r = opened(&copy);
    step(r, copy, cmd(ROOM_JOIN, 1, ROOM_HOST, "Prof"));
    step(r, copy, cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "A"));
    step(r, copy, cmd(ROOM_JOIN, 3, ROOM_PARTICIPANT, "B"));
    room_cmd_t open = cmd(ROOM_POLL_OPEN, 1, ROOM_HOST, "Prof");
    room_cmd_set_text(&open, "1/2 + 1/4 ?", 11);
    const char *choices[] = {"3/4", "2/6", "1"};
    for (int i = 0; i < 3; i++) {
        open.choices[i] = strdup(choices[i]);
        open.choice_lens[i] = strlen(choices[i]);
    }
    open.nchoices = 3;
    assert_int_equal(step(r, copy, open), ROOM_ACCEPTED);
    uint64_t poll = copy->poll_id;
    room_cmd_t v = cmd(ROOM_VOTE, 2, ROOM_PARTICIPANT, "A");
    v.target = (int64_t)poll;
    v.choice = 0;
    assert_int_equal(step(r, copy, v), ROOM_ACCEPTED);
    v = cmd(ROOM_VOTE, 3, ROOM_PARTICIPANT, "B");
    v.target = (int64_t)poll;
    v.choice = 0;
    step(r, copy, v);
    v.choice = 2; /* B changes their mind */
    v = (room_cmd_t){.kind = ROOM_VOTE, .room_id = 7, .actor = 3, .role = ROOM_PARTICIPANT, .target = (int64_t)poll,
                     .choice = 2};
    assert_int_equal(step(r, copy, v), ROOM_ACCEPTED);
    assert_int_equal(copy->counts[0], 1);
    assert_int_equal(copy->counts[2], 1);
    /* out of range, another poll, a closed one */
    v.choice = 3;
    assert_int_equal(step(r, copy, v), ROOM_BAD_VALUE);
    v.choice = 0;
    v.target = (int64_t)poll + 1;
    assert_int_equal(step(r, copy, v), ROOM_BAD_VALUE);
    assert_int_equal(step(r, copy, cmd(ROOM_POLL_CLOSE, 1, ROOM_HOST, "Prof")), ROOM_ACCEPTED);
    v.target = (int64_t)poll;
    assert_int_equal(step(r, copy, v), ROOM_BAD_VALUE);
    assert_int_equal(step(r, copy, cmd(ROOM_POLL_CLOSE, 1, ROOM_HOST, "Prof")), ROOM_BAD_VALUE);
    buf_t b;
    buf_init(&b, NULL, 128);
    room_cmd_t closed = {.kind = ROOM_POLL_CLOSE, .seq = copy->seq};
    room_event_json(copy, &closed, &b);
    assert_non_null(strstr(b.data, "\"counts\":[1,0,1],\"open\":false"));
    buf_dispose(&b);
    room_free(r);
    room_free(copy);
}

static void chat_keeps_the_newest(void **state)
{
    (void)state;
    room_t *copy, *r = opened(&copy);
    step(r, copy, cmd(ROOM_JOIN, 2, ROOM_PARTICIPANT, "A"));
    for (int i = 0; i < ROOM_CHAT_KEEP + 30; i++) {
        room_cmd_t c = cmd(ROOM_CHAT, 2, ROOM_PARTICIPANT, "A");
        char text[16];
        int n = snprintf(text, sizeof text, "m%d", i);
        room_cmd_set_text(&c, text, (size_t)n);
        assert_int_equal(step(r, copy, c), ROOM_ACCEPTED);
    }
    assert_int_equal(copy->nchat, ROOM_CHAT_KEEP);
    char *w = welcome(copy, 2, ROOM_PARTICIPANT);
    assert_null(strstr(w, "\"m29\""));
    assert_non_null(strstr(w, "\"m30\""));
    assert_non_null(strstr(w, "\"m129\""));
    assert_true(strstr(w, "\"m30\"") < strstr(w, "\"m129\"")); /* oldest first */
    free(w);
    /* a guest never admitted may not chat, even without a socket */
    room_cmd_t g = cmd(ROOM_CHAT, -3, ROOM_GUEST, "G");
    room_cmd_set_text(&g, "x", 1);
    assert_int_equal(step(r, copy, g), ROOM_NOT_ALLOWED);
    room_free(r);
    room_free(copy);
}

static void names_cut_on_characters(void **state)
{
    (void)state;
    char name[ROOM_NAME_MAX];
    char long_name[400];
    for (size_t i = 0; i + 2 < sizeof long_name; i += 2) {
        long_name[i] = (char)0xC3; /* é */
        long_name[i + 1] = (char)0xA9;
    }
    room_name_copy(name, long_name, 398);
    assert_true(strlen(name) < ROOM_NAME_MAX);
    assert_int_equal(strlen(name) % 2, 0);
}

static const char *parse(const char *text, room_cmd_t *c)
{
    bool ping;
    memset(c, 0, sizeof *c);
    const char *e = room_parse(text, strlen(text), c, &ping);
    return e ? e : ping ? "ping" : "ok";
}

static void client_messages(void **state)
{
    (void)state;
    room_cmd_t c;
    assert_string_equal(parse("{\"type\":\"ping\"}", &c), "ping");
    assert_string_equal(parse("{\"type\":\"chat\",\"text\":\"salut\",\"to\":\"hosts\"}", &c), "ok");
    assert_int_equal(c.kind, ROOM_CHAT);
    assert_true(c.flag);
    assert_string_equal(c.text, "salut");
    room_cmd_clear(&c);
    assert_string_equal(parse("{\"type\":\"poll_open\",\"question\":\"q\",\"choices\":[\"a\",\"b\"]}", &c), "ok");
    assert_int_equal(c.nchoices, 2);
    room_cmd_clear(&c);
    assert_string_equal(parse("{\"type\":\"reaction\",\"emoji\":\"👍\"}", &c), "ok");
    room_cmd_clear(&c);
    const char *bad[][2] = {
        {"", "bad_json"},
        {"{", "bad_json"},
        {"{\"type\":\"chat\",\"type\":\"chat\",\"text\":\"x\"}", "bad_json"},
        {"[]", "bad_message"},
        {"{\"kind\":\"chat\"}", "bad_message"},
        {"{\"type\":\"chat\\u0000x\",\"text\":\"x\"}", "unknown_type"},
        {"{\"type\":\"fly\"}", "unknown_type"},
        {"{\"type\":\"chat\"}", "bad_value"},
        {"{\"type\":\"chat\",\"text\":\"a\\u0000b\"}", "bad_value"},
        {"{\"type\":\"chat\",\"text\":\"x\",\"to\":1}", "bad_value"},
        {"{\"type\":\"hand\"}", "bad_value"},
        {"{\"type\":\"vote\",\"poll\":0,\"choice\":0}", "bad_value"},
        {"{\"type\":\"vote\",\"poll\":3,\"choice\":6}", "bad_value"},
        {"{\"type\":\"poll_open\",\"question\":\"q\",\"choices\":[\"a\"]}", "bad_value"},
        {"{\"type\":\"poll_open\",\"question\":\"q\",\"choices\":[\"a\",2]}", "bad_value"},
        {"{\"type\":\"poll_open\",\"question\":\"deux\\nlignes\",\"choices\":[\"a\",\"b\"]}", "bad_value"},
        {"{\"type\":\"admit\",\"guest\":5}", "bad_value"},
        {"{\"type\":\"publish\",\"person\":5}", "bad_value"},
        {"{\"type\":\"reaction\",\"emoji\":\"👍👍\"}", "bad_value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *got = parse(bad[i][0], &c);
        if (strcmp(got, bad[i][1]) != 0)
            fail_msg("%s: got %s, expected %s", bad[i][0], got, bad[i][1]);
        assert_null(c.text); /* nothing left to free on a refusal */
        assert_int_equal(c.nchoices, 0);
    }
    /* a chat of exactly the limit passes, one more character does not */
    char *text = malloc(ROOM_CHAT_MAX_CHARS * 2 + 64);
    int n = sprintf(text, "{\"type\":\"chat\",\"text\":\"");
    for (int i = 0; i < ROOM_CHAT_MAX_CHARS; i++)
        n += sprintf(text + n, "é");
    strcpy(text + n, "\"}");
    assert_string_equal(parse(text, &c), "ok");
    room_cmd_clear(&c);
    strcpy(text + n, "é\"}");
    assert_string_equal(parse(text, &c), "bad_value");
    free(text);
}

static void guest_tokens(void **state)
{
    (void)state;
    session_keys_t keys = {.n = 2, .ids = {3, 1}};
    randombytes_buf(keys.keys[0], 32);
    randombytes_buf(keys.keys[1], 32);
    live_guest_token_t t = {.live_id = 42, .guest_id = 7, .expires_at = 2000}, out;
    char tok[LIVE_GUEST_TOKEN_LEN + 1];
    liveclass_guest_token(&keys, &t, tok);
    assert_int_equal(strlen(tok), LIVE_GUEST_TOKEN_LEN);
    assert_true(liveclass_guest_token_check(&keys, str_from(tok), 1999, &out));
    assert_int_equal(out.live_id, 42);
    assert_int_equal(out.guest_id, 7);
    assert_false(liveclass_guest_token_check(&keys, str_from(tok), 2000, &out)); /* expired */
    for (size_t i = 0; i < LIVE_GUEST_TOKEN_LEN; i++) {
        char bad[LIVE_GUEST_TOKEN_LEN + 1];
        memcpy(bad, tok, sizeof bad);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_false(liveclass_guest_token_check(&keys, str_from(bad), 1000, &out));
    }
    assert_false(liveclass_guest_token_check(&keys, STR(""), 1000, &out));
    assert_false(liveclass_guest_token_check(&keys, STR_NULL, 1000, &out));
    /* still valid after a rotation that keeps the old key; not once it is gone */
    session_keys_t rotated = {.n = 2, .ids = {4, 3}};
    randombytes_buf(rotated.keys[0], 32);
    memcpy(rotated.keys[1], keys.keys[0], 32);
    assert_true(liveclass_guest_token_check(&rotated, str_from(tok), 1000, &out));
    session_keys_t other = {.n = 1, .ids = {3}};
    randombytes_buf(other.keys[0], 32);
    assert_false(liveclass_guest_token_check(&other, str_from(tok), 1000, &out));
}

static void drafts(void **state)
{
    (void)state;
    live_draft_t d = {.title = STR("Fractions"), .starts_at = 10000, .minutes = 55, .now = 10000};
    assert_int_equal(liveclass_check(&d), LIVE_OK);
    d.minutes = LIVE_MIN_MINUTES - 1;
    assert_int_equal(liveclass_check(&d), LIVE_BAD_LENGTH);
    d.minutes = LIVE_MAX_MINUTES + 1;
    assert_int_equal(liveclass_check(&d), LIVE_BAD_LENGTH);
    d.minutes = 55;
    d.starts_at = 10000 - 3600;
    assert_int_equal(liveclass_check(&d), LIVE_BAD_TIME);
    d.starts_at = 10000 + 367LL * 86400;
    assert_int_equal(liveclass_check(&d), LIVE_BAD_TIME);
    d.starts_at = 10000;
    d.title = STR("   ");
    assert_int_equal(liveclass_check(&d), LIVE_TITLE_EMPTY);
    d.title = STR("a\tb");
    assert_int_equal(liveclass_check(&d), LIVE_BAD_TEXT);
    assert_int_equal(liveclass_guest_name_check(STR("")), LIVE_GUEST_NAME_EMPTY);
    assert_int_equal(liveclass_guest_name_check(STR("Mme Martin")), LIVE_OK);
    live_class_t lc = {.starts_at = 1000, .ends_at = 2000};
    assert_false(liveclass_joinable(&lc, 399, 600, 300));
    assert_true(liveclass_joinable(&lc, 400, 600, 300));
    assert_true(liveclass_joinable(&lc, 2299, 600, 300));
    assert_false(liveclass_joinable(&lc, 2300, 600, 300));
    lc.cancelled_at = 1;
    assert_false(liveclass_joinable(&lc, 1500, 600, 300));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copies_agree),      cmocka_unit_test(who_may_send_what),
        cmocka_unit_test(lobby_and_lock),    cmocka_unit_test(sockets_and_presence),
        cmocka_unit_test(polls),             cmocka_unit_test(chat_keeps_the_newest),
        cmocka_unit_test(names_cut_on_characters), cmocka_unit_test(client_messages),
        cmocka_unit_test(guest_tokens),      cmocka_unit_test(drafts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
