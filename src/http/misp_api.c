/* misp_api.c — what the MISP-compatible routes share: the version answer,
 * MISP's search parameters (each may be a string, a list, a list with
 * "!"-negated entries, or {"OR":[..],"AND":[..],"NOT":[..]}), a
 * per-request cache of events with their access decision, and the event
 * view with its RelatedEvent list.
 *
 * MISP clients send a key as the bare Authorization header; auth.c accepts
 * that next to "Bearer". Every object passes the same ACL as the native
 * API: events through kz_acl_allows, attributes through
 * kz_acl_indicator_allows. An event the caller may not see does not exist.
 */
#include "misp_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LIST 1000
#define MAX_RELATED_SCAN 2000

int kz_misp_api_version(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    bool sync = r->who.role == KZ_ROLE_SYNC || r->who.role == KZ_ROLE_ADMIN;
    bool write = kz_acl_can_create_events(&r->who);
    return kz_http_ok(r, MHD_HTTP_OK,
                      json_pack("{s:s,s:s,s:b,s:b,s:b,s:o,s:b}", "version", KZ_MISP_API_VERSION,
                                "kizuna", KZ_VERSION, "perm_sync", sync, "perm_sighting", true,
                                "perm_galaxy_editor", false, "request_encoding",
                                json_pack("[s]", "json"), "perm_add", write));
}

int kz_misp_api_send_text(kz_req *r, const char *ctype, kz_buf *b)
{
    size_t len = b->len;
    char *body = len ? kz_buf_steal(b) : NULL;
    kz_buf_free(b);
    if (len && !body)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if (kz_http_send_raw(r, MHD_HTTP_OK, ctype, body, len) != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot send the answer");
    return 0;
}

/* ---- parameters ---------------------------------------------------------- */

static int bad(kz_req *r, const char *name, const char *what)
{
    return kz_fail(&r->err, KZ_E_INVALID, name, "%s: %s", name, what);
}

/* One scalar as text (strings and numbers; MISP clients send both). */
static const char *scalar(kz_req *r, const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        return kz_arena_printf(&r->arena, "%lld", (long long)json_integer_value(v));
    return NULL;
}

static int push(kz_req *r, kz_strlist *l, const char *s)
{
    if (l->n >= MAX_LIST)
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "more than %d values in a list", MAX_LIST);
    if (kz_strlist_push(&r->arena, l, s) < 0)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    return 0;
}

/* "x", "!x", ["x","!y"] and {"OR":..,"AND":..,"NOT":..} into lists. and may
 * be NULL: then AND entries count as OR. */
static int list_param(kz_req *r, const json_t *body, const char *name, kz_strlist *pos,
                      kz_strlist *and_, kz_strlist *neg)
{
    const json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_object(v)) {
        static const char *const keys[] = {"OR", "AND", "NOT"};
        kz_strlist *dst[] = {pos, and_ ? and_ : pos, neg};
        for (size_t k = 0; k < 3; k++) {
            const json_t *x = json_object_get(v, keys[k]);
            if (!x)
                continue;
            if (json_is_array(x)) {
                size_t i;
                json_t *e;
                json_array_foreach(x, i, e) {
                    const char *s = scalar(r, e);
                    if (!s)
                        return bad(r, name, "lists hold strings");
                    int rc = dst[k] ? push(r, dst[k], s) : bad(r, name, "cannot be negated");
                    if (rc < 0)
                        return rc;
                }
            } else {
                const char *s = scalar(r, x);
                if (!s)
                    return bad(r, name, "lists hold strings");
                int rc = dst[k] ? push(r, dst[k], s) : bad(r, name, "cannot be negated");
                if (rc < 0)
                    return rc;
            }
        }
        return 0;
    }
    const json_t *items[1] = {v};
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : items[0];
        const char *s = scalar(r, e);
        if (!s)
            return bad(r, name, "must be a string, a list of strings or {\"OR\":[..],"
                                "\"AND\":[..],\"NOT\":[..]}");
        int rc;
        if (s[0] == '!' && s[1]) {
            rc = neg ? push(r, neg, s + 1) : bad(r, name, "cannot be negated");
        } else {
            rc = push(r, pos, s);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int bool_param(kz_req *r, const json_t *body, const char *name, int *out)
{
    const json_t *v = json_object_get(body, name);
    *out = -1;
    if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
        return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    const char *s = scalar(r, v);
    if (s && (strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0))
        *out = 1;
    else if (s && (strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0))
        *out = 0;
    else
        return bad(r, name, "must be true or false");
    return 0;
}

/* "5d", "12h", "30m", "45s", "2w" or seconds. */
static int duration(const char *s, int64_t *secs)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0)
        return -1;
    int64_t mul = 1;
    if (*end == 'w')
        mul = 604800;
    else if (*end == 'd')
        mul = 86400;
    else if (*end == 'h')
        mul = 3600;
    else if (*end == 'm')
        mul = 60;
    else if (*end == 's' || *end == 0)
        mul = 1;
    else
        return -1;
    if (*end && end[1])
        return -1;
    if (n > INT64_MAX / 1000000 / mul)
        return -1;
    *secs = n * mul;
    return 0;
}

