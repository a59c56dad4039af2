/* test_api_stix.c — STIX over the real node: POST /api/v1/stix imports a
 * bundle all or nothing (422 lists every invalid object, a resend counts
 * duplicates), GET /api/v1/events/{id}/stix gives the bundle back with the
 * objects exactly as sent, and the ACL decides what each caller gets (other
 * orgs, read-only users, TLP:RED, amber indicators). Also `kizuna stix
 * import|export` against the node's database, and newer versions of an
 * indicator updating, then (revoked) deleting what the node made of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40];
static char ANALYST[64], RO[64], B_PUB[64];

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp r = kz_get(&N, "/api/v1/me", ADMIN);
    if (r.status != 200)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, ADMIN, "CERT-B", "KR", ORG_B);
    char id[40];
    kz_make_user(&N, ADMIN, ORG_A, "an@a.example", "analyst", id, ANALYST);
    kz_make_user(&N, ADMIN, ORG_A, "ro@a.example", "read_only", id, RO);
    kz_make_user(&N, ADMIN, ORG_B, "pub@b.example", "publisher", id, B_PUB);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

static char *slurp(const char *rel, size_t *n)
{
    char path[1024];
    if (!kz_test_data_path(rel, path, sizeof path))
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    if (p)
        p[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return p;
}

static json_t *obj_by_id(json_t *bundle, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(bundle, "objects"), i, o) {
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
            return o;
    }
    return NULL;
}

static void test_import_then_export_keeps_objects(void **state)
{
    (void)state;
    size_t n;
    char *body = slurp("stix/poisonivy.json", &n);
    assert_non_null(body);
    kz_resp r = kz_post(&N, "/api/v1/stix", ANALYST, body);
    KZ_EXPECT(r, 201);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "objects")), 155);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "stored")), 155);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "events_created")), 1);
    assert_true(json_integer_value(kz_resp_get(&r, "indicators")) > 25);
    assert_int_equal(kz_resp_count(&r, "warnings"), 1);
    char ev[40];
    snprintf(ev, sizeof ev, "%s", json_string_value(json_array_get(kz_resp_get(&r, "events"), 0)));
    kz_resp_free(&r);

    /* The event is the report, owned by the caller's org. */
    r = kz_getf(&N, ANALYST, "/api/v1/events/%s", ev);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "title"),
                        "Poison Ivy: Assessing Damage and Extracting Intelligence");
    assert_string_equal(kz_resp_str(&r, "creator_org"), ORG_A);
    kz_resp_free(&r);

    /* Export: every object back, deep-equal. */
    r = kz_getf(&N, ANALYST, "/api/v1/events/%s/stix", ev);
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.content_type, "application/json"));
    json_t *orig = json_loads(body, 0, NULL);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(orig, "objects"), i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        json_t *back = obj_by_id(r.json, id);
        if (!back || !json_equal(back, o))
            fail_msg("%s did not come back unchanged", id);
    }
    json_decref(orig);
    kz_resp_free(&r);

    /* Resent: duplicates, nothing new. */
    r = kz_post(&N, "/api/v1/stix", ANALYST, body);
    KZ_EXPECT(r, 201);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "stored")), 0);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "duplicates")), 155);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "events_created")), 0);
    kz_resp_free(&r);

    /* Another org does not see an unpublished event of A: 404. */
    r = kz_getf(&N, B_PUB, "/api/v1/events/%s/stix", ev);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    free(body);
}

static long event_count(const char *key)
{
    kz_resp r = kz_get(&N, "/api/v1/events?limit=1000", key);
    KZ_EXPECT(r, 200);
    long n = kz_resp_count(&r, "events");
    kz_resp_free(&r);
    return n;
}

