/* test_crash.c — crash consistency: the node (and `kizuna import`) killed
 * with SIGKILL at random points while writing, then restarted. After every
 * crash:
 *   - every write that was acknowledged (a 2xx, or an import that exited 0)
 *     is there, whole;
 *   - nothing unacknowledged is half there: each request's (or import's)
 *     group of indicators is stored whole or not at all, and an event is
 *     present exactly when all its indicators are;
 *   - a request answered with an error stored nothing;
 *   - PRAGMA integrity_check is "ok" and foreign_key_check is empty;
 *   - the restarted node's match index (POST /api/v1/lookup for every stored
 *     value plus a value of every absent group) answers exactly the
 *     (value, indicator) pairs the store holds.
 *
 * Scenarios: (a) a large `kizuna import` beside a running node, (b) several
 * client threads POSTing events and indicator batches, (c) STIX bundles
 * (POST /api/v1/stix) and MISP events (POST /events/add) from several
 * threads, (d) a large `kizuna stix import` alone on a node (the bulk load
 * with a rollback journal). The kill points come from a seeded generator; the seed is printed
 * and KZ_CRASH_SEED replays a run. KZ_CRASH_ITER sets the iterations per
 * scenario (default 4).
 *
 * Every indicator value says which write it belongs to: the IPv6 address
 * 2001:db8:S:I:G::N (scenario, iteration, group, index; all non-zero hex, so
 * the text is already canonical), so the store can be audited group by
 * group with one query.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kz_node.h"
#include "kz_run.h"

#define MAX_GROUPS 4096
#define MAX_ITER 16

static uint64_t rng;
static int iterations = 4;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static double rnd01(void)
{
    return (double)(rnd() >> 11) / (double)(1ULL << 53);
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(long long us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- what was written ------------------------------------------------------ */

enum { G_UNSENT, G_SENT, G_ACKED, G_REJECTED };

typedef struct group {
    _Atomic int state;
    int size;       /* indicators in the group */
    bool is_event;  /* the group created its event (else: added to one) */
} group;

typedef struct scenario {
    int s; /* 1, 2, 3 */
    group g[MAX_ITER + 1][MAX_GROUPS];
    _Atomic int next[MAX_ITER + 1];
} scenario;

static void value_of(char *out, size_t n, int s, int iter, int g, int i)
{
    snprintf(out, n, "2001:db8:%x:%x:%x::%x", s, iter + 1, g + 1, i + 1);
}

/* ---- the node ------------------------------------------------------------ */

static const char *const SERVE_ARGS[] = {"--rate", "0", "--no-access-log", NULL};

static void crash_node(kz_node *n)
{
    if (n->pid > 0) {
        kill(n->pid, SIGKILL);
        waitpid(n->pid, NULL, 0);
    }
    n->pid = 0;
    if (n->out_fd >= 0)
        close(n->out_fd);
    n->out_fd = -1;
    if (n->curl)
        curl_easy_cleanup(n->curl);
    n->curl = NULL;
}

/* ---- the audit ------------------------------------------------------------- */

static char *sql_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        out = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    return out;
}

typedef struct pair {
    char v[48];
    char id[40];
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    int c = strcmp(x->v, y->v);
    return c ? c : strcmp(x->id, y->id);
}

/* Parses 2001:db8:S:I:G::N back; 0 if it is not one of ours. */
static int parse_value(const char *v, int *s, int *iter, int *g)
{
    unsigned a, b, c, d;
    if (sscanf(v, "2001:db8:%x:%x:%x::%x", &a, &b, &c, &d) != 4)
        return 0;
    *s = (int)a;
    *iter = (int)b - 1;
    *g = (int)c - 1;
    return 1;
}

