/* apply.c — taking in a batch from a peer (or a bundle): verify everything,
 * then store it in one transaction, or store nothing.
 *
 * Rules, in the order they bite:
 * - Every envelope must open: strict shape, a valid Ed25519 signature over
 *   the recomputed canonical bytes, and a signer this node trusts for the
 *   object's org. One bad envelope refuses the whole batch (logged, and the
 *   error names the object): a peer that sends tampered data learns nothing
 *   was taken, and the cursor does not move past it.
 * - Trust: an org with a recorded home key is spoken for by that key only;
 *   only the operator replaces it (peer add, node trust). An org this node
 *   has never heard of (or knows only as a placeholder that a received
 *   case named, kz_store_org_placeholder) may be introduced only by a peer
 *   the operator marked as a relay (a hub), and only as the creator of an
 *   event in the same batch that may travel at all (published, not
 *   distribution org, not RED): its signer key is recorded as the org's
 *   home (inside the same transaction, so a refused batch introduces
 *   nothing). Anything else from an unknown org is skipped (logged), not
 *   stored: it is not a forgery of a known key, so it does not refuse the
 *   batch. Orgs homed here are spoken
 *   for by this node alone; our own objects coming back are recognised and
 *   left alone.
 * - A sharing group that comes with an event creates the group when it is
 *   new here; a group held here changes only when the signer speaks for
 *   the group's stored owner org and the group is newer, and its owner
 *   never changes.
 * - Only the creator's node changes or deletes an object: the trust rule
 *   gives that for events and deletions (signed for the creator org), and
 *   a stored event of another creator is never overwritten.
 * - Idempotent: an object not newer than what is stored changes nothing, a
 *   sighting id already here changes nothing, and a batch whose digest is in
 *   the batch log is skipped whole.
 * - Connected-community events are stored as community: the hop they were
 *   allowed is the one they just made.
 */
#include "sync_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct trust_ctx {
    kz_store *st;
    const kz_node_identity *id;
    const kz_peer *from;
    bool failed;  /* a store error inside the callback */
    bool unknown; /* the last refusal was an org nobody introduced */
    size_t skipped; /* objects of such orgs in this batch */
    kz_strlist creators; /* orgs a relay peer may introduce in this batch */
} trust_ctx;

static bool org_exists(kz_store *st, const char *org_id)
{
    kz_arena tmp;
    kz_arena_init(&tmp);
    kz_org o;
    kz_err e = {0};
    int r = kz_store_org_get(st, org_id, &tmp, &o, &e);
    kz_arena_free(&tmp);
    return r == 0;
}

static bool trust(void *ctx, const char *org_id, const uint8_t key[32])
{
    trust_ctx *t = ctx;
    uint8_t known[32];
    kz_err e = {0};
    int r = kz_store_org_key_get(t->st, org_id, known, NULL, NULL, &e);
    if (r == 0)
        return sodium_memcmp(known, key, 32) == 0;
    if (r != KZ_E_NOTFOUND) {
        t->failed = true;
        return false;
    }
    bool placeholder = false;
    if (kz_store_org_placeholder(t->st, org_id, &placeholder, &e)) {
        t->failed = true;
        return false;
    }
    /* homed here; a placeholder a case named is of unknown home instead */
    if (!placeholder && org_exists(t->st, org_id))
        return sodium_memcmp(key, t->id->public_key, 32) == 0;
    if (!t->from || !t->from->relay || !kz_strlist_has(&t->creators, org_id)) {
        t->unknown = true;
        return false;
    }
    /* Introduced by the relay peer that carries its events. */
    if (kz_store_org_key_set(t->st, org_id, key, t->from->id, &e)) {
        t->failed = true;
        return false;
    }
    return true;
}

/* Homed here: only this node changes it. */
static bool is_local(kz_store *st, const char *org_id)
{
    uint8_t k[32];
    kz_err e = {0};
    bool placeholder = false;
    return kz_store_org_key_get(st, org_id, k, NULL, NULL, &e) == KZ_E_NOTFOUND &&
           kz_store_org_placeholder(st, org_id, &placeholder, &e) == 0 && !placeholder &&
           org_exists(st, org_id);
}

