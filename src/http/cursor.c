/* cursor.c — the opaque page cursors of list and search. A cursor is the
 * keyset position of the last row a page examined, so pages stay right while
 * rows are added. That row may be one the caller cannot see (the page ended
 * on it while the ACL filtered), so a cursor in clear text would leak hidden
 * event ids and row sequences: each is sealed with crypto_secretbox (XSalsa20
 * + Poly1305, a random nonce) under a key derived from the node secret. A
 * cursor that does not open — tampered, truncated, from another node — is a
 * 400, never a query with garbage in it.
 *
 * Inside the box, big-endian: 'E' modified(8) uuid(16) for event lists,
 * 'S' seq(8) for search, 'G' time(8) seq(8) for sightings. Outside:
 * base64url(nonce || box), 66 to 87 characters.
 */
#include "http_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define RAW_MAX 32
#define SEALED_MAX (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + RAW_MAX)

void kz_cursor_key(const uint8_t secret[32], uint8_t key[32])
{
    crypto_kdf_derive_from_key(key, 32, 1, "kzcursor", secret);
}

static void put64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        p[i] = (uint8_t)u;
}

static int64_t get64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | p[i];
    return (int64_t)u;
}

static char *seal(kz_req *r, const uint8_t *raw, size_t n)
{
    unsigned char box[SEALED_MAX];
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, raw, n, box, r->srv->cursor_key);
    size_t bn = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    size_t cap = sodium_base64_ENCODED_LEN(bn, B64);
    char *out = kz_arena_alloc(&r->arena, cap);
    if (out)
        sodium_bin2base64(out, cap, box, bn, B64);
    return out;
}

/* Opens s into raw; fails unless it is one of ours, of this kind and size. */
static int unseal(kz_req *r, const char *s, uint8_t kind, uint8_t *raw, size_t n,
                  const char *what)
{
    unsigned char box[SEALED_MAX];
    size_t bn = 0, in = strlen(s);
    if (n <= RAW_MAX && in <= sodium_base64_ENCODED_LEN(SEALED_MAX, B64) &&
        sodium_base642bin(box, sizeof box, s, in, NULL, &bn, NULL, B64) == 0 &&
        bn == crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n &&
        crypto_secretbox_open_easy(raw, box + crypto_secretbox_NONCEBYTES,
                                   bn - crypto_secretbox_NONCEBYTES, box,
                                   r->srv->cursor_key) == 0 &&
        raw[0] == kind)
        return 0;
    return kz_fail(&r->err, KZ_E_INVALID, "cursor",
                   "invalid cursor: not %s cursor this node handed out; start again without it",
                   what);
}

char *kz_cursor_encode_event(kz_req *r, kz_time modified, const char *id)
{
    uint8_t raw[25] = {'E'};
    put64(raw + 1, modified);
    char hex[33];
    size_t k = 0;
    for (const char *p = id; *p && k < 32; p++)
        if (*p != '-')
            hex[k++] = *p;
    hex[k] = 0;
    if (k != 32 || !kz_hex_decode(hex, raw + 9, 16))
        return NULL;
    return seal(r, raw, sizeof raw);
}

int kz_cursor_decode_event(kz_req *r, const char *s, kz_time *modified, kz_uuid id)
{
    uint8_t raw[25];
    if (unseal(r, s, 'E', raw, sizeof raw, "an event-list") < 0)
        return KZ_E_INVALID;
    *modified = get64(raw + 1);
    char hex[33];
    kz_hex_encode(raw + 9, 16, hex);
    snprintf(id, sizeof(kz_uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    return 0;
}

char *kz_cursor_encode_seq(kz_req *r, int64_t seq)
{
    uint8_t raw[9] = {'S'};
    put64(raw + 1, seq);
    return seal(r, raw, sizeof raw);
}

int kz_cursor_decode_seq(kz_req *r, const char *s, int64_t *seq)
{
    uint8_t raw[9];
    if (unseal(r, s, 'S', raw, sizeof raw, "a search") < 0)
        return KZ_E_INVALID;
    *seq = get64(raw + 1);
    return 0;
}

char *kz_cursor_encode_sighting(kz_req *r, kz_time time, int64_t seq)
{
    uint8_t raw[17] = {'G'};
    put64(raw + 1, time);
    put64(raw + 9, seq);
    return seal(r, raw, sizeof raw);
}

int kz_cursor_decode_sighting(kz_req *r, const char *s, kz_time *time, int64_t *seq)
{
    uint8_t raw[17];
    if (unseal(r, s, 'G', raw, sizeof raw, "a sightings") < 0)
        return KZ_E_INVALID;
    *time = get64(raw + 1);
    *seq = get64(raw + 9);
    return 0;
}
