/* notify_contact.c — points of contact on the wire. A directory entry is
 * only useful if the number can be dialled and the key imported at 3 a.m.
 * during an incident, so every value is checked for shape here, once, for
 * both the API and the CLI: phone numbers in international form, PGP
 * fingerprints of 40 hex digits, BCP 47 language tags, IANA time zones the
 * system really has (the tz file is opened and its magic checked, so
 * "leapseconds" or "../../etc/passwd" are not zones).
 */
#include "notify_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LANGS 16
#define MAX_ESCALATION 99

static int bad(kz_err *err, int code, const char *field, const char *v, const char *what)
{
    char q[80];
    size_t n = strlen(v);
    if (!kz_utf8_valid(v, n))
        return kz_fail(err, code, field, "%s: the value is not valid UTF-8", field);
    snprintf(q, sizeof q, "%.64s%s", v, n > 64 ? "..." : "");
    for (char *p = q; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    return kz_fail(err, code, field, "%s: '%s' %s", field, q, what);
}

static int want_string(const json_t *v, const char *field, size_t max, bool nullable,
                       const char **out, kz_err *err)
{
    *out = NULL;
    if (json_is_null(v) && nullable)
        return 0;
    if (!json_is_string(v))
        return kz_fail(err, KZ_E_INVALID, field, "'%s' must be a string%s", field,
                       nullable ? " or null" : "");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return kz_fail(err, KZ_E_VALUE, field, "%s: the value contains a NUL character", field);
    if (n > max)
        return kz_fail(err, KZ_E_VALUE, field, "%s: longer than %zu bytes", field, max);
    *out = s;
    return 0;
}

static int check_phone(const char *s, kz_arena *a, char **out, kz_err *err)
{
    size_t digits = 0;
    bool ok = s[0] == '+';
    for (size_t i = 1; ok && s[i]; i++) {
        if (isdigit((unsigned char)s[i]))
            digits++;
        else if (!strchr(" -().", s[i]))
            ok = false;
    }
    if (!ok || digits < 7 || digits > 15)
        return bad(err, KZ_E_VALUE, "phone", s,
                   "is not a phone number in international form (+65 6123 4567: a '+', then "
                   "7 to 15 digits; spaces, '-', '.', '(' and ')' allowed)");
    *out = kz_arena_strdup(a, s);
    return *out ? 0 : KZ_E_NOMEM;
}

static int check_email(const char *s, kz_arena *a, char **out, kz_err *err)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_err e = {0};
    int rc = kz_ioc_normalize(KZ_IOC_EMAIL, s, strlen(s), &b, &e);
    if (rc < 0) {
        kz_buf_free(&b);
        return bad(err, KZ_E_VALUE, "email", s, "is not an e-mail address");
    }
    *out = kz_arena_strdup(a, b.p);
    kz_buf_free(&b);
    return *out ? 0 : KZ_E_NOMEM;
}

/* 40 hex digits, spaces between groups allowed; kept upper-case, joined. */
static int check_fingerprint(const char *s, kz_arena *a, char **out, kz_err *err)
{
    char fp[41];
    size_t n = 0;
    bool ok = true;
    for (const char *p = s; *p && ok; p++) {
        if (*p == ' ')
            continue;
        if (!isxdigit((unsigned char)*p) || n == 40)
            ok = false;
        else
            fp[n++] = (char)toupper((unsigned char)*p);
    }
    if (!ok || n != 40)
        return bad(err, KZ_E_VALUE, "pgp_fingerprint", s, "is not a PGP (v4) fingerprint: 40 hexadecimal digits");
    fp[40] = 0;
    *out = kz_arena_strdup(a, fp);
    return *out ? 0 : KZ_E_NOMEM;
}

static bool all(const char *s, size_t n, int (*cls)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!cls((unsigned char)s[i]))
            return false;
    return true;
}

/* BCP 47 (RFC 5646) language tags, the common shape: language (2-3
 * letters, or 5-8), optional extlang-free script (4 letters), region (2
 * letters or 3 digits), variants (5-8 alphanumerics, or a digit and 3),
 * and private use "x-..." at the end. Canonical case is applied: "zh-hant-tw"
 * becomes "zh-Hant-TW". */
