/* tls.c — HTTPS for `kizuna serve --tls-cert FILE --tls-key FILE`
 * (federation: peers talk HTTPS; docs/federation.md).
 *
 * libmicrohttpd (GnuTLS) takes the PEM certificate chain and key from
 * memory. They are read once at start, bounded in size, and kept for the
 * life of the server like the rest of its configuration; the key is wiped
 * when the server stops. Both files or neither: half a TLS configuration is
 * refused rather than silently served in clear.
 */
#include "http_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_MAX ((size_t)1 << 20)

static char *g_cert, *g_key;
static size_t g_key_len;
static struct MHD_OptionItem g_opts[3] = {{MHD_OPTION_END, 0, NULL}};

static int read_pem(const char *path, const char *what, char **out, size_t *len, kz_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return kz_fail(err, KZ_E_IO, what, "cannot read the TLS %s '%.300s'", what, path);
    char *buf = malloc(PEM_MAX + 1);
    size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
    fclose(f);
    if (!buf)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (n == 0 || n > PEM_MAX || !strstr(buf, "-----BEGIN ")) {
        sodium_memzero(buf, PEM_MAX + 1);
        free(buf);
        return kz_fail(err, KZ_E_VALUE, what, "the TLS %s '%.300s' is not a PEM file of at most "
                                              "1 MiB", what, path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int kz_http_tls_load(const kz_http_config *cfg, kz_err *err)
{
    if (!cfg->tls_cert && !cfg->tls_key)
        return 0;
    if (!cfg->tls_cert || !cfg->tls_key)
        return kz_fail(err, KZ_E_VALUE, cfg->tls_cert ? "tls-key" : "tls-cert",
                       "HTTPS needs both --tls-cert and --tls-key");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return kz_fail(err, KZ_E_INTERNAL, "tls-cert",
                       "this libmicrohttpd was built without TLS support");
    size_t cert_len = 0;
    int rc = read_pem(cfg->tls_cert, "certificate", &g_cert, &cert_len, err);
    if (!rc)
        rc = read_pem(cfg->tls_key, "key", &g_key, &g_key_len, err);
    if (rc) {
        kz_http_tls_free();
        return rc;
    }
    g_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, g_key};
    g_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, g_cert};
    g_opts[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return 0;
}

unsigned kz_http_tls_flags(void) { return g_key ? MHD_USE_TLS : 0; }

struct MHD_OptionItem *kz_http_tls_options(void) { return g_opts; }

const char *kz_http_tls_scheme(void) { return g_key ? "https" : "http"; }

void kz_http_tls_free(void)
{
    if (g_key)
        sodium_memzero(g_key, g_key_len);
    free(g_key);
    free(g_cert);
    g_key = g_cert = NULL;
    g_key_len = 0;
    g_opts[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}
