/* guess.c — the type of a bare value, for search boxes and plain-text
 * imports ("one indicator per line"). Each candidate is tried with the same
 * validator that normalises it, most specific first, so a value is guessed as
 * a type only if it would then normalise as that type.
 */
#include "ioc_int.h"

#include <string.h>

static bool try_norm(kz_ioc_type t, const char *s, size_t n, kz_buf *tmp)
{
    kz_ioc_ctx c = {.type = t, .orig = s, .orig_n = n, .err = NULL};
    kz_buf_reset(tmp);
    int rc;
    switch (t) {
    case KZ_IOC_IP_PORT: rc = kz_ioc__norm_ip_port(&c, s, n, tmp); break;
    case KZ_IOC_URL: rc = kz_ioc__norm_url(&c, s, n, tmp); break;
    case KZ_IOC_EMAIL: rc = kz_ioc__norm_email(&c, s, n, tmp); break;
    case KZ_IOC_DOMAIN: rc = kz_ioc__norm_domain(&c, s, n, tmp); break;
    case KZ_IOC_CVE: rc = kz_ioc__norm_cve(&c, s, n, tmp); break;
    case KZ_IOC_ASN: rc = kz_ioc__norm_asn(&c, s, n, tmp); break;
    default: rc = -1; break;
    }
    return rc == 0;
}

static int guess(const char *s, size_t n, kz_buf *tmp)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch == 0x7f)
            return -1; /* blanks inside: free text, not an indicator */
    }
    kz_ip ip;
    int prefix;
    if (kz_ip_parse(s, n, &ip) == 0)
        return ip.v4 ? KZ_IOC_IPV4 : KZ_IOC_IPV6;
    if (memchr(s, '/', n) && kz_cidr_parse(s, n, &ip, &prefix) == 0)
        return KZ_IOC_CIDR;
    if (n >= 2 && kz_ioc__lower(s[0]) == 'a' && kz_ioc__lower(s[1]) == 's' && n > 2 &&
        kz_ioc__isdigit(s[2]))
        return try_norm(KZ_IOC_ASN, s, n, tmp) ? KZ_IOC_ASN : -1;
    if (n > 4 && kz_ioc__lower(s[0]) == 'c' && kz_ioc__lower(s[1]) == 'v' &&
        kz_ioc__lower(s[2]) == 'e' && s[3] == '-')
        return try_norm(KZ_IOC_CVE, s, n, tmp) ? KZ_IOC_CVE : -1;
    if (kz_ioc__all_hex(s, n)) {
        switch (n) {
        case 32: return KZ_IOC_MD5;
        case 40: return KZ_IOC_SHA1;
        case 64: return KZ_IOC_SHA256;
        case 128: return KZ_IOC_SHA512;
        default: break;
        }
    }
    bool has_scheme = memmem(s, n, "://", 3) != NULL;
    if (has_scheme)
        return try_norm(KZ_IOC_URL, s, n, tmp) ? KZ_IOC_URL : -1;
    if ((memchr(s, ':', n) || memchr(s, '|', n)) && try_norm(KZ_IOC_IP_PORT, s, n, tmp))
        return KZ_IOC_IP_PORT;
    if (memchr(s, '@', n))
        return try_norm(KZ_IOC_EMAIL, s, n, tmp) ? KZ_IOC_EMAIL : -1;
    if (try_norm(KZ_IOC_DOMAIN, s, n, tmp))
        return KZ_IOC_DOMAIN;
    /* "evil.com/x" or "1.2.3.4/x": a host and a path */
    const char *slash = memchr(s, '/', n);
    if (slash && slash > s && try_norm(KZ_IOC_URL, s, n, tmp))
        return KZ_IOC_URL;
    return -1;
}

int kz_ioc_guess(const char *in, size_t n)
{
    if (!in)
        return -1;
    const char *s = in;
    kz_ioc__trim(&s, &n);
    if (n == 0 || n > KZ_IOC_MAX || !kz_utf8_valid(s, n))
        return -1;
    char buf[KZ_IOC_MAX];
    if (kz_ioc__defanged(s, n)) {
        n = kz_ioc__refang(s, n, buf);
        s = buf;
    }
    kz_buf tmp;
    kz_buf_init(&tmp);
    int t = guess(s, n, &tmp);
    kz_buf_free(&tmp);
    return t;
}
