/* schedule.c — the background thread `kizuna serve` runs for federation.
 *
 * Push on publish: the thread looks at the change-log head every 200 ms
 * and pushes to every push peer whose acknowledged position is behind it,
 * so a change is on a connected node well within a second. Pull on a
 * schedule: each pull peer is pulled every pull_interval seconds (0 = only
 * by `kizuna sync now`). A failing peer is retried with a growing delay (up
 * to a minute) and its last error is kept on the peer row for `peer list`.
 *
 * The thread has its own store connection, like every HTTP worker, and
 * reads the peer table on every round, so `kizuna peer add|pause` take
 * effect on a running node without a restart.
 */
#include "sync.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 200
#define MAX_PEERS 256
#define BACKOFF_MAX_US (60 * 1000000LL)

typedef struct peer_state {
    kz_uuid id;
    kz_time next_push, next_pull;
    int fails;
} peer_state;

struct kz_sync_scheduler {
    pthread_t thread;
    atomic_bool stop;
    char *db_path;
    peer_state st[MAX_PEERS];
    size_t n;
};

static peer_state *state_of(kz_sync_scheduler *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->st[i].id, id) == 0)
            return &s->st[i];
    if (s->n == MAX_PEERS)
        return NULL;
    peer_state *p = &s->st[s->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    return p;
}

static void failed(kz_store *st, const kz_peer *p, peer_state *ps, const char *what,
                   const kz_err *e, kz_time now, kz_time *next)
{
    ps->fails++;
    kz_time delay = 1000000LL << (ps->fails < 6 ? ps->fails : 6);
    *next = now + (delay > BACKOFF_MAX_US ? BACKOFF_MAX_US : delay);
    kz_log(KZ_LOG_WARN, "sync: %s peer '%s' failed: %s", what, p->name, e->msg);
    kz_err ignore = {0};
    kz_store_peer_status(st, p->id, now, e->msg, &ignore);
}

static void round_once(kz_sync_scheduler *s, kz_store *st, const kz_node_identity *id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_err e = {0};
    int64_t head = 0;
    kz_peer *peers = NULL;
    size_t n = 0;
    if (kz_store_changes_head(st, &head, &e) || kz_store_peer_list(st, &a, &peers, &n, &e)) {
        kz_arena_free(&a);
        return;
    }
    for (size_t i = 0; i < n && !atomic_load(&s->stop); i++) {
        kz_peer *p = &peers[i];
        peer_state *ps = state_of(s, p->id);
        if (!ps || p->paused)
            continue;
        kz_time now = kz_time_now();
        bool push = (p->direction & KZ_PEER_PUSH) && head > p->pushed_cursor && now >= ps->next_push;
        bool pull = (p->direction & KZ_PEER_PULL) && p->pull_interval > 0 && now >= ps->next_pull;
        if (!push && !pull)
            continue;
        /* The list does not carry API keys: read the one peer with its key. */
        kz_peer full;
        if (kz_store_peer_get(st, p->id, &a, &full, &e)) {
            kz_log(KZ_LOG_WARN, "sync: cannot read peer '%s': %s", p->name, e.msg);
            continue;
        }
        kz_sync_run run;
        if (push) {
            if (kz_sync_push(st, id, &full, &run, &e))
                failed(st, &full, ps, "pushing to", &e, now, &ps->next_push);
            else
                ps->fails = 0;
        }
        if (pull) {
            ps->next_pull = now + (kz_time)p->pull_interval * 1000000;
            if (kz_sync_pull(st, id, &full, &run, &e))
                failed(st, &full, ps, "pulling from", &e, now, &ps->next_pull);
            else
                ps->fails = 0;
        }
    }
    kz_arena_free(&a);
}

static void *run(void *arg)
{
    kz_sync_scheduler *s = arg;
    kz_store *st = NULL;
    kz_node_identity id;
    bool have_id = false;
    kz_err e = {0};
    kz_sync_set_abort(&s->stop);
    while (!atomic_load(&s->stop)) {
        if (!st && kz_store_open(s->db_path, &st, &e)) {
            kz_log(KZ_LOG_ERROR, "sync: cannot open the database: %s", e.msg);
            st = NULL;
        }
        if (st && !have_id) {
            have_id = kz_sync_identity_load(st, &id, &e) == 0;
            if (!have_id) {
                kz_log(KZ_LOG_ERROR, "sync: no node identity, federation is off: %s", e.msg);
                break;
            }
        }
        if (st && have_id)
            round_once(s, st, &id);
        struct timespec ts = {0, TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (have_id)
        kz_sync_identity_clear(&id);
    if (st)
        kz_store_close(st);
    return NULL;
}

int kz_sync_scheduler_start(const char *db_path, kz_sync_scheduler **out, kz_err *err)
{
    *out = NULL;
    kz_sync_scheduler *s = calloc(1, sizeof *s);
    if (!s || !(s->db_path = strdup(db_path))) {
        free(s);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    atomic_init(&s->stop, false);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        free(s->db_path);
        free(s);
        return kz_fail(err, KZ_E_INTERNAL, "", "cannot start the sync thread");
    }
    *out = s;
    return 0;
}

void kz_sync_scheduler_stop(kz_sync_scheduler *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    free(s->db_path);
    free(s);
}
