/* request.c — the life of one request inside libmicrohttpd.
 *
 * MHD calls the access handler first when the headers are in, then once per
 * chunk of body, then once more with no data. We do every check that needs no
 * body on the first call (route, credentials, rate, declared size, content
 * type), so a stranger cannot make the node buffer 64 MiB before being told
 * 401. Each route has its body limit (none, 1 MiB, or max_body for bulk
 * routes: http_int.h); the body is accumulated up to it, and beyond it the
 * request is answered 413 and the rest is dropped unread or discarded,
 * never kept.
 * Everything a request allocates lives in its arena, freed in the completion
 * callback, which also writes the access-log line.
 */
#include "http_int.h"
#include "taxii_int.h" /* TAXII 405 answers */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How much of an oversized body we are willing to read and discard past the
 * route's limit before simply closing the connection. libmicrohttpd 0.9.75
 * cannot queue a response in the middle of an upload, so a chunked body
 * (no Content-Length to refuse up front) is drained to its end and then
 * answered 413; reading costs the node bandwidth only, never memory. */
#define KZ_DISCARD_SLACK ((size_t)64 << 20)

static void inflight_add(kz_http_server *srv, long d) { atomic_fetch_add(&srv->inflight, d); }

static kz_req *req_new(kz_http_server *srv, struct MHD_Connection *conn, const char *url,
                       const char *method)
{
    kz_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    kz_arena_init(&r->arena);
    kz_buf_init(&r->body);
    r->conn = conn;
    r->srv = srv;
    r->started = kz_time_now();
    r->method = kz_arena_strdup(&r->arena, method);
    r->path = kz_arena_strdup(&r->arena, url);
    if (!r->method || !r->path) {
        kz_arena_free(&r->arena);
        free(r);
        return NULL;
    }
    inflight_add(srv, 1);
    return r;
}

static void req_free(kz_req *r)
{
    json_decref(r->out);
    kz_buf_free(&r->body);
    kz_arena_free(&r->arena);
    free(r);
}

/* "application/json", optionally with parameters; a charset must be UTF-8. */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof want - 1) != 0)
        return false;
    const char *p = ct + sizeof want - 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == 0)
        return true;
    if (*p != ';')
        return false;
    /* Only a charset parameter is meaningful; it has to say UTF-8. */
    const char *cs = strcasestr(p, "charset=");
    if (!cs)
        return true;
    cs += 8;
    if (*cs == '"')
        cs++;
    return strncasecmp(cs, "utf-8", 5) == 0 &&
           (cs[5] == 0 || cs[5] == '"' || cs[5] == ';' || cs[5] == ' ');
}

/* 405 has no KZ_E_* of its own. */
#define KZ_HTTP_E_METHOD (-100)

/* Does the request announce a body (a Content-Length of 0 is none)? Then an
 * early error is sent at once (the body is not worth reading); otherwise it
 * waits for the final call, which keeps the connection alive. */
static bool has_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        return end == cl || n != 0;
    }
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
           NULL;
}

/* The route's body limit: 0 when it takes none, --max-body for bulk routes,
 * else the small limit (a 64 MiB body of tiny JSON tokens costs gigabytes to
 * parse, so only routes that need big batches may receive one). */
static size_t route_body_limit(const kz_req *r)
{
    unsigned fl = r->route->flags;
    if (!(fl & (KZ_ROUTE_BODY | KZ_ROUTE_BODY_OPTIONAL)))
        return 0;
    size_t max = r->srv->cfg.max_body;
    if (!(fl & KZ_ROUTE_BULK) && max > KZ_HTTP_SMALL_BODY)
        max = KZ_HTTP_SMALL_BODY;
    return max;
}

/* Checks that need only the headers: 0 to go on, or an error code with
 * r->err filled (KZ_HTTP_E_METHOD for 405). */
