/* sync_kept.c — what federation remembers besides the objects themselves
 * (migration_7_sync.c): the node key each org is homed on, received
 * envelopes kept for relaying, which events went to which peer, and the log
 * of applied batches.
 *
 * Envelopes are kept compressed (zlib): an event envelope carries every
 * indicator of its event, so a relaying node would otherwise hold each
 * indicator twice in clear. Only the newest version of an object is kept,
 * because only the newest is ever relayed.
 */
#include "store_int.h"

#include <stdlib.h>
#include <zlib.h>

/* Inflated envelopes are bounded: a kept envelope larger than this would
 * have been refused on receipt anyway. */
#define KEPT_MAX ((size_t)1 << 31)

int kz_store_org_key_get(kz_store *st, const char *org_id, uint8_t key[32], kz_arena *a,
                         char **introduced_by, kz_err *err)
{
    if (introduced_by)
        *introduced_by = NULL;
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT public_key, introduced_by FROM sync_org_keys WHERE org_id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, org_id ? org_id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return KZ_E_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading an org's node key");
    int r = 0;
    if (sqlite3_column_bytes(s, 0) == 32)
        memcpy(key, sqlite3_column_blob(s, 0), 32);
    else
        r = kz_fail(err, KZ_E_DB, "", "the node key of org " KZ_ID_FMT " is damaged", org_id);
    if (!r && introduced_by && a) {
        kz_rd rd = {s, a, false};
        *introduced_by = kz__col_str(&rd, 1);
        if (rd.oom)
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    kz__reset(s);
    return r;
}

int kz_store_org_key_set(kz_store *st, const char *org_id, const uint8_t key[32],
                         const char *introduced_by, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO sync_org_keys(org_id, public_key, introduced_by, created)"
                               " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(org_id) DO UPDATE SET"
                               " public_key = excluded.public_key,"
                               " introduced_by = excluded.introduced_by",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, org_id);
    sqlite3_bind_blob(s, 2, key, 32, SQLITE_STATIC);
    kz__bind_text(s, 3, introduced_by);
    kz__bind_i64(s, 4, kz_time_now());
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "recording an org's node key") : 0;
}

