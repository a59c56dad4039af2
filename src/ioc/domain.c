/* domain.c — domain names as one canonical ASCII text: lower case, no
 * trailing dot, IDN as punycode (IDNA2008 with UTS #46 non-transitional
 * mapping, so "Straße.de" is xn--strae-oqa.de, not strasse.de).
 *
 * This is on the import hot path, so a plain ASCII name never reaches
 * libidn2: only names with non-ASCII bytes (to convert them) or an "xn--"
 * label (to check the punycode) do. The public-suffix list is libpsl's
 * built-in one, a read-only static table that needs no locking.
 */
#include "ioc_int.h"

#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_NAME 253
#define MAX_LABEL 63
#define MAX_UNICODE_INPUT 1024 /* bytes of a non-ASCII name before conversion */

static const psl_ctx_t *psl_ctx;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

/* Set once and never changed: the built-in list, or if libpsl was built
 * without one, the distribution's file. Without either, suffix checks pass. */
static void psl_load(void)
{
    psl_ctx = psl_builtin();
    if (!psl_ctx)
        psl_ctx = psl_latest(NULL);
}

static const psl_ctx_t *psl(void)
{
    pthread_once(&psl_once, psl_load);
    return psl_ctx;
}

static bool label_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || kz_ioc__isdigit(ch) || ch == '-' || ch == '_';
}

/* Checks a lower-case ASCII name; sets *xn when a label is punycode. */
static bool check_ascii(const char *d, size_t len, bool *xn, char *why)
{
    if (len == 0) {
        snprintf(why, KZ_IOC_WHY, "is empty");
        return false;
    }
    if (len > MAX_NAME) {
        snprintf(why, KZ_IOC_WHY, "is longer than %d bytes", MAX_NAME);
        return false;
    }
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && d[i] != '.') {
            if (!label_char(d[i])) {
                snprintf(why, KZ_IOC_WHY,
                         "has a character that is not allowed in a domain name "
                         "(only letters, digits, '-' and '_')");
                return false;
            }
            continue;
        }
        size_t ll = i - start;
        if (ll == 0) {
            snprintf(why, KZ_IOC_WHY, "has an empty label");
            return false;
        }
        if (ll > MAX_LABEL) {
            snprintf(why, KZ_IOC_WHY, "has a label longer than %d bytes", MAX_LABEL);
            return false;
        }
        if (d[start] == '-' || d[i - 1] == '-') {
            snprintf(why, KZ_IOC_WHY, "has a label that starts or ends with '-'");
            return false;
        }
        if (ll >= 4 && memcmp(d + start, "xn--", 4) == 0)
            *xn = true;
        start = i + 1;
    }
    const char *tld = memrchr(d, '.', len);
    tld = tld ? tld + 1 : d;
    size_t tl = len - (size_t)(tld - d);
    bool numeric = true;
    for (size_t i = 0; i < tl; i++) {
        if (tld[i] == '_') {
            snprintf(why, KZ_IOC_WHY, "has '_' in its top-level label");
            return false;
        }
        if (!kz_ioc__isdigit(tld[i]))
            numeric = false;
    }
    if (numeric) {
        snprintf(why, KZ_IOC_WHY, "has an all-numeric top-level label");
        return false;
    }
    return true;
}

static void idn_why(int rc, char *why)
{
    snprintf(why, KZ_IOC_WHY, "is not a valid internationalised name (%s)", idn2_strerror(rc));
}

/* Runs a name through libidn2 and replaces out[start..] with the result. */
static int idn_convert(const char *src, kz_buf *out, size_t start, char *why)
{
    uint8_t *res = NULL;
    int rc = idn2_lookup_u8((const uint8_t *)src, &res, IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        idn2_free(res);
        idn_why(rc, why);
        return -1;
    }
    size_t rl = strlen((const char *)res);
    if (rl > 1 && res[rl - 1] == '.') /* a trailing ideographic full stop */
        rl--;
    out->len = start;
    int e = kz_buf_append(out, res, rl);
    idn2_free(res);
    if (e < 0) {
        snprintf(why, KZ_IOC_WHY, "could not be stored (out of memory)");
        return -1;
    }
    return 0;
}

