/* api_sharing_groups.c — /api/v1/sharing-groups. A sharing group is an ad
 * hoc set of organisations an event can be limited to (distribution
 * "sharing_group"). Its membership is itself sensitive (who works with whom
 * on an incident), so only members and the node admin see a group. The
 * creating organisation owns it and is always a member.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

static bool is_member(const kz_req *r, const kz_sharing_group *g)
{
    return kz_http_is_admin(r) || strcmp(g->owner_org, r->who.org_id) == 0 ||
           kz_strlist_has(&g->member_orgs, r->who.org_id);
}

int kz_api_sharing_groups_list(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    kz_sharing_group *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_sharing_group_list(r->st, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!is_member(r, &v[i]))
            continue;
        if (json_array_append_new(arr, kz_json_sharing_group(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "sharing_groups", arr) : NULL);
}

int kz_api_sharing_groups_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    kz_role role = r->who.role;
    if (role != KZ_ROLE_ADMIN && role != KZ_ROLE_ORG_ADMIN && role != KZ_ROLE_PUBLISHER)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "only publishers, org admins and admins may create sharing groups");
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_sharing_group g;
    rc = kz_json_sharing_group_parse(j, &r->arena, &g, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (g.owner_org[0] && strcmp(g.owner_org, r->who.org_id) != 0 && !kz_http_is_admin(r))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, "owner_org",
                       "a sharing group is owned by the organisation that creates it");
    if (!g.owner_org[0])
        memcpy(g.owner_org, r->who.org_id, sizeof g.owner_org);
    if ((rc = kz_http_check_orgs(r, &g.member_orgs, "member_orgs")) < 0)
        return rc;
    kz_strlist owner = {0};
    if (kz_strlist_push(&r->arena, &owner, g.owner_org) < 0)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if ((rc = kz_http_check_orgs(r, &owner, "owner_org")) < 0) {
        snprintf(r->err.field, sizeof r->err.field, "owner_org");
        return rc;
    }
    if (!kz_strlist_has(&g.member_orgs, g.owner_org) &&
        kz_strlist_push(&r->arena, &g.member_orgs, g.owner_org) < 0)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    kz_uuid_v4(g.id);
    g.created = g.modified = kz_time_now();
    if ((rc = kz_store_sharing_group_put(r->st, &g, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_sharing_group(&g));
}

int kz_api_sharing_group_get(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    kz_uuid id;
    if (rc == 0)
        rc = kz_http_param_uuid(r, 0, "sharing group", id);
    if (rc < 0)
        return rc;
    kz_sharing_group g;
    rc = kz_store_sharing_group_get(r->st, id, &r->arena, &g, &r->err);
    if (rc == KZ_E_NOTFOUND || (rc == 0 && !is_member(r, &g)))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such sharing group '%s'", id);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_sharing_group(&g));
}
