/* cursor.c — the opaque page cursors of list and search. A cursor is the
 * keyset position of the last row a page examined, so pages stay right while
 * rows are added. Clients must treat it as opaque; we still decode it
 * strictly, because it comes back from the network: a cursor that is not one
 * of ours is a 400, never a query with garbage in it.
 *
 * Shapes before base64url: "e1.<modified µs>.<event uuid>" and "s1.<seq>".
 */
#include "http_int.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static char *encode(kz_arena *a, const char *raw)
{
    size_t n = strlen(raw);
    size_t cap = sodium_base64_ENCODED_LEN(n, B64);
    char *out = kz_arena_alloc(a, cap);
    if (!out)
        return NULL;
    sodium_bin2base64(out, cap, (const unsigned char *)raw, n, B64);
    return out;
}

static int decode(const char *s, char *raw, size_t cap, kz_err *err)
{
    size_t n = 0, in = strlen(s);
    if (in == 0 || in > 120 ||
        sodium_base642bin((unsigned char *)raw, cap - 1, s, in, NULL, &n, NULL, B64) != 0)
        return kz_fail(err, KZ_E_INVALID, "cursor",
                       "cursor is not one this node handed out; start again without it");
    raw[n] = 0;
    if (strlen(raw) != n)
        return kz_fail(err, KZ_E_INVALID, "cursor",
                       "cursor is not one this node handed out; start again without it");
    return 0;
}

static bool parse_i64(const char *s, const char *end, int64_t *out)
{
    if (s == end || *s == '-' || *s == '+')
        return false;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (errno || e != end)
        return false;
    *out = v;
    return true;
}

char *kz_cursor_encode_event(kz_arena *a, kz_time modified, const char *id)
{
    char raw[80];
    snprintf(raw, sizeof raw, "e1.%" PRId64 ".%s", modified, id);
    return encode(a, raw);
}

int kz_cursor_decode_event(const char *s, kz_time *modified, kz_uuid id, kz_err *err)
{
    char raw[100];
    if (decode(s, raw, sizeof raw, err) < 0)
        return KZ_E_INVALID;
    char *dot = strchr(raw + 3, '.');
    int64_t t;
    if (strncmp(raw, "e1.", 3) != 0 || !dot || !parse_i64(raw + 3, dot, &t) ||
        !kz_uuid_normalize(dot + 1, id) || strlen(dot + 1) != KZ_UUID_STRLEN)
        return kz_fail(err, KZ_E_INVALID, "cursor",
                       "cursor is not an event-list cursor of this node; start again without it");
    *modified = t;
    return 0;
}

char *kz_cursor_encode_seq(kz_arena *a, int64_t seq)
{
    char raw[40];
    snprintf(raw, sizeof raw, "s1.%" PRId64, seq);
    return encode(a, raw);
}

int kz_cursor_decode_seq(const char *s, int64_t *seq, kz_err *err)
{
    char raw[100];
    if (decode(s, raw, sizeof raw, err) < 0)
        return KZ_E_INVALID;
    int64_t v;
    if (strncmp(raw, "s1.", 3) != 0 || !parse_i64(raw + 3, raw + strlen(raw), &v))
        return kz_fail(err, KZ_E_INVALID, "cursor",
                       "cursor is not a search cursor of this node; start again without it");
    *seq = v;
    return 0;
}
