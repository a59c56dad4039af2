/* ioc_int.h — what the files of src/ioc share and nobody else may use.
 *
 * Every per-type normaliser works on a value that is already trimmed, bounded
 * and valid UTF-8, appends its canonical text to a kz_buf, and reports errors
 * through one helper so that every message quotes the value the same way.
 */
#ifndef KZ_IOC_INT_H
#define KZ_IOC_INT_H

#include "ioc.h"

#define KZ_IOC_MAX 8192 /* bytes of one value, after trimming */

/* The value as the user gave it (trimmed, before refanging), for messages. */
typedef struct kz_ioc_ctx {
    kz_ioc_type type;
    const char *orig;
    size_t orig_n;
    kz_err *err;
} kz_ioc_ctx;

/* Fills err with "'<quoted value>' <fmt...>" and returns KZ_E_VALUE. */
int kz_ioc__fail(const kz_ioc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "an IPv4 address", "a domain name", ...: the type with its article. */
const char *kz_ioc__what(kz_ioc_type t);
/* Copies at most ~64 bytes of s into out (outlen >= 80), cut on a character
 * boundary, control bytes and broken UTF-8 shown as '?', "..." if cut. */
void kz_ioc__quote(const char *s, size_t n, char *out, size_t outlen);

/* Refangs into out, which must hold n bytes (refanging never grows a value);
 * returns the new length. */
size_t kz_ioc__refang(const char *in, size_t n, char *out);
/* False when kz_ioc__refang would return the value unchanged. */
bool kz_ioc__defanged(const char *in, size_t n);

/* Removes surrounding ASCII white space, NBSP, ZWSP and BOM. */
void kz_ioc__trim(const char **s, size_t *n);

/* ---- IP ---- */
/* Appends the canonical text of an IPv4 or IPv6 address; -1 if s is neither.
 * *v4 (if not NULL) tells which it was. */
int kz_ioc__ip_append(const char *s, size_t n, kz_buf *out, bool *v4);
/* Appends sep (unless '\0') and v in decimal, without printf. */
int kz_ioc__append_uint(kz_buf *out, char sep, uint64_t v);
/* Whether s was rejected as IPv4 only because a part has a leading zero. */
bool kz_ioc__ip4_leading_zero(const char *s, size_t n);
/* Port text to number: digits only, at most 5, within lo..65535; -1 if not. */
long kz_ioc__port(const char *s, size_t n, long lo);

/* ---- domains ---- */
enum {
    KZ_IOC_DOM_PSL = 1,        /* reject a bare ICANN public suffix */
    KZ_IOC_DOM_ONE_LABEL = 2,  /* allow a single label ("localhost") */
};
enum { KZ_IOC_DOM_OK = 0, KZ_IOC_DOM_BAD = 1, KZ_IOC_DOM_SUFFIX = 2 };
#define KZ_IOC_WHY 192
/* Appends the normalised domain to out. Returns KZ_IOC_DOM_OK, or BAD with
 * why (KZ_IOC_WHY bytes) set to a phrase completing "it ..." or "its host
 * ...", or SUFFIX when the name is itself a public suffix. out is left as it
 * was on failure. */
int kz_ioc__domain_append(const char *s, size_t n, unsigned flags, kz_buf *out, char *why);
/* True when s looks like an attempt at an IPv4 address: digits and dots only. */
bool kz_ioc__digits_dots(const char *s, size_t n);

/* ---- per-type normalisers: s is trimmed, refanged where it applies ---- */
int kz_ioc__norm_ip(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_cidr(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_domain(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_url(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_email(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_hash(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_filename_hash(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_ip_port(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_domain_ip(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_asn(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_cve(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_btc(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);
int kz_ioc__norm_text(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out);

/* Hex digits only, and how many; used by hashes and guessing. */
bool kz_ioc__all_hex(const char *s, size_t n);

static inline char kz_ioc__lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
}
static inline bool kz_ioc__isdigit(char ch)
{
    return ch >= '0' && ch <= '9';
}
static inline bool kz_ioc__isalpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

#endif
