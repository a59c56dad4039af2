/* taxii_sources.c — the TAXII collections this node pulls on a schedule.
 *
 * A source's credential (bearer key or Basic password) is needed in clear
 * to talk to the remote server, so it cannot be hashed: it is sealed with
 * XChaCha20-Poly1305 under a key derived from the node secret (which lives
 * next to the database, not in it), with the source id, URL, auth kind and
 * user as associated data (seal_ad).
 * Only kz_store_taxii_source_secret opens it; listings say whether there is
 * one, never what it is.
 */
#include "store_int.h"

#include <sodium.h>
#include <string.h>

#define SOURCE_COLS                                                                       \
    "id, name, url, collection, org_id, tlp, interval_s, auth, username, secret IS NOT NULL," \
    " paused, created, last_run, last_ok, last_error, last_objects, runs, failures"
#define MAX_SECRET 4096

static void seal_key(const uint8_t node_secret[32], uint8_t key[32])
{
    crypto_kdf_derive_from_key(key, 32, 3, "kztaxsrc", node_secret);
}

/* The associated data binds the sealed credential to its row and to where
 * it is sent: id, URL, auth kind and user, NUL-separated. Whoever can write
 * the database but not read the node secret cannot move the credential to
 * another row, nor point the row at a host of theirs to collect it. */
