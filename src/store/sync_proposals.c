/* sync_proposals.c — proposals: what an org that did not create an event
 * suggests for it (a new indicator, a change or deletion of one), kept by
 * ids rather than row numbers so that a proposal outlives the event being
 * replaced whole by a newer received version (migration_14_proposals.c).
 */
#include "store_int.h"

#define PROP_COLS                                                                                  \
    "id, event_id, creator_org, indicator_id, action, org_id, type, value, to_ids, comment,"      \
    " status, created"

static bool action_ok(const char *a)
{
    return a && (!strcmp(a, "add") || !strcmp(a, "change") || !strcmp(a, "delete"));
}

static int check(const kz_proposal *p, kz_err *err)
{
    if (!kz_uuid_valid(p->id) || !kz_uuid_valid(p->event_id) || !kz_uuid_valid(p->creator_org) ||
        !kz_uuid_valid(p->org_id))
        return kz_fail(err, KZ_E_VALUE, "id", "proposal '%.64s' lacks an id, event or org", p->id);
    if (!action_ok(p->action))
        return kz_fail(err, KZ_E_VALUE, "action", "action '%.20s' is not add, change or delete",
                       p->action ? p->action : "");
    bool del = !strcmp(p->action, "delete"), add = !strcmp(p->action, "add");
    if (add != !p->indicator_id[0] || (!add && !kz_uuid_valid(p->indicator_id)))
        return kz_fail(err, KZ_E_VALUE, "indicator_id",
                       "a proposal to %s %s an indicator id", p->action,
                       add ? "must not name" : "needs");
    if (del != (p->value == NULL) || (!del && (p->type < 0 || !kz_ioc_type_name(p->type))))
        return kz_fail(err, KZ_E_VALUE, "value", "a proposal to %s %s a type and value",
                       p->action, del ? "carries no" : "needs");
    return 0;
}

int kz_store_proposal_put(kz_store *st, const kz_proposal *p, bool *stored, kz_err *err)
{
    *stored = false;
    int r = check(p, err);
    if (r || (r = kz_store_begin(st, err)))
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO proposals(" PROP_COLS ", modified) VALUES (?1, ?2, ?3,"
                               " ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', ?11, ?11)"
                               " ON CONFLICT(id) DO NOTHING",
                               err);
    if (!s)
        return kz__fail_txn(st, kz__code(err));
    kz__bind_text(s, 1, p->id);
    kz__bind_text(s, 2, p->event_id);
    kz__bind_text(s, 3, p->creator_org);
    kz__bind_ref(s, 4, p->indicator_id[0] ? p->indicator_id : NULL);
    kz__bind_text(s, 5, p->action);
    kz__bind_text(s, 6, p->org_id);
    kz__bind_text(s, 7, p->type >= 0 ? kz_ioc_type_name(p->type) : NULL);
    kz__bind_text(s, 8, p->value);
    sqlite3_bind_int(s, 9, p->to_ids ? 1 : 0);
    kz__bind_text(s, 10, p->comment);
    kz__bind_i64(s, 11, p->created ? p->created : kz_time_now());
    int rc = kz__run(st, s);
    if (rc)
        return kz__fail_txn(st, kz__dberr(st, rc, err, "storing a proposal"));
    if (sqlite3_changes(st->db) == 0)
        return kz_store_commit(st, err);
    if ((r = kz_store_change_note(st, "proposal", p->id, "put", err)))
        return kz__fail_txn(st, r);
    *stored = true;
    return kz_store_commit(st, err);
}

static void read_prop(kz_rd *r, void *out)
{
    kz_proposal *p = out;
    memset(p, 0, sizeof *p);
    kz__col_uuid(r, 0, p->id);
    kz__col_uuid(r, 1, p->event_id);
    kz__col_uuid(r, 2, p->creator_org);
    kz__col_uuid(r, 3, p->indicator_id);
    p->action = kz__col_str(r, 4);
    kz__col_uuid(r, 5, p->org_id);
    const char *t = (const char *)sqlite3_column_text(r->s, 6);
    p->type = t ? kz__ioc_type_from_name(t) : -1;
    p->value = kz__col_str(r, 7);
    p->to_ids = kz__col_int(r, 8) != 0;
    p->comment = kz__col_str(r, 9);
    p->status = kz__col_str(r, 10);
    p->created = kz__col_i64(r, 11);
}

int kz_store_proposal_get(kz_store *st, const char *id, kz_arena *a, kz_proposal *out,
                          kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st, "SELECT " PROP_COLS " FROM proposals WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "proposal " KZ_ID_FMT " not found", id ? id : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a proposal");
    kz_rd rd = {s, a, false};
    read_prop(&rd, out);
    kz__reset(s);
    return rd.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz_store_proposal_list(kz_store *st, const char *event_id, const char *org_id, kz_arena *a,
                           kz_proposal **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " PROP_COLS " FROM proposals WHERE event_id = ?1"
                               " AND (?2 IS NULL OR org_id = ?2) ORDER BY created, id",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, event_id ? event_id : "");
    kz__bind_ref(s, 2, org_id);
    return kz__list_rows(st, s, a, sizeof **out, read_prop, out, n, "listing proposals", err);
}

int kz_store_proposal_decide(kz_store *st, const char *id, const char *status, kz_err *err)
{
    if (!status || (strcmp(status, "accepted") != 0 && strcmp(status, "discarded") != 0))
        return kz_fail(err, KZ_E_VALUE, "status", "status '%.20s' is not accepted or discarded",
                       status ? status : "");
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE proposals SET status = ?2, modified = ?3"
                               " WHERE id = ?1 AND status = 'open'",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    kz__bind_text(s, 2, status);
    kz__bind_i64(s, 3, kz_time_now());
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "deciding a proposal");
    if (sqlite3_changes(st->db) == 0) {
        int r = kz__exists(st, "SELECT 1 FROM proposals WHERE id = ?1", id, err);
        if (r == KZ_E_NOTFOUND)
            return kz_fail(err, KZ_E_NOTFOUND, "", "proposal " KZ_ID_FMT " not found", id);
        return r ? r : kz_fail(err, KZ_E_CONFLICT, "status",
                               "proposal " KZ_ID_FMT " was already decided", id);
    }
    return 0;
}
