/* stix_pattern_lit.c — the constants of STIX patterning (spec 9.2): strings,
 * integers, floats, booleans, b'base64', h'hex' and t'timestamp'. Each is
 * checked as the spec defines it (an invalid constant makes the whole pattern
 * invalid), and decoded once here so that the printer and the matcher never
 * look at the source text again.
 */
#include "stix_pattern_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int nomem(kz_stix_parser *p)
{
    return kz_fail(p->err, KZ_E_NOMEM, "pattern", "out of memory");
}

int kz_stix__scan_number(kz_stix_parser *p, kz_stix_lit *out)
{
    const char *s = p->s;
    size_t off = p->pos, i = off;
    bool neg = false;
    if (i < p->n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    size_t ds = i;
    while (i < p->n && is_digit(s[i]))
        i++;
    size_t nint = i - ds;
    memset(out, 0, sizeof *out);
    if (i < p->n && s[i] == '.') {
        size_t fs = ++i;
        while (i < p->n && is_digit(s[i]))
            i++;
        if (i == fs)
            return kz_stix__fail(p, off, "invalid number %s: a digit must follow '.'",
                                 kz_stix__found(p, off));
        /* The text as written, minus a '+', is both the canonical form and
         * what strtod reads. */
        size_t from = (s[off] == '+') ? off + 1 : off;
        char *t = kz_arena_strndup(p->a, s + from, i - from);
        if (!t)
            return nomem(p);
        double f = strtod(t, NULL);
        if (!isfinite(f))
            return kz_stix__fail(p, off, "number %s is out of range", kz_stix__found(p, off));
        out->kind = KZ_STIX_LIT_FLOAT;
        out->f = f;
        out->s = t;
        out->n = i - from;
        p->pos = i;
        return KZ_OK;
    }
    if (nint == 0)
        return kz_stix__expected(p, off, "a number");
    if (nint > 1 && s[ds] == '0')
        return kz_stix__fail(p, off, "invalid integer %s: leading zeros are not allowed",
                             kz_stix__found(p, off));
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t k = ds; k < i; k++) {
        unsigned d = (unsigned)(s[k] - '0');
        if (v > (lim - d) / 10)
            return kz_stix__fail(p, off, "integer %s is out of range", kz_stix__found(p, off));
        v = v * 10 + d;
    }
    out->kind = KZ_STIX_LIT_INT;
    out->i = neg ? (int64_t)(0 - v) : (int64_t)v;
    out->s = "";
    p->pos = i;
    return KZ_OK;
}

/* Finds the closing quote of a prefixed literal (x'...'); its content is
 * s[*b..*e). No escapes exist inside b'', h'' or t''. */
static int quoted_body(kz_stix_parser *p, const char *what, size_t *b, size_t *e)
{
    size_t off = p->pos;
    const char *q = memchr(p->s + off + 2, '\'', p->n - off - 2);
    if (!q)
        return kz_stix__fail(p, off, "unterminated %s literal (no closing ')", what);
    *b = off + 2;
    *e = (size_t)(q - p->s);
    return KZ_OK;
}

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int scan_binary(kz_stix_parser *p, kz_stix_lit *out)
{
    size_t off = p->pos, b = 0, e = 0; /* set by quoted_body; -O3 cannot tell */
    int rc = quoted_body(p, "binary", &b, &e);
    if (rc < 0)
        return rc;
    /* Line feeds inside the base64 are allowed and ignored (spec 9.2). */
    char *t = kz_arena_alloc(p->a, e - b + 1);
    if (!t)
        return nomem(p);
    size_t n = 0, pad = 0;
    for (size_t i = b; i < e; i++) {
        char c = p->s[i];
        if (c == '\n' || c == '\r')
            continue;
        if (c == '=')
            pad++;
        else if (b64_val((unsigned char)c) < 0 || pad > 0)
            goto bad;
        t[n++] = c;
    }
    if (n % 4 != 0 || pad > 2)
        goto bad;
    uint8_t *bytes = kz_arena_alloc(p->a, n / 4 * 3 + 1);
    if (!bytes)
        return nomem(p);
    size_t nb = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++)
            v = (v << 6) | (uint32_t)(t[i + k] == '=' ? 0 : b64_val((unsigned char)t[i + k]));
        bytes[nb++] = (uint8_t)(v >> 16);
        if (t[i + 2] != '=')
            bytes[nb++] = (uint8_t)(v >> 8);
        if (t[i + 3] != '=')
            bytes[nb++] = (uint8_t)v;
    }
    memset(out, 0, sizeof *out);
    out->kind = KZ_STIX_LIT_BINARY;
    out->s = t;
    out->n = n;
    out->bytes = bytes;
    out->nbytes = nb;
    p->pos = e + 1;
    return KZ_OK;
