/* misp_value_search.c — the two ways MISP's restSearch finds a value that
 * the store's exact search (search.c) does not: '%' patterns, and the parts
 * of composite values ("evil.exe" finds filename|sha256 "evil.exe|<hash>").
 *
 * Each is answered from an index where one can serve it:
 *
 * - a pattern with a literal prefix ("198.51.100.%", "http://evil.example/%")
 *   is a range on the value index, for the prefix as written and in lower
 *   case (values are normalised to lower case where case does not matter);
 *   that index leaves out domain and host names (see migrations.c), so if
 *   the prefix could begin a name ("evil%") the rdomain index, which holds
 *   every name, is scanned too (the index alone, not the table);
 * - a pattern ending in a domain name ("%.example.com", "%example.com"),
 *   when the caller only wants domains and host names (names_only), is a
 *   range on rdomain: otherwise a URL path, a file name or text ending so
 *   ("%.pdf.exe") must be found too, which no index can do;
 * - anything else ("%evil%") is a scan of every row in row order, which
 *   stops when the page is full: its cost grows with the rows scanned
 *   before the page fills, up to the whole table.
 * Every candidate is then checked with LIKE, which is what MISP runs (case-
 * insensitive for ASCII, '%' any run, '_' one character).
 *
 * Parts: "<v>|..." is a range on the value index (filename|hash,
 * domain|ip, and typed-text composites such as regkey|value); an address
 * is the address index (ip|port, domain|ip); a hash is the expression index
 * of migration 13 on the hash part of filename|hash rows.
 *
 * Results are ordered by seq after after_seq, like kz_store_search, so the
 * caller pages the same way.
 */
#include "store_int.h"

#include <ctype.h>

enum {
    VP_PREFIX = 1 << 0,    /* value range, prefix as written */
    VP_PREFIX_LC = 1 << 1, /* value range, prefix in lower case */
    VP_NAMES = 1 << 2,     /* scan domain and hostname rows */
    VP_RDOMAIN = 1 << 3,   /* rdomain range */
    VP_SCAN = 1 << 4,      /* every row */
    VP_PART = 1 << 5,      /* parts: value range "<v>|" */
    VP_PART_IP = 1 << 6,   /* parts: the address of ip|port, domain|ip */
    VP_PART_HASH = 1 << 7, /* parts: the hash of filename|hash */
};

/* Longer values are free text, not something to search for by pattern. */
#define MAX_PATTERN 8192

#define NOT_NAME_ROW "(rdomain IS NULL OR type NOT IN ('domain', 'hostname'))"

static void build(uint32_t key, kz_buf *b)
{
    kz_buf_puts(b, "SELECT " KZ_IND_COLS ", e.id FROM indicators i");
    kz_buf_puts(b, (key & VP_SCAN) ? " CROSS JOIN" : " JOIN");
    kz_buf_puts(b, " events e ON e.seq = i.event_ref WHERE i.seq > ?1 AND i.deleted = 0");
    if (!(key & (VP_PART | VP_PART_IP | VP_PART_HASH)))
        kz_buf_puts(b, " AND i.value LIKE ?2");
    if (!(key & VP_SCAN)) {
        kz_buf_puts(b, " AND i.seq IN (SELECT 0");
        if (key & VP_PREFIX)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators WHERE value >= ?3 AND value < ?4"
                           " AND " NOT_NAME_ROW);
        if (key & VP_PREFIX_LC)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators WHERE value >= ?5 AND value < ?6"
                           " AND " NOT_NAME_ROW);
        /* Names are not in the value index but are all in the rdomain one,
         * which holds the name (labels reversed): read alone, the index is
         * a fraction of the table. */
        if (key & VP_NAMES)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators INDEXED BY indicators_rdomain"
                           " WHERE rdomain IS NOT NULL AND kz_misp_name(rdomain) LIKE ?2");
        if (key & VP_RDOMAIN)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators WHERE rdomain >= ?7"
                           " AND rdomain < ?8");
        if (key & VP_PART)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators WHERE value >= ?3 AND value < ?4"
                           " AND " NOT_NAME_ROW);
        if (key & VP_PART_IP)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators WHERE addr = ?9 AND prefix = 128"
                           " AND type IN ('ip|port', 'domain|ip')");
        if (key & VP_PART_HASH)
            kz_buf_puts(b, " UNION ALL SELECT seq FROM indicators WHERE type = 'filename|hash'"
                           " AND substr(value, instr(value, '|') + 1) = ?10");
        kz_buf_puts(b, ")");
    }
    kz_buf_puts(b, " ORDER BY i.seq LIMIT ?11");
}

