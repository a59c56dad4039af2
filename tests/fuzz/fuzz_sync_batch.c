/* fuzz_sync_batch.c — what a peer sends: a batch (a feed page or a push),
 * JSON or zlib, decoded under a size cap, then each envelope opened (shape,
 * canonical form, signature; the random ones fail at the signature, the
 * point is the strict reading before it). Property: a decoded batch encodes
 * (plain and compressed) to bytes that decode to the same batch.
 */
#include "fuzz_common.h"

#include "sync/sync.h"

#define MAX_BYTES ((size_t)1 << 20)
#define MAX_OPEN 16

static bool trust_all(void *ctx, const char *org_id, const uint8_t key[32])
{
    (void)ctx, (void)org_id, (void)key;
    return true;
}

static void same(const kz_sync_batch *a, const kz_sync_batch *b, const char *how)
{
    FUZZ_CHECK(strcmp(a->from_node, b->from_node) == 0 && a->cursor == b->cursor &&
                   a->more == b->more && json_equal(a->objects, b->objects),
               "batch changed by a %s round trip (from_node '%s' -> '%s', cursor %lld -> %lld)",
               how, a->from_node, b->from_node, (long long)a->cursor, (long long)b->cursor);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    kz_sync_batch b;
    kz_err err;
    if (kz_sync_batch_decode(data, size, MAX_BYTES, &b, &err) != 0)
        return 0;
    for (int compress = 0; compress < 2; compress++) {
        kz_buf enc;
        kz_buf_init(&enc);
        int rc = kz_sync_batch_encode(&b, compress, &enc, &err);
        FUZZ_CHECK(rc == 0, "a decoded batch does not encode: %s", err.msg);
        kz_sync_batch back;
        rc = kz_sync_batch_decode(enc.p, enc.len, MAX_BYTES * 2, &back, &err);
        FUZZ_CHECK(rc == 0, "an encoded batch (compress=%d) does not decode: %s", compress,
                   err.msg);
        same(&b, &back, compress ? "compressed" : "plain");
        kz_sync_batch_clear(&back);
        kz_buf_free(&enc);
    }
    size_t i;
    json_t *env;
    json_array_foreach(b.objects, i, env) {
        if (i == MAX_OPEN)
            break;
        kz_arena a;
        kz_arena_init(&a);
        kz_sync_object o;
        int rc = kz_sync_envelope_open(env, trust_all, NULL, &a, &o, &err);
        FUZZ_CHECK(rc == 0 || rc == KZ_E_INVALID || rc == KZ_E_UNAUTH || rc == KZ_E_VALUE ||
                       rc == KZ_E_TOOLARGE,
                   "envelope_open returned %d (%s)", rc, err.msg);
        kz_arena_free(&a);
    }
    kz_sync_batch_clear(&b);
    return 0;
}
