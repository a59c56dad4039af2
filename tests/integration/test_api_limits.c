/* test_api_limits.c — the node's defences over HTTP: credentials that are
 * missing, malformed, unknown or revoked; bodies above --max-body (declared
 * or chunked); JSON nested too deep; the per-key rate limit with Retry-After;
 * the idle time-out; an access log that never holds secrets; and a SIGTERM
 * in the middle of a large batch, which must leave all of it or none.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kz_node.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void start(kz_node *n, const char *const *extra)
{
    assert_int_equal(kz_node_init(n, "CERT-L", "VN"), 0);
    assert_int_equal(kz_node_start(n, extra), 0);
}

static void stop(kz_node *n)
{
    assert_int_equal(kz_node_stop(n), 0);
    kz_node_free(n);
}

static bool event_titled(kz_node *n, const char *key, const char *title)
{
    kz_resp r = kz_get(n, "/api/v1/events?limit=1000", key);
    KZ_EXPECT(r, 200);
    bool has = kz_resp_list_has(&r, "events", "title", title);
    kz_resp_free(&r);
    return has;
}

/* ---- credentials ---------------------------------------------------------- */

static void test_bad_credentials_are_401(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    static const struct {
        const char *auth; /* "Raw <header value>" or NULL */
        const char *msg;  /* fragment of the message */
    } cases[] = {
        {NULL, "needs credentials"},
        {"Raw Bearer", "malformed API key"},
        {"Raw Bearer ", "malformed API key"},
        {"Raw Bearer kz_short", "malformed API key"},
        {"Raw Bearer kz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unknown, revoked or expired"},
        {"Raw Bearer xx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "malformed API key"},
        {"Raw Token abc", "unsupported Authorization scheme"},
        {"Raw Basic", "malformed Basic"},
        {"Raw Bearerkz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unsupported Authorization scheme"},
        {"Raw Basic Zm9vYmFy", "malformed Basic"}, /* "foobar": no colon */
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_resp r = kz_get(&n, "/api/v1/me", cases[i].auth);
        print_message("case %zu: %s\n", i, cases[i].auth ? cases[i].auth : "(none)");
        KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
        assert_non_null(strstr(kz_resp_str(&r, "error.message"), cases[i].msg));
        assert_non_null(strstr(r.www_authenticate, "Bearer realm=\"kizuna\""));
        kz_resp_free(&r);
    }
    /* The admin key with one character changed, or with a suffix. */
    char key[80];
    snprintf(key, sizeof key, "%s", n.admin_key);
    key[10] = key[10] == 'A' ? 'B' : 'A';
    kz_resp r = kz_get(&n, "/api/v1/me", key);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    snprintf(key, sizeof key, "%sx", n.admin_key);
    r = kz_get(&n, "/api/v1/me", key);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    /* The scheme is case-insensitive. */
    snprintf(key, sizeof key, "Raw bearer %s", n.admin_key);
    r = kz_get(&n, "/api/v1/me", key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    /* Credentials come before content checks: a stranger learns nothing. */
    kz_http(&n, "POST", "/api/v1/orgs", NULL, "text/plain", "x", 1, &r);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    static const char sneaky[] = "{\"name\":\"sneaky\",\"country\":\"VN\",\"type\":\"ngo\"}";
    kz_http(&n, "POST", "/api/v1/orgs", "kz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "application/json", sneaky, strlen(sneaky), &r);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/orgs", n.admin_key);
    assert_false(kz_resp_list_has(&r, "orgs", "name", "sneaky"));
    kz_resp_free(&r);

    /* Revoked. */
    r = kz_post(&n, "/api/v1/keys", n.admin_key, "{\"label\":\"to revoke\"}");
    KZ_EXPECT(r, 201);
    char kid[40], secret[64], path[128];
    snprintf(kid, sizeof kid, "%s", kz_resp_str(&r, "id"));
    snprintf(secret, sizeof secret, "%s", kz_resp_str(&r, "key"));
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/me", secret);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/keys/%s", kid);
    r = kz_delete(&n, path, n.admin_key);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/me", secret);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);

    /* Public routes need nothing. */
    r = kz_get(&n, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    stop(&n);
}

/* ---- body limits ------------------------------------------------------------ */

static char *event_body(size_t size, const char *title)
{
    /* {"title":"<title>","description":"aaaa..."} of exactly size bytes. */
    char head[128];
    int h = snprintf(head, sizeof head, "{\"title\":\"%s\",\"description\":\"", title);
    size_t pad = size - (size_t)h - 2;
    char *b = malloc(size + 1);
    memcpy(b, head, (size_t)h);
    memset(b + h, 'a', pad);
    memcpy(b + h + pad, "\"}", 3);
    return b;
}

/* A raw connection, for what curl will not send. */
static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Reads until the peer closes or timeout; returns bytes read. */
static size_t slurp(int fd, char *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    long long end = now_ms() + timeout_ms;
    while (got + 1 < n && now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    return got;
}

static void test_body_limits(void **state)
{
    (void)state;
    kz_node n;
    static const char *const extra[] = {"--max-body", "4096", NULL};
    start(&n, extra);

    char *big = event_body(5000, "too big");
    kz_resp r;
    kz_http(&n, "POST", "/api/v1/events", n.admin_key, "application/json", big, 5000, &r);
    KZ_EXPECT_ERR(r, 413, "too_large", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "4096"));
    kz_resp_free(&r);
    /* Checked before the credentials, so nobody makes the node read it. */
    kz_http(&n, "POST", "/api/v1/events", NULL, "application/json", big, 5000, &r);
    KZ_EXPECT_ERR(r, 413, "too_large", NULL);
    kz_resp_free(&r);
    free(big);
    assert_false(event_titled(&n, n.admin_key, "too big"));

    char *fits = event_body(4096, "just fits");
    kz_http(&n, "POST", "/api/v1/events", n.admin_key, "application/json", fits, 4096, &r);
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    free(fits);
    assert_true(event_titled(&n, n.admin_key, "just fits"));

    /* Chunked, with no Content-Length to refuse up front. */
    int fd = dial(n.port);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n",
                      n.admin_key);
    assert_int_equal(write(fd, head, (size_t)hl), hl);
    char *chunked = event_body(6000, "chunked big");
    for (size_t off = 0; off < 6000; off += 1000) {
        char sz[16];
        int sl = snprintf(sz, sizeof sz, "%x\r\n", 1000);
        if (write(fd, sz, (size_t)sl) != sl || write(fd, chunked + off, 1000) != 1000 ||
            write(fd, "\r\n", 2) != 2)
            break; /* the node may answer and close before the end */
    }
    if (write(fd, "0\r\n\r\n", 5) != 5) {
        /* closed early: fine, the answer is already in the socket */
    }
    free(chunked);
    char resp[4096];
    slurp(fd, resp, sizeof resp, 5000);
    close(fd);
    assert_non_null(strstr(resp, "HTTP/1.1 413"));
    assert_non_null(strstr(resp, "\"too_large\""));
    assert_false(event_titled(&n, n.admin_key, "chunked big"));

    /* JSON nested deeper than 64 levels. */
    char deep[400];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"title\":\"deep\",\"tags\":");
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    for (int i = 0; i < 100; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    deep[k] = 0;
    r = kz_post(&n, "/api/v1/events", n.admin_key, deep);
    KZ_EXPECT_ERR(r, 400, "invalid", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "nested deeper than 64"));
    kz_resp_free(&r);
    assert_false(event_titled(&n, n.admin_key, "deep"));

    /* An error message quoting raw bytes stays valid JSON. */
    r = kz_get(&n, "/api/v1/events/%ff%fe", n.admin_key);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    stop(&n);
}

