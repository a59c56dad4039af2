/* aho.c — Aho-Corasick over bytes, for "substring" warninglists: one pass
 * over a value answers "does any of these 8,000 texts occur in it", where a
 * loop of memmem calls would cost one scan per pattern.
 *
 * The trie keeps its edges in one hash table keyed by (node, byte) instead of
 * 256-entry rows, so 100k nodes take a few MB rather than 100 MB; the root,
 * where a scan spends most of its time, has a dense row. Only "some pattern
 * ends here" is kept per node (with the failure links folded in), since the
 * lists only ask whether a value is on them.
 */
#include "match_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct edge {
    uint64_t key;   /* node << 8 | byte */
    uint32_t child; /* 0 = empty (the root is nobody's child) */
} edge;

struct kz_maho {
    uint32_t *fail, *first, *sibling;
    uint8_t *label, *term;
    size_t n, cap;
    edge *e;
    size_t emask, eused;
    uint32_t root[256];
    bool finished;
};

static inline uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static uint32_t edge_get(const kz_maho *a, uint32_t node, uint8_t c)
{
    if (node == 0 && a->finished)
        return a->root[c];
    if (!a->e)
        return 0;
    uint64_t key = (uint64_t)node << 8 | c;
    for (size_t j = mix(key) & a->emask;; j = (j + 1) & a->emask) {
        if (!a->e[j].child)
            return 0;
        if (a->e[j].key == key)
            return a->e[j].child;
    }
}

static int edge_put(kz_maho *a, uint32_t node, uint8_t c, uint32_t child)
{
    if ((a->eused + 1) * 2 > (a->e ? a->emask + 1 : 0)) {
        size_t nc = a->e ? (a->emask + 1) * 2 : 256;
        edge *ne = calloc(nc, sizeof *ne);
        if (!ne)
            return KZ_E_NOMEM;
        for (size_t i = 0; a->e && i <= a->emask; i++) {
            if (!a->e[i].child)
                continue;
            size_t j = mix(a->e[i].key) & (nc - 1);
            while (ne[j].child)
                j = (j + 1) & (nc - 1);
            ne[j] = a->e[i];
        }
        free(a->e);
        a->e = ne;
        a->emask = nc - 1;
    }
    uint64_t key = (uint64_t)node << 8 | c;
    size_t j = mix(key) & a->emask;
    while (a->e[j].child)
        j = (j + 1) & a->emask;
    a->e[j] = (edge){.key = key, .child = child};
    a->eused++;
    return KZ_OK;
}

static int new_node(kz_maho *a, uint32_t *out)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 256;
        if (nc >= (size_t)1 << 31)
            return KZ_E_TOOLARGE;
        uint32_t *f = realloc(a->fail, nc * sizeof *f);
        if (f)
            a->fail = f;
        uint32_t *fi = realloc(a->first, nc * sizeof *fi);
        if (fi)
            a->first = fi;
        uint32_t *s = realloc(a->sibling, nc * sizeof *s);
        if (s)
            a->sibling = s;
        uint8_t *l = realloc(a->label, nc);
        if (l)
            a->label = l;
        uint8_t *t = realloc(a->term, nc);
        if (t)
            a->term = t;
        if (!f || !fi || !s || !l || !t)
            return KZ_E_NOMEM;
        a->cap = nc;
    }
    uint32_t i = (uint32_t)a->n++;
    a->fail[i] = 0;
    a->first[i] = 0;
    a->sibling[i] = 0;
    a->label[i] = 0;
    a->term[i] = 0;
    *out = i;
    return KZ_OK;
}

kz_maho *kz_maho_new(void)
{
    kz_maho *a = calloc(1, sizeof *a);
    uint32_t root;
    if (a && new_node(a, &root) < 0) {
        kz_maho_free(a);
        return NULL;
    }
    return a;
}

int kz_maho_add(kz_maho *a, const char *pat, size_t n)
{
    if (a->finished)
        return KZ_E_INTERNAL;
    if (n == 0)
        return KZ_OK;
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)lower(pat[i]);
        uint32_t nx = edge_get(a, s, c);
        if (!nx) {
            int rc = new_node(a, &nx);
            if (rc < 0 || (rc = edge_put(a, s, c, nx)) < 0)
                return rc;
            a->label[nx] = c;
            a->sibling[nx] = a->first[s];
            a->first[s] = nx;
        }
        s = nx;
    }
    a->term[s] = 1;
    return KZ_OK;
}

int kz_maho_finish(kz_maho *a)
{
    uint32_t *queue = malloc(a->n * sizeof *queue);
    if (!queue)
        return KZ_E_NOMEM;
    size_t qh = 0, qt = 0;
    for (uint32_t v = a->first[0]; v; v = a->sibling[v]) {
        a->fail[v] = 0;
        queue[qt++] = v;
    }
    while (qh < qt) {
        uint32_t u = queue[qh++];
        for (uint32_t v = a->first[u]; v; v = a->sibling[v]) {
            uint8_t c = a->label[v];
            uint32_t f = a->fail[u], nx;
            while (!(nx = edge_get(a, f, c)) && f)
                f = a->fail[f];
            a->fail[v] = nx;
            a->term[v] |= a->term[nx]; /* nx is shallower: already final */
            queue[qt++] = v;
        }
    }
    free(queue);
    memset(a->root, 0, sizeof a->root);
    for (uint32_t v = a->first[0]; v; v = a->sibling[v])
        a->root[a->label[v]] = v;
    /* the BFS links are not needed for searching */
    free(a->first);
    free(a->sibling);
    free(a->label);
    a->first = a->sibling = NULL;
    a->label = NULL;
    a->finished = true;
    return KZ_OK;
}

bool kz_maho_search(const kz_maho *a, const char *s, size_t n)
{
    if (!a || !a->finished)
        return false;
    uint32_t st = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)lower(s[i]);
        uint32_t nx;
        while (!(nx = edge_get(a, st, c)) && st)
            st = a->fail[st];
        st = nx;
        if (a->term[st])
            return true;
    }
    return false;
}

size_t kz_maho_bytes(const kz_maho *a)
{
    return a ? sizeof *a + a->cap * (sizeof(uint32_t) + 1) + (a->emask + 1) * sizeof(edge) : 0;
}

void kz_maho_free(kz_maho *a)
{
    if (!a)
        return;
    free(a->fail);
    free(a->first);
    free(a->sibling);
    free(a->label);
    free(a->term);
    free(a->e);
    free(a);
}
