/* test_api_hardening.c — the node against a hostile or careless client, over
 * HTTP: bodies bounded per route (and none where a route takes none), a JSON
 * memory budget, chunked bodies answered 413, HTTP Basic throttled per
 * e-mail and per address, over-long passwords refused alike for every
 * e-mail, per-address connection limits, sealed page cursors, paged
 * sightings, an event made stricter taking its indicators along, a PATCH
 * that hides the event from its editor, last_used bookkeeping that never
 * waits for a writer, and private database files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kz_node.h"
#include "store/store.h"

/* ---- helpers ---------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void start(kz_node *n, const char *const *extra)
{
    assert_int_equal(kz_node_init(n, "CERT-H", "ID"), 0);
    assert_int_equal(kz_node_start(n, extra), 0);
    if (!n->admin_org[0]) {
        kz_resp r = kz_get(n, "/api/v1/me", n->admin_key);
        KZ_EXPECT(r, 200);
        snprintf(n->admin_org, sizeof n->admin_org, "%s", kz_resp_str(&r, "org.id"));
        kz_resp_free(&r);
    }
}

static void stop(kz_node *n)
{
    assert_int_equal(kz_node_stop(n), 0);
    kz_node_free(n);
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Writes all of p unless the peer closes; false then. */
static bool put(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads until the peer closes, a whole response has come (headers and a
 * Content-Length body) or timeout; NUL-terminates. */
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
        buf[got] = 0;
        const char *eoh = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (eoh && cl && cl < eoh && got >= (size_t)(eoh + 4 - buf) + (size_t)atol(cl + 16))
            break;
    }
    buf[got] = 0;
    return got;
}

static int status_of(const char *resp)
{
    return strncmp(resp, "HTTP/1.1 ", 9) == 0 ? atoi(resp + 9) : 0;
}

/* The server's peak resident memory (VmHWM), in MiB. */
static long vm_hwm_mib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = atol(line + 6);
    fclose(f);
    assert_true(kib > 0);
    return kib / 1024;
}

/* "[x,x,...]"-shaped text of exactly n bytes: prefix, items, suffix. */
static char *repeat_body(const char *prefix, const char *item, const char *suffix, size_t n)
{
    char *b = malloc(n + 1);
    assert_non_null(b);
    size_t pl = strlen(prefix), il = strlen(item), sl = strlen(suffix), k = pl;
    memcpy(b, prefix, pl);
    while (k + il + 1 + sl <= n) {
        memcpy(b + k, item, il);
        k += il;
        b[k++] = ',';
    }
    k--; /* the last comma */
    while (k + sl < n)
        b[k++] = ' ';
    memcpy(b + k, suffix, sl);
    b[n] = 0;
    return b;
}

/* Sends body chunked (1 KiB .. 64 KiB chunks) and returns the response. */
static int post_chunked(kz_node *n, const char *path, const char *key, const char *body,
                        size_t len, char *resp, size_t cap)
{
    int fd = dial(n->port);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                      path, key);
    bool ok = put(fd, head, (size_t)hl);
    for (size_t off = 0; ok && off < len;) {
        size_t c = len - off < 65536 ? len - off : 65536;
        char sz[16];
        int sl = snprintf(sz, sizeof sz, "%zx\r\n", c);
        ok = put(fd, sz, (size_t)sl) && put(fd, body + off, c) && put(fd, "\r\n", 2);
        off += c;
    }
    if (ok)
        put(fd, "0\r\n\r\n", 5);
    slurp(fd, resp, cap, 20000);
    close(fd);
    return status_of(resp);
}

