/* api_cases_record.c — what a case accumulates: its append-only timeline
 * (comments and corrections from people, actions from the node), links to
 * events, indicators and sightings, observables and their promotion into
 * indicators, and drill injects. There is deliberately no route that edits
 * or deletes a timeline entry.
 */
#include "api_cases_int.h"

#include <string.h>

/* Drill injects fall due on their own; whoever reads first delivers them,
 * so every reader sees the same timeline whatever the order. */
static int deliver_due(kz_req *r, const kz_case *c)
{
    if (!c->drill || kz_sync_case_is_copy(r->st, c)) /* the home node delivers */
        return 0;
    return kz_store_case_injects_deliver(r->st, c->id, kz_time_now(), NULL, &r->err);
}

int kz_api_case_timeline_list(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_VIEW, &c);
    if (rc == 0)
        rc = deliver_due(r, &c);
    if (rc < 0)
        return rc;
    kz_case_entry *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_case_entries(r->st, c.id, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!kz_acl_case_entry_allows(&r->who, &c, &v[i], NULL))
            continue;
        if (v[i].tlp > (int)c.tlp) /* the case read is audited already, at the case's TLP */
            kz_http_audit_read(r, "case_entry", v[i].id, v[i].tlp);
        if (json_array_append_new(arr, kz_json_case_entry(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "timeline", arr) : NULL);
}

