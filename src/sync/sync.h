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
 * - Cases are the exception: shared by invitation, a case travels only from
 *   its home node (the lead org's) to its participants' nodes, as a snapshot
 *   cut for each audience org by the case ACL, and is never relayed or
 *   kept. Participants' work goes back as signed case actions that the home
 *   node checks and applies (docs/federation.md, "Cases").
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
    KZ_SYNC_PROPOSAL, /* a proposal to an event's creator (signed by the proposer's node) */
    KZ_SYNC_CASE,     /* a case as one participant org may hold it (signed by its home node) */
    KZ_SYNC_CASE_ACTION, /* a participant's work on a case, sent to the case's home node */
} kz_sync_kind;

/* What a participant org did on a case homed elsewhere (case_action.c):
 * recorded on its own node, signed there, applied by the home node as the
 * local API would. action is one of accept, decline, comment, correction,
 * task_status, observable, link; the fields the action does not use are
 * empty (NULL, "", -1). */
typedef struct kz_sync_case_action {
    kz_uuid id, case_id, lead_org, org_id, user_id;
    const char *action;
    char *text;          /* comment, correction */
    kz_uuid corrects;    /* correction */
    int tlp;             /* comment, correction: the entry's marking (-1 unset) */
    kz_uuid task_id;     /* task_status */
    int status;          /* task_status: kz_task_status (-1 unset) */
    int obs_type;        /* observable: kz_ioc_type (-1 unset) */
    char *value, *comment; /* observable */
    const char *link_kind; /* link: event, indicator or sighting */
    kz_uuid object_id;     /* link */
    kz_time created;
} kz_sync_case_action;

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
    kz_proposal proposal;        /* KZ_SYNC_PROPOSAL (status unset) */
    kz_case_snapshot case_snap;  /* KZ_SYNC_CASE */
    kz_uuid audience;            /* KZ_SYNC_CASE: the org it was cut for */
    kz_sync_case_action case_action; /* KZ_SYNC_CASE_ACTION */
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
/* Proposals (envelope_proposal.c): canonical fields action, comment,
 * created, creator_org, event_id, id, indicator_id (null for add), org_id,
 * to_ids, type and value (null for delete); domain "kizuna-proposal-v1\n";
 * the signer must speak for org_id, the proposing org. */
int kz_sync_canon_proposal(const kz_proposal *p, kz_buf *out, kz_err *err);
int kz_sync_envelope_proposal(const kz_node_identity *id, const kz_proposal *p, json_t **out,
                              kz_err *err);

/* Cases (envelope_case.c, envelope_case_action.c): a case travels as a
 * snapshot cut for one audience org (domain "kizuna-case-v1\n", signed by
 * the home node, which must speak for the case's lead org); a participant's
 * action as "kizuna-case-action-v1\n", signed by the participant's node for
 * the acting org. Canonical form: the body as jansson writes it with
 * JSON_COMPACT|JSON_SORT_KEYS, rebuilt from the parsed structs. */
int kz_sync_canon_case(const char *audience, const kz_case_snapshot *s, kz_buf *out,
                       kz_err *err);
int kz_sync_envelope_case(const kz_node_identity *id, const char *audience,
                          const kz_case_snapshot *s, json_t **out, kz_err *err);
int kz_sync_canon_case_action(const kz_sync_case_action *x, kz_buf *out, kz_err *err);
int kz_sync_envelope_case_action(const kz_node_identity *id, const kz_sync_case_action *x,
                                 json_t **out, kz_err *err);

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
/* kz_peer and kz_peer_direction (a configured peer) live in store/store.h,
 * section "federation", because the store persists them. */

/* The next page of changes a peer may receive, after our change-log position
 * `after`: every object passes the ACL (kz_acl_peer_allows) and the peer's
 * filters; deletions go to a peer only for objects it could have had. */
int kz_sync_feed_page(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                      int64_t after, size_t max_indicators, kz_sync_batch *out, kz_err *err);

typedef struct kz_sync_apply_stats {
    size_t events, indicators, sightings, deletions, orgs, unchanged, refused;
    size_t proposals;
    size_t cases, case_actions; /* case copies stored; actions applied (home node) */
} kz_sync_apply_stats;

/* Verifies every envelope and applies the batch in one transaction:
 * idempotent (a replayed batch changes nothing), only the creator's node may
 * change or delete an object, connected-community distribution is
 * downgraded to community on arrival. A tampered or unsigned envelope is
 * refused and logged and the batch is not applied. */
int kz_sync_apply(kz_store *st, const kz_node_identity *id, const kz_peer *from,
                  const kz_sync_batch *b, kz_sync_apply_stats *stats, kz_err *err);

/* ---- proposals (proposal.c; plumbing) ----------------------------------- *
 * An org that is not an event's creator proposes (MISP's shadow
 * attributes); the proposal travels to the creator's node; the creator org
 * decides there, and an accepted proposal is an ordinary indicator write by
 * the creator, which then travels as the creator's signed event. */
/* p carries action, indicator_id (change/delete), type, value, to_ids and
 * comment; this fills id, event_id, creator_org, org_id, created, checks
 * and normalises (value into a), and stores it. The caller has checked that
 * org_id may see ev. KZ_E_CONFLICT when org_id is the creator (it edits
 * the event itself); KZ_E_VALUE naming the field for a bad proposal. */
int kz_sync_proposal_create(kz_store *st, const char *org_id, const kz_event *ev, kz_proposal *p,
                            kz_arena *a, kz_err *err);
