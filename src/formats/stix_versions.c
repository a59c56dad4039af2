/* stix_versions.c — a newer version of an object the node already has.
 *
 * Every version is kept as STIX (stix_objects); what changes is what the
 * node made of the object. For an indicator, the kz indicators made from
 * earlier versions follow the newest: each is updated in place (value and
 * type from the new pattern, name, labels, valid_from/valid_until, TLP),
 * values the pattern adds become new kz indicators, indicators left over
 * when the pattern shrinks are deleted, and a revoked version deletes them
 * all — deletions leave tombstones and the match index, like any other. For a report, its event
 * follows (title, description, TLP, tags: update_event in
 * stix_import_store.c) and so does what the event holds: objects the newer
 * version no longer lists lose their kz indicators in the event, known
 * objects it now lists move into it. An older version arriving after a
 * newer one changes nothing but the store of versions; the caller only
 * calls here for a version newer than any on the node.
 */
#include "stix_int.h"

#include <stdlib.h>
#include <string.h>

static int event_tlp(sx_import *im, const char *id, kz_arena *a, kz_tlp *out, kz_err *err)
{
    kz_event ev;
    int rc = kz_store_event_get(im->st, id, false, a, &ev, err);
    if (!rc)
        *out = ev.tlp;
    return rc;
}

static int delete_all(sx_import *im, const kz_indicator *v, size_t n, const char *only_event,
                      kz_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (only_event && strcmp(v[i].event_id, only_event) != 0)
            continue;
        int rc = kz_store_indicator_delete(im->st, v[i].id, err);
        if (rc)
            return rc;
        im->n_ind_deleted++;
    }
    return 0;
}

