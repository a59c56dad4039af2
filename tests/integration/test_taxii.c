/* test_taxii.c — the TAXII 2.1 server over the real node: discovery, the API
 * root, collections derived from the sharing model (own org, each community
 * at a TLP ceiling), Add Objects with its status resource (failures,
 * duplicates), object listings with every filter and stateless pagination
 * (a `next` token still works after a restart), manifest, versions, one
 * object GET/DELETE, the TAXII error bodies of 401/403/404/405/406/413/415/
 * 422 (405 with Allow), sharing-group collections (members only, POST makes
 * sharing_group events), and the ACL: an AMBER+STRICT object of another org
 * never shows anywhere.
 * docs/taxii-conformance.md cites these test names.
 */
#include <curl/curl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_node.h"

#define MEDIA "application/taxii+json;version=2.1"
#define ROOT "/taxii2/kizuna/"
#define COLL_NS "5b0f6e3a-2c1d-4e8f-9a7b-3d6c1e0f2a94"
#define MAX_BODY "300000"

static kz_node N;
static char ORG_A[40], ORG_B[40], ORG_C[40], COMM[40];
static char A_AN[64], A_RO[64], B_AN[64], C_AN[64], A_AN_ID[40];
static char BEARER_A[80], BEARER_RO[80], BEARER_B[80], BEARER_C[80];
static char ORG_COLL_A[40], COMM_GREEN[40], COMM_AMBER[40];

/* ---- a TAXII client with the headers the tests look at ------------------- */

typedef struct tx {
    long status;
    char *body;
    size_t len;
    json_t *json;
    char ctype[128], first[64], last[64], allow[128];
} tx;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    tx *t = ud;
    size_t k = sz * n;
    char *nb = realloc(t->body, t->len + k + 1);
    if (!nb)
        return 0;
    memcpy(nb + t->len, p, k);
    t->body = nb;
    t->len += k;
    t->body[t->len] = 0;
    return k;
}

static void hdr_copy(const char *p, size_t n, const char *name, char *out, size_t cap)
{
    size_t l = strlen(name);
    if (n <= l || strncasecmp(p, name, l) != 0)
        return;
    p += l, n -= l;
    while (n && (*p == ' '))
        p++, n--;
    while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    snprintf(out, cap, "%.*s", (int)n, p);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    tx *t = ud;
    size_t k = sz * n;
    hdr_copy(p, k, "Content-Type:", t->ctype, sizeof t->ctype);
    hdr_copy(p, k, "X-TAXII-Date-Added-First:", t->first, sizeof t->first);
    hdr_copy(p, k, "X-TAXII-Date-Added-Last:", t->last, sizeof t->last);
    hdr_copy(p, k, "Allow:", t->allow, sizeof t->allow);
    return k;
}

static tx taxii_full(const char *method, const char *path, const char *auth, const char *accept,
                     const char *ctype, const char *body, size_t blen)
{
    tx t;
    memset(&t, 0, sizeof t);
    CURL *c = curl_easy_init();
    char url[4096], h1[512], h2[256], h3[256];
    snprintf(url, sizeof url, "%s%s", N.base, path);
    struct curl_slist *hl = NULL;
    if (auth) {
        snprintf(h1, sizeof h1, "Authorization: %s", auth);
        hl = curl_slist_append(hl, h1);
    }
    snprintf(h2, sizeof h2, "Accept: %s", accept ? accept : "");
    hl = curl_slist_append(hl, h2);
    if (ctype) {
        snprintf(h3, sizeof h3, "Content-Type: %s", ctype);
        hl = curl_slist_append(hl, h3);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (t.body)
        t.json = json_loads(t.body, 0, NULL);
    return t;
}

static tx tget(const char *auth, const char *path) { return taxii_full("GET", path, auth, MEDIA, NULL, NULL, 0); }

static tx tpost(const char *auth, const char *path, const char *body)
{
    return taxii_full("POST", path, auth, MEDIA, MEDIA, body, strlen(body));
}

static void tx_free(tx *t)
{
    free(t->body);
    json_decref(t->json);
    memset(t, 0, sizeof *t);
}

static const char *jstr(json_t *j, const char *k) { return json_string_value(json_object_get(j, k)); }

/* A TAXII error resource with this status. */
static void expect_taxii_error(const tx *t, long status)
{
    assert_int_equal(t->status, status);
    assert_non_null(t->json);
    assert_string_equal(t->ctype, MEDIA);
    assert_non_null(jstr(t->json, "title"));
    assert_non_null(jstr(t->json, "description"));
    char st[8];
    snprintf(st, sizeof st, "%ld", status);
    assert_string_equal(jstr(t->json, "http_status"), st);
}

static void coll_path(char *out, size_t n, const char *coll, const char *rest)
{
    snprintf(out, n, ROOT "collections/%s/%s", coll, rest);
}

/* ---- objects ----------------------------------------------------------------- */

#define IND_A "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e01"
#define IND_B "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e02"
#define IDENT "identity--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e03"
#define DOMAIN "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"
#define STRICT "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1eff"
#define COMM_IND "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1ec0"
#define COMM_IND_B "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1ec1"

static char *indicator(const char *id, const char *modified, const char *ip)
{
    char *s = NULL;
    if (asprintf(&s,
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"%s\","
                 "\"pattern\":\"[ipv4-addr:value = '%s']\",\"pattern_type\":\"stix\","
                 "\"valid_from\":\"2026-01-01T00:00:00Z\"}",
                 id, modified, ip) < 0)
        return NULL;
    return s;
}

static char *envelope(const char *const *objs, size_t n)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kz_buf_putc(&b, ',');
        kz_buf_puts(&b, objs[i]);
    }
    kz_buf_puts(&b, "]}");
    return kz_buf_steal(&b);
}

