/* api_stix.c — STIX 2.1 over the native API: GET /api/v1/events/{id}/stix
 * (the event as a bundle) and POST /api/v1/stix (import a bundle, all or
 * nothing). TAXII, with its own media types and collections, is elsewhere.
 *
 * The export asks the ACL about every object it writes: the event itself
 * for export (TLP:RED never leaves in a bundle), each of its own indicators,
 * and each stored STIX object through the event that object belongs to,
 * with the object's own TLP when stricter — an object referenced from this
 * event but living in another one is included only if that one is visible.
 */
#include "http_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- export ------------------------------------------------------------------ */

#define ACL_CACHE 32

typedef struct acl_entry {
    kz_uuid id;
    bool visible;       /* the event exists and may be exported */
    kz_acl_object obj;
    kz_event ev;
} acl_entry;

typedef struct acl_ctx {
    kz_req *r;
    acl_entry *v;
    size_t n, next;
} acl_ctx;

static acl_entry *entry_for(acl_ctx *c, const char *event_id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].id, event_id) == 0)
            return &c->v[i];
    acl_entry *e = &c->v[c->n < ACL_CACHE ? c->n++ : 1 + (c->next++ % (ACL_CACHE - 1))];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", event_id);
    kz_err err;
    kz_req *r = c->r;
    if (kz_store_event_get(r->st, event_id, false, &r->arena, &e->ev, &err) == 0 &&
        kz_store_acl_object_load(r->st, &e->ev, &r->arena, &e->obj, &err) == 0)
        e->visible = kz_acl_allows(&r->who, &e->obj, KZ_ACL_EXPORT, NULL);
    return e;
}

/* An object is seen through its event, like an indicator: both the event's
 * rules and the object's own TLP (when stricter) must allow it. */
static bool allow_obj(void *ctx, const kz_stix_obj *o)
{
    acl_ctx *c = ctx;
    if (!o->event_id[0])
        return false;
    acl_entry *e = entry_for(c, o->event_id);
    if (!e->visible)
        return false;
    kz_indicator as_ind = {.tlp = (int)o->tlp, .distribution = -1};
    return kz_acl_indicator_allows(&c->r->who, &e->obj, &as_ind, KZ_ACL_EXPORT, NULL);
}

static bool allow_ind(void *ctx, const kz_indicator *ind)
{
    acl_ctx *c = ctx;
    return c->n > 0 && kz_acl_indicator_allows(&c->r->who, &c->v[0].obj, ind, KZ_ACL_EXPORT, NULL);
}

int kz_api_event_stix(kz_req *r)
{
    kz_uuid id;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_route(r, KZ_ACL_VIEW, id, &ev, &obj);
    if (rc < 0)
        return rc;
    const char *why = NULL;
    if (!kz_acl_allows(&r->who, &obj, KZ_ACL_EXPORT, &why))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "exporting this event is not allowed: %s",
                       why ? why : "your role or organisation may not");
    acl_entry *cache = kz_arena_alloc(&r->arena, ACL_CACHE * sizeof *cache);
    if (!cache)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    /* Slot 0 is the exported event, already decided. */
    acl_ctx c = {.r = r, .v = cache, .n = 1, .next = 1};
    memcpy(cache[0].id, ev.id, sizeof cache[0].id);
    cache[0].visible = true;
    cache[0].obj = obj;
    cache[0].ev = ev;
    kz_stix_export_opts eo = {.allow_obj = allow_obj, .allow_ind = allow_ind, .ctx = &c};
    kz_buf b;
    kz_buf_init(&b);
    rc = kz_stix_export_event(r->st, id, &eo, &b, NULL, &r->err);
    if (rc < 0) {
        kz_buf_free(&b);
        return rc;
    }
    size_t len = b.len;
    /* The bundle is written as text: stored objects are sent byte for byte,
     * never re-serialised. */
    if (kz_http_send_raw(r, MHD_HTTP_OK, "application/json", kz_buf_steal(&b), len) != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot send the bundle");
    return 0;
}

/* ---- import ------------------------------------------------------------------ */

int kz_api_stix_import(kz_req *r)
{
    static const char *const allowed[] = {"tlp", "distribution", "publish", NULL};
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    if (!kz_acl_can_create_events(&r->who))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "your role (%s) may not import; analysts and up can",
                       kz_role_name(r->who.role));
    const char *tlp_s = NULL, *dist_s = NULL;
    int publish = 0;
    if ((rc = kz_http_query(r, "tlp", &tlp_s)) < 0 ||
        (rc = kz_http_query(r, "distribution", &dist_s)) < 0 ||
        (rc = kz_http_query_bool(r, "publish", &publish)) < 0)
        return rc;
    int tlp = kz_tlp_parse(tlp_s ? tlp_s : "amber");
    if (tlp < 0)
        return kz_fail(&r->err, KZ_E_INVALID, "tlp",
                       "tlp: '%.32s' is not clear, green, amber, amber+strict or red", tlp_s);
    int dist = kz_distribution_parse(dist_s ? dist_s : "org");
    if (dist < 0 || dist == KZ_DIST_SHARING_GROUP)
        return kz_fail(&r->err, KZ_E_INVALID, "distribution",
                       "distribution: '%.32s' is not org, community, connected or all", dist_s);
    if (r->body.len == 0)
        return kz_fail(&r->err, KZ_E_INVALID, NULL,
                       "the request body is empty; send a STIX bundle");
    kz_stix_import_opts o = {
        .org_id = r->who.org_id,
        .user_id = r->who.user_id,
        .default_tlp = (kz_tlp)tlp,
        .distribution = (kz_distribution)dist,
        .publish = publish == 1,
        /* Making organisations is the node admin's business. */
        .create_orgs = kz_http_is_admin(r),
    };
    kz_stix_report rep;
    /* The bundle is parsed object by object, outside kz_json_load: put the
     * same memory budget around it (the import gives each of its reading
     * threads one too) so a hostile body cannot make jansson hold
     * gigabytes; past it, nothing is stored (413). */
    kz_json_budget_begin(r->body.len);
    rc = kz_stix_import(r->st, r->body.p, r->body.len, &o, true, &r->arena, &rep, &r->err);
    if (kz_json_budget_end() && rc != KZ_E_TOOLARGE)
        rc = kz_stix_too_complex(&r->err, r->body.len);
    if (rc == KZ_E_VALUE && rep.errors.n) {
        r->errs = rep.errors;
        return rc;
    }
    if (rc < 0)
        return rc;
    json_t *events = json_array();
    for (size_t i = 0; events && i < rep.events.n; i++)
        json_array_append_new(events, json_string(rep.events.v[i]));
    json_t *out = json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:o}", "objects",
                            (json_int_t)rep.n_objects, "stored", (json_int_t)rep.n_stored,
                            "duplicates", (json_int_t)rep.n_duplicates, "events", events,
                            "events_created", (json_int_t)rep.n_events, "indicators",
                            (json_int_t)rep.n_indicators, "sightings",
                            (json_int_t)rep.n_sightings, "orgs_created",
                            (json_int_t)rep.n_orgs_created, "warnings",
                            kz_json_errlist(&rep.warnings));
    /* What newer versions of known objects changed (docs/stix.md). */
    if (out) {
        json_object_set_new(out, "indicators_updated", json_integer((json_int_t)rep.n_indicators_updated));
        json_object_set_new(out, "indicators_deleted", json_integer((json_int_t)rep.n_indicators_deleted));
        json_object_set_new(out, "objects_moved", json_integer((json_int_t)rep.n_objects_moved));
    }
    return kz_http_ok(r, MHD_HTTP_CREATED, out);
}
