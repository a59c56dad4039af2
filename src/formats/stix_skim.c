/* stix_skim.c — the four top-level properties of an object (type, id,
 * created, modified) read straight from its bytes, without building a tree.
 *
 * An import has to know every object's id and version before it can decide
 * anything (duplicates, which event a version belongs to, which report
 * claims what), but the full parse and validation of a million objects is
 * the slow half of the work. Skimming first lets the importer plan at once
 * and then store each object as soon as its full read is done, while the
 * next ones are still being read. The span was already checked as JSON by
 * the scanner; anything unusual (escapes, a repeated key, a value of the
 * wrong kind) makes the skim give up and the object is read in full at
 * once instead. The full read later checks that it saw the same values
 * (and refuses repeated keys, which the skim stops looking for once it
 * has all four).
 */
#include "stix_int.h"

#include <string.h>

static size_t ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* At '"': the end of the string (after the closing quote), or 0 when it has
 * an escape (skim gives up) or runs past the span. */
static size_t plain_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '"')
            return i + 1;
        if (p[i] == '\\')
            return 0;
    }
    return 0;
}

/* Past any value (already known to be valid JSON), or 0 past the span. */
static size_t skip_value(const char *p, size_t n, size_t i)
{
    int depth = 0;
    bool in_str = false;
    for (; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"') {
                in_str = false;
                if (depth == 0)
                    return i + 1;
            }
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; /* the end of a scalar that closes its container */
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            return i;
    }
    return depth == 0 && !in_str ? i : 0;
}

int kz__stix_skim(const char *p, size_t n, sx_skim *out)
{
    memset(out, 0, sizeof *out);
    if (n < 2 || p[0] != '{')
        return -1;
    size_t i = ws(p, n, 1);
    if (i < n && p[i] == '}')
        return -1; /* no properties: the full read says what is missing */
    for (;;) {
        if (i >= n || p[i] != '"')
            return -1;
        size_t k0 = i + 1, k1 = plain_string(p, n, i);
        if (!k1)
            return -1;
        size_t klen = k1 - 1 - k0;
        i = ws(p, n, k1);
        if (i >= n || p[i] != ':')
            return -1;
        i = ws(p, n, i + 1);
        sx_slice *want = NULL;
        if (klen == 4 && memcmp(p + k0, "type", 4) == 0)
            want = &out->type;
        else if (klen == 2 && memcmp(p + k0, "id", 2) == 0)
            want = &out->id;
        else if (klen == 7 && memcmp(p + k0, "created", 7) == 0)
            want = &out->created;
        else if (klen == 8 && memcmp(p + k0, "modified", 8) == 0)
            want = &out->modified;
        if (want) {
            if (want->p || i >= n || p[i] != '"')
                return -1; /* repeated, or not a string: the full read explains */
            size_t e = plain_string(p, n, i);
            if (!e)
                return -1;
            want->p = p + i + 1;
            want->len = e - i - 2;
            i = e;
            /* All four found (they usually come first): the rest is for the
             * full read, which also refuses a repeated key. */
            if (out->type.p && out->id.p && out->created.p && out->modified.p)
                return 0;
        } else if (!(i = skip_value(p, n, i))) {
            return -1;
        }
        i = ws(p, n, i);
        if (i < n && p[i] == ',') {
            i = ws(p, n, i + 1);
            continue;
        }
        if (i < n && p[i] == '}')
            break;
        return -1;
    }
    return out->type.p && out->id.p ? 0 : -1;
}
