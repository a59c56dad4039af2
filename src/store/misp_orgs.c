/* misp_orgs.c — MISP organisations and sharing groups onto kizuna's.
 *
 * MISP names an org by UUID (and a name that may differ between
 * instances). kizuna keeps the MISP UUID as the org's id, so the same MISP
 * org is the same kizuna org whatever it is called, and an export gives the
 * UUID back unchanged. An org is never matched by name when a UUID is
 * given: a feed calling itself "CERT-X" must not be filed under the local
 * CERT-X. Names are unique on the node, so a MISP org whose name is taken
 * by another org gets " (MISP xxxxxxxx)" appended. References without a
 * UUID (old exports, sharing_groups.json) are matched by name, or created
 * with a name-based UUIDv5 so that importing the same file twice finds the
 * same org.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#define KZ_MAX_ORG_NAME 256

/* Namespace of the name-based ids (a fixed random UUID). */
static const char NS_MISP[] = "4b7c3c2e-8f0a-4c8e-9a57-3d0f2d9a1c61";

static int org_exists(kz_store *st, const char *id, kz_err *err)
{
    return kz__exists(st, KZ_SQL_ORG_EXISTS, id, err);
}

/* Creates the org, finding a free name. */
static int org_create(kz_store *st, const char *id, const char *name, kz_err *err)
{
    kz_org o = {0};
    memcpy(o.id, id, sizeof o.id);
    /* "ZZ": ISO 3166's code for an unknown country; MISP rarely says. */
    memcpy(o.country, "ZZ", 3);
    o.type = KZ_ORG_COMPANY;
    o.sector = "imported from MISP";
    char buf[KZ_UUID_STRLEN + 300];
    snprintf(buf, sizeof buf, "%.256s", name && *name ? name : id);
    o.name = buf;
    int r = kz_store_org_put(st, &o, err);
    if (r == KZ_E_CONFLICT && strcmp(err->field, "name") == 0) {
        snprintf(buf, sizeof buf, "%.256s (MISP %.8s)", name && *name ? name : id, id);
        r = kz_store_org_put(st, &o, err);
        if (r == KZ_E_CONFLICT && strcmp(err->field, "name") == 0) {
            snprintf(buf, sizeof buf, "%.256s (MISP %s)", name && *name ? name : id, id);
            r = kz_store_org_put(st, &o, err);
        }
    }
    return r;
}

static int org_by_name(kz_store *st, const char *name, kz_uuid out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT id FROM orgs WHERE name = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, name);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        snprintf(out, sizeof(kz_uuid), "%s", (const char *)sqlite3_column_text(s, 0));
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an organisation");
    kz__reset(s);
    return KZ_E_NOTFOUND;
}

int kz_store_misp_org_resolve(kz_store *st, const kz_misp_org_ref *ref, bool create, kz_uuid out,
                              kz_err *err)
{
    out[0] = 0;
    const char *name = ref->name && *ref->name ? ref->name : NULL;
    if (!ref->uuid[0] && !name)
        return kz_fail(err, KZ_E_VALUE, "Orgc", "an organisation needs a uuid or a name");
    if (name && strlen(name) > KZ_MAX_ORG_NAME)
        return kz_fail(err, KZ_E_VALUE, "Orgc.name",
                       "organisation name '%.64s...' is longer than %d bytes", name,
                       KZ_MAX_ORG_NAME);
    int r;
    if (ref->uuid[0]) {
        r = org_exists(st, ref->uuid, err);
        if (r == 0) {
            memcpy(out, ref->uuid, sizeof(kz_uuid));
            return 0;
        }
        if (r != KZ_E_NOTFOUND)
            return r;
        if (!create)
            return kz_fail(err, KZ_E_VALUE, "Orgc.uuid",
                           "organisation %s ('%.100s') is not on this node", ref->uuid,
                           name ? name : "");
        r = org_create(st, ref->uuid, name, err);
        if (r == 0)
            memcpy(out, ref->uuid, sizeof(kz_uuid));
        return r;
    }
    r = org_by_name(st, name, out, err);
    if (r != KZ_E_NOTFOUND)
        return r;
    if (!create)
        return kz_fail(err, KZ_E_VALUE, "Orgc.name", "no organisation named '%.100s' on this node",
                       name);
    kz_uuid id;
    if (kz_uuid_v5(NS_MISP, name, strlen(name), id) < 0)
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot derive an organisation id");
    r = org_create(st, id, name, err);
    if (r == 0)
        memcpy(out, id, sizeof(kz_uuid));
    return r;
}

