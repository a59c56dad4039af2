/* client.c — the HTTP side of federation: pulling a peer's change feed,
 * pushing ours, and fetching a peer's public node record (libcurl).
 *
 * Cursors are saved in the same transaction as the page they acknowledge
 * (pull) or right after the peer acknowledged it (push), so a process killed
 * at any instant resumes from the last page that really took effect: pages
 * are idempotent on the receiving side, so re-sending one is harmless and
 * skipping one is impossible.
 *
 * A pull keeps two pages in flight (the next one downloads and parses on a
 * helper thread while this one is verified and stored), so the sender's
 * work and ours overlap; only applied pages move the cursor.
 *
 * Plain http:// is refused except to loopback (tests, a local reverse
 * proxy); everything else must be https:// with certificate checks on.
 */
#include "sync.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 10L
#define REQUEST_TIMEOUT_S 600L

/* Indicators per page: KZ_SYNC_PAGE_INDICATORS, or $KIZUNA_SYNC_PAGE (tests
 * and benchmarks use small pages to exercise resuming mid-run). */
static size_t page_size(void)
{
    const char *v = getenv("KIZUNA_SYNC_PAGE");
    long n = v ? strtol(v, NULL, 10) : 0;
    return n >= 1 && n <= 200000 ? (size_t)n : KZ_SYNC_PAGE_INDICATORS;
}

/* Set by the scheduler thread to its stop flag, so `kizuna serve` stops
 * without waiting for a long transfer to end (pages already applied stay
 * applied; the next run resumes from the saved cursor). */
static _Thread_local const atomic_bool *t_abort;

void kz_sync_set_abort(const atomic_bool *flag) { t_abort = flag; }

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const atomic_bool *stop = ud;
    return stop && atomic_load(stop) ? 1 : 0;
}

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* A literal loopback address (127.0.0.0/8, ::1) or "localhost"; a name
 * such as "127.example.org" is not. */
static bool is_loopback(const char *host)
{
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return strcmp(host, "[::1]") == 0 || strcmp(host, "localhost") == 0;
}

int kz_sync_url_check(const char *url, kz_err *err)
{
    if (!url || strlen(url) > 2000)
        return kz_fail(err, KZ_E_VALUE, "url", "a peer URL of at most 2000 bytes is required");
    pthread_once(&g_curl_once, curl_init_once);
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int r = 0;
    if (!u)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        r = kz_fail(err, KZ_E_VALUE, "url", "'%.200s' is not a URL", url);
    else if (strcmp(scheme, "https") == 0)
        r = 0;
    else if (strcmp(scheme, "http") != 0)
        r = kz_fail(err, KZ_E_VALUE, "url", "'%.200s': a peer URL is https:// (or http:// to "
                                            "loopback)", url);
    else if (!is_loopback(host))
        r = kz_fail(err, KZ_E_VALUE, "url",
                    "'%.200s': plain http:// is allowed only to loopback; use https://", url);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return r;
}

typedef struct resp {
    kz_buf body;
    size_t max;
    bool too_big;
    bool deflated; /* Content-Encoding: deflate */
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t len = sz * n;
    if (r->body.len + len > r->max) {
        r->too_big = true;
        return 0;
    }
    return kz_buf_append(&r->body, p, len) == 0 ? len : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t len = sz * n;
    if (len >= 17 && strncasecmp(p, "content-encoding:", 17) == 0) {
        const char *v = p + 17;
        while (v < p + len && (*v == ' ' || *v == '\t'))
            v++;
        r->deflated = (size_t)(p + len - v) >= 7 && strncasecmp(v, "deflate", 7) == 0;
    }
    return len;
}

