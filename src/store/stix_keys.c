/* stix_keys.c — the 32-bit key by which stix_objects is indexed by id.
 *
 * STIX ids are random (type--UUIDv4): an index on the id text puts each new
 * object on a random leaf, and a request of 10,000 objects rewrote nearly
 * every leaf of that index in every commit (2,638 pages of 8 KiB at 300,000
 * objects). The index holds a 32-bit key of the id instead (migration 16):
 * 514 pages there, so a fifth as many to rewrite. Every query by id reads
 * `idk = kz_stix_key(?) AND id = ?`, so ids that share a key are still told
 * apart; at a million objects a look-up meets another id's row about once
 * in 4,000, which costs one row read. (A 64-bit key made the index a third
 * larger and the requests about a tenth slower.)
 *
 * The key is SipHash-2-4 (libsodium's crypto_shorthash) under a random
 * 128-bit key the database keeps in meta ('stix_id_key'). With a public
 * hash, a producer could mint ids that all share one key and make every
 * look-up of them a scan; keyed, nobody outside the node can. It guards
 * against hash flooding only and grants nothing: it is not a secret in the
 * sense of a credential (whoever reads the database reads the objects).
 */
#include "store_int.h"

#include <sodium.h>

#define STIX_KEY_META "stix_id_key"
_Static_assert(crypto_shorthash_KEYBYTES == sizeof ((kz_store *)0)->stix_key, "key size");

/* Reads the hash key from meta; KZ_E_DB when it is missing or damaged. */
static int key_load(kz_store *st, kz_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = '" STIX_KEY_META "'",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return kz_fail(err, KZ_E_DB, "db", "reading the STIX id key: %s", sqlite3_errmsg(st->db));
    rc = sqlite3_step(s);
    const char *hex = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
    bool ok = hex && kz_hex_decode(hex, st->stix_key, sizeof st->stix_key);
    sqlite3_finalize(s);
    if (!ok)
        return kz_fail(err, KZ_E_DB, "db", "database '%s' has no valid STIX id key in meta",
                       st->path);
    st->stix_key_loaded = true;
    return 0;
}

int64_t kz__stix_key(const kz_store *st, const char *id, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)id, len, st->stix_key);
    /* Signed 32 bits: SQLite stores them in 4 bytes. */
    uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    return (int32_t)v;
}

/* kz_stix_key(id): the key of an id text. The connection loads the hash key
 * once it exists: at open, or here while migration 16 fills the column it
 * has just added. */
static void sql_stix_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    kz_store *st = sqlite3_user_data(ctx);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return; /* NULL, which matches nothing */
    if (!st->stix_key_loaded) {
        kz_err err = {0};
        if (key_load(st, &err)) {
            sqlite3_result_error(ctx, err.msg, -1);
            return;
        }
    }
    const char *id = (const char *)sqlite3_value_text(argv[0]);
    if (!id) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_int64(ctx, kz__stix_key(st, id, (size_t)sqlite3_value_bytes(argv[0])));
}

/* kz_stix_random_key(): a new hash key as hex, for migration 16. */
static void sql_random_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    uint8_t k[crypto_shorthash_KEYBYTES];
    char hex[2 * sizeof k + 1];
    kz_random_bytes(k, sizeof k);
    kz_hex_encode(k, sizeof k, hex);
    sodium_memzero(k, sizeof k);
    sqlite3_result_text(ctx, hex, -1, SQLITE_TRANSIENT);
}

int kz__stix_keys_open(kz_store *st, kz_err *err)
{
    if (sqlite3_create_function_v2(st->db, "kz_stix_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   st, sql_stix_key, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(st->db, "kz_stix_random_key", 0, SQLITE_UTF8, NULL,
                                   sql_random_key, NULL, NULL, NULL) != SQLITE_OK)
        return kz_fail(err, KZ_E_DB, "", "cannot register the STIX id key functions: %s",
                       sqlite3_errmsg(st->db));
    return 0;
}

int kz__stix_keys_load(kz_store *st, kz_err *err)
{
    return st->stix_key_loaded ? 0 : key_load(st, err);
}
