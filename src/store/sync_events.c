/* sync_events.c — storing what peers send: events (whole, with their
 * indicators), sharing groups, organisations and sightings, each with the
 * ids, times and creator of the node that made them.
 *
 * The ordinary write paths cannot do this: they stamp their own times and
 * move `modified` forward on every touch, which is right for local edits but
 * would make a received event look newer than its creator's copy and break
 * the "apply only if newer" rule that makes sync idempotent. An event is
 * replaced whole: its indicators not in the received manifest are deleted
 * here too (with tombstones), which is how indicator deletions travel.
 */
#include "store_int.h"

#include <stdlib.h>

static int check_event(const kz_event *ev, kz_err *err)
{
    if (!kz_uuid_valid(ev->id))
        return kz_fail(err, KZ_E_VALUE, "id", "event id '%.64s' is not a UUID", ev->id);
    if (!kz_uuid_valid(ev->creator_org))
        return kz_fail(err, KZ_E_VALUE, "creator_org", "event " KZ_ID_FMT " has no creator org",
                       ev->id);
    if (!ev->title || !*ev->title)
        return kz_fail(err, KZ_E_VALUE, "title", "event " KZ_ID_FMT " has no title", ev->id);
    if (ev->threat_level < 1 || ev->threat_level > 4 || ev->analysis < 0 || ev->analysis > 2 ||
        !kz_tlp_name(ev->tlp) || !kz_pap_name(ev->pap) ||
        !kz_distribution_name(ev->distribution))
        return kz_fail(err, KZ_E_VALUE, "", "event " KZ_ID_FMT " has a field out of range",
                       ev->id);
    return 0;
}

static int run1(kz_store *st, const char *sql, int64_t v, const char *what, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, v);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, what) : 0;
}

/* ---- sharing groups and orgs --------------------------------------------- */

static bool org_known(kz_store *st, const char *id, kz_err *err)
{
    return kz__exists(st, KZ_SQL_ORG_EXISTS, id, err) == 0;
}

static int sg_members_write(kz_store *st, const kz_sharing_group *g, kz_err *err)
{
    kz_err ignore = {0};
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM sharing_group_members WHERE grp = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, g->id);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "storing a received sharing group");
    for (size_t i = 0; i < g->member_orgs.n; i++) {
        if (!org_known(st, g->member_orgs.v[i], &ignore))
            continue; /* an org this node never heard of sees nothing here anyway */
        if (!(s = kz__stmt(st,
                           "INSERT OR IGNORE INTO sharing_group_members(grp, org_id, pos)"
                           " VALUES (?1, ?2, ?3)",
                           err)))
            return kz__code(err);
        kz__bind_text(s, 1, g->id);
        kz__bind_text(s, 2, g->member_orgs.v[i]);
        kz__bind_i64(s, 3, (int64_t)i);
        if ((rc = kz__run(st, s)))
            return kz__dberr(st, rc, err, "storing sharing group members");
    }
    return 0;
}

/* Creates a group this node does not have. A group held here is left
 * alone: the group travels inside an event signed by the event's creator,
 * who need not own it, so an event must never rewrite who is in a group
 * (a member could add itself to another org's group and so receive its
 * events). Only kz_store_sync_sharing_group_update, which apply.c calls
 * for the owner's own node, changes a held group. */
static int sg_create(kz_store *st, const kz_sharing_group *g, const char *fallback_owner,
                     kz_err *err)
{
    if (!kz_uuid_valid(g->id) || !g->name || !*g->name)
        return kz_fail(err, KZ_E_VALUE, "sharing_group", "sharing group '%.64s' has no id or name",
                       g->id);
    kz_err ignore = {0};
    const char *owner = org_known(st, g->owner_org, &ignore) ? g->owner_org : fallback_owner;
    char name[300];
    snprintf(name, sizeof name, "%.250s", g->name);
    for (int attempt = 0; attempt < 2; attempt++) {
        sqlite3_stmt *s = kz__stmt(st,
                                   "INSERT INTO sharing_groups(id, name, description, owner_org,"
                                   " created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                                   " ON CONFLICT(id) DO NOTHING",
                                   err);
        if (!s)
            return kz__code(err);
        kz__bind_text(s, 1, g->id);
        kz__bind_text(s, 2, name);
        kz__bind_text(s, 3, g->description);
        kz__bind_text(s, 4, owner);
        kz__bind_i64(s, 5, g->created ? g->created : kz_time_now());
        kz__bind_i64(s, 6, g->modified ? g->modified : kz_time_now());
        int rc = kz__run(st, s);
        if (kz__is_unique(rc) && attempt == 0) {
            /* Another group here has that name: keep both, tell them apart. */
            snprintf(name, sizeof name, "%.250s (%.8s)", g->name, g->id);
            continue;
        }
        if (rc)
            return kz__dberr(st, rc, err, "storing a received sharing group");
        if (sqlite3_changes(st->db) == 0)
            return 0; /* held here already: unchanged */
        break;
    }
    return sg_members_write(st, g, err);
}

