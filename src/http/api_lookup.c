/* api_lookup.c — POST /api/v1/lookup: "which of these do we know?" for up to
 * 100,000 values of mixed types at once (a SOAR playbook's batch, a SIEM's
 * list of the day's distinct domains). Each value is typed as kz_ioc_guess
 * would, normalised and looked up in the caller's org index, which holds
 * exactly the to_ids indicators the org may see, so no ACL runs per hit;
 * hits carry the same fields as `kizuna sweep` output.
 *
 * Throughput is the point (>= 1M values/s per request), so the usual helpers
 * are bypassed where they cost more than the lookups themselves:
 * - a body of the expected shape is parsed by a small strict scanner that
 *   decodes its strings into one block; anything else (including every
 *   invalid body) goes through jansson, which gives the precise 400;
 * - common value shapes are typed without normalising twice (classify);
 * - the answer is written straight into a buffer, the per-indicator part of
 *   a hit rendered once per request and copied for repeats;
 * - large requests are split between two threads.
 */
#include "http_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

#define MAX_VALUES 100000
#define MAX_HITS 100000      /* hit objects in one answer; the rest counted */
#define HITS_PER_VALUE 64    /* first try; a value with more asks again */
#define PARALLEL_FROM 20000  /* values from which a second thread helps */
#define FRAG_CACHE 4096      /* rendered indicator parts remembered per thread */

typedef struct slice {
    const char *p;
    size_t n;
} slice;

/* ---- JSON writing ---------------------------------------------------------- */

/* Bytes that need escaping in a JSON string. */
static bool needs_esc(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

/* Writes s (valid UTF-8: jansson checked the body, the index holds checked
 * text) as a JSON string. Room for the worst case is made first, so the loop
 * writes without checks. */
static void put_str(kz_buf *b, const char *s, size_t n, bool *oom)
{
    static const char hex[] = "0123456789abcdef";
    if (n > (SIZE_MAX - 2) / 6 || kz_buf_reserve(b, 6 * n + 2) < 0) {
        *oom = true;
        return;
    }
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_esc(c)) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    *o = '\0';
}

static void put_cstr(kz_buf *b, const char *s, bool *oom)
{
    if (!s) {
        if (kz_buf_append(b, "null", 4) < 0)
            *oom = true;
        return;
    }
    put_str(b, s, strlen(s), oom);
}

#define PUT_LIT(b, lit, oom)                                                                       \
    do {                                                                                           \
        if (kz_buf_append((b), (lit), sizeof(lit) - 1) < 0)                                        \
            *(oom) = true;                                                                         \
    } while (0)

/* Tags are comma-joined in the index; a comma inside a quoted machine-tag
 * value (misp-galaxy:threat-actor="Sofacy, APT28") is not a separator. */
static void put_tags(kz_buf *b, const char *tags, size_t n, bool *oom)
{
    PUT_LIT(b, "[", oom);
    size_t start = 0;
    bool quoted = false, first = true;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && tags[i] == '"')
            quoted = !quoted;
        if (i < n && (tags[i] != ',' || quoted))
            continue;
        if (i > start) {
            if (!first)
                PUT_LIT(b, ",", oom);
            put_str(b, tags + start, i - start, oom);
            first = false;
        }
        start = i + 1;
    }
    PUT_LIT(b, "]", oom);
}

/* ---- looking up ------------------------------------------------------------ */

typedef struct frag {
    uint32_t payload;
    bool used;
    size_t off, len; /* in part.out */
} frag;

typedef struct part {
    const kz_match_index *idx;
    const slice *values;
    size_t from, to;
    kz_buf out;        /* the hit objects of these values, comma-separated */
    size_t hits, warninglisted, unrecognised, written;
    size_t *ends;      /* where each hit object ends in out */
    size_t ends_cap;
    frag *cache;       /* FRAG_CACHE entries, by payload */
    bool oom;
} part;

/* The part of a hit that depends only on the indicator: from ,"indicator"
 * to the end of the object. Field names are those of `kizuna sweep`. */
