/* test_export.c — exports end to end: `kizuna misp import` of the real MISP
 * events, `kizuna export --format ...` to files (Zeek, CSV, text,
 * Suricata, a MISP feed directory) and back (a feed exported by one node
 * imported into another, incrementally), and the same formats through GET
 * /api/v1/export/{format}, where each caller gets only what it may export:
 * never TLP:RED, never another org's unpublished event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kz_node.h"

static kz_node N;
static char ORG_A[40], ORG_B[40];
static char A_PUB[64], B_PUB[64];
static char DATA[1024];

static int run(const char *const *args, char *out, size_t n)
{
    int rc = kz_node_run(args, out, n);
    print_message("kizuna %s %s -> %d\n", args[0], args[1] ? args[1] : "", rc);
    return rc;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = 0;
    fclose(f);
    return b;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static int setup(void **state)
{
    (void)state;
    if (!kz_test_data_path("misp", DATA, sizeof DATA))
        return 0; /* the tests skip */
    if (kz_node_init(&N, "CERT-A", "TH") != 0)
        return -1;
    /* The real events, owned by CERT-A, public; regin under its own Orgc. */
    char path[1200];
    const char *files[] = {"long_event.json", "very_long_event.json", "mainly_objects_1.json",
                           "57c4445b-c548-4654-af0b-4be3950d210f.json"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", DATA, files[i]);
        const char *args[] = {"misp", "import", "--db", N.db, "--org", "CERT-A", "--tlp",
                              "clear", "--distribution", "all", "--quiet", path, NULL};
        if (run(args, NULL, 0) != 0)
            return -1;
    }
    if (kz_node_start(&N, NULL) != 0)
        return -1;
    kz_resp r = kz_get(&N, "/api/v1/me", N.admin_key);
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, N.admin_key, "CERT-B", "AU", ORG_B);
    char id[40];
    kz_make_user(&N, N.admin_key, ORG_A, "pub@a.example", "publisher", id, A_PUB);
    kz_make_user(&N, N.admin_key, ORG_B, "pub@b.example", "publisher", id, B_PUB);
    /* A's own red event, B's unpublished one: never in A's export. */
    r = kz_post(&N, "/events/add", A_PUB,
                "{\"info\":\"A red\",\"published\":true,\"distribution\":3,"
                "\"Tag\":[{\"name\":\"tlp:red\"}],"
                "\"Attribute\":[{\"type\":\"ip-dst\",\"value\":\"192.0.2.66\"}]}");
    if (r.status != 200)
        return -1;
    kz_resp_free(&r);
    r = kz_post(&N, "/events/add", B_PUB,
                "{\"info\":\"B draft\",\"distribution\":3,\"Tag\":[{\"name\":\"tlp:clear\"}],"
                "\"Attribute\":[{\"type\":\"ip-dst\",\"value\":\"192.0.2.77\"}]}");
    if (r.status != 200)
        return -1;
    kz_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!N.dir)
        return 0;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

static void need_data(void)
{
    if (!N.dir)
        skip();
}

