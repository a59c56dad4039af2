/* test_stix_import.c — STIX 2.1 import: all 17 official examples import
 * and every object is kept with every property; reports, indicators,
 * identities and sightings map into the model as the files say; invalid
 * objects are reported with id, property and reason and nothing is stored
 * (all-or-nothing), or skipped one by one (TAXII mode); duplicates are
 * skipped and counted; every version is kept; envelopes and bare objects.
 */
#include "kz_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "formats/formats.h"
#include "formats/stix_int.h"
#include "store/store.h"
#include "store/store_int.h"

typedef struct fx {
    char *dir;
    kz_store *st;
    kz_arena a;
    kz_org org;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = kz_test_mkdtemp();
    char path[600];
    snprintf(path, sizeof path, "%s/kz.db", f->dir);
    kz_err err = {0};
    if (kz_store_open(path, &f->st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    kz_arena_init(&f->a);
    kz_uuid_v4(f->org.id);
    f->org.name = "CERT-TH";
    memcpy(f->org.country, "TH", 3);
    f->org.type = KZ_ORG_NATIONAL_CERT;
    if (kz_store_org_put(f->st, &f->org, &err) != 0) {
        fprintf(stderr, "org: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kz_store_close(f->st);
    kz_arena_free(&f->a);
    kz_test_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *slurp(const char *rel, size_t *n)
{
    char path[1024];
    if (!kz_test_data_path(rel, path, sizeof path))
        return NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (fread(p, 1, (size_t)len, fp) != (size_t)len) {
        free(p);
        fclose(fp);
        return NULL;
    }
    p[len] = '\0';
    fclose(fp);
    *n = (size_t)len;
    return p;
}

static kz_stix_import_opts opts_of(const fx *f)
{
    kz_stix_import_opts o = {.org_id = f->org.id,
                             .default_tlp = KZ_TLP_AMBER,
                             .distribution = KZ_DIST_ORG,
                             .create_orgs = true};
    return o;
}

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

/* The objects of a file as the file has them. */
static json_t *file_objects(const char *name)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "stix/%s", name);
    if (!kz_test_data_path(rel, path, sizeof path))
        return NULL;
    json_t *j = json_load_file(path, 0, NULL);
    if (!j)
        return NULL;
    json_t *objs = json_object_get(j, "objects");
    json_t *out = objs ? json_incref(objs) : json_pack("[O]", j);
    json_decref(j);
    return out;
}

static int import_file(fx *f, const char *name, kz_stix_report *rep, kz_err *err)
{
    char rel[256];
    snprintf(rel, sizeof rel, "stix/%s", name);
    size_t n;
    char *p = slurp(rel, &n);
    if (!p)
        return -100;
    kz_stix_import_opts o = opts_of(f);
    o.source = name;
    int rc = kz_stix_import(f->st, p, n, &o, true, &f->a, rep, err);
    free(p);
    return rc;
}

/* The document in b, imported with the fixture's options. */
static int import_buf(fx *f, const kz_buf *b, bool all_or_nothing, kz_stix_report *rep,
                      kz_err *err)
{
    kz_stix_import_opts o = opts_of(f);
    return kz_stix_import(f->st, b->p, b->len, &o, all_or_nothing, &f->a, rep, err);
}

/* ---- every example -------------------------------------------------------- */

static void test_every_example_imports_and_keeps_every_property(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < KZ_ARRAY_LEN(EXAMPLES); i++) {
        kz_stix_report rep;
        kz_err err = {0};
        int rc = import_file(f, EXAMPLES[i], &rep, &err);
        if (rc != 0) {
            for (size_t k = 0; k < rep.errors.n; k++)
                fprintf(stderr, "  %s\n", rep.errors.v[k].msg);
            fail_msg("%s: %d %s", EXAMPLES[i], rc, err.msg);
        }
        json_t *objs = file_objects(EXAMPLES[i]);
        assert_non_null(objs);
        assert_int_equal(rep.n_objects, json_array_size(objs));
        assert_int_equal(rep.n_invalid, 0);
        /* Each object of the file is in the store, deep-equal. */
        size_t k;
        json_t *o;
        json_array_foreach(objs, k, o) {
            const char *id = json_string_value(json_object_get(o, "id"));
            kz_stix_obj *v;
            size_t n;
            kz_stix_versions all = {.all = true};
            int r = kz_store_stix_get(f->st, id, &all, &f->a, &v, &n, &err);
            if (r)
                fail_msg("%s: %s not stored: %s", EXAMPLES[i], id, err.msg);
            /* Some ids recur across the examples (the same indicator in two
             * files): one of the stored versions is this one. */
            bool found = false;
            for (size_t m = 0; m < n && !found; m++) {
                json_t *back = json_loadb(v[m].json, v[m].json_len, 0, NULL);
                assert_non_null(back);
                found = json_equal(back, o);
                json_decref(back);
            }
            if (!found)
                fail_msg("%s: %s stored differently", EXAMPLES[i], id);
        }
        json_decref(objs);
    }
}

static const kz_indicator *find_ind(const kz_event *ev, kz_ioc_type t, const char *value)
{
    for (size_t i = 0; i < ev->n_indicators; i++)
        if (ev->indicators[i].type == t && strcmp(ev->indicators[i].value, value) == 0)
            return &ev->indicators[i];
    return NULL;
}

static void test_c2_ip_indicator_maps_to_ipv4(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_file(f, "indicator-for-c2-ip-address.json", &rep, &err), 0);
    /* No report in the file: one catch-all event named after the file. */
    assert_int_equal(rep.n_events, 1);
    assert_int_equal(rep.n_indicators, 1);
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, rep.events.v[0], true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "STIX import indicator-for-c2-ip-address.json");
    assert_string_equal(ev.creator_org, f->org.id);
    assert_int_equal(ev.tlp, KZ_TLP_AMBER);
    assert_int_equal(ev.n_indicators, 1);
    const kz_indicator *ind = find_ind(&ev, KZ_IOC_IPV4, "10.0.0.0");
    assert_non_null(ind);
    assert_string_equal(ind->comment, "IP Address for known C2 channel");
    char t[KZ_TIME_STRLEN + 1];
    kz_time_format(ind->first_seen, t);
    assert_string_equal(t, "2014-05-08T09:00:00.000000Z");
    assert_int_equal(ind->tlp, -1);
}

static void test_report_becomes_event_with_its_indicators(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_file(f, "poisonivy.json", &rep, &err), 0);
    assert_int_equal(rep.n_objects, 155);
    assert_int_equal(rep.n_stored, 155);
    /* The report claims every indicator: one event, no catch-all. */
    assert_int_equal(rep.n_events, 1);
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, rep.events.v[0], true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "Poison Ivy: Assessing Damage and Extracting Intelligence");
    assert_non_null(ev.description);
    /* OR patterns give one indicator per observable. */
    assert_non_null(find_ind(&ev, KZ_IOC_IPV4, "219.76.208.163"));
    assert_non_null(find_ind(&ev, KZ_IOC_DOMAIN, "www.webserver.dynssl.com"));
    assert_non_null(find_ind(&ev, KZ_IOC_IPV4, "113.10.246.30"));
    assert_non_null(find_ind(&ev, KZ_IOC_FILENAME, "CBricksDoc"));
    /* 'domain autuo.xicp.net' is no domain: a warning, the rest imported. */
    assert_null(find_ind(&ev, KZ_IOC_DOMAIN, "domain autuo.xicp.net"));
    assert_non_null(find_ind(&ev, KZ_IOC_IPV4, "60.10.1.115"));
    bool warned = false;
    for (size_t i = 0; i < rep.warnings.n; i++)
        warned |= strstr(rep.warnings.v[i].msg,
                         "object indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40: pattern:") != NULL;
    assert_true(warned);
    assert_int_equal(rep.n_indicators, ev.n_indicators);
    /* The creator identity "FireEye, Inc." became an organisation. */
    kz_org o;
    assert_int_equal(kz_store_org_find(f->st, "FireEye, Inc.", &f->a, &o, &err), 0);
    assert_string_equal(o.country, "TH");
    assert_int_equal(rep.n_orgs_created, 1);
    /* Every stored object belongs to the report's event. */
    kz_stix_query q = {.event_id = ev.id, .tlp_max = -1, .limit = 1000};
    kz_stix_obj *v;
    size_t n;
    bool more;
    assert_int_equal(kz_store_stix_list(f->st, &q, &f->a, &v, &n, &more, &err), 0);
    assert_int_equal(n, 155);
    assert_false(more);
}

