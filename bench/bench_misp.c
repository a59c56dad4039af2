/* bench_misp.c — the MISP figures of the issue, measured in-process on the
 * real code paths (an import goes through kz_misp_import_text, the one
 * entry point for a MISP event document: attachments read from the text, a
 * big event parsed on a second thread while it is stored; it is timed from
 * the bytes in memory to its commit), each printed as a markdown row with
 * MISP's own reported figure beside it.
 *
 *   bench_misp import-file FILE [REPEAT]   MISP event JSON -> store (load, parse,
 *                                          normalise, store), REPEAT fresh stores,
 *                                          warm (after another event) and cold
 *   bench_misp import-synth N [REPEAT]     a synthetic N-attribute MISP event
 *   bench_misp import-loop FILE N          FILE imported N times into one store, its
 *                                          UUIDs renamed each time (a feed's events one
 *                                          after another): per-import times, and a
 *                                          clean profile of the import alone for perf
 *   bench_misp corr N                      a store of N indicators: build the
 *                                          correlation index from scratch, then
 *                                          correlate every indicator
 *   bench_misp make-db PATH N              a node database with N MISP attributes
 *                                          for bench/misp.sh (restSearch under wrk);
 *                                          prints the admin key and a value to search
 *
 * Synthetic values are drawn from a seeded generator (reproducible), with a
 * realistic mix: addresses, networks, domains and their subdomains, URLs,
 * md5 / sha256, filename|sha256; about one value in ten recurs in other
 * events so correlation has work to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/formats.h"
#include "http/http_int.h"
#include "match/match.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process: on a busy machine, wall time also counts the
 * other processes; both are printed. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread: with the import streamed, this thread
 * writes (SQLite) while a second one parses; on two idle cores the import
 * takes as long as the busier of the two, which is what a machine shared
 * with other work does not show in wall time. */
static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const kz_err *err)
{
    fprintf(stderr, "bench_misp: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* n hex digits determined by seed (so a pooled value is the same each time). */
static void hex(uint64_t seed, char *out, size_t n)
{
    static const char d[] = "0123456789abcdef";
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = d[(x >> 32) & 15];
    }
    out[n] = 0;
}

/* One synthetic value: MISP type and value text. Every tenth comes from a
 * small shared pool so that values recur across events. */
static void synth(size_t i, const char **type, char *value, size_t cap)
{
    uint64_t k = (i % 10 == 0) ? (next() % 5000) : next();
    char h[129];
    switch (k % 8) {
    case 0:
        *type = "ip-dst";
        snprintf(value, cap, "%u.%u.%u.%u", (unsigned)(k >> 8 & 223) + 1,
                 (unsigned)(k >> 16 & 255), (unsigned)(k >> 24 & 255), (unsigned)(k >> 32 & 255));
        break;
    case 1:
        *type = "ip-src";
        snprintf(value, cap, "%u.%u.%u.0/24", (unsigned)(k >> 8 & 223) + 1,
                 (unsigned)(k >> 16 & 255), (unsigned)(k >> 24 & 255));
        break;
    case 2:
        *type = "domain";
        snprintf(value, cap, "d%llx.example", (unsigned long long)(k >> 8 & 0xffffff));
        break;
    case 3:
        *type = "hostname";
        snprintf(value, cap, "h%llx.d%llx.example", (unsigned long long)(k >> 40 & 0xff),
                 (unsigned long long)(k >> 8 & 0xffffff));
        break;
    case 4:
        *type = "url";
        snprintf(value, cap, "http://d%llx.example/p/%llx", (unsigned long long)(k >> 8 & 0xffffff),
                 (unsigned long long)(k >> 32));
        break;
    case 5:
        *type = "md5";
        hex(k, h, 32);
        snprintf(value, cap, "%s", h);
        break;
    case 6:
        *type = "sha256";
        hex(k, h, 64);
        snprintf(value, cap, "%s", h);
        break;
    default:
        *type = "filename|sha256";
        hex(k, h, 64);
        snprintf(value, cap, "f%llx.exe|%s", (unsigned long long)(k >> 40), h);
        break;
    }
}

/* A MISP event with n attributes as JSON text. */
static char *synth_event(size_t n, size_t ev_no, const char *tlp)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_uuid id;
    kz_uuid_v4(id);
    kz_buf_printf(&b,
                  "{\"Event\":{\"uuid\":\"%s\",\"info\":\"synthetic %zu\",\"date\":\"2024-01-01\","
                  "\"threat_level_id\":\"2\",\"analysis\":\"2\",\"distribution\":\"3\","
                  "\"published\":true,\"timestamp\":\"1704067200\",\"Orgc\":{\"uuid\":"
                  "\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"
                  "\"Tag\":[{\"name\":\"%s\"}],\"Attribute\":[",
                  id, ev_no, tlp);
    char value[256];
    for (size_t i = 0; i < n; i++) {
        const char *type;
        synth(i, &type, value, sizeof value);
        kz_uuid_v4(id);
        kz_buf_printf(&b,
                      "%s{\"type\":\"%s\",\"value\":\"%s\",\"uuid\":\"%s\",\"to_ids\":true,"
                      "\"timestamp\":\"1704067200\",\"distribution\":\"5\",\"comment\":\"\"}",
                      i ? "," : "", type, value, id);
    }
    kz_buf_puts(&b, "]}}");
    return kz_buf_steal(&b);
}

