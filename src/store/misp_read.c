/* misp_read.c — reading an event back with everything MISP keeps: the
 * model event and indicators through the store's own reader, then the MISP
 * columns, objects, references, attachments, sightings and the Orgc, all in
 * one read snapshot so that the parts agree with each other.
 *
 * Defaults left out on write (misp_type, misp_category NULL) are filled in
 * here, so callers always see a complete MISP attribute.
 */
#include "store_int.h"

#include <stdlib.h>

enum { EVF_TLP_IMPLIED = 1, EVF_NO_CORRELATION = 2 };
enum { INDF_NO_CORRELATION = 1, INDF_DIST_SHIFT = 4 };

static const char *col_static_or_dup(kz_rd *r, int i, const char *def)
{
    if (sqlite3_column_type(r->s, i) == SQLITE_NULL)
        return def;
    return kz__col_str(r, i);
}

/* type and category of an attribute: stored, else the defaults. */
static void fill_names(kz_misp_attr *ma, const kz_indicator *ind)
{
    if (!ma->type)
        ma->type = kz_misp_default_type(ind);
    if (!ma->category) {
        const kz_misp_type_info *ti = kz_misp_type_find(ma->type);
        ma->category = ti ? ti->category : "Other";
    }
}

int kz_store_misp_event_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    return kz__event_seq(st, id, seq, err);
}

int kz_store_misp_event_id(kz_store *st, int64_t seq, kz_uuid out, kz_err *err)
{
    out[0] = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT id FROM events WHERE seq = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        snprintf(out, sizeof(kz_uuid), "%s", (const char *)sqlite3_column_text(s, 0));
        kz__reset(s);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an event");
    kz__reset(s);
    return kz_fail(err, KZ_E_NOTFOUND, "", "event %lld not found", (long long)seq);
}

static int org_name(kz_store *st, const char *id, kz_arena *a, char **out, kz_err *err)
{
    *out = NULL;
    if (!id || !*id)
        return 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT name FROM orgs WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        kz_rd rd = {s, a, false};
        *out = kz__col_str(&rd, 0);
        kz__reset(s);
        return rd.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
    }
    kz__reset(s);
    return rc == SQLITE_DONE ? 0 : kz__dberr(st, rc, err, "reading an organisation");
}

int kz_store_misp_orgc(kz_store *st, int64_t event_seq, kz_arena *a, kz_misp_org_ref *out,
                       kz_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT m.orgc, coalesce(m.orgc_name, o.name) FROM misp_events m"
                               " LEFT JOIN orgs o ON o.id = m.orgc WHERE m.event = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        kz_rd rd = {s, a, false};
        kz__col_uuid(&rd, 0, out->uuid);
        out->name = kz__col_str(&rd, 1);
        kz__reset(s);
        return rd.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
    }
    kz__reset(s);
    return rc == SQLITE_DONE ? 0 : kz__dberr(st, rc, err, "reading MISP event data");
}

static int load_event_row(kz_store *st, int64_t seq, kz_arena *a, kz_misp_event *out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT orgc, orgc_name, date, tlp_tag, pap_tag, flags,"
                               " extends_uuid FROM misp_events WHERE event = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW) {
        kz_rd rd = {s, a, false};
        kz__col_uuid(&rd, 0, out->orgc.uuid);
        out->orgc.name = kz__col_str(&rd, 1);
        const char *d = (const char *)sqlite3_column_text(s, 2);
        snprintf(out->date, sizeof out->date, "%s", d ? d : "");
        out->tlp_tag = kz__col_str(&rd, 3);
        out->pap_tag = kz__col_str(&rd, 4);
        int flags = kz__col_int(&rd, 5);
        out->tlp_implied = flags & EVF_TLP_IMPLIED;
        out->disable_correlation = flags & EVF_NO_CORRELATION;
        out->extends_uuid = kz__col_str(&rd, 6);
        kz__reset(s);
        if (rd.oom)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    } else {
        kz__reset(s);
        if (rc != SQLITE_DONE)
            return kz__dberr(st, rc, err, "reading MISP event data");
    }
    if (!out->orgc.uuid[0])
        memcpy(out->orgc.uuid, out->ev.creator_org, sizeof(kz_uuid));
    int r = 0;
    if (!out->orgc.name)
        r = org_name(st, out->orgc.uuid, a, &out->orgc.name, err);
    memcpy(out->org.uuid, out->ev.creator_org, sizeof(kz_uuid));
    if (!r)
        r = org_name(st, out->org.uuid, a, &out->org.name, err);
    return r;
}