static void coll_uuid(const char *name, char out[40])
{
    kz_uuid u;
    assert_int_equal(kz_uuid_v5(COLL_NS, name, strlen(name), u), 0);
    snprintf(out, 40, "%s", u);
}

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0)
        return -1;
    const char *extra[] = {"--max-body", MAX_BODY, NULL};
    if (kz_node_start(&N, extra) != 0)
        return -1;
    kz_resp r = kz_get(&N, "/api/v1/me", N.admin_key);
    if (r.status != 200)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, N.admin_key, "CERT-B", "JP", ORG_B);
    kz_make_org(&N, N.admin_key, "CERT-C", "US", ORG_C);
    char id[40];
    kz_make_user(&N, N.admin_key, ORG_A, "an@a.example", "analyst", A_AN_ID, A_AN);
    kz_make_user(&N, N.admin_key, ORG_A, "ro@a.example", "read_only", id, A_RO);
    kz_make_user(&N, N.admin_key, ORG_B, "an@b.example", "publisher", id, B_AN);
    kz_make_user(&N, N.admin_key, ORG_C, "an@c.example", "analyst", id, C_AN);
    snprintf(BEARER_A, sizeof BEARER_A, "Bearer %s", A_AN);
    snprintf(BEARER_RO, sizeof BEARER_RO, "Bearer %s", A_RO);
    snprintf(BEARER_B, sizeof BEARER_B, "Bearer %s", B_AN);
    snprintf(BEARER_C, sizeof BEARER_C, "Bearer %s", C_AN);
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"asean\",\"member_orgs\":[\"%s\",\"%s\"]}", ORG_A,
             ORG_B);
    r = kz_post(&N, "/api/v1/communities", N.admin_key, body);
    if (r.status != 201)
        return -1;
    snprintf(COMM, sizeof COMM, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    char name[128];
    snprintf(name, sizeof name, "org:%s", ORG_A);
    coll_uuid(name, ORG_COLL_A);
    snprintf(name, sizeof name, "community:%s:green", COMM);
    coll_uuid(name, COMM_GREEN);
    snprintf(name, sizeof name, "community:%s:amber", COMM);
    coll_uuid(name, COMM_AMBER);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* ---- discovery, api root, media types, auth --------------------------------- */

static void test_taxii_discovery(void **state)
{
    (void)state;
    tx t = tget(BEARER_A, "/taxii2/");
    assert_int_equal(t.status, 200);
    assert_string_equal(t.ctype, MEDIA);
    assert_non_null(jstr(t.json, "title"));
    assert_string_equal(jstr(t.json, "default"), ROOT);
    json_t *roots = json_object_get(t.json, "api_roots");
    assert_int_equal(json_array_size(roots), 1);
    assert_string_equal(json_string_value(json_array_get(roots, 0)), ROOT);
    tx_free(&t);
}

static void test_taxii_accept_406(void **state)
{
    (void)state;
    /* Accepted: the exact type, without version, wildcards, a list. */
    const char *good[] = {MEDIA, "application/taxii+json", "*/*", "application/*",
                          "text/html, application/taxii+json; version=2.1;q=0.9"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        tx t = taxii_full("GET", "/taxii2/", BEARER_A, good[i], NULL, NULL, 0);
        assert_int_equal(t.status, 200);
        tx_free(&t);
    }
    const char *bad[] = {"application/json", "application/taxii+json;version=2.0",
                         "application/stix+json;version=2.1", "text/html"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tx t = taxii_full("GET", ROOT "collections/", BEARER_A, bad[i], NULL, NULL, 0);
        expect_taxii_error(&t, 406);
        assert_string_equal(jstr(t.json, "error_code"), "not_acceptable");
        assert_non_null(strstr(jstr(t.json, "description"), bad[i]));
        tx_free(&t);
    }
}

static void test_taxii_api_root(void **state)
{
    (void)state;
    tx t = tget(BEARER_A, ROOT);
    assert_int_equal(t.status, 200);
    assert_string_equal(t.ctype, MEDIA);
    json_t *v = json_object_get(t.json, "versions");
    assert_int_equal(json_array_size(v), 1);
    assert_string_equal(json_string_value(json_array_get(v, 0)), MEDIA);
    assert_int_equal(json_integer_value(json_object_get(t.json, "max_content_length")),
                     atoi(MAX_BODY));
    tx_free(&t);
    t = tget(BEARER_A, "/taxii2/nope/");
    expect_taxii_error(&t, 404);
    tx_free(&t);
    t = tget(BEARER_A, "/taxii2/nope/collections/");
    expect_taxii_error(&t, 404);
    tx_free(&t);
}

static void basic_header(const char *user, const char *pw, char *out, size_t n)
{
    char cred[256];
    snprintf(cred, sizeof cred, "%s:%s", user, pw);
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char b64[400];
    size_t len = strlen(cred), o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned char)cred[i] << 16 |
                     (i + 1 < len ? (unsigned char)cred[i + 1] << 8 : 0) |
                     (i + 2 < len ? (unsigned char)cred[i + 2] : 0);
        b64[o++] = tbl[v >> 18 & 63];
        b64[o++] = tbl[v >> 12 & 63];
        b64[o++] = i + 1 < len ? tbl[v >> 6 & 63] : '=';
        b64[o++] = i + 2 < len ? tbl[v & 63] : '=';
    }
    b64[o] = 0;
    snprintf(out, n, "Basic %s", b64);
}

static void test_taxii_auth_401_basic(void **state)
{
    (void)state;
    tx t = tget(NULL, "/taxii2/");
    expect_taxii_error(&t, 401);
    tx_free(&t);
    t = tget("Bearer kz_not_a_key", ROOT "collections/");
    expect_taxii_error(&t, 401);
    tx_free(&t);
    /* HTTP Basic with the user's password. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", A_AN_ID);
    kz_resp r = kz_patch(&N, path, N.admin_key, "{\"password\":\"correct horse battery staple\"}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    char hdr[512];
    basic_header("an@a.example", "correct horse battery staple", hdr, sizeof hdr);
    t = tget(hdr, ROOT "collections/");
    assert_int_equal(t.status, 200);
    assert_int_equal(json_array_size(json_object_get(t.json, "collections")), 3);
    tx_free(&t);
    basic_header("an@a.example", "wrong password!!", hdr, sizeof hdr);
    t = tget(hdr, ROOT "collections/");
    expect_taxii_error(&t, 401);
    tx_free(&t);
}

/* ---- collections -------------------------------------------------------------- */

static json_t *find_coll(json_t *list, const char *id)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        if (strcmp(jstr(c, "id"), id) == 0)
            return c;
    }
    return NULL;
}

static void test_taxii_collections(void **state)
{
    (void)state;
    tx t = tget(BEARER_A, ROOT "collections/");
    assert_int_equal(t.status, 200);
    json_t *l = json_object_get(t.json, "collections");
    /* Own org, and the community at the GREEN and AMBER ceilings: the ids
     * are UUIDv5 of "org:<org>" / "community:<id>:<tlp>". */
    assert_int_equal(json_array_size(l), 3);
    const char *ids[] = {ORG_COLL_A, COMM_GREEN, COMM_AMBER};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = find_coll(l, ids[i]);
        assert_non_null(c);
        assert_true(json_is_true(json_object_get(c, "can_read")));
        assert_true(json_is_true(json_object_get(c, "can_write")));
        assert_string_equal(json_string_value(json_array_get(json_object_get(c, "media_types"), 0)),
                            "application/stix+json;version=2.1");
        assert_non_null(jstr(c, "title"));
    }
    tx_free(&t);
    /* Read-only: same collections, no writing. */
    t = tget(BEARER_RO, ROOT "collections/");
    json_t *c = find_coll(json_object_get(t.json, "collections"), COMM_AMBER);
    assert_non_null(c);
    assert_true(json_is_false(json_object_get(c, "can_write")));
    tx_free(&t);
    /* CERT-C is in no community: only its own org's collection, and A's
     * collections do not exist for it. */
    t = tget(BEARER_C, ROOT "collections/");
    assert_int_equal(json_array_size(json_object_get(t.json, "collections")), 1);
    assert_null(find_coll(json_object_get(t.json, "collections"), COMM_AMBER));
    tx_free(&t);
    char p[256];
    coll_path(p, sizeof p, COMM_AMBER, "");
    t = tget(BEARER_C, p);
    expect_taxii_error(&t, 404);
    tx_free(&t);
    t = tget(BEARER_A, p);
    assert_int_equal(t.status, 200);
    assert_string_equal(jstr(t.json, "id"), COMM_AMBER);
    tx_free(&t);
}

/* ---- Add Objects and status ---------------------------------------------------- */

static char STATUS_ID[64];

