/* test_api_lookup.c — POST /api/v1/lookup over HTTP against a real node
 * started with --warninglists and --match-orgs 2: hits of every kind with all
 * their fields and in value order, what each org may see (a RED or AMBER event
 * of another org never hits), warninglisted hits flagged and counted, orgs
 * that see the same sharing one index and indexes evicted when more orgs ask,
 * the index following added and deleted indicators and a CLI import, tags
 * escaped, the 100,000-value limit, every malformed body, and authentication.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kz_node.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_UPPER "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
#define TAG_WITH_COMMA "misp-galaxy:threat-actor=\"Sofacy, APT28\""

static kz_node N;
static char *WL_DIR;
static char ORG_A[40], ORG_B[40];
static char A_PUB[64], B_PUB[64];
static char EV_A[40];

static void make_event(const char *key, const char *body, char id[40])
{
    kz_resp r = kz_post(&N, "/api/v1/events", key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", id);
    r = kz_post(&N, path, key, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
}

static int write_list(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/lists", dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/lists/test-benign", dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/lists/test-benign/list.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("{\"name\":\"Test benign list\",\"type\":\"hostname\",\"description\":\"test\","
          "\"version\":1,\"matching_attributes\":[\"domain\",\"hostname\"],"
          "\"list\":[\"benign.example\"]}\n",
          f);
    return fclose(f);
}

static int setup(void **state)
{
    (void)state;
    WL_DIR = kz_test_mkdtemp();
    if (!WL_DIR || write_list(WL_DIR) != 0)
        return -1;
    const char *extra[] = {"--warninglists", WL_DIR, "--match-orgs", "2", NULL};
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, extra) != 0)
        return -1;
    kz_resp r = kz_get(&N, "/api/v1/me", N.admin_key);
    if (r.status != 200)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, N.admin_key, "CERT-B", "AU", ORG_B);
    char id[40];
    kz_make_user(&N, N.admin_key, ORG_A, "pub@a.example", "publisher", id, A_PUB);
    kz_make_user(&N, N.admin_key, ORG_B, "pub@b.example", "publisher", id, B_PUB);
    make_event(A_PUB,
               "{\"title\":\"A clear\",\"tlp\":\"clear\",\"distribution\":\"all\","
               "\"tags\":[\"campaign-x\"],\"indicators\":["
               "{\"type\":\"ipv4\",\"value\":\"198.51.100.7\",\"tags\":[\"c2\"]},"
               "{\"type\":\"cidr\",\"value\":\"203.0.113.0/24\"},"
               "{\"type\":\"domain\",\"value\":\"evil.example\"},"
               "{\"type\":\"url\",\"value\":\"http://cdn.bad.example/payload.exe\"},"
               "{\"type\":\"sha256\",\"value\":\"" SHA "\"},"
               "{\"type\":\"email\",\"value\":\"phish@bad.example\"},"
               "{\"type\":\"ip|port\",\"value\":\"192.0.2.10:8443\"},"
               "{\"type\":\"domain\",\"value\":\"benign.example\"},"
               "{\"type\":\"ipv4\",\"value\":\"198.51.100.8\",\"to_ids\":false},"
               "{\"type\":\"domain\",\"value\":\"tagged.example\",\"tags\":[\"misp-galaxy:"
               "threat-actor=\\\"Sofacy, APT28\\\"\"]}]}",
               EV_A);
    char ev[40];
    make_event(B_PUB,
               "{\"title\":\"B red\",\"tlp\":\"red\",\"distribution\":\"all\","
               "\"indicators\":[{\"type\":\"domain\",\"value\":\"red.example\"}]}",
               ev);
    make_event(B_PUB,
               "{\"title\":\"B amber\",\"tlp\":\"amber\",\"distribution\":\"all\","
               "\"indicators\":[{\"type\":\"domain\",\"value\":\"b-amber.example\"}]}",
               ev);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    kz_test_rmdir(WL_DIR);
    free(WL_DIR);
    return rc == 0 ? 0 : -1;
}

static kz_resp lookup(const char *key, const char *body)
{
    return kz_post(&N, "/api/v1/lookup", key, body);
}

static long stat_of(const kz_resp *r, const char *name)
{
    json_t *s = kz_resp_get(r, "stats");
    json_t *v = json_object_get(s, name);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static const char *field(json_t *hit, const char *name)
{
    return json_string_value(json_object_get(hit, name));
}

/* The id of the indicator with this exact value, through search. */
static void indicator_id(const char *key, const char *value, char out[40])
{
    kz_resp r = kz_getf(&N, key, "/api/v1/search?value=%s", value);
    KZ_EXPECT(r, 200);
    json_t *first = json_array_get(kz_resp_get(&r, "results"), 0);
    assert_non_null(first);
    snprintf(out, 40, "%s", field(first, "id"));
    kz_resp_free(&r);
}

