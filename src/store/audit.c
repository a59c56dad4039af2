/* audit.c — the append-only, hash-chained audit log: who did what to which
 * object, from where, and when. Each entry carries the hash of the one
 * before it, so an entry edited, removed or moved in the file breaks the
 * chain at the first place touched, and `kizuna audit verify` names it.
 *
 * The canonical form hashed is versioned and length-prefixed, so no two
 * different entries serialise to the same bytes (a field cannot "borrow"
 * a separator from its neighbour):
 *   "kz-audit-2\n" then, per field, "<len>:<bytes>\n" or "~\n" for null,
 *   in the order seq, at, actor_user, actor_org, remote, action,
 *   object_type, object_id, tlp, status (numbers in decimal).
 *   hash = keyed BLAKE2b-256(key, prev_hash || canonical); the first
 *   prev_hash is 32 zero bytes.
 * The key is derived from the node secret, which lives in its own file
 * (secret.c), not in the database: whoever can write the database but not
 * read that file cannot forge an entry or rewrite the chain so that it
 * verifies. The newest seq and hash are also kept in meta ("audit.head") in
 * the same transaction, so cutting entries off the end is noticed unless
 * the head is moved back as well; against that, and against someone who
 * holds the secret too, only a head recorded elsewhere helps (`kizuna audit
 * head`, `audit verify --expect`; docs/notifications.md).
 */
#include "store_int.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>

#define AUDIT_COLS                                                                                 \
    "seq, at, actor_user, actor_org, remote, action, object_type, object_id, tlp, status, "        \
    "prev_hash, hash"

static void put_field(crypto_generichash_state *h, const char *v)
{
    if (!v) {
        crypto_generichash_update(h, (const unsigned char *)"~\n", 2);
        return;
    }
    char len[24];
    int n = snprintf(len, sizeof len, "%zu:", strlen(v));
    crypto_generichash_update(h, (const unsigned char *)len, (size_t)n);
    crypto_generichash_update(h, (const unsigned char *)v, strlen(v));
    crypto_generichash_update(h, (const unsigned char *)"\n", 1);
}

static void put_num(crypto_generichash_state *h, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    put_field(h, num);
}

int kz_store_audit_key(kz_store *st, uint8_t key[32], kz_err *err)
{
    uint8_t secret[32];
    int r = kz_store_node_secret(st, secret, err);
    if (r)
        return r;
    crypto_kdf_derive_from_key(key, 32, 1, "kzaudit_", secret);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

void kz_store_audit_mac(const uint8_t key[32], const kz_audit_entry *e, uint8_t out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, key, 32, 32);
    crypto_generichash_update(&h, e->prev_hash, 32);
    crypto_generichash_update(&h, (const unsigned char *)"kz-audit-2\n", 11);
    put_num(&h, e->seq);
    put_num(&h, e->at);
    put_field(&h, e->actor_user);
    put_field(&h, e->actor_org);
    put_field(&h, e->remote);
    put_field(&h, e->action);
    put_field(&h, e->object_type);
    put_field(&h, e->object_id);
    put_num(&h, e->tlp);
    put_num(&h, e->status);
    crypto_generichash_final(&h, out, 32);
}

/* The newest entry's seq and hash (0 and zeros when the log is empty). */
static int head(kz_store *st, int64_t *seq, uint8_t hash[32], kz_err *err)
{
    *seq = 0;
    memset(hash, 0, 32);
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", err);
    if (!s)
        return kz__code(err);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
        if (sqlite3_column_bytes(s, 1) == 32)
            memcpy(hash, sqlite3_column_blob(s, 1), 32);
        kz__reset(s);
        return 0;
    }
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return 0;
    }
    return kz__dberr(st, rc, err, "reading the audit log head");
}

