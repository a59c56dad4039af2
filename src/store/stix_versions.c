/* stix_versions.c — what a newer version of a STIX object changes in the
 * node's own model. The versions themselves are rows of stix_objects
 * (stix_objects.c); these helpers find the kz indicators an id's versions
 * made that still exist, and move an object with its indicators into
 * another event when a newer report claims it. Deciding what to update is
 * the importer's job (formats/stix_versions.c).
 */
#include "store_int.h"

/* Ids listed in any version's ind_ids that are still indicators. */
static const char SQL_LIVE[] =
    "SELECT DISTINCT j.value FROM stix_objects o, json_each(o.ind_ids) j"
    " JOIN indicators i ON i.id = j.value"
    " WHERE o.idk = kz_stix_key(?1) AND o.id = ?1 AND o.ind_ids IS NOT NULL ORDER BY 1";

int kz_store_stix_indicators_live(kz_store *st, const char *stix_id, kz_arena *a,
                                  kz_indicator **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st, SQL_LIVE, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, stix_id ? stix_id : "");
    kz_strlist ids = {0};
    int r = kz__list_strings(st, s, a, &ids, "reading STIX indicator links", err);
    if (r || ids.n == 0)
        return r;
    kz_indicator *v = kz_arena_alloc(a, ids.n * sizeof *v);
    if (!v)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < ids.n; i++) {
        r = kz_store_indicator_get(st, ids.v[i], a, &v[k], err);
        if (r == KZ_E_NOTFOUND)
            continue;
        if (r)
            return r;
        k++;
    }
    *out = v;
    *n = k;
    return 0;
}

static int touch_all(kz_store *st, sqlite3_stmt *s, const char *id, int64_t except, kz_err *err)
{
    /* Collected first: touching while the select runs would see its own writes. */
    int64_t seqs[64];
    size_t n = 0;
    kz__bind_text(s, 1, id);
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW)
        if (n < KZ_ARRAY_LEN(seqs))
            seqs[n++] = sqlite3_column_int64(s, 0);
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading the events of a STIX object");
    for (size_t i = 0; i < n; i++) {
        if (seqs[i] == except)
            continue;
        int r = kz__event_touch(st, seqs[i], 0, err);
        if (r)
            return r;
    }
    return 0;
}

int kz_store_stix_move(kz_store *st, const char *stix_id, const char *event_id, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t ev = 0;
    r = kz__event_seq(st, event_id, &ev, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_VALUE, "event_id", "event " KZ_ID_FMT " does not exist",
                    event_id ? event_id : "");
    /* The events it leaves are touched: their content changed too. */
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "SELECT DISTINCT event_ref FROM stix_objects"
                             " WHERE idk = kz_stix_key(?1) AND id = ?1 AND event_ref IS NOT NULL",
                             err)))
        r = kz__code(err);
    if (!r)
        r = touch_all(st, s, stix_id, ev, err);
    if (!r && !(s = kz__stmt(st,
                             "SELECT DISTINCT i.event_ref FROM stix_objects o,"
                             " json_each(o.ind_ids) j JOIN indicators i ON i.id = j.value"
                             " WHERE o.idk = kz_stix_key(?1) AND o.id = ?1"
                             " AND o.ind_ids IS NOT NULL",
                             err)))
        r = kz__code(err);
    if (!r)
        r = touch_all(st, s, stix_id, ev, err);
    static const char *const sql[] = {
        "UPDATE stix_objects SET event_ref = ?2 WHERE idk = kz_stix_key(?1) AND id = ?1",
        "UPDATE indicators SET event_ref = ?2 WHERE id IN (SELECT j.value FROM stix_objects o,"
        " json_each(o.ind_ids) j WHERE o.idk = kz_stix_key(?1) AND o.id = ?1"
        " AND o.ind_ids IS NOT NULL)",
    };
    for (size_t i = 0; !r && i < KZ_ARRAY_LEN(sql); i++) {
        if (!(s = kz__stmt(st, sql[i], err))) {
            r = kz__code(err);
            break;
        }
        kz__bind_text(s, 1, stix_id);
        kz__bind_i64(s, 2, ev);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "moving a STIX object");
    }
    if (!r)
        r = kz__event_touch(st, ev, 0, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
