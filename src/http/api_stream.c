/* api_stream.c — GET /api/v1/stream: the change log as server-sent events,
 * filtered by what the caller may see.
 *
 * Each event is "id: <change seq>", "event: <kind>" and one line of JSON
 * (notify_payload.c). A client that reconnects with Last-Event-ID (or
 * ?since=) gets every visible change after that seq, once: the seq is the
 * change log's, which is gap-free in commit order.
 *
 * A stream must never hold a worker thread: libmicrohttpd pulls the body
 * through a callback, which fills at most one page of changes (bounded
 * memory per connection) and, when there is nothing to send, suspends the
 * connection. The ticker thread watches the head of the change log and
 * resumes the streams behind it (or due a heartbeat comment, which keeps
 * proxies and the idle time-out from closing a quiet stream). At shutdown
 * every stream is resumed and ended so requests in flight can drain.
 *
 * A stream outlives the request that opened it, so the credentials are
 * checked again every REAUTH_US: a revoked or expired key, a deleted user,
 * or a user moved to another org or role ends the stream (the client's
 * reconnect then meets the ordinary authentication), and community
 * membership is reloaded, so access follows changes within that time.
 */
#include "notify_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE 100                       /* changes read per query */
#define FILL_MAX 5000                  /* changes examined per call when none is visible */
#define HEARTBEAT_US (15 * 1000000LL)  /* a comment line when quiet this long */
#define TICK_MS 200
#define REAUTH_US (10 * 1000000LL)     /* how stale the caller's rights may get */

struct kz_stream {
    kz_notify *notify;
    struct MHD_Connection *conn;
    kz_http_server *srv;
    kz_arena arena;          /* the principal's lists */
    kz_principal who;
    kz_uuid key_id;          /* "" for Basic */
    kz_time checked;         /* when the credentials were last checked */
    kz_audit_item audit;     /* caller and address, for read entries */
    _Atomic int64_t pos;     /* last change seq examined */
    kz_buf out;              /* bytes not yet handed to MHD */
    size_t off;
    _Atomic kz_time last_sent;
    bool listed;             /* in notify->suspended (under smu) */
    kz_stream *next;
};

/* Into a fresh arena, so a refresh frees the lists it replaces. */
static int copy_principal(kz_stream *s, const kz_principal *who)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_principal p = *who;
    memset(&p.communities, 0, sizeof p.communities);
    memset(&p.connected_communities, 0, sizeof p.connected_communities);
    for (size_t i = 0; i < who->communities.n; i++)
        if (kz_strlist_push(&a, &p.communities, who->communities.v[i]) < 0)
            goto oom;
    for (size_t i = 0; i < who->connected_communities.n; i++)
        if (kz_strlist_push(&a, &p.connected_communities, who->connected_communities.v[i]) < 0)
            goto oom;
    kz_arena_free(&s->arena);
    s->arena = a;
    s->who = p;
    return 0;
oom:
    kz_arena_free(&a);
    return KZ_E_NOMEM;
}

/* Whether the caller may still read: 0 yes (rights reloaded), -1 no. */
static int reauth(kz_stream *s, kz_store *st)
{
    kz_time now = kz_time_now();
    if (now - s->checked < REAUTH_US)
        return 0;
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_api_key key;
    kz_user u;
    const char *why = NULL;
    int rc = 0;
    if (s->key_id[0]) {
        rc = kz_store_key_get(st, s->key_id, &a, &key, &err);
        if (rc == KZ_E_NOTFOUND || (rc == 0 && (key.revoked || (key.expires && key.expires <= now))))
            why = "the API key was revoked or has expired";
    }
    if (rc == 0 && !why) {
        rc = kz_store_user_get(st, s->who.user_id, &a, &u, &err);
        if (rc == KZ_E_NOTFOUND)
            why = "the user no longer exists";
        else if (rc == 0 && (u.role != s->who.role || strcmp(u.org_id, s->who.org_id) != 0))
            why = "the user's organisation or role changed";
    }
    kz_principal p = s->who;
    if (rc == 0 && !why) {
        memset(&p.communities, 0, sizeof p.communities);
        memset(&p.connected_communities, 0, sizeof p.connected_communities);
        if ((rc = kz_store_principal_load(st, &p, &a, &err)) == 0)
            rc = copy_principal(s, &p);
    }
    kz_arena_free(&a);
    if (why) {
        kz_log(KZ_LOG_INFO, "stream of user %s ended: %s", s->who.user_id, why);
        return -1;
    }
    if (rc < 0 && rc != KZ_E_NOTFOUND) {
        /* A busy store is no reason to cut a reader off; try next time. */
        kz_log(KZ_LOG_WARN, "stream: cannot check the caller's rights: %s", err.msg);
        return 0;
    }
    s->checked = now;
    return 0;
}

