/* json_load.c — the one door through which request bodies and import files
 * become jansson values. Before jansson sees the bytes they are checked for
 * UTF-8 (so the client learns the byte offset, not just "bad input") and for
 * nesting depth (so a body of a million '[' cannot exhaust the stack in
 * jansson's recursive parser). While jansson parses, its memory counts
 * against the budget of json_budget.c (when the server turned it on). */
#include "json_read.h"

#include <string.h>

#define KZ_JSON_MAX_DEPTH 64

/* Offset of the first byte that is not part of valid UTF-8. */
static size_t utf8_bad_offset(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4                ? 4
                                                           : 0;
        if (len == 0 || len > n - i || !kz_utf8_valid(p + i, len))
            return i;
        i += len;
    }
    return n;
}

/* 1-based line and column (in characters) of byte offset off. */
static void line_col(const char *p, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (p[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)p[i] & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

/* Offset of the bracket that opens level max+1, or n if none does. Brackets
 * inside strings do not count. */
static size_t too_deep_offset(const char *p, size_t n, int max)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"': in_str = true; break;
        case '[':
        case '{':
            if (++depth > max)
                return i;
            break;
        case ']':
        case '}': depth--; break;
        default: break;
        }
    }
    return n;
}

int kz_json_load(const char *p, size_t n, json_t **out, kz_err *err)
{
    *out = NULL;
    if (n > KZ_MAX_JSON_BYTES)
        return kz_fail(err, KZ_E_TOOLARGE, "", "body is %zu bytes, at most %zu", n,
                       (size_t)KZ_MAX_JSON_BYTES);
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    if (i == n)
        return kz_fail(err, KZ_E_INVALID, "", "empty body");
    if (!kz_utf8_valid(p, n)) {
        size_t off = utf8_bad_offset(p, n);
        if (off < n && p[off] == '\0')
            return kz_fail(err, KZ_E_INVALID, "",
                           "body is not valid UTF-8 at byte %zu (counting from 0): a NUL byte",
                           off);
        return kz_fail(err, KZ_E_INVALID, "",
                       "body is not valid UTF-8 at byte %zu (counting from 0): 0x%02x", off,
                       off < n ? (unsigned char)p[off] : 0u);
    }
    size_t deep = too_deep_offset(p, n, KZ_JSON_MAX_DEPTH);
    if (deep < n) {
        size_t line, col;
        line_col(p, deep, &line, &col);
        return kz_fail(err, KZ_E_INVALID, "",
                       "JSON nested deeper than %d levels at line %zu, column %zu",
                       KZ_JSON_MAX_DEPTH, line, col);
    }
    json_error_t je;
    kz_json_budget_begin(n);
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (kz_json_budget_end()) {
        json_decref(j);
        return kz_fail(err, KZ_E_TOOLARGE, "",
                       "JSON document too complex: parsing its %zu bytes would take more memory "
                       "than the node allows for a document of that size; send it in smaller "
                       "parts",
                       n);
    }
    if (!j) {
        const char *text = je.text;
        /* jansson names its own flag here; say what the client can fix. */
        if (strstr(text, "\\u0000"))
            text = "\\u0000 (NUL) is not allowed in strings";
        kz_fail(err, KZ_E_INVALID, "", "malformed JSON at line %d, column %d: %s", je.line,
                je.column, text);
        if (err)
            kz_jr_utf8_trim(err->msg);
        return KZ_E_INVALID;
    }
    *out = j;
    return KZ_OK;
}
