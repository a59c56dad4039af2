/* taxii.c — TAXII 2.1 plumbing and the small resources: discovery, the API
 * root, collections and status. Collections are not stored: they are derived
 * on each request from the caller's place in the sharing model (its own org,
 * each community its org is in at a TLP ceiling, each sharing group it is a
 * member of), with UUIDv5 ids, so the
 * same caller always sees the same ids and nothing can drift out of sync with
 * memberships. Which object a collection holds is decided per object through
 * its event, with the same ACL as every other read (kz_taxii_allows).
 */
#include "taxii_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The namespace of collection ids (a fixed random UUID). */
#define COLL_NS "5b0f6e3a-2c1d-4e8f-9a7b-3d6c1e0f2a94"

static const kz_tlp CEILINGS[] = {KZ_TLP_GREEN, KZ_TLP_AMBER};

/* ---- media types, errors, answers ------------------------------------------ */

static bool ieq_n(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

bool kz_taxii_media_ok(const char *p, size_t n, bool wildcards)
{
    while (n && isspace((unsigned char)*p))
        p++, n--;
    const char *semi = memchr(p, ';', n);
    size_t tl = semi ? (size_t)(semi - p) : n;
    while (tl && isspace((unsigned char)p[tl - 1]))
        tl--;
    if (wildcards && (ieq_n(p, tl, "*/*") || ieq_n(p, tl, "application/*")))
        return true;
    if (!ieq_n(p, tl, "application/taxii+json"))
        return false;
    /* Parameters: version must be 2.1 when given; q and others ignored. */
    const char *s = semi, *end = p + n;
    while (s && s < end) {
        s++;
        const char *e = memchr(s, ';', (size_t)(end - s));
        size_t l = e ? (size_t)(e - s) : (size_t)(end - s);
        while (l && isspace((unsigned char)*s))
            s++, l--;
        while (l && isspace((unsigned char)s[l - 1]))
            l--;
        if (l >= 8 && strncasecmp(s, "version=", 8) == 0 && !ieq_n(s + 8, l - 8, "2.1"))
            return false;
        s = e;
    }
    return true;
}

int kz_taxii_check_accept(kz_req *r)
{
    const char *a = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (!a || !*a)
        return 0;
    size_t len = strnlen(a, 4096);
    for (const char *p = a, *end = a + len; p < end;) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t n = c ? (size_t)(c - p) : (size_t)(end - p);
        if (kz_taxii_media_ok(p, n, true))
            return 0;
        p += n + 1;
    }
    /* No kz error code means 406: answer here; dispatch sees r->replied. */
    char msg[256];
    snprintf(msg, sizeof msg, "Accept '%.100s' does not admit " KZ_TAXII_MEDIA, a);
    json_t *j = kz_taxii_error_json("not_acceptable", MHD_HTTP_NOT_ACCEPTABLE, msg);
    kz_fail(&r->err, KZ_E_INVALID, "Accept", "%s", msg);
    if (kz_taxii_send_json(r, MHD_HTTP_NOT_ACCEPTABLE, j) < 0)
        return KZ_E_INTERNAL;
    return KZ_E_INVALID;
}

json_t *kz_taxii_error_json(const char *code, unsigned http_status, const char *msg)
{
    const char *title;
    switch (http_status) {
    case 400: title = "Bad request"; break;
    case 401: title = "Authentication required"; break;
    case 403: title = "Forbidden"; break;
    case 404: title = "Not found"; break;
    case 405: title = "Method not allowed"; break;
    case 406: title = "Not acceptable"; break;
    case 413: title = "Request too large"; break;
    case 415: title = "Unsupported media type"; break;
    case 422: title = "Unprocessable content"; break;
    case 429: title = "Too many requests"; break;
    default: title = "Internal error"; break;
    }
    char st[8];
    snprintf(st, sizeof st, "%u", http_status);
    json_t *j = json_pack("{s:s, s:s, s:s}", "title", title, "error_code", code,
                          "http_status", st);
    json_t *m = json_string(msg && *msg ? msg : title);
    json_object_set_new(j, "description", m ? m : json_string(title));
    return j;
}