static void test_taxii_post_status(void **state)
{
    (void)state;
    char *a1 = indicator(IND_A, "2026-01-01T00:00:00.000Z", "198.51.100.1");
    char *a2 = indicator(IND_A, "2026-02-01T00:00:00.000Z", "198.51.100.2");
    char *b1 = indicator(IND_B, "2026-01-05T00:00:00.000Z", "198.51.100.3");
    const char *ident = "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"" IDENT "\","
                        "\"created\":\"2026-01-01T00:00:00.000Z\","
                        "\"modified\":\"2026-01-01T00:00:00.000Z\",\"name\":\"Someone\","
                        "\"identity_class\":\"individual\"}";
    const char *dom = "{\"type\":\"domain-name\",\"spec_version\":\"2.1\",\"id\":\"" DOMAIN
                      "\",\"value\":\"example.com\"}";
    const char *bad = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--nope\"}";
    const char *objs[] = {a1, b1, ident, dom, bad};
    char *env = envelope(objs, 5);
    char p[256];
    coll_path(p, sizeof p, ORG_COLL_A, "objects/");
    tx t = tpost(BEARER_A, p, env);
    assert_int_equal(t.status, 202);
    assert_string_equal(t.ctype, MEDIA);
    assert_string_equal(jstr(t.json, "status"), "complete");
    assert_int_equal(json_integer_value(json_object_get(t.json, "total_count")), 5);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 4);
    assert_int_equal(json_integer_value(json_object_get(t.json, "failure_count")), 1);
    assert_int_equal(json_integer_value(json_object_get(t.json, "pending_count")), 0);
    assert_non_null(jstr(t.json, "request_timestamp"));
    json_t *f = json_array_get(json_object_get(t.json, "failures"), 0);
    assert_string_equal(jstr(f, "id"), "indicator--nope");
    assert_non_null(strstr(jstr(f, "message"), "indicator--nope"));
    json_t *s0 = json_array_get(json_object_get(t.json, "successes"), 0);
    assert_string_equal(jstr(s0, "id"), IND_A);
    assert_string_equal(jstr(s0, "version"), "2026-01-01T00:00:00.000Z");
    snprintf(STATUS_ID, sizeof STATUS_ID, "%s", jstr(t.json, "id"));
    char *first = json_dumps(t.json, JSON_COMPACT | JSON_SORT_KEYS);
    tx_free(&t);

    /* The status resource reads back the same. */
    snprintf(p, sizeof p, ROOT "status/%s/", STATUS_ID);
    t = tget(BEARER_A, p);
    assert_int_equal(t.status, 200);
    char *again = json_dumps(t.json, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(first, again);
    free(first);
    free(again);
    tx_free(&t);
    /* Another org cannot read it. */
    t = tget(BEARER_B, p);
    expect_taxii_error(&t, 404);
    tx_free(&t);

    /* Resending is not an error: duplicates are successes; a2 is a new
     * version of IND_A. */
    const char *objs2[] = {a1, a2};
    char *env2 = envelope(objs2, 2);
    coll_path(p, sizeof p, ORG_COLL_A, "objects/");
    t = tpost(BEARER_A, p, env2);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 2);
    assert_int_equal(json_integer_value(json_object_get(t.json, "failure_count")), 0);
    assert_null(json_object_get(t.json, "failures"));
    tx_free(&t);
    free(env2);
    free(env);
    free(a1);
    free(a2);
    free(b1);
}

static void test_taxii_post_errors(void **state)
{
    (void)state;
    char p[256];
    coll_path(p, sizeof p, ORG_COLL_A, "objects/");
    const char *env = "{\"objects\":[]}";
    /* 415: not the TAXII media type. */
    tx t = taxii_full("POST", p, BEARER_A, MEDIA, "application/json", env, strlen(env));
    expect_taxii_error(&t, 415);
    tx_free(&t);
    t = taxii_full("POST", p, BEARER_A, MEDIA, "application/taxii+json;version=2.0", env,
                   strlen(env));
    expect_taxii_error(&t, 415);
    tx_free(&t);
    /* 422: not an envelope. */
    t = tpost(BEARER_A, p, "this is not json");
    expect_taxii_error(&t, 422);
    tx_free(&t);
    t = tpost(BEARER_A, p, "[1,2]");
    expect_taxii_error(&t, 422);
    tx_free(&t);
    /* 413: above max_content_length. */
    size_t big = (size_t)atoi(MAX_BODY) + 10;
    char *b = malloc(big + 1);
    memset(b, ' ', big);
    b[0] = '{';
    b[big - 1] = '}';
    b[big] = 0;
    t = taxii_full("POST", p, BEARER_A, MEDIA, MEDIA, b, big);
    expect_taxii_error(&t, 413);
    tx_free(&t);
    free(b);
    /* 403: a read-only user may not write. */
    t = tpost(BEARER_RO, p, env);
    expect_taxii_error(&t, 403);
    tx_free(&t);
    /* 404: a collection the caller does not have. */
    coll_path(p, sizeof p, ORG_COLL_A, "objects/");
    t = tpost(BEARER_C, p, env);
    expect_taxii_error(&t, 404);
    tx_free(&t);
    /* An empty envelope is fine. */
    t = tpost(BEARER_A, p, env);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "total_count")), 0);
    tx_free(&t);
}

/* B's org collection, and the path of its objects. */
static void org_b_objects(char coll[40], char *p, size_t cap)
{
    char name[128];
    snprintf(name, sizeof name, "org:%s", ORG_B);
    coll_uuid(name, coll);
    coll_path(p, cap, coll, "objects/");
}

/* Events visible to key whose title says a TAXII collection made them. */
static size_t taxii_events(const char *key)
{
    kz_resp r = kz_get(&N, "/api/v1/events?limit=100", key);
    assert_int_equal(r.status, 200);
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(kz_resp_get(&r, "events"), i, e) {
        const char *title = json_string_value(json_object_get(e, "title"));
        n += title && strncmp(title, "TAXII: ", 7) == 0;
    }
    kz_resp_free(&r);
    return n;
}

static void test_taxii_post_is_one_transaction(void **state)
{
    (void)state;
    /* B's first post to its org collection is a document the node cannot
     * read: the collection's event it would go into is not left behind. */
    char coll[40], p[256];
    org_b_objects(coll, p, sizeof p);
    size_t before = taxii_events(B_AN);
    tx t = tpost(BEARER_B, p, "{\"objects\":{\"not\":\"an array\"}}");
    expect_taxii_error(&t, 422);
    tx_free(&t);
    assert_int_equal(taxii_events(B_AN), before);
    /* A document it can read makes the event, with the objects and the
     * status resource. */
    char *ind = indicator("indicator--6b1c4a1e-3f0d-4e55-9a5e-0c1d2e3f4a5b",
                          "2026-01-01T00:00:00.000Z", "198.51.100.77");
    const char *objs[] = {ind};
    char *env = envelope(objs, 1);
    t = tpost(BEARER_B, p, env);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    char sp[256];
    snprintf(sp, sizeof sp, ROOT "status/%s/", jstr(t.json, "id"));
    tx_free(&t);
    assert_int_equal(taxii_events(B_AN), before + 1);
    t = tget(BEARER_B, sp);
    assert_int_equal(t.status, 200);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    tx_free(&t);
    free(env);
    free(ind);
}

/* An object whose id is not UTF-8 is one failure in the status (its id
 * shown with '?' for the bytes), not the end of the request. */
