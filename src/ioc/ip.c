/* ip.c — IPv4 / IPv6 addresses and CIDR networks as 16 bytes.
 *
 * IPv4 lives in ::ffff:0:0/96 so that one byte order sorts and ranges both
 * families. Parsing is strict: dotted quads only, and no leading zeros,
 * because "010.1.1.1" is 8.1.1.1 to inet_aton and 10.1.1.1 to a person.
 * IPv6 text goes through inet_pton (no zone ids); output follows RFC 5952.
 */
#include "ioc_int.h"

#include <arpa/inet.h>
#include <string.h>

/* Dotted quad, each part 0..255 without leading zeros. */
static int parse4(const char *s, size_t n, uint8_t out[4], bool *leading_zero)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && kz_ioc__isdigit(s[i]) && i - start < 4)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t len = i - start;
        if (len == 0 || len > 3 || v > 255)
            return -1;
        if (len > 1 && s[start] == '0') {
            if (leading_zero)
                *leading_zero = true;
            return -1;
        }
        out[part] = (uint8_t)v;
    }
    return i == n ? 0 : -1;
}

static int parse6(const char *s, size_t n, uint8_t out[16])
{
    char tmp[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof tmp || memchr(s, '%', n))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

int kz_ip_parse(const char *s, size_t n, kz_ip *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return KZ_E_VALUE;
    if (memchr(s, ':', n)) {
        if (parse6(s, n, out->b) < 0)
            return KZ_E_VALUE;
        return KZ_OK;
    }
    if (parse4(s, n, out->b + 12, NULL) < 0)
        return KZ_E_VALUE;
    out->b[10] = out->b[11] = 0xff;
    out->v4 = true;
    return KZ_OK;
}

bool kz_ioc__ip4_leading_zero(const char *s, size_t n)
{
    uint8_t b[4];
    bool lz = false;
    return parse4(s, n, b, &lz) < 0 && lz;
}

static void clear_host_bits(kz_ip *ip, int prefix128)
{
    for (int i = 0; i < 16; i++) {
        int keep = prefix128 - 8 * i; /* bits of this byte inside the prefix */
        if (keep >= 8)
            continue;
        ip->b[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

int kz_cidr_parse(const char *s, size_t n, kz_ip *net, int *prefix128)
{
    memset(net, 0, sizeof *net);
    *prefix128 = 128;
    if (!s)
        return KZ_E_VALUE;
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    if (kz_ip_parse(s, alen, net) < 0)
        return KZ_E_VALUE;
    if (slash) {
        const char *p = slash + 1;
        size_t plen = n - alen - 1;
        if (plen == 0 || plen > 3 || (plen > 1 && p[0] == '0'))
            return KZ_E_VALUE;
        int v = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!kz_ioc__isdigit(p[i]))
                return KZ_E_VALUE;
            v = v * 10 + (p[i] - '0');
        }
        if (v > (net->v4 ? 32 : 128))
            return KZ_E_VALUE;
        *prefix128 = net->v4 ? 96 + v : v;
    }
    clear_host_bits(net, *prefix128);
    return KZ_OK;
}

void kz_cidr_last(const kz_ip *net, int prefix128, kz_ip *last)
{
    *last = *net;
    for (int i = 0; i < 16; i++) {
        int keep = prefix128 - 8 * i;
        if (keep >= 8)
            continue;
        last->b[i] |= keep <= 0 ? 0xff : (uint8_t)(0xff >> keep);
    }
}

/* Hand-rolled rather than printf: formatting is on the import hot path. */
static char *put_dec(char *o, unsigned v)
{
    if (v >= 100)
        *o++ = (char)('0' + v / 100);
    if (v >= 10)
        *o++ = (char)('0' + v / 10 % 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

static char *put_quad(char *o, const uint8_t *b)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *o++ = '.';
        o = put_dec(o, b[i]);
    }
    return o;
}

static char *put_hex(char *o, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 15;
        if (d || started || shift == 0) {
            *o++ = hex[d];
            started = true;
        }
    }
    return o;
}

void kz_ip_format(const kz_ip *ip, char *out)
{
    const uint8_t *b = ip->b;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool is_mapped = memcmp(b, mapped, 12) == 0;
    char *o = out;
    if (ip->v4 && is_mapped) {
        *put_quad(o, b + 12) = '\0';
        return;
    }
    /* RFC 5952: lower-case hex without leading zeros, the longest run of
     * two or more zero groups (the first on a tie) as "::", and IPv4-mapped
     * addresses with their dotted quad. */
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int groups = is_mapped ? 6 : 8;
    int best = -1, best_len = 1;
    for (int i = 0; i < groups;) {
        if (w[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < groups && w[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    for (int i = 0; i < groups; i++) {
        if (i == best) {
            *o++ = ':';
            if (i == 0)
                *o++ = ':';
            i += best_len - 1;
            continue;
        }
        o = put_hex(o, w[i]);
        if (i < groups - 1 || is_mapped)
            *o++ = ':';
    }
    if (is_mapped)
        o = put_quad(o, b + 12);
    *o = '\0';
}

int kz_ioc__ip_append(const char *s, size_t n, kz_buf *out, bool *v4)
{
    kz_ip ip;
    if (kz_ip_parse(s, n, &ip) < 0)
        return -1;
    char txt[INET6_ADDRSTRLEN];
    kz_ip_format(&ip, txt);
    if (v4)
        *v4 = ip.v4;
    return kz_buf_puts(out, txt) < 0 ? -1 : 0;
}

long kz_ioc__port(const char *s, size_t n, long lo)
{
    if (n == 0 || n > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!kz_ioc__isdigit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= 65535 ? v : -1;
}

bool kz_ioc__digits_dots(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!kz_ioc__isdigit(s[i]) && s[i] != '.')
            return false;
    return n > 0;
}

int kz_ioc__append_uint(kz_buf *out, char sep, uint64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (sep)
        *--p = sep;
    return kz_buf_append(out, p, (size_t)(e - p));
}