static void expect_hit(json_t *hits, size_t i, const char *value, const char *type,
                       const char *match, const char *itype, const char *listed)
{
    json_t *h = json_array_get(hits, i);
    if (!h)
        fail_msg("no hit %zu (want %s)", i, value);
    assert_string_equal(field(h, "value"), value);
    assert_string_equal(field(h, "type"), type);
    assert_string_equal(field(h, "match"), match);
    assert_string_equal(field(h, "indicator_type"), itype);
    assert_string_equal(field(h, "indicator_value"), listed);
    assert_string_equal(field(h, "event"), EV_A);
    assert_string_equal(field(h, "org"), ORG_A);
    assert_string_equal(field(h, "tlp"), "clear");
    assert_null(json_object_get(h, "warninglist"));
    char id[40];
    indicator_id(A_PUB, listed[0] == 'h' ? "http%3A%2F%2Fcdn.bad.example%2Fpayload.exe" : listed,
                 id);
    assert_string_equal(field(h, "indicator"), id);
}

static void test_hits_of_every_kind(void **state)
{
    (void)state;
    kz_resp r = lookup(A_PUB,
                       "{\"values\":[\"198.51.100.7\",\"203.0.113.99\",\"www.evil.example\","
                       "\"evil.example\",\"notevil.example\",\"http://cdn.bad.example/payload.exe\","
                       "\"http://cdn.bad.example/other\",\"" SHA_UPPER "\",\"phish@bad.example\","
                       "\"192.0.2.10:8443\",\"198.51.100.8\",\"red.example\",\"b-amber.example\","
                       "\"not an indicator\",\"\"]}");
    KZ_EXPECT(r, 200);
    assert_string_equal(r.content_type, "application/json");
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 8);
    expect_hit(hits, 0, "198.51.100.7", "ipv4", "exact", "ipv4", "198.51.100.7");
    expect_hit(hits, 1, "203.0.113.99", "ipv4", "cidr", "cidr", "203.0.113.0/24");
    expect_hit(hits, 2, "www.evil.example", "domain", "subdomain", "domain", "evil.example");
    expect_hit(hits, 3, "evil.example", "domain", "exact", "domain", "evil.example");
    expect_hit(hits, 4, "http://cdn.bad.example/payload.exe", "url", "exact", "url",
               "http://cdn.bad.example/payload.exe");
    expect_hit(hits, 5, SHA_UPPER, "sha256", "exact", "sha256", SHA);
    expect_hit(hits, 6, "phish@bad.example", "email", "exact", "email", "phish@bad.example");
    expect_hit(hits, 7, "192.0.2.10:8443", "ip|port", "exact", "ip|port", "192.0.2.10:8443");
    /* Tags: the indicator's, then its event's. */
    json_t *tags = json_object_get(json_array_get(hits, 0), "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "c2");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "campaign-x");
    assert_int_equal(stat_of(&r, "values"), 15);
    assert_int_equal(stat_of(&r, "hits"), 8);
    assert_int_equal(stat_of(&r, "warninglisted"), 0);
    assert_int_equal(stat_of(&r, "unrecognised"), 2);
    assert_true(json_is_false(kz_resp_get(&r, "truncated")));
    kz_resp_free(&r);
}

