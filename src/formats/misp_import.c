/* misp_import.c — a MISP event (as MISP exports it, with or without the
 * {"Event": ...} wrapper) into the model plus what MISP keeps beyond it.
 *
 * MISP's JSON varies between releases: members come and go, numbers are
 * sometimes strings. Unknown members are ignored; the members we use are
 * checked, and a wrong one is an error naming its path. The event's own
 * markings come first (its TLP is needed to judge every attribute's),
 * then the attributes, then each object with its attributes.
 *
 * Defaults for what a MISP event may leave out: TLP amber (the node's
 * default, a feed without a TLP tag is not thereby public), distribution
 * "org" (nothing spreads further than the importer chose), threat level 4,
 * analysis 0, the event's own time for attributes without a timestamp.
 */
#include "misp_int.h"

#include <stdio.h>
#include <string.h>

#define MAX_OBJECTS 100000
#define MAX_REFS 10000
#define MAX_SG_ORGS 10000
#define CHUNK 4096 /* attributes per jansson call when streaming */

static int bad(kz_mi *c, const char *path, const char *what)
{
    return kz_mi_fail(c, path, KZ_E_INVALID, "%s", what);
}

static int get_str(kz_mi *c, const json_t *j, const char *key, const char *path, size_t max,
                   char **out)
{
    int r = kz_mj_str(c->a, json_object_get(j, key), max, out);
    if (r == -3)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    if (r < 0) {
        char p[200];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
        return kz_mi_fail(c, p, r == -2 ? KZ_E_VALUE : KZ_E_INVALID,
                          "must be a string of at most %zu bytes", max);
    }
    return 0;
}

static int get_int(kz_mi *c, const json_t *j, const char *key, int64_t lo, int64_t hi,
                   int64_t def, int64_t *out)
{
    const json_t *v = json_object_get(j, key);
    *out = def;
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (kz_mj_int(v, lo, hi, out) < 0)
        return kz_mi_fail(c, key, KZ_E_VALUE, "must be a number from %lld to %lld",
                          (long long)lo, (long long)hi);
    return 0;
}

/* ---- the event's own fields -------------------------------------------- */

static int event_ids(kz_mi *c, const json_t *e)
{
    kz_misp_event *me = c->me;
    const char *u = json_string_value(json_object_get(e, "uuid"));
    if (u && *u) {
        if (strlen(u) != KZ_UUID_STRLEN || !kz_uuid_normalize(u, me->ev.id))
            return kz_mi_fail(c, "uuid", KZ_E_VALUE, "'%.64s' is not a UUID", u);
    } else if (json_object_get(e, "uuid") && !json_is_null(json_object_get(e, "uuid")) && !u) {
        return bad(c, "uuid", "must be a string");
    } else {
        kz_uuid_v4(me->ev.id);
        kz_mi_warn(c, "the event has no uuid; it was given %s", me->ev.id);
    }
    if (kz_mj_org(c->a, json_object_get(e, "Orgc"), &me->orgc) < 0)
        return bad(c, "Orgc", "must be an object with a valid \"uuid\" and a \"name\"");
    if (kz_mj_org(c->a, json_object_get(e, "Org"), &me->org) < 0)
        return bad(c, "Org", "must be an object with a valid \"uuid\" and a \"name\"");
    /* Older exports name the creator only by "orgc" / "org" text. */
    if (!me->orgc.uuid[0] && !me->orgc.name) {
        char *name = NULL;
        if (get_str(c, e, "orgc", "", 256, &name))
            return c->err->code;
        me->orgc.name = name && *name ? name : NULL;
    }
    char *x = NULL;
    if (get_str(c, e, "extends_uuid", "", KZ_UUID_STRLEN, &x))
        return c->err->code;
    if (x && *x) {
        kz_uuid xu;
        if (!kz_uuid_normalize(x, xu))
            return kz_mi_fail(c, "extends_uuid", KZ_E_VALUE, "'%.64s' is not a UUID", x);
        me->extends_uuid = kz_arena_strdup(c->a, xu);
    }
    return 0;
}

