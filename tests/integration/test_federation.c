/* test_federation.c — three real nodes federating on loopback (issue 5):
 * a hub run by one CERT, a JPCERT-like node and a ThaiCERT-like node, in a
 * star (JP and TH only peer with the hub, so whatever JP makes reaches TH
 * only as the hub relays JP's own signed envelopes). A fourth node is an
 * offline partner reached by bundles.
 *
 * Arrival is checked in each node's database (opened read-only beside the
 * running server), not through its API: the question is what crossed the
 * border, not what a given user there may read.
 *
 * Cast: orgs HUB, JP, TH (each the operator org of its node). On the hub,
 * community "c-jp" holds HUB and JP, sharing group "sg-th" holds HUB and TH.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kz_fed.h"
#include "store/store.h"
#include "sync/sync.h"

static kz_node HUB, JP, TH, OFF;
static char HUB_PK[65], JP_PK[65], TH_PK[65], OFF_PK[65];
static char JP_AT_HUB[64], TH_AT_HUB[64], HUB_AT_JP[64], HUB_AT_TH[64]; /* sync keys */

/* the matrix, created on the hub */
static char E_CLEAR_ALL[40], E_GREEN_COMM[40], E_GREEN_CONN[40], E_AMBER_JP[40],
    E_AMBER_STRICT[40], E_RED[40], E_ORG[40], E_SG_TH[40], E_UNPUB[40], E_IND_RED[40],
    E_TAMPER[40];
static char E_JP[40]; /* created on JP */
static char SG_TH[40];

/* ---- helpers ------------------------------------------------------------ */

/* A sync user of org_id on n, and its key written to a file for set-key. */
static void sync_key(kz_node *n, const char *org_id, const char *email, char key[64])
{
    char uid[40];
    kz_make_user(n, n->admin_key, org_id, email, "sync", uid, key);
}

static void make_event(kz_node *n, const char *body, bool publish, char id[40])
{
    kz_resp r = kz_post(n, "/api/v1/events", n->admin_key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    if (publish) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/events/%s/publish", id);
        kz_http(n, "POST", path, n->admin_key, NULL, NULL, 0, &r);
        KZ_EXPECT(r, 200);
        kz_resp_free(&r);
    }
}

/* The event as stored on n (with indicators), or KZ_E_NOTFOUND. */
static int stored(kz_node *n, const char *id, kz_arena *a, kz_event *ev)
{
    kz_store *st = NULL;
    kz_err err = {0};
    if (kz_store_open(n->db, &st, &err) != 0) {
        fprintf(stderr, "open %s: %s\n", n->db, err.msg);
        return -1;
    }
    int rc = kz_store_event_get(st, id, true, a, ev, &err);
    kz_store_close(st);
    return rc;
}

static bool has_event(kz_node *n, const char *id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    bool yes = stored(n, id, &a, &ev) == 0;
    kz_arena_free(&a);
    return yes;
}

/* Waits until the event is (want) or is not (!want) on n; false on time-out. */
static bool wait_event(kz_node *n, const char *id, bool want, long timeout_ms)
{
    for (long t = 0; t < timeout_ms; t += 50) {
        if (has_event(n, id) == want)
            return true;
        kz_sleep_ms(50);
    }
    return has_event(n, id) == want;
}

static size_t indicators_on(kz_node *n, const char *id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    size_t k = stored(n, id, &a, &ev) == 0 ? ev.n_indicators : (size_t)-1;
    kz_arena_free(&a);
    return k;
}

/* ---- set-up: three nodes, peered in a star -------------------------------- */

