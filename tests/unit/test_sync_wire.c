/* test_sync_wire.c — the wire half of federation: node identity, canonical
 * bytes, signed envelopes, batches and sealed bundles.
 *
 * Expectations are computed independently of the code under test: keys and
 * fingerprints with libsodium calls written out here, canonical bytes as
 * literal strings, manifest hashes over those literals. Tampering tests flip
 * every byte of a real envelope, not a chosen few.
 */
#include "kz_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "sync/sync.h"

#define ORG1 "0a000000-0000-4000-8000-000000000001"
#define ORG2 "0a000000-0000-4000-8000-000000000002"
#define ORG3 "0a000000-0000-4000-8000-000000000003"
#define EV_ID "1b000000-0000-4000-8000-0000000000e1"
#define IND_A "7c000000-0000-4000-8000-00000000000a"
#define IND_B "2d000000-0000-4000-8000-00000000000b"
#define IND_C "3e000000-0000-4000-8000-00000000000c"
#define USER1 "9f000000-0000-4000-8000-0000000000f1"
#define SG_ID "5a000000-0000-4000-8000-0000000000a5"
#define SIGHT_ID "6b000000-0000-4000-8000-0000000000b6"

/* ---- helpers ------------------------------------------------------------- */

static void expect_err(int rc, int code, const kz_err *e, const char *fragment)
{
    if (rc != code || !strstr(e->msg, fragment))
        fprintf(stderr, "expected %d with '%s', got %d: %s\n", code, fragment, rc, e->msg);
    assert_int_equal(rc, code);
    assert_non_null(strstr(e->msg, fragment));
}

/* An identity from a fixed seed, built with libsodium directly. */
static void make_id(kz_node_identity *id, uint8_t seed_byte, const char *org)
{
    memset(id, 0, sizeof *id);
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair(id->public_key, id->secret_key, seed);
    uint8_t h[32];
    crypto_generichash(h, 32, id->public_key, 32, NULL, 0);
    for (int i = 0; i < 16; i++)
        snprintf(id->fingerprint + 2 * i, 3, "%02x", h[i]);
    snprintf(id->org_id, sizeof id->org_id, "%s", org);
    snprintf(id->node_id, sizeof id->node_id, "%s/%s", org, id->fingerprint);
}

typedef struct trust_ctx {
    const char *org;
    const uint8_t *key;
    int calls;
} trust_ctx;

static bool trust(void *ctx, const char *org_id, const uint8_t key[32])
{
    trust_ctx *t = ctx;
    t->calls++;
    return !strcmp(org_id, t->org) && !memcmp(key, t->key, 32);
}

static kz_strlist list_of(kz_arena *a, const char *const *v, size_t n)
{
    kz_strlist l = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kz_strlist_push(a, &l, v[i]), 0);
    return l;
}

/* The fixture event: two live indicators (array order is not id order) and
 * a deleted one; node-local fields set so that their absence is tested. */
static void fixture_event(kz_arena *a, kz_event *ev, kz_indicator ind[3])
{
    memset(ev, 0, sizeof *ev);
    memset(ind, 0, 3 * sizeof *ind);
    static const char *const tags[] = {"phishing", "misp-galaxy:threat-actor=\"APT-X\""};
    static const char *const recips[] = {ORG2};
    static const char *const users[] = {USER1};
    static const char *const ctags[] = {"c2"};
    strcpy(ev->id, EV_ID);
    ev->title = kz_arena_strdup(a, "Phishing wave Q4 \xe2\x80\x94 ASEAN/JP");
    ev->description = kz_arena_strdup(a, "line1\nline2");
    ev->threat_level = 2;
    ev->analysis = 1;
    ev->tlp = KZ_TLP_AMBER;
    ev->pap = KZ_PAP_GREEN;
    ev->distribution = KZ_DIST_COMMUNITY;
    ev->tags = list_of(a, tags, 2);
    ev->recipient_orgs = list_of(a, recips, 1);
    ev->recipient_users = list_of(a, users, 1);
    ev->published = true;
    ev->published_at = 1700000100000000;
    strcpy(ev->creator_org, ORG1);
    strcpy(ev->creator_user, USER1);
    ev->created = 1699999000000000;
    ev->modified = 1700000200000000;

    strcpy(ind[0].id, IND_A);
    strcpy(ind[0].event_id, EV_ID);
    ind[0].type = KZ_IOC_DOMAIN;
    ind[0].value = kz_arena_strdup(a, "evil.example.com");
    ind[0].to_ids = true;
    ind[0].tags = list_of(a, ctags, 1);
    ind[0].tlp = -1;
    ind[0].distribution = -1;
    ind[0].first_seen = 1700000000000000;
    ind[0].created = 1700000000000010;
    ind[0].modified = 1700000000000020;
    ind[0].warninglist = kz_arena_strdup(a, "alexa-top");

    strcpy(ind[1].id, IND_B);
    strcpy(ind[1].event_id, EV_ID);
    ind[1].type = KZ_IOC_IPV4;
    ind[1].value = kz_arena_strdup(a, "203.0.113.7");
    ind[1].comment = kz_arena_strdup(a, "seen\tin \"logs\"");
    ind[1].tlp = KZ_TLP_RED;
    ind[1].distribution = KZ_DIST_ORG;
    ind[1].created = 1700000000000030;
    ind[1].modified = 1700000000000040;

    strcpy(ind[2].id, IND_C);
    strcpy(ind[2].event_id, EV_ID);
    ind[2].type = KZ_IOC_MD5;
    ind[2].value = kz_arena_strdup(a, "d41d8cd98f00b204e9800998ecf8427e");
    ind[2].tlp = -1;
    ind[2].distribution = -1;
    ind[2].deleted = true;

    ev->indicators = ind;
    ev->n_indicators = 3;
}

static const char IND_A_CANON[] =
    "{\"comment\":null,\"created\":1700000000000010,\"distribution\":null,"
    "\"event_id\":\"" EV_ID "\",\"first_seen\":1700000000000000,\"id\":\"" IND_A "\","
    "\"last_seen\":0,\"modified\":1700000000000020,\"tags\":[\"c2\"],\"tlp\":null,"
    "\"to_ids\":true,\"type\":\"domain\",\"value\":\"evil.example.com\"}";
static const char IND_B_CANON[] =
    "{\"comment\":\"seen\\tin \\\"logs\\\"\",\"created\":1700000000000030,"
    "\"distribution\":\"org\",\"event_id\":\"" EV_ID "\",\"first_seen\":0,"
    "\"id\":\"" IND_B "\",\"last_seen\":0,\"modified\":1700000000000040,\"tags\":[],"
    "\"tlp\":\"red\",\"to_ids\":false,\"type\":\"ipv4\",\"value\":\"203.0.113.7\"}";