static void test_what_each_org_sees(void **state)
{
    (void)state;
    /* B sees its own AMBER event and A's CLEAR one; its own RED event is for
     * named people, never in an org's index. */
    kz_resp r = lookup(B_PUB, "{\"values\":[\"b-amber.example\",\"red.example\",\"evil.example\"]}");
    KZ_EXPECT(r, 200);
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 2);
    assert_string_equal(field(json_array_get(hits, 0), "value"), "b-amber.example");
    assert_string_equal(field(json_array_get(hits, 0), "org"), ORG_B);
    assert_string_equal(field(json_array_get(hits, 0), "tlp"), "amber");
    assert_string_equal(field(json_array_get(hits, 1), "value"), "evil.example");
    kz_resp_free(&r);
    /* A never sees B's. */
    r = lookup(A_PUB, "{\"values\":[\"b-amber.example\",\"red.example\",\"www.red.example\"]}");
    KZ_EXPECT(r, 200);
    assert_int_equal(json_array_size(kz_resp_get(&r, "hits")), 0);
    assert_int_equal(stat_of(&r, "hits"), 0);
    kz_resp_free(&r);
}

static void test_warninglisted_hits_are_flagged(void **state)
{
    (void)state;
    kz_resp r = lookup(A_PUB, "{\"values\":[\"benign.example\",\"cdn.benign.example\",\"evil.example\"]}");
    KZ_EXPECT(r, 200);
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 3);
    assert_string_equal(field(json_array_get(hits, 0), "warninglist"), "Test benign list");
    assert_string_equal(field(json_array_get(hits, 0), "match"), "exact");
    assert_string_equal(field(json_array_get(hits, 1), "warninglist"), "Test benign list");
    assert_string_equal(field(json_array_get(hits, 1), "match"), "subdomain");
    assert_null(json_object_get(json_array_get(hits, 2), "warninglist"));
    /* The tags of a warninglisted hit are the real tags only. */
    json_t *tags = json_object_get(json_array_get(hits, 0), "tags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "campaign-x");
    /* Like the sweep's summary: alerts, and warninglisted hits apart. */
    assert_int_equal(stat_of(&r, "hits"), 1);
    assert_int_equal(stat_of(&r, "warninglisted"), 2);
    kz_resp_free(&r);
    /* The flag is on the indicator itself. */
    char id[40];
    indicator_id(A_PUB, "benign.example", id);
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "warninglist"), "Test benign list");
    kz_resp_free(&r);
    indicator_id(A_PUB, "evil.example", id);
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s", id);
    KZ_EXPECT(r, 200);
    assert_null(kz_resp_get(&r, "warninglist"));
    kz_resp_free(&r);
}

static void test_tags_are_escaped_and_split_outside_quotes(void **state)
{
    (void)state;
    kz_resp r = lookup(A_PUB, "{\"values\":[\"tagged.example\"]}");
    KZ_EXPECT(r, 200);
    json_t *tags = json_object_get(json_array_get(kz_resp_get(&r, "hits"), 0), "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), TAG_WITH_COMMA);
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "campaign-x");
    kz_resp_free(&r);
}

static bool log_has(const char *a, const char *b)
{
    FILE *f = fopen(N.log, "r");
    assert_non_null(f);
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, a) && (!b || strstr(line, b));
    fclose(f);
    return found;
}

static void test_orgs_that_see_the_same_share_an_index(void **state)
{
    (void)state;
    char c[40], d[40], e[40], ckey[64], dkey[64], ekey[64], id[40];
    kz_make_org(&N, N.admin_key, "CERT-C", "KR", c);
    kz_make_org(&N, N.admin_key, "CERT-D", "JP", d);
    kz_make_org(&N, N.admin_key, "CERT-E", "US", e);
    kz_make_user(&N, N.admin_key, c, "ro@c.example", "read_only", id, ckey);
    kz_make_user(&N, N.admin_key, d, "ro@d.example", "read_only", id, dkey);
    kz_make_user(&N, N.admin_key, e, "ro@e.example", "read_only", id, ekey);
    const char *body = "{\"values\":[\"evil.example\",\"b-amber.example\"]}";
    const char *keys[] = {ckey, dkey};
    for (int i = 0; i < 2; i++) {
        kz_resp r = lookup(keys[i], body);
        KZ_EXPECT(r, 200);
        assert_int_equal(stat_of(&r, "hits"), 1);
        assert_string_equal(field(json_array_get(kz_resp_get(&r, "hits"), 0), "value"),
                            "evil.example");
        kz_resp_free(&r);
    }
    /* D sees exactly what C sees: one index for both. */
    assert_true(log_has(d, "the same as org"));
    assert_true(log_has(c, "shared"));
    /* A third org with two slots: the least recently used is evicted, and
     * every org still gets its own answers. */
    kz_resp r = lookup(ekey, body);
    KZ_EXPECT(r, 200);
    assert_int_equal(stat_of(&r, "hits"), 1);
    kz_resp_free(&r);
    assert_true(log_has("evicted (at most 2 kept)", NULL));
    r = lookup(B_PUB, body);
    KZ_EXPECT(r, 200);
    assert_int_equal(stat_of(&r, "hits"), 2);
    kz_resp_free(&r);
    r = lookup(ckey, body);
    KZ_EXPECT(r, 200);
    assert_int_equal(stat_of(&r, "hits"), 1);
    kz_resp_free(&r);
}

