/* api_proposals.c — proposals on events (docs/federation.md, "Proposals"):
 *   POST /api/v1/events/{id}/proposals                  propose (not the creator org)
 *   GET  /api/v1/events/{id}/proposals                  the creator org: all; others: their own
 *   POST /api/v1/events/{id}/proposals/{pid}/accept     the creator org
 *   POST /api/v1/events/{id}/proposals/{pid}/discard    the creator org
 *
 * Anyone who may see an event and may write (analyst and up) may propose;
 * only a user of the creator org who may edit the event decides, and only
 * on the node where the event is homed (src/sync/proposal.c).
 */
#include "http_int.h"

#include <string.h>

#include "sync/sync.h"

static json_t *proposal_json(const kz_proposal *p)
{
    char created[40];
    kz_time_format(p->created, created);
    return json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s,s:s?,s:s?,s:b,s:s?,s:s,s:s}", "id", p->id,
                     "event_id", p->event_id, "creator_org", p->creator_org, "indicator_id",
                     p->indicator_id[0] ? p->indicator_id : NULL, "action", p->action, "org_id",
                     p->org_id, "type",
                     p->type >= 0 ? kz_ioc_type_name((kz_ioc_type)p->type) : NULL, "value",
                     p->value, "to_ids", p->to_ids, "comment", p->comment, "status",
                     p->status ? p->status : "open", "created", created);
}

static bool may_write(const kz_req *r)
{
    return r->who.role == KZ_ROLE_ADMIN || r->who.role == KZ_ROLE_ORG_ADMIN ||
           r->who.role == KZ_ROLE_PUBLISHER || r->who.role == KZ_ROLE_ANALYST;
}

/* Strict body: {"action","indicator_id"?,"type"?,"value"?,"to_ids"?,"comment"?} */
static int parse_body(kz_req *r, const json_t *j, kz_proposal *p)
{
    static const char *const keys[] = {"action", "indicator_id", "type", "value", "to_ids",
                                       "comment"};
    if (!json_is_object(j))
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "the body must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        bool known = false;
        for (size_t i = 0; i < KZ_ARRAY_LEN(keys); i++)
            known = known || strcmp(k, keys[i]) == 0;
        if (!known)
            return kz_fail(&r->err, KZ_E_INVALID, k, "unknown field '%.64s'", k);
    }
    memset(p, 0, sizeof *p);
    p->type = -1;
    const json_t *x = json_object_get(j, "action");
    if (!json_is_string(x))
        return kz_fail(&r->err, KZ_E_INVALID, "action",
                       "action: give \"add\", \"change\" or \"delete\"");
    p->action = kz_arena_strdup(&r->arena, json_string_value(x));
    if ((x = json_object_get(j, "indicator_id")) && !json_is_null(x)) {
        if (!json_is_string(x) || !kz_uuid_valid(json_string_value(x)))
            return kz_fail(&r->err, KZ_E_INVALID, "indicator_id", "indicator_id: must be a UUID");
        snprintf(p->indicator_id, sizeof p->indicator_id, "%s", json_string_value(x));
    }
    if ((x = json_object_get(j, "type")) && !json_is_null(x)) {
        int t = json_is_string(x) ? kz_ioc_type_parse(json_string_value(x)) : -1;
        if (t < 0)
            return kz_fail(&r->err, KZ_E_VALUE, "type", "type: '%.40s' is not an indicator type",
                           json_is_string(x) ? json_string_value(x) : "");
        p->type = t;
    }
    if ((x = json_object_get(j, "value")) && !json_is_null(x)) {
        if (!json_is_string(x) || json_string_length(x) > KZ_MAX_VALUE ||
            strlen(json_string_value(x)) != json_string_length(x))
            return kz_fail(&r->err, KZ_E_INVALID, "value",
                           "value: a string of at most %d bytes", KZ_MAX_VALUE);
        if (!(p->value = kz_arena_strdup(&r->arena, json_string_value(x))))
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    if ((x = json_object_get(j, "to_ids")) && !json_is_null(x)) {
        if (!json_is_boolean(x))
            return kz_fail(&r->err, KZ_E_INVALID, "to_ids", "to_ids: must be true or false");
        p->to_ids = json_is_true(x);
    } else {
        p->to_ids = true;
    }
    if ((x = json_object_get(j, "comment")) && !json_is_null(x)) {
        if (!json_is_string(x) || json_string_length(x) > KZ_MAX_TEXT ||
            strlen(json_string_value(x)) != json_string_length(x))
            return kz_fail(&r->err, KZ_E_INVALID, "comment",
                           "comment: a string of at most %d bytes", KZ_MAX_TEXT);
        if (!(p->comment = kz_arena_strdup(&r->arena, json_string_value(x))))
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    if (!p->action)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    return 0;
}

int kz_api_proposals_create(kz_req *r)
{
    kz_uuid id;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_route(r, KZ_ACL_VIEW, id, &ev, &obj);
    if (rc < 0)
        return rc;
    if (!may_write(r))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "proposing needs a role that may write (analyst, publisher, admin)");
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_proposal p;
    rc = parse_body(r, j, &p);
    json_decref(j);
    if (rc == 0)
        rc = kz_sync_proposal_create(r->st, r->who.org_id, &ev, &p, &r->arena, &r->err);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, proposal_json(&p));
}

int kz_api_proposals_list(kz_req *r)
{
    kz_uuid id;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_event_route(r, KZ_ACL_VIEW, id, &ev, &obj);
    if (rc < 0)
        return rc;
    /* The creator org sees every proposal; a proposer only its own. */
    bool creator = strcmp(r->who.org_id, ev.creator_org) == 0;
    kz_proposal *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_proposal_list(r->st, ev.id, creator ? NULL : r->who.org_id, &r->arena, &v,
                                     &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, proposal_json(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "proposals", arr) : NULL);
}

static int decide(kz_req *r, bool accept)
{
    int rc = kz_http_query_only(r, NULL);
    kz_uuid id, pid;
    if (rc == 0)
        rc = kz_http_param_uuid(r, 0, "event", id);
    if (rc == 0)
        rc = kz_http_param_uuid(r, 1, "proposal", pid);
    kz_event ev;
    kz_acl_object obj;
    if (rc == 0)
        rc = kz_http_event_load(r, id, false, KZ_ACL_EDIT, &ev, &obj);
    if (rc < 0)
        return rc;
    kz_proposal p;
    kz_err e = {0};
    rc = kz_store_proposal_get(r->st, pid, &r->arena, &p, &e);
    if (rc == KZ_E_NOTFOUND || (rc == 0 && strcmp(p.event_id, ev.id) != 0))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no proposal '%s' on event '%s'", pid, ev.id);
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    if ((rc = kz_sync_proposal_decide(r->st, r->who.org_id, pid, accept, &r->err)) < 0)
        return rc;
    if ((rc = kz_store_proposal_get(r->st, pid, &r->arena, &p, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, proposal_json(&p));
}

int kz_api_proposal_accept(kz_req *r) { return decide(r, true); }
int kz_api_proposal_discard(kz_req *r) { return decide(r, false); }
