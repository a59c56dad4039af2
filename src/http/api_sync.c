/* api_sync.c — the federation routes (docs/federation.md):
 *   GET  /api/v1/sync/node     public: this node's id, key and signed org record
 *   GET  /api/v1/sync/changes  a peer pulls the next page of our change feed
 *   POST /api/v1/sync/push     a peer pushes a page of its feed to us
 *
 * The caller of the last two is a peer node: an API key of a user with the
 * "sync" role in the peer's org. The peer is found by that org; everything
 * it may receive is decided by the feed (the ACL), so a sync key gives no
 * access beyond what the peer's node could receive anyway. Pages are
 * compressed (Content-Encoding: deflate) when the client accepts it.
 */
#include "http_int.h"

#include <stdlib.h>
#include <string.h>

#include "sync/sync.h"

#define MAX_PAGE_INDICATORS 200000

static int load_identity(kz_req *r, kz_node_identity *id)
{
    int rc = kz_sync_identity_load(r->st, id, &r->err);
    if (rc < 0)
        kz_log(KZ_LOG_ERROR, "sync: cannot load the node identity: %s", r->err.msg);
    return rc;
}

/* The peer behind the caller's key: a sync user of a configured peer's org. */
static int caller_peer(kz_req *r, kz_peer *peer)
{
    if (r->who.role != KZ_ROLE_SYNC)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "the sync routes are for peer nodes: use a key of a user with role 'sync' "
                       "(yours is '%s')", kz_role_name(r->who.role));
    kz_err e = {0};
    int rc = kz_store_peer_by_org(r->st, r->who.org_id, &r->arena, peer, &e);
    if (rc == KZ_E_NOTFOUND)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "organisation %s is not a peer of this node (kizuna peer add)",
                       r->who.org_id);
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    if (peer->paused)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "peer '%s' is paused on this node (kizuna peer resume)", peer->name);
    return 0;
}

static bool accepts_deflate(kz_req *r)
{
    const char *ae = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return ae && strstr(ae, "deflate") != NULL;
}

/* Like kz_http_send_raw, plus Content-Encoding when the body is deflated. */
static int send_batch(kz_req *r, kz_buf *b, bool deflated)
{
    size_t len = b->len;
    char *body = kz_buf_steal(b);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "cannot send the page");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (deflated)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "deflate");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    if (ret != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot send the page");
    r->replied = true;
    r->status = MHD_HTTP_OK;
    r->bytes_sent = len;
    return 0;
}

int kz_api_sync_node(kz_req *r)
{
    static const char *const allowed[] = {NULL};
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    kz_node_identity id;
    if ((rc = load_identity(r, &id)) < 0)
        return rc;
    kz_org org;
    json_t *env = NULL;
    rc = kz_store_org_get(r->st, id.org_id, &r->arena, &org, &r->err);
    if (rc == 0)
        rc = kz_sync_envelope_org(&id, &org, &env, &r->err);
    if (rc < 0) {
        kz_sync_identity_clear(&id);
        return rc;
    }
    char pk[65];
    kz_sync_key_format(id.public_key, pk);
    json_t *out = json_pack("{s:s,s:s,s:s,s:o}", "node_id", id.node_id, "fingerprint",
                            id.fingerprint, "public_key", pk, "org", env);
    kz_sync_identity_clear(&id);
    return kz_http_ok(r, MHD_HTTP_OK, out);
}

int kz_api_sync_changes(kz_req *r)
{
    static const char *const allowed[] = {"cursor", "limit", NULL};
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    const char *cs = NULL, *ls = NULL;
    if ((rc = kz_http_query(r, "cursor", &cs)) < 0 || (rc = kz_http_query(r, "limit", &ls)) < 0)
        return rc;
    long long cursor = 0, limit = KZ_SYNC_PAGE_INDICATORS;
    char *end = NULL;
    if (cs) {
        cursor = strtoll(cs, &end, 10);
        if (!*cs || *end || cursor < 0 || strlen(cs) > 19)
            return kz_fail(&r->err, KZ_E_INVALID, "cursor",
                           "cursor: '%.40s' is not a change-log position (0 or more)", cs);
    }
    if (ls) {
        limit = strtoll(ls, &end, 10);
        if (!*ls || *end || limit < 1 || limit > MAX_PAGE_INDICATORS)
            return kz_fail(&r->err, KZ_E_INVALID, "limit",
                           "limit: '%.40s' is not a number from 1 to %d", ls,
                           MAX_PAGE_INDICATORS);
    }
    kz_peer peer;
    if ((rc = caller_peer(r, &peer)) < 0)
        return rc;
    kz_node_identity id;
    if ((rc = load_identity(r, &id)) < 0)
        return rc;
    kz_sync_batch b;
    rc = kz_sync_feed_page(r->st, &id, &peer, (int64_t)cursor, (size_t)limit, &b, &r->err);
    kz_sync_identity_clear(&id);
    if (rc < 0)
        return rc;
    kz_buf out;
    kz_buf_init(&out);
    bool deflate = accepts_deflate(r);
    rc = kz_sync_batch_encode(&b, deflate, &out, &r->err);
    kz_sync_batch_clear(&b);
    if (rc == 0)
        rc = send_batch(r, &out, deflate);
    kz_buf_free(&out);
    return rc;
}

int kz_api_sync_push(kz_req *r)
{
    static const char *const allowed[] = {NULL};
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    kz_peer peer;
    if ((rc = caller_peer(r, &peer)) < 0)
        return rc;
    if (r->body.len == 0)
        return kz_fail(&r->err, KZ_E_INVALID, NULL, "the request body is empty; send a batch");
    /* Bounded by the push limit (serve --sync-max-batch); one oversized
     * event alone may exceed it (src/sync/limits.c). */
    kz_sync_batch b;
    bool oversized = false;
    if ((rc = kz_sync_batch_decode_push(r->body.p, r->body.len, &b, &oversized, &r->err)) < 0)
        return rc;
    kz_node_identity id;
    if ((rc = load_identity(r, &id)) < 0) {
        kz_sync_batch_clear(&b);
        if (oversized)
            kz_sync_oversized_done();
        return rc;
    }
    kz_sync_apply_stats s;
    rc = kz_sync_apply(r->st, &id, &peer, &b, &s, &r->err);
    kz_sync_identity_clear(&id);
    int64_t cursor = b.cursor;
    kz_sync_batch_clear(&b);
    if (oversized)
        kz_sync_oversized_done();
    if (rc < 0) {
        /* A refused batch is the sender's problem, not a server error. */
        if (rc != KZ_E_NOMEM && rc != KZ_E_DB && rc != KZ_E_INTERNAL)
            r->err.code = rc = KZ_E_VALUE;
        return rc;
    }
    json_t *out = json_pack("{s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "cursor",
                            (json_int_t)cursor,
                            "applied", "events", (json_int_t)s.events, "indicators",
                            (json_int_t)s.indicators, "sightings", (json_int_t)s.sightings,
                            "deletions", (json_int_t)s.deletions, "orgs", (json_int_t)s.orgs,
                            "unchanged", (json_int_t)s.unchanged, "proposals",
                            (json_int_t)s.proposals, "cases", (json_int_t)s.cases,
                            "case_actions", (json_int_t)s.case_actions);
    return kz_http_ok(r, MHD_HTTP_OK, out);
}
