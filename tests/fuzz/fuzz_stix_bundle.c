/* fuzz_stix_bundle.c — the store-free half of a STIX import: the bundle
 * scanner (a hand-written pass that finds each element of "objects" without
 * building the whole tree), then every object as the importer reads it
 * (json_loadb, kz_stix_validate with its pattern parse), RFC 8785 JCS and
 * the deterministic SCO ids. Properties: every span the scanner hands out
 * lies inside the input and holds one JSON value, and minifying a span
 * changes no value (json_equal before and after).
 */
#include "fuzz_common.h"

#include "formats/formats.h"
#include "formats/stix_int.h"

#define MAX_OBJECTS 64

/* json_equal, except that a number equals a number of the other kind with
 * the same value: JCS (RFC 8785) writes 10.0 as "10", which jansson reads
 * back as an integer. */
static bool same_value(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b) && json_typeof(a) != json_typeof(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_value(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            const json_t *w = json_object_get(b, k);
            if (!w || !same_value(v, w))
                return false;
        }
        return true;
    }
    return json_equal(a, b);
}

static void one_object(const char *p, const sx_span *s)
{
    json_error_t je;
    json_t *o = json_loadb(p + s->off, s->len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return; /* the scanner's spans may hold a value jansson refuses (duplicates) */
    kz_buf m;
    kz_buf_init(&m);
    FUZZ_CHECK(kz__stix_minify(p + s->off, s->len, &m) == 0, "minify failed");
    json_t *o2 = json_loadb(m.p ? m.p : "", m.len, JSON_REJECT_DUPLICATES, &je);
    FUZZ_CHECK(o2 && json_equal(o, o2), "minify changed the object: '%.*s' -> '%.*s'",
               (int)(s->len > 500 ? 500 : s->len), p + s->off, (int)(m.len > 500 ? 500 : m.len),
               m.p ? m.p : "");
    json_decref(o2);
    kz_buf_free(&m);

    kz_arena scratch;
    kz_arena_init(&scratch);
    kz_err err;
    int rc = kz_stix_validate(o, &scratch, &err);
    FUZZ_CHECK(rc == 0 || rc == KZ_E_VALUE || rc == KZ_E_INVALID, "validate returned %d", rc);
    kz_buf jcs;
    kz_buf_init(&jcs);
    if (kz_stix_jcs(o, &jcs) == 0) {
        json_t *o3 = json_loadb(jcs.p ? jcs.p : "", jcs.len, 0, &je);
        FUZZ_CHECK(o3 && same_value(o, o3), "JCS text does not load back to the same value");
        json_decref(o3);
    }
    kz_buf_free(&jcs);
    if (rc == 0) {
        const char *type = json_string_value(json_object_get(o, "type"));
        if (type && kz__stix_kind(type) == SX_SCO) {
            char id[KZ_STIX_ID_MAX];
            (void)kz_stix_sco_id(o, id, sizeof id, &err);
        }
    }
    kz_arena_free(&scratch);
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *p = (const char *)data;
    kz_arena a;
    kz_arena_init(&a);
    sx_doc doc = {0};
    kz_err err;
    if (kz__stix_scan(p, size, &a, &doc, &err) == 0) {
        for (size_t i = 0; i < doc.n; i++) {
            const sx_span *s = &doc.objs[i];
            FUZZ_CHECK(s->off <= size && s->len <= size - s->off,
                       "span %zu (%zu+%zu) outside the input of %zu bytes", i, s->off, s->len,
                       size);
            if (i < MAX_OBJECTS)
                one_object(p, s);
        }
        json_decref(doc.top);
    }
    kz_arena_free(&a);
    return 0;
}
