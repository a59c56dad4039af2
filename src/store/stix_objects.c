/* stix_objects.c — STIX 2.1 objects as received, every version, in the
 * order the node got them.
 *
 * The table is shaped for TAXII (see migration_3_stix.c): date_added is the
 * node's strictly increasing clock, the default "latest version" view is a
 * flag on the row, and the three indexes answer the three ways TAXII asks:
 * everything after a point (date_added), one object's versions (the key of
 * its id: migration 16, stix_keys.c), one type after a point (type,
 * date_added). A listing over several types or ids runs one ordered index
 * range per member and merges them, so a page never needs a sort of
 * everything that matches.
 */
#include "store_int.h"

#include <stdlib.h>

#define STIX_MAX_LIMIT 10000
#define STIX_DEFAULT_LIMIT 1000
/* A set filter (types, ids) with more members is refused: each member is
 * one index range per page. */
#define STIX_MAX_SET 1000

/* ---- what is known about an id ------------------------------------------- */

typedef struct known_row {
    int64_t versions;
    int64_t min_vkey, max_vkey;
    bool has_vkey;
    int64_t event_seq; /* of the latest version; 0 = none */
    kz_uuid event_id;
} known_row;

/* The common case on import is an id never seen: one index probe answers
 * it, and the event of the latest version is only asked for when there is
 * one. */
static const char SQL_KNOWN[] =
    "SELECT count(*), min(vkey), max(vkey), ifnull(sum(vkey = ?2), 0)"
    " FROM stix_objects WHERE idk = kz_stix_key(?1) AND id = ?1";
static const char SQL_KNOWN_EVENT[] =
    "SELECT o.event_ref, e.id FROM stix_objects o LEFT JOIN events e ON e.seq = o.event_ref"
    " WHERE o.idk = kz_stix_key(?1) AND o.id = ?1 ORDER BY o.vkey DESC LIMIT 1";

static int known_get(kz_store *st, const char *id, kz_time vkey, known_row *k, kz_err *err)
{
    memset(k, 0, sizeof *k);
    sqlite3_stmt *s = kz__stmt(st, SQL_KNOWN, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    kz__bind_i64(s, 2, vkey);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "looking up a STIX object");
    k->versions = sqlite3_column_int64(s, 0);
    k->min_vkey = sqlite3_column_int64(s, 1);
    k->max_vkey = sqlite3_column_int64(s, 2);
    k->has_vkey = sqlite3_column_int64(s, 3) > 0;
    kz__reset(s);
    if (k->versions == 0)
        return 0;
    if (!(s = kz__stmt(st, SQL_KNOWN_EVENT, err)))
        return kz__code(err);
    kz__bind_text(s, 1, id);
    rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        k->event_seq = sqlite3_column_int64(s, 0);
        const char *e = (const char *)sqlite3_column_text(s, 1);
        if (e)
            snprintf(k->event_id, sizeof k->event_id, "%s", e);
    } else if (rc != SQLITE_DONE) {
        return kz__dberr(st, rc, err, "looking up a STIX object");
    }
    kz__reset(s);
    return 0;
}

int kz_store_stix_lookup(kz_store *st, const char *id, kz_time vkey, kz_stix_known *out,
                         kz_err *err)
{
    memset(out, 0, sizeof *out);
    known_row k;
    int r = known_get(st, id ? id : "", vkey, &k, err);
    if (r)
        return r;
    out->n_versions = (size_t)k.versions;
    out->has_vkey = k.has_vkey;
    out->min_vkey = k.min_vkey;
    out->max_vkey = k.max_vkey;
    memcpy(out->event_id, k.event_id, sizeof out->event_id);
    return 0;
}

/* b := the JSON array text of strings, for json_each(); -1 when out of
 * memory. */
static int json_strings_into(kz_buf *b, const char *const *v, size_t n)
{
    int bad = 0;
    kz_buf_reset(b);
    bad |= kz_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bad |= kz_buf_puts(b, i ? ",\"" : "\"");
        const char *s = v[i] ? v[i] : "";
        if (kz_json_plain(s)) /* most are: whole, not byte by byte */
            bad |= kz_buf_puts(b, s);
        else
            for (const char *p = s; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c == '"' || c == '\\')
                    bad |= kz_buf_printf(b, "\\%c", c);
                else if (c < 0x20)
                    bad |= kz_buf_printf(b, "\\u%04x", c);
                else
                    bad |= kz_buf_putc(b, (char)c);
            }
        bad |= kz_buf_putc(b, '"');
    }
    bad |= kz_buf_putc(b, ']');
    return bad ? -1 : 0;
}