static int event_text(kz_mi *c, const json_t *e)
{
    kz_misp_event *me = c->me;
    char *info = NULL;
    if (get_str(c, e, "info", "", KZ_MISP_MAX_INFO, &info))
        return c->err->code;
    if (!info || !*info) {
        info = kz_arena_printf(c->a, "MISP event %s", me->ev.id);
        kz_mi_warn(c, "the event has no info; its title is '%s'", info ? info : "");
    }
    me->ev.title = info;
    me->ev.description = NULL;
    int64_t v;
    if (get_int(c, e, "threat_level_id", 1, 4, KZ_THREAT_UNDEFINED, &v))
        return c->err->code;
    me->ev.threat_level = (int)v;
    if (get_int(c, e, "analysis", 0, 2, 0, &v))
        return c->err->code;
    me->ev.analysis = (int)v;
    return 0;
}

static int event_times(kz_mi *c, const json_t *e)
{
    kz_misp_event *me = c->me;
    kz_time ts = 0, pts = 0, date = 0;
    if (kz_mj_epoch(json_object_get(e, "timestamp"), &ts) < 0)
        return bad(c, "timestamp", "must be epoch seconds");
    if (kz_mj_epoch(json_object_get(e, "publish_timestamp"), &pts) < 0)
        return bad(c, "publish_timestamp", "must be epoch seconds");
    char *d = NULL;
    if (get_str(c, e, "date", "", 10, &d))
        return c->err->code;
    if (d && *d) {
        kz_err te;
        if (strlen(d) != 10 || kz_time_parse(d, &date, &te) < 0)
            return kz_mi_fail(c, "date", KZ_E_VALUE, "'%s' is not a date (YYYY-MM-DD)", d);
        snprintf(me->date, sizeof me->date, "%s", d);
    }
    /* MISP's times are epoch seconds, never before 1970 (an import refuses
     * them): an earlier date stays the event's date, but not its time, or
     * the export would write a timestamp the import refuses. */
    if (date < 0)
        date = 0;
    if (!ts)
        ts = date ? date : kz_time_now();
    me->ev.modified = ts;
    me->ev.created = date && date <= ts ? date : ts;
    bool published = false;
    const json_t *pv = json_object_get(e, "published");
    if (pv && !json_is_null(pv) && kz_mj_bool(pv, &published) < 0)
        return bad(c, "published", "must be true or false");
    me->ev.published = published;
    me->ev.published_at = published ? (pts ? pts : ts) : 0;
    bool dc = false;
    pv = json_object_get(e, "disable_correlation");
    if (pv && !json_is_null(pv) && kz_mj_bool(pv, &dc) < 0)
        return bad(c, "disable_correlation", "must be true or false");
    me->disable_correlation = dc;
    return 0;
}

static int org_list(kz_mi *c, const json_t *arr, const char *path, kz_misp_sharing_group *g)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > MAX_SG_ORGS)
        return bad(c, path, "must be an array of organisations");
    size_t n = json_array_size(arr);
    g->members = n ? kz_arena_alloc(c->a, n * sizeof *g->members) : NULL;
    if (n && !g->members)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        char p[160];
        snprintf(p, sizeof p, "%.100s[%zu].Organisation", path, i);
        if (kz_mj_org(c->a, json_object_get(m, "Organisation"), &g->members[g->n_members]) < 0)
            return bad(c, p, "must be an object with a valid \"uuid\" and a \"name\"");
        kz_misp_org_ref *r = &g->members[g->n_members];
        if (r->uuid[0] || r->name)
            g->n_members++;
    }
    return 0;
}

/* A sharing group object: {"uuid","name","description","Organisation",
 * "SharingGroupOrg":[{"Organisation":{..}},..]}. */
static int sharing_group(kz_mi *c, const json_t *sg, const char *path, kz_misp_sharing_group *g)
{
    memset(g, 0, sizeof *g);
    if (!json_is_object(sg))
        return bad(c, path, "must be an object");
    const char *u = json_string_value(json_object_get(sg, "uuid"));
    if (u && *u && (strlen(u) != KZ_UUID_STRLEN || !kz_uuid_normalize(u, g->uuid)))
        return kz_mi_fail(c, path, KZ_E_VALUE, "uuid '%.64s' is not a UUID", u);
    if (get_str(c, sg, "name", path, 1024, &g->name) ||
        get_str(c, sg, "description", path, KZ_MAX_TEXT, &g->description))
        return c->err->code;
    char p[96];
    snprintf(p, sizeof p, "%s.Organisation", path);
    if (kz_mj_org(c->a, json_object_get(sg, "Organisation"), &g->owner) < 0)
        return bad(c, p, "must be an object with a valid \"uuid\" and a \"name\"");
    snprintf(p, sizeof p, "%s.SharingGroupOrg", path);
    return org_list(c, json_object_get(sg, "SharingGroupOrg"), p, g);
}

