/* notify_audit.c — feeding the audit log from the request path without
 * slowing it down. Workers only copy a small fixed-size record into a
 * queue; one writer thread appends the queue to the hash chain in batches
 * (one transaction per batch instead of one per request). At a clean
 * shutdown the server stops accepting, lets requests finish, and only then
 * stops the writer, which first writes everything still queued: an answer
 * the client received always has its audit entry.
 */
#include "notify_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 65536  /* entries waiting; beyond it workers wait */
#define BATCH_MAX 1024   /* entries per transaction */
#define FLUSH_MS 100     /* how long an entry may wait for company */

void kz_notify_remote(struct MHD_Connection *conn, char *out, size_t n)
{
    snprintf(out, n, "-");
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

void kz_notify_audit_push(kz_notify *n, const kz_audit_item *it)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->mu);
    while (n->n >= QUEUE_MAX && !n->stop)
        pthread_cond_wait(&n->space, &n->mu);
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 256;
        kz_audit_item *q = realloc(n->q, cap * sizeof *q);
        if (!q) {
            pthread_mutex_unlock(&n->mu);
            kz_log(KZ_LOG_ERROR, "audit: out of memory; entry for '%s' not recorded", it->action);
            return;
        }
        n->q = q;
        n->cap = cap;
    }
    n->q[n->n++] = *it;
    if (n->n >= BATCH_MAX / 4)
        pthread_cond_signal(&n->wake);
    pthread_mutex_unlock(&n->mu);
}

void kz_notify_audit_from_req(kz_req *r, kz_audit_item *it)
{
    memset(it, 0, sizeof *it);
    it->at = kz_time_now();
    if (r->authed) {
        snprintf(it->actor_user, sizeof it->actor_user, "%s", r->who.user_id);
        snprintf(it->actor_org, sizeof it->actor_org, "%s", r->who.org_id);
    }
    kz_notify_remote(r->conn, it->remote, sizeof it->remote);
    it->tlp = -1;
}

/* "events" -> "event": the object type of a route's first segment. */
static void object_type_of(const char *pattern, char *out, size_t n)
{
    static const char *const prefixes[] = {"/api/v1/", "/taxii2/", "/"};
    const char *p = pattern;
    for (size_t i = 0; i < KZ_ARRAY_LEN(prefixes); i++)
        if (strncmp(p, prefixes[i], strlen(prefixes[i])) == 0) {
            p += strlen(prefixes[i]);
            break;
        }
    size_t len = strcspn(p, "/");
    static const struct { const char *plural, *one; } names[] = {
        {"events", "event"},       {"indicators", "indicator"}, {"orgs", "org"},
        {"users", "user"},         {"keys", "key"},             {"communities", "community"},
        {"sharing-groups", "sharing_group"}, {"contacts", "contact"},
        {"webhooks", "webhook"},   {"cases", "case"},           {"sightings", "sighting"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(names); i++)
        if (strlen(names[i].plural) == len && strncmp(p, names[i].plural, len) == 0) {
            snprintf(out, n, "%s", names[i].one);
            return;
        }
    snprintf(out, n, "%.*s", (int)(len < 31 ? len : 31), p);
}

/* GET routes that hand out many objects at once, whose TLP is only known
 * object by object deep inside their writers: the request itself is
 * recorded (who took an export or a TAXII page, when, from where). */
static bool bulk_read(const char *pattern)
{
    return strncmp(pattern, "/api/v1/export/", 15) == 0 ||
           (strncmp(pattern, "/taxii2/", 8) == 0 && strstr(pattern, "/objects/"));
}

void kz_http_audit_write(kz_req *r)
{
    if (!r->srv->notify || !r->route || r->status < 200 || r->status >= 400)
        return;
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    if (get && !bulk_read(r->route->pattern))
        return;
    kz_audit_item it;
    kz_notify_audit_from_req(r, &it);
    it.status = (int)r->status;
    snprintf(it.action, sizeof it.action, "%s %s", r->method, r->route->pattern);
    object_type_of(r->route->pattern, it.object_type, sizeof it.object_type);
    /* The object: the last id in the path (a member, a key), else the id
     * of what was created. */
    const char *id = r->n_params ? r->params[r->n_params - 1] : NULL;
    json_t *jid = json_is_object(r->out) ? json_object_get(r->out, "id") : NULL;
    if ((!id || !*id) && json_is_string(jid))
        id = json_string_value(jid);
    if (id && kz_utf8_valid(id, strlen(id)))
        snprintf(it.object_id, sizeof it.object_id, "%s", id);
    json_t *jt = json_is_object(r->out) ? json_object_get(r->out, "tlp") : NULL;
    if (json_is_string(jt))
        it.tlp = kz_tlp_parse(json_string_value(jt));
    kz_notify_audit_push(r->srv->notify, &it);
}

void kz_http_audit_read(kz_req *r, const char *object_type, const char *id, int tlp)
{
    if (!r->srv->notify || tlp < KZ_TLP_AMBER)
        return;
    kz_audit_item it;
    kz_notify_audit_from_req(r, &it);
    it.status = 200;
    it.tlp = tlp;
    snprintf(it.action, sizeof it.action, "read");
    snprintf(it.object_type, sizeof it.object_type, "%s", object_type ? object_type : "");
    snprintf(it.object_id, sizeof it.object_id, "%s", id ? id : "");
    kz_notify_audit_push(r->srv->notify, &it);
}

static const char *opt(const char *s) { return s && *s ? s : NULL; }

static int write_batch(kz_store *st, const kz_audit_item *items, size_t n)
{
    kz_audit_entry *e = calloc(n, sizeof *e);
    if (!e)
        return KZ_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        e[i].at = items[i].at;
        e[i].actor_user = opt(items[i].actor_user);
        e[i].actor_org = opt(items[i].actor_org);
        e[i].remote = opt(items[i].remote);
        e[i].action = items[i].action;
        e[i].object_type = opt(items[i].object_type);
        e[i].object_id = opt(items[i].object_id);
        e[i].tlp = items[i].tlp;
        e[i].status = items[i].status;
    }
    kz_err err = {0};
    int rc = kz_store_audit_append(st, e, n, &err);
    free(e);
    if (rc < 0)
        kz_log(KZ_LOG_ERROR, "audit: cannot append %zu entries: %s", n, err.msg);
    return rc;
}

