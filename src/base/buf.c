/* buf.c — growable, always NUL-terminated byte buffers for building output. */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kz_buf_init(kz_buf *b) { memset(b, 0, sizeof *b); }

void kz_buf_free(kz_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void kz_buf_reset(kz_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

int kz_buf_reserve(kz_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len)
        return KZ_E_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return KZ_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return KZ_E_NOMEM;
    b->p = p;
    b->cap = cap;
    return KZ_OK;
}

int kz_buf_append(kz_buf *b, const void *p, size_t n)
{
    if (kz_buf_reserve(b, n))
        return KZ_E_NOMEM;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return KZ_OK;
}

int kz_buf_puts(kz_buf *b, const char *s) { return kz_buf_append(b, s, strlen(s)); }

int kz_buf_putc(kz_buf *b, char c) { return kz_buf_append(b, &c, 1); }

int kz_buf_printf(kz_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || kz_buf_reserve(b, (size_t)n)) {
        va_end(ap2);
        return KZ_E_NOMEM;
    }
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
    return KZ_OK;
}

char *kz_buf_steal(kz_buf *b)
{
    if (!b->p) {
        if (kz_buf_reserve(b, 0))
            return NULL;
        b->p[0] = '\0';
    }
    char *p = b->p;
    memset(b, 0, sizeof *b);
    return p;
}