/* Inserts the rows after (*seq, prev), moving both on. */
static int append_rows(kz_store *st, const uint8_t key[32], kz_audit_entry *e, size_t n,
                       int64_t *seqp, uint8_t prev[32], kz_err *err)
{
    int64_t seq = *seqp;
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO audit_log(" AUDIT_COLS ") VALUES"
                               " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                               err);
    if (!s)
        return kz__code(err);
    for (size_t i = 0; i < n; i++) {
        kz_audit_entry *x = &e[i];
        x->seq = ++seq;
        if (!x->at)
            x->at = kz_time_now();
        if (!x->action)
            x->action = "";
        memcpy(x->prev_hash, prev, 32);
        kz_store_audit_mac(key, x, x->hash);
        kz__bind_i64(s, 1, x->seq);
        kz__bind_i64(s, 2, x->at);
        kz__bind_text(s, 3, x->actor_user);
        kz__bind_text(s, 4, x->actor_org);
        kz__bind_text(s, 5, x->remote);
        kz__bind_text(s, 6, x->action);
        kz__bind_text(s, 7, x->object_type);
        kz__bind_text(s, 8, x->object_id);
        kz__bind_i64(s, 9, x->tlp);
        kz__bind_i64(s, 10, x->status);
        sqlite3_bind_blob(s, 11, x->prev_hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(s, 12, x->hash, 32, SQLITE_STATIC);
        int rc = kz__run(st, s);
        if (rc)
            return kz__dberr(st, rc, err, "appending to the audit log");
        memcpy(prev, x->hash, 32);
    }
    *seqp = seq;
    return 0;
}

int kz_store_audit_append(kz_store *st, kz_audit_entry *e, size_t n, kz_err *err)
{
    if (n == 0)
        return 0;
    uint8_t key[32];
    int r = kz_store_audit_key(st, key, err);
    if (r)
        return r;
    if ((r = kz_store_begin(st, err))) {
        sodium_memzero(key, sizeof key);
        return r;
    }
    int64_t seq;
    uint8_t prev[32];
    if ((r = head(st, &seq, prev, err)) == 0)
        r = append_rows(st, key, e, n, &seq, prev, err);
    sodium_memzero(key, sizeof key);
    if (r)
        return kz__fail_txn(st, r);
    char hex[65], headv[96];
    kz_hex_encode(prev, 32, hex);
    snprintf(headv, sizeof headv, "%" PRId64 ":%s", seq, hex);
    if ((r = kz_store_meta_set(st, "audit.head", headv, err)) != 0)
        return kz__fail_txn(st, r);
    return kz_store_commit(st, err);
}

static void read_entry(kz_rd *r, void *out)
{
    kz_audit_entry *e = out;
    memset(e, 0, sizeof *e);
    e->seq = kz__col_i64(r, 0);
    e->at = kz__col_i64(r, 1);
    e->actor_user = kz__col_str(r, 2);
    e->actor_org = kz__col_str(r, 3);
    e->remote = kz__col_str(r, 4);
    e->action = kz__col_str(r, 5);
    e->object_type = kz__col_str(r, 6);
    e->object_id = kz__col_str(r, 7);
    e->tlp = kz__col_int(r, 8);
    e->status = kz__col_int(r, 9);
    if (sqlite3_column_bytes(r->s, 10) == 32)
        memcpy(e->prev_hash, sqlite3_column_blob(r->s, 10), 32);
    if (sqlite3_column_bytes(r->s, 11) == 32)
        memcpy(e->hash, sqlite3_column_blob(r->s, 11), 32);
}

int kz_store_audit_list(kz_store *st, const kz_audit_filter *f, kz_arena *a, kz_audit_entry **out,
                        size_t *n, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " AUDIT_COLS " FROM audit_log"
                               " WHERE (?1 = 0 OR at >= ?1) AND (?2 = 0 OR at < ?2)"
                               " AND (?3 IS NULL OR actor_org = ?3)"
                               " AND (?4 IS NULL OR actor_user = ?4)"
                               " AND (?5 IS NULL OR action = ?5 OR (?5 = 'write' AND action NOT IN"
                               " ('read', 'deliver') AND action NOT LIKE 'GET %'))"
                               " AND (?6 IS NULL OR object_type = ?6)"
                               " AND (?7 IS NULL OR object_id = ?7)"
                               " AND tlp >= ?8 AND (?9 = 0 OR seq < ?9)"
                               " ORDER BY seq DESC LIMIT ?10",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, f->since);
    kz__bind_i64(s, 2, f->until);
    kz__bind_text(s, 3, f->actor_org);
    kz__bind_text(s, 4, f->actor_user);
    kz__bind_text(s, 5, f->action);
    kz__bind_text(s, 6, f->object_type);
    kz__bind_text(s, 7, f->object_id);
    kz__bind_i64(s, 8, f->min_tlp);
    kz__bind_i64(s, 9, f->before_seq);
    kz__bind_i64(s, 10, f->limit ? (int64_t)f->limit : 100);
    return kz__list_rows(st, s, a, sizeof(kz_audit_entry), read_entry, out, n,
                         "listing the audit log", err);
}

