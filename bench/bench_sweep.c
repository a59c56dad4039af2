/* bench_sweep.c — synthetic Zeek logs for the sweep benchmark (bench/sweep.sh).
 *
 * Usage: bench_sweep gen EXPORT.jsonl OUT_DIR CONN_LINES HTTP_LINES
 *        bench_sweep run EXPORT.jsonl THREADS FILE...
 *
 * run: builds the index straight from the export and sweeps the files,
 * printing wall and CPU time of the sweep alone (for tuning the engine;
 * bench/sweep.sh times `kizuna sweep` itself).
 *
 * Reads the indicators a node holds (`kizuna export` output: normalised
 * values) and writes OUT_DIR/conn.log and OUT_DIR/http.log in Zeek's TSV
 * format with its real field lists. 1% of the lines are planted hits: in
 * conn.log a listed address, or a listed ip:port as responder; in http.log a
 * listed domain as Host, a subdomain of one, or a listed URL as Host + URI.
 * Another 2% are near misses that only substring tools flag: "not" glued to
 * a listed domain, a listed domain followed by more labels, an address that
 * contains a listed one ("11.2.3.45" for "1.2.3.4"). The rest are drawn from
 * pools of ordinary hosts, so values repeat as they do in real traffic.
 * Planted counts go to stderr; the output is the same on every run.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "match/match.h"

typedef struct strs {
    char **v;
    size_t n, cap;
} strs;

static void push(strs *s, const char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            perror("bench_sweep");
            exit(1);
        }
    }
    s->v[s->n++] = strdup(v);
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

static const char *any(const strs *s)
{
    return s->v[rnd((uint32_t)s->n)];
}

static void uid(char out[19])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    out[0] = 'C';
    for (int i = 1; i < 18; i++)
        out[i] = al[rnd(62)];
    out[18] = '\0';
}

static void header(FILE *f, const char *path, const char *fields, const char *types)
{
    fprintf(f, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
               "#path\t%s\n#open\t2024-04-12-19-29-12\n#fields\t%s\n#types\t%s\n",
            path, fields, types);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static bool count_hit(void *ctx, const kz_sweep_hit *h)
{
    (void)h;
    (*(size_t *)ctx)++;
    return true;
}

static int run(const char *export, unsigned threads, char **files, int nfiles)
{
    kz_base_init();
    FILE *in = fopen(export, "r");
    if (!in) {
        perror(export);
        return 1;
    }
    kz_match_builder *b = kz_match_builder_new();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *t = json_string_value(json_object_get(j, "type"));
        const char *v = json_string_value(json_object_get(j, "value"));
        const char *id = json_string_value(json_object_get(j, "id"));
        if (t && v && id) {
            kz_match_entry e = {.indicator_id = id,
                                .type = (kz_ioc_type)kz_ioc_type_parse(t),
                                .value = v,
                                .tlp = KZ_TLP_GREEN,
                                .to_ids = true};
            kz_err err;
            kz_match_builder_add(b, &e, &err);
        }
        json_decref(j);
    }
    free(line);
    fclose(in);
    kz_match_index *idx;
    kz_err err;
    if (kz_match_build(b, &idx, &err) != 0) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        return 1;
    }
    kz_match_builder_free(b);
    size_t hits = 0;
    kz_sweep_opts o = {.threads = threads, .on_hit = count_hit, .ctx = &hits};
    kz_sweep_stats st;
    double c0 = cpu_s();
    if (kz_sweep_files(idx, (const char *const *)files, (size_t)nfiles, &o, &st, &err) != 0) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        return 1;
    }
    double cpu = cpu_s() - c0;
    printf("threads=%u lines=%llu bytes=%llu wall_s=%.3f cpu_s=%.3f lines_per_s=%.0f "
           "lines_per_cpu_s=%.0f hits=%zu errors=%llu\n",
           threads, (unsigned long long)st.lines, (unsigned long long)st.bytes, st.seconds, cpu,
           (double)st.lines / st.seconds, (double)st.lines / cpu, hits,
           (unsigned long long)st.errors);
    kz_match_index_free(idx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "run") == 0)
        return run(argv[2], (unsigned)atoi(argv[3]), argv + 4, argc - 4);
    if (argc != 6 || strcmp(argv[1], "gen") != 0) {
        fprintf(stderr, "usage: bench_sweep gen EXPORT.jsonl OUT_DIR CONN_LINES HTTP_LINES\n"
                        "       bench_sweep run EXPORT.jsonl THREADS FILE...\n");
        return 2;
    }
    FILE *in = fopen(argv[2], "r");
    if (!in) {
        perror(argv[2]);
        return 1;
    }
    strs ip4 = {0}, ipport = {0}, dom = {0}, url = {0};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *t = json_string_value(json_object_get(j, "type"));
        const char *v = json_string_value(json_object_get(j, "value"));
        if (t && v) {
            if (strcmp(t, "ipv4") == 0)
                push(&ip4, v);
            else if (strcmp(t, "ip|port") == 0 && v[0] != '[')
                push(&ipport, v);
            else if (strcmp(t, "domain") == 0)
                push(&dom, v);
            else if (strcmp(t, "url") == 0 && strncmp(v, "http://", 7) == 0 &&
                     !strpbrk(v, "\t\n\\ ") && strchr(v + 7, '/'))
                push(&url, v);
        }
        json_decref(j);
    }
    free(line);
    fclose(in);
    if (!ip4.n || !ipport.n || !dom.n || !url.n) {
        fprintf(stderr, "bench_sweep: the export lacks ipv4, ip|port, domain or url values\n");
        return 1;
    }
    /* ordinary traffic: pools of clients, servers and sites */
    strs servers = {0}, sites = {0};
    char b[512];
    for (int i = 0; i < 50000; i++) {
        snprintf(b, sizeof b, "%u.%u.%u.%u", 100 + rnd(27), rnd(256), rnd(256), 1 + rnd(254));
        push(&servers, b);
    }
    static const char *const tld[] = {"com", "net", "org", "io", "co.uk", "de", "jp"};
    static const char *const word[] = {"cdn", "api", "www", "static", "img", "mail", "app"};
    for (int i = 0; i < 20000; i++) {
        snprintf(b, sizeof b, "%s%u.site%u-example.%s", word[rnd(7)], rnd(20), rnd(5000),
                 tld[rnd(7)]);
        push(&sites, b);
    }
    long nconn = atol(argv[4]), nhttp = atol(argv[5]);
    char path[4096];
    long planted_conn = 0, planted_http = 0, near_conn = 0, near_http = 0;

    snprintf(path, sizeof path, "%s/conn.log", argv[3]);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    header(f, "conn",
           "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
           "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
           "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
           "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t"
           "bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]");
    double ts = 1521911720.0;
    for (long i = 0; i < nconn; i++) {
        char id[19], resp[64];
        unsigned port = 443;
        uid(id);
        uint32_t r = rnd(1000);
        if (r < 5) { /* a listed address */
            snprintf(resp, sizeof resp, "%s", any(&ip4));
            port = 1024 + rnd(60000);
            planted_conn++;
        } else if (r < 10) { /* a listed ip:port */
            const char *v = any(&ipport);
            const char *colon = strrchr(v, ':');
            snprintf(resp, sizeof resp, "%.*s", (int)(colon - v), v);
            port = (unsigned)atoi(colon + 1);
            planted_conn++;
        } else if (r < 30) { /* contains a listed address as text */
            bool front = rnd(2);
            int k = snprintf(resp, sizeof resp, "%s%s%s", front ? "1" : "", any(&ip4),
                             front ? "" : "1");
            if (k < 0 || (size_t)k >= sizeof resp)
                snprintf(resp, sizeof resp, "%s", any(&servers));
            near_conn++;
        } else {
            snprintf(resp, sizeof resp, "%s", any(&servers));
            port = rnd(4) ? 443 : 80;
        }
        ts += 0.001 + rnd(100) / 1000.0;
        fprintf(f,
                "%.6f\t%s\t10.%u.%u.%u\t%u\t%s\t%u\ttcp\tssl\t%u.%06u\t%u\t%u\tSF\tT\tF\t0\t"
                "ShADadFf\t%u\t%u\t%u\t%u\t-\n",
                ts, id, rnd(4), rnd(256), 1 + rnd(254), 32768 + rnd(28000), resp, port, rnd(60),
                rnd(1000000), rnd(5000), rnd(200000), 5 + rnd(50), 300 + rnd(5000),
                5 + rnd(200), 300 + rnd(300000));
    }
    fprintf(f, "#close\t2024-04-12-19-34-07\n");
    fclose(f);

    snprintf(path, sizeof path, "%s/http.log", argv[3]);
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    header(f, "http",
           "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\t"
           "referrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\t"
           "status_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\t"
           "orig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\t"
           "resp_mime_types",
           "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\t"
           "string\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\t"
           "string\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\t"
           "vector[string]\tvector[string]");
    static const char *const uas[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "curl/8.4.0", "Microsoft-CryptoAPI/10.0"};
    for (long i = 0; i < nhttp; i++) {
        char id[19], host[600], uri[2048];
        uid(id);
        uint32_t r = rnd(1000);
        snprintf(uri, sizeof uri, "/%s/%u.%s?id=%u", word[rnd(7)], rnd(100000),
                 rnd(2) ? "js" : "png", rnd(1000000));
        if (r < 4) { /* a listed domain */
            snprintf(host, sizeof host, "%s", any(&dom));
            planted_http++;
        } else if (r < 7) { /* a subdomain of one */
            snprintf(host, sizeof host, "%s.%s", word[rnd(7)], any(&dom));
            planted_http++;
        } else if (r < 10) { /* a listed URL: host and request target */
            const char *u = any(&url) + 7;
            const char *slash = strchr(u, '/');
            snprintf(host, sizeof host, "%.*s", (int)(slash - u), u);
            snprintf(uri, sizeof uri, "%s", slash);
            planted_http++;
        } else if (r < 20) { /* glued to a listed name: not on a label boundary */
            snprintf(host, sizeof host, "not%s", any(&dom));
            near_http++;
        } else if (r < 30) { /* a listed name with more labels after it */
            snprintf(host, sizeof host, "%s.example.net", any(&dom));
            near_http++;
        } else {
            snprintf(host, sizeof host, "%s", any(&sites));
        }
        ts += 0.001 + rnd(100) / 1000.0;
        fprintf(f,
                "%.6f\t%s\t10.%u.%u.%u\t%u\t%s\t80\t1\tGET\t%s\t%s\t-\t1.1\t%s\t-\t0\t%u\t200\t"
                "OK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tF%s\t-\ttext/html\n",
                ts, id, rnd(4), rnd(256), 1 + rnd(254), 32768 + rnd(28000), any(&servers), host,
                uri, uas[rnd(4)], rnd(100000), id + 1);
    }
    fprintf(f, "#close\t2024-04-12-19-34-07\n");
    fclose(f);
    fprintf(stderr,
            "bench_sweep: conn.log %ld lines (%ld planted hits, %ld near misses), http.log %ld "
            "lines (%ld planted hits, %ld near misses)\n",
            nconn, planted_conn, near_conn, nhttp, planted_http, near_http);
    return 0;
}