static void make_password_user(kz_node *n, const char *email, const char *password, char id[40])
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"role\":\"analyst\",\"org_id\":\"%s\",\"password\":\"%s\"}", email,
             n->admin_org, password);
    kz_resp r = kz_post(n, "/api/v1/users", n->admin_key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

/* A raw GET /api/v1/me with Basic email:password (any length); returns the
 * status and fills resp. */
static int basic_me(kz_node *n, const char *email, const char *password, char *resp, size_t cap)
{
    size_t el = strlen(email), pl = strlen(password);
    char *cred = malloc(el + pl + 2);
    assert_non_null(cred);
    memcpy(cred, email, el);
    cred[el] = ':';
    memcpy(cred + el + 1, password, pl + 1);
    size_t b64len = sodium_base64_ENCODED_LEN(el + pl + 1, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64len);
    assert_non_null(b64);
    sodium_bin2base64(b64, b64len, (const unsigned char *)cred, el + pl + 1,
                      sodium_base64_VARIANT_ORIGINAL);
    size_t rl = strlen(b64) + 200;
    char *req = malloc(rl);
    assert_non_null(req);
    int w = snprintf(req, rl,
                     "GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
                     "Connection: close\r\n\r\n",
                     b64);
    int fd = dial(n->port);
    assert_true(put(fd, req, (size_t)w));
    slurp(fd, resp, cap, 20000);
    close(fd);
    free(req);
    free(b64);
    free(cred);
    return status_of(resp);
}

/* ---- 1, 10: bodies ------------------------------------------------------------ */

static void test_bodies_are_bounded_per_route(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    char uid[40], ro[64];
    kz_make_user(&n, n.admin_key, n.admin_org, "ro@h.example", "read_only", uid, ro);
    long before = vm_hwm_mib(n.pid);

    /* 64 MiB of "[]," to a route anyone may call: refused from the headers,
     * nothing buffered or parsed. */
    size_t big = (size_t)64 << 20;
    char *hostile = repeat_body("[", "[]", "]", big);
    long long t0 = now_ms();
    kz_resp r;
    kz_http(&n, "POST", "/api/v1/keys", ro, "application/json", hostile, big, &r);
    KZ_EXPECT_ERR(r, 413, "too_large", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "limit of 1048576 bytes"));
    kz_resp_free(&r);
    assert_true(now_ms() - t0 < 5000);
    /* The same as a sightings report, and chunked (no length to refuse up
     * front): read and dropped past 1 MiB, then 413. */
    static char resp[8192];
    assert_int_equal(post_chunked(&n, "/api/v1/keys", ro, hostile, (size_t)8 << 20, resp,
                                  sizeof resp),
                     413);
    assert_non_null(strstr(resp, "\"too_large\""));
    assert_non_null(strstr(resp, "1048576"));
    free(hostile);
    long after = vm_hwm_mib(n.pid);
    print_message("server VmHWM %ld MiB before, %ld MiB after\n", before, after);
    assert_true(after < 300);
    assert_true(after - before < 100);

    /* A body where a route takes none: 413 at once, whatever its size. */
    static const struct {
        const char *method, *path;
    } none[] = {{"GET", "/api/v1/me"}, {"DELETE", "/api/v1/keys/00000000-0000-4000-8000-000000000000"},
                {"GET", "/api/v1/events"}};
    for (size_t i = 0; i < KZ_ARRAY_LEN(none); i++) {
        kz_http(&n, none[i].method, none[i].path, n.admin_key, "application/json", "{}", 2, &r);
        KZ_EXPECT_ERR(r, 413, "too_large", NULL);
        assert_non_null(strstr(kz_resp_str(&r, "error.message"), "takes no request body"));
        kz_resp_free(&r);
    }
    /* Without one they answer as usual. */
    r = kz_get(&n, "/api/v1/me", n.admin_key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);

    /* An ordinary route: 1 MiB. A bulk route (events with indicators):
     * --max-body, 64 MiB by default. */
    char *desc = repeat_body("{\"label\":\"", "aaaaaaa", "\"}", (1u << 20) + 10);
    kz_http(&n, "POST", "/api/v1/keys", n.admin_key, "application/json", desc, strlen(desc), &r);
    KZ_EXPECT_ERR(r, 413, "too_large", NULL);
    kz_resp_free(&r);
    free(desc);
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"title\":\"bulk of 2 MiB\",\"indicators\":[");
    for (int i = 0; b.len < (2u << 20); i++)
        kz_buf_printf(&b, "%s{\"type\":\"domain\",\"value\":\"host-%d.bulk.example\"}", i ? "," : "",
                      i);
    kz_buf_puts(&b, "]}");
    kz_http(&n, "POST", "/api/v1/events", n.admin_key, "application/json", b.p, b.len, &r);
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    kz_buf_free(&b);
    stop(&n);
}

