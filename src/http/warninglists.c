/* warninglists.c — the node's MISP warninglists, loaded once per process
 * (`kizuna serve --warninglists DIR`, `kizuna import --warninglists DIR`) and
 * handed to the store as the check it applies to every indicator it writes.
 * The store may not use the match module itself (layers), so the check is a
 * plain function pointer set here, one level up.
 */
#include "http/http.h"

#include <pthread.h>

#include "match/match.h"
#include "store/store.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static kz_match_warninglists *g_lists;

static const char *check(void *ctx, kz_ioc_type t, const char *value)
{
    return kz_match_warninglist_check(ctx, t, value);
}

int kz_warninglists_install(const char *dir, const kz_match_warninglists **out, kz_err *err)
{
    if (out)
        *out = NULL;
    kz_match_warninglists *wl = NULL;
    int rc = kz_match_warninglists_load_dir(dir, &wl, err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&g_lock);
    kz_match_warninglists *old = g_lists;
    g_lists = wl;
    kz_store_set_warninglist_check(check, wl);
    pthread_mutex_unlock(&g_lock);
    /* Replacing lists is a start-up affair (tests): nothing still runs a
     * check against the old set. */
    kz_match_warninglists_free(old);
    if (out)
        *out = wl;
    return 0;
}

void kz_warninglists_uninstall(void)
{
    pthread_mutex_lock(&g_lock);
    kz_store_set_warninglist_check(NULL, NULL);
    kz_match_warninglists *old = g_lists;
    g_lists = NULL;
    pthread_mutex_unlock(&g_lock);
    kz_match_warninglists_free(old);
}