static int setup(void **state)
{
    (void)state;
    setenv("KIZUNA_SYNC_PAGE", "400", 1); /* small pages: runs span many of them */
    if (kz_node_init(&HUB, "CERT-HUB", "SG") || kz_node_start(&HUB, NULL) ||
        kz_node_init(&JP, "JPCERT-like", "JP") || kz_node_start(&JP, NULL) ||
        kz_node_init(&TH, "ThaiCERT-like", "TH") || kz_node_start(&TH, NULL) ||
        kz_node_init(&OFF, "Offline-CERT", "VN") || kz_node_start(&OFF, NULL))
        return -1;
    kz_fed_node_key(&HUB, HUB_PK, NULL, 0);
    kz_fed_node_key(&JP, JP_PK, NULL, 0);
    kz_fed_node_key(&TH, TH_PK, NULL, 0);
    kz_fed_node_key(&OFF, OFF_PK, NULL, 0);
    kz_fed_peer_add(&HUB, "jp", &JP, JP_PK);
    kz_fed_peer_add(&HUB, "th", &TH, TH_PK);
    kz_fed_peer_add(&JP, "hub", &HUB, HUB_PK);
    kz_fed_peer_add(&TH, "hub", &HUB, HUB_PK);
    /* The hub relays JP's and TH's events to each other, so both mark it a
     * relay: without that they would trust no key but the hub's own. */
    if (KZ_CLI(&JP, NULL, 0, "peer", "set", "hub", "--relay", "on") != 0 ||
        KZ_CLI(&TH, NULL, 0, "peer", "set", "hub", "--relay", "on") != 0)
        return -1;
    sync_key(&HUB, JP.admin_org, "sync-jp@hub", JP_AT_HUB);
    sync_key(&HUB, TH.admin_org, "sync-th@hub", TH_AT_HUB);
    sync_key(&JP, HUB.admin_org, "sync-hub@jp", HUB_AT_JP);
    sync_key(&TH, HUB.admin_org, "sync-hub@th", HUB_AT_TH);
    kz_fed_set_key(&HUB, "jp", HUB_AT_JP);
    kz_fed_set_key(&HUB, "th", HUB_AT_TH);
    kz_fed_set_key(&JP, "hub", JP_AT_HUB);
    kz_fed_set_key(&TH, "hub", TH_AT_HUB);

    char body[512];
    snprintf(body, sizeof body, "{\"name\":\"c-jp\",\"member_orgs\":[\"%s\",\"%s\"]}",
             HUB.admin_org, JP.admin_org);
    kz_resp r = kz_post(&HUB, "/api/v1/communities", HUB.admin_key, body);
    if (r.status != 201)
        return -1;
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"name\":\"sg-th\",\"member_orgs\":[\"%s\",\"%s\"]}",
             HUB.admin_org, TH.admin_org);
    r = kz_post(&HUB, "/api/v1/sharing-groups", HUB.admin_key, body);
    if (r.status != 201)
        return -1;
    snprintf(SG_TH, sizeof SG_TH, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kz_node *all[] = {&HUB, &JP, &TH, &OFF};
    int bad = 0;
    for (size_t i = 0; i < 4; i++) {
        if (all[i]->pid > 0 && kz_node_stop(all[i]) != 0)
            bad = 1;
        kz_node_free(all[i]);
    }
    return bad ? -1 : 0;
}

#define IND2 "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"203.0.113.%d\"},{\"type\":\"domain\"," \
             "\"value\":\"m%d.evil.example\"}]"

static void ev_json(char *out, size_t n, const char *title, const char *tlp, const char *dist,
                    const char *extra, int k)
{
    char inds[256];
    snprintf(inds, sizeof inds, IND2, k, k);
    snprintf(out, n, "{\"title\":\"%s\",\"tlp\":\"%s\",\"distribution\":\"%s\"%s%s,%s}", title,
             tlp, dist, extra ? "," : "", extra ? extra : "", inds);
}

/* ---- what travels where ----------------------------------------------------- */

