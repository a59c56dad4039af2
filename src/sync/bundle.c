/* bundle.c — offline exchange for air-gapped or e-mail-only partners.
 *
 *   "KZBUNDLE1\n" || sealed_box( sender pk (32) || signature (64) || zlib batch )
 *
 * The sealed box (X25519 keys converted from the nodes' Ed25519 keys) makes
 * the file readable by the addressee only; the signature, over
 * "kizuna-bundle-v1\n" || recipient pk || zlib batch, proves which node made
 * it and for whom, so a recipient cannot re-seal it to a third node as if the
 * sender had addressed it there. The envelopes inside carry their creators'
 * own signatures as always; this layer only protects the file.
 */
#include "sync_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#define MAGIC_LEN (sizeof KZ_SYNC_BUNDLE_MAGIC - 1)
#define HEAD_LEN (32 + crypto_sign_BYTES)

static int bundle_msg(const uint8_t recipient_pk[32], const void *z, size_t n, kz_buf *out,
                      kz_err *err)
{
    if (kz_buf_reserve(out, sizeof KZ_SYNC_DOMAIN_BUNDLE + 32 + n) != 0 ||
        kz_buf_puts(out, KZ_SYNC_DOMAIN_BUNDLE) != 0 || kz_buf_append(out, recipient_pk, 32) != 0 ||
        kz_buf_append(out, z, n) != 0)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return KZ_OK;
}

int kz_sync_bundle_seal(const kz_node_identity *sender, const uint8_t recipient_pk[32],
                        const kz_sync_batch *b, kz_buf *out, kz_err *err)
{
    uint8_t xpk[crypto_box_PUBLICKEYBYTES];
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, recipient_pk) != 0)
        return kz_fail(err, KZ_E_VALUE, "public_key",
                       "the recipient's public key is not a valid Ed25519 key");
    kz_buf z, msg, plain;
    kz_buf_init(&z);
    kz_buf_init(&msg);
    kz_buf_init(&plain);
    int rc = kz_sync_batch_encode(b, true, &z, err);
    if (!rc)
        rc = bundle_msg(recipient_pk, z.p, z.len, &msg, err);
    if (!rc && (kz_buf_reserve(&plain, HEAD_LEN + z.len) != 0 ||
                kz_buf_append(&plain, sender->public_key, 32) != 0))
        rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!rc) {
        crypto_sign_detached((uint8_t *)plain.p + 32, NULL, (const uint8_t *)msg.p, msg.len,
                             sender->secret_key);
        plain.len += crypto_sign_BYTES;
        if (kz_buf_append(&plain, z.p, z.len) != 0)
            rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    size_t sealed = plain.len + crypto_box_SEALBYTES;
    if (!rc && (kz_buf_reserve(out, MAGIC_LEN + sealed) != 0 ||
                kz_buf_append(out, KZ_SYNC_BUNDLE_MAGIC, MAGIC_LEN) != 0))
        rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!rc) {
        if (crypto_box_seal((uint8_t *)out->p + out->len, (const uint8_t *)plain.p, plain.len,
                            xpk) != 0)
            rc = kz_fail(err, KZ_E_INTERNAL, "", "cannot seal the bundle");
        else {
            out->len += sealed;
            out->p[out->len] = '\0';
        }
    }
    kz_buf_free(&z);
    kz_buf_free(&msg);
    kz_buf_free(&plain);
    return rc;
}

int kz_sync_bundle_open(const kz_node_identity *recipient, const void *bytes, size_t len,
                        kz_sync_sender_fn known_sender, void *ctx, size_t max_bytes,
                        kz_sync_batch *out, uint8_t sender_pk[32], kz_err *err)
{
    memset(out, 0, sizeof *out);
    memset(sender_pk, 0, 32);
    const uint8_t *p = bytes;
    if (len < MAGIC_LEN || memcmp(p, KZ_SYNC_BUNDLE_MAGIC, MAGIC_LEN) != 0)
        return kz_fail(err, KZ_E_INVALID, "", "not a kizuna bundle (it does not start with "
                                              "\"KZBUNDLE1\")");
    size_t sealed = len - MAGIC_LEN;
    if (sealed < crypto_box_SEALBYTES + HEAD_LEN + 2)
        return kz_fail(err, KZ_E_INVALID, "",
                       "bundle is truncated: %zu bytes, a bundle has at least %zu", len,
                       MAGIC_LEN + crypto_box_SEALBYTES + HEAD_LEN + 2);
    /* Deflate grows nothing beyond zlib's compressBound, so a file larger
     * than that of the inflated limit cannot hold an acceptable batch:
     * refuse it before decrypting a copy of it. */
    size_t room = max_bytes > SIZE_MAX / 4 ? SIZE_MAX / 2
                                           : (size_t)compressBound((uLong)max_bytes) + HEAD_LEN +
                                                 crypto_box_SEALBYTES;
    if (sealed > room)
        return kz_fail(err, KZ_E_TOOLARGE, "",
                       "bundle is %zu bytes, too large for the limit of %zu inflated bytes", len,
                       max_bytes);
    uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, recipient->public_key) != 0 ||
        crypto_sign_ed25519_sk_to_curve25519(xsk, recipient->secret_key) != 0) {
        sodium_memzero(xsk, sizeof xsk);
        return kz_fail(err, KZ_E_INTERNAL, "", "cannot convert this node's key");
    }
    size_t plen = sealed - crypto_box_SEALBYTES;
    uint8_t *plain = malloc(plen);
    if (!plain) {
        sodium_memzero(xsk, sizeof xsk);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    int rc = KZ_OK;
    if (crypto_box_seal_open(plain, p + MAGIC_LEN, sealed, xpk, xsk) != 0)
        rc = kz_fail(err, KZ_E_UNAUTH, "",
                     "cannot open the bundle: it is not addressed to this node (%s), or it was "
                     "damaged in transit",
                     recipient->fingerprint);
    sodium_memzero(xsk, sizeof xsk);
    char fp[KZ_NODE_FP_LEN + 1];
    if (!rc) {
        kz_sync_fingerprint(plain, fp);
        if (!known_sender || !known_sender(ctx, plain))
            rc = kz_fail(err, KZ_E_UNAUTH, "",
                         "bundle is signed by node key %s, which is not a known peer of this "
                         "node (add it with 'kizuna peer add')",
                         fp);
    }
    const uint8_t *z = plain + HEAD_LEN;
    size_t zn = plen - HEAD_LEN;
    kz_buf msg;
    kz_buf_init(&msg);
    if (!rc)
        rc = bundle_msg(recipient->public_key, z, zn, &msg, err);
    if (!rc && crypto_sign_verify_detached(plain + 32, (const uint8_t *)msg.p, msg.len, plain) != 0)
        rc = kz_fail(err, KZ_E_UNAUTH, "",
                     "bundle signature by node key %s does not verify (changed after signing, "
                     "or signed for another node)",
                     fp);
    kz_buf_free(&msg);
    kz_sync_batch b;
    memset(&b, 0, sizeof b);
    if (!rc)
        rc = kz_sync_batch_decode(z, zn, max_bytes, &b, err);
    if (!rc && strcmp(b.from_node + KZ_UUID_STRLEN + 1, fp) != 0) {
        rc = kz_fail(err, KZ_E_UNAUTH, "from_node",
                     "bundle's batch says it comes from node %s but was signed by key %s",
                     b.from_node, fp);
        kz_sync_batch_clear(&b);
    }
    if (!rc) {
        memcpy(sender_pk, plain, 32);
        *out = b;
    }
    sodium_memzero(plain, plen);
    free(plain);
    return rc;
}
