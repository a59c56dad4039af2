/* test_api_accounts.c — the node's people over HTTP: health, the home page,
 * /me, organisations, users and API keys, with every role that may and may
 * not act, every bad input, and a read-back after each refusal to prove that
 * nothing was stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40]; /* the admin's org (from init) */
static char ORG_B[40];

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp r = kz_get(&N, "/api/v1/me", ADMIN);
    const char *org = kz_resp_str(&r, "org.id");
    if (r.status != 200 || !org)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", org);
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/orgs", ADMIN,
                "{\"name\":\"CERT-B\",\"country\":\"jp\",\"type\":\"national_cert\"}");
    if (r.status != 201)
        return -1;
    snprintf(ORG_B, sizeof ORG_B, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* ---- node ---------------------------------------------------------------- */

static void test_health_needs_no_key_and_reports_version(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "status"), "ok");
    assert_string_equal(kz_resp_str(&r, "version"), KZ_VERSION);
    assert_string_equal(r.content_type, "application/json");
    kz_resp_free(&r);
    /* A query parameter it does not know is refused, naming it. */
    r = kz_get(&N, "/api/v1/health?verbose=1", NULL);
    KZ_EXPECT_ERR(r, 400, "invalid", "verbose");
    kz_resp_free(&r);
}

static void test_home_page_is_html_with_name_and_version(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/", NULL);
    KZ_EXPECT(r, 200);
    assert_string_equal(r.content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "kizuna " KZ_VERSION));
    assert_non_null(strstr(r.body, "/api/v1"));
    assert_non_null(strstr(r.body, "openapi.yaml"));
    kz_resp_free(&r);
    kz_http(&N, "HEAD", "/", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    kz_resp_free(&r);
}

static void test_unknown_route_is_404_and_wrong_method_405_with_allow(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v2/orgs", ADMIN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/orgs/", ADMIN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    kz_http(&N, "PUT", "/api/v1/orgs", ADMIN, "application/json", "{}", 2, &r);
    KZ_EXPECT_ERR(r, 405, "method_not_allowed", NULL);
    assert_string_equal(r.allow, "GET, POST");
    kz_resp_free(&r);
    r = kz_delete(&N, "/api/v1/search", ADMIN);
    KZ_EXPECT_ERR(r, 405, "method_not_allowed", NULL);
    assert_string_equal(r.allow, "GET");
    kz_resp_free(&r);
}

static void test_me_tells_user_org_and_role(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/me", ADMIN);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "role"), "admin");
    assert_string_equal(kz_resp_str(&r, "org.name"), "CERT-A");
    assert_string_equal(kz_resp_str(&r, "user.org_id"), ORG_A);
    assert_non_null(kz_resp_str(&r, "key_id"));
    assert_null(kz_resp_get(&r, "user.password_hash"));
    kz_resp_free(&r);
}

/* ---- organisations ------------------------------------------------------- */

static void test_org_create_read_list(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/orgs", ADMIN,
                        "{\"name\":\"ID-SIRTII\",\"country\":\"id\",\"type\":\"government\","
                        "\"sector\":\"telecom\",\"contact\":\"cc@id.example\"}");
    KZ_EXPECT(r, 201);
    char id[40];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    assert_true(kz_uuid_valid(id));
    assert_string_equal(kz_resp_str(&r, "country"), "ID");
    assert_string_equal(kz_resp_str(&r, "type"), "government");
    assert_string_equal(kz_resp_str(&r, "sector"), "telecom");
    assert_non_null(kz_resp_str(&r, "created"));
    kz_resp_free(&r);

    r = kz_getf(&N, ADMIN, "/api/v1/orgs/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "name"), "ID-SIRTII");
    kz_resp_free(&r);
    /* Upper-case ids are the same id. */
    char upper[40];
    for (size_t i = 0; i <= strlen(id); i++)
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
    r = kz_getf(&N, ADMIN, "/api/v1/orgs/%s", upper);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);

    r = kz_get(&N, "/api/v1/orgs", ADMIN);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "orgs", "id", id));
    assert_true(kz_resp_list_has(&r, "orgs", "name", "CERT-A"));
    kz_resp_free(&r);
}

static void expect_org_absent(const char *name)
{
    kz_resp r = kz_get(&N, "/api/v1/orgs", ADMIN);
    KZ_EXPECT(r, 200);
    assert_false(kz_resp_list_has(&r, "orgs", "name", name));
    kz_resp_free(&r);
}

