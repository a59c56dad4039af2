/* stix_validate.c — one STIX 2.1 object against the MUSTs of the spec that
 * decide whether the node can keep, version, reference and serve it
 * faithfully: identifier shapes, spec_version, timestamps and their order,
 * required properties of every defined type, property names, the types of
 * the common and well-known properties, references, markings, and patterns.
 *
 * Every failure names the property (err->field, a path such as
 * "external_references[1].url") and the reason alone (err->msg): the
 * importer prefixes "object <id>: ". The export test runs our own bundles
 * through this same function.
 */
#include "stix_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vctx {
    const json_t *o;
    const char *type;
    sx_kind kind;
    kz_arena *scratch;
    kz_err *err;
    kz_stix_pattern **pattern;
} vctx;

static int bad(vctx *v, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(vctx *v, const char *field, const char *fmt, ...)
{
    kz_err *e = v->err;
    if (!e)
        return KZ_E_VALUE;
    e->code = KZ_E_VALUE;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return KZ_E_VALUE;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static bool in_list(const char *s, const char *const *l)
{
    for (; *l; l++)
        if (strcmp(s, *l) == 0)
            return true;
    return false;
}

/* Quotes a value for a message: at most 64 bytes, controls as '?'. */
static const char *q(const char *s, char buf[80])
{
    size_t i = 0;
    for (; s[i] && i < 64; i++)
        buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    buf[i] = '\0';
    if (s[i])
        memcpy(buf + i, "...", 4);
    return buf;
}

/* ---- property catalogue ---------------------------------------------------- */

typedef enum { P_STR, P_TS, P_BOOL, P_INT, P_NUM, P_STRLIST } ptype;

typedef struct prop {
    const char *name;
    ptype t;
    int64_t lo, hi; /* P_INT bounds */
} prop;

#define INT_MAX53 9007199254740991LL

/* Properties whose type is the same wherever the spec uses them. */
/* Sorted by name: looked up with bsearch for every property of every object. */
static const prop PROPS[] = {
    {"abstract", P_STR, 0, 0},
    {"account_created", P_TS, 0, 0},
    {"account_expires", P_TS, 0, 0},
    {"account_first_login", P_TS, 0, 0},
    {"account_last_login", P_TS, 0, 0},
    {"aliases", P_STRLIST, 0, 0},
    {"analysis_ended", P_TS, 0, 0},
    {"analysis_started", P_TS, 0, 0},
    {"architecture_execution_envs", P_STRLIST, 0, 0},
    {"atime", P_TS, 0, 0},
    {"authors", P_STRLIST, 0, 0},
    {"can_escalate_privs", P_BOOL, 0, 0},
    {"capabilities", P_STRLIST, 0, 0},
    {"confidence", P_INT, 0, 100},
    {"contact_information", P_STR, 0, 0},
    {"content", P_STR, 0, 0},
    {"context", P_STR, 0, 0},
    {"count", P_INT, 0, 999999999},
    {"created_time", P_TS, 0, 0},
    {"credential_last_changed", P_TS, 0, 0},
    {"ctime", P_TS, 0, 0},
    {"date", P_TS, 0, 0},
    {"defanged", P_BOOL, 0, 0},
    {"definition_type", P_STR, 0, 0},
    {"description", P_STR, 0, 0},
    {"dst_byte_count", P_INT, 0, INT_MAX53},
    {"dst_packets", P_INT, 0, INT_MAX53},
    {"dst_port", P_INT, 0, 65535},
    {"end", P_TS, 0, 0},
    {"explanation", P_STR, 0, 0},
    {"extension_types", P_STRLIST, 0, 0},
    {"first_observed", P_TS, 0, 0},
    {"first_seen", P_TS, 0, 0},
    {"goals", P_STRLIST, 0, 0},
    {"identity_class", P_STR, 0, 0},
    {"implementation_languages", P_STRLIST, 0, 0},
    {"indicator_types", P_STRLIST, 0, 0},
    {"infrastructure_types", P_STRLIST, 0, 0},
    {"is_active", P_BOOL, 0, 0},
    {"is_disabled", P_BOOL, 0, 0},
    {"is_family", P_BOOL, 0, 0},
    {"is_hidden", P_BOOL, 0, 0},
    {"is_multipart", P_BOOL, 0, 0},
    {"is_privileged", P_BOOL, 0, 0},
    {"is_self_signed", P_BOOL, 0, 0},
    {"is_service_account", P_BOOL, 0, 0},
    {"labels", P_STRLIST, 0, 0},
    {"lang", P_STR, 0, 0},
    {"languages", P_STRLIST, 0, 0},
    {"last_observed", P_TS, 0, 0},
    {"last_seen", P_TS, 0, 0},
    {"latitude", P_NUM, -90, 90},
    {"longitude", P_NUM, -180, 180},
    {"malware_types", P_STRLIST, 0, 0},
    {"modified_time", P_TS, 0, 0},
    {"mtime", P_TS, 0, 0},
    {"name", P_STR, 0, 0},
    {"number", P_INT, 0, INT_MAX53},
    {"number_observed", P_INT, 1, 999999999},
    {"number_of_subkeys", P_INT, 0, INT_MAX53},
    {"object_modified", P_TS, 0, 0},
    {"objective", P_STR, 0, 0},
    {"opinion", P_STR, 0, 0},
    {"path", P_STR, 0, 0},
    {"pattern", P_STR, 0, 0},
    {"pattern_type", P_STR, 0, 0},
    {"pattern_version", P_STR, 0, 0},
    {"personal_motivations", P_STRLIST, 0, 0},
    {"pid", P_INT, -INT_MAX53, INT_MAX53},
    {"precision", P_NUM, 0, 0},
    {"product", P_STR, 0, 0},
    {"protocols", P_STRLIST, 0, 0},
    {"published", P_TS, 0, 0},
    {"received_lines", P_STRLIST, 0, 0},
    {"relationship_type", P_STR, 0, 0},
    {"report_types", P_STRLIST, 0, 0},
    {"revoked", P_BOOL, 0, 0},
    {"roles", P_STRLIST, 0, 0},
    {"schema", P_STR, 0, 0},
    {"secondary_motivations", P_STRLIST, 0, 0},
    {"sectors", P_STRLIST, 0, 0},
    {"size", P_INT, 0, INT_MAX53},
    {"src_byte_count", P_INT, 0, INT_MAX53},
    {"src_packets", P_INT, 0, INT_MAX53},
    {"src_port", P_INT, 0, 65535},
    {"start", P_TS, 0, 0},
    {"start_time", P_TS, 0, 0},
    {"stop_time", P_TS, 0, 0},
    {"submitted", P_TS, 0, 0},
    {"summary", P_BOOL, 0, 0},
    {"threat_actor_types", P_STRLIST, 0, 0},
    {"tool_types", P_STRLIST, 0, 0},
    {"valid_from", P_TS, 0, 0},
    {"valid_until", P_TS, 0, 0},
    {"validity_not_after", P_TS, 0, 0},
    {"validity_not_before", P_TS, 0, 0},
    {"value", P_STR, 0, 0},
    {"version", P_STR, 0, 0},
};

static int cmp_prop(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const prop *)e)->name);
}

