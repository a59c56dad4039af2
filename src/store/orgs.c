/* orgs.c — organisations: the owners of users and events. Names are unique
 * without regard to ASCII case ("CERT-X" and "cert-x" are one org), and an
 * org cannot be deleted while anything still belongs to it. */
#include "store_int.h"

#define ORG_COLS "id, name, country, type, sector, contact, created, modified"

static int check_org(const kz_org *o, kz_err *err)
{
    if (!kz_uuid_valid(o->id))
        return kz_fail(err, KZ_E_VALUE, "id", "organisation id '%.64s' is not a UUID", o->id);
    if (!o->name || !*o->name)
        return kz_fail(err, KZ_E_VALUE, "name", "an organisation needs a name");
    if (!kz_org_type_name(o->type))
        return kz_fail(err, KZ_E_VALUE, "type", "organisation type %d is not valid", (int)o->type);
    return 0;
}

static int org_conflict(kz_store *st, const kz_org *o, int rc, kz_err *err)
{
    if (kz__is_unique(rc) && kz__failed_on(st, "orgs.name"))
        return kz_fail(err, KZ_E_CONFLICT, "name", "an organisation named '%.200s' exists",
                       o->name);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "organisation " KZ_ID_FMT " already exists",
                       o->id);
    return kz__dberr(st, rc, err, "storing an organisation");
}

int kz_store_org_put(kz_store *st, const kz_org *o, kz_err *err)
{
    int r = check_org(o, err);
    if (r)
        return r;
    sqlite3_stmt *s =
        kz__stmt(st, "INSERT INTO orgs(" ORG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    if (!s)
        return kz__code(err);
    kz_time now = kz_time_now();
    kz__bind_text(s, 1, o->id);
    kz__bind_text(s, 2, o->name);
    kz__bind_text(s, 3, o->country);
    kz__bind_text(s, 4, kz_org_type_name(o->type));
    kz__bind_text(s, 5, o->sector);
    kz__bind_text(s, 6, o->contact);
    kz__bind_i64(s, 7, o->created ? o->created : now);
    kz__bind_i64(s, 8, o->modified ? o->modified : now);
    int rc = kz__run(st, s);
    return rc ? org_conflict(st, o, rc, err) : 0;
}

int kz_store_org_update(kz_store *st, const kz_org *o, kz_err *err)
{
    int r = check_org(o, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE orgs SET name = ?2, country = ?3, type = ?4, sector = ?5,"
                               " contact = ?6, modified = ?7 WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, o->id);
    kz__bind_text(s, 2, o->name);
    kz__bind_text(s, 3, o->country);
    kz__bind_text(s, 4, kz_org_type_name(o->type));
    kz__bind_text(s, 5, o->sector);
    kz__bind_text(s, 6, o->contact);
    kz__bind_i64(s, 7, o->modified ? o->modified : kz_time_now());
    int rc = kz__run(st, s);
    if (rc)
        return org_conflict(st, o, rc, err);
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "organisation " KZ_ID_FMT " not found", o->id);
    return 0;
}

static void read_org(kz_rd *r, void *out)
{
    kz_org *o = out;
    memset(o, 0, sizeof *o);
    kz__col_uuid(r, 0, o->id);
    o->name = kz__col_str(r, 1);
    const char *c = (const char *)sqlite3_column_text(r->s, 2);
    snprintf(o->country, sizeof o->country, "%s", c ? c : "");
    int t = kz_org_type_parse((const char *)sqlite3_column_text(r->s, 3));
    o->type = t < 0 ? KZ_ORG_COMPANY : (kz_org_type)t;
    o->sector = kz__col_str(r, 4);
    o->contact = kz__col_str(r, 5);
    o->created = kz__col_i64(r, 6);
    o->modified = kz__col_i64(r, 7);
}

static int get_one(kz_store *st, const char *sql, const char *key, const char *what, kz_arena *a,
                   kz_org *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, key ? key : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "organisation %s '%.200s' not found", what,
                       key ? key : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading an organisation");
    kz_rd r = {s, a, false};
    read_org(&r, out);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz_store_org_get(kz_store *st, const char *id, kz_arena *a, kz_org *out, kz_err *err)
{
    return get_one(st, "SELECT " ORG_COLS " FROM orgs WHERE id = ?1", id, "id", a, out, err);
}

int kz_store_org_find(kz_store *st, const char *name, kz_arena *a, kz_org *out, kz_err *err)
{
    return get_one(st, "SELECT " ORG_COLS " FROM orgs WHERE name = ?1", name, "named", a, out,
                   err);
}

int kz_store_org_list(kz_store *st, kz_arena *a, kz_org **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT " ORG_COLS " FROM orgs ORDER BY name, id", err);
    if (!s)
        return kz__code(err);
    return kz__list_rows(st, s, a, sizeof **out, read_org, out, n, "listing organisations", err);
}

/* What still belongs to an org, checked in this order so the message names
 * the first thing the admin has to move or delete. */
static const struct {
    const char *sql;
    const char *what;
} org_refs[] = {
    {"SELECT 1 FROM users WHERE org_id = ?1 LIMIT 1", "users"},
    {"SELECT 1 FROM events WHERE creator_org = ?1 LIMIT 1", "events"},
    {"SELECT 1 FROM sharing_groups WHERE owner_org = ?1 LIMIT 1", "sharing groups it owns"},
};

int kz_store_org_delete(kz_store *st, const char *id, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    r = kz__exists(st, KZ_SQL_ORG_EXISTS, id, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_NOTFOUND, "", "organisation " KZ_ID_FMT " not found", id ? id : "");
    for (size_t i = 0; !r && i < KZ_ARRAY_LEN(org_refs); i++) {
        int e = kz__exists(st, org_refs[i].sql, id, err);
        if (e == 0)
            r = kz_fail(err, KZ_E_CONFLICT, "",
                        "organisation " KZ_ID_FMT " still has %s; remove them first", id,
                        org_refs[i].what);
        else if (e != KZ_E_NOTFOUND)
            r = e;
    }
    if (!r) {
        sqlite3_stmt *s = kz__stmt(st, "DELETE FROM orgs WHERE id = ?1", err);
        if (!s)
            r = kz__code(err);
        else {
            kz__bind_text(s, 1, id);
            int rc = kz__run(st, s);
            if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
                r = kz_fail(err, KZ_E_CONFLICT, "",
                            "organisation " KZ_ID_FMT " is still referenced", id);
            else if (rc)
                r = kz__dberr(st, rc, err, "deleting an organisation");
        }
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
