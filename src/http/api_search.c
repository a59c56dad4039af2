/* api_search.c — GET /api/v1/search: "do we know this?". The value is
 * normalised like an indicator, then searched by meaning: an IP also finds
 * the CIDRs that contain it, a CIDR the addresses inside it, a domain its
 * subdomains and the URLs on them. Every hit goes through the ACL (event and
 * indicator rules) before it is shown; pages are keyset-based on the store's
 * row sequence, so a cursor stays right while indicators are being added.
 *
 * This is the hot path of the node (sensors and SOAR playbooks ask it per
 * alert), so it avoids work: one store query per page in the common case and
 * one ACL load per distinct event on the page.
 */
#include "http_int.h"

#include <string.h>

static const char *const PARAMS[] = {"value", "type",  "tag",     "org",    "country", "tlp",
                                     "since", "until", "published", "to_ids", "limit",   "cursor",
                                     NULL};

/* Fills the value part of q from ?value= and ?type=. */
static int parse_value(kz_req *r, const char *value, const char *type, kz_search_query *q)
{
    int t = -1;
    if (type) {
        t = value ? kz_ioc_type_resolve(type, value, strlen(value)) : kz_ioc_type_parse(type);
        if (t < 0)
            return kz_fail(&r->err, KZ_E_INVALID, "type", "type: '%.64s' is not an indicator type",
                           type);
        if (!value) {
            q->type = t;
            return 0;
        }
    } else if (value) {
        t = kz_ioc_guess(value, strlen(value));
    }
    if (!value)
        return 0;
    if (t < 0) {
        /* Not recognisably an observable: look for the exact text. */
        q->value = value;
        return 0;
    }
    kz_buf norm;
    kz_buf_init(&norm);
    kz_err e;
    int rc = kz_ioc_normalize((kz_ioc_type)t, value, strlen(value), &norm, &e);
    if (rc < 0) {
        kz_buf_free(&norm);
        return kz_fail(&r->err, KZ_E_VALUE, "value", "value: %s", e.msg);
    }
    char *nv = kz_arena_strndup(&r->arena, norm.p, norm.len);
    kz_buf_free(&norm);
    if (!nv)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    /* A type given narrows every kind of search: type=ipv4 leaves out the
     * CIDRs around the address, type=domain the URLs on it. */
    if (type)
        q->type = t;
    switch (t) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
        if (kz_ip_parse(nv, strlen(nv), &q->ip) < 0)
            return kz_fail(&r->err, KZ_E_VALUE, "value", "value: '%.64s' is not an IP address", nv);
        q->has_ip = true;
        q->prefix128 = 128;
        break;
    case KZ_IOC_CIDR:
        if (kz_cidr_parse(nv, strlen(nv), &q->ip, &q->prefix128) < 0)
            return kz_fail(&r->err, KZ_E_VALUE, "value", "value: '%.64s' is not a CIDR", nv);
        q->has_ip = true;
        break;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME:
        q->domain = nv;
        break;
    default:
        q->value = nv;
        break;
    }
    return 0;
}

static int parse_query(kz_req *r, kz_search_query *q, size_t *limit)
{
    memset(q, 0, sizeof *q);
    q->type = -1;
    q->tlp = -1;
    q->published = -1;
    q->to_ids = -1;
    const char *value = NULL, *type = NULL, *country = NULL, *tlp = NULL, *cursor = NULL;
    int rc = kz_http_query_only(r, PARAMS);
    if (rc == 0)
        rc = kz_http_query(r, "value", &value);
    if (rc == 0)
        rc = kz_http_query(r, "type", &type);
    if (rc == 0)
        rc = kz_http_query(r, "tag", &q->tag);
    if (rc == 0)
        rc = kz_http_query_uuid(r, "org", &q->org_id);
    if (rc == 0)
        rc = kz_http_query(r, "country", &country);
    if (rc == 0)
        rc = kz_http_query(r, "tlp", &tlp);
    if (rc == 0)
        rc = kz_http_query_time(r, "since", &q->since);
    if (rc == 0)
        rc = kz_http_query_time(r, "until", &q->until);
    if (rc == 0)
        rc = kz_http_query_bool(r, "published", &q->published);
    if (rc == 0)
        rc = kz_http_query_bool(r, "to_ids", &q->to_ids);
    if (rc == 0)
        rc = kz_http_query_limit(r, limit);
    if (rc == 0)
        rc = kz_http_query(r, "cursor", &cursor);
    if (rc < 0)
        return rc;
    if (country) {
        char *cc = kz_arena_alloc(&r->arena, 3);
        if (!cc)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        if (!kz_country_normalize(country, cc))
            return kz_fail(&r->err, KZ_E_INVALID, "country",
                           "country: '%.64s' is not an ISO 3166-1 alpha-2 code", country);
        q->country = cc;
    }
    if (tlp && (q->tlp = kz_tlp_parse(tlp)) < 0)
        return kz_fail(&r->err, KZ_E_INVALID, "tlp",
                       "tlp: '%.64s' is not one of clear, green, amber, amber+strict, red", tlp);
    if (q->since && q->until && q->since > q->until)
        return kz_fail(&r->err, KZ_E_INVALID, "until", "until is before since");
    if (cursor && (rc = kz_cursor_decode_seq(r, cursor, &q->after_seq)) < 0)
        return rc;
    return parse_value(r, value, type, q);
}

