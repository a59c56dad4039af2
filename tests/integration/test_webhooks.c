/* test_webhooks.c — webhooks end to end: a receiver on 127.0.0.1 in this
 * process gets the node's POSTs. Checked: the signature verifies with the
 * secret shown once (and the secret appears nowhere else: not in GET, not
 * in the server log), a receiver that fails twice then succeeds gets the
 * same change again with attempts logged, an org never receives what it
 * may not see, and the API refuses bad webhooks and strangers.
 *
 * Cast: org A (admin's, publishes), B and C each with an org_admin and an
 * analyst. Event E_ALL (TLP:CLEAR, all) is for everyone; E_B (TLP:AMBER,
 * recipient B) only for A and B; E_DRAFT (unpublished) for A only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kz_node.h"

/* ---- the receiver -------------------------------------------------------- */

#define RX_MAX 512

typedef struct rx_req {
    char path[64];
    char ts[32];
    char sig[96];
    char event[32];
    char *body;
    int status; /* what we answered */
} rx_req;

static struct {
    int fd, port;
    pthread_t th;
    pthread_mutex_t mu;
    rx_req reqs[RX_MAX];
    int n;
    int fail_retry; /* answers 500 to this many requests on /retry */
    atomic_bool stop;
} RX = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void header(const char *head, const char *name, char *out, size_t n)
{
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char *p = head; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r\n");
            snprintf(out, n, "%.*s", (int)(k < n - 1 ? k : n - 1), v);
            return;
        }
    }
}

static void serve_one(int c)
{
    char buf[65536] = ""; /* strstr reads it before the first recv */
    size_t len = 0;
    char *end = NULL;
    while (len < sizeof buf - 1 && !(end = strstr(buf, "\r\n\r\n"))) {
        ssize_t k = recv(c, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0)
            return;
        len += (size_t)k;
        buf[len] = 0;
    }
    if (!end)
        return;
    *end = 0;
    char cl[32];
    header(strchr(buf, '\n') + 1, "Content-Length", cl, sizeof cl);
    size_t want = (size_t)atol(cl), have = len - (size_t)(end + 4 - buf);
    char *body = malloc(want + 1);
    memcpy(body, end + 4, have < want ? have : want);
    while (have < want) {
        ssize_t k = recv(c, body + have, want - have, 0);
        if (k <= 0)
            break;
        have += (size_t)k;
    }
    body[want] = 0;
    rx_req q = {.body = body};
    sscanf(buf, "POST %63s", q.path);
    const char *h = strchr(buf, '\n') + 1;
    header(h, "X-Kizuna-Timestamp", q.ts, sizeof q.ts);
    header(h, "X-Kizuna-Signature", q.sig, sizeof q.sig);
    header(h, "X-Kizuna-Event", q.event, sizeof q.event);
    pthread_mutex_lock(&RX.mu);
    q.status = 200;
    if (strcmp(q.path, "/retry") == 0 && RX.fail_retry > 0) {
        RX.fail_retry--;
        q.status = 500;
    }
    if (strcmp(q.path, "/dead") == 0)
        q.status = 503;
    if (RX.n < RX_MAX)
        RX.reqs[RX.n++] = q;
    else
        free(body);
    int status = q.status;
    pthread_mutex_unlock(&RX.mu);
    char resp[128];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status,
                     status == 200 ? "OK" : "Internal Server Error");
    ssize_t w = send(c, resp, (size_t)n, MSG_NOSIGNAL);
    (void)w;
}

