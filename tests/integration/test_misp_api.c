/* test_misp_api.c — the MISP-compatible API over HTTP, as PyMISP-style
 * clients use it: the bare-key Authorization header, response shapes
 * ({"Event":..}, {"response":[..]}, {"response":{"Attribute":[..]}}, a bare
 * index array), restSearch filters (values, types, categories, orgs, tags
 * with "!" and OR/AND/NOT, time, published, to_ids, ids, paging, csv and
 * text), sightings, RelatedEvent and the correlation route — and above all
 * that another org's unpublished or TLP:RED event never shows, not in a
 * search, an index, a view, a correlation or a count. Also `kizuna misp
 * import`: the CLI's fast path (attachments from the text, big events
 * streamed) stores what /events/add stores, all or nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kz_node.h"

static kz_node N;
static char ORG_A[40], ORG_B[40];
static char A_PUB[64], B_PUB[64], B_RO[64], A_RAW[80];
static char EA[40], EB[40], EB_PRIV[40], EB_RED[40];
static char EA_SEQ[16];

#define MD5 "b3c4ae251f8094fa15b510051835c657"

/* events/add with Bearer; returns the uuid and the MISP id. */
static void add_event(const char *key, const char *body, char uuid[40], char *seq)
{
    kz_resp r = kz_post(&N, "/events/add", key, body);
    if (r.status != 200)
        fail_msg("events/add: %ld %s", r.status, r.body);
    snprintf(uuid, 40, "%s", kz_resp_str(&r, "Event.uuid"));
    if (seq)
        snprintf(seq, 16, "%s", kz_resp_str(&r, "Event.id"));
    kz_resp_free(&r);
}

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    kz_resp r = kz_get(&N, "/api/v1/me", N.admin_key);
    if (r.status != 200)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, N.admin_key, "CERT-B", "AU", ORG_B);
    char id[40];
    kz_make_user(&N, N.admin_key, ORG_A, "pub@a.example", "publisher", id, A_PUB);
    kz_make_user(&N, N.admin_key, ORG_B, "pub@b.example", "publisher", id, B_PUB);
    kz_make_user(&N, N.admin_key, ORG_B, "ro@b.example", "read_only", id, B_RO);
    snprintf(A_RAW, sizeof A_RAW, "Raw %s", A_PUB);
    /* A: public (tlp:clear, distribution all, published). */
    add_event(A_RAW,
              "{\"Event\":{\"info\":\"A campaign\",\"distribution\":\"3\",\"published\":true,"
              "\"threat_level_id\":\"1\",\"date\":\"2024-03-01\","
              "\"Orgc\":{\"uuid\":\"11111111-1111-4111-8111-111111111111\",\"name\":\"Spoof\"},"
              "\"Tag\":[{\"name\":\"tlp:clear\"},{\"name\":\"campaign-x\"}],"
              "\"Attribute\":["
              "{\"type\":\"ip-dst\",\"category\":\"Network activity\",\"value\":\"198.51.100.7\"},"
              "{\"type\":\"domain\",\"category\":\"Network activity\",\"value\":\"evil.example\"},"
              "{\"type\":\"md5\",\"category\":\"Payload delivery\",\"value\":\"" MD5 "\","
              "\"Tag\":[{\"name\":\"dropper\"}]},"
              "{\"type\":\"url\",\"category\":\"Network activity\","
              "\"value\":\"http://evil.example/gate.php\",\"to_ids\":false},"
              "{\"type\":\"text\",\"category\":\"Other\",\"value\":\"notes\"}],"
              "\"Object\":[{\"name\":\"file\",\"meta-category\":\"file\","
              "\"uuid\":\"22222222-2222-4222-8222-222222222222\",\"Attribute\":["
              "{\"type\":\"filename\",\"object_relation\":\"filename\","
              "\"value\":\"drop.exe\"}]}]}}",
              EA, EA_SEQ);
    /* B: public too, sharing values with A. */
    add_event(B_PUB,
              "{\"info\":\"B sees the same\",\"distribution\":3,\"published\":true,"
              "\"Tag\":[{\"name\":\"tlp:clear\"}],\"Attribute\":["
              "{\"type\":\"ip-src\",\"value\":\"198.51.100.0/24\"},"
              "{\"type\":\"hostname\",\"value\":\"c2.evil.example\"},"
              "{\"type\":\"md5\",\"value\":\"" MD5 "\"}]}",
              EB, NULL);
    /* B: unpublished; and TLP:RED (published, distribution all). */
    add_event(B_PUB,
              "{\"info\":\"B private\",\"distribution\":0,\"Tag\":[{\"name\":\"tlp:green\"}],"
              "\"Attribute\":[{\"type\":\"md5\",\"value\":\"" MD5 "\"},"
              "{\"type\":\"ip-dst\",\"value\":\"198.51.100.7\"}]}",
              EB_PRIV, NULL);
    add_event(B_PUB,
              "{\"info\":\"B red\",\"distribution\":3,\"published\":true,"
              "\"Tag\":[{\"name\":\"tlp:red\"}],"
              "\"Attribute\":[{\"type\":\"md5\",\"value\":\"" MD5 "\"},"
              "{\"type\":\"ip-dst\",\"value\":\"198.51.100.7\"}]}",
              EB_RED, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

static bool has_uuid(const json_t *arr, const char *member, const char *uuid)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        const json_t *o = member ? json_object_get(x, member) : x;
        const char *u = json_string_value(json_object_get(o, "uuid"));
        if (u && strcmp(u, uuid) == 0)
            return true;
    }
    return false;
}

static kz_resp search(const char *path, const char *key, const char *body)
{
    kz_resp r = kz_post(&N, path, key, body);
    print_message("%s %s\n", path, body);
    return r;
}

/* ---- auth and version ---------------------------------------------------- */

static void test_auth_with_bare_key(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/servers/getVersion", A_RAW);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "version"), "2.4.180");
    assert_true(json_is_true(kz_resp_get(&r, "perm_add")));
    kz_resp_free(&r);
    r = kz_get(&N, "/servers/getVersion", A_PUB); /* Bearer works too */
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&N, "/servers/getVersion", "Raw kz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    r = kz_get(&N, "/servers/getVersion", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    r = kz_post(&N, "/attributes/restSearch", NULL, "{}");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
}

/* ---- events/add and events/view ------------------------------------------- */

