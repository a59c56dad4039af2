/* txn.c — transactions that nest. Store functions that write several rows
 * open their own transaction; a caller that combines several of them (an
 * import, the demo seed) wraps them in an outer one. Only the outermost level
 * talks to SQLite; a rollback at any inner level poisons the whole outer
 * transaction, so a caller can never commit half of what it meant as one.
 */
#include "store_int.h"

#include <string.h>

static void rollback_now(kz_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->depth = 0;
    st->failed = false;
    /* The ip_prefixes rows written in this transaction are gone with it. */
    memset(st->prefixes_known, 0, sizeof st->prefixes_known);
    /* So are the tags it created: their cached ids must not be reused. */
    kz__tag_cache_clear(st);
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
    int r = kz__exec(st, "BEGIN IMMEDIATE", err);
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
    int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(st->last_msg, sizeof st->last_msg, "%s", sqlite3_errmsg(st->db));
        rollback_now(st);
        return kz__dberr(st, rc, err, "committing");
    }
    return 0;
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
    /* Both pragmas may change inside a transaction; they apply from the next
     * page written / commit. Failure only costs speed, so it is not fatal. */
    if (on) {
        sqlite3_exec(st->db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
        sqlite3_exec(st->db, "PRAGMA cache_size=-" KZ_STR(KZ_BULK_CACHE_KIB), NULL, NULL, NULL);
    } else {
        sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
        sqlite3_exec(st->db, "PRAGMA cache_size=-" KZ_STR(KZ_CACHE_KIB), NULL, NULL, NULL);
    }
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