static const prop *prop_of(const char *name)
{
    return bsearch(name, PROPS, KZ_ARRAY_LEN(PROPS), sizeof PROPS[0], cmp_prop);
}

typedef struct req {
    const char *type;
    const char *props; /* space separated */
} req;

static const req REQUIRED[] = {
    {"attack-pattern", "name"},
    {"campaign", "name"},
    {"course-of-action", "name"},
    {"grouping", "context object_refs"},
    {"identity", "name"},
    {"incident", "name"},
    {"indicator", "pattern pattern_type valid_from"},
    {"infrastructure", "name"},
    {"intrusion-set", "name"},
    {"malware-analysis", "product"},
    {"note", "content object_refs"},
    {"observed-data", "first_observed last_observed number_observed"},
    {"opinion", "opinion object_refs"},
    {"report", "name published object_refs"},
    {"threat-actor", "name"},
    {"tool", "name"},
    {"vulnerability", "name"},
    {"relationship", "relationship_type source_ref target_ref"},
    {"sighting", "sighting_of_ref"},
    {"autonomous-system", "number"},
    {"directory", "path"},
    {"domain-name", "value"},
    {"email-addr", "value"},
    {"email-message", "is_multipart"},
    {"ipv4-addr", "value"},
    {"ipv6-addr", "value"},
    {"mac-addr", "value"},
    {"mutex", "name"},
    {"network-traffic", "protocols"},
    {"software", "name"},
    {"url", "value"},
    {"language-content", "object_ref contents"},
    {"extension-definition", "created_by_ref name schema version extension_types"},
};

/* Common properties: they never count as "an object-specific property". */
static const char *const COMMON[] = {
    "type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels",
    "confidence", "lang", "external_references", "object_marking_refs", "granular_markings",
    "defanged", NULL};

static const char *const RESERVED[] = {"severity", "username", "phone_number", "action", NULL};

/* Free-form dictionaries: their keys are data, not property names. */
static const char *const FREE_DICTS[] = {
    "environment_variables", "additional_header_fields", "request_header", "document_info_dict",
    "exif_tags", "ipfix", "options", "startup_info", "contents", "hashes", "file_header_hashes",
    NULL};

/* ---- small checks ---------------------------------------------------------- */

