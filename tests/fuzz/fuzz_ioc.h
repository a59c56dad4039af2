/* fuzz_ioc.h — the property the observable targets share: a value that
 * normalises normalises to itself (the canonical text is a fixed point), so
 * that a value stored, exported and imported again stays one value.
 */
#ifndef KZ_FUZZ_IOC_H
#define KZ_FUZZ_IOC_H

#include "fuzz_common.h"

#include "ioc/ioc.h"

/* Normalises p[0..n) as t into out; when that works, checks the fixed
 * point. Returns the first normalisation's result. */
static inline int fuzz_norm_fixed(kz_ioc_type t, const char *p, size_t n, kz_buf *out)
{
    kz_err err;
    int rc = kz_ioc_normalize(t, p, n, out, &err);
    if (rc != 0) {
        FUZZ_CHECK(rc == KZ_E_VALUE || rc == KZ_E_INVALID || rc == KZ_E_TOOLARGE,
                   "normalize(%s) returned %d", kz_ioc_type_name(t), rc);
        return rc;
    }
    kz_buf again;
    kz_buf_init(&again);
    int rc2 = kz_ioc_normalize(t, out->p ? out->p : "", out->len, &again, &err);
    FUZZ_CHECK(rc2 == 0, "%s: canonical '%.*s' does not normalise again: %s", kz_ioc_type_name(t),
               (int)out->len, out->p, err.msg);
    FUZZ_CHECK(again.len == out->len &&
                   (out->len == 0 || memcmp(again.p, out->p, out->len) == 0),
               "%s: not a fixed point: '%.*s' -> '%.*s' -> '%.*s'", kz_ioc_type_name(t),
               (int)(n > 200 ? 200 : n), p, (int)out->len, out->p, (int)again.len, again.p);
    kz_buf_free(&again);
    return 0;
}

#endif
