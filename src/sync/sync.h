/* sync.h — layer 3: federation. Node identity (Ed25519), signed provenance,
 * peer change feeds and offline bundles.
 *
 * Two halves, written against this header:
 *  - the wire (identity.c, canon.c, envelope.c, batch.c, bundle.c): pure
 *    functions from model structs to canonical bytes, signatures, signed
 *    envelopes, compressed batches and sealed offline bundles;
 *  - the plumbing (feed.c, apply.c, client.c, schedule.c + store/sync_*.c +
 *    http/api_sync.c + cli): which changes a peer may receive (the ACL),
 *    applying received envelopes, HTTP transport, schedules, the CLI.
 *
 * Design (docs/federation.md tells users the same):
 * - A node's Ed25519 key is derived from the node secret (<db>.secret, 0600)
 *   with crypto_kdf, so no second secret lies on disk. Its fingerprint is the
 *   lowercase hex of the first 16 bytes of BLAKE2b-256(public key); the node id
 *   is "<org uuid>/<fingerprint>" where org is the node's own organisation
 *   (the org created by `kizuna init`, meta key "node.org_id").
 * - Every event (with all its live indicators), sighting and deletion travels
 *   as a signed envelope. The event signature covers the canonical event
 *   fields plus a manifest: each live indicator's id and BLAKE2b-256 of its
 *   canonical form, sorted by id. So one Ed25519 signature covers a million
 *   indicators, and hashing (not signing) is the per-indicator cost.
 * - Canonical form: JSON, keys sorted bytewise, no white space, strings as
 *   jansson writes them with JSON_COMPACT|JSON_SORT_KEYS|JSON_ENSURE_ASCII off,
 *   integers for times (µs since the epoch), enum names as on the REST API.
 *   Node-local data never enters it (creator_user, recipient_users, warninglist
 *   flags, seq numbers).
 * - Signed bytes are prefixed with a domain string ("kizuna-event-v1\n", ...)
 *   so a signature over one kind can never be replayed as another.
 * - A receiving node keeps the envelope as received, so it can relay it to a
 *   third node that verifies the creator's signature itself.
 */
#ifndef KZ_SYNC_H
#define KZ_SYNC_H

#include <jansson.h>

#include "store/store.h"

/* ---- node identity (identity.c) ----------------------------------------- */
#define KZ_NODE_FP_LEN 32 /* hex characters */
#define KZ_NODE_ID_LEN (KZ_UUID_STRLEN + 1 + KZ_NODE_FP_LEN)

typedef struct kz_node_identity {
    uint8_t public_key[32];
    uint8_t secret_key[64]; /* libsodium's Ed25519 secret key; wiped by _clear */
    char fingerprint[KZ_NODE_FP_LEN + 1];
    kz_uuid org_id;
    char node_id[KZ_NODE_ID_LEN + 1];
} kz_node_identity;

/* Derives the key pair from the node secret and reads the node's org. */
int kz_sync_identity_load(kz_store *st, kz_node_identity *out, kz_err *err);
void kz_sync_identity_clear(kz_node_identity *id);
/* Fingerprint of any public key (hex, KZ_NODE_FP_LEN chars). */
void kz_sync_fingerprint(const uint8_t public_key[32], char out[KZ_NODE_FP_LEN + 1]);
/* Public keys travel as 64 lowercase hex characters. */
int kz_sync_key_parse(const char *hex, uint8_t out[32], kz_err *err);
void kz_sync_key_format(const uint8_t key[32], char out[65]);

/* ---- canonical forms (canon.c) ------------------------------------------ */
/* Appends the canonical bytes (no domain prefix). The event form includes
 * its manifest (indicator ids + hashes) but not the indicator bodies. */
int kz_sync_canon_indicator(const kz_indicator *ind, kz_buf *out, kz_err *err);
int kz_sync_canon_event(const kz_event *ev, const kz_sharing_group *sg, kz_buf *out, kz_err *err);
int kz_sync_canon_sighting(const kz_sighting *s, kz_buf *out, kz_err *err);

/* ---- envelopes (envelope.c) --------------------------------------------- */
typedef enum {
    KZ_SYNC_EVENT,    /* an event with all its live indicators (and its sharing group) */
    KZ_SYNC_SIGHTING,
    KZ_SYNC_DELETION, /* an event or indicator that its creator deleted */
    KZ_SYNC_ORG,      /* an organisation record, so creator_org exists on arrival */
} kz_sync_kind;

typedef struct kz_sync_deletion {
    char *object_type; /* "event" or "indicator" */
    kz_uuid object_id;
    kz_uuid creator_org;
    kz_time deleted_at;
} kz_sync_deletion;

/* A decoded, verified envelope. */
typedef struct kz_sync_object {
    kz_sync_kind kind;
    char signer_fp[KZ_NODE_FP_LEN + 1];
    uint8_t signer_key[32];
    kz_uuid signer_org;          /* the org whose node signed */
    kz_event event;              /* KZ_SYNC_EVENT (indicators filled) */
    kz_sharing_group sharing_group; /* KZ_SYNC_EVENT with distribution sharing_group */
    bool has_sharing_group;
    kz_sighting sighting;        /* KZ_SYNC_SIGHTING */
    kz_sync_deletion deletion;   /* KZ_SYNC_DELETION */
    kz_org org;                  /* KZ_SYNC_ORG */
    const json_t *raw;           /* the envelope as received (borrowed) */
} kz_sync_object;

/* Builds a signed envelope:
 *   {"kind":"event","body":{...canonical fields, "indicators":[...]},
 *    "signer":{"org":..,"fingerprint":..,"public_key":hex},"signature":b64}
 * The caller owns *out (json_decref). */
