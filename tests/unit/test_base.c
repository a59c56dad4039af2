/* test_base.c — layer 0: time round trips, UUIDs (v5 vectors), UTF-8, buffers. */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void time_round_trip(void **state)
{
    (void)state;
    kz_time t;
    char out[KZ_TIME_STRLEN + 1];
    assert_int_equal(kz_time_parse("2026-11-21T23:34:57.123456Z", &t, NULL), 0);
    kz_time_format(t, out);
    assert_string_equal(out, "2026-11-21T23:34:57.123456Z");
    assert_int_equal(kz_time_parse("1970-01-01T00:00:00Z", &t, NULL), 0);
    assert_int_equal(t, 0);
    assert_int_equal(kz_time_parse("2000-02-29T12:00:00+02:00", &t, NULL), 0);
    kz_time_format(t, out);
    assert_string_equal(out, "2000-02-29T10:00:00.000000Z");
    assert_int_equal(kz_time_parse("2024-03-10", &t, NULL), 0);
    kz_time_format(t, out);
    assert_string_equal(out, "2024-03-10T00:00:00.000000Z");
    kz_time_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

static void time_rejects_bad(void **state)
{
    (void)state;
    kz_time t;
    kz_err err;
    const char *bad[] = {"", "2026-13-01", "2026-02-30", "2025-02-29T00:00:00Z", "2026-01-01T25:00:00Z",
                         "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "2026/01/01", "yesterday",
                         "2026-01-01T00:00:00Zjunk"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        assert_int_equal(kz_time_parse(bad[i], &t, &err), KZ_E_INVALID);
        assert_non_null(strstr(err.msg, "RFC 3339"));
    }
}

static void uuid_v5_vectors(void **state)
{
    (void)state;
    kz_uuid out;
    /* RFC 4122 appendix / Python uuid5(NAMESPACE_DNS, "python.org"). */
    assert_int_equal(kz_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10, out), 0);
    assert_string_equal(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    /* STIX 2.1 SCO namespace, ipv4-addr 198.51.100.1 (the spec's own example). */
    const char *name = "{\"value\":\"198.51.100.1\"}";
    assert_int_equal(kz_uuid_v5("00abedb4-aa42-466c-9c01-fed23315a9b7", name, strlen(name), out), 0);
    assert_string_equal(out, "2b3e2c17-3144-5591-9c88-a605220f8c0c");
}

static void uuid_v4_shape(void **state)
{
    (void)state;
    kz_uuid a, b;
    kz_uuid_v4(a);
    kz_uuid_v4(b);
    assert_true(kz_uuid_valid(a));
    assert_string_not_equal(a, b);
    assert_int_equal(a[14], '4');
    assert_false(kz_uuid_valid("not-a-uuid"));
    assert_false(kz_uuid_valid("2b3e2c17-3144-5591-9c88-a605220f8c0"));
    kz_uuid n;
    assert_true(kz_uuid_normalize("2B3E2C17-3144-5591-9C88-A605220F8C0C", n));
    assert_string_equal(n, "2b3e2c17-3144-5591-9c88-a605220f8c0c");
}

static void uuid_v7_ordered(void **state)
{
    (void)state;
    kz_uuid prev, cur;
    kz_uuid_v7(prev);
    assert_true(kz_uuid_valid(prev));
    assert_int_equal(prev[14], '7');
    assert_true(strchr("89ab", prev[19]) != NULL);
    for (int i = 0; i < 2000; i++) {
        kz_uuid_v7(cur);
        /* Timestamp and counter come first: ids only ever increase. */
        assert_true(strcmp(prev, cur) < 0);
        memcpy(prev, cur, sizeof cur);
    }
}

static void utf8_checks(void **state)
{
    (void)state;
    assert_true(kz_utf8_valid("plain", 5));
    assert_true(kz_utf8_valid("\xe7\xb5\x86", 3));              /* 絆 */
    assert_true(kz_utf8_valid("\xf0\x9f\x94\x92", 4));          /* U+1F512 */
    assert_false(kz_utf8_valid("\xc0\xaf", 2));                 /* overlong '/' */
    assert_false(kz_utf8_valid("\xed\xa0\x80", 3));             /* surrogate */
    assert_false(kz_utf8_valid("\xf4\x90\x80\x80", 4));         /* > U+10FFFF */
    assert_false(kz_utf8_valid("\xe7\xb5", 2));                 /* truncated */
    assert_false(kz_utf8_valid("a\0b", 3));                     /* NUL */
    assert_false(kz_utf8_valid("\xff", 1));
}

static void buffers_and_arenas(void **state)
{
    (void)state;
    kz_buf b;
    kz_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(kz_buf_printf(&b, "%d,", i), 0);
    assert_int_equal(strncmp(b.p, "0,1,2,", 6), 0);
    assert_int_equal(b.p[b.len], '\0');
    kz_buf_free(&b);

    /* An empty buffer still hands over a valid, empty string. */
    kz_buf empty;
    kz_buf_init(&empty);
    char *s0 = kz_buf_steal(&empty);
    assert_non_null(s0);
    assert_string_equal(s0, "");
    free(s0);

    kz_arena a;
    kz_arena_init(&a);
    kz_strlist l = {0};
    char s[16];
    for (int i = 0; i < 100; i++) {
        snprintf(s, sizeof s, "item%d", i);
        assert_int_equal(kz_strlist_push(&a, &l, s), 0);
    }
    assert_int_equal(l.n, 100);
    assert_string_equal(l.v[0], "item0");
    assert_string_equal(l.v[99], "item99");
    assert_true(kz_strlist_has(&l, "item57"));
    assert_false(kz_strlist_has(&l, "item100"));
    char *big = kz_arena_alloc(&a, 1 << 20);
    assert_non_null(big);
    assert_int_equal(big[12345], 0);
    kz_arena_free(&a);
}

static void hex_round_trip(void **state)
{
    (void)state;
    uint8_t in[4] = {0xde, 0xad, 0xbe, 0xef}, out[4];
    char hex[9];
    kz_hex_encode(in, 4, hex);
    assert_string_equal(hex, "deadbeef");
    assert_true(kz_hex_decode("DEADBEEF", out, 4));
    assert_memory_equal(in, out, 4);
    assert_false(kz_hex_decode("deadbee", out, 4));
    assert_false(kz_hex_decode("deadbeeg", out, 4));
}

/* What goes into a JSON string unescaped: what jansson would not escape,
 * ASCII only. */
static void json_plain_text(void **state)
{
    (void)state;
    assert_true(kz_json_plain("indicator--3a6e8f4b-2d7c-4f5e-9b0a-9c8d7e6f5a4b"));
    assert_true(kz_json_plain("2026-01-01T00:00:00.000Z"));
    assert_true(kz_json_plain("a b/c~\x7f"));
    assert_true(kz_json_plain(""));
    assert_false(kz_json_plain("a\"b"));
    assert_false(kz_json_plain("a\\b"));
    assert_false(kz_json_plain("a\tb"));
    assert_false(kz_json_plain("\x1f"));
    assert_false(kz_json_plain("caf\xc3\xa9"));
    assert_false(kz_json_plain("\xff"));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_round_trip), cmocka_unit_test(time_rejects_bad),
        cmocka_unit_test(uuid_v5_vectors), cmocka_unit_test(uuid_v4_shape), cmocka_unit_test(uuid_v7_ordered),
        cmocka_unit_test(utf8_checks),     cmocka_unit_test(buffers_and_arenas),
        cmocka_unit_test(hex_round_trip),  cmocka_unit_test(json_plain_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
