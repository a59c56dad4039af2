/* test_stream.c — GET /api/v1/stream (server-sent events): events arrive as
 * they are written, each org only sees what the ACL lets it, ids are the
 * change-log seq, and reconnecting with Last-Event-ID (or ?since=) resumes
 * without a gap or a duplicate. Also: bad ids and strangers are refused, an
 * open stream does not stop the server from shutting down cleanly, and
 * streaming AMBER data leaves read entries in the audit log.
 *
 * Cast: org A (admin's, publishes), B (an analyst), C (an analyst).
 * E_ALL (TLP:CLEAR, all) for everyone; E_B (TLP:AMBER, recipient B) for A
 * and B; E_DRAFT (unpublished) for A only.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40], ORG_C[40];
static char B_AN[64], C_AN[64];
static char E_ALL[40], E_B[40], E_DRAFT[40], IND_B[40];

/* ---- an SSE client ----------------------------------------------------------- */

#define MAX_EV 256

typedef struct sse_ev {
    long long id;
    char kind[32];
    char *data;
} sse_ev;

typedef struct sse {
    kz_buf buf;
    sse_ev ev[MAX_EV];
    int n, max;
    int comments;
    long status;
    char ctype[128];
    kz_time last; /* last bytes received */
    int idle_ms;
} sse;

static void sse_parse(sse *s)
{
    char *p;
    while ((!s->max || s->n < s->max) && (p = strstr(s->buf.p ? s->buf.p : "", "\n\n"))) {
        size_t len = (size_t)(p - s->buf.p) + 2;
        char *block = strndup(s->buf.p, len - 2);
        sse_ev e = {.id = -1};
        char *save = NULL;
        bool comment_only = true;
        for (char *line = strtok_r(block, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == ':')
                continue;
            comment_only = false;
            if (!strncmp(line, "id: ", 4))
                e.id = atoll(line + 4);
            else if (!strncmp(line, "event: ", 7))
                snprintf(e.kind, sizeof e.kind, "%s", line + 7);
            else if (!strncmp(line, "data: ", 6))
                e.data = strdup(line + 6);
        }
        free(block);
        if (comment_only)
            s->comments++;
        else if (s->n < MAX_EV)
            s->ev[s->n++] = e;
        else
            free(e.data);
        memmove(s->buf.p, s->buf.p + len, s->buf.len - len + 1);
        s->buf.len -= len;
    }
}

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
    sse *s = cls;
    kz_buf_append(&s->buf, p, size * n);
    s->last = kz_time_now();
    sse_parse(s);
    return (s->max && s->n >= s->max) ? 0 : size * n;
}

static int on_progress(void *cls, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    sse *s = cls;
    return kz_time_now() - s->last > (kz_time)s->idle_ms * 1000 ? 1 : 0;
}

/* Streams as key until max events (0 = no limit) arrived or nothing came
 * for idle_ms. last_id < 0: no Last-Event-ID. */
