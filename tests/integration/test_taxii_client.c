/* test_taxii_client.c — the TAXII 2.1 client between two real nodes on
 * loopback: `kizuna taxii push` from node A's database into node B's TAXII
 * server (envelopes cut to B's max_content_length, per-object outcome from
 * the status resource, the ACL of the pushing org: TLP:RED never leaves),
 * and the scheduled pulls of `kizuna serve` (`taxii source add|list|pause|
 * resume|remove`): B pulls A's collection with no manual command, records
 * errors per source, and never keeps or logs the credential in clear; and
 * a hostile server in this process (endless "more", a bogus resume header,
 * a redirect, terminal escapes in an error) that the client must withstand.
 */
#include <curl/curl.h>
#include <microhttpd.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kz_node.h"

#define MEDIA "application/taxii+json;version=2.1"
#define ROOT "/taxii2/kizuna/"
#define COLL_NS "5b0f6e3a-2c1d-4e8f-9a7b-3d6c1e0f2a94"
#define B_MAX_BODY "1000"

static kz_node A, B;
static char ORG_A[40], ORG_B[40];
static char A_AN[64], B_AN[64], A_AN_ID[40], B_AN_ID[40];
static char COLL_A[40], COLL_B[40];

static void org_coll(const char *org, char out[40])
{
    char name[80];
    snprintf(name, sizeof name, "org:%s", org);
    kz_uuid u;
    assert_int_equal(kz_uuid_v5(COLL_NS, name, strlen(name), u), 0);
    snprintf(out, 40, "%s", u);
}

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&A, "CERT-A", "TH") != 0 || kz_node_init(&B, "CERT-B", "JP") != 0)
        return -1;
    const char *extra_b[] = {"--max-body", B_MAX_BODY, NULL};
    if (kz_node_start(&A, NULL) != 0 || kz_node_start(&B, extra_b) != 0)
        return -1;
    kz_resp r = kz_get(&A, "/api/v1/me", A.admin_key);
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    r = kz_get(&B, "/api/v1/me", B.admin_key);
    snprintf(ORG_B, sizeof ORG_B, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_user(&A, A.admin_key, ORG_A, "an@a.example", "publisher", A_AN_ID, A_AN);
    kz_make_user(&B, B.admin_key, ORG_B, "an@b.example", "analyst", B_AN_ID, B_AN);
    org_coll(ORG_A, COLL_A);
    org_coll(ORG_B, COLL_B);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int ra = kz_node_stop(&A), rb = kz_node_stop(&B);
    kz_node_free(&A);
    kz_node_free(&B);
    return ra == 0 && rb == 0 ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------------- */

static char OUT[65536], ERR[8192];

/* Runs `sh -c cmd` with stdout/stderr captured into OUT / ERR. */
static int sh(const char *cmd)
{
    char full[8192], of[600], ef[600];
    snprintf(of, sizeof of, "%s/cmd.out", A.dir);
    snprintf(ef, sizeof ef, "%s/cmd.err", A.dir);
    snprintf(full, sizeof full, "%s >'%s' 2>'%s'", cmd, of, ef);
    int st = system(full);
    const char *files[] = {of, ef};
    char *bufs[] = {OUT, ERR};
    size_t caps[] = {sizeof OUT, sizeof ERR};
    for (int i = 0; i < 2; i++) {
        bufs[i][0] = 0;
        FILE *f = fopen(files[i], "r");
        if (f) {
            size_t n = fread(bufs[i], 1, caps[i] - 1, f);
            bufs[i][n] = 0;
            fclose(f);
        }
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* GET of a collection's objects; kz_http sends curl's default Accept (any type), which TAXII
 * takes. */
static kz_resp taxii_get(kz_node *n, const char *key, const char *coll, const char *query)
{
    char path[512], auth[96];
    snprintf(path, sizeof path, ROOT "collections/%s/objects/%s", coll, query);
    snprintf(auth, sizeof auth, "Bearer %s", key);
    kz_resp r;
    assert_int_equal(kz_http(n, "GET", path, auth, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    /* kz_http parses application/json only. */
    if (!r.json)
        r.json = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
    assert_non_null(r.json);
    return r;
}

static bool has_id(json_t *objs, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        const char *oid = json_string_value(json_object_get(o, "id"));
        if (oid && strcmp(oid, id) == 0)
            return true;
    }
    return false;
}

#define IND1 "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e01"
#define IND2 "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e02"
#define IND3 "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e03"
#define BAD "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e04"

static const char *ind_json(char *buf, size_t n, const char *id, const char *ip)
{
    snprintf(buf, n,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2026-02-01T00:00:00.000Z\",\"modified\":\"2026-02-01T00:00:00.000Z\","
             "\"name\":\"%s\",\"pattern\":\"[ipv4-addr:value = '%s']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2026-02-01T00:00:00Z\"}",
             id, "a fairly long name so that a few objects fill an envelope of B", ip);
    return buf;
}

/* An event of A imported from a bundle of four indicators (TLP:GREEN). */
static void make_stix_event(char out[40])
{
    char i1[600], i2[600], i3[600], i4[600], body[4096];
    snprintf(body, sizeof body,
             "{\"type\":\"bundle\",\"id\":\"bundle--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1eff\","
             "\"objects\":[%s,%s,%s,%s]}",
             ind_json(i1, sizeof i1, IND1, "198.51.100.1"),
             ind_json(i2, sizeof i2, IND2, "198.51.100.2"),
             ind_json(i3, sizeof i3, IND3, "198.51.100.3"),
             ind_json(i4, sizeof i4, BAD, "198.51.100.4"));
    kz_resp r = kz_post(&A, "/api/v1/stix?tlp=green", A_AN, body);
    assert_int_equal(r.status, 201);
    json_t *ev = json_array_get(kz_resp_get(&r, "events"), 0);
    assert_non_null(ev);
    snprintf(out, 40, "%s", json_string_value(ev));
    kz_resp_free(&r);
}

/* Makes one stored object of A one that B's validator refuses (a spec
 * version B does not speak), as a peer with other rules would: the push must
 * report B's verdict for that object and deliver the others. */
static void spoil_on_a(const char *id)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(A.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE stix_objects SET json = replace(json,"
                                        " '\"spec_version\":\"2.1\"', '\"spec_version\":\"2.9\"')"
                                        " WHERE id = ?1",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* ---- push -------------------------------------------------------------------------- */

static void test_taxii_push(void **state)
{
    (void)state;
    char ev[40], red[40];
    make_stix_event(ev);
    spoil_on_a(BAD);
    /* A TLP:RED event of the same org. */
    kz_resp r = kz_post(&A, "/api/v1/events", A_AN,
                        "{\"title\":\"red one\",\"tlp\":\"red\",\"indicators\":[{\"type\":"
                        "\"ip-dst\",\"value\":\"192.0.2.99\"}]}");
    assert_int_equal(r.status, 201);
    snprintf(red, sizeof red, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);

    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--event %s --wait 10",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db, ev);
    /* One object failed at B: exit 1, the others delivered. */
    assert_int_equal(sh(cmd), 1);
    const char *oks[] = {IND1, IND2, IND3};
    for (size_t i = 0; i < 3; i++) {
        char want[200];
        snprintf(want, sizeof want, "ok %s 2026-02-01T00:00:00.000Z\n", oks[i]);
        assert_non_null(strstr(OUT, want));
    }
    char want[300];
    snprintf(want, sizeof want, "failed %s 2026-02-01T00:00:00.000Z: ", BAD);
    const char *f = strstr(OUT, want);
    assert_non_null(f);
    /* The server's reason, naming the property. */
    const char *eol = strchr(f, '\n');
    assert_non_null(eol);
    char line[700];
    snprintf(line, sizeof line, "%.*s", (int)(eol - f), f);
    assert_non_null(strstr(line, "spec_version"));
    /* B's max_content_length is small: several envelopes. */
    assert_non_null(strstr(ERR, "pushed 1 event, "));
    unsigned n_env = 0;
    const char *in = strstr(ERR, " in ");
    assert_non_null(in);
    assert_int_equal(sscanf(in, " in %u envelope", &n_env), 1);
    assert_true(n_env >= 2);
    assert_non_null(strstr(ERR, ", 1 failed, 0 pending"));
    /* The key never shows. */
    assert_null(strstr(OUT, B_AN));
    assert_null(strstr(ERR, B_AN));

    r = taxii_get(&B, B_AN, COLL_B, "?limit=1000");
    json_t *objs = json_object_get(r.json, "objects");
    for (size_t i = 0; i < 3; i++)
        assert_true(has_id(objs, oks[i]));
    assert_false(has_id(objs, BAD));
    kz_resp_free(&r);

    /* Pushing again: everything B has is a duplicate, still a success. */
    assert_int_equal(sh(cmd), 1);
    for (size_t i = 0; i < 3; i++) {
        snprintf(want, sizeof want, "ok %s ", oks[i]);
        assert_non_null(strstr(OUT, want));
    }

    /* TLP:RED never leaves, named or filtered. */
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--event %s",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db, red);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(ERR, "not pushed: tlp:red: not a named recipient"));
    assert_non_null(strstr(ERR, "pushed 0 events, 0 objects"));
    assert_string_equal(OUT, "");
    char report[100];
    snprintf(report, sizeof report, "report--%s", red);
    r = taxii_get(&B, B_AN, COLL_B, "?limit=1000");
    assert_false(has_id(json_object_get(r.json, "objects"), report));
    kz_resp_free(&r);

    /* TLP:AMBER leaves only when asked for: the server is outside the org. */
    char amber[40];
    r = kz_post(&A, "/api/v1/events", A_AN,
                "{\"title\":\"amber one\",\"tlp\":\"amber\",\"indicators\":[{\"type\":"
                "\"ip-dst\",\"value\":\"192.0.2.98\"}]}");
    assert_int_equal(r.status, 201);
    snprintf(amber, sizeof amber, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--event %s",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db, amber);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(ERR, "not pushed: its TLP is above --tlp-max"));
    assert_non_null(strstr(ERR, "pushed 0 events, 0 objects"));
    assert_string_equal(OUT, "");
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--event %s --tlp-max amber",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db, amber);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(ERR, "pushed 1 event, "));
    snprintf(report, sizeof report, "report--%s", amber);
    assert_non_null(strstr(OUT, report));

    /* The filter form with --tlp-max clear: the GREEN event is left out. */
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--tlp-max clear --since 2020-01-01T00:00:00Z",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(ERR, "pushed 0 events, 0 objects"));

    /* Filters: the tagged event is chosen by its tag (all tags must match). */
    char patch[300];
    snprintf(patch, sizeof patch, "/api/v1/events/%s", ev);
    r = kz_patch(&A, patch, A_AN, "{\"tags\":[\"push-me\",\"apt-x\"]}");
    assert_int_equal(r.status, 200);
    kz_resp_free(&r);
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--tag push-me --tag apt-x --since 2020-01-01T00:00:00Z",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db);
    assert_int_equal(sh(cmd), 1); /* BAD fails again */
    assert_non_null(strstr(ERR, "pushed 1 event, 4 objects"));
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY='%s' '%s' taxii push '%s" ROOT "' --collection %s --db '%s' "
             "--tag push-me --tag other",
             B_AN, getenv("KIZUNA_BIN"), B.base, COLL_B, A.db);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(ERR, "pushed 0 events, 0 objects"));

    /* Credentials from a file; a wrong key is an HTTP error naming 401. */
    char kf[600];
    snprintf(kf, sizeof kf, "%s/wrong.key", A.dir);
    FILE *k = fopen(kf, "w");
    assert_non_null(k);
    fputs("kz_wrongwrongwrongwrongwrongwrongwrongwrongwro\n", k);
    fclose(k);
    snprintf(cmd, sizeof cmd,
             "'%s' taxii push '%s" ROOT "' --collection %s --db '%s' --event %s --key-file '%s'",
             getenv("KIZUNA_BIN"), B.base, COLL_B, A.db, ev, kf);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "HTTP 401"));
    assert_null(strstr(ERR, "kz_wrong"));

    /* Usage errors. */
    snprintf(cmd, sizeof cmd,
             "'%s' taxii push '%s" ROOT "' --collection %s --db '%s' --event %s --tag x",
             getenv("KIZUNA_BIN"), B.base, COLL_B, A.db, ev);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "'%s' taxii push '%s" ROOT "' --collection %s --db '%s' --tlp-max purple",
             getenv("KIZUNA_BIN"), B.base, COLL_B, A.db);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "'%s' taxii push '%s" ROOT "' --collection %s --db '%s' --user x",
             getenv("KIZUNA_BIN"), B.base, COLL_B, A.db);
    assert_int_equal(sh(cmd), 2);
}

/* ---- scheduled pulls ---------------------------------------------------------------- */

static json_t *source_list(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' taxii source list --json --db '%s'", getenv("KIZUNA_BIN"),
             B.db);
    assert_int_equal(sh(cmd), 0);
    json_t *j = json_loads(OUT, 0, NULL);
    assert_true(json_is_array(j));
    return j;
}

