/* misp_api_events.c — MISP's event routes: POST /events/add, GET
 * /events/view/{id|uuid}, GET|POST /events/index, POST /events/restSearch.
 *
 * Events are answered the way MISP answers them ({"Event":{...}} for one,
 * {"response":[{"Event":..},..]} for a search, a bare array for the index),
 * with only what the caller may see: events through kz_acl_allows,
 * attributes through kz_acl_indicator_allows. An event the caller may not
 * see answers 404, like one that does not exist.
 *
 * /events/add files the event under the caller's org, as the native API
 * does; the MISP creator (Orgc) is kept only for sync accounts (a peer
 * pushing what others created), and only they may create the orgs and
 * sharing groups an event names or replace an event by a newer copy.
 */
#include "misp_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_EVENTS 100
#define MAX_INDEX_SCAN 20000

static bool role_publishes(kz_role r)
{
    return r == KZ_ROLE_ADMIN || r == KZ_ROLE_ORG_ADMIN || r == KZ_ROLE_PUBLISHER ||
           r == KZ_ROLE_SYNC;
}

/* Loads an event by MISP id (row number) or UUID; 404 unless visible. */
static int load_visible(kz_req *r, const char *param, kz_misp_event *me, kz_acl_object *obj)
{
    kz_uuid id;
    char *end;
    long long seq = strtoll(param, &end, 10);
    kz_err e;
    if (*param && !*end && seq > 0) {
        if (kz_store_misp_event_id(r->st, seq, id, &e) != 0)
            return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such event '%.40s'", param);
    } else if (strlen(param) != KZ_UUID_STRLEN || !kz_uuid_normalize(param, id)) {
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such event '%.40s'",
                       kz_utf8_valid(param, strlen(param)) ? param : "");
    }
    int rc = kz_store_misp_event_get(r->st, id, &r->arena, me, &r->err);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such event '%s'", id);
    if (rc < 0)
        return rc;
    if ((rc = kz_http_acl_object(r, &me->ev, obj)) < 0)
        return rc;
    if (!kz_acl_allows(&r->who, obj, KZ_ACL_VIEW, NULL))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such event '%s'", id);
    return kz_misp_api_narrow(r, obj, me);
}

static bool flag_query(kz_req *r, const char *name)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

int kz_misp_api_event_view(kz_req *r)
{
    kz_misp_event me;
    kz_acl_object obj;
    int rc = load_visible(r, r->n_params ? r->params[0] : "", &me, &obj);
    if (rc < 0)
        return rc;
    bool att = flag_query(r, "withAttachments") || flag_query(r, "with_attachments");
    kz_http_audit_read(r, "event", me.ev.id, (int)me.ev.tlp); /* notifications: audit */
    return kz_http_ok(r, MHD_HTTP_OK, kz_misp_api_event_json(r, &me, att));
}

/* ---- add ---------------------------------------------------------------------- */

/* The request's event as the caller may add it: created by the caller's
 * org (a sync principal keeps the document's), published only by roles
 * that publish, shared only into a group the caller's org is in; then
 * stored. Called by kz_misp_text_import, while a big event's attributes
 * are still being parsed. */
static int add_one(void *ctx, kz_misp_event *me, size_t i, size_t n, kz_err *err)
{
    (void)i;
    kz_req *r = ctx;
    if (n != 1)
        return kz_fail(err, KZ_E_VALUE, NULL,
                       "the body holds %zu events; events/add takes one (a feed: kizuna misp "
                       "import)",
                       n);
    bool sync = r->who.role == KZ_ROLE_SYNC;
    if (!sync) {
        /* The caller's org created it, whatever the document says. */
        memset(&me->orgc, 0, sizeof me->orgc);
        memcpy(me->orgc.uuid, r->who.org_id, sizeof me->orgc.uuid);
    }
    if (!role_publishes(r->who.role) && me->ev.published) {
        me->ev.published = false;
        me->ev.published_at = 0;
    } else if (me->ev.published && !sync) {
        me->ev.published_at = kz_time_now(); /* published now, by this request */
    }
    /* Sharing into a group one is not in is refused, as in the native API. */
    if (me->ev.distribution == KZ_DIST_SHARING_GROUP && me->sg && !sync) {
        kz_uuid gid;
        kz_sharing_group g;
        kz_err e;
        bool member =
            kz_store_misp_sharing_group_resolve(r->st, me->sg, false, gid, &e) == 0 &&
            kz_store_sharing_group_get(r->st, gid, &r->arena, &g, &e) == 0 &&
            (strcmp(g.owner_org, r->who.org_id) == 0 ||
             kz_strlist_has(&g.member_orgs, r->who.org_id));
        if (!member)
            return kz_fail(err, KZ_E_VALUE, "SharingGroup",
                           "SharingGroup: no sharing group '%.100s' that your organisation is in",
                           me->sg->name);
    }
    kz_misp_put_opts o = {.owner_org = r->who.org_id,
                          .owner_user = r->who.user_id,
                          .create_orgs = sync,
                          .replace = sync};
    return kz_store_misp_event_put(r->st, me, &o, NULL, err);
}

