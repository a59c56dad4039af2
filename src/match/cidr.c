/* cidr.c — every listed network that contains an address, not only the
 * longest: a sweep must report each indicator (and each warninglist) whose
 * network covers the address, and nested listings (/8, /16, /24 from
 * different reports) are common.
 *
 * Listed networks form a forest: two networks either nest or are disjoint.
 * Sorted by (first address, prefix length), the networks containing an
 * address A are exactly N, the last network starting at or before A, if it
 * contains A, and the ancestors of N that contain A: any network M holding A
 * starts at or before A, so it sorts before N or is N; M then holds N's
 * first address, and as M cannot be nested inside N (it would sort after
 * it), N lies inside M. A lookup is one binary search plus a walk up the
 * parent links, at most one step per prefix length. A sorted array keeps
 * the structure compact and cache-friendly for the few thousand networks
 * that intelligence and warninglists list.
 */
#include "match_int.h"

#include <stdlib.h>
#include <string.h>

static void mask128(int prefix, uint64_t *mh, uint64_t *ml)
{
    *mh = prefix <= 0 ? 0 : prefix >= 64 ? UINT64_MAX : UINT64_MAX << (64 - prefix);
    *ml = prefix <= 64 ? 0 : prefix >= 128 ? UINT64_MAX : UINT64_MAX << (128 - prefix);
}

static bool holds(const kz_mnet *n, uint64_t hi, uint64_t lo)
{
    uint64_t mh, ml;
    mask128(n->prefix, &mh, &ml);
    return (hi & mh) == n->hi && (lo & ml) == n->lo;
}

int kz_mcidr_add_net(kz_mcidr *c, const kz_ip *net, int prefix128, uint32_t val)
{
    if (prefix128 < 0 || prefix128 > 128)
        return KZ_E_VALUE;
    if (c->npend == c->pendcap) {
        size_t nc = c->pendcap ? c->pendcap * 2 : 64;
        if (nc > UINT32_MAX)
            return KZ_E_TOOLARGE;
        kz_mcidr_add *p = realloc(c->pend, nc * sizeof *p);
        if (!p)
            return KZ_E_NOMEM;
        c->pend = p;
        c->pendcap = nc;
    }
    uint64_t hi, lo, mh, ml;
    kz_mip_split(net->b, &hi, &lo);
    mask128(prefix128, &mh, &ml);
    c->pend[c->npend++] =
        (kz_mcidr_add){.hi = hi & mh, .lo = lo & ml, .val = val, .prefix = (uint8_t)prefix128};
    return KZ_OK;
}

static int cmp_add(const void *pa, const void *pb)
{
    const kz_mcidr_add *a = pa, *b = pb;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    /* values are added in increasing order: keep that order in postings */
    return a->val < b->val ? -1 : a->val > b->val;
}

static bool same_net(const kz_mcidr_add *a, const kz_mcidr_add *b)
{
    return a->hi == b->hi && a->lo == b->lo && a->prefix == b->prefix;
}

int kz_mcidr_finish(kz_mcidr *c)
{
    if (c->npend == 0)
        goto done;
    qsort(c->pend, c->npend, sizeof *c->pend, cmp_add);
    size_t nnet = 0, nmulti = 0;
    for (size_t i = 0; i < c->npend; i++) {
        if (i == 0 || !same_net(&c->pend[i - 1], &c->pend[i]))
            nnet++;
        else
            nmulti++;
    }
    kz_mnet *net = calloc(nnet, sizeof *net);
    uint32_t *post = nmulti ? calloc(nmulti + nnet, sizeof *post) : NULL;
    uint32_t *stack = calloc(nnet, sizeof *stack);
    if (!net || (nmulti && !post) || !stack) {
        free(net);
        free(post);
        free(stack);
        return KZ_E_NOMEM;
    }
    size_t n = 0, np = 0, depth = 0;
    for (size_t i = 0; i < c->npend;) {
        size_t j = i + 1;
        while (j < c->npend && same_net(&c->pend[i], &c->pend[j]))
            j++;
        kz_mnet *m = &net[n];
        m->hi = c->pend[i].hi;
        m->lo = c->pend[i].lo;
        m->prefix = c->pend[i].prefix;
        m->v4 = m->prefix >= 96 && m->hi == 0 && (m->lo >> 32) == 0xffff;
        m->count = (uint32_t)(j - i);
        if (j - i == 1) {
            m->post = c->pend[i].val;
        } else {
            m->post = (uint32_t)np;
            for (size_t k = i; k < j; k++)
                post[np++] = c->pend[k].val;
        }
        /* the stack holds the chain of networks enclosing the previous one */
        while (depth && !(net[stack[depth - 1]].prefix <= m->prefix &&
                          holds(&net[stack[depth - 1]], m->hi, m->lo)))
            depth--;
        m->parent = depth ? stack[depth - 1] : KZ_M_NONE;
        stack[depth++] = (uint32_t)n;
        n++;
        i = j;
    }
    free(stack);
    free(c->pend);
    c->pend = NULL;
    c->npend = c->pendcap = 0;
    c->net = net;
    c->n = n;
    c->post = post;
    c->npost = np;
done:
    return KZ_OK;
}

void kz_mcidr_walk(const kz_mcidr *c, const uint8_t a[16], int max_prefix, kz_mcidr_fn fn,
                   void *ctx)
{
    if (c->n == 0)
        return;
    uint64_t hi, lo;
    kz_mip_split(a, &hi, &lo);
    bool v4 = kz_mip_is_v4(a);
    /* the last network whose first address is <= a */
    size_t l = 0, r = c->n;
    while (l < r) {
        size_t m = l + (r - l) / 2;
        const kz_mnet *x = &c->net[m];
        if (x->hi < hi || (x->hi == hi && x->lo <= lo))
            l = m + 1;
        else
            r = m;
    }
    if (l == 0)
        return;
    for (uint32_t i = (uint32_t)(l - 1); i != KZ_M_NONE; i = c->net[i].parent) {
        const kz_mnet *x = &c->net[i];
        if (x->v4 != v4 || x->prefix > max_prefix || !holds(x, hi, lo))
            continue;
        if (!fn(ctx, x, kz_mpost_vals(c->post, &x->post, x->count)))
            return;
    }
}

void kz_mcidr_free(kz_mcidr *c)
{
    free(c->net);
    free(c->post);
    free(c->pend);
    memset(c, 0, sizeof *c);
}
