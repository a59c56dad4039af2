/* migrations.c — the schema, as numbered steps. A database records in
 * schema_migrations which steps it has had; opening applies the missing ones
 * in one transaction, so a crash mid-upgrade leaves the old schema intact.
 * Steps are append-only: never edit one that has shipped, add the next.
 *
 * Why the schema looks the way it does:
 * - events and indicators have an INTEGER seq (the rowid): indicators point
 *   at their event by it (8 bytes, not 36), and search pages by it.
 * - indicators carry derived columns for search, computed at insert: addr
 *   (16-byte big-endian address, so memcmp order is address order), prefix
 *   (128 for one address) and rdomain (labels reversed, so a domain and its
 *   subdomains are one index range). Their indexes are partial: rows without
 *   them (hashes, file names) cost nothing there.
 * - ip_prefixes lists the CIDR prefix lengths present, so "CIDRs containing
 *   this address" is one index probe per length in use, not a scan.
 * - indicator_tags and sightings are removed by the store, not by cascade
 *   (see below).
 * - enum columns whose order means something (TLP, PAP, distribution) are
 *   integers; the others (roles, indicator types, ...) are their wire names,
 *   so reordering an enum in C can never reinterpret stored rows.
 */
#include "store_int.h"

#include <stdio.h>

static const char M1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"

    "CREATE TABLE orgs("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " country TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " sector TEXT, contact TEXT,"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL) WITHOUT ROWID;"

    "CREATE TABLE users("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id),"
    " email TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " name TEXT,"
    " role TEXT NOT NULL,"
    " password_hash TEXT,"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX users_org ON users(org_id);"

    "CREATE TABLE api_keys("
    " id TEXT PRIMARY KEY,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " label TEXT,"
    " hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL DEFAULT 0,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " last_used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX api_keys_user ON api_keys(user_id);"

    "CREATE TABLE communities("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " description TEXT,"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE community_members("
    " community TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (community, org_id)) WITHOUT ROWID;"
    "CREATE INDEX community_members_org ON community_members(org_id, community);"

    "CREATE TABLE sharing_groups("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " description TEXT,"
    " owner_org TEXT NOT NULL REFERENCES orgs(id),"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sharing_groups_owner ON sharing_groups(owner_org);"
    "CREATE TABLE sharing_group_members("
    " grp TEXT NOT NULL REFERENCES sharing_groups(id) ON DELETE CASCADE,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (grp, org_id)) WITHOUT ROWID;"
    "CREATE INDEX sharing_group_members_org ON sharing_group_members(org_id);"

    "CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"

    "CREATE TABLE events("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " title TEXT NOT NULL,"
    " description TEXT,"
    " threat_level INTEGER NOT NULL CHECK (threat_level BETWEEN 1 AND 4),"
    " analysis INTEGER NOT NULL CHECK (analysis BETWEEN 0 AND 2),"
    " tlp INTEGER NOT NULL CHECK (tlp BETWEEN 0 AND 4),"
    " pap INTEGER NOT NULL CHECK (pap BETWEEN 0 AND 3),"
    " distribution INTEGER NOT NULL CHECK (distribution BETWEEN 0 AND 4),"
    " sharing_group_id TEXT REFERENCES sharing_groups(id),"
    " community_id TEXT REFERENCES communities(id),"
    " published INTEGER NOT NULL DEFAULT 0,"
    " published_at INTEGER NOT NULL DEFAULT 0,"
    " creator_org TEXT NOT NULL REFERENCES orgs(id),"
    " creator_user TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL);"
    "CREATE INDEX events_modified ON events(modified, id);"
    "CREATE INDEX events_creator ON events(creator_org);"
    "CREATE INDEX events_sharing_group ON events(sharing_group_id)"
    " WHERE sharing_group_id IS NOT NULL;"
    "CREATE INDEX events_community ON events(community_id) WHERE community_id IS NOT NULL;"

    "CREATE TABLE event_tags("
    " event INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    " tag INTEGER NOT NULL REFERENCES tags(id),"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (event, tag)) WITHOUT ROWID;"
    "CREATE INDEX event_tags_tag ON event_tags(tag, event);"
    "CREATE TABLE event_recipient_orgs("
    " event INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (event, org_id)) WITHOUT ROWID;"
    "CREATE INDEX event_recipient_orgs_org ON event_recipient_orgs(org_id);"
    "CREATE TABLE event_recipient_users("
    " event INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (event, user_id)) WITHOUT ROWID;"
    "CREATE INDEX event_recipient_users_user ON event_recipient_users(user_id);"

    "CREATE TABLE indicators("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " event_ref INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    " type TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " to_ids INTEGER NOT NULL,"
    " comment TEXT,"
    " first_seen INTEGER NOT NULL DEFAULT 0,"
    " last_seen INTEGER NOT NULL DEFAULT 0,"
    " tlp INTEGER CHECK (tlp BETWEEN 0 AND 4),"
    " distribution INTEGER CHECK (distribution BETWEEN 0 AND 4),"
    " created INTEGER NOT NULL, modified INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0,"
    " tagged INTEGER NOT NULL DEFAULT 0,"
    " addr BLOB, prefix INTEGER, rdomain TEXT);"
    "CREATE INDEX indicators_event ON indicators(event_ref);"
    /* Domains and host names are found by value through rdomain (their
     * value reversed), so the value index leaves them out: one index fewer
     * to maintain for most rows of a typical feed. search.c relies on this
     * exact condition. */
    "CREATE INDEX indicators_value ON indicators(value)"
    " WHERE rdomain IS NULL OR type NOT IN ('domain', 'hostname');"
    "CREATE INDEX indicators_addr ON indicators(addr, prefix) WHERE addr IS NOT NULL;"
    "CREATE INDEX indicators_rdomain ON indicators(rdomain) WHERE rdomain IS NOT NULL;"
    /* indicator_tags and sightings hang off indicators without a declared
     * foreign key: a cascade would run one sub-program per deleted indicator
     * and nearly double the time to delete a million-row event. The store
     * deletes them explicitly (indicators.c, events_write.c). */
    "CREATE TABLE indicator_tags("
    " ind INTEGER NOT NULL,"
    " tag INTEGER NOT NULL REFERENCES tags(id),"
    " pos INTEGER NOT NULL,"
    " PRIMARY KEY (ind, tag)) WITHOUT ROWID;"
    "CREATE INDEX indicator_tags_tag ON indicator_tags(tag, ind);"
    "CREATE TABLE ip_prefixes(len INTEGER PRIMARY KEY);"

    "CREATE TABLE sightings("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " ind INTEGER NOT NULL,"
    " org_id TEXT REFERENCES orgs(id) ON DELETE SET NULL,"
    " time INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " source TEXT,"
    " type TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE INDEX sightings_ind ON sightings(ind);"
    "CREATE INDEX sightings_org ON sightings(org_id);"

    "CREATE TABLE deletions("
    " seq INTEGER PRIMARY KEY,"
    " object_type TEXT NOT NULL,"
    " object_id TEXT NOT NULL,"
    " deleted_at INTEGER NOT NULL);";

/* Later steps live in files of their own (migration_<n>_<what>.c), one per
 * feature, so work on several features never edits the same lines. */
static const char *const migrations[] = {M1, kz__migration_2_match, kz__migration_3_stix,
                                         kz__migration_4_misp,
                                         kz__migration_5_taxii /* TAXII */,
                                         kz__migration_6_changes,
                                         kz__migration_7_sync,
                                         kz__migration_8_cases,
                                         kz__migration_9_notify,
                                         kz__migration_10_taxii_sources,
                                         kz__migration_11_audit,
                                         kz__migration_12_stix_versions,
                                         kz__migration_13_misp_parts /* issue 6 */,
                                         kz__migration_14_proposals /* federation: relay, proposals */,
                                         kz__migration_15_case_sync /* cases travel */,
                                         kz__migration_16_stix_id_keys /* issue 3: speed */};

static int current_version(kz_store *st, int *v, kz_err *err)
{
    sqlite3_stmt *s = NULL;
    *v = 0;
    int rc = sqlite3_prepare_v2(st->db, "SELECT max(version) FROM schema_migrations", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        /* A fresh file has no table yet: version 0. */
        sqlite3_finalize(s);
        return 0;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(s, 0);
    else if (rc != SQLITE_DONE) {
        snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
        sqlite3_finalize(s);
        return kz__dberr(st, rc, err, "reading the schema version");
    }
    sqlite3_finalize(s);
    if (*v < 0) /* a damaged or forged file: never index the migrations with it */
        return kz_fail(err, KZ_E_DB, "db", "database '%s' has an invalid schema version %d",
                       st->path, *v);
    return 0;
}

int kz__migrate(kz_store *st, kz_err *err)
{
    const int latest = (int)KZ_ARRAY_LEN(migrations);
    int v;
    int r = current_version(st, &v, err);
    if (r)
        return r;
    if (v > latest)
        return kz_fail(err, KZ_E_DB, "db",
                       "database '%s' has schema version %d, newer than this kizuna knows (%d)",
                       st->path, v, latest);
    if (v == latest) {
        st->version = v;
        return 0;
    }
    /* Another process may be migrating the same file: take the write lock,
     * then look again. */
    r = kz__exec(st, "BEGIN IMMEDIATE", err);
    if (r)
        return r;
    r = kz__exec(st,
                 "CREATE TABLE IF NOT EXISTS schema_migrations("
                 " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                 err);
    if (!r)
        r = current_version(st, &v, err);
    sqlite3_stmt *ins = NULL;
    if (!r && sqlite3_prepare_v2(st->db, "INSERT INTO schema_migrations VALUES (?1, ?2)", -1,
                                 &ins, NULL) != SQLITE_OK)
        r = kz_fail(err, KZ_E_DB, "", "migrating: %s", sqlite3_errmsg(st->db));
    for (int next = v + 1; !r && next <= latest; next++) {
        char what[64];
        snprintf(what, sizeof what, "applying schema migration %d", next);
        char *msg = NULL;
        int rc = sqlite3_exec(st->db, migrations[next - 1], NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            snprintf(st->last_msg, sizeof st->last_msg, "%s", msg ? msg : sqlite3_errstr(rc));
            sqlite3_free(msg);
            r = kz__dberr(st, rc, err, what);
            break;
        }
        sqlite3_bind_int(ins, 1, next);
        sqlite3_bind_int64(ins, 2, kz_time_now());
        rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (rc != SQLITE_DONE) {
            snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
            r = kz__dberr(st, rc, err, what);
        }
        v = next;
    }
    sqlite3_finalize(ins);
    if (!r)
        r = kz__exec(st, "COMMIT", err);
    if (r) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    st->version = v;
    return 0;
}