static void test_apt1_cidr_and_hash_indicators(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_file(f, "apt1.json", &rep, &err), 0);
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, rep.events.v[0], true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "APT1: Exposing One of China's Cyber Espionage Units");
    assert_non_null(find_ind(&ev, KZ_IOC_CIDR, "223.166.0.0/15"));
    assert_non_null(find_ind(&ev, KZ_IOC_DOMAIN, "hugesoft.org"));
    assert_non_null(find_ind(&ev, KZ_IOC_MD5, "001dd76872d80801692ff942308c64e6"));
    /* x509 AND pattern: kept as STIX only, no indicator made of it. */
    for (size_t i = 0; i < ev.n_indicators; i++)
        assert_true(ev.indicators[i].type != KZ_IOC_TEXT);
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, "indicator--b3b6b540-d838-41e2-853b-005056c00008",
                                       NULL, &f->a, &v, &n, &err),
                     0);
    assert_int_equal(n, 1);
    kz_strlist ids;
    assert_int_equal(kz_store_stix_indicators_of(
                         f->st, "indicator--b3b6b540-d838-41e2-853b-005056c00008", &f->a, &ids, &err),
                     0);
    assert_int_equal(ids.n, 0);
    /* Individuals (identity_class individual) do not become orgs. */
    kz_org o;
    assert_int_equal(kz_store_org_find(f->st, "Wang Dong", &f->a, &o, &err), KZ_E_NOTFOUND);
}

static void test_sighting_maps_with_org(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_file(f, "sighting-of-an-indicator.json", &rep, &err), 0);
    assert_int_equal(rep.n_sightings, 1);
    kz_strlist ids;
    assert_int_equal(kz_store_stix_indicators_of(
                         f->st, "indicator--9299f726-ce06-492e-8472-2b52ccb53191", &f->a, &ids, &err),
                     0);
    assert_int_equal(ids.n, 1);
    kz_indicator ind;
    assert_int_equal(kz_store_indicator_get(f->st, ids.v[0], &f->a, &ind, &err), 0);
    assert_int_equal(ind.type, KZ_IOC_URL);
    kz_sighting *s;
    size_t n;
    assert_int_equal(kz_store_sighting_list(f->st, ids.v[0], &f->a, &s, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].count, 1);
    /* where_sighted_refs names Beta Cyber Intelligence Company. */
    kz_org beta;
    assert_int_equal(kz_store_org_find(f->st, "Beta Cyber Intelligence Company", &f->a, &beta, &err), 0);
    assert_string_equal(s[0].org_id, beta.id);
    char t[KZ_TIME_STRLEN + 1];
    kz_time_format(s[0].time, t);
    assert_string_equal(t, "2017-02-27T21:37:11.213000Z");
}

static void test_tlp_from_markings(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    /* TLP 1.0 amber on the indicator; default (amber) on the event. */
    assert_int_equal(import_file(f, "using-marking-definitions.json", &rep, &err), 0);
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, "indicator--33fe3b22-0201-47cf-85d0-97c02164528d",
                                       NULL, &f->a, &v, &n, &err),
                     0);
    assert_int_equal(v[0].tlp, KZ_TLP_AMBER);
    /* TLP 1.0 red on a bare campaign object. */
    assert_int_equal(import_file(f, "interop-objectmarking-test.json", &rep, &err), 0);
    assert_int_equal(kz_store_stix_get(f->st, "campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
                                       NULL, &f->a, &v, &n, &err),
                     0);
    assert_int_equal(v[0].tlp, KZ_TLP_RED);
    /* Unmarked: the importer's default. */
    assert_int_equal(kz_store_stix_get(f->st, "identity--611d9d41-dba5-4e13-9b29-e22488058ffc",
                                       NULL, &f->a, &v, &n, &err),
                     0);
    assert_int_equal(v[0].tlp, KZ_TLP_AMBER);
}

/* ---- invalid input ------------------------------------------------------------ */

static const char GOOD_IND[] =
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
    "\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
    "\"created\":\"2016-04-29T14:09:00.000Z\",\"modified\":\"2016-04-29T14:09:00.000Z\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\",\"pattern_type\":\"stix\","
    "\"valid_from\":\"2016-04-29T14:09:00Z\",\"x_acme_score\":10}";

/* Imports a bundle of GOOD_IND and bad; expects bad to be reported as
 * "object <id>: <prop>: <fragment>" and nothing stored. */
static void expect_bad(fx *f, const char *bad, const char *id, const char *prop,
                       const char *fragment)
{
    char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
             "\"objects\":[%s,%s]}",
             GOOD_IND, bad);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    int rc = kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err);
    assert_int_equal(rc, KZ_E_VALUE);
    assert_string_equal(err.msg, "1 of 2 objects are invalid; nothing was stored");
    assert_int_equal(rep.n_invalid, 1);
    assert_int_equal(rep.errors.n, 1);
    char want[512];
    snprintf(want, sizeof want, "object %s: %s: ", id, prop);
    if (strncmp(rep.errors.v[0].msg, want, strlen(want)) != 0 ||
        !strstr(rep.errors.v[0].msg, fragment))
        fail_msg("got '%s', want '%s...%s'", rep.errors.v[0].msg, want, fragment);
    char field[160];
    snprintf(field, sizeof field, "objects[1].%s", prop);
    assert_string_equal(rep.errors.v[0].field, field);
    /* Nothing stored, not even the good indicator. */
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                       NULL, &f->a, &v, &n, &err),
                     KZ_E_NOTFOUND);
    kz_event_filter ef = {.published = -1, .after_id = "", .limit = 10};
    kz_event *evs;
    assert_int_equal(kz_store_event_list(f->st, &ef, &f->a, &evs, &n, &err), 0);
    assert_int_equal(n, 0);
}

#define MAL_ID "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
#define MAL_HEAD                                                                                   \
    "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"" MAL_ID "\","                         \
    "\"created\":\"2016-04-06T20:07:09.000Z\","

