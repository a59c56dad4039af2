/* test_stix_versions.c — newer versions of STIX objects the node already
 * has: an indicator's newer version updates the kz indicator made from it
 * (value and type from the new pattern, valid_until, labels, markings), a
 * revoked one deletes it (tombstone, gone from the match index), an older
 * version arriving late changes nothing; a report's newer version updates
 * its event (title, description, TLP) and what it holds (object_refs
 * removed lose their indicators, known objects added move in). Every
 * version stays in the STIX store.
 */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "http/http.h"
#include "match/match.h"
#include "store/store.h"

#define IND1 "indicator--0f6c9a0a-1d52-4b2e-9a6f-3f1e6c1b0a01"
#define IND2 "indicator--0f6c9a0a-1d52-4b2e-9a6f-3f1e6c1b0a02"
#define REP1 "report--0f6c9a0a-1d52-4b2e-9a6f-3f1e6c1b0a03"
#define TLP1_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define T0 "2024-01-01T00:00:00.000Z"
#define T1 "2024-02-01T00:00:00.000Z"
#define T2 "2024-03-01T00:00:00.000Z"

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
    f->org.name = "CERT-PH";
    memcpy(f->org.country, "PH", 3);
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

static int import(fx *f, const char *doc, kz_stix_report *rep)
{
    kz_stix_import_opts o = {.org_id = f->org.id,
                             .default_tlp = KZ_TLP_AMBER,
                             .distribution = KZ_DIST_ORG,
                             .create_orgs = true};
    kz_err err = {0};
    int rc = kz_stix_import(f->st, doc, strlen(doc), &o, true, &f->a, rep, &err);
    if (rc)
        fprintf(stderr, "import: %s\n", err.msg);
    return rc;
}

/* An indicator version; extra is appended inside the object. */
static const char *indicator(fx *f, const char *id, const char *modified, const char *name,
                             const char *pattern, const char *extra)
{
    return kz_arena_printf(&f->a,
                           "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                           "\"created\":\"" T0 "\",\"modified\":\"%s\",\"name\":\"%s\","
                           "\"pattern\":\"%s\",\"pattern_type\":\"stix\","
                           "\"valid_from\":\"2024-01-01T00:00:00Z\"%s}",
                           id, modified, name, pattern, extra ? extra : "");
}

/* The kz indicators made from a STIX id that still exist. */
static size_t live(fx *f, const char *id, kz_indicator **out)
{
    size_t n = 0;
    kz_err err = {0};
    assert_int_equal(kz_store_stix_indicators_live(f->st, id, &f->a, out, &n, &err), 0);
    return n;
}

static size_t versions(fx *f, const char *id)
{
    kz_stix_obj *v;
    size_t n = 0;
    kz_err err = {0};
    assert_int_equal(kz_store_stix_get(f->st, id, NULL, &f->a, &v, &n, &err), 0);
    return n;
}

/* Whether the org's freshly built match index lists the value. */
static bool in_index(fx *f, const char *value)
{
    kz_match_index *idx = NULL;
    kz_err err = {0};
    assert_int_equal(kz_index_build_for_org(f->st, f->org.id, &idx, &err), 0);
    kz_match_hit hits[8];
    size_t total = 0;
    kz_ioc_type t;
    int rc = kz_match_lookup_raw(idx, value, strlen(value), hits, 8, &total, &t, &err);
    kz_match_index_free(idx);
    return rc == 0 && total > 0;
}

static bool tombstoned(fx *f, const char *ind_id)
{
    kz_tombstone *v;
    size_t n;
    kz_err err = {0};
    assert_int_equal(kz_store_tombstones(f->st, 0, 0, &f->a, &v, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].type, "indicator") == 0 && strcmp(v[i].id, ind_id) == 0)
            return true;
    return false;
}

