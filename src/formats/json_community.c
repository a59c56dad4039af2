/* json_community.c — communities and sharing groups on the wire: both are a
 * named set of org ids that distribution rules point at. */
#include "json_read.h"
#include "json_write.h"

#include <string.h>

int kz_json_community_parse(const json_t *j, kz_arena *a, kz_community *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (!strcmp(k, "name"))
            rc = kz_jr_string(&r, k, v, KZ_MAX_NAME, KZ_JR_NONEMPTY, &out->name);
        else if (!strcmp(k, "description"))
            rc = kz_jr_string(&r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                              &out->description);
        else if (!strcmp(k, "member_orgs"))
            rc = kz_jr_uuid_list(&r, k, v, KZ_MAX_IDS, &out->member_orgs);
        else if (!strcmp(k, "id"))
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->id);
        else if (!strcmp(k, "created"))
            rc = kz_jr_time(&r, k, v, &out->created);
        else if (!strcmp(k, "modified"))
            rc = kz_jr_time(&r, k, v, &out->modified);
        else
            rc = kz_jr_unknown(&r, k);
        if (rc)
            return rc;
    }
    if (!out->name)
        return kz_jr_missing(&r, "name");
    return KZ_OK;
}

int kz_json_sharing_group_parse(const json_t *j, kz_arena *a, kz_sharing_group *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    bool has_members = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (!strcmp(k, "name")) {
            rc = kz_jr_string(&r, k, v, KZ_MAX_NAME, KZ_JR_NONEMPTY, &out->name);
        } else if (!strcmp(k, "description")) {
            rc = kz_jr_string(&r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                              &out->description);
        } else if (!strcmp(k, "member_orgs")) {
            /* Required, so null does not stand in for "none" here. */
            if (!json_is_array(v))
                rc = kz_jr_fail(&r, KZ_E_INVALID, k, -1, "must be an array of UUIDs, got %s",
                                kz_jr_type(v));
            else
                rc = kz_jr_uuid_list(&r, k, v, KZ_MAX_IDS, &out->member_orgs);
            has_members = true;
        } else if (!strcmp(k, "owner_org")) {
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->owner_org);
        } else if (!strcmp(k, "id")) {
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->id);
        } else if (!strcmp(k, "created")) {
            rc = kz_jr_time(&r, k, v, &out->created);
        } else if (!strcmp(k, "modified")) {
            rc = kz_jr_time(&r, k, v, &out->modified);
        } else {
            rc = kz_jr_unknown(&r, k);
        }
        if (rc)
            return rc;
    }
    if (!out->name)
        return kz_jr_missing(&r, "name");
    if (!has_members)
        return kz_jr_missing(&r, "member_orgs");
    return KZ_OK;
}

json_t *kz_json_community(const kz_community *c)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", c->id);
    bad |= kz_jw_str(j, "name", c->name);
    bad |= kz_jw_str(j, "description", c->description);
    bad |= kz_jw_set(j, "member_orgs", kz_jw_strlist(&c->member_orgs));
    bad |= kz_jw_time(j, "created", c->created);
    bad |= kz_jw_time(j, "modified", c->modified);
    return kz_jw_done(j, bad);
}

json_t *kz_json_sharing_group(const kz_sharing_group *g)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", g->id);
    bad |= kz_jw_str(j, "name", g->name);
    bad |= kz_jw_str(j, "description", g->description);
    bad |= kz_jw_uuid(j, "owner_org", g->owner_org);
    bad |= kz_jw_set(j, "member_orgs", kz_jw_strlist(&g->member_orgs));
    bad |= kz_jw_time(j, "created", g->created);
    bad |= kz_jw_time(j, "modified", g->modified);
    return kz_jw_done(j, bad);
}
