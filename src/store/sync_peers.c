/* sync_peers.c — the peers a node federates with (migration_7_sync.c).
 *
 * The API key this node presents to a peer is a credential for another
 * system, so it never lies in the database in clear: it is sealed with
 * crypto_secretbox under a key derived from the node secret (a separate
 * file, <db>.secret), with a random nonce per write. Filters are kept as
 * newline-joined text: tags, type names and org ids never hold a newline.
 */
#include "store_int.h"

#include <sodium.h>

#define PEER_COLS                                                                                  \
    "id, name, url, org_id, public_key, direction, paused, tlp_ceiling, published_only,"          \
    " filter_tags, filter_types, filter_orgs, api_key_sealed, pull_interval, pulled_cursor,"      \
    " pushed_cursor, last_sync, last_error, relay"

#define KEY_MAX 256 /* bytes of an API key we are willing to seal */

static int seal_key(kz_store *st, const char *key, uint8_t *out, size_t *out_len, kz_err *err)
{
    uint8_t secret[32], k[32];
    int r = kz_store_node_secret(st, secret, err);
    if (r)
        return r;
    crypto_kdf_derive_from_key(k, sizeof k, 2, "kzpeerky", secret);
    sodium_memzero(secret, sizeof secret);
    size_t n = strlen(key);
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const uint8_t *)key, n, out, k);
    sodium_memzero(k, sizeof k);
    *out_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    return 0;
}

static char *unseal_key(kz_store *st, const uint8_t *box, size_t len, kz_arena *a, kz_err *err)
{
    if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
        len > crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + KEY_MAX) {
        kz_fail(err, KZ_E_DB, "api_key", "the sealed peer API key is damaged");
        return NULL;
    }
    uint8_t secret[32], k[32];
    if (kz_store_node_secret(st, secret, err))
        return NULL;
    crypto_kdf_derive_from_key(k, sizeof k, 2, "kzpeerky", secret);
    sodium_memzero(secret, sizeof secret);
    size_t n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *out = kz_arena_alloc(a, n + 1);
    if (!out) {
        sodium_memzero(k, sizeof k);
        kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        return NULL;
    }
    int bad = crypto_secretbox_open_easy((uint8_t *)out, box + crypto_secretbox_NONCEBYTES,
                                         len - crypto_secretbox_NONCEBYTES, box, k);
    sodium_memzero(k, sizeof k);
    if (bad) {
        kz_fail(err, KZ_E_DB, "api_key",
                "the peer API key does not open with this node's secret (was the database "
                "copied without its .secret file?)");
        return NULL;
    }
    out[n] = '\0';
    return out;
}

static int join_list(const kz_strlist *l, kz_buf *b, const char *field, kz_err *err)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strchr(l->v[i], '\n'))
            return kz_fail(err, KZ_E_VALUE, field, "filter value '%.64s' holds a newline",
                           l->v[i]);
        if ((i && kz_buf_putc(b, '\n')) || kz_buf_puts(b, l->v[i]))
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    if (kz_buf_putc(b, '\0'))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

static void split_list(kz_arena *a, const char *s, kz_strlist *out, bool *oom)
{
    *out = (kz_strlist){0};
    while (s && *s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *v = kz_arena_strndup(a, s, n);
        if (!v || kz_strlist_push(a, out, v)) {
            *oom = true;
            return;
        }
        s = e ? e + 1 : s + n;
    }
}

