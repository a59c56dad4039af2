/* misp_export.c — events and attributes in MISP's JSON, as MISP itself
 * writes them (numbers as strings, times as epoch seconds, booleans as
 * JSON booleans), so PyMISP-style clients and MISP instances read them
 * without special cases.
 *
 * Numeric ids are the store's row numbers (stable, and what MISP clients
 * expect to cast to int); organisations and sharing groups have no numeric
 * id here and are named by UUID and name only. What an import kept beyond
 * the model (the MISP type, category, object, the value as written, the
 * TLP tag's spelling, the original distribution) is written back, so an
 * import -> export round trip gives the same attributes, tags and objects.
 */
#include "misp_int.h"

#include <stdio.h>
#include <string.h>

#include "json_write.h"

static json_t *str_or_empty(const char *s)
{
    return json_string(s ? s : "");
}

static int set_num(json_t *o, const char *key, int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return kz_jw_set(o, key, json_string(b));
}

static int set_time_or_null(json_t *o, const char *key, kz_time t)
{
    if (!t)
        return kz_jw_set(o, key, json_null());
    char b[KZ_TIME_STRLEN + 1];
    kz_time_format(t, b);
    return kz_jw_set(o, key, json_string(b));
}

static void date_of(kz_time t, char out[11])
{
    char b[KZ_TIME_STRLEN + 1];
    kz_time_format(t, b);
    snprintf(out, 11, "%.10s", b);
}

static json_t *tag_json(const char *name)
{
    json_t *t = json_object();
    if (!t)
        return NULL;
    int bad = kz_jw_set(t, "name", json_string(name));
    bad |= kz_jw_set(t, "exportable", json_true());
    return kz_jw_done(t, bad);
}

static int push_tag(json_t *arr, const char *name)
{
    json_t *t = tag_json(name);
    return t ? json_array_append_new(arr, t) : -1;
}

static json_t *org_json(const char *uuid, const char *name)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = kz_jw_set(o, "name", str_or_empty(name));
    bad |= kz_jw_set(o, "uuid", str_or_empty(uuid));
    return kz_jw_done(o, bad);
}

/* "5" (inherit) unless the indicator has its own level; MISP's own number
 * when the import kept one that still describes the indicator. */
static int64_t attr_distribution(const kz_indicator *ind, const kz_misp_attr *ma,
                                 const kz_misp_object *obj)
{
    if (ma && ma->distribution >= 0 && ma->distribution <= 5) {
        if (ma->distribution == 5 &&
            (ind->distribution < 0 || (obj && obj->distribution == ind->distribution)))
            return 5;
        if (ma->distribution < 5 && ind->distribution < 0)
            return ma->distribution; /* clamped on import: the event's applies anyway */
        if (ma->distribution == ind->distribution)
            return ma->distribution;
    }
    return ind->distribution < 0 ? 5 : ind->distribution;
}

static json_t *attr_tags(const kz_indicator *ind)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    int bad = 0;
    if (ind->tlp >= 0 && kz_tlp_tag((kz_tlp)ind->tlp))
        bad |= push_tag(arr, kz_tlp_tag((kz_tlp)ind->tlp));
    for (size_t i = 0; i < ind->tags.n; i++)
        bad |= push_tag(arr, ind->tags.v[i]);
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *sightings_json(const kz_misp_attr *ma, int64_t ind_seq, int64_t event_seq)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    int bad = 0;
    for (size_t i = 0; ma && i < ma->n_sightings; i++) {
        const kz_misp_sighting *ms = &ma->sightings[i];
        json_t *s = json_object();
        if (!s) {
            bad = 1;
            break;
        }
        int b = kz_jw_set(s, "uuid", json_string(ms->s.id));
        b |= set_num(s, "attribute_id", ind_seq);
        b |= set_num(s, "event_id", event_seq);
        b |= set_num(s, "date_sighting", kz_misp_secs(ms->s.time));
        b |= set_num(s, "type", ms->s.type == KZ_SIGHTING_FALSE_POSITIVE ? 1
                                : ms->s.type == KZ_SIGHTING_EXPIRED      ? 2
                                                                         : 0);
        b |= kz_jw_set(s, "source", str_or_empty(ms->s.source));
        b |= kz_jw_set(s, "attribute_uuid", json_string(ms->s.indicator_id));
        if (ms->s.org_id[0])
            b |= kz_jw_set(s, "Organisation", org_json(ms->s.org_id, ms->org.name));
        s = kz_jw_done(s, b);
        bad |= !s || json_array_append_new(arr, s) < 0;
    }
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

typedef struct ectx {
    const kz_misp_event *me;
    const kz_misp_json_opts *o;
    kz_buf val;
} ectx;

