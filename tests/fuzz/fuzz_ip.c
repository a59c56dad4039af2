/* fuzz_ip.c — addresses and networks, the values the match index and the
 * range search key on. Properties: kz_ip_format's text parses back to the
 * same address; a network's text ("net/len") parses back to the same network
 * with its host bits clear, and its last address is not below its first;
 * the IPv4, IPv6 and CIDR normalisers reach fixed points.
 */
#include "fuzz_ioc.h"

static bool prefix_clear(const kz_ip *net, int prefix)
{
    for (int bit = prefix; bit < 128; bit++)
        if (net->b[bit / 8] & (0x80 >> (bit % 8)))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *p = (const char *)data;
    kz_ip ip, back;
    char text[64];
    if (kz_ip_parse(p, size, &ip) == 0) {
        kz_ip_format(&ip, text);
        FUZZ_CHECK(kz_ip_parse(text, strlen(text), &back) == 0, "'%s' does not parse", text);
        FUZZ_CHECK(memcmp(ip.b, back.b, 16) == 0 && ip.v4 == back.v4,
                   "'%.*s' -> '%s' is another address", (int)(size > 64 ? 64 : size), p, text);
    }
    int prefix = -1;
    if (kz_cidr_parse(p, size, &ip, &prefix) == 0) {
        FUZZ_CHECK(prefix >= 0 && prefix <= 128 && (!ip.v4 || prefix >= 96), "prefix %d", prefix);
        FUZZ_CHECK(prefix_clear(&ip, prefix), "host bits left in the network");
        kz_ip last;
        kz_cidr_last(&ip, prefix, &last);
        FUZZ_CHECK(memcmp(ip.b, last.b, 16) <= 0, "last address below the first");
        kz_ip_format(&ip, text);
        char cidr[80];
        snprintf(cidr, sizeof cidr, "%s/%d", text, ip.v4 ? prefix - 96 : prefix);
        int p2 = -1;
        FUZZ_CHECK(kz_cidr_parse(cidr, strlen(cidr), &back, &p2) == 0, "'%s' does not parse", cidr);
        FUZZ_CHECK(p2 == prefix && memcmp(ip.b, back.b, 16) == 0, "'%s' is another network",
                   cidr);
    }
    kz_buf out;
    kz_buf_init(&out);
    (void)fuzz_norm_fixed(KZ_IOC_IPV4, p, size, &out);
    (void)fuzz_norm_fixed(KZ_IOC_IPV6, p, size, &out);
    (void)fuzz_norm_fixed(KZ_IOC_CIDR, p, size, &out);
    (void)fuzz_norm_fixed(KZ_IOC_IP_PORT, p, size, &out);
    kz_buf_free(&out);
    return 0;
}