int kz_ioc__domain_append(const char *s, size_t n, unsigned flags, kz_buf *out, char *why)
{
    size_t start = out->len;
    if (n > 1 && s[n - 1] == '.')
        n--;
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;

    if (ascii) {
        if (n > MAX_NAME) {
            snprintf(why, KZ_IOC_WHY, "is longer than %d bytes", MAX_NAME);
            return KZ_IOC_DOM_BAD;
        }
        if (kz_buf_reserve(out, n) < 0) {
            snprintf(why, KZ_IOC_WHY, "could not be stored (out of memory)");
            return KZ_IOC_DOM_BAD;
        }
        for (size_t i = 0; i < n; i++)
            out->p[start + i] = kz_ioc__lower(s[i]);
        out->len = start + n;
        out->p[out->len] = '\0';
    } else {
        char tmp[MAX_UNICODE_INPUT + 1];
        if (n > MAX_UNICODE_INPUT) {
            snprintf(why, KZ_IOC_WHY, "is longer than %d bytes", MAX_UNICODE_INPUT);
            return KZ_IOC_DOM_BAD;
        }
        if (memchr(s, '\0', n)) {
            snprintf(why, KZ_IOC_WHY, "contains a NUL byte");
            return KZ_IOC_DOM_BAD;
        }
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        if (idn_convert(tmp, out, start, why) < 0)
            goto bad;
    }

    bool xn = false;
    if (!check_ascii(out->p + start, out->len - start, &xn, why))
        goto bad;
    /* Punycode typed in as ASCII: make libidn2 decode and re-check it, so a
     * broken or disallowed A-label is refused like its Unicode form would be. */
    if (xn && ascii) {
        char tmp[MAX_NAME + 1];
        memcpy(tmp, out->p + start, out->len - start + 1);
        if (idn_convert(tmp, out, start, why) < 0)
            goto bad;
        if (!check_ascii(out->p + start, out->len - start, &xn, why))
            goto bad;
    }
    if ((flags & KZ_IOC_DOM_PSL) && psl() &&
        psl_is_public_suffix2(psl(), out->p + start, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
        out->len = start;
        out->p[start] = '\0';
        return KZ_IOC_DOM_SUFFIX;
    }
    /* after the suffix check, so that "com" is called a suffix */
    if (!(flags & KZ_IOC_DOM_ONE_LABEL) && !memchr(out->p + start, '.', out->len - start)) {
        snprintf(why, KZ_IOC_WHY, "has only one label");
        goto bad;
    }
    return KZ_IOC_DOM_OK;

bad:
    out->len = start;
    if (out->p)
        out->p[start] = '\0';
    return KZ_IOC_DOM_BAD;
}

int kz_ioc__norm_domain(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    char why[KZ_IOC_WHY];
    const char *noun = c->type == KZ_IOC_HOSTNAME ? "hostname" : "domain";
    kz_ip ip;
    if (kz_ip_parse(s, n, &ip) == 0)
        return kz_ioc__fail(c, "is an IP address, not %s", kz_ioc__what(c->type));
    switch (kz_ioc__domain_append(s, n, KZ_IOC_DOM_PSL, out, why)) {
    case KZ_IOC_DOM_OK:
        return KZ_OK;
    case KZ_IOC_DOM_SUFFIX:
        return kz_ioc__fail(c, "is a public suffix, not a %s", noun);
    default:
        return kz_ioc__fail(c, "is not %s: it %s", kz_ioc__what(c->type), why);
    }
}

bool kz_domain_registrable(const char *domain, char *out, size_t outlen)
{
    if (!domain || !out || outlen == 0 || !psl())
        return false;
    const char *r = psl_registrable_domain(psl(), domain);
    if (!r)
        return false;
    size_t len = strlen(r);
    if (len + 1 > outlen)
        return false;
    memcpy(out, r, len + 1);
    return true;
}

void kz_domain_reverse(const char *domain, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return;
    out[0] = '\0';
    if (!domain)
        return;
    size_t len = strlen(domain);
    if (len + 1 > outlen) /* a cut name would be a wrong prefix: give none */
        return;
    size_t o = 0, end = len;
    while (end > 0 || o == 0) {
        size_t b = end;
        while (b > 0 && domain[b - 1] != '.')
            b--;
        memcpy(out + o, domain + b, end - b);
        o += end - b;
        if (b == 0)
            break;
        out[o++] = '.';
        end = b - 1;
    }
    out[o] = '\0';
}
