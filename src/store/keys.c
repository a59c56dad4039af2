/* keys.c — API keys. Only the keyed hash of a key is stored; lookup is by
 * that hash, and only keys that are neither revoked nor expired are found, so
 * the authentication path needs no second check of the key's state. */
#include "store_int.h"

#define KEY_COLS "id, user_id, label, hash, created, expires, revoked, last_used"

int kz_store_key_put(kz_store *st, const kz_api_key *k, kz_err *err)
{
    if (!kz_uuid_valid(k->id))
        return kz_fail(err, KZ_E_VALUE, "id", "key id '%.64s' is not a UUID", k->id);
    sqlite3_stmt *s = kz__stmt(
        st, "INSERT INTO api_keys(" KEY_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, k->id);
    kz__bind_text(s, 2, k->user_id);
    kz__bind_text(s, 3, k->label);
    sqlite3_bind_blob(s, 4, k->hash, 32, SQLITE_STATIC);
    kz__bind_i64(s, 5, k->created ? k->created : kz_time_now());
    kz__bind_i64(s, 6, k->expires);
    kz__bind_i64(s, 7, k->revoked);
    kz__bind_i64(s, 8, k->last_used);
    int rc = kz__run(st, s);
    if (!rc)
        return 0;
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return kz_fail(err, KZ_E_VALUE, "user_id", "user " KZ_ID_FMT " does not exist",
                       k->user_id);
    if (kz__is_unique(rc) && kz__failed_on(st, "api_keys.hash"))
        return kz_fail(err, KZ_E_CONFLICT, "", "a key with the same hash exists");
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "key " KZ_ID_FMT " already exists", k->id);
    return kz__dberr(st, rc, err, "storing a key");
}

static void read_key(kz_rd *r, void *out)
{
    kz_api_key *k = out;
    memset(k, 0, sizeof *k);
    kz__col_uuid(r, 0, k->id);
    kz__col_uuid(r, 1, k->user_id);
    k->label = kz__col_str(r, 2);
    const void *h = sqlite3_column_blob(r->s, 3);
    if (h && sqlite3_column_bytes(r->s, 3) == 32)
        memcpy(k->hash, h, 32);
    k->created = kz__col_i64(r, 4);
    k->expires = kz__col_i64(r, 5);
    k->revoked = kz__col_i64(r, 6);
    k->last_used = kz__col_i64(r, 7);
}

static int read_one(kz_store *st, sqlite3_stmt *s, kz_arena *a, kz_api_key *out, kz_err *err,
                    const char *notfound)
{
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "%s", notfound);
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a key");
    kz_rd r = {s, a, false};
    read_key(&r, out);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz_store_key_find(kz_store *st, const uint8_t hash[32], kz_time now, kz_arena *a,
                      kz_api_key *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " KEY_COLS " FROM api_keys WHERE hash = ?1"
                               " AND revoked = 0 AND (expires = 0 OR expires > ?2)",
                               err);
    if (!s)
        return kz__code(err);
    sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
    kz__bind_i64(s, 2, now);
    /* Never echo anything about the presented key. */
    return read_one(st, s, a, out, err, "no active key matches");
}

int kz_store_key_get(kz_store *st, const char *id, kz_arena *a, kz_api_key *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st, "SELECT " KEY_COLS " FROM api_keys WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    char msg[128];
    snprintf(msg, sizeof msg, "key " KZ_ID_FMT " not found", id ? id : "");
    return read_one(st, s, a, out, err, msg);
}

int kz_store_key_list(kz_store *st, const char *user_id, kz_arena *a, kz_api_key **out, size_t *n,
                      kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " KEY_COLS " FROM api_keys"
                               " WHERE ?1 IS NULL OR user_id = ?1 ORDER BY created, id",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, user_id);
    return kz__list_rows(st, s, a, sizeof **out, read_key, out, n, "listing keys", err);
}

static int key_set(kz_store *st, const char *sql, const char *id, kz_time when, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    kz__bind_i64(s, 2, when);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "updating a key");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "key " KZ_ID_FMT " not found", id ? id : "");
    return 0;
}

int kz_store_key_revoke(kz_store *st, const char *id, kz_time when, kz_err *err)
{
    /* Revoking twice keeps the first time: that is when the key died. */
    return key_set(st,
                   "UPDATE api_keys SET revoked = CASE WHEN revoked = 0 THEN ?2 ELSE revoked END"
                   " WHERE id = ?1",
                   id, when ? when : kz_time_now(), err);
}

int kz_store_key_touch(kz_store *st, const char *id, kz_time when, kz_err *err)
{
    /* Bookkeeping on the request path: when another writer holds the lock,
     * give up at once (SQLITE_BUSY) rather than hold the request for the
     * busy time-out. Inside a transaction the lock is ours already. */
    bool nowait = st->depth == 0;
    if (nowait)
        kz__busy_wait(st, false);
    int r = key_set(st, "UPDATE api_keys SET last_used = max(last_used, ?2) WHERE id = ?1", id,
                    when, err);
    if (nowait)
        kz__busy_wait(st, true);
    return r;
}
