/* fuzz_stix_import.c — a whole STIX import (kz_stix_import: scan, validate,
 * map to events, indicators, orgs and sightings, store) into an in-memory
 * store, as POST /api/v1/stix and TAXII's Add Objects run it. The first byte
 * chooses all-or-nothing (the API) or per-object (TAXII) and whether
 * identities become orgs; the rest is the document. Properties: the counts
 * of a successful import's report add up; an all-or-nothing import that
 * fails leaves nothing behind (no STIX object, no event, no new org).
 *
 * One store serves every input, and each input runs inside an outer
 * transaction (kz_store_begin) that is rolled back after it: the import's
 * own transaction nests in it (txn.c: only the outermost level talks to
 * SQLite, an inner rollback poisons the outer one), so every input starts
 * from the same store holding one org, whatever came before it (a crash
 * replays from its input alone). Before, the store lived for 500 inputs and
 * grew with them: libFuzzer re-runs an input that allocates more than it
 * frees and then scans the heap for leaks (LeakSanitizer), a tenth of the
 * time in a profile, and a new store (the migrations: 40 ms under ASan)
 * every 500 inputs cost another 5 %. A new store per input would cost 40 ms
 * each. The same 30,000 runs of the seeds take 37 s instead of 57 s.
 * Inside the outer transaction the failure property reads: after a failed
 * all-or-nothing import the outer transaction is poisoned (the import rolled
 * its own back), or the import wrote nothing at all.
 */
#include "fuzz_common.h"

#include "formats/formats.h"
#include "store/store.h"

/* Nothing stored: no STIX object (any version), no event, only our org. */
static void check_empty(kz_store *st)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_err err;
    kz_stix_obj *objs = NULL;
    size_t n = 0;
    kz_stix_query q = {.versions = {.all = true}, .tlp_max = -1, .limit = 1};
    FUZZ_CHECK(kz_store_stix_list(st, &q, &a, &objs, &n, NULL, &err) == 0, "stix list: %s",
               err.msg);
    FUZZ_CHECK(n == 0, "a failed all-or-nothing import left %zu STIX object(s), e.g. %s", n,
               n && objs[0].id ? objs[0].id : "?");
    kz_event *evs = NULL;
    kz_event_filter f = {.published = -1, .after_id = "", .limit = 1};
    FUZZ_CHECK(kz_store_event_list(st, &f, &a, &evs, &n, &err) == 0, "event list: %s", err.msg);
    FUZZ_CHECK(n == 0, "a failed all-or-nothing import left %zu event(s)", n);
    kz_org *orgs = NULL;
    FUZZ_CHECK(kz_store_org_list(st, &a, &orgs, &n, &err) == 0, "org list: %s", err.msg);
    FUZZ_CHECK(n == 1, "a failed all-or-nothing import left %zu org(s) (1 before)", n);
    kz_arena_free(&a);
}

static kz_store *g_st;
static kz_org g_org;

static void store_once(void)
{
    if (g_st)
        return;
    kz_err err;
    if (kz_store_open(":memory:", &g_st, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        abort();
    }
    memset(&g_org, 0, sizeof g_org);
    /* A fixed id: the same store for every run of an input. */
    memcpy(g_org.id, "8a0e1c3e-5b7d-4d2a-9c1f-0000000000aa", sizeof g_org.id);
    g_org.name = "CERT-TH";
    memcpy(g_org.country, "TH", 3);
    g_org.type = KZ_ORG_NATIONAL_CERT;
    if (kz_store_org_put(g_st, &g_org, &err) != 0) {
        fprintf(stderr, "org: %s\n", err.msg);
        abort();
    }
}

/* True when the enclosing transaction was poisoned by an inner rollback:
 * kz_store_begin refuses to nest in it then. */
static bool poisoned(kz_store *st)
{
    kz_err err;
    if (kz_store_begin(st, &err) != 0)
        return true;
    FUZZ_CHECK(kz_store_commit(st, &err) == 0, "inner commit: %s", err.msg);
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1)
        return 0;
    store_once();
    kz_store *st = g_st;
    kz_err err;
    FUZZ_CHECK(kz_store_begin(st, &err) == 0, "outer begin: %s", err.msg);
    bool all = data[0] & 1;
    kz_stix_import_opts o = {.org_id = g_org.id,
                             .default_tlp = KZ_TLP_AMBER,
                             .distribution = KZ_DIST_COMMUNITY,
                             .create_orgs = data[0] & 2,
                             .publish = data[0] & 4,
                             .source = "fuzz"};
    kz_arena a;
    kz_arena_init(&a);
    kz_stix_report rep;
    int rc = kz_stix_import(st, (const char *)data + 1, size - 1, &o, all, &a, &rep, &err);
    if (rc == 0)
        FUZZ_CHECK(rep.n_stored + rep.n_duplicates + rep.n_invalid == rep.n_objects,
                   "report: %zu stored + %zu duplicates + %zu invalid != %zu objects",
                   rep.n_stored, rep.n_duplicates, rep.n_invalid, rep.n_objects);
    else if (all && !poisoned(st))
        check_empty(st);
    kz_arena_free(&a);
    kz_store_rollback(st);
    return 0;
}
