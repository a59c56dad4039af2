/* import_queue.c — the bounded hand-over between the import's parser and
 * its writer. A handful of slots is enough to keep both busy; more would only
 * hold more memory. */
#include "import.h"

#include <stdlib.h>

imp_unit *imp_unit_new(imp_kind kind)
{
    imp_unit *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->kind = kind;
    kz_arena_init(&u->arena);
    if (kind == IMP_BATCH_UNIT && !(u->inds = malloc(IMP_BATCH * sizeof *u->inds))) {
        free(u);
        return NULL;
    }
    return u;
}

void imp_unit_free(imp_unit *u)
{
    if (!u)
        return;
    kz_arena_free(&u->arena);
    free(u->inds);
    free(u);
}

int imp_queue_init(imp_queue *q)
{
    *q = (imp_queue){0};
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return KZ_E_INTERNAL;
    if (pthread_cond_init(&q->changed, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return KZ_E_INTERNAL;
    }
    return 0;
}

void imp_queue_destroy(imp_queue *q)
{
    while (q->count) {
        imp_unit_free(q->v[q->head]);
        q->head = (q->head + 1) % IMP_QUEUE;
        q->count--;
    }
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->mu);
}

void imp_queue_put(imp_queue *q, imp_unit *u)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == IMP_QUEUE)
        pthread_cond_wait(&q->changed, &q->mu);
    q->v[(q->head + q->count) % IMP_QUEUE] = u;
    q->count++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

imp_unit *imp_queue_take(imp_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0)
        pthread_cond_wait(&q->changed, &q->mu);
    imp_unit *u = q->v[q->head];
    q->head = (q->head + 1) % IMP_QUEUE;
    q->count--;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
    return u;
}