static int event_markings(kz_mi *c, const json_t *e, const kz_misp_import_opts *o)
{
    kz_misp_event *me = c->me;
    int64_t d;
    int def = o && o->default_distribution >= 0 ? o->default_distribution : KZ_DIST_ORG;
    const json_t *dv = json_object_get(e, "distribution");
    if (dv && !json_is_null(dv) && !(json_is_string(dv) && json_string_length(dv) == 0)) {
        if (kz_mj_int(dv, 0, 5, &d) < 0)
            return kz_mi_fail(c, "distribution", KZ_E_VALUE,
                              "must be 0 to 4 (org, community, connected, all, sharing group)");
        if (d == 5)
            return kz_mi_fail(c, "distribution", KZ_E_VALUE,
                              "5 (inherit) applies to attributes and objects, not to an event");
    } else {
        d = def;
    }
    me->ev.distribution = (kz_distribution)d;
    if (d == KZ_DIST_SHARING_GROUP) {
        const json_t *sg = json_object_get(e, "SharingGroup");
        if (json_is_object(sg) &&
            (json_object_get(sg, "name") || json_object_get(sg, "uuid"))) {
            me->sg = kz_arena_alloc(c->a, sizeof *me->sg);
            if (!me->sg)
                return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
            int r = sharing_group(c, sg, "SharingGroup", me->sg);
            if (r)
                return r;
            if (!me->sg->name || !*me->sg->name) {
                me->sg = NULL;
            }
        }
        if (!me->sg) {
            me->ev.distribution = KZ_DIST_ORG;
            kz_mi_warn(c, "distribution 4 (sharing group) without a SharingGroup naming it:"
                          " the event is kept to its owner org");
        }
    }
    int tlp = -1, pap = -1;
    const json_t *tags = json_object_get(e, "Tag");
    int r = tags ? kz_mi_tags(c, tags, "Tag", false, &me->ev.tags, &tlp, &me->tlp_tag, &pap,
                              &me->pap_tag)
                 : kz_mi_tags(c, json_object_get(e, "EventTag"), "EventTag", true, &me->ev.tags,
                              &tlp, &me->tlp_tag, &pap, &me->pap_tag);
    if (r)
        return r;
    if (tlp < 0) {
        me->tlp_implied = true;
        tlp = o && o->default_tlp >= 0 ? o->default_tlp : KZ_TLP_AMBER;
    }
    me->ev.tlp = (kz_tlp)tlp;
    me->ev.pap = pap >= 0 ? (kz_pap)pap : KZ_PAP_AMBER;
    return 0;
}

/* ---- objects ----------------------------------------------------------- */

static int object_refs(kz_mi *c, const json_t *arr, const char *path, kz_misp_object *o)
{
    if (!arr || json_is_null(arr))
        return 0;
    char p[128];
    snprintf(p, sizeof p, "%s.ObjectReference", path);
    if (!json_is_array(arr) || json_array_size(arr) > MAX_REFS)
        return bad(c, p, "must be an array of references");
    size_t n = json_array_size(arr);
    o->refs = n ? kz_arena_alloc(c->a, n * sizeof *o->refs) : NULL;
    if (n && !o->refs)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t i;
    json_t *rj;
    json_array_foreach(arr, i, rj) {
        snprintf(p, sizeof p, "%s.ObjectReference[%zu]", path, i);
        if (!json_is_object(rj))
            return bad(c, p, "must be an object");
        kz_misp_objref *ref = &o->refs[o->n_refs];
        memset(ref, 0, sizeof *ref);
        if (get_str(c, rj, "uuid", p, 64, &ref->uuid) ||
            get_str(c, rj, "referenced_uuid", p, 64, &ref->referenced_uuid) ||
            get_str(c, rj, "relationship_type", p, 256, &ref->relationship_type) ||
            get_str(c, rj, "comment", p, KZ_MAX_TEXT, &ref->comment))
            return c->err->code;
        if (!ref->referenced_uuid || !*ref->referenced_uuid)
            return bad(c, p, "a reference needs a \"referenced_uuid\"");
        if (!ref->relationship_type || !*ref->relationship_type)
            return bad(c, p, "a reference needs a \"relationship_type\"");
        if (kz_mj_epoch(json_object_get(rj, "timestamp"), &ref->timestamp) < 0)
            return bad(c, p, "timestamp must be epoch seconds");
        o->n_refs++;
    }
    return 0;
}

