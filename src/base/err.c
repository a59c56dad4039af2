/* err.c — filling kz_err. Errors carry a message a user can act on and the
 * field at fault, so the HTTP layer can answer {"error":{code,message,field}}. */
#include "base.h"

#include <stdio.h>
#include <string.h>

int kz_fail(kz_err *err, int code, const char *field, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void kz_err_clear(kz_err *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const char *kz_err_name(int code)
{
    switch (code) {
    case KZ_OK: return "ok";
    case KZ_E_INVALID: return "invalid";
    case KZ_E_NOTFOUND: return "not_found";
    case KZ_E_CONFLICT: return "conflict";
    case KZ_E_FORBIDDEN: return "forbidden";
    case KZ_E_UNAUTH: return "unauthorized";
    case KZ_E_TOOLARGE: return "too_large";
    case KZ_E_RATE: return "rate_limited";
    case KZ_E_NOMEM: return "out_of_memory";
    case KZ_E_IO: return "io";
    case KZ_E_DB: return "database";
    case KZ_E_MEDIA: return "unsupported_media_type";
    case KZ_E_VALUE: return "invalid_value";
    default: return "internal";
    }
}