/* A date "2024-01-31", an RFC 3339 time, or epoch seconds. */
static int time_param(kz_req *r, const json_t *body, const char *name, bool relative,
                      kz_time *out)
{
    const json_t *v = json_object_get(body, name);
    *out = 0;
    if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
        return 0;
    const char *s = scalar(r, v);
    if (!s)
        return bad(r, name, "must be a date, a time or epoch seconds");
    int64_t secs;
    kz_err e;
    if (relative && duration(s, &secs) == 0 && strspn(s, "0123456789") != strlen(s)) {
        *out = kz_time_now() - secs * 1000000;
        return 0;
    }
    if (strspn(s, "0123456789") == strlen(s)) {
        long long x = strtoll(s, NULL, 10);
        if (x < 0 || x > 253402300799LL)
            return bad(r, name, "epoch seconds out of range");
        *out = (kz_time)x * 1000000;
        return 0;
    }
    if (kz_time_parse(s, out, &e) != 0)
        return kz_fail(&r->err, KZ_E_INVALID, name,
                       "%s: '%.64s' is not a date (2024-01-31), a time or epoch seconds%s", name,
                       s, relative ? " or a duration (5d, 12h)" : "");
    return 0;
}

static int size_param(kz_req *r, const json_t *body, const char *name, size_t max, size_t *out)
{
    const json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return 0;
    const char *s = scalar(r, v);
    char *end;
    unsigned long long n = s ? strtoull(s, &end, 10) : 0;
    if (!s || !*s || *end || n < 1 || n > max)
        return kz_fail(&r->err, KZ_E_INVALID, name, "%s: must be a number from 1 to %zu", name,
                       max);
    *out = (size_t)n;
    return 0;
}

