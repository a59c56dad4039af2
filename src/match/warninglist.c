/* warninglist.c — MISP warninglists: known-benign values (public resolvers,
 * top sites, cloud ranges, sinkholes) that should not raise an alert even
 * when someone reported them. All lists load into one immutable structure:
 * exact strings and hostnames in one string multimap, networks in one CIDR
 * set (values: list numbers), substring lists as Aho-Corasick automata and
 * regex lists as compiled POSIX expressions. A check asks each structure
 * once and keeps the lowest list number, so "the first list that matches"
 * costs a few probes, not a walk over 130 lists and 500k values.
 */
#include "match_int.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NS_STRING 0
#define NS_HOST 1
#define MAX_LIST_FILE (256u << 20)
#define MAX_LISTS 100000

typedef struct wl_list {
    uint32_t name, dir; /* pool offsets */
    kz_wl_type type;
    uint32_t typemask;  /* bit per kz_ioc_type the list applies to */
    size_t entries;
    kz_maho *aho;
    regex_t *re;
    size_t nre;
} wl_list;

struct kz_match_warninglists {
    kz_mpool pool;
    wl_list *l;
    size_t n, cap;
    kz_mstrtab str;
    kz_mcidr cidr;
    kz_match_wl_stats stats;
};

static const char *const type_names[] = {
    [KZ_WL_STRING] = "string", [KZ_WL_HOSTNAME] = "hostname", [KZ_WL_CIDR] = "cidr",
    [KZ_WL_SUBSTRING] = "substring", [KZ_WL_REGEX] = "regex",
};

/* ---- loading ------------------------------------------------------------ */

typedef struct loader {
    kz_match_warninglists *wl;
    kz_mnodes nodes;
    kz_buf norm;
} loader;

/* MISP attribute types -> our types. ip-src and friends hold any address or
 * network; domain and hostname are both DNS names and go together. */
static uint32_t type_bits(const char *misp)
{
    if (!strcmp(misp, "ip-src") || !strcmp(misp, "ip-dst") || !strcmp(misp, "ip"))
        return 1u << KZ_IOC_IPV4 | 1u << KZ_IOC_IPV6 | 1u << KZ_IOC_CIDR;
    int t = kz_ioc_type_parse(misp);
    if (t < 0)
        return 0;
    if (t == KZ_IOC_DOMAIN || t == KZ_IOC_HOSTNAME)
        return 1u << KZ_IOC_DOMAIN | 1u << KZ_IOC_HOSTNAME;
    return 1u << t;
}

static int add_string(loader *ld, uint8_t ns, const char *s, size_t n, uint32_t list)
{
    uint32_t key;
    return kz_mstrtab_add(&ld->wl->str, &ld->wl->pool, &ld->nodes, ns, s, n, list, &key);
}

/* A "string" value in the form a normalised indicator would have, so that
 * "Example.COM" on a list matches the indicator example.com. Values that are
 * no indicator (public suffixes, phone numbers) stay as they are. */
static int load_string(loader *ld, const char *v, size_t n, uint32_t list)
{
    int t = kz_ioc_guess(v, n);
    if (t >= 0 && kz_ioc_normalize((kz_ioc_type)t, v, n, &ld->norm, NULL) == 0)
        return add_string(ld, NS_STRING, ld->norm.p, ld->norm.len, list);
    return add_string(ld, NS_STRING, v, n, list);
}

/* Hostnames: lower case, no "*." or "." in front, no trailing dot. */
static int load_hostname(loader *ld, const char *v, size_t n, uint32_t list)
{
    if (n >= 2 && v[0] == '*' && v[1] == '.') {
        v += 2;
        n -= 2;
    }
    while (n && v[0] == '.') {
        v++;
        n--;
    }
    while (n && v[n - 1] == '.')
        n--;
    if (n == 0)
        return 1;
    if (kz_ioc_normalize(KZ_IOC_HOSTNAME, v, n, &ld->norm, NULL) == 0)
        return add_string(ld, NS_HOST, ld->norm.p, ld->norm.len, list);
    /* a public suffix or a single label: still a name to compare */
    kz_buf_reset(&ld->norm);
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if ((unsigned char)c <= 0x20 || c == '/' || c == '@')
            return 1;
        if (kz_buf_putc(&ld->norm, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c) < 0)
            return KZ_E_NOMEM;
    }
    return add_string(ld, NS_HOST, ld->norm.p, ld->norm.len, list);
}

