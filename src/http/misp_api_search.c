/* misp_api_search.c — POST /attributes/restSearch and the attribute scan
 * that /events/restSearch shares with it.
 *
 * Candidates come from the most selective thing the request names: its
 * values (one index probe each, through the store's value search, both as
 * given and normalised), its event ids, its UUIDs, or else a scan of all
 * indicators in row order with what the store can filter itself (one
 * concrete type, one tag, published, to_ids). Every candidate then passes
 * the ACL (event, then the indicator's own markings) and the remaining
 * MISP filters. A request without a limit gets at most 10,000 attributes,
 * and a scan examines at most 100,000 rows: MISP would return everything,
 * which on a large node is a denial of service.
 */
#include "misp_api_int.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_CAP 10000
#define SCAN_CAP 100000
#define PAGE_ROWS 1000

typedef struct scan {
    kz_req *r;
    const kz_mf *f;
    kz_mev_cache *cache;
    kz_misp_attr_fn fn;
    void *ctx;
    size_t examined;
    bool stop;
    int64_t *seen; /* seqs already handed out (value variants overlap): a hash set */
    size_t n_seen, cap_seen;
} scan;

/* A set of row numbers (open addressing; seqs are > 0, so 0 is empty). */
static bool seen_before(scan *s, int64_t seq)
{
    if ((s->n_seen + 1) * 2 > s->cap_seen) {
        size_t cap = s->cap_seen ? s->cap_seen * 2 : 256;
        int64_t *v = kz_arena_alloc(&s->r->arena, cap * sizeof *v);
        if (!v)
            return false;
        for (size_t i = 0; i < s->cap_seen; i++) {
            if (!s->seen[i])
                continue;
            size_t k = (size_t)((uint64_t)s->seen[i] * 0x9e3779b97f4a7c15ULL >> 17) & (cap - 1);
            while (v[k])
                k = (k + 1) & (cap - 1);
            v[k] = s->seen[i];
        }
        s->seen = v;
        s->cap_seen = cap;
    }
    size_t k = (size_t)((uint64_t)seq * 0x9e3779b97f4a7c15ULL >> 17) & (s->cap_seen - 1);
    while (s->seen[k]) {
        if (s->seen[k] == seq)
            return true;
        k = (k + 1) & (s->cap_seen - 1);
    }
    s->seen[k] = seq;
    s->n_seen++;
    return false;
}

/* One candidate indicator (seq); its event is known (m) or given by id,
 * with its fields when the caller has them. */
static int candidate(scan *s, kz_mev *m, const char *event_id, const kz_event *known,
                     const kz_indicator *ind, int64_t seq, bool dedupe)
{
    s->examined++;
    if (dedupe && seen_before(s, seq))
        return 0;
    /* The MISP data first: it also names the event's row and Orgc, which
     * spares the event cache two queries. */
    kz_misp_attr ma;
    kz_misp_object obj;
    kz_misp_org_ref orgc;
    int rc = kz_store_misp_attr_get(s->r->st, seq, &s->r->arena, &ma, &obj, &orgc, &s->r->err);
    if (rc == KZ_E_NOTFOUND) {
        kz_err_clear(&s->r->err);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!m && !(m = kz_mev_get(s->r, s->cache, event_id, known, ma.event_seq, &orgc)))
        return s->r->err.code ? s->r->err.code : 0;
    if (!m->visible || !kz_acl_indicator_allows(&s->r->who, &m->acl, ind, KZ_ACL_VIEW, NULL))
        return 0;
    if (!kz_mf_match_attr(s->f, m, ind, &ma))
        return 0;
    return s->fn(s->r, s->ctx, m, ind, &ma, ma.object >= 0 ? &obj : NULL, &s->stop);
}

