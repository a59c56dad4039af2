/* test_api_search.c — GET /api/v1/search over HTTP: values normalised like
 * indicators and matched by meaning (an IP finds the CIDRs holding it, a CIDR
 * the addresses inside, a domain its subdomains and URLs), every filter,
 * keyset pages that neither repeat nor skip, and every bad parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40];
static char A_PUB[64], B_PUB[64], B_RO[64];
static char EV_A[40], EV_B[40];

static void make_event(const char *key, const char *body, char id[40])
{
    kz_resp r = kz_post(&N, "/api/v1/events", key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

static void publish(const char *key, const char *ev)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    kz_resp r = kz_post(&N, path, key, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
}

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
    kz_make_org(&N, ADMIN, "CERT-B", "AU", ORG_B);
    char id[40];
    kz_make_user(&N, ADMIN, ORG_A, "pub@a.example", "publisher", id, A_PUB);
    kz_make_user(&N, ADMIN, ORG_B, "pub@b.example", "publisher", id, B_PUB);
    kz_make_user(&N, ADMIN, ORG_B, "ro@b.example", "read_only", id, B_RO);
    /* A: TLP:CLEAR, distribution all, published: everyone sees it. */
    make_event(A_PUB,
               "{\"title\":\"A clear\",\"tlp\":\"clear\",\"distribution\":\"all\",\"tags\":[\"campaign-x\"],"
               "\"indicators\":["
               "{\"type\":\"ipv4\",\"value\":\"203.0.113.7\"},"
               "{\"type\":\"cidr\",\"value\":\"203.0.113.0/24\"},"
               "{\"type\":\"cidr\",\"value\":\"203.0.0.0/16\",\"to_ids\":false},"
               "{\"type\":\"ipv4\",\"value\":\"203.0.114.1\"},"
               "{\"type\":\"domain\",\"value\":\"evil.example\"},"
               "{\"type\":\"hostname\",\"value\":\"mail.evil.example\"},"
               "{\"type\":\"url\",\"value\":\"http://cdn.evil.example/payload.exe\"},"
               "{\"type\":\"domain\",\"value\":\"notevil.example\"},"
               "{\"type\":\"ipv6\",\"value\":\"2001:db8::7\"},"
               "{\"type\":\"md5\",\"value\":\"d41d8cd98f00b204e9800998ecf8427e\",\"tags\":[\"hash-tag\"]},"
               "{\"type\":\"mutex\",\"value\":\"Global\\\\evil-mutex\"}]}",
               EV_A);
    publish(A_PUB, EV_A);
    /* B: its own org only, unpublished. */
    make_event(B_PUB,
               "{\"title\":\"B private\",\"tlp\":\"amber\","
               "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"203.0.113.7\"}]}",
               EV_B);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* The sorted values of the results, joined with spaces. */
static void values(const kz_resp *r, char *out, size_t n)
{
    json_t *arr = kz_resp_get(r, "results"), *it;
    const char *v[64];
    size_t k = 0, i;
    json_array_foreach(arr, i, it) {
        if (k < 64)
            v[k++] = json_string_value(json_object_get(it, "value"));
    }
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++)
            if (strcmp(v[b], v[a]) < 0) {
                const char *t = v[a];
                v[a] = v[b];
                v[b] = t;
            }
    out[0] = 0;
    size_t len = 0;
    for (size_t a = 0; a < k; a++)
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", a ? " " : "", v[a]);
}

static void expect_values(const char *key, const char *query, const char *want)
{
    kz_resp r = kz_getf(&N, key, "/api/v1/search?%s", query);
    print_message("query %s\n", query);
    KZ_EXPECT(r, 200);
    char got[2048];
    values(&r, got, sizeof got);
    assert_string_equal(got, want);
    kz_resp_free(&r);
}

static void test_ip_finds_itself_and_containing_cidrs(void **state)
{
    (void)state;
    expect_values(A_PUB, "value=203.0.113.7", "203.0.0.0/16 203.0.113.0/24 203.0.113.7");
    /* Defanged and padded text is normalised first. */
    expect_values(A_PUB, "value=203%5B.%5D0.113.7", "203.0.0.0/16 203.0.113.0/24 203.0.113.7");
    expect_values(A_PUB, "value=203.0.114.1", "203.0.0.0/16 203.0.114.1");
    expect_values(A_PUB, "value=192.0.2.1", "");
    expect_values(A_PUB, "value=2001:DB8:0::7", "2001:db8::7");
}

