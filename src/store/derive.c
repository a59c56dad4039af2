/* derive.c — the search columns computed from an indicator's type and
 * normalised value when it is written: the address it names (as 16 bytes
 * plus a prefix length) and the domain it names, labels reversed. Search
 * then needs no parsing per row: "inside this network" is a BETWEEN on the
 * address index and "this domain and its subdomains" a range on rdomain.
 *
 * Values reach the store already normalised, so a value that does not parse
 * here simply gets no derived column (it is still found by exact value).
 */
#include "store_int.h"

static void set_ip(kz_derived *d, const char *s, size_t n)
{
    kz_ip ip;
    if (n == 0 || kz_ip_parse(s, n, &ip) != 0)
        return;
    memcpy(d->addr, ip.b, 16);
    d->prefix = 128;
    d->has_addr = true;
}

static void set_domain(kz_derived *d, const char *s, size_t n)
{
    char name[KZ_RDOMAIN_MAX];
    if (n == 0 || n >= sizeof name)
        return;
    memcpy(name, s, n);
    name[n] = '\0';
    kz_domain_reverse(name, d->rdomain, sizeof d->rdomain);
    d->has_rdomain = d->rdomain[0] != '\0';
}

/* A URL's host is a name or an address literal ("[2001:db8::1]" or
 * "192.0.2.1"); an address is worth more to search as an address. */
static void set_host(kz_derived *d, const char *host)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        set_ip(d, host + 1, n - 2);
        return;
    }
    kz_ip ip;
    if (kz_ip_parse(host, n, &ip) == 0)
        set_ip(d, host, n);
    else
        set_domain(d, host, n);
}

/* "192.0.2.1:443" or "[2001:db8::1]:443". */
static void set_ip_port(kz_derived *d, const char *v)
{
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (close)
            set_ip(d, v + 1, (size_t)(close - v - 1));
        return;
    }
    const char *colon = strrchr(v, ':');
    if (colon)
        set_ip(d, v, (size_t)(colon - v));
}

void kz__derive(kz_ioc_type t, const char *value, kz_derived *d)
{
    d->has_addr = false;
    d->has_rdomain = false;
    d->prefix = 0;
    if (!value)
        return;
    size_t n = strlen(value);
    switch (t) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
        set_ip(d, value, n);
        break;
    case KZ_IOC_CIDR: {
        kz_ip net;
        int prefix;
        if (kz_cidr_parse(value, n, &net, &prefix) == 0 && prefix >= 0 && prefix <= 128) {
            memcpy(d->addr, net.b, 16);
            d->prefix = prefix;
            d->has_addr = true;
        }
        break;
    }
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME:
        set_domain(d, value, n);
        break;
    case KZ_IOC_URL: {
        char host[KZ_RDOMAIN_MAX + 64];
        if (kz_url_host(value, host, sizeof host))
            set_host(d, host);
        break;
    }
    case KZ_IOC_EMAIL: {
        const char *at = strrchr(value, '@');
        if (at)
            set_domain(d, at + 1, strlen(at + 1));
        break;
    }
    case KZ_IOC_IP_PORT:
        set_ip_port(d, value);
        break;
    case KZ_IOC_DOMAIN_IP: {
        const char *bar = strchr(value, '|');
        if (bar) {
            set_domain(d, value, (size_t)(bar - value));
            set_ip(d, bar + 1, strlen(bar + 1));
        }
        break;
    }
    default:
        break;
    }
}

void kz__ip_mask(const uint8_t in[16], int prefix, uint8_t out[16])
{
    for (int i = 0; i < 16; i++) {
        int bits = prefix - i * 8;
        uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
        out[i] = in[i] & m;
    }
}

/* kz_ip_mask(addr BLOB(16), len INTEGER): addr with the bits past len
 * cleared, i.e. the network of that length containing addr. */
static void sql_ip_mask(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const void *b = sqlite3_value_blob(argv[0]);
    int len = sqlite3_value_int(argv[1]);
    if (!b || sqlite3_value_bytes(argv[0]) != 16 || len < 0 || len > 128) {
        sqlite3_result_null(ctx);
        return;
    }
    uint8_t out[16];
    kz__ip_mask(b, len, out);
    sqlite3_result_blob(ctx, out, 16, SQLITE_TRANSIENT);
}

int kz__register_functions(sqlite3 *db)
{
    return sqlite3_create_function_v2(db, "kz_ip_mask", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                      sql_ip_mask, NULL, NULL, NULL);
}
