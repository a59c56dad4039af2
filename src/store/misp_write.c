/* misp_write.c — storing a MISP event: the model rows through the store's
 * own paths (so every invariant of events and indicators holds), plus what
 * MISP keeps beyond the model, all in one transaction.
 *
 * Indicators are inserted one at a time through the bulk insert helper so
 * that each row's seq is known at once and its MISP columns can be set by
 * rowid; rows whose MISP data is all default (the common case of a large
 * feed) are not touched a second time.
 *
 * Replacing (a newer copy of an event from a feed or a peer) updates the
 * event and the indicators that are still there in place, so that their
 * sightings and ids survive, adds the new ones and deletes the ones that
 * went, each deletion leaving a tombstone for federation. Objects,
 * attachments and the event's MISP row are rewritten whole.
 */
#include "store_int.h"

#include <stdlib.h>

enum { EVF_TLP_IMPLIED = 1, EVF_NO_CORRELATION = 2 };
enum { INDF_NO_CORRELATION = 1, INDF_DIST_SHIFT = 4 };

/* The category of attrs[i] worth storing: NULL when it is the default of
 * the type it is exported as. */
static const char *stored_category(const char *type, const char *cat)
{
    if (!cat)
        return NULL;
    const kz_misp_type_info *ti = kz_misp_type_find(type);
    return ti && strcmp(ti->category, cat) == 0 ? NULL : cat;
}

static int attr_fail(const kz_misp_event *me, size_t i, kz_err *err)
{
    kz_err e = *err;
    char field[64];
    snprintf(field, sizeof field, "Attribute[%zu]", i);
    return kz_fail(err, e.code, field, "attribute %zu (%s): %s", i, me->ev.indicators[i].id,
                   e.msg);
}

/* Writes the MISP columns of one indicator row (always, when force: a
 * replaced row may have had other values). */