static void blake_hex(const char *s, char out[65])
{
    uint8_t h[32];
    crypto_generichash(h, 32, (const uint8_t *)s, strlen(s), NULL, 0);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static json_t *reload(const json_t *env)
{
    char *s = json_dumps(env, JSON_COMPACT);
    assert_non_null(s);
    json_error_t je;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    free(s);
    assert_non_null(j);
    return j;
}

/* ---- identity ------------------------------------------------------------ */

static void write_secret(const char *path, const uint8_t secret[32])
{
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", secret[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, hex, 64), 64);
    close(fd);
}

static void test_identity_derivation(void **state)
{
    (void)state;
    char *dir = kz_test_mkdtemp();
    char db[600], sec[620];
    snprintf(db, sizeof db, "%s/kz.db", dir);
    snprintf(sec, sizeof sec, "%s.secret", db);
    uint8_t secret[32];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)(i * 7 + 1);
    write_secret(sec, secret);
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(db, &st, &err), 0);

    kz_node_identity id;
    /* no operator org recorded yet */
    expect_err(kz_sync_identity_load(st, &id, &err), KZ_E_NOTFOUND, &err, "node.org_id");
    assert_int_equal(id.public_key[0] | id.secret_key[0], 0);

    assert_int_equal(kz_store_meta_set(st, "node.org_id", ORG1, &err), 0);
    assert_int_equal(kz_sync_identity_load(st, &id, &err), 0);

    /* the expected key, written out with libsodium */
    uint8_t seed[32], pk[32], sk[64], h[32];
    assert_int_equal(crypto_kdf_derive_from_key(seed, 32, 1, "kzsign01", secret), 0);
    crypto_sign_seed_keypair(pk, sk, seed);
    assert_memory_equal(id.public_key, pk, 32);
    assert_memory_equal(id.secret_key, sk, 64);
    crypto_generichash(h, 32, pk, 32, NULL, 0);
    char fp[33], node_id[80];
    for (int i = 0; i < 16; i++)
        snprintf(fp + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(id.fingerprint, fp);
    snprintf(node_id, sizeof node_id, "%s/%s", ORG1, fp);
    assert_string_equal(id.node_id, node_id);
    assert_string_equal(id.org_id, ORG1);
    char fp2[33];
    kz_sync_fingerprint(pk, fp2);
    assert_string_equal(fp2, fp);

    /* stable: a second load (new store handle) derives the same key */
    kz_store_close(st);
    assert_int_equal(kz_store_open(db, &st, &err), 0);
    kz_node_identity again;
    assert_int_equal(kz_sync_identity_load(st, &again, &err), 0);
    assert_memory_equal(again.public_key, pk, 32);

    /* a different secret is a different node */
    secret[0] ^= 1;
    assert_int_equal(crypto_kdf_derive_from_key(seed, 32, 1, "kzsign01", secret), 0);
    uint8_t pk2[32];
    crypto_sign_seed_keypair(pk2, sk, seed);
    assert_memory_not_equal(pk2, pk, 32);

    kz_sync_identity_clear(&id);
    static const uint8_t zero[64];
    assert_memory_equal(id.secret_key, zero, 64);
    kz_sync_identity_clear(&again);
    kz_store_close(st);
    kz_test_rmdir(dir);
    free(dir);
}