static int load_objects(kz_store *st, int64_t seq, kz_arena *a, kz_misp_event *out,
                        int64_t **objseq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, uuid, name, meta_category, description, template_uuid,"
                               " template_version, comment, distribution, timestamp, first_seen,"
                               " last_seen, deleted FROM misp_objects WHERE event_ref = ?1"
                               " ORDER BY pos",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    size_t cap = 0, capq = 0;
    int rc;
    kz_rd rd = {s, a, false};
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        size_t n = out->n_objects;
        out->objects = kz__grow(a, out->objects, n, &cap, sizeof *out->objects);
        *objseq = kz__grow(a, *objseq, n, &capq, sizeof **objseq);
        if (!out->objects || !*objseq) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        }
        kz_misp_object *o = &out->objects[n];
        memset(o, 0, sizeof *o);
        (*objseq)[n] = o->seq = kz__col_i64(&rd, 0);
        o->uuid = kz__col_str(&rd, 1);
        o->name = kz__col_str(&rd, 2);
        o->meta_category = kz__col_str(&rd, 3);
        o->description = kz__col_str(&rd, 4);
        o->template_uuid = kz__col_str(&rd, 5);
        o->template_version = kz__col_str(&rd, 6);
        o->comment = kz__col_str(&rd, 7);
        o->distribution = sqlite3_column_type(s, 8) == SQLITE_NULL ? -1 : kz__col_int(&rd, 8);
        o->timestamp = kz__col_i64(&rd, 9);
        o->first_seen = kz__col_i64(&rd, 10);
        o->last_seen = kz__col_i64(&rd, 11);
        o->deleted = kz__col_int(&rd, 12) != 0;
        out->n_objects++;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading MISP objects");
    kz__reset(s);
    if (rd.oom)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (!out->n_objects)
        return 0;

    s = kz__stmt(st,
                 "SELECT r.obj, r.uuid, r.referenced_uuid, r.relationship_type, r.comment,"
                 " r.timestamp FROM misp_objects o JOIN misp_object_refs r ON r.obj = o.seq"
                 " WHERE o.event_ref = ?1 ORDER BY o.pos, r.pos",
                 err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    rd.s = s;
    size_t cur = 0, rcap = 0;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        int64_t obj = kz__col_i64(&rd, 0);
        while (cur < out->n_objects && (*objseq)[cur] != obj) {
            cur++;
            rcap = 0;
        }
        if (cur == out->n_objects)
            break;
        kz_misp_object *o = &out->objects[cur];
        o->refs = kz__grow(a, o->refs, o->n_refs, &rcap, sizeof *o->refs);
        if (!o->refs) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        }
        kz_misp_objref *ref = &o->refs[o->n_refs++];
        ref->uuid = kz__col_str(&rd, 1);
        ref->referenced_uuid = kz__col_str(&rd, 2);
        ref->relationship_type = kz__col_str(&rd, 3);
        ref->comment = kz__col_str(&rd, 4);
        ref->timestamp = kz__col_i64(&rd, 5);
    }
    kz__reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return kz__dberr(st, rc, err, "reading MISP object references");
    return rd.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
}

static long find_obj(const int64_t *objseq, size_t n, int64_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (objseq[i] == seq)
            return (long)i;
    return -1;
}

static long find_ind(const kz_misp_event *out, const char *id, size_t hint)
{
    size_t n = out->ev.n_indicators;
    if (hint < n && strcmp(out->ev.indicators[hint].id, id) == 0)
        return (long)hint;
    for (size_t i = 0; i < n; i++)
        if (strcmp(out->ev.indicators[i].id, id) == 0)
            return (long)i;
    return -1;
}