static void test_invalid_objects_are_reported_and_nothing_stored(void **state)
{
    fx *f = *state;
    /* missing required property (report: published) */
    expect_bad(f,
               "{\"type\":\"report\",\"spec_version\":\"2.1\","
               "\"id\":\"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3\","
               "\"created\":\"2015-12-21T19:59:11.000Z\",\"modified\":\"2015-12-21T19:59:11.000Z\","
               "\"name\":\"r\",\"object_refs\":[\"" MAL_ID "\"]}",
               "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3", "published",
               "is required for report objects");
    /* bad id: not a UUID */
    expect_bad(f,
               "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--1234\","
               "\"created\":\"2016-04-06T20:07:09.000Z\",\"modified\":\"2016-04-06T20:07:09.000Z\","
               "\"name\":\"x\",\"is_family\":false}",
               "malware--1234", "id", "is not an identifier");
    /* id of another type */
    expect_bad(f,
               "{\"type\":\"malware\",\"spec_version\":\"2.1\","
               "\"id\":\"tool--31b940d4-6f7f-459a-80ea-9c1f17b5891b\","
               "\"created\":\"2016-04-06T20:07:09.000Z\",\"modified\":\"2016-04-06T20:07:09.000Z\","
               "\"name\":\"x\"}",
               "tool--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "id",
               "does not start with the object's type 'malware--'");
    /* wrong spec_version */
    expect_bad(f,
               "{\"type\":\"malware\",\"spec_version\":\"2.0\",\"id\":\"" MAL_ID "\","
               "\"created\":\"2016-04-06T20:07:09.000Z\",\"modified\":\"2016-04-06T20:07:09.000Z\","
               "\"name\":\"x\"}",
               MAL_ID, "spec_version", "'2.0' is not 2.1");
    /* modified before created */
    expect_bad(f, MAL_HEAD "\"modified\":\"2016-04-06T20:07:08.999Z\",\"name\":\"x\"}", MAL_ID,
               "modified", "is earlier than created");
    /* timestamps: an offset instead of Z, too little precision, no date */
    expect_bad(f, MAL_HEAD "\"modified\":\"2016-04-06T22:07:09.000+02:00\",\"name\":\"x\"}", MAL_ID,
               "modified", "is not a STIX timestamp");
    expect_bad(f, MAL_HEAD "\"modified\":\"2016-04-06T20:07:09Z\",\"name\":\"x\"}", MAL_ID,
               "modified", "needs at least millisecond precision");
    expect_bad(f, MAL_HEAD "\"modified\":\"2016-02-30T20:07:09.000Z\",\"name\":\"x\"}", MAL_ID,
               "modified", "is not a valid date and time");
    /* bad pattern */
    expect_bad(f,
               "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
               "\"id\":\"indicator--a932fcc6-e032-476c-826f-cb970a5a1ade\","
               "\"created\":\"2014-02-20T09:16:08.989Z\",\"modified\":\"2014-02-20T09:16:08.989Z\","
               "\"pattern\":\"[file:hashes.'SHA-256' = 'ef53' AND]\",\"pattern_type\":\"stix\","
               "\"valid_from\":\"2014-02-20T09:00:00Z\"}",
               "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", "pattern", "at offset");
    /* a reference that is not an identifier */
    expect_bad(f,
               MAL_HEAD "\"modified\":\"2016-04-06T20:07:09.000Z\",\"name\":\"x\","
                        "\"created_by_ref\":\"FireEye\"}",
               MAL_ID, "created_by_ref", "'FireEye' is not an identifier");
    expect_bad(f,
               MAL_HEAD "\"modified\":\"2016-04-06T20:07:09.000Z\",\"name\":\"x\","
                        "\"sample_refs\":[\"file--1\"]}",
               MAL_ID, "sample_refs[0]", "is not an identifier");
    /* custom property names */
    expect_bad(f, MAL_HEAD "\"modified\":\"2016-04-06T20:07:09.000Z\",\"name\":\"x\",\"X_Score\":1}",
               MAL_ID, "X_Score", "property names are 3 to 250 characters");
    /* a TLP marking that is not one of the spec's four */
    expect_bad(f,
               "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
               "\"id\":\"marking-definition--11111111-2222-4333-8444-555555555555\","
               "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\","
               "\"definition\":{\"tlp\":\"white\"}}",
               "marking-definition--11111111-2222-4333-8444-555555555555", "definition",
               "no other TLP marking may be created");
    /* an SCO without its required value */
    expect_bad(f,
               "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c\"}",
               "ipv4-addr--2b3e2c17-3144-5591-9c88-a605220f8c0c", "value",
               "is required for ipv4-addr objects");
    /* a sighting of something that is not an SDO */
    expect_bad(f,
               "{\"type\":\"sighting\",\"spec_version\":\"2.1\","
               "\"id\":\"sighting--ee20065d-2555-424f-ad9e-0f8113d66b8b\","
               "\"created\":\"2016-04-06T20:08:31.000Z\",\"modified\":\"2016-04-06T20:08:31.000Z\","
               "\"sighting_of_ref\":\"relationship--ee20065d-2555-424f-ad9e-0f8113d66b8b\"}",
               "sighting--ee20065d-2555-424f-ad9e-0f8113d66b8b", "sighting_of_ref",
               "must refer to an SDO");
}

static void test_document_errors(void **state)
{
    fx *f = *state;
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    const char *bad_json = "{\"type\":\"bundle\",\n \"objects\":[{\"a\":1,}]}";
    assert_int_equal(kz_stix_import(f->st, bad_json, strlen(bad_json), &o, true, &f->a, &rep, &err),
                     KZ_E_INVALID);
    assert_string_equal(err.msg,
                        "invalid JSON at line 2 column 20: expected a member name in double quotes, "
                        "found '}'");
    const char *not_stix = "{\"hello\":1}";
    assert_int_equal(kz_stix_import(f->st, not_stix, strlen(not_stix), &o, true, &f->a, &rep, &err),
                     KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "neither a STIX bundle, a TAXII envelope nor a STIX object"));
    const char *bad_bundle = "{\"type\":\"bundle\",\"id\":\"bundle--x\",\"objects\":[]}";
    assert_int_equal(
        kz_stix_import(f->st, bad_bundle, strlen(bad_bundle), &o, true, &f->a, &rep, &err),
        KZ_E_VALUE);
    assert_string_equal(err.field, "id");
    /* An element that is not an object is an invalid object, not a crash. */
    const char *arr = "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                      "\"objects\":[42]}";
    assert_int_equal(kz_stix_import(f->st, arr, strlen(arr), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    assert_string_equal(rep.errors.v[0].msg, "object objects[0]: is not a JSON object");
    /* Duplicate keys inside an object. */
    const char *dup = "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                      "\"objects\":[{\"type\":\"x\",\"type\":\"y\"}]}";
    assert_int_equal(kz_stix_import(f->st, dup, strlen(dup), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    assert_non_null(strstr(rep.errors.v[0].msg, "duplicate object key"));
}

/* ---- TAXII mode, duplicates, versions, envelopes ------------------------------- */

static void test_partial_mode_stores_valid_and_lists_failures(void **state)
{
    fx *f = *state;
    char doc[2048];
    snprintf(doc, sizeof doc,
             "{\"objects\":[%s,{\"type\":\"malware\",\"id\":\"malware--1\"}],\"more\":false}",
             GOOD_IND);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, false, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_invalid, 1);
    assert_int_equal(rep.n_items, 2);
    assert_int_equal(rep.items[0].status, KZ_STIX_ITEM_STORED);
    assert_string_equal(rep.items[0].id, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert_string_equal(rep.items[0].version, "2016-04-29T14:09:00.000Z");
    assert_int_equal(rep.items[1].status, KZ_STIX_ITEM_INVALID);
    assert_string_equal(rep.items[1].id, "malware--1");
    assert_string_equal(rep.items[1].message,
                        "object malware--1: id: 'malware--1' is not an identifier (type--UUID, "
                        "RFC 4122)");
    /* Sent again: a duplicate, not an error, nothing new stored. */
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, false, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 0);
    assert_int_equal(rep.n_duplicates, 1);
    assert_int_equal(rep.items[0].status, KZ_STIX_ITEM_DUPLICATE);
    assert_int_equal(rep.n_events, 0);
    assert_int_equal(rep.n_indicators, 0);
}

static void test_versions_are_all_kept(void **state)
{
    fx *f = *state;
    const char *v1 =
        "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"" MAL_ID "\","
        "\"created\":\"2016-04-06T20:07:09.000Z\",\"modified\":\"2016-04-06T20:07:09.000Z\","
        "\"name\":\"v1\",\"is_family\":true}";
    const char *v3 =
        "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"" MAL_ID "\","
        "\"created\":\"2016-04-06T20:07:09.000Z\",\"modified\":\"2016-06-01T00:00:00.000Z\","
        "\"name\":\"v3\",\"is_family\":true}";
    const char *v2 =
        "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"" MAL_ID "\","
        "\"created\":\"2016-04-06T20:07:09.000Z\",\"modified\":\"2016-05-01T00:00:00.000Z\","
        "\"name\":\"v2\",\"is_family\":true}";
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(kz_stix_import(f->st, v1, strlen(v1), &o, true, &f->a, &rep, &err), 0);
    char env[2048];
    snprintf(env, sizeof env, "{\"objects\":[%s,%s,%s]}", v3, v2, v3);
    assert_int_equal(kz_stix_import(f->st, env, strlen(env), &o, true, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 2);
    assert_int_equal(rep.n_duplicates, 1);
    /* A new version of a known object goes into the event of the first. */
    assert_int_equal(rep.n_events, 0);
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, MAL_ID, NULL, &f->a, &v, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].event_id, v[1].event_id);
    assert_string_equal(v[0].event_id, v[2].event_id);
    kz_stix_versions last = {.last = true}, first = {.first = true};
    assert_int_equal(kz_store_stix_get(f->st, MAL_ID, &last, &f->a, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_non_null(strstr(v[0].json, "\"name\":\"v3\""));
    assert_int_equal(kz_store_stix_get(f->st, MAL_ID, &first, &f->a, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_non_null(strstr(v[0].json, "\"name\":\"v1\""));
}

static void test_new_report_version_updates_its_event(void **state)
{
    fx *f = *state;
#define REPORT_FMT                                                                                 \
        "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\"," \
        "\"objects\":[{\"type\":\"report\",\"spec_version\":\"2.1\"," \
        "\"id\":\"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3\"," \
        "\"created\":\"2015-12-21T19:59:11.000Z\",\"modified\":\"%s\",\"name\":\"%s\"," \
        "\"published\":\"2016-01-20T17:00:00.000Z\"," \
        "\"object_marking_refs\":[\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\"]," \
        "\"object_refs\":[\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"]},%s]}"
    char doc[4096];
    snprintf(doc, sizeof doc, REPORT_FMT, "2015-12-21T19:59:11.000Z", "First", GOOD_IND);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_events, 1);
    char ev_id[40];
    snprintf(ev_id, sizeof ev_id, "%s", rep.events.v[0]);
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, ev_id, true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "First");
    assert_int_equal(ev.tlp, KZ_TLP_GREEN); /* TLP 1.0 green marking */
    assert_int_equal(ev.n_indicators, 1);
    snprintf(doc, sizeof doc, REPORT_FMT, "2016-01-01T00:00:00.000Z", "Second", GOOD_IND);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_duplicates, 1);
    assert_int_equal(rep.n_events, 0);
    assert_int_equal(kz_store_event_get(f->st, ev_id, true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "Second");
    assert_int_equal(ev.n_indicators, 1);
}

