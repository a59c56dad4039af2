/* json_indicator.c — indicators on the wire, the hot path of every import.
 *
 * A row is read in one pass over its members with a dispatch on the key's
 * first byte; the value is normalised through ioc into a scratch buffer the
 * whole batch shares, and only the final text is copied to the arena. A batch
 * keeps going after a bad row so the client gets every bad row at once. */
#include "json_read.h"
#include "json_write.h"

#include <string.h>

#define KZ_IOC_TYPE_HINT "ipv4, ipv6, cidr, domain, url, sha256, ... or a MISP type such as ip-dst"

static int unknown(const kz_jr *r, const char *k) { return kz_jr_unknown(r, k); }

/* Type and value are read together: the type name may depend on the value
 * (MISP's ip-dst holds v4, v6 or a CIDR). */
static int type_value(const kz_jr *r, const json_t *jt, const json_t *jv, const char *cur_type,
                      const char *cur_value, kz_buf *norm, kz_indicator *ind)
{
    const char *tname = cur_type, *val = cur_value;
    if (!tname)
        tname = "";
    if (!val)
        val = "";
    size_t tn = strlen(tname), vn = strlen(val);
    if (jt) {
        if (!json_is_string(jt))
            return kz_jr_fail(r, KZ_E_INVALID, "type", -1,
                              "must be an indicator type name string, got %s", kz_jr_type(jt));
        tname = json_string_value(jt);
        tn = json_string_length(jt);
    }
    if (jv) {
        if (!json_is_string(jv))
            return kz_jr_fail(r, KZ_E_INVALID, "value", -1, "must be a string, got %s",
                              kz_jr_type(jv));
        val = json_string_value(jv);
        vn = json_string_length(jv);
        if (vn > KZ_MAX_VALUE)
            return kz_jr_fail(r, KZ_E_VALUE, "value", -1, "is too long: %zu bytes, at most %d",
                              vn, KZ_MAX_VALUE);
        if (vn == 0)
            return kz_jr_fail(r, KZ_E_VALUE, "value", -1, "must not be empty");
        if (memchr(val, '\0', vn) || !kz_utf8_valid(val, vn))
            return kz_jr_fail(r, KZ_E_VALUE, "value", -1,
                              "must be UTF-8 text without NUL characters");
    }
    int t = tn <= 64 && strlen(tname) == tn ? kz_ioc_type_resolve(tname, val, vn) : -1;
    if (t < 0) {
        char q[80];
        kz_jr_quote(tname, tn, q);
        return kz_jr_fail(r, KZ_E_VALUE, "type", -1, "must be an indicator type (%s), got '%s'",
                          KZ_IOC_TYPE_HINT, q);
    }
    kz_err e;
    kz_err_clear(&e);
    if (kz_ioc_normalize((kz_ioc_type)t, val, vn, norm, &e))
        return kz_jr_fail_from(r, "value", -1, &e);
    char *v = kz_arena_strndup(r->a, norm->p ? norm->p : "", norm->len);
    if (!v)
        return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    ind->type = (kz_ioc_type)t;
    ind->value = v;
    return KZ_OK;
}

/* Create (patch false: out starts from the defaults) or PATCH (out holds the
 * current indicator; server-set fields may be repeated, not changed). */
