/* sweep_value.c — one value of a log line against the index. This is the
 * hot path of a sweep: addresses are parsed straight into 16 bytes and
 * domain names lower-cased into a stack buffer, then handed to the index's
 * own fast lookups; nothing is formatted or allocated unless there is a hit.
 * Values that need the full normaliser (URLs, e-mail, IDN names) go through
 * kz_ioc_normalize into the worker's reused buffer, and only when the index
 * holds a type they could match.
 *
 * A worker remembers the IPv4 addresses and domain names that missed, in
 * small direct-mapped caches: logs repeat the same hosts on line after line,
 * and a remembered miss costs one compare instead of a hash-table probe.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sweep_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOMAIN 253

/* ---- recording hits ----------------------------------------------------- */

static int32_t wl_find_cached(kz_sw_worker *w, uint32_t payload, const kz_match_payload *p)
{
    const kz_sw_env *e = w->env;
    int32_t v = atomic_load_explicit(&e->wl_cache[payload], memory_order_relaxed);
    if (v == INT32_MIN) {
        v = kz_match_warninglist_find(e->o->wl, p->type, p->value);
        atomic_store_explicit(&e->wl_cache[payload], v, memory_order_relaxed);
    }
    return v;
}

/* The warninglist a hit is on: the one recorded with the indicator, else
 * the loaded lists on the indicator's value, else (when the observed value
 * differs from the listed one) on the observed value. */
static const char *hit_warninglist(kz_sw_worker *w, const kz_match_hit *h, kz_ioc_type vt,
                                   const char *value)
{
    const kz_sw_env *e = w->env;
    kz_match_payload p;
    if (!kz_match_payload_get(e->idx, h->payload, &p))
        return NULL;
    if (e->o->payload_warninglist) {
        const char *name = e->o->payload_warninglist(&p);
        if (name)
            return name;
    }
    if (!e->o->wl)
        return NULL;
    int32_t i = wl_find_cached(w, h->payload, &p);
    if (i < 0 && h->kind != KZ_MATCH_EXACT)
        i = kz_match_warninglist_find(e->o->wl, vt, value);
    return i >= 0 && (size_t)i < e->nwl ? e->wl_names[i] : NULL;
}

static bool text_add(kz_sw_out *o, const char *s, size_t n, uint32_t *off)
{
    if (o->text.len + n + 1 > UINT32_MAX || kz_buf_reserve(&o->text, n + 1) < 0)
        return false;
    *off = (uint32_t)o->text.len;
    memcpy(o->text.p + o->text.len, s, n);
    o->text.len += n;
    o->text.p[o->text.len++] = '\0';
    o->text.p[o->text.len] = '\0';
    return true;
}

static void record(kz_sw_worker *w, const char *fname, size_t fn, const char *val, size_t vn,
                   kz_ioc_type vt, const kz_match_hit *hits, size_t nh)
{
    kz_sw_out *o = w->out;
    uint32_t foff, voff;
    if (!text_add(o, fname, fn, &foff) || !text_add(o, val, vn, &voff)) {
        o->oom = true;
        return;
    }
    for (size_t i = 0; i < nh; i++) {
        if (o->nrec == o->caprec) {
            size_t nc = o->caprec ? o->caprec * 2 : 16;
            kz_sw_rec *r = realloc(o->rec, nc * sizeof *r);
            if (!r) {
                o->oom = true;
                return;
            }
            o->rec = r;
            o->caprec = nc;
        }
        kz_sw_rec r = {
            .line = w->line,
            .field = foff,
            .value = voff,
            .payload = hits[i].payload,
            .wl = hit_warninglist(w, &hits[i], vt, o->text.p + voff),
            .kind = (uint8_t)hits[i].kind,
            .vtype = (uint8_t)vt,
        };
        const kz_sweep_opts *opt = w->env->o;
        if (opt->format_hit) {
            kz_sweep_hit h = {.field = o->text.p + foff,
                              .value = o->text.p + voff,
                              .value_type = vt,
                              .kind = hits[i].kind,
                              .payload = hits[i].payload,
                              .warninglist = r.wl};
            kz_buf_reset(&w->fmt);
            if (!opt->format_hit(opt->ctx, &h, &w->fmt))
                continue;
            if (!text_add(o, w->fmt.p ? w->fmt.p : "", w->fmt.len, &r.text)) {
                o->oom = true;
                return;
            }
            r.text_len = (uint32_t)w->fmt.len;
        }
        o->rec[o->nrec++] = r;
    }
}