static void test_event_add_and_view(void **state)
{
    (void)state;
    kz_resp r = kz_getf(&N, A_RAW, "/events/view/%s", EA_SEQ);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "Event.uuid"), EA);
    assert_string_equal(kz_resp_str(&r, "Event.info"), "A campaign");
    assert_string_equal(kz_resp_str(&r, "Event.date"), "2024-03-01");
    assert_string_equal(kz_resp_str(&r, "Event.distribution"), "3");
    assert_string_equal(kz_resp_str(&r, "Event.threat_level_id"), "1");
    /* the document's Orgc is not kept for a non-sync caller: A made it */
    assert_string_equal(kz_resp_str(&r, "Event.Orgc.uuid"), ORG_A);
    assert_string_equal(kz_resp_str(&r, "Event.Orgc.name"), "CERT-A");
    assert_int_equal(kz_resp_count(&r, "Event.Attribute"), 5);
    assert_int_equal(kz_resp_count(&r, "Event.Object"), 1);
    assert_int_equal(kz_resp_count(&r, "Event.Object.0.Attribute"), 1);
    assert_string_equal(kz_resp_str(&r, "Event.Object.0.Attribute.0.object_relation"), "filename");
    json_t *tags = kz_resp_get(&r, "Event.Tag");
    /* as given: no PAP tag is added for the default PAP */
    assert_int_equal(json_array_size(tags), 2);
    assert_true(kz_resp_list_has(&r, "Event.Tag", "name", "tlp:clear"));
    assert_true(kz_resp_list_has(&r, "Event.Tag", "name", "campaign-x"));
    /* RelatedEvent: B's public event, never the private or the red one */
    json_t *rel = kz_resp_get(&r, "Event.RelatedEvent");
    assert_true(has_uuid(rel, "Event", EB));
    assert_false(has_uuid(rel, "Event", EB_PRIV));
    assert_false(has_uuid(rel, "Event", EB_RED));
    assert_int_equal(json_array_size(rel), 1);
    kz_resp_free(&r);
    /* by UUID too */
    r = kz_getf(&N, A_RAW, "/events/view/%s", EA);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "Event.id"), EA_SEQ);
    kz_resp_free(&r);
    /* another org's unpublished or red event does not exist for A */
    r = kz_getf(&N, A_RAW, "/events/view/%s", EB_PRIV);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, A_RAW, "/events/view/%s", EB_RED);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, B_PUB, "/events/view/%s", EB_PRIV);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&N, "/events/view/999999", A_RAW);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* An attachment big enough for the fast path (read from the body itself,
 * not through jansson) comes back byte for byte, only when asked for. */
static void test_event_add_attachment(void **state)
{
    (void)state;
    size_t n = 20000;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"Event\":{\"info\":\"sample\",\"distribution\":0,"
                    "\"Attribute\":[{\"type\":\"malware-sample\",\"value\":\"s.exe|"
                    "0123456789abcdef0123456789abcdef\",\"data\":\"");
    size_t start = b.len;
    for (size_t i = 0; i < n; i++)
        kz_buf_putc(&b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64]);
    char *data = strndup(b.p + start, n);
    assert_non_null(data);
    kz_buf_puts(&b, "\"}]}}");
    char *body = kz_buf_steal(&b);
    kz_resp r = kz_post(&N, "/events/add", A_PUB, body);
    KZ_EXPECT(r, 200);
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%s", kz_resp_str(&r, "Event.uuid"));
    kz_resp_free(&r);
    r = kz_getf(&N, A_PUB, "/events/view/%s?withAttachments=1", uuid);
    KZ_EXPECT(r, 200);
    const char *got = kz_resp_str(&r, "Event.Attribute.0.data");
    assert_non_null(got);
    assert_int_equal(strlen(got), n);
    assert_string_equal(got, data);
    kz_resp_free(&r);
    r = kz_getf(&N, A_PUB, "/events/view/%s", uuid);
    KZ_EXPECT(r, 200);
    assert_null(kz_resp_get(&r, "Event.Attribute.0.data"));
    kz_resp_free(&r);
    char path[80];
    snprintf(path, sizeof path, "/api/v1/events/%s", uuid);
    r = kz_delete(&N, path, A_PUB);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    free(body);
    free(data);
}

static void test_event_add_refusals(void **state)
{
    (void)state;
    /* read-only may not add */
    kz_resp r = kz_post(&N, "/events/add", B_RO, "{\"info\":\"x\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    /* the same UUID again */
    char body[256];
    snprintf(body, sizeof body, "{\"Event\":{\"uuid\":\"%s\",\"info\":\"again\"}}", EA);
    r = kz_post(&N, "/events/add", A_PUB, body);
    KZ_EXPECT_ERR(r, 409, "conflict", "uuid");
    kz_resp_free(&r);
    /* a bad value names the attribute; nothing is stored */
    r = kz_post(&N, "/events/add", A_PUB,
                "{\"Event\":{\"uuid\":\"33333333-3333-4333-8333-333333333333\",\"info\":\"bad\","
                "\"Attribute\":[{\"type\":\"domain\",\"value\":\"ok.example\"},"
                "{\"type\":\"ip-dst\",\"value\":\"300.1.2.3\"}]}}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "Attribute[1]");
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "'300.1.2.3'"));
    kz_resp_free(&r);
    r = kz_get(&N, "/events/view/33333333-3333-4333-8333-333333333333", A_PUB);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, "/events/add", A_PUB, "{\"Event\":{\"info\":\"x\",\"distribution\":\"9\"}}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "distribution");
    kz_resp_free(&r);
    r = kz_post(&N, "/events/add", A_PUB, "{\"Event\": [}");
    KZ_EXPECT_ERR(r, 400, "invalid", "*");
    kz_resp_free(&r);
    kz_resp t;
    kz_http(&N, "POST", "/events/add", A_PUB, "text/plain", "x", 1, &t);
    KZ_EXPECT_ERR(t, 415, "unsupported_media_type", "Content-Type");
    kz_resp_free(&t);
    /* one event per request: an array of two is refused whole */
    r = kz_post(&N, "/events/add", A_PUB,
                "[{\"Event\":{\"uuid\":\"44444444-4444-4444-8444-444444444441\",\"info\":\"one\"}},"
                "{\"Event\":{\"uuid\":\"44444444-4444-4444-8444-444444444442\",\"info\":\"two\"}}]");
    KZ_EXPECT_ERR(r, 422, "invalid_value", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "holds 2 events"));
    kz_resp_free(&r);
    r = kz_get(&N, "/events/view/44444444-4444-4444-8444-444444444441", A_PUB);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* A body of n domain attributes (streamed past 10,000: stored while the
 * rest is parsed); the last one's value is last_value. */
