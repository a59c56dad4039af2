/* api_events.c — /api/v1/events: create (with inline indicators, stored all
 * or nothing), list, read, change, delete, publish.
 *
 * No handler here decides visibility: every event is passed through the
 * model's ACL (kz_acl_allows), and every indicator through
 * kz_acl_indicator_allows, since an indicator may be stricter than its event.
 * Events the caller cannot see are 404 whatever the action; visible but not
 * changeable is 403.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

/* Checks the references of an event the caller writes: the sharing group and
 * community must exist and include the caller's org (one cannot share into a
 * circle one is not part of), recipients must exist. 422 naming the field. */
static int check_refs(kz_req *r, const kz_event *ev)
{
    int rc;
    kz_err e;
    if (ev->sharing_group_id[0]) {
        kz_sharing_group g;
        rc = kz_store_sharing_group_get(r->st, ev->sharing_group_id, &r->arena, &g, &e);
        bool member = rc == 0 && (strcmp(g.owner_org, r->who.org_id) == 0 ||
                                  kz_strlist_has(&g.member_orgs, r->who.org_id));
        if (rc < 0 && rc != KZ_E_NOTFOUND) {
            r->err = e;
            return rc;
        }
        if (!member)
            return kz_fail(&r->err, KZ_E_VALUE, "sharing_group_id",
                           "sharing_group_id: no sharing group '%s' that your organisation is in",
                           ev->sharing_group_id);
    }
    if (ev->community_id[0]) {
        kz_community c;
        rc = kz_store_community_get(r->st, ev->community_id, &r->arena, &c, &e);
        if (rc < 0 && rc != KZ_E_NOTFOUND) {
            r->err = e;
            return rc;
        }
        if (rc == KZ_E_NOTFOUND || !kz_strlist_has(&c.member_orgs, r->who.org_id))
            return kz_fail(&r->err, KZ_E_VALUE, "community_id",
                           "community_id: no community '%s' that your organisation is in",
                           ev->community_id);
    }
    if ((rc = kz_http_check_orgs(r, &ev->recipient_orgs, "recipient_orgs")) < 0)
        return rc;
    for (size_t i = 0; i < ev->recipient_users.n; i++) {
        kz_user u;
        rc = kz_store_user_get(r->st, ev->recipient_users.v[i], &r->arena, &u, &e);
        if (rc == KZ_E_NOTFOUND) {
            char path[64];
            snprintf(path, sizeof path, "recipient_users[%zu]", i);
            return kz_fail(&r->err, KZ_E_VALUE, path, "%s: no such user '%s'", path,
                           ev->recipient_users.v[i]);
        }
        if (rc < 0) {
            r->err = e;
            return rc;
        }
    }
    return 0;
}

/* The event as the caller may see it: only the indicators the ACL allows. */
static json_t *visible_event_json(kz_req *r, const kz_event *ev, const kz_acl_object *obj)
{
    kz_event copy = *ev;
    copy.n_indicators = 0;
    copy.indicators = ev->n_indicators
                          ? kz_arena_alloc(&r->arena, ev->n_indicators * sizeof(kz_indicator))
                          : NULL;
    if (ev->n_indicators && !copy.indicators)
        return NULL;
    for (size_t i = 0; i < ev->n_indicators; i++)
        if (kz_acl_indicator_allows(&r->who, obj, &ev->indicators[i], KZ_ACL_VIEW, NULL))
            copy.indicators[copy.n_indicators++] = ev->indicators[i];
    return kz_json_event(&copy, true);
}

/* Each visible indicator's correlation count, added to its JSON object:
 * "correlation_count" (other events the caller may see that share the
 * value, an address-in-network or a domain relation), or "over_correlating":
 * true past the node's limit. Values correlation leaves out (free text,
 * MISP's disable_correlation) and indicators past the first
 * KZ_CORR_MAX_COUNTED get neither. */
