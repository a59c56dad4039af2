/* test_api_contacts.c — /api/v1/contacts over HTTP: who may keep an org's
 * points of contact (its org_admins, the node admin) and who may read them
 * (every member), normalisation of the values, search by country, stale
 * flags, and every kind of bad input answered with the right status and
 * field.
 *
 * Cast: org A (TH, the admin's), B (JP) with an org_admin and an analyst,
 * C (SG) with an org_admin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40], ORG_C[40];
static char B_OA[64], B_AN[64], C_OA[64];

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp me = kz_get(&N, "/api/v1/me", ADMIN);
    if (me.status != 200)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&me, "org.id"));
    kz_resp_free(&me);
    kz_make_org(&N, ADMIN, "CERT-B", "JP", ORG_B);
    kz_make_org(&N, ADMIN, "CERT-C", "SG", ORG_C);
    char id[40];
    kz_make_user(&N, ADMIN, ORG_B, "oa@b.example", "org_admin", id, B_OA);
    kz_make_user(&N, ADMIN, ORG_B, "an@b.example", "analyst", id, B_AN);
    kz_make_user(&N, ADMIN, ORG_C, "oa@c.example", "org_admin", id, C_OA);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* Creates a contact as key; returns its id in out. */
static void make(const char *key, const char *body, char out[40])
{
    kz_resp r = kz_post(&N, "/api/v1/contacts", key, body);
    KZ_EXPECT(r, 201);
    snprintf(out, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

static void test_create_normalises(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/contacts", B_OA,
                        "{\"name\":\"JP duty desk\",\"phone\":\"+81 3 1234 5678\","
                        "\"email\":\"Duty@CERT-B.example\","
                        "\"pgp_fingerprint\":\"0123 4567 89ab cdef 0123 4567 89AB CDEF 0123 4567\","
                        "\"languages\":[\"JA\",\"en\",\"zh-hant-tw\",\"ja\"],"
                        "\"timezone\":\"Asia/Tokyo\",\"escalation\":2}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_B);
    assert_string_equal(kz_resp_str(&r, "name"), "JP duty desk");
    assert_string_equal(kz_resp_str(&r, "phone"), "+81 3 1234 5678");
    assert_string_equal(kz_resp_str(&r, "email"), "Duty@cert-b.example"); /* domain lower-cased */
    assert_string_equal(kz_resp_str(&r, "pgp_fingerprint"),
                        "0123456789ABCDEF0123456789ABCDEF01234567");
    assert_int_equal(kz_resp_count(&r, "languages"), 3);
    assert_string_equal(kz_resp_str(&r, "languages.0"), "ja");
    assert_string_equal(kz_resp_str(&r, "languages.1"), "en");
    assert_string_equal(kz_resp_str(&r, "languages.2"), "zh-Hant-TW");
    assert_string_equal(kz_resp_str(&r, "timezone"), "Asia/Tokyo");
    assert_int_equal(json_integer_value(kz_resp_get(&r, "escalation")), 2);
    assert_true(json_is_false(kz_resp_get(&r, "stale")));
    assert_non_null(kz_resp_str(&r, "last_verified"));
    char id[40];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);

    /* Every member reads it, in any org. */
    r = kz_getf(&N, C_OA, "/api/v1/contacts/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "name"), "JP duty desk");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts", B_AN);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "contacts", "id", id));
    kz_resp_free(&r);
    /* Minimal contact: e-mail only, defaults filled in. */
    r = kz_post(&N, "/api/v1/contacts", ADMIN, "{\"name\":\"TH CERT\",\"email\":\"ir@a.example\"}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_A);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "escalation")), 1);
    assert_null(kz_resp_str(&r, "phone"));
    assert_int_equal(kz_resp_count(&r, "languages"), 0);
    kz_resp_free(&r);
}

