/* helpers.c — the chores every handler shares: parsing the JSON body,
 * validating query parameters and path ids, and loading an event together
 * with the ACL decision on it. Centralising them keeps each handler to its
 * own rules and makes every route answer the same way to the same mistake.
 */
#include "http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kz_http_ok(kz_req *r, unsigned status, json_t *body)
{
    json_decref(r->out);
    r->status = status;
    r->out = body;
    if (body == NULL && status != MHD_HTTP_NO_CONTENT)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "could not build the answer");
    return 0;
}

int kz_http_body_json(kz_req *r, json_t **out)
{
    *out = NULL;
    if (r->body.len == 0)
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "the request body is empty; send a JSON document");
    int rc = kz_json_load(r->body.p, r->body.len, out, &r->err);
    if (rc < 0 && r->err.code == 0)
        r->err.code = rc;
    return rc;
}

/* ---- query parameters ---------------------------------------------------- */

typedef struct qscan {
    const char *const *allowed;
    size_t counts[32];
    const char *bad;   /* first unknown name */
    const char *twice; /* first repeated name */
    bool bad_utf8;
} qscan;

static enum MHD_Result qscan_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind, (void)value;
    qscan *q = cls;
    for (size_t i = 0; q->allowed[i] && i < KZ_ARRAY_LEN(q->counts); i++) {
        if (strcmp(q->allowed[i], key) == 0) {
            if (++q->counts[i] > 1 && !q->twice)
                q->twice = q->allowed[i];
            return MHD_YES;
        }
    }
    if (!q->bad) {
        q->bad = key;
        q->bad_utf8 = !kz_utf8_valid(key, strlen(key)) || strlen(key) > 64;
    }
    return MHD_YES;
}

int kz_http_query_only(kz_req *r, const char *const *allowed)
{
    static const char *const none[] = {NULL};
    qscan q = {.allowed = allowed ? allowed : none};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, qscan_cb, &q);
    if (q.bad) {
        if (q.bad_utf8)
            return kz_fail(&r->err, KZ_E_INVALID, NULL, "unknown query parameter");
        return kz_fail(&r->err, KZ_E_INVALID, q.bad, "unknown query parameter '%s'", q.bad);
    }
    if (q.twice)
        return kz_fail(&r->err, KZ_E_INVALID, q.twice, "query parameter '%s' is given more than once",
                       q.twice);
    return 0;
}

int kz_http_query(kz_req *r, const char *name, const char **out)
{
    const char *v = NULL;
    size_t n = 0;
    *out = NULL;
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, &n) !=
        MHD_YES)
        return 0;
    if (!v || n == 0)
        return kz_fail(&r->err, KZ_E_INVALID, name, "query parameter '%s' is empty", name);
    if (n > KZ_MAX_VALUE)
        return kz_fail(&r->err, KZ_E_INVALID, name, "query parameter '%s' is longer than %d bytes",
                       name, KZ_MAX_VALUE);
    if (memchr(v, 0, n) || !kz_utf8_valid(v, n))
        return kz_fail(&r->err, KZ_E_INVALID, name, "query parameter '%s' is not valid UTF-8 text",
                       name);
    *out = v;
    return 0;
}

int kz_http_query_bool(kz_req *r, const char *name, int *out)
{
    const char *v;
    int rc = kz_http_query(r, name, &v);
    if (rc < 0 || !v)
        return rc;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return kz_fail(&r->err, KZ_E_INVALID, name, "%s: '%.64s' is not true or false", name, v);
    return 0;
}

int kz_http_query_time(kz_req *r, const char *name, kz_time *out)
{
    const char *v;
    int rc = kz_http_query(r, name, &v);
    if (rc < 0 || !v)
        return rc;
    kz_err e;
    kz_time t;
    if (kz_time_parse(v, &t, &e) < 0)
        return kz_fail(&r->err, KZ_E_INVALID, name,
                       "%s: '%.64s' is not an RFC 3339 time (2026-01-31T12:00:00Z) or date", name, v);
    *out = t;
    return 0;
}