static void test_org_create_rejects_every_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"name\":\"bad-1\",\"country\":\"TH\"", 400, "invalid", NULL},          /* malformed */
        {"[{\"name\":\"bad-2\"}]", 400, "invalid", NULL},                         /* not an object */
        {"{\"name\":\"bad-3\",\"type\":\"ngo\"}", 400, "invalid", "country"},        /* missing */
        {"{\"name\":5,\"country\":\"TH\",\"type\":\"ngo\"}", 400, "invalid", "name"}, /* wrong type */
        {"{\"name\":\"bad-5\",\"country\":\"TH\",\"type\":\"ngo\",\"colour\":\"red\"}", 400,
         "invalid", "colour"},                                                    /* unknown */
        {"{\"name\":\"bad-6\",\"country\":\"XX\",\"type\":\"ngo\"}", 422, "invalid_value",
         "country"},
        {"{\"name\":\"bad-7\",\"country\":\"TH\",\"type\":\"club\"}", 422, "invalid_value", "type"},
        {"{\"name\":\"\",\"country\":\"TH\",\"type\":\"ngo\"}", 422, "invalid_value", "name"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_resp r = kz_post(&N, "/api/v1/orgs", ADMIN, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    for (int i = 1; i <= 7; i++) {
        char name[16];
        snprintf(name, sizeof name, "bad-%d", i);
        expect_org_absent(name);
    }
    /* Invalid UTF-8 in a string. */
    static const char bad_utf8[] = "{\"name\":\"bad-\xff\xfe\",\"country\":\"TH\",\"type\":\"ngo\"}";
    kz_resp r;
    kz_http(&N, "POST", "/api/v1/orgs", ADMIN, "application/json", bad_utf8, strlen(bad_utf8), &r);
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "UTF-8"));
    kz_resp_free(&r);
    /* Duplicate name. */
    r = kz_post(&N, "/api/v1/orgs", ADMIN,
                "{\"name\":\"CERT-B\",\"country\":\"JP\",\"type\":\"national_cert\"}");
    KZ_EXPECT_ERR(r, 409, "conflict", "name");
    kz_resp_free(&r);
    /* Empty body, wrong content type. */
    kz_http(&N, "POST", "/api/v1/orgs", ADMIN, "application/json", "", 0, &r);
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    kz_resp_free(&r);
    static const char ok[] = "{\"name\":\"bad-8\",\"country\":\"TH\",\"type\":\"ngo\"}";
    kz_http(&N, "POST", "/api/v1/orgs", ADMIN, "text/plain", ok, strlen(ok), &r);
    KZ_EXPECT_ERR(r, 415, "unsupported_media_type", "Content-Type");
    kz_resp_free(&r);
    kz_http(&N, "POST", "/api/v1/orgs", ADMIN, "application/json; charset=latin1", ok, strlen(ok),
            &r);
    KZ_EXPECT_ERR(r, 415, "unsupported_media_type", "Content-Type");
    kz_resp_free(&r);
    kz_http(&N, "POST", "/api/v1/orgs", ADMIN, "", ok, strlen(ok), &r);
    KZ_EXPECT_ERR(r, 415, "unsupported_media_type", "Content-Type");
    kz_resp_free(&r);
    expect_org_absent("bad-8");
    /* With charset=utf-8 it is fine. */
    kz_http(&N, "POST", "/api/v1/orgs", ADMIN, "application/json; charset=UTF-8", ok, strlen(ok),
            &r);
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
}

static void test_sql_metacharacters_are_stored_verbatim(void **state)
{
    (void)state;
    const char *name = "x'); DROP TABLE orgs;-- \\\" %_*";
    json_t *body = json_pack("{s:s,s:s,s:s}", "name", name, "country", "SG", "type", "company");
    char *text = json_dumps(body, 0);
    kz_resp r = kz_post(&N, "/api/v1/orgs", ADMIN, text);
    free(text);
    json_decref(body);
    KZ_EXPECT(r, 201);
    char id[40];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "/api/v1/orgs/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "name"), name);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/orgs", ADMIN);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "orgs", "name", "CERT-A"));
    assert_true(kz_resp_list_has(&r, "orgs", "name", name));
    kz_resp_free(&r);
}