static void audit(kz_node *n, scenario *sc, int upto_iter)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(n->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 30000);
    char *ic = sql_text(db, "PRAGMA integrity_check");
    assert_non_null(ic);
    if (strcmp(ic, "ok") != 0)
        fail_msg("integrity_check after a crash: %s", ic);
    free(ic);
    char *fk = sql_text(db, "PRAGMA foreign_key_check");
    if (fk)
        fail_msg("foreign_key_check after a crash names table %s", fk);

    /* Every stored indicator of this scenario, tallied per group. */
    static int tally[MAX_ITER + 1][MAX_GROUPS];
    memset(tally, 0, sizeof tally);
    size_t cap = 4096, np = 0;
    pair *pairs = malloc(cap * sizeof *pairs);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT value, id, to_ids FROM indicators WHERE deleted = 0"
                                        " AND value LIKE ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    char like[32];
    snprintf(like, sizeof like, "2001:db8:%x:%%", sc->s);
    sqlite3_bind_text(st, 1, like, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        int s = 0, it = 0, g = 0;
        assert_true(parse_value(v, &s, &it, &g));
        assert_true(it >= 0 && it <= upto_iter && g >= 0 && g < MAX_GROUPS);
        tally[it][g]++;
        assert_int_equal(sqlite3_column_int(st, 2), 1);
        if (np == cap)
            pairs = realloc(pairs, (cap *= 2) * sizeof *pairs);
        snprintf(pairs[np].v, sizeof pairs[np].v, "%s", v);
        snprintf(pairs[np].id, sizeof pairs[np].id, "%s", (const char *)sqlite3_column_text(st, 1));
        np++;
    }
    sqlite3_finalize(st);

    /* Events of this scenario: present exactly when their group is whole. */
    snprintf(like, sizeof like, "crash-%d-%%", sc->s);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT title FROM events WHERE title LIKE ?1", -1,
                                        &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, like, -1, SQLITE_TRANSIENT);
    size_t events = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int s = 0, it = 0, g = 0;
        assert_int_equal(sscanf((const char *)sqlite3_column_text(st, 0), "crash-%d-%d-%d", &s,
                                &it, &g),
                         3);
        assert_true(it >= 0 && it <= upto_iter && g >= 0 && g < MAX_GROUPS);
        if (tally[it][g] != sc->g[it][g].size)
            fail_msg("event crash-%d-%d-%d is there with %d of its %d indicators", s, it, g,
                     tally[it][g], sc->g[it][g].size);
        events++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* Group by group: whole or absent; acknowledged = whole; refused = absent. */
    size_t whole = 0, absent = 0, acked = 0, unknown_whole = 0, expect_events = 0;
    for (int it = 0; it <= upto_iter; it++)
        for (int g = 0; g < MAX_GROUPS; g++) {
            group *gr = &sc->g[it][g];
            int state = atomic_load(&gr->state), t = tally[it][g];
            if (t != 0 && t != gr->size)
                fail_msg("scenario %d iteration %d group %d is half there: %d of %d indicators"
                         " (state %d)", sc->s, it, g, t, gr->size, state);
            if (state == G_ACKED && t != gr->size)
                fail_msg("scenario %d iteration %d group %d was acknowledged but is missing",
                         sc->s, it, g);
            if ((state == G_UNSENT || state == G_REJECTED) && t != 0)
                fail_msg("scenario %d iteration %d group %d was %s but is stored", sc->s, it, g,
                         state == G_UNSENT ? "never sent" : "refused");
            if (state == G_UNSENT)
                continue;
            acked += state == G_ACKED;
            if (t) {
                whole++;
                unknown_whole += state == G_SENT;
                expect_events += gr->is_event;
            } else {
                absent++;
            }
        }
    if (sc->s != 3) /* STIX imports make one catch-all event per bundle, untitled */
        assert_int_equal(events, expect_events);

    /* The match index of the restarted node against the store: every stored
     * value with exactly its indicator, nothing for the absent groups. */
    json_t *vals = json_array();
    for (size_t i = 0; i < np; i++)
        json_array_append_new(vals, json_string(pairs[i].v));
    for (int it = 0; it <= upto_iter; it++)
        for (int g = 0; g < MAX_GROUPS; g++)
            if (atomic_load(&sc->g[it][g].state) != G_UNSENT && tally[it][g] == 0) {
                char v[48];
                value_of(v, sizeof v, sc->s, it, g, 0);
                json_array_append_new(vals, json_string(v));
            }
    /* In requests of at most 50,000 values (the route takes 100,000). */
    size_t nvals = json_array_size(vals), nh = 0, hcap = 1024;
    pair *hp = calloc(hcap, sizeof *hp);
    for (size_t from = 0; from < nvals; from += 50000) {
        json_t *chunk = json_array();
        for (size_t i = from; i < nvals && i < from + 50000; i++)
            json_array_append(chunk, json_array_get(vals, i));
        json_t *req = json_pack("{s:o}", "values", chunk);
        char *body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        kz_resp r = kz_post(n, "/api/v1/lookup", n->admin_key, body);
        free(body);
        KZ_EXPECT(r, 200);
        json_t *hits = kz_resp_get(&r, "hits");
        assert_non_null(hits);
        for (size_t i = 0; i < json_array_size(hits); i++) {
            json_t *h = json_array_get(hits, i);
            if (nh == hcap)
                hp = realloc(hp, (hcap *= 2) * sizeof *hp);
            snprintf(hp[nh].v, sizeof hp[nh].v, "%s",
                     json_string_value(json_object_get(h, "value")));
            snprintf(hp[nh].id, sizeof hp[nh].id, "%s",
                     json_string_value(json_object_get(h, "indicator")));
            assert_string_equal(json_string_value(json_object_get(h, "match")), "exact");
            nh++;
        }
        kz_resp_free(&r);
    }
    json_decref(vals);
    qsort(pairs, np, sizeof *pairs, pair_cmp);
    qsort(hp, nh, sizeof *hp, pair_cmp);
    if (nh != np)
        fail_msg("the match index answers %zu hits for %zu values; the store holds %zu", nh,
                 nvals, np);
    for (size_t i = 0; i < np; i++)
        if (pair_cmp(&pairs[i], &hp[i]) != 0)
            fail_msg("the match index differs from the store at %s: index %s, store %s",
                     pairs[i].v, hp[i].id, pairs[i].id);
    free(pairs);
    free(hp);
    printf("    scenario %d after iteration %d: %zu groups whole (%zu of them unacknowledged"
           " but committed), %zu absent, %zu acknowledged; %zu indicators; index = store\n",
           sc->s, upto_iter, whole, unknown_whole, absent, acked, np);
    fflush(stdout);
}

