/* stix_pattern_simple.c — most STIX indicators in the wild are a list of
 * plain values in one pattern ("[ipv4-addr:value = '1.2.3.4' OR
 * domain-name:value = 'evil.example']"). Those can live in the match index
 * like any other indicator; everything else (regexes, ranges, sequences of
 * observations, time windows) needs a pattern matcher. This file tells the
 * two apart and lists the values of the first kind.
 */
#include "stix_pattern_int.h"

#include <string.h>

typedef struct walk {
    kz_arena *a;
    kz_err *err;
    kz_stix_simple *v;
    size_t n, cap;
    bool any_and;
} walk;

static bool path_is(const kz_stix_path *p, const char *type, const char *k0, const char *k1)
{
    if (strcmp(p->type, type) != 0 || p->nsteps != (k1 ? 2u : 1u))
        return false;
    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].kind != KZ_STIX_STEP_KEY || strcmp(p->steps[i].key, i ? k1 : k0) != 0)
            return false;
    return true;
}

/* An address literal of ipv4-addr, ipv6-addr or a dst_ref: a '/' makes it a
 * network. */
static int ip_type(const char *v, bool v6)
{
    return strchr(v, '/') ? KZ_IOC_CIDR : v6 ? KZ_IOC_IPV6 : KZ_IOC_IPV4;
}

/* file:hashes.<algorithm>, spelled as the spec's vocabulary ('SHA-256') or
 * as producers often do (SHA256, sha256, md5). */
static int hash_type(const char *alg)
{
    char norm[16];
    size_t o = 0;
    for (const char *c = alg; *c; c++) {
        if (*c == '-' || *c == '_')
            continue;
        if (o + 1 >= sizeof norm)
            return -1;
        norm[o++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    }
    norm[o] = '\0';
    if (!strcmp(norm, "MD5"))
        return KZ_IOC_MD5;
    if (!strcmp(norm, "SHA1"))
        return KZ_IOC_SHA1;
    if (!strcmp(norm, "SHA256"))
        return KZ_IOC_SHA256;
    if (!strcmp(norm, "SHA512"))
        return KZ_IOC_SHA512;
    return -1;
}

static int observable_type(const kz_stix_path *p, const char *v)
{
    if (path_is(p, "ipv4-addr", "value", NULL))
        return ip_type(v, false);
    if (path_is(p, "ipv6-addr", "value", NULL))
        return ip_type(v, true);
    if (path_is(p, "network-traffic", "dst_ref", "value"))
        return ip_type(v, strchr(v, ':') != NULL);
    if (path_is(p, "domain-name", "value", NULL))
        return KZ_IOC_DOMAIN;
    if (path_is(p, "url", "value", NULL))
        return KZ_IOC_URL;
    if (path_is(p, "email-addr", "value", NULL))
        return KZ_IOC_EMAIL;
    if (path_is(p, "file", "name", NULL))
        return KZ_IOC_FILENAME;
    if (!strcmp(p->type, "file") && p->nsteps == 2 && p->steps[0].kind == KZ_STIX_STEP_KEY &&
        !strcmp(p->steps[0].key, "hashes") && p->steps[1].kind == KZ_STIX_STEP_KEY)
        return hash_type(p->steps[1].key);
    return -1;
}

static int not_simple(walk *w, const kz_stix_node *x, const char *why)
{
    return kz_fail(w->err, KZ_E_VALUE, "pattern", "not a simple indicator pattern: %s (at offset %zu)",
                   why, x->off);
}

static int walk_cmp(walk *w, const kz_stix_node *x)
{
    if (x->kind == KZ_STIX_N_AND || x->kind == KZ_STIX_N_OR) {
        if (x->kind == KZ_STIX_N_AND)
            w->any_and = true;
        for (size_t i = 0; i < x->nkids; i++) {
            int rc = walk_cmp(w, x->kids[i]);
            if (rc < 0)
                return rc;
        }
        return KZ_OK;
    }
    if (x->kind != KZ_STIX_N_COMPARISON)
        return not_simple(w, x, "unexpected node");
    if (x->op != KZ_STIX_EQ || x->negated)
        return not_simple(w, x, "a comparison other than '='");
    if (x->nlits != 1 || x->lits[0].kind != KZ_STIX_LIT_STRING)
        return not_simple(w, x, "a constant that is not a string");
    int t = observable_type(&x->path, x->lits[0].s);
    if (t < 0) {
        kz_buf b;
        kz_buf_init(&b);
        kz_stix_path_print(&x->path, &b);
        int rc = kz_fail(w->err, KZ_E_VALUE, "pattern",
                         "not a simple indicator pattern: '%.128s' is not a supported "
                         "observable (at offset %zu)",
                         b.p ? b.p : "", x->off);
        kz_buf_free(&b);
        return rc;
    }
    if (w->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 8;
        kz_stix_simple *nv = kz_arena_alloc(w->a, ncap * sizeof *nv);
        if (!nv)
            return kz_fail(w->err, KZ_E_NOMEM, "pattern", "out of memory");
        if (w->n)
            memcpy(nv, w->v, w->n * sizeof *nv);
        w->v = nv;
        w->cap = ncap;
    }
    w->v[w->n++] = (kz_stix_simple){.type = (kz_ioc_type)t, .value = x->lits[0].s, .off = x->off};
    return KZ_OK;
}

int kz_stix_pattern_simple(const kz_stix_pattern *p, kz_arena *a, kz_stix_simple **items, size_t *n,
                           bool *any_of, kz_err *err)
{
    *items = NULL;
    *n = 0;
    *any_of = false;
    if (!p || !p->root)
        return kz_fail(err, KZ_E_VALUE, "pattern", "not a simple indicator pattern: empty");
    const kz_stix_node *r = p->root;
    walk w = {.a = a, .err = err};
    switch (r->kind) {
    case KZ_STIX_N_OBSERVATION:
        break;
    case KZ_STIX_N_WITHIN:
    case KZ_STIX_N_REPEATS:
    case KZ_STIX_N_STARTSTOP:
        return not_simple(&w, r, "it has a qualifier (WITHIN, REPEATS or START/STOP)");
    default:
        return not_simple(&w, r, "it joins several observation expressions");
    }
    int rc = walk_cmp(&w, r->kids[0]);
    if (rc < 0)
        return rc;
    *items = w.v;
    *n = w.n;
    *any_of = !w.any_and;
    return KZ_OK;
}