static char *big_event(const char *uuid, size_t n, const char *last_value)
{
    size_t cap = 128 + n * 64 + strlen(last_value);
    char *b = malloc(cap);
    assert_non_null(b);
    size_t k = (size_t)snprintf(b, cap, "{\"Event\":{\"uuid\":\"%s\",\"info\":\"big\",\"Attribute\":[",
                                uuid);
    for (size_t i = 0; i + 1 < n; i++)
        k += (size_t)snprintf(b + k, cap - k, "{\"type\":\"domain\",\"value\":\"h%zu.big.example\"},",
                              i);
    snprintf(b + k, cap - k, "{\"type\":\"ip-dst\",\"value\":\"%s\"}]}}", last_value);
    return b;
}

/* events/add takes a big event down the import path of files and feeds,
 * all or nothing: a bad value in its last attribute leaves nothing, a good
 * one stores every attribute. */
static void test_event_add_big(void **state)
{
    (void)state;
    const size_t n = 20000;
    char *bad = big_event("55555555-5555-4555-8555-555555555551", n, "300.1.2.3");
    kz_resp r = kz_post(&N, "/events/add", A_PUB, bad);
    free(bad);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "Attribute[19999]");
    kz_resp_free(&r);
    r = kz_get(&N, "/events/view/55555555-5555-4555-8555-555555555551", A_PUB);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    char *good = big_event("55555555-5555-4555-8555-555555555552", n, "198.51.100.77");
    r = kz_post(&N, "/events/add", A_PUB, good);
    free(good);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_array_size(kz_resp_get(&r, "Event.Attribute")), n);
    assert_string_equal(kz_resp_str(&r, "Event.Orgc.uuid"), ORG_A);
    kz_resp_free(&r);
}

/* ---- attributes/restSearch ------------------------------------------------------ */

static long count_attrs(const char *key, const char *body)
{
    kz_resp r = search("/attributes/restSearch", key, body);
    KZ_EXPECT(r, 200);
    long n = kz_resp_count(&r, "response.Attribute");
    kz_resp_free(&r);
    return n;
}

static void test_attributes_search_acl(void **state)
{
    (void)state;
    kz_resp r = search("/attributes/restSearch", A_RAW, "{\"value\":\"" MD5 "\"}");
    KZ_EXPECT(r, 200);
    json_t *attrs = kz_resp_get(&r, "response.Attribute");
    /* A's own and B's public one; never B's private or red ones */
    assert_int_equal(json_array_size(attrs), 2);
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *ev = json_string_value(json_object_get(json_object_get(a, "Event"), "uuid"));
        assert_true(strcmp(ev, EA) == 0 || strcmp(ev, EB) == 0);
        assert_string_equal(json_string_value(json_object_get(a, "type")), "md5");
        assert_string_equal(json_string_value(json_object_get(a, "value")), MD5);
    }
    kz_resp_free(&r);
    /* B's reader sees B's private one, but not the red one (it names only
     * its creator); the creator sees all four */
    assert_int_equal(count_attrs(B_RO, "{\"value\":\"" MD5 "\"}"), 3);
    assert_int_equal(count_attrs(B_PUB, "{\"value\":\"" MD5 "\"}"), 4);
    /* the value normalised (upper case hash) */
    assert_int_equal(count_attrs(A_PUB, "{\"value\":\"B3C4AE251F8094FA15B510051835C657\"}"), 2);
    /* no filter at all: only what A may see */
    r = search("/attributes/restSearch", A_PUB, "{}");
    KZ_EXPECT(r, 200);
    attrs = kz_resp_get(&r, "response.Attribute");
    json_array_foreach(attrs, i, a) {
        const char *ev = json_string_value(json_object_get(json_object_get(a, "Event"), "uuid"));
        assert_true(strcmp(ev, EB_PRIV) != 0 && strcmp(ev, EB_RED) != 0);
    }
    assert_int_equal(json_array_size(attrs), 9);
    kz_resp_free(&r);
}