static void *rx_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&RX.stop)) {
        struct pollfd p = {.fd = RX.fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(RX.fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(c);
        close(c);
    }
    return NULL;
}

static int rx_start(void)
{
    RX.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(RX.fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(RX.fd, 16) != 0 ||
        getsockname(RX.fd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    RX.port = ntohs(a.sin_port);
    return pthread_create(&RX.th, NULL, rx_main, NULL) == 0 ? 0 : -1;
}

static void rx_stop(void)
{
    atomic_store(&RX.stop, true);
    pthread_join(RX.th, NULL);
    close(RX.fd);
    for (int i = 0; i < RX.n; i++)
        free(RX.reqs[i].body);
}

/* Requests received on path whose body names id (NULL = any). */
static int rx_count(const char *path, const char *id)
{
    int k = 0;
    pthread_mutex_lock(&RX.mu);
    for (int i = 0; i < RX.n; i++)
        if (strcmp(RX.reqs[i].path, path) == 0 && (!id || strstr(RX.reqs[i].body, id)))
            k++;
    pthread_mutex_unlock(&RX.mu);
    return k;
}

/* Waits up to ms for rx_count(path, id) >= n. */
static bool rx_wait(const char *path, const char *id, int n, int ms)
{
    for (int t = 0; t < ms; t += 50) {
        if (rx_count(path, id) >= n)
            return true;
        usleep(50000);
    }
    return rx_count(path, id) >= n;
}

/* ---- the node -------------------------------------------------------------- */

static kz_node N;
/* A 30 s answer time: the hanging receivers below must not be what ends
 * their deliveries. */
static const char *const NODE_ARGS[] = {"--webhook-allow-private", "--webhook-poll-ms", "100",
                                        "--webhook-retry-ms", "200", "--webhook-max-attempts",
                                        "3", "--webhook-timeout-s", "30", NULL};
static const char *ADMIN;
static char ORG_A[40], ORG_B[40], ORG_C[40];
static char B_OA[64], B_AN[64], C_OA[64];
static char SECRET_B[80], SECRET_C[80], SECRET_R[80];
static char HOOK_B[40], HOOK_C[40], HOOK_R[40];
static char E_ALL[40], E_B[40], E_DRAFT[40], IND_B[40];

static void make_hook_at(const char *key, int port, const char *path, const char *events,
                         char id[40], char secret[80])
{
    char body[512];
    snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%d%s\",\"events\":%s}", port,
             path, events);
    kz_resp r = kz_post(&N, "/api/v1/webhooks", key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    const char *s = kz_resp_str(&r, "secret");
    assert_non_null(s);
    assert_int_equal(strlen(s), 48);
    snprintf(secret, 80, "%s", s);
    kz_resp_free(&r);
}

static void make_hook(const char *key, const char *path, const char *events, char id[40],
                      char secret[80])
{
    make_hook_at(key, RX.port, path, events, id, secret);
}

/* A receiver that takes connections and never answers: a listening socket
 * whose connections the test accepts and holds. */
static int hang_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

/* The node's next connection to the hanging receiver, accepted (-1 when
 * none comes within ms). */
static int hang_accept(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1 ? accept(fd, NULL, NULL) : -1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void make_event(const char *body, bool publish, char id[40], char ind[40])
{
    kz_resp r = kz_post(&N, "/api/v1/events", ADMIN, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    if (ind)
        snprintf(ind, 40, "%s", kz_resp_str(&r, "indicators.0.id"));
    kz_resp_free(&r);
    if (publish) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/events/%s/publish", id);
        r = kz_post(&N, path, ADMIN, NULL);
        KZ_EXPECT(r, 200);
        kz_resp_free(&r);
    }
}

static int setup(void **state)
{
    (void)state;
    if (rx_start() != 0 || kz_node_init(&N, "CERT-A", "TH") != 0 ||
        kz_node_start(&N, NODE_ARGS) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp me = kz_get(&N, "/api/v1/me", ADMIN);
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&me, "org.id"));
    kz_resp_free(&me);
    kz_make_org(&N, ADMIN, "CERT-B", "JP", ORG_B);
    kz_make_org(&N, ADMIN, "CERT-C", "SG", ORG_C);
    char id[40];
    kz_make_user(&N, ADMIN, ORG_B, "oa@b.example", "org_admin", id, B_OA);
    kz_make_user(&N, ADMIN, ORG_B, "an@b.example", "analyst", id, B_AN);
    kz_make_user(&N, ADMIN, ORG_C, "oa@c.example", "org_admin", id, C_OA);
    make_hook(B_OA, "/b", "[\"event\",\"sighting\"]", HOOK_B, SECRET_B);
    make_hook(C_OA, "/c", "[\"event\",\"sighting\",\"case\"]", HOOK_C, SECRET_C);

    char body[512];
    make_event("{\"title\":\"for everyone\",\"tlp\":\"clear\",\"distribution\":\"all\","
               "\"indicators\":[{\"type\":\"domain\",\"value\":\"all.example\"}]}",
               true, E_ALL, NULL);
    snprintf(body, sizeof body,
             "{\"title\":\"for B only\",\"tlp\":\"amber\",\"distribution\":\"all\","
             "\"recipient_orgs\":[\"%s\"],"
             "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"198.51.100.7\"}]}",
             ORG_B);
    make_event(body, true, E_B, IND_B);
    make_event("{\"title\":\"draft\",\"tlp\":\"clear\",\"distribution\":\"all\"}", false, E_DRAFT,
               NULL);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/indicators/%s/sightings", IND_B);
    kz_resp r = kz_post(&N, path, ADMIN, "{\"source\":\"sensor-1\"}");
    if (r.status != 201)
        return -1;
    kz_resp_free(&r);
    /* Publishing E_ALL again would not add a change; a later one marks the
     * end of the backlog both orgs may see. */
    char end[40];
    make_event("{\"title\":\"end marker\",\"tlp\":\"clear\",\"distribution\":\"all\"}", true, end,
               NULL);
    return rx_wait("/b", end, 1, 15000) && rx_wait("/c", end, 1, 15000) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    rx_stop();
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* ---- tests ----------------------------------------------------------------- */

static bool sig_ok(const rx_req *q, const char *secret)
{
    crypto_auth_hmacsha256_state h;
    uint8_t mac[32];
    crypto_auth_hmacsha256_init(&h, (const uint8_t *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)q->ts, strlen(q->ts));
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)q->body, strlen(q->body));
    crypto_auth_hmacsha256_final(&h, mac);
    char want[7 + 65] = "sha256=";
    sodium_bin2hex(want + 7, 65, mac, sizeof mac);
    return strcmp(want, q->sig) == 0;
}

static void test_signature_verifies(void **state)
{
    (void)state;
    int checked = 0;
    pthread_mutex_lock(&RX.mu);
    for (int i = 0; i < RX.n; i++) {
        rx_req *q = &RX.reqs[i];
        const char *secret = !strcmp(q->path, "/b") ? SECRET_B : !strcmp(q->path, "/c") ? SECRET_C
                                                                                           : NULL;
        if (!secret)
            continue;
        assert_true(sig_ok(q, secret));
        /* The other org's secret does not verify it, nor a changed body. */
        assert_false(sig_ok(q, secret == SECRET_B ? SECRET_C : SECRET_B));
        char *saved = q->body;
        char *copy = strdup(saved);
        copy[0] = ' ';
        q->body = copy;
        assert_false(sig_ok(q, secret));
        q->body = saved;
        free(copy);
        long ts = atol(q->ts);
        assert_true(labs((long)time(NULL) - ts) < 300);
        json_t *j = json_loads(q->body, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "kind")), q->event);
        assert_true(json_integer_value(json_object_get(j, "seq")) > 0);
        json_decref(j);
        checked++;
    }
    pthread_mutex_unlock(&RX.mu);
    assert_true(checked >= 4);
}

