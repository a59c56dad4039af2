/* indicators.c — writing and reading single indicators, and the bulk insert
 * path every import goes through. The bulk path is the hot loop of an import
 * of millions of rows, so it reuses one prepared statement, binds without
 * copying, allocates nothing per row, and touches the tag tables only for
 * indicators that have tags.
 */
#include "store_int.h"

static const char SQL_IND_INSERT[] =
    "INSERT INTO indicators(id, event_ref, type, value, to_ids, comment, first_seen, last_seen,"
    " tlp, distribution, created, modified, deleted, tagged, addr, prefix, rdomain,"
    " warninglist)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

static int check_indicator(const kz_indicator *x, size_t i, kz_err *err)
{
    char field[64];
    if (!kz_uuid_valid(x->id)) {
        snprintf(field, sizeof field, "indicators[%zu].id", i);
        return kz_fail(err, KZ_E_VALUE, field, "indicator id '%.64s' is not a UUID", x->id);
    }
    if ((unsigned)x->type >= KZ_IOC__COUNT || !kz_ioc_type_name(x->type)) {
        snprintf(field, sizeof field, "indicators[%zu].type", i);
        return kz_fail(err, KZ_E_VALUE, field, "indicator type %d is not valid", (int)x->type);
    }
    if (!x->value) {
        snprintf(field, sizeof field, "indicators[%zu].value", i);
        return kz_fail(err, KZ_E_VALUE, field, "indicator " KZ_ID_FMT " has no value", x->id);
    }
    if (x->tlp < -1 || x->tlp > KZ_TLP_RED) {
        snprintf(field, sizeof field, "indicators[%zu].tlp", i);
        return kz_fail(err, KZ_E_VALUE, field, "TLP %d is not valid", x->tlp);
    }
    if (x->distribution < -1 || x->distribution > KZ_DIST_SHARING_GROUP) {
        snprintf(field, sizeof field, "indicators[%zu].distribution", i);
        return kz_fail(err, KZ_E_VALUE, field, "distribution %d is not valid", x->distribution);
    }
    return 0;
}

/* Binds the columns shared by insert and update (?3 .. ?17, minus the
 * times, which differ). d must outlive the step. */
static void bind_common(sqlite3_stmt *s, const kz_indicator *x, const kz_derived *d)
{
    kz__bind_text(s, 3, kz_ioc_type_name(x->type));
    kz__bind_text(s, 4, x->value);
    sqlite3_bind_int(s, 5, x->to_ids ? 1 : 0);
    kz__bind_text(s, 6, x->comment);
    kz__bind_i64(s, 7, x->first_seen);
    kz__bind_i64(s, 8, x->last_seen);
    if (x->tlp >= 0)
        sqlite3_bind_int(s, 9, x->tlp);
    else
        sqlite3_bind_null(s, 9);
    if (x->distribution >= 0)
        sqlite3_bind_int(s, 10, x->distribution);
    else
        sqlite3_bind_null(s, 10);
    sqlite3_bind_int(s, 13, x->deleted ? 1 : 0);
    sqlite3_bind_int(s, 14, x->tags.n ? 1 : 0);
    if (d->has_addr) {
        sqlite3_bind_blob(s, 15, d->addr, 16, SQLITE_STATIC);
        sqlite3_bind_int(s, 16, d->prefix);
    } else {
        sqlite3_bind_null(s, 15);
        sqlite3_bind_null(s, 16);
    }
    if (d->has_rdomain)
        sqlite3_bind_text(s, 17, d->rdomain, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 17);
}

/* Search finds CIDRs containing an address by probing each prefix length in
 * use; this records a length the first time this connection writes it. */
static int note_prefix(kz_store *st, int prefix, kz_err *err)
{
    uint64_t bit = 1ull << (prefix % 64);
    if (st->prefixes_known[prefix / 64] & bit)
        return 0;
    sqlite3_stmt *s = kz__stmt(st, "INSERT OR IGNORE INTO ip_prefixes(len) VALUES (?1)", err);
    if (!s)
        return kz__code(err);
    sqlite3_bind_int(s, 1, prefix);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "recording a network prefix");
    st->prefixes_known[prefix / 64] |= bit;
    return 0;
}

static int insert_err(kz_store *st, const kz_indicator *x, size_t i, int rc, kz_err *err)
{
    char field[64];
    snprintf(field, sizeof field, "indicators[%zu].id", i);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, field, "indicator " KZ_ID_FMT " already exists", x->id);
    char what[64];
    snprintf(what, sizeof what, "storing indicator %zu", i);
    return kz__dberr(st, rc, err, what);
}

