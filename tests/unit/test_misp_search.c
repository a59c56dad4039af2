/* test_misp_search.c — restSearch's value semantics below HTTP: MISP's LIKE
 * patterns (misp_api_value.c), what "a value of this attribute" means for
 * composite values, and the store's pattern and part search
 * (misp_value_search.c) on rows written through the MISP importer: each
 * plan (value range, name pass, domain range, scan, parts) finds exactly
 * the rows the pattern matches, in row order, paged.
 */
#include "kz_test.h"

#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "http/misp_api_int.h"
#include "store/store.h"

static void like_semantics(void **state)
{
    (void)state;
    assert_true(kz_mf_like("198.51.100.%", "198.51.100.7"));
    assert_true(kz_mf_like("198.51.100.%", "198.51.100."));
    assert_false(kz_mf_like("198.51.100.%", "198.51.10.7"));
    assert_true(kz_mf_like("%.example.com", "a.b.example.com"));
    assert_false(kz_mf_like("%.example.com", "example.com"));
    assert_true(kz_mf_like("%evil%", "http://EVIL.example/x"));
    assert_true(kz_mf_like("%EVIL%", "evil"));
    assert_true(kz_mf_like("%", ""));
    assert_true(kz_mf_like("%%", "x"));
    assert_false(kz_mf_like("a%", ""));
    assert_true(kz_mf_like("a_c%", "abc"));
    assert_false(kz_mf_like("a_c%", "ac"));
    /* '_' is one character, also a multi-byte one */
    assert_true(kz_mf_like("caf_%", "caf\xc3\xa9"));
    assert_false(kz_mf_like("caf_x%", "caf\xc3\xa9"));
    /* backtracking: the last '%' is retried further along */
    assert_true(kz_mf_like("%ab%ab", "xabyabzab"));
    assert_false(kz_mf_like("%ab%abq", "xabyabzab"));
    assert_true(kz_mf_like("%a%b%c%", "zzazzbzzcz"));
    /* no blow-up on a hostile pattern */
    char v[4001], p[64];
    memset(v, 'a', 4000);
    v[4000] = 0;
    strcpy(p, "%a%a%a%a%a%a%a%a%a%a%b");
    assert_false(kz_mf_like(p, v));
    assert_true(kz_mf_is_pattern("a%"));
    assert_false(kz_mf_is_pattern("a_b"));
}

static void composite_parts(void **state)
{
    (void)state;
    const char *sha = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    char value[128];
    snprintf(value, sizeof value, "evil.exe|%s", sha);
    kz_indicator fh = {.type = KZ_IOC_FILENAME_HASH, .value = value};
    kz_misp_attr ma = {.type = "filename|sha256", .object = -1, .distribution = -1};
    assert_true(kz_mf_value_is("evil.exe", &fh, &ma));
    assert_true(kz_mf_value_is(sha, &fh, &ma));
    char upper[65];
    for (int i = 0; i < 64; i++)
        upper[i] = (char)(sha[i] >= 'a' ? sha[i] - 32 : sha[i]);
    upper[64] = 0;
    assert_true(kz_mf_value_is(upper, &fh, &ma));
    assert_false(kz_mf_value_is("evil", &fh, &ma));
    assert_false(kz_mf_value_is("evil.ex", &fh, &ma));
    assert_true(kz_mf_value_is("evil%", &fh, &ma));
    assert_true(kz_mf_value_is(value, &fh, &ma));
    /* ip|port is stored "1.2.3.4:80" and is "1.2.3.4|80" to MISP */
    kz_indicator ipp = {.type = KZ_IOC_IP_PORT, .value = "203.0.113.9:8080"};
    kz_misp_attr mp = {.type = "ip-dst|port", .object = -1, .distribution = -1};
    assert_true(kz_mf_value_is("203.0.113.9", &ipp, &mp));
    assert_true(kz_mf_value_is("203.0.113.9|8080", &ipp, &mp));
    assert_false(kz_mf_value_is("203.0.113.90", &ipp, &mp));
    /* a plain value has no parts */
    kz_indicator d = {.type = KZ_IOC_DOMAIN, .value = "evil.example"};
    kz_misp_attr md = {.type = "domain", .object = -1, .distribution = -1};
    assert_true(kz_mf_value_is("EVIL.example", &d, &md));
    assert_false(kz_mf_value_is("evil", &d, &md));
}

