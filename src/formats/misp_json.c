/* misp_json.c — kz_json_load for MISP documents, without jansson's reader.
 *
 * jansson reads one character at a time through its stream and UTF-8
 * layers: for very_long_event.json, once its attachments are cut out
 * (misp_load.c), reading the 47 KB left was a third of the import.
 * stix_json.c has a tight reader that builds the same jansson tree (same
 * values, same key order) and gives up (NULL) on anything jansson might
 * judge differently: a duplicate key, \u0000, a lone surrogate, invalid
 * UTF-8, nesting deeper than kz_json_load allows, an integer beyond 64
 * bits, a real out of range, anything unexpected after a value. What it
 * does not check is the spelling of numbers: it hands every run of
 * [-+.0-9eE] to strtoll / strtod, which also take "+1", "01", ".5" and
 * "1.", none of them JSON. So here one pass over the text, outside strings,
 * checks each such run against JSON's number grammar first; only then is
 * the quick reader used, within the same memory budget as kz_json_load.
 * Whenever either says no, the text goes through kz_json_load unchanged,
 * so a refused document is refused with kz_json_load's verdict and message.
 */
#include "misp_int.h"

#include <string.h>

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
bool kz_misp_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

bool kz_misp_json_number_byte(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Is every number of p spelled as JSON spells numbers? Strings are
 * skipped whole (an unterminated one: no); the letters of true, false and
 * null are skipped as words, so their 'e' is not taken for an exponent. */
bool kz_misp_json_numbers_plain(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            size_t start = ++i;
            for (;;) {
                const char *q = i < n ? memchr(p + i, '"', n - i) : NULL;
                if (!q)
                    return false;
                size_t end = (size_t)(q - p), bs = 0;
                while (end - bs > start && p[end - 1 - bs] == '\\')
                    bs++;
                i = end + 1;
                if (bs % 2 == 0)
                    break;
            }
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
                i++;
            continue;
        }
        if (kz_misp_json_number_byte(c)) {
            size_t s = i;
            while (i < n && kz_misp_json_number_byte(p[i]))
                i++;
            if (!kz_misp_json_number(p + s, i - s))
                return false;
            continue;
        }
        i++;
    }
    return true;
}

int kz_misp_json_read(const char *p, size_t n, bool numbers_plain, json_t **out, kz_err *err)
{
    *out = NULL;
    if (numbers_plain && n && n <= KZ_MAX_JSON_BYTES && p[0] == '{') {
        kz_json_budget_begin(n);
        json_t *j = kz__stix_json_read(p, n);
        if (kz_json_budget_end()) {
            json_decref(j);
            j = NULL;
        }
        if (j) {
            *out = j;
            return 0;
        }
    }
    return kz_json_load(p, n, out, err);
}

int kz_misp_json_load(const char *p, size_t n, json_t **out, kz_err *err)
{
    return kz_misp_json_read(p, n, kz_misp_json_numbers_plain(p, n), out, err);
}