static void test_chunked_bodies_over_the_limit_get_413(void **state)
{
    (void)state;
    kz_node n;
    static const char *const extra[] = {"--max-body", "4096", NULL};
    start(&n, extra);
    /* Three megabytes chunked to a bulk route limited to 4096 bytes: far
     * past what used to be read before the connection was dropped. */
    size_t len = (size_t)3 << 20;
    char *body = repeat_body("{\"title\":\"chunked\",\"tags\":[", "\"x\"", "]}", len);
    static char resp[8192];
    assert_int_equal(post_chunked(&n, "/api/v1/events", n.admin_key, body, len, resp, sizeof resp),
                     413);
    assert_non_null(strstr(resp, "application/json"));
    assert_non_null(strstr(resp, "\"too_large\""));
    assert_non_null(strstr(resp, "limit of 4096 bytes"));
    /* Within the limit, chunked is fine. */
    static const char small[] = "{\"title\":\"chunked small\"}";
    assert_int_equal(post_chunked(&n, "/api/v1/events", n.admin_key, small, sizeof small - 1, resp,
                                  sizeof resp),
                     201);
    free(body);
    stop(&n);
}

static void test_json_memory_budget(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    /* 6 MiB of empty objects on a bulk route: within --max-body, but the
     * tree would take some 60 times that. */
    size_t len = (size_t)6 << 20;
    char *body = repeat_body("{\"title\":\"complex\",\"tags\":[", "{}", "]}", len);
    kz_resp r;
    kz_http(&n, "POST", "/api/v1/events", n.admin_key, "application/json", body, len, &r);
    KZ_EXPECT_ERR(r, 413, "too_large", NULL);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "JSON document too complex"));
    kz_resp_free(&r);
    free(body);
    /* The node is fine afterwards. */
    r = kz_get(&n, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    stop(&n);
}

/* ---- 2, 3: passwords ------------------------------------------------------------- */

