/* notify_int.h — what the notification files of src/http share: the audit
 * queue, the registry of live event streams, and the one function that
 * turns a change-log row into what a given principal may be told about it
 * (used by the stream and the webhook dispatcher alike, so both filter the
 * same way).
 */
#ifndef KZ_NOTIFY_INT_H
#define KZ_NOTIFY_INT_H

#include "http_int.h"

#include <stdatomic.h>
#include <sys/socket.h>

/* One queued audit entry, with its own copies of every string (the request
 * is gone by the time the writer thread stores it). */
typedef struct kz_audit_item {
    kz_time at;
    char actor_user[KZ_UUID_STRLEN + 1];
    char actor_org[KZ_UUID_STRLEN + 1];
    char remote[48];
    char action[128];
    char object_type[32];
    char object_id[80];
    int tlp, status;
} kz_audit_item;

typedef struct kz_stream kz_stream;

struct kz_notify {
    kz_http_server *srv;
    /* audit queue: appended by workers, drained by the writer thread */
    pthread_mutex_t mu;
    pthread_cond_t wake, space;
    kz_audit_item *q;
    size_t n, cap;
    bool stop;
    pthread_t writer;
    bool writer_started;
    /* streams (api_stream.c): suspended ones wait here for the ticker */
    pthread_mutex_t smu;
    pthread_cond_t swake;
    kz_stream *suspended;
    _Atomic bool stopping;
    pthread_t ticker;
    bool ticker_started;
};

/* Queues an entry; blocks (briefly) only when the queue is full. */
void kz_notify_audit_push(kz_notify *n, const kz_audit_item *it);
/* Fills it from the request's caller and client address. */
void kz_notify_audit_from_req(kz_req *r, kz_audit_item *it);
/* The client address of a connection as text ("-" when unknown). */
void kz_notify_remote(struct MHD_Connection *conn, char *out, size_t n);

/* api_stream.c: the ticker thread and the shutdown of every stream. */
void *kz_stream_ticker(void *arg);
void kz_stream_stop_all(kz_notify *n);

/* notify_payload.c: the JSON telling `who` about change c: 1 and *out
 * (with *tlp the object's TLP, -1 when it has none) when who may see the
 * object; 0 when not (hidden, gone, a deletion, or a kind not handled). */
int kz_notify_payload(kz_store *st, const kz_principal *who, const kz_change *c, kz_arena *a,
                      json_t **out, int *tlp, kz_err *err);

/* notify_webhook.c: webhook secrets and URLs. */
#define KZ_WEBHOOK_SECRET_LEN 48 /* "kzwh_" + 43 base64url characters */
/* A new secret (text for the client, shown once) and its sealed form
 * (arena memory) under a key derived from the node secret. */
int kz_webhook_secret_new(const uint8_t node_secret[32], kz_arena *a,
                          char text[KZ_WEBHOOK_SECRET_LEN + 1], uint8_t **box, size_t *box_len);
/* Opens a sealed secret; KZ_E_INTERNAL when it does not open (another
 * node's secret). */
int kz_webhook_secret_open(const uint8_t node_secret[32], const uint8_t *box, size_t box_len,
                           char text[KZ_WEBHOOK_SECRET_LEN + 1], kz_err *err);
/* "sha256=<hex>" of HMAC-SHA256(secret text, timestamp "." body). */
void kz_webhook_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                     char out[7 + 64 + 1]);
/* Checks a webhook URL: http or https, a host, no credentials, at most
 * 2048 bytes, and unless allow_private no loopback, private or link-local
 * address literal or localhost name. KZ_E_VALUE naming field "url". */
int kz_webhook_url_check(const char *url, bool allow_private, kz_err *err);
/* Whether an address is a public unicast one (not loopback, private,
 * link-local, shared, multicast, reserved, or documentation). */
bool kz_webhook_addr_public(const struct sockaddr *sa);

/* webhook_dispatch.c: what a worker delivering webhooks works with. */
typedef struct kz_webhook_run {
    kz_webhook_config cfg;
    uint8_t node_secret[32];  /* opens the webhooks' sealed secrets */
    const _Atomic bool *stop; /* the node is stopping: end what is in flight */
} kz_webhook_run;
/* Works through one due webhook's backlog (ROUND_MAX changes at most, so a
 * busy webhook does not hold a worker forever) until it is caught up or an
 * attempt fails; stores the cursor, failures and next attempt. */
void kz__webhook_serve(const kz_webhook_run *run, kz_store *st, kz_webhook *w);

#endif