int kz_mf_parse(kz_req *r, kz_mf *f)
{
    memset(f, 0, sizeof *f);
    f->published = f->to_ids = -1;
    f->page = 1;
    json_t *body = NULL;
    if (r->body.len) {
        int rc = kz_json_load(r->body.p, r->body.len, &body, &r->err);
        if (rc < 0)
            return rc;
        if (!json_is_object(body)) {
            json_decref(body);
            return kz_fail(&r->err, KZ_E_INVALID, NULL, "the body must be a JSON object");
        }
    }
    json_t *b = body;
    if (b && json_is_object(json_object_get(b, "request")))
        b = json_object_get(b, "request");
    int rc = 0;
    if (!rc)
        rc = list_param(r, b, "value", &f->values, NULL, &f->not_values);
    if (!rc)
        rc = list_param(r, b, "type", &f->types, NULL, &f->not_types);
    if (!rc)
        rc = list_param(r, b, "category", &f->cats, NULL, &f->not_cats);
    if (!rc)
        rc = list_param(r, b, "org", &f->orgs, NULL, &f->not_orgs);
    if (!rc)
        rc = list_param(r, b, "tags", &f->tags_or, &f->tags_and, &f->tags_not);
    if (!rc && !json_object_get(b, "tags"))
        rc = list_param(r, b, "tag", &f->tags_or, &f->tags_and, &f->tags_not);
    if (!rc)
        rc = list_param(r, b, "eventid", &f->eventids, NULL, NULL);
    if (!rc)
        rc = list_param(r, b, "uuid", &f->uuids, NULL, NULL);
    if (!rc)
        rc = time_param(r, b, "from", false, &f->from);
    if (!rc)
        rc = time_param(r, b, "to", false, &f->to);
    if (!rc)
        rc = time_param(r, b, "last", true, &f->published_since);
    if (!rc)
        rc = time_param(r, b, "timestamp", true, &f->ts_since);
    if (!rc)
        rc = bool_param(r, b, "published", &f->published);
    if (!rc)
        rc = bool_param(r, b, "to_ids", &f->to_ids);
    int flag = -1;
    if (!rc)
        rc = bool_param(r, b, "includeEventTags", &flag);
    f->event_tags = flag == 1;
    if (!rc)
        rc = bool_param(r, b, "withAttachments", &flag);
    f->attachments = flag == 1;
    if (!rc)
        rc = size_param(r, b, "limit", 100000, &f->limit);
    if (!rc)
        rc = size_param(r, b, "page", 1000000, &f->page);
    const char *fmt = b ? scalar(r, json_object_get(b, "returnFormat")) : NULL;
    if (!rc && fmt) {
        if (strcmp(fmt, "json") == 0)
            f->fmt = KZ_MF_JSON;
        else if (strcmp(fmt, "csv") == 0)
            f->fmt = KZ_MF_CSV;
        else if (strcmp(fmt, "text") == 0)
            f->fmt = KZ_MF_TEXT;
        else
            rc = kz_fail(&r->err, KZ_E_INVALID, "returnFormat",
                         "returnFormat: '%.32s' is not supported here (json, csv, text)", fmt);
    }
    const char *to = b ? scalar(r, json_object_get(b, "to")) : NULL;
    if (!rc && f->to && to && strlen(to) == 10 && strchr(to, '-'))
        f->to += 86400000000LL - 1; /* a date "to" includes that day */
    json_decref(body);
    f->attr_filters = f->values.n || f->not_values.n || f->types.n || f->not_types.n ||
                      f->cats.n || f->not_cats.n || f->to_ids >= 0 || f->uuids.n;
    return rc;
}

/* ---- matching -------------------------------------------------------------- */

static bool org_is(const kz_mev *m, const char *want)
{
    const char *ids[] = {m->orgc.uuid, m->ev.creator_org};
    const char *names[] = {m->orgc.name, m->org_name};
    for (size_t i = 0; i < 2; i++) {
        if (ids[i] && *ids[i] && strcasecmp(ids[i], want) == 0)
            return true;
        if (names[i] && strcasecmp(names[i], want) == 0)
            return true;
    }
    return false;
}

static bool any_org(const kz_strlist *l, const kz_mev *m)
{
    for (size_t i = 0; i < l->n; i++)
        if (org_is(m, l->v[i]))
            return true;
    return false;
}

static bool has_tag(const char *t, const kz_event *ev, const kz_indicator *ind)
{
    kz_tlp tl;
    kz_pap pp;
    if (kz_tag_as_tlp(t, &tl) == 0) {
        int eff = ind && ind->tlp > (int)ev->tlp ? ind->tlp : (int)ev->tlp;
        return (int)tl == eff;
    }
    if (kz_tag_as_pap(t, &pp) == 0)
        return pp == ev->pap;
    for (size_t i = 0; i < ev->tags.n; i++)
        if (strcasecmp(ev->tags.v[i], t) == 0)
            return true;
    for (size_t i = 0; ind && i < ind->tags.n; i++)
        if (strcasecmp(ind->tags.v[i], t) == 0)
            return true;
    return false;
}

