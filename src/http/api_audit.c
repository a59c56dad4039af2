/* api_audit.c — GET /api/v1/audit: the audit log for node admins, newest
 * first, with filters on time, actor, action and object. Entries carry
 * their hashes so an auditor can check a page against a copy taken earlier;
 * `kizuna audit verify` checks the whole chain on the node.
 */
#include "notify_int.h"

#include <string.h>

static json_t *entry_json(const kz_audit_entry *e)
{
    char at[KZ_TIME_STRLEN + 1], ph[65], h[65];
    kz_time_format(e->at, at);
    kz_hex_encode(e->prev_hash, 32, ph);
    kz_hex_encode(e->hash, 32, h);
    return json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s,s:s?,s:s?,s:s?,s:i,s:s,s:s}", "seq",
                     (json_int_t)e->seq, "time", at, "actor_user", e->actor_user, "actor_org",
                     e->actor_org, "remote", e->remote, "action", e->action, "object_type",
                     e->object_type, "object_id", e->object_id, "tlp",
                     e->tlp >= 0 ? kz_tlp_name((kz_tlp)e->tlp) : NULL, "status", e->status,
                     "prev_hash", ph, "hash", h);
}

int kz_api_audit_list(kz_req *r)
{
    static const char *const allowed[] = {"since", "until", "actor_org", "actor_user", "action",
                                          "object_type", "object_id", "tlp", "limit", "cursor",
                                          NULL};
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    if (!kz_http_is_admin(r))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "only a node admin may read the audit log");
    kz_audit_filter f = {.min_tlp = -1};
    const char *tlp = NULL, *cur = NULL;
    if ((rc = kz_http_query_time(r, "since", &f.since)) < 0 ||
        (rc = kz_http_query_time(r, "until", &f.until)) < 0 ||
        (rc = kz_http_query_uuid(r, "actor_org", &f.actor_org)) < 0 ||
        (rc = kz_http_query_uuid(r, "actor_user", &f.actor_user)) < 0 ||
        (rc = kz_http_query(r, "action", &f.action)) < 0 ||
        (rc = kz_http_query(r, "object_type", &f.object_type)) < 0 ||
        (rc = kz_http_query(r, "object_id", &f.object_id)) < 0 ||
        (rc = kz_http_query(r, "tlp", &tlp)) < 0 || (rc = kz_http_query_limit(r, &f.limit)) < 0 ||
        (rc = kz_http_query(r, "cursor", &cur)) < 0)
        return rc;
    if (tlp && (f.min_tlp = kz_tlp_parse(tlp)) < 0)
        return kz_fail(&r->err, KZ_E_INVALID, "tlp",
                       "tlp: '%.32s' is not one of clear, green, amber, amber+strict, red "
                       "(entries at this TLP or stricter)",
                       tlp);
    if (cur && (rc = kz_cursor_decode_seq(r, cur, &f.before_seq)) < 0)
        return rc;
    size_t limit = f.limit;
    f.limit = limit + 1;
    kz_audit_entry *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_audit_list(r->st, &f, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    bool more = n > limit;
    if (more)
        n = limit;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, entry_json(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    const char *next = more ? kz_cursor_encode_seq(r, v[n - 1].seq) : NULL;
    return kz_http_ok(r, MHD_HTTP_OK,
                      arr ? json_pack("{s:o,s:s?}", "entries", arr, "next_cursor", next) : NULL);
}
