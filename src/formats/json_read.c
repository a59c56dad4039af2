/* json_read.c — typed field readers over jansson values. Every parser of the
 * native JSON goes through these, so a wrong type is always a 400 and a bad
 * value always a 422, with the same wording and the JSON path of the field. */
#include "json_read.h"

#include <stdio.h>
#include <string.h>

void kz_jr_path(const kz_jr *r, const char *key, long sub, char *out, size_t n)
{
    char k[80] = "";
    if (key)
        kz_jr_quote(key, strlen(key), k);
    const char *base = r->base ? r->base : "";
    char head[160];
    if (r->idx >= 0)
        snprintf(head, sizeof head, "%s[%ld]", base, r->idx);
    else
        snprintf(head, sizeof head, "%s", base);
    char tail[100] = "";
    if (sub >= 0)
        snprintf(tail, sizeof tail, "[%ld]", sub);
    /* A long path is cut to fit out (the callers' messages quote it, they do
     * not parse it); the trim mends a UTF-8 character cut in two. */
    int w;
    if (!key)
        w = snprintf(out, n, "%s%s", head, tail);
    else if (head[0])
        w = snprintf(out, n, "%s.%s%s", head, k, tail);
    else
        w = snprintf(out, n, "%s%s", k, tail);
    if (w < 0 && n)
        out[0] = 0;
    kz_jr_utf8_trim(out);
}

const char *kz_jr_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Length of the valid UTF-8 character at p (1..4), 0 if invalid. */
static size_t utf8_char(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4                ? 4
                                                       : 0;
    if (len == 0 || len > n)
        return 0;
    if (len == 1)
        return c ? 1 : 0;
    return kz_utf8_valid(p, len) ? len : 0;
}

void kz_jr_quote(const char *s, size_t n, char out[80])
{
    size_t o = 0, i = 0;
    while (i < n) {
        size_t len = utf8_char(s + i, n - i);
        if (len == 0)
            len = 1; /* shown as '?' below */
        if (o + len > 64) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (len == 1 && (c < 0x20 || c == 0x7f || c >= 0x80))
            out[o++] = '?';
        else {
            memcpy(out + o, s + i, len);
            o += len;
        }
        i += len;
    }
    out[o] = '\0';
}

void kz_jr_utf8_trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t len = utf8_char(s + i, n - i);
        if (len == 0) {
            s[i] = '\0';
            return;
        }
        i += len;
    }
}

/* Fills r->err with pre + path + post + rest; field = path. */
static int fail_msg(const kz_jr *r, int code, const char *key, long sub, const char *pre,
                    const char *post, const char *rest)
{
    if (!r->err)
        return code;
    char path[128];
    kz_jr_path(r, key, sub, path, sizeof path);
    kz_fail(r->err, code, path, "%s%s%s%s", pre, path, post, rest);
    kz_jr_utf8_trim(r->err->msg);
    return code;
}

