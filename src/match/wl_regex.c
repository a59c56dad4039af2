/* wl_regex.c — MISP writes warninglist regexes for PHP's preg_match
 * ("/^(abuse|noc)\@.*$/i"): PCRE with delimiters and flags. We run them with
 * POSIX regcomp, so each one is first translated to an extended regular
 * expression, and refused where PCRE syntax has no ERE equivalent or would
 * silently mean something else ("\d" is a digit to PCRE and a "d" to some
 * POSIX libraries; "(?:" and lazy quantifiers do not exist). A refused
 * expression is counted and left out rather than matched wrongly.
 */
#include "match_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RE 4096

static bool ere_special(char c)
{
    return strchr(".[]()*+?{}|^$\\", c) != NULL;
}

/* PCRE body -> ERE text; false when it uses syntax ERE does not have. */
static bool translate(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    bool in_bracket = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (o + 3 >= outlen)
            return false;
        if (in_bracket) {
            if (c == '\\') {
                if (i + 1 >= n)
                    return false;
                char x = s[++i];
                /* inside a POSIX bracket a backslash is literal: only plain
                 * punctuation can be carried over */
                if (isalnum((unsigned char)x) || strchr("]^-\\[", x))
                    return false;
                out[o++] = x;
                continue;
            }
            if (c == '[' && i + 1 < n && s[i + 1] == ':') { /* [:alpha:] as it is */
                const char *e = memmem(s + i + 2, n - i - 2, ":]", 2);
                if (!e || (size_t)(e + 2 - (s + i)) + o + 1 >= outlen)
                    return false;
                size_t len = (size_t)(e + 2 - (s + i));
                memcpy(out + o, s + i, len);
                o += len;
                i += len - 1;
                continue;
            }
            if (c == ']' && !(o > 0 && (out[o - 1] == '[' || (o > 1 && out[o - 1] == '^' &&
                                                              out[o - 2] == '['))))
                in_bracket = false;
            out[o++] = c;
            continue;
        }
        switch (c) {
        case '\\': {
            if (i + 1 >= n)
                return false;
            char x = s[++i];
            if (isalnum((unsigned char)x) || (unsigned char)x >= 0x80)
                return false; /* \d \w \s \b \1 ...: classes, anchors, references */
            if (ere_special(x))
                out[o++] = '\\';
            out[o++] = x;
            break;
        }
        case '(':
            if (i + 1 < n && s[i + 1] == '?')
                return false; /* (?: (?= (?i) ... */
            out[o++] = c;
            break;
        case '*':
        case '+':
        case '?':
        case '}':
            if (i + 1 < n && (s[i + 1] == '?' || s[i + 1] == '+'))
                return false; /* lazy or possessive quantifier */
            out[o++] = c;
            break;
        case '[':
            in_bracket = true;
            out[o++] = c;
            break;
        default:
            out[o++] = c;
            break;
        }
    }
    if (in_bracket)
        return false;
    out[o] = '\0';
    return true;
}

bool kz_mwl_regex_compile(const char *src, regex_t *out)
{
    size_t n = strnlen(src, MAX_RE + 1);
    if (n == 0 || n > MAX_RE)
        return false;
    const char *body = src;
    size_t bn = n;
    int flags = REG_EXTENDED | REG_NOSUB;
    if (src[0] == '/') {
        const char *end = strrchr(src, '/');
        if (end == src)
            return false;
        body = src + 1;
        bn = (size_t)(end - body);
        for (const char *f = end + 1; *f; f++) {
            if (*f == 'i')
                flags |= REG_ICASE;
            else if (*f == 'm')
                flags |= REG_NEWLINE;
            else if (*f != 'g' && *f != 'u')
                return false; /* s, x, U, ...: no POSIX counterpart */
        }
    }
    char ere[2 * MAX_RE + 8];
    if (!translate(body, bn, ere, sizeof ere))
        return false;
    return regcomp(out, ere, flags) == 0;
}
