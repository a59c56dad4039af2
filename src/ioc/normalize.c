/* normalize.c — the one entry point for turning a pasted value into its
 * canonical text: the checks every type shares (trimming, size, UTF-8,
 * control characters, refanging of network values), then the type's own
 * normaliser. Errors quote the value as given, cut short and made printable,
 * so a message is always safe to put in JSON and to show.
 */
#include "ioc_int.h"

#include <stdio.h>
#include <string.h>

#define QUOTE_MAX 64
#define KZ_IOC_TEXT_MAX 65536 /* bytes of one KZ_IOC_TEXT value */

void kz_ioc__quote(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    while (i < n && i < QUOTE_MAX && o + 8 < outlen) {
        unsigned char ch = (unsigned char)s[i];
        size_t len = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
        if (i + len > n || !kz_utf8_valid(s + i, len) || (len == 1 && (ch < 0x20 || ch == 0x7f))) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (i + len > QUOTE_MAX)
            break;
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    if (i < n && o + 4 <= outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

int kz_ioc__fail(const kz_ioc_ctx *c, const char *fmt, ...)
{
    if (!c->err)
        return KZ_E_VALUE;
    char q[QUOTE_MAX + 24], rest[sizeof c->err->msg];
    kz_ioc__quote(c->orig, c->orig_n, q, sizeof q);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    return kz_fail(c->err, KZ_E_VALUE, NULL, "'%s' %s", q, rest);
}

/* Length of a Unicode blank that pasting from web pages leaves around values
 * (NBSP, ZERO WIDTH SPACE, BOM) at s, or 0. */
static size_t ublank_at(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
        return 2;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x8b)
        return 3;
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
        return 3;
    return 0;
}

static bool ascii_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

void kz_ioc__trim(const char **sp, size_t *np)
{
    const unsigned char *s = (const unsigned char *)*sp;
    size_t n = *np, k;
    for (;;) {
        if (n && ascii_blank((char)s[0])) {
            s++;
            n--;
        } else if ((k = ublank_at(s, n))) {
            s += k;
            n -= k;
        } else {
            break;
        }
    }
    for (;;) {
        if (n && ascii_blank((char)s[n - 1]))
            n--;
        else if (n >= 2 && ublank_at(s + n - 2, 2))
            n -= 2;
        else if (n >= 3 && ublank_at(s + n - 3, 3) == 3)
            n -= 3;
        else
            break;
    }
    *sp = (const char *)s;
    *np = n;
}

/* Types whose values are network names or addresses, where defanging occurs
 * and where a control character or white space can only be an error. */
static bool is_network(kz_ioc_type t)
{
    switch (t) {
    case KZ_IOC_IPV4: case KZ_IOC_IPV6: case KZ_IOC_CIDR: case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME: case KZ_IOC_URL: case KZ_IOC_EMAIL: case KZ_IOC_IP_PORT:
    case KZ_IOC_DOMAIN_IP:
        return true;
    default:
        return false;
    }
}

/* Control characters a type may hold: free text keeps its line breaks (MISP
 * "text" attributes are often several lines), names may hold a tab. */
static bool control_ok(kz_ioc_type t, char ch)
{
    if (t == KZ_IOC_TEXT)
        return ch == '\t' || ch == '\n' || ch == '\r';
    if (t == KZ_IOC_FILENAME || t == KZ_IOC_FILENAME_HASH || t == KZ_IOC_USER_AGENT ||
        t == KZ_IOC_MUTEX || t == KZ_IOC_REGKEY)
        return ch == '\t';
    return false;
}

enum { CHARS_OK, BAD_UTF8, BAD_CONTROL, BAD_SPACE };

/* One pass for what every value must be: UTF-8 (validated once, and only if
 * a non-ASCII byte shows up: most indicators are ASCII), no control
 * characters but those the type keeps, no space inside network values. */
static int check_chars(kz_ioc_type t, bool net, const char *s, size_t n)
{
    bool utf8_checked = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch > 0x20 && ch < 0x7f)
            continue;
        if (ch >= 0x80) {
            if (!utf8_checked && !kz_utf8_valid(s, n))
                return BAD_UTF8;
            utf8_checked = true;
            continue;
        }
        int bad = CHARS_OK;
        if (ch != ' ' && !control_ok(t, (char)ch))
            bad = BAD_CONTROL;
        else if (ch == ' ' && net && t != KZ_IOC_URL)
            bad = BAD_SPACE;
        if (bad != CHARS_OK)
            return (ch == 0 || (!utf8_checked && !kz_utf8_valid(s, n))) ? BAD_UTF8 : bad;
    }
    return CHARS_OK;
}

