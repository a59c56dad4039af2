/* tombstones.c — deletions are real (rows and their dependants go), but each
 * deleted event or indicator leaves a tombstone (type, id, time) so that a
 * peer pulling changes later can learn that something it holds is gone. */
#include "store_int.h"

int kz__tombstone(kz_store *st, const char *type, const char *id, kz_time when, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "INSERT INTO deletions(object_type, object_id, deleted_at) VALUES (?1, ?2, ?3)", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, type);
    kz__bind_text(s, 2, id);
    kz__bind_i64(s, 3, when);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "recording a deletion") : 0;
}

int kz_store_tombstones(kz_store *st, int64_t after_seq, size_t limit, kz_arena *a,
                        kz_tombstone **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, object_type, object_id, deleted_at FROM deletions"
                               " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, after_seq);
    kz__bind_i64(s, 2, limit ? (int64_t)(limit > INT64_MAX ? INT64_MAX : limit) : 1000);
    size_t cap = 0;
    kz_rd r = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_tombstone *nv = kz__grow(a, *out, *n, &cap, sizeof **out);
        if (!nv) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        *out = nv;
        kz_tombstone *t = &(*out)[(*n)++];
        t->seq = kz__col_i64(&r, 0);
        t->type = kz__col_str(&r, 1);
        kz__col_uuid(&r, 2, t->id);
        t->deleted_at = kz__col_i64(&r, 3);
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading deletions");
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}
