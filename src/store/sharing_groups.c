/* sharing_groups.c — explicit lists of organisations chosen by an owner org,
 * the audience of SHARING_GROUP distribution (MISP's sharing groups). */
#include "store_int.h"

#define GROUP_COLS "id, name, description, owner_org, created, modified"

static int org_must_exist(kz_store *st, const char *org_id, const char *field, const char *role,
                          kz_err *err)
{
    int r = kz__exists(st, KZ_SQL_ORG_EXISTS, org_id, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, field, "%s " KZ_ID_FMT " does not exist", role,
                       org_id ? org_id : "");
    return r;
}

int kz_store_sharing_group_put(kz_store *st, const kz_sharing_group *g, kz_err *err)
{
    if (!kz_uuid_valid(g->id))
        return kz_fail(err, KZ_E_VALUE, "id", "sharing group id '%.64s' is not a UUID", g->id);
    if (!g->name || !*g->name)
        return kz_fail(err, KZ_E_VALUE, "name", "a sharing group needs a name");
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    r = org_must_exist(st, g->owner_org, "owner_org", "owner organisation", err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO sharing_groups(" GROUP_COLS
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz_time now = kz_time_now();
        kz__bind_text(s, 1, g->id);
        kz__bind_text(s, 2, g->name);
        kz__bind_text(s, 3, g->description);
        kz__bind_text(s, 4, g->owner_org);
        kz__bind_i64(s, 5, g->created ? g->created : now);
        kz__bind_i64(s, 6, g->modified ? g->modified : now);
        int rc = kz__run(st, s);
        if (kz__is_unique(rc) && kz__failed_on(st, "sharing_groups.name"))
            r = kz_fail(err, KZ_E_CONFLICT, "name", "a sharing group named '%.200s' exists",
                        g->name);
        else if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "sharing group " KZ_ID_FMT " already exists",
                        g->id);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing a sharing group");
    }
    for (size_t i = 0; !r && i < g->member_orgs.n; i++) {
        r = org_must_exist(st, g->member_orgs.v[i], "member_orgs", "member organisation", err);
        if (!r && !(s = kz__stmt(st,
                                 "INSERT OR IGNORE INTO sharing_group_members(grp, org_id, pos)"
                                 " VALUES (?1, ?2, ?3)",
                                 err)))
            r = kz__code(err);
        if (!r) {
            kz__bind_text(s, 1, g->id);
            kz__bind_text(s, 2, g->member_orgs.v[i]);
            kz__bind_i64(s, 3, (int64_t)i);
            int rc = kz__run(st, s);
            if (rc)
                r = kz__dberr(st, rc, err, "storing sharing group members");
        }
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* Members of a group, in the order they were given. */
int kz__sharing_group_members(kz_store *st, const char *id, kz_arena *a, kz_strlist *out,
                              kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT org_id FROM sharing_group_members WHERE grp = ?1 ORDER BY pos", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    return kz__list_strings(st, s, a, out, "reading sharing group members", err);
}

static void read_group(kz_rd *r, void *out)
{
    kz_sharing_group *g = out;
    memset(g, 0, sizeof *g);
    kz__col_uuid(r, 0, g->id);
    g->name = kz__col_str(r, 1);
    g->description = kz__col_str(r, 2);
    kz__col_uuid(r, 3, g->owner_org);
    g->created = kz__col_i64(r, 4);
    g->modified = kz__col_i64(r, 5);
}

int kz_store_sharing_group_get(kz_store *st, const char *id, kz_arena *a, kz_sharing_group *out,
                               kz_err *err)
{
    memset(out, 0, sizeof *out);
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT " GROUP_COLS " FROM sharing_groups WHERE id = ?1", err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        r = kz_fail(err, KZ_E_NOTFOUND, "", "sharing group " KZ_ID_FMT " not found",
                    id ? id : "");
        goto out;
    }
    if (rc != SQLITE_ROW) {
        r = kz__dberr(st, rc, err, "reading a sharing group");
        goto out;
    }
    kz_rd rd = {s, a, false};
    read_group(&rd, out);
    kz__reset(s);
    r = rd.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory")
               : kz__sharing_group_members(st, out->id, a, &out->member_orgs, err);
out:
    kz__read_end(st, snap);
    return r;
}

int kz_store_sharing_group_list(kz_store *st, kz_arena *a, kz_sharing_group **out, size_t *n,
                                kz_err *err)
{
    *out = NULL;
    *n = 0;
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT " GROUP_COLS " FROM sharing_groups ORDER BY name, id", err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    r = kz__list_rows(st, s, a, sizeof **out, read_group, out, n, "listing sharing groups", err);
    for (size_t i = 0; !r && i < *n; i++)
        r = kz__sharing_group_members(st, (*out)[i].id, a, &(*out)[i].member_orgs, err);
out:
    kz__read_end(st, snap);
    return r;
}
