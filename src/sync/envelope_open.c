/* envelope_open.c — receiving a signed object: strict parse, recompute,
 * verify, ask whom the signer may speak for.
 *
 * The signature is checked over canonical bytes recomputed from the parsed
 * structs, never over the bytes as received: what is verified is exactly
 * what will be stored. Then the trust callback decides whether the signing
 * key may speak for the creator org (events, deletions, orgs) or the
 * sighting's org. Failures are KZ_E_INVALID (shape) or KZ_E_UNAUTH
 * (signature, trust) with the object's id in the message.
 */
#include "sync_int.h"

#include <string.h>

#include <sodium.h>

/* int-typed adapters for the vocabulary readers */
static const char *tlp_name(int x) { return kz_tlp_name((kz_tlp)x); }
static const char *pap_name(int x) { return kz_pap_name((kz_pap)x); }
static const char *dist_name(int x) { return kz_distribution_name((kz_distribution)x); }
static const char *org_type_name(int x) { return kz_org_type_name((kz_org_type)x); }
static const char *sighting_name(int x) { return kz_sighting_type_name((kz_sighting_type)x); }
static const char *ioc_name(int x)
{
    return x >= 0 && x < KZ_IOC__COUNT ? kz_ioc_type_name((kz_ioc_type)x) : NULL;
}

#define TLP_CHOICES "clear, green, amber, amber+strict, red"
#define DIST_CHOICES "org, community, connected, all, sharing_group"

/* ---- bodies ------------------------------------------------------------- */

static int read_indicator(kz_rd *r, const json_t *o, const kz_event *ev, kz_buf *norm,
                          kz_indicator *ind)
{
    static const char *const keys[] = {"comment",  "created", "distribution", "event_id", "first_seen",
                                       "id",       "last_seen", "modified",   "tags",     "tlp",
                                       "to_ids",   "type",    "value"};
    r->what = "indicator";
    r->id = "";
    memset(ind, 0, sizeof *ind);
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "id", 0, ind->id) : 0;
    r->id = ind->id;
    int t = -1, x;
    const char *v;
    size_t n;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "event_id", 0, ind->event_id);
    if (!rc && strcmp(ind->event_id, ev->id) != 0)
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "event_id", "is %s, not the enclosing event %s",
                              ind->event_id, ev->id);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "comment", KZ_MAX_TEXT, KZ_RD_NULLABLE, &ind->comment);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &ind->created);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "modified", &ind->modified);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "first_seen", &ind->first_seen);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "last_seen", &ind->last_seen);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "distribution", KZ_RD_NULLABLE, kz_distribution_parse,
                                       dist_name, DIST_CHOICES, &x)))
        ind->distribution = x;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "tlp", KZ_RD_NULLABLE, kz_tlp_parse, tlp_name,
                                       TLP_CHOICES, &x)))
        ind->tlp = x;
    if (!rc)
        rc = kz__sync_rd_bool(r, o, "to_ids", &ind->to_ids);
    if (!rc)
        rc = kz__sync_rd_tags(r, o, "tags", &ind->tags);
    if (!rc)
        rc = kz__sync_rd_name(r, o, "type", 0, kz_ioc_type_parse, ioc_name,
                              "an indicator type such as ipv4, domain, url, sha256", &t);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "value", KZ_MAX_VALUE, KZ_RD_NONEMPTY, &ind->value);
    if (rc)
        return rc;
    ind->type = (kz_ioc_type)t;
    /* The sender normalised the value; a value that does not come back
     * unchanged was not written by a kizuna node (or not by this version). */
    v = ind->value;
    n = strlen(v);
    kz_err e;
    kz_err_clear(&e);
    char q[72];
    kz__sync_quote(v, n, q);
    if (kz_ioc_normalize(ind->type, v, n, norm, &e) != 0)
        return kz__sync_rd_fail(r, KZ_E_INVALID, "value", "%s", e.msg);
    if (norm->len != n || memcmp(norm->p, v, n) != 0) {
        char q2[72];
        kz__sync_quote(norm->p, norm->len, q2);
        return kz__sync_rd_fail(r, KZ_E_INVALID, "value",
                                "'%s' is not in normal form (a %s normalises to '%s')", q,
                                ioc_name(t), q2);
    }
    if (kz_acl_check_indicator_not_looser(ev, ind, &e) != 0)
        return kz__sync_rd_fail(r, KZ_E_INVALID, e.field, "%s", e.msg);
    return KZ_OK;
}