int kz_http_query_limit(kz_req *r, size_t *out)
{
    const char *v;
    *out = 100;
    int rc = kz_http_query(r, "limit", &v);
    if (rc < 0 || !v)
        return rc;
    size_t n = 0, i = 0;
    for (; v[i] >= '0' && v[i] <= '9' && i < 8; i++)
        n = n * 10 + (size_t)(v[i] - '0');
    if (v[i] != 0 || i == 0 || n < 1 || n > 1000)
        return kz_fail(&r->err, KZ_E_INVALID, "limit", "limit: '%.64s' is not a number from 1 to 1000",
                       v);
    *out = n;
    return 0;
}

int kz_http_query_uuid(kz_req *r, const char *name, const char **out)
{
    const char *v;
    int rc = kz_http_query(r, name, &v);
    if (rc < 0 || !v)
        return rc;
    char *id = kz_arena_alloc(&r->arena, sizeof(kz_uuid));
    if (!id)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if (!kz_uuid_normalize(v, id))
        return kz_fail(&r->err, KZ_E_INVALID, name, "%s: '%.64s' is not a UUID", name, v);
    *out = id;
    return 0;
}

int kz_http_param_uuid(kz_req *r, size_t i, const char *what, char *out)
{
    const char *v = i < r->n_params ? r->params[i] : "";
    if (!kz_uuid_normalize(v, out) || strlen(v) != KZ_UUID_STRLEN) {
        if (kz_utf8_valid(v, strlen(v)))
            return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such %s '%.64s'", what, v);
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such %s", what);
    }
    return 0;
}

/* ---- access -------------------------------------------------------------- */

bool kz_http_is_admin(const kz_req *r) { return r->who.role == KZ_ROLE_ADMIN; }

int kz_http_check_orgs(kz_req *r, const kz_strlist *l, const char *field)
{
    for (size_t i = 0; i < l->n; i++) {
        kz_org o;
        kz_err e;
        int rc = kz_store_org_get(r->st, l->v[i], &r->arena, &o, &e);
        if (rc == KZ_E_NOTFOUND) {
            char path[128];
            snprintf(path, sizeof path, "%s[%zu]", field, i);
            return kz_fail(&r->err, KZ_E_VALUE, path, "%s: no such organisation '%s'", path,
                           l->v[i]);
        }
        if (rc < 0) {
            r->err = e;
            return rc;
        }
    }
    return 0;
}

int kz_http_acl_object(kz_req *r, const kz_event *ev, kz_acl_object *out)
{
    memset(out, 0, sizeof *out);
    return kz_store_acl_object_load(r->st, ev, &r->arena, out, &r->err);
}

int kz_http_event_load(kz_req *r, const char *id, bool with_indicators, kz_acl_action action,
                       kz_event *ev, kz_acl_object *obj)
{
    int rc = kz_store_event_get(r->st, id, with_indicators, &r->arena, ev, &r->err);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such event '%s'", id);
    if (rc < 0)
        return rc;
    rc = kz_http_acl_object(r, ev, obj);
    if (rc < 0)
        return rc;
    if (!kz_acl_allows(&r->who, obj, KZ_ACL_VIEW, NULL))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such event '%s'", id);
    const char *why = NULL;
    if (action != KZ_ACL_VIEW && !kz_acl_allows(&r->who, obj, action, &why))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "%s this event is not allowed: %s",
                       action == KZ_ACL_PUBLISH ? "publishing" : "changing",
                       why ? why : "your role or organisation may not");
    return 0;
}

int kz_http_event_route(kz_req *r, kz_acl_action action, kz_uuid id, kz_event *ev,
                        kz_acl_object *obj)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_http_param_uuid(r, 0, "event", id);
    if (rc == 0)
        rc = kz_http_event_load(r, id, false, action, ev, obj);
    return rc;
}