static int check_language(const char *s, size_t idx, kz_arena *a, char **out, kz_err *err)
{
    char field[32];
    snprintf(field, sizeof field, "languages[%zu]", idx);
    size_t len = strlen(s);
    char *t = len <= 64 ? kz_arena_strdup(a, s) : NULL;
    if (len > 64)
        return bad(err, KZ_E_VALUE, field, s, "is not a BCP 47 language tag");
    if (!t)
        return KZ_E_NOMEM;
    int stage = 0; /* 0 language, 1 script, 2 region, 3 variants, 4 private use */
    size_t private_n = 0;
    bool ok = len > 0 && t[len - 1] != '-' && !strstr(t, "--");
    char *p = t;
    while (ok && *p) {
        char *e = strchr(p, '-');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n > 8 || !all(p, n, isalnum)) {
            ok = false;
            break;
        }
        if (stage == 4) {
            private_n++; /* private use subtags: 1-8 alphanumerics, lower case */
        } else if (stage == 0) {
            ok = ((n >= 2 && n <= 3) || (n >= 5 && n <= 8)) && all(p, n, isalpha);
            stage = 1;
        } else if (n == 1 && (*p == 'x' || *p == 'X')) {
            stage = 4;
        } else if (stage <= 1 && n == 4 && all(p, n, isalpha)) {
            p[0] = (char)toupper((unsigned char)p[0]);
            for (size_t i = 1; i < n; i++)
                p[i] = (char)tolower((unsigned char)p[i]);
            p += n + (e ? 1 : 0);
            stage = 2;
            continue;
        } else if (stage <= 2 && ((n == 2 && all(p, n, isalpha)) || (n == 3 && all(p, n, isdigit)))) {
            for (size_t i = 0; i < n; i++)
                p[i] = (char)toupper((unsigned char)p[i]);
            p += n + (e ? 1 : 0);
            stage = 3;
            continue;
        } else if ((n >= 5 && n <= 8) || (n == 4 && isdigit((unsigned char)p[0]))) {
            stage = 3;
        } else {
            ok = false;
            break;
        }
        for (size_t i = 0; i < n; i++)
            p[i] = (char)tolower((unsigned char)p[i]);
        p += n + (e ? 1 : 0);
    }
    if (stage == 4 && private_n == 0)
        ok = false; /* "x" with nothing after it */
    if (!ok)
        return bad(err, KZ_E_VALUE, field, s, "is not a BCP 47 language tag (en, th, zh-Hant-TW, pt-BR)");
    *out = t;
    return 0;
}

/* An IANA zone name the system's tz database has: a safe relative path
 * under /usr/share/zoneinfo whose file is a TZif file. */
static int check_timezone(const char *s, kz_arena *a, char **out, kz_err *err)
{
    size_t n = strlen(s);
    bool ok = n > 0 && n <= 64 && isalpha((unsigned char)s[0]) && !strstr(s, "..") &&
              !strstr(s, "//") && s[n - 1] != '/';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)s[i]) || strchr("/_+-", s[i]);
    if (ok) {
        char path[128];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", s);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char magic[4] = {0};
        if (fd < 0 && errno == ELOOP) /* some systems link aliases */
            fd = open(path, O_RDONLY | O_CLOEXEC);
        ok = fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
        if (fd >= 0)
            close(fd);
    }
    if (!ok)
        return bad(err, KZ_E_VALUE, "timezone", s, "is not an IANA time zone name (Asia/Bangkok, Australia/Sydney, UTC)");
    *out = kz_arena_strdup(a, s);
    return *out ? 0 : KZ_E_NOMEM;
}