static json_t *attr_json(ectx *c, size_t i)
{
    const kz_misp_event *me = c->me;
    const kz_indicator *ind = &me->ev.indicators[i];
    const kz_misp_attr *ma = me->attrs ? &me->attrs[i] : NULL;
    const kz_misp_object *obj =
        ma && ma->object >= 0 && (size_t)ma->object < me->n_objects ? &me->objects[ma->object]
                                                                    : NULL;
    const char *type = ma && ma->type ? ma->type : kz_misp_default_type(ind);
    const char *cat = ma && ma->category ? ma->category : NULL;
    if (!cat) {
        const kz_misp_type_info *ti = kz_misp_type_find(type);
        cat = ti ? ti->category : "Other";
    }
    if (kz_misp_value_out(ind, ma, &c->val) < 0)
        return NULL;
    json_t *a = json_object();
    if (!a)
        return NULL;
    int bad = 0;
    if (!c->o->feed) {
        bad |= set_num(a, "id", ma ? ma->seq : 0);
        bad |= set_num(a, "event_id", me->seq);
        bad |= set_num(a, "object_id", obj ? obj->seq : 0);
    }
    bad |= kz_jw_set(a, "type", json_string(type));
    bad |= kz_jw_set(a, "category", json_string(cat));
    bad |= kz_jw_set(a, "to_ids", json_boolean(ind->to_ids));
    bad |= kz_jw_set(a, "uuid", json_string(ind->id));
    bad |= set_num(a, "timestamp", kz_misp_secs(ind->modified));
    if (!c->o->feed) {
        bad |= set_num(a, "distribution", attr_distribution(ind, ma, obj));
        bad |= kz_jw_set(a, "sharing_group_id", json_string("0"));
        bad |= kz_jw_set(a, "deleted", json_false());
    }
    bad |= kz_jw_set(a, "comment", str_or_empty(ind->comment));
    bad |= kz_jw_set(a, "disable_correlation", json_boolean(ma && ma->disable_correlation));
    if (ma && ma->relation)
        bad |= kz_jw_set(a, "object_relation", json_string(ma->relation));
    else
        bad |= kz_jw_set(a, "object_relation", json_null());
    bad |= set_time_or_null(a, "first_seen", ind->first_seen);
    bad |= set_time_or_null(a, "last_seen", ind->last_seen);
    bad |= kz_jw_set(a, "value", json_stringn(c->val.p, c->val.len));
    if (ind->tags.n || ind->tlp >= 0)
        bad |= kz_jw_set(a, "Tag", attr_tags(ind));
    if (c->o->attachments && ma && ma->data)
        bad |= kz_jw_set(a, "data", json_string(ma->data));
    if (c->o->sightings && ma && ma->n_sightings)
        bad |= kz_jw_set(a, "Sighting", sightings_json(ma, ma->seq, me->seq));
    return kz_jw_done(a, bad);
}

static json_t *refs_json(ectx *c, const kz_misp_object *ob)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    int bad = 0;
    for (size_t i = 0; i < ob->n_refs; i++) {
        const kz_misp_objref *r = &ob->refs[i];
        json_t *j = json_object();
        if (!j) {
            bad = 1;
            break;
        }
        int b = 0;
        if (r->uuid)
            b |= kz_jw_set(j, "uuid", json_string(r->uuid));
        if (!c->o->feed) {
            b |= set_num(j, "object_id", ob->seq);
            b |= set_num(j, "event_id", c->me->seq);
        }
        b |= kz_jw_set(j, "object_uuid", json_string(ob->uuid));
        b |= kz_jw_set(j, "referenced_uuid", json_string(r->referenced_uuid));
        b |= kz_jw_set(j, "relationship_type", json_string(r->relationship_type));
        b |= kz_jw_set(j, "comment", str_or_empty(r->comment));
        b |= set_num(j, "timestamp", kz_misp_secs(r->timestamp));
        j = kz_jw_done(j, b);
        bad |= !j || json_array_append_new(arr, j) < 0;
    }
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *object_json(ectx *c, size_t k, json_t *attrs)
{
    const kz_misp_object *ob = &c->me->objects[k];
    json_t *o = json_object();
    if (!o) {
        json_decref(attrs);
        return NULL;
    }
    int bad = 0;
    if (!c->o->feed) {
        bad |= set_num(o, "id", ob->seq);
        bad |= set_num(o, "event_id", c->me->seq);
        bad |= set_num(o, "distribution", ob->distribution < 0 ? 5 : ob->distribution);
        bad |= kz_jw_set(o, "sharing_group_id", json_string("0"));
        bad |= kz_jw_set(o, "deleted", json_boolean(ob->deleted));
    }
    bad |= kz_jw_set(o, "uuid", json_string(ob->uuid));
    bad |= kz_jw_set(o, "name", json_string(ob->name));
    bad |= kz_jw_set(o, "meta-category", str_or_empty(ob->meta_category));
    bad |= kz_jw_set(o, "description", str_or_empty(ob->description));
    bad |= kz_jw_set(o, "template_uuid", str_or_empty(ob->template_uuid));
    bad |= kz_jw_set(o, "template_version", str_or_empty(ob->template_version));
    bad |= kz_jw_set(o, "comment", str_or_empty(ob->comment));
    bad |= set_num(o, "timestamp", kz_misp_secs(ob->timestamp));
    bad |= set_time_or_null(o, "first_seen", ob->first_seen);
    bad |= set_time_or_null(o, "last_seen", ob->last_seen);
    if (ob->n_refs)
        bad |= kz_jw_set(o, "ObjectReference", refs_json(c, ob));
    bad |= kz_jw_set(o, "Attribute", attrs);
    return kz_jw_done(o, bad);
}