/* One value of a list: 0 when loaded, 1 when skipped, < 0 on failure. */
static int load_value(loader *ld, wl_list *l, uint32_t list, const char *v, size_t n)
{
    kz_ip net;
    int prefix;
    switch (l->type) {
    case KZ_WL_STRING:
        return load_string(ld, v, n, list);
    case KZ_WL_HOSTNAME:
        return load_hostname(ld, v, n, list);
    case KZ_WL_CIDR:
        if (kz_cidr_parse(v, n, &net, &prefix) < 0)
            return 1;
        return kz_mcidr_add_net(&ld->wl->cidr, &net, prefix, list);
    case KZ_WL_SUBSTRING:
        if (!l->aho && !(l->aho = kz_maho_new()))
            return KZ_E_NOMEM;
        return kz_maho_add(l->aho, v, n);
    case KZ_WL_REGEX: {
        regex_t re;
        if (!kz_mwl_regex_compile(v, &re)) {
            ld->wl->stats.regex_skipped++;
            return 2;
        }
        regex_t *nr = realloc(l->re, (l->nre + 1) * sizeof *nr);
        if (!nr) {
            regfree(&re);
            return KZ_E_NOMEM;
        }
        l->re = nr;
        l->re[l->nre++] = re;
        ld->wl->stats.regex_ok++;
        return 0;
    }
    }
    return 1;
}

static int bad_file(kz_err *err, const char *path, const char *what)
{
    return kz_fail(err, KZ_E_INVALID, NULL, "warninglist '%s': %s", path, what);
}