/* One request; *status gets the HTTP status. The body is in out->body. */
static int request(const char *method, const char *base, const char *path, const char *api_key,
                   const kz_buf *body, resp *out, long *status, kz_err *err)
{
    pthread_once(&g_curl_once, curl_init_once);
    int r = kz_sync_url_check(base, err);
    if (r)
        return r;
    kz_buf url;
    kz_buf_init(&url);
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    if (kz_buf_append(&url, base, bl) || kz_buf_puts(&url, path)) {
        kz_buf_free(&url);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char auth[300];
    if (!c) {
        kz_buf_free(&url);
        return kz_fail(err, KZ_E_NOMEM, "", "cannot start libcurl");
    }
    if (api_key && *api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %.250s", api_key);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Accept-Encoding: deflate");
    if (body) {
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "Content-Encoding: deflate");
    }
    curl_easy_setopt(c, CURLOPT_URL, url.p);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (t_abort) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)t_abort);
    }
    /* Peers behind a private CA: its certificate(s) in $KIZUNA_CA_FILE. */
    const char *ca = getenv("KIZUNA_CA_FILE");
    if (ca && *ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    CURLcode cc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (out->too_big)
        r = kz_fail(err, KZ_E_TOOLARGE, "", "%s %.200s: the answer is above %zu bytes", method,
                    url.p, out->max);
    else if (cc != CURLE_OK)
        r = kz_fail(err, KZ_E_IO, "url", "%s %.200s: %s", method, url.p, curl_easy_strerror(cc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    kz_buf_free(&url);
    return r;
}

/* A non-2xx answer as an error quoting the peer's message. */
static int status_err(const char *what, const char *peer, long status, const resp *rs, kz_err *err)
{
    const char *msg = NULL;
    json_t *j = NULL;
    if (rs->body.len && !rs->deflated)
        j = json_loadb(rs->body.p, rs->body.len, JSON_REJECT_DUPLICATES, NULL);
    if (j)
        msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    int code = status == 401 || status == 403 ? KZ_E_UNAUTH : KZ_E_IO;
    kz_fail(err, code, "", "%s peer '%.100s': HTTP %ld%s%.300s", what, peer, status,
            msg ? ": " : "", msg ? msg : "");
    json_decref(j);
    return code;
}

int kz_sync_fetch_node(const char *url, json_t **out, kz_err *err)
{
    *out = NULL;
    resp rs = {.max = 1 << 20};
    kz_buf_init(&rs.body);
    long status = 0;
    int r = request("GET", url, "/api/v1/sync/node", NULL, NULL, &rs, &status, err);
    if (!r && status != 200)
        r = status_err("asking", url, status, &rs, err);
    if (!r) {
        json_error_t je;
        *out = json_loadb(rs.body.p, rs.body.len, JSON_REJECT_DUPLICATES, &je);
        if (!*out || !json_is_object(*out)) {
            r = kz_fail(err, KZ_E_INVALID, "", "%.200s/api/v1/sync/node did not answer a JSON "
                                               "object (%.200s)", url,
                        *out ? "not an object" : je.text);
            json_decref(*out);
            *out = NULL;
        }
    }
    kz_buf_free(&rs.body);
    return r;
}

/* One page fetched and decoded, possibly on a helper thread. */
typedef struct fetch {
    const kz_peer *peer;
    const atomic_bool *abort; /* the caller's, carried to the helper thread */
    int64_t cursor;
    kz_sync_batch b;
    kz_err err;
    int rc;
} fetch;

static void *fetch_page(void *arg)
{
    fetch *f = arg;
    kz_sync_set_abort(f->abort);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/sync/changes?cursor=%lld&limit=%zu",
             (long long)f->cursor, page_size());
    resp rs = {.max = KZ_SYNC_MAX_BATCH};
    kz_buf_init(&rs.body);
    long status = 0;
    memset(&f->b, 0, sizeof f->b);
    f->rc = request("GET", f->peer->url, path, f->peer->api_key, NULL, &rs, &status, &f->err);
    if (!f->rc && status != 200)
        f->rc = status_err("pulling from", f->peer->name, status, &rs, &f->err);
    if (!f->rc)
        f->rc = kz_sync_batch_decode(rs.body.p, rs.body.len, KZ_SYNC_MAX_BATCH, &f->b, &f->err);
    kz_buf_free(&rs.body);
    if (!f->rc && f->b.cursor < f->cursor) {
        f->rc = kz_fail(&f->err, KZ_E_INVALID, "cursor",
                        "peer '%.100s' answered cursor %lld, behind ours (%lld)", f->peer->name,
                        (long long)f->b.cursor, (long long)f->cursor);
    }
    if (f->rc)
        kz_sync_batch_clear(&f->b);
    return NULL;
}

int kz_sync_pull(kz_store *st, const kz_node_identity *id, const kz_peer *peer, kz_sync_run *run,
                 kz_err *err)
{
    memset(run, 0, sizeof *run);
    run->cursor = peer->pulled_cursor;
    /* Two pages in flight: while page k is verified and stored, page k+1
     * is downloaded and parsed, so the peer's work and ours overlap. Only
     * the applied page's cursor is ever saved. */
    fetch cur = {.peer = peer, .abort = t_abort, .cursor = peer->pulled_cursor},
          next = {.peer = peer, .abort = t_abort};
    fetch_page(&cur);
    for (;;) {
        if (cur.rc) {
            *err = cur.err;
            return cur.rc;
        }
        bool more = cur.b.more, moved = cur.b.cursor != cur.cursor;
        bool ahead = more && moved; /* a peer saying "more" without moving would loop us */
        pthread_t t;
        if (ahead) {
            next = (fetch){.peer = peer, .abort = t_abort, .cursor = cur.b.cursor};
            if (pthread_create(&t, NULL, fetch_page, &next) != 0)
                ahead = false, more = false;
        }
        /* The page and the cursor that acknowledges it commit together. */
        kz_sync_apply_stats s;
        int r = kz_store_begin(st, err);
        if (!r)
            r = kz_sync_apply(st, id, peer, &cur.b, &s, err);
        if (!r)
            r = kz_store_peer_cursor(st, peer->id, false, cur.b.cursor, err);
        if (r)
            kz_store_rollback(st);
        else
            r = kz_store_commit(st, err);
        run->objects += json_array_size(cur.b.objects);
        int64_t reached = cur.b.cursor;
        kz_sync_batch_clear(&cur.b);
        if (ahead)
            pthread_join(t, NULL);
        if (r) {
            kz_sync_batch_clear(&next.b);
            return r;
        }
        run->pages++;
        run->stats.events += s.events;
        run->stats.indicators += s.indicators;
        run->stats.sightings += s.sightings;
        run->stats.deletions += s.deletions;
        run->stats.orgs += s.orgs;
        run->stats.unchanged += s.unchanged;
        run->cursor = reached;
        if (!ahead)
            break;
        cur = next;
    }
    return 0;
}

int kz_sync_push(kz_store *st, const kz_node_identity *id, const kz_peer *peer, kz_sync_run *run,
                 kz_err *err)
{
    memset(run, 0, sizeof *run);
    int64_t cursor = peer->pushed_cursor;
    run->cursor = cursor;
    for (;;) {
        kz_sync_batch b;
        int r = kz_sync_feed_page(st, id, peer, cursor, page_size(), &b, err);
        if (r)
            return r;
        size_t n = json_array_size(b.objects);
        if (n) {
            kz_buf body;
            kz_buf_init(&body);
            r = kz_sync_batch_encode(&b, true, &body, err);
            resp rs = {.max = 1 << 20};
            kz_buf_init(&rs.body);
            long status = 0;
            if (!r)
                r = request("POST", peer->url, "/api/v1/sync/push", peer->api_key, &body, &rs,
                            &status, err);
            if (!r && status != 200)
                r = status_err("pushing to", peer->name, status, &rs, err);
            if (!r) {
                json_t *j = json_loadb(rs.body.p, rs.body.len, JSON_REJECT_DUPLICATES, NULL);
                json_t *ap = json_object_get(j, "applied");
                run->stats.events += (size_t)json_integer_value(json_object_get(ap, "events"));
                run->stats.indicators +=
                    (size_t)json_integer_value(json_object_get(ap, "indicators"));
                run->stats.sightings += (size_t)json_integer_value(json_object_get(ap, "sightings"));
                run->stats.deletions += (size_t)json_integer_value(json_object_get(ap, "deletions"));
                run->stats.orgs += (size_t)json_integer_value(json_object_get(ap, "orgs"));
                run->stats.unchanged += (size_t)json_integer_value(json_object_get(ap, "unchanged"));
                run->stats.cases += (size_t)json_integer_value(json_object_get(ap, "cases"));
                run->stats.case_actions +=
                    (size_t)json_integer_value(json_object_get(ap, "case_actions"));
                json_decref(j);
            }
            kz_buf_free(&rs.body);
            kz_buf_free(&body);
        }
        bool more = b.more;
        int64_t next = b.cursor;
        kz_sync_batch_clear(&b);
        if (r)
            return r;
        if (next != cursor && (r = kz_store_peer_cursor(st, peer->id, true, next, err)))
            return r;
        run->objects += n;
        run->pages++;
        bool moved = next != cursor;
        run->cursor = cursor = next;
        if (!more || !moved)
            break;
    }
    return 0;
}
