/* credentials.c — API keys and passwords. Keys are 32 random bytes shown once
 * as "kz_" + base64url; the node keeps only a BLAKE2b hash keyed with the node
 * secret, so a stolen database yields no usable key and cannot be brute-forced
 * offline without the secret. Passwords use argon2id (libsodium's
 * crypto_pwhash_str), whose string carries its own salt and parameters. */
#include "model.h"

#include <sodium.h>
#include <string.h>

#define KEY_PREFIX "kz_"
#define KEY_PREFIX_LEN 3
#define KEY_RAW 32
#define KEY_B64_LEN (KZ_KEY_TEXT_LEN - KEY_PREFIX_LEN) /* 43 */
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

static void key_digest(const uint8_t secret[32], const uint8_t raw[KEY_RAW], uint8_t hash[32])
{
    crypto_generichash(hash, 32, raw, KEY_RAW, secret, 32);
}

int kz_key_generate(const uint8_t secret[32], char text[KZ_KEY_TEXT_LEN + 1], uint8_t hash[32])
{
    uint8_t raw[KEY_RAW];
    randombytes_buf(raw, sizeof raw);
    memcpy(text, KEY_PREFIX, KEY_PREFIX_LEN);
    sodium_bin2base64(text + KEY_PREFIX_LEN, KEY_B64_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    key_digest(secret, raw, hash);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

static bool b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int kz_key_hash(const uint8_t secret[32], const char *text, uint8_t hash[32], kz_err *err)
{
    /* The message never quotes the input: a near-miss key is still a secret. */
    if (!text || strnlen(text, KZ_KEY_TEXT_LEN + 1) != KZ_KEY_TEXT_LEN ||
        memcmp(text, KEY_PREFIX, KEY_PREFIX_LEN) != 0)
        return kz_fail(err, KZ_E_UNAUTH, "", "malformed API key");
    for (size_t i = KEY_PREFIX_LEN; i < KZ_KEY_TEXT_LEN; i++)
        if (!b64url_char(text[i]))
            return kz_fail(err, KZ_E_UNAUTH, "", "malformed API key");
    uint8_t raw[KEY_RAW];
    size_t got = 0;
    const char *end = NULL;
    /* libsodium also refuses non-zero trailing bits, so each key has exactly
     * one accepted spelling. */
    if (sodium_base642bin(raw, sizeof raw, text + KEY_PREFIX_LEN, KEY_B64_LEN, NULL, &got, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got != KEY_RAW || end != text + KZ_KEY_TEXT_LEN) {
        sodium_memzero(raw, sizeof raw);
        return kz_fail(err, KZ_E_UNAUTH, "", "malformed API key");
    }
    key_digest(secret, raw, hash);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

int kz_password_hash(const char *password, kz_arena *a, char **out, kz_err *err)
{
    size_t n = password ? strnlen(password, PASSWORD_MAX + 1) : 0;
    if (n < PASSWORD_MIN || n > PASSWORD_MAX)
        return kz_fail(err, KZ_E_VALUE, "password", "password must be %d to %d bytes long", PASSWORD_MIN,
                       PASSWORD_MAX);
    if (!kz_utf8_valid(password, n))
        return kz_fail(err, KZ_E_VALUE, "password", "password is not valid UTF-8");
    char str[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(str, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory while hashing the password");
    *out = kz_arena_strdup(a, str);
    sodium_memzero(str, sizeof str);
    if (!*out)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

bool kz_password_verify(const char *hash, const char *password)
{
    if (!hash || !password)
        return false;
    size_t n = strnlen(password, PASSWORD_MAX + 1);
    if (n > PASSWORD_MAX || strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
        return false;
    return crypto_pwhash_str_verify(hash, password, n) == 0;
}
