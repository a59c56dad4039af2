/* http_int.h — what the files of src/http share and nobody outside sees: the
 * per-request state, the handler signature, and the helpers every handler
 * leans on (body parsing, query parameters, path ids, ACL loading, replies).
 * Handlers stay small because all the protocol chores live behind this.
 */
#ifndef KZ_HTTP_INT_H
#define KZ_HTTP_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "formats/formats.h"
#include "http/http.h"
#include "store/store.h"

/* ---- the running server -------------------------------------------------- */

typedef struct kz_ratelimit kz_ratelimit;
typedef struct kz_principal_cache kz_principal_cache;
typedef struct kz_match_service kz_match_service; /* match engine: match_service.c */

typedef struct kz_http_server {
    kz_http_config cfg;
    uint8_t secret[32];        /* node secret, loaded once at start */
    char *node_name;           /* owned */
    kz_ratelimit *rl;          /* NULL when rate_per_sec == 0 */
    kz_principal_cache *pc;
    /* Requests between their first byte and their completion callback, so a
     * shutdown can let them finish before the daemon is stopped. */
    atomic_long inflight;
    atomic_bool draining;      /* stopping: new connections are refused */
    kz_match_service *ms;      /* match engine: per-org lookup indexes */
    /* hardening */
    uint8_t cursor_key[32];    /* seals page cursors (cursor.c), derived from secret */
    kz_ratelimit *basic_email; /* HTTP Basic attempts per e-mail (auth.c) */
    kz_ratelimit *basic_ip;    /* ... and per client address */
    /* notifications (notify_*.c): the audit queue and its writer, live streams */
    struct kz_notify *notify;
    /* the workers' WAL checkpoints, off the request (store/checkpointer.c) */
    kz_checkpointer *checkpointer;
} kz_http_server;

/* ---- one request --------------------------------------------------------- */

typedef struct kz_route kz_route;

#define KZ_HTTP_MAX_PARAMS 4

typedef struct kz_req {
    struct MHD_Connection *conn;
    kz_http_server *srv;
    const char *method;
    const char *path;       /* without the query string */
    kz_time started;
    kz_arena arena;

    /* upload */
    kz_buf body;
    size_t body_limit;      /* hardening: of this route (KZ_ROUTE_BULK or small) */
    bool body_too_large;    /* the rest of the body is being discarded */
    size_t body_seen;       /* bytes received, counted even when discarded */
    bool replied;
    int early_error;        /* found with the headers, answered at the end */

    /* routing */
    const kz_route *route;
    const char *params[KZ_HTTP_MAX_PARAMS];
    size_t n_params;

    /* who asks */
    kz_store *st;
    bool authed;
    kz_principal who;
    kz_uuid key_id;         /* "" for Basic or anonymous; logged, never the key */

    /* answer, filled by handlers */
    unsigned status;
    json_t *out;            /* owned; NULL = empty body */
    kz_err err;             /* when a handler returns < 0 */
    kz_errlist errs;        /* every bad row of a rejected batch */
    unsigned retry_after;   /* seconds, for 429 */
    char allow[64];         /* for 405 */
    size_t bytes_sent;      /* for the access log */
} kz_req;

/* A handler returns 0 after kz_http_ok(), or a negative KZ_E_* with r->err
 * filled; request.c turns either into the HTTP response. */
typedef int (*kz_handler)(kz_req *r);

/* Bodies: a route without KZ_ROUTE_BODY or KZ_ROUTE_BODY_OPTIONAL refuses
 * any body (413 from the headers, nothing read). A body route takes at most
 * KZ_HTTP_SMALL_BODY bytes, or --max-body when it also has KZ_ROUTE_BULK:
 * give KZ_ROUTE_BULK to routes that take batches (events with indicators,
 * bundles, lookups) and to nothing else, since the JSON of a body may cost
 * the node up to KZ_JSON_BUDGET_RATIO times its size while it is parsed. */
enum {
    KZ_ROUTE_PUBLIC = 1, /* no key needed */
    KZ_ROUTE_BODY = 2,   /* takes a JSON body */
    KZ_ROUTE_HTML = 4,   /* answers HTML itself (GET /) */
    KZ_ROUTE_BULK = 8,   /* hardening: body up to --max-body instead of KZ_HTTP_SMALL_BODY */
    KZ_ROUTE_BODY_OPTIONAL = 16, /* hardening: may take a body (any Content-Type) */
};

