/* test_misp_import.c — MISP events into the model and the store: every real
 * event in shared/data/misp imports, the mapping is checked on real values
 * (counts, types, categories, UTF-8, sightings, objects and relations,
 * sharing groups), bad input is refused with an error naming the attribute
 * and nothing is stored, and a newer copy of an event replaces the old one.
 */
#include "kz_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "formats/misp_int.h"
#include "http/http_int.h"
#include "store/store.h"

static const char *const EVENT_FILES[] = {
    "misp/57c4445b-c548-4654-af0b-4be3950d210f.json",
    "misp/event_obj_attr_tag.json",
    "misp/japanese_test.json",
    "misp/long_event.json",
    "misp/mainly_objects_1.json",
    "misp/regin_event.json",
    "misp/sighting_1.json",
    "misp/very_long_event.json",
};

typedef struct fx {
    kz_store *st;
    kz_arena a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    kz_err err;
    if (!f || kz_store_open(":memory:", &f->st, &err) != 0) {
        free(f);
        return -1;
    }
    kz_arena_init(&f->a);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kz_store_close(f->st);
    kz_arena_free(&f->a);
    free(f);
    return 0;
}

/* The document at rel, or NULL (then the test skips). */
static json_t *load(const char *rel)
{
    char path[1024];
    if (!kz_test_data_path(rel, path, sizeof path))
        return NULL;
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s", rel, je.text);
    return j;
}

static json_t *load_or_skip(const char *rel)
{
    json_t *j = load(rel);
    if (!j)
        skip();
    return j;
}

static void parse_ok(fx *f, const json_t *j, kz_misp_event *me)
{
    kz_err err = {0};
    int rc = kz_misp_event_parse(j, NULL, &f->a, me, &err);
    if (rc != 0)
        fail_msg("parse: %s (field %s)", err.msg, err.field);
}

/* The local org that owns events naming no Orgc (kizuna misp import --org). */
static void local_org(fx *f, kz_uuid out)
{
    kz_err err;
    if (kz_store_org_find(f->st, "Local CERT", &f->a, &(kz_org){0}, &err) == 0) {
        kz_org o;
        kz_store_org_find(f->st, "Local CERT", &f->a, &o, &err);
        memcpy(out, o.id, sizeof(kz_uuid));
        return;
    }
    kz_org o = {.name = "Local CERT", .country = "SG", .type = KZ_ORG_NATIONAL_CERT};
    kz_uuid_v4(o.id);
    assert_int_equal(kz_store_org_put(f->st, &o, &err), 0);
    memcpy(out, o.id, sizeof(kz_uuid));
}

static void put_ok(fx *f, kz_misp_event *me)
{
    kz_err err = {0};
    kz_uuid owner = "";
    if (!me->orgc.uuid[0] && !me->orgc.name)
        local_org(f, owner);
    kz_misp_put_opts o = {.create_orgs = true, .owner_org = owner[0] ? owner : NULL};
    int rc = kz_store_misp_event_put(f->st, me, &o, NULL, &err);
    if (rc != 0)
        fail_msg("put: %s (field %s)", err.msg, err.field);
}

/* Imports the first event of rel and reads it back. */
static void import_file(fx *f, const char *rel, kz_misp_event *in, kz_misp_event *back)
{
    json_t *j = load_or_skip(rel);
    parse_ok(f, j, in);
    json_decref(j);
    put_ok(f, in);
    kz_err err = {0};
    if (back && kz_store_misp_event_get(f->st, in->ev.id, &f->a, back, &err) != 0)
        fail_msg("get: %s", err.msg);
}

static const kz_indicator *find_ind(const kz_misp_event *me, const char *id, size_t *idx)
{
    for (size_t i = 0; i < me->ev.n_indicators; i++)
        if (strcmp(me->ev.indicators[i].id, id) == 0) {
            if (idx)
                *idx = i;
            return &me->ev.indicators[i];
        }
    fail_msg("no indicator %s", id);
    return NULL;
}

static bool has_warning(const kz_misp_event *me, const char *frag)
{
    for (size_t i = 0; i < me->warnings.n; i++)
        if (strstr(me->warnings.v[i], frag))
            return true;
    return false;
}

/* ---- every file ------------------------------------------------------------ */

static void every_event_imports(void **state)
{
    fx *f = *state;
    size_t seen = 0;
    for (size_t i = 0; i < KZ_ARRAY_LEN(EVENT_FILES); i++) {
        json_t *j = load(EVENT_FILES[i]);
        if (!j)
            continue;
        seen++;
        kz_err err = {0};
        json_t *evs = kz_misp_doc_events(j, &err);
        assert_non_null(evs);
        assert_int_equal(json_array_size(evs), 1);
        kz_misp_event me;
        parse_ok(f, json_array_get(evs, 0), &me);
        put_ok(f, &me);
        kz_misp_event back;
        assert_int_equal(kz_store_misp_event_get(f->st, me.ev.id, &f->a, &back, &err), 0);
        assert_int_equal(back.ev.n_indicators, me.ev.n_indicators);
        assert_int_equal(back.n_objects, me.n_objects);
        json_decref(evs);
        json_decref(j);
    }
    if (!seen)
        skip();
}

/* ---- mapping on real values ------------------------------------------------ */

static void regin_mapping(void **state)
{
    fx *f = *state;
    kz_misp_event in, back;
    import_file(f, "misp/regin_event.json", &in, &back);
    assert_string_equal(back.ev.id, "54884656-2da8-4625-bf07-43ef950d210b");
    assert_string_equal(back.ev.title, "OSINT - F-Secure W32/Regin, Stage #1");
    assert_int_equal(back.ev.n_indicators, 38);
    size_t md5 = 0, fname = 0, regkey = 0, link = 0, text = 0;
    for (size_t i = 0; i < back.ev.n_indicators; i++) {
        const kz_indicator *x = &back.ev.indicators[i];
        const char *mt = back.attrs[i].type;
        md5 += x->type == KZ_IOC_MD5 && strcmp(mt, "md5") == 0;
        fname += x->type == KZ_IOC_FILENAME;
        regkey += x->type == KZ_IOC_REGKEY;
        link += x->type == KZ_IOC_TEXT && strcmp(mt, "link") == 0;
        text += x->type == KZ_IOC_TEXT && strcmp(mt, "text") == 0;
    }
    assert_int_equal(md5, 27);
    assert_int_equal(fname, 6);
    assert_int_equal(regkey, 3);
    assert_int_equal(link, 1);
    assert_int_equal(text, 1);
    size_t k = 0;
    const kz_indicator *x = find_ind(&back, "54884832-f2a8-46ff-be58-1ac6950d210b", &k);
    assert_string_equal(x->value, "abiosdsk.sys");
    assert_false(x->to_ids);
    assert_string_equal(back.attrs[k].category, "Artifacts dropped");
    x = find_ind(&back, "548847d8-01e0-4231-a739-15bb950d210b", &k);
    assert_string_equal(x->value, "744c07e886497f7b68f6f7fe57b7ab54");
    assert_true(x->to_ids);
    assert_string_equal(x->comment, "Regin samples collected.");
    assert_string_equal(back.attrs[k].category, "Payload installation");
    assert_int_equal(x->modified, 1418217432LL * 1000000);
    /* event fields */
    assert_int_equal(back.ev.distribution, KZ_DIST_ALL);
    assert_int_equal(back.ev.threat_level, 1);
    assert_int_equal(back.ev.analysis, 2);
    assert_true(back.ev.published);
    assert_int_equal(back.ev.published_at, 1418217647LL * 1000000);
    assert_int_equal(back.ev.modified, 1418217625LL * 1000000);
    assert_string_equal(back.date, "2014-12-10");
    assert_int_equal(back.ev.tags.n, 1);
    assert_string_equal(back.ev.tags.v[0], "Type:OSINT");
    /* no TLP tag: amber, marked as implied */
    assert_int_equal(back.ev.tlp, KZ_TLP_AMBER);
    assert_true(back.tlp_implied);
    /* the creator org, by its MISP UUID, created with its name */
    assert_string_equal(back.ev.creator_org, "55f6ea5e-2c60-40e5-964f-47a8950d210f");
    kz_org o;
    kz_err err;
    assert_int_equal(kz_store_org_get(f->st, "55f6ea5e-2c60-40e5-964f-47a8950d210f", &f->a, &o,
                                      &err),
                     0);
    assert_string_equal(o.name, "CIRCL");
}