static bool prop_name_ok(const char *k)
{
    size_t n = strlen(k);
    if (strcmp(k, "id") == 0)
        return true;
    if (n < 3 || n > 250 || !(k[0] >= 'a' && k[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

/* An identifier whose type is one of allowed (NULL = any). */
static int check_ident(vctx *v, const char *field, const json_t *x, const char *const *allowed,
                       const char *what)
{
    char buf[80];
    if (!json_is_string(x))
        return bad(v, field, "must be an identifier (a string), got %s",
                   json_is_null(x) ? "null" : "another JSON type");
    char type[251];
    const char *s = json_string_value(x);
    if (!kz__stix_identifier_ok(s, type))
        return bad(v, field, "'%s' is not an identifier (type--UUID, RFC 4122)", q(s, buf));
    if (allowed && !in_list(type, allowed))
        return bad(v, field, "'%s' must refer to %s", q(s, buf), what);
    return 0;
}

static int check_ident_list(vctx *v, const char *field, const json_t *x,
                            const char *const *allowed, const char *what)
{
    if (!json_is_array(x))
        return bad(v, field, "must be a list of identifiers");
    if (json_array_size(x) == 0)
        return bad(v, field, "must not be an empty list");
    size_t i;
    json_t *e;
    json_array_foreach(x, i, e) {
        char f[160];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        int r = check_ident(v, f, e, allowed, what);
        if (r)
            return r;
    }
    return 0;
}

static int check_ts(vctx *v, const char *field, const json_t *x, bool need_ms, kz_time *out)
{
    char buf[80];
    if (!json_is_string(x))
        return bad(v, field, "must be a timestamp string");
    const char *why;
    kz_time t;
    if (kz__stix_ts(json_string_value(x), need_ms, &t, &why) != 0)
        return bad(v, field, "'%s' %s", q(json_string_value(x), buf), why);
    if (out)
        *out = t;
    return 0;
}

static bool hex_lower_even(const char *s)
{
    size_t n = strlen(s);
    if (n % 2)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool base64_ok(const char *s)
{
    size_t n = strlen(s), pad = 0;
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/'))
            return false;
    }
    return pad <= 2;
}

/* The expected hex length of the well-known hash algorithms; 0 = not one. */
static size_t hash_len(const char *alg)
{
    char k[16];
    size_t j = 0;
    for (size_t i = 0; alg[i] && j + 1 < sizeof k; i++)
        if (alg[i] != '-' && alg[i] != '_')
            k[j++] = (char)(alg[i] >= 'a' && alg[i] <= 'z' ? alg[i] - 32 : alg[i]);
    k[j] = '\0';
    if (strcmp(k, "MD5") == 0)
        return 32;
    if (strcmp(k, "SHA1") == 0)
        return 40;
    if (strcmp(k, "SHA256") == 0 || strcmp(k, "SHA3256") == 0)
        return 64;
    if (strcmp(k, "SHA512") == 0 || strcmp(k, "SHA3512") == 0)
        return 128;
    return 0;
}

static int check_hashes(vctx *v, const char *field, const json_t *x)
{
    char buf[80];
    if (!json_is_object(x))
        return bad(v, field, "must be a dictionary of hashes");
    if (json_object_size(x) == 0)
        return bad(v, field, "must not be an empty dictionary");
    const char *k;
    json_t *h;
    json_object_foreach((json_t *)x, k, h) {
        char f[200];
        snprintf(f, sizeof f, "%s.%s", field, q(k, buf));
        size_t n = strlen(k);
        if (n < 3 || n > 250)
            return bad(v, f, "hash algorithm names are 3 to 250 characters");
        for (size_t i = 0; i < n; i++)
            if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
                  (k[i] >= '0' && k[i] <= '9') || k[i] == '-' || k[i] == '_'))
                return bad(v, f, "hash algorithm names are ASCII letters, digits, '-' and '_'");
        if (!json_is_string(h))
            return bad(v, f, "must be a string");
        size_t want = hash_len(k);
        const char *hv = json_string_value(h);
        if (want) {
            bool ok = strlen(hv) == want;
            for (size_t i = 0; ok && hv[i]; i++)
                ok = (hv[i] >= '0' && hv[i] <= '9') || (hv[i] >= 'a' && hv[i] <= 'f') ||
                     (hv[i] >= 'A' && hv[i] <= 'F');
            if (!ok)
                return bad(v, f, "'%s' is not a %zu-digit hex %s hash", q(hv, buf), want, k);
        }
    }
    return 0;
}

static int check_prop_type(vctx *v, const char *k, const json_t *x, const prop *p)
{
    char buf[80];
    switch (p->t) {
    case P_STR:
        if (!json_is_string(x))
            return bad(v, k, "must be a string");
        return 0;
    case P_TS: return check_ts(v, k, x, false, NULL);
    case P_BOOL:
        if (!json_is_boolean(x))
            return bad(v, k, "must be true or false");
        return 0;
    case P_INT: {
        if (!json_is_integer(x))
            return bad(v, k, "must be an integer");
        json_int_t i = json_integer_value(x);
        if (i < p->lo || i > p->hi)
            return bad(v, k, "%lld is out of range (%lld to %lld)", (long long)i, (long long)p->lo,
                       (long long)p->hi);
        return 0;
    }
    case P_NUM: {
        if (!json_is_number(x))
            return bad(v, k, "must be a number");
        double d = json_number_value(x);
        if ((p->lo || p->hi) && (d < (double)p->lo || d > (double)p->hi))
            return bad(v, k, "%g is out of range (%lld to %lld)", d, (long long)p->lo,
                       (long long)p->hi);
        return 0;
    }
    case P_STRLIST: {
        if (!json_is_array(x))
            return bad(v, k, "must be a list of strings");
        if (json_array_size(x) == 0)
            return bad(v, k, "must not be an empty list");
        size_t i;
        json_t *e;
        json_array_foreach(x, i, e) if (!json_is_string(e))
        {
            char f[160];
            snprintf(f, sizeof f, "%s[%zu]", k, i);
            return bad(v, f, "must be a string");
        }
        (void)buf;
        return 0;
    }
    }
    return 0;
}

/* ---- generic walk: references, _hex, _bin, empty lists -------------------- */

static int walk(vctx *v, const char *path, const json_t *x, int depth, bool container);

static int walk_member(vctx *v, const char *path, const char *k, const json_t *val, int depth,
                       bool container)
{
    char buf[80];
    char f[256];
    size_t kl = strlen(k);
    bool is_ref = kl > 4 && memcmp(k + kl - 4, "_ref", 4) == 0;
    bool is_refs = kl > 5 && memcmp(k + kl - 5, "_refs", 5) == 0;
    bool is_hex = kl > 4 && memcmp(k + kl - 4, "_hex", 4) == 0;
    bool is_bin = kl > 4 && memcmp(k + kl - 4, "_bin", 4) == 0;
    /* Most properties are plain strings: nothing to check, no path needed. */
    if (!is_ref && !is_refs && !is_hex && !is_bin && !json_is_object(val) && !json_is_array(val))
        return 0;
    if (*path)
        snprintf(f, sizeof f, "%s.%s", path, q(k, buf));
    else
        snprintf(f, sizeof f, "%s", q(k, buf));
    if (is_ref) {
        /* Inside a deprecated observable container, references are local
         * keys ("0", "1"), not identifiers. */
        if (container) {
            if (!json_is_string(val))
                return bad(v, f, "must be a string");
        } else {
            int r = check_ident(v, f, val, NULL, NULL);
            if (r)
                return r;
        }
        return 0;
    }
    if (is_refs) {
        if (!json_is_array(val))
            return bad(v, f, "must be a list of identifiers");
        if (json_array_size(val) == 0)
            return bad(v, f, "must not be an empty list");
        size_t i;
        json_t *e;
        json_array_foreach(val, i, e) {
            char fi[280];
            snprintf(fi, sizeof fi, "%s[%zu]", f, i);
            if (container ? !json_is_string(e) : check_ident(v, fi, e, NULL, NULL) != 0)
                return container ? bad(v, fi, "must be a string") : KZ_E_VALUE;
        }
        return 0;
    }
    if (is_hex && !(json_is_string(val) && hex_lower_even(json_string_value(val))))
        return bad(v, f, "must be hex: an even number of the characters 0-9 and a-f");
    if (is_bin && !(json_is_string(val) && base64_ok(json_string_value(val))))
        return bad(v, f, "must be base64 (RFC 4648)");
    if (json_is_object(val) && in_list(k, FREE_DICTS))
        return 0;
    return walk(v, f, val, depth + 1, container);
}

static int walk(vctx *v, const char *path, const json_t *x, int depth, bool container)
{
    if (depth > 32)
        return 0;
    if (json_is_object(x)) {
        const char *k;
        json_t *val;
        json_object_foreach((json_t *)x, k, val) {
            int r = walk_member(v, path, k, val, depth, container);
            if (r)
                return r;
        }
    } else if (json_is_array(x)) {
        size_t i;
        json_t *e;
        json_array_foreach(x, i, e) {
            char f[280];
            snprintf(f, sizeof f, "%s[%zu]", path, i);
            int r = walk(v, f, e, depth + 1, container);
            if (r)
                return r;
        }
    }
    return 0;
}

/* ---- common properties ----------------------------------------------------- */

static const char *const IDENTITY[] = {"identity", NULL};
static const char *const MARKING[] = {"marking-definition", NULL};

static int check_external_refs(vctx *v, const json_t *x)
{
    if (!json_is_array(x))
        return bad(v, "external_references", "must be a list of external references");
    if (json_array_size(x) == 0)
        return bad(v, "external_references", "must not be an empty list");
    size_t i;
    json_t *e;
    json_array_foreach(x, i, e) {
        char f[64];
        snprintf(f, sizeof f, "external_references[%zu]", i);
        if (!json_is_object(e))
            return bad(v, f, "must be an object");
        json_t *sn = json_object_get(e, "source_name");
        if (!json_is_string(sn))
            return bad(v, f, "needs source_name (a string)");
        static const char *const texts[] = {"description", "url", "external_id"};
        bool one = false;
        for (size_t k = 0; k < KZ_ARRAY_LEN(texts); k++) {
            json_t *t = json_object_get(e, texts[k]);
            if (!t)
                continue;
            if (!json_is_string(t)) {
                char ff[96];
                snprintf(ff, sizeof ff, "%s.%s", f, texts[k]);
                return bad(v, ff, "must be a string");
            }
            one = true;
        }
        if (!one)
            return bad(v, f, "needs one of description, url or external_id besides source_name");
        json_t *h = json_object_get(e, "hashes");
        if (h) {
            char ff[96];
            snprintf(ff, sizeof ff, "%s.hashes", f);
            int r = check_hashes(v, ff, h);
            if (r)
                return r;
        }
    }
    return 0;
}

static int check_granular(vctx *v, const json_t *x)
{
    if (!json_is_array(x))
        return bad(v, "granular_markings", "must be a list of granular markings");
    if (json_array_size(x) == 0)
        return bad(v, "granular_markings", "must not be an empty list");
    size_t i;
    json_t *e;
    json_array_foreach(x, i, e) {
        char f[64];
        snprintf(f, sizeof f, "granular_markings[%zu]", i);
        if (!json_is_object(e))
            return bad(v, f, "must be an object");
        json_t *lang = json_object_get(e, "lang"), *mref = json_object_get(e, "marking_ref");
        if ((lang != NULL) == (mref != NULL))
            return bad(v, f, "needs exactly one of lang and marking_ref");
        if (lang && !json_is_string(lang))
            return bad(v, f, "lang must be a string");
        if (mref) {
            char ff[96];
            snprintf(ff, sizeof ff, "%s.marking_ref", f);
            int r = check_ident(v, ff, mref, MARKING, "a marking-definition");
            if (r)
                return r;
        }
        json_t *sel = json_object_get(e, "selectors");
        if (!json_is_array(sel) || json_array_size(sel) == 0)
            return bad(v, f, "needs selectors, a non-empty list of strings");
        size_t k;
        json_t *s;
        json_array_foreach(sel, k, s) if (!json_is_string(s)) return bad(
            v, f, "selectors must be strings");
    }
    return 0;
}

static int check_extensions(vctx *v, const json_t *x)
{
    char buf[80];
    static const char *const ext_types[] = {"new-sdo", "new-sco", "new-sro", "property-extension",
                                            "toplevel-property-extension", NULL};
    if (!json_is_object(x))
        return bad(v, "extensions", "must be a dictionary");
    if (json_object_size(x) == 0)
        return bad(v, "extensions", "must not be an empty dictionary");
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)x, k, e) {
        char f[200];
        snprintf(f, sizeof f, "extensions.%s", q(k, buf));
        if (strncmp(k, "extension-definition--", 22) == 0) {
            if (!kz__stix_identifier_ok(k, NULL))
                return bad(v, f, "'%s' is not an extension-definition identifier", q(k, buf));
        } else {
            size_t n = strlen(k);
            bool ok = n >= 3 && n <= 250 && ends_with(k, "-ext");
            for (size_t i = 0; ok && i < n; i++)
                ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '-';
            if (!ok)
                return bad(v, f,
                           "an extension is named by an extension-definition id or a name of "
                           "a-z, 0-9 and '-' ending in \"-ext\"");
        }
        if (!json_is_object(e) || json_object_size(e) == 0)
            return bad(v, f, "must be a non-empty object");
        json_t *et = json_object_get(e, "extension_type");
        if (et && !(json_is_string(et) && in_list(json_string_value(et), ext_types)))
            return bad(v, f,
                       "extension_type must be new-sdo, new-sco, new-sro, property-extension or "
                       "toplevel-property-extension");
    }
    return 0;
}