static json_t *source_named(json_t *list, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        if (strcmp(json_string_value(json_object_get(s, "name")), name) == 0)
            return s;
    }
    return NULL;
}

static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    kz_buf b;
    kz_buf_init(&b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        kz_buf_append(&b, buf, n);
    fclose(f);
    bool found = b.len && memmem(b.p, b.len, needle, strlen(needle)) != NULL;
    kz_buf_free(&b);
    return found;
}

static void test_taxii_scheduled_pull(void **state)
{
    (void)state;
    /* What A's org collection holds (the push test's event). */
    kz_resp r = taxii_get(&A, A_AN, COLL_A, "?limit=1000");
    json_t *src = json_incref(json_object_get(r.json, "objects"));
    kz_resp_free(&r);
    assert_true(json_array_size(src) >= 4);

    /* B pulls A every second with A's key from a file; nothing else is run. */
    char kf[600], cmd[2048];
    snprintf(kf, sizeof kf, "%s/a.key", B.dir);
    FILE *k = fopen(kf, "w");
    assert_non_null(k);
    fprintf(k, "%s\n", A_AN);
    fclose(k);
    snprintf(cmd, sizeof cmd,
             "'%s' taxii source add a-feed '%s" ROOT "' --collection %s --db '%s' --every 1s "
             "--tlp green --key-file '%s'",
             getenv("KIZUNA_BIN"), A.base, COLL_A, B.db, kf);
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(strlen(OUT), 37); /* the new id */
    /* A second one with a wrong key, Basic auth from the environment. */
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_PASSWORD='not the password' '%s' taxii source add broken '%s" ROOT
             "' --collection %s --db '%s' --every 1h --user an@a.example",
             getenv("KIZUNA_BIN"), A.base, COLL_A, B.db);
    assert_int_equal(sh(cmd), 0);

    bool arrived = false;
    for (int i = 0; i < 40 && !arrived; i++) {
        usleep(500 * 1000);
        r = taxii_get(&B, B_AN, COLL_B, "?limit=1000");
        json_t *got = json_object_get(r.json, "objects");
        arrived = true;
        size_t j;
        json_t *o;
        json_array_foreach(src, j, o) {
            const char *id = json_string_value(json_object_get(o, "id"));
            /* BAD is spoiled on A (push test): B refuses it. */
            if (strcmp(id, BAD) != 0)
                arrived &= has_id(got, id);
        }
        kz_resp_free(&r);
    }
    assert_true(arrived);
    json_decref(src);

    /* Outcome per source. */
    json_t *l = NULL, *ok = NULL, *bad = NULL;
    for (int i = 0; i < 20; i++) {
        json_decref(l);
        l = source_list();
        ok = source_named(l, "a-feed");
        bad = source_named(l, "broken");
        if (ok && bad && json_integer_value(json_object_get(bad, "runs")) > 0 &&
            json_integer_value(json_object_get(ok, "runs")) > 0)
            break;
        usleep(500 * 1000);
    }
    assert_non_null(ok);
    assert_non_null(bad);
    assert_true(json_is_null(json_object_get(ok, "last_error")));
    assert_true(json_is_string(json_object_get(ok, "last_ok")));
    assert_string_equal(json_string_value(json_object_get(ok, "auth")), "bearer");
    assert_string_equal(json_string_value(json_object_get(ok, "tlp")), "green");
    assert_int_equal(json_integer_value(json_object_get(ok, "interval_s")), 1);
    const char *e = json_string_value(json_object_get(bad, "last_error"));
    assert_non_null(e);
    assert_non_null(strstr(e, "HTTP 401"));
    assert_true(json_is_null(json_object_get(bad, "last_ok")));
    assert_string_equal(json_string_value(json_object_get(bad, "auth")), "basic");
    assert_string_equal(json_string_value(json_object_get(bad, "user")), "an@a.example");
    /* The plain listing shows the error too. */
    snprintf(cmd, sizeof cmd, "'%s' taxii source list --db '%s'", getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(OUT, "broken"));
    assert_non_null(strstr(OUT, "error: "));
    assert_non_null(strstr(OUT, "HTTP 401"));
    json_decref(l);

    /* Resumed, not restarted: a new object at A arrives alone. */
    char ind[700], env[900], path[300], auth[96];
    ind_json(ind, sizeof ind, "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e77", "198.51.100.77");
    snprintf(env, sizeof env, "{\"objects\":[%s]}", ind);
    snprintf(path, sizeof path, ROOT "collections/%s/objects/", COLL_A);
    snprintf(auth, sizeof auth, "Bearer %s", A_AN);
    kz_resp p;
    assert_int_equal(kz_http(&A, "POST", path, auth, MEDIA, env, strlen(env), &p), 0);
    kz_resp_free(&p);
    arrived = false;
    for (int i = 0; i < 40 && !arrived; i++) {
        usleep(500 * 1000);
        r = taxii_get(&B, B_AN, COLL_B, "?limit=1000");
        arrived = has_id(json_object_get(r.json, "objects"),
                         "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e77");
        kz_resp_free(&r);
    }
    assert_true(arrived);
    for (int i = 0; i < 20; i++) {
        l = source_list();
        ok = source_named(l, "a-feed");
        bool one = json_integer_value(json_object_get(ok, "last_objects")) == 1;
        bool later = json_integer_value(json_object_get(ok, "runs")) >= 2;
        json_decref(l);
        if (one && later)
            break;
        assert_true(i < 19);
        usleep(500 * 1000);
    }

    /* Run now: the broken one fails again and says why; the counts move. */
    snprintf(cmd, sizeof cmd, "'%s' taxii source run broken --db '%s'", getenv("KIZUNA_BIN"),
             B.db);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "HTTP 401"));
    l = source_list();
    assert_int_equal(json_integer_value(json_object_get(source_named(l, "broken"), "runs")), 2);
    assert_int_equal(json_integer_value(json_object_get(source_named(l, "broken"), "failures")), 2);
    json_decref(l);
    snprintf(cmd, sizeof cmd, "'%s' taxii source run a-feed --db '%s'", getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 0);
    assert_non_null(strstr(ERR, "pulled 1 page, "));

    /* A copy of the database without the node secret cannot use the key. */
    char copy[600];
    snprintf(copy, sizeof copy, "%s/copy.db", B.dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(B.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[800];
    snprintf(sql, sizeof sql, "VACUUM INTO '%s'", copy);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    snprintf(cmd, sizeof cmd, "'%s' taxii source run a-feed --db '%s'", getenv("KIZUNA_BIN"), copy);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "does not open with this node's secret"));

    /* Pause, resume, remove. */
    snprintf(cmd, sizeof cmd, "'%s' taxii source pause broken --db '%s'", getenv("KIZUNA_BIN"),
             B.db);
    assert_int_equal(sh(cmd), 0);
    l = source_list();
    assert_true(json_is_true(json_object_get(source_named(l, "broken"), "paused")));
    assert_true(json_is_false(json_object_get(source_named(l, "a-feed"), "paused")));
    json_decref(l);
    snprintf(cmd, sizeof cmd, "'%s' taxii source resume broken --db '%s'", getenv("KIZUNA_BIN"),
             B.db);
    assert_int_equal(sh(cmd), 0);
    l = source_list();
    assert_true(json_is_false(json_object_get(source_named(l, "broken"), "paused")));
    json_decref(l);
    snprintf(cmd, sizeof cmd, "'%s' taxii source remove broken --db '%s'", getenv("KIZUNA_BIN"),
             B.db);
    assert_int_equal(sh(cmd), 0);
    l = source_list();
    assert_null(source_named(l, "broken"));
    assert_non_null(source_named(l, "a-feed"));
    json_decref(l);
    snprintf(cmd, sizeof cmd, "'%s' taxii source remove broken --db '%s'", getenv("KIZUNA_BIN"),
             B.db);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "no TAXII source 'broken'"));

    /* Bad input: a usage error (exit 2) that says what is wrong. */
    static const struct {
        const char *args, *msg;
    } bad_adds[] = {
        {"x 'http://u:p@127.0.0.1:1/taxii2/kizuna/' --collection c",
         "the URL holds a user or password"},
        {"x 'ftp://127.0.0.1/' --collection c", "is not an http:// or https:// API root URL"},
        /* credentials never cross a network in clear */
        {"x 'http://192.0.2.1/taxii2/kizuna/' --collection c",
         "plain http:// is allowed only to loopback"},
        {"x 'http://127.0.0.1:1/taxii2/kizuna/' --collection c --every 0",
         "option '--every': not a positive interval"},
        {"x 'http://127.0.0.1:1/taxii2/kizuna/' --collection c --every 5w",
         "option '--every': not a positive interval"},
        {"x 'http://127.0.0.1:1/taxii2/kizuna/' --collection c --tlp purple",
         "option '--tlp': not clear, green"},
        {"x 'http://127.0.0.1:1/taxii2/kizuna/' --collection c --user u",
         "--user needs --password-stdin, --password-file or $KIZUNA_TAXII_PASSWORD"},
        {"x 'http://127.0.0.1:1/taxii2/kizuna/'", "missing required option '--collection'"},
        /* a CR LF in a key would add a header of the attacker's choosing */
        {"x 'http://127.0.0.1:1/taxii2/kizuna/' --collection c "
         "--key \"$(printf 'k\\r\\nX-Evil: 1')\"",
         "the bearer key holds a space or a character outside visible ASCII"},
    };
    for (size_t i = 0; i < sizeof bad_adds / sizeof *bad_adds; i++) {
        snprintf(cmd, sizeof cmd, "env -u KIZUNA_TAXII_PASSWORD '%s' taxii source add %s --db '%s'",
                 getenv("KIZUNA_BIN"), bad_adds[i].args, B.db);
        int code = sh(cmd);
        if (code != 2 || !strstr(ERR, bad_adds[i].msg))
            fprintf(stderr, "bad add %zu: exit %d, stderr: %s\n", i, code, ERR);
        assert_int_equal(code, 2);
        assert_non_null(strstr(ERR, bad_adds[i].msg));
    }
    /* The user name of Basic auth takes no ':' (RFC 7617). */
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_PASSWORD=pw '%s' taxii source add x 'http://127.0.0.1:1/taxii2/kizuna/' "
             "--collection c --user 'a:b' --db '%s'",
             getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 2);
    assert_non_null(strstr(ERR, "the Basic user name holds ':' or a control character"));
    /* pull and push refuse a URL with a credential in it as well */
    snprintf(cmd, sizeof cmd,
             "'%s' taxii pull 'http://u:secretpw@127.0.0.1:1/taxii2/kizuna/' --collection c "
             "--db '%s'",
             getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "the URL holds a user or password"));
    assert_null(strstr(ERR, "secretpw"));

    /* The sealed key is bound to the source's URL: pointing the row at
     * another server in the database (without the node secret) leaves the
     * key sealed, so it cannot be collected there. */
    assert_int_equal(sqlite3_open(B.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE taxii_sources SET url = 'http://127.0.0.2:9/taxii2/' "
                                  "WHERE name = 'a-feed'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    snprintf(cmd, sizeof cmd, "'%s' taxii source run a-feed --db '%s'", getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "does not open with this node's secret"));
    assert_int_equal(sqlite3_open(B.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    snprintf(sql, sizeof sql, "UPDATE taxii_sources SET url = '%s" ROOT "' WHERE name = 'a-feed'",
             A.base);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    snprintf(cmd, sizeof cmd, "'%s' taxii source run a-feed --db '%s'", getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' taxii source add A-FEED 'http://127.0.0.1:1/taxii2/kizuna/' --collection c "
             "--db '%s'",
             getenv("KIZUNA_BIN"), B.db);
    assert_int_equal(sh(cmd), 1);
    assert_non_null(strstr(ERR, "a TAXII source named 'A-FEED' exists"));

    /* The key is sealed at rest and never logged. */
    char path_db[600];
    const char *suffix[] = {"", "-wal"};
    for (int i = 0; i < 2; i++) {
        snprintf(path_db, sizeof path_db, "%s%s", B.db, suffix[i]);
        assert_false(file_has(path_db, A_AN));
        assert_false(file_has(path_db, "not the password"));
    }
    assert_false(file_has(B.log, A_AN));
    assert_false(file_has(B.log, "not the password"));
}

/* ---- a hostile server ------------------------------------------------------------ */

/* A TAXII server that misbehaves on purpose (libmicrohttpd in this process):
 *   .../loop/...      "more" with the same `next` for ever, no objects;
 *   .../garbage/...   one object and an X-TAXII-Date-Added-Last that is not
 *                     a timestamp;
 *   .../redir/...     302 to /landing/ (which records that it was reached);
 *   .../deny/...      401 whose description holds terminal escapes.
 * It records what the client sent. */

static struct {
    int requests;
    bool landed;
    char last_query[512];
    char last_auth[128];
} fake;

static enum MHD_Result fake_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)cls, (void)kind;
    size_t n = strlen(fake.last_query);
    snprintf(fake.last_query + n, sizeof fake.last_query - n, "%s%s=%s", n ? "&" : "", key,
             value ? value : "");
    return MHD_YES;
}

static enum MHD_Result fake_answer(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **state)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)state;
    fake.requests++;
    fake.last_query[0] = '\0';
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fake_arg, NULL);
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    snprintf(fake.last_auth, sizeof fake.last_auth, "%s", auth ? auth : "");
    static char body[2048];
    unsigned status = 200;
    const char *hdr = NULL, *hval = NULL;
    char ind[700];
    if (strstr(url, "/landing/")) {
        fake.landed = true;
        snprintf(body, sizeof body, "{\"more\":false,\"objects\":[]}");
    } else if (strstr(url, "/loop/")) {
        snprintf(body, sizeof body, "{\"more\":true,\"next\":\"same\",\"objects\":[]}");
    } else if (strstr(url, "/garbage/")) {
        snprintf(body, sizeof body, "{\"more\":false,\"objects\":[%s]}",
                 ind_json(ind, sizeof ind, "indicator--6a1c0f52-8c61-4d6f-9e0a-2b7b3c9d1e90",
                          "198.51.100.90"));
        hdr = "X-TAXII-Date-Added-Last";
        hval = "not-a-time";
    } else if (strstr(url, "/redir/")) {
        status = 302;
        hdr = "Location";
        hval = "/landing/collections/c/objects/";
        body[0] = '\0';
    } else {
        status = 401;
        snprintf(body, sizeof body, "{\"title\":\"no\",\"http_status\":\"401\","
                                    "\"description\":\"bad key\\u001b[2J\\nnext line\"}");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", MEDIA);
    if (hdr)
        MHD_add_response_header(r, hdr, hval);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static int fake_pull(unsigned port, const char *root, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "KIZUNA_TAXII_KEY=kz_hostile_test_key '%s' taxii pull "
             "'http://127.0.0.1:%u/%s/' --collection c --db '%s' %s",
             getenv("KIZUNA_BIN"), port, root, B.db, extra);
    return sh(cmd);
}

