/* json_user.c — users and API keys on the wire. Secrets only ever travel
 * inward: a password is handed to the caller for hashing, and neither the
 * password hash nor a key hash is ever written out. */
#include "json_read.h"
#include "json_write.h"

#include <ctype.h>
#include <string.h>

#define KZ_MAX_EMAIL 254
#define KZ_PASSWORD_MIN 8
#define KZ_PASSWORD_MAX 1024

/* A login address, not an indicator: one '@', a non-empty local part and a
 * dotless-or-dotted domain, no spaces. The domain is lower-cased since it is
 * case-insensitive; the local part is kept as typed. */
static int read_email(const kz_jr *r, const char *k, const json_t *v, char **out)
{
    char *s;
    int rc = kz_jr_string(r, k, v, KZ_MAX_EMAIL, KZ_JR_NONEMPTY, &s);
    if (rc)
        return rc;
    char *at = strchr(s, '@');
    bool ok = at && at != s && at[1] && !strchr(at + 1, '@');
    for (const char *p = s; ok && *p; p++)
        if (*p == ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';' || *p == '"')
            ok = false;
    if (ok && (at[1] == '.' || s[strlen(s) - 1] == '.'))
        ok = false;
    if (!ok) {
        char q[80];
        kz_jr_quote(s, strlen(s), q);
        return kz_jr_fail(r, KZ_E_VALUE, k, -1, "must be an e-mail address, got '%s'", q);
    }
    for (char *p = at + 1; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *out = s;
    return KZ_OK;
}

static int read_password(const kz_jr *r, const char *k, const json_t *v, const char **out)
{
    if (json_is_null(v)) {
        *out = NULL;
        return KZ_OK;
    }
    if (!json_is_string(v))
        return kz_jr_fail(r, KZ_E_INVALID, k, -1, "must be a string, got %s", kz_jr_type(v));
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    /* Never quote the value: it is a secret. */
    if (n < KZ_PASSWORD_MIN || n > KZ_PASSWORD_MAX)
        return kz_jr_fail(r, KZ_E_VALUE, k, -1, "must be %d-%d bytes long, got %zu bytes",
                          KZ_PASSWORD_MIN, KZ_PASSWORD_MAX, n);
    if (strlen(s) != n || !kz_utf8_valid(s, n))
        return kz_jr_fail(r, KZ_E_VALUE, k, -1, "must be UTF-8 text without NUL characters");
    *out = kz_arena_strndup(r->a, s, n);
    return *out ? KZ_OK : kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
}

int kz_json_user_parse(const json_t *j, kz_arena *a, kz_user *out, const char **password,
                       kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    *password = NULL;
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    bool has_role = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        int x;
        bool b;
        if (!strcmp(k, "email")) {
            rc = read_email(&r, k, v, &out->email);
        } else if (!strcmp(k, "name")) {
            rc = kz_jr_string(&r, k, v, KZ_MAX_NAME, KZ_JR_NULLABLE, &out->name);
        } else if (!strcmp(k, "role")) {
            rc = kz_jr_enum(&r, k, v, kz_role_parse,
                            "admin, org_admin, publisher, analyst, read_only, sync", 0, &x);
            if (!rc) {
                out->role = (kz_role)x;
                has_role = true;
            }
        } else if (!strcmp(k, "org_id")) {
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->org_id);
        } else if (!strcmp(k, "password")) {
            rc = read_password(&r, k, v, password);
        } else if (!strcmp(k, "id")) {
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->id);
        } else if (!strcmp(k, "created")) {
            rc = kz_jr_time(&r, k, v, &out->created);
        } else if (!strcmp(k, "modified")) {
            rc = kz_jr_time(&r, k, v, &out->modified);
        } else if (!strcmp(k, "has_password")) {
            rc = kz_jr_bool(&r, k, v, &b); /* output-only; the password decides */
        } else {
            rc = kz_jr_unknown(&r, k);
        }
        if (rc)
            return rc;
    }
    if (!out->email)
        return kz_jr_missing(&r, "email");
    if (!has_role)
        return kz_jr_missing(&r, "role");
    return KZ_OK;
}

json_t *kz_json_user(const kz_user *u)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", u->id);
    bad |= kz_jw_uuid(j, "org_id", u->org_id);
    bad |= kz_jw_str(j, "email", u->email);
    bad |= kz_jw_str(j, "name", u->name);
    bad |= kz_jw_ascii(j, "role", kz_role_name(u->role));
    bad |= kz_jw_bool(j, "has_password", u->password_hash && u->password_hash[0]);
    bad |= kz_jw_time(j, "created", u->created);
    bad |= kz_jw_time(j, "modified", u->modified);
    return kz_jw_done(j, bad);
}

int kz_json_api_key_parse(const json_t *j, kz_arena *a, kz_api_key *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (!strcmp(k, "label"))
            rc = kz_jr_string(&r, k, v, KZ_MAX_NAME, KZ_JR_NULLABLE, &out->label);
        else if (!strcmp(k, "expires"))
            rc = kz_jr_time(&r, k, v, &out->expires);
        else if (!strcmp(k, "user_id"))
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->user_id);
        else if (!strcmp(k, "id"))
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->id);
        else if (!strcmp(k, "created"))
            rc = kz_jr_time(&r, k, v, &out->created);
        else if (!strcmp(k, "revoked"))
            rc = kz_jr_time(&r, k, v, &out->revoked);
        else if (!strcmp(k, "last_used"))
            rc = kz_jr_time(&r, k, v, &out->last_used);
        else
            rc = kz_jr_unknown(&r, k);
        if (rc)
            return rc;
    }
    return KZ_OK;
}

json_t *kz_json_api_key(const kz_api_key *k)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", k->id);
    bad |= kz_jw_uuid(j, "user_id", k->user_id);
    bad |= kz_jw_str(j, "label", k->label);
    bad |= kz_jw_time(j, "expires", k->expires);
    bad |= kz_jw_time(j, "created", k->created);
    bad |= kz_jw_time(j, "revoked", k->revoked);
    bad |= kz_jw_time(j, "last_used", k->last_used);
    return kz_jw_done(j, bad);
}
