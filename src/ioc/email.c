/* email.c — e-mail addresses: the domain part is normalised like any domain
 * (IDN, lower case, public-suffix check); the local part is kept as written,
 * because only the receiving server may decide whether its case matters.
 */
#include "ioc_int.h"

#include <string.h>

#define MAX_LOCAL 64

int kz_ioc__norm_email(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    const char *at = memrchr(s, '@', n);
    if (!at)
        return kz_ioc__fail(c, "is not an e-mail address: the '@' is missing");
    size_t ll = (size_t)(at - s);
    if (ll == 0)
        return kz_ioc__fail(c, "is not an e-mail address: the part before '@' is empty");
    if (ll > MAX_LOCAL)
        return kz_ioc__fail(c, "is not an e-mail address: the part before '@' is longer than "
                               "%d bytes", MAX_LOCAL);
    for (size_t i = 0; i < ll; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* printable ASCII but blanks and a second '@'; UTF-8 (RFC 6531) */
        if (ch <= 0x20 || ch == 0x7f || ch == '@')
            return kz_ioc__fail(c, "is not an e-mail address: the part before '@' may not hold "
                                   "'%c'", ch == '@' ? '@' : '?');
    }
    if (kz_buf_append(out, s, ll + 1) < 0)
        return KZ_E_NOMEM;
    char why[KZ_IOC_WHY];
    switch (kz_ioc__domain_append(at + 1, n - ll - 1, KZ_IOC_DOM_PSL, out, why)) {
    case KZ_IOC_DOM_OK:
        return KZ_OK;
    case KZ_IOC_DOM_SUFFIX:
        return kz_ioc__fail(c, "is not an e-mail address: its domain is a public suffix");
    default:
        return kz_ioc__fail(c, "is not an e-mail address: its domain %s", why);
    }
}
