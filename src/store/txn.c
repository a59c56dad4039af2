/* txn.c — transactions that nest. Store functions that write several rows
 * open their own transaction; a caller that combines several of them (an
 * import, the demo seed) wraps them in an outer one. Only the outermost level
 * talks to SQLite; a rollback at any inner level poisons the whole outer
 * transaction, so a caller can never commit half of what it meant as one.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

/* ---- a rollback journal for one bulk load -------------------------------- */

/* Runs a PRAGMA that answers with a row: whether the answer is want. */
static bool pragma_is(kz_store *st, const char *sql, const char *want)
{
    sqlite3_stmt *s = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        ok = v && strcmp(v, want) == 0;
    }
    sqlite3_finalize(s);
    return ok;
}

/* With WAL every page a load writes goes into the WAL and then, at the
 * checkpoint, into the database: twice. A rollback journal keeps only the
 * pages as they were before the transaction and SQLite does not journal
 * pages past the database's original size, so a load into a node that holds
 * little writes almost every page once; if the process dies, the next open
 * finds the hot journal, puts the old pages back and cuts the file to its
 * old size. Leaving WAL needs an exclusive lock: every other connection of a
 * WAL database keeps a shared lock on it for as long as it is open (a served
 * node), so then SQLite refuses at once and the load stays in WAL. The lock
 * is kept (locking_mode EXCLUSIVE) until the transaction ends, so nothing
 * can open the database in between and see it in rollback mode. */
static bool leave_wal(kz_store *st)
{
    if (st->memory || !st->bulk || st->read_txn || !sqlite3_get_autocommit(st->db))
        return false;
    kz__busy_wait(st, false);
    bool ok = pragma_is(st, "PRAGMA locking_mode=EXCLUSIVE", "exclusive") &&
              pragma_is(st, "PRAGMA journal_mode=DELETE", "delete");
    kz__busy_wait(st, true);
    if (!ok) {
        pragma_is(st, "PRAGMA locking_mode=NORMAL", "normal");
        return false;
    }
    /* Without WAL, pages this transaction wrote are read back (the index
     * builds read every row again) through the mapping, which would put
     * the whole new file into the process's resident memory; read() keeps
     * it to the page cache's size. */
    sqlite3_exec(st->db, "PRAGMA mmap_size=0", NULL, NULL, NULL);
    /* synchronous stays NORMAL: it syncs the journal before the first page
     * it covers is overwritten and the database at commit, a few syncs for
     * the whole load (OFF would let a power loss leave pages overwritten
     * whose journal never reached the disk: a damaged file). */
    return true;
}

/* After the bulk transaction: WAL again, and the lock let go. NORMAL first:
 * entering WAL in EXCLUSIVE locking mode would keep the lock (and the
 * WAL index in private memory) until the next change of journal mode. If
 * WAL cannot come back (a reader slipped in after the lock went), the
 * database stays in rollback mode until the next kz_store_open switches it:
 * slower for readers, never wrong. */
static void back_to_wal(kz_store *st)
{
    if (!st->rollback_journal)
        return;
    st->rollback_journal = false;
    pragma_is(st, "PRAGMA locking_mode=NORMAL", "normal");
    pragma_is(st, "PRAGMA journal_mode=WAL", "wal");
    sqlite3_exec(st->db, "PRAGMA mmap_size=" KZ_STR(KZ_MMAP_BYTES), NULL, NULL, NULL);
}

static void rollback_now(kz_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    back_to_wal(st);
    st->depth = 0;
    st->failed = false;
    /* The ip_prefixes rows written in this transaction are gone with it. */
    memset(st->prefixes_known, 0, sizeof st->prefixes_known);
    /* So are the tags it created: their cached ids must not be reused. */
    kz__tag_cache_clear(st);
}

/* BEGIN and COMMIT run for every write: prepared once per connection
 * (kz__stmt) rather than parsed by sqlite3_exec each time. 0, or the
 * error (what names the step). */
static int step_once(kz_store *st, const char *sql, const char *what, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : kz__dberr(st, rc, err, what);
}

int kz_store_begin(kz_store *st, kz_err *err)
{
    if (st->depth > 0) {
        if (st->failed)
            return kz_fail(err, KZ_E_CONFLICT, "",
                           "the enclosing transaction has already failed and will be rolled back");
        st->depth++;
        return 0;
    }
    if (st->read_txn)
        return kz_fail(err, KZ_E_INTERNAL, "", "write transaction requested inside a read");
    /* IMMEDIATE takes the write lock now: a deferred transaction that later
     * tries to write can fail with SQLITE_BUSY without waiting. */
    int r = step_once(st, "BEGIN IMMEDIATE", "starting a transaction", err);
    if (r)
        return r;
    st->depth = 1;
    st->failed = false;
    return 0;
}

int kz_store_commit(kz_store *st, kz_err *err)
{
    if (st->depth == 0)
        return kz_fail(err, KZ_E_INTERNAL, "", "commit without a transaction");
    if (--st->depth > 0)
        return st->failed ? kz_fail(err, KZ_E_CONFLICT, "",
                                    "the enclosing transaction has already failed")
                          : 0;
    if (st->failed) {
        rollback_now(st);
        return kz_fail(err, KZ_E_CONFLICT, "",
                       "transaction rolled back: a step inside it failed");
    }
    int r = step_once(st, "COMMIT", "committing", err);
    if (r) {
        rollback_now(st);
        return r;
    }
    back_to_wal(st);
    return 0;
}

_Atomic size_t kz__store_rollback_loads;

int kz_store_begin_bulk(kz_store *st, kz_err *err)
{
    if (st->depth == 0 && leave_wal(st)) {
        st->rollback_journal = true;
        kz__store_rollback_loads++;
    }
    int r = kz_store_begin(st, err);
    if (r)
        back_to_wal(st);
    return r;
}

void kz_store_rollback(kz_store *st)
{
    if (st->depth == 0)
        return;
    if (--st->depth == 0)
        rollback_now(st);
    else
        st->failed = true;
}

int kz__fail_txn(kz_store *st, int rc)
{
    kz_store_rollback(st);
    return rc;
}

void kz_store_bulk_mode(kz_store *st, bool on)
{
    if (on == st->bulk)
        return;
    /* Only the page cache: durability stays what synchronous=NORMAL gives.
     * With OFF, a power loss during a load in WAL (another connection has
     * the node open, so the load cannot leave WAL: kz_store_begin_bulk)
     * could leave database pages copied from a log that never reached the
     * disk. The pragma may change inside a transaction; failure only costs
     * speed, so it is not fatal. */
    sqlite3_exec(st->db, on ? "PRAGMA cache_size=-" KZ_STR(KZ_BULK_CACHE_KIB)
                            : "PRAGMA cache_size=-" KZ_STR(KZ_CACHE_KIB),
                 NULL, NULL, NULL);
    st->bulk = on;
}

bool kz__read_begin(kz_store *st)
{
    if (st->depth > 0 || st->read_txn || !sqlite3_get_autocommit(st->db))
        return false;
    /* Without the snapshot each query would still be correct on its own;
     * with it, an object and its link rows come from the same moment. */
    if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return false;
    st->read_txn = true;
    return true;
}

void kz__read_end(kz_store *st, bool started)
{
    if (!started)
        return;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->read_txn = false;
}

void kz_store_small_cache(kz_store *st)
{
    if (!st->bulk)
        sqlite3_exec(st->db, "PRAGMA cache_size=-2048", NULL, NULL, NULL);
}
