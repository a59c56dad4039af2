/* kz_node.c — starting, talking to and stopping a real kizuna node for the
 * integration tests. Processes are started with fork/exec (no shell), the
 * server's stderr goes to a log file in the node's directory (printed when a
 * start fails), and every request goes through one libcurl handle so the
 * tests also exercise keep-alive connections.
 */
#include "kz_node.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin(void)
{
    const char *b = getenv("KIZUNA_BIN");
    return b && *b ? b : "kizuna";
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        if (now_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        usleep(5000);
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int run(const char *const *args, bool with_stderr, char *out, size_t n)
{
    const char *argv[64];
    size_t k = 0;
    argv[k++] = bin();
    for (size_t i = 0; args && args[i] && k < KZ_ARRAY_LEN(argv) - 1; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        if (with_stderr)
            dup2(pfd[1], STDERR_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    char tmp[4096];
    for (;;) {
        ssize_t r = read(pfd[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r && out && got + 1 < n; i++)
            out[got++] = tmp[i];
    }
    if (out && n)
        out[got] = 0;
    close(pfd[0]);
    return wait_exit(pid, 120000);
}

int kz_node_run(const char *const *args, char *out, size_t n)
{
    return run(args, false, out, n);
}

int kz_node_run_all(const char *const *args, char *out, size_t n)
{
    return run(args, true, out, n);
}

int kz_node_init(kz_node *n, const char *org, const char *country)
{
    memset(n, 0, sizeof *n);
    n->out_fd = -1;
    n->dir = kz_test_mkdtemp();
    if (!n->dir)
        return -1;
    snprintf(n->db, sizeof n->db, "%s/kizuna.db", n->dir);
    snprintf(n->log, sizeof n->log, "%s/serve.log", n->dir);
    const char *args[] = {"init", "--db", n->db, "--org", org, "--country", country, NULL};
    char out[4096];
    int rc = kz_node_run(args, out, sizeof out);
    const char *k = strstr(out, "admin key: ");
    if (rc != 0 || !k) {
        fprintf(stderr, "kizuna init failed (exit %d): %s\n", rc, out);
        return -1;
    }
    k += strlen("admin key: ");
    size_t i = 0;
    while (k[i] && k[i] != '\n' && k[i] != ' ' && i + 1 < sizeof n->admin_key) {
        n->admin_key[i] = k[i];
        i++;
    }
    n->admin_key[i] = 0;
    if (strncmp(n->admin_key, "kz_", 3) != 0)
        return -1;
    return 0;
}

static void dump_log(const kz_node *n)
{
    FILE *f = fopen(n->log, "r");
    if (!f)
        return;
    char line[1024];
    fprintf(stderr, "---- %s ----\n", n->log);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

int kz_node_start(kz_node *n, const char *const *extra)
{
    const char *argv[64];
    size_t k = 0;
    argv[k++] = bin();
    argv[k++] = "serve";
    argv[k++] = "--db";
    argv[k++] = n->db;
    argv[k++] = "--listen";
    argv[k++] = "127.0.0.1:0";
    for (size_t i = 0; extra && extra[i] && k < KZ_ARRAY_LEN(argv) - 1; i++)
        argv[k++] = extra[i];
    argv[k] = NULL;
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    int logfd = open(n->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logfd < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* A test that fails half-way must not leave a server behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pfd[1], STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    close(logfd);
    n->pid = pid;
    n->out_fd = pfd[0];
    /* Read stdout until the "listening on" line; ASan builds start slowly. */
    char buf[2048] = "";
    size_t got = 0;
    long long end = now_ms() + 60000;
    const char *mark = "kizuna: listening on http://";
    while (now_ms() < end) {
        struct pollfd p = {.fd = n->out_fd, .events = POLLIN};
        int pr = poll(&p, 1, 200);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr > 0) {
            ssize_t r = read(n->out_fd, buf + got, sizeof buf - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            buf[got] = 0;
            const char *m = strstr(buf, mark);
            const char *nl = m ? strchr(m, '\n') : NULL;
            if (m && nl) {
                const char *colon = strrchr(m + strlen(mark), ':');
                n->port = colon ? atoi(colon + 1) : 0;
                snprintf(n->base, sizeof n->base, "http://127.0.0.1:%d", n->port);
                if (!n->curl)
                    n->curl = curl_easy_init();
                return n->port > 0 ? 0 : -1;
            }
            if (got + 1 >= sizeof buf)
                got = 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            n->pid = 0;
            break;
        }
    }
    fprintf(stderr, "kizuna serve did not start; stdout: %s\n", buf);
    dump_log(n);
    if (n->pid) {
        kill(n->pid, SIGKILL);
        waitpid(n->pid, NULL, 0);
        n->pid = 0;
    }
    close(n->out_fd);
    n->out_fd = -1;
    return -1;
}

void kz_node_signal(kz_node *n, int sig)
{
    if (n->pid > 0)
        kill(n->pid, sig);
}

int kz_node_stop(kz_node *n)
{
    if (n->curl) {
        /* Drop kept-alive connections to the old process (and port). */
        curl_easy_cleanup(n->curl);
        n->curl = NULL;
    }
    if (n->pid <= 0)
        return -1;
    kill(n->pid, SIGTERM);
    int rc = wait_exit(n->pid, 60000);
    n->pid = 0;
    if (n->out_fd >= 0)
        close(n->out_fd);
    n->out_fd = -1;
    if (rc != 0) {
        fprintf(stderr, "kizuna serve exited with %d\n", rc);
        dump_log(n);
    }
    return rc;
}

void kz_node_free(kz_node *n)
{
    if (n->pid > 0)
        kz_node_stop(n);
    if (n->curl)
        curl_easy_cleanup(n->curl);
    n->curl = NULL;
    if (n->dir) {
        kz_test_rmdir(n->dir);
        free(n->dir);
    }
    n->dir = NULL;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct sink {
    char *p;
    size_t len, cap;
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *np = realloc(s->p, cap);
        if (!np)
            return 0;
        s->p = np;
        s->cap = cap;
    }
    memcpy(s->p + s->len, data, n);
    s->len += n;
    s->p[s->len] = 0;
    return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outn)
{
    size_t nl = strlen(name);
    if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    size_t vn = n - nl - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
        vn--;
    snprintf(out, outn, "%.*s", (int)vn, v);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    kz_resp *r = ud;
    size_t n = size * nmemb;
    header_value(data, n, "Content-Type", r->content_type, sizeof r->content_type);
    header_value(data, n, "Retry-After", r->retry_after, sizeof r->retry_after);
    header_value(data, n, "WWW-Authenticate", r->www_authenticate, sizeof r->www_authenticate);
    header_value(data, n, "Allow", r->allow, sizeof r->allow);
    return n;
}

int kz_http(kz_node *n, const char *method, const char *path, const char *key, const char *ctype,
            const void *body, size_t len, kz_resp *out)
{
    memset(out, 0, sizeof *out);
    if (!n->curl)
        n->curl = curl_easy_init();
    CURL *c = n->curl;
    if (!c)
        return -1;
    curl_easy_reset(c);
    char url[2048];
    snprintf(url, sizeof url, "%s%s", n->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    struct curl_slist *h = NULL;
    char auth[600];
    if (key) {
        if (strncmp(key, "Basic ", 6) == 0 || strncmp(key, "Bearer ", 7) == 0 ||
            strncmp(key, "Raw ", 4) == 0)
            snprintf(auth, sizeof auth, "Authorization: %s",
                     strncmp(key, "Raw ", 4) == 0 ? key + 4 : key);
        else
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    char ct[300];
    if (body || ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
        if (ctype && !*ctype)
            snprintf(ct, sizeof ct, "Content-Type:"); /* remove the header */
        h = curl_slist_append(h, ct);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    sink s = {0};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (cc != CURLE_OK)
        snprintf(out->curl_error, sizeof out->curl_error, "%s", curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = s.p ? s.p : calloc(1, 1);
    out->len = s.len;
    if (strncmp(out->content_type, "application/json", 16) == 0 && s.len)
        out->json = json_loadb(s.p, s.len, 0, NULL);
    return cc == CURLE_OK ? 0 : -1;
}

void kz_resp_free(kz_resp *r)
{
    json_decref(r->json);
    free(r->body);
    memset(r, 0, sizeof *r);
}

kz_resp kz_get(kz_node *n, const char *path, const char *key)
{
    kz_resp r;
    kz_http(n, "GET", path, key, NULL, NULL, 0, &r);
    return r;
}

kz_resp kz_post(kz_node *n, const char *path, const char *key, const char *body)
{
    kz_resp r;
    kz_http(n, "POST", path, key, body ? "application/json" : NULL, body ? body : NULL,
            body ? strlen(body) : 0, &r);
    return r;
}

kz_resp kz_patch(kz_node *n, const char *path, const char *key, const char *body)
{
    kz_resp r;
    kz_http(n, "PATCH", path, key, "application/json", body, strlen(body), &r);
    return r;
}

kz_resp kz_delete(kz_node *n, const char *path, const char *key)
{
    kz_resp r;
    kz_http(n, "DELETE", path, key, NULL, NULL, 0, &r);
    return r;
}

kz_resp kz_getf(kz_node *n, const char *key, const char *pathfmt, ...)
{
    char path[2048];
    va_list ap;
    va_start(ap, pathfmt);
    vsnprintf(path, sizeof path, pathfmt, ap);
    va_end(ap);
    return kz_get(n, path, key);
}

json_t *kz_resp_get(const kz_resp *r, const char *path)
{
    json_t *j = r->json;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && j;
         tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(j)) {
            char *end;
            long i = strtol(tok, &end, 10);
            j = *end ? NULL : json_array_get(j, (size_t)i);
        } else {
            j = json_object_get(j, tok);
        }
    }
    return j;
}

const char *kz_resp_str(const kz_resp *r, const char *path)
{
    return json_string_value(kz_resp_get(r, path));
}

bool kz_resp_list_has(const kz_resp *r, const char *array_path, const char *field,
                      const char *value)
{
    json_t *arr = kz_resp_get(r, array_path), *it;
    size_t i;
    json_array_foreach(arr, i, it) {
        const char *v = json_string_value(json_object_get(it, field));
        if (v && strcmp(v, value) == 0)
            return true;
    }
    return false;
}

long kz_resp_count(const kz_resp *r, const char *path)
{
    json_t *arr = kz_resp_get(r, path);
    return json_is_array(arr) ? (long)json_array_size(arr) : -1;
}

void kz_expect_at(const kz_resp *r, long status, const char *code, const char *field,
                  const char *file, int line)
{
    bool ok = r->status == status;
    if (ok && code) {
        const char *c = kz_resp_str(r, "error.code");
        ok = c && strcmp(c, code) == 0;
    }
    if (ok && code && field && strcmp(field, "*") != 0) {
        const char *f = kz_resp_str(r, "error.field");
        ok = f && strcmp(f, field) == 0;
    } else if (ok && code && !field) {
        json_t *f = kz_resp_get(r, "error.field");
        ok = !f || json_is_null(f);
    }
    if (ok && status >= 400) {
        /* Every error carries the one error shape with a message. */
        const char *m = kz_resp_str(r, "error.message");
        ok = m && *m && strncmp(r->content_type, "application/json", 16) == 0;
    }
    if (!ok) {
        print_error("expected %ld %s field=%s, got %ld (%s): %.600s\n", status,
                    code ? code : "", field ? field : "(null)", r->status, r->curl_error,
                    r->body ? r->body : "");
        _fail(file, line);
    }
}

void kz_make_org(kz_node *n, const char *key, const char *name, const char *country,
                 char out_id[40])
{
    char body[512];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"country\":\"%s\",\"type\":\"national_cert\"}",
             name, country);
    kz_resp r = kz_post(n, "/api/v1/orgs", key, body);
    KZ_EXPECT(r, 201);
    const char *id = kz_resp_str(&r, "id");
    assert_non_null(id);
    snprintf(out_id, 40, "%s", id);
    kz_resp_free(&r);
}

void kz_make_user(kz_node *n, const char *key, const char *org_id, const char *email,
                  const char *role, char out_id[40], char out_key[64])
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"role\":\"%s\",\"org_id\":\"%s\"}", email, role,
             org_id);
    kz_resp r = kz_post(n, "/api/v1/users", key, body);
    KZ_EXPECT(r, 201);
    const char *id = kz_resp_str(&r, "id");
    assert_non_null(id);
    snprintf(out_id, 40, "%s", id);
    kz_resp_free(&r);
    if (!out_key)
        return;
    snprintf(body, sizeof body, "{\"label\":\"test\",\"user_id\":\"%s\"}", out_id);
    r = kz_post(n, "/api/v1/keys", key, body);
    KZ_EXPECT(r, 201);
    const char *k = kz_resp_str(&r, "key");
    assert_non_null(k);
    snprintf(out_key, 64, "%s", k);
    kz_resp_free(&r);
}
