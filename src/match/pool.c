/* pool.c — the memory shapes every table of the index is built from: one
 * string pool addressed by 32-bit offsets (half the size of pointers, and
 * the index can be moved as a block), and chains of values that become
 * contiguous postings when a table is finished.
 */
#include "match_int.h"

#include <stdlib.h>
#include <string.h>

#define POOL_MAX ((size_t)UINT32_MAX - 1)

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return KZ_OK;
    size_t nc = *cap ? *cap : first;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return KZ_E_NOMEM;
        nc *= 2;
    }
    void *q = realloc(*p, nc * elem);
    if (!q)
        return KZ_E_NOMEM;
    *p = q;
    *cap = nc;
    return KZ_OK;
}

int kz_mpool_add(kz_mpool *p, const void *s, size_t n, uint32_t *off)
{
    if (n > POOL_MAX || p->len > POOL_MAX - n - 1)
        return KZ_E_TOOLARGE;
    void *buf = p->p;
    int rc = grow(&buf, &p->cap, p->len + n + 1, 1, 4096);
    p->p = buf;
    if (rc < 0)
        return rc;
    if (n)
        memcpy(p->p + p->len, s, n);
    p->p[p->len + n] = '\0';
    *off = (uint32_t)p->len;
    p->len += n + 1;
    return KZ_OK;
}

int kz_mpool_add_ns(kz_mpool *p, uint8_t ns, const void *s, size_t n, uint32_t *off)
{
    if (n >= POOL_MAX || p->len > POOL_MAX - n - 2)
        return KZ_E_TOOLARGE;
    void *buf = p->p;
    int rc = grow(&buf, &p->cap, p->len + n + 2, 1, 4096);
    p->p = buf;
    if (rc < 0)
        return rc;
    p->p[p->len] = (char)ns;
    if (n)
        memcpy(p->p + p->len + 1, s, n);
    p->p[p->len + 1 + n] = '\0';
    *off = (uint32_t)p->len;
    p->len += n + 2;
    return KZ_OK;
}

void kz_mpool_free(kz_mpool *p)
{
    free(p->p);
    memset(p, 0, sizeof *p);
}

uint32_t kz_mnodes_push(kz_mnodes *ns, uint32_t val, uint32_t head)
{
    if (ns->n >= UINT32_MAX - 1)
        return KZ_M_NONE;
    void *buf = ns->v;
    if (grow(&buf, &ns->cap, ns->n + 1, sizeof *ns->v, 1024) < 0)
        return KZ_M_NONE;
    ns->v = buf;
    ns->v[ns->n] = (kz_mnode){.val = val, .next = head};
    return (uint32_t)ns->n++;
}

void kz_mnodes_free(kz_mnodes *ns)
{
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

int kz_mpost_flatten(const kz_mnodes *ns, uint32_t *post, uint32_t count, uint32_t **post_arr,
                     size_t *npost, size_t *cap)
{
    uint32_t node = *post;
    if (count == 1) {
        *post = ns->v[node].val;
        return KZ_OK;
    }
    if (*npost > UINT32_MAX - count)
        return KZ_E_TOOLARGE;
    void *buf = *post_arr;
    if (grow(&buf, cap, *npost + count, sizeof **post_arr, 256) < 0)
        return KZ_E_NOMEM;
    *post_arr = buf;
    uint32_t start = (uint32_t)*npost;
    /* the chain is newest first: fill from the back for insertion order */
    for (uint32_t i = count; i-- > 0;) {
        (*post_arr)[start + i] = ns->v[node].val;
        node = ns->v[node].next;
    }
    *npost += count;
    *post = start;
    return KZ_OK;
}