static int load_list(loader *ld, const char *path, const char *dirname, kz_err *err)
{
    kz_match_warninglists *wl = ld->wl;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return kz_fail(err, KZ_E_INVALID, NULL, "warninglist '%s': line %d: %s", path, jerr.line,
                       jerr.text);
    int rc = KZ_OK;
    const char *name = json_string_value(json_object_get(root, "name"));
    const char *type = json_string_value(json_object_get(root, "type"));
    json_t *list = json_object_get(root, "list");
    json_t *attrs = json_object_get(root, "matching_attributes");
    if (!json_is_object(root) || !name || !type || !json_is_array(list) ||
        (attrs && !json_is_array(attrs))) {
        rc = bad_file(err, path, "expected an object with \"name\", \"type\" and a \"list\" array");
        goto out;
    }
    int t = -1;
    for (size_t i = 0; i < KZ_ARRAY_LEN(type_names); i++)
        if (!strcmp(type, type_names[i]))
            t = (int)i;
    if (t < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown type '%.64s' (string, hostname, cidr, substring or "
                                  "regex)", type);
        rc = bad_file(err, path, msg);
        goto out;
    }
    if (wl->n == wl->cap) {
        size_t nc = wl->cap ? wl->cap * 2 : 64;
        wl_list *nl = realloc(wl->l, nc * sizeof *nl);
        if (!nl) {
            rc = kz_fail(err, KZ_E_NOMEM, NULL, "warninglists: out of memory");
            goto out;
        }
        wl->l = nl;
        wl->cap = nc;
    }
    wl_list *l = &wl->l[wl->n];
    memset(l, 0, sizeof *l);
    l->type = (kz_wl_type)t;
    uint32_t list_no = (uint32_t)wl->n;
    wl->n++; /* counted now so that a failure below frees what it holds */
    size_t ai;
    json_t *a;
    json_array_foreach(attrs, ai, a) {
        if (json_is_string(a))
            l->typemask |= type_bits(json_string_value(a));
    }
    if (!l->typemask)
        l->typemask = UINT32_MAX;
    if ((rc = kz_mpool_add(&wl->pool, name, strlen(name), &l->name)) < 0 ||
        (rc = kz_mpool_add(&wl->pool, dirname, strlen(dirname), &l->dir)) < 0)
        goto nomem;
    size_t vi;
    json_t *v;
    json_array_foreach(list, vi, v) {
        const char *s = json_string_value(v);
        size_t n = s ? json_string_length(v) : 0;
        if (!s || n == 0 || n > KZ_M_MAX_KEY || memchr(s, '\0', n)) {
            wl->stats.skipped_values++;
            continue;
        }
        /* values as pasted: surrounding blanks are not part of them */
        while (n && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
            n--;
        rc = n ? load_value(ld, l, list_no, s, n) : 1;
        if (rc < 0)
            goto nomem;
        if (rc == 0)
            l->entries++;
        else if (rc == 1)
            wl->stats.skipped_values++;
        rc = KZ_OK;
    }
    if (l->aho && (rc = kz_maho_finish(l->aho)) < 0)
        goto nomem;
    if (l->type == KZ_WL_REGEX && l->nre == 0)
        wl->stats.regex_lists_skipped++;
    wl->stats.entries += l->entries;
    goto out;
nomem:
    rc = kz_fail(err, rc == KZ_E_TOOLARGE ? KZ_E_TOOLARGE : KZ_E_NOMEM, NULL,
                 "warninglist '%s': out of memory", path);
out:
    json_decref(root);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folder names under dir, sorted, so the list order does not depend on
 * the file system. */
static int list_dirs(const char *dir, char ***names, size_t *count, kz_err *err)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return kz_fail(err, KZ_E_IO, NULL, "warninglists: cannot read folder '%s'", dir);
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc = KZ_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == MAX_LISTS) {
            rc = kz_fail(err, KZ_E_TOOLARGE, NULL, "warninglists: more than %d folders in '%s'",
                         MAX_LISTS, dir);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = KZ_E_NOMEM;
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(de->d_name))) {
            rc = KZ_E_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == KZ_E_NOMEM)
        kz_fail(err, rc, NULL, "warninglists: out of memory");
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    *names = v;
    *count = n;
    return KZ_OK;
}

int kz_match_warninglists_load_dir(const char *dir, kz_match_warninglists **out, kz_err *err)
{
    if (!out)
        return kz_fail(err, KZ_E_INVALID, NULL, "warninglists: no result pointer");
    *out = NULL;
    if (!dir || !*dir)
        return kz_fail(err, KZ_E_INVALID, NULL, "warninglists: no folder given");
    char base[4096];
    struct stat st;
    if ((size_t)snprintf(base, sizeof base, "%s/lists", dir) >= sizeof base)
        return kz_fail(err, KZ_E_INVALID, NULL, "warninglists: the folder path is too long");
    if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(base, sizeof base, "%s", dir);

    char **names;
    size_t count;
    int rc = list_dirs(base, &names, &count, err);
    if (rc < 0)
        return rc;
    kz_match_warninglists *wl = calloc(1, sizeof *wl);
    if (!wl) {
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "warninglists: out of memory");
        goto done;
    }
    kz_random_bytes(&wl->str.seed, sizeof wl->str.seed);
    loader ld = {.wl = wl};
    kz_buf_init(&ld.norm);
    for (size_t i = 0; i < count && rc == 0; i++) {
        char path[4096 + 512];
        if ((size_t)snprintf(path, sizeof path, "%s/%s/list.json", base, names[i]) >= sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            wl->stats.skipped_dirs++;
            continue;
        }
        if ((uint64_t)st.st_size > MAX_LIST_FILE) {
            rc = kz_fail(err, KZ_E_TOOLARGE, NULL, "warninglist '%s': larger than %u MiB", path,
                         MAX_LIST_FILE >> 20);
            break;
        }
        rc = load_list(&ld, path, names[i], err);
    }
    if (rc == 0 && ((rc = kz_mstrtab_finish(&wl->str, &ld.nodes)) < 0 ||
                    (rc = kz_mcidr_finish(&wl->cidr)) < 0))
        kz_fail(err, rc, NULL, "warninglists: out of memory");
    kz_mnodes_free(&ld.nodes);
    kz_buf_free(&ld.norm);
    wl->stats.lists = wl->n;
    if (rc < 0) {
        kz_match_warninglists_free(wl);
        wl = NULL;
    }
    *out = wl;
