/* api_indicators.c — indicators one at a time (/api/v1/indicators/{id}) and
 * in batches added to an event (/api/v1/events/{id}/indicators). An
 * indicator is seen and changed through its event, and may be stricter than
 * it but never looser; a batch with any bad row stores nothing and reports
 * every bad row.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

/* Loads the {id} indicator and its event; 404 unless the caller may see the
 * indicator, 403 when `action` is EDIT and the event may not be changed. */
int kz_http_indicator_load(kz_req *r, kz_acl_action action, kz_indicator *ind, kz_event *ev,
                           kz_acl_object *obj)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "indicator", id);
    if (rc < 0)
        return rc;
    rc = kz_store_indicator_get(r->st, id, &r->arena, ind, &r->err);
    if (rc == 0 && ind->deleted)
        rc = KZ_E_NOTFOUND;
    if (rc == 0)
        rc = kz_store_event_get(r->st, ind->event_id, false, &r->arena, ev, &r->err);
    if (rc == 0)
        rc = kz_http_acl_object(r, ev, obj);
    if (rc == KZ_E_NOTFOUND ||
        (rc == 0 && !kz_acl_indicator_allows(&r->who, obj, ind, KZ_ACL_VIEW, NULL)))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such indicator '%s'", id);
    if (rc < 0)
        return rc;
    const char *why = NULL;
    if (action != KZ_ACL_VIEW && !kz_acl_allows(&r->who, obj, action, &why))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "changing this indicator is not allowed: %s",
                       why ? why : "your role or organisation may not change its event");
    return 0;
}

int kz_api_indicator_get(kz_req *r)
{
    kz_indicator ind;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_http_indicator_load(r, KZ_ACL_VIEW, &ind, &ev, &obj);
    if (rc < 0)
        return rc;
    kz_http_audit_read(r, "indicator", ind.id, ind.tlp > (int)ev.tlp ? ind.tlp : (int)ev.tlp); /* notifications */
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_indicator(&ind));
}

int kz_api_indicator_patch(kz_req *r)
{
    kz_indicator ind;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_http_indicator_load(r, KZ_ACL_EDIT, &ind, &ev, &obj);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    rc = kz_json_indicator_patch(j, &r->arena, &ind, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if ((rc = kz_acl_check_indicator_not_looser(&ev, &ind, &r->err)) < 0) {
        if (r->err.code != KZ_E_VALUE)
            r->err.code = rc = KZ_E_VALUE;
        return rc;
    }
    ind.modified = kz_time_now();
    if ((rc = kz_store_indicator_update(r->st, &ind, &r->err)) < 0)
        return rc;
    kz_uuid id;
    memcpy(id, ind.id, sizeof id); /* the get below overwrites ind */
    if ((rc = kz_store_indicator_get(r->st, id, &r->arena, &ind, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_indicator(&ind));
}

int kz_api_indicator_delete(kz_req *r)
{
    kz_indicator ind;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_http_indicator_load(r, KZ_ACL_EDIT, &ind, &ev, &obj);
    if (rc < 0)
        return rc;
    if ((rc = kz_store_indicator_delete(r->st, ind.id, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}

int kz_api_event_indicators_add(kz_req *r)
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
    kz_indicator *inds = NULL;
    size_t n = 0;
    rc = kz_json_indicators_parse(j, &r->arena, &inds, &n, &r->errs, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (n == 0)
        return kz_fail(&r->err, KZ_E_INVALID, "indicators", "no indicators given");
    /* Every row is checked against the event before anything is stored. */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        kz_err e;
        kz_err_clear(&e);
        if (kz_acl_check_indicator_not_looser(&ev, &inds[i], &e) < 0) {
            bad++;
            kz_err row;
            kz_err_clear(&row);
            char path[200];
            snprintf(path, sizeof path, "indicators[%zu]%s%.100s", i, e.field[0] ? "." : "",
                     e.field);
            kz_fail(&row, KZ_E_VALUE, path, "%s: %s", path, e.msg);
            if (r->errs.n < KZ_MAX_ERRORS && kz_errlist_push(&r->arena, &r->errs, &row) < 0)
                return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        }
    }
    if (bad)
        return kz_fail(&r->err, KZ_E_VALUE, "indicators", "%zu of %zu indicators are invalid", bad, n);
    kz_time now = kz_time_now();
    for (size_t i = 0; i < n; i++) {
        kz_uuid_v7(inds[i].id);
        memcpy(inds[i].event_id, ev.id, sizeof inds[i].event_id);
        inds[i].created = inds[i].modified = now;
        inds[i].deleted = false;
    }
    if ((rc = kz_store_indicators_add(r->st, ev.id, inds, n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_json_indicator(&inds[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_CREATED, arr ? json_pack("{s:o}", "indicators", arr) : NULL);
}
