/* match_service.c — the server's match indexes, one per org, for lookups.
 *
 * An org's index is built on its first lookup (that request waits for it;
 * concurrent first requests of the same org wait for the same build), then
 * lives in a kz_match_handle: readers take the current index with a
 * reference, without locks on the index and without ever waiting for a
 * rebuild. A background thread notices changes and rebuilds:
 *
 * - every POLL_MS it asks the store for its match fingerprint, which moves
 *   whenever indicators, events, communities or sharing groups change, by
 *   any writer (this server's requests, a CLI import into the same file);
 * - an index built at another fingerprint is stale; stale indexes are rebuilt
 *   one org after another, most recently used first, on the thread's own
 *   store connection, and swapped in atomically. Between the end of one
 *   round of rebuilds and the start of the next the thread waits DEBOUNCE_MS
 *   or BUILD_SHARE times as long as that round took, whichever is longer: a
 *   burst of writes costs one rebuild, not one per write, and during a long
 *   import rebuilds take at most about a fifth of a core away from the
 *   writers. Requests keep using the old index meanwhile; an index is at
 *   most one wait plus one build behind the data.
 *
 * Memory is bounded by keeping at most cfg.match_orgs org slots (default 8),
 * evicting the least recently used; an evicted org's next lookup builds
 * again. Orgs whose indexes come out identical (same data, same digest of
 * the indicators they may see) share one index. A rebuild holds the old and
 * the new index of one org at once.
 *
 * With --warninglists the thread first re-checks every stored indicator
 * against the lists (they may be newer than the data), then builds. A store
 * connection of the thread that fails is closed and opened again at the next
 * poll rather than trusted.
 */
#include "http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/match.h"

#define POLL_MS 250
#define DEBOUNCE_MS 1000
#define BUILD_SHARE 4
#define DEFAULT_ORGS 8

typedef struct org_slot {
    bool used;
    kz_uuid org;
    kz_match_handle *h;
    uint64_t built_fp; /* fingerprint the current index was built at */
    uint64_t built_wl; /* warninglist flag epoch it was built at */
    uint64_t digest;   /* of the set of indicators it holds */
    uint64_t gen;      /* identifies this occupant across unlock windows */
    kz_time last_used;
    bool building;     /* first build under way: readers of this org wait */
} org_slot;

struct kz_match_service {
    pthread_mutex_t lock;
    pthread_cond_t built; /* a first build finished */
    pthread_cond_t wake;  /* the thread: stop */
    org_slot *slots;
    size_t cap;
    uint64_t next_gen;
    bool stop;
    bool refresh; /* warninglists loaded: re-check stored flags first */
    uint64_t wl_epoch; /* moves when that re-check has changed flags */
    bool installed_wl;
    pthread_t thread;
    bool thread_started;
    char *db_path;
};

/* ---- building ------------------------------------------------------------ */

static int build(kz_store *st, const char *org, kz_match_index **idx, uint64_t *fp,
                 uint64_t *digest, kz_err *err)
{
    /* The fingerprint is read before the scan: a write that lands during
     * the scan moves it again and the next poll rebuilds. */
    int rc = kz_store_match_fingerprint(st, fp, err);
    if (rc)
        return rc;
    kz_index_build_stats s;
    rc = kz_index_build(st, org, idx, &s, err);
    *digest = s.digest;
    if (rc == 0)
        kz_log(KZ_LOG_INFO, "match index for org %s: %zu of %zu indicators (%zu warninglisted) in %.2f s",
               org, s.indexed, s.scanned, s.warninglisted, s.seconds);
    return rc;
}

/* Orgs that see the same indicators (every member of a community that shares
 * only TLP:CLEAR and GREEN) get the same index: when another slot holds one
 * built from the same data with the same digest, *idx is swapped for a
 * reference to that one, so the node keeps one copy. Called with the lock. */