static void test_key_parse_format(void **state)
{
    (void)state;
    kz_err err = {0};
    uint8_t k[32], want[32];
    for (int i = 0; i < 32; i++)
        want[i] = (uint8_t)(0xa0 + i);
    char hex[65];
    kz_sync_key_format(want, hex);
    assert_string_equal(hex, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
    assert_int_equal(kz_sync_key_parse(hex, k, &err), 0);
    assert_memory_equal(k, want, 32);
    assert_int_equal(kz_sync_key_parse("A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF",
                                       k, &err),
                     0);
    assert_memory_equal(k, want, 32);

    memset(k, 0x55, 32);
    expect_err(kz_sync_key_parse("abc", k, &err), KZ_E_VALUE, &err,
               "public key 'abc' must be 64 hex characters (32 bytes), got 3");
    char bad[65];
    memcpy(bad, hex, 65);
    bad[10] = 'g';
    expect_err(kz_sync_key_parse(bad, k, &err), KZ_E_VALUE, &err, "a0a1a2a3a4g");
    assert_non_null(strstr(err.msg, "must be 64 hex characters"));
    uint8_t untouched[32];
    memset(untouched, 0x55, 32);
    assert_memory_equal(k, untouched, 32);
    char longer[70];
    snprintf(longer, sizeof longer, "%s00", hex);
    expect_err(kz_sync_key_parse(longer, k, &err), KZ_E_VALUE, &err, "got 66");
    expect_err(kz_sync_key_parse("", k, &err), KZ_E_VALUE, &err, "got 0");
}

/* ---- canonical bytes ----------------------------------------------------- */

static void test_canon_indicator_literal(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_buf b;
    kz_buf_init(&b);
    kz_err err = {0};
    assert_int_equal(kz_sync_canon_indicator(&ind[0], &b, &err), 0);
    assert_string_equal(b.p, IND_A_CANON);
    kz_buf_reset(&b);
    assert_int_equal(kz_sync_canon_indicator(&ind[1], &b, &err), 0);
    assert_string_equal(b.p, IND_B_CANON);

    /* what the canonical writer refuses, it refuses before anything is signed */
    kz_indicator bad = ind[0];
    strcpy(bad.id, "7C000000-0000-4000-8000-00000000000A");
    kz_buf_reset(&b);
    expect_err(kz_sync_canon_indicator(&bad, &b, &err), KZ_E_INVALID, &err,
               "'id' '7C000000-0000-4000-8000-00000000000A' is not a lowercase UUID");
    bad = ind[0];
    bad.value = "\xc3\x28";
    expect_err(kz_sync_canon_indicator(&bad, &b, &err), KZ_E_INVALID, &err,
               "indicator " IND_A ": 'value' is not valid UTF-8");
    bad = ind[0];
    bad.modified = -1;
    expect_err(kz_sync_canon_indicator(&bad, &b, &err), KZ_E_INVALID, &err,
               "'modified' time -1 is outside years 1970-9999");
    static const char *const untrimmed[] = {"c2 "}, *const twice[] = {"c2", "c2"};
    bad = ind[0];
    bad.tags = list_of(&a, untrimmed, 1);
    expect_err(kz_sync_canon_indicator(&bad, &b, &err), KZ_E_INVALID, &err,
               "'tags' entry 0 is not a normal tag");
    bad.tags = list_of(&a, twice, 2);
    expect_err(kz_sync_canon_indicator(&bad, &b, &err), KZ_E_INVALID, &err,
               "'tags' lists 'c2' twice");
    bad = ind[0];
    bad.value = "";
    expect_err(kz_sync_canon_indicator(&bad, &b, &err), KZ_E_INVALID, &err,
               "'value' must not be empty");
    kz_buf_free(&b);
    kz_arena_free(&a);
}

static void test_canon_event_literal(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    char ha[65], hb[65], want[4096];
    blake_hex(IND_A_CANON, ha);
    blake_hex(IND_B_CANON, hb);
    snprintf(want, sizeof want,
             "{\"analysis\":1,\"community_id\":null,\"created\":1699999000000000,"
             "\"creator_org\":\"" ORG1 "\",\"description\":\"line1\\nline2\","
             "\"distribution\":\"community\",\"id\":\"" EV_ID "\","
             "\"manifest\":[{\"hash\":\"%s\",\"id\":\"" IND_B "\"},"
             "{\"hash\":\"%s\",\"id\":\"" IND_A "\"}],"
             "\"modified\":1700000200000000,\"pap\":\"green\",\"published\":true,"
             "\"published_at\":1700000100000000,\"recipient_orgs\":[\"" ORG2 "\"],"
             "\"sharing_group_id\":null,"
             "\"tags\":[\"phishing\",\"misp-galaxy:threat-actor=\\\"APT-X\\\"\"],"
             "\"threat_level\":2,\"title\":\"Phishing wave Q4 \xe2\x80\x94 ASEAN/JP\","
             "\"tlp\":\"amber\"}",
             hb, ha);
    kz_buf b;
    kz_buf_init(&b);
    kz_err err = {0};
    assert_int_equal(kz_sync_canon_event(&ev, NULL, &b, &err), 0);
    assert_string_equal(b.p, want);

    /* node-local fields do not change the bytes */
    kz_buf b2;
    kz_buf_init(&b2);
    strcpy(ev.creator_user, ORG3);
    ev.recipient_users.n = 0;
    ind[0].warninglist = NULL;
    ind[2].value = "00000000000000000000000000000000"; /* deleted: not in the manifest */
    assert_int_equal(kz_sync_canon_event(&ev, NULL, &b2, &err), 0);
    assert_string_equal(b2.p, b.p);

    /* an indicator of another event cannot be folded in */
    strcpy(ind[1].event_id, ORG3);
    kz_buf_reset(&b2);
    expect_err(kz_sync_canon_event(&ev, NULL, &b2, &err), KZ_E_INVALID, &err,
               "indicator " IND_B ": 'event_id' '" ORG3 "' is not its event's id");
    strcpy(ind[1].event_id, EV_ID);
    strcpy(ind[1].id, IND_A);
    expect_err(kz_sync_canon_event(&ev, NULL, &b2, &err), KZ_E_INVALID, &err,
               "indicator " IND_A " appears twice");
    kz_buf_free(&b);
    kz_buf_free(&b2);
    kz_arena_free(&a);
}

static void fixture_sg(kz_arena *a, kz_event *ev, kz_sharing_group *sg)
{
    static const char *const members[] = {ORG1, ORG3};
    memset(sg, 0, sizeof *sg);
    strcpy(sg->id, SG_ID);
    sg->name = kz_arena_strdup(a, "ASEAN-JP phishing cell");
    strcpy(sg->owner_org, ORG1);
    sg->member_orgs = list_of(a, members, 2);
    sg->created = 1600000000000000;
    sg->modified = 1600000000000001;
    ev->distribution = KZ_DIST_SHARING_GROUP;
    strcpy(ev->sharing_group_id, SG_ID);
}

static void test_canon_sharing_group(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_sharing_group sg;
    fixture_sg(&a, &ev, &sg);
    ind[1].distribution = -1; /* org would be fine; keep it inherited */
    kz_buf b;
    kz_buf_init(&b);
    kz_err err = {0};
    expect_err(kz_sync_canon_event(&ev, NULL, &b, &err), KZ_E_INVALID, &err,
               "distribution is sharing_group but its sharing group was not given");
    kz_buf_reset(&b);
    assert_int_equal(kz_sync_canon_event(&ev, &sg, &b, &err), 0);
    assert_non_null(strstr(b.p, ",\"sharing_group\":{\"created\":1600000000000000,"
                                "\"description\":null,\"id\":\"" SG_ID "\","
                                "\"member_orgs\":[\"" ORG1 "\",\"" ORG3 "\"],"
                                "\"modified\":1600000000000001,"
                                "\"name\":\"ASEAN-JP phishing cell\",\"owner_org\":\"" ORG1 "\"},"
                                "\"sharing_group_id\":\"" SG_ID "\","));
    assert_non_null(strstr(b.p, "\"distribution\":\"sharing_group\""));
    kz_sharing_group other = sg;
    strcpy(other.id, ORG3);
    kz_buf_reset(&b);
    expect_err(kz_sync_canon_event(&ev, &other, &b, &err), KZ_E_INVALID, &err,
               "is not the event's");
    kz_buf_free(&b);
    kz_arena_free(&a);
}

/* The canonical writer is hand-written; jansson's sorted compact dump of the
 * same document must give identical bytes, for awkward strings too. */
static void test_canon_equals_jansson(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    ind[1].comment = kz_arena_strdup(&a, "ctl \x01\x1f del \x7f slash / back \\ quote \" "
                                        "\xe2\x80\xa8 \xf0\x9f\x94\x91 \b\f\r\n");
    ev.title = kz_arena_strdup(&a, "\xe7\xb5\x86 </script>");
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    for (int i = 0; i < 2; i++) {
        kz_buf b;
        kz_buf_init(&b);
        assert_int_equal(kz_sync_canon_indicator(&ind[i], &b, &err), 0);
        json_t *j = json_loads(b.p, 0, NULL);
        assert_non_null(j);
        char *d = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(d, b.p);
        free(d);
        json_decref(j);
        kz_buf_free(&b);
    }
    /* the envelope body is the same document as the canonical form, with the
     * indicator bodies in place of the manifest */
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    json_t *body = json_deep_copy(json_object_get(env, "body"));
    kz_buf b;
    kz_buf_init(&b);
    assert_int_equal(kz_sync_canon_event(&ev, NULL, &b, &err), 0);
    json_t *canon = json_loads(b.p, 0, NULL);
    assert_non_null(canon);
    json_object_set(body, "manifest", json_object_get(canon, "manifest"));
    json_object_del(body, "indicators");
    char *d = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(d, b.p);
    free(d);
    /* and each body indicator dumps to its canonical bytes */
    json_t *inds = json_object_get(json_object_get(env, "body"), "indicators");
    assert_int_equal(json_array_size(inds), 2);
    for (size_t i = 0; i < 2; i++) {
        kz_buf c;
        kz_buf_init(&c);
        assert_int_equal(kz_sync_canon_indicator(&ind[i], &c, &err), 0);
        char *di = json_dumps(json_array_get(inds, i), JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(di, c.p);
        free(di);
        kz_buf_free(&c);
    }
    json_decref(canon);
    json_decref(body);
    json_decref(env);
    kz_buf_free(&b);
    kz_arena_free(&a);
}

/* ---- envelopes ----------------------------------------------------------- */

static void assert_strlist_equal(const kz_strlist *x, const kz_strlist *y)
{
    assert_int_equal(x->n, y->n);
    for (size_t i = 0; i < x->n; i++)
        assert_string_equal(x->v[i], y->v[i]);
}

static void assert_ind_equal(const kz_indicator *x, const kz_indicator *y)
{
    assert_string_equal(x->id, y->id);
    assert_string_equal(x->event_id, y->event_id);
    assert_int_equal(x->type, y->type);
    assert_string_equal(x->value, y->value);
    assert_int_equal(x->to_ids, y->to_ids);
    if (x->comment || y->comment)
        assert_string_equal(x->comment, y->comment);
    assert_int_equal(x->first_seen, y->first_seen);
    assert_int_equal(x->last_seen, y->last_seen);
    assert_strlist_equal(&x->tags, &y->tags);
    assert_int_equal(x->tlp, y->tlp);
    assert_int_equal(x->distribution, y->distribution);
    assert_int_equal(x->created, y->created);
    assert_int_equal(x->modified, y->modified);
}

static void test_event_round_trip(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    assert_string_equal(json_string_value(json_object_get(env, "kind")), "event");
    json_t *wire = reload(env);

    trust_ctx t = {ORG1, id.public_key, 0};
    kz_sync_object o;
    assert_int_equal(kz_sync_envelope_open(wire, trust, &t, &a, &o, &err), 0);
    assert_int_equal(t.calls, 1);
    assert_int_equal(o.kind, KZ_SYNC_EVENT);
    assert_true(o.raw == wire);
    assert_string_equal(o.signer_fp, id.fingerprint);
    assert_memory_equal(o.signer_key, id.public_key, 32);
    assert_string_equal(o.signer_org, ORG1);
    const kz_event *g = &o.event;
    assert_string_equal(g->id, ev.id);
    assert_string_equal(g->title, ev.title);
    assert_string_equal(g->description, ev.description);
    assert_int_equal(g->threat_level, 2);
    assert_int_equal(g->analysis, 1);
    assert_int_equal(g->tlp, KZ_TLP_AMBER);
    assert_int_equal(g->pap, KZ_PAP_GREEN);
    assert_int_equal(g->distribution, KZ_DIST_COMMUNITY);
    assert_string_equal(g->community_id, "");
    assert_string_equal(g->sharing_group_id, "");
    assert_strlist_equal(&g->tags, &ev.tags);
    assert_strlist_equal(&g->recipient_orgs, &ev.recipient_orgs);
    assert_int_equal(g->recipient_users.n, 0); /* node-local: not sent */
    assert_string_equal(g->creator_user, "");
    assert_true(g->published);
    assert_int_equal(g->published_at, ev.published_at);
    assert_string_equal(g->creator_org, ORG1);
    assert_int_equal(g->created, ev.created);
    assert_int_equal(g->modified, ev.modified);
    assert_false(o.has_sharing_group);
    assert_int_equal(g->n_indicators, 2); /* the deleted one stays home */
    assert_ind_equal(&g->indicators[0], &ind[0]);
    assert_ind_equal(&g->indicators[1], &ind[1]);
    assert_null(g->indicators[0].warninglist);

    /* a relay: the envelope as received opens again on a third node */
    json_t *relayed = reload(o.raw);
    assert_int_equal(kz_sync_envelope_open(relayed, trust, &t, &a, &o, &err), 0);
    json_decref(relayed);

    /* with a sharing group */
    kz_sharing_group sg;
    fixture_sg(&a, &ev, &sg);
    ind[1].distribution = -1;
    json_t *env2 = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, &sg, &env2, &err), 0);
    json_t *wire2 = reload(env2);
    assert_int_equal(kz_sync_envelope_open(wire2, trust, &t, &a, &o, &err), 0);
    assert_true(o.has_sharing_group);
    assert_string_equal(o.sharing_group.id, SG_ID);
    assert_string_equal(o.sharing_group.name, sg.name);
    assert_null(o.sharing_group.description);
    assert_string_equal(o.sharing_group.owner_org, ORG1);
    assert_strlist_equal(&o.sharing_group.member_orgs, &sg.member_orgs);
    assert_int_equal(o.sharing_group.created, sg.created);
    assert_int_equal(o.sharing_group.modified, sg.modified);
    assert_int_equal(o.event.distribution, KZ_DIST_SHARING_GROUP);
    assert_string_equal(o.event.sharing_group_id, SG_ID);

    json_decref(wire2);
    json_decref(env2);
    json_decref(wire);
    json_decref(env);
    kz_arena_free(&a);
}