/* What kind of object a custom type is, from its extension-definition (if
 * any) or, for the deprecated custom objects, from whether it carries the
 * versioning timestamps. */
static sx_kind custom_kind(const json_t *o)
{
    json_t *ext = json_object_get(o, "extensions");
    const char *k;
    json_t *e;
    if (json_is_object(ext))
        json_object_foreach(ext, k, e) {
            const char *t = json_string_value(json_object_get(e, "extension_type"));
            if (!t)
                continue;
            if (strcmp(t, "new-sco") == 0)
                return SX_SCO;
            if (strcmp(t, "new-sdo") == 0)
                return SX_SDO;
            if (strcmp(t, "new-sro") == 0)
                return SX_SRO;
        }
    return json_object_get(o, "created") || json_object_get(o, "modified") ? SX_SDO : SX_SCO;
}

static int check_common(vctx *v)
{
    const json_t *o = v->o;
    char buf[80];
    sx_kind k = v->kind == SX_CUSTOM ? custom_kind(o) : v->kind;

    json_t *sv = json_object_get(o, "spec_version");
    if (!sv && k != SX_SCO)
        return bad(v, "spec_version", "is required");
    if (sv && !json_is_string(sv))
        return bad(v, "spec_version", "must be the string \"2.1\"");
    if (sv && strcmp(json_string_value(sv), "2.1") != 0)
        return bad(v, "spec_version", "'%s' is not 2.1 (only STIX 2.1 objects are accepted)",
                   q(json_string_value(sv), buf));

    json_t *cr = json_object_get(o, "created"), *mo = json_object_get(o, "modified");
    bool versioned = k == SX_SDO || k == SX_SRO || k == SX_LANG || k == SX_EXTDEF;
    if ((versioned || k == SX_MARKING) && !cr)
        return bad(v, "created", "is required");
    if (versioned && !mo)
        return bad(v, "modified", "is required");
    kz_time tc = 0, tm = 0;
    int r;
    if (cr && (r = check_ts(v, "created", cr, true, &tc)))
        return r;
    if (mo && (r = check_ts(v, "modified", mo, true, &tm)))
        return r;
    if (cr && mo && tm < tc)
        return bad(v, "modified", "'%s' is earlier than created", q(json_string_value(mo), buf));

    json_t *x;
    if ((x = json_object_get(o, "created_by_ref")) &&
        (r = check_ident(v, "created_by_ref", x, IDENTITY, "an identity")))
        return r;
    if ((x = json_object_get(o, "object_marking_refs")) &&
        (r = check_ident_list(v, "object_marking_refs", x, MARKING, "a marking-definition")))
        return r;
    if ((x = json_object_get(o, "external_references")) && (r = check_external_refs(v, x)))
        return r;
    if ((x = json_object_get(o, "granular_markings")) && (r = check_granular(v, x)))
        return r;
    if ((x = json_object_get(o, "extensions")) && (r = check_extensions(v, x)))
        return r;
    if (json_object_get(o, "defanged") && k != SX_SCO)
        return bad(v, "defanged", "is only for cyber-observable objects");

    const char *key;
    json_object_foreach((json_t *)o, key, x) {
        if (!prop_name_ok(key))
            return bad(v, q(key, buf),
                       "property names are 3 to 250 characters of a-z, 0-9 and '_', starting "
                       "with a letter");
        if (in_list(key, RESERVED))
            return bad(v, key, "is a reserved property name and must not be used");
        if (json_is_array(x) && json_array_size(x) == 0)
            return bad(v, key, "must not be an empty list");
        if (v->kind != SX_CUSTOM) {
            const prop *p = prop_of(key);
            if (p && (r = check_prop_type(v, key, x, p)))
                return r;
        }
    }
    return 0;
}

