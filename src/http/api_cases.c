/* api_cases.c — /api/v1/cases and /api/v1/cases/{id}: creating, listing,
 * reading, editing and moving joint incident cases. Every path that hands
 * out a case goes through kz_http_case_load or, for lists, the same
 * kz_acl_case_allows: a case the caller's org does not take part in is 404
 * and absent from lists, as if it did not exist.
 */
#include "api_cases_int.h"

#include <stdio.h>
#include <string.h>

static const char *role_name(kz_case_role cr)
{
    switch (cr) {
    case KZ_CASE_ROLE_LEAD:
        return "lead";
    case KZ_CASE_ROLE_PARTICIPANT:
        return "accepted";
    case KZ_CASE_ROLE_INVITED:
        return "invited";
    case KZ_CASE_ROLE_NONE:
        break;
    }
    return NULL;
}

int kz_http_case_links_filter(kz_req *r, kz_case *c)
{
    kz_strlist ev = {0}, ind = {0}, sig = {0};
    for (size_t i = 0; i < c->events.n; i++) {
        kz_event e;
        kz_acl_object o;
        kz_err ignore;
        if (kz_store_event_get(r->st, c->events.v[i], false, &r->arena, &e, &ignore) < 0)
            continue;
        int rc = kz_http_acl_object(r, &e, &o);
        if (rc < 0)
            return rc;
        if (kz_acl_allows(&r->who, &o, KZ_ACL_VIEW, NULL) &&
            kz_strlist_push(&r->arena, &ev, e.id) < 0)
            return kz_fail(&r->err, KZ_E_NOMEM, "", "out of memory");
    }
    /* indicators, and sightings through their indicator */
    for (size_t k = 0; k < c->indicators.n + c->sightings.n; k++) {
        bool is_sighting = k >= c->indicators.n;
        const char *id = is_sighting ? c->sightings.v[k - c->indicators.n] : c->indicators.v[k];
        kz_uuid ind_id;
        kz_err ignore;
        if (is_sighting) {
            if (kz_store_case_sighting_indicator(r->st, id, ind_id, &ignore) < 0)
                continue;
        } else {
            snprintf(ind_id, sizeof ind_id, "%s", id);
        }
        kz_indicator x;
        kz_event e;
        kz_acl_object o;
        if (kz_store_indicator_get(r->st, ind_id, &r->arena, &x, &ignore) < 0 || x.deleted)
            continue;
        if (kz_store_event_get(r->st, x.event_id, false, &r->arena, &e, &ignore) < 0)
            continue;
        int rc = kz_http_acl_object(r, &e, &o);
        if (rc < 0)
            return rc;
        if (kz_acl_indicator_allows(&r->who, &o, &x, KZ_ACL_VIEW, NULL) &&
            kz_strlist_push(&r->arena, is_sighting ? &sig : &ind, id) < 0)
            return kz_fail(&r->err, KZ_E_NOMEM, "", "out of memory");
    }
    c->events = ev;
    c->indicators = ind;
    c->sightings = sig;
    return 0;
}

int kz_http_case_load(kz_req *r, kz_case_action action, kz_case *c)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "case", id);
    if (rc < 0)
        return rc;
    rc = kz_store_case_get(r->st, id, &r->arena, c, &r->err);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such case '%s'", id);
    if (rc < 0)
        return rc;
    if (kz_case_role_of(&r->who, c) == KZ_CASE_ROLE_NONE)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such case '%s'", id);
    /* Nobody manages a copy: the case changes on its home node only. */
    if (action == KZ_CASE_MANAGE && kz_sync_case_is_copy(r->st, c))
        return kz_sync_case_refuse_copy(r->st, c, &r->err);
    const char *why = NULL;
    if (!kz_acl_case_allows(&r->who, c, action, &why))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "not allowed on this case: %s", why);
    /* Every GET under /cases/{id} reads the case: AMBER and above is audited
     * (kz_http_audit_read keeps only those). */
    if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
        kz_http_audit_read(r, "case", c->id, (int)c->tlp);
    if (action != KZ_CASE_SUMMARY && action != KZ_CASE_ANSWER)
        return kz_http_case_links_filter(r, c);
    return 0;
}

int kz_http_case_begin(kz_req *r, kz_case_action action, kz_case *c)
{
    int rc = kz_http_query_only(r, NULL);
    return rc ? rc : kz_http_case_load(r, action, c);
}