/* ---- (a) kizuna import ------------------------------------------------------ */

static pid_t spawn(const char *const *argv, const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        FILE *o = freopen(".import.out", "w", stdout);
        FILE *e = freopen(".import.err", "w", stderr);
        (void)o;
        (void)e;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void test_crash_during_import(void **state)
{
    (void)state;
    static scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.s = 1;
    kz_node n;
    assert_int_equal(kz_node_init(&n, "CERT-Crash", "JP"), 0);
    assert_int_equal(kz_node_start(&n, SERVE_ARGS), 0);
    const char *env = getenv("KZ_CRASH_IMPORT_SIZE");
    int size = env ? atoi(env) : 15000;
    enum { EVENTS = 3 };
    char file[600];
    long long took = 0;
    for (int it = 0; it <= iterations && it <= MAX_ITER; it++) {
        snprintf(file, sizeof file, "%s/import-%d.jsonl", n.dir, it);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        for (int g = 0; g < EVENTS; g++) {
            sc.g[it][g].size = size;
            sc.g[it][g].is_event = true;
            fprintf(f, "{\"title\":\"crash-1-%d-%d\",\"tlp\":\"green\"}\n", it, g);
            for (int i = 0; i < size; i++) {
                char v[48];
                value_of(v, sizeof v, 1, it, g, i);
                fprintf(f, "{\"type\":\"ipv6\",\"value\":\"%s\"}\n", v);
            }
        }
        fclose(f);
        const char *argv[] = {getenv("KIZUNA_BIN"), "import", "--db", n.db, "--org",
                              "CERT-Crash", file, NULL};
        for (int g = 0; g < EVENTS; g++)
            atomic_store(&sc.g[it][g].state, G_SENT);
        long long t0 = now_us();
        pid_t pid = spawn(argv, n.dir);
        assert_true(pid > 0);
        /* Iteration 0 runs to the end and times the import; later ones are
         * killed somewhere between its start and a little past its end. */
        long long at = it == 0 ? -1 : (long long)(rnd01() * (double)took);
        int st = 0;
        bool exited = false;
        while (!exited) {
            if (waitpid(pid, &st, WNOHANG) == pid) {
                exited = true;
                break;
            }
            if (at >= 0 && now_us() - t0 >= at)
                break;
            sleep_us(2000);
        }
        if (!exited) {
            kill(pid, SIGKILL);
            crash_node(&n);
            waitpid(pid, &st, 0);
        } else {
            took = now_us() - t0; /* the latest full run: the page cache warms up */
            crash_node(&n);
        }
        bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (it == 0 && !ok) {
            char p[700];
            snprintf(p, sizeof p, "%s/.import.err", n.dir);
            char *err = kz_test_slurp(p);
            fail_msg("the uninterrupted import failed: %s", err);
        }
        printf("    import %d: %s after %.3f s (kill point %.3f s)\n", it,
               ok ? "finished" : WIFSIGNALED(st) ? "killed" : "failed",
               (double)(now_us() - t0) / 1e6, (double)at / 1e6);
        for (int g = 0; g < EVENTS; g++)
            if (ok)
                atomic_store(&sc.g[it][g].state, G_ACKED);
        assert_int_equal(kz_node_start(&n, SERVE_ARGS), 0);
        audit(&n, &sc, it);
    }
    kz_node_free(&n);
}

/* ---- (d) kizuna stix import alone on a node ---------------------------------- */

/* A bundle of n indicators of iteration it, padded past the 64 MiB from
 * which `kizuna stix import` loads in bulk mode: into a node that holds no
 * STIX object and is not being served, the load then runs with a rollback
 * journal instead of WAL (kz_store_begin_bulk). */
static void stix_bundle(const char *path, int it, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char pad[401];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-%012x\","
               "\"objects\":[",
            it);
    for (int i = 0; i < n; i++) {
        char v[48];
        value_of(v, sizeof v, 4, it, i / 60000, i % 60000); /* each part < 0x10000 */
        fprintf(f,
                "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                "\"id\":\"indicator--00000000-0000-4000-8000-%04x%08x\","
                "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                "\"name\":\"crash-4\",\"description\":\"%s\","
                "\"pattern\":\"[ipv6-addr:value = '%s']\",\"pattern_type\":\"stix\","
                "\"valid_from\":\"2024-01-01T00:00:00Z\"}\n",
                i ? "," : "", it, i, pad, v);
    }
    fprintf(f, "]}\n");
    fclose(f);
}

