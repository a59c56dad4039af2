/* api_keys.c — /api/v1/keys. Everyone manages their own API keys; admins and
 * org admins (for their org's non-admin users) may name another user. The
 * secret is generated here, returned once in the create response and never
 * again: the node keeps only its keyed hash.
 */
#include "http_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* May the caller manage the keys of user_id? 0, or `missing` (404 for a path
 * or query id, 422 for a body field) / 403. `field` names where the id came
 * from, for the error. */
static int key_owner_check(kz_req *r, const char *user_id, int missing, const char *field)
{
    if (strcmp(user_id, r->who.user_id) == 0)
        return 0;
    kz_user u;
    kz_err e;
    int rc = kz_store_user_get(r->st, user_id, &r->arena, &u, &e);
    bool visible = rc == 0 && (kz_http_is_admin(r) || kz_acl_can_manage_users(&r->who, u.org_id));
    if (rc < 0 && rc != KZ_E_NOTFOUND) {
        r->err = e;
        return rc;
    }
    if (!visible)
        return kz_fail(&r->err, missing, field, "%s%sno such user '%s'", field ? field : "",
                       field ? ": " : "", user_id);
    if (!kz_http_is_admin(r) && u.role == KZ_ROLE_ADMIN)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, field,
                       "only a node admin may manage the keys of an admin");
    return 0;
}

int kz_api_keys_list(kz_req *r)
{
    static const char *const allowed[] = {"user_id", NULL};
    int rc = kz_http_query_only(r, allowed);
    const char *user_id = NULL;
    if (rc == 0)
        rc = kz_http_query_uuid(r, "user_id", &user_id);
    if (rc < 0)
        return rc;
    if (!user_id)
        user_id = r->who.user_id;
    else if ((rc = key_owner_check(r, user_id, KZ_E_NOTFOUND, "user_id")) < 0)
        return rc;
    kz_api_key *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_key_list(r->st, user_id, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_json_api_key(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "keys", arr) : NULL);
}

int kz_api_keys_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_api_key k;
    rc = kz_json_api_key_parse(j, &r->arena, &k, &r->err);
    json_decref(j);
    if (rc < 0)
        return rc;
    kz_time now = kz_time_now();
    if (!k.user_id[0])
        memcpy(k.user_id, r->who.user_id, sizeof k.user_id);
    else if ((rc = key_owner_check(r, k.user_id, KZ_E_VALUE, "user_id")) < 0)
        return rc;
    if (k.expires && k.expires <= now)
        return kz_fail(&r->err, KZ_E_VALUE, "expires", "expires: must be in the future");
    char text[KZ_KEY_TEXT_LEN + 1];
    if ((rc = kz_key_generate(r->srv->secret, text, k.hash)) < 0)
        return kz_fail(&r->err, rc, NULL, "could not generate a key");
    kz_uuid_v4(k.id);
    k.created = now;
    k.revoked = 0;
    k.last_used = 0;
    rc = kz_store_key_put(r->st, &k, &r->err);
    json_t *out = rc == 0 ? kz_json_api_key(&k) : NULL;
    if (out && json_object_set_new(out, "key", json_string(text)) < 0) {
        json_decref(out);
        out = NULL;
    }
    sodium_memzero(text, sizeof text);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, out);
}

int kz_api_key_delete(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    kz_uuid id;
    if (rc == 0)
        rc = kz_http_param_uuid(r, 0, "key", id);
    if (rc < 0)
        return rc;
    kz_api_key k;
    rc = kz_store_key_get(r->st, id, &r->arena, &k, &r->err);
    if (rc == 0) {
        int c = key_owner_check(r, k.user_id, KZ_E_NOTFOUND, NULL);
        /* Keys of users one may not manage are invisible, not forbidden. */
        if (c == KZ_E_NOTFOUND || c == KZ_E_FORBIDDEN)
            rc = KZ_E_NOTFOUND;
        else if (c < 0)
            return c;
    }
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such key '%s'", id);
    if (rc < 0)
        return rc;
    /* Revoking twice is harmless: the key stays revoked since the first time. */
    if (k.revoked == 0 && (rc = kz_store_key_revoke(r->st, k.id, kz_time_now(), &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}