static int read_sharing_group(kz_rd *r, const json_t *o, kz_sharing_group *sg)
{
    static const char *const keys[] = {"created",  "description", "id",       "member_orgs",
                                       "modified", "name",        "owner_org"};
    kz_rd s = {r->a, r->err, "sharing group", ""};
    memset(sg, 0, sizeof *sg);
    int rc = json_is_object(o) ? kz__sync_rd_uuid(&s, o, "id", 0, sg->id) : 0;
    s.id = sg->id;
    if (!rc)
        rc = kz__sync_rd_keys(&s, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_time(&s, o, "created", &sg->created);
    if (!rc)
        rc = kz__sync_rd_time(&s, o, "modified", &sg->modified);
    if (!rc)
        rc = kz__sync_rd_str(&s, o, "description", KZ_MAX_TEXT, KZ_RD_NULLABLE, &sg->description);
    if (!rc)
        rc = kz__sync_rd_str(&s, o, "name", KZ_MAX_NAME, KZ_RD_NONEMPTY, &sg->name);
    if (!rc)
        rc = kz__sync_rd_uuid(&s, o, "owner_org", 0, sg->owner_org);
    if (!rc)
        rc = kz__sync_rd_uuid_list(&s, o, "member_orgs", KZ_SYNC_MAX_SG_IDS, &sg->member_orgs);
    return rc;
}

static int read_event(kz_rd *r, const json_t *o, kz_sync_object *obj)
{
    static const char *const keys[] = {
        "analysis",     "community_id",   "created",       "creator_org",      "description",
        "distribution", "id",             "indicators",    "modified",         "pap",
        "published",    "published_at",   "recipient_orgs", "sharing_group",   "sharing_group_id",
        "tags",         "threat_level",   "title",         "tlp"};
    kz_event *ev = &obj->event;
    r->what = "event";
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "id", 0, ev->id) : 0;
    r->id = ev->id;
    int64_t n64;
    int x;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), "sharing_group");
    if (!rc)
        rc = kz__sync_rd_str(r, o, "title", KZ_MAX_TITLE, KZ_RD_NONEMPTY, &ev->title);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "description", KZ_MAX_TEXT, KZ_RD_NULLABLE, &ev->description);
    if (!rc && !(rc = kz__sync_rd_int(r, o, "threat_level", KZ_THREAT_HIGH, KZ_THREAT_UNDEFINED,
                                      &n64)))
        ev->threat_level = (int)n64;
    if (!rc && !(rc = kz__sync_rd_int(r, o, "analysis", 0, 2, &n64)))
        ev->analysis = (int)n64;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "tlp", 0, kz_tlp_parse, tlp_name, TLP_CHOICES, &x)))
        ev->tlp = (kz_tlp)x;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "pap", 0, kz_pap_parse, pap_name,
                                       "clear, green, amber, red", &x)))
        ev->pap = (kz_pap)x;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "distribution", 0, kz_distribution_parse, dist_name,
                                       DIST_CHOICES, &x)))
        ev->distribution = (kz_distribution)x;
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "sharing_group_id", KZ_RD_NULLABLE, ev->sharing_group_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "community_id", KZ_RD_NULLABLE, ev->community_id);
    if (!rc)
        rc = kz__sync_rd_tags(r, o, "tags", &ev->tags);
    if (!rc)
        rc = kz__sync_rd_uuid_list(r, o, "recipient_orgs", KZ_MAX_IDS, &ev->recipient_orgs);
    if (!rc)
        rc = kz__sync_rd_bool(r, o, "published", &ev->published);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "published_at", &ev->published_at);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "creator_org", 0, ev->creator_org);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &ev->created);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "modified", &ev->modified);
    if (rc)
        return rc;

    bool sg = ev->distribution == KZ_DIST_SHARING_GROUP;
    const json_t *jsg = json_object_get(o, "sharing_group");
    if (sg != (ev->sharing_group_id[0] != '\0'))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "sharing_group_id",
                                sg ? "is required with distribution sharing_group"
                                   : "must be null unless distribution is sharing_group");
    if (sg != (jsg != NULL))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "sharing_group",
                                sg ? "is required with distribution sharing_group (the group "
                                     "travels with the event)"
                                   : "is only allowed with distribution sharing_group");
    if (sg) {
        rc = read_sharing_group(r, jsg, &obj->sharing_group);
        if (rc)
            return rc;
        if (strcmp(obj->sharing_group.id, ev->sharing_group_id) != 0)
            return kz__sync_rd_fail(r, KZ_E_INVALID, "sharing_group",
                                    "is group %s but 'sharing_group_id' is %s",
                                    obj->sharing_group.id, ev->sharing_group_id);
        obj->has_sharing_group = true;
    }

    const json_t *arr = json_object_get(o, "indicators");
    if (!json_is_array(arr))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "indicators", "must be an array");
    size_t n = json_array_size(arr);
    if (n > KZ_MAX_INDICATORS)
        return kz__sync_rd_fail(r, KZ_E_INVALID, "indicators", "has %zu entries, at most %d", n,
                                KZ_MAX_INDICATORS);
    if (n) {
        ev->indicators = kz_arena_alloc(r->a, n * sizeof *ev->indicators);
        if (!ev->indicators)
            return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    }
    kz_buf norm;
    kz_buf_init(&norm);
    kz_rd ri = *r;
    for (size_t i = 0; i < n && !rc; i++)
        rc = read_indicator(&ri, json_array_get(arr, i), ev, &norm, &ev->indicators[i]);
    kz_buf_free(&norm);
    if (rc)
        return rc;
    ev->n_indicators = n;
    return KZ_OK;
}