static long long count_of(sqlite3 *db, const char *sql)
{
    char *t = sql_text(db, sql);
    assert_non_null(t);
    long long v = atoll(t);
    free(t);
    return v;
}

/* The node's rows: STIX objects, this scenario's indicators, events. */
typedef struct tally4 {
    long long objects, indicators, events;
} tally4;

static tally4 audit_stix(kz_node *n)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(n->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 30000);
    char *ic = sql_text(db, "PRAGMA integrity_check");
    assert_non_null(ic);
    if (strcmp(ic, "ok") != 0)
        fail_msg("integrity_check after a crash: %s", ic);
    free(ic);
    /* The node reopened it: WAL again, whatever the import used. */
    char *mode = sql_text(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal");
    free(mode);
    tally4 t = {
        count_of(db, "SELECT count(*) FROM stix_objects"),
        count_of(db, "SELECT count(*) FROM indicators WHERE value LIKE '2001:db8:4:%'"),
        count_of(db, "SELECT count(*) FROM events"),
    };
    sqlite3_close(db);
    return t;
}

static void test_crash_during_stix_bulk_import(void **state)
{
    (void)state;
    const char *env = getenv("KZ_CRASH_STIX_SIZE");
    int size = env ? atoi(env) : 110000;
    /* Iteration 0 times a whole import into a node of its own; the others
     * are killed somewhere in it, into a node that stays without STIX
     * objects (so each takes the rollback-journal path) until one of them
     * happens to commit before its kill. */
    kz_node timing, n;
    assert_int_equal(kz_node_init(&timing, "CERT-Crash", "JP"), 0);
    assert_int_equal(kz_node_init(&n, "CERT-Crash", "JP"), 0);
    assert_int_equal(kz_node_start(&n, SERVE_ARGS), 0);
    tally4 have = audit_stix(&n);
    crash_node(&n);
    long long took = 0;
    int with_journal = 0;
    for (int it = 0; it <= iterations && it <= MAX_ITER; it++) {
        kz_node *on = it == 0 ? &timing : &n;
        char file[600], journal[600];
        snprintf(file, sizeof file, "%s/stix-%d.json", on->dir, it);
        snprintf(journal, sizeof journal, "%s-journal", on->db);
        stix_bundle(file, it, size);
        const char *argv[] = {getenv("KIZUNA_BIN"), "stix",  "import", "--db", on->db,
                              "--org",               "CERT-Crash", file, NULL};
        long long t0 = now_us();
        pid_t pid = spawn(argv, on->dir);
        assert_true(pid > 0);
        /* Mostly while rows are being written (the journal is there). */
        long long at = it == 0 ? -1 : (long long)((0.2 + 0.8 * rnd01()) * (double)took);
        int st = 0;
        bool exited = false, saw_journal = false;
        while (!exited) {
            if (waitpid(pid, &st, WNOHANG) == pid) {
                exited = true;
                break;
            }
            saw_journal = saw_journal || access(journal, F_OK) == 0;
            if (at >= 0 && now_us() - t0 >= at)
                break;
            sleep_us(2000);
        }
        if (!exited) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
        } else if (it == 0) {
            took = now_us() - t0;
        }
        bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (it == 0 && !ok) {
            char p[700];
            snprintf(p, sizeof p, "%s/.import.err", on->dir);
            char *err = kz_test_slurp(p);
            fail_msg("the uninterrupted STIX import failed: %s", err);
        }
        with_journal += saw_journal;
        printf("    stix import %d: %s after %.3f s (kill point %.3f s)%s\n", it,
               ok ? "finished" : WIFSIGNALED(st) ? "killed" : "failed",
               (double)(now_us() - t0) / 1e6, (double)at / 1e6,
               saw_journal ? ", rollback journal seen" : "");
        fflush(stdout);
        /* Restarted: a hot journal is rolled back as the node opens. */
        assert_int_equal(kz_node_start(on, SERVE_ARGS), 0);
        tally4 now = audit_stix(on);
        crash_node(on);
        assert_int_equal(access(journal, F_OK), -1);
        if (it == 0) {
            assert_int_equal(now.objects, size);
            assert_int_equal(now.indicators, size);
            continue;
        }
        /* All of the import, or the node exactly as before it. */
        bool whole = now.objects == have.objects + size &&
                     now.indicators == have.indicators + size && now.events == have.events + 1;
        bool before = now.objects == have.objects && now.indicators == have.indicators &&
                      now.events == have.events;
        if (ok && !whole)
            fail_msg("stix import %d exited 0 but the node holds %lld objects, %lld indicators",
                     it, now.objects, now.indicators);
        if (!whole && !before)
            fail_msg("stix import %d half there: %lld objects, %lld indicators, %lld events"
                     " (before: %lld, %lld, %lld)",
                     it, now.objects, now.indicators, now.events, have.objects, have.indicators,
                     have.events);
        have = now;
    }
    /* The path under test was taken: at least the timing run, into an
     * empty node nobody serves, wrote through a rollback journal. */
    assert_true(with_journal > 0);
    kz_node_free(&timing);
    kz_node_free(&n);
}

