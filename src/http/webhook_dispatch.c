/* webhook_dispatch.c — delivering one webhook's backlog of the change log.
 *
 * The worker threads of webhook_workers.c call kz__webhook_serve for a
 * webhook that is due. It reads the changes after the webhook's cursor,
 * keeps those of the kinds it asked for that its org may see
 * (notify_payload.c: the same ACL as the API, for a principal of the org
 * with no user, so TLP:RED, which is for named people, is never sent), and
 * POSTs them one by one, in order:
 *
 *   POST <url>   Content-Type: application/json
 *   X-Kizuna-Timestamp: <unix seconds>
 *   X-Kizuna-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
 *   X-Kizuna-Event: <kind>   X-Kizuna-Delivery: <uuid>
 *
 * A 2xx answer moves the cursor on. Anything else is retried after a delay
 * that doubles from retry_base_ms (capped at an hour); after max_attempts
 * the change is skipped and the log says so. Delivery is at least once and
 * in order per webhook; every attempt is in the delivery log. The cursor
 * lives in the store, so a restart resumes where delivery stopped.
 */
#include "notify_int.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 50
#define ROUND_MAX 2000 /* changes examined per webhook per round */
#define MAX_DELAY_US (3600 * 1000000LL)
#define RESPONSE_MAX ((size_t)1 << 20) /* bytes of an answer read before giving up */

/* Refuses to connect to non-public addresses unless allowed: checked on
 * the address curl is about to connect to, after DNS. */
static curl_socket_t open_socket(void *cls, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)cls;
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    if (!kz_webhook_allow_private() && !kz_webhook_addr_public(&addr->addr))
        return CURL_SOCKET_BAD;
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* A POST in flight ends when the node stops, not at its time-out. */
static int stop_check(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load((const _Atomic bool *)cls) ? 1 : 0;
}

static size_t discard(char *p, size_t size, size_t n, void *cls)
{
    (void)p;
    size_t *seen = cls;
    *seen += size * n;
    return *seen > RESPONSE_MAX ? 0 : size * n;
}

/* One POST. Returns the HTTP status (0 when none) and fills why. */
static long post(const kz_webhook_run *run, const kz_webhook *w, const char *secret,
                 const char *kind, const char *body, char *why, size_t why_len)
{
    why[0] = 0;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, why_len, "cannot start an HTTP client");
        return 0;
    }
    char ts[24], sig[7 + 64 + 1], h_ts[64], h_sig[96], h_ev[64], h_id[80];
    kz_uuid did;
    kz_uuid_v4(did);
    snprintf(ts, sizeof ts, "%" PRId64, kz_time_now() / 1000000);
    kz_webhook_sign(secret, ts, body, strlen(body), sig);
    snprintf(h_ts, sizeof h_ts, "X-Kizuna-Timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "X-Kizuna-Signature: %s", sig);
    snprintf(h_ev, sizeof h_ev, "X-Kizuna-Event: %s", kind);
    snprintf(h_id, sizeof h_id, "X-Kizuna-Delivery: %s", did);
    struct curl_slist *hdr = NULL, *t;
    const char *lines[] = {"Content-Type: application/json", h_ts, h_sig, h_ev, h_id,
                           "Expect:"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(lines); i++) {
        t = curl_slist_append(hdr, lines[i]);
        if (!t)
            break;
        hdr = t;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    size_t seen = 0;
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never an environment proxy */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(run->cfg.timeout_s ? run->cfg.timeout_s : 10));
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stop_check);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, run->stop);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kizuna/" KZ_VERSION " (webhook)");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &seen);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status))
        snprintf(why, why_len, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else if (status < 200 || status > 299)
        snprintf(why, why_len, "the receiver answered %ld", status);
    if (rc == CURLE_COULDNT_CONNECT && !kz_webhook_allow_private() && !why[0])
        snprintf(why, why_len, "cannot connect (non-public addresses are refused)");
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    sodium_memzero(sig, sizeof sig);
    return (rc == CURLE_OK || rc == CURLE_WRITE_ERROR) ? status : 0;
}

static bool wants(const kz_webhook *w, const char *kind)
{
    return kz_strlist_has(&w->events, kind);
}

/* Every attempt the receiver answered is a read of what the body held,
 * whatever the status: the data left the node. */
static void audit_delivery(kz_store *st, const kz_webhook *w, const kz_change *c, int tlp,
                           long status)
{
    if (tlp < KZ_TLP_AMBER || status <= 0)
        return;
    char remote[48];
    snprintf(remote, sizeof remote, "webhook:%.36s", w->id);
    kz_audit_entry e = {.actor_org = w->org_id, .remote = remote, .action = "deliver",
                        .object_type = c->kind, .object_id = c->object_id, .tlp = tlp,
                        .status = (int)status};
    kz_err err = {0};
    if (kz_store_audit_append(st, &e, 1, &err) < 0)
        kz_log(KZ_LOG_ERROR, "webhook %s: cannot audit a delivery: %s", w->id, err.msg);
}