static void test_cli_zeek_and_csv(void **state)
{
    (void)state;
    need_data();
    char out[1200];
    snprintf(out, sizeof out, "%s/intel.dat", N.dir);
    const char *args[] = {"export", "--db", N.db, "--format", "zeek", "--to-ids", "--out", out,
                          NULL};
    assert_int_equal(run(args, NULL, 0), 0);
    char *z = slurp(out);
    assert_non_null(z);
    assert_true(strncmp(z, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\t"
                           "meta.url\n", 58) == 0);
    /* long_event: ip-dst 103.240.203.232 (to_ids) and its hostnames */
    assert_non_null(strstr(z, "\n103.240.203.232\tIntel::ADDR\tkizuna: CIRCL\t"));
    assert_non_null(strstr(z, "\nakm.epac.to\tIntel::DOMAIN\t"));
    /* the red event never leaves, even for the operator */
    assert_null(strstr(z, "192.0.2.66"));
    /* every line has five fields */
    for (char *line = strchr(z, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        int tabs = 0;
        for (char *p = line; *p && *p != '\n'; p++)
            tabs += *p == '\t';
        assert_int_equal(tabs, 4);
    }
    free(z);
    snprintf(out, sizeof out, "%s/attrs.csv", N.dir);
    const char *csv[] = {"export", "--db", N.db, "--format", "csv", "--type", "md5", "--out",
                         out, NULL};
    assert_int_equal(run(csv, NULL, 0), 0);
    char *c = slurp(out);
    assert_non_null(c);
    static const char hdr[] = "uuid,event_id,category,type,value,comment,to_ids,date,"
                              "object_relation,attribute_tag,object_uuid,object_name,"
                              "object_meta_category\n";
    assert_true(strncmp(c, hdr, sizeof hdr - 1) == 0);
    assert_null(strstr(c, "\"sha1\""));
    assert_non_null(strstr(c, ",\"md5\","));
    free(c);
    /* a bad format, a bad type */
    const char *bad[] = {"export", "--db", N.db, "--format", "yaml", NULL};
    assert_int_equal(run(bad, NULL, 0), 2);
    const char *badt[] = {"export", "--db", N.db, "--format", "text", "--type", "ipv5", NULL};
    assert_int_equal(run(badt, NULL, 0), 2);
}

static void test_cli_suricata(void **state)
{
    (void)state;
    need_data();
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/iprep", N.dir);
    const char *args[] = {"export", "--db", N.db, "--format", "suricata-iprep", "--out", dir,
                          NULL};
    assert_int_equal(run(args, NULL, 0), 0);
    char path[1300];
    snprintf(path, sizeof path, "%s/categories.txt", dir);
    char *cats = slurp(path);
    assert_non_null(cats);
    assert_true(strncmp(cats, "1,kizuna-high,", 14) == 0);
    free(cats);
    snprintf(path, sizeof path, "%s/reputation.list", dir);
    char *rep = slurp(path);
    assert_non_null(rep);
    /* long_event has threat level 2 (medium) */
    assert_non_null(strstr(rep, "103.240.203.232,2,96\n"));
    assert_null(strstr(rep, "192.0.2.66"));
    free(rep);
    char out[1200];
    snprintf(out, sizeof out, "%s/sha256.lst", N.dir);
    const char *ds[] = {"export", "--db", N.db, "--format", "suricata-dataset", "--type",
                        "sha256", "--out", out, NULL};
    assert_int_equal(run(ds, NULL, 0), 0);
    char *s = slurp(out);
    assert_non_null(s);
    /* 64 hex digits per line, each once */
    for (char *line = s; *line; line = strchr(line, '\n') + 1)
        assert_int_equal(strcspn(line, "\n"), 64);
    free(s);
    const char *none[] = {"export", "--db", N.db, "--format", "suricata-dataset", NULL};
    assert_int_equal(run(none, NULL, 0), 2);
}

/* A node's export as a MISP feed, imported by another node, then again
 * (nothing changed: every event skipped by the manifest). */
static void test_feed_round_trip(void **state)
{
    (void)state;
    need_data();
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/feed", N.dir);
    const char *args[] = {"export", "--db", N.db, "--format", "misp-feed", "--out", dir, NULL};
    assert_int_equal(run(args, NULL, 0), 0);
    char path[1300];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *m = json_load_file(path, 0, NULL);
    assert_non_null(m);
    /* the four imported events, plus B's draft (the operator exports
     * unpublished events too); never the red one */
    assert_int_equal(json_object_size(m), 5);
    assert_non_null(json_object_get(m, "5abf6421-c1b8-477b-a9d2-9c0902de0b81"));
    snprintf(path, sizeof path, "%s/hashes.csv", dir);
    char *h = slurp(path);
    assert_non_null(h);
    assert_true(count_lines(h) > 400);
    free(h);
    json_decref(m);

    kz_node other = {0};
    assert_int_equal(kz_node_init(&other, "CERT-C", "JP"), 0);
    char out[4096];
    const char *imp[] = {"misp", "import", "--db", other.db, "--quiet", dir, NULL};
    assert_int_equal(run(imp, out, sizeof out), 0);
    assert_int_equal(run(imp, out, sizeof out), 0);
    /* the second run skipped everything: its database did not change */
    const char *exp[] = {"export", "--db", other.db, "--format", "misp", NULL};
    static char dump[8 << 20];
    assert_int_equal(run(exp, dump, sizeof dump), 0);
    json_t *j = json_loads(dump, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "response")), 5);
    /* attributes and objects came through */
    size_t i;
    json_t *e;
    size_t attrs = 0, objs = 0;
    json_array_foreach(json_object_get(j, "response"), i, e) {
        attrs += json_array_size(json_object_get(json_object_get(e, "Event"), "Attribute"));
        objs += json_array_size(json_object_get(json_object_get(e, "Event"), "Object"));
    }
    assert_int_equal(objs, 16 + 17);
    assert_int_equal(attrs, 370 + 16 + 0 + 9 + 1);
    json_decref(j);

    /* The same node's feed over HTTP, with the API key as a header: what
     * CERT-A's admin may export (the four public events; not B's draft). */
    kz_node third = {0};
    assert_int_equal(kz_node_init(&third, "CERT-D", "KR"), 0);
    char url[128], hdr[128];
    snprintf(url, sizeof url, "%s/api/v1/export/misp-feed", N.base);
    snprintf(hdr, sizeof hdr, "Authorization: %s", N.admin_key);
    const char *pull[] = {"misp", "import", "--db", third.db, "--quiet", "--header", hdr, url,
                          NULL};
    assert_int_equal(run(pull, out, sizeof out), 0);
    const char *exp3[] = {"export", "--db", third.db, "--format", "misp", NULL};
    assert_int_equal(run(exp3, dump, sizeof dump), 0);
    j = json_loads(dump, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "response")), 4);
    json_decref(j);
    /* without the key the node refuses, and nothing is imported */
    const char *nokey[] = {"misp", "import", "--db", third.db, url, NULL};
    assert_int_equal(run(nokey, out, sizeof out), 1);
    const char *badh[] = {"misp", "import", "--db", third.db, "--header", "NoColon", url, NULL};
    assert_int_equal(run(badh, out, sizeof out), 2);
    kz_node_free(&third);
    kz_node_free(&other);
}

