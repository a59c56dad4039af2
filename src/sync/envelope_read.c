/* envelope_read.c — the strict field readers behind kz_sync_envelope_open.
 *
 * A received object is refused rather than repaired: a value that is not in
 * the exact form the sender's canonical writer produces (upper-case UUID,
 * untrimmed tag, "TLP" instead of "tlp", 1.0 for 1) would make the receiver
 * recompute different bytes, and a silent fix would hide a sender's bug or
 * an attempt to smuggle two spellings of one thing past the signature.
 */
#include "sync_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kz__sync_quote(const char *s, size_t n, char out[72])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 60; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
    }
    if (n > 60) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

int kz__sync_rd_fail(const kz_rd *r, int code, const char *field, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *id = r->id && *r->id ? r->id : "(id not yet read)";
    if (field && *field)
        return kz_fail(r->err, code, field, "%s %s: '%s' %s", r->what, id, field, msg);
    return kz_fail(r->err, code, "", "%s %s: %s", r->what, id, msg);
}

static const char *type_name(const json_t *v)
{
    if (!v)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

int kz__sync_rd_keys(const kz_rd *r, const json_t *o, const char *const *keys, size_t n,
                     const char *optional)
{
    if (!json_is_object(o))
        return kz__sync_rd_fail(r, KZ_E_INVALID, NULL, "must be a JSON object, got %s",
                                type_name(o));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        size_t i = 0;
        while (i < n && strcmp(keys[i], k) != 0)
            i++;
        if (i == n) {
            char q[72];
            kz__sync_quote(k, strlen(k), q);
            return kz__sync_rd_fail(r, KZ_E_INVALID, NULL, "unknown field '%s'", q);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(o, keys[i]) && !(optional && !strcmp(optional, keys[i])))
            return kz__sync_rd_fail(r, KZ_E_INVALID, keys[i], "is missing");
    return KZ_OK;
}

/* A string member: type, length, UTF-8 without NUL. NULL *s for null. */
static int get_str(const kz_rd *r, const json_t *o, const char *key, size_t max, unsigned flags,
                   const char **s, size_t *n)
{
    const json_t *v = json_object_get(o, key);
    *s = NULL;
    *n = 0;
    if (!v)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "is missing");
    if (json_is_null(v) && (flags & KZ_RD_NULLABLE))
        return KZ_OK;
    if (!json_is_string(v))
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be a string%s, got %s",
                                flags & KZ_RD_NULLABLE ? " or null" : "", type_name(v));
    size_t len = json_string_length(v);
    const char *p = json_string_value(v);
    if (len > max)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "is too long: %zu bytes, at most %zu", len,
                                max);
    if ((flags & KZ_RD_NONEMPTY) && len == 0)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must not be empty");
    if (strlen(p) != len || !kz_utf8_valid(p, len))
        return kz__sync_rd_fail(r, KZ_E_INVALID, key,
                                "is not valid UTF-8 text (or holds a NUL character)");
    *s = p;
    *n = len;
    return KZ_OK;
}

int kz__sync_rd_str(const kz_rd *r, const json_t *o, const char *key, size_t max, unsigned flags,
                    char **out)
{
    const char *s;
    size_t n;
    int rc = get_str(r, o, key, max, flags, &s, &n);
    if (rc)
        return rc;
    *out = NULL;
    if (s && !(*out = kz_arena_strndup(r->a, s, n)))
        return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    return KZ_OK;
}

int kz__sync_rd_uuid(const kz_rd *r, const json_t *o, const char *key, unsigned flags,
                     kz_uuid out)
{
    const char *s;
    size_t n;
    int rc = get_str(r, o, key, 64, flags, &s, &n);
    if (rc)
        return rc;
    if (!s) {
        out[0] = '\0';
        return KZ_OK;
    }
    if (n != KZ_UUID_STRLEN || !kz__sync_uuid_lower(s)) {
        char q[72];
        kz__sync_quote(s, n, q);
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be a lowercase UUID, got '%s'", q);
    }
    memcpy(out, s, KZ_UUID_STRLEN + 1);
    return KZ_OK;
}

int kz__sync_rd_int(const kz_rd *r, const json_t *o, const char *key, int64_t lo, int64_t hi,
                    int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "is missing");
    if (!json_is_integer(v))
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be an integer, got %s",
                                type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key,
                                "is %" JSON_INTEGER_FORMAT ", outside %" PRId64 "..%" PRId64, x,
                                lo, hi);
    *out = x;
    return KZ_OK;
}