void kz__webhook_serve(const kz_webhook_run *run, kz_store *st, kz_webhook *w)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    char secret[KZ_WEBHOOK_SECRET_LEN + 1];
    kz_principal who;
    memset(&who, 0, sizeof who);
    memcpy(who.org_id, w->org_id, sizeof who.org_id);
    who.role = KZ_ROLE_READONLY;
    int opened = kz_webhook_secret_open(run->node_secret, w->secret_box, w->secret_box_len,
                                        secret, &err);
    if (opened < 0 || kz_store_principal_load(st, &who, &a, &err) < 0) {
        kz_log(KZ_LOG_ERROR, "webhook %s: %s", w->id, err.msg);
        kz_arena_free(&a);
        return;
    }
    int64_t cursor = w->cursor;
    int failures = w->failures;
    kz_time next = 0;
    unsigned max_attempts = run->cfg.max_attempts ? run->cfg.max_attempts : 8;
    bool halt = false;
    /* Pages until caught up, a failure, or ROUND_MAX changes (so one busy
     * webhook does not starve the others). */
    for (size_t examined = 0; !halt && !atomic_load(run->stop) && examined < ROUND_MAX;
         examined += PAGE) {
        kz_change *ch = NULL;
        size_t n = 0;
        if (kz_store_changes(st, cursor, PAGE, &a, &ch, &n, &err) < 0) {
            kz_log(KZ_LOG_ERROR, "webhook %s: %s", w->id, err.msg);
            break;
        }
        if (n < PAGE)
            halt = true; /* caught up after this page */
        for (size_t i = 0; i < n && !atomic_load(run->stop); i++) {
            const kz_change *c = &ch[i];
            json_t *j = NULL;
            int tlp = -1;
            int v = wants(w, c->kind) ? kz_notify_payload(st, &who, c, &a, &j, &tlp, &err) : 0;
            if (v < 0) {
                kz_log(KZ_LOG_ERROR, "webhook %s: change %" PRId64 ": %s", w->id, c->seq, err.msg);
                halt = true;
                break;
            }
            if (v == 0) {
                cursor = c->seq;
                continue;
            }
            json_object_set_new(j, "webhook_id", json_string(w->id));
            char *body = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            if (!body) {
                halt = true;
                break;
            }
            char why[256];
            kz_time t0 = kz_time_now();
            long status = post(run, w, secret, c->kind, body, why, sizeof why);
            free(body);
            bool ok = status >= 200 && status <= 299;
            if (!ok && atomic_load(run->stop)) {
                /* Ended by the node stopping (stop_check), not by the
                 * receiver: no attempt counted, the change goes again
                 * after the restart. */
                halt = true;
                break;
            }
            audit_delivery(st, w, c, tlp, status);
            kz_webhook_delivery d = {.change_seq = c->seq, .kind = c->kind,
                                     .object_id = c->object_id, .op = c->op,
                                     .attempt = failures + 1, .status = (int)status,
                                     .error = ok ? NULL : why, .at = t0,
                                     .duration_us = kz_time_now() - t0};
            memcpy(d.webhook_id, w->id, sizeof d.webhook_id);
            if (ok) {
                cursor = c->seq;
                failures = 0;
            } else if ((unsigned)failures + 1 >= max_attempts) {
                d.gave_up = true;
                kz_log(KZ_LOG_WARN, "webhook %s: change %" PRId64 " skipped after %u attempts: %s",
                       w->id, c->seq, max_attempts, why);
                cursor = c->seq;
                failures = 0;
            } else {
                unsigned base_ms = run->cfg.retry_base_ms ? run->cfg.retry_base_ms : 5000;
                int64_t base = (int64_t)base_ms * 1000;
                int64_t delay = base;
                for (int k = 0; k < failures && delay < MAX_DELAY_US; k++)
                    delay *= 2;
                if (delay > MAX_DELAY_US)
                    delay = MAX_DELAY_US;
                failures++;
                next = kz_time_now() + delay;
            }
            int dr = kz_store_webhook_delivery_add(st, &d, &err);
            if (dr == KZ_E_NOTFOUND) { /* deleted meanwhile */
                halt = true;
                break;
            }
            if (dr < 0)
                kz_log(KZ_LOG_ERROR, "webhook %s: delivery log: %s", w->id, err.msg);
            if (!ok && !d.gave_up) {
                halt = true;
                break;
            }
        }
    }
    sodium_memzero(secret, sizeof secret);
    if ((cursor != w->cursor || failures != w->failures || next != w->next_attempt) &&
        kz_store_webhook_progress(st, w->id, cursor, failures, next, &err) < 0 &&
        err.code != KZ_E_NOTFOUND)
        kz_log(KZ_LOG_ERROR, "webhook %s: %s", w->id, err.msg);
    kz_arena_free(&a);
}
