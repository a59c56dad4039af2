/* test_sweep_property.c — the sweep engine against a naive reference, on
 * random indicator sets and random Zeek logs (dns and http paths in one
 * file, so the header changes mid-file too).
 *
 * The reference is written to be obviously right rather than fast: every
 * observed value is compared with every indicator in a linear scan;
 * addresses by their 16 bytes, networks by masking bit by bit, domains by
 * string equality and a suffix check on a label boundary, URLs by a small
 * canonicaliser of its own (scheme and host lower case, default port and
 * trailing dot dropped, %XX of unreserved characters decoded and the rest
 * upper-cased). IDN names go through libidn2 directly.
 *
 * The inputs are drawn to hit the edge cases: label boundaries (notevil.com
 * against evil.com), trailing dots, mixed case, IDN (straße.de against
 * xn--strae-oqa.de), IPv4-mapped IPv6 and non-canonical IPv6 text, /0,
 * /32 and /128 networks, nested and overlapping networks, URLs written with
 * escapes, upper case and default ports. Each round is swept three ways
 * (one thread; several threads with tiny chunks; gzip through the stream
 * reader) and each must equal the reference exactly.
 */
#include "kz_test.h"

#include "match/match.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- random ------------------------------------------------------------- */

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *pick(const char *const *v, size_t n)
{
    return v[rnd((uint32_t)n)];
}

/* ---- the indicator set -------------------------------------------------- */

typedef struct ioc {
    kz_ioc_type t;
    char v[256];
    uint8_t a[16]; /* address or network */
    int prefix;    /* of 128 */
    bool v4;
} ioc;

typedef struct set {
    ioc *v;
    size_t n;
} set;

static void put(set *s, kz_ioc_type t, const char *v)
{
    s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
    ioc *x = &s->v[s->n++];
    memset(x, 0, sizeof *x);
    x->t = t;
    snprintf(x->v, sizeof x->v, "%s", v);
    char addr[128];
    snprintf(addr, sizeof addr, "%s", v);
    char *slash = strchr(addr, '/');
    x->prefix = 128;
    if (slash) {
        *slash = '\0';
        x->prefix = atoi(slash + 1);
    }
    if (t == KZ_IOC_IPV4 || t == KZ_IOC_IPV6 || t == KZ_IOC_CIDR) {
        if (strchr(addr, ':')) {
            assert_int_equal(inet_pton(AF_INET6, addr, x->a), 1);
        } else {
            x->a[10] = x->a[11] = 0xff;
            assert_int_equal(inet_pton(AF_INET, addr, x->a + 12), 1);
            x->v4 = true;
            if (slash)
                x->prefix += 96;
        }
    }
}

static const char *const labels[] = {"a", "b", "evil", "notevil", "x-y", "_srv", "www", "cdn"};
static const char *const tlds[] = {"com", "org", "de"};

static void rand_domain(char *out, size_t n, int min_labels)
{
    int k = min_labels + (int)rnd(3);
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        strncat(out, pick(labels, KZ_ARRAY_LEN(labels)), n - strlen(out) - 1);
        strncat(out, ".", n - strlen(out) - 1);
    }
    strncat(out, pick(tlds, KZ_ARRAY_LEN(tlds)), n - strlen(out) - 1);
}

static void rand_ip4(char *out, size_t n)
{
    snprintf(out, n, "10.%u.%u.%u", rnd(3), rnd(4), rnd(8));
}

static void rand_ip6(char *out, size_t n)
{
    snprintf(out, n, "2001:db8::%x", rnd(3) * 0x100 + rnd(8));
}

static const char *const paths[] = {"/", "/a", "/a~b/c", "/x.php?id=1", "/dl/%2Fetc", "/A-Z_0.9"};

