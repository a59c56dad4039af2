/* sync_int.h — private to the wire half of src/sync/: the canonical writer,
 * the domain strings and the pieces build and open share, so the bytes a
 * node signs and the bytes a receiver recomputes come from the same code.
 */
#ifndef KZ_SYNC_INT_H
#define KZ_SYNC_INT_H

#include "formats/formats.h" /* the KZ_MAX_* bounds the REST API applies */
#include "sync.h"

/* Domain strings: the first bytes of every signed message, so a signature
 * over one kind of object can never be replayed as another. */
#define KZ_SYNC_DOMAIN_EVENT "kizuna-event-v1\n"
#define KZ_SYNC_DOMAIN_SIGHTING "kizuna-sighting-v1\n"
#define KZ_SYNC_DOMAIN_DELETION "kizuna-deletion-v1\n"
#define KZ_SYNC_DOMAIN_ORG "kizuna-org-v1\n"
#define KZ_SYNC_DOMAIN_BUNDLE "kizuna-bundle-v1\n"
#define KZ_SYNC_DOMAIN_PROPOSAL "kizuna-proposal-v1\n"
#define KZ_SYNC_DOMAIN_CASE "kizuna-case-v1\n"
#define KZ_SYNC_DOMAIN_CASE_ACTION "kizuna-case-action-v1\n"

#define KZ_SYNC_BUNDLE_MAGIC "KZBUNDLE1\n"
#define KZ_SYNC_SIG_B64_LEN 88 /* base64 (with padding) of a 64-byte signature */

/* Times travel as integers (µs); year 9999 bounds them so every receiver
 * can format them. */
#define KZ_SYNC_TIME_MAX 253402300799999999LL

/* ---- canonical writer (canon.c) ------------------------------------------
 * Appends JSON exactly as jansson's JSON_COMPACT|JSON_SORT_KEYS dump would
 * write it (callers emit keys in bytewise order). Each checks what it writes
 * (UTF-8, UUID shape, time range), so no node can sign bytes that a receiver
 * would refuse. field names the value in messages. */
typedef struct kz_cw {
    kz_buf *out;
    kz_err *err;
    const char *what; /* "event", "indicator", ... */
    const char *id;   /* the object's id, for messages */
    int rc;           /* first failure; later writes are no-ops */
} kz_cw;

void kz__sync_cw_raw(kz_cw *w, const char *s);
void kz__sync_cw_key(kz_cw *w, bool first, const char *key); /* ,"key": */
/* At most max bytes: the same bound the reader applies. */
void kz__sync_cw_str(kz_cw *w, const char *field, const char *s, size_t max, bool nullable);
void kz__sync_cw_str_ne(kz_cw *w, const char *field, const char *s, size_t max); /* not "" */
void kz__sync_cw_uuid(kz_cw *w, const char *field, const char *s, bool nullable);
void kz__sync_cw_int(kz_cw *w, int64_t v);
void kz__sync_cw_time(kz_cw *w, const char *field, kz_time t);
void kz__sync_cw_bool(kz_cw *w, bool v);
void kz__sync_cw_name(kz_cw *w, const char *field, const char *name, bool nullable);
void kz__sync_cw_strlist(kz_cw *w, const char *field, const kz_strlist *l, bool uuids);
/* Lists are sets in the model: the first entry found twice, NULL if none
 * (or on allocation failure, then *oom). */