static void test_matrix(void **state)
{
    (void)state;
    char b[1024], extra[256];
    /* Those that must stay home first: once the last one that travels has
     * arrived, every earlier change has been decided for each peer. */
    ev_json(b, sizeof b, "amber strict", "amber+strict", "all", NULL, 1);
    make_event(&HUB, b, true, E_AMBER_STRICT);
    ev_json(b, sizeof b, "red", "red", "all", NULL, 2);
    make_event(&HUB, b, true, E_RED);
    ev_json(b, sizeof b, "org only", "clear", "org", NULL, 3);
    make_event(&HUB, b, true, E_ORG);
    ev_json(b, sizeof b, "unpublished", "clear", "all", NULL, 4);
    make_event(&HUB, b, false, E_UNPUB);
    ev_json(b, sizeof b, "green community", "green", "community", NULL, 5);
    make_event(&HUB, b, true, E_GREEN_COMM);
    ev_json(b, sizeof b, "green connected", "green", "connected", NULL, 6);
    make_event(&HUB, b, true, E_GREEN_CONN);
    snprintf(extra, sizeof extra, "\"recipient_orgs\":[\"%s\"]", JP.admin_org);
    ev_json(b, sizeof b, "amber for jp", "amber", "all", extra, 7);
    make_event(&HUB, b, true, E_AMBER_JP);
    snprintf(extra, sizeof extra, "\"sharing_group_id\":\"%s\"", SG_TH);
    ev_json(b, sizeof b, "group th", "clear", "sharing_group", extra, 8);
    make_event(&HUB, b, true, E_SG_TH);
    snprintf(b, sizeof b,
             "{\"title\":\"one red indicator\",\"tlp\":\"clear\",\"distribution\":\"all\","
             "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"198.51.100.1\"},"
             "{\"type\":\"ipv4\",\"value\":\"198.51.100.2\",\"tlp\":\"red\"}]}");
    make_event(&HUB, b, true, E_IND_RED);
    ev_json(b, sizeof b, "clear all", "clear", "all", NULL, 9);
    make_event(&HUB, b, true, E_CLEAR_ALL);

    assert_true(wait_event(&JP, E_CLEAR_ALL, true, 15000));
    assert_true(wait_event(&TH, E_CLEAR_ALL, true, 15000));
    /* and a pull from each side, so nothing is merely in flight */
    assert_int_equal(KZ_CLI(&JP, NULL, 0, "sync", "now", "hub"), 0);
    assert_int_equal(KZ_CLI(&TH, NULL, 0, "sync", "now", "hub"), 0);

    struct {
        const char *id, *what;
        bool jp, th;
    } m[] = {
        {E_CLEAR_ALL, "clear/all", true, true},
        {E_GREEN_COMM, "green/community (JP shares c-jp)", true, false},
        {E_GREEN_CONN, "green/connected (JP shares c-jp)", true, false},
        {E_AMBER_JP, "amber to JP", true, false},
        {E_SG_TH, "sharing group HUB+TH", false, true},
        {E_IND_RED, "clear/all with a red indicator", true, true},
        {E_AMBER_STRICT, "amber+strict", false, false},
        {E_RED, "red", false, false},
        {E_ORG, "distribution org", false, false},
        {E_UNPUB, "unpublished", false, false},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(m); i++) {
        if (has_event(&JP, m[i].id) != m[i].jp || has_event(&TH, m[i].id) != m[i].th)
            fail_msg("%s: on JP %d (want %d), on TH %d (want %d)", m[i].what,
                     has_event(&JP, m[i].id), m[i].jp, has_event(&TH, m[i].id), m[i].th);
    }

    /* Same ids, creator, times and indicator ids as on the creator. */
    kz_arena a;
    kz_arena_init(&a);
    kz_event h, j;
    assert_int_equal(stored(&HUB, E_CLEAR_ALL, &a, &h), 0);
    assert_int_equal(stored(&JP, E_CLEAR_ALL, &a, &j), 0);
    assert_string_equal(j.creator_org, HUB.admin_org);
    assert_string_equal(j.title, "clear all");
    assert_true(j.created == h.created && j.modified == h.modified &&
                j.published_at == h.published_at);
    assert_int_equal(j.n_indicators, 2);
    for (size_t i = 0; i < 2; i++) {
        bool found = false;
        for (size_t k = 0; k < 2; k++)
            found |= strcmp(h.indicators[i].id, j.indicators[k].id) == 0 &&
                     strcmp(h.indicators[i].value, j.indicators[k].value) == 0 &&
                     h.indicators[i].created == j.indicators[k].created;
        assert_true(found);
    }
    /* connected is downgraded to community on arrival */
    assert_int_equal(stored(&JP, E_GREEN_CONN, &a, &j), 0);
    assert_int_equal(j.distribution, KZ_DIST_COMMUNITY);
    /* the sharing group travelled with its event */
    assert_int_equal(stored(&TH, E_SG_TH, &a, &j), 0);
    assert_int_equal(j.distribution, KZ_DIST_SHARING_GROUP);
    assert_string_equal(j.sharing_group_id, SG_TH);
    /* a red indicator never leaves, its clear sibling does */
    assert_int_equal(indicators_on(&JP, E_IND_RED), 1);
    assert_int_equal(indicators_on(&TH, E_IND_RED), 1);
    assert_int_equal(stored(&TH, E_IND_RED, &a, &j), 0);
    assert_string_equal(j.indicators[0].value, "198.51.100.1");
    kz_arena_free(&a);
}

/* JP's event reaches TH only through the hub, still signed by JP. */
static void test_relay(void **state)
{
    (void)state;
    char b[512];
    ev_json(b, sizeof b, "from jp", "clear", "all", NULL, 20);
    make_event(&JP, b, true, E_JP);
    assert_true(wait_event(&HUB, E_JP, true, 15000));
    assert_true(wait_event(&TH, E_JP, true, 15000));
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    assert_int_equal(stored(&TH, E_JP, &a, &ev), 0);
    assert_string_equal(ev.creator_org, JP.admin_org);
    assert_int_equal(ev.n_indicators, 2);
    kz_arena_free(&a);
    /* JP's org record came along (relayed), so TH knows the creator. */
    kz_resp r = kz_getf(&TH, TH.admin_key, "/api/v1/orgs/%s", JP.admin_org);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "name"), "JPCERT-like");
    kz_resp_free(&r);
}

/* ---- refusing tampered data, replays --------------------------------------- */

/* The hub's page for JP, as JP would pull it. */
static json_t *hub_page_for_jp(void)
{
    kz_resp r = kz_get(&HUB, "/api/v1/sync/changes?cursor=0&limit=200000", JP_AT_HUB);
    KZ_EXPECT(r, 200);
    assert_non_null(r.json);
    json_t *b = json_incref(r.json);
    kz_resp_free(&r);
    return b;
}

static json_t *find_env(json_t *batch, const char *kind, const char *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(batch, "objects"), i, e) {
        json_t *body = json_object_get(e, "body");
        if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(body, "id")), id) == 0)
            return e;
    }
    return NULL;
}

static kz_resp push_to_jp(json_t *batch)
{
    char *text = json_dumps(batch, JSON_COMPACT);
    kz_resp r = kz_post(&JP, "/api/v1/sync/push", HUB_AT_JP, text);
    free(text);
    return r;
}

