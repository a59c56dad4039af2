/* test_cli_sweep.c — `kizuna sweep` as an operator runs it: the real binary
 * on a node holding two orgs' intelligence. Each org sweeps with its own
 * view (the other org's org-only event stays out of its index); every hit
 * is one JSON line with file, line, field, value, match, the indicator, its
 * event, creator org, TLP and tags; indicators flagged at import and values
 * on warninglists given to the sweep are reported as warninglisted, not as
 * alerts; --report turns alerts into one sighting per indicator, org and
 * day whose count grows; stdin and gzip are read; bad input is reported on
 * stderr with file and line while the sweep goes on; usage errors exit 2.
 */
#include "kz_node.h"
#include "kz_run.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static const char *bin;
static kz_node N;
static char ORG_SG[40], ORG_JP[40];

static char *tpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/%s", N.dir, name);
    return p;
}

/* Runs kizuna with argv (NULL-terminated), stdin from the file `in` (or
 * empty), stdout and stderr captured. */
static kz_run_out runv(const char *in, const char *const *argv)
{
    return kz_run(bin, N.dir, in, argv);
}

#define RUN(in, ...) runv(in, (const char *const[]){__VA_ARGS__, NULL})

/* The hits of a run as "line field=value match indicator_value[ wl=NAME]",
 * one per output line, each line checked to be a full JSON hit. */
typedef struct hits {
    char *v[64];
    size_t n;
    json_t *first;
} hits;

static hits parse_hits(const char *out, const char *file)
{
    hits h = {0};
    for (const char *p = out; *p;) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(e - p), 0, &je);
        if (!j)
            fail_msg("not JSON: %.*s", (int)(e - p), p);
        static const char *const keys[] = {"file", "field", "value", "type", "match",
                                           "indicator", "indicator_value", "event", "org",
                                           "tlp"};
        for (size_t i = 0; i < KZ_ARRAY_LEN(keys); i++)
            if (!json_is_string(json_object_get(j, keys[i])))
                fail_msg("hit without \"%s\": %.*s", keys[i], (int)(e - p), p);
        assert_true(json_is_integer(json_object_get(j, "line")));
        assert_true(json_is_array(json_object_get(j, "tags")));
        assert_string_equal(json_string_value(json_object_get(j, "file")), file);
        const char *wl = json_string_value(json_object_get(j, "warninglist"));
        char *s = NULL;
        assert_true(asprintf(&s, "%lld %s=%s %s %s%s%s",
                             (long long)json_integer_value(json_object_get(j, "line")),
                             json_string_value(json_object_get(j, "field")),
                             json_string_value(json_object_get(j, "value")),
                             json_string_value(json_object_get(j, "match")),
                             json_string_value(json_object_get(j, "indicator_value")),
                             wl ? " wl=" : "", wl ? wl : "") > 0);
        assert_true(h.n < KZ_ARRAY_LEN(h.v));
        h.v[h.n++] = s;
        if (!h.first)
            h.first = j;
        else
            json_decref(j);
        p = e + 1;
    }
    return h;
}

static void hits_free(hits *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i]);
    json_decref(h->first);
}

static void expect_hits(const hits *h, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    bool ok = n == h->n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(h->v[i], want[i]) == 0;
    if (!ok) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "want %s\n", want[i]);
        for (size_t i = 0; i < h->n; i++)
            fprintf(stderr, "got  %s\n", h->v[i]);
        fail_msg("hits differ");
    }
}

#define DNS_HEAD                                                                                \
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n" \
    "#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\tanswers\n"                                  \
    "#types\ttime\tstring\taddr\taddr\tstring\tvector[string]\n"

static const char dns_log[] = DNS_HEAD
    "1.0\tC1\t192.168.1.2\t10.0.0.53\ta.evil.com\t203.0.113.5\n"   /* line 8 */
    "2.0\tC2\t192.168.1.2\t8.8.8.8\tnotevil.com\t-\n"              /* line 9 */
    "3.0\tC3\t192.168.1.2\t192.0.2.1\tsecret.example.org\t-\n"     /* line 10 */
    "4.0\tC4\t192.168.1.2\t192.0.2.1\twww.google.com\t-\n";        /* line 11 */