static int seal_ad(const char *id, const char *url, int auth, const char *user, kz_buf *out,
                   kz_err *err)
{
    if (kz_buf_printf(out, "kizuna-taxii-source-v1%c%s%c%s%c%d%c%s", 0, id, 0, url, 0, auth, 0,
                      user ? user : "") != 0)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

static void read_source(kz_rd *r, void *out)
{
    kz_taxii_source *s = out;
    memset(s, 0, sizeof *s);
    kz__col_uuid(r, 0, s->id);
    s->name = kz__col_str(r, 1);
    s->url = kz__col_str(r, 2);
    s->collection = kz__col_str(r, 3);
    kz__col_uuid(r, 4, s->org_id);
    s->tlp = (kz_tlp)kz__col_int(r, 5);
    s->interval_s = kz__col_i64(r, 6);
    s->auth = (kz_taxii_auth)kz__col_int(r, 7);
    s->username = kz__col_str(r, 8);
    s->has_secret = kz__col_int(r, 9) != 0;
    s->paused = kz__col_int(r, 10) != 0;
    s->created = kz__col_i64(r, 11);
    s->last_run = kz__col_i64(r, 12);
    s->last_ok = kz__col_i64(r, 13);
    s->last_error = kz__col_str(r, 14);
    s->last_objects = kz__col_i64(r, 15);
    s->runs = kz__col_i64(r, 16);
    s->failures = kz__col_i64(r, 17);
}

static int check(const kz_taxii_source *s, const char *secret, kz_err *err)
{
    if (!kz_uuid_valid(s->id))
        return kz_fail(err, KZ_E_VALUE, "id", "source id " KZ_ID_FMT " is not a UUID", s->id);
    if (!s->name || !*s->name || strlen(s->name) > 100 || !kz_utf8_valid(s->name, strlen(s->name)))
        return kz_fail(err, KZ_E_VALUE, "name", "a source needs a UTF-8 name of 1 to 100 bytes");
    if (!s->url || strlen(s->url) > 900 ||
        (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0))
        return kz_fail(err, KZ_E_VALUE, "url",
                       "source URL '%.100s' is not an http:// or https:// URL of at most 900 bytes",
                       s->url ? s->url : "");
    if (!s->collection || !*s->collection || strlen(s->collection) > 100)
        return kz_fail(err, KZ_E_VALUE, "collection", "a collection id has 1 to 100 bytes");
    if (s->interval_s <= 0)
        return kz_fail(err, KZ_E_VALUE, "interval", "the interval must be positive, not %lld",
                       (long long)s->interval_s);
    if ((int)s->tlp < KZ_TLP_CLEAR || (int)s->tlp > KZ_TLP_RED)
        return kz_fail(err, KZ_E_VALUE, "tlp", "unknown TLP %d", (int)s->tlp);
    if (s->auth == KZ_TAXII_AUTH_BASIC && (!s->username || !*s->username))
        return kz_fail(err, KZ_E_VALUE, "username", "Basic authentication needs a user name");
    if ((s->auth != KZ_TAXII_AUTH_NONE) != (secret != NULL))
        return kz_fail(err, KZ_E_VALUE, "secret",
                       s->auth == KZ_TAXII_AUTH_NONE
                           ? "a source without authentication takes no secret"
                           : "this authentication needs a secret");
    if (secret && strlen(secret) > MAX_SECRET)
        return kz_fail(err, KZ_E_VALUE, "secret", "the secret is longer than %d bytes",
                       MAX_SECRET);
    return 0;
}

int kz_store_taxii_source_put(kz_store *st, const kz_taxii_source *s, const char *secret,
                              kz_err *err)
{
    int r = check(s, secret, err);
    if (r)
        return r;
    r = kz__exists(st, KZ_SQL_ORG_EXISTS, s->org_id, err);
    if (r == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_VALUE, "org_id", "organisation " KZ_ID_FMT " does not exist",
                       s->org_id);
    if (r)
        return r;
    /* nonce || ciphertext+tag */
    unsigned char box[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + MAX_SECRET +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES];
    unsigned long long blen = 0;
    if (secret) {
        uint8_t node[32], key[32];
        kz_buf ad;
        kz_buf_init(&ad);
        if ((r = seal_ad(s->id, s->url, (int)s->auth,
                         s->auth == KZ_TAXII_AUTH_BASIC ? s->username : NULL, &ad, err)) != 0 ||
            (r = kz_store_node_secret(st, node, err)) != 0) {
            kz_buf_free(&ad);
            return r;
        }
        seal_key(node, key);
        randombytes_buf(box, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            box + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &blen,
            (const unsigned char *)secret, strlen(secret), (const unsigned char *)ad.p, ad.len,
            NULL, box, key);
        blen += crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
        sodium_memzero(node, sizeof node);
        sodium_memzero(key, sizeof key);
        kz_buf_free(&ad);
    }
    sqlite3_stmt *q = kz__stmt(st,
                               "INSERT INTO taxii_sources(id, name, url, collection, org_id, tlp,"
                               " interval_s, auth, username, secret, paused, created)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                               err);
    if (!q)
        return kz__code(err);
    kz__bind_text(q, 1, s->id);
    kz__bind_text(q, 2, s->name);
    kz__bind_text(q, 3, s->url);
    kz__bind_text(q, 4, s->collection);
    kz__bind_text(q, 5, s->org_id);
    sqlite3_bind_int(q, 6, (int)s->tlp);
    kz__bind_i64(q, 7, s->interval_s);
    sqlite3_bind_int(q, 8, (int)s->auth);
    kz__bind_text(q, 9, s->auth == KZ_TAXII_AUTH_BASIC ? s->username : NULL);
    if (secret)
        sqlite3_bind_blob(q, 10, box, (int)blen, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, 10);
    sqlite3_bind_int(q, 11, s->paused ? 1 : 0);
    kz__bind_i64(q, 12, s->created ? s->created : kz_time_now());
    int rc = kz__run(st, q);
    sodium_memzero(box, sizeof box);
    if (kz__is_unique(rc) && kz__failed_on(st, "taxii_sources.name"))
        return kz_fail(err, KZ_E_CONFLICT, "name", "a TAXII source named '%.100s' exists",
                       s->name);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "TAXII source " KZ_ID_FMT " exists", s->id);
    return rc ? kz__dberr(st, rc, err, "storing a TAXII source") : 0;
}

int kz_store_taxii_source_get(kz_store *st, const char *id_or_name, kz_arena *a,
                              kz_taxii_source *out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT " SOURCE_COLS " FROM taxii_sources WHERE id = ?1 OR name = ?1 LIMIT 1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id_or_name ? id_or_name : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "no TAXII source " KZ_ID_FMT,
                       id_or_name ? id_or_name : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a TAXII source");
    kz_rd r = {s, a, false};
    read_source(&r, out);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz_store_taxii_source_list(kz_store *st, kz_arena *a, kz_taxii_source **out, size_t *n,
                               kz_err *err)
{
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT " SOURCE_COLS " FROM taxii_sources ORDER BY name, id", err);
    if (!s)
        return kz__code(err);
    return kz__list_rows(st, s, a, sizeof **out, read_source, out, n, "listing TAXII sources",
                         err);
}

/* Runs a one-row write on id; KZ_E_NOTFOUND when no row changed. */
static int write_one(kz_store *st, sqlite3_stmt *s, const char *id, const char *what,
                     kz_err *err)
{
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, what);
    if (sqlite3_changes(sqlite3_db_handle(s)) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, "", "no TAXII source " KZ_ID_FMT, id ? id : "");
    return 0;
}

int kz_store_taxii_source_delete(kz_store *st, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM taxii_sources WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    return write_one(st, s, id, "deleting a TAXII source", err);
}

int kz_store_taxii_source_pause(kz_store *st, const char *id, bool paused, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "UPDATE taxii_sources SET paused = ?2 WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    sqlite3_bind_int(s, 2, paused ? 1 : 0);
    return write_one(st, s, id, "pausing a TAXII source", err);
}

int kz_store_taxii_source_secret(kz_store *st, const char *id, kz_arena *a, char **secret,
                                 kz_err *err)
{
    *secret = NULL;
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT secret, url, auth, username FROM taxii_sources WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "no TAXII source " KZ_ID_FMT, id ? id : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a TAXII source");
    const unsigned char *box = sqlite3_column_blob(s, 0);
    size_t blen = (size_t)sqlite3_column_bytes(s, 0);
    if (!box) {
        kz__reset(s);
        return 0;
    }
    size_t hdr = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    size_t tag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
    int r = 0;
    char *out = NULL;
    uint8_t node[32], key[32];
    unsigned long long mlen = 0;
    kz_buf ad;
    kz_buf_init(&ad);
    const char *url = (const char *)sqlite3_column_text(s, 1);
    const char *user = (const char *)sqlite3_column_text(s, 3);
    if (seal_ad(id, url ? url : "", sqlite3_column_int(s, 2), user, &ad, err) != 0)
        r = KZ_E_NOMEM;
    else if (blen < hdr + tag || blen - hdr - tag > MAX_SECRET)
        r = kz_fail(err, KZ_E_INTERNAL, "", "the sealed secret of TAXII source " KZ_ID_FMT
                    " is damaged; remove the source and add it again", id);
    else if (!(out = kz_arena_alloc(a, blen - hdr - tag + 1)))
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    else
        r = kz_store_node_secret(st, node, err);
    if (r == 0) {
        seal_key(node, key);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                (unsigned char *)out, &mlen, NULL, box + hdr, blen - hdr,
                (const unsigned char *)ad.p, ad.len, box, key) != 0)
            r = kz_fail(err, KZ_E_INTERNAL, "",
                        "the secret of TAXII source " KZ_ID_FMT
                        " does not open with this node's secret (or the source's URL or user "
                        "was changed in the database); remove the source and add it again",
                        id);
        sodium_memzero(node, sizeof node);
        sodium_memzero(key, sizeof key);
    }
    kz__reset(s);
    kz_buf_free(&ad);
    if (r)
        return r;
    out[mlen] = 0;
    *secret = out;
    return 0;
}

int kz_store_taxii_source_ran(kz_store *st, const char *id, kz_time when, const char *error,
                              int64_t objects, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE taxii_sources SET last_run = ?2,"
                               " last_ok = CASE WHEN ?3 IS NULL THEN ?2 ELSE last_ok END,"
                               " last_error = ?3, last_objects = ?4, runs = runs + 1,"
                               " failures = failures + (?3 IS NOT NULL) WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    kz__bind_i64(s, 2, when);
    kz__bind_text(s, 3, error);
    kz__bind_i64(s, 4, objects);
    return write_one(st, s, id, "recording a TAXII source run", err);
}
