/* The waiting room's line: immediate admission while nobody waits, tickets in
 * arrival order, positions and estimates, the same ticket keeping its place,
 * tampered, forged, foreign and expired tokens, and the bounds on tickets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "edge/admission.h"

static session_keys_t keys;
static const admission_settings_t settings = {
    .enabled = true, .ticket_ttl_ms = 3600 * 1000, .window_ms = 8 * 3600 * 1000, .burst_seconds = 1.0};
#define T0 1700000000000ULL

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    keys.n = 2;
    keys.ids[0] = 7;
    keys.ids[1] = 3;
    randombytes_buf(keys.keys[0], 32);
    randombytes_buf(keys.keys[1], 32);
    return 0;
}

static admission_answer_t enter(admission_t *a, const char *ticket, uint64_t now)
{
    admission_answer_t out;
    assert_int_equal(admission_enter(a, &keys, str_from(ticket), true, now, &out), 0);
    return out;
}

static void test_immediate_while_nobody_waits(void **state)
{
    (void)state;
    admission_t *a = admission_new(&settings);
    admission_tick(a, 10, T0);
    admission_tick(a, 10, T0 + 1000); /* a second at 10/s: 10 immediate admissions */
    for (int i = 0; i < 10; i++) {
        admission_answer_t r = enter(a, "", T0 + 1000);
        assert_int_equal(r.verdict, ADMIT_NOW);
        assert_true(admission_valid(&keys, str_from(r.admission), T0 + 1000));
    }
    /* the eleventh waits, first in line */
    admission_answer_t r = enter(a, "", T0 + 1000);
    assert_int_equal(r.verdict, ADMIT_WAIT);
    assert_true(r.new_ticket);
    assert_int_equal(r.position, 1);
    assert_true(r.wait_seconds >= 1);
    admission_free(a);
}

static void test_strict_arrival_order(void **state)
{
    (void)state;
    admission_t *a = admission_new(&settings);
    admission_tick(a, 5, T0); /* no allowance yet: everyone queues */
    char tickets[20][ADMISSION_TOKEN_LEN + 1];
    uint64_t positions[20];
    for (int i = 0; i < 20; i++) {
        admission_answer_t r = enter(a, "", T0 + 10 + (uint64_t)i * 30);
        assert_int_equal(r.verdict, ADMIT_WAIT);
        /* people ahead, themself included (arrivals within 100 ms are interpolated) */
        assert_true(r.position + 1 >= (uint64_t)i + 1 && r.position <= (uint64_t)i + 2);
        if (i)
            assert_true(r.position >= positions[i - 1]);
        positions[i] = r.position;
        strcpy(tickets[i], r.ticket);
    }
    /* a refresh keeps the place and issues nothing */
    admission_answer_t again = enter(a, tickets[5], T0 + 700);
    assert_false(again.new_ticket);
    /* (the shown place is an estimate within 100 ms: later arrivals in the same tenth of a
     * second may shift it by one; the order of admission is exact) */
    assert_true(again.position + 1 >= positions[5] && again.position <= positions[5] + 1);
    assert_string_equal(again.ticket, tickets[5]);
    /* 5 per second: after each second the next five (and only them) are in */
    int admitted_upto = 0;
    for (int sec = 1; sec <= 4; sec++) {
        admission_tick(a, 5, T0 + 1000 * (uint64_t)sec);
        int in = 0;
        for (int i = 0; i < 20; i++) {
            admission_answer_t r = enter(a, tickets[i], T0 + 1000 * (uint64_t)sec + 1);
            if (r.verdict == ADMIT_NOW) {
                in++;
                assert_true(i < admitted_upto + 6); /* never someone behind a waiting person */
            }
        }
        /* everyone admitted so far forms a prefix of the line */
        assert_true(in >= admitted_upto);
        for (int i = 0; i < in; i++)
            assert_int_equal(enter(a, tickets[i], T0 + 1000 * (uint64_t)sec + 2).verdict, ADMIT_NOW);
        admitted_upto = in;
        assert_true(in <= 5 * sec + 1);
    }
    assert_true(admitted_upto >= 18);
    admission_tick(a, 5, T0 + 5000);
    for (int i = 0; i < 20; i++)
        assert_int_equal(enter(a, tickets[i], T0 + 5001).verdict, ADMIT_NOW);
    admission_stats_t st;
    admission_stats(a, &st);
    assert_int_equal(st.tickets, 20);
    assert_int_equal(st.waiting, 0);
    admission_free(a);
}

