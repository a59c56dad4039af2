/* misp_import_attr.c — one MISP attribute into one indicator plus what MISP
 * keeps beyond it (type, category, object, relation, sightings, payload).
 *
 * The value policy: a MISP type the model has a concrete type for (ip-dst,
 * domain, md5, ...) is validated and normalised as that type, and an invalid
 * value is an error that names the attribute, so nothing of the event is
 * stored. Types real MISP data fills loosely ("url" holding "Data/dtl.dat")
 * are lenient: an invalid value is kept as typed text (the MISP type and
 * category stay on the row) with a warning. Every other MISP type is typed
 * text from the start.
 *
 * Markings: an attribute may be stricter than its event, never looser
 * (reading applies both anyway). A looser TLP tag or distribution is
 * dropped with a warning, since keeping it would claim a release the event
 * does not allow. Inside an object, an attribute is at least as strict as
 * its object.
 */
#include "misp_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS 256

int kz_mi_fail(kz_mi *c, const char *path, int code, const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The field is the JSON path alone, without the " (uuid)" of messages. */
    char field[sizeof c->err->field];
    snprintf(field, sizeof field, "%s", path);
    char *paren = strstr(field, " (");
    if (paren)
        *paren = 0;
    return kz_fail(c->err, code, field, "%s: %s", path, msg);
}

void kz_mi_warn(kz_mi *c, const char *fmt, ...)
{
    if (c->me->warnings.n >= 1000)
        return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kz_strlist_push(c->a, &c->me->warnings, msg);
}

