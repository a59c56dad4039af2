/* auth.c — who is asking. An API key is hashed with the node secret and
 * looked up by its hash (one indexed query, which also refuses revoked and
 * expired keys, so a revocation anywhere is honoured at once); the hashes are
 * compared again in constant time. HTTP Basic checks an argon2id password,
 * after a throttle per e-mail and per client address (the check is slow on
 * purpose, so unthrottled it would be both a guessing oracle and a way to
 * burn the node's CPU).
 *
 * The principal (role, org, communities) costs a few queries to build, so it
 * is cached per user for two seconds; anything that changes roles or
 * memberships on this node flushes the cache. Keys and passwords are never
 * logged or copied anywhere but the stack.
 */
#include "http_int.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PC_SLOTS 1024
#define PC_STRIPES 16
#define PC_TTL_US (2 * 1000000LL)
/* last_used is written at most this often per key, to spare the writer lock. */
#define TOUCH_EVERY_US (60 * 1000000LL)

typedef struct pc_entry {
    kz_uuid user_id; /* "" = empty slot */
    kz_uuid org_id;
    kz_role role;
    kz_time at;
    unsigned gen;
    char *comm;      /* n_comm ids of KZ_UUID_STRLEN+1 bytes each, malloc'd */
    size_t n_comm;
    char *conn;
    size_t n_conn;
} pc_entry;

/* When this process last tried to write a key's last_used, success or not:
 * a failed try (another writer held the lock) is not repeated per request. */
typedef struct touch_entry {
    kz_uuid key_id;
    kz_time at;
} touch_entry;

struct kz_principal_cache {
    pthread_mutex_t mu[PC_STRIPES];
    atomic_uint gen;
    pc_entry slot[PC_SLOTS];
    touch_entry touch[PC_SLOTS];
};

kz_principal_cache *kz_principal_cache_new(void)
{
    kz_principal_cache *pc = calloc(1, sizeof *pc);
    if (!pc)
        return NULL;
    for (size_t i = 0; i < PC_STRIPES; i++)
        pthread_mutex_init(&pc->mu[i], NULL);
    atomic_init(&pc->gen, 1);
    return pc;
}

void kz_principal_cache_free(kz_principal_cache *pc)
{
    if (!pc)
        return;
    for (size_t i = 0; i < PC_SLOTS; i++) {
        free(pc->slot[i].comm);
        free(pc->slot[i].conn);
    }
    for (size_t i = 0; i < PC_STRIPES; i++)
        pthread_mutex_destroy(&pc->mu[i]);
    free(pc);
}

void kz_principal_cache_flush(kz_principal_cache *pc)
{
    if (pc)
        atomic_fetch_add(&pc->gen, 1);
}

