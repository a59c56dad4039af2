/* misp_uncorrelated.c — which indicators of an event correlation leaves
 * out because MISP marked them (or their event) disable_correlation: the
 * native event view must not show counts for them, as the correlation
 * index (misp_scan.c) does not hold them either.
 */
#include "store_int.h"

enum { EVF_NO_CORRELATION = 2 };
enum { INDF_NO_CORRELATION = 1 };

int kz_store_misp_uncorrelated(kz_store *st, const char *event_id, kz_arena *a, kz_strlist *ids,
                               bool *whole_event, kz_err *err)
{
    *whole_event = false;
    memset(ids, 0, sizeof *ids);
    int64_t seq = 0;
    int r = kz__event_seq(st, event_id, &seq, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st, "SELECT flags FROM misp_events WHERE event = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW)
        *whole_event = (sqlite3_column_int(s, 0) & EVF_NO_CORRELATION) != 0;
    kz__reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading MISP event data");
    if (*whole_event)
        return 0;
    s = kz__stmt(st,
                 "SELECT id FROM indicators WHERE event_ref = ?1 AND (misp_flags & 1) <> 0",
                 err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    return kz__list_strings(st, s, a, ids, "reading MISP attribute flags", err);
}
