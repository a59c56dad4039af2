/* netnorm.c — the values built from addresses: a bare IPv4 / IPv6, a CIDR
 * network, "ip:port" and MISP's "domain|ip". Each becomes the text that
 * kz_ip_format gives, so "2001:0db8::0001" and "2001:db8::1" are one value.
 */
#include "ioc_int.h"

#include <arpa/inet.h>
#include <string.h>

typedef char quotebuf[96];

static const char *quote(const char *s, size_t n, quotebuf q)
{
    kz_ioc__quote(s, n, q, sizeof(quotebuf));
    return q;
}

int kz_ioc__norm_ip(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    bool want4 = c->type == KZ_IOC_IPV4;
    /* "[2001:db8::1]" as people write it in URLs. */
    if (!want4 && n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    kz_ip ip;
    if (kz_ip_parse(s, n, &ip) < 0) {
        if (want4 && kz_ioc__ip4_leading_zero(s, n))
            return kz_ioc__fail(c, "is not an IPv4 address: a part with a leading zero is "
                                   "ambiguous (octal or decimal?)");
        if (memchr(s, '/', n))
            return kz_ioc__fail(c, "is not %s (a network is of type cidr)", kz_ioc__what(c->type));
        return kz_ioc__fail(c, "is not %s", kz_ioc__what(c->type));
    }
    if (ip.v4 != want4)
        return kz_ioc__fail(c, "is not %s (it is %s)", kz_ioc__what(c->type),
                            ip.v4 ? "IPv4" : "IPv6");
    char txt[INET6_ADDRSTRLEN];
    kz_ip_format(&ip, txt);
    return kz_buf_puts(out, txt);
}

int kz_ioc__norm_cidr(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    quotebuf q;
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    kz_ip net;
    int prefix;
    if (kz_ip_parse(s, alen, &net) < 0) {
        if (kz_ioc__ip4_leading_zero(s, alen))
            return kz_ioc__fail(c, "is not a CIDR network: a part with a leading zero is "
                                   "ambiguous (octal or decimal?)");
        return kz_ioc__fail(c, "is not a CIDR network: '%s' is not an IP address",
                            quote(s, alen, q));
    }
    if (kz_cidr_parse(s, n, &net, &prefix) < 0)
        return kz_ioc__fail(c, "is not a CIDR network: the prefix length must be a number "
                               "from 0 to %d",
                            net.v4 ? 32 : 128);
    char txt[INET6_ADDRSTRLEN];
    kz_ip_format(&net, txt);
    if (kz_buf_puts(out, txt) < 0)
        return KZ_E_NOMEM;
    return kz_ioc__append_uint(out, '/', (uint64_t)(net.v4 ? prefix - 96 : prefix));
}

/* "1.2.3.4:80", "[2001:db8::1]:443", and MISP's "1.2.3.4|80" or
 * "2001:db8::1|443". A bare v6 with a colon port is refused: which colon
 * starts the port cannot be told. */
int kz_ioc__norm_ip_port(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    quotebuf q;
    const char *ip = s, *port;
    size_t iplen;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close + 1 >= s + n || (close[1] != ':' && close[1] != '|'))
            return kz_ioc__fail(c, "is not an 'ip:port' pair: expected '[ipv6]:port'");
        ip = s + 1;
        iplen = (size_t)(close - ip);
        port = close + 2;
    } else {
        const char *sep = memrchr(s, '|', n);
        if (!sep) {
            sep = memrchr(s, ':', n);
            if (sep && memchr(s, ':', (size_t)(sep - s)))
                return kz_ioc__fail(c, "is not an 'ip:port' pair: write an IPv6 address in "
                                       "brackets, '[2001:db8::1]:443'");
        }
        if (!sep)
            return kz_ioc__fail(c, "is not an 'ip:port' pair: the port is missing");
        iplen = (size_t)(sep - s);
        port = sep + 1;
    }
    size_t portlen = n - (size_t)(port - s);
    long p = kz_ioc__port(port, portlen, 1);
    if (p < 0)
        return kz_ioc__fail(c, "is not an 'ip:port' pair: the port must be a number from 1 "
                               "to 65535");
    kz_ip addr;
    if (kz_ip_parse(ip, iplen, &addr) < 0)
        return kz_ioc__fail(c, "is not an 'ip:port' pair: '%s' is not an IP address",
                            quote(ip, iplen, q));
    if (s[0] == '[' && addr.v4)
        return kz_ioc__fail(c, "is not an 'ip:port' pair: brackets are for IPv6 only");
    char txt[INET6_ADDRSTRLEN];
    kz_ip_format(&addr, txt);
    if ((!addr.v4 && kz_buf_putc(out, '[') < 0) || kz_buf_puts(out, txt) < 0 ||
        (!addr.v4 && kz_buf_putc(out, ']') < 0))
        return KZ_E_NOMEM;
    return kz_ioc__append_uint(out, ':', (uint64_t)p);
}

int kz_ioc__norm_domain_ip(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    const char *bar = memchr(s, '|', n);
    if (!bar)
        return kz_ioc__fail(c, "is not a 'domain|ip' pair: the '|' is missing");
    quotebuf q;
    const char *d = s, *ip = bar + 1;
    size_t dn = (size_t)(bar - s), ipn = n - dn - 1;
    kz_ioc__trim(&d, &dn);
    kz_ioc__trim(&ip, &ipn);
    char why[KZ_IOC_WHY];
    switch (kz_ioc__domain_append(d, dn, KZ_IOC_DOM_PSL, out, why)) {
    case KZ_IOC_DOM_OK:
        break;
    case KZ_IOC_DOM_SUFFIX:
        return kz_ioc__fail(c, "is not a 'domain|ip' pair: its domain is a public suffix");
    default:
        return kz_ioc__fail(c, "is not a 'domain|ip' pair: its domain %s", why);
    }
    if (kz_buf_putc(out, '|') < 0)
        return KZ_E_NOMEM;
    if (kz_ioc__ip_append(ip, ipn, out, NULL) < 0)
        return kz_ioc__fail(c, "is not a 'domain|ip' pair: '%s' is not an IP address",
                            quote(ip, ipn, q));
    return KZ_OK;
}
