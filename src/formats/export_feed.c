/* export_feed.c — the hashes.csv of a MISP feed: one "md5(value),event
 * uuid" line per attribute value, composite values (filename|sha256,
 * ip-dst|port, ...) once per part, as MISP writes it. A MISP instance
 * caches feeds by these hashes to correlate without downloading events.
 * The manifest and the event files are written by the caller with
 * kz_misp_event_json (feed layout).
 */
#include "export_int.h"

#include <nettle/md5.h>
#include <string.h>

static int md5_line(kz_buf *out, const char *p, size_t n, const char *event_uuid)
{
    struct md5_ctx ctx;
    uint8_t digest[MD5_DIGEST_SIZE];
    char hex[2 * MD5_DIGEST_SIZE + 1];
    md5_init(&ctx);
    md5_update(&ctx, n, (const uint8_t *)p);
    md5_digest(&ctx, MD5_DIGEST_SIZE, digest);
    kz_hex_encode(digest, MD5_DIGEST_SIZE, hex);
    return kz_buf_printf(out, "%s,%s\n", hex, event_uuid);
}

int kz_export_feed_hashes(const struct kz_misp_event *me, kz_buf *out)
{
    kz_buf v;
    kz_buf_init(&v);
    int rc = 0;
    for (size_t i = 0; !rc && i < me->ev.n_indicators; i++) {
        const kz_indicator *ind = &me->ev.indicators[i];
        const kz_misp_attr *ma = me->attrs ? &me->attrs[i] : NULL;
        const char *type = ma && ma->type ? ma->type : kz_misp_default_type(ind);
        if ((rc = kz_misp_value_out(ind, ma, &v)) != 0)
            break;
        const char *bar = strchr(type, '|') ? memchr(v.p, '|', v.len) : NULL;
        if (bar) {
            rc = md5_line(out, v.p, (size_t)(bar - v.p), me->ev.id);
            if (!rc)
                rc = md5_line(out, bar + 1, v.len - (size_t)(bar - v.p) - 1, me->ev.id);
        } else {
            rc = md5_line(out, v.p, v.len, me->ev.id);
        }
    }
    kz_buf_free(&v);
    return rc;
}
