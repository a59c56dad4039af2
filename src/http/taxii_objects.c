/* taxii_objects.c — the TAXII 2.1 object endpoints of a collection: objects
 * (GET, POST), manifest, one object (GET, DELETE) and its versions.
 *
 * Listings walk the store's date_added order and keep only the rows the
 * collection holds for this caller (kz_taxii_allows), so a hidden object is
 * never served nor counted. A page ends after `limit` kept rows or after
 * KZ_HTTP_SCAN_CAP examined ones; `next` is the keyset position (date_added,
 * seq) of the last row examined, sealed under the node's cursor key, so it
 * needs no server memory, survives a restart and works on any process that
 * shares the node secret.
 */
#include "taxii_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 100      /* values in one match[] parameter */
#define MAX_LIMIT 10000
#define DEFAULT_LIMIT 1000

enum { F_ID = 1, F_TYPE = 2, F_VERSION = 4, F_PAGE = 8 };

/* Splits a comma list (copied into the arena); 400 naming the parameter on
 * an empty member or too many. */
static int split(kz_req *r, const char *name, const char *const **out, size_t *n)
{
    const char *v;
    int rc = kz_http_query(r, name, &v);
    *out = NULL;
    *n = 0;
    if (rc < 0 || !v)
        return rc;
    const char **l = kz_arena_alloc(&r->arena, MAX_LIST * sizeof *l);
    if (!l)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t k = 0;
    for (const char *p = v;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == 0 || len > 256)
            return kz_fail(&r->err, KZ_E_INVALID, name,
                           "%s: '%.64s' has an empty or over-long member", name, v);
        if (k == MAX_LIST)
            return kz_fail(&r->err, KZ_E_INVALID, name, "%s: more than %d values", name,
                           MAX_LIST);
        l[k] = kz_arena_strndup(&r->arena, p, len);
        if (!l[k])
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        k++;
        if (!c)
            break;
        p = c + 1;
    }
    *out = l;
    *n = k;
    return 0;
}

static int parse_versions(kz_req *r, kz_stix_versions *v)
{
    const char *const *l;
    size_t n;
    int rc = split(r, "match[version]", &l, &n);
    if (rc < 0 || n == 0)
        return rc;
    kz_time *at = kz_arena_alloc(&r->arena, n * sizeof *at);
    if (!at)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        kz_err e;
        for (size_t j = 0; j < i; j++)
            if (strcmp(l[i], l[j]) == 0)
                return kz_fail(&r->err, KZ_E_INVALID, "match[version]",
                               "match[version]: '%.64s' is given twice", l[i]);
        if (strcmp(l[i], "all") == 0 && n > 1)
            return kz_fail(&r->err, KZ_E_INVALID, "match[version]",
                           "match[version]: 'all' cannot be combined with other versions");
        if (strcmp(l[i], "all") == 0)
            v->all = true;
        else if (strcmp(l[i], "first") == 0)
            v->first = true;
        else if (strcmp(l[i], "last") == 0)
            v->last = true;
        else if (kz_time_parse(l[i], &at[v->n_at], &e) == 0)
            v->n_at++;
        else
            return kz_fail(&r->err, KZ_E_INVALID, "match[version]",
                           "match[version]: '%.64s' is not first, last, all or a timestamp",
                           l[i]);
    }
    v->at = at;
    return 0;
}

/* Fills q from the query string; which filters the endpoint takes is in
 * `which`, the others are refused as unknown parameters. */
static int parse_filters(kz_req *r, unsigned which, kz_stix_query *q)
{
    const char *allowed[10];
    size_t na = 0;
    if (which & F_PAGE) {
        allowed[na++] = "added_after";
        allowed[na++] = "limit";
        allowed[na++] = "next";
    }
    if (which & F_ID)
        allowed[na++] = "match[id]";
    if (which & F_TYPE)
        allowed[na++] = "match[type]";
    if (which & F_VERSION)
        allowed[na++] = "match[version]";
    allowed[na++] = "match[spec_version]";
    allowed[na] = NULL;
    memset(q, 0, sizeof *q);
    q->tlp_max = -1;
    q->limit = DEFAULT_LIMIT;
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    if ((which & F_ID) && (rc = split(r, "match[id]", &q->ids, &q->n_ids)) < 0)
        return rc;
    if ((which & F_TYPE) && (rc = split(r, "match[type]", &q->types, &q->n_types)) < 0)
        return rc;
    if ((which & F_VERSION) && (rc = parse_versions(r, &q->versions)) < 0)
        return rc;
    if ((rc = split(r, "match[spec_version]", &q->spec_versions, &q->n_spec_versions)) < 0)
        return rc;
    if (!(which & F_PAGE))
        return 0;
    kz_time after = 0;
    if ((rc = kz_http_query_time(r, "added_after", &after)) < 0)
        return rc;
    if (after) {
        q->after_added = after;
        q->after_seq = INT64_MAX;
    }
    const char *v;
    if ((rc = kz_http_query(r, "limit", &v)) < 0)
        return rc;
    if (v) {
        size_t n = 0, i = 0;
        for (; v[i] >= '0' && v[i] <= '9' && i < 8; i++)
            n = n * 10 + (size_t)(v[i] - '0');
        if (v[i] != 0 || i == 0 || n < 1 || n > MAX_LIMIT)
            return kz_fail(&r->err, KZ_E_INVALID, "limit",
                           "limit: '%.64s' is not a number from 1 to %d", v, MAX_LIMIT);
        q->limit = n;
    }
    if ((rc = kz_http_query(r, "next", &v)) < 0)
        return rc;
    if (v) {
        kz_time t;
        int64_t seq;
        if (kz_cursor_decode_sighting(r, v, &t, &seq) < 0)
            return kz_fail(&r->err, KZ_E_INVALID, "next",
                           "next: not a token this node handed out; start again without it");
        /* The token continues a listing: it never goes back before
         * added_after. */
        if (t > q->after_added || (t == q->after_added && seq > q->after_seq)) {
            q->after_added = t;
            q->after_seq = seq;
        }
    }
    return 0;
}

