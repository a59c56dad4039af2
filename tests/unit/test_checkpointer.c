/* test_checkpointer.c — WAL checkpoints on their own thread: commits of a
 * connection handed to the checkpointer no longer copy the log themselves;
 * the thread does once the log passes its threshold, and what was written
 * reads back whole, also after the connection and the thread are gone.
 */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"

/* Pages of 8 KiB: a commit of 20 values of 32,000 bytes is about 80 pages;
 * FILL_COMMITS of them take the log past the KZ_WAL_WAKE_PAGES at which the
 * thread is woken, with a fifth to spare. */
#define VALUE_LEN 32000
#define FILL_COMMITS (KZ_WAL_WAKE_PAGES / 80 * 6 / 5)

static void fill(kz_store *st, int commits)
{
    char *big = malloc(VALUE_LEN + 1);
    assert_non_null(big);
    memset(big, 'x', VALUE_LEN);
    big[VALUE_LEN] = '\0';
    kz_err err = {0};
    for (int t = 0; t < commits; t++) {
        assert_int_equal(kz_store_begin(st, &err), 0);
        for (int i = 0; i < 20; i++) {
            char key[32];
            snprintf(key, sizeof key, "fill.%d.%d", t, i);
            assert_int_equal(kz_store_meta_set(st, key, big, &err), 0);
        }
        assert_int_equal(kz_store_commit(st, &err), 0);
    }
    free(big);
}

/* A new directory for the node's files, and the database's path in it. */
typedef struct fx {
    char *dir;
    char path[600];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!(f->dir = kz_test_mkdtemp())) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/kz.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kz_test_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void test_checkpoints_run_on_their_thread(void **state)
{
    const char *path = ((fx *)*state)->path;
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(path, &st, &err), 0);
    kz_checkpointer *cp = NULL;
    assert_int_equal(kz_checkpointer_start(path, &cp, &err), 0);
    kz_store_checkpoint_by(st, cp);
    /* Under the threshold: nothing for the thread yet. */
    fill(st, 1);
    usleep(100000);
    assert_int_equal(kz_checkpointer_runs(cp), 0);
    fill(st, FILL_COMMITS);
    for (int i = 0; i < 500 && kz_checkpointer_runs(cp) == 0; i++)
        usleep(10000);
    assert_true(kz_checkpointer_runs(cp) >= 1);
    kz_arena a;
    kz_arena_init(&a);
    char *v = NULL;
    char last[32];
    snprintf(last, sizeof last, "fill.%d.19", FILL_COMMITS - 1);
    assert_int_equal(kz_store_meta_get(st, last, &a, &v, &err), 0);
    assert_int_equal(strlen(v), VALUE_LEN);
    /* The connection closes before the thread stops (its hook points at
     * the thread); a new one reads everything back. */
    kz_store_close(st);
    kz_checkpointer_stop(cp);
    assert_int_equal(kz_store_open(path, &st, &err), 0);
    v = NULL;
    assert_int_equal(kz_store_meta_get(st, "fill.0.0", &a, &v, &err), 0);
    assert_int_equal(strlen(v), VALUE_LEN);
    kz_store_close(st);
    kz_arena_free(&a);
}

/* A connection not handed to the thread (a webhook worker, a CLI import
 * beside the node) checkpoints inline only past the thread's threshold, not
 * SQLite's 1,000 pages, past which it would copy the log in nearly every
 * commit. */
static void test_other_connections_checkpoint_as_seldom(void **state)
{
    const char *path = ((fx *)*state)->path;
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(path, &st, &err), 0);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(st->db, "PRAGMA wal_autocheckpoint", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), KZ_WAL_WAKE_PAGES);
    sqlite3_finalize(s);
    kz_store_close(st);
}

/* Stopping a thread that never ran, and stopping none, are no-ops. */
static void test_stop_without_work(void **state)
{
    const char *path = ((fx *)*state)->path;
    kz_checkpointer *cp = NULL;
    kz_err err = {0};
    assert_int_equal(kz_checkpointer_start(path, &cp, &err), 0);
    assert_int_equal(kz_checkpointer_runs(cp), 0);
    kz_checkpointer_stop(cp);
    kz_checkpointer_stop(NULL);
    /* A path it cannot open: an error naming it, no thread. */
    cp = NULL;
    assert_int_equal(kz_checkpointer_start("/nonexistent-dir/kz.db", &cp, &err), KZ_E_DB);
    assert_null(cp);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/kz.db"));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoints_run_on_their_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_without_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_connections_checkpoint_as_seldom, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
