/* store_int.h — private to src/store: the connection struct and the helpers
 * every table file leans on (statement cache, error mapping, column readers,
 * read snapshots). Nothing outside src/store includes this.
 */
#ifndef KZ_STORE_INT_H
#define KZ_STORE_INT_H

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* Fixed SQL texts are few (about a hundred); dynamic ones (search, event
 * list) are keyed by the set of filters present. */
#define KZ_STMT_SLOTS 512
#define KZ_DYN_SLOTS 48

/* Page cache per connection, in KiB (negative = KiB for PRAGMA cache_size).
 * Bulk mode raises it so that a million-row import stays in memory. */
#define KZ_CACHE_KIB 32768
#define KZ_BULK_CACHE_KIB 393216
#define KZ_MMAP_BYTES 4294967296

#define KZ_STR_(x) #x
#define KZ_STR(x) KZ_STR_(x)

/* How long a connection waits for another writer's lock, trying again
 * every KZ_BUSY_STEP_US (sqlite.c); the key last_used update (keys.c) does
 * not wait at all. */
#define KZ_BUSY_MS 5000
#define KZ_BUSY_STEP_US 250

/* Longest reversed domain we index: a DNS name is at most 253 bytes. */
#define KZ_RDOMAIN_MAX 256

typedef struct kz_stmt_slot {
    const char *sql; /* the literal's address is the key */
    sqlite3_stmt *stmt;
} kz_stmt_slot;

/* storefast (tags.c): one direct-mapped entry of the tag id cache; len 0
 * is empty. Longer names are not cached (they are looked up as before). */
#define KZ_TAG_CACHE_SLOTS 256
#define KZ_TAG_CACHE_NAME 96
typedef struct kz_tag_slot {
    int64_t id;
    uint8_t len;
    char name[KZ_TAG_CACHE_NAME];
} kz_tag_slot;

typedef struct kz_dyn_slot {
    uint32_t key;
    sqlite3_stmt *stmt;
    uint64_t used; /* for evicting the least recently used */
} kz_dyn_slot;

struct kz_store {
    sqlite3 *db;
    char *path;
    bool memory; /* ":memory:": no secret file */
    int version;
    int depth;   /* kz_store_begin nesting */
    bool failed; /* an inner level rolled back: the outermost commit must fail */
    bool bulk;
    bool rollback_journal; /* kz_store_begin_bulk left WAL for this transaction */
    bool read_txn; /* a read snapshot opened by kz__read_begin */
    int64_t busy_since_us; /* when this wait for the write lock began (sqlite.c) */
    uint8_t secret[32];
    bool secret_loaded;
    uint8_t stix_key[16]; /* hashes STIX ids into stix_objects.idk (stix_keys.c) */
    bool stix_key_loaded;
    char last_msg[256]; /* sqlite3_errmsg of the last failed step */
    kz_stmt_slot stmts[KZ_STMT_SLOTS];
    kz_dyn_slot dyn[KZ_DYN_SLOTS];
    uint64_t dyn_clock;
    /* CIDR prefix lengths this connection knows are in ip_prefixes, so the
     * bulk insert path writes that table once per length, not once per row.
     * Cleared on rollback, because the rows it stands for may be gone. */
    uint64_t prefixes_known[3];
    /* match engine (scan.c): the last fingerprint and the data_version it
     * was computed at, so polling an unchanged database costs one pragma. */
    bool match_fp_valid;
    int64_t match_dv, match_tc;
    uint64_t match_fp;
    /* issue 6 (misp_value_search.c): kz_misp_name() is registered */
    bool misp_fn;
    /* storefast (tags.c): tag name -> id, so an import of a million tagged
     * indicators does not look each tag up again. Ids created inside a
     * transaction that rolls back are gone with it, so txn.c clears this on
     * every rollback. */
    kz_tag_slot tag_cache[KZ_TAG_CACHE_SLOTS];
};

/* ---- statements (sqlite.c) ----------------------------------------------- */

/* Whether the connection waits for another writer's lock (up to
 * KZ_BUSY_MS) or gives up at once with SQLITE_BUSY. */
