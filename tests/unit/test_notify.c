/* test_notify.c — the pure parts of notifications: which webhook URLs and
 * addresses the node agrees to call (SSRF rules), the signature (a known
 * answer computed independently with Python's hmac module), sealing of
 * webhook secrets, and the validation of points of contact (BCP 47 tags,
 * phone numbers, fingerprints, time zones).
 */
#include "kz_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "http/notify_int.h"

static void test_url_rules(void **state)
{
    (void)state;
    static const char *const good[] = {
        "https://soc.cert.example/kizuna", "https://receiver.example:8443/a/b?c=d",
        "HTTPS://Receiver.Example/", "https://[2606:4700::1111]/hook", "https://8.8.8.8/x",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(good); i++) {
        kz_err err = {0};
        if (kz_webhook_url_check(good[i], false, &err) != 0)
            fail_msg("%s refused: %s", good[i], err.msg);
    }
    static const struct {
        const char *url, *msg;
    } bad[] = {
        {"ftp://r.example/", "not an http or https URL"},
        {"file:///etc/passwd", "not an http or https URL"},
        {"gopher://r.example/", "not an http or https URL"},
        {"r.example/hook", "not an absolute URL"},
        {"https://", "not an absolute URL"},
        {"https://u:p@r.example/", "credentials"},
        {"https://r.example/a b", "without spaces"},
        {"https://r\xc3\xa9.example/", "ASCII"},
        {"http://127.0.0.1/", "loopback"},
        {"http://127.1.2.3:8080/", "loopback"},
        {"http://localhost:8080/", "loopback"},
        {"http://api.LOCALHOST/", "loopback"},
        {"http://10.0.0.1/", "private"},
        {"http://172.16.5.5/", "private"},
        {"http://192.168.0.1/", "private"},
        {"http://169.254.169.254/latest/", "private"},
        {"http://100.64.0.1/", "private"},
        {"http://[::1]/", "private"},
        {"http://[fd00::1]/", "private"},
        {"http://[fe80::1]/", "private"},
        {"http://[::ffff:192.168.1.1]/", "private"},
        {"http://0.0.0.0/", "private"},
        {"http://224.0.0.1/", "private"},
        {"http://localhost./", "loopback"},
        {"http://api.localhost../", "loopback"},
        /* other spellings of 127.0.0.1, as curl reads them */
        {"http://2130706433/", "loopback"},
        {"http://0x7f.1/", "loopback"},
        {"http://127.1/", "loopback"},
        {"http://[::ffff:7f00:1]/", "loopback"},
        {"http://[2002:7f00:1::]/", "loopback"},
        {"http://[2001:0:5ef5:79fd::1]/", "loopback"},
        /* public, but in clear */
        {"http://receiver.example/hook", "in clear: use https"},
        {"HTTP://8.8.8.8/", "in clear: use https"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        kz_err err = {0};
        int rc = kz_webhook_url_check(bad[i].url, false, &err);
        if (rc != KZ_E_VALUE || strcmp(err.field, "url") != 0 || !strstr(err.msg, bad[i].msg))
            fail_msg("%s: rc %d field '%s' msg '%s'", bad[i].url, rc, err.field, err.msg);
    }
    char longurl[2100] = "https://r.example/";
    memset(longurl + strlen(longurl), 'a', 2048);
    longurl[2060] = 0;
    kz_err err = {0};
    assert_int_equal(kz_webhook_url_check(longurl, false, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "2048"));
    /* The operator's setting lets loopback and private targets through,
     * never other schemes. */
    assert_int_equal(kz_webhook_url_check("http://127.0.0.1:9999/hook", true, &err), 0);
    assert_int_equal(kz_webhook_url_check("http://10.0.0.1/", true, &err), 0);
    assert_int_equal(kz_webhook_url_check("http://receiver.example/", true, &err), 0);
    assert_int_equal(kz_webhook_url_check("file:///etc/passwd", true, &err), KZ_E_VALUE);
}

static bool pub4(const char *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, s, &a.sin_addr), 1);
    return kz_webhook_addr_public((struct sockaddr *)&a);
}

static bool pub6(const char *s)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, s, &a.sin6_addr), 1);
    return kz_webhook_addr_public((struct sockaddr *)&a);
}