/* The event's tags: TLP and PAP as the source spelled them (left out when
 * the source had none and the import only assumed a level), then the rest. */
static json_t *event_tags(const kz_misp_event *me)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    int bad = 0;
    kz_tlp t;
    kz_pap p;
    bool from_misp = me->tlp_tag || me->tlp_implied;
    if (me->tlp_tag && kz_tag_as_tlp(me->tlp_tag, &t) == 0 && t == me->ev.tlp)
        bad |= push_tag(arr, me->tlp_tag);
    else if (!me->tlp_implied)
        bad |= push_tag(arr, kz_tlp_tag(me->ev.tlp));
    if (me->pap_tag && kz_tag_as_pap(me->pap_tag, &p) == 0 && p == me->ev.pap)
        bad |= push_tag(arr, me->pap_tag);
    else if (!(from_misp && !me->pap_tag && me->ev.pap == KZ_PAP_AMBER))
        bad |= push_tag(arr, kz_pap_tag(me->ev.pap));
    for (size_t i = 0; i < me->ev.tags.n; i++)
        bad |= push_tag(arr, me->ev.tags.v[i]);
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *sharing_group_json(const kz_misp_sharing_group *g)
{
    json_t *o = json_object(), *orgs = json_array();
    if (!o || !orgs) {
        json_decref(o);
        json_decref(orgs);
        return NULL;
    }
    int bad = kz_jw_set(o, "uuid", json_string(g->uuid));
    bad |= kz_jw_set(o, "name", str_or_empty(g->name));
    bad |= kz_jw_set(o, "description", str_or_empty(g->description));
    bad |= kz_jw_set(o, "Organisation", org_json(g->owner.uuid, g->owner.name));
    for (size_t i = 0; i < g->n_members; i++) {
        json_t *m = json_object();
        int b = !m;
        if (m)
            b |= kz_jw_set(m, "Organisation", org_json(g->members[i].uuid, g->members[i].name));
        m = m ? kz_jw_done(m, b) : NULL;
        bad |= !m || json_array_append_new(orgs, m) < 0;
    }
    bad |= kz_jw_set(o, "SharingGroupOrg", orgs);
    return kz_jw_done(o, bad);
}

static json_t *related_json(const kz_misp_related *r)
{
    json_t *w = json_object(), *e = json_object();
    if (!w || !e) {
        json_decref(w);
        json_decref(e);
        return NULL;
    }
    char date[11];
    date_of(r->date, date);
    int bad = set_num(e, "id", r->seq);
    bad |= kz_jw_set(e, "uuid", json_string(r->id));
    bad |= kz_jw_set(e, "info", str_or_empty(r->info));
    bad |= kz_jw_set(e, "date", json_string(date));
    bad |= set_num(e, "threat_level_id", r->threat_level);
    bad |= set_num(e, "analysis", r->analysis);
    bad |= set_num(e, "distribution", r->distribution);
    bad |= kz_jw_set(e, "published", json_boolean(r->published));
    bad |= set_num(e, "timestamp", kz_misp_secs(r->modified));
    bad |= kz_jw_set(w, "Event", e);
    bad |= kz_jw_set(w, "Org", org_json(r->org_id, r->org_name));
    bad |= kz_jw_set(w, "Orgc", org_json(r->orgc_id, r->orgc_name));
    return kz_jw_done(w, bad);
}

