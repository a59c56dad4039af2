/* api_orgs.c — /api/v1/orgs. Any user may read the organisations of the
 * node (they are the address book of the community); only the node admin
 * creates, changes or removes them.
 */
#include "http_int.h"

#include <string.h>

static int need_admin(kz_req *r, const char *what)
{
    if (!kz_acl_can_manage_orgs(&r->who))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "only a node admin may %s organisations",
                       what);
    return 0;
}

int kz_api_orgs_list(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    kz_org *v = NULL;
    size_t n = 0;
    rc = kz_store_org_list(r->st, &r->arena, &v, &n, &r->err);
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_json_org(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "orgs", arr) : NULL);
}

int kz_api_orgs_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = need_admin(r, "create");
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_org o;
    rc = kz_json_org_parse(j, &r->arena, &o, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    kz_uuid_v4(o.id);
    o.created = o.modified = kz_time_now();
    if ((rc = kz_store_org_put(r->st, &o, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_org(&o));
}

static int load(kz_req *r, kz_org *o)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "organisation", id);
    if (rc < 0)
        return rc;
    rc = kz_store_org_get(r->st, id, &r->arena, o, &r->err);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such organisation '%s'", id);
    return rc;
}

int kz_api_org_get(kz_req *r)
{
    kz_org o;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &o);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_org(&o));
}

int kz_api_org_patch(kz_req *r)
{
    kz_org o;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &o);
    if (rc == 0)
        rc = need_admin(r, "change");
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    rc = kz_json_org_patch(j, &r->arena, &o, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    o.modified = kz_time_now();
    if ((rc = kz_store_org_update(r->st, &o, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_org(&o));
}

int kz_api_org_delete(kz_req *r)
{
    kz_org o;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &o);
    if (rc == 0)
        rc = need_admin(r, "delete");
    if (rc < 0)
        return rc;
    if ((rc = kz_store_org_delete(r->st, o.id, &r->err)) < 0)
        return rc;
    kz_principal_cache_flush(r->srv->pc);
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}
