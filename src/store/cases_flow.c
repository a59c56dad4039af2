/* cases_flow.c — what moves a case along: status transitions (checked
 * against the workflow inside the transaction, so two analysts clicking at
 * once cannot both move it), invitations and their answers, and links to
 * events, indicators and sightings.
 */
#include "store_int.h"

static int read_status(kz_store *st, int64_t seq, kz_case_status *out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT status FROM cases WHERE seq = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW) {
        kz__reset(s);
        return kz__dberr(st, rc == SQLITE_DONE ? SQLITE_NOTFOUND : rc, err, "reading a case");
    }
    int x = kz_case_status_parse((const char *)sqlite3_column_text(s, 0));
    kz__reset(s);
    *out = x < 0 ? KZ_CASE_NEW : (kz_case_status)x;
    return 0;
}

/* The milestone column a status sets; acknowledged keeps its first time
 * (reopening does not make a case newly acknowledged), the others their
 * latest, so time to resolve counts up to the resolution that held. */
static const char *milestone_sql(kz_case_status to)
{
    switch (to) {
    case KZ_CASE_ACKNOWLEDGED:
        return "UPDATE cases SET status = ?2, acknowledged_at = CASE WHEN acknowledged_at = 0"
               " THEN ?3 ELSE acknowledged_at END WHERE seq = ?1";
    case KZ_CASE_CONTAINED:
        return "UPDATE cases SET status = ?2, contained_at = ?3 WHERE seq = ?1";
    case KZ_CASE_RESOLVED:
        return "UPDATE cases SET status = ?2, resolved_at = ?3 WHERE seq = ?1";
    case KZ_CASE_CLOSED:
        return "UPDATE cases SET status = ?2, closed_at = ?3 WHERE seq = ?1";
    default:
        return "UPDATE cases SET status = ?2 WHERE seq = ?1 AND ?3 IS NOT NULL";
    }
}