static void test_attributes_search_filters(void **state)
{
    (void)state;
    assert_int_equal(count_attrs(A_PUB, "{\"type\":\"md5\"}"), 2);
    assert_int_equal(count_attrs(A_PUB, "{\"type\":[\"ip-dst\",\"ip-src\"]}"), 2);
    assert_int_equal(count_attrs(A_PUB, "{\"type\":{\"NOT\":[\"md5\",\"text\"]}}"), 6);
    /* the md5s, and the filename (MISP's default category for its type) */
    assert_int_equal(count_attrs(A_PUB, "{\"category\":\"Payload delivery\"}"), 3);
    assert_int_equal(count_attrs(A_PUB, "{\"org\":\"CERT-B\"}"), 3);
    assert_int_equal(count_attrs(A_PUB, "{\"org\":\"!CERT-B\"}"), 6);
    /* tags: event tag, attribute tag, negation, AND, NOT */
    assert_int_equal(count_attrs(A_PUB, "{\"tags\":\"campaign-x\"}"), 6);
    assert_int_equal(count_attrs(A_PUB, "{\"tags\":[\"dropper\"]}"), 1);
    assert_int_equal(count_attrs(A_PUB, "{\"tags\":[\"!campaign-x\"]}"), 3);
    assert_int_equal(count_attrs(A_PUB, "{\"tags\":{\"AND\":[\"campaign-x\",\"dropper\"]}}"), 1);
    assert_int_equal(
        count_attrs(A_PUB, "{\"tags\":{\"OR\":[\"campaign-x\"],\"NOT\":[\"dropper\"]}}"), 5);
    assert_int_equal(count_attrs(A_PUB, "{\"tags\":\"tlp:clear\"}"), 9);
    assert_int_equal(count_attrs(A_PUB, "{\"to_ids\":false}"), 2); /* the url and the text */
    assert_int_equal(count_attrs(A_PUB, "{\"published\":true,\"type\":\"domain\"}"), 1);
    char body[256];
    snprintf(body, sizeof body, "{\"eventid\":\"%s\"}", EA_SEQ);
    assert_int_equal(count_attrs(A_PUB, body), 6);
    snprintf(body, sizeof body, "{\"eventid\":\"%s\"}", EB_RED);
    assert_int_equal(count_attrs(A_PUB, body), 0);
    snprintf(body, sizeof body, "{\"uuid\":\"%s\"}", EB);
    assert_int_equal(count_attrs(A_PUB, body), 3);
    assert_int_equal(count_attrs(A_PUB, "{\"from\":\"2024-03-01\",\"to\":\"2024-03-01\"}"), 6);
    assert_int_equal(count_attrs(A_PUB, "{\"to\":\"2024-02-28\"}"), 0);
    assert_int_equal(count_attrs(A_PUB, "{\"last\":\"1d\"}"), 9);
    /* paging */
    assert_int_equal(count_attrs(A_PUB, "{\"limit\":4,\"page\":1}"), 4);
    assert_int_equal(count_attrs(A_PUB, "{\"limit\":4,\"page\":3}"), 1);
    /* wrapped in "request", as some clients send it */
    assert_int_equal(count_attrs(A_PUB, "{\"request\":{\"type\":\"hostname\"}}"), 1);
    /* bad parameters */
    kz_resp r = search("/attributes/restSearch", A_PUB, "{\"returnFormat\":\"stix\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "returnFormat");
    kz_resp_free(&r);
    r = search("/attributes/restSearch", A_PUB, "{\"limit\":0}");
    KZ_EXPECT_ERR(r, 400, "invalid", "limit");
    kz_resp_free(&r);
    r = search("/attributes/restSearch", A_PUB, "{\"to_ids\":\"maybe\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "to_ids");
    kz_resp_free(&r);
    r = search("/attributes/restSearch", A_PUB, "{\"from\":\"yesterday\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "from");
    kz_resp_free(&r);
}

static void test_attributes_search_csv_text(void **state)
{
    (void)state;
    kz_resp r = search("/attributes/restSearch", A_PUB,
                       "{\"value\":\"" MD5 "\",\"returnFormat\":\"csv\"}");
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.content_type, "text/csv"));
    const char *hdr = "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,"
                      "attribute_tag,object_uuid,object_name,object_meta_category\n";
    assert_true(strncmp(r.body, hdr, strlen(hdr)) == 0);
    assert_non_null(strstr(r.body, ",\"Payload delivery\",\"md5\",\"" MD5 "\",\"\",1,"));
    assert_non_null(strstr(r.body, ",\"dropper\","));
    size_t lines = 0;
    for (const char *p = r.body; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    kz_resp_free(&r);
    r = search("/attributes/restSearch", A_PUB, "{\"type\":\"domain\",\"returnFormat\":\"text\"}");
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_string_equal(r.body, "evil.example\n");
    kz_resp_free(&r);
}

/* ---- events/restSearch and events/index --------------------------------------------- */

/* ---- '%' patterns and composite parts --------------------------------------- */

#define LOADER_SHA "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

/* Number of attributes for a restSearch body, and whether one of them has
 * this value (NULL: not checked). */
static long hits_with(const char *key, const char *body, const char *value)
{
    kz_resp r = search("/attributes/restSearch", key, body);
    KZ_EXPECT(r, 200);
    long n = kz_resp_count(&r, "response.Attribute");
    bool has = !value || kz_resp_list_has(&r, "response.Attribute", "value", value);
    if (!has)
        print_message("no '%s' in %s\n", value, r.body);
    kz_resp_free(&r);
    assert_true(has);
    return n;
}

static void test_attributes_search_patterns(void **state)
{
    (void)state;
    char ev[40];
    add_event(A_PUB,
              "{\"info\":\"composites\",\"distribution\":3,\"published\":true,"
              "\"Tag\":[{\"name\":\"tlp:clear\"}],\"Attribute\":["
              "{\"type\":\"filename|sha256\",\"value\":\"evil-loader.exe|" LOADER_SHA "\"},"
              "{\"type\":\"ip-dst|port\",\"value\":\"203.0.113.9|8080\"},"
              "{\"type\":\"domain|ip\",\"value\":\"pattern.example|203.0.113.10\"}]}",
              ev, NULL);
    /* a prefix: A's address and B's public network, not B's hidden copies */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"198.51.100.%\"}", "198.51.100.7"), 2);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"198.51.100.%\"}", "198.51.100.0/24"), 2);
    /* B's reader sees B's private copy too, never the red one */
    assert_int_equal(hits_with(B_RO, "{\"value\":\"198.51.100.%\"}", NULL), 3);
    /* a domain suffix: the host under it, not the domain itself */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%.evil.example\"}", "c2.evil.example"), 1);
    /* the same for host names only (answered from the domain index) */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%.evil.example\",\"type\":\"hostname\"}",
                               "c2.evil.example"),
                     1);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%evil.example\",\"type\":\"domain\"}",
                               "evil.example"),
                     1);
    /* a path ending: the URL */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%.php\"}", "http://evil.example/gate.php"),
                     1);
    /* letters in either case, as MISP's LIKE */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%.EVIL.Example\"}", "c2.evil.example"), 1);
    /* anywhere in the value (a scan): the domain, the host and the URL */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%evil.example%\"}",
                               "http://evil.example/gate.php"),
                     3);
    /* in a pattern, '_' is one character; without a '%' it is itself */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"198.51.1_0.7%\"}", "198.51.100.7"), 1);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"198.51.1_.7%\"}", NULL), 0);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"_98.51.100.7\"}", NULL), 0);
    /* a prefix that may begin a name finds names too (they are not in the
     * value index) and composite values starting with it */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"evil%\"}", "evil.example"), 2);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"evil%\"}",
                               "evil-loader.exe|" LOADER_SHA),
                     2);
    /* no match at all */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"%nowhere-at-all%\"}", NULL), 0);
    /* a negated pattern and a negated value */
    assert_int_equal(hits_with(A_PUB, "{\"value\":[\"198.51.100.%\",\"!198.51.100.0/24\"]}",
                               "198.51.100.7"),
                     1);
    assert_int_equal(hits_with(A_PUB, "{\"value\":[\"%evil.example%\",\"!%.php\"]}", NULL), 2);
    /* the parts of composite values, as MISP's value1 / value2 */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"evil-loader.exe\"}",
                               "evil-loader.exe|" LOADER_SHA),
                     1);
    /* the hash part, also written in upper case */
    char body[200];
    snprintf(body, sizeof body, "{\"value\":\"%s\"}", LOADER_SHA);
    assert_int_equal(hits_with(A_PUB, body, "evil-loader.exe|" LOADER_SHA), 1);
    char upper[65];
    for (size_t i = 0; i < 64; i++)
        upper[i] = (char)(LOADER_SHA[i] >= 'a' ? LOADER_SHA[i] - 32 : LOADER_SHA[i]);
    upper[64] = 0;
    snprintf(body, sizeof body, "{\"value\":\"%s\",\"type\":\"filename|sha256\"}", upper);
    assert_int_equal(hits_with(A_PUB, body, "evil-loader.exe|" LOADER_SHA), 1);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"203.0.113.9\"}", "203.0.113.9|8080"), 1);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"203.0.113.10\"}",
                               "pattern.example|203.0.113.10"),
                     1);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"pattern.example\"}",
                               "pattern.example|203.0.113.10"),
                     1);
    /* a part is a whole part, not a prefix of one */
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"evil-loader\"}", NULL), 0);
    assert_int_equal(hits_with(A_PUB, "{\"value\":\"203.0.113.1\"}", NULL), 0);
    /* events/restSearch takes the same values */
    kz_resp r = search("/events/restSearch", A_PUB, "{\"value\":\"%.evil.example\"}");
    KZ_EXPECT(r, 200);
    assert_true(has_uuid(kz_resp_get(&r, "response"), "Event", EB));
    assert_int_equal(kz_resp_count(&r, "response"), 1);
    kz_resp_free(&r);
    r = search("/events/restSearch", A_PUB, "{\"value\":\"evil-loader.exe\"}");
    KZ_EXPECT(r, 200);
    assert_true(has_uuid(kz_resp_get(&r, "response"), "Event", ev));
    assert_int_equal(kz_resp_count(&r, "response"), 1);
    kz_resp_free(&r);
    /* a pattern too long to be a value finds nothing, and says nothing */
    char *big = malloc(9100);
    assert_non_null(big);
    memcpy(big, "{\"value\":\"%", 11);
    memset(big + 11, 'a', 9000);
    memcpy(big + 9011, "\"}", 3);
    assert_int_equal(hits_with(A_PUB, big, NULL), 0);
    free(big);
    snprintf(body, sizeof body, "/api/v1/events/%s", ev);
    r = kz_delete(&N, body, A_PUB);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
}