static void test_basic_attempts_are_throttled(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    char uid[40];
    make_password_user(&n, "basic@h.example", "correct horse battery", uid);
    static char resp[8192];
    /* Successes cost nothing: more than the burst of ten go through. */
    for (int i = 0; i < 12; i++)
        assert_int_equal(basic_me(&n, "basic@h.example", "correct horse battery", resp,
                                  sizeof resp),
                         200);
    /* Ten wrong guesses for one e-mail, then 429 before any check, even for
     * the right password. */
    long long t_fail0 = now_ms();
    for (int i = 0; i < 10; i++) {
        assert_int_equal(basic_me(&n, "basic@h.example", "wrong guess", resp, sizeof resp), 401);
        assert_non_null(strstr(resp, "wrong e-mail or password"));
    }
    assert_int_equal(basic_me(&n, "Basic@H.example", "wrong guess", resp, sizeof resp), 429);
    assert_non_null(strstr(resp, "Retry-After: "));
    assert_true(atoi(strstr(resp, "Retry-After: ") + 13) >= 1);
    assert_non_null(strstr(resp, "\"rate_limited\""));
    assert_non_null(strstr(resp, "too many password attempts for this e-mail"));
    assert_int_equal(basic_me(&n, "basic@h.example", "correct horse battery", resp, sizeof resp),
                     429);
    /* API keys are not affected. */
    kz_resp r = kz_get(&n, "/api/v1/me", n.admin_key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    /* From one address, thirty failures in all (ten spent above), then 429
     * for every e-mail: spraying many accounts is throttled too. */
    int ok401 = 0, status = 0;
    for (int i = 0; i < 60 && status != 429; i++) {
        char email[64];
        snprintf(email, sizeof email, "nobody-%d@h.example", i);
        status = basic_me(&n, email, "some password", resp, sizeof resp);
        if (status == 401)
            ok401++;
    }
    /* The address's tokens come back at one per second from the first
     * failure on. */
    long long secs = (now_ms() - t_fail0) / 1000;
    print_message("%d more failures before 429 (%lld s)\n", ok401, secs);
    assert_int_equal(status, 429);
    assert_non_null(strstr(resp, "too many password attempts from your address"));
    assert_true(ok401 >= 20);
    assert_true(ok401 <= 20 + (int)secs + 2);
    stop(&n);
}

static void test_overlong_passwords_answer_alike(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    char uid[40];
    make_password_user(&n, "long@h.example", "correct horse battery", uid);
    char *overlong = malloc(1101);
    assert_non_null(overlong);
    memset(overlong, 'p', 1100);
    overlong[1100] = 0;
    static char resp[8192];
    /* The same answer, and both without a password check: the time does not
     * tell whether the e-mail exists. An ordinary wrong password for an
     * unknown e-mail pays a dummy check and so takes longer. The fastest of
     * five tries of each stands for its cost (load only adds). */
    long long t_known = 1LL << 40, t_unknown = 1LL << 40, t_dummy = 1LL << 40;
    for (int i = 0; i < 5; i++) {
        long long t0 = now_ms();
        assert_int_equal(basic_me(&n, "long@h.example", overlong, resp, sizeof resp), 401);
        assert_non_null(strstr(resp, "wrong e-mail or password"));
        long long t1 = now_ms();
        assert_int_equal(basic_me(&n, "nobody@h.example", overlong, resp, sizeof resp), 401);
        assert_non_null(strstr(resp, "wrong e-mail or password"));
        long long t2 = now_ms();
        char email[64];
        snprintf(email, sizeof email, "nobody-%d@h.example", i);
        assert_int_equal(basic_me(&n, email, "not the password", resp, sizeof resp), 401);
        long long t3 = now_ms();
        t_known = t1 - t0 < t_known ? t1 - t0 : t_known;
        t_unknown = t2 - t1 < t_unknown ? t2 - t1 : t_unknown;
        t_dummy = t3 - t2 < t_dummy ? t3 - t2 : t_dummy;
    }
    print_message("fastest over-long: known %lld ms, unknown %lld ms; dummy check %lld ms\n",
                  t_known, t_unknown, t_dummy);
    assert_true(t_unknown * 2 < t_dummy);
    assert_true(t_known * 2 < t_dummy);
    /* Over-long attempts are not counted against the e-mail: the right
     * password still works after many of them. */
    for (int i = 0; i < 12; i++)
        assert_int_equal(basic_me(&n, "long@h.example", overlong, resp, sizeof resp), 401);
    assert_int_equal(basic_me(&n, "long@h.example", "correct horse battery", resp, sizeof resp),
                     200);
    free(overlong);
    stop(&n);
}

/* ---- 4, 8: PATCH -------------------------------------------------------------------- */

static void test_stricter_event_narrows_its_indicators(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    kz_resp r = kz_post(&n, "/api/v1/events", n.admin_key,
                        "{\"title\":\"loose\",\"tlp\":\"clear\",\"distribution\":\"all\","
                        "\"indicators\":["
                        "{\"type\":\"domain\",\"value\":\"loose.example\",\"tlp\":\"green\","
                        "\"distribution\":\"connected\"},"
                        "{\"type\":\"domain\",\"value\":\"strict.example\",\"tlp\":\"red\"},"
                        "{\"type\":\"domain\",\"value\":\"inherit.example\"}]}");
    KZ_EXPECT(r, 201);
    char ev[40], loose[40], strict[40];
    snprintf(ev, sizeof ev, "%s", kz_resp_str(&r, "id"));
    json_t *inds = kz_resp_get(&r, "indicators");
    for (size_t i = 0; i < json_array_size(inds); i++) {
        json_t *it = json_array_get(inds, i);
        const char *v = json_string_value(json_object_get(it, "value"));
        const char *id = json_string_value(json_object_get(it, "id"));
        if (strcmp(v, "loose.example") == 0)
            snprintf(loose, sizeof loose, "%s", id);
        if (strcmp(v, "strict.example") == 0)
            snprintf(strict, sizeof strict, "%s", id);
    }
    kz_resp_free(&r);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s", ev);
    r = kz_patch(&n, path, n.admin_key, "{\"tlp\":\"amber\",\"distribution\":\"community\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber");
    kz_resp_free(&r);
    /* The looser markings went back to inheriting; the stricter one stayed. */
    r = kz_getf(&n, n.admin_key, "/api/v1/indicators/%s", loose);
    KZ_EXPECT(r, 200);
    assert_true(json_is_null(kz_resp_get(&r, "tlp")));
    assert_true(json_is_null(kz_resp_get(&r, "distribution")));
    kz_resp_free(&r);
    r = kz_getf(&n, n.admin_key, "/api/v1/indicators/%s", strict);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "tlp"), "red");
    kz_resp_free(&r);
    /* A search hit no longer labels it green. */
    r = kz_get(&n, "/api/v1/search?value=loose.example", n.admin_key);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    json_t *hit = json_array_get(kz_resp_get(&r, "results"), 0);
    assert_true(json_is_null(json_object_get(hit, "tlp")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(hit, "event"), "tlp")),
                        "amber");
    kz_resp_free(&r);
    /* A PATCH that makes the event looser leaves the indicators alone. */
    r = kz_patch(&n, path, n.admin_key, "{\"tlp\":\"clear\"}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_getf(&n, n.admin_key, "/api/v1/indicators/%s", strict);
    assert_string_equal(kz_resp_str(&r, "tlp"), "red");
    kz_resp_free(&r);
    stop(&n);
}