static void test_newer_pattern_updates_value_and_type(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    assert_int_equal(import(f, indicator(f, IND1, T0, "v1", "[ipv4-addr:value = '198.51.100.7']",
                                         NULL),
                            &rep),
                     0);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    char id[40], ev[40];
    snprintf(id, sizeof id, "%s", v[0].id);
    snprintf(ev, sizeof ev, "%s", v[0].event_id);
    assert_true(in_index(f, "198.51.100.7"));

    assert_int_equal(import(f, indicator(f, IND1, T1, "v2", "[domain-name:value = 'EVIL.example.com']",
                                         NULL),
                            &rep),
                     0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_indicators_updated, 1);
    assert_int_equal(rep.n_indicators_deleted, 0);
    assert_int_equal(rep.n_events, 0);
    assert_int_equal(live(f, IND1, &v), 1);
    /* The same kz indicator, in the same event, with the new observable. */
    assert_string_equal(v[0].id, id);
    assert_string_equal(v[0].event_id, ev);
    assert_int_equal(v[0].type, KZ_IOC_DOMAIN);
    assert_string_equal(v[0].value, "evil.example.com");
    assert_string_equal(v[0].comment, "v2");
    assert_false(in_index(f, "198.51.100.7"));
    assert_true(in_index(f, "evil.example.com"));
    assert_int_equal(versions(f, IND1), 2);
}

static void test_newer_version_changes_valid_until_labels_and_tlp(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    assert_int_equal(import(f, indicator(f, IND1, T0, "v1", "[ipv4-addr:value = '198.51.100.8']",
                                         ",\"labels\":[\"phishing\"]"),
                            &rep),
                     0);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    assert_int_equal(v[0].tags.n, 1);
    assert_string_equal(v[0].tags.v[0], "phishing");
    assert_int_equal(v[0].tlp, -1); /* amber, like its event */
    assert_int_equal(v[0].last_seen, 0);

    assert_int_equal(import(f, indicator(f, IND1, T1, "v2", "[ipv4-addr:value = '198.51.100.8']",
                                         ",\"valid_until\":\"2025-06-01T00:00:00Z\","
                                         "\"labels\":[\"botnet\",\"c2\"],"
                                         "\"object_marking_refs\":[\"" TLP1_RED "\"]"),
                            &rep),
                     0);
    assert_int_equal(rep.n_indicators_updated, 1);
    assert_int_equal(live(f, IND1, &v), 1);
    kz_time until;
    kz_err terr = {0};
    assert_int_equal(kz_time_parse("2025-06-01T00:00:00Z", &until, &terr), 0);
    assert_int_equal(v[0].last_seen, until);
    assert_int_equal(v[0].tags.n, 2);
    assert_string_equal(v[0].tags.v[0], "botnet");
    assert_string_equal(v[0].tags.v[1], "c2");
    assert_int_equal(v[0].tlp, KZ_TLP_RED); /* stricter than its event: its own */
    assert_string_equal(v[0].value, "198.51.100.8");
}

static void test_revoked_version_deletes_the_indicator(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    assert_int_equal(import(f, indicator(f, IND1, T0, "v1", "[ipv4-addr:value = '198.51.100.9']",
                                         NULL),
                            &rep),
                     0);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    char id[40];
    snprintf(id, sizeof id, "%s", v[0].id);
    assert_true(in_index(f, "198.51.100.9"));
    assert_false(tombstoned(f, id));

    assert_int_equal(import(f, indicator(f, IND1, T1, "v1", "[ipv4-addr:value = '198.51.100.9']",
                                         ",\"revoked\":true"),
                            &rep),
                     0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_indicators_deleted, 1);
    assert_int_equal(live(f, IND1, &v), 0);
    kz_indicator ind;
    kz_err err = {0};
    assert_int_equal(kz_store_indicator_get(f->st, id, &f->a, &ind, &err), KZ_E_NOTFOUND);
    assert_true(tombstoned(f, id));
    assert_false(in_index(f, "198.51.100.9"));
    /* Both versions are still served as STIX. */
    assert_int_equal(versions(f, IND1), 2);
    /* One revoked before the node ever saw it never becomes an indicator. */
    assert_int_equal(import(f, indicator(f, IND2, T0, "dead", "[ipv4-addr:value = '198.51.100.10']",
                                         ",\"revoked\":true"),
                            &rep),
                     0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_indicators, 0);
    assert_int_equal(live(f, IND2, &v), 0);
    assert_false(in_index(f, "198.51.100.10"));
}

