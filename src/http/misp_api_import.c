/* misp_api_import.c — kz_misp_text_import (src/formats/misp_import_text.c:
 * attachments read from the text, a big event streamed) bound to the
 * store: one MISP event document parsed and stored, for the HTTP layer,
 * the benchmark and the tests.
 */
#include "http_int.h"

#include <string.h>

typedef struct put_ctx {
    kz_store *st;
    const kz_misp_put_opts *o;
    kz_misp_put_result *res;
} put_ctx;

static int put(void *ctx, kz_misp_event *me, size_t i, size_t n, kz_err *err)
{
    (void)i;
    (void)n;
    put_ctx *p = ctx;
    return kz_store_misp_event_put(p->st, me, p->o, p->res, err);
}

int kz_misp_import_text(kz_store *st, const char *text, size_t len,
                        const kz_misp_import_opts *po, const kz_misp_put_opts *o, kz_arena *a,
                        kz_misp_event *me, kz_misp_put_result *res, kz_err *err)
{
    put_ctx p = {st, o, res};
    kz_misp_sink sink = {.put = put, .ctx = &p};
    return kz_misp_text_import(text, len, po, &sink, a, me, err);
}
