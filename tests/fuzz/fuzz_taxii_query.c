/* fuzz_taxii_query.c — TAXII 2.1 requests as a client writes them: the
 * query string (match[id], match[type], match[version], match[spec_version],
 * added_after, limit, next) and the Accept header, through the real handlers
 * of the objects, manifest, versions and object routes, against an
 * in-memory store holding a few objects. No socket: this binary defines the
 * four libmicrohttpd calls the handlers use to read a request and queue an
 * answer (its definitions take precedence over the shared library's), and
 * decodes the query string as libmicrohttpd does (split on '&' and '=',
 * %XX and '+' decoded; a value may hold a NUL).
 *
 * Input: one selector byte (route), the Accept value up to the first '\n',
 * then the query string. Property: a handler that fails has said why (a
 * message), one that succeeds has queued an answer.
 */
#include "fuzz_common.h"

#include "http/http_int.h"
#include "http/taxii_int.h"

/* ---- the request libmicrohttpd would have parsed -------------------------- */

#define MAX_ARGS 64

typedef struct arg {
    char *key, *val;
    size_t klen, vlen;
} arg;

static arg g_args[MAX_ARGS];
static size_t g_nargs;
static char *g_accept;
static int g_fake_conn;

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static size_t unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            s[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
                   (lo = hexval(s[i + 2])) >= 0) {
            s[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = 0;
    return o;
}

static void parse_query(char *q, size_t n)
{
    g_nargs = 0;
    size_t i = 0;
    while (i < n && g_nargs < MAX_ARGS) {
        size_t e = i;
        while (e < n && q[e] != '&')
            e++;
        q[e] = 0;
        if (e > i) {
            char *k = q + i, *eq = memchr(k, '=', e - i);
            arg *a = &g_args[g_nargs++];
            a->key = k;
            if (eq) {
                *eq = 0;
                a->val = eq + 1;
                a->vlen = unescape(a->val, (size_t)(q + e - a->val));
            } else {
                a->val = NULL;
                a->vlen = 0;
            }
            a->klen = unescape(k, strlen(k));
        }
        i = e + 1;
    }
}

int MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator it, void *cls)
{
    (void)c;
    if (kind != MHD_GET_ARGUMENT_KIND)
        return 0;
    for (size_t i = 0; i < g_nargs; i++)
        if (it && it(cls, kind, g_args[i].key, g_args[i].val) != MHD_YES)
            return (int)i + 1;
    return (int)g_nargs;
}

enum MHD_Result MHD_lookup_connection_value_n(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                              const char *key, size_t key_size,
                                              const char **value, size_t *value_size)
{
    (void)c;
    if (kind != MHD_GET_ARGUMENT_KIND)
        return MHD_NO;
    for (size_t i = 0; i < g_nargs; i++) {
        if (g_args[i].klen == key_size && memcmp(g_args[i].key, key, key_size) == 0) {
            if (value)
                *value = g_args[i].val;
            if (value_size)
                *value_size = g_args[i].vlen;
            return MHD_YES;
        }
    }
    return MHD_NO;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                        const char *key)
{
    (void)c;
    if (kind == MHD_HEADER_KIND && strcasecmp(key, MHD_HTTP_HEADER_ACCEPT) == 0)
        return g_accept;
    if (kind == MHD_GET_ARGUMENT_KIND)
        for (size_t i = 0; i < g_nargs; i++)
            if (strcmp(g_args[i].key, key) == 0)
                return g_args[i].val;
    return NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status,
                                   struct MHD_Response *resp)
{
    (void)c, (void)status, (void)resp;
    return MHD_YES;
}

/* ---- a node with one org and a few objects -------------------------------- */

static kz_store *g_st;
static kz_http_server g_srv;
static kz_principal g_who;
static kz_arena g_who_arena;
static char g_coll[KZ_UUID_STRLEN + 1];