/* ---- (b), (c) writers over HTTP ------------------------------------------- */

enum { W_EVENT, W_BATCH, W_STIX, W_MISP };

typedef struct writer {
    kz_node *n;
    scenario *sc;
    int it, kind, batch;
    _Atomic bool *stop;
    char last_event[40]; /* an acknowledged event of this writer, for batches */
    size_t sent, acked;
} writer;

static char *make_body(writer *w, int g)
{
    kz_buf b;
    kz_buf_init(&b);
    char v[48];
    int s = w->sc->s;
    if (w->kind == W_EVENT || w->kind == W_BATCH) {
        if (w->kind == W_EVENT)
            kz_buf_printf(&b, "{\"title\":\"crash-%d-%d-%d\",\"tlp\":\"green\",\"indicators\":[", s,
                          w->it, g);
        else
            kz_buf_printf(&b, "{\"indicators\":[");
        for (int i = 0; i < w->batch; i++) {
            value_of(v, sizeof v, s, w->it, g, i);
            kz_buf_printf(&b, "%s{\"type\":\"ipv6\",\"value\":\"%s\"}", i ? "," : "", v);
        }
        kz_buf_printf(&b, "]}");
    } else if (w->kind == W_STIX) {
        kz_buf_printf(&b, "{\"type\":\"bundle\",\"id\":\"bundle--%08x-%04x-4%03x-8000-000000000000\","
                          "\"objects\":[", s, w->it, g);
        for (int i = 0; i < w->batch; i++) {
            value_of(v, sizeof v, s, w->it, g, i);
            kz_buf_printf(&b,
                          "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                          "\"id\":\"indicator--%08x-%04x-4%03x-8%03x-000000000001\","
                          "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
                          "\"pattern\":\"[ipv6-addr:value = '%s']\",\"pattern_type\":\"stix\","
                          "\"valid_from\":\"2026-01-01T00:00:00Z\"}",
                          i ? "," : "", s, w->it, g, i, v);
        }
        kz_buf_printf(&b, "]}");
    } else {
        kz_buf_printf(&b, "{\"Event\":{\"info\":\"crash-%d-%d-%d\",\"Attribute\":[", s, w->it, g);
        for (int i = 0; i < w->batch; i++) {
            value_of(v, sizeof v, s, w->it, g, i);
            kz_buf_printf(&b, "%s{\"type\":\"ip-dst\",\"value\":\"%s\",\"to_ids\":true}",
                          i ? "," : "", v);
        }
        kz_buf_printf(&b, "]}}");
    }
    return kz_buf_steal(&b);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    kz_node tn = *w->n; /* own libcurl handle: kz_http is not thread-safe */
    tn.curl = NULL;
    while (!atomic_load(w->stop)) {
        int g = atomic_fetch_add(&w->sc->next[w->it], 1);
        if (g >= MAX_GROUPS)
            break;
        int kind = w->kind;
        if (kind == W_BATCH && !w->last_event[0])
            kind = W_EVENT;
        writer one = *w;
        one.kind = kind;
        group *gr = &w->sc->g[w->it][g];
        gr->size = w->batch;
        gr->is_event = kind == W_EVENT || kind == W_MISP;
        char *body = make_body(&one, g);
        const char *path = kind == W_EVENT  ? "/api/v1/events"
                           : kind == W_STIX ? "/api/v1/stix"
                           : kind == W_MISP ? "/events/add"
                                            : NULL;
        char p[128];
        if (!path) {
            snprintf(p, sizeof p, "/api/v1/events/%s/indicators", w->last_event);
            path = p;
        }
        atomic_store(&gr->state, G_SENT);
        w->sent++;
        kz_resp r = kz_post(&tn, path, tn.admin_key, body);
        free(body);
        if (r.status >= 200 && r.status < 300) {
            atomic_store(&gr->state, G_ACKED);
            w->acked++;
            const char *id = kz_resp_str(&r, "id");
            if (kind == W_EVENT && id)
                snprintf(w->last_event, sizeof w->last_event, "%s", id);
        } else if (r.status >= 400) {
            /* A definite answer that nothing was stored. */
            atomic_store(&gr->state, G_REJECTED);
            fprintf(stderr, "writer: %s answered %ld: %.200s\n", path, r.status, r.body);
        }
        bool dead = r.status == 0;
        kz_resp_free(&r);
        if (dead)
            break; /* the node is gone */
    }
    if (tn.curl)
        curl_easy_cleanup(tn.curl);
    return NULL;
}