static int event_fields(ectx *c, json_t *e, size_t n_attrs)
{
    const kz_misp_event *me = c->me;
    char date[11];
    if (me->date[0])
        snprintf(date, sizeof date, "%s", me->date);
    else
        date_of(me->ev.created, date);
    int bad = 0;
    if (!c->o->feed) {
        bad |= set_num(e, "id", me->seq);
        bad |= set_num(e, "attribute_count", (int64_t)n_attrs);
        bad |= set_num(e, "distribution", me->ev.distribution);
        bad |= kz_jw_set(e, "proposal_email_lock", json_false());
        bad |= kz_jw_set(e, "locked", json_false());
        bad |= kz_jw_set(e, "disable_correlation", json_boolean(me->disable_correlation));
        bad |= kz_jw_set(e, "extends_uuid", str_or_empty(me->extends_uuid));
        if (me->ev.distribution != KZ_DIST_SHARING_GROUP)
            bad |= kz_jw_set(e, "sharing_group_id", json_string("0"));
        bad |= kz_jw_set(e, "Org", org_json(me->org.uuid[0] ? me->org.uuid : me->ev.creator_org,
                                            me->org.name));
    }
    bad |= kz_jw_set(e, "uuid", json_string(me->ev.id));
    bad |= kz_jw_set(e, "info", json_string(me->ev.title ? me->ev.title : ""));
    bad |= kz_jw_set(e, "date", json_string(date));
    bad |= set_num(e, "threat_level_id", me->ev.threat_level);
    bad |= set_num(e, "analysis", me->ev.analysis);
    bad |= kz_jw_set(e, "published", json_boolean(me->ev.published));
    bad |= set_num(e, "timestamp", kz_misp_secs(me->ev.modified));
    bad |= set_num(e, "publish_timestamp", kz_misp_secs(me->ev.published_at));
    bad |= kz_jw_set(e, "Orgc", org_json(me->orgc.uuid[0] ? me->orgc.uuid : me->ev.creator_org,
                                         me->orgc.name));
    if (me->sg && me->ev.distribution == KZ_DIST_SHARING_GROUP && !c->o->feed)
        bad |= kz_jw_set(e, "SharingGroup", sharing_group_json(me->sg));
    bad |= kz_jw_set(e, "Tag", event_tags(me));
    return bad;
}

json_t *kz_misp_event_json(const struct kz_misp_event *me, const kz_misp_json_opts *opts)
{
    kz_misp_json_opts none = {0};
    ectx c = {.me = me, .o = opts ? opts : &none};
    kz_buf_init(&c.val);
    json_t *e = json_object(), *attrs = json_array(), *objs = json_array();
    json_t **obj_attrs = me->n_objects ? calloc(me->n_objects, sizeof *obj_attrs) : NULL;
    int bad = !e || !attrs || !objs || (me->n_objects && !obj_attrs);
    for (size_t k = 0; !bad && k < me->n_objects; k++)
        bad |= !(obj_attrs[k] = json_array());
    size_t n_attrs = 0;
    for (size_t i = 0; !bad && i < me->ev.n_indicators; i++) {
        json_t *a = attr_json(&c, i);
        long ob = me->attrs ? me->attrs[i].object : -1;
        json_t *dest = ob >= 0 && (size_t)ob < me->n_objects ? obj_attrs[ob] : attrs;
        bad |= !a || json_array_append_new(dest, a) < 0;
        n_attrs++;
    }
    for (size_t k = 0; !bad && k < me->n_objects; k++) {
        json_t *o = object_json(&c, k, obj_attrs[k]);
        obj_attrs[k] = NULL;
        bad |= !o || json_array_append_new(objs, o) < 0;
    }
    for (size_t k = 0; obj_attrs && k < me->n_objects; k++)
        json_decref(obj_attrs[k]);
    free(obj_attrs);
    if (!bad)
        bad |= event_fields(&c, e, n_attrs);
    if (!bad && opts && opts->n_related) {
        json_t *rel = json_array();
        bad |= !rel;
        for (size_t i = 0; !bad && i < opts->n_related; i++) {
            json_t *r = related_json(&opts->related[i]);
            bad |= !r || json_array_append_new(rel, r) < 0;
        }
        bad |= kz_jw_set(e, "RelatedEvent", rel);
    }
    kz_buf_free(&c.val);
    if (bad) {
        json_decref(e);
        json_decref(attrs);
        json_decref(objs);
        return NULL;
    }
    bad |= kz_jw_set(e, "Attribute", attrs);
    bad |= kz_jw_set(e, "Object", objs);
    e = kz_jw_done(e, bad);
    if (!e)
        return NULL;
    json_t *w = json_object();
    if (!w || json_object_set_new(w, "Event", e) < 0) {
        json_decref(w);
        return NULL;
    }
    return w;
}