static void test_idle_connections_time_out(void **state)
{
    (void)state;
    kz_node n;
    static const char *const extra[] = {"--timeout", "1", NULL};
    start(&n, extra);
    int fd = dial(n.port);
    static const char partial[] = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(write(fd, partial, sizeof partial - 1), (ssize_t)(sizeof partial - 1));
    long long t0 = now_ms();
    char buf[256];
    slurp(fd, buf, sizeof buf, 8000);
    long long waited = now_ms() - t0;
    close(fd);
    assert_true(waited >= 700);
    assert_true(waited < 7000); /* closed by the node, not by our own give-up */
    kz_resp r = kz_get(&n, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    stop(&n);
}

/* ---- rate ------------------------------------------------------------------ */

static void test_rate_limit_per_key(void **state)
{
    (void)state;
    kz_node n;
    static const char *const extra[] = {"--rate", "5", "--burst", "5", NULL};
    start(&n, extra);
    /* A second key, made before the admin key spends its burst. */
    kz_resp r = kz_post(&n, "/api/v1/keys", n.admin_key, "{\"label\":\"other\"}");
    KZ_EXPECT(r, 201);
    char other[64];
    snprintf(other, sizeof other, "%s", kz_resp_str(&r, "key"));
    kz_resp_free(&r);

    /* The create above took one token; four remain, then 429 (plus what
     * the rate refills while these requests run). */
    int ok = 0;
    kz_resp last = {0};
    long long t0 = now_ms();
    for (int i = 0; i < 50 && last.status != 429; i++) {
        r = kz_get(&n, "/api/v1/me", n.admin_key);
        if (r.status == 200) {
            ok++;
            kz_resp_free(&r);
        } else {
            kz_resp_free(&last);
            last = r;
        }
    }
    long long elapsed = now_ms() - t0;
    KZ_EXPECT_ERR(last, 429, "rate_limited", NULL);
    assert_true(atoi(last.retry_after) >= 1);
    assert_true(ok >= 4);
    assert_true(ok <= 4 + (int)(elapsed * 5 / 1000) + 1);
    kz_resp_free(&last);
    /* Other keys and public routes are not affected. */
    r = kz_get(&n, "/api/v1/me", other);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    /* Tokens come back at the rate. */
    usleep(1300000);
    r = kz_get(&n, "/api/v1/me", n.admin_key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    stop(&n);
}

/* ---- access log -------------------------------------------------------------- */

static void test_access_log_has_no_secrets(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    kz_resp r = kz_get(&n, "/api/v1/search?value=needle-in-the-query.example", n.admin_key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/me", n.admin_key);
    char key_id[40];
    snprintf(key_id, sizeof key_id, "%s", kz_resp_str(&r, "key_id"));
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/me", "Basic YWRtaW5AbG9jYWxob3N0OnN1cGVyc2VjcmV0cGFzcw==");
    KZ_EXPECT(r, 401);
    kz_resp_free(&r);
    char admin_key[64];
    snprintf(admin_key, sizeof admin_key, "%s", n.admin_key);
    char log[512];
    snprintf(log, sizeof log, "%s", n.log);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", n.dir);
    /* Stop first so every line is flushed, but keep the directory. */
    assert_int_equal(kz_node_stop(&n), 0);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    kz_node_free(&n);
    assert_null(strstr(text, admin_key));
    assert_null(strstr(text, admin_key + 3)); /* nor the key without its prefix */
    assert_null(strstr(text, "needle-in-the-query"));
    assert_null(strstr(text, "supersecretpass"));
    assert_null(strstr(text, "YWRtaW5AbG9jYWxob3N0"));
    char want[160];
    snprintf(want, sizeof want, "GET /api/v1/search 200 ");
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "key=%s", key_id);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "GET /api/v1/me 401 "));
    (void)dir;
}