static void unlist(kz_notify *n, kz_stream *s)
{
    for (kz_stream **p = &n->suspended; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    s->listed = false;
    s->next = NULL;
}

static void stream_free(void *cls)
{
    kz_stream *s = cls;
    pthread_mutex_lock(&s->notify->smu);
    if (s->listed)
        unlist(s->notify, s);
    pthread_mutex_unlock(&s->notify->smu);
    kz_buf_free(&s->out);
    kz_arena_free(&s->arena);
    free(s);
}

/* Appends the visible changes of one page to s->out; *got = changes read.
 * -2 when the caller may no longer read, -1 on other errors. */
static int fill_page(kz_stream *s, size_t *got)
{
    kz_store *st;
    kz_err err = {0};
    if (kz_thread_store(s->srv, &st, &err) < 0) {
        kz_log(KZ_LOG_ERROR, "stream: %s", err.msg);
        return -1;
    }
    if (reauth(s, st) < 0)
        return -2;
    kz_arena a;
    kz_arena_init(&a);
    kz_change *ch = NULL;
    size_t n = 0;
    int rc = kz_store_changes(st, atomic_load(&s->pos), PAGE, &a, &ch, &n, &err);
    *got = n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *j = NULL;
        int tlp = -1;
        int v = kz_notify_payload(st, &s->who, &ch[i], &a, &j, &tlp, &err);
        if (v < 0) {
            rc = v;
            break;
        }
        if (v == 1) {
            char *text = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            if (!text || kz_buf_printf(&s->out, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n",
                                       ch[i].seq, ch[i].kind, text) < 0) {
                free(text);
                rc = KZ_E_NOMEM;
                break;
            }
            free(text);
            if (tlp >= KZ_TLP_AMBER) {
                kz_audit_item it = s->audit;
                it.at = kz_time_now();
                it.tlp = tlp;
                it.status = 200;
                snprintf(it.action, sizeof it.action, "read");
                snprintf(it.object_type, sizeof it.object_type, "%s", ch[i].kind);
                snprintf(it.object_id, sizeof it.object_id, "%s", ch[i].object_id);
                kz_notify_audit_push(s->notify, &it);
            }
        }
        atomic_store(&s->pos, ch[i].seq);
    }
    kz_arena_free(&a);
    if (rc < 0) {
        kz_log(KZ_LOG_ERROR, "stream: reading the change log: %s", err.msg);
        return -1;
    }
    return 0;
}

/* Appends the visible changes of up to FILL_MAX changes to s->out, stopping
 * at the first page that produced output. *more: changes may remain. */
static int fill(kz_stream *s, bool *more)
{
    *more = false;
    for (int pages = 0; pages < FILL_MAX / PAGE && s->out.len == 0; pages++) {
        size_t n = 0;
        int rc = fill_page(s, &n);
        if (rc < 0)
            return rc;
        if (n < PAGE)
            return 0;
    }
    *more = s->out.len == 0;
    return 0;
}