static void share(kz_match_service *ms, const org_slot *self, kz_match_index **idx)
{
    for (size_t i = 0; i < ms->cap; i++) {
        org_slot *o = &ms->slots[i];
        if (o == self || !o->used || o->building || o->digest != self->digest ||
            o->built_fp != self->built_fp || o->built_wl != self->built_wl)
            continue;
        const kz_match_index *same = kz_match_acquire(o->h);
        if (!same)
            continue;
        kz_match_index_free(*idx);
        *idx = (kz_match_index *)same;
        kz_log(KZ_LOG_INFO, "match index for org %s: the same as org %s's, shared", self->org,
               o->org);
        return;
    }
}

static org_slot *find(kz_match_service *ms, const char *org)
{
    for (size_t i = 0; i < ms->cap; i++)
        if (ms->slots[i].used && strcmp(ms->slots[i].org, org) == 0)
            return &ms->slots[i];
    return NULL;
}

static void slot_clear(org_slot *s)
{
    kz_match_handle_free(s->h);
    memset(s, 0, sizeof *s);
}

/* A free slot, or the least recently used one that is not being built
 * (its handle is freed: readers holding its index keep their reference). */
static org_slot *take_slot(kz_match_service *ms)
{
    org_slot *victim = NULL;
    for (size_t i = 0; i < ms->cap; i++) {
        org_slot *s = &ms->slots[i];
        if (!s->used)
            return s;
        if (!s->building && (!victim || s->last_used < victim->last_used))
            victim = s;
    }
    if (victim) {
        kz_log(KZ_LOG_INFO, "match index for org %s evicted (at most %zu kept)", victim->org,
               ms->cap);
        slot_clear(victim);
    }
    return victim;
}

int kz_match_service_acquire(kz_req *r, const kz_match_index **out)
{
    *out = NULL;
    kz_match_service *ms = r->srv->ms;
    if (!ms)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "match service not running");
    const char *org = r->who.org_id;
    pthread_mutex_lock(&ms->lock);
    for (;;) {
        org_slot *s = find(ms, org);
        if (s && !s->building) {
            s->last_used = kz_time_now();
            *out = kz_match_acquire(s->h);
            pthread_mutex_unlock(&ms->lock);
            if (!*out)
                return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "match index missing");
            return 0;
        }
        if (s) {
            pthread_cond_wait(&ms->built, &ms->lock);
            continue;
        }
        s = take_slot(ms);
        if (!s) {
            /* Every slot is in its first build: wait for one. */
            pthread_cond_wait(&ms->built, &ms->lock);
            continue;
        }
        kz_match_handle *h = kz_match_handle_new();
        if (!h) {
            pthread_mutex_unlock(&ms->lock);
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        }
        s->used = true;
        s->building = true;
        s->h = h;
        s->gen = ++ms->next_gen;
        s->last_used = kz_time_now();
        snprintf(s->org, sizeof s->org, "%s", org);
        s->built_wl = ms->wl_epoch;
        uint64_t gen = s->gen;
        pthread_mutex_unlock(&ms->lock);

        kz_match_index *idx = NULL;
        uint64_t fp = 0, digest = 0;
        int rc = build(r->st, org, &idx, &fp, &digest, &r->err);

        pthread_mutex_lock(&ms->lock);
        /* Slots being built are never evicted, so s is still ours. */
        if (s->gen != gen || !s->building) {
            pthread_mutex_unlock(&ms->lock);
            kz_match_index_free(idx);
            return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "match index slot lost");
        }
        if (rc) {
            slot_clear(s);
            pthread_cond_broadcast(&ms->built);
            pthread_mutex_unlock(&ms->lock);
            return rc;
        }
        s->built_fp = fp;
        s->digest = digest;
        s->building = false;
        share(ms, s, &idx);
        kz_match_publish(s->h, idx);
        *out = kz_match_acquire(s->h);
        pthread_cond_broadcast(&ms->built);
        pthread_mutex_unlock(&ms->lock);
        return 0;
    }
}

/* ---- the background thread ------------------------------------------------ */

static void wait_ms(kz_match_service *ms, long ms_)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms_ / 1000;
    ts.tv_nsec += (ms_ % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!ms->stop)
        if (pthread_cond_timedwait(&ms->wake, &ms->lock, &ts) == ETIMEDOUT)
            break;
}

