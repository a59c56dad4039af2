/* builder.c — turns entries into an index. Every entry becomes one payload
 * record (its ids and tags interned in the string pool, so the thousands of
 * indicators of one event share one copy of the event id, org id and tag
 * text) and one key in the table its type belongs to. Keys are added to the
 * final tables as entries arrive; building only flattens the chains of
 * payloads into postings and hands the memory to the index, so a build costs
 * little more than the adds.
 */
#include "match_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ID 255
#define MAX_TAGS 65535

struct kz_match_builder {
    kz_mpool pool;
    kz_mstrtab intern; /* ids and tags: a set over the pool */
    kz_mrec *rec;
    size_t nrec, reccap;
    kz_mstrtab str;
    kz_mnodes str_nodes;
    kz_miptab ip;
    kz_mnodes ip_nodes;
    kz_mcidr cidr;
    bool one_label;
};

static uint64_t random_seed(void)
{
    uint64_t s;
    kz_random_bytes(&s, sizeof s);
    return s;
}

static void reset(kz_match_builder *b)
{
    kz_mpool_free(&b->pool);
    kz_mstrtab_free(&b->intern);
    free(b->rec);
    b->rec = NULL;
    b->nrec = b->reccap = 0;
    kz_mstrtab_free(&b->str);
    kz_mnodes_free(&b->str_nodes);
    kz_miptab_free(&b->ip);
    kz_mnodes_free(&b->ip_nodes);
    kz_mcidr_free(&b->cidr);
    b->intern.seed = random_seed();
    b->str.seed = random_seed();
    b->ip.seed = random_seed();
    b->one_label = false;
}

kz_match_builder *kz_match_builder_new(void)
{
    kz_match_builder *b = calloc(1, sizeof *b);
    if (b)
        reset(b);
    return b;
}

void kz_match_builder_free(kz_match_builder *b)
{
    if (!b)
        return;
    reset(b);
    free(b);
}

/* A value for a message: at most 64 bytes, cut on a character boundary,
 * control characters shown as '?'. s is valid UTF-8. */
static const char *quote(const char *s, size_t n, char out[80])
{
    size_t m = n > 64 ? 64 : n;
    while (m < n && m > 0 && ((unsigned char)s[m] & 0xc0) == 0x80)
        m--;
    for (size_t i = 0; i < m; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    strcpy(out + m, m < n ? "..." : "");
    return out;
}

static int check_text(const char *s, size_t max, bool required, const char *field, kz_err *err)
{
    if (!s) {
        if (required)
            return kz_fail(err, KZ_E_INVALID, field, "match entry: the %s is missing", field);
        return KZ_OK;
    }
    size_t n = strnlen(s, max + 1);
    if (n == 0)
        return kz_fail(err, KZ_E_INVALID, field, "match entry: the %s is empty", field);
    if (n > max)
        return kz_fail(err, KZ_E_INVALID, field, "match entry: the %s is longer than %zu bytes",
                       field, max);
    if (!kz_utf8_valid(s, n))
        return kz_fail(err, KZ_E_INVALID, field, "match entry: the %s is not valid UTF-8", field);
    return KZ_OK;
}

static int intern(kz_match_builder *b, const char *s, uint32_t *off)
{
    if (!s) {
        *off = KZ_M_NONE;
        return KZ_OK;
    }
    return kz_mstrtab_add(&b->intern, &b->pool, NULL, KZ_M_NS_INTERN, s, strlen(s), 0, off);
}

static int nomem(kz_err *err, int rc)
{
    if (rc == KZ_E_TOOLARGE)
        return kz_fail(err, rc, NULL, "match index: too many entries (4 GiB of text or 2^32 "
                                      "values)");
    return kz_fail(err, rc, NULL, "match index: out of memory");
}

/* The table key of a value: where it goes and in which form. */
typedef struct vkey {
    enum { K_STR, K_IP, K_NET } where;
    kz_ip ip;
    int prefix;
    uint8_t ns;
} vkey;

static int value_key(const kz_match_entry *e, size_t n, vkey *k, kz_err *err)
{
    char q[80];
    switch (e->type) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
        k->where = K_IP;
        if (kz_ip_parse(e->value, n, &k->ip) < 0 || k->ip.v4 != (e->type == KZ_IOC_IPV4))
            return kz_fail(err, KZ_E_VALUE, "value", "indicator '%s': '%s' is not an %s address",
                           e->indicator_id, quote(e->value, n, q),
                           e->type == KZ_IOC_IPV4 ? "IPv4" : "IPv6");
        return KZ_OK;
    case KZ_IOC_CIDR:
        k->where = K_NET;
        if (kz_cidr_parse(e->value, n, &k->ip, &k->prefix) < 0)
            return kz_fail(err, KZ_E_VALUE, "value", "indicator '%s': '%s' is not a CIDR network",
                           e->indicator_id, quote(e->value, n, q));
        return KZ_OK;
    default:
        k->where = K_STR;
        k->ns = e->type == KZ_IOC_HOSTNAME ? KZ_M_NS_DOMAIN : (uint8_t)e->type;
        return KZ_OK;
    }
}