static void test_patch_that_hides_the_event_answers_200(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    char uid[40], creator[64], editor[64];
    kz_make_user(&n, n.admin_key, n.admin_org, "creator@h.example", "analyst", uid, creator);
    kz_make_user(&n, n.admin_key, n.admin_org, "editor@h.example", "analyst", uid, editor);
    kz_resp r = kz_post(&n, "/api/v1/events", creator,
                        "{\"title\":\"to be red\",\"tlp\":\"amber\","
                        "\"indicators\":[{\"type\":\"domain\",\"value\":\"red.example\"}]}");
    KZ_EXPECT(r, 201);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    /* TLP:RED is for named people: the editor (not the creator, not named)
     * loses sight of it, yet the change is saved and answered. */
    r = kz_patch(&n, path, editor, "{\"tlp\":\"red\",\"title\":\"now red\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "tlp"), "red");
    assert_string_equal(kz_resp_str(&r, "title"), "now red");
    assert_int_equal(kz_resp_count(&r, "indicators"), 0);
    kz_resp_free(&r);
    r = kz_get(&n, path, editor);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&n, path, creator);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "title"), "now red");
    assert_int_equal(kz_resp_count(&r, "indicators"), 1);
    kz_resp_free(&r);
    stop(&n);
}

/* ---- 5, 12: cursors and sightings ---------------------------------------------------- */

/* Does the decoded cursor contain the id, as text, bare hex or bytes? */
static bool cursor_reveals(const char *cursor, const char *id)
{
    unsigned char raw[256];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, cursor, strlen(cursor), NULL, &n, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    char hex[33];
    size_t k = 0;
    for (const char *p = id; *p; p++)
        if (*p != '-')
            hex[k++] = *p;
    hex[k] = 0;
    unsigned char bin[16];
    assert_int_equal(sodium_hex2bin(bin, sizeof bin, hex, 32, NULL, NULL, NULL), 0);
    return memmem(raw, n, id, strlen(id)) || memmem(raw, n, hex, 32) || memmem(raw, n, bin, 16) ||
           strstr(cursor, id);
}

/* GET path + cursor: 400 "invalid cursor". */
static void expect_bad_cursor(kz_node *n, const char *path, const char *cursor)
{
    kz_resp r = kz_getf(n, n->admin_key, "%s%s", path, cursor);
    KZ_EXPECT_ERR(r, 400, "invalid", "cursor");
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "invalid cursor"));
    kz_resp_free(&r);
}

