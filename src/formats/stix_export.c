/* stix_export.c — an event as a STIX 2.1 bundle.
 *
 * What came in as STIX goes out as it came: the latest version of each
 * object stored with the event, byte for byte (so custom properties, key
 * order and number spelling survive), plus everything those objects
 * reference that the node holds (identities, marking definitions, the
 * targets of relationships), so the bundle stands on its own. What the node
 * holds natively (indicators added by hand or through the API) is written as
 * new STIX objects (stix_export_native.c). The bundle is built as text, not
 * as one jansson tree, so stored objects never go through a re-serialiser.
 */
#include "stix_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOSURE_MAX 100000
#define PAGE 5000

/* ---- a set of ids ---------------------------------------------------------- */

typedef struct idset {
    char **v;
    size_t cap, n;
} idset;

static bool idset_add(idset *s, const char *id, bool *added)
{
    if (s->n * 2 >= s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        char **nv = calloc(nc, sizeof *nv);
        if (!nv)
            return false;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i])
                continue;
            size_t h = (size_t)kz_hash64(s->v[i], strlen(s->v[i])) & (nc - 1);
            while (nv[h])
                h = (h + 1) & (nc - 1);
            nv[h] = s->v[i];
        }
        free(s->v);
        s->v = nv;
        s->cap = nc;
    }
    size_t h = (size_t)kz_hash64(id, strlen(id)) & (s->cap - 1);
    while (s->v[h]) {
        if (strcmp(s->v[h], id) == 0) {
            *added = false;
            return true;
        }
        h = (h + 1) & (s->cap - 1);
    }
    if (!(s->v[h] = strdup(id)))
        return false;
    s->n++;
    *added = true;
    return true;
}

static bool idset_has(const idset *s, const char *id)
{
    if (!s->cap)
        return false;
    size_t h = (size_t)kz_hash64(id, strlen(id)) & (s->cap - 1);
    while (s->v[h]) {
        if (strcmp(s->v[h], id) == 0)
            return true;
        h = (h + 1) & (s->cap - 1);
    }
    return false;
}

static void idset_free(idset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->v[i]);
    free(s->v);
}

/* ---- the export ------------------------------------------------------------ */

typedef struct ex {
    kz_store *st;
    const kz_stix_export_opts *o;
    kz_buf *out;
    size_t count;
    idset seen;     /* ids in the bundle */
    kz_strlist todo; /* referenced ids still to look at */
    kz_arena a;
} ex;

static void put_text(ex *x, const char *json, size_t len)
{
    if (x->count++)
        kz_buf_putc(x->out, ',');
    kz_buf_append(x->out, json, len);
}

/* Notes the references of an object for the closure: every *_ref and
 * *_refs value, at any depth, except inside observed-data's deprecated
 * container (whose references are local keys). */
static void refs_of(ex *x, const json_t *j, int depth, bool container)
{
    if (depth > 32)
        return;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            size_t n = strlen(k);
            bool ref = n > 4 && strcmp(k + n - 4, "_ref") == 0;
            bool refs = n > 5 && strcmp(k + n - 5, "_refs") == 0;
            if (!container && ref && json_is_string(v))
                kz_strlist_push(&x->a, &x->todo, json_string_value(v));
            else if (!container && refs && json_is_array(v)) {
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) if (json_is_string(e))
                    kz_strlist_push(&x->a, &x->todo, json_string_value(e));
            } else
                refs_of(x, v, depth + 1,
                        container || (depth == 0 && strcmp(k, "objects") == 0 &&
                                      json_is_object(v)));
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *e;
        json_array_foreach(j, i, e) refs_of(x, e, depth + 1, container);
    }
}

static int add_stored(ex *x, const kz_stix_obj *o, kz_err *err)
{
    bool added;
    if (!idset_add(&x->seen, o->id, &added))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!added)
        return 0;
    put_text(x, o->json, o->json_len);
    json_t *j = json_loadb(o->json, o->json_len, 0, NULL);
    if (j) {
        refs_of(x, j, 0, false);
        json_decref(j);
    }
    return 0;
}

/* The event's own STIX objects, latest versions, oldest first. */
static int roots(ex *x, const char *event_id, size_t *n_roots, kz_err *err)
{
    kz_stix_query q = {.event_id = event_id, .tlp_max = -1, .limit = PAGE};
    for (;;) {
        kz_arena page;
        kz_arena_init(&page);
        kz_stix_obj *v;
        size_t n;
        bool more;
        int r = kz_store_stix_list(x->st, &q, &page, &v, &n, &more, err);
        for (size_t i = 0; !r && i < n; i++) {
            if (x->o && x->o->allow_obj && !x->o->allow_obj(x->o->ctx, &v[i]))
                continue;
            (*n_roots)++;
            r = add_stored(x, &v[i], err);
        }
        if (!r && n) {
            q.after_added = v[n - 1].date_added;
            q.after_seq = v[n - 1].seq;
        }
        kz_arena_free(&page);
        if (r)
            return r;
        if (!more)
            return 0;
    }
}