/* The body limit of routes without KZ_ROUTE_BULK (never above --max-body). */
#define KZ_HTTP_SMALL_BODY ((size_t)1 << 20)

struct kz_route {
    const char *method;
    const char *pattern;   /* OpenAPI syntax: /api/v1/events/{id} */
    kz_handler fn;
    unsigned flags;
};

/* router.c: 1 = matched (route and params set), 0 = no such path,
 * 2 = path exists but not for this method (allow receives "GET, POST"). */
int kz_router_match(kz_req *r, const char *method, const char *path, char *allow,
                    size_t allow_len);

/* request.c: the MHD callbacks. */
enum MHD_Result kz_http_access(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls);
void kz_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                       enum MHD_RequestTerminationCode toe);

/* thread_store.c: this worker thread's connection, opened on first use. */
int kz_thread_store(const kz_http_server *srv, kz_store **out, kz_err *err);
void kz_thread_store_close(void);

/* auth.c: fills r->who / r->key_id, or fails with KZ_E_UNAUTH. */
int kz_http_authenticate(kz_req *r);
kz_principal_cache *kz_principal_cache_new(void);
void kz_principal_cache_free(kz_principal_cache *pc);
/* Roles, org membership or communities changed: forget every cached principal. */
void kz_principal_cache_flush(kz_principal_cache *pc);

/* ratelimit.c: token bucket per key. 0 or KZ_E_RATE with *retry_after set.
 * ids are at most 36 bytes (a UUID). */
kz_ratelimit *kz_ratelimit_new(double rate, unsigned burst);
void kz_ratelimit_free(kz_ratelimit *rl);
int kz_ratelimit_take(kz_ratelimit *rl, const char *id, kz_time now, unsigned *retry_after);
/* Gives back the token a take spent (a Basic attempt that succeeded). */
void kz_ratelimit_refund(kz_ratelimit *rl, const char *id);

/* reply.c */
unsigned kz_http_status_of(int code);
/* Queues r->out (or an error built from r->err) with the right status. */
enum MHD_Result kz_http_send(kz_req *r);
/* Queues a fixed error before a handler ran (auth, limits, routing). */
enum MHD_Result kz_http_send_error(kz_req *r, int code, const char *field, const char *msg);
enum MHD_Result kz_http_send_raw(kz_req *r, unsigned status, const char *ctype, char *body,
                                 size_t len); /* takes body (malloc'd) */

/* access_log.c */
void kz_access_log(const kz_req *r);

/* page.c */
int kz_page_home(kz_req *r);
/* The HTML of GET / (malloc'd), for page.c and its test. */
char *kz_page_render(const char *node_name);

/* ---- helpers for handlers (helpers.c) ------------------------------------ */

/* Sets the answer: status and a JSON body (ownership taken; NULL allowed). */
int kz_http_ok(kz_req *r, unsigned status, json_t *body);
/* Checks the Content-Type and parses the body. 415 / 400 on failure. */
int kz_http_body_json(kz_req *r, json_t **out);
/* Rejects query parameters other than those listed (NULL-terminated). */
int kz_http_query_only(kz_req *r, const char *const *allowed);
/* A query parameter, or NULL; fails on invalid UTF-8 or a repeated name. */
int kz_http_query(kz_req *r, const char *name, const char **out);
/* Typed parameters: absent leaves *out untouched. 400 naming the parameter. */
int kz_http_query_bool(kz_req *r, const char *name, int *out);
int kz_http_query_time(kz_req *r, const char *name, kz_time *out);
int kz_http_query_limit(kz_req *r, size_t *out);
int kz_http_query_uuid(kz_req *r, const char *name, const char **out);
/* The i-th {param} of the path as a UUID, lower-cased; 404 if not a UUID. */
int kz_http_param_uuid(kz_req *r, size_t i, const char *what, char *out);

/* Loads what the ACL needs about an event. */
int kz_http_acl_object(kz_req *r, const kz_event *ev, kz_acl_object *out);
/* Loads an event and checks `action` on it: 404 if not visible, 403 if
 * visible but the action is not allowed. */
int kz_http_event_load(kz_req *r, const char *id, bool with_indicators, kz_acl_action action,
                       kz_event *ev, kz_acl_object *obj);
/* The opening of a route on /events/{id}/…: no query string, the {id}
 * parameter into id, and the event (without indicators) loaded for action. */
int kz_http_event_route(kz_req *r, kz_acl_action action, kz_uuid id, kz_event *ev,
                        kz_acl_object *obj);