static int apply_org(kz_store *st, kz_sync_object *o, kz_sync_apply_stats *stats, kz_err *err)
{
    if (is_local(st, o->org.id)) {
        stats->unchanged++;
        return 0;
    }
    kz_arena tmp;
    kz_arena_init(&tmp);
    kz_org cur;
    kz_err e = {0};
    int r = kz_store_org_get(st, o->org.id, &tmp, &cur, &e);
    bool newer = r != 0 || o->org.modified > cur.modified;
    kz_arena_free(&tmp);
    if (!newer) {
        stats->unchanged++;
        return 0;
    }
    if ((r = kz_store_sync_org_put(st, &o->org, err)))
        return r;
    stats->orgs++;
    return 0;
}

/* Fits a received event to this node: what it names must exist here. */
static void localise(kz_store *st, kz_event *ev, kz_arena *a, bool has_sg)
{
    kz_err e = {0};
    if (ev->distribution == KZ_DIST_CONNECTED)
        ev->distribution = KZ_DIST_COMMUNITY;
    if (ev->community_id[0]) {
        kz_community c;
        /* Communities are configured per node; one unknown here means
         * "every community of the creator org" as this node knows them. */
        if (kz_store_community_get(st, ev->community_id, a, &c, &e) != 0)
            ev->community_id[0] = '\0';
    }
    if (ev->distribution == KZ_DIST_SHARING_GROUP && !has_sg) {
        kz_sharing_group g;
        if (!ev->sharing_group_id[0] ||
            kz_store_sharing_group_get(st, ev->sharing_group_id, a, &g, &e) != 0) {
            /* A group we cannot know the members of reaches no one. */
            ev->distribution = KZ_DIST_ORG;
            ev->sharing_group_id[0] = '\0';
        }
    }
    if (ev->distribution != KZ_DIST_SHARING_GROUP)
        ev->sharing_group_id[0] = '\0';
    size_t k = 0;
    for (size_t i = 0; i < ev->recipient_orgs.n; i++)
        if (org_exists(st, ev->recipient_orgs.v[i]))
            ev->recipient_orgs.v[k++] = ev->recipient_orgs.v[i];
    ev->recipient_orgs.n = k;
    ev->recipient_users = (kz_strlist){0};
    ev->creator_user[0] = '\0';
}

/* A group held here changes only through its owner's node (the group's
 * stored owner, never the one the envelope claims). */
static int update_group(kz_store *st, const kz_sync_object *o, kz_arena *a, kz_err *err)
{
    kz_sharing_group cur;
    kz_err e = {0};
    int r = kz_store_sharing_group_get(st, o->sharing_group.id, a, &cur, &e);
    if (r == KZ_E_NOTFOUND)
        return 0; /* new here: the event write creates it */
    if (r) {
        *err = e;
        return r;
    }
    uint8_t owner_key[32];
    r = kz_store_org_key_get(st, cur.owner_org, owner_key, NULL, NULL, &e);
    if (r == KZ_E_NOTFOUND || (r == 0 && sodium_memcmp(owner_key, o->signer_key, 32) != 0)) {
        if (o->sharing_group.modified > cur.modified)
            kz_log(KZ_LOG_INFO,
                   "sync: sharing group %s: a change signed by %s is ignored (the group's "
                   "owner %s is not homed on that node)",
                   cur.id, o->signer_fp, cur.owner_org);
        return 0;
    }
    if (r) {
        *err = e;
        return r;
    }
    bool changed = false;
    return kz_store_sync_sharing_group_update(st, &o->sharing_group, &changed, err);
}