static void test_org_patch_and_delete(void **state)
{
    (void)state;
    char id[40], uid[40], key[64];
    kz_make_org(&N, ADMIN, "MY-CERT", "MY", id);
    kz_make_user(&N, ADMIN, id, "analyst@my.example", "analyst", uid, key);

    kz_resp r = kz_patch(&N, "/api/v1/orgs/00000000-0000-4000-8000-000000000000", ADMIN,
                         "{\"sector\":\"x\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, "/api/v1/orgs/not-a-uuid", ADMIN, "{\"sector\":\"x\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/orgs/%s", id);
    r = kz_patch(&N, path, key, "{\"sector\":\"health\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"id\":\"00000000-0000-4000-8000-000000000000\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "id");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"country\":\"ZZ\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "country");
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "%s", path);
    assert_null(kz_resp_str(&r, "sector"));
    assert_string_equal(kz_resp_str(&r, "country"), "MY");
    kz_resp_free(&r);

    r = kz_patch(&N, path, ADMIN, "{\"sector\":\"health\",\"contact\":\"soc@my.example\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "sector"), "health");
    assert_string_equal(kz_resp_str(&r, "name"), "MY-CERT");
    kz_resp_free(&r);

    r = kz_delete(&N, path, key);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, ADMIN); /* still has a user */
    KZ_EXPECT_ERR(r, 409, "conflict", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "still has users"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/users/%s", uid);
    r = kz_delete(&N, path, ADMIN);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/orgs/%s", id);
    r = kz_delete(&N, path, ADMIN);
    KZ_EXPECT(r, 204);
    assert_int_equal(r.len, 0);
    kz_resp_free(&r);
    r = kz_get(&N, path, ADMIN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

static void test_org_create_needs_admin(void **state)
{
    (void)state;
    char uid[40], key[64];
    kz_make_user(&N, ADMIN, ORG_B, "oa-b@b.example", "org_admin", uid, key);
    kz_resp r = kz_post(&N, "/api/v1/orgs", key,
                        "{\"name\":\"by-org-admin\",\"country\":\"TH\",\"type\":\"ngo\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    expect_org_absent("by-org-admin");
    /* Any user may read the list. */
    r = kz_get(&N, "/api/v1/orgs", key);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "orgs", "id", ORG_A));
    kz_resp_free(&r);
}

/* ---- users --------------------------------------------------------------- */

static bool user_listed(const char *email)
{
    kz_resp r = kz_get(&N, "/api/v1/users", ADMIN);
    KZ_EXPECT(r, 200);
    bool has = kz_resp_list_has(&r, "users", "email", email);
    kz_resp_free(&r);
    return has;
}

static void test_user_create_with_password_and_basic_auth(void **state)
{
    (void)state;
    char body[512];
    snprintf(body, sizeof body,
             "{\"email\":\"Pat@B.Example\",\"name\":\"Pat\",\"role\":\"analyst\",\"org_id\":\"%s\","
             "\"password\":\"correct horse battery\"}",
             ORG_B);
    kz_resp r = kz_post(&N, "/api/v1/users", ADMIN, body);
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "email"), "Pat@b.example");
    assert_true(json_is_true(kz_resp_get(&r, "has_password")));
    assert_null(kz_resp_get(&r, "password"));
    assert_null(kz_resp_get(&r, "password_hash"));
    assert_null(strstr(r.body, "correct horse"));
    assert_null(strstr(r.body, "argon2"));
    kz_resp_free(&r);

    /* "Pat@b.example:correct horse battery" */
    char cred[256], b64[400];
    snprintf(cred, sizeof cred, "Pat@b.example:correct horse battery");
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(cred), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)cred[i] << 16 | (i + 1 < n ? (unsigned char)cred[i + 1] << 8 : 0) |
                     (i + 2 < n ? (unsigned char)cred[i + 2] : 0);
        b64[o++] = tbl[v >> 18 & 63];
        b64[o++] = tbl[v >> 12 & 63];
        b64[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    b64[o] = 0;
    char hdr[512];
    snprintf(hdr, sizeof hdr, "Basic %s", b64);
    r = kz_get(&N, "/api/v1/me", hdr);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "user.email"), "Pat@b.example");
    assert_true(json_is_null(kz_resp_get(&r, "key_id")));
    kz_resp_free(&r);

    /* Wrong password, unknown user, garbage. */
    r = kz_get(&N, "/api/v1/me", "Basic UGF0QGIuZXhhbXBsZTp3cm9uZyBwYXNzd29yZA==");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    assert_non_null(strstr(r.www_authenticate, "Bearer"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", "Basic bm9ib2R5QGIuZXhhbXBsZTpjb3JyZWN0IGhvcnNlIGJhdHRlcnk=");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", "Basic !!!notbase64");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
}