static void put_payload(part *p, const kz_match_payload *pl, size_t tags_len, const char *wl)
{
    kz_buf *b = &p->out;
    bool *oom = &p->oom;
    PUT_LIT(b, ",\"indicator\":", oom);
    put_cstr(b, pl->indicator_id, oom);
    PUT_LIT(b, ",\"indicator_type\":", oom);
    put_cstr(b, kz_ioc_type_name(pl->type), oom);
    PUT_LIT(b, ",\"indicator_value\":", oom);
    put_cstr(b, pl->value, oom);
    PUT_LIT(b, ",\"event\":", oom);
    put_cstr(b, pl->event_id, oom);
    PUT_LIT(b, ",\"org\":", oom);
    put_cstr(b, pl->org_id, oom);
    PUT_LIT(b, ",\"tlp\":", oom);
    put_cstr(b, kz_tlp_name(pl->tlp), oom);
    PUT_LIT(b, ",\"tags\":", oom);
    put_tags(b, pl->tags ? pl->tags : "", tags_len, oom);
    if (wl) {
        PUT_LIT(b, ",\"warninglist\":", oom);
        put_cstr(b, wl, oom);
    }
    PUT_LIT(b, "}", oom);
}

static void put_hit(part *p, const slice *value, kz_ioc_type t, const kz_match_hit *h)
{
    kz_match_payload pl;
    if (!kz_match_payload_get(p->idx, h->payload, &pl))
        return;
    size_t tags_len = 0;
    const char *wl = kz_index_payload_warninglist(&pl, &tags_len);
    p->hits++;
    if (wl)
        p->warninglisted++;
    if (p->written >= MAX_HITS)
        return;
    kz_buf *b = &p->out;
    bool *oom = &p->oom;
    if (b->len)
        PUT_LIT(b, ",", oom);
    PUT_LIT(b, "{\"value\":", oom);
    put_str(b, value->p, value->n, oom);
    PUT_LIT(b, ",\"type\":", oom);
    put_cstr(b, kz_ioc_type_name(t), oom);
    PUT_LIT(b, ",\"match\":", oom);
    put_cstr(b, kz_match_kind_name(h->kind), oom);
    /* One indicator often answers many values (every subdomain of a listed
     * dynamic-DNS zone): copy its part from where it was first written. */
    frag *f = &p->cache[h->payload % FRAG_CACHE];
    if (f->used && f->payload == h->payload) {
        if (kz_buf_reserve(b, f->len) < 0) {
            *oom = true;
            return;
        }
        memcpy(b->p + b->len, b->p + f->off, f->len);
        b->len += f->len;
        b->p[b->len] = '\0';
    } else {
        size_t off = b->len;
        put_payload(p, &pl, tags_len, wl);
        *f = (frag){.payload = h->payload, .used = true, .off = off, .len = b->len - off};
    }
    if (p->written == p->ends_cap) {
        size_t nc = p->ends_cap ? p->ends_cap * 2 : 256;
        size_t *ne = realloc(p->ends, nc * sizeof *ne);
        if (!ne) {
            p->oom = true;
            return;
        }
        p->ends = ne;
        p->ends_cap = nc;
    }
    p->ends[p->written++] = b->len;
}

static bool ieq_prefix(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lit[i])
            return false;
    }
    return true;
}

/* The type of a raw value and its normalised key, as kz_ioc_guess followed
 * by kz_ioc_normalize would give them, but without normalising twice for
 * the common shapes: a value made only of host-name characters can only be
 * guessed as an ASN, a CVE, a hash or a domain (guess.c's order), and one
 * starting with http:// or https:// only as a URL. Anything else takes the
 * general path. Returns -1 for a value that is no indicator. */
