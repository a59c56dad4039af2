/* misp_api_import.c — one MISP document into the store, the fast way the
 * CLI, /events/add and the benchmark share: attachments read straight from
 * the text (misp_load.c), and a big single event streamed, its attributes
 * parsed on a second thread while this one writes them (misp_split.c), so
 * that parsing and SQLite overlap instead of adding up.
 */
#include "http_int.h"

#include <pthread.h>
#include <string.h>

/* Below this many attributes a second thread costs more than it saves. */
#define STREAM_MIN_ATTRS 10000

static void *run(void *arg)
{
    kz_misp_split_run(arg);
    return NULL;
}

static int streamed(kz_store *st, kz_misp_split *sp, const kz_misp_import_opts *po,
                    const kz_misp_put_opts *o, kz_arena *a, kz_misp_event *me,
                    kz_misp_put_result *res, kz_err *err)
{
    int rc = kz_misp_split_begin(sp, po, a, me, err);
    if (rc)
        return rc;
    pthread_t t;
    if (pthread_create(&t, NULL, run, sp) != 0) {
        kz_misp_split_run(sp); /* no thread: parse first, then store */
        rc = kz_store_misp_event_put(st, me, o, res, err);
        me->progress = NULL;
        return rc;
    }
    rc = kz_store_misp_event_put(st, me, o, res, err);
    pthread_join(t, NULL);
    me->progress = NULL;
    return rc;
}

int kz_misp_import_text(kz_store *st, const char *text, size_t len,
                        const kz_misp_import_opts *po, const kz_misp_put_opts *o, kz_arena *a,
                        kz_misp_event *me, kz_misp_put_result *res, kz_err *err)
{
    memset(me, 0, sizeof *me);
    kz_misp_split *sp = NULL;
    int rc = 0;
    /* An attribute is 50 bytes or more: a smaller document cannot qualify. */
    if (len >= (size_t)STREAM_MIN_ATTRS * 50)
        rc = kz_misp_split_load(text, len, STREAM_MIN_ATTRS, &sp, err);
    if (rc)
        return rc;
    if (sp) {
        rc = streamed(st, sp, po, o, a, me, res, err);
        kz_misp_split_free(sp);
        return rc;
    }
    json_t *j = NULL;
    kz_misp_spans spans;
    rc = kz_misp_load(text, len, &j, &spans, err);
    if (rc == 0) {
        kz_misp_import_opts opts = po ? *po
                                      : (kz_misp_import_opts){.default_tlp = -1,
                                                              .default_distribution = -1};
        opts.spans = &spans;
        rc = kz_misp_event_parse(j, &opts, a, me, err);
        json_decref(j);
    }
    kz_misp_spans_free(&spans);
    if (rc == 0)
        rc = kz_store_misp_event_put(st, me, o, res, err);
    return rc;
}
