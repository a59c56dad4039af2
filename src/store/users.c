/* users.c — people (and peer machine accounts) of an org. E-mail addresses
 * are unique without regard to ASCII case. Deleting a user deletes its API
 * keys with it (a key of a user who no longer exists must never work). */
#include "store_int.h"

#define USER_COLS "id, org_id, email, name, role, password_hash, created, modified"

static int check_user(const kz_user *u, kz_err *err)
{
    if (!kz_uuid_valid(u->id))
        return kz_fail(err, KZ_E_VALUE, "id", "user id '%.64s' is not a UUID", u->id);
    if (!u->email || !*u->email)
        return kz_fail(err, KZ_E_VALUE, "email", "a user needs an e-mail address");
    if (!kz_role_name(u->role))
        return kz_fail(err, KZ_E_VALUE, "role", "role %d is not valid", (int)u->role);
    return 0;
}

static int user_write_err(kz_store *st, const kz_user *u, int rc, kz_err *err)
{
    if (kz__is_unique(rc) && kz__failed_on(st, "users.email"))
        return kz_fail(err, KZ_E_CONFLICT, "email", "a user with e-mail '%.200s' exists",
                       u->email);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "user " KZ_ID_FMT " already exists", u->id);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                       u->org_id);
    return kz__dberr(st, rc, err, "storing a user");
}

int kz_store_user_put(kz_store *st, const kz_user *u, kz_err *err)
{
    int r = check_user(u, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(
        st, "INSERT INTO users(" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    if (!s)
        return kz__code(err);
    kz_time now = kz_time_now();
    kz__bind_text(s, 1, u->id);
    kz__bind_text(s, 2, u->org_id);
    kz__bind_text(s, 3, u->email);
    kz__bind_text(s, 4, u->name);
    kz__bind_text(s, 5, kz_role_name(u->role));
    kz__bind_text(s, 6, u->password_hash);
    kz__bind_i64(s, 7, u->created ? u->created : now);
    kz__bind_i64(s, 8, u->modified ? u->modified : now);
    int rc = kz__run(st, s);
    return rc ? user_write_err(st, u, rc, err) : 0;
}

int kz_store_user_update(kz_store *st, const kz_user *u, kz_err *err)
{
    int r = check_user(u, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE users SET org_id = ?2, email = ?3, name = ?4, role = ?5,"
                               " password_hash = ?6, modified = ?7 WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, u->id);
    kz__bind_text(s, 2, u->org_id);
    kz__bind_text(s, 3, u->email);
    kz__bind_text(s, 4, u->name);
    kz__bind_text(s, 5, kz_role_name(u->role));
    kz__bind_text(s, 6, u->password_hash);
    kz__bind_i64(s, 7, u->modified ? u->modified : kz_time_now());
    int rc = kz__run(st, s);
    if (rc)
        return user_write_err(st, u, rc, err);
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "user " KZ_ID_FMT " not found", u->id);
    return 0;
}

static void read_user(kz_rd *r, void *out)
{
    kz_user *u = out;
    memset(u, 0, sizeof *u);
    kz__col_uuid(r, 0, u->id);
    kz__col_uuid(r, 1, u->org_id);
    u->email = kz__col_str(r, 2);
    u->name = kz__col_str(r, 3);
    int role = kz_role_parse((const char *)sqlite3_column_text(r->s, 4));
    /* An unknown stored role must never grant more than reading. */
    u->role = role < 0 ? KZ_ROLE_READONLY : (kz_role)role;
    u->password_hash = kz__col_str(r, 5);
    u->created = kz__col_i64(r, 6);
    u->modified = kz__col_i64(r, 7);
}

static int get_one(kz_store *st, const char *sql, const char *key, const char *what, kz_arena *a,
                   kz_user *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, key ? key : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "user %s '%.200s' not found", what, key ? key : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a user");
    kz_rd r = {s, a, false};
    read_user(&r, out);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz_store_user_get(kz_store *st, const char *id, kz_arena *a, kz_user *out, kz_err *err)
{
    return get_one(st, "SELECT " USER_COLS " FROM users WHERE id = ?1", id, "id", a, out, err);
}

int kz_store_user_find_email(kz_store *st, const char *email, kz_arena *a, kz_user *out,
                             kz_err *err)
{
    return get_one(st, "SELECT " USER_COLS " FROM users WHERE email = ?1", email, "with e-mail",
                   a, out, err);
}

int kz_store_user_list(kz_store *st, const char *org_id, kz_arena *a, kz_user **out, size_t *n,
                       kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " USER_COLS " FROM users"
                               " WHERE ?1 IS NULL OR org_id = ?1 ORDER BY email, id",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, org_id);
    return kz__list_rows(st, s, a, sizeof **out, read_user, out, n, "listing users", err);
}

int kz_store_user_delete(kz_store *st, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM users WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    /* api_keys rows go with it (ON DELETE CASCADE), in the same statement. */
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "deleting a user");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "user " KZ_ID_FMT " not found", id ? id : "");
    return 0;
}