/* One page of what the collection holds for the caller. */
typedef struct page {
    kz_stix_obj **v;
    size_t n;
    bool more;
    kz_time last_added;
    int64_t last_seq;
} page;

static int list_page(kz_req *r, const kz_taxii_coll *c, kz_stix_query *q, page *pg)
{
    memset(pg, 0, sizeof *pg);
    size_t want = q->limit;
    pg->v = kz_arena_alloc(&r->arena, want * sizeof *pg->v);
    kz_taxii_acl *acl = kz_taxii_acl_new(r);
    if (!pg->v || !acl)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    if (c->kind == KZ_TAXII_ORG)
        q->owner_org = r->who.org_id;
    else
        q->tlp_max = (int)c->ceiling;
    size_t scanned = 0;
    for (;;) {
        kz_stix_obj *rows;
        size_t n;
        bool more;
        int rc = kz_store_stix_list(r->st, q, &r->arena, &rows, &n, &more, &r->err);
        if (rc < 0)
            return rc;
        size_t i = 0;
        for (; i < n && pg->n < want; i++) {
            kz_stix_obj *o = &rows[i];
            pg->last_added = o->date_added;
            pg->last_seq = o->seq;
            if (kz_taxii_allows(acl, c, o, false))
                pg->v[pg->n++] = o;
        }
        scanned += i;
        q->after_added = pg->last_added;
        q->after_seq = pg->last_seq;
        pg->more = i < n || more;
        if (!pg->more || pg->n == want || scanned >= KZ_HTTP_SCAN_CAP || n == 0)
            return 0;
    }
}

static int need_read(kz_req *r, kz_taxii_coll *c, unsigned which, kz_stix_query *q)
{
    int rc = kz_taxii_check_accept(r);
    if (rc == 0)
        rc = kz_taxii_collection(r, c);
    if (rc == 0)
        rc = parse_filters(r, which, q);
    return rc;
}

static const char *next_token(kz_req *r, const page *pg)
{
    return pg->more ? kz_cursor_encode_sighting(r, pg->last_added, pg->last_seq) : NULL;
}

