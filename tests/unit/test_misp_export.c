/* test_misp_export.c — what goes out: import -> export of every real MISP
 * event keeps every attribute, tag and object (deep comparison field by
 * field with the original file), MISP's CSV is reproduced byte for byte
 * for regin_event.csv, and the sensor formats (Zeek intel, Suricata
 * datasets and IP reputation, text blocklists, feed hashes) have the exact
 * lines their readers expect.
 */
#include "kz_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
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
    kz_uuid local;
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
    kz_org o = {.name = "Local CERT", .country = "SG", .type = KZ_ORG_NATIONAL_CERT};
    kz_uuid_v4(o.id);
    if (kz_store_org_put(f->st, &o, &err) != 0)
        return -1;
    memcpy(f->local, o.id, sizeof f->local);
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

/* Imports a document's event and reads it back with everything. */
static void import_doc(fx *f, const json_t *j, kz_misp_event *back)
{
    kz_misp_event me;
    kz_err err = {0};
    if (kz_misp_event_parse(j, NULL, &f->a, &me, &err) != 0)
        fail_msg("parse: %s", err.msg);
    kz_misp_put_opts o = {.create_orgs = true};
    if (!me.orgc.uuid[0] && !me.orgc.name)
        o.owner_org = f->local;
    if (kz_store_misp_event_put(f->st, &me, &o, NULL, &err) != 0)
        fail_msg("put: %s", err.msg);
    if (kz_store_misp_event_get(f->st, me.ev.id, &f->a, back, &err) != 0)
        fail_msg("get: %s", err.msg);
}

/* ---- deep comparison ------------------------------------------------------- */

static const char *s_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool truthy(const json_t *v)
{
    return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "1") == 0) ||
           (json_is_integer(v) && json_integer_value(v) == 1);
}

static void same_str(const char *what, const char *uuid, const char *a, const char *b)
{
    if (!a)
        a = "";
    if (!b)
        b = "";
    if (strcmp(a, b) != 0)
        fail_msg("%s of %s: '%.80s' != '%.80s'", what, uuid, a, b);
}

/* The tag names of an array, as a sorted, joined string. */
static char *tag_names(const json_t *tags)
{
    size_t n = json_array_size(tags);
    const char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = s_of(json_array_get(tags, i), "name");
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (strcmp(v[k], v[i]) < 0) {
                const char *t = v[i];
                v[i] = v[k];
                v[k] = t;
            }
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        kz_buf_printf(&b, "%s\n", v[i]);
    free(v);
    char *s = kz_buf_steal(&b);
    return s ? s : strdup("");
}

static void same_tags(const char *what, const char *uuid, const json_t *a, const json_t *b)
{
    char *x = tag_names(a), *y = tag_names(b);
    if (strcmp(x, y) != 0)
        fail_msg("tags of %s %s differ:\n%s---\n%s", what, uuid, x, y);
    free(x);
    free(y);
}

static void same_time(const char *what, const char *uuid, const json_t *a, const json_t *b)
{
    kz_time ta = 0, tb = 0;
    kz_err e;
    if (json_is_string(a) && *json_string_value(a))
        assert_int_equal(kz_time_parse(json_string_value(a), &ta, &e), 0);
    if (json_is_string(b) && *json_string_value(b))
        assert_int_equal(kz_time_parse(json_string_value(b), &tb, &e), 0);
    if (ta != tb)
        fail_msg("%s of %s differs", what, uuid);
}

static const json_t *by_uuid(const json_t *arr, const char *uuid)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        const char *u = s_of(x, "uuid");
        if (u && strcmp(u, uuid) == 0)
            return x;
    }
    return NULL;
}