static void test_envelope_and_into_existing_event(void **state)
{
    fx *f = *state;
    kz_event ev;
    memset(&ev, 0, sizeof ev);
    kz_uuid_v4(ev.id);
    ev.title = "Collection";
    ev.threat_level = 4;
    ev.tlp = KZ_TLP_GREEN;
    ev.pap = KZ_PAP_AMBER;
    memcpy(ev.creator_org, f->org.id, sizeof ev.creator_org);
    kz_err err = {0};
    assert_int_equal(kz_store_event_put(f->st, &ev, &err), 0);
    char env[2048];
    snprintf(env, sizeof env, "{\"more\":false,\"objects\":[%s]}", GOOD_IND);
    kz_stix_import_opts o = opts_of(f);
    o.event_id = ev.id;
    kz_stix_report rep;
    assert_int_equal(kz_stix_import(f->st, env, strlen(env), &o, false, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_events, 0);
    assert_int_equal(rep.events.n, 1);
    assert_string_equal(rep.events.v[0], ev.id);
    kz_event back;
    assert_int_equal(kz_store_event_get(f->st, ev.id, true, &f->a, &back, &err), 0);
    assert_int_equal(back.n_indicators, 1);
    assert_string_equal(back.indicators[0].value, "198.51.100.7");
    /* Unmarked, default amber: stricter than the green event. */
    assert_int_equal(back.indicators[0].tlp, KZ_TLP_AMBER);
    /* Another org's event may not be named. */
    kz_org other = {.name = "Other", .country = "JP", .type = KZ_ORG_COMPANY};
    kz_uuid_v4(other.id);
    assert_int_equal(kz_store_org_put(f->st, &other, &err), 0);
    o.org_id = other.id;
    assert_int_equal(kz_stix_import(f->st, env, strlen(env), &o, false, &f->a, &rep, &err),
                     KZ_E_FORBIDDEN);
}

static void test_other_orgs_event_is_not_written_by_a_new_version(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_file(f, "indicator-for-malicious-url.json", &rep, &err), 0);
    char first_ev[40];
    snprintf(first_ev, sizeof first_ev, "%s", rep.events.v[0]);
    kz_org other = {.name = "Other", .country = "JP", .type = KZ_ORG_COMPANY};
    kz_uuid_v4(other.id);
    assert_int_equal(kz_store_org_put(f->st, &other, &err), 0);
    const char *v2 =
        "{\"type\":\"malware\",\"spec_version\":\"2.1\","
        "\"id\":\"malware--162d917e-766f-4611-b5d6-652791454fca\","
        "\"created\":\"2014-06-30T09:15:17.182Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
        "\"name\":\"x4z9arb backdoor\",\"is_family\":false}";
    kz_stix_import_opts o = opts_of(f);
    o.org_id = other.id;
    assert_int_equal(kz_stix_import(f->st, v2, strlen(v2), &o, true, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_events, 1);
    kz_stix_versions last = {.last = true};
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, "malware--162d917e-766f-4611-b5d6-652791454fca",
                                       &last, &f->a, &v, &n, &err),
                     0);
    assert_string_not_equal(v[0].event_id, first_ev);
    assert_string_equal(v[0].owner_org, other.id);
}

/* Appends one indicator of id (a UUID) and version modified; its pattern
 * is broken when bad (the skim reads such an object like any other, only
 * its full read finds it invalid). */
static void put_indicator(kz_buf *b, bool first, const char *uuid, const char *modified,
                          size_t n, bool bad)
{
    kz_buf_printf(b,
                  "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
                  "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"%s\","
                  "\"pattern\":\"[ipv4-addr:value = '10.%zu.%zu.%zu'%s\",\"pattern_type\":\"stix\","
                  "\"valid_from\":\"2024-01-01T00:00:00Z\"}",
                  first ? "" : ",", uuid, modified, (n >> 16) & 255, (n >> 8) & 255, n & 255,
                  bad ? "" : "]");
}

/* b becomes an envelope of n indicators, uuids[i] the id of the i-th (its
 * pattern broken when bad[i]), all of one version. */
static void few_indicators(kz_buf *b, const char *const *uuids, const bool *bad, size_t n)
{
    kz_buf_reset(b);
    kz_buf_puts(b, "{\"objects\":[");
    for (size_t i = 0; i < n; i++)
        put_indicator(b, i == 0, uuids[i], "2024-01-01T00:00:00.000Z", i + 1, bad[i]);
    kz_buf_puts(b, "]}");
}

/* A bundle of n indicators (unique addresses); those whose index is in bad
 * get an id that is no identifier. */
static char *big_bundle(size_t n, const size_t *bad, size_t nbad)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                    "\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        bool is_bad = false;
        for (size_t k = 0; k < nbad; k++)
            is_bad |= bad[k] == i;
        kz_uuid u;
        char name[32];
        int len = snprintf(name, sizeof name, "%zu", i);
        kz_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", name, (size_t)len, u);
        kz_buf_printf(&b,
                      "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
                      "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                      "\"pattern\":\"[ipv4-addr:value = '10.%zu.%zu.%zu']\",\"pattern_type\":\"stix\","
                      "\"valid_from\":\"2024-01-01T00:00:00Z\"}",
                      i ? ",\n  " : "", is_bad ? "0" : u, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    }
    kz_buf_puts(&b, "]}");
    return kz_buf_steal(&b);
}

static void test_large_input_read_in_parallel(void **state)
{
    fx *f = *state;
    /* Failures at the edges of the readers' ranges come out in input order. */
    const size_t bad[] = {0, 5999, 6000, 11999};
    char *doc = big_bundle(12000, bad, 4);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    free(doc);
    assert_string_equal(err.msg, "4 of 12000 objects are invalid; nothing was stored");
    assert_int_equal(rep.errors.n, 4);
    for (size_t i = 0; i < 4; i++) {
        char field[32];
        snprintf(field, sizeof field, "objects[%zu].id", bad[i]);
        assert_string_equal(rep.errors.v[i].field, field);
    }
    /* More indicators than one write batch (10,000). */
    doc = big_bundle(12000, NULL, 0);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err), 0);
    free(doc);
    assert_int_equal(rep.n_stored, 12000);
    assert_int_equal(rep.n_indicators, 12000);
    assert_int_equal(rep.n_events, 1);
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, rep.events.v[0], true, &f->a, &ev, &err), 0);
    assert_int_equal(ev.n_indicators, 12000);
    kz_strlist mapped;
    assert_int_equal(kz_store_stix_event_mapped(f->st, ev.id, &f->a, &mapped, &err), 0);
    assert_int_equal(mapped.n, 12000);
    /* The objects were written with their white space removed. */
    kz_stix_query q = {.tlp_max = -1, .limit = 1};
    kz_stix_obj *v;
    size_t n;
    bool more;
    assert_int_equal(kz_store_stix_list(f->st, &q, &f->a, &v, &n, &more, &err), 0);
    assert_true(more);
    assert_null(strchr(v[0].json, '\n'));
    assert_non_null(strstr(v[0].json, "10.0.0.0"));
}