/* ACL objects of the events seen on this page, so each is loaded once. */
typedef struct ev_acl {
    const char *id;
    kz_acl_object obj;
} ev_acl;

#define EV_CACHE 64

static int acl_for(kz_req *r, ev_acl *cache, size_t *n, const kz_event *ev, kz_acl_object **out)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(cache[i].id, ev->id) == 0) {
            *out = &cache[i].obj;
            return 0;
        }
    size_t slot = *n < EV_CACHE ? (*n)++ : kz_hash64(ev->id, strlen(ev->id)) % EV_CACHE;
    int rc = kz_http_acl_object(r, ev, &cache[slot].obj);
    if (rc < 0)
        return rc;
    cache[slot].id = ev->id;
    *out = &cache[slot].obj;
    return 0;
}

static json_t *hit_json(const kz_search_hit *h)
{
    json_t *j = kz_json_indicator(&h->ind);
    if (!j)
        return NULL;
    const char *tlp = kz_tlp_name(h->event.tlp);
    json_t *ev = json_pack("{s:s,s:s?,s:s,s:s}", "id", h->event.id, "title", h->event.title,
                           "tlp", tlp ? tlp : "", "creator_org", h->event.creator_org);
    if (!ev || json_object_set_new(j, "event", ev) < 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int kz_api_search(kz_req *r)
{
    kz_search_query q;
    size_t limit = 100;
    int rc = parse_query(r, &q, &limit);
    if (rc < 0)
        return rc;
    ev_acl *cache = kz_arena_alloc(&r->arena, EV_CACHE * sizeof *cache);
    json_t *arr = json_array();
    if (!cache || !arr) {
        json_decref(arr);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    size_t n_cache = 0, got = 0, examined = 0, round = 0;
    bool more = false;
    while (got < limit) {
        size_t batch = (limit - got) * (round + 1) + 1;
        q.limit = batch > 1000 ? 1000 : batch;
        kz_search_hit *hits = NULL;
        size_t n = 0;
        if ((rc = kz_store_search(r->st, &q, &r->arena, &hits, &n, &r->err)) < 0) {
            json_decref(arr);
            return rc;
        }
        round++;
        size_t i = 0;
        for (; i < n && got < limit && examined < KZ_HTTP_SCAN_CAP; i++) {
            examined++;
            q.after_seq = hits[i].seq;
            kz_acl_object *obj;
            if ((rc = acl_for(r, cache, &n_cache, &hits[i].event, &obj)) < 0) {
                json_decref(arr);
                return rc;
            }
            if (!kz_acl_indicator_allows(&r->who, obj, &hits[i].ind, KZ_ACL_VIEW, NULL))
                continue;
            kz_http_audit_read(r, "indicator", hits[i].ind.id, hits[i].ind.tlp > (int)hits[i].event.tlp ? hits[i].ind.tlp : (int)hits[i].event.tlp); /* notifications */
            if (json_array_append_new(arr, hit_json(&hits[i])) < 0) {
                json_decref(arr);
                return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
            }
            got++;
        }
        if (!(i < n || n == q.limit))
            break;
        if (got >= limit || examined >= KZ_HTTP_SCAN_CAP) {
            more = true;
            break;
        }
    }
    char *next = more ? kz_cursor_encode_seq(r, q.after_seq) : NULL;
    return kz_http_ok(r, MHD_HTTP_OK,
                      json_pack("{s:o,s:o}", "results", arr, "next_cursor",
                                next ? json_string(next) : json_null()));
}