static void same_attr(const json_t *orig, const json_t *out)
{
    const char *u = s_of(orig, "uuid");
    same_str("type", u, s_of(orig, "type"), s_of(out, "type"));
    same_str("category", u, s_of(orig, "category"), s_of(out, "category"));
    same_str("value", u, s_of(orig, "value"), s_of(out, "value"));
    same_str("comment", u, s_of(orig, "comment"), s_of(out, "comment"));
    same_str("object_relation", u, s_of(orig, "object_relation"), s_of(out, "object_relation"));
    same_str("data", u, s_of(orig, "data"), s_of(out, "data"));
    if (truthy(json_object_get(orig, "to_ids")) != truthy(json_object_get(out, "to_ids")))
        fail_msg("to_ids of %s differs", u);
    if (truthy(json_object_get(orig, "disable_correlation")) !=
        truthy(json_object_get(out, "disable_correlation")))
        fail_msg("disable_correlation of %s differs", u);
    if (json_object_get(orig, "timestamp"))
        same_str("timestamp", u, s_of(orig, "timestamp"), s_of(out, "timestamp"));
    if (json_object_get(orig, "distribution"))
        same_str("distribution", u, s_of(orig, "distribution"), s_of(out, "distribution"));
    same_time("first_seen", u, json_object_get(orig, "first_seen"),
              json_object_get(out, "first_seen"));
    same_time("last_seen", u, json_object_get(orig, "last_seen"),
              json_object_get(out, "last_seen"));
    same_tags("attribute", u, json_object_get(orig, "Tag"), json_object_get(out, "Tag"));
    const json_t *so = json_object_get(orig, "Sighting"), *sx = json_object_get(out, "Sighting");
    assert_int_equal(json_array_size(so), json_array_size(sx));
    size_t i;
    json_t *s;
    json_array_foreach(so, i, s) {
        const json_t *t = by_uuid(sx, s_of(s, "uuid"));
        if (!t)
            fail_msg("sighting %s of %s is missing", s_of(s, "uuid"), u);
        same_str("date_sighting", u, s_of(s, "date_sighting"), s_of(t, "date_sighting"));
        same_str("sighting type", u, s_of(s, "type"), s_of(t, "type"));
        same_str("sighting org", u, s_of(json_object_get(s, "Organisation"), "uuid"),
                 s_of(json_object_get(t, "Organisation"), "uuid"));
    }
}

static void same_attrs(const char *where, const json_t *orig, const json_t *out)
{
    if (json_array_size(orig) != json_array_size(out))
        fail_msg("%s: %zu attributes in, %zu out", where, json_array_size(orig),
                 json_array_size(out));
    size_t i;
    json_t *a;
    json_array_foreach(orig, i, a) {
        const char *u = s_of(a, "uuid");
        /* hand-made files without UUIDs: compare by position */
        const json_t *b = u ? by_uuid(out, u) : json_array_get(out, i);
        if (!b)
            fail_msg("%s: attribute %s is missing", where, u);
        if (!u) {
            json_t *copy = json_deep_copy(a);
            json_object_set_new(copy, "uuid", json_string(s_of(b, "uuid")));
            same_attr(copy, b);
            json_decref(copy);
        } else {
            same_attr(a, b);
        }
    }
}

static void same_object(const json_t *orig, const json_t *out)
{
    const char *u = s_of(orig, "uuid");
    static const char *const keys[] = {"name", "meta-category", "description", "template_uuid",
                                       "template_version", "comment", "timestamp"};
    for (size_t k = 0; k < KZ_ARRAY_LEN(keys); k++)
        if (json_object_get(orig, keys[k]))
            same_str(keys[k], u, s_of(orig, keys[k]), s_of(out, keys[k]));
    if (json_object_get(orig, "distribution"))
        same_str("distribution", u, s_of(orig, "distribution"), s_of(out, "distribution"));
    const json_t *ro = json_object_get(orig, "ObjectReference");
    const json_t *rx = json_object_get(out, "ObjectReference");
    assert_int_equal(json_array_size(ro), json_array_size(rx));
    for (size_t i = 0; i < json_array_size(ro); i++) {
        const json_t *a = json_array_get(ro, i), *b = json_array_get(rx, i);
        same_str("referenced_uuid", u, s_of(a, "referenced_uuid"), s_of(b, "referenced_uuid"));
        same_str("relationship_type", u, s_of(a, "relationship_type"),
                 s_of(b, "relationship_type"));
        same_str("reference comment", u, s_of(a, "comment"), s_of(b, "comment"));
        if (json_object_get(a, "uuid"))
            same_str("reference uuid", u, s_of(a, "uuid"), s_of(b, "uuid"));
    }
    same_attrs(u, json_object_get(orig, "Attribute"), json_object_get(out, "Attribute"));
}