static void test_streaming_failure_far_in_stores_nothing(void **state)
{
    fx *f = *state;
    /* More chunks than the readers may run ahead of the writer: the writer
     * has stored the first ones when the last object turns out invalid. */
    const size_t bad[] = {39999};
    char *doc = big_bundle(40000, bad, 1);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    free(doc);
    assert_string_equal(err.msg, "1 of 40000 objects are invalid; nothing was stored");
    assert_int_equal(rep.errors.n, 1);
    assert_string_equal(rep.errors.v[0].field, "objects[39999].id");
    assert_int_equal(rep.events.n, 0);
    kz_stix_query q = {.tlp_max = -1, .limit = 1, .versions = {.all = true}};
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_list(f->st, &q, &f->a, &v, &n, NULL, &err), 0);
    assert_int_equal(n, 0);
}

static bool listed(const size_t *v, size_t n, size_t i)
{
    for (size_t k = 0; k < n; k++)
        if (v[k] == i)
            return true;
    return false;
}

static void filler_uuid(size_t i, kz_uuid out)
{
    char name[32];
    int len = snprintf(name, sizeof name, "filler-%zu", i);
    kz_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", name, (size_t)len, out);
}

/* A partial import stores chunk by chunk while the readers read: objects
 * found invalid only by their full read (a broken pattern), anywhere in
 * the input, are listed and left out, and the rest is stored and mapped. */
static void test_partial_import_streams_and_leaves_out_invalid(void **state)
{
    fx *f = *state;
    const size_t n = 12000, bad[] = {0, 1023, 1024, 6000, 11999};
    const size_t nbad = sizeof bad / sizeof *bad;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        kz_uuid u;
        filler_uuid(i, u);
        put_indicator(&b, i == 0, u, "2024-01-01T00:00:00.000Z", i, listed(bad, nbad, i));
    }
    kz_buf_puts(&b, "]}");
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_buf(f, &b, false, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_items, n);
    assert_int_equal(rep.n_invalid, nbad);
    assert_int_equal(rep.n_stored, n - nbad);
    assert_int_equal(rep.n_indicators, n - nbad);
    for (size_t i = 0; i < n; i++) {
        bool is_bad = listed(bad, nbad, i);
        assert_int_equal(rep.items[i].status,
                         is_bad ? KZ_STIX_ITEM_INVALID : KZ_STIX_ITEM_STORED);
        if (is_bad)
            assert_non_null(strstr(rep.items[i].message, "pattern"));
    }
    assert_int_equal(rep.n_events, 1);
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, rep.events.v[0], true, &f->a, &ev, &err), 0);
    assert_int_equal(ev.n_indicators, n - nbad);
}

/* When an id comes more than once, which copy or version is stored depends
 * on which are valid: a partial import reads those in full before it plans.
 * X: an invalid copy, then a valid one of the same version, chunks apart;
 * Y: a valid version, then an invalid newer one. */
static void test_partial_import_reads_repeated_ids_before_planning(void **state)
{
    fx *f = *state;
    const char *X = "0d3b5c1e-9a4f-4c2b-8e7d-6f5a4b3c2d1e";
    const char *Y = "1e4c6d2f-0b5a-4d3c-9f8e-7a6b5c4d3e2f";
    const size_t n = 3000;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        kz_uuid u;
        filler_uuid(i, u);
        const char *id = u, *mod = "2024-01-01T00:00:00.000Z";
        bool bad = false;
        if (i == 5 || i == 2500) {
            id = X;
            bad = i == 5;
        } else if (i == 1500 || i == 2999) {
            id = Y;
            bad = i == 2999;
            mod = bad ? "2024-06-01T00:00:00.000Z" : mod;
        }
        put_indicator(&b, i == 0, id, mod, i, bad);
    }
    kz_buf_puts(&b, "]}");
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_buf(f, &b, false, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_invalid, 2);
    assert_int_equal(rep.n_duplicates, 0);
    assert_int_equal(rep.n_stored, n - 2);
    assert_int_equal(rep.n_indicators, n - 2);
    assert_int_equal(rep.items[5].status, KZ_STIX_ITEM_INVALID);
    assert_int_equal(rep.items[2500].status, KZ_STIX_ITEM_STORED);
    assert_int_equal(rep.items[1500].status, KZ_STIX_ITEM_STORED);
    assert_int_equal(rep.items[2999].status, KZ_STIX_ITEM_INVALID);
    /* X's valid copy and Y's valid version are stored, each with the kz
     * indicator of its pattern. */
    const char *ids[] = {X, Y};
    const char *ips[] = {"10.0.9.196", "10.0.5.220"}; /* indexes 2500 and 1500 */
    for (size_t k = 0; k < 2; k++) {
        char sid[64];
        snprintf(sid, sizeof sid, "indicator--%s", ids[k]);
        kz_stix_versions all = {.all = true};
        kz_stix_obj *v;
        size_t nv;
        assert_int_equal(kz_store_stix_get(f->st, sid, &all, &f->a, &v, &nv, &err), 0);
        assert_int_equal(nv, 1);
        assert_non_null(strstr(v[0].json, ips[k]));
        kz_indicator *live;
        size_t nl;
        assert_int_equal(kz_store_stix_indicators_live(f->st, sid, &f->a, &live, &nl, &err), 0);
        assert_int_equal(nl, 1);
        assert_string_equal(live[0].value, ips[k]);
    }
}

static char *db_dump(const char *path, const char *sql);

/* Objects the skim reads in full (an identity) belong to their own chunk
 * like the others: failures found by the skim and by the readers come out
 * in input order (an identity without a name at 1,500, between broken
 * patterns at 1,100 and 2,100, in chunks of 1,024). */
static void test_early_reads_are_noted_in_their_chunk(void **state)
{
    fx *f = *state;
    const size_t n = 3000;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        kz_uuid u;
        filler_uuid(i, u);
        if (i == 1500)
            kz_buf_printf(&b,
                          ",{\"type\":\"identity\",\"spec_version\":\"2.1\","
                          "\"id\":\"identity--%s\",\"created\":\"2024-01-01T00:00:00.000Z\","
                          "\"modified\":\"2024-01-01T00:00:00.000Z\"}",
                          u);
        else
            put_indicator(&b, i == 0, u, "2024-01-01T00:00:00.000Z", i, i == 1100 || i == 2100);
    }
    kz_buf_puts(&b, "]}");
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_buf(f, &b, true, &rep, &err), KZ_E_VALUE);
    assert_string_equal(err.msg, "3 of 3000 objects are invalid; nothing was stored");
    assert_int_equal(rep.errors.n, 3);
    assert_string_equal(rep.errors.v[0].field, "objects[1100].pattern");
    assert_string_equal(rep.errors.v[1].field, "objects[1500].name");
    assert_string_equal(rep.errors.v[2].field, "objects[2100].pattern");
    /* The same, partial: the rest is stored. */
    assert_int_equal(import_buf(f, &b, false, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_invalid, 3);
    assert_int_equal(rep.n_stored, n - 3);
    assert_int_equal(rep.items[1500].status, KZ_STIX_ITEM_INVALID);
}

/* An object the node has (same id and version) that is invalid this time
 * is an invalid object, not also a duplicate. */
