/* test_api_events.c — events, indicators and sightings over HTTP: creation
 * with inline indicators (all or nothing, every bad row reported), reading,
 * changing, publishing, deleting, adding indicator batches, the event list
 * with its filters and keyset pages, and every bad input with a read-back
 * proving nothing was stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40];
static char PUB[64], ANALYST[64], RO[64], B_PUB[64];

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
    kz_make_user(&N, ADMIN, ORG_A, "pub@a.example", "publisher", id, PUB);
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

static bool event_titled(const char *key, const char *title)
{
    kz_resp r = kz_get(&N, "/api/v1/events?limit=1000", key);
    KZ_EXPECT(r, 200);
    bool has = kz_resp_list_has(&r, "events", "title", title);
    kz_resp_free(&r);
    return has;
}

static json_t *find_ind(const kz_resp *r, const char *type)
{
    json_t *arr = kz_resp_get(r, "indicators"), *it;
    size_t i;
    json_array_foreach(arr, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "type")), type) == 0)
            return it;
    }
    return NULL;
}

static void test_create_normalises_and_stamps(void **state)
{
    (void)state;
    kz_resp r = kz_post(
        &N, "/api/v1/events", ANALYST,
        "{\"title\":\"Phishing wave\",\"description\":\"line 1\\nline 2\",\"threat_level\":2,"
        "\"tags\":[\"phishing\",\"tlp:green\"],\"creator_org\":\"00000000-0000-4000-8000-000000000000\","
        "\"indicators\":["
        "{\"type\":\"ip-dst\",\"value\":\"203.0.113.7\",\"comment\":\"C2\"},"
        "{\"type\":\"domain\",\"value\":\"Login-Gov[.]Example\"},"
        "{\"type\":\"url\",\"value\":\"hxxps://login-gov[.]example/owa\"},"
        "{\"type\":\"sha256\",\"value\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"},"
        "{\"type\":\"ipv6\",\"value\":\"2001:DB8:0:0:0:0:0:1\",\"to_ids\":false}]}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "tlp"), "green");
    assert_string_equal(kz_resp_str(&r, "pap"), "amber");
    assert_string_equal(kz_resp_str(&r, "distribution"), "org");
    assert_string_equal(kz_resp_str(&r, "creator_org"), ORG_A); /* not the body's */
    assert_true(json_is_false(kz_resp_get(&r, "published")));
    assert_int_equal(json_integer_value(kz_resp_get(&r, "threat_level")), 2);
    assert_string_equal(kz_resp_str(&r, "description"), "line 1\nline 2");
    assert_int_equal(kz_resp_count(&r, "indicators"), 5);
    json_t *tags = kz_resp_get(&r, "tags");
    bool has_tlp = false, has_phishing = false;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        has_tlp |= strcmp(json_string_value(t), "tlp:green") == 0;
        has_phishing |= strcmp(json_string_value(t), "phishing") == 0;
    }
    assert_true(has_tlp && has_phishing);
    assert_string_equal(json_string_value(json_object_get(find_ind(&r, "ipv4"), "value")),
                        "203.0.113.7");
    assert_string_equal(json_string_value(json_object_get(find_ind(&r, "domain"), "value")),
                        "login-gov.example");
    assert_string_equal(json_string_value(json_object_get(find_ind(&r, "url"), "value")),
                        "https://login-gov.example/owa");
    assert_string_equal(json_string_value(json_object_get(find_ind(&r, "sha256"), "value")),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(json_string_value(json_object_get(find_ind(&r, "ipv6"), "value")),
                        "2001:db8::1");
    assert_true(json_is_false(json_object_get(find_ind(&r, "ipv6"), "to_ids")));
    char id[40];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);

    r = kz_getf(&N, RO, "/api/v1/events/%s", id);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "indicators"), 5);
    assert_string_equal(kz_resp_str(&r, "indicators.0.event_id"), id);
    kz_resp_free(&r);
}

