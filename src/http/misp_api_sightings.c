/* misp_api_sightings.c — POST /sightings/add, as MISP takes it: by value
 * ({"value": ..} or {"values": [..]}: every attribute with that value the
 * caller may see), or by attribute ({"id": <MISP id>} or {"uuid": ..}).
 * "type" is 0 (seen), 1 (false positive) or 2 (expired); "source" and
 * "timestamp" (epoch seconds) are optional. The sighting is the caller's
 * org's. An attribute the caller may not see cannot be sighted (404).
 */
#include "misp_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIGHTED 1000

typedef struct sight {
    kz_sighting proto;
    json_t *out;
    size_t n;
} sight;

static int add_one(kz_req *r, sight *x, const kz_indicator *ind, int64_t attr_seq,
                   int64_t event_seq)
{
    if (x->n >= MAX_SIGHTED)
        return 0;
    kz_sighting s = x->proto;
    kz_uuid_v4(s.id);
    memcpy(s.indicator_id, ind->id, sizeof s.indicator_id);
    int rc = kz_store_sighting_put(r->st, &s, &r->err);
    if (rc < 0)
        return rc;
    char a[24], e[24], d[24], t[4];
    snprintf(a, sizeof a, "%lld", (long long)attr_seq);
    snprintf(e, sizeof e, "%lld", (long long)event_seq);
    snprintf(d, sizeof d, "%lld", (long long)(s.time / 1000000));
    snprintf(t, sizeof t, "%d", s.type == KZ_SIGHTING_FALSE_POSITIVE ? 1
                                : s.type == KZ_SIGHTING_EXPIRED      ? 2
                                                                     : 0);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "uuid", s.id, "attribute_id", a,
                          "event_id", e, "org_uuid", s.org_id, "date_sighting", d, "source",
                          s.source ? s.source : "", "type", t, "attribute_uuid", ind->id);
    if (!j || json_array_append_new(x->out, j) < 0)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    x->n++;
    return 0;
}

static int by_value(kz_req *r, void *ctx, kz_mev *m, const kz_indicator *ind,
                    const kz_misp_attr *ma, const kz_misp_object *obj, bool *stop)
{
    (void)obj;
    sight *x = ctx;
    int rc = add_one(r, x, ind, ma->seq, m->seq);
    if (x->n >= MAX_SIGHTED)
        *stop = true;
    return rc;
}

static int proto(kz_req *r, const json_t *b, kz_sighting *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->org_id, r->who.org_id, sizeof s->org_id);
    s->count = 1;
    s->time = kz_time_now();
    const json_t *t = json_object_get(b, "type");
    if (t && !json_is_null(t)) {
        const char *v = json_is_string(t) ? json_string_value(t) : NULL;
        long long n = json_is_integer(t) ? json_integer_value(t) : v && *v ? atoll(v) : -1;
        if ((v && strspn(v, "0123456789") != strlen(v)) || n < 0 || n > 2)
            return kz_fail(&r->err, KZ_E_INVALID, "type",
                           "type: must be 0 (seen), 1 (false positive) or 2 (expired)");
        s->type = n == 1 ? KZ_SIGHTING_FALSE_POSITIVE : n == 2 ? KZ_SIGHTING_EXPIRED
                                                               : KZ_SIGHTING_SEEN;
    }
    const json_t *src = json_object_get(b, "source");
    if (src && !json_is_null(src)) {
        if (!json_is_string(src) || json_string_length(src) > 255)
            return kz_fail(&r->err, KZ_E_INVALID, "source",
                           "source: must be a string of at most 255 bytes");
        if (json_string_length(src))
            s->source = kz_arena_strdup(&r->arena, json_string_value(src));
    }
    const json_t *ts = json_object_get(b, "timestamp");
    if (ts && !json_is_null(ts)) {
        long long n = json_is_integer(ts) ? json_integer_value(ts)
                      : json_is_string(ts) ? atoll(json_string_value(ts))
                                           : -1;
        if (n <= 0 || n > 253402300799LL)
            return kz_fail(&r->err, KZ_E_INVALID, "timestamp",
                           "timestamp: must be epoch seconds");
        s->time = (kz_time)n * 1000000;
    }
    return 0;
}