static bool in(const uint64_t *v, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* The most recently used stale slot not in skip (its org and generation),
 * if any; *wl gets the flag epoch a rebuild starting now reflects. */
static bool next_stale(kz_match_service *ms, uint64_t fp, const uint64_t *skip, size_t nskip,
                       kz_uuid org, uint64_t *gen, uint64_t *wl)
{
    org_slot *best = NULL;
    for (size_t i = 0; i < ms->cap; i++) {
        org_slot *s = &ms->slots[i];
        if (s->used && !s->building && (s->built_fp != fp || s->built_wl != ms->wl_epoch) &&
            !in(skip, nskip, s->gen) && (!best || s->last_used > best->last_used))
            best = s;
    }
    if (!best)
        return false;
    snprintf(org, sizeof(kz_uuid), "%s", best->org);
    *gen = best->gen;
    *wl = ms->wl_epoch;
    return true;
}

static void rebuild_stale(kz_match_service *ms, kz_store *st, uint64_t fp)
{
    /* Each org at most once per round, even if data moves meanwhile: the
     * next round takes those again, after the others. */
    uint64_t *done = malloc(ms->cap * sizeof *done);
    size_t ndone = 0;
    for (; done && ndone < ms->cap;) {
        pthread_mutex_lock(&ms->lock);
        kz_uuid org;
        uint64_t gen = 0, wl = 0;
        bool any = !ms->stop && next_stale(ms, fp, done, ndone, org, &gen, &wl);
        pthread_mutex_unlock(&ms->lock);
        if (!any)
            break;
        done[ndone++] = gen;
        kz_match_index *idx = NULL;
        uint64_t bfp = 0, digest = 0;
        kz_err err;
        kz_err_clear(&err);
        if (build(st, org, &idx, &bfp, &digest, &err) != 0) {
            /* Keep serving the old index; the slot stays stale, so the next
             * round (a second later) tries again. */
            kz_log(KZ_LOG_ERROR, "match index for org %s: rebuild failed: %s", org, err.msg);
            continue;
        }
        pthread_mutex_lock(&ms->lock);
        org_slot *s = find(ms, org);
        if (s && s->gen == gen && !s->building) {
            s->built_fp = bfp;
            s->built_wl = wl;
            s->digest = digest;
            share(ms, s, &idx);
            kz_match_publish(s->h, idx);
            idx = NULL;
        }
        pthread_mutex_unlock(&ms->lock);
        kz_match_index_free(idx); /* the org was evicted meanwhile */
    }
    free(done);
}

static void refresh_flags(kz_match_service *ms, kz_store *st)
{
    size_t changed = 0;
    kz_err err;
    kz_err_clear(&err);
    kz_time t0 = kz_time_now();
    if (kz_store_warninglist_refresh(st, &changed, &err) != 0) {
        kz_log(KZ_LOG_ERROR, "warninglist flags: %s", err.msg);
        return;
    }
    kz_log(KZ_LOG_INFO, "warninglist flags: %zu indicators changed (%.1f s)", changed,
           (double)(kz_time_now() - t0) / 1e6);
    /* Flags written by this connection do not move the fingerprint; indexes
     * built before or during the re-check are stale. */
    if (changed) {
        pthread_mutex_lock(&ms->lock);
        ms->wl_epoch++;
        pthread_mutex_unlock(&ms->lock);
    }
}

static void *run(void *arg)
{
    kz_match_service *ms = arg;
    kz_store *st = NULL;
    bool refreshed = !ms->refresh;
    kz_time last_build = 0, last_took = 0, last_err = 0;
    pthread_mutex_lock(&ms->lock);
    while (!ms->stop) {
        wait_ms(ms, POLL_MS);
        if (ms->stop)
            break;
        pthread_mutex_unlock(&ms->lock);
        kz_err err;
        kz_err_clear(&err);
        uint64_t fp = 0;
        int rc = st ? 0 : kz_store_open(ms->db_path, &st, &err);
        if (rc == 0 && !refreshed) {
            refresh_flags(ms, st);
            refreshed = true;
        }
        if (rc == 0)
            rc = kz_store_match_fingerprint(st, &fp, &err);
        if (rc) {
            /* A connection that failed (an I/O error, a file damaged under
             * it) is not trusted again: the next poll opens a new one. */
            kz_store_close(st);
            st = NULL;
            kz_time now = kz_time_now();
            if (now - last_err > 10 * 1000000LL) {
                kz_log(KZ_LOG_ERROR, "match service: %s (indexes are not refreshed until this "
                                     "clears)", err.msg);
                last_err = now;
            }
        }
        pthread_mutex_lock(&ms->lock);
        if (rc)
            continue;
        kz_uuid org;
        uint64_t gen, wl;
        if (!next_stale(ms, fp, NULL, 0, org, &gen, &wl))
            continue;
        kz_time now = kz_time_now();
        kz_time wait = BUILD_SHARE * last_took;
        if (wait < DEBOUNCE_MS * 1000LL)
            wait = DEBOUNCE_MS * 1000LL;
        if (now - last_build < wait)
            continue;
        pthread_mutex_unlock(&ms->lock);
        rebuild_stale(ms, st, fp);
        last_build = kz_time_now();
        last_took = last_build - now;
        pthread_mutex_lock(&ms->lock);
    }
    pthread_mutex_unlock(&ms->lock);
    kz_store_close(st);
    return NULL;
}

/* ---- start / stop --------------------------------------------------------- */

static void service_free(kz_match_service *ms)
{
    for (size_t i = 0; i < ms->cap; i++)
        if (ms->slots[i].used)
            slot_clear(&ms->slots[i]);
    free(ms->slots);
    free(ms->db_path);
    pthread_cond_destroy(&ms->built);
    pthread_cond_destroy(&ms->wake);
    pthread_mutex_destroy(&ms->lock);
    if (ms->installed_wl)
        kz_warninglists_uninstall();
    free(ms);
}

int kz_match_service_start(kz_http_server *srv, kz_err *err)
{
    kz_match_service *ms = calloc(1, sizeof *ms);
    if (!ms)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    pthread_mutex_init(&ms->lock, NULL);
    pthread_cond_init(&ms->built, NULL);
    pthread_cond_init(&ms->wake, NULL);
    ms->cap = srv->cfg.match_orgs ? srv->cfg.match_orgs : DEFAULT_ORGS;
    ms->slots = calloc(ms->cap, sizeof *ms->slots);
    ms->db_path = strdup(srv->cfg.db_path);
    if (!ms->slots || !ms->db_path) {
        service_free(ms);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    if (srv->cfg.warninglists && *srv->cfg.warninglists) {
        const kz_match_warninglists *wl = NULL;
        int rc = kz_warninglists_install(srv->cfg.warninglists, &wl, err);
        if (rc) {
            service_free(ms);
            return rc;
        }
        ms->installed_wl = true;
        ms->refresh = true;
        kz_match_wl_stats ws;
        kz_match_warninglists_stats(wl, &ws);
        kz_log(KZ_LOG_INFO, "warninglists: %zu lists, %zu values from %s", ws.lists, ws.entries,
               srv->cfg.warninglists);
    }
    /* (kz_http_serve blocked the stop signals before starting any thread:
     * this one inherits that mask.) */
    if (pthread_create(&ms->thread, NULL, run, ms) != 0) {
        service_free(ms);
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot start the match index thread");
    }
    ms->thread_started = true;
    srv->ms = ms;
    return 0;
}

void kz_match_service_stop(kz_http_server *srv)
{
    kz_match_service *ms = srv->ms;
    if (!ms)
        return;
    pthread_mutex_lock(&ms->lock);
    ms->stop = true;
    pthread_cond_broadcast(&ms->wake);
    pthread_mutex_unlock(&ms->lock);
    if (ms->thread_started)
        pthread_join(ms->thread, NULL);
    service_free(ms);
    srv->ms = NULL;
}