/* Accepts (applying it to the event) or discards an open proposal, as
 * org_id: KZ_E_FORBIDDEN unless org_id is the event's creator,
 * KZ_E_CONFLICT when the event is not homed on this node or the proposal
 * was decided already, or the indicator it changes is gone. One transaction. */
int kz_sync_proposal_decide(kz_store *st, const char *org_id, const char *proposal_id, bool accept,
                            kz_err *err);

/* ---- cases across nodes (case_action.c; plumbing) ---------------------- *
 * A case lives on its lead org's node. On another node a participant's
 * work is checked there with the same ACL, recorded as a signed action in
 * an outbox, and sent to the home node, which checks again and applies it;
 * the new state comes back as the next snapshot. x carries the action and
 * its fields; this fills id, case_id, lead_org, org_id, user_id, created
 * and stores it. */
int kz_sync_case_action_submit(kz_store *st, const kz_principal *who, const kz_case *c,
                               kz_sync_case_action *x, kz_err *err);
/* The lead org's node as this node knows it ("peer <name>" or the org id),
 * for messages. */
void kz_sync_case_home_name(kz_store *st, const kz_case *c, char *out, size_t n);
/* Whether the case held here is a copy from its lead's node: then only
 * that node changes it (the API and the CLI alike). */
bool kz_sync_case_is_copy(kz_store *st, const kz_case *c);
/* Lead-only work on a copy: KZ_E_CONFLICT naming the lead's node. */
int kz_sync_case_refuse_copy(kz_store *st, const kz_case *c, kz_err *err);
/* What the caller is told once an action is submitted: that it went to
 * the lead's node (named), and when the copy here shows it. */
void kz_sync_case_sent_message(kz_store *st, const kz_case *c, char *out, size_t n);

/* ---- transport (client.c, schedule.c; plumbing) ------------------------- */
/* Largest inflated batch a node accepts at all (pull answers, bundles, and
 * a push that carries one oversized event): the hard ceiling. jansson
 * needs several times the JSON's size in memory, so this bounds a request. */
#define KZ_SYNC_MAX_BATCH ((size_t)512 << 20)
/* What one feed page of several objects may weigh (compact JSON): the feed
 * splits pages below it; an event larger than this goes alone on its page
 * (with its org records), up to KZ_SYNC_MAX_BATCH. */
#define KZ_SYNC_PAGE_BYTES ((size_t)16 << 20)
/* What `kizuna serve` accepts per push by default (--sync-max-batch MiB). */
#define KZ_SYNC_PUSH_MAX_DEFAULT ((size_t)64 << 20)
/* Indicators per feed page unless the caller asks for fewer. */
#define KZ_SYNC_PAGE_INDICATORS 50000

typedef struct kz_sync_run {
    size_t pages;
    int64_t cursor;            /* where the run left the cursor */
    kz_sync_apply_stats stats; /* pull: what was applied; push: what the peer applied */
    size_t objects;            /* objects sent (push) or received (pull) */
} kz_sync_run;

/* Pulls pages from the peer (GET /api/v1/sync/changes) after its
 * pulled_cursor until it says no more, applying each and saving the cursor
 * with it in one transaction, so a crash resumes exactly. */
int kz_sync_pull(kz_store *st, const kz_node_identity *id, const kz_peer *peer, kz_sync_run *run,
                 kz_err *err);
/* Sends our feed pages after the peer's pushed_cursor (POST
 * /api/v1/sync/push), saving the cursor after each acknowledged page. */
int kz_sync_push(kz_store *st, const kz_node_identity *id, const kz_peer *peer, kz_sync_run *run,
                 kz_err *err);
/* Configuration (limits.c), set once before serving; tests lower them.
 * Page bytes: what the feed aims a page of several objects at (default
 * KZ_SYNC_PAGE_BYTES). Push max: what a push may inflate to (default
 * KZ_SYNC_PUSH_MAX_DEFAULT, at least the page bytes, at most
 * KZ_SYNC_MAX_BATCH). */
void kz_sync_set_page_bytes(size_t bytes);
size_t kz_sync_page_bytes(void);
int kz_sync_set_push_max(size_t bytes, kz_err *err);
size_t kz_sync_push_max(void);
/* Decodes a pushed batch under the push max. A batch above it (up to the
 * hard ceiling) is taken only when it carries a single event (plus org
 * records: one oversized event on its own page), and only one such batch
 * at a time in the process (KZ_E_RATE while another is being handled):
 * then *oversized is true and the caller calls kz_sync_oversized_done()
 * once it has applied it. KZ_E_TOOLARGE names the limit. */
int kz_sync_batch_decode_push(const void *bytes, size_t len, kz_sync_batch *out, bool *oversized,
                              kz_err *err);
void kz_sync_oversized_done(void);

/* GET <url>/api/v1/sync/node: the peer's node id, key and signed org
 * envelope (public). *out is owned by the caller. */
int kz_sync_fetch_node(const char *url, json_t **out, kz_err *err);
/* http:// is allowed only to loopback addresses; https:// anywhere. */
int kz_sync_url_check(const char *url, kz_err *err);

/* The background scheduler `kizuna serve` runs: pulls each pull peer on
 * its interval, pushes to push peers within ~200 ms of a local change. */
typedef struct kz_sync_scheduler kz_sync_scheduler;
/* The calling thread's transfers abort once *flag is true (NULL = never). */
void kz_sync_set_abort(const _Atomic bool *flag);
int kz_sync_scheduler_start(const char *db_path, kz_sync_scheduler **out, kz_err *err);
void kz_sync_scheduler_stop(kz_sync_scheduler *s);

#endif
