/* sightings_agg.c — sightings a sweep reports in aggregate. A sweep of a day
 * of logs may hit one indicator a million times; the community needs "seen
 * by CERT-X on these days, this often", not a million rows. So each
 * (indicator, org, UTC day, source) is one row of the ordinary sightings
 * table (so GET .../sightings shows it), with sightings.day set, and
 * reporting it again adds to its count (an upsert on the partial unique
 * index of migration 2).
 */
#include "store_int.h"

#define US_PER_DAY 86400000000LL
#define MAX_COUNT (1LL << 62)

static const char SQL_UPSERT[] =
    "INSERT INTO sightings(id, ind, org_id, time, count, source, type, created, day)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'seen', ?7, ?8)"
    " ON CONFLICT(ind, org_id, day, source) WHERE day IS NOT NULL DO UPDATE SET"
    " count = CASE WHEN count > 9223372036854775807 - excluded.count"
    " THEN 9223372036854775807 ELSE count + excluded.count END,"
    " time = max(time, excluded.time)";

static int bad(kz_err *err, size_t i, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(kz_err *err, size_t i, const char *field, const char *fmt, ...)
{
    char f[64], msg[400];
    snprintf(f, sizeof f, "rows[%zu].%s", i, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return kz_fail(err, KZ_E_VALUE, f, "%s", msg);
}

static int check_row(const kz_sighting_agg *x, size_t i, kz_err *err)
{
    if (!x->indicator_id || !kz_uuid_valid(x->indicator_id))
        return bad(err, i, "indicator_id", "indicator id '%.64s' is not a UUID",
                   x->indicator_id ? x->indicator_id : "");
    if (!x->org_id || !kz_uuid_valid(x->org_id))
        return bad(err, i, "org_id", "organisation id '%.64s' is not a UUID",
                   x->org_id ? x->org_id : "");
    size_t n = x->source ? strnlen(x->source, 256) : 0;
    if (n == 0 || n > 255 || !kz_utf8_valid(x->source, n))
        return bad(err, i, "source", "source '%.64s' must be 1 to 255 bytes of UTF-8 text",
                   x->source ? x->source : "");
    if (x->count < 1 || x->count > MAX_COUNT)
        return bad(err, i, "count", "count %lld is out of range (1 to 2^62)",
                   (long long)x->count);
    if (x->time < 0)
        return bad(err, i, "time", "time %lld is before 1970", (long long)x->time);
    return 0;
}

/* The seq of an indicator, or 0 when it no longer exists. */
static int ind_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    *seq = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq FROM indicators WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an indicator");
    kz__reset(s);
    return 0;
}

int kz_store_sightings_aggregate(kz_store *st, const kz_sighting_agg *rows, size_t n,
                                 kz_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int r = check_row(&rows[i], i, err);
        if (r)
            return r;
    }
    if (n == 0)
        return 0;
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    kz_time now = kz_time_now();
    kz_uuid7_gen gen = {0};
    const char *last_org = NULL;
    for (size_t i = 0; i < n && !r; i++) {
        const kz_sighting_agg *x = &rows[i];
        /* Rows of one sweep name one org: check it once. */
        if (!last_org || strcmp(last_org, x->org_id) != 0) {
            r = kz__exists(st, KZ_SQL_ORG_EXISTS, x->org_id, err);
            if (r == KZ_E_NOTFOUND)
                r = bad(err, i, "org_id", "organisation '%.64s' does not exist", x->org_id);
            if (r)
                break;
            last_org = x->org_id;
        }
        int64_t seq;
        if ((r = ind_seq(st, x->indicator_id, &seq, err)))
            break;
        if (!seq)
            continue; /* deleted since the sweep's index was built */
        kz_time t = x->time ? x->time : now;
        kz_uuid id;
        kz_uuid7_next(&gen, id);
        sqlite3_stmt *s = kz__stmt(st, SQL_UPSERT, err);
        if (!s) {
            r = kz__code(err);
            break;
        }
        kz__bind_text(s, 1, id);
        kz__bind_i64(s, 2, seq);
        kz__bind_text(s, 3, x->org_id);
        kz__bind_i64(s, 4, t);
        kz__bind_i64(s, 5, x->count);
        kz__bind_text(s, 6, x->source);
        kz__bind_i64(s, 7, now);
        kz__bind_i64(s, 8, t / US_PER_DAY);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "recording a sighting");
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
