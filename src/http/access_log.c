/* access_log.c — one line per request on stderr, for operators and incident
 * responders: when, from where, what, how it ended, how long, and which key
 * id. The path is logged without its query string, since query values (a
 * searched indicator, a cursor) can themselves be sensitive; keys and
 * passwords never reach this file.
 */
#include "http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void remote_addr(struct MHD_Connection *conn, char *out, size_t n)
{
    snprintf(out, n, "-");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
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

/* Copies a path for the log, replacing bytes that could forge log lines. */
static void safe_path(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < n; i++) {
        unsigned char c = (unsigned char)in[i];
        out[j++] = (c < 0x20 || c == 0x7f || c == ' ' || c == '"') ? '?' : (char)c;
    }
    out[j] = 0;
}

void kz_access_log(const kz_req *r)
{
    char ts[KZ_TIME_STRLEN + 1], addr[INET6_ADDRSTRLEN + 1], path[512];
    kz_time now = kz_time_now();
    kz_time_format(now, ts);
    remote_addr(r->conn, addr, sizeof addr);
    safe_path(r->path ? r->path : "-", path, sizeof path);
    char line[1024];
    int n = snprintf(line, sizeof line, "%s access %s %s %s %u %zu %lldus key=%s\n", ts, addr,
                     r->method ? r->method : "-", path, r->status, r->bytes_sent,
                     (long long)(now - r->started), r->key_id[0] ? r->key_id : "-");
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    /* One write per line: concurrent workers never interleave mid-line. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
