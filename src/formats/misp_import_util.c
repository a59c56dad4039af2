/* misp_import_util.c — MISP's JSON is loosely typed: the same field is a
 * number in one export and a string in the next ("distribution": "3"),
 * booleans are sometimes "0" / "1", times are epoch seconds as text. These
 * readers accept every spelling MISP is known to write and nothing else,
 * so a value that is really wrong is still an error.
 */
#include "misp_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kz_mj_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n == 0 || n > 20)
            return -1;
        char *end;
        errno = 0;
        long long ll = strtoll(s, &end, 10);
        if (errno || (size_t)(end - s) != n || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
            return -1;
        x = ll;
    } else {
        return -1;
    }
    if (x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

int kz_mj_bool(const json_t *v, bool *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = json_integer_value(v) == 1;
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0) {
        *out = false;
        return 0;
    }
    return -1;
}

/* Epoch seconds up to year 9999. */
#define MAX_EPOCH 253402300799LL

int kz_mj_epoch(const json_t *v, kz_time *out)
{
    *out = 0;
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    int64_t s;
    if (kz_mj_int(v, 0, MAX_EPOCH, &s) < 0)
        return -1;
    *out = s * 1000000;
    return 0;
}

int kz_mj_time(const json_t *v, kz_time *out)
{
    *out = 0;
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (json_is_integer(v))
        return kz_mj_epoch(v, out);
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == json_string_length(v))
        return kz_mj_epoch(v, out);
    kz_err e;
    return kz_time_parse(s, out, &e) < 0 ? -1 : 0;
}

int kz_mj_str(kz_arena *a, const json_t *v, size_t max, char **out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    if (n > max)
        return -2;
    /* jansson has checked the UTF-8; an embedded NUL is refused here. */
    if (memchr(json_string_value(v), 0, n))
        return -1;
    *out = kz_arena_strndup(a, json_string_value(v), n);
    return *out ? 0 : -3;
}

int kz_mj_org(kz_arena *a, const json_t *v, kz_misp_org_ref *out)
{
    memset(out, 0, sizeof *out);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return -1;
    const char *u = json_string_value(json_object_get(v, "uuid"));
    if (u && *u && !kz_uuid_normalize(u, out->uuid))
        return -1;
    if (u && *u && strlen(u) != KZ_UUID_STRLEN)
        return -1;
    char *name = NULL;
    if (kz_mj_str(a, json_object_get(v, "name"), 256, &name) < 0)
        return -1;
    out->name = name;
    return 0;
}

int64_t kz_misp_secs(kz_time t)
{
    return t / 1000000;
}