static void test_org_sees_only_what_it_may(void **state)
{
    (void)state;
    /* B: the public event, its own amber one and the sighting on it. */
    assert_true(rx_count("/b", E_ALL) >= 1);
    assert_true(rx_count("/b", E_B) >= 1);
    assert_true(rx_count("/b", "\"sensor-1\"") == 1);
    /* C: the public event, never the amber one, its sighting, or the draft. */
    assert_true(rx_count("/c", E_ALL) >= 1);
    assert_int_equal(rx_count("/c", E_B), 0);
    assert_int_equal(rx_count("/c", "198.51.100.7"), 0);
    assert_int_equal(rx_count("/c", "sensor-1"), 0);
    assert_int_equal(rx_count("/c", E_DRAFT), 0);
    assert_int_equal(rx_count("/b", E_DRAFT), 0);
    /* Each webhook's deliveries are in change order. */
    pthread_mutex_lock(&RX.mu);
    json_int_t last_b = 0;
    for (int i = 0; i < RX.n; i++) {
        if (strcmp(RX.reqs[i].path, "/b") != 0)
            continue;
        json_t *j = json_loads(RX.reqs[i].body, 0, NULL);
        json_int_t seq = json_integer_value(json_object_get(j, "seq"));
        assert_true(seq > last_b);
        last_b = seq;
        json_decref(j);
    }
    pthread_mutex_unlock(&RX.mu);
}