static int setup(void **state)
{
    (void)state;
    bin = getenv("KIZUNA_BIN");
    if (!bin || kz_node_init(&N, "CERT-SG", "SG") != 0)
        return -1;
    kz_run_out r = RUN(NULL, "org", "add", "--db", N.db, "--name", "CERT-JP", "--country", "JP",
                    "--type", "national_cert");
    if (r.status != 0) {
        fprintf(stderr, "org add: %s\n", r.err);
        return -1;
    }
    snprintf(ORG_JP, sizeof ORG_JP, "%.36s", r.out); /* org add prints the new id */
    kz_run_free(&r);
    r = RUN(NULL, "org", "list", "--db", N.db, "--json");
    json_t *orgs = json_loads(r.out, 0, NULL);
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) if (strcmp(json_string_value(json_object_get(o, "name")),
                                              "CERT-SG") == 0)
        snprintf(ORG_SG, sizeof ORG_SG, "%s", json_string_value(json_object_get(o, "id")));
    json_decref(orgs);
    kz_run_free(&r);
    if (!ORG_SG[0])
        return -1;
    /* a warninglist flagged at import: public DNS resolvers */
    mkdir(tpath("wl"), 0700);
    mkdir(tpath("wl/lists"), 0700);
    mkdir(tpath("wl/lists/dns"), 0700);
    kz_test_spit(tpath("wl/lists/dns/list.json"),
         "{\"name\":\"Public DNS\",\"type\":\"cidr\",\"list\":[\"8.8.8.8/32\"],"
         "\"matching_attributes\":[\"ip-dst\",\"ip-src\"]}");
    /* one only known at sweep time: top domains */
    mkdir(tpath("wl2"), 0700);
    mkdir(tpath("wl2/top"), 0700);
    kz_test_spit(tpath("wl2/top/list.json"),
         "{\"name\":\"Top domains\",\"type\":\"hostname\",\"list\":[\"google.com\"],"
         "\"matching_attributes\":[\"domain\",\"hostname\"]}");
    kz_test_spit(tpath("sg.jsonl"),
         "{\"id\":\"5a1a0000-0000-4000-8000-000000000001\",\"title\":\"C2 wave\",\"tlp\":\"clear\","
         "\"distribution\":\"all\",\"published\":true,\"tags\":[\"apt:x\"]}\n"
         "{\"event_id\":\"5a1a0000-0000-4000-8000-000000000001\",\"type\":\"domain\","
         "\"value\":\"evil.com\",\"tags\":[\"c2\"]}\n"
         "{\"event_id\":\"5a1a0000-0000-4000-8000-000000000001\",\"type\":\"ipv4\","
         "\"value\":\"203.0.113.5\"}\n"
         "{\"event_id\":\"5a1a0000-0000-4000-8000-000000000001\",\"type\":\"cidr\","
         "\"value\":\"10.0.0.0/8\"}\n"
         "{\"event_id\":\"5a1a0000-0000-4000-8000-000000000001\",\"type\":\"ipv4\","
         "\"value\":\"8.8.8.8\"}\n"
         "{\"event_id\":\"5a1a0000-0000-4000-8000-000000000001\",\"type\":\"domain\","
         "\"value\":\"google.com\"}\n");
    kz_test_spit(tpath("jp.jsonl"),
         "{\"id\":\"5a1a0000-0000-4000-8000-000000000002\",\"title\":\"internal\","
         "\"tlp\":\"amber\",\"distribution\":\"org\"}\n"
         "{\"event_id\":\"5a1a0000-0000-4000-8000-000000000002\",\"type\":\"domain\","
         "\"value\":\"secret.example.org\"}\n");
    r = RUN(NULL, "import", "--db", N.db, "--org", "CERT-SG", "--warninglists", tpath("wl"),
            tpath("sg.jsonl"));
    int ok = r.status;
    if (ok)
        fprintf(stderr, "import: %s\n", r.err);
    kz_run_free(&r);
    r = RUN(NULL, "import", "--db", N.db, "--org", "CERT-JP", tpath("jp.jsonl"));
    ok |= r.status;
    if (r.status)
        fprintf(stderr, "import: %s\n", r.err);
    kz_run_free(&r);
    kz_test_spit(tpath("dns.log"), dns_log);
    return ok ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    kz_node_free(&N);
    return 0;
}