static long hits_for(const char *key, const char *value)
{
    char body[256];
    snprintf(body, sizeof body, "{\"values\":[\"%s\"]}", value);
    kz_resp r = lookup(key, body);
    KZ_EXPECT(r, 200);
    long n = stat_of(&r, "hits");
    kz_resp_free(&r);
    return n;
}

/* Polls until the lookup of value gives want hits; returns the wait in ms. */
static long wait_for(const char *value, long want)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long n = hits_for(A_PUB, value);
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (n == want)
            return ms;
        if (ms > 5000) {
            /* The server's log says what its index thread did. */
            FILE *f = fopen(N.log, "r");
            char line[1024];
            while (f && fgets(line, sizeof line, f))
                if (strstr(line, "match") || strstr(line, "error"))
                    fputs(line, stderr);
            if (f)
                fclose(f);
            fail_msg("'%s': %ld hits after %ld ms, want %ld", value, n, ms, want);
        }
        usleep(100000);
    }
}

static void test_index_follows_changes(void **state)
{
    (void)state;
    assert_int_equal(hits_for(A_PUB, "late.example"), 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/indicators", EV_A);
    kz_resp r = kz_post(&N, path, A_PUB, "[{\"type\":\"domain\",\"value\":\"late.example\"}]");
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    long ms = wait_for("late.example", 1);
    print_message("index caught up with an added indicator in %ld ms\n", ms);
    assert_true(ms <= 3000);
    char id[40];
    indicator_id(A_PUB, "late.example", id);
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s", id);
    kz_resp_free(&r);
    char del[128];
    snprintf(del, sizeof del, "/api/v1/indicators/%s", id);
    r = kz_delete(&N, del, A_PUB);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    ms = wait_for("late.example", 0);
    print_message("index caught up with a deleted indicator in %ld ms\n", ms);
    assert_true(ms <= 3000);
}

/* `kizuna import --warninglists` into the served database: the flag is set
 * by the importing process, and the server's index follows a write it did
 * not make itself. */
static void test_cli_import_flags_and_is_seen(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/import.jsonl", WL_DIR);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\":\"6f1c2b9e-0d4a-4c8e-9b7a-3e2f1d0c9b8a\",\"title\":\"imported\","
          "\"tlp\":\"clear\",\"distribution\":\"all\",\"published\":true}\n"
          "{\"type\":\"domain\",\"value\":\"cli.benign.example\"}\n"
          "{\"type\":\"domain\",\"value\":\"cli-import.example\"}\n",
          f);
    fclose(f);
    const char *args[] = {"import", "--db", N.db, "--org", "CERT-A", "--warninglists", WL_DIR,
                          path, NULL};
    char out[1024];
    assert_int_equal(kz_node_run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "imported 1 event and 2 indicators"));
    long ms = wait_for("cli-import.example", 1);
    print_message("index caught up with a CLI import in %ld ms\n", ms);
    kz_resp r = lookup(A_PUB, "{\"values\":[\"cli.benign.example\",\"cli-import.example\"]}");
    KZ_EXPECT(r, 200);
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 3); /* benign.example + cli.benign.example, cli-import */
    assert_string_equal(field(json_array_get(hits, 0), "warninglist"), "Test benign list");
    assert_string_equal(field(json_array_get(hits, 1), "warninglist"), "Test benign list");
    assert_null(json_object_get(json_array_get(hits, 2), "warninglist"));
    assert_string_equal(field(json_array_get(hits, 2), "event"),
                        "6f1c2b9e-0d4a-4c8e-9b7a-3e2f1d0c9b8a");
    assert_int_equal(stat_of(&r, "warninglisted"), 2);
    kz_resp_free(&r);
    /* A list folder that is not there fails the import before anything. */
    const char *bad[] = {"import", "--db", N.db, "--org", "CERT-A", "--warninglists",
                         "/nonexistent/lists", path, NULL};
    assert_int_not_equal(kz_node_run(bad, out, sizeof out), 0);
}