static void test_retry_after_failures(void **state)
{
    (void)state;
    pthread_mutex_lock(&RX.mu);
    RX.fail_retry = 2;
    pthread_mutex_unlock(&RX.mu);
    make_hook(B_OA, "/retry", "[\"event\"]", HOOK_R, SECRET_R);
    char ev[40], body[256];
    snprintf(body, sizeof body,
             "{\"title\":\"retried\",\"tlp\":\"amber\",\"distribution\":\"all\","
             "\"recipient_orgs\":[\"%s\"]}",
             ORG_B);
    make_event(body, true, ev, NULL);
    assert_true(rx_wait("/retry", ev, 3, 20000));
    /* The same change three times: 500, 500, then 200, with valid signatures. */
    pthread_mutex_lock(&RX.mu);
    int k = 0;
    json_int_t seq0 = -1;
    for (int i = 0; i < RX.n; i++) {
        rx_req *q = &RX.reqs[i];
        if (strcmp(q->path, "/retry") != 0 || !strstr(q->body, ev))
            continue;
        json_t *j = json_loads(q->body, 0, NULL);
        json_int_t seq = json_integer_value(json_object_get(j, "seq"));
        json_decref(j);
        if (k == 0)
            seq0 = seq;
        if (k < 3) {
            assert_int_equal(seq, seq0);
            assert_int_equal(q->status, k < 2 ? 500 : 200);
            assert_true(sig_ok(q, SECRET_R));
        }
        k++;
    }
    pthread_mutex_unlock(&RX.mu);
    /* The delivery log, newest first: attempt 3 (200) after 2 and 1 (500). */
    kz_resp r;
    bool seen = false;
    for (int t = 0; t < 40 && !seen; t++) {
        r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s/deliveries", HOOK_R);
        KZ_EXPECT(r, 200);
        json_t *arr = kz_resp_get(&r, "deliveries");
        size_t i;
        json_t *d;
        int found = 0;
        json_array_foreach(arr, i, d) {
            if (json_integer_value(json_object_get(d, "change_seq")) != seq0)
                continue;
            assert_string_equal(json_string_value(json_object_get(d, "object_id")), ev);
            int attempt = (int)json_integer_value(json_object_get(d, "attempt"));
            int status = (int)json_integer_value(json_object_get(d, "status"));
            assert_int_equal(status, attempt == 3 ? 200 : 500);
            if (attempt < 3)
                assert_non_null(strstr(
                    json_string_value(json_object_get(d, "error")), "500"));
            else
                assert_true(json_is_null(json_object_get(d, "error")));
            found++;
        }
        seen = found == 3;
        kz_resp_free(&r);
        if (!seen)
            usleep(100000);
    }
    assert_true(seen);
    r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s", HOOK_R);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "failures")), 0);
    kz_resp_free(&r);
    /* AMBER left the node three times, the refused attempts too: each is
     * in the audit log with the status the receiver gave. */
    char remote[64];
    snprintf(remote, sizeof remote, "webhook:%s", HOOK_R);
    int statuses[16] = {0}, n = 0;
    for (int t = 0; t < 40 && n < 3; t++) {
        n = 0;
        r = kz_getf(&N, ADMIN, "/api/v1/audit?action=deliver&object_id=%s", ev);
        KZ_EXPECT(r, 200);
        json_t *arr = kz_resp_get(&r, "entries");
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
            if (strcmp(json_string_value(json_object_get(e, "remote")), remote) != 0)
                continue;
            assert_string_equal(json_string_value(json_object_get(e, "tlp")), "amber");
            if (n < 16)
                statuses[n++] = (int)json_integer_value(json_object_get(e, "status"));
        }
        kz_resp_free(&r);
        if (n < 3)
            usleep(100000);
    }
    /* Newest first; the first change of the event B may see (its
     * publication) is the one refused twice; a later change of it may
     * follow, delivered at once. */
    assert_true(n >= 3 && n <= 4);
    assert_int_equal(statuses[n - 1], 500);
    assert_int_equal(statuses[n - 2], 500);
    assert_int_equal(statuses[n - 3], 200);
    if (n == 4)
        assert_int_equal(statuses[0], 200);
}

/* Case changes reach an org's webhook only once the org takes part: not
 * while it is merely invited (it then sees only a summary through the API),
 * and never for a case it is not in. */
/* A receiver that never succeeds: after --webhook-max-attempts (3 here)
 * the change is skipped, logged as given up, and the next one is tried. */
