/* limits.c — how large a batch may be, and splitting the difference between
 * memory and very large events.
 *
 * jansson turns N bytes of JSON into several times N of memory, and a push
 * is decoded before anything can be said about it, so what a node accepts
 * per push must be far below what it could in principle apply. Pages of
 * several objects are therefore kept small by the feed (page bytes), and a
 * push above the configured maximum is accepted only as what the feed
 * produces for an event too large for any page: that event alone. One such
 * batch is handled at a time per process, so a peer cannot make a node
 * hold several of them at once.
 */
#include "sync.h"

#include <stdatomic.h>
#include <string.h>

static _Atomic size_t page_bytes = KZ_SYNC_PAGE_BYTES;
static _Atomic size_t push_max = KZ_SYNC_PUSH_MAX_DEFAULT;
static atomic_flag oversized_busy = ATOMIC_FLAG_INIT;

void kz_sync_set_page_bytes(size_t bytes)
{
    page_bytes = bytes ? bytes : KZ_SYNC_PAGE_BYTES;
}

size_t kz_sync_page_bytes(void)
{
    return page_bytes;
}

int kz_sync_set_push_max(size_t bytes, kz_err *err)
{
    size_t lo = kz_sync_page_bytes();
    if (bytes < lo || bytes > KZ_SYNC_MAX_BATCH)
        return kz_fail(err, KZ_E_VALUE, "sync-max-batch",
                       "the push limit %zu bytes is outside %zu (a feed page) .. %zu (the hard "
                       "ceiling)",
                       bytes, lo, KZ_SYNC_MAX_BATCH);
    push_max = bytes;
    return 0;
}

size_t kz_sync_push_max(void)
{
    return push_max;
}

/* One event, any number of org records: what an oversized page holds. */
static bool single_event(const kz_sync_batch *b)
{
    size_t i, events = 0;
    json_t *env;
    json_array_foreach(b->objects, i, env) {
        const char *kind = json_string_value(json_object_get(env, "kind"));
        if (!kind)
            return false;
        if (strcmp(kind, "event") == 0)
            events++;
        else if (strcmp(kind, "org") != 0)
            return false;
    }
    return events == 1;
}

int kz_sync_batch_decode_push(const void *bytes, size_t len, kz_sync_batch *out, bool *oversized,
                              kz_err *err)
{
    *oversized = false;
    size_t max = kz_sync_push_max();
    int rc = kz_sync_batch_decode(bytes, len, max, out, err);
    if (rc != KZ_E_TOOLARGE)
        return rc;
    if (atomic_flag_test_and_set(&oversized_busy))
        return kz_fail(err, KZ_E_RATE, "",
                       "another batch larger than %zu bytes is being applied; retry later", max);
    kz_err e = {0};
    rc = kz_sync_batch_decode(bytes, len, KZ_SYNC_MAX_BATCH, out, &e);
    if (rc == 0 && !single_event(out)) {
        kz_sync_batch_clear(out);
        rc = kz_fail(&e, KZ_E_TOOLARGE, "",
                     "batch inflates to more than %zu bytes: only a page holding a single event "
                     "may be larger (up to %zu)",
                     max, KZ_SYNC_MAX_BATCH);
    }
    if (rc) {
        atomic_flag_clear(&oversized_busy);
        *err = e;
        return rc;
    }
    *oversized = true;
    return 0;
}

void kz_sync_oversized_done(void)
{
    atomic_flag_clear(&oversized_busy);
}
