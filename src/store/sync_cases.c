/* sync_cases.c — a case as another node holds it: the copy its home node
 * sent (kz_store_sync_case_put) and the case actions a participant's node
 * sends home (an outbox here, a record of what was applied there).
 *
 * The copy is written as the home node stated it, in one transaction, with
 * the rules that make a replay change nothing: the case's own fields,
 * participants and links are replaced only by a newer `modified`; tasks row
 * by row, each when newer, and an observable's indicator with the case; the
 * timeline, the transitions and delivered injects only grow (rows missing
 * here are inserted, nothing is updated: the append-only triggers would
 * refuse it anyway). It also
 * records the orgs a copy names that this node knew nothing of, as
 * placeholders of unknown home (migration_15_case_sync.c says why).
 */
#include "store_int.h"

int kz_store_case_homed(kz_store *st, const char *case_id, bool *homed, kz_err *err)
{
    *homed = false;
    sqlite3_stmt *s = kz__stmt(st, "SELECT homed_here FROM cases WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, case_id ? case_id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        *homed = sqlite3_column_int(s, 0) != 0;
        kz__reset(s);
        return 0;
    }
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up a case");
    return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such case " KZ_ID_FMT, case_id ? case_id : "");
}

/* Runs a prepared write; *changed when it touched a row. */
static int run(kz_store *st, sqlite3_stmt *s, bool *changed, const char *what, kz_err *err)
{
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, what);
    if (sqlite3_changes(st->db) > 0)
        *changed = true;
    return 0;
}

static int case_row(kz_store *st, const kz_case *c, bool insert, bool *changed, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st,
        insert ? "INSERT INTO cases(id, title, description, severity, tlp, pap, category,"
                 " subtype, status, lead_org, creator_user, drill, created, modified,"
                 " acknowledged_at, contained_at, resolved_at, closed_at, homed_here)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '', ?11, ?12, ?13, ?14,"
                 " ?15, ?16, ?17, 0)"
               : "UPDATE cases SET title = ?2, description = ?3, severity = ?4, tlp = ?5,"
                 " pap = ?6, category = ?7, subtype = ?8, status = ?9, drill = ?11,"
                 " created = ?12, modified = ?13, acknowledged_at = ?14, contained_at = ?15,"
                 " resolved_at = ?16, closed_at = ?17 WHERE id = ?1 AND lead_org = ?10"
                 " AND homed_here = 0 AND modified < ?13",
        err);
    if (!s)
        return kz__code(err);
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
    kz__bind_i64(s, 11, c->drill);
    kz__bind_i64(s, 12, c->created);
    kz__bind_i64(s, 13, c->modified);
    kz__bind_i64(s, 14, c->acknowledged_at);
    kz__bind_i64(s, 15, c->contained_at);
    kz__bind_i64(s, 16, c->resolved_at);
    kz__bind_i64(s, 17, c->closed_at);
    return run(st, s, changed, "storing a received case", err);
}

static int participants_replace(kz_store *st, int64_t seq, const kz_case *c, bool *changed,
                                kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM case_participants WHERE case_ref = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int r = run(st, s, changed, "replacing case participants", err);
    for (size_t i = 0; !r && i < c->n_participants; i++) {
        const kz_case_participant *p = &c->participants[i];
        if (!(s = kz__stmt(st,
                           "INSERT INTO case_participants(case_ref, org_id, state, invited_at,"
                           " invited_by, answered_at, answered_by, pos) VALUES (?1, ?2, ?3, ?4,"
                           " ?5, ?6, ?7, ?8)",
                           err)))
            return kz__code(err);
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, p->org_id);
        kz__bind_text(s, 3, kz_participation_name(p->state));
        kz__bind_i64(s, 4, p->invited_at);
        kz__bind_text(s, 5, p->invited_by);
        kz__bind_i64(s, 6, p->answered_at);
        kz__bind_text(s, 7, p->answered_by);
        kz__bind_i64(s, 8, (int64_t)i + 1);
        r = run(st, s, changed, "storing a case participant", err);
    }
    return r;
}