static int apply_member(const char *k, const json_t *v, bool create, kz_arena *a, kz_contact *c,
                        kz_err *err)
{
    const char *s = NULL;
    int rc;
    if (!strcmp(k, "name")) {
        if ((rc = want_string(v, k, 256, false, &s, err)) < 0)
            return rc;
        while (*s == ' ')
            s++;
        if (!*s)
            return kz_fail(err, KZ_E_VALUE, k, "name: must not be empty");
        for (const char *p = s; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return kz_fail(err, KZ_E_VALUE, k, "name: control characters are not allowed");
        c->name = kz_arena_strdup(a, s);
        return c->name ? 0 : KZ_E_NOMEM;
    }
    if (!strcmp(k, "phone") || !strcmp(k, "email") || !strcmp(k, "pgp_fingerprint") ||
        !strcmp(k, "timezone")) {
        if ((rc = want_string(v, k, 256, true, &s, err)) < 0)
            return rc;
        char **slot = !strcmp(k, "phone") ? &c->phone
                      : !strcmp(k, "email") ? &c->email
                      : !strcmp(k, "pgp_fingerprint") ? &c->pgp_fingerprint
                                                       : &c->timezone;
        if (!s) {
            *slot = NULL;
            return 0;
        }
        if (!strcmp(k, "phone"))
            return check_phone(s, a, slot, err);
        if (!strcmp(k, "email"))
            return check_email(s, a, slot, err);
        if (!strcmp(k, "pgp_fingerprint"))
            return check_fingerprint(s, a, slot, err);
        return check_timezone(s, a, slot, err);
    }
    if (!strcmp(k, "languages")) {
        memset(&c->languages, 0, sizeof c->languages);
        if (json_is_null(v))
            return 0;
        if (!json_is_array(v))
            return kz_fail(err, KZ_E_INVALID, k, "'languages' must be an array of strings");
        if (json_array_size(v) > MAX_LANGS)
            return kz_fail(err, KZ_E_VALUE, k, "languages: at most %d", MAX_LANGS);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char field[32];
            snprintf(field, sizeof field, "languages[%zu]", i);
            if ((rc = want_string(x, field, 64, false, &s, err)) < 0)
                return rc;
            char *tag = NULL;
            if ((rc = check_language(s, i, a, &tag, err)) < 0)
                return rc;
            if (!kz_strlist_has(&c->languages, tag) && kz_strlist_push(a, &c->languages, tag) < 0)
                return KZ_E_NOMEM;
        }
        return 0;
    }
    if (!strcmp(k, "escalation")) {
        if (!json_is_integer(v))
            return kz_fail(err, KZ_E_INVALID, k, "'escalation' must be an integer");
        json_int_t x = json_integer_value(v);
        if (x < 1 || x > MAX_ESCALATION)
            return kz_fail(err, KZ_E_VALUE, k,
                           "escalation: %lld is not from 1 (call first) to %d", (long long)x,
                           MAX_ESCALATION);
        c->escalation = (int)x;
        return 0;
    }
    if (!strcmp(k, "last_verified")) {
        if ((rc = want_string(v, k, 64, false, &s, err)) < 0)
            return rc;
        kz_time t;
        kz_err e;
        if (kz_time_parse(s, &t, &e) < 0)
            return bad(err, KZ_E_VALUE, k, s, "is not an RFC 3339 time or date");
        if (t > kz_time_now() + 86400000000LL)
            return bad(err, KZ_E_VALUE, k, s, "is in the future");
        c->last_verified = t;
        return 0;
    }
    if (!strcmp(k, "org_id")) {
        if (!create) {
            if (json_is_string(v) && strcmp(json_string_value(v), c->org_id) == 0)
                return 0;
            return kz_fail(err, KZ_E_INVALID, k, "field 'org_id' cannot be changed");
        }
        if ((rc = want_string(v, k, 64, false, &s, err)) < 0)
            return rc;
        if (!kz_uuid_normalize(s, c->org_id))
            return bad(err, KZ_E_VALUE, k, s, "is not a UUID");
        return 0;
    }
    if (!strcmp(k, "id") || !strcmp(k, "created") || !strcmp(k, "modified") ||
        !strcmp(k, "stale")) {
        if (create)
            return kz_fail(err, KZ_E_INVALID, k, "field '%s' is set by the node", k);
        return 0; /* a client sending back what it read: ignored */
    }
    if (kz_utf8_valid(k, strlen(k)) && strlen(k) <= 64)
        return kz_fail(err, KZ_E_INVALID, k, "unknown field '%s'", k);
    return kz_fail(err, KZ_E_INVALID, NULL, "unknown field");
}

int kz_contact_json_apply(const json_t *j, bool create, kz_arena *a, kz_contact *c, kz_err *err)
{
    if (!json_is_object(j))
        return kz_fail(err, KZ_E_INVALID, NULL, "the body must be a JSON object, got %s",
                       json_is_array(j) ? "an array" : "another type");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        int rc = apply_member(k, v, create, a, c, err);
        if (rc == KZ_E_NOMEM)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        if (rc < 0)
            return rc;
    }
    if (!c->name)
        return kz_fail(err, KZ_E_INVALID, "name", "missing field 'name'");
    if (!c->phone && !c->email)
        return kz_fail(err, KZ_E_VALUE, "phone",
                       "a contact needs a 24/7 phone or e-mail (or both) to be reachable");
    if (c->escalation == 0)
        c->escalation = 1;
    return 0;
}

json_t *kz_contact_json(const kz_contact *c, kz_time stale_before)
{
    char lv[KZ_TIME_STRLEN + 1], cr[KZ_TIME_STRLEN + 1], md[KZ_TIME_STRLEN + 1];
    kz_time_format(c->last_verified, lv);
    kz_time_format(c->created, cr);
    kz_time_format(c->modified, md);
    json_t *langs = json_array();
    for (size_t i = 0; langs && i < c->languages.n; i++)
        json_array_append_new(langs, json_string(c->languages.v[i]));
    return json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?,s:o,s:s?,s:i,s:s,s:b,s:s,s:s}", "id", c->id,
                     "org_id", c->org_id, "name", c->name, "phone", c->phone, "email", c->email,
                     "pgp_fingerprint", c->pgp_fingerprint, "languages",
                     langs ? langs : json_array(), "timezone", c->timezone, "escalation",
                     c->escalation, "last_verified", lv, "stale",
                     c->last_verified < stale_before, "created", cr, "modified", md);
}