static void japanese_utf8(void **state)
{
    fx *f = *state;
    kz_misp_event in, back;
    import_file(f, "misp/japanese_test.json", &in, &back);
    json_t *j = load_or_skip("misp/japanese_test.json");
    json_t *e = json_object_get(j, "Event");
    assert_string_equal(back.ev.title, json_string_value(json_object_get(e, "info")));
    /* galaxy tags, byte for byte */
    json_t *tags = json_object_get(e, "Tag");
    assert_int_equal(back.ev.tags.n, json_array_size(tags));
    for (size_t i = 0; i < json_array_size(tags); i++)
        assert_true(kz_strlist_has(&back.ev.tags, json_string_value(json_object_get(
                                                      json_array_get(tags, i), "name"))));
    assert_non_null(strstr(back.ev.tags.v[0], "条イ音態ぞゃご法説イシ技"));
    json_t *a = json_array_get(json_object_get(e, "Attribute"), 0);
    const kz_indicator *x = find_ind(&back, json_string_value(json_object_get(a, "uuid")), NULL);
    assert_string_equal(x->value, json_string_value(json_object_get(a, "value")));
    assert_true(strlen(x->value) > 1000);
    /* distribution 1 (community), published false in the file */
    assert_int_equal(back.ev.distribution, KZ_DIST_COMMUNITY);
    json_decref(j);
}

static void sightings_kept(void **state)
{
    fx *f = *state;
    kz_misp_event in, back;
    import_file(f, "misp/sighting_1.json", &in, &back);
    size_t total = 0;
    for (size_t i = 0; i < back.ev.n_indicators; i++)
        total += back.attrs[i].n_sightings;
    assert_int_equal(total, 6);
    size_t k = 0;
    find_ind(&back, "5b6464ca-e73c-4707-9b8a-d0350acd0835", &k);
    const kz_misp_attr *ma = &back.attrs[k];
    assert_true(ma->n_sightings >= 1);
    const kz_misp_sighting *s = NULL;
    for (size_t i = 0; i < ma->n_sightings; i++)
        if (strcmp(ma->sightings[i].s.id, "5c7641bf-a4e8-4d5d-a653-03240a00020f") == 0)
            s = &ma->sightings[i];
    assert_non_null(s);
    assert_int_equal(s->s.time, 1551253950LL * 1000000);
    assert_int_equal(s->s.type, KZ_SIGHTING_SEEN);
    assert_string_equal(s->s.org_id, "5c6983c8-3af8-4304-869c-4800d6c1883c");
    assert_string_equal(s->org.name, "ORGNAME");
    /* the same rows through the store's own sighting API */
    kz_sighting *list;
    size_t n;
    kz_err err;
    assert_int_equal(kz_store_sighting_list(f->st, "5b6464ca-e73c-4707-9b8a-d0350acd0835", &f->a,
                                            &list, &n, &err),
                     0);
    assert_int_equal(n, ma->n_sightings);
    /* Orgc (Synovus Financial) is the creator org */
    assert_string_equal(back.ev.creator_org, "5a68c02d-959c-4c8a-a571-0dcac0a8060a");
    assert_string_equal(back.orgc.name, "Synovus Financial");
    /* galaxy tag kept as a tag */
    assert_true(kz_strlist_has(&back.ev.tags, "misp-galaxy:banker=\"Gozi\""));
    /* importing it again (same timestamp) changes nothing, sightings included */
    kz_misp_event again;
    json_t *j = load_or_skip("misp/sighting_1.json");
    parse_ok(f, j, &again);
    json_decref(j);
    kz_misp_put_opts o = {.create_orgs = true, .replace = true};
    kz_misp_put_result res;
    assert_int_equal(kz_store_misp_event_put(f->st, &again, &o, &res, &err), 0);
    assert_int_equal(res, KZ_MISP_UNCHANGED);
}

static const kz_misp_object *find_obj(const kz_misp_event *me, const char *uuid, long *idx)
{
    for (size_t i = 0; i < me->n_objects; i++)
        if (strcmp(me->objects[i].uuid, uuid) == 0) {
            if (idx)
                *idx = (long)i;
            return &me->objects[i];
        }
    fail_msg("no object %s", uuid);
    return NULL;
}

static void objects_and_relations(void **state)
{
    fx *f = *state;
    kz_misp_event in, back;
    import_file(f, "misp/mainly_objects_1.json", &in, &back);
    assert_int_equal(back.n_objects, 17);
    assert_int_equal(back.ev.n_indicators, 74);
    size_t refs = 0, in_obj = 0;
    for (size_t i = 0; i < back.n_objects; i++)
        refs += back.objects[i].n_refs;
    for (size_t i = 0; i < back.ev.n_indicators; i++)
        in_obj += back.attrs[i].object >= 0 && back.attrs[i].relation != NULL;
    assert_int_equal(refs, 10);
    assert_int_equal(in_obj, 74);
    json_t *j = load_or_skip("misp/mainly_objects_1.json");
    json_t *objs = json_object_get(json_object_get(j, "Event"), "Object");
    size_t oi;
    json_t *oj;
    json_array_foreach(objs, oi, oj) {
        long idx;
        const kz_misp_object *o =
            find_obj(&back, json_string_value(json_object_get(oj, "uuid")), &idx);
        assert_string_equal(o->name, json_string_value(json_object_get(oj, "name")));
        assert_string_equal(o->meta_category,
                            json_string_value(json_object_get(oj, "meta-category")));
        assert_string_equal(o->template_uuid,
                            json_string_value(json_object_get(oj, "template_uuid")));
        json_t *attrs = json_object_get(oj, "Attribute");
        size_t ai;
        json_t *aj;
        json_array_foreach(attrs, ai, aj) {
            size_t k = 0;
            find_ind(&back, json_string_value(json_object_get(aj, "uuid")), &k);
            assert_int_equal(back.attrs[k].object, idx);
            assert_string_equal(back.attrs[k].relation,
                                json_string_value(json_object_get(aj, "object_relation")));
            assert_string_equal(back.attrs[k].type,
                                json_string_value(json_object_get(aj, "type")));
        }
        json_t *rs = json_object_get(oj, "ObjectReference");
        assert_int_equal(o->n_refs, json_array_size(rs));
        for (size_t r = 0; r < o->n_refs; r++) {
            json_t *rj = json_array_get(rs, r);
            assert_string_equal(o->refs[r].referenced_uuid,
                                json_string_value(json_object_get(rj, "referenced_uuid")));
            assert_string_equal(o->refs[r].relationship_type,
                                json_string_value(json_object_get(rj, "relationship_type")));
        }
    }
    json_decref(j);
}

static void bare_objects_event(void **state)
{
    fx *f = *state;
    kz_misp_event in, back;
    import_file(f, "misp/event_obj_attr_tag.json", &in, &back);
    /* no wrapper, no uuid, no info, no Orgc: given an id and a title, with
     * notes, and owned by the importing org */
    assert_true(has_warning(&in, "no uuid"));
    assert_true(has_warning(&in, "no info"));
    assert_int_equal(back.n_objects, 2);
    long a, b;
    const kz_misp_object *oa = find_obj(&back, "a", &a);
    find_obj(&back, "b", &b);
    assert_int_equal(oa->n_refs, 1);
    assert_string_equal(oa->refs[0].referenced_uuid, "b");
    assert_string_equal(oa->refs[0].relationship_type, "baz");
    assert_string_equal(oa->refs[0].comment, "foo");
    assert_int_equal(back.ev.n_indicators, 2);
    for (size_t i = 0; i < 2; i++) {
        const kz_indicator *x = &back.ev.indicators[i];
        if (x->type == KZ_IOC_FILENAME) {
            assert_string_equal(x->value, "bar");
            assert_int_equal(back.attrs[i].object, a);
            assert_true(back.attrs[i].disable_correlation);
            assert_int_equal(x->tags.n, 1);
            assert_string_equal(x->tags.v[0], "blah");
        } else {
            assert_int_equal(x->type, KZ_IOC_URL);
            assert_string_equal(x->value, "https://www.circl.lu/");
            /* MISP wrote it without the slash: kept for the export */
            assert_string_equal(back.attrs[i].value, "https://www.circl.lu");
            assert_int_equal(back.attrs[i].object, b);
        }
    }
}