static void test_api_exports_acl(void **state)
{
    (void)state;
    need_data();
    /* A: everything public plus its own, never its red event */
    kz_resp r = kz_get(&N, "/api/v1/export/text?type=ip-dst", A_PUB);
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_non_null(strstr(r.body, "103.240.203.232\n"));
    assert_null(strstr(r.body, "192.0.2.66"));
    assert_null(strstr(r.body, "192.0.2.77")); /* B's draft */
    kz_resp_free(&r);
    /* B: its own draft (same org), not A's red */
    r = kz_get(&N, "/api/v1/export/text?type=ip-dst", B_PUB);
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.body, "192.0.2.77\n"));
    assert_null(strstr(r.body, "192.0.2.66"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/zeek?type=hostname&to_ids=true", A_PUB);
    KZ_EXPECT(r, 200);
    assert_true(strncmp(r.body, "#fields\tindicator\tindicator_type\t", 33) == 0);
    assert_non_null(strstr(r.body, "\tIntel::DOMAIN\t"));
    assert_non_null(strstr(r.body, "/api/v1/events/"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/csv?tlp_max=clear&type=ip-dst", A_PUB);
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.content_type, "text/csv"));
    assert_int_equal(count_lines(r.body), 1 + 9);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/misp?event=5abf6421-c1b8-477b-a9d2-9c0902de0b81", A_PUB);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "response"), 1);
    assert_int_equal(kz_resp_count(&r, "response.0.Event.Object"), 16);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/suricata-dataset?type=md5", A_PUB);
    KZ_EXPECT(r, 200);
    assert_int_equal(strcspn(r.body, "\n"), 32);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/suricata-iprep?part=categories", A_PUB);
    KZ_EXPECT(r, 200);
    assert_true(strncmp(r.body, "1,kizuna-high,", 14) == 0);
    kz_resp_free(&r);
    /* the feed, file by file */
    r = kz_get(&N, "/api/v1/export/misp-feed/manifest.json", A_PUB);
    KZ_EXPECT(r, 200);
    assert_non_null(kz_resp_get(&r, "5abf6421-c1b8-477b-a9d2-9c0902de0b81"));
    assert_int_equal(json_object_size(r.json), 4);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/misp-feed/5abf6421-c1b8-477b-a9d2-9c0902de0b81.json", A_PUB);
    KZ_EXPECT(r, 200);
    assert_null(kz_resp_get(&r, "Event.id"));
    assert_string_equal(kz_resp_str(&r, "Event.uuid"), "5abf6421-c1b8-477b-a9d2-9c0902de0b81");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/misp-feed/hashes.csv", A_PUB);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    /* bad requests */
    r = kz_get(&N, "/api/v1/export/yaml", A_PUB);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/text?tlp_max=purple", A_PUB);
    KZ_EXPECT_ERR(r, 400, "invalid", "tlp_max");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/text?colour=red", A_PUB);
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/suricata-dataset", A_PUB);
    KZ_EXPECT_ERR(r, 400, "invalid", "dataset_type");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/misp-feed/secrets.txt", A_PUB);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/export/text", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
}

/* All or nothing: a file whose second event is bad stores neither. */
static void test_cli_import_all_or_nothing(void **state)
{
    (void)state;
    need_data();
    char path[1200];
    snprintf(path, sizeof path, "%s/two.json", N.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[{\"Event\":{\"uuid\":\"44444444-4444-4444-8444-444444444444\",\"info\":\"ok\","
          "\"Attribute\":[{\"type\":\"domain\",\"value\":\"fine.example\"}]}},"
          "{\"Event\":{\"uuid\":\"55555555-5555-4555-8555-555555555555\",\"info\":\"bad\","
          "\"Attribute\":[{\"type\":\"md5\",\"value\":\"xyz\"}]}}]",
          f);
    fclose(f);
    const char *args[] = {"misp", "import", "--db", N.db, "--org", "CERT-A", path, NULL};
    assert_int_equal(run(args, NULL, 0), 1);
    kz_resp r = kz_get(&N, "/events/view/44444444-4444-4444-8444-444444444444", N.admin_key);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_zeek_and_csv),
        cmocka_unit_test(test_cli_suricata),
        cmocka_unit_test(test_feed_round_trip),
        cmocka_unit_test(test_api_exports_acl),
        cmocka_unit_test(test_cli_import_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