static void test_user_create_rejects_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"email\":\"u1@x.example\"}", 400, "invalid", "role"},
        {"{\"role\":\"analyst\"}", 400, "invalid", "email"},
        {"{\"email\":\"not-an-email\",\"role\":\"analyst\"}", 422, "invalid_value", "email"},
        {"{\"email\":\"u2@x.example\",\"role\":\"boss\"}", 422, "invalid_value", "role"},
        {"{\"email\":\"u3@x.example\",\"role\":\"analyst\",\"password\":\"short\"}", 422,
         "invalid_value", "password"},
        {"{\"email\":\"u4@x.example\",\"role\":\"analyst\",\"password\":12345678}", 400, "invalid",
         "password"},
        {"{\"email\":\"u5@x.example\",\"role\":\"analyst\",\"org_id\":\"00000000-0000-4000-8000-"
         "000000000000\"}",
         422, "invalid_value", "org_id"},
        {"{\"email\":\"u6@x.example\",\"role\":\"analyst\",\"org_id\":\"nope\"}", 422,
         "invalid_value", "org_id"},
        {"{\"email\":\"u7@x.example\",\"role\":\"analyst\",\"is_root\":true}", 400, "invalid",
         "is_root"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_resp r = kz_post(&N, "/api/v1/users", ADMIN, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    for (int i = 1; i <= 7; i++) {
        char email[32];
        snprintf(email, sizeof email, "u%d@x.example", i);
        assert_false(user_listed(email));
    }
    char uid[40];
    kz_make_user(&N, ADMIN, ORG_A, "dup@x.example", "analyst", uid, NULL);
    kz_resp r = kz_post(&N, "/api/v1/users", ADMIN, "{\"email\":\"dup@x.example\",\"role\":\"analyst\"}");
    KZ_EXPECT_ERR(r, 409, "conflict", "email");
    kz_resp_free(&r);
}

static void test_org_admin_manages_only_its_org_and_no_admins(void **state)
{
    (void)state;
    char oa[40], oa_key[64], an[40], an_key[64];
    kz_make_user(&N, ADMIN, ORG_B, "boss@b.example", "org_admin", oa, oa_key);
    kz_make_user(&N, ADMIN, ORG_B, "worker@b.example", "analyst", an, an_key);

    /* Own org, org_id defaulting to the caller's. */
    kz_resp r = kz_post(&N, "/api/v1/users", oa_key,
                        "{\"email\":\"new@b.example\",\"role\":\"read_only\"}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_B);
    kz_resp_free(&r);

    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"intruder@a.example\",\"role\":\"analyst\",\"org_id\":\"%s\"}",
             ORG_A);
    r = kz_post(&N, "/api/v1/users", oa_key, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", "org_id");
    kz_resp_free(&r);
    assert_false(user_listed("intruder@a.example"));

    r = kz_post(&N, "/api/v1/users", oa_key, "{\"email\":\"root@b.example\",\"role\":\"admin\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", "role");
    kz_resp_free(&r);
    assert_false(user_listed("root@b.example"));

    r = kz_post(&N, "/api/v1/users", an_key, "{\"email\":\"x@b.example\",\"role\":\"analyst\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    assert_false(user_listed("x@b.example"));

    /* Lists: org_admin sees its org only; analyst may not list. */
    r = kz_get(&N, "/api/v1/users", oa_key);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "users", "email", "worker@b.example"));
    assert_false(kz_resp_list_has(&r, "users", "email", "admin@localhost"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/users", an_key);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);

    /* Reading single users. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", an);
    r = kz_get(&N, path, an_key); /* itself */
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&N, path, oa_key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    char other[40], other_key[64];
    kz_make_user(&N, ADMIN, ORG_A, "oa-a@a.example", "org_admin", other, other_key);
    r = kz_get(&N, path, other_key); /* org_admin of another org */
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/users/%s", oa);
    r = kz_get(&N, path, an_key); /* a colleague, not a manager */
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);

    /* PATCH */
    snprintf(path, sizeof path, "/api/v1/users/%s", an);
    r = kz_patch(&N, path, an_key, "{\"role\":\"publisher\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, other_key, "{\"role\":\"publisher\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, oa_key, "{\"role\":\"admin\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", "role");
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", ORG_A);
    r = kz_patch(&N, path, oa_key, body);
    KZ_EXPECT_ERR(r, 400, "invalid", "org_id");
    kz_resp_free(&r);
    r = kz_patch(&N, path, oa_key, "{\"shoe_size\":44}");
    KZ_EXPECT_ERR(r, 400, "invalid", "shoe_size");
    kz_resp_free(&r);
    r = kz_patch(&N, path, oa_key, "{\"role\":\"publisher\",\"name\":\"W. Orker\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "role"), "publisher");
    assert_string_equal(kz_resp_str(&r, "name"), "W. Orker");
    assert_string_equal(kz_resp_str(&r, "email"), "worker@b.example");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", an_key); /* the new role applies */
    assert_string_equal(kz_resp_str(&r, "role"), "publisher");
    kz_resp_free(&r);

    /* An org_admin may not touch an admin of its org. */
    char adm[40];
    r = kz_get(&N, "/api/v1/me", ADMIN);
    snprintf(adm, sizeof adm, "%s", kz_resp_str(&r, "user.id"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/users/%s", adm);
    r = kz_patch(&N, path, other_key, "{\"password\":\"take over the node\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, other_key);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, ADMIN); /* nor may anyone delete itself */
    KZ_EXPECT_ERR(r, 409, "conflict", NULL);
    kz_resp_free(&r);

    /* Deleting a user revokes its keys. */
    snprintf(path, sizeof path, "/api/v1/users/%s", an);
    r = kz_delete(&N, path, oa_key);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", an_key);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    r = kz_get(&N, path, oa_key);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

static void test_password_change_and_removal(void **state)
{
    (void)state;
    char uid[40];
    kz_make_user(&N, ADMIN, ORG_A, "pw@a.example", "analyst", uid, NULL);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", uid);
    kz_resp r = kz_patch(&N, path, ADMIN, "{\"password\":\"tiny\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "password");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"password\":\"a long enough one\"}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_true(kz_resp_get(&r, "has_password")));
    kz_resp_free(&r);
    /* "pw@a.example:a long enough one" */
    r = kz_get(&N, "/api/v1/me", "Basic cHdAYS5leGFtcGxlOmEgbG9uZyBlbm91Z2ggb25l");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"password\":null}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_false(kz_resp_get(&r, "has_password")));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", "Basic cHdAYS5leGFtcGxlOmEgbG9uZyBlbm91Z2ggb25l");
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
}

/* ---- keys ---------------------------------------------------------------- */

static void test_key_lifecycle(void **state)
{
    (void)state;
    char uid[40], key[64];
    kz_make_user(&N, ADMIN, ORG_B, "keys@b.example", "analyst", uid, key);

    kz_resp r = kz_post(&N, "/api/v1/keys", key, "{\"label\":\"sensor\"}");
    KZ_EXPECT(r, 201);
    char kid[40], secret[64];
    snprintf(kid, sizeof kid, "%s", kz_resp_str(&r, "id"));
    snprintf(secret, sizeof secret, "%s", kz_resp_str(&r, "key"));
    assert_int_equal(strlen(secret), 46);
    assert_memory_equal(secret, "kz_", 3);
    assert_string_equal(kz_resp_str(&r, "user_id"), uid);
    assert_true(json_is_null(kz_resp_get(&r, "revoked")));
    kz_resp_free(&r);

    r = kz_get(&N, "/api/v1/me", secret);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "key_id"), kid);
    kz_resp_free(&r);

    r = kz_get(&N, "/api/v1/keys", key);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "keys", "id", kid));
    assert_true(kz_resp_list_has(&r, "keys", "label", "sensor"));
    assert_null(strstr(r.body, secret));
    assert_null(strstr(r.body, "\"key\""));
    assert_null(strstr(r.body, "hash"));
    kz_resp_free(&r);

    /* Another user cannot see or revoke it. */
    char other[40], other_key[64];
    kz_make_user(&N, ADMIN, ORG_B, "nosy@b.example", "analyst", other, other_key);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/keys/%s", kid);
    r = kz_delete(&N, path, other_key);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, other_key, "/api/v1/keys?user_id=%s", uid);
    KZ_EXPECT_ERR(r, 404, "not_found", "user_id");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", secret);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);

    /* The admin can list it; the owner revokes it; it stops working. */
    r = kz_getf(&N, ADMIN, "/api/v1/keys?user_id=%s", uid);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "keys", "id", kid));
    kz_resp_free(&r);
    r = kz_delete(&N, path, key);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", secret);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    assert_string_equal(kz_resp_str(&r, "error.message"), "unknown, revoked or expired API key");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/keys", key);
    assert_true(kz_resp_list_has(&r, "keys", "id", kid));
    json_t *arr = kz_resp_get(&r, "keys"), *it;
    size_t i;
    json_array_foreach(arr, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "id")), kid) == 0)
            assert_true(json_is_string(json_object_get(it, "revoked")));
    }
    kz_resp_free(&r);
    r = kz_delete(&N, path, key); /* again: harmless */
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_delete(&N, "/api/v1/keys/00000000-0000-4000-8000-000000000000", key);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

