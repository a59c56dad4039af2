/* logfmt_zeek.c — Zeek's TSV logs: the header block (#separator,
 * #set_separator, #empty_field, #unset_field, #path, #fields, #types) and
 * the data lines it describes.
 *
 * This is the format the sweep must read at line rate, so each line is
 * scanned once, sixteen bytes at a time: one compare finds the line end,
 * one the field separators, two the bytes that may be binary (NUL, >= 0x80).
 * Only the columns the log's path names are then looked at.
 *
 * A header can appear anywhere (logs concatenated, rotated files joined);
 * a task starts with the header assumed at its start and switches when it
 * meets a new one. The engine re-runs a task whose assumed header turns out
 * wrong, which only happens when headers differ.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sweep_int.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the header --------------------------------------------------------- */

typedef struct zhdr {
    char sep, set_sep;
    kz_buf empty, unset, path, fields, types;
    bool dirty;
} zhdr;

static void zhdr_init(zhdr *h)
{
    memset(h, 0, sizeof *h);
    h->sep = '\t';
    h->set_sep = ',';
    kz_buf_init(&h->empty);
    kz_buf_init(&h->unset);
    kz_buf_init(&h->path);
    kz_buf_init(&h->fields);
    kz_buf_init(&h->types);
    kz_buf_puts(&h->empty, "(empty)");
    kz_buf_puts(&h->unset, "-");
}

static void zhdr_free(zhdr *h)
{
    kz_buf_free(&h->empty);
    kz_buf_free(&h->unset);
    kz_buf_free(&h->path);
    kz_buf_free(&h->fields);
    kz_buf_free(&h->types);
}

static void set(kz_buf *b, const char *s, size_t n)
{
    kz_buf_reset(b);
    if (s)
        kz_buf_append(b, s, n);
}

static void zhdr_from(zhdr *h, const kz_sw_schema *s)
{
    zhdr_init(h);
    if (!s || s->fmt != KZ_SWEEP_ZEEK)
        return;
    h->sep = s->sep;
    h->set_sep = s->set_sep;
    set(&h->empty, s->empty, s->empty_len);
    set(&h->unset, s->unset, s->unset_len);
    set(&h->path, s->path, strlen(s->path));
    if (s->fields_raw)
        set(&h->fields, s->fields_raw, strlen(s->fields_raw));
    if (s->types_raw)
        set(&h->types, s->types_raw, strlen(s->types_raw));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "\x09" or a literal character. */
static char sep_value(const char *v, size_t n, char def)
{
    if (n == 4 && v[0] == '\\' && v[1] == 'x' && hexval(v[2]) >= 0 && hexval(v[3]) >= 0)
        return (char)(hexval(v[2]) << 4 | hexval(v[3]));
    return n == 1 ? v[0] : def;
}

/* One '#' line. The #separator line is "#separator \x09" (a space: the
 * separator is not known yet); the others use the separator. */
static void zhdr_line(zhdr *h, const char *p, size_t n)
{
    size_t k = 1;
    while (k < n && p[k] != ' ' && p[k] != h->sep)
        k++;
    const char *name = p + 1, *v = k < n ? p + k + 1 : p + n;
    size_t nn = k - 1, vn = k < n ? n - k - 1 : 0;
#define IS(lit) (nn == sizeof(lit) - 1 && memcmp(name, lit, nn) == 0)
    if (IS("separator")) {
        h->sep = sep_value(v, vn, '\t');
    } else if (IS("set_separator")) {
        h->set_sep = sep_value(v, vn, ',');
    } else if (IS("empty_field")) {
        set(&h->empty, v, vn);
    } else if (IS("unset_field")) {
        set(&h->unset, v, vn);
    } else if (IS("path")) {
        set(&h->path, v, vn);
    } else if (IS("fields")) {
        set(&h->fields, v, vn);
        set(&h->types, NULL, 0); /* a #types line, if any, follows */
    } else if (IS("types")) {
        set(&h->types, v, vn);
    } else {
        return; /* #open, #close, comments */
    }
#undef IS
    h->dirty = true;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s ? s : "", n);
        d[n] = '\0';
    }
    return d;
}

/* Splits s by sep into at most max parts; returns the count. */
static size_t split(const char *s, size_t n, char sep, const char **part, size_t *len, size_t max)
{
    size_t k = 0;
    const char *end = s + n;
    while (k < max) {
        const char *e = memchr(s, sep, (size_t)(end - s));
        part[k] = s;
        len[k] = (size_t)((e ? e : end) - s);
        k++;
        if (!e)
            break;
        s = e + 1;
    }
    return k;
}

