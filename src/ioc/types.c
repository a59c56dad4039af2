/* types.c — the names of indicator types: ours on the wire, MISP's mapped onto
 * them. MISP's ip-src / ip-dst hold v4, v6 or a CIDR alike, so the concrete
 * type of such a value is decided by looking at it (kz_ioc_type_resolve).
 */
#include "ioc_int.h"

#include <string.h>

static const char *const names[KZ_IOC__COUNT] = {
    [KZ_IOC_IPV4] = "ipv4",
    [KZ_IOC_IPV6] = "ipv6",
    [KZ_IOC_CIDR] = "cidr",
    [KZ_IOC_DOMAIN] = "domain",
    [KZ_IOC_HOSTNAME] = "hostname",
    [KZ_IOC_URL] = "url",
    [KZ_IOC_EMAIL] = "email",
    [KZ_IOC_MD5] = "md5",
    [KZ_IOC_SHA1] = "sha1",
    [KZ_IOC_SHA256] = "sha256",
    [KZ_IOC_SHA512] = "sha512",
    [KZ_IOC_FILENAME] = "filename",
    [KZ_IOC_FILENAME_HASH] = "filename|hash",
    [KZ_IOC_IP_PORT] = "ip|port",
    [KZ_IOC_DOMAIN_IP] = "domain|ip",
    [KZ_IOC_ASN] = "asn",
    [KZ_IOC_CVE] = "cve",
    [KZ_IOC_BTC] = "btc",
    [KZ_IOC_USER_AGENT] = "user-agent",
    [KZ_IOC_MUTEX] = "mutex",
    [KZ_IOC_REGKEY] = "regkey",
    [KZ_IOC_TEXT] = "text",
};

static const char *const whats[KZ_IOC__COUNT] = {
    [KZ_IOC_IPV4] = "an IPv4 address",
    [KZ_IOC_IPV6] = "an IPv6 address",
    [KZ_IOC_CIDR] = "a CIDR network",
    [KZ_IOC_DOMAIN] = "a domain name",
    [KZ_IOC_HOSTNAME] = "a hostname",
    [KZ_IOC_URL] = "a URL",
    [KZ_IOC_EMAIL] = "an e-mail address",
    [KZ_IOC_MD5] = "an MD5 hash (32 hex digits)",
    [KZ_IOC_SHA1] = "a SHA-1 hash (40 hex digits)",
    [KZ_IOC_SHA256] = "a SHA-256 hash (64 hex digits)",
    [KZ_IOC_SHA512] = "a SHA-512 hash (128 hex digits)",
    [KZ_IOC_FILENAME] = "a file name",
    [KZ_IOC_FILENAME_HASH] = "a 'filename|hash' pair",
    [KZ_IOC_IP_PORT] = "an 'ip:port' pair",
    [KZ_IOC_DOMAIN_IP] = "a 'domain|ip' pair",
    [KZ_IOC_ASN] = "an AS number",
    [KZ_IOC_CVE] = "a CVE identifier",
    [KZ_IOC_BTC] = "a Bitcoin address",
    [KZ_IOC_USER_AGENT] = "a user agent",
    [KZ_IOC_MUTEX] = "a mutex name",
    [KZ_IOC_REGKEY] = "a registry key",
    [KZ_IOC_TEXT] = "text",
};

/* MISP attribute types that mean the same thing as one of ours. "uri" is a
 * path, not a URL, so it is only text. Spelled exactly as MISP spells them. */
static const struct {
    const char *misp;
    kz_ioc_type t;
} misp_names[] = {
    {"ip-src", KZ_IOC_IPV4},
    {"ip-dst", KZ_IOC_IPV4},
    {"ip", KZ_IOC_IPV4},
    {"email-src", KZ_IOC_EMAIL},
    {"email-dst", KZ_IOC_EMAIL},
    {"uri", KZ_IOC_TEXT},
    {"filename|md5", KZ_IOC_FILENAME_HASH},
    {"filename|sha1", KZ_IOC_FILENAME_HASH},
    {"filename|sha256", KZ_IOC_FILENAME_HASH},
    {"filename|sha512", KZ_IOC_FILENAME_HASH},
    {"ip-src|port", KZ_IOC_IP_PORT},
    {"ip-dst|port", KZ_IOC_IP_PORT},
    {"AS", KZ_IOC_ASN},
    {"vulnerability", KZ_IOC_CVE},
};

const char *kz_ioc_type_name(kz_ioc_type t)
{
    if ((unsigned)t >= KZ_IOC__COUNT)
        return "unknown";
    return names[t];
}

const char *kz_ioc__what(kz_ioc_type t)
{
    if ((unsigned)t >= KZ_IOC__COUNT)
        return "a value";
    return whats[t];
}

int kz_ioc_type_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < KZ_IOC__COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    for (size_t i = 0; i < KZ_ARRAY_LEN(misp_names); i++)
        if (strcmp(name, misp_names[i].misp) == 0)
            return (int)misp_names[i].t;
    return -1;
}

/* Whether a MISP name stands for "some IP": then the value decides. */
static bool is_any_ip(const char *name)
{
    return strcmp(name, "ip-src") == 0 || strcmp(name, "ip-dst") == 0 || strcmp(name, "ip") == 0;
}

int kz_ioc_type_resolve(const char *name, const char *value, size_t n)
{
    int t = kz_ioc_type_parse(name);
    if (t < 0 || !is_any_ip(name))
        return t;
    if (!value)
        n = 0;
    if (memchr(value ? value : "", '/', n))
        return KZ_IOC_CIDR;
    if (memchr(value ? value : "", ':', n))
        return KZ_IOC_IPV6;
    return KZ_IOC_IPV4;
}
