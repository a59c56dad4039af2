/* meta.c — small node settings (node name, the check value of the secret)
 * that belong with the data rather than in a configuration file. */
#include "store_int.h"

int kz_store_meta_get(kz_store *st, const char *key, kz_arena *a, char **value, kz_err *err)
{
    *value = NULL;
    sqlite3_stmt *s = kz__stmt(st, "SELECT value FROM meta WHERE key = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, key ? key : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, "", "setting '%.64s' not found", key ? key : "");
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a setting");
    kz_rd r = {s, a, false};
    *value = kz__col_str(&r, 0);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
}

int kz_store_meta_set(kz_store *st, const char *key, const char *value, kz_err *err)
{
    if (!key || !*key || !value)
        return kz_fail(err, KZ_E_VALUE, "", "a setting needs a key and a value");
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, key);
    kz__bind_text(s, 2, value);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing a setting") : 0;
}
