/* slow_guard.c — a deadline for request headers.
 *
 * libmicrohttpd's connection time-out (--timeout) is an idle time-out: every
 * byte received restarts it. A client that sends its headers one byte a
 * second is never idle, so it would hold its connection (and its 32 KiB
 * memory pool) for hours, and 64 such clients per address (the per-address
 * cap) would hold them all. The guard gives the headers of each request a
 * deadline instead: --timeout seconds from the moment the connection opened,
 * or the previous response was sent, to the moment the whole header has
 * arrived (when libmicrohttpd first calls the access handler). A connection
 * past its deadline is shut down (shutdown(2), from the guard's thread);
 * libmicrohttpd sees the end of the stream and closes it as usual.
 *
 * Bodies are not under the deadline: uploads and event streams may rightly
 * take long. The guard keeps one small record per open connection, in a
 * list under one mutex that request threads touch twice per request.
 */
#include "slow_guard.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "base/base.h"

#define SWEEP_MS 250

typedef struct guarded {
    struct guarded *prev, *next;
    MHD_socket fd;
    kz_time since;   /* connection opened or last response sent */
    bool in_request; /* headers complete, request under way */
    bool cut;
} guarded;

struct kz_slow_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    guarded head; /* circular list of open connections */
    kz_time limit_us;
    bool stop;
    pthread_t thread;
    MHD_AccessHandlerCallback access;
    void *access_cls;
    MHD_RequestCompletedCallback done;
    void *done_cls;
};

static guarded *of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void *sweep(void *arg)
{
    kz_slow_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += SWEEP_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        kz_time now = kz_time_now();
        for (guarded *c = g->head.next; c != &g->head; c = c->next) {
            if (c->in_request || c->cut || now - c->since <= g->limit_us)
                continue;
            /* The record lives until libmicrohttpd reports the connection
             * closed, which it does before closing the descriptor: under
             * the lock, fd is still this connection's. */
            shutdown(c->fd, SHUT_RDWR);
            c->cut = true;
            kz_log(KZ_LOG_INFO, "connection cut: its request headers took longer than %lld s",
                   (long long)(g->limit_us / 1000000));
        }
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

kz_slow_guard *kz_slow_guard_new(unsigned limit_s, MHD_AccessHandlerCallback access,
                                 void *access_cls, MHD_RequestCompletedCallback done,
                                 void *done_cls)
{
    kz_slow_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->head.next = g->head.prev = &g->head;
    g->limit_us = (kz_time)limit_s * 1000000;
    g->access = access;
    g->access_cls = access_cls;
    g->done = done;
    g->done_cls = done_cls;
    if (pthread_create(&g->thread, NULL, sweep, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    return g;
}

void kz_slow_guard_free(kz_slow_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    /* MHD_stop_daemon reported every connection closed; free any left. */
    while (g->head.next != &g->head) {
        guarded *c = g->head.next;
        c->prev->next = c->next;
        c->next->prev = c->prev;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void kz_slow_guard_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    kz_slow_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        guarded *c = ci ? calloc(1, sizeof *c) : NULL;
        *socket_context = c;
        if (!c)
            return; /* unguarded: the idle time-out still applies */
        c->fd = ci->connect_fd;
        c->since = kz_time_now();
        pthread_mutex_lock(&g->lock);
        c->next = &g->head;
        c->prev = g->head.prev;
        g->head.prev->next = c;
        g->head.prev = c;
        pthread_mutex_unlock(&g->lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        guarded *c = *socket_context;
        if (!c)
            return;
        pthread_mutex_lock(&g->lock);
        c->prev->next = c->next;
        c->next->prev = c->prev;
        pthread_mutex_unlock(&g->lock);
        free(c);
        *socket_context = NULL;
    }
}

enum MHD_Result kz_slow_guard_access(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload, size_t *upload_size, void **con_cls)
{
    kz_slow_guard *g = cls;
    if (*con_cls == NULL) { /* the first call of a request: its headers are in */
        guarded *c = of(conn);
        if (c) {
            pthread_mutex_lock(&g->lock);
            c->in_request = true;
            pthread_mutex_unlock(&g->lock);
        }
    }
    return g->access(g->access_cls, conn, url, method, version, upload, upload_size, con_cls);
}

void kz_slow_guard_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    kz_slow_guard *g = cls;
    if (g->done)
        g->done(g->done_cls, conn, con_cls, toe);
    guarded *c = of(conn);
    if (c) { /* the next request's headers get a fresh deadline */
        pthread_mutex_lock(&g->lock);
        c->in_request = false;
        c->since = kz_time_now();
        pthread_mutex_unlock(&g->lock);
    }
}