int kz_misp_api_event_add(kz_req *r)
{
    if (!kz_acl_can_create_events(&r->who))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "your role (%s) may not create events; analysts and up can",
                       kz_role_name(r->who.role));
    if (r->body.len == 0)
        return kz_fail(&r->err, KZ_E_INVALID, NULL,
                       "the request body is empty; send a JSON document");
    /* The import path of files and feeds: attachments read from the body
     * itself, a big event stored while it is parsed. */
    kz_misp_import_opts po = {.default_tlp = -1, .default_distribution = -1};
    kz_misp_sink sink = {.put = add_one, .ctx = r};
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_event me;
    int rc = kz_misp_text_import(r->body.p, r->body.len, &po, &sink, &a, &me, &r->err);
    kz_uuid id = "";
    if (rc == 0)
        memcpy(id, me.ev.id, sizeof id);
    kz_arena_free(&a);
    if (rc < 0) {
        if (r->err.code == 0)
            r->err.code = rc;
        return rc;
    }
    kz_misp_event back;
    kz_acl_object obj;
    if ((rc = load_visible(r, id, &back, &obj)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_misp_api_event_json(r, &back, false));
}

/* ---- events by filter ----------------------------------------------------------- */

typedef struct ev_pick {
    size_t skip, want;
    kz_uuid *ids;
    size_t n, cap;
    const char *last; /* attributes of one event come together: a cheap repeat check */
} ev_pick;

static int pick_event(ev_pick *p, kz_req *r, const char *id, bool *stop)
{
    if (p->last && strcmp(p->last, id) == 0)
        return 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->ids[i], id) == 0)
            return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        kz_uuid *v = kz_arena_alloc(&r->arena, cap * sizeof *v);
        if (!v)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        if (p->n)
            memcpy(v, p->ids, p->n * sizeof *v);
        p->ids = v;
        p->cap = cap;
    }
    snprintf(p->ids[p->n], sizeof p->ids[p->n], "%s", id);
    p->last = p->ids[p->n];
    p->n++;
    if (p->n >= p->want)
        *stop = true;
    return 0;
}

static int pick_from_attr(kz_req *r, void *ctx, kz_mev *m, const kz_indicator *ind,
                          const kz_misp_attr *ma, const kz_misp_object *obj, bool *stop)
{
    (void)ind, (void)ma, (void)obj;
    return pick_event(ctx, r, m->id, stop);
}

