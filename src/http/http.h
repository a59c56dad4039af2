/* http.h — layer 3: the node's HTTP face. libmicrohttpd serves the native
 * REST API under /api/v1 (and, later, TAXII and the MISP-compatible API).
 * Authentication, body and rate limits, time-outs and the access log live in
 * this layer; handlers (api_*.c) call the store and filter through the ACL.
 */
#ifndef KZ_HTTP_H
#define KZ_HTTP_H

#include <signal.h>

#include "base/base.h"

typedef struct kz_http_config {
    const char *db_path;
    const char *listen;     /* "127.0.0.1:8080", "[::1]:8080"; port 0 = pick a free one */
    const char *node_name;  /* shown on GET / */
    size_t max_body;        /* bytes; default 64 MiB, larger bodies get 413; only
                               bulk routes take more than 1 MiB (http_int.h) */
    double rate_per_sec;    /* per API key; 0 = unlimited */
    unsigned rate_burst;
    unsigned threads;       /* 0 = one per core */
    unsigned timeout_s;     /* idle connection time-out */
    unsigned per_ip_connections; /* hardening: per client address; 0 = 64 */
    bool access_log;
    /* match engine (match_service.c); zero values are the defaults */
    const char *warninglists; /* MISP warninglists folder; NULL = none */
    unsigned match_orgs;      /* org indexes kept in memory (LRU); 0 = 8 */
    /* federation: HTTPS (tls.c); both PEM files, or neither for plain HTTP */
    const char *tls_cert;
    const char *tls_key;
} kz_http_config;

void kz_http_config_defaults(kz_http_config *cfg);

/* Serves until SIGTERM or SIGINT, then finishes requests in flight and
 * returns. Prints "kizuna: listening on http://HOST:PORT" on stdout once
 * ready (tests wait for that line to learn the port). */
int kz_http_serve(const kz_http_config *cfg, kz_err *err);
/* Blocks the signals that stop a node (SIGTERM, SIGINT) in this thread,
 * and so in every thread it starts from now on: kz_http_serve takes them
 * with sigwait, and a thread with them open would let SIGTERM kill the
 * node instead of stopping it. The set in *stop (may be NULL), the mask
 * before in *old. */
void kz_http_block_stop_signals(sigset_t *stop, sigset_t *old);

/* The routing table, for docs and the test that checks docs/openapi.yaml. */
typedef struct kz_route_info {
    const char *method;
    const char *path; /* OpenAPI style: /api/v1/events/{id} */
} kz_route_info;
size_t kz_http_routes(const kz_route_info **out);

/* ---- match engine: per-org indexes (index_build.c) ------------------------
 * Shared by the server (POST /api/v1/lookup) and `kizuna sweep`. */

typedef struct kz_store kz_store;
typedef struct kz_match_index kz_match_index;
typedef struct kz_match_payload kz_match_payload;
typedef struct kz_match_warninglists kz_match_warninglists;

typedef struct kz_index_build_stats {
    size_t scanned;       /* to_ids indicators read */
    size_t indexed;       /* of those, visible to the org and added */
    size_t warninglisted; /* of those, flagged as on a warninglist */
    size_t skipped;       /* visible but not indexable (the builder refused) */
    double seconds;
    /* Identifies the set of indicators indexed: two builds from the same
     * data with the same digest hold the same index (the server then keeps
     * one copy for orgs that see the same things). */
    uint64_t digest;
} kz_index_build_stats;

/* Compiles every to_ids indicator that org_id may see into an index (the
 * caller owns the reference). Visibility is decided by kz_acl_indicator_allows
 * for a principal of that org with no user: TLP:RED is for named people, so
 * RED indicators are never in an org's index. Payloads carry the effective
 * TLP (the stricter of indicator and event), the creator org, and as tags the
 * indicator's tags then the event's, comma-joined; indicators on a
 * warninglist are indexed with to_ids false and the list name behind the
 * tags (read both with kz_index_payload_warninglist). KZ_E_NOTFOUND when the
 * org does not exist. */
int kz_index_build_for_org(kz_store *st, const char *org_id, kz_match_index **out, kz_err *err);
/* The same with figures (stats may be NULL). */
int kz_index_build(kz_store *st, const char *org_id, kz_match_index **out,
                   kz_index_build_stats *stats, kz_err *err);

/* For a payload of such an index: the warninglist its indicator is on (NULL
 * when none: the hit is an alert), and in *tags_len (if not NULL) the length
 * of the real tags at the start of p->tags (0 when none). Print p->tags only
 * through tags_len. */
const char *kz_index_payload_warninglist(const kz_match_payload *p, size_t *tags_len);

/* Loads MISP warninglists from dir and makes the store flag every indicator
 * it writes from now on (kz_store_set_warninglist_check). One set per
 * process; loading again replaces it. *out (if not NULL) gets the lists,
 * which stay owned by this module. */
int kz_warninglists_install(const char *dir, const kz_match_warninglists **out, kz_err *err);
/* Removes the check and frees the lists (at exit, in tests). */
void kz_warninglists_uninstall(void);

/* ---- notifications: the webhook dispatcher (webhook_dispatch.c) ----------
 * One per process, started by `kizuna serve` next to the HTTP server. It
 * follows the change log with each webhook's cursor and POSTs what the
 * webhook's org may see, signed, with bounded retries. */
typedef struct kz_webhook_config {
    const char *db_path;
    /* Deliver to (and accept) loopback, private, link-local and other
     * non-public addresses. Off by default (SSRF); tests and closed
     * networks turn it on. */
    bool allow_private;
    unsigned poll_ms;       /* change-log polling interval; 0 = 1000 */
    unsigned retry_base_ms; /* first retry delay, doubled each time; 0 = 5000 */
    unsigned max_attempts;  /* per change, then it is skipped (logged); 0 = 8 */
    unsigned timeout_s;     /* per POST; 0 = 10 */
    unsigned workers;       /* webhooks delivered at once; 0 = 4 */
} kz_webhook_config;
#define KZ_WEBHOOK_WORKERS_MAX 64

int kz_webhook_dispatcher_start(const kz_webhook_config *cfg, kz_err *err);
void kz_webhook_dispatcher_stop(void);
/* Whether webhook URLs may point at non-public addresses (the setting above). */
bool kz_webhook_allow_private(void);

/* Points of contact on the wire (notify_contact.c), shared by the API and
 * `kizuna contact`. Applies the members of j to c (create: name and a phone
 * or e-mail are required; otherwise only the members present change),
 * validating each: phone (+ and 7-15 digits), e-mail, PGP fingerprint (40
 * hex digits, spaces allowed), languages (BCP 47 tags), timezone (an IANA
 * name the system knows), escalation (1-99), last_verified (RFC 3339, not
 * in the future). Unknown members are refused. */
struct kz_contact;
struct json_t;
int kz_contact_json_apply(const struct json_t *j, bool create, kz_arena *a, struct kz_contact *c,
                          kz_err *err);
/* The JSON of a contact; stale when last verified before stale_before. */
struct json_t *kz_contact_json(const struct kz_contact *c, kz_time stale_before);
/* Contacts not verified for this many days are stale (node meta
 * "contacts.stale_days", else 180). */
#define KZ_CONTACT_STALE_DAYS 180

#endif