int kz_match_builder_add(kz_match_builder *b, const kz_match_entry *e, kz_err *err)
{
    if (!b || !e)
        return kz_fail(err, KZ_E_INVALID, NULL, "match entry: no entry given");
    int rc;
    if ((rc = check_text(e->indicator_id, MAX_ID, true, "indicator id", err)) < 0 ||
        (rc = check_text(e->event_id, MAX_ID, false, "event id", err)) < 0 ||
        (rc = check_text(e->org_id, MAX_ID, false, "org id", err)) < 0 ||
        (rc = check_text(e->tags, MAX_TAGS, false, "tags", err)) < 0)
        return rc;
    if ((unsigned)e->type >= KZ_IOC__COUNT)
        return kz_fail(err, KZ_E_INVALID, "type", "indicator '%s': unknown type %d",
                       e->indicator_id, (int)e->type);
    if ((unsigned)e->tlp > KZ_TLP_RED)
        return kz_fail(err, KZ_E_INVALID, "tlp", "indicator '%s': unknown TLP %d",
                       e->indicator_id, (int)e->tlp);
    if (!e->value)
        return kz_fail(err, KZ_E_VALUE, "value", "indicator '%s': the value is missing",
                       e->indicator_id);
    size_t n = strnlen(e->value, KZ_M_MAX_KEY + 1);
    if (n == 0)
        return kz_fail(err, KZ_E_VALUE, "value", "indicator '%s': the value is empty",
                       e->indicator_id);
    if (n > KZ_M_MAX_KEY)
        return kz_fail(err, KZ_E_VALUE, "value",
                       "indicator '%s': the value is longer than %d bytes", e->indicator_id,
                       KZ_M_MAX_KEY);
    if (!kz_utf8_valid(e->value, n))
        return kz_fail(err, KZ_E_VALUE, "value", "indicator '%s': the value is not valid UTF-8",
                       e->indicator_id);
    vkey k;
    if ((rc = value_key(e, n, &k, err)) < 0)
        return rc;
    if (b->nrec >= UINT32_MAX - 1)
        return nomem(err, KZ_E_TOOLARGE);
    if (b->nrec == b->reccap) {
        size_t nc = b->reccap ? b->reccap * 2 : 1024;
        kz_mrec *r = realloc(b->rec, nc * sizeof *r);
        if (!r)
            return nomem(err, KZ_E_NOMEM);
        b->rec = r;
        b->reccap = nc;
    }

    kz_mrec r = {.type = (uint8_t)e->type, .tlp = (uint8_t)e->tlp, .to_ids = e->to_ids};
    if ((rc = kz_mpool_add(&b->pool, e->indicator_id, strlen(e->indicator_id), &r.indicator)) < 0 ||
        (rc = intern(b, e->event_id, &r.event)) < 0 || (rc = intern(b, e->org_id, &r.org)) < 0 ||
        (rc = intern(b, e->tags, &r.tags)) < 0)
        return nomem(err, rc);
    uint32_t id = (uint32_t)b->nrec;
    switch (k.where) {
    case K_STR:
        if (k.ns == KZ_M_NS_DOMAIN && !memchr(e->value, '.', n))
            b->one_label = true;
        rc = kz_mstrtab_add(&b->str, &b->pool, &b->str_nodes, k.ns, e->value, n, id, &r.value);
        break;
    case K_IP:
        rc = kz_mpool_add(&b->pool, e->value, n, &r.value);
        if (rc == 0)
            rc = kz_miptab_add(&b->ip, &b->ip_nodes, k.ip.b, id);
        break;
    case K_NET:
        rc = kz_mpool_add(&b->pool, e->value, n, &r.value);
        if (rc == 0)
            rc = kz_mcidr_add_net(&b->cidr, &k.ip, k.prefix, id);
        break;
    }
    if (rc < 0)
        return nomem(err, rc);
    b->rec[b->nrec++] = r;
    return KZ_OK;
}