int kz_store_envelope_keep(kz_store *st, const char *object_id, const char *kind,
                           int64_t version, const char *signer_fp, const char *json, size_t len,
                           bool *kept, kz_err *err)
{
    if (kept)
        *kept = false;
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT max(version) FROM sync_envelopes WHERE object_id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, object_id);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading kept envelopes");
    bool newer = sqlite3_column_type(s, 0) == SQLITE_NULL || sqlite3_column_int64(s, 0) < version;
    kz__reset(s);
    if (!newer)
        return 0;
    uLongf clen = compressBound((uLong)len);
    uint8_t *z = malloc(clen + 8);
    if (!z)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    /* 8 bytes of inflated length first, so reading allocates once. */
    for (int i = 0; i < 8; i++)
        z[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    if (compress2(z + 8, &clen, (const Bytef *)json, (uLong)len, 1) != Z_OK) {
        free(z);
        return kz_fail(err, KZ_E_INTERNAL, "", "cannot compress an envelope");
    }
    int r = 0;
    if (!(s = kz__stmt(st, "DELETE FROM sync_envelopes WHERE object_id = ?1", err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, object_id);
        if ((rc = kz__run(st, s)))
            r = kz__dberr(st, rc, err, "replacing a kept envelope");
    }
    if (!r && !(s = kz__stmt(st,
                             "INSERT INTO sync_envelopes(object_id, version, kind, signer_fp, body,"
                             " received) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             err)))
        r = kz__code(err);
    if (!r) {
        kz__bind_text(s, 1, object_id);
        kz__bind_i64(s, 2, version);
        kz__bind_text(s, 3, kind);
        kz__bind_text(s, 4, signer_fp);
        sqlite3_bind_blob(s, 5, z, (int)(clen + 8), SQLITE_STATIC);
        kz__bind_i64(s, 6, kz_time_now());
        if ((rc = kz__run(st, s)))
            r = kz__dberr(st, rc, err, "keeping an envelope");
    }
    free(z);
    if (!r && kept)
        *kept = true;
    return r;
}

int kz_store_envelope_get(kz_store *st, const char *object_id, kz_arena *a, char **kind,
                          int64_t *version, char **json, size_t *len, kz_err *err)
{
    if (json)
        *json = NULL;
    if (len)
        *len = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT kind, version, body FROM sync_envelopes WHERE object_id = ?1"
                               " ORDER BY version DESC LIMIT 1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, object_id ? object_id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return KZ_E_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a kept envelope");
    kz_rd rd = {s, a, false};
    int r = 0;
    if (kind)
        *kind = kz__col_str(&rd, 0);
    if (version)
        *version = kz__col_i64(&rd, 1);
    if (!json) { /* only what it is: no need to inflate it */
        kz__reset(s);
        return rd.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
    }
    const uint8_t *z = sqlite3_column_blob(s, 2);
    size_t zn = (size_t)sqlite3_column_bytes(s, 2);
    uint64_t n = 0;
    for (int i = 0; zn >= 8 && i < 8; i++)
        n = n << 8 | z[i];
    char *out = NULL;
    if (zn < 8 || n > KEPT_MAX)
        r = kz_fail(err, KZ_E_DB, "", "the kept envelope of " KZ_ID_FMT " is damaged", object_id);
    else if (!(out = kz_arena_alloc(a, (size_t)n + 1)))
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!r) {
        uLongf dn = (uLongf)n;
        if (uncompress((Bytef *)out, &dn, z + 8, (uLong)(zn - 8)) != Z_OK || dn != n)
            r = kz_fail(err, KZ_E_DB, "", "the kept envelope of " KZ_ID_FMT " is damaged",
                        object_id);
        else {
            out[n] = '\0';
            *json = out;
            *len = (size_t)n;
        }
    }
    kz__reset(s);
    if (!r && rd.oom)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return r;
}

int kz_store_sync_sent_mark(kz_store *st, const char *peer_id, const char *object_id,
                            const char *creator_org, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR REPLACE INTO sync_sent(peer_id, object_id, creator_org)"
                               " VALUES (?1, ?2, ?3)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, peer_id);
    kz__bind_text(s, 2, object_id);
    kz__bind_text(s, 3, creator_org);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "recording what went to a peer") : 0;
}

int kz_store_sync_sent_get(kz_store *st, const char *peer_id, const char *object_id,
                           kz_uuid creator_org, kz_err *err)
{
    creator_org[0] = '\0';
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT creator_org FROM sync_sent WHERE peer_id = ?1 AND object_id = ?2", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, peer_id);
    kz__bind_text(s, 2, object_id);
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return KZ_E_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading what went to a peer");
    const char *v = (const char *)sqlite3_column_text(s, 0);
    snprintf(creator_org, sizeof(kz_uuid), "%s", v ? v : "");
    kz__reset(s);
    return 0;
}

int kz_store_sync_sent_clear(kz_store *st, const char *peer_id, const char *object_id,
                             kz_err *err)
{
    sqlite3_stmt *s =
        kz__stmt(st, "DELETE FROM sync_sent WHERE peer_id = ?1 AND object_id = ?2", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, peer_id);
    kz__bind_text(s, 2, object_id);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "recording what went to a peer") : 0;
}

int kz_store_sync_batch_seen(kz_store *st, const char *from_node, const uint8_t digest[32],
                             bool *seen, kz_err *err)
{
    *seen = false;
    sqlite3_stmt *s = kz__stmt(
        st, "SELECT 1 FROM sync_batches WHERE from_node = ?1 AND digest = ?2", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, from_node);
    sqlite3_bind_blob(s, 2, digest, 32, SQLITE_STATIC);
    int rc = kz__step(st, s);
    kz__reset(s);
    if (rc == SQLITE_ROW)
        *seen = true;
    else if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading the batch log");
    return 0;
}

int kz_store_sync_batch_log(kz_store *st, const char *from_node, const uint8_t digest[32],
                            int64_t cursor, size_t objects, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR IGNORE INTO sync_batches(from_node, digest, cursor,"
                               " objects, applied) VALUES (?1, ?2, ?3, ?4, ?5)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, from_node);
    sqlite3_bind_blob(s, 2, digest, 32, SQLITE_STATIC);
    kz__bind_i64(s, 3, cursor);
    kz__bind_i64(s, 4, (int64_t)objects);
    kz__bind_i64(s, 5, kz_time_now());
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "logging a batch") : 0;
}
