/* taxii_add.c — TAXII 2.1 Add Objects: POST .../collections/{id}/objects/.
 *
 * The envelope is imported in partial mode (each invalid object is listed,
 * the valid ones stored) into one event per collection and org, made on
 * first use with the collection's TLP and distribution, so what a member
 * posts to a community collection is shared with that community exactly as
 * if it had made the event itself; what it posts to a sharing-group
 * collection goes to events with distribution sharing_group. The work is
 * done before the answer, so the status resource is final ("complete"); it
 * is stored as written, in the import's transaction with the objects it
 * describes and their event, to be read back at .../status/{id}/ (also
 * after a restart).
 */
#include "taxii_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_ctype(kz_req *r)
{
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && kz_taxii_media_ok(ct, strnlen(ct, 256), false))
        return 0;
    return kz_fail(&r->err, KZ_E_MEDIA, "Content-Type",
                   "the body must be " KZ_TAXII_MEDIA ", not '%.100s'",
                   ct ? ct : "(no Content-Type)");
}

/* Whether the caller's role publishes events (asked about an event of its
 * own org, the only kind it could publish). */
static bool can_publish(const kz_req *r)
{
    kz_acl_object o = {.creator_org = r->who.org_id, .creator_user = r->who.user_id,
                       .tlp = KZ_TLP_GREEN, .distribution = KZ_DIST_ORG};
    return kz_acl_allows(&r->who, &o, KZ_ACL_PUBLISH, NULL);
}

/* TLP of what is posted without a marking: the org collection keeps it in
 * the org (AMBER); a community collection uses its ceiling; a sharing group
 * AMBER, its members being named as the AMBER recipients. */
static kz_tlp default_tlp(const kz_taxii_coll *c)
{
    return c->kind == KZ_TAXII_COMMUNITY ? c->ceiling : KZ_TLP_AMBER;
}

static kz_distribution distribution_of(const kz_taxii_coll *c)
{
    return c->kind == KZ_TAXII_ORG         ? KZ_DIST_ORG
           : c->kind == KZ_TAXII_COMMUNITY ? KZ_DIST_COMMUNITY
                                           : KZ_DIST_SHARING_GROUP;
}

/* The import makes events of its own for reports; in a sharing-group
 * collection they must reach the group like the collection's event: the
 * group and its members as AMBER recipients (same transaction). */
static int aim_at_group(kz_req *r, const kz_taxii_coll *c, const kz_stix_report *rep,
                        const char *event_id)
{
    for (size_t i = 0; i < rep->events.n; i++) {
        const char *id = rep->events.v[i];
        if (strcmp(id, event_id) == 0)
            continue;
        kz_event ev;
        int rc = kz_store_event_get(r->st, id, false, &r->arena, &ev, &r->err);
        if (rc < 0)
            return rc;
        if (ev.distribution != KZ_DIST_SHARING_GROUP || ev.sharing_group_id[0])
            continue;
        memcpy(ev.sharing_group_id, c->group, sizeof ev.sharing_group_id);
        ev.recipient_orgs = c->group_orgs;
        ev.modified = 0;
        if ((rc = kz_store_event_update(r->st, &ev, &r->err)) < 0)
            return rc;
    }
    return 0;
}

/* The event objects posted to c by the caller's org go into: the one
 * remembered in node meta, or a new one. */
