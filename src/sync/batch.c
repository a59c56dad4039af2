/* batch.c — what one feed page or push carries:
 *   {"from_node":..,"cursor":N,"more":bool,"objects":[envelope...]}
 * compressed with zlib (HTTP's "deflate") when asked.
 *
 * Decoding treats the bytes as hostile: zlib is told apart from JSON by its
 * header, inflation stops at a hard cap (a few kilobytes of zlib can claim
 * gigabytes), and the top-level shape is checked before anyone looks at an
 * envelope. The envelopes themselves are checked by kz_sync_envelope_open.
 */
#include "sync_int.h"

#include <stdio.h>
#include <string.h>

#include <zlib.h>

#define CHUNK (256 * 1024)

int kz__sync_deflate(const void *in, size_t n, kz_buf *out, kz_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* Level 1: JSON shrinks ~5x already; the higher levels cost 3-5x the
     * time of a page for a few percent. */
    if (deflateInit(&z, Z_BEST_SPEED) != Z_OK)
        return kz_fail(err, KZ_E_NOMEM, "", "cannot start zlib");
    const uint8_t *p = in;
    size_t left = n;
    int zr = Z_OK, rc = KZ_OK;
    do {
        uInt take = left > CHUNK ? CHUNK : (uInt)left;
        z.next_in = (Bytef *)p;
        z.avail_in = take;
        p += take;
        left -= take;
        int flush = left ? Z_NO_FLUSH : Z_FINISH;
        do {
            if (kz_buf_reserve(out, CHUNK) != 0) {
                rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
                break;
            }
            z.next_out = (Bytef *)out->p + out->len;
            z.avail_out = CHUNK;
            zr = deflate(&z, flush);
            out->len += CHUNK - z.avail_out;
            out->p[out->len] = '\0';
        } while (z.avail_out == 0 && !rc);
    } while (left && !rc);
    deflateEnd(&z);
    if (!rc && zr != Z_STREAM_END)
        rc = kz_fail(err, KZ_E_INTERNAL, "", "zlib could not finish the stream");
    return rc;
}

int kz__sync_inflate(const void *in, size_t n, size_t max, kz_buf *out, kz_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return kz_fail(err, KZ_E_NOMEM, "", "cannot start zlib");
    const uint8_t *p = in;
    size_t left = n, start = out->len;
    int zr = Z_OK, rc = KZ_OK;
    while (!rc && zr != Z_STREAM_END) {
        if (!z.avail_in) {
            if (!left) {
                rc = kz_fail(err, KZ_E_INVALID, "", "compressed batch is truncated");
                break;
            }
            uInt take = left > CHUNK ? CHUNK : (uInt)left;
            z.next_in = (Bytef *)p;
            z.avail_in = take;
            p += take;
            left -= take;
        }
        if (kz_buf_reserve(out, CHUNK) != 0) {
            rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            break;
        }
        z.next_out = (Bytef *)out->p + out->len;
        z.avail_out = CHUNK;
        zr = inflate(&z, Z_NO_FLUSH);
        out->len += CHUNK - z.avail_out;
        out->p[out->len] = '\0';
        if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && z.avail_out))
            rc = kz_fail(err, KZ_E_INVALID, "", "compressed batch is corrupt (zlib: %s)",
                         z.msg ? z.msg : zError(zr));
        else if (out->len - start > max)
            rc = kz_fail(err, KZ_E_TOOLARGE, "",
                         "batch inflates to more than %zu bytes (the limit); refusing it "
                         "(a compression bomb, or a page too large for this node)",
                         max);
    }
    if (!rc && (z.avail_in || left))
        rc = kz_fail(err, KZ_E_INVALID, "", "compressed batch has %zu bytes after its end",
                     (size_t)z.avail_in + left);
    inflateEnd(&z);
    return rc;
}

/* A zlib stream starts with CMF/FLG: method 8, window <= 32K, and the pair a
 * multiple of 31. No JSON text (which starts with '{' or white space) does. */
static bool is_zlib(const uint8_t *b, size_t n)
{
    return n >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0;
}

static int dump_cb(const char *p, size_t n, void *data)
{
    return kz_buf_append(data, p, n) == 0 ? 0 : -1;
}