static void test_events_search_and_index(void **state)
{
    (void)state;
    kz_resp r = search("/events/restSearch", A_RAW, "{\"value\":\"198.51.100.7\"}");
    KZ_EXPECT(r, 200);
    json_t *list = kz_resp_get(&r, "response");
    assert_int_equal(json_array_size(list), 1);
    assert_true(has_uuid(list, "Event", EA));
    kz_resp_free(&r);
    r = search("/events/restSearch", B_RO, "{\"value\":\"198.51.100.7\"}");
    KZ_EXPECT(r, 200);
    list = kz_resp_get(&r, "response");
    assert_int_equal(json_array_size(list), 2); /* A's, and B's own private */
    assert_true(has_uuid(list, "Event", EB_PRIV));
    assert_false(has_uuid(list, "Event", EB_RED));
    kz_resp_free(&r);
    r = search("/events/restSearch", A_PUB, "{\"tags\":\"campaign-x\"}");
    KZ_EXPECT(r, 200);
    list = kz_resp_get(&r, "response");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(json_array_get(list, 0), "Event"), "Attribute")),
                     5);
    kz_resp_free(&r);
    /* the index: a bare array, only visible events */
    r = kz_get(&N, "/events/index", A_RAW);
    KZ_EXPECT(r, 200);
    assert_true(json_is_array(r.json));
    assert_true(has_uuid(r.json, NULL, EA));
    assert_true(has_uuid(r.json, NULL, EB));
    assert_false(has_uuid(r.json, NULL, EB_PRIV));
    assert_false(has_uuid(r.json, NULL, EB_RED));
    size_t i;
    json_t *e;
    json_array_foreach(r.json, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "uuid")), EA) == 0)
            assert_string_equal(json_string_value(json_object_get(e, "attribute_count")), "6");
    }
    kz_resp_free(&r);
    r = search("/events/index", A_PUB, "{\"org\":\"CERT-B\"}");
    KZ_EXPECT(r, 200);
    assert_int_equal(json_array_size(r.json), 1);
    assert_true(has_uuid(r.json, NULL, EB));
    kz_resp_free(&r);
    r = search("/events/index", B_RO, "{\"published\":false}");
    KZ_EXPECT(r, 200);
    assert_true(has_uuid(r.json, NULL, EB_PRIV));
    assert_false(has_uuid(r.json, NULL, EA));
    kz_resp_free(&r);
}

/* ---- sightings ---------------------------------------------------------------- */

static void test_sightings(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/sightings/add", A_RAW,
                        "{\"value\":\"evil.example\",\"source\":\"sensor-7\",\"type\":\"0\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "Sighting.source"), "sensor-7");
    assert_string_equal(kz_resp_str(&r, "Sighting.org_uuid"), ORG_A);
    const char *attr = kz_resp_str(&r, "Sighting.attribute_uuid");
    char ind[40];
    snprintf(ind, sizeof ind, "%s", attr);
    kz_resp_free(&r);
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s/sightings", ind);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "sightings"), 1);
    kz_resp_free(&r);
    /* by uuid, false positive */
    char body[200];
    snprintf(body, sizeof body, "{\"uuid\":\"%s\",\"type\":1}", ind);
    r = kz_post(&N, "/sightings/add", A_PUB, body);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "Sighting.type"), "1");
    kz_resp_free(&r);
    /* a value only in events A cannot see: nothing to sight */
    r = kz_post(&N, "/sightings/add", B_PUB,
                "{\"values\":[\"c2.evil.example\"],\"source\":\"x\"}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    kz_resp q = kz_post(&N, "/attributes/restSearch", B_PUB, "{\"value\":\"" MD5 "\"}");
    json_t *attrs = kz_resp_get(&q, "response.Attribute");
    const char *red_attr = NULL;
    size_t i;
    json_t *a;
    char priv[40] = "";
    json_array_foreach(attrs, i, a) {
        const char *ev = json_string_value(json_object_get(json_object_get(a, "Event"), "uuid"));
        if (strcmp(ev, EB_PRIV) == 0)
            snprintf(priv, sizeof priv, "%s", json_string_value(json_object_get(a, "uuid")));
    }
    (void)red_attr;
    kz_resp_free(&q);
    assert_true(priv[0]);
    snprintf(body, sizeof body, "{\"uuid\":\"%s\"}", priv);
    r = kz_post(&N, "/sightings/add", A_PUB, body);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, "/sightings/add", A_PUB, "{\"value\":\"nowhere.example\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, "/sightings/add", A_PUB, "{\"value\":\"evil.example\",\"type\":7}");
    KZ_EXPECT_ERR(r, 400, "invalid", "type");
    kz_resp_free(&r);
    r = kz_post(&N, "/sightings/add", A_PUB, "{\"source\":\"x\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    kz_resp_free(&r);
}

/* ---- correlation ------------------------------------------------------------------- */

static const char *attr_uuid(const char *key, const char *event, const char *type)
{
    static char out[40];
    char body[256];
    snprintf(body, sizeof body, "{\"eventid\":\"%s\",\"type\":\"%s\"}", event, type);
    kz_resp r = kz_post(&N, "/attributes/restSearch", key, body);
    snprintf(out, sizeof out, "%s", kz_resp_str(&r, "response.Attribute.0.uuid"));
    kz_resp_free(&r);
    return out;
}

static const json_t *corr_of(const kz_resp *r, const char *event)
{
    size_t i;
    json_t *c;
    json_array_foreach(kz_resp_get(r, "correlations"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "event_id")), event) == 0)
            return c;
    }
    return NULL;
}