static void quote(const char *s, char out[80])
{
    size_t n = strlen(s);
    size_t k = n > 64 ? 64 : n;
    /* cut on a character boundary */
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    size_t o = 0;
    for (size_t i = 0; i < k; i++)
        out[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (k < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
}

/* ---- tags -------------------------------------------------------------- */

int kz_mi_tags(kz_mi *c, const json_t *arr, const char *path, bool wrapped, kz_strlist *tags,
               int *tlp, char **tlp_tag, int *pap, char **pap_tag)
{
    if (!arr || json_is_null(arr))
        return 0;
    char p[160];
    if (!json_is_array(arr))
        return kz_mi_fail(c, path, KZ_E_INVALID, "must be an array, got %s",
                          json_is_object(arr) ? "object" : "another type");
    if (json_array_size(arr) > MAX_TAGS)
        return kz_mi_fail(c, path, KZ_E_VALUE, "more than %d tags", MAX_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(arr, i, t) {
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        const json_t *tag = wrapped ? json_object_get(t, "Tag") : t;
        /* A bare string is accepted too (restSearch bodies write tags so). */
        const char *name = json_is_string(tag) ? json_string_value(tag)
                                               : json_string_value(json_object_get(tag, "name"));
        if (!name)
            return kz_mi_fail(c, p, KZ_E_INVALID, "a tag needs a \"name\" string");
        char norm[256];
        kz_err e;
        if (kz_tag_normalize(name, norm, &e) < 0)
            return kz_mi_fail(c, p, KZ_E_VALUE, "%s", e.msg);
        kz_tlp tl;
        kz_pap pp;
        if (kz_tag_as_tlp(norm, &tl) == 0) {
            if (*tlp >= 0 && (int)tl != *tlp)
                kz_mi_warn(c, "%s: several TLP tags; the strictest applies", path);
            if ((int)tl > *tlp) {
                *tlp = (int)tl;
                *tlp_tag = kz_arena_strdup(c->a, norm);
            }
            continue;
        }
        if (pap && kz_tag_as_pap(norm, &pp) == 0) {
            if ((int)pp > *pap) {
                *pap = (int)pp;
                *pap_tag = kz_arena_strdup(c->a, norm);
            }
            continue;
        }
        if (!kz_strlist_has(tags, norm) && kz_strlist_push(c->a, tags, norm) < 0)
            return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    return 0;
}

/* ---- sightings --------------------------------------------------------- */

static int sightings(kz_mi *c, const json_t *arr, const char *path, kz_misp_attr *ma,
                     const kz_indicator *ind)
{
    if (!arr || json_is_null(arr))
        return 0;
    char p[200];
    snprintf(p, sizeof p, "%s.Sighting", path);
    if (!json_is_array(arr))
        return kz_mi_fail(c, p, KZ_E_INVALID, "must be an array");
    size_t n = json_array_size(arr);
    if (!n)
        return 0;
    ma->sightings = kz_arena_alloc(c->a, n * sizeof *ma->sightings);
    if (!ma->sightings)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s) {
        snprintf(p, sizeof p, "%s.Sighting[%zu]", path, i);
        if (!json_is_object(s))
            return kz_mi_fail(c, p, KZ_E_INVALID, "must be an object");
        kz_misp_sighting *ms = &ma->sightings[ma->n_sightings];
        memset(ms, 0, sizeof *ms);
        memcpy(ms->s.indicator_id, ind->id, sizeof ms->s.indicator_id);
        const char *u = json_string_value(json_object_get(s, "uuid"));
        if (u && *u) {
            if (strlen(u) != KZ_UUID_STRLEN || !kz_uuid_normalize(u, ms->s.id))
                return kz_mi_fail(c, p, KZ_E_VALUE, "uuid '%.64s' is not a UUID", u);
        } else {
            char key[96];
            int kn = snprintf(key, sizeof key, "%s/sighting/%zu", ind->id, i);
            kz_uuid_v5(ind->id, key, (size_t)kn, ms->s.id);
        }
        int64_t type = 0;
        const json_t *tv = json_object_get(s, "type");
        if (tv && kz_mj_int(tv, 0, 2, &type) < 0)
            return kz_mi_fail(c, p, KZ_E_VALUE,
                              "type must be 0 (seen), 1 (false positive) or 2 (expired)");
        ms->s.type = type == 1 ? KZ_SIGHTING_FALSE_POSITIVE
                     : type == 2 ? KZ_SIGHTING_EXPIRED
                                 : KZ_SIGHTING_SEEN;
        if (kz_mj_epoch(json_object_get(s, "date_sighting"), &ms->s.time) < 0)
            return kz_mi_fail(c, p, KZ_E_VALUE, "date_sighting is not epoch seconds");
        ms->s.count = 1;
        char *src = NULL;
        if (kz_mj_str(c->a, json_object_get(s, "source"), 255, &src) < 0)
            return kz_mi_fail(c, p, KZ_E_VALUE, "source must be a string of at most 255 bytes");
        ms->s.source = src && *src ? src : NULL;
        if (kz_mj_org(c->a, json_object_get(s, "Organisation"), &ms->org) < 0)
            return kz_mi_fail(c, p, KZ_E_VALUE, "Organisation needs a valid uuid and a name");
        ma->n_sightings++;
    }
    return 0;
}

/* ---- the attribute ------------------------------------------------------- */

static int grow(kz_mi *c)
{
    kz_misp_event *me = c->me;
    if (me->ev.n_indicators < c->cap_ind)
        return 0;
    /* Streaming: the store reads these arrays while they fill; they never move. */
    if (c->progress)
        return kz_fail(c->err, KZ_E_INTERNAL, NULL, "more attributes than the event holds");
    size_t cap = c->cap_ind ? c->cap_ind * 2 : 64;
    kz_indicator *v = kz_arena_alloc(c->a, cap * sizeof *v);
    kz_misp_attr *m = kz_arena_alloc(c->a, cap * sizeof *m);
    if (!v || !m)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    if (me->ev.n_indicators) {
        memcpy(v, me->ev.indicators, me->ev.n_indicators * sizeof *v);
        memcpy(m, me->attrs, me->ev.n_indicators * sizeof *m);
    }
    me->ev.indicators = v;
    me->attrs = m;
    c->cap_ind = cap;
    return 0;
}

/* The value as a string: MISP writes numbers for some types (float,
 * counter, size-in-bytes) in hand-made files. */
static const char *value_text(kz_mi *c, const json_t *v, size_t *n)
{
    if (json_is_string(v)) {
        *n = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_number(v)) {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        char *copy = s ? kz_arena_strdup(c->a, s) : NULL;
        free(s);
        *n = copy ? strlen(copy) : 0;
        return copy;
    }
    return NULL;
}

static int set_value(kz_mi *c, const char *path, const kz_misp_type_info *ti, const char *v,
                     size_t n, kz_indicator *ind, kz_misp_attr *ma)
{
    int kt = ti->kz_type == KZ_MISP_ANY_IP ? kz_ioc_type_resolve(ti->name, v, n) : ti->kz_type;
    kz_err e;
    int rc = kz_ioc_normalize((kz_ioc_type)kt, v, n, &c->norm, &e);
    if (rc < 0 && ti->lenient && kt != KZ_IOC_TEXT) {
        char q[80];
        quote(v, q);
        kz_mi_warn(c, "%s: '%s' value '%s' kept as typed text: %s", path, ti->name, q, e.msg);
        kt = KZ_IOC_TEXT;
        rc = kz_ioc_normalize(KZ_IOC_TEXT, v, n, &c->norm, &e);
    }
    if (rc < 0)
        return kz_mi_fail(c, path, KZ_E_VALUE, "'%s' value %s", ti->name, e.msg);
    ind->type = (kz_ioc_type)kt;
    ind->value = kz_arena_strndup(c->a, c->norm.p, c->norm.len);
    if (!ind->value)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    /* Keep MISP's own text when ours would not write it back the same. */
    ma->value = NULL;
    if (kz_misp_value_out(ind, ma, &c->tmp) < 0)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    if (c->tmp.len != n || memcmp(c->tmp.p, v, n) != 0) {
        ma->value = kz_arena_strndup(c->a, v, n);
        if (!ma->value)
            return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    return 0;
}

static int attr_uuid(kz_mi *c, const json_t *j, const char *path, kz_uuid out)
{
    const char *u = json_string_value(json_object_get(j, "uuid"));
    if (u && *u) {
        if (strlen(u) != KZ_UUID_STRLEN || !kz_uuid_normalize(u, out)) {
            char q[80];
            quote(u, q);
            return kz_mi_fail(c, path, KZ_E_VALUE, "uuid '%s' is not a UUID", q);
        }
        return 0;
    }
    /* No UUID (hand-made files): one derived from the event and the
     * position, so importing the same file twice gives the same ids. */
    return kz_uuid_v5(c->me->ev.id, path, strlen(path), out) < 0
               ? kz_fail(c->err, KZ_E_INTERNAL, NULL, "cannot derive an attribute id")
               : 0;
}

/* Distribution: "5" is inherit; an object's stricter level applies to its
 * attributes; looser than the event is dropped. */
static int distribution(kz_mi *c, const json_t *j, const char *path, int obj_dist,
                        kz_indicator *ind, kz_misp_attr *ma)
{
    int64_t d = 5;
    const json_t *v = json_object_get(j, "distribution");
    if (v && !json_is_null(v) && kz_mj_int(v, 0, 5, &d) < 0)
        return kz_mi_fail(c, path, KZ_E_VALUE,
                          "distribution must be 0 to 5 (org, community, connected, all, sharing"
                          " group, inherit)");
    int dist = d == 5 ? -1 : (int)d;
    if (obj_dist >= 0 && (dist < 0 || kz_distribution_no_wider((kz_distribution)obj_dist,
                                                               (kz_distribution)dist)))
        dist = obj_dist;
    ind->distribution = dist;
    if (dist >= 0 && !kz_distribution_no_wider((kz_distribution)dist, c->me->ev.distribution)) {
        ind->distribution = -1;
        if (d != 5)
            kz_mi_warn(c, "%s: distribution %d is wider than the event's; the event's applies",
                       path, dist);
    }
    /* Remember MISP's number when ours says something else, for export. */
    int plain = ind->distribution < 0 ? 5 : ind->distribution;
    ma->distribution = plain != (int)d ? (int)d : -1;
    return 0;
}

static int strings(kz_mi *c, const json_t *j, const char *path, kz_indicator *ind,
                   kz_misp_attr *ma)
{
    char *s = NULL;
    int r = kz_mj_str(c->a, json_object_get(j, "comment"), KZ_MAX_TEXT, &s);
    if (r < 0)
        return kz_mi_fail(c, path, r == -2 ? KZ_E_VALUE : KZ_E_INVALID,
                          "comment must be a string of at most %d bytes", KZ_MAX_TEXT);
    ind->comment = s && *s ? s : NULL;
    r = kz_mj_str(c->a, json_object_get(j, "object_relation"), KZ_MISP_MAX_SHORT, &s);
    if (r < 0)
        return kz_mi_fail(c, path, KZ_E_INVALID,
                          "object_relation must be a string of at most %d bytes",
                          KZ_MISP_MAX_SHORT);
    ma->relation = s && *s ? s : NULL;
    const json_t *dv = json_object_get(j, "data");
    const char *big;
    size_t big_n;
    if (c->spans && kz_misp_span_value(c->spans, json_string_value(dv), &big, &big_n) == 0) {
        /* Checked as plain text by kz_misp_load: one copy, straight from it. */
        if (big_n > KZ_MISP_MAX_DATA)
            return kz_mi_fail(c, path, KZ_E_INVALID, "data must be a base64 string");
        ma->data = kz_arena_strndup(c->a, big, big_n);
        if (!ma->data)
            return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
        return 0;
    }
    r = kz_mj_str(c->a, dv, KZ_MISP_MAX_DATA, &s);
    if (r < 0)
        return kz_mi_fail(c, path, KZ_E_INVALID, "data must be a base64 string");
    ma->data = s && *s ? s : NULL;
    return 0;
}

static int times(kz_mi *c, const json_t *j, const char *path, kz_indicator *ind)
{
    kz_time ts = 0;
    if (kz_mj_epoch(json_object_get(j, "timestamp"), &ts) < 0)
        return kz_mi_fail(c, path, KZ_E_VALUE, "timestamp is not epoch seconds");
    if (!ts)
        ts = c->me->ev.modified;
    ind->created = ind->modified = ts;
    if (kz_mj_time(json_object_get(j, "first_seen"), &ind->first_seen) < 0)
        return kz_mi_fail(c, path, KZ_E_VALUE, "first_seen is not an RFC 3339 time");
    if (kz_mj_time(json_object_get(j, "last_seen"), &ind->last_seen) < 0)
        return kz_mi_fail(c, path, KZ_E_VALUE, "last_seen is not an RFC 3339 time");
    return 0;
}

static int flags(kz_mi *c, const json_t *j, const char *path, const kz_misp_type_info *ti,
                 kz_indicator *ind, kz_misp_attr *ma)
{
    static const char *const names[] = {"to_ids", "deleted", "disable_correlation"};
    bool vals[3] = {ti->to_ids, false, false};
    for (size_t k = 0; k < 3; k++) {
        const json_t *v = json_object_get(j, names[k]);
        if (v && !json_is_null(v) && kz_mj_bool(v, &vals[k]) < 0)
            return kz_mi_fail(c, path, KZ_E_INVALID, "%s must be true or false", names[k]);
    }
    ind->to_ids = vals[0];
    ind->deleted = vals[1];
    ma->disable_correlation = vals[2];
    return 0;
}

static int markings(kz_mi *c, const json_t *j, const char *path, kz_indicator *ind)
{
    char p[200];
    snprintf(p, sizeof p, "%s.Tag", path);
    int tlp = -1;
    char *tlp_tag = NULL;
    int r = kz_mi_tags(c, json_object_get(j, "Tag"), p, false, &ind->tags, &tlp, &tlp_tag, NULL,
                       NULL);
    if (r)
        return r;
    if (!json_object_get(j, "Tag")) {
        snprintf(p, sizeof p, "%s.AttributeTag", path);
        r = kz_mi_tags(c, json_object_get(j, "AttributeTag"), p, true, &ind->tags, &tlp,
                       &tlp_tag, NULL, NULL);
        if (r)
            return r;
    }
    ind->tlp = -1;
    if (tlp >= 0 && tlp < (int)c->me->ev.tlp)
        kz_mi_warn(c, "%s: %s is looser than the event's %s; the event's applies", path, tlp_tag,
                   kz_tlp_tag(c->me->ev.tlp));
    else if (tlp >= 0)
        ind->tlp = tlp;
    return 0;
}

int kz_mi_attribute(kz_mi *c, const json_t *j, const char *path, long obj, int obj_dist)
{
    if (!json_is_object(j))
        return kz_mi_fail(c, path, KZ_E_INVALID, "an attribute must be an object");
    int r = grow(c);
    if (r)
        return r;
    kz_misp_event *me = c->me;
    kz_indicator *ind = &me->ev.indicators[me->ev.n_indicators];
    kz_misp_attr *ma = &me->attrs[me->ev.n_indicators];
    memset(ind, 0, sizeof *ind);
    memset(ma, 0, sizeof *ma);
    ma->object = obj;
    ma->distribution = -1;
    memcpy(ind->event_id, me->ev.id, sizeof ind->event_id);

    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type)
        return kz_mi_fail(c, path, KZ_E_INVALID, "an attribute needs a \"type\" string");
    const kz_misp_type_info *ti = kz_misp_type_find(type);
    if (!ti) {
        char q[80];
        quote(type, q);
        return kz_mi_fail(c, path, KZ_E_VALUE, "'%s' is not a MISP attribute type", q);
    }
    ma->type = ti->name;
    const json_t *cv = json_object_get(j, "category");
    if (cv && !json_is_null(cv)) {
        const char *cat = kz_misp_category_find(json_string_value(cv));
        if (!cat) {
            char q[80];
            quote(json_is_string(cv) ? json_string_value(cv) : "(not a string)", q);
            return kz_mi_fail(c, path, KZ_E_VALUE, "'%s' is not a MISP category", q);
        }
        ma->category = cat;
    } else {
        ma->category = ti->category;
    }
    if ((r = attr_uuid(c, j, path, ind->id)) != 0)
        return r;
    /* From here on, messages name the attribute by its UUID too. */
    char where[160];
    snprintf(where, sizeof where, "%s (%s)", path, ind->id);
    size_t n = 0;
    const char *v = value_text(c, json_object_get(j, "value"), &n);
    if (!v)
        return kz_mi_fail(c, where, KZ_E_INVALID, "an attribute needs a \"value\" string");
    if ((r = set_value(c, where, ti, v, n, ind, ma)) != 0 ||
        (r = flags(c, j, where, ti, ind, ma)) != 0 || (r = times(c, j, where, ind)) != 0 ||
        (r = strings(c, j, where, ind, ma)) != 0 ||
        (r = distribution(c, j, where, obj_dist, ind, ma)) != 0 ||
        (r = markings(c, j, where, ind)) != 0 ||
        (r = sightings(c, json_object_get(j, "Sighting"), path, ma, ind)) != 0)
        return r;
    me->ev.n_indicators++;
    return 0;
}
