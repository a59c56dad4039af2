/* webhook_workers.c — the threads that deliver webhooks (started by
 * `kizuna serve`).
 *
 * A dispatcher thread looks for due webhooks every poll interval and queues
 * each one that is not already queued or being delivered; a pool of
 * workers takes them from the queue, each worker with its own store
 * connection, and delivers their backlog (webhook_dispatch.c). A webhook is
 * in the hands of at most one worker at a time, so its changes still go
 * out in order; a receiver that is slow or hangs holds up its own webhook
 * and one worker, not every other org's deliveries.
 */
#include "notify_int.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORKERS_DEFAULT 4

/* A due webhook: queued, or taken by a worker that is delivering it. */
typedef struct due_hook {
    kz_uuid id;
    bool taken;
} due_hook;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t tick; /* the dispatcher waits here between rounds */
    pthread_cond_t work; /* workers wait here for a queued webhook */
    pthread_t dispatcher, workers[KZ_WEBHOOK_WORKERS_MAX];
    kz_store *stores[KZ_WEBHOOK_WORKERS_MAX + 1]; /* [0] the dispatcher's */
    unsigned n_workers;
    bool running;
    _Atomic bool stop;
    kz_webhook_run run;
    char *db_path;
    due_hook *due; /* in the order found */
    size_t n_due, cap_due;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .tick = PTHREAD_COND_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER};

static _Atomic bool g_allow_private;

bool kz_webhook_allow_private(void) { return atomic_load(&g_allow_private); }

/* ---- the queue (g.mu held) --------------------------------------------------- */

static bool due_has(const char *id)
{
    for (size_t i = 0; i < g.n_due; i++)
        if (strcmp(g.due[i].id, id) == 0)
            return true;
    return false;
}

static bool due_add(const char *id)
{
    if (g.n_due == g.cap_due) {
        size_t cap = g.cap_due ? g.cap_due * 2 : 16;
        due_hook *v = realloc(g.due, cap * sizeof *v);
        if (!v)
            return false;
        g.due = v;
        g.cap_due = cap;
    }
    due_hook *d = &g.due[g.n_due++];
    memcpy(d->id, id, sizeof d->id);
    d->taken = false;
    return true;
}

/* The oldest queued webhook, now taken; false when none is waiting. */
static bool due_take(kz_uuid out)
{
    for (size_t i = 0; i < g.n_due; i++)
        if (!g.due[i].taken) {
            g.due[i].taken = true;
            memcpy(out, g.due[i].id, sizeof(kz_uuid));
            return true;
        }
    return false;
}

static void due_done(const char *id)
{
    for (size_t i = 0; i < g.n_due; i++)
        if (strcmp(g.due[i].id, id) == 0) {
            memmove(&g.due[i], &g.due[i + 1], (g.n_due - i - 1) * sizeof *g.due);
            g.n_due--;
            return;
        }
}

/* ---- the threads ------------------------------------------------------------- */

/* Sleeps until ms have passed or the node stops (g.mu held). */
static void wait_ms(pthread_cond_t *cv, unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, &g.mu, &ts);
}