static void sse_run(sse *s, const char *key, const char *query, long long last_id, int max,
                    int idle_ms)
{
    memset(s, 0, sizeof *s);
    kz_buf_init(&s->buf);
    s->max = max;
    s->idle_ms = idle_ms;
    s->last = kz_time_now();
    CURL *c = curl_easy_init();
    char url[512], auth[128], lei[64];
    snprintf(url, sizeof url, "%s/api/v1/stream%s", N.base, query ? query : "");
    struct curl_slist *h = NULL;
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    if (last_id >= 0) {
        snprintf(lei, sizeof lei, "Last-Event-ID: %lld", last_id);
        h = curl_slist_append(h, lei);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(s->ctype, sizeof s->ctype, "%s", ct ? ct : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void sse_free(sse *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->ev[i].data);
    kz_buf_free(&s->buf);
}

static int sse_count(const sse *s, const char *needle)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        if (s->ev[i].data && strstr(s->ev[i].data, needle))
            k++;
    return k;
}

/* ---- set-up ---------------------------------------------------------------- */

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
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp me = kz_get(&N, "/api/v1/me", ADMIN);
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&me, "org.id"));
    kz_resp_free(&me);
    kz_make_org(&N, ADMIN, "CERT-B", "JP", ORG_B);
    kz_make_org(&N, ADMIN, "CERT-C", "SG", ORG_C);
    char id[40], body[512];
    kz_make_user(&N, ADMIN, ORG_B, "an@b.example", "analyst", id, B_AN);
    kz_make_user(&N, ADMIN, ORG_C, "an@c.example", "analyst", id, C_AN);
    make_event("{\"title\":\"for everyone\",\"tlp\":\"clear\",\"distribution\":\"all\"}", true,
               E_ALL, NULL);
    snprintf(body, sizeof body,
             "{\"title\":\"for B only\",\"tlp\":\"amber\",\"distribution\":\"all\","
             "\"recipient_orgs\":[\"%s\"],"
             "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"198.51.100.9\"}]}",
             ORG_B);
    make_event(body, true, E_B, IND_B);
    make_event("{\"title\":\"draft\",\"tlp\":\"clear\",\"distribution\":\"all\"}", false, E_DRAFT,
               NULL);
    snprintf(body, sizeof body, "/api/v1/indicators/%s/sightings", IND_B);
    kz_resp r = kz_post(&N, body, ADMIN, "{\"source\":\"ids-7\"}");
    long st = r.status;
    kz_resp_free(&r);
    return st == 201 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = N.pid ? kz_node_stop(&N) : 0;
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_history_filtered(void **state)
{
    (void)state;
    sse b, c;
    sse_run(&b, B_AN, "?since=0", -1, 0, 1500);
    sse_run(&c, C_AN, "?since=0", -1, 0, 1500);
    assert_int_equal(b.status, 200);
    assert_non_null(strstr(b.ctype, "text/event-stream"));
    assert_true(b.comments >= 1); /* the opening comment */
    assert_true(sse_count(&b, E_ALL) >= 1);
    assert_true(sse_count(&b, E_B) >= 1);
    assert_int_equal(sse_count(&b, "\"ids-7\""), 1);
    assert_int_equal(sse_count(&b, E_DRAFT), 0);
    assert_true(sse_count(&c, E_ALL) >= 1);
    assert_int_equal(sse_count(&c, E_B), 0);
    assert_int_equal(sse_count(&c, "ids-7"), 0);
    assert_int_equal(sse_count(&c, E_DRAFT), 0);
    /* ids increase; each event's data is JSON naming its kind and seq */
    for (int i = 0; i < b.n; i++) {
        if (i)
            assert_true(b.ev[i].id > b.ev[i - 1].id);
        json_t *j = json_loads(b.ev[i].data, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "seq")), b.ev[i].id);
        assert_string_equal(json_string_value(json_object_get(j, "kind")), b.ev[i].kind);
        json_decref(j);
    }
    /* The admin's org sees its own draft. */
    sse a;
    sse_run(&a, ADMIN, "?since=0", -1, 0, 1500);
    assert_true(sse_count(&a, E_DRAFT) >= 1);
    sse_free(&a);
    sse_free(&b);
    sse_free(&c);
}

static void test_resume_without_gaps(void **state)
{
    (void)state;
    sse all, first, rest;
    sse_run(&all, B_AN, "?since=0", -1, 0, 1500);
    assert_true(all.n >= 3);
    sse_run(&first, B_AN, "?since=0", -1, 2, 1500);
    assert_int_equal(first.n, 2);
    /* Last-Event-ID wins over ?since (a browser reconnecting keeps the URL). */
    sse_run(&rest, B_AN, "?since=0", first.ev[1].id, 0, 1500);
    assert_int_equal(first.n + rest.n, all.n);
    for (int i = 0; i < all.n; i++) {
        const sse_ev *got = i < 2 ? &first.ev[i] : &rest.ev[i - 2];
        assert_int_equal(got->id, all.ev[i].id);
        assert_string_equal(got->data, all.ev[i].data);
    }
    /* ?since= alone resumes the same way. */
    char q[64];
    snprintf(q, sizeof q, "?since=%lld", first.ev[1].id);
    sse again;
    sse_run(&again, B_AN, q, -1, 0, 1500);
    assert_int_equal(again.n, rest.n);
    if (again.n)
        assert_int_equal(again.ev[0].id, rest.ev[0].id);
    sse_free(&again);
    sse_free(&all);
    sse_free(&first);
    sse_free(&rest);
}

typedef struct live {
    sse s;
    const char *key;
} live;

static void *live_main(void *arg)
{
    live *l = arg;
    sse_run(&l->s, l->key, NULL, -1, 1, 8000);
    return NULL;
}

static void test_live_events(void **state)
{
    (void)state;
    live b = {.key = B_AN}, c = {.key = C_AN};
    pthread_t tb, tc;
    pthread_create(&tb, NULL, live_main, &b);
    pthread_create(&tc, NULL, live_main, &c);
    usleep(500000); /* both connected and parked at the head */
    char body[512], hidden[40], shown[40];
    snprintf(body, sizeof body,
             "{\"title\":\"live amber\",\"tlp\":\"amber\",\"distribution\":\"all\","
             "\"recipient_orgs\":[\"%s\"]}",
             ORG_B);
    make_event(body, true, hidden, NULL);
    make_event("{\"title\":\"live clear\",\"tlp\":\"clear\",\"distribution\":\"all\"}", true, shown,
               NULL);
    pthread_join(tb, NULL);
    pthread_join(tc, NULL);
    /* Starting at the head: B's first event is the new amber one, C's the
     * clear one (the amber one never reaches C). */
    assert_int_equal(b.s.n, 1);
    assert_int_equal(sse_count(&b.s, hidden), 1);
    assert_int_equal(c.s.n, 1);
    assert_int_equal(sse_count(&c.s, shown), 1);
    assert_int_equal(sse_count(&c.s, hidden), 0);
    sse_free(&b.s);
    sse_free(&c.s);
}