int kz_http_case_begin_body(kz_req *r, kz_case_action action, kz_case *c, json_t **body)
{
    int rc = kz_http_case_begin(r, action, c);
    return rc ? rc : kz_http_body_json(r, body);
}

/* The case as this caller may see it: the summary for an invited org, else
 * everything with the transitions, and the caller's participation. */
static json_t *case_out(kz_req *r, kz_case *c, bool with_transitions)
{
    kz_case_role cr = kz_case_role_of(&r->who, c);
    bool summary = !kz_acl_case_allows(&r->who, c, KZ_CASE_VIEW, NULL);
    json_t *j = kz_json_case(c, summary);
    if (!j)
        return NULL;
    json_object_set_new(j, "participation", json_string(role_name(cr)));
    if (!summary && with_transitions) {
        kz_case_transition *t = NULL;
        size_t n = 0;
        kz_err e;
        json_t *arr = json_array();
        if (kz_store_case_transitions(r->st, c->id, &r->arena, &t, &n, &e) < 0 || !arr) {
            json_decref(arr);
            json_decref(j);
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, kz_json_case_transition(&t[i]));
        json_object_set_new(j, "transitions", arr);
    }
    return j;
}

int kz_api_cases_list(kz_req *r)
{
    static const char *const allowed[] = {"status", "severity", "overdue", "drill",
                                          "limit",  "cursor",   NULL};
    kz_case_filter f = {.org_id = r->who.org_id, .status = -1, .drill = -1, .now = kz_time_now()};
    size_t limit = 100;
    const char *status = NULL, *severity = NULL, *cursor = NULL;
    int overdue = 0;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = kz_http_query(r, "status", &status);
    if (rc == 0)
        rc = kz_http_query(r, "severity", &severity);
    if (rc == 0)
        rc = kz_http_query_bool(r, "overdue", &overdue);
    if (rc == 0)
        rc = kz_http_query_bool(r, "drill", &f.drill);
    if (rc == 0)
        rc = kz_http_query_limit(r, &limit);
    if (rc == 0)
        rc = kz_http_query(r, "cursor", &cursor);
    if (rc == 0 && cursor)
        rc = kz_cursor_decode_seq(r, cursor, &f.after_seq);
    if (rc < 0)
        return rc;
    if (status && (f.status = kz_case_status_parse(status)) < 0)
        return kz_fail(&r->err, KZ_E_INVALID, "status",
                       "status: '%.64s' is not one of new, acknowledged, in_progress, contained,"
                       " resolved, closed",
                       status);
    if (severity) {
        if (strlen(severity) != 1 || severity[0] < '1' || severity[0] > '4')
            return kz_fail(&r->err, KZ_E_INVALID, "severity",
                           "severity: '%.64s' is not 1, 2, 3 or 4", severity);
        f.severity = severity[0] - '0';
    }
    f.overdue = overdue != 0;
    f.limit = limit;
    kz_case *v = NULL;
    size_t n = 0;
    int64_t last = 0;
    if ((rc = kz_store_case_list(r->st, &f, &r->arena, &v, &n, &last, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!kz_acl_case_allows(&r->who, &v[i], KZ_CASE_SUMMARY, NULL))
            continue;
        if (kz_acl_case_allows(&r->who, &v[i], KZ_CASE_VIEW, NULL) &&
            (rc = kz_http_case_links_filter(r, &v[i])) < 0) {
            json_decref(arr);
            return rc;
        }
        json_t *o = case_out(r, &v[i], false);
        if (!o || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            arr = NULL;
        }
        kz_http_audit_read(r, "case", v[i].id, (int)v[i].tlp);
    }
    char *next = n == limit && n ? kz_cursor_encode_seq(r, last) : NULL;
    return kz_http_ok(r, MHD_HTTP_OK,
                      arr ? json_pack("{s:o,s:o}", "cases", arr, "next_cursor",
                                      next ? json_string(next) : json_null())
                          : NULL);
}

int kz_api_cases_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    if (!kz_acl_can_create_cases(&r->who))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "creating cases needs the analyst role or above");
    json_t *j = NULL;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_case c = {0};
    rc = kz_json_case_parse(j, &r->arena, &c, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    kz_uuid_v4(c.id);
    memcpy(c.lead_org, r->who.org_id, sizeof c.lead_org);
    memcpy(c.creator_user, r->who.user_id, sizeof c.creator_user);
    c.created = c.modified = kz_time_now();
    if ((rc = kz_store_case_put(r->st, &c, &r->err)) < 0)
        return rc;
    kz_case back = {0};
    if ((rc = kz_store_case_get(r->st, c.id, &r->arena, &back, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, case_out(r, &back, true));
}

int kz_api_case_get(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_SUMMARY, &c);
    if (rc < 0)
        return rc;
    if (kz_acl_case_allows(&r->who, &c, KZ_CASE_VIEW, NULL) &&
        (rc = kz_http_case_links_filter(r, &c)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, case_out(r, &c, true));
}

static int answer_case(kz_req *r, const char *id, unsigned status)
{
    kz_case c = {0};
    int rc = kz_store_case_get(r->st, id, &r->arena, &c, &r->err);
    if (rc == 0)
        rc = kz_http_case_links_filter(r, &c);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, status, case_out(r, &c, true));
}

int kz_http_case_action(kz_req *r, const char *case_id, const char *text)
{
    kz_case_entry e = {.kind = KZ_ENTRY_ACTION, .tlp = -1, .at = kz_time_now()};
    kz_uuid_v4(e.id);
    snprintf(e.case_id, sizeof e.case_id, "%s", case_id);
    memcpy(e.org_id, r->who.org_id, sizeof e.org_id);
    memcpy(e.user_id, r->who.user_id, sizeof e.user_id);
    e.text = (char *)text;
    return kz_store_case_entry_add(r->st, &e, &r->err);
}

int kz_http_case_finish(kz_req *r, const char *case_id, int rc, const char *text)
{
    if (rc == 0 && text)
        rc = kz_http_case_action(r, case_id, text);
    if (rc < 0) {
        kz_store_rollback(r->st);
        return rc;
    }
    return kz_store_commit(r->st, &r->err);
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* "edited: severity, subtype", or NULL when nothing changed. */
static char *changed_fields(kz_req *r, const kz_case *a, const kz_case *b)
{
    char buf[160] = "edited:";
    size_t n0 = strlen(buf);
#define KZ_CHANGED(cond, name)                                                                     \
    if (cond)                                                                                      \
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s " name,                          \
                 strlen(buf) > n0 ? "," : "");
    KZ_CHANGED(!same_text(a->title, b->title), "title")
    KZ_CHANGED(!same_text(a->description, b->description), "description")
    KZ_CHANGED(a->severity != b->severity, "severity")
    KZ_CHANGED(a->tlp != b->tlp, "tlp")
    KZ_CHANGED(a->pap != b->pap, "pap")
    KZ_CHANGED(!same_text(a->category, b->category), "category")
    KZ_CHANGED(!same_text(a->subtype, b->subtype), "subtype")
#undef KZ_CHANGED
    return strlen(buf) > n0 ? kz_arena_strdup(&r->arena, buf) : NULL;
}

int kz_api_case_patch(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_MANAGE, &c, &j);
    if (rc < 0)
        return rc;
    kz_case before = c;
    rc = kz_json_case_patch(j, &r->arena, &c, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    /* The edit and its record in the timeline commit together. */
    char *what = changed_fields(r, &before, &c);
    if ((rc = kz_store_begin(r->st, &r->err)) < 0)
        return rc;
    rc = kz_store_case_update(r->st, &c, &r->err);
    if ((rc = kz_http_case_finish(r, c.id, rc, what)) < 0)
        return rc;
    return answer_case(r, c.id, MHD_HTTP_OK);
}

int kz_api_case_transition(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_MANAGE, &c, &j);
    if (rc < 0)
        return rc;
    kz_case_transition t = {0};
    rc = kz_json_case_transition_parse(j, &r->arena, &t, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    memcpy(t.org_id, r->who.org_id, sizeof t.org_id);
    memcpy(t.user_id, r->who.user_id, sizeof t.user_id);
    t.at = kz_time_now();
    if ((rc = kz_store_case_transition(r->st, c.id, &t, &r->err)) < 0)
        return rc;
    return answer_case(r, c.id, MHD_HTTP_OK);
}

/* ---- cases homed elsewhere -------------------------------------------------------------------- */

int kz_http_case_forward(kz_req *r, const kz_case *c, kz_sync_case_action *x)
{
    int rc = kz_sync_case_action_submit(r->st, &r->who, c, x, &r->err);
    if (rc < 0)
        return rc;
    char msg[400];
    kz_sync_case_sent_message(r->st, c, msg, sizeof msg);
    return kz_http_ok(r, MHD_HTTP_ACCEPTED,
                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "status", "sent", "action_id", x->id,
                                "action", x->action, "case_id", c->id, "lead_org", c->lead_org,
                                "message", msg));
}