/* [lo, hi): every string starting with p (n bytes). false when no upper
 * bound exists (p is all 0xff bytes, which valid UTF-8 never is). */
static bool prefix_range(const char *p, size_t n, char *lo, char *hi, size_t cap)
{
    if (n + 1 > cap)
        return false;
    memcpy(lo, p, n);
    lo[n] = 0;
    memcpy(hi, p, n);
    hi[n] = 0;
    while (n > 0 && (unsigned char)hi[n - 1] == 0xff)
        hi[--n] = 0;
    if (n == 0)
        return false;
    hi[n - 1] = (char)((unsigned char)hi[n - 1] + 1);
    return true;
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.';
}

/* Is this the start of a domain or host name worth scanning the names for?
 * Not text with other characters, and not what is written only with digits,
 * dots and the letters a-f: the start of an address or a hash, which is
 * what such patterns are in practice, and which then costs one range on
 * the value index instead of a pass over every name. */
static bool could_begin_name(const char *p, size_t n)
{
    bool word = false;
    for (size_t i = 0; i < n; i++) {
        if (!is_name_char(p[i]))
            return false;
        word |= (isalpha((unsigned char)p[i]) && !isxdigit((unsigned char)p[i])) || p[i] == '-';
    }
    return word;
}

/* The rdomain range of the names a pattern ending in suffix s can match:
 * the complete labels of s ("example.com" in ".example.com"; "com" in
 * "ample.com", whose first label may be partial). */
static bool suffix_range(const char *s, size_t n, char *lo, char *hi, size_t cap)
{
    char name[KZ_RDOMAIN_MAX];
    if (n == 0 || n >= sizeof name)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_name_char(s[i]))
            return false;
        name[i] = (char)tolower((unsigned char)s[i]);
    }
    name[n] = 0;
    const char *full = name;
    if (full[0] != '.') {
        full = strchr(name, '.');
        if (!full)
            return false;
    }
    full++;
    if (!*full || strstr(full, "..") || full[strlen(full) - 1] == '.')
        return false;
    char rd[KZ_RDOMAIN_MAX];
    kz_domain_reverse(full, rd, sizeof rd);
    if (!rd[0] || strlen(rd) + 2 > cap)
        return false;
    snprintf(lo, cap, "%s.", rd);
    snprintf(hi, cap, "%s/", rd);
    return true;
}

static bool is_hex_hash(const char *v)
{
    size_t n = strlen(v);
    if (n != 32 && n != 40 && n != 64 && n != 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)v[i]))
            return false;
    return true;
}

typedef struct plan {
    uint32_t key;
    char lo[MAX_PATTERN + 2], hi[MAX_PATTERN + 2];
    char lo_lc[MAX_PATTERN + 2], hi_lc[MAX_PATTERN + 2];
    char rlo[KZ_RDOMAIN_MAX + 2], rhi[KZ_RDOMAIN_MAX + 2];
    uint8_t ip[16];
    char hash[130];
} plan;

static void plan_pattern(const char *pat, bool names_only, plan *p)
{
    size_t n = strlen(pat);
    size_t pre = strcspn(pat, "%_");
    if (pre > 0 && prefix_range(pat, pre, p->lo, p->hi, sizeof p->lo)) {
        p->key |= VP_PREFIX;
        char lc[MAX_PATTERN + 1];
        bool differs = false;
        for (size_t i = 0; i < pre; i++) {
            lc[i] = (char)tolower((unsigned char)pat[i]);
            differs |= lc[i] != pat[i];
        }
        if (differs && prefix_range(lc, pre, p->lo_lc, p->hi_lc, sizeof p->lo_lc))
            p->key |= VP_PREFIX_LC;
    }
    size_t suf = 0;
    while (suf < n && pat[n - 1 - suf] != '%' && pat[n - 1 - suf] != '_')
        suf++;
    /* Only names: a URL's path, a file name or text may end with what
     * looks like a domain ("%.pdf.exe", "%.php"), and those need the scan. */
    if (names_only && suf < n && suffix_range(pat + n - suf, suf, p->rlo, p->rhi, sizeof p->rlo))
        p->key |= VP_RDOMAIN;
    if ((p->key & VP_PREFIX) && !(p->key & VP_RDOMAIN) && could_begin_name(pat, pre))
        p->key |= VP_NAMES;
    if (!(p->key & (VP_PREFIX | VP_RDOMAIN)))
        p->key = VP_SCAN;
}

