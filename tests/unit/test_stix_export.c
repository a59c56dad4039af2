/* test_stix_export.c — an event as a STIX 2.1 bundle: native events give a
 * report, indicators with patterns built from the normalised values
 * (escaping included), observables with deterministic ids, the creator
 * identity and TLP 2.0 markings, and every object passes the same validator
 * the importer uses; imported events come back verbatim — for each of the
 * 17 official examples, import then export keeps every object and every
 * property; the ACL callbacks leave out what they refuse.
 */
#include "kz_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "store/store.h"

typedef struct fx {
    char *dir;
    kz_store *st;
    kz_arena a;
    kz_org org;
} fx;

static int open_fx(fx *f)
{
    f->dir = kz_test_mkdtemp();
    char path[600];
    snprintf(path, sizeof path, "%s/kz.db", f->dir);
    kz_err err = {0};
    if (kz_store_open(path, &f->st, &err) != 0)
        return -1;
    kz_arena_init(&f->a);
    kz_uuid_v4(f->org.id);
    f->org.name = "CERT-SG";
    memcpy(f->org.country, "SG", 3);
    f->org.type = KZ_ORG_NATIONAL_CERT;
    f->org.contact = "cert@example.sg";
    return kz_store_org_put(f->st, &f->org, &err);
}

static void close_fx(fx *f)
{
    kz_store_close(f->st);
    kz_arena_free(&f->a);
    kz_test_rmdir(f->dir);
    free(f->dir);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (open_fx(f))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    close_fx(*state);
    free(*state);
    return 0;
}

/* The file's bytes as they are. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, fp) != (size_t)len) {
        free(p);
        p = NULL;
    }
    if (p)
        p[len] = '\0';
    fclose(fp);
    return p;
}

static json_t *export_json(fx *f, const char *event_id, const kz_stix_export_opts *o)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_err err = {0};
    size_t n = 0;
    int rc = kz_stix_export_event(f->st, event_id, o, &b, &n, &err);
    if (rc)
        fail_msg("export: %s", err.msg);
    json_error_t je;
    json_t *j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fail_msg("export is not JSON: %s", je.text);
    assert_int_equal(json_array_size(json_object_get(j, "objects")), n);
    kz_buf_free(&b);
    return j;
}

static json_t *by_id(json_t *bundle, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(bundle, "objects"), i, o) {
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
            return o;
    }
    return NULL;
}

/* The bundle and each of its objects against the MUSTs. */
static void check_musts(json_t *bundle)
{
    assert_string_equal(json_string_value(json_object_get(bundle, "type")), "bundle");
    const char *bid = json_string_value(json_object_get(bundle, "id"));
    assert_non_null(bid);
    assert_int_equal(strncmp(bid, "bundle--", 8), 0);
    assert_true(kz_uuid_valid(bid + 8));
    json_t *objs = json_object_get(bundle, "objects");
    assert_true(json_array_size(objs) > 0);
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        kz_arena a;
        kz_arena_init(&a);
        kz_err err = {0};
        int rc = kz_stix_validate(o, &a, &err);
        kz_arena_free(&a);
        if (rc) {
            char *s = json_dumps(o, JSON_COMPACT);
            fail_msg("object %zu invalid: %s: %s\n%s", i, err.field, err.msg, s);
        }
    }
}

static kz_indicator ind_of(kz_ioc_type t, const char *value)
{
    kz_indicator x;
    memset(&x, 0, sizeof x);
    kz_uuid_v4(x.id);
    x.type = t;
    x.value = (char *)value;
    x.to_ids = true;
    x.tlp = -1;
    x.distribution = -1;
    x.created = x.modified = 1700000000000000LL;
    return x;
}

