#include "edge/proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses an address into 16 bytes (IPv4 mapped into IPv6). */
static bool parse_address(str_t text, unsigned char out[16], bool *v4)
{
    char buf[PROXY_ADDR_MAX];
    if (text.len == 0 || text.len >= sizeof buf)
        return false;
    memcpy(buf, text.ptr, text.len);
    buf[text.len] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        *v4 = true;
        return true;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        memcpy(out, &a6, 16);
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        *v4 = memcmp(out, mapped, 12) == 0;
        return true;
    }
    return false;
}

static bool in_net(const proxy_net_t *n, const unsigned char a[16])
{
    unsigned full = n->prefix / 8, rest = n->prefix % 8;
    if (memcmp(n->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->addr[full] & mask) == (a[full] & mask);
}

int proxy_list_parse(const char *spec, proxy_list_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    str_t rest = str_from(spec ? spec : "");
    while (rest.len) {
        size_t i = 0;
        while (i < rest.len && (rest.ptr[i] == ',' || rest.ptr[i] == ' ' || rest.ptr[i] == '\t'))
            i++;
        size_t start = i;
        while (i < rest.len && rest.ptr[i] != ',' && rest.ptr[i] != ' ' && rest.ptr[i] != '\t')
            i++;
        str_t entry = {rest.ptr + start, i - start};
        rest = (str_t){rest.ptr + i, rest.len - i};
        if (entry.len == 0)
            continue;
        if (out->n == PROXY_MAX_NETS) {
            snprintf(err, errlen, "more than %d entries", PROXY_MAX_NETS);
            return -1;
        }
        str_t addr = entry, prefix = STR_NULL;
        const char *slash = memchr(entry.ptr, '/', entry.len);
        if (slash) {
            addr.len = (size_t)(slash - entry.ptr);
            prefix = (str_t){slash + 1, entry.len - addr.len - 1};
        }
        proxy_net_t *n = &out->nets[out->n];
        bool v4;
        if (!parse_address(addr, n->addr, &v4)) {
            snprintf(err, errlen, "\"%.*s\" is not an IP address or network", (int)entry.len, entry.ptr);
            return -1;
        }
        unsigned max = v4 ? 32 : 128, bits = max;
        if (slash) {
            int64_t p;
            if (!str_to_i64(prefix, &p) || p < 0 || (unsigned)p > max) {
                snprintf(err, errlen, "\"%.*s\": the prefix length must be 0 to %u", (int)entry.len, entry.ptr, max);
                return -1;
            }
            bits = (unsigned)p;
        }
        n->prefix = v4 ? bits + 96 : bits;
        out->n++;
    }
    return 0;
}

bool proxy_list_contains(const proxy_list_t *l, str_t address)
{
    unsigned char a[16];
    bool v4;
    if (l->n == 0 || !parse_address(str_trim(address), a, &v4))
        return false;
    for (int i = 0; i < l->n; i++)
        if (in_net(&l->nets[i], a))
            return true;
    return false;
}

static const char *copy_out(str_t s, char out[PROXY_ADDR_MAX])
{
    size_t n = s.len < PROXY_ADDR_MAX - 1 ? s.len : PROXY_ADDR_MAX - 1;
    memcpy(out, s.ptr, n);
    out[n] = '\0';
    return out;
}

const char *proxy_client_address(const proxy_list_t *l, str_t peer, proxy_forwarded_t forwarded,
                                 char out[PROXY_ADDR_MAX])
{
    str_t client = peer;
    if (!proxy_list_contains(l, peer))
        return copy_out(client, out);
    /* Right to left over the header lines, and over each line's entries. */
    for (size_t k = forwarded.n; k-- > 0;) {
        str_t line = forwarded.lines[k];
        size_t end = line.len;
        while (end > 0) {
            size_t start = end;
            while (start > 0 && line.ptr[start - 1] != ',')
                start--;
            str_t entry = str_trim((str_t){line.ptr + start, end - start});
            end = start > 0 ? start - 1 : 0;
            if (entry.len == 0 && start > 0)
                continue; /* "a,,b" */
            unsigned char a[16];
            bool v4;
            if (!parse_address(entry, a, &v4))
                return copy_out(client, out);
            client = entry;
            if (!proxy_list_contains(l, entry))
                return copy_out(client, out);
            if (start == 0)
                break;
        }
    }
    return copy_out(client, out);
}
