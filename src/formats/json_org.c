/* json_org.c — organisations on the wire. Create and PATCH share one reader
 * so a field is validated the same way whichever route it arrives by. */
#include "json_read.h"
#include "json_write.h"

#include <string.h>

static int read_country(const kz_jr *r, const char *k, const json_t *v, char out[3])
{
    if (!json_is_string(v))
        return kz_jr_fail(r, KZ_E_INVALID, k, -1,
                          "must be an ISO 3166-1 alpha-2 country code string, got %s",
                          kz_jr_type(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > 8 || strlen(s) != n || !kz_country_normalize(s, out)) {
        char q[80];
        kz_jr_quote(s, n, q);
        return kz_jr_fail(r, KZ_E_VALUE, k, -1,
                          "must be an ISO 3166-1 alpha-2 country code (e.g. JP, SG), got '%s'", q);
    }
    return KZ_OK;
}

static int org_apply(const kz_jr *r, const json_t *j, kz_org *o, bool patch, bool *has_type)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        int rc, x;
        if (!strcmp(k, "name")) {
            rc = kz_jr_string(r, k, v, KZ_MAX_NAME, KZ_JR_NONEMPTY, &o->name);
        } else if (!strcmp(k, "country")) {
            rc = read_country(r, k, v, o->country);
        } else if (!strcmp(k, "type")) {
            rc = kz_jr_enum(r, k, v, kz_org_type_parse,
                            "national_cert, government, company, ngo, academic", 0, &x);
            if (!rc) {
                o->type = (kz_org_type)x;
                *has_type = true;
            }
        } else if (!strcmp(k, "sector")) {
            rc = kz_jr_string(r, k, v, KZ_MAX_NAME, KZ_JR_NULLABLE, &o->sector);
        } else if (!strcmp(k, "contact")) {
            rc = kz_jr_string(r, k, v, KZ_MAX_TITLE, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                              &o->contact);
        } else if (!strcmp(k, "id")) {
            rc = patch ? kz_jr_keep_uuid(r, k, v, o->id)
                       : kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, o->id);
        } else if (!strcmp(k, "created")) {
            rc = patch ? kz_jr_keep_time(r, k, v, o->created) : kz_jr_time(r, k, v, &o->created);
        } else if (!strcmp(k, "modified")) {
            rc = patch ? kz_jr_keep_time(r, k, v, o->modified)
                       : kz_jr_time(r, k, v, &o->modified);
        } else {
            rc = kz_jr_unknown(r, k);
        }
        if (rc)
            return rc;
    }
    return KZ_OK;
}

int kz_json_org_parse(const json_t *j, kz_arena *a, kz_org *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = kz_jr_object(&r, j);
    bool has_type = false;
    if (!rc)
        rc = org_apply(&r, j, out, false, &has_type);
    if (rc)
        return rc;
    if (!out->name)
        return kz_jr_missing(&r, "name");
    if (!out->country[0])
        return kz_jr_missing(&r, "country");
    if (!has_type)
        return kz_jr_missing(&r, "type");
    return KZ_OK;
}

int kz_json_org_patch(const json_t *j, kz_arena *a, kz_org *org, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    kz_org tmp = *org;
    bool has_type = false;
    int rc = kz_jr_object(&r, j);
    if (!rc)
        rc = org_apply(&r, j, &tmp, true, &has_type);
    if (rc)
        return rc;
    *org = tmp;
    return KZ_OK;
}

json_t *kz_json_org(const kz_org *o)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", o->id);
    bad |= kz_jw_str(j, "name", o->name);
    bad |= kz_jw_ascii(j, "country", o->country[0] ? o->country : NULL);
    bad |= kz_jw_ascii(j, "type", kz_org_type_name(o->type));
    bad |= kz_jw_str(j, "sector", o->sector);
    bad |= kz_jw_str(j, "contact", o->contact);
    bad |= kz_jw_time(j, "created", o->created);
    bad |= kz_jw_time(j, "modified", o->modified);
    return kz_jw_done(j, bad);
}
