/* fuzz_misp_event.c — MISP event documents, as `kizuna misp import` and the
 * MISP-compatible API take them: kz_json_load, the events of the document,
 * each event parsed into the model. What parses is written back as MISP
 * JSON (instance and feed layout) and through the sensor exports (CSV,
 * text, Zeek, Suricata); the MISP JSON we write must parse again (an export
 * that our own import refuses is a bug), with as many attributes.
 */
#include "fuzz_common.h"

#include "formats/formats.h"
#include "store/store.h"

#define MAX_EVENTS 8

static void exports(const kz_misp_event *me)
{
    static const kz_export_format fmts[] = {KZ_EXPORT_CSV, KZ_EXPORT_TEXT, KZ_EXPORT_ZEEK,
                                            KZ_EXPORT_SURICATA_DATASET, KZ_EXPORT_SURICATA_IPREP};
    static const char *const dtypes[] = {NULL, NULL, NULL, "string", NULL};
    for (size_t f = 0; f < KZ_ARRAY_LEN(fmts); f++) {
        kz_export_writer *w = NULL;
        kz_err err;
        if (kz_export_writer_new(fmts[f], dtypes[f], &w, &err) != 0)
            abort();
        kz_buf out;
        kz_buf_init(&out);
        (void)kz_export_begin(w, &out);
        for (size_t i = 0; i < me->ev.n_indicators; i++) {
            const kz_misp_attr *ma = &me->attrs[i];
            const kz_misp_object *obj =
                ma->object >= 0 && (size_t)ma->object < me->n_objects ? &me->objects[ma->object]
                                                                      : NULL;
            kz_export_row row = {.ind = &me->ev.indicators[i],
                                 .ma = ma,
                                 .ev = &me->ev,
                                 .event_seq = 1,
                                 .org_name = me->orgc.name,
                                 .object_uuid = obj ? obj->uuid : NULL,
                                 .object_name = obj ? obj->name : NULL,
                                 .object_meta_category = obj ? obj->meta_category : NULL};
            (void)kz_export_row_write(w, &row, &out);
        }
        (void)kz_export_end(w, &out);
        kz_export_writer_free(w);
        kz_buf_free(&out);
    }
    kz_buf hashes;
    kz_buf_init(&hashes);
    (void)kz_export_feed_hashes(me, &hashes);
    kz_buf_free(&hashes);
}

static void round_trip(const kz_misp_event *me, const kz_misp_import_opts *io, bool feed)
{
    kz_misp_json_opts o = {.feed = feed, .sightings = true, .attachments = true};
    json_t *j = kz_misp_event_json(me, &o);
    if (!j)
        return; /* documented: a string that is not UTF-8 */
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_event back;
    kz_err err;
    int rc = kz_misp_event_parse(j, io, &a, &back, &err);
    char *text = rc ? json_dumps(j, JSON_COMPACT) : NULL;
    FUZZ_CHECK(rc == 0, "our MISP export (feed=%d) does not import again: %s: %s\n  %.2000s",
               feed, err.field, err.msg, text ? text : "");
    FUZZ_CHECK(back.ev.n_indicators == me->ev.n_indicators,
               "round trip changed the attribute count: %zu -> %zu", me->ev.n_indicators,
               back.ev.n_indicators);
    free(text);
    json_decref(j);
    kz_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    json_t *j = NULL;
    kz_err err;
    if (kz_json_load((const char *)data, size, &j, &err) != 0)
        return 0;
    json_t *evs = kz_misp_doc_events(j, &err);
    if (evs) {
        kz_misp_import_opts io = {.default_tlp = -1, .default_distribution = -1};
        size_t i;
        json_t *e;
        json_array_foreach(evs, i, e) {
            if (i == MAX_EVENTS)
                break;
            kz_arena a;
            kz_arena_init(&a);
            kz_misp_event me;
            if (kz_misp_event_parse(e, &io, &a, &me, &err) == 0) {
                /* the store fills these; the exports need them */
                if (!me.ev.creator_org[0])
                    snprintf(me.ev.creator_org, sizeof me.ev.creator_org,
                             "8a0e1c3e-5b7d-4d2a-9c1f-000000000001");
                round_trip(&me, &io, false);
                round_trip(&me, &io, true);
                exports(&me);
            }
            kz_arena_free(&a);
        }
        json_decref(evs);
    }
    json_decref(j);
    return 0;
}