static int zhdr_build(const zhdr *h, kz_sw_schema **out)
{
    *out = NULL;
    kz_sw_schema *s = calloc(1, sizeof *s);
    if (!s)
        return KZ_E_NOMEM;
    s->fmt = KZ_SWEEP_ZEEK;
    s->sep = h->sep;
    s->set_sep = h->set_sep;
    s->resp_h = s->resp_p = s->host = -1;
    s->empty = dup_n(h->empty.p, h->empty.len);
    s->empty_len = h->empty.len;
    s->unset = dup_n(h->unset.p, h->unset.len);
    s->unset_len = h->unset.len;
    s->path = dup_n(h->path.p, h->path.len);
    s->fields_raw = h->fields.len ? dup_n(h->fields.p, h->fields.len) : NULL;
    s->types_raw = h->types.len ? dup_n(h->types.p, h->types.len) : NULL;
    if (!s->empty || !s->unset || !s->path || (h->fields.len && !s->fields_raw) ||
        (h->types.len && !s->types_raw))
        goto nomem;
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    char seps[2] = {s->sep, s->set_sep};
    XXH3_64bits_update(&st, seps, 2);
    const kz_buf *parts[] = {&h->empty, &h->unset, &h->path, &h->fields, &h->types};
    for (size_t i = 0; i < KZ_ARRAY_LEN(parts); i++) {
        XXH3_64bits_update(&st, parts[i]->p ? parts[i]->p : "", parts[i]->len);
        XXH3_64bits_update(&st, "\n", 1);
    }
    s->sig = XXH3_64bits_digest(&st);
    if (!s->fields_raw) {
        *out = s;
        return KZ_OK;
    }
    s->have = true;
    const char **fp = malloc(2 * (KZ_SW_MAX_FIELDS + 1) * sizeof *fp);
    size_t *fl = malloc(2 * (KZ_SW_MAX_FIELDS + 1) * sizeof *fl);
    if (!fp || !fl) {
        free(fp);
        free(fl);
        goto nomem;
    }
    const char **tp = fp + KZ_SW_MAX_FIELDS + 1;
    size_t *tl = fl + KZ_SW_MAX_FIELDS + 1;
    size_t nf = split(s->fields_raw, h->fields.len, s->sep, fp, fl, KZ_SW_MAX_FIELDS + 1);
    size_t nt = s->types_raw ? split(s->types_raw, h->types.len, s->sep, tp, tl,
                                     KZ_SW_MAX_FIELDS + 1)
                             : 0;
    if (nf > KZ_SW_MAX_FIELDS)
        nf = KZ_SW_MAX_FIELDS + 1; /* no line can match: every one is reported */
    s->nfields = nf;
    s->names = calloc(nf, sizeof *s->names);
    s->name_len = calloc(nf, sizeof *s->name_len);
    s->cols = calloc(nf, sizeof *s->cols);
    bool ok = s->names && s->name_len && s->cols;
    int port = -1;
    for (size_t i = 0; ok && i < nf; i++) {
        s->names[i] = dup_n(fp[i], fl[i]);
        s->name_len[i] = fl[i];
        if (!s->names[i]) {
            ok = false;
            break;
        }
        bool vec = false;
        kz_swf_kind k = kz_sw_zeek_kind(s->path, fp[i], fl[i], nt == nf ? tp[i] : NULL,
                                        nt == nf ? tl[i] : 0, &vec);
        if (strcmp(s->names[i], "id.resp_h") == 0)
            s->resp_h = (int)i;
        else if (strcmp(s->names[i], "id.resp_p") == 0)
            port = (int)i;
        else if (strcmp(s->names[i], "host") == 0)
            s->host = (int)i;
        if (k != KZ_SWF_NONE)
            s->cols[s->ncols++] = (kz_sw_col){.col = (uint32_t)i, .kind = (uint8_t)k, .vec = vec};
    }
    s->resp_p = s->resp_h >= 0 ? port : -1;
    free(fp);
    free(fl);
    if (!ok)
        goto nomem;
    *out = s;
    return KZ_OK;
nomem:
    kz_sw_schema_free(s);
    return KZ_E_NOMEM;
}

int kz_sw_zeek_initial(const char *p, size_t n, kz_sw_schema **out)
{
    zhdr h;
    zhdr_init(&h);
    const char *end = p + n;
    while (p < end && *p == '#') {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        zhdr_line(&h, p, (size_t)(le - p));
        p = nl ? nl + 1 : end;
    }
    int rc = zhdr_build(&h, out);
    zhdr_free(&h);
    return rc;
}