/* Loads the {id} indicator and its event: 404 unless the caller may see the
 * indicator, 403 when `action` is not allowed on its event. */
int kz_http_indicator_load(kz_req *r, kz_acl_action action, kz_indicator *ind, kz_event *ev,
                           kz_acl_object *obj);
bool kz_http_is_admin(const kz_req *r);
/* 422 naming the first id of l that is not an organisation ("field[i]"). */
int kz_http_check_orgs(kz_req *r, const kz_strlist *l, const char *field);

/* cursor.c: opaque keyset cursors, sealed (encrypted and authenticated)
 * under srv->cursor_key so they reveal nothing of the rows they point at.
 * Decoding failures are 400 "invalid cursor" on field "cursor". */
char *kz_cursor_encode_event(kz_req *r, kz_time modified, const char *id);
int kz_cursor_decode_event(kz_req *r, const char *s, kz_time *modified, kz_uuid id);
char *kz_cursor_encode_seq(kz_req *r, int64_t seq);
int kz_cursor_decode_seq(kz_req *r, const char *s, int64_t *seq);
/* Sightings of one indicator: (time, seq) of the last row of a page. */
char *kz_cursor_encode_sighting(kz_req *r, kz_time time, int64_t seq);
int kz_cursor_decode_sighting(kz_req *r, const char *s, kz_time *time, int64_t *seq);
/* The key cursors are sealed with, derived from the node secret. */
void kz_cursor_key(const uint8_t secret[32], uint8_t key[32]);

/* Rows a list or search may examine per request while the ACL filters. */
#define KZ_HTTP_SCAN_CAP 20000

/* ---- handlers ------------------------------------------------------------ */
int kz_api_health(kz_req *r);
int kz_api_me(kz_req *r);

int kz_api_orgs_list(kz_req *r);
int kz_api_orgs_create(kz_req *r);
int kz_api_org_get(kz_req *r);
int kz_api_org_patch(kz_req *r);
int kz_api_org_delete(kz_req *r);

int kz_api_users_list(kz_req *r);
int kz_api_users_create(kz_req *r);
int kz_api_user_get(kz_req *r);
int kz_api_user_patch(kz_req *r);
int kz_api_user_delete(kz_req *r);

int kz_api_keys_list(kz_req *r);
int kz_api_keys_create(kz_req *r);
int kz_api_key_delete(kz_req *r);

int kz_api_communities_list(kz_req *r);
int kz_api_communities_create(kz_req *r);
int kz_api_community_get(kz_req *r);
int kz_api_community_member_add(kz_req *r);
int kz_api_community_member_remove(kz_req *r);

int kz_api_sharing_groups_list(kz_req *r);
int kz_api_sharing_groups_create(kz_req *r);
int kz_api_sharing_group_get(kz_req *r);

int kz_api_events_list(kz_req *r);
int kz_api_events_create(kz_req *r);
int kz_api_event_get(kz_req *r);
int kz_api_event_patch(kz_req *r);
int kz_api_event_delete(kz_req *r);
int kz_api_event_publish(kz_req *r);
int kz_api_event_indicators_add(kz_req *r);

int kz_api_indicator_get(kz_req *r);
int kz_api_indicator_patch(kz_req *r);
int kz_api_indicator_delete(kz_req *r);

int kz_api_sightings_list(kz_req *r);
int kz_api_sightings_create(kz_req *r);

int kz_api_search(kz_req *r);

/* ---- federation (api_sync.c; HTTPS in tls.c) ------------------------------ */
/* Reads cfg->tls_cert / tls_key (both or neither) for the server's life. */
int kz_http_tls_load(const kz_http_config *cfg, kz_err *err);
unsigned kz_http_tls_flags(void);                 /* MHD_USE_TLS or 0 */
struct MHD_OptionItem *kz_http_tls_options(void); /* for MHD_OPTION_ARRAY */
const char *kz_http_tls_scheme(void);             /* "https" or "http" */
void kz_http_tls_free(void);
int kz_api_sync_node(kz_req *r);
int kz_api_sync_changes(kz_req *r);
int kz_api_sync_push(kz_req *r);
/* proposals (api_proposals.c) */
int kz_api_proposals_create(kz_req *r);
int kz_api_proposals_list(kz_req *r);
int kz_api_proposal_accept(kz_req *r);
int kz_api_proposal_discard(kz_req *r);

