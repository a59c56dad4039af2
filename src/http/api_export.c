/* api_export.c — GET /api/v1/export/{format}: the same exports as `kizuna
 * export --format`, for whoever asks, with only what the caller may
 * export (kz_store_misp_export_scan applies KZ_ACL_EXPORT: TLP:RED never
 * leaves in a bulk export).
 *
 * Formats: misp (JSON), csv, text, zeek, suricata-dataset (with
 * dataset_type, or one type), suricata-iprep (part=categories for the
 * categories file). A MISP feed is a directory; it is served file by file
 * under /api/v1/export/misp-feed/{manifest.json|hashes.csv|<uuid>.json}, so
 * a MISP instance can pull this node as a feed (with an Authorization
 * header). Filters: type and tag (repeatable), tlp_max, to_ids, since,
 * event (repeatable).
 */
#include "http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct xq {
    kz_misp_filter f;
    kz_strlist types, tags, events;
    const char *dataset_type;
    const char *part;
} xq;

/* Repeated parameters ("type=ipv4&type=domain"). */
typedef struct multi {
    kz_req *r;
    kz_strlist *types, *tags, *events;
    const char *bad;
    const char *twice;
    const char *seen[8];
    size_t n_seen;
} multi;

static const char *const SINGLE[] = {"tlp_max", "to_ids", "since", "dataset_type", "part"};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    multi *m = cls;
    if (!value || !*value || strlen(value) > KZ_MAX_VALUE || !kz_utf8_valid(value, strlen(value))) {
        if (!m->bad)
            m->bad = key;
        return MHD_YES;
    }
    kz_strlist *dst = strcmp(key, "type") == 0    ? m->types
                      : strcmp(key, "tag") == 0   ? m->tags
                      : strcmp(key, "event") == 0 ? m->events
                                                  : NULL;
    if (dst) {
        if (dst->n < 1000)
            kz_strlist_push(&m->r->arena, dst, value);
        return MHD_YES;
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(SINGLE); i++)
        if (strcmp(key, SINGLE[i]) == 0) {
            for (size_t k = 0; k < m->n_seen; k++)
                if (strcmp(m->seen[k], key) == 0 && !m->twice)
                    m->twice = SINGLE[i];
            if (m->n_seen < KZ_ARRAY_LEN(m->seen))
                m->seen[m->n_seen++] = SINGLE[i];
            return MHD_YES;
        }
    if (!m->bad)
        m->bad = key;
    return MHD_YES;
}

static int parse(kz_req *r, xq *q)
{
    memset(q, 0, sizeof *q);
    q->f.tlp_max = -1;
    multi m = {.r = r, .types = &q->types, .tags = &q->tags, .events = &q->events};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &m);
    if (m.bad)
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "unknown or empty query parameter '%.64s'",
                       kz_utf8_valid(m.bad, strlen(m.bad)) ? m.bad : "?");
    if (m.twice)
        return kz_fail(&r->err, KZ_E_INVALID, m.twice,
                       "query parameter '%s' is given more than once", m.twice);
    for (size_t i = 0; i < q->types.n; i++)
        if (kz_ioc_type_parse(q->types.v[i]) < 0 && !kz_misp_type_find(q->types.v[i]))
            return kz_fail(&r->err, KZ_E_INVALID, "type",
                           "type: '%.64s' is not an indicator type (native or MISP)",
                           q->types.v[i]);
    for (size_t i = 0; i < q->events.n; i++) {
        char *id = kz_arena_alloc(&r->arena, sizeof(kz_uuid));
        if (!id || !kz_uuid_normalize(q->events.v[i], id))
            return kz_fail(&r->err, KZ_E_INVALID, "event", "event: '%.64s' is not an event id",
                           q->events.v[i]);
        q->events.v[i] = id;
    }
    const char *tlp = NULL;
    int to_ids = -1;
    int rc = kz_http_query(r, "tlp_max", &tlp);
    if (rc == 0 && tlp && (q->f.tlp_max = kz_tlp_parse(tlp)) < 0)
        rc = kz_fail(&r->err, KZ_E_INVALID, "tlp_max",
                     "tlp_max: '%.32s' is not one of clear, green, amber, amber+strict, red", tlp);
    if (rc == 0)
        rc = kz_http_query_bool(r, "to_ids", &to_ids);
    if (rc == 0)
        rc = kz_http_query_time(r, "since", &q->f.since);
    if (rc == 0)
        rc = kz_http_query(r, "dataset_type", &q->dataset_type);
    if (rc == 0)
        rc = kz_http_query(r, "part", &q->part);
    q->f.to_ids_only = to_ids == 1;
    q->f.types = &q->types;
    q->f.tags = &q->tags;
    q->f.event_ids = &q->events;
    return rc;
}