static void test_create_rejects_bad_events(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"description\":\"bad-e0\"}", 400, "invalid", "title"},
        {"{\"title\":[\"bad-e1\"]}", 400, "invalid", "title"},
        {"{\"title\":\"bad-e2\",\"severity\":1}", 400, "invalid", "severity"},
        {"{\"title\":\"bad-e3\",\"tlp\":\"purple\"}", 422, "invalid_value", "tlp"},
        {"{\"title\":\"bad-e4\",\"distribution\":\"everyone\"}", 422, "invalid_value",
         "distribution"},
        {"{\"title\":\"bad-e5\",\"threat_level\":9}", 422, "invalid_value", "threat_level"},
        {"{\"title\":\"bad-e6\",\"threat_level\":\"high\"}", 400, "invalid", "threat_level"},
        {"{\"title\":\"bad-e7\",\"indicators\":{\"type\":\"ipv4\"}}", 400, "invalid", "indicators"},
        {"{\"title\":\"bad-e8\",\"tlp\":\"red\",\"tags\":[\"tlp:green\"]}", 422, "invalid_value",
         "tlp"},
        {"{\"title\":\"bad-e9\",\"recipient_orgs\":[\"00000000-0000-4000-8000-000000000000\"]}", 422,
         "invalid_value", "recipient_orgs[0]"},
        {"{\"title\":\"bad-e10\",\"community_id\":\"00000000-0000-4000-8000-000000000000\"}", 422,
         "invalid_value", "community_id"},
        {"{\"title\":\"bad-e11\"} trailing", 400, "invalid", NULL},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_resp r = kz_post(&N, "/api/v1/events", ANALYST, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    for (int i = 0; i <= 11; i++) {
        char t[16];
        snprintf(t, sizeof t, "bad-e%d", i);
        assert_false(event_titled(ANALYST, t));
    }
    static const char bad_utf8[] = "{\"title\":\"bad-\xc3\x28\"}";
    kz_resp r;
    kz_http(&N, "POST", "/api/v1/events", ANALYST, "application/json", bad_utf8,
            strlen(bad_utf8), &r);
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    kz_resp_free(&r);
    static const char ok[] = "{\"title\":\"bad-ct\"}";
    kz_http(&N, "POST", "/api/v1/events", ANALYST, "application/x-www-form-urlencoded", ok,
            strlen(ok), &r);
    KZ_EXPECT_ERR(r, 415, "unsupported_media_type", "Content-Type");
    kz_resp_free(&r);
    assert_false(event_titled(ANALYST, "bad-ct"));
}

static void test_batch_with_bad_rows_stores_nothing_and_lists_each(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/events", ANALYST,
                        "{\"title\":\"half bad\",\"indicators\":["
                        "{\"type\":\"ipv4\",\"value\":\"192.0.2.10\"},"
                        "{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"},"
                        "{\"type\":\"domain\",\"value\":\"ok.example\"},"
                        "{\"type\":\"ipv5\",\"value\":\"1.2.3.4\"},"
                        "{\"type\":\"md5\",\"value\":\"not-a-hash\"}]}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "indicators");
    json_t *errs = kz_resp_get(&r, "error.errors");
    assert_int_equal(json_array_size(errs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 0), "field")),
                        "indicators[1].value");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
                           "300.1.2.3"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "field")),
                        "indicators[3].type");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 2), "field")),
                        "indicators[4].value");
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "3 of 5"));
    kz_resp_free(&r);
    assert_false(event_titled(ANALYST, "half bad"));
    r = kz_get(&N, "/api/v1/search?value=192.0.2.10", ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);

    /* An indicator looser than its event is a bad row too. */
    r = kz_post(&N, "/api/v1/events", ANALYST,
                "{\"title\":\"looser\",\"tlp\":\"amber\",\"indicators\":["
                "{\"type\":\"ipv4\",\"value\":\"192.0.2.11\",\"tlp\":\"clear\"}]}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "indicators");
    assert_string_equal(kz_resp_str(&r, "error.errors.0.field"), "indicators[0].tlp");
    kz_resp_free(&r);
    assert_false(event_titled(ANALYST, "looser"));
}

static void test_sql_and_odd_text_round_trip(void **state)
{
    (void)state;
    const char *title = "'; DELETE FROM events; -- \xe7\xb5\x86 \\ \"q\" %";
    json_t *b = json_pack("{s:s,s:[{s:s,s:s}]}", "title", title, "indicators", "type", "text",
                          "value", "1' OR '1'='1");
    char *text = json_dumps(b, 0);
    json_decref(b);
    kz_resp r = kz_post(&N, "/api/v1/events", ANALYST, text);
    free(text);
    KZ_EXPECT(r, 201);
    char id[40];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    r = kz_getf(&N, ANALYST, "/api/v1/events/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "title"), title);
    assert_string_equal(kz_resp_str(&r, "indicators.0.value"), "1' OR '1'='1");
    kz_resp_free(&r);
    assert_true(event_titled(ANALYST, "Phishing wave")); /* the table is intact */
    r = kz_get(&N, "/api/v1/search?value=1%27%20OR%20%271%27%3D%271", ANALYST);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);
}

