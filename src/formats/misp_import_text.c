/* misp_import_text.c — one MISP document, as bytes, into events handed to
 * the caller's store function: the one import path the CLI (files and
 * feeds), the HTTP layer and the benchmark share, so that each gets the
 * fast reading of misp_load.c (attachments read from the text, the rest
 * through the quick reader) and, for a big single event, the streaming of
 * misp_split.c (attributes parsed on a second thread while the caller's
 * thread stores the ones already published), instead of a jansson tree of
 * the whole document built before anything is checked or stored.
 *
 * The store is the caller's (formats does not write): put is called on the
 * calling thread, once per event, in document order. For a streamed event
 * it runs while the parser is still working; kz_store_misp_event_put reads
 * the attributes as they are published (me->progress).
 */
#include "misp_int.h"

#include <pthread.h>
#include <string.h>

/* Below this many attributes a second thread costs more than it saves. */
#define STREAM_MIN_ATTRS 10000

static void *run(void *arg)
{
    kz_misp_split_run(arg);
    return NULL;
}

static int streamed(kz_misp_split *sp, const kz_misp_import_opts *po, kz_misp_sink *sink,
                    kz_arena *a, kz_misp_event *me, kz_err *err)
{
    int rc = kz_misp_split_begin(sp, po, a, me, err);
    if (rc)
        return rc;
    pthread_t t;
    if (pthread_create(&t, NULL, run, sp) != 0) {
        kz_misp_split_run(sp); /* no thread: parse first, then store */
        rc = sink->put(sink->ctx, me, 0, 1, err);
        me->progress = NULL;
        return rc;
    }
    rc = sink->put(sink->ctx, me, 0, 1, err);
    pthread_join(t, NULL);
    me->progress = NULL;
    return rc;
}

/* Every event of the loaded tree j, one after another. */
static int each_event(const json_t *j, const kz_misp_import_opts *po, kz_misp_sink *sink,
                      kz_arena *a, kz_misp_event *me, kz_err *err)
{
    json_t *evs = kz_misp_doc_events(j, err);
    if (!evs)
        return err && err->code ? err->code : KZ_E_INVALID;
    sink->n = json_array_size(evs);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sink->n; i++) {
        sink->at = i;
        if (i) {
            /* The previous event is stored: its memory can go. */
            kz_arena_free(a);
            kz_arena_init(a);
        }
        rc = kz_misp_event_parse(json_array_get(evs, i), po, a, me, err);
        if (rc == 0)
            rc = sink->put(sink->ctx, me, i, sink->n, err);
    }
    json_decref(evs);
    return rc;
}

int kz_misp_text_import(const char *text, size_t len, const kz_misp_import_opts *po,
                        kz_misp_sink *sink, kz_arena *a, struct kz_misp_event *me, kz_err *err)
{
    memset(me, 0, sizeof *me);
    sink->at = sink->n = 0;
    sink->other = NULL;
    kz_misp_import_opts opts = po ? *po
                                  : (kz_misp_import_opts){.default_tlp = -1,
                                                          .default_distribution = -1};
    opts.spans = NULL;
    kz_misp_split *sp = NULL;
    int rc = 0;
    /* An attribute is 50 bytes or more: a smaller document cannot qualify. */
    if (len >= (size_t)STREAM_MIN_ATTRS * 50)
        rc = kz_misp_split_load(text, len, STREAM_MIN_ATTRS, &sp, err);
    if (rc)
        return rc;
    if (sp) {
        sink->n = 1;
        rc = streamed(sp, &opts, sink, a, me, err);
        kz_misp_split_free(sp);
        return rc;
    }
    json_t *j = NULL;
    kz_misp_spans spans;
    rc = kz_misp_load(text, len, &j, &spans, err);
    if (rc == 0 && sink->want_other && kz_misp_doc_is_sharing_groups(j)) {
        sink->other = j; /* not events: the caller reads it */
        kz_misp_spans_free(&spans);
        return 0;
    }
    if (rc == 0) {
        opts.spans = &spans;
        rc = each_event(j, &opts, sink, a, me, err);
    }
    json_decref(j);
    kz_misp_spans_free(&spans);
    return rc;
}