static void test_gives_up_after_max_attempts(void **state)
{
    (void)state;
    char hook[40], secret[80], first[40], second[40];
    make_hook(C_OA, "/dead", "[\"event\"]", hook, secret);
    make_event("{\"title\":\"never taken\",\"tlp\":\"clear\",\"distribution\":\"all\"}", false,
               first, NULL);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", first);
    kz_resp r = kz_post(&N, path, ADMIN, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    assert_true(rx_wait("/dead", first, 3, 20000));
    make_event("{\"title\":\"the next one\",\"tlp\":\"clear\",\"distribution\":\"all\"}", true,
               second, NULL);
    assert_true(rx_wait("/dead", second, 1, 20000));
    /* Exactly three attempts at the first change, the last one given up. */
    r = kz_getf(&N, C_OA, "/api/v1/webhooks/%s/deliveries?limit=1000", hook);
    KZ_EXPECT(r, 200);
    json_t *arr = kz_resp_get(&r, "deliveries");
    json_int_t seq0 = -1;
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d) {
        if (strcmp(json_string_value(json_object_get(d, "object_id")), first) == 0 &&
            (seq0 < 0 || json_integer_value(json_object_get(d, "change_seq")) < seq0))
            seq0 = json_integer_value(json_object_get(d, "change_seq"));
    }
    int attempts = 0;
    json_array_foreach(arr, i, d) {
        if (json_integer_value(json_object_get(d, "change_seq")) != seq0)
            continue;
        attempts++;
        int attempt = (int)json_integer_value(json_object_get(d, "attempt"));
        assert_int_equal(json_integer_value(json_object_get(d, "status")), 503);
        assert_int_equal(json_is_true(json_object_get(d, "gave_up")), attempt == 3);
    }
    assert_int_equal(attempts, 3);
    kz_resp_free(&r);
}

/* A receiver that never answers holds up its own webhook, not the others:
 * while C's delivery hangs (the node waits up to 30 s for an answer), B's
 * webhook gets the next change within a few poll rounds. With one thread
 * delivering for every webhook, B would wait out the 30 s. */
