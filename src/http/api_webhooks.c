/* api_webhooks.c — /api/v1/webhooks: an org's subscriptions to what
 * changes on the node. Webhooks are org configuration: its org_admins (and
 * the node admin) manage them; other orgs' webhooks answer 404. The secret
 * that signs deliveries is shown once, in the create answer, and kept only
 * sealed. A new webhook starts at the current head of the change log: it
 * receives what happens from now on, not history.
 *
 * A webhook sees what its org sees. So only the org itself points one at a
 * URL: a node admin may list, pause or delete another org's webhooks, but
 * not create one for it or move its URL or kinds, which would carry that
 * org's AMBER data to a receiver of the admin's choosing (no role reads
 * past TLP, acl.c).
 */
#include "notify_int.h"

#include <stdio.h>
#include <sodium.h>
#include <string.h>

static const char *const KINDS[] = {"event", "sighting", "case"};

static json_t *webhook_json(const kz_webhook *w)
{
    char cr[KZ_TIME_STRLEN + 1], md[KZ_TIME_STRLEN + 1], na[KZ_TIME_STRLEN + 1];
    kz_time_format(w->created, cr);
    kz_time_format(w->modified, md);
    kz_time_format(w->next_attempt, na);
    json_t *ev = json_array();
    for (size_t i = 0; ev && i < w->events.n; i++)
        json_array_append_new(ev, json_string(w->events.v[i]));
    return json_pack("{s:s,s:s,s:s,s:o,s:b,s:I,s:i,s:s?,s:s,s:s}", "id", w->id, "org_id",
                     w->org_id, "url", w->url, "events", ev ? ev : json_array(), "active",
                     w->active, "cursor", (json_int_t)w->cursor, "failures", w->failures,
                     "next_attempt", w->failures ? na : NULL, "created", cr, "modified", md);
}

static bool can_manage_role(const kz_req *r)
{
    return r->who.role == KZ_ROLE_ADMIN || r->who.role == KZ_ROLE_ORG_ADMIN;
}

static int need_manager(kz_req *r)
{
    if (can_manage_role(r))
        return 0;
    return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                   "only an org_admin (or a node admin) manages webhooks");
}

static int read_events(kz_req *r, const json_t *v, kz_strlist *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_array(v))
        return kz_fail(&r->err, KZ_E_INVALID, "events",
                       "'events' must be an array of \"event\", \"sighting\", \"case\"");
    if (json_array_size(v) == 0)
        return kz_fail(&r->err, KZ_E_VALUE, "events",
                       "events: name at least one of event, sighting, case");
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        char field[32];
        snprintf(field, sizeof field, "events[%zu]", i);
        if (!json_is_string(x))
            return kz_fail(&r->err, KZ_E_INVALID, field, "'%s' must be a string", field);
        const char *s = json_string_value(x);
        const char *kind = NULL;
        for (size_t k = 0; k < KZ_ARRAY_LEN(KINDS); k++)
            if (strcmp(s, KINDS[k]) == 0)
                kind = KINDS[k];
        if (!kind) {
            if (kz_utf8_valid(s, strlen(s)))
                return kz_fail(&r->err, KZ_E_VALUE, field,
                               "%s: '%.32s' is not one of event, sighting, case", field, s);
            return kz_fail(&r->err, KZ_E_VALUE, field, "%s: not one of event, sighting, case",
                           field);
        }
        if (!kz_strlist_has(out, kind) && kz_strlist_push(&r->arena, out, kind) < 0)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    return 0;
}