static int object(kz_mi *c, const json_t *oj, size_t idx)
{
    kz_misp_event *me = c->me;
    char path[64];
    snprintf(path, sizeof path, "Object[%zu]", idx);
    if (!json_is_object(oj))
        return bad(c, path, "an object must be a JSON object");
    kz_misp_object *o = &me->objects[me->n_objects];
    memset(o, 0, sizeof *o);
    if (get_str(c, oj, "uuid", path, 64, &o->uuid) || get_str(c, oj, "name", path, 256, &o->name) ||
        get_str(c, oj, "meta-category", path, 256, &o->meta_category) ||
        get_str(c, oj, "description", path, KZ_MAX_TEXT, &o->description) ||
        get_str(c, oj, "template_uuid", path, 64, &o->template_uuid) ||
        get_str(c, oj, "template_version", path, 64, &o->template_version) ||
        get_str(c, oj, "comment", path, KZ_MAX_TEXT, &o->comment))
        return c->err->code;
    if (!o->name || !*o->name)
        return bad(c, path, "an object needs a \"name\"");
    if (!o->uuid || !*o->uuid) {
        kz_uuid u;
        kz_uuid_v5(me->ev.id, path, strlen(path), u);
        o->uuid = kz_arena_strdup(c->a, u);
    } else {
        kz_uuid u;
        /* MISP UUIDs are lower case; keep odd ids (hand-made files) as they are. */
        if (strlen(o->uuid) == KZ_UUID_STRLEN && kz_uuid_normalize(o->uuid, u))
            memcpy(o->uuid, u, KZ_UUID_STRLEN);
    }
    int64_t d = 5;
    const json_t *dv = json_object_get(oj, "distribution");
    if (dv && !json_is_null(dv) && kz_mj_int(dv, 0, 5, &d) < 0)
        return kz_mi_fail(c, path, KZ_E_VALUE, "distribution must be 0 to 5");
    o->distribution = d == 5 ? -1 : (int)d;
    if (kz_mj_epoch(json_object_get(oj, "timestamp"), &o->timestamp) < 0 ||
        kz_mj_time(json_object_get(oj, "first_seen"), &o->first_seen) < 0 ||
        kz_mj_time(json_object_get(oj, "last_seen"), &o->last_seen) < 0)
        return bad(c, path, "timestamp, first_seen and last_seen must be times");
    const json_t *del = json_object_get(oj, "deleted");
    if (del && !json_is_null(del) && kz_mj_bool(del, &o->deleted) < 0)
        return bad(c, path, "deleted must be true or false");
    int r = object_refs(c, json_object_get(oj, "ObjectReference"), path, o);
    if (r)
        return r;
    long oi = (long)me->n_objects;
    me->n_objects++;
    const json_t *attrs = json_object_get(oj, "Attribute");
    if (attrs && !json_is_null(attrs) && !json_is_array(attrs))
        return bad(c, path, "Attribute must be an array");
    size_t i;
    json_t *aj;
    /* Attributes of a deleted object are deleted too. */
    json_array_foreach(attrs, i, aj) {
        char ap[96];
        snprintf(ap, sizeof ap, "%s.Attribute[%zu]", path, i);
        if ((r = kz_mi_attribute(c, aj, ap, oi, o->distribution)) != 0)
            return r;
        if (o->deleted)
            me->ev.indicators[me->ev.n_indicators - 1].deleted = true;
    }
    return 0;
}