static bool tags_match(const kz_mf *f, const kz_event *ev, const kz_indicator *ind)
{
    if (f->tags_or.n) {
        bool any = false;
        for (size_t i = 0; !any && i < f->tags_or.n; i++)
            any = has_tag(f->tags_or.v[i], ev, ind);
        if (!any)
            return false;
    }
    for (size_t i = 0; i < f->tags_and.n; i++)
        if (!has_tag(f->tags_and.v[i], ev, ind))
            return false;
    for (size_t i = 0; i < f->tags_not.n; i++)
        if (has_tag(f->tags_not.v[i], ev, ind))
            return false;
    return true;
}

static bool event_id_is(const kz_mev *m, const char *want)
{
    if (strcasecmp(want, m->ev.id) == 0)
        return true;
    char *end;
    long long n = strtoll(want, &end, 10);
    return *want && !*end && n == m->seq;
}

bool kz_mf_match_event(const kz_mf *f, const kz_mev *m)
{
    const kz_event *ev = &m->ev;
    if (f->published >= 0 && (int)ev->published != f->published)
        return false;
    if (f->orgs.n && !any_org(&f->orgs, m))
        return false;
    if (f->not_orgs.n && any_org(&f->not_orgs, m))
        return false;
    if (f->from && ev->created < f->from)
        return false;
    if (f->to && ev->created > f->to)
        return false;
    if (f->published_since && (!ev->published || ev->published_at < f->published_since))
        return false;
    if (f->eventids.n) {
        bool any = false;
        for (size_t i = 0; !any && i < f->eventids.n; i++)
            any = event_id_is(m, f->eventids.v[i]);
        if (!any)
            return false;
    }
    return true;
}