bad:
    return kz_stix__fail(p, off, "invalid binary literal %s (expected base64, e.g. b'ABI=')",
                         kz_stix__found(p, off));
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int scan_hex(kz_stix_parser *p, kz_stix_lit *out)
{
    size_t off = p->pos, b = 0, e = 0; /* set by quoted_body; -O3 cannot tell */
    int rc = quoted_body(p, "hex", &b, &e);
    if (rc < 0)
        return rc;
    size_t n = e - b;
    if (n % 2 != 0)
        goto bad;
    char *t = kz_arena_alloc(p->a, n + 1);
    uint8_t *bytes = kz_arena_alloc(p->a, n / 2 + 1);
    if (!t || !bytes)
        return nomem(p);
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_val((unsigned char)p->s[b + i]), lo = hex_val((unsigned char)p->s[b + i + 1]);
        if (hi < 0 || lo < 0)
            goto bad;
        bytes[i / 2] = (uint8_t)(hi << 4 | lo);
        t[i] = "0123456789abcdef"[hi];
        t[i + 1] = "0123456789abcdef"[lo];
    }
    memset(out, 0, sizeof *out);
    out->kind = KZ_STIX_LIT_HEX;
    out->s = t;
    out->n = n;
    out->bytes = bytes;
    out->nbytes = n / 2;
    p->pos = e + 1;
    return KZ_OK;
bad:
    return kz_stix__fail(p, off,
                         "invalid hex literal %s (expected an even number of hex digits, "
                         "e.g. h'ffc3')",
                         kz_stix__found(p, off));
}

/* YYYY-MM-DDTHH:MM:SS[.s+]Z: the STIX timestamp (spec 2.16), UTC only. */
static bool timestamp_shape(const char *s, size_t n)
{
    static const char tmpl[] = "dddd-dd-ddTdd:dd:dd";
    if (n < sizeof tmpl) /* the template plus 'Z' */
        return false;
    for (size_t i = 0; i < sizeof tmpl - 1; i++)
        if (tmpl[i] == 'd' ? !is_digit(s[i]) : s[i] != tmpl[i])
            return false;
    size_t i = sizeof tmpl - 1;
    if (s[i] == '.') {
        size_t fs = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == fs)
            return false;
    }
    return i + 1 == n && s[i] == 'Z';
}

int kz_stix__scan_timestamp(kz_stix_parser *p, kz_stix_lit *out)
{
    size_t off = p->pos, b = 0, e = 0; /* set by quoted_body; -O3 cannot tell */
    int rc = quoted_body(p, "timestamp", &b, &e);
    if (rc < 0)
        return rc;
    char *t = kz_arena_strndup(p->a, p->s + b, e - b);
    if (!t)
        return nomem(p);
    kz_time tv = 0;
    if (!timestamp_shape(t, e - b) || kz_time_parse(t, &tv, NULL) < 0)
        return kz_stix__fail(p, off,
                             "invalid timestamp %s (expected t'YYYY-MM-DDTHH:MM:SS[.s]Z', a real "
                             "date and time in UTC)",
                             kz_stix__found(p, off));
    memset(out, 0, sizeof *out);
    out->kind = KZ_STIX_LIT_TIMESTAMP;
    out->s = t;
    out->n = e - b;
    out->t = tv;
    p->pos = e + 1;
    return KZ_OK;
}

int kz_stix__scan_literal(kz_stix_parser *p, kz_stix_lit *out)
{
    int c = kz_stix__peek(p);
    size_t off = p->pos;
    bool prefixed = off + 1 < p->n && p->s[off + 1] == '\'';
    if (c == '\'') {
        memset(out, 0, sizeof *out);
        out->kind = KZ_STIX_LIT_STRING;
        return kz_stix__scan_string(p, &out->s, &out->n);
    }
    if (c == 'b' && prefixed)
        return scan_binary(p, out);
    if (c == 'h' && prefixed)
        return scan_hex(p, out);
    if (c == 't' && prefixed)
        return kz_stix__scan_timestamp(p, out);
    if (is_digit(c) || c == '+' || c == '-' || c == '.')
        return kz_stix__scan_number(p, out);
    bool t = kz_stix__accept_word(p, "true");
    if (t || kz_stix__accept_word(p, "false")) {
        memset(out, 0, sizeof *out);
        out->kind = KZ_STIX_LIT_BOOL;
        out->b = t;
        out->s = "";
        return KZ_OK;
    }
    return kz_stix__expected(p, off, "a constant ('string', number, true, false, b'...', h'...' "
                                     "or t'...')");
}
