/* bench_gen.c — turns the real maltrail trails into benchmark input.
 *
 * Usage: bench_gen TRAILS_DIR COUNT OUT.jsonl OUT.csv
 * Walks TRAILS_DIR/static/{malware,malicious,suspicious,...}/ *.txt, keeps every
 * line kz_ioc_guess can type, and writes COUNT indicators (cycling through the
 * data if it holds fewer) as the native JSON Lines import format (one event
 * line, then indicator lines), and the same rows as CSV "type,value" for the
 * sqlite3 peer. Rows are taken with a stride coprime to the data size, so a
 * sample smaller than the data still spans every trail file (and so every
 * kind of indicator); values repeat only when COUNT exceeds the data.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ioc/ioc.h"

typedef struct {
    char **v;
    int *type;
    size_t n, cap;
} rows;

static void add_row(rows *r, int type, const char *value)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 65536;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        r->type = realloc(r->type, r->cap * sizeof *r->type);
        if (!r->v || !r->type) {
            perror("bench_gen");
            exit(1);
        }
    }
    r->v[r->n] = strdup(value);
    r->type[r->n++] = type;
}

static void read_trail(rows *r, const char *path)
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
        char *hash = strstr(p, " #"); /* trailing comments */
        if (hash)
            *hash = '\0';
        int t = kz_ioc_guess(p, strlen(p));
        if (t >= 0)
            add_row(r, t, p);
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
    /* Sorted, so the output is the same on every machine. */
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
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path) {
            free(names[i]);
            continue; /* a path this long is not a trail file */
        }
        size_t len = strlen(names[i]);
        if (len > 4 && strcmp(names[i] + len - 4, ".txt") == 0)
            read_trail(r, path);
        else if (depth < 4)
            walk(r, path, depth + 1);
        free(names[i]);
    }
    free(names);
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_gen TRAILS_DIR COUNT OUT.jsonl OUT.csv\n");
        return 2;
    }
    kz_base_init();
    rows r = {0};
    walk(&r, argv[1], 0);
    if (r.n == 0) {
        fprintf(stderr, "bench_gen: no indicators under %s\n", argv[1]);
        return 1;
    }
    size_t count = strtoull(argv[2], NULL, 10);
    FILE *jl = fopen(argv[3], "w"), *csv = fopen(argv[4], "w");
    if (!jl || !csv) {
        perror("bench_gen");
        return 1;
    }
    /* A stride near n/phi that shares no factor with n visits every row once
     * per n steps, spread over the whole (sorted) data. */
    size_t stride = (size_t)((double)r.n * 0.6180339887) | 1;
    while (gcd(stride, r.n) != 1)
        stride += 2;
    kz_uuid ev;
    kz_uuid_v4(ev);
    fprintf(jl, "{\"id\":\"%s\",\"title\":\"maltrail benchmark\",\"tlp\":\"green\","
                "\"distribution\":\"community\"}\n", ev);
    fprintf(csv, "type,value\n");
    for (size_t i = 0; i < count; i++) {
        size_t k = (size_t)(((unsigned __int128)i * stride) % r.n);
        json_t *o = json_pack("{s:s,s:s,s:s}", "event_id", ev, "type",
                              kz_ioc_type_name((kz_ioc_type)r.type[k]), "value", r.v[k]);
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(jl, "%s\n", s);
        free(s);
        json_decref(o);
        /* CSV-quote the value: URLs may hold commas and quotes. */
        fprintf(csv, "%s,\"", kz_ioc_type_name((kz_ioc_type)r.type[k]));
        for (const char *p = r.v[k]; *p; p++) {
            if (*p == '"')
                fputc('"', csv);
            fputc(*p, csv);
        }
        fputs("\"\n", csv);
    }
    fclose(jl);
    fclose(csv);
    fprintf(stderr, "bench_gen: %zu distinct typed lines, wrote %zu indicators\n", r.n, count);
    for (size_t i = 0; i < r.n; i++)
        free(r.v[i]);
    free(r.v);
    free(r.type);
    return 0;
}
