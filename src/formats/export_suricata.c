/* export_suricata.c — Suricata's two list formats.
 *
 * Datasets (dataset:... in rules): one value per line, each once; the
 * "string" type wants the value base64-encoded (Suricata decodes it, so any
 * byte can be listed), md5 and sha256 the hash in hex, ipv4 / ip the
 * address as text. A dataset holds one type: rows of another kind are
 * skipped (the hash part of filename|hash counts as a hash).
 *
 * IP reputation (reputation:... in rules): "address-or-network,category,
 * score" lines and a categories file. Categories are the event's MISP
 * threat level (1 high, 2 medium, 3 low, 4 undefined); the score is 127,
 * 96, 64 or 32 by that level, halved for indicators not meant for
 * detection (to_ids false). An address listed by several events gets one
 * line per category with the highest score, since Suricata keeps the last
 * line it reads and would otherwise depend on file order.
 */
#include "export_int.h"

#include <stdlib.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64(kz_buf *out, const unsigned char *p, size_t n)
{
    int rc = 0;
    size_t i = 0;
    for (; !rc && i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        char q[4] = {B64[v >> 18], B64[(v >> 12) & 63], B64[(v >> 6) & 63], B64[v & 63]};
        rc = kz_buf_append(out, q, 4);
    }
    if (!rc && n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        char q[4] = {B64[v >> 18], B64[(v >> 12) & 63], '=', '='};
        rc = kz_buf_append(out, q, 4);
    } else if (!rc && n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        char q[4] = {B64[v >> 18], B64[(v >> 12) & 63], B64[(v >> 6) & 63], '='};
        rc = kz_buf_append(out, q, 4);
    }
    return rc;
}

/* The part of a row a dataset of this kind holds, or NULL. */
static const char *dataset_value(kz_dataset_kind k, const kz_indicator *ind, size_t *n)
{
    const char *v = ind->value ? ind->value : "";
    const char *bar = ind->type == KZ_IOC_FILENAME_HASH ? strrchr(v, '|') : NULL;
    const char *hash = bar ? bar + 1 : NULL;
    switch (k) {
    case DS_STRING:
        *n = strlen(v);
        return *n && !memchr(v, '\n', *n) ? v : NULL;
    case DS_MD5:
        if (ind->type == KZ_IOC_MD5 || (hash && strlen(hash) == 32)) {
            const char *h = hash ? hash : v;
            *n = strlen(h);
            return h;
        }
        return NULL;
    case DS_SHA256:
        if (ind->type == KZ_IOC_SHA256 || (hash && strlen(hash) == 64)) {
            const char *h = hash ? hash : v;
            *n = strlen(h);
            return h;
        }
        return NULL;
    case DS_IPV4:
        *n = strlen(v);
        return ind->type == KZ_IOC_IPV4 ? v : NULL;
    case DS_IP:
        *n = strlen(v);
        return ind->type == KZ_IOC_IPV4 || ind->type == KZ_IOC_IPV6 ? v : NULL;
    }
    return NULL;
}

int kz_export_dataset_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out)
{
    size_t n = 0;
    const char *v = dataset_value(w->ds, r->ind, &n);
    if (!v)
        return 0;
    int added = kz_strset_add(&w->seen, v, n);
    if (added <= 0)
        return added;
    int rc = w->ds == DS_STRING ? base64(out, (const unsigned char *)v, n)
                                : kz_buf_append(out, v, n);
    return rc ? rc : kz_buf_putc(out, '\n');
}

int kz_export_iprep_categories(kz_buf *out)
{
    return kz_buf_puts(out, "1,kizuna-high,kizuna: events of threat level high\n"
                            "2,kizuna-medium,kizuna: events of threat level medium\n"
                            "3,kizuna-low,kizuna: events of threat level low\n"
                            "4,kizuna-undefined,kizuna: events of undefined threat level\n");
}

int kz_export_iprep_row(kz_export_writer *w, const kz_export_row *r, kz_buf *out)
{
    (void)out;
    kz_ioc_type t = r->ind->type;
    if (t != KZ_IOC_IPV4 && t != KZ_IOC_IPV6 && t != KZ_IOC_CIDR)
        return 0;
    int level = r->ev ? r->ev->threat_level : KZ_THREAT_UNDEFINED;
    if (level < 1 || level > 4)
        level = KZ_THREAT_UNDEFINED;
    static const int scores[] = {127, 96, 64, 32};
    int score = scores[level - 1];
    if (!r->ind->to_ids)
        score /= 2;
    if (w->n_rep == w->cap_rep) {
        size_t cap = w->cap_rep ? w->cap_rep * 2 : 1024;
        kz_iprep *v = realloc(w->rep, cap * sizeof *v);
        if (!v)
            return KZ_E_NOMEM;
        w->rep = v;
        w->cap_rep = cap;
    }
    char *ip = strdup(r->ind->value ? r->ind->value : "");
    if (!ip)
        return KZ_E_NOMEM;
    w->rep[w->n_rep++] = (kz_iprep){ip, level, score};
    return 0;
}

static int cmp_rep(const void *a, const void *b)
{
    const kz_iprep *x = a, *y = b;
    int c = strcmp(x->ip, y->ip);
    return c ? c : x->category - y->category;
}

int kz_export_iprep_end(kz_export_writer *w, kz_buf *out)
{
    if (w->n_rep > 1)
        qsort(w->rep, w->n_rep, sizeof *w->rep, cmp_rep);
    int rc = 0;
    for (size_t i = 0; !rc && i < w->n_rep;) {
        size_t j = i;
        int best = 0;
        while (j < w->n_rep && cmp_rep(&w->rep[i], &w->rep[j]) == 0) {
            if (w->rep[j].score > best)
                best = w->rep[j].score;
            j++;
        }
        rc = kz_buf_printf(out, "%s,%d,%d\n", w->rep[i].ip, w->rep[i].category, best);
        i = j;
    }
    return rc;
}
