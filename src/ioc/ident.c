/* ident.c — identifiers with a fixed shape: AS numbers and CVE ids. Both are
 * written in many cases and with or without their prefix; the canonical form
 * is the one their registries print, "AS64500" and "CVE-2024-1234".
 */
#include "ioc_int.h"

#include <string.h>

int kz_ioc__norm_asn(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    if (n >= 2 && kz_ioc__lower(s[0]) == 'a' && kz_ioc__lower(s[1]) == 's') {
        s += 2;
        n -= 2;
    }
    /* 32-bit AS numbers (RFC 6793), 0 being reserved */
    uint64_t v = 0;
    if (n == 0 || n > 10)
        return kz_ioc__fail(c, "is not an AS number (AS1 to AS4294967295)");
    for (size_t i = 0; i < n; i++) {
        if (!kz_ioc__isdigit(s[i]))
            return kz_ioc__fail(c, "is not an AS number (AS1 to AS4294967295)");
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX)
        return kz_ioc__fail(c, "is not an AS number (AS1 to AS4294967295)");
    if (kz_buf_append(out, "AS", 2) < 0)
        return KZ_E_NOMEM;
    return kz_ioc__append_uint(out, '\0', v);
}

/* CVE-YYYY-NNNN...: a four-digit year and a sequence of at least four digits;
 * a longer sequence has no leading zero (CVE's own syntax rule). */
int kz_ioc__norm_cve(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    static const char *const shape = "is not a CVE identifier (CVE-YYYY-NNNN)";
    if (n < 13 || n > 4 + 4 + 1 + 19 || kz_ioc__lower(s[0]) != 'c' ||
        kz_ioc__lower(s[1]) != 'v' || kz_ioc__lower(s[2]) != 'e' || s[3] != '-' || s[8] != '-')
        return kz_ioc__fail(c, "%s", shape);
    for (size_t i = 4; i < n; i++)
        if (i != 8 && !kz_ioc__isdigit(s[i]))
            return kz_ioc__fail(c, "%s", shape);
    if (n - 9 > 4 && s[9] == '0')
        return kz_ioc__fail(c, "is not a CVE identifier: a sequence number longer than four "
                               "digits has no leading zero");
    if (kz_buf_append(out, "CVE-", 4) < 0)
        return KZ_E_NOMEM;
    return kz_buf_append(out, s + 4, n - 4);
}
