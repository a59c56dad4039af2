/* api_me.c — GET /api/v1/me (who does the node think I am) and
 * GET /api/v1/health (is the node up and its database readable). Health is
 * public, so it says nothing beyond "ok" and the version.
 */
#include "http_int.h"

#include <string.h>

int kz_api_health(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    int v = kz_store_schema_version(r->st);
    if (v <= 0)
        return kz_fail(&r->err, KZ_E_DB, NULL, "store schema version unreadable (%d)", v);
    return kz_http_ok(r, MHD_HTTP_OK,
                      json_pack("{s:s,s:s,s:i}", "status", "ok", "version", KZ_VERSION, "schema", v));
}

int kz_api_me(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    kz_user u;
    kz_org o;
    rc = kz_store_user_get(r->st, r->who.user_id, &r->arena, &u, &r->err);
    if (rc < 0)
        return rc;
    rc = kz_store_org_get(r->st, r->who.org_id, &r->arena, &o, &r->err);
    if (rc < 0)
        return rc;
    json_t *comms = json_array();
    for (size_t i = 0; comms && i < r->who.communities.n; i++)
        json_array_append_new(comms, json_string(r->who.communities.v[i]));
    json_t *j = json_pack("{s:o,s:o,s:s,s:o,s:o*}", "user", kz_json_user(&u), "org", kz_json_org(&o),
                          "role", kz_role_name(r->who.role), "communities", comms, "key_id",
                          r->key_id[0] ? json_string(r->key_id) : json_null());
    return kz_http_ok(r, MHD_HTTP_OK, j);
}