static void test_hanging_receiver_holds_up_only_its_own(void **state)
{
    (void)state;
    int port = 0, lfd = hang_listen(&port);
    assert_true(lfd >= 0);
    char hook[40], secret[80], first[40], second[40];
    make_hook_at(C_OA, port, "/hang", "[\"event\"]", hook, secret);
    make_event("{\"title\":\"to a receiver that hangs\",\"tlp\":\"clear\","
               "\"distribution\":\"all\"}",
               true, first, NULL);
    int held = hang_accept(lfd, 10000); /* C's delivery is now in flight */
    assert_true(held >= 0);
    double t0 = now_s();
    make_event("{\"title\":\"while C hangs\",\"tlp\":\"clear\",\"distribution\":\"all\"}",
               true, second, NULL);
    assert_true(rx_wait("/b", second, 1, 5000));
    assert_true(now_s() - t0 < 5.0);
    /* The held connection is still open and waiting for its answer: the
     * hang really overlapped B's delivery (the request read, nothing more
     * comes, and the node has not closed it). */
    char req[8192];
    struct pollfd p = {.fd = held, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 1000), 1);
    assert_true(recv(held, req, sizeof req, 0) > 0);
    errno = 0;
    assert_int_equal(recv(held, req, sizeof req, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", hook);
    kz_resp r = kz_delete(&N, path, C_OA);
    assert_true(r.status == 200 || r.status == 204);
    kz_resp_free(&r);
    close(held);
    close(lfd);
}

/* Stopping the node ends a delivery in flight at once rather than at the
 * receiver's time-out (30 s here). */
static void test_stop_ends_a_hanging_delivery(void **state)
{
    (void)state;
    int port = 0, lfd = hang_listen(&port);
    assert_true(lfd >= 0);
    char hook[40], secret[80], ev[40];
    make_hook_at(C_OA, port, "/hang", "[\"event\"]", hook, secret);
    make_event("{\"title\":\"in flight at stop\",\"tlp\":\"clear\",\"distribution\":\"all\"}",
               true, ev, NULL);
    int held = hang_accept(lfd, 10000);
    assert_true(held >= 0);
    double t0 = now_s();
    int stopped = kz_node_stop(&N);
    double took = now_s() - t0;
    close(held);
    close(lfd);
    /* The node again (before any assertion) for the tests after this one
     * and the teardown; the hook, now pointing nowhere, goes. */
    assert_int_equal(kz_node_start(&N, NODE_ARGS), 0);
    assert_int_equal(stopped, 0);
    assert_true(took < 5.0);
    /* The attempt the stop ended is no attempt: not in the delivery log,
     * which would say curl's "aborted by an application callback" (the
     * node retries after the restart; those attempts fail on the closed
     * port as connection errors). */
    kz_resp d = kz_getf(&N, C_OA, "/api/v1/webhooks/%s/deliveries?limit=1000", hook);
    KZ_EXPECT(d, 200);
    size_t i;
    json_t *x;
    json_array_foreach(kz_resp_get(&d, "deliveries"), i, x) {
        const char *e = json_string_value(json_object_get(x, "error"));
        if (e && strstr(e, "abort"))
            fail_msg("the stopped attempt was logged: %s", e);
    }
    kz_resp_free(&d);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", hook);
    kz_resp r = kz_delete(&N, path, C_OA);
    assert_true(r.status == 200 || r.status == 204);
    kz_resp_free(&r);
}

static void test_case_changes_follow_participation(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/cases", ADMIN,
                        "{\"title\":\"Phishing against banks\",\"category\":\"fraud\","
                        "\"subtype\":\"phishing\",\"severity\":2,\"tlp\":\"amber\"}");
    KZ_EXPECT(r, 201);
    char cs[40], path[160], body[128], marker[40];
    snprintf(cs, sizeof cs, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants", cs);
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", ORG_C);
    r = kz_post(&N, path, ADMIN, body);
    assert_true(r.status == 200 || r.status == 201);
    kz_resp_free(&r);
    /* Let the dispatcher pass the case's changes so far. */
    make_event("{\"title\":\"case marker\",\"tlp\":\"clear\",\"distribution\":\"all\"}", true,
               marker, NULL);
    assert_true(rx_wait("/c", marker, 1, 15000));
    assert_int_equal(rx_count("/c", cs), 0);
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants/%s/accept", cs, ORG_C);
    r = kz_post(&N, path, C_OA, NULL);
    assert_true(r.status == 200 || r.status == 201);
    kz_resp_free(&r);
    assert_true(rx_wait("/c", cs, 1, 15000));
    pthread_mutex_lock(&RX.mu);
    for (int i = 0; i < RX.n; i++)
        if (!strcmp(RX.reqs[i].path, "/c") && strstr(RX.reqs[i].body, cs)) {
            assert_string_equal(RX.reqs[i].event, "case");
            assert_true(sig_ok(&RX.reqs[i], SECRET_C));
            json_t *j = json_loads(RX.reqs[i].body, 0, NULL);
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(j, "case"), "lead_org")),
                                ORG_A);
            json_decref(j);
        }
    pthread_mutex_unlock(&RX.mu);
    /* B subscribed to events and sightings only, and is not in the case. */
    assert_int_equal(rx_count("/b", cs), 0);
    /* A TLP:RED case is for people: C's people see it, C's webhook never
     * hears of it, not even its title. */
    r = kz_post(&N, "/api/v1/cases", ADMIN,
                "{\"title\":\"Red ransomware negotiation\",\"category\":\"fraud\","
                "\"subtype\":\"masquerade\",\"severity\":1,\"tlp\":\"red\"}");
    KZ_EXPECT(r, 201);
    char red[40];
    snprintf(red, sizeof red, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants", red);
    r = kz_post(&N, path, ADMIN, body);
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants/%s/accept", red, ORG_C);
    r = kz_post(&N, path, C_OA, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_getf(&N, C_OA, "/api/v1/cases/%s", red);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    make_event("{\"title\":\"red marker\",\"tlp\":\"clear\",\"distribution\":\"all\"}", true,
               marker, NULL);
    assert_true(rx_wait("/c", marker, 1, 15000));
    assert_int_equal(rx_count("/c", red), 0);
    assert_int_equal(rx_count("/c", "Red ransomware"), 0);
}

static void test_secret_shown_once(void **state)
{
    (void)state;
    kz_resp r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s", HOOK_B);
    KZ_EXPECT(r, 200);
    assert_null(kz_resp_get(&r, "secret"));
    assert_null(strstr(r.body, SECRET_B));
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_B);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/webhooks", B_OA);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "webhooks", "id", HOOK_B));
    assert_false(kz_resp_list_has(&r, "webhooks", "id", HOOK_C));
    assert_null(strstr(r.body, "kzwh_"));
    kz_resp_free(&r);
    /* Not in the database files (sealed at rest)... */
    static const char *const suffix[] = {"", "-wal"};
    for (size_t k = 0; k < KZ_ARRAY_LEN(suffix); k++) {
        char dbf[600];
        snprintf(dbf, sizeof dbf, "%s%s", N.db, suffix[k]);
        FILE *d = fopen(dbf, "rb");
        if (!d)
            continue;
        static char blob[1 << 22];
        size_t got = fread(blob, 1, sizeof blob, d);
        fclose(d);
        assert_null(memmem(blob, got, SECRET_B + 5, 40));
        assert_null(memmem(blob, got, SECRET_C + 5, 40));
    }
    /* ...nor in the server's log. */
    FILE *f = fopen(N.log, "r");
    assert_non_null(f);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        assert_null(strstr(line, SECRET_B));
        assert_null(strstr(line, SECRET_C));
    }
    fclose(f);
}

