/* api_correlations.c — which other events reported the same thing: the
 * same value, an address inside a reported network (or a network around a
 * reported address), a subdomain of a reported domain (or a domain above a
 * reported host).
 *
 * MISP keeps a correlation table with a row per pair of equal values; on
 * large instances it grew to hundreds of GB and took 40 hours to rebuild.
 * Here nothing is stored per pair: correlations are looked up when asked,
 * in a compiled match index (src/match) of every correlatable indicator
 * (not free text, not marked disable_correlation), built from one scan of
 * the store and swapped in atomically when the store has changed. The
 * other direction (this indicator is a network or a domain: what lies
 * inside it) is a range query on the store's address and reversed-domain
 * indexes. So a lookup costs a few index probes plus one access decision
 * per event seen, and "rebuilding" is building the index: seconds for a
 * million indicators.
 *
 * The index holds every org's indicators; what the caller may see is
 * decided per hit, by the same ACL as every other route, on the hit's
 * event and on the indicator's own stricter markings (carried in the
 * payload). Only events the caller may see are looked at or counted, so a
 * TLP:RED event of another org never shows, not even as a count, and a
 * value shared by more visible events than the node's limit is reported
 * as over-correlating without its list (as MISP does).
 */
#include "http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

#define DEFAULT_LIMIT 20
#define MAX_LOOKUP_HITS 100000
#define MAX_EVENTS_CHECKED 10000
#define REVERSE_ROWS 1000

/* ---- the shared index ------------------------------------------------------ */

/* Read without the lock by every request (atomics), written by the builder
 * holding it. */