/* Reads every event until the server ends the stream (or 20 s of quiet). */
static void *follow_main(void *arg)
{
    live *l = arg;
    sse_run(&l->s, l->key, NULL, -1, 0, 20000);
    return NULL;
}

/* A stream outlives its request: once its user is deleted (keys revoked
 * with it), the stream ends at the next re-check (10 s) and carries nothing
 * written after that. */
static void test_revoked_stream_ends(void **state)
{
    (void)state;
    char uid[40], key[64], before[40], after[40];
    kz_make_user(&N, ADMIN, ORG_B, "gone@b.example", "analyst", uid, key);
    live l = {.key = key};
    pthread_t t;
    pthread_create(&t, NULL, follow_main, &l);
    usleep(500000);
    make_event("{\"title\":\"before revocation\",\"tlp\":\"clear\",\"distribution\":\"all\"}",
               true, before, NULL);
    usleep(500000);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/users/%s", uid);
    kz_resp r = kz_delete(&N, path, ADMIN);
    assert_true(r.status == 200 || r.status == 204);
    kz_resp_free(&r);
    sleep(11);
    make_event("{\"title\":\"after revocation\",\"tlp\":\"clear\",\"distribution\":\"all\"}",
               true, after, NULL);
    kz_time t0 = kz_time_now();
    pthread_join(t, NULL);
    /* ended by the server, not by the client's 20 s idle limit */
    assert_true(kz_time_now() - t0 < 6 * 1000000LL);
    assert_int_equal(l.s.status, 200);
    assert_true(sse_count(&l.s, before) >= 1); /* created, then published */
    assert_int_equal(sse_count(&l.s, after), 0);
    sse_free(&l.s);
    /* and a new stream with that key is refused */
    sse s;
    sse_run(&s, key, NULL, -1, 1, 2000);
    assert_int_equal(s.status, 401);
    sse_free(&s);
}

/* More hidden changes than one page: the stream reads past them. */
static void test_many_hidden_changes(void **state)
{
    (void)state;
    for (int i = 0; i < 260; i++) {
        kz_resp r = kz_post(&N, "/api/v1/events", ADMIN, "{\"title\":\"hidden draft\"}");
        KZ_EXPECT(r, 201);
        kz_resp_free(&r);
    }
    char shown[40];
    make_event("{\"title\":\"after the drafts\",\"tlp\":\"clear\",\"distribution\":\"all\"}",
               true, shown, NULL);
    sse c;
    sse_run(&c, C_AN, "?since=0", -1, 0, 2000);
    assert_int_equal(sse_count(&c, "hidden draft"), 0);
    assert_true(sse_count(&c, shown) >= 1);
    for (int i = 1; i < c.n; i++)
        assert_true(c.ev[i].id > c.ev[i - 1].id);
    sse_free(&c);
}

static void test_bad_requests(void **state)
{
    (void)state;
    sse s;
    sse_run(&s, NULL, NULL, -1, 0, 1000);
    assert_int_equal(s.status, 401);
    sse_free(&s);
    kz_resp r = kz_get(&N, "/api/v1/stream?since=-1", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "since");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/stream?since=12abc", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "since");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/stream?since=99999999999999999999999", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "since");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/stream?from=1", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "from");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/stream?since=%ff", B_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "since");
    kz_resp_free(&r);
    /* A Last-Event-ID that is not a seq. */
    kz_resp u;
    memset(&u, 0, sizeof u);
    CURL *c = curl_easy_init();
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s/api/v1/stream", N.base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", B_AN);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Last-Event-ID: abc");
    kz_buf body;
    kz_buf_init(&body);
    sse dummy = {0};
    (void)dummy;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 400);
    fclose(sink);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    kz_buf_free(&body);
    kz_resp_free(&u);
}