static set make_set(void)
{
    set s = {0};
    char b[256], d[200];
    int nd = 10 + (int)rnd(20);
    for (int i = 0; i < nd; i++) {
        rand_domain(b, sizeof b, 1);
        put(&s, rnd(4) ? KZ_IOC_DOMAIN : KZ_IOC_HOSTNAME, b);
    }
    put(&s, KZ_IOC_DOMAIN, "xn--strae-oqa.de");
    for (int i = 0; i < 8; i++) {
        rand_ip4(b, sizeof b);
        put(&s, KZ_IOC_IPV4, b);
        rand_ip6(b, sizeof b);
        put(&s, KZ_IOC_IPV6, b);
    }
    static const char *const nets4[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.4/30",
                                        "10.1.2.5/32", "10.2.0.0/15", "10.1.3.0/25"};
    static const char *const nets6[] = {"2001:db8::/32", "2001:db8::/64", "2001:db8::100/120",
                                        "2001:db8::5/128", "2001:db8::200/127"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(nets4); i++)
        if (rnd(2))
            put(&s, KZ_IOC_CIDR, nets4[i]);
    for (size_t i = 0; i < KZ_ARRAY_LEN(nets6); i++)
        if (rnd(2))
            put(&s, KZ_IOC_CIDR, nets6[i]);
    if (rnd(3) == 0)
        put(&s, KZ_IOC_CIDR, "0.0.0.0/0");
    if (rnd(3) == 0)
        put(&s, KZ_IOC_CIDR, "::/0");
    for (int i = 0; i < 6; i++) {
        if (rnd(3))
            rand_domain(d, sizeof d, 1);
        else
            rand_ip4(d, sizeof d);
        snprintf(b, sizeof b, "http://%s%s", d, pick(paths, KZ_ARRAY_LEN(paths)));
        put(&s, KZ_IOC_URL, b);
    }
    return s;
}

static kz_match_index *build(const set *s)
{
    kz_match_builder *b = kz_match_builder_new();
    for (size_t i = 0; i < s->n; i++) {
        char id[32];
        snprintf(id, sizeof id, "i%zu", i);
        kz_match_entry e = {.indicator_id = id,
                            .type = s->v[i].t,
                            .value = s->v[i].v,
                            .tlp = KZ_TLP_GREEN,
                            .to_ids = true};
        kz_err err;
        if (kz_match_builder_add(b, &e, &err) != 0)
            fail_msg("add %s: %s", s->v[i].v, err.msg);
    }
    kz_match_index *idx;
    kz_err err;
    assert_int_equal(kz_match_build(b, &idx, &err), 0);
    kz_match_builder_free(b);
    return idx;
}

/* ---- results: "line|field|kind|indicator", sorted ----------------------- */

typedef struct res {
    char **v;
    size_t n;
} res;

static void res_add(res *r, uint64_t line, const char *field, const char *kind, size_t which)
{
    char *s = NULL;
    assert_true(asprintf(&s, "%06llu|%s|%s|i%zu", (unsigned long long)line, field, kind, which) >
                0);
    r->v = realloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n++] = s;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void res_free(res *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

static void res_same(res *want, res *got, const char *how)
{
    qsort(want->v, want->n, sizeof *want->v, cmp);
    qsort(got->v, got->n, sizeof *got->v, cmp);
    size_t i = 0;
    while (i < want->n && i < got->n && strcmp(want->v[i], got->v[i]) == 0)
        i++;
    if (i == want->n && i == got->n)
        return;
    print_message("%s: reference %zu hits, engine %zu; first difference at %zu:\n", how,
                  want->n, got->n, i);
    for (size_t k = i; k < i + 5 && (k < want->n || k < got->n); k++)
        print_message("  want %-50s  got %s\n", k < want->n ? want->v[k] : "-",
                      k < got->n ? got->v[k] : "-");
    fail_msg("engine and reference differ (seed %llu)", (unsigned long long)rng);
}

/* ---- the reference ------------------------------------------------------- */

typedef struct ref {
    const set *s;
    res *r;
    uint64_t line;
} ref;

static bool ref_addr(const char *s, size_t n, uint8_t a[16], bool *v4)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(a, 0, 16);
    if (strchr(tmp, ':')) {
        if (strchr(tmp, '%') || inet_pton(AF_INET6, tmp, a) != 1)
            return false;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        *v4 = memcmp(a, mapped, 12) == 0;
        return true;
    }
    a[10] = a[11] = 0xff;
    *v4 = true;
    return inet_pton(AF_INET, tmp, a + 12) == 1;
}

static bool in_net(const uint8_t a[16], const uint8_t net[16], int prefix)
{
    for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >> (bit % 8);
        if ((a[bit / 8] & mask) != (net[bit / 8] & mask))
            return false;
    }
    return true;
}