static int collection_event(kz_req *r, const kz_taxii_coll *c, kz_uuid out)
{
    char key[128];
    snprintf(key, sizeof key, "taxii.event.%s.%s", c->id, r->who.org_id);
    char *v = NULL;
    kz_err e;
    kz_event ev;
    if (kz_store_meta_get(r->st, key, &r->arena, &v, &e) == 0 && v &&
        kz_store_event_get(r->st, v, false, &r->arena, &ev, &e) == 0) {
        snprintf(out, sizeof(kz_uuid), "%s", v);
        return 0;
    }
    memset(&ev, 0, sizeof ev);
    kz_uuid_v4(ev.id);
    char title[300];
    snprintf(title, sizeof title, "TAXII: %.250s", c->title);
    ev.title = title;
    ev.threat_level = 4;
    ev.analysis = 0;
    ev.tlp = default_tlp(c);
    ev.distribution = distribution_of(c);
    if (c->kind == KZ_TAXII_COMMUNITY)
        memcpy(ev.community_id, c->community, sizeof ev.community_id);
    if (c->kind == KZ_TAXII_SHARING_GROUP) {
        memcpy(ev.sharing_group_id, c->group, sizeof ev.sharing_group_id);
        ev.recipient_orgs = c->group_orgs;
    }
    memcpy(ev.creator_org, r->who.org_id, sizeof ev.creator_org);
    memcpy(ev.creator_user, r->who.user_id, sizeof ev.creator_user);
    ev.created = ev.modified = kz_time_now();
    /* Posting to a community or sharing-group collection is sharing with
     * it, when the caller's role may publish; else a publisher of the org
     * publishes the event later, as with any event. */
    ev.published = c->kind != KZ_TAXII_ORG && can_publish(r);
    ev.published_at = ev.published ? ev.created : 0;
    int rc = kz_store_event_put(r->st, &ev, &r->err);
    if (rc == 0)
        rc = kz_store_meta_set(r->st, key, ev.id, &r->err);
    if (rc == 0)
        memcpy(out, ev.id, sizeof(kz_uuid));
    return rc;
}

static json_t *status_entry(const kz_stix_item *it)
{
    json_t *j = json_pack("{s:s}", "id", it->id ? it->id : "");
    if (it->version)
        json_object_set_new(j, "version", json_string(it->version));
    if (it->status == KZ_STIX_ITEM_DUPLICATE)
        json_object_set_new(j, "message", json_string("already here: not stored again"));
    else if (it->status == KZ_STIX_ITEM_INVALID && it->message) {
        json_t *m = json_string(it->message);
        json_object_set_new(j, "message", m ? m : json_string("invalid object"));
    }
    return j;
}

static int dump_to_buf(const char *p, size_t n, void *b) { return kz_buf_append(b, p, n); }

/* One status entry, appended to b after a comma unless first. */
static int put_entry(kz_buf *b, const kz_stix_item *it, bool first)
{
    if (!first && kz_buf_putc(b, ','))
        return -1;
    /* A stored object's id and version were checked by the import as an
     * identifier and a timestamp: tens of thousands of them are written as
     * they are, not built and dumped by jansson one at a time. */
    if (it->status == KZ_STIX_ITEM_STORED && it->id && kz_json_plain(it->id) &&
        (!it->version || kz_json_plain(it->version))) {
        int rc = kz_buf_puts(b, "{\"id\":\"");
        if (!rc)
            rc = kz_buf_puts(b, it->id);
        if (!rc && it->version && !(rc = kz_buf_puts(b, "\",\"version\":\"")))
            rc = kz_buf_puts(b, it->version);
        return rc ? rc : kz_buf_puts(b, "\"}");
    }
    /* Dumped straight into b: jansson allocates no text that would be
     * freed behind the JSON memory budget's back (this runs inside it). */
    json_t *j = status_entry(it);
    int rc = j ? json_dump_callback(j, dump_to_buf, b, JSON_COMPACT) : -1;
    json_decref(j);
    return rc;
}

/* The status resource of a finished request (TAXII 2.1 section 4.3.1):
 * successes, then failures, each in input order. */
static char *status_json(const kz_stix_report *rep, const kz_uuid sid, kz_time requested)
{
    size_t n_bad = 0;
    for (size_t i = 0; i < rep->n_items; i++)
        n_bad += rep->items[i].status == KZ_STIX_ITEM_INVALID;
    size_t n_ok = rep->n_items - n_bad;
    char ts[KZ_TIME_STRLEN + 1];
    kz_time_format(requested, ts);
    kz_buf b;
    kz_buf_init(&b);
    int rc = kz_buf_printf(&b,
                           "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
                           "\"total_count\":%zu,\"success_count\":%zu,\"failure_count\":%zu,"
                           "\"pending_count\":0",
                           sid, ts, rep->n_items, n_ok, n_bad);
    for (int failed = 0; failed < 2 && !rc; failed++) {
        if ((failed ? n_bad : n_ok) == 0)
            continue;
        rc = kz_buf_puts(&b, failed ? ",\"failures\":[" : ",\"successes\":[");
        bool first = true;
        for (size_t i = 0; i < rep->n_items && !rc; i++) {
            const kz_stix_item *it = &rep->items[i];
            if ((it->status == KZ_STIX_ITEM_INVALID) != failed)
                continue;
            rc = put_entry(&b, it, first);
            first = false;
        }
        if (!rc)
            rc = kz_buf_putc(&b, ']');
    }
    if (!rc)
        rc = kz_buf_putc(&b, '}');
    if (rc) {
        kz_buf_free(&b);
        return NULL;
    }
    return kz_buf_steal(&b);
}