static void test_cursors_are_sealed(void **state)
{
    (void)state;
    kz_node n, other;
    start(&n, NULL);
    for (int i = 0; i < 3; i++) {
        char body[128];
        snprintf(body, sizeof body,
                 "{\"title\":\"page %d\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"198.51.100.%d\"}]}",
                 i, i + 1);
        kz_resp r = kz_post(&n, "/api/v1/events", n.admin_key, body);
        KZ_EXPECT(r, 201);
        kz_resp_free(&r);
    }
    kz_resp r = kz_get(&n, "/api/v1/events?limit=1", n.admin_key);
    KZ_EXPECT(r, 200);
    char last_id[40], ev_cursor[256], s_cursor[256];
    snprintf(last_id, sizeof last_id, "%s",
             json_string_value(json_object_get(json_array_get(kz_resp_get(&r, "events"), 0), "id")));
    snprintf(ev_cursor, sizeof ev_cursor, "%s", kz_resp_str(&r, "next_cursor"));
    kz_resp_free(&r);
    assert_false(cursor_reveals(ev_cursor, last_id));
    /* Two cursors for the same position differ (a fresh nonce each). */
    r = kz_get(&n, "/api/v1/events?limit=1", n.admin_key);
    assert_string_not_equal(kz_resp_str(&r, "next_cursor"), ev_cursor);
    kz_resp_free(&r);
    /* They still page. */
    r = kz_getf(&n, n.admin_key, "/api/v1/events?limit=1&cursor=%s", ev_cursor);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "events"), 1);
    assert_string_not_equal(
        json_string_value(json_object_get(json_array_get(kz_resp_get(&r, "events"), 0), "id")),
        last_id);
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/search?value=198.51.100.0/24&limit=1", n.admin_key);
    KZ_EXPECT(r, 200);
    snprintf(s_cursor, sizeof s_cursor, "%s", kz_resp_str(&r, "next_cursor"));
    kz_resp_free(&r);

    /* Tampered: every single character changed in turn is refused. */
    char bad[256];
    for (size_t i = 0; i < strlen(ev_cursor); i += 7) {
        snprintf(bad, sizeof bad, "%s", ev_cursor);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        expect_bad_cursor(&n, "/api/v1/events?cursor=", bad);
    }
    snprintf(bad, sizeof bad, "%s", ev_cursor);
    bad[strlen(bad) - 4] = 0; /* truncated */
    expect_bad_cursor(&n, "/api/v1/events?cursor=", bad);
    /* One kind of cursor is no good for another list. */
    expect_bad_cursor(&n, "/api/v1/events?cursor=", s_cursor);
    expect_bad_cursor(&n, "/api/v1/search?value=198.51.100.1&cursor=", ev_cursor);
    /* The old clear-text shape: "e1.<modified>.<uuid>". */
    expect_bad_cursor(&n, "/api/v1/events?cursor=",
                      "ZTEuMTIzLjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA");
    /* A cursor of another node (another secret) does not open here. */
    assert_int_equal(kz_node_init(&other, "CERT-O", "ID"), 0);
    assert_int_equal(kz_node_start(&other, NULL), 0);
    for (int i = 0; i < 2; i++) {
        r = kz_post(&other, "/api/v1/events", other.admin_key, "{\"title\":\"elsewhere\"}");
        KZ_EXPECT(r, 201);
        kz_resp_free(&r);
    }
    r = kz_get(&other, "/api/v1/events?limit=1", other.admin_key);
    char foreign[256];
    snprintf(foreign, sizeof foreign, "%s", kz_resp_str(&r, "next_cursor"));
    kz_resp_free(&r);
    stop(&other);
    expect_bad_cursor(&n, "/api/v1/events?cursor=", foreign);
    stop(&n);
}