static void round_trip_every_event(void **state)
{
    fx *f = *state;
    size_t seen = 0;
    for (size_t fi = 0; fi < KZ_ARRAY_LEN(EVENT_FILES); fi++) {
        json_t *doc = load(EVENT_FILES[fi]);
        if (!doc)
            continue;
        seen++;
        kz_misp_event back;
        import_doc(f, doc, &back);
        kz_misp_json_opts o = {.sightings = true, .attachments = true};
        json_t *outw = kz_misp_event_json(&back, &o);
        assert_non_null(outw);
        const json_t *orig = json_object_get(doc, "Event") ? json_object_get(doc, "Event") : doc;
        const json_t *out = json_object_get(outw, "Event");
        assert_non_null(out);
        /* event fields */
        if (s_of(orig, "uuid"))
            same_str("uuid", "event", s_of(orig, "uuid"), s_of(out, "uuid"));
        static const char *const keys[] = {"info", "date", "threat_level_id", "analysis",
                                           "timestamp", "publish_timestamp", "distribution"};
        for (size_t k = 0; k < KZ_ARRAY_LEN(keys); k++)
            if (json_object_get(orig, keys[k]))
                same_str(keys[k], EVENT_FILES[fi], s_of(orig, keys[k]), s_of(out, keys[k]));
        if (json_object_get(orig, "published") &&
            truthy(json_object_get(orig, "published")) != truthy(json_object_get(out, "published")))
            fail_msg("%s: published differs", EVENT_FILES[fi]);
        if (json_object_get(orig, "Orgc"))
            same_str("Orgc", EVENT_FILES[fi], s_of(json_object_get(orig, "Orgc"), "uuid"),
                     s_of(json_object_get(out, "Orgc"), "uuid"));
        same_tags("event", EVENT_FILES[fi], json_object_get(orig, "Tag"),
                  json_object_get(out, "Tag"));
        same_attrs(EVENT_FILES[fi], json_object_get(orig, "Attribute"),
                   json_object_get(out, "Attribute"));
        const json_t *oo = json_object_get(orig, "Object"), *ox = json_object_get(out, "Object");
        assert_int_equal(json_array_size(oo), json_array_size(ox));
        size_t i;
        json_t *ob;
        json_array_foreach(oo, i, ob) {
            const json_t *b = by_uuid(ox, s_of(ob, "uuid"));
            if (!b)
                fail_msg("%s: object %s is missing", EVENT_FILES[fi], s_of(ob, "uuid"));
            same_object(ob, b);
        }
        /* what we wrote reads back as the same event */
        kz_misp_event again;
        kz_err err;
        assert_int_equal(kz_misp_event_parse(outw, NULL, &f->a, &again, &err), 0);
        assert_int_equal(again.ev.n_indicators, back.ev.n_indicators);
        assert_int_equal(again.n_objects, back.n_objects);
        json_decref(outw);
        json_decref(doc);
    }
    if (!seen)
        skip();
}

/* The feed layout: no instance-local ids; the feed-format sample in the
 * data is itself such a file and comes back with the same members. */
static void feed_layout(void **state)
{
    fx *f = *state;
    json_t *doc = load("misp/57c4445b-c548-4654-af0b-4be3950d210f.json");
    if (!doc)
        skip();
    kz_misp_event back;
    import_doc(f, doc, &back);
    kz_misp_json_opts o = {.feed = true};
    json_t *w = kz_misp_event_json(&back, &o);
    const json_t *e = json_object_get(w, "Event");
    assert_null(json_object_get(e, "id"));
    assert_null(json_object_get(e, "Org"));
    const json_t *a = json_array_get(json_object_get(e, "Attribute"), 0);
    assert_null(json_object_get(a, "id"));
    assert_null(json_object_get(a, "event_id"));
    const char *keys[] = {"info", "publish_timestamp", "timestamp", "analysis", "date",
                          "threat_level_id", "uuid", "published"};
    for (size_t k = 0; k < KZ_ARRAY_LEN(keys); k++)
        assert_non_null(json_object_get(e, keys[k]));
    assert_string_equal(s_of(json_object_get(e, "Orgc"), "name"), "CIRCL");
    /* hashes.csv: md5 of each value (each part of composites), event uuid */
    kz_buf b;
    kz_buf_init(&b);
    assert_int_equal(kz_export_feed_hashes(&back, &b), 0);
    /* 9 attributes, one of them regkey|value: 10 lines */
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.p[i] == '\n';
    assert_int_equal(lines, 10);
    /* md5("UPX packed"), and of the key part of the regkey|value */
    assert_non_null(strstr(b.p, "f15d9116ca9cb3bd485b8f6ae2e35446,"
                                "57c4445b-c548-4654-af0b-4be3950d210f\n"));
    assert_non_null(strstr(b.p, "86097811e7d4f44839459c359cca5260,"
                                "57c4445b-c548-4654-af0b-4be3950d210f\n"));
    kz_buf_free(&b);
    json_decref(w);
    json_decref(doc);
}