static void test_invalid_copy_of_a_stored_object_is_no_duplicate(void **state)
{
    fx *f = *state;
    const char *X[] = {"3a6e8f4b-2d7c-4f5e-9b0a-9c8d7e6f5a4b"};
    kz_buf b;
    kz_buf_init(&b);
    few_indicators(&b, X, (const bool[]){false}, 1);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_buf(f, &b, false, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 1);
    few_indicators(&b, X, (const bool[]){true}, 1);
    assert_int_equal(import_buf(f, &b, false, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_invalid, 1);
    assert_int_equal(rep.n_duplicates, 0);
    assert_int_equal(rep.n_stored, 0);
    assert_int_equal(rep.items[0].status, KZ_STIX_ITEM_INVALID);
}

/* A partial import without an event to go into makes one for its objects,
 * but not when every one of them turns out invalid. */
static void test_partial_import_of_invalid_objects_makes_no_event(void **state)
{
    fx *f = *state;
    kz_buf b;
    kz_buf_init(&b);
    few_indicators(&b, (const char *const[]){"2f5d7e3a-1c6b-4e4d-8a9f-8b7c6d5e4f3a"},
                   (const bool[]){true}, 1);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_buf(f, &b, false, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_invalid, 1);
    assert_int_equal(rep.n_stored, 0);
    assert_int_equal(rep.n_events, 0);
    assert_int_equal(rep.events.n, 0);
    char pa[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    char *count = db_dump(pa, "SELECT count(*) FROM events");
    assert_string_equal(count, "0\n");
    free(count);
}

/* What a caller stores in the import's transaction (kz_stix_import_opts
 * txn_begin / txn_end) goes with the objects: all of it, or with a hook's
 * error none of it; the end hook sees the final items. */
typedef struct hooks {
    int begins, ends;
    bool fail_begin, fail_end;
    size_t items, invalid_items;
} hooks;

static int hook_begin(void *ctx, kz_store *st, kz_err *err)
{
    hooks *h = ctx;
    h->begins++;
    if (h->fail_begin)
        return kz_fail(err, KZ_E_CONFLICT, "", "begin refused");
    return kz_store_meta_set(st, "hook.mark", "set", err);
}

static int hook_end(void *ctx, kz_store *st, const kz_stix_report *rep, kz_err *err)
{
    (void)st;
    hooks *h = ctx;
    h->ends++;
    h->items = rep->n_items;
    for (size_t i = 0; i < rep->n_items; i++)
        h->invalid_items += rep->items[i].status == KZ_STIX_ITEM_INVALID;
    return h->fail_end ? kz_fail(err, KZ_E_CONFLICT, "", "end refused") : 0;
}

static void expect_nothing_stored(fx *f)
{
    char pa[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    char *count = db_dump(pa, "SELECT (SELECT count(*) FROM stix_objects) || ',' ||"
                              " (SELECT count(*) FROM events) || ',' ||"
                              " (SELECT count(*) FROM meta WHERE key = 'hook.mark')");
    assert_string_equal(count, "0,0,0\n");
    free(count);
}

static void test_txn_hooks_store_with_the_objects_or_roll_back(void **state)
{
    fx *f = *state;
    const char *const ids[] = {"4b7f9a5c-3e8d-4a6f-8c1b-0d9e8f7a6b5c",
                               "5c8a0b6d-4f9e-4b7a-9d2c-1e0f9a8b7c6d",
                               "6d9b1c7e-5a0f-4c8b-8e3d-2f1a0b9c8d7e"};
    kz_buf b;
    kz_buf_init(&b);
    few_indicators(&b, ids, (const bool[]){false, true, false}, 3);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    hooks h = {.fail_end = true};
    o.txn_begin = hook_begin;
    o.txn_end = hook_end;
    o.txn_ctx = &h;
    /* The end hook refuses: nothing of the import, nothing of the hook. */
    assert_int_equal(kz_stix_import(f->st, b.p, b.len, &o, false, &f->a, &rep, &err),
                     KZ_E_CONFLICT);
    assert_string_equal(err.msg, "end refused");
    assert_int_equal(h.begins, 1);
    assert_int_equal(h.ends, 1);
    assert_int_equal(h.items, 3);
    assert_int_equal(h.invalid_items, 1);
    expect_nothing_stored(f);
    /* The begin hook refuses: the end hook never runs. */
    h = (hooks){.fail_begin = true};
    assert_int_equal(kz_stix_import(f->st, b.p, b.len, &o, false, &f->a, &rep, &err),
                     KZ_E_CONFLICT);
    assert_string_equal(err.msg, "begin refused");
    assert_int_equal(h.ends, 0);
    expect_nothing_stored(f);
    /* A document the import cannot read: no transaction, no hook. */
    h = (hooks){0};
    assert_int_equal(kz_stix_import(f->st, "{\"objects\":{}}", 14, &o, false, &f->a, &rep, &err),
                     KZ_E_INVALID);
    assert_int_equal(h.begins, 0);
    assert_int_equal(h.ends, 0);
    /* Both agree: the objects and the hook's row are stored together. */
    h = (hooks){0};
    assert_int_equal(kz_stix_import(f->st, b.p, b.len, &o, false, &f->a, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_stored, 2);
    assert_int_equal(h.ends, 1);
    char *v = NULL;
    assert_int_equal(kz_store_meta_get(f->st, "hook.mark", &f->a, &v, &err), 0);
    assert_string_equal(v, "set");
}

static void test_one_id_many_times_is_one_version(void **state)
{
    fx *f = *state;
    /* 30,000 copies of one object and 3 of another version: each id and
     * version once, the rest duplicates (and no pass over all the copies
     * for each copy). */
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                    "\"objects\":[");
    for (size_t i = 0; i < 30003; i++)
        kz_buf_printf(&b,
                      "%s{\"type\":\"malware\",\"spec_version\":\"2.1\","
                      "\"id\":\"malware--162d917e-766f-4611-b5d6-652791454fca\","
                      "\"created\":\"2014-06-30T09:15:17.182Z\",\"modified\":\"%s\","
                      "\"name\":\"x\",\"is_family\":false}",
                      i ? "," : "",
                      i % 10000 == 5 ? "2015-01-01T00:00:00.000Z" : "2014-06-30T09:15:17.182Z");
    kz_buf_puts(&b, "]}");
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(import_buf(f, &b, true, &rep, &err), 0);
    kz_buf_free(&b);
    assert_int_equal(rep.n_objects, 30003);
    assert_int_equal(rep.n_stored, 2);
    assert_int_equal(rep.n_duplicates, 30001);
}

/* ---- bulk load (indexes dropped and rebuilt) ------------------------------ */

static void ind_id(size_t i, kz_uuid out)
{
    char name[32];
    int len = snprintf(name, sizeof name, "%zu", i);
    kz_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", name, (size_t)len, out);
}

/* An identity, a report claiming the first 50 of n indicators, the
 * indicators, 20 of them sent again, a sighting of indicator 1; with
 * bad_last one more indicator whose pattern does not parse. */
static char *bulk_bundle(size_t n, bool bad_last)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                    "\"objects\":[{\"type\":\"identity\",\"spec_version\":\"2.1\","
                    "\"id\":\"identity--0f7a4e33-bd2c-4c1a-9b3f-7d8e2f1c5a90\","
                    "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                    "\"name\":\"Bulk Feed\",\"identity_class\":\"organization\"},"
                    "{\"type\":\"report\",\"spec_version\":\"2.1\","
                    "\"id\":\"report--5d0092c5-5f74-4287-9642-33f4c354e56e\","
                    "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                    "\"name\":\"Bulk report\",\"published\":\"2024-01-01T00:00:00Z\",\"object_refs\":[");
    for (size_t i = 0; i < 50; i++) {
        kz_uuid u;
        ind_id(i, u);
        kz_buf_printf(&b, "%s\"indicator--%s\"", i ? "," : "", u);
    }
    kz_buf_puts(&b, "]}");
    for (size_t k = 0; k < n + 20; k++) {
        size_t i = k < n ? k : k - n;
        kz_uuid u;
        ind_id(i, u);
        kz_buf_printf(&b,
                      ",\n{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
                      "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                      "\"pattern\":\"[ipv4-addr:value = '10.%zu.%zu.%zu']\",\"pattern_type\":\"stix\","
                      "\"valid_from\":\"2024-01-01T00:00:00Z\"}",
                      u, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    }
    kz_uuid u1;
    ind_id(1, u1);
    kz_buf_printf(&b,
                  ",{\"type\":\"sighting\",\"spec_version\":\"2.1\","
                  "\"id\":\"sighting--%s\",\"created\":\"2024-01-02T00:00:00.000Z\","
                  "\"modified\":\"2024-01-02T00:00:00.000Z\",\"sighting_of_ref\":\"indicator--%s\"}",
                  "9e3c1a2b-4d5e-4f60-8a7b-1c2d3e4f5a6b", u1);
    if (bad_last) {
        /* Found only by the full read, after the writer has begun. */
        ind_id(n + 1000, u1);
        kz_buf_printf(&b,
                      ",{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\","
                      "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                      "\"pattern\":\"[ipv4-addr:value = \",\"pattern_type\":\"stix\","
                      "\"valid_from\":\"2024-01-01T00:00:00Z\"}",
                      u1);
    }
    kz_buf_puts(&b, "]}");
    return kz_buf_steal(&b);
}

/* Every row of a query on a database file, columns joined by '|', rows by
 * '\n' (malloc'd). */
static char *db_dump(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    kz_buf b;
    kz_buf_init(&b);
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(s); c++) {
            const unsigned char *t = sqlite3_column_text(s, c);
            kz_buf_printf(&b, "%s%s", c ? "|" : "", t ? (const char *)t : "NULL");
        }
        kz_buf_putc(&b, '\n');
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    kz_buf_putc(&b, '\0');
    return kz_buf_steal(&b);
}

static kz_store *open_store(const fx *f, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", f->dir, name);
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(path, &st, &err), 0);
    assert_int_equal(kz_store_org_put(st, &f->org, &err), 0);
    return st;
}

