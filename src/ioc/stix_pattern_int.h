/* stix_pattern_int.h — what the stix_pattern*.c files share and nobody else
 * may use: the parser's cursor and the scanners for tokens and literals.
 *
 * STIX patterning has no separate lexer here: a word is a keyword or a
 * property name depending on where it stands (network-traffic:start is a
 * property, START a qualifier), so the grammar asks for the token it expects.
 */
#ifndef KZ_STIX_PATTERN_INT_H
#define KZ_STIX_PATTERN_INT_H

#include "ioc.h"

#define KZ_STIX_IDENT_MAX 250 /* bytes of an object type or unquoted property name */

typedef struct kz_stix_parser {
    const char *s;
    size_t n;
    size_t pos;
    kz_arena *a;
    kz_err *err;
    int depth; /* open brackets and parentheses */
    char found[96];
} kz_stix_parser;

/* Fills err with "at offset <off>: <message>" (field "pattern") and returns
 * KZ_E_VALUE. */
int kz_stix__fail(kz_stix_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A short, safe rendering of the token at off (after white space) for
 * "found ..." in messages: "'AND'", "']'", or "end of pattern". Points into
 * p->found. */
const char *kz_stix__found(kz_stix_parser *p, size_t off);
/* "at offset <off>: expected <what>, found <token at off>". */
int kz_stix__expected(kz_stix_parser *p, size_t off, const char *what);
/* Offset of the first byte that breaks UTF-8 (or is NUL), or n. */
size_t kz_stix__utf8_bad(const char *s, size_t n);

/* Skips Unicode white space (WSpace=Y), returns the next byte or 0 at end. */
int kz_stix__peek(kz_stix_parser *p);
/* Length of the word [A-Za-z_][A-Za-z0-9_]* at pos (no skipping), 0 if none. */
size_t kz_stix__word_len(const kz_stix_parser *p, size_t pos);
/* After white space, is the next word kw (ASCII case-insensitive)? */
bool kz_stix__at_word(kz_stix_parser *p, const char *kw);
/* Consumes kw if it is the next word. */
bool kz_stix__accept_word(kz_stix_parser *p, const char *kw);

static inline bool kz_stix__ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static inline bool kz_stix__ident_char(int c)
{
    return kz_stix__ident_start(c) || (c >= '0' && c <= '9');
}

/* Scans '...' at pos into a decoded, NUL-terminated arena string. */
int kz_stix__scan_string(kz_stix_parser *p, const char **out, size_t *outn);
/* Scans any literal at pos (after white space): string, number, boolean,
 * b'', h'', t''. Not sets. */
int kz_stix__scan_literal(kz_stix_parser *p, kz_stix_lit *out);
/* Scans [+-]digits[.digits] at pos into an INT or FLOAT literal. */
int kz_stix__scan_number(kz_stix_parser *p, kz_stix_lit *out);
/* Scans t'...' at pos. */
int kz_stix__scan_timestamp(kz_stix_parser *p, kz_stix_lit *out);

#endif