int kz_sync_batch_encode(const kz_sync_batch *b, bool compress, kz_buf *out, kz_err *err)
{
    json_t *o = json_object();
    if (!o)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    int bad = json_object_set_new(o, "from_node", json_string(b->from_node));
    bad |= json_object_set_new(o, "cursor", json_integer(b->cursor));
    bad |= json_object_set_new(o, "more", json_boolean(b->more));
    bad |= json_object_set_new(o, "objects", b->objects ? json_incref(b->objects) : json_array());
    if (bad) {
        json_decref(o);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    kz_buf plain;
    kz_buf_init(&plain);
    kz_buf *dst = compress ? &plain : out;
    int rc = KZ_OK;
    if (json_dump_callback(o, dump_cb, dst, JSON_COMPACT) != 0)
        rc = kz_fail(err, KZ_E_NOMEM, "", "cannot write the batch (out of memory?)");
    json_decref(o);
    if (!rc && compress)
        rc = kz__sync_deflate(plain.p, plain.len, out, err);
    kz_buf_free(&plain);
    return rc;
}

static bool node_id_valid(const char *s, size_t n)
{
    if (n != KZ_NODE_ID_LEN || s[KZ_UUID_STRLEN] != '/')
        return false;
    char u[KZ_UUID_STRLEN + 1];
    memcpy(u, s, KZ_UUID_STRLEN);
    u[KZ_UUID_STRLEN] = '\0';
    kz_uuid norm;
    if (!kz_uuid_normalize(u, norm) || strcmp(norm, u) != 0)
        return false;
    for (size_t i = KZ_UUID_STRLEN + 1; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int shape(const json_t *j, kz_sync_batch *out, kz_err *err)
{
    if (!json_is_object(j))
        return kz_fail(err, KZ_E_INVALID, "", "a batch must be a JSON object");
    const char *k;
    json_t *v;
    json_t *objects = NULL;
    int seen = 0;
    json_object_foreach((json_t *)j, k, v) {
        if (!strcmp(k, "from_node")) {
            if (!json_is_string(v) || !node_id_valid(json_string_value(v), json_string_length(v)))
                return kz_fail(err, KZ_E_INVALID, "from_node",
                               "batch: 'from_node' must be a node id (\"<org uuid>/<32 hex "
                               "fingerprint>\")");
            memcpy(out->from_node, json_string_value(v), KZ_NODE_ID_LEN + 1);
            seen |= 1;
        } else if (!strcmp(k, "cursor")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                return kz_fail(err, KZ_E_INVALID, "cursor",
                               "batch: 'cursor' must be a non-negative integer");
            out->cursor = json_integer_value(v);
            seen |= 2;
        } else if (!strcmp(k, "more")) {
            if (!json_is_boolean(v))
                return kz_fail(err, KZ_E_INVALID, "more", "batch: 'more' must be true or false");
            out->more = json_is_true(v);
            seen |= 4;
        } else if (!strcmp(k, "objects")) {
            if (!json_is_array(v))
                return kz_fail(err, KZ_E_INVALID, "objects", "batch: 'objects' must be an array");
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                if (!json_is_object(e))
                    return kz_fail(err, KZ_E_INVALID, "objects",
                                   "batch: 'objects[%zu]' must be an envelope object", i);
            }
            objects = v;
            seen |= 8;
        } else {
            char q[72]; /* printable: the message ends up in logs */
            kz__sync_quote(k, strlen(k), q);
            return kz_fail(err, KZ_E_INVALID, "", "batch: unknown field '%s'", q);
        }
    }
    static const char *const names[] = {"from_node", "cursor", "more", "objects"};
    for (int i = 0; i < 4; i++)
        if (!(seen & (1 << i)))
            return kz_fail(err, KZ_E_INVALID, names[i], "batch: field '%s' is missing", names[i]);
    out->objects = json_incref(objects);
    return KZ_OK;
}

int kz_sync_batch_decode(const void *bytes, size_t len, size_t max_bytes, kz_sync_batch *out,
                         kz_err *err)
{
    memset(out, 0, sizeof *out);
    kz_buf plain;
    kz_buf_init(&plain);
    const char *text = bytes;
    size_t n = len;
    int rc = KZ_OK;
    if (is_zlib(bytes, len)) {
        rc = kz__sync_inflate(bytes, len, max_bytes, &plain, err);
        text = plain.p;
        n = plain.len;
    } else if (len > max_bytes) {
        rc = kz_fail(err, KZ_E_TOOLARGE, "", "batch is %zu bytes, more than the limit of %zu",
                     len, max_bytes);
    }
    json_t *j = NULL;
    if (!rc) {
        json_error_t je;
        j = json_loadb(text ? text : "", n, JSON_REJECT_DUPLICATES, &je);
        if (!j)
            rc = kz_fail(err, KZ_E_INVALID, "",
                         "batch is neither zlib data nor valid JSON (line %d column %d: %s)",
                         je.line, je.column, je.text);
    }
    kz_buf_free(&plain);
    if (!rc) {
        kz_sync_batch tmp;
        memset(&tmp, 0, sizeof tmp);
        rc = shape(j, &tmp, err);
        if (!rc)
            *out = tmp;
    }
    json_decref(j);
    return rc;
}

void kz_sync_batch_clear(kz_sync_batch *b)
{
    if (!b)
        return;
    json_decref(b->objects);
    memset(b, 0, sizeof *b);
}