static void ref_ip(ref *x, const char *field, const char *s, size_t n, const char *k_exact,
                   const char *k_cidr)
{
    uint8_t a[16];
    bool v4;
    if (!ref_addr(s, n, a, &v4))
        return;
    for (size_t i = 0; i < x->s->n; i++) {
        const ioc *c = &x->s->v[i];
        if ((c->t == KZ_IOC_IPV4 || c->t == KZ_IOC_IPV6) && memcmp(c->a, a, 16) == 0)
            res_add(x->r, x->line, field, k_exact, i);
    }
    for (size_t i = 0; i < x->s->n; i++) {
        const ioc *c = &x->s->v[i];
        if (c->t == KZ_IOC_CIDR && c->v4 == v4 && in_net(a, c->a, c->prefix))
            res_add(x->r, x->line, field, k_cidr, i);
    }
}

static void ref_domain(ref *x, const char *field, const char *s, size_t n, const char *k_exact,
                       const char *k_sub)
{
    char d[1024];
    if (n == 0 || n >= sizeof d)
        return;
    memcpy(d, s, n);
    d[n] = '\0';
    if (n > 1 && d[n - 1] == '.')
        d[--n] = '\0';
    bool ascii = true;
    for (size_t i = 0; i < n; i++)
        ascii &= (unsigned char)d[i] < 0x80;
    if (!ascii) {
        char *out = NULL;
        if (idn2_lookup_u8((const uint8_t *)d, (uint8_t **)&out, IDN2_NONTRANSITIONAL) != IDN2_OK) {
            idn2_free(out);
            return;
        }
        snprintf(d, sizeof d, "%s", out);
        idn2_free(out);
        n = strlen(d);
    }
    if (n == 0 || n > 253)
        return;
    for (size_t i = 0; i < n; i++) {
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] + 32);
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.", d[i]))
            return;
    }
    for (size_t i = 0; i < x->s->n; i++) {
        const ioc *c = &x->s->v[i];
        if (c->t != KZ_IOC_DOMAIN && c->t != KZ_IOC_HOSTNAME)
            continue;
        size_t vl = strlen(c->v);
        if (strcmp(d, c->v) == 0)
            res_add(x->r, x->line, field, k_exact, i);
        else if (c->t == KZ_IOC_DOMAIN && n > vl && d[n - vl - 1] == '.' &&
                 strcmp(d + n - vl, c->v) == 0)
            res_add(x->r, x->line, field, k_sub, i);
    }
}

static void ref_host(ref *x, const char *field, const char *s, size_t n)
{
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close)
            ref_ip(x, field, s + 1, (size_t)(close - s - 1), "exact", "cidr");
        return;
    }
    const char *colon = memchr(s, ':', n);
    if (colon) {
        const char *rest = colon + 1;
        size_t rn = n - (size_t)(rest - s);
        if (memchr(rest, ':', rn)) {
            ref_ip(x, field, s, n, "exact", "cidr");
            return;
        }
        n = (size_t)(colon - s);
    }
    uint8_t a[16];
    bool v4;
    if (!memchr(s, ':', n) && ref_addr(s, n, a, &v4))
        ref_ip(x, field, s, n, "exact", "cidr");
    else
        ref_domain(x, field, s, n, "exact", "subdomain");
}

/* The canonical text of a URL's path and query: %XX of an unreserved
 * character decoded, other escapes in upper case. */