/* ---- the store's plans ----------------------------------------------------------- */

typedef struct fx {
    kz_store *st;
    kz_arena a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    kz_err err;
    if (!f || kz_store_open(":memory:", &f->st, &err) != 0) {
        free(f);
        return -1;
    }
    kz_arena_init(&f->a);
    const char *doc =
        "{\"Event\":{\"uuid\":\"99999999-2222-4333-8444-555555555555\",\"info\":\"x\","
        "\"distribution\":\"3\",\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\","
        "\"name\":\"CIRCL\"},\"Attribute\":["
        "{\"type\":\"ip-dst\",\"value\":\"198.51.100.7\"},"
        "{\"type\":\"ip-src\",\"value\":\"198.51.100.0/24\"},"
        "{\"type\":\"domain\",\"value\":\"evil.example\"},"
        "{\"type\":\"hostname\",\"value\":\"c2.evil.example\"},"
        "{\"type\":\"url\",\"value\":\"http://evil.example/Gate.php\"},"
        "{\"type\":\"email-src\",\"value\":\"boss@evil.example\"},"
        "{\"type\":\"filename|sha256\",\"value\":\"evil.exe|"
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\"},"
        "{\"type\":\"ip-dst|port\",\"value\":\"203.0.113.9|8080\"},"
        "{\"type\":\"domain|ip\",\"value\":\"bad.example|203.0.113.10\"},"
        "{\"type\":\"regkey|value\",\"value\":\"HKLM\\\\Run|evil.exe\"},"
        "{\"type\":\"text\",\"value\":\"see evil.example for more\"}]}}";
    json_t *j;
    kz_misp_event me;
    kz_misp_put_opts o = {.create_orgs = true};
    if (kz_json_load(doc, strlen(doc), &j, &err) != 0 ||
        kz_misp_event_parse(j, NULL, &f->a, &me, &err) != 0 ||
        kz_store_misp_event_put(f->st, &me, &o, NULL, &err) != 0) {
        print_error("setup: %s\n", err.msg);
        return -1;
    }
    json_decref(j);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kz_store_close(f->st);
    kz_arena_free(&f->a);
    free(f);
    return 0;
}

static bool g_names_only;

/* The values found, in order, joined by spaces. */
static const char *found(fx *f, const char *value, bool parts, size_t limit, int64_t after)
{
    static char out[2048];
    kz_misp_value_query q = {.value = value, .parts = parts, .limit = limit, .after_seq = after,
                             .names_only = g_names_only};
    kz_search_hit *h;
    size_t n;
    kz_err err = {0};
    if (kz_store_misp_value_search(f->st, &q, &f->a, &h, &n, &err) != 0)
        fail_msg("search '%s': %s", value, err.msg);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, h[i].ind.value);
        assert_string_equal(h[i].event.id, "99999999-2222-4333-8444-555555555555");
        if (i)
            assert_true(h[i].seq > h[i - 1].seq);
    }
    return out;
}