static void test_invalid_bundle_is_422_and_stores_nothing(void **state)
{
    (void)state;
    long before = event_count(ADMIN);
    const char *bad =
        "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
        "\"objects\":[{\"type\":\"indicator\",\"spec_version\":\"2.1\","
        "\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
        "\"created\":\"2016-04-29T14:09:00.000Z\",\"modified\":\"2016-04-29T14:09:00.000Z\","
        "\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2016-04-29T14:09:00Z\"},"
        "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--1\"},"
        "{\"type\":\"campaign\",\"spec_version\":\"2.1\","
        "\"id\":\"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
        "\"created\":\"2016-04-29T14:09:00.000Z\",\"modified\":\"2016-04-28T14:09:00.000Z\","
        "\"name\":\"c\"}]}";
    kz_resp r = kz_post(&N, "/api/v1/stix", ANALYST, bad);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "objects");
    assert_string_equal(kz_resp_str(&r, "error.message"),
                        "2 of 3 objects are invalid; nothing was stored");
    json_t *errs = kz_resp_get(&r, "error.errors");
    assert_int_equal(json_array_size(errs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "field")),
                        "objects[1].id");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
                        "object malware--1: id: 'malware--1' is not an identifier (type--UUID, "
                        "RFC 4122)");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "message")),
                        "object campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: modified: "
                        "'2016-04-28T14:09:00.000Z' is earlier than created");
    kz_resp_free(&r);
    assert_int_equal(event_count(ADMIN), before);

    r = kz_post(&N, "/api/v1/stix", ANALYST, "{\"type\":\"bundle\",");
    KZ_EXPECT_ERR(r, 400, "invalid", "*");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/stix?tlp=purple", ANALYST, "{}");
    KZ_EXPECT_ERR(r, 400, "invalid", "tlp");
    kz_resp_free(&r);
}

static void test_who_may_import(void **state)
{
    (void)state;
    const char *one = "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c\","
                      "\"value\":\"198.51.100.1\"}";
    kz_resp r = kz_post(&N, "/api/v1/stix", RO, one);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/stix", NULL, one);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    kz_resp t = {0};
    kz_http(&N, "POST", "/api/v1/stix", ANALYST, "text/plain", one, strlen(one), &t);
    KZ_EXPECT_ERR(t, 415, "unsupported_media_type", "Content-Type");
    kz_resp_free(&t);
}