static int add_correlation_counts(kz_req *r, const kz_event *ev, json_t *j)
{
    json_t *arr = json_object_get(j, "indicators");
    size_t n = json_array_size(arr);
    if (!n)
        return 0;
    kz_strlist off;
    bool whole = false;
    int rc = kz_store_misp_uncorrelated(r->st, ev->id, &r->arena, &off, &whole, &r->err);
    if (rc < 0)
        return rc;
    if (whole)
        return 0;
    kz_indicator *inds = kz_arena_alloc(&r->arena, n * sizeof *inds);
    bool *skip = kz_arena_alloc(&r->arena, n * sizeof *skip);
    long *counts = kz_arena_alloc(&r->arena, n * sizeof *counts);
    if (!inds || !skip || !counts)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    /* The JSON array holds exactly the visible indicators, in order. */
    size_t k = 0;
    for (size_t i = 0; i < ev->n_indicators && k < n; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(arr, k), "id"));
        if (!id || strcmp(id, ev->indicators[i].id) != 0)
            continue;
        inds[k] = ev->indicators[i];
        skip[k] = kz_strlist_has(&off, ev->indicators[i].id);
        k++;
    }
    if (k != n)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "event view out of step with its indicators");
    if ((rc = kz_corr_counts(r, ev->id, inds, n, skip, counts)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        int e = 0;
        if (counts[i] == KZ_CORR_OVER)
            e = json_object_set_new(o, "over_correlating", json_true());
        else if (counts[i] >= 0)
            e = json_object_set_new(o, "correlation_count", json_integer(counts[i]));
        if (e < 0)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    return 0;
}

/* Re-reads the event and answers it as GET would. audit_read: it is a GET,
 * so an AMBER-or-stricter read is audited (kz_http_audit_read keeps only
 * those), with the TLP of the event as loaded. */
static int answer_event(kz_req *r, const char *id, unsigned status, bool audit_read)
{
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_load(r, id, true, KZ_ACL_VIEW, &ev, &obj);
    if (rc < 0)
        return rc;
    json_t *j = visible_event_json(r, &ev, &obj);
    if (j && (rc = add_correlation_counts(r, &ev, j)) < 0) {
        json_decref(j);
        return rc;
    }
    if (j && audit_read)
        kz_http_audit_read(r, "event", id, (int)ev.tlp);
    return kz_http_ok(r, status, j);
}

/* After a PATCH: the event as stored now. The change may have hidden it from
 * the editor (a stricter TLP, a sharing group they are not in); it is saved
 * all the same, so the answer is 200 with the new state, without the
 * indicators, which the editor can no longer see. */
static int answer_patched(kz_req *r, const char *id)
{
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_store_event_get(r->st, id, true, &r->arena, &ev, &r->err);
    if (rc == 0)
        rc = kz_http_acl_object(r, &ev, &obj);
    if (rc < 0)
        return rc;
    if (kz_acl_allows(&r->who, &obj, KZ_ACL_VIEW, NULL))
        return kz_http_ok(r, MHD_HTTP_OK, visible_event_json(r, &ev, &obj));
    ev.n_indicators = 0;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_event(&ev, true));
}