static int load_attr_cols(kz_store *st, int64_t seq, kz_arena *a, kz_misp_event *out,
                          const int64_t *objseq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT seq, id, misp_type, misp_category, misp_object,"
                               " misp_relation, misp_value, misp_flags FROM indicators"
                               " WHERE event_ref = ?1 AND deleted = 0 ORDER BY seq",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz_rd rd = {s, a, false};
    size_t k = 0;
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        long i = find_ind(out, (const char *)sqlite3_column_text(s, 1), k++);
        if (i < 0)
            continue;
        kz_misp_attr *ma = &out->attrs[i];
        ma->seq = kz__col_i64(&rd, 0);
        ma->type = col_static_or_dup(&rd, 2, NULL);
        ma->category = col_static_or_dup(&rd, 3, NULL);
        ma->object = sqlite3_column_type(s, 4) == SQLITE_NULL
                         ? -1
                         : find_obj(objseq, out->n_objects, kz__col_i64(&rd, 4));
        ma->relation = kz__col_str(&rd, 5);
        ma->value = kz__col_str(&rd, 6);
        int fl = kz__col_int(&rd, 7);
        ma->disable_correlation = fl & INDF_NO_CORRELATION;
        ma->distribution = ((fl >> INDF_DIST_SHIFT) & 15) - 1;
    }
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading MISP attribute data");
    return rd.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
}

static int load_attachments(kz_store *st, int64_t seq, kz_arena *a, kz_misp_event *out,
                            kz_err *err)
{
    sqlite3_stmt *s =
        kz__stmt(st, "SELECT ind_id, data FROM misp_attachments WHERE event_ref = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz_rd rd = {s, a, false};
    int rc;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        long i = find_ind(out, (const char *)sqlite3_column_text(s, 0), 0);
        if (i >= 0)
            out->attrs[i].data = kz__col_str(&rd, 1);
    }
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading MISP attachments");
    return rd.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
}

static int load_sightings(kz_store *st, int64_t seq, kz_arena *a, kz_misp_event *out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT i.id, s.id, s.org_id, s.time, s.count, s.source, s.type,"
                               " s.created, o.name FROM indicators i"
                               " JOIN sightings s ON s.ind = i.seq"
                               " LEFT JOIN orgs o ON o.id = s.org_id"
                               " WHERE i.event_ref = ?1 AND i.deleted = 0 ORDER BY i.seq, s.seq",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz_rd rd = {s, a, false};
    int rc;
    long last = -1;
    size_t cap = 0;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        long i = find_ind(out, (const char *)sqlite3_column_text(s, 0),
                          last < 0 ? 0 : (size_t)last);
        if (i < 0)
            continue;
        if (i != last) {
            cap = 0;
            last = i;
        }
        kz_misp_attr *ma = &out->attrs[i];
        ma->sightings = kz__grow(a, ma->sightings, ma->n_sightings, &cap, sizeof *ma->sightings);
        if (!ma->sightings) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        }
        kz_misp_sighting *ms = &ma->sightings[ma->n_sightings++];
        memset(ms, 0, sizeof *ms);
        memcpy(ms->s.indicator_id, out->ev.indicators[i].id, sizeof ms->s.indicator_id);
        kz__col_uuid(&rd, 1, ms->s.id);
        kz__col_uuid(&rd, 2, ms->s.org_id);
        ms->s.time = kz__col_i64(&rd, 3);
        ms->s.count = kz__col_i64(&rd, 4);
        ms->s.source = kz__col_str(&rd, 5);
        int t = kz_sighting_type_parse((const char *)sqlite3_column_text(s, 6));
        ms->s.type = t < 0 ? KZ_SIGHTING_SEEN : (kz_sighting_type)t;
        ms->s.created = kz__col_i64(&rd, 7);
        memcpy(ms->org.uuid, ms->s.org_id, sizeof ms->org.uuid);
        ms->org.name = kz__col_str(&rd, 8);
    }
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading sightings");
    return rd.oom ? kz_fail(err, KZ_E_NOMEM, NULL, "out of memory") : 0;
}

