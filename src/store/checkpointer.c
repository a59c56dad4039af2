/* checkpointer.c — WAL checkpoints on a thread of their own.
 *
 * SQLite copies the write-ahead log back into the database (and syncs both)
 * from inside the COMMIT that takes the log past 1,000 pages: a request
 * that stores 10,000 STIX objects waited 25-30 ms of its ~130 ms for that.
 * The serving node's worker connections hand that work to one thread with
 * its own connection instead. A PASSIVE checkpoint never blocks writers or
 * readers, and durability is unchanged (synchronous=NORMAL syncs the log
 * before it is copied). Should the thread fall behind, the committing
 * connection checkpoints itself again past KZ_WAL_INLINE_PAGES, as SQLite
 * would (a reader that holds an old snapshot keeps any checkpoint from
 * finishing, on this thread or not).
 */
#include "store_int.h"

#include <pthread.h>
#include <stdlib.h>

/* Log pages at which a commit checkpoints itself as before (250 MiB of
 * 8 KiB pages). The thread's threshold (KZ_WAL_WAKE_PAGES, store.h) is
 * eight times SQLite's own 1,000: a request that stores 10,000 STIX objects
 * with random ids dirties a page of the id index per object or so, the same
 * pages again in the next request, and a longer log copies each of them
 * once for several commits instead of once per commit (TAXII Add Objects
 * 0.87x the time per envelope). */
#define KZ_WAL_INLINE_PAGES 32000

struct kz_checkpointer {
    kz_store *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wanted, stopping;
    _Atomic size_t runs;
};

static void *checkpointer_run(void *arg)
{
    kz_checkpointer *cp = arg;
    for (;;) {
        pthread_mutex_lock(&cp->mu);
        while (!cp->wanted && !cp->stopping)
            pthread_cond_wait(&cp->cv, &cp->mu);
        bool stop = cp->stopping;
        cp->wanted = false;
        pthread_mutex_unlock(&cp->mu);
        if (stop)
            break;
        /* SQLITE_BUSY only means another checkpoint is running: it will do. */
        (void)sqlite3_wal_checkpoint_v2(cp->st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        cp->runs++;
    }
    return NULL;
}

int kz_checkpointer_start(const char *path, kz_checkpointer **out, kz_err *err)
{
    *out = NULL;
    kz_checkpointer *cp = calloc(1, sizeof *cp);
    if (!cp)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    int rc = kz_store_open(path, &cp->st, err);
    if (rc < 0) {
        free(cp);
        return rc;
    }
    kz_store_small_cache(cp->st); /* it reads nothing through the cache */
    pthread_mutex_init(&cp->mu, NULL);
    pthread_cond_init(&cp->cv, NULL);
    /* (Started by the server after it blocked the stop signals: the thread
     * inherits that mask.) */
    if (pthread_create(&cp->thread, NULL, checkpointer_run, cp) != 0) {
        pthread_cond_destroy(&cp->cv);
        pthread_mutex_destroy(&cp->mu);
        kz_store_close(cp->st);
        free(cp);
        return kz_fail(err, KZ_E_IO, "", "cannot start the checkpoint thread");
    }
    *out = cp;
    return 0;
}

void kz_checkpointer_stop(kz_checkpointer *cp)
{
    if (!cp)
        return;
    pthread_mutex_lock(&cp->mu);
    cp->stopping = true;
    pthread_cond_signal(&cp->cv);
    pthread_mutex_unlock(&cp->mu);
    pthread_join(cp->thread, NULL);
    pthread_cond_destroy(&cp->cv);
    pthread_mutex_destroy(&cp->mu);
    kz_store_close(cp->st);
    free(cp);
}

size_t kz_checkpointer_runs(const kz_checkpointer *cp) { return cp ? cp->runs : 0; }

/* After each commit of a handed-over connection (in its thread): pages is
 * the log's length. */
static int after_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
    kz_checkpointer *cp = arg;
    if (pages >= KZ_WAL_INLINE_PAGES) {
        (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= KZ_WAL_WAKE_PAGES) {
        pthread_mutex_lock(&cp->mu);
        cp->wanted = true;
        pthread_cond_signal(&cp->cv);
        pthread_mutex_unlock(&cp->mu);
    }
    return SQLITE_OK;
}

void kz_store_checkpoint_by(kz_store *st, kz_checkpointer *cp)
{
    /* Replaces SQLite's automatic checkpoint, which is a hook of the same
     * kind. */
    if (st && cp && !st->memory)
        sqlite3_wal_hook(st->db, after_commit, cp);
}