/* ---- per type -------------------------------------------------------------- */

static int required(vctx *v)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(REQUIRED); i++) {
        if (strcmp(REQUIRED[i].type, v->type) != 0)
            continue;
        const char *p = REQUIRED[i].props;
        while (*p) {
            const char *e = strchr(p, ' ');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)n, p);
            if (!json_object_get(v->o, name))
                return bad(v, name, "is required for %s objects", v->type);
            p += n;
            while (*p == ' ')
                p++;
        }
        break;
    }
    return 0;
}

static kz_time ts_of(const json_t *o, const char *k)
{
    kz_time t = 0;
    const char *why;
    const char *s = json_string_value(json_object_get(o, k));
    if (s)
        kz__stix_ts(s, false, &t, &why);
    return t;
}

/* later must not be earlier than (or, strict, must be after) earlier. */
static int order(vctx *v, const char *earlier, const char *later, bool strict)
{
    if (!json_object_get(v->o, earlier) || !json_object_get(v->o, later))
        return 0;
    kz_time a = ts_of(v->o, earlier), b = ts_of(v->o, later);
    if (strict ? b <= a : b < a)
        return bad(v, later, "must be %s %s", strict ? "later than" : "at or after", earlier);
    return 0;
}

/* Properties other than the common ones. */
static size_t own_props(const json_t *o)
{
    size_t n = 0;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)o, k, x) if (!in_list(k, COMMON)) n++;
    return n;
}

