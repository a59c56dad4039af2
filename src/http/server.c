/* server.c — starting and stopping the HTTP daemon.
 *
 * libmicrohttpd runs a pool of worker threads (one per core unless told),
 * each with its own epoll set, so a request is served start to finish on one
 * thread with its own store connection. The main thread only waits for
 * SIGTERM / SIGINT (blocked everywhere, taken with sigwait, so no handler runs
 * in a random thread), then stops accepting, lets requests in flight finish —
 * store writes are transactions, so a request cut short stores nothing — and
 * stops the daemon.
 *
 * Safe defaults: loopback unless an address is named, port 0 picks a free
 * port and the real one is printed for scripts and tests.
 */
#include "http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slow_guard.h" /* reliability: header deadline */

#define KZ_DEFAULT_MAX_BODY ((size_t)64 << 20)
#define KZ_CONN_MEMORY (32u * 1024) /* MHD zeroes it per request: keep it small */
#define KZ_CONN_LIMIT 4096u
/* reliability: idle connections cost a descriptor and ~4 KiB each, so the
 * cap follows the descriptor limit (raised to its hard limit) up to this. */
#define KZ_CONN_LIMIT_MAX 65536u
#define KZ_FD_RESERVE 256u
/* hardening: connections one client address may hold, so a slow client
 * (slowloris) cannot take every slot of KZ_CONN_LIMIT. */
#define KZ_PER_IP_DEFAULT 64u
/* HTTP Basic attempts (auth.c): per e-mail a burst of 10, then one per 6 s;
 * per client address 30, then one per second. Successes are given back. */
#define KZ_BASIC_EMAIL_RATE (1.0 / 6)
#define KZ_BASIC_EMAIL_BURST 10u
#define KZ_BASIC_IP_RATE 1.0
#define KZ_BASIC_IP_BURST 30u
/* How long a shutdown waits for requests in flight before cutting them. */
#define KZ_DRAIN_US (10 * 1000000LL)

/* reliability: raises the soft descriptor limit to the hard one and keeps
 * KZ_FD_RESERVE of them for the store, logs and outgoing connections. */
static unsigned conn_limit_from_fds(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return KZ_CONN_LIMIT;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (want.rlim_cur == RLIM_INFINITY || want.rlim_cur > KZ_CONN_LIMIT_MAX + KZ_FD_RESERVE)
            want.rlim_cur = KZ_CONN_LIMIT_MAX + KZ_FD_RESERVE;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = want.rlim_cur;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= KZ_CONN_LIMIT_MAX + KZ_FD_RESERVE)
        return KZ_CONN_LIMIT_MAX;
    if (rl.rlim_cur <= KZ_FD_RESERVE + 64)
        return 64;
    unsigned n = (unsigned)(rl.rlim_cur - KZ_FD_RESERVE);
    return n;
}

void kz_http_config_defaults(kz_http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->max_body = KZ_DEFAULT_MAX_BODY;
    cfg->rate_per_sec = 0;
    cfg->rate_burst = 0;
    cfg->threads = 0;
    cfg->timeout_s = 60;
    cfg->access_log = true;
    cfg->per_ip_connections = KZ_PER_IP_DEFAULT;
}

/* "host:port", "[v6]:port", ":port" or "port". An empty host is loopback:
 * listening on every interface must be asked for by name (0.0.0.0 or [::]). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, kz_err *err)
{
    char host[256] = "127.0.0.1";
    const char *port;
    if (!s || !*s)
        s = "127.0.0.1:8080";
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
            return kz_fail(err, KZ_E_INVALID, "listen",
                           "listen address '%s' is not [IPv6]:port", s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = 0;
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            return kz_fail(err, KZ_E_INVALID, "listen",
                           "listen address '%s': put IPv6 addresses in brackets, [::1]:8080", s);
        if (!colon) {
            port = s;
        } else {
            if ((size_t)(colon - s) >= sizeof host)
                return kz_fail(err, KZ_E_INVALID, "listen", "listen host in '%s' is too long", s);
            if (colon > s) {
                memcpy(host, s, (size_t)(colon - s));
                host[colon - s] = 0;
            }
            port = colon + 1;
        }
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535)
        return kz_fail(err, KZ_E_INVALID, "listen", "listen address '%s' has no valid port (0-65535)",
                       s);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(host, NULL, &hints, &res);
    if (g != 0 || !res)
        return kz_fail(err, KZ_E_INVALID, "listen", "cannot resolve listen host '%s': %s", host,
                       gai_strerror(g));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)p);
    else if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)p);
    else
        return kz_fail(err, KZ_E_INVALID, "listen", "listen host '%s' is not an IP address", host);
    return 0;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    kz_log(KZ_LOG_WARN, "http: %s", line);
}

void kz_http_block_stop_signals(sigset_t *stop, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, old);
    if (stop)
        *stop = set;
}

static long inflight(kz_http_server *srv) { return atomic_load(&srv->inflight); }

/* Once the node is stopping, a new connection is closed as it comes in;
 * those already open finish what they are doing. */
