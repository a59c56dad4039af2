/* api_sightings.c — /api/v1/indicators/{id}/sightings: "we saw this too"
 * (or "false positive", "expired"). Anyone who can see an indicator may
 * report a sighting of it; the sighting belongs to the caller's
 * organisation, whatever the body says.
 */
#include "http_int.h"

#include <string.h>

/* Pages by (time, row sequence), oldest first, with a sealed cursor: an
 * indicator a sweep reports daily gathers sightings without end. */
int kz_api_sightings_list(kz_req *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    kz_indicator ind;
    kz_event ev;
    kz_acl_object obj;
    size_t limit = 100;
    const char *cursor = NULL;
    kz_time after_t = INT64_MIN;
    int64_t after_seq = 0;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = kz_http_query_limit(r, &limit);
    if (rc == 0)
        rc = kz_http_query(r, "cursor", &cursor);
    if (rc == 0 && cursor)
        rc = kz_cursor_decode_sighting(r, cursor, &after_t, &after_seq);
    if (rc == 0)
        rc = kz_http_indicator_load(r, KZ_ACL_VIEW, &ind, &ev, &obj);
    if (rc < 0)
        return rc;
    kz_sighting *v = NULL;
    size_t n = 0;
    kz_time last_t = 0;
    int64_t last_seq = 0;
    bool more = false;
    if ((rc = kz_store_sighting_page(r->st, ind.id, after_t, after_seq, limit, &r->arena, &v, &n,
                                     &more, &last_t, &last_seq, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_json_sighting(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    char *next = more ? kz_cursor_encode_sighting(r, last_t, last_seq) : NULL;
    return kz_http_ok(r, MHD_HTTP_OK,
                      arr ? json_pack("{s:o,s:o}", "sightings", arr, "next_cursor",
                                      next ? json_string(next) : json_null())
                          : NULL);
}

int kz_api_sightings_create(kz_req *r)
{
    kz_indicator ind;
    kz_event ev;
    kz_acl_object obj;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_http_indicator_load(r, KZ_ACL_VIEW, &ind, &ev, &obj);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    /* The path names the indicator; the body may repeat it but not differ. */
    if (json_is_object(j) && !json_object_get(j, "indicator_id"))
        json_object_set_new(j, "indicator_id", json_string(ind.id));
    kz_sighting s;
    rc = kz_json_sighting_parse(j, &r->arena, &s, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (strcmp(s.indicator_id, ind.id) != 0)
        return kz_fail(&r->err, KZ_E_VALUE, "indicator_id",
                       "indicator_id: '%s' is not the indicator of the path ('%s')", s.indicator_id,
                       ind.id);
    kz_time now = kz_time_now();
    kz_uuid_v4(s.id);
    memcpy(s.org_id, r->who.org_id, sizeof s.org_id);
    if (s.time == 0)
        s.time = now;
    if (s.count == 0)
        s.count = 1;
    s.created = now;
    if ((rc = kz_store_sighting_put(r->st, &s, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_sighting(&s));
}
