/* fuzz_stix_pattern.c — STIX patterns come from other organisations' feeds.
 * Beyond not crashing, the printer's promise is checked: whatever parses
 * prints to a canonical text that parses again and prints the same
 * (print(parse(print(parse(x)))) == print(parse(x))), and the plain
 * indicator extraction never fails on a tree the parser built in a way other
 * than KZ_E_VALUE.
 */
#include "fuzz_common.h"

#include "ioc/ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size > KZ_STIX_PATTERN_MAX + 16)
        return 0;
    kz_arena a;
    kz_arena_init(&a);
    kz_err err;
    kz_stix_pattern *p = NULL;
    int rc = kz_stix_pattern_parse((const char *)data, size, &a, &p, &err);
    if (rc != 0) {
        FUZZ_CHECK(rc == KZ_E_VALUE, "parse returned %d (%s)", rc, err.msg);
        kz_arena_free(&a);
        return 0;
    }
    kz_buf one, two;
    kz_buf_init(&one);
    kz_buf_init(&two);
    FUZZ_CHECK(kz_stix_pattern_print(p, &one) == 0, "print failed");
    kz_stix_pattern *q = NULL;
    rc = kz_stix_pattern_parse(one.p, one.len, &a, &q, &err);
    FUZZ_CHECK(rc == 0, "canonical text '%.*s' does not parse: %s", (int)one.len, one.p, err.msg);
    FUZZ_CHECK(kz_stix_pattern_print(q, &two) == 0, "second print failed");
    FUZZ_CHECK(one.len == two.len && memcmp(one.p, two.p, one.len) == 0,
               "canonical text is not stable:\n  first  '%.*s'\n  second '%.*s'", (int)one.len,
               one.p, (int)two.len, two.p);

    kz_stix_simple *items = NULL;
    size_t n = 0;
    bool any_of = false;
    rc = kz_stix_pattern_simple(p, &a, &items, &n, &any_of, &err);
    FUZZ_CHECK(rc == 0 || rc == KZ_E_VALUE, "simple returned %d", rc);
    if (rc == 0) {
        FUZZ_CHECK(n > 0, "a simple pattern with no items");
        /* what the importer does next with each value */
        kz_buf v;
        kz_buf_init(&v);
        for (size_t i = 0; i < n; i++)
            (void)kz_ioc_normalize(items[i].type, items[i].value, strlen(items[i].value), &v,
                                   &err);
        kz_buf_free(&v);
    }
    kz_buf_free(&one);
    kz_buf_free(&two);
    kz_arena_free(&a);
    return 0;
}