static void test_access(void **state)
{
    (void)state;
    /* Another org's webhook does not exist for you; an analyst manages none. */
    kz_resp r = kz_getf(&N, C_OA, "/api/v1/webhooks/%s", HOOK_B);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", HOOK_B);
    r = kz_delete(&N, path, C_OA);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, C_OA, "{\"active\":false}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, C_OA, "/api/v1/webhooks/%s/deliveries", HOOK_B);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/webhooks", B_AN);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/webhooks", B_AN, "{\"url\":\"https://x.example/\",\"events\":[\"event\"]}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    char body[256];
    snprintf(body, sizeof body,
             "{\"url\":\"https://x.example/\",\"events\":[\"event\"],\"org_id\":\"%s\"}", ORG_B);
    r = kz_post(&N, "/api/v1/webhooks", C_OA, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", "org_id");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/webhooks", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    /* The node admin sees every org's, and may pause one, but not point
     * an org's webhook (what that org may see) at a receiver of its own. */
    r = kz_get(&N, "/api/v1/webhooks", ADMIN);
    assert_true(kz_resp_list_has(&r, "webhooks", "id", HOOK_B));
    assert_true(kz_resp_list_has(&r, "webhooks", "id", HOOK_C));
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/webhooks", ADMIN, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", "org_id");
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"url\":\"https://admin.example/steal\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"events\":[\"event\",\"sighting\",\"case\"]}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"active\":false}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_false(kz_resp_get(&r, "active")));
    assert_non_null(strstr(kz_resp_str(&r, "url"), "/b"));
    kz_resp_free(&r);
    r = kz_patch(&N, path, ADMIN, "{\"active\":true}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    /* Deliveries: paging and a foreign cursor. */
    r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s/deliveries?limit=1", HOOK_B);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "deliveries"), 1);
    const char *next = kz_resp_str(&r, "next_cursor");
    assert_non_null(next);
    char cur[256];
    snprintf(cur, sizeof cur, "%s", next);
    json_int_t first = json_integer_value(kz_resp_get(&r, "deliveries.0.seq"));
    kz_resp_free(&r);
    r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s/deliveries?limit=1&cursor=%s", HOOK_B, cur);
    KZ_EXPECT(r, 200);
    assert_true(json_integer_value(kz_resp_get(&r, "deliveries.0.seq")) < first);
    kz_resp_free(&r);
    r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s/deliveries?cursor=abc", HOOK_B);
    KZ_EXPECT_ERR(r, 400, "invalid", "cursor");
    kz_resp_free(&r);
    r = kz_getf(&N, B_OA, "/api/v1/webhooks/%s/deliveries?limit=0", HOOK_B);
    KZ_EXPECT_ERR(r, 400, "invalid", "limit");
    kz_resp_free(&r);
}

/* The delivery settings of `kizuna serve`: a value out of range is refused
 * naming the option and its range, and no server starts. */
static void test_bad_delivery_settings(void **state)
{
    (void)state;
    static const struct {
        const char *opt, *value, *message;
    } cases[] = {
        {"--webhook-workers", "0", "option '--webhook-workers': '0' is not a number from 1 to 64"},
        {"--webhook-workers", "65", "option '--webhook-workers': '65' is not a number from 1 to 64"},
        {"--webhook-workers", "x", "option '--webhook-workers': 'x' is not a number from 1 to 64"},
        {"--webhook-timeout-s", "0",
         "option '--webhook-timeout-s': '0' is not a number from 1 to 300"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"serve",      "--db", N.db, "--listen", "127.0.0.1:0",
                              cases[i].opt, cases[i].value, NULL};
        char out[1024];
        assert_int_equal(kz_node_run_all(args, out, sizeof out), 2);
        if (!strstr(out, cases[i].message) || strstr(out, "listening on"))
            fail_msg("%s %s: %s", cases[i].opt, cases[i].value, out);
    }
}

static void test_bad_webhooks(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"url\":", 400, "invalid", "*"},
        {"[]", 400, "invalid", NULL},
        {"{\"events\":[\"event\"]}", 400, "invalid", "url"},
        {"{\"url\":\"https://r.example/\"}", 400, "invalid", "events"},
        {"{\"url\":42,\"events\":[\"event\"]}", 400, "invalid", "url"},
        {"{\"url\":\"ftp://r.example/x\",\"events\":[\"event\"]}", 422, "invalid_value", "url"},
        {"{\"url\":\"file:///etc/passwd\",\"events\":[\"event\"]}", 422, "invalid_value", "url"},
        {"{\"url\":\"javascript:alert(1)\",\"events\":[\"event\"]}", 422, "invalid_value", "url"},
        {"{\"url\":\"not a url\",\"events\":[\"event\"]}", 422, "invalid_value", "url"},
        {"{\"url\":\"https://user:pw@r.example/\",\"events\":[\"event\"]}", 422, "invalid_value",
         "url"},
        {"{\"url\":\"https://r.example/\",\"events\":[]}", 422, "invalid_value", "events"},
        {"{\"url\":\"https://r.example/\",\"events\":\"event\"}", 400, "invalid", "events"},
        {"{\"url\":\"https://r.example/\",\"events\":[\"indicator\"]}", 422, "invalid_value",
         "events[0]"},
        {"{\"url\":\"https://r.example/\",\"events\":[1]}", 400, "invalid", "events[0]"},
        {"{\"url\":\"https://r.example/\",\"events\":[\"event\"],\"active\":\"yes\"}", 400,
         "invalid", "active"},
        {"{\"url\":\"https://r.example/\",\"events\":[\"event\"],\"secret\":\"mine\"}", 400,
         "invalid", "secret"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        print_message("case %zu: %s\n", i, cases[i].body);
        kz_resp r = kz_post(&N, "/api/v1/webhooks", B_OA, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    static const char bad_utf8[] = "{\"url\":\"https://r.example/\xc3\x28\",\"events\":[\"event\"]}";
    kz_resp u;
    kz_http(&N, "POST", "/api/v1/webhooks", B_OA, NULL, bad_utf8, sizeof bad_utf8 - 1, &u);
    KZ_EXPECT_ERR(u, 400, "invalid", "*");
    kz_resp_free(&u);
    /* PATCH: a bad URL is refused and nothing changes; a good one sticks. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/webhooks/%s", HOOK_C);
    kz_resp r = kz_patch(&N, path, C_OA, "{\"url\":\"gopher://r.example/\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "url");
    kz_resp_free(&r);
    r = kz_patch(&N, path, C_OA, "{\"events\":[\"case\"],\"active\":false}");
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "events"), 1);
    assert_true(json_is_false(kz_resp_get(&r, "active")));
    assert_non_null(strstr(kz_resp_str(&r, "url"), "/c"));
    kz_resp_free(&r);
}

/* Without --webhook-allow-private, loopback and private targets are refused. */
static void test_ssrf_refused(void **state)
{
    (void)state;
    kz_node m;
    memset(&m, 0, sizeof m);
    assert_int_equal(kz_node_init(&m, "CERT-M", "MY"), 0);
    assert_int_equal(kz_node_start(&m, NULL), 0);
    static const char *const urls[] = {
        "http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://foo.localhost/",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(urls); i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"url\":\"%s\",\"events\":[\"event\"]}", urls[i]);
        print_message("url %s\n", urls[i]);
        kz_resp r = kz_post(&m, "/api/v1/webhooks", m.admin_key, body);
        KZ_EXPECT_ERR(r, 422, "invalid_value", "url");
        assert_non_null(strstr(kz_resp_str(&r, "error.message"), "--webhook-allow-private"));
        kz_resp_free(&r);
    }
    kz_resp r = kz_post(&m, "/api/v1/webhooks", m.admin_key,
                        "{\"url\":\"https://receiver.example/hook\",\"events\":[\"event\"]}");
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    assert_int_equal(kz_node_stop(&m), 0);
    kz_node_free(&m);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_verifies),
        cmocka_unit_test(test_org_sees_only_what_it_may),
        cmocka_unit_test(test_retry_after_failures),
        cmocka_unit_test(test_gives_up_after_max_attempts),
        cmocka_unit_test(test_hanging_receiver_holds_up_only_its_own),
        cmocka_unit_test(test_stop_ends_a_hanging_delivery),
        cmocka_unit_test(test_case_changes_follow_participation),
        cmocka_unit_test(test_secret_shown_once),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_bad_webhooks),
        cmocka_unit_test(test_bad_delivery_settings),
        cmocka_unit_test(test_ssrf_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
