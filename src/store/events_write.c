/* events_write.c — creating, changing, publishing and deleting events. An
 * event is stored together with its tags, recipients and indicators in one
 * transaction, so a failed import leaves no half event behind. References
 * are checked first so that the error names what is missing instead of
 * SQLite's anonymous "FOREIGN KEY constraint failed".
 */
#include "store_int.h"

static int check_fields(const kz_event *ev, kz_err *err)
{
    if (!kz_uuid_valid(ev->id))
        return kz_fail(err, KZ_E_VALUE, "id", "event id '%.64s' is not a UUID", ev->id);
    if (!ev->title || !*ev->title)
        return kz_fail(err, KZ_E_VALUE, "title", "an event needs a title");
    if (ev->threat_level < 1 || ev->threat_level > 4)
        return kz_fail(err, KZ_E_VALUE, "threat_level", "threat level %d is not 1 to 4",
                       ev->threat_level);
    if (ev->analysis < 0 || ev->analysis > 2)
        return kz_fail(err, KZ_E_VALUE, "analysis", "analysis %d is not 0 to 2", ev->analysis);
    if (!kz_tlp_name(ev->tlp))
        return kz_fail(err, KZ_E_VALUE, "tlp", "TLP %d is not valid", (int)ev->tlp);
    if (!kz_pap_name(ev->pap))
        return kz_fail(err, KZ_E_VALUE, "pap", "PAP %d is not valid", (int)ev->pap);
    if (!kz_distribution_name(ev->distribution))
        return kz_fail(err, KZ_E_VALUE, "distribution", "distribution %d is not valid",
                       (int)ev->distribution);
    return 0;
}

static int must_exist(kz_store *st, const char *sql, const char *id, const char *field,
                      const char *what, kz_err *err)
{
    int r = kz__exists(st, sql, id, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, field, "%s " KZ_ID_FMT " does not exist", what,
                       id ? id : "");
    return r;
}

/* Everything an event points at must exist (inside the caller's transaction,
 * so nothing can vanish between the check and the write). */
static int check_refs(kz_store *st, const kz_event *ev, bool creator, kz_err *err)
{
    int r = 0;
    if (creator)
        r = must_exist(st, KZ_SQL_ORG_EXISTS, ev->creator_org, "creator_org", "creator org", err);
    if (!r && ev->sharing_group_id[0])
        r = must_exist(st, KZ_SQL_SHARING_GROUP_EXISTS, ev->sharing_group_id, "sharing_group_id",
                       "sharing group", err);
    if (!r && ev->community_id[0])
        r = must_exist(st, KZ_SQL_COMMUNITY_EXISTS, ev->community_id, "community_id",
                       "community", err);
    for (size_t i = 0; !r && i < ev->recipient_orgs.n; i++)
        r = must_exist(st, KZ_SQL_ORG_EXISTS, ev->recipient_orgs.v[i], "recipient_orgs",
                       "recipient organisation", err);
    for (size_t i = 0; !r && i < ev->recipient_users.n; i++)
        r = must_exist(st, KZ_SQL_USER_EXISTS, ev->recipient_users.v[i], "recipient_users",
                       "recipient user", err);
    return r;
}

static int write_list(kz_store *st, const char *sql, int64_t seq, const kz_strlist *l, kz_err *err)
{
    for (size_t i = 0; i < l->n; i++) {
        sqlite3_stmt *s = kz__stmt(st, sql, err);
        if (!s)
            return kz__code(err);
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, l->v[i]);
        kz__bind_i64(s, 3, (int64_t)i);
        int rc = kz__run(st, s);
        if (rc)
            return kz__dberr(st, rc, err, "storing event recipients");
    }
    return 0;
}

static int write_links(kz_store *st, int64_t seq, const kz_event *ev, kz_err *err)
{
    int r = kz__event_tags_write(st, seq, &ev->tags, err);
    if (!r)
        r = write_list(st,
                       "INSERT OR IGNORE INTO event_recipient_orgs(event, org_id, pos)"
                       " VALUES (?1, ?2, ?3)",
                       seq, &ev->recipient_orgs, err);
    if (!r)
        r = write_list(st,
                       "INSERT OR IGNORE INTO event_recipient_users(event, user_id, pos)"
                       " VALUES (?1, ?2, ?3)",
                       seq, &ev->recipient_users, err);
    return r;
}

static const char SQL_EVENT_INSERT[] =
    "INSERT INTO events(id, title, description, threat_level, analysis, tlp, pap, distribution,"
    " sharing_group_id, community_id, published, published_at, creator_org, creator_user,"
    " created, modified)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

static int insert_row(kz_store *st, const kz_event *ev, int64_t *seq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, SQL_EVENT_INSERT, err);
    if (!s)
        return kz__code(err);
    kz_time now = kz_time_now();
    kz__bind_text(s, 1, ev->id);
    kz__bind_text(s, 2, ev->title);
    kz__bind_text(s, 3, ev->description);
    sqlite3_bind_int(s, 4, ev->threat_level);
    sqlite3_bind_int(s, 5, ev->analysis);
    sqlite3_bind_int(s, 6, (int)ev->tlp);
    sqlite3_bind_int(s, 7, (int)ev->pap);
    sqlite3_bind_int(s, 8, (int)ev->distribution);
    kz__bind_ref(s, 9, ev->sharing_group_id);
    kz__bind_ref(s, 10, ev->community_id);
    sqlite3_bind_int(s, 11, ev->published ? 1 : 0);
    kz__bind_i64(s, 12, ev->published_at);
    kz__bind_text(s, 13, ev->creator_org);
    kz__bind_text(s, 14, ev->creator_user);
    kz__bind_i64(s, 15, ev->created ? ev->created : now);
    kz__bind_i64(s, 16, ev->modified ? ev->modified : ev->created ? ev->created : now);
    int rc = kz__run(st, s);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "event " KZ_ID_FMT " already exists", ev->id);
    if (rc)
        return kz__dberr(st, rc, err, "storing an event");
    *seq = sqlite3_last_insert_rowid(st->db);
    return 0;
}