static int classify(const char *s, size_t n, kz_buf *norm)
{
    bool hostish = n > 0;
    for (size_t i = 0; i < n && hostish; i++) {
        unsigned char c = (unsigned char)s[i];
        hostish = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
    }
    int t = -1;
    if (hostish && !ieq_prefix(s, n, "hxx") && !ieq_prefix(s, n, "fxp") &&
        !ieq_prefix(s, n, "as") && !ieq_prefix(s, n, "cve-")) {
        bool hex = true;
        for (size_t i = 0; i < n && hex; i++) {
            unsigned char c = (unsigned char)(s[i] | 0x20);
            hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
        if (hex && n == 32)
            t = KZ_IOC_MD5;
        else if (hex && n == 40)
            t = KZ_IOC_SHA1;
        else if (hex && n == 64)
            t = KZ_IOC_SHA256;
        else if (hex && n == 128)
            t = KZ_IOC_SHA512;
        else
            t = KZ_IOC_DOMAIN;
    } else if (ieq_prefix(s, n, "http://") || ieq_prefix(s, n, "https://")) {
        t = KZ_IOC_URL;
    }
    if (t >= KZ_IOC_MD5 && t <= KZ_IOC_SHA512) {
        /* A hash normalises to its lower-case self (ioc/hash.c). */
        kz_buf_reset(norm);
        if (kz_buf_reserve(norm, n) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            norm->p[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
        norm->p[n] = '\0';
        norm->len = n;
        return t;
    }
    if (t >= 0)
        return kz_ioc_normalize((kz_ioc_type)t, s, n, norm, NULL) == 0 ? t : -1;
    t = kz_ioc_guess(s, n);
    if (t < 0 || kz_ioc_normalize((kz_ioc_type)t, s, n, norm, NULL) < 0)
        return -1;
    return t;
}

static void lookup_one(part *p, const slice *v, kz_buf *norm, kz_match_hit **hits, size_t *cap)
{
    kz_ioc_type t;
    kz_ip ip;
    size_t total;
    bool is_ip = v->n && v->n <= 45 && kz_ip_parse(v->p, v->n, &ip) == 0;
    if (is_ip) {
        /* Addresses (the common case in logs) need no normalised text. */
        t = ip.v4 ? KZ_IOC_IPV4 : KZ_IOC_IPV6;
    } else {
        int g = classify(v->p, v->n, norm);
        if (g < 0) {
            p->unrecognised++;
            return;
        }
        t = (kz_ioc_type)g;
    }
    for (;;) {
        total = is_ip ? kz_match_lookup_ip(p->idx, &ip, *hits, *cap)
                      : kz_match_lookup(p->idx, t, norm->p, norm->len, *hits, *cap);
        if (total <= *cap)
            break;
        kz_match_hit *nh = realloc(*hits, total * sizeof *nh);
        if (!nh) {
            p->oom = true;
            return;
        }
        *hits = nh;
        *cap = total;
    }
    for (size_t i = 0; i < total; i++)
        put_hit(p, v, t, &(*hits)[i]);
}

static void *run_part(void *arg)
{
    part *p = arg;
    kz_buf norm;
    kz_buf_init(&norm);
    size_t cap = HITS_PER_VALUE;
    kz_match_hit *hits = malloc(cap * sizeof *hits);
    p->cache = calloc(FRAG_CACHE, sizeof *p->cache);
    if (!hits || !p->cache)
        p->oom = true;
    for (size_t i = p->from; i < p->to && !p->oom; i++)
        lookup_one(p, &p->values[i], &norm, &hits, &cap);
    free(hits);
    free(p->cache);
    p->cache = NULL;
    kz_buf_free(&norm);
    return NULL;
}

/* ---- reading the body -------------------------------------------------------- */

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    return s;
}

static int hex4(const char *s, const char *end)
{
    if (end - s < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* One JSON string at *sp (after its opening quote), decoded to *op and
 * NUL-terminated there. False when it is not a string jansson would accept
 * (the caller then lets jansson say why). Decoded text is never longer than
 * its JSON form, so *op needs no more room than the body. */
static bool scan_string(const char **sp, const char *end, char **op, slice *out)
{
    const char *s = *sp;
    char *start = *op, *o = start;
    bool high = false;
    while (s < end) {
        unsigned char c = (unsigned char)*s;
        if (c == '"') {
            if (high && !kz_utf8_valid(start, (size_t)(o - start)))
                return false;
            *o = '\0';
            out->p = start;
            out->n = (size_t)(o - start);
            *sp = s + 1;
            *op = o + 1;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            high |= c >= 0x80;
            *o++ = *s++;
            continue;
        }
        if (end - s < 2)
            return false;
        char e = s[1];
        s += 2;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int u = hex4(s, end);
            if (u <= 0) /* not hex, or \u0000 (jansson refuses NUL) */
                return false;
            s += 4;
            uint32_t cp = (uint32_t)u;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - s < 6 || s[0] != '\\' || s[1] != 'u')
                    return false;
                int lo = hex4(s + 2, end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (uint32_t)(lo - 0xDC00);
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | cp >> 6);
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | cp >> 12);
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | cp >> 18);
                *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: return false;
        }
    }
    return false;
}

