/* events_read.c — reading events back: one event with (optionally) all its
 * indicators, and the event list, newest first, paged by keyset on
 * (modified, id) so that pages stay stable while events change.
 *
 * An event's indicators are read with two ordered scans (rows, then tags)
 * merged by seq, not one tag query per indicator: an event can hold a million.
 */
#include "store_int.h"

int64_t kz__event_read(kz_rd *r, int c, kz_event *ev)
{
    memset(ev, 0, sizeof *ev);
    int64_t seq = kz__col_i64(r, c + 0);
    kz__col_uuid(r, c + 1, ev->id);
    ev->title = kz__col_str(r, c + 2);
    ev->description = kz__col_str(r, c + 3);
    ev->threat_level = kz__col_int(r, c + 4);
    ev->analysis = kz__col_int(r, c + 5);
    ev->tlp = (kz_tlp)kz__col_int(r, c + 6);
    ev->pap = (kz_pap)kz__col_int(r, c + 7);
    ev->distribution = (kz_distribution)kz__col_int(r, c + 8);
    kz__col_uuid(r, c + 9, ev->sharing_group_id);
    kz__col_uuid(r, c + 10, ev->community_id);
    ev->published = kz__col_int(r, c + 11) != 0;
    ev->published_at = kz__col_i64(r, c + 12);
    kz__col_uuid(r, c + 13, ev->creator_org);
    kz__col_uuid(r, c + 14, ev->creator_user);
    ev->created = kz__col_i64(r, c + 15);
    ev->modified = kz__col_i64(r, c + 16);
    return seq;
}

int64_t kz__indicator_read(kz_rd *r, int c, kz_indicator *ind, bool *tagged)
{
    memset(ind, 0, sizeof *ind);
    int64_t seq = kz__col_i64(r, c + 0);
    kz__col_uuid(r, c + 1, ind->id);
    int t = kz__ioc_type_from_name((const char *)sqlite3_column_text(r->s, c + 2));
    ind->type = t < 0 ? KZ_IOC_TEXT : (kz_ioc_type)t;
    ind->value = kz__col_str(r, c + 3);
    ind->to_ids = kz__col_int(r, c + 4) != 0;
    ind->comment = kz__col_str(r, c + 5);
    ind->first_seen = kz__col_i64(r, c + 6);
    ind->last_seen = kz__col_i64(r, c + 7);
    ind->tlp = sqlite3_column_type(r->s, c + 8) == SQLITE_NULL ? -1 : kz__col_int(r, c + 8);
    ind->distribution =
        sqlite3_column_type(r->s, c + 9) == SQLITE_NULL ? -1 : kz__col_int(r, c + 9);
    ind->created = kz__col_i64(r, c + 10);
    ind->modified = kz__col_i64(r, c + 11);
    ind->deleted = kz__col_int(r, c + 12) != 0;
    *tagged = kz__col_int(r, c + 13) != 0;
    ind->warninglist = kz__col_str(r, c + 14);
    return seq;
}

static int load_ids(kz_store *st, const char *sql, int64_t seq, kz_arena *a, kz_strlist *out,
                    kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    return kz__list_strings(st, s, a, out, "reading event recipients", err);
}

int kz__event_links_load(kz_store *st, int64_t seq, kz_arena *a, kz_event *ev, kz_err *err)
{
    int r = kz__event_tags_load(st, seq, a, &ev->tags, err);
    if (!r)
        r = load_ids(st,
                     "SELECT org_id FROM event_recipient_orgs WHERE event = ?1 ORDER BY pos", seq,
                     a, &ev->recipient_orgs, err);
    if (!r)
        r = load_ids(st,
                     "SELECT user_id FROM event_recipient_users WHERE event = ?1 ORDER BY pos",
                     seq, a, &ev->recipient_users, err);
    return r;
}

/* Attaches tags to indicators read in seq order; seqs[i] is inds[i]'s. */
static int attach_tags(kz_store *st, int64_t event_seq, kz_indicator *inds, const int64_t *seqs,
                       size_t n, kz_arena *a, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT it.ind, t.name FROM indicators i"
                               " JOIN indicator_tags it ON it.ind = i.seq"
                               " JOIN tags t ON t.id = it.tag"
                               " WHERE i.event_ref = ?1 AND i.deleted = 0 AND i.tagged = 1"
                               " ORDER BY it.ind, it.pos",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    size_t j = 0;
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        int64_t ind = sqlite3_column_int64(s, 0);
        while (j < n && seqs[j] < ind)
            j++;
        if (j == n)
            continue; /* added after the rows were read: not part of this answer */
        if (seqs[j] != ind)
            continue;
        if (kz_strlist_push(a, &inds[j].tags, (const char *)sqlite3_column_text(s, 1))) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading indicator tags");
    kz__reset(s);
    return 0;
}