static char *many_values(size_t n)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"values\":[");
    for (size_t i = 0; i < n; i++)
        kz_buf_printf(&b, "%s\"10.%zu.%zu.%zu\"", i ? "," : "", i >> 16 & 255, i >> 8 & 255,
                      i & 255);
    kz_buf_puts(&b, "]}");
    return kz_buf_steal(&b);
}

static void test_value_limit(void **state)
{
    (void)state;
    char *body = many_values(100001);
    kz_resp r = lookup(A_PUB, body);
    KZ_EXPECT_ERR(r, 413, "too_large", "values");
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "100001 values in one lookup"));
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "at most 100000"));
    kz_resp_free(&r);
    free(body);
    /* Exactly the limit is fine (and splits between two threads). */
    body = many_values(100000);
    r = lookup(A_PUB, body);
    KZ_EXPECT(r, 200);
    assert_int_equal(stat_of(&r, "values"), 100000);
    assert_int_equal(stat_of(&r, "unrecognised"), 0);
    kz_resp_free(&r);
    free(body);
    /* The other way to 413: through the jansson path (a body of another
     * layout, still valid). */
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{ \"values\" : [");
    for (size_t i = 0; i < 100001; i++)
        kz_buf_printf(&b, "%s\"a%zu.example\"", i ? ", " : "", i);
    kz_buf_puts(&b, "], \"values\": []}");
    r = lookup(A_PUB, b.p);
    /* Duplicate keys are malformed: jansson's 400 comes first. */
    KZ_EXPECT_ERR(r, 400, "invalid", "*");
    kz_resp_free(&r);
    kz_buf_free(&b);
}

static void test_malformed_bodies(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *field; /* NULL = none, "*" = any */
        const char *frag;
    } bad[] = {
        {"not json", "*", ""},
        {"[\"1.2.3.4\"]", NULL, "must be an object"},
        {"{}", "values", "missing"},
        {"{\"values\":\"1.2.3.4\"}", "values", "must be an array of strings"},
        {"{\"values\":[\"1.2.3.4\",7]}", "values[1]", "must be a string"},
        {"{\"values\":[null]}", "values[0]", "must be a string"},
        {"{\"values\":[],\"extra\":1}", NULL, "unknown field 'extra'"},
        {"{\"vals\":[]}", NULL, "unknown field 'vals'"},
        {"{\"values\":[]} trailing", "*", ""},
        {"{\"values\":[\"a\",]}", "*", ""},
        {"{\"values\":[\"\\ud800\"]}", "*", ""},
        {"{\"values\":[\"\\u0000\"]}", "*", ""},
        {"{\"values\":[\"tab\there\"]}", "*", ""},
        {"{\"values\":[],\"values\":[]}", "*", ""},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        print_message("body %s\n", bad[i].body);
        kz_resp r = lookup(A_PUB, bad[i].body);
        KZ_EXPECT_ERR(r, 400, "invalid", bad[i].field);
        assert_non_null(strstr(kz_resp_str(&r, "error.message"), bad[i].frag));
        kz_resp_free(&r);
    }
    kz_resp r;
    assert_int_equal(kz_http(&N, "POST", "/api/v1/lookup", A_PUB, NULL, "", 0, &r), 0);
    KZ_EXPECT_ERR(r, 400, "invalid", "*");
    kz_resp_free(&r);
    const char *plain = "{\"values\":[]}";
    assert_int_equal(
        kz_http(&N, "POST", "/api/v1/lookup", A_PUB, "text/plain", plain, strlen(plain), &r), 0);
    KZ_EXPECT_ERR(r, 415, "unsupported_media_type", "*");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/lookup", A_PUB);
    KZ_EXPECT(r, 405);
    kz_resp_free(&r);
}