static char *pack_ids(const kz_strlist *l)
{
    if (l->n == 0)
        return NULL;
    char *p = calloc(l->n, KZ_UUID_STRLEN + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        snprintf(p + i * (KZ_UUID_STRLEN + 1), KZ_UUID_STRLEN + 1, "%s", l->v[i]);
    return p;
}

static int unpack_ids(kz_arena *a, const char *p, size_t n, kz_strlist *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (kz_strlist_push(a, out, p + i * (KZ_UUID_STRLEN + 1)) < 0)
            return KZ_E_NOMEM;
    return 0;
}

static size_t slot_of(const char *user_id) { return kz_hash64(user_id, strlen(user_id)) % PC_SLOTS; }

static bool pc_get(kz_principal_cache *pc, const char *user_id, kz_time now, kz_arena *a,
                   kz_principal *out)
{
    size_t i = slot_of(user_id);
    pthread_mutex_t *mu = &pc->mu[i % PC_STRIPES];
    bool hit = false;
    pthread_mutex_lock(mu);
    pc_entry *e = &pc->slot[i];
    if (strcmp(e->user_id, user_id) == 0 && e->gen == atomic_load(&pc->gen) &&
        now - e->at < PC_TTL_US && now >= e->at) {
        memset(out, 0, sizeof *out);
        memcpy(out->user_id, e->user_id, sizeof out->user_id);
        memcpy(out->org_id, e->org_id, sizeof out->org_id);
        out->role = e->role;
        hit = unpack_ids(a, e->comm, e->n_comm, &out->communities) == 0 &&
              unpack_ids(a, e->conn, e->n_conn, &out->connected_communities) == 0;
    }
    pthread_mutex_unlock(mu);
    return hit;
}

static void pc_put(kz_principal_cache *pc, const kz_principal *p, unsigned gen, kz_time now)
{
    char *comm = pack_ids(&p->communities), *conn = pack_ids(&p->connected_communities);
    if ((p->communities.n && !comm) || (p->connected_communities.n && !conn)) {
        free(comm);
        free(conn);
        return;
    }
    size_t i = slot_of(p->user_id);
    pthread_mutex_t *mu = &pc->mu[i % PC_STRIPES];
    pthread_mutex_lock(mu);
    pc_entry *e = &pc->slot[i];
    free(e->comm);
    free(e->conn);
    memcpy(e->user_id, p->user_id, sizeof e->user_id);
    memcpy(e->org_id, p->org_id, sizeof e->org_id);
    e->role = p->role;
    e->at = now;
    e->gen = gen;
    e->comm = comm;
    e->n_comm = p->communities.n;
    e->conn = conn;
    e->n_conn = p->connected_communities.n;
    pthread_mutex_unlock(mu);
}

/* True (and the attempt recorded) when key_id's last_used is due for a
 * write: not tried by this process within TOUCH_EVERY_US. */
static bool touch_due(kz_principal_cache *pc, const char *key_id, kz_time now)
{
    size_t i = slot_of(key_id);
    pthread_mutex_t *mu = &pc->mu[i % PC_STRIPES];
    pthread_mutex_lock(mu);
    touch_entry *t = &pc->touch[i];
    bool due = strcmp(t->key_id, key_id) != 0 || now - t->at >= TOUCH_EVERY_US || now < t->at;
    if (due) {
        snprintf(t->key_id, sizeof t->key_id, "%s", key_id);
        t->at = now;
    }
    pthread_mutex_unlock(mu);
    return due;
}

static int unauth(kz_req *r, const char *msg)
{
    return kz_fail(&r->err, KZ_E_UNAUTH, "Authorization", "%s", msg);
}

/* Builds the principal of user_id, from the cache when fresh. */
static int load_principal(kz_req *r, const char *user_id, kz_time now)
{
    kz_principal_cache *pc = r->srv->pc;
    if (pc_get(pc, user_id, now, &r->arena, &r->who))
        return 0;
    /* Read the generation before the store, so a flush racing with this load
     * makes the entry stale rather than fresh. */
    unsigned gen = atomic_load(&pc->gen);
    kz_user u;
    kz_err e;
    int rc = kz_store_user_get(r->st, user_id, &r->arena, &u, &e);
    if (rc == KZ_E_NOTFOUND)
        return unauth(r, "the key's user no longer exists");
    if (rc < 0) {
        r->err = e;
        return rc;
    }
    memset(&r->who, 0, sizeof r->who);
    memcpy(r->who.user_id, u.id, sizeof r->who.user_id);
    memcpy(r->who.org_id, u.org_id, sizeof r->who.org_id);
    r->who.role = u.role;
    rc = kz_store_principal_load(r->st, &r->who, &r->arena, &r->err);
    if (rc < 0)
        return rc;
    pc_put(pc, &r->who, gen, now);
    return 0;
}

static int bearer(kz_req *r, const char *text)
{
    uint8_t hash[32];
    kz_err e;
    if (kz_key_hash(r->srv->secret, text, hash, &e) < 0)
        return unauth(r, "malformed API key: expected 'kz_' followed by 43 characters");
    kz_time now = kz_time_now();
    kz_api_key key;
    int rc = kz_store_key_find(r->st, hash, now, &r->arena, &key, &e);
    sodium_memzero(&e, sizeof e);
    if (rc == KZ_E_NOTFOUND)
        return unauth(r, "unknown, revoked or expired API key");
    if (rc < 0)
        return kz_fail(&r->err, rc, NULL, "key lookup failed");
    if (sodium_memcmp(hash, key.hash, sizeof hash) != 0)
        return unauth(r, "unknown, revoked or expired API key");
    sodium_memzero(hash, sizeof hash);
    memcpy(r->key_id, key.id, sizeof r->key_id);
    rc = load_principal(r, key.user_id, now);
    if (rc < 0)
        return rc;
    if (now - key.last_used >= TOUCH_EVERY_US && touch_due(r->srv->pc, key.id, now)) {
        /* Best effort: a busy writer must not fail or hold up the request
         * (the store does not wait for the lock). */
        if (kz_store_key_touch(r->st, key.id, now, &e) < 0)
            kz_log(KZ_LOG_DEBUG, "key %s: last_used not updated: %s", key.id, e.msg);
    }
    return 0;
}

/* Spends the time of a password check even for unknown users, so response
 * times do not tell which e-mail addresses exist. */
static char g_dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t g_dummy_once = PTHREAD_ONCE_INIT;
static void dummy_init(void)
{
    char pw[32];
    kz_random_bytes(pw, sizeof pw);
    for (size_t i = 0; i < sizeof pw; i++)
        pw[i] = (char)('a' + ((unsigned char)pw[i] % 26));
    pw[sizeof pw - 1] = 0;
    if (crypto_pwhash_str(g_dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        g_dummy_hash[0] = 0;
}

/* Password attempts are throttled before the (deliberately slow) argon2id
 * check: per client address (IPv6 per /64), against spraying many accounts
 * or burning the node's CPU, then per e-mail, against guessing one account's
 * password from many addresses. The bucket ids are hashes (they fit the
 * limiter's 36 bytes) keyed per process, so nobody can pick e-mails that
 * share a stripe with a victim's bucket to push it out. */
#define BASIC_PASSWORD_MAX 1024 /* model.h: passwords are 8..1024 bytes */

static unsigned char g_bucket_key[crypto_generichash_KEYBYTES];
static pthread_once_t g_bucket_once = PTHREAD_ONCE_INIT;
static void bucket_key_init(void) { randombytes_buf(g_bucket_key, sizeof g_bucket_key); }

static void bucket_id(char tag, const void *p, size_t n, char out[40])
{
    unsigned char h[16];
    pthread_once(&g_bucket_once, bucket_key_init);
    crypto_generichash(h, sizeof h, p, n, g_bucket_key, sizeof g_bucket_key);
    out[0] = tag;
    sodium_bin2hex(out + 1, 33, h, sizeof h);
}

static void basic_bucket_ids(const kz_req *r, const char *email, char email_id[40],
                             char ip_id[40])
{
    char low[320];
    size_t n = strnlen(email, sizeof low - 1);
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(email[i] >= 'A' && email[i] <= 'Z' ? email[i] - 'A' + 'a' : email[i]);
    bucket_id('e', low, n, email_id);
    sodium_memzero(low, sizeof low);

    unsigned char addr[17] = {0};
    size_t an = 1;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        addr[0] = 4;
        memcpy(addr + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        an = 5;
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            addr[0] = 4;
            memcpy(addr + 1, a6->s6_addr + 12, 4);
            an = 5;
        } else {
            addr[0] = 6;
            memcpy(addr + 1, a6->s6_addr, 8);
            an = 9;
        }
    }
    bucket_id('i', addr, an, ip_id);
}

static int basic_throttle(kz_req *r, const char *email_id, const char *ip_id)
{
    kz_time now = kz_time_now();
    unsigned retry = 0;
    const char *what = NULL;
    if (kz_ratelimit_take(r->srv->basic_ip, ip_id, now, &retry) < 0) {
        what = "from your address";
    } else if (kz_ratelimit_take(r->srv->basic_email, email_id, now, &retry) < 0) {
        kz_ratelimit_refund(r->srv->basic_ip, ip_id);
        what = "for this e-mail";
    }
    if (!what)
        return 0;
    r->retry_after = retry;
    return kz_fail(&r->err, KZ_E_RATE, "Authorization",
                   "too many password attempts %s; retry in %u s", what, retry);
}

static int basic(kz_req *r, const char *b64)
{
    char dec[1400];
    size_t n = 0;
    size_t inlen = strlen(b64);
    if (inlen > 1800 ||
        sodium_base642bin((unsigned char *)dec, sizeof dec - 1, b64, inlen, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return unauth(r, "malformed Basic credentials");
    dec[n] = 0;
    char *colon = memchr(dec, ':', n);
    if (!colon || memchr(dec, 0, n) || !kz_utf8_valid(dec, n)) {
        sodium_memzero(dec, sizeof dec);
        return unauth(r, "malformed Basic credentials: expected e-mail:password");
    }
    *colon = 0;
    const char *email = dec, *password = colon + 1;
    /* No stored password is this long, so the answer is known: give it
     * before the user lookup, the same way for every e-mail, so the time
     * taken does not tell which e-mails exist. */
    if (strlen(password) > BASIC_PASSWORD_MAX) {
        sodium_memzero(dec, sizeof dec);
        return unauth(r, "wrong e-mail or password");
    }
    char email_id[40], ip_id[40];
    basic_bucket_ids(r, email, email_id, ip_id);
    int rc = basic_throttle(r, email_id, ip_id);
    if (rc < 0) {
        sodium_memzero(dec, sizeof dec);
        return rc;
    }
    kz_user u;
    kz_err e;
    rc = kz_store_user_find_email(r->st, email, &r->arena, &u, &e);
    bool ok = false;
    if (rc == 0 && u.password_hash) {
        ok = kz_password_verify(u.password_hash, password);
    } else if (rc == 0 || rc == KZ_E_NOTFOUND) {
        pthread_once(&g_dummy_once, dummy_init);
        /* The verdict is meaningless; only the time spent matters. */
        if (g_dummy_hash[0] &&
            crypto_pwhash_str_verify(g_dummy_hash, password, strlen(password)) == 0)
            ok = false;
    }
    sodium_memzero(dec, sizeof dec);
    if (rc < 0 && rc != KZ_E_NOTFOUND)
        return kz_fail(&r->err, rc, NULL, "user lookup failed");
    if (!ok)
        return unauth(r, "wrong e-mail or password");
    /* Only failures spend the allowance. */
    kz_ratelimit_refund(r->srv->basic_email, email_id);
    kz_ratelimit_refund(r->srv->basic_ip, ip_id);
    return load_principal(r, u.id, kz_time_now());
}

int kz_http_authenticate(kz_req *r)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || !*h)
        return unauth(r, "this route needs credentials: send 'Authorization: Bearer kz_...'");
    /* The scheme is a case-insensitive token; the credentials follow after
     * white space and may be missing (then they are malformed). */
    size_t sl = strcspn(h, " \t");
    const char *cred = h + sl;
    while (*cred == ' ' || *cred == '\t')
        cred++;
    int rc;
    /* MISP-compatible API: MISP clients send the bare key, no scheme. */
    if (strncmp(h, "kz_", 3) == 0 && !*cred)
        rc = bearer(r, h);
    else if (sl == 6 && strncasecmp(h, "Bearer", 6) == 0)
        rc = bearer(r, cred);
    else if (sl == 5 && strncasecmp(h, "Basic", 5) == 0)
        rc = basic(r, cred);
    else
        return unauth(r, "unsupported Authorization scheme: use Bearer (API key) or Basic");
    if (rc < 0)
        return rc;
    r->authed = true;
    if (r->srv->rl) {
        /* Basic callers are limited per user, key holders per key. */
        const char *id = r->key_id[0] ? r->key_id : r->who.user_id;
        rc = kz_ratelimit_take(r->srv->rl, id, kz_time_now(), &r->retry_after);
        if (rc < 0)
            return kz_fail(&r->err, KZ_E_RATE, NULL,
                           "too many requests for this key; retry in %u s", r->retry_after);
    }
    return 0;
}