static void test_pattern_growing_and_shrinking(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    assert_int_equal(
        import(f, indicator(f, IND1, T0, "v1", "[ipv4-addr:value = '203.0.113.1']", NULL), &rep), 0);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    char first[40];
    snprintf(first, sizeof first, "%s", v[0].id);
    /* Two values: the first keeps its indicator, the second is new. */
    assert_int_equal(import(f, indicator(f, IND1, T1, "v2",
                                         "[ipv4-addr:value = '203.0.113.1' OR "
                                         "ipv4-addr:value = '203.0.113.2']",
                                         NULL),
                            &rep),
                     0);
    assert_int_equal(rep.n_indicators_updated, 1);
    assert_int_equal(rep.n_indicators, 1);
    assert_int_equal(live(f, IND1, &v), 2);
    /* Back to the second alone: the first value's indicator carries it, the
     * other goes. */
    assert_int_equal(
        import(f, indicator(f, IND1, T2, "v3", "[ipv4-addr:value = '203.0.113.2']", NULL), &rep),
        0);
    assert_int_equal(rep.n_indicators_updated, 1);
    assert_int_equal(rep.n_indicators_deleted, 1);
    assert_int_equal(live(f, IND1, &v), 1);
    assert_string_equal(v[0].value, "203.0.113.2");
    assert_false(in_index(f, "203.0.113.1"));
    assert_true(in_index(f, "203.0.113.2"));
    assert_int_equal(versions(f, IND1), 3);
}

static void test_older_version_after_newer_changes_nothing(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    assert_int_equal(
        import(f, indicator(f, IND1, T1, "newer", "[ipv4-addr:value = '192.0.2.10']", NULL), &rep),
        0);
    assert_int_equal(
        import(f, indicator(f, IND1, T0, "older", "[ipv4-addr:value = '192.0.2.11']", NULL), &rep),
        0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_indicators, 0);
    assert_int_equal(rep.n_indicators_updated, 0);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    assert_string_equal(v[0].value, "192.0.2.10");
    assert_string_equal(v[0].comment, "newer");
    /* A revoked older version does not delete either. */
    assert_int_equal(import(f, indicator(f, IND1, "2024-01-15T00:00:00.000Z", "between",
                                         "[ipv4-addr:value = '192.0.2.10']", ",\"revoked\":true"),
                            &rep),
                     0);
    assert_int_equal(rep.n_indicators_deleted, 0);
    assert_int_equal(live(f, IND1, &v), 1);
    assert_int_equal(versions(f, IND1), 3);
}

static void test_versions_in_one_bundle_newest_wins(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    assert_int_equal(
        import(f, indicator(f, IND1, T0, "v1", "[ipv4-addr:value = '192.0.2.20']", NULL), &rep), 0);
    const char *doc = kz_arena_printf(
        &f->a, "{\"type\":\"bundle\",\"id\":\"bundle--0f6c9a0a-1d52-4b2e-9a6f-3f1e6c1b0aff\","
               "\"objects\":[%s,%s]}",
        indicator(f, IND1, T2, "v3", "[ipv4-addr:value = '192.0.2.22']", NULL),
        indicator(f, IND1, T1, "v2", "[ipv4-addr:value = '192.0.2.21']", NULL));
    assert_int_equal(import(f, doc, &rep), 0);
    assert_int_equal(rep.n_stored, 2);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    assert_string_equal(v[0].value, "192.0.2.22");
    assert_string_equal(v[0].comment, "v3");
}

