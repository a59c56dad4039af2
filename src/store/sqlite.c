/* sqlite.c — one kz_store is one SQLite connection: opening it with the
 * pragmas the rest of the store relies on (WAL so readers never wait for the
 * writer, foreign keys, a busy timeout), caching every prepared statement for
 * the life of the connection, and turning SQLite's result codes into kz
 * errors. SQL is only ever fixed text with bound parameters.
 */
#include "store_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- open / close --------------------------------------------------------- */

static int apply_pragmas(kz_store *st, kz_err *err)
{
    /* Only takes effect on a new, empty database (before WAL is on): 8 KiB
     * pages make the indicator indexes shallower, which measurably speeds
     * up bulk imports. */
    int r = kz__exec(st, "PRAGMA page_size=8192", err);
    if (r)
        return r;
    /* journal_mode answers with a row, so it cannot go through kz__exec's
     * no-result path; an in-memory database stays "memory". */
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        r = kz_fail(err, KZ_E_DB, "", "cannot switch '%s' to WAL: %s", st->path,
                    sqlite3_errmsg(st->db));
        sqlite3_finalize(s);
        return r;
    }
    const char *mode = (const char *)sqlite3_column_text(s, 0);
    bool ok = mode && (strcmp(mode, "wal") == 0 || (st->memory && strcmp(mode, "memory") == 0));
    sqlite3_finalize(s);
    if (!ok)
        return kz_fail(err, KZ_E_DB, "", "'%s' cannot use write-ahead logging", st->path);

    static const char *const pragmas[] = {
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA temp_store=MEMORY",
        "PRAGMA cache_size=-" KZ_STR(KZ_CACHE_KIB),
        /* Read pages straight from a shared mapping instead of copying each
         * into every connection's cache: with a few million indicators the
         * indexes outgrow any per-connection cache, and the copies were
         * most of the time of a write into a large node. */
        "PRAGMA mmap_size=" KZ_STR(KZ_MMAP_BYTES),
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(pragmas); i++) {
        r = kz__exec(st, pragmas[i], err);
        if (r)
            return r;
    }
    /* Checkpoint as seldom as a serving node's checkpoint thread does
     * (checkpointer.c says why): past SQLite's 1,000 pages, a connection
     * beside it (a webhook worker, the sync scheduler, a CLI import) would
     * copy the whole log inside each of its commits, since the log is then
     * nearly always that long. A connection handed to the thread replaces
     * this with the thread's hook. */
    sqlite3_wal_autocheckpoint(st->db, KZ_WAL_WAKE_PAGES);
    return 0;
}

/* While another connection holds the write lock: SQLite's own busy handler
 * sleeps in steps that grow to 100 ms, so a writer queued behind a 10 ms
 * transaction waits 30-100 ms, and two clients posting at once were slower
 * than one. Trying again every KZ_BUSY_STEP_US takes the lock within a
 * fraction of a millisecond of its release, for up to KZ_BUSY_MS. */
static int busy_wait(void *arg, int count)
{
    kz_store *st = arg;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t now_us = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
    if (count == 0)
        st->busy_since_us = now_us;
    if (now_us - st->busy_since_us >= (int64_t)KZ_BUSY_MS * 1000)
        return 0;
    usleep(KZ_BUSY_STEP_US);
    return 1;
}

void kz__busy_wait(kz_store *st, bool wait)
{
    if (wait)
        sqlite3_busy_handler(st->db, busy_wait, st);
    else
        sqlite3_busy_handler(st->db, NULL, NULL);
}

/* SQLite counts every allocation and free under one process-wide mutex
 * for sqlite3_memory_used(), which kizuna never asks; on the insert path
 * that lock was a few percent of an import's CPU time. The setting only
 * takes before SQLite initialises; if something opened a database first,
 * SQLite refuses it (SQLITE_MISUSE) and simply keeps counting. */