static enum MHD_Result refuse_while_draining(void *cls, const struct sockaddr *addr,
                                             socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    const kz_http_server *srv = cls;
    return atomic_load(&srv->draining) ? MHD_NO : MHD_YES;
}

/* Reads what the server needs once: the node secret and its name. Opening the
 * store here also applies migrations before any worker races to do it. */
static int load_node(kz_http_server *srv, kz_err *err)
{
    kz_store *st = NULL;
    int rc = kz_store_open(srv->cfg.db_path, &st, err);
    if (rc < 0)
        return rc;
    rc = kz_store_node_secret(st, srv->secret, err);
    if (rc == 0)
        kz_cursor_key(srv->secret, srv->cursor_key);
    if (rc == 0) {
        const char *name = srv->cfg.node_name;
        kz_arena a;
        kz_arena_init(&a);
        char *meta = NULL;
        kz_err e;
        if ((!name || !*name) && kz_store_meta_get(st, "node_name", &a, &meta, &e) == 0 && meta &&
            *meta)
            name = meta;
        srv->node_name = strdup(name && *name ? name : "kizuna");
        kz_arena_free(&a);
        if (!srv->node_name)
            rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    kz_store_close(st);
    return rc;
}

static void server_free(kz_http_server *srv)
{
    kz_notify_stop(srv); /* notifications: flushes the audit queue */
    kz_match_service_stop(srv);
    kz_ratelimit_free(srv->rl);
    kz_ratelimit_free(srv->basic_email);
    kz_ratelimit_free(srv->basic_ip);
    kz_principal_cache_free(srv->pc);
    kz_checkpointer_stop(srv->checkpointer); /* after the workers' connections */
    free(srv->node_name);
    sodium_memzero(srv->secret, sizeof srv->secret);
    sodium_memzero(srv->cursor_key, sizeof srv->cursor_key);
}

int kz_http_serve(const kz_http_config *cfg, kz_err *err)
{
    if (!cfg || !cfg->db_path)
        return kz_fail(err, KZ_E_INVALID, "db", "no database path given");
    kz_http_server srv;
    memset(&srv, 0, sizeof srv);
    srv.cfg = *cfg;
    if (srv.cfg.max_body == 0)
        srv.cfg.max_body = KZ_DEFAULT_MAX_BODY;
    if (srv.cfg.timeout_s == 0)
        srv.cfg.timeout_s = 60;
    if (srv.cfg.per_ip_connections == 0)
        srv.cfg.per_ip_connections = KZ_PER_IP_DEFAULT;
    /* Before any thread exists: bodies parse within a memory budget. */
    kz_json_set_load_budget(KZ_JSON_BUDGET_RATIO, KZ_JSON_BUDGET_CAP);
    unsigned threads = srv.cfg.threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (threads > 256)
        threads = 256;
    atomic_init(&srv.inflight, 0);
    atomic_init(&srv.draining, false);

    /* Before any thread starts (the checkpointer, the match service, the
     * notification threads, MHD's): they inherit the mask. */
    sigset_t stop, old;
    kz_http_block_stop_signals(&stop, &old);

    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    int rc = parse_listen(srv.cfg.listen, &ss, &sslen, err);
    if (rc == 0)
        rc = load_node(&srv, err);
    if (rc == 0)
        rc = kz_checkpointer_start(srv.cfg.db_path, &srv.checkpointer, err);
    if (rc == 0) /* federation: HTTPS (tls.c) */
        rc = kz_http_tls_load(&srv.cfg, err);
    if (rc == 0 && srv.cfg.rate_per_sec > 0 &&
        !(srv.rl = kz_ratelimit_new(srv.cfg.rate_per_sec, srv.cfg.rate_burst)))
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (rc == 0 && !(srv.pc = kz_principal_cache_new()))
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (rc == 0 &&
        (!(srv.basic_email = kz_ratelimit_new(KZ_BASIC_EMAIL_RATE, KZ_BASIC_EMAIL_BURST)) ||
         !(srv.basic_ip = kz_ratelimit_new(KZ_BASIC_IP_RATE, KZ_BASIC_IP_BURST))))
        rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    if (rc == 0)
        rc = kz_match_service_start(&srv, err);
    if (rc == 0) /* notifications: audit writer, event streams */
        rc = kz_notify_start(&srv, err);
    if (rc < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        server_free(&srv);
        kz_http_tls_free(); /* federation: HTTPS (tls.c) */
        return rc;
    }

    /* reliability: past a file size limit (ulimit -f) a write fails with
     * EFBIG and the transaction is refused; SIGXFSZ would kill the node. */
    signal(SIGXFSZ, SIG_IGN);

    /* reliability: a connection cap that thousands of idle connections
     * from many addresses cannot exhaust before the descriptors run out,
     * and a deadline for request headers (slow_guard.c). */
    unsigned conn_limit = conn_limit_from_fds();
    kz_slow_guard *guard =
        kz_slow_guard_new(srv.cfg.timeout_s, kz_http_access, &srv, kz_http_completed, &srv);
    if (!guard) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        server_free(&srv);
        kz_http_tls_free(); /* federation: HTTPS (tls.c) */
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    flags |= MHD_ALLOW_SUSPEND_RESUME; /* notifications: idle event streams are parked */
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    else
        flags |= MHD_USE_POLL;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    flags |= kz_http_tls_flags(); /* federation: HTTPS (tls.c) */
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, refuse_while_draining, &srv, kz_slow_guard_access, guard,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, srv.cfg.timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)KZ_CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv.cfg.per_ip_connections,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_COMPLETED, kz_slow_guard_completed, guard,
        MHD_OPTION_NOTIFY_CONNECTION, kz_slow_guard_connection, guard,
        MHD_OPTION_ARRAY, kz_http_tls_options(), /* federation: HTTPS (tls.c) */
        MHD_OPTION_END);
    if (!d) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        kz_slow_guard_free(guard);
        server_free(&srv);
        kz_http_tls_free(); /* federation: HTTPS (tls.c) */
        return kz_fail(err, KZ_E_IO, "listen", "cannot listen on %s: %s", srv.cfg.listen,
                       e ? strerror(e) : "libmicrohttpd refused the configuration");
    }

    const union MHD_DaemonInfo *pi = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = pi ? pi->port : 0;
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&ss)->sin_addr, host, sizeof host);
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&ss)->sin6_addr, host, sizeof host);
    if (ss.ss_family == AF_INET6)
        printf("kizuna: listening on %s://[%s]:%u\n", kz_http_tls_scheme(), host, port);
    else
        printf("kizuna: listening on %s://%s:%u\n", kz_http_tls_scheme(), host, port);
    fflush(stdout);
    kz_log(KZ_LOG_INFO,
           "serving %s with %u threads, body limit %zu bytes (bulk routes), %u connections per "
           "client%s",
           srv.cfg.db_path, threads, srv.cfg.max_body, srv.cfg.per_ip_connections,
           srv.rl ? ", rate limited" : "");

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    kz_log(KZ_LOG_INFO, "%s: finishing requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");

    /* No new connections from here on (refuse_while_draining). Not
     * MHD_quiesce_daemon: with epoll and a thread pool it races the
     * workers for the listen socket's removal from their epoll sets and
     * libmicrohttpd aborts the process when it loses (seen: "Failed to
     * remove listen FD from epoll set", exit 134). */
    atomic_store(&srv.draining, true);
    kz_notify_quiesce(&srv); /* notifications: end event streams so they drain */
    kz_time deadline = kz_time_now() + KZ_DRAIN_US;
    while (inflight(&srv) > 0 && kz_time_now() < deadline)
        usleep(10000);
    MHD_stop_daemon(d);
    kz_slow_guard_free(guard);
    kz_thread_store_close();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    server_free(&srv);
    kz_http_tls_free(); /* federation: HTTPS (tls.c) */
    kz_log(KZ_LOG_INFO, "stopped");
    return 0;
}