int kz_store_case_transition(kz_store *st, const char *case_id, kz_case_transition *t, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, case_id, &seq, err);
    if (!r)
        r = read_status(st, seq, &t->from, err);
    const char *why = NULL;
    if (!r && !kz_case_transition_valid(t->from, t->to, &why))
        r = kz_fail(err, KZ_E_CONFLICT, "status", "cannot move the case from '%s' to '%s': %s",
                    kz_case_status_name(t->from),
                    kz_case_status_name(t->to) ? kz_case_status_name(t->to) : "?", why);
    if (!t->at)
        t->at = kz_time_now();
    t->reopen = kz_case_is_reopen(t->from, t->to);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st, milestone_sql(t->to), err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, kz_case_status_name(t->to));
        kz__bind_i64(s, 3, t->at);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "moving a case");
    }
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO case_transitions(case_ref, from_status, to_status,"
                             " reopen, note, org_id, user_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                             " ?7, ?8)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, kz_case_status_name(t->from));
        kz__bind_text(s, 3, kz_case_status_name(t->to));
        kz__bind_i64(s, 4, t->reopen);
        kz__bind_text(s, 5, t->note);
        kz__bind_text(s, 6, t->org_id);
        kz__bind_text(s, 7, t->user_id);
        kz__bind_i64(s, 8, t->at);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "recording a transition");
    }
    if (!r) {
        kz_case_entry e = {.kind = KZ_ENTRY_ACTION, .tlp = -1, .at = t->at};
        char text[KZ_TIME_STRLEN + 4200];
        snprintf(text, sizeof text, "%s: %s -> %s%s%.4000s", t->reopen ? "reopened" : "status",
                 kz_case_status_name(t->from), kz_case_status_name(t->to),
                 t->note && *t->note ? ": " : "", t->note ? t->note : "");
        kz_uuid_v4(e.id);
        e.text = text;
        memcpy(e.org_id, t->org_id, sizeof e.org_id);
        memcpy(e.user_id, t->user_id, sizeof e.user_id);
        r = kz__case_entry_insert(st, seq, &e, err);
    }
    if (!r)
        r = kz__case_touch(st, seq, case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

static void transition_read(kz_rd *r, void *out)
{
    kz_case_transition *t = out;
    int f = kz_case_status_parse((const char *)sqlite3_column_text(r->s, 0));
    int to = kz_case_status_parse((const char *)sqlite3_column_text(r->s, 1));
    t->from = f < 0 ? KZ_CASE_NEW : (kz_case_status)f;
    t->to = to < 0 ? KZ_CASE_NEW : (kz_case_status)to;
    t->reopen = kz__col_int(r, 2) != 0;
    t->note = kz__col_str(r, 3);
    kz__col_uuid(r, 4, t->org_id);
    kz__col_uuid(r, 5, t->user_id);
    t->at = kz__col_i64(r, 6);
}

int kz_store_case_transitions(kz_store *st, const char *case_id, kz_arena *a,
                              kz_case_transition **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    int64_t seq = 0;
    int r = kz__case_seq(st, case_id, &seq, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT from_status, to_status, reopen, note, org_id, user_id, at"
                               " FROM case_transitions WHERE case_ref = ?1 ORDER BY seq",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    return kz__list_rows(st, s, a, sizeof **out, transition_read, out, n,
                         "reading case transitions", err);
}

/* ---- participation -------------------------------------------------------------------------- */

static int action_entry(kz_store *st, int64_t seq, const char *org_id, const char *user_id,
                        kz_time at, const char *text, kz_err *err)
{
    kz_case_entry e = {.kind = KZ_ENTRY_ACTION, .tlp = -1, .at = at};
    kz_uuid_v4(e.id);
    e.text = (char *)text;
    snprintf(e.org_id, sizeof e.org_id, "%s", org_id ? org_id : "");
    snprintf(e.user_id, sizeof e.user_id, "%s", user_id ? user_id : "");
    return kz__case_entry_insert(st, seq, &e, err);
}

static int part_state(kz_store *st, int64_t seq, const char *org_id, int *state, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT state FROM case_participants WHERE case_ref = ?1 AND org_id = ?2", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz__bind_text(s, 2, org_id);
    int rc = kz__step(st, s);
    *state = -1;
    if (rc == SQLITE_ROW)
        *state = kz_participation_parse((const char *)sqlite3_column_text(s, 0));
    else if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading a participant");
    kz__reset(s);
    return 0;
}

int kz_store_case_invite(kz_store *st, const char *case_id, const kz_case_participant *p,
                         kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    int state = -1;
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    r = kz__case_seq(st, case_id, &seq, err);
    if (!r) {
        r = kz__exists(st, KZ_SQL_ORG_EXISTS, p->org_id, err);
        if (r == KZ_E_NOTFOUND)
            r = kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                        p->org_id);
    }
    if (!r)
        r = kz_store_case_get(st, case_id, &a, &c, err);
    if (!r && !strcmp(c.lead_org, p->org_id))
        r = kz_fail(err, KZ_E_CONFLICT, "org_id", "org " KZ_ID_FMT " leads this case", p->org_id);
    if (!r)
        r = part_state(st, seq, p->org_id, &state, err);
    if (!r && (state == KZ_PART_INVITED || state == KZ_PART_ACCEPTED))
        r = kz_fail(err, KZ_E_CONFLICT, "org_id", "org " KZ_ID_FMT " is already %s", p->org_id,
                    kz_participation_name((kz_participation)state));
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO case_participants(case_ref, org_id, state, invited_at,"
                             " invited_by, pos) VALUES (?1, ?2, 'invited', ?3, ?4,"
                             " (SELECT ifnull(max(pos), 0) + 1 FROM case_participants"
                             "  WHERE case_ref = ?1))"
                             " ON CONFLICT (case_ref, org_id) DO UPDATE SET state = 'invited',"
                             " invited_at = ?3, invited_by = ?4, answered_at = 0, answered_by = ''",
                             err)))
        r = kz__code(err);
    kz_time now = p->invited_at ? p->invited_at : kz_time_now();
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, p->org_id);
        kz__bind_i64(s, 3, now);
        kz__bind_text(s, 4, p->invited_by);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "inviting an org");
    }
    if (!r) {
        char text[96];
        snprintf(text, sizeof text, "invited org %s", p->org_id);
        r = action_entry(st, seq, c.lead_org, p->invited_by, now, text, err);
    }
    if (!r)
        r = kz__case_touch(st, seq, case_id, err);
    kz_arena_free(&a);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_case_answer(kz_store *st, const char *case_id, const char *org_id,
                         kz_participation state, const char *user_id, kz_time when, kz_err *err)
{
    if (state != KZ_PART_ACCEPTED && state != KZ_PART_DECLINED)
        return kz_fail(err, KZ_E_VALUE, "state", "an answer is accepted or declined");
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    int cur = -1;
    r = kz__case_seq(st, case_id, &seq, err);
    if (!r)
        r = part_state(st, seq, org_id, &cur, err);
    if (!r && cur != KZ_PART_INVITED)
        r = cur < 0 ? kz_fail(err, KZ_E_CONFLICT, NULL, "org " KZ_ID_FMT " was not invited", org_id)
                    : kz_fail(err, KZ_E_CONFLICT, NULL, "the invitation was already answered: %s",
                              kz_participation_name((kz_participation)cur));
    if (!when)
        when = kz_time_now();
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "UPDATE case_participants SET state = ?3, answered_at = ?4,"
                             " answered_by = ?5 WHERE case_ref = ?1 AND org_id = ?2",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, org_id);
        kz__bind_text(s, 3, kz_participation_name(state));
        kz__bind_i64(s, 4, when);
        kz__bind_text(s, 5, user_id);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "answering an invitation");
    }
    if (!r)
        r = action_entry(
            st, seq, org_id, user_id, when,
            state == KZ_PART_ACCEPTED ? "accepted the invitation" : "declined the invitation", err);
    if (!r)
        r = kz__case_touch(st, seq, case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* ---- links ---------------------------------------------------------------------------------- */

int kz_store_case_link(kz_store *st, const char *case_id, const char *kind, const char *object_id,
                       const char *org_id, const char *user_id, kz_err *err)
{
    const char *exists;
    if (!strcmp(kind, "event"))
        exists = "SELECT 1 FROM events WHERE id = ?1";
    else if (!strcmp(kind, "indicator"))
        exists = "SELECT 1 FROM indicators WHERE id = ?1 AND deleted = 0";
    else if (!strcmp(kind, "sighting"))
        exists = "SELECT 1 FROM sightings WHERE id = ?1";
    else
        return kz_fail(err, KZ_E_VALUE, "kind", "kind '%.32s' is not event, indicator or sighting",
                       kind);
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, case_id, &seq, err);
    if (!r) {
        r = kz__exists(st, exists, object_id, err);
        if (r == KZ_E_NOTFOUND)
            r = kz_fail(err, KZ_E_VALUE, "id", "%s " KZ_ID_FMT " does not exist", kind, object_id);
    }
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO case_links(case_ref, kind, object_id, org_id, user_id,"
                             " added) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             err)))
        r = kz__code(err);
    kz_time now = kz_time_now();
    if (!r) {
        kz__bind_i64(s, 1, seq);
        kz__bind_text(s, 2, kind);
        kz__bind_text(s, 3, object_id);
        kz__bind_text(s, 4, org_id ? org_id : "");
        kz__bind_text(s, 5, user_id ? user_id : "");
        kz__bind_i64(s, 6, now);
        int rc = kz__run(st, s);
        if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "%s " KZ_ID_FMT " is already linked", kind,
                        object_id);
        else if (rc)
            r = kz__dberr(st, rc, err, "linking to a case");
    }
    if (!r) {
        /* Not the id: every participant reads the timeline, but a linked
         * object is shown only to those who may see it (the links list
         * keeps who linked what, and when). */
        char text[96];
        snprintf(text, sizeof text, "linked %s %s", kind[0] == 'e' || kind[0] == 'i' ? "an" : "a",
                 kind);
        r = action_entry(st, seq, org_id, user_id, now, text, err);
    }
    if (!r)
        r = kz__case_touch(st, seq, case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