static void test_hits_as_json_lines(void **state)
{
    (void)state;
    const char *log = tpath("dns.log");
    kz_run_out r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG", log);
    kz_run_expect(&r, 0);
    hits h = parse_hits(r.out, log);
    expect_hits(&h, (const char *const[]){
                        "8 id.resp_h=10.0.0.53 cidr 10.0.0.0/8",
                        "8 query=a.evil.com subdomain evil.com",
                        "8 answers=203.0.113.5 exact 203.0.113.5",
                        "9 id.resp_h=8.8.8.8 exact 8.8.8.8 wl=Public DNS",
                        "11 query=www.google.com subdomain google.com",
                        NULL});
    /* the full record of the first hit */
    json_t *j = h.first;
    assert_string_equal(json_string_value(json_object_get(j, "event")),
                        "5a1a0000-0000-4000-8000-000000000001");
    assert_string_equal(json_string_value(json_object_get(j, "org")), ORG_SG);
    assert_string_equal(json_string_value(json_object_get(j, "org_name")), "CERT-SG");
    assert_string_equal(json_string_value(json_object_get(j, "tlp")), "clear");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "ipv4");
    assert_string_equal(json_string_value(json_object_get(j, "indicator_type")), "cidr");
    assert_true(kz_uuid_valid(json_string_value(json_object_get(j, "indicator"))));
    json_t *tags = json_object_get(j, "tags");
    assert_int_equal(json_array_size(tags), 1);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "apt:x");
    kz_expect_contains(r.err, "kizuna: swept 1 files, 11 lines");
    kz_expect_contains(r.err, "4 hits, 1 warninglisted, 0 errors");
    hits_free(&h);
    kz_run_free(&r);
}

/* The index is the org's view: CERT-JP's org-only event is seen by CERT-JP,
 * not by CERT-SG (above), and warninglists given to the sweep mark hits. */
static void test_org_view_and_sweep_warninglists(void **state)
{
    (void)state;
    const char *log = tpath("dns.log");
    kz_run_out r = RUN(NULL, "sweep", "--db", N.db, "--org", ORG_JP, "--warninglists",
                    tpath("wl2"), "--format", "zeek", "--threads", "3", log);
    kz_run_expect(&r, 0);
    hits h = parse_hits(r.out, log);
    expect_hits(&h, (const char *const[]){
                        "8 id.resp_h=10.0.0.53 cidr 10.0.0.0/8",
                        "8 query=a.evil.com subdomain evil.com",
                        "8 answers=203.0.113.5 exact 203.0.113.5",
                        "9 id.resp_h=8.8.8.8 exact 8.8.8.8 wl=Public DNS",
                        "10 query=secret.example.org exact secret.example.org",
                        "11 query=www.google.com subdomain google.com wl=Top domains",
                        NULL});
    kz_expect_contains(r.err, "4 hits, 2 warninglisted, 0 errors");
    hits_free(&h);
    kz_run_free(&r);
}

/* Sightings: per indicator, org and day; a second sweep adds to the count. */
static void test_report_sightings(void **state)
{
    (void)state;
    const char *log = tpath("dns.log");
    kz_run_out r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG", "--report", log, log);
    kz_run_expect(&r, 0);
    kz_expect_contains(r.err, "; 4 sightings recorded");
    hits h = parse_hits(r.out, log);
    assert_int_equal(h.n, 10); /* the file twice */
    char ind[64];
    snprintf(ind, sizeof ind, "%s",
             json_string_value(json_object_get(h.first, "indicator"))); /* 10.0.0.0/8 */
    hits_free(&h);
    kz_run_free(&r);
    r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG", "--report", log);
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    assert_int_equal(kz_node_start(&N, NULL), 0);
    kz_resp s = kz_getf(&N, N.admin_key, "/api/v1/indicators/%s/sightings", ind);
    KZ_EXPECT(s, 200);
    json_t *list = kz_resp_get(&s, "sightings");
    assert_int_equal(json_array_size(list), 1);
    json_t *one = json_array_get(list, 0);
    assert_int_equal(json_integer_value(json_object_get(one, "count")), 3);
    assert_string_equal(json_string_value(json_object_get(one, "org_id")), ORG_SG);
    assert_string_equal(json_string_value(json_object_get(one, "source")), "kizuna sweep");
    kz_resp_free(&s);
    /* the warninglisted 8.8.8.8 was not recorded */
    s = kz_getf(&N, N.admin_key, "/api/v1/search?value=8.8.8.8");
    KZ_EXPECT(s, 200);
    const char *id = json_string_value(json_object_get(json_array_get(kz_resp_get(&s, "results"),
                                                                      0),
                                                       "id"));
    assert_non_null(id);
    kz_resp s2 = kz_getf(&N, N.admin_key, "/api/v1/indicators/%s/sightings", id);
    KZ_EXPECT(s2, 200);
    assert_int_equal(json_array_size(kz_resp_get(&s2, "sightings")), 0);
    kz_resp_free(&s2);
    kz_resp_free(&s);
    assert_int_equal(kz_node_stop(&N), 0);
}