int kz_store_sync_sharing_group_update(kz_store *st, const kz_sharing_group *g, bool *changed,
                                       kz_err *err)
{
    *changed = false;
    if (!kz_uuid_valid(g->id) || !g->name || !*g->name)
        return kz_fail(err, KZ_E_VALUE, "sharing_group", "sharing group '%.64s' has no id or name",
                       g->id);
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    char name[300];
    snprintf(name, sizeof name, "%.250s", g->name);
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* owner_org is not in the SET list: a group's owner never changes. */
        sqlite3_stmt *s = kz__stmt(st,
                                   "UPDATE sharing_groups SET name = ?2, description = ?3,"
                                   " modified = ?4 WHERE id = ?1 AND modified < ?4",
                                   err);
        if (!s)
            return kz__fail_txn(st, kz__code(err));
        kz__bind_text(s, 1, g->id);
        kz__bind_text(s, 2, name);
        kz__bind_text(s, 3, g->description);
        kz__bind_i64(s, 4, g->modified);
        rc = kz__run(st, s);
        if (kz__is_unique(rc) && attempt == 0) {
            snprintf(name, sizeof name, "%.250s (%.8s)", g->name, g->id);
            continue;
        }
        break;
    }
    if (rc)
        return kz__fail_txn(st, kz__dberr(st, rc, err, "updating a received sharing group"));
    if (sqlite3_changes(st->db) == 0) {
        r = kz__exists(st, KZ_SQL_SHARING_GROUP_EXISTS, g->id, err);
        if (r == KZ_E_NOTFOUND)
            r = kz_fail(err, KZ_E_NOTFOUND, "sharing_group",
                        "sharing group " KZ_ID_FMT " is not here", g->id);
        if (r)
            return kz__fail_txn(st, r);
        return kz_store_commit(st, err); /* not newer: unchanged */
    }
    if ((r = sg_members_write(st, g, err)))
        return kz__fail_txn(st, r);
    *changed = true;
    return kz_store_commit(st, err);
}

int kz_store_sync_org_put(kz_store *st, const kz_org *o, kz_err *err)
{
    if (!kz_uuid_valid(o->id) || !o->name || !*o->name || !kz_org_type_name(o->type))
        return kz_fail(err, KZ_E_VALUE, "org", "organisation '%.64s' has no id, name or type",
                       o->id);
    char name[300];
    snprintf(name, sizeof name, "%.250s", o->name);
    for (int attempt = 0; attempt < 2; attempt++) {
        sqlite3_stmt *s = kz__stmt(st,
                                   "INSERT INTO orgs(id, name, country, type, sector, contact,"
                                   " created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                                   " ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
                                   " country = excluded.country, type = excluded.type,"
                                   " sector = excluded.sector, contact = excluded.contact,"
                                   " modified = excluded.modified",
                                   err);
        if (!s)
            return kz__code(err);
        kz_time now = kz_time_now();
        kz__bind_text(s, 1, o->id);
        kz__bind_text(s, 2, name);
        kz__bind_text(s, 3, o->country);
        kz__bind_text(s, 4, kz_org_type_name(o->type));
        kz__bind_text(s, 5, o->sector);
        kz__bind_text(s, 6, o->contact);
        kz__bind_i64(s, 7, o->created ? o->created : now);
        kz__bind_i64(s, 8, o->modified ? o->modified : now);
        int rc = kz__run(st, s);
        if (kz__is_unique(rc) && attempt == 0) {
            snprintf(name, sizeof name, "%.250s (%.8s)", o->name, o->id);
            continue;
        }
        return rc ? kz__dberr(st, rc, err, "storing a received organisation") : 0;
    }
    return 0;
}