static void canon_path(const char *p, char *out, size_t n)
{
    size_t o = 0;
    if (!*p)
        p = "/";
    for (; *p && o + 4 < n; p++) {
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            int v = (int)strtol(hex, NULL, 16);
            if (isalnum(v) || v == '-' || v == '.' || v == '_' || v == '~') {
                out[o++] = (char)v;
            } else {
                out[o++] = '%';
                out[o++] = (char)toupper((unsigned char)p[1]);
                out[o++] = (char)toupper((unsigned char)p[2]);
            }
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* host[:port] lower-cased, trailing dot and the scheme's default port
 * dropped; v6 in brackets, canonical. */
static void canon_host(const char *scheme, const char *h, size_t n, char *out, size_t on)
{
    char host[300], port[16] = "";
    if (n && h[0] == '[') {
        const char *close = memchr(h, ']', n);
        char a6[64];
        size_t k = (size_t)(close - h - 1);
        memcpy(a6, h + 1, k);
        a6[k] = '\0';
        uint8_t b[16];
        char txt[64] = "?";
        if (inet_pton(AF_INET6, a6, b) == 1)
            inet_ntop(AF_INET6, b, txt, sizeof txt);
        snprintf(host, sizeof host, "[%s]", txt);
        if (close + 1 < h + n && close[1] == ':')
            snprintf(port, sizeof port, "%.*s", (int)(h + n - close - 2), close + 2);
    } else {
        const char *colon = memchr(h, ':', n);
        size_t hl = colon ? (size_t)(colon - h) : n;
        snprintf(host, sizeof host, "%.*s", (int)hl, h);
        if (colon)
            snprintf(port, sizeof port, "%.*s", (int)(n - hl - 1), colon + 1);
        size_t l = strlen(host);
        if (l > 1 && host[l - 1] == '.')
            host[l - 1] = '\0';
        for (char *c = host; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    if ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
        (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0))
        port[0] = '\0';
    snprintf(out, on, "%s%s%s", host, port[0] ? ":" : "", port);
}

static void ref_url_exact(ref *x, const char *field, const char *url, const char *kind)
{
    for (size_t i = 0; i < x->s->n; i++)
        if (x->s->v[i].t == KZ_IOC_URL && strcmp(x->s->v[i].v, url) == 0)
            res_add(x->r, x->line, field, kind, i);
}

/* A whole URL "scheme://host[:port]/path": exact, then its host. */
static void ref_url(ref *x, const char *field, const char *u)
{
    const char *sep = strstr(u, "://");
    if (!sep)
        return;
    char scheme[16];
    snprintf(scheme, sizeof scheme, "%.*s", (int)(sep - u), u);
    for (char *c = scheme; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *h = sep + 3;
    size_t hn = strcspn(h, "/?#");
    char host[300], path[600], url[1000];
    canon_host(scheme, h, hn, host, sizeof host);
    canon_path(h + hn, path, sizeof path);
    snprintf(url, sizeof url, "%s://%s%s", scheme, host, path);
    ref_url_exact(x, field, url, "exact");
    /* the host alone, without port and brackets */
    char bare[300];
    snprintf(bare, sizeof bare, "%s", host);
    if (bare[0] == '[') {
        *strchr(bare, ']') = '\0';
        ref_ip(x, field, bare + 1, strlen(bare + 1), "url-host", "url-host");
        return;
    }
    char *colon = strchr(bare, ':');
    if (colon)
        *colon = '\0';
    uint8_t a[16];
    bool v4;
    if (ref_addr(bare, strlen(bare), a, &v4))
        ref_ip(x, field, bare, strlen(bare), "url-host", "url-host");
    else
        ref_domain(x, field, bare, strlen(bare), "url-host", "url-host");
}

/* ---- the log ----------------------------------------------------------- */

static const char *const obs_labels[] = {"a", "b", "evil", "notevil", "x-y", "_srv", "www",
                                         "cdn", "straße", "Straße", "a*b", "EVIL"};

/* A name near the indicators: one of them with labels added or changed. */
static void obs_domain(const set *s, char *out, size_t n)
{
    char base[256];
    if (rnd(3)) {
        const ioc *c;
        do
            c = &s->v[rnd((uint32_t)s->n)];
        while (c->t != KZ_IOC_DOMAIN && c->t != KZ_IOC_HOSTNAME);
        snprintf(base, sizeof base, "%s", c->v);
        if (strcmp(base, "xn--strae-oqa.de") == 0 && rnd(2))
            snprintf(base, sizeof base, "%s", rnd(2) ? "straße.de" : "Straße.de");
    } else {
        rand_domain(base, sizeof base, 1);
    }
    out[0] = '\0';
    int extra = (int)rnd(3);
    for (int i = 0; i < extra; i++) {
        strncat(out, pick(obs_labels, KZ_ARRAY_LEN(obs_labels)), n - strlen(out) - 1);
        strncat(out, rnd(4) ? "." : "", n - strlen(out) - 1); /* glued: "notevil.com" */
    }
    strncat(out, base, n - strlen(out) - 1);
    for (char *p = out; *p; p++)
        if (rnd(6) == 0 && *p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    if (rnd(5) == 0)
        strncat(out, ".", n - strlen(out) - 1);
}

/* An address near the indicators, in one of its spellings. */
static void obs_ip(char *out, size_t n)
{
    switch (rnd(6)) {
    case 0:
    case 1:
        rand_ip4(out, n);
        break;
    case 2: { /* IPv4-mapped IPv6 */
        char v4[32];
        rand_ip4(v4, sizeof v4);
        snprintf(out, n, "%s%s", rnd(2) ? "::ffff:" : "::FFFF:", v4);
        break;
    }
    case 3:
        rand_ip6(out, n);
        break;
    case 4: /* long form, upper case */
        snprintf(out, n, "2001:0DB8:0000:0000:0000:0000:0000:%04X", rnd(3) * 0x100 + rnd(8));
        break;
    default:
        snprintf(out, n, "%u.%u.%u.%u", 10 + rnd(2) * 182, rnd(256), rnd(256), rnd(256));
        break;
    }
}

static void obs_url_host(const set *s, char *out, size_t n)
{
    char h[256];
    switch (rnd(4)) {
    case 0:
        rand_ip4(h, sizeof h);
        break;
    case 1: {
        char a[64];
        rand_ip6(a, sizeof a);
        snprintf(h, sizeof h, "[%s]", a);
        break;
    }
    default: { /* a URL indicator's host, or a random name */
        const ioc *c = &s->v[rnd((uint32_t)s->n)];
        if (c->t == KZ_IOC_URL) {
            const char *p = c->v + 7;
            snprintf(h, sizeof h, "%.*s", (int)strcspn(p, "/"), p);
        } else {
            rand_domain(h, sizeof h, 1);
        }
        if (rnd(3) == 0)
            for (char *p = h; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        if (rnd(5) == 0 && isalpha((unsigned char)h[strlen(h) - 1])) /* not after an address */
            strncat(h, ".", sizeof h - strlen(h) - 1);
        break;
    }
    }
    snprintf(out, n, "%s%s", h, rnd(4) == 0 ? ":80" : "");
}

/* A path as a client might write it: escapes where the indicator has none. */
static void obs_path(char *out, size_t n)
{
    const char *p = pick(paths, KZ_ARRAY_LEN(paths));
    size_t o = 0;
    for (; *p && o + 4 < n; p++) {
        if (*p == '~' && rnd(2)) {
            memcpy(out + o, rnd(2) ? "%7E" : "%7e", 3);
            o += 3;
        } else if (*p == '%' && rnd(2)) {
            out[o++] = '%';
            out[o++] = (char)tolower((unsigned char)p[1]);
            out[o++] = (char)tolower((unsigned char)p[2]);
            p += 2;
        } else if (*p == '-' && rnd(3) == 0) {
            memcpy(out + o, "%2D", 3);
            o += 3;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* Writes the log and fills the reference's results. */
static void make_log(const set *s, size_t lines, kz_buf *log, res *want)
{
    ref x = {.s = s, .r = want};
    uint64_t ln = 0;
    bool dns = true;
    size_t left = 0;
    while (ln < lines) {
        if (left == 0) {
            dns = rnd(2);
            left = 20 + rnd(200);
            if (dns)
                kz_buf_puts(log, "#separator \\x09\n#set_separator\t,\n#path\tdns\n"
                                 "#fields\tts\tid.resp_h\tquery\tanswers\n"
                                 "#types\ttime\taddr\tstring\tvector[string]\n");
            else
                kz_buf_puts(log, "#separator \\x09\n#path\thttp\n"
                                 "#fields\tts\tid.resp_h\thost\turi\treferrer\n"
                                 "#types\ttime\taddr\tstring\tstring\tstring\n");
            ln += 5 - !dns;
            continue;
        }
        left--;
        x.line = ++ln;
        char ip[64];
        obs_ip(ip, sizeof ip);
        if (dns) {
            char q[300], ans[1000] = "";
            obs_domain(s, q, sizeof q);
            int na = (int)rnd(4);
            for (int i = 0; i < na; i++) {
                char a[300];
                if (rnd(2))
                    obs_ip(a, sizeof a);
                else
                    obs_domain(s, a, sizeof a);
                if (i)
                    strcat(ans, ",");
                strcat(ans, a);
            }
            kz_buf_printf(log, "%llu.0\t%s\t%s\t%s\n", (unsigned long long)ln, ip, q,
                          na ? ans : "-");
            ref_ip(&x, "id.resp_h", ip, strlen(ip), "exact", "cidr");
            ref_host(&x, "query", q, strlen(q));
            for (char *p = ans, *e; na && p; p = e ? e + 1 : NULL) {
                e = strchr(p, ',');
                ref_host(&x, "answers", p, e ? (size_t)(e - p) : strlen(p));
            }
        } else {
            char host[300], uri[300], refr[700], url[1000], h[300];
            obs_url_host(s, host, sizeof host);
            obs_path(uri, sizeof uri);
            obs_url_host(s, h, sizeof h);
            char rp[300];
            obs_path(rp, sizeof rp);
            snprintf(refr, sizeof refr, "%s://%s%s", rnd(3) ? "http" : "HTTP", h, rp);
            kz_buf_printf(log, "%llu.0\t%s\t%s\t%s\t%s\n", (unsigned long long)ln, ip, host, uri,
                          refr);
            ref_ip(&x, "id.resp_h", ip, strlen(ip), "exact", "cidr");
            ref_host(&x, "host", host, strlen(host));
            char hc[300], pc[600];
            canon_host("http", host, strlen(host), hc, sizeof hc);
            canon_path(uri, pc, sizeof pc);
            snprintf(url, sizeof url, "http://%s%s", hc, pc);
            ref_url_exact(&x, "url", url, "exact");
            ref_url(&x, "referrer", refr);
        }
    }
}

/* ---- the engine -------------------------------------------------------- */

typedef struct got {
    const kz_match_index *idx;
    res r;
    uint64_t last_line;
    bool ordered;
} got;

static bool on_hit(void *ctx, const kz_sweep_hit *h)
{
    got *g = ctx;
    kz_match_payload p;
    assert_true(kz_match_payload_get(g->idx, h->payload, &p));
    if (h->line < g->last_line)
        g->ordered = false;
    g->last_line = h->line;
    res_add(&g->r, h->line, h->field, kz_match_kind_name(h->kind),
            (size_t)strtoul(p.indicator_id + 1, NULL, 10));
    return true;
}

static void on_problem(void *ctx, const kz_sweep_problem *p)
{
    (void)ctx;
    fail_msg("unexpected problem at line %llu: %s", (unsigned long long)p->line, p->msg);
}

static void engine_run(const kz_match_index *idx, const char *path, const kz_buf *log,
                       unsigned threads, size_t chunk, res *out)
{
    got g = {.idx = idx, .ordered = true};
    kz_sweep_opts o = {.format = KZ_SWEEP_AUTO,
                       .threads = threads,
                       .chunk_bytes = chunk,
                       .on_hit = on_hit,
                       .on_problem = on_problem,
                       .ctx = &g};
    kz_sweep_stats st;
    kz_err err;
    if (path) {
        const char *files[] = {path};
        assert_int_equal(kz_sweep_files(idx, files, 1, &o, &st, &err), 0);
    } else {
        assert_int_equal(kz_sweep_mem(idx, "m", log->p, log->len, &o, &st, &err), 0);
    }
    assert_true(g.ordered);
    assert_int_equal(st.errors, 0);
    *out = g.r;
}

static void test_property(void **state)
{
    (void)state;
    char *dir = kz_test_mkdtemp();
    assert_non_null(dir);
    char gz[600];
    snprintf(gz, sizeof gz, "%s/log.gz", dir);
    size_t total_hits = 0, total_lines = 0;
    /* KZ_SWEEP_ROUNDS=N runs more rounds (new seeds) by hand */
    const char *env = getenv("KZ_SWEEP_ROUNDS");
    uint64_t rounds = env && atoi(env) > 0 ? (uint64_t)atoi(env) : 40;
    for (uint64_t round = 1; round <= rounds; round++) {
        rng = 0x9E3779B97F4A7C15ULL * round;
        set s = make_set();
        kz_match_index *idx = build(&s);
        kz_buf log;
        kz_buf_init(&log);
        res want = {0};
        size_t lines = 500 + rnd(1500);
        make_log(&s, lines, &log, &want);
        total_lines += lines;
        total_hits += want.n;

        res a, b;
        engine_run(idx, NULL, &log, 1, 0, &a);
        res_same(&want, &a, "one thread");
        engine_run(idx, NULL, &log, 3, 200 + rnd(800), &b);
        res_same(&want, &b, "three threads, small chunks");
        res_free(&b);
        if (round % 4 == 0) {
            gzFile g = gzopen(gz, "wb");
            assert_non_null(g);
            assert_int_equal(gzwrite(g, log.p, (unsigned)log.len), (int)log.len);
            gzclose(g);
            engine_run(idx, gz, NULL, 2, 300 + rnd(500), &b);
            res_same(&want, &b, "gzip stream");
            res_free(&b);
        }
        res_free(&a);
        res_free(&want);
        kz_buf_free(&log);
        kz_match_index_free(idx);
        free(s.v);
    }
    print_message("property: %llu rounds, %zu lines, %zu reference hits\n",
                  (unsigned long long)rounds, total_lines, total_hits);
    assert_true(total_hits > 1000);
    kz_test_rmdir(dir);
    free(dir);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