static int check_peer(const kz_peer *p, kz_err *err)
{
    if (!kz_uuid_valid(p->id))
        return kz_fail(err, KZ_E_VALUE, "id", "peer id '%.64s' is not a UUID", p->id);
    if (!p->name || !*p->name || strlen(p->name) > 100 || !kz_utf8_valid(p->name, strlen(p->name)))
        return kz_fail(err, KZ_E_VALUE, "name", "a peer needs a name of 1 to 100 bytes of UTF-8");
    if (!p->url || !*p->url || strlen(p->url) > 2000)
        return kz_fail(err, KZ_E_VALUE, "url", "a peer needs a URL (at most 2000 bytes)");
    if (p->direction < KZ_PEER_PULL || p->direction > KZ_PEER_BOTH)
        return kz_fail(err, KZ_E_VALUE, "direction", "direction %d is not pull, push or both",
                       (int)p->direction);
    if (!kz_tlp_name(p->tlp_ceiling))
        return kz_fail(err, KZ_E_VALUE, "tlp_ceiling", "TLP %d is not valid", (int)p->tlp_ceiling);
    if (p->api_key && strlen(p->api_key) > KEY_MAX)
        return kz_fail(err, KZ_E_VALUE, "api_key", "the peer API key is longer than %d bytes",
                       KEY_MAX);
    if (p->pull_interval < 0)
        return kz_fail(err, KZ_E_VALUE, "interval", "interval %d is negative", p->pull_interval);
    return 0;
}

int kz_store_peer_put(kz_store *st, const kz_peer *p, kz_err *err)
{
    int r = check_peer(p, err);
    if (r)
        return r;
    kz_buf tags, types, orgs;
    kz_buf_init(&tags), kz_buf_init(&types), kz_buf_init(&orgs);
    uint8_t box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + KEY_MAX];
    size_t box_len = 0;
    r = join_list(&p->filter_tags, &tags, "filter_tags", err);
    if (!r)
        r = join_list(&p->filter_types, &types, "filter_types", err);
    if (!r)
        r = join_list(&p->filter_orgs, &orgs, "filter_orgs", err);
    if (!r && p->api_key && *p->api_key)
        r = seal_key(st, p->api_key, box, &box_len, err);
    if (!r) {
        r = kz__exists(st, KZ_SQL_ORG_EXISTS, p->org_id, err);
        if (r == KZ_E_NOTFOUND)
            r = kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                        p->org_id);
    }
    sqlite3_stmt *s = NULL;
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO sync_peers(" PEER_COLS ", created) VALUES (?1, ?2, ?3,"
                             " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
                             " ?18, ?20, ?19)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, p->id);
        kz__bind_text(s, 2, p->name);
        kz__bind_text(s, 3, p->url);
        kz__bind_text(s, 4, p->org_id);
        sqlite3_bind_blob(s, 5, p->public_key, 32, SQLITE_STATIC);
        sqlite3_bind_int(s, 6, (int)p->direction);
        sqlite3_bind_int(s, 7, p->paused ? 1 : 0);
        sqlite3_bind_int(s, 8, (int)p->tlp_ceiling);
        sqlite3_bind_int(s, 9, p->published_only ? 1 : 0);
        kz__bind_text(s, 10, tags.p);
        kz__bind_text(s, 11, types.p);
        kz__bind_text(s, 12, orgs.p);
        if (box_len)
            sqlite3_bind_blob(s, 13, box, (int)box_len, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 13);
        sqlite3_bind_int(s, 14, p->pull_interval);
        kz__bind_i64(s, 15, p->pulled_cursor);
        kz__bind_i64(s, 16, p->pushed_cursor);
        kz__bind_i64(s, 17, p->last_sync);
        kz__bind_text(s, 18, p->last_error);
        kz__bind_i64(s, 19, kz_time_now());
        sqlite3_bind_int(s, 20, p->relay ? 1 : 0);
        int rc = kz__run(st, s);
        if (kz__is_unique(rc) && kz__failed_on(st, "sync_peers.name"))
            r = kz_fail(err, KZ_E_CONFLICT, "name", "a peer named '%.100s' exists", p->name);
        else if (kz__is_unique(rc))
            r = kz_fail(err, KZ_E_CONFLICT, "id", "peer " KZ_ID_FMT " already exists", p->id);
        else if (rc)
            r = kz__dberr(st, rc, err, "storing a peer");
    }
    sodium_memzero(box, sizeof box);
    kz_buf_free(&tags), kz_buf_free(&types), kz_buf_free(&orgs);
    return r;
}