static void test_who_may_edit(void **state)
{
    (void)state;
    char body[256], id[40];
    make(B_OA, "{\"name\":\"B second line\",\"phone\":\"+81 90 1111 2222\",\"escalation\":3}", id);
    /* An analyst of the org, and another org's org_admin: 403. */
    kz_resp r = kz_post(&N, "/api/v1/contacts", B_AN, "{\"name\":\"x\",\"phone\":\"+6512345678\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"name\":\"x\",\"phone\":\"+6512345678\",\"org_id\":\"%s\"}",
             ORG_B);
    r = kz_post(&N, "/api/v1/contacts", C_OA, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/contacts/%s", id);
    r = kz_patch(&N, path, C_OA, "{\"name\":\"hijacked\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, B_AN, "{\"name\":\"hijacked\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, C_OA);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/contacts/%s/verify", id);
    r = kz_post(&N, path, B_AN, NULL);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/contacts/%s", id);
    r = kz_get(&N, path, ADMIN);
    assert_string_equal(kz_resp_str(&r, "name"), "B second line");
    kz_resp_free(&r);
    /* The node admin may keep any org's contacts. */
    snprintf(body, sizeof body, "{\"name\":\"C desk\",\"phone\":\"+65 6123 4567\",\"org_id\":\"%s\"}",
             ORG_C);
    r = kz_post(&N, "/api/v1/contacts", ADMIN, body);
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_C);
    kz_resp_free(&r);
    /* The org's own org_admin changes and removes. */
    r = kz_patch(&N, path, B_OA, "{\"phone\":\"+81 90 3333 4444\",\"timezone\":\"UTC\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "phone"), "+81 90 3333 4444");
    assert_string_equal(kz_resp_str(&r, "timezone"), "UTC");
    assert_string_equal(kz_resp_str(&r, "name"), "B second line");
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", ORG_C);
    r = kz_patch(&N, path, B_OA, body);
    KZ_EXPECT_ERR(r, 400, "invalid", "org_id");
    kz_resp_free(&r);
    r = kz_delete(&N, path, B_OA);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_get(&N, path, B_OA);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

static void test_search_by_country(void **state)
{
    (void)state;
    char b[40], c[40], body[256];
    make(B_OA, "{\"name\":\"country JP\",\"phone\":\"+81 3 0000 0001\"}", b);
    snprintf(body, sizeof body, "{\"name\":\"country SG\",\"phone\":\"+65 6000 0001\",\"org_id\":\"%s\"}",
             ORG_C);
    make(ADMIN, body, c);
    kz_resp r = kz_get(&N, "/api/v1/contacts?country=jp", C_OA);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "contacts", "id", b));
    assert_false(kz_resp_list_has(&r, "contacts", "id", c));
    json_t *arr = kz_resp_get(&r, "contacts");
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) assert_string_equal(
        json_string_value(json_object_get(x, "org_id")), ORG_B);
    kz_resp_free(&r);
    r = kz_getf(&N, B_AN, "/api/v1/contacts?org_id=%s", ORG_C);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "contacts", "id", c));
    assert_false(kz_resp_list_has(&r, "contacts", "id", b));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?country=XX", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "country");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?org_id=nope", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "org_id");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?colour=red", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "colour");
    kz_resp_free(&r);
}