done:
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

void kz_match_warninglists_free(kz_match_warninglists *wl)
{
    if (!wl)
        return;
    for (size_t i = 0; i < wl->n; i++) {
        kz_maho_free(wl->l[i].aho);
        for (size_t k = 0; k < wl->l[i].nre; k++)
            regfree(&wl->l[i].re[k]);
        free(wl->l[i].re);
    }
    free(wl->l);
    kz_mpool_free(&wl->pool);
    kz_mstrtab_free(&wl->str);
    kz_mcidr_free(&wl->cidr);
    free(wl);
}

void kz_match_warninglists_stats(const kz_match_warninglists *wl, kz_match_wl_stats *out)
{
    if (wl)
        *out = wl->stats;
    else
        memset(out, 0, sizeof *out);
}

size_t kz_match_warninglists_count(const kz_match_warninglists *wl)
{
    return wl ? wl->n : 0;
}

bool kz_match_warninglist_info(const kz_match_warninglists *wl, size_t i, kz_match_wl_info *out)
{
    if (!wl || i >= wl->n || !out)
        return false;
    const wl_list *l = &wl->l[i];
    *out = (kz_match_wl_info){.name = wl->pool.p + l->name,
                              .dir = wl->pool.p + l->dir,
                              .type = l->type,
                              .entries = l->entries};
    return true;
}

/* ---- checking ----------------------------------------------------------- */

typedef struct probe {
    const kz_match_warninglists *wl;
    uint32_t bit;  /* the value's type */
    uint32_t best; /* lowest matching list so far */
} probe;

static void consider(probe *p, const uint32_t *vals, uint32_t count)
{
    /* list numbers were added in order: the first that applies is the lowest */
    for (uint32_t i = 0; i < count && vals[i] < p->best; i++)
        if (p->wl->l[vals[i]].typemask & p->bit) {
            p->best = vals[i];
            return;
        }
}

static void check_string(probe *p, uint8_t ns, const char *s, size_t n)
{
    if (!s || n == 0)
        return;
    const kz_mstr_slot *sl = kz_mstrtab_find(&p->wl->str, p->wl->pool.p, ns, s, n);
    if (sl)
        consider(p, kz_mpost_vals(p->wl->str.post, &sl->post, sl->count), sl->count);
}

static void check_host(probe *p, const char *h, size_t n)
{
    if (!h || n == 0)
        return;
    check_string(p, NS_HOST, h, n);
    for (size_t i = 0; i < n; i++)
        if (h[i] == '.' && i + 1 < n)
            check_string(p, NS_HOST, h + i + 1, n - i - 1);
}

static bool net_cb(void *ctx, const kz_mnet *net, const uint32_t *vals)
{
    consider(ctx, vals, net->count);
    return true;
}

/* The parts of a value that lists are asked about besides the whole. */
typedef struct parts {
    const char *host;
    size_t hostn;
    kz_ip ip;
    int prefix; /* 128 for an address; -1: no address */
    const char *iptext, *name, *hash;
    size_t iptextn, namen, hashn;
    char hostbuf[256];
} parts;