static void test_taxii_post_id_not_utf8(void **state)
{
    (void)state;
    char *ind = indicator("indicator--7c2d5b3e-4f1a-4e66-8b6f-1d2e3f4a5b6c",
                          "2026-01-01T00:00:00.000Z", "198.51.100.78");
    const char *bad = "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                      "\"id\":\"indicator--\xff\xfe\"}";
    const char *objs[] = {ind, bad};
    char *env = envelope(objs, 2);
    char coll[40], p[256];
    org_b_objects(coll, p, sizeof p);
    tx t = tpost(BEARER_B, p, env);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    assert_int_equal(json_integer_value(json_object_get(t.json, "failure_count")), 1);
    json_t *f = json_array_get(json_object_get(t.json, "failures"), 0);
    assert_string_equal(jstr(f, "id"), "indicator--??");
    assert_non_null(jstr(f, "message"));
    tx_free(&t);
    free(env);
    free(ind);
}

static tx list(const char *auth, const char *coll, const char *what, const char *query);

static void post_too_complex(const char *p, const char *body)
{
    tx t = tpost(BEARER_B, p, body);
    expect_taxii_error(&t, 413);
    assert_non_null(strstr(t.body, "STIX document too complex"));
    tx_free(&t);
}

/* A document whose parse would take more memory than its size allows is
 * refused whole (413): the valid object beside it is not stored either. */
static void test_taxii_post_too_complex_stores_nothing(void **state)
{
    (void)state;
    const char *id = "indicator--8d3e6c4f-5a2b-4f77-9c70-2e3f4a5b6c7d";
    char *ind = indicator(id, "2026-01-01T00:00:00.000Z", "198.51.100.79");
    /* A report (read in full before anything is stored) of 280,000 bytes
     * of empty objects: as a tree, some 50 times that. */
    size_t n = 90000;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_printf(&b, "{\"objects\":[%s,{\"type\":\"report\",\"spec_version\":\"2.1\","
                      "\"id\":\"report--9e4f7d5a-6b3c-4a88-8d81-3f4a5b6c7d8e\","
                      "\"created\":\"2026-01-01T00:00:00.000Z\","
                      "\"modified\":\"2026-01-01T00:00:00.000Z\",\"name\":\"r\","
                      "\"published\":\"2026-01-01T00:00:00Z\",\"object_refs\":[\"%s\"],"
                      "\"x_junk\":[",
                  ind, id);
    for (size_t i = 0; i < n; i++)
        kz_buf_puts(&b, i ? ",{}" : "{}");
    kz_buf_puts(&b, "]}]}");
    char coll[40], p[256];
    org_b_objects(coll, p, sizeof p);
    post_too_complex(p, b.p);
    kz_buf_free(&b);
    char q[128];
    snprintf(q, sizeof q, "?match[id]=%s", id);
    tx t = list(BEARER_B, coll, "objects/", q);
    assert_int_equal(t.status, 200);
    assert_int_equal(json_array_size(json_object_get(t.json, "objects")), 0);
    tx_free(&t);
    free(ind);
}

/* The same when the object that is too complex is read by one of the
 * import's reading threads (an envelope of more than 1,024 objects): each
 * keeps a budget of its own, and nothing is stored. */
static void test_taxii_post_too_complex_in_a_reader_stores_nothing(void **state)
{
    (void)state;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"objects\":[");
    for (size_t i = 0; i < 1100; i++) {
        char name[32];
        int len = snprintf(name, sizeof name, "reader-%zu", i);
        kz_uuid u;
        assert_int_equal(kz_uuid_v5(COLL_NS, name, (size_t)len, u), 0);
        if (i == 1050) {
            kz_buf_printf(&b, ",{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\","
                              "\"id\":\"ipv4-addr--%s\",\"value\":\"10.9.9.9\",\"x_junk\":[",
                          u);
            for (size_t k = 0; k < 50000; k++)
                kz_buf_puts(&b, k ? ",{}" : "{}");
            kz_buf_puts(&b, "]}");
            continue;
        }
        kz_buf_printf(&b, "%s{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\","
                          "\"id\":\"ipv4-addr--%s\",\"value\":\"10.9.%zu.%zu\"}",
                      i ? "," : "", u, i >> 8, i & 255);
    }
    kz_buf_puts(&b, "]}");
    assert_true(b.len < (size_t)atoi(MAX_BODY));
    char coll[40], p[256];
    org_b_objects(coll, p, sizeof p);
    post_too_complex(p, b.p);
    kz_buf_free(&b);
    tx t = list(BEARER_B, coll, "objects/", "?match[type]=ipv4-addr");
    assert_int_equal(t.status, 200);
    assert_int_equal(json_array_size(json_object_get(t.json, "objects")), 0);
    tx_free(&t);
}

/* ---- listings ----------------------------------------------------------------- */

static size_t count_objs(const tx *t) { return json_array_size(json_object_get(t->json, "objects")); }

static bool has_obj(const tx *t, const char *id, const char *modified)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(t->json, "objects"), i, o) {
        if (strcmp(jstr(o, "id"), id) == 0 && (!modified || strcmp(jstr(o, "modified"), modified) == 0))
            return true;
    }
    return false;
}

static tx list(const char *auth, const char *coll, const char *what, const char *query)
{
    char p[1024];
    snprintf(p, sizeof p, ROOT "collections/%s/%s%s", coll, what, query);
    return tget(auth, p);
}