static const char SQL_ROWS[] =
    "SELECT o.id, o.type, o.spec_version, o.created, o.modified, o.vkey, o.is_first, o.is_last,"
    " o.created_by_ref, o.tlp, o.owner_org, o.revoked, o.json, json_array_length(o.ind_ids),"
    " e.title FROM stix_objects o LEFT JOIN events e ON e.seq = o.event_ref ORDER BY o.seq";
static const char SQL_INDICATORS[] =
    "SELECT i.type, i.value, hex(i.addr), i.prefix, i.rdomain, i.to_ids, i.comment, i.tlp,"
    " i.first_seen, i.last_seen, i.deleted, e.title,"
    " (SELECT group_concat(t.name) FROM indicator_tags it JOIN tags t ON t.id = it.tag"
    " WHERE it.ind = i.seq) FROM indicators i JOIN events e ON e.seq = i.event_ref ORDER BY i.seq";
static const char SQL_SCHEMA[] =
    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";
static const char SQL_INDEXES[] =
    "SELECT name, \"unique\", origin, partial FROM pragma_index_list('stix_objects') ORDER BY name";

static void test_bulk_load_matches_row_by_row(void **state)
{
    fx *f = *state;
    const size_t n = KZ_STIX_BULK_MIN + 100;
    char *doc = bulk_bundle(n, false);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report ra, rb;
    kz_err err = {0};
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    kz_store *sb = open_store(f, "rows.db", pb, sizeof pb);

    /* The same bundle into two empty stores: with the indexes dropped, and
     * row by row (the bulk path turned off). */
    size_t loads = kz__stix_bulk_loads;
    assert_int_equal(kz__stix_bulk_min, KZ_STIX_BULK_MIN);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &ra, &err), 0);
    assert_int_equal(kz__stix_bulk_loads, loads + 1);
    kz__stix_bulk_min = SIZE_MAX;
    int rc = kz_stix_import(sb, doc, strlen(doc), &o, true, &f->a, &rb, &err);
    kz__stix_bulk_min = KZ_STIX_BULK_MIN;
    assert_int_equal(rc, 0);
    assert_int_equal(kz__stix_bulk_loads, loads + 1);

    assert_int_equal(ra.n_stored, n + 3);
    assert_int_equal(ra.n_duplicates, 20);
    assert_int_equal(ra.n_events, 2);
    assert_int_equal(ra.n_indicators, n);
    assert_int_equal(ra.n_sightings, 1);
    assert_int_equal(rb.n_stored, ra.n_stored);
    assert_int_equal(rb.n_duplicates, ra.n_duplicates);
    assert_int_equal(rb.n_events, ra.n_events);
    assert_int_equal(rb.n_indicators, ra.n_indicators);
    assert_int_equal(rb.n_sightings, ra.n_sightings);

    char *rows_a = db_dump(pa, SQL_ROWS), *rows_b = db_dump(pb, SQL_ROWS);
    assert_true(strlen(rows_a) > n * 100);
    assert_string_equal(rows_a, rows_b);
    free(rows_a);
    free(rows_b);
    rows_a = db_dump(pa, SQL_INDICATORS);
    rows_b = db_dump(pb, SQL_INDICATORS);
    assert_non_null(strstr(rows_a, "\nipv4|10.0.39.16|"));
    assert_string_equal(rows_a, rows_b);
    free(rows_a);
    free(rows_b);
    char *schema_a = db_dump(pa, SQL_SCHEMA), *schema_b = db_dump(pb, SQL_SCHEMA);
    assert_string_equal(schema_a, schema_b);
    free(schema_a);
    free(schema_b);
    char *idx = db_dump(pa, SQL_INDEXES);
    assert_string_equal(idx, "stix_objects_added|1|c|0\n"
                             "stix_objects_event|0|c|1\n"
                             "stix_objects_id_key|0|c|0\n"
                             "stix_objects_type|0|c|0\n");
    free(idx);
    char *ok = db_dump(pa, "PRAGMA integrity_check");
    assert_string_equal(ok, "ok\n");
    free(ok);

    /* Through the rebuilt id index, a resent bundle is all duplicates. */
    kz_stix_report again;
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &again, &err), 0);
    assert_int_equal(again.n_stored, 0);
    assert_int_equal(again.n_duplicates, n + 23);
    assert_int_equal(kz__stix_bulk_loads, loads + 1);
    free(doc);
    kz_store_close(sb);
}

static void test_failed_bulk_load_keeps_every_index(void **state)
{
    fx *f = *state;
    char pa[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    char *before = db_dump(pa, SQL_SCHEMA);
    assert_non_null(strstr(before, "CREATE INDEX stix_objects_id_key"));
    /* The objects before the last one are written with the indexes dropped;
     * the last one is invalid, so all of it is rolled back. */
    const size_t n = KZ_STIX_BULK_MIN + 5000;
    char *doc = bulk_bundle(n, true);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    size_t loads = kz__stix_bulk_loads;
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    assert_int_equal(kz__stix_bulk_loads, loads + 1);
    char field[40];
    snprintf(field, sizeof field, "objects[%zu].pattern", n + 23);
    assert_int_equal(rep.errors.n, 1);
    assert_string_equal(rep.errors.v[0].field, field);
    char *after = db_dump(pa, SQL_SCHEMA);
    assert_string_equal(before, after);
    free(after);
    char *count = db_dump(pa, "SELECT count(*) FROM stix_objects");
    assert_string_equal(count, "0\n");
    free(count);
    /* And the same input, made valid, then goes in. */
    free(doc);
    doc = bulk_bundle(n, false);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, n + 3);
    assert_int_equal(kz__stix_bulk_loads, loads + 2);
    after = db_dump(pa, SQL_SCHEMA);
    assert_string_equal(before, after);
    free(after);
    free(before);
    free(doc);
}

/* ---- bulk load with a rollback journal ------------------------------------ */

static char *journal_mode_of(const char *path)
{
    return db_dump(path, "PRAGMA journal_mode");
}

/* An integer pragma as this connection has it. */
static int conn_pragma(kz_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void test_bulk_load_alone_uses_a_rollback_journal(void **state)
{
    fx *f = *state;
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    kz_store *sb = open_store(f, "wal.db", pb, sizeof pb);
    const size_t n = KZ_STIX_BULK_MIN + 100;
    char *doc = bulk_bundle(n, false);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report ra, rb;
    kz_err err = {0};
    /* Bulk mode, no other connection: the load leaves WAL for its
     * transaction; the other store has a second connection open, so its
     * load stays in WAL. Both give the same rows. */
    size_t journals = kz__store_rollback_loads;
    kz_store_bulk_mode(f->st, true);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &ra, &err), 0);
    kz_store_bulk_mode(f->st, false);
    assert_int_equal(kz__store_rollback_loads, journals + 1);
    kz_store *other = NULL;
    assert_int_equal(kz_store_open(pb, &other, &err), 0);
    kz_store_bulk_mode(sb, true);
    /* A load in WAL still syncs the log before each checkpoint (NORMAL; a
     * power loss must not damage the file). */
    assert_int_equal(conn_pragma(sb, "PRAGMA synchronous"), 1);
    assert_int_equal(kz_stix_import(sb, doc, strlen(doc), &o, true, &f->a, &rb, &err), 0);
    kz_store_bulk_mode(sb, false);
    assert_int_equal(conn_pragma(sb, "PRAGMA synchronous"), 1);
    assert_int_equal(kz__store_rollback_loads, journals + 1);
    /* The other connection sees the load at once. */
    kz_stix_query q = {.tlp_max = -1, .limit = 1, .meta_only = true};
    kz_stix_obj *v;
    size_t nv;
    assert_int_equal(kz_store_stix_list(other, &q, &f->a, &v, &nv, NULL, &err), 0);
    assert_int_equal(nv, 1);
    kz_store_close(other);

    assert_int_equal(ra.n_stored, n + 3);
    assert_int_equal(rb.n_stored, n + 3);
    assert_int_equal(ra.n_indicators, n);
    char *rows_a = db_dump(pa, SQL_ROWS), *rows_b = db_dump(pb, SQL_ROWS);
    assert_string_equal(rows_a, rows_b);
    free(rows_a);
    free(rows_b);
    rows_a = db_dump(pa, SQL_INDICATORS);
    rows_b = db_dump(pb, SQL_INDICATORS);
    assert_string_equal(rows_a, rows_b);
    free(rows_a);
    free(rows_b);
    /* WAL again afterwards, and no journal left behind. */
    char *mode = journal_mode_of(pa);
    assert_string_equal(mode, "wal\n");
    free(mode);
    char jp[700];
    snprintf(jp, sizeof jp, "%s-journal", pa);
    assert_int_equal(access(jp, F_OK), -1);
    char *ok = db_dump(pa, "PRAGMA integrity_check");
    assert_string_equal(ok, "ok\n");
    free(ok);
    /* This connection still writes and reads as before (WAL, shared lock:
     * another connection can open the database and read). */
    kz_stix_report again;
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &again, &err), 0);
    assert_int_equal(again.n_duplicates, n + 23);
    char *count = db_dump(pa, "SELECT count(*) FROM stix_objects");
    assert_string_equal(count, "10103\n");
    free(count);
    free(doc);
    kz_store_close(sb);
}