/* Reads one row of PEER_COLS; the sealed key is opened by the caller. */
static void read_peer(kz_rd *r, void *out)
{
    kz_peer *p = out;
    memset(p, 0, sizeof *p);
    kz__col_uuid(r, 0, p->id);
    p->name = kz__col_str(r, 1);
    p->url = kz__col_str(r, 2);
    kz__col_uuid(r, 3, p->org_id);
    const void *k = sqlite3_column_blob(r->s, 4);
    if (k && sqlite3_column_bytes(r->s, 4) == 32)
        memcpy(p->public_key, k, 32);
    p->direction = (kz_peer_direction)kz__col_int(r, 5);
    p->paused = kz__col_int(r, 6) != 0;
    p->tlp_ceiling = (kz_tlp)kz__col_int(r, 7);
    p->published_only = kz__col_int(r, 8) != 0;
    split_list(r->a, (const char *)sqlite3_column_text(r->s, 9), &p->filter_tags, &r->oom);
    split_list(r->a, (const char *)sqlite3_column_text(r->s, 10), &p->filter_types, &r->oom);
    split_list(r->a, (const char *)sqlite3_column_text(r->s, 11), &p->filter_orgs, &r->oom);
    p->pull_interval = kz__col_int(r, 13);
    p->pulled_cursor = kz__col_i64(r, 14);
    p->pushed_cursor = kz__col_i64(r, 15);
    p->last_sync = kz__col_i64(r, 16);
    p->last_error = kz__col_str(r, 17);
    p->relay = kz__col_int(r, 18) != 0;
}

static int get_one(kz_store *st, const char *sql, const char *key, kz_arena *a, kz_peer *out,
                   kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, key ? key : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "peer '%.100s' not found", key ? key : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a peer");
    kz_rd rd = {s, a, false};
    read_peer(&rd, out);
    int r = 0;
    if (sqlite3_column_type(s, 12) == SQLITE_BLOB) {
        size_t n = (size_t)sqlite3_column_bytes(s, 12);
        uint8_t box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + KEY_MAX];
        if (n <= sizeof box) {
            memcpy(box, sqlite3_column_blob(s, 12), n);
            kz__reset(s);
            out->api_key = unseal_key(st, box, n, a, err);
            if (!out->api_key)
                r = kz__code(err);
        } else {
            kz__reset(s);
            r = kz_fail(err, KZ_E_DB, "api_key", "the sealed peer API key is damaged");
        }
    } else {
        kz__reset(s);
    }
    if (!r && rd.oom)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return r;
}

int kz_store_peer_get(kz_store *st, const char *id_or_name, kz_arena *a, kz_peer *out,
                      kz_err *err)
{
    return get_one(st, "SELECT " PEER_COLS " FROM sync_peers WHERE id = ?1 OR name = ?1", id_or_name,
                   a, out, err);
}

int kz_store_peer_by_org(kz_store *st, const char *org_id, kz_arena *a, kz_peer *out,
                         kz_err *err)
{
    return get_one(st,
                   "SELECT " PEER_COLS " FROM sync_peers WHERE org_id = ?1 ORDER BY created LIMIT 1",
                   org_id, a, out, err);
}

int kz_store_peer_list(kz_store *st, kz_arena *a, kz_peer **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    /* Lists never carry the API keys: nothing that prints a list can leak one. */
    sqlite3_stmt *s = kz__stmt(st, "SELECT " PEER_COLS " FROM sync_peers ORDER BY name", err);
    if (!s)
        return kz__code(err);
    return kz__list_rows(st, s, a, sizeof **out, read_peer, out, n, "listing peers", err);
}

/* Binds ?1 id, ?2 v, ?3 text, ?4 v2; a statement ignores what it does not use. */
static int peer_write(kz_store *st, const char *sql, const char *id, int64_t v, const char *text,
                      int64_t v2, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    kz__bind_i64(s, 2, v);
    kz__bind_text(s, 3, text);
    kz__bind_i64(s, 4, v2);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "updating a peer");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "peer " KZ_ID_FMT " not found", id ? id : "");
    return 0;
}