static void test_key_create_rejects_bad_input(void **state)
{
    (void)state;
    char uid[40], key[64], a_user[40];
    kz_make_user(&N, ADMIN, ORG_B, "kb@b.example", "analyst", uid, key);
    kz_make_user(&N, ADMIN, ORG_A, "ka@a.example", "analyst", a_user, NULL);
    char body[256];
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"label\":7}", 400, "invalid", "label"},
        {"{\"label\":\"x\",\"scope\":\"all\"}", 400, "invalid", "scope"},
        {"{\"expires\":\"yesterday\"}", 422, "invalid_value", "expires"},
        {"{\"expires\":\"2001-01-01T00:00:00Z\"}", 422, "invalid_value", "expires"},
        {"[]", 400, "invalid", NULL},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_resp r = kz_post(&N, "/api/v1/keys", key, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    /* An analyst cannot mint keys for someone else. */
    snprintf(body, sizeof body, "{\"user_id\":\"%s\"}", a_user);
    kz_resp r = kz_post(&N, "/api/v1/keys", key, body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "user_id");
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "/api/v1/keys?user_id=%s", a_user);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "keys"), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/keys", key);
    assert_int_equal(kz_resp_count(&r, "keys"), 1); /* only the one kz_make_user made */
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/keys?user_id=bogus", key);
    KZ_EXPECT_ERR(r, 400, "invalid", "user_id");
    kz_resp_free(&r);
}