static void test_correlations(void **state)
{
    (void)state;
    /* the same md5 in B's public, private and red events: only the public counts */
    kz_resp r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s/correlations",
                        attr_uuid(A_PUB, EA, "md5"));
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "events")), 1);
    const json_t *c = corr_of(&r, EB);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "match")), "exact");
    assert_string_equal(json_string_value(json_object_get(c, "org_id")), ORG_B);
    assert_null(corr_of(&r, EB_PRIV));
    assert_null(corr_of(&r, EB_RED));
    assert_false(json_is_true(kz_resp_get(&r, "over_correlating")));
    kz_resp_free(&r);
    /* B's reader sees B's private copy too, never the red one */
    r = kz_getf(&N, B_RO, "/api/v1/indicators/%s/correlations", attr_uuid(B_RO, EB, "md5"));
    KZ_EXPECT(r, 200);
    assert_non_null(corr_of(&r, EA));
    assert_non_null(corr_of(&r, EB_PRIV));
    assert_null(corr_of(&r, EB_RED));
    assert_int_equal(json_integer_value(kz_resp_get(&r, "events")), 2);
    kz_resp_free(&r);
    /* an address inside a reported network */
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s/correlations", attr_uuid(A_PUB, EA, "ip-dst"));
    KZ_EXPECT(r, 200);
    c = corr_of(&r, EB);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "match")), "cidr");
    assert_string_equal(json_string_value(json_object_get(c, "value")), "198.51.100.0/24");
    assert_int_equal(json_integer_value(kz_resp_get(&r, "events")), 1);
    kz_resp_free(&r);
    /* and the network, seen from B: the address inside it */
    r = kz_getf(&N, B_PUB, "/api/v1/indicators/%s/correlations", attr_uuid(B_PUB, EB, "ip-src"));
    KZ_EXPECT(r, 200);
    c = corr_of(&r, EA);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "match")), "contains");
    kz_resp_free(&r);
    /* a subdomain of a reported domain, both ways */
    r = kz_getf(&N, B_PUB, "/api/v1/indicators/%s/correlations",
                attr_uuid(B_PUB, EB, "hostname"));
    KZ_EXPECT(r, 200);
    c = corr_of(&r, EA);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "match")), "subdomain");
    assert_string_equal(json_string_value(json_object_get(c, "value")), "evil.example");
    kz_resp_free(&r);
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s/correlations", attr_uuid(A_PUB, EA, "domain"));
    KZ_EXPECT(r, 200);
    c = corr_of(&r, EB);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "value")), "c2.evil.example");
    assert_string_equal(json_string_value(json_object_get(c, "match")), "contains");
    kz_resp_free(&r);
    /* an indicator A may not see: 404 */
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s/correlations",
                attr_uuid(B_PUB, EB_PRIV, "md5"));
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* The indicator of the native event view (GET /api/v1/events/{id}) with
 * this value, or NULL. */
static const json_t *view_ind(const kz_resp *r, const char *value)
{
    size_t i;
    json_t *x;
    json_array_foreach(kz_resp_get(r, "indicators"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "value")), value) == 0)
            return x;
    }
    return NULL;
}

static long count_of(const kz_resp *r, const char *value)
{
    const json_t *x = view_ind(r, value);
    assert_non_null(x);
    const json_t *c = json_object_get(x, "correlation_count");
    return c ? (long)json_integer_value(c) : -1;
}

/* The count of value in event as key sees it, once the background index
 * has caught up with the store (want), or what it is after 10 s. */
static long count_when(const char *key, const char *event, const char *value, long want)
{
    long got = -1;
    for (int tries = 0; tries < 100; tries++) {
        kz_resp r = kz_getf(&N, key, "/api/v1/events/%s", event);
        KZ_EXPECT(r, 200);
        got = count_of(&r, value);
        kz_resp_free(&r);
        if (got == want)
            break;
        usleep(100 * 1000);
    }
    return got;
}

/* Inline counts on the native event view: per indicator, the other events
 * the caller may see that share it; hidden events never count. */
static void test_event_view_counts(void **state)
{
    (void)state;
    kz_resp r = kz_getf(&N, A_PUB, "/api/v1/events/%s", EA);
    KZ_EXPECT(r, 200);
    /* md5: in B's public, private and red events; A sees only the public */
    assert_int_equal(count_of(&r, MD5), 1);
    /* the address: inside B's public network (B's private and red copies of
     * the address itself are hidden) */
    assert_int_equal(count_of(&r, "198.51.100.7"), 1);
    /* the domain: B's public host under it */
    assert_int_equal(count_of(&r, "evil.example"), 1);
    /* shared with no other event */
    assert_int_equal(count_of(&r, "drop.exe"), 0);
    /* free text is not correlated: no count at all */
    const json_t *text = view_ind(&r, "notes");
    assert_non_null(text);
    assert_null(json_object_get(text, "correlation_count"));
    assert_null(json_object_get(text, "over_correlating"));
    assert_null(json_object_get(view_ind(&r, MD5), "over_correlating"));
    kz_resp_free(&r);
    /* B's reader sees B's private copy too (2), never the red one */
    assert_int_equal(count_when(B_RO, EB, MD5, 2), 2);

    /* One more event of B's that A may not see, sharing the md5 and the
     * address: B's count grows (so the index has it), A's does not. */
    char hidden[40];
    add_event(B_PUB,
              "{\"info\":\"B private 2\",\"distribution\":0,\"Tag\":[{\"name\":\"tlp:green\"}],"
              "\"Attribute\":[{\"type\":\"md5\",\"value\":\"" MD5 "\"},"
              "{\"type\":\"ip-dst\",\"value\":\"198.51.100.7\"}]}",
              hidden, NULL);
    assert_int_equal(count_when(B_RO, EB, MD5, 3), 3);
    r = kz_getf(&N, A_PUB, "/api/v1/events/%s", EA);
    KZ_EXPECT(r, 200);
    assert_int_equal(count_of(&r, MD5), 1);
    assert_int_equal(count_of(&r, "198.51.100.7"), 1);
    kz_resp_free(&r);
    /* the MISP view agrees: one related event for A */
    r = kz_getf(&N, A_PUB, "/events/view/%s", EA);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "Event.RelatedEvent"), 1);
    kz_resp_free(&r);
    char path[80];
    snprintf(path, sizeof path, "/api/v1/events/%s", hidden);
    r = kz_delete(&N, path, B_PUB);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
}