json_t *kz_misp_attribute_json(const kz_indicator *ind, const struct kz_misp_attr *ma,
                               const struct kz_misp_object *obj, const kz_event *ev,
                               int64_t event_seq, const char *orgc_id, bool with_event_tags)
{
    kz_misp_event me = {0};
    me.ev = *ev;
    me.ev.indicators = (kz_indicator *)ind;
    me.ev.n_indicators = 1;
    kz_misp_attr copy = ma ? *ma : (kz_misp_attr){.object = -1, .distribution = -1};
    copy.object = obj ? 0 : -1;
    me.attrs = &copy;
    me.objects = (kz_misp_object *)obj;
    me.n_objects = obj ? 1 : 0;
    me.seq = event_seq;
    kz_misp_json_opts o = {0};
    ectx c = {.me = &me, .o = &o};
    kz_buf_init(&c.val);
    json_t *a = attr_json(&c, 0);
    kz_buf_free(&c.val);
    if (!a)
        return NULL;
    json_t *e = json_object();
    int bad = !e;
    if (e) {
        bad |= set_num(e, "id", event_seq);
        bad |= kz_jw_set(e, "uuid", json_string(ev->id));
        bad |= kz_jw_set(e, "info", json_string(ev->title ? ev->title : ""));
        bad |= set_num(e, "distribution", ev->distribution);
        bad |= kz_jw_set(e, "published", json_boolean(ev->published));
        bad |= kz_jw_set(e, "orgc_uuid", json_string(orgc_id && *orgc_id ? orgc_id
                                                                           : ev->creator_org));
        bad |= kz_jw_set(e, "org_uuid", json_string(ev->creator_org));
        e = kz_jw_done(e, bad);
        bad = !e;
    }
    bad |= kz_jw_set(a, "Event", e);
    if (!bad && with_event_tags) {
        kz_misp_event tm = {0};
        tm.ev = *ev;
        json_t *tags = event_tags(&tm);
        json_t *at = json_object_get(a, "Tag");
        if (!tags) {
            bad = 1;
        } else if (at) {
            json_array_extend(at, tags);
            json_decref(tags);
        } else {
            bad |= kz_jw_set(a, "Tag", tags);
        }
    }
    return kz_jw_done(a, bad);
}

json_t *kz_misp_event_index_json(const kz_event *ev, int64_t seq, size_t attribute_count,
                                 const char *orgc_id, const char *orgc_name, const char *org_name)
{
    json_t *e = json_object();
    if (!e)
        return NULL;
    char date[11];
    date_of(ev->created, date);
    const char *oc = orgc_id && *orgc_id ? orgc_id : ev->creator_org;
    int bad = set_num(e, "id", seq);
    bad |= kz_jw_set(e, "uuid", json_string(ev->id));
    bad |= kz_jw_set(e, "info", json_string(ev->title ? ev->title : ""));
    bad |= kz_jw_set(e, "date", json_string(date));
    bad |= set_num(e, "threat_level_id", ev->threat_level);
    bad |= set_num(e, "analysis", ev->analysis);
    bad |= kz_jw_set(e, "published", json_boolean(ev->published));
    bad |= set_num(e, "attribute_count", (int64_t)attribute_count);
    bad |= set_num(e, "timestamp", kz_misp_secs(ev->modified));
    bad |= set_num(e, "publish_timestamp", kz_misp_secs(ev->published_at));
    bad |= set_num(e, "distribution", ev->distribution);
    bad |= kz_jw_set(e, "sharing_group_id", json_string("0"));
    bad |= kz_jw_set(e, "proposal_email_lock", json_false());
    bad |= kz_jw_set(e, "locked", json_false());
    bad |= kz_jw_set(e, "org", str_or_empty(org_name));
    bad |= kz_jw_set(e, "orgc", str_or_empty(orgc_name));
    bad |= kz_jw_set(e, "Org", org_json(ev->creator_org, org_name));
    bad |= kz_jw_set(e, "Orgc", org_json(oc, orgc_name));
    json_t *tags = json_array();
    bad |= !tags;
    kz_misp_event tm = {0};
    tm.ev = *ev;
    json_t *plain = tags ? event_tags(&tm) : NULL;
    size_t i;
    json_t *t;
    bad |= tags && !plain;
    json_array_foreach(plain, i, t) {
        json_t *w = json_object();
        bad |= !w || json_object_set(w, "Tag", t) < 0 || json_array_append_new(tags, w) < 0;
    }
    json_decref(plain);
    bad |= kz_jw_set(e, "EventTag", tags);
    return kz_jw_done(e, bad);
}