static int early_checks(kz_req *r)
{
    int m = kz_router_match(r, r->method, r->path, r->allow, sizeof r->allow);
    if (m == 0)
        return kz_fail(&r->err, KZ_E_NOTFOUND, NULL, "no such route; the API is under /api/v1");
    if (m == 2)
        return kz_fail(&r->err, KZ_HTTP_E_METHOD, NULL, "method %.16s is not allowed here; use %s",
                       r->method, r->allow);

    size_t max = r->body_limit = route_body_limit(r);
    if (max == 0 && has_body(r->conn)) {
        r->body_too_large = true;
        return kz_fail(&r->err, KZ_E_TOOLARGE, NULL, "%s %s takes no request body; send none",
                       r->route->method, r->route->pattern);
    }
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end != cl && n > max) {
            r->body_too_large = true;
            return kz_fail(&r->err, KZ_E_TOOLARGE, NULL,
                           "the body (%llu bytes) is above the limit of %zu bytes", n, max);
        }
    }

    int rc = kz_thread_store(r->srv, &r->st, &r->err);
    if (rc < 0)
        return rc;
    if (!(r->route->flags & KZ_ROUTE_PUBLIC) && (rc = kz_http_authenticate(r)) < 0)
        return rc;
    if ((r->route->flags & KZ_ROUTE_BODY)) {
        const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_type(ct))
            return kz_fail(&r->err, KZ_E_MEDIA, "Content-Type",
                           "the body must be application/json, not '%.100s'",
                           ct ? ct : "(no Content-Type)");
    }
    return 0;
}

static enum MHD_Result send_early(kz_req *r, int code)
{
    if (code != KZ_HTTP_E_METHOD)
        return kz_http_send_error(r, code, r->err.field, r->err.msg);
    /* TAXII (taxii.c): a 405 under /taxii2/ is a TAXII error resource. */
    if (strncmp(r->path, "/taxii2/", 8) == 0)
        return kz_taxii_send_405(r);
    json_t *j = json_pack("{s:{s:s,s:s,s:n}}", "error", "code", "method_not_allowed", "message",
                          r->err.msg, "field");
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return kz_http_send_raw(r, MHD_HTTP_METHOD_NOT_ALLOWED, "application/json", body,
                            body ? strlen(body) : 0);
}

static enum MHD_Result dispatch(kz_req *r)
{
    kz_err_clear(&r->err);
    int rc = r->route->fn(r);
    if (rc >= 0) /* notifications: every successful write is audited */
        kz_http_audit_write(r);
    if (r->replied)
        return MHD_YES;
    if (rc < 0) {
        json_decref(r->out);
        r->out = NULL;
        r->status = 0;
        return kz_http_send_error(r, rc, r->err.field, r->err.msg);
    }
    return kz_http_send(r);
}

enum MHD_Result kz_http_access(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    kz_http_server *srv = cls;
    kz_req *r = *con_cls;
    if (!r) {
        r = req_new(srv, conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        int rc = early_checks(r);
        if (rc < 0) {
            r->early_error = rc;
            if (has_body(conn))
                return send_early(r, rc);
        }
        return MHD_YES;
    }

    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        r->body_seen += n;
        if (!r->replied && !r->early_error && !r->body_too_large &&
            r->body.len + n > r->body_limit) {
            r->body_too_large = true;
            kz_buf_free(&r->body);
        }
        if (r->replied || r->early_error || r->body_too_large) {
            /* Answered already (401, ...) or too large: drop what still
             * arrives until the final call answers, but do not read an
             * endless stream. */
            return r->body_seen > r->body_limit + KZ_DISCARD_SLACK ? MHD_NO : MHD_YES;
        }
        if (kz_buf_append(&r->body, upload, n) < 0)
            return MHD_NO;
        return MHD_YES;
    }

    if (r->replied)
        return MHD_YES;
    if (r->early_error)
        return send_early(r, r->early_error);
    if (r->body_too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is above the limit of %zu bytes for this route",
                 r->body_limit);
        return kz_http_send_error(r, KZ_E_TOOLARGE, NULL, msg);
    }
    return dispatch(r);
}

void kz_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                       enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    kz_http_server *srv = cls;
    kz_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->replied)
        r->status = 0; /* never answered: logged as status 0 */
    if (srv->cfg.access_log)
        kz_access_log(r);
    req_free(r);
    inflight_add(srv, -1);
}
