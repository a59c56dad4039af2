/* fuzz_ioc.c — kz_ioc_normalize for every indicator type, as pasted values
 * reach it from the API, CSV and MISP imports: the first byte picks the
 * type (or, past the last type, type guessing as search and text import do
 * it, or MISP type-name resolution), the rest is the value. Canonical
 * values must be fixed points; a guess or a resolution must name a real
 * type (whether the value then normalises is not promised).
 */
#include "fuzz_ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    unsigned sel = data[0] % (KZ_IOC__COUNT + 2);
    kz_buf out;
    kz_buf_init(&out);
    if (sel < KZ_IOC__COUNT) {
        (void)fuzz_norm_fixed((kz_ioc_type)sel, p, n, &out);
    } else if (sel == KZ_IOC__COUNT) {
        int t = kz_ioc_guess(p, n);
        FUZZ_CHECK(t >= -1 && t < KZ_IOC__COUNT, "guess returned %d", t);
        if (t >= 0)
            (void)fuzz_norm_fixed((kz_ioc_type)t, p, n, &out);
        kz_ioc_refang(p, n, &out);
    } else {
        /* "<misp type>\n<value>" as a MISP attribute gives them */
        const char *nl = memchr(p, '\n', n);
        if (nl && (size_t)(nl - p) < 64) {
            char name[64];
            memcpy(name, p, (size_t)(nl - p));
            name[nl - p] = 0;
            const char *v = nl + 1;
            size_t vn = n - (size_t)(nl - p) - 1;
            int t = kz_ioc_type_resolve(name, v, vn);
            FUZZ_CHECK(t >= -1 && t < KZ_IOC__COUNT, "resolve returned %d", t);
            if (t >= 0)
                (void)fuzz_norm_fixed((kz_ioc_type)t, v, vn, &out);
        }
    }
    kz_buf_free(&out);
    return 0;
}
