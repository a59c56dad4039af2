/* logfmt_text.c — free text (reports, mail bodies, syslog lines): every
 * token that could be an indicator is refanged (hxxp://evil[.]com) and
 * looked up by its guessed type. Tokens end at blanks, quotes, angle
 * brackets, commas, semicolons and pipes; "key=value" yields the value;
 * brackets and sentence punctuation around a token are dropped, while the
 * bracketed dots and at-signs inside it are undone by refanging.
 */
#include "sweep_int.h"

#include <string.h>

static bool delim(unsigned char c)
{
    switch (c) {
    case ' ': case '\t': case '\r': case '\v': case '\f':
    case '"': case '\'': case '<': case '>': case ',': case ';': case '|': case '`':
        return true;
    default:
        return false;
    }
}

static bool lead_junk(char c)
{
    return c == '(' || c == '[' || c == '{' || c == '*';
}

static bool trail_junk(char c)
{
    return c == ')' || c == ']' || c == '}' || c == '.' || c == ':' || c == '!' || c == '?' ||
           c == '*';
}

static bool needs_refang(const char *s, size_t n)
{
    if (n >= 3 && (strncasecmp(s, "hxx", 3) == 0 || strncasecmp(s, "fxp", 3) == 0))
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '[' || s[i] == '(' || s[i] == '{')
            return true;
    return false;
}

static void token(kz_sw_worker *w, const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    if (eq) {
        const char *sch = memmem(s, n, "://", 3);
        if (!sch || eq < sch) { /* key=value */
            n -= (size_t)(eq + 1 - s);
            s = eq + 1;
        }
    }
    /* brackets around the token, but not a defanged dot at its edge */
    while (n && lead_junk(s[0]) && !(n >= 3 && s[0] == '[' && s[1] == '.' && s[2] == ']')) {
        s++;
        n--;
    }
    while (n && trail_junk(s[n - 1]) &&
           !(n >= 3 && s[n - 1] == ']' && (s[n - 2] == '.' || s[n - 2] == '@') && s[n - 3] == '['))
        n--;
    if (n < 3)
        return;
    if (needs_refang(s, n)) {
        kz_ioc_refang(s, n, &w->tmp);
        if (w->tmp.len == 0)
            return;
        /* refanging may leave brackets that were not defanging at the edges */
        const char *r = w->tmp.p;
        size_t rn = w->tmp.len;
        while (rn && (r[rn - 1] == ')' || r[rn - 1] == ']' || r[rn - 1] == '}' || r[rn - 1] == '.'))
            rn--;
        kz_sw_value(w, KZ_SWF_AUTO, "text", 4, r, rn);
        return;
    }
    kz_sw_value(w, KZ_SWF_AUTO, "text", 4, s, n);
}

void kz_sw_text_line(kz_sw_worker *w, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && delim((unsigned char)p[i]))
            i++;
        size_t st = i;
        while (i < n && !delim((unsigned char)p[i]))
            i++;
        if (i > st)
            token(w, p + st, i - st);
    }
}