/* ---- STIX 2.1 (api_stix.c) ----------------------------------------------- */
int kz_api_event_stix(kz_req *r);
int kz_api_stix_import(kz_req *r);

/* ---- TAXII 2.1 server (taxii*.c; private parts in taxii_int.h) ----------- */
int kz_taxii_discovery(kz_req *r);
int kz_taxii_api_root(kz_req *r);
int kz_taxii_collections_list(kz_req *r);
int kz_taxii_collection_get(kz_req *r);
int kz_taxii_objects_get(kz_req *r);
int kz_taxii_objects_add(kz_req *r);
int kz_taxii_manifest(kz_req *r);
int kz_taxii_object_get(kz_req *r);
int kz_taxii_object_delete(kz_req *r);
int kz_taxii_versions(kz_req *r);
int kz_taxii_status_get(kz_req *r);

/* ---- match engine: lookups (match_service.c, api_lookup.c) --------------- */
/* Starts the index thread (and loads cfg.warninglists); stop joins it. */
int kz_match_service_start(kz_http_server *srv, kz_err *err);
void kz_match_service_stop(kz_http_server *srv);
/* The caller's org index with a reference (kz_match_release it), built on
 * the org's first use. */
int kz_match_service_acquire(kz_req *r, const kz_match_index **out);
int kz_api_lookup(kz_req *r);

/* ---- MISP-compatible API (misp_api*.c), exports (api_export.c) and
 * correlation (api_correlations.c) ---------------------------------------- */
int kz_misp_api_version(kz_req *r);
int kz_misp_api_event_add(kz_req *r);
int kz_misp_api_event_view(kz_req *r);
int kz_misp_api_events_index(kz_req *r);
int kz_misp_api_events_search(kz_req *r);
int kz_misp_api_attrs_search(kz_req *r);
int kz_misp_api_sighting_add(kz_req *r);
int kz_api_export(kz_req *r);
int kz_api_export_feed(kz_req *r);
int kz_api_correlations(kz_req *r);

/* One other indicator that shares a value with the one asked about (the
 * same value, an address inside its network or a network around it, a
 * subdomain or a parent domain), in an event the caller may see. */
typedef struct kz_corr_hit {
    const char *indicator_id;
    const char *event_id;
    const char *org_id;
    const char *value;
    kz_ioc_type type;
    const char *kind; /* "exact", "cidr", "subdomain", "url-host", "contains", "parent" */
} kz_corr_hit;

typedef struct kz_corr {
    kz_corr_hit *hits; /* none when over_correlating */
    size_t n_hits;
    size_t n_events;   /* distinct visible events; limit + 1 at most when over */
    bool over_correlating;
    size_t limit;      /* the node's over-correlation threshold */
} kz_corr;

/* The correlations of ind (of event event_id) that r->who may see. Only
 * visible events are looked at or counted: an event the caller cannot see
 * (TLP:RED for others, another org's unpublished one) never shows, not even
 * as a count. */
int kz_corr_indicator(kz_req *r, const kz_indicator *ind, const char *event_id, kz_corr *out);
/* The threshold: events sharing one value beyond which it is marked
 * over-correlating instead of listed (node meta "misp.correlation_limit",
 * default 20). */
size_t kz_corr_limit(kz_req *r);
/* Issue 6, inline counts on GET /api/v1/events/{id}: for each of the first
 * KZ_CORR_MAX_COUNTED correlatable indicators (not text, not skip[i]; skip
 * may be NULL), counts[i] = the other events the caller may see that share
 * it (as kz_corr_indicator counts them), KZ_CORR_OVER when more than the
 * limit, KZ_CORR_NONE when not counted. */
#define KZ_CORR_NONE (-2L)
#define KZ_CORR_OVER (-1L)
#define KZ_CORR_MAX_COUNTED 2000
int kz_corr_counts(kz_req *r, const char *event_id, const kz_indicator *inds, size_t n,
                   const bool *skip, long *counts);
/* Issue 6, import speed (misp_api_import.c): kz_misp_text_import (formats.h)
 * with kz_store_misp_event_put as its sink: a MISP document (text, len;
 * {"Event":..} or bare, or several) parsed and stored, attachments read
 * from the text and a big event streamed (parsed on a second thread while
 * stored). po may be NULL; me is the (last) event (its arrays in a). */
int kz_misp_import_text(kz_store *st, const char *text, size_t len,
                        const kz_misp_import_opts *po, const kz_misp_put_opts *o, kz_arena *a,
                        kz_misp_event *me, kz_misp_put_result *res, kz_err *err);