int kz_store_peer_delete(kz_store *st, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM sync_peers WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "removing a peer");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "peer " KZ_ID_FMT " not found", id ? id : "");
    return 0;
}

int kz_store_peer_set_paused(kz_store *st, const char *id, bool paused, kz_err *err)
{
    return peer_write(st, "UPDATE sync_peers SET paused = ?2 WHERE id = ?1",
                      id, paused ? 1 : 0, NULL, 0, err);
}

int kz_store_peer_set_relay(kz_store *st, const char *id, bool relay, kz_err *err)
{
    return peer_write(st, "UPDATE sync_peers SET relay = ?2 WHERE id = ?1", id, relay ? 1 : 0,
                      NULL, 0, err);
}

int kz_store_peer_cursor(kz_store *st, const char *id, bool pushed, int64_t cursor, kz_err *err)
{
    if (pushed)
        return peer_write(st,
                          "UPDATE sync_peers SET pushed_cursor = ?2, last_sync = ?4,"
                          " last_error = ?3 WHERE id = ?1",
                          id, cursor, NULL, kz_time_now(), err);
    return peer_write(st,
                      "UPDATE sync_peers SET pulled_cursor = ?2, last_sync = ?4,"
                      " last_error = ?3 WHERE id = ?1",
                      id, cursor, NULL, kz_time_now(), err);
}

int kz_store_peer_status(kz_store *st, const char *id, kz_time when, const char *error,
                         kz_err *err)
{
    return peer_write(st, "UPDATE sync_peers SET last_sync = ?2, last_error = ?3 WHERE id = ?1",
                      id, when, error, 0, err);
}

int kz_store_peer_set_key(kz_store *st, const char *id, const char *api_key, kz_err *err)
{
    if (api_key && strlen(api_key) > KEY_MAX)
        return kz_fail(err, KZ_E_VALUE, "api_key", "the peer API key is longer than %d bytes",
                       KEY_MAX);
    uint8_t box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + KEY_MAX];
    size_t box_len = 0;
    int r = 0;
    if (api_key && *api_key && (r = seal_key(st, api_key, box, &box_len, err)))
        return r;
    sqlite3_stmt *s = kz__stmt(st, "UPDATE sync_peers SET api_key_sealed = ?2 WHERE id = ?1", err);
    if (!s)
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, id ? id : "");
        if (box_len)
            sqlite3_bind_blob(s, 2, box, (int)box_len, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 2);
        int rc = kz__run(st, s);
        if (rc)
            r = kz__dberr(st, rc, err, "updating a peer");
        else if (sqlite3_changes(st->db) == 0)
            r = kz_fail(err, KZ_E_NOTFOUND, "", "peer " KZ_ID_FMT " not found", id ? id : "");
    }
    sodium_memzero(box, sizeof box);
    return r;
}

int kz_store_peer_configure(kz_store *st, const char *id, kz_peer_direction direction,
                            int pull_interval, kz_tlp tlp_ceiling, kz_err *err)
{
    if (direction < KZ_PEER_PULL || direction > KZ_PEER_BOTH)
        return kz_fail(err, KZ_E_VALUE, "direction", "direction %d is not pull, push or both",
                       (int)direction);
    if (!kz_tlp_name(tlp_ceiling))
        return kz_fail(err, KZ_E_VALUE, "tlp_ceiling", "TLP %d is not valid", (int)tlp_ceiling);
    if (pull_interval < 0)
        return kz_fail(err, KZ_E_VALUE, "interval", "interval %d is negative", pull_interval);
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE sync_peers SET direction = ?2, pull_interval = ?3,"
                               " tlp_ceiling = ?4 WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    sqlite3_bind_int(s, 2, (int)direction);
    sqlite3_bind_int(s, 3, pull_interval);
    sqlite3_bind_int(s, 4, (int)tlp_ceiling);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "updating a peer");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "peer " KZ_ID_FMT " not found", id ? id : "");
    return 0;
}
