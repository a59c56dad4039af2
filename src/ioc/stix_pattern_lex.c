/* stix_pattern_lex.c — the cursor under the STIX pattern parser: white space
 * as the spec defines it (every Unicode WSpace code point, not just ASCII),
 * words for keywords, string literals, and error messages that always carry
 * the byte offset and a printable excerpt of what stood there.
 */
#include "ioc_int.h"
#include "stix_pattern_int.h"

#include <stdio.h>
#include <string.h>

#define FOUND_MAX 24 /* bytes of a token quoted in a message */

int kz_stix__fail(kz_stix_parser *p, size_t off, const char *fmt, ...)
{
    if (!p->err)
        return KZ_E_VALUE;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return kz_fail(p->err, KZ_E_VALUE, "pattern", "at offset %zu: %s", off, msg);
}

/* Length of the white space character at s[0..n), 0 if none. The multi-byte
 * ones are U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 * U+205F and U+3000. */
static size_t ws_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x80 &&
        (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf) && s[2] >= 0x80)
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
        return 3;
    if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;
    return 0;
}

static size_t skip_ws_from(const kz_stix_parser *p, size_t pos)
{
    size_t l;
    while ((l = ws_len((const unsigned char *)p->s + pos, p->n - pos)) > 0)
        pos += l;
    return pos;
}

int kz_stix__peek(kz_stix_parser *p)
{
    p->pos = skip_ws_from(p, p->pos);
    return p->pos < p->n ? (unsigned char)p->s[p->pos] : 0;
}

size_t kz_stix__word_len(const kz_stix_parser *p, size_t pos)
{
    if (pos >= p->n || !kz_stix__ident_start((unsigned char)p->s[pos]))
        return 0;
    size_t i = pos + 1;
    while (i < p->n && kz_stix__ident_char((unsigned char)p->s[i]))
        i++;
    return i - pos;
}

bool kz_stix__at_word(kz_stix_parser *p, const char *kw)
{
    kz_stix__peek(p);
    size_t l = kz_stix__word_len(p, p->pos);
    return l == strlen(kw) && strncasecmp(p->s + p->pos, kw, l) == 0;
}

bool kz_stix__accept_word(kz_stix_parser *p, const char *kw)
{
    if (!kz_stix__at_word(p, kw))
        return false;
    p->pos += strlen(kw);
    return true;
}

size_t kz_stix__utf8_bad(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t len;
        unsigned cp, min;
        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return n;
}

/* Bytes of the (already validated) UTF-8 character at pos. */
static size_t char_len(const kz_stix_parser *p, size_t pos)
{
    unsigned char c = (unsigned char)p->s[pos];
    size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    return pos + len <= p->n ? len : p->n - pos;
}

/* The extent of the token at pos, for quoting it: a word, a quoted string,
 * a two-character operator or one character. */
static size_t token_len(const kz_stix_parser *p, size_t pos)
{
    const char *s = p->s + pos;
    size_t n = p->n - pos;
    size_t w = kz_stix__word_len(p, pos);
    if (w > 0)
        return w;
    if (s[0] == '\'') {
        size_t i = 1;
        while (i < n && s[i] != '\'')
            i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
        return i < n ? i + 1 : n;
    }
    if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.') {
        size_t i = 1;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            i++;
        return i;
    }
    if (n >= 2 && (!strncmp(s, "!=", 2) || !strncmp(s, "<=", 2) || !strncmp(s, ">=", 2) ||
                   !strncmp(s, "==", 2) || !strncmp(s, "<>", 2)))
        return 2;
    return char_len(p, pos);
}

const char *kz_stix__found(kz_stix_parser *p, size_t off)
{
    off = skip_ws_from(p, off);
    if (off >= p->n)
        return "end of pattern";
    size_t start = off;
    /* a b'/h'/t' literal is quoted with its prefix */
    bool prefixed = off + 1 < p->n && p->s[off + 1] == '\'' && strchr("bht", p->s[off]) &&
                    kz_stix__word_len(p, off) == 1;
    size_t len = prefixed ? 1 + token_len(p, off + 1) : token_len(p, off);
    char q[80];
    kz_ioc__quote(p->s + start, len > FOUND_MAX ? FOUND_MAX : len, q, sizeof q);
    /* A quoted literal shows its own quotes. */
    const char *mark = (prefixed || p->s[start] == '\'') ? "" : "'";
    snprintf(p->found, sizeof p->found, "%s%s%s%s", mark, q, len > FOUND_MAX ? "..." : "", mark);
    return p->found;
}

int kz_stix__expected(kz_stix_parser *p, size_t off, const char *what)
{
    return kz_stix__fail(p, off, "expected %s, found %s", what, kz_stix__found(p, off));
}

int kz_stix__scan_string(kz_stix_parser *p, const char **out, size_t *outn)
{
    size_t open = p->pos, i = p->pos + 1;
    size_t len = 0;
    /* First pass: find the end and the decoded length. */
    for (;;) {
        if (i >= p->n)
            return kz_stix__fail(p, open, "unterminated string literal (no closing ')");
        char c = p->s[i];
        if (c == '\'')
            break;
        if (c == '\\') {
            if (i + 1 >= p->n)
                return kz_stix__fail(p, open, "unterminated string literal (no closing ')");
            if (p->s[i + 1] != '\'' && p->s[i + 1] != '\\') {
                char q[80];
                kz_ioc__quote(p->s + i, 1 + char_len(p, i + 1), q, sizeof q);
                return kz_stix__fail(p, i,
                                     "invalid escape '%s' in string literal (only \\' and \\\\ "
                                     "are allowed; write a backslash as \\\\)",
                                     q);
            }
            i += 2;
        } else {
            i++;
        }
        len++;
    }
    char *d = kz_arena_alloc(p->a, len + 1);
    if (!d)
        return kz_fail(p->err, KZ_E_NOMEM, "pattern", "out of memory");
    size_t o = 0;
    for (size_t k = open + 1; k < i; k++) {
        if (p->s[k] == '\\')
            k++;
        d[o++] = p->s[k];
    }
    d[o] = '\0';
    *out = d;
    *outn = o;
    p->pos = i + 1;
    return KZ_OK;
}