/* Runs a lookup that may have more hits than the stack array holds. */
typedef size_t (*lookup_fn)(const kz_match_index *idx, const void *a, const void *b, size_t n,
                            kz_match_hit *hits, size_t max);

static void record_all(kz_sw_worker *w, const char *fname, size_t fn, const char *val, size_t vn,
                       kz_ioc_type vt, size_t total, lookup_fn fn_again, const void *a,
                       const void *b, size_t n)
{
    if (total <= KZ_SW_HITS) {
        record(w, fname, fn, val, vn, vt, w->hits, total);
        return;
    }
    kz_match_hit *big = malloc(total * sizeof *big);
    if (!big) {
        w->out->oom = true;
        return;
    }
    size_t got = fn_again(w->env->idx, a, b, n, big, total);
    record(w, fname, fn, val, vn, vt, big, got < total ? got : total);
    free(big);
}

/* ---- addresses --------------------------------------------------------- */

bool kz_sw_parse_ip4(const char *s, size_t n, uint8_t out[16])
{
    if (n < 7 || n > 15)
        return false;
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (p >= e)
            return false;
        unsigned v = (unsigned)*p - '0';
        if (v > 9)
            return false;
        p++;
        if (p < e && (unsigned)*p - '0' <= 9) { /* a second digit: no leading zero */
            if (v == 0)
                return false;
            v = v * 10 + (*p++ - '0');
            if (p < e && (unsigned)*p - '0' <= 9) {
                v = v * 10 + (*p++ - '0');
                if (v > 255)
                    return false;
            }
        }
        addr = addr << 8 | v;
        if (part < 3) {
            if (p >= e || *p != '.')
                return false;
            p++;
        }
    }
    if (p != e)
        return false;
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    out[12] = (uint8_t)(addr >> 24);
    out[13] = (uint8_t)(addr >> 16);
    out[14] = (uint8_t)(addr >> 8);
    out[15] = (uint8_t)addr;
    return true;
}

static bool parse_ip6(const char *s, size_t n, uint8_t out[16])
{
    char tmp[INET6_ADDRSTRLEN];
    if (n < 2 || n >= sizeof tmp || memchr(s, '%', n))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, out) == 1;
}

static size_t again_ip(const kz_match_index *idx, const void *a, const void *b, size_t n,
                       kz_match_hit *hits, size_t max)
{
    (void)b;
    (void)n;
    return kz_match_lookup_ip(idx, a, hits, max);
}

static void lookup_ip(kz_sw_worker *w, const char *fname, size_t fn, const kz_ip *ip,
                      const char *text, size_t tn)
{
    uint64_t key = 0, *slot = NULL;
    if (ip->v4) {
        uint32_t a;
        memcpy(&a, ip->b + 12, 4);
        if (!kz_sw_filter_v4(&w->env->filter, ip->b))
            return;
        key = (uint64_t)1 << 32 | a;
        slot = &w->ip4_miss[(a * 2654435761u) >> 18 & (KZ_SW_IP4_CACHE - 1)];
        if (*slot == key)
            return;
    }
    size_t total = kz_match_lookup_ip(w->env->idx, ip, w->hits, KZ_SW_HITS);
    if (total == 0) {
        if (slot)
            *slot = key;
        return;
    }
    char canon[64];
    if (!ip->v4 || memchr(text, ':', tn)) { /* canonical text: one address, one value */
        kz_ip_format(ip, canon);
        text = canon;
        tn = strlen(canon);
    }
    record_all(w, fname, fn, text, tn, ip->v4 ? KZ_IOC_IPV4 : KZ_IOC_IPV6, total, again_ip, ip,
               NULL, 0);
}

/* A bare address (v4, v6, v4-mapped v6); false when s is not one. */
static bool parse_addr(const char *s, size_t n, kz_ip *ip)
{
    if (n && memchr(s, ':', n)) {
        if (!parse_ip6(s, n, ip->b))
            return false;
        ip->v4 = kz_mip_is_v4(ip->b);
        return true;
    }
    if (!kz_sw_parse_ip4(s, n, ip->b))
        return false;
    ip->v4 = true;
    return true;
}

