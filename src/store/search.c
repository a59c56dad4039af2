/* search.c — finding indicators by value, address, domain and the filters
 * of GET /api/v1/search. Each selector is answered by an index:
 *
 * - value: the value index (rows come out in seq order for one value);
 * - an address or network: addresses and CIDRs inside [net, last] are one
 *   BETWEEN on the (addr, prefix) index; CIDRs that contain the network are
 *   one probe per shorter prefix length in use (ip_prefixes), each asking for
 *   exactly the network of that length that would contain it;
 * - a domain: rdomain = 'com.evil' or rdomain in ['com.evil.', 'com.evil/'),
 *   i.e. the domain and its subdomains but not 'com.evil-twin'.
 *
 * Results are ordered by seq and start after after_seq (keyset paging: rows
 * added while a client pages get higher seqs and so are neither skipped nor
 * repeated). The statement text is assembled from fixed fragments chosen by
 * which filters are present; every value is a bound parameter.
 */
#include "store_int.h"

enum {
    SF_VALUE = 1 << 0,
    SF_TYPE = 1 << 1,
    SF_IP = 1 << 2,
    SF_DOMAIN = 1 << 3,
    SF_TAG = 1 << 4,
    SF_ORG = 1 << 5,
    SF_COUNTRY = 1 << 6,
    SF_TLP = 1 << 7,
    SF_PUBLISHED = 1 << 8,
    SF_TO_IDS = 1 << 9,
    SF_SINCE = 1 << 10,
    SF_UNTIL = 1 << 11,
};

static void build_search(uint32_t key, kz_buf *b)
{
    /* Without a selective key (value, address, domain) the answer is best
     * found by walking indicators in seq order until the page is full; left
     * to itself the planner would collect and sort every row of a matching
     * org or event first. CROSS JOIN pins indicators as the outer loop. */
    bool keyed = key & (SF_VALUE | SF_IP | SF_DOMAIN);
    kz_buf_puts(b, "SELECT " KZ_IND_COLS ", " KZ_EVENT_COLS " FROM indicators i");
    kz_buf_puts(b, keyed ? " JOIN" : " CROSS JOIN");
    kz_buf_puts(b, " events e ON e.seq = i.event_ref WHERE i.seq > ?1 AND i.deleted = 0");
    /* Two probes: the value index (which leaves out domains and host names,
     * see migrations.c) and rdomain for those. */
    if (key & SF_VALUE)
        kz_buf_puts(b, " AND i.seq IN ("
                       "SELECT seq FROM indicators WHERE value = ?2"
                       " AND (rdomain IS NULL OR type NOT IN ('domain', 'hostname'))"
                       " UNION ALL "
                       "SELECT seq FROM indicators WHERE rdomain = ?20 AND value = ?2"
                       " AND type IN ('domain', 'hostname'))");
    if (key & SF_TYPE)
        kz_buf_puts(b, " AND i.type = ?3");
    if (key & SF_IP)
        kz_buf_puts(b, " AND i.seq IN ("
                       "SELECT seq FROM indicators"
                       " WHERE addr BETWEEN ?4 AND ?5 AND prefix >= ?6 AND seq > ?1"
                       " UNION ALL "
                       "SELECT x.seq FROM ip_prefixes p JOIN indicators x"
                       " ON x.addr = kz_ip_mask(?4, p.len) AND x.prefix = p.len"
                       " WHERE p.len < ?6 AND p.len >= ?7 AND x.seq > ?1)");
    if (key & SF_DOMAIN)
        kz_buf_puts(b, " AND i.rdomain >= ?8 AND i.rdomain < ?9"
                       " AND (i.rdomain = ?8 OR i.rdomain >= ?10)");
    if (key & SF_TAG)
        kz_buf_puts(b, " AND (i.seq IN (SELECT it.ind FROM indicator_tags it"
                       " JOIN tags t ON t.id = it.tag WHERE t.name = ?11)"
                       " OR i.event_ref IN (SELECT et.event FROM event_tags et"
                       " JOIN tags t ON t.id = et.tag WHERE t.name = ?11))");
    if (key & SF_ORG)
        kz_buf_puts(b, " AND e.creator_org = ?12");
    if (key & SF_COUNTRY)
        kz_buf_puts(b, " AND e.creator_org IN (SELECT id FROM orgs WHERE country = ?13)");
    if (key & SF_TLP)
        kz_buf_puts(b, " AND max(e.tlp, ifnull(i.tlp, 0)) = ?14");
    if (key & SF_PUBLISHED)
        kz_buf_puts(b, " AND e.published = ?15");
    if (key & SF_TO_IDS)
        kz_buf_puts(b, " AND i.to_ids = ?16");
    if (key & SF_SINCE)
        kz_buf_puts(b, " AND i.created >= ?17");
    if (key & SF_UNTIL)
        kz_buf_puts(b, " AND i.created <= ?18");
    kz_buf_puts(b, " ORDER BY i.seq LIMIT ?19");
}

