/* sightings.c — "we saw this indicator" reports from orgs. A sighting
 * belongs to its indicator and goes when the indicator goes; if the
 * reporting org is deleted the sighting stays, without an org. */
#include "store_int.h"

#define SIGHTING_COLS "s.id, i.id, s.org_id, s.time, s.count, s.source, s.type, s.created"

static int indicator_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq FROM indicators WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an indicator");
    kz__reset(s);
    return KZ_E_NOTFOUND;
}

int kz_store_sighting_put(kz_store *st, const kz_sighting *x, kz_err *err)
{
    if (!kz_uuid_valid(x->id))
        return kz_fail(err, KZ_E_VALUE, "id", "sighting id '%.64s' is not a UUID", x->id);
    const char *type = kz_sighting_type_name(x->type);
    if (!type)
        return kz_fail(err, KZ_E_VALUE, "type", "sighting type %d is not valid", (int)x->type);
    if (x->count < 0)
        return kz_fail(err, KZ_E_VALUE, "count", "sighting count %lld is negative",
                       (long long)x->count);
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t ind = 0;
    r = indicator_seq(st, x->indicator_id, &ind, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_VALUE, "indicator_id", "indicator " KZ_ID_FMT " does not exist",
                    x->indicator_id);
    if (!r && x->org_id[0]) {
        r = kz__exists(st, KZ_SQL_ORG_EXISTS, x->org_id, err);
        if (r == KZ_E_NOTFOUND)
            r = kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                        x->org_id);
    }
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO sightings(id, ind, org_id, time, count, source, type,"
                             " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz_time now = kz_time_now();
        kz__bind_text(s, 1, x->id);
        kz__bind_i64(s, 2, ind);
        kz__bind_ref(s, 3, x->org_id);
        kz__bind_i64(s, 4, x->time ? x->time : now);
        kz__bind_i64(s, 5, x->count);
        kz__bind_text(s, 6, x->source);
        kz__bind_text(s, 7, type);
        kz__bind_i64(s, 8, x->created ? x->created : now);
        int rc = kz__run(st, s);
        if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "sighting " KZ_ID_FMT " already exists", x->id);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing a sighting");
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* Rows of one indicator after (after_time, after_seq); limit 0 = all. One
 * row beyond the limit is read to set *more. */
static int list_rows(kz_store *st, const char *indicator_id, kz_time after_time, int64_t after_seq,
                     size_t limit, kz_arena *a, kz_sighting **out, size_t *n, bool *more,
                     kz_time *last_time, int64_t *last_seq, kz_err *err)
{
    *out = NULL;
    *n = 0;
    if (more)
        *more = false;
    bool snap = kz__read_begin(st);
    int64_t ind = 0;
    int r = indicator_seq(st, indicator_id, &ind, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_NOTFOUND, "", "indicator " KZ_ID_FMT " not found",
                    indicator_id ? indicator_id : "");
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "SELECT " SIGHTING_COLS ", s.seq FROM sightings s"
                             " JOIN indicators i ON i.seq = s.ind"
                             " WHERE s.ind = ?1 AND (s.time > ?2 OR (s.time = ?2 AND s.seq > ?3))"
                             " ORDER BY s.time, s.seq LIMIT ?4",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, ind);
        kz__bind_i64(s, 2, after_time);
        kz__bind_i64(s, 3, after_seq);
        kz__bind_i64(s, 4, limit ? (int64_t)limit + 1 : -1);
        size_t cap = 0;
        kz_rd rd = {s, a, false};
        int rc;
        while ((rc = kz__step(st, s)) == SQLITE_ROW) {
            if (limit && *n == limit) {
                if (more)
                    *more = true;
                kz__reset(s);
                rc = SQLITE_DONE;
                break;
            }
            kz_sighting *nv = kz__grow(a, *out, *n, &cap, sizeof **out);
            if (!nv) {
                kz__reset(s);
                rc = SQLITE_NOMEM;
                break;
            }
            *out = nv;
            kz_sighting *x = &(*out)[(*n)++];
            memset(x, 0, sizeof *x);
            kz__col_uuid(&rd, 0, x->id);
            kz__col_uuid(&rd, 1, x->indicator_id);
            kz__col_uuid(&rd, 2, x->org_id);
            x->time = kz__col_i64(&rd, 3);
            x->count = kz__col_i64(&rd, 4);
            x->source = kz__col_str(&rd, 5);
            int t = kz_sighting_type_parse((const char *)sqlite3_column_text(s, 6));
            x->type = t < 0 ? KZ_SIGHTING_SEEN : (kz_sighting_type)t;
            x->created = kz__col_i64(&rd, 7);
            if (last_time)
                *last_time = x->time;
            if (last_seq)
                *last_seq = kz__col_i64(&rd, 8);
        }
        if (rc == SQLITE_DONE)
            kz__reset(s);
        if (rc == SQLITE_NOMEM || (rc == SQLITE_DONE && rd.oom))
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        else if (rc != SQLITE_DONE)
            r = kz__dberr(st, rc, err, "listing sightings");
    }
    kz__read_end(st, snap);
    return r;
}

int kz_store_sighting_list(kz_store *st, const char *indicator_id, kz_arena *a, kz_sighting **out,
                           size_t *n, kz_err *err)
{
    return list_rows(st, indicator_id, INT64_MIN, 0, 0, a, out, n, NULL, NULL, NULL, err);
}

int kz_store_sighting_page(kz_store *st, const char *indicator_id, kz_time after_time,
                           int64_t after_seq, size_t limit, kz_arena *a, kz_sighting **out,
                           size_t *n, bool *more, kz_time *last_time, int64_t *last_seq,
                           kz_err *err)
{
    if (limit < 1 || limit > 1000) {
        *out = NULL;
        *n = 0;
        return kz_fail(err, KZ_E_VALUE, "limit", "limit %zu is not from 1 to 1000", limit);
    }
    return list_rows(st, indicator_id, after_time, after_seq, limit, a, out, n, more, last_time,
                     last_seq, err);
}