void kz__busy_wait(kz_store *st, bool wait);
/* The cached, reset statement for a literal SQL text; NULL and err filled on
 * failure. Use kz__step/kz__reset so the statement never keeps a snapshot. */
sqlite3_stmt *kz__stmt(kz_store *st, const char *sql, kz_err *err);
/* The cached statement for dynamic SQL identified by key; build() is only
 * called on a miss and writes the SQL into b. */
sqlite3_stmt *kz__stmt_dyn(kz_store *st, uint32_t key, void (*build)(uint32_t key, kz_buf *b),
                           kz_err *err);
/* sqlite3_step; on an error it keeps the message in st->last_msg and resets
 * the statement (so its locks are released). Returns SQLite's result code. */
int kz__step(kz_store *st, sqlite3_stmt *s);
static inline void kz__reset(sqlite3_stmt *s) { sqlite3_reset(s); }
/* The code of an error kz__stmt just reported (err may be NULL). */
static inline int kz__code(const kz_err *err) { return err && err->code ? err->code : KZ_E_DB; }
/* Whether the last failed step named this "table.column" (which UNIQUE). */
bool kz__failed_on(const kz_store *st, const char *column);
/* Runs a write statement to completion and resets it. 0 or an SQLite error. */
int kz__run(kz_store *st, sqlite3_stmt *s);
/* Runs fixed SQL without results (pragmas, transaction control). */
int kz__exec(kz_store *st, const char *sql, kz_err *err);

/* Maps an SQLite result code to a kz error, prefixing what was being done. */
int kz__dberr(kz_store *st, int rc, kz_err *err, const char *what);
static inline bool kz__is_unique(int rc)
{
    return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

/* ---- binding and reading -------------------------------------------------- */

/* NULL -> SQL NULL; the text must outlive the step (SQLITE_STATIC). */
static inline void kz__bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}
/* "" or NULL -> SQL NULL (optional references such as sharing_group_id). */
static inline void kz__bind_ref(sqlite3_stmt *s, int i, const char *v)
{
    kz__bind_text(s, i, v && *v ? v : NULL);
}
static inline void kz__bind_i64(sqlite3_stmt *s, int i, int64_t v) { sqlite3_bind_int64(s, i, v); }

/* Reading a row into arena memory; oom is set once an allocation fails so
 * loaders check it once at the end. */
typedef struct kz_rd {
    sqlite3_stmt *s;
    kz_arena *a;
    bool oom;
} kz_rd;
char *kz__col_str(kz_rd *r, int i);  /* NULL column -> NULL */
void kz__col_uuid(kz_rd *r, int i, kz_uuid out); /* NULL column -> "" */
static inline int64_t kz__col_i64(kz_rd *r, int i) { return sqlite3_column_int64(r->s, i); }
static inline int kz__col_int(kz_rd *r, int i) { return sqlite3_column_int(r->s, i); }

/* Makes room for one more element in an arena array of *n elements; returns
 * the (possibly moved) array or NULL when out of memory. */
void *kz__grow(kz_arena *a, void *v, size_t n, size_t *cap, size_t elem);
/* Steps a bound statement to its end, reading each row with read() into a new
 * element (elem bytes) of an arena array: the loop every list function needs.
 * what names the list in a database error ("listing users"). */
typedef void (*kz__row_fn)(kz_rd *r, void *out);
/* The same for statements that select one text column: each row's value is
 * appended to out (reset first). */
int kz__list_strings(kz_store *st, sqlite3_stmt *s, kz_arena *a, kz_strlist *out,
                     const char *what, kz_err *err);
int kz__list_rows(kz_store *st, sqlite3_stmt *s, kz_arena *a, size_t elem, kz__row_fn read,
                  void *out, size_t *n, const char *what, kz_err *err);

/* Ids quoted in messages are clipped: they may be hostile input. */
#define KZ_ID_FMT "'%.64s'"

/* ---- transactions (txn.c) ------------------------------------------------ */

