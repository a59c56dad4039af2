/* misp_api_value.c — what "this attribute has that value" means to MISP's
 * restSearch: the value as written or normalised, a '%' pattern (MISP runs
 * SQL LIKE: '%' any run, '_' one character, ASCII letters in either case),
 * or one part of a composite value ("evil.exe" is a value of filename|sha256
 * "evil.exe|<hash>", as MISP keeps it as value1 and value2).
 *
 * The store finds the candidates (misp_value_search.c); this decides, for
 * every candidate whatever found it, so that a negated value ("!%.example")
 * and the other filters mean the same thing.
 */
#include "misp_api_int.h"

#include <ctype.h>
#include <string.h>

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const unsigned char *s)
{
    if (*s < 0xc0)
        return 1;
    size_t n = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : 2;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return i;
    return n;
}

bool kz_mf_like(const char *pattern, const char *value)
{
    const unsigned char *p = (const unsigned char *)pattern, *s = (const unsigned char *)value;
    const unsigned char *star_p = NULL, *star_s = NULL;
    /* Greedy with one backtrack point: the last '%' seen is the only one
     * worth retrying, so this is linear in practice and never exponential. */
    while (*s) {
        if (*p == '%') {
            while (*p == '%')
                p++;
            if (!*p)
                return true;
            star_p = p;
            star_s = s;
            continue;
        }
        if (*p == '_') {
            p++;
            s += char_len(s);
            continue;
        }
        if (*p && tolower(*p) == tolower(*s)) {
            p++;
            s++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p;
        star_s += char_len(star_s);
        s = star_s;
    }
    while (*p == '%')
        p++;
    return !*p;
}

bool kz_mf_is_pattern(const char *want)
{
    return strchr(want, '%') != NULL;
}

/* want equal to v, as given or normalised. */
static bool same(const char *want, const char *norm, const char *v, size_t n)
{
    return (strlen(want) == n && memcmp(want, v, n) == 0) ||
           (norm && strlen(norm) == n && memcmp(norm, v, n) == 0);
}

bool kz_mf_value_is(const char *want, const kz_indicator *ind, const kz_misp_attr *ma)
{
    if (kz_mf_is_pattern(want))
        return kz_mf_like(want, ind->value) || (ma && ma->value && kz_mf_like(want, ma->value));
    if (strcmp(want, ind->value) == 0 || (ma && ma->value && strcmp(want, ma->value) == 0))
        return true;
    kz_buf norm, text;
    kz_buf_init(&norm);
    kz_buf_init(&text);
    int t = kz_ioc_guess(want, strlen(want));
    bool have_norm = t >= 0 && kz_ioc_normalize((kz_ioc_type)t, want, strlen(want), &norm,
                                                NULL) == 0;
    bool eq = have_norm && strcmp(norm.p, ind->value) == 0;
    /* The parts of a composite value, as MISP writes it ("1.2.3.4|80"). */
    bool composite = ind->type == KZ_IOC_FILENAME_HASH || ind->type == KZ_IOC_IP_PORT ||
                     ind->type == KZ_IOC_DOMAIN_IP || (ma && ma->type && strchr(ma->type, '|'));
    if (!eq && composite && kz_misp_value_out(ind, ma, &text) == 0 && text.p) {
        const char *bar = strchr(text.p, '|');
        if (bar) {
            const char *nv = have_norm ? norm.p : NULL;
            eq = same(want, nv, text.p, (size_t)(bar - text.p)) ||
                 same(want, nv, bar + 1, strlen(bar + 1));
        }
    }
    kz_buf_free(&norm);
    kz_buf_free(&text);
    return eq;
}