/* The query's network as the bounds the SQL needs. */
typedef struct ip_range {
    uint8_t net[16], last[16];
    int prefix, min_prefix;
} ip_range;

static int make_range(const kz_search_query *q, ip_range *ir, kz_err *err)
{
    int p = q->prefix128;
    int min = q->ip.v4 ? 96 : 0;
    if (p < min || p > 128)
        return kz_fail(err, KZ_E_VALUE, "value", "network prefix %d is out of range",
                       q->ip.v4 ? p - 96 : p);
    kz__ip_mask(q->ip.b, p, ir->net);
    uint8_t mask[16];
    static const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    kz__ip_mask(ones, p, mask);
    for (int i = 0; i < 16; i++)
        ir->last[i] = (uint8_t)(ir->net[i] | (uint8_t)~mask[i]);
    ir->prefix = p;
    /* An IPv4 query only considers IPv4 networks (::ffff:0:0/96 and below),
     * so "::/0" written by someone is not a container of every IPv4. */
    ir->min_prefix = min;
    return 0;
}

/* The domain and the two range bounds: "com.evil", "com.evil/", "com.evil.". */
typedef struct domain_range {
    char rd[KZ_RDOMAIN_MAX], slash[KZ_RDOMAIN_MAX + 1], dot[KZ_RDOMAIN_MAX + 1];
} domain_range;

static int make_domain(const char *domain, domain_range *dr, kz_err *err)
{
    size_t n = strlen(domain);
    if (n == 0 || n >= KZ_RDOMAIN_MAX)
        return kz_fail(err, KZ_E_VALUE, "value", "'%.80s' is not a domain name", domain);
    kz_domain_reverse(domain, dr->rd, sizeof dr->rd);
    if (!dr->rd[0])
        return kz_fail(err, KZ_E_VALUE, "value", "'%.80s' is not a domain name", domain);
    snprintf(dr->slash, sizeof dr->slash, "%s/", dr->rd);
    snprintf(dr->dot, sizeof dr->dot, "%s.", dr->rd);
    return 0;
}

static uint32_t query_key(const kz_search_query *q)
{
    uint32_t key = 0;
    if (q->value)
        key |= SF_VALUE;
    if (q->type >= 0)
        key |= SF_TYPE;
    if (q->has_ip)
        key |= SF_IP;
    if (q->domain)
        key |= SF_DOMAIN;
    if (q->tag)
        key |= SF_TAG;
    if (q->org_id)
        key |= SF_ORG;
    if (q->country)
        key |= SF_COUNTRY;
    if (q->tlp >= 0)
        key |= SF_TLP;
    if (q->published >= 0)
        key |= SF_PUBLISHED;
    if (q->to_ids >= 0)
        key |= SF_TO_IDS;
    if (q->since)
        key |= SF_SINCE;
    if (q->until)
        key |= SF_UNTIL;
    return key;
}

/* Tags of each hit, and tags and recipients of each distinct event (hits of
 * one event share the loaded lists). */
static int load_links(kz_store *st, kz_search_hit *hits, const int64_t *ev_seq,
                      const bool *tagged, size_t n, kz_arena *a, kz_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (tagged[i]) {
            int r = kz__indicator_tags_load(st, hits[i].seq, a, &hits[i].ind.tags, err);
            if (r)
                return r;
        }
        size_t j = 0;
        while (j < i && ev_seq[j] != ev_seq[i])
            j++;
        if (j < i) {
            hits[i].event.tags = hits[j].event.tags;
            hits[i].event.recipient_orgs = hits[j].event.recipient_orgs;
            hits[i].event.recipient_users = hits[j].event.recipient_users;
            continue;
        }
        int r = kz__event_links_load(st, ev_seq[i], a, &hits[i].event, err);
        if (r)
            return r;
    }
    return 0;
}