static void value_ip(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    kz_ip ip;
    if (parse_addr(s, n, &ip))
        lookup_ip(w, fname, fn, &ip, s, n);
}

/* ---- domain names ------------------------------------------------------- */

static size_t again_domain(const kz_match_index *idx, const void *a, const void *b, size_t n,
                           kz_match_hit *hits, size_t max)
{
    (void)b;
    return kz_match_lookup_domain(idx, a, n, hits, max);
}

/* What a byte of a domain name folds to: lower case for letters, itself
 * for digits, '-', '_' and '.', 0 for anything else. */
static const unsigned char fold_tab[256] = {
    ['-'] = '-', ['.'] = '.', ['_'] = '_',
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
#define L(c) [c] = c, [c - 32] = c
    L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
    L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
    L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
};

/* Lower-cases a name into out (MAX_DOMAIN + 1 bytes) without its trailing
 * dot; 1 when it is plain ASCII, 2 when it holds other bytes (IDN: for the
 * normaliser), 0 when it cannot be a name. */
static int fold_domain(const char *s, size_t n, char *out, size_t *on)
{
    if (n > 1 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > MAX_DOMAIN * 4)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = fold_tab[u[i]];
        if (!c || i >= MAX_DOMAIN) { /* not a plain name: IDN if any byte is not ASCII */
            for (size_t k = i; k < n; k++)
                if (u[k] >= 0x80)
                    return 2;
            return 0;
        }
        out[i] = (char)c;
    }
    *on = n;
    return 1;
}

#define MAX_PARENTS 32

/* Whether the name or a parent (on a label boundary, the top label left
 * out as the index leaves it out) may be listed. All the filter blocks are
 * requested before the first is tested, so their cache misses overlap. h0
 * is the name's own filter hash. */
static bool domain_maybe(const kz_sw_env *e, const char *d, size_t n, uint64_t h0)
{
    const kz_sw_filter *f = &e->filter;
    uint64_t h[MAX_PARENTS];
    size_t k = 0;
    h[k++] = h0;
    kz_sw_filter_prefetch(f, h0);
    const char *last = memrchr(d, '.', n);
    size_t end = last && !e->idx->one_label ? (size_t)(last - d) : n;
    for (size_t i = 0; i < end; i++)
        if (d[i] == '.' && i + 1 < n) {
            if (k == MAX_PARENTS)
                return true; /* a name this deep: let the index answer */
            h[k] = kz_sw_fhash(KZ_M_NS_DOMAIN, d + i + 1, n - i - 1);
            kz_sw_filter_prefetch(f, h[k]);
            k++;
        }
    for (size_t i = 0; i < k; i++)
        if (kz_sw_filter_maybe(f, h[i]))
            return true;
    return false;
}

static void lookup_domain(kz_sw_worker *w, const char *fname, size_t fn, const char *d, size_t n)
{
    if (!memchr(d, '.', n) && !w->env->idx->one_label)
        return;
    uint64_t h = kz_sw_fhash(KZ_M_NS_DOMAIN, d, n);
    uint64_t key = h | 1;
    uint64_t *slot = &w->dom_miss[key >> 50 & (KZ_SW_DOM_CACHE - 1)];
    if (*slot == key)
        return;
    if (!domain_maybe(w->env, d, n, h)) {
        *slot = key;
        return;
    }
    size_t total = kz_match_lookup_domain(w->env->idx, d, n, w->hits, KZ_SW_HITS);
    if (total == 0) {
        *slot = h;
        return;
    }
    record_all(w, fname, fn, d, n, KZ_IOC_DOMAIN, total, again_domain, d, NULL, n);
}

