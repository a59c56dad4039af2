/* fuzz_url.c — URLs: refanging, normalisation, and the host the match index
 * files a URL under. Properties: a normalised URL is a fixed point, and its
 * host, when it is a valid host name, is in normal form.
 */
#include "fuzz_ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    const char *p = (const char *)data;
    kz_buf out, h;
    kz_buf_init(&out);
    kz_buf_init(&h);
    if (fuzz_norm_fixed(KZ_IOC_URL, p, size, &out) == 0) {
        char host[1024];
        if (kz_url_host(out.p, host, sizeof host) && host[0]) {
            kz_ip ip;
            /* The URL's host need not be a valid indicator of its own (a
             * single label, an unknown suffix): when it is one, it must
             * already be in normal form, as the url-host index keys on it. */
            kz_err err;
            if (kz_ip_parse(host, strlen(host), &ip) != 0 &&
                kz_ioc_normalize(KZ_IOC_HOSTNAME, host, strlen(host), &h, &err) == 0)
                FUZZ_CHECK(strcmp(h.p, host) == 0, "URL '%s': host '%s' is not normal ('%s')",
                           out.p, host, h.p);
        }
    }
    kz_buf_free(&out);
    kz_buf_free(&h);
    return 0;
}
