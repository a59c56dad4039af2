/* bench_lookup.c — POST /api/v1/lookup throughput, beside its peer.
 *
 * Usage: bench_lookup URL KEY FILE.jsonl [VALUES=100000] [ROUNDS=10] [PEER=2000] [LISTED%=20]
 *
 * Reads the indicator lines of FILE.jsonl (bench_gen output, the node loaded
 * with them) and makes VALUES mixed values: LISTED% of them known (half
 * listed values, half subdomains of listed domains, caught by suffix
 * matching), the rest unknown IPv4 addresses, domains, URLs and SHA-256
 * hashes in equal parts. Posts them as one
 * lookup ROUNDS times over one keep-alive connection (after one warm-up
 * request, which builds the org's index) and reports values/s. The peer is
 * what a client of the node would do without the lookup route: one
 * GET /api/v1/search?value= per value, timed on PEER values. Prints a
 * markdown table.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"

static size_t collect(char *p, size_t s, size_t n, void *ud)
{
    kz_buf_append(ud, p, s * n);
    return s * n;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* xorshift: the same values on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct strs {
    char **v;
    size_t n, cap;
} strs;

static void push(strs *s, char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            perror("bench_lookup");
            exit(1);
        }
    }
    s->v[s->n++] = v;
}

static void load(const char *path, strs *all, strs *domains)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        const char *v = json_string_value(json_object_get(j, "value"));
        const char *t = json_string_value(json_object_get(j, "type"));
        if (v && t) {
            push(all, strdup(v));
            if (!strcmp(t, "domain"))
                push(domains, strdup(v));
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
}

static char *make_value(const strs *all, const strs *domains, size_t i, unsigned listed)
{
    char buf[512];
    unsigned k = (unsigned)(i % 200);
    if (k < listed)
        return strdup(all->v[rnd() % all->n]);
    if (k < 2 * listed && domains->n) {
        snprintf(buf, sizeof buf, "w%u.%s", (unsigned)(rnd() % 100),
                 domains->v[rnd() % domains->n]);
        return strdup(buf);
    }
    switch (i % 4) {
    case 0: {
        uint64_t r = rnd();
        snprintf(buf, sizeof buf, "%u.%u.%u.%u", (unsigned)(r & 255), (unsigned)(r >> 8 & 255),
                 (unsigned)(r >> 16 & 255), (unsigned)(r >> 24 & 255));
        return strdup(buf);
    }
    case 1:
        snprintf(buf, sizeof buf, "host%llx.example-%u.net", (unsigned long long)(rnd() & 0xffffff),
                 (unsigned)(rnd() % 1000));
        return strdup(buf);
    case 2:
        snprintf(buf, sizeof buf, "http://cdn%u.example.org/path/%llx?q=1", (unsigned)(rnd() % 100),
                 (unsigned long long)rnd());
        return strdup(buf);
    default: {
        char *p = buf;
        for (int q = 0; q < 4; q++)
            p += sprintf(p, "%016llx", (unsigned long long)rnd());
        return strdup(buf);
    }
    }
}

static CURL *client(const char *key, kz_buf *resp, struct curl_slist **h)
{
    char auth[256];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    CURL *c = curl_easy_init();
    *h = curl_slist_append(NULL, auth);
    *h = curl_slist_append(*h, "Content-Type: application/json");
    *h = curl_slist_append(*h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    return c;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_lookup URL KEY FILE.jsonl [VALUES] [ROUNDS] [PEER] [LISTED%%]\n");
        return 2;
    }
    size_t nvalues = argc > 4 ? strtoull(argv[4], NULL, 10) : 100000;
    size_t rounds = argc > 5 ? strtoull(argv[5], NULL, 10) : 10;
    size_t npeer = argc > 6 ? strtoull(argv[6], NULL, 10) : 2000;
    unsigned listed = argc > 7 ? (unsigned)strtoul(argv[7], NULL, 10) : 20;
    if (!nvalues || !rounds || listed > 100)
        return 2;
    kz_base_init();
    strs all = {0}, domains = {0}, values = {0};
    load(argv[3], &all, &domains);
    if (!all.n) {
        fprintf(stderr, "bench_lookup: no indicators in %s\n", argv[3]);
        return 1;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < nvalues; i++) {
        char *v = make_value(&all, &domains, i, listed);
        push(&values, v);
        json_array_append_new(arr, json_string(v));
    }
    json_t *doc = json_pack("{s:o}", "values", arr);
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    kz_buf resp;
    kz_buf_init(&resp);
    struct curl_slist *h;
    CURL *c = client(argv[2], &resp, &h);
    char url[1024];
    snprintf(url, sizeof url, "%s/api/v1/lookup", argv[1]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));

    double tw = now_s();
    long code = 0;
    if (curl_easy_perform(c) != CURLE_OK ||
        (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code), code != 200)) {
        fprintf(stderr, "bench_lookup: warm-up failed (HTTP %ld): %.300s\n", code,
                resp.p ? resp.p : "");
        return 1;
    }
    double warm = now_s() - tw;
    json_t *ans = json_loadb(resp.p, resp.len, 0, NULL);
    json_t *st = json_object_get(ans, "stats");
    long long hits = json_integer_value(json_object_get(st, "hits"));
    long long wl = json_integer_value(json_object_get(st, "warninglisted"));
    size_t resp_bytes = resp.len;
    json_decref(ans);

    double *t = calloc(rounds, sizeof *t);
    for (size_t r = 0; r < rounds; r++) {
        kz_buf_reset(&resp);
        double t0 = now_s();
        if (curl_easy_perform(c) != CURLE_OK) {
            fprintf(stderr, "bench_lookup: request failed\n");
            return 1;
        }
        t[r] = now_s() - t0;
    }
    qsort(t, rounds, sizeof *t, cmp_d);
    double med = t[rounds / 2], best = t[0];

    /* The peer: one search request per value on the same kind of connection. */
    struct curl_slist *h2;
    CURL *p = client(argv[2], &resp, &h2);
    size_t np = npeer < values.n ? npeer : values.n;
    double tp = now_s();
    size_t peer_ok = 0;
    for (size_t i = 0; i < np; i++) {
        char *esc = curl_easy_escape(p, values.v[i], 0);
        char su[2048];
        snprintf(su, sizeof su, "%s/api/v1/search?value=%s&to_ids=true&limit=100", argv[1], esc);
        curl_free(esc);
        curl_easy_setopt(p, CURLOPT_URL, su);
        kz_buf_reset(&resp);
        if (curl_easy_perform(p) == CURLE_OK)
            peer_ok++;
    }
    double peer_s = now_s() - tp;
    double rate = (double)nvalues / med, peer_rate = np ? (double)np / peer_s : 0;

    printf("| lookup of %zu mixed values, %u%% known (%zu rounds, 1 connection) | values/s | per "
           "request |\n",
           nvalues, listed, rounds);
    printf("|---|---|---|\n");
    printf("| kizuna POST /api/v1/lookup, median | %.0f | %.1f ms |\n", rate, med * 1e3);
    printf("| kizuna POST /api/v1/lookup, best | %.0f | %.1f ms |\n", (double)nvalues / best,
           best * 1e3);
    printf("| peer: GET /api/v1/search per value (%zu values, keep-alive) | %.0f | %.2f ms |\n", np,
           peer_rate, np ? peer_s * 1e3 / (double)np : 0);
    printf("| lookup / peer | %.0fx | |\n", peer_rate > 0 ? rate / peer_rate : 0);
    printf("\nfirst request (builds the org index): %.2f s; per request: %lld alerts and %lld "
           "warninglisted hits; answer %zu bytes; body %zu bytes; peer requests ok: %zu\n",
           warm, hits, wl, resp_bytes, strlen(body), peer_ok);

    curl_easy_cleanup(c);
    curl_easy_cleanup(p);
    curl_slist_free_all(h);
    curl_slist_free_all(h2);
    curl_global_cleanup();
    free(t);
    free(body);
    kz_buf_free(&resp);
    return 0;
}
