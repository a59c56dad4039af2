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

/* ---- STIX patterns ------------------------------------------------------ */

/* STIX 2.1 patterning (spec section 9): parse a pattern into an arena-owned
 * tree, print it back in one canonical form, and pull out the plain
 * indicators ("[ipv4-addr:value = '1.2.3.4' OR ...]") that the match index
 * can hold. Patterns come from other organisations' feeds: length and nesting
 * are bounded, and every error names the byte offset where parsing stopped. */

#define KZ_STIX_PATTERN_MAX 65536 /* bytes of one pattern */
#define KZ_STIX_PATTERN_DEPTH 64  /* nested brackets and parentheses */

typedef enum {
    KZ_STIX_LIT_STRING,    /* s: the decoded text (no escapes left), no NUL inside */
    KZ_STIX_LIT_INT,       /* i */
    KZ_STIX_LIT_FLOAT,     /* f; s: the digits as written, without a leading '+' */
    KZ_STIX_LIT_BOOL,      /* b */
    KZ_STIX_LIT_BINARY,    /* b'...': s: the base64 without line feeds; bytes decoded */
    KZ_STIX_LIT_HEX,       /* h'...': s: lower-case hex; bytes decoded */
    KZ_STIX_LIT_TIMESTAMP, /* t'...': s: the RFC 3339 text as written; t */
} kz_stix_lit_kind;

typedef struct kz_stix_lit {
    kz_stix_lit_kind kind;
    const char *s; /* NUL-terminated, arena-owned; "" for INT and BOOL */
    size_t n;      /* strlen(s) */
    int64_t i;
    double f;
    bool b;
    kz_time t;
    const uint8_t *bytes; /* BINARY and HEX */
    size_t nbytes;
} kz_stix_lit;

typedef enum {
    KZ_STIX_STEP_KEY,   /* .name or .'quoted-name' (key holds the decoded name) */
    KZ_STIX_STEP_INDEX, /* [n] (n may be negative: it then never matches) */
    KZ_STIX_STEP_ANY,   /* [*] */
} kz_stix_step_kind;

typedef struct kz_stix_step {
    kz_stix_step_kind kind;
    const char *key;
    int64_t index;
} kz_stix_step;

/* "file:hashes.'SHA-256'" is type "file", steps {KEY hashes, KEY SHA-256}.
 * steps[0] is always a KEY: the property on the object. */
typedef struct kz_stix_path {
    const char *type;
    const kz_stix_step *steps;
    size_t nsteps;
} kz_stix_path;

typedef enum {
    KZ_STIX_EQ, /* = (also ==) */
    KZ_STIX_NE, /* != (also <>) */
    KZ_STIX_GT,
    KZ_STIX_LT,
    KZ_STIX_GE,
    KZ_STIX_LE,
    KZ_STIX_IN,
    KZ_STIX_LIKE,
    KZ_STIX_MATCHES,
    KZ_STIX_ISSUBSET,
    KZ_STIX_ISSUPERSET,
    KZ_STIX_EXISTS,
} kz_stix_op;

typedef enum {
    KZ_STIX_N_OBSERVATION, /* [ ... ]: kids[0] is the comparison tree */
    KZ_STIX_N_OBS_AND,     /* observation operators: nkids >= 2, left to right */
    KZ_STIX_N_OBS_OR,
    KZ_STIX_N_FOLLOWEDBY,
    KZ_STIX_N_WITHIN,      /* qualifiers on kids[0]: q1 INT or FLOAT seconds (> 0) */
    KZ_STIX_N_REPEATS,     /* q1 INT times (> 0) */
    KZ_STIX_N_STARTSTOP,   /* q1 START, q2 STOP, both TIMESTAMP */
    KZ_STIX_N_AND,         /* comparison boolean operators: nkids >= 2 */
    KZ_STIX_N_OR,
    KZ_STIX_N_COMPARISON,  /* path [NOT] op lits */
} kz_stix_node_kind;

/* One node of the tree. AND and OR are flattened (a AND (b AND c) is one AND
 * of three, as the operators are associative); FOLLOWEDBY keeps a right-hand
 * parenthesised FOLLOWEDBY as a nested node. Parentheses leave no node. */
typedef struct kz_stix_node {
    kz_stix_node_kind kind;
    size_t off; /* byte offset in the source, for messages */
    struct kz_stix_node **kids;
    size_t nkids;
    kz_stix_lit q1, q2;     /* qualifiers */
    kz_stix_path path;      /* COMPARISON */
    kz_stix_op op;
    bool negated;           /* NOT before the operator */
    const kz_stix_lit *lits; /* 1, or the set of IN (0 or more, one kind), 0 for EXISTS */
    size_t nlits;
} kz_stix_node;

typedef struct kz_stix_pattern {
    const kz_stix_node *root;
} kz_stix_pattern;

/* Parses s[0..n) (UTF-8, no NUL) into a tree allocated in a. Keywords are
 * case-insensitive. On bad input returns KZ_E_VALUE with err->field "pattern"
 * and a message "at offset 17: expected ']', found 'AND'". */
int kz_stix_pattern_parse(const char *s, size_t n, kz_arena *a, kz_stix_pattern **out, kz_err *err);

/* Appends the canonical text: keywords upper case, booleans lower case, one
 * space around operators and none inside brackets, strings re-escaped, keys
 * quoted only when they are not plain identifiers (hashes.MD5,
 * hashes.'SHA-256'), integers without '+', hex in lower case, parentheses
 * only where precedence needs them. print(parse(print(parse(x)))) equals
 * print(parse(x)). */
int kz_stix_pattern_print(const kz_stix_pattern *p, kz_buf *out);
/* Appends "type:key.key[0].'quoted-key'". */
int kz_stix_path_print(const kz_stix_path *path, kz_buf *out);

/* One plain indicator found in a pattern. value is the string literal as
 * written (escapes decoded), not normalised: run kz_ioc_normalize on it. */
typedef struct kz_stix_simple {
    kz_ioc_type type;
    const char *value;
    size_t off; /* of its comparison in the pattern */
} kz_stix_simple;

/* For a pattern that is one observation expression without qualifiers whose
 * comparisons are only '=' (without NOT) against string literals, joined by
 * AND / OR, on the paths ipv4-addr:value, ipv6-addr:value (a value with '/'
 * is a CIDR), domain-name:value, url:value, email-addr:value, file:name,
 * file:hashes.<MD5|SHA-1|SHA-256|SHA-512> (any case, quoted or not, with or
 * without '-'), network-traffic:dst_ref.value (IPv4, IPv6 or CIDR by its
 * text): fills items (arena-owned, in pattern order), n, and any_of (true
 * when no AND joins them: each item alone is an indicator). Otherwise returns
 * KZ_E_VALUE with err (may be NULL) saying which part is not simple. */
int kz_stix_pattern_simple(const kz_stix_pattern *p, kz_arena *a, kz_stix_simple **items, size_t *n,
                           bool *any_of, kz_err *err);

#endif