/* Ids asked per statement: the JSON array of them stays a few MiB. */
#define ABSENT_BATCH 65536

/* An id to ask for: its key (the index's order) and where it is in ids. */
typedef struct asked_id {
    int64_t key;
    size_t pos;
} asked_id;

static int by_key(const void *x, const void *y)
{
    const asked_id *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key;
}

/* ids[from, to) as a JSON array of those that can be written plainly (the
 * rest are looked up one by one as before), in key order (the look-ups
 * then walk the index once instead of jumping all over it: random order
 * took twice as long); want[k].pos is the index of the array's k-th id,
 * sorted[k] the id. -1 when out of memory. */
static int absent_array(const kz_store *st, const char *const *ids, size_t from, size_t to,
                        asked_id *want, const char **sorted, kz_buf *b, size_t *k)
{
    *k = 0;
    for (size_t i = from; i < to; i++)
        if (ids[i] && kz_json_plain(ids[i]))
            want[(*k)++] = (asked_id){kz__stix_key(st, ids[i], strlen(ids[i])), i};
    qsort(want, *k, sizeof *want, by_key);
    for (size_t j = 0; j < *k; j++)
        sorted[j] = ids[want[j].pos];
    return json_strings_into(b, sorted, *k);
}

int kz_store_stix_absent(kz_store *st, const char *const *ids, size_t n, bool *absent,
                         kz_err *err)
{
    memset(absent, 0, n * sizeof *absent);
    size_t batch = n < ABSENT_BATCH ? n : ABSENT_BATCH;
    asked_id *want = malloc(batch * sizeof *want + 1);
    const char **sorted = malloc(batch * sizeof *sorted + 1);
    if (!want || !sorted) {
        free(want);
        free(sorted);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    kz_buf b;
    kz_buf_init(&b);
    int r = 0;
    for (size_t from = 0; !r && from < n; from += ABSENT_BATCH) {
        size_t to = n - from < ABSENT_BATCH ? n : from + ABSENT_BATCH;
        size_t k;
        if (absent_array(st, ids, from, to, want, sorted, &b, &k)) {
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            break;
        }
        for (size_t j = 0; j < k; j++)
            absent[want[j].pos] = true;
        /* key is the position in the array of an id the node holds. */
        sqlite3_stmt *s = kz__stmt(st,
                                   "SELECT j.key FROM json_each(?1) j WHERE EXISTS"
                                   " (SELECT 1 FROM stix_objects o"
                                   " WHERE o.idk = kz_stix_key(j.value) AND o.id = j.value)",
                                   err);
        if (!s) {
            r = kz__code(err);
            break;
        }
        sqlite3_bind_text(s, 1, b.p, (int)b.len, SQLITE_STATIC);
        int rc;
        while ((rc = kz__step(st, s)) == SQLITE_ROW) {
            int64_t key = sqlite3_column_int64(s, 0);
            if (key >= 0 && (size_t)key < k)
                absent[want[key].pos] = false;
        }
        if (rc != SQLITE_DONE)
            r = kz__dberr(st, rc, err, "looking up STIX objects");
        kz__reset(s);
        sqlite3_clear_bindings(s); /* the text goes with b */
    }
    if (r)
        memset(absent, 0, n * sizeof *absent);
    kz_buf_free(&b);
    free(want);
    free(sorted);
    return r;
}

/* ---- storing ------------------------------------------------------------- */

static int check_obj(const kz_stix_obj *o, size_t i, kz_err *err)
{
    if (!o->id || !*o->id || strlen(o->id) > 300)
        return kz_fail(err, KZ_E_VALUE, "id", "STIX object %zu has no usable id", i);
    if (!o->type || !*o->type || strlen(o->type) > 250)
        return kz_fail(err, KZ_E_VALUE, "type", "STIX object " KZ_ID_FMT " has no type", o->id);
    if (!o->json || o->json_len == 0)
        return kz_fail(err, KZ_E_VALUE, "json", "STIX object " KZ_ID_FMT " has no JSON text",
                       o->id);
    if (!kz_tlp_name(o->tlp))
        return kz_fail(err, KZ_E_VALUE, "tlp", "STIX object " KZ_ID_FMT ": TLP %d is not valid",
                       o->id, (int)o->tlp);
    if (!kz_uuid_valid(o->owner_org))
        return kz_fail(err, KZ_E_VALUE, "owner_org",
                       "STIX object " KZ_ID_FMT ": owner org '%.64s' is not a UUID", o->id,
                       o->owner_org);
    return 0;
}

static int last_added(kz_store *st, kz_time *out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT ifnull(max(date_added), 0) FROM stix_objects", err);
    if (!s)
        return kz__code(err);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading the STIX clock");
    *out = sqlite3_column_int64(s, 0);
    kz__reset(s);
    return 0;
}

static int run_id_update(kz_store *st, const char *sql, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "updating STIX versions") : 0;
}