static bool in_list(const kz_strlist *l, const char *s)
{
    for (size_t i = 0; s && i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static bool type_is(const char *want, const kz_indicator *ind, const kz_misp_attr *ma)
{
    const char *mt = ma && ma->type ? ma->type : kz_misp_default_type(ind);
    return strcmp(want, mt) == 0 || strcmp(want, kz_ioc_type_name(ind->type)) == 0;
}

bool kz_mf_match_attr(const kz_mf *f, const kz_mev *m, const kz_indicator *ind,
                      const kz_misp_attr *ma)
{
    if (!kz_mf_match_event(f, m))
        return false;
    if (f->to_ids >= 0 && (int)ind->to_ids != f->to_ids)
        return false;
    if (f->ts_since && ind->modified < f->ts_since)
        return false;
    if (f->types.n) {
        bool any = false;
        for (size_t i = 0; !any && i < f->types.n; i++)
            any = type_is(f->types.v[i], ind, ma);
        if (!any)
            return false;
    }
    for (size_t i = 0; i < f->not_types.n; i++)
        if (type_is(f->not_types.v[i], ind, ma))
            return false;
    const char *cat = ma ? ma->category : NULL;
    if (f->cats.n && !in_list(&f->cats, cat))
        return false;
    if (f->not_cats.n && in_list(&f->not_cats, cat))
        return false;
    if (f->values.n) {
        bool any = false;
        for (size_t i = 0; !any && i < f->values.n; i++)
            any = kz_mf_value_is(f->values.v[i], ind, ma);
        if (!any)
            return false;
    }
    for (size_t i = 0; i < f->not_values.n; i++)
        if (kz_mf_value_is(f->not_values.v[i], ind, ma))
            return false;
    if (f->uuids.n && !in_list(&f->uuids, ind->id) && !in_list(&f->uuids, m->ev.id))
        return false;
    return tags_match(f, &m->ev, ind);
}

/* ---- the event cache ---------------------------------------------------------- */

static kz_mev **slot_of(kz_mev_cache *c, const char *id)
{
    size_t i = kz_hash64(id, strlen(id)) & (c->cap - 1);
    while (c->slot[i] && strcmp(c->slot[i]->id, id) != 0)
        i = (i + 1) & (c->cap - 1);
    return &c->slot[i];
}

static int cache_grow(kz_req *r, kz_mev_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 256;
    kz_mev **old = c->slot;
    size_t oldcap = c->cap;
    c->slot = kz_arena_alloc(&r->arena, cap * sizeof *c->slot);
    if (!c->slot)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    c->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            *slot_of(c, old[i]->id) = old[i];
    return 0;
}

/* An org's name and communities, once per request. */
static kz_mev_org *org_of(kz_req *r, kz_mev_cache *c, const char *id)
{
    for (size_t i = 0; i < c->n_orgs; i++)
        if (strcmp(c->orgs[i].id, id) == 0)
            return &c->orgs[i];
    if (c->n_orgs == c->cap_orgs) {
        size_t cap = c->cap_orgs ? c->cap_orgs * 2 : 8;
        kz_mev_org *v = kz_arena_alloc(&r->arena, cap * sizeof *v);
        if (!v)
            return NULL;
        if (c->n_orgs)
            memcpy(v, c->orgs, c->n_orgs * sizeof *v);
        c->orgs = v;
        c->cap_orgs = cap;
    }
    kz_mev_org *o = &c->orgs[c->n_orgs];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    kz_org org;
    kz_err e;
    if (kz_store_org_get(r->st, id, &r->arena, &org, &e) == 0)
        o->name = org.name;
    c->n_orgs++;
    return o;
}

/* The access object of an event, as kz_store_acl_object_load fills it, with
 * the creator's communities read once per org and request. */
static int acl_of(kz_req *r, kz_mev_cache *c, kz_mev *m)
{
    if (m->ev.distribution == KZ_DIST_SHARING_GROUP)
        return kz_http_acl_object(r, &m->ev, &m->acl);
    kz_mev_org *o = org_of(r, c, m->ev.creator_org);
    if (!o)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if (!o->communities) {
        kz_strlist *l = kz_arena_alloc(&r->arena, sizeof *l);
        if (!l)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        int rc = kz_store_org_communities(r->st, m->ev.creator_org, &r->arena, l, &r->err);
        if (rc < 0)
            return rc;
        o->communities = l;
    }
    memset(&m->acl, 0, sizeof m->acl);
    m->acl.creator_org = m->ev.creator_org;
    m->acl.creator_user = m->ev.creator_user;
    m->acl.tlp = m->ev.tlp;
    m->acl.distribution = m->ev.distribution;
    m->acl.published = m->ev.published;
    m->acl.community_id = m->ev.community_id;
    m->acl.recipient_orgs = &m->ev.recipient_orgs;
    m->acl.recipient_users = &m->ev.recipient_users;
    m->acl.creator_communities = o->communities;
    return 0;
}

kz_mev *kz_mev_get(kz_req *r, kz_mev_cache *c, const char *id, const kz_event *known,
                   int64_t seq, const kz_misp_org_ref *orgc)
{
    if ((c->n + 1) * 2 > c->cap && cache_grow(r, c) < 0)
        return NULL;
    kz_mev **s = slot_of(c, id);
    if (*s)
        return *s;
    kz_mev *m = kz_arena_alloc(&r->arena, sizeof *m);
    if (!m) {
        kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        return NULL;
    }
    snprintf(m->id, sizeof m->id, "%s", id);
    kz_err e = {0};
    int rc = known ? 0 : kz_store_event_get(r->st, id, false, &r->arena, &m->ev, &e);
    if (known)
        m->ev = *known;
    if (rc == KZ_E_NOTFOUND)
        return NULL;
    m->seq = seq;
    if (rc == 0 && !seq)
        rc = kz_store_misp_event_seq(r->st, id, &m->seq, &e);
    if (rc == 0)
        rc = acl_of(r, c, m);
    if (rc == 0)
        m->visible = kz_acl_allows(&r->who, &m->acl, KZ_ACL_VIEW, NULL);
    if (rc == 0 && m->visible) {
        if (orgc)
            m->orgc = *orgc;
        else
            rc = kz_store_misp_orgc(r->st, m->seq, &r->arena, &m->orgc, &e);
        if (rc == 0 && !m->orgc.uuid[0])
            memcpy(m->orgc.uuid, m->ev.creator_org, sizeof m->orgc.uuid);
        kz_mev_org *o = rc == 0 ? org_of(r, c, m->ev.creator_org) : NULL;
        m->org_name = o ? o->name : NULL;
        if (rc == 0 && !m->orgc.name) {
            kz_mev_org *oc = org_of(r, c, m->orgc.uuid);
            m->orgc.name = oc ? oc->name : NULL;
        }
    }
    if (rc < 0) {
        if (r->err.code == 0)
            r->err = e;
        return NULL;
    }
    m->loaded = true;
    *s = m;
    c->n++;
    return m;
}

/* ---- narrowing and the event view ------------------------------------------- */

int kz_misp_api_narrow(kz_req *r, const kz_acl_object *obj, kz_misp_event *me)
{
    long *remap = me->n_objects ? kz_arena_alloc(&r->arena, me->n_objects * sizeof *remap) : NULL;
    if (me->n_objects && !remap)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < me->n_objects; k++)
        remap[k] = -1;
    size_t n = 0;
    for (size_t i = 0; i < me->ev.n_indicators; i++) {
        if (!kz_acl_indicator_allows(&r->who, obj, &me->ev.indicators[i], KZ_ACL_VIEW, NULL))
            continue;
        if (me->attrs[i].object >= 0)
            remap[me->attrs[i].object] = 0;
        me->ev.indicators[n] = me->ev.indicators[i];
        me->attrs[n++] = me->attrs[i];
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
    return 0;
}

/* The events that share a value with this one and that the caller may see. */
static int related(kz_req *r, const kz_misp_event *me, kz_misp_related **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    kz_mev_cache cache = {0};
    size_t cap = 0;
    size_t scanned = 0;
    for (size_t i = 0; i < me->ev.n_indicators && scanned < MAX_RELATED_SCAN; i++) {
        const kz_indicator *ind = &me->ev.indicators[i];
        if (ind->type == KZ_IOC_TEXT || me->attrs[i].disable_correlation)
            continue;
        scanned++;
        kz_corr c;
        int rc = kz_corr_indicator(r, ind, me->ev.id, &c);
        if (rc < 0)
            return rc;
        for (size_t h = 0; h < c.n_hits; h++) {
            kz_mev *m = kz_mev_get(r, &cache, c.hits[h].event_id, NULL, 0, NULL);
            if (!m) {
                if (r->err.code)
                    return r->err.code;
                continue;
            }
            if (!m->visible)
                continue;
            bool dup = false;
            for (size_t k = 0; k < *n && !dup; k++)
                dup = strcmp((*out)[k].id, m->id) == 0;
            if (dup)
                continue;
            if (*n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                kz_misp_related *v = kz_arena_alloc(&r->arena, nc * sizeof *v);
                if (!v)
                    return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
                if (*n)
                    memcpy(v, *out, *n * sizeof *v);
                *out = v;
                cap = nc;
            }
            kz_misp_related *x = &(*out)[(*n)++];
            memset(x, 0, sizeof *x);
            x->seq = m->seq;
            memcpy(x->id, m->id, sizeof x->id);
            x->info = m->ev.title;
            memcpy(x->org_id, m->ev.creator_org, sizeof x->org_id);
            memcpy(x->orgc_id, m->orgc.uuid, sizeof x->orgc_id);
            x->org_name = m->org_name;
            x->orgc_name = m->orgc.name;
            x->date = m->ev.created;
            x->modified = m->ev.modified;
            x->threat_level = m->ev.threat_level;
            x->analysis = m->ev.analysis;
            x->distribution = m->ev.distribution;
            x->published = m->ev.published;
        }
    }
    return 0;
}

json_t *kz_misp_api_event_json(kz_req *r, kz_misp_event *me, bool attachments)
{
    kz_misp_related *rel = NULL;
    size_t n_rel = 0;
    if (related(r, me, &rel, &n_rel) < 0)
        return NULL;
    kz_misp_json_opts o = {.sightings = true, .attachments = attachments, .related = rel,
                           .n_related = n_rel};
    json_t *j = kz_misp_event_json(me, &o);
    /* An event without related events still has the (empty) list. */
    json_t *e = json_object_get(j, "Event");
    if (e && !json_object_get(e, "RelatedEvent"))
        json_object_set_new(e, "RelatedEvent", json_array());
    return j;
}