static void test_export_follows_the_acl(void **state)
{
    (void)state;
    /* A red event never leaves as a bundle, even for its own org. */
    kz_resp r = kz_post(&N, "/api/v1/events", ANALYST,
                        "{\"title\":\"Red\",\"tlp\":\"red\",\"indicators\":["
                        "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}]}");
    KZ_EXPECT(r, 201);
    char red[40];
    snprintf(red, sizeof red, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    r = kz_getf(&N, ANALYST, "/api/v1/events/%s/stix", red);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "tlp:red"));
    kz_resp_free(&r);

    /* A published TLP:CLEAR event for everyone, with an amber indicator
     * that names no recipients: org B gets the event without it. */
    r = kz_post(&N, "/api/v1/events", ANALYST,
                "{\"title\":\"Clear\",\"tlp\":\"clear\",\"distribution\":\"all\",\"indicators\":["
                "{\"type\":\"domain\",\"value\":\"example.com\"},"
                "{\"type\":\"ipv4\",\"value\":\"198.51.100.1\",\"tlp\":\"amber\"}]}");
    KZ_EXPECT(r, 201);
    char green[40];
    snprintf(green, sizeof green, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", green);
    r = kz_post(&N, path, ADMIN, "");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);

    r = kz_getf(&N, ANALYST, "/api/v1/events/%s/stix", green);
    KZ_EXPECT(r, 200);
    char rep_id[80];
    snprintf(rep_id, sizeof rep_id, "report--%s", green);
    assert_non_null(obj_by_id(r.json, rep_id));
    assert_non_null(obj_by_id(r.json, "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c"));
    assert_non_null(obj_by_id(r.json, "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"));
    kz_resp_free(&r);

    r = kz_getf(&N, B_PUB, "/api/v1/events/%s/stix", green);
    KZ_EXPECT(r, 200);
    assert_non_null(obj_by_id(r.json, rep_id));
    assert_non_null(obj_by_id(r.json, "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"));
    assert_null(obj_by_id(r.json, "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c"));
    kz_resp_free(&r);

    r = kz_get(&N, "/api/v1/events/not-a-uuid/stix", ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

static void test_cli_import_and_export(void **state)
{
    (void)state;
    char path[1024];
    assert_non_null(kz_test_data_path("stix/sighting-of-an-indicator.json", path, sizeof path));
    char out[4096];
    const char *imp[] = {"stix", "import", "--db", N.db, "--org", "CERT-B", "--tlp", "green",
                         path, NULL};
    assert_int_equal(kz_node_run(imp, out, sizeof out), 0);
    char ev[40];
    snprintf(ev, sizeof ev, "%.36s", out);
    assert_true(kz_uuid_valid(ev));
    const char *exp[] = {"stix", "export", "--db", N.db, "--event", ev, NULL};
    static char bundle[1 << 16];
    assert_int_equal(kz_node_run(exp, bundle, sizeof bundle), 0);
    json_t *b = json_loads(bundle, 0, NULL);
    assert_non_null(b);
    assert_non_null(obj_by_id(b, "sighting--8356e820-8080-4692-aa91-ecbe94006833"));
    assert_non_null(obj_by_id(b, "indicator--9299f726-ce06-492e-8472-2b52ccb53191"));
    json_decref(b);
    /* The imported event belongs to CERT-B and its indicator is searchable. */
    kz_resp r = kz_get(&N, "/api/v1/search?value=http://paypa1.banking.com", B_PUB);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);

    /* A bad file: exit 1, nothing imported. */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.json", N.dir);
    FILE *f = fopen(bad, "w");
    fputs("{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
          "\"objects\":[{\"type\":\"tool\",\"spec_version\":\"2.1\","
          "\"id\":\"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"}]}",
          f);
    fclose(f);
    const char *imp2[] = {"stix", "import", "--db", N.db, "--org", "CERT-B", bad, NULL};
    out[0] = '\0';
    assert_int_equal(kz_node_run(imp2, out, sizeof out), 1);
    assert_string_equal(out, "");
    const char *exp2[] = {"stix", "export", "--db", N.db, "--event",
                          "00000000-0000-4000-8000-000000000000", NULL};
    assert_int_equal(kz_node_run(exp2, out, sizeof out), 1);
}

/* A newer version of an indicator updates what the node made of it; a
 * revoked one takes it away (docs/stix.md, "Newer versions"). */
static void test_newer_versions_and_revocation(void **state)
{
    (void)state;
#define VIND(modified, value, extra)                                                               \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","                                             \
    "\"id\":\"indicator--4d1b4a3c-6e1f-4f0a-9b7e-2a9d3c5e7f01\",\"created\":\"2024-01-01T00:00:00.000Z\"," \
    "\"modified\":\"" modified "\",\"name\":\"c2\",\"pattern\":\"[ipv4-addr:value = '" value "']\","     \
    "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"" extra "}"
    kz_resp r = kz_post(&N, "/api/v1/stix", ANALYST, VIND("2024-01-01T00:00:00.000Z", "192.0.2.201", ""));
    KZ_EXPECT(r, 201);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "indicators")), 1);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "indicators_updated")), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.201", ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);

    /* v2: another address, the same kz indicator. */
    r = kz_post(&N, "/api/v1/stix", ANALYST, VIND("2024-02-01T00:00:00.000Z", "192.0.2.202", ""));
    KZ_EXPECT(r, 201);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "stored")), 1);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "indicators_updated")), 1);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "indicators_deleted")), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.201", ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.202", ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);

    /* v3 revoked: gone. */
    r = kz_post(&N, "/api/v1/stix", ANALYST,
                VIND("2024-03-01T00:00:00.000Z", "192.0.2.202", ",\"revoked\":true"));
    KZ_EXPECT(r, 201);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "indicators_deleted")), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.202", ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);
#undef VIND
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_then_export_keeps_objects),
        cmocka_unit_test(test_invalid_bundle_is_422_and_stores_nothing),
        cmocka_unit_test(test_who_may_import),
        cmocka_unit_test(test_export_follows_the_acl),
        cmocka_unit_test(test_cli_import_and_export),
        cmocka_unit_test(test_newer_versions_and_revocation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
