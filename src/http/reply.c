/* reply.c — turning a handler's result into bytes on the wire. Every answer is
 * JSON with one error shape, and every KZ_E_* maps to exactly one status, so
 * clients can rely on {"error":{"code","message","field"}} everywhere.
 * Internal failures answer a generic message: the detail goes to the log,
 * never to the client (it may name paths or SQL).
 */
#include "http_int.h"
#include "taxii_int.h" /* TAXII error resources */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned kz_http_status_of(int code)
{
    switch (code) {
    case KZ_OK: return MHD_HTTP_OK;
    case KZ_E_INVALID: return MHD_HTTP_BAD_REQUEST;
    case KZ_E_UNAUTH: return MHD_HTTP_UNAUTHORIZED;
    case KZ_E_FORBIDDEN: return MHD_HTTP_FORBIDDEN;
    case KZ_E_NOTFOUND: return MHD_HTTP_NOT_FOUND;
    case KZ_E_CONFLICT: return MHD_HTTP_CONFLICT;
    case KZ_E_TOOLARGE: return MHD_HTTP_CONTENT_TOO_LARGE;
    case KZ_E_MEDIA: return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    case KZ_E_VALUE: return MHD_HTTP_UNPROCESSABLE_CONTENT;
    case KZ_E_RATE: return MHD_HTTP_TOO_MANY_REQUESTS;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

static bool is_internal(int code) { return kz_http_status_of(code) == 500; }

enum MHD_Result kz_http_send_raw(kz_req *r, unsigned status, const char *ctype, char *body,
                                 size_t len)
{
    struct MHD_Response *resp =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (body && ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"kizuna\", Basic realm=\"kizuna\", charset=\"UTF-8\"");
    if (status == MHD_HTTP_TOO_MANY_REQUESTS) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after ? r->retry_after : 1);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) {
        r->replied = true;
        r->status = status;
        r->bytes_sent = body ? len : 0;
    }
    return ret;
}

static enum MHD_Result send_json(kz_req *r, unsigned status, json_t *j)
{
    char *body = NULL;
    size_t len = 0;
    if (j) {
        body = json_dumps(j, JSON_COMPACT);
        if (!body) {
            status = 500;
            body = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"internal error\","
                          "\"field\":null}}");
            if (!body)
                return MHD_NO;
        }
        len = strlen(body);
    }
    return kz_http_send_raw(r, status, "application/json", body, len);
}

static json_t *error_json(const kz_req *r, int code, const char *field, const char *msg)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(kz_err_name(code)));
    /* Messages quote client input; json_string refuses invalid UTF-8, so
     * fall back to a message that quotes nothing. */
    json_t *m = json_string(msg && *msg ? msg : kz_err_name(code));
    json_object_set_new(e, "message", m ? m : json_string("the request is invalid"));
    json_t *f = field && *field ? json_string(field) : NULL;
    json_object_set_new(e, "field", f ? f : json_null());
    if (r->errs.n > 0)
        json_object_set_new(e, "errors", kz_json_errlist(&r->errs));
    json_t *top = json_object();
    json_object_set_new(top, "error", e);
    return top;
}

enum MHD_Result kz_http_send_error(kz_req *r, int code, const char *field, const char *msg)
{
    if (code >= 0)
        code = KZ_E_INTERNAL;
    if (is_internal(code)) {
        kz_log(KZ_LOG_ERROR, "%s %s: %s (%s)", r->method, r->path, msg ? msg : "",
               kz_err_name(code));
        field = NULL;
        msg = "internal error; the node's log has the details";
    }
    /* TAXII: errors under /taxii2/ are TAXII error resources. */
    if (r->path && strncmp(r->path, "/taxii2/", 8) == 0) {
        json_t *t = kz_taxii_error_json(kz_err_name(code), kz_http_status_of(code), msg);
        char *body = t ? json_dumps(t, JSON_COMPACT) : NULL;
        json_decref(t);
        return kz_http_send_raw(r, kz_http_status_of(code), KZ_TAXII_MEDIA, body,
                                body ? strlen(body) : 0);
    }
    json_t *j = error_json(r, code, field, msg);
    enum MHD_Result ret = send_json(r, kz_http_status_of(code), j);
    json_decref(j);
    return ret;
}

enum MHD_Result kz_http_send(kz_req *r)
{
    if (r->status == 0)
        return kz_http_send_error(r, r->err.code ? r->err.code : KZ_E_INTERNAL, r->err.field,
                                  r->err.msg[0] ? r->err.msg : "handler gave no answer");
    return send_json(r, r->status, r->out);
}
