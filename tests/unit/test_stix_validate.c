/* test_stix_validate.c — the STIX 2.1 object validator, rule by rule: each
 * bad object names the property at fault and the reason; the valid shapes
 * next to them (custom properties, custom objects, SCOs without
 * spec_version, the deprecated observable container, TLP 2.0 markings)
 * pass. Also the SCO deterministic ids (the spec's vectors), RFC 8785
 * canonical JSON and the TLP marking ids.
 */
#include "kz_test.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "formats/formats.h"

#define SDO(type, id, rest)                                                                        \
    "{\"type\":\"" type "\",\"spec_version\":\"2.1\",\"id\":\"" type "--" id "\","                  \
    "\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2016-04-06T20:03:48.000Z\"" rest "}"
#define U1 "e2e1a340-4415-4ba8-9671-f7343fbf0836"

typedef struct vcase {
    const char *json;
    const char *field;    /* NULL = valid */
    const char *fragment; /* in the message */
} vcase;

static const vcase CASES[] = {
    /* valid shapes */
    {SDO("campaign", U1, ",\"name\":\"c\",\"x_acme_score\":{\"a\":[1,2]}"), NULL, NULL},
    {"{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" U1 "\",\"value\":\"198.51.100.3\"}", NULL, NULL},
    {SDO("x-acme-widget", U1, ",\"gear_count\":3"), NULL, NULL},
    {"{\"type\":\"x-acme-thing\",\"id\":\"x-acme-thing--" U1 "\",\"colour\":\"red\"}", NULL, NULL},
    {SDO("observed-data", U1,
         ",\"first_observed\":\"2015-12-21T19:00:00Z\",\"last_observed\":\"2015-12-21T19:00:00Z\","
         "\"number_observed\":1,\"objects\":{\"0\":{\"type\":\"ipv4-addr\",\"value\":\"1.2.3.4\"},"
         "\"1\":{\"type\":\"network-traffic\",\"dst_ref\":\"0\",\"protocols\":[\"tcp\"]}}"),
     NULL, NULL},
    {"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
     "\"id\":\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\","
     "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:CLEAR\",\"extensions\":{"
     "\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":{"
     "\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}}}",
     NULL, NULL},
    {SDO("location", U1, ",\"region\":\"south-eastern-asia\""), NULL, NULL},
    {SDO("location", U1, ",\"latitude\":13.75,\"longitude\":100.5,\"precision\":100.0"), NULL, NULL},
    {"{\"type\":\"file\",\"id\":\"file--" U1 "\",\"hashes\":{\"SHA-256\":"
     "\"effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff6843c3e5da0e698766\",\"x_foo\":\"abc\"}}",
     NULL, NULL},
    {SDO("indicator", U1,
         ",\"pattern\":\"alert tcp any any\",\"pattern_type\":\"snort\","
         "\"valid_from\":\"2016-01-01T00:00:00Z\""),
     NULL, NULL},

    /* identifiers and names */
    {"{\"id\":\"malware--" U1 "\"}", "type", "is required"},
    {"{\"type\":\"Malware\",\"id\":\"Malware--" U1 "\"}", "type", "is not a type name"},
    {"{\"type\":\"x--y\",\"id\":\"x--y--" U1 "\"}", "type", "is not a type name"},
    {"{\"type\":\"malware\"}", "id", "is required"},
    {SDO("malware", "e2e1a340-4415-4ba8-9671-f7343fbf083", ""), "id", "is not an identifier"},
    {SDO("malware", "e2e1a340-4415-4ba8-c671-f7343fbf0836", ""), "id", "is not an identifier"},
    {SDO("malware", "e2e1a340-4415-9ba8-9671-f7343fbf0836", ""), "id", "is not an identifier"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"Score\":1"), "Score", "property names are"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"ab\":1"), "ab", "property names are"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"severity\":\"high\""), "severity", "reserved"},
    {"{\"type\":\"bundle\",\"id\":\"bundle--" U1 "\"}", "type", "a bundle cannot be"},

    /* common properties */
    {"{\"type\":\"campaign\",\"id\":\"campaign--" U1 "\",\"created\":\"2016-04-06T20:03:48.000Z\","
     "\"modified\":\"2016-04-06T20:03:48.000Z\",\"name\":\"c\"}",
     "spec_version", "is required"},
    {"{\"type\":\"campaign\",\"spec_version\":2.1,\"id\":\"campaign--" U1 "\"}", "spec_version",
     "must be the string"},
    {"{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":\"campaign--" U1 "\",\"name\":\"c\"}",
     "created", "is required"},
    {"{\"type\":\"campaign\",\"spec_version\":\"2.1\",\"id\":\"campaign--" U1 "\","
     "\"created\":\"2016-04-06T20:03:48.000Z\",\"name\":\"c\"}",
     "modified", "is required"},
    {"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--" U1
     "\",\"definition_type\":\"statement\",\"definition\":{\"statement\":\"x\"}}",
     "created", "is required"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"created_by_ref\":\"campaign--" U1 "\""),
     "created_by_ref", "must refer to an identity"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"object_marking_refs\":[]"), "object_marking_refs",
     "must not be an empty list"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"object_marking_refs\":[\"identity--" U1 "\"]"),
     "object_marking_refs[0]", "must refer to a marking-definition"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"labels\":[]"), "labels", "must not be an empty list"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"labels\":[1]"), "labels[0]", "must be a string"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"confidence\":101"), "confidence", "out of range"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"revoked\":\"yes\""), "revoked", "true or false"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"defanged\":true"), "defanged", "only for cyber-observable"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"external_references\":[{\"source_name\":\"capec\"}]"),
     "external_references[0]", "needs one of description, url or external_id"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"external_references\":[{\"url\":\"http://x\"}]"),
     "external_references[0]", "needs source_name"},
    {SDO("campaign", U1,
         ",\"name\":\"c\",\"external_references\":[{\"source_name\":\"x\",\"url\":\"http://x\","
         "\"hashes\":{\"SHA-256\":\"abc\"}}]"),
     "external_references[0].hashes.SHA-256", "is not a 64-digit hex SHA-256 hash"},
    {SDO("campaign", U1,
         ",\"name\":\"c\",\"granular_markings\":[{\"selectors\":[\"name\"],\"lang\":\"en\","
         "\"marking_ref\":\"marking-definition--" U1 "\"}]"),
     "granular_markings[0]", "exactly one of lang and marking_ref"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"granular_markings\":[{\"lang\":\"en\"}]"),
     "granular_markings[0]", "needs selectors"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"extensions\":{}"), "extensions",
     "must not be an empty dictionary"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"extensions\":{\"foo\":{\"a\":1}}"), "extensions.foo",
     "ending in \"-ext\""},
    {SDO("campaign", U1,
         ",\"name\":\"c\",\"extensions\":{\"extension-definition--" U1
         "\":{\"extension_type\":\"new-thing\"}}"),
     "extensions.extension-definition--" U1, "extension_type must be"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"first_seen\":\"2016-01-02T00:00:00Z\","
                         "\"last_seen\":\"2016-01-01T00:00:00Z\""),
     "last_seen", "must be at or after first_seen"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"x_data_hex\":\"ABCD\""), "x_data_hex", "must be hex"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"x_data_bin\":\"a\""), "x_data_bin", "must be base64"},
    {SDO("campaign", U1, ",\"name\":\"c\",\"created\":\"2016-04-06T20:03:48.000Z\""), NULL, NULL},

    /* per type */
    {SDO("indicator", U1, ",\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"pattern_type\":\"stix\""),
     "valid_from", "is required for indicator objects"},
    {SDO("indicator", U1,
         ",\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"pattern_type\":\"stix\","
         "\"valid_from\":\"2016-01-01T00:00:00Z\",\"valid_until\":\"2016-01-01T00:00:00Z\""),
     "valid_until", "must be later than valid_from"},
    {SDO("indicator", U1,
         ",\"pattern\":\"[ipv4-addr:value = '1.2.3.4'\",\"pattern_type\":\"stix\","
         "\"valid_from\":\"2016-01-01T00:00:00Z\""),
     "pattern", "at offset"},
    {SDO("grouping", U1, ",\"context\":\"suspicious-activity\""), "object_refs", "is required"},
    {SDO("note", U1, ",\"content\":\"x\",\"object_refs\":[\"foo\"]"), "object_refs[0]",
     "is not an identifier"},
    {SDO("opinion", U1, ",\"opinion\":\"maybe\",\"object_refs\":[\"campaign--" U1 "\"]"), "opinion",
     "must be strongly-disagree"},
    {SDO("location", U1, ",\"city\":\"Bangkok\""), "", "needs region, country, or latitude"},
    {SDO("location", U1, ",\"latitude\":13.75"), "longitude", "go together"},
    {SDO("location", U1, ",\"latitude\":93.0,\"longitude\":100.5"), "latitude", "out of range"},
    {SDO("malware", U1, ",\"is_family\":true"), "name", "is required for a malware family"},
    {SDO("malware-analysis", U1, ",\"product\":\"x\""), "result", "needs result or analysis_sco_refs"},
    {SDO("observed-data", U1,
         ",\"first_observed\":\"2015-12-21T19:00:00Z\",\"last_observed\":\"2015-12-21T19:00:00Z\","
         "\"number_observed\":0,\"object_refs\":[\"ipv4-addr--" U1 "\"]"),
     "number_observed", "out of range"},
    {SDO("observed-data", U1,
         ",\"first_observed\":\"2015-12-21T19:00:00Z\",\"last_observed\":\"2015-12-21T19:00:00Z\","
         "\"number_observed\":1"),
     "object_refs", "exactly one of objects and object_refs"},
    {SDO("relationship", U1,
         ",\"relationship_type\":\"Uses\",\"source_ref\":\"campaign--" U1 "\","
         "\"target_ref\":\"malware--" U1 "\""),
     "relationship_type", "may only hold a-z"},
    {SDO("relationship", U1,
         ",\"relationship_type\":\"uses\",\"source_ref\":\"campaign--" U1 "\","
         "\"target_ref\":\"marking-definition--" U1 "\""),
     "target_ref", "must refer to an SDO or SCO"},
    {SDO("sighting", U1, ",\"sighting_of_ref\":\"indicator--" U1 "\",\"count\":1000000000"), "count",
     "out of range"},
    {SDO("sighting", U1,
         ",\"sighting_of_ref\":\"indicator--" U1 "\",\"where_sighted_refs\":[\"malware--" U1 "\"]"),
     "where_sighted_refs[0]", "must refer to an identity or a location"},
    {"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--" U1
     "\",\"created\":\"2016-08-01T00:00:00.000Z\",\"definition_type\":\"statement\","
     "\"definition\":{}}",
     "definition.statement", "needs a statement string"},
    {"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--" U1
     "\",\"created\":\"2016-08-01T00:00:00.000Z\"}",
     "definition_type", "is required when there are no extensions"},
    {"{\"type\":\"artifact\",\"id\":\"artifact--" U1 "\",\"url\":\"http://x/y\"}", "hashes",
     "is required with url"},
    {"{\"type\":\"artifact\",\"id\":\"artifact--" U1 "\",\"url\":\"http://x\","
     "\"payload_bin\":\"aGk=\",\"hashes\":{\"MD5\":\"00000000000000000000000000000000\"}}",
     "payload_bin", "exactly one of payload_bin and url"},
    {"{\"type\":\"file\",\"id\":\"file--" U1 "\",\"size\":3}", "hashes", "needs hashes or name"},
    {"{\"type\":\"file\",\"id\":\"file--" U1 "\",\"hashes\":{\"MD5\":\"xyz\"}}", "hashes.MD5",
     "is not a 32-digit hex MD5 hash"},
    {"{\"type\":\"network-traffic\",\"id\":\"network-traffic--" U1 "\",\"protocols\":[\"tcp\"]}",
     "dst_ref", "needs src_ref or dst_ref"},
    {"{\"type\":\"network-traffic\",\"id\":\"network-traffic--" U1 "\",\"protocols\":[\"tcp\"],"
     "\"dst_ref\":\"ipv4-addr--" U1 "\",\"dst_port\":70000}",
     "dst_port", "out of range"},
    {"{\"type\":\"process\",\"id\":\"process--" U1 "\"}", "", "needs at least one property"},
    {"{\"type\":\"email-message\",\"id\":\"email-message--" U1 "\"}", "is_multipart", "is required"},
    {"{\"type\":\"ipv4-addr\",\"spec_version\":\"2.0\",\"id\":\"ipv4-addr--" U1
     "\",\"value\":\"1.2.3.4\"}",
     "spec_version", "is not 2.1"},
    {SDO("extension-definition", U1,
         ",\"created_by_ref\":\"identity--" U1 "\",\"name\":\"x\",\"schema\":\"s\","
         "\"version\":\"1\",\"extension_types\":[\"new-thing\"]"),
     "extension_types", "outside extension-type-enum"},
    {SDO("attack-pattern", U1, ",\"name\":\"a\",\"kill_chain_phases\":[{\"phase_name\":\"x\"}]"),
     "kill_chain_phases[0]", "needs kill_chain_name and phase_name"},
};

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < KZ_ARRAY_LEN(CASES); i++) {
        const vcase *c = &CASES[i];
        json_error_t je;
        json_t *j = json_loads(c->json, 0, &je);
        if (!j)
            fail_msg("case %zu: bad test JSON: %s", i, je.text);
        kz_arena a;
        kz_arena_init(&a);
        kz_err err = {0};
        int rc = kz_stix_validate(j, &a, &err);
        kz_arena_free(&a);
        json_decref(j);
        if (!c->field) {
            if (rc != 0)
                fail_msg("case %zu should pass: %s: %s", i, err.field, err.msg);
            continue;
        }
        if (rc != KZ_E_VALUE)
            fail_msg("case %zu should fail on %s", i, c->field);
        if (strcmp(err.field, c->field) != 0 || !strstr(err.msg, c->fragment))
            fail_msg("case %zu: got %s: %s; want %s: ...%s...", i, err.field, err.msg, c->field,
                     c->fragment);
    }
}