/* The fast path: exactly {"values":[string, ...]} with any JSON white space.
 * Returns 1 and the slices (decoded into request memory; *n counts every
 * value even past MAX_VALUES, the slices stop there), 0 when the body has
 * another shape (the body is left untouched for jansson), or KZ_E_NOMEM. */
static int scan_body(kz_req *r, slice **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!r->body.p)
        return 0;
    const char *s = r->body.p, *end = s + r->body.len;
    char *o = kz_arena_alloc(&r->arena, r->body.len + 1);
    if (!o)
        return KZ_E_NOMEM;
    static const char key[] = "\"values\"";
    s = skip_ws(s, end);
    if (s == end || *s++ != '{')
        return 0;
    s = skip_ws(s, end);
    if ((size_t)(end - s) < sizeof key - 1 || memcmp(s, key, sizeof key - 1) != 0)
        return 0;
    s = skip_ws(s + sizeof key - 1, end);
    if (s == end || *s++ != ':')
        return 0;
    s = skip_ws(s, end);
    if (s == end || *s++ != '[')
        return 0;
    /* Values are at least 3 bytes ("",): this bounds the array. */
    size_t cap = (size_t)(end - s) / 3 + 1;
    if (cap > MAX_VALUES)
        cap = MAX_VALUES;
    slice *v = kz_arena_alloc(&r->arena, cap * sizeof *v);
    if (!v)
        return KZ_E_NOMEM;
    size_t count = 0;
    s = skip_ws(s, end);
    if (s < end && *s == ']') {
        s++;
    } else {
        for (;;) {
            if (s == end || *s++ != '"')
                return 0;
            slice one;
            if (!scan_string(&s, end, &o, &one))
                return 0;
            if (count < cap)
                v[count] = one;
            count++;
            s = skip_ws(s, end);
            if (s == end)
                return 0;
            if (*s == ']') {
                s++;
                break;
            }
            if (*s++ != ',')
                return 0;
            s = skip_ws(s, end);
        }
    }
    s = skip_ws(s, end);
    if (s == end || *s++ != '}')
        return 0;
    if (skip_ws(s, end) != end)
        return 0;
    *out = v;
    *n = count;
    return 1;
}

/* ---- the handler ----------------------------------------------------------- */

static int too_many(kz_req *r, size_t n)
{
    return kz_fail(&r->err, KZ_E_TOOLARGE, "values",
                   "values: %zu values in one lookup, at most %d; split the list", n, MAX_VALUES);
}

/* The general path: jansson parses (and names what is wrong), then the shape
 * {"values": [string, ...]} is checked. The slices point into *j. */
static int read_json(kz_req *r, json_t **j, slice **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int rc = kz_http_body_json(r, j);
    if (rc < 0)
        return rc;
    if (!json_is_object(*j))
        return kz_fail(&r->err, KZ_E_INVALID, NULL,
                       "the body must be an object {\"values\": [\"1.2.3.4\", \"evil.com\", ...]}");
    const char *k;
    json_t *v;
    json_object_foreach(*j, k, v) {
        if (strcmp(k, "values") != 0)
            return kz_fail(&r->err, KZ_E_INVALID, "",
                           "unknown field '%.64s'; the body takes only \"values\"", k);
    }
    json_t *values = json_object_get(*j, "values");
    if (!values)
        return kz_fail(&r->err, KZ_E_INVALID, "values",
                       "values: missing; send {\"values\": [\"1.2.3.4\", ...]}");
    if (!json_is_array(values))
        return kz_fail(&r->err, KZ_E_INVALID, "values", "values: must be an array of strings");
    size_t count = json_array_size(values);
    if (count > MAX_VALUES)
        return too_many(r, count);
    slice *sl = count ? kz_arena_alloc(&r->arena, count * sizeof *sl) : NULL;
    if (count && !sl)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_array_get(values, i);
        if (!json_is_string(e)) {
            char field[32];
            snprintf(field, sizeof field, "values[%zu]", i);
            return kz_fail(&r->err, KZ_E_INVALID, field, "%s: must be a string", field);
        }
        sl[i] = (slice){json_string_value(e), json_string_length(e)};
    }
    *out = sl;
    *n = count;
    return 0;
}