static void long_values_and_lenient_urls(void **state)
{
    fx *f = *state;
    kz_misp_event in, back;
    import_file(f, "misp/very_long_event.json", &in, &back);
    size_t n_big = 0, n_data = 0;
    for (size_t i = 0; i < back.ev.n_indicators; i++) {
        if (strlen(back.ev.indicators[i].value) == 9170) {
            n_big++;
            assert_int_equal(back.ev.indicators[i].type, KZ_IOC_TEXT);
            assert_string_equal(back.attrs[i].type, "text");
        }
        if (back.attrs[i].data) {
            n_data++;
            assert_string_equal(back.attrs[i].type, "attachment");
        }
        if (strcmp(back.attrs[i].type, "ip-dst|port") == 0) {
            assert_int_equal(back.ev.indicators[i].type, KZ_IOC_IP_PORT);
            const char *v = back.ev.indicators[i].value;
            assert_true(strcmp(v, "174.127.99.225:1999") == 0 ||
                        strcmp(v, "174.127.99.225:4987") == 0);
            kz_buf b;
            kz_buf_init(&b);
            assert_int_equal(kz_misp_value_out(&back.ev.indicators[i], &back.attrs[i], &b), 0);
            assert_true(strcmp(b.p, "174.127.99.225|1999") == 0 ||
                        strcmp(b.p, "174.127.99.225|4987") == 0);
            /* the value MISP wrote is exactly what the export writes: not kept twice */
            assert_null(back.attrs[i].value);
            kz_buf_free(&b);
        }
    }
    assert_int_equal(n_big, 1);
    assert_int_equal(n_data, 2);

    kz_misp_event l;
    import_file(f, "misp/long_event.json", &l, NULL);
    assert_int_equal(l.ev.n_indicators, 370);
    bool dtl = false, partial_ip = false;
    for (size_t i = 0; i < l.ev.n_indicators; i++) {
        if (strcmp(l.ev.indicators[i].value, "Data/dtl.dat") == 0) {
            dtl = true;
            assert_int_equal(l.ev.indicators[i].type, KZ_IOC_TEXT);
            assert_string_equal(l.attrs[i].type, "url");
        }
        if (strcmp(l.ev.indicators[i].value, "107.183.86") == 0) {
            partial_ip = true;
            assert_int_equal(l.ev.indicators[i].type, KZ_IOC_TEXT);
            assert_string_equal(l.attrs[i].type, "url");
        }
    }
    assert_true(dtl && partial_ip);
    assert_true(has_warning(&l, "'url' value 'Data/dtl.dat' kept as typed text"));
    assert_true(has_warning(&l, "'url' value '107.183.86' kept as typed text"));
}

