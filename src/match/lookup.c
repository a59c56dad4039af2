/* lookup.c — what a value matches in a built index. Each kind of value goes
 * to its structure: addresses to the exact table and then the CIDR set,
 * domains to the string table once per parent on a label boundary, URLs to
 * the string table and then by host, everything else to the string table
 * under its type's namespace. Lookups only read the index, so any number of
 * threads may run them on one index at once.
 */
#include "match_int.h"

#include <string.h>

typedef struct acc {
    const kz_match_index *idx;
    kz_match_hit *hits;
    size_t max, n;
    kz_match_kind kind;
} acc;

static void push(acc *a, kz_match_kind kind, const uint32_t *vals, uint32_t count,
                 bool skip_hostnames)
{
    for (uint32_t i = 0; i < count; i++) {
        if (skip_hostnames && a->idx->rec[vals[i]].type == KZ_IOC_HOSTNAME)
            continue;
        if (a->n < a->max)
            a->hits[a->n] = (kz_match_hit){.kind = kind, .payload = vals[i]};
        a->n++;
    }
}

static bool net_hit(void *ctx, const kz_mnet *net, const uint32_t *vals)
{
    acc *a = ctx;
    push(a, a->kind, vals, net->count, false);
    return true;
}

static void ip_hits(acc *a, const uint8_t addr[16], kz_match_kind exact, kz_match_kind cidr)
{
    const kz_match_index *idx = a->idx;
    const kz_mip_slot *sl = kz_miptab_find(&idx->ip, addr);
    if (sl)
        push(a, exact, kz_mpost_vals(idx->ip.post, &sl->post, sl->count), sl->count, false);
    a->kind = cidr;
    kz_mcidr_walk(&idx->cidr, addr, 128, net_hit, a);
}

static void str_hits(acc *a, uint8_t ns, const char *s, size_t n, kz_match_kind kind,
                     bool skip_hostnames)
{
    const kz_match_index *idx = a->idx;
    const kz_mstr_slot *sl = kz_mstrtab_find(&idx->str, idx->pool.p, ns, s, n);
    if (sl)
        push(a, kind, kz_mpost_vals(idx->str.post, &sl->post, sl->count), sl->count,
             skip_hostnames);
}

/* The name itself, then each parent: "a.b.evil.com" asks for b.evil.com,
 * evil.com and com. Only domain indicators cover their subdomains. All the
 * slots are requested from memory before the first is compared, so their
 * cache misses overlap instead of queueing. */
#define MAX_PROBES 32

static void domain_hits(acc *a, const char *d, size_t n, kz_match_kind exact, kz_match_kind sub)
{
    const kz_mstrtab *t = &a->idx->str;
    const char *last = memrchr(d, '.', n);
    size_t end = last && !a->idx->one_label ? (size_t)(last - d) : n;
    size_t start[MAX_PROBES];
    uint64_t h[MAX_PROBES];
    size_t np = 0;
    start[np++] = 0;
    for (size_t i = 0; i < end && np < MAX_PROBES; i++)
        if (d[i] == '.' && i + 1 < n)
            start[np++] = i + 1;
    for (size_t k = 0; k < np; k++) {
        h[k] = kz_mstr_hash(t, KZ_M_NS_DOMAIN, d + start[k], n - start[k]);
        kz_mstrtab_prefetch(t, h[k]);
    }
    for (size_t k = 0; k < np; k++) {
        const kz_mstr_slot *sl = kz_mstrtab_find_h(t, a->idx->pool.p, KZ_M_NS_DOMAIN,
                                                   d + start[k], n - start[k], h[k]);
        if (sl)
            push(a, k == 0 ? exact : sub, kz_mpost_vals(t->post, &sl->post, sl->count),
                 sl->count, k > 0);
    }
    /* a name of more than 32 labels: the rest, one at a time */
    for (size_t i = np < MAX_PROBES ? n : start[np - 1]; i < end; i++)
        if (d[i] == '.' && i + 1 < n)
            str_hits(a, KZ_M_NS_DOMAIN, d + i + 1, n - i - 1, sub, true);
}

static void url_hits(acc *a, const char *url, size_t n)
{
    str_hits(a, (uint8_t)KZ_IOC_URL, url, n, KZ_MATCH_EXACT, false);
    /* kz_url_host wants a C string; the caller's value may be a slice */
    char tmp[KZ_M_MAX_KEY + 1], host[256];
    if (memchr(url, '\0', n))
        return;
    memcpy(tmp, url, n);
    tmp[n] = '\0';
    if (!kz_url_host(tmp, host, sizeof host))
        return;
    size_t hn = strlen(host);
    kz_ip ip;
    if (kz_ip_parse(host, hn, &ip) == 0)
        ip_hits(a, ip.b, KZ_MATCH_URL_HOST, KZ_MATCH_URL_HOST);
    else
        domain_hits(a, host, hn, KZ_MATCH_URL_HOST, KZ_MATCH_URL_HOST);
}

typedef struct net_acc {
    acc *a;
    int prefix;
} net_acc;