/* The writer's connection, its checkpoints handed to the server's thread
 * like the workers': left to SQLite, each batch's commit would copy the
 * whole log into the database inline whenever it is past 1,000 pages, which
 * under a stream of writes is nearly always. NULL when it cannot open. */
static kz_store *writer_store(kz_notify *n)
{
    kz_store *st = NULL;
    kz_err err = {0};
    if (kz_store_open(n->srv->cfg.db_path, &st, &err) < 0) {
        kz_log(KZ_LOG_ERROR, "audit: cannot open the store: %s", err.msg);
        return NULL;
    }
    kz_store_checkpoint_by(st, n->srv->checkpointer);
    return st;
}

static void *writer_main(void *arg)
{
    kz_notify *n = arg;
    kz_err err = {0};
    kz_store *st = writer_store(n);
    kz_audit_item *batch = malloc(BATCH_MAX * sizeof *batch);
    int failures = 0;
    for (;;) {
        pthread_mutex_lock(&n->mu);
        if (n->n == 0 && !n->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += FLUSH_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&n->wake, &n->mu, &ts);
        }
        if (n->n == 0 && n->stop) {
            pthread_mutex_unlock(&n->mu);
            break;
        }
        size_t k = n->n < BATCH_MAX ? n->n : BATCH_MAX;
        if (batch && k)
            memcpy(batch, n->q, k * sizeof *batch);
        pthread_mutex_unlock(&n->mu);
        if (!k)
            continue;
        if (!st)
            st = writer_store(n);
        int rc = (st && batch) ? write_batch(st, batch, k) : KZ_E_INTERNAL;
        pthread_mutex_lock(&n->mu);
        /* At shutdown, give a busy database 10 s before giving up. */
        if (rc == 0 || (n->stop && failures >= 50)) {
            if (rc != 0)
                kz_log(KZ_LOG_ERROR, "audit: %zu entries could not be written at shutdown", k);
            memmove(n->q, n->q + k, (n->n - k) * sizeof *n->q);
            n->n -= k;
            failures = 0;
            pthread_cond_broadcast(&n->space);
        } else {
            failures++;
        }
        pthread_mutex_unlock(&n->mu);
        if (rc != 0)
            usleep(200000); /* busy database: try the same batch again */
    }
    free(batch);
    /* The head in the server log: if the log is shipped off the node, it is
     * an anchor that `kizuna audit verify --expect` can be held to later. */
    char head[KZ_AUDIT_ANCHOR_LEN + 1];
    if (st && kz_store_audit_head_text(st, head, &err) == 0)
        kz_log(KZ_LOG_INFO, "audit log head at shutdown: %s", head);
    kz_store_close(st);
    return NULL;
}

int kz_notify_start(kz_http_server *srv, kz_err *err)
{
    kz_notify *n = calloc(1, sizeof *n);
    if (!n)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    n->srv = srv;
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->wake, NULL);
    pthread_cond_init(&n->space, NULL);
    pthread_mutex_init(&n->smu, NULL);
    pthread_cond_init(&n->swake, NULL);
    srv->notify = n;
    if (pthread_create(&n->writer, NULL, writer_main, n) != 0)
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot start the audit writer thread");
    n->writer_started = true;
    if (pthread_create(&n->ticker, NULL, kz_stream_ticker, n) != 0)
        return kz_fail(err, KZ_E_INTERNAL, NULL, "cannot start the event stream thread");
    n->ticker_started = true;
    return 0;
}

void kz_notify_quiesce(kz_http_server *srv)
{
    if (srv->notify)
        kz_stream_stop_all(srv->notify);
}

void kz_notify_stop(kz_http_server *srv)
{
    kz_notify *n = srv->notify;
    if (!n)
        return;
    kz_stream_stop_all(n);
    if (n->ticker_started)
        pthread_join(n->ticker, NULL);
    pthread_mutex_lock(&n->mu);
    n->stop = true;
    pthread_cond_broadcast(&n->wake);
    pthread_cond_broadcast(&n->space);
    pthread_mutex_unlock(&n->mu);
    if (n->writer_started)
        pthread_join(n->writer, NULL);
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->wake);
    pthread_cond_destroy(&n->space);
    pthread_mutex_destroy(&n->smu);
    pthread_cond_destroy(&n->swake);
    free(n->q);
    free(n);
    srv->notify = NULL;
}