int kz_sync_envelope_event(const kz_node_identity *id, const kz_event *ev,
                           const kz_sharing_group *sg, json_t **out, kz_err *err);
int kz_sync_envelope_sighting(const kz_node_identity *id, const kz_sighting *s, json_t **out,
                              kz_err *err);
int kz_sync_envelope_deletion(const kz_node_identity *id, const kz_sync_deletion *d, json_t **out,
                              kz_err *err);
int kz_sync_envelope_org(const kz_node_identity *id, const kz_org *org, json_t **out,
                         kz_err *err);

/* Decides whether a signer key may speak for an org: returns true when the
 * key is the one the receiving node knows for that org (a peer's key, or a
 * key a trusted peer introduced). */
typedef bool (*kz_sync_trust_fn)(void *ctx, const char *org_id, const uint8_t key[32]);

/* Parses and verifies an envelope: strict shape (every field typed and
 * bounded, UTF-8), signature valid over the recomputed canonical bytes, the
 * signer trusted for the creator org (events, deletions, orgs) or the
 * sighting's org. KZ_E_INVALID / KZ_E_UNAUTH with a message naming the
 * object id and what failed; nothing is half-filled on failure. */
int kz_sync_envelope_open(const json_t *env, kz_sync_trust_fn trust, void *trust_ctx, kz_arena *a,
                          kz_sync_object *out, kz_err *err);

/* ---- batches (batch.c): what a feed page / push carries ----------------- *
 *   {"from_node":node_id,"cursor":N,"more":bool,"objects":[envelope...]}
 * On the wire zlib-compressed (Content-Encoding: deflate) when large. */
typedef struct kz_sync_batch {
    char from_node[KZ_NODE_ID_LEN + 1];
    int64_t cursor; /* the sender's change-log position this batch reaches */
    bool more;
    json_t *objects; /* array of envelopes (owned; kz_sync_batch_clear drops it) */
} kz_sync_batch;

int kz_sync_batch_encode(const kz_sync_batch *b, bool compress, kz_buf *out, kz_err *err);
/* Decodes (inflating when the bytes are zlib), bounded by max_bytes of
 * inflated JSON; checks the shape, not the envelopes. */
int kz_sync_batch_decode(const void *bytes, size_t len, size_t max_bytes, kz_sync_batch *out,
                         kz_err *err);
void kz_sync_batch_clear(kz_sync_batch *b);

/* ---- offline bundles (bundle.c) ----------------------------------------- *
 * A file for air-gapped or e-mail-only partners: a batch, signed by the
 * sending node, then sealed to the receiving node's public key (libsodium
 * sealed box over the Ed25519 key converted to X25519). Format:
 *   "KZBUNDLE1\n" + sealed( sender public key (32) || signature (64) ||
 *                           compressed batch )
 * Opening checks the seal (only the addressee can), then the signature
 * against a known key of the sender. */
int kz_sync_bundle_seal(const kz_node_identity *sender, const uint8_t recipient_pk[32],
                        const kz_sync_batch *b, kz_buf *out, kz_err *err);
typedef bool (*kz_sync_sender_fn)(void *ctx, const uint8_t sender_pk[32]);
int kz_sync_bundle_open(const kz_node_identity *recipient, const void *bytes, size_t len,
                        kz_sync_sender_fn known_sender, void *ctx, size_t max_bytes,
                        kz_sync_batch *out, uint8_t sender_pk[32], kz_err *err);

/* ---- the plumbing (feed.c, apply.c, client.c, schedule.c) --------------- */
/* A configured peer (store/sync_peers.c). */
typedef enum { KZ_PEER_PULL = 1, KZ_PEER_PUSH = 2, KZ_PEER_BOTH = 3 } kz_peer_direction;

typedef struct kz_peer {
    kz_uuid id;
    char *name;
    char *url;               /* base URL of the peer node, https:// (http:// only to loopback) */
    kz_uuid org_id;          /* the peer node's org */
    uint8_t public_key[32];  /* verified out of band */
    kz_peer_direction direction;
    bool paused;
    kz_tlp tlp_ceiling;
    bool published_only;
    kz_strlist filter_tags;  /* send only events with one of these tags; empty = all */
    kz_strlist filter_types; /* indicator types; empty = all */
    kz_strlist filter_orgs;  /* creator orgs; empty = all */
    char *api_key;           /* the key this node uses at the peer; sealed at rest */
    int pull_interval;       /* seconds; 0 = no schedule */
    int64_t pulled_cursor;   /* the peer's change-log position we have applied */
    int64_t pushed_cursor;   /* our change-log position the peer has acknowledged */
    kz_time last_sync;
    char *last_error;
} kz_peer;

/* The next page of changes a peer may receive, after our change-log position
 * `after`: every object passes the ACL (kz_acl_peer_allows) and the peer's
 * filters; deletions go to a peer only for objects it could have had. */
int kz_sync_feed_page(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                      int64_t after, size_t max_indicators, kz_sync_batch *out, kz_err *err);

typedef struct kz_sync_apply_stats {
    size_t events, indicators, sightings, deletions, orgs, unchanged, refused;
} kz_sync_apply_stats;

/* Verifies every envelope and applies the batch in one transaction:
 * idempotent (a replayed batch changes nothing), only the creator's node may
 * change or delete an object, connected-community distribution is
 * downgraded to community on arrival. A tampered or unsigned envelope is
 * refused and logged and the batch is not applied. */
int kz_sync_apply(kz_store *st, const kz_node_identity *id, const kz_peer *from,
                  const kz_sync_batch *b, kz_sync_apply_stats *stats, kz_err *err);

#endif