const char *kz__sync_dupe(const kz_strlist *l, bool *oom);
/* Fails the writer: "<what> <id>: <field>: msg". */
void kz__sync_cw_fail(kz_cw *w, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Bounds shared by the writer and the reader, so a node never signs what a
 * receiver refuses. They are the REST API's bounds. */
#define KZ_SYNC_MAX_TAG 255
#define KZ_SYNC_MAX_SG_IDS KZ_MAX_IDS

/* ---- strict reader (envelope_read.c) -------------------------------------
 * Reads one field of a received object. Every reader checks type, bounds
 * and normal form and fails with "<what> <id>: '<field>' ..." so the
 * operator can find the object on the sending node. */
typedef struct kz_rd {
    kz_arena *a;
    kz_err *err;
    const char *what; /* "event", "indicator", ... */
    const char *id;   /* "" until the object's id is read */
} kz_rd;

enum { KZ_RD_NULLABLE = 1, KZ_RD_NONEMPTY = 2 };

int kz__sync_rd_fail(const kz_rd *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Every key of o is in keys (n of them) and every key but `optional` is present. */
int kz__sync_rd_keys(const kz_rd *r, const json_t *o, const char *const *keys, size_t n,
                     const char *optional);
int kz__sync_rd_str(const kz_rd *r, const json_t *o, const char *key, size_t max, unsigned flags,
                    char **out);
int kz__sync_rd_uuid(const kz_rd *r, const json_t *o, const char *key, unsigned flags,
                     kz_uuid out);
int kz__sync_rd_int(const kz_rd *r, const json_t *o, const char *key, int64_t lo, int64_t hi,
                    int64_t *out);
int kz__sync_rd_time(const kz_rd *r, const json_t *o, const char *key, kz_time *out);
int kz__sync_rd_bool(const kz_rd *r, const json_t *o, const char *key, bool *out);
/* A vocabulary name exactly as name() writes it; null gives -1 when nullable. */
int kz__sync_rd_name(const kz_rd *r, const json_t *o, const char *key, unsigned flags,
                     int (*parse)(const char *), const char *(*name)(int), const char *choices,
                     int *out);
int kz__sync_rd_uuid_list(const kz_rd *r, const json_t *o, const char *key, size_t max,
                          kz_strlist *out);
int kz__sync_rd_tags(const kz_rd *r, const json_t *o, const char *key, kz_strlist *out);
/* Printable copy of s for messages (at most 60 bytes, then "..."). */
void kz__sync_quote(const char *s, size_t n, char out[72]);
bool kz__sync_uuid_lower(const char *s);

/* ---- canonical forms not in sync.h (canon.c) ---------------------------- */
int kz__sync_canon_deletion(const kz_sync_deletion *d, kz_buf *out, kz_err *err);
int kz__sync_canon_org(const kz_org *o, kz_buf *out, kz_err *err);
/* {"fingerprint":..,"org":..,"public_key":..} */
int kz__sync_canon_signer(const char *org, const uint8_t pk[32], kz_buf *out, kz_err *err);

/* The message an envelope's signature covers:
 *   domain || canonical body || "\n" || canonical signer
 * (canonical JSON never holds a raw newline, so the parts cannot blur). */
int kz__sync_message(const char *domain, const kz_buf *canon, const char *signer_org,
                     const uint8_t pk[32], kz_buf *out, kz_err *err);

/* The wire name of a kind ("event", ...), NULL outside the enum. */
const char *kz__sync_kind_name(kz_sync_kind k);
const char *kz__sync_kind_domain(kz_sync_kind k);

/* ---- the same fields as jansson values, for envelope bodies
 * (envelope_json.c). Each returns NULL on allocation failure only; the
 * canonical writer is what validates. */
json_t *kz__sync_json_indicator(const kz_indicator *ind);
json_t *kz__sync_json_event(const kz_event *ev, const kz_sharing_group *sg); /* no manifest */
json_t *kz__sync_json_sighting(const kz_sighting *s);
json_t *kz__sync_json_deletion(const kz_sync_deletion *d);
json_t *kz__sync_json_org(const kz_org *o);
json_t *kz__sync_json_signer(const char *org, const uint8_t pk[32]);
json_t *kz__sync_json_proposal(const kz_proposal *p);
/* Reads a proposal body strictly (envelope_proposal.c). */
int kz__sync_read_proposal(kz_rd *r, const json_t *o, kz_proposal *p);

/* ---- cases (envelope_case.c, envelope_case_action.c, feed_case.c,
 * apply_case.c) ---------------------------------------------------------- */
/* Signs canon under kind's domain and wraps body (taken) into *out
 * (envelope_build.c). */
int kz__sync_wrap(const kz_node_identity *id, kz_sync_kind kind, const kz_buf *canon,
                  json_t *body, json_t **out, kz_err *err);
/* The snapshot body: {"audience","view","case","participants","links",
 * "tasks","observables","timeline","transitions","injects"}. NULL on
 * allocation failure only. */
json_t *kz__sync_json_case(const char *audience, const kz_case_snapshot *s);
/* Strict reader into obj->case_snap and obj->audience. */
int kz__sync_read_case(kz_rd *r, const json_t *o, kz_sync_object *obj);
json_t *kz__sync_json_case_action(const kz_sync_case_action *x);
int kz__sync_read_case_action(kz_rd *r, const json_t *o, kz_sync_case_action *x);
/* x's body (*body, the caller's) and its canonical bytes appended to canon,
 * once the receiver's reader has taken it: what the participant's node
 * stores in its outbox and what it signs are one and the same. */
int kz__sync_case_action_checked(const kz_sync_case_action *x, json_t **body, kz_buf *canon,
                                 kz_err *err);
/* Compact, sorted keys: the canonical bytes of a body built above. */
int kz__sync_canon_json(const json_t *body, const char *what, kz_buf *out, kz_err *err);

/* The envelopes one change-log row of a case gives a peer (feed_case.c):
 * the snapshot cut for the peer's org, when the case is homed here and
 * kz_acl_case_peer_allows lets it go; none otherwise. *env NULL = nothing.
 * *lead names the org record the peer needs (the lead's). */
int kz__sync_feed_case(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                       const kz_acl_peer *ap, const char *case_id, kz_arena *a, json_t **env,
                       bool *was_sent, kz_err *err);
/* An outbox action goes to the peer that is the case's home (the lead
 * org's node), directly: never through a hub. An action received here and
 * refused names its case in recut ("" otherwise): the caller sends that
 * case again, so the acting org's node learns why. */
int kz__sync_feed_case_action(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                              const char *action_id, json_t **env, kz_uuid recut, kz_err *err);
/* Applying (apply_case.c), inside the batch's transaction. *keep: keep
 * the envelope (never for cases: they are not relayed). */
int kz__sync_apply_case(kz_store *st, const kz_node_identity *id, kz_sync_object *o,
                        kz_sync_apply_stats *stats, kz_err *err);
int kz__sync_apply_case_action(kz_store *st, kz_sync_object *o, kz_arena *a,
                               kz_sync_apply_stats *stats, kz_err *err);

/* ---- compression (batch.c), shared with bundles ------------------------- */
int kz__sync_deflate(const void *in, size_t n, kz_buf *out, kz_err *err);
/* Inflates zlib bytes into out; KZ_E_TOOLARGE past max bytes. */
int kz__sync_inflate(const void *in, size_t n, size_t max, kz_buf *out, kz_err *err);

#endif
