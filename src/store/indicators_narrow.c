/* indicators_narrow.c — keeping indicators no looser than their event.
 *
 * An indicator may carry its own TLP or distribution, stricter than its
 * event's. When the event is later made stricter, an explicit marking can
 * end up looser than the event; reading applies both rules, so nobody sees
 * more, but search hits, exports and lookup payloads would label the
 * indicator with its own looser marking. This returns such markings to
 * "inherit" (NULL), in the caller's transaction.
 */
#include "store_int.h"

int kz_store_indicators_narrow(kz_store *st, const char *event_id, size_t *changed, kz_err *err)
{
    if (changed)
        *changed = 0;
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq, tlp, distribution FROM events WHERE id = ?1", err);
    int64_t seq = 0;
    int tlp = 0, dist = 0;
    if (!s)
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, event_id ? event_id : "");
        int rc = kz__step(st, s);
        if (rc == SQLITE_ROW) {
            seq = sqlite3_column_int64(s, 0);
            tlp = sqlite3_column_int(s, 1);
            dist = sqlite3_column_int(s, 2);
            kz__reset(s);
        } else if (rc == SQLITE_DONE) {
            kz__reset(s);
            r = kz_fail(err, KZ_E_NOTFOUND, "", "event " KZ_ID_FMT " not found",
                        event_id ? event_id : "");
        } else {
            r = kz__dberr(st, rc, err, "reading an event's markings");
        }
    }
    /* The distributions that reach further than the event's, as a bit set,
     * so the ranking stays the model's (sharing groups sit between org and
     * community). */
    int wider = 0;
    for (int d = KZ_DIST_ORG; d <= KZ_DIST_SHARING_GROUP; d++)
        if (!kz_distribution_no_wider((kz_distribution)d, (kz_distribution)dist))
            wider |= 1 << d;
    if (!r && !(s = kz__stmt(st,
                             "UPDATE indicators SET"
                             " tlp = CASE WHEN tlp < ?2 THEN NULL ELSE tlp END,"
                             " distribution = CASE WHEN (?3 >> distribution) & 1"
                             " THEN NULL ELSE distribution END,"
                             " modified = max(modified + 1, ?4)"
                             " WHERE event_ref = ?1 AND deleted = 0"
                             " AND (tlp < ?2 OR (?3 >> distribution) & 1)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        sqlite3_bind_int(s, 2, tlp);
        sqlite3_bind_int(s, 3, wider);
        kz__bind_i64(s, 4, kz_time_now());
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "narrowing indicator markings");
        else if (changed)
            *changed = (size_t)sqlite3_changes(st->db);
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