static int add_member(kz_store *st, const char *grp, const char *org, int64_t pos, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR IGNORE INTO sharing_group_members(grp, org_id, pos)"
                               " VALUES (?1, ?2, ?3)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, grp);
    kz__bind_text(s, 2, org);
    kz__bind_i64(s, 3, pos);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing sharing group members") : 0;
}

int kz_store_misp_sharing_group_resolve(kz_store *st, const kz_misp_sharing_group *g, bool create,
                                        kz_uuid out, kz_err *err)
{
    out[0] = 0;
    if (!g->name || !*g->name)
        return kz_fail(err, KZ_E_VALUE, "SharingGroup.name", "a sharing group needs a name");
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    kz_uuid owner = "", id;
    if (g->owner.uuid[0] || (g->owner.name && *g->owner.name))
        r = kz_store_misp_org_resolve(st, &g->owner, create, owner, err);
    if (!r) {
        if (g->uuid[0]) {
            memcpy(id, g->uuid, sizeof id);
        } else {
            /* Without a UUID the owner and the name are the identity. */
            char key[KZ_UUID_STRLEN + 1 + 1024];
            int n = snprintf(key, sizeof key, "%s/%.1000s", owner, g->name);
            if (kz_uuid_v5(NS_MISP, key, (size_t)n, id) < 0)
                r = kz_fail(err, KZ_E_INTERNAL, NULL, "cannot derive a sharing group id");
        }
    }
    bool exists = false;
    if (!r) {
        r = kz__exists(st, KZ_SQL_SHARING_GROUP_EXISTS, id, err);
        exists = r == 0;
        if (r == KZ_E_NOTFOUND)
            r = 0;
    }
    if (!r && !exists && !create)
        r = kz_fail(err, KZ_E_VALUE, "SharingGroup.uuid",
                    "sharing group '%.100s' (%s) is not on this node", g->name, id);
    /* Members first (they must exist before the group points at them). */
    kz_strlist members = {0};
    kz_uuid *mids = NULL;
    if (!r && g->n_members) {
        mids = calloc(g->n_members, sizeof *mids);
        if (!mids)
            r = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; !r && i < g->n_members; i++)
        r = kz_store_misp_org_resolve(st, &g->members[i], create, mids[i], err);
    if (!r && !exists) {
        char **v = g->n_members ? calloc(g->n_members, sizeof *v) : NULL;
        if (g->n_members && !v)
            r = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        for (size_t i = 0; !r && i < g->n_members; i++)
            v[i] = mids[i];
        members.v = v;
        members.n = g->n_members;
        kz_sharing_group sg = {0};
        memcpy(sg.id, id, sizeof sg.id);
        memcpy(sg.owner_org, owner[0] ? owner : (g->n_members ? mids[0] : ""), sizeof sg.owner_org);
        sg.description = g->description;
        sg.member_orgs = members;
        char name[1100];
        snprintf(name, sizeof name, "%.1000s", g->name);
        sg.name = name;
        if (!r) {
            r = kz_store_sharing_group_put(st, &sg, err);
            if (r == KZ_E_CONFLICT && strcmp(err->field, "name") == 0) {
                snprintf(name, sizeof name, "%.1000s (MISP %.8s)", g->name, id);
                r = kz_store_sharing_group_put(st, &sg, err);
            }
        }
        free(v);
    } else if (!r && create) {
        /* A known group: members MISP added since are added here too. */
        for (size_t i = 0; !r && i < g->n_members; i++)
            r = add_member(st, id, mids[i], 1000000 + (int64_t)i, err);
    }
    free(mids);
    if (r)
        return kz__fail_txn(st, r);
    r = kz_store_commit(st, err);
    if (!r)
        memcpy(out, id, sizeof(kz_uuid));
    return r;
}