static void test_public_addresses(void **state)
{
    (void)state;
    assert_true(pub4("8.8.8.8"));
    assert_true(pub4("172.32.0.1"));
    assert_true(pub4("100.128.0.1"));
    assert_true(pub4("192.169.0.1"));
    assert_false(pub4("127.0.0.1"));
    assert_false(pub4("10.255.255.255"));
    assert_false(pub4("172.31.255.255"));
    assert_false(pub4("100.127.255.255"));
    assert_false(pub4("169.254.1.1"));
    assert_false(pub4("192.0.2.1"));
    assert_false(pub4("198.18.0.1"));
    assert_false(pub4("224.0.0.1"));
    assert_false(pub4("255.255.255.255"));
    assert_false(pub4("0.1.2.3"));
    assert_true(pub6("2606:4700::1111"));
    assert_true(pub6("64:ff9b::808:808")); /* NAT64 of 8.8.8.8 */
    assert_false(pub6("64:ff9b::a00:1"));  /* NAT64 of 10.0.0.1 */
    assert_false(pub6("::"));
    assert_false(pub6("::1"));
    assert_false(pub6("::ffff:127.0.0.1"));
    assert_true(pub6("::ffff:8.8.8.8"));
    assert_false(pub6("fc00::1"));
    assert_false(pub6("fe80::1"));
    assert_false(pub6("ff02::1"));
    assert_false(pub6("2001:db8::1"));
    assert_false(pub6("4000::1")); /* outside 2000::/3 */
    assert_false(pub6("2002:7f00:1::1"));  /* 6to4 of 127.0.0.1 */
    assert_false(pub6("2002:a9fe:a9fe::"));  /* 6to4 of 169.254.169.254 */
    assert_true(pub6("2002:808:808::1"));  /* 6to4 of 8.8.8.8 */
    assert_false(pub6("2001::1"));         /* Teredo */
    assert_false(pub6("64:ff9b:1::808:808")); /* local-use NAT64 */
    assert_false(pub6("fec0::1"));         /* site-local */
}

static void test_signature_known_answer(void **state)
{
    (void)state;
    char sig[7 + 64 + 1];
    const char body[] = "{\"a\":1}";
    kz_webhook_sign("kzwh_test", "1700000000", body, strlen(body), sig);
    assert_string_equal(sig,
                        "sha256=67caf78db7928dcc062219a073e6ac520741a92fa213bd00d2509042aa1cf73b");
    kz_webhook_sign("kzwh_tesT", "1700000000", body, strlen(body), sig);
    assert_string_not_equal(sig,
                            "sha256=67caf78db7928dcc062219a073e6ac520741a92fa213bd00d2509042aa1cf73b");
}

static void test_secret_sealing(void **state)
{
    (void)state;
    uint8_t node[32], other[32];
    kz_random_bytes(node, sizeof node);
    kz_random_bytes(other, sizeof other);
    kz_arena a;
    kz_arena_init(&a);
    char text[KZ_WEBHOOK_SECRET_LEN + 1], back[KZ_WEBHOOK_SECRET_LEN + 1], text2[KZ_WEBHOOK_SECRET_LEN + 1];
    uint8_t *box = NULL, *box2 = NULL;
    size_t n = 0, n2 = 0;
    assert_int_equal(kz_webhook_secret_new(node, &a, text, &box, &n), 0);
    assert_int_equal(kz_webhook_secret_new(node, &a, text2, &box2, &n2), 0);
    assert_int_equal(strlen(text), KZ_WEBHOOK_SECRET_LEN);
    assert_memory_equal(text, "kzwh_", 5);
    assert_string_not_equal(text, text2);
    /* The box does not contain the secret in clear. */
    assert_null(memmem(box, n, text + 5, 20));
    kz_err err = {0};
    assert_int_equal(kz_webhook_secret_open(node, box, n, back, &err), 0);
    assert_string_equal(back, text);
    assert_int_equal(kz_webhook_secret_open(other, box, n, back, &err), KZ_E_INTERNAL);
    box[n - 1] ^= 1;
    assert_int_equal(kz_webhook_secret_open(node, box, n, back, &err), KZ_E_INTERNAL);
    assert_int_equal(kz_webhook_secret_open(node, box, 10, back, &err), KZ_E_INTERNAL);
    kz_arena_free(&a);
}

/* Applies {"name":"n","phone":"+6512345678", key: value} and returns rc. */
static int contact_with(const char *key, json_t *value, kz_arena *a, kz_contact *c, kz_err *err)
{
    json_t *j = json_pack("{s:s,s:s}", "name", "n", "phone", "+6512345678");
    json_object_set_new(j, key, value);
    memset(c, 0, sizeof *c);
    int rc = kz_contact_json_apply(j, true, a, c, err);
    json_decref(j);
    return rc;
}

