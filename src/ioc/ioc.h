/* ioc.h — layer 1: observables. Parse, validate, refang and normalise the
 * values analysts paste (IPs, CIDRs, domains, URLs, e-mail, hashes, ...) into
 * one canonical text per value, so that equal things compare equal in the
 * store, the search and the match index.
 */
#ifndef KZ_IOC_H
#define KZ_IOC_H

#include "base/base.h"

/* The indicator types the model knows. Names on the wire are the strings of
 * kz_ioc_type_name(); MISP's names are mapped onto these by kz_ioc_type_parse. */
typedef enum {
    KZ_IOC_IPV4,
    KZ_IOC_IPV6,
    KZ_IOC_CIDR,          /* v4 or v6 network, stored as its network address */
    KZ_IOC_DOMAIN,
    KZ_IOC_HOSTNAME,
    KZ_IOC_URL,
    KZ_IOC_EMAIL,
    KZ_IOC_MD5,
    KZ_IOC_SHA1,
    KZ_IOC_SHA256,
    KZ_IOC_SHA512,
    KZ_IOC_FILENAME,
    KZ_IOC_FILENAME_HASH, /* "name.exe|<md5|sha1|sha256|sha512>" */
    KZ_IOC_IP_PORT,       /* "1.2.3.4:443" or "[2001:db8::1]:443" */
    KZ_IOC_DOMAIN_IP,     /* "example.com|1.2.3.4" */
    KZ_IOC_ASN,           /* "AS64500" */
    KZ_IOC_CVE,           /* "CVE-2024-12345" */
    KZ_IOC_BTC,
    KZ_IOC_USER_AGENT,
    KZ_IOC_MUTEX,
    KZ_IOC_REGKEY,
    KZ_IOC_TEXT,
    KZ_IOC__COUNT
} kz_ioc_type;

const char *kz_ioc_type_name(kz_ioc_type t);
/* Accepts the native names and their MISP equivalents (ip-dst, ip-src, AS,
 * vulnerability, email-src, ...). Returns -1 if unknown. */
int kz_ioc_type_parse(const char *name);

/* Resolves a type name (native or MISP) against a value: MISP's ip-dst /
 * ip-src hold IPv4, IPv6 or a CIDR, "ip" likewise, filename|sha256 maps to
 * filename|hash, ip-dst|port to ip|port. Returns the concrete type, or -1 if
 * the name is unknown. The value is only looked at, not validated. */
int kz_ioc_type_resolve(const char *name, const char *value, size_t n);

/* Refangs, validates and normalises one value of type t into out (which is
 * reset first). On error, err names the problem with the value quoted, e.g.
 * "'300.1.2.3' is not an IPv4 address"; err->field is left for the caller. */
int kz_ioc_normalize(kz_ioc_type t, const char *in, size_t n, kz_buf *out, kz_err *err);

/* Guesses the type of a bare value (for search and text import): IPv4, IPv6,
 * CIDR, URL, e-mail, hashes by length, ip:port, CVE, ASN, domain; -1 if none. */
int kz_ioc_guess(const char *in, size_t n);

/* Undoes common defanging in place into out: hxxp -> http, [.] (.) {.} -> .,
 * [:] -> :, [@] [at] -> @, fxp -> ftp. */
void kz_ioc_refang(const char *in, size_t n, kz_buf *out);

/* ---- addresses, for range search and matching --------------------------- */

/* An address in 16 bytes; IPv4 is stored as ::ffff:a.b.c.d so one ordering
 * covers both families. */
typedef struct kz_ip {
    uint8_t b[16];
    bool v4;
} kz_ip;

/* Strict parse of canonical or non-canonical IPv4/IPv6 text (no refanging). */
int kz_ip_parse(const char *s, size_t n, kz_ip *out);
/* Parses "addr/len" (or a bare address, as a host network). prefix counts bits
 * of the 128-bit form (v4 /24 is 120). Host bits are cleared in net. */
int kz_cidr_parse(const char *s, size_t n, kz_ip *net, int *prefix128);
/* The last address of the network. */
void kz_cidr_last(const kz_ip *net, int prefix128, kz_ip *last);
/* Canonical text: dotted quad for v4, RFC 5952 for v6. out >= 46 bytes. */
void kz_ip_format(const kz_ip *ip, char *out);

/* ---- domains ------------------------------------------------------------ */

/* The registrable domain (eTLD+1, libpsl) of a normalised domain, into out;
 * returns false when there is none (a bare public suffix). */
bool kz_domain_registrable(const char *domain, char *out, size_t outlen);
/* Reverses labels ("a.evil.com" -> "com.evil.a") so that a domain and all its
 * subdomains are one prefix range in an ordered index. */
void kz_domain_reverse(const char *domain, char *out, size_t outlen);

/* The host part of a normalised URL, into out; false if none. */
bool kz_url_host(const char *url, char *out, size_t outlen);

#endif
