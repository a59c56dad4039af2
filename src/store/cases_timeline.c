/* cases_timeline.c — the case's record of who did what and when, and drill
 * injects. The timeline only grows: the schema's triggers refuse UPDATE and
 * DELETE, and there is no function here that would try. A correction is a
 * new entry naming an earlier one of the same case.
 */
#include "store_int.h"

int kz__case_entry_insert(kz_store *st, int64_t case_seq, const kz_case_entry *e, kz_err *err)
{
    const char *kind = kz_entry_kind_name(e->kind);
    if (!kind)
        return kz_fail(err, KZ_E_VALUE, "kind", "timeline entry kind %d is not valid",
                       (int)e->kind);
    if (!kz_uuid_valid(e->id))
        return kz_fail(err, KZ_E_VALUE, "id", "entry id '%.64s' is not a UUID", e->id);
    if (!e->text || !*e->text)
        return kz_fail(err, KZ_E_VALUE, "text", "a timeline entry needs a text");
    if (e->kind == KZ_ENTRY_CORRECTION) {
        sqlite3_stmt *q = kz__stmt(st, "SELECT case_ref FROM case_timeline WHERE id = ?1", err);
        if (!q)
            return kz__code(err);
        kz__bind_text(q, 1, e->corrects);
        int rc = kz__step(st, q);
        int64_t ref = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
        kz__reset(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return kz__dberr(st, rc, err, "looking up a timeline entry");
        if (ref != case_seq)
            return kz_fail(err, KZ_E_VALUE, "corrects",
                           "corrects: " KZ_ID_FMT " is not an entry of this case's timeline",
                           e->corrects);
    } else if (e->corrects[0]) {
        return kz_fail(err, KZ_E_VALUE, "corrects", "only a correction names an entry it corrects");
    }
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO case_timeline(id, case_ref, kind, text, corrects, tlp,"
                               " org_id, user_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, e->id);
    kz__bind_i64(s, 2, case_seq);
    kz__bind_text(s, 3, kind);
    kz__bind_text(s, 4, e->text);
    kz__bind_ref(s, 5, e->corrects);
    if (e->tlp >= 0)
        kz__bind_i64(s, 6, e->tlp);
    else
        sqlite3_bind_null(s, 6);
    kz__bind_text(s, 7, e->org_id);
    kz__bind_text(s, 8, e->user_id);
    kz__bind_i64(s, 9, e->at ? e->at : kz_time_now());
    int rc = kz__run(st, s);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "entry " KZ_ID_FMT " already exists", e->id);
    return rc ? kz__dberr(st, rc, err, "appending to a case timeline") : 0;
}

int kz_store_case_entry_add(kz_store *st, const kz_case_entry *e, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, e->case_id, &seq, err);
    if (!r)
        r = kz__case_entry_insert(st, seq, e, err);
    if (!r)
        r = kz__case_touch(st, seq, e->case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

static void entry_read(kz_rd *r, void *out)
{
    kz_case_entry *e = out;
    e->seq = kz__col_i64(r, 0);
    kz__col_uuid(r, 1, e->id);
    int k = kz_entry_kind_parse((const char *)sqlite3_column_text(r->s, 2));
    e->kind = k < 0 ? KZ_ENTRY_COMMENT : (kz_entry_kind)k;
    e->text = kz__col_str(r, 3);
    kz__col_uuid(r, 4, e->corrects);
    e->tlp = sqlite3_column_type(r->s, 5) == SQLITE_NULL ? -1 : kz__col_int(r, 5);
    kz__col_uuid(r, 6, e->org_id);
    kz__col_uuid(r, 7, e->user_id);
    e->at = kz__col_i64(r, 8);
    kz__col_uuid(r, 9, e->case_id);
}

int kz_store_case_entries(kz_store *st, const char *case_id, kz_arena *a, kz_case_entry **out,
                          size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    int64_t seq = 0;
    int r = kz__case_seq(st, case_id, &seq, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT t.seq, t.id, t.kind, t.text, t.corrects, t.tlp, t.org_id,"
                               " t.user_id, t.at, c.id FROM case_timeline t JOIN cases c"
                               " ON c.seq = t.case_ref WHERE t.case_ref = ?1 ORDER BY t.seq",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    return kz__list_rows(st, s, a, sizeof **out, entry_read, out, n, "reading a case timeline",
                         err);
}

int kz_store_case_entry_admit(kz_store *st, const kz_principal *who, const kz_case *c,
                              kz_case_entry *e, kz_arena *a, kz_err *err)
{
    kz_case_entry *v = NULL;
    size_t n = 0;
    int r = e->kind == KZ_ENTRY_CORRECTION ? kz_store_case_entries(st, c->id, a, &v, &n, err) : 0;
    return r ? r : kz_acl_case_entry_admit(who, c, v, n, e, err);
}

/* ---- drill injects -------------------------------------------------------------------------- */

int kz_store_case_inject_put(kz_store *st, const kz_case_inject *inj, kz_err *err)
{
    if (!kz_uuid_valid(inj->id))
        return kz_fail(err, KZ_E_VALUE, "id", "inject id '%.64s' is not a UUID", inj->id);
    if (!inj->text || !*inj->text)
        return kz_fail(err, KZ_E_VALUE, "text", "an inject needs a text");
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, inj->case_id, &seq, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO case_injects(id, case_ref, at, text, created_by,"
                             " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, inj->id);
        kz__bind_i64(s, 2, seq);
        kz__bind_i64(s, 3, inj->at);
        kz__bind_text(s, 4, inj->text);
        kz__bind_text(s, 5, inj->created_by);
        kz__bind_i64(s, 6, inj->created ? inj->created : kz_time_now());
        int rc = kz__run(st, s);
        if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "inject " KZ_ID_FMT " already exists", inj->id);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing an inject");
    }
    if (!r)
        r = kz__case_touch(st, seq, inj->case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

static void inject_read(kz_rd *r, void *out)
{
    kz_case_inject *x = out;
    kz__col_uuid(r, 0, x->id);
    kz__col_uuid(r, 1, x->case_id);
    x->at = kz__col_i64(r, 2);
    x->text = kz__col_str(r, 3);
    x->delivered = kz__col_int(r, 4) != 0;
    x->delivered_at = kz__col_i64(r, 5);
    kz__col_uuid(r, 6, x->created_by);
    x->created = kz__col_i64(r, 7);
}

int kz_store_case_injects(kz_store *st, const char *case_id, kz_arena *a, kz_case_inject **out,
                          size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    int64_t seq = 0;
    int r = kz__case_seq(st, case_id, &seq, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT i.id, c.id, i.at, i.text, i.delivered, i.delivered_at,"
                               " i.created_by, i.created FROM case_injects i JOIN cases c"
                               " ON c.seq = i.case_ref WHERE i.case_ref = ?1 ORDER BY i.at, i.seq",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    return kz__list_rows(st, s, a, sizeof **out, inject_read, out, n, "reading injects", err);
}

int kz_store_case_injects_deliver(kz_store *st, const char *case_id, kz_time now, size_t *delivered,
                                  kz_err *err)
{
    if (delivered)
        *delivered = 0;
    kz_arena a;
    kz_arena_init(&a);
    kz_case_inject *v = NULL;
    size_t n = 0;
    /* Readers call this on every read of a drill: look before taking the
     * write lock, which is needed only when something fell due. */
    int r = kz_store_case_injects(st, case_id, &a, &v, &n, err);
    size_t due = 0;
    for (size_t i = 0; !r && i < n; i++)
        due += !v[i].delivered && v[i].at <= now;
    if (r || !due) {
        kz_arena_free(&a);
        return r;
    }
    if ((r = kz_store_begin(st, err))) {
        kz_arena_free(&a);
        return r;
    }
    int64_t seq = 0;
    kz_uuid lead = "";
    r = kz__case_seq(st, case_id, &seq, err);
    if (!r)
        r = kz_store_case_injects(st, case_id, &a, &v, &n, err);
    if (!r) {
        sqlite3_stmt *q = kz__stmt(st, "SELECT lead_org FROM cases WHERE seq = ?1", err);
        if (!q)
            r = kz__code(err);
        else {
            kz__bind_i64(q, 1, seq);
            if (kz__step(st, q) == SQLITE_ROW)
                snprintf(lead, sizeof lead, "%s", (const char *)sqlite3_column_text(q, 0));
            kz__reset(q);
        }
    }
    size_t done = 0;
    for (size_t i = 0; !r && i < n; i++) {
        if (v[i].delivered || v[i].at > now)
            continue;
        sqlite3_stmt *s = kz__stmt(st,
                                   "UPDATE case_injects SET delivered = 1, delivered_at = ?2"
                                   " WHERE id = ?1 AND delivered = 0",
                                   err);
        if (!s) {
            r = kz__code(err);
            break;
        }
        kz__bind_text(s, 1, v[i].id);
        kz__bind_i64(s, 2, now);
        int rc = kz__run(st, s);
        if (rc) {
            r = kz__dberr(st, rc, err, "delivering an inject");
            break;
        }
        kz_case_entry e = {.kind = KZ_ENTRY_ACTION, .tlp = -1, .at = v[i].at};
        kz_uuid_v4(e.id);
        e.text = kz_arena_printf(&a, "inject: %s", v[i].text);
        memcpy(e.org_id, lead, sizeof e.org_id);
        memcpy(e.user_id, v[i].created_by, sizeof e.user_id);
        r = e.text ? kz__case_entry_insert(st, seq, &e, err)
                   : kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        done++;
    }
    if (!r && done)
        r = kz__case_touch(st, seq, case_id, err);
    kz_arena_free(&a);
    if (r)
        return kz__fail_txn(st, r);
    if (delivered)
        *delivered = done;
    return kz_store_commit(st, err);
}