static void test_other_kinds_round_trip(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_node_identity id;
    make_id(&id, 2, ORG2);
    kz_err err = {0};
    trust_ctx t = {ORG2, id.public_key, 0};
    kz_sync_object o;

    kz_sighting s = {0};
    strcpy(s.id, SIGHT_ID);
    strcpy(s.indicator_id, IND_A);
    strcpy(s.org_id, ORG2);
    s.time = 1700000300000000;
    s.count = 3;
    s.source = "sensor-1";
    s.type = KZ_SIGHTING_FALSE_POSITIVE;
    s.created = 1700000300000001;
    kz_buf b;
    kz_buf_init(&b);
    assert_int_equal(kz_sync_canon_sighting(&s, &b, &err), 0);
    assert_string_equal(b.p, "{\"count\":3,\"created\":1700000300000001,\"id\":\"" SIGHT_ID "\","
                             "\"indicator_id\":\"" IND_A "\",\"org_id\":\"" ORG2 "\","
                             "\"source\":\"sensor-1\",\"time\":1700000300000000,"
                             "\"type\":\"false_positive\"}");
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_sighting(&id, &s, &env, &err), 0);
    json_t *wire = reload(env);
    assert_int_equal(kz_sync_envelope_open(wire, trust, &t, &a, &o, &err), 0);
    assert_int_equal(o.kind, KZ_SYNC_SIGHTING);
    assert_string_equal(o.sighting.id, SIGHT_ID);
    assert_string_equal(o.sighting.indicator_id, IND_A);
    assert_string_equal(o.sighting.org_id, ORG2);
    assert_int_equal(o.sighting.time, s.time);
    assert_int_equal(o.sighting.count, 3);
    assert_string_equal(o.sighting.source, "sensor-1");
    assert_int_equal(o.sighting.type, KZ_SIGHTING_FALSE_POSITIVE);
    assert_int_equal(o.sighting.created, s.created);
    /* a sighting speaks for the sighting's org: another org's key cannot */
    trust_ctx t1 = {ORG1, id.public_key, 0};
    expect_err(kz_sync_envelope_open(wire, trust, &t1, &a, &o, &err), KZ_E_UNAUTH, &err,
               "sighting " SIGHT_ID ": signer key");
    json_decref(wire);
    json_decref(env);

    kz_sync_deletion d = {"indicator", IND_B, ORG2, 1700000400000000};
    kz_buf_reset(&b);
    assert_int_equal(kz_sync_envelope_deletion(&id, &d, &env, &err), 0);
    wire = reload(env);
    assert_int_equal(kz_sync_envelope_open(wire, trust, &t, &a, &o, &err), 0);
    assert_int_equal(o.kind, KZ_SYNC_DELETION);
    assert_string_equal(o.deletion.object_type, "indicator");
    assert_string_equal(o.deletion.object_id, IND_B);
    assert_string_equal(o.deletion.creator_org, ORG2);
    assert_int_equal(o.deletion.deleted_at, d.deleted_at);
    json_decref(wire);
    json_decref(env);
    kz_sync_deletion bad_d = {"case", IND_B, ORG2, 1};
    expect_err(kz_sync_envelope_deletion(&id, &bad_d, &env, &err), KZ_E_INVALID, &err,
               "'object_type' must be event or indicator");
    assert_null(env);

    kz_org org = {0};
    strcpy(org.id, ORG2);
    org.name = "ThaiCERT";
    strcpy(org.country, "TH");
    org.type = KZ_ORG_NATIONAL_CERT;
    org.contact = "soc@example.org";
    org.created = 1500000000000000;
    org.modified = 1500000000000002;
    assert_int_equal(kz_sync_envelope_org(&id, &org, &env, &err), 0);
    wire = reload(env);
    assert_int_equal(kz_sync_envelope_open(wire, trust, &t, &a, &o, &err), 0);
    assert_int_equal(o.kind, KZ_SYNC_ORG);
    assert_string_equal(o.org.id, ORG2);
    assert_string_equal(o.org.name, "ThaiCERT");
    assert_string_equal(o.org.country, "TH");
    assert_int_equal(o.org.type, KZ_ORG_NATIONAL_CERT);
    assert_null(o.org.sector);
    assert_string_equal(o.org.contact, "soc@example.org");
    assert_int_equal(o.org.created, org.created);
    assert_int_equal(o.org.modified, org.modified);
    json_decref(wire);
    json_decref(env);
    kz_buf_free(&b);
    kz_arena_free(&a);
}

/* Every single-bit change of a signed envelope is refused: either it is no
 * longer JSON, or open refuses it. */
static void test_flip_every_byte(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    char *text = json_dumps(env, JSON_COMPACT);
    size_t n = strlen(text);
    trust_ctx t = {ORG1, id.public_key, 0};
    size_t opened = 0, unauth = 0;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 5) { /* the low bit and bit 5 (case) */
            char saved = text[i];
            text[i] = (char)(text[i] ^ (1 << bit));
            json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
            text[i] = saved;
            if (!j)
                continue;
            kz_arena b;
            kz_arena_init(&b);
            kz_sync_object o;
            err.msg[0] = '\0';
            int rc = kz_sync_envelope_open(j, trust, &t, &b, &o, &err);
            if (rc == 0)
                fprintf(stderr, "accepted a flip of bit %d at byte %zu: ...%.40s\n", bit, i,
                        text + (i > 20 ? i - 20 : 0));
            assert_int_not_equal(rc, 0);
            assert_true(err.msg[0] != '\0');
            assert_int_equal(o.kind, 0);
            assert_null(o.raw);
            opened++;
            unauth += rc == KZ_E_UNAUTH;
            kz_arena_free(&b);
            json_decref(j);
        }
    }
    /* most flips stay valid JSON and reach the verifier: the test exercises
     * the signature, not only the JSON parser */
    assert_true(opened > n / 2);
    assert_true(unauth > n / 4);

    /* the precise verdicts for the three parts */
    json_t *j = reload(env);
    kz_sync_object o;
    json_object_set_new(json_object_get(j, "body"), "title", json_string("Phishing wave Q5"));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "event " EV_ID ": signature does not verify");
    json_decref(j);

    j = reload(env);
    json_object_set_new(json_object_get(j, "signer"), "org", json_string(ORG3));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "event " EV_ID ": signature does not verify");
    json_decref(j);

    j = reload(env);
    char sig[89];
    snprintf(sig, sizeof sig, "%s", json_string_value(json_object_get(j, "signature")));
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    json_object_set_new(j, "signature", json_string(sig));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(j);

    /* another valid key in the signer block: the fingerprint no longer fits */
    kz_node_identity other;
    make_id(&other, 9, ORG1);
    char hex[65];
    kz_sync_key_format(other.public_key, hex);
    j = reload(env);
    json_object_set_new(json_object_get(j, "signer"), "public_key", json_string(hex));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_INVALID, &err,
               "is not the fingerprint of the public key");
    /* ... and with its fingerprint too, the signature does not verify */
    json_object_set_new(json_object_get(j, "signer"), "fingerprint",
                        json_string(other.fingerprint));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(j);

    free(text);
    json_decref(env);
    kz_arena_free(&a);
}

