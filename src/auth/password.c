#include "auth/password.h"

#include <string.h>

/* Crockford's base32: no I, L, O, U; read back, O counts as 0 and I or L as 1. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static char dummy_hash[PASSWORD_HASH_MAX];

int password_init(void)
{
    if (sodium_init() < 0)
        return -1;
    /* Once, at start-up, before any thread reads it. */
    char random_pw[33];
    randombytes_buf(random_pw, 32);
    for (int i = 0; i < 32; i++)
        random_pw[i] = alphabet[(unsigned char)random_pw[i] & 31];
    random_pw[32] = '\0';
    return password_hash(str_make(random_pw, 32), dummy_hash);
}

const char *password_dummy_hash(void)
{
    return dummy_hash;
}

password_problem_t password_check(str_t pw)
{
    if (pw.len < PASSWORD_MIN_BYTES)
        return PASSWORD_TOO_SHORT;
    if (pw.len > PASSWORD_MAX_BYTES)
        return PASSWORD_TOO_LONG;
    if (text_check(pw.ptr, pw.len) != TEXT_OK)
        return PASSWORD_BAD_TEXT;
    bool only_spaces = true;
    for (size_t i = 0; i < pw.len && only_spaces; i++)
        only_spaces = pw.ptr[i] == ' ';
    return only_spaces ? PASSWORD_TOO_SHORT : PASSWORD_OK;
}

int password_hash(str_t pw, char out[PASSWORD_HASH_MAX])
{
    return crypto_pwhash_str_alg(out, pw.ptr, pw.len, PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT,
                                 crypto_pwhash_ALG_ARGON2ID13) == 0
               ? 0
               : -1;
}

bool password_verify(const char *hash, str_t pw)
{
    if (!hash || pw.len > PASSWORD_MAX_BYTES)
        return false;
    return crypto_pwhash_str_verify(hash, pw.ptr, pw.len) == 0;
}

void activation_code_new(char out[ACTIVATION_CODE_LEN + 1])
{
    unsigned char bytes[12];
    randombytes_buf(bytes, sizeof bytes);
    int o = 0;
    for (int i = 0; i < 12; i++) {
        if (i == 4 || i == 8)
            out[o++] = '-';
        out[o++] = alphabet[bytes[i] & 31];
    }
    out[o] = '\0';
}

bool activation_code_hash(str_t typed, char out[ACTIVATION_HASH_LEN + 1])
{
    char norm[12];
    size_t n = 0;
    for (size_t i = 0; i < typed.len; i++) {
        char c = typed.ptr[i];
        if (c == ' ' || c == '-' || c == '\t')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c == 'O')
            c = '0';
        else if (c == 'I' || c == 'L')
            c = '1';
        if (!memchr(alphabet, c, sizeof alphabet - 1) || n == sizeof norm)
            return false;
        norm[n++] = c;
    }
    if (n != sizeof norm)
        return false;
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)norm, n, NULL, 0);
    sodium_bin2hex(out, ACTIVATION_HASH_LEN + 1, h, sizeof h);
    return true;
}
