/* replay_main.c — runs a fuzz target's LLVMFuzzerTestOneInput over files, so
 * the committed corpora and crash regressions replay in the normal (gcc) and
 * sanitizer builds under CTest, without clang's fuzzer runtime. Arguments are
 * files or directories (their regular files, sorted, one level; names that
 * start with '.' or are README* are skipped). A ".gz" file is gunzipped
 * first (the shared Zeek logs); every input is cut at FUZZ_MAX_INPUT bytes,
 * as libFuzzer's -max_len would. A directory that does not exist is an error
 * unless its argument is prefixed with '?' (optional: regressions of a target
 * that never crashed). "+N:path" prepends the byte N to each input of path:
 * targets whose first byte selects a parser or format take whole data files
 * that way. Fails when no input at all was found, so a replay whose corpus
 * went missing cannot pass.
 */
#include "fuzz_common.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <zlib.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads at most FUZZ_MAX_INPUT bytes of path (gunzipped for .gz). */
static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *p = malloc(FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : 1);
    if (!p)
        return NULL;
    size_t n = 0;
    if (ends_with(path, ".gz")) {
        gzFile g = gzopen(path, "rb");
        if (!g) {
            free(p);
            return NULL;
        }
        while (n < FUZZ_MAX_INPUT) {
            int r = gzread(g, p + n, (unsigned)(FUZZ_MAX_INPUT - n));
            if (r <= 0)
                break;
            n += (size_t)r;
        }
        gzclose(g);
    } else {
        FILE *f = fopen(path, "rb");
        if (!f) {
            free(p);
            return NULL;
        }
        n = fread(p, 1, FUZZ_MAX_INPUT, f);
        fclose(f);
    }
    *len = n;
    return p;
}

static int g_prefix = -1; /* the byte of "+N:", -1 = none */

static int run_file(const char *path)
{
    size_t n = 0;
    uint8_t *p = slurp(path, &n);
    if (!p) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("replay: %s (%zu bytes)\n", path, n);
    fflush(stdout);
    /* An exact-size copy, so ASan sees a read past the end of the input. */
    size_t k = g_prefix >= 0;
    uint8_t *exact = malloc(n + k ? n + k : 1);
    if (!exact)
        abort();
    if (k)
        exact[0] = (uint8_t)g_prefix;
    memcpy(exact + k, p, n);
    free(p);
    n += k;
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

/* Runs every regular file of dir; returns the count or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **v = realloc(names, cap * sizeof *v);
            if (!v)
                abort();
            names = v;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            abort();
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) < 0)
                count = -1;
            else if (count >= 0)
                count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    long total = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool optional = arg[0] == '?';
        if (optional)
            arg++;
        g_prefix = -1;
        if (arg[0] == '+') {
            char *end;
            long b = strtol(arg + 1, &end, 10);
            if (*end != ':' || b < 0 || b > 255) {
                fprintf(stderr, "replay: bad argument '%s' (+N:path)\n", argv[i]);
                return 2;
            }
            g_prefix = (int)b;
            arg = end + 1;
        }
        struct stat st;
        if (stat(arg, &st) != 0) {
            if (!optional) {
                fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
                bad = 1;
            }
            continue;
        }
        long c = S_ISDIR(st.st_mode) ? run_dir(arg) : run_file(arg) == 0 ? 1 : -1;
        if (c < 0)
            bad = 1;
        else
            total += c;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replay: %ld inputs, no crash\n", total);
    return bad;
}