static int ind_apply(const kz_jr *r, const json_t *j, kz_buf *norm, kz_indicator *out, bool patch)
{
    int rc = kz_jr_object(r, j);
    if (rc)
        return rc;
    const json_t *jt = NULL, *jv = NULL;
    bool has_tlp = false;
    int tlp_field = -1, tlp_tags = -1, x;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        switch (k[0]) {
        case 'c':
            if (!strcmp(k, "comment"))
                rc = kz_jr_string(r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                                  &out->comment);
            else if (!strcmp(k, "created"))
                rc = patch ? kz_jr_keep_time(r, k, v, out->created)
                           : kz_jr_time(r, k, v, &out->created);
            else
                rc = unknown(r, k);
            break;
        case 'd':
            if (!strcmp(k, "distribution")) {
                rc = kz_jr_enum(r, k, v, kz_distribution_parse, KZ_JR_DIST_CHOICES " or null",
                                KZ_JR_NULLABLE, &x);
                out->distribution = rc ? out->distribution : x;
            } else {
                rc = unknown(r, k);
            }
            break;
        case 'e':
            if (!strcmp(k, "event_id"))
                rc = patch ? kz_jr_keep_uuid(r, k, v, out->event_id)
                           : kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, out->event_id);
            else
                rc = unknown(r, k);
            break;
        case 'f':
            rc = !strcmp(k, "first_seen") ? kz_jr_time(r, k, v, &out->first_seen) : unknown(r, k);
            break;
        case 'i':
            if (!strcmp(k, "id"))
                rc = patch ? kz_jr_keep_uuid(r, k, v, out->id)
                           : kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, out->id);
            else
                rc = unknown(r, k);
            break;
        case 'l':
            rc = !strcmp(k, "last_seen") ? kz_jr_time(r, k, v, &out->last_seen) : unknown(r, k);
            break;
        case 'm':
            if (!strcmp(k, "modified"))
                rc = patch ? kz_jr_keep_time(r, k, v, out->modified)
                           : kz_jr_time(r, k, v, &out->modified);
            else
                rc = unknown(r, k);
            break;
        case 't':
            if (!strcmp(k, "type")) {
                jt = v;
            } else if (!strcmp(k, "to_ids")) {
                rc = kz_jr_bool(r, k, v, &out->to_ids);
            } else if (!strcmp(k, "tags")) {
                rc = kz_jr_tags(r, k, v, &out->tags, &tlp_tags, NULL);
            } else if (!strcmp(k, "tlp")) {
                rc = kz_jr_enum(r, k, v, kz_tlp_parse, KZ_JR_TLP_CHOICES " or null",
                                KZ_JR_NULLABLE, &tlp_field);
                has_tlp = true;
            } else {
                rc = unknown(r, k);
            }
            break;
        case 'v':
            if (!strcmp(k, "value"))
                jv = v;
            else
                rc = unknown(r, k);
            break;
        case 'w':
            /* match engine: set by the store, accepted back and ignored so
             * that what GET returns can be sent again. */
            if (!strcmp(k, "warninglist")) {
                char *ignored = NULL;
                rc = kz_jr_string(r, k, v, 1024, KZ_JR_NULLABLE, &ignored);
            } else {
                rc = unknown(r, k);
            }
            break;
        default: rc = unknown(r, k); break;
        }
        if (rc)
            return rc;
    }
    if (!patch && !jt)
        return kz_jr_missing(r, "type");
    if (!patch && !jv)
        return kz_jr_missing(r, "value");
    if (jt || jv) {
        rc = type_value(r, jt, jv, patch ? kz_ioc_type_name(out->type) : NULL, out->value, norm,
                        out);
        if (rc)
            return rc;
    }
    rc = kz_jr_merge_marking(r, "tlp", has_tlp, tlp_field, tlp_tags, kz_jr_tlp_name, &out->tlp);
    if (rc)
        return rc;
    if (out->first_seen && out->last_seen && out->first_seen > out->last_seen)
        return kz_jr_fail(r, KZ_E_VALUE, "last_seen", -1, "is before 'first_seen'");
    return KZ_OK;
}

int kz_jr_indicator(const kz_jr *r, const json_t *j, kz_buf *norm, kz_indicator *out)
{
    memset(out, 0, sizeof *out);
    out->to_ids = true;
    out->tlp = -1;
    out->distribution = -1;
    return ind_apply(r, j, norm, out, false);
}

int kz_json_indicator_parse(const json_t *j, const char *path, kz_arena *a, kz_indicator *out,
                            kz_err *err)
{
    kz_jr r = {a, err, path ? path : "", -1};
    kz_buf norm;
    kz_buf_init(&norm);
    int rc = kz_jr_indicator(&r, j, &norm, out);
    kz_buf_free(&norm);
    return rc;
}

int kz_json_indicator_patch(const json_t *j, kz_arena *a, kz_indicator *ind, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    kz_indicator tmp = *ind;
    kz_buf norm;
    kz_buf_init(&norm);
    int rc = ind_apply(&r, j, &norm, &tmp, true);
    kz_buf_free(&norm);
    if (rc)
        return rc;
    *ind = tmp;
    return KZ_OK;
}

/* Pushes a row's error, keeping at most KZ_MAX_ERRORS of them. */
static int push_row_error(kz_arena *a, kz_errlist *errs, const kz_err *e, size_t *bad,
                          bool *any400, kz_err *err)
{
    (*bad)++;
    if (e->code == KZ_E_INVALID)
        *any400 = true;
    if (e->code == KZ_E_NOMEM)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (errs && errs->n < KZ_MAX_ERRORS && kz_errlist_push(a, errs, e))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return KZ_OK;
}