int kz__sync_rd_time(const kz_rd *r, const json_t *o, const char *key, kz_time *out)
{
    return kz__sync_rd_int(r, o, key, 0, KZ_SYNC_TIME_MAX, out);
}

int kz__sync_rd_bool(const kz_rd *r, const json_t *o, const char *key, bool *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "is missing");
    if (!json_is_boolean(v))
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be true or false, got %s",
                                type_name(v));
    *out = json_is_true(v);
    return KZ_OK;
}

int kz__sync_rd_name(const kz_rd *r, const json_t *o, const char *key, unsigned flags,
                     int (*parse)(const char *), const char *(*name)(int), const char *choices,
                     int *out)
{
    const char *s;
    size_t n;
    int rc = get_str(r, o, key, 64, flags, &s, &n);
    if (rc)
        return rc;
    if (!s) {
        *out = -1;
        return KZ_OK;
    }
    int x = parse(s);
    const char *canon = x < 0 ? NULL : name(x);
    if (!canon || strcmp(canon, s) != 0) {
        char q[72];
        kz__sync_quote(s, n, q);
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be one of %s%s, got '%s'", choices,
                                flags & KZ_RD_NULLABLE ? " or null" : "", q);
    }
    *out = x;
    return KZ_OK;
}

static const json_t *get_array(const kz_rd *r, const json_t *o, const char *key, size_t max,
                               int *rc)
{
    const json_t *v = json_object_get(o, key);
    *rc = KZ_OK;
    if (!v)
        *rc = kz__sync_rd_fail(r, KZ_E_INVALID, key, "is missing");
    else if (!json_is_array(v))
        *rc = kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be an array, got %s", type_name(v));
    else if (json_array_size(v) > max)
        *rc = kz__sync_rd_fail(r, KZ_E_INVALID, key, "has %zu entries, at most %zu",
                               json_array_size(v), max);
    return *rc ? NULL : v;
}

/* Duplicates: the canonical form is a list, but the model means a set. */
static int no_dupes(const kz_rd *r, const char *key, const kz_strlist *l)
{
    bool oom;
    const char *d = kz__sync_dupe(l, &oom);
    if (oom)
        return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    if (d) {
        char q[72];
        kz__sync_quote(d, strlen(d), q);
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "lists '%s' twice", q);
    }
    return KZ_OK;
}

static int push(const kz_rd *r, kz_strlist *l, const char *s)
{
    return kz_strlist_push(r->a, l, s) == 0 ? KZ_OK
                                             : kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
}

int kz__sync_rd_uuid_list(const kz_rd *r, const json_t *o, const char *key, size_t max,
                          kz_strlist *out)
{
    int rc;
    const json_t *arr = get_array(r, o, key, max, &rc);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        const char *s = json_string_value(e);
        if (!json_is_string(e) || json_string_length(e) != KZ_UUID_STRLEN ||
            !kz__sync_uuid_lower(s))
            return kz__sync_rd_fail(r, KZ_E_INVALID, key, "entry %zu must be a lowercase UUID",
                                    i);
        if ((rc = push(r, out, s)))
            return rc;
    }
    return no_dupes(r, key, out);
}

int kz__sync_rd_tags(const kz_rd *r, const json_t *o, const char *key, kz_strlist *out)
{
    int rc;
    const json_t *arr = get_array(r, o, key, KZ_MAX_TAGS, &rc);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        const char *s = json_string_value(e);
        size_t n = json_string_length(e);
        if (!json_is_string(e) || n > KZ_SYNC_MAX_TAG || strlen(s) != n || !kz_utf8_valid(s, n))
            return kz__sync_rd_fail(r, KZ_E_INVALID, key,
                                    "entry %zu must be a tag: UTF-8 text of 1 to %d bytes", i,
                                    KZ_SYNC_MAX_TAG);
        char norm[256];
        kz_err e2;
        kz_err_clear(&e2);
        if (kz_tag_normalize(s, norm, &e2) != 0 || strcmp(norm, s) != 0) {
            char q[72];
            kz__sync_quote(s, n, q);
            return kz__sync_rd_fail(r, KZ_E_INVALID, key, "entry %zu '%s' is not a normal tag%s%s",
                                    i, q, e2.msg[0] ? ": " : " (surrounding white space)",
                                    e2.msg);
        }
        if ((rc = push(r, out, s)))
            return rc;
    }
    return no_dupes(r, key, out);
}