static int load_sharing_group(kz_store *st, kz_arena *a, kz_misp_event *out, kz_err *err)
{
    if (!out->ev.sharing_group_id[0])
        return 0;
    kz_sharing_group g;
    int r = kz_store_sharing_group_get(st, out->ev.sharing_group_id, a, &g, err);
    if (r == KZ_E_NOTFOUND)
        return 0;
    if (r)
        return r;
    kz_misp_sharing_group *sg = kz_arena_alloc(a, sizeof *sg);
    kz_misp_org_ref *m = g.member_orgs.n ? kz_arena_alloc(a, g.member_orgs.n * sizeof *m) : NULL;
    if (!sg || (g.member_orgs.n && !m))
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    memcpy(sg->uuid, g.id, sizeof sg->uuid);
    sg->name = g.name;
    sg->description = g.description;
    memcpy(sg->owner.uuid, g.owner_org, sizeof sg->owner.uuid);
    r = org_name(st, g.owner_org, a, &sg->owner.name, err);
    for (size_t i = 0; !r && i < g.member_orgs.n; i++) {
        snprintf(m[i].uuid, sizeof m[i].uuid, "%s", g.member_orgs.v[i]);
        r = org_name(st, m[i].uuid, a, &m[i].name, err);
    }
    sg->members = m;
    sg->n_members = g.member_orgs.n;
    out->sg = sg;
    return r;
}

int kz_store_misp_event_get(kz_store *st, const char *id, kz_arena *a, kz_misp_event *out,
                            kz_err *err)
{
    memset(out, 0, sizeof *out);
    bool snap = kz__read_begin(st);
    int64_t seq = 0;
    int64_t *objseq = NULL;
    int r = kz_store_event_get(st, id, true, a, &out->ev, err);
    if (!r)
        r = kz__event_seq(st, id, &seq, err);
    out->seq = seq;
    size_t n = out->ev.n_indicators;
    if (!r && n) {
        out->attrs = kz_arena_alloc(a, n * sizeof *out->attrs);
        if (!out->attrs)
            r = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        for (size_t i = 0; !r && i < n; i++) {
            out->attrs[i].object = -1;
            out->attrs[i].distribution = -1;
        }
    }
    if (!r)
        r = load_event_row(st, seq, a, out, err);
    if (!r)
        r = load_objects(st, seq, a, out, &objseq, err);
    if (!r && n)
        r = load_attr_cols(st, seq, a, out, objseq, err);
    if (!r && n)
        r = load_attachments(st, seq, a, out, err);
    if (!r && n)
        r = load_sightings(st, seq, a, out, err);
    if (!r)
        r = load_sharing_group(st, a, out, err);
    for (size_t i = 0; !r && i < n; i++)
        fill_names(&out->attrs[i], &out->ev.indicators[i]);
    kz__read_end(st, snap);
    return r;
}