enum MHD_Result kz_taxii_send_405(kz_req *r)
{
    char msg[160];
    snprintf(msg, sizeof msg, "method %.16s is not allowed on this TAXII endpoint; use %s",
             r->method, r->allow[0] ? r->allow : "another method");
    json_t *t = kz_taxii_error_json("method_not_allowed", MHD_HTTP_METHOD_NOT_ALLOWED, msg);
    char *body = t ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(t);
    /* kz_http_send_raw adds the Allow header to every 405. */
    return kz_http_send_raw(r, MHD_HTTP_METHOD_NOT_ALLOWED, KZ_TAXII_MEDIA, body,
                            body ? strlen(body) : 0);
}

int kz_taxii_send(kz_req *r, unsigned status, char *body, size_t len, kz_time first,
                  kz_time last)
{
    struct MHD_Response *resp =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    if (body)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, KZ_TAXII_MEDIA);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    char t[KZ_TIME_STRLEN + 1];
    if (first) {
        kz_time_format(first, t);
        MHD_add_response_header(resp, "X-TAXII-Date-Added-First", t);
    }
    if (last) {
        kz_time_format(last, t);
        MHD_add_response_header(resp, "X-TAXII-Date-Added-Last", t);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    if (ret != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot queue the answer");
    r->replied = true;
    r->status = status;
    r->bytes_sent = body ? len : 0;
    return 0;
}

int kz_taxii_send_json(kz_req *r, unsigned status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    return kz_taxii_send(r, status, s, strlen(s), 0, 0);
}

/* ---- collections ---------------------------------------------------------- */

int kz_taxii_check_root(kz_req *r)
{
    if (r->n_params < 1 || strcmp(r->params[0], KZ_TAXII_ROOT) != 0)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL,
                       "no API root '%.64s'; this node has /taxii2/" KZ_TAXII_ROOT "/",
                       r->n_params ? r->params[0] : "");
    return 0;
}

static void coll_id(const char *name, kz_uuid out)
{
    kz_uuid_v5(COLL_NS, name, strlen(name), out);
}

int kz_taxii_collections(kz_req *r, kz_taxii_coll **out, size_t *n)
{
    size_t nc = r->who.communities.n;
    size_t cap = 1 + nc * KZ_ARRAY_LEN(CEILINGS);
    kz_taxii_coll *v = kz_arena_alloc(&r->arena, cap * sizeof *v);
    if (!v)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    memset(v, 0, cap * sizeof *v);
    bool w = kz_acl_can_create_events(&r->who);
    char name[128];
    size_t k = 0;
    snprintf(name, sizeof name, "org:%s", r->who.org_id);
    coll_id(name, v[k].id);
    v[k].kind = KZ_TAXII_ORG;
    v[k].ceiling = KZ_TLP_RED;
    v[k].title = kz_arena_strdup(&r->arena, "Own organisation");
    v[k].description = kz_arena_strdup(
        &r->arena, "Every STIX object your organisation brought to this node that you may see");
    v[k].can_write = w;
    k++;
    for (size_t i = 0; i < nc; i++) {
        const char *cid = r->who.communities.v[i];
        kz_community com;
        kz_err e;
        const char *cname = kz_store_community_get(r->st, cid, &r->arena, &com, &e) == 0
                                ? com.name
                                : cid;
        for (size_t j = 0; j < KZ_ARRAY_LEN(CEILINGS); j++) {
            kz_taxii_coll *c = &v[k++];
            const char *tn = kz_tlp_name(CEILINGS[j]);
            snprintf(name, sizeof name, "community:%s:%s", cid, tn);
            coll_id(name, c->id);
            c->kind = KZ_TAXII_COMMUNITY;
            snprintf(c->community, sizeof c->community, "%s", cid);
            c->ceiling = CEILINGS[j];
            char t[256];
            snprintf(t, sizeof t, "%.200s (TLP:%s and below)", cname, tn);
            c->title = kz_arena_strdup(&r->arena, t);
            snprintf(t, sizeof t,
                     "STIX objects shared with community %.200s, TLP up to %s", cname, tn);
            c->description = kz_arena_strdup(&r->arena, t);
            c->can_write = w;
        }
    }
    /* Sharing groups the caller's org is a member of (the owner always is):
     * one collection each, holding the events distributed to that group. */
    kz_sharing_group *g = NULL;
    size_t ng = 0;
    kz_err ge;
    if (kz_store_sharing_group_list(r->st, &r->arena, &g, &ng, &ge) < 0) {
        r->err = ge;
        return ge.code ? ge.code : KZ_E_DB;
    }
    size_t members = 0;
    for (size_t i = 0; i < ng; i++)
        members += kz_strlist_has(&g[i].member_orgs, r->who.org_id);
    if (members) {
        kz_taxii_coll *grown = kz_arena_alloc(&r->arena, (k + members) * sizeof *grown);
        if (!grown)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        memcpy(grown, v, k * sizeof *grown);
        memset(grown + k, 0, members * sizeof *grown);
        v = grown;
    }
    for (size_t i = 0; i < ng; i++) {
        if (!kz_strlist_has(&g[i].member_orgs, r->who.org_id))
            continue;
        kz_taxii_coll *c = &v[k++];
        snprintf(name, sizeof name, "sharing-group:%s", g[i].id);
        coll_id(name, c->id);
        c->kind = KZ_TAXII_SHARING_GROUP;
        snprintf(c->group, sizeof c->group, "%s", g[i].id);
        c->group_orgs = g[i].member_orgs;
        /* No ceiling of its own: the ACL decides per event and object. */
        c->ceiling = KZ_TLP_RED;
        char t[256];
        snprintf(t, sizeof t, "%.200s (sharing group)", g[i].name ? g[i].name : g[i].id);
        c->title = kz_arena_strdup(&r->arena, t);
        snprintf(t, sizeof t, "STIX objects of the events distributed to sharing group %.200s",
                 g[i].name ? g[i].name : g[i].id);
        c->description = kz_arena_strdup(&r->arena, t);
        c->can_write = w;
    }
    *out = v;
    *n = k;
    return 0;
}