/* {"id": MISP attribute id} or {"uuid": ..}: that one attribute. */
static int by_attribute(kz_req *r, sight *x, const json_t *b)
{
    const json_t *idv = json_object_get(b, "id");
    const char *uuid = json_string_value(json_object_get(b, "uuid"));
    kz_uuid id = "";
    int64_t seq = 0;
    kz_err e;
    if (uuid) {
        if (!kz_uuid_normalize(uuid, id) ||
            kz_store_misp_indicator_seq(r->st, id, &seq, &e) != 0)
            return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such attribute '%.64s'", uuid);
    } else {
        const char *s = json_is_string(idv) ? json_string_value(idv) : NULL;
        seq = json_is_integer(idv) ? json_integer_value(idv) : s ? atoll(s) : 0;
        if (seq <= 0 || kz_store_misp_indicator_id(r->st, seq, id, &e) != 0)
            return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such attribute");
    }
    kz_indicator ind;
    int rc = kz_store_indicator_get(r->st, id, &r->arena, &ind, &e);
    kz_event ev;
    kz_acl_object obj;
    if (rc == 0)
        rc = kz_store_event_get(r->st, ind.event_id, false, &r->arena, &ev, &e);
    if (rc == 0)
        rc = kz_http_acl_object(r, &ev, &obj);
    if (rc == KZ_E_NOTFOUND ||
        (rc == 0 && !kz_acl_indicator_allows(&r->who, &obj, &ind, KZ_ACL_VIEW, NULL)))
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such attribute '%s'", id);
    if (rc < 0) {
        if (!r->err.code)
            r->err = e;
        return rc;
    }
    int64_t ev_seq = 0;
    kz_store_misp_event_seq(r->st, ev.id, &ev_seq, &e);
    return add_one(r, x, &ind, seq, ev_seq);
}

int kz_misp_api_sighting_add(kz_req *r)
{
    json_t *b;
    int rc = kz_http_body_json(r, &b);
    if (rc < 0)
        return rc;
    if (json_is_object(json_object_get(b, "Sighting"))) {
        json_t *inner = json_incref(json_object_get(b, "Sighting"));
        json_decref(b);
        b = inner;
    }
    if (!json_is_object(b)) {
        json_decref(b);
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "the body must be a JSON object");
    }
    sight x = {.out = json_array()};
    rc = x.out ? proto(r, b, &x.proto) : kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    kz_mf f = {.published = -1, .to_ids = -1, .page = 1};
    const json_t *vals = json_object_get(b, "values");
    const json_t *val = json_object_get(b, "value");
    if (rc == 0 && (vals || val)) {
        const json_t *list = vals ? vals : val;
        size_t n = json_is_array(list) ? json_array_size(list) : 1;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const json_t *e = json_is_array(list) ? json_array_get(list, i) : list;
            if (!json_is_string(e) || json_string_length(e) == 0 ||
                json_string_length(e) > KZ_MAX_VALUE)
                rc = kz_fail(&r->err, KZ_E_INVALID, "value",
                             "value: must be a non-empty string (or a list of them)");
            else
                kz_strlist_push(&r->arena, &f.values, json_string_value(e));
        }
        kz_mev_cache cache = {0};
        if (rc == 0)
            rc = kz_misp_api_scan(r, &f, &cache, by_value, &x);
        if (rc == 0 && x.n == 0)
            rc = kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no attribute with that value");
    } else if (rc == 0 && (json_object_get(b, "id") || json_object_get(b, "uuid"))) {
        rc = by_attribute(r, &x, b);
    } else if (rc == 0) {
        rc = kz_fail(&r->err, KZ_E_INVALID, NULL,
                     "name what was sighted: \"value\", \"values\", \"id\" or \"uuid\"");
    }
    json_decref(b);
    if (rc < 0) {
        json_decref(x.out);
        return rc;
    }
    json_t *answer;
    if (x.n == 1) {
        answer = json_pack("{s:O}", "Sighting", json_array_get(x.out, 0));
        json_decref(x.out);
    } else {
        answer = json_pack("{s:s+,s:o}", "message", kz_arena_printf(&r->arena, "%zu", x.n),
                           " sightings successfully added.", "Sighting", x.out);
    }
    return kz_http_ok(r, MHD_HTTP_OK, answer);
}