static int read_sighting(kz_rd *r, const json_t *o, kz_sighting *s)
{
    static const char *const keys[] = {"count",  "created", "id",   "indicator_id",
                                       "org_id", "source",  "time", "type"};
    r->what = "sighting";
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "id", 0, s->id) : 0;
    r->id = s->id;
    int x;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "indicator_id", 0, s->indicator_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", 0, s->org_id);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "time", &s->time);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &s->created);
    if (!rc)
        rc = kz__sync_rd_int(r, o, "count", 1, 1000000000000LL, &s->count);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "source", KZ_MAX_NAME, KZ_RD_NULLABLE, &s->source);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "type", 0, kz_sighting_type_parse, sighting_name,
                                       "seen, false_positive, expired", &x)))
        s->type = (kz_sighting_type)x;
    return rc;
}

static int read_deletion(kz_rd *r, const json_t *o, kz_sync_deletion *d)
{
    static const char *const keys[] = {"creator_org", "deleted_at", "object_id", "object_type"};
    r->what = "deletion of";
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "object_id", 0, d->object_id) : 0;
    r->id = d->object_id;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "object_type", 16, 0, &d->object_type);
    if (!rc && strcmp(d->object_type, "event") != 0 && strcmp(d->object_type, "indicator") != 0) {
        char q[72];
        kz__sync_quote(d->object_type, strlen(d->object_type), q);
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "object_type", "must be event or indicator, got '%s'",
                              q);
    }
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "creator_org", 0, d->creator_org);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "deleted_at", &d->deleted_at);
    return rc;
}

static int read_org(kz_rd *r, const json_t *o, kz_org *org)
{
    static const char *const keys[] = {"contact",  "country", "created", "id",
                                       "modified", "name",    "sector",  "type"};
    r->what = "org";
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "id", 0, org->id) : 0;
    r->id = org->id;
    int x;
    const char *cc = NULL;
    char *tmp = NULL;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "name", KZ_MAX_NAME, KZ_RD_NONEMPTY, &org->name);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "country", 2, KZ_RD_NONEMPTY, &tmp);
    if (!rc) {
        cc = tmp;
        char norm[3];
        if (strlen(cc) != 2 || !kz_country_normalize(cc, norm) || strcmp(norm, cc) != 0) {
            char q[72];
            kz__sync_quote(cc, strlen(cc), q);
            rc = kz__sync_rd_fail(r, KZ_E_INVALID, "country",
                                  "must be an upper-case ISO 3166-1 alpha-2 code, got '%s'", q);
        } else {
            memcpy(org->country, norm, 3);
        }
    }
    if (!rc && !(rc = kz__sync_rd_name(r, o, "type", 0, kz_org_type_parse, org_type_name,
                                       "national_cert, government, company, ngo, academic", &x)))
        org->type = (kz_org_type)x;
    if (!rc)
        rc = kz__sync_rd_str(r, o, "sector", KZ_MAX_NAME, KZ_RD_NULLABLE, &org->sector);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "contact", KZ_MAX_TITLE, KZ_RD_NULLABLE, &org->contact);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &org->created);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "modified", &org->modified);
    return rc;
}

