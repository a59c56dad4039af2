/* bench_sync_sign.c — signature and verification rate of federation
 * envelopes, beside the naive peer that signs every indicator on its own.
 *
 * Usage: bench_sync_sign [TOTAL=100000] [SIZES=1,10,100,1000,10000,100000]
 *
 * For each event size N (indicators per event) it makes events of N
 * synthetic indicators (IPv4, domains, SHA-256 in turn, all already
 * normalised) until TOTAL indicators, and times:
 *   - kizuna sign: canonical event (each indicator's canonical bytes hashed
 *     with BLAKE2b into the manifest) + one Ed25519 signature per event;
 *   - kizuna verify: the same recomputation + one verification per event;
 *   - naive peer: canonical bytes + one Ed25519 signature (verification) per
 *     indicator, as a peer that signs each attribute would;
 *   - envelope build / open end to end: what a feed page and a receiver pay
 *     (jansson bodies, strict parse, value re-normalisation, verify).
 * Rates are indicators per second; ratio = kizuna / naive. Prints a
 * markdown table. Never a timed test: run it from bench/run or by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sync/sync_int.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const kz_err *err)
{
    fprintf(stderr, "bench_sync_sign: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

#define ORG "0a000000-0000-4000-8000-000000000001"

static void make_event(kz_arena *a, kz_event *ev, size_t n, unsigned seed)
{
    memset(ev, 0, sizeof *ev);
    kz_uuid_v4(ev->id);
    ev->title = kz_arena_printf(a, "bench event %u", seed);
    ev->description = "synthetic";
    ev->threat_level = 2;
    ev->tlp = KZ_TLP_GREEN;
    ev->pap = KZ_PAP_GREEN;
    ev->distribution = KZ_DIST_ALL;
    kz_strlist_push(a, &ev->tags, "bench");
    ev->published = true;
    strcpy(ev->creator_org, ORG);
    ev->created = ev->modified = ev->published_at = 1700000000000000;
    ev->indicators = kz_arena_alloc(a, n * sizeof *ev->indicators);
    ev->n_indicators = n;
    kz_uuid7_gen g = {0};
    for (size_t i = 0; i < n; i++) {
        kz_indicator *ind = &ev->indicators[i];
        kz_uuid7_next(&g, ind->id);
        strcpy(ind->event_id, ev->id);
        unsigned k = seed * 7919u + (unsigned)i;
        switch (i % 3) {
        case 0:
            ind->type = KZ_IOC_IPV4;
            ind->value = kz_arena_printf(a, "10.%u.%u.%u", (k >> 16) & 255, (k >> 8) & 255,
                                         k & 255);
            break;
        case 1:
            ind->type = KZ_IOC_DOMAIN;
            ind->value = kz_arena_printf(a, "host%u.bench-%u.example.com", k, seed);
            break;
        default: {
            uint8_t h[32];
            char hex[65];
            crypto_generichash(h, 32, (const uint8_t *)&k, sizeof k, NULL, 0);
            kz_hex_encode(h, 32, hex);
            ind->type = KZ_IOC_SHA256;
            ind->value = kz_arena_strdup(a, hex);
        }
        }
        ind->to_ids = true;
        ind->tlp = -1;
        ind->distribution = -1;
        ind->created = ind->modified = 1700000000000000 + (kz_time)i;
        kz_strlist_push(a, &ind->tags, "c2");
    }
}

static bool trust_all(void *ctx, const char *org, const uint8_t key[32])
{
    (void)org;
    return memcmp(ctx, key, 32) == 0;
}

typedef struct row {
    size_t n, events;
    double sign, verify, naive_sign, naive_verify, build, open;
} row;

static void run_size(const kz_node_identity *id, size_t n, size_t total, row *r)
{
    size_t events = total / n ? total / n : 1;
    kz_arena a;
    kz_arena_init(&a);
    kz_event *evs = kz_arena_alloc(&a, events * sizeof *evs);
    for (size_t e = 0; e < events; e++)
        make_event(&a, &evs[e], n, (unsigned)e);
    size_t inds = events * n;
    kz_err err = {0};
    kz_buf canon, msg;
    kz_buf_init(&canon);
    kz_buf_init(&msg);
    uint8_t(*sigs)[64] = malloc(events * 64);

    double t0 = now_s();
    for (size_t e = 0; e < events; e++) {
        kz_buf_reset(&canon);
        kz_buf_reset(&msg);
        if (kz_sync_canon_event(&evs[e], NULL, &canon, &err) ||
            kz__sync_message(KZ_SYNC_DOMAIN_EVENT, &canon, id->org_id, id->public_key, &msg, &err))
            die("canon", &err);
        crypto_sign_detached(sigs[e], NULL, (const uint8_t *)msg.p, msg.len, id->secret_key);
    }
    double t1 = now_s();
    for (size_t e = 0; e < events; e++) {
        kz_buf_reset(&canon);
        kz_buf_reset(&msg);
        if (kz_sync_canon_event(&evs[e], NULL, &canon, &err) ||
            kz__sync_message(KZ_SYNC_DOMAIN_EVENT, &canon, id->org_id, id->public_key, &msg, &err))
            die("canon", &err);
        if (crypto_sign_verify_detached(sigs[e], (const uint8_t *)msg.p, msg.len, id->public_key))
            die("verify", NULL);
    }
    double t2 = now_s();
    r->sign = (double)inds / (t1 - t0);
    r->verify = (double)inds / (t2 - t1);

    /* the naive peer: one signature per indicator (timed on up to 20,000) */
    size_t nn = inds < 20000 ? inds : 20000, done = 0;
    uint8_t(*isig)[64] = malloc(nn * 64);
    t0 = now_s();
    for (size_t e = 0; e < events && done < nn; e++)
        for (size_t i = 0; i < n && done < nn; i++, done++) {
            kz_buf_reset(&canon);
            if (kz_sync_canon_indicator(&evs[e].indicators[i], &canon, &err))
                die("canon", &err);
            crypto_sign_detached(isig[done], NULL, (const uint8_t *)canon.p, canon.len,
                                 id->secret_key);
        }
    t1 = now_s();
    done = 0;
    for (size_t e = 0; e < events && done < nn; e++)
        for (size_t i = 0; i < n && done < nn; i++, done++) {
            kz_buf_reset(&canon);
            if (kz_sync_canon_indicator(&evs[e].indicators[i], &canon, &err))
                die("canon", &err);
            if (crypto_sign_verify_detached(isig[done], (const uint8_t *)canon.p, canon.len,
                                            id->public_key))
                die("verify", NULL);
        }
    t2 = now_s();
    r->naive_sign = (double)nn / (t1 - t0);
    r->naive_verify = (double)nn / (t2 - t1);

    /* end to end: envelope build, then strict open (timed on up to 200,000) */
    size_t ne = events, limit = 200000 / n ? 200000 / n : 1;
    if (ne > limit)
        ne = limit;
    json_t **envs = calloc(ne, sizeof *envs);
    t0 = now_s();
    for (size_t e = 0; e < ne; e++)
        if (kz_sync_envelope_event(id, &evs[e], NULL, &envs[e], &err))
            die("envelope", &err);
    t1 = now_s();
    for (size_t e = 0; e < ne; e++) {
        kz_arena oa;
        kz_arena_init(&oa);
        kz_sync_object o;
        if (kz_sync_envelope_open(envs[e], trust_all, (void *)id->public_key, &oa, &o, &err))
            die("open", &err);
        kz_arena_free(&oa);
    }
    t2 = now_s();
    for (size_t e = 0; e < ne; e++)
        json_decref(envs[e]);
    free(envs);
    r->build = (double)(ne * n) / (t1 - t0);
    r->open = (double)(ne * n) / (t2 - t1);
    r->n = n;
    r->events = events;

    free(isig);
    free(sigs);
    kz_buf_free(&canon);
    kz_buf_free(&msg);
    kz_arena_free(&a);
}