static void sharing_groups_file(void **state)
{
    fx *f = *state;
    json_t *j = load_or_skip("misp/sharing_groups.json");
    kz_misp_sharing_group *g;
    size_t n;
    kz_err err = {0};
    assert_int_equal(kz_misp_sharing_groups_parse(j, &f->a, &g, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(g[0].name, "PrivateTrustedGroup");
    assert_string_equal(g[0].owner.uuid, "55f6ea5e-2c60-40e5-964f-47a8950d210f");
    assert_int_equal(g[0].n_members, 2);
    assert_string_equal(g[0].members[1].uuid, "56bf12a7-c19c-4b98-83e7-d9bb02de0b81");
    assert_string_equal(g[0].members[1].name, "PifPafPoum");
    kz_uuid id1, id2, again;
    assert_int_equal(kz_store_misp_sharing_group_resolve(f->st, &g[0], true, id1, &err), 0);
    assert_int_equal(kz_store_misp_sharing_group_resolve(f->st, &g[1], true, id2, &err), 0);
    assert_string_not_equal(id1, id2);
    /* the same file again finds the same groups */
    assert_int_equal(kz_store_misp_sharing_group_resolve(f->st, &g[0], true, again, &err), 0);
    assert_string_equal(again, id1);
    kz_sharing_group sg;
    assert_int_equal(kz_store_sharing_group_get(f->st, id1, &f->a, &sg, &err), 0);
    assert_string_equal(sg.name, "PrivateTrustedGroup");
    assert_string_equal(sg.owner_org, "55f6ea5e-2c60-40e5-964f-47a8950d210f");
    assert_int_equal(sg.member_orgs.n, 2);
    assert_true(kz_strlist_has(&sg.member_orgs, "56bf12a7-c19c-4b98-83e7-d9bb02de0b81"));
    /* without create, an unknown group is an error */
    kz_misp_sharing_group other = g[0];
    other.name = "NotHere";
    assert_int_equal(kz_store_misp_sharing_group_resolve(f->st, &other, false, again, &err),
                     KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "'NotHere'"));
    json_decref(j);
}

static void event_in_sharing_group(void **state)
{
    fx *f = *state;
    const char *doc =
        "{\"Event\":{\"uuid\":\"11111111-2222-4333-8444-555555555555\",\"info\":\"sg\","
        "\"distribution\":\"4\",\"timestamp\":\"1600000000\","
        "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"
        "\"SharingGroup\":{\"uuid\":\"22222222-2222-4333-8444-555555555555\",\"name\":\"grp\","
        "\"Organisation\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"
        "\"SharingGroupOrg\":[{\"Organisation\":{\"uuid\":\"56bf12a7-c19c-4b98-83e7-d9bb02de0b81\","
        "\"name\":\"PifPafPoum\"}}]},"
        "\"Attribute\":[{\"type\":\"ip-dst\",\"value\":\"10.1.2.3\",\"distribution\":\"5\"}]}}";
    json_error_t je;
    json_t *j = json_loads(doc, 0, &je);
    kz_misp_event me, back;
    parse_ok(f, j, &me);
    json_decref(j);
    put_ok(f, &me);
    kz_err err;
    assert_int_equal(kz_store_misp_event_get(f->st, me.ev.id, &f->a, &back, &err), 0);
    assert_int_equal(back.ev.distribution, KZ_DIST_SHARING_GROUP);
    assert_string_equal(back.ev.sharing_group_id, "22222222-2222-4333-8444-555555555555");
    assert_non_null(back.sg);
    assert_string_equal(back.sg->name, "grp");
    assert_int_equal(back.sg->n_members, 1);
    assert_string_equal(back.sg->members[0].name, "PifPafPoum");

    /* distribution 4 without a group naming it: kept to the owner org */
    const char *lone = "{\"uuid\":\"33333333-2222-4333-8444-555555555555\",\"info\":\"x\","
                       "\"distribution\":4,\"sharing_group_id\":\"7\","
                       "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\"}}";
    j = json_loads(lone, 0, &je);
    parse_ok(f, j, &me);
    json_decref(j);
    assert_int_equal(me.ev.distribution, KZ_DIST_ORG);
    assert_true(has_warning(&me, "without a SharingGroup"));
}

/* ---- bad input --------------------------------------------------------------- */

static int parse_str(fx *f, const char *doc, kz_misp_event *me, kz_err *err)
{
    json_t *j = NULL;
    int rc = kz_json_load(doc, strlen(doc), &j, err);
    if (rc)
        return rc;
    rc = kz_misp_event_parse(j, NULL, &f->a, me, err);
    json_decref(j);
    return rc;
}

#define EV_HEAD                                                                                    \
    "{\"Event\":{\"uuid\":\"44444444-2222-4333-8444-555555555555\",\"info\":\"bad\","             \
    "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"

static void bad_inputs(void **state)
{
    fx *f = *state;
    kz_misp_event me;
    kz_err err;
    /* malformed JSON */
    assert_int_equal(parse_str(f, "{\"Event\": {\"info\": \"x\",}", &me, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "line 1"));
    /* wrong JSON types */
    assert_int_equal(parse_str(f, "[1,2]", &me, &err), KZ_E_INVALID);
    assert_int_equal(parse_str(f, "{\"Event\":[]}", &me, &err), KZ_E_INVALID);
    assert_string_equal(err.field, "Event");
    assert_int_equal(parse_str(f, EV_HEAD "\"Attribute\":{}}}", &me, &err), KZ_E_INVALID);
    assert_string_equal(err.field, "Attribute");
    assert_int_equal(parse_str(f, EV_HEAD "\"Attribute\":[{\"type\":\"md5\",\"value\":[]}]}}",
                               &me, &err),
                     KZ_E_INVALID);
    assert_string_equal(err.field, "Attribute[0]");
    assert_non_null(strstr(err.msg, "needs a \"value\" string"));
    assert_int_equal(parse_str(f, EV_HEAD "\"published\":\"maybe\"}}", &me, &err),
                     KZ_E_INVALID);
    assert_string_equal(err.field, "published");
    /* unknown distribution */
    assert_int_equal(parse_str(f, EV_HEAD "\"distribution\":\"7\"}}", &me, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "distribution");
    assert_int_equal(parse_str(f, EV_HEAD "\"distribution\":5}}", &me, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "5 (inherit) applies to attributes"));
    assert_int_equal(parse_str(f,
                               EV_HEAD "\"Attribute\":[{\"type\":\"md5\",\"value\":\"" 
                                       "744c07e886497f7b68f6f7fe57b7ab54\",\"distribution\":9}]}}",
                               &me, &err),
                     KZ_E_VALUE);
    assert_string_equal(err.field, "Attribute[0]");
    assert_non_null(strstr(err.msg, "distribution must be 0 to 5"));
    /* unknown type and category */
    assert_int_equal(parse_str(f,
                               EV_HEAD "\"Attribute\":[{\"type\":\"md5\",\"value\":"
                                       "\"744c07e886497f7b68f6f7fe57b7ab54\"},"
                                       "{\"type\":\"ip-dest\",\"value\":\"1.2.3.4\"}]}}",
                               &me, &err),
                     KZ_E_VALUE);
    assert_string_equal(err.field, "Attribute[1]");
    assert_non_null(strstr(err.msg, "'ip-dest' is not a MISP attribute type"));
    assert_int_equal(parse_str(f,
                               EV_HEAD "\"Attribute\":[{\"type\":\"md5\",\"category\":\"Stuff\","
                                       "\"value\":\"744c07e886497f7b68f6f7fe57b7ab54\"}]}}",
                               &me, &err),
                     KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "'Stuff' is not a MISP category"));
    /* a bad value in a strict type names the attribute, its uuid and the value */
    assert_int_equal(
        parse_str(f,
                  EV_HEAD "\"Attribute\":[{\"type\":\"ip-dst\",\"value\":\"300.1.2.3\","
                          "\"uuid\":\"54884832-f2a8-46ff-be58-1ac6950d210b\"}]}}",
                  &me, &err),
        KZ_E_VALUE);
    assert_string_equal(err.field, "Attribute[0]");
    assert_non_null(strstr(err.msg, "Attribute[0] (54884832-f2a8-46ff-be58-1ac6950d210b)"));
    assert_non_null(strstr(err.msg, "'ip-dst' value '300.1.2.3' is not an IPv4 address"));
    assert_int_equal(parse_str(f,
                               EV_HEAD "\"Object\":[{\"name\":\"file\",\"Attribute\":[{\"type\":"
                                       "\"sha256\",\"value\":\"abc\"}]}]}}",
                               &me, &err),
                     KZ_E_VALUE);
    assert_string_equal(err.field, "Object[0].Attribute[0]");
    assert_non_null(strstr(err.msg, "'sha256' value 'abc' is not a SHA-256 hash"));
    /* bad UUIDs */
    assert_int_equal(parse_str(f, "{\"uuid\":\"not-a-uuid\",\"info\":\"x\"}", &me, &err),
                     KZ_E_VALUE);
    assert_string_equal(err.field, "uuid");
    /* an object without a name, a reference without its target */
    assert_int_equal(parse_str(f, EV_HEAD "\"Object\":[{\"uuid\":\"x\"}]}}", &me, &err),
                     KZ_E_INVALID);
    assert_string_equal(err.field, "Object[0]");
    assert_int_equal(parse_str(f,
                               EV_HEAD "\"Object\":[{\"name\":\"file\",\"ObjectReference\":"
                                       "[{\"relationship_type\":\"x\"}]}]}}",
                               &me, &err),
                     KZ_E_INVALID);
    assert_string_equal(err.field, "Object[0].ObjectReference[0]");
    /* a document with no event */
    json_t *j = json_loads("{\"foo\":1}", 0, NULL);
    assert_null(kz_misp_doc_events(j, &err));
    assert_non_null(strstr(err.msg, "no MISP event"));
    json_decref(j);
}

/* All or nothing in the store: an event whose last attribute collides with
 * one already stored leaves neither the event nor the orgs it created. */
static void nothing_stored_on_failure(void **state)
{
    fx *f = *state;
    kz_misp_event first, second;
    kz_err err;
    assert_int_equal(
        parse_str(f,
                  "{\"uuid\":\"55555555-2222-4333-8444-555555555555\",\"info\":\"one\","
                  "\"Orgc\":{\"uuid\":\"66666666-2222-4333-8444-555555555555\",\"name\":\"A\"},"
                  "\"Attribute\":[{\"type\":\"domain\",\"value\":\"evil.example\","
                  "\"uuid\":\"77777777-2222-4333-8444-555555555555\"}]}",
                  &first, &err),
        0);
    put_ok(f, &first);
    assert_int_equal(
        parse_str(f,
                  "{\"uuid\":\"88888888-2222-4333-8444-555555555555\",\"info\":\"two\","
                  "\"Orgc\":{\"uuid\":\"99999999-2222-4333-8444-555555555555\",\"name\":\"B\"},"
                  "\"Attribute\":[{\"type\":\"domain\",\"value\":\"other.example\"},"
                  "{\"type\":\"domain\",\"value\":\"x.example\","
                  "\"uuid\":\"77777777-2222-4333-8444-555555555555\"}]}",
                  &second, &err),
        0);
    kz_misp_put_opts o = {.create_orgs = true};
    assert_int_equal(kz_store_misp_event_put(f->st, &second, &o, NULL, &err), KZ_E_CONFLICT);
    assert_string_equal(err.field, "Attribute[1]");
    assert_non_null(strstr(err.msg, "77777777-2222-4333-8444-555555555555"));
    kz_event ev;
    assert_int_equal(kz_store_event_get(f->st, "88888888-2222-4333-8444-555555555555", false,
                                        &f->a, &ev, &err),
                     KZ_E_NOTFOUND);
    kz_org org;
    assert_int_equal(kz_store_org_get(f->st, "99999999-2222-4333-8444-555555555555", &f->a, &org,
                                      &err),
                     KZ_E_NOTFOUND);
    /* an unknown org is refused when orgs may not be created */
    kz_misp_put_opts strict = {.create_orgs = false};
    assert_int_equal(kz_store_misp_event_put(f->st, &second, &strict, NULL, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "is not on this node"));
    /* the same id again without replace is a conflict */
    assert_int_equal(kz_store_misp_event_put(f->st, &first, &o, NULL, &err), KZ_E_CONFLICT);
}

/* A newer copy replaces: kept attributes keep their ids (and sightings),
 * gone ones leave a tombstone, new ones are added. */
static void newer_copy_replaces(void **state)
{
    fx *f = *state;
    kz_misp_event in;
    import_file(f, "misp/sighting_1.json", &in, NULL);
    json_t *j = load_or_skip("misp/sighting_1.json");
    json_t *e = json_object_get(j, "Event");
    json_object_set_new(e, "timestamp", json_string("1600000000"));
    json_t *attrs = json_object_get(e, "Attribute");
    json_t *gone = json_array_get(attrs, 1);
    char gone_id[64];
    snprintf(gone_id, sizeof gone_id, "%s", json_string_value(json_object_get(gone, "uuid")));
    json_array_remove(attrs, 1);
    json_t *first = json_array_get(attrs, 0);
    json_object_set_new(first, "comment", json_string("changed"));
    json_array_append_new(attrs, json_pack("{s:s,s:s,s:s}", "type", "ip-src", "value",
                                           "192.0.2.7", "uuid",
                                           "aaaaaaaa-2222-4333-8444-555555555555"));
    kz_misp_event me;
    parse_ok(f, j, &me);
    kz_misp_put_opts o = {.create_orgs = true, .replace = true};
    kz_misp_put_result res;
    kz_err err;
    assert_int_equal(kz_store_misp_event_put(f->st, &me, &o, &res, &err), 0);
    assert_int_equal(res, KZ_MISP_REPLACED);
    kz_misp_event back;
    assert_int_equal(kz_store_misp_event_get(f->st, me.ev.id, &f->a, &back, &err), 0);
    assert_int_equal(back.ev.n_indicators, 5);
    size_t k = 0;
    const kz_indicator *x =
        find_ind(&back, json_string_value(json_object_get(first, "uuid")), &k);
    assert_string_equal(x->comment, "changed");
    assert_int_equal(back.attrs[k].n_sightings, in.attrs[0].n_sightings);
    x = find_ind(&back, "aaaaaaaa-2222-4333-8444-555555555555", &k);
    assert_string_equal(x->value, "192.0.2.7");
    assert_string_equal(back.attrs[k].type, "ip-src");
    kz_indicator gi;
    assert_int_equal(kz_store_indicator_get(f->st, gone_id, &f->a, &gi, &err), KZ_E_NOTFOUND);
    kz_tombstone *ts;
    size_t nts;
    assert_int_equal(kz_store_tombstones(f->st, 0, 0, &f->a, &ts, &nts, &err), 0);
    bool found = false;
    for (size_t i = 0; i < nts; i++)
        found |= strcmp(ts[i].id, gone_id) == 0 && strcmp(ts[i].type, "indicator") == 0;
    assert_true(found);
    /* an older copy is left alone */
    json_object_set_new(e, "timestamp", json_string("1500000000"));
    parse_ok(f, j, &me);
    assert_int_equal(kz_store_misp_event_put(f->st, &me, &o, &res, &err), 0);
    assert_int_equal(res, KZ_MISP_UNCHANGED);
    json_decref(j);
}

/* Markings: an attribute may be stricter than its event, never looser. */
static void attribute_markings(void **state)
{
    fx *f = *state;
    kz_misp_event me;
    kz_err err;
    assert_int_equal(
        parse_str(f,
                  EV_HEAD "\"distribution\":\"1\",\"Tag\":[{\"name\":\"tlp:green\"},"
                          "{\"name\":\"PAP:RED\"}],\"Attribute\":["
                          "{\"type\":\"domain\",\"value\":\"a.example\",\"Tag\":[{\"name\":"
                          "\"tlp:red\"}],\"distribution\":\"0\"},"
                          "{\"type\":\"domain\",\"value\":\"b.example\",\"Tag\":[{\"name\":"
                          "\"tlp:white\"}],\"distribution\":\"3\"}]}}",
                  &me, &err),
        0);
    assert_int_equal(me.ev.tlp, KZ_TLP_GREEN);
    assert_string_equal(me.tlp_tag, "tlp:green");
    assert_int_equal(me.ev.pap, KZ_PAP_RED);
    assert_int_equal(me.ev.indicators[0].tlp, KZ_TLP_RED);
    assert_int_equal(me.ev.indicators[0].distribution, KZ_DIST_ORG);
    assert_int_equal(me.ev.indicators[1].tlp, -1);
    assert_int_equal(me.ev.indicators[1].distribution, -1);
    assert_true(has_warning(&me, "tlp:white is looser than the event's tlp:green"));
    assert_true(has_warning(&me, "distribution 3 is wider than the event's"));
}

/* ---- the attachment fast path (misp_load.c) ------------------------------------- */

static char *slurp(const char *rel, size_t *n)
{
    char path[1024];
    if (!kz_test_data_path(rel, path, sizeof path))
        skip();
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, fp), (size_t)len);
    b[len] = 0;
    fclose(fp);
    *n = (size_t)len;
    return b;
}

