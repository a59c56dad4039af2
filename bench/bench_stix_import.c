/* bench_stix_import.c — STIX 2.1 bundle import at scale.
 *
 * Usage: bench_stix_import TRAILS_DIR [COUNT] [WORKDIR]
 *   (COUNT default 1000000, WORKDIR default ".")
 *
 * Builds one bundle of COUNT objects from the real maltrail trails: an
 * identity, a report per 1,000 indicators (claiming them, as a feed's
 * per-family reports do) and indicators whose patterns are what `kizuna
 * stix export` writes for each value (ipv4-addr, domain-name, url,
 * network-traffic for ip:port, ...), TLP 2.0 marked. Then, each in its own
 * process so peak RSS is its own:
 *   - kizuna: kz_stix_import of the mapped file into a fresh node database
 *     (what `kizuna stix import` runs), all objects stored verbatim, reports
 *     made events, plain patterns made indicators, one transaction;
 *   - peer: reading the same bundle the usual way, one jansson json_load of
 *     the whole document (no validation, nothing stored) — the floor that
 *     any importer parsing the bundle as one tree pays before doing work.
 * Prints a markdown table: objects/s, peak RSS and CPU time side by side,
 * the ratio, the load average, and the target (>= 100,000 objects/s). The bundle is deleted afterwards
 * unless BENCH_KEEP is set; BENCH_REUSE=1 takes the kept bundle of that
 * COUNT instead of writing it again, and BENCH_NO_PEER=1 skips the peer
 * (for interleaved before/after runs of the import alone on a busy
 * machine).
 */
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "formats/formats.h"
#include "formats/stix_int.h"
#include "ioc/ioc.h"
#include "store/store.h"

#define PER_REPORT 1000

/* ---- the trails ---------------------------------------------------------------- */

typedef struct rows {
    char **v;
    int *type;
    char **family;
    size_t n, cap;
    char **families; /* owned, one per trail file */
    size_t n_families;
} rows;

static void add_row(rows *r, int type, const char *value, const char *family)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 65536;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        r->type = realloc(r->type, r->cap * sizeof *r->type);
        r->family = realloc(r->family, r->cap * sizeof *r->family);
        if (!r->v || !r->type || !r->family) {
            perror("bench_stix_import");
            exit(1);
        }
    }
    r->v[r->n] = strdup(value);
    r->type[r->n] = type;
    r->family[r->n++] = (char *)family;
}

static void read_trail(rows *r, const char *path, const char *family)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *hash = strstr(p, " #");
        if (hash)
            *hash = '\0';
        int t = kz_ioc_guess(p, strlen(p));
        if (t >= 0)
            add_row(r, t, p, family);
    }
    fclose(f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(rows *r, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 4)
            walk(r, path, depth + 1);
        else if (strstr(names[i], ".txt")) {
            char *fam = strdup(names[i]);
            fam[strcspn(fam, ".")] = '\0';
            r->families = realloc(r->families, (r->n_families + 1) * sizeof *r->families);
            r->families[r->n_families++] = fam;
            read_trail(r, path, fam);
        }
        free(names[i]);
    }
    free(names);
}

/* ---- the bundle ---------------------------------------------------------------- */

static void uuid_of(const char *kind, size_t i, kz_uuid out)
{
    char name[64];
    int n = snprintf(name, sizeof name, "%s/%zu", kind, i);
    kz_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", name, (size_t)n, out);
}