/* ---- row formats --------------------------------------------------------- */

static void write_rows(kz_export_writer *w, const kz_misp_event *me, kz_buf *out,
                       const char *org_name)
{
    assert_int_equal(kz_export_begin(w, out), 0);
    for (size_t i = 0; i < me->ev.n_indicators; i++) {
        const kz_misp_attr *ma = &me->attrs[i];
        const kz_misp_object *ob = ma->object >= 0 ? &me->objects[ma->object] : NULL;
        kz_export_row r = {.ind = &me->ev.indicators[i],
                           .ma = ma,
                           .ev = &me->ev,
                           .event_seq = me->seq,
                           .org_name = org_name,
                           .object_uuid = ob ? ob->uuid : NULL,
                           .object_name = ob ? ob->name : NULL,
                           .object_meta_category = ob ? ob->meta_category : NULL};
        assert_int_equal(kz_export_row_write(w, &r, out), 0);
    }
    assert_int_equal(kz_export_end(w, out), 0);
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* MISP's own CSV export of the Regin event, byte for byte (MISP sorts by
 * uuid; the event is the first of the node, so its id is 1 as there). */
static void csv_equals_misp(void **state)
{
    fx *f = *state;
    json_t *doc = load("misp/regin_event.json");
    char path[1024];
    if (!doc || !kz_test_data_path("misp/regin_event.csv", path, sizeof path))
        skip();
    kz_misp_event back;
    import_doc(f, doc, &back);
    assert_int_equal(back.seq, 1);
    kz_export_writer *w;
    kz_err err;
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_CSV, NULL, &w, &err), 0);
    kz_buf out;
    kz_buf_init(&out);
    write_rows(w, &back, &out, "CIRCL");
    kz_export_writer_free(w);
    /* split into lines; sort the data lines by uuid as MISP does */
    char *lines[64];
    size_t n = 0;
    for (char *p = out.p, *nl; (nl = strchr(p, '\n')) && n < 64; p = nl + 1) {
        *nl = 0;
        lines[n++] = p;
    }
    assert_int_equal(n, 39);
    qsort(lines + 1, n - 1, sizeof *lines, cmp_line);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char want[4096];
    for (size_t i = 0; i < n; i++) {
        assert_non_null(fgets(want, sizeof want, fp));
        want[strcspn(want, "\n")] = 0;
        assert_string_equal(lines[i], want);
    }
    fclose(fp);
    kz_buf_free(&out);
    json_decref(doc);
}

static kz_misp_event *event_from(fx *f, const char *doc)
{
    json_t *j = json_loads(doc, 0, NULL);
    assert_non_null(j);
    kz_misp_event *me = kz_arena_alloc(&f->a, sizeof *me);
    import_doc(f, j, me);
    json_decref(j);
    return me;
}

#define SENSOR_EVENT                                                                               \
    "{\"Event\":{\"uuid\":\"12345678-2222-4333-8444-555555555555\",\"info\":\"C2\\tcampaign\","    \
    "\"threat_level_id\":\"1\",\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\","    \
    "\"name\":\"CIRCL\"},\"Tag\":[{\"name\":\"tlp:green\"}],\"Attribute\":["                       \
    "{\"type\":\"ip-dst\",\"value\":\"198.51.100.7\"},"                                           \
    "{\"type\":\"ip-dst\",\"value\":\"2001:DB8::1\"},"                                            \
    "{\"type\":\"ip-src\",\"value\":\"203.0.113.0/24\",\"to_ids\":false},"                        \
    "{\"type\":\"domain\",\"value\":\"Evil.Example\"},"                                           \
    "{\"type\":\"hostname\",\"value\":\"c2.evil.example\"},"                                      \
    "{\"type\":\"url\",\"value\":\"https://evil.example/gate.php\"},"                             \
    "{\"type\":\"email-src\",\"value\":\"bad@evil.example\"},"                                    \
    "{\"type\":\"md5\",\"value\":\"744C07E886497F7B68F6F7FE57B7AB54\"},"                          \
    "{\"type\":\"filename|sha256\",\"value\":\"drop.exe|"                                         \
    "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68\"},"                        \
    "{\"type\":\"ip-dst|port\",\"value\":\"198.51.100.8|443\"},"                                  \
    "{\"type\":\"user-agent\",\"value\":\"EvilBot/1.0\"},"                                        \
    "{\"type\":\"text\",\"value\":\"two\\nlines\"},"                                              \
    "{\"type\":\"domain\",\"value\":\"evil.example\"}]}}"