/* The seq of an event by id, remembering the last one asked for: a batch
 * usually puts all its objects into one or two events. */
typedef struct event_cache {
    kz_uuid id;
    int64_t seq;
} event_cache;

static int event_seq_cached(kz_store *st, event_cache *c, const char *id, int64_t *seq,
                            kz_err *err)
{
    if (c->seq && strcmp(c->id, id) == 0) {
        *seq = c->seq;
        return 0;
    }
    int r = kz__event_seq(st, id, seq, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, "event_id", "event " KZ_ID_FMT " does not exist", id);
    if (r)
        return r;
    snprintf(c->id, sizeof c->id, "%s", id);
    c->seq = *seq;
    return 0;
}

static const char SQL_INSERT[] =
    "INSERT INTO stix_objects(id, type, spec_version, created, modified, vkey, date_added,"
    " is_first, is_last, created_by_ref, tlp, owner_org, event_ref, revoked, json, ind_ids, idk)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

/* The kz indicator ids of a version as the JSON array the ind_ids column
 * holds (ids are UUIDs: nothing to escape); empty when there are none. */
static void ids_json(const kz_strlist *ids, kz_buf *b)
{
    kz_buf_reset(b);
    if (!ids || ids->n == 0)
        return;
    kz_buf_putc(b, '[');
    for (size_t i = 0; i < ids->n; i++) {
        kz_buf_puts(b, i ? ",\"" : "\"");
        kz_buf_puts(b, ids->v[i]);
        kz_buf_putc(b, '"');
    }
    kz_buf_putc(b, ']');
}

static int put_one(kz_store *st, kz_stix_obj *o, kz_time *clock, event_cache *ec, kz_buf *ids,
                   kz_stix_put_status *status, kz_err *err)
{
    known_row k;
    int r = 0;
    if (o->known && o->known->n_versions == 0) {
        /* The caller just asked, in this transaction: a new id. */
        memset(&k, 0, sizeof k);
    } else if ((r = known_get(st, o->id, o->vkey, &k, err))) {
        return r;
    }
    if (k.has_vkey) {
        *status = KZ_STIX_DUPLICATE;
        return 0;
    }
    o->is_first = k.versions == 0 || o->vkey < k.min_vkey;
    o->is_last = k.versions == 0 || o->vkey > k.max_vkey;
    if (k.versions && o->is_last &&
        (r = run_id_update(st,
                           "UPDATE stix_objects SET is_last = 0"
                           " WHERE idk = kz_stix_key(?1) AND id = ?1 AND is_last = 1",
                           o->id, err)))
        return r;
    if (k.versions && o->is_first &&
        (r = run_id_update(st,
                           "UPDATE stix_objects SET is_first = 0"
                           " WHERE idk = kz_stix_key(?1) AND id = ?1 AND is_first = 1",
                           o->id, err)))
        return r;
    int64_t ev = 0;
    if (o->event_id[0]) {
        if ((r = event_seq_cached(st, ec, o->event_id, &ev, err)))
            return r;
    } else if (k.event_seq) {
        ev = k.event_seq;
        memcpy(o->event_id, k.event_id, sizeof o->event_id);
    }
    /* Strictly increasing even when the wall clock steps back or many rows
     * land in the same microsecond. */
    kz_time now = kz_time_now();
    o->date_added = now > *clock ? now : *clock + 1;
    *clock = o->date_added;

    sqlite3_stmt *s = kz__stmt(st, SQL_INSERT, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, o->id);
    kz__bind_text(s, 2, o->type);
    kz__bind_text(s, 3, o->spec_version && *o->spec_version ? o->spec_version : "2.1");
    kz__bind_i64(s, 4, o->created);
    kz__bind_i64(s, 5, o->modified);
    kz__bind_i64(s, 6, o->vkey);
    kz__bind_i64(s, 7, o->date_added);
    sqlite3_bind_int(s, 8, o->is_first);
    sqlite3_bind_int(s, 9, o->is_last);
    kz__bind_text(s, 10, o->created_by_ref);
    sqlite3_bind_int(s, 11, (int)o->tlp);
    kz__bind_text(s, 12, o->owner_org);
    if (ev)
        kz__bind_i64(s, 13, ev);
    else
        sqlite3_bind_null(s, 13);
    sqlite3_bind_int(s, 14, o->revoked);
    sqlite3_bind_text(s, 15, o->json, (int)o->json_len, SQLITE_STATIC);
    ids_json(o->ind_ids, ids);
    if (ids->len)
        sqlite3_bind_text(s, 16, ids->p, (int)ids->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 16);
    kz__bind_i64(s, 17, kz__stix_key(st, o->id, strlen(o->id)));
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "storing a STIX object");
    o->seq = sqlite3_last_insert_rowid(st->db);
    *status = k.versions ? KZ_STIX_STORED_VERSION : KZ_STIX_STORED_NEW;
    return 0;
}