static void test_tampered_refused(void **state)
{
    (void)state;
    /* A change JP has not seen yet, so a refused batch visibly stores
     * nothing: the hub stops pushing to JP (JP may still pull). */
    char b[512];
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "set", "jp", "--direction", "pull"), 0);
    ev_json(b, sizeof b, "to be tampered", "clear", "all", NULL, 30);
    make_event(&HUB, b, true, E_TAMPER);
    json_t *batch = hub_page_for_jp();
    json_t *env = find_env(batch, "event", E_TAMPER);
    assert_non_null(env);
    /* one flipped byte in the signed title */
    json_object_set_new(json_object_get(env, "body"), "title", json_string("to be tampereD"));
    kz_resp r = push_to_jp(batch);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "*");
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), E_TAMPER));
    kz_resp_free(&r);
    assert_false(has_event(&JP, E_TAMPER));
    /* unsigned */
    json_object_set_new(json_object_get(env, "body"), "title", json_string("to be tampered"));
    json_object_del(env, "signature");
    r = push_to_jp(batch);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "*");
    kz_resp_free(&r);
    assert_false(has_event(&JP, E_TAMPER));
    /* signed by someone else's key: JP's own node key claiming the hub's org */
    json_t *signer = json_object_get(env, "signer");
    json_object_set_new(signer, "public_key", json_string(JP_PK));
    json_object_set_new(env, "signature",
                        json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="));
    r = push_to_jp(batch);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "*");
    kz_resp_free(&r);
    assert_false(has_event(&JP, E_TAMPER));
    json_decref(batch);
    /* the real thing goes through */
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "set", "jp", "--direction", "both"), 0);
    assert_true(wait_event(&JP, E_TAMPER, true, 15000));
}

static void test_replay_changes_nothing(void **state)
{
    (void)state;
    json_t *batch = hub_page_for_jp();
    size_t n = json_array_size(json_object_get(batch, "objects"));
    assert_true(n >= 5);
    for (int round = 0; round < 2; round++) {
        kz_resp r = push_to_jp(batch);
        KZ_EXPECT(r, 200);
        json_t *ap = kz_resp_get(&r, "applied");
        assert_int_equal(json_integer_value(json_object_get(ap, "events")), 0);
        assert_int_equal(json_integer_value(json_object_get(ap, "indicators")), 0);
        assert_int_equal(json_integer_value(json_object_get(ap, "deletions")), 0);
        assert_int_equal(json_integer_value(json_object_get(ap, "unchanged")), (json_int_t)n);
        kz_resp_free(&r);
    }
    json_decref(batch);
    kz_arena a;
    kz_arena_init(&a);
    kz_event h, j;
    assert_int_equal(stored(&HUB, E_CLEAR_ALL, &a, &h), 0);
    assert_int_equal(stored(&JP, E_CLEAR_ALL, &a, &j), 0);
    assert_true(h.modified == j.modified);
    kz_arena_free(&a);
}

/* Only the creator's node changes its objects: the hub cannot relay a
 * changed copy of JP's event under its own signature. */
static void test_only_creator_changes(void **state)
{
    (void)state;
    kz_resp r = kz_get(&JP, "/api/v1/sync/changes?cursor=0&limit=200000", HUB_AT_JP);
    KZ_EXPECT(r, 200);
    json_t *batch = json_incref(r.json);
    kz_resp_free(&r);
    /* JP's page holds the hub's event E_CLEAR_ALL? No: never echoed back. */
    assert_null(find_env(batch, "event", E_CLEAR_ALL));
    assert_non_null(find_env(batch, "event", E_JP));
    json_decref(batch);
}

/* ---- proposals ------------------------------------------------------------- */

/* JP proposes an indicator on the hub's event over REST; the proposal is
 * pushed to the hub, the hub's org accepts it there, and the changed event
 * comes back to JP as the hub's own. */
static void test_proposals(void **state)
{
    (void)state;
    char path[200];
    snprintf(path, sizeof path, "/api/v1/events/%s/proposals", E_CLEAR_ALL);
    const char *body = "{\"action\":\"add\",\"type\":\"domain\",\"value\":\"Prop.Evil.example\"}";
    kz_resp r = kz_post(&HUB, path, HUB.admin_key, body);
    KZ_EXPECT(r, 409); /* the creator edits its event */
    kz_resp_free(&r);
    r = kz_post(&JP, path, JP.admin_key, "{\"action\":\"rename\"}");
    KZ_EXPECT(r, 422);
    kz_resp_free(&r);
    r = kz_post(&JP, path, JP.admin_key, "{\"action\":\"add\",\"value\":\"x\",\"extra\":1}");
    KZ_EXPECT(r, 400);
    kz_resp_free(&r);
    size_t before = indicators_on(&JP, E_CLEAR_ALL);
    r = kz_post(&JP, path, JP.admin_key, body);
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "value"), "prop.evil.example");
    assert_string_equal(kz_resp_str(&r, "status"), "open");
    assert_string_equal(kz_resp_str(&r, "org_id"), JP.admin_org);
    char pid[40];
    snprintf(pid, sizeof pid, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    /* pushed to the hub, where its creator org sees it */
    size_t n = 0;
    for (int t = 0; t < 300 && n == 0; t++) {
        r = kz_get(&HUB, path, HUB.admin_key);
        KZ_EXPECT(r, 200);
        n = json_array_size(json_object_get(r.json, "proposals"));
        kz_resp_free(&r);
        if (!n)
            kz_sleep_ms(50);
    }
    assert_int_equal(n, 1);
    char act[300];
    snprintf(act, sizeof act, "%s/%s/accept", path, pid);
    r = kz_post(&JP, act, JP.admin_key, NULL);
    KZ_EXPECT(r, 403); /* not JP's event */
    kz_resp_free(&r);
    r = kz_post(&HUB, act, HUB.admin_key, NULL);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "status"), "accepted");
    kz_resp_free(&r);
    r = kz_post(&HUB, act, HUB.admin_key, NULL);
    KZ_EXPECT(r, 409); /* decided already */
    kz_resp_free(&r);
    /* the hub's changed event reaches JP */
    size_t after = before;
    for (int t = 0; t < 300 && after == before; t++) {
        after = indicators_on(&JP, E_CLEAR_ALL);
        if (after == before)
            kz_sleep_ms(50);
    }
    assert_int_equal(after, before + 1);
}