static bool wider_hit(void *ctx, const kz_mnet *net, const uint32_t *vals)
{
    net_acc *na = ctx;
    push(na->a, net->prefix == na->prefix ? KZ_MATCH_EXACT : KZ_MATCH_CIDR, vals, net->count,
         false);
    return true;
}

size_t kz_match_lookup_ip(const kz_match_index *idx, const kz_ip *ip, kz_match_hit *hits,
                          size_t max)
{
    if (!idx || !ip)
        return 0;
    acc a = {.idx = idx, .hits = hits, .max = hits ? max : 0};
    ip_hits(&a, ip->b, KZ_MATCH_EXACT, KZ_MATCH_CIDR);
    return a.n;
}

size_t kz_match_lookup_domain(const kz_match_index *idx, const char *domain, size_t n,
                              kz_match_hit *hits, size_t max)
{
    if (!idx || !domain)
        return 0;
    acc a = {.idx = idx, .hits = hits, .max = hits ? max : 0};
    domain_hits(&a, domain, n, KZ_MATCH_EXACT, KZ_MATCH_SUBDOMAIN);
    return a.n;
}

size_t kz_match_lookup(const kz_match_index *idx, kz_ioc_type t, const char *value, size_t n,
                       kz_match_hit *hits, size_t max)
{
    if (!idx || !value || n == 0 || n > KZ_M_MAX_KEY)
        return 0;
    acc a = {.idx = idx, .hits = hits, .max = hits ? max : 0};
    kz_ip ip;
    int prefix;
    switch (t) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
        if (kz_ip_parse(value, n, &ip) == 0)
            ip_hits(&a, ip.b, KZ_MATCH_EXACT, KZ_MATCH_CIDR);
        break;
    case KZ_IOC_CIDR:
        if (kz_cidr_parse(value, n, &ip, &prefix) < 0)
            break;
        if (prefix == 128) { /* a host network is its one address */
            const kz_mip_slot *sl = kz_miptab_find(&idx->ip, ip.b);
            if (sl)
                push(&a, KZ_MATCH_EXACT, kz_mpost_vals(idx->ip.post, &sl->post, sl->count),
                     sl->count, false);
        }
        net_acc na = {.a = &a, .prefix = prefix};
        kz_mcidr_walk(&idx->cidr, ip.b, prefix, wider_hit, &na);
        break;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME:
        domain_hits(&a, value, n, KZ_MATCH_EXACT, KZ_MATCH_SUBDOMAIN);
        break;
    case KZ_IOC_URL:
        url_hits(&a, value, n);
        break;
    default:
        if ((unsigned)t < KZ_IOC__COUNT)
            str_hits(&a, (uint8_t)t, value, n, KZ_MATCH_EXACT, false);
        break;
    }
    return a.n;
}

int kz_match_lookup_raw(const kz_match_index *idx, const char *s, size_t n, kz_match_hit *hits,
                        size_t max, size_t *total, kz_ioc_type *type, kz_err *err)
{
    if (total)
        *total = 0;
    if (!s)
        n = 0;
    int t = kz_ioc_guess(s, n);
    if (t < 0) {
        char q[80];
        size_t m = n > 64 ? 64 : n;
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            q[k++] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) ? '?' : s[i];
        q[k] = '\0';
        return kz_fail(err, KZ_E_VALUE, "value", "'%s%s' is not a recognisable indicator", q,
                       m < n ? "..." : "");
    }
    kz_buf norm;
    kz_buf_init(&norm);
    int rc = kz_ioc_normalize((kz_ioc_type)t, s, n, &norm, err);
    if (rc == 0) {
        size_t c = kz_match_lookup(idx, (kz_ioc_type)t, norm.p, norm.len, hits, max);
        if (total)
            *total = c;
        if (type)
            *type = (kz_ioc_type)t;
    }
    kz_buf_free(&norm);
    return rc;
}

bool kz_match_payload_get(const kz_match_index *idx, uint32_t i, kz_match_payload *out)
{
    if (!idx || i >= idx->nrec || !out)
        return false;
    const kz_mrec *r = &idx->rec[i];
    const char *p = idx->pool.p;
    *out = (kz_match_payload){
        .indicator_id = p + r->indicator,
        .event_id = r->event == KZ_M_NONE ? NULL : p + r->event,
        .org_id = r->org == KZ_M_NONE ? NULL : p + r->org,
        .value = p + r->value,
        .tags = r->tags == KZ_M_NONE ? NULL : p + r->tags,
        .type = (kz_ioc_type)r->type,
        .tlp = (kz_tlp)r->tlp,
        .to_ids = r->to_ids != 0,
    };
    return true;
}

const char *kz_match_kind_name(kz_match_kind k)
{
    switch (k) {
    case KZ_MATCH_EXACT: return "exact";
    case KZ_MATCH_CIDR: return "cidr";
    case KZ_MATCH_SUBDOMAIN: return "subdomain";
    case KZ_MATCH_URL_HOST: return "url-host";
    }
    return "unknown";
}
