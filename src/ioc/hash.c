/* hash.c — file hashes, alone or after a file name ("name.exe|<hash>").
 * The hash kind is its length in hex digits; the text is lower-cased, the one
 * form every tool prints.
 */
#include "ioc_int.h"

#include <string.h>

bool kz_ioc__all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = kz_ioc__lower(s[i]);
        if (!kz_ioc__isdigit(ch) && !(ch >= 'a' && ch <= 'f'))
            return false;
    }
    return true;
}

static size_t hex_len(kz_ioc_type t)
{
    switch (t) {
    case KZ_IOC_MD5: return 32;
    case KZ_IOC_SHA1: return 40;
    case KZ_IOC_SHA256: return 64;
    case KZ_IOC_SHA512: return 128;
    default: return 0;
    }
}

static int append_lower(kz_buf *out, const char *s, size_t n)
{
    if (kz_buf_reserve(out, n) < 0)
        return KZ_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        out->p[out->len++] = kz_ioc__lower(s[i]);
    out->p[out->len] = '\0';
    return KZ_OK;
}

int kz_ioc__norm_hash(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    if (n != hex_len(c->type) || !kz_ioc__all_hex(s, n))
        return kz_ioc__fail(c, "is not %s", kz_ioc__what(c->type));
    return append_lower(out, s, n);
}

/* The file name is free text (trimmed, no control characters but tab, which
 * normalize.c has checked); the hash is the part after the last '|'. */
int kz_ioc__norm_filename_hash(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    const char *bar = memrchr(s, '|', n);
    if (!bar)
        return kz_ioc__fail(c, "is not a 'filename|hash' pair: the '|' is missing");
    const char *name = s, *h = bar + 1;
    size_t nn = (size_t)(bar - s), hn = n - nn - 1;
    kz_ioc__trim(&name, &nn);
    kz_ioc__trim(&h, &hn);
    if (nn == 0)
        return kz_ioc__fail(c, "is not a 'filename|hash' pair: the file name is empty");
    if ((hn != 32 && hn != 40 && hn != 64 && hn != 128) || !kz_ioc__all_hex(h, hn))
        return kz_ioc__fail(c, "is not a 'filename|hash' pair: the hash must be an MD5, SHA-1, "
                               "SHA-256 or SHA-512 in hex (32, 40, 64 or 128 digits)");
    if (kz_buf_append(out, name, nn) < 0 || kz_buf_putc(out, '|') < 0)
        return KZ_E_NOMEM;
    return append_lower(out, h, hn);
}