static void test_cidr_finds_what_is_inside(void **state)
{
    (void)state;
    expect_values(A_PUB, "value=203.0.113.0/24", "203.0.0.0/16 203.0.113.0/24 203.0.113.7");
    expect_values(A_PUB, "value=203.0.0.0%2F16",
                  "203.0.0.0/16 203.0.113.0/24 203.0.113.7 203.0.114.1");
}

static void test_domain_finds_subdomains_and_urls(void **state)
{
    (void)state;
    expect_values(A_PUB, "value=evil.example",
                  "evil.example http://cdn.evil.example/payload.exe mail.evil.example");
    expect_values(A_PUB, "value=EVIL%5B.%5DEXAMPLE",
                  "evil.example http://cdn.evil.example/payload.exe mail.evil.example");
    expect_values(A_PUB, "value=mail.evil.example", "mail.evil.example");
    expect_values(A_PUB, "value=notevil.example", "notevil.example");
}

static void test_exact_values_and_types(void **state)
{
    (void)state;
    expect_values(A_PUB, "value=D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e");
    expect_values(A_PUB, "value=Global%5Cevil-mutex&type=mutex", "Global\\evil-mutex");
    expect_values(A_PUB, "value=Global%5Cevil-mutex", "Global\\evil-mutex");
    /* A type narrows address and domain searches too (MISP's ip-dst is ipv4
     * here): only that type, not the networks around or the URLs on it. */
    expect_values(A_PUB, "value=203.0.113.7&type=ip-dst", "203.0.113.7");
    expect_values(A_PUB, "value=203.0.113.7&type=ipv4", "203.0.113.7");
    expect_values(A_PUB, "value=203.0.113.7&type=cidr", "203.0.0.0/16 203.0.113.0/24");
    expect_values(A_PUB, "value=evil.example&type=domain", "evil.example");
    expect_values(A_PUB, "value=evil.example&type=hostname", "mail.evil.example");
    expect_values(A_PUB, "type=cidr", "203.0.0.0/16 203.0.113.0/24");
    expect_values(A_PUB, "type=md5", "d41d8cd98f00b204e9800998ecf8427e");
}

static void test_results_carry_event_summary(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/search?value=notevil.example", B_RO);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    assert_string_equal(kz_resp_str(&r, "results.0.event.id"), EV_A);
    assert_string_equal(kz_resp_str(&r, "results.0.event.title"), "A clear");
    assert_string_equal(kz_resp_str(&r, "results.0.event.tlp"), "clear");
    assert_string_equal(kz_resp_str(&r, "results.0.event.creator_org"), ORG_A);
    assert_string_equal(kz_resp_str(&r, "results.0.type"), "domain");
    assert_true(json_is_null(kz_resp_get(&r, "next_cursor")));
    kz_resp_free(&r);
}

static void test_acl_filters_hits(void **state)
{
    (void)state;
    /* B's private copy of 203.0.113.7 is B's alone. */
    kz_resp r = kz_get(&N, "/api/v1/search?value=203.0.113.7&type=ipv4", B_RO);
    KZ_EXPECT(r, 200);
    json_t *arr = kz_resp_get(&r, "results"), *it;
    size_t i, from_b = 0;
    json_array_foreach(arr, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "event_id")), EV_B) == 0)
            from_b++;
    }
    assert_int_equal(from_b, 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&type=ipv4", A_PUB);
    arr = kz_resp_get(&r, "results");
    json_array_foreach(arr, i, it) {
        assert_string_not_equal(json_string_value(json_object_get(it, "event_id")), EV_B);
    }
    assert_int_equal(kz_resp_count(&r, "results"), 1); /* A's address; type=ipv4 leaves out the CIDRs */
    kz_resp_free(&r);
}

static void test_filters(void **state)
{
    (void)state;
    expect_values(A_PUB, "value=203.0.113.7&to_ids=false", "203.0.0.0/16");
    expect_values(A_PUB, "tag=hash-tag", "d41d8cd98f00b204e9800998ecf8427e");
    kz_resp r = kz_get(&N, "/api/v1/search?tag=campaign-x&limit=1000", A_PUB);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "results"), 11); /* the event's tag covers its indicators */
    kz_resp_free(&r);
    r = kz_getf(&N, B_RO, "/api/v1/search?value=203.0.113.7&org=%s", ORG_B);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    assert_string_equal(kz_resp_str(&r, "results.0.event_id"), EV_B);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&country=au", B_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&country=TH", B_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 3);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&tlp=amber", B_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&published=false", B_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&since=2999-01-01", B_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=203.0.113.7&until=2000-01-01", B_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);
}