static void plan_parts(const char *v, plan *p)
{
    size_t n = strlen(v);
    char with_bar[MAX_PATTERN + 2];
    if (n + 1 < sizeof with_bar && !strchr(v, '|')) {
        memcpy(with_bar, v, n);
        with_bar[n] = '|';
        if (prefix_range(with_bar, n + 1, p->lo, p->hi, sizeof p->lo))
            p->key |= VP_PART;
    }
    kz_ip ip;
    if (kz_ip_parse(v, n, &ip) == 0) {
        memcpy(p->ip, ip.b, 16);
        p->key |= VP_PART_IP;
    }
    if (is_hex_hash(v)) {
        for (size_t i = 0; i <= n; i++)
            p->hash[i] = (char)tolower((unsigned char)v[i]);
        p->key |= VP_PART_HASH;
    }
}

/* kz_misp_name(rdomain): the name again ("com.evil.www" -> "www.evil.com"). */
static void sql_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *rd = (const char *)sqlite3_value_text(argv[0]);
    char name[KZ_RDOMAIN_MAX];
    if (!rd || strlen(rd) >= sizeof name) {
        sqlite3_result_null(ctx);
        return;
    }
    kz_domain_reverse(rd, name, sizeof name);
    sqlite3_result_text(ctx, name, -1, SQLITE_TRANSIENT);
}

int kz_store_misp_value_search(kz_store *st, const kz_misp_value_query *q, kz_arena *a,
                               kz_search_hit **out, size_t *n, kz_err *err)
{
    if (!st->misp_fn) {
        if (sqlite3_create_function_v2(st->db, "kz_misp_name", 1,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                       NULL, sql_name, NULL, NULL, NULL) != SQLITE_OK)
            return kz_fail(err, KZ_E_DB, "", "cannot register kz_misp_name");
        st->misp_fn = true;
    }
    *out = NULL;
    *n = 0;
    if (!q->value || !*q->value || strlen(q->value) > MAX_PATTERN)
        return kz_fail(err, KZ_E_VALUE, "value", "a value to search must be 1 to %d bytes",
                       MAX_PATTERN);
    plan *p = kz_arena_alloc(a, sizeof *p);
    if (!p)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    memset(p, 0, sizeof *p);
    if (q->parts)
        plan_parts(q->value, p);
    else
        plan_pattern(q->value, q->names_only, p);
    if (!p->key)
        return 0;
    size_t limit = q->limit ? q->limit : 100;
    bool snap = kz__read_begin(st);
    int r = 0;
    sqlite3_stmt *s = kz__stmt_dyn(st, 0x40000u | p->key, build, err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    kz__bind_i64(s, 1, q->after_seq);
    if (!q->parts)
        kz__bind_text(s, 2, q->value);
    if (p->key & (VP_PREFIX | VP_PART)) {
        kz__bind_text(s, 3, p->lo);
        kz__bind_text(s, 4, p->hi);
    }
    if (p->key & VP_PREFIX_LC) {
        kz__bind_text(s, 5, p->lo_lc);
        kz__bind_text(s, 6, p->hi_lc);
    }
    if (p->key & VP_RDOMAIN) {
        kz__bind_text(s, 7, p->rlo);
        kz__bind_text(s, 8, p->rhi);
    }
    if (p->key & VP_PART_IP)
        sqlite3_bind_blob(s, 9, p->ip, 16, SQLITE_STATIC);
    if (p->key & VP_PART_HASH)
        kz__bind_text(s, 10, p->hash);
    kz__bind_i64(s, 11, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);

    size_t cap = 0, tcap = 0;
    bool *tagged = NULL;
    kz_rd rd = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_search_hit *nh = kz__grow(a, *out, *n, &cap, sizeof **out);
        bool *nt = kz__grow(a, tagged, *n, &tcap, sizeof *tagged);
        if (!nh || !nt) {
            kz__reset(s);
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            goto out;
        }
        *out = nh;
        tagged = nt;
        kz_search_hit *h = &(*out)[*n];
        memset(h, 0, sizeof *h);
        h->seq = kz__indicator_read(&rd, 0, &h->ind, &tagged[*n]);
        const char *eid = (const char *)sqlite3_column_text(s, KZ_IND_NCOLS);
        snprintf(h->event.id, sizeof h->event.id, "%s", eid ? eid : "");
        memcpy(h->ind.event_id, h->event.id, sizeof h->event.id);
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        r = kz__dberr(st, rc, err, "searching values");
        goto out;
    }
    kz__reset(s);
    if (rd.oom) {
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        goto out;
    }
    /* Tags once the statement is done with (they need statements of their own). */
    for (size_t i = 0; i < *n && !r; i++)
        if (tagged[i])
            r = kz__indicator_tags_load(st, (*out)[i].seq, a, &(*out)[i].ind.tags, err);
out:
    kz__read_end(st, snap);
    if (r) {
        *out = NULL;
        *n = 0;
    }
    return r;
}