/* The head recorded in meta: the log must end exactly there. */
static int check_head(kz_store *st, int64_t last_seq, const uint8_t last_hash[32],
                      int64_t *bad_seq, kz_err *err)
{
    kz_arena a;
    kz_arena_init(&a);
    char *v = NULL;
    kz_err e;
    int r = kz_store_meta_get(st, "audit.head", &a, &v, &e);
    if (r == KZ_E_NOTFOUND) {
        kz_arena_free(&a);
        if (last_seq == 0)
            return 0;
        *bad_seq = 1;
        return kz_fail(err, KZ_E_VALUE, NULL,
                       "the audit log has %" PRId64 " entries but no recorded head", last_seq);
    }
    if (r) {
        kz_arena_free(&a);
        *err = e;
        return r;
    }
    char *colon = strchr(v, ':');
    int64_t hseq = colon ? strtoll(v, NULL, 10) : -1;
    uint8_t hh[32];
    bool ok_hash = colon && strlen(colon + 1) == 64 && kz_hex_decode(colon + 1, hh, 32);
    kz_arena_free(&a);
    if (hseq > last_seq) {
        *bad_seq = last_seq + 1;
        return kz_fail(err, KZ_E_VALUE, NULL,
                       "audit log entry %" PRId64 " is missing: the log ends at %" PRId64
                       " but its recorded head is %" PRId64 " (entries were removed at the end)",
                       last_seq + 1, last_seq, hseq);
    }
    if (hseq != last_seq || !ok_hash || sodium_memcmp(hh, last_hash, 32) != 0) {
        *bad_seq = last_seq;
        return kz_fail(err, KZ_E_VALUE, NULL,
                       "audit log entry %" PRId64 " does not match the recorded head (seq %" PRId64
                       ")",
                       last_seq, hseq);
    }
    return 0;
}

