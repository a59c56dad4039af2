/* bench_sqlite_floor.c — the least SQLite itself needs to store a MISP event
 * the way kizuna must: every attribute a row of a table with the five
 * indexes of kizuna's indicators table, the attachments as text, the event
 * row, all in one committed transaction with kizuna's settings (WAL,
 * synchronous=NORMAL: safe against a crash of the process, not a power
 * loss; 8 KiB pages; BEGIN IMMEDIATE), with statements prepared once. No JSON, no
 * normalising, no ACL, no change log: a floor, not a rival importer.
 *
 *   bench_sqlite_floor FILE [REPEAT]   (REPEAT default 500)
 *
 * The attribute values and attachment texts are FILE's own; each round
 * stores them again as a new event with new UUIDs into one growing
 * database (a feed's events one after another, as `bench_misp import-loop`
 * does). Prints markdown rows (best and median per event, attributes/s at
 * the best) with and without the attachments, so the import's figure for
 * the same file can be read against what any SQLite store of it costs.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct doc {
    char **values; /* every attribute's value, objects' attributes included */
    size_t n;
    const char **blobs; /* attachment texts ("data") */
    size_t n_blobs, blob_bytes;
} doc;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "bench_sqlite_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void take_attributes(doc *d, json_t *arr)
{
    size_t i;
    json_t *a;
    json_array_foreach(arr, i, a) {
        const char *v = json_string_value(json_object_get(a, "value"));
        const char *data = json_string_value(json_object_get(a, "data"));
        char **nv = realloc(d->values, (d->n + 1) * sizeof *nv);
        if (!nv)
            die("out of memory", NULL);
        d->values = nv;
        d->values[d->n++] = strdup(v ? v : "");
        if (data) {
            const char **nb = realloc(d->blobs, (d->n_blobs + 1) * sizeof *nb);
            if (!nb)
                die("out of memory", NULL);
            d->blobs = nb;
            d->blobs[d->n_blobs++] = data;
            d->blob_bytes += strlen(data);
        }
    }
}

static const char SCHEMA[] =
    "CREATE TABLE events(id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, info TEXT);"
    "CREATE TABLE attachments(id INTEGER PRIMARY KEY, attr_uuid TEXT, data TEXT);"
    "CREATE TABLE indicators(id INTEGER PRIMARY KEY, uuid TEXT, event_ref INT, type TEXT,"
    " value TEXT, addr BLOB, prefix INT, rdomain TEXT, created INT);"
    /* kizuna's five: event, value, the hash of a composite value, address
     * ranges, reversed domains */
    "CREATE INDEX i_event ON indicators(event_ref);"
    "CREATE INDEX i_value ON indicators(value);"
    "CREATE INDEX i_hash ON indicators(substr(value, instr(value, '|') + 1));"
    "CREATE INDEX i_addr ON indicators(addr, prefix) WHERE addr IS NOT NULL;"
    "CREATE INDEX i_rdomain ON indicators(rdomain) WHERE rdomain IS NOT NULL;";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* REPEAT events into a fresh database; per-event seconds in t. */