/* ---- the home page --------------------------------------------------------------- */

static void test_home_page_escapes_the_node_name(void **state)
{
    (void)state;
    kz_node n;
    static const char *const extra[] = {"--name", "CERT <script>alert(1)</script> & \"Co\"", NULL};
    start(&n, extra);
    kz_resp r = kz_get(&n, "/", NULL);
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.body, "<h1>CERT &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;</h1>"));
    assert_null(strstr(r.body, "<script>"));
    kz_resp_free(&r);
    stop(&n);
}

/* ---- shutdown ------------------------------------------------------------------ */

#define BATCH 20000

typedef struct poster {
    kz_node node; /* a copy with its own curl handle */
    const char *key;
    const char *body;
    size_t len;
    long status;
} poster;

static void *post_batch(void *arg)
{
    poster *p = arg;
    kz_resp r;
    kz_http(&p->node, "POST", "/api/v1/events", p->key, "application/json", p->body, p->len, &r);
    p->status = r.status;
    kz_resp_free(&r);
    return NULL;
}

static void test_sigterm_during_batch_leaves_all_or_nothing(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"title\":\"big batch\",\"indicators\":[");
    for (int i = 0; i < BATCH; i++)
        kz_buf_printf(&b, "%s{\"type\":\"ipv4\",\"value\":\"10.%d.%d.%d\"}", i ? "," : "",
                      (i >> 16) & 255, (i >> 8) & 255, i & 255);
    kz_buf_puts(&b, "]}");

    static const int delays_ms[] = {0, 150, 600};
    int stored = 0, refused = 0;
    for (size_t d = 0; d < KZ_ARRAY_LEN(delays_ms); d++) {
        poster p = {.node = n, .key = n.admin_key, .body = b.p, .len = b.len};
        p.node.curl = NULL;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, post_batch, &p), 0);
        usleep((useconds_t)delays_ms[d] * 1000);
        assert_int_equal(kz_node_stop(&n), 0); /* SIGTERM; must exit cleanly */
        pthread_join(t, NULL);
        if (p.node.curl)
            curl_easy_cleanup(p.node.curl);
        assert_int_equal(kz_node_start(&n, NULL), 0);

        /* All of it or none of it. */
        kz_resp r = kz_get(&n, "/api/v1/events?limit=1000", n.admin_key);
        KZ_EXPECT(r, 200);
        json_t *arr = kz_resp_get(&r, "events"), *it;
        size_t i;
        int copies = 0;
        json_array_foreach(arr, i, it) {
            if (strcmp(json_string_value(json_object_get(it, "title")), "big batch") != 0)
                continue;
            copies++;
            kz_resp e = kz_getf(&n, n.admin_key, "/api/v1/events/%s",
                                json_string_value(json_object_get(it, "id")));
            KZ_EXPECT(e, 200);
            assert_int_equal(kz_resp_count(&e, "indicators"), BATCH);
            kz_resp_free(&e);
            /* Remove it so the next round starts clean. */
            char path[128];
            snprintf(path, sizeof path, "/api/v1/events/%s",
                     json_string_value(json_object_get(it, "id")));
            kz_resp del = kz_delete(&n, path, n.admin_key);
            KZ_EXPECT(del, 204);
            kz_resp_free(&del);
        }
        kz_resp_free(&r);
        print_message("delay %d ms: status %ld, stored %d\n", delays_ms[d], p.status, copies);
        assert_true(copies <= 1);
        if (p.status == 201)
            assert_int_equal(copies, 1); /* answered 201 means it is there */
        stored += copies;
        refused += copies == 0;
    }
    (void)stored;
    (void)refused;

    /* Deterministic "none": half the body is sent, then SIGTERM. The node
     * waits for the request, the idle time-out cuts it, nothing is stored. */
    assert_int_equal(kz_node_stop(&n), 0);
    static const char *const extra[] = {"--timeout", "1", NULL};
    assert_int_equal(kz_node_start(&n, extra), 0);
    int fd = dial(n.port);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      n.admin_key, b.len);
    assert_int_equal(write(fd, head, (size_t)hl), hl);
    assert_int_equal(write(fd, b.p, b.len / 2), (ssize_t)(b.len / 2));
    usleep(200000);
    long long t0 = now_ms();
    assert_int_equal(kz_node_stop(&n), 0);
    assert_true(now_ms() - t0 < 8000);
    close(fd);
    assert_int_equal(kz_node_start(&n, NULL), 0);
    assert_false(event_titled(&n, n.admin_key, "big batch"));
    kz_buf_free(&b);
    stop(&n);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_credentials_are_401),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_idle_connections_time_out),
        cmocka_unit_test(test_rate_limit_per_key),
        cmocka_unit_test(test_access_log_has_no_secrets),
        cmocka_unit_test(test_home_page_escapes_the_node_name),
        cmocka_unit_test(test_sigterm_during_batch_leaves_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