static void make_event(const char *key, const char *body, char id[40])
{
    kz_resp r = kz_post(&N, "/api/v1/events", key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

static void test_get_missing_or_malformed_is_404(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/events/00000000-0000-4000-8000-000000000000", ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events/1%27%20OR%201=1", ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/indicators/zzz", ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

static void test_patch_event(void **state)
{
    (void)state;
    char id[40], path[128];
    make_event(ANALYST, "{\"title\":\"to patch\",\"tags\":[\"a\"]}", id);
    snprintf(path, sizeof path, "/api/v1/events/%s", id);
    kz_resp r = kz_get(&N, path, ANALYST);
    char modified[40];
    snprintf(modified, sizeof modified, "%s", kz_resp_str(&r, "modified"));
    kz_resp_free(&r);

    r = kz_patch(&N, path, RO, "{\"title\":\"by read_only\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"creator_org\":\"00000000-0000-4000-8000-000000000000\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "creator_org");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"indicators\":[]}");
    KZ_EXPECT_ERR(r, 400, "invalid", "indicators");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"tlp\":\"ultraviolet\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "tlp");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"title\":\"\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "title");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "not json");
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, path, ANALYST);
    assert_string_equal(kz_resp_str(&r, "title"), "to patch");
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber");
    assert_string_equal(kz_resp_str(&r, "modified"), modified);
    kz_resp_free(&r);

    r = kz_patch(&N, path, ANALYST, "{\"title\":\"patched\",\"tlp\":\"amber+strict\",\"analysis\":2}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "title"), "patched");
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber+strict");
    assert_int_equal(json_integer_value(kz_resp_get(&r, "analysis")), 2);
    assert_string_not_equal(kz_resp_str(&r, "modified"), modified);
    kz_resp_free(&r);
}

static void test_publish_and_delete(void **state)
{
    (void)state;
    char id[40], path[128];
    make_event(ANALYST, "{\"title\":\"to publish\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.50\"}]}",
               id);
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", id);
    kz_resp r = kz_post(&N, path, ANALYST, NULL);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, path, RO, NULL);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, ANALYST, "/api/v1/events/%s", id);
    assert_true(json_is_false(kz_resp_get(&r, "published")));
    kz_resp_free(&r);
    r = kz_post(&N, path, PUB, NULL);
    KZ_EXPECT(r, 200);
    assert_true(json_is_true(kz_resp_get(&r, "published")));
    assert_non_null(kz_resp_str(&r, "published_at"));
    char ind[40];
    snprintf(ind, sizeof ind, "%s", kz_resp_str(&r, "indicators.0.id"));
    kz_resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/events/%s", id);
    r = kz_delete(&N, path, RO);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, ANALYST);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_get(&N, path, ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, ANALYST, "/api/v1/indicators/%s", ind);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.50", ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);
}

static long indicator_count(const char *ev)
{
    kz_resp r = kz_getf(&N, ANALYST, "/api/v1/events/%s", ev);
    KZ_EXPECT(r, 200);
    long n = kz_resp_count(&r, "indicators");
    kz_resp_free(&r);
    return n;
}

