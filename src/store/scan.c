/* scan.c — the feed a match index is compiled from: every to_ids indicator
 * with what the access decision needs about its event, streamed in seq order.
 *
 * A node's index holds millions of indicators but usually few events, so the
 * events (with their tags, recipients, creator communities and sharing group
 * members) are loaded up front in a handful of ordered queries — never one
 * query per event or per indicator — and each row only carries a pointer to
 * its event. Indicator tags come from a second cursor walked in step with the
 * first (both in indicator order), so the scan costs two sequential passes
 * and no per-row lookups. Nothing of a row is kept after its callback.
 *
 * kz_store_match_fingerprint is how a server notices, cheaply and whoever the
 * writer was (REST, a CLI import, sync), that its indexes are stale.
 */
#include "store_int.h"

#include <stdlib.h>

static const kz_strlist g_empty;

/* ---- events --------------------------------------------------------------- */

/* Lists keyed by a string id (an org's communities, a group's members), in
 * key order for binary search. */
typedef struct keyed_list {
    char *key;
    kz_strlist list;
} keyed_list;

typedef struct feed {
    kz_store *st;
    kz_arena a;
    kz_feed_event *ev;
    size_t nev;
    keyed_list *comms;
    size_t ncomms;
    keyed_list *groups;
    size_t ngroups;
} feed;

/* Runs a two-column query ordered by its first column (text) and groups the
 * second column into one list per key. */
