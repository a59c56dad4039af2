/* cases.c — the case rows themselves: insert, update, read one (with its
 * participants and links), and list them with the filters the API and the
 * metrics need. The workflow, invitations and links are in cases_flow.c;
 * tasks, timeline, injects and observables in files of their own.
 */
#include "store_int.h"

#define CASE_COLS                                                                                  \
    "c.seq, c.id, c.title, c.description, c.severity, c.tlp, c.pap, c.category, c.subtype,"        \
    " c.status, c.lead_org, c.creator_user, c.drill, c.created, c.modified, c.acknowledged_at,"    \
    " c.contained_at, c.resolved_at, c.closed_at"

int kz__case_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq FROM cases WHERE id = ?1", err);
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
        return kz__dberr(st, rc, err, "looking up a case");
    kz__reset(s);
    return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such case " KZ_ID_FMT, id ? id : "");
}

int kz__case_touch(kz_store *st, int64_t seq, const char *id, kz_err *err)
{
    /* Every write to a case ends here: a copy received from the case's
     * home node is never changed locally (not by the API, not by the CLI);
     * its changes come only as the home node's snapshots
     * (kz_store_sync_case_put), participants' work goes there as actions. */
    sqlite3_stmt *s = kz__stmt(st, "SELECT homed_here FROM cases WHERE seq = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc0 = kz__step(st, s);
    bool copy = rc0 == SQLITE_ROW && sqlite3_column_int(s, 0) == 0;
    kz__reset(s);
    if (rc0 != SQLITE_ROW && rc0 != SQLITE_DONE)
        return kz__dberr(st, rc0, err, "reading a case");
    if (copy)
        return kz_fail(err, KZ_E_CONFLICT, NULL,
                       "case " KZ_ID_FMT " is homed on its lead org's node: it changes there "
                       "(participants' work is sent there through the API)",
                       id);
    s = kz__stmt(st, "UPDATE cases SET modified = max(modified + 1, ?2) WHERE seq = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz__bind_i64(s, 2, kz_time_now());
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "updating a case");
    return kz_store_change_note(st, "case", id, "put", err);
}

static int check_case(const kz_case *c, kz_err *err)
{
    if (!kz_uuid_valid(c->id))
        return kz_fail(err, KZ_E_VALUE, "id", "case id '%.64s' is not a UUID", c->id);
    if (!c->title || !*c->title)
        return kz_fail(err, KZ_E_VALUE, "title", "a case needs a title");
    if (c->severity < KZ_CASE_SEVERITY_MIN || c->severity > KZ_CASE_SEVERITY_MAX)
        return kz_fail(err, KZ_E_VALUE, "severity", "severity %d is not between 1 and 4",
                       c->severity);
    if (!kz_tlp_name(c->tlp) || !kz_pap_name(c->pap))
        return kz_fail(err, KZ_E_VALUE, "tlp", "case TLP or PAP out of range");
    if (!kz_case_status_name(c->status))
        return kz_fail(err, KZ_E_VALUE, "status", "case status %d is not valid", (int)c->status);
    return kz_rsit_valid(c->category, c->subtype, err);
}

int kz_store_case_put(kz_store *st, const kz_case *c, kz_err *err)
{
    int r = check_case(c, err);
    if (r)
        return r;
    if ((r = kz_store_begin(st, err)))
        return r;
    r = kz__exists(st, KZ_SQL_ORG_EXISTS, c->lead_org, err);
    if (r == KZ_E_NOTFOUND)
        r = kz_fail(err, KZ_E_VALUE, "lead_org", "organisation " KZ_ID_FMT " does not exist",
                    c->lead_org);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO cases(id, title, description, severity, tlp, pap,"
                             " category, subtype, status, lead_org, creator_user, drill, created,"
                             " modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                             " ?12, ?13, ?14)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz_time now = kz_time_now();
        kz__bind_text(s, 1, c->id);
        kz__bind_text(s, 2, c->title);
        kz__bind_text(s, 3, c->description);
        kz__bind_i64(s, 4, c->severity);
        kz__bind_i64(s, 5, c->tlp);
        kz__bind_i64(s, 6, c->pap);
        kz__bind_text(s, 7, c->category);
        kz__bind_text(s, 8, c->subtype);
        kz__bind_text(s, 9, kz_case_status_name(c->status));
        kz__bind_text(s, 10, c->lead_org);
        kz__bind_text(s, 11, c->creator_user);
        kz__bind_i64(s, 12, c->drill);
        kz__bind_i64(s, 13, c->created ? c->created : now);
        kz__bind_i64(s, 14, c->modified ? c->modified : now);
        int rc = kz__run(st, s);
        if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "case " KZ_ID_FMT " already exists", c->id);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing a case");
    }
    if (!r)
        r = kz_store_change_note(st, "case", c->id, "put", err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_case_update(kz_store *st, const kz_case *c, kz_err *err)
{
    int r = check_case(c, err);
    if (r)
        return r;
    if ((r = kz_store_begin(st, err)))
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, c->id, &seq, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "UPDATE cases SET title = ?2, description = ?3, severity = ?4,"
                             " tlp = ?5, pap = ?6, category = ?7, subtype = ?8 WHERE seq = ?1",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, c->title);
        kz__bind_text(s, 3, c->description);
        kz__bind_i64(s, 4, c->severity);
        kz__bind_i64(s, 5, c->tlp);
        kz__bind_i64(s, 6, c->pap);
        kz__bind_text(s, 7, c->category);
        kz__bind_text(s, 8, c->subtype);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "updating a case");
    }
    if (!r)
        r = kz__case_touch(st, seq, c->id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* ---- reading -------------------------------------------------------------------------------- */

static int64_t case_read(kz_rd *r, kz_case *c)
{
    memset(c, 0, sizeof *c);
    int64_t seq = kz__col_i64(r, 0);
    kz__col_uuid(r, 1, c->id);
    c->title = kz__col_str(r, 2);
    c->description = kz__col_str(r, 3);
    c->severity = kz__col_int(r, 4);
    c->tlp = (kz_tlp)kz__col_int(r, 5);
    c->pap = (kz_pap)kz__col_int(r, 6);
    c->category = kz__col_str(r, 7);
    c->subtype = kz__col_str(r, 8);
    int status = kz_case_status_parse((const char *)sqlite3_column_text(r->s, 9));
    c->status = status < 0 ? KZ_CASE_NEW : (kz_case_status)status;
    kz__col_uuid(r, 10, c->lead_org);
    kz__col_uuid(r, 11, c->creator_user);
    c->drill = kz__col_int(r, 12) != 0;
    c->created = kz__col_i64(r, 13);
    c->modified = kz__col_i64(r, 14);
    c->acknowledged_at = kz__col_i64(r, 15);
    c->contained_at = kz__col_i64(r, 16);
    c->resolved_at = kz__col_i64(r, 17);
    c->closed_at = kz__col_i64(r, 18);
    return seq;
}

static void participant_read(kz_rd *r, void *out)
{
    kz_case_participant *p = out;
    kz__col_uuid(r, 0, p->org_id);
    int x = kz_participation_parse((const char *)sqlite3_column_text(r->s, 1));
    p->state = x < 0 ? KZ_PART_DECLINED : (kz_participation)x;
    p->invited_at = kz__col_i64(r, 2);
    kz__col_uuid(r, 3, p->invited_by);
    p->answered_at = kz__col_i64(r, 4);
    kz__col_uuid(r, 5, p->answered_by);
}

static int links_load(kz_store *st, int64_t seq, const char *kind, kz_arena *a, kz_strlist *out,
                      kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT object_id FROM case_links WHERE case_ref = ?1 AND kind = ?2 "
                               "ORDER BY added, object_id",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz__bind_text(s, 2, kind);
    return kz__list_strings(st, s, a, out, "reading case links", err);
}

static int children_load(kz_store *st, int64_t seq, kz_arena *a, kz_case *c, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT org_id, state, invited_at, invited_by, answered_at,"
                               " answered_by FROM case_participants WHERE case_ref = ?1"
                               " ORDER BY pos",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int r = kz__list_rows(st, s, a, sizeof *c->participants, participant_read, &c->participants,
                          &c->n_participants, "reading case participants", err);
    if (!r)
        r = links_load(st, seq, "event", a, &c->events, err);
    if (!r)
        r = links_load(st, seq, "indicator", a, &c->indicators, err);
    if (!r)
        r = links_load(st, seq, "sighting", a, &c->sightings, err);
    return r;
}

int kz_store_case_get(kz_store *st, const char *id, kz_arena *a, kz_case *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    bool rt = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT " CASE_COLS " FROM cases c WHERE c.id = ?1", err);
    if (!s) {
        r = kz__code(err);
        goto done;
    }
    kz__bind_text(s, 1, id ? id : "");
    kz_rd rd = {s, a, false};
    int rc = kz__step(st, s);
    int64_t seq = 0;
    if (rc == SQLITE_ROW) {
        seq = case_read(&rd, out);
        kz__reset(s);
    } else if (rc == SQLITE_DONE) {
        kz__reset(s);
        r = kz_fail(err, KZ_E_NOTFOUND, NULL, "no such case " KZ_ID_FMT, id ? id : "");
        goto done;
    } else {
        r = kz__dberr(st, rc, err, "reading a case");
        goto done;
    }
    if (rd.oom) {
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        goto done;
    }
    r = children_load(st, seq, a, out, err);
done:
    kz__read_end(st, rt);
    return r;
}

#define CASE_DYN_TAG 0x43000000u /* 'C': keeps these keys apart from other dynamic SQL */

/* Dynamic SQL keyed by the filters present: bit 0 org, 1 status, 2
 * severity, 3 drill, 4 overdue, 5 since, 6 limit. */
static void list_sql(uint32_t key, kz_buf *b)
{
    kz_buf_puts(b, "SELECT " CASE_COLS " FROM cases c WHERE c.seq > ?1");
    if (key & 1)
        kz_buf_puts(b, " AND (c.lead_org = ?2 OR EXISTS (SELECT 1 FROM case_participants p"
                       " WHERE p.case_ref = c.seq AND p.org_id = ?2))");
    if (key & 2)
        kz_buf_puts(b, " AND c.status = ?3");
    if (key & 4)
        kz_buf_puts(b, " AND c.severity = ?4");
    if (key & 8)
        kz_buf_puts(b, " AND c.drill = ?5");
    if (key & 16)
        kz_buf_puts(b, " AND EXISTS (SELECT 1 FROM case_tasks t WHERE t.case_ref = c.seq"
                       " AND t.due > 0 AND t.due < ?6 AND t.status IN ('waiting', 'in_progress'))");
    if (key & 32)
        kz_buf_puts(b, " AND c.created >= ?7");
    kz_buf_puts(b, " ORDER BY c.seq");
    if (key & 64)
        kz_buf_puts(b, " LIMIT ?8");
}

int kz_store_case_list(kz_store *st, const kz_case_filter *f, kz_arena *a, kz_case **out, size_t *n,
                       int64_t *last_seq, kz_err *err)
{
    *out = NULL;
    *n = 0;
    if (last_seq)
        *last_seq = 0;
    uint32_t key = (f->org_id ? 1u : 0) | (f->status >= 0 ? 2u : 0) | (f->severity > 0 ? 4u : 0) |
                   (f->drill >= 0 ? 8u : 0) | (f->overdue ? 16u : 0) | (f->since ? 32u : 0) |
                   (f->limit ? 64u : 0);
    bool rt = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s = kz__stmt_dyn(st, CASE_DYN_TAG | key, list_sql, err);
    if (!s) {
        r = kz__code(err);
        goto done;
    }
    kz__bind_i64(s, 1, f->after_seq);
    if (f->org_id)
        kz__bind_text(s, 2, f->org_id);
    if (f->status >= 0)
        kz__bind_text(s, 3, kz_case_status_name((kz_case_status)f->status));
    if (f->severity > 0)
        kz__bind_i64(s, 4, f->severity);
    if (f->drill >= 0)
        kz__bind_i64(s, 5, f->drill ? 1 : 0);
    if (f->overdue)
        kz__bind_i64(s, 6, f->now ? f->now : kz_time_now());
    if (f->since)
        kz__bind_i64(s, 7, f->since);
    if (f->limit)
        kz__bind_i64(s, 8, (int64_t)(f->limit > INT32_MAX ? INT32_MAX : f->limit));
    size_t cap = 0;
    int64_t *seqs = NULL;
    size_t seq_cap = 0, n_seq = 0;
    kz_rd rd = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_case *nv = kz__grow(a, *out, *n, &cap, sizeof **out);
        int64_t *ns = kz__grow(a, seqs, n_seq, &seq_cap, sizeof *seqs);
        if (!nv || !ns) {
            kz__reset(s);
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            goto done;
        }
        *out = nv;
        seqs = ns;
        seqs[n_seq++] = case_read(&rd, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) {
        r = kz__dberr(st, rc, err, "listing cases");
        goto done;
    }
    kz__reset(s);
    if (rd.oom) {
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        goto done;
    }
    for (size_t i = 0; !r && i < *n; i++)
        r = children_load(st, seqs[i], a, &(*out)[i], err);
    if (!r && last_seq && n_seq)
        *last_seq = seqs[n_seq - 1];
done:
    kz__read_end(st, rt);
    return r;
}