static void test_json_forms_decode_alike(void **state)
{
    (void)state;
    /* Escapes, any white space, and an empty list. */
    kz_resp r = lookup(A_PUB, "\n{ \"values\" :\t[ \"\\u0065vil.example\" ,\r\n\"ev\\u0069l.example\","
                              " \"\\/not\\\\a\\\"value\", \"\\ud83d\\ude00.example\" ] }\n");
    KZ_EXPECT(r, 200);
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 2);
    assert_string_equal(field(json_array_get(hits, 0), "value"), "evil.example");
    assert_string_equal(field(json_array_get(hits, 1), "value"), "evil.example");
    assert_int_equal(stat_of(&r, "values"), 4);
    kz_resp_free(&r);
    r = lookup(A_PUB, "{\"values\":[]}");
    KZ_EXPECT(r, 200);
    assert_int_equal(json_array_size(kz_resp_get(&r, "hits")), 0);
    assert_int_equal(stat_of(&r, "values"), 0);
    kz_resp_free(&r);
}

static void test_defanged_values_are_refanged(void **state)
{
    (void)state;
    kz_resp r = lookup(A_PUB, "{\"values\":[\"hxxp://cdn[.]bad[.]example/payload.exe\","
                              "\"www[.]evil[.]example\",\"198.51.100[.]7\"]}");
    KZ_EXPECT(r, 200);
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 3);
    assert_string_equal(field(json_array_get(hits, 0), "type"), "url");
    assert_string_equal(field(json_array_get(hits, 0), "match"), "exact");
    assert_string_equal(field(json_array_get(hits, 1), "value"), "www[.]evil[.]example");
    assert_string_equal(field(json_array_get(hits, 1), "match"), "subdomain");
    assert_string_equal(field(json_array_get(hits, 2), "indicator_value"), "198.51.100.7");
    kz_resp_free(&r);
}

/* More hits than an answer holds: the first 100,000 in value order, the
 * rest counted. Each value hits two indicators, so the two halves of the
 * request (two threads) each find 100,000. */
static void test_answer_is_capped(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/indicators", EV_A);
    kz_resp r = kz_post(&N, path, A_PUB,
                        "[{\"type\":\"domain\",\"value\":\"twice.example\"},"
                        "{\"type\":\"domain\",\"value\":\"twice.example\"}]");
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    wait_for("twice.example", 2);
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"values\":[");
    for (size_t i = 0; i < 100000; i++)
        kz_buf_printf(&b, "%s\"v%zu.twice.example\"", i ? "," : "", i);
    kz_buf_puts(&b, "]}");
    r = lookup(A_PUB, b.p);
    kz_buf_free(&b);
    KZ_EXPECT(r, 200);
    json_t *hits = kz_resp_get(&r, "hits");
    assert_int_equal(json_array_size(hits), 100000);
    assert_true(json_is_true(kz_resp_get(&r, "truncated")));
    assert_int_equal(stat_of(&r, "hits"), 200000);
    assert_string_equal(field(json_array_get(hits, 0), "value"), "v0.twice.example");
    assert_string_equal(field(json_array_get(hits, 1), "value"), "v0.twice.example");
    assert_string_equal(field(json_array_get(hits, 99999), "value"), "v49999.twice.example");
    assert_string_equal(field(json_array_get(hits, 99999), "match"), "subdomain");
    kz_resp_free(&r);
}

static void test_authentication(void **state)
{
    (void)state;
    kz_resp r = lookup(NULL, "{\"values\":[\"evil.example\"]}");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    r = lookup("kz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "{\"values\":[\"evil.example\"]}");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_of_every_kind),
        cmocka_unit_test(test_what_each_org_sees),
        cmocka_unit_test(test_warninglisted_hits_are_flagged),
        cmocka_unit_test(test_tags_are_escaped_and_split_outside_quotes),
        cmocka_unit_test(test_orgs_that_see_the_same_share_an_index),
        cmocka_unit_test(test_index_follows_changes),
        cmocka_unit_test(test_cli_import_flags_and_is_seen),
        cmocka_unit_test(test_value_limit),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_json_forms_decode_alike),
        cmocka_unit_test(test_defanged_values_are_refanged),
        cmocka_unit_test(test_authentication),
        cmocka_unit_test(test_answer_is_capped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
