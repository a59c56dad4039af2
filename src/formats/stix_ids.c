/* stix_ids.c — deterministic identifiers for cyber-observable objects.
 *
 * STIX 2.1 section 2.9: an SCO's id is a UUIDv5 in the namespace
 * 00abedb4-aa42-466c-9c01-fed23315a9b7 over the RFC 8785 (JCS) serialisation
 * of its "ID contributing properties". Two producers that see the same
 * address then name it with the same id, which is what lets observables from
 * different nodes deduplicate. JCS is small enough to write here: sorted
 * keys (by UTF-16 code units), no white space, minimal string escapes.
 */
#include "stix_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCO_NS "00abedb4-aa42-466c-9c01-fed23315a9b7"

/* ---- RFC 8785 ------------------------------------------------------------ */

/* Next UTF-16 code unit of a UTF-8 string; *pend holds the low surrogate
 * still owed for a supplementary character. */
static unsigned next_unit(const unsigned char **p, unsigned *pend)
{
    if (*pend) {
        unsigned u = *pend;
        *pend = 0;
        return u;
    }
    const unsigned char *s = *p;
    unsigned cp;
    if (s[0] < 0x80) {
        cp = s[0];
        *p += 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        cp = ((unsigned)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        *p += 2;
    } else if ((s[0] & 0xf0) == 0xe0) {
        cp = ((unsigned)(s[0] & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        *p += 3;
    } else {
        cp = ((unsigned)(s[0] & 0x07) << 18) | ((unsigned)(s[1] & 0x3f) << 12) |
             ((unsigned)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        *p += 4;
    }
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *pend = 0xdc00 + (cp & 0x3ff);
        return 0xd800 + (cp >> 10);
    }
    return cp;
}

static int cmp_utf16(const void *x, const void *y)
{
    const unsigned char *a = *(const unsigned char *const *)x;
    const unsigned char *b = *(const unsigned char *const *)y;
    unsigned pa = 0, pb = 0;
    while ((*a || pa) && (*b || pb)) {
        unsigned ua = next_unit(&a, &pa), ub = next_unit(&b, &pb);
        if (ua != ub)
            return ua < ub ? -1 : 1;
    }
    return (*a || pa) ? 1 : (*b || pb) ? -1 : 0;
}

static void jcs_string(kz_buf *b, const char *s)
{
    kz_buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': kz_buf_puts(b, "\\\""); break;
        case '\\': kz_buf_puts(b, "\\\\"); break;
        case '\b': kz_buf_puts(b, "\\b"); break;
        case '\f': kz_buf_puts(b, "\\f"); break;
        case '\n': kz_buf_puts(b, "\\n"); break;
        case '\r': kz_buf_puts(b, "\\r"); break;
        case '\t': kz_buf_puts(b, "\\t"); break;
        default:
            if (c < 0x20)
                kz_buf_printf(b, "\\u%04x", c);
            else
                kz_buf_putc(b, (char)c);
        }
    }
    kz_buf_putc(b, '"');
}

static int jcs(kz_buf *b, const json_t *j, int depth)
{
    if (depth > 64)
        return KZ_E_VALUE;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(j), i = 0;
        const char **keys = n ? malloc(n * sizeof *keys) : NULL;
        if (n && !keys)
            return KZ_E_NOMEM;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) keys[i++] = k;
        if (n) /* qsort's array must not be NULL, even for {} */
            qsort(keys, n, sizeof *keys, cmp_utf16);
        kz_buf_putc(b, '{');
        int r = 0;
        for (i = 0; !r && i < n; i++) {
            if (i)
                kz_buf_putc(b, ',');
            jcs_string(b, keys[i]);
            kz_buf_putc(b, ':');
            r = jcs(b, json_object_get(j, keys[i]), depth + 1);
        }
        kz_buf_putc(b, '}');
        free(keys);
        return r;
    }
    case JSON_ARRAY: {
        kz_buf_putc(b, '[');
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) {
            if (i)
                kz_buf_putc(b, ',');
            int r = jcs(b, v, depth + 1);
            if (r)
                return r;
        }
        kz_buf_putc(b, ']');
        return 0;
    }
    case JSON_STRING: jcs_string(b, json_string_value(j)); return 0;
    case JSON_INTEGER: kz_buf_printf(b, "%lld", (long long)json_integer_value(j)); return 0;
    case JSON_REAL: {
        /* ECMAScript's shortest round-trip form; %.17g is exact but not
         * always shortest, so try shorter first. */
        double d = json_real_value(j);
        char tmp[32];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
        kz_buf_puts(b, tmp);
        return 0;
    }
    case JSON_TRUE: kz_buf_puts(b, "true"); return 0;
    case JSON_FALSE: kz_buf_puts(b, "false"); return 0;
    case JSON_NULL: kz_buf_puts(b, "null"); return 0;
    }
    return KZ_E_VALUE;
}