static pthread_once_t sqlite_config_once = PTHREAD_ONCE_INIT;
static void sqlite_config(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

int kz_store_open(const char *path, kz_store **out, kz_err *err)
{
    *out = NULL;
    pthread_once(&sqlite_config_once, sqlite_config);
    if (!path || !*path)
        return kz_fail(err, KZ_E_VALUE, "db", "no database path given");
    kz_store *st = calloc(1, sizeof *st);
    if (!st)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory opening '%s'", path);
    st->path = strdup(path);
    st->memory = strcmp(path, ":memory:") == 0;
    if (!st->path) {
        free(st);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory opening '%s'", path);
    }
    /* A new database is created private (0600) before SQLite sees it; its
     * -wal and -shm files take the database file's mode. SQLite itself would
     * create it 0644 (less the umask), readable by every local user. */
    if (!st->memory && strncmp(path, "file:", 5) != 0) {
        /* O_EXCL: only ever create, never open an existing database here.
         * Closing any descriptor of a file drops every POSIX lock this
         * process holds on it, i.e. the locks of the node's other SQLite
         * connections, which lets another process reset the WAL under them. */
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    /* NOMUTEX: a connection belongs to one thread (store.h), so SQLite's
     * per-call mutex would be pure overhead on the insert path. */
    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        int r = kz_fail(err, KZ_E_DB, "db", "cannot open database '%s': %s", path,
                        st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        kz_store_close(st);
        return r;
    }
    sqlite3_extended_result_codes(st->db, 1);
    kz__busy_wait(st, true);
    int r = apply_pragmas(st, err);
    if (!r && kz__register_functions(st->db) != SQLITE_OK)
        r = kz_fail(err, KZ_E_DB, "", "cannot register SQL functions: %s", sqlite3_errmsg(st->db));
    if (!r)
        r = kz__stix_keys_open(st, err);
    if (!r)
        r = kz__migrate(st, err);
    if (!r)
        r = kz__stix_keys_load(st, err);
    if (!r)
        r = kz__secret_ensure(st, err);
    if (r) {
        kz_store_close(st);
        return r;
    }
    *out = st;
    return 0;
}

void kz_store_close(kz_store *st)
{
    if (!st)
        return;
    if (st->db && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    for (size_t i = 0; i < KZ_STMT_SLOTS; i++)
        sqlite3_finalize(st->stmts[i].stmt);
    for (size_t i = 0; i < KZ_DYN_SLOTS; i++)
        sqlite3_finalize(st->dyn[i].stmt);
    if (st->db)
        sqlite3_close(st->db);
    sodium_memzero(st->secret, sizeof st->secret);
    sodium_memzero(st->stix_key, sizeof st->stix_key);
    free(st->path);
    free(st);
}

int kz_store_schema_version(kz_store *st) { return st->version; }

/* ---- statement cache ------------------------------------------------------ */

static size_t ptr_slot(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    v ^= v >> 17;
    v *= 0x9e3779b97f4a7c15ull;
    return (size_t)(v >> 40) % KZ_STMT_SLOTS;
}

sqlite3_stmt *kz__stmt(kz_store *st, const char *sql, kz_err *err)
{
    size_t i = ptr_slot(sql);
    for (size_t probe = 0; probe < KZ_STMT_SLOTS; probe++, i = (i + 1) % KZ_STMT_SLOTS) {
        kz_stmt_slot *sl = &st->stmts[i];
        if (sl->sql == sql) {
            sqlite3_reset(sl->stmt);
            return sl->stmt;
        }
        if (!sl->sql) {
            sqlite3_stmt *s = NULL;
            int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
            if (rc != SQLITE_OK) {
                kz_fail(err, KZ_E_DB, "", "cannot prepare a statement: %s", sqlite3_errmsg(st->db));
                return NULL;
            }
            sl->sql = sql;
            sl->stmt = s;
            return s;
        }
    }
    kz_fail(err, KZ_E_INTERNAL, "", "statement cache full");
    return NULL;
}

sqlite3_stmt *kz__stmt_dyn(kz_store *st, uint32_t key, void (*build)(uint32_t key, kz_buf *b),
                           kz_err *err)
{
    kz_dyn_slot *victim = &st->dyn[0];
    for (size_t i = 0; i < KZ_DYN_SLOTS; i++) {
        kz_dyn_slot *sl = &st->dyn[i];
        if (sl->stmt && sl->key == key) {
            sl->used = ++st->dyn_clock;
            sqlite3_reset(sl->stmt);
            return sl->stmt;
        }
        if (!sl->stmt || (victim->stmt && sl->used < victim->used))
            victim = sl;
    }
    kz_buf b;
    kz_buf_init(&b);
    build(key, &b);
    if (!b.p) {
        kz_fail(err, KZ_E_NOMEM, "", "out of memory building a query");
        return NULL;
    }
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v3(st->db, b.p, (int)b.len, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    kz_buf_free(&b);
    if (rc != SQLITE_OK) {
        kz_fail(err, KZ_E_DB, "", "cannot prepare a query: %s", sqlite3_errmsg(st->db));
        return NULL;
    }
    sqlite3_finalize(victim->stmt);
    victim->key = key;
    victim->stmt = s;
    victim->used = ++st->dyn_clock;
    return s;
}

int kz__step(kz_store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
        sqlite3_reset(s);
    }
    return rc;
}

int kz__run(kz_store *st, sqlite3_stmt *s)
{
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    return rc;
}

int kz__exec(kz_store *st, const char *sql, kz_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(st->last_msg, sizeof st->last_msg, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return kz__dberr(st, rc, err, sql);
    }
    return 0;
}

bool kz__failed_on(const kz_store *st, const char *column)
{
    return strstr(st->last_msg, column) != NULL;
}

int kz__dberr(kz_store *st, int rc, kz_err *err, const char *what)
{
    const char *m = st->last_msg[0] ? st->last_msg : sqlite3_errstr(rc);
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return kz_fail(err, KZ_E_CONFLICT, "", "%s: already exists (%s)", what, m);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return kz_fail(err, KZ_E_VALUE, "", "%s: a referenced object does not exist", what);
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return kz_fail(err, KZ_E_VALUE, "", "%s: a value is out of range (%s)", what, m);
    case SQLITE_NOMEM:
        return kz_fail(err, KZ_E_NOMEM, "", "%s: out of memory", what);
    case SQLITE_FULL:
    case SQLITE_IOERR:
        return kz_fail(err, KZ_E_IO, "", "%s: %s", what, m);
    default:
        if ((rc & 0xff) == SQLITE_IOERR)
            return kz_fail(err, KZ_E_IO, "", "%s: %s", what, m);
        return kz_fail(err, KZ_E_DB, "", "%s: %s", what, m);
    }
}

/* ---- reading columns ------------------------------------------------------ */

char *kz__col_str(kz_rd *r, int i)
{
    if (sqlite3_column_type(r->s, i) == SQLITE_NULL)
        return NULL;
    const char *p = (const char *)sqlite3_column_text(r->s, i);
    int n = sqlite3_column_bytes(r->s, i);
    char *out = kz_arena_strndup(r->a, p ? p : "", p ? (size_t)n : 0);
    if (!out)
        r->oom = true;
    return out;
}

void kz__col_uuid(kz_rd *r, int i, kz_uuid out)
{
    const char *p = (const char *)sqlite3_column_text(r->s, i);
    snprintf(out, sizeof(kz_uuid), "%s", p ? p : "");
}

void *kz__grow(kz_arena *a, void *v, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / elem)
        return NULL;
    void *nv = kz_arena_alloc(a, ncap * elem);
    if (!nv)
        return NULL;
    if (n)
        memcpy(nv, v, n * elem);
    *cap = ncap;
    return nv;
}

int kz__list_rows(kz_store *st, sqlite3_stmt *s, kz_arena *a, size_t elem, kz__row_fn read,
                  void *out, size_t *n, const char *what, kz_err *err)
{
    /* out is really a T ** for the caller's element type T. */
    unsigned char **v = out;
    size_t cap = 0;
    kz_rd r = {s, a, false};
    int rc;
    *v = NULL;
    *n = 0;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        unsigned char *nv = kz__grow(a, *v, *n, &cap, elem);
        if (!nv) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        *v = nv;
        read(&r, nv + (*n)++ * elem);
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, what);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz__list_strings(kz_store *st, sqlite3_stmt *s, kz_arena *a, kz_strlist *out,
                     const char *what, kz_err *err)
{
    out->v = NULL;
    out->n = 0;
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        if (kz_strlist_push(a, out, (const char *)sqlite3_column_text(s, 0))) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, what);
    kz__reset(s);
    return 0;
}

/* ---- shared lookups ------------------------------------------------------- */

const char KZ_SQL_ORG_EXISTS[] = "SELECT 1 FROM orgs WHERE id = ?1";
const char KZ_SQL_USER_EXISTS[] = "SELECT 1 FROM users WHERE id = ?1";
const char KZ_SQL_COMMUNITY_EXISTS[] = "SELECT 1 FROM communities WHERE id = ?1";
const char KZ_SQL_SHARING_GROUP_EXISTS[] = "SELECT 1 FROM sharing_groups WHERE id = ?1";

int kz__exists(kz_store *st, const char *sql, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    kz__reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return KZ_E_NOTFOUND;
    return kz__dberr(st, rc, err, "looking up a reference");
}

int kz__ioc_type_from_name(const char *s)
{
    if (!s)
        return -1;
    for (int t = 0; t < KZ_IOC__COUNT; t++) {
        const char *n = kz_ioc_type_name((kz_ioc_type)t);
        if (n && strcmp(n, s) == 0)
            return t;
    }
    return -1;
}
