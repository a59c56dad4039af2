/* fuzz_sync_bundle.c — offline bundles (files carried to air-gapped
 * partners), opened by a fixed recipient key. The first byte picks how the
 * rest is used:
 *   0  as the whole file (magic, length and seal checks: a random file never
 *      opens, as only the addressee's key can open a sealed box);
 *   1  as the zlib batch inside a bundle this target seals and signs with a
 *      known sender key, so the inflation and batch reading behind the
 *      seal and the signature get fuzzed too;
 *   2  as a batch (JSON) that is sealed with kz_sync_bundle_seal and opened
 *      again: property, the batch comes out as it went in.
 */
#include "fuzz_common.h"

#include "sync/sync.h"
#include "sync/sync_int.h"

#include <sodium.h>

#define MAX_BYTES ((size_t)1 << 20)

static kz_node_identity g_rcpt, g_send;

static void identity(kz_node_identity *id, uint8_t fill)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    memset(seed, fill, sizeof seed);
    crypto_sign_seed_keypair(id->public_key, id->secret_key, seed);
    kz_sync_fingerprint(id->public_key, id->fingerprint);
    snprintf(id->org_id, sizeof id->org_id, "8a0e1c3e-5b7d-4d2a-9c1f-0000000000%02x", fill);
    snprintf(id->node_id, sizeof id->node_id, "%s/%s", id->org_id, id->fingerprint);
}

static bool known(void *ctx, const uint8_t pk[32])
{
    (void)ctx;
    return memcmp(pk, g_send.public_key, 32) == 0;
}

static void open_it(const void *p, size_t n, const kz_sync_batch *want)
{
    kz_sync_batch b;
    uint8_t pk[32];
    kz_err err;
    int rc = kz_sync_bundle_open(&g_rcpt, p, n, known, NULL, MAX_BYTES, &b, pk, &err);
    if (want) {
        FUZZ_CHECK(rc == 0, "a sealed bundle does not open: %s", err.msg);
        FUZZ_CHECK(memcmp(pk, g_send.public_key, 32) == 0, "wrong sender key");
        FUZZ_CHECK(strcmp(b.from_node, want->from_node) == 0 && b.cursor == want->cursor &&
                       b.more == want->more && json_equal(b.objects, want->objects),
                   "the batch changed in the bundle");
    }
    if (rc == 0)
        kz_sync_batch_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (!g_rcpt.fingerprint[0]) {
        identity(&g_rcpt, 1);
        identity(&g_send, 2);
    }
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    kz_err err;
    switch (data[0] % 3) {
    case 0:
        open_it(p, n, NULL);
        break;
    case 1: {
        /* plain = sender pk || sig(domain || recipient pk || z) || z */
        size_t dn = sizeof KZ_SYNC_DOMAIN_BUNDLE - 1;
        uint8_t *msg = malloc(dn + 32 + n + 1), *plain = malloc(32 + 64 + n + 1);
        size_t ml = sizeof KZ_SYNC_BUNDLE_MAGIC - 1;
        size_t sl = 32 + 64 + n + crypto_box_SEALBYTES;
        uint8_t *file = malloc(ml + sl);
        uint8_t xpk[crypto_box_PUBLICKEYBYTES];
        if (!msg || !plain || !file ||
            crypto_sign_ed25519_pk_to_curve25519(xpk, g_rcpt.public_key) != 0)
            abort();
        memcpy(msg, KZ_SYNC_DOMAIN_BUNDLE, dn);
        memcpy(msg + dn, g_rcpt.public_key, 32);
        if (n)
            memcpy(msg + dn + 32, p, n);
        memcpy(plain, g_send.public_key, 32);
        crypto_sign_detached(plain + 32, NULL, msg, dn + 32 + n, g_send.secret_key);
        if (n)
            memcpy(plain + 96, p, n);
        memcpy(file, KZ_SYNC_BUNDLE_MAGIC, ml);
        if (crypto_box_seal(file + ml, plain, 96 + n, xpk) != 0)
            abort();
        open_it(file, ml + sl, NULL);
        free(msg);
        free(plain);
        free(file);
        break;
    }
    default: {
        kz_sync_batch b;
        if (kz_sync_batch_decode(p, n, MAX_BYTES, &b, &err) != 0)
            break;
        /* the bundle layer requires the batch to name its sender */
        snprintf(b.from_node, sizeof b.from_node, "%s", g_send.node_id);
        kz_buf out;
        kz_buf_init(&out);
        int rc = kz_sync_bundle_seal(&g_send, g_rcpt.public_key, &b, &out, &err);
        FUZZ_CHECK(rc == 0, "seal failed: %s", err.msg);
        open_it(out.p, out.len, &b);
        kz_buf_free(&out);
        kz_sync_batch_clear(&b);
        break;
    }
    }
    return 0;
}