/* The answer's pieces, freed by MHD once the response is sent. */
typedef struct answer_mem {
    char *part[2];
    char tail[256];
} answer_mem;

static void answer_free(void *cls)
{
    answer_mem *m = cls;
    free(m->part[0]);
    free(m->part[1]);
    free(m);
}

/* Sends the parts' hit objects in value order (the first MAX_HITS of them)
 * and the counts. The parts' buffers go out as they are, in an I/O vector:
 * copying tens of megabytes of hits into one buffer would cost more than
 * finding them. Takes the parts' buffers. */
static int answer(kz_req *r, part *parts, size_t np, size_t n)
{
    size_t hits = 0, wl = 0, unrec = 0, written = 0;
    bool oom = false;
    for (size_t i = 0; i < np; i++) {
        hits += parts[i].hits;
        wl += parts[i].warninglisted;
        unrec += parts[i].unrecognised;
        oom |= parts[i].oom;
    }
    answer_mem *m = oom ? NULL : calloc(1, sizeof *m);
    if (!m)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory building the answer");
    struct MHD_IoVec iov[5];
    unsigned niov = 0;
    size_t total = 0;
    iov[niov++] = (struct MHD_IoVec){"{\"hits\":[", 9};
    for (size_t i = 0; i < np; i++) {
        if (!parts[i].written || written >= MAX_HITS)
            continue;
        size_t take = parts[i].written;
        if (take > MAX_HITS - written)
            take = MAX_HITS - written;
        if (written)
            iov[niov++] = (struct MHD_IoVec){",", 1};
        m->part[i] = parts[i].out.p;
        iov[niov++] = (struct MHD_IoVec){m->part[i], parts[i].ends[take - 1]};
        kz_buf_init(&parts[i].out); /* now m's */
        written += take;
    }
    int tl = snprintf(m->tail, sizeof m->tail,
                      "],\"truncated\":%s,\"stats\":{\"values\":%zu,\"hits\":%zu,"
                      "\"warninglisted\":%zu,\"unrecognised\":%zu}}",
                      written < hits ? "true" : "false", n, hits - wl, wl, unrec);
    iov[niov++] = (struct MHD_IoVec){m->tail, (size_t)tl};
    for (unsigned i = 0; i < niov; i++)
        total += iov[i].iov_len;
    struct MHD_Response *resp = MHD_create_response_from_iovec(iov, niov, answer_free, m);
    if (!resp) {
        answer_free(m);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory building the answer");
    }
    /* The headers every answer of the node carries (reply.c). */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    if (ret != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot queue the answer");
    r->replied = true;
    r->status = MHD_HTTP_OK;
    r->bytes_sent = total;
    return 0;
}

int kz_api_lookup(kz_req *r)
{
    json_t *j = NULL;
    slice *values = NULL;
    size_t n = 0;
    int rc = scan_body(r, &values, &n);
    if (rc < 0)
        return kz_fail(&r->err, rc, NULL, "out of memory");
    if (rc == 0)
        rc = read_json(r, &j, &values, &n);
    else
        rc = n > MAX_VALUES ? too_many(r, n) : 0;
    const kz_match_index *idx = NULL;
    if (rc == 0)
        rc = kz_match_service_acquire(r, &idx);
    if (rc < 0) {
        json_decref(j);
        return rc;
    }
    part parts[2];
    size_t np = n >= PARALLEL_FROM ? 2 : 1;
    for (size_t i = 0; i < np; i++) {
        memset(&parts[i], 0, sizeof parts[i]);
        parts[i].idx = idx;
        parts[i].values = values;
        parts[i].from = n * i / np;
        parts[i].to = n * (i + 1) / np;
        kz_buf_init(&parts[i].out);
    }
    pthread_t th;
    bool threaded = np == 2 && pthread_create(&th, NULL, run_part, &parts[1]) == 0;
    run_part(&parts[0]);
    if (threaded)
        pthread_join(th, NULL);
    else if (np == 2)
        run_part(&parts[1]);
    kz_match_release(idx);
    rc = answer(r, parts, np, n);
    for (size_t i = 0; i < np; i++) {
        kz_buf_free(&parts[i].out);
        free(parts[i].ends);
    }
    json_decref(j);
    return rc;
}
