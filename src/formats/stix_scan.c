/* stix_scan.c — a bundle is split into its objects at the byte level.
 *
 * A feed of a million objects as one jansson tree would cost gigabytes and
 * lose the exact text of each object (key order, number spelling), which the
 * store keeps verbatim. So the whole document is only checked for syntax and
 * cut into spans here; each object is then parsed on its own, and its bytes
 * (minus insignificant white space) are what gets stored and served.
 */
#include "stix_int.h"

#include <string.h>

#define SX_MAX_DEPTH 64

typedef struct scanner {
    const char *p;
    size_t n, i;
    kz_err *err;
    size_t ws; /* white space bytes skipped so far */
} scanner;

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

static int fail_at(scanner *s, const char *what)
{
    size_t line, col;
    line_col(s->p, s->i, &line, &col);
    if (s->i >= s->n)
        return kz_fail(s->err, KZ_E_INVALID, "", "invalid JSON at line %zu column %zu: %s, found the end of the input",
                       line, col, what);
    unsigned char c = (unsigned char)s->p[s->i];
    if (c >= 0x20 && c < 0x7f)
        return kz_fail(s->err, KZ_E_INVALID, "", "invalid JSON at line %zu column %zu: %s, found '%c'",
                       line, col, what, c);
    return kz_fail(s->err, KZ_E_INVALID, "", "invalid JSON at line %zu column %zu: %s, found byte 0x%02x",
                   line, col, what, c);
}

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(scanner *s)
{
    size_t i0 = s->i;
    while (s->i < s->n && is_ws(s->p[s->i]))
        s->i++;
    s->ws += s->i - i0;
}

static inline bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At '"'; leaves s->i after the closing quote. UTF-8 is checked later, by
 * jansson, on each object. */
static int scan_string(scanner *s)
{
    s->i++;
    const char *p = s->p;
    size_t n = s->n;
    while (s->i < n) {
        /* The common case, plain bytes, in a tight loop. */
        const char *q = p + s->i;
        const char *end = p + n;
        while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        s->i = (size_t)(q - p);
        if (s->i >= n)
            break;
        char c = p[s->i];
        if (c == '"') {
            s->i++;
            return 0;
        }
        if ((unsigned char)c < 0x20)
            return fail_at(s, "control character inside a string");
        /* backslash */
        if (s->i + 1 >= n)
            break;
        char e = p[s->i + 1];
        if (e == 'u') {
            if (s->i + 5 >= n || !is_hex(p[s->i + 2]) || !is_hex(p[s->i + 3]) ||
                !is_hex(p[s->i + 4]) || !is_hex(p[s->i + 5])) {
                s->i++;
                return fail_at(s, "expected four hex digits after \\u");
            }
            s->i += 6;
        } else if (strchr("\"\\/bfnrt", e) && e) {
            s->i += 2;
        } else {
            s->i++;
            return fail_at(s, "invalid escape in a string");
        }
    }
    return fail_at(s, "unterminated string");
}

static int scan_number(scanner *s)
{
    const char *p = s->p;
    size_t n = s->n;
    if (s->i < n && p[s->i] == '-')
        s->i++;
    if (s->i >= n || !(p[s->i] >= '0' && p[s->i] <= '9'))
        return fail_at(s, "expected a digit");
    if (p[s->i] == '0')
        s->i++;
    else
        while (s->i < n && p[s->i] >= '0' && p[s->i] <= '9')
            s->i++;
    if (s->i < n && p[s->i] == '.') {
        s->i++;
        if (s->i >= n || !(p[s->i] >= '0' && p[s->i] <= '9'))
            return fail_at(s, "expected a digit after '.'");
        while (s->i < n && p[s->i] >= '0' && p[s->i] <= '9')
            s->i++;
    }
    if (s->i < n && (p[s->i] == 'e' || p[s->i] == 'E')) {
        s->i++;
        if (s->i < n && (p[s->i] == '+' || p[s->i] == '-'))
            s->i++;
        if (s->i >= n || !(p[s->i] >= '0' && p[s->i] <= '9'))
            return fail_at(s, "expected a digit in the exponent");
        while (s->i < n && p[s->i] >= '0' && p[s->i] <= '9')
            s->i++;
    }
    return 0;
}

static int scan_literal(scanner *s, const char *lit)
{
    size_t l = strlen(lit);
    if (s->n - s->i < l || memcmp(s->p + s->i, lit, l) != 0)
        return fail_at(s, "expected a value");
    s->i += l;
    return 0;
}

static int scan_value(scanner *s, int depth);

