/* The request edge: who the client is behind trusted reverse proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "edge/proxy.h"

static void proxy_lists_parse_or_say_why(void **state)
{
    (void)state;
    proxy_list_t l;
    char err[256];
    assert_int_equal(proxy_list_parse("", &l, err, sizeof err), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(proxy_list_parse(NULL, &l, err, sizeof err), 0);
    assert_int_equal(proxy_list_parse(" 10.0.0.1, 192.168.0.0/16 ,,::1 fd00::/8", &l, err, sizeof err), 0);
    assert_int_equal(l.n, 4);
    assert_true(proxy_list_contains(&l, STR("10.0.0.1")));
    assert_false(proxy_list_contains(&l, STR("10.0.0.2")));
    assert_true(proxy_list_contains(&l, STR("192.168.200.7")));
    assert_false(proxy_list_contains(&l, STR("192.169.0.1")));
    assert_true(proxy_list_contains(&l, STR("::1")));
    assert_true(proxy_list_contains(&l, STR("fd12:3456::1")));
    assert_false(proxy_list_contains(&l, STR("fe80::1")));
    assert_true(proxy_list_contains(&l, STR("::ffff:10.0.0.1"))); /* an IPv4 peer seen on an IPv6 socket */
    assert_false(proxy_list_contains(&l, STR("not-an-address")));
    assert_false(proxy_list_contains(&l, STR("")));

    assert_int_equal(proxy_list_parse("10.0.0.0/33", &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"10.0.0.0/33\": the prefix length must be 0 to 32"));
    assert_int_equal(proxy_list_parse("::/129", &l, err, sizeof err), -1);
    assert_int_equal(proxy_list_parse("10.0.0.0/x", &l, err, sizeof err), -1);
    assert_int_equal(proxy_list_parse("10.0.0.0/", &l, err, sizeof err), -1);
    assert_int_equal(proxy_list_parse("proxy.example.org", &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"proxy.example.org\" is not an IP address or network"));
    assert_int_equal(proxy_list_parse("10.0.0.1;10.0.0.2", &l, err, sizeof err), -1);
    /* /0 trusts everyone: allowed, it is the administrator's call */
    assert_int_equal(proxy_list_parse("0.0.0.0/0", &l, err, sizeof err), 0);
    assert_true(proxy_list_contains(&l, STR("203.0.113.9")));
    assert_false(proxy_list_contains(&l, STR("2001:db8::1")));
    /* too many entries */
    char many[PROXY_MAX_NETS * 12 + 16] = "";
    for (int i = 0; i <= PROXY_MAX_NETS; i++) {
        char one[16];
        snprintf(one, sizeof one, "10.0.%d.1,", i);
        strcat(many, one);
    }
    assert_int_equal(proxy_list_parse(many, &l, err, sizeof err), -1);
}

static const char *client(const proxy_list_t *l, const char *peer, const char *const *lines, size_t n)
{
    static char out[PROXY_ADDR_MAX];
    str_t s[8];
    for (size_t i = 0; i < n; i++)
        s[i] = str_from(lines[i]);
    return proxy_client_address(l, str_from(peer), (proxy_forwarded_t){s, n}, out);
}

static void the_client_is_who_trusted_proxies_say(void **state)
{
    (void)state;
    proxy_list_t l;
    char err[256];
    assert_int_equal(proxy_list_parse("10.0.0.0/24, ::1", &l, err, sizeof err), 0);
    const char *forged[] = {"6.6.6.6"};
    /* an untrusted peer's header is ignored: clients cannot pick their address */
    assert_string_equal(client(&l, "203.0.113.5", forged, 1), "203.0.113.5");
    assert_string_equal(client(&l, "203.0.113.5", NULL, 0), "203.0.113.5");
    /* a trusted proxy: the right-most entry it did not add itself */
    const char *one[] = {"198.51.100.7"};
    assert_string_equal(client(&l, "10.0.0.2", one, 1), "198.51.100.7");
    const char *spoofed[] = {"6.6.6.6, 198.51.100.7"};
    assert_string_equal(client(&l, "10.0.0.2", spoofed, 1), "198.51.100.7");
    /* two proxies in a row */
    const char *chain[] = {"198.51.100.7, 10.0.0.9"};
    assert_string_equal(client(&l, "10.0.0.2", chain, 1), "198.51.100.7");
    /* several header lines are one list */
    const char *lines[] = {"6.6.6.6, 198.51.100.7", "10.0.0.9"};
    assert_string_equal(client(&l, "10.0.0.2", lines, 2), "198.51.100.7");
    /* every hop trusted: the left-most */
    const char *all[] = {"10.0.0.8,10.0.0.9"};
    assert_string_equal(client(&l, "10.0.0.2", all, 1), "10.0.0.8");
    /* garbage stops the walk at the last hop we could believe */
    const char *garbage[] = {"198.51.100.7, <script>"};
    assert_string_equal(client(&l, "10.0.0.2", garbage, 1), "10.0.0.2");
    const char *garbage2[] = {"<script>, 10.0.0.9"};
    assert_string_equal(client(&l, "10.0.0.2", garbage2, 1), "10.0.0.9");
    const char *empty[] = {""};
    assert_string_equal(client(&l, "10.0.0.2", empty, 1), "10.0.0.2");
    const char *ports[] = {"198.51.100.7:5555"};
    assert_string_equal(client(&l, "10.0.0.2", ports, 1), "10.0.0.2");
    /* IPv6 */
    const char *v6[] = {"2001:db8::42"};
    assert_string_equal(client(&l, "::1", v6, 1), "2001:db8::42");
    /* no list: the peer, always */
    proxy_list_t none;
    assert_int_equal(proxy_list_parse("", &none, err, sizeof err), 0);
    assert_string_equal(client(&none, "10.0.0.2", one, 1), "10.0.0.2");
    /* a very long header is read from its right end only as far as needed */
    char longline[4096];
    memset(longline, ' ', sizeof longline);
    memcpy(longline + sizeof longline - 20, ",198.51.100.8", 13);
    longline[sizeof longline - 7] = '\0';
    const char *big[] = {longline};
    assert_string_equal(client(&l, "10.0.0.2", big, 1), "198.51.100.8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxy_lists_parse_or_say_why),
        cmocka_unit_test(the_client_is_who_trusted_proxies_say),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