static void value_domain(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    char buf[MAX_DOMAIN + 1];
    size_t bn = 0;
    switch (fold_domain(s, n, buf, &bn)) {
    case 1:
        lookup_domain(w, fname, fn, buf, bn);
        return;
    case 2: { /* an internationalised name: punycode, as the index holds it */
        kz_err err;
        if (kz_ioc_normalize(KZ_IOC_HOSTNAME, s, n, &w->norm, &err) == 0 && w->norm.len <= MAX_DOMAIN)
            lookup_domain(w, fname, fn, w->norm.p, w->norm.len);
        return;
    }
    default:
        return;
    }
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* A host: an address, "[v6]", a name, each maybe with ":port" (HTTP Host). */
static void value_host(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close)
            value_ip(w, fname, fn, s + 1, (size_t)(close - s - 1));
        return;
    }
    const char *colon = memchr(s, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
        if (!all_digits(colon + 1, n - (size_t)(colon - s) - 1))
            return;
        n = (size_t)(colon - s); /* host:port */
    } else if (colon) {
        value_ip(w, fname, fn, s, n);
        return;
    }
    if (n && s[n - 1] >= '0' && s[n - 1] <= '9') {
        kz_ip ip;
        if (kz_sw_parse_ip4(s, n, ip.b)) {
            ip.v4 = true;
            lookup_ip(w, fname, fn, &ip, s, n);
            return;
        }
    }
    value_domain(w, fname, fn, s, n);
}

/* ---- strings looked up as they are (after normalising) ----------------- */

static size_t again_str(const kz_match_index *idx, const void *a, const void *b, size_t n,
                        kz_match_hit *hits, size_t max)
{
    return kz_match_lookup(idx, *(const kz_ioc_type *)b, a, n, hits, max);
}

/* Normalises s as type t and looks it up (URLs: exact, then by host). */
static void lookup_norm(kz_sw_worker *w, const char *fname, size_t fn, kz_ioc_type t,
                        const char *s, size_t n)
{
    if (n == 0 || n > KZ_SW_MAX_VALUE)
        return;
    kz_err err;
    if (kz_ioc_normalize(t, s, n, &w->norm, &err) < 0)
        return;
    size_t total = kz_match_lookup(w->env->idx, t, w->norm.p, w->norm.len, w->hits, KZ_SW_HITS);
    if (total)
        record_all(w, fname, fn, w->norm.p, w->norm.len, t, total, again_str, w->norm.p, &t,
                   w->norm.len);
}

/* The exact string key only (no host fallback), s already normalised. */
static void lookup_exact(kz_sw_worker *w, const char *fname, size_t fn, kz_ioc_type t,
                         const char *s, size_t n)
{
    const kz_match_index *idx = w->env->idx;
    if (!kz_sw_filter_maybe(&w->env->filter, kz_sw_fhash((uint8_t)t, s, n)))
        return;
    const kz_mstr_slot *sl = kz_mstrtab_find(&idx->str, idx->pool.p, (uint8_t)t, s, n);
    if (!sl)
        return;
    const uint32_t *vals = kz_mpost_vals(idx->str.post, &sl->post, sl->count);
    kz_match_hit *hits = sl->count <= KZ_SW_HITS ? w->hits : malloc(sl->count * sizeof *hits);
    if (!hits) {
        w->out->oom = true;
        return;
    }
    for (uint32_t i = 0; i < sl->count; i++)
        hits[i] = (kz_match_hit){.kind = KZ_MATCH_EXACT, .payload = vals[i]};
    record(w, fname, fn, s, n, t, hits, sl->count);
    if (hits != w->hits)
        free(hits);
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

static void value_hash(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    kz_ioc_type t;
    switch (n) {
    case 32: t = KZ_IOC_MD5; break;
    case 40: t = KZ_IOC_SHA1; break;
    case 64: t = KZ_IOC_SHA256; break;
    case 128: t = KZ_IOC_SHA512; break;
    default: return;
    }
    if (!kz_sw_has(w->env, t) || !is_hex(s, n))
        return;
    char low[128];
    for (size_t i = 0; i < n; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] + 32) : s[i];
    lookup_exact(w, fname, fn, t, low, n);
}

static void value_email(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    if (!kz_sw_has(w->env, KZ_IOC_EMAIL))
        return;
    const char *lt = memchr(s, '<', n);
    if (lt) { /* "Name <addr>" */
        const char *gt = memchr(lt, '>', n - (size_t)(lt - s));
        if (!gt)
            return;
        n = (size_t)(gt - lt - 1);
        s = lt + 1;
    }
    if (n && memchr(s, '@', n))
        lookup_norm(w, fname, fn, KZ_IOC_EMAIL, s, n);
}