static int links_replace(kz_store *st, int64_t seq, const kz_case *c, bool *changed, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM case_links WHERE case_ref = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int r = run(st, s, changed, "replacing case links", err);
    const char *kinds[] = {"event", "indicator", "sighting"};
    const kz_strlist *lists[] = {&c->events, &c->indicators, &c->sightings};
    for (size_t k = 0; !r && k < 3; k++)
        for (size_t i = 0; !r && i < lists[k]->n; i++) {
            if (!(s = kz__stmt(st,
                               "INSERT OR IGNORE INTO case_links(case_ref, kind, object_id,"
                               " added) VALUES (?1, ?2, ?3, ?4)",
                               err)))
                return kz__code(err);
            kz__bind_i64(s, 1, seq);
            kz__bind_text(s, 2, kinds[k]);
            kz__bind_text(s, 3, lists[k]->v[i]);
            kz__bind_i64(s, 4, c->modified + (int64_t)i); /* keeps the sender's order */
            r = run(st, s, changed, "storing a case link", err);
        }
    return r;
}

static int task_upsert(kz_store *st, int64_t seq, const kz_case_task *t, bool *changed,
                       kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st,
        "INSERT INTO case_tasks(id, case_ref, title, description, org_id, user_id, due, status,"
        " created_by, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT (id) DO UPDATE SET title = excluded.title,"
        " description = excluded.description, org_id = excluded.org_id,"
        " user_id = excluded.user_id, due = excluded.due, status = excluded.status,"
        " modified = excluded.modified WHERE excluded.modified > case_tasks.modified"
        " AND case_tasks.case_ref = excluded.case_ref",
        err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, t->id);
    kz__bind_i64(s, 2, seq);
    kz__bind_text(s, 3, t->title);
    kz__bind_text(s, 4, t->description);
    kz__bind_text(s, 5, t->org_id);
    kz__bind_text(s, 6, t->user_id);
    kz__bind_i64(s, 7, t->due);
    kz__bind_text(s, 8, kz_task_status_name(t->status));
    kz__bind_text(s, 9, t->created_by);
    kz__bind_i64(s, 10, t->created);
    kz__bind_i64(s, 11, t->modified);
    return run(st, s, changed, "storing a received task", err);
}

/* An observable has no version of its own: only its indicator changes
 * (promoted, or no longer for this org), and only a snapshot newer than the
 * copy (newer) may say so, or an old one replayed would undo a promotion. */
static int observable_upsert(kz_store *st, int64_t seq, const kz_case_observable *o, bool newer,
                             bool *changed, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st,
        "INSERT INTO case_observables(id, case_ref, type, value, comment, org_id, user_id,"
        " added, indicator_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (id) DO UPDATE SET indicator_id = excluded.indicator_id"
        " WHERE ?10 AND case_observables.indicator_id != excluded.indicator_id"
        " AND case_observables.case_ref = excluded.case_ref",
        err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, o->id);
    kz__bind_i64(s, 2, seq);
    kz__bind_text(s, 3, kz_ioc_type_name(o->type));
    kz__bind_text(s, 4, o->value);
    kz__bind_text(s, 5, o->comment);
    kz__bind_text(s, 6, o->org_id);
    kz__bind_text(s, 7, o->user_id);
    kz__bind_i64(s, 8, o->added);
    kz__bind_text(s, 9, o->indicator_id);
    kz__bind_i64(s, 10, newer);
    return run(st, s, changed, "storing a received observable", err);
}

/* *yes when a timeline entry with this id exists: in any case (case_seq
 * 0: ids are unique across cases), or in that case. */
static int entry_exists(kz_store *st, const char *id, int64_t case_seq, bool *yes, kz_err *err)
{
    *yes = false;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT 1 FROM case_timeline WHERE id = ?1"
                               " AND (?2 = 0 OR case_ref = ?2)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    kz__bind_i64(s, 2, case_seq);
    int rc = kz__step(st, s);
    kz__reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up a timeline entry");
    *yes = rc == SQLITE_ROW;
    return 0;
}

static int entry_add(kz_store *st, int64_t seq, const kz_case_entry *e, bool *changed,
                     kz_err *err)
{
    bool have = false;
    int r = entry_exists(st, e->id, 0, &have, err);
    if (r || have)
        return r;
    if (e->kind == KZ_ENTRY_CORRECTION) {
        /* Of this case: one naming another case's entry would be refused
         * by the store below, and with it the whole batch. */
        bool base = false;
        if ((r = entry_exists(st, e->corrects, seq, &base, err)))
            return r;
        if (!base) /* its entry was not for this org: neither is the correction */
            return 0;
    }
    if ((r = kz__case_entry_insert(st, seq, e, err)))
        return r;
    *changed = true;
    return 0;
}

