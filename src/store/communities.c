/* communities.c — communities of organisations (e.g. "ASEAN-JP CERTs"):
 * the audience of COMMUNITY / CONNECTED distribution. Membership is a link
 * table, kept in the order orgs joined. */
#include "store_int.h"

#define COMMUNITY_COLS "id, name, description, created, modified"

static const char SQL_MEMBER_ADD[] =
    "INSERT OR IGNORE INTO community_members(community, org_id, pos)"
    " VALUES (?1, ?2,"
    " (SELECT ifnull(max(pos), 0) + 1 FROM community_members WHERE community = ?1))";

static int member_add(kz_store *st, const char *community_id, const char *org_id, kz_err *err)
{
    int r = kz__exists(st, KZ_SQL_ORG_EXISTS, org_id, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, "member_orgs", "organisation " KZ_ID_FMT " does not exist",
                       org_id ? org_id : "");
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st, SQL_MEMBER_ADD, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, community_id);
    kz__bind_text(s, 2, org_id);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "adding a community member") : 0;
}

int kz_store_community_put(kz_store *st, const kz_community *c, kz_err *err)
{
    if (!kz_uuid_valid(c->id))
        return kz_fail(err, KZ_E_VALUE, "id", "community id '%.64s' is not a UUID", c->id);
    if (!c->name || !*c->name)
        return kz_fail(err, KZ_E_VALUE, "name", "a community needs a name");
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(
        st, "INSERT INTO communities(" COMMUNITY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)", err);
    if (!s)
        return kz__fail_txn(st, kz__code(err));
    kz_time now = kz_time_now();
    kz__bind_text(s, 1, c->id);
    kz__bind_text(s, 2, c->name);
    kz__bind_text(s, 3, c->description);
    kz__bind_i64(s, 4, c->created ? c->created : now);
    kz__bind_i64(s, 5, c->modified ? c->modified : now);
    int rc = kz__run(st, s);
    if (rc) {
        if (kz__is_unique(rc) && kz__failed_on(st, "communities.name"))
            r = kz_fail(err, KZ_E_CONFLICT, "name", "a community named '%.200s' exists", c->name);
        else if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "community " KZ_ID_FMT " already exists", c->id);
        else
            r = kz__dberr(st, rc, err, "storing a community");
        return kz__fail_txn(st, r);
    }
    for (size_t i = 0; i < c->member_orgs.n; i++) {
        r = member_add(st, c->id, c->member_orgs.v[i], err);
        if (r)
            return kz__fail_txn(st, r);
    }
    return kz_store_commit(st, err);
}

static int load_members(kz_store *st, const char *community_id, kz_arena *a, kz_strlist *out,
                        kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT org_id FROM community_members WHERE community = ?1 ORDER BY pos", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, community_id);
    return kz__list_strings(st, s, a, out, "reading community members", err);
}

static void read_community(kz_rd *r, void *out)
{
    kz_community *c = out;
    memset(c, 0, sizeof *c);
    kz__col_uuid(r, 0, c->id);
    c->name = kz__col_str(r, 1);
    c->description = kz__col_str(r, 2);
    c->created = kz__col_i64(r, 3);
    c->modified = kz__col_i64(r, 4);
}

static int get_one(kz_store *st, const char *sql, const char *key, const char *what, kz_arena *a,
                   kz_community *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    kz__bind_text(s, 1, key ? key : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        r = kz_fail(err, KZ_E_NOTFOUND, "", "community %s '%.200s' not found", what,
                    key ? key : "");
        goto out;
    }
    if (rc != SQLITE_ROW) {
        r = kz__dberr(st, rc, err, "reading a community");
        goto out;
    }
    kz_rd rd = {s, a, false};
    read_community(&rd, out);
    kz__reset(s);
    if (rd.oom)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    else
        r = load_members(st, out->id, a, &out->member_orgs, err);
out:
    kz__read_end(st, snap);
    return r;
}

int kz_store_community_get(kz_store *st, const char *id, kz_arena *a, kz_community *out,
                           kz_err *err)
{
    return get_one(st, "SELECT " COMMUNITY_COLS " FROM communities WHERE id = ?1", id, "id", a,
                   out, err);
}

int kz_store_community_find(kz_store *st, const char *name, kz_arena *a, kz_community *out,
                            kz_err *err)
{
    return get_one(st, "SELECT " COMMUNITY_COLS " FROM communities WHERE name = ?1", name,
                   "named", a, out, err);
}

int kz_store_community_list(kz_store *st, kz_arena *a, kz_community **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT " COMMUNITY_COLS " FROM communities ORDER BY name, id", err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    r = kz__list_rows(st, s, a, sizeof **out, read_community, out, n, "listing communities", err);
    if (r)
        goto out;
    for (size_t i = 0; !r && i < *n; i++)
        r = load_members(st, (*out)[i].id, a, &(*out)[i].member_orgs, err);
out:
    kz__read_end(st, snap);
    return r;
}

static int touch_community(kz_store *st, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "UPDATE communities SET modified = max(modified + 1, ?2) WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    kz__bind_i64(s, 2, kz_time_now());
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "updating a community") : 0;
}

int kz_store_community_add_member(kz_store *st, const char *community_id, const char *org_id,
                                  kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    r = kz__exists(st, KZ_SQL_COMMUNITY_EXISTS, community_id, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_NOTFOUND, "", "community " KZ_ID_FMT " not found",
                    community_id ? community_id : "");
    if (!r)
        r = member_add(st, community_id, org_id, err);
    if (!r && sqlite3_changes(st->db) > 0)
        r = touch_community(st, community_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_community_remove_member(kz_store *st, const char *community_id, const char *org_id,
                                     kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    r = kz__exists(st, KZ_SQL_COMMUNITY_EXISTS, community_id, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_NOTFOUND, "", "community " KZ_ID_FMT " not found",
                    community_id ? community_id : "");
    sqlite3_stmt *s = NULL;
    if (!r) {
        s = kz__stmt(st, "DELETE FROM community_members WHERE community = ?1 AND org_id = ?2", err);
        if (!s)
            r = kz__code(err);
    }
    if (!r) {
        kz__bind_text(s, 1, community_id);
        kz__bind_text(s, 2, org_id ? org_id : "");
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "removing a community member");
        else if (sqlite3_changes(st->db) == 0)
            r = kz_fail(err, KZ_E_NOTFOUND, "",
                        "organisation " KZ_ID_FMT " is not a member of community " KZ_ID_FMT,
                        org_id ? org_id : "", community_id);
        else
            r = touch_community(st, community_id, err);
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_org_communities(kz_store *st, const char *org_id, kz_arena *a, kz_strlist *out,
                             kz_err *err)
{
    out->v = NULL; /* empty, whatever happens */
    out->n = 0;
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT community FROM community_members WHERE org_id = ?1 ORDER BY community", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, org_id ? org_id : "");
    return kz__list_strings(st, s, a, out, "reading an organisation's communities", err);
}