static void split(kz_ioc_type t, const char *v, size_t n, parts *p)
{
    memset(p, 0, sizeof *p);
    p->prefix = -1;
    const char *bar, *at;
    switch (t) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
        p->iptext = v;
        p->iptextn = n;
        break;
    case KZ_IOC_CIDR:
        if (kz_cidr_parse(v, n, &p->ip, &p->prefix) < 0)
            p->prefix = -1;
        return;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME:
        p->host = v;
        p->hostn = n;
        return;
    case KZ_IOC_URL:
        if (kz_url_host(v, p->hostbuf, sizeof p->hostbuf)) {
            size_t hn = strlen(p->hostbuf);
            if (kz_ip_parse(p->hostbuf, hn, &p->ip) == 0) {
                p->iptext = p->hostbuf;
                p->iptextn = hn;
            } else {
                p->host = p->hostbuf;
                p->hostn = hn;
            }
        }
        break;
    case KZ_IOC_EMAIL:
        if ((at = strrchr(v, '@'))) {
            p->host = at + 1;
            p->hostn = n - (size_t)(at + 1 - v);
        }
        return;
    case KZ_IOC_DOMAIN_IP:
        if ((bar = memchr(v, '|', n))) {
            p->host = v;
            p->hostn = (size_t)(bar - v);
            p->iptext = bar + 1;
            p->iptextn = n - p->hostn - 1;
        }
        break;
    case KZ_IOC_IP_PORT:
        if (v[0] == '[' && (bar = memchr(v, ']', n))) {
            p->iptext = v + 1;
            p->iptextn = (size_t)(bar - v - 1);
        } else if ((bar = memrchr(v, ':', n)) || (bar = memrchr(v, '|', n))) {
            p->iptext = v;
            p->iptextn = (size_t)(bar - v);
        }
        break;
    case KZ_IOC_FILENAME_HASH:
        if ((bar = memrchr(v, '|', n))) {
            p->name = v;
            p->namen = (size_t)(bar - v);
            p->hash = bar + 1;
            p->hashn = n - p->namen - 1;
        }
        return;
    default:
        return;
    }
    if (p->iptext && p->prefix < 0) {
        if (kz_ip_parse(p->iptext, p->iptextn, &p->ip) == 0)
            p->prefix = 128;
        else
            p->iptext = NULL;
    }
}

int kz_match_warninglist_find(const kz_match_warninglists *wl, kz_ioc_type t, const char *value)
{
    if (!wl || !value || (unsigned)t >= KZ_IOC__COUNT)
        return -1;
    size_t n = strnlen(value, KZ_M_MAX_KEY + 1);
    if (n == 0 || n > KZ_M_MAX_KEY)
        return -1;
    probe p = {.wl = wl, .bit = 1u << t, .best = UINT32_MAX};
    parts pt;
    split(t, value, n, &pt);

    check_string(&p, NS_STRING, value, n);
    check_string(&p, NS_STRING, pt.host, pt.hostn);
    check_string(&p, NS_STRING, pt.iptext, pt.iptextn);
    check_string(&p, NS_STRING, pt.name, pt.namen);
    check_string(&p, NS_STRING, pt.hash, pt.hashn);
    check_host(&p, pt.host, pt.hostn);
    if (pt.prefix >= 0)
        kz_mcidr_walk(&wl->cidr, pt.ip.b, pt.prefix, net_cb, &p);
    for (size_t i = 0; i < wl->n && i < p.best; i++) {
        const wl_list *l = &wl->l[i];
        if (!(l->typemask & p.bit))
            continue;
        bool hit = false;
        if (l->type == KZ_WL_SUBSTRING)
            hit = kz_maho_search(l->aho, value, n);
        for (size_t k = 0; k < l->nre && !hit; k++)
            hit = regexec(&l->re[k], value, 0, NULL, 0) == 0;
        if (hit)
            p.best = (uint32_t)i;
    }
    return p.best == UINT32_MAX ? -1 : (int)p.best;
}

const char *kz_match_warninglist_check(const kz_match_warninglists *wl, kz_ioc_type t,
                                       const char *value)
{
    int i = kz_match_warninglist_find(wl, t, value);
    return i < 0 ? NULL : wl->pool.p + wl->l[i].name;
}