/* Events matching event-level filters, newest first. */
static int pick_by_events(kz_req *r, const kz_mf *f, kz_mev_cache *cache, ev_pick *p)
{
    /* Orgs are matched afterwards: Orgc may differ from the owner org. */
    kz_event_filter flt = {.published = f->published, .after_id = "", .limit = 200};
    kz_uuid after = "";
    size_t examined = 0;
    bool stop = false;
    for (;;) {
        kz_event *evs = NULL;
        size_t n = 0;
        int rc = kz_store_event_list(r->st, &flt, &r->arena, &evs, &n, &r->err);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n && !stop; i++, examined++) {
            kz_mev *m = kz_mev_get(r, cache, evs[i].id, &evs[i], 0, NULL);
            if (!m) {
                if (r->err.code)
                    return r->err.code;
                continue;
            }
            if (!m->visible || !kz_mf_match_event(f, m))
                continue;
            /* event-level tags: the event's own (and its TLP) */
            bool tags_ok = true;
            for (size_t k = 0; tags_ok && k < f->tags_and.n; k++)
                tags_ok = kz_strlist_has(&m->ev.tags, f->tags_and.v[k]);
            for (size_t k = 0; tags_ok && k < f->tags_not.n; k++)
                tags_ok = !kz_strlist_has(&m->ev.tags, f->tags_not.v[k]);
            if (tags_ok && f->tags_or.n) {
                bool any = false;
                for (size_t k = 0; !any && k < f->tags_or.n; k++) {
                    kz_tlp tl;
                    any = kz_strlist_has(&m->ev.tags, f->tags_or.v[k]) ||
                          (kz_tag_as_tlp(f->tags_or.v[k], &tl) == 0 && tl == m->ev.tlp);
                }
                tags_ok = any;
            }
            if (!tags_ok)
                continue;
            if ((rc = pick_event(p, r, m->id, &stop)) < 0)
                return rc;
        }
        if (stop || n < flt.limit || examined >= MAX_INDEX_SCAN)
            return 0;
        flt.after_time = evs[n - 1].modified;
        memcpy(after, evs[n - 1].id, sizeof after);
        flt.after_id = after;
    }
}

static int pick(kz_req *r, const kz_mf *f, size_t limit, ev_pick *p)
{
    memset(p, 0, sizeof *p);
    p->skip = (f->page - 1) * limit;
    p->want = p->skip + limit;
    kz_mev_cache cache = {0};
    if (f->attr_filters || f->eventids.n)
        return kz_misp_api_scan(r, f, &cache, pick_from_attr, p);
    return pick_by_events(r, f, &cache, p);
}

int kz_misp_api_events_search(kz_req *r)
{
    kz_mf f;
    int rc = kz_mf_parse(r, &f);
    if (rc < 0)
        return rc;
    if (f.fmt != KZ_MF_JSON)
        /* csv and text are attribute lists, as in MISP. */
        return kz_misp_api_attrs_search(r);
    size_t limit = f.limit ? f.limit : DEFAULT_EVENTS;
    ev_pick p;
    if ((rc = pick(r, &f, limit, &p)) < 0)
        return rc;
    json_t *list = json_array();
    if (!list)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t first = (f.page - 1) * limit;
    for (size_t i = first; i < p.n; i++) {
        kz_misp_event me;
        kz_acl_object obj;
        rc = load_visible(r, p.ids[i], &me, &obj);
        if (rc == KZ_E_NOTFOUND) {
            kz_err_clear(&r->err);
            continue;
        }
        kz_misp_json_opts o = {.sightings = true, .attachments = f.attachments};
        json_t *e = rc == 0 ? kz_misp_event_json(&me, &o) : NULL;
        if (rc < 0 || !e || json_array_append_new(list, e) < 0) {
            json_decref(list);
            return rc < 0 ? rc : kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK, json_pack("{s:o}", "response", list));
}

int kz_misp_api_events_index(kz_req *r)
{
    kz_mf f;
    int rc = kz_mf_parse(r, &f);
    if (rc < 0)
        return rc;
    size_t limit = f.limit ? f.limit : DEFAULT_EVENTS * 10;
    ev_pick p;
    if ((rc = pick(r, &f, limit, &p)) < 0)
        return rc;
    json_t *list = json_array();
    if (!list)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    kz_mev_cache cache = {0};
    for (size_t i = (f.page - 1) * limit; i < p.n; i++) {
        kz_mev *m = kz_mev_get(r, &cache, p.ids[i], NULL, 0, NULL);
        if (!m || !m->visible) {
            if (!m && r->err.code) {
                json_decref(list);
                return r->err.code;
            }
            continue;
        }
        size_t count = 0;
        rc = kz_store_misp_attr_count(r->st, m->seq, &r->who, &m->acl, &count, &r->err);
        json_t *e = rc == 0 ? kz_misp_event_index_json(&m->ev, m->seq, count, m->orgc.uuid,
                                                       m->orgc.name, m->org_name)
                            : NULL;
        if (rc < 0 || !e || json_array_append_new(list, e) < 0) {
            json_decref(list);
            return rc < 0 ? rc : kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK, list);
}