static struct {
    pthread_mutex_t build_mu; /* one builder at a time */
    kz_match_handle *h;
    _Atomic uint64_t fp;      /* store fingerprint the current index was built from */
    atomic_bool have;
    _Atomic int64_t built_at; /* when, and how long it took */
    _Atomic int64_t took_us;
} g = {.build_mu = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void g_free(void)
{
    kz_match_handle_free(g.h);
    g.h = NULL;
}

static void g_init(void)
{
    g.h = kz_match_handle_new();
    if (g.h)
        atexit(g_free);
}

typedef struct build_ctx {
    kz_match_builder *b;
    size_t added, refused;
} build_ctx;

static int add_row(void *ctx, const kz_misp_corr_row *row, kz_err *err)
{
    (void)err;
    build_ctx *c = ctx;
    /* The indicator's own stricter markings ride in the payload's tags so
     * that a hit can be judged without reading the indicator back. */
    char mark[32];
    bool own = row->tlp >= 0 || row->distribution >= 0;
    if (own)
        snprintf(mark, sizeof mark, "m%d,%d", row->tlp, row->distribution);
    kz_match_entry e = {
        .indicator_id = row->id,
        .event_id = row->event_id,
        .org_id = row->org_id,
        .type = row->type,
        .value = row->value,
        .tlp = row->tlp >= 0 ? (kz_tlp)row->tlp : row->event_tlp,
        .to_ids = false,
        .tags = own ? mark : NULL,
    };
    kz_err e2;
    if (kz_match_builder_add(c->b, &e, &e2) == 0)
        c->added++;
    else if (e2.code == KZ_E_TOOLARGE || e2.code == KZ_E_NOMEM)
        return kz_fail(err, e2.code, NULL, "%s", e2.msg);
    else
        c->refused++;
    return 0;
}

int kz_corr_build(kz_store *st, kz_match_index **out, size_t *added, kz_err *err)
{
    *out = NULL;
    build_ctx c = {.b = kz_match_builder_new()};
    if (!c.b)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    int rc = kz_store_misp_corr_scan(st, add_row, &c, err);
    if (rc == 0)
        rc = kz_match_build(c.b, out, err);
    kz_match_builder_free(c.b);
    if (added)
        *added = c.added;
    return rc;
}

/* The current index with a reference, rebuilt first when the store changed
 * since it was built. A rebuild waits at least ten times as long as the last
 * one took, so a busy node spends at most a tenth of a core on it; readers
 * use the old index meanwhile. */
static int acquire(kz_req *r, const kz_match_index **out)
{
    pthread_once(&g_once, g_init);
    if (!g.h)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    uint64_t fp = 0;
    int rc = kz_store_match_fingerprint(r->st, &fp, &r->err);
    if (rc < 0)
        return rc;
    kz_time now = kz_time_now();
    bool have = atomic_load(&g.have);
    bool stale = !have || fp != atomic_load(&g.fp);
    bool due = !have || now - atomic_load(&g.built_at) >= 10 * atomic_load(&g.took_us);
    if (stale && due) {
        /* Without an index, wait for whoever builds it; with one, let the
         * thread that got the lock build and keep serving the old one. */
        bool locked = have ? pthread_mutex_trylock(&g.build_mu) == 0
                           : pthread_mutex_lock(&g.build_mu) == 0;
        if (locked) {
            if (!atomic_load(&g.have) || atomic_load(&g.fp) != fp) {
                kz_time t0 = kz_time_now();
                kz_match_index *idx = NULL;
                rc = kz_corr_build(r->st, &idx, NULL, &r->err);
                if (rc == 0) {
                    kz_match_publish(g.h, idx);
                    kz_time t1 = kz_time_now();
                    atomic_store(&g.fp, fp);
                    atomic_store(&g.built_at, t1);
                    atomic_store(&g.took_us, t1 - t0);
                    atomic_store(&g.have, true);
                }
            }
            pthread_mutex_unlock(&g.build_mu);
            if (rc < 0)
                return rc;
        }
    }
    *out = kz_match_acquire(g.h);
    return 0;
}

size_t kz_corr_limit(kz_req *r)
{
    char *v = NULL;
    kz_err e;
    if (kz_store_meta_get(r->st, "misp.correlation_limit", &r->arena, &v, &e) == 0 && v) {
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (*end == 0 && n >= 1 && n <= 1000000)
            return n;
    }
    return DEFAULT_LIMIT;
}

/* ---- visibility, per event ---------------------------------------------------- */

typedef struct seen_event {
    const char *id;
    bool visible;
    kz_acl_object acl;
} seen_event;

typedef struct lookup {
    kz_req *r;
    const kz_indicator *self;
    const char *self_event;
    seen_event *ev;
    size_t n_ev, cap_ev, n_visible;
    kz_corr *out;
    size_t cap_hits;
    bool stop;
    kz_match_hit *scratch; /* index hits, reused across the lookups of one request */
    size_t scratch_cap;
} lookup;

static seen_event *event_of(lookup *L, const char *id, const kz_event *known)
{
    for (size_t i = 0; i < L->n_ev; i++)
        if (strcmp(L->ev[i].id, id) == 0)
            return &L->ev[i];
    if (L->n_ev >= MAX_EVENTS_CHECKED) {
        L->stop = true;
        return NULL;
    }
    if (L->n_ev == L->cap_ev) {
        size_t cap = L->cap_ev ? L->cap_ev * 2 : 16;
        seen_event *v = kz_arena_alloc(&L->r->arena, cap * sizeof *v);
        if (!v)
            return NULL;
        if (L->n_ev)
            memcpy(v, L->ev, L->n_ev * sizeof *v);
        L->ev = v;
        L->cap_ev = cap;
    }
    seen_event *s = &L->ev[L->n_ev];
    memset(s, 0, sizeof *s);
    s->id = kz_arena_strdup(&L->r->arena, id);
    kz_event ev;
    kz_err e;
    const kz_event *evp = known;
    if (!evp && kz_store_event_get(L->r->st, id, false, &L->r->arena, &ev, &e) == 0)
        evp = &ev;
    if (evp && s->id) {
        memset(&s->acl, 0, sizeof s->acl);
        if (kz_store_acl_object_load(L->r->st, evp, &L->r->arena, &s->acl, &e) == 0)
            s->visible = kz_acl_allows(&L->r->who, &s->acl, KZ_ACL_VIEW, NULL);
    }
    L->n_ev++;
    return s;
}

static bool hit_known(const lookup *L, const char *ind_id)
{
    for (size_t i = 0; i < L->out->n_hits; i++)
        if (strcmp(L->out->hits[i].indicator_id, ind_id) == 0)
            return true;
    return false;
}

/* Records one candidate if the caller may see it. */
static int consider(lookup *L, const char *ind_id, const char *event_id, const char *org_id,
                    const char *value, kz_ioc_type type, int tlp, int dist, const char *kind,
                    const kz_event *known)
{
    if (L->stop || strcmp(event_id, L->self_event) == 0 || strcmp(ind_id, L->self->id) == 0 ||
        hit_known(L, ind_id))
        return 0;
    seen_event *s = event_of(L, event_id, known);
    if (!s)
        return L->stop ? 0 : kz_fail(&L->r->err, KZ_E_NOMEM, NULL, "out of memory");
    if (!s->visible)
        return 0;
    if (tlp >= 0 || dist >= 0) {
        kz_indicator tmp = {.tlp = tlp, .distribution = dist};
        if (!kz_acl_indicator_allows(&L->r->who, &s->acl, &tmp, KZ_ACL_VIEW, NULL))
            return 0;
    }
    kz_corr *o = L->out;
    bool new_event = true;
    for (size_t i = 0; i < o->n_hits && new_event; i++)
        new_event = strcmp(o->hits[i].event_id, event_id) != 0;
    if (new_event && ++o->n_events > o->limit) {
        /* Over the limit: stop looking; the list is not shown. */
        o->over_correlating = true;
        L->stop = true;
        return 0;
    }
    if (o->n_hits == L->cap_hits) {
        size_t cap = L->cap_hits ? L->cap_hits * 2 : 16;
        kz_corr_hit *v = kz_arena_alloc(&L->r->arena, cap * sizeof *v);
        if (!v)
            return kz_fail(&L->r->err, KZ_E_NOMEM, NULL, "out of memory");
        if (o->n_hits)
            memcpy(v, o->hits, o->n_hits * sizeof *v);
        o->hits = v;
        L->cap_hits = cap;
    }
    kz_corr_hit *h = &o->hits[o->n_hits++];
    h->indicator_id = kz_arena_strdup(&L->r->arena, ind_id);
    h->event_id = s->id;
    h->org_id = org_id ? kz_arena_strdup(&L->r->arena, org_id) : NULL;
    h->value = kz_arena_strdup(&L->r->arena, value);
    h->type = type;
    h->kind = kind;
    if (!h->indicator_id || !h->value)
        return kz_fail(&L->r->err, KZ_E_NOMEM, NULL, "out of memory");
    return 0;
}

static void parse_mark(const char *tags, int *tlp, int *dist)
{
    *tlp = *dist = -1;
    if (tags && tags[0] == 'm' && sscanf(tags + 1, "%d,%d", tlp, dist) != 2)
        *tlp = *dist = -1;
}

/* This value in the index: equal values, networks around it, parent domains. */
static int forward(lookup *L, const kz_match_index *idx)
{
    const kz_indicator *ind = L->self;
    size_t max = L->scratch_cap ? L->scratch_cap : 256;
    kz_match_hit *hits = L->scratch;
    size_t n;
    for (;;) {
        if (!hits || max > L->scratch_cap) {
            hits = kz_arena_alloc(&L->r->arena, max * sizeof *hits);
            if (!hits)
                return kz_fail(&L->r->err, KZ_E_NOMEM, NULL, "out of memory");
            L->scratch = hits;
            L->scratch_cap = max;
        }
        n = kz_match_lookup(idx, ind->type, ind->value, strlen(ind->value), hits, max);
        if (n <= max || max >= MAX_LOOKUP_HITS)
            break;
        max = n < MAX_LOOKUP_HITS ? n : MAX_LOOKUP_HITS;
    }
    if (n > max)
        n = max;
    for (size_t i = 0; i < n && !L->stop; i++) {
        kz_match_payload p;
        if (!kz_match_payload_get(idx, hits[i].payload, &p) || !p.event_id)
            continue;
        int tlp, dist;
        parse_mark(p.tags, &tlp, &dist);
        int rc = consider(L, p.indicator_id, p.event_id, p.org_id, p.value, p.type, tlp, dist,
                          kz_match_kind_name(hits[i].kind), NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* What lies inside this indicator: addresses and networks in its network,
 * hosts, domains and URLs under its domain. */
static int reverse(lookup *L)
{
    const kz_indicator *ind = L->self;
    kz_search_query q = {.type = -1, .tlp = -1, .published = -1, .to_ids = -1,
                         .limit = REVERSE_ROWS};
    if (ind->type == KZ_IOC_CIDR) {
        if (kz_cidr_parse(ind->value, strlen(ind->value), &q.ip, &q.prefix128) != 0)
            return 0;
        q.has_ip = true;
    } else if (ind->type == KZ_IOC_DOMAIN) {
        q.domain = ind->value;
    } else {
        return 0;
    }
    kz_search_hit *hits;
    size_t n;
    kz_err e;
    if (kz_store_search(L->r->st, &q, &L->r->arena, &hits, &n, &e) != 0)
        return 0; /* a value the search cannot take: nothing inside it */
    for (size_t i = 0; i < n && !L->stop; i++) {
        const kz_search_hit *h = &hits[i];
        if (strcmp(h->ind.value, ind->value) == 0 || h->ind.type == KZ_IOC_TEXT)
            continue; /* equal values came from the index */
        /* A network around this one was found by the index as well. */
        if (ind->type == KZ_IOC_CIDR && h->ind.type == KZ_IOC_CIDR) {
            kz_ip net;
            int p;
            if (kz_cidr_parse(h->ind.value, strlen(h->ind.value), &net, &p) == 0 &&
                p <= q.prefix128)
                continue;
        }
        int rc = consider(L, h->ind.id, h->event.id, h->event.creator_org, h->ind.value,
                          h->ind.type, h->ind.tlp, h->ind.distribution, "contains", &h->event);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int kz_corr_indicator(kz_req *r, const kz_indicator *ind, const char *event_id, kz_corr *out)
{
    memset(out, 0, sizeof *out);
    out->limit = kz_corr_limit(r);
    if (ind->type == KZ_IOC_TEXT || !ind->value)
        return 0;
    const kz_match_index *idx = NULL;
    int rc = acquire(r, &idx);
    if (rc < 0)
        return rc;
    lookup L = {.r = r, .self = ind, .self_event = event_id, .out = out};
    if (idx)
        rc = forward(&L, idx);
    kz_match_release(idx);
    if (rc == 0)
        rc = reverse(&L);
    if (out->over_correlating) {
        out->hits = NULL;
        out->n_hits = 0;
    }
    return rc;
}

/* ---- counts for a whole event (GET /api/v1/events/{id}) ------------------------- */

int kz_corr_counts(kz_req *r, const char *event_id, const kz_indicator *inds, size_t n,
                   const bool *skip, long *counts)
{
    for (size_t i = 0; i < n; i++)
        counts[i] = KZ_CORR_NONE;
    size_t limit = kz_corr_limit(r);
    const kz_match_index *idx = NULL;
    int rc = acquire(r, &idx);
    if (rc < 0)
        return rc;
    /* One lookup state for the whole event, so that each other event is
     * read and judged by the ACL once, however many values it shares. */
    lookup L = {.r = r, .self_event = event_id};
    size_t done = 0;
    for (size_t i = 0; i < n && rc == 0 && done < KZ_CORR_MAX_COUNTED; i++) {
        const kz_indicator *ind = &inds[i];
        if ((skip && skip[i]) || ind->type == KZ_IOC_TEXT || !ind->value)
            continue;
        done++;
        if (L.n_ev >= MAX_EVENTS_CHECKED / 2)
            L.n_ev = 0; /* forget, rather than stop counting */
        kz_corr c = {.limit = limit};
        L.self = ind;
        L.out = &c;
        L.stop = false;
        L.cap_hits = 0;
        if (idx)
            rc = forward(&L, idx);
        if (rc == 0)
            rc = reverse(&L);
        counts[i] = c.over_correlating ? KZ_CORR_OVER : (long)c.n_events;
    }
    kz_match_release(idx);
    return rc;
}

/* ---- GET /api/v1/indicators/{id}/correlations ----------------------------------- */

int kz_api_correlations(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    kz_indicator ind;
    kz_event ev;
    kz_acl_object obj;
    if (rc == 0)
        rc = kz_http_indicator_load(r, KZ_ACL_VIEW, &ind, &ev, &obj);
    if (rc < 0)
        return rc;
    kz_corr c;
    if ((rc = kz_corr_indicator(r, &ind, ev.id, &c)) < 0)
        return rc;
    json_t *list = json_array();
    if (!list)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < c.n_hits; i++) {
        const kz_corr_hit *h = &c.hits[i];
        json_t *o = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s}", "indicator_id", h->indicator_id,
                              "event_id", h->event_id, "org_id", h->org_id, "type",
                              kz_ioc_type_name(h->type), "value", h->value, "match", h->kind);
        if (!o || json_array_append_new(list, o) < 0) {
            json_decref(list);
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK,
                      json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:o}", "indicator_id", ind.id, "value",
                                ind.value, "type", kz_ioc_type_name(ind.type), "over_correlating",
                                c.over_correlating, "events", (json_int_t)c.n_events, "limit",
                                (json_int_t)c.limit, "correlations", list));
}
