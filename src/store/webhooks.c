/* webhooks.c — each org's webhooks, their delivery cursors and the delivery
 * log. The secret is stored sealed by the HTTP layer (it holds the node
 * secret); this file never sees it in clear. The dispatcher keeps its
 * position per webhook here so a restart neither repeats a page it finished
 * nor skips one it had not. */
#include "store_int.h"

#include <stdlib.h>

/* Delivery log rows kept per webhook; older ones are pruned on insert. */
#define KZ_DELIVERIES_KEPT 1000

#define WEBHOOK_COLS                                                                               \
    "id, org_id, url, events, secret_box, active, cursor, failures, next_attempt, created_by, "    \
    "created, modified"

static char *join_events(const kz_strlist *l, kz_buf *b)
{
    kz_buf_reset(b);
    for (size_t i = 0; i < l->n; i++)
        if ((i && kz_buf_putc(b, ',') < 0) || kz_buf_puts(b, l->v[i]) < 0)
            return NULL;
    return b->p ? b->p : (char *)"";
}

int kz_store_webhook_put(kz_store *st, const kz_webhook *w, kz_err *err)
{
    if (!kz_uuid_valid(w->id))
        return kz_fail(err, KZ_E_VALUE, "id", "webhook id '%.64s' is not a UUID", w->id);
    if (!w->url || !w->secret_box || !w->secret_box_len)
        return kz_fail(err, KZ_E_VALUE, "url", "a webhook needs a URL and a sealed secret");
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO webhooks(" WEBHOOK_COLS ")"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                               err);
    if (!s)
        return kz__code(err);
    kz_buf b;
    kz_buf_init(&b);
    const char *ev = join_events(&w->events, &b);
    if (!ev) {
        kz_buf_free(&b);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    kz__bind_text(s, 1, w->id);
    kz__bind_text(s, 2, w->org_id);
    kz__bind_text(s, 3, w->url);
    kz__bind_text(s, 4, ev);
    sqlite3_bind_blob(s, 5, w->secret_box, (int)w->secret_box_len, SQLITE_STATIC);
    kz__bind_i64(s, 6, w->active);
    kz__bind_i64(s, 7, w->cursor);
    kz__bind_i64(s, 8, w->failures);
    kz__bind_i64(s, 9, w->next_attempt);
    kz__bind_ref(s, 10, w->created_by);
    kz__bind_i64(s, 11, w->created);
    kz__bind_i64(s, 12, w->modified);
    int rc = kz__run(st, s);
    kz_buf_free(&b);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return kz_fail(err, KZ_E_VALUE, "org_id", "no such organisation " KZ_ID_FMT, w->org_id);
    if (kz__is_unique(rc))
        return kz_fail(err, KZ_E_CONFLICT, "id", "webhook " KZ_ID_FMT " already exists", w->id);
    return rc ? kz__dberr(st, rc, err, "storing a webhook") : 0;
}

static int changed_one(kz_store *st, int rc, const char *id, const char *what, kz_err *err)
{
    if (rc)
        return kz__dberr(st, rc, err, what);
    if (sqlite3_changes(st->db) == 0)
        return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such webhook " KZ_ID_FMT, id);
    return 0;
}

int kz_store_webhook_update(kz_store *st, const kz_webhook *w, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE webhooks SET url = ?2, events = ?3, active = ?4,"
                               " modified = ?5 WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz_buf b;
    kz_buf_init(&b);
    const char *ev = join_events(&w->events, &b);
    if (!ev) {
        kz_buf_free(&b);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    kz__bind_text(s, 1, w->id);
    kz__bind_text(s, 2, w->url);
    kz__bind_text(s, 3, ev);
    kz__bind_i64(s, 4, w->active);
    kz__bind_i64(s, 5, w->modified ? w->modified : kz_time_now());
    int rc = kz__run(st, s);
    kz_buf_free(&b);
    return changed_one(st, rc, w->id, "updating a webhook", err);
}

static void read_webhook(kz_rd *r, void *out)
{
    kz_webhook *w = out;
    memset(w, 0, sizeof *w);
    kz__col_uuid(r, 0, w->id);
    kz__col_uuid(r, 1, w->org_id);
    w->url = kz__col_str(r, 2);
    kz__split_commas(r, (const char *)sqlite3_column_text(r->s, 3), &w->events);
    int bn = sqlite3_column_bytes(r->s, 4);
    const void *blob = sqlite3_column_blob(r->s, 4);
    if (bn > 0 && blob) {
        w->secret_box = kz_arena_alloc(r->a, (size_t)bn);
        if (!w->secret_box)
            r->oom = true;
        else {
            memcpy(w->secret_box, blob, (size_t)bn);
            w->secret_box_len = (size_t)bn;
        }
    }
    w->active = kz__col_int(r, 5) != 0;
    w->cursor = kz__col_i64(r, 6);
    w->failures = kz__col_int(r, 7);
    w->next_attempt = kz__col_i64(r, 8);
    kz__col_uuid(r, 9, w->created_by);
    w->created = kz__col_i64(r, 10);
    w->modified = kz__col_i64(r, 11);
}

int kz_store_webhook_get(kz_store *st, const char *id, kz_arena *a, kz_webhook *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    return kz__one_row(st, s, a, read_webhook, out, "webhook", id, err);
}

int kz_store_webhook_list(kz_store *st, const char *org_id, bool active_only, kz_arena *a,
                          kz_webhook **out, size_t *n, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT " WEBHOOK_COLS " FROM webhooks"
                               " WHERE (?1 IS NULL OR org_id = ?1) AND (?2 = 0 OR active = 1)"
                               " ORDER BY created, id",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, org_id);
    kz__bind_i64(s, 2, active_only);
    return kz__list_rows(st, s, a, sizeof(kz_webhook), read_webhook, out, n, "listing webhooks",
                         err);
}

int kz_store_webhook_delete(kz_store *st, const char *id, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "DELETE FROM webhooks WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    return changed_one(st, kz__run(st, s), id, "deleting a webhook", err);
}

int kz_store_webhook_progress(kz_store *st, const char *id, int64_t cursor, int failures,
                              kz_time next_attempt, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE webhooks SET cursor = ?2, failures = ?3, next_attempt = ?4"
                               " WHERE id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    kz__bind_i64(s, 2, cursor);
    kz__bind_i64(s, 3, failures);
    kz__bind_i64(s, 4, next_attempt);
    return changed_one(st, kz__run(st, s), id, "recording webhook progress", err);
}

int kz_store_webhook_delivery_add(kz_store *st, const kz_webhook_delivery *d, kz_err *err)
{
    int r = kz_store_begin(st, err);
    if (r)
        return r;
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT INTO webhook_deliveries(webhook_id, change_seq, kind,"
                               " object_id, op, attempt, status, error, gave_up, at, duration_us)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                               err);
    if (!s)
        return kz__fail_txn(st, kz__code(err));
    kz__bind_text(s, 1, d->webhook_id);
    kz__bind_i64(s, 2, d->change_seq);
    kz__bind_text(s, 3, d->kind ? d->kind : "");
    kz__bind_text(s, 4, d->object_id ? d->object_id : "");
    kz__bind_text(s, 5, d->op ? d->op : "");
    kz__bind_i64(s, 6, d->attempt);
    kz__bind_i64(s, 7, d->status);
    kz__bind_text(s, 8, d->error);
    kz__bind_i64(s, 9, d->gave_up);
    kz__bind_i64(s, 10, d->at ? d->at : kz_time_now());
    kz__bind_i64(s, 11, d->duration_us);
    int rc = kz__run(st, s);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        kz__fail_txn(st, KZ_E_NOTFOUND);
        return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such webhook " KZ_ID_FMT, d->webhook_id);
    }
    if (rc)
        return kz__fail_txn(st, kz__dberr(st, rc, err, "logging a webhook delivery"));
    s = kz__stmt(st,
                 "DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND seq <= ("
                 "SELECT seq FROM webhook_deliveries WHERE webhook_id = ?1"
                 " ORDER BY seq DESC LIMIT 1 OFFSET " KZ_STR(KZ_DELIVERIES_KEPT) ")",
                 err);
    if (!s)
        return kz__fail_txn(st, kz__code(err));
    kz__bind_text(s, 1, d->webhook_id);
    if ((rc = kz__run(st, s)) != 0)
        return kz__fail_txn(st, kz__dberr(st, rc, err, "pruning the delivery log"));
    return kz_store_commit(st, err);
}

static void read_delivery(kz_rd *r, void *out)
{
    kz_webhook_delivery *d = out;
    memset(d, 0, sizeof *d);
    d->seq = kz__col_i64(r, 0);
    kz__col_uuid(r, 1, d->webhook_id);
    d->change_seq = kz__col_i64(r, 2);
    d->kind = kz__col_str(r, 3);
    d->object_id = kz__col_str(r, 4);
    d->op = kz__col_str(r, 5);
    d->attempt = kz__col_int(r, 6);
    d->status = kz__col_int(r, 7);
    d->error = kz__col_str(r, 8);
    d->gave_up = kz__col_int(r, 9) != 0;
    d->at = kz__col_i64(r, 10);
    d->duration_us = kz__col_i64(r, 11);
}

int kz_store_webhook_deliveries(kz_store *st, const char *webhook_id, int64_t before_seq,
                                size_t limit, kz_arena *a, kz_webhook_delivery **out, size_t *n,
                                kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, webhook_id, change_seq, kind, object_id, op, attempt,"
                               " status, error, gave_up, at, duration_us FROM webhook_deliveries"
                               " WHERE webhook_id = ?1 AND (?2 = 0 OR seq < ?2)"
                               " ORDER BY seq DESC LIMIT ?3",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, webhook_id);
    kz__bind_i64(s, 2, before_seq);
    kz__bind_i64(s, 3, limit ? (int64_t)limit : 100);
    return kz__list_rows(st, s, a, sizeof(kz_webhook_delivery), read_delivery, out, n,
                         "listing webhook deliveries", err);
}

int kz_store_notify_sighting_get(kz_store *st, const char *id, kz_arena *a, kz_sighting *out,
                                 kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT s.id, i.id, s.org_id, s.time, s.count, s.source, s.type,"
                               " s.created FROM sightings s JOIN indicators i ON i.seq = s.ind"
                               " WHERE s.id = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__step(st, s);
    if (rc == SQLITE_DONE) {
        kz__reset(s);
        return kz_fail(err, KZ_E_NOTFOUND, NULL, "no such sighting " KZ_ID_FMT, id);
    }
    if (rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading a sighting");
    kz_rd r = {s, a, false};
    kz__col_uuid(&r, 0, out->id);
    kz__col_uuid(&r, 1, out->indicator_id);
    kz__col_uuid(&r, 2, out->org_id);
    out->time = kz__col_i64(&r, 3);
    out->count = kz__col_i64(&r, 4);
    out->source = kz__col_str(&r, 5);
    int t = kz_sighting_type_parse((const char *)sqlite3_column_text(s, 6));
    out->type = t < 0 ? KZ_SIGHTING_SEEN : (kz_sighting_type)t;
    out->created = kz__col_i64(&r, 7);
    kz__reset(s);
    return r.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
}
