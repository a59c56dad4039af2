/* fuzz_stix_import.c — a whole STIX import (kz_stix_import: scan, validate,
 * map to events, indicators, orgs and sightings, store) into an in-memory
 * store, as POST /api/v1/stix and TAXII's Add Objects run it. The first byte
 * chooses all-or-nothing (the API) or per-object (TAXII) and whether
 * identities become orgs; the rest is the document. Property: the counts
 * of a successful import's report add up.
 * The store is replaced every RENEW inputs so it stays small and fast.
 */
#include "fuzz_common.h"

#include "formats/formats.h"
#include "store/store.h"

#define RENEW 500

static kz_store *g_st;
static kz_org g_org;
static unsigned g_uses;

static void fresh_store(void)
{
    kz_err err;
    if (g_st)
        kz_store_close(g_st);
    g_st = NULL;
    if (kz_store_open(":memory:", &g_st, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        abort();
    }
    memset(&g_org, 0, sizeof g_org);
    kz_uuid_v4(g_org.id);
    g_org.name = "CERT-TH";
    memcpy(g_org.country, "TH", 3);
    g_org.type = KZ_ORG_NATIONAL_CERT;
    if (kz_store_org_put(g_st, &g_org, &err) != 0) {
        fprintf(stderr, "org: %s\n", err.msg);
        abort();
    }
    g_uses = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1)
        return 0;
    if (!g_st || ++g_uses > RENEW)
        fresh_store();
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
    kz_err err;
    int rc = kz_stix_import(g_st, (const char *)data + 1, size - 1, &o, all, &a, &rep, &err);
    if (rc == 0)
        FUZZ_CHECK(rep.n_stored + rep.n_duplicates + rep.n_invalid == rep.n_objects,
                   "report: %zu stored + %zu duplicates + %zu invalid != %zu objects",
                   rep.n_stored, rep.n_duplicates, rep.n_invalid, rep.n_objects);
    kz_arena_free(&a);
    return 0;
}
