/* match_int.h — the building blocks that the files of src/match share: an
 * append-only string pool, multimaps from a key to a list of 32-bit values
 * (string keys, 16-byte addresses, CIDR networks) and a substring automaton.
 * The indicator index maps keys to payload records, the warninglists map
 * them to list numbers; both are built with the same pieces.
 *
 * A multimap is filled with chains (one node per added value) and then
 * "finished": chains become contiguous postings, a key with one value keeps
 * it inline. After finishing, a table is read-only and needs no locks.
 */
#ifndef KZ_MATCH_INT_H
#define KZ_MATCH_INT_H

#include "match.h"

#include <stdatomic.h>

#define KZ_M_NONE UINT32_MAX
#define KZ_M_MAX_KEY 8192 /* bytes of one key: kz_ioc_normalize's limit */

/* ---- string pool: NUL-terminated strings addressed by 32-bit offsets ---- */

typedef struct kz_mpool {
    char *p;
    size_t len, cap;
} kz_mpool;

/* Appends s (n bytes) and a NUL; KZ_E_TOOLARGE past 4 GiB. */
int kz_mpool_add(kz_mpool *p, const void *s, size_t n, uint32_t *off);
/* The same with a namespace byte in front; *off is that byte's offset. */
int kz_mpool_add_ns(kz_mpool *p, uint8_t ns, const void *s, size_t n, uint32_t *off);
void kz_mpool_free(kz_mpool *p);

/* ---- chains of values while building ---------------------------------- */

typedef struct kz_mnode {
    uint32_t val, next;
} kz_mnode;

typedef struct kz_mnodes {
    kz_mnode *v;
    size_t n, cap;
} kz_mnodes;

/* Pushes val in front of chain *head; returns the new node or KZ_M_NONE. */
uint32_t kz_mnodes_push(kz_mnodes *ns, uint32_t val, uint32_t head);
void kz_mnodes_free(kz_mnodes *ns);

/* Turns a chain (newest first) of count values into postings in insertion
 * order: one value stays inline in *post, more go to post_arr at *npost. */
int kz_mpost_flatten(const kz_mnodes *ns, uint32_t *post, uint32_t count, uint32_t **post_arr,
                     size_t *npost, size_t *cap);

/* ---- string multimap: (namespace byte, text) -> values ----------------- */

/* tag: high bits of the hash, len: key length; both compared before the
 * pool is touched, so a miss rarely costs more than the slot's cache line. */
typedef struct kz_mstr_slot {
    uint16_t tag;
    uint16_t len;
    uint32_t key;   /* pool offset of the namespace byte; the text follows */
    uint32_t post;  /* the value (count 1), an index into post[], or a chain */
    uint32_t count; /* 0 = empty slot */
} kz_mstr_slot;

typedef struct kz_mstrtab {
    kz_mstr_slot *slot;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t used;
    uint32_t *post;
    size_t npost, postcap;
    uint64_t seed;
} kz_mstrtab;

uint64_t kz_mstr_hash(const kz_mstrtab *t, uint8_t ns, const char *s, size_t n);
/* Adds val under (ns, s). nodes NULL makes it a set (intern table): no value
 * is stored. *key gets the pool offset of the key's text (after the
 * namespace byte), shared by every value of the key. */
int kz_mstrtab_add(kz_mstrtab *t, kz_mpool *pool, kz_mnodes *nodes, uint8_t ns, const char *s,
                   size_t n, uint32_t val, uint32_t *key);
int kz_mstrtab_finish(kz_mstrtab *t, const kz_mnodes *nodes);
const kz_mstr_slot *kz_mstrtab_find(const kz_mstrtab *t, const char *pool, uint8_t ns,
                                    const char *s, size_t n);
/* The same with the hash already computed (kz_mstr_hash), and a hint to
 * load a hash's slot early: a domain lookup asks for several parents at
 * once, and overlapping their cache misses is most of its speed. */
const kz_mstr_slot *kz_mstrtab_find_h(const kz_mstrtab *t, const char *pool, uint8_t ns,
                                      const char *s, size_t n, uint64_t h);
void kz_mstrtab_prefetch(const kz_mstrtab *t, uint64_t h);
void kz_mstrtab_free(kz_mstrtab *t);

/* ---- address multimap: 16-byte address -> values ---------------------- */

typedef struct kz_mip_slot {
    uint8_t a[16];
    uint32_t post;
    uint32_t count; /* 0 = empty */
} kz_mip_slot;

typedef struct kz_miptab {
    kz_mip_slot *slot;
    size_t mask, used;
    uint32_t *post;
    size_t npost, postcap;
    uint64_t seed;
} kz_miptab;