static int from_hits(scan *s, kz_search_hit *hits, size_t n, bool dedupe)
{
    for (size_t i = 0; i < n && !s->stop; i++) {
        int rc = candidate(s, NULL, hits[i].event.id, &hits[i].event, &hits[i].ind, hits[i].seq,
                           dedupe);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Pages through one store query until done, stopped, or the scan cap. */
static int run_query(scan *s, kz_search_query *q, bool dedupe)
{
    q->limit = PAGE_ROWS;
    for (;;) {
        /* Hits stay in the request's arena: the event cache points into them. */
        kz_search_hit *hits;
        size_t n;
        int rc = kz_store_search(s->r->st, q, &s->r->arena, &hits, &n, &s->r->err);
        if (rc == KZ_E_VALUE) {
            /* A value the search cannot take (not a domain, ...) finds nothing. */
            kz_err_clear(&s->r->err);
            return 0;
        }
        if (rc == 0)
            rc = from_hits(s, hits, n, dedupe);
        if (rc < 0)
            return rc;
        if (s->stop || n < q->limit || s->examined >= SCAN_CAP)
            return 0;
        q->after_seq = hits[n - 1].seq;
    }
}

static kz_search_query base_query(const kz_mf *f)
{
    kz_search_query q = {.type = -1, .tlp = -1, .published = f->published, .to_ids = f->to_ids};
    return q;
}

/* Does the request ask for domains and host names only (MISP types domain,
 * hostname)? Then a pattern ending in a domain needs no scan. */
static bool names_only(const kz_mf *f)
{
    if (!f->types.n)
        return false;
    for (size_t i = 0; i < f->types.n; i++)
        if (strcmp(f->types.v[i], "domain") != 0 && strcmp(f->types.v[i], "hostname") != 0)
            return false;
    return true;
}

/* Pages through a pattern or composite-part search (misp_value_search.c). */
static int run_value_query(scan *s, const char *v, bool parts)
{
    kz_misp_value_query q = {.value = v, .parts = parts, .names_only = names_only(s->f),
                             .limit = PAGE_ROWS};
    for (;;) {
        kz_search_hit *hits;
        size_t n;
        int rc = kz_store_misp_value_search(s->r->st, &q, &s->r->arena, &hits, &n, &s->r->err);
        if (rc == KZ_E_VALUE) {
            kz_err_clear(&s->r->err);
            return 0;
        }
        for (size_t i = 0; rc == 0 && i < n && !s->stop; i++)
            rc = candidate(s, NULL, hits[i].event.id, NULL, &hits[i].ind, hits[i].seq, true);
        if (rc < 0)
            return rc;
        if (s->stop || n < q.limit || s->examined >= SCAN_CAP)
            return 0;
        q.after_seq = hits[n - 1].seq;
    }
}

static int by_values(scan *s)
{
    kz_buf norm;
    kz_buf_init(&norm);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->f->values.n && !s->stop; i++) {
        const char *v = s->f->values.v[i];
        if (kz_mf_is_pattern(v)) {
            rc = run_value_query(s, v, false);
            continue;
        }
        kz_search_query q = base_query(s->f);
        q.value = v;
        rc = run_query(s, &q, true);
        int t = kz_ioc_guess(v, strlen(v));
        bool other = t >= 0 && kz_ioc_normalize((kz_ioc_type)t, v, strlen(v), &norm, NULL) == 0 &&
                     strcmp(norm.p, v) != 0;
        if (rc == 0 && other) {
            q = base_query(s->f);
            q.value = norm.p;
            rc = run_query(s, &q, true);
        }
        /* The attributes of which it is one part (filename|sha256, ...). */
        if (rc == 0)
            rc = run_value_query(s, v, true);
        if (rc == 0 && other)
            rc = run_value_query(s, norm.p, true);
    }
    kz_buf_free(&norm);
    return rc;
}

/* All indicators of one event (by id). */
static int by_event(scan *s, const char *id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_event me;
    kz_err e;
    int rc = kz_store_misp_event_get(s->r->st, id, &a, &me, &e);
    if (rc == KZ_E_NOTFOUND) {
        kz_arena_free(&a);
        return 0;
    }
    if (rc < 0) {
        s->r->err = e;
        kz_arena_free(&a);
        return rc;
    }
    kz_mev *m = kz_mev_get(s->r, s->cache, id, NULL, me.seq, NULL);
    for (size_t i = 0; m && rc == 0 && i < me.ev.n_indicators && !s->stop; i++)
        rc = candidate(s, m, id, NULL, &me.ev.indicators[i], me.attrs[i].seq, true);
    if (!m && s->r->err.code)
        rc = s->r->err.code;
    kz_arena_free(&a);
    return rc;
}

static int by_event_ids(scan *s)
{
    for (size_t i = 0; i < s->f->eventids.n && !s->stop; i++) {
        const char *v = s->f->eventids.v[i];
        kz_uuid id;
        char *end;
        long long seq = strtoll(v, &end, 10);
        if (*v && !*end) {
            kz_err e;
            if (kz_store_misp_event_id(s->r->st, seq, id, &e) != 0)
                continue;
        } else if (!kz_uuid_normalize(v, id)) {
            continue;
        }
        int rc = by_event(s, id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int by_uuids(scan *s)
{
    for (size_t i = 0; i < s->f->uuids.n && !s->stop; i++) {
        kz_uuid id;
        if (!kz_uuid_normalize(s->f->uuids.v[i], id))
            continue;
        kz_indicator ind;
        kz_err e;
        /* an attribute's uuid: its event, filtered to it by the uuid filter */
        if (kz_store_indicator_get(s->r->st, id, &s->r->arena, &ind, &e) == 0) {
            int rc = by_event(s, ind.event_id);
            if (rc < 0)
                return rc;
            continue;
        }
        int rc = by_event(s, id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Without a selective parameter: every indicator in row order, with what
 * the store can filter itself. */
static int by_scan(scan *s)
{
    kz_search_query q = base_query(s->f);
    const kz_mf *f = s->f;
    if (f->types.n == 1) {
        const kz_misp_type_info *ti = kz_misp_type_find(f->types.v[0]);
        int t = ti ? ti->kz_type : kz_ioc_type_parse(f->types.v[0]);
        if (!ti && t >= 0 && strcmp(kz_ioc_type_name((kz_ioc_type)t), f->types.v[0]) != 0)
            t = -1; /* a MISP alias the store cannot filter exactly */
        if (ti && (t == KZ_MISP_ANY_IP || t == KZ_IOC_TEXT || ti->lenient))
            t = -1; /* several stored types, or typed text: filtered afterwards */
        q.type = t;
    }
    if (f->tags_or.n == 1 && !f->tags_and.n) {
        kz_tlp tl;
        kz_pap pp;
        if (kz_tag_as_tlp(f->tags_or.v[0], &tl) != 0 && kz_tag_as_pap(f->tags_or.v[0], &pp) != 0)
            q.tag = f->tags_or.v[0];
    }
    return run_query(s, &q, false);
}

int kz_misp_api_scan(kz_req *r, const kz_mf *f, kz_mev_cache *cache, kz_misp_attr_fn fn,
                     void *ctx)
{
    scan s = {.r = r, .f = f, .cache = cache, .fn = fn, .ctx = ctx};
    if (f->values.n)
        return by_values(&s);
    if (f->eventids.n)
        return by_event_ids(&s);
    if (f->uuids.n)
        return by_uuids(&s);
    return by_scan(&s);
}

/* ---- POST /attributes/restSearch -------------------------------------------- */

typedef struct attr_out {
    const kz_mf *f;
    size_t skip, want, got;
    json_t *list;
    kz_buf text;
    kz_export_writer *csv;
} attr_out;

static int emit(kz_req *r, void *ctx, kz_mev *m, const kz_indicator *ind, const kz_misp_attr *ma,
                const kz_misp_object *obj, bool *stop)
{
    attr_out *o = ctx;
    if (o->skip) {
        o->skip--;
        return 0;
    }
    int rc = 0;
    if (o->f->fmt == KZ_MF_JSON) {
        json_t *a = kz_misp_attribute_json(ind, ma, obj, &m->ev, m->seq, m->orgc.uuid,
                                           o->f->event_tags);
        if (!a || json_array_append_new(o->list, a) < 0)
            rc = kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    } else if (o->f->fmt == KZ_MF_CSV) {
        kz_export_row row = {.ind = ind,
                             .ma = ma,
                             .ev = &m->ev,
                             .event_seq = m->seq,
                             .org_name = m->orgc.name,
                             .object_uuid = obj ? obj->uuid : NULL,
                             .object_name = obj ? obj->name : NULL,
                             .object_meta_category = obj ? obj->meta_category : NULL};
        if (kz_export_row_write(o->csv, &row, &o->text) < 0)
            rc = kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    } else {
        kz_buf v;
        kz_buf_init(&v);
        if (kz_misp_value_out(ind, ma, &v) < 0 || kz_buf_append(&o->text, v.p, v.len) < 0 ||
            kz_buf_putc(&o->text, '\n') < 0)
            rc = kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        kz_buf_free(&v);
    }
    if (++o->got >= o->want)
        *stop = true;
    return rc;
}

int kz_misp_api_attrs_search(kz_req *r)
{
    kz_mf f;
    int rc = kz_mf_parse(r, &f);
    if (rc < 0)
        return rc;
    size_t limit = f.limit ? f.limit : DEFAULT_CAP;
    attr_out o = {.f = &f, .skip = (f.page - 1) * limit, .want = limit};
    kz_buf_init(&o.text);
    if (f.fmt == KZ_MF_JSON && !(o.list = json_array()))
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if (f.fmt == KZ_MF_CSV) {
        rc = kz_export_writer_new(KZ_EXPORT_CSV, NULL, &o.csv, &r->err);
        if (rc == 0)
            rc = kz_export_begin(o.csv, &o.text);
    }
    kz_mev_cache cache = {0};
    if (rc == 0)
        rc = kz_misp_api_scan(r, &f, &cache, emit, &o);
    kz_export_writer_free(o.csv);
    if (rc < 0) {
        json_decref(o.list);
        kz_buf_free(&o.text);
        return rc;
    }
    if (f.fmt == KZ_MF_CSV)
        return kz_misp_api_send_text(r, "text/csv; charset=utf-8", &o.text);
    if (f.fmt == KZ_MF_TEXT)
        return kz_misp_api_send_text(r, "text/plain; charset=utf-8", &o.text);
    kz_buf_free(&o.text);
    return kz_http_ok(r, MHD_HTTP_OK, json_pack("{s:{s:o}}", "response", "Attribute", o.list));
}
