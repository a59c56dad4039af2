/* webhook_dispatch.c — delivering the change log to webhooks.
 *
 * One thread for the process (started by `kizuna serve`). Each round it
 * takes every active webhook that is due, reads the changes after the
 * webhook's cursor, keeps those of the kinds it asked for that its org may
 * see (notify_payload.c: the same ACL as the API, for a principal of the
 * org with no user, so TLP:RED, which is for named people, is never sent),
 * and POSTs them one by one, in order:
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

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool running;
    _Atomic bool stop;
    kz_webhook_config cfg;
    char *db_path;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static _Atomic bool g_allow_private;

bool kz_webhook_allow_private(void) { return atomic_load(&g_allow_private); }

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

static size_t discard(char *p, size_t size, size_t n, void *cls)
{
    (void)p;
    size_t *seen = cls;
    *seen += size * n;
    return *seen > RESPONSE_MAX ? 0 : size * n;
}

/* One POST. Returns the HTTP status (0 when none) and fills why. */
static long post(const kz_webhook *w, const char *secret, const char *kind, const char *body,
                 char *why, size_t why_len)
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
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(g.cfg.timeout_s ? g.cfg.timeout_s : 10));
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

/* Works through one webhook's backlog (a page at most) until it is done or
 * an attempt fails. */
static void serve_webhook(kz_store *st, const uint8_t node_secret[32], kz_webhook *w)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    char secret[KZ_WEBHOOK_SECRET_LEN + 1];
    kz_principal who;
    memset(&who, 0, sizeof who);
    memcpy(who.org_id, w->org_id, sizeof who.org_id);
    who.role = KZ_ROLE_READONLY;
    if (kz_webhook_secret_open(node_secret, w->secret_box, w->secret_box_len, secret, &err) < 0 ||
        kz_store_principal_load(st, &who, &a, &err) < 0) {
        kz_log(KZ_LOG_ERROR, "webhook %s: %s", w->id, err.msg);
        kz_arena_free(&a);
        return;
    }
    int64_t cursor = w->cursor;
    int failures = w->failures;
    kz_time next = 0;
    unsigned max_attempts = g.cfg.max_attempts ? g.cfg.max_attempts : 8;
    bool halt = false;
    /* Pages until caught up, a failure, or ROUND_MAX changes (so one busy
     * webhook does not starve the others). */
    for (size_t examined = 0; !halt && !g.stop && examined < ROUND_MAX; examined += PAGE) {
        kz_change *ch = NULL;
        size_t n = 0;
        if (kz_store_changes(st, cursor, PAGE, &a, &ch, &n, &err) < 0) {
            kz_log(KZ_LOG_ERROR, "webhook %s: %s", w->id, err.msg);
            break;
        }
        if (n < PAGE)
            halt = true; /* caught up after this page */
        for (size_t i = 0; i < n && !g.stop; i++) {
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
            long status = post(w, secret, c->kind, body, why, sizeof why);
            free(body);
            bool ok = status >= 200 && status <= 299;
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
                int64_t base = (int64_t)(g.cfg.retry_base_ms ? g.cfg.retry_base_ms : 5000) * 1000;
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

static void *dispatch_main(void *arg)
{
    (void)arg;
    kz_store *st = NULL;
    kz_err err = {0};
    uint8_t node_secret[32];
    if (kz_store_open(g.db_path, &st, &err) < 0 || kz_store_node_secret(st, node_secret, &err) < 0) {
        kz_log(KZ_LOG_ERROR, "webhooks: cannot start: %s", err.msg);
        kz_store_close(st);
        return NULL;
    }
    unsigned poll = g.cfg.poll_ms ? g.cfg.poll_ms : 1000;
    pthread_mutex_lock(&g.mu);
    while (!g.stop) {
        pthread_mutex_unlock(&g.mu);
        kz_arena a;
        kz_arena_init(&a);
        kz_webhook *v = NULL;
        size_t n = 0;
        if (kz_store_webhook_list(st, NULL, true, &a, &v, &n, &err) < 0)
            kz_log(KZ_LOG_ERROR, "webhooks: %s", err.msg);
        kz_time now = kz_time_now();
        for (size_t i = 0; i < n && !g.stop; i++)
            if (v[i].next_attempt <= now)
                serve_webhook(st, node_secret, &v[i]);
        kz_arena_free(&a);
        pthread_mutex_lock(&g.mu);
        if (g.stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += poll / 1000;
        ts.tv_nsec += (long)(poll % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g.cv, &g.mu, &ts);
    }
    pthread_mutex_unlock(&g.mu);
    sodium_memzero(node_secret, sizeof node_secret);
    kz_store_close(st);
    return NULL;
}

int kz_webhook_dispatcher_start(const kz_webhook_config *cfg, kz_err *err)
{
    if (g.running)
        return kz_fail(err, KZ_E_CONFLICT, NULL, "the webhook dispatcher is already running");
    if (!cfg || !cfg->db_path)
        return kz_fail(err, KZ_E_INVALID, "db", "no database path given");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g.cfg = *cfg;
    g.db_path = strdup(cfg->db_path);
    if (!g.db_path)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    g.cfg.db_path = g.db_path;
    g.stop = false;
    atomic_store(&g_allow_private, cfg->allow_private);
    if (pthread_create(&g.th, NULL, dispatch_main, NULL) != 0) {
        free(g.db_path);
        g.db_path = NULL;
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot start the webhook dispatcher thread");
    }
    g.running = true;
    return 0;
}

void kz_webhook_dispatcher_stop(void)
{
    if (!g.running)
        return;
    pthread_mutex_lock(&g.mu);
    g.stop = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    pthread_join(g.th, NULL);
    g.running = false;
    free(g.db_path);
    g.db_path = NULL;
}
