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

void kz_uuid7_next(kz_uuid7_gen *g, kz_uuid out)
{
    if (g->used == 0 || g->used + 6 > sizeof g->pool) {
        randombytes_buf(g->pool, sizeof g->pool);
        g->used = 1; /* 0 means "never filled" */
    }
    int64_t ms = kz_time_now() / 1000;
    if (ms > g->last_ms) {
        g->last_ms = ms;
        /* A random start in the low quarter leaves room to count. */
        g->counter = (uint32_t)(g->pool[g->used] & 0x0f) << 24;
    } else if (++g->counter >= (1u << 30)) { /* counter full: borrow the next millisecond */
        g->last_ms++;
        g->counter = 0;
    }
    uint8_t b[16];
    int64_t t = g->last_ms;
    for (int i = 5; i >= 0; i--, t >>= 8)
        b[i] = (uint8_t)t;
    /* version 7, 12 counter bits | variant 10, 18 counter bits, 44 random */
    b[6] = (uint8_t)(0x70 | ((g->counter >> 26) & 0x0f));
    b[7] = (uint8_t)(g->counter >> 18);
    b[8] = (uint8_t)(0x80 | ((g->counter >> 12) & 0x3f));
    b[9] = (uint8_t)(g->counter >> 4);
    b[10] = (uint8_t)((g->counter << 4) | (g->pool[g->used] & 0x0f));
    memcpy(b + 11, g->pool + g->used + 1, 5);
    g->used += 6;
    format_uuid(b, out);
}

void kz_uuid_v7(kz_uuid out)
{
    static _Thread_local kz_uuid7_gen gen;
    kz_uuid7_next(&gen, out);
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