/* ---- deletions ------------------------------------------------------------- */

static void test_deletions_travel(void **state)
{
    (void)state;
    /* an indicator deleted on the creator leaves every copy */
    kz_arena a;
    kz_arena_init(&a);
    kz_event h;
    assert_int_equal(stored(&HUB, E_GREEN_COMM, &a, &h), 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/indicators/%s", h.indicators[0].id);
    kz_resp r = kz_delete(&HUB, path, HUB.admin_key);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    for (int t = 0; t < 300 && indicators_on(&JP, E_GREEN_COMM) != 1; t++)
        kz_sleep_ms(50);
    assert_int_equal(indicators_on(&JP, E_GREEN_COMM), 1);
    kz_arena_free(&a);

    /* an event deleted on the creator leaves every node that had it */
    snprintf(path, sizeof path, "/api/v1/events/%s", E_CLEAR_ALL);
    r = kz_delete(&HUB, path, HUB.admin_key);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    assert_true(wait_event(&JP, E_CLEAR_ALL, false, 15000));
    assert_true(wait_event(&TH, E_CLEAR_ALL, false, 15000));

    /* JP deletes its own: the hub relays JP's signed deletion to TH */
    snprintf(path, sizeof path, "/api/v1/events/%s", E_JP);
    r = kz_delete(&JP, path, JP.admin_key);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    assert_true(wait_event(&HUB, E_JP, false, 15000));
    assert_true(wait_event(&TH, E_JP, false, 15000));

    /* a local event that stops passing the ACL is revoked where it went */
    r = kz_patch(&HUB, (snprintf(path, sizeof path, "/api/v1/events/%s", E_AMBER_JP), path),
                 HUB.admin_key, "{\"tlp\":\"amber+strict\"}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    assert_true(wait_event(&JP, E_AMBER_JP, false, 15000));
}

/* ---- a peer killed during a sync ------------------------------------------- */

static void test_sigkill_resumes(void **state)
{
    (void)state;
    enum { N_EV = 12, N_IND = 300 };
    static char ids[N_EV][40];
    kz_buf b;
    kz_buf_init(&b);
    for (int e = 0; e < N_EV; e++) {
        kz_buf_reset(&b);
        kz_buf_printf(&b, "{\"title\":\"bulk %d\",\"tlp\":\"clear\",\"distribution\":\"all\","
                          "\"indicators\":[", e);
        for (int i = 0; i < N_IND; i++)
            kz_buf_printf(&b, "%s{\"type\":\"ipv4\",\"value\":\"10.%d.%d.%d\"}", i ? "," : "",
                          e, i / 250, i % 250 + 1);
        kz_buf_puts(&b, "]}");
        make_event(&HUB, b.p, false, ids[e]);
    }
    kz_buf_free(&b);
    for (int e = 0; e < N_EV; e++) {
        char path[640];
        snprintf(path, sizeof path, "/api/v1/events/%s/publish", ids[e]);
        kz_resp r;
        kz_http(&HUB, "POST", path, HUB.admin_key, NULL, NULL, 0, &r);
        KZ_EXPECT(r, 200);
        kz_resp_free(&r);
    }
    /* kill TH as soon as the first page has landed */
    bool some = false;
    for (int t = 0; t < 400 && !some; t++) {
        for (int e = 0; e < N_EV && !some; e++)
            some = has_event(&TH, ids[e]);
        if (!some)
            kz_sleep_ms(10);
    }
    assert_true(some);
    kz_node_signal(&TH, SIGKILL);
    (void)kz_node_stop(&TH); /* reaps it; the exit status is the kill */
    size_t got = 0;
    for (int e = 0; e < N_EV; e++)
        got += has_event(&TH, ids[e]);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", TH.port);
    const char *extra[] = {"--listen", listen, NULL};
    assert_int_equal(kz_node_start(&TH, extra), 0);
    for (int e = 0; e < N_EV; e++)
        assert_true(wait_event(&TH, ids[e], true, 60000));
    for (int e = 0; e < N_EV; e++)
        assert_int_equal(indicators_on(&TH, ids[e]), N_IND);
    fprintf(stderr, "sigkill: %zu of %d events were on TH when it was killed\n", got, N_EV);
}

/* The same for a pull: `kizuna sync now` killed mid-run, then run again. */
static void test_sigkill_pull_resumes(void **state)
{
    (void)state;
    enum { N_EV = 12, N_IND = 300 };
    static char ids[N_EV][40];
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "set", "th", "--direction", "pull"), 0);
    assert_int_equal(KZ_CLI(&TH, NULL, 0, "peer", "set", "hub", "--direction", "pull"), 0);
    kz_buf b;
    kz_buf_init(&b);
    for (int e = 0; e < N_EV; e++) {
        kz_buf_reset(&b);
        kz_buf_printf(&b, "{\"title\":\"pulled bulk %d\",\"tlp\":\"clear\",\"distribution\":\"all\","
                          "\"indicators\":[", e);
        for (int i = 0; i < N_IND; i++)
            kz_buf_printf(&b, "%s{\"type\":\"domain\",\"value\":\"p%d-%d.pull.example\"}",
                          i ? "," : "", e, i);
        kz_buf_puts(&b, "]}");
        make_event(&HUB, b.p, true, ids[e]);
    }
    kz_buf_free(&b);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execl(getenv("KIZUNA_BIN"), "kizuna", "sync", "now", "hub", "--pull", "--db", TH.db,
              (char *)NULL);
        _exit(127);
    }
    bool some = false;
    for (int t = 0; t < 2000 && !some; t++) {
        for (int e = 0; e < N_EV && !some; e++)
            some = has_event(&TH, ids[e]);
        if (!some)
            kz_sleep_ms(5);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    size_t got = 0;
    for (int e = 0; e < N_EV; e++)
        got += has_event(&TH, ids[e]);
    fprintf(stderr, "sigkill pull: %zu of %d events were on TH when the pull was killed%s\n", got,
            N_EV, WIFSIGNALED(status) ? "" : " (it had finished)");
    char out[1024];
    assert_int_equal(KZ_CLI(&TH, out, sizeof out, "sync", "now", "hub", "--pull"), 0);
    for (int e = 0; e < N_EV; e++)
        assert_int_equal(indicators_on(&TH, ids[e]), N_IND);
    /* the rerun applied only what the killed run had not: nothing twice */
    char want[64];
    snprintf(want, sizeof want, "applied %zu event(s)", (size_t)N_EV - got);
    if (!strstr(out, want))
        fail_msg("rerun: '%s', want '%s'", out, want);
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "set", "th", "--direction", "both"), 0);
    assert_int_equal(KZ_CLI(&TH, NULL, 0, "peer", "set", "hub", "--direction", "both"), 0);
}