/* A read snapshot for functions that run several queries; a no-op inside a
 * transaction. kz__read_end must be called with what kz__read_begin returned. */
bool kz__read_begin(kz_store *st);
void kz__read_end(kz_store *st, bool started);
/* Marks a failed write: rolls back one level. Returns rc for tail calls. */
int kz__fail_txn(kz_store *st, int rc);

/* ---- schema (migrations.c), secret (secret.c) ----------------------------- */
/* Numbered schema steps after the first, one file each. */
extern const char kz__migration_2_match[];
extern const char kz__migration_3_stix[];
extern const char kz__migration_4_misp[];
extern const char kz__migration_5_taxii[]; /* TAXII */
extern const char kz__migration_6_changes[];
extern const char kz__migration_7_sync[];
extern const char kz__migration_8_cases[];
extern const char kz__migration_9_notify[];
extern const char kz__migration_10_taxii_sources[];
extern const char kz__migration_11_audit[];
extern const char kz__migration_12_stix_versions[];
extern const char kz__migration_13_misp_parts[]; /* issue 6: restSearch composite parts */
extern const char kz__migration_14_proposals[]; /* federation: peer relay flag, proposals */
extern const char kz__migration_15_case_sync[]; /* cases travel between nodes */
extern const char kz__migration_16_stix_id_keys[]; /* the id index holds a 32-bit key */

int kz__migrate(kz_store *st, kz_err *err);
int kz__secret_ensure(kz_store *st, kz_err *err);

/* ---- cases (cases*.c) ------------------------------------------------------ */
/* The seq of a case by id (KZ_E_NOTFOUND with a message if none). */
int kz__case_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err);
/* Bumps a case's modified time and notes it in the change log. */
int kz__case_touch(kz_store *st, int64_t seq, const char *id, kz_err *err);
/* Appends a timeline entry inside the caller's transaction. */
int kz__case_entry_insert(kz_store *st, int64_t case_seq, const kz_case_entry *e, kz_err *err);

/* ---- shared lookups -------------------------------------------------------- */

/* 0 if the row exists, KZ_E_NOTFOUND (no message) if not, or a DB error. */
int kz__exists(kz_store *st, const char *sql, const char *id, kz_err *err);
extern const char KZ_SQL_ORG_EXISTS[];
extern const char KZ_SQL_USER_EXISTS[];
extern const char KZ_SQL_COMMUNITY_EXISTS[];
extern const char KZ_SQL_SHARING_GROUP_EXISTS[];

/* Members of a sharing group, in the order given (sharing_groups.c). */
int kz__sharing_group_members(kz_store *st, const char *id, kz_arena *a, kz_strlist *out,
                              kz_err *err);

/* Strings for stored enum names; -1 when the stored text is unknown. */
int kz__ioc_type_from_name(const char *s);

/* ---- tags (tags.c) --------------------------------------------------------- */

/* The id of a tag name, inserting it if new. */
int kz__tag_id(kz_store *st, const char *name, int64_t *id, kz_err *err);
/* storefast: forgets every cached tag id (txn.c calls it on rollback). */
void kz__tag_cache_clear(kz_store *st);
/* Writes the link rows for an event's or an indicator's tags. */
int kz__event_tags_write(kz_store *st, int64_t event_seq, const kz_strlist *tags, kz_err *err);
int kz__indicator_tags_write(kz_store *st, int64_t ind_seq, const kz_strlist *tags, kz_err *err);
int kz__event_tags_load(kz_store *st, int64_t event_seq, kz_arena *a, kz_strlist *out, kz_err *err);
int kz__indicator_tags_load(kz_store *st, int64_t ind_seq, kz_arena *a, kz_strlist *out,
                            kz_err *err);

/* ---- events and indicators (events_*.c, indicators.c) ---------------------- */

/* The columns every event read selects, from "events e", in this order. */
#define KZ_EVENT_COLS                                                                              \
    "e.seq, e.id, e.title, e.description, e.threat_level, e.analysis, e.tlp, e.pap, "              \
    "e.distribution, e.sharing_group_id, e.community_id, e.published, e.published_at, "            \
    "e.creator_org, e.creator_user, e.created, e.modified"