/* stdin, gzip (as a file and on stdin), and bad input among good input. */
static void test_stdin_gzip_and_bad_input(void **state)
{
    (void)state;
    gzFile g = gzopen(tpath("dns.log.gz"), "wb");
    assert_non_null(g);
    gzwrite(g, dns_log, (unsigned)strlen(dns_log));
    gzclose(g);
    kz_run_out r = RUN(tpath("dns.log.gz"), "sweep", "--db", N.db, "--org", "CERT-SG", "-");
    kz_run_expect(&r, 0);
    hits h = parse_hits(r.out, "-");
    assert_int_equal(h.n, 5);
    assert_string_equal(h.v[1], "8 query=a.evil.com subdomain evil.com");
    hits_free(&h);
    kz_run_free(&r);

    /* a missing file, an overlong line, binary garbage, a short line */
    char bad[2048];
    snprintf(bad, sizeof bad, DNS_HEAD "1.0\tC1\t1.1.1.1\t1.1.1.1\tevil.com\t-\n"
                                      "2.0\tC2\t1.1.1.1\t1.1.1.1\tevil.com\t%0200d\n"
                                      "3.0\tC3\t1.1.1.1\t1.1.1.1\tev\x01il.com\xff\t-\n"
                                      "4.0\tC4\t1.1.1.1\tevil.com\n"
                                      "5.0\tC5\t1.1.1.1\t1.1.1.1\tx.evil.com\t-\n",
             0);
    kz_test_spit(tpath("bad.log"), bad);
    r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG", "--max-line", "100",
            tpath("missing.log"), tpath("bad.log"), tpath("dns.log.gz"));
    kz_run_expect(&r, 1); /* a file could not be read */
    char want[1200];
    snprintf(want, sizeof want, "kizuna: %s: cannot open: No such file or directory",
             tpath("missing.log"));
    kz_expect_contains(r.err, want);
    snprintf(want, sizeof want, "kizuna: %s:9: line is longer than 100 bytes", tpath("bad.log"));
    kz_expect_contains(r.err, want);
    snprintf(want, sizeof want, "kizuna: %s:10: binary data (not valid UTF-8): line skipped",
             tpath("bad.log"));
    kz_expect_contains(r.err, want);
    snprintf(want, sizeof want,
             "kizuna: %s:11: has 4 fields, the #fields header names 6: line skipped",
             tpath("bad.log"));
    kz_expect_contains(r.err, want);
    kz_expect_contains(r.err, "4 errors"); /* the missing file counts too */
    /* hits of bad.log lines 8 and 12, then all of the gzip file */
    assert_non_null(strstr(r.out, "\"line\":8,\"field\":\"query\",\"value\":\"evil.com\""));
    assert_non_null(strstr(r.out, "\"line\":12,\"field\":\"query\",\"value\":\"x.evil.com\""));
    char gzname[1100];
    snprintf(gzname, sizeof gzname, "{\"file\":\"%s\",\"line\":8,", tpath("dns.log.gz"));
    assert_non_null(strstr(r.out, gzname));
    kz_run_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    kz_run_out r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG", "--format", "syslog",
                    tpath("dns.log"));
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "option '--format': 'syslog' is not one of auto, zeek, zeek-json, eve, csv, "
                    "text");
    kz_run_free(&r);
    r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "missing argument");
    kz_run_free(&r);
    r = RUN(NULL, "sweep", "--db", N.db, tpath("dns.log"));
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "this node has 2 organisations: say whose view to sweep with --org ORG");
    kz_run_free(&r);
    r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-XX", tpath("dns.log"));
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "CERT-XX");
    kz_run_free(&r);
    r = RUN(NULL, "sweep", "--db", N.db, "--org", "CERT-SG", "--warninglists",
            tpath("no-such-dir"), tpath("dns.log"));
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "loading warninglists");
    kz_run_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_as_json_lines),
        cmocka_unit_test(test_org_view_and_sweep_warninglists),
        cmocka_unit_test(test_report_sightings),
        cmocka_unit_test(test_stdin_gzip_and_bad_input),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