static void test_untrusted_signer(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id, mallory;
    make_id(&id, 1, ORG1);
    make_id(&mallory, 7, ORG3);
    kz_err err = {0};
    json_t *env = NULL;
    /* mallory's node signs an event claiming ORG1 created it */
    assert_int_equal(kz_sync_envelope_event(&mallory, &ev, NULL, &env, &err), 0);
    json_t *wire = reload(env);
    trust_ctx t = {ORG1, id.public_key, 0};
    kz_sync_object o;
    expect_err(kz_sync_envelope_open(wire, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "event " EV_ID ": signer key ");
    assert_non_null(strstr(err.msg, mallory.fingerprint));
    assert_non_null(strstr(err.msg, "is not trusted to speak for org " ORG1));
    assert_int_equal(t.calls, 1);
    /* no trust function: nothing is trusted */
    expect_err(kz_sync_envelope_open(wire, NULL, NULL, &a, &o, &err), KZ_E_UNAUTH, &err,
               "no trust decision");
    /* the same key is accepted when the receiver trusts it for ORG1 */
    trust_ctx tm = {ORG1, mallory.public_key, 0};
    assert_int_equal(kz_sync_envelope_open(wire, trust, &tm, &a, &o, &err), 0);
    json_decref(wire);
    json_decref(env);
    kz_arena_free(&a);
}

/* Indicators are covered through the manifest: changing or swapping them
 * after signing breaks the event's signature. */
static void test_manifest_mismatch(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    trust_ctx t = {ORG1, id.public_key, 0};
    kz_sync_object o;

    json_t *j = reload(env);
    json_t *i0 = json_array_get(json_object_get(json_object_get(j, "body"), "indicators"), 0);
    json_object_set_new(i0, "value", json_string("good.example.com"));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "event " EV_ID ": signature does not verify");
    json_decref(j);

    /* swap the two values (and types) between the indicators */
    j = reload(env);
    json_t *arr = json_object_get(json_object_get(j, "body"), "indicators");
    json_t *x = json_array_get(arr, 0), *y = json_array_get(arr, 1);
    json_t *xv = json_incref(json_object_get(x, "value")), *xt = json_incref(json_object_get(x, "type"));
    json_object_set(x, "value", json_object_get(y, "value"));
    json_object_set(x, "type", json_object_get(y, "type"));
    json_object_set_new(y, "value", xv);
    json_object_set_new(y, "type", xt);
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(j);

    /* drop one indicator, or add one the creator never signed */
    j = reload(env);
    json_array_remove(json_object_get(json_object_get(j, "body"), "indicators"), 1);
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(j);
    j = reload(env);
    arr = json_object_get(json_object_get(j, "body"), "indicators");
    json_t *extra = json_deep_copy(json_array_get(arr, 0));
    json_object_set_new(extra, "id", json_string(IND_C));
    json_array_append_new(arr, extra);
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(j);

    /* the same indicator twice */
    j = reload(env);
    arr = json_object_get(json_object_get(j, "body"), "indicators");
    json_array_append_new(arr, json_deep_copy(json_array_get(arr, 0)));
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_INVALID, &err,
               "indicator " IND_A " appears twice");
    json_decref(j);

    /* reordering is not a change: the manifest is sorted by id */
    j = reload(env);
    arr = json_object_get(json_object_get(j, "body"), "indicators");
    json_t *first = json_incref(json_array_get(arr, 0));
    json_array_remove(arr, 0);
    json_array_append_new(arr, first);
    assert_int_equal(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), 0);
    assert_string_equal(o.event.indicators[0].id, IND_B);
    json_decref(j);

    json_decref(env);
    kz_arena_free(&a);
}

/* Signs domain || canonical || "\n" || signer by hand, as docs/federation.md
 * describes the message. */
static json_t *resign(const json_t *env, const kz_node_identity *id, const char *domain,
                      const kz_buf *canon)
{
    char hex[65];
    kz_sync_key_format(id->public_key, hex);
    kz_buf m;
    kz_buf_init(&m);
    kz_buf_puts(&m, domain);
    kz_buf_append(&m, canon->p, canon->len);
    kz_buf_printf(&m, "\n{\"fingerprint\":\"%s\",\"org\":\"%s\",\"public_key\":\"%s\"}",
                  id->fingerprint, id->org_id, hex);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, (const uint8_t *)m.p, m.len, id->secret_key);
    char b64[89];
    sodium_bin2base64(b64, sizeof b64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
    kz_buf_free(&m);
    json_t *j = reload(env);
    json_object_set_new(j, "signature", json_string(b64));
    return j;
}

static void test_domain_separation(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    kz_buf canon;
    kz_buf_init(&canon);
    assert_int_equal(kz_sync_canon_event(&ev, NULL, &canon, &err), 0);
    trust_ctx t = {ORG1, id.public_key, 0};
    kz_sync_object o;

    /* control: the message as documented, with the event domain, verifies */
    json_t *j = resign(env, &id, "kizuna-event-v1\n", &canon);
    assert_int_equal(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), 0);
    json_decref(j);
    /* the same bytes signed under the sighting (or deletion) domain do not */
    j = resign(env, &id, "kizuna-sighting-v1\n", &canon);
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "event " EV_ID ": signature does not verify");
    json_decref(j);
    j = resign(env, &id, "kizuna-deletion-v1\n", &canon);
    expect_err(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(j);

    /* a real sighting envelope relabelled as an event is refused */
    kz_sighting s = {0};
    strcpy(s.id, SIGHT_ID);
    strcpy(s.indicator_id, IND_A);
    strcpy(s.org_id, ORG1);
    s.time = 1;
    s.count = 1;
    json_t *senv = NULL;
    assert_int_equal(kz_sync_envelope_sighting(&id, &s, &senv, &err), 0);
    json_t *relabel = reload(env);
    json_object_set(relabel, "signature", json_object_get(senv, "signature"));
    expect_err(kz_sync_envelope_open(relabel, trust, &t, &a, &o, &err), KZ_E_UNAUTH, &err,
               "signature does not verify");
    json_decref(relabel);
    relabel = reload(senv);
    json_object_set_new(relabel, "kind", json_string("event"));
    expect_err(kz_sync_envelope_open(relabel, trust, &t, &a, &o, &err), KZ_E_INVALID, &err,
               "unknown field");
    json_decref(relabel);
    json_decref(senv);
    kz_buf_free(&canon);
    json_decref(env);
    kz_arena_free(&a);
}

/* ---- malformed envelopes ------------------------------------------------- */

typedef void (*mutate_fn)(json_t *env, json_t *body, json_t *ind0);

