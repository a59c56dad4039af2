/* misp_scan.c — the rows correlation is computed from: every live
 * indicator whose value can meaningfully be shared between events (not free
 * text, not marked disable_correlation, not in an event that disables
 * correlation), streamed in seq order from one snapshot with no row kept
 * after its callback, so a million rows cost one pass and little memory.
 *
 * The indicators are read alone, without a join: what a row needs of its
 * event (id, creator org, TLP, whether it disables correlation) is read
 * once per event into a small table keyed by the event's seq. Events are
 * few next to indicators, so this is a fraction of a join's work.
 */
#include "store_int.h"

#include <stdlib.h>

typedef struct ev_info {
    int64_t seq; /* 0 = empty slot */
    char id[KZ_UUID_STRLEN + 1];
    char org[KZ_UUID_STRLEN + 1];
    kz_tlp tlp;
    bool skip;
} ev_info;

typedef struct ev_table {
    ev_info *v;
    size_t cap, n;
} ev_table;

static ev_info *slot(ev_table *t, int64_t seq)
{
    size_t i = (size_t)((uint64_t)seq * 0x9e3779b97f4a7c15ULL >> 20) & (t->cap - 1);
    while (t->v[i].seq && t->v[i].seq != seq)
        i = (i + 1) & (t->cap - 1);
    return &t->v[i];
}

static int grow(ev_table *t)
{
    ev_table nt = {.cap = t->cap ? t->cap * 2 : 1024};
    nt.v = calloc(nt.cap, sizeof *nt.v);
    if (!nt.v)
        return KZ_E_NOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->v[i].seq)
            *slot(&nt, t->v[i].seq) = t->v[i];
    nt.n = t->n;
    free(t->v);
    *t = nt;
    return 0;
}

/* The event of seq, read on first use. */
static int event_of(kz_store *st, sqlite3_stmt *q, ev_table *t, int64_t seq, ev_info **out,
                    kz_err *err)
{
    if ((t->n + 1) * 2 > t->cap && grow(t) < 0)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    ev_info *e = slot(t, seq);
    if (e->seq) {
        *out = e;
        return 0;
    }
    sqlite3_bind_int64(q, 1, seq);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
        sqlite3_reset(q);
        return kz__dberr(st, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, err, "scanning events");
    }
    e->seq = seq;
    snprintf(e->id, sizeof e->id, "%s", (const char *)sqlite3_column_text(q, 0));
    snprintf(e->org, sizeof e->org, "%s", (const char *)sqlite3_column_text(q, 1));
    e->tlp = (kz_tlp)sqlite3_column_int(q, 2);
    e->skip = (sqlite3_column_int(q, 3) & 2) != 0;
    sqlite3_reset(q);
    t->n++;
    *out = e;
    return 0;
}

static int prepare(kz_store *st, const char *sql, sqlite3_stmt **s, kz_err *err)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
    if (rc == SQLITE_OK)
        return 0;
    snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
    return kz__dberr(st, rc, err, "scanning indicators");
}

int kz_store_misp_corr_scan(kz_store *st, kz_misp_corr_fn fn, void *ctx, kz_err *err)
{
    bool snap = kz__read_begin(st);
    /* Not cached statements: the callback may use the store, and a scan
     * must not share a statement with what it calls. */
    sqlite3_stmt *s = NULL, *q = NULL;
    ev_table t = {0};
    int r = prepare(st,
                    "SELECT seq, id, event_ref, type, value, tlp, distribution FROM indicators"
                    " WHERE deleted = 0 AND type <> 'text' AND (misp_flags & 1) = 0"
                    " ORDER BY seq",
                    &s, err);
    if (!r)
        r = prepare(st,
                    "SELECT e.id, e.creator_org, e.tlp, coalesce(m.flags, 0) FROM events e"
                    " LEFT JOIN misp_events m ON m.event = e.seq WHERE e.seq = ?1",
                    &q, err);
    int rc = SQLITE_DONE;
    while (!r && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int type = kz__ioc_type_from_name((const char *)sqlite3_column_text(s, 3));
        if (type < 0)
            continue;
        ev_info *e = NULL;
        if ((r = event_of(st, q, &t, sqlite3_column_int64(s, 2), &e, err)) != 0)
            break;
        if (e->skip)
            continue;
        kz_misp_corr_row row = {
            .seq = sqlite3_column_int64(s, 0),
            .id = (const char *)sqlite3_column_text(s, 1),
            .event_id = e->id,
            .org_id = e->org,
            .type = (kz_ioc_type)type,
            .value = (const char *)sqlite3_column_text(s, 4),
            .tlp = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 5),
            .distribution =
                sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 6),
            .event_tlp = e->tlp,
        };
        r = fn(ctx, &row, err);
    }
    if (!r && rc != SQLITE_DONE) {
        snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
        r = kz__dberr(st, rc, err, "scanning indicators");
    }
    sqlite3_finalize(s);
    sqlite3_finalize(q);
    free(t.v);
    kz__read_end(st, snap);
    return r;
}