/* The envelope as text: objects are sent exactly as stored. */
static int send_envelope(kz_req *r, const page *pg)
{
    if (pg->n == 0 && !pg->more) {
        char *empty = strdup("{}"); /* TAXII's empty envelope */
        if (!empty)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        return kz_taxii_send(r, MHD_HTTP_OK, empty, 2, 0, 0);
    }
    kz_buf b;
    kz_buf_init(&b);
    int bad = kz_buf_printf(&b, "{\"more\":%s", pg->more ? "true" : "false");
    const char *next = next_token(r, pg);
    if (next)
        bad |= kz_buf_printf(&b, ",\"next\":\"%s\"", next);
    if (pg->n) {
        bad |= kz_buf_puts(&b, ",\"objects\":[");
        for (size_t i = 0; i < pg->n; i++) {
            if (i)
                bad |= kz_buf_putc(&b, ',');
            bad |= kz_buf_puts(&b, pg->v[i]->json);
        }
        bad |= kz_buf_putc(&b, ']');
    }
    bad |= kz_buf_putc(&b, '}');
    if (bad) {
        kz_buf_free(&b);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    size_t len = b.len;
    kz_time first = pg->n ? pg->v[0]->date_added : 0;
    kz_time last = pg->n ? pg->v[pg->n - 1]->date_added : 0;
    return kz_taxii_send(r, MHD_HTTP_OK, kz_buf_steal(&b), len, first, last);
}

int kz_taxii_objects_get(kz_req *r)
{
    kz_taxii_coll c;
    kz_stix_query q;
    page pg;
    int rc = need_read(r, &c, F_PAGE | F_ID | F_TYPE | F_VERSION, &q);
    if (rc == 0)
        rc = list_page(r, &c, &q, &pg);
    return rc < 0 ? rc : send_envelope(r, &pg);
}

static json_t *timestamp(kz_time t)
{
    char s[KZ_TIME_STRLEN + 1];
    kz_time_format(t, s);
    return json_string(s);
}

static int send_meta(kz_req *r, const page *pg, const char *member, bool versions_only)
{
    /* Nothing to list: TAXII wants an empty object, not an empty list. */
    json_t *j = pg->n == 0 && !pg->more ? json_object() : json_pack("{s:b}", "more", pg->more);
    const char *next = next_token(r, pg);
    if (next)
        json_object_set_new(j, "next", json_string(next));
    if (pg->n) {
        json_t *a = json_array();
        for (size_t i = 0; i < pg->n; i++) {
            const kz_stix_obj *o = pg->v[i];
            if (versions_only) {
                json_array_append_new(a, timestamp(kz_stix_obj_version(o)));
                continue;
            }
            json_t *m = json_pack("{s:s, s:o, s:o, s:s}", "id", o->id, "date_added",
                                  timestamp(o->date_added), "version",
                                  timestamp(kz_stix_obj_version(o)), "media_type",
                                  KZ_STIX_MEDIA);
            json_array_append_new(a, m);
        }
        json_object_set_new(j, member, a);
    }
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    kz_time first = pg->n ? pg->v[0]->date_added : 0;
    kz_time last = pg->n ? pg->v[pg->n - 1]->date_added : 0;
    return kz_taxii_send(r, MHD_HTTP_OK, s, strlen(s), first, last);
}

int kz_taxii_manifest(kz_req *r)
{
    kz_taxii_coll c;
    kz_stix_query q;
    page pg;
    int rc = need_read(r, &c, F_PAGE | F_ID | F_TYPE | F_VERSION, &q);
    q.meta_only = true;
    if (rc == 0)
        rc = list_page(r, &c, &q, &pg);
    return rc < 0 ? rc : send_meta(r, &pg, "objects", false);
}

/* Whether any version of id is in the collection for the caller (an empty
 * filtered page is then 200, else 404). */
static int object_known(kz_req *r, const kz_taxii_coll *c, const char *id, bool edit,
                        bool *visible)
{
    kz_stix_obj *v;
    size_t n;
    kz_stix_versions all = {.all = true};
    kz_err e;
    *visible = false;
    int rc = kz_store_stix_get(r->st, id, &all, &r->arena, &v, &n, &e);
    if (rc == KZ_E_NOTFOUND)
        return 0;
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    kz_taxii_acl *acl = kz_taxii_acl_new(r);
    if (!acl)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n && !*visible; i++)
        *visible = kz_taxii_allows(acl, c, &v[i], edit);
    return 0;
}

static int one_object(kz_req *r, bool versions)
{
    kz_taxii_coll c;
    kz_stix_query q;
    page pg;
    int rc = need_read(r, &c, F_PAGE | (versions ? 0 : F_VERSION), &q);
    if (rc < 0)
        return rc;
    const char *id = r->params[2];
    q.ids = &id;
    q.n_ids = 1;
    if (versions) {
        q.versions.all = true;
        q.meta_only = true;
    }
    if ((rc = list_page(r, &c, &q, &pg)) < 0)
        return rc;
    if (pg.n == 0 && !pg.more) {
        bool visible;
        if ((rc = object_known(r, &c, id, false, &visible)) < 0)
            return rc;
        if (!visible)
            return kz_fail(&r->err, KZ_E_NOTFOUND, NULL,
                           "no object '%.100s' in this collection", id);
    }
    return versions ? send_meta(r, &pg, "versions", true) : send_envelope(r, &pg);
}

int kz_taxii_object_get(kz_req *r) { return one_object(r, false); }
int kz_taxii_versions(kz_req *r) { return one_object(r, true); }

int kz_taxii_object_delete(kz_req *r)
{
    kz_taxii_coll c;
    kz_stix_query q;
    int rc = need_read(r, &c, F_VERSION, &q);
    if (rc < 0)
        return rc;
    const char *id = r->params[2];
    /* TAXII: can_read without can_write is a 403 whatever the object. */
    if (!c.can_write)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "your role (%s) may not delete from this collection",
                       kz_role_name(r->who.role));
    bool visible, editable;
    if ((rc = object_known(r, &c, id, false, &visible)) < 0)
        return rc;
    if (!visible)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no object '%.100s' in this collection", id);
    /* Every version the filter selects must be one the caller may edit. */
    kz_stix_obj *v;
    size_t n = 0;
    kz_err e;
    rc = kz_store_stix_get(r->st, id, &q.versions, &r->arena, &v, &n, &e);
    if (rc < 0 && rc != KZ_E_NOTFOUND) {
        r->err = e;
        return rc;
    }
    kz_taxii_acl *acl = kz_taxii_acl_new(r);
    if (!acl)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    editable = true;
    for (size_t i = 0; i < n && editable; i++)
        editable = kz_taxii_allows(acl, &c, &v[i], true);
    if (!editable)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "object '%.100s' belongs to an event you may not edit", id);
    if ((rc = kz_store_stix_delete(r->st, id, &q.versions, q.spec_versions, q.n_spec_versions,
                                   NULL, &r->err)) < 0)
        return rc;
    return kz_taxii_send(r, MHD_HTTP_OK, NULL, 0, 0, 0);
}
