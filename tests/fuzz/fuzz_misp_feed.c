/* fuzz_misp_feed.c — the other MISP documents a node reads from a remote
 * instance or feed: a feed's manifest.json and MISP's sharing group list.
 * The first byte picks which; the rest is the document.
 */
#include "fuzz_common.h"

#include "formats/formats.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1)
        return 0;
    json_t *j = NULL;
    kz_err err;
    if (kz_json_load((const char *)data + 1, size - 1, &j, &err) != 0)
        return 0;
    kz_arena a;
    kz_arena_init(&a);
    if (data[0] & 1) {
        kz_misp_sharing_group *g = NULL;
        size_t n = 0;
        if (kz_misp_sharing_groups_parse(j, &a, &g, &n, &err) == 0)
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(g[i].n_members == 0 || g[i].members, "members missing");
    } else {
        kz_misp_manifest_entry *m = NULL;
        size_t n = 0;
        if (kz_misp_manifest_parse(j, &a, &m, &n, &err) == 0)
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(kz_uuid_valid(m[i].uuid), "manifest entry %zu: bad uuid '%s'", i,
                           m[i].uuid);
    }
    kz_arena_free(&a);
    json_decref(j);
    return 0;
}