static int load_indicators(kz_store *st, int64_t event_seq, kz_arena *a, kz_event *ev,
                           kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT count(*) FROM indicators WHERE event_ref = ?1 AND deleted = 0", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "counting indicators");
    size_t total = (size_t)sqlite3_column_int64(s, 0);
    kz__reset(s);
    if (total == 0)
        return 0;
    if (total > SIZE_MAX / sizeof(kz_indicator))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    kz_indicator *inds = kz_arena_alloc(a, total * sizeof *inds);
    int64_t *seqs = kz_arena_alloc(a, total * sizeof *seqs);
    if (!inds || !seqs)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory reading %zu indicators", total);

    s = kz__stmt(st,
                 "SELECT " KZ_IND_COLS " FROM indicators i"
                 " WHERE i.event_ref = ?1 AND i.deleted = 0 ORDER BY i.seq",
                 err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    kz_rd r = {s, a, false};
    size_t n = 0;
    bool any_tags = false;
    while (n < total && (rc = kz__step(st, s)) == SQLITE_ROW) {
        bool tagged;
        seqs[n] = kz__indicator_read(&r, 0, &inds[n], &tagged);
        memcpy(inds[n].event_id, ev->id, sizeof ev->id);
        any_tags |= tagged;
        n++;
    }
    if (n < total && rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading indicators");
    kz__reset(s);
    if (r.oom)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory reading %zu indicators", total);
    ev->indicators = inds;
    ev->n_indicators = n;
    return any_tags ? attach_tags(st, event_seq, inds, seqs, n, a, err) : 0;
}

int kz_store_event_get(kz_store *st, const char *id, bool with_indicators, kz_arena *a,
                       kz_event *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT " KZ_EVENT_COLS " FROM events e WHERE e.id = ?1", err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        r = kz_fail(err, KZ_E_NOTFOUND, "", "event " KZ_ID_FMT " not found", id ? id : "");
        goto out;
    }
    if (rc != SQLITE_ROW) {
        r = kz__dberr(st, rc, err, "reading an event");
        goto out;
    }
    kz_rd rd = {s, a, false};
    int64_t seq = kz__event_read(&rd, 0, out);
    kz__reset(s);
    if (rd.oom) {
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        goto out;
    }
    r = kz__event_links_load(st, seq, a, out, err);
    if (!r && with_indicators)
        r = load_indicators(st, seq, a, out, err);
out:
    kz__read_end(st, snap);
    return r;
}

/* ---- the event list --------------------------------------------------------- */

enum {
    EF_ORG = 1 << 0,
    EF_PUBLISHED = 1 << 1,
    EF_SINCE = 1 << 2,
    EF_UNTIL = 1 << 3,
    EF_TAG = 1 << 4,
    EF_AFTER = 1 << 5,
};

/* Only fixed fragments are chosen here, by which filters are present; every
 * value is a bound parameter. */
static void build_list(uint32_t key, kz_buf *b)
{
    kz_buf_puts(b, "SELECT " KZ_EVENT_COLS " FROM events e WHERE 1");
    if (key & EF_ORG)
        kz_buf_puts(b, " AND e.creator_org = ?1");
    if (key & EF_PUBLISHED)
        kz_buf_puts(b, " AND e.published = ?2");
    if (key & EF_SINCE)
        kz_buf_puts(b, " AND e.modified >= ?3");
    if (key & EF_UNTIL)
        kz_buf_puts(b, " AND e.modified <= ?4");
    if (key & EF_TAG)
        kz_buf_puts(b, " AND e.seq IN (SELECT et.event FROM event_tags et"
                       " JOIN tags t ON t.id = et.tag WHERE t.name = ?5)");
    if (key & EF_AFTER)
        kz_buf_puts(b, " AND (e.modified, e.id) < (?6, ?7)");
    kz_buf_puts(b, " ORDER BY e.modified DESC, e.id DESC LIMIT ?8");
}

int kz_store_event_list(kz_store *st, const kz_event_filter *f, kz_arena *a, kz_event **out,
                        size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    uint32_t key = 0;
    if (f->creator_org)
        key |= EF_ORG;
    if (f->published >= 0)
        key |= EF_PUBLISHED;
    if (f->since)
        key |= EF_SINCE;
    if (f->until)
        key |= EF_UNTIL;
    if (f->tag)
        key |= EF_TAG;
    if (f->after_id && *f->after_id)
        key |= EF_AFTER;
    size_t limit = f->limit ? f->limit : 100;

    bool snap = kz__read_begin(st);
    int r = 0;
    int64_t *seqs = NULL;
    sqlite3_stmt *s = kz__stmt_dyn(st, 0x10000u | key, build_list, err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    if (key & EF_ORG)
        kz__bind_text(s, 1, f->creator_org);
    if (key & EF_PUBLISHED)
        sqlite3_bind_int(s, 2, f->published ? 1 : 0);
    if (key & EF_SINCE)
        kz__bind_i64(s, 3, f->since);
    if (key & EF_UNTIL)
        kz__bind_i64(s, 4, f->until);
    if (key & EF_TAG)
        kz__bind_text(s, 5, f->tag);
    if (key & EF_AFTER) {
        kz__bind_i64(s, 6, f->after_time);
        kz__bind_text(s, 7, f->after_id);
    }
    kz__bind_i64(s, 8, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    size_t cap = 0, scap = 0;
    kz_rd rd = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_event *nv = kz__grow(a, *out, *n, &cap, sizeof **out);
        int64_t *ns = kz__grow(a, seqs, *n, &scap, sizeof *seqs);
        if (!nv || !ns) {
            kz__reset(s);
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            goto out;
        }
        *out = nv;
        seqs = ns;
        seqs[*n] = kz__event_read(&rd, 0, &(*out)[*n]);
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        r = kz__dberr(st, rc, err, "listing events");
        goto out;
    }
    kz__reset(s);
    if (rd.oom)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    for (size_t i = 0; !r && i < *n; i++)
        r = kz__event_links_load(st, seqs[i], a, &(*out)[i], err);
out:
    kz__read_end(st, snap);
    return r;
}