int kz_miptab_add(kz_miptab *t, kz_mnodes *nodes, const uint8_t a[16], uint32_t val);
int kz_miptab_finish(kz_miptab *t, const kz_mnodes *nodes);
const kz_mip_slot *kz_miptab_find(const kz_miptab *t, const uint8_t a[16]);
void kz_miptab_free(kz_miptab *t);

/* Values of a finished slot. */
static inline const uint32_t *kz_mpost_vals(const uint32_t *post_arr, const uint32_t *post,
                                            uint32_t count)
{
    return count == 1 ? post : post_arr + *post;
}

/* ---- CIDR set: every listed network containing an address ------------- */

/* Networks sorted by (first address, prefix); parent is the nearest listed
 * network that contains this one. The networks containing an address are
 * the last network starting at or before it and that network's ancestors
 * (listed networks nest or are disjoint), so a lookup is one binary search
 * and a walk up at most 128 parents. */
typedef struct kz_mnet {
    uint64_t hi, lo; /* first address, host order halves */
    uint32_t parent; /* KZ_M_NONE at the top */
    uint32_t post, count;
    uint8_t prefix;  /* of 128 */
    bool v4;         /* inside ::ffff:0:0/96 with prefix >= 96 */
} kz_mnet;

typedef struct kz_mcidr_add {
    uint64_t hi, lo;
    uint32_t val;
    uint8_t prefix;
} kz_mcidr_add;

typedef struct kz_mcidr {
    kz_mnet *net;
    size_t n;
    uint32_t *post;
    size_t npost;
    kz_mcidr_add *pend; /* while building */
    size_t npend, pendcap;
} kz_mcidr;

int kz_mcidr_add_net(kz_mcidr *c, const kz_ip *net, int prefix128, uint32_t val);
int kz_mcidr_finish(kz_mcidr *c);
/* Calls fn for every listed network of the address's family that contains
 * a and has a prefix <= max_prefix (128 for an address), most specific
 * first; stops when fn returns false. */
typedef bool (*kz_mcidr_fn)(void *ctx, const kz_mnet *net, const uint32_t *vals);
void kz_mcidr_walk(const kz_mcidr *c, const uint8_t a[16], int max_prefix, kz_mcidr_fn fn,
                   void *ctx);
void kz_mcidr_free(kz_mcidr *c);

static inline void kz_mip_split(const uint8_t a[16], uint64_t *hi, uint64_t *lo)
{
    uint64_t h = 0, l = 0;
    for (int i = 0; i < 8; i++) {
        h = h << 8 | a[i];
        l = l << 8 | a[8 + i];
    }
    *hi = h;
    *lo = l;
}

/* Whether a 16-byte address is an IPv4 one (::ffff:a.b.c.d). */
static inline bool kz_mip_is_v4(const uint8_t a[16])
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    for (int i = 0; i < 12; i++)
        if (a[i] != pre[i])
            return false;
    return true;
}

/* ---- substring automaton (Aho-Corasick) ------------------------------- */

typedef struct kz_maho kz_maho;

/* Patterns are matched ASCII case-insensitively. Empty patterns are skipped. */
kz_maho *kz_maho_new(void);
int kz_maho_add(kz_maho *a, const char *pat, size_t n);
int kz_maho_finish(kz_maho *a);
bool kz_maho_search(const kz_maho *a, const char *s, size_t n);
size_t kz_maho_bytes(const kz_maho *a);
void kz_maho_free(kz_maho *a);

/* ---- warninglist regular expressions ---------------------------------- */

#include <regex.h>

/* Compiles a MISP warninglist regex ("/body/flags" or a bare body) as POSIX
 * ERE with REG_NOSUB; false when it is not expressible (PCRE-only syntax). */
bool kz_mwl_regex_compile(const char *src, regex_t *out);

/* ---- the index -------------------------------------------------------- */

/* String namespaces: a type's own number, domains and hostnames share one. */
#define KZ_M_NS_DOMAIN ((uint8_t)KZ_IOC_DOMAIN)
#define KZ_M_NS_INTERN ((uint8_t)0xff)

typedef struct kz_mrec {
    uint32_t indicator, event, org, tags, value; /* pool offsets, KZ_M_NONE = NULL */
    uint8_t type, tlp, to_ids;
} kz_mrec;

struct kz_match_index {
    atomic_uint refs;
    kz_mpool pool;
    kz_mrec *rec;
    size_t nrec;
    kz_mstrtab str;
    kz_miptab ip;
    kz_mcidr cidr;
    /* a single-label name was indexed; normalised domains never are one, so
     * lookups usually skip asking for the top-level label */
    bool one_label;
};

#endif