static void test_add_indicator_batches(void **state)
{
    (void)state;
    char id[40], path[128];
    make_event(ANALYST, "{\"title\":\"batches\",\"tlp\":\"green\"}", id);
    snprintf(path, sizeof path, "/api/v1/events/%s/indicators", id);

    kz_resp r = kz_post(&N, path, ANALYST,
                        "[{\"type\":\"ipv4\",\"value\":\"198.51.100.1\"},"
                        "{\"type\":\"hostname\",\"value\":\"mx.bad.example\"}]");
    KZ_EXPECT(r, 201);
    assert_int_equal(kz_resp_count(&r, "indicators"), 2);
    assert_string_equal(kz_resp_str(&r, "indicators.0.event_id"), id);
    kz_resp_free(&r);
    r = kz_post(&N, path, ANALYST,
                "{\"indicators\":[{\"type\":\"cve\",\"value\":\"cve-2024-3400\"}]}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "indicators.0.value"), "CVE-2024-3400");
    kz_resp_free(&r);
    assert_int_equal(indicator_count(id), 3);

    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"[]", 400, "invalid", "indicators"},
        {"{\"items\":[]}", 400, "invalid", "items"},
        {"\"1.2.3.4\"", 400, "invalid", NULL},
        {"[{\"type\":\"ipv4\",\"value\":\"198.51.100.2\"},{\"type\":\"ipv4\",\"value\":\"x\"}]", 422,
         "invalid_value", "indicators"},
        {"[{\"type\":\"ipv4\",\"value\":\"198.51.100.3\",\"tlp\":\"clear\"}]", 422, "invalid_value",
         "indicators"},
        {"[{\"type\":\"ipv4\",\"value\":\"198.51.100.4\",\"distribution\":\"all\"}]", 422,
         "invalid_value", "indicators"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        r = kz_post(&N, path, ANALYST, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    assert_int_equal(indicator_count(id), 3);
    /* Each looser row is named. */
    r = kz_post(&N, path, ANALYST,
                "[{\"type\":\"ipv4\",\"value\":\"198.51.100.6\"},"
                "{\"type\":\"ipv4\",\"value\":\"198.51.100.7\",\"tlp\":\"clear\"},"
                "{\"type\":\"ipv4\",\"value\":\"198.51.100.8\",\"distribution\":\"all\"}]");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "indicators");
    assert_int_equal(kz_resp_count(&r, "error.errors"), 2);
    assert_string_equal(kz_resp_str(&r, "error.errors.0.field"), "indicators[1].tlp");
    assert_string_equal(kz_resp_str(&r, "error.errors.1.field"), "indicators[2].distribution");
    kz_resp_free(&r);
    assert_int_equal(indicator_count(id), 3);
    r = kz_post(&N, path, RO, "[{\"type\":\"ipv4\",\"value\":\"198.51.100.5\"}]");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, path, B_PUB, "[{\"type\":\"ipv4\",\"value\":\"198.51.100.5\"}]");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    assert_int_equal(indicator_count(id), 3);
}