static int load_keyed(feed *f, const char *sql, const char *what, keyed_list **out, size_t *n,
                      kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(f->st, sql, err);
    if (!s)
        return kz__code(err);
    size_t cap = 0;
    int rc;
    while ((rc = kz__step(f->st, s)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        const char *v = (const char *)sqlite3_column_text(s, 1);
        if (!k || !v)
            continue;
        if (*n == 0 || strcmp((*out)[*n - 1].key, k) != 0) {
            keyed_list *nl = kz__grow(&f->a, *out, *n, &cap, sizeof **out);
            if (!nl || !(nl[*n].key = kz_arena_strdup(&f->a, k))) {
                kz__reset(s);
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            }
            *out = nl;
            (*out)[(*n)++].list = g_empty;
        }
        if (kz_strlist_push(&f->a, &(*out)[*n - 1].list, v)) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(f->st, rc, err, what);
    kz__reset(s);
    return 0;
}

static const kz_strlist *find_keyed(const keyed_list *l, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l[mid].key, key);
        if (c == 0)
            return &l[mid].list;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static kz_feed_event *find_event(feed *f, int64_t seq, size_t *hint)
{
    if (*hint < f->nev && f->ev[*hint].seq == seq)
        return &f->ev[*hint];
    size_t lo = 0, hi = f->nev;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->ev[mid].seq == seq) {
            *hint = mid;
            return &f->ev[mid];
        }
        if (f->ev[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Event link rows (event seq, text) in event order, appended to the list
 * chosen by pick. */
static int load_links(feed *f, const char *sql, const char *what,
                      kz_strlist *(*pick)(kz_feed_event *), kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(f->st, sql, err);
    if (!s)
        return kz__code(err);
    size_t hint = 0;
    int rc;
    while ((rc = kz__step(f->st, s)) == SQLITE_ROW) {
        kz_feed_event *e = find_event(f, sqlite3_column_int64(s, 0), &hint);
        const char *v = (const char *)sqlite3_column_text(s, 1);
        if (!e || !v)
            continue;
        if (kz_strlist_push(&f->a, pick(e), v)) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(f->st, rc, err, what);
    kz__reset(s);
    return 0;
}

static kz_strlist *pick_tags(kz_feed_event *e) { return &e->ev.tags; }
static kz_strlist *pick_rorgs(kz_feed_event *e) { return &e->ev.recipient_orgs; }
static kz_strlist *pick_rusers(kz_feed_event *e) { return &e->ev.recipient_users; }

static char *join(kz_arena *a, const kz_strlist *l)
{
    if (!l->n)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < l->n; i++)
        len += strlen(l->v[i]) + 1;
    char *out = kz_arena_alloc(a, len);
    if (!out)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < l->n; i++) {
        size_t m = strlen(l->v[i]);
        if (i)
            *p++ = ',';
        memcpy(p, l->v[i], m);
        p += m;
    }
    *p = '\0';
    return out;
}

static int load_events(feed *f, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(f->st, "SELECT " KZ_EVENT_COLS " FROM events e ORDER BY e.seq", err);
    if (!s)
        return kz__code(err);
    size_t cap = 0;
    kz_rd rd = {s, &f->a, false};
    int rc;
    while ((rc = kz__step(f->st, s)) == SQLITE_ROW) {
        kz_feed_event *nv = kz__grow(&f->a, f->ev, f->nev, &cap, sizeof *f->ev);
        if (!nv) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        f->ev = nv;
        kz_feed_event *e = &f->ev[f->nev];
        memset(e, 0, sizeof *e);
        e->seq = kz__event_read(&rd, 0, &e->ev);
        e->ordinal = f->nev++;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(f->st, rc, err, "reading events for the match index");
    kz__reset(s);
    if (rd.oom)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");

    int r = load_links(f,
                       "SELECT et.event, t.name FROM event_tags et JOIN tags t ON t.id = et.tag"
                       " ORDER BY et.event, et.pos",
                       "reading event tags", pick_tags, err);
    if (!r)
        r = load_links(f, "SELECT event, org_id FROM event_recipient_orgs ORDER BY event, pos",
                       "reading event recipients", pick_rorgs, err);
    if (!r)
        r = load_links(f, "SELECT event, user_id FROM event_recipient_users ORDER BY event, pos",
                       "reading event recipients", pick_rusers, err);
    if (!r)
        r = load_keyed(f,
                       "SELECT org_id, community FROM community_members ORDER BY org_id, community",
                       "reading community members", &f->comms, &f->ncomms, err);
    if (!r)
        r = load_keyed(f, "SELECT grp, org_id FROM sharing_group_members ORDER BY grp, pos",
                       "reading sharing group members", &f->groups, &f->ngroups, err);
    if (r)
        return r;

    /* The access objects, as kz_store_acl_object_load would fill them. */
    for (size_t i = 0; i < f->nev; i++) {
        kz_feed_event *e = &f->ev[i];
        kz_acl_object *o = &e->acl;
        o->creator_org = e->ev.creator_org;
        o->creator_user = e->ev.creator_user;
        o->tlp = e->ev.tlp;
        o->distribution = e->ev.distribution;
        o->published = e->ev.published;
        o->community_id = e->ev.community_id;
        o->recipient_orgs = &e->ev.recipient_orgs;
        o->recipient_users = &e->ev.recipient_users;
        const kz_strlist *c = find_keyed(f->comms, f->ncomms, e->ev.creator_org);
        o->creator_communities = c ? c : &g_empty;
        if (e->ev.distribution == KZ_DIST_SHARING_GROUP && e->ev.sharing_group_id[0]) {
            const kz_strlist *g = find_keyed(f->groups, f->ngroups, e->ev.sharing_group_id);
            o->sharing_group_orgs = g ? g : &g_empty;
        }
        if (e->ev.tags.n && !(e->tags = join(&f->a, &e->ev.tags)))
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    return 0;
}

/* ---- indicators ----------------------------------------------------------- */

/* Stored type names map to the enum through a tiny cache: rows of a feed
 * come in runs of a few types. */
typedef struct type_cache {
    char name[2][32];
    int type[2];
    int next;
} type_cache;

static int type_of(type_cache *c, const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < 2; i++)
        if (c->name[i][0] && strcmp(c->name[i], s) == 0)
            return c->type[i];
    int t = kz__ioc_type_from_name(s);
    if (strlen(s) < sizeof c->name[0]) {
        snprintf(c->name[c->next], sizeof c->name[0], "%s", s);
        c->type[c->next] = t;
        c->next ^= 1;
    }
    return t;
}

/* The indicator tag cursor, walked in step with the rows. */
typedef struct tag_cursor {
    sqlite3_stmt *s;
    bool row;   /* s stands on a row */
    bool done;
} tag_cursor;

static int tags_advance(kz_store *st, tag_cursor *tc, kz_err *err)
{
    int rc = kz__step(st, tc->s);
    if (rc == SQLITE_ROW) {
        tc->row = true;
        return 0;
    }
    tc->row = false;
    tc->done = true;
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading indicator tags");
    return 0;
}

/* Joins the tags of indicator seq into b; the cursor ends past them. */
static int tags_for(kz_store *st, tag_cursor *tc, int64_t seq, kz_buf *b, kz_err *err)
{
    kz_buf_reset(b);
    while (!tc->done) {
        if (!tc->row) {
            int r = tags_advance(st, tc, err);
            if (r)
                return r;
            continue;
        }
        int64_t ind = sqlite3_column_int64(tc->s, 0);
        if (ind > seq)
            break;
        if (ind == seq) {
            const char *name = (const char *)sqlite3_column_text(tc->s, 1);
            if (name && ((b->len && kz_buf_putc(b, ',')) || kz_buf_puts(b, name)))
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        tc->row = false;
    }
    return 0;
}

static int scan_rows(feed *f, int64_t after_seq, size_t limit, kz_feed_fn fn, void *ctx,
                     kz_err *err)
{
    kz_store *st = f->st;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, id, type, value, tlp, distribution, event_ref,"
                               " tagged, warninglist FROM indicators"
                               " WHERE seq > ?1 AND to_ids = 1 AND deleted = 0"
                               " ORDER BY seq LIMIT ?2",
                               err);
    if (!s)
        return kz__code(err);
    tag_cursor tc = {0};
    tc.s = kz__stmt(st,
                    "SELECT it.ind, t.name FROM indicator_tags it JOIN tags t ON t.id = it.tag"
                    " WHERE it.ind > ?1 ORDER BY it.ind, it.pos",
                    err);
    if (!tc.s)
        return kz__code(err);
    kz__bind_i64(s, 1, after_seq);
    kz__bind_i64(s, 2, limit ? (int64_t)(limit > INT64_MAX ? INT64_MAX : limit) : -1);
    kz__bind_i64(tc.s, 1, after_seq);
    kz_buf tags;
    kz_buf_init(&tags);
    type_cache types = {0};
    size_t hint = 0;
    int r = 0, rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_feed_row row;
        row.seq = sqlite3_column_int64(s, 0);
        row.event = find_event(f, sqlite3_column_int64(s, 6), &hint);
        int t = type_of(&types, (const char *)sqlite3_column_text(s, 2));
        row.id = (const char *)sqlite3_column_text(s, 1);
        row.value = (const char *)sqlite3_column_text(s, 3);
        bool tagged = sqlite3_column_int(s, 7) != 0;
        if (tagged && (r = tags_for(st, &tc, row.seq, &tags, err)))
            break;
        if (!row.event || t < 0 || !row.id || !row.value)
            continue; /* cannot happen with the schema's constraints */
        row.type = (kz_ioc_type)t;
        row.tlp = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4);
        row.distribution =
            sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 5);
        row.tags = tagged && tags.len ? tags.p : NULL;
        row.warninglist = (const char *)sqlite3_column_text(s, 8);
        if ((r = fn(ctx, &row, err)))
            break;
    }
    if (r)
        kz__reset(s);
    else if (rc != SQLITE_DONE)
        r = kz__dberr(st, rc, err, "reading indicators for the match index");
    else
        kz__reset(s);
    kz__reset(tc.s);
    kz_buf_free(&tags);
    return r;
}

int kz_store_indicator_scan(kz_store *st, int64_t after_seq, size_t limit, kz_feed_fn fn,
                            void *ctx, size_t *n_events, kz_err *err)
{
    if (n_events)
        *n_events = 0;
    if (!fn)
        return kz_fail(err, KZ_E_INVALID, "", "indicator scan without a callback");
    feed f;
    memset(&f, 0, sizeof f);
    f.st = st;
    kz_arena_init(&f.a);
    bool snap = kz__read_begin(st);
    int r = load_events(&f, err);
    if (!r && n_events)
        *n_events = f.nev;
    if (!r)
        r = scan_rows(&f, after_seq, limit, fn, ctx, err);
    kz__read_end(st, snap);
    kz_arena_free(&f.a);
    return r;
}

/* ---- change detection ------------------------------------------------------ */

/* Every write an index depends on moves one of these: new indicators raise
 * max(seq); changed or deleted indicators and changed events (markings,
 * recipients, publication) raise their event's modified; deleted events
 * leave a tombstone; membership changes raise their community's modified or
 * change a count. Each is one index probe or a count of a small table. */
static const char SQL_FINGERPRINT[] =
    "SELECT (SELECT ifnull(max(seq), 0) FROM indicators),"
    " (SELECT ifnull(max(modified), 0) FROM events),"
    " (SELECT count(*) FROM events),"
    " (SELECT ifnull(max(seq), 0) FROM deletions),"
    " (SELECT ifnull(max(modified), 0) FROM communities),"
    " (SELECT count(*) FROM community_members),"
    " (SELECT ifnull(max(modified), 0) FROM sharing_groups),"
    " (SELECT count(*) FROM sharing_group_members),"
    " (SELECT count(*) FROM orgs)";

int kz_store_match_fingerprint(kz_store *st, uint64_t *out, kz_err *err)
{
    *out = 0;
    sqlite3_stmt *s = kz__stmt(st, "PRAGMA data_version", err);
    if (!s)
        return kz__code(err);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading the data version");
    int64_t dv = sqlite3_column_int64(s, 0);
    kz__reset(s);
    /* data_version only moves for commits of other connections; this one's
     * own writes show in its change counter. */
    int64_t tc = sqlite3_total_changes64(st->db);
    if (st->match_fp_valid && dv == st->match_dv && tc == st->match_tc) {
        *out = st->match_fp;
        return 0;
    }
    s = kz__stmt(st, SQL_FINGERPRINT, err);
    if (!s)
        return kz__code(err);
    rc = kz__step(st, s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading the match fingerprint");
    int64_t v[9];
    for (int i = 0; i < 9; i++)
        v[i] = sqlite3_column_int64(s, i);
    kz__reset(s);
    uint64_t fp = kz_hash64(v, sizeof v);
    st->match_fp_valid = true;
    st->match_dv = dv;
    st->match_tc = tc;
    st->match_fp = fp;
    *out = fp;
    return 0;
}
