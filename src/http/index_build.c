/* index_build.c — compiling one org's match index from the store: every
 * to_ids indicator the access module lets that org see. It sits here, above
 * both store and match (which may not know each other), and is shared by the
 * server's lookup and `kizuna sweep`.
 *
 * The ACL is asked once per event, not per indicator: an indicator that
 * inherits its event's markings (nearly all) shares its event's answer; only
 * those with their own TLP or distribution are asked on their own.
 *
 * Warninglisted indicators stay in the index (a hit on 8.8.8.8 is worth
 * knowing), marked so that hits on them are not reported as alerts: to_ids
 * false, and the list name after a 0x1E byte at the end of the payload's
 * tags. Tags never hold control characters (kz_tag_check), so the byte is
 * unambiguous; kz_index_payload_warninglist reads it back.
 */
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "store/store.h"

#define WL_SEP '\x1e'

typedef struct compile {
    kz_principal who;
    kz_match_builder *b;
    int8_t *allow; /* per event ordinal: -1 not asked yet, 0 no, 1 yes */
    size_t nallow;
    kz_buf tags;
    kz_index_build_stats stats;
} compile;

static bool event_allows(compile *c, const kz_feed_event *e, kz_err *err, int *rc)
{
    if (e->ordinal >= c->nallow) {
        size_t n = c->nallow ? c->nallow : 64;
        while (n <= e->ordinal)
            n *= 2;
        int8_t *a = realloc(c->allow, n);
        if (!a) {
            *rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            return false;
        }
        memset(a + c->nallow, -1, n - c->nallow);
        c->allow = a;
        c->nallow = n;
    }
    if (c->allow[e->ordinal] < 0) {
        kz_indicator inherit = {.tlp = -1, .distribution = -1};
        c->allow[e->ordinal] =
            kz_acl_indicator_allows(&c->who, &e->acl, &inherit, KZ_ACL_VIEW, NULL) ? 1 : 0;
    }
    return c->allow[e->ordinal] == 1;
}

static int add_row(void *ctx, const kz_feed_row *row, kz_err *err)
{
    compile *c = ctx;
    c->stats.scanned++;
    const kz_feed_event *e = row->event;
    int rc = 0;
    bool ok;
    if (row->tlp < 0 && row->distribution < 0) {
        ok = event_allows(c, e, err, &rc);
        if (rc)
            return rc;
    } else {
        kz_indicator own = {.tlp = row->tlp, .distribution = row->distribution};
        ok = kz_acl_indicator_allows(&c->who, &e->acl, &own, KZ_ACL_VIEW, NULL);
    }
    if (!ok)
        return 0;

    /* Tags: the indicator's, then its event's, then the warninglist mark. */
    const char *tags = row->tags;
    if ((row->tags && e->tags) || row->warninglist) {
        kz_buf *b = &c->tags;
        kz_buf_reset(b);
        bool bad = false;
        if (row->tags)
            bad |= kz_buf_puts(b, row->tags) != 0;
        if (e->tags)
            bad |= (b->len && kz_buf_putc(b, ',')) || kz_buf_puts(b, e->tags);
        if (row->warninglist)
            bad |= kz_buf_putc(b, WL_SEP) || kz_buf_puts(b, row->warninglist);
        if (bad)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        tags = b->p;
    } else if (!tags) {
        tags = e->tags;
    }
    int tlp = (int)e->ev.tlp;
    if (row->tlp > tlp)
        tlp = row->tlp;
    kz_match_entry me = {
        .indicator_id = row->id,
        .event_id = e->ev.id,
        .org_id = e->ev.creator_org[0] ? e->ev.creator_org : NULL,
        .type = row->type,
        .value = row->value,
        .tlp = (kz_tlp)tlp,
        .to_ids = row->warninglist == NULL,
        .tags = tags,
    };
    kz_err e2;
    kz_err_clear(&e2);
    rc = kz_match_builder_add(c->b, &me, &e2);
    if (rc == KZ_E_NOMEM || rc == KZ_E_TOOLARGE) {
        *err = e2;
        return rc;
    }
    if (rc < 0) {
        /* A stored value the index cannot take (it was normalised on the
         * way in, so this means an older or foreign row): leave it out, say so. */
        if (c->stats.skipped++ < 5)
            kz_log(KZ_LOG_WARN, "match index: indicator %s left out: %s", row->id, e2.msg);
        return 0;
    }
    c->stats.indexed++;
    /* Order-dependent mix of the rows taken (they come in seq order). */
    uint64_t x = (uint64_t)row->seq + 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    c->stats.digest = (c->stats.digest ^ (x ^ (x >> 31))) * 0x100000001b3ull;
    if (row->warninglist)
        c->stats.warninglisted++;
    return 0;
}

int kz_index_build(kz_store *st, const char *org_id, kz_match_index **out,
                   kz_index_build_stats *stats, kz_err *err)
{
    *out = NULL;
    if (stats)
        memset(stats, 0, sizeof *stats);
    kz_time t0 = kz_time_now();
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    int rc = kz_store_org_get(st, org_id ? org_id : "", &a, &org, err);
    if (rc == KZ_E_NOTFOUND)
        rc = kz_fail(err, KZ_E_NOTFOUND, "org", "organisation '%.64s' not found",
                     org_id ? org_id : "");
    compile c;
    memset(&c, 0, sizeof c);
    kz_buf_init(&c.tags);
    if (rc == 0) {
        snprintf(c.who.org_id, sizeof c.who.org_id, "%s", org.id);
        c.who.role = KZ_ROLE_READONLY;
        rc = kz_store_principal_load(st, &c.who, &a, err);
    }
    if (rc == 0 && !(c.b = kz_match_builder_new()))
        rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (rc == 0)
        rc = kz_store_indicator_scan(st, 0, 0, add_row, &c, NULL, err);
    if (rc == 0)
        rc = kz_match_build(c.b, out, err);
    kz_match_builder_free(c.b);
    free(c.allow);
    kz_buf_free(&c.tags);
    kz_arena_free(&a);
    c.stats.seconds = (double)(kz_time_now() - t0) / 1e6;
    if (stats)
        *stats = c.stats;
    return rc;
}

int kz_index_build_for_org(kz_store *st, const char *org_id, kz_match_index **out, kz_err *err)
{
    return kz_index_build(st, org_id, out, NULL, err);
}

const char *kz_index_payload_warninglist(const kz_match_payload *p, size_t *tags_len)
{
    if (tags_len)
        *tags_len = 0;
    if (!p || !p->tags)
        return NULL;
    const char *sep = strchr(p->tags, WL_SEP);
    if (tags_len)
        *tags_len = sep ? (size_t)(sep - p->tags) : strlen(p->tags);
    return sep ? sep + 1 : NULL;
}