int kz__stix_indicator_version(sx_import *im, sx_rec *r, const char *event_id, kz_arena *a,
                               kz_err *err)
{
    kz_indicator *live = NULL;
    size_t n_live = 0;
    int rc = kz_store_stix_indicators_live(im->st, r->id, a, &live, &n_live, err);
    if (rc)
        return rc;
    if (r->revoked)
        return delete_all(im, live, n_live, NULL, err);
    sx_extra *x = r->x;
    bool *kept = n_live ? kz_arena_alloc(a, n_live * sizeof *kept) : NULL;
    kz_indicator *made = x->n_values ? kz_arena_alloc(a, x->n_values * sizeof *made) : NULL;
    if ((n_live && !kept) || (x->n_values && !made))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    kz_tlp home_tlp = KZ_TLP_AMBER;
    if ((rc = event_tlp(im, event_id, a, &home_tlp, err)))
        return rc;
    /* Values still in the pattern keep their kz indicator; the others are
     * paired, in order, with the indicators whose value the pattern
     * dropped (the same indicator, new value and type); what is left of
     * the new values is added, what is left of the old ones deleted. */
    size_t *match = kz_arena_alloc(a, (x->n_values + 1) * sizeof *match);
    if (!match)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    for (size_t k = 0; k < x->n_values; k++) {
        const sx_value *v = &x->values[k];
        size_t j = 0;
        while (j < n_live && (kept[j] || live[j].type != v->type || strcmp(live[j].value, v->value)))
            j++;
        match[k] = j < n_live ? j : SIZE_MAX;
        if (j < n_live)
            kept[j] = true;
    }
    for (size_t k = 0, j = 0; k < x->n_values; k++) {
        if (match[k] != SIZE_MAX)
            continue;
        while (j < n_live && kept[j])
            j++;
        if (j < n_live) {
            match[k] = j;
            kept[j] = true;
        }
    }
    size_t n_made = 0;
    for (size_t k = 0; k < x->n_values; k++) {
        const sx_value *v = &x->values[k];
        if (match[k] != SIZE_MAX) {
            kz_indicator u = live[match[k]];
            kz_tlp t = home_tlp;
            if (strcmp(u.event_id, event_id) != 0 && (rc = event_tlp(im, u.event_id, a, &t, err)))
                return rc;
            kz_indicator f;
            memset(&f, 0, sizeof f);
            kz__stix_fill_indicator(im, r, t, a, &f);
            u.type = v->type;
            u.value = (char *)v->value;
            u.comment = f.comment;
            u.tags = f.tags;
            u.first_seen = f.first_seen;
            u.last_seen = f.last_seen;
            u.tlp = f.tlp;
            u.to_ids = true;
            u.modified = f.modified;
            u.warninglist = NULL;
            if ((rc = kz_store_indicator_update(im->st, &u, err)))
                return rc;
            im->n_ind_updated++;
            if (kz_strlist_push(a, &x->ind_ids, u.id))
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            continue;
        }
        kz_indicator *ind = &made[n_made++];
        memset(ind, 0, sizeof *ind);
        kz__stix_fill_indicator(im, r, home_tlp, a, ind);
        kz_uuid_v7(ind->id);
        memcpy(ind->event_id, event_id, sizeof ind->event_id);
        ind->type = v->type;
        ind->value = (char *)v->value;
        if (kz_strlist_push(a, &x->ind_ids, ind->id))
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    if (n_made && (rc = kz_store_indicators_add(im->st, event_id, made, n_made, err)))
        return rc;
    im->n_ind_created += n_made;
    /* Values the newer pattern no longer has. */
    for (size_t j = 0; j < n_live; j++) {
        if (kept[j])
            continue;
        if ((rc = kz_store_indicator_delete(im->st, live[j].id, err)))
            return rc;
        im->n_ind_deleted++;
    }
    return 0;
}

/* object_refs of the newest version the node held before this import. */
static int previous_refs(sx_import *im, const char *id, kz_strlist *out, kz_err *err)
{
    kz_stix_versions v = {.last = true};
    kz_stix_obj *rows = NULL;
    size_t n = 0;
    int rc = kz_store_stix_get(im->st, id, &v, &im->work, &rows, &n, err);
    if (rc == KZ_E_NOTFOUND)
        return 0;
    if (rc || n == 0)
        return rc;
    json_t *o = json_loadb(rows[n - 1].json, rows[n - 1].json_len, 0, NULL);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(o, "object_refs"), i, e) {
        if (json_is_string(e) && kz_strlist_push(&im->work, out, json_string_value(e))) {
            json_decref(o);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
    }
    json_decref(o);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted copy of a list, for look-ups that stay fast when a report lists
 * a hundred thousand objects. */
static int sorted(kz_arena *a, const kz_strlist *in, kz_strlist *out)
{
    out->n = in->n;
    out->v = in->n ? kz_arena_alloc(a, in->n * sizeof *out->v) : NULL;
    if (in->n && !out->v)
        return KZ_E_NOMEM;
    if (in->n) {
        memcpy(out->v, in->v, in->n * sizeof *out->v);
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    }
    return 0;
}

static bool listed(const kz_strlist *sorted_list, const char *id)
{
    return sorted_list->n &&
           bsearch(&id, sorted_list->v, sorted_list->n, sizeof *sorted_list->v, cmp_str) != NULL;
}

int kz__stix_report_version(sx_import *im, sx_event *e, kz_err *err)
{
    sx_rec *g = e->report->group;
    sx_rec *r = g->latest;
    if (!r || r->vkey <= g->known_max || !r->x)
        return 0;
    kz_strlist prev = {0};
    int rc = previous_refs(im, g->id, &prev, err);
    if (rc)
        return rc;
    const kz_strlist *now = &r->x->refs;
    kz_strlist now_s, prev_s;
    if (sorted(&im->work, now, &now_s) || sorted(&im->work, &prev, &prev_s))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    /* No longer listed: what it gave the event goes. */
    for (size_t i = 0; i < prev.n; i++) {
        if (listed(&now_s, prev.v[i]))
            continue;
        kz_indicator *live = NULL;
        size_t n_live = 0;
        if ((rc = kz_store_stix_indicators_live(im->st, prev.v[i], &im->work, &live, &n_live, err)) ||
            (rc = delete_all(im, live, n_live, e->id, err)))
            return rc;
    }
    /* Newly listed and already on the node: it moves into the event. */
    for (size_t i = 0; i < now->n; i++) {
        const char *id = now->v[i];
        if (listed(&prev_s, id) || strcmp(id, g->id) == 0)
            continue;
        sx_rec *t = kz__stix_find(im, id);
        if (t && t->known_versions == 0)
            continue; /* new to the node: the plan already put it here */
        kz_stix_known k;
        if ((rc = kz_store_stix_lookup(im->st, id, 0, &k, err)))
            return rc;
        if (k.n_versions == 0 || strcmp(k.event_id, e->id) == 0)
            continue;
        bool ours = !k.event_id[0];
        if (k.event_id[0] && (rc = kz__stix_event_is_ours(im, k.event_id, &ours, err)))
            return rc;
        if (!ours)
            continue; /* another org's: never taken from its event */
        if ((rc = kz_store_stix_move(im->st, id, e->id, err)))
            return rc;
        im->n_moved++;
        if (t)
            memcpy(t->known_event, e->id, sizeof t->known_event);
    }
    return 0;
}