static int transitions_add(kz_store *st, int64_t seq, const kz_case_snapshot *sn, bool *changed,
                           kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT count(*) FROM case_transitions WHERE case_ref = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    int64_t have = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    kz__reset(s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "counting case transitions");
    /* Append-only on both sides and written by the home node alone: the
     * first `have` are the ones held here already. */
    int r = 0;
    for (size_t i = (size_t)have; !r && i < sn->n_transitions; i++) {
        const kz_case_transition *t = &sn->transitions[i];
        if (!(s = kz__stmt(st,
                           "INSERT INTO case_transitions(case_ref, from_status, to_status, reopen,"
                           " note, org_id, user_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           err)))
            return kz__code(err);
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, kz_case_status_name(t->from));
        kz__bind_text(s, 3, kz_case_status_name(t->to));
        kz__bind_i64(s, 4, t->reopen);
        kz__bind_text(s, 5, t->note);
        kz__bind_text(s, 6, t->org_id);
        kz__bind_text(s, 7, t->user_id);
        kz__bind_i64(s, 8, t->at);
        r = run(st, s, changed, "storing a received transition", err);
    }
    return r;
}

static int inject_add(kz_store *st, int64_t seq, const kz_case_inject *x, bool *changed,
                      kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR IGNORE INTO case_injects(id, case_ref, at, text,"
                               " delivered, delivered_at, created_by, created) VALUES (?1, ?2,"
                               " ?3, ?4, 1, ?5, ?6, ?7)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, x->id);
    kz__bind_i64(s, 2, seq);
    kz__bind_i64(s, 3, x->at);
    kz__bind_text(s, 4, x->text);
    kz__bind_i64(s, 5, x->delivered_at);
    kz__bind_text(s, 6, x->created_by);
    kz__bind_i64(s, 7, x->created);
    return run(st, s, changed, "storing a delivered inject", err);
}

int kz_store_sync_case_put(kz_store *st, const kz_case_snapshot *sn, bool *changed, kz_err *err)
{
    *changed = false;
    const kz_case *c = &sn->c;
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    bool homed = false, fresh = false, newer = false;
    r = kz_store_case_homed(st, c->id, &homed, err);
    if (r == KZ_E_NOTFOUND) {
        memset(err, 0, sizeof *err);
        fresh = true;
        r = 0;
    } else if (!r && homed) {
        r = kz_fail(err, KZ_E_CONFLICT, "id", "case " KZ_ID_FMT " is homed on this node", c->id);
    }
    if (!r)
        r = case_row(st, c, fresh, &newer, err);
    int64_t seq = 0;
    if (!r)
        r = kz__case_seq(st, c->id, &seq, err);
    if (!r && newer) {
        *changed = true;
        if (!(r = participants_replace(st, seq, c, changed, err)))
            r = links_replace(st, seq, c, changed, err);
    }
    for (size_t i = 0; !r && i < sn->n_tasks; i++)
        r = task_upsert(st, seq, &sn->tasks[i], changed, err);
    for (size_t i = 0; !r && i < sn->n_observables; i++)
        r = observable_upsert(st, seq, &sn->observables[i], newer || fresh, changed, err);
    for (size_t i = 0; !r && i < sn->n_entries; i++)
        r = entry_add(st, seq, &sn->entries[i], changed, err);
    if (!r)
        r = transitions_add(st, seq, sn, changed, err);
    for (size_t i = 0; !r && i < sn->n_injects; i++)
        r = inject_add(st, seq, &sn->injects[i], changed, err);
    if (!r && *changed)
        r = kz_store_change_note(st, "case", c->id, "put", err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* ---- orgs a case names ---------------------------------------------------------------------- */

int kz_store_org_placeholder(kz_store *st, const char *org_id, bool *yes, kz_err *err)
{
    int r = kz__exists(st, "SELECT 1 FROM sync_org_placeholders WHERE org_id = ?1", org_id, err);
    *yes = r == 0;
    return r == KZ_E_NOTFOUND ? 0 : r;
}

int kz_store_org_placeholder_put(kz_store *st, const char *org_id, kz_err *err)
{
    int r = kz__exists(st, "SELECT 1 FROM orgs WHERE id = ?1", org_id, err);
    if (r != KZ_E_NOTFOUND)
        return r; /* known already (0), or a store error */
    kz_org o = {.type = KZ_ORG_NATIONAL_CERT, .created = 1, .modified = 1};
    char name[64];
    snprintf(name, sizeof name, "org %.8s (via federation)", org_id);
    snprintf(o.id, sizeof o.id, "%s", org_id);
    o.name = name;
    if ((r = kz_store_begin(st, err)))
        return r;
    r = kz_store_sync_org_put(st, &o, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT OR IGNORE INTO sync_org_placeholders(org_id, created)"
                             " VALUES (?1, ?2)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, org_id);
        kz__bind_i64(s, 2, kz_time_now());
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "recording a placeholder org");
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* ---- case actions ----------------------------------------------------------------------------- */

int kz_store_case_action_put(kz_store *st, const char *id, const char *case_id,
                             const char *org_id, const char *body, const char *state,
                             const char *note, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO case_actions(id, case_id, org_id, body, state, note,"
                               " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                               err);
    if (!s)
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, id);
        kz__bind_text(s, 2, case_id);
        kz__bind_text(s, 3, org_id);
        kz__bind_text(s, 4, body);
        kz__bind_text(s, 5, state);
        kz__bind_text(s, 6, note);
        kz__bind_i64(s, 7, kz_time_now());
        int rc = kz__run(st, s);
        if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "case action " KZ_ID_FMT " already exists", id);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing a case action");
    }
    /* An outbox action travels to the home node; a refused one sends the
     * case again to the acting org's node, so it learns why (an applied one
     * changed the case, which is sent anyway). */
    if (!r && (!strcmp(state, "outbox") || !strcmp(state, "refused")))
        r = kz_store_change_note(st, "case_action", id, "put", err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_case_action_get(kz_store *st, const char *id, kz_arena *a, char **body,
                             char **state, kz_uuid case_id, kz_err *err)
{
    *body = *state = NULL;
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT body, state, case_id FROM case_actions WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        kz_rd rd = {s, a, false};
        *body = kz__col_str(&rd, 0);
        *state = kz__col_str(&rd, 1);
        if (case_id)
            kz__col_uuid(&rd, 2, case_id);
        kz__reset(s);
        return rd.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
    }
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading a case action");
    return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such case action " KZ_ID_FMT, id);
}

static void result_read(kz_rd *r, void *out)
{
    kz_case_action_result *x = out;
    kz__col_uuid(r, 0, x->id);
    const char *state = (const char *)sqlite3_column_text(r->s, 1);
    x->state = state && !strcmp(state, "refused") ? "refused" : "applied";
    x->note = kz__col_str(r, 2);
}

int kz_store_case_action_results(kz_store *st, const char *case_id, const char *org_id,
                                 size_t limit, kz_arena *a, kz_case_action_result **out,
                                 size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT id, state, note FROM (SELECT id, state, note, created"
                               " FROM case_actions WHERE case_id = ?1 AND org_id = ?2"
                               " AND state IN ('applied', 'refused')"
                               " ORDER BY created DESC, id DESC LIMIT ?3)"
                               " ORDER BY created, id",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, case_id);
    kz__bind_text(s, 2, org_id);
    kz__bind_i64(s, 3, (int64_t)limit);
    return kz__list_rows(st, s, a, sizeof **out, result_read, out, n,
                         "reading case action results", err);
}

int kz_store_case_action_results_apply(kz_store *st, const char *case_id, const char *org_id,
                                       const kz_case_action_result *v, size_t n, kz_err *err)
{
    if (!n)
        return 0;
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE case_actions SET state = ?1, note = ?2 WHERE id = ?3"
                               " AND case_id = ?4 AND org_id = ?5 AND state = 'outbox'",
                               err);
    if (!s)
        r = kz__code(err);
    for (size_t i = 0; !r && i < n; i++) {
        kz__bind_text(s, 1, v[i].state);
        kz__bind_text(s, 2, v[i].note);
        kz__bind_text(s, 3, v[i].id);
        kz__bind_text(s, 4, case_id);
        kz__bind_text(s, 5, org_id);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "recording a case action result");
    }
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

static void action_row_read(kz_rd *r, void *out)
{
    kz_case_action_row *x = out;
    kz__col_uuid(r, 0, x->id);
    kz__col_uuid(r, 1, x->org_id);
    x->body = kz__col_str(r, 2);
    x->state = kz__col_str(r, 3);
    x->note = kz__col_str(r, 4);
    x->created = kz__col_i64(r, 5);
}

int kz_store_case_actions_list(kz_store *st, const char *case_id, const char *org_id,
                               size_t limit, kz_arena *a, kz_case_action_row **out, size_t *n,
                               kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT id, org_id, body, state, note, created FROM case_actions"
                               " WHERE case_id = ?1 AND (?2 IS NULL OR org_id = ?2)"
                               " ORDER BY created DESC, id DESC LIMIT ?3",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, case_id);
    kz__bind_text(s, 2, org_id);
    kz__bind_i64(s, 3, (int64_t)limit);
    return kz__list_rows(st, s, a, sizeof **out, action_row_read, out, n,
                         "listing case actions", err);
}