/* ---- envelope ----------------------------------------------------------- */

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int read_signer(kz_rd *r, const json_t *o, kz_sync_object *obj)
{
    static const char *const keys[] = {"fingerprint", "org", "public_key"};
    kz_rd s = {r->a, r->err, "signer of", r->id};
    int rc = kz__sync_rd_keys(&s, o, keys, KZ_ARRAY_LEN(keys), NULL);
    const char *pk, *fp;
    size_t npk, nfp;
    if (!rc)
        rc = kz__sync_rd_uuid(&s, o, "org", 0, obj->signer_org);
    if (!rc && !(pk = json_string_value(json_object_get(o, "public_key")))) 
        rc = kz__sync_rd_fail(&s, KZ_E_INVALID, "public_key", "must be a string");
    if (!rc && ((npk = json_string_length(json_object_get(o, "public_key"))) != 64 ||
                !lower_hex(pk, npk)))
        rc = kz__sync_rd_fail(&s, KZ_E_INVALID, "public_key",
                              "must be 64 lowercase hex characters");
    if (!rc && !(fp = json_string_value(json_object_get(o, "fingerprint"))))
        rc = kz__sync_rd_fail(&s, KZ_E_INVALID, "fingerprint", "must be a string");
    if (!rc && ((nfp = json_string_length(json_object_get(o, "fingerprint"))) != KZ_NODE_FP_LEN ||
                !lower_hex(fp, nfp)))
        rc = kz__sync_rd_fail(&s, KZ_E_INVALID, "fingerprint",
                              "must be %d lowercase hex characters", KZ_NODE_FP_LEN);
    if (rc)
        return rc;
    kz_hex_decode(pk, obj->signer_key, 32);
    kz_sync_fingerprint(obj->signer_key, obj->signer_fp);
    if (strcmp(obj->signer_fp, fp) != 0)
        return kz__sync_rd_fail(&s, KZ_E_INVALID, "fingerprint",
                                "%.32s is not the fingerprint of the public key (%s)", fp,
                                obj->signer_fp);
    return KZ_OK;
}

static int read_signature(kz_rd *r, const json_t *o, uint8_t sig[64])
{
    const json_t *v = json_object_get(o, "signature");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), bin = 0;
    const char *end = NULL;
    if (!s || n != KZ_SYNC_SIG_B64_LEN ||
        sodium_base642bin(sig, 64, s, n, NULL, &bin, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin != 64 || end != s + n) /* libsodium also refuses non-zero padding bits */
        return kz__sync_rd_fail(r, KZ_E_INVALID, "signature",
                                "must be a base64 Ed25519 signature (%d characters)",
                                KZ_SYNC_SIG_B64_LEN);
    return KZ_OK;
}

static int canon_of(const kz_sync_object *o, kz_buf *out, kz_err *err)
{
    switch (o->kind) {
    case KZ_SYNC_EVENT:
        return kz_sync_canon_event(&o->event, o->has_sharing_group ? &o->sharing_group : NULL, out,
                                   err);
    case KZ_SYNC_SIGHTING: return kz_sync_canon_sighting(&o->sighting, out, err);
    case KZ_SYNC_DELETION: return kz__sync_canon_deletion(&o->deletion, out, err);
    case KZ_SYNC_ORG: return kz__sync_canon_org(&o->org, out, err);
    case KZ_SYNC_PROPOSAL: return kz_sync_canon_proposal(&o->proposal, out, err);
    case KZ_SYNC_CASE: return kz_sync_canon_case(o->audience, &o->case_snap, out, err);
    case KZ_SYNC_CASE_ACTION: return kz_sync_canon_case_action(&o->case_action, out, err);
    }
    return kz_fail(err, KZ_E_INTERNAL, "", "unknown kind");
}

static const char *speaks_for(const kz_sync_object *o)
{
    switch (o->kind) {
    case KZ_SYNC_EVENT: return o->event.creator_org;
    case KZ_SYNC_SIGHTING: return o->sighting.org_id;
    case KZ_SYNC_DELETION: return o->deletion.creator_org;
    case KZ_SYNC_ORG: return o->org.id;
    case KZ_SYNC_PROPOSAL: return o->proposal.org_id;
    case KZ_SYNC_CASE: return o->case_snap.c.lead_org; /* only the home node sends a case */
    case KZ_SYNC_CASE_ACTION: return o->case_action.org_id; /* the acting org's node */
    }
    return "";
}