/* Members of a create (create true) or PATCH body. */
static int apply(kz_req *r, const json_t *j, bool create, kz_webhook *w)
{
    if (!json_is_object(j))
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "the body must be a JSON object");
    const char *k;
    json_t *v;
    bool has_url = !create, has_events = !create;
    json_object_foreach((json_t *)j, k, v) {
        int rc = 0;
        if (!strcmp(k, "url")) {
            if (!json_is_string(v))
                return kz_fail(&r->err, KZ_E_INVALID, k, "'url' must be a string");
            const char *u = json_string_value(v);
            if (strlen(u) != json_string_length(v))
                return kz_fail(&r->err, KZ_E_VALUE, k, "url: contains a NUL character");
            rc = kz_webhook_url_check(u, kz_webhook_allow_private(), &r->err);
            if (rc == 0 && !(w->url = kz_arena_strdup(&r->arena, u)))
                rc = kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
            has_url = true;
        } else if (!strcmp(k, "events")) {
            rc = read_events(r, v, &w->events);
            has_events = true;
        } else if (!strcmp(k, "active")) {
            if (!json_is_boolean(v))
                return kz_fail(&r->err, KZ_E_INVALID, k, "'active' must be true or false");
            w->active = json_is_true(v);
        } else if (!strcmp(k, "org_id") && create) {
            if (!json_is_string(v) || !kz_uuid_normalize(json_string_value(v), w->org_id))
                return kz_fail(&r->err, KZ_E_INVALID, k, "'org_id' must be an organisation id");
        } else if (!create && (!strcmp(k, "id") || !strcmp(k, "org_id") ||
                               !strcmp(k, "created") || !strcmp(k, "modified") ||
                               !strcmp(k, "cursor") || !strcmp(k, "failures") ||
                               !strcmp(k, "next_attempt"))) {
            /* sent back as read: ignored, they are the node's */
        } else if (kz_utf8_valid(k, strlen(k)) && strlen(k) <= 64) {
            return kz_fail(&r->err, KZ_E_INVALID, k, "unknown field '%s'", k);
        } else {
            return kz_fail(&r->err, KZ_E_INVALID, NULL, "unknown field");
        }
        if (rc < 0)
            return rc;
    }
    if (!has_url)
        return kz_fail(&r->err, KZ_E_INVALID, "url", "missing field 'url'");
    if (!has_events)
        return kz_fail(&r->err, KZ_E_INVALID, "events", "missing field 'events'");
    return 0;
}

int kz_api_webhooks_list(kz_req *r)
{
    static const char *const allowed[] = {"org_id", NULL};
    const char *org = NULL;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = need_manager(r);
    if (rc == 0)
        rc = kz_http_query_uuid(r, "org_id", &org);
    if (rc < 0)
        return rc;
    if (r->who.role != KZ_ROLE_ADMIN)
        org = r->who.org_id;
    kz_webhook *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_webhook_list(r->st, org, false, &r->arena, &v, &n, &r->err)) < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, webhook_json(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    return kz_http_ok(r, MHD_HTTP_OK, arr ? json_pack("{s:o}", "webhooks", arr) : NULL);
}

int kz_api_webhooks_create(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = need_manager(r);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_webhook w;
    memset(&w, 0, sizeof w);
    w.active = true;
    rc = apply(r, j, true, &w);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (!w.org_id[0])
        memcpy(w.org_id, r->who.org_id, sizeof w.org_id);
    if (strcmp(w.org_id, r->who.org_id) != 0)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, "org_id",
                       "webhooks are created by their own organisation only (a webhook "
                       "receives what its org may see)");
    char secret[KZ_WEBHOOK_SECRET_LEN + 1];
    if (kz_webhook_secret_new(r->srv->secret, &r->arena, secret, &w.secret_box,
                              &w.secret_box_len) < 0)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if ((rc = kz_store_changes_head(r->st, &w.cursor, &r->err)) < 0)
        return rc;
    kz_uuid_v7(w.id);
    memcpy(w.created_by, r->who.user_id, sizeof w.created_by);
    w.created = w.modified = kz_time_now();
    if ((rc = kz_store_webhook_put(r->st, &w, &r->err)) < 0)
        return rc;
    json_t *out = webhook_json(&w);
    if (out)
        json_object_set_new(out, "secret", json_string(secret));
    sodium_memzero(secret, sizeof secret);
    return kz_http_ok(r, MHD_HTTP_CREATED, out);
}