static void open_mutated(mutate_fn fn, int code, const char *fragment)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    json_t *body = json_object_get(env, "body");
    fn(env, body, json_array_get(json_object_get(body, "indicators"), 0));
    trust_ctx t = {ORG1, id.public_key, 0};
    kz_sync_object o;
    memset(&o, 0x5a, sizeof o);
    expect_err(kz_sync_envelope_open(env, trust, &t, &a, &o, &err), code, &err, fragment);
    assert_int_equal(t.calls, 0);
    assert_null(o.event.indicators); /* nothing half-filled */
    assert_int_equal(o.event.id[0], 0);
    json_decref(env);
    kz_arena_free(&a);
}

static void m_unknown(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "extra", json_integer(1));
}
static void m_title_int(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "title", json_integer(5));
}
static void m_title_utf8(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "title", json_stringn_nocheck("ok \xff\xfe", 5));
}
static void m_title_nul(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "title", json_stringn("a\0b", 3));
}
static void m_title_long(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    char s[1026];
    memset(s, 'x', 1025);
    s[1025] = '\0';
    json_object_set_new(b, "title", json_string(s));
}
static void m_created_real(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "created", json_real(1.5));
}
static void m_id_upper(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "id", json_string("1B000000-0000-4000-8000-0000000000E1"));
}
static void m_value_not_normal(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)b;
    json_object_set_new(i, "value", json_string("EVIL.example.com"));
}
static void m_value_invalid(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)b;
    json_object_set_new(i, "type", json_string("ipv4"));
    json_object_set_new(i, "value", json_string("300.1.2.3"));
}
static void m_ind_event(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)b;
    json_object_set_new(i, "event_id", json_string(ORG3));
}
static void m_tag_space(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)b;
    json_array_append_new(json_object_get(i, "tags"), json_string(" c3"));
}
static void m_tag_dupe(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_array_append_new(json_object_get(b, "tags"), json_string("phishing"));
}
static void m_tlp_case(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "tlp", json_string("AMBER"));
}
static void m_ind_looser(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)b;
    json_object_set_new(i, "tlp", json_string("clear"));
}
static void m_missing(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_del(b, "modified");
}
static void m_kind(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_object_set_new(e, "kind", json_string("evnt"));
}
static void m_sig_short(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_object_set_new(e, "signature", json_string("AAAA"));
}
static void m_body_array(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_object_set_new(e, "body", json_array());
}
static void m_env_extra(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_object_set_new(e, "comment", json_string("hi"));
}
static void m_sg_missing(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "distribution", json_string("sharing_group"));
    json_object_set_new(b, "sharing_group_id", json_string(SG_ID));
}
static void m_recipient_dupe(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_array_append_new(json_object_get(b, "recipient_orgs"), json_string(ORG2));
}
static void m_indicators_obj(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "indicators", json_object());
}
static void m_ind_string(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_array_append_new(json_object_get(b, "indicators"), json_string("x"));
}
static void m_time_range(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "published_at", json_integer(-1));
}
static void m_signer_upper(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_t *s = json_object_get(e, "signer");
    char pk[65];
    snprintf(pk, sizeof pk, "%s", json_string_value(json_object_get(s, "public_key")));
    for (char *p = pk; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    json_object_set_new(s, "public_key", json_string(pk));
}

static void m_ind_twice(json_t *e, json_t *b, json_t *i)
{
    (void)e;
    json_array_append_new(json_object_get(b, "indicators"), json_deep_copy(i));
}
static void m_sg_extra(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "sharing_group", json_object());
}
static void m_signer_org(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_object_set_new(json_object_get(e, "signer"), "org", json_string(ORG3));
}
static void m_signer_fp(json_t *e, json_t *b, json_t *i)
{
    (void)b, (void)i;
    json_object_set_new(json_object_get(e, "signer"), "fingerprint",
                        json_string("0123456789abcdef0123456789abcdef"));
}
static void m_threat_zero(json_t *e, json_t *b, json_t *i)
{
    (void)e, (void)i;
    json_object_set_new(b, "threat_level", json_integer(0));
}

static void test_malformed(void **state)
{
    (void)state;
    /* the same indicator twice: the manifest is a set */
    open_mutated(m_ind_twice, KZ_E_INVALID, "event " EV_ID ": indicator " IND_A " appears twice");
    open_mutated(m_sg_extra, KZ_E_INVALID,
                 "'sharing_group' is only allowed with distribution sharing_group");
    /* the signer block is signed: its org cannot be swapped */
    open_mutated(m_signer_org, KZ_E_UNAUTH, "event " EV_ID ": signature does not verify");
    open_mutated(m_signer_fp, KZ_E_INVALID, "is not the fingerprint of the public key");
    open_mutated(m_threat_zero, KZ_E_INVALID, "'threat_level' is 0, outside 1..4");
    open_mutated(m_unknown, KZ_E_INVALID, "event " EV_ID ": unknown field 'extra'");
    open_mutated(m_title_int, KZ_E_INVALID,
                 "event " EV_ID ": 'title' must be a string, got an integer");
    open_mutated(m_title_utf8, KZ_E_INVALID, "'title' is not valid UTF-8 text");
    open_mutated(m_title_nul, KZ_E_INVALID, "'title' is not valid UTF-8 text (or holds a NUL");
    open_mutated(m_title_long, KZ_E_INVALID, "'title' is too long: 1025 bytes, at most 1024");
    open_mutated(m_created_real, KZ_E_INVALID, "'created' must be an integer, got a real number");
    open_mutated(m_id_upper, KZ_E_INVALID,
                 "'id' must be a lowercase UUID, got '1B000000-0000-4000-8000-0000000000E1'");
    open_mutated(m_value_not_normal, KZ_E_INVALID,
                 "indicator " IND_A ": 'value' 'EVIL.example.com' is not in normal form (a "
                 "domain normalises to 'evil.example.com')");
    open_mutated(m_value_invalid, KZ_E_INVALID, "indicator " IND_A ": 'value' '300.1.2.3'");
    open_mutated(m_ind_event, KZ_E_INVALID,
                 "indicator " IND_A ": 'event_id' is " ORG3 ", not the enclosing event");
    open_mutated(m_tag_space, KZ_E_INVALID, "indicator " IND_A ": 'tags' entry 1 ' c3' is not a "
                                            "normal tag");
    open_mutated(m_tag_dupe, KZ_E_INVALID, "event " EV_ID ": 'tags' lists 'phishing' twice");
    open_mutated(m_tlp_case, KZ_E_INVALID, "'tlp' must be one of clear, green, amber, "
                                           "amber+strict, red, got 'AMBER'");
    open_mutated(m_ind_looser, KZ_E_INVALID, "indicator " IND_A ": 'tlp' indicator tlp 'clear' "
                                             "is looser");
    open_mutated(m_missing, KZ_E_INVALID, "event " EV_ID ": 'modified' is missing");
    open_mutated(m_kind, KZ_E_INVALID, "'kind' must be one of event, sighting, deletion, org");
    open_mutated(m_sig_short, KZ_E_INVALID, "'signature' must be a base64 Ed25519 signature");
    open_mutated(m_body_array, KZ_E_INVALID, "'body' must be an object");
    open_mutated(m_env_extra, KZ_E_INVALID, "envelope (id not yet read): unknown field 'comment'");
    open_mutated(m_sg_missing, KZ_E_INVALID,
                 "'sharing_group' is required with distribution sharing_group");
    open_mutated(m_recipient_dupe, KZ_E_INVALID, "'recipient_orgs' lists '" ORG2 "' twice");
    open_mutated(m_indicators_obj, KZ_E_INVALID, "'indicators' must be an array");
    open_mutated(m_ind_string, KZ_E_INVALID, "indicator (id not yet read): must be a JSON object, "
                                             "got a string");
    open_mutated(m_time_range, KZ_E_INVALID, "'published_at' is -1, outside 0..");
    open_mutated(m_signer_upper, KZ_E_INVALID, "'public_key' must be 64 lowercase hex");

    /* an envelope that is not an object at all */
    kz_arena a;
    kz_arena_init(&a);
    kz_sync_object o;
    kz_err err = {0};
    json_t *s = json_string("event");
    expect_err(kz_sync_envelope_open(s, trust, NULL, &a, &o, &err), KZ_E_INVALID, &err,
               "envelope (id not yet read): must be a JSON object, got a string");
    json_decref(s);
    kz_arena_free(&a);
}