static void test_expired_key_is_refused(void **state)
{
    (void)state;
    char uid[40], key[64];
    kz_make_user(&N, ADMIN, ORG_A, "exp@a.example", "read_only", uid, key);
    char exp[KZ_TIME_STRLEN + 1], body[128];
    kz_time_format(kz_time_now() + 3000000, exp);
    snprintf(body, sizeof body, "{\"label\":\"short\",\"expires\":\"%s\"}", exp);
    kz_resp r = kz_post(&N, "/api/v1/keys", key, body);
    KZ_EXPECT(r, 201);
    char secret[64];
    snprintf(secret, sizeof secret, "%s", kz_resp_str(&r, "key"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", secret);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    usleep(3500000);
    r = kz_get(&N, "/api/v1/me", secret);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
}

static void test_last_used_is_recorded(void **state)
{
    (void)state;
    char uid[40], key[64];
    kz_make_user(&N, ADMIN, ORG_A, "lu@a.example", "read_only", uid, key);
    kz_resp r = kz_get(&N, "/api/v1/keys", key); /* this request uses the key */
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/keys", key);
    json_t *k0 = json_array_get(kz_resp_get(&r, "keys"), 0);
    assert_true(json_is_string(json_object_get(k0, "last_used")));
    kz_resp_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_needs_no_key_and_reports_version),
        cmocka_unit_test(test_home_page_is_html_with_name_and_version),
        cmocka_unit_test(test_unknown_route_is_404_and_wrong_method_405_with_allow),
        cmocka_unit_test(test_me_tells_user_org_and_role),
        cmocka_unit_test(test_org_create_read_list),
        cmocka_unit_test(test_org_create_rejects_every_bad_input),
        cmocka_unit_test(test_sql_metacharacters_are_stored_verbatim),
        cmocka_unit_test(test_org_patch_and_delete),
        cmocka_unit_test(test_org_create_needs_admin),
        cmocka_unit_test(test_user_create_with_password_and_basic_auth),
        cmocka_unit_test(test_user_create_rejects_bad_input),
        cmocka_unit_test(test_org_admin_manages_only_its_org_and_no_admins),
        cmocka_unit_test(test_password_change_and_removal),
        cmocka_unit_test(test_key_lifecycle),
        cmocka_unit_test(test_key_create_rejects_bad_input),
        cmocka_unit_test(test_expired_key_is_refused),
        cmocka_unit_test(test_last_used_is_recorded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