/* Builds the correlation index from the store (every correlatable
 * indicator of every org; visibility is decided per hit). For benchmarks
 * and the server's own rebuilds; *added (if not NULL) counts the entries. */
int kz_corr_build(kz_store *st, kz_match_index **out, size_t *added, kz_err *err);

/* ---- notifications: contacts, webhooks, event stream, audit -------------
 * (api_contacts.c, api_webhooks.c, api_stream.c, api_audit.c,
 * webhook_dispatch.c, notify_*.c) */
typedef struct kz_notify kz_notify;
/* Starts the audit writer and the stream ticker (srv->notify). */
int kz_notify_start(kz_http_server *srv, kz_err *err);
/* Shutdown, step 1 (before waiting for requests in flight): ends every
 * event stream so its connection can complete. */
void kz_notify_quiesce(kz_http_server *srv);
/* Shutdown, step 2 (after the daemon stopped): writes every queued audit
 * entry, then stops the threads. */
void kz_notify_stop(kz_http_server *srv);
/* Audit (notify_audit.c). request.c calls the first for every request that
 * succeeded (it records those that are not GET/HEAD, and bulk reads:
 * exports, TAXII objects); read handlers call the second for each object
 * they return (only AMBER, AMBER+STRICT and RED are recorded). */
void kz_http_audit_write(kz_req *r);
void kz_http_audit_read(kz_req *r, const char *object_type, const char *id, int tlp);
int kz_api_contacts_list(kz_req *r);
int kz_api_contacts_create(kz_req *r);
int kz_api_contact_get(kz_req *r);
int kz_api_contact_patch(kz_req *r);
int kz_api_contact_delete(kz_req *r);
int kz_api_contact_verify(kz_req *r);
int kz_api_webhooks_list(kz_req *r);
int kz_api_webhooks_create(kz_req *r);
int kz_api_webhook_get(kz_req *r);
int kz_api_webhook_patch(kz_req *r);
int kz_api_webhook_delete(kz_req *r);
int kz_api_webhook_deliveries(kz_req *r);
int kz_api_stream(kz_req *r);
int kz_api_audit_list(kz_req *r);


/* ---- cases: joint incident response (api_cases*.c) ----------------------- */
/* Loads the {id} (param 0) case and checks action on it through
 * kz_acl_case_allows: 404 when the caller's org is neither the lead nor
 * invited or participating, 403 when it is but the action is not allowed.
 * With KZ_CASE_VIEW and up, the links are cut to what the caller may see. */
int kz_http_case_load(kz_req *r, kz_case_action action, kz_case *c);
/* Keeps in c's link lists only the events, indicators and sightings the
 * caller may see (kz_acl_allows / kz_acl_indicator_allows). */
int kz_http_case_links_filter(kz_req *r, kz_case *c);
/* Appends an "action" entry by the caller to the case's timeline (joins
 * the caller's transaction). */
int kz_http_case_action(kz_req *r, const char *case_id, const char *text);
/* Ends the transaction a handler began around a case write (rc: the
 * write's result): records text (NULL: nothing) as the caller's action and
 * commits, so the change and its record commit together; or rolls back. */
int kz_http_case_finish(kz_req *r, const char *case_id, int rc, const char *text);
int kz_api_cases_list(kz_req *r);
int kz_api_cases_create(kz_req *r);
int kz_api_case_get(kz_req *r);
int kz_api_case_patch(kz_req *r);
int kz_api_case_transition(kz_req *r);
int kz_api_case_participants_list(kz_req *r);
int kz_api_case_invite(kz_req *r);
int kz_api_case_accept(kz_req *r);
int kz_api_case_decline(kz_req *r);
int kz_api_case_tasks_list(kz_req *r);
int kz_api_case_task_create(kz_req *r);
int kz_api_case_task_patch(kz_req *r);
int kz_api_case_timeline_list(kz_req *r);
int kz_api_case_timeline_add(kz_req *r);
int kz_api_case_links_list(kz_req *r);
int kz_api_case_link_add(kz_req *r);
int kz_api_case_observables_list(kz_req *r);
int kz_api_case_observable_add(kz_req *r);
int kz_api_case_observable_promote(kz_req *r);
int kz_api_case_injects_list(kz_req *r);
int kz_api_case_inject_add(kz_req *r);
int kz_api_case_actions_list(kz_req *r);
int kz_api_metrics_response(kz_req *r);

#endif
