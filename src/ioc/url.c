/* url.c — URLs as one canonical text, so that the ways one resource is
 * written compare equal: scheme and host in lower case, the host normalised
 * like a domain (IDN to punycode) or an address (IPv6 in brackets, RFC 5952),
 * the scheme's default port dropped, an empty path made "/", escapes of
 * unreserved characters decoded and the rest in upper-case hex. The fragment
 * is kept as given. A value without "scheme://" ("evil.com/x", as feeds often
 * write them) is taken as http.
 */
#include "ioc_int.h"

#include <arpa/inet.h>
#include <string.h>

static const char HEX[] = "0123456789ABCDEF";

static int hexv(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = kz_ioc__lower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static bool unreserved(unsigned char ch)
{
    return kz_ioc__isalpha((char)ch) || kz_ioc__isdigit((char)ch) || ch == '-' || ch == '.' ||
           ch == '_' || ch == '~';
}

/* Characters that a browser would escape before sending: escaping them here
 * makes the typed and the escaped form one value. */
static bool must_escape(unsigned char ch)
{
    return ch >= 0x80 || ch == ' ' || ch == '"' || ch == '<' || ch == '>' || ch == '`';
}

/* The character s[*i] stands for after unescaping (an escape of an
 * unreserved character decodes), advancing *i past it; -1 at the end. */
static int decoded_at(const char *s, size_t n, size_t *i)
{
    if (*i >= n)
        return -1;
    int hi, lo;
    if (s[*i] == '%' && *i + 2 < n && (hi = hexv(s[*i + 1])) >= 0 &&
        (lo = hexv(s[*i + 2])) >= 0 && unreserved((unsigned char)(hi << 4 | lo))) {
        *i += 3;
        return hi << 4 | lo;
    }
    return (unsigned char)s[(*i)++];
}

/* Whether a '%' that starts no escape at s[i] would be followed, in the
 * output, by two hex digits: it would then read as an escape the next time
 * ("%%376D" -> "%76D" -> "vD"), so it must be written as "%25". */
static bool stray_percent_escapes(const char *s, size_t n, size_t i)
{
    size_t j = i + 1;
    int c1 = decoded_at(s, n, &j), c2 = decoded_at(s, n, &j);
    return c1 >= 0 && c2 >= 0 && hexv((char)c1) >= 0 && hexv((char)c2) >= 0;
}

/* Appends s with percent-escapes normalised (path, query, user info). */
static int append_escaped(kz_buf *out, const char *s, size_t n)
{
    if (kz_buf_reserve(out, 3 * n) < 0)
        return KZ_E_NOMEM;
    char *o = out->p + out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int hi, lo;
        if (ch == '%' && i + 2 < n && (hi = hexv(s[i + 1])) >= 0 && (lo = hexv(s[i + 2])) >= 0) {
            unsigned char v = (unsigned char)(hi << 4 | lo);
            if (unreserved(v)) {
                *o++ = (char)v;
            } else {
                *o++ = '%';
                *o++ = HEX[hi];
                *o++ = HEX[lo];
            }
            i += 2;
        } else if (must_escape(ch) || (ch == '%' && stray_percent_escapes(s, n, i))) {
            *o++ = '%';
            *o++ = HEX[ch >> 4];
            *o++ = HEX[ch & 15];
        } else {
            *o++ = (char)ch;
        }
    }
    out->len = (size_t)(o - out->p);
    out->p[out->len] = '\0';
    return KZ_OK;
}

