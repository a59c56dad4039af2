/* iptab.c — exact addresses: open addressing with linear probing over
 * 24-byte slots keyed by the 16-byte address (IPv4 as ::ffff:a.b.c.d, so one
 * table holds both families). Same reasoning as strtab.c: load <= 0.7, XXH3
 * with a random per-table seed, the key compared in the slot itself.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "match_int.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 64

static inline uint64_t ip_hash(const kz_miptab *t, const uint8_t a[16])
{
    return XXH3_64bits_withSeed(a, 16, t->seed);
}

static int rehash(kz_miptab *t, size_t cap)
{
    kz_mip_slot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return KZ_E_NOMEM;
    size_t mask = cap - 1;
    for (size_t i = 0; t->slot && i <= t->mask; i++) {
        const kz_mip_slot *o = &t->slot[i];
        if (!o->count)
            continue;
        size_t j = ip_hash(t, o->a) & mask;
        while (ns[j].count)
            j = (j + 1) & mask;
        ns[j] = *o;
    }
    free(t->slot);
    t->slot = ns;
    t->mask = mask;
    return KZ_OK;
}

int kz_miptab_add(kz_miptab *t, kz_mnodes *nodes, const uint8_t a[16], uint32_t val)
{
    size_t cap = t->slot ? t->mask + 1 : 0;
    if ((t->used + 1) * 10 > cap * 7) {
        size_t nc = cap ? cap * 2 : MIN_CAP;
        if (nc > (size_t)UINT32_MAX + 1)
            return KZ_E_TOOLARGE;
        int rc = rehash(t, nc);
        if (rc < 0)
            return rc;
    }
    size_t j = ip_hash(t, a) & t->mask;
    while (t->slot[j].count) {
        kz_mip_slot *sl = &t->slot[j];
        if (memcmp(sl->a, a, 16) == 0) {
            if (sl->count == UINT32_MAX)
                return KZ_E_TOOLARGE;
            uint32_t node = kz_mnodes_push(nodes, val, sl->post);
            if (node == KZ_M_NONE)
                return KZ_E_NOMEM;
            sl->post = node;
            sl->count++;
            return KZ_OK;
        }
        j = (j + 1) & t->mask;
    }
    uint32_t node = kz_mnodes_push(nodes, val, KZ_M_NONE);
    if (node == KZ_M_NONE)
        return KZ_E_NOMEM;
    kz_mip_slot *sl = &t->slot[j];
    memcpy(sl->a, a, 16);
    sl->post = node;
    sl->count = 1;
    t->used++;
    return KZ_OK;
}

int kz_miptab_finish(kz_miptab *t, const kz_mnodes *nodes)
{
    for (size_t i = 0; t->slot && i <= t->mask; i++) {
        kz_mip_slot *sl = &t->slot[i];
        if (!sl->count)
            continue;
        int rc = kz_mpost_flatten(nodes, &sl->post, sl->count, &t->post, &t->npost, &t->postcap);
        if (rc < 0)
            return rc;
    }
    return KZ_OK;
}

const kz_mip_slot *kz_miptab_find(const kz_miptab *t, const uint8_t a[16])
{
    if (!t->slot)
        return NULL;
    size_t j = ip_hash(t, a) & t->mask;
    while (t->slot[j].count) {
        if (memcmp(t->slot[j].a, a, 16) == 0)
            return &t->slot[j];
        j = (j + 1) & t->mask;
    }
    return NULL;
}

void kz_miptab_free(kz_miptab *t)
{
    free(t->slot);
    free(t->post);
    memset(t, 0, sizeof *t);
}