static void test_pages_neither_repeat_nor_skip(void **state)
{
    (void)state;
    char ev[40];
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"title\":\"many\",\"tlp\":\"clear\",\"indicators\":[");
    for (int i = 0; i < 25; i++)
        kz_buf_printf(&b, "%s{\"type\":\"ipv4\",\"value\":\"10.9.0.%d\"}", i ? "," : "", i + 1);
    kz_buf_puts(&b, "]}");
    make_event(A_PUB, b.p, ev);
    kz_buf_free(&b);

    char seen[30][48];
    int n = 0, pages = 0;
    char cursor[128] = "";
    for (;;) {
        kz_resp r = cursor[0] ? kz_getf(&N, A_PUB, "/api/v1/search?value=10.9.0.0/24&limit=10&cursor=%s", cursor)
                              : kz_get(&N, "/api/v1/search?value=10.9.0.0/24&limit=10", A_PUB);
        KZ_EXPECT(r, 200);
        pages++;
        json_t *arr = kz_resp_get(&r, "results"), *it;
        size_t i;
        assert_true(json_array_size(arr) <= 10);
        json_array_foreach(arr, i, it) {
            const char *v = json_string_value(json_object_get(it, "value"));
            for (int k = 0; k < n; k++)
                assert_string_not_equal(seen[k], v);
            assert_true(n < 30);
            snprintf(seen[n++], 48, "%s", v);
        }
        json_t *next = kz_resp_get(&r, "next_cursor");
        if (json_is_null(next)) {
            kz_resp_free(&r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        kz_resp_free(&r);
        /* Rows added between pages do not disturb the walk. */
        if (pages == 1) {
            char path[128];
            snprintf(path, sizeof path, "/api/v1/events/%s/indicators", ev);
            kz_resp a = kz_post(&N, path, A_PUB, "[{\"type\":\"ipv4\",\"value\":\"10.9.0.200\"}]");
            KZ_EXPECT(a, 201);
            kz_resp_free(&a);
        }
        assert_true(pages < 10);
    }
    assert_int_equal(n, 26);
    assert_int_equal(pages, 3);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    static const struct {
        const char *q;
        long status;
        const char *code, *field;
    } bad[] = {
        {"value=300.1.2.3&type=ipv4", 422, "invalid_value", "value"},
        {"value=1.2.3.4&type=ipv5", 400, "invalid", "type"},
        {"type=nonsense", 400, "invalid", "type"},
        {"value=1.2.3.4/33&type=cidr", 422, "invalid_value", "value"},
        {"tlp=purple", 400, "invalid", "tlp"},
        {"country=XX", 400, "invalid", "country"},
        {"country=Thailand", 400, "invalid", "country"},
        {"org=12345", 400, "invalid", "org"},
        {"since=last-week", 400, "invalid", "since"},
        {"until=2026-02-30", 400, "invalid", "until"},
        {"since=2026-02-01&until=2026-01-01", 400, "invalid", "until"},
        {"published=yes", 400, "invalid", "published"},
        {"to_ids=2", 400, "invalid", "to_ids"},
        {"limit=0", 400, "invalid", "limit"},
        {"limit=1001", 400, "invalid", "limit"},
        {"limit=", 400, "invalid", "limit"},
        {"cursor=%%%", 400, "invalid", "cursor"},
        {"cursor=bm90IG91cnM", 400, "invalid", "cursor"},
        {"cursor=ZTEuMTIzLjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA", 400, "invalid",
         "cursor"}, /* an event-list cursor */
        {"value=%ff", 400, "invalid", "value"},
        {"value=a%00b", 400, "invalid", "value"},
        {"q=1.2.3.4", 400, "invalid", "q"},
        {"value=1.2.3.4&value=5.6.7.8", 400, "invalid", "value"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        kz_resp r = kz_getf(&N, A_PUB, "/api/v1/search?%s", bad[i].q);
        print_message("case %zu: %s\n", i, bad[i].q);
        KZ_EXPECT_ERR(r, bad[i].status, bad[i].code, bad[i].field);
        kz_resp_free(&r);
    }
    kz_resp r = kz_get(&N, "/api/v1/search?value=1.2.3.4", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_finds_itself_and_containing_cidrs),
        cmocka_unit_test(test_cidr_finds_what_is_inside),
        cmocka_unit_test(test_domain_finds_subdomains_and_urls),
        cmocka_unit_test(test_exact_values_and_types),
        cmocka_unit_test(test_results_carry_event_summary),
        cmocka_unit_test(test_acl_filters_hits),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_pages_neither_repeat_nor_skip),
        cmocka_unit_test(test_bad_parameters),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