int kz_taxii_collection(kz_req *r, kz_taxii_coll *out)
{
    int rc = kz_taxii_check_root(r);
    if (rc < 0)
        return rc;
    kz_taxii_coll *v;
    size_t n;
    if ((rc = kz_taxii_collections(r, &v, &n)) < 0)
        return rc;
    const char *want = r->n_params > 1 ? r->params[1] : "";
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v[i].id, want) == 0) {
            *out = v[i];
            return 0;
        }
    return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no collection '%.64s' for you", want);
}

/* ---- objects through their events ------------------------------------------- */

#define ACL_CACHE 64

typedef struct acl_entry {
    kz_uuid id;
    bool exists;
    kz_event ev;
    kz_acl_object obj;
} acl_entry;

struct kz_taxii_acl {
    kz_req *r;
    acl_entry v[ACL_CACHE];
    size_t n, next;
};

kz_taxii_acl *kz_taxii_acl_new(kz_req *r)
{
    kz_taxii_acl *a = kz_arena_alloc(&r->arena, sizeof *a);
    if (a) {
        a->r = r;
        a->n = a->next = 0;
    }
    return a;
}

static acl_entry *entry_for(kz_taxii_acl *a, const char *event_id)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].id, event_id) == 0)
            return &a->v[i];
    acl_entry *e = &a->v[a->n < ACL_CACHE ? a->n++ : (a->next++ % ACL_CACHE)];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", event_id);
    kz_err err;
    kz_req *r = a->r;
    e->exists = kz_store_event_get(r->st, event_id, false, &r->arena, &e->ev, &err) == 0 &&
                kz_store_acl_object_load(r->st, &e->ev, &r->arena, &e->obj, &err) == 0;
    return e;
}

/* Whether the event is shared with the collection's community: distribution
 * community or wider, and either aimed at that community or at every
 * community of its creator org (which must then be a member). */
static bool in_community(const acl_entry *e, const char *community)
{
    const kz_event *ev = &e->ev;
    if (ev->distribution == KZ_DIST_ORG || ev->distribution == KZ_DIST_SHARING_GROUP)
        return false;
    if (ev->community_id[0])
        return strcmp(ev->community_id, community) == 0;
    return e->obj.creator_communities && kz_strlist_has(e->obj.creator_communities, community);
}