int kz_store_audit_verify(kz_store *st, int64_t *checked, int64_t *bad_seq, kz_err *err)
{
    *checked = 0;
    *bad_seq = 0;
    bool snap = kz__read_begin(st);
    sqlite3_stmt *s = kz__stmt(st, "SELECT " AUDIT_COLS " FROM audit_log ORDER BY seq", err);
    if (!s) {
        kz__read_end(st, snap);
        return kz__code(err);
    }
    uint8_t prev[32] = {0}, key[32];
    int64_t expect = 1;
    int rc = SQLITE_DONE, r = kz_store_audit_key(st, key, err);
    kz_arena a;
    kz_arena_init(&a);
    while (r == 0 && (rc = kz__step(st, s)) == SQLITE_ROW) {
        kz_rd rd = {s, &a, false};
        kz_audit_entry e;
        read_entry(&rd, &e);
        uint8_t h[32];
        if (rd.oom) {
            r = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        } else if (e.seq != expect) {
            *bad_seq = expect;
            r = kz_fail(err, KZ_E_VALUE, NULL,
                        "audit log entry %" PRId64 " is missing (the next entry is %" PRId64 ")",
                        expect, e.seq);
        } else if (sodium_memcmp(e.prev_hash, prev, 32) != 0) {
            *bad_seq = e.seq;
            r = kz_fail(err, KZ_E_VALUE, NULL,
                        "audit log entry %" PRId64 " does not follow entry %" PRId64
                        " (its previous hash differs: an entry was removed, replaced or moved)",
                        e.seq, e.seq - 1);
        } else {
            kz_store_audit_mac(key, &e, h);
            if (sodium_memcmp(h, e.hash, 32) != 0) {
                *bad_seq = e.seq;
                r = kz_fail(err, KZ_E_VALUE, NULL,
                            "audit log entry %" PRId64
                            " was altered (its content does not match its hash, or it was"
                            " written without this node's secret)",
                            e.seq);
            }
        }
        if (r == 0) {
            memcpy(prev, e.hash, 32);
            expect++;
            (*checked)++;
        }
        kz_arena_free(&a);
        kz_arena_init(&a);
    }
    kz_arena_free(&a);
    sodium_memzero(key, sizeof key);
    kz__reset(s);
    if (r == 0 && rc != SQLITE_DONE)
        r = kz__dberr(st, rc, err, "reading the audit log");
    if (r == 0)
        r = check_head(st, expect - 1, prev, bad_seq, err);
    kz__read_end(st, snap);
    return r;
}

/* ---- anchors: heads recorded outside the node ------------------------------------------------
 * Everything above lives in the files an intruder on the node may hold. A
 * head ("seq:hash") copied elsewhere (a ticket, another node, paper) pins
 * the log up to that entry: cutting it off, or rewriting it even with the
 * node secret, no longer matches. */

int kz_store_audit_head_text(kz_store *st, char out[KZ_AUDIT_ANCHOR_LEN + 1], kz_err *err)
{
    int64_t seq;
    uint8_t h[32];
    bool snap = kz__read_begin(st);
    int r = head(st, &seq, h, err);
    kz__read_end(st, snap);
    if (r)
        return r;
    char hex[65];
    kz_hex_encode(h, 32, hex);
    snprintf(out, KZ_AUDIT_ANCHOR_LEN + 1, "%" PRId64 ":%s", seq, hex);
    return 0;
}

int kz_store_audit_anchor_check(kz_store *st, const char *anchor, kz_err *err)
{
    char *end = NULL;
    long long seq = strtoll(anchor, &end, 10);
    uint8_t want[32];
    if (seq < 1 || !end || *end != ':' || strlen(end + 1) != 64 ||
        !kz_hex_decode(end + 1, want, 32) || anchor[0] == '+' || anchor[0] == ' ')
        return kz_fail(err, KZ_E_INVALID, "expect",
                       "expect: '%.100s' is not a recorded head (SEQ:HASH, as printed by "
                       "`kizuna audit head`)",
                       anchor);
    kz_arena a;
    kz_arena_init(&a);
    kz_audit_filter f = {.min_tlp = -1, .before_seq = seq + 1, .limit = 1};
    kz_audit_entry *v = NULL;
    size_t n = 0;
    int r = kz_store_audit_list(st, &f, &a, &v, &n, err);
    if (r == 0 && (n == 0 || v[0].seq != seq))
        r = kz_fail(err, KZ_E_VALUE, NULL,
                    "audit log entry %lld, recorded as the head earlier, is missing: entries "
                    "were removed at the end",
                    seq);
    else if (r == 0 && sodium_memcmp(v[0].hash, want, 32) != 0)
        r = kz_fail(err, KZ_E_VALUE, NULL,
                    "audit log entry %lld differs from the head recorded earlier: the log up "
                    "to it was rewritten",
                    seq);
    kz_arena_free(&a);
    return r;
}
