/* api_contacts.c — /api/v1/contacts: the points-of-contact directory.
 * Every member of the node reads it (it is how CERTs find each other in an
 * incident); an org's own org_admins keep its entries, and the node admin
 * any org's. Entries not verified for the configured time are flagged
 * "stale" so that the directory's weak spots are visible.
 */
#include "notify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US 86400000000LL

static int may_edit(kz_req *r, const char *org_id)
{
    if (r->who.role == KZ_ROLE_ADMIN ||
        (r->who.role == KZ_ROLE_ORG_ADMIN && strcmp(r->who.org_id, org_id) == 0))
        return 0;
    return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                   "only an org_admin of the contact's organisation (or a node admin) may change "
                   "its contacts");
}

/* The stale threshold: ?stale_days, else node meta, else 180 days. */
static int stale_before(kz_req *r, kz_time *out)
{
    long days = KZ_CONTACT_STALE_DAYS;
    const char *v = NULL;
    int rc = kz_http_query(r, "stale_days", &v);
    if (rc < 0)
        return rc;
    if (!v) {
        kz_err e;
        char *meta = NULL;
        if (kz_store_meta_get(r->st, "contacts.stale_days", &r->arena, &meta, &e) == 0 && meta)
            v = meta;
    }
    if (v) {
        char *end;
        long x = strtol(v, &end, 10);
        if (!*v || *end || x < 1 || x > 36500)
            return kz_fail(&r->err, KZ_E_INVALID, "stale_days",
                           "stale_days: '%.32s' is not a number of days from 1 to 36500", v);
        days = x;
    }
    *out = kz_time_now() - days * DAY_US;
    return 0;
}

int kz_api_contacts_list(kz_req *r)
{
    static const char *const allowed[] = {"country", "org_id", "stale", "stale_days", NULL};
    int rc = kz_http_query_only(r, allowed);
    kz_contact_filter f = {0};
    const char *country = NULL;
    char cc[3];
    int stale = 0;
    kz_time before = 0;
    if (rc == 0)
        rc = kz_http_query(r, "country", &country);
    if (rc == 0 && country && !kz_country_normalize(country, cc))
        rc = kz_fail(&r->err, KZ_E_INVALID, "country",
                     "country: '%.16s' is not an ISO 3166-1 alpha-2 code (JP, SG, ...)", country);
    if (rc == 0)
        rc = kz_http_query_uuid(r, "org_id", &f.org_id);
    if (rc == 0)
        rc = kz_http_query_bool(r, "stale", &stale);
    if (rc == 0)
        rc = stale_before(r, &before);
    if (rc < 0)
        return rc;
    f.country = country ? cc : NULL;
    f.stale_before = stale ? before : 0;
    kz_contact *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_contact_list(r->st, &f, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_contact_json(&v[i], before)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "contacts", arr) : NULL);
}

int kz_api_contacts_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_contact c;
    memset(&c, 0, sizeof c);
    rc = kz_contact_json_apply(j, true, &r->arena, &c, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (!c.org_id[0])
        memcpy(c.org_id, r->who.org_id, sizeof c.org_id);
    if ((rc = may_edit(r, c.org_id)) < 0)
        return rc;
    kz_uuid_v7(c.id);
    c.created = c.modified = kz_time_now();
    if (!c.last_verified)
        c.last_verified = c.created;
    if ((rc = kz_store_contact_put(r->st, &c, &r->err)) < 0)
        return rc;
    kz_time before = 0;
    if ((rc = stale_before(r, &before)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_contact_json(&c, before));
}

static int load(kz_req *r, kz_contact *c)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "contact", id);
    if (rc == 0)
        rc = kz_store_contact_get(r->st, id, &r->arena, c, &r->err);
    return rc;
}

int kz_api_contact_get(kz_req *r)
{
    static const char *const allowed[] = {"stale_days", NULL};
    kz_contact c;
    kz_time before = 0;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = load(r, &c);
    if (rc == 0)
        rc = stale_before(r, &before);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_contact_json(&c, before));
}

int kz_api_contact_patch(kz_req *r)
{
    kz_contact c;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &c);
    if (rc == 0)
        rc = may_edit(r, c.org_id);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    rc = kz_contact_json_apply(j, false, &r->arena, &c, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    c.modified = kz_time_now();
    if ((rc = kz_store_contact_update(r->st, &c, &r->err)) < 0)
        return rc;
    kz_time before = 0;
    if ((rc = stale_before(r, &before)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_contact_json(&c, before));
}

int kz_api_contact_verify(kz_req *r)
{
    kz_contact c;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &c);
    if (rc == 0)
        rc = may_edit(r, c.org_id);
    if (rc < 0)
        return rc;
    c.last_verified = c.modified = kz_time_now();
    if ((rc = kz_store_contact_update(r->st, &c, &r->err)) < 0)
        return rc;
    kz_time before = 0;
    if ((rc = stale_before(r, &before)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_contact_json(&c, before));
}

int kz_api_contact_delete(kz_req *r)
{
    kz_contact c;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &c);
    if (rc == 0)
        rc = may_edit(r, c.org_id);
    if (rc == 0)
        rc = kz_store_contact_delete(r->st, c.id, &r->err);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}