/* ---- events ---------------------------------------------------------------- */

static int write_ids(kz_store *st, const char *sql, int64_t seq, const kz_strlist *l, kz_err *err)
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

static void bind_event(sqlite3_stmt *s, const kz_event *ev)
{
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
    kz__bind_i64(s, 15, ev->created);
    kz__bind_i64(s, 16, ev->modified);
}

typedef struct stored_ind {
    int64_t seq;
    char id[KZ_UUID_STRLEN + 1];
    kz_time modified;
} stored_ind;

static int cmp_stored(const void *a, const void *b)
{
    return strcmp(((const stored_ind *)a)->id, ((const stored_ind *)b)->id);
}

static int cmp_ind_ptr(const void *a, const void *b)
{
    return strcmp((*(const kz_indicator *const *)a)->id, (*(const kz_indicator *const *)b)->id);
}

static int load_stored(kz_store *st, int64_t event_seq, stored_ind **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT seq, id, modified FROM indicators WHERE event_ref = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    size_t cap = 0;
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            stored_ind *nv = realloc(*out, nc * sizeof *nv);
            if (!nv) {
                kz__reset(s);
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            }
            *out = nv, cap = nc;
        }
        stored_ind *x = &(*out)[(*n)++];
        x->seq = sqlite3_column_int64(s, 0);
        const char *id = (const char *)sqlite3_column_text(s, 1);
        snprintf(x->id, sizeof x->id, "%s", id ? id : "");
        x->modified = sqlite3_column_int64(s, 2);
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading an event's indicators");
    kz__reset(s);
    return 0;
}

static int drop_indicator(kz_store *st, const stored_ind *x, kz_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM indicator_tags WHERE ind = ?1",
        "DELETE FROM sightings WHERE ind = ?1",
        "DELETE FROM indicators WHERE seq = ?1",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(sql); i++) {
        int r = run1(st, sql[i], x->seq, "deleting an indicator", err);
        if (r)
            return r;
    }
    return kz__tombstone(st, "indicator", x->id, kz_time_now(), err);
}

static int update_indicator(kz_store *st, int64_t seq, const kz_indicator *x, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE indicators SET type = ?2, value = ?3, to_ids = ?4,"
                               " comment = ?5, first_seen = ?6, last_seen = ?7, tlp = ?8,"
                               " distribution = ?9, created = ?10, modified = ?11, deleted = 0,"
                               " tagged = ?12, addr = ?13, prefix = ?14, rdomain = ?15,"
                               " warninglist = CASE WHEN ?17 THEN ?16 ELSE warninglist END"
                               " WHERE seq = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz_derived d;
    kz__derive(x->type, x->value, &d);
    kz__bind_i64(s, 1, seq);
    kz__bind_text(s, 2, kz_ioc_type_name(x->type));
    kz__bind_text(s, 3, x->value);
    sqlite3_bind_int(s, 4, x->to_ids ? 1 : 0);
    kz__bind_text(s, 5, x->comment);
    kz__bind_i64(s, 6, x->first_seen);
    kz__bind_i64(s, 7, x->last_seen);
    if (x->tlp >= 0)
        sqlite3_bind_int(s, 8, x->tlp);
    else
        sqlite3_bind_null(s, 8);
    if (x->distribution >= 0)
        sqlite3_bind_int(s, 9, x->distribution);
    else
        sqlite3_bind_null(s, 9);
    kz__bind_i64(s, 10, x->created);
    kz__bind_i64(s, 11, x->modified);
    sqlite3_bind_int(s, 12, x->tags.n ? 1 : 0);
    if (d.has_addr) {
        sqlite3_bind_blob(s, 13, d.addr, 16, SQLITE_STATIC);
        sqlite3_bind_int(s, 14, d.prefix);
    } else {
        sqlite3_bind_null(s, 13);
        sqlite3_bind_null(s, 14);
    }
    if (d.has_rdomain)
        sqlite3_bind_text(s, 15, d.rdomain, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 15);
    kz__wl_bind(s, 16, 17, x);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "updating a received indicator");
    int r = run1(st, "DELETE FROM indicator_tags WHERE ind = ?1", seq, "updating indicator tags",
                 err);
    if (!r && x->tags.n)
        r = kz__indicator_tags_write(st, seq, &x->tags, err);
    if (!r && d.has_addr && d.prefix < 128)
        r = run1(st, "INSERT OR IGNORE INTO ip_prefixes(len) VALUES (?1)", d.prefix,
                 "recording a network prefix", err);
    return r;
}

