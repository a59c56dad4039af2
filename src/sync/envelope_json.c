/* envelope_json.c — the canonical fields as jansson values: what an
 * envelope's body carries. The same keys and the same null/0 conventions as
 * canon.c; test_sync_wire checks that jansson's sorted dump of these equals
 * the canonical bytes, so the two cannot drift apart unnoticed.
 */
#include "sync_int.h"

#include <string.h>

typedef struct jb {
    json_t *o;
    bool bad;
} jb;

static void set(jb *b, const char *k, json_t *v)
{
    if (!v || json_object_set_new(b->o, k, v) != 0)
        b->bad = true;
}

/* Builders run after the canonical writer accepted the object (valid UTF-8,
 * ids, names), so a NULL from jansson here means out of memory. */
static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *uuid_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }
static json_t *name_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *strlist(const kz_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, json_string(l->v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *done(jb *b)
{
    if (b->bad) {
        json_decref(b->o);
        return NULL;
    }
    return b->o;
}

json_t *kz__sync_json_indicator(const kz_indicator *ind)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "comment", str_or_null(ind->comment));
    set(&b, "created", json_integer(ind->created));
    set(&b, "distribution",
        name_or_null(ind->distribution < 0 ? NULL
                                           : kz_distribution_name((kz_distribution)ind->distribution)));
    set(&b, "event_id", json_string(ind->event_id));
    set(&b, "first_seen", json_integer(ind->first_seen));
    set(&b, "id", json_string(ind->id));
    set(&b, "last_seen", json_integer(ind->last_seen));
    set(&b, "modified", json_integer(ind->modified));
    set(&b, "tags", strlist(&ind->tags));
    set(&b, "tlp", name_or_null(ind->tlp < 0 ? NULL : kz_tlp_name((kz_tlp)ind->tlp)));
    set(&b, "to_ids", json_boolean(ind->to_ids));
    set(&b, "type", name_or_null((unsigned)ind->type < KZ_IOC__COUNT ? kz_ioc_type_name(ind->type)
                                                                      : NULL));
    set(&b, "value", str_or_null(ind->value));
    return done(&b);
}

static json_t *sharing_group(const kz_sharing_group *sg)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "created", json_integer(sg->created));
    set(&b, "description", str_or_null(sg->description));
    set(&b, "id", json_string(sg->id));
    set(&b, "member_orgs", strlist(&sg->member_orgs));
    set(&b, "modified", json_integer(sg->modified));
    set(&b, "name", str_or_null(sg->name));
    set(&b, "owner_org", json_string(sg->owner_org));
    return done(&b);
}

json_t *kz__sync_json_event(const kz_event *ev, const kz_sharing_group *sg)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "analysis", json_integer(ev->analysis));
    set(&b, "community_id", uuid_or_null(ev->community_id));
    set(&b, "created", json_integer(ev->created));
    set(&b, "creator_org", json_string(ev->creator_org));
    set(&b, "description", str_or_null(ev->description));
    set(&b, "distribution", name_or_null(kz_distribution_name(ev->distribution)));
    set(&b, "id", json_string(ev->id));
    set(&b, "modified", json_integer(ev->modified));
    set(&b, "pap", name_or_null(kz_pap_name(ev->pap)));
    set(&b, "published", json_boolean(ev->published));
    set(&b, "published_at", json_integer(ev->published_at));
    set(&b, "recipient_orgs", strlist(&ev->recipient_orgs));
    if (ev->distribution == KZ_DIST_SHARING_GROUP && sg)
        set(&b, "sharing_group", sharing_group(sg));
    set(&b, "sharing_group_id", uuid_or_null(ev->sharing_group_id));
    set(&b, "tags", strlist(&ev->tags));
    set(&b, "threat_level", json_integer(ev->threat_level));
    set(&b, "title", str_or_null(ev->title));
    set(&b, "tlp", name_or_null(kz_tlp_name(ev->tlp)));
    return done(&b);
}

json_t *kz__sync_json_sighting(const kz_sighting *s)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "count", json_integer(s->count));
    set(&b, "created", json_integer(s->created));
    set(&b, "id", json_string(s->id));
    set(&b, "indicator_id", json_string(s->indicator_id));
    set(&b, "org_id", json_string(s->org_id));
    set(&b, "source", str_or_null(s->source));
    set(&b, "time", json_integer(s->time));
    set(&b, "type", name_or_null(kz_sighting_type_name(s->type)));
    return done(&b);
}

json_t *kz__sync_json_deletion(const kz_sync_deletion *d)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "creator_org", json_string(d->creator_org));
    set(&b, "deleted_at", json_integer(d->deleted_at));
    set(&b, "object_id", json_string(d->object_id));
    set(&b, "object_type", str_or_null(d->object_type));
    return done(&b);
}

json_t *kz__sync_json_org(const kz_org *o)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "contact", str_or_null(o->contact));
    set(&b, "country", json_string(o->country));
    set(&b, "created", json_integer(o->created));
    set(&b, "id", json_string(o->id));
    set(&b, "modified", json_integer(o->modified));
    set(&b, "name", str_or_null(o->name));
    set(&b, "sector", str_or_null(o->sector));
    set(&b, "type", name_or_null(kz_org_type_name(o->type)));
    return done(&b);
}

json_t *kz__sync_json_signer(const char *org, const uint8_t pk[32])
{
    char fp[KZ_NODE_FP_LEN + 1], hex[65];
    kz_sync_fingerprint(pk, fp);
    kz_sync_key_format(pk, hex);
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "fingerprint", json_string(fp));
    set(&b, "org", json_string(org));
    set(&b, "public_key", json_string(hex));
    return done(&b);
}

json_t *kz__sync_json_proposal(const kz_proposal *p)
{
    jb b = {json_object(), false};
    if (!b.o)
        return NULL;
    set(&b, "action", json_string(p->action));
    set(&b, "comment", str_or_null(p->comment));
    set(&b, "created", json_integer(p->created));
    set(&b, "creator_org", json_string(p->creator_org));
    set(&b, "event_id", json_string(p->event_id));
    set(&b, "id", json_string(p->id));
    set(&b, "indicator_id", uuid_or_null(p->indicator_id));
    set(&b, "org_id", json_string(p->org_id));
    set(&b, "to_ids", json_boolean(p->to_ids));
    set(&b, "type", name_or_null(p->type >= 0 ? kz_ioc_type_name((kz_ioc_type)p->type) : NULL));
    set(&b, "value", str_or_null(p->value));
    return done(&b);
}