int kz_jr_fail(const kz_jr *r, int code, const char *key, long sub, const char *fmt, ...)
{
    char rest[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    return fail_msg(r, code, key, sub, "'", "' ", rest);
}

int kz_jr_fail_from(const kz_jr *r, const char *key, long sub, const kz_err *inner)
{
    if (!r->err)
        return KZ_E_VALUE;
    char path[128];
    kz_jr_path(r, key, sub, path, sizeof path);
    char msg[sizeof inner->msg];
    snprintf(msg, sizeof msg, "%s", inner->msg[0] ? inner->msg : "invalid value");
    kz_fail(r->err, KZ_E_VALUE, path, "%s: %s", path, msg);
    kz_jr_utf8_trim(r->err->msg);
    return KZ_E_VALUE;
}

int kz_jr_unknown(const kz_jr *r, const char *key)
{
    return fail_msg(r, KZ_E_INVALID, key, -1, "unknown field '", "'", "");
}

int kz_jr_missing(const kz_jr *r, const char *key)
{
    return fail_msg(r, KZ_E_INVALID, key, -1, "missing required field '", "'", "");
}

int kz_jr_unchangeable(const kz_jr *r, const char *key)
{
    return fail_msg(r, KZ_E_INVALID, key, -1, "field '", "' cannot be changed", "");
}

int kz_jr_object(const kz_jr *r, const json_t *v)
{
    if (json_is_object(v))
        return KZ_OK;
    char path[128];
    kz_jr_path(r, NULL, -1, path, sizeof path);
    if (!path[0])
        return kz_fail(r->err, KZ_E_INVALID, "", "body must be a JSON object, got %s",
                       kz_jr_type(v));
    return kz_jr_fail(r, KZ_E_INVALID, NULL, -1, "must be an object, got %s", kz_jr_type(v));
}

static int string_sub(const kz_jr *r, const char *key, long sub, const json_t *v, size_t max,
                      unsigned flags, char **out)
{
    if (json_is_null(v) && (flags & KZ_JR_NULLABLE)) {
        *out = NULL;
        return KZ_OK;
    }
    if (!json_is_string(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, sub, "must be a string, got %s", kz_jr_type(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max)
        return kz_jr_fail(r, KZ_E_VALUE, key, sub, "is too long: %zu bytes, at most %zu", n, max);
    if (!kz_utf8_valid(s, n)) {
        /* jansson's parser never lets these through, but values built in C
         * (importers) might carry them. */
        for (size_t i = 0; i < n; i++)
            if (s[i] == '\0')
                return kz_jr_fail(r, KZ_E_VALUE, key, sub, "contains a NUL character");
        return kz_jr_fail(r, KZ_E_VALUE, key, sub, "is not valid UTF-8");
    }
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            blank = false;
        if (c < 0x20 || c == 0x7f) {
            if ((flags & KZ_JR_MULTILINE) && (c == '\t' || c == '\n' || c == '\r'))
                continue;
            return kz_jr_fail(r, KZ_E_VALUE, key, sub,
                              "contains a control character (0x%02x at byte %zu)", c, i);
        }
    }
    if (blank && (flags & KZ_JR_NONEMPTY))
        return kz_jr_fail(r, KZ_E_VALUE, key, sub, "must not be empty");
    *out = kz_arena_strndup(r->a, s, n);
    return *out ? KZ_OK : kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
}

int kz_jr_string(const kz_jr *r, const char *key, const json_t *v, size_t max, unsigned flags,
                 char **out)
{
    return string_sub(r, key, -1, v, max, flags, out);
}

int kz_jr_bool(const kz_jr *r, const char *key, const json_t *v, bool *out)
{
    if (!json_is_boolean(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, -1, "must be a boolean (true or false), got %s",
                          kz_jr_type(v));
    *out = json_is_true(v);
    return KZ_OK;
}

int kz_jr_int(const kz_jr *r, const char *key, const json_t *v, int64_t lo, int64_t hi,
              int64_t *out)
{
    if (!json_is_integer(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, -1, "must be an integer %lld-%lld, got %s",
                          (long long)lo, (long long)hi, kz_jr_type(v));
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return kz_jr_fail(r, KZ_E_VALUE, key, -1, "must be an integer %lld-%lld, got %lld",
                          (long long)lo, (long long)hi, (long long)x);
    *out = x;
    return KZ_OK;
}

int kz_jr_time(const kz_jr *r, const char *key, const json_t *v, kz_time *out)
{
    if (json_is_null(v)) {
        *out = 0;
        return KZ_OK;
    }
    if (!json_is_string(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, -1, "must be an RFC 3339 time string, got %s",
                          kz_jr_type(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    char q[80];
    kz_jr_quote(s, n, q);
    if (n > 64 || strlen(s) != n)
        return kz_jr_fail(r, KZ_E_VALUE, key, -1,
                          "must be an RFC 3339 time (e.g. 2026-11-21T09:30:00Z), got '%s'", q);
    kz_err e;
    kz_err_clear(&e);
    if (kz_time_parse(s, out, &e))
        return kz_jr_fail(r, KZ_E_VALUE, key, -1,
                          "must be an RFC 3339 time (e.g. 2026-11-21T09:30:00Z), got '%s'", q);
    return KZ_OK;
}

static int uuid_sub(const kz_jr *r, const char *key, long sub, const json_t *v, unsigned flags,
                    kz_uuid out)
{
    if (json_is_null(v) && (flags & KZ_JR_NULLABLE)) {
        out[0] = '\0';
        return KZ_OK;
    }
    if (!json_is_string(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, sub, "must be a UUID string, got %s",
                          kz_jr_type(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n != KZ_UUID_STRLEN || !kz_uuid_normalize(s, out)) {
        char q[80];
        kz_jr_quote(s, n, q);
        return kz_jr_fail(r, KZ_E_VALUE, key, sub, "must be a UUID, got '%s'", q);
    }
    return KZ_OK;
}

int kz_jr_uuid(const kz_jr *r, const char *key, const json_t *v, unsigned flags, kz_uuid out)
{
    return uuid_sub(r, key, -1, v, flags, out);
}

int kz_jr_uuid_list(const kz_jr *r, const char *key, const json_t *v, size_t max,
                    kz_strlist *out)
{
    out->v = NULL;
    out->n = 0;
    if (json_is_null(v))
        return KZ_OK;
    if (!json_is_array(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, -1, "must be an array of UUIDs, got %s",
                          kz_jr_type(v));
    size_t n = json_array_size(v);
    if (n > max)
        return kz_jr_fail(r, KZ_E_VALUE, key, -1, "has %zu entries, at most %zu", n, max);
    /* Duplicates are dropped through a small hash set: a hostile list of
     * 10,000 ids must not cost 50 million comparisons. */
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    const char **set = kz_arena_alloc(r->a, cap * sizeof *set);
    if (!set)
        return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        kz_uuid id;
        int rc = uuid_sub(r, key, (long)i, json_array_get(v, i), 0, id);
        if (rc)
            return rc;
        size_t h = (size_t)kz_hash64(id, KZ_UUID_STRLEN) & (cap - 1);
        while (set[h] && strcmp(set[h], id))
            h = (h + 1) & (cap - 1);
        if (set[h])
            continue;
        if (kz_strlist_push(r->a, out, id))
            return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
        set[h] = out->v[out->n - 1];
    }
    return KZ_OK;
}

int kz_jr_enum(const kz_jr *r, const char *key, const json_t *v, int (*parse)(const char *),
               const char *choices, unsigned flags, int *out)
{
    if (json_is_null(v) && (flags & KZ_JR_NULLABLE)) {
        *out = -1;
        return KZ_OK;
    }
    if (!json_is_string(v))
        return kz_jr_fail(r, KZ_E_INVALID, key, -1, "must be one of %s; got %s", choices,
                          kz_jr_type(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int x = n <= 64 && strlen(s) == n ? parse(s) : -1;
    if (x < 0) {
        char q[80];
        kz_jr_quote(s, n, q);
        return kz_jr_fail(r, KZ_E_VALUE, key, -1, "must be one of %s; got '%s'", choices, q);
    }
    *out = x;
    return KZ_OK;
}

int kz_jr_keep_uuid(const kz_jr *r, const char *key, const json_t *v, const char *cur)
{
    kz_uuid id;
    int rc = kz_jr_uuid(r, key, v, KZ_JR_NULLABLE, id);
    if (rc)
        return rc;
    return strcmp(id, cur) == 0 ? KZ_OK : kz_jr_unchangeable(r, key);
}

int kz_jr_keep_time(const kz_jr *r, const char *key, const json_t *v, kz_time cur)
{
    kz_time t = 0;
    int rc = kz_jr_time(r, key, v, &t);
    if (rc)
        return rc;
    return t == cur ? KZ_OK : kz_jr_unchangeable(r, key);
}

int kz_jr_keep_bool(const kz_jr *r, const char *key, const json_t *v, bool cur)
{
    bool b = false;
    int rc = kz_jr_bool(r, key, v, &b);
    if (rc)
        return rc;
    return b == cur ? KZ_OK : kz_jr_unchangeable(r, key);
}
