/* arena.c — bump allocation for one request, import or batch. Everything a
 * request builds (parsed JSON copies, model structs, lists) dies together, so
 * handlers never track individual frees. */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kz_arena_block {
    kz_arena_block *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

#define KZ_ARENA_BLOCK 16384

void kz_arena_init(kz_arena *a) { memset(a, 0, sizeof *a); }

void kz_arena_free(kz_arena *a)
{
    kz_arena_block *b = a->head;
    while (b) {
        kz_arena_block *next = b->next;
        free(b);
        b = next;
    }
    memset(a, 0, sizeof *a);
}

void *kz_arena_alloc(kz_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n)
        return NULL;
    kz_arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > KZ_ARENA_BLOCK ? need : KZ_ARENA_BLOCK;
        if (cap > SIZE_MAX - sizeof *b)
            return NULL;
        kz_arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        /* A large one-off allocation goes behind the current block so the
         * remaining space of the current block is not wasted. */
        if (b && need > KZ_ARENA_BLOCK) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *kz_arena_strndup(kz_arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = kz_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kz_arena_strdup(kz_arena *a, const char *s)
{
    return s ? kz_arena_strndup(a, s, strlen(s)) : NULL;
}

char *kz_arena_printf(kz_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n < 0 ? NULL : kz_arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

int kz_strlist_push(kz_arena *a, kz_strlist *l, const char *s)
{
    /* Grow by doubling inside the arena; the old array is simply abandoned. */
    size_t n = l->n;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* capacity 4, 8, 16, ...: full */
        size_t cap = n ? n * 2 : 4;
        char **v = kz_arena_alloc(a, cap * sizeof *v);
        if (!v)
            return KZ_E_NOMEM;
        if (n)
            memcpy(v, l->v, n * sizeof *v);
        l->v = v;
    }
    l->v[n] = kz_arena_strdup(a, s);
    if (!l->v[n])
        return KZ_E_NOMEM;
    l->n = n + 1;
    return KZ_OK;
}

bool kz_strlist_has(const kz_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}