int kz__indicators_insert(kz_store *st, int64_t event_seq, const char *event_id,
                          const kz_indicator *inds, size_t n, kz_err *err)
{
    (void)event_id;
    sqlite3_stmt *s = kz__stmt(st, SQL_IND_INSERT, err);
    if (!s)
        return kz__code(err);
    kz_time now = kz_time_now();
    kz__bind_i64(s, 2, event_seq); /* bindings survive sqlite3_reset */
    kz_derived d;
    for (size_t i = 0; i < n; i++) {
        const kz_indicator *x = &inds[i];
        int r = check_indicator(x, i, err);
        if (r)
            return r;
        kz__derive(x->type, x->value, &d);
        kz__bind_text(s, 1, x->id);
        bind_common(s, x, &d);
        kz__wl_bind(s, 18, 0, x);
        kz_time created = x->created ? x->created : now;
        kz__bind_i64(s, 11, created);
        kz__bind_i64(s, 12, x->modified ? x->modified : created);
        int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) {
            snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
            sqlite3_reset(s);
            return insert_err(st, x, i, rc, err);
        }
        sqlite3_reset(s);
        if (x->tags.n) {
            r = kz__indicator_tags_write(st, sqlite3_last_insert_rowid(st->db), &x->tags, err);
            if (r)
                return r;
        }
        if (d.has_addr && d.prefix < 128) {
            r = note_prefix(st, d.prefix, err);
            if (r)
                return r;
        }
    }
    return 0;
}

int kz_store_indicators_add(kz_store *st, const char *event_id, const kz_indicator *inds, size_t n,
                            kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0;
    r = kz__event_seq(st, event_id, &seq, err);
    if (!r)
        r = kz__indicators_insert(st, seq, event_id, inds, n, err);
    if (!r && n)
        r = kz__event_touch(st, seq, 0, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_indicator_get(kz_store *st, const char *id, kz_arena *a, kz_indicator *out,
                           kz_err *err)
{
    memset(out, 0, sizeof *out);
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " KZ_IND_COLS ", e.id FROM indicators i"
                               " JOIN events e ON e.seq = i.event_ref WHERE i.id = ?1",
                               err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        r = kz_fail(err, KZ_E_NOTFOUND, "", "indicator " KZ_ID_FMT " not found", id ? id : "");
        goto out;
    }
    if (rc != SQLITE_ROW) {
        r = kz__dberr(st, rc, err, "reading an indicator");
        goto out;
    }
    kz_rd rd = {s, a, false};
    bool tagged;
    int64_t seq = kz__indicator_read(&rd, 0, out, &tagged);
    kz__col_uuid(&rd, KZ_IND_NCOLS, out->event_id);
    kz__reset(s);
    if (rd.oom)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    else if (tagged)
        r = kz__indicator_tags_load(st, seq, a, &out->tags, err);
out:
    kz__read_end(st, snap);
    return r;
}

/* seq and event of an indicator by id. */
static int find_indicator(kz_store *st, const char *id, int64_t *seq, int64_t *event_seq,
                          kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq, event_ref FROM indicators WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
        *event_seq = sqlite3_column_int64(s, 1);
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an indicator");
    kz__reset(s);
    return kz_fail(err, KZ_E_NOTFOUND, "", "indicator " KZ_ID_FMT " not found", id ? id : "");
}

int kz_store_indicator_update(kz_store *st, const kz_indicator *ind, kz_err *err)
{
    int r = check_indicator(ind, 0, err);
    if (r) {
        /* A single indicator has no batch position to name. */
        if (err && strncmp(err->field, "indicators[0].", 14) == 0)
            memmove(err->field, err->field + 14, strlen(err->field + 14) + 1);
        return r;
    }
    r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0, event_seq = 0;
    kz_derived d;
    kz__derive(ind->type, ind->value, &d);
    r = find_indicator(st, ind->id, &seq, &event_seq, err);
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "UPDATE indicators SET type = ?3, value = ?4, to_ids = ?5,"
                             " comment = ?6, first_seen = ?7, last_seen = ?8, tlp = ?9,"
                             " distribution = ?10, modified = max(modified + 1, ?12),"
                             " deleted = ?13, tagged = ?14, addr = ?15, prefix = ?16,"
                             " rdomain = ?17,"
                             " warninglist = CASE WHEN ?19 THEN ?18 ELSE warninglist END"
                             " WHERE seq = ?1",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        bind_common(s, ind, &d);
        kz__wl_bind(s, 18, 19, ind);
        kz__bind_i64(s, 12, ind->modified ? ind->modified : kz_time_now());
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "updating an indicator");
    }
    if (!r && !(s = kz__stmt(st, "DELETE FROM indicator_tags WHERE ind = ?1", err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_i64(s, 1, seq);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "updating indicator tags");
    }
    if (!r && ind->tags.n)
        r = kz__indicator_tags_write(st, seq, &ind->tags, err);
    if (!r && d.has_addr && d.prefix < 128)
        r = note_prefix(st, d.prefix, err);
    if (!r)
        r = kz__event_touch(st, event_seq, 0, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

int kz_store_indicator_delete(kz_store *st, const char *id, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    int64_t seq = 0, event_seq = 0;
    r = find_indicator(st, id, &seq, &event_seq, err);
    /* Its tags and sightings first (no cascade: see migrations.c). */
    static const char *const sql[] = {
        "DELETE FROM indicator_tags WHERE ind = ?1",
        "DELETE FROM sightings WHERE ind = ?1",
        "DELETE FROM indicators WHERE seq = ?1",
    };
    for (size_t i = 0; !r && i < KZ_ARRAY_LEN(sql); i++) {
        sqlite3_stmt *s = kz__stmt(st, sql[i], err);
        if (!s) {
            r = kz__code(err);
            break;
        }
        kz__bind_i64(s, 1, seq);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "deleting an indicator");
    }
    if (!r)
        r = kz__tombstone(st, "indicator", id, kz_time_now(), err);
    if (!r)
        r = kz__event_touch(st, event_seq, 0, err);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}
