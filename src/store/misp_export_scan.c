/* misp_export_scan.c — the one loop behind every export (MISP JSON, feeds,
 * CSV, blocklists, Zeek, Suricata), for the CLI and the API alike: each
 * event the exporter may see, with only the indicators the access decision
 * (KZ_ACL_EXPORT: TLP:RED never leaves in a bulk export) and the filter
 * let through. Keeping it in one place means a rule fixed here is fixed for
 * every format.
 *
 * Events are read one at a time into their own arena and handed to the
 * caller, so memory stays bounded by the largest event, not the node.
 */
#include "store_int.h"

#include <stdlib.h>

static bool type_matches(const char *name, const kz_indicator *ind, const kz_misp_attr *ma)
{
    if (strcmp(name, kz_ioc_type_name(ind->type)) == 0)
        return true;
    if (!kz_misp_type_find(name))
        return false;
    const char *mt = ma && ma->type ? ma->type : kz_misp_default_type(ind);
    return strcmp(name, mt) == 0;
}

static bool tag_matches(const char *tag, const kz_event *ev, const kz_indicator *ind)
{
    kz_tlp t;
    kz_pap p;
    if (kz_tag_as_tlp(tag, &t) == 0) {
        int eff = ind->tlp > (int)ev->tlp ? ind->tlp : (int)ev->tlp;
        return (int)t == eff;
    }
    if (kz_tag_as_pap(tag, &p) == 0)
        return p == ev->pap;
    return kz_strlist_has(&ind->tags, tag) || kz_strlist_has(&ev->tags, tag);
}

bool kz_misp_filter_on_indicators(const kz_misp_filter *f)
{
    return f && ((f->types && f->types->n) || (f->tags && f->tags->n) || f->tlp_max >= 0 ||
                 f->to_ids_only || f->since);
}

bool kz_misp_filter_match(const kz_misp_filter *f, const kz_event *ev, const kz_indicator *ind,
                          const kz_misp_attr *ma)
{
    if (!f)
        return true;
    if (f->to_ids_only && !ind->to_ids)
        return false;
    if (f->since && ind->modified < f->since)
        return false;
    if (f->tlp_max >= 0) {
        int eff = ind->tlp > (int)ev->tlp ? ind->tlp : (int)ev->tlp;
        if (eff > f->tlp_max)
            return false;
    }
    if (f->types && f->types->n) {
        bool any = false;
        for (size_t i = 0; !any && i < f->types->n; i++)
            any = type_matches(f->types->v[i], ind, ma);
        if (!any)
            return false;
    }
    if (f->tags && f->tags->n) {
        bool any = false;
        for (size_t i = 0; !any && i < f->tags->n; i++)
            any = tag_matches(f->tags->v[i], ev, ind);
        if (!any)
            return false;
    }
    return true;
}

/* Keeps the allowed indicators, and the objects that still hold one. */
static int narrow(kz_store *st, const kz_principal *who, const kz_misp_filter *f, kz_arena *a,
                  kz_misp_event *me, bool *skip, kz_err *err)
{
    *skip = false;
    kz_acl_object obj;
    if (who) {
        memset(&obj, 0, sizeof obj);
        int r = kz_store_acl_object_load(st, &me->ev, a, &obj, err);
        if (r)
            return r;
        if (!kz_acl_allows(who, &obj, KZ_ACL_EXPORT, NULL)) {
            *skip = true;
            return 0;
        }
    } else if (me->ev.tlp == KZ_TLP_RED) {
        *skip = true;
        return 0;
    }
    long *remap = me->n_objects ? kz_arena_alloc(a, me->n_objects * sizeof *remap) : NULL;
    if (me->n_objects && !remap)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < me->n_objects; k++)
        remap[k] = -1;
    size_t n = 0;
    for (size_t i = 0; i < me->ev.n_indicators; i++) {
        const kz_indicator *ind = &me->ev.indicators[i];
        const kz_misp_attr *ma = &me->attrs[i];
        bool ok = who ? kz_acl_indicator_allows(who, &obj, ind, KZ_ACL_EXPORT, NULL)
                      : ind->tlp != KZ_TLP_RED;
        if (!ok || !kz_misp_filter_match(f, &me->ev, ind, ma))
            continue;
        if (ma->object >= 0 && (size_t)ma->object < me->n_objects)
            remap[ma->object] = 0;
        me->ev.indicators[n] = *ind;
        me->attrs[n] = *ma;
        n++;
    }
    me->ev.n_indicators = n;
    size_t m = 0;
    for (size_t k = 0; k < me->n_objects; k++) {
        if (remap[k] < 0)
            continue;
        remap[k] = (long)m;
        me->objects[m++] = me->objects[k];
    }
    me->n_objects = m;
    for (size_t i = 0; i < n; i++)
        if (me->attrs[i].object >= 0)
            me->attrs[i].object = remap[me->attrs[i].object];
    if (n == 0 && kz_misp_filter_on_indicators(f))
        *skip = true;
    return 0;
}

static int one(kz_store *st, const kz_principal *who, const kz_misp_filter *f, const char *id,
               kz_misp_event_fn fn, void *ctx, kz_err *err)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_event me;
    int r = kz_store_misp_event_get(st, id, &a, &me, err);
    if (r == KZ_E_NOTFOUND) {
        /* Deleted since it was listed, or an unknown id: nothing to export. */
        kz_err_clear(err);
        r = 0;
        goto out;
    }
    bool skip = false;
    if (!r)
        r = narrow(st, who, f, &a, &me, &skip, err);
    if (!r && !skip)
        r = fn(ctx, &me, err);
out:
    kz_arena_free(&a);
    return r;
}

int kz_store_misp_export_scan(kz_store *st, const kz_principal *who, const kz_misp_filter *f,
                              kz_misp_event_fn fn, void *ctx, kz_err *err)
{
    if (f && f->event_ids && f->event_ids->n) {
        for (size_t i = 0; i < f->event_ids->n; i++) {
            int r = one(st, who, f, f->event_ids->v[i], fn, ctx, err);
            if (r)
                return r;
        }
        return 0;
    }
    kz_event_filter flt = {.published = who ? -1 : -1, .after_id = "", .limit = 200};
    kz_uuid after = "";
    for (;;) {
        kz_arena page;
        kz_arena_init(&page);
        kz_event *evs = NULL;
        size_t n = 0;
        int r = kz_store_event_list(st, &flt, &page, &evs, &n, err);
        for (size_t i = 0; !r && i < n; i++)
            r = one(st, who, f, evs[i].id, fn, ctx, err);
        bool more = !r && n == flt.limit;
        if (more) {
            flt.after_time = evs[n - 1].modified;
            memcpy(after, evs[n - 1].id, sizeof after);
            flt.after_id = after;
        }
        kz_arena_free(&page);
        if (r || !more)
            return r;
    }
}