/* ---- pull on a schedule ------------------------------------------------------ */

static void test_scheduled_pull(void **state)
{
    (void)state;
    /* The hub stops pushing to TH; TH pulls the hub every second instead. */
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "set", "th", "--direction", "pull"), 0);
    assert_int_equal(KZ_CLI(&TH, NULL, 0, "peer", "set", "hub", "--direction", "pull", "--interval", "1"),
                     0);
    char b[512], ev[40];
    ev_json(b, sizeof b, "pulled on schedule", "clear", "all", NULL, 50);
    make_event(&HUB, b, true, ev);
    assert_true(wait_event(&TH, ev, true, 15000));
    /* the cursor TH saved is where the hub's feed stands */
    char list[4096];
    assert_int_equal(KZ_CLI(&TH, list, sizeof list, "peer", "list", "--json"), 0);
    json_t *j = json_loads(list, 0, NULL);
    assert_non_null(j);
    assert_true(json_integer_value(json_object_get(json_array_get(j, 0), "pulled_cursor")) > 0);
    assert_true(json_is_null(json_object_get(json_array_get(j, 0), "last_error")) ||
                !json_object_get(json_array_get(j, 0), "last_error"));
    json_decref(j);
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "set", "th", "--direction", "both"), 0);
    assert_int_equal(KZ_CLI(&TH, NULL, 0, "peer", "set", "hub", "--direction", "both", "--interval", "0"),
                     0);
}

/* ---- offline bundles ------------------------------------------------------ */