static kz_store *fresh_store(const char *path)
{
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    kz_store *st;
    kz_err err;
    if (kz_store_open(path, &st, &err) != 0)
        die("open", &err);
    return st;
}

/* load + parse + store, in one transaction, through the function the CLI
 * and /events/add use (kz_misp_import_text: attachments read from the text,
 * a big event parsed on a second thread while it is stored). */
static size_t import_text(kz_store *st, const char *text, size_t len)
{
    kz_err err = {0};
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_event me;
    kz_misp_put_opts o = {.create_orgs = true, .replace = true};
    double t0 = now_s(), c0 = cpu_s();
    kz_store_bulk_mode(st, true);
    if (kz_store_begin(st, &err) != 0 ||
        kz_misp_import_text(st, text, len, NULL, &o, &a, &me, NULL, &err) != 0)
        die("import", &err);
    double t1 = now_s(), c1 = cpu_s();
    if (kz_store_commit(st, &err) != 0)
        die("commit", &err);
    size_t n = me.ev.n_indicators;
    kz_arena_free(&a);
    if (getenv("BENCH_VERBOSE"))
        fprintf(stderr,
                "bench_misp: load + parse + store %.3f ms (CPU %.3f), commit and free %.3f ms"
                " (CPU %.3f)\n",
                (t1 - t0) * 1e3, (c1 - c0) * 1e3, (now_s() - t1) * 1e3, (cpu_s() - c1) * 1e3);
    return n;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static const char *tmpdb(void)
{
    static char path[512];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bench_misp_%d.db", t ? t : "/tmp", (int)getpid());
    return path;
}

static void cleanup(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s.secret", path);
    unlink(side);
}

/* MISP's tracker: a 43,000-attribute event took 2 minutes to import. */
#define MISP_ATTR_PER_S (43000.0 / 120.0)

/* A small event of another feed, with what MISP events carry (tags, an
 * object with a reference, an attachment, a sighting): imported first, it
 * leaves the store as every event after a feed's first finds it, with its
 * statements prepared and its schema read. */
static const char WARM_EVENT[] =
    "{\"Event\":{\"uuid\":\"0e4c1f7a-9a3b-4f0e-8d51-1b2c3d4e5f60\",\"info\":\"warm-up\","
    "\"date\":\"2024-01-01\",\"distribution\":\"3\",\"timestamp\":\"1704067200\","
    "\"published\":true,\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\","
    "\"name\":\"CIRCL\"},\"Tag\":[{\"name\":\"tlp:white\"},{\"name\":\"osint\"}],"
    "\"Attribute\":[{\"type\":\"md5\",\"value\":\"0123456789abcdef0123456789abcdef\","
    "\"Tag\":[{\"name\":\"dropper\"}],\"Sighting\":[{\"type\":\"0\","
    "\"date_sighting\":\"1704067300\"}]},{\"type\":\"attachment\",\"value\":\"a.png\","
    "\"data\":\"iVBORw0KGgo=\"},{\"type\":\"ip-dst|port\",\"value\":\"192.0.2.1|80\"}],"
    "\"Object\":[{\"name\":\"file\",\"meta-category\":\"file\",\"uuid\":"
    "\"1f5d2e8b-0b4c-4a1f-9e62-2c3d4e5f6071\",\"ObjectReference\":[{\"referenced_uuid\":"
    "\"0e4c1f7a-9a3b-4f0e-8d51-1b2c3d4e5f60\",\"relationship_type\":\"related-to\"}],"
    "\"Attribute\":[{\"type\":\"filename\",\"object_relation\":\"filename\","
    "\"value\":\"a.exe\"},{\"type\":\"sha1\",\"object_relation\":\"sha1\","
    "\"value\":\"0123456789abcdef0123456789abcdef01234567\"}]}]}}";

/* Best of repeat imports of file, each into a new store: warm (after
 * WARM_EVENT, as a feed's events after the first) or cold (the first
 * thing the store does: its statements are prepared within the time). */
static double time_file(const char *text, size_t len, int repeat, bool warm, size_t *n)
{
    const char *db = tmpdb();
    double best = 1e9;
    for (int i = 0; i < repeat; i++) {
        kz_store *st = fresh_store(db);
        if (warm) {
            import_text(st, WARM_EVENT, strlen(WARM_EVENT));
            kz_store_bulk_mode(st, false);
        }
        double t0 = now_s();
        *n = import_text(st, text, len);
        double dt = now_s() - t0;
        kz_store_bulk_mode(st, false); /* done at the commit: giving the cache back is not */
        if (dt < best)
            best = dt;
        kz_store_close(st);
    }
    cleanup(db);
    return best;
}

static int cmd_import_file(const char *file, int repeat)
{
    size_t len, n = 0;
    char *text = read_all(file, &len);
    const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    for (int warm = 1; warm >= 0; warm--) {
        double best = time_file(text, len, repeat, warm, &n);
        double rate = (double)n / best;
        printf("| import %s (%zu attributes, %.0f KB), best of %d, %s | %.0f | %.1f ms | %.0f |"
               " %.0fx |\n",
               name, n, (double)len / 1024, repeat,
               warm ? "an event of a feed (store warm)" : "first event into a new store", rate,
               best * 1000, MISP_ATTR_PER_S, rate / MISP_ATTR_PER_S);
    }
    free(text);
    return 0;
}

/* Gives every UUID of text but keep's a new first group (seq in hex), so
 * that the same document is a new event with new attributes each time. */
static void rename_uuids(char *text, size_t len, const char *keep, unsigned seq)
{
    static const int dash[] = {8, 13, 18, 23};
    for (size_t i = 0; i + 38 <= len; i++) {
        if (text[i] != '"' || text[i + 37] != '"')
            continue;
        bool ok = true;
        for (int k = 0; ok && k < 4; k++)
            ok = text[i + 1 + dash[k]] == '-';
        for (size_t k = 1; ok && k <= 36; k++)
            ok = text[i + k] == '-' || strchr("0123456789abcdefABCDEF", text[i + k]);
        if (!ok || memcmp(text + i + 1, keep, 36) == 0)
            continue;
        char h[9];
        snprintf(h, sizeof h, "%08x", seq);
        memcpy(text + i + 1, h, 8);
        i += 37;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_import_loop(const char *file, int repeat)
{
    size_t len, n = 0;
    char *text = read_all(file, &len);
    const char *db = tmpdb();
    kz_store *st = fresh_store(db);
    import_text(st, WARM_EVENT, strlen(WARM_EVENT));
    kz_store_bulk_mode(st, false);
    double *t = calloc((size_t)repeat * 2, sizeof *t), *c = t ? t + repeat : NULL;
    for (int i = 0; t && i < repeat; i++) {
        rename_uuids(text, len, "55f6ea5e-2c60-40e5-964f-47a8950d210f", (unsigned)i + 1);
        double t0 = now_s(), c0 = cpu_s();
        n = import_text(st, text, len);
        t[i] = now_s() - t0;
        c[i] = cpu_s() - c0;
        kz_store_bulk_mode(st, false);
    }
    kz_store_close(st);
    cleanup(db);
    if (t && repeat > 0) {
        qsort(t, (size_t)repeat, sizeof *t, cmp_double);
        qsort(c, (size_t)repeat, sizeof *c, cmp_double);
        printf("import-loop %s: %d imports of %zu attributes into one store: best %.3f ms,"
               " median %.3f ms (CPU best %.3f, median %.3f; %.0f attributes/s at the best)\n",
               file, repeat, n, t[0] * 1e3, t[repeat / 2] * 1e3, c[0] * 1e3, c[repeat / 2] * 1e3,
               (double)n / t[0]);
    }
    free(t);
    free(text);
    return 0;
}

static int cmd_import_synth(size_t n, int repeat)
{
    char *text = synth_event(n, 0, "tlp:green");
    size_t len = strlen(text);
    const char *db = tmpdb();
    double best = 1e9, best_cpu = 1e9, best_crit = 1e9;
    size_t got = 0;
    for (int i = 0; i < repeat; i++) {
        kz_store *st = fresh_store(db);
        double t0 = now_s(), c0 = cpu_s(), m0 = thread_cpu_s();
        got = import_text(st, text, len);
        double dt = now_s() - t0, dc = cpu_s() - c0, dm = thread_cpu_s() - m0;
        /* the busier thread: this one, or the parser (the rest of the CPU) */
        double crit = dm > dc - dm ? dm : dc - dm;
        kz_store_bulk_mode(st, false);
        if (dt < best)
            best = dt;
        if (dc < best_cpu)
            best_cpu = dc;
        if (crit < best_crit)
            best_crit = crit;
        kz_store_close(st);
    }
    cleanup(db);
    free(text);
    double rate = (double)got / best;
    printf("| import a synthetic %zu-attribute MISP event (%.1f MB), best of %d | %.0f"
           " (CPU: %.0f total, %.0f busiest thread) | %.2f s | %.0f | %.0fx |\n",
           got, (double)len / 1048576, repeat, rate, (double)got / best_cpu,
           (double)got / best_crit, best, MISP_ATTR_PER_S, rate / MISP_ATTR_PER_S);
    return 0;
}

/* N indicators in events of 1000, stored through the native bulk path. */
static void fill(kz_store *st, size_t n, const char *org)
{
    kz_err err = {0};
    kz_buf norm;
    kz_buf_init(&norm);
    kz_store_bulk_mode(st, true);
    if (kz_store_begin(st, &err) != 0)
        die("begin", &err);
    size_t per = 1000, done = 0;
    char value[256];
    for (size_t e = 0; done < n; e++) {
        kz_arena a;
        kz_arena_init(&a);
        size_t m = n - done < per ? n - done : per;
        kz_event ev = {.title = "bench", .threat_level = 2, .tlp = KZ_TLP_GREEN,
                       .distribution = KZ_DIST_ALL, .published = true};
        kz_uuid_v7(ev.id);
        snprintf(ev.creator_org, sizeof ev.creator_org, "%s", org);
        ev.indicators = kz_arena_alloc(&a, m * sizeof *ev.indicators);
        for (size_t i = 0; i < m; i++) {
            const char *type;
            synth(done + i, &type, value, sizeof value);
            int t = kz_ioc_type_resolve(type, value, strlen(value));
            if (t < 0 || kz_ioc_normalize((kz_ioc_type)t, value, strlen(value), &norm, &err) != 0)
                die("normalise", &err);
            kz_indicator *x = &ev.indicators[ev.n_indicators++];
            memset(x, 0, sizeof *x);
            kz_uuid_v7(x->id);
            memcpy(x->event_id, ev.id, sizeof x->event_id);
            x->type = (kz_ioc_type)t;
            x->value = kz_arena_strndup(&a, norm.p, norm.len);
            x->to_ids = true;
            x->tlp = x->distribution = -1;
        }
        if (kz_store_event_put(st, &ev, &err) != 0)
            die("store", &err);
        done += m;
        kz_arena_free(&a);
    }
    if (kz_store_commit(st, &err) != 0)
        die("commit", &err);
    kz_store_bulk_mode(st, false);
    kz_buf_free(&norm);
}

static kz_org make_org(kz_store *st, const char *name)
{
    kz_org o = {.name = (char *)name, .country = "SG", .type = KZ_ORG_NATIONAL_CERT};
    kz_uuid_v4(o.id);
    kz_err err;
    if (kz_store_org_put(st, &o, &err) != 0)
        die("org", &err);
    return o;
}

typedef struct corr_ctx {
    const kz_match_index *idx;
    kz_match_hit hits[256];
    size_t looked, with, pairs;
} corr_ctx;

/* Looks every indicator up, as a correlation request does for one. */
static int look(void *ctx, const kz_misp_corr_row *row, kz_err *err)
{
    (void)err;
    corr_ctx *c = ctx;
    size_t n = kz_match_lookup(c->idx, row->type, row->value, strlen(row->value), c->hits, 256);
    size_t other = 0;
    for (size_t i = 0; i < n && i < 256; i++) {
        kz_match_payload p;
        if (kz_match_payload_get(c->idx, c->hits[i].payload, &p) && p.event_id &&
            strcmp(p.event_id, row->event_id) != 0)
            other++;
    }
    c->looked++;
    c->with += other > 0;
    c->pairs += other;
    if (getenv("BENCH_VERBOSE") && other > 100 && c->looked % 1000 == 0)
        fprintf(stderr, "bench_misp: %s %s: %zu\n", kz_ioc_type_name(row->type), row->value,
                other);
    return 0;
}

/* MISP's tracker: a correlation rebuild of a large instance took 40 hours. */
static int cmd_corr(size_t n)
{
    const char *db = tmpdb();
    kz_store *st = fresh_store(db);
    kz_org o = make_org(st, "CERT-Bench");
    double t0 = now_s();
    fill(st, n, o.id);
    double t_fill = now_s() - t0;
    kz_err err = {0};
    t0 = now_s();
    double c0 = cpu_s();
    kz_match_index *idx;
    size_t added = 0;
    if (kz_corr_build(st, &idx, &added, &err) != 0)
        die("build", &err);
    double t_build = now_s() - t0, c_build = cpu_s() - c0;
    corr_ctx c = {.idx = idx};
    t0 = now_s();
    c0 = cpu_s();
    if (kz_store_misp_corr_scan(st, look, &c, &err) != 0)
        die("scan", &err);
    double t_look = now_s() - t0, c_look = cpu_s() - c0;
    kz_match_index_free(idx);
    kz_store_close(st);
    cleanup(db);
    fprintf(stderr, "bench_misp: filled %zu indicators in %.1f s\n", n, t_fill);
    printf("| correlation from scratch, %zu indicators: build the index | %.2f s (CPU %.2f s) |"
           " %zu entries | MISP: 40 h to rebuild its table (tracker) |\n",
           n, t_build, c_build, added);
    printf("| correlation: look up every indicator (%zu with a correlation, %zu pairs) | %.2f s"
           " (CPU %.2f s) | %.0f lookups/s | |\n",
           c.with, c.pairs, t_look, c_look, (double)c.looked / t_look);
    printf("| correlation from scratch, total | %.2f s (CPU %.2f s) | target < 5 s | |\n",
           t_build + t_look, c_build + c_look);
    return 0;
}

/* A node database for the restSearch benchmark: N attributes in MISP events
 * of 10,000, TLP:CLEAR, distribution all, published: every key sees them. */
static int cmd_make_db(const char *path, size_t n)
{
    kz_store *st;
    kz_err err = {0};
    if (kz_store_open(path, &st, &err) != 0)
        die("open", &err);
    size_t per = 10000, done = 0, ev = 0;
    char *probe = NULL;
    while (done < n) {
        size_t m = n - done < per ? n - done : per;
        rng += 1;
        char *text = synth_event(m, ev++, "tlp:clear");
        if (!probe) {
            const char *v = strstr(text, "\"value\":\"");
            if (v) {
                v += 9;
                probe = strndup(v, strcspn(v, "\""));
            }
        }
        import_text(st, text, strlen(text));
        kz_store_bulk_mode(st, false);
        free(text);
        done += m;
    }
    kz_store_close(st);
    printf("%s\n", probe ? probe : "");
    free(probe);
    return 0;
}

int main(int argc, char **argv)
{
    kz_base_init();
    kz_log_set_level(KZ_LOG_WARN);
    if (argc >= 3 && strcmp(argv[1], "import-file") == 0)
        return cmd_import_file(argv[2], argc > 3 ? atoi(argv[3]) : 20);
    if (argc >= 3 && strcmp(argv[1], "import-synth") == 0)
        return cmd_import_synth(strtoull(argv[2], NULL, 10), argc > 3 ? atoi(argv[3]) : 3);
    if (argc >= 4 && strcmp(argv[1], "import-loop") == 0)
        return cmd_import_loop(argv[2], atoi(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "corr") == 0)
        return cmd_corr(strtoull(argv[2], NULL, 10));
    if (argc >= 4 && strcmp(argv[1], "make-db") == 0)
        return cmd_make_db(argv[2], strtoull(argv[3], NULL, 10));
    fprintf(stderr, "usage: bench_misp import-file FILE [REPEAT] | import-synth N | corr N |"
                    " make-db PATH N | import-loop FILE N\n");
    return 2;
}
