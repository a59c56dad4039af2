/* test_stix_json.c — the importer's fast object reader (stix_json.c) builds
 * exactly the tree json_loadb builds (values, types, key order) for every
 * object of the 17 official examples and for escapes and numbers of every
 * kind, and declines (NULL, so that json_loadb decides and words the
 * error) whenever jansson could judge differently.
 */
#include "kz_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/stix_int.h"

static const char *const EXAMPLES[] = {
    "apt1.json",
    "defining-campaigns-threat-actors-intrusion-sets.json",
    "identifying-a-threat-actor-profile.json",
    "indicator-for-c2-ip-address.json",
    "indicator-for-malicious-url.json",
    "indicator-to-campaign-relationship.json",
    "indicators-for-C2-with-COA.json",
    "infrastructure.json",
    "interop-objectmarking-test.json",
    "malicious-email-indicator-with-attachment.json",
    "malware-indicator-for-file-hash.json",
    "poisonivy.json",
    "sighting-of-an-indicator.json",
    "sighting-of-observed-data.json",
    "threat-actor-leveraging-attack-patterns-and-malware.json",
    "using-granular-markings.json",
    "using-marking-definitions.json",
};

/* Same tree, same key order, same number kinds as json_loadb. */
static void same_as_jansson(const char *p, size_t n)
{
    json_error_t je;
    json_t *want = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(want);
    json_t *got = kz__stix_json_read(p, n);
    assert_non_null(got);
    assert_true(json_equal(want, got));
    char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
    char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(want);
    json_decref(got);
}

static void test_every_example_object_reads_the_same(void **state)
{
    (void)state;
    size_t objects = 0;
    for (size_t i = 0; i < sizeof EXAMPLES / sizeof *EXAMPLES; i++) {
        char rel[256], path[1024];
        snprintf(rel, sizeof rel, "stix/%s", EXAMPLES[i]);
        assert_true(kz_test_data_path(rel, path, sizeof path));
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        char *p = malloc((size_t)len);
        assert_int_equal(fread(p, 1, (size_t)len, fp), (size_t)len);
        fclose(fp);
        kz_arena a;
        kz_arena_init(&a);
        sx_doc doc;
        kz_err err = {0};
        assert_int_equal(kz__stix_scan(p, (size_t)len, &a, &doc, &err), 0);
        for (size_t k = 0; k < doc.n; k++, objects++)
            same_as_jansson(p + doc.objs[k].off, doc.objs[k].len);
        json_decref(doc.top);
        kz_arena_free(&a);
        free(p);
    }
    assert_true(objects > 100);
}

static void test_escapes_and_numbers_read_the_same(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}",
        "{ \"a\" : [ ] , \"b\" : { } }",
        "{\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t end\"}",
        "{\"k\\u00e9y\":\"v\",\"plain\":\"日本語 テキスト\"}",
        "{\"i\":0,\"n\":-0,\"big\":9223372036854775807,\"neg\":-9223372036854775808}",
        "{\"r\":1.5e3,\"s\":-1.25,\"t\":0.0,\"u\":1E-7,\"v\":-0.0,\"w\":2e+2}",
        "{\"t\":true,\"f\":false,\"z\":null,\"nest\":[[1,[2,[3,{\"x\":[]}]]]]}",
        "{\"pattern\":\"[file:name = 'C:\\\\\\\\evil.exe']\",\"z\":1,\"a\":2}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        same_as_jansson(docs[i], strlen(docs[i]));
}

static void test_declines_what_jansson_must_judge(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"a\":1,\"a\":2}",                 /* duplicate key */
        "{\"a\":\"x\\u0000y\"}",             /* NUL */
        "{\"a\\u0000\":1}",                  /* NUL in a key */
        "{\"a\":\"\\ud83d\"}",               /* lone high surrogate */
        "{\"a\":\"\\ude00\"}",               /* lone low surrogate */
        "{\"a\":9223372036854775808}",       /* beyond 64 bits */
        "{\"a\":1e400}",                     /* real overflow */
        "{\"a\":\"\xc3\x28\"}",              /* invalid UTF-8 */
        "{\"a\":\"\xed\xa0\x80\"}",          /* UTF-8 surrogate */
        "{\"a\":1} x",                       /* trailing bytes */
        "{\"a\":\"\\x\"}",                   /* unknown escape */
        "[1]",                               /* not an object */
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_t *got = kz__stix_json_read(docs[i], strlen(docs[i]));
        if (got)
            fprintf(stderr, "accepted: %s\n", docs[i]);
        assert_null(got);
    }
    /* Deeper than the reader goes: declined, though valid. */
    char deep[300];
    size_t n = (size_t)snprintf(deep, sizeof deep, "{\"a\":");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_null(kz__stix_json_read(deep, n));
    json_t *j = json_loadb(deep, n, 0, NULL);
    assert_non_null(j);
    json_decref(j);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_example_object_reads_the_same),
        cmocka_unit_test(test_escapes_and_numbers_read_the_same),
        cmocka_unit_test(test_declines_what_jansson_must_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