static void test_bundle_round_trip(void **state)
{
    (void)state;
    char off_org_args[64], out[1024], file[600];
    snprintf(off_org_args, sizeof off_org_args, "%s", OFF.admin_org);
    const char *a1[] = {"peer", "add", "off", "offline", "--public-key", OFF_PK, "--org",
                        off_org_args, "--org-name", "Offline-CERT", "--country", "VN", "--db",
                        HUB.db, NULL};
    assert_int_equal(kz_node_run(a1, out, sizeof out), 0);
    const char *a2[] = {"peer", "add", "hub", "offline", "--public-key", HUB_PK, "--org",
                        HUB.admin_org, "--org-name", "CERT-HUB", "--country", "SG", "--db",
                        OFF.db, NULL};
    assert_int_equal(kz_node_run(a2, out, sizeof out), 0);
    char ev[40], b[512];
    ev_json(b, sizeof b, "for the offline partner", "clear", "all", NULL, 40);
    make_event(&HUB, b, true, ev);
    snprintf(file, sizeof file, "%s/for-off.kzb", HUB.dir);
    const char *ex[] = {"bundle", "export", "--for", "off", file, "--db", HUB.db, NULL};
    assert_int_equal(kz_node_run(ex, out, sizeof out), 0);
    assert_non_null(strstr(out, "next --since"));

    /* a flipped byte: refused, nothing stored */
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    static char bytes[1 << 22];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    assert_true(n > 100 && n < sizeof bytes);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.kzb", HUB.dir);
    bytes[n / 2] ^= 0x01;
    f = fopen(bad, "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
    const char *im_bad[] = {"bundle", "import", bad, "--db", OFF.db, NULL};
    assert_int_equal(kz_node_run(im_bad, out, sizeof out), 1);
    assert_false(has_event(&OFF, ev));

    const char *im[] = {"bundle", "import", file, "--db", OFF.db, NULL};
    assert_int_equal(kz_node_run(im, out, sizeof out), 0);
    assert_non_null(strstr(out, "from peer hub"));
    assert_true(has_event(&OFF, ev));
    assert_int_equal(indicators_on(&OFF, ev), 2);
    /* what OFF may not have did not come: the hub's amber+strict and red */
    assert_false(has_event(&OFF, E_RED));
    assert_false(has_event(&OFF, E_AMBER_STRICT));
    assert_false(has_event(&OFF, E_GREEN_COMM));
    /* importing it again changes nothing */
    assert_int_equal(kz_node_run(im, out, sizeof out), 0);
    assert_non_null(strstr(out, ": 0 event(s), 0 indicator(s)"));
    /* a bundle sealed for someone else does not open */
    const char *im_th[] = {"bundle", "import", file, "--db", TH.db, NULL};
    assert_int_equal(kz_node_run(im_th, out, sizeof out), 1);
}

/* ---- HTTPS between peers ------------------------------------------------------ */

/* A node served over TLS with a self-signed certificate for 127.0.0.1: a
 * peer accepts it only when told to trust that certificate. */
static void test_tls_peer(void **state)
{
    (void)state;
    kz_node T;
    memset(&T, 0, sizeof T);
    assert_int_equal(kz_node_init(&T, "TLS-CERT", "MY"), 0);
    char cmd[2048], cert[600], key[600];
    snprintf(cert, sizeof cert, "%s/cert.pem", T.dir);
    snprintf(key, sizeof key, "%s/key.pem", T.dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
             "-out %s -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             ">/dev/null 2>&1",
             key, cert);
    if (system(cmd) != 0) {
        kz_node_free(&T);
        skip(); /* no openssl to make a certificate with */
    }
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], STDOUT_FILENO);
        int errfd = open(T.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(errfd, STDERR_FILENO);
        close(pfd[0]);
        execl(getenv("KIZUNA_BIN"), "kizuna", "serve", "--db", T.db, "--listen", "127.0.0.1:0",
              "--tls-cert", cert, "--tls-key", key, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char line[256] = "";
    size_t n = 0;
    while (n + 1 < sizeof line && read(pfd[0], line + n, 1) == 1 && line[n] != '\n')
        n++;
    line[n] = '\0';
    const char *mark = "kizuna: listening on https://127.0.0.1:";
    if (strncmp(line, mark, strlen(mark)) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("TLS node did not start: '%s'", line);
    }
    char url[300];
    snprintf(url, sizeof url, "https://127.0.0.1:%s", line + strlen(mark));
    /* its key, read with curl's own trust of the certificate below */
    char tls_pk[65] = "";
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(T.db, &st, &err), 0);
    kz_node_identity id;
    assert_int_equal(kz_sync_identity_load(st, &id, &err), 0);
    kz_sync_key_format(id.public_key, tls_pk);
    kz_sync_identity_clear(&id);
    kz_store_close(st);

    char out[1024];
    /* the certificate is nobody's: refused */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "add", "tls", url, "--public-key", tls_pk),
                     1);
    /* trusted through KIZUNA_CA_FILE: added, its org fetched over HTTPS */
    setenv("KIZUNA_CA_FILE", cert, 1);
    int rc = KZ_CLI(&JP, out, sizeof out, "peer", "add", "tls", url, "--public-key", tls_pk);
    unsetenv("KIZUNA_CA_FILE");
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    close(pfd[0]);
    assert_int_equal(rc, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "remove", "tls"), 0);
    /* half a TLS configuration is refused */
    const char *half[] = {"serve", "--db", T.db, "--listen", "127.0.0.1:0", "--tls-cert", cert,
                          NULL};
    assert_int_equal(kz_node_run(half, out, sizeof out), 1);
    kz_node_free(&T);
}

/* ---- peers: bad input ------------------------------------------------------ */

/* The operator's word on keys: `node trust` records or replaces an org's
 * home key; `peer list` shows which peers are relays. */
static void test_node_trust(void **state)
{
    (void)state;
    char out[8192];
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "node", "trust", "not-a-uuid", TH_PK), 2);
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "node", "trust", TH.admin_org, "abcd"), 2);
    /* this node's own org: refused (the message goes to stderr) */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "node", "trust", JP.admin_org, TH_PK), 1);
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "node", "trust", TH.admin_org, TH_PK), 0);
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(JP.db, &st, &err), 0);
    uint8_t key[32], want[32];
    assert_int_equal(kz_sync_key_parse(TH_PK, want, &err), 0);
    assert_int_equal(kz_store_org_key_get(st, TH.admin_org, key, NULL, NULL, &err), 0);
    assert_memory_equal(key, want, 32);
    kz_store_close(st);
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "list", "--json"), 0);
    assert_non_null(strstr(out, "\"relay\": true"));
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "set", "hub", "--relay", "maybe"), 2);
}