static void test_native_event(void **state)
{
    fx *f = *state;
    kz_indicator inds[] = {
        ind_of(KZ_IOC_IPV4, "198.51.100.1"),
        ind_of(KZ_IOC_DOMAIN, "example.com"),
        ind_of(KZ_IOC_URL, "http://example.com/"),
        ind_of(KZ_IOC_SHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"),
        ind_of(KZ_IOC_IP_PORT, "203.0.113.5:443"),
        ind_of(KZ_IOC_CIDR, "10.0.0.0/8"),
        ind_of(KZ_IOC_EMAIL, "phish@example.org"),
        ind_of(KZ_IOC_FILENAME, "it's\\evil.exe"),
        ind_of(KZ_IOC_CVE, "CVE-2024-12345"),
        ind_of(KZ_IOC_ASN, "AS64500"),
        ind_of(KZ_IOC_DOMAIN_IP, "evil.example|203.0.113.9"),
        ind_of(KZ_IOC_FILENAME_HASH, "a.exe|d41d8cd98f00b204e9800998ecf8427e"),
        ind_of(KZ_IOC_TEXT, "seen in a phishing wave"),
        ind_of(KZ_IOC_IPV6, "2001:db8::1"),
    };
    inds[0].tlp = KZ_TLP_RED; /* stricter than the event */
    inds[0].comment = "C2";
    kz_strlist tags = {0};
    kz_strlist_push(&f->a, &tags, "phishing");
    inds[1].tags = tags;
    kz_event ev;
    memset(&ev, 0, sizeof ev);
    kz_uuid_v4(ev.id);
    ev.title = "Phishing wave";
    ev.description = "line 1\nline 2";
    ev.threat_level = 2;
    ev.tlp = KZ_TLP_GREEN;
    ev.pap = KZ_PAP_AMBER;
    ev.tags = tags;
    memcpy(ev.creator_org, f->org.id, sizeof ev.creator_org);
    ev.created = 1690000000000000LL;
    ev.modified = 1700000000000000LL;
    ev.indicators = inds;
    ev.n_indicators = KZ_ARRAY_LEN(inds);
    for (size_t i = 0; i < ev.n_indicators; i++)
        memcpy(inds[i].event_id, ev.id, sizeof inds[i].event_id);
    kz_err err = {0};
    assert_int_equal(kz_store_event_put(f->st, &ev, &err), 0);

    json_t *b = export_json(f, ev.id, NULL);
    check_musts(b);

    char id[200];
    /* The creator identity: UUIDv5 of the org id, class organization. */
    kz_uuid u;
    kz_uuid_v5("6b9d7c4e-3f0a-4b52-9c1d-2e8f5a7b0c36", f->org.id, strlen(f->org.id), u);
    char ident[80];
    snprintf(ident, sizeof ident, "identity--%s", u);
    json_t *io = by_id(b, ident);
    assert_non_null(io);
    assert_string_equal(json_string_value(json_object_get(io, "name")), "CERT-SG");
    assert_string_equal(json_string_value(json_object_get(io, "identity_class")), "organization");

    snprintf(id, sizeof id, "report--%s", ev.id);
    json_t *rep = by_id(b, id);
    assert_non_null(rep);
    assert_string_equal(json_string_value(json_object_get(rep, "name")), "Phishing wave");
    assert_string_equal(json_string_value(json_object_get(rep, "created_by_ref")), ident);
    assert_string_equal(json_string_value(json_object_get(rep, "created")),
                        "2023-07-22T04:26:40.000000Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(rep, "object_marking_refs"), 0)),
                        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
    assert_non_null(by_id(b, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"));
    assert_non_null(by_id(b, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"));

    /* Indicators, their patterns and observables. */
    struct {
        size_t i;
        const char *pattern;
        const char *sco;
    } want[] = {
        {0, "[ipv4-addr:value = '198.51.100.1']", "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c"},
        {1, "[domain-name:value = 'example.com']", "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
        {2, "[url:value = 'http://example.com/']", "url--3013563b-9e18-5ef6-917a-204463f5f419"},
        {3, "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
         NULL},
        {4, "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'203.0.113.5' AND network-traffic:dst_port = 443]",
         NULL},
        {5, "[ipv4-addr:value = '10.0.0.0/8']", NULL},
        {6, "[email-addr:value = 'phish@example.org']", NULL},
        {7, "[file:name = 'it\\'s\\\\evil.exe']", NULL},
        {9, "[autonomous-system:number = 64500]", NULL},
        {10, "[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = "
             "'203.0.113.9']",
         NULL},
        {11, "[file:name = 'a.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", NULL},
        {13, "[ipv6-addr:value = '2001:db8::1']", NULL},
    };
    json_t *refs = json_object_get(rep, "object_refs");
    for (size_t k = 0; k < KZ_ARRAY_LEN(want); k++) {
        snprintf(id, sizeof id, "indicator--%s", inds[want[k].i].id);
        json_t *o = by_id(b, id);
        if (!o)
            fail_msg("no %s", id);
        assert_string_equal(json_string_value(json_object_get(o, "pattern")), want[k].pattern);
        assert_string_equal(json_string_value(json_object_get(o, "pattern_type")), "stix");
        assert_string_equal(json_string_value(json_object_get(o, "pattern_version")), "2.1");
        assert_string_equal(json_string_value(json_object_get(o, "created_by_ref")), ident);
        assert_string_equal(json_string_value(json_object_get(o, "valid_from")),
                            "2023-11-14T22:13:20.000000Z");
        if (want[k].sco)
            assert_non_null(by_id(b, want[k].sco));
        bool listed = false;
        size_t r;
        json_t *e;
        json_array_foreach(refs, r, e) listed |= strcmp(json_string_value(e), id) == 0;
        assert_true(listed);
    }
    /* The pattern's escaping reads back as the value. */
    snprintf(id, sizeof id, "indicator--%s", inds[7].id);
    const char *pat = json_string_value(json_object_get(by_id(b, id), "pattern"));
    kz_stix_pattern *tree;
    kz_stix_simple *items;
    size_t n;
    bool any;
    assert_int_equal(kz_stix_pattern_parse(pat, strlen(pat), &f->a, &tree, &err), 0);
    assert_int_equal(kz_stix_pattern_simple(tree, &f->a, &items, &n, &any, &err), 0);
    assert_string_equal(items[0].value, "it's\\evil.exe");
    /* The stricter indicator carries TLP:RED, the others the event's green. */
    snprintf(id, sizeof id, "indicator--%s", inds[0].id);
    json_t *i0 = by_id(b, id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(i0, "object_marking_refs"), 0)),
                        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
    assert_string_equal(json_string_value(json_object_get(i0, "description")), "C2");
    /* A CVE is a vulnerability, text a note. */
    snprintf(id, sizeof id, "vulnerability--%s", inds[8].id);
    json_t *vul = by_id(b, id);
    assert_non_null(vul);
    assert_string_equal(json_string_value(json_object_get(vul, "name")), "CVE-2024-12345");
    snprintf(id, sizeof id, "note--%s", inds[12].id);
    assert_non_null(by_id(b, id));
    /* ip|port: the address and the traffic to it. */
    char nt[KZ_STIX_ID_MAX];
    json_t *ip = json_pack("{s:s,s:s}", "type", "ipv4-addr", "value", "203.0.113.5");
    assert_int_equal(kz_stix_sco_id(ip, nt, sizeof nt, &err), 0);
    json_decref(ip);
    bool traffic = false;
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(b, "objects"), k, o) {
        if (strcmp(json_string_value(json_object_get(o, "type")), "network-traffic") == 0) {
            traffic = true;
            assert_string_equal(json_string_value(json_object_get(o, "dst_ref")), nt);
            assert_int_equal(json_integer_value(json_object_get(o, "dst_port")), 443);
        }
    }
    assert_true(traffic);
    json_decref(b);
}

static void test_empty_native_event_is_still_valid(void **state)
{
    fx *f = *state;
    kz_event ev;
    memset(&ev, 0, sizeof ev);
    kz_uuid_v4(ev.id);
    ev.title = "Nothing yet";
    ev.threat_level = 4;
    ev.tlp = KZ_TLP_AMBER_STRICT;
    ev.pap = KZ_PAP_AMBER;
    memcpy(ev.creator_org, f->org.id, sizeof ev.creator_org);
    kz_err err = {0};
    assert_int_equal(kz_store_event_put(f->st, &ev, &err), 0);
    json_t *b = export_json(f, ev.id, NULL);
    check_musts(b);
    assert_non_null(by_id(b, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"));
    json_decref(b);
    kz_uuid none;
    kz_uuid_v4(none);
    kz_buf out;
    kz_buf_init(&out);
    assert_int_equal(kz_stix_export_event(f->st, none, NULL, &out, NULL, &err), KZ_E_NOTFOUND);
    kz_buf_free(&out);
}

/* ---- round trip --------------------------------------------------------------- */

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

static void test_round_trip_every_example(void **state)
{
    (void)state;
    for (size_t e = 0; e < KZ_ARRAY_LEN(EXAMPLES); e++) {
        fx f = {0};
        assert_int_equal(open_fx(&f), 0);
        char rel[256], path[1024];
        snprintf(rel, sizeof rel, "stix/%s", EXAMPLES[e]);
        assert_non_null(kz_test_data_path(rel, path, sizeof path));
        json_t *orig = json_load_file(path, 0, NULL);
        assert_non_null(orig);
        char *text = slurp(path);
        assert_non_null(text);
        kz_stix_import_opts o = {.org_id = f.org.id, .default_tlp = KZ_TLP_AMBER,
                                 .create_orgs = true, .source = EXAMPLES[e]};
        kz_stix_report rep;
        kz_err err = {0};
        if (kz_stix_import(f.st, text, strlen(text), &o, true, &f.a, &rep, &err) != 0)
            fail_msg("%s: %s", EXAMPLES[e], err.msg);
        free(text);
        assert_true(rep.events.n >= 1);
        /* Every event the import made, exported; each object of the file
         * must come back, deep-equal, and every exported object must pass
         * the validator. */
        json_t *seen = json_object();
        for (size_t k = 0; k < rep.events.n; k++) {
            json_t *b = export_json(&f, rep.events.v[k], NULL);
            check_musts(b);
            size_t i;
            json_t *x;
            json_array_foreach(json_object_get(b, "objects"), i, x)
                json_object_set(seen, json_string_value(json_object_get(x, "id")), x);
            json_decref(b);
        }
        json_t *objs = json_object_get(orig, "objects");
        json_t *list = objs ? json_incref(objs) : json_pack("[O]", orig);
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x) {
            const char *id = json_string_value(json_object_get(x, "id"));
            json_t *back = json_object_get(seen, id);
            if (!back)
                fail_msg("%s: %s did not come back", EXAMPLES[e], id);
            if (!json_equal(back, x))
                fail_msg("%s: %s came back changed", EXAMPLES[e], id);
        }
        json_decref(list);
        json_decref(seen);
        json_decref(orig);
        close_fx(&f);
    }
}

/* ---- ACL callbacks and mixed events ------------------------------------------- */

static bool no_red(void *ctx, const kz_indicator *ind)
{
    (void)ctx;
    return ind->tlp != KZ_TLP_RED;
}

static bool no_identities(void *ctx, const kz_stix_obj *o)
{
    (void)ctx;
    return strcmp(o->type, "identity") != 0;
}

static void test_callbacks_leave_out_what_they_refuse(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    char path[1024];
    assert_non_null(kz_test_data_path("stix/sighting-of-an-indicator.json", path, sizeof path));
    char *text = slurp(path);
    assert_non_null(text);
    kz_stix_import_opts o = {.org_id = f->org.id, .default_tlp = KZ_TLP_AMBER};
    assert_int_equal(kz_stix_import(f->st, text, strlen(text), &o, true, &f->a, &rep, &err), 0);
    free(text);
    const char *ev = rep.events.v[0];
    /* A native red indicator next to the imported ones. */
    kz_indicator red = ind_of(KZ_IOC_IPV4, "192.0.2.66");
    red.tlp = KZ_TLP_RED;
    kz_indicator green = ind_of(KZ_IOC_DOMAIN, "green.example");
    kz_indicator two[] = {red, green};
    assert_int_equal(kz_store_indicators_add(f->st, ev, two, 2, &err), 0);
    char rid[80], gid[80];
    snprintf(rid, sizeof rid, "indicator--%s", red.id);
    snprintf(gid, sizeof gid, "indicator--%s", green.id);

    json_t *all = export_json(f, ev, NULL);
    check_musts(all);
    assert_non_null(by_id(all, rid));
    assert_non_null(by_id(all, gid));
    assert_non_null(by_id(all, "identity--39012926-a052-44c4-ae48-caaf4a10ee6e"));
    /* The imported URL indicator is there verbatim, not a second time
     * from its kz indicator. */
    assert_non_null(by_id(all, "indicator--9299f726-ce06-492e-8472-2b52ccb53191"));
    size_t n_ind = 0, i;
    json_t *x;
    json_array_foreach(json_object_get(all, "objects"), i, x)
        n_ind += strcmp(json_string_value(json_object_get(x, "type")), "indicator") == 0;
    assert_int_equal(n_ind, 3);
    json_decref(all);

    kz_stix_export_opts eo = {.allow_obj = no_identities, .allow_ind = no_red};
    json_t *some = export_json(f, ev, &eo);
    assert_null(by_id(some, rid));
    assert_non_null(by_id(some, gid));
    assert_null(by_id(some, "identity--39012926-a052-44c4-ae48-caaf4a10ee6e"));
    assert_non_null(by_id(some, "indicator--9299f726-ce06-492e-8472-2b52ccb53191"));
    json_decref(some);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_native_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_native_event_is_still_valid, setup, teardown),
        cmocka_unit_test(test_round_trip_every_example),
        cmocka_unit_test_setup_teardown(test_callbacks_leave_out_what_they_refuse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