/* Parses text through kz_misp_load (spans) and through kz_json_load, and
 * checks that both give the same event; returns the number of spans. */
static size_t load_both_ways(fx *f, const char *text, size_t n, kz_misp_event *fast)
{
    kz_err err = {0};
    json_t *j;
    kz_misp_spans sp;
    if (kz_misp_load(text, n, &j, &sp, &err) != 0)
        fail_msg("kz_misp_load: %s", err.msg);
    kz_misp_import_opts o = {.default_tlp = -1, .default_distribution = -1, .spans = &sp};
    int rc = kz_misp_event_parse(j, &o, &f->a, fast, &err);
    json_decref(j);
    size_t spans = sp.n;
    kz_misp_spans_free(&sp);
    assert_int_equal(sp.n, 0);
    if (rc)
        fail_msg("parse: %s", err.msg);
    kz_misp_event slow;
    assert_int_equal(kz_json_load(text, n, &j, &err), 0);
    assert_int_equal(kz_misp_event_parse(j, NULL, &f->a, &slow, &err), 0);
    json_decref(j);
    assert_int_equal(fast->ev.n_indicators, slow.ev.n_indicators);
    for (size_t i = 0; i < slow.ev.n_indicators; i++) {
        assert_string_equal(fast->ev.indicators[i].id, slow.ev.indicators[i].id);
        assert_string_equal(fast->ev.indicators[i].value, slow.ev.indicators[i].value);
        assert_int_equal(fast->attrs[i].data == NULL, slow.attrs[i].data == NULL);
        if (slow.attrs[i].data)
            assert_string_equal(fast->attrs[i].data, slow.attrs[i].data);
    }
    return spans;
}

static void attachments_fast_path(void **state)
{
    fx *f = *state;
    size_t n;
    char *text = slurp("misp/very_long_event.json", &n);
    kz_misp_event me;
    /* both attachments (330 KB of base64) are read from the text itself */
    assert_int_equal(load_both_ways(f, text, n, &me), 2);
    size_t with_data = 0, big = 0;
    for (size_t i = 0; i < me.ev.n_indicators; i++) {
        with_data += me.attrs[i].data != NULL;
        big += me.attrs[i].data && strlen(me.attrs[i].data) > 100000;
    }
    assert_int_equal(with_data, 2);
    assert_int_equal(big, 2);
    /* and stored as the slow path would: it reads back the same */
    put_ok(f, &me);
    kz_misp_event back;
    kz_err err = {0};
    assert_int_equal(kz_store_misp_event_get(f->st, me.ev.id, &f->a, &back, &err), 0);
    size_t same = 0;
    for (size_t i = 0; i < back.ev.n_indicators; i++) {
        size_t k = 0;
        const kz_indicator *x = find_ind(&me, back.ev.indicators[i].id, &k);
        assert_non_null(x);
        if (back.attrs[i].data) {
            assert_non_null(me.attrs[k].data);
            assert_string_equal(back.attrs[i].data, me.attrs[k].data);
            same++;
        }
    }
    assert_int_equal(same, 2);
    free(text);
}

/* A document built around one big "data" string written as given. */
static char *doc_with_data(const char *data_prefix, size_t filler, const char *tail)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, EV_HEAD "\"Attribute\":[{\"type\":\"attachment\",\"value\":\"a.png\","
                            "\"uuid\":\"66666666-2222-4333-8444-555555555555\",\"data\":\"");
    kz_buf_puts(&b, data_prefix);
    for (size_t i = 0; i < filler; i++)
        kz_buf_putc(&b, "QUJD"[i % 4]);
    kz_buf_puts(&b, tail);
    return kz_buf_steal(&b);
}