/* More visible events than the limit (20) share a value: marked, not listed. */
static void test_over_correlation(void **state)
{
    (void)state;
    for (int i = 0; i < 22; i++) {
        char body[300], id[40];
        snprintf(body, sizeof body,
                 "{\"info\":\"scanner %d\",\"distribution\":3,\"published\":true,"
                 "\"Tag\":[{\"name\":\"tlp:clear\"}],\"Attribute\":[{\"type\":\"ip-src\","
                 "\"value\":\"192.0.2.200\"}]}",
                 i);
        add_event(i % 2 ? A_PUB : B_PUB, body, id, NULL);
    }
    kz_resp q = kz_post(&N, "/attributes/restSearch", A_PUB, "{\"value\":\"192.0.2.200\"}");
    assert_int_equal(kz_resp_count(&q, "response.Attribute"), 22);
    char ind[40];
    snprintf(ind, sizeof ind, "%s", kz_resp_str(&q, "response.Attribute.0.uuid"));
    kz_resp_free(&q);
    /* The correlation index is rebuilt in the background, at most a tenth
     * of a core's time: the new events show within a few seconds. */
    kz_resp r;
    for (int tries = 0;; tries++) {
        r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s/correlations", ind);
        KZ_EXPECT(r, 200);
        if (json_is_true(kz_resp_get(&r, "over_correlating")) || tries == 100)
            break;
        kz_resp_free(&r);
        usleep(100 * 1000);
    }
    assert_true(json_is_true(kz_resp_get(&r, "over_correlating")));
    assert_int_equal(kz_resp_count(&r, "correlations"), 0);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "limit")), 20);
    kz_resp_free(&r);
    /* the native event view marks the value instead of counting it */
    r = kz_getf(&N, A_PUB, "/api/v1/indicators/%s", ind);
    KZ_EXPECT(r, 200);
    char ev[40];
    snprintf(ev, sizeof ev, "%s", kz_resp_str(&r, "event_id"));
    kz_resp_free(&r);
    r = kz_getf(&N, A_PUB, "/api/v1/events/%s", ev);
    KZ_EXPECT(r, 200);
    const json_t *x = view_ind(&r, "192.0.2.200");
    assert_non_null(x);
    assert_true(json_is_true(json_object_get(x, "over_correlating")));
    assert_null(json_object_get(x, "correlation_count"));
    kz_resp_free(&r);
}

/* ---- kizuna misp import: the CLI's fast path ------------------------------------ */

static kz_node M; /* a second node's database, for the CLI only (never served) */

