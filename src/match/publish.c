/* publish.c — one current index, swapped atomically, that readers use
 * without locks and without ever waiting for a writer.
 *
 * Each index carries a reference count. The hard part is the gap between a
 * reader loading the current pointer and incrementing that index's count: a
 * writer could swap in a new index and drop the old one's last reference in
 * between, and the reader would increment freed memory. Readers therefore
 * "pin" the handle for those few instructions, and a writer waits after the
 * swap until every pin that could have seen the old pointer is gone. There
 * are two pin counters, chosen by the parity of an epoch that each publish
 * advances, so that readers arriving after the swap pin the other counter
 * and a stream of readers cannot keep a writer waiting forever.
 *
 * Memory ordering. The pin increment, the epoch re-check and the pointer
 * load of a reader, and the pointer exchange, the epoch store and the pin
 * load of a writer, are all seq_cst, so they fall into one total order.
 * Suppose a reader loads the old pointer P. Its pointer load precedes the
 * writer's exchange in that order, and so does its epoch re-check, which
 * therefore saw the epoch from before the writer advanced it (then the
 * reader pinned exactly the counter the writer waits on, and its pin
 * increment precedes the writer's pin load, so the writer sees the pin and
 * waits) or an even older epoch (then an earlier writer, which finished
 * before this one began, saw the pin the same way and waited for it). The
 * reader increments P's count (relaxed: nobody can free P while it is
 * pinned) and only then drops its pin with a release decrement; the
 * writer's load that sees the counter drained (seq_cst, so also acquire)
 * synchronises with it, so the reader's increment is ordered before the
 * writer's decrement of P's count, and P cannot be freed under the reader.
 * A reader whose re-check finds the epoch moved unpins and retries: it
 * never blocks, and retries only when a publish lands inside its window of
 * a few instructions.
 * The exchange (release) and the load (acquire) also publish the index's
 * contents: a reader that sees the pointer sees the built index behind it.
 * Freeing follows the usual pattern: an acq_rel decrement, so the thread
 * that reaches zero sees every other holder's reads as done (builder.c).
 */
#include "match_int.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct kz_match_handle {
    _Atomic(kz_match_index *) cur;
    atomic_uint epoch;
    atomic_uint pins[2];
    pthread_mutex_t wlock; /* writers among themselves only */
};

kz_match_handle *kz_match_handle_new(void)
{
    kz_match_handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    atomic_init(&h->cur, NULL);
    atomic_init(&h->epoch, 0);
    atomic_init(&h->pins[0], 0);
    atomic_init(&h->pins[1], 0);
    if (pthread_mutex_init(&h->wlock, NULL) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

void kz_match_handle_free(kz_match_handle *h)
{
    if (!h)
        return;
    kz_match_release(atomic_load(&h->cur));
    pthread_mutex_destroy(&h->wlock);
    free(h);
}

const kz_match_index *kz_match_acquire(kz_match_handle *h)
{
    if (!h)
        return NULL;
    for (;;) {
        unsigned e = atomic_load(&h->epoch);
        atomic_uint *pin = &h->pins[e & 1];
        atomic_fetch_add(pin, 1);
        if (atomic_load(&h->epoch) != e) { /* a publish flipped under us */
            atomic_fetch_sub_explicit(pin, 1, memory_order_release);
            continue;
        }
        kz_match_index *idx = atomic_load(&h->cur);
        if (idx)
            atomic_fetch_add_explicit(&idx->refs, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(pin, 1, memory_order_release);
        return idx;
    }
}

void kz_match_publish(kz_match_handle *h, kz_match_index *idx)
{
    if (!h) {
        kz_match_release(idx);
        return;
    }
    pthread_mutex_lock(&h->wlock);
    kz_match_index *old = atomic_exchange(&h->cur, idx);
    unsigned e = atomic_load(&h->epoch);
    atomic_store(&h->epoch, e + 1);
    /* readers that may hold `old` unreferenced pinned pins[e & 1] */
    while (atomic_load(&h->pins[e & 1]) != 0) /* seq_cst, see above */
        sched_yield();
    pthread_mutex_unlock(&h->wlock);
    kz_match_release(old);
}