static void test_taxii_objects_filters(void **state)
{
    (void)state;
    /* Default: the last version of each object, ascending date_added. */
    tx t = list(BEARER_A, ORG_COLL_A, "objects/", "");
    assert_int_equal(t.status, 200);
    assert_string_equal(t.ctype, MEDIA);
    assert_int_equal(count_objs(&t), 4);
    assert_true(has_obj(&t, IND_A, "2026-02-01T00:00:00.000Z"));
    assert_false(has_obj(&t, IND_A, "2026-01-01T00:00:00.000Z"));
    assert_true(json_is_false(json_object_get(t.json, "more")));
    assert_null(json_object_get(t.json, "next"));
    tx_free(&t);

    /* The manifest gives date_added: the headers are its first and last,
     * and the order is ascending. */
    t = list(BEARER_A, ORG_COLL_A, "manifest/", "?match[version]=all");
    assert_int_equal(t.status, 200);
    json_t *m = json_object_get(t.json, "objects");
    assert_int_equal(json_array_size(m), 5);
    for (size_t i = 1; i < json_array_size(m); i++)
        assert_true(strcmp(jstr(json_array_get(m, i - 1), "date_added"),
                           jstr(json_array_get(m, i), "date_added")) < 0);
    char first[64], last[64];
    snprintf(first, sizeof first, "%s", jstr(json_array_get(m, 0), "date_added"));
    snprintf(last, sizeof last, "%s", jstr(json_array_get(m, 4), "date_added"));
    assert_string_equal(t.first, first);
    assert_string_equal(t.last, last);
    json_t *e0 = json_array_get(m, 0);
    assert_string_equal(jstr(e0, "id"), IND_A);
    assert_string_equal(jstr(e0, "version"), "2026-01-01T00:00:00.000000Z");
    assert_string_equal(jstr(e0, "media_type"), "application/stix+json;version=2.1");
    tx_free(&t);

    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[version]=all");
    assert_int_equal(count_objs(&t), 5);
    assert_string_equal(t.first, first);
    assert_string_equal(t.last, last);
    tx_free(&t);

    /* match[type], with a comma list. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[type]=indicator");
    assert_int_equal(count_objs(&t), 2);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[type]=identity,domain-name");
    assert_int_equal(count_objs(&t), 2);
    assert_true(has_obj(&t, IDENT, NULL));
    assert_true(has_obj(&t, DOMAIN, NULL));
    tx_free(&t);
    /* match[id]. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[id]=" IND_B "," DOMAIN);
    assert_int_equal(count_objs(&t), 2);
    assert_true(has_obj(&t, IND_B, NULL));
    tx_free(&t);
    /* match[version]: first, last, a timestamp, a list. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[id]=" IND_A "&match[version]=first");
    assert_int_equal(count_objs(&t), 1);
    assert_true(has_obj(&t, IND_A, "2026-01-01T00:00:00.000Z"));
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[id]=" IND_A "&match[version]=last");
    assert_int_equal(count_objs(&t), 1);
    assert_true(has_obj(&t, IND_A, "2026-02-01T00:00:00.000Z"));
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/",
             "?match[id]=" IND_A "&match[version]=2026-01-01T00:00:00.000Z");
    assert_int_equal(count_objs(&t), 1);
    assert_true(has_obj(&t, IND_A, "2026-01-01T00:00:00.000Z"));
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[id]=" IND_A "&match[version]=first,last");
    assert_int_equal(count_objs(&t), 2);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[version]=yesterday");
    expect_taxii_error(&t, 400);
    tx_free(&t);
    /* "all" alone, no value twice. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[version]=all,last");
    expect_taxii_error(&t, 400);
    assert_non_null(strstr(jstr(t.json, "description"), "'all'"));
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[version]=first,first");
    expect_taxii_error(&t, 400);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?added_after=2026-01-01T00:00:00Z&added_after=2026-01-02T00:00:00Z");
    expect_taxii_error(&t, 400);
    tx_free(&t);
    /* match[spec_version]. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[spec_version]=2.1");
    assert_int_equal(count_objs(&t), 4);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[spec_version]=2.0");
    assert_int_equal(t.status, 200);
    assert_string_equal(t.body, "{}"); /* the empty envelope */
    assert_string_equal(t.first, "");
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "manifest/", "?match[spec_version]=2.0");
    assert_string_equal(t.body, "{}");
    tx_free(&t);
    /* A type of no object is no error. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[type]=x-custom-thing,malware");
    assert_int_equal(t.status, 200);
    assert_string_equal(t.body, "{}");
    tx_free(&t);
    /* added_after: strictly after. */
    char q[256];
    snprintf(q, sizeof q, "?match[version]=all&added_after=%s", first);
    t = list(BEARER_A, ORG_COLL_A, "objects/", q);
    assert_int_equal(count_objs(&t), 4);
    assert_false(has_obj(&t, IND_A, "2026-01-01T00:00:00.000Z"));
    tx_free(&t);
    snprintf(q, sizeof q, "?added_after=%s", last);
    t = list(BEARER_A, ORG_COLL_A, "objects/", q);
    assert_int_equal(count_objs(&t), 0);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?added_after=not-a-time");
    expect_taxii_error(&t, 400);
    tx_free(&t);
    /* Unknown parameters are refused. */
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?match[colour]=red");
    expect_taxii_error(&t, 400);
    tx_free(&t);
}

static char SAVED_NEXT[256];
static char SAVED_PAGE2_FIRST[128];

static void test_taxii_pagination(void **state)
{
    (void)state;
    char seen[8][128];
    size_t n_seen = 0;
    char q[512] = "?match[version]=all&limit=2";
    int pages = 0;
    for (;;) {
        tx t = list(BEARER_A, ORG_COLL_A, "objects/", q);
        assert_int_equal(t.status, 200);
        pages++;
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(t.json, "objects"), i, o) {
            assert_true(n_seen < 8);
            snprintf(seen[n_seen++], 128, "%s/%s", jstr(o, "id"),
                     jstr(o, "modified") ? jstr(o, "modified") : "");
        }
        bool more = json_is_true(json_object_get(t.json, "more"));
        if (!more) {
            assert_null(json_object_get(t.json, "next"));
            tx_free(&t);
            break;
        }
        assert_int_equal(count_objs(&t), 2);
        const char *next = jstr(t.json, "next");
        assert_non_null(next);
        if (pages == 1)
            snprintf(SAVED_NEXT, sizeof SAVED_NEXT, "%s", next);
        snprintf(q, sizeof q, "?match[version]=all&limit=2&next=%s", next);
        tx_free(&t);
    }
    /* 5 versions in pages of 2, 2, 1, nothing seen twice. */
    assert_int_equal(pages, 3);
    assert_int_equal(n_seen, 5);
    for (size_t i = 0; i < n_seen; i++)
        for (size_t j = i + 1; j < n_seen; j++)
            assert_string_not_equal(seen[i], seen[j]);
    snprintf(SAVED_PAGE2_FIRST, sizeof SAVED_PAGE2_FIRST, "%s", seen[2]);

    /* Bad tokens and limits. */
    tx t = list(BEARER_A, ORG_COLL_A, "objects/", "?next=AAAAbogus");
    expect_taxii_error(&t, 400);
    assert_non_null(strstr(jstr(t.json, "description"), "next"));
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?limit=0");
    expect_taxii_error(&t, 400);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/", "?limit=10001");
    expect_taxii_error(&t, 400);
    tx_free(&t);
    /* Manifest pages the same way. */
    t = list(BEARER_A, ORG_COLL_A, "manifest/", "?match[version]=all&limit=4");
    assert_int_equal(json_array_size(json_object_get(t.json, "objects")), 4);
    assert_true(json_is_true(json_object_get(t.json, "more")));
    assert_non_null(jstr(t.json, "next"));
    tx_free(&t);
}

static void test_taxii_next_survives_restart(void **state)
{
    (void)state;
    assert_int_equal(kz_node_stop(&N), 0);
    const char *extra[] = {"--max-body", MAX_BODY, NULL};
    assert_int_equal(kz_node_start(&N, extra), 0);
    char q[512];
    snprintf(q, sizeof q, "?match[version]=all&limit=2&next=%s", SAVED_NEXT);
    tx t = list(BEARER_A, ORG_COLL_A, "objects/", q);
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 2);
    json_t *o = json_array_get(json_object_get(t.json, "objects"), 0);
    char got[128];
    snprintf(got, sizeof got, "%s/%s", jstr(o, "id"), jstr(o, "modified") ? jstr(o, "modified") : "");
    assert_string_equal(got, SAVED_PAGE2_FIRST);
    tx_free(&t);
}

static void test_taxii_object_versions(void **state)
{
    (void)state;
    tx t = list(BEARER_A, ORG_COLL_A, "objects/" IND_A "/", "");
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 1);
    assert_true(has_obj(&t, IND_A, "2026-02-01T00:00:00.000Z"));
    assert_true(t.first[0] != 0);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/" IND_A "/", "?match[version]=all");
    assert_int_equal(count_objs(&t), 2);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/" IND_A "/versions/", "");
    assert_int_equal(t.status, 200);
    json_t *v = json_object_get(t.json, "versions");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "2026-01-01T00:00:00.000000Z");
    assert_string_equal(json_string_value(json_array_get(v, 1)), "2026-02-01T00:00:00.000000Z");
    assert_true(json_is_false(json_object_get(t.json, "more")));
    assert_true(t.last[0] != 0);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/" IND_A "/versions/", "?limit=1");
    assert_int_equal(json_array_size(json_object_get(t.json, "versions")), 1);
    assert_true(json_is_true(json_object_get(t.json, "more")));
    tx_free(&t);
    /* Unknown objects. */
    t = list(BEARER_A, ORG_COLL_A, "objects/indicator--00000000-0000-4000-8000-000000000000/", "");
    expect_taxii_error(&t, 404);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A,
             "objects/indicator--00000000-0000-4000-8000-000000000000/versions/", "");
    expect_taxii_error(&t, 404);
    tx_free(&t);
}