int kz_store_stix_put(kz_store *st, kz_stix_obj *objs, size_t n, kz_stix_put_status *status,
                      kz_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int r = check_obj(&objs[i], i, err);
        if (r)
            return r;
        if (objs[i].json_len > INT32_MAX)
            return kz_fail(err, KZ_E_TOOLARGE, "json", "STIX object " KZ_ID_FMT " is too large",
                           objs[i].id);
    }
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    kz_time clock = 0;
    event_cache ec = {.seq = 0};
    kz_buf ids;
    kz_buf_init(&ids);
    r = last_added(st, &clock, err);
    for (size_t i = 0; !r && i < n; i++) {
        kz_stix_put_status one = KZ_STIX_DUPLICATE;
        r = put_one(st, &objs[i], &clock, &ec, &ids, &one, err);
        if (!r && status)
            status[i] = one;
    }
    kz_buf_free(&ids);
    if (r)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

/* ---- bulk loading -------------------------------------------------------- */

/* One B-tree insert per row into a random place of the id keys costs more
 * than the row itself; CREATE INDEX over the finished table sorts once. The
 * same holds for the indicators made from the objects (value, address,
 * domain), when there are none yet. What stays: the indexes whose inserts
 * land at or near their end anyway, cheaper kept than rebuilt with one more
 * pass over the wide object rows (date_added, which the clock of
 * kz_store_stix_put also reads; (type, date_added) with its few types; the
 * event, as objects arrive event by event; the indicators' time-ordered
 * ids and events) or rare (hash parts). */
typedef struct bulk_index {
    const char *table, *name, *drop;
} bulk_index;

static const bulk_index BULK_INDEXES[] = {
    {"stix_objects", "stix_objects_id_key", "DROP INDEX stix_objects_id_key"},
    {"indicators", "indicators_value", "DROP INDEX indicators_value"},
    {"indicators", "indicators_addr", "DROP INDEX indicators_addr"},
    {"indicators", "indicators_rdomain", "DROP INDEX indicators_rdomain"},
};

static int table_empty(kz_store *st, const char *sql, bool *empty, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW) {
        rc = kz__dberr(st, rc, err, "counting rows");
        kz__reset(s);
        return rc;
    }
    *empty = sqlite3_column_int(s, 0) == 0;
    kz__reset(s);
    return 0;
}

int kz_store_stix_bulk_begin(kz_store *st, kz_arena *a, kz_strlist *saved, kz_err *err)
{
    memset(saved, 0, sizeof *saved);
    if (st->depth == 0)
        return kz_fail(err, KZ_E_INTERNAL, "",
                       "dropping the STIX indexes needs the caller's transaction");
    bool no_objects = false, no_indicators = false;
    int rc = table_empty(st, "SELECT EXISTS(SELECT 1 FROM stix_objects)", &no_objects, err);
    if (!rc && no_objects)
        rc = table_empty(st, "SELECT EXISTS(SELECT 1 FROM indicators)", &no_indicators, err);
    if (rc || !no_objects)
        return rc;
    for (size_t i = 0; i < sizeof BULK_INDEXES / sizeof *BULK_INDEXES; i++) {
        const bulk_index *b = &BULK_INDEXES[i];
        if (!no_indicators && strcmp(b->table, "indicators") == 0)
            continue;
        sqlite3_stmt *s = kz__stmt(st,
                                   "SELECT sql FROM sqlite_master WHERE type = 'index'"
                                   " AND name = ?1 AND tbl_name = ?2 AND sql IS NOT NULL",
                                   err);
        if (!s)
            return kz__code(err);
        kz__bind_text(s, 1, b->name);
        kz__bind_text(s, 2, b->table);
        rc = kz__step(st, s);
        if (rc == SQLITE_DONE) {
            kz__reset(s);
            continue;
        }
        if (rc != SQLITE_ROW) {
            rc = kz__dberr(st, rc, err, "reading the STIX indexes");
            kz__reset(s);
            return rc;
        }
        int pr = kz_strlist_push(a, saved, (const char *)sqlite3_column_text(s, 0));
        kz__reset(s);
        if (pr)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        if ((rc = kz__exec(st, b->drop, err)))
            return rc;
    }
    return 0;
}

