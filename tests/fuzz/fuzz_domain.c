/* fuzz_domain.c — domain and host names, IDN included (libidn2 turns
 * U-labels into A-labels), then what the index and the search do with a
 * normalised name: the registrable domain (libpsl) and the label-reversed
 * key. Properties: normalised names are fixed points; reversing twice gives
 * the name back; a registrable domain is a suffix of the name and is itself
 * a normalised domain.
 */
#include "fuzz_ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *p = (const char *)data;
    kz_buf out;
    kz_buf_init(&out);
    static const kz_ioc_type types[] = {KZ_IOC_DOMAIN, KZ_IOC_HOSTNAME};
    for (size_t t = 0; t < KZ_ARRAY_LEN(types); t++) {
        if (fuzz_norm_fixed(types[t], p, size, &out) != 0)
            continue;
        const char *d = out.p;
        size_t dn = out.len;
        FUZZ_CHECK(strlen(d) == dn, "NUL inside a normalised name");
        char rev[1024], rev2[1024], reg[1024];
        kz_domain_reverse(d, rev, sizeof rev);
        if (rev[0]) {
            kz_domain_reverse(rev, rev2, sizeof rev2);
            FUZZ_CHECK(strcmp(rev2, d) == 0, "reverse twice: '%s' -> '%s' -> '%s'", d, rev, rev2);
        }
        if (kz_domain_registrable(d, reg, sizeof reg)) {
            size_t rn = strlen(reg);
            FUZZ_CHECK(rn <= dn && strcmp(d + dn - rn, reg) == 0 &&
                           (rn == dn || d[dn - rn - 1] == '.'),
                       "registrable '%s' is not a suffix of '%s'", reg, d);
        }
    }
    kz_buf_free(&out);
    return 0;
}