static size_t write_bundle(const rows *r, size_t count, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    const char *marking = kz_stix_tlp_marking_id(KZ_TLP_GREEN);
    kz_uuid ident, b;
    uuid_of("identity", 0, ident);
    uuid_of("bundle", 0, b);
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[\n", b);
    fprintf(f,
            "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--%s\","
            "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
            "\"name\":\"maltrail\",\"identity_class\":\"organization\"}",
            ident);
    size_t written = 1, made = 0, k = 0;
    kz_buf norm, pat;
    kz_buf_init(&norm);
    kz_buf_init(&pat);
    kz_uuid ids[PER_REPORT];
    size_t nids = 0, reports = 0, scanned = 0;
    while (written < count) {
        if (nids == PER_REPORT || (written + 1 == count && nids)) {
            kz_uuid rid;
            uuid_of("report", reports++, rid);
            fprintf(f,
                    ",\n{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"report--%s\","
                    "\"created_by_ref\":\"identity--%s\",\"created\":\"2024-01-01T00:00:00.000Z\","
                    "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"maltrail %s\","
                    "\"published\":\"2024-01-01T00:00:00Z\",\"object_refs\":[",
                    rid, ident, r->family[k % r->n]);
            for (size_t i = 0; i < nids; i++)
                fprintf(f, "%s\"indicator--%s\"", i ? "," : "", ids[i]);
            fprintf(f, "],\"object_marking_refs\":[\"%s\"]}", marking);
            nids = 0;
            written++;
            continue;
        }
        size_t at = k++ % r->n;
        if (++scanned > count * 4 + r->n) {
            fprintf(stderr, "bench_stix_import: the trails hold too few usable values\n");
            exit(1);
        }
        kz_err err;
        if (kz_ioc_normalize((kz_ioc_type)r->type[at], r->v[at], strlen(r->v[at]), &norm, &err))
            continue;
        kz_indicator ind = {.type = (kz_ioc_type)r->type[at], .value = norm.p};
        kz_buf_reset(&pat);
        if (kz_stix_pattern_of(&ind, &pat, &err))
            continue;
        uuid_of("indicator", made++, ids[nids]);
        char idbuf[80], cb[80];
        snprintf(idbuf, sizeof idbuf, "indicator--%s", ids[nids]);
        snprintf(cb, sizeof cb, "identity--%s", ident);
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s]}", "type",
            "indicator", "spec_version", "2.1", "id", idbuf, "created_by_ref", cb, "created",
            "2024-01-01T00:00:00.000Z", "modified", "2024-01-01T00:00:00.000Z", "name",
            r->family[at], "pattern", pat.p, "pattern_type", "stix", "pattern_version", "2.1",
            "valid_from", "2024-01-01T00:00:00Z", "labels", "malicious-activity",
            "object_marking_refs", marking);
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(f, ",\n%s", s);
        free(s);
        json_decref(o);
        nids++;
        written++;
    }
    fprintf(f, "\n]}\n");
    fclose(f);
    kz_buf_free(&norm);
    kz_buf_free(&pat);
    return written;
}

/* ---- measuring ----------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct result {
    double seconds;
    size_t stored, indicators, events;
    int ok;
} result;

static int run_kizuna(const char *bundle, const char *workdir, result *res)
{
    char db[4096], sec[4200];
    snprintf(db, sizeof db, "%s/bench-stix.db", workdir);
    snprintf(sec, sizeof sec, "%s.secret", db);
    unlink(db);
    unlink(sec);
    char wal[4200], shm[4200];
    snprintf(wal, sizeof wal, "%s-wal", db);
    snprintf(shm, sizeof shm, "%s-shm", db);
    unlink(wal);
    unlink(shm);
    kz_store *st;
    kz_err err = {0};
    if (kz_store_open(db, &st, &err)) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    kz_org org = {.name = "CERT-Bench", .country = "SG", .type = KZ_ORG_NATIONAL_CERT};
    kz_uuid_v4(org.id);
    if (kz_store_org_put(st, &org, &err)) {
        fprintf(stderr, "org: %s\n", err.msg);
        return 1;
    }
    double t0 = now_s();
    int fd = open(bundle, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        perror(bundle);
        return 1;
    }
    char *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
    kz_arena a;
    kz_arena_init(&a);
    kz_stix_import_opts o = {.org_id = org.id, .default_tlp = KZ_TLP_AMBER,
                             .create_orgs = true, .source = "bench", .input_mapped = true};
    kz_stix_report rep;
    kz_store_bulk_mode(st, true);
    int rc = kz_stix_import(st, p, (size_t)sb.st_size, &o, true, &a, &rep, &err);
    kz_store_bulk_mode(st, false);
    munmap(p, (size_t)sb.st_size);
    res->seconds = now_s() - t0;
    if (rc) {
        fprintf(stderr, "import: %s\n", err.msg);
        for (size_t i = 0; i < rep.errors.n && i < 5; i++)
            fprintf(stderr, "  %s\n", rep.errors.v[i].msg);
        return 1;
    }
    if (getenv("BENCH_VERBOSE"))
        fprintf(stderr, "kizuna: %zu bulk load(s) with the object indexes dropped and rebuilt\n",
                (size_t)kz__stix_bulk_loads);
    res->stored = rep.n_stored;
    res->indicators = rep.n_indicators;
    res->events = rep.n_events;
    res->ok = 1;
    kz_arena_free(&a);
    kz_store_close(st);
    return 0;
}

static int run_peer(const char *bundle, result *res)
{
    double t0 = now_s();
    json_error_t je;
    json_t *j = json_load_file(bundle, 0, &je);
    res->seconds = now_s() - t0;
    if (!j) {
        fprintf(stderr, "peer: %s\n", je.text);
        return 1;
    }
    res->stored = json_array_size(json_object_get(j, "objects"));
    res->ok = 1;
    json_decref(j);
    return 0;
}

/* Runs fn in a child; *rss_mib gets the child's peak RSS, *cpu_s its CPU
 * time (user + system, all threads): on a shared machine the wall time
 * depends on the neighbours, the CPU time much less. */