/* Streaming (misp_split.c): the attributes so far are complete. */
static void publish(kz_mi *c)
{
    kz_misp_progress *p = c->progress;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->ready = c->me->ev.n_indicators;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static bool cancelled(kz_mi *c)
{
    kz_misp_progress *p = c->progress;
    if (!p)
        return false;
    pthread_mutex_lock(&p->mu);
    bool x = p->cancel;
    pthread_mutex_unlock(&p->mu);
    return x;
}

static int objects(kz_mi *c, const json_t *arr)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(c, "Object", "must be an array");
    size_t n = json_array_size(arr);
    if (n > MAX_OBJECTS)
        return kz_mi_fail(c, "Object", KZ_E_TOOLARGE, "more than %d objects", MAX_OBJECTS);
    c->me->objects = n ? kz_arena_alloc(c->a, n * sizeof *c->me->objects) : NULL;
    if (n && !c->me->objects)
        return kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
    size_t i;
    json_t *oj;
    json_array_foreach(arr, i, oj) {
        int r = object(c, oj, i);
        if (r)
            return r;
        publish(c);
    }
    return 0;
}

static int attributes(kz_mi *c, const json_t *arr)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(c, "Attribute", "must be an array");
    if (json_array_size(arr) > KZ_MAX_INDICATORS)
        return kz_mi_fail(c, "Attribute", KZ_E_TOOLARGE, "more than %d attributes",
                          KZ_MAX_INDICATORS);
    size_t i;
    json_t *aj;
    json_array_foreach(arr, i, aj) {
        char path[48];
        snprintf(path, sizeof path, "Attribute[%zu]", i);
        int r = kz_mi_attribute(c, aj, path, -1, -1);
        if (r)
            return r;
    }
    return 0;
}

/* ---- streaming (misp_split.c) -------------------------------------------- */

static size_t object_attrs(const json_t *e)
{
    size_t total = 0, oi;
    json_t *oj;
    json_array_foreach(json_object_get(e, "Object"), oi, oj)
        total += json_array_size(json_object_get(oj, "Attribute"));
    return total;
}

int kz_mi_split_begin(kz_misp_split *sp, const kz_misp_import_opts *o, kz_arena *a,
                      kz_misp_event *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    const json_t *j = sp->header;
    if (!json_is_object(j))
        return kz_fail(err, KZ_E_INVALID, NULL, "a MISP event must be a JSON object");
    const json_t *e = json_object_get(j, "Event");
    if (e && !json_is_object(e))
        return kz_fail(err, KZ_E_INVALID, "Event", "'Event' must be an object");
    if (!e)
        e = j;
    sp->event = e;
    kz_mi *c = calloc(1, sizeof *c);
    if (!c)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    sp->c = c;
    *c = (kz_mi){.a = a, .err = &sp->perr, .me = out, .spans = sp->spans.n ? &sp->spans : NULL,
                 .progress = &sp->progress};
    kz_buf_init(&c->norm);
    kz_buf_init(&c->tmp);
    size_t total = sp->n_elems + object_attrs(e);
    if (total > KZ_MAX_INDICATORS)
        return kz_fail(err, KZ_E_TOOLARGE, "Attribute", "more than %d attributes in one event",
                       KZ_MAX_INDICATORS);
    out->ev.indicators = kz_arena_alloc(a, total * sizeof *out->ev.indicators);
    out->attrs = kz_arena_alloc(a, total * sizeof *out->attrs);
    if (!out->ev.indicators || !out->attrs)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    c->cap_ind = total;
    int r = event_ids(c, e);
    if (!r)
        r = event_text(c, e);
    if (!r)
        r = event_times(c, e);
    if (!r)
        r = event_markings(c, e, o);
    if (r) {
        *err = sp->perr;
        return r;
    }
    sp->progress.expected = total;
    sp->pme = *out;
    sp->out = out;
    c->me = &sp->pme;
    out->progress = &sp->progress;
    return 0;
}

