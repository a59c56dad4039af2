/* json_tags.c — reading "tags" arrays. TLP and PAP travel in two places on
 * the wire (the first-class fields and MISP-style machine tags); here they
 * are folded into the fields once, and a body that says two different
 * things is refused rather than guessed at. */
#include "json_read.h"

#include <string.h>

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int kz_jr_tags(const kz_jr *r, const char *key, const json_t *v, kz_strlist *tags, int *tlp,
               int *pap)
{
    tags->v = NULL;
    tags->n = 0;
    *tlp = -1;
    if (pap)
        *pap = -1;
    long tlp_at = -1, pap_at = -1;
    if (json_is_null(v))
        return KZ_OK;
    if (!json_is_array(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, -1, "must be an array of strings, got %s",
                          kz_jr_type(v));
    size_t n = json_array_size(v);
    if (n > KZ_MAX_TAGS)
        return kz_jr_fail(r, KZ_E_VALUE, key, -1, "has %zu tags, at most %d", n, KZ_MAX_TAGS);
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(v, i);
        if (!json_is_string(t))
            return kz_jr_fail(r, KZ_E_INVALID, key, (long)i, "must be a string, got %s",
                              kz_jr_type(t));
        const char *s = json_string_value(t);
        size_t len = json_string_length(t);
        size_t b = 0, e = len;
        while (b < e && is_space(s[b]))
            b++;
        while (e > b && is_space(s[e - 1]))
            e--;
        char q[80];
        kz_jr_quote(s, len, q);
        if (e - b > 255 || memchr(s, '\0', len))
            return kz_jr_fail(r, KZ_E_VALUE, key, (long)i,
                              "must be a tag of 1-255 bytes without control characters, got '%s'",
                              q);
        char *tag = kz_arena_strndup(r->a, s + b, e - b);
        if (!tag)
            return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
        kz_err te;
        kz_err_clear(&te);
        if (kz_tag_check(tag, &te))
            return kz_jr_fail_from(r, key, (long)i, &te);
        kz_tlp tv;
        kz_pap pv;
        if (kz_tag_as_tlp(tag, &tv) == 0) {
            if (*tlp >= 0 && *tlp != (int)tv)
                return kz_jr_fail(r, KZ_E_VALUE, key, (long)i,
                                  "'%s' conflicts with TLP %s set by %s[%ld]", q,
                                  kz_tlp_name((kz_tlp)*tlp), key, tlp_at);
            *tlp = (int)tv;
            tlp_at = (long)i;
            continue;
        }
        if (pap && kz_tag_as_pap(tag, &pv) == 0) {
            if (*pap >= 0 && *pap != (int)pv)
                return kz_jr_fail(r, KZ_E_VALUE, key, (long)i,
                                  "'%s' conflicts with PAP %s set by %s[%ld]", q,
                                  kz_pap_name((kz_pap)*pap), key, pap_at);
            *pap = (int)pv;
            pap_at = (long)i;
            continue;
        }
        if (kz_strlist_has(tags, tag))
            continue;
        if (kz_strlist_push(r->a, tags, tag))
            return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    }
    return KZ_OK;
}

int kz_jr_merge_marking(const kz_jr *r, const char *field, bool has_explicit, int explicit_v,
                        int from_tags, const char *(*name)(int), int *out)
{
    if (has_explicit && from_tags >= 0 && explicit_v != from_tags)
        return kz_jr_fail(r, KZ_E_VALUE, field, -1,
                          "is %s but the tags say %s; remove one or make them agree",
                          name(explicit_v), name(from_tags));
    if (has_explicit)
        *out = explicit_v;
    else if (from_tags >= 0)
        *out = from_tags;
    return KZ_OK;
}

const char *kz_jr_tlp_name(int t) { return t < 0 ? "null" : kz_tlp_name((kz_tlp)t); }
const char *kz_jr_pap_name(int p) { return p < 0 ? "null" : kz_pap_name((kz_pap)p); }
const char *kz_jr_dist_name(int d)
{
    return d < 0 ? "null" : kz_distribution_name((kz_distribution)d);
}
