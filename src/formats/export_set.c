/* export_set.c — a set of strings, so a blocklist or dataset never lists a
 * value twice however many events report it. Open addressing on a 64-bit
 * hash kept beside each slot; grows at half full. */
#include "export_int.h"

#include <stdlib.h>
#include <string.h>

void kz_strset_free(kz_strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    free(s->hash);
    memset(s, 0, sizeof *s);
}

static int grow(kz_strset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    char **slot = calloc(cap, sizeof *slot);
    uint64_t *hash = calloc(cap, sizeof *hash);
    if (!slot || !hash) {
        free(slot);
        free(hash);
        return KZ_E_NOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slot[i])
            continue;
        size_t j = s->hash[i] & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = s->slot[i];
        hash[j] = s->hash[i];
    }
    free(s->slot);
    free(s->hash);
    s->slot = slot;
    s->hash = hash;
    s->cap = cap;
    return 0;
}

int kz_strset_add(kz_strset *s, const char *v, size_t n)
{
    if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
        return KZ_E_NOMEM;
    uint64_t h = kz_hash64(v, n);
    size_t j = h & (s->cap - 1);
    while (s->slot[j]) {
        if (s->hash[j] == h && strlen(s->slot[j]) == n && memcmp(s->slot[j], v, n) == 0)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return KZ_E_NOMEM;
    memcpy(copy, v, n);
    copy[n] = 0;
    s->slot[j] = copy;
    s->hash[j] = h;
    s->n++;
    return 1;
}