/* ---- row formats and MISP JSON ------------------------------------------------ */

typedef struct sink {
    kz_req *r;
    kz_export_format fmt;
    kz_export_writer *w;
    kz_buf out;
    bool first;
    char base[300];
} sink;

static int per_event(void *ctx, kz_misp_event *me, kz_err *err)
{
    sink *s = ctx;
    if (s->fmt == KZ_EXPORT_MISP) {
        kz_misp_json_opts o = {.sightings = true};
        json_t *j = kz_misp_event_json(me, &o);
        char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        int rc = !t || (!s->first && kz_buf_putc(&s->out, ',') < 0) || kz_buf_puts(&s->out, t) < 0;
        free(t);
        s->first = false;
        return rc ? kz_fail(err, KZ_E_NOMEM, NULL, "cannot serialise event %s", me->ev.id) : 0;
    }
    char url[400] = "";
    if (s->base[0])
        snprintf(url, sizeof url, "%s/api/v1/events/%s", s->base, me->ev.id);
    for (size_t i = 0; i < me->ev.n_indicators; i++) {
        const kz_misp_attr *ma = &me->attrs[i];
        const kz_misp_object *ob = ma->object >= 0 ? &me->objects[ma->object] : NULL;
        kz_export_row row = {.ind = &me->ev.indicators[i],
                             .ma = ma,
                             .ev = &me->ev,
                             .event_seq = me->seq,
                             .org_name = me->orgc.name,
                             .object_uuid = ob ? ob->uuid : NULL,
                             .object_name = ob ? ob->name : NULL,
                             .object_meta_category = ob ? ob->meta_category : NULL,
                             .event_url = url[0] ? url : NULL};
        if (kz_export_row_write(s->w, &row, &s->out) < 0)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    return 0;
}

static const char *dataset_of(const kz_strlist *types)
{
    if (types->n != 1)
        return NULL;
    const char *t = types->v[0];
    if (strcmp(t, "md5") == 0 || strcmp(t, "sha256") == 0 || strcmp(t, "ipv4") == 0)
        return t;
    if (strcmp(t, "ipv6") == 0 || strcmp(t, "ip-dst") == 0 || strcmp(t, "ip-src") == 0)
        return "ip";
    return "string";
}

int kz_api_export(kz_req *r)
{
    const char *name = r->n_params ? r->params[0] : "";
    int f = kz_export_format_parse(name);
    if (f < 0)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL,
                       "no export format '%.32s' (misp, misp-feed, csv, text, zeek,"
                       " suricata-dataset, suricata-iprep)",
                       kz_utf8_valid(name, strlen(name)) ? name : "?");
    if (f == KZ_EXPORT_MISP_FEED)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL,
                       "a MISP feed is a directory: GET /api/v1/export/misp-feed/manifest.json,"
                       " then the files it lists");
    xq q;
    int rc = parse(r, &q);
    if (rc < 0)
        return rc;
    sink s = {.r = r, .fmt = (kz_export_format)f, .first = true};
    kz_buf_init(&s.out);
    if (f == KZ_EXPORT_SURICATA_IPREP && q.part && strcmp(q.part, "categories") == 0) {
        if (kz_export_iprep_categories(&s.out) < 0)
            return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
        goto send;
    }
    if (q.part)
        return kz_fail(&r->err, KZ_E_INVALID, "part",
                       "part: only suricata-iprep has parts (part=categories)");
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    if (host && strlen(host) < 200 && strspn(host, "abcdefghijklmnopqrstuvwxyz"
                                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                                              strlen(host))
        snprintf(s.base, sizeof s.base, "http://%s", host);
    if (f != KZ_EXPORT_MISP) {
        const char *ds = q.dataset_type;
        if (!ds && f == KZ_EXPORT_SURICATA_DATASET && !(ds = dataset_of(&q.types)))
            return kz_fail(&r->err, KZ_E_INVALID, "dataset_type",
                           "a Suricata dataset holds one type: give dataset_type (string, md5,"
                           " sha256, ipv4, ip) or exactly one type");
        if ((rc = kz_export_writer_new((kz_export_format)f, ds, &s.w, &r->err)) < 0)
            return rc;
        rc = kz_export_begin(s.w, &s.out);
    } else {
        rc = kz_buf_puts(&s.out, "{\"response\":[");
    }
    if (rc == 0)
        rc = kz_store_misp_export_scan(r->st, &r->who, &q.f, per_event, &s, &r->err);
    if (rc == 0 && s.w)
        rc = kz_export_end(s.w, &s.out);
    if (rc == 0 && f == KZ_EXPORT_MISP)
        rc = kz_buf_puts(&s.out, "]}");
    kz_export_writer_free(s.w);
    if (rc < 0) {
        kz_buf_free(&s.out);
        if (!r->err.code)
            kz_fail(&r->err, rc, NULL, "the export failed");
        return rc;
    }
send:;
    size_t len = s.out.len;
    char *body = len ? kz_buf_steal(&s.out) : NULL;
    kz_buf_free(&s.out);
    if (kz_http_send_raw(r, MHD_HTTP_OK, kz_export_content_type((kz_export_format)f), body,
                         len) != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot send the export");
    return 0;
}

/* ---- the MISP feed, file by file ---------------------------------------------- */

typedef struct feed {
    kz_req *r;
    json_t *manifest;
    kz_buf hashes;
    const char *want; /* one event's file, or NULL */
    char *event_json;
} feed;

static int feed_event(void *ctx, kz_misp_event *me, kz_err *err)
{
    feed *fd = ctx;
    kz_misp_json_opts o = {.feed = true, .attachments = true};
    if (fd->want) {
        json_t *j = kz_misp_event_json(me, &o);
        fd->event_json = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        return fd->event_json ? 0 : kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    if (fd->manifest) {
        json_t *j = kz_misp_event_json(me, &o);
        const json_t *e = json_object_get(j, "Event");
        json_t *m = json_object();
        static const char *const keys[] = {"info", "Orgc", "analysis", "Tag", "date",
                                           "threat_level_id", "timestamp"};
        for (size_t i = 0; m && e && i < KZ_ARRAY_LEN(keys); i++)
            if (json_object_get(e, keys[i]))
                json_object_set(m, keys[i], json_object_get(e, keys[i]));
        int bad = !m || json_object_set_new(fd->manifest, me->ev.id, m) < 0;
        json_decref(j);
        return bad ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
    }
    return kz_export_feed_hashes(me, &fd->hashes) < 0
               ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory")
               : 0;
}

int kz_api_export_feed(kz_req *r)
{
    xq q;
    int rc = parse(r, &q);
    if (rc < 0)
        return rc;
    const char *file = r->n_params ? r->params[0] : "";
    feed fd = {.r = r};
    kz_buf_init(&fd.hashes);
    kz_uuid id;
    kz_strlist one = {0};
    const char *ctype = "application/json";
    if (strcmp(file, "manifest.json") == 0) {
        fd.manifest = json_object();
    } else if (strcmp(file, "hashes.csv") == 0) {
        ctype = "text/csv; charset=utf-8";
    } else if (strlen(file) == KZ_UUID_STRLEN + 5 && strcmp(file + KZ_UUID_STRLEN, ".json") == 0 &&
               kz_uuid_normalize(kz_arena_strndup(&r->arena, file, KZ_UUID_STRLEN), id)) {
        fd.want = id;
        kz_strlist_push(&r->arena, &one, id);
        q.f.event_ids = &one; /* the one event, if the filter and the ACL keep it */
        if (q.events.n && !kz_strlist_has(&q.events, id))
            return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such feed file");
    } else {
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL,
                       "a MISP feed has manifest.json, hashes.csv and <event uuid>.json");
    }
    rc = kz_store_misp_export_scan(r->st, &r->who, &q.f, feed_event, &fd, &r->err);
    char *body = NULL;
    size_t len = 0;
    if (rc == 0 && fd.manifest) {
        body = json_dumps(fd.manifest, JSON_COMPACT);
        len = body ? strlen(body) : 0;
        rc = body ? 0 : kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    } else if (rc == 0 && fd.want) {
        body = fd.event_json;
        len = body ? strlen(body) : 0;
        if (!body)
            rc = kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such feed file '%s.json'", id);
    } else if (rc == 0) {
        len = fd.hashes.len;
        body = len ? kz_buf_steal(&fd.hashes) : NULL;
    }
    json_decref(fd.manifest);
    kz_buf_free(&fd.hashes);
    if (rc < 0) {
        free(body);
        return rc;
    }
    if (kz_http_send_raw(r, MHD_HTTP_OK, ctype, body, len) != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot send the file");
    return 0;
}