static int scan_container(scanner *s, int depth, char close)
{
    if (depth >= SX_MAX_DEPTH)
        return fail_at(s, "nesting deeper than 64 levels");
    s->i++;
    skip_ws(s);
    if (s->i < s->n && s->p[s->i] == close) {
        s->i++;
        return 0;
    }
    for (;;) {
        skip_ws(s);
        if (close == '}') {
            if (s->i >= s->n || s->p[s->i] != '"')
                return fail_at(s, "expected a member name in double quotes");
            int r = scan_string(s);
            if (r)
                return r;
            skip_ws(s);
            if (s->i >= s->n || s->p[s->i] != ':')
                return fail_at(s, "expected ':'");
            s->i++;
            skip_ws(s);
        }
        int r = scan_value(s, depth + 1);
        if (r)
            return r;
        skip_ws(s);
        if (s->i < s->n && s->p[s->i] == ',') {
            s->i++;
            continue;
        }
        if (s->i < s->n && s->p[s->i] == close) {
            s->i++;
            return 0;
        }
        return fail_at(s, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int scan_value(scanner *s, int depth)
{
    if (s->i >= s->n)
        return fail_at(s, "expected a value");
    switch (s->p[s->i]) {
    case '{': return scan_container(s, depth, '}');
    case '[': return scan_container(s, depth, ']');
    case '"': return scan_string(s);
    case 't': return scan_literal(s, "true");
    case 'f': return scan_literal(s, "false");
    case 'n': return scan_literal(s, "null");
    default: return scan_number(s);
    }
}

/* Decodes a member name (a JSON string span) for comparison. */
static bool key_is(const char *p, sx_span k, const char *want)
{
    size_t wl = strlen(want);
    if (k.len == wl + 2 && memcmp(p + k.off + 1, want, wl) == 0)
        return true;
    if (!memchr(p + k.off, '\\', k.len))
        return false;
    json_t *j = json_loadb(p + k.off, k.len, JSON_DECODE_ANY, NULL);
    bool eq = j && json_is_string(j) && strcmp(json_string_value(j), want) == 0;
    json_decref(j);
    return eq;
}

typedef struct member {
    sx_span key, val;
} member;

int kz__stix_scan(const char *p, size_t n, kz_arena *a, sx_doc *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    if (n > KZ_MAX_JSON_BYTES)
        return kz_fail(err, KZ_E_TOOLARGE, "", "the document is %zu bytes, at most %zu", n,
                       (size_t)KZ_MAX_JSON_BYTES);
    scanner s = {p, n, 0, err, 0};
    skip_ws(&s);
    if (s.i < n && p[s.i] == '\xef' && n - s.i >= 3 && p[s.i + 1] == '\xbb' && p[s.i + 2] == '\xbf')
        s.i += 3; /* a UTF-8 byte order mark */
    skip_ws(&s);
    size_t doc_start = s.i;
    if (s.i >= n || p[s.i] != '{')
        return s.i >= n ? kz_fail(err, KZ_E_INVALID, "", "the document is empty")
                        : fail_at(&s, "a STIX document must be a JSON object");
    /* The top level by hand: its members are recorded, and the elements of
     * "objects" (if an array) become spans. */
    member *mem = NULL;
    size_t nmem = 0, cap_mem = 0;
    sx_span *objs = NULL;
    size_t nobjs = 0, cap_objs = 0;
    s.i++;
    skip_ws(&s);
    bool first = true;
    while (!(s.i < n && p[s.i] == '}')) {
        if (!first) {
            if (s.i >= n || p[s.i] != ',')
                return fail_at(&s, "expected ',' or '}'");
            s.i++;
            skip_ws(&s);
        }
        first = false;
        if (s.i >= n || p[s.i] != '"')
            return fail_at(&s, "expected a member name in double quotes");
        sx_span k = {s.i, 0, false};
        int r = scan_string(&s);
        if (r)
            return r;
        k.len = s.i - k.off;
        skip_ws(&s);
        if (s.i >= n || p[s.i] != ':')
            return fail_at(&s, "expected ':'");
        s.i++;
        skip_ws(&s);
        sx_span v = {s.i, 0, false};
        if (key_is(p, k, "objects") && s.i < n && p[s.i] == '[') {
            /* Walk the array ourselves to note each element. */
            s.i++;
            skip_ws(&s);
            bool efirst = true;
            while (!(s.i < n && p[s.i] == ']')) {
                if (!efirst) {
                    if (s.i >= n || p[s.i] != ',')
                        return fail_at(&s, "expected ',' or ']'");
                    s.i++;
                    skip_ws(&s);
                }
                efirst = false;
                size_t e0 = s.i, ws0 = s.ws;
                if ((r = scan_value(&s, 2)))
                    return r;
                bool ws = s.ws != ws0;
                sx_span *nv = objs;
                if (nobjs == cap_objs) {
                    size_t nc = cap_objs ? cap_objs * 2 : 64;
                    nv = kz_arena_alloc(a, nc * sizeof *nv);
                    if (!nv)
                        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
                    if (nobjs)
                        memcpy(nv, objs, nobjs * sizeof *nv);
                    objs = nv;
                    cap_objs = nc;
                }
                objs[nobjs++] = (sx_span){e0, s.i - e0, ws};
                skip_ws(&s);
            }
            s.i++;
        } else if ((r = scan_value(&s, 1))) {
            return r;
        }
        v.len = s.i - v.off;
        if (nmem == cap_mem) {
            size_t nc = cap_mem ? cap_mem * 2 : 16;
            member *nm = kz_arena_alloc(a, nc * sizeof *nm);
            if (!nm)
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            if (nmem)
                memcpy(nm, mem, nmem * sizeof *nm);
            mem = nm;
            cap_mem = nc;
        }
        mem[nmem++] = (member){k, v};
        skip_ws(&s);
        if (s.i >= n)
            return fail_at(&s, "expected ',' or '}'");
    }
    s.i++;
    size_t doc_end = s.i;
    skip_ws(&s);
    if (s.i < n)
        return fail_at(&s, "expected the end of the document");

    /* The top level as jansson, without "objects" (which may be huge). */
    json_t *top = json_object();
    if (!top)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    bool has_objects = false, objects_array = false;
    for (size_t i = 0; i < nmem; i++) {
        json_t *key = json_loadb(p + mem[i].key.off, mem[i].key.len, JSON_DECODE_ANY, NULL);
        if (!key || !json_is_string(key)) {
            json_decref(key);
            json_decref(top);
            return kz_fail(err, KZ_E_INVALID, "", "a member name of the document is not valid UTF-8");
        }
        const char *ks = json_string_value(key);
        if (json_object_get(top, ks) || (strcmp(ks, "objects") == 0 && has_objects)) {
            kz_fail(err, KZ_E_INVALID, "", "the document has the member '%.64s' twice", ks);
            json_decref(key);
            json_decref(top);
            return KZ_E_INVALID;
        }
        if (strcmp(ks, "objects") == 0) {
            has_objects = true;
            objects_array = p[mem[i].val.off] == '[';
            json_decref(key);
            continue;
        }
        json_error_t je;
        json_t *v = json_loadb(p + mem[i].val.off, mem[i].val.len,
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (!v) {
            kz_fail(err, KZ_E_INVALID, "", "the document's member '%.64s': %s", ks, je.text);
            json_decref(key);
            json_decref(top);
            return KZ_E_INVALID;
        }
        json_object_set_new(top, ks, v);
        json_decref(key);
    }
    json_t *type = json_object_get(top, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "bundle") == 0)
        out->kind = SX_DOC_BUNDLE;
    else if (type)
        out->kind = SX_DOC_OBJECT;
    else if (has_objects)
        out->kind = SX_DOC_ENVELOPE;
    else {
        json_decref(top);
        return kz_fail(err, KZ_E_INVALID, "",
                       "the document is neither a STIX bundle, a TAXII envelope nor a STIX object "
                       "(it has no \"type\" and no \"objects\")");
    }
    if (out->kind != SX_DOC_OBJECT && has_objects && !objects_array) {
        json_decref(top);
        return kz_fail(err, KZ_E_INVALID, "objects", "\"objects\" must be an array");
    }
    if (out->kind == SX_DOC_OBJECT) {
        /* The document is the object: one span, "objects" and all. */
        json_decref(top);
        top = NULL;
        objs = kz_arena_alloc(a, sizeof *objs);
        if (!objs)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        objs[0] = (sx_span){doc_start, doc_end - doc_start, true};
        nobjs = 1;
    }
    out->top = top;
    out->objs = objs;
    out->n = nobjs;
    return 0;
}

int kz__stix_minify(const char *p, size_t n, kz_buf *out)
{
    if (kz_buf_reserve(out, n + 1))
        return KZ_E_NOMEM;
    char *w = out->p + out->len;
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            /* Copy the string through its closing quote. */
            size_t j = i + 1;
            while (j < n && p[j] != '"') {
                if (p[j] == '\\')
                    j++;
                j++;
            }
            if (j < n)
                j++;
            if (j > n)
                j = n;
            memcpy(w, p + i, j - i);
            w += j - i;
            i = j;
        } else {
            if (!is_ws(c))
                *w++ = c;
            i++;
        }
    }
    out->len = (size_t)(w - out->p);
    out->p[out->len] = '\0';
    return 0;
}
