/* principal.c — what the access decision needs from the database, loaded
 * once per request: the caller's communities (and the wider set connected to
 * them), and for an event the creator's communities and the sharing group's
 * members. acl.c then decides without touching the store. */
#include "store_int.h"

/* "Connected" communities: every community that has a member org which is
 * also in one of the caller's communities. The caller's own communities
 * qualify through the caller's org itself. */
static const char SQL_CONNECTED[] =
    "SELECT DISTINCT c2.community FROM community_members mine"
    " JOIN community_members peers ON peers.community = mine.community"
    " JOIN community_members c2 ON c2.org_id = peers.org_id"
    " WHERE mine.org_id = ?1 ORDER BY c2.community";

int kz_store_principal_load(kz_store *st, kz_principal *who, kz_arena *a, kz_err *err)
{
    who->communities.v = NULL;
    who->communities.n = 0;
    who->connected_communities.v = NULL;
    who->connected_communities.n = 0;
    bool snap = kz__read_begin(st);
    int r = kz_store_org_communities(st, who->org_id, a, &who->communities, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st, SQL_CONNECTED, err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, who->org_id);
        int rc;
        while ((rc = kz__step(st, s)) == SQLITE_ROW) {
            if (kz_strlist_push(a, &who->connected_communities,
                                (const char *)sqlite3_column_text(s, 0))) {
                rc = SQLITE_NOMEM;
                kz__reset(s);
                break;
            }
        }
        if (rc == SQLITE_NOMEM)
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        else if (rc != SQLITE_DONE)
            r = kz__dberr(st, rc, err, "reading connected communities");
        else
            kz__reset(s);
    }
    kz__read_end(st, snap);
    return r;
}

int kz_store_acl_object_load(kz_store *st, const kz_event *ev, kz_arena *a, kz_acl_object *out,
                             kz_err *err)
{
    memset(out, 0, sizeof *out);
    out->creator_org = ev->creator_org;
    out->creator_user = ev->creator_user;
    out->tlp = ev->tlp;
    out->distribution = ev->distribution;
    out->published = ev->published;
    out->community_id = ev->community_id;
    out->recipient_orgs = &ev->recipient_orgs;
    out->recipient_users = &ev->recipient_users;

    kz_strlist *comms = kz_arena_alloc(a, sizeof *comms);
    if (!comms)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    bool snap = kz__read_begin(st);
    int r = kz_store_org_communities(st, ev->creator_org, a, comms, err);
    if (!r)
        out->creator_communities = comms;
    if (!r && ev->distribution == KZ_DIST_SHARING_GROUP && ev->sharing_group_id[0]) {
        kz_strlist *members = kz_arena_alloc(a, sizeof *members);
        if (!members)
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        else
            r = kz__sharing_group_members(st, ev->sharing_group_id, a, members, err);
        if (!r)
            out->sharing_group_orgs = members;
    }
    kz__read_end(st, snap);
    return r;
}