static void test_taxii_object_delete(void **state)
{
    (void)state;
    char p[512];
    coll_path(p, sizeof p, ORG_COLL_A, "objects/" IND_A "/");
    tx t = taxii_full("DELETE", p, BEARER_RO, MEDIA, NULL, NULL, 0);
    expect_taxii_error(&t, 403);
    tx_free(&t);
    /* can_read without can_write: 403 whether or not the object exists. */
    char p2[512];
    coll_path(p2, sizeof p2, ORG_COLL_A, "objects/indicator--00000000-0000-4000-8000-000000000000/");
    t = taxii_full("DELETE", p2, BEARER_RO, MEDIA, NULL, NULL, 0);
    expect_taxii_error(&t, 403);
    tx_free(&t);
    /* Delete only the first version. */
    snprintf(p, sizeof p, ROOT "collections/%s/objects/" IND_A "/?match[version]=first",
             ORG_COLL_A);
    t = taxii_full("DELETE", p, BEARER_A, MEDIA, NULL, NULL, 0);
    assert_int_equal(t.status, 200);
    tx_free(&t);
    t = list(BEARER_A, ORG_COLL_A, "objects/" IND_A "/versions/", "");
    assert_int_equal(json_array_size(json_object_get(t.json, "versions")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(t.json, "versions"), 0)),
                        "2026-02-01T00:00:00.000000Z");
    tx_free(&t);
    /* Then the object. */
    coll_path(p, sizeof p, ORG_COLL_A, "objects/" IND_A "/");
    t = taxii_full("DELETE", p, BEARER_A, MEDIA, NULL, NULL, 0);
    assert_int_equal(t.status, 200);
    tx_free(&t);
    t = tget(BEARER_A, p);
    expect_taxii_error(&t, 404);
    tx_free(&t);
    t = taxii_full("DELETE", p, BEARER_A, MEDIA, NULL, NULL, 0);
    expect_taxii_error(&t, 404);
    tx_free(&t);
}

/* ---- sharing: community collections and the ACL -------------------------------- */

static void test_taxii_community_sharing(void **state)
{
    (void)state;
    char p[256];
    /* A's analyst posts to the community: stored, but an analyst may not
     * publish, so the event stays within A until a publisher publishes it. */
    char *mine = indicator(COMM_IND, "2026-03-01T00:00:00.000Z", "203.0.113.9");
    const char *o1[] = {mine};
    char *env = envelope(o1, 1);
    coll_path(p, sizeof p, COMM_GREEN, "objects/");
    tx t = tpost(BEARER_A, p, env);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    tx_free(&t);
    free(env);
    t = list(BEARER_A, COMM_GREEN, "objects/", "?match[id]=" COMM_IND);
    assert_int_equal(count_objs(&t), 1);
    tx_free(&t);
    t = list(BEARER_B, COMM_GREEN, "objects/", "?match[id]=" COMM_IND);
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 0);
    tx_free(&t);

    /* B's publisher posts: shared at once with A (both ceilings, GREEN is
     * under each); C, outside the community, has no such collection. */
    char *theirs = indicator(COMM_IND_B, "2026-03-02T00:00:00.000Z", "203.0.113.10");
    const char *o2[] = {theirs};
    env = envelope(o2, 1);
    t = tpost(BEARER_B, p, env);
    assert_int_equal(t.status, 202);
    tx_free(&t);
    free(env);
    t = list(BEARER_A, COMM_GREEN, "objects/", "");
    assert_true(has_obj(&t, COMM_IND_B, NULL));
    tx_free(&t);
    t = list(BEARER_A, COMM_AMBER, "objects/", "");
    assert_true(has_obj(&t, COMM_IND_B, NULL));
    tx_free(&t);
    t = list(BEARER_C, COMM_GREEN, "objects/", "");
    expect_taxii_error(&t, 404);
    tx_free(&t);
    /* A may read but not delete B's object. */
    coll_path(p, sizeof p, COMM_GREEN, "objects/" COMM_IND_B "/");
    t = taxii_full("DELETE", p, BEARER_A, MEDIA, NULL, NULL, 0);
    expect_taxii_error(&t, 403);
    tx_free(&t);
    /* A's org collection objects are not in the community's. */
    t = list(BEARER_B, COMM_AMBER, "objects/", "?match[id]=" IND_B);
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 0);
    tx_free(&t);
    free(mine);
    free(theirs);
}

static void test_taxii_amber_strict_never_shown(void **state)
{
    (void)state;
    /* B imports an AMBER+STRICT object into a community event. */
    char *ind = indicator(STRICT, "2026-04-01T00:00:00.000Z", "192.0.2.77");
    char *bundle = NULL;
    assert_true(asprintf(&bundle,
                         "{\"type\":\"bundle\",\"id\":\"bundle--0f4a1c52-8c61-4d6f-9e0a-"
                         "2b7b3c9d1eaa\",\"objects\":[%s]}",
                         ind) > 0);
    kz_resp r = kz_post(&N, "/api/v1/stix?tlp=amber%2Bstrict&distribution=community&publish=true",
                        B_AN, bundle);
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    /* B sees it in its own org collection. */
    tx t = tget(BEARER_B, ROOT "collections/");
    json_t *l = json_object_get(t.json, "collections");
    char b_org[40];
    snprintf(b_org, sizeof b_org, "%s", jstr(json_array_get(l, 0), "id"));
    tx_free(&t);
    t = list(BEARER_B, b_org, "objects/", "?match[id]=" STRICT);
    assert_int_equal(count_objs(&t), 1);
    tx_free(&t);
    /* Nowhere for A or C: not listed, not counted, not fetchable. */
    const char *colls[] = {ORG_COLL_A, COMM_GREEN, COMM_AMBER};
    for (size_t i = 0; i < 3; i++) {
        t = list(BEARER_A, colls[i], "objects/", "?match[version]=all&limit=10000");
        assert_int_equal(t.status, 200);
        assert_false(has_obj(&t, STRICT, NULL));
        assert_true(strstr(t.body, "192.0.2.77") == NULL);
        tx_free(&t);
        t = list(BEARER_A, colls[i], "manifest/", "?match[id]=" STRICT);
        assert_int_equal(json_array_size(json_object_get(t.json, "objects")), 0);
        tx_free(&t);
        t = list(BEARER_A, colls[i], "objects/" STRICT "/", "");
        expect_taxii_error(&t, 404);
        tx_free(&t);
        t = list(BEARER_A, colls[i], "objects/" STRICT "/versions/", "");
        expect_taxii_error(&t, 404);
        tx_free(&t);
    }
    t = tget(BEARER_C, ROOT "collections/");
    char c_org[40];
    snprintf(c_org, sizeof c_org, "%s", jstr(json_array_get(json_object_get(t.json, "collections"), 0), "id"));
    tx_free(&t);
    t = list(BEARER_C, c_org, "objects/", "?match[version]=all");
    assert_int_equal(count_objs(&t), 0);
    tx_free(&t);
    free(bundle);
    free(ind);
}

/* ---- the client: one node pulls from another -------------------------------- */

static char PULL_ERR[4096]; /* stderr of the last pull */