static void test_failed_bulk_load_with_rollback_journal_leaves_nothing(void **state)
{
    fx *f = *state;
    char pa[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    char *before = db_dump(pa, SQL_SCHEMA);
    const size_t n = KZ_STIX_BULK_MIN + 5000;
    char *doc = bulk_bundle(n, true);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    size_t journals = kz__store_rollback_loads;
    kz_store_bulk_mode(f->st, true);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    kz_store_bulk_mode(f->st, false);
    assert_int_equal(kz__store_rollback_loads, journals + 1);
    char *after = db_dump(pa, SQL_SCHEMA);
    assert_string_equal(before, after);
    free(after);
    free(before);
    char *count = db_dump(pa, "SELECT (SELECT count(*) FROM stix_objects) || ',' ||"
                              " (SELECT count(*) FROM indicators) || ',' ||"
                              " (SELECT count(*) FROM events)");
    assert_string_equal(count, "0,0,0\n");
    free(count);
    char *mode = journal_mode_of(pa);
    assert_string_equal(mode, "wal\n");
    free(mode);
    char *ok = db_dump(pa, "PRAGMA integrity_check");
    assert_string_equal(ok, "ok\n");
    free(ok);
    free(doc);
}

/* Reports are read in full by the skim; with more than KZ_STIX_SKIM2_MIN
 * chunks two threads skim, so an invalid report in each half is found by
 * a different one: both are listed, in input order, and nothing stored. */
static void test_two_skimmers_list_every_early_failure(void **state)
{
    fx *f = *state;
    const size_t n = KZ_STIX_SKIM2_MIN * KZ_STIX_CHUNK + 1000;
    const size_t bad[] = {100, n - 100};
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                    "\"objects\":[");
    for (size_t i = 0; i < n; i++) {
        kz_uuid u;
        ind_id(i, u);
        if (i == bad[0] || i == bad[1])
            kz_buf_printf(&b,
                          "%s{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"report--%zu\","
                          "\"created\":\"2024-01-01T00:00:00.000Z\","
                          "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"r\","
                          "\"published\":\"2024-01-01T00:00:00Z\",\"object_refs\":[]}",
                          i ? "," : "", i);
        else
            kz_buf_printf(&b,
                          "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
                          "\"id\":\"indicator--%s\",\"created\":\"2024-01-01T00:00:00.000Z\","
                          "\"modified\":\"2024-01-01T00:00:00.000Z\","
                          "\"pattern\":\"[ipv4-addr:value = '10.%zu.%zu.%zu']\","
                          "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"}",
                          i ? "," : "", u, (i >> 16) & 255, (i >> 8) & 255, i & 255);
    }
    kz_buf_puts(&b, "]}");
    char *doc = kz_buf_steal(&b);
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    kz_store_bulk_mode(f->st, true);
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    kz_store_bulk_mode(f->st, false);
    assert_int_equal(rep.errors.n, 2);
    for (size_t i = 0; i < 2; i++) {
        char field[40];
        snprintf(field, sizeof field, "objects[%zu].id", bad[i]);
        assert_string_equal(rep.errors.v[i].field, field);
    }
    char pa[600];
    snprintf(pa, sizeof pa, "%s/kz.db", f->dir);
    char *count = db_dump(pa, "SELECT count(*) FROM stix_objects");
    assert_string_equal(count, "0\n");
    free(count);
    /* A partial import of the same skims the same way and keeps the rest. */
    kz_stix_report part;
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, false, &f->a, &part, &err), 0);
    assert_int_equal(part.n_stored, n - 2);
    assert_int_equal(part.n_invalid, 2);
    assert_int_equal(part.items[bad[1]].status, KZ_STIX_ITEM_INVALID);
    assert_int_equal(part.items[bad[1] + 1].status, KZ_STIX_ITEM_STORED);
    free(doc);
}

static void test_escaped_names_are_read_in_full(void **state)
{
    fx *f = *state;
    /* "\u0069d" is "id" and the type is escaped too: the quick look at
     * each object's id cannot tell, the full read can. */
    const char *doc =
        "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
        "\"objects\":[{\"type\":\"indic\\u0061tor\",\"spec_version\":\"2.1\","
        "\"\\u0069d\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
        "\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2016-04-06T20:03:48.000Z\","
        "\"pattern\":\"[ipv4-addr:value = '198.51.100.33']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2016-01-01T00:00:00Z\"}]}";
    kz_stix_import_opts o = opts_of(f);
    kz_stix_report rep;
    kz_err err = {0};
    assert_int_equal(kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, &rep, &err), 0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_indicators, 1);
    kz_stix_obj *v;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                       NULL, &f->a, &v, &n, &err),
                     0);
    assert_string_equal(v[0].type, "indicator");
    /* A duplicate "id" is for jansson to refuse, with its own words. */
    const char *dup =
        "{\"objects\":[{\"type\":\"malware\",\"spec_version\":\"2.1\","
        "\"id\":\"malware--162d917e-766f-4611-b5d6-652791454fca\","
        "\"id\":\"malware--162d917e-766f-4611-b5d6-652791454fcb\","
        "\"created\":\"2014-06-30T09:15:17.182Z\",\"modified\":\"2014-06-30T09:15:17.182Z\","
        "\"name\":\"x\",\"is_family\":false}]}";
    assert_int_equal(kz_stix_import(f->st, dup, strlen(dup), &o, true, &f->a, &rep, &err),
                     KZ_E_VALUE);
    assert_int_equal(rep.errors.n, 1);
    assert_non_null(strstr(rep.errors.v[0].msg, "is not valid JSON: duplicate object key"));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_example_imports_and_keeps_every_property, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_c2_ip_indicator_maps_to_ipv4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_becomes_event_with_its_indicators, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_apt1_cidr_and_hash_indicators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sighting_maps_with_org, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tlp_from_markings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_objects_are_reported_and_nothing_stored,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_mode_stores_valid_and_lists_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_versions_are_all_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_report_version_updates_its_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envelope_and_into_existing_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_orgs_event_is_not_written_by_a_new_version,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_input_read_in_parallel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_failure_far_in_stores_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_escaped_names_are_read_in_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_id_many_times_is_one_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_import_streams_and_leaves_out_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_partial_import_reads_repeated_ids_before_planning,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_import_of_invalid_objects_makes_no_event,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_early_reads_are_noted_in_their_chunk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid_copy_of_a_stored_object_is_no_duplicate,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_txn_hooks_store_with_the_objects_or_roll_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bulk_load_matches_row_by_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_bulk_load_keeps_every_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_load_alone_uses_a_rollback_journal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_bulk_load_with_rollback_journal_leaves_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_skimmers_list_every_early_failure, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
