/* cmd_taxii_sched.c — the scheduled TAXII pulls of `kizuna serve`: one
 * background thread with its own database connection that, once a second,
 * looks for sources whose interval has passed since their last run and pulls
 * them with the same loop as `kizuna taxii pull` (so they resume from the
 * same stored position). The outcome of each run — the error, or the
 * number of objects stored — is written to the source's row, where `kizuna
 * taxii source list` shows it.
 *
 * Sources are pulled one after another: pulls write to the same database
 * and would only queue behind its write lock. A source that fails is not
 * retried before its interval, so a dead server costs one attempt per
 * interval. Stopping aborts a transfer in flight (libcurl progress
 * callback); what was stored stays, and the position is that of the last
 * stored page.
 */
#include "cmd_taxii.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 1000
#define PAGE_LIMIT 1000

static pthread_t g_thread;
static bool g_running;
static atomic_bool g_stop;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static char *g_db;

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&g_stop) ? 1 : 0; /* non-zero aborts the transfer */
}

/* One pull of s; the error message (no credential in it: the URL and the
 * HTTP status at most) into err. */
static int pull_source(kz_store *st, const kz_taxii_source *s, cli_taxii_pull_stats *ps,
                       kz_err *err)
{
    memset(ps, 0, sizeof *ps);
    kz_arena a;
    kz_arena_init(&a);
    cli_taxii_cred cred;
    memset(&cred, 0, sizeof cred);
    cred.kind = s->auth;
    if (s->username)
        snprintf(cred.user, sizeof cred.user, "%s", s->username);
    char *secret = NULL;
    kz_org org;
    int rc = kz_store_taxii_source_secret(st, s->id, &a, &secret, err);
    if (rc == 0 && secret) {
        if (strlen(secret) >= sizeof cred.secret)
            rc = kz_fail(err, KZ_E_VALUE, NULL, "the stored secret is too long");
        else
            snprintf(cred.secret, sizeof cred.secret, "%s", secret);
        sodium_memzero(secret, strlen(secret));
    }
    if (rc == 0)
        rc = kz_store_org_get(st, s->org_id, &a, &org, err);
    cli_taxii_conn t;
    memset(&t, 0, sizeof t);
    if (rc == 0)
        rc = cli_taxii_open(&t, s->url, &cred, err);
    cli_taxii_cred_wipe(&cred);
    if (rc == 0) {
        curl_easy_setopt(t.c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(t.c, CURLOPT_NOPROGRESS, 0L);
        rc = cli_taxii_pull_run(st, &t, s->collection, &org, s->tlp, PAGE_LIMIT, false, false, ps,
                                err);
    }
    cli_taxii_close(&t);
    kz_arena_free(&a);
    return rc;
}

int cli_taxii_source_run(kz_store *st, const kz_taxii_source *s, cli_taxii_pull_stats *ps,
                         kz_err *err)
{
    kz_time now = kz_time_now();
    int rc = pull_source(st, s, ps, err);
    kz_err re = {0};
    const char *why = rc == 0 ? NULL : err->msg[0] ? err->msg : "failed";
    if (kz_store_taxii_source_ran(st, s->id, now, why, (int64_t)ps->stored, &re) != 0 &&
        re.code != KZ_E_NOTFOUND) /* removed meanwhile */
        kz_log(KZ_LOG_WARN, "taxii source '%s': cannot record the run: %s", s->name, re.msg);
    return rc;
}

static void run_due(kz_store *st)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_taxii_source *v = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_taxii_source_list(st, &a, &v, &n, &err) != 0) {
        kz_log(KZ_LOG_WARN, "taxii sources: %s", err.msg);
        kz_arena_free(&a);
        return;
    }
    for (size_t i = 0; i < n && !atomic_load(&g_stop); i++) {
        const kz_taxii_source *s = &v[i];
        if (s->paused || (s->last_run && kz_time_now() - s->last_run < s->interval_s * 1000000))
            continue;
        cli_taxii_pull_stats ps;
        kz_err pe = {0};
        if (cli_taxii_source_run(st, s, &ps, &pe) != 0)
            kz_log(KZ_LOG_WARN, "taxii source '%s': %s", s->name, pe.msg);
        else
            kz_log(KZ_LOG_INFO,
                   "taxii source '%s': %zu page%s, %zu object%s: %zu stored, %zu duplicates, "
                   "%zu invalid",
                   s->name, ps.pages, ps.pages == 1 ? "" : "s", ps.objects,
                   ps.objects == 1 ? "" : "s", ps.stored, ps.duplicates, ps.invalid);
    }
    kz_arena_free(&a);
}

static void *loop(void *ud)
{
    (void)ud;
    kz_store *st = NULL;
    kz_err err = {0};
    if (kz_store_open(g_db, &st, &err) != 0) {
        kz_log(KZ_LOG_ERROR, "taxii sources: cannot open the database: %s", err.msg);
        return NULL;
    }
    while (!atomic_load(&g_stop)) {
        run_due(st);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)TICK_MS % 1000 * 1000000;
        ts.tv_sec += TICK_MS / 1000 + ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_mutex_lock(&g_mu);
        if (!atomic_load(&g_stop))
            pthread_cond_timedwait(&g_cv, &g_mu, &ts);
        pthread_mutex_unlock(&g_mu);
    }
    kz_store_close(st);
    return NULL;
}

int cli_taxii_sched_start(const char *db_path)
{
    if (g_running)
        return 0;
    g_db = strdup(db_path);
    if (!g_db)
        return KZ_E_NOMEM;
    atomic_store(&g_stop, false);
    /* libcurl's global set-up is not thread-safe: do it here, on the main
     * thread, before any other thread may use libcurl. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(g_db);
        g_db = NULL;
        return KZ_E_INTERNAL;
    }
    /* (cmd_serve blocked the stop signals before starting any thread: this
     * one inherits that mask.) */
    if (pthread_create(&g_thread, NULL, loop, NULL) != 0) {
        curl_global_cleanup();
        free(g_db);
        g_db = NULL;
        return KZ_E_INTERNAL;
    }
    g_running = true;
    return 0;
}

void cli_taxii_sched_stop(void)
{
    if (!g_running)
        return;
    pthread_mutex_lock(&g_mu);
    atomic_store(&g_stop, true);
    pthread_cond_signal(&g_cv);
    pthread_mutex_unlock(&g_mu);
    pthread_join(g_thread, NULL);
    curl_global_cleanup();
    g_running = false;
    free(g_db);
    g_db = NULL;
}