int kz_store_search(kz_store *st, const kz_search_query *q, kz_arena *a, kz_search_hit **out,
                    size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    uint32_t key = query_key(q);
    ip_range ir;
    domain_range dr;
    int r = 0;
    if ((key & SF_IP) && (r = make_range(q, &ir, err)))
        return r;
    if ((key & SF_DOMAIN) && (r = make_domain(q->domain, &dr, err)))
        return r;
    if ((key & SF_TYPE) && (unsigned)q->type >= KZ_IOC__COUNT)
        return kz_fail(err, KZ_E_VALUE, "type", "indicator type %d is not valid", q->type);
    /* A value that is a domain is stored under its reversed form too. */
    char value_rd[KZ_RDOMAIN_MAX];
    value_rd[0] = '\0';
    if (key & SF_VALUE)
        kz_domain_reverse(q->value, value_rd, sizeof value_rd);
    size_t limit = q->limit ? q->limit : 100;
    if (limit > SIZE_MAX / sizeof(kz_search_hit))
        limit = SIZE_MAX / sizeof(kz_search_hit);

    bool snap = kz__read_begin(st);
    sqlite3_stmt *s = kz__stmt_dyn(st, 0x20000u | key, build_search, err);
    if (!s) {
        r = kz__code(err);
        goto out;
    }
    kz__bind_i64(s, 1, q->after_seq);
    if (key & SF_VALUE) {
        kz__bind_text(s, 2, q->value);
        kz__bind_text(s, 20, value_rd);
    }
    if (key & SF_TYPE)
        kz__bind_text(s, 3, kz_ioc_type_name((kz_ioc_type)q->type));
    if (key & SF_IP) {
        sqlite3_bind_blob(s, 4, ir.net, 16, SQLITE_STATIC);
        sqlite3_bind_blob(s, 5, ir.last, 16, SQLITE_STATIC);
        sqlite3_bind_int(s, 6, ir.prefix);
        sqlite3_bind_int(s, 7, ir.min_prefix);
    }
    if (key & SF_DOMAIN) {
        kz__bind_text(s, 8, dr.rd);
        kz__bind_text(s, 9, dr.slash);
        kz__bind_text(s, 10, dr.dot);
    }
    if (key & SF_TAG)
        kz__bind_text(s, 11, q->tag);
    if (key & SF_ORG)
        kz__bind_text(s, 12, q->org_id);
    if (key & SF_COUNTRY)
        kz__bind_text(s, 13, q->country);
    if (key & SF_TLP)
        sqlite3_bind_int(s, 14, q->tlp);
    if (key & SF_PUBLISHED)
        sqlite3_bind_int(s, 15, q->published ? 1 : 0);
    if (key & SF_TO_IDS)
        sqlite3_bind_int(s, 16, q->to_ids ? 1 : 0);
    if (key & SF_SINCE)
        kz__bind_i64(s, 17, q->since);
    if (key & SF_UNTIL)
        kz__bind_i64(s, 18, q->until);
    kz__bind_i64(s, 19, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);

    size_t cap = 0, scap = 0, tcap = 0;
    int64_t *ev_seq = NULL;
    bool *tagged = NULL;
    kz_rd rd = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_search_hit *nh = kz__grow(a, *out, *n, &cap, sizeof **out);
        int64_t *ns = kz__grow(a, ev_seq, *n, &scap, sizeof *ev_seq);
        bool *nt = kz__grow(a, tagged, *n, &tcap, sizeof *tagged);
        if (!nh || !ns || !nt) {
            kz__reset(s);
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            goto out;
        }
        *out = nh;
        ev_seq = ns;
        tagged = nt;
        kz_search_hit *h = &(*out)[*n];
        h->seq = kz__indicator_read(&rd, 0, &h->ind, &tagged[*n]);
        ev_seq[*n] = kz__event_read(&rd, KZ_IND_NCOLS, &h->event);
        memcpy(h->ind.event_id, h->event.id, sizeof h->event.id);
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        r = kz__dberr(st, rc, err, "searching");
        goto out;
    }
    kz__reset(s);
    if (rd.oom) {
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        goto out;
    }
    r = load_links(st, *out, ev_seq, tagged, *n, a, err);
out:
    kz__read_end(st, snap);
    if (r) {
        *out = NULL;
        *n = 0;
    }
    return r;
}