static void attachments_fast_path_edges(void **state)
{
    fx *f = *state;
    kz_misp_event me;
    /* plain: taken from the text */
    char *d = doc_with_data("", 8192, "\"}]}}");
    assert_int_equal(load_both_ways(f, d, strlen(d), &me), 1);
    assert_int_equal(strlen(me.attrs[0].data), 8192);
    free(d);
    /* an escape inside: jansson reads it (and unescapes "\/") */
    d = doc_with_data("ab\\/cd", 8192, "\"}]}}");
    assert_int_equal(load_both_ways(f, d, strlen(d), &me), 0);
    assert_memory_equal(me.attrs[0].data, "ab/cd", 5);
    free(d);
    /* short strings are left to jansson */
    d = doc_with_data("", 100, "\"}]}}");
    assert_int_equal(load_both_ways(f, d, strlen(d), &me), 0);
    free(d);
    /* a document holding the marker's escape anywhere is never rewritten:
     * its own "\u0001kz:0" stays a string */
    d = doc_with_data("", 8192, "\",\"comment\":\"\\u0001kz:0\"}]}}");
    assert_int_equal(load_both_ways(f, d, strlen(d), &me), 0);
    assert_string_equal(me.ev.indicators[0].comment, "\001kz:0");
    free(d);
    /* broken JSON after a big string: the error is kz_json_load's, with the
     * line and column of the document as sent */
    d = doc_with_data("", 8192, "\"}]}x");
    kz_err e1 = {0}, e2 = {0};
    json_t *j = NULL;
    kz_misp_spans sp;
    assert_int_equal(kz_misp_load(d, strlen(d), &j, &sp, &e1), KZ_E_INVALID);
    assert_null(j);
    assert_int_equal(sp.n, 0);
    assert_int_equal(kz_json_load(d, strlen(d), &j, &e2), KZ_E_INVALID);
    assert_string_equal(e1.msg, e2.msg);
    assert_non_null(strstr(e1.msg, "malformed JSON at line 1"));
    free(d);
    /* an unterminated big string: the same */
    d = doc_with_data("", 8192, "");
    assert_int_equal(kz_misp_load(d, strlen(d), &j, &sp, &e1), KZ_E_INVALID);
    assert_int_equal(kz_json_load(d, strlen(d), &j, &e2), KZ_E_INVALID);
    assert_string_equal(e1.msg, e2.msg);
    free(d);
    /* a span marker given where there are no spans is not one */
    kz_misp_spans none = {0};
    const char *p;
    size_t pn;
    assert_int_equal(kz_misp_span_value(&none, "\001kz:0", &p, &pn), -1);
}

/* A date before 1970 stays the event's date, but is not taken for its time:
 * the export's timestamp must import again (fuzz regression
 * event-date-before-1970-export-not-reimportable). */
static void date_before_1970(void **state)
{
    fx *f = *state;
    const char *doc = "{\"Event\":{\"info\":\"x\",\"date\":\"1969-12-31\"}}";
    json_t *j = NULL;
    kz_err err = {0};
    assert_int_equal(kz_json_load(doc, strlen(doc), &j, &err), 0);
    kz_misp_event me;
    assert_int_equal(kz_misp_event_parse(j, NULL, &f->a, &me, &err), 0);
    json_decref(j);
    assert_string_equal(me.date, "1969-12-31");
    assert_true(me.ev.modified > 0);
    assert_true(me.ev.created > 0);
    snprintf(me.ev.creator_org, sizeof me.ev.creator_org, "8a0e1c3e-5b7d-4d2a-9c1f-000000000001");
    kz_misp_json_opts o = {.feed = false};
    json_t *out = kz_misp_event_json(&me, &o);
    assert_non_null(out);
    kz_misp_event back;
    if (kz_misp_event_parse(out, NULL, &f->a, &back, &err) != 0)
        fail_msg("export does not import again: %s", err.msg);
    assert_string_equal(back.date, "1969-12-31");
    json_decref(out);
}

/* ---- the quick reader (misp_json.c) ---------------------------------------------- */

/* kz_misp_json_load and kz_json_load on text: both refuse it with the same
 * code and message, or both give the same tree. Returns whether it loaded. */
static bool same_as_jansson(const char *text)
{
    json_t *a = NULL, *b = NULL;
    kz_err ea = {0}, eb = {0};
    int ra = kz_misp_json_load(text, strlen(text), &a, &ea);
    int rb = kz_json_load(text, strlen(text), &b, &eb);
    if (ra != rb)
        fail_msg("%s: quick %d (%s), jansson %d (%s)", text, ra, ea.msg, rb, eb.msg);
    if (rb != 0) {
        assert_null(a);
        assert_string_equal(ea.msg, eb.msg);
        return false;
    }
    if (!json_equal(a, b))
        fail_msg("%s: different trees", text);
    /* and the same key order, which export and the store keep */
    char *da = json_dumps(a, JSON_COMPACT), *db = json_dumps(b, JSON_COMPACT);
    assert_string_equal(da, db);
    free(da);
    free(db);
    json_decref(a);
    json_decref(b);
    return true;
}

static void quick_reader_numbers(void **state)
{
    (void)state;
    static const char *const good[] = {"0", "-0", "7", "-12", "1.5", "-0.25", "1e5", "1E+5",
                                       "2.5e-3", "9223372036854775807", "[1,-2,3e0]", "true",
                                       "[true,false,null]"};
    static const char *const bad[] = {"+1", "01", "-01", ".5", "1.", "1e", "1e+", "-", "1.e5",
                                      "00", "0x1F", "--1", "1-2", "1ee2", "e5", "+",
                                      "99999999999999999999", "1e400", "tru", "nul", "True"};
    char doc[128];
    for (size_t i = 0; i < KZ_ARRAY_LEN(good); i++) {
        snprintf(doc, sizeof doc, "{\"a\":%s,\"b\":\"1e+\"}", good[i]);
        assert_true(same_as_jansson(doc));
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        snprintf(doc, sizeof doc, "{\"a\":%s}", bad[i]);
        assert_false(same_as_jansson(doc));
        /* and where the attachment pass checks them */
        char *d = doc_with_data("", 8192, "\"}],\"x\":");
        kz_buf b;
        kz_buf_init(&b);
        kz_buf_puts(&b, d);
        kz_buf_puts(&b, bad[i]);
        kz_buf_puts(&b, "}}");
        json_t *j = NULL;
        kz_misp_spans sp;
        kz_err e1 = {0}, e2 = {0};
        assert_int_equal(kz_misp_load(b.p, b.len, &j, &sp, &e1), KZ_E_INVALID);
        assert_null(j);
        assert_int_equal(kz_json_load(b.p, b.len, &j, &e2), KZ_E_INVALID);
        assert_string_equal(e1.msg, e2.msg);
        kz_buf_free(&b);
        free(d);
    }
    /* the grammar itself */
    assert_true(kz_misp_json_number("-0.5e-3", 7));
    assert_false(kz_misp_json_number("0.5e", 4));
    assert_false(kz_misp_json_numbers_plain("{\"a\":[1,+2]}", 12));
    assert_true(kz_misp_json_numbers_plain("{\"+2\":[1,\"01\",true]}", 21));
}