int kz_api_events_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    if (!kz_acl_can_create_events(&r->who))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "your role (%s) may not create events; analysts and up can",
                       kz_role_name(r->who.role));
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_event ev;
    rc = kz_json_event_parse(j, &r->arena, &ev, &r->errs, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if ((rc = check_refs(r, &ev)) < 0)
        return rc;
    kz_time now = kz_time_now();
    kz_uuid_v4(ev.id);
    memcpy(ev.creator_org, r->who.org_id, sizeof ev.creator_org);
    memcpy(ev.creator_user, r->who.user_id, sizeof ev.creator_user);
    ev.created = ev.modified = now;
    ev.published = false;
    ev.published_at = 0;
    for (size_t i = 0; i < ev.n_indicators; i++) {
        kz_indicator *ind = &ev.indicators[i];
        kz_uuid_v7(ind->id);
        memcpy(ind->event_id, ev.id, sizeof ind->event_id);
        ind->created = ind->modified = now;
        ind->deleted = false;
    }
    if ((rc = kz_store_event_put(r->st, &ev, &r->err)) < 0)
        return rc;
    kz_acl_object obj;
    if ((rc = kz_http_acl_object(r, &ev, &obj)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, visible_event_json(r, &ev, &obj));
}

int kz_api_event_get(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    kz_uuid id;
    if (rc == 0)
        rc = kz_http_param_uuid(r, 0, "event", id);
    if (rc < 0)
        return rc;
    return answer_event(r, id, MHD_HTTP_OK, true);
}

int kz_api_event_patch(kz_req *r)
{
    kz_uuid id;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_route(r, KZ_ACL_EDIT, id, &ev, &obj);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    rc = kz_json_event_patch(j, &r->arena, &ev, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if ((rc = check_refs(r, &ev)) < 0)
        return rc;
    ev.modified = kz_time_now();
    /* One transaction: indicators marked looser than the event's new TLP or
     * distribution go back to inheriting, so nothing is labelled (in search
     * hits, exports, the index) looser than its event now is. */
    if ((rc = kz_store_begin(r->st, &r->err)) < 0)
        return rc;
    size_t narrowed = 0;
    rc = kz_store_event_update(r->st, &ev, &r->err);
    if (rc == 0)
        rc = kz_store_indicators_narrow(r->st, id, &narrowed, &r->err);
    if (rc < 0) {
        kz_store_rollback(r->st);
        return rc;
    }
    if ((rc = kz_store_commit(r->st, &r->err)) < 0)
        return rc;
    return answer_patched(r, id);
}

int kz_api_event_delete(kz_req *r)
{
    kz_uuid id;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_route(r, KZ_ACL_EDIT, id, &ev, &obj);
    if (rc < 0)
        return rc;
    if ((rc = kz_store_event_delete(r->st, id, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}

int kz_api_event_publish(kz_req *r)
{
    kz_uuid id;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_route(r, KZ_ACL_PUBLISH, id, &ev, &obj);
    if (rc < 0)
        return rc;
    /* Publishing again is allowed: it stamps a new published_at, which is
     * how peers learn that a published event changed. */
    if ((rc = kz_store_event_publish(r->st, id, kz_time_now(), &r->err)) < 0)
        return rc;
    return answer_event(r, id, MHD_HTTP_OK, false);
}

/* ---- list ---------------------------------------------------------------- */

int kz_api_events_list(kz_req *r)
{
    static const char *const allowed[] = {"published", "org", "tag", "since", "until",
                                          "limit", "cursor", NULL};
    kz_event_filter f = {.published = -1, .after_id = ""};
    size_t limit = 100;
    const char *cursor = NULL;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = kz_http_query_bool(r, "published", &f.published);
    if (rc == 0)
        rc = kz_http_query_uuid(r, "org", &f.creator_org);
    if (rc == 0)
        rc = kz_http_query(r, "tag", &f.tag);
    if (rc == 0)
        rc = kz_http_query_time(r, "since", &f.since);
    if (rc == 0)
        rc = kz_http_query_time(r, "until", &f.until);
    if (rc == 0)
        rc = kz_http_query_limit(r, &limit);
    if (rc == 0)
        rc = kz_http_query(r, "cursor", &cursor);
    if (rc < 0)
        return rc;
    if (f.since && f.until && f.since > f.until)
        return kz_fail(&r->err, KZ_E_INVALID, "until", "until is before since");
    kz_time after_t = 0;
    char *after_id = "";
    if (cursor) {
        after_id = kz_arena_alloc(&r->arena, sizeof(kz_uuid));
        if (!after_id)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        if ((rc = kz_cursor_decode_event(r, cursor, &after_t, after_id)) < 0)
            return rc;
    }

    json_t *arr = json_array();
    if (!arr)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t got = 0, examined = 0, round = 0;
    bool more = false;
    while (got < limit) {
        /* Ask for what is still missing plus one (to know whether more
         * exist), more generously each round when the ACL hides rows. */
        size_t batch = (limit - got) * (round + 1) + 1;
        f.limit = batch > 1000 ? 1000 : batch;
        f.after_time = after_t;
        f.after_id = after_id;
        kz_event *v = NULL;
        size_t n = 0;
        if ((rc = kz_store_event_list(r->st, &f, &r->arena, &v, &n, &r->err)) < 0) {
            json_decref(arr);
            return rc;
        }
        round++;
        size_t i = 0;
        for (; i < n && got < limit && examined < KZ_HTTP_SCAN_CAP; i++) {
            examined++;
            after_t = v[i].modified;
            after_id = v[i].id;
            kz_acl_object obj;
            if ((rc = kz_http_acl_object(r, &v[i], &obj)) < 0) {
                json_decref(arr);
                return rc;
            }
            if (!kz_acl_allows(&r->who, &obj, KZ_ACL_VIEW, NULL))
                continue;
            kz_http_audit_read(r, "event", v[i].id, (int)v[i].tlp); /* notifications: audit */
            if (json_array_append_new(arr, kz_json_event(&v[i], false)) < 0) {
                json_decref(arr);
                return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
            }
            got++;
        }
        bool store_has_more = i < n || n == f.limit;
        if (!store_has_more)
            break;
        if (got >= limit || examined >= KZ_HTTP_SCAN_CAP) {
            more = true;
            break;
        }
    }
    char *next = more ? kz_cursor_encode_event(r, after_t, after_id) : NULL;
    return kz_http_ok(r, MHD_HTTP_OK,
                      json_pack("{s:o,s:o}", "events", arr, "next_cursor",
                                next ? json_string(next) : json_null()));
}