static int dispatch(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    switch (c->type) {
    case KZ_IOC_IPV4: case KZ_IOC_IPV6: return kz_ioc__norm_ip(c, s, n, out);
    case KZ_IOC_CIDR: return kz_ioc__norm_cidr(c, s, n, out);
    case KZ_IOC_DOMAIN: case KZ_IOC_HOSTNAME: return kz_ioc__norm_domain(c, s, n, out);
    case KZ_IOC_URL: return kz_ioc__norm_url(c, s, n, out);
    case KZ_IOC_EMAIL: return kz_ioc__norm_email(c, s, n, out);
    case KZ_IOC_MD5: case KZ_IOC_SHA1: case KZ_IOC_SHA256: case KZ_IOC_SHA512:
        return kz_ioc__norm_hash(c, s, n, out);
    case KZ_IOC_FILENAME_HASH: return kz_ioc__norm_filename_hash(c, s, n, out);
    case KZ_IOC_IP_PORT: return kz_ioc__norm_ip_port(c, s, n, out);
    case KZ_IOC_DOMAIN_IP: return kz_ioc__norm_domain_ip(c, s, n, out);
    case KZ_IOC_ASN: return kz_ioc__norm_asn(c, s, n, out);
    case KZ_IOC_CVE: return kz_ioc__norm_cve(c, s, n, out);
    case KZ_IOC_BTC: return kz_ioc__norm_btc(c, s, n, out);
    case KZ_IOC_FILENAME: case KZ_IOC_USER_AGENT: case KZ_IOC_MUTEX: case KZ_IOC_REGKEY:
    case KZ_IOC_TEXT:
        return kz_ioc__norm_text(c, s, n, out);
    default:
        return KZ_E_INTERNAL;
    }
}

int kz_ioc_normalize(kz_ioc_type t, const char *in, size_t n, kz_buf *out, kz_err *err)
{
    kz_buf_reset(out);
    if ((unsigned)t >= KZ_IOC__COUNT)
        return kz_fail(err, KZ_E_INVALID, NULL, "unknown indicator type %d", (int)t);
    if (!in)
        n = 0;
    const char *s = in ? in : "";
    kz_ioc__trim(&s, &n);
    kz_ioc_ctx c = {.type = t, .orig = s, .orig_n = n, .err = err};
    const char *what = kz_ioc__what(t);

    if (n == 0)
        return kz_ioc__fail(&c, "is not %s: the value is empty", what);
    /* Free text (MISP "text", "comment", pattern types kept as text) is
     * prose or a pasted config, routinely longer than any indicator. */
    size_t max = t == KZ_IOC_TEXT ? KZ_IOC_TEXT_MAX : KZ_IOC_MAX;
    if (n > max)
        return kz_ioc__fail(&c, "is not %s: it is longer than %zu bytes", what, max);
    bool net = is_network(t);
    switch (check_chars(t, net, s, n)) {
    case BAD_UTF8: return kz_ioc__fail(&c, "is not %s: it is not valid UTF-8 text", what);
    case BAD_CONTROL: return kz_ioc__fail(&c, "is not %s: it contains a control character", what);
    case BAD_SPACE: return kz_ioc__fail(&c, "is not %s: it contains a space", what);
    default: break;
    }

    int rc;
    char buf[KZ_IOC_MAX];
    if (net && kz_ioc__defanged(s, n)) {
        size_t m = kz_ioc__refang(s, n, buf);
        rc = dispatch(&c, buf, m, out);
    } else {
        rc = dispatch(&c, s, n, out);
    }
    /* Decoding can make a defanged token ("(%2e)" -> "(.)") that the next
     * normalisation would undo: go on until the value is a fixed point, so
     * that a stored value normalises to itself. */
    for (int round = 0; rc == 0 && net && round < 4 && out->len <= sizeof buf &&
                        kz_ioc__defanged(out->p, out->len);
         round++) {
        size_t m = kz_ioc__refang(out->p, out->len, buf);
        if (m == out->len && memcmp(buf, out->p, m) == 0)
            break;
        kz_buf_reset(out);
        rc = dispatch(&c, buf, m, out);
    }
    if (rc < 0)
        kz_buf_reset(out);
    return rc;
}