static void sco_id(const char *json, const char *want)
{
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    char id[KZ_STIX_ID_MAX];
    kz_err err = {0};
    assert_int_equal(kz_stix_sco_id(j, id, sizeof id, &err), 0);
    assert_string_equal(id, want);
    json_decref(j);
}

static void test_sco_deterministic_ids(void **state)
{
    (void)state;
    /* The vectors of the issue, computed as section 2.9 says. */
    sco_id("{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.1\"}",
           "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c");
    sco_id("{\"type\":\"domain-name\",\"value\":\"example.com\"}",
           "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7");
    sco_id("{\"type\":\"url\",\"value\":\"http://example.com/\"}",
           "url--3013563b-9e18-5ef6-917a-204463f5f419");
    /* Properties that do not contribute change nothing. */
    sco_id("{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.1\",\"spec_version\":\"2.1\","
           "\"resolves_to_refs\":[\"mac-addr--" U1 "\"]}",
           "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c");
    /* The spec's own examples (sections 2.9 and 6.5). */
    sco_id("{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.3\"}",
           "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    sco_id("{\"type\":\"email-addr\",\"value\":\"john@example.com\",\"display_name\":\"John Doe\"}",
           "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934");
    /* A file: name (non-ASCII, kept as UTF-8 by JCS) and one hash; the
     * value was computed independently (Python uuid5 over sorted compact
     * JSON). With MD5 present only MD5 counts. */
    sco_id("{\"type\":\"file\",\"hashes\":{\"SHA-256\":"
           "\"effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff6843c3e5da0e698766\"},"
           "\"name\":\"qu\\u00eary.dll\",\"name_enc\":\"windows-1252\"}",
           "file--af406104-9ab8-57c7-9f8e-0898240d684a");
    sco_id("{\"type\":\"file\",\"hashes\":{\"SHA-256\":"
           "\"effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff6843c3e5da0e698766\","
           "\"MD5\":\"3773a88f65a5e780c8dff9cdc3a056f3\"},\"size\":25537}",
           "file--58b737df-921c-51f4-a2ec-a0f68ea8b3d3");
    /* No contributing property at all: a random v4. */
    json_t *p = json_loads("{\"type\":\"process\",\"pid\":1}", 0, NULL);
    char id[KZ_STIX_ID_MAX];
    kz_err err = {0};
    assert_int_equal(kz_stix_sco_id(p, id, sizeof id, &err), 0);
    assert_int_equal(strncmp(id, "process--", 9), 0);
    assert_int_equal(id[9 + 14], '4');
    json_decref(p);
}

static void test_jcs(void **state)
{
    (void)state;
    json_t *j = json_loads("{\"b\":[1,true,null],\"a\":\"x\\n\\u0001\\\"\\u00e9\",\"\\u20ac\":1,"
                           "\"\\ud83d\\ude00\":2,\"\\ufb33\":3}",
                           0, NULL);
    assert_non_null(j);
    kz_buf b;
    kz_buf_init(&b);
    assert_int_equal(kz_stix_jcs(j, &b), 0);
    /* UTF-16 order: U+20AC < U+D83D (the surrogate of U+1F600) < U+FB33. */
    assert_string_equal(b.p, "{\"a\":\"x\\n\\u0001\\\"\xc3\xa9\",\"b\":[1,true,null],"
                             "\"\xe2\x82\xac\":1,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":3}");
    kz_buf_free(&b);
    json_decref(j);
}

static void test_tlp_ids(void **state)
{
    (void)state;
    assert_int_equal(kz_stix_tlp_of_marking("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
                     KZ_TLP_CLEAR);
    assert_int_equal(kz_stix_tlp_of_marking("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
                     KZ_TLP_RED);
    assert_int_equal(kz_stix_tlp_of_marking("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
                     KZ_TLP_AMBER_STRICT);
    assert_int_equal(kz_stix_tlp_of_marking("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db"),
                     -1);
    assert_string_equal(kz_stix_tlp_marking_id(KZ_TLP_GREEN),
                        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
    json_t *m = kz_stix_tlp_marking(KZ_TLP_AMBER_STRICT);
    assert_string_equal(json_string_value(json_object_get(m, "name")), "TLP:AMBER+STRICT");
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    assert_int_equal(kz_stix_validate(m, &a, &err), 0);
    kz_arena_free(&a);
    json_decref(m);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_sco_deterministic_ids),
        cmocka_unit_test(test_jcs),
        cmocka_unit_test(test_tlp_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
