/* proxy: who the client is when Cartable runs behind reverse proxies.
 *
 * Contract:
 * - The `trusted_proxies` setting lists addresses and networks (IPv4 or IPv6,
 *   CIDR allowed) whose X-Forwarded-For header is believed. It is parsed once at
 *   startup; a lookup allocates nothing.
 * - The client is the peer, unless the peer is trusted: then it is the right-most
 *   X-Forwarded-For entry that is not itself a trusted proxy (the left-most if
 *   all are). An entry that is not an address ends the walk at the last hop we
 *   could believe. So a client cannot choose its address by sending the header
 *   itself, and sign-in throttling counts people, not the proxy.
 */
#ifndef CARTABLE_EDGE_PROXY_H
#define CARTABLE_EDGE_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

#define PROXY_MAX_NETS 64
#define PROXY_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

typedef struct proxy_net {
    unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6 */
    unsigned prefix;        /* 0..128 */
} proxy_net_t;

typedef struct proxy_list {
    proxy_net_t nets[PROXY_MAX_NETS];
    int n;
} proxy_list_t;

/* "10.0.0.1, 192.168.0.0/16, ::1": commas or spaces between entries; "" is none.
 * Returns 0, or -1 with the entry at fault in err. */
int proxy_list_parse(const char *spec, proxy_list_t *out, char *err, size_t errlen);
bool proxy_list_contains(const proxy_list_t *l, str_t address);

/* The X-Forwarded-For header lines of a request, in the order received. */
typedef struct proxy_forwarded {
    const str_t *lines;
    size_t n;
} proxy_forwarded_t;

/* Writes the client's address (at most PROXY_ADDR_MAX - 1 characters and a NUL)
 * into out and returns out. peer is the connection's address as text. */
const char *proxy_client_address(const proxy_list_t *l, str_t peer, proxy_forwarded_t forwarded,
                                 char out[PROXY_ADDR_MAX]);

#endif