/* A report and its indicators, as one bundle. */
static const char *report_bundle(fx *f, const char *modified, const char *name, const char *refs,
                                 const char *extra, const char *objects)
{
    return kz_arena_printf(
        &f->a,
        "{\"type\":\"bundle\",\"id\":\"bundle--0f6c9a0a-1d52-4b2e-9a6f-3f1e6c1b0afe\","
        "\"objects\":[{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"" REP1 "\","
        "\"created\":\"" T0 "\",\"modified\":\"%s\",\"name\":\"%s\","
        "\"published\":\"2024-01-01T00:00:00Z\",\"object_refs\":[%s]%s}%s%s]}",
        modified, name, refs, extra ? extra : "", objects ? "," : "", objects ? objects : "");
}

static void test_newer_report_updates_event_and_its_objects(void **state)
{
    fx *f = *state;
    kz_stix_report rep;
    /* v1 lists IND1; IND2 comes in the same bundle unclaimed (catch-all). */
    const char *objs = kz_arena_printf(
        &f->a, "%s,%s", indicator(f, IND1, T0, "one", "[ipv4-addr:value = '192.0.2.31']", NULL),
        indicator(f, IND2, T0, "two", "[ipv4-addr:value = '192.0.2.32']", NULL));
    assert_int_equal(import(f, report_bundle(f, T0, "First", "\"" IND1 "\"", NULL, objs), &rep), 0);
    assert_int_equal(rep.n_events, 2);
    kz_indicator *v;
    assert_int_equal(live(f, IND1, &v), 1);
    char rep_ev[40], ind1[40];
    snprintf(rep_ev, sizeof rep_ev, "%s", v[0].event_id);
    snprintf(ind1, sizeof ind1, "%s", v[0].id);
    assert_int_equal(live(f, IND2, &v), 1);
    assert_string_not_equal(v[0].event_id, rep_ev);
    char ind2[40];
    snprintf(ind2, sizeof ind2, "%s", v[0].id);

    /* v2: new title and description, TLP:RED, lists IND2 instead of IND1. */
    assert_int_equal(import(f,
                            report_bundle(f, T1, "Second", "\"" IND2 "\"",
                                          ",\"description\":\"now about two\","
                                          "\"object_marking_refs\":[\"" TLP1_RED "\"]",
                                          NULL),
                            &rep),
                     0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_events, 0);
    assert_int_equal(rep.n_indicators_deleted, 1);
    assert_int_equal(rep.n_objects_moved, 1);
    kz_event ev;
    kz_err err = {0};
    assert_int_equal(kz_store_event_get(f->st, rep_ev, true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "Second");
    assert_string_equal(ev.description, "now about two");
    assert_int_equal(ev.tlp, KZ_TLP_RED);
    assert_int_equal(ev.n_indicators, 1);
    assert_string_equal(ev.indicators[0].id, ind2);
    /* IND1's indicator is gone (tombstone), its STIX object kept. */
    assert_int_equal(live(f, IND1, &v), 0);
    assert_true(tombstoned(f, ind1));
    assert_int_equal(versions(f, IND1), 1);
    /* IND2's versions now belong to the report's event. */
    kz_stix_obj *o;
    size_t n;
    assert_int_equal(kz_store_stix_get(f->st, IND2, NULL, &f->a, &o, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].event_id, rep_ev);
    assert_int_equal(versions(f, REP1), 2);

    /* An older report version changes nothing. */
    assert_int_equal(import(f, report_bundle(f, "2024-01-15T00:00:00.000Z", "Between",
                                             "\"" IND1 "\"", NULL, NULL),
                            &rep),
                     0);
    assert_int_equal(rep.n_stored, 1);
    assert_int_equal(rep.n_objects_moved, 0);
    assert_int_equal(kz_store_event_get(f->st, rep_ev, true, &f->a, &ev, &err), 0);
    assert_string_equal(ev.title, "Second");
    assert_int_equal(ev.n_indicators, 1);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_newer_pattern_updates_value_and_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_version_changes_valid_until_labels_and_tlp,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_version_deletes_the_indicator, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pattern_growing_and_shrinking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_version_after_newer_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_versions_in_one_bundle_newest_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_report_updates_event_and_its_objects, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