static int in_child(int (*fn)(const char *, const char *, result *), const char *a1,
                    const char *a2, result *res, double *rss_mib, double *cpu_s)
{
    int pfd[2];
    if (pipe(pfd))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        result r = {0};
        int rc = fn(a1, a2, &r);
        if (write(pfd[1], &r, sizeof r) != (ssize_t)sizeof r)
            rc = 1;
        _exit(rc);
    }
    close(pfd[1]);
    memset(res, 0, sizeof *res);
    ssize_t got = read(pfd[0], res, sizeof *res);
    close(pfd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || got != (ssize_t)sizeof *res || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return 1;
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
    *cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return 0;
}

static int peer_adapter(const char *bundle, const char *unused, result *res)
{
    (void)unused;
    return run_peer(bundle, res);
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    free(r->type);
    free(r->family);
    for (size_t i = 0; i < r->n_families; i++)
        free(r->families[i]);
    free(r->families);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bench_stix_import TRAILS_DIR [COUNT] [WORKDIR]\n");
        return 2;
    }
    kz_base_init();
    size_t count = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    const char *work = argc > 3 ? argv[3] : ".";
    if (count < 3) {
        fprintf(stderr, "bench_stix_import: COUNT must be at least 3\n");
        return 2;
    }
    rows r = {0};
    walk(&r, argv[1], 0);
    if (r.n == 0) {
        fprintf(stderr, "bench_stix_import: no indicators under %s\n", argv[1]);
        rows_free(&r);
        return 1;
    }
    char bundle[4096];
    snprintf(bundle, sizeof bundle, "%s/stix-%zu.json", work, count);
    double t0 = now_s();
    struct stat sb;
    size_t n = count; /* write_bundle writes exactly count objects */
    bool reused = getenv("BENCH_REUSE") && stat(bundle, &sb) == 0;
    if (!reused)
        n = write_bundle(&r, count, bundle);
    stat(bundle, &sb);
    fprintf(stderr, "bench_stix_import: %zu objects, %.0f MiB, %s in %.1f s\n", n,
            (double)sb.st_size / 1048576.0, reused ? "kept from before" : "written", now_s() - t0);

    result kz, peer;
    double kz_rss = 0, peer_rss = 0, kz_cpu = 0, peer_cpu = 0;
    if (in_child(run_kizuna, bundle, work, &kz, &kz_rss, &kz_cpu)) {
        fprintf(stderr, "bench_stix_import: the kizuna import failed\n");
        rows_free(&r);
        return 1;
    }
    if (getenv("BENCH_NO_PEER")) {
        peer = kz; /* ratios of 1: only kizuna's column means anything */
        peer_rss = kz_rss;
        peer_cpu = kz_cpu;
    } else if (in_child(peer_adapter, bundle, NULL, &peer, &peer_rss, &peer_cpu)) {
        fprintf(stderr, "bench_stix_import: the peer failed\n");
        rows_free(&r);
        return 1;
    }
    double kz_rate = (double)n / kz.seconds, peer_rate = (double)n / peer.seconds;
    printf("\n### STIX bundle import: %zu objects (%.0f MiB, %zu events, %zu indicators made)\n\n",
           n, (double)sb.st_size / 1048576.0, kz.events, kz.indicators);
    printf("| | kizuna `stix import` (validate, store verbatim, map) | peer: jansson json_load of the "
           "bundle (parse only) | ratio kizuna/peer |\n");
    printf("|---|---:|---:|---:|\n");
    printf("| wall time | %.2f s | %.2f s | %.2f |\n", kz.seconds, peer.seconds,
           kz.seconds / peer.seconds);
    printf("| objects/s | %.0f | %.0f | %.2f |\n", kz_rate, peer_rate, kz_rate / peer_rate);
    printf("| peak RSS | %.0f MiB | %.0f MiB | %.2f |\n", kz_rss, peer_rss, kz_rss / peer_rss);
    printf("| CPU time (user + sys, all threads) | %.2f s | %.2f s | %.2f |\n", kz_cpu, peer_cpu,
           kz_cpu / peer_cpu);
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) == 3)
        printf("\nLoad average at the end: %.2f (%ld cores).\n", load[0],
               sysconf(_SC_NPROCESSORS_ONLN));
    printf("\nTarget: >= 100,000 objects/s stored — %s (%.0f objects/s).\n",
           kz_rate >= 100000 ? "met" : "NOT met", kz_rate);
    rows_free(&r);
    if (!getenv("BENCH_KEEP"))
        unlink(bundle);
    return 0;
}
