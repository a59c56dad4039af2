/* changes.c — reading the change log (migration_6_changes.c) and noting
 * changes of objects that have no trigger of their own. Peers' change feeds,
 * the event stream and webhooks all page through it by seq. */
#include "store_int.h"

int kz_store_change_note(kz_store *st, const char *kind, const char *object_id, const char *op,
                         kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "INSERT INTO changes(kind, object_id, op, at) VALUES (?1, ?2, ?3, ?4)", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, kind);
    kz__bind_text(s, 2, object_id);
    kz__bind_text(s, 3, op);
    kz__bind_i64(s, 4, kz_time_now());
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "recording a change") : 0;
}

int kz_store_changes_head(kz_store *st, int64_t *seq, kz_err *err)
{
    *seq = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT ifnull(max(seq), 0) FROM changes", err);
    if (!s)
        return kz__code(err);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(s, 0);
    kz__reset(s);
    return rc == SQLITE_ROW ? 0 : kz__dberr(st, rc, err, "reading the change log");
}

int kz_store_changes(kz_store *st, int64_t after_seq, size_t limit, kz_arena *a, kz_change **out,
                     size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, kind, object_id, op, at FROM changes"
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
        kz_change *nv = kz__grow(a, *out, *n, &cap, sizeof **out);
        if (!nv) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        *out = nv;
        kz_change *c = &(*out)[(*n)++];
        c->seq = kz__col_i64(&r, 0);
        c->kind = kz__col_str(&r, 1);
        c->object_id = kz__col_str(&r, 2);
        c->op = kz__col_str(&r, 3);
        c->at = kz__col_i64(&r, 4);
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading the change log");
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}
