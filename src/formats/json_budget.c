/* json_budget.c — bounding the memory jansson may take for one document.
 *
 * jansson builds the whole tree before the caller can look at it, and small
 * tokens are expensive: "[]," is 3 bytes of text but over 100 bytes of
 * tree, so a 64 MiB body of them would cost the node gigabytes before any
 * element limit applies. The allocator installed here counts, per thread
 * and only inside a budget scope, the bytes jansson holds (malloc's usable
 * size, less what it frees) and refuses an allocation past the limit;
 * jansson then fails the parse cleanly. Outside a scope it is plain
 * malloc/free, so objects move freely between scopes and threads.
 */
#include "formats.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define BUDGET_FLOOR ((size_t)1 << 20)

static atomic_uint g_ratio;
static atomic_size_t g_cap;
static pthread_once_t g_install_once = PTHREAD_ONCE_INIT;

typedef struct budget {
    unsigned depth; /* open scopes; counting happens while > 0 */
    bool over;      /* an allocation was refused */
    size_t doc_size, limit, used;
} budget;

static _Thread_local budget t_budget;

static void *budget_malloc(size_t n)
{
    budget *b = &t_budget;
    if (b->depth == 0)
        return malloc(n);
    if (n > b->limit - b->used) {
        b->over = true;
        return NULL;
    }
    void *p = malloc(n);
    if (!p)
        return NULL;
    size_t u = malloc_usable_size(p);
    if (u > b->limit - b->used) {
        free(p);
        b->over = true;
        return NULL;
    }
    b->used += u;
    return p;
}

static void budget_free(void *p)
{
    budget *b = &t_budget;
    if (p && b->depth > 0) {
        /* Blocks from before the scope may be freed inside it: never below 0. */
        size_t u = malloc_usable_size(p);
        b->used = u < b->used ? b->used - u : 0;
    }
    free(p);
}

static void install(void) { json_set_alloc_funcs(budget_malloc, budget_free); }

void kz_json_set_load_budget(unsigned ratio, size_t cap)
{
    if (ratio)
        pthread_once(&g_install_once, install);
    atomic_store(&g_cap, cap ? cap : KZ_JSON_BUDGET_CAP);
    atomic_store(&g_ratio, ratio);
}

void kz_json_budget_begin(size_t doc_size)
{
    budget *b = &t_budget;
    if (b->depth > 0) {
        b->depth++;
        return;
    }
    unsigned ratio = atomic_load(&g_ratio);
    if (ratio == 0)
        return;
    size_t cap = atomic_load(&g_cap);
    size_t limit = doc_size > cap / ratio ? cap : doc_size * ratio;
    if (limit < BUDGET_FLOOR)
        limit = BUDGET_FLOOR;
    if (limit > cap)
        limit = cap;
    b->depth = 1;
    b->over = false;
    b->doc_size = doc_size;
    b->limit = limit;
    b->used = 0;
}

bool kz_json_budget_end(void)
{
    budget *b = &t_budget;
    if (b->depth == 0)
        return false;
    bool over = b->over;
    if (--b->depth == 0) {
        b->over = false;
        b->used = 0;
    }
    return over;
}

bool kz_json_budget_over(void) { return t_budget.depth > 0 && t_budget.over; }

size_t kz_json_budget_doc(void) { return t_budget.depth > 0 ? t_budget.doc_size : 0; }
