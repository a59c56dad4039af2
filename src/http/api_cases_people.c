/* api_cases_people.c — who works on a case: invitations and their answers
 * (/cases/{id}/participants) and the tasks handed out to the lead and the
 * participants (/cases/{id}/tasks). The lead invites and assigns; an
 * invited org answers for itself; an assigned org moves its own tasks.
 */
#include "api_cases_int.h"

#include <string.h>

static json_t *participants_json(const kz_case *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < c->n_participants; i++)
        if (json_array_append_new(arr, kz_json_case_participant(&c->participants[i])) < 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

int kz_api_case_participants_list(kz_req *r)
{
    kz_case c = {0};
    int rc = kz_http_case_begin(r, KZ_CASE_VIEW, &c);
    if (rc < 0)
        return rc;
    json_t *arr = participants_json(&c);
    return kz_http_ok(r, MHD_HTTP_OK,
                      arr ? json_pack("{s:s,s:o}", "lead_org", c.lead_org, "participants", arr)
                          : NULL);
}

int kz_api_case_invite(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_MANAGE, &c, &j);
    if (rc < 0)
        return rc;
    kz_case_participant p = {.state = KZ_PART_INVITED, .invited_at = kz_time_now()};
    rc = kz_json_case_invite_parse(j, p.org_id, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    memcpy(p.invited_by, r->who.user_id, sizeof p.invited_by);
    if ((rc = kz_store_case_invite(r->st, c.id, &p, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_case_participant(&p));
}

/* /participants/{org_id}/accept|decline: only for the caller's own org. */
static int answer(kz_req *r, kz_participation state)
{
    kz_case c = {0};
    kz_uuid org;
    int rc = kz_http_case_begin(r, KZ_CASE_SUMMARY, &c);
    if (rc == 0)
        rc = kz_http_param_uuid(r, 1, "participant", org);
    if (rc < 0)
        return rc;
    if (strcmp(org, r->who.org_id) != 0)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "an org answers only its own invitation (yours is %s)", r->who.org_id);
    const char *why = NULL;
    if (!kz_acl_case_allows(&r->who, &c, KZ_CASE_ANSWER, &why))
        return kz_fail(&r->err,
                       kz_case_role_of(&r->who, &c) == KZ_CASE_ROLE_INVITED ? KZ_E_FORBIDDEN
                                                                            : KZ_E_CONFLICT,
                       NULL, "cannot answer: %s", why);
    if (kz_sync_case_is_copy(r->st, &c)) {
        kz_sync_case_action x = {.action = state == KZ_PART_ACCEPTED ? "accept" : "decline",
                                 .tlp = -1, .status = -1, .obs_type = -1};
        return kz_http_case_forward(r, &c, &x);
    }
    kz_time now = kz_time_now();
    if ((rc = kz_store_case_answer(r->st, c.id, org, state, r->who.user_id, now, &r->err)) < 0)
        return rc;
    for (size_t i = 0; i < c.n_participants; i++)
        if (!strcmp(c.participants[i].org_id, org)) {
            c.participants[i].state = state;
            c.participants[i].answered_at = now;
            memcpy(c.participants[i].answered_by, r->who.user_id, sizeof(kz_uuid));
            return kz_http_ok(r, MHD_HTTP_OK, kz_json_case_participant(&c.participants[i]));
        }
    return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "participant vanished");
}

int kz_api_case_accept(kz_req *r) { return answer(r, KZ_PART_ACCEPTED); }
int kz_api_case_decline(kz_req *r) { return answer(r, KZ_PART_DECLINED); }

/* ---- tasks ---------------------------------------------------------------------------------- */

int kz_api_case_tasks_list(kz_req *r)
{
    static const char *const allowed[] = {"overdue", NULL};
    kz_case c = {0};
    int overdue = -1;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = kz_http_query_bool(r, "overdue", &overdue);
    if (rc == 0)
        rc = kz_http_case_load(r, KZ_CASE_VIEW, &c);
    if (rc < 0)
        return rc;
    kz_case_task *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_case_tasks(r->st, c.id, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    kz_time now = kz_time_now();
    size_t late = 0;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        bool od = kz_case_task_overdue(&v[i], now);
        late += od;
        if (overdue >= 0 && od != (overdue == 1))
            continue;
        if (json_array_append_new(arr, kz_json_case_task(&v[i], now)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return kz_http_ok(r, MHD_HTTP_OK,
                      arr ? json_pack("{s:o,s:I}", "tasks", arr, "overdue", (json_int_t)late)
                          : NULL);
}

/* The assigned org must be in the case: the lead, or an org invited or
 * taking part (not one that declined). */
static int check_assignee(kz_req *r, const kz_case *c, const kz_case_task *t)
{
    if (!strcmp(t->org_id, c->lead_org))
        return 0;
    for (size_t i = 0; i < c->n_participants; i++)
        if (!strcmp(c->participants[i].org_id, t->org_id) &&
            c->participants[i].state != KZ_PART_DECLINED)
            return 0;
    return kz_fail(&r->err, KZ_E_VALUE, "org_id",
                   "org_id: '%s' is not the lead or a participant of this case", t->org_id);
}

int kz_api_case_task_create(kz_req *r)
{
    kz_case c = {0};
    json_t *j = NULL;
    int rc = kz_http_case_begin_body(r, KZ_CASE_MANAGE, &c, &j);
    if (rc < 0)
        return rc;
    kz_case_task t;
    rc = kz_json_case_task_parse(j, &r->arena, &t, &r->err);
    json_decref(j);
    if (rc == 0)
        rc = check_assignee(r, &c, &t);
    if (rc < 0)
        return rc;
    kz_uuid_v4(t.id);
    memcpy(t.case_id, c.id, sizeof t.case_id);
    memcpy(t.created_by, r->who.user_id, sizeof t.created_by);
    t.created = t.modified = kz_time_now();
    char *what =
        kz_arena_printf(&r->arena, "added task %s for org %s: %.200s", t.id, t.org_id, t.title);
    if (!what)
        return kz_fail(&r->err, KZ_E_NOMEM, "", "out of memory");
    if ((rc = kz_store_begin(r->st, &r->err)) < 0)
        return rc;
    rc = kz_store_case_task_put(r->st, &t, &r->err);
    if ((rc = kz_http_case_finish(r, c.id, rc, what)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_case_task(&t, kz_time_now()));
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

int kz_api_case_task_patch(kz_req *r)
{
    kz_case c = {0};
    kz_uuid task_id;
    int rc = kz_http_case_begin(r, KZ_CASE_VIEW, &c);
    if (rc == 0)
        rc = kz_http_param_uuid(r, 1, "task", task_id);
    if (rc < 0)
        return rc;
    kz_case_task t = {0}, before;
    if ((rc = kz_store_case_task_get(r->st, c.id, task_id, &r->arena, &t, &r->err)) < 0)
        return rc;
    const char *why = NULL;
    if (!kz_acl_case_task_allows(&r->who, &c, &t, &why))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "changing this task is not allowed: %s", why);
    before = t;
    json_t *j = NULL;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    rc = kz_json_case_task_patch(j, &r->arena, &t, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    /* The assigned org reports progress; what the task is stays the lead's. */
    bool lead = kz_acl_case_allows(&r->who, &c, KZ_CASE_MANAGE, NULL);
    if (!lead && (!same_str(before.title, t.title) ||
                  !same_str(before.description, t.description) || strcmp(before.org_id, t.org_id) ||
                  strcmp(before.user_id, t.user_id) || before.due != t.due))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "the assigned org may change only the status; the lead org edits the rest");
    if (strcmp(before.org_id, t.org_id) && (rc = check_assignee(r, &c, &t)) < 0)
        return rc;
    if (kz_sync_case_is_copy(r->st, &c)) {
        /* Only the status can be the caller's to change here: the lead's
         * people are on the home node. */
        kz_sync_case_action x = {.action = "task_status", .tlp = -1, .status = (int)t.status,
                                 .obs_type = -1};
        memcpy(x.task_id, t.id, sizeof x.task_id);
        return kz_http_case_forward(r, &c, &x);
    }
    char *what = before.status != t.status ? kz_arena_printf(&r->arena, "task %s: %s -> %s", t.id,
                                                             kz_task_status_name(before.status),
                                                             kz_task_status_name(t.status))
                                           : kz_arena_printf(&r->arena, "edited task %s", t.id);
    if (!what)
        return kz_fail(&r->err, KZ_E_NOMEM, "", "out of memory");
    if ((rc = kz_store_begin(r->st, &r->err)) < 0)
        return rc;
    rc = kz_store_case_task_update(r->st, &t, &r->err);
    if ((rc = kz_http_case_finish(r, c.id, rc, what)) < 0)
        return rc;
    if ((rc = kz_store_case_task_get(r->st, c.id, task_id, &r->arena, &t, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_case_task(&t, kz_time_now()));
}