static void test_indicator_get_patch_delete(void **state)
{
    (void)state;
    char ev[40];
    make_event(ANALYST,
               "{\"title\":\"ind crud\",\"tlp\":\"green\",\"indicators\":[{\"type\":\"domain\","
               "\"value\":\"crud.example\"}]}",
               ev);
    kz_resp r = kz_getf(&N, ANALYST, "/api/v1/events/%s", ev);
    char id[40], path[128];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "indicators.0.id"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/indicators/%s", id);

    r = kz_get(&N, path, RO);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "value"), "crud.example");
    assert_true(json_is_null(kz_resp_get(&r, "tlp")));
    kz_resp_free(&r);

    r = kz_patch(&N, path, RO, "{\"comment\":\"ro\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"value\":\"not a domain!\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "value");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"tlp\":\"clear\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "tlp");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"score\":5}");
    KZ_EXPECT_ERR(r, 400, "invalid", "score");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ANALYST, "{\"to_ids\":\"yes\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "to_ids");
    kz_resp_free(&r);
    r = kz_get(&N, path, RO);
    assert_string_equal(kz_resp_str(&r, "value"), "crud.example");
    assert_true(json_is_true(kz_resp_get(&r, "to_ids")));
    assert_true(json_is_null(kz_resp_get(&r, "tlp")));
    kz_resp_free(&r);

    r = kz_patch(&N, path, ANALYST,
                 "{\"to_ids\":false,\"comment\":\"sinkholed\",\"tlp\":\"amber+strict\"}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_false(kz_resp_get(&r, "to_ids")));
    assert_string_equal(kz_resp_str(&r, "comment"), "sinkholed");
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber+strict");
    kz_resp_free(&r);
    /* Stricter than its event: B, in no community with A, never saw it. */
    r = kz_patch(&N, path, ANALYST, "{\"tlp\":\"red\"}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&N, path, RO); /* TLP:RED: only the event's creator user */
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, RO, "/api/v1/events/%s", ev);
    assert_int_equal(kz_resp_count(&r, "indicators"), 0);
    kz_resp_free(&r);
    /* null: back to the event's TLP, visible again. */
    r = kz_patch(&N, path, ANALYST, "{\"tlp\":null}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_null(kz_resp_get(&r, "tlp")));
    kz_resp_free(&r);
    r = kz_get(&N, path, RO);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);

    r = kz_patch(&N, path, ANALYST, "{\"tlp\":null}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_null(kz_resp_get(&r, "tlp")));
    kz_resp_free(&r);
    r = kz_delete(&N, path, RO);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, ANALYST);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_get(&N, path, ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    assert_int_equal(indicator_count(ev), 0);
}

static void test_sightings(void **state)
{
    (void)state;
    char ev[40];
    make_event(ANALYST,
               "{\"title\":\"sighted\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.77\"}]}",
               ev);
    kz_resp r = kz_getf(&N, ANALYST, "/api/v1/events/%s", ev);
    char ind[40], path[160];
    snprintf(ind, sizeof ind, "%s", kz_resp_str(&r, "indicators.0.id"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/indicators/%s/sightings", ind);

    r = kz_post(&N, path, RO, "{}");
    KZ_EXPECT(r, 201);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "count")), 1);
    assert_string_equal(kz_resp_str(&r, "type"), "seen");
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_A);
    assert_string_equal(kz_resp_str(&r, "indicator_id"), ind);
    assert_non_null(kz_resp_str(&r, "time"));
    kz_resp_free(&r);
    char body[256];
    snprintf(body, sizeof body,
             "{\"indicator_id\":\"%s\",\"count\":12,\"type\":\"false_positive\",\"source\":\"ids\","
             "\"time\":\"2026-01-02T03:04:05Z\",\"org_id\":\"%s\"}",
             ind, ORG_B);
    r = kz_post(&N, path, ANALYST, body);
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_A); /* never the body's */
    assert_string_equal(kz_resp_str(&r, "time"), "2026-01-02T03:04:05.000000Z");
    kz_resp_free(&r);

    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"count\":0}", 422, "invalid_value", "count"},
        {"{\"count\":\"many\"}", 400, "invalid", "count"},
        {"{\"type\":\"maybe\"}", 422, "invalid_value", "type"},
        {"{\"time\":\"noon\"}", 422, "invalid_value", "time"},
        {"{\"indicator_id\":\"00000000-0000-4000-8000-000000000000\"}", 422, "invalid_value",
         "indicator_id"},
        {"{\"witness\":\"bob\"}", 400, "invalid", "witness"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        r = kz_post(&N, path, ANALYST, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    r = kz_get(&N, path, RO);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "sightings"), 2);
    kz_resp_free(&r);
    r = kz_get(&N, path, B_PUB); /* unpublished: B cannot see the indicator */
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/indicators/00000000-0000-4000-8000-000000000000/sightings", RO);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* ---- list ---------------------------------------------------------------- */

