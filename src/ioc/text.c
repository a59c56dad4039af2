/* text.c — free-text types (file names, user agents, mutexes, registry keys,
 * text): nothing to canonicalise beyond what normalize.c already did
 * (trimming, size, UTF-8, control characters); case and inner spacing are
 * kept because they are part of the value (a mutex name is case-sensitive).
 */
#include "ioc_int.h"

int kz_ioc__norm_text(const kz_ioc_ctx *c, const char *s, size_t n, kz_buf *out)
{
    (void)c;
    return kz_buf_append(out, s, n);
}