static void run_writers(int s, const int *kinds, int nw, int batch)
{
    static scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.s = s;
    kz_node n;
    assert_int_equal(kz_node_init(&n, "CERT-Crash", "JP"), 0);
    assert_int_equal(kz_node_start(&n, SERVE_ARGS), 0);
    for (int it = 0; it < iterations && it <= MAX_ITER; it++) {
        _Atomic bool stop = false;
        writer w[8];
        pthread_t th[8];
        for (int i = 0; i < nw; i++) {
            w[i] = (writer){.n = &n, .sc = &sc, .it = it, .kind = kinds[i], .batch = batch,
                            .stop = &stop};
            assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
        }
        long long at = 150000 + (long long)(rnd01() * 1200000.0);
        sleep_us(at);
        crash_node(&n);
        atomic_store(&stop, true);
        size_t sent = 0, acked = 0;
        for (int i = 0; i < nw; i++) {
            pthread_join(th[i], NULL);
            sent += w[i].sent;
            acked += w[i].acked;
        }
        printf("    iteration %d: killed after %.3f s; %zu requests sent, %zu acknowledged\n", it,
               (double)at / 1e6, sent, acked);
        assert_true(sent > 0); /* the writers did run */
        assert_int_equal(kz_node_start(&n, SERVE_ARGS), 0);
        audit(&n, &sc, it);
    }
    kz_node_free(&n);
}

static void test_crash_during_api_writes(void **state)
{
    (void)state;
    const int kinds[] = {W_EVENT, W_EVENT, W_BATCH, W_BATCH};
    run_writers(2, kinds, 4, 40);
}

static void test_crash_during_stix_and_misp_imports(void **state)
{
    (void)state;
    const int kinds[] = {W_STIX, W_STIX, W_MISP};
    run_writers(3, kinds, 3, 60);
}

int main(void)
{
    kz_base_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *s = getenv("KZ_CRASH_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (!seed)
        seed = 1;
    rng = seed;
    const char *it = getenv("KZ_CRASH_ITER");
    if (it)
        iterations = atoi(it) < 1 ? 1 : atoi(it) > MAX_ITER ? MAX_ITER : atoi(it);
    printf("test_crash: seed %llu (replay with KZ_CRASH_SEED=%llu), %d iterations per scenario\n",
           (unsigned long long)seed, (unsigned long long)seed, iterations);
    fflush(stdout);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_during_import),
        cmocka_unit_test(test_crash_during_api_writes),
        cmocka_unit_test(test_crash_during_stix_and_misp_imports),
        cmocka_unit_test(test_crash_during_stix_bulk_import),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