static void test_sightings_are_paged(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    kz_resp r = kz_post(&n, "/api/v1/events", n.admin_key,
                        "{\"title\":\"seen\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.9\"}]}");
    KZ_EXPECT(r, 201);
    char ind[40];
    snprintf(ind, sizeof ind, "%s",
             json_string_value(json_object_get(json_array_get(kz_resp_get(&r, "indicators"), 0), "id")));
    kz_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/indicators/%s/sightings", ind);
    /* Five sightings; two share a time. */
    static const char *const times[] = {"2026-01-05T00:00:00Z", "2026-01-01T00:00:00Z",
                                        "2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z",
                                        "2026-01-02T00:00:00Z"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(times); i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"time\":\"%s\",\"count\":%zu,\"source\":\"s%zu\"}", times[i],
                 i + 1, i);
        r = kz_post(&n, path, n.admin_key, body);
        KZ_EXPECT(r, 201);
        kz_resp_free(&r);
    }
    /* Without parameters: the first 100, oldest first, no next page. */
    r = kz_get(&n, path, n.admin_key);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "sightings"), 5);
    assert_true(json_is_null(kz_resp_get(&r, "next_cursor")));
    kz_resp_free(&r);
    /* Pages of two: s1, s4 | s2, s3 | s0. */
    static const char *const want[] = {"s1", "s4", "s2", "s3", "s0"};
    char cursor[256] = "", first_cursor[256] = "";
    size_t seen = 0;
    for (int page = 0; page < 3; page++) {
        r = cursor[0] ? kz_getf(&n, n.admin_key, "%s?limit=2&cursor=%s", path, cursor)
                      : kz_getf(&n, n.admin_key, "%s?limit=2", path);
        KZ_EXPECT(r, 200);
        json_t *arr = kz_resp_get(&r, "sightings");
        assert_int_equal(json_array_size(arr), page < 2 ? 2 : 1);
        for (size_t i = 0; i < json_array_size(arr); i++, seen++)
            assert_string_equal(json_string_value(json_object_get(json_array_get(arr, i), "source")),
                                want[seen]);
        json_t *next = kz_resp_get(&r, "next_cursor");
        if (page < 2) {
            assert_true(json_is_string(next));
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
            if (!first_cursor[0])
                snprintf(first_cursor, sizeof first_cursor, "%s", cursor);
        } else {
            assert_true(json_is_null(next));
        }
        kz_resp_free(&r);
    }
    assert_int_equal(seen, 5);
    /* Bad parameters. */
    static const struct {
        const char *query, *field;
    } bad[] = {{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=x", "limit"},
               {"cursor=bm90IG91cnM", "cursor"}, {"page=2", "page"}};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        r = kz_getf(&n, n.admin_key, "%s?%s", path, bad[i].query);
        KZ_EXPECT_ERR(r, 400, "invalid", bad[i].field);
        kz_resp_free(&r);
    }
    /* A sightings cursor is good for nothing else, and sealed. */
    expect_bad_cursor(&n, "/api/v1/search?value=192.0.2.9&cursor=", first_cursor);
    expect_bad_cursor(&n, "/api/v1/events?cursor=", first_cursor);
    assert_false(cursor_reveals(first_cursor, ind));
    stop(&n);
}

/* ---- 6: connections per address --------------------------------------------------- */