static int check_pattern(vctx *v)
{
    const char *pt = json_string_value(json_object_get(v->o, "pattern_type"));
    const char *pat = json_string_value(json_object_get(v->o, "pattern"));
    if (!pt || !pat || strcmp(pt, "stix") != 0)
        return 0;
    kz_err pe = {0};
    kz_stix_pattern *tree = NULL;
    if (kz_stix_pattern_parse(pat, strlen(pat), v->scratch, &tree, &pe) != 0)
        return bad(v, "pattern", "%s", pe.msg);
    if (v->pattern)
        *v->pattern = tree;
    return 0;
}

static int check_location(vctx *v)
{
    const json_t *o = v->o;
    bool lat = json_object_get(o, "latitude"), lon = json_object_get(o, "longitude");
    if (lat != lon)
        return bad(v, lat ? "longitude" : "latitude", "latitude and longitude go together");
    if (json_object_get(o, "precision") && !lat)
        return bad(v, "precision", "needs latitude and longitude");
    if (!lat && !json_object_get(o, "region") && !json_object_get(o, "country"))
        return bad(v, "", "a location needs region, country, or latitude and longitude");
    return 0;
}

static int check_marking(vctx *v)
{
    const json_t *o = v->o;
    char buf[80];
    json_t *dt = json_object_get(o, "definition_type"), *def = json_object_get(o, "definition");
    if (!json_object_get(o, "extensions")) {
        if (!dt)
            return bad(v, "definition_type", "is required when there are no extensions");
        if (!def)
            return bad(v, "definition", "is required when there are no extensions");
    }
    if (def && !json_is_object(def))
        return bad(v, "definition", "must be an object");
    const char *t = json_string_value(dt);
    const char *id = json_string_value(json_object_get(o, "id"));
    if (t && strcmp(t, "tlp") == 0 && !kz__stix_tlp1_definition_ok(id, def))
        return bad(v, "definition",
                   "'%s' is not one of the four TLP marking definitions the spec fixes "
                   "(no other TLP marking may be created)",
                   q(id, buf));
    if (t && strcmp(t, "statement") == 0 && !json_is_string(json_object_get(def, "statement")))
        return bad(v, "definition.statement", "a statement marking needs a statement string");
    return 0;
}

