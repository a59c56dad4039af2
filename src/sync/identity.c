/* identity.c — who this node is to its peers: an Ed25519 key pair derived
 * from the node secret, its fingerprint and the node id.
 *
 * Deriving (crypto_kdf, context "kzsign01") rather than storing a second key
 * keeps one secret on disk: whoever can back up or restore <db>.secret
 * restores the node's identity with it, and nothing else needs protecting.
 */
#include "sync_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define KZ_SIGN_KDF_CONTEXT "kzsign01"
#define KZ_SIGN_KDF_ID 1

void kz_sync_fingerprint(const uint8_t public_key[32], char out[KZ_NODE_FP_LEN + 1])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, public_key, 32, NULL, 0);
    kz_hex_encode(h, KZ_NODE_FP_LEN / 2, out);
}

void kz_sync_key_format(const uint8_t key[32], char out[65]) { kz_hex_encode(key, 32, out); }

int kz_sync_key_parse(const char *hex, uint8_t out[32], kz_err *err)
{
    char q[72];
    size_t n = hex ? strnlen(hex, 200) : 0;
    if (!hex)
        return kz_fail(err, KZ_E_VALUE, "public_key", "a public key is required");
    /* Quote only printable ASCII so the message itself stays clean text. */
    size_t k = 0;
    for (size_t i = 0; i < n && k < 64; i++)
        q[k++] = hex[i] >= 0x20 && hex[i] < 0x7f ? hex[i] : '?';
    q[k] = '\0';
    if (n != 64)
        return kz_fail(err, KZ_E_VALUE, "public_key",
                       "public key '%s%s' must be 64 hex characters (32 bytes), got %zu%s", q,
                       n > 64 ? "..." : "", n, n >= 200 ? " or more" : "");
    uint8_t tmp[32];
    if (!kz_hex_decode(hex, tmp, 32))
        return kz_fail(err, KZ_E_VALUE, "public_key",
                       "public key '%s' must be 64 hex characters (0-9, a-f)", q);
    memcpy(out, tmp, 32);
    return KZ_OK;
}

static int read_org(kz_store *st, kz_uuid out, kz_err *err)
{
    kz_arena a;
    kz_arena_init(&a);
    char *v = NULL;
    int rc = kz_store_meta_get(st, "node.org_id", &a, &v, err);
    if (rc == KZ_E_NOTFOUND)
        rc = kz_fail(err, KZ_E_NOTFOUND, "node.org_id",
                     "this node has no operator organisation (setting 'node.org_id'); it is "
                     "recorded by 'kizuna init'");
    else if (!rc && (!v || !kz_uuid_normalize(v, out)))
        rc = kz_fail(err, KZ_E_INTERNAL, "node.org_id",
                     "setting 'node.org_id' is '%.40s', not an organisation id", v ? v : "");
    kz_arena_free(&a);
    return rc;
}

int kz_sync_identity_load(kz_store *st, kz_node_identity *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    uint8_t secret[32], seed[crypto_sign_SEEDBYTES];
    int rc = kz_store_node_secret(st, secret, err);
    if (rc)
        return rc;
    _Static_assert(crypto_sign_SEEDBYTES == 32, "Ed25519 seed is 32 bytes");
    if (crypto_kdf_derive_from_key(seed, sizeof seed, KZ_SIGN_KDF_ID, KZ_SIGN_KDF_CONTEXT,
                                   secret) != 0 ||
        crypto_sign_seed_keypair(out->public_key, out->secret_key, seed) != 0)
        rc = kz_fail(err, KZ_E_INTERNAL, "", "cannot derive the node's signing key");
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(seed, sizeof seed);
    if (!rc)
        rc = read_org(st, out->org_id, err);
    if (rc) {
        kz_sync_identity_clear(out);
        return rc;
    }
    kz_sync_fingerprint(out->public_key, out->fingerprint);
    snprintf(out->node_id, sizeof out->node_id, "%s/%s", out->org_id, out->fingerprint);
    return KZ_OK;
}

void kz_sync_identity_clear(kz_node_identity *id)
{
    if (id)
        sodium_memzero(id, sizeof *id);
}