static void quick_reader_refusals(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"a\":1,\"a\":2}",              /* duplicate key */
        "{\"a\":\"x\\u0000y\"}",           /* NUL */
        "{\"a\":\"\\ud800\"}",             /* lone surrogate */
        "{\"a\":\"\\q\"}",                 /* bad escape */
        "{\"a\":\"x\ty\"}",                /* raw control character */
        "{\"a\":[1,]}",                    /* trailing comma */
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":1} x",
        "{\"a\":\"\xc3\x28\"}",            /* invalid UTF-8 */
        "{\"a\":1",
        "{\"a\":\"unterminated}",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(docs); i++)
        assert_false(same_as_jansson(docs[i]));
    /* nesting: 64 levels load, 65 do not, the same way */
    kz_buf b;
    kz_buf_init(&b);
    for (int depth = 64; depth <= 65; depth++) {
        kz_buf_reset(&b);
        kz_buf_puts(&b, "{\"a\":");
        for (int k = 1; k < depth; k++)
            kz_buf_putc(&b, '[');
        for (int k = 1; k < depth; k++)
            kz_buf_putc(&b, ']');
        kz_buf_putc(&b, '}');
        assert_int_equal(same_as_jansson(b.p), depth == 64);
    }
    kz_buf_free(&b);
    /* escapes and UTF-8 that are fine */
    assert_true(same_as_jansson("{\"a\":\"\\u00e9\\n\\\"q\\\"\\\\ \\ud83d\\ude00 \xe6\x97\xa5\",\"b\":{}}"));
}

/* Every real event reads to the same tree through the quick reader, and
 * the quick reader is what reads them (their numbers are plain). */
static void quick_reader_real_events(void **state)
{
    (void)state;
    for (size_t i = 0; i < KZ_ARRAY_LEN(EVENT_FILES); i++) {
        size_t n;
        char *text = slurp(EVENT_FILES[i], &n);
        assert_true(kz_misp_json_numbers_plain(text, n));
        json_t *quick = kz__stix_json_read(text, n);
        assert_non_null(quick);
        json_decref(quick);
        assert_true(same_as_jansson(text));
        free(text);
    }
}

/* ---- documents through kz_misp_text_import (misp_import_text.c) -------------------- */

typedef struct sink_log {
    kz_store *st;
    size_t calls, last_i, last_n;
    int fail_at; /* put fails for this event (-1: never) */
} sink_log;

static int log_put(void *ctx, kz_misp_event *me, size_t i, size_t n, kz_err *err)
{
    sink_log *l = ctx;
    l->calls++;
    l->last_i = i;
    l->last_n = n;
    if ((int)i == l->fail_at)
        return kz_fail(err, KZ_E_CONFLICT, "uuid", "refused by the sink");
    kz_misp_put_opts o = {.create_orgs = true};
    return kz_store_misp_event_put(l->st, me, &o, NULL, err);
}

#define TWO_EVENTS(tag, second_md5)                                                              \
    "{\"response\":[{\"Event\":{\"uuid\":\"7a00000" tag "-0000-4000-8000-000000000001\","         \
    "\"info\":\"one\",\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\","              \
    "\"name\":\"CIRCL\"},\"Attribute\":[{\"type\":\"domain\",\"value\":\"one.example\"}]}},"     \
    "{\"uuid\":\"7a00000" tag "-0000-4000-8000-000000000002\",\"info\":\"two\","                  \
    "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"           \
    "\"Attribute\":[{\"type\":\"md5\",\"value\":\"" second_md5 "\"}]}]}"

static void text_import_documents(void **state)
{
    fx *f = *state;
    kz_misp_event me;
    kz_err err = {0};
    /* two events: each handed over in turn, the last one left in me */
    sink_log l = {f->st, 0, 0, 0, -1};
    kz_misp_sink sink = {.put = log_put, .ctx = &l};
    const char *ok = TWO_EVENTS("0", "0123456789abcdef0123456789abcdef");
    assert_int_equal(kz_misp_text_import(ok, strlen(ok), NULL, &sink, &f->a, &me, &err), 0);
    assert_int_equal(l.calls, 2);
    assert_int_equal(sink.n, 2);
    assert_int_equal(l.last_i, 1);
    assert_string_equal(me.ev.id, "7a000000-0000-4000-8000-000000000002");
    assert_string_equal(me.ev.indicators[0].value, "0123456789abcdef0123456789abcdef");
    /* a bad second event: at names it, the sink never sees it */
    const char *bad = TWO_EVENTS("1", "xyz");
    l = (sink_log){f->st, 0, 0, 0, -1};
    assert_true(kz_misp_text_import(bad, strlen(bad), NULL, &sink, &f->a, &me, &err) < 0);
    assert_non_null(strstr(err.msg, "'xyz'"));
    assert_int_equal(l.calls, 1);
    assert_int_equal(sink.at, 1);
    assert_string_equal(err.field, "Attribute[0]");
    /* the sink's own failure stops the document there */
    l = (sink_log){f->st, 0, 0, 0, 0};
    assert_int_equal(kz_misp_text_import(ok, strlen(ok), NULL, &sink, &f->a, &me, &err),
                     KZ_E_CONFLICT);
    assert_int_equal(l.calls, 1);
    assert_int_equal(sink.at, 0);
    /* no event at all */
    l = (sink_log){f->st, 0, 0, 0, -1};
    assert_int_equal(kz_misp_text_import("[1]", 3, NULL, &sink, &f->a, &me, &err), KZ_E_INVALID);
    assert_int_equal(l.calls, 0);
    assert_int_equal(kz_misp_text_import("{\"Event\":", 9, NULL, &sink, &f->a, &me, &err),
                     KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "malformed JSON"));
    /* a sharing group list: refused, or handed back when asked for */
    size_t n;
    char *sg = slurp("misp/sharing_groups.json", &n);
    assert_int_equal(kz_misp_text_import(sg, n, NULL, &sink, &f->a, &me, &err), KZ_E_INVALID);
    assert_null(sink.other);
    sink.want_other = true;
    assert_int_equal(kz_misp_text_import(sg, n, NULL, &sink, &f->a, &me, &err), 0);
    assert_non_null(sink.other);
    assert_true(kz_misp_doc_is_sharing_groups(sink.other));
    assert_int_equal(l.calls, 0);
    json_decref(sink.other);
    /* and events still are events with want_other */
    const char *ok2 = TWO_EVENTS("2", "0123456789abcdef0123456789abcdef");
    assert_int_equal(kz_misp_text_import(ok2, strlen(ok2), NULL, &sink, &f->a, &me, &err), 0);
    assert_null(sink.other);
    assert_int_equal(l.calls, 2);
    free(sg);
}

/* ---- streaming a big event (misp_split.c, kz_misp_import_text) ---------------------- */

#define BIG_N 12000

/* A single event of BIG_N top-level attributes (mixed types, tags, a
 * sighting, a big attachment) and one object; bad >= 0 makes that
 * attribute's md5 invalid, and broken >= 0 breaks that attribute's JSON. */
static char *big_event(long bad, long broken)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"Event\":{\"uuid\":\"77777777-2222-4333-8444-555555555555\","
                    "\"info\":\"big\",\"date\":\"2024-01-01\",\"distribution\":\"3\","
                    "\"timestamp\":\"1704067200\",\"published\":true,"
                    "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\",\"name\":\"CIRCL\"},"
                    "\"Tag\":[{\"name\":\"tlp:green\"}],\n\"Attribute\" : [\n");
    for (long i = 0; i < BIG_N; i++) {
        if (i)
            kz_buf_puts(&b, i % 7 ? "," : " ,\n ");
        if (i == broken) {
            kz_buf_puts(&b, "{\"type\":\"md5\" \"value\":\"x\"}");
            continue;
        }
        switch (i % 5) {
        case 0:
            kz_buf_printf(&b, "{\"type\":\"ip-dst\",\"value\":\"10.%ld.%ld.%ld\","
                              "\"Tag\":[{\"name\":\"t%ld\"}]}",
                          (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 3);
            break;
        case 1:
            kz_buf_printf(&b, "{\"type\":\"md5\",\"value\":\"%s%028lx\",\"comment\":\"c\\\"%ld\"}",
                          i == bad ? "zzzz" : "abcd", i, i);
            break;
        case 2:
            kz_buf_printf(&b, "{\"type\":\"hostname\",\"value\":\"H%ld.Example.org\","
                              "\"Sighting\":[{\"type\":\"0\",\"date_sighting\":\"1704067300\"}]}",
                          i);
            break;
        case 3:
            kz_buf_printf(&b, "{\"type\":\"filename|sha256\",\"value\":\"f%ld.exe|%064lx\"}", i,
                          i);
            break;
        default:
            if (i == 4) {
                kz_buf_puts(&b, "{\"type\":\"attachment\",\"value\":\"a.bin\",\"data\":\"");
                for (int k = 0; k < 5000; k++)
                    kz_buf_puts(&b, "QUJD");
                kz_buf_puts(&b, "\"}");
            } else {
                kz_buf_printf(&b, "{\"type\":\"text\",\"value\":\"note %ld\"}", i);
            }
        }
    }
    kz_buf_puts(&b, "\n],\"Object\":[{\"name\":\"file\",\"uuid\":"
                    "\"88888888-2222-4333-8444-555555555555\",\"Attribute\":["
                    "{\"type\":\"filename\",\"object_relation\":\"filename\",\"value\":\"o.exe\"},"
                    "{\"type\":\"md5\",\"object_relation\":\"md5\","
                    "\"value\":\"0123456789abcdef0123456789abcdef\"}]}]}}");
    return kz_buf_steal(&b);
}