/* Streaming AMBER data to B is a read of AMBER data: audited. */
static void test_stream_reads_audited(void **state)
{
    (void)state;
    sse b;
    sse_run(&b, B_AN, "?since=0", -1, 0, 1500);
    sse_free(&b);
    bool found = false;
    for (int t = 0; t < 30 && !found; t++) {
        kz_resp r = kz_getf(&N, ADMIN, "/api/v1/audit?actor_org=%s&action=read&object_id=%s",
                            ORG_B, E_B);
        KZ_EXPECT(r, 200);
        found = kz_resp_count(&r, "entries") >= 1;
        if (found) {
            assert_string_equal(kz_resp_str(&r, "entries.0.tlp"), "amber");
            assert_string_equal(kz_resp_str(&r, "entries.0.object_type"), "event");
            assert_string_equal(kz_resp_str(&r, "entries.0.remote"), "127.0.0.1");
        }
        kz_resp_free(&r);
        if (!found)
            usleep(100000);
    }
    assert_true(found);
    /* Nothing about the CLEAR event: only AMBER and stricter reads are kept. */
    kz_resp r = kz_getf(&N, ADMIN, "/api/v1/audit?action=read&object_id=%s", E_ALL);
    assert_int_equal(kz_resp_count(&r, "entries"), 0);
    kz_resp_free(&r);
}

static void *hold_stream(void *arg)
{
    sse *s = arg;
    sse_run(s, B_AN, NULL, -1, 0, 30000);
    return NULL;
}

/* An open stream must not hold the server up at shutdown. */
static void test_shutdown_with_open_stream(void **state)
{
    (void)state;
    sse s;
    pthread_t t;
    pthread_create(&t, NULL, hold_stream, &s);
    usleep(500000);
    /* A write answered just before the stop keeps its audit entry. */
    char last[40];
    make_event("{\"title\":\"last words\",\"tlp\":\"clear\"}", false, last, NULL);
    kz_time t0 = kz_time_now();
    assert_int_equal(kz_node_stop(&N), 0);
    assert_true(kz_time_now() - t0 < 5 * 1000000LL);
    pthread_join(t, NULL);
    assert_int_equal(s.status, 200);
    sse_free(&s);
    static char out[1 << 16];
    const char *list[] = {"audit", "list", "--db", N.db, "--json", "--limit", "20", NULL};
    assert_int_equal(kz_node_run(list, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    bool found = false;
    size_t i;
    json_t *x;
    json_array_foreach(j, i, x) {
        const char *id = json_string_value(json_object_get(x, "object_id"));
        if (id && !strcmp(id, last)) {
            assert_string_equal(json_string_value(json_object_get(x, "action")),
                                "POST /api/v1/events");
            found = true;
        }
    }
    json_decref(j);
    assert_true(found);
    const char *verify[] = {"audit", "verify", "--db", N.db, NULL};
    assert_int_equal(kz_node_run(verify, out, sizeof out), 0);
    assert_non_null(strstr(out, "audit log intact"));
    /* The head, to record off the node: the server logged it at shutdown,
     * and verify --expect holds the log to it. */
    const char *headc[] = {"audit", "head", "--db", N.db, NULL};
    assert_int_equal(kz_node_run(headc, out, sizeof out), 0);
    char head[128];
    snprintf(head, sizeof head, "%.*s", (int)strcspn(out, "\n"), out);
    assert_non_null(strchr(head, ':'));
    assert_int_equal(strlen(strchr(head, ':') + 1), 64);
    FILE *lf = fopen(N.log, "r");
    assert_non_null(lf);
    char line[4096];
    bool logged = false;
    while (fgets(line, sizeof line, lf))
        logged |= strstr(line, "audit log head at shutdown") && strstr(line, head);
    fclose(lf);
    assert_true(logged);
    const char *expect_ok[] = {"audit", "verify", "--db", N.db, "--expect", head, NULL};
    assert_int_equal(kz_node_run(expect_ok, out, sizeof out), 0);
    char later[128];
    snprintf(later, sizeof later, "%lld%s", atoll(head) + 1, strchr(head, ':'));
    const char *expect_cut[] = {"audit", "verify", "--db", N.db, "--expect", later, NULL};
    assert_int_equal(kz_node_run(expect_cut, out, sizeof out), 1); /* entry head+1: none */
    const char *expect_bad[] = {"audit", "verify", "--db", N.db, "--expect", "latest", NULL};
    assert_int_equal(kz_node_run(expect_bad, out, sizeof out), 2);
    /* Someone with the file edits an entry: verify fails. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(N.db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TRIGGER audit_log_no_update;"
                                  "UPDATE audit_log SET remote = '198.51.100.1' WHERE seq = 2;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(kz_node_run(verify, out, sizeof out), 1);
}

int main(void)
{
    kz_base_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_filtered),
        cmocka_unit_test(test_resume_without_gaps),
        cmocka_unit_test(test_live_events),
        cmocka_unit_test(test_many_hidden_changes),
        cmocka_unit_test(test_revoked_stream_ends),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_stream_reads_audited),
        cmocka_unit_test(test_shutdown_with_open_stream),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
