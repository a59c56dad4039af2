/* api_users.c — /api/v1/users. The node admin manages every user; an
 * org_admin manages the users of its own organisation but can neither create
 * node admins nor touch them (resetting an admin's password would be a way
 * to become one). A user may read itself. Users the caller may not manage
 * are 404, so the list of e-mail addresses on the node does not leak.
 * Passwords are hashed here (argon2id) and never stored or echoed.
 */
#include "http_int.h"

#include <string.h>

static bool can_manage(const kz_req *r, const kz_user *u)
{
    if (kz_http_is_admin(r))
        return true;
    return u->role != KZ_ROLE_ADMIN && kz_acl_can_manage_users(&r->who, u->org_id);
}

int kz_api_users_list(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    const char *org = NULL;
    if (!kz_http_is_admin(r)) {
        if (!kz_acl_can_manage_users(&r->who, r->who.org_id))
            return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                           "only admins and org admins may list users");
        org = r->who.org_id;
    }
    kz_user *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_user_list(r->st, org, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, kz_json_user(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "users", arr) : NULL);
}

/* The password field of a body: absent leaves the hash alone, null removes
 * it, a string is hashed. */
static int set_password(kz_req *r, kz_user *u, const char *password)
{
    if (!password) {
        u->password_hash = NULL;
        return 0;
    }
    return kz_password_hash(password, &r->arena, &u->password_hash, &r->err);
}

int kz_api_users_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc < 0)
        return rc;
    if (!kz_http_is_admin(r) && !kz_acl_can_manage_users(&r->who, r->who.org_id))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL, "only admins and org admins may create users");
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_user u;
    const char *password = NULL;
    rc = kz_json_user_parse(j, &r->arena, &u, &password, &r->err);
    if (rc == 0) {
        /* Copy the password out of the JSON document before freeing it. */
        password = password ? kz_arena_strdup(&r->arena, password) : NULL;
    }
    json_decref(j);
    if (rc < 0)
        return rc;
    if (!u.org_id[0])
        memcpy(u.org_id, r->who.org_id, sizeof u.org_id);
    if (!kz_acl_can_manage_users(&r->who, u.org_id) && !kz_http_is_admin(r))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, "org_id",
                       "an org admin may only create users in its own organisation");
    if (u.role == KZ_ROLE_ADMIN && !kz_http_is_admin(r))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, "role", "only a node admin may create admins");
    kz_org o;
    kz_err e;
    rc = kz_store_org_get(r->st, u.org_id, &r->arena, &o, &e);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_VALUE, "org_id", "org_id: no such organisation '%s'", u.org_id);
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    if ((rc = set_password(r, &u, password)) < 0)
        return rc;
    kz_uuid_v4(u.id);
    u.created = u.modified = kz_time_now();
    if ((rc = kz_store_user_put(r->st, &u, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_CREATED, kz_json_user(&u));
}

/* Loads the {id} user if the caller may see it: admins, managers of its
 * org, and the user itself. */
static int load_visible(kz_req *r, kz_user *u)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "user", id);
    if (rc < 0)
        return rc;
    rc = kz_store_user_get(r->st, id, &r->arena, u, &r->err);
    if (rc == KZ_E_NOTFOUND ||
        (rc == 0 && !kz_http_is_admin(r) && !kz_acl_can_manage_users(&r->who, u->org_id) &&
         strcmp(u->id, r->who.user_id) != 0))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such user '%s'", id);
    return rc;
}

int kz_api_user_get(kz_req *r)
{
    kz_user u;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load_visible(r, &u);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_user(&u));
}

static bool same_json(const json_t *a, const json_t *b) { return a && b && json_equal(a, b); }

int kz_api_user_patch(kz_req *r)
{
    kz_user cur;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load_visible(r, &cur);
    if (rc < 0)
        return rc;
    if (!can_manage(r, &cur))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "you may read this user but not change it (admins and org admins can)");
    json_t *patch;
    if ((rc = kz_http_body_json(r, &patch)) < 0)
        return rc;
    if (!json_is_object(patch)) {
        json_decref(patch);
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "body must be a JSON object");
    }
    /* Apply the patch onto the current user as JSON, so the create parser
     * validates the result and the fields the node owns can be checked. */
    json_t *merged = kz_json_user(&cur);
    if (!merged) {
        json_decref(patch);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    json_t *orig = json_deep_copy(merged);
    json_object_update(merged, patch);
    json_object_del(merged, "has_password");
    bool has_pw_field = json_object_get(patch, "password") != NULL;
    kz_user u;
    const char *password = NULL;
    rc = kz_json_user_parse(merged, &r->arena, &u, &password, &r->err);
    if (rc == 0)
        password = password ? kz_arena_strdup(&r->arena, password) : NULL;
    static const char *const fixed[] = {"id", "org_id", "created", "modified", "has_password"};
    for (size_t i = 0; rc == 0 && i < KZ_ARRAY_LEN(fixed); i++) {
        json_t *v = json_object_get(patch, fixed[i]);
        if (v && !same_json(v, json_object_get(orig, fixed[i])))
            rc = kz_fail(&r->err, KZ_E_INVALID, fixed[i], "field '%s' cannot be changed", fixed[i]);
    }
    json_decref(orig);
    json_decref(merged);
    json_decref(patch);
    if (rc < 0)
        return rc;
    if (u.role == KZ_ROLE_ADMIN && cur.role != KZ_ROLE_ADMIN && !kz_http_is_admin(r))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, "role", "only a node admin may make admins");
    memcpy(u.id, cur.id, sizeof u.id);
    memcpy(u.org_id, cur.org_id, sizeof u.org_id);
    u.created = cur.created;
    u.password_hash = cur.password_hash;
    if (has_pw_field && (rc = set_password(r, &u, password)) < 0)
        return rc;
    u.modified = kz_time_now();
    if ((rc = kz_store_user_update(r->st, &u, &r->err)) < 0)
        return rc;
    kz_principal_cache_flush(r->srv->pc);
    return kz_http_ok(r, MHD_HTTP_OK, kz_json_user(&u));
}

int kz_api_user_delete(kz_req *r)
{
    kz_user u;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load_visible(r, &u);
    if (rc < 0)
        return rc;
    if (!can_manage(r, &u))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "you may read this user but not delete it (admins and org admins can)");
    if (strcmp(u.id, r->who.user_id) == 0)
        return kz_fail(&r->err, KZ_E_CONFLICT, NULL,
                       "you cannot delete your own user; ask another admin");
    if ((rc = kz_store_user_delete(r->st, u.id, &r->err)) < 0)
        return rc;
    kz_principal_cache_flush(r->srv->pc);
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}