static int open_into(const json_t *env, kz_sync_trust_fn trust, void *trust_ctx, kz_arena *a,
                     kz_sync_object *obj, kz_err *err)
{
    static const char *const keys[] = {"body", "kind", "signature", "signer"};
    kz_rd r = {a, err, "envelope", ""};
    int rc = kz__sync_rd_keys(&r, env, keys, KZ_ARRAY_LEN(keys), NULL);
    if (rc)
        return rc;
    const char *kind = json_string_value(json_object_get(env, "kind"));
    if (kind && !strcmp(kind, "event"))
        obj->kind = KZ_SYNC_EVENT;
    else if (kind && !strcmp(kind, "sighting"))
        obj->kind = KZ_SYNC_SIGHTING;
    else if (kind && !strcmp(kind, "deletion"))
        obj->kind = KZ_SYNC_DELETION;
    else if (kind && !strcmp(kind, "org"))
        obj->kind = KZ_SYNC_ORG;
    else if (kind && !strcmp(kind, "proposal"))
        obj->kind = KZ_SYNC_PROPOSAL;
    else if (kind && !strcmp(kind, "case"))
        obj->kind = KZ_SYNC_CASE;
    else if (kind && !strcmp(kind, "case_action"))
        obj->kind = KZ_SYNC_CASE_ACTION;
    else
        return kz__sync_rd_fail(&r, KZ_E_INVALID, "kind",
                                "must be one of event, sighting, deletion, org, proposal, case, "
                                "case_action");
    const json_t *body = json_object_get(env, "body");
    if (!json_is_object(body))
        return kz__sync_rd_fail(&r, KZ_E_INVALID, "body", "must be an object");
    switch (obj->kind) {
    case KZ_SYNC_EVENT: rc = read_event(&r, body, obj); break;
    case KZ_SYNC_SIGHTING: rc = read_sighting(&r, body, &obj->sighting); break;
    case KZ_SYNC_DELETION: rc = read_deletion(&r, body, &obj->deletion); break;
    case KZ_SYNC_ORG: rc = read_org(&r, body, &obj->org); break;
    case KZ_SYNC_PROPOSAL: rc = kz__sync_read_proposal(&r, body, &obj->proposal); break;
    case KZ_SYNC_CASE: rc = kz__sync_read_case(&r, body, obj); break;
    case KZ_SYNC_CASE_ACTION: rc = kz__sync_read_case_action(&r, body, &obj->case_action); break;
    }
    if (rc)
        return rc;
    /* messages below name the object, not an indicator read last */
    r.what = kind;
    switch (obj->kind) {
    case KZ_SYNC_EVENT: r.id = obj->event.id; break;
    case KZ_SYNC_SIGHTING: r.id = obj->sighting.id; break;
    case KZ_SYNC_DELETION: r.what = "deletion of"; r.id = obj->deletion.object_id; break;
    case KZ_SYNC_ORG: r.id = obj->org.id; break;
    case KZ_SYNC_PROPOSAL: r.id = obj->proposal.id; break;
    case KZ_SYNC_CASE: r.id = obj->case_snap.c.id; break;
    case KZ_SYNC_CASE_ACTION: r.what = "case action"; r.id = obj->case_action.id; break;
    }
    const json_t *signer = json_object_get(env, "signer");
    uint8_t sig[64];
    if ((rc = read_signer(&r, signer, obj)) || (rc = read_signature(&r, env, sig)))
        return rc;

    kz_buf canon, msg;
    kz_buf_init(&canon);
    kz_buf_init(&msg);
    rc = canon_of(obj, &canon, err);
    if (!rc)
        rc = kz__sync_message(kz__sync_kind_domain(obj->kind), &canon, obj->signer_org,
                              obj->signer_key, &msg, err);
    if (!rc && crypto_sign_verify_detached(sig, (const uint8_t *)msg.p, msg.len,
                                           obj->signer_key) != 0)
        rc = kz__sync_rd_fail(&r, KZ_E_UNAUTH, NULL,
                              "signature does not verify (signer %s of org %s): the object was "
                              "changed after signing, or signed as something else",
                              obj->signer_fp, obj->signer_org);
    kz_buf_free(&canon);
    kz_buf_free(&msg);
    if (rc)
        return rc;
    const char *org = speaks_for(obj);
    if (!trust)
        return kz__sync_rd_fail(&r, KZ_E_UNAUTH, NULL, "no trust decision was given");
    if (!trust(trust_ctx, org, obj->signer_key))
        return kz__sync_rd_fail(&r, KZ_E_UNAUTH, NULL,
                                "signer key %s (node of org %s) is not trusted to speak for org "
                                "%s",
                                obj->signer_fp, obj->signer_org, org);
    obj->raw = env;
    return KZ_OK;
}

int kz_sync_envelope_open(const json_t *env, kz_sync_trust_fn trust, void *trust_ctx, kz_arena *a,
                          kz_sync_object *out, kz_err *err)
{
    kz_sync_object tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = open_into(env, trust, trust_ctx, a, &tmp, err);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    *out = tmp;
    return KZ_OK;
}
