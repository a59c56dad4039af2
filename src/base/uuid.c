/* uuid.c — v4 (random, libsodium) for new objects and v5 (name-based) for
 * deterministic ids such as STIX cyber-observables. */
#include "base.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <nettle/sha1.h>

static void format_uuid(const uint8_t b[16], kz_uuid out)
{
    static const char hex[] = "0123456789abcdef";
    int j = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[j++] = '-';
        out[j++] = hex[b[i] >> 4];
        out[j++] = hex[b[i] & 15];
    }
    out[j] = '\0';
}

static bool parse_uuid(const char *s, uint8_t b[16])
{
    if (!kz_uuid_valid(s))
        return false;
    char hex[33];
    int j = 0;
    for (int i = 0; i < KZ_UUID_STRLEN; i++)
        if (s[i] != '-')
            hex[j++] = (char)tolower((unsigned char)s[i]);
    hex[32] = '\0';
    return kz_hex_decode(hex, b, 16);
}

void kz_uuid_v4(kz_uuid out)
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    format_uuid(b, out);
}

void kz_uuid_v7(kz_uuid out)
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    kz_time us = kz_time_now();
    uint64_t ms = (uint64_t)(us / 1000);
    /* RFC 9562 §6.2 method 3: the 12 bits of rand_a carry the sub-millisecond
     * fraction, so ids minted in one millisecond still sort by time. */
    unsigned frac = (unsigned)((us % 1000) * 4096 / 1000);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (frac >> 8));
    b[7] = (uint8_t)(frac & 0xff);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    format_uuid(b, out);
}

int kz_uuid_v5(const char *ns, const void *name, size_t n, kz_uuid out)
{
    uint8_t nsb[16], digest[20];
    if (!parse_uuid(ns, nsb))
        return KZ_E_INVALID;
    /* SHA-1 comes from nettle (already under libmicrohttpd's GnuTLS); libsodium
     * deliberately has none, and RFC 4122 v5 needs exactly SHA-1. */
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, 16, nsb);
    sha1_update(&c, n, name);
    sha1_digest(&c, SHA1_DIGEST_SIZE, digest);
    digest[6] = (uint8_t)((digest[6] & 0x0f) | 0x50);
    digest[8] = (uint8_t)((digest[8] & 0x3f) | 0x80);
    format_uuid(digest, out);
    return KZ_OK;
}

bool kz_uuid_valid(const char *s)
{
    if (!s || strlen(s) != KZ_UUID_STRLEN)
        return false;
    for (int i = 0; i < KZ_UUID_STRLEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool kz_uuid_normalize(const char *s, kz_uuid out)
{
    if (!kz_uuid_valid(s))
        return false;
    for (int i = 0; i <= KZ_UUID_STRLEN; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    return true;
}