static void test_peer_add_refuses(void **state)
{
    (void)state;
    char out[512];
    /* wrong key: the node answers another one */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "add", "th", TH.base, "--public-key", HUB_PK),
                     1);
    /* plain http to a non-loopback address */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "add", "x", "http://192.0.2.1:8080", "--public-key", TH_PK),
                     2);
    /* a node is not its own peer */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "add", "self", JP.base, "--public-key", JP_PK),
                     1);
    /* a name that only looks like loopback */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "add", "x", "http://127.evil.example:8080",
                         "--public-key", TH_PK),
                     2);
    /* a key that is not 64 hex characters */
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "add", "x", TH.base, "--public-key", "abcd"),
                     2);
    /* a non-sync key gets 403 on the feed */
    kz_resp r = kz_get(&HUB, "/api/v1/sync/changes?cursor=0", HUB.admin_key);
    KZ_EXPECT_ERR(r, 403, "forbidden", "*");
    kz_resp_free(&r);
    /* a paused peer is refused until resumed */
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "pause", "jp"), 0);
    r = kz_get(&HUB, "/api/v1/sync/changes?cursor=0&limit=1", JP_AT_HUB);
    KZ_EXPECT_ERR(r, 403, "forbidden", "*");
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "paused"));
    kz_resp_free(&r);
    assert_int_equal(KZ_CLI(&HUB, NULL, 0, "peer", "resume", "jp"), 0);
    r = kz_get(&HUB, "/api/v1/sync/changes?cursor=0&limit=1", JP_AT_HUB);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_get(&HUB, "/api/v1/sync/changes?cursor=-1", JP_AT_HUB);
    KZ_EXPECT_ERR(r, 400, "invalid", "cursor");
    kz_resp_free(&r);
    /* filters and settings given to peer add are what peer list shows */
    const char *fa[] = {"peer", "add", "filtered", "offline", "--public-key", OFF_PK, "--org",
                        "6b1f3a58-0d8e-4c57-9d0e-2f4a1b7c9e01", "--org-name", "Filtered-CERT",
                        "--country", "KR", "--tag", "apt", "--tag", "phishing", "--type", "ip-dst",
                        "--tlp-ceiling", "green", "--db", JP.db, NULL};
    assert_int_equal(kz_node_run(fa, out, sizeof out), 0);
    char jl[4096];
    assert_int_equal(KZ_CLI(&JP, jl, sizeof jl, "peer", "list", "--json"), 0);
    json_t *pl = json_loads(jl, 0, NULL);
    json_t *fp = NULL;
    size_t k;
    json_t *it;
    json_array_foreach(pl, k, it) {
        if (strcmp(json_string_value(json_object_get(it, "name")), "filtered") == 0)
            fp = it;
    }
    assert_non_null(fp);
    assert_string_equal(json_string_value(json_object_get(fp, "tlp_ceiling")), "green");
    assert_int_equal(json_array_size(json_object_get(fp, "filter_tags")), 2);
    /* MISP's name is mapped to the native type */
    assert_string_equal(json_string_value(json_array_get(json_object_get(fp, "filter_types"), 0)),
                        "ipv4");
    assert_int_equal(json_integer_value(json_object_get(fp, "interval")), 0);
    json_decref(pl);
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "remove", "filtered"), 0);
    assert_int_equal(KZ_CLI(&JP, out, sizeof out, "peer", "remove", "filtered"), 1);
    /* a type that is none */
    const char *fb[] = {"peer", "add", "bad", "offline", "--public-key", OFF_PK, "--org",
                        HUB.admin_org, "--type", "no-such-type", "--db", JP.db, NULL};
    assert_int_equal(kz_node_run(fb, out, sizeof out), 2);
    /* peer list never prints API keys */
    char list[4096];
    assert_int_equal(KZ_CLI(&HUB, list, sizeof list, "peer", "list", "--json"),
                     0);
    assert_null(strstr(list, HUB_AT_JP));
    assert_non_null(strstr(list, "\"name\": \"jp\""));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_relay),
        cmocka_unit_test(test_tampered_refused),
        cmocka_unit_test(test_replay_changes_nothing),
        cmocka_unit_test(test_only_creator_changes),
        cmocka_unit_test(test_proposals),
        cmocka_unit_test(test_bundle_round_trip),
        cmocka_unit_test(test_deletions_travel),
        cmocka_unit_test(test_sigkill_resumes),
        cmocka_unit_test(test_sigkill_pull_resumes),
        cmocka_unit_test(test_scheduled_pull),
        cmocka_unit_test(test_tls_peer),
        cmocka_unit_test(test_peer_add_refuses),
        cmocka_unit_test(test_node_trust),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