static void test_language_tags(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"en", "en"},           {"TH", "th"},
        {"zh-hant-tw", "zh-Hant-TW"}, {"sr-LATN-rs", "sr-Latn-RS"},
        {"es-419", "es-419"},   {"de-ch-1996", "de-CH-1996"},
        {"fil", "fil"},         {"en-x-cert", "en-x-cert"},
        {"pt-BR", "pt-BR"},     {"ms-Arab", "ms-Arab"},
    };
    kz_arena a;
    kz_arena_init(&a);
    for (size_t i = 0; i < KZ_ARRAY_LEN(ok); i++) {
        kz_contact c;
        kz_err err = {0};
        int rc = contact_with("languages", json_pack("[s]", ok[i][0]), &a, &c, &err);
        if (rc != 0)
            fail_msg("%s refused: %s", ok[i][0], err.msg);
        assert_int_equal(c.languages.n, 1);
        assert_string_equal(c.languages.v[0], ok[i][1]);
    }
    static const char *const bad[] = {"e", "eng1sh", "en--us", "en-US-", "-en", "12-ab",
                                      "en_US", "en-US-x", "abcdefghi", "th-Thai-TH-Latn", ""};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        kz_contact c;
        kz_err err = {0};
        int rc = contact_with("languages", json_pack("[s]", bad[i]), &a, &c, &err);
        if (rc != KZ_E_VALUE || strcmp(err.field, "languages[0]") != 0)
            fail_msg("'%s' accepted or wrong error: rc %d field %s", bad[i], rc, err.field);
    }
    kz_arena_free(&a);
}

static void test_contact_values(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_contact c;
    kz_err err = {0};
    assert_int_equal(contact_with("pgp_fingerprint",
                                  json_string("abcd ef01 2345 6789 ABCD  EF01 2345 6789 abcd ef01"),
                                  &a, &c, &err),
                     0);
    assert_string_equal(c.pgp_fingerprint, "ABCDEF0123456789ABCDEF0123456789ABCDEF01");
    assert_int_equal(contact_with("pgp_fingerprint",
                                  json_string("ABCDEF0123456789ABCDEF0123456789ABCDEF012"), &a, &c,
                                  &err),
                     KZ_E_VALUE);
    assert_int_equal(contact_with("timezone", json_string("Asia/Bangkok"), &a, &c, &err), 0);
    assert_string_equal(c.timezone, "Asia/Bangkok");
    assert_int_equal(contact_with("timezone", json_string("Etc/GMT+7"), &a, &c, &err), 0);
    static const char *const zones[] = {"asia/bangkok", "Asia/", "/etc/passwd", "Asia//Tokyo",
                                        "Asia/../Asia/Tokyo", "zone.tab", "posixrules/x",
                                        "Asia/Bangkok\n"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(zones); i++) {
        int rc = contact_with("timezone", json_string(zones[i]), &a, &c, &err);
        if (rc != KZ_E_VALUE || strcmp(err.field, "timezone") != 0)
            fail_msg("zone '%s' accepted (rc %d)", zones[i], rc);
    }
    static const char *const phones[] = {"+1 (555) 010-9999", "+66.2.123.4567", "+6512345678"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(phones); i++)
        assert_int_equal(contact_with("phone", json_string(phones[i]), &a, &c, &err), 0);
    static const char *const bad_phones[] = {"+", "+123456", "+1234567890123456", "0012345678",
                                             "+65 1234 567a", "tel:+6512345678"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad_phones); i++) {
        int rc = contact_with("phone", json_string(bad_phones[i]), &a, &c, &err);
        if (rc != KZ_E_VALUE || strcmp(err.field, "phone") != 0)
            fail_msg("phone '%s' accepted (rc %d)", bad_phones[i], rc);
    }
    /* A PATCH may name the contact's own org but not move it. */
    json_t *j = json_pack("{s:s}", "org_id", "00000000-0000-4000-8000-000000000001");
    memset(&c, 0, sizeof c);
    c.name = "n";
    c.phone = "+6512345678";
    snprintf(c.org_id, sizeof c.org_id, "00000000-0000-4000-8000-000000000001");
    assert_int_equal(kz_contact_json_apply(j, false, &a, &c, &err), 0);
    json_object_set_new(j, "org_id", json_string("00000000-0000-4000-8000-000000000002"));
    assert_int_equal(kz_contact_json_apply(j, false, &a, &c, &err), KZ_E_INVALID);
    assert_string_equal(err.field, "org_id");
    json_decref(j);
    kz_arena_free(&a);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_rules),
        cmocka_unit_test(test_public_addresses),
        cmocka_unit_test(test_signature_known_answer),
        cmocka_unit_test(test_secret_sealing),
        cmocka_unit_test(test_language_tags),
        cmocka_unit_test(test_contact_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