/* One request's part in the import's transaction. */
typedef struct add_ctx {
    kz_req *r;
    const kz_taxii_coll *c;
    kz_time requested;
    kz_uuid event_id;
    char *status; /* the status resource's text, stored; sent after the commit */
} add_ctx;

/* First thing in the transaction: the event the objects go into. */
static int add_begin(void *ctx, kz_store *st, kz_err *err)
{
    (void)st;  /* it is r->st */
    (void)err; /* it is &r->err, which collection_event reports into */
    add_ctx *x = ctx;
    return collection_event(x->r, x->c, x->event_id);
}

/* Last thing before the commit: a sharing group's report events aimed at
 * it and the status resource stored, so a request is stored whole
 * (objects, event, status) or not at all, in one commit. */
static int add_end(void *ctx, kz_store *st, const kz_stix_report *rep, kz_err *err)
{
    add_ctx *x = ctx;
    kz_req *r = x->r;
    int rc = 0;
    if (rep->n_items != rep->n_objects) /* the item list could not be made */
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (x->c->kind == KZ_TAXII_SHARING_GROUP && (rc = aim_at_group(r, x->c, rep, x->event_id)))
        return rc;
    kz_uuid sid;
    kz_uuid_v4(sid);
    if (!(x->status = status_json(rep, sid, x->requested)))
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    return kz_store_taxii_status_put(st, sid, r->who.org_id, x->requested, x->status, err);
}

int kz_taxii_objects_add(kz_req *r)
{
    int rc = kz_http_query_only(r, NULL);
    if (rc == 0)
        rc = kz_taxii_check_accept(r);
    kz_taxii_coll c;
    if (rc == 0)
        rc = kz_taxii_collection(r, &c);
    if (rc < 0)
        return rc;
    if (!c.can_write)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "your role (%s) may not add objects; analysts and up can",
                       kz_role_name(r->who.role));
    if ((rc = check_ctype(r)) < 0)
        return rc;
    if (r->body.len == 0)
        return kz_fail(&r->err, KZ_E_VALUE, NULL, "the body is empty; send a TAXII envelope");
    add_ctx x = {.r = r, .c = &c, .requested = kz_time_now()};
    kz_stix_import_opts o = {
        .org_id = r->who.org_id,
        .user_id = r->who.user_id,
        .default_tlp = default_tlp(&c),
        .distribution = distribution_of(&c),
        .community_id = c.kind == KZ_TAXII_COMMUNITY ? c.community : NULL,
        .publish = c.kind != KZ_TAXII_ORG && can_publish(r),
        .create_orgs = false,
        .source = "TAXII",
        .event_id = x.event_id, /* filled by add_begin */
        .txn_begin = add_begin,
        .txn_end = add_end,
        .txn_ctx = &x,
    };
    kz_stix_report rep;
    /* The bundle is parsed object by object, outside kz_json_load: put the
     * same memory budget around it (the import gives each of its reading
     * threads one too) so a hostile body cannot make jansson hold
     * gigabytes; past it, nothing is stored (413). */
    kz_json_budget_begin(r->body.len);
    rc = kz_stix_import(r->st, r->body.p, r->body.len, &o, false, &r->arena, &rep, &r->err);
    kz_json_budget_end();
    if (rc == 0 && x.status)
        return kz_taxii_send(r, MHD_HTTP_ACCEPTED, x.status, strlen(x.status), 0, 0);
    free(x.status);
    if (rc == 0)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "no status resource");
    if (rc == KZ_E_INVALID || rc == KZ_E_VALUE) {
        /* The document itself (not one object) cannot be processed. */
        r->err.code = KZ_E_VALUE;
        return KZ_E_VALUE;
    }
    return rc;
}