static const char bundle[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":["
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
    "\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2016-04-06T20:03:48.000Z\","
    "\"indicator_types\":[\"malicious-activity\"],\"name\":\"Poison Ivy C2\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.3']\",\"pattern_type\":\"stix\","
    "\"valid_from\":\"2016-01-01T00:00:00Z\"},"
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
    "\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2017-04-06T20:03:48.000Z\","
    "\"indicator_types\":[\"malicious-activity\"],\"name\":\"Poison Ivy C2 v2\","
    "\"pattern\":\"[domain-name:value = 'evil.example']\",\"pattern_type\":\"stix\","
    "\"valid_from\":\"2016-01-01T00:00:00Z\"},"
    "{\"type\":\"malware\",\"spec_version\":\"2.1\","
    "\"id\":\"malware--591f0cb7-d66f-4e14-a8e6-5927b597f920\","
    "\"created\":\"2016-04-06T20:07:10.000Z\",\"modified\":\"2016-04-06T20:07:10.000Z\","
    "\"name\":\"Poison Ivy\",\"is_family\":true}]}";

static void setup(void)
{
    kz_err err;
    if (kz_store_open(":memory:", &g_st, &err) != 0)
        abort();
    kz_org org = {.name = "CERT-TH", .country = "TH", .type = KZ_ORG_NATIONAL_CERT};
    kz_uuid_v4(org.id);
    if (kz_store_org_put(g_st, &org, &err) != 0)
        abort();
    kz_arena a;
    kz_arena_init(&a);
    kz_stix_import_opts o = {.org_id = org.id, .default_tlp = KZ_TLP_GREEN,
                             .distribution = KZ_DIST_COMMUNITY, .source = "fuzz"};
    kz_stix_report rep;
    if (kz_stix_import(g_st, bundle, strlen(bundle), &o, true, &a, &rep, &err) != 0) {
        fprintf(stderr, "seed import: %s\n", err.msg);
        abort();
    }
    kz_arena_free(&a);
    uint8_t secret[32] = "kizuna fuzz test secret, fixed.";
    memcpy(g_srv.secret, secret, sizeof secret);
    kz_cursor_key(g_srv.secret, g_srv.cursor_key);
    kz_arena_init(&g_who_arena);
    memcpy(g_who.org_id, org.id, sizeof g_who.org_id);
    kz_uuid_v4(g_who.user_id);
    g_who.role = KZ_ROLE_PUBLISHER;
    /* the org collection's id, as a client would have listed it */
    kz_req r = {.conn = (struct MHD_Connection *)&g_fake_conn, .srv = &g_srv, .st = g_st,
                .authed = true, .who = g_who};
    kz_arena_init(&r.arena);
    kz_taxii_coll *v;
    size_t n;
    if (kz_taxii_collections(&r, &v, &n) != 0 || n < 1)
        abort();
    memcpy(g_coll, v[0].id, sizeof g_coll);
    kz_arena_free(&r.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (!g_st)
        setup();
    if (size < 1 || size > 65536)
        return 0;
    char *s = fuzz_strdup(data + 1, size - 1);
    size_t n = size - 1;
    char *nl = memchr(s, '\n', n);
    char *q = s;
    g_accept = NULL;
    if (nl) {
        *nl = 0;
        g_accept = s;
        q = nl + 1;
    }
    parse_query(q, (size_t)(s + n - q));

    kz_req r = {.conn = (struct MHD_Connection *)&g_fake_conn, .srv = &g_srv, .st = g_st,
                .method = "GET", .authed = true, .who = g_who};
    kz_arena_init(&r.arena);
    r.params[0] = KZ_TAXII_ROOT;
    r.params[1] = g_coll;
    r.params[2] = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    r.n_params = 3;
    static kz_handler const routes[] = {kz_taxii_objects_get, kz_taxii_manifest,
                                        kz_taxii_versions, kz_taxii_object_get,
                                        kz_taxii_collections_list};
    int rc = routes[data[0] % KZ_ARRAY_LEN(routes)](&r);
    if (rc < 0)
        FUZZ_CHECK(r.err.msg[0], "handler failed (%d) without a message", rc);
    else
        FUZZ_CHECK(r.replied || r.out, "handler succeeded without an answer");
    json_decref(r.out);
    kz_arena_free(&r.arena);
    free(s);
    return 0;
}