static void run(const doc *d, int repeat, bool blobs, double *t)
{
    char dir[] = "/tmp/kz-floor-XXXXXX", path[64];
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    snprintf(path, sizeof path, "%s/floor.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("open", db);
    if (sqlite3_exec(db,
                     "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "PRAGMA cache_size=-65536;",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        die("schema", db);
    sqlite3_stmt *begin, *commit, *ev, *att, *ind;
    if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) ||
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO events(uuid, info) VALUES(?1, 'floor')", -1, &ev,
                           NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO attachments(attr_uuid, data) VALUES(?1, ?2)", -1,
                           &att, NULL) ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO indicators(uuid, event_ref, type, value, addr, prefix,"
                           " rdomain, created) VALUES(?1, ?2, 'text', ?3, NULL, NULL, ?4, ?5)",
                           -1, &ind, NULL))
        die("prepare", db);
    char uuid[80];
    for (int r = 0; r < repeat; r++) {
        double t0 = now_s();
        sqlite3_step(begin);
        sqlite3_reset(begin);
        snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012d", (unsigned)r, r);
        sqlite3_bind_text(ev, 1, uuid, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ev) != SQLITE_DONE)
            die("event", db);
        sqlite3_reset(ev);
        sqlite3_int64 event = sqlite3_last_insert_rowid(db);
        for (size_t b = 0; blobs && b < d->n_blobs; b++) {
            snprintf(uuid, sizeof uuid, "%08x-%04zx-4000-8000-%012d", (unsigned)r, b, r);
            sqlite3_bind_text(att, 1, uuid, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(att, 2, d->blobs[b], -1, SQLITE_STATIC);
            if (sqlite3_step(att) != SQLITE_DONE)
                die("attachment", db);
            sqlite3_reset(att);
        }
        for (size_t i = 0; i < d->n; i++) {
            snprintf(uuid, sizeof uuid, "%08x-%04zx-4000-9000-%012d", (unsigned)r, i, r);
            sqlite3_bind_text(ind, 1, uuid, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ind, 2, event);
            sqlite3_bind_text(ind, 3, d->values[i], -1, SQLITE_STATIC);
            sqlite3_bind_text(ind, 4, d->values[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(ind, 5, (sqlite3_int64)r * 1000 + (sqlite3_int64)i);
            if (sqlite3_step(ind) != SQLITE_DONE)
                die("indicator", db);
            sqlite3_reset(ind);
        }
        if (sqlite3_step(commit) != SQLITE_DONE)
            die("commit", db);
        sqlite3_reset(commit);
        t[r] = now_s() - t0;
    }
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_finalize(ev);
    sqlite3_finalize(att);
    sqlite3_finalize(ind);
    sqlite3_close(db);
    char p2[80];
    unlink(path);
    snprintf(p2, sizeof p2, "%s-wal", path);
    unlink(p2);
    snprintf(p2, sizeof p2, "%s-shm", path);
    unlink(p2);
    rmdir(dir);
}

static void row(const char *file, const doc *d, int repeat, bool blobs)
{
    double *t = malloc((size_t)repeat * sizeof *t);
    if (!t)
        die("out of memory", NULL);
    run(d, repeat, blobs, t);
    qsort(t, (size_t)repeat, sizeof *t, cmp_double);
    double best = t[0], median = t[repeat / 2];
    printf("| SQLite floor for %s: %zu rows (five indexes)%s, one transaction per event, best of "
           "%d | %.0f | %.2f ms (median %.2f ms) | | |\n",
           file, d->n, blobs ? "" : ", attachments left out", repeat, (double)d->n / best,
           best * 1e3, median * 1e3);
    if (blobs)
        printf("|   (attachments: %zu, %zu bytes of text) | | | | |\n", d->n_blobs, d->blob_bytes);
    free(t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_sqlite_floor FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 500;
    if (repeat < 1)
        repeat = 1;
    json_error_t je;
    json_t *root = json_load_file(argv[1], 0, &je);
    if (!root) {
        fprintf(stderr, "bench_sqlite_floor: %s: %s\n", argv[1], je.text);
        return 1;
    }
    json_t *e = json_object_get(root, "Event") ? json_object_get(root, "Event") : root;
    doc d = {0};
    take_attributes(&d, json_object_get(e, "Attribute"));
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(e, "Object"), i, o)
        take_attributes(&d, json_object_get(o, "Attribute"));
    const char *base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    row(base, &d, repeat, true);
    if (d.n_blobs)
        row(base, &d, repeat, false);
    for (size_t k = 0; k < d.n; k++)
        free(d.values[k]);
    free(d.values);
    free(d.blobs);
    json_decref(root);
    return 0;
}
