/* cases_observables.c — values collected while working a case (an address
 * seen in a victim's logs, a phishing domain) before anyone vouches for
 * them as indicators. Promotion turns one into an indicator of a linked
 * event in one transaction with the record of it, so the case shows which
 * indicator came from which observable.
 */
#include "store_int.h"

int kz_store_case_observable_put(kz_store *st, const kz_case_observable *o, kz_err *err)
{
    if (!kz_uuid_valid(o->id))
        return kz_fail(err, KZ_E_VALUE, "id", "observable id '%.64s' is not a UUID", o->id);
    const char *type = kz_ioc_type_name(o->type);
    if (!type || !o->value || !*o->value)
        return kz_fail(err, KZ_E_VALUE, "value", "an observable needs a type and a value");
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, o->case_id, &seq, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO case_observables(id, case_ref, type, value, comment,"
                             " org_id, user_id, added) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, o->id);
        kz__bind_i64(s, 2, seq);
        kz__bind_text(s, 3, type);
        kz__bind_text(s, 4, o->value);
        kz__bind_text(s, 5, o->comment);
        kz__bind_text(s, 6, o->org_id);
        kz__bind_text(s, 7, o->user_id);
        kz__bind_i64(s, 8, o->added ? o->added : kz_time_now());
        int rc = kz__run(st, s);
        if (rc == SQLITE_CONSTRAINT_UNIQUE && kz__failed_on(st, "case_observables.id"))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "observable " KZ_ID_FMT " already exists", o->id);
        else if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "value", "the case has the %s '%.200s' already", type,
                        o->value);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing an observable");
    }
    if (!r)
        r = kz__case_touch(st, seq, o->case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

#define OBS_COLS                                                                                   \
    "o.id, c.id, o.type, o.value, o.comment, o.org_id, o.user_id, o.added, o.indicator_id"

static void obs_read(kz_rd *r, void *out)
{
    kz_case_observable *o = out;
    kz__col_uuid(r, 0, o->id);
    kz__col_uuid(r, 1, o->case_id);
    int t = kz__ioc_type_from_name((const char *)sqlite3_column_text(r->s, 2));
    o->type = t < 0 ? KZ_IOC_TEXT : (kz_ioc_type)t;
    o->value = kz__col_str(r, 3);
    o->comment = kz__col_str(r, 4);
    kz__col_uuid(r, 5, o->org_id);
    kz__col_uuid(r, 6, o->user_id);
    o->added = kz__col_i64(r, 7);
    kz__col_uuid(r, 8, o->indicator_id);
}

int kz_store_case_observables(kz_store *st, const char *case_id, kz_arena *a,
                              kz_case_observable **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    int64_t seq = 0;
    int r = kz__case_seq(st, case_id, &seq, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " OBS_COLS " FROM case_observables o JOIN cases c ON c.seq ="
                               " o.case_ref WHERE o.case_ref = ?1 ORDER BY o.seq",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    return kz__list_rows(st, s, a, sizeof **out, obs_read, out, n, "listing observables", err);
}

int kz_store_case_observable_get(kz_store *st, const char *case_id, const char *obs_id, kz_arena *a,
                                 kz_case_observable *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " OBS_COLS " FROM case_observables o JOIN cases c ON c.seq ="
                               " o.case_ref WHERE o.id = ?1 AND c.id = ?2",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, obs_id);
    kz__bind_text(s, 2, case_id);
    return kz__one_row(st, s, a, obs_read, out, "observable", obs_id, err);
}

int kz_store_case_observable_promote(kz_store *st, const char *case_id, const char *obs_id,
                                     const char *event_id, const kz_indicator *ind,
                                     const char *org_id, const char *user_id, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__case_seq(st, case_id, &seq, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "UPDATE case_observables SET indicator_id = ?3 WHERE id = ?1 AND"
                             " case_ref = ?2 AND indicator_id = ''",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, obs_id);
        kz__bind_i64(s, 2, seq);
        kz__bind_text(s, 3, ind->id);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "promoting an observable");
        else if (sqlite3_changes(st->db) == 0)
            r = kz_fail(err, KZ_E_CONFLICT, NULL,
                        "observable " KZ_ID_FMT " is unknown or was promoted already", obs_id);
    }
    if (!r)
        r = kz_store_indicators_add(st, event_id, ind, 1, err);
    if (!r) {
        kz_case_entry e = {.kind = KZ_ENTRY_ACTION, .tlp = -1, .at = kz_time_now()};
        char text[160];
        /* Names neither indicator nor event: participants who may not see
         * the event read this entry too. */
        snprintf(text, sizeof text, "promoted observable %s to an indicator of a linked event",
                 obs_id);
        kz_uuid_v4(e.id);
        e.text = text;
        snprintf(e.org_id, sizeof e.org_id, "%s", org_id ? org_id : "");
        snprintf(e.user_id, sizeof e.user_id, "%s", user_id ? user_id : "");
        r = kz__case_entry_insert(st, seq, &e, err);
    }
    if (!r)
        r = kz__case_touch(st, seq, case_id, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_case_sighting_indicator(kz_store *st, const char *sighting_id, kz_uuid indicator_id,
                                     kz_err *err)
{
    indicator_id[0] = '\0';
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT i.id FROM sightings s JOIN indicators i ON i.seq = s.ind"
                               " WHERE s.id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, sighting_id);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        snprintf(indicator_id, sizeof(kz_uuid), "%s", (const char *)sqlite3_column_text(s, 0));
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up a sighting");
    kz__reset(s);
    return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such sighting " KZ_ID_FMT, sighting_id);
}
