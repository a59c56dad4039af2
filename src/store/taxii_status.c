/* taxii_status.c — the TAXII status resources of Add Objects, kept in the
 * database so they outlive a restart and are shared by every server process
 * on the same file. Rows older than a week are pruned on each write (TAXII
 * asks for at least 24 hours).
 */
#include "store_int.h"

#include <stdio.h>

#define KEEP_US ((kz_time)7 * 24 * 3600 * 1000000)

int kz_store_taxii_status_put(kz_store *st, const char *id, const char *org_id, kz_time created,
                              const char *body, kz_err *err)
{
    if (!id || !*id || !org_id || !body)
        return kz_fail(err, KZ_E_VALUE, "", "a TAXII status needs an id, an org and a body");
    sqlite3_stmt *d = kz__stmt(st, "DELETE FROM taxii_status WHERE created < ?1", err);
    if (!d)
        return kz__code(err);
    sqlite3_bind_int64(d, 1, created - KEEP_US);
    int rc = kz__run(st, d);
    if (rc)
        return kz__dberr(st, rc, err, "pruning TAXII statuses");
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO taxii_status(id, org_id, created, body)"
                               " VALUES (?1, ?2, ?3, ?4)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    kz__bind_text(s, 2, org_id);
    sqlite3_bind_int64(s, 3, created);
    kz__bind_text(s, 4, body);
    rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing a TAXII status") : 0;
}

int kz_store_taxii_status_get(kz_store *st, const char *id, kz_arena *a, kz_uuid org_id,
                              char **body, kz_err *err)
{
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT org_id, body FROM taxii_status WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "no status '%.64s'", id ? id : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a TAXII status");
    kz_rd r = {s, a, false};
    char *org = kz__col_str(&r, 0);
    *body = kz__col_str(&r, 1);
    snprintf(org_id, sizeof(kz_uuid), "%s", org ? org : "");
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}