#define KZ_EVENT_NCOLS 17
/* The columns every indicator read selects, from "indicators i". */
#define KZ_IND_COLS                                                                                \
    "i.seq, i.id, i.type, i.value, i.to_ids, i.comment, i.first_seen, i.last_seen, i.tlp, "        \
    "i.distribution, i.created, i.modified, i.deleted, i.tagged, i.warninglist"
#define KZ_IND_NCOLS 15

/* Reads KZ_EVENT_COLS starting at column col; returns the event's seq. */
int64_t kz__event_read(kz_rd *r, int col, kz_event *ev);
/* Reads KZ_IND_COLS starting at column col; returns the indicator's seq and
 * whether it has tags. event_id is left to the caller. */
int64_t kz__indicator_read(kz_rd *r, int col, kz_indicator *ind, bool *tagged);
/* Loads tags and recipients of an event already read. */
int kz__event_links_load(kz_store *st, int64_t seq, kz_arena *a, kz_event *ev, kz_err *err);
/* The seq of an event by id (KZ_E_NOTFOUND with a message if none). */
int kz__event_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err);
/* Raises an event's modified time after a change to its content. */
int kz__event_touch(kz_store *st, int64_t seq, kz_time when, kz_err *err);
/* Inserts indicators of the event (seq, id) inside the caller's transaction. */
int kz__indicators_insert(kz_store *st, int64_t event_seq, const char *event_id,
                          const kz_indicator *inds, size_t n, kz_err *err);
/* Records a deletion for federation (tombstones.c). */
int kz__tombstone(kz_store *st, const char *type, const char *id, kz_time when, kz_err *err);

/* ---- match engine: warninglist flags (wl_flag.c) --------------------------- */

/* Binds the warninglist column for an indicator about to be written: the
 * name the configured check returns, or NULL. keep_col (if > 0) is bound to
 * 1 when a check is configured, 0 when not (an update then keeps the stored
 * flag). */
void kz__wl_bind(sqlite3_stmt *s, int col, int keep_col, const kz_indicator *x);

/* ---- derived search columns (derive.c) ------------------------------------- */

typedef struct kz_derived {
    bool has_addr;
    uint8_t addr[16];
    int prefix; /* 128 for one address */
    bool has_rdomain;
    char rdomain[KZ_RDOMAIN_MAX];
} kz_derived;

/* Fills the address and reversed-domain columns for a normalised value;
 * leaves them unset when the type has none or the value does not parse. */
void kz__derive(kz_ioc_type t, const char *value, kz_derived *d);
/* Clears the host bits past prefix (the SQL function kz_ip_mask). */
void kz__ip_mask(const uint8_t in[16], int prefix, uint8_t out[16]);
/* Registers kz_ip_mask(blob, len) on a connection. */
int kz__register_functions(sqlite3 *db);

/* ---- the keys of STIX ids (stix_keys.c) ----------------------------------- */

/* Registers kz_stix_key(id) on the connection (before migrating: migration
 * 16 uses it); _load reads the hash key once the schema has it. */
int kz__stix_keys_open(kz_store *st, kz_err *err);
int kz__stix_keys_load(kz_store *st, kz_err *err);
/* The stix_objects.idk of id[0, len): what kz_stix_key(id) gives in SQL. */
int64_t kz__stix_key(const kz_store *st, const char *id, size_t len);

/* ---- notifications (contacts.c, webhooks.c) -------------------------------- */

/* Steps a bound SELECT of one row into out through read: 0, or
 * KZ_E_NOTFOUND "no such <kind> '<id>'", or the database error. */
int kz__one_row(kz_store *st, sqlite3_stmt *s, kz_arena *a, kz__row_fn read, void *out,
                const char *kind, const char *id, kz_err *err);
/* A comma-joined column (contact languages, webhook kinds) into a list in
 * r's arena; r->oom on failure. */
void kz__split_commas(kz_rd *r, const char *s, kz_strlist *out);

#endif
