/* api_cases_metrics.c — GET /api/v1/metrics/response: how fast incidents
 * are acknowledged, contained and resolved, per case and per org, open
 * cases by severity and country, overdue tasks. Only cases the caller's org
 * leads or takes part in are counted (a case it cannot see is not even a
 * number here), and drills are kept apart: drill=true gives the exercise's
 * figures alone, never mixed with real ones.
 */
#include "http_int.h"

int kz_api_metrics_response(kz_req *r)
{
    static const char *const allowed[] = {"since", "drill", NULL};
    kz_case_filter f = {.org_id = r->who.org_id, .status = -1, .drill = 0};
    int drill = 0;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = kz_http_query_time(r, "since", &f.since);
    if (rc == 0)
        rc = kz_http_query_bool(r, "drill", &drill);
    if (rc < 0)
        return rc;
    f.drill = drill;
    kz_case *all = NULL;
    size_t n_all = 0;
    if ((rc = kz_store_case_list(r->st, &f, &r->arena, &all, &n_all, NULL, &r->err)) < 0)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++)
        if (kz_acl_case_allows(&r->who, &all[i], KZ_CASE_VIEW, NULL)) {
            kz_http_audit_read(r, "case", all[i].id, (int)all[i].tlp); /* titles, timings */
            all[n++] = all[i];
        }
    kz_case_task *tasks = NULL;
    size_t nt = 0;
    kz_org *orgs = NULL;
    size_t n_orgs = 0;
    if ((rc = kz_store_case_tasks(r->st, NULL, &r->arena, &tasks, &nt, &r->err)) < 0)
        return rc;
    if ((rc = kz_store_org_list(r->st, &r->arena, &orgs, &n_orgs, &r->err)) < 0)
        return rc;
    kz_case_metrics m;
    if ((rc = kz_case_metrics_compute(all, n, tasks, nt, orgs, n_orgs, kz_time_now(), &r->arena, &m,
                                      &r->err)) < 0)
        return rc;
    json_t *j = kz_json_case_metrics(&m, drill != 0);
    if (j && f.since) {
        char t[KZ_TIME_STRLEN + 1];
        kz_time_format(f.since, t);
        json_object_set_new(j, "since", json_string(t));
    }
    return kz_http_ok(r, MHD_HTTP_OK, j);
}