static int apply_event(kz_store *st, kz_sync_object *o, kz_arena *a, kz_sync_apply_stats *stats,
                       bool *keep, kz_err *err)
{
    kz_event *ev = &o->event;
    if (is_local(st, ev->creator_org)) {
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    kz_event cur;
    kz_err e = {0};
    /* A deletion we already applied wins over any older copy of the event
     * (an old batch replayed, a slow relay). */
    char *kind = NULL;
    int64_t version = 0;
    int r = kz_store_envelope_get(st, ev->id, a, &kind, &version, NULL, NULL, &e);
    if (r == 0 && kind && strcmp(kind, "deletion") == 0 && version >= ev->modified) {
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    if (r != 0 && r != KZ_E_NOTFOUND) {
        *err = e;
        return r;
    }
    r = kz_store_event_get(st, ev->id, false, a, &cur, &e);
    if (r == 0 && cur.modified >= ev->modified) {
        stats->unchanged++;
        return 0;
    }
    if (r == 0 && strcmp(cur.creator_org, ev->creator_org) != 0)
        return kz_fail(err, KZ_E_UNAUTH, "creator_org",
                       "event %s: held here for creator org %s, refused from %s", ev->id,
                       cur.creator_org, ev->creator_org);
    if (r != 0 && r != KZ_E_NOTFOUND) {
        *err = e;
        return r;
    }
    if (!org_exists(st, ev->creator_org)) {
        /* Its org record did not come (a relay that never had it): a
         * placeholder keeps the event; the record replaces it on arrival. */
        kz_org placeholder = {.type = KZ_ORG_NATIONAL_CERT, .created = 1, .modified = 1};
        char name[64];
        snprintf(name, sizeof name, "org %.8s (via federation)", ev->creator_org);
        snprintf(placeholder.id, sizeof placeholder.id, "%s", ev->creator_org);
        placeholder.name = name;
        if ((r = kz_store_sync_org_put(st, &placeholder, err)))
            return r;
    }
    if (o->has_sharing_group && (r = update_group(st, o, a, err)))
        return r;
    localise(st, ev, a, o->has_sharing_group);
    r = kz_store_sync_event_put(st, ev, o->has_sharing_group ? &o->sharing_group : NULL, err);
    if (r)
        return r;
    stats->events++;
    stats->indicators += ev->n_indicators;
    return 0;
}

static int apply_deletion(kz_store *st, kz_sync_object *o, kz_arena *a,
                          kz_sync_apply_stats *stats, bool *keep, kz_err *err)
{
    kz_sync_deletion *d = &o->deletion;
    if (is_local(st, d->creator_org)) {
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    kz_err e = {0};
    int r;
    if (strcmp(d->object_type, "event") == 0) {
        kz_event cur;
        r = kz_store_event_get(st, d->object_id, false, a, &cur, &e);
        if (r == 0 && strcmp(cur.creator_org, d->creator_org) != 0)
            return kz_fail(err, KZ_E_UNAUTH, "creator_org",
                           "deletion of event %s: its creator here is %s, not %s", d->object_id,
                           cur.creator_org, d->creator_org);
        if (r == 0)
            r = kz_store_event_delete(st, d->object_id, err);
    } else {
        kz_indicator ind;
        kz_event cur;
        r = kz_store_indicator_get(st, d->object_id, a, &ind, &e);
        if (r == 0 && (r = kz_store_event_get(st, ind.event_id, false, a, &cur, err)) == 0) {
            if (strcmp(cur.creator_org, d->creator_org) != 0)
                return kz_fail(err, KZ_E_UNAUTH, "creator_org",
                               "deletion of indicator %s: its creator here is %s, not %s",
                               d->object_id, cur.creator_org, d->creator_org);
            r = kz_store_indicator_delete(st, d->object_id, err);
        }
    }
    if (r == KZ_E_NOTFOUND) {
        stats->unchanged++;
        return 0;
    }
    if (r)
        return r;
    stats->deletions++;
    return 0;
}

static int apply_sighting(kz_store *st, kz_sync_object *o, kz_sync_apply_stats *stats,
                          bool *keep, kz_err *err)
{
    if (o->sighting.org_id[0] && is_local(st, o->sighting.org_id)) {
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    bool stored = false;
    kz_err e = {0};
    int r = kz_store_sync_sighting_put(st, &o->sighting, &stored, &e);
    if (r == KZ_E_NOTFOUND) { /* its indicator is not here (filtered, deleted) */
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    if (r) {
        *err = e;
        return r;
    }
    if (stored)
        stats->sightings++;
    else
        stats->unchanged++;
    return 0;
}

/* A proposal is kept where its event is (the creator's node, or a hub
 * that relays it there), and only when the proposing org may see that
 * event here: the same peer decision as the feed, for the proposer's org. */
static int apply_proposal(kz_store *st, kz_sync_object *o, kz_arena *a,
                          kz_sync_apply_stats *stats, bool *keep, kz_err *err)
{
    kz_proposal *p = &o->proposal;
    kz_event ev;
    kz_err e = {0};
    int r = is_local(st, p->org_id) ? KZ_E_NOTFOUND
                                    : kz_store_event_get(st, p->event_id, false, a, &ev, &e);
    if (r == KZ_E_NOTFOUND) { /* our own coming back, or an event not here */
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    if (r) {
        *err = e;
        return r;
    }
    kz_strlist communities = {0};
    kz_acl_object obj;
    if ((r = kz_store_org_communities(st, p->org_id, a, &communities, err)) ||
        (r = kz_store_acl_object_load(st, &ev, a, &obj, err)))
        return r;
    kz_acl_peer ap = {.org_id = p->org_id, .communities = &communities,
                      .tlp_ceiling = KZ_TLP_RED};
    const char *why = NULL;
    if (strcmp(ev.creator_org, p->creator_org) != 0 || !kz_acl_peer_allows(&ap, &obj, &why)) {
        kz_log(KZ_LOG_WARN, "sync: proposal %s of org %s on event %s ignored: %s", p->id,
               p->org_id, p->event_id,
               strcmp(ev.creator_org, p->creator_org) != 0 ? "it names another creator org"
                                                           : (why ? why : "the org may not see it"));
        stats->unchanged++;
        *keep = false;
        return 0;
    }
    bool stored = false;
    if ((r = kz_store_proposal_put(st, p, &stored, err)))
        return r;
    if (stored)
        stats->proposals++;
    else
        stats->unchanged++;
    return 0;
}

/* Where a kept envelope is filed: object id and version. */
static void envelope_key(const kz_sync_object *o, const char **id, int64_t *version,
                         const char **kind)
{
    switch (o->kind) {
    case KZ_SYNC_EVENT:
        *id = o->event.id, *version = o->event.modified, *kind = "event";
        break;
    case KZ_SYNC_SIGHTING:
        *id = o->sighting.id, *version = o->sighting.created, *kind = "sighting";
        break;
    case KZ_SYNC_DELETION:
        *id = o->deletion.object_id, *version = o->deletion.deleted_at, *kind = "deletion";
        break;
    case KZ_SYNC_PROPOSAL:
        *id = o->proposal.id, *version = o->proposal.created, *kind = "proposal";
        break;
    case KZ_SYNC_CASE:
        *id = o->case_snap.c.id, *version = o->case_snap.c.modified, *kind = "case";
        break;
    case KZ_SYNC_CASE_ACTION:
        *id = o->case_action.id, *version = o->case_action.created, *kind = "case action";
        break;
    default:
        *id = o->org.id, *version = o->org.modified, *kind = "org";
        break;
    }
}

static int apply_one(kz_store *st, const kz_node_identity *id, trust_ctx *t, const json_t *env,
                     size_t index, kz_sync_apply_stats *stats, kz_err *err)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_sync_object o;
    t->unknown = false;
    int r = kz_sync_envelope_open(env, trust, t, &a, &o, err);
    if (r == KZ_E_UNAUTH && t->unknown && !t->failed) {
        /* An org nobody here vouches for: not a forgery, just not ours to
         * take. Skipped, so the rest of the batch still arrives. */
        kz_log(KZ_LOG_WARN, "sync: skipped object %zu from %s: %s", index,
               t->from ? t->from->name : "a bundle", err->msg);
        memset(err, 0, sizeof *err);
        stats->unchanged++;
        t->skipped++;
        kz_arena_free(&a);
        return 0;
    }
    if (r) {
        if (t->failed && err->code == 0)
            r = kz_fail(err, KZ_E_DB, "", "object %zu: cannot read the node keys", index);
        kz_arena_free(&a);
        return r;
    }
    bool keep = true;
    switch (o.kind) {
    case KZ_SYNC_ORG:
        r = apply_org(st, &o, stats, err);
        break;
    case KZ_SYNC_EVENT:
        r = apply_event(st, &o, &a, stats, &keep, err);
        break;
    case KZ_SYNC_DELETION:
        r = apply_deletion(st, &o, &a, stats, &keep, err);
        break;
    case KZ_SYNC_SIGHTING:
        r = apply_sighting(st, &o, stats, &keep, err);
        break;
    case KZ_SYNC_PROPOSAL:
        r = apply_proposal(st, &o, &a, stats, &keep, err);
        break;
    case KZ_SYNC_CASE: /* never kept: cases are not relayed */
        keep = false;
        r = kz__sync_apply_case(st, id, &o, stats, err);
        break;
    case KZ_SYNC_CASE_ACTION:
        keep = false;
        r = kz__sync_apply_case_action(st, &o, &a, stats, err);
        break;
    }
    if (r && err->msg[0]) {
        /* Name the object in store errors too ("a referenced object ..."). */
        const char *oid, *kind;
        int64_t v;
        envelope_key(&o, &oid, &v, &kind);
        if (!strstr(err->msg, oid)) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%.12s %.40s: %.440s", kind, oid, err->msg);
            snprintf(err->msg, sizeof err->msg, "%s", msg);
        }
    }
    if (!r && keep) {
        const char *oid, *kind;
        int64_t version;
        envelope_key(&o, &oid, &version, &kind);
        char *text = json_dumps(env, JSON_COMPACT);
        if (!text)
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        else
            r = kz_store_envelope_keep(st, oid, kind, version, o.signer_fp, text, strlen(text),
                                       NULL, err);
        free(text);
    }
    kz_arena_free(&a);
    return r;
}

/* The creator orgs of the events in a batch that may travel at all: the
 * orgs a relay peer may introduce. Read before verification; an org listed
 * here is introduced only if its own event envelope then verifies under
 * the key introduced (the trust callback runs inside the signature check). */
static int collect_creators(const kz_sync_batch *b, kz_arena *a, kz_strlist *out, kz_err *err)
{
    size_t i;
    json_t *env;
    json_array_foreach(b->objects, i, env) {
        const char *kind = json_string_value(json_object_get(env, "kind"));
        json_t *body = json_object_get(env, "body");
        if (!kind || strcmp(kind, "event") != 0 || !json_is_object(body))
            continue;
        const char *org = json_string_value(json_object_get(body, "creator_org"));
        const char *dist = json_string_value(json_object_get(body, "distribution"));
        const char *tlp = json_string_value(json_object_get(body, "tlp"));
        if (!org || !dist || !tlp || !json_is_true(json_object_get(body, "published")) ||
            strcmp(dist, "org") == 0 || strcmp(tlp, "red") == 0 || kz_strlist_has(out, org))
            continue;
        char *copy = kz_arena_strdup(a, org);
        if (!copy || kz_strlist_push(a, out, copy))
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    return 0;
}

/* BLAKE2b-256 over the signatures: Ed25519 signatures are deterministic,
 * so the same objects give the same digest whatever the JSON spacing. */
static void batch_digest(const kz_sync_batch *b, uint8_t out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    size_t i;
    json_t *env;
    json_array_foreach(b->objects, i, env) {
        const char *sig = json_string_value(json_object_get(env, "signature"));
        if (sig)
            crypto_generichash_update(&h, (const uint8_t *)sig, strlen(sig));
        crypto_generichash_update(&h, (const uint8_t *)"\n", 1);
    }
    crypto_generichash_final(&h, out, 32);
}

int kz_sync_apply(kz_store *st, const kz_node_identity *id, const kz_peer *from,
                  const kz_sync_batch *b, kz_sync_apply_stats *stats, kz_err *err)
{
    memset(stats, 0, sizeof *stats);
    if (!b->objects || !json_is_array(b->objects))
        return kz_fail(err, KZ_E_INVALID, "objects", "the batch has no objects array");
    const char *who = from ? from->name : "an offline bundle";
    if (from) {
        /* The batch must come from the node we think we are talking to. */
        char fp[KZ_NODE_FP_LEN + 1];
        kz_sync_fingerprint(from->public_key, fp);
        const char *slash = strchr(b->from_node, '/');
        if (!slash || strcmp(slash + 1, fp) != 0)
            return kz_fail(err, KZ_E_UNAUTH, "from_node",
                           "batch from '%.100s' claims node '%.80s', but the peer's key has "
                           "fingerprint %s",
                           who, b->from_node, fp);
    }
    size_t n = json_array_size(b->objects);
    uint8_t digest[32];
    batch_digest(b, digest);
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    bool seen = false;
    if (n) /* an empty page changes nothing and is not worth logging */
        r = kz_store_sync_batch_seen(st, b->from_node, digest, &seen, err);
    if (!r && (seen || n == 0)) {
        stats->unchanged = n;
        /* commit, not roll back: the caller's transaction (the cursor) goes on */
        return kz_store_commit(st, err);
    }
    trust_ctx t = {.st = st, .id = id, .from = from};
    kz_arena ca;
    kz_arena_init(&ca);
    if (!r && from && from->relay)
        r = collect_creators(b, &ca, &t.creators, err);
    for (size_t i = 0; !r && i < n; i++) {
        r = apply_one(st, id, &t, json_array_get(b->objects, i), i, stats, err);
        if (r) {
            stats->refused++;
            kz_log(KZ_LOG_WARN, "sync: refused the batch from %s (cursor %lld): object %zu: %s",
                   who, (long long)b->cursor, i, err->msg);
        }
    }
    kz_arena_free(&ca);
    /* A batch with skipped objects is not logged as done: once the operator
     * trusts their org (a relay flag, node trust) the same batch applies. */
    if (!r && !t.skipped)
        r = kz_store_sync_batch_log(st, b->from_node, digest, b->cursor, n, err);
    if (r) {
        kz_store_rollback(st);
        return r;
    }
    return kz_store_commit(st, err);
}