static int write_misp_cols(kz_store *st, int64_t seq, const kz_indicator *ind,
                           const kz_misp_attr *ma, const int64_t *objseq, bool force, kz_err *err)
{
    const char *def = kz_misp_default_type(ind);
    const char *type = ma->type && strcmp(ma->type, def) != 0 ? ma->type : NULL;
    const char *cat = stored_category(type ? type : def, ma->category);
    int64_t obj = ma->object >= 0 ? objseq[ma->object] : 0;
    int flags = ma->disable_correlation ? INDF_NO_CORRELATION : 0;
    if (ma->distribution >= 0 && ma->distribution <= 5)
        flags |= (ma->distribution + 1) << INDF_DIST_SHIFT;
    if (!force && !type && !cat && !obj && !ma->relation && !ma->value && !flags)
        return 0;
    sqlite3_stmt *s = kz__stmt(st,
                               "UPDATE indicators SET misp_type = ?2, misp_category = ?3,"
                               " misp_object = ?4, misp_relation = ?5, misp_value = ?6,"
                               " misp_flags = ?7 WHERE seq = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    kz__bind_text(s, 2, type);
    kz__bind_text(s, 3, cat);
    if (obj)
        kz__bind_i64(s, 4, obj);
    else
        sqlite3_bind_null(s, 4);
    kz__bind_text(s, 5, ma->relation);
    kz__bind_text(s, 6, ma->value);
    sqlite3_bind_int(s, 7, flags);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing MISP attribute data") : 0;
}

static int write_objects(kz_store *st, int64_t event_seq, const kz_misp_event *me, int64_t *objseq,
                         kz_err *err)
{
    for (size_t i = 0; i < me->n_objects; i++) {
        const kz_misp_object *o = &me->objects[i];
        sqlite3_stmt *s = kz__stmt(
            st,
            "INSERT INTO misp_objects(event_ref, pos, uuid, name, meta_category, description,"
            " template_uuid, template_version, comment, distribution, timestamp, first_seen,"
            " last_seen, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
            " ?14)",
            err);
        if (!s)
            return kz__code(err);
        kz__bind_i64(s, 1, event_seq);
        kz__bind_i64(s, 2, (int64_t)i);
        kz__bind_text(s, 3, o->uuid ? o->uuid : "");
        kz__bind_text(s, 4, o->name ? o->name : "");
        kz__bind_text(s, 5, o->meta_category);
        kz__bind_text(s, 6, o->description);
        kz__bind_text(s, 7, o->template_uuid);
        kz__bind_text(s, 8, o->template_version);
        kz__bind_text(s, 9, o->comment);
        if (o->distribution >= 0)
            sqlite3_bind_int(s, 10, o->distribution);
        else
            sqlite3_bind_null(s, 10);
        kz__bind_i64(s, 11, o->timestamp);
        kz__bind_i64(s, 12, o->first_seen);
        kz__bind_i64(s, 13, o->last_seen);
        sqlite3_bind_int(s, 14, o->deleted ? 1 : 0);
        int rc = kz__run(st, s);
        if (rc)
            return kz__dberr(st, rc, err, "storing a MISP object");
        objseq[i] = sqlite3_last_insert_rowid(st->db);
        for (size_t j = 0; j < o->n_refs; j++) {
            const kz_misp_objref *ref = &o->refs[j];
            s = kz__stmt(st,
                         "INSERT INTO misp_object_refs(obj, pos, uuid, referenced_uuid,"
                         " relationship_type, comment, timestamp)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         err);
            if (!s)
                return kz__code(err);
            kz__bind_i64(s, 1, objseq[i]);
            kz__bind_i64(s, 2, (int64_t)j);
            kz__bind_text(s, 3, ref->uuid);
            kz__bind_text(s, 4, ref->referenced_uuid ? ref->referenced_uuid : "");
            kz__bind_text(s, 5, ref->relationship_type ? ref->relationship_type : "");
            kz__bind_text(s, 6, ref->comment);
            kz__bind_i64(s, 7, ref->timestamp);
            rc = kz__run(st, s);
            if (rc)
                return kz__dberr(st, rc, err, "storing a MISP object reference");
        }
    }
    return 0;
}

static int write_attachment(kz_store *st, int64_t event_seq, const char *ind_id, const char *data,
                            kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR REPLACE INTO misp_attachments(ind_id, event_ref, data)"
                               " VALUES (?1, ?2, ?3)",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, ind_id);
    kz__bind_i64(s, 2, event_seq);
    kz__bind_text(s, 3, data);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing a MISP attachment") : 0;
}

/* MISP sightings carry their own UUIDs: one seen twice is stored once. */
static int write_sighting(kz_store *st, int64_t ind_seq, const kz_sighting *x, kz_err *err)
{
    const char *type = kz_sighting_type_name(x->type);
    if (!type || !kz_uuid_valid(x->id))
        return kz_fail(err, KZ_E_VALUE, "Sighting", "sighting '%.64s' is not valid", x->id);
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR IGNORE INTO sightings(id, ind, org_id, time, count,"
                               " source, type, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                               err);
    if (!s)
        return kz__code(err);
    kz_time now = kz_time_now();
    kz__bind_text(s, 1, x->id);
    kz__bind_i64(s, 2, ind_seq);
    kz__bind_ref(s, 3, x->org_id);
    kz__bind_i64(s, 4, x->time ? x->time : now);
    kz__bind_i64(s, 5, x->count > 0 ? x->count : 1);
    kz__bind_text(s, 6, x->source);
    kz__bind_text(s, 7, type);
    kz__bind_i64(s, 8, x->created ? x->created : now);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing a sighting") : 0;
}

static int write_event_row(kz_store *st, int64_t seq, const kz_misp_event *me, const char *orgc,
                           kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "INSERT OR REPLACE INTO misp_events(event, orgc, orgc_name, date,"
                               " tlp_tag, pap_tag, flags, extends_uuid, src_modified)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                               err);
    if (!s)
        return kz__code(err);
    int flags = (me->tlp_implied ? EVF_TLP_IMPLIED : 0) |
                (me->disable_correlation ? EVF_NO_CORRELATION : 0);
    kz__bind_i64(s, 1, seq);
    kz__bind_ref(s, 2, orgc);
    kz__bind_text(s, 3, me->orgc.name);
    kz__bind_ref(s, 4, me->date);
    kz__bind_text(s, 5, me->tlp_tag);
    kz__bind_text(s, 6, me->pap_tag);
    sqlite3_bind_int(s, 7, flags);
    kz__bind_ref(s, 8, me->extends_uuid);
    kz__bind_i64(s, 9, me->ev.modified);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "storing MISP event data") : 0;
}

/* Orgs of the event, its sharing group and its sightings. */
static int resolve_refs(kz_store *st, kz_misp_event *me, const kz_misp_put_opts *o, kz_uuid orgc,
                        kz_err *err)
{
    int r = 0;
    orgc[0] = 0;
    if (me->orgc.uuid[0] || (me->orgc.name && *me->orgc.name)) {
        r = kz_store_misp_org_resolve(st, &me->orgc, o->create_orgs, orgc, err);
        if (r)
            return r;
    }
    const char *owner = o->owner_org && *o->owner_org ? o->owner_org : orgc;
    if (!*owner)
        return kz_fail(err, KZ_E_VALUE, "Orgc",
                       "the event names no creator organisation (Orgc) and no owner was given");
    snprintf(me->ev.creator_org, sizeof me->ev.creator_org, "%s", owner);
    if (!orgc[0])
        memcpy(orgc, me->ev.creator_org, sizeof(kz_uuid));
    snprintf(me->ev.creator_user, sizeof me->ev.creator_user, "%s",
             o->owner_user ? o->owner_user : "");
    if (me->ev.distribution == KZ_DIST_SHARING_GROUP && me->sg) {
        r = kz_store_misp_sharing_group_resolve(st, me->sg, o->create_orgs,
                                                me->ev.sharing_group_id, err);
        if (r)
            return r;
    }
    return 0;
}

/* The orgs of attribute i's sightings. */
static int resolve_sightings(kz_store *st, kz_misp_event *me, size_t i, const kz_misp_put_opts *o,
                             kz_err *err)
{
    kz_misp_attr *ma = &me->attrs[i];
    for (size_t j = 0; j < ma->n_sightings; j++) {
        kz_misp_sighting *ms = &ma->sightings[j];
        ms->s.org_id[0] = 0;
        if (!ms->org.uuid[0] && !(ms->org.name && *ms->org.name))
            continue;
        int r = kz_store_misp_org_resolve(st, &ms->org, o->create_orgs, ms->s.org_id, err);
        if (r == KZ_E_VALUE && !o->create_orgs) {
            /* A sighting by an org this node does not know stays anonymous. */
            ms->s.org_id[0] = 0;
            r = 0;
        }
        if (r)
            return r;
    }
    return 0;
}

/* ---- an event still being parsed (me->progress) ----------------------------
 * The store writes attribute i as soon as the parser has published it, so
 * parsing (on another thread) and writing overlap. */

/* How many attributes are complete, waiting until there are more than i or
 * the parser is done; the parser's error once it failed. */
static int wait_attrs(kz_misp_event *me, size_t i, size_t *known, kz_err *err)
{
    kz_misp_progress *p = me->progress;
    if (!p) {
        *known = me->ev.n_indicators;
        return 0;
    }
    pthread_mutex_lock(&p->mu);
    while (i >= p->ready && !p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    *known = p->ready;
    if (p->done)
        me->ev.n_indicators = p->ready; /* the parser's count, final */
    int rc = p->done ? p->rc : 0;
    if (rc && err)
        *err = p->err;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static int wait_done(kz_misp_event *me, kz_err *err)
{
    size_t known = 0;
    int rc = 0;
    while (me->progress && rc == 0) {
        size_t i = known;
        rc = wait_attrs(me, i, &known, err);
        if (known <= i)
            break; /* done */
    }
    return rc;
}

static void cancel_parse(kz_misp_event *me)
{
    kz_misp_progress *p = me->progress;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->cancel = true;
    pthread_mutex_unlock(&p->mu);
}

typedef struct old_row {
    const char *id;
    int64_t seq;
    bool kept;
} old_row;

static int cmp_old(const void *a, const void *b)
{
    return strcmp(((const old_row *)a)->id, ((const old_row *)b)->id);
}

static int load_old(kz_store *st, int64_t event_seq, kz_arena *a, old_row **out, size_t *n,
                    kz_err *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    sqlite3_stmt *s = kz__stmt(st, "SELECT id, seq FROM indicators WHERE event_ref = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, event_seq);
    int rc;
    old_row *v = NULL;
    while ((rc = kz__step(st, s)) == SQLITE_ROW) {
        v = kz__grow(a, v, *n, &cap, sizeof *v);
        char *id = v ? kz_arena_strdup(a, (const char *)sqlite3_column_text(s, 0)) : NULL;
        if (!id) {
            kz__reset(s);
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        }
        v[*n] = (old_row){id, sqlite3_column_int64(s, 1), false};
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        return kz__dberr(st, rc, err, "reading an event's indicators");
    kz__reset(s);
    if (*n)
        qsort(v, *n, sizeof *v, cmp_old);
    *out = v;
    return 0;
}

static int run_seq(kz_store *st, const char *sql, int64_t seq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, sql, err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__run(st, s);
    return rc ? kz__dberr(st, rc, err, "replacing MISP event data") : 0;
}

/* The MISP timestamp the stored copy came with (or its modified time). */
static int stored_src_time(kz_store *st, int64_t seq, kz_time *out, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st,
                               "SELECT coalesce((SELECT src_modified FROM misp_events"
                               " WHERE event = ?1), modified) FROM events WHERE seq = ?1",
                               err);
    if (!s)
        return kz__code(err);
    kz__bind_i64(s, 1, seq);
    int rc = kz__step(st, s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    kz__reset(s);
    return rc == SQLITE_ROW ? 0 : kz__dberr(st, rc, err, "reading an event");
}

/* Everything but the event and indicator rows themselves. */
static int write_rest(kz_store *st, int64_t event_seq, kz_misp_event *me, const int64_t *indseq,
                      const char *orgc, bool force, kz_arena *a, kz_err *err)
{
    int64_t *objseq = me->n_objects ? kz_arena_alloc(a, me->n_objects * sizeof *objseq) : NULL;
    if (me->n_objects && !objseq)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    int r = write_objects(st, event_seq, me, objseq, err);
    for (size_t i = 0; !r && i < me->ev.n_indicators; i++) {
        const kz_misp_attr *ma = &me->attrs[i];
        r = write_misp_cols(st, indseq[i], &me->ev.indicators[i], ma, objseq, force, err);
        if (!r && ma->data)
            r = write_attachment(st, event_seq, me->ev.indicators[i].id, ma->data, err);
        for (size_t j = 0; !r && j < ma->n_sightings; j++)
            r = write_sighting(st, indseq[i], &ma->sightings[j].s, err);
        if (r)
            r = attr_fail(me, i, err);
    }
    if (!r)
        r = write_event_row(st, event_seq, me, orgc, err);
    return r;
}

static int seq_of(kz_store *st, const char *id, int64_t *seq, kz_err *err)
{
    sqlite3_stmt *s = kz__stmt(st, "SELECT seq FROM indicators WHERE id = ?1", err);
    if (!s)
        return kz__code(err);
    kz__bind_text(s, 1, id);
    int rc = kz__step(st, s);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    kz__reset(s);
    return rc == SQLITE_ROW ? 0 : kz__dberr(st, rc, err, "finding a new indicator");
}

static int insert_one(kz_store *st, int64_t event_seq, kz_misp_event *me, size_t i, int64_t *seq,
                      kz_err *err)
{
    const kz_indicator *x = &me->ev.indicators[i];
    int r = kz__indicators_insert(st, event_seq, me->ev.id, x, 1, err);
    if (r)
        return attr_fail(me, i, err);
    /* The row's seq is the last rowid unless the insert also wrote a row of
     * a rowid table after it (a new tag name, a new CIDR prefix length). */
    if (x->tags.n || x->type == KZ_IOC_CIDR)
        return seq_of(st, x->id, seq, err);
    *seq = sqlite3_last_insert_rowid(st->db);
    return 0;
}

static int check_shape(const kz_misp_event *me, kz_err *err);

static int put_new(kz_store *st, kz_misp_event *me, const char *orgc, const kz_misp_put_opts *o,
                   kz_arena *a, kz_err *err)
{
    kz_event head = me->ev;
    head.indicators = NULL;
    head.n_indicators = 0;
    int r = kz_store_event_put(st, &head, err);
    int64_t seq = 0;
    if (!r)
        r = kz__event_seq(st, me->ev.id, &seq, err);
    size_t cap = me->progress ? me->progress->expected : me->ev.n_indicators;
    int64_t *indseq = cap ? kz_arena_alloc(a, cap * sizeof *indseq) : NULL;
    if (!r && cap && !indseq)
        r = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    size_t known = 0;
    for (size_t i = 0; !r; i++) {
        if (i >= known && ((r = wait_attrs(me, i, &known, err)) != 0 || i >= known))
            break;
        if (i >= cap) {
            r = kz_fail(err, KZ_E_INTERNAL, NULL, "MISP event grew past its reserved room");
            break;
        }
        r = resolve_sightings(st, me, i, o, err);
        if (!r)
            r = insert_one(st, seq, me, i, &indseq[i], err);
    }
    if (!r && me->progress)
        r = check_shape(me, err);
    if (!r)
        r = write_rest(st, seq, me, indseq, orgc, false, a, err);
    return r;
}

static int put_replace(kz_store *st, int64_t seq, kz_misp_event *me, const char *orgc,
                       kz_arena *a, kz_err *err)
{
    old_row *old = NULL;
    size_t n_old = 0;
    int r = load_old(st, seq, a, &old, &n_old, err);
    if (!r) {
        kz_event head = me->ev;
        head.indicators = NULL;
        head.n_indicators = 0;
        r = kz_store_event_update(st, &head, err);
    }
    int64_t *indseq = me->ev.n_indicators
                          ? kz_arena_alloc(a, me->ev.n_indicators * sizeof *indseq)
                          : NULL;
    if (!r && me->ev.n_indicators && !indseq)
        r = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    for (size_t i = 0; !r && i < me->ev.n_indicators; i++) {
        old_row key = {me->ev.indicators[i].id, 0, false};
        old_row *hit = n_old ? bsearch(&key, old, n_old, sizeof *old, cmp_old) : NULL;
        if (hit) {
            hit->kept = true;
            indseq[i] = hit->seq;
            r = kz_store_indicator_update(st, &me->ev.indicators[i], err);
            if (r)
                r = attr_fail(me, i, err);
        } else {
            r = insert_one(st, seq, me, i, &indseq[i], err);
        }
    }
    for (size_t i = 0; !r && i < n_old; i++)
        if (!old[i].kept)
            r = kz_store_indicator_delete(st, old[i].id, err);
    if (!r)
        r = run_seq(st, "DELETE FROM misp_objects WHERE event_ref = ?1", seq, err);
    if (!r)
        r = run_seq(st, "DELETE FROM misp_attachments WHERE event_ref = ?1", seq, err);
    if (!r)
        r = write_rest(st, seq, me, indseq, orgc, true, a, err);
    return r;
}

static int check_shape(const kz_misp_event *me, kz_err *err)
{
    if (me->ev.n_indicators && !me->attrs)
        return kz_fail(err, KZ_E_INTERNAL, NULL, "MISP event without attribute data");
    for (size_t i = 0; i < me->ev.n_indicators; i++) {
        long ob = me->attrs[i].object;
        if (ob < -1 || (ob >= 0 && (size_t)ob >= me->n_objects))
            return kz_fail(err, KZ_E_INTERNAL, NULL, "attribute %zu names object %ld of %zu", i,
                           ob, me->n_objects);
    }
    return 0;
}

int kz_store_misp_event_put(kz_store *st, kz_misp_event *me, const kz_misp_put_opts *o,
                            kz_misp_put_result *res, kz_err *err)
{
    kz_misp_put_opts none = {0};
    if (!o)
        o = &none;
    if (res)
        *res = KZ_MISP_STORED;
    int r = me->progress ? 0 : check_shape(me, err);
    if (!r)
        r = kz_store_begin(st, err);
    if (r) {
        cancel_parse(me);
        return r;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_uuid orgc;
    r = resolve_refs(st, me, o, orgc, err);
    int64_t seq = 0;
    bool exists = false;
    if (!r) {
        r = kz__event_seq(st, me->ev.id, &seq, err);
        exists = r == 0;
        if (r == KZ_E_NOTFOUND) {
            r = 0;
            kz_err_clear(err);
        }
    }
    if (!r && exists && !o->replace)
        r = kz_fail(err, KZ_E_CONFLICT, "uuid", "event %s already exists", me->ev.id);
    /* Replacing is not streamed: the whole event first. */
    if (!r && exists && me->progress) {
        r = wait_done(me, err);
        if (!r)
            r = check_shape(me, err);
    }
    for (size_t i = 0; !r && exists && i < me->ev.n_indicators; i++)
        r = resolve_sightings(st, me, i, o, err);
    if (!r && exists) {
        kz_time stored = 0;
        r = stored_src_time(st, seq, &stored, err);
        if (!r && me->ev.modified <= stored) {
            if (res)
                *res = KZ_MISP_UNCHANGED;
            kz_arena_free(&a);
            return kz_store_commit(st, err);
        }
        if (!r) {
            r = put_replace(st, seq, me, orgc, &a, err);
            if (res)
                *res = KZ_MISP_REPLACED;
        }
    } else if (!r) {
        r = put_new(st, me, orgc, o, &a, err);
    }
    kz_arena_free(&a);
    if (r) {
        cancel_parse(me);
        return kz__fail_txn(st, r);
    }
    return kz_store_commit(st, err);
}