/* Brings the event's indicators to exactly ev->indicators. */
static int sync_indicators(kz_store *st, int64_t seq, const kz_event *ev, kz_err *err)
{
    stored_ind *have = NULL;
    size_t n_have = 0;
    const kz_indicator **want = NULL;
    kz_indicator *fresh = NULL;
    size_t n_fresh = 0;
    int r = load_stored(st, seq, &have, &n_have, err);
    if (!r && ev->n_indicators &&
        (!(want = malloc(ev->n_indicators * sizeof *want)) ||
         !(fresh = malloc(ev->n_indicators * sizeof *fresh))))
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!r) {
        for (size_t i = 0; i < ev->n_indicators; i++)
            want[i] = &ev->indicators[i];
        if (ev->n_indicators)
            qsort(want, ev->n_indicators, sizeof *want, cmp_ind_ptr);
        if (n_have)
            qsort(have, n_have, sizeof *have, cmp_stored);
    }
    size_t i = 0, j = 0;
    while (!r && (i < n_have || j < ev->n_indicators)) {
        int c = i >= n_have ? 1 : j >= ev->n_indicators ? -1 : strcmp(have[i].id, want[j]->id);
        if (c < 0) {
            r = drop_indicator(st, &have[i++], err);
        } else if (c > 0) {
            fresh[n_fresh++] = *want[j++];
        } else {
            if (have[i].modified != want[j]->modified)
                r = update_indicator(st, have[i].seq, want[j], err);
            i++, j++;
        }
    }
    if (!r && n_fresh)
        r = kz__indicators_insert(st, seq, ev->id, fresh, n_fresh, err);
    free(have);
    free(want);
    free(fresh);
    return r;
}