static void *dispatcher_main(void *arg)
{
    kz_store *st = arg;
    unsigned poll = g.run.cfg.poll_ms ? g.run.cfg.poll_ms : 1000;
    pthread_mutex_lock(&g.mu);
    while (!atomic_load(&g.stop)) {
        pthread_mutex_unlock(&g.mu);
        kz_arena a;
        kz_arena_init(&a);
        kz_err err = {0};
        kz_webhook *v = NULL;
        size_t n = 0;
        if (kz_store_webhook_list(st, NULL, true, &a, &v, &n, &err) < 0)
            kz_log(KZ_LOG_ERROR, "webhooks: %s", err.msg);
        kz_time now = kz_time_now();
        pthread_mutex_lock(&g.mu);
        bool queued = false;
        for (size_t i = 0; i < n; i++)
            if (v[i].next_attempt <= now && !due_has(v[i].id)) {
                if (!due_add(v[i].id)) {
                    kz_log(KZ_LOG_ERROR, "webhooks: out of memory");
                    break;
                }
                queued = true;
            }
        if (queued)
            pthread_cond_broadcast(&g.work);
        kz_arena_free(&a);
        if (!atomic_load(&g.stop))
            wait_ms(&g.tick, poll);
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

static void *worker_main(void *arg)
{
    kz_store *st = arg;
    kz_uuid id;
    pthread_mutex_lock(&g.mu);
    for (;;) {
        while (!atomic_load(&g.stop) && !due_take(id))
            pthread_cond_wait(&g.work, &g.mu);
        if (atomic_load(&g.stop))
            break;
        pthread_mutex_unlock(&g.mu);
        /* Read again: the dispatcher's copy may be a round old. */
        kz_arena a;
        kz_arena_init(&a);
        kz_err err = {0};
        kz_webhook w;
        int r = kz_store_webhook_get(st, id, &a, &w, &err);
        if (r == 0 && w.active && w.next_attempt <= kz_time_now())
            kz__webhook_serve(&g.run, st, &w);
        else if (r < 0 && r != KZ_E_NOTFOUND)
            kz_log(KZ_LOG_ERROR, "webhook %s: %s", id, err.msg);
        kz_arena_free(&a);
        pthread_mutex_lock(&g.mu);
        due_done(id);
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

/* ---- start and stop ---------------------------------------------------------- */

static void close_all(void)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(g.stores); i++) {
        kz_store_close(g.stores[i]);
        g.stores[i] = NULL;
    }
    sodium_memzero(g.run.node_secret, sizeof g.run.node_secret);
    free(g.db_path);
    g.db_path = NULL;
    free(g.due);
    g.due = NULL;
    g.n_due = g.cap_due = 0;
}

/* Ends the threads started so far (the dispatcher when started). */
static void join_all(bool dispatcher)
{
    pthread_mutex_lock(&g.mu);
    atomic_store(&g.stop, true);
    pthread_cond_broadcast(&g.tick);
    pthread_cond_broadcast(&g.work);
    pthread_mutex_unlock(&g.mu);
    if (dispatcher)
        pthread_join(g.dispatcher, NULL);
    for (unsigned i = 0; i < g.n_workers; i++)
        pthread_join(g.workers[i], NULL);
    g.n_workers = 0;
}

int kz_webhook_dispatcher_start(const kz_webhook_config *cfg, kz_err *err)
{
    if (g.running)
        return kz_fail(err, KZ_E_CONFLICT, NULL, "the webhook dispatcher is already running");
    if (!cfg || !cfg->db_path)
        return kz_fail(err, KZ_E_INVALID, "db", "no database path given");
    unsigned workers = cfg->workers ? cfg->workers : WORKERS_DEFAULT;
    if (workers > KZ_WEBHOOK_WORKERS_MAX)
        return kz_fail(err, KZ_E_VALUE, "webhook-workers", "at most %d webhook workers",
                       KZ_WEBHOOK_WORKERS_MAX);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g.run.cfg = *cfg;
    g.db_path = strdup(cfg->db_path);
    if (!g.db_path)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    g.run.cfg.db_path = g.db_path;
    g.run.stop = &g.stop;
    atomic_store(&g.stop, false);
    atomic_store(&g_allow_private, cfg->allow_private);
    /* Every connection is opened here, so a node whose database cannot be
     * opened says so at start rather than in a thread's log. */
    for (unsigned i = 0; i <= workers; i++) {
        if (kz_store_open(g.db_path, &g.stores[i], err) < 0) {
            close_all();
            return -1;
        }
        kz_store_small_cache(g.stores[i]);
    }
    if (kz_store_node_secret(g.stores[0], g.run.node_secret, err) < 0) {
        close_all();
        return -1;
    }
    for (; g.n_workers < workers; g.n_workers++)
        if (pthread_create(&g.workers[g.n_workers], NULL, worker_main,
                           g.stores[g.n_workers + 1]) != 0)
            break;
    if (g.n_workers < workers ||
        pthread_create(&g.dispatcher, NULL, dispatcher_main, g.stores[0]) != 0) {
        join_all(false);
        close_all();
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot start the webhook threads");
    }
    g.running = true;
    return 0;
}

void kz_webhook_dispatcher_stop(void)
{
    if (!g.running)
        return;
    join_all(true); /* a POST in flight ends at once (stop_check) */
    close_all();
    g.running = false;
}
