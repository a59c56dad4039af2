/* http.h — layer 3: the node's HTTP face. libmicrohttpd serves the native
 * REST API under /api/v1 (and, later, TAXII and the MISP-compatible API).
 * Authentication, body and rate limits, time-outs and the access log live in
 * this layer; handlers (api_*.c) call the store and filter through the ACL.
 */
#ifndef KZ_HTTP_H
#define KZ_HTTP_H

#include "base/base.h"

typedef struct kz_http_config {
    const char *db_path;
    const char *listen;     /* "127.0.0.1:8080", "[::1]:8080"; port 0 = pick a free one */
    const char *node_name;  /* shown on GET / */
    size_t max_body;        /* bytes; default 64 MiB, larger bodies get 413 */
    double rate_per_sec;    /* per API key; 0 = unlimited */
    unsigned rate_burst;
    unsigned threads;       /* 0 = one per core */
    unsigned timeout_s;     /* idle connection time-out */
    bool access_log;
} kz_http_config;

void kz_http_config_defaults(kz_http_config *cfg);

/* Serves until SIGTERM or SIGINT, then finishes requests in flight and
 * returns. Prints "kizuna: listening on http://HOST:PORT" on stdout once
 * ready (tests wait for that line to learn the port). */
int kz_http_serve(const kz_http_config *cfg, kz_err *err);

/* The routing table, for docs and the test that checks docs/openapi.yaml. */
typedef struct kz_route_info {
    const char *method;
    const char *path; /* OpenAPI style: /api/v1/events/{id} */
} kz_route_info;
size_t kz_http_routes(const kz_route_info **out);

#endif