static void test_bad_tokens(void **state)
{
    (void)state;
    admission_t *a = admission_new(&settings);
    admission_tick(a, 1, T0);
    admission_answer_t first = enter(a, "", T0 + 1);
    assert_int_equal(first.verdict, ADMIT_WAIT);
    /* tampered: one character changed; forged: random; truncated; a different kind */
    char tampered[ADMISSION_TOKEN_LEN + 1];
    strcpy(tampered, first.ticket);
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
    const char *bad[] = {tampered, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x", "!!!!"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        admission_answer_t r = enter(a, bad[i], T0 + 200 + 100 * i);
        assert_true(r.new_ticket); /* worth nothing: a new ticket, at the back */
        assert_true(r.position > first.position);
    }
    admission_stats_t st;
    admission_stats(a, &st);
    assert_int_equal(st.bad_tickets, 4);
    /* an admission is not a ticket and a ticket is not an admission */
    assert_false(admission_valid(&keys, str_from(first.ticket), T0 + 3));
    /* a key no longer held */
    session_keys_t other = keys;
    randombytes_buf(other.keys[0], 32);
    assert_true(enter(a, "", T0 + 4).new_ticket);
    admission_answer_t foreign;
    assert_int_equal(admission_enter(a, &other, str_from(first.ticket), true, T0 + 5, &foreign), 0);
    assert_true(foreign.new_ticket);
    admission_free(a);
}

static void test_expiry_and_rotation(void **state)
{
    (void)state;
    admission_t *a = admission_new(&settings);
    admission_tick(a, 1, T0);
    admission_tick(a, 1, T0 + 1000);
    admission_answer_t in = enter(a, "", T0 + 1000);
    assert_int_equal(in.verdict, ADMIT_NOW);
    assert_true(admission_valid(&keys, str_from(in.admission), T0 + settings.window_ms));
    assert_false(admission_valid(&keys, str_from(in.admission), T0 + 1000 + settings.window_ms));
    /* a rotated key: the older one still verifies while kept */
    session_keys_t rotated = {.n = 2, .ids = {9, 7}};
    randombytes_buf(rotated.keys[0], 32);
    memcpy(rotated.keys[1], keys.keys[0], 32);
    assert_true(admission_valid(&rotated, str_from(in.admission), T0 + 2000));
    /* an expired ticket starts again at the back */
    admission_answer_t waiting = enter(a, "", T0 + 1000);
    assert_int_equal(waiting.verdict, ADMIT_WAIT);
    admission_answer_t late = enter(a, waiting.ticket, T0 + 1000 + settings.ticket_ttl_ms + 1);
    assert_true(late.new_ticket);
    admission_stats_t st;
    admission_stats(a, &st);
    assert_int_equal(st.expired_tickets, 1);
    admission_free(a);
}

static void test_ticket_bound(void **state)
{
    (void)state;
    admission_t *a = admission_new(&settings);
    admission_tick(a, 1, T0);
    admission_answer_t out;
    /* no ticket may be issued: refused, counted, nothing queued */
    assert_int_equal(admission_enter(a, &keys, STR(""), false, T0 + 1, &out), -1);
    admission_stats_t st;
    admission_stats(a, &st);
    assert_int_equal(st.refused_tickets, 1);
    assert_int_equal(st.waiting, 0);
    /* but a valid ticket is always honoured */
    admission_answer_t t = enter(a, "", T0 + 2);
    assert_int_equal(admission_enter(a, &keys, str_from(t.ticket), false, T0 + 3, &out), 0);
    assert_int_equal(out.verdict, ADMIT_WAIT);
    admission_free(a);
}

static void test_asked_rate_for_capacity(void **state)
{
    (void)state;
    admission_t *a = admission_new(&settings);
    admission_tick(a, 100, T0);
    for (int i = 0; i < 30; i++)
        enter(a, "", T0 + 10);
    double asked = admission_tick(a, 100, T0 + 500);
    assert_true(asked > 59.0 && asked < 61.0); /* 30 in half a second */
    admission_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_immediate_while_nobody_waits),
        cmocka_unit_test(test_strict_arrival_order),
        cmocka_unit_test(test_bad_tokens),
        cmocka_unit_test(test_expiry_and_rotation),
        cmocka_unit_test(test_ticket_bound),
        cmocka_unit_test(test_asked_rate_for_capacity),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