int kz_store_sync_event_put(kz_store *st, const kz_event *ev, const kz_sharing_group *sg,
                            kz_err *err)
{
    int r = check_event(ev, err);
    if (r)
        return r;
    if ((r = kz_store_begin(st, err)))
        return r;
    if (sg)
        r = sg_create(st, sg, ev->creator_org, err);
    int64_t seq = 0;
    bool exists = false;
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st, "SELECT seq, creator_org FROM events WHERE id = ?1", err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, ev->id);
        int rc = kz__step(st, s);
        if (rc == SQLITE_ROW) {
            exists = true;
            seq = sqlite3_column_int64(s, 0);
            const char *creator = (const char *)sqlite3_column_text(s, 1);
            if (!creator || strcmp(creator, ev->creator_org) != 0)
                r = kz_fail(err, KZ_E_CONFLICT, "creator_org",
                            "event " KZ_ID_FMT " is held here for another creator org", ev->id);
            kz__reset(s);
        } else if (rc != SQLITE_DONE) {
            r = kz__dberr(st, rc, err, "looking up an event");
        } else {
            kz__reset(s);
        }
    }
    if (!r && exists) {
        if (!(s = kz__stmt(st,
                           "UPDATE events SET title = ?2, description = ?3, threat_level = ?4,"
                           " analysis = ?5, tlp = ?6, pap = ?7, distribution = ?8,"
                           " sharing_group_id = ?9, community_id = ?10, published = ?11,"
                           " published_at = ?12, creator_org = ?13, created = ?15,"
                           " modified = ?16 WHERE id = ?1",
                           err)))
            r = kz__code(err);
        if (!r) {
            bind_event(s, ev);
            int rc = kz__run(st, s);
            if (rc)
                r = kz__dberr(st, rc, err, "updating a received event");
        }
        static const char *const clear[] = {
            "DELETE FROM event_tags WHERE event = ?1",
            "DELETE FROM event_recipient_orgs WHERE event = ?1",
            "DELETE FROM event_recipient_users WHERE event = ?1",
        };
        for (size_t i = 0; !r && i < KZ_ARRAY_LEN(clear); i++)
            r = run1(st, clear[i], seq, "updating a received event", err);
    } else if (!r) {
        if (!(s = kz__stmt(st,
                           "INSERT INTO events(id, title, description, threat_level, analysis,"
                           " tlp, pap, distribution, sharing_group_id, community_id, published,"
                           " published_at, creator_org, creator_user, created, modified)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                           " ?14, ?15, ?16)",
                           err)))
            r = kz__code(err);
        if (!r) {
            bind_event(s, ev);
            int rc = kz__run(st, s);
            if (rc)
                r = kz__dberr(st, rc, err, "storing a received event");
            else
                seq = sqlite3_last_insert_rowid(st->db);
        }
    }
    if (!r)
        r = kz__event_tags_write(st, seq, &ev->tags, err);
    if (!r)
        r = write_ids(st,
                      "INSERT OR IGNORE INTO event_recipient_orgs(event, org_id, pos)"
                      " VALUES (?1, ?2, ?3)",
                      seq, &ev->recipient_orgs, err);
    if (!r)
        r = sync_indicators(st, seq, ev, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* ---- sightings ------------------------------------------------------------ */

int kz_store_sync_sighting_put(kz_store *st, const kz_sighting *x, bool *stored, kz_err *err)
{
    *stored = false;
    const char *type = kz_sighting_type_name(x->type);
    if (!kz_uuid_valid(x->id) || !type || x->count < 0)
        return kz_fail(err, KZ_E_VALUE, "sighting", "sighting '%.64s' is not valid", x->id);
    sqlite3_stmt *s = kz__stmt(st, "SELECT 1 FROM sightings WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, x->id);
    int rc = kz__step(st, s);
    kz__reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up a sighting");
    if (!(s = kz__stmt(st,
                       "INSERT INTO sightings(id, ind, org_id, time, count, source, type, created)"
                       " SELECT ?1, seq, ?3, ?4, ?5, ?6, ?7, ?8 FROM indicators WHERE id = ?2",
                       err)))
        return kz__code(err);
    kz_err ignore = {0};
    kz__bind_text(s, 1, x->id);
    kz__bind_text(s, 2, x->indicator_id);
    kz__bind_ref(s, 3, org_known(st, x->org_id, &ignore) ? x->org_id : NULL);
    kz__bind_i64(s, 4, x->time);
    kz__bind_i64(s, 5, x->count);
    kz__bind_text(s, 6, x->source);
    kz__bind_text(s, 7, type);
    kz__bind_i64(s, 8, x->created ? x->created : x->time);
    if ((rc = kz__run(st, s)))
        return kz__dberr(st, rc, err, "storing a received sighting");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "indicator_id",
                       "sighting " KZ_ID_FMT ": indicator " KZ_ID_FMT " is not here", x->id,
                       x->indicator_id);
    *stored = true;
    return 0;
}

int kz_store_sync_sighting_get(kz_store *st, const char *id, kz_arena *a, kz_sighting *out,
                               kz_uuid event_id, kz_err *err)
{
    memset(out, 0, sizeof *out);
    event_id[0] = '\0';
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT s.id, i.id, s.org_id, s.time, s.count, s.source, s.type,"
                               " s.created, e.id FROM sightings s"
                               " JOIN indicators i ON i.seq = s.ind"
                               " JOIN events e ON e.seq = i.event_ref WHERE s.id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "sighting " KZ_ID_FMT " not found", id ? id : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a sighting");
    kz_rd r = {s, a, false};
    kz__col_uuid(&r, 0, out->id);
    kz__col_uuid(&r, 1, out->indicator_id);
    kz__col_uuid(&r, 2, out->org_id);
    out->time = kz__col_i64(&r, 3);
    out->count = kz__col_i64(&r, 4);
    out->source = kz__col_str(&r, 5);
    int t = kz_sighting_type_parse((const char *)sqlite3_column_text(s, 6));
    out->type = t < 0 ? KZ_SIGHTING_SEEN : (kz_sighting_type)t;
    out->created = kz__col_i64(&r, 7);
    kz__col_uuid(&r, 8, event_id);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}