int kz_store_stix_bulk_end(kz_store *st, const kz_strlist *saved, kz_err *err)
{
    for (size_t i = 0; i < saved->n; i++) {
        int rc = kz__exec(st, saved->v[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- listing ------------------------------------------------------------- */

/* Shape of one listing statement: the filters present. The statement for
 * each shape is prepared once per connection (kz__stmt_dyn). */
enum {
    QF_TYPE = 1 << 0,    /* one type: o.type = ?3 */
    QF_ID = 1 << 1,      /* one id: o.id = ?4 */
    QF_SPEC = 1 << 2,    /* spec versions: json array ?5 */
    QF_ALL = 1 << 3,     /* no version filter */
    QF_FIRST = 1 << 4,
    QF_LAST = 1 << 5,
    QF_AT = 1 << 6,      /* exact versions: json array ?6 */
    QF_TLP = 1 << 7,     /* ?7 */
    QF_OWNER = 1 << 8,   /* ?8 */
    QF_EVENT = 1 << 9,   /* ?9 (event id) */
    QF_META = 1 << 10,   /* no json column */
};
#define QF_TAG 0x53000000u /* 'S': keeps these keys apart from other dynamic SQL */

#define STIX_COLS                                                                                  \
    "o.seq, o.id, o.type, o.spec_version, o.created, o.modified, o.vkey, o.date_added,"            \
    " o.created_by_ref, o.tlp, o.owner_org, e.id, o.revoked, o.is_first, o.is_last"
#define STIX_NCOLS 15

static void build_list(uint32_t key, kz_buf *b)
{
    kz_buf_puts(b, "SELECT " STIX_COLS);
    kz_buf_puts(b, (key & QF_META) ? ", NULL" : ", o.json");
    kz_buf_puts(b, " FROM stix_objects o LEFT JOIN events e ON e.seq = o.event_ref"
                   " WHERE (o.date_added, o.seq) > (?1, ?2)");
    if (key & QF_TYPE)
        kz_buf_puts(b, " AND o.type = ?3");
    if (key & QF_ID)
        kz_buf_puts(b, " AND o.idk = kz_stix_key(?4) AND o.id = ?4");
    if (key & QF_SPEC)
        kz_buf_puts(b, " AND o.spec_version IN (SELECT value FROM json_each(?5))");
    if (!(key & QF_ALL)) {
        const char *sep = " AND (";
        if (key & QF_LAST) {
            kz_buf_printf(b, "%so.is_last = 1", sep);
            sep = " OR ";
        }
        if (key & QF_FIRST) {
            kz_buf_printf(b, "%so.is_first = 1", sep);
            sep = " OR ";
        }
        if (key & QF_AT)
            kz_buf_printf(b,
                          "%so.vkey IN (SELECT value FROM json_each(?6))"
                          " OR (o.vkey = 0 AND o.date_added IN (SELECT value FROM json_each(?6)))",
                          sep);
        kz_buf_puts(b, ")");
    }
    if (key & QF_TLP)
        kz_buf_puts(b, " AND o.tlp <= ?7");
    if (key & QF_OWNER)
        kz_buf_puts(b, " AND o.owner_org = ?8");
    if (key & QF_EVENT)
        kz_buf_puts(b, " AND o.event_ref = (SELECT seq FROM events WHERE id = ?9)");
    kz_buf_puts(b, " ORDER BY o.date_added, o.seq LIMIT ?10");
}

static void read_row(kz_rd *rd, kz_stix_obj *o)
{
    memset(o, 0, sizeof *o);
    sqlite3_stmt *s = rd->s;
    o->seq = kz__col_i64(rd, 0);
    o->id = kz__col_str(rd, 1);
    o->type = kz__col_str(rd, 2);
    o->spec_version = kz__col_str(rd, 3);
    o->created = kz__col_i64(rd, 4);
    o->modified = kz__col_i64(rd, 5);
    o->vkey = kz__col_i64(rd, 6);
    o->date_added = kz__col_i64(rd, 7);
    o->created_by_ref = kz__col_str(rd, 8);
    o->tlp = (kz_tlp)kz__col_int(rd, 9);
    kz__col_uuid(rd, 10, o->owner_org);
    kz__col_uuid(rd, 11, o->event_id);
    o->revoked = kz__col_int(rd, 12) != 0;
    o->is_first = kz__col_int(rd, 13) != 0;
    o->is_last = kz__col_int(rd, 14) != 0;
    if (sqlite3_column_type(s, STIX_NCOLS) != SQLITE_NULL) {
        o->json = kz__col_str(rd, STIX_NCOLS);
        o->json_len = (size_t)sqlite3_column_bytes(s, STIX_NCOLS);
    }
}

/* json_strings_into, copied into a. */
static char *json_strings(kz_arena *a, const char *const *v, size_t n)
{
    kz_buf b;
    kz_buf_init(&b);
    char *out = json_strings_into(&b, v, n) ? NULL : kz_arena_strndup(a, b.p, b.len);
    kz_buf_free(&b);
    return out;
}

static char *json_times(kz_arena *a, const kz_time *v, size_t n)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        kz_buf_printf(&b, "%s%lld", i ? "," : "", (long long)v[i]);
    kz_buf_putc(&b, ']');
    char *out = b.p ? kz_arena_strndup(a, b.p, b.len) : NULL;
    kz_buf_free(&b);
    return out;
}

typedef struct rows {
    kz_stix_obj *v;
    size_t n, cap;
} rows;

/* One ordered index range: at most limit rows for one type and/or id (either
 * may be NULL), appended to out. */
static int run_one(kz_store *st, const kz_stix_query *q, uint32_t key, const char *type,
                   const char *id, const char *spec_json, const char *at_json, size_t limit,
                   kz_arena *a, rows *out, kz_err *err)
{
    if (type)
        key |= QF_TYPE;
    if (id)
        key |= QF_ID;
    sqlite3_stmt *s = kz__stmt_dyn(st, QF_TAG | key, build_list, err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, q->after_added);
    kz__bind_i64(s, 2, q->after_seq);
    if (type)
        kz__bind_text(s, 3, type);
    if (id)
        kz__bind_text(s, 4, id);
    if (key & QF_SPEC)
        kz__bind_text(s, 5, spec_json);
    if (key & QF_AT)
        kz__bind_text(s, 6, at_json);
    if (key & QF_TLP)
        sqlite3_bind_int(s, 7, q->tlp_max);
    if (key & QF_OWNER)
        kz__bind_text(s, 8, q->owner_org);
    if (key & QF_EVENT)
        kz__bind_text(s, 9, q->event_id);
    kz__bind_i64(s, 10, (int64_t)limit);
    kz_rd rd = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_stix_obj *nv = kz__grow(a, out->v, out->n, &out->cap, sizeof *out->v);
        if (!nv) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        out->v = nv;
        read_row(&rd, &out->v[out->n++]);
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "listing STIX objects");
    kz__reset(s);
    return rd.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

static int cmp_added(const void *x, const void *y)
{
    const kz_stix_obj *a = x, *b = y;
    if (a->date_added != b->date_added)
        return a->date_added < b->date_added ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Loads the event of each row (once per distinct event). */
static int attach_events(kz_store *st, kz_stix_obj *v, size_t n, kz_arena *a, kz_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!v[i].event_id[0] || v[i].event)
            continue;
        kz_event *ev = kz_arena_alloc(a, sizeof *ev);
        if (!ev)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        int r = kz_store_event_get(st, v[i].event_id, false, a, ev, err);
        if (r)
            return r;
        for (size_t j = i; j < n; j++)
            if (!v[j].event && strcmp(v[j].event_id, ev->id) == 0)
                v[j].event = ev;
    }
    return 0;
}

static int check_query(const kz_stix_query *q, kz_err *err)
{
    if (q->n_types > STIX_MAX_SET)
        return kz_fail(err, KZ_E_VALUE, "match[type]", "at most %d types per query",
                       STIX_MAX_SET);
    if (q->n_ids > STIX_MAX_SET)
        return kz_fail(err, KZ_E_VALUE, "match[id]", "at most %d ids per query", STIX_MAX_SET);
    if (q->limit > STIX_MAX_LIMIT)
        return kz_fail(err, KZ_E_VALUE, "limit", "limit %zu is above %d", q->limit,
                       STIX_MAX_LIMIT);
    if (q->versions.all && (q->versions.first || q->versions.last || q->versions.n_at))
        return kz_fail(err, KZ_E_VALUE, "match[version]",
                       "'all' cannot be combined with other versions");
    if (q->tlp_max >= 0 && !kz_tlp_name((kz_tlp)q->tlp_max))
        return kz_fail(err, KZ_E_VALUE, "tlp_max", "TLP %d is not valid", q->tlp_max);
    return 0;
}

int kz_store_stix_list(kz_store *st, const kz_stix_query *q, kz_arena *a, kz_stix_obj **out,
                       size_t *n, bool *more, kz_err *err)
{
    *out = NULL;
    *n = 0;
    if (more)
        *more = false;
    int r = check_query(q, err);
    if (r)
        return r;
    size_t limit = q->limit ? q->limit : STIX_DEFAULT_LIMIT;
    uint32_t key = 0;
    const kz_stix_versions *v = &q->versions;
    if (v->all)
        key |= QF_ALL;
    else {
        if (v->last || (!v->first && !v->n_at))
            key |= QF_LAST;
        if (v->first)
            key |= QF_FIRST;
        if (v->n_at)
            key |= QF_AT;
    }
    if (q->n_spec_versions)
        key |= QF_SPEC;
    if (q->tlp_max >= 0)
        key |= QF_TLP;
    if (q->owner_org)
        key |= QF_OWNER;
    if (q->event_id)
        key |= QF_EVENT;
    if (q->meta_only)
        key |= QF_META;
    char *spec_json = NULL, *at_json = NULL;
    if ((key & QF_SPEC) && !(spec_json = json_strings(a, q->spec_versions, q->n_spec_versions)))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if ((key & QF_AT) && !(at_json = json_times(a, v->at, v->n_at)))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");

    /* One range per (type, id) member, each at most limit + 1 rows (the +1
     * tells whether there is more); merged by date_added below. */
    rows got = {0};
    size_t nt = q->n_types ? q->n_types : 1, ni = q->n_ids ? q->n_ids : 1;
    bool snap = kz__read_begin(st);
    for (size_t ti = 0; !r && ti < nt; ti++)
        for (size_t ii = 0; !r && ii < ni; ii++)
            r = run_one(st, q, key, q->n_types ? q->types[ti] : NULL,
                        q->n_ids ? q->ids[ii] : NULL, spec_json, at_json, limit + 1, a, &got,
                        err);
    if (!r && nt * ni > 1 && got.n > 1)
        qsort(got.v, got.n, sizeof *got.v, cmp_added);
    /* The same id listed twice, or a type listed twice, gives a row twice. */
    if (!r && nt * ni > 1) {
        size_t w = 0;
        for (size_t i = 0; i < got.n; i++)
            if (w == 0 || got.v[w - 1].seq != got.v[i].seq)
                got.v[w++] = got.v[i];
        got.n = w;
    }
    if (!r && got.n > limit) {
        got.n = limit;
        if (more)
            *more = true;
    }
    if (!r && q->with_event)
        r = attach_events(st, got.v, got.n, a, err);
    kz__read_end(st, snap);
    if (r)
        return r;
    *out = got.v;
    *n = got.n;
    return 0;
}

int kz_store_stix_get(kz_store *st, const char *id, const kz_stix_versions *v, kz_arena *a,
                      kz_stix_obj **out, size_t *n, kz_err *err)
{
    kz_stix_query q = {.ids = &id, .n_ids = 1, .tlp_max = -1, .limit = STIX_MAX_LIMIT};
    if (v)
        q.versions = *v;
    else
        q.versions.all = true;
    int r = kz_store_stix_list(st, &q, a, out, n, NULL, err);
    if (!r && *n == 0)
        r = kz_fail(err, KZ_E_NOTFOUND, "", "no STIX object " KZ_ID_FMT, id ? id : "");
    return r;
}

/* ---- deleting ------------------------------------------------------------ */

int kz_store_stix_delete(kz_store *st, const char *id, const kz_stix_versions *v,
                         const char *const *spec_versions, size_t n_spec_versions,
                         size_t *deleted, kz_err *err)
{
    if (deleted)
        *deleted = 0;
    kz_arena a;
    kz_arena_init(&a);
    int r = kz_store_begin(st, err);
    if (r) {
        kz_arena_free(&a);
        return r;
    }
    kz_stix_query q = {.ids = &id,
                       .n_ids = 1,
                       .spec_versions = spec_versions,
                       .n_spec_versions = n_spec_versions,
                       .tlp_max = -1,
                       .limit = STIX_MAX_LIMIT,
                       .meta_only = true};
    if (v)
        q.versions = *v;
    else
        q.versions.all = true;
    kz_stix_obj *rows_v = NULL;
    size_t nrows = 0;
    r = kz_store_stix_list(st, &q, &a, &rows_v, &nrows, NULL, err);
    for (size_t i = 0; !r && i < nrows; i++) {
        sqlite3_stmt *s = kz__stmt(st, "DELETE FROM stix_objects WHERE seq = ?1", err);
        if (!s) {
            r = kz__code(err);
            break;
        }
        kz__bind_i64(s, 1, rows_v[i].seq);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "deleting a STIX object");
    }
    if (!r && nrows)
        r = run_id_update(st,
                          "UPDATE stix_objects SET"
                          " is_first = (vkey = (SELECT min(vkey) FROM stix_objects"
                          " WHERE idk = kz_stix_key(?1) AND id = ?1)),"
                          " is_last = (vkey = (SELECT max(vkey) FROM stix_objects"
                          " WHERE idk = kz_stix_key(?1) AND id = ?1))"
                          " WHERE idk = kz_stix_key(?1) AND id = ?1",
                          id, err);
    kz_arena_free(&a);
    if (r)
        return kz__fail_txn(st, r);
    r = kz_store_commit(st, err);
    if (!r && deleted)
        *deleted = nrows;
    return r;
}

/* ---- indicator and identity links ---------------------------------------- */

int kz_store_stix_map_indicators(kz_store *st, int64_t stix_seq, const kz_strlist *ind_ids,
                                 kz_err *err)
{
    if (!ind_ids || ind_ids->n == 0)
        return 0;
    kz_buf b;
    kz_buf_init(&b);
    ids_json(ind_ids, &b);
    if (!b.p)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    /* A union with what the row already lists, each id once. */
    sqlite3_stmt *s = kz__stmt(
        st,
        "UPDATE stix_objects SET ind_ids = (SELECT json_group_array(value) FROM"
        " (SELECT value FROM json_each(ifnull(ind_ids, '[]')) UNION SELECT value FROM json_each(?2)))"
        " WHERE seq = ?1",
        err);
    int r = 0;
    if (!s) {
        r = kz__code(err);
    } else {
        kz__bind_i64(s, 1, stix_seq);
        sqlite3_bind_text(s, 2, b.p, (int)b.len, SQLITE_STATIC);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "linking a STIX indicator");
        else if (sqlite3_changes(st->db) == 0)
            r = kz_fail(err, KZ_E_NOTFOUND, "stix_seq", "no STIX object row %lld",
                        (long long)stix_seq);
    }
    kz_buf_free(&b);
    return r;
}