int kz_mi_split_attrs(kz_misp_split *sp)
{
    kz_mi *c = sp->c;
    kz_buf chunk;
    kz_buf_init(&chunk);
    int r = 0;
    for (size_t i = 0; !r && i < sp->n_elems; i += CHUNK) {
        if (cancelled(c)) {
            r = kz_fail(c->err, KZ_E_INTERNAL, NULL, "import stopped");
            break;
        }
        size_t m = sp->n_elems - i < CHUNK ? sp->n_elems - i : CHUNK;
        chunk.len = 0;
        /* An object around the array: the quick reader (misp_json.c) reads objects. */
        if (kz_buf_puts(&chunk, "{\"a\":[") < 0 ||
            kz_buf_append(&chunk, sp->buf + sp->beg[i], sp->end[i + m - 1] - sp->beg[i]) < 0 ||
            kz_buf_puts(&chunk, "]}") < 0) {
            r = kz_fail(c->err, KZ_E_NOMEM, NULL, "out of memory");
            break;
        }
        json_t *wrap = NULL, *arr = NULL;
        kz_err je = {0};
        if (kz_misp_json_load(chunk.p, chunk.len, &wrap, &je) == 0)
            arr = json_incref(json_object_get(wrap, "a"));
        json_decref(wrap);
        if (!arr || json_array_size(arr) != m) {
            json_decref(arr);
            /* Say it as kz_json_load says it of the whole document. */
            json_t *whole = NULL;
            r = kz_json_load(sp->text, sp->text_n, &whole, c->err);
            json_decref(whole);
            if (!r)
                r = kz_fail(c->err, KZ_E_INVALID, "Attribute", "Attribute[%zu]: %s", i, je.msg);
            break;
        }
        for (size_t k = 0; !r && k < m; k++) {
            char path[48];
            snprintf(path, sizeof path, "Attribute[%zu]", i + k);
            r = kz_mi_attribute(c, json_array_get(arr, k), path, -1, -1);
            if (!r && (k & 1023) == 1023)
                publish(c);
        }
        json_decref(arr);
        publish(c);
    }
    kz_buf_free(&chunk);
    if (!r)
        r = objects(c, json_object_get(sp->event, "Object"));
    if (!r && c->me->ev.n_indicators > KZ_MAX_INDICATORS)
        r = kz_fail(c->err, KZ_E_TOOLARGE, "Attribute", "more than %d attributes in one event",
                    KZ_MAX_INDICATORS);
    return r;
}

int kz_misp_event_parse(const json_t *j, const kz_misp_import_opts *o, kz_arena *a,
                        struct kz_misp_event *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return kz_fail(err, KZ_E_INVALID, NULL, "a MISP event must be a JSON object");
    const json_t *e = json_object_get(j, "Event");
    if (e && !json_is_object(e))
        return kz_fail(err, KZ_E_INVALID, "Event", "'Event' must be an object");
    if (!e)
        e = j;
    kz_mi c = {.a = a, .err = err, .me = out, .spans = o ? o->spans : NULL};
    kz_buf_init(&c.norm);
    kz_buf_init(&c.tmp);
    /* Room for every attribute at once: growing arrays of a 200,000-row
     * event by doubling would copy and fault in twice the memory. */
    size_t total = json_array_size(json_object_get(e, "Attribute"));
    size_t oi;
    json_t *oj;
    json_array_foreach(json_object_get(e, "Object"), oi, oj)
        total += json_array_size(json_object_get(oj, "Attribute"));
    if (total && total <= KZ_MAX_INDICATORS) {
        out->ev.indicators = kz_arena_alloc(a, total * sizeof *out->ev.indicators);
        out->attrs = kz_arena_alloc(a, total * sizeof *out->attrs);
        if (!out->ev.indicators || !out->attrs)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        c.cap_ind = total;
    }
    int r = event_ids(&c, e);
    if (!r)
        r = event_text(&c, e);
    if (!r)
        r = event_times(&c, e);
    if (!r)
        r = event_markings(&c, e, o);
    if (!r)
        r = attributes(&c, json_object_get(e, "Attribute"));
    if (!r)
        r = objects(&c, json_object_get(e, "Object"));
    kz_buf_free(&c.norm);
    kz_buf_free(&c.tmp);
    if (!r && out->ev.n_indicators > KZ_MAX_INDICATORS)
        r = kz_fail(err, KZ_E_TOOLARGE, "Attribute", "more than %d attributes in one event",
                    KZ_MAX_INDICATORS);
    return r;
}