int kz_match_build(kz_match_builder *b, kz_match_index **out, kz_err *err)
{
    if (!b || !out)
        return kz_fail(err, KZ_E_INVALID, NULL, "match index: no builder given");
    *out = NULL;
    int rc;
    if ((rc = kz_mstrtab_finish(&b->str, &b->str_nodes)) < 0 ||
        (rc = kz_miptab_finish(&b->ip, &b->ip_nodes)) < 0 || (rc = kz_mcidr_finish(&b->cidr)) < 0)
        goto fail;
    kz_match_index *idx = calloc(1, sizeof *idx);
    if (!idx) {
        rc = KZ_E_NOMEM;
        goto fail;
    }
    atomic_init(&idx->refs, 1);
    /* hand the memory over, trimmed to size */
    idx->pool = b->pool;
    if (idx->pool.len && idx->pool.len < idx->pool.cap) {
        char *p = realloc(idx->pool.p, idx->pool.len);
        if (p) {
            idx->pool.p = p;
            idx->pool.cap = idx->pool.len;
        }
    }
    idx->rec = b->rec;
    idx->nrec = b->nrec;
    if (b->nrec && b->nrec < b->reccap) {
        kz_mrec *r = realloc(idx->rec, b->nrec * sizeof *r);
        if (r)
            idx->rec = r;
    }
    idx->str = b->str;
    idx->ip = b->ip;
    idx->cidr = b->cidr;
    idx->one_label = b->one_label;
    memset(&b->pool, 0, sizeof b->pool);
    b->rec = NULL;
    b->nrec = b->reccap = 0;
    memset(&b->str, 0, sizeof b->str);
    memset(&b->ip, 0, sizeof b->ip);
    memset(&b->cidr, 0, sizeof b->cidr);
    reset(b);
    *out = idx;
    return KZ_OK;
fail:
    reset(b);
    return nomem(err, rc);
}

static void index_destroy(kz_match_index *idx)
{
    kz_mpool_free(&idx->pool);
    free(idx->rec);
    kz_mstrtab_free(&idx->str);
    kz_miptab_free(&idx->ip);
    kz_mcidr_free(&idx->cidr);
    free(idx);
}

/* The release half of the reference count: the decrement releases this
 * thread's reads of the index, and the thread that brings it to zero also
 * acquires everyone else's, so every reader's last read happens before the
 * free. (acq_rel on the decrement rather than release plus an acquire fence:
 * the same guarantee, and one ThreadSanitizer understands.) */
void kz_match_release(const kz_match_index *cidx)
{
    if (!cidx)
        return;
    kz_match_index *idx = (kz_match_index *)cidx;
    if (atomic_fetch_sub_explicit(&idx->refs, 1, memory_order_acq_rel) == 1)
        index_destroy(idx);
}

void kz_match_index_free(kz_match_index *idx)
{
    kz_match_release(idx);
}

void kz_match_index_stats(const kz_match_index *idx, kz_match_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!idx)
        return;
    out->payloads = idx->nrec;
    out->addresses = idx->ip.used;
    out->networks = idx->cidr.n;
    out->strings = idx->str.used;
    size_t strcap = idx->str.slot ? idx->str.mask + 1 : 0;
    size_t ipcap = idx->ip.slot ? idx->ip.mask + 1 : 0;
    out->bytes = sizeof *idx + idx->pool.cap + idx->nrec * sizeof *idx->rec +
                 strcap * sizeof(kz_mstr_slot) + idx->str.postcap * sizeof(uint32_t) +
                 ipcap * sizeof(kz_mip_slot) + idx->ip.postcap * sizeof(uint32_t) +
                 idx->cidr.n * sizeof(kz_mnet) + idx->cidr.npost * sizeof(uint32_t);
}