/* The {id} webhook, if the caller may manage it: other orgs' are 404. */
static int load(kz_req *r, kz_webhook *w)
{
    kz_uuid id;
    int rc = kz_http_param_uuid(r, 0, "webhook", id);
    if (rc == 0)
        rc = kz_store_webhook_get(r->st, id, &r->arena, w, &r->err);
    if (rc < 0)
        return rc;
    if (r->who.role != KZ_ROLE_ADMIN && strcmp(w->org_id, r->who.org_id) != 0)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such webhook '%s'", id);
    return need_manager(r);
}

int kz_api_webhook_get(kz_req *r)
{
    kz_webhook w;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &w);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, webhook_json(&w));
}

/* Whether a PATCH left where the webhook sends, and what, unchanged. */
static bool same_target(const kz_webhook *a, const kz_webhook *b)
{
    if (strcmp(a->url, b->url) != 0 || a->events.n != b->events.n)
        return false;
    for (size_t i = 0; i < a->events.n; i++)
        if (!kz_strlist_has(&b->events, a->events.v[i]))
            return false;
    return true;
}

int kz_api_webhook_patch(kz_req *r)
{
    kz_webhook w;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &w);
    if (rc < 0)
        return rc;
    json_t *j;
    if ((rc = kz_http_body_json(r, &j)) < 0)
        return rc;
    kz_webhook before = w;
    rc = apply(r, j, false, &w);
    json_decref(j);
    if (rc < 0)
        return rc;
    if (strcmp(w.org_id, r->who.org_id) != 0 && !same_target(&before, &w))
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "another organisation's webhook may only be paused, resumed or deleted; "
                       "its url and events are that organisation's to set");
    w.modified = kz_time_now();
    if ((rc = kz_store_webhook_update(r->st, &w, &r->err)) < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_OK, webhook_json(&w));
}

int kz_api_webhook_delete(kz_req *r)
{
    kz_webhook w;
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = load(r, &w);
    if (rc == 0)
        rc = kz_store_webhook_delete(r->st, w.id, &r->err);
    if (rc < 0)
        return rc;
    return kz_http_ok(r, MHD_HTTP_NO_CONTENT, NULL);
}

static json_t *delivery_json(const kz_webhook_delivery *d)
{
    char at[KZ_TIME_STRLEN + 1];
    kz_time_format(d->at, at);
    return json_pack("{s:I,s:I,s:s,s:s,s:s,s:i,s:i,s:s?,s:b,s:s,s:I}", "seq", (json_int_t)d->seq,
                     "change_seq", (json_int_t)d->change_seq, "kind", d->kind, "object_id",
                     d->object_id, "op", d->op, "attempt", d->attempt, "status", d->status,
                     "error", d->error, "gave_up", d->gave_up, "at", at, "duration_ms",
                     (json_int_t)(d->duration_us / 1000));
}

int kz_api_webhook_deliveries(kz_req *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    kz_webhook w;
    size_t limit = 100;
    const char *cur = NULL;
    int64_t before = 0;
    int rc = kz_http_query_only(r, allowed);
    if (rc == 0)
        rc = load(r, &w);
    if (rc == 0)
        rc = kz_http_query_limit(r, &limit);
    if (rc == 0)
        rc = kz_http_query(r, "cursor", &cur);
    if (rc == 0 && cur)
        rc = kz_cursor_decode_seq(r, cur, &before);
    if (rc < 0)
        return rc;
    kz_webhook_delivery *v = NULL;
    size_t n = 0;
    if ((rc = kz_store_webhook_deliveries(r->st, w.id, before, limit + 1, &r->arena, &v, &n,
                                          &r->err)) < 0)
        return rc;
    bool more = n > limit;
    if (more)
        n = limit;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, delivery_json(&v[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    const char *next = more ? kz_cursor_encode_seq(r, v[n - 1].seq) : NULL;
    return kz_http_ok(r, MHD_HTTP_OK,
                      arr ? json_pack("{s:o,s:s?}", "deliveries", arr, "next_cursor", next) : NULL);
}