/* The CN of a distinguished name ("CN=*.evil.com,O=..."), as a host. */
static void value_dn(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++) {
        if ((i == 0 || s[i - 1] == ',') && memcmp(s + i, "CN=", 3) == 0) {
            size_t st = i + 3, e = st;
            while (e < n && s[e] != ',' && s[e] != '\\')
                e++;
            if (e - st > 2 && s[st] == '*' && s[st + 1] == '.')
                st += 2;
            value_host(w, fname, fn, s + st, e - st);
            return;
        }
    }
}

/* ---- guessing ----------------------------------------------------------- */

static bool looks_domain(const char *s, size_t n)
{
    const char *dot = memrchr(s, '.', n);
    if (!dot || dot == s + n - 1)
        return false;
    /* the top label must hold a letter (not a number, not a file extension
     * is beyond knowing) */
    for (const char *p = dot + 1; p < s + n; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80)
            return true;
    return false;
}

static void value_auto(kz_sw_worker *w, const char *fname, size_t fn, const char *s, size_t n)
{
    if (n == 0 || n > KZ_SW_MAX_VALUE)
        return;
    if (memmem(s, n, "://", 3)) {
        lookup_norm(w, fname, fn, KZ_IOC_URL, s, n);
        return;
    }
    if (memchr(s, '@', n)) {
        value_email(w, fname, fn, s, n);
        return;
    }
    const char *slash = memchr(s, '/', n);
    if (slash) {
        kz_ip net;
        int prefix;
        if (kz_cidr_parse(s, n, &net, &prefix) == 0) {
            lookup_norm(w, fname, fn, KZ_IOC_CIDR, s, n);
            return;
        }
        size_t hn = (size_t)(slash - s);
        kz_ip ip;
        if (hn && (looks_domain(s, hn) || kz_sw_parse_ip4(s, hn, ip.b)))
            lookup_norm(w, fname, fn, KZ_IOC_URL, s, n); /* host/path, taken as http */
        return;
    }
    kz_ip ip;
    if (parse_addr(s, n, &ip)) {
        lookup_ip(w, fname, fn, &ip, s, n);
        return;
    }
    const char *colon = memrchr(s, ':', n);
    if (colon && all_digits(colon + 1, n - (size_t)(colon - s) - 1)) { /* ip:port, [v6]:port */
        const char *h = s;
        size_t hn = (size_t)(colon - s);
        if (hn > 2 && h[0] == '[' && h[hn - 1] == ']') {
            h++;
            hn -= 2;
        }
        if (parse_addr(h, hn, &ip)) {
            kz_sw_ip_port(w, fname, fn, h, hn, colon + 1, n - (size_t)(colon - s) - 1);
            lookup_ip(w, fname, fn, &ip, h, hn);
        } else if (looks_domain(h, hn)) {
            value_domain(w, fname, fn, h, hn);
        }
        return;
    }
    if ((n == 32 || n == 40 || n == 64 || n == 128) && is_hex(s, n)) {
        value_hash(w, fname, fn, s, n);
        return;
    }
    if (looks_domain(s, n))
        value_domain(w, fname, fn, s, n);
}

/* ---- entry points ------------------------------------------------------- */

void kz_sw_value(kz_sw_worker *w, kz_swf_kind kind, const char *fname, size_t fn, const char *s,
                 size_t n)
{
    if (n == 0)
        return;
    switch (kind) {
    case KZ_SWF_IP:
        value_ip(w, fname, fn, s, n);
        break;
    case KZ_SWF_HOST:
        value_host(w, fname, fn, s, n);
        break;
    case KZ_SWF_URL:
        lookup_norm(w, fname, fn, KZ_IOC_URL, s, n);
        break;
    case KZ_SWF_URI:
        if ((n > 7 && memcmp(s, "http://", 7) == 0) || (n > 8 && memcmp(s, "https://", 8) == 0))
            lookup_norm(w, fname, fn, KZ_IOC_URL, s, n);
        break;
    case KZ_SWF_HASH:
        value_hash(w, fname, fn, s, n);
        break;
    case KZ_SWF_EMAIL:
        value_email(w, fname, fn, s, n);
        break;
    case KZ_SWF_FILENAME:
        if (kz_sw_has(w->env, KZ_IOC_FILENAME))
            lookup_norm(w, fname, fn, KZ_IOC_FILENAME, s, n);
        break;
    case KZ_SWF_UA:
        if (kz_sw_has(w->env, KZ_IOC_USER_AGENT))
            lookup_norm(w, fname, fn, KZ_IOC_USER_AGENT, s, n);
        break;
    case KZ_SWF_DN:
        value_dn(w, fname, fn, s, n);
        break;
    case KZ_SWF_AUTO:
        value_auto(w, fname, fn, s, n);
        break;
    case KZ_SWF_NONE:
        break;
    }
}