/* ---- data lines ---------------------------------------------------------- */

/* Finds the end of the line at p (the '\n', or end) and the offsets of its
 * separators (at most KZ_SW_MAX_FIELDS kept, all counted); *bad when a
 * byte is NUL or >= 0x80. The AVX2 variant does the same 32 bytes at a
 * time where the processor has it. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_SCAN 1

__attribute__((target("avx2"))) static const char *
scan_line_avx2(const char *p, const char *end, char sep, uint32_t *tabs, uint32_t *ntab, bool *bad,
               const char **tail, uint32_t *nt_out)
{
    const char *q = p;
    uint32_t nt = 0;
    uint32_t hb = 0;
    const __m256i vs = _mm256_set1_epi8(sep), vn = _mm256_set1_epi8('\n'),
                  vz = _mm256_setzero_si256();
    while (q + 32 <= end) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)q);
        uint32_t mn = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, vn));
        uint32_t mt = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, vs));
        uint32_t mb = (uint32_t)_mm256_movemask_epi8(v) |
                      (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, vz));
        uint32_t keep = mn ? (mn & (0u - mn)) - 1 : 0xffffffffu;
        mt &= keep;
        hb |= mb & keep;
        while (mt) {
            uint32_t off = (uint32_t)(q - p) + (uint32_t)__builtin_ctz(mt);
            if (nt < KZ_SW_MAX_FIELDS)
                tabs[nt] = off;
            nt++;
            mt &= mt - 1;
        }
        if (mn) {
            *ntab = nt;
            *bad = hb != 0;
            *tail = NULL;
            return q + __builtin_ctz(mn);
        }
        q += 32;
    }
    /* fewer than 32 bytes left: the caller finishes from here */
    *tail = q;
    *nt_out = nt;
    *bad = hb != 0;
    return NULL;
}
#endif

static const char *scan_line(const char *p, const char *end, char sep, uint32_t *tabs,
                             uint32_t *ntab, bool *bad)
{
    const char *q = p;
    uint32_t nt = 0;
    unsigned hb = 0;
#ifdef HAVE_AVX2_SCAN
    static _Atomic int avx2 = -1;
    if (avx2 < 0) {
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    if (avx2) {
        const char *tail;
        bool b;
        const char *le = scan_line_avx2(p, end, sep, tabs, ntab, &b, &tail, &nt);
        if (le) {
            *bad = b;
            return le;
        }
        q = tail;
        hb = b;
    }
#endif
#ifdef __SSE2__
    const __m128i vs = _mm_set1_epi8(sep), vn = _mm_set1_epi8('\n'), vz = _mm_setzero_si128();
    while (q + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        unsigned mn = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn));
        unsigned mt = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vs));
        unsigned mb = (unsigned)_mm_movemask_epi8(v) |
                      (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vz));
        unsigned keep = mn ? (mn & (0u - mn)) - 1 : 0xffffu;
        mt &= keep;
        hb |= mb & keep;
        while (mt) {
            uint32_t off = (uint32_t)(q - p) + (uint32_t)__builtin_ctz(mt);
            if (nt < KZ_SW_MAX_FIELDS)
                tabs[nt] = off;
            nt++;
            mt &= mt - 1;
        }
        if (mn) {
            *ntab = nt;
            *bad = hb != 0;
            return q + __builtin_ctz(mn);
        }
        q += 16;
    }
#endif
    for (; q < end; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '\n')
            break;
        if (c == (unsigned char)sep) {
            if (nt < KZ_SW_MAX_FIELDS)
                tabs[nt] = (uint32_t)(q - p);
            nt++;
        }
        if (c == 0 || c >= 0x80)
            hb = 1;
    }
    *ntab = nt;
    *bad = hb != 0;
    return q;
}

static bool is_null(const kz_sw_schema *s, const char *f, size_t n)
{
    return (n == s->unset_len && memcmp(f, s->unset, n) == 0) ||
           (n == s->empty_len && memcmp(f, s->empty, n) == 0);
}