static void streamed_import_matches(void **state)
{
    fx *f = *state;
    char *doc = big_event(-1, -1);
    size_t n = strlen(doc);
    kz_err err = {0};
    /* it is cut for streaming */
    kz_misp_split *sp = NULL;
    assert_int_equal(kz_misp_split_load(doc, n, 10000, &sp, &err), 0);
    assert_non_null(sp);
    kz_misp_split_free(sp);
    /* streamed into this store ... */
    kz_misp_put_opts o = {.create_orgs = true};
    kz_misp_event me;
    if (kz_misp_import_text(f->st, doc, n, NULL, &o, &f->a, &me, NULL, &err) != 0)
        fail_msg("streamed: %s", err.msg);
    assert_null(me.progress);
    assert_int_equal(me.ev.n_indicators, BIG_N + 2);
    /* ... and the usual way into another: both read back the same */
    kz_store *st2;
    assert_int_equal(kz_store_open(":memory:", &st2, &err), 0);
    json_t *j;
    assert_int_equal(kz_json_load(doc, n, &j, &err), 0);
    kz_misp_event me2;
    assert_int_equal(kz_misp_event_parse(j, NULL, &f->a, &me2, &err), 0);
    json_decref(j);
    assert_int_equal(kz_store_misp_event_put(st2, &me2, &o, NULL, &err), 0);
    kz_misp_event a, b;
    assert_int_equal(kz_store_misp_event_get(f->st, me.ev.id, &f->a, &a, &err), 0);
    assert_int_equal(kz_store_misp_event_get(st2, me.ev.id, &f->a, &b, &err), 0);
    assert_int_equal(a.ev.n_indicators, BIG_N + 2);
    assert_int_equal(a.ev.n_indicators, b.ev.n_indicators);
    assert_int_equal(a.n_objects, 1);
    assert_int_equal(a.n_objects, b.n_objects);
    size_t tags = 0, sightings = 0, data = 0;
    for (size_t i = 0; i < a.ev.n_indicators; i++) {
        const kz_indicator *x = &a.ev.indicators[i], *y = &b.ev.indicators[i];
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->value, y->value);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->tags.n, y->tags.n);
        tags += x->tags.n;
        assert_string_equal(a.attrs[i].type, b.attrs[i].type);
        assert_int_equal(a.attrs[i].object, b.attrs[i].object);
        assert_int_equal(a.attrs[i].n_sightings, b.attrs[i].n_sightings);
        sightings += a.attrs[i].n_sightings;
        assert_int_equal(a.attrs[i].data == NULL, b.attrs[i].data == NULL);
        if (a.attrs[i].data) {
            assert_string_equal(a.attrs[i].data, b.attrs[i].data);
            data++;
        }
        assert_int_equal(a.attrs[i].seq > a.attrs[i ? i - 1 : 0].seq || i == 0, true);
    }
    assert_int_equal(tags, (BIG_N + 4) / 5);
    assert_int_equal(sightings, BIG_N / 5);
    assert_int_equal(data, 1);
    /* the object's attributes come last, as in the document */
    assert_string_equal(a.ev.indicators[BIG_N].value, "o.exe");
    kz_store_close(st2);
    free(doc);
}

static void streamed_import_failures(void **state)
{
    fx *f = *state;
    kz_misp_put_opts o = {.create_orgs = true};
    kz_misp_event me;
    kz_err err = {0};
    /* an invalid value deep in the array: named, and nothing stored */
    char *doc = big_event(11001, -1);
    assert_int_equal(kz_misp_import_text(f->st, doc, strlen(doc), NULL, &o, &f->a, &me, NULL,
                                         &err),
                     KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "Attribute[11001]"));
    assert_string_equal(err.field, "Attribute[11001]");
    kz_misp_event back;
    kz_err e2 = {0};
    assert_int_equal(
        kz_store_misp_event_get(f->st, "77777777-2222-4333-8444-555555555555", &f->a, &back, &e2),
        KZ_E_NOTFOUND);
    free(doc);
    /* broken JSON deep in the array: kz_json_load's message for the document */
    doc = big_event(-1, 9000);
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_misp_import_text(f->st, doc, strlen(doc), NULL, &o, &f->a, &me, NULL,
                                         &err),
                     KZ_E_INVALID);
    json_t *j = NULL;
    assert_int_equal(kz_json_load(doc, strlen(doc), &j, &e2), KZ_E_INVALID);
    assert_string_equal(err.msg, e2.msg);
    assert_int_equal(
        kz_store_misp_event_get(f->st, "77777777-2222-4333-8444-555555555555", &f->a, &back, &e2),
        KZ_E_NOTFOUND);
    free(doc);
    /* a trailing comma in the array is not cut around: jansson refuses it */
    doc = big_event(-1, -1);
    char *close = strstr(doc, "\n],\"Object\"");
    assert_non_null(close);
    close[0] = ',';
    memset(&err, 0, sizeof err);
    kz_misp_split *sp = NULL;
    assert_int_equal(kz_misp_split_load(doc, strlen(doc), 10000, &sp, &err), 0);
    assert_null(sp);
    assert_int_equal(kz_misp_import_text(f->st, doc, strlen(doc), NULL, &o, &f->a, &me, NULL,
                                         &err),
                     KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "malformed JSON"));
    free(doc);
    /* an event already there is a conflict without replace, and the parser
     * thread is stopped and joined (ASan and the leak check watch) */
    doc = big_event(-1, -1);
    assert_int_equal(kz_misp_import_text(f->st, doc, strlen(doc), NULL, &o, &f->a, &me, NULL,
                                         &err),
                     0);
    assert_int_equal(kz_misp_import_text(f->st, doc, strlen(doc), NULL, &o, &f->a, &me, NULL,
                                         &err),
                     KZ_E_CONFLICT);
    /* with replace and the same timestamp: unchanged */
    kz_misp_put_opts rep = {.create_orgs = true, .replace = true};
    kz_misp_put_result res;
    assert_int_equal(kz_misp_import_text(f->st, doc, strlen(doc), NULL, &rep, &f->a, &me, &res,
                                         &err),
                     0);
    assert_int_equal(res, KZ_MISP_UNCHANGED);
    free(doc);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_event_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(regin_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(japanese_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(sightings_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(objects_and_relations, setup, teardown),
        cmocka_unit_test_setup_teardown(bare_objects_event, setup, teardown),
        cmocka_unit_test_setup_teardown(long_values_and_lenient_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(sharing_groups_file, setup, teardown),
        cmocka_unit_test_setup_teardown(event_in_sharing_group, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_stored_on_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_copy_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(attribute_markings, setup, teardown),
        cmocka_unit_test_setup_teardown(attachments_fast_path, setup, teardown),
        cmocka_unit_test_setup_teardown(attachments_fast_path_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(date_before_1970, setup, teardown),
        cmocka_unit_test(quick_reader_numbers),
        cmocka_unit_test(quick_reader_refusals),
        cmocka_unit_test(quick_reader_real_events),
        cmocka_unit_test_setup_teardown(text_import_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(streamed_import_matches, setup, teardown),
        cmocka_unit_test_setup_teardown(streamed_import_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
