/* kz_fed.c — helpers of the federation tests (kz_fed.h). */
#include "kz_fed.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void kz_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int kz_cli(const kz_node *n, char *out, size_t outn, ...)
{
    const char *args[24];
    size_t k = 0;
    va_list ap;
    va_start(ap, outn);
    const char *a;
    while ((a = va_arg(ap, const char *)) && k < 20)
        args[k++] = a;
    va_end(ap);
    args[k++] = "--db";
    args[k++] = n->db;
    args[k] = NULL;
    char buf[4096];
    return kz_node_run_all(args, out ? out : buf, out ? outn : sizeof buf);
}

void kz_fed_node_key(kz_node *n, char pk[65], char *node_id, size_t idn)
{
    kz_resp r = kz_get(n, "/api/v1/me", n->admin_key);
    KZ_EXPECT(r, 200);
    snprintf(n->admin_org, sizeof n->admin_org, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    r = kz_get(n, "/api/v1/sync/node", NULL);
    KZ_EXPECT(r, 200);
    assert_non_null(kz_resp_str(&r, "public_key"));
    snprintf(pk, 65, "%s", kz_resp_str(&r, "public_key"));
    assert_non_null(strstr(kz_resp_str(&r, "node_id"), n->admin_org));
    if (node_id)
        snprintf(node_id, idn, "%s", kz_resp_str(&r, "node_id"));
    kz_resp_free(&r);
}

void kz_fed_peer_add(kz_node *on, const char *name, kz_node *peer, const char *pk)
{
    char out[1024];
    int rc = KZ_CLI(on, out, sizeof out, "peer", "add", name, peer->base, "--public-key", pk,
                    "--interval", "0");
    if (rc != 0)
        fail_msg("peer add %s: exit %d: %s", name, rc, out);
    assert_non_null(strstr(out, peer->admin_org));
}

void kz_fed_set_key(kz_node *on, const char *peer_name, const char *key)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.key", on->dir, peer_name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", key);
    fclose(f);
    assert_int_equal(KZ_CLI(on, NULL, 0, "peer", "set-key", peer_name, "--api-key-file", path), 0);
}

kz_store *kz_fed_open_db(const kz_node *n)
{
    kz_store *st = NULL;
    kz_err err = {0};
    if (kz_store_open(n->db, &st, &err) != 0)
        fail_msg("open %s: %s", n->db, err.msg);
    return st;
}
