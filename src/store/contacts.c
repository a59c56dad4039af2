/* contacts.c — the points-of-contact directory: who to call, in which order,
 * at each org when an incident crosses a border. Values arrive validated
 * (http/notify_contact.c); this file only keeps them and answers the
 * questions the directory is for: by org, by country, and "who has not been
 * verified lately". It also keeps the two small row helpers the
 * notification and case tables share (kz__one_row, kz__split_commas). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#define CONTACT_COLS                                                                               \
    "c.id, c.org_id, c.name, c.phone, c.email, c.pgp_fingerprint, c.languages, c.timezone, "       \
    "c.escalation, c.last_verified, c.created, c.modified"

static int check_contact(const kz_contact *c, kz_err *err)
{
    if (!kz_uuid_valid(c->id))
        return kz_fail(err, KZ_E_VALUE, "id", "contact id '%.64s' is not a UUID", c->id);
    if (!c->name || !*c->name)
        return kz_fail(err, KZ_E_VALUE, "name", "a contact needs a name");
    return 0;
}

/* Languages are validated tags without commas: kept comma-joined. */
static char *join_langs(const kz_strlist *l, kz_buf *b)
{
    kz_buf_reset(b);
    for (size_t i = 0; i < l->n; i++)
        if ((i && kz_buf_putc(b, ',') < 0) || kz_buf_puts(b, l->v[i]) < 0)
            return NULL;
    return l->n ? b->p : NULL;
}

static void bind_contact(sqlite3_stmt *s, const kz_contact *c, const char *langs)
{
    kz__bind_text(s, 1, c->id);
    kz__bind_text(s, 2, c->org_id);
    kz__bind_text(s, 3, c->name);
    kz__bind_text(s, 4, c->phone);
    kz__bind_text(s, 5, c->email);
    kz__bind_text(s, 6, c->pgp_fingerprint);
    kz__bind_text(s, 7, langs);
    kz__bind_text(s, 8, c->timezone);
    kz__bind_i64(s, 9, c->escalation);
    kz__bind_i64(s, 10, c->last_verified);
    kz__bind_i64(s, 11, c->created);
    kz__bind_i64(s, 12, c->modified);
}

static int write_contact(kz_store *st, const char *sql, const kz_contact *c, bool insert,
                         kz_err *err)
{
    int r = check_contact(c, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz_buf b;
    kz_buf_init(&b);
    const char *langs = join_langs(&c->languages, &b);
    if (c->languages.n && !langs) {
        kz_buf_free(&b);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    bind_contact(s, c, langs);
    int rc = kz__run(st, s);
    kz_buf_free(&b);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return kz_fail(err, KZ_E_VALUE, "org_id", "no such organisation " KZ_ID_FMT, c->org_id);
    if (insert && kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "contact " KZ_ID_FMT " already exists", c->id);
    if (rc)
        return kz__dberr(st, rc, err, "storing a contact");
    if (!insert && sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such contact " KZ_ID_FMT, c->id);
    return 0;
}

int kz_store_contact_put(kz_store *st, const kz_contact *c, kz_err *err)
{
    return write_contact(st,
                         "INSERT INTO contacts(id, org_id, name, phone, email, pgp_fingerprint,"
                         " languages, timezone, escalation, last_verified, created, modified)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                         c, true, err);
}

int kz_store_contact_update(kz_store *st, const kz_contact *c, kz_err *err)
{
    /* org_id and created never change: ?2 and ?11 are bound but unused. */
    return write_contact(st,
                         "UPDATE contacts SET name = ?3, phone = ?4, email = ?5,"
                         " pgp_fingerprint = ?6, languages = ?7, timezone = ?8, escalation = ?9,"
                         " last_verified = ?10, modified = ?12"
                         " WHERE id = ?1 AND org_id = ?2 AND ?11 IS NOT NULL",
                         c, false, err);
}

int kz__one_row(kz_store *st, sqlite3_stmt *s, kz_arena *a, kz__row_fn read, void *out,
                const char *kind, const char *id, kz_err *err)
{
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        kz_rd r = {s, a, false};
        read(&r, out);
        kz__reset(s);
        return r.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
    }
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such %s " KZ_ID_FMT, kind, id ? id : "");
    }
    char what[64];
    snprintf(what, sizeof what, "reading a %s", kind);
    return kz__dberr(st, rc, err, what);
}

void kz__split_commas(kz_rd *r, const char *s, kz_strlist *out)
{
    memset(out, 0, sizeof *out);
    while (s && *s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *one = kz_arena_strndup(r->a, s, n);
        if (!one || kz_strlist_push(r->a, out, one) < 0) {
            r->oom = true;
            return;
        }
        s = e ? e + 1 : NULL;
    }
}

static void read_contact(kz_rd *r, void *out)
{
    kz_contact *c = out;
    kz__col_uuid(r, 0, c->id);
    kz__col_uuid(r, 1, c->org_id);
    c->name = kz__col_str(r, 2);
    c->phone = kz__col_str(r, 3);
    c->email = kz__col_str(r, 4);
    c->pgp_fingerprint = kz__col_str(r, 5);
    kz__split_commas(r, (const char *)sqlite3_column_text(r->s, 6), &c->languages);
    c->timezone = kz__col_str(r, 7);
    c->escalation = kz__col_int(r, 8);
    c->last_verified = kz__col_i64(r, 9);
    c->created = kz__col_i64(r, 10);
    c->modified = kz__col_i64(r, 11);
}

int kz_store_contact_get(kz_store *st, const char *id, kz_arena *a, kz_contact *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT " CONTACT_COLS " FROM contacts c WHERE c.id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    return kz__one_row(st, s, a, read_contact, out, "contact", id, err);
}

int kz_store_contact_list(kz_store *st, const kz_contact_filter *f, kz_arena *a, kz_contact **out,
                          size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " CONTACT_COLS " FROM contacts c JOIN orgs o ON o.id = c.org_id"
                               " WHERE (?1 IS NULL OR c.org_id = ?1)"
                               " AND (?2 IS NULL OR o.country = ?2)"
                               " AND (?3 = 0 OR c.last_verified < ?3)"
                               " ORDER BY o.name, c.escalation, c.name, c.id LIMIT 10000",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, f ? f->org_id : NULL);
    kz__bind_text(s, 2, f ? f->country : NULL);
    kz__bind_i64(s, 3, f ? f->stale_before : 0);
    return kz__list_rows(st, s, a, sizeof(kz_contact), read_contact, out, n, "listing contacts",
                         err);
}

int kz_store_contact_delete(kz_store *st, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM contacts WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__run(st, s);
    if (rc)
        return kz__dberr(st, rc, err, "deleting a contact");
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such contact " KZ_ID_FMT, id);
    return 0;
}