static void test_taxii_client_hostile_server(void **state)
{
    (void)state;
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                            fake_answer, NULL, MHD_OPTION_END);
    assert_non_null(d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    unsigned port = info->port;

    /* "more" with the same `next` again: an error after two pages, not a
     * loop (an empty page with a new `next` is followed). */
    memset(&fake, 0, sizeof fake);
    assert_int_equal(fake_pull(port, "loop", ""), 1);
    assert_int_equal(fake.requests, 2);
    assert_non_null(strstr(fake.last_query, "next=same"));
    assert_non_null(strstr(ERR, "page 2 says there is more but gives the same position"));
    assert_non_null(strstr(ERR, "pulled 2 pages, 0 objects"));

    /* A resume position that is not a timestamp is not kept: the object is
     * stored, and the next pull of the source asks from the start. */
    memset(&fake, 0, sizeof fake);
    assert_int_equal(fake_pull(port, "garbage", ""), 0);
    assert_non_null(strstr(ERR, "pulled 1 page, 1 object: 1 stored"));
    assert_int_equal(fake_pull(port, "garbage", ""), 0);
    assert_int_equal(fake.requests, 2);
    assert_null(strstr(fake.last_query, "added_after"));
    assert_string_equal(fake.last_query, "limit=1000");
    assert_string_equal(fake.last_auth, "Bearer kz_hostile_test_key");

    /* A redirect is not followed (it would take the key along). */
    memset(&fake, 0, sizeof fake);
    assert_int_equal(fake_pull(port, "redir", ""), 1);
    assert_int_equal(fake.requests, 1);
    assert_false(fake.landed);
    assert_non_null(strstr(ERR, "/redir/collections/c/objects/?limit=1000: HTTP 302"));

    /* The server's words reach the terminal without its control characters. */
    memset(&fake, 0, sizeof fake);
    assert_int_equal(fake_pull(port, "deny", ""), 1);
    assert_non_null(strstr(ERR, ": HTTP 401: bad key?[2J?next line"));
    assert_null(strstr(ERR, "\x1b"));
    assert_null(strstr(ERR, "kz_hostile_test_key"));

    MHD_stop_daemon(d);
}

int main(void)
{
    kz_base_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taxii_push),
        cmocka_unit_test(test_taxii_scheduled_pull),
        cmocka_unit_test(test_taxii_client_hostile_server),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