static int list_text(kz_store *st, const char *sql, const char *arg, kz_arena *a,
                     kz_strlist *out, const char *what, kz_err *err)
{
    out->v = NULL; /* empty, whatever happens */
    out->n = 0;
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, arg ? arg : "");
    return kz__list_strings(st, s, a, out, what, err);
}

int kz_store_stix_indicators_of(kz_store *st, const char *stix_id, kz_arena *a, kz_strlist *out,
                                kz_err *err)
{
    return list_text(st,
                     "SELECT DISTINCT j.value FROM stix_objects o, json_each(o.ind_ids) j"
                     " WHERE o.idk = kz_stix_key(?1) AND o.id = ?1 AND o.ind_ids IS NOT NULL"
                     " ORDER BY 1",
                     stix_id, a, out, "reading STIX indicator links", err);
}

int kz_store_stix_event_mapped(kz_store *st, const char *event_id, kz_arena *a, kz_strlist *out,
                               kz_err *err)
{
    return list_text(st,
                     "SELECT DISTINCT j.value FROM stix_objects o, json_each(o.ind_ids) j"
                     " WHERE o.event_ref = (SELECT seq FROM events WHERE id = ?1)"
                     " AND o.ind_ids IS NOT NULL ORDER BY 1",
                     event_id, a, out, "reading STIX indicator links", err);
}

int kz_store_stix_identity_link(kz_store *st, const char *identity_id, const char *org_id,
                                kz_err *err)
{
    int r = kz__exists(st, KZ_SQL_ORG_EXISTS, org_id, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                       org_id ? org_id : "");
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(
        st, "INSERT OR REPLACE INTO stix_identities(identity_id, org_id) VALUES (?1, ?2)", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, identity_id ? identity_id : "");
    kz__bind_text(s, 2, org_id);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "linking a STIX identity") : 0;
}

int kz_store_stix_identity_org(kz_store *st, const char *identity_id, kz_uuid org_id,
                               kz_err *err)
{
    org_id[0] = '\0';
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT org_id FROM stix_identities WHERE identity_id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, identity_id ? identity_id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        snprintf(org_id, sizeof(kz_uuid), "%s", (const char *)sqlite3_column_text(s, 0));
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading a STIX identity link");
    kz__reset(s);
    return KZ_E_NOTFOUND;
}