/* What is verified is the parsed object, not the bytes: the same envelope
 * spelt differently (\u escapes for every non-ASCII character, keys in
 * another order) still verifies, and yields the same object. */
static void test_spelling_independent(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_indicator ind[3];
    fixture_event(&a, &ev, ind);
    kz_node_identity id;
    make_id(&id, 1, ORG1);
    kz_err err = {0};
    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_event(&id, &ev, NULL, &env, &err), 0);
    char *ascii = json_dumps(env, JSON_COMPACT | JSON_ENSURE_ASCII);
    char *plain = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(ascii);
    assert_non_null(plain);
    assert_non_null(strstr(ascii, "\\u2014")); /* the title's em dash, escaped */
    assert_null(strstr(plain, "\\u2014"));
    const char *texts[] = {ascii, plain};
    for (int k = 0; k < 2; k++) {
        json_error_t je;
        json_t *j = json_loads(texts[k], JSON_REJECT_DUPLICATES, &je);
        assert_non_null(j);
        trust_ctx t = {ORG1, id.public_key, 0};
        kz_sync_object o;
        assert_int_equal(kz_sync_envelope_open(j, trust, &t, &a, &o, &err), 0);
        assert_string_equal(o.event.title, ev.title);
        assert_int_equal(o.event.n_indicators, 2);
        json_decref(j);
    }
    free(ascii);
    free(plain);
    json_decref(env);
    kz_arena_free(&a);
}

/* ---- batches ------------------------------------------------------------- */

static void make_batch(kz_sync_batch *b, const kz_node_identity *id, size_t nobj)
{
    memset(b, 0, sizeof *b);
    snprintf(b->from_node, sizeof b->from_node, "%s", id->node_id);
    b->cursor = 4242;
    b->more = true;
    b->objects = json_array();
    kz_err err = {0};
    for (size_t i = 0; i < nobj; i++) {
        kz_sighting s = {0};
        snprintf(s.id, sizeof s.id, "6b000000-0000-4000-8000-%012x", (unsigned)(i & 0xffff));
        strcpy(s.indicator_id, IND_A);
        strcpy(s.org_id, id->org_id);
        s.time = 1700000000000000 + (kz_time)i;
        s.count = 1;
        s.source = "sensor";
        json_t *env = NULL;
        assert_int_equal(kz_sync_envelope_sighting(id, &s, &env, &err), 0);
        json_array_append_new(b->objects, env);
    }
}

static void test_batch_round_trip(void **state)
{
    (void)state;
    kz_node_identity id;
    make_id(&id, 3, ORG1);
    kz_sync_batch b, got;
    make_batch(&b, &id, 50);
    kz_err err = {0};
    kz_buf plain, z;
    kz_buf_init(&plain);
    kz_buf_init(&z);
    assert_int_equal(kz_sync_batch_encode(&b, false, &plain, &err), 0);
    assert_int_equal(plain.p[0], '{');
    assert_int_equal(kz_sync_batch_encode(&b, true, &z, &err), 0);
    assert_int_equal((uint8_t)z.p[0], 0x78); /* zlib header */
    assert_true(z.len * 3 < plain.len);
    /* the compressed bytes inflate to exactly the plain encoding */
    uLongf dn = plain.len + 16;
    char *dec = malloc(dn);
    assert_int_equal(uncompress((Bytef *)dec, &dn, (const Bytef *)z.p, z.len), Z_OK);
    assert_int_equal(dn, plain.len);
    assert_memory_equal(dec, plain.p, plain.len);
    free(dec);

    for (int i = 0; i < 2; i++) {
        const kz_buf *src = i ? &z : &plain;
        assert_int_equal(kz_sync_batch_decode(src->p, src->len, 1 << 20, &got, &err), 0);
        assert_string_equal(got.from_node, id.node_id);
        assert_int_equal(got.cursor, 4242);
        assert_true(got.more);
        assert_true(json_equal(got.objects, b.objects));
        kz_sync_batch_clear(&got);
        assert_null(got.objects);
    }
    kz_buf_free(&plain);
    kz_buf_free(&z);
    kz_sync_batch_clear(&b);
}

static void test_batch_bomb_and_shape(void **state)
{
    (void)state;
    kz_err err = {0};
    kz_sync_batch got;
    /* 32 MiB of white space inside a valid batch compresses to ~32 KiB */
    size_t big = 32u << 20;
    char *doc = malloc(big + 256);
    int head = snprintf(doc, 256,
                        "{\"from_node\":\"" ORG1 "/0123456789abcdef0123456789abcdef\","
                        "\"cursor\":1,\"more\":false,\"objects\":[");
    memset(doc + head, ' ', big);
    memcpy(doc + head + big, "]}", 3);
    size_t dlen = head + big + 2;
    uLongf zn = compressBound(dlen);
    uint8_t *zb = malloc(zn);
    assert_int_equal(compress2(zb, &zn, (const Bytef *)doc, dlen, 9), Z_OK);
    assert_true(zn < 100000);
    expect_err(kz_sync_batch_decode(zb, zn, 1 << 20, &got, &err), KZ_E_TOOLARGE, &err,
               "batch inflates to more than 1048576 bytes");
    assert_null(got.objects);
    /* the cap is what refused it: with room, the same bytes decode */
    assert_int_equal(kz_sync_batch_decode(zb, zn, 64u << 20, &got, &err), 0);
    assert_int_equal(json_array_size(got.objects), 0);
    kz_sync_batch_clear(&got);
    /* truncated and corrupted zlib */
    expect_err(kz_sync_batch_decode(zb, zn / 2, 64u << 20, &got, &err), KZ_E_INVALID, &err,
               "compressed batch is truncated");
    zb[zn / 2] ^= 0xff;
    zb[zn / 2 + 1] ^= 0xff;
    int rc = kz_sync_batch_decode(zb, zn, 64u << 20, &got, &err);
    assert_int_equal(rc, KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "compressed batch"));
    free(zb);
    /* plain JSON over the cap */
    expect_err(kz_sync_batch_decode(doc, dlen, 1 << 20, &got, &err), KZ_E_TOOLARGE, &err,
               "more than the limit of 1048576");
    free(doc);

    struct {
        const char *doc, *frag;
    } bad[] = {
        {"not json", "batch is neither zlib data nor valid JSON"},
        {"[1,2]", "a batch must be a JSON object"},
        {"{\"from_node\":\"" ORG1 "/0123456789abcdef0123456789abcdef\",\"cursor\":1,\"more\":false}",
         "batch: field 'objects' is missing"},
        {"{\"from_node\":\"x\",\"cursor\":1,\"more\":false,\"objects\":[]}",
         "batch: 'from_node' must be a node id"},
        {"{\"from_node\":\"" ORG1 "/0123456789ABCDEF0123456789abcdef\",\"cursor\":1,\"more\":false,"
         "\"objects\":[]}",
         "batch: 'from_node' must be a node id"},
        {"{\"from_node\":\"" ORG1 "/0123456789abcdef0123456789abcdef\",\"cursor\":-1,"
         "\"more\":false,\"objects\":[]}",
         "batch: 'cursor' must be a non-negative integer"},
        {"{\"from_node\":\"" ORG1 "/0123456789abcdef0123456789abcdef\",\"cursor\":1,"
         "\"more\":\"no\",\"objects\":[]}",
         "batch: 'more' must be true or false"},
        {"{\"from_node\":\"" ORG1 "/0123456789abcdef0123456789abcdef\",\"cursor\":1,"
         "\"more\":false,\"objects\":[{},\"x\"]}",
         "batch: 'objects[1]' must be an envelope object"},
        {"{\"from_node\":\"" ORG1 "/0123456789abcdef0123456789abcdef\",\"cursor\":1,"
         "\"more\":false,\"objects\":[],\"sneaky\":1}",
         "batch: unknown field 'sneaky'"},
        {"{\"cursor\":1,\"cursor\":2}", "valid JSON"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++)
        expect_err(kz_sync_batch_decode(bad[i].doc, strlen(bad[i].doc), 1 << 20, &got, &err),
                   KZ_E_INVALID, &err, bad[i].frag);
}