static void zeek_intel(void **state)
{
    fx *f = *state;
    kz_misp_event *me = event_from(f, SENSOR_EVENT);
    kz_export_writer *w;
    kz_err err;
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_ZEEK, NULL, &w, &err), 0);
    kz_buf out;
    kz_buf_init(&out);
    write_rows(w, me, &out, "CIRCL");
    kz_export_writer_free(w);
    const char *want =
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
        "198.51.100.7\tIntel::ADDR\tkizuna: CIRCL\tC2 campaign\t-\n"
        "2001:db8::1\tIntel::ADDR\tkizuna: CIRCL\tC2 campaign\t-\n"
        "203.0.113.0/24\tIntel::SUBNET\tkizuna: CIRCL\tC2 campaign\t-\n"
        "evil.example\tIntel::DOMAIN\tkizuna: CIRCL\tC2 campaign\t-\n"
        "c2.evil.example\tIntel::DOMAIN\tkizuna: CIRCL\tC2 campaign\t-\n"
        "evil.example/gate.php\tIntel::URL\tkizuna: CIRCL\tC2 campaign\t-\n"
        "bad@evil.example\tIntel::EMAIL\tkizuna: CIRCL\tC2 campaign\t-\n"
        "744c07e886497f7b68f6f7fe57b7ab54\tIntel::FILE_HASH\tkizuna: CIRCL\tC2 campaign\t-\n"
        "drop.exe\tIntel::FILE_NAME\tkizuna: CIRCL\tC2 campaign\t-\n"
        "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68\tIntel::FILE_HASH\t"
        "kizuna: CIRCL\tC2 campaign\t-\n"
        "EvilBot/1.0\tIntel::SOFTWARE\tkizuna: CIRCL\tC2 campaign\t-\n";
    assert_string_equal(out.p, want);
    kz_buf_free(&out);
}

static void suricata_and_text(void **state)
{
    fx *f = *state;
    kz_misp_event *me = event_from(f, SENSOR_EVENT);
    kz_export_writer *w;
    kz_err err;
    kz_buf out;
    kz_buf_init(&out);
    /* string dataset: base64 of each value, once */
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_SURICATA_DATASET, "string", &w, &err), 0);
    kz_misp_event dom = *me;
    size_t k = 0;
    kz_indicator only[4];
    kz_misp_attr only_ma[4];
    for (size_t i = 0; i < me->ev.n_indicators && k < 4; i++)
        if (me->ev.indicators[i].type == KZ_IOC_DOMAIN) {
            only[k] = me->ev.indicators[i];
            only_ma[k++] = me->attrs[i];
        }
    dom.ev.indicators = only;
    dom.attrs = only_ma;
    dom.ev.n_indicators = k;
    write_rows(w, &dom, &out, NULL);
    kz_export_writer_free(w);
    assert_string_equal(out.p, "ZXZpbC5leGFtcGxl\n"); /* base64("evil.example"), listed once */
    /* md5 and sha256 datasets take the hex, incl. the hash of filename|sha256 */
    kz_buf_reset(&out);
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_SURICATA_DATASET, "sha256", &w, &err), 0);
    write_rows(w, me, &out, NULL);
    kz_export_writer_free(w);
    assert_string_equal(out.p,
                        "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68\n");
    kz_buf_reset(&out);
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_SURICATA_DATASET, "md5", &w, &err), 0);
    write_rows(w, me, &out, NULL);
    kz_export_writer_free(w);
    assert_string_equal(out.p, "744c07e886497f7b68f6f7fe57b7ab54\n");
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_SURICATA_DATASET, "sha1", &w, &err),
                     KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "string, md5, sha256, ipv4 or ip"));
    /* IP reputation: threat level high (1): score 127, 63 when not for IDS */
    kz_buf_reset(&out);
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_SURICATA_IPREP, NULL, &w, &err), 0);
    write_rows(w, me, &out, NULL);
    kz_export_writer_free(w);
    assert_string_equal(out.p, "198.51.100.7,1,127\n"
                               "2001:db8::1,1,127\n"
                               "203.0.113.0/24,1,63\n");
    kz_buf_reset(&out);
    assert_int_equal(kz_export_iprep_categories(&out), 0);
    assert_true(strncmp(out.p, "1,kizuna-high,", 14) == 0);
    /* text: one value per line, once, multi-line text left out */
    kz_buf_reset(&out);
    assert_int_equal(kz_export_writer_new(KZ_EXPORT_TEXT, NULL, &w, &err), 0);
    write_rows(w, me, &out, NULL);
    kz_export_writer_free(w);
    assert_non_null(strstr(out.p, "\nevil.example\n"));
    assert_null(strstr(out.p, "lines"));
    assert_non_null(strstr(out.p, "198.51.100.8:443\n"));
    size_t count = 0;
    for (const char *p = out.p; (p = strstr(p, "evil.example\n")); p++)
        count += p == out.p || p[-1] == '\n';
    assert_int_equal(count, 1);
    kz_buf_free(&out);
    /* format names */
    assert_int_equal(kz_export_format_parse("zeek"), KZ_EXPORT_ZEEK);
    assert_int_equal(kz_export_format_parse("suricata-iprep"), KZ_EXPORT_SURICATA_IPREP);
    assert_int_equal(kz_export_format_parse("stix"), -1);
}

