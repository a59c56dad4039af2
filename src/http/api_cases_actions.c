/* api_cases_actions.c — GET /api/v1/cases/{id}/actions: what became of
 * the work a participant org sent to the lead's node from its own node.
 *
 * On a participant's node, work on a copy answers 202 and travels as a
 * signed action (case_action.c); the home node applies or refuses it and
 * says so in the next snapshot it cuts for that org. This lists an org's
 * actions with that word: pending (sent, no word yet), applied, or refused
 * with the home node's reason. On the home node the lead org sees every
 * action received, the others their own.
 */
#include "api_cases_int.h"

#include <string.h>

#define ACTIONS_MAX 1000 /* newest first */

static const char *state_out(const char *stored)
{
    return !strcmp(stored, "outbox") ? "pending" : stored;
}

/* One row: the action's own fields from its canonical body, the state. */
static json_t *action_json(const kz_case_action_row *x)
{
    json_error_t je;
    json_t *b = json_loads(x->body, JSON_REJECT_DUPLICATES, &je);
    const char *user = json_string_value(json_object_get(b, "user_id"));
    char created[KZ_TIME_STRLEN + 1];
    kz_time_format(x->created, created);
    json_t *o = json_pack("{s:s,s:s*,s:s,s:s*,s:s,s:s*,s:s}", "id", x->id, "action",
                          json_string_value(json_object_get(b, "action")), "org_id", x->org_id,
                          "user_id", user && *user ? user : NULL, "state", state_out(x->state),
                          "note", x->note, "created", created);
    json_decref(b);
    return o;
}

int kz_api_case_actions_list(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_SUMMARY, &c);
    if (rc < 0)
        return rc;
    bool lead_here = !strcmp(c.lead_org, r->who.org_id) && !kz_sync_case_is_copy(r->st, &c);
    kz_case_action_row *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_case_actions_list(r->st, c.id, lead_here ? NULL : r->who.org_id,
                                         ACTIONS_MAX, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, action_json(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "actions", arr) : NULL);
}