/* The scheme's length if s starts with "scheme://", else 0. */
static size_t scheme_len(const char *s, size_t n)
{
    if (n == 0 || !kz_ioc__isalpha(s[0]))
        return 0;
    size_t i = 1;
    while (i < n && (kz_ioc__isalpha(s[i]) || kz_ioc__isdigit(s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
        i++;
    if (i + 3 <= n && memcmp(s + i, "://", 3) == 0)
        return i;
    return 0;
}

static long default_port(const char *scheme, size_t n)
{
    static const struct {
        const char *s;
        long port;
    } d[] = {{"http", 80}, {"https", 443}, {"ftp", 21}, {"ws", 80}, {"wss", 443}};
    for (size_t i = 0; i < KZ_ARRAY_LEN(d); i++)
        if (strlen(d[i].s) == n && memcmp(d[i].s, scheme, n) == 0)
            return d[i].port;
    return -1;
}

int kz_ioc__norm_url(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    size_t ustart = out->len;
    size_t sl = scheme_len(s, n);
    const char *scheme = sl ? s : "http";
    size_t schemelen = sl ? sl : 4;
    size_t i = sl ? sl + 3 : 0;
    if (!sl) {
        const char *sep = memmem(s, n, "://", 3);
        const char *slash = memchr(s, '/', n);
        if (sep && (!slash || sep < slash))
            return kz_ioc__fail(c, "is not a URL: the scheme must be letters, digits, '+', "
                                   "'-' or '.', starting with a letter");
    }

    /* authority: [userinfo@]host[:port] up to the first '/', '?' or '#' */
    size_t a = i;
    while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
        i++;
    const char *auth = s + a;
    size_t alen = i - a;
    const char *at = memrchr(auth, '@', alen);
    const char *user = NULL;
    size_t ulen = 0;
    if (at) {
        if (!sl)
            return kz_ioc__fail(c, "is not a URL: user info needs a scheme ('http://user@host/')");
        user = auth;
        ulen = (size_t)(at - auth);
        alen -= ulen + 1;
        auth = at + 1;
    }
    const char *host = auth, *port = NULL;
    size_t hlen = alen, plen = 0;
    bool v6 = false;
    if (alen && auth[0] == '[') {
        const char *close = memchr(auth, ']', alen);
        if (!close)
            return kz_ioc__fail(c, "is not a URL: '[' in the host is not closed");
        host = auth + 1;
        hlen = (size_t)(close - host);
        v6 = true;
        size_t rest = alen - hlen - 2;
        if (rest) {
            if (close[1] != ':')
                return kz_ioc__fail(c, "is not a URL: unexpected text after the IPv6 host");
            port = close + 2;
            plen = rest - 1;
        }
    } else {
        const char *colon = memchr(auth, ':', alen);
        if (colon) {
            hlen = (size_t)(colon - auth);
            port = colon + 1;
            plen = alen - hlen - 1;
        }
    }
    if (hlen == 0)
        return kz_ioc__fail(c, "is not a URL: it has no host");

    /* scheme, lower-cased */
    if (kz_buf_reserve(out, schemelen + 3) < 0)
        return KZ_E_NOMEM;
    for (size_t k = 0; k < schemelen; k++)
        out->p[out->len++] = kz_ioc__lower(scheme[k]);
    memcpy(out->p + out->len, "://", 4);
    out->len += 3;
    if (user && ulen) {
        if (append_escaped(out, user, ulen) < 0 || kz_buf_putc(out, '@') < 0)
            return KZ_E_NOMEM;
    }

    /* host */
    char q[96];
    if (v6) {
        kz_ip ip;
        if (kz_ip_parse(host, hlen, &ip) < 0 || ip.v4) {
            kz_ioc__quote(host, hlen, q, sizeof q);
            return kz_ioc__fail(c, "is not a URL: its host '%s' is not an IPv6 address", q);
        }
        char txt[INET6_ADDRSTRLEN];
        kz_ip_format(&ip, txt);
        if (kz_buf_printf(out, "[%s]", txt) < 0)
            return KZ_E_NOMEM;
    } else if (kz_ioc__digits_dots(host, hlen)) {
        if (kz_ioc__ip_append(host, hlen, out, NULL) < 0) {
            kz_ioc__quote(host, hlen, q, sizeof q);
            return kz_ioc__fail(c, "is not a URL: its host '%s' is not an IPv4 address", q);
        }
    } else {
        char why[KZ_IOC_WHY];
        unsigned flags = sl ? KZ_IOC_DOM_ONE_LABEL : 0;
        if (kz_ioc__domain_append(host, hlen, flags, out, why) != KZ_IOC_DOM_OK)
            return kz_ioc__fail(c, "is not a URL: its host %s", why);
    }

    /* port */
    if (port && plen) {
        long p = kz_ioc__port(port, plen, 0);
        if (p < 0)
            return kz_ioc__fail(c, "is not a URL: the port must be a number from 0 to 65535");
        if (p != default_port(out->p + ustart, schemelen) &&
            kz_ioc__append_uint(out, ':', (uint64_t)p) < 0)
            return KZ_E_NOMEM;
    }

    /* path, query, fragment */
    size_t pstart = i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    if (i == pstart) {
        if (kz_buf_putc(out, '/') < 0)
            return KZ_E_NOMEM;
    } else if (append_escaped(out, s + pstart, i - pstart) < 0) {
        return KZ_E_NOMEM;
    }
    if (i < n && s[i] == '?') {
        size_t qs = i;
        while (i < n && s[i] != '#')
            i++;
        if (append_escaped(out, s + qs, i - qs) < 0)
            return KZ_E_NOMEM;
    }
    if (i < n && kz_buf_append(out, s + i, n - i) < 0)
        return KZ_E_NOMEM;
    return KZ_OK;
}

bool kz_url_host(const char *url, char *out, size_t outlen)
{
    if (!url || !out || outlen == 0)
        return false;
    out[0] = '\0';
    size_t n = strlen(url);
    size_t sl = scheme_len(url, n);
    const char *a = url + (sl ? sl + 3 : 0);
    size_t alen = strcspn(a, "/?#");
    const char *at = memrchr(a, '@', alen);
    if (at) {
        alen -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *h = a;
    size_t hlen;
    if (alen && a[0] == '[') {
        const char *close = memchr(a, ']', alen);
        if (!close)
            return false;
        h = a + 1;
        hlen = (size_t)(close - h);
    } else {
        const char *colon = memchr(a, ':', alen);
        hlen = colon ? (size_t)(colon - a) : alen;
    }
    if (hlen == 0 || hlen + 1 > outlen)
        return false;
    memcpy(out, h, hlen);
    out[hlen] = '\0';
    return true;
}
