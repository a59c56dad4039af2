/* fuzz_cursor.c — the opaque page cursors (src/http/cursor.c) that every
 * list, search, sightings page and TAXII `next` hands back to clients, opened
 * under a fixed test secret. Input: one selector byte, then the cursor text.
 * A forged cursor must be refused with KZ_E_INVALID on field "cursor" (a
 * random input that opens would be a forgery: 2^-128). Property: the
 * encoders' output (of values taken from the input) decodes to those values,
 * and only by the decoder of its own kind.
 */
#include "fuzz_common.h"

#include "http/http_int.h"

static kz_http_server g_srv;

static int64_t take64(const uint8_t *p, size_t n)
{
    uint64_t u = 0;
    for (size_t i = 0; i < 8 && i < n; i++)
        u = u << 8 | p[i];
    return (int64_t)u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    static bool keyed;
    if (!keyed) {
        keyed = true;
        uint8_t secret[32] = "kizuna fuzz test secret, fixed.";
        memcpy(g_srv.secret, secret, sizeof secret);
        kz_cursor_key(g_srv.secret, g_srv.cursor_key);
    }
    if (size < 1)
        return 0;
    kz_req r = {.srv = &g_srv};
    kz_arena_init(&r.arena);
    char *s = fuzz_strdup(data + 1, size - 1);
    kz_time t;
    int64_t seq;
    kz_uuid id;
    int rc;
    switch (data[0] % 4) {
    case 0:
        rc = kz_cursor_decode_event(&r, s, &t, id);
        break;
    case 1:
        rc = kz_cursor_decode_seq(&r, s, &seq);
        break;
    case 2:
        rc = kz_cursor_decode_sighting(&r, s, &t, &seq);
        break;
    default: {
        /* round trip of values from the input */
        int64_t a = take64(data + 1, size - 1), b = size > 9 ? take64(data + 9, size - 9) : -a;
        char uuid[KZ_UUID_STRLEN + 1];
        kz_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", data, size, uuid);
        char *c = kz_cursor_encode_event(&r, a, uuid);
        FUZZ_CHECK(c, "encode_event failed");
        FUZZ_CHECK(kz_cursor_decode_event(&r, c, &t, id) == 0 && t == a && strcmp(id, uuid) == 0,
                   "event cursor round trip: %lld %s", (long long)a, uuid);
        FUZZ_CHECK(kz_cursor_decode_seq(&r, c, &seq) == KZ_E_INVALID, "event cursor as seq");
        c = kz_cursor_encode_seq(&r, b);
        FUZZ_CHECK(c && kz_cursor_decode_seq(&r, c, &seq) == 0 && seq == b, "seq round trip");
        FUZZ_CHECK(kz_cursor_decode_sighting(&r, c, &t, &seq) == KZ_E_INVALID,
                   "seq cursor as sighting");
        c = kz_cursor_encode_sighting(&r, a, b);
        FUZZ_CHECK(c && kz_cursor_decode_sighting(&r, c, &t, &seq) == 0 && t == a && seq == b,
                   "sighting round trip");
        FUZZ_CHECK(kz_cursor_decode_event(&r, c, &t, id) == KZ_E_INVALID,
                   "sighting cursor as event");
        rc = KZ_E_INVALID;
        strcpy(r.err.field, "cursor");
        break;
    }
    }
    FUZZ_CHECK(rc == KZ_E_INVALID && strcmp(r.err.field, "cursor") == 0,
               "a forged cursor opened (rc %d): '%.100s'", rc, s);
    free(s);
    kz_arena_free(&r.arena);
    return 0;
}