static int check_relationship(vctx *v)
{
    char buf[80];
    const char *rt = json_string_value(json_object_get(v->o, "relationship_type"));
    for (const char *p = rt; p && *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return bad(v, "relationship_type", "'%s' may only hold a-z, 0-9 and '-'", q(rt, buf));
    static const char *const ends[] = {"source_ref", "target_ref"};
    for (size_t i = 0; i < 2; i++) {
        char type[251];
        const char *s = json_string_value(json_object_get(v->o, ends[i]));
        if (s && kz__stix_identifier_ok(s, type)) {
            sx_kind k = kz__stix_kind(type);
            if (k == SX_SRO || k == SX_MARKING || k == SX_LANG || k == SX_EXTDEF ||
                strcmp(type, "bundle") == 0)
                return bad(v, ends[i], "'%s' must refer to an SDO or SCO", q(s, buf));
        }
    }
    return order(v, "start_time", "stop_time", true);
}

static int check_sighting(vctx *v)
{
    char buf[80];
    const char *s = json_string_value(json_object_get(v->o, "sighting_of_ref"));
    char type[251];
    if (s && kz__stix_identifier_ok(s, type)) {
        sx_kind k = kz__stix_kind(type);
        if (k != SX_SDO && k != SX_CUSTOM)
            return bad(v, "sighting_of_ref", "'%s' must refer to an SDO", q(s, buf));
    }
    static const char *const od[] = {"observed-data", NULL};
    static const char *const where[] = {"identity", "location", NULL};
    json_t *x;
    int r;
    if ((x = json_object_get(v->o, "observed_data_refs")) &&
        (r = check_ident_list(v, "observed_data_refs", x, od, "an observed-data")))
        return r;
    if ((x = json_object_get(v->o, "where_sighted_refs")) &&
        (r = check_ident_list(v, "where_sighted_refs", x, where, "an identity or a location")))
        return r;
    return order(v, "first_seen", "last_seen", false);
}

static int check_specific(vctx *v)
{
    const json_t *o = v->o;
    const char *t = v->type;
    int r;
    if ((r = required(v)))
        return r;
    if ((r = order(v, "first_seen", "last_seen", false)))
        return r;
    if (strcmp(t, "indicator") == 0) {
        if ((r = order(v, "valid_from", "valid_until", true)))
            return r;
        return check_pattern(v);
    }
    if (strcmp(t, "location") == 0)
        return check_location(v);
    if (strcmp(t, "malware") == 0) {
        if (json_is_true(json_object_get(o, "is_family")) && !json_object_get(o, "name"))
            return bad(v, "name", "is required for a malware family");
        return 0;
    }
    if (strcmp(t, "malware-analysis") == 0) {
        if (!json_object_get(o, "result") && !json_object_get(o, "analysis_sco_refs"))
            return bad(v, "result", "a malware analysis needs result or analysis_sco_refs");
        return 0;
    }
    if (strcmp(t, "observed-data") == 0) {
        json_t *objs = json_object_get(o, "objects");
        bool refs = json_object_get(o, "object_refs") != NULL;
        if ((objs != NULL) == refs)
            return bad(v, "object_refs", "exactly one of objects and object_refs must be given");
        if (objs && (!json_is_object(objs) || json_object_size(objs) == 0))
            return bad(v, "objects", "must be a non-empty dictionary of observables");
        return order(v, "first_observed", "last_observed", false);
    }
    if (strcmp(t, "opinion") == 0) {
        static const char *const ops[] = {"strongly-disagree", "disagree", "neutral", "agree",
                                          "strongly-agree", NULL};
        const char *op = json_string_value(json_object_get(o, "opinion"));
        if (op && !in_list(op, ops))
            return bad(v, "opinion",
                       "must be strongly-disagree, disagree, neutral, agree or strongly-agree");
        return 0;
    }
    if (strcmp(t, "relationship") == 0)
        return check_relationship(v);
    if (strcmp(t, "sighting") == 0)
        return check_sighting(v);
    if (strcmp(t, "marking-definition") == 0)
        return check_marking(v);
    if (strcmp(t, "language-content") == 0) {
        json_t *c = json_object_get(o, "contents");
        if (!json_is_object(c) || json_object_size(c) == 0)
            return bad(v, "contents", "must be a non-empty dictionary");
        return 0;
    }
    if (strcmp(t, "extension-definition") == 0) {
        static const char *const ets[] = {"new-sdo", "new-sco", "new-sro", "property-extension",
                                          "toplevel-property-extension", NULL};
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(o, "extension_types"), i, e) {
            if (!in_list(json_string_value(e), ets))
                return bad(v, "extension_types", "holds a value outside extension-type-enum");
        }
        return 0;
    }
    if (strcmp(t, "artifact") == 0) {
        bool pb = json_object_get(o, "payload_bin"), url = json_object_get(o, "url");
        if (pb == url)
            return bad(v, "payload_bin", "exactly one of payload_bin and url must be given");
        if (url && !json_object_get(o, "hashes"))
            return bad(v, "hashes", "is required with url");
    }
    if (strcmp(t, "file") == 0 && !json_object_get(o, "hashes") && !json_object_get(o, "name"))
        return bad(v, "hashes", "a file needs hashes or name");
    if (strcmp(t, "network-traffic") == 0 && !json_object_get(o, "src_ref") &&
        !json_object_get(o, "dst_ref"))
        return bad(v, "dst_ref", "network traffic needs src_ref or dst_ref");
    if ((strcmp(t, "process") == 0 || strcmp(t, "user-account") == 0 ||
         strcmp(t, "windows-registry-key") == 0 || strcmp(t, "x509-certificate") == 0) &&
        own_props(o) == 0 && !json_object_get(o, "extensions"))
        return bad(v, "", "a %s needs at least one property of its own", t);
    json_t *h = json_object_get(o, "hashes");
    if (h && (r = check_hashes(v, "hashes", h)))
        return r;
    return 0;
}