/* Runs kizuna with args (stdout dropped); its stderr in err. The exit status. */
static int run_cli(const char *const *args, char *err, size_t n)
{
    const char *argv[32];
    size_t k = 0;
    argv[k++] = getenv("KIZUNA_BIN");
    for (size_t i = 0; args[i] && k < 31; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.txt", M.dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_WRONLY);
        if (fd < 0 || nul < 0)
            _exit(126);
        dup2(fd, 2);
        dup2(nul, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(err, 1, n - 1, f) : 0;
    err[got] = 0;
    if (f)
        fclose(f);
    print_message("kizuna %s %s -> %d: %s", args[0], args[1], WEXITSTATUS(st), err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The event as `kizuna export --format misp` writes it from db, or NULL. */
static json_t *exported_event(const char *db, const char *uuid)
{
    char out[600];
    snprintf(out, sizeof out, "%s/export.json", M.dir);
    const char *args[] = {"export", "--db", db, "--format", "misp", "--event", uuid,
                          "--out", out, NULL};
    char err[2048];
    if (run_cli(args, err, sizeof err) != 0)
        return NULL;
    json_error_t je;
    json_t *j = json_load_file(out, 0, &je);
    json_t *ev = json_object_get(json_array_get(json_object_get(j, "response"), 0), "Event");
    json_incref(ev);
    json_decref(j);
    return ev;
}

/* uuid -> attribute, top level and in objects, without the node-local ids. */
static json_t *attrs_by_uuid(const json_t *ev)
{
    json_t *m = json_object();
    const json_t *lists[2] = {json_object_get(ev, "Attribute"), NULL};
    size_t i, k;
    json_t *a, *o;
    json_array_foreach(json_object_get(ev, "Object"), k, o) {
        lists[1] = json_object_get(o, "Attribute");
        for (int l = k ? 1 : 0; l < 2; l++) {
            json_array_foreach(lists[l], i, a) {
                json_t *c = json_deep_copy(a);
                json_object_del(c, "id");
                json_object_del(c, "event_id");
                json_object_del(c, "object_id");
                json_object_set_new(m, json_string_value(json_object_get(a, "uuid")), c);
            }
        }
    }
    return m;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* very_long_event.json (64 attributes, two attachments of 330 KB of base64)
 * through the CLI and through /events/add: every attribute the same in the
 * two exports, the attachments byte for byte the file's. */
static void test_cli_import_like_api(void **state)
{
    (void)state;
    char path[1024];
    if (!kz_test_data_path("misp/very_long_event.json", path, sizeof path))
        skip();
    size_t len;
    char *text = slurp(path, &len);
    kz_resp r = kz_post(&N, "/events/add", A_PUB, text);
    KZ_EXPECT(r, 200);
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%s", kz_resp_str(&r, "Event.uuid"));
    kz_resp_free(&r);
    char err[4096];
    const char *imp[] = {"misp", "import", "--db", M.db, "--quiet", path, NULL};
    assert_int_equal(run_cli(imp, err, sizeof err), 0);
    assert_non_null(strstr(err, "(64 attributes)"));
    json_t *api = exported_event(N.db, uuid), *cli = exported_event(M.db, uuid);
    assert_non_null(api);
    assert_non_null(cli);
    json_t *a = attrs_by_uuid(api), *c = attrs_by_uuid(cli);
    assert_int_equal(json_object_size(a), 64);
    assert_int_equal(json_object_size(c), 64);
    json_t *src = json_loads(text, 0, NULL);
    json_t *srcs = attrs_by_uuid(json_object_get(src, "Event"));
    const char *k;
    json_t *x;
    size_t attachments = 0;
    json_object_foreach(a, k, x) {
        json_t *y = json_object_get(c, k);
        if (!json_equal(x, y)) {
            char *sx = json_dumps(x, JSON_SORT_KEYS), *sy = y ? json_dumps(y, JSON_SORT_KEYS) : NULL;
            fail_msg("attribute %s: API %.300s, CLI %.300s", k, sx, sy ? sy : "(none)");
        }
        const char *data = json_string_value(json_object_get(y, "data"));
        if (data) {
            attachments++;
            const char *want = json_string_value(json_object_get(json_object_get(srcs, k), "data"));
            assert_non_null(want);
            assert_true(strlen(data) > 100000 && strcmp(data, want) == 0);
        }
    }
    assert_int_equal(attachments, 2);
    json_decref(srcs);
    json_decref(src);
    json_decref(a);
    json_decref(c);
    json_decref(api);
    json_decref(cli);
    free(text);
}

/* A synthetic n-attribute event (uuid ev, md5 values; bad: attribute bad_at
 * has an invalid md5), with one object at the end, written to a file. */
static void write_big_event(const char *file, const char *ev, size_t n, long bad_at)
{
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "{\"Event\":{\"uuid\":\"%s\",\"info\":\"big\",\"distribution\":\"1\","
               "\"timestamp\":\"1704067200\",\"Orgc\":{\"uuid\":"
               "\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"
               "\"Tag\":[{\"name\":\"tlp:green\"}],\"Attribute\":[", ev);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s{\"type\":\"md5\",\"value\":\"%s%032zx\",\"uuid\":"
                   "\"%.8s-0000-4000-8000-%012zx\",\"to_ids\":true}",
                i ? "," : "", (long)i == bad_at ? "xyz" : "", i, ev, i);
    fprintf(f, "],\"Object\":[{\"name\":\"file\",\"meta-category\":\"file\",\"Attribute\":["
               "{\"type\":\"filename\",\"object_relation\":\"filename\",\"value\":\"a.exe\"}]}]}}");
    assert_int_equal(fclose(f), 0);
}

/* A big event goes the streamed way (parsed on a second thread while it is
 * stored): every attribute stored; one bad attribute near the end stores
 * nothing at all and is named. */
static void test_cli_import_big_event(void **state)
{
    (void)state;
    const char *ev = "0b1c0000-1111-4222-8333-444455556666";
    const char *bad = "0bad0000-1111-4222-8333-444455556666";
    size_t n = 12000;
    char file[600], err[4096];
    snprintf(file, sizeof file, "%s/big.json", M.dir);
    write_big_event(file, ev, n, -1);
    const char *imp[] = {"misp", "import", "--db", M.db, "--quiet", file, NULL};
    assert_int_equal(run_cli(imp, err, sizeof err), 0);
    assert_non_null(strstr(err, "(12001 attributes)"));
    json_t *e = exported_event(M.db, ev);
    assert_non_null(e);
    json_t *m = attrs_by_uuid(e);
    assert_int_equal(json_object_size(m), n + 1);
    char u[40], v[40];
    for (size_t i = 0; i < n; i += 1999) {
        snprintf(u, sizeof u, "0b1c0000-0000-4000-8000-%012zx", i);
        snprintf(v, sizeof v, "%032zx", i);
        assert_string_equal(json_string_value(json_object_get(json_object_get(m, u), "value")), v);
    }
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(e, "Object"), 0),
                                                     "Attribute")),
                     1);
    json_decref(m);
    json_decref(e);
    write_big_event(file, bad, n, 11000);
    assert_int_not_equal(run_cli(imp, err, sizeof err), 0);
    assert_non_null(strstr(err, "Attribute[11000]"));
    assert_non_null(strstr(err, "nothing was imported"));
    assert_null(exported_event(M.db, bad));
}

/* Documents with several events, and sharing group lists, through the same
 * path: an error names the event; nothing of the document is stored. */
static void test_cli_import_documents(void **state)
{
    (void)state;
    char file[600], err[4096];
    snprintf(file, sizeof file, "%s/two.json", M.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"response\":[{\"Event\":{\"uuid\":\"7a000000-0000-4000-8000-000000000001\","
          "\"info\":\"one\",\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\","
          "\"name\":\"CIRCL\"},\"Attribute\":[{\"type\":\"domain\",\"value\":\"one.example\"}]}},"
          "{\"Event\":{\"uuid\":\"7a000000-0000-4000-8000-000000000002\",\"info\":\"two\","
          "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"
          "\"Attribute\":[{\"type\":\"md5\",\"value\":\"xyz\"}]}}]}",
          f);
    assert_int_equal(fclose(f), 0);
    const char *imp[] = {"misp", "import", "--db", M.db, "--quiet", file, NULL};
    assert_int_not_equal(run_cli(imp, err, sizeof err), 0);
    assert_non_null(strstr(err, "two.json: event 1: Attribute[0]"));
    assert_null(exported_event(M.db, "7a000000-0000-4000-8000-000000000001"));
    char path[1024];
    if (!kz_test_data_path("misp/sharing_groups.json", path, sizeof path))
        skip();
    const char *sg[] = {"misp", "import", "--db", M.db, path, NULL};
    assert_int_equal(run_cli(sg, err, sizeof err), 0);
    assert_non_null(strstr(err, "imported 2 sharing groups"));
}

static int cli_setup(void **state)
{
    (void)state;
    return kz_node_init(&M, "CERT-M", "SG");
}

static int cli_teardown(void **state)
{
    (void)state;
    kz_node_free(&M);
    return 0;
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_with_bare_key),
        cmocka_unit_test(test_event_add_and_view),
        cmocka_unit_test(test_event_add_attachment),
        cmocka_unit_test(test_event_add_refusals),
        cmocka_unit_test(test_attributes_search_acl),
        cmocka_unit_test(test_attributes_search_filters),
        cmocka_unit_test(test_attributes_search_csv_text),
        cmocka_unit_test(test_attributes_search_patterns),
        cmocka_unit_test(test_events_search_and_index),
        cmocka_unit_test(test_sightings),
        cmocka_unit_test(test_correlations),
        cmocka_unit_test(test_event_view_counts),
        cmocka_unit_test(test_over_correlation),
        cmocka_unit_test(test_event_add_big), /* last on N: its 20,000 values swamp searches */
        cmocka_unit_test_setup_teardown(test_cli_import_like_api, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli_import_big_event, cli_setup, cli_teardown),
        cmocka_unit_test_setup_teardown(test_cli_import_documents, cli_setup, cli_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