/* Everything the bundle's objects reference that the node holds. */
static int closure(ex *x, kz_err *err)
{
    for (size_t i = 0; i < x->todo.n; i++) {
        const char *id = x->todo.v[i];
        if (idset_has(&x->seen, id))
            continue;
        if (x->seen.n >= CLOSURE_MAX)
            return kz_fail(err, KZ_E_TOOLARGE, "",
                           "the bundle would hold more than %d objects", CLOSURE_MAX);
        kz_arena one;
        kz_arena_init(&one);
        kz_stix_obj *v;
        size_t n;
        kz_stix_versions last = {.last = true};
        int r = kz_store_stix_get(x->st, id, &last, &one, &v, &n, err);
        if (r == 0 && n && !(x->o && x->o->allow_obj && !x->o->allow_obj(x->o->ctx, &v[0]))) {
            r = add_stored(x, &v[0], err);
        } else if (r == KZ_E_NOTFOUND) {
            r = 0;
            /* TLP definitions are referenced far more often than carried. */
            json_t *m = kz__stix_tlp1_marking(id);
            if (!m) {
                int t = kz_stix_tlp_of_marking(id);
                if (t >= 0)
                    m = kz_stix_tlp_marking((kz_tlp)t);
            }
            if (m) {
                char *s = json_dumps(m, JSON_COMPACT);
                bool added;
                if (s && idset_add(&x->seen, id, &added))
                    put_text(x, s, strlen(s));
                free(s);
                json_decref(m);
            }
        }
        kz_arena_free(&one);
        if (r)
            return r;
    }
    return 0;
}

static int natives(ex *x, const kz_event *ev, bool with_report, kz_err *err)
{
    kz_strlist mapped;
    int r = kz_store_stix_event_mapped(x->st, ev->id, &x->a, &mapped, err);
    if (r)
        return r;
    idset skip = {0};
    bool added;
    for (size_t i = 0; i < mapped.n; i++)
        if (!idset_add(&skip, mapped.v[i], &added)) {
            idset_free(&skip);
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        }
    const kz_indicator **inds =
        ev->n_indicators ? kz_arena_alloc(&x->a, ev->n_indicators * sizeof *inds) : NULL;
    size_t n = 0;
    for (size_t i = 0; inds && i < ev->n_indicators; i++) {
        const kz_indicator *ind = &ev->indicators[i];
        if (idset_has(&skip, ind->id))
            continue;
        if (x->o && x->o->allow_ind && !x->o->allow_ind(x->o->ctx, ind))
            continue;
        inds[n++] = ind;
    }
    idset_free(&skip);
    if (ev->n_indicators && !inds)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!with_report && n == 0)
        return 0;
    kz_org org;
    r = kz_store_org_get(x->st, ev->creator_org, &x->a, &org, err);
    if (r)
        return r;
    json_t *arr = json_array();
    if (!arr)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    r = kz__stix_native(ev, &org, inds, n, with_report, &x->a, arr, err);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        if (r)
            break;
        const char *id = json_string_value(json_object_get(o, "id"));
        if (!idset_add(&x->seen, id, &added)) {
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            break;
        }
        if (!added)
            continue; /* a marking or identity the stored objects brought already */
        char *s = json_dumps(o, JSON_COMPACT);
        if (!s) {
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            break;
        }
        put_text(x, s, strlen(s));
        free(s);
    }
    json_decref(arr);
    return r;
}

int kz_stix_export_event(kz_store *st, const char *event_id, const kz_stix_export_opts *opts,
                         kz_buf *out, size_t *n_objects, kz_err *err)
{
    ex x = {.st = st, .o = opts, .out = out};
    kz_arena_init(&x.a);
    kz_event ev;
    int r = kz_store_event_get(st, event_id, true, &x.a, &ev, err);
    if (!r) {
        kz_uuid b;
        kz_uuid_v4(b);
        kz_buf_printf(out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", b);
    }
    size_t n_roots = 0;
    if (!r)
        r = roots(&x, ev.id, &n_roots, err);
    if (!r)
        r = natives(&x, &ev, n_roots == 0, err);
    if (!r)
        r = closure(&x, err);
    if (!r)
        kz_buf_puts(out, "]}");
    if (!r && !out->p)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!r && n_objects)
        *n_objects = x.count;
    idset_free(&x.seen);
    kz_arena_free(&x.a);
    return r;
}