static int check_kill_chain(vctx *v)
{
    json_t *x = json_object_get(v->o, "kill_chain_phases");
    if (!x)
        return 0;
    if (!json_is_array(x))
        return bad(v, "kill_chain_phases", "must be a list of kill chain phases");
    size_t i;
    json_t *e;
    json_array_foreach(x, i, e) {
        char f[64];
        snprintf(f, sizeof f, "kill_chain_phases[%zu]", i);
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "kill_chain_name")) ||
            !json_is_string(json_object_get(e, "phase_name")))
            return bad(v, f, "needs kill_chain_name and phase_name (strings)");
    }
    return 0;
}

int kz__stix_validate(const json_t *o, kz_arena *scratch, kz_stix_pattern **pattern, kz_err *err)
{
    char buf[80];
    vctx v = {.o = o, .scratch = scratch, .err = err, .pattern = pattern};
    if (pattern)
        *pattern = NULL;
    if (!json_is_object(o))
        return bad(&v, "", "a STIX object must be a JSON object");
    json_t *t = json_object_get(o, "type");
    if (!t)
        return bad(&v, "type", "is required");
    if (!json_is_string(t))
        return bad(&v, "type", "must be a string");
    v.type = json_string_value(t);
    if (strcmp(v.type, "bundle") == 0)
        return bad(&v, "type", "a bundle cannot be an object inside a bundle");
    if (!kz__stix_type_name_ok(v.type))
        return bad(&v, "type",
                   "'%s' is not a type name (3 to 250 characters of a-z, 0-9 and '-', starting "
                   "with a letter, no \"--\")",
                   q(v.type, buf));
    v.kind = kz__stix_kind(v.type);
    json_t *id = json_object_get(o, "id");
    if (!id)
        return bad(&v, "id", "is required");
    char itype[251];
    if (!json_is_string(id) || !kz__stix_identifier_ok(json_string_value(id), itype))
        return bad(&v, "id", "'%s' is not an identifier (type--UUID, RFC 4122)",
                   json_is_string(id) ? q(json_string_value(id), buf) : "(not a string)");
    if (strcmp(itype, v.type) != 0)
        return bad(&v, "id", "'%s' does not start with the object's type '%s--'",
                   q(json_string_value(id), buf), v.type);
    int r = check_common(&v);
    if (!r)
        r = check_specific(&v);
    if (!r && v.kind != SX_CUSTOM)
        r = check_kill_chain(&v);
    if (!r) {
        /* observed-data's "objects" is the deprecated container whose
         * references are local keys. */
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)o, k, x) {
            bool container = strcmp(v.type, "observed-data") == 0 && strcmp(k, "objects") == 0;
            if (strcmp(k, "created_by_ref") == 0 || strcmp(k, "object_marking_refs") == 0)
                continue;
            if ((r = walk_member(&v, "", k, x, 0, container)))
                break;
        }
    }
    return r;
}

int kz_stix_validate(const json_t *obj, kz_arena *scratch, kz_err *err)
{
    return kz__stix_validate(obj, scratch, NULL, err);
}