int kz_api_case_timeline_add(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_CONTRIBUTE, &c, &j);
    if (rc < 0)
        return rc;
    kz_case_entry e = {0};
    rc = kz_json_case_entry_parse(j, &r->arena, &e, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if ((rc = kz_store_case_entry_admit(r->st, &r->who, &c, &e, &r->arena, &r->err)) < 0)
        return rc;
    if (kz_sync_case_is_copy(r->st, &c)) {
        kz_sync_case_action x = {.action = e.kind == KZ_ENTRY_CORRECTION ? "correction" : "comment",
                                 .text = e.text, .tlp = e.tlp, .status = -1, .obs_type = -1};
        memcpy(x.corrects, e.corrects, sizeof x.corrects);
        return kz_http_case_forward(r, &c, &x);
    }
    kz_uuid_v4(e.id);
    memcpy(e.case_id, c.id, sizeof e.case_id);
    memcpy(e.org_id, r->who.org_id, sizeof e.org_id);
    memcpy(e.user_id, r->who.user_id, sizeof e.user_id);
    e.at = kz_time_now();
    if ((rc = kz_store_case_entry_add(r->st, &e, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_case_entry(&e));
}

/* ---- links ---------------------------------------------------------------------------------- */

static json_t *ids_json(const kz_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, json_string(l->v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int kz_api_case_links_list(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_VIEW, &c); /* links filtered there */
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK,
                      json_pack("{s:o,s:o,s:o}", "events", ids_json(&c.events), "indicators",
                                ids_json(&c.indicators), "sightings", ids_json(&c.sightings)));
}

/* Whether the caller may see the object: linking what one cannot see
 * would leak that it exists, so it is answered like a missing one. */
static bool may_see(kz_req *r, const char *kind, const char *id)
{
    kz_case probe = {0};
    const char *one[1] = {id};
    kz_strlist l = {(char **)one, 1};
    if (!strcmp(kind, "event"))
        probe.events = l;
    else if (!strcmp(kind, "indicator"))
        probe.indicators = l;
    else
        probe.sightings = l;
    if (kz_http_case_links_filter(r, &probe) < 0)
        return false;
    return probe.events.n + probe.indicators.n + probe.sightings.n == 1;
}

int kz_api_case_link_add(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_CONTRIBUTE, &c, &j);
    if (rc < 0)
        return rc;
    const char *kind = NULL;
    kz_uuid id;
    rc = kz_json_case_link_parse(j, &kind, id, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (!may_see(r, kind, id))
        return kz_fail(&r->err, KZ_E_VALUE, "id", "id: no such %s '%s'", kind, id);
    if (kz_sync_case_is_copy(r->st, &c)) {
        kz_sync_case_action x = {.action = "link", .link_kind = kind, .tlp = -1, .status = -1,
                                 .obs_type = -1};
        memcpy(x.object_id, id, sizeof x.object_id);
        return kz_http_case_forward(r, &c, &x);
    }
    if ((rc = kz_store_case_link(r->st, c.id, kind, id, r->who.org_id, r->who.user_id, &r->err)) <
        0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, json_pack("{s:s,s:s}", "kind", kind, "id", id));
}

/* ---- observables ---------------------------------------------------------------------------- */

int kz_api_case_observables_list(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_VIEW, &c);
    if (rc < 0)
        return rc;
    kz_case_observable *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_case_observables(r->st, c.id, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = kz_json_case_observable(&v[i]);
        /* The indicator lives in an event this participant may not see:
         * say that it was promoted, not where to. */
        if (o && v[i].indicator_id[0] && !may_see(r, "indicator", v[i].indicator_id))
            json_object_set_new(o, "indicator_id", json_null());
        if (!o || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "observables", arr) : NULL);
}

int kz_api_case_observable_add(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_CONTRIBUTE, &c, &j);
    if (rc < 0)
        return rc;
    kz_case_observable o = {0};
    rc = kz_json_case_observable_parse(j, &r->arena, &o, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (kz_sync_case_is_copy(r->st, &c)) {
        kz_sync_case_action x = {.action = "observable", .tlp = -1, .status = -1,
                                 .obs_type = (int)o.type, .value = o.value, .comment = o.comment};
        return kz_http_case_forward(r, &c, &x);
    }
    kz_uuid_v4(o.id);
    memcpy(o.case_id, c.id, sizeof o.case_id);
    memcpy(o.org_id, r->who.org_id, sizeof o.org_id);
    memcpy(o.user_id, r->who.user_id, sizeof o.user_id);
    o.added = kz_time_now();
    if ((rc = kz_store_case_observable_put(r->st, &o, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_case_observable(&o));
}

/* Body {"event_id": ...}: an event linked to the case that the caller's
 * org may edit. The indicator carries the case's TLP; when the event is
 * stricter the indicator inherits the event's (never looser than its event). */
int kz_api_case_observable_promote(kz_req *r)
{
    kz_case c = {0};
    kz_uuid obs_id;
    int rc = kz_http_case_begin(r, KZ_CASE_CONTRIBUTE, &c);
    if (rc == 0)
        rc = kz_http_param_uuid(r, 1, "observable", obs_id);
    if (rc < 0)
        return rc;
    if (kz_sync_case_is_copy(r->st, &c)) {
        char home[256];
        kz_sync_case_home_name(r->st, &c, home, sizeof home);
        return kz_fail(&r->err, KZ_E_CONFLICT, NULL,
                       "case '%s' is homed on the lead org's node, %s: promote observables "
                       "there", c.id, home);
    }
    kz_case_observable o = {0};
    if ((rc = kz_store_case_observable_get(r->st, c.id, obs_id, &r->arena, &o, &r->err)) < 0)
        return rc;
    json_t *j = NULL;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_uuid event_id;
    rc = kz_json_case_promote_parse(j, event_id, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (!kz_strlist_has(&c.events, event_id))
        return kz_fail(&r->err, KZ_E_VALUE, "event_id",
                       "event_id: '%s' is not an event linked to this case", event_id);
    if (o.indicator_id[0])
        return kz_fail(&r->err, KZ_E_CONFLICT, NULL, "observable '%s' was promoted already",
                       o.id);
    kz_event ev;
    kz_acl_object obj;
    if ((rc = kz_http_event_load(r, event_id, false, KZ_ACL_EDIT, &ev, &obj)) < 0)
        return rc;
    kz_indicator ind = {0};
    kz_uuid_v4(ind.id);
    memcpy(ind.event_id, ev.id, sizeof ind.event_id);
    ind.type = o.type;
    ind.value = o.value;
    ind.to_ids = true;
    ind.comment = o.comment;
    ind.tlp = c.tlp >= ev.tlp ? (int)c.tlp : -1;
    ind.distribution = -1;
    ind.created = ind.modified = kz_time_now();
    if ((rc = kz_store_case_observable_promote(r->st, c.id, o.id, ev.id, &ind, r->who.org_id,
                                               r->who.user_id, &r->err)) < 0)
        return rc;
    kz_indicator back;
    if ((rc = kz_store_indicator_get(r->st, ind.id, &r->arena, &back, &r->err)) < 0)
        return rc;
    memcpy(o.indicator_id, ind.id, sizeof o.indicator_id);
    return kz_http_ok(r, MHD_HTTP_CREATED,
                      json_pack("{s:o,s:o}", "indicator", kz_json_indicator(&back), "observable",
                                kz_json_case_observable(&o)));
}

/* ---- drill injects -------------------------------------------------------------------------- */

int kz_api_case_injects_list(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_VIEW, &c);
    if (rc == 0)
        rc = deliver_due(r, &c);
    if (rc < 0)
        return rc;
    kz_case_inject *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_case_injects(r->st, c.id, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!kz_acl_case_inject_allows(&r->who, &c, &v[i]))
            continue;
        if (json_array_append_new(arr, kz_json_case_inject(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "injects", arr) : NULL);
}

int kz_api_case_inject_add(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_MANAGE, &c);
    if (rc < 0)
        return rc;
    if (!c.drill)
        return kz_fail(&r->err, KZ_E_CONFLICT, NULL,
                       "injects belong to drills; this case is not a drill");
    json_t *j = NULL;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_case_inject x = {0};
    rc = kz_json_case_inject_parse(j, &r->arena, &x, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    kz_uuid_v4(x.id);
    memcpy(x.case_id, c.id, sizeof x.case_id);
    memcpy(x.created_by, r->who.user_id, sizeof x.created_by);
    x.created = kz_time_now();
    if ((rc = kz_store_case_inject_put(r->st, &x, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_case_inject(&x));
}
