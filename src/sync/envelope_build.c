/* envelope_build.c — signing: an object's canonical bytes, prefixed with
 * the domain of its kind and followed by the signer block, signed with the
 * node's Ed25519 key, wrapped with the body a receiver parses back.
 *
 * The canonical bytes are computed first: they validate the object, so a
 * node never signs (and never sends) what a receiver would refuse.
 */
#include "sync_int.h"

#include <string.h>

#include <sodium.h>

int kz__sync_wrap(const kz_node_identity *id, kz_sync_kind kind, const kz_buf *canon,
                  json_t *body, json_t **out, kz_err *err)
{
    *out = NULL;
    if (!body)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    kz_buf msg;
    kz_buf_init(&msg);
    int rc = kz__sync_message(kz__sync_kind_domain(kind), canon, id->org_id, id->public_key, &msg,
                              err);
    if (rc) {
        kz_buf_free(&msg);
        json_decref(body);
        return rc;
    }
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)msg.p, msg.len, id->secret_key);
    kz_buf_free(&msg);
    char b64[KZ_SYNC_SIG_B64_LEN + 1];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    json_t *env = json_object();
    json_t *signer = kz__sync_json_signer(id->org_id, id->public_key);
    if (!env || !signer) {
        json_decref(env);
        json_decref(signer);
        json_decref(body);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    /* json_object_set_new takes the value even when it fails */
    int bad = json_object_set_new(env, "kind", json_string(kz__sync_kind_name(kind)));
    bad |= json_object_set_new(env, "body", body);
    bad |= json_object_set_new(env, "signer", signer);
    bad |= json_object_set_new(env, "signature", json_string(b64));
    if (bad) {
        json_decref(env);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    *out = env;
    return KZ_OK;
}

int kz_sync_envelope_event(const kz_node_identity *id, const kz_event *ev,
                           const kz_sharing_group *sg, json_t **out, kz_err *err)
{
    *out = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz_sync_canon_event(ev, sg, &canon, err);
    json_t *body = NULL, *inds = NULL;
    if (!rc) {
        body = kz__sync_json_event(ev, ev->distribution == KZ_DIST_SHARING_GROUP ? sg : NULL);
        inds = json_array();
        for (size_t i = 0; inds && i < ev->n_indicators; i++) {
            if (ev->indicators[i].deleted)
                continue;
            if (json_array_append_new(inds, kz__sync_json_indicator(&ev->indicators[i])) != 0) {
                json_decref(inds);
                inds = NULL;
            }
        }
        if (!body || !inds) {
            json_decref(body);
            json_decref(inds);
            body = NULL;
        } else if (json_object_set_new(body, "indicators", inds) != 0) {
            json_decref(body);
            body = NULL;
        }
        rc = kz__sync_wrap(id, KZ_SYNC_EVENT, &canon, body, out, err);
    }
    kz_buf_free(&canon);
    return rc;
}

int kz_sync_envelope_sighting(const kz_node_identity *id, const kz_sighting *s, json_t **out,
                              kz_err *err)
{
    *out = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz_sync_canon_sighting(s, &canon, err);
    if (!rc)
        rc = kz__sync_wrap(id, KZ_SYNC_SIGHTING, &canon, kz__sync_json_sighting(s), out, err);
    kz_buf_free(&canon);
    return rc;
}

int kz_sync_envelope_deletion(const kz_node_identity *id, const kz_sync_deletion *d, json_t **out,
                              kz_err *err)
{
    *out = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz__sync_canon_deletion(d, &canon, err);
    if (!rc)
        rc = kz__sync_wrap(id, KZ_SYNC_DELETION, &canon, kz__sync_json_deletion(d), out, err);
    kz_buf_free(&canon);
    return rc;
}

int kz_sync_envelope_org(const kz_node_identity *id, const kz_org *org, json_t **out,
                         kz_err *err)
{
    *out = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz__sync_canon_org(org, &canon, err);
    if (!rc)
        rc = kz__sync_wrap(id, KZ_SYNC_ORG, &canon, kz__sync_json_org(org), out, err);
    kz_buf_free(&canon);
    return rc;
}

int kz_sync_envelope_proposal(const kz_node_identity *id, const kz_proposal *p, json_t **out,
                              kz_err *err)
{
    *out = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz_sync_canon_proposal(p, &canon, err);
    if (!rc)
        rc = kz__sync_wrap(id, KZ_SYNC_PROPOSAL, &canon, kz__sync_json_proposal(p), out, err);
    kz_buf_free(&canon);
    return rc;
}