static void test_stale(void **state)
{
    (void)state;
    char old[40], fresh[40];
    make(B_OA, "{\"name\":\"old entry\",\"phone\":\"+81 3 9999 0000\","
               "\"last_verified\":\"2020-01-01T00:00:00Z\"}",
         old);
    make(B_OA, "{\"name\":\"fresh entry\",\"phone\":\"+81 3 9999 0001\"}", fresh);
    kz_resp r = kz_getf(&N, B_AN, "/api/v1/contacts/%s", old);
    assert_true(json_is_true(kz_resp_get(&r, "stale")));
    assert_string_equal(kz_resp_str(&r, "last_verified"), "2020-01-01T00:00:00.000000Z");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?stale=true", B_AN);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "contacts", "id", old));
    assert_false(kz_resp_list_has(&r, "contacts", "id", fresh));
    kz_resp_free(&r);
    /* A longer threshold makes it fresh again. */
    r = kz_getf(&N, B_AN, "/api/v1/contacts/%s?stale_days=36500", old);
    assert_true(json_is_false(kz_resp_get(&r, "stale")));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?stale_days=0", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "stale_days");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?stale=maybe", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "stale");
    kz_resp_free(&r);
    /* Verifying clears the flag. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/contacts/%s/verify", old);
    r = kz_post(&N, path, B_OA, NULL);
    KZ_EXPECT(r, 200);
    assert_true(json_is_false(kz_resp_get(&r, "stale")));
    assert_string_not_equal(kz_resp_str(&r, "last_verified"), "2020-01-01T00:00:00.000000Z");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts?stale=true", B_AN);
    assert_false(kz_resp_list_has(&r, "contacts", "id", old));
    kz_resp_free(&r);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"name\":", 400, "invalid", "*"},
        {"[]", 400, "invalid", NULL},
        {"\"just a string\"", 400, "invalid", NULL},
        {"{\"name\":42,\"phone\":\"+6512345678\"}", 400, "invalid", "name"},
        {"{\"phone\":\"+6512345678\"}", 400, "invalid", "name"},
        {"{\"name\":\"  \",\"phone\":\"+6512345678\"}", 422, "invalid_value", "name"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"fax\":\"1\"}", 400, "invalid", "fax"},
        {"{\"name\":\"x\",\"phone\":\"6512345678\"}", 422, "invalid_value", "phone"},
        {"{\"name\":\"x\",\"phone\":\"+65 12\"}", 422, "invalid_value", "phone"},
        {"{\"name\":\"x\",\"phone\":\"+65 1234 5678 ext 9\"}", 422, "invalid_value", "phone"},
        {"{\"name\":\"x\",\"phone\":12345678}", 400, "invalid", "phone"},
        {"{\"name\":\"x\",\"email\":\"not-an-address\"}", 422, "invalid_value", "email"},
        {"{\"name\":\"x\"}", 422, "invalid_value", "phone"},
        {"{\"name\":\"x\",\"phone\":null,\"email\":null}", 422, "invalid_value", "phone"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"pgp_fingerprint\":\"0123456789ABCDEF0123456789ABCDEF0123456\"}",
         422, "invalid_value", "pgp_fingerprint"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"pgp_fingerprint\":\"G123456789ABCDEF0123456789ABCDEF01234567\"}",
         422, "invalid_value", "pgp_fingerprint"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"languages\":\"en\"}", 400, "invalid",
         "languages"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"languages\":[7]}", 400, "invalid",
         "languages[0]"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"languages\":[\"en\",\"english!\"]}", 422,
         "invalid_value", "languages[1]"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"languages\":[\"en-\"]}", 422,
         "invalid_value", "languages[0]"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"languages\":[\"e\"]}", 422,
         "invalid_value", "languages[0]"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"timezone\":\"Mars/Olympus_Mons\"}", 422,
         "invalid_value", "timezone"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"timezone\":\"../../../etc/passwd\"}", 422,
         "invalid_value", "timezone"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"timezone\":\"leapseconds\"}", 422,
         "invalid_value", "timezone"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"timezone\":\"Asia\"}", 422,
         "invalid_value", "timezone"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"escalation\":0}", 422, "invalid_value",
         "escalation"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"escalation\":100}", 422, "invalid_value",
         "escalation"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"escalation\":\"1\"}", 400, "invalid",
         "escalation"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"last_verified\":\"yesterday\"}", 422,
         "invalid_value", "last_verified"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"last_verified\":\"2999-01-01\"}", 422,
         "invalid_value", "last_verified"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"id\":\"00000000-0000-4000-8000-000000000000\"}",
         400, "invalid", "id"},
        {"{\"name\":\"x\",\"phone\":\"+6512345678\",\"org_id\":\"00000000-0000-4000-8000-000000000000\"}",
         422, "invalid_value", "org_id"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        print_message("case %zu: %s\n", i, cases[i].body);
        kz_resp r = kz_post(&N, "/api/v1/contacts", ADMIN, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    /* Nothing of the above was stored. */
    kz_resp r = kz_get(&N, "/api/v1/contacts", ADMIN);
    assert_false(kz_resp_list_has(&r, "contacts", "name", "x"));
    kz_resp_free(&r);
    /* Invalid UTF-8, a body that is not JSON, no key, unknown ids. */
    static const char bad_utf8[] = "{\"name\":\"\xff\xfe\",\"phone\":\"+6512345678\"}";
    kz_resp u;
    kz_http(&N, "POST", "/api/v1/contacts", ADMIN, NULL, bad_utf8, sizeof bad_utf8 - 1, &u);
    KZ_EXPECT_ERR(u, 400, "invalid", "*");
    kz_resp_free(&u);
    kz_http(&N, "POST", "/api/v1/contacts", ADMIN, "text/plain", "hello", 5, &u);
    KZ_EXPECT_ERR(u, 415, "unsupported_media_type", "*");
    kz_resp_free(&u);
    r = kz_get(&N, "/api/v1/contacts", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/contacts", "kz_notakey", "{\"name\":\"x\",\"phone\":\"+6512345678\"}");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts/00000000-0000-4000-8000-000000000000", B_AN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/contacts/not-a-uuid", B_AN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, "/api/v1/contacts/00000000-0000-4000-8000-000000000000", ADMIN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* The CLI shares the validation and sees what the API stored. */
static void test_cli(void **state)
{
    (void)state;
    char out[8192];
    const char *bad[] = {"contact", "add", "--db", N.db, "--org", "CERT-C", "--name", "cli",
                         "--phone", "12345", NULL};
    assert_int_equal(kz_node_run(bad, out, sizeof out), 1);
    const char *add[] = {"contact", "add", "--db", N.db, "--org", "CERT-C", "--name", "cli desk",
                         "--phone", "+65 6999 0000", "--language", "ms", "--timezone",
                         "Asia/Singapore", "--verified", "2021-06-01", NULL};
    assert_int_equal(kz_node_run(add, out, sizeof out), 0);
    char id[40];
    snprintf(id, sizeof id, "%.36s", out);
    assert_true(kz_uuid_valid(id));
    kz_resp r = kz_getf(&N, B_AN, "/api/v1/contacts/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_C);
    assert_string_equal(kz_resp_str(&r, "timezone"), "Asia/Singapore");
    assert_true(json_is_true(kz_resp_get(&r, "stale")));
    kz_resp_free(&r);
    const char *list[] = {"contact", "list", "--db", N.db, "--country", "SG", "--stale", NULL};
    assert_int_equal(kz_node_run(list, out, sizeof out), 0);
    assert_non_null(strstr(out, id));
    assert_non_null(strstr(out, "STALE"));
    assert_null(strstr(out, "CERT-B"));
    const char *verify[] = {"contact", "verify", "--db", N.db, id, NULL};
    assert_int_equal(kz_node_run(verify, out, sizeof out), 0);
    assert_int_equal(kz_node_run(list, out, sizeof out), 0);
    assert_null(strstr(out, id));
    const char *rm[] = {"contact", "remove", "--db", N.db, id, NULL};
    assert_int_equal(kz_node_run(rm, out, sizeof out), 0);
    assert_int_equal(kz_node_run(rm, out, sizeof out), 1);
}

/* Writes through the API and reads of AMBER data land in the audit log,
 * which only the node admin reads and `kizuna audit verify` checks. */
static void test_audit(void **state)
{
    (void)state;
    char id[40];
    make(B_OA, "{\"name\":\"audited\",\"phone\":\"+81 3 5555 0000\"}", id);
    kz_resp r = kz_post(&N, "/api/v1/events", ADMIN,
                        "{\"title\":\"amber read\",\"tlp\":\"amber\"}");
    KZ_EXPECT(r, 201);
    char ev[40];
    snprintf(ev, sizeof ev, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "/api/v1/events/%s", ev);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    /* The writer thread batches: wait for the entries. */
    bool found = false;
    for (int t = 0; t < 50 && !found; t++) {
        r = kz_getf(&N, ADMIN, "/api/v1/audit?object_id=%s", id);
        KZ_EXPECT(r, 200);
        found = kz_resp_count(&r, "entries") == 1;
        if (found) {
            assert_string_equal(kz_resp_str(&r, "entries.0.action"), "POST /api/v1/contacts");
            assert_string_equal(kz_resp_str(&r, "entries.0.object_type"), "contact");
            assert_string_equal(kz_resp_str(&r, "entries.0.actor_org"), ORG_B);
            assert_string_equal(kz_resp_str(&r, "entries.0.remote"), "127.0.0.1");
            assert_int_equal(json_integer_value(kz_resp_get(&r, "entries.0.status")), 201);
            assert_int_equal(strlen(kz_resp_str(&r, "entries.0.hash")), 64);
        }
        kz_resp_free(&r);
        if (!found)
            usleep(100000);
    }
    assert_true(found);
    found = false;
    for (int t = 0; t < 50 && !found; t++) {
        r = kz_getf(&N, ADMIN, "/api/v1/audit?action=read&object_id=%s&tlp=amber", ev);
        found = kz_resp_count(&r, "entries") == 1;
        if (found) {
            assert_string_equal(kz_resp_str(&r, "entries.0.tlp"), "amber");
            assert_string_equal(kz_resp_str(&r, "entries.0.actor_org"), ORG_A);
        }
        kz_resp_free(&r);
        if (!found)
            usleep(100000);
    }
    assert_true(found);
    /* An export is recorded as the request. */
    r = kz_get(&N, "/api/v1/export/csv", B_AN);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    found = false;
    for (int t = 0; t < 50 && !found; t++) {
        r = kz_getf(&N, ADMIN, "/api/v1/audit?action=GET%%20/api/v1/export/%%7Bformat%%7D&actor_org=%s",
                    ORG_B);
        found = kz_resp_count(&r, "entries") == 1;
        if (found)
            assert_string_equal(kz_resp_str(&r, "entries.0.object_id"), "csv");
        kz_resp_free(&r);
        if (!found)
            usleep(100000);
    }
    assert_true(found);
    /* Failed writes and reads of GREEN data are not entries. */
    r = kz_get(&N, "/api/v1/audit?action=write&limit=1000", ADMIN);
    json_t *arr = kz_resp_get(&r, "entries");
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        assert_true(json_integer_value(json_object_get(x, "status")) < 400);
        assert_string_not_equal(json_string_value(json_object_get(x, "action")), "read");
    }
    kz_resp_free(&r);
    /* Paging. */
    r = kz_get(&N, "/api/v1/audit?limit=2", ADMIN);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "entries"), 2);
    char cur[256];
    snprintf(cur, sizeof cur, "%s", kz_resp_str(&r, "next_cursor"));
    json_int_t second = json_integer_value(kz_resp_get(&r, "entries.1.seq"));
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "/api/v1/audit?limit=1&cursor=%s", cur);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "entries.0.seq")), second - 1);
    kz_resp_free(&r);
    /* Admins only; bad filters. */
    r = kz_get(&N, "/api/v1/audit", B_OA);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/audit", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    static const char *const bad[][2] = {
        {"/api/v1/audit?tlp=purple", "tlp"},       {"/api/v1/audit?since=yesterday", "since"},
        {"/api/v1/audit?actor_org=x", "actor_org"}, {"/api/v1/audit?limit=5000", "limit"},
        {"/api/v1/audit?cursor=zzz", "cursor"},     {"/api/v1/audit?who=me", "who"},
    };
    for (size_t k = 0; k < KZ_ARRAY_LEN(bad); k++) {
        r = kz_get(&N, bad[k][0], ADMIN);
        KZ_EXPECT_ERR(r, 400, "invalid", bad[k][1]);
        kz_resp_free(&r);
    }
    /* The chain verifies from the shell. */
    char out[4096];
    const char *verify[] = {"audit", "verify", "--db", N.db, NULL};
    assert_int_equal(kz_node_run(verify, out, sizeof out), 0);
    assert_non_null(strstr(out, "audit log intact"));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_normalises),
        cmocka_unit_test(test_who_may_edit),
        cmocka_unit_test(test_search_by_country),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_audit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
