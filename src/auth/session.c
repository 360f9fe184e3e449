#include "auth/session.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/bytes.h"

#define PAYLOAD_LEN 40
#define MAC_LEN crypto_auth_hmacsha256_BYTES
#define TOKEN_BYTES (PAYLOAD_LEN + MAC_LEN)
#define TOKEN_VERSION 1

static int write_keys(const char *path, const session_keys_t *k, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# Cartable session keys: the first signs new sessions, every one verifies.\n"
               "# Rotate with `cartable keys rotate`; share this file between the nodes of one site.\n");
    for (unsigned i = 0; i < k->n; i++) {
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, k->keys[i], 32);
        fprintf(f, "%u %s\n", k->ids[i], hex);
    }
    if (fflush(f) != 0 || fsync(fd) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int read_keys(const char *path, session_keys_t *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 1 : (snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)), -1);
    memset(out, 0, sizeof *out);
    char line[256];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        unsigned id;
        char hex[80];
        size_t bin_len;
        if (sscanf(line, "%u %79s", &id, hex) != 2 || id == 0 || id > 255 || out->n == SESSION_MAX_KEYS ||
            sodium_hex2bin(out->keys[out->n], 32, hex, strlen(hex), NULL, &bin_len, NULL) != 0 || bin_len != 32) {
            fclose(f);
            snprintf(err, errlen, "%s:%d: expected \"id hex-key\" (at most %d keys)", path, lineno, SESSION_MAX_KEYS);
            return -1;
        }
        out->ids[out->n++] = (uint8_t)id;
    }
    fclose(f);
    if (out->n == 0) {
        snprintf(err, errlen, "%s holds no key", path);
        return -1;
    }
    return 0;
}

int session_keys_load(const char *path, session_keys_t *out, char *err, size_t errlen)
{
    int rc = read_keys(path, out, err, errlen);
    if (rc <= 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->n = 1;
    out->ids[0] = 1;
    randombytes_buf(out->keys[0], 32);
    return write_keys(path, out, err, errlen);
}

int session_keys_rotate(const char *path, char *err, size_t errlen)
{
    session_keys_t k;
    if (session_keys_load(path, &k, err, errlen) != 0)
        return -1;
    uint8_t next = k.ids[0] == 255 ? 1 : (uint8_t)(k.ids[0] + 1);
    unsigned keep = k.n < SESSION_MAX_KEYS ? k.n : SESSION_MAX_KEYS - 1;
    memmove(&k.ids[1], &k.ids[0], keep);
    memmove(&k.keys[1], &k.keys[0], keep * 32u);
    k.ids[0] = next;
    randombytes_buf(k.keys[0], 32);
    k.n = keep + 1;
    return write_keys(path, &k, err, errlen);
}

void session_new(session_t *s, int64_t person_id, uint32_t epoch, bool remember, int64_t now, int64_t lifetime)
{
    memset(s, 0, sizeof *s);
    s->person_id = person_id;
    s->epoch = epoch;
    s->issued_at = now;
    s->expires_at = now + lifetime;
    s->remember = remember;
    do
        randombytes_buf(&s->sid, sizeof s->sid);
    while (s->sid == 0);
}

void session_encode(const session_keys_t *keys, session_t *s, char out[SESSION_TOKEN_LEN + 1])
{
    unsigned char t[TOKEN_BYTES];
    s->key_id = keys->ids[0];
    t[0] = TOKEN_VERSION;
    t[1] = s->key_id;
    t[2] = s->remember ? 1 : 0;
    t[3] = 0;
    t[4] = (unsigned char)s->epoch;
    t[5] = (unsigned char)(s->epoch >> 8);
    t[6] = (unsigned char)(s->epoch >> 16);
    t[7] = (unsigned char)(s->epoch >> 24);
    le64_put(t + 8, (uint64_t)s->person_id);
    le64_put(t + 16, (uint64_t)s->issued_at);
    le64_put(t + 24, (uint64_t)s->expires_at);
    le64_put(t + 32, s->sid);
    crypto_auth_hmacsha256(t + PAYLOAD_LEN, t, PAYLOAD_LEN, keys->keys[0]);
    sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, t, TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

const unsigned char *session_key_for(const session_keys_t *keys, uint8_t id)
{
    for (unsigned i = 0; i < keys->n; i++)
        if (keys->ids[i] == id)
            return keys->keys[i];
    return NULL;
}

session_status_t session_decode(const session_keys_t *keys, str_t token, int64_t now, session_t *out)
{
    if (token.len != SESSION_TOKEN_LEN)
        return SESSION_MALFORMED;
    unsigned char t[TOKEN_BYTES];
    size_t n;
    if (sodium_base642bin(t, sizeof t, token.ptr, token.len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != TOKEN_BYTES || t[0] != TOKEN_VERSION)
        return SESSION_MALFORMED;
    const unsigned char *key = session_key_for(keys, t[1]);
    if (!key)
        return SESSION_UNKNOWN_KEY;
    if (crypto_auth_hmacsha256_verify(t + PAYLOAD_LEN, t, PAYLOAD_LEN, key) != 0)
        return SESSION_BAD_SIGNATURE;
    session_t s;
    s.key_id = t[1];
    s.remember = (t[2] & 1) != 0;
    s.epoch = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
    s.person_id = (int64_t)le64_get(t + 8);
    s.issued_at = (int64_t)le64_get(t + 16);
    s.expires_at = (int64_t)le64_get(t + 24);
    s.sid = le64_get(t + 32);
    /* Signed but not yet valid or already over: issued in the future (beyond a
     * minute of clock skew between nodes) counts as expired too. */
    if (now >= s.expires_at || s.issued_at > now + 60 || s.sid == 0 || s.person_id <= 0)
        return SESSION_EXPIRED;
    *out = s;
    return SESSION_VALID;
}

void session_csrf(const session_keys_t *keys, const session_t *s, char out[CSRF_TOKEN_LEN + 1])
{
    const unsigned char *key = session_key_for(keys, s->key_id);
    if (!key)
        key = keys->keys[0];
    unsigned char msg[12] = {'c', 's', 'r', 'f'};
    le64_put(msg + 4, s->sid);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, msg, sizeof msg, key);
    sodium_bin2base64(out, CSRF_TOKEN_LEN + 1, mac, 16, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void csrf_random(char out[CSRF_TOKEN_LEN + 1])
{
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    sodium_bin2base64(out, CSRF_TOKEN_LEN + 1, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool csrf_equal(str_t a, str_t b)
{
    if (a.len != CSRF_TOKEN_LEN || b.len != CSRF_TOKEN_LEN)
        return false;
    return sodium_memcmp(a.ptr, b.ptr, CSRF_TOKEN_LEN) == 0;
}