int kz_stix_jcs(const json_t *j, kz_buf *out)
{
    int r = jcs(out, j, 0);
    if (!r && !out->p)
        r = KZ_E_NOMEM;
    return r;
}

/* ---- contributing properties ------------------------------------------- */

typedef struct contrib {
    const char *type;
    const char *props; /* space separated; "hashes" keeps one hash */
} contrib;

static const contrib CONTRIB[] = {
    {"artifact", "hashes payload_bin"},
    {"autonomous-system", "number"},
    {"directory", "path"},
    {"domain-name", "value"},
    {"email-addr", "value"},
    {"email-message", "from_ref subject body"},
    {"file", "hashes name extensions parent_directory_ref"},
    {"ipv4-addr", "value"},
    {"ipv6-addr", "value"},
    {"mac-addr", "value"},
    {"mutex", "name"},
    {"network-traffic", "start end src_ref dst_ref src_port dst_port protocols extensions"},
    {"software", "name cpe swid vendor version"},
    {"url", "value"},
    {"user-account", "account_type user_id account_login"},
    {"windows-registry-key", "key values"},
    {"x509-certificate", "hashes serial_number"},
};

/* The one hash an id uses: the first of MD5, SHA-1, SHA-256, SHA-512
 * present, else the first key in sorted order. */
static json_t *one_hash(const json_t *hashes)
{
    static const char *const pref[] = {"MD5", "SHA-1", "SHA-256", "SHA-512"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(pref); i++) {
        json_t *v = json_object_get(hashes, pref[i]);
        if (v)
            return json_pack("{s:O}", pref[i], v);
    }
    const char *best = NULL, *k;
    json_t *v;
    json_object_foreach((json_t *)hashes, k, v) if (!best || strcmp(k, best) < 0) best = k;
    return best ? json_pack("{s:O}", best, json_object_get(hashes, best)) : NULL;
}

int kz_stix_sco_id(const json_t *sco, char *out, size_t outlen, kz_err *err)
{
    const char *type = json_string_value(json_object_get(sco, "type"));
    if (!type || !kz__stix_type_name_ok(type))
        return kz_fail(err, KZ_E_VALUE, "type", "an SCO needs a valid type");
    const contrib *c = NULL;
    for (size_t i = 0; i < KZ_ARRAY_LEN(CONTRIB); i++)
        if (strcmp(CONTRIB[i].type, type) == 0)
            c = &CONTRIB[i];
    json_t *name = json_object();
    if (!name)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    for (const char *p = c ? c->props : ""; *p;) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        json_t *v = json_object_get(sco, key);
        if (v) {
            json_t *val = strcmp(key, "hashes") == 0 ? one_hash(v) : json_incref(v);
            if (val)
                json_object_set_new(name, key, val);
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    kz_uuid u;
    if (json_object_size(name) == 0) {
        /* No contributing property present: the spec asks for a v4. */
        kz_uuid_v4(u);
    } else {
        kz_buf b;
        kz_buf_init(&b);
        int r = kz_stix_jcs(name, &b);
        if (!r)
            r = kz_uuid_v5(SCO_NS, b.p, b.len, u);
        kz_buf_free(&b);
        if (r) {
            json_decref(name);
            return kz_fail(err, r, "", "cannot serialise the SCO's contributing properties");
        }
    }
    json_decref(name);
    if ((size_t)snprintf(out, outlen, "%s--%s", type, u) >= outlen)
        return kz_fail(err, KZ_E_VALUE, "", "identifier too long");
    return 0;
}

void kz__stix_pattern_quote(kz_buf *b, const char *s)
{
    kz_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            kz_buf_putc(b, '\\');
        kz_buf_putc(b, *s);
    }
    kz_buf_putc(b, '\'');
}