int kz_store_event_put(kz_store *st, const kz_event *ev, kz_err *err)
{
    int r = check_fields(ev, err);
    if (r)
        return r;
    r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = check_refs(st, ev, true, err);
    if (!r)
        r = insert_row(st, ev, &seq, err);
    if (!r)
        r = write_links(st, seq, ev, err);
    if (!r && ev->n_indicators)
        r = kz__indicators_insert(st, seq, ev->id, ev->indicators, ev->n_indicators, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz__event_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq FROM events WHERE id = ?1", err);
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
        return kz__dberr(st, rc, err, "looking up an event");
    kz__reset(s);
    return kz_fail(err, KZ_E_NOTFOUND, "", "event " KZ_ID_FMT " not found", id ? id : "");
}

int kz__event_touch(kz_store *st, int64_t seq, kz_time when, kz_err *err)
{
    /* modified only moves forward: keyset paging and sync rely on it. */
    sqlite3_stmt *s =
        kz__stmt(st, "UPDATE events SET modified = max(modified + 1, ?2) WHERE seq = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz__bind_i64(s, 2, when ? when : kz_time_now());
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "updating an event") : 0;
}

static int clear_links(kz_store *st, int64_t seq, kz_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM event_tags WHERE event = ?1",
        "DELETE FROM event_recipient_orgs WHERE event = ?1",
        "DELETE FROM event_recipient_users WHERE event = ?1",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(sql); i++) {
        sqlite3_stmt *s = kz__stmt(st, sql[i], err);
        if (!s)
            return kz__code(err);
        kz__bind_i64(s, 1, seq);
        int rc = kz__run(st, s);
        if (rc)
            return kz__dberr(st, rc, err, "updating an event");
    }
    return 0;
}

int kz_store_event_update(kz_store *st, const kz_event *ev, kz_err *err)
{
    int r = check_fields(ev, err);
    if (r)
        return r;
    r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__event_seq(st, ev->id, &seq, err);
    if (!r)
        r = check_refs(st, ev, false, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "UPDATE events SET title = ?2, description = ?3, threat_level = ?4,"
                             " analysis = ?5, tlp = ?6, pap = ?7, distribution = ?8,"
                             " sharing_group_id = ?9, community_id = ?10, published = ?11,"
                             " published_at = ?12, modified = max(modified + 1, ?13)"
                             " WHERE seq = ?1",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, ev->title);
        kz__bind_text(s, 3, ev->description);
        sqlite3_bind_int(s, 4, ev->threat_level);
        sqlite3_bind_int(s, 5, ev->analysis);
        sqlite3_bind_int(s, 6, (int)ev->tlp);
        sqlite3_bind_int(s, 7, (int)ev->pap);
        sqlite3_bind_int(s, 8, (int)ev->distribution);
        kz__bind_ref(s, 9, ev->sharing_group_id);
        kz__bind_ref(s, 10, ev->community_id);
        sqlite3_bind_int(s, 11, ev->published ? 1 : 0);
        kz__bind_i64(s, 12, ev->published_at);
        kz__bind_i64(s, 13, ev->modified ? ev->modified : kz_time_now());
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "updating an event");
    }
    if (!r)
        r = clear_links(st, seq, err);
    if (!r)
        r = write_links(st, seq, ev, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_event_publish(kz_store *st, const char *id, kz_time when, kz_err *err)
{
    if (!when)
        when = kz_time_now();
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE events SET published = 1, published_at = ?2,"
                               " modified = max(modified + 1, ?2) WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    kz__bind_i64(s, 2, when);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "publishing an event");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "event " KZ_ID_FMT " not found", id ? id : "");
    return 0;
}

int kz_store_event_delete(kz_store *st, const char *id, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__event_seq(st, id, &seq, err);
    /* The indicators' tags and sightings, then the indicators, in bulk
     * (see migrations.c for why not by cascade); the event's own link rows
     * go by ON DELETE CASCADE with the event. */
    static const char *const sql[] = {
        "DELETE FROM indicator_tags WHERE ind IN"
        " (SELECT seq FROM indicators WHERE event_ref = ?1 AND tagged = 1)",
        "DELETE FROM sightings WHERE ind IN (SELECT seq FROM indicators WHERE event_ref = ?1)",
        "DELETE FROM indicators WHERE event_ref = ?1",
        "DELETE FROM events WHERE seq = ?1",
    };
    for (size_t i = 0; !r && i < KZ_ARRAY_LEN(sql); i++) {
        sqlite3_stmt *s = kz__stmt(st, sql[i], err);
        if (!s) {
            r = kz__code(err);
            break;
        }
        kz__bind_i64(s, 1, seq);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "deleting an event");
    }
    if (!r)
        r = kz__tombstone(st, "event", id, kz_time_now(), err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