static int run_pull(const char *db, const char *auth_opt, const char *auth_val, const char *stdin_text,
                    const char *extra)
{
    char cmd[2048], errf[600];
    snprintf(errf, sizeof errf, "%s.pull-err", db);
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' '%s' | '%s' taxii pull '%s" ROOT "' --collection %s --db '%s' "
             "--limit 2 %s '%s' %s 2>'%s'",
             stdin_text ? stdin_text : "", getenv("KIZUNA_BIN"), N.base, ORG_COLL_A, db,
             auth_opt, auth_val, extra ? extra : "", errf);
    int st = system(cmd);
    PULL_ERR[0] = 0;
    FILE *f = fopen(errf, "r");
    if (f) {
        size_t n = fread(PULL_ERR, 1, sizeof PULL_ERR - 1, f);
        PULL_ERR[n] = 0;
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t ids_of(const tx *t, char ids[][128], size_t max)
{
    size_t i, n = 0;
    json_t *o;
    json_array_foreach(json_object_get(t->json, "objects"), i, o) {
        if (n < max)
            snprintf(ids[n++], 128, "%s", jstr(o, "id"));
    }
    return n;
}

static void test_taxii_client_pull(void **state)
{
    (void)state;
    kz_node N2;
    memset(&N2, 0, sizeof N2);
    assert_int_equal(kz_node_init(&N2, "CERT-Z", "SG"), 0);
    /* Everything A's org collection holds, pulled in pages of 2. */
    assert_int_equal(run_pull(N2.db, "--key", A_AN, NULL, NULL), 0);
    tx t = list(BEARER_A, ORG_COLL_A, "objects/", "?limit=10000");
    char src[16][128];
    size_t n_src = ids_of(&t, src, 16);
    tx_free(&t);
    assert_true(n_src >= 3);
    char want[128];
    snprintf(want, sizeof want, "%zu objects: %zu stored, 0 duplicates, 0 invalid", n_src, n_src);
    assert_non_null(strstr(PULL_ERR, want));
    /* Pulling again right away finds nothing new (resumed, not restarted). */
    assert_int_equal(run_pull(N2.db, "--key", A_AN, NULL, NULL), 0);
    assert_non_null(strstr(PULL_ERR, "pulled 1 page, 0 objects"));

    /* Serve N2 and look through its own TAXII server. */
    kz_node saved = N;
    N = N2;
    assert_int_equal(kz_node_start(&N, NULL), 0);
    char bearer[96];
    snprintf(bearer, sizeof bearer, "Bearer %s", N.admin_key);
    t = tget(bearer, ROOT "collections/");
    char z_org[40];
    snprintf(z_org, sizeof z_org, "%s", jstr(json_array_get(json_object_get(t.json, "collections"), 0), "id"));
    tx_free(&t);
    t = list(bearer, z_org, "objects/", "?limit=10000");
    char got[16][128];
    size_t n_got = ids_of(&t, got, 16);
    tx_free(&t);
    assert_int_equal(n_got, n_src);
    for (size_t i = 0; i < n_src; i++) {
        bool found = false;
        for (size_t j = 0; j < n_got; j++)
            found |= strcmp(src[i], got[j]) == 0;
        assert_true(found);
    }
    assert_int_equal(kz_node_stop(&N), 0);
    N2 = N;
    N = saved;

    /* A new object at the source; the next pull (Basic auth this time)
     * resumes with added_after and fetches only it. */
    char *ind = indicator("indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e77", "2026-05-01T00:00:00.000Z",
                          "198.51.100.77");
    const char *objs[] = {ind};
    char *env = envelope(objs, 1);
    char p[256];
    coll_path(p, sizeof p, ORG_COLL_A, "objects/");
    t = tpost(BEARER_A, p, env);
    assert_int_equal(t.status, 202);
    tx_free(&t);
    free(env);
    free(ind);
    assert_int_equal(run_pull(N2.db, "--user", "an@a.example", "correct horse battery staple",
                              "--password-stdin"),
                     0);
    assert_non_null(strstr(PULL_ERR, "pulled 1 page, 1 object: 1 stored"));
    assert_int_equal(kz_node_start(&N2, NULL), 0);
    saved = N;
    N = N2;
    snprintf(bearer, sizeof bearer, "Bearer %s", N.admin_key);
    t = list(bearer, z_org, "objects/", "?limit=10000");
    assert_int_equal(count_objs(&t), n_src + 1);
    assert_true(has_obj(&t, "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e77", NULL));
    tx_free(&t);
    N2 = N;
    N = saved;
    /* Wrong credentials: a failure naming the HTTP status. */
    assert_int_equal(run_pull(N2.db, "--key", "kz_wrong", NULL, NULL), 1);
    assert_non_null(strstr(PULL_ERR, "HTTP 401"));
    /* Usage errors. */
    assert_int_equal(run_pull(N2.db, "--user", "an@a.example", NULL, ""), 2);
    kz_node_free(&N2);
}

/* ---- 405: TAXII error resources with Allow ----------------------------------- */

static void test_taxii_405(void **state)
{
    (void)state;
    char p[256];
    coll_path(p, sizeof p, ORG_COLL_A, "objects/");
    struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"DELETE", "/taxii2/", "GET"},
        {"POST", ROOT "collections/", "GET"},
        {"PUT", p, "GET, POST"},
        {"POST", ROOT "status/00000000-0000-4000-8000-000000000000/", "GET"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tx t = taxii_full(cases[i].method, cases[i].path, BEARER_A, MEDIA, NULL, NULL, 0);
        expect_taxii_error(&t, 405);
        assert_string_equal(jstr(t.json, "error_code"), "method_not_allowed");
        assert_string_equal(jstr(t.json, "title"), "Method not allowed");
        assert_non_null(strstr(jstr(t.json, "description"), cases[i].method));
        assert_string_equal(t.allow, cases[i].allow);
        tx_free(&t);
    }
    /* The native API keeps its own error body. */
    tx t = taxii_full("PUT", "/api/v1/events", BEARER_A, "application/json", NULL, NULL, 0);
    assert_int_equal(t.status, 405);
    assert_non_null(json_object_get(t.json, "error"));
    assert_null(json_object_get(t.json, "http_status"));
    assert_string_equal(t.allow, "GET, POST");
    tx_free(&t);
}

/* ---- sharing-group collections ----------------------------------------------- */

#define SG_IND "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e5a"
#define SG2_IND "indicator--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e5c"