int kz_store_misp_attr_get(kz_store *st, int64_t ind_seq, kz_arena *a, kz_misp_attr *out,
                           kz_misp_object *obj, kz_misp_org_ref *orgc, kz_err *err)
{
    memset(out, 0, sizeof *out);
    out->object = -1;
    out->distribution = -1;
    if (obj)
        memset(obj, 0, sizeof *obj);
    if (orgc)
        memset(orgc, 0, sizeof *orgc);
    sqlite3_stmt *s = kz__stmt(
        st,
        "SELECT i.type, i.value, i.misp_type, i.misp_category, i.misp_relation, i.misp_value,"
        " i.misp_flags, o.uuid, o.name, o.meta_category, m.orgc, m.orgc_name, e.creator_org,"
        " o.seq, i.event_ref"
        " FROM indicators i JOIN events e ON e.seq = i.event_ref"
        " LEFT JOIN misp_objects o ON o.seq = i.misp_object"
        " LEFT JOIN misp_events m ON m.event = i.event_ref WHERE i.seq = ?1",
        err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, ind_seq);
    int rc = kz__step(st, s);
    if (rc != SQLITE_ROW) {
        kz__reset(s);
        if (rc == SQLITE_DONE)
            return kz_fail(err, KZ_E_NOTFOUND, "", "indicator %lld not found", (long long)ind_seq);
        return kz__dberr(st, rc, err, "reading MISP attribute data");
    }
    kz_rd rd = {s, a, false};
    kz_indicator tmp = {0};
    int t = kz__ioc_type_from_name((const char *)sqlite3_column_text(s, 0));
    tmp.type = t < 0 ? KZ_IOC_TEXT : (kz_ioc_type)t;
    tmp.value = (char *)sqlite3_column_text(s, 1);
    out->seq = ind_seq;
    out->event_seq = kz__col_i64(&rd, 14);
    out->type = col_static_or_dup(&rd, 2, NULL);
    if (!out->type)
        out->type = kz_arena_strdup(a, kz_misp_default_type(&tmp));
    out->category = col_static_or_dup(&rd, 3, NULL);
    out->relation = kz__col_str(&rd, 4);
    out->value = kz__col_str(&rd, 5);
    int fl = kz__col_int(&rd, 6);
    out->disable_correlation = fl & INDF_NO_CORRELATION;
    out->distribution = ((fl >> INDF_DIST_SHIFT) & 15) - 1;
    if (obj && sqlite3_column_type(s, 7) != SQLITE_NULL) {
        obj->seq = kz__col_i64(&rd, 13);
        obj->uuid = kz__col_str(&rd, 7);
        obj->name = kz__col_str(&rd, 8);
        obj->meta_category = kz__col_str(&rd, 9);
        out->object = 0;
    }
    if (orgc) {
        if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
            kz__col_uuid(&rd, 10, orgc->uuid);
            orgc->name = kz__col_str(&rd, 11);
        } else {
            kz__col_uuid(&rd, 12, orgc->uuid);
        }
    }
    kz__reset(s);
    if (rd.oom || !out->type)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    fill_names(out, &tmp);
    if (orgc && !orgc->name)
        return org_name(st, orgc->uuid, a, &orgc->name, err);
    return 0;
}

int kz_store_misp_attr_count(kz_store *st, int64_t event_seq, const kz_principal *who,
                             const kz_acl_object *obj, size_t *out, kz_err *err)
{
    *out = 0;
    /* Rows with markings of their own are few: they alone are judged one by
     * one; the others share their event's verdict, which the caller has. */
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT tlp, distribution FROM indicators WHERE event_ref = ?1"
                               " AND deleted = 0",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    int rc;
    size_t n = 0;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        bool own = sqlite3_column_type(s, 0) != SQLITE_NULL ||
                   sqlite3_column_type(s, 1) != SQLITE_NULL;
        if (!own) {
            n++;
            continue;
        }
        kz_indicator x = {
            .tlp = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 0),
            .distribution =
                sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 1),
        };
        n += kz_acl_indicator_allows(who, obj, &x, KZ_ACL_VIEW, NULL);
    }
    kz__reset(s);
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "counting indicators");
    *out = n;
    return 0;
}

int kz_store_misp_indicator_seq(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    *seq = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq FROM indicators WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id ? id : "");
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(s, 0);
    kz__reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an indicator");
    return kz_fail(err, KZ_E_NOTFOUND, "", "indicator " KZ_ID_FMT " not found", id ? id : "");
}

int kz_store_misp_indicator_id(kz_store *st, int64_t seq, kz_uuid out, kz_err *err)
{
    out[0] = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT id FROM indicators WHERE seq = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    if (rc == SQLITE_ROW)
        snprintf(out, sizeof(kz_uuid), "%s", (const char *)sqlite3_column_text(s, 0));
    kz__reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "looking up an indicator");
    return kz_fail(err, KZ_E_NOTFOUND, "", "indicator %lld not found", (long long)seq);
}
