/* strtab.c — the string multimap: open addressing with linear probing over
 * 16-byte slots, keyed by a namespace byte and text (domains, URLs, hashes,
 * pairs, e-mail, file names all share one table, told apart by namespace).
 *
 * Linear probing because a sweep mostly misses: a miss scans a few adjacent
 * slots, usually one cache line, and the 16-bit tag plus the length reject
 * almost every wrong slot without reading the pool. The load stays at or
 * below 0.7. The hash is XXH3 with a per-table random seed, so values from a
 * hostile feed cannot be chosen to pile up in one probe run.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "match_int.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 64

uint64_t kz_mstr_hash(const kz_mstrtab *t, uint8_t ns, const char *s, size_t n)
{
    return XXH3_64bits_withSeed(s, n, t->seed + (uint64_t)ns * 0x9E3779B97F4A7C15ULL);
}

static bool key_eq(const kz_mstr_slot *sl, const char *pool, uint8_t ns, const char *s, size_t n,
                   uint16_t tag)
{
    return sl->tag == tag && sl->len == n && (uint8_t)pool[sl->key] == ns &&
           memcmp(pool + sl->key + 1, s, n) == 0;
}

static int rehash(kz_mstrtab *t, const char *pool, size_t cap)
{
    kz_mstr_slot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return KZ_E_NOMEM;
    size_t mask = cap - 1;
    for (size_t i = 0; t->slot && i <= t->mask; i++) {
        const kz_mstr_slot *o = &t->slot[i];
        if (!o->count)
            continue;
        uint64_t h = kz_mstr_hash(t, (uint8_t)pool[o->key], pool + o->key + 1, o->len);
        size_t j = h & mask;
        while (ns[j].count)
            j = (j + 1) & mask;
        ns[j] = *o;
    }
    free(t->slot);
    t->slot = ns;
    t->mask = mask;
    return KZ_OK;
}

int kz_mstrtab_add(kz_mstrtab *t, kz_mpool *pool, kz_mnodes *nodes, uint8_t ns, const char *s,
                   size_t n, uint32_t val, uint32_t *key)
{
    if (n > KZ_M_MAX_KEY)
        return KZ_E_TOOLARGE;
    size_t cap = t->slot ? t->mask + 1 : 0;
    if ((t->used + 1) * 10 > cap * 7) {
        size_t nc = cap ? cap * 2 : MIN_CAP;
        if (nc > (size_t)UINT32_MAX + 1)
            return KZ_E_TOOLARGE;
        int rc = rehash(t, pool->p, nc);
        if (rc < 0)
            return rc;
    }
    uint64_t h = kz_mstr_hash(t, ns, s, n);
    uint16_t tag = (uint16_t)(h >> 48);
    size_t j = h & t->mask;
    while (t->slot[j].count) {
        kz_mstr_slot *sl = &t->slot[j];
        if (key_eq(sl, pool->p, ns, s, n, tag)) {
            if (nodes) {
                uint32_t node = kz_mnodes_push(nodes, val, sl->post);
                if (node == KZ_M_NONE)
                    return KZ_E_NOMEM;
                if (sl->count == UINT32_MAX)
                    return KZ_E_TOOLARGE;
                sl->post = node;
                sl->count++;
            }
            *key = sl->key + 1;
            return KZ_OK;
        }
        j = (j + 1) & t->mask;
    }
    /* a new key: the namespace byte, then the text, in one pool string */
    uint32_t off;
    int rc = kz_mpool_add_ns(pool, ns, s, n, &off);
    if (rc < 0)
        return rc;
    uint32_t post = 0;
    if (nodes) {
        post = kz_mnodes_push(nodes, val, KZ_M_NONE);
        if (post == KZ_M_NONE)
            return KZ_E_NOMEM;
    }
    t->slot[j] =
        (kz_mstr_slot){.tag = tag, .len = (uint16_t)n, .key = off, .post = post, .count = 1};
    t->used++;
    *key = off + 1;
    return KZ_OK;
}

int kz_mstrtab_finish(kz_mstrtab *t, const kz_mnodes *nodes)
{
    if (!nodes)
        return KZ_OK;
    for (size_t i = 0; t->slot && i <= t->mask; i++) {
        kz_mstr_slot *sl = &t->slot[i];
        if (!sl->count)
            continue;
        int rc = kz_mpost_flatten(nodes, &sl->post, sl->count, &t->post, &t->npost, &t->postcap);
        if (rc < 0)
            return rc;
    }
    return KZ_OK;
}

const kz_mstr_slot *kz_mstrtab_find(const kz_mstrtab *t, const char *pool, uint8_t ns,
                                    const char *s, size_t n)
{
    if (!t->slot || n > KZ_M_MAX_KEY)
        return NULL;
    return kz_mstrtab_find_h(t, pool, ns, s, n, kz_mstr_hash(t, ns, s, n));
}

void kz_mstrtab_prefetch(const kz_mstrtab *t, uint64_t h)
{
    if (t->slot)
        __builtin_prefetch(&t->slot[h & t->mask]);
}

const kz_mstr_slot *kz_mstrtab_find_h(const kz_mstrtab *t, const char *pool, uint8_t ns,
                                      const char *s, size_t n, uint64_t h)
{
    if (!t->slot || n > KZ_M_MAX_KEY)
        return NULL;
    uint16_t tag = (uint16_t)(h >> 48);
    size_t j = h & t->mask;
    while (t->slot[j].count) {
        if (key_eq(&t->slot[j], pool, ns, s, n, tag))
            return &t->slot[j];
        j = (j + 1) & t->mask;
    }
    return NULL;
}

void kz_mstrtab_free(kz_mstrtab *t)
{
    free(t->slot);
    free(t->post);
    memset(t, 0, sizeof *t);
}