static void test_taxii_sharing_group_collections(void **state)
{
    (void)state;
    /* B (publisher) makes a group with A; C is not in it. */
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"incident-42\",\"member_orgs\":[\"%s\"]}", ORG_A);
    kz_resp r = kz_post(&N, "/api/v1/sharing-groups", B_AN, body);
    assert_int_equal(r.status, 201);
    char sg[40], name[80], coll[40];
    snprintf(sg, sizeof sg, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    snprintf(name, sizeof name, "sharing-group:%s", sg);
    coll_uuid(name, coll);

    /* Members have the collection (after their org and community ones). */
    const char *members[] = {BEARER_A, BEARER_B};
    for (size_t i = 0; i < 2; i++) {
        tx t = tget(members[i], ROOT "collections/");
        json_t *c = find_coll(json_object_get(t.json, "collections"), coll);
        assert_non_null(c);
        assert_non_null(strstr(jstr(c, "title"), "incident-42"));
        assert_true(json_is_true(json_object_get(c, "can_read")));
        assert_true(json_is_true(json_object_get(c, "can_write")));
        tx_free(&t);
    }
    /* A non-member: not listed, and 404 on every endpoint of it. */
    tx t = tget(BEARER_C, ROOT "collections/");
    assert_null(find_coll(json_object_get(t.json, "collections"), coll));
    tx_free(&t);
    char p[256];
    const char *rest[] = {"", "objects/", "manifest/"};
    for (size_t i = 0; i < 3; i++) {
        coll_path(p, sizeof p, coll, rest[i]);
        t = tget(BEARER_C, p);
        expect_taxii_error(&t, 404);
        tx_free(&t);
    }

    /* B posts an indicator into it: stored in an event with distribution
     * sharing_group aimed at the group, which A (member) then reads. */
    char *ind = indicator(SG_IND, "2026-03-01T00:00:00.000Z", "203.0.113.42");
    const char *objs[] = {ind};
    char *env = envelope(objs, 1);
    coll_path(p, sizeof p, coll, "objects/");
    t = tpost(BEARER_C, p, env);
    expect_taxii_error(&t, 404);
    tx_free(&t);
    t = tpost(BEARER_B, p, env);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    tx_free(&t);
    free(env);
    free(ind);
    t = list(BEARER_A, coll, "objects/", "");
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 1);
    assert_true(has_obj(&t, SG_IND, NULL));
    tx_free(&t);
    t = list(BEARER_B, coll, "objects/", "");
    assert_true(has_obj(&t, SG_IND, NULL));
    tx_free(&t);
    /* A report posted there becomes an event of its own, aimed at the
     * group as well. */
    const char *report =
        "{\"objects\":[{\"type\":\"report\",\"spec_version\":\"2.1\","
        "\"id\":\"report--0f4a1c52-8c61-4d6f-9e0a-2b7b3c9d1e5b\","
        "\"created\":\"2026-03-01T00:00:00.000Z\",\"modified\":\"2026-03-01T00:00:00.000Z\","
        "\"name\":\"incident 42 report\",\"published\":\"2026-03-01T00:00:00Z\","
        "\"object_refs\":[\"" SG_IND "\"]}]}";
    t = tpost(BEARER_B, p, report);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    tx_free(&t);
    t = list(BEARER_A, coll, "objects/", "?match[type]=report");
    assert_int_equal(count_objs(&t), 1);
    tx_free(&t);
    /* The events behind them: distribution sharing_group, this group. */
    r = kz_get(&N, "/api/v1/events?limit=100", B_AN);
    assert_int_equal(r.status, 200);
    size_t n_group = 0, i;
    bool titled = false;
    json_t *e;
    json_array_foreach(kz_resp_get(&r, "events"), i, e) {
        const char *g = json_string_value(json_object_get(e, "sharing_group_id"));
        if (!g || strcmp(g, sg) != 0)
            continue;
        n_group++;
        assert_string_equal(json_string_value(json_object_get(e, "distribution")),
                            "sharing_group");
        titled |= strcmp(json_string_value(json_object_get(e, "title")), "incident 42 report") == 0;
    }
    assert_int_equal(n_group, 2);
    assert_true(titled);
    kz_resp_free(&r);
    /* C sees the object nowhere; A's community collections do not hold it. */
    t = list(BEARER_C, ORG_COLL_A, "objects/", "");
    expect_taxii_error(&t, 404);
    tx_free(&t);
    const char *others[] = {COMM_GREEN, COMM_AMBER};
    for (size_t k = 0; k < 2; k++) {
        t = list(BEARER_A, others[k], "objects/", "?match[id]=" SG_IND);
        assert_int_equal(t.status, 200);
        assert_int_equal(count_objs(&t), 0);
        tx_free(&t);
    }
    /* What the group's collection holds is only the group's: A's own
     * objects are not in it. */
    t = list(BEARER_A, coll, "objects/", "?match[id]=" IND_A);
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 0);
    tx_free(&t);

    /* A second group of B and C, without A: what B posts there never shows
     * in the first group's collection, and A has no way to it. */
    snprintf(body, sizeof body, "{\"name\":\"incident-43\",\"member_orgs\":[\"%s\"]}", ORG_C);
    r = kz_post(&N, "/api/v1/sharing-groups", B_AN, body);
    assert_int_equal(r.status, 201);
    char sg2[40], coll2[40];
    snprintf(sg2, sizeof sg2, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    snprintf(name, sizeof name, "sharing-group:%s", sg2);
    coll_uuid(name, coll2);
    ind = indicator(SG2_IND, "2026-03-02T00:00:00.000Z", "203.0.113.43");
    const char *objs2[] = {ind};
    env = envelope(objs2, 1);
    char p2[256];
    coll_path(p2, sizeof p2, coll2, "objects/");
    t = tpost(BEARER_A, p2, env); /* A is not a member: no such collection */
    expect_taxii_error(&t, 404);
    tx_free(&t);
    t = tpost(BEARER_B, p2, env);
    assert_int_equal(t.status, 202);
    assert_int_equal(json_integer_value(json_object_get(t.json, "success_count")), 1);
    tx_free(&t);
    free(env);
    free(ind);
    t = list(BEARER_C, coll2, "objects/", "");
    assert_int_equal(t.status, 200);
    assert_true(has_obj(&t, SG2_IND, NULL));
    assert_false(has_obj(&t, SG_IND, NULL));
    tx_free(&t);
    /* B is in both groups: each collection holds its own group's object. */
    t = list(BEARER_B, coll, "objects/", "");
    assert_true(has_obj(&t, SG_IND, NULL));
    assert_false(has_obj(&t, SG2_IND, NULL));
    tx_free(&t);
    t = list(BEARER_A, coll, "objects/", "?match[id]=" SG2_IND);
    assert_int_equal(t.status, 200);
    assert_int_equal(count_objs(&t), 0);
    tx_free(&t);
    const char *rest2[] = {"objects/" SG2_IND "/", "objects/" SG2_IND "/versions/", "manifest/"};
    for (size_t k = 0; k < 3; k++) {
        coll_path(p2, sizeof p2, coll2, rest2[k]);
        t = tget(BEARER_A, p2);
        expect_taxii_error(&t, 404);
        tx_free(&t);
    }
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taxii_discovery),
        cmocka_unit_test(test_taxii_accept_406),
        cmocka_unit_test(test_taxii_api_root),
        cmocka_unit_test(test_taxii_auth_401_basic),
        cmocka_unit_test(test_taxii_collections),
        cmocka_unit_test(test_taxii_post_status),
        cmocka_unit_test(test_taxii_post_errors),
        cmocka_unit_test(test_taxii_post_is_one_transaction),
        cmocka_unit_test(test_taxii_post_id_not_utf8),
        cmocka_unit_test(test_taxii_post_too_complex_stores_nothing),
        cmocka_unit_test(test_taxii_post_too_complex_in_a_reader_stores_nothing),
        cmocka_unit_test(test_taxii_objects_filters),
        cmocka_unit_test(test_taxii_pagination),
        cmocka_unit_test(test_taxii_next_survives_restart),
        cmocka_unit_test(test_taxii_object_versions),
        cmocka_unit_test(test_taxii_object_delete),
        cmocka_unit_test(test_taxii_community_sharing),
        cmocka_unit_test(test_taxii_amber_strict_never_shown),
        cmocka_unit_test(test_taxii_client_pull),
        cmocka_unit_test(test_taxii_405),
        cmocka_unit_test(test_taxii_sharing_group_collections),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