/* canonical bytes + BLAKE2b alone: the per-indicator cost of the manifest */
static double hash_rate(size_t total)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    make_event(&a, &ev, total, 1);
    kz_buf b;
    kz_buf_init(&b);
    kz_err err = {0};
    uint8_t h[32];
    double t0 = now_s();
    for (size_t i = 0; i < total; i++) {
        kz_buf_reset(&b);
        if (kz_sync_canon_indicator(&ev.indicators[i], &b, &err))
            die("canon", &err);
        crypto_generichash(h, 32, (const uint8_t *)b.p, b.len, NULL, 0);
    }
    double t = now_s() - t0;
    kz_buf_free(&b);
    kz_arena_free(&a);
    return (double)total / t;
}

int main(int argc, char **argv)
{
    if (kz_base_init() != 0)
        return 1;
    size_t total = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    const char *sizes = argc > 2 ? argv[2] : "1,10,100,1000,10000,100000";
    if (!total) {
        fprintf(stderr, "usage: bench_sync_sign [TOTAL] [SIZES]\n");
        return 2;
    }
    kz_node_identity id;
    memset(&id, 0, sizeof id);
    uint8_t seed[32] = {42};
    crypto_sign_seed_keypair(id.public_key, id.secret_key, seed);
    strcpy(id.org_id, ORG);
    kz_sync_fingerprint(id.public_key, id.fingerprint);

    printf("Federation signatures: %zu indicators per size; rates in indicators/s "
           "(ratio = kizuna / naive per-indicator signatures)\n\n",
           total);
    printf("| indicators/event | events | kizuna sign | naive sign | ratio | kizuna verify | "
           "naive verify | ratio | envelope build | envelope open |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    char *list = strdup(sizes), *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t n = strtoul(tok, NULL, 10);
        if (!n)
            continue;
        row r;
        run_size(&id, n, total > n ? total : n, &r);
        printf("| %zu | %zu | %.0f | %.0f | %.1fx | %.0f | %.0f | %.1fx | %.0f | %.0f |\n", r.n,
               r.events, r.sign, r.naive_sign, r.sign / r.naive_sign, r.verify, r.naive_verify,
               r.verify / r.naive_verify, r.build, r.open);
        fflush(stdout);
    }
    free(list);
    printf("\ncanonical form + BLAKE2b-256 alone: %.0f indicators hashed/s\n", hash_rate(total));
    kz_sync_identity_clear(&id);
    return 0;
}