static void test_list_pages_with_cursor(void **state)
{
    (void)state;
    char ids[7][40];
    for (int i = 0; i < 7; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"title\":\"page %d\",\"tags\":[\"page-test\"]}", i);
        make_event(ANALYST, body, ids[i]);
    }
    char seen[7][40];
    int n_seen = 0, pages = 0;
    char cursor[256] = "";
    for (;;) {
        kz_resp r = cursor[0] ? kz_getf(&N, RO, "/api/v1/events?tag=page-test&limit=3&cursor=%s", cursor)
                              : kz_get(&N, "/api/v1/events?tag=page-test&limit=3", RO);
        KZ_EXPECT(r, 200);
        pages++;
        json_t *arr = kz_resp_get(&r, "events"), *it;
        size_t i;
        assert_true(json_array_size(arr) <= 3);
        json_array_foreach(arr, i, it) {
            const char *id = json_string_value(json_object_get(it, "id"));
            for (int k = 0; k < n_seen; k++)
                assert_string_not_equal(seen[k], id);
            assert_true(n_seen < 7);
            snprintf(seen[n_seen++], 40, "%s", id);
            assert_null(json_object_get(it, "indicators")); /* lists carry no indicators */
        }
        json_t *next = kz_resp_get(&r, "next_cursor");
        assert_non_null(next);
        if (json_is_null(next)) {
            kz_resp_free(&r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        kz_resp_free(&r);
        assert_true(pages < 10);
    }
    assert_int_equal(n_seen, 7);
    assert_true(pages >= 3);
    /* Newest first. */
    assert_string_equal(seen[0], ids[6]);
    assert_string_equal(seen[6], ids[0]);
}

static void test_list_filters_and_bad_parameters(void **state)
{
    (void)state;
    char ev[40], path[128];
    make_event(ANALYST, "{\"title\":\"filter me\",\"tags\":[\"filter-test\"]}", ev);
    kz_resp r = kz_get(&N, "/api/v1/events?tag=filter-test&published=true", RO);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "events"), 0);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    r = kz_post(&N, path, PUB, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events?tag=filter-test&published=true", RO);
    assert_int_equal(kz_resp_count(&r, "events"), 1);
    kz_resp_free(&r);
    r = kz_getf(&N, RO, "/api/v1/events?tag=filter-test&org=%s", ORG_B);
    assert_int_equal(kz_resp_count(&r, "events"), 0);
    kz_resp_free(&r);
    r = kz_getf(&N, RO, "/api/v1/events?tag=filter-test&org=%s", ORG_A);
    assert_int_equal(kz_resp_count(&r, "events"), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events?tag=filter-test&since=2999-01-01", RO);
    assert_int_equal(kz_resp_count(&r, "events"), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events?tag=filter-test&until=2000-01-01T00:00:00Z", RO);
    assert_int_equal(kz_resp_count(&r, "events"), 0);
    kz_resp_free(&r);

    static const struct {
        const char *q, *field;
    } bad[] = {
        {"limit=0", "limit"},         {"limit=1001", "limit"},
        {"limit=ten", "limit"},       {"limit=-5", "limit"},
        {"published=maybe", "published"}, {"since=yesterday", "since"},
        {"until=2026-13-40", "until"}, {"org=not-a-uuid", "org"},
        {"cursor=garbage!!", "cursor"}, {"cursor=czEuMTIz", "cursor"}, /* a search cursor */
        {"colour=red", "colour"},     {"tag=", "tag"},
        {"tag=a&tag=b", "tag"},       {"tag=%ff%fe", "tag"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        r = kz_getf(&N, RO, "/api/v1/events?%s", bad[i].q);
        print_message("case %zu: %s\n", i, bad[i].q);
        KZ_EXPECT_ERR(r, 400, "invalid", bad[i].field);
        kz_resp_free(&r);
    }
}

static void test_list_fills_pages_past_hidden_rows(void **state)
{
    (void)state;
    /* A's three events are older than twenty of B's that A cannot see; a
     * page of three for A must still find A's three. */
    char mine[3][40], theirs[40];
    for (int i = 0; i < 3; i++)
        make_event(ANALYST, "{\"title\":\"mine\",\"tags\":[\"fill-test\"]}", mine[i]);
    for (int i = 0; i < 20; i++)
        make_event(B_PUB, "{\"title\":\"theirs\",\"tags\":[\"fill-test\"]}", theirs);
    kz_resp r = kz_get(&N, "/api/v1/events?tag=fill-test&limit=3", RO);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "events"), 3);
    for (int i = 0; i < 3; i++)
        assert_true(kz_resp_list_has(&r, "events", "id", mine[i]));
    assert_false(kz_resp_list_has(&r, "events", "title", "theirs"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events?tag=fill-test&limit=100", B_PUB);
    assert_int_equal(kz_resp_count(&r, "events"), 20);
    assert_true(json_is_null(kz_resp_get(&r, "next_cursor")));
    kz_resp_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_normalises_and_stamps),
        cmocka_unit_test(test_create_rejects_bad_events),
        cmocka_unit_test(test_batch_with_bad_rows_stores_nothing_and_lists_each),
        cmocka_unit_test(test_sql_and_odd_text_round_trip),
        cmocka_unit_test(test_get_missing_or_malformed_is_404),
        cmocka_unit_test(test_patch_event),
        cmocka_unit_test(test_publish_and_delete),
        cmocka_unit_test(test_add_indicator_batches),
        cmocka_unit_test(test_indicator_get_patch_delete),
        cmocka_unit_test(test_sightings),
        cmocka_unit_test(test_list_pages_with_cursor),
        cmocka_unit_test(test_list_filters_and_bad_parameters),
        cmocka_unit_test(test_list_fills_pages_past_hidden_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