bool kz_taxii_allows(kz_taxii_acl *a, const kz_taxii_coll *c, const kz_stix_obj *o, bool edit)
{
    if (!o->event_id[0])
        return false;
    kz_req *r = a->r;
    if (c->kind == KZ_TAXII_ORG && strcmp(o->owner_org, r->who.org_id) != 0)
        return false;
    if ((int)o->tlp > (int)c->ceiling)
        return false;
    acl_entry *e = entry_for(a, o->event_id);
    if (!e->exists)
        return false;
    if (c->kind == KZ_TAXII_COMMUNITY &&
        ((int)e->ev.tlp > (int)c->ceiling || !in_community(e, c->community)))
        return false;
    if (c->kind == KZ_TAXII_SHARING_GROUP &&
        (e->ev.distribution != KZ_DIST_SHARING_GROUP ||
         strcmp(e->ev.sharing_group_id, c->group) != 0))
        return false;
    if (!kz_acl_allows(&r->who, &e->obj, KZ_ACL_EXPORT, NULL))
        return false;
    kz_indicator as_ind = {.tlp = (int)o->tlp, .distribution = -1};
    if (!kz_acl_indicator_allows(&r->who, &e->obj, &as_ind, KZ_ACL_EXPORT, NULL))
        return false;
    return !edit || kz_acl_allows(&r->who, &e->obj, KZ_ACL_EDIT, NULL);
}

/* ---- discovery, API root, collections, status --------------------------------- */

int kz_taxii_discovery(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_taxii_check_accept(r);
    if (rc < 0)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:s, s:[s]}", "title",
                          r->srv->node_name ? r->srv->node_name : "kizuna", "description",
                          "kizuna threat-intelligence exchange, TAXII 2.1", "default",
                          "/taxii2/" KZ_TAXII_ROOT "/", "api_roots",
                          "/taxii2/" KZ_TAXII_ROOT "/");
    return kz_taxii_send_json(r, MHD_HTTP_OK, j);
}

int kz_taxii_api_root(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_taxii_check_accept(r);
    if (rc == 0)
        rc = kz_taxii_check_root(r);
    if (rc < 0)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:[s], s:I}", "title", "kizuna", "description",
                          "The collections of this node, as the sharing model gives them to you",
                          "versions", KZ_TAXII_MEDIA, "max_content_length",
                          (json_int_t)r->srv->cfg.max_body);
    return kz_taxii_send_json(r, MHD_HTTP_OK, j);
}

static json_t *coll_json(const kz_taxii_coll *c)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", c->id, "title", c->title,
                     "description", c->description, "can_read", 1, "can_write", c->can_write,
                     "media_types", KZ_STIX_MEDIA);
}

int kz_taxii_collections_list(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_taxii_check_accept(r);
    if (rc == 0)
        rc = kz_taxii_check_root(r);
    kz_taxii_coll *v = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = kz_taxii_collections(r, &v, &n);
    if (rc < 0)
        return rc;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, coll_json(&v[i]));
    json_t *j = json_object();
    json_object_set_new(j, "collections", a);
    return kz_taxii_send_json(r, MHD_HTTP_OK, j);
}

int kz_taxii_collection_get(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_taxii_check_accept(r);
    kz_taxii_coll c;
    if (rc == 0)
        rc = kz_taxii_collection(r, &c);
    if (rc < 0)
        return rc;
    return kz_taxii_send_json(r, MHD_HTTP_OK, coll_json(&c));
}

int kz_taxii_status_get(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_taxii_check_accept(r);
    if (rc == 0)
        rc = kz_taxii_check_root(r);
    if (rc < 0)
        return rc;
    kz_uuid org;
    char *body = NULL;
    const char *id = r->params[1];
    kz_err e;
    rc = kz_store_taxii_status_get(r->st, id, &r->arena, org, &body, &e);
    if (rc == KZ_E_NOTFOUND || (rc == 0 && strcmp(org, r->who.org_id) != 0))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no status '%.64s' for you", id);
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    char *s = strdup(body ? body : "{}");
    if (!s)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    return kz_taxii_send(r, MHD_HTTP_OK, s, strlen(s), 0, 0);
}
