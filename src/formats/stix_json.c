/* stix_json.c — the jansson tree of one STIX object, built without
 * jansson's own reader.
 *
 * jansson reads a character at a time through a stream callback and grows
 * every string a byte at a time; on a million-object bundle that was a
 * third of the import's CPU time. The objects were already checked as JSON
 * by the scanner (stix_scan.c), so here a tight reader over the span builds
 * the same tree through jansson's constructors: same values, same key
 * order. It only takes the plain road: whenever the input is anything
 * jansson might judge differently (a duplicate key, \u0000, an integer
 * beyond 64 bits, a real out of range, invalid UTF-8, deep nesting) it
 * gives up and the caller asks json_loadb, whose verdict and message stand.
 */
#include "stix_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FJ_MAX_DEPTH 64

typedef struct fj {
    const char *p, *end;
    kz_buf *tmp; /* unescaped string text */
} fj;

static void ws(fj *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
        f->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(kz_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return kz_buf_append(b, u, n);
}

/* At '"': the string's text in *s and *n (pointing into the input when it has
 * no escapes, else into f->tmp); f->p after the closing quote. */
static int string(fj *f, const char **s, size_t *n)
{
    const char *q = ++f->p;
    while (q < f->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q < f->end && *q == '"') {
        *s = f->p;
        *n = (size_t)(q - f->p);
        f->p = q + 1;
        return 0;
    }
    kz_buf_reset(f->tmp);
    if (kz_buf_append(f->tmp, f->p, (size_t)(q - f->p)))
        return -1;
    while (q < f->end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            const char *r = q;
            while (r < f->end && *r != '"' && *r != '\\' && (unsigned char)*r >= 0x20)
                r++;
            if (kz_buf_append(f->tmp, q, (size_t)(r - q)))
                return -1;
            q = r;
            continue;
        }
        if (f->end - q < 2)
            return -1;
        char e = q[1];
        const char *plain = NULL;
        switch (e) {
        case '"': plain = "\""; break;
        case '\\': plain = "\\"; break;
        case '/': plain = "/"; break;
        case 'b': plain = "\b"; break;
        case 'f': plain = "\f"; break;
        case 'n': plain = "\n"; break;
        case 'r': plain = "\r"; break;
        case 't': plain = "\t"; break;
        case 'u': break;
        default: return -1;
        }
        if (plain) {
            if (kz_buf_putc(f->tmp, *plain))
                return -1;
            q += 2;
            continue;
        }
        unsigned cp;
        if (f->end - q < 6 || hex4(q + 2, &cp))
            return -1;
        q += 6;
        if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
            return -1; /* NUL, or a lone low surrogate: jansson's call */
        if (cp >= 0xd800 && cp <= 0xdbff) {
            unsigned lo;
            if (f->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) ||
                lo < 0xdc00 || lo > 0xdfff)
                return -1;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            q += 6;
        }
        if (put_utf8(f->tmp, cp))
            return -1;
    }
    if (q >= f->end)
        return -1;
    f->p = q + 1;
    *s = f->tmp->p ? f->tmp->p : "";
    *n = f->tmp->len;
    return 0;
}

static json_t *number(fj *f)
{
    const char *s = f->p;
    bool real = false;
    while (f->p < f->end) {
        char c = *f->p;
        if (c == '.' || c == 'e' || c == 'E')
            real = true;
        else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9')))
            break;
        f->p++;
    }
    size_t n = (size_t)(f->p - s);
    char t[64];
    if (n == 0 || n >= sizeof t)
        return NULL;
    memcpy(t, s, n);
    t[n] = '\0';
    char *after;
    errno = 0;
    if (real) {
        double d = strtod(t, &after);
        if (errno || *after || !isfinite(d))
            return NULL;
        return json_real(d);
    }
    long long v = strtoll(t, &after, 10);
    if (errno || *after)
        return NULL;
    return json_integer((json_int_t)v);
}

static json_t *value(fj *f, int depth);

static json_t *object(fj *f, int depth)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    f->p++;
    ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return o;
    }
    for (;;) {
        const char *k;
        size_t kn;
        if (f->p >= f->end || *f->p != '"' || string(f, &k, &kn))
            break;
        /* The key may sit in tmp, which the value's strings reuse. */
        char kbuf[256];
        char *key = kn < sizeof kbuf ? kbuf : malloc(kn + 1);
        if (!key)
            break;
        memcpy(key, k, kn);
        key[kn] = '\0';
        json_t *v = NULL;
        ws(f);
        if (f->p < f->end && *f->p == ':') {
            f->p++;
            ws(f);
            v = value(f, depth + 1);
        }
        bool ok = false;
        if (v && json_object_getn(o, key, kn))
            json_decref(v); /* a duplicate key: jansson's message */
        else if (v)
            ok = json_object_setn_new_nocheck(o, key, kn, v) == 0; /* takes v either way */
        if (key != kbuf)
            free(key);
        if (!ok)
            break;
        ws(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            ws(f);
            continue;
        }
        if (f->p < f->end && *f->p == '}') {
            f->p++;
            return o;
        }
        break;
    }
    json_decref(o);
    return NULL;
}

static json_t *array(fj *f, int depth)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    f->p++;
    ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return a;
    }
    for (;;) {
        json_t *v = value(f, depth + 1);
        if (!v || json_array_append_new(a, v))
            break;
        ws(f);
        if (f->p < f->end && *f->p == ',') {
            f->p++;
            ws(f);
            continue;
        }
        if (f->p < f->end && *f->p == ']') {
            f->p++;
            return a;
        }
        break;
    }
    json_decref(a);
    return NULL;
}

static json_t *literal(fj *f, const char *word, json_t *v)
{
    size_t n = strlen(word);
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
        return NULL;
    f->p += n;
    return v;
}

static json_t *value(fj *f, int depth)
{
    if (depth > FJ_MAX_DEPTH || f->p >= f->end)
        return NULL;
    switch (*f->p) {
    case '{':
        return object(f, depth);
    case '[':
        return array(f, depth);
    case '"': {
        const char *s;
        size_t n;
        return string(f, &s, &n) ? NULL : json_stringn_nocheck(s, n);
    }
    case 't':
        return literal(f, "true", json_true());
    case 'f':
        return literal(f, "false", json_false());
    case 'n':
        return literal(f, "null", json_null());
    default:
        return number(f);
    }
}

json_t *kz__stix_json_read(const char *p, size_t n)
{
    if (n == 0 || p[0] != '{')
        return NULL;
    /* Raw bytes above 0x7f only inside strings (the rest of JSON is
     * ASCII): one check of the whole span covers every string. */
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)p[i] >= 0x80) {
            if (!kz_utf8_valid(p, n))
                return NULL;
            break;
        }
    }
    kz_buf tmp;
    kz_buf_init(&tmp);
    fj f = {.p = p, .end = p + n, .tmp = &tmp};
    json_t *o = object(&f, 1);
    ws(&f);
    if (o && f.p != f.end) {
        json_decref(o);
        o = NULL;
    }
    kz_buf_free(&tmp);
    return o;
}
