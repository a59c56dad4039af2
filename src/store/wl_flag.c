/* wl_flag.c — warninglist flags on stored indicators. A MISP warninglist
 * names known-benign values (public resolvers, top domains, cloud ranges);
 * an indicator on one is still kept and indexed, but its hits are reported as
 * warninglisted rather than as alerts. The store applies the check itself on
 * every write, so every path that writes indicators (REST, CLI import, later
 * sync) flags them the same way without knowing about warninglists; the check
 * comes from above (match), since the store may not use it directly.
 */
#include "store_int.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Configuration, set before the store is used for writing. */
static _Atomic(kz_store_wl_check) g_fn;
static _Atomic(void *) g_ctx;

void kz_store_set_warninglist_check(kz_store_wl_check fn, void *ctx)
{
    atomic_store(&g_ctx, ctx);
    atomic_store(&g_fn, fn);
}

static const char *check(kz_store_wl_check fn, kz_ioc_type t, const char *value)
{
    if (!fn || !value)
        return NULL;
    const char *name = fn(atomic_load(&g_ctx), t, value);
    return name && *name ? name : NULL;
}

void kz__wl_bind(sqlite3_stmt *s, int col, int keep_col, const kz_indicator *x)
{
    kz_store_wl_check fn = atomic_load(&g_fn);
    if (keep_col > 0)
        sqlite3_bind_int(s, keep_col, fn != NULL);
    const char *name = check(fn, x->type, x->value);
    if (name)
        sqlite3_bind_text(s, col, name, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, col);
}

#define REFRESH_BATCH 10000

typedef struct wl_change {
    int64_t seq;
    char *name; /* NULL = clear */
} wl_change;

/* Reads up to REFRESH_BATCH rows after *after and collects those whose flag
 * differs from what the check says now. */
static int refresh_read(kz_store *st, kz_store_wl_check fn, int64_t *after, kz_arena *a,
                        wl_change *ch, size_t *nch, size_t *nread, kz_err *err)
{
    *nch = 0;
    *nread = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, type, value, warninglist FROM indicators"
                               " WHERE seq > ?1 ORDER BY seq LIMIT " KZ_STR(REFRESH_BATCH),
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, *after);
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        *after = seq;
        (*nread)++;
        int t = kz__ioc_type_from_name((const char *)sqlite3_column_text(s, 1));
        const char *value = (const char *)sqlite3_column_text(s, 2);
        const char *old = (const char *)sqlite3_column_text(s, 3);
        const char *now = t < 0 ? NULL : check(fn, (kz_ioc_type)t, value);
        if ((!now && !old) || (now && old && strcmp(now, old) == 0))
            continue;
        ch[*nch].seq = seq;
        ch[*nch].name = NULL;
        if (now && !(ch[*nch].name = kz_arena_strdup(a, now))) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
        (*nch)++;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading indicators for warninglist flags");
    kz__reset(s);
    return 0;
}

static int refresh_write(kz_store *st, const wl_change *ch, size_t n, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st, "UPDATE indicators SET warninglist = ?2 WHERE seq = ?1", err);
    if (!s)
        return kz__fail_txn(st, kz__code(err));
    for (size_t i = 0; i < n; i++) {
        kz__bind_i64(s, 1, ch[i].seq);
        kz__bind_text(s, 2, ch[i].name);
        int rc = kz__run(st, s);
        if (rc)
            return kz__fail_txn(st, kz__dberr(st, rc, err, "setting a warninglist flag"));
    }
    return kz_store_commit(st, err);
}

int kz_store_warninglist_refresh(kz_store *st, size_t *changed, kz_err *err)
{
    if (changed)
        *changed = 0;
    kz_store_wl_check fn = atomic_load(&g_fn);
    if (!fn)
        return 0;
    wl_change *ch = malloc(REFRESH_BATCH * sizeof *ch);
    if (!ch)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    int64_t after = 0;
    int r = 0;
    for (;;) {
        kz_arena a;
        kz_arena_init(&a);
        size_t nch = 0, nread = 0;
        /* Read and write in turns: a read snapshot may not stay open across
         * the write transaction, and batches keep the write lock short. */
        bool snap = kz__read_begin(st);
        r = refresh_read(st, fn, &after, &a, ch, &nch, &nread, err);
        kz__read_end(st, snap);
        if (!r && nch)
            r = refresh_write(st, ch, nch, err);
        kz_arena_free(&a);
        if (r)
            break;
        if (changed)
            *changed += nch;
        if (nread < REFRESH_BATCH)
            break;
    }
    free(ch);
    return r;
}