/* ---- bundles ------------------------------------------------------------- */

typedef struct senders {
    const uint8_t *known;
} senders;

static bool known(void *ctx, const uint8_t pk[32])
{
    senders *s = ctx;
    return s->known && !memcmp(pk, s->known, 32);
}

static void test_bundle(void **state)
{
    (void)state;
    kz_node_identity alice, bob, carol;
    make_id(&alice, 11, ORG1);
    make_id(&bob, 12, ORG2);
    make_id(&carol, 13, ORG3);
    kz_sync_batch b, got;
    make_batch(&b, &alice, 5);
    kz_err err = {0};
    kz_buf f;
    kz_buf_init(&f);
    assert_int_equal(kz_sync_bundle_seal(&alice, bob.public_key, &b, &f, &err), 0);
    assert_memory_equal(f.p, "KZBUNDLE1\n", 10);
    /* the batch travels encrypted: its text is not in the file */
    assert_null(memmem(f.p, f.len, "from_node", 9));

    senders s = {alice.public_key};
    uint8_t pk[32];
    assert_int_equal(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, 1 << 20, &got, pk, &err), 0);
    assert_memory_equal(pk, alice.public_key, 32);
    assert_string_equal(got.from_node, alice.node_id);
    assert_int_equal(got.cursor, 4242);
    assert_true(json_equal(got.objects, b.objects));
    kz_sync_batch_clear(&got);

    /* only the addressee can open it */
    senders sc = {alice.public_key};
    expect_err(kz_sync_bundle_open(&carol, f.p, f.len, known, &sc, 1 << 20, &got, pk, &err),
               KZ_E_UNAUTH, &err, "not addressed to this node");
    assert_null(got.objects);
    /* a sender the recipient does not know */
    senders none = {carol.public_key};
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len, known, &none, 1 << 20, &got, pk, &err),
               KZ_E_UNAUTH, &err, "which is not a known peer");
    assert_non_null(strstr(err.msg, alice.fingerprint));
    /* truncation, damage, magic */
    expect_err(kz_sync_bundle_open(&bob, f.p, 30, known, &s, 1 << 20, &got, pk, &err),
               KZ_E_INVALID, &err, "bundle is truncated");
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len - 1, known, &s, 1 << 20, &got, pk, &err),
               KZ_E_UNAUTH, &err, "or it was damaged in transit");
    f.p[f.len / 2] ^= 1;
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, 1 << 20, &got, pk, &err),
               KZ_E_UNAUTH, &err, "damaged in transit");
    f.p[f.len / 2] ^= 1;
    f.p[3] = 'X';
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, 1 << 20, &got, pk, &err),
               KZ_E_INVALID, &err, "not a kizuna bundle");
    f.p[3] = 'U';
    /* the inflated cap applies inside the bundle too: a limit one byte
     * short of the batch's JSON */
    kz_buf plain_b;
    kz_buf_init(&plain_b);
    assert_int_equal(kz_sync_batch_encode(&b, false, &plain_b, &err), 0);
    assert_true(f.len < plain_b.len); /* so the file's size alone passes */
    char want_cap[80];
    snprintf(want_cap, sizeof want_cap, "inflates to more than %zu bytes", plain_b.len - 1);
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, plain_b.len - 1, &got, pk, &err),
               KZ_E_TOOLARGE, &err, want_cap);
    assert_null(got.objects);
    assert_int_equal(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, plain_b.len, &got, pk, &err),
                     0);
    kz_sync_batch_clear(&got);
    kz_buf_free(&plain_b);
    /* a file far larger than any batch within the limit is refused before
     * it is decrypted */
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, 64, &got, pk, &err),
               KZ_E_TOOLARGE, &err, "too large for the limit of 64 inflated bytes");

    /* A well-sealed bundle whose signature is wrong: signed by alice for
     * carol, then re-sealed to bob (what a malicious carol could do). */
    kz_buf z, m;
    kz_buf_init(&z);
    kz_buf_init(&m);
    assert_int_equal(kz_sync_batch_encode(&b, true, &z, &err), 0);
    kz_buf_puts(&m, "kizuna-bundle-v1\n");
    kz_buf_append(&m, carol.public_key, 32);
    kz_buf_append(&m, z.p, z.len);
    size_t plen = 96 + z.len;
    uint8_t *plain = malloc(plen);
    memcpy(plain, alice.public_key, 32);
    crypto_sign_detached(plain + 32, NULL, (const uint8_t *)m.p, m.len, alice.secret_key);
    memcpy(plain + 96, z.p, z.len);
    uint8_t xpk[32];
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, bob.public_key), 0);
    size_t flen = 10 + plen + crypto_box_SEALBYTES;
    uint8_t *forged = malloc(flen);
    memcpy(forged, "KZBUNDLE1\n", 10);
    crypto_box_seal(forged + 10, plain, plen, xpk);
    expect_err(kz_sync_bundle_open(&bob, forged, flen, known, &s, 1 << 20, &got, pk, &err),
               KZ_E_UNAUTH, &err, "does not verify");
    /* control: the same construction addressed to bob is accepted */
    kz_buf_reset(&m);
    kz_buf_puts(&m, "kizuna-bundle-v1\n");
    kz_buf_append(&m, bob.public_key, 32);
    kz_buf_append(&m, z.p, z.len);
    crypto_sign_detached(plain + 32, NULL, (const uint8_t *)m.p, m.len, alice.secret_key);
    crypto_box_seal(forged + 10, plain, plen, xpk);
    assert_int_equal(kz_sync_bundle_open(&bob, forged, flen, known, &s, 1 << 20, &got, pk, &err),
                     0);
    kz_sync_batch_clear(&got);
    /* a batch claiming another node than the signing key */
    kz_sync_batch lie;
    make_batch(&lie, &alice, 1);
    snprintf(lie.from_node, sizeof lie.from_node, "%s", carol.node_id);
    kz_buf_reset(&f);
    assert_int_equal(kz_sync_bundle_seal(&alice, bob.public_key, &lie, &f, &err), 0);
    expect_err(kz_sync_bundle_open(&bob, f.p, f.len, known, &s, 1 << 20, &got, pk, &err),
               KZ_E_UNAUTH, &err, "but was signed by key");
    kz_sync_batch_clear(&lie);

    free(plain);
    free(forged);
    kz_buf_free(&z);
    kz_buf_free(&m);
    kz_buf_free(&f);
    kz_sync_batch_clear(&b);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_derivation),
        cmocka_unit_test(test_key_parse_format),
        cmocka_unit_test(test_canon_indicator_literal),
        cmocka_unit_test(test_canon_event_literal),
        cmocka_unit_test(test_canon_sharing_group),
        cmocka_unit_test(test_canon_equals_jansson),
        cmocka_unit_test(test_event_round_trip),
        cmocka_unit_test(test_other_kinds_round_trip),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_untrusted_signer),
        cmocka_unit_test(test_manifest_mismatch),
        cmocka_unit_test(test_domain_separation),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_spelling_independent),
        cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_batch_bomb_and_shape),
        cmocka_unit_test(test_bundle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