static void store_patterns(void **state)
{
    fx *f = *state;
    /* a literal start: the value index */
    assert_string_equal(found(f, "198.51.100.%", false, 0, 0), "198.51.100.7 198.51.100.0/24");
    /* the start in another case: looked up in lower case too */
    assert_string_equal(found(f, "HTTP://evil.example/%", false, 0, 0),
                        "http://evil.example/Gate.php");
    /* a start that may begin a name: the names too */
    assert_string_equal(found(f, "evil%", false, 0, 0),
                        "evil.example evil.exe|"
                        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8");
    /* a domain at the end: a scan (a path or a file name may end so) ... */
    assert_string_equal(found(f, "%.evil.example", false, 0, 0), "c2.evil.example");
    assert_string_equal(found(f, "%evil.example", false, 0, 0),
                        "evil.example c2.evil.example boss@evil.example");
    assert_string_equal(found(f, "%.php", false, 0, 0), "http://evil.example/Gate.php");
    /* ... or, when only names are wanted, the domain index: the same names */
    g_names_only = true;
    assert_string_equal(found(f, "%.evil.example", false, 0, 0), "c2.evil.example");
    assert_string_equal(found(f, "%evil.example", false, 0, 0),
                        "evil.example c2.evil.example boss@evil.example");
    assert_string_equal(found(f, "%.EVIL.EXAMPLE", false, 0, 0), "c2.evil.example");
    g_names_only = false;
    /* neither: a scan, paged in row order */
    assert_string_equal(found(f, "%evil%", false, 0, 0),
                        "evil.example c2.evil.example http://evil.example/Gate.php "
                        "boss@evil.example evil.exe|"
                        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 "
                        "HKLM\\Run|evil.exe see evil.example for more");
    assert_string_equal(found(f, "%evil%", false, 2, 0), "evil.example c2.evil.example");
    kz_misp_value_query q = {.value = "%evil%", .limit = 2};
    kz_search_hit *h;
    size_t n;
    kz_err err = {0};
    assert_int_equal(kz_store_misp_value_search(f->st, &q, &f->a, &h, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(found(f, "%evil%", false, 2, h[1].seq),
                        "http://evil.example/Gate.php boss@evil.example");
    /* case and '_' */
    assert_string_equal(found(f, "%GATE.PHP", false, 0, 0), "http://evil.example/Gate.php");
    /* (at this level '_' is always one character; restSearch asks only for
     * values with a '%') */
    assert_string_equal(found(f, "198.51.100._", false, 0, 0), "198.51.100.7");
    assert_string_equal(found(f, "198.51.100._%", false, 0, 0), "198.51.100.7 198.51.100.0/24");
    assert_string_equal(found(f, "%nothing%", false, 0, 0), "");
    /* too long to be a value */
    char *big = malloc(9000);
    memset(big, 'a', 8999);
    big[0] = '%';
    big[8998] = 0;
    kz_misp_value_query qb = {.value = big};
    assert_int_equal(kz_store_misp_value_search(f->st, &qb, &f->a, &h, &n, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "value");
    free(big);
}

static void store_parts(void **state)
{
    fx *f = *state;
    const char *fh = "evil.exe|5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    assert_string_equal(found(f, "evil.exe", true, 0, 0), fh);
    assert_string_equal(
        found(f, "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", true, 0, 0),
        fh);
    assert_string_equal(
        found(f, "5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8", true, 0, 0),
        fh);
    assert_string_equal(found(f, "203.0.113.9", true, 0, 0), "203.0.113.9:8080");
    assert_string_equal(found(f, "203.0.113.10", true, 0, 0), "bad.example|203.0.113.10");
    assert_string_equal(found(f, "bad.example", true, 0, 0), "bad.example|203.0.113.10");
    assert_string_equal(found(f, "HKLM\\Run", true, 0, 0), "HKLM\\Run|evil.exe");
    /* a part is whole */
    assert_string_equal(found(f, "evil", true, 0, 0), "");
    assert_string_equal(found(f, "203.0.113.1", true, 0, 0), "");
    /* the plain rows are not parts of anything */
    assert_string_equal(found(f, "198.51.100.7", true, 0, 0), "");
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(like_semantics),
        cmocka_unit_test(composite_parts),
        cmocka_unit_test_setup_teardown(store_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(store_parts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
