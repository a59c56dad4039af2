/* api_communities.c — /api/v1/communities. A community is a set of member
 * organisations that share with one another (the ASEAN CERTs, say). Any user
 * may see which communities exist and who is in them; only the node admin
 * forms them and changes their membership, since membership widens who sees
 * what under "community" distribution.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

static int need_admin(kz_req *r)
{
    if (!kz_acl_can_manage_orgs(&r->who))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "only a node admin may create or change communities");
    return 0;
}

static json_t *list_json(const kz_community *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_json_community(&v[i])) < 0) {
            json_decref(arr);
            return NULL;
        }
    return arr ? json_pack("{s:o}", "communities", arr) : NULL;
}

int kz_api_communities_list(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    kz_community *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_community_list(r->st, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, list_json(v, n));
}

int kz_api_communities_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = need_admin(r);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_community c;
    rc = kz_json_community_parse(j, &r->arena, &c, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if ((rc = kz_http_check_orgs(r, &c.member_orgs, "member_orgs")) < 0)
        return rc;
    kz_uuid_v4(c.id);
    c.created = c.modified = kz_time_now();
    if ((rc = kz_store_community_put(r->st, &c, &r->err)) < 0)
        return rc;
    kz_principal_cache_flush(r->srv->pc);
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_community(&c));
}

static int load(kz_req *r, kz_community *c)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "community", id);
    if (rc < 0)
        return rc;
    rc = kz_store_community_get(r->st, id, &r->arena, c, &r->err);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such community '%s'", id);
    return rc;
}

int kz_api_community_get(kz_req *r)
{
    kz_community c;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &c);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_community(&c));
}

/* {"org_id": "<uuid>"} and nothing else. */
static int member_body(kz_req *r, kz_uuid org_id)
{
    json_t *j;
    int rc = kz_http_body_json(r, &j);
    if (rc < 0)
        return rc;
    const char *k;
    json_t *v;
    if (!json_is_object(j))
        rc = kz_fail(&r->err, KZ_E_INVALID, NULL, "body must be a JSON object {\"org_id\": ...}");
    else
        json_object_foreach(j, k, v) {
            if (strcmp(k, "org_id") != 0) {
                rc = kz_fail(&r->err, KZ_E_INVALID, NULL, "unknown field '%.64s'", k);
                snprintf(r->err.field, sizeof r->err.field, "%.64s", k);
                break;
            }
        }
    json_t *o = rc == 0 ? json_object_get(j, "org_id") : NULL;
    if (rc == 0 && !o)
        rc = kz_fail(&r->err, KZ_E_INVALID, "org_id", "missing required field 'org_id'");
    else if (rc == 0 && !json_is_string(o))
        rc = kz_fail(&r->err, KZ_E_INVALID, "org_id", "'org_id' must be a string");
    else if (rc == 0 && !kz_uuid_normalize(json_string_value(o), org_id))
        rc = kz_fail(&r->err, KZ_E_VALUE, "org_id", "'org_id' must be a UUID, got '%.64s'",
                     json_string_value(o));
    json_decref(j);
    return rc;
}

int kz_api_community_member_add(kz_req *r)
{
    kz_community c;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = need_admin(r);
    if (rc == 0)
        rc = load(r, &c);
    kz_uuid org;
    if (rc == 0)
        rc = member_body(r, org);
    if (rc < 0)
        return rc;
    kz_org o;
    kz_err e;
    rc = kz_store_org_get(r->st, org, &r->arena, &o, &e);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_VALUE, "org_id", "org_id: no such organisation '%s'", org);
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    if (kz_strlist_has(&c.member_orgs, org))
        return kz_fail(&r->err, KZ_E_CONFLICT, "org_id", "organisation '%s' is already a member",
                       org);
    if ((rc = kz_store_community_add_member(r->st, c.id, org, &r->err)) < 0)
        return rc;
    kz_principal_cache_flush(r->srv->pc);
    kz_uuid id;
    memcpy(id, c.id, sizeof id); /* the get below overwrites c */
    if ((rc = kz_store_community_get(r->st, id, &r->arena, &c, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_community(&c));
}

int kz_api_community_member_remove(kz_req *r)
{
    kz_community c;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = need_admin(r);
    if (rc == 0)
        rc = load(r, &c);
    kz_uuid org;
    if (rc == 0)
        rc = kz_http_param_uuid(r, 1, "member", org);
    if (rc < 0)
        return rc;
    if (!kz_strlist_has(&c.member_orgs, org))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL,
                       "organisation '%s' is not a member of this community", org);
    if ((rc = kz_store_community_remove_member(r->st, c.id, org, &r->err)) < 0)
        return rc;
    kz_principal_cache_flush(r->srv->pc);
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}
