/* misp_feed.c — what was imported from each MISP feed: per feed and event
 * UUID, the MISP timestamp of the copy imported last. A feed import reads
 * the manifest and fetches only events whose timestamp is newer, so a
 * daily pull of a feed with thousands of events touches only what changed.
 */
#include "store_int.h"

int kz_store_misp_feed_get(kz_store *st, const char *feed, const char *event_uuid, int64_t *ts,
                           kz_err *err)
{
    *ts = 0;
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT timestamp FROM misp_feeds WHERE feed = ?1 AND event_uuid = ?2", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, feed);
    kz__bind_text(s, 2, event_uuid);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        *ts = sqlite3_column_int64(s, 0);
        kz__reset(s);
        return 0;
    }
    kz__reset(s);
    return rc == SQLITE_DONE ? KZ_E_NOTFOUND : kz__dberr(st, rc, err, "reading MISP feed state");
}

int kz_store_misp_feed_set(kz_store *st, const char *feed, const char *event_uuid, int64_t ts,
                           kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR REPLACE INTO misp_feeds(feed, event_uuid, timestamp)"
                               " VALUES (?1, ?2, ?3)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, feed);
    kz__bind_text(s, 2, event_uuid);
    kz__bind_i64(s, 3, ts);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing MISP feed state") : 0;
}