static void test_per_address_connection_limit(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL); /* the default: 64 */
    kz_resp r = kz_get(&n, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200); /* curl's kept-alive connection is one of the 64 */
    kz_resp_free(&r);
    enum { N_CONN = 70 };
    int fds[N_CONN];
    for (int i = 0; i < N_CONN; i++)
        fds[i] = dial(n.port);
    usleep(500000);
    /* The node closed the ones above the limit at once; the rest wait for a
     * request. */
    int closed = 0, open_ = 0;
    for (int i = 0; i < N_CONN; i++) {
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        char c;
        if (poll(&p, 1, 100) > 0 && recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0) {
            closed++;
            close(fds[i]);
            fds[i] = -1;
        } else {
            open_++;
        }
    }
    print_message("%d kept, %d closed\n", open_, closed);
    assert_true(open_ <= 64);
    assert_true(closed >= N_CONN - 64);
    /* The node still serves; and after a few are closed, new ones are taken. */
    r = kz_get(&n, "/api/v1/health", NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    for (int i = 0, k = 0; i < N_CONN && k < 5; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
            k++;
        }
    usleep(200000);
    int fd = dial(n.port);
    static const char req[] = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_true(put(fd, req, sizeof req - 1));
    char resp[2048];
    slurp(fd, resp, sizeof resp, 5000);
    close(fd);
    assert_int_equal(status_of(resp), 200);
    for (int i = 0; i < N_CONN; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    stop(&n);

    /* Configurable. */
    static const char *const extra[] = {"--per-ip-connections", "3", NULL};
    start(&n, extra);
    int few[5];
    for (int i = 0; i < 5; i++)
        few[i] = dial(n.port);
    usleep(300000);
    closed = 0;
    for (int i = 0; i < 5; i++) {
        struct pollfd p = {.fd = few[i], .events = POLLIN};
        char c;
        if (poll(&p, 1, 100) > 0 && recv(few[i], &c, 1, MSG_DONTWAIT) <= 0)
            closed++;
        close(few[i]);
    }
    assert_true(closed >= 2);
    stop(&n);
}

/* ---- 7: last_used ------------------------------------------------------------------- */

static void test_key_touch_does_not_wait_for_a_writer(void **state)
{
    (void)state;
    kz_node n;
    start(&n, NULL);
    kz_resp r = kz_post(&n, "/api/v1/keys", n.admin_key, "{\"label\":\"fresh\"}");
    KZ_EXPECT(r, 201);
    char kid[40], key[64];
    snprintf(kid, sizeof kid, "%s", kz_resp_str(&r, "id"));
    snprintf(key, sizeof key, "%s", kz_resp_str(&r, "key"));
    kz_resp_free(&r);
    /* Another writer holds the database's write lock. */
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(n.db, &st, &err), 0);
    assert_int_equal(kz_store_begin(st, &err), 0);
    long long t0 = now_ms();
    r = kz_get(&n, "/api/v1/me", key); /* the key's first use: last_used is due */
    long long took = now_ms() - t0;
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    print_message("first use under a held write lock: %lld ms\n", took);
    assert_true(took < 2000); /* the busy time-out is 5 s */
    kz_store_rollback(st);
    kz_store_close(st);
    /* The failed write is not retried on every request: the next use within
     * the minute leaves last_used unset. */
    r = kz_get(&n, "/api/v1/me", key);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/keys", n.admin_key);
    KZ_EXPECT(r, 200);
    json_t *arr = kz_resp_get(&r, "keys"), *it;
    size_t i;
    bool found = false;
    json_array_foreach(arr, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "id")), kid) == 0) {
            found = true;
            assert_true(json_is_null(json_object_get(it, "last_used")));
        }
    }
    assert_true(found);
    kz_resp_free(&r);
    /* Without a competing writer, a key's first use is recorded. */
    r = kz_post(&n, "/api/v1/keys", n.admin_key, "{\"label\":\"second\"}");
    snprintf(kid, sizeof kid, "%s", kz_resp_str(&r, "id"));
    snprintf(key, sizeof key, "%s", kz_resp_str(&r, "key"));
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/me", key);
    kz_resp_free(&r);
    r = kz_get(&n, "/api/v1/keys", n.admin_key);
    arr = kz_resp_get(&r, "keys");
    found = false;
    json_array_foreach(arr, i, it) {
        if (strcmp(json_string_value(json_object_get(it, "id")), kid) == 0) {
            found = true;
            assert_true(json_is_string(json_object_get(it, "last_used")));
        }
    }
    assert_true(found);
    kz_resp_free(&r);
    stop(&n);
}

/* ---- 11: files ------------------------------------------------------------------------ */

static void expect_mode_600(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        fail_msg("%s: %s", path, strerror(errno));
    if ((sb.st_mode & 0777) != 0600)
        fail_msg("%s has mode %o, want 600", path, (unsigned)(sb.st_mode & 0777));
}

static void test_database_files_are_private(void **state)
{
    (void)state;
    kz_node n;
    assert_int_equal(kz_node_init(&n, "CERT-F", "ID"), 0);
    char p[600];
    expect_mode_600(n.db);
    snprintf(p, sizeof p, "%s.secret", n.db);
    expect_mode_600(p);
    assert_int_equal(kz_node_start(&n, NULL), 0);
    kz_resp r = kz_post(&n, "/api/v1/events", n.admin_key, "{\"title\":\"written\"}");
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    /* While serving, the WAL files exist, private too. */
    snprintf(p, sizeof p, "%s-wal", n.db);
    expect_mode_600(p);
    snprintf(p, sizeof p, "%s-shm", n.db);
    expect_mode_600(p);
    stop(&n);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies_are_bounded_per_route),
        cmocka_unit_test(test_chunked_bodies_over_the_limit_get_413),
        cmocka_unit_test(test_json_memory_budget),
        cmocka_unit_test(test_basic_attempts_are_throttled),
        cmocka_unit_test(test_overlong_passwords_answer_alike),
        cmocka_unit_test(test_stricter_event_narrows_its_indicators),
        cmocka_unit_test(test_patch_that_hides_the_event_answers_200),
        cmocka_unit_test(test_cursors_are_sealed),
        cmocka_unit_test(test_sightings_are_paged),
        cmocka_unit_test(test_per_address_connection_limit),
        cmocka_unit_test(test_key_touch_does_not_wait_for_a_writer),
        cmocka_unit_test(test_database_files_are_private),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