/* Export filters and the ACL of the export scan. */
typedef struct collect {
    size_t events, indicators;
    char titles[512];
} collect;

static int collect_fn(void *ctx, kz_misp_event *me, kz_err *err)
{
    (void)err;
    collect *c = ctx;
    c->events++;
    c->indicators += me->ev.n_indicators;
    size_t l = strlen(c->titles);
    snprintf(c->titles + l, sizeof c->titles - l, "%s;", me->ev.title);
    return 0;
}

static void export_scan_filters(void **state)
{
    fx *f = *state;
    event_from(f, SENSOR_EVENT);
    event_from(f, "{\"uuid\":\"12345678-2222-4333-8444-666666666666\",\"info\":\"red one\","
                  "\"Orgc\":{\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\"},"
                  "\"Tag\":[{\"name\":\"tlp:red\"}],\"Attribute\":[{\"type\":\"ip-dst\","
                  "\"value\":\"192.0.2.99\"}]}");
    kz_err err;
    collect c = {0};
    kz_misp_filter all = {.tlp_max = -1};
    assert_int_equal(kz_store_misp_export_scan(f->st, NULL, &all, collect_fn, &c, &err), 0);
    /* the operator exports everything but TLP:RED */
    assert_int_equal(c.events, 1);
    assert_int_equal(c.indicators, 13);
    kz_arena a;
    kz_arena_init(&a);
    kz_strlist types = {0};
    kz_strlist_push(&a, &types, "ip-dst");
    kz_strlist_push(&a, &types, "md5");
    kz_misp_filter ft = {.types = &types, .tlp_max = -1};
    memset(&c, 0, sizeof c);
    assert_int_equal(kz_store_misp_export_scan(f->st, NULL, &ft, collect_fn, &c, &err), 0);
    assert_int_equal(c.indicators, 3); /* two ip-dst, one md5 */
    kz_misp_filter ids = {.to_ids_only = true, .tlp_max = KZ_TLP_CLEAR};
    memset(&c, 0, sizeof c);
    assert_int_equal(kz_store_misp_export_scan(f->st, NULL, &ids, collect_fn, &c, &err), 0);
    assert_int_equal(c.events, 0); /* green is above a clear ceiling */
    kz_strlist tags = {0};
    kz_strlist_push(&a, &tags, "tlp:green");
    kz_misp_filter tg = {.tags = &tags, .tlp_max = -1, .to_ids_only = true};
    memset(&c, 0, sizeof c);
    assert_int_equal(kz_store_misp_export_scan(f->st, NULL, &tg, collect_fn, &c, &err), 0);
    /* not for IDS: the /24 (to_ids false), and by MISP's defaults for
     * their types, the user-agent and the text */
    assert_int_equal(c.indicators, 10);
    kz_arena_free(&a);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip_every_event, setup, teardown),
        cmocka_unit_test_setup_teardown(feed_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_equals_misp, setup, teardown),
        cmocka_unit_test_setup_teardown(zeek_intel, setup, teardown),
        cmocka_unit_test_setup_teardown(suricata_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(export_scan_filters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