void kz_sw_values(kz_sw_worker *w, kz_swf_kind kind, const char *fname, size_t fn,
                  const char *s, size_t n, char sep)
{
    const char *end = s + n;
    while (s < end) {
        const char *e = memchr(s, sep, (size_t)(end - s));
        if (!e)
            e = end;
        kz_sw_value(w, kind, fname, fn, s, (size_t)(e - s));
        s = e + 1;
    }
}

/* Whether a listed URL may have this host (as the normaliser will write
 * it: lower case, no trailing dot, no port). Hosts the quick folding cannot
 * settle (IPv6, IDN, odd bytes) are let through to the normaliser. */
static bool url_host_maybe(kz_sw_worker *w, const char *h, size_t n)
{
    if (n == 0 || h[0] == '[')
        return true;
    const char *colon = memchr(h, ':', n);
    if (colon)
        n = (size_t)(colon - h);
    char buf[MAX_DOMAIN + 1];
    size_t bn;
    if (fold_domain(h, n, buf, &bn) != 1)
        return true;
    return kz_sw_filter_maybe(&w->env->filter, kz_sw_fhash(KZ_SW_NS_URL_HOST, buf, bn));
}

void kz_sw_http_url(kz_sw_worker *w, const char *fname, size_t fn, const char *host, size_t hn,
                    const char *uri, size_t un)
{
    if (!kz_sw_has(w->env, KZ_IOC_URL) || un == 0)
        return;
    if ((un > 7 && memcmp(uri, "http://", 7) == 0) || (un > 8 && memcmp(uri, "https://", 8) == 0)) {
        lookup_norm(w, fname, fn, KZ_IOC_URL, uri, un);
        return;
    }
    if (hn == 0 || uri[0] != '/' || hn + un + 7 > KZ_SW_MAX_VALUE || !url_host_maybe(w, host, hn))
        return;
    char buf[KZ_SW_MAX_VALUE];
    memcpy(buf, "http://", 7);
    memcpy(buf + 7, host, hn);
    memcpy(buf + 7 + hn, uri, un);
    kz_err err;
    if (kz_ioc_normalize(KZ_IOC_URL, buf, 7 + hn + un, &w->norm, &err) < 0)
        return;
    lookup_exact(w, fname, fn, KZ_IOC_URL, w->norm.p, w->norm.len);
}

void kz_sw_ip_port(kz_sw_worker *w, const char *fname, size_t fn, const char *ip, size_t in,
                   const char *port, size_t pn)
{
    if (!kz_sw_has(w->env, KZ_IOC_IP_PORT) || pn == 0 || pn > 5 || !all_digits(port, pn) ||
        (pn > 1 && port[0] == '0'))
        return;
    unsigned p = 0;
    for (size_t i = 0; i < pn; i++)
        p = p * 10 + (unsigned)(port[i] - '0');
    if (p > 65535)
        return;
    char key[80];
    size_t kn;
    kz_ip a;
    if (kz_sw_parse_ip4(ip, in, a.b)) {
        if (!kz_sw_filter_v4port(&w->env->filter, a.b))
            return;
        memcpy(key, ip, in);
        kn = in;
    } else if (w->env->filter.v6port && memchr(ip, ':', in) && parse_ip6(ip, in, a.b)) {
        a.v4 = kz_mip_is_v4(a.b);
        key[0] = '[';
        kz_ip_format(&a, key + 1);
        kn = strlen(key);
        if (a.v4) { /* a mapped address is written as IPv4 */
            kz_ip_format(&a, key);
            kn = strlen(key);
        } else {
            key[kn++] = ']';
        }
    } else {
        return;
    }
    key[kn++] = ':';
    memcpy(key + kn, port, pn);
    kn += pn;
    lookup_exact(w, fname, fn, KZ_IOC_IP_PORT, key, kn);
}
