/* refang.c — undo the defanging analysts apply so that an indicator pasted
 * from a report cannot be clicked: hxxp://evil[.]com, user[@]example(.)org.
 *
 * Only the bracketed forms are undone ("[dot]" yes, a bare " dot " no): a
 * bracket around a dot or an at sign never occurs in a real host name, so the
 * rewrite cannot change a value that was not defanged. Every rewrite shrinks
 * or keeps the length, so the output fits in the input's size.
 */
#include "ioc_int.h"

#include <string.h>

static bool ieq(const char *a, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (kz_ioc__lower(a[i]) != lit[i])
            return false;
    return true;
}

/* Defanged schemes, longest first; only at the start of the value and only
 * when a colon (or a bracketed one) follows, so a host called "hxxp.net" stays. */
static const struct {
    const char *from, *to;
} schemes[] = {
    {"hxxps", "https"}, {"hxxp", "http"}, {"fxps", "ftps"}, {"fxp", "ftp"},
};

#define MAX_TOKEN 5 /* bytes of the longest bracketed token, "[dot]" */

/* One bracketed token at in[0..n): its length and replacement, or 0. */
static size_t bracket(const char *in, size_t n, const char **rep)
{
    char close;
    switch (in[0]) {
    case '[': close = ']'; break;
    case '(': close = ')'; break;
    case '{': close = '}'; break;
    default: return 0;
    }
    static const struct {
        const char *inner, *rep;
        bool square_only;
    } toks[] = {
        {".", ".", false}, {"dot", ".", false}, {"@", "@", false}, {"at", "@", false},
        {":", ":", true},  {"://", "://", true}, {"/", "/", true},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(toks); i++) {
        size_t k = strlen(toks[i].inner);
        if (toks[i].square_only && close != ']')
            continue;
        if (n >= k + 2 && in[k + 1] == close && ieq(in + 1, toks[i].inner, k)) {
            *rep = toks[i].rep;
            return k + 2;
        }
    }
    return 0;
}

/* Whether refanging could change the value: most values have no bracket
 * and no defanged scheme, and skip the copy. */
bool kz_ioc__defanged(const char *in, size_t n)
{
    if (n >= 3 && (ieq(in, "hxx", 3) || ieq(in, "fxp", 3)))
        return true;
    for (size_t i = 0; i < n; i++)
        if (in[i] == '[' || in[i] == '(' || in[i] == '{')
            return true;
    return false;
}

size_t kz_ioc__refang(const char *in, size_t n, char *out)
{
    size_t i = 0, o = 0;
    for (size_t s = 0; s < KZ_ARRAY_LEN(schemes); s++) {
        size_t k = strlen(schemes[s].from);
        if (n > k && (in[k] == ':' || in[k] == '[') && ieq(in, schemes[s].from, k)) {
            memcpy(out, schemes[s].to, k);
            i = o = k;
            break;
        }
    }
    /* Tokens are matched on the output as each closes, not on the input, so
     * that one undone inside another is seen too ("[[.]]" -> "[.]" -> "."):
     * a second refang (normalising a normalised value) then changes
     * nothing. A replacement holds no closing bracket, so it never closes a
     * token itself, and the output never outgrows the input read so far. */
    while (i < n) {
        char ch = out[o++] = in[i++];
        if (ch != ']' && ch != ')' && ch != '}')
            continue;
        size_t lo = o > MAX_TOKEN ? o - MAX_TOKEN : 0;
        for (size_t j = o - 1; j-- > lo;) {
            if (out[j] != '[' && out[j] != '(' && out[j] != '{')
                continue;
            const char *rep = NULL;
            if (bracket(out + j, o - j, &rep) == o - j) {
                size_t r = strlen(rep);
                memcpy(out + j, rep, r);
                o = j + r;
            }
            break;
        }
    }
    return o;
}

void kz_ioc_refang(const char *in, size_t n, kz_buf *out)
{
    kz_buf_reset(out);
    if (!in || n == 0 || kz_buf_reserve(out, n) < 0)
        return;
    out->len = kz_ioc__refang(in, n, out->p);
    out->p[out->len] = '\0';
}