static int batch_summary(kz_err *err, size_t bad, size_t total, bool any400)
{
    return kz_fail(err, any400 ? KZ_E_INVALID : KZ_E_VALUE, "indicators",
                   "%zu of %zu indicators are invalid%s", bad, total,
                   bad > KZ_MAX_ERRORS ? " (the first 1000 are listed)" : "");
}

int kz_jr_indicator_rows(const json_t *arr, kz_arena *a, const kz_event *ev,
                         kz_indicator **out, size_t *n, kz_errlist *errs, kz_err *err)
{
    *out = NULL;
    *n = 0;
    size_t total = json_array_size(arr);
    if (total > KZ_MAX_INDICATORS)
        return kz_fail(err, KZ_E_TOOLARGE, "indicators", "%zu indicators in one batch, at most %d",
                       total, KZ_MAX_INDICATORS);
    kz_indicator *rows = NULL;
    if (total) {
        rows = kz_arena_alloc(a, total * sizeof *rows);
        if (!rows)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    kz_buf norm;
    kz_buf_init(&norm);
    size_t bad = 0;
    bool any400 = false;
    int rc = KZ_OK;
    for (size_t i = 0; i < total && rc != KZ_E_NOMEM; i++) {
        kz_err e;
        kz_err_clear(&e);
        kz_jr r = {a, &e, "indicators", (long)i};
        if (kz_jr_indicator(&r, json_array_get(arr, i), &norm, &rows[i])) {
            rc = push_row_error(a, errs, &e, &bad, &any400, err);
            continue;
        }
        if (!ev)
            continue;
        if (!kz_acl_check_indicator_not_looser(ev, &rows[i], &e))
            continue;
        /* The ACL names the looser marking ("tlp" or "distribution"). */
        const char *field = !strcmp(e.field, "distribution") ? "distribution" : "tlp";
        kz_err inner = e;
        kz_jr_fail_from(&r, field, -1, &inner);
        rc = push_row_error(a, errs, &e, &bad, &any400, err);
    }
    kz_buf_free(&norm);
    if (rc)
        return rc;
    if (bad)
        return batch_summary(err, bad, total, any400);
    *out = rows;
    *n = total;
    return KZ_OK;
}

int kz_json_indicators_parse(const json_t *j, kz_arena *a, kz_indicator **out, size_t *n,
                             kz_errlist *errs, kz_err *err)
{
    *out = NULL;
    *n = 0;
    const json_t *arr = j;
    if (json_is_object(j)) {
        kz_jr r = {a, err, "", -1};
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            if (strcmp(k, "indicators"))
                return kz_jr_unknown(&r, k);
        }
        arr = json_object_get(j, "indicators");
        if (!arr)
            return kz_jr_missing(&r, "indicators");
        if (!json_is_array(arr))
            return kz_jr_fail(&r, KZ_E_INVALID, "indicators", -1, "must be an array, got %s",
                              kz_jr_type(arr));
    } else if (!json_is_array(j)) {
        return kz_fail(err, KZ_E_INVALID, "",
                       "body must be an array of indicators or {\"indicators\":[...]}, got %s",
                       kz_jr_type(j));
    }
    return kz_jr_indicator_rows(arr, a, NULL, out, n, errs, err);
}

json_t *kz_json_indicator(const kz_indicator *ind)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", ind->id);
    bad |= kz_jw_uuid(j, "event_id", ind->event_id);
    bad |= kz_jw_ascii(j, "type", kz_ioc_type_name(ind->type));
    bad |= kz_jw_str(j, "value", ind->value);
    bad |= kz_jw_bool(j, "to_ids", ind->to_ids);
    bad |= kz_jw_str(j, "comment", ind->comment);
    bad |= kz_jw_time(j, "first_seen", ind->first_seen);
    bad |= kz_jw_time(j, "last_seen", ind->last_seen);
    bad |= kz_jw_set(j, "tags", kz_jw_strlist(&ind->tags));
    bad |= kz_jw_ascii(j, "tlp", ind->tlp < 0 ? NULL : kz_tlp_name((kz_tlp)ind->tlp));
    const char *dist = ind->distribution < 0
                           ? NULL
                           : kz_distribution_name((kz_distribution)ind->distribution);
    bad |= kz_jw_ascii(j, "distribution", dist);
    bad |= kz_jw_time(j, "created", ind->created);
    bad |= kz_jw_time(j, "modified", ind->modified);
    if (ind->warninglist) /* match engine: only on flagged indicators */
        bad |= kz_jw_str(j, "warninglist", ind->warninglist);
    return kz_jw_done(j, bad);
}