static void fields(kz_sw_worker *w, const kz_sw_schema *s, const char *p, const char *le,
                   const uint32_t *tabs, uint32_t ntab)
{
#define FSTART(c) ((c) == 0 ? p : p + tabs[(c) - 1] + 1)
#define FEND(c) ((c) == ntab ? le : p + tabs[(c)])
    for (size_t i = 0; i < s->ncols; i++) {
        const kz_sw_col *c = &s->cols[i];
        const char *f = FSTART(c->col);
        size_t n = (size_t)(FEND(c->col) - f);
        if (n == 0 || is_null(s, f, n))
            continue;
        const char *name = s->names[c->col];
        size_t nl = s->name_len[c->col];
        if (c->kind == KZ_SWF_URI) {
            const char *h = NULL;
            size_t hn = 0;
            if (s->host >= 0) {
                h = FSTART((uint32_t)s->host);
                hn = (size_t)(FEND((uint32_t)s->host) - h);
                if (is_null(s, h, hn))
                    hn = 0;
            }
            kz_sw_http_url(w, "url", 3, h, hn, f, n);
        } else if (c->vec) {
            kz_sw_values(w, (kz_swf_kind)c->kind, name, nl, f, n, s->set_sep);
        } else {
            kz_sw_value(w, (kz_swf_kind)c->kind, name, nl, f, n);
        }
    }
    if (s->resp_p >= 0 && kz_sw_has(w->env, KZ_IOC_IP_PORT)) {
        const char *a = FSTART((uint32_t)s->resp_h), *pt = FSTART((uint32_t)s->resp_p);
        size_t an = (size_t)(FEND((uint32_t)s->resp_h) - a);
        size_t pn = (size_t)(FEND((uint32_t)s->resp_p) - pt);
        if (!is_null(s, a, an) && !is_null(s, pt, pn))
            kz_sw_ip_port(w, "id.resp_h:id.resp_p", 19, a, an, pt, pn);
    }
#undef FSTART
#undef FEND
}

/* Makes the header gathered so far the schema in force. */
static void apply(kz_sw_worker *w, kz_sw_task *t, zhdr *h, kz_sw_schema **cur)
{
    h->dirty = false;
    kz_sw_schema *ns;
    if (zhdr_build(h, &ns) < 0) {
        w->out->oom = true;
        return;
    }
    if (ns->sig == (*cur)->sig) {
        kz_sw_schema_free(ns);
        return;
    }
    kz_sw_schema *kept;
    if (kz_sw_file_schema(t->file, ns, &kept) < 0) {
        w->out->oom = true;
        return;
    }
    *cur = kept;
}

void kz_sw_zeek_task(kz_sw_worker *w, kz_sw_task *t)
{
    kz_sw_schema *s = t->start;
    const char *p = t->data, *end = t->data + t->len;
    size_t max = w->env->max_line;
    uint32_t line = 0;
    uint32_t tabs[KZ_SW_MAX_FIELDS];
    zhdr h;
    bool hdr = false;
    while (p < end) {
        w->line = line;
        if (*p == '#') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)((nl ? nl : end) - p);
            if (n > max) {
                kz_sw_problem(w->out, line, KZ_E_TOOLARGE,
                              "line is longer than %zu bytes (%zu): skipped", max, n);
            } else if (kz_sw_line_garbage(p, n)) {
                kz_sw_problem(w->out, line, KZ_E_INVALID, "%s: header line skipped",
                              kz_sw_line_garbage(p, n));
            } else {
                if (!hdr) {
                    zhdr_from(&h, s);
                    hdr = true;
                }
                zhdr_line(&h, p, n);
            }
            line++;
            p = nl ? nl + 1 : end;
            continue;
        }
        if (hdr && h.dirty)
            apply(w, t, &h, &s);
        uint32_t ntab;
        bool bad;
        const char *le = scan_line(p, end, s->sep, tabs, &ntab, &bad);
        size_t n = (size_t)(le - p);
        if (n > max) {
            kz_sw_problem(w->out, line, KZ_E_TOOLARGE,
                          "line is longer than %zu bytes (%zu): skipped", max, n);
        } else if (bad && kz_sw_line_garbage(p, n)) {
            kz_sw_problem(w->out, line, KZ_E_INVALID, "%s: line skipped",
                          kz_sw_line_garbage(p, n));
        } else if (n == 0) {
            /* an empty line: nothing to look at */
        } else if (!s->have) {
            kz_sw_problem(w->out, line, KZ_E_INVALID,
                          "no #fields header before this line: skipped");
        } else if (ntab + 1 != s->nfields) {
            kz_sw_problem(w->out, line, KZ_E_INVALID,
                          "has %u fields, the #fields header names %zu: line skipped",
                          ntab + 1, s->nfields);
        } else {
            fields(w, s, p, le, tabs, ntab);
        }
        line++;
        p = le < end ? le + 1 : end;
    }
    if (hdr) {
        if (h.dirty)
            apply(w, t, &h, &s);
        zhdr_free(&h);
    }
    w->out->lines = line;
    w->out->bytes = t->len;
    t->end = s;
}