static ssize_t reader(void *cls, uint64_t at, char *buf, size_t max)
{
    (void)at;
    kz_stream *s = cls;
    bool kick = false;
    for (int round = 0; round < 2; round++) {
        if (s->off < s->out.len) {
            size_t k = s->out.len - s->off;
            if (k > max)
                k = max;
            memcpy(buf, s->out.p + s->off, k);
            s->off += k;
            if (s->off == s->out.len) {
                kz_buf_reset(&s->out);
                s->off = 0;
            }
            atomic_store(&s->last_sent, kz_time_now());
            return (ssize_t)k;
        }
        if (s->notify->stopping)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (round == 0) {
            bool more = false;
            int rc = fill(s, &more);
            if (rc == -2)
                return MHD_CONTENT_READER_END_OF_STREAM;
            if (rc < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            if (more) {
                kick = true; /* hidden changes only so far: park, and wake at once */
                break;
            }
            if (s->out.len == 0 && kz_time_now() - atomic_load(&s->last_sent) >= HEARTBEAT_US &&
                kz_buf_puts(&s->out, ": keep-alive\n\n") < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    /* Nothing to send: park the connection until the ticker wakes it. */
    kz_notify *n = s->notify;
    pthread_mutex_lock(&n->smu);
    if (n->stopping) {
        pthread_mutex_unlock(&n->smu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->next = n->suspended;
    n->suspended = s;
    s->listed = true;
    MHD_suspend_connection(s->conn);
    if (kick)
        pthread_cond_signal(&n->swake);
    pthread_mutex_unlock(&n->smu);
    return 0;
}

void *kz_stream_ticker(void *arg)
{
    kz_notify *n = arg;
    kz_store *st = NULL;
    kz_err err = {0};
    if (kz_store_open(n->srv->cfg.db_path, &st, &err) < 0)
        kz_log(KZ_LOG_ERROR, "stream: cannot open the store: %s", err.msg);
    pthread_mutex_lock(&n->smu);
    while (!n->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&n->swake, &n->smu, &ts);
        if (n->stopping || !n->suspended)
            continue;
        pthread_mutex_unlock(&n->smu);
        int64_t head = 0;
        if (st && kz_store_changes_head(st, &head, &err) < 0)
            kz_log(KZ_LOG_WARN, "stream: reading the change log head: %s", err.msg);
        kz_time now = kz_time_now();
        pthread_mutex_lock(&n->smu);
        kz_stream **p = &n->suspended;
        while (*p) {
            kz_stream *s = *p;
            if (atomic_load(&s->pos) < head ||
                now - atomic_load(&s->last_sent) >= HEARTBEAT_US) {
                *p = s->next;
                s->listed = false;
                s->next = NULL;
                MHD_resume_connection(s->conn);
            } else {
                p = &s->next;
            }
        }
    }
    pthread_mutex_unlock(&n->smu);
    kz_store_close(st);
    return NULL;
}

void kz_stream_stop_all(kz_notify *n)
{
    pthread_mutex_lock(&n->smu);
    n->stopping = true;
    while (n->suspended) {
        kz_stream *s = n->suspended;
        unlist(n, s);
        MHD_resume_connection(s->conn);
    }
    pthread_cond_broadcast(&n->swake);
    pthread_mutex_unlock(&n->smu);
}

/* A change seq from Last-Event-ID or ?since=: decimal, 0..2^63-1. */
static int parse_seq(kz_req *r, const char *v, const char *field, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < 0 || v[0] == '+' || v[0] == '-' || v[0] == ' ') {
        if (kz_utf8_valid(v, strlen(v)))
            return kz_fail(&r->err, KZ_E_INVALID, field,
                           "%s: '%.32s' is not an event id (a change sequence number)", field, v);
        return kz_fail(&r->err, KZ_E_INVALID, field, "%s is not an event id", field);
    }
    *out = x;
    return 0;
}

int kz_api_stream(kz_req *r)
{
    static const char *const allowed[] = {"since", NULL};
    int rc = kz_http_query_only(r, allowed);
    if (rc < 0)
        return rc;
    if (r->who.role == KZ_ROLE_SYNC)
        return kz_fail(&r->err, KZ_E_FORBIDDEN, NULL,
                       "sync accounts follow the federation feed, not the event stream");
    int64_t pos = -1;
    const char *since = NULL;
    const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if ((rc = kz_http_query(r, "since", &since)) < 0)
        return rc;
    if (last && (rc = parse_seq(r, last, "Last-Event-ID", &pos)) < 0)
        return rc;
    if (!last && since && (rc = parse_seq(r, since, "since", &pos)) < 0)
        return rc;
    if (pos < 0 && (rc = kz_store_changes_head(r->st, &pos, &r->err)) < 0)
        return rc;
    if (!r->srv->notify)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "the event stream is not running");

    kz_stream *s = calloc(1, sizeof *s);
    if (!s)
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    kz_arena_init(&s->arena);
    kz_buf_init(&s->out);
    s->notify = r->srv->notify;
    s->srv = r->srv;
    s->conn = r->conn;
    atomic_init(&s->pos, pos);
    atomic_init(&s->last_sent, kz_time_now());
    s->checked = kz_time_now();
    memcpy(s->key_id, r->key_id, sizeof s->key_id);
    kz_notify_audit_from_req(r, &s->audit);
    if (copy_principal(s, &r->who) < 0 || kz_buf_puts(&s->out, ": kizuna event stream\n\n") < 0) {
        stream_free(s);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "out of memory");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
    if (!resp) {
        stream_free(s);
        return kz_fail(&r->err, KZ_E_NOMEM, NULL, "cannot start the stream");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result ok = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    if (ok != MHD_YES)
        return kz_fail(&r->err, KZ_E_INTERNAL, NULL, "cannot queue the stream");
    r->replied = true;
    r->status = MHD_HTTP_OK;
    return 0;
}
