/* sweep_filter.c — a small summary of the index that a sweep asks first, so
 * that the common case, a value that is not listed, costs a few cache hits
 * instead of a trip to main memory.
 *
 * The index's string table for 1.6M indicators is tens of megabytes: every
 * probe of it misses the caches (and usually the TLB), and a log line asks
 * for several (each parent of a name, the URL, ip:port). The filter keeps
 * 16 bits per key in a blocked Bloom filter (one 64-byte block per key,
 * three bits in it): a few megabytes that stay in the last-level cache,
 * with about half a percent of false positives, which then simply ask the
 * index. It also holds the hosts of listed URLs, so a URL is normalised
 * only when its host has a listed URL at all, a bitmap of the IPv4 /20
 * blocks that hold a listed address or overlap a listed network, and one of
 * the /20 blocks of the addresses in listed ip:port pairs (every log line
 * asks for its responder's pair).
 *
 * The filter only ever says "certainly not" or "ask the index": a hit is
 * always decided by the index itself.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sweep_int.h"

#include <stdlib.h>
#include <string.h>

#define BITS_PER_KEY 16
#define V4_BLOCK_BITS 20 /* a bit per /20 */

uint64_t kz_sw_fhash(uint8_t ns, const char *s, size_t n)
{
    return XXH3_64bits_withSeed(s, n, 0x51ED270B27E3A6D1ULL ^ ((uint64_t)ns << 40));
}

static void add(kz_sw_filter *f, uint64_t h)
{
    uint64_t *b = f->bits + ((h >> 40) & (f->nblocks - 1)) * 8;
    for (int k = 0; k < 3; k++) {
        unsigned bit = (unsigned)(h >> (9 * k)) & 511;
        b[bit >> 6] |= 1ULL << (bit & 63);
    }
}

void kz_sw_filter_prefetch(const kz_sw_filter *f, uint64_t h)
{
    if (f->bits)
        __builtin_prefetch(f->bits + ((h >> 40) & (f->nblocks - 1)) * 8);
}

bool kz_sw_filter_maybe(const kz_sw_filter *f, uint64_t h)
{
    if (!f->bits)
        return true;
    const uint64_t *b = f->bits + ((h >> 40) & (f->nblocks - 1)) * 8;
    for (int k = 0; k < 3; k++) {
        unsigned bit = (unsigned)(h >> (9 * k)) & 511;
        if (!(b[bit >> 6] & (1ULL << (bit & 63))))
            return false;
    }
    return true;
}

static void v4_range(kz_sw_filter *f, uint32_t first, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        uint32_t k = first + i;
        f->v4[k >> 6] |= 1ULL << (k & 63);
    }
}

int kz_sw_filter_build(kz_sw_filter *f, const kz_match_index *idx)
{
    memset(f, 0, sizeof *f);
    size_t keys = idx->str.used;
    const char *pool = idx->pool.p;
    for (size_t i = 0; idx->str.slot && i <= idx->str.mask; i++) /* URL hosts */
        if (idx->str.slot[i].count && (uint8_t)pool[idx->str.slot[i].key] == KZ_IOC_URL)
            keys++;
    size_t nb = 1;
    while (nb * 512 < keys * BITS_PER_KEY)
        nb *= 2;
    f->bits = calloc(nb * 8, sizeof *f->bits);
    f->v4 = calloc(((size_t)1 << V4_BLOCK_BITS) / 64, sizeof *f->v4);
    f->v4port = calloc(((size_t)1 << V4_BLOCK_BITS) / 64, sizeof *f->v4port);
    if (!f->bits || !f->v4 || !f->v4port) {
        kz_sw_filter_free(f);
        return KZ_E_NOMEM;
    }
    f->nblocks = nb;
    for (size_t i = 0; idx->str.slot && i <= idx->str.mask; i++) {
        const kz_mstr_slot *sl = &idx->str.slot[i];
        if (!sl->count)
            continue;
        uint8_t ns = (uint8_t)pool[sl->key];
        const char *s = pool + sl->key + 1;
        add(f, kz_sw_fhash(ns, s, sl->len));
        uint8_t a[16];
        const char *colon = ns == KZ_IOC_IP_PORT ? memrchr(s, ':', sl->len) : NULL;
        if (colon && kz_sw_parse_ip4(s, (size_t)(colon - s), a)) {
            uint32_t k = ((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8) >>
                         (32 - V4_BLOCK_BITS);
            f->v4port[k >> 6] |= 1ULL << (k & 63);
        } else if (colon) {
            f->v6port = true;
        }
        if (ns == KZ_IOC_URL) {
            char host[256];
            if (kz_url_host(s, host, sizeof host))
                add(f, kz_sw_fhash(KZ_SW_NS_URL_HOST, host, strlen(host)));
        }
    }
    for (size_t i = 0; idx->ip.slot && i <= idx->ip.mask; i++) {
        const kz_mip_slot *sl = &idx->ip.slot[i];
        if (sl->count && kz_mip_is_v4(sl->a))
            v4_range(f, ((uint32_t)sl->a[12] << 24 | (uint32_t)sl->a[13] << 16 |
                         (uint32_t)sl->a[14] << 8) >> (32 - V4_BLOCK_BITS),
                     1);
    }
    for (size_t i = 0; i < idx->cidr.n; i++) {
        const kz_mnet *m = &idx->cidr.net[i];
        if (!m->v4)
            continue;
        int p4 = m->prefix - 96;
        uint32_t first = (uint32_t)m->lo >> (32 - V4_BLOCK_BITS);
        v4_range(f, first, p4 >= V4_BLOCK_BITS ? 1 : 1u << (V4_BLOCK_BITS - p4));
    }
    return KZ_OK;
}

bool kz_sw_filter_v4(const kz_sw_filter *f, const uint8_t a[16])
{
    if (!f->v4)
        return true;
    uint32_t k = ((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8) >>
                 (32 - V4_BLOCK_BITS);
    return (f->v4[k >> 6] >> (k & 63)) & 1;
}

bool kz_sw_filter_v4port(const kz_sw_filter *f, const uint8_t a[16])
{
    if (!f->v4port)
        return true;
    uint32_t k = ((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8) >>
                 (32 - V4_BLOCK_BITS);
    return (f->v4port[k >> 6] >> (k & 63)) & 1;
}

void kz_sw_filter_free(kz_sw_filter *f)
{
    free(f->bits);
    free(f->v4port);
    free(f->v4);
    memset(f, 0, sizeof *f);
}
