/* test_federation_cases.c — cases travel between nodes (issue 7 across the
 * federation of issue 5): four real nodes on loopback.
 *
 * Cast: node A (org A) leads the cases; node B (org B) and node C (org C)
 * are participants' nodes; node H (org H) is a hub that peers with A but
 * takes part in no case. Every node peers with A only, in both directions.
 *  - CASE1 (amber): A invites B and C.
 *  - CASE2 (amber): A invites B only; C must never hold it.
 *  - CASE_RED (red): A invites B; above B's TLP ceiling (amber+strict, the
 *    default), so it never travels.
 * Arrival is checked in each node's database (opened beside the running
 * server) as well as through its API: the question is what crossed the
 * border, not only what a user there may read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kz_fed.h"
#include "store/store.h"
#include "sync/sync.h"

static kz_node A, B, C, H, D; /* D: an offline partner, reached by bundles */
static char A_PK[65], B_PK[65], C_PK[65], H_PK[65], D_PK[65];
/* X_AT_Y: the key node X uses at node Y (a sync user of X's org on Y) */
static char B_AT_A[64], C_AT_A[64], H_AT_A[64], A_AT_B[64], A_AT_C[64], A_AT_H[64];
static char A_NODE_ID[128];
static char CASE1[40], CASE2[40], CASE_RED[40], TASK_B[40], TASK_C[40];
static char B_REFUSED[40]; /* an action of B's that A refused */

/* ---- helpers ------------------------------------------------------------ */

/* on <-> peer, both directions, with sync accounts each way. */
static void pair(kz_node *on, const char *peer_name, kz_node *peer, const char *peer_pk,
                 const char *on_name, const char *on_pk, char peer_at_on[64], char on_at_peer[64])
{
    kz_fed_peer_add(on, peer_name, peer, peer_pk);
    kz_fed_peer_add(peer, on_name, on, on_pk);
    char uid[40], email[64];
    snprintf(email, sizeof email, "sync-%s@%s", peer_name, on_name);
    kz_make_user(on, on->admin_key, peer->admin_org, email, "sync", uid, peer_at_on);
    snprintf(email, sizeof email, "sync-%s@%s", on_name, peer_name);
    kz_make_user(peer, peer->admin_key, on->admin_org, email, "sync", uid, on_at_peer);
    kz_fed_set_key(on, peer_name, on_at_peer);
    kz_fed_set_key(peer, on_name, peer_at_on);
}

/* The case as stored on n; KZ_E_NOTFOUND when n does not hold it. */
static int case_on(kz_node *n, const char *id, kz_arena *a, kz_case *c)
{
    kz_store *st = kz_fed_open_db(n);
    kz_err err = {0};
    int rc = kz_store_case_get(st, id, a, c, &err);
    kz_store_close(st);
    return rc;
}

static bool has_case(kz_node *n, const char *id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    bool yes = case_on(n, id, &a, &c) == 0;
    kz_arena_free(&a);
    return yes;
}

/* The participant state of org on n's copy, -1 when absent. */
static int part_state(kz_node *n, const char *id, const char *org)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    int s = -1;
    if (case_on(n, id, &a, &c) == 0)
        for (size_t i = 0; i < c.n_participants; i++)
            if (!strcmp(c.participants[i].org_id, org))
                s = (int)c.participants[i].state;
    kz_arena_free(&a);
    return s;
}

static bool has_entry(kz_node *n, const char *id, const char *fragment)
{
    kz_store *st = kz_fed_open_db(n);
    kz_arena a;
    kz_arena_init(&a);
    kz_case_entry *v = NULL;
    size_t k = 0;
    kz_err err = {0};
    bool yes = false;
    if (kz_store_case_entries(st, id, &a, &v, &k, &err) == 0)
        for (size_t i = 0; i < k && !yes; i++)
            yes = strstr(v[i].text, fragment) != NULL;
    kz_arena_free(&a);
    kz_store_close(st);
    return yes;
}

/* Whether n's timeline of case id, read by n's admin through the API,
 * has an entry with exactly text, recorded as org's. */
static bool entry_by(kz_node *n, const char *id, const char *text, const char *org)
{
    kz_resp t = kz_getf(n, n->admin_key, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT(t, 200);
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(kz_resp_get(&t, "timeline"), i, e)
        found |= !strcmp(json_string_value(json_object_get(e, "text")), text) &&
                 !strcmp(json_string_value(json_object_get(e, "org_id")), org);
    kz_resp_free(&t);
    return found;
}

static int task_status_on(kz_node *n, const char *id, const char *task)
{
    kz_store *st = kz_fed_open_db(n);
    kz_arena a;
    kz_arena_init(&a);
    kz_case_task t;
    kz_err err = {0};
    int s = kz_store_case_task_get(st, id, task, &a, &t, &err) == 0 ? (int)t.status : -1;
    kz_arena_free(&a);
    kz_store_close(st);
    return s;
}

static void post_ok(kz_node *n, const char *path, const char *body, long status, char *id_out)
{
    kz_resp r = kz_post(n, path, n->admin_key, body);
    if (r.status != status)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    if (id_out)
        snprintf(id_out, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

/* ---- set-up ------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&A, "CERT-A", "SG") || kz_node_start(&A, NULL) ||
        kz_node_init(&B, "CERT-B", "JP") || kz_node_start(&B, NULL) ||
        kz_node_init(&C, "CERT-C", "TH") || kz_node_start(&C, NULL) ||
        kz_node_init(&H, "HUB-H", "AU") || kz_node_start(&H, NULL) ||
        kz_node_init(&D, "CERT-D", "VN") || kz_node_start(&D, NULL))
        return -1;
    kz_fed_node_key(&A, A_PK, A_NODE_ID, sizeof A_NODE_ID);
    kz_fed_node_key(&B, B_PK, NULL, 0);
    kz_fed_node_key(&C, C_PK, NULL, 0);
    kz_fed_node_key(&H, H_PK, NULL, 0);
    kz_fed_node_key(&D, D_PK, NULL, 0);
    pair(&A, "b", &B, B_PK, "a", A_PK, B_AT_A, A_AT_B);
    pair(&A, "c", &C, C_PK, "a", A_PK, C_AT_A, A_AT_C);
    pair(&A, "h", &H, H_PK, "a", A_PK, H_AT_A, A_AT_H);
    /* H relays for its peers, as a hub would: it still must not get cases. */
    if (KZ_CLI(&A, NULL, 0, "peer", "set", "h", "--relay", "on") != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kz_node *all[] = {&A, &B, &C, &H, &D};
    int bad = 0;
    for (size_t i = 0; i < 5; i++) {
        if (all[i]->pid > 0 && kz_node_stop(all[i]) != 0)
            bad = 1;
        kz_node_free(all[i]);
    }
    return bad ? -1 : 0;
}

static void invite(const char *case_id, const char *org)
{
    char path[128], body[128];
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants", case_id);
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", org);
    post_ok(&A, path, body, 201, NULL);
}

/* n's own org answers its invitation to case_id from n's API ("accept" or
 * "decline"): sent to the lead's node, 202. The caller frees the answer. */
static kz_resp answer_from(kz_node *n, const char *case_id, const char *verb)
{
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants/%s/%s", case_id, n->admin_org,
             verb);
    kz_resp r;
    kz_http(n, "POST", path, n->admin_key, NULL, NULL, 0, &r);
    KZ_EXPECT(r, 202);
    return r;
}

/* ---- the flow ----------------------------------------------------------- */

/* An invited org's node gets the summary to decide on, nothing more. */
static void test_invited_gets_summary(void **state)
{
    (void)state;
    post_ok(&A, "/api/v1/cases",
            "{\"title\":\"Phishing wave\",\"description\":\"lures against central banks\","
            "\"category\":\"fraud\",\"subtype\":\"phishing\",\"severity\":2,\"tlp\":\"amber\"}",
            201, CASE1);
    post_ok(&A, "/api/v1/cases",
            "{\"title\":\"B only\",\"category\":\"fraud\",\"subtype\":\"phishing\","
            "\"tlp\":\"amber\"}",
            201, CASE2);
    post_ok(&A, "/api/v1/cases",
            "{\"title\":\"red one\",\"category\":\"fraud\",\"subtype\":\"phishing\","
            "\"tlp\":\"red\"}",
            201, CASE_RED);
    invite(CASE_RED, B.admin_org);
    invite(CASE2, B.admin_org);
    invite(CASE1, B.admin_org);
    invite(CASE1, C.admin_org);
    KZ_WAIT_UNTIL(has_case(&B, CASE1) && has_case(&C, CASE1) && has_case(&B, CASE2), 20000);
    assert_true(has_case(&B, CASE1));
    assert_true(has_case(&C, CASE1));

    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    assert_int_equal(case_on(&B, CASE1, &a, &c), 0);
    assert_string_equal(c.title, "Phishing wave");
    assert_string_equal(c.lead_org, A.admin_org);
    assert_null(c.description); /* not in a summary */
    assert_int_equal(c.n_participants, 1); /* its own invitation only, not C's */
    assert_string_equal(c.participants[0].org_id, B.admin_org);
    assert_int_equal(c.participants[0].state, KZ_PART_INVITED);
    kz_arena_free(&a);
    assert_int_equal(part_state(&B, CASE1, C.admin_org), -1);

    /* noted in B's change log as a case change, as a local write is: the
     * stream and webhooks there hear of it the same way */
    kz_store *st = kz_fed_open_db(&B);
    kz_arena_init(&a);
    kz_change *ch = NULL;
    size_t nch = 0;
    kz_err err = {0};
    assert_int_equal(kz_store_changes(st, 0, 1000, &a, &ch, &nch, &err), 0);
    bool noted = false;
    for (size_t i = 0; i < nch; i++)
        noted |= !strcmp(ch[i].kind, "case") && !strcmp(ch[i].object_id, CASE1);
    assert_true(noted);
    kz_arena_free(&a);
    kz_store_close(st);

    /* B's people see it as invited, through B's own API */
    kz_resp r = kz_getf(&B, B.admin_key, "/api/v1/cases/%s", CASE1);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "participation"), "invited");
    kz_resp_free(&r);
}

/* B accepts on its own node: the answer travels to A, and B then gets the
 * full case. */
static void test_accept_from_own_node(void **state)
{
    (void)state;
    kz_resp r = answer_from(&B, CASE1, "accept");
    assert_string_equal(kz_resp_str(&r, "status"), "sent");
    assert_string_equal(kz_resp_str(&r, "action"), "accept");
    assert_non_null(strstr(kz_resp_str(&r, "message"), "lead's node"));
    kz_resp_free(&r);

    KZ_WAIT_UNTIL(part_state(&A, CASE1, B.admin_org) == KZ_PART_ACCEPTED, 20000);
    assert_int_equal(part_state(&A, CASE1, B.admin_org), KZ_PART_ACCEPTED);
    assert_true(has_entry(&A, CASE1, "accepted the invitation"));
    KZ_WAIT_UNTIL(part_state(&B, CASE1, B.admin_org) == KZ_PART_ACCEPTED, 20000);
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    assert_int_equal(case_on(&B, CASE1, &a, &c), 0);
    assert_non_null(c.description);
    assert_string_equal(c.description, "lures against central banks");
    assert_int_equal(c.n_participants, 2); /* now the participants list */
    kz_arena_free(&a);
    assert_int_equal(part_state(&B, CASE1, C.admin_org), KZ_PART_INVITED);
    assert_true(has_entry(&B, CASE1, "accepted the invitation"));
    r = kz_getf(&B, B.admin_key, "/api/v1/cases/%s", CASE1);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "participation"), "accepted");
    kz_resp_free(&r);
}

/* Entries the lead marked stricter than the case (RED, AMBER+STRICT) are
 * for the lead and their author: they never reach B's node. */
static void test_strict_entries_stay_home(void **state)
{
    (void)state;
    char path[160], body[256];
    snprintf(path, sizeof path, "/api/v1/cases/%s/tasks", CASE1);
    snprintf(body, sizeof body, "{\"title\":\"take the lure down\",\"org_id\":\"%s\"}",
             B.admin_org);
    post_ok(&A, path, body, 201, TASK_B);
    snprintf(body, sizeof body, "{\"title\":\"warn the banks\",\"org_id\":\"%s\"}", C.admin_org);
    post_ok(&A, path, body, 201, TASK_C);
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", CASE1);
    post_ok(&A, path, "{\"kind\":\"comment\",\"text\":\"lead red secret\",\"tlp\":\"red\"}", 201,
            NULL);
    post_ok(&A, path,
            "{\"kind\":\"comment\",\"text\":\"lead strict secret\",\"tlp\":\"amber+strict\"}", 201,
            NULL);
    post_ok(&A, path, "{\"kind\":\"comment\",\"text\":\"lead marker\"}", 201, NULL);
    KZ_WAIT_UNTIL(has_entry(&B, CASE1, "lead marker"), 20000);
    assert_true(has_entry(&B, CASE1, "lead marker"));
    assert_true(has_entry(&A, CASE1, "lead red secret"));
    assert_false(has_entry(&B, CASE1, "lead red secret"));
    assert_false(has_entry(&B, CASE1, "lead strict secret"));
    assert_int_equal(task_status_on(&B, CASE1, TASK_B), KZ_TASK_WAITING);
    assert_int_equal(task_status_on(&B, CASE1, TASK_C), KZ_TASK_WAITING);
    /* C, invited only, still holds the summary: no tasks, no timeline */
    assert_int_equal(task_status_on(&C, CASE1, TASK_C), -1);
    assert_false(has_entry(&C, CASE1, "lead marker"));
}

/* B works from its own node; A applies it; the result comes back. */
static void test_participant_works_from_own_node(void **state)
{
    (void)state;
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", CASE1);
    kz_resp r = kz_post(&B, path, B.admin_key, "{\"kind\":\"comment\",\"text\":\"b saw it too\"}");
    KZ_EXPECT(r, 202);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/tasks/%s", CASE1, TASK_B);
    r = kz_patch(&B, path, B.admin_key, "{\"status\":\"done\"}");
    KZ_EXPECT(r, 202);
    assert_string_equal(kz_resp_str(&r, "action"), "task_status");
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/observables", CASE1);
    r = kz_post(&B, path, B.admin_key, "{\"type\":\"domain\",\"value\":\"LURE.evil.example\"}");
    KZ_EXPECT(r, 202);
    kz_resp_free(&r);
    /* C's task is not B's to move: refused on B's node already */
    snprintf(path, sizeof path, "/api/v1/cases/%s/tasks/%s", CASE1, TASK_C);
    r = kz_patch(&B, path, B.admin_key, "{\"status\":\"done\"}");
    KZ_EXPECT(r, 403);
    kz_resp_free(&r);
    /* bad input is refused before anything is queued */
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", CASE1);
    r = kz_post(&B, path, B.admin_key, "{\"kind\":\"comment\",\"text\":\"x\",\"tlp\":\"clear\"}");
    KZ_EXPECT(r, 422);
    kz_resp_free(&r);

    KZ_WAIT_UNTIL(has_entry(&A, CASE1, "b saw it too") &&
                   task_status_on(&A, CASE1, TASK_B) == KZ_TASK_DONE,
               20000);
    assert_true(has_entry(&A, CASE1, "b saw it too"));
    assert_int_equal(task_status_on(&A, CASE1, TASK_B), KZ_TASK_DONE);
    /* recorded on A with the acting org */
    assert_true(entry_by(&A, CASE1, "b saw it too", B.admin_org));
    kz_resp t = kz_getf(&A, A.admin_key, "/api/v1/cases/%s/observables", CASE1);
    KZ_EXPECT(t, 200);
    assert_true(kz_resp_list_has(&t, "observables", "value", "lure.evil.example"));
    kz_resp_free(&t);
    /* ... and back on B, as the next snapshot */
    KZ_WAIT_UNTIL(has_entry(&B, CASE1, "b saw it too") &&
                   task_status_on(&B, CASE1, TASK_B) == KZ_TASK_DONE,
               20000);
    assert_true(has_entry(&B, CASE1, "b saw it too"));
    assert_int_equal(task_status_on(&B, CASE1, TASK_B), KZ_TASK_DONE);
    t = kz_getf(&B, B.admin_key, "/api/v1/cases/%s/timeline", CASE1);
    KZ_EXPECT(t, 200);
    assert_true(kz_resp_list_has(&t, "timeline", "text", "b saw it too"));
    kz_resp_free(&t);
}

static bool has_event(kz_node *n, const char *id)
{
    kz_store *st = kz_fed_open_db(n);
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_err err = {0};
    bool yes = kz_store_event_get(st, id, false, &a, &ev, &err) == 0;
    kz_arena_free(&a);
    kz_store_close(st);
    return yes;
}

/* B links its own event (which reached A by the event rules) from B's
 * node: A checks that B may see it there, links it, and the link comes
 * back. (A link to an event A does not hold: test_home_acl_refuses_actions.) */
static void test_participant_links_from_own_node(void **state)
{
    (void)state;
    char ev[40], path[160], body[160];
    post_ok(&B, "/api/v1/events",
            "{\"title\":\"lure kit\",\"tlp\":\"clear\",\"distribution\":\"all\","
            "\"indicators\":[{\"type\":\"domain\",\"value\":\"kit.evil.example\"}]}",
            201, ev);
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    kz_resp r;
    kz_http(&B, "POST", path, B.admin_key, NULL, NULL, 0, &r);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    KZ_WAIT_UNTIL(has_event(&A, ev), 20000);
    assert_true(has_event(&A, ev));
    snprintf(path, sizeof path, "/api/v1/cases/%s/links", CASE1);
    snprintf(body, sizeof body, "{\"kind\":\"event\",\"id\":\"%s\"}", ev);
    r = kz_post(&B, path, B.admin_key, body);
    KZ_EXPECT(r, 202);
    assert_string_equal(kz_resp_str(&r, "action"), "link");
    kz_resp_free(&r);
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    bool linked = false;
    for (long t = 0; t < 20000 && !linked; t += 100) {
        if (case_on(&B, CASE1, &a, &c) == 0)
            linked = kz_strlist_has(&c.events, ev);
        if (!linked)
            kz_sleep_ms(100);
    }
    assert_true(linked);
    assert_int_equal(case_on(&A, CASE1, &a, &c), 0);
    assert_true(kz_strlist_has(&c.events, ev));
    kz_arena_free(&a);
    assert_true(has_entry(&A, CASE1, "linked an event"));
}

/* The state of action id in n's GET /cases/{case_id}/actions (for n's
 * admin), its note into note; NULL when it is not listed. */
static const char *action_state(kz_node *n, const char *case_id, const char *id, char *note,
                                size_t note_n)
{
    static char state[16];
    kz_resp r = kz_getf(n, n->admin_key, "/api/v1/cases/%s/actions", case_id);
    KZ_EXPECT(r, 200);
    const char *found = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(kz_resp_get(&r, "actions"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "id")), id) != 0)
            continue;
        snprintf(state, sizeof state, "%s", json_string_value(json_object_get(x, "state")));
        const char *nt = json_string_value(json_object_get(x, "note"));
        snprintf(note, note_n, "%s", nt ? nt : "");
        found = state;
    }
    kz_resp_free(&r);
    return found;
}

/* What became of B's actions reaches B: one A refuses (a link to B's
 * draft, which A does not hold) comes back refused with A's reason and
 * changes nothing; an applied one says so. */
static void test_action_results_reach_participant(void **state)
{
    (void)state;
    char ev[40], path[160], body[160], refused_id[40], applied_id[40], note[256];
    post_ok(&B, "/api/v1/events",
            "{\"title\":\"draft on B\",\"tlp\":\"clear\",\"distribution\":\"all\"}", 201, ev);
    snprintf(path, sizeof path, "/api/v1/cases/%s/links", CASE1);
    snprintf(body, sizeof body, "{\"kind\":\"event\",\"id\":\"%s\"}", ev);
    kz_resp r = kz_post(&B, path, B.admin_key, body);
    KZ_EXPECT(r, 202);
    snprintf(refused_id, sizeof refused_id, "%s", kz_resp_str(&r, "action_id"));
    snprintf(B_REFUSED, sizeof B_REFUSED, "%s", refused_id);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", CASE1);
    r = kz_post(&B, path, B.admin_key, "{\"kind\":\"comment\",\"text\":\"results please\"}");
    KZ_EXPECT(r, 202);
    snprintf(applied_id, sizeof applied_id, "%s", kz_resp_str(&r, "action_id"));
    kz_resp_free(&r);
    const char *st = action_state(&B, CASE1, refused_id, note, sizeof note);
    assert_non_null(st); /* listed at once, pending or already answered */
    KZ_WAIT_UNTIL((st = action_state(&B, CASE1, refused_id, note, sizeof note)) &&
                   !strcmp(st, "refused"),
               20000);
    assert_string_equal(action_state(&B, CASE1, refused_id, note, sizeof note), "refused");
    assert_non_null(strstr(note, "no such object"));
    KZ_WAIT_UNTIL((st = action_state(&B, CASE1, applied_id, note, sizeof note)) &&
                   !strcmp(st, "applied"),
               20000);
    assert_string_equal(action_state(&B, CASE1, applied_id, note, sizeof note), "applied");
    assert_string_equal(note, "");
    /* nothing of the refused link on either node */
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    assert_int_equal(case_on(&A, CASE1, &a, &c), 0);
    assert_false(kz_strlist_has(&c.events, ev));
    assert_int_equal(case_on(&B, CASE1, &a, &c), 0);
    assert_false(kz_strlist_has(&c.events, ev));
    kz_arena_free(&a);
    /* the lead sees the actions received on its node */
    assert_string_equal(action_state(&A, CASE1, refused_id, note, sizeof note), "refused");
}

/* On the home node another participant sees its own actions only, not
 * B's, and an org outside the case gets 404 (last: it adds a participant
 * to CASE1). */
static void test_actions_listed_for_own_org(void **state)
{
    (void)state;
    char a2[40], a3[40], uid[40], a2_key[64], a3_key[64], path[200];
    kz_make_org(&A, A.admin_key, "CERT-A2", "TH", a2);
    kz_make_org(&A, A.admin_key, "CERT-A3", "TH", a3);
    kz_make_user(&A, A.admin_key, a2, "oa@a2.example", "org_admin", uid, a2_key);
    kz_make_user(&A, A.admin_key, a3, "oa@a3.example", "org_admin", uid, a3_key);
    invite(CASE1, a2);
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants/%s/accept", CASE1, a2);
    kz_resp r;
    kz_http(&A, "POST", path, a2_key, NULL, NULL, 0, &r);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_getf(&A, a2_key, "/api/v1/cases/%s/actions", CASE1);
    KZ_EXPECT(r, 200);
    assert_true(json_is_array(kz_resp_get(&r, "actions")));
    assert_false(kz_resp_list_has(&r, "actions", "id", B_REFUSED));
    assert_false(kz_resp_list_has(&r, "actions", "org_id", B.admin_org));
    kz_resp_free(&r);
    r = kz_getf(&A, A.admin_key, "/api/v1/cases/%s/actions", CASE1);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "actions", "id", B_REFUSED));
    kz_resp_free(&r);
    r = kz_getf(&A, a3_key, "/api/v1/cases/%s/actions", CASE1);
    KZ_EXPECT(r, 404);
    kz_resp_free(&r);
    /* no key: 401; a query the route does not take: 400 naming it */
    r = kz_getf(&A, NULL, "/api/v1/cases/%s/actions", CASE1);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "Authorization");
    kz_resp_free(&r);
    r = kz_getf(&A, a2_key, "/api/v1/cases/%s/actions?limit=5", CASE1);
    KZ_EXPECT_ERR(r, 400, "invalid", "limit");
    kz_resp_free(&r);
}

/* Lead-only operations on a copy: 409 naming the lead's node. */
static void test_lead_only_on_copy(void **state)
{
    (void)state;
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s/transition", CASE1);
    kz_resp r = kz_post(&B, path, B.admin_key, "{\"status\":\"acknowledged\"}");
    KZ_EXPECT(r, 409);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "homed on the lead org's node"));
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "peer 'a'"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s", CASE1);
    r = kz_patch(&B, path, B.admin_key, "{\"title\":\"taken over\"}");
    KZ_EXPECT(r, 409);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/cases/%s/participants", CASE1);
    r = kz_post(&B, path, B.admin_key, "{\"org_id\":\"" "0a000000-0000-4000-8000-000000000009\"}");
    KZ_EXPECT(r, 409);
    kz_resp_free(&r);
    /* nor does the CLI on B manage the copy */
    char out[1024];
    assert_int_not_equal(KZ_CLI(&B, out, sizeof out, "case", "transition", CASE1, "acknowledged",
                             "--org", "CERT-B"),
                         0);
    assert_non_null(strstr(out, "homed on the lead org's node"));
    assert_int_not_equal(KZ_CLI(&B, out, sizeof out, "case", "invite", CASE1, "--org", "CERT-B",
                             "--invite", "CERT-B"),
                         0);
    assert_non_null(strstr(out, "homed on the lead org's node"));
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    assert_int_equal(case_on(&A, CASE1, &a, &c), 0);
    assert_int_equal(c.status, KZ_CASE_NEW);
    assert_string_equal(c.title, "Phishing wave");
    kz_arena_free(&a);
}

/* The CLI on B works on the copy the way B's API does: a comment is sent
 * to A as a signed action, not written into the copy; A applies it as
 * B's, and it comes back to B with the next snapshot. */
static void test_cli_participant_work_is_sent(void **state)
{
    (void)state;
    char out[1024];
    assert_int_equal(KZ_CLI(&B, out, sizeof out, "case", "comment", CASE1, "--org", "CERT-B",
                         "--text", "cli on the copy"),
                     0);
    assert_non_null(strstr(out, "comment "));
    assert_non_null(strstr(out, "sent to the lead's node"));
    assert_non_null(strstr(out, "peer 'a'"));
    /* a looser marking than the case's is refused before anything is sent */
    assert_int_not_equal(KZ_CLI(&B, out, sizeof out, "case", "comment", CASE1, "--org", "CERT-B",
                             "--text", "too loose", "--tlp", "clear"),
                         0);
    assert_non_null(strstr(out, "tlp: 'clear' is looser than the case's 'amber'"));
    /* not in the copy until A has applied it */
    assert_false(has_entry(&B, CASE1, "cli on the copy"));
    KZ_WAIT_UNTIL(has_entry(&A, CASE1, "cli on the copy"), 20000);
    assert_true(has_entry(&A, CASE1, "cli on the copy"));
    assert_true(entry_by(&A, CASE1, "cli on the copy", B.admin_org));
    KZ_WAIT_UNTIL(has_entry(&B, CASE1, "cli on the copy"), 20000);
    assert_true(has_entry(&B, CASE1, "cli on the copy"));
    assert_false(has_entry(&A, CASE1, "too loose"));
}

/* Who never gets a case: a non-participant (C for CASE2), a hub that is
 * not a participant (H), a participant above whose ceiling it is. */
static void test_non_participants_never_receive(void **state)
{
    (void)state;
    /* everything pending goes out first */
    assert_int_equal(KZ_CLI(&A, NULL, 0, "sync", "now", "b"), 0);
    assert_int_equal(KZ_CLI(&A, NULL, 0, "sync", "now", "c"), 0);
    assert_int_equal(KZ_CLI(&A, NULL, 0, "sync", "now", "h"), 0);
    assert_true(has_case(&C, CASE1));
    assert_false(has_case(&C, CASE2));
    assert_false(has_case(&C, CASE_RED));
    kz_resp r = kz_getf(&C, C.admin_key, "/api/v1/cases/%s", CASE2);
    KZ_EXPECT(r, 404);
    kz_resp_free(&r);
    assert_false(has_case(&H, CASE1));
    assert_false(has_case(&H, CASE2));
    assert_false(has_case(&B, CASE_RED)); /* red above B's ceiling */
    assert_true(has_case(&B, CASE2));
    /* it is the ceiling that kept it home: raised to red, the next change
     * of the case takes it to B (as the summary: B is invited) */
    assert_int_equal(KZ_CLI(&A, NULL, 0, "peer", "set", "b", "--tlp-ceiling", "red"), 0);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", CASE_RED);
    post_ok(&A, path, "{\"kind\":\"comment\",\"text\":\"red note\"}", 201, NULL);
    KZ_WAIT_UNTIL(has_case(&B, CASE_RED), 20000);
    assert_true(has_case(&B, CASE_RED));
    assert_false(has_entry(&B, CASE_RED, "red note")); /* summary only */
    assert_int_equal(KZ_CLI(&A, NULL, 0, "peer", "set", "b", "--tlp-ceiling", "amber+strict"), 0);
    /* not in H's feed either */
    r = kz_get(&A, "/api/v1/sync/changes?cursor=0&limit=100000", H_AT_A);
    KZ_EXPECT(r, 200);
    size_t i;
    json_t *e;
    json_array_foreach(kz_resp_get(&r, "objects"), i, e)
        assert_string_not_equal(json_string_value(json_object_get(e, "kind")), "case");
    kz_resp_free(&r);
    /* B's own feed carries no case back to A (never relayed) */
    r = kz_get(&B, "/api/v1/sync/changes?cursor=0&limit=100000", A_AT_B);
    KZ_EXPECT(r, 200);
    json_array_foreach(kz_resp_get(&r, "objects"), i, e)
        assert_string_not_equal(json_string_value(json_object_get(e, "kind")), "case");
    kz_resp_free(&r);
}

/* ---- forged, misaddressed and replayed envelopes ----------------------- */

static void load_identity(kz_node *n, kz_node_identity *id)
{
    kz_store *st = kz_fed_open_db(n);
    kz_err err = {0};
    if (kz_sync_identity_load(st, id, &err) != 0)
        fail_msg("identity of %s: %s", n->db, err.msg);
    kz_store_close(st);
}

/* A case led by lead for audience, with aud's own participation. */
static json_t *fake_case_led(const kz_node_identity *signer, const char *id, const char *audience,
                             const char *lead)
{
    kz_case_participant p = {.state = KZ_PART_ACCEPTED, .invited_at = 1700000000000000,
                             .answered_at = 1700000000000001};
    snprintf(p.org_id, sizeof p.org_id, "%.36s", audience);
    kz_case_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(s.c.id, sizeof s.c.id, "%.36s", id);
    s.c.title = "fake";
    s.c.severity = 3;
    s.c.tlp = KZ_TLP_AMBER;
    s.c.pap = KZ_PAP_AMBER;
    s.c.category = "other";
    s.c.subtype = "other";
    snprintf(s.c.lead_org, sizeof s.c.lead_org, "%.36s", lead);
    s.c.created = s.c.modified = 1700000000000000;
    s.c.participants = &p;
    s.c.n_participants = strcmp(audience, lead) ? 1 : 0; /* the lead is no participant */
    json_t *env = NULL;
    kz_err err = {0};
    if (kz_sync_envelope_case(signer, audience, &s, &env, &err) != 0)
        fail_msg("fake case: %s", err.msg);
    return env;
}

static json_t *fake_case(const kz_node_identity *signer, const char *id, const char *audience)
{
    return fake_case_led(signer, id, audience, A.admin_org);
}

static kz_resp push_as_a(json_t *objects)
{
    json_t *b = json_pack("{s:s,s:I,s:b,s:O}", "from_node", A_NODE_ID, "cursor", (json_int_t)1,
                          "more", 0, "objects", objects);
    char *text = json_dumps(b, JSON_COMPACT);
    kz_resp r = kz_post(&B, "/api/v1/sync/push", A_AT_B, text);
    free(text);
    json_decref(b);
    return r;
}

static void test_forged_case_envelopes_refused(void **state)
{
    (void)state;
    kz_node_identity ia, ic;
    load_identity(&A, &ia);
    load_identity(&C, &ic);
    const char *FAKE = "1c000000-0000-4000-8000-0000000000f1";
    const char *FAKE2 = "1c000000-0000-4000-8000-0000000000f2";
    json_t *valid = fake_case(&ia, FAKE, B.admin_org);

    /* a real envelope of CASE1 for B, one byte of its title changed */
    kz_resp r = kz_get(&A, "/api/v1/sync/changes?cursor=0&limit=100000", B_AT_A);
    KZ_EXPECT(r, 200);
    json_t *tampered = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(kz_resp_get(&r, "objects"), i, e) {
        json_t *jc = json_object_get(json_object_get(e, "body"), "case");
        if (jc && !strcmp(json_string_value(json_object_get(jc, "id")), CASE1)) {
            json_decref(tampered); /* the feed may send it more than once: the last */
            tampered = json_deep_copy(e);
        }
    }
    kz_resp_free(&r);
    assert_non_null(tampered);
    json_object_set_new(json_object_get(json_object_get(tampered, "body"), "case"), "title",
                        json_string("Phishing wavE"));

    /* valid + tampered: refused whole, the valid one not stored either */
    json_t *objs = json_pack("[O,O]", valid, tampered);
    r = push_as_a(objs);
    KZ_EXPECT(r, 422);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), CASE1));
    kz_resp_free(&r);
    json_decref(objs);
    assert_false(has_case(&B, FAKE));

    /* signed by C's node for A's case: C does not speak for the lead */
    json_t *by_c = fake_case(&ic, FAKE2, B.admin_org);
    objs = json_pack("[o]", by_c);
    r = push_as_a(objs);
    KZ_EXPECT(r, 422);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "not trusted"));
    kz_resp_free(&r);
    json_decref(objs);
    assert_false(has_case(&B, FAKE2));

    /* cut for C, pushed to B: refused */
    objs = json_pack("[o]", fake_case(&ia, FAKE2, C.admin_org));
    r = push_as_a(objs);
    KZ_EXPECT(r, 422);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "not for this node's org"));
    kz_resp_free(&r);
    json_decref(objs);
    assert_false(has_case(&B, FAKE2));

    /* the valid one alone goes in; the same batch again changes nothing */
    objs = json_pack("[O]", valid);
    for (int round = 0; round < 2; round++) {
        r = push_as_a(objs);
        KZ_EXPECT(r, 200);
        assert_int_equal(json_integer_value(kz_resp_get(&r, "applied.cases")), round == 0);
        kz_resp_free(&r);
    }
    json_decref(objs);
    assert_true(has_case(&B, FAKE));
    /* a different batch holding the same case (replayed in other company):
     * still nothing changes */
    objs = json_pack("[O,O]", valid, valid);
    r = push_as_a(objs);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "applied.cases")), 0);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "applied.unchanged")), 2);
    kz_resp_free(&r);
    json_decref(objs);
    json_decref(valid);
    json_decref(tampered);
    kz_sync_identity_clear(&ia);
    kz_sync_identity_clear(&ic);
}

/* An action of org on case_id (led by A), by id; the rest is the caller's. */
static void action_of(kz_sync_case_action *x, const char *id, const char *case_id,
                      const char *org)
{
    snprintf(x->id, sizeof x->id, "%.36s", id);
    snprintf(x->case_id, sizeof x->case_id, "%.36s", case_id);
    snprintf(x->lead_org, sizeof x->lead_org, "%.36s", A.admin_org);
    snprintf(x->org_id, sizeof x->org_id, "%.36s", org);
}

/* Actions the home ACL refuses are refused there, whatever the sending
 * node says; an action for another org's name is not trusted at all. */
static void test_home_acl_refuses_actions(void **state)
{
    (void)state;
    kz_node_identity ib;
    load_identity(&B, &ib);
    kz_sync_case_action x = {.action = "task_status", .tlp = -1, .status = KZ_TASK_DONE,
                             .obs_type = -1, .created = 1700000000000009};
    action_of(&x, "4f000000-0000-4000-8000-0000000000a1", CASE1, B.admin_org);
    snprintf(x.task_id, sizeof x.task_id, "%.36s", TASK_C); /* C's task */
    json_t *env1 = NULL, *env2 = NULL, *env3 = NULL;
    kz_err err = {0};
    assert_int_equal(kz_sync_envelope_case_action(&ib, &x, &env1, &err), 0);
    /* a comment looser than the case */
    kz_sync_case_action y = {.action = "comment", .text = "looser", .tlp = KZ_TLP_CLEAR,
                             .status = -1, .obs_type = -1, .created = 1700000000000010};
    action_of(&y, "4f000000-0000-4000-8000-0000000000a2", CASE1, B.admin_org);
    assert_int_equal(kz_sync_envelope_case_action(&ib, &y, &env2, &err), 0);
    /* an answer for CASE2, which B has not accepted: refused too? no —
     * B is invited there, so answering is allowed; C answering for CASE2
     * through B's node is what must fail: untrusted signer */
    kz_sync_case_action z = {.action = "accept", .tlp = -1, .status = -1, .obs_type = -1,
                             .created = 1700000000000011};
    action_of(&z, "4f000000-0000-4000-8000-0000000000a3", CASE2, C.admin_org);
    assert_int_equal(kz_sync_envelope_case_action(&ib, &z, &env3, &err), 0);

    /* a link to an event the home node does not hold */
    kz_sync_case_action w = {.action = "link", .link_kind = "event", .tlp = -1, .status = -1,
                             .obs_type = -1, .created = 1700000000000012};
    action_of(&w, "4f000000-0000-4000-8000-0000000000a4", CASE1, B.admin_org);
    snprintf(w.object_id, sizeof w.object_id, "4f000000-0000-4000-8000-0000000000ee");
    json_t *env4 = NULL;
    assert_int_equal(kz_sync_envelope_case_action(&ib, &w, &env4, &err), 0);

    char node_b[128];
    char pk[65];
    kz_fed_node_key(&B, pk, node_b, sizeof node_b);
    json_t *b = json_pack("{s:s,s:I,s:b,s:[O,O,o]}", "from_node", node_b, "cursor",
                          (json_int_t)1, "more", 0, "objects", env1, env2, env4);
    char *text = json_dumps(b, JSON_COMPACT);
    kz_resp r = kz_post(&A, "/api/v1/sync/push", B_AT_A, text);
    free(text);
    json_decref(b);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "applied.case_actions")), 0);
    kz_resp_free(&r);
    assert_int_equal(task_status_on(&A, CASE1, TASK_C), KZ_TASK_WAITING);
    assert_false(has_entry(&A, CASE1, "looser"));
    kz_store *st = kz_fed_open_db(&A);
    kz_arena a;
    kz_arena_init(&a);
    char *body = NULL, *st_state = NULL;
    assert_int_equal(kz_store_case_action_get(st, x.id, &a, &body, &st_state, NULL, &err), 0);
    assert_string_equal(st_state, "refused");
    assert_int_equal(kz_store_case_action_get(st, y.id, &a, &body, &st_state, NULL, &err), 0);
    assert_string_equal(st_state, "refused");
    assert_int_equal(kz_store_case_action_get(st, w.id, &a, &body, &st_state, NULL, &err), 0);
    assert_string_equal(st_state, "refused");
    kz_arena_free(&a);
    kz_store_close(st);

    b = json_pack("{s:s,s:I,s:b,s:[O]}", "from_node", node_b, "cursor", (json_int_t)2, "more", 0,
                  "objects", env3);
    text = json_dumps(b, JSON_COMPACT);
    r = kz_post(&A, "/api/v1/sync/push", B_AT_A, text);
    free(text);
    json_decref(b);
    KZ_EXPECT(r, 422);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "not trusted"));
    kz_resp_free(&r);
    assert_int_equal(part_state(&A, CASE2, C.admin_org), -1);
    json_decref(env1);
    json_decref(env2);
    json_decref(env3);
    kz_sync_identity_clear(&ib);
}

/* C declines from its own node: A records it, and C's copy then says so,
 * which hides the case from C's people; nothing further goes to C. */
static void test_decline_from_own_node(void **state)
{
    (void)state;
    char path[160];
    kz_resp r = answer_from(&C, CASE1, "decline");
    kz_resp_free(&r);
    KZ_WAIT_UNTIL(part_state(&A, CASE1, C.admin_org) == KZ_PART_DECLINED, 20000);
    assert_int_equal(part_state(&A, CASE1, C.admin_org), KZ_PART_DECLINED);
    KZ_WAIT_UNTIL(part_state(&C, CASE1, C.admin_org) == KZ_PART_DECLINED, 20000);
    assert_int_equal(part_state(&C, CASE1, C.admin_org), KZ_PART_DECLINED);
    r = kz_getf(&C, C.admin_key, "/api/v1/cases/%s", CASE1);
    KZ_EXPECT(r, 404);
    kz_resp_free(&r);
    /* a later change of the case does not reach C */
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", CASE1);
    post_ok(&A, path, "{\"kind\":\"comment\",\"text\":\"after the decline\"}", 201, NULL);
    KZ_WAIT_UNTIL(has_entry(&B, CASE1, "after the decline"), 20000);
    assert_true(has_entry(&B, CASE1, "after the decline"));
    assert_int_equal(KZ_CLI(&A, NULL, 0, "sync", "now", "c"), 0);
    assert_false(has_entry(&C, CASE1, "after the decline"));
    assert_false(has_entry(&C, CASE1, "lead marker"));
}

/* Offline partners get cases by bundle, and send their answers back the
 * same way: bundles carry exactly what a live sync would. */
static void test_bundles_carry_cases(void **state)
{
    (void)state;
    char out[2048], file[600];
    assert_int_equal(KZ_CLI(&A, out, sizeof out, "peer", "add", "d", "offline", "--public-key", D_PK,
                         "--org", D.admin_org, "--org-name", "CERT-D", "--country", "VN"),
                     0);
    assert_int_equal(KZ_CLI(&D, out, sizeof out, "peer", "add", "a", "offline", "--public-key", A_PK,
                         "--org", A.admin_org, "--org-name", "CERT-A", "--country", "SG"),
                     0);
    char case_d[40];
    post_ok(&A, "/api/v1/cases",
            "{\"title\":\"for D\",\"description\":\"details for participants\","
            "\"category\":\"fraud\",\"subtype\":\"phishing\"}",
            201, case_d);
    invite(case_d, D.admin_org);
    snprintf(file, sizeof file, "%s/a-for-d.kzb", A.dir);
    assert_int_equal(KZ_CLI(&A, out, sizeof out, "bundle", "export", "--for", "d", "--since", "0",
                         file),
                     0);
    assert_int_equal(KZ_CLI(&D, out, sizeof out, "bundle", "import", file), 0);
    assert_true(has_case(&D, case_d));
    assert_false(has_case(&D, CASE1)); /* not invited there */
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    assert_int_equal(case_on(&D, case_d, &a, &c), 0);
    assert_null(c.description);
    kz_arena_free(&a);

    kz_resp r = answer_from(&D, case_d, "accept");
    kz_resp_free(&r);
    snprintf(file, sizeof file, "%s/d-for-a.kzb", D.dir);
    assert_int_equal(KZ_CLI(&D, out, sizeof out, "bundle", "export", "--for", "a", "--since", "0",
                         file),
                     0);
    assert_int_equal(KZ_CLI(&A, out, sizeof out, "bundle", "import", file), 0);
    assert_int_equal(part_state(&A, case_d, D.admin_org), KZ_PART_ACCEPTED);
    /* importing the same bundle again changes nothing */
    assert_int_equal(KZ_CLI(&A, out, sizeof out, "bundle", "import", file), 0);
    assert_true(has_entry(&A, case_d, "accepted the invitation"));

    snprintf(file, sizeof file, "%s/a-for-d-2.kzb", A.dir);
    assert_int_equal(KZ_CLI(&A, out, sizeof out, "bundle", "export", "--for", "d", "--since", "0",
                         file),
                     0);
    assert_int_equal(KZ_CLI(&D, out, sizeof out, "bundle", "import", file), 0);
    kz_arena_init(&a);
    assert_int_equal(case_on(&D, case_d, &a, &c), 0);
    assert_non_null(c.description);
    assert_string_equal(c.description, "details for participants");
    kz_arena_free(&a);
    assert_int_equal(part_state(&D, case_d, D.admin_org), KZ_PART_ACCEPTED);
}

/* ---- found in review ---------------------------------------------------- */

/* A copy held for its lead is never taken over by an envelope naming
 * another lead, even one signed by a key trusted for that other org (here
 * B's own, as a participant's node would try for A's case). */
static void test_copy_not_taken_over(void **state)
{
    (void)state;
    kz_node_identity ib;
    load_identity(&B, &ib);
    json_t *objs = json_pack("[o]", fake_case_led(&ib, CASE1, B.admin_org, B.admin_org));
    kz_resp r = push_as_a(objs);
    KZ_EXPECT(r, 422);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "held here for lead org"));
    kz_resp_free(&r);
    json_decref(objs);
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    assert_int_equal(case_on(&B, CASE1, &a, &c), 0);
    assert_string_equal(c.lead_org, A.admin_org);
    assert_string_equal(c.title, "Phishing wave");
    /* nor is a case homed on A replaced by one B's node sends it under the
     * same id (ignored there, logged) */
    char node_b[128], pk[65];
    kz_fed_node_key(&B, pk, node_b, sizeof node_b);
    json_t *b = json_pack("{s:s,s:I,s:b,s:[o]}", "from_node", node_b, "cursor", (json_int_t)4,
                          "more", 0, "objects",
                          fake_case_led(&ib, CASE1, A.admin_org, B.admin_org));
    char *text = json_dumps(b, JSON_COMPACT);
    r = kz_post(&A, "/api/v1/sync/push", B_AT_A, text);
    free(text);
    json_decref(b);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "applied.cases")), 0);
    kz_resp_free(&r);
    assert_int_equal(case_on(&A, CASE1, &a, &c), 0);
    assert_string_equal(c.lead_org, A.admin_org);
    assert_string_equal(c.title, "Phishing wave");
    kz_arena_free(&a);
    kz_sync_identity_clear(&ib);
}

/* An invited org's summary has no response times and does not name who
 * at the lead's invited it, as the API's summary for it has neither: how
 * fast the lead acted is for those who took part. */
static void test_summary_has_no_response_times(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "/api/v1/cases/%s/transition", CASE2);
    kz_resp r = kz_post(&A, path, A.admin_key, "{\"status\":\"acknowledged\"}");
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    bool there = false;
    for (long t = 0; t < 20000 && !there; t += 100) {
        there = case_on(&B, CASE2, &a, &c) == 0 && c.status == KZ_CASE_ACKNOWLEDGED;
        if (!there)
            kz_sleep_ms(100);
    }
    assert_true(there);
    assert_int_equal(part_state(&B, CASE2, B.admin_org), KZ_PART_INVITED);
    assert_int_equal(c.acknowledged_at, 0);
    assert_int_equal(c.n_participants, 1);
    assert_string_equal(c.participants[0].invited_by, ""); /* nor who at A invited B */
    assert_int_equal(case_on(&A, CASE2, &a, &c), 0);
    assert_true(c.acknowledged_at > 0);
    kz_arena_free(&a);
}

/* The user an action names is recorded as who did it: the home node
 * refuses one that names a user of another org there (A's admin). */
static void test_action_user_of_other_org_refused(void **state)
{
    (void)state;
    kz_resp me = kz_get(&A, "/api/v1/me", A.admin_key);
    KZ_EXPECT(me, 200);
    char a_user[40];
    snprintf(a_user, sizeof a_user, "%s", kz_resp_str(&me, "user.id"));
    kz_resp_free(&me);
    kz_node_identity ib;
    load_identity(&B, &ib);
    kz_sync_case_action x = {.action = "comment", .text = "said by A's admin", .tlp = KZ_TLP_AMBER,
                             .status = -1, .obs_type = -1, .created = 1700000000000020};
    action_of(&x, "4f000000-0000-4000-8000-0000000000b1", CASE1, B.admin_org);
    snprintf(x.user_id, sizeof x.user_id, "%.36s", a_user);
    json_t *env = NULL;
    kz_err err = {0};
    assert_int_equal(kz_sync_envelope_case_action(&ib, &x, &env, &err), 0);
    char node_b[128], pk[65];
    kz_fed_node_key(&B, pk, node_b, sizeof node_b);
    json_t *b = json_pack("{s:s,s:I,s:b,s:[o]}", "from_node", node_b, "cursor", (json_int_t)3,
                          "more", 0, "objects", env);
    char *text = json_dumps(b, JSON_COMPACT);
    kz_resp r = kz_post(&A, "/api/v1/sync/push", B_AT_A, text);
    free(text);
    json_decref(b);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "applied.case_actions")), 0);
    kz_resp_free(&r);
    assert_false(has_entry(&A, CASE1, "said by A's admin"));
    kz_store *st = kz_fed_open_db(&A);
    kz_arena a;
    kz_arena_init(&a);
    char *body = NULL, *st_state = NULL;
    assert_int_equal(kz_store_case_action_get(st, x.id, &a, &body, &st_state, NULL, &err), 0);
    assert_string_equal(st_state, "refused");
    kz_arena_free(&a);
    kz_store_close(st);
    kz_sync_identity_clear(&ib);
}

/* The peer's TLP ceiling binds entries as it binds the case: held to
 * GREEN, B's node gets a GREEN case but not an AMBER entry of the lead's
 * in it; B's own AMBER entry (written from B's node) still comes back. */
static void test_ceiling_binds_entries(void **state)
{
    (void)state;
    assert_int_equal(KZ_CLI(&A, NULL, 0, "peer", "set", "b", "--tlp-ceiling", "green"), 0);
    char case_g[40], path[160];
    post_ok(&A, "/api/v1/cases",
            "{\"title\":\"green one\",\"category\":\"fraud\",\"subtype\":\"phishing\","
            "\"tlp\":\"green\"}",
            201, case_g);
    invite(case_g, B.admin_org);
    KZ_WAIT_UNTIL(has_case(&B, case_g), 20000);
    assert_true(has_case(&B, case_g));
    kz_resp r = answer_from(&B, case_g, "accept");
    kz_resp_free(&r);
    KZ_WAIT_UNTIL(part_state(&B, case_g, B.admin_org) == KZ_PART_ACCEPTED, 20000);
    assert_int_equal(part_state(&B, case_g, B.admin_org), KZ_PART_ACCEPTED);
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", case_g);
    post_ok(&A, path, "{\"kind\":\"comment\",\"text\":\"amber above the ceiling\","
                      "\"tlp\":\"amber\"}",
            201, NULL);
    r = kz_post(&B, path, B.admin_key,
                "{\"kind\":\"comment\",\"text\":\"b amber own\",\"tlp\":\"amber\"}");
    KZ_EXPECT(r, 202);
    kz_resp_free(&r);
    KZ_WAIT_UNTIL(has_entry(&A, case_g, "b amber own"), 20000);
    post_ok(&A, path, "{\"kind\":\"comment\",\"text\":\"green marker\"}", 201, NULL);
    KZ_WAIT_UNTIL(has_entry(&B, case_g, "green marker") && has_entry(&B, case_g, "b amber own"),
               20000);
    assert_true(has_entry(&B, case_g, "green marker"));
    assert_true(has_entry(&B, case_g, "b amber own"));
    assert_true(has_entry(&A, case_g, "amber above the ceiling"));
    assert_false(has_entry(&B, case_g, "amber above the ceiling"));
    assert_int_equal(KZ_CLI(&A, NULL, 0, "peer", "set", "b", "--tlp-ceiling", "amber+strict"), 0);
}

/* An org a case names that B's node knew nothing of (C, a participant of
 * CASE1) becomes a placeholder there, but not an org homed on B: C's own
 * event, relayed to B by A (a hub B accepts introductions from), is
 * introduced and stored as it would have been without the case, instead
 * of refusing A's whole batch as a forgery of a local org. */
static void test_placeholder_org_not_local(void **state)
{
    (void)state;
    assert_true(part_state(&B, CASE1, C.admin_org) >= 0); /* B's copy names C */
    assert_int_equal(KZ_CLI(&B, NULL, 0, "peer", "set", "a", "--relay", "on"), 0);
    char ev[40], path[160];
    post_ok(&C, "/api/v1/events",
            "{\"title\":\"c kit\",\"tlp\":\"clear\",\"distribution\":\"all\","
            "\"indicators\":[{\"type\":\"domain\",\"value\":\"c-kit.evil.example\"}]}",
            201, ev);
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    kz_resp r;
    kz_http(&C, "POST", path, C.admin_key, NULL, NULL, 0, &r);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    KZ_WAIT_UNTIL(has_event(&A, ev), 20000);
    assert_true(has_event(&A, ev));
    assert_int_equal(KZ_CLI(&A, NULL, 0, "sync", "now", "b"), 0);
    KZ_WAIT_UNTIL(has_event(&B, ev), 20000);
    assert_true(has_event(&B, ev));
}

/* How many case actions n has queued (change log rows of kind case_action). */
static size_t queued_actions(kz_node *n)
{
    kz_store *st = kz_fed_open_db(n);
    kz_arena a;
    kz_arena_init(&a);
    kz_change *ch = NULL;
    size_t k = 0, q = 0;
    kz_err err = {0};
    assert_int_equal(kz_store_changes(st, 0, 100000, &a, &ch, &k, &err), 0);
    for (size_t i = 0; i < k; i++)
        q += !strcmp(ch[i].kind, "case_action");
    kz_arena_free(&a);
    kz_store_close(st);
    return q;
}

/* A node holding a copy but no peer for the lead's node (D once its
 * operator removed peer a): the action could never travel, so the API
 * answers 409 saying so instead of 202, and nothing is queued. */
static void test_no_peer_for_home(void **state)
{
    (void)state;
    kz_store *st = kz_fed_open_db(&D);
    kz_arena a;
    kz_arena_init(&a);
    kz_case *v = NULL;
    size_t n = 0;
    kz_err err = {0};
    kz_case_filter f = {.status = -1, .drill = -1};
    assert_int_equal(kz_store_case_list(st, &f, &a, &v, &n, NULL, &err), 0);
    assert_int_equal(n, 1);
    char case_d[40];
    snprintf(case_d, sizeof case_d, "%s", v[0].id);
    kz_arena_free(&a);
    kz_store_close(st);
    size_t before = queued_actions(&D);
    assert_int_equal(KZ_CLI(&D, NULL, 0, "peer", "remove", "a"), 0);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/cases/%s/timeline", case_d);
    kz_resp r = kz_post(&D, path, D.admin_key, "{\"kind\":\"comment\",\"text\":\"lost\"}");
    KZ_EXPECT(r, 409);
    assert_non_null(strstr(kz_resp_str(&r, "error.message"), "no peer for that node"));
    kz_resp_free(&r);
    assert_int_equal(queued_actions(&D), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invited_gets_summary),
        cmocka_unit_test(test_accept_from_own_node),
        cmocka_unit_test(test_strict_entries_stay_home),
        cmocka_unit_test(test_participant_works_from_own_node),
        cmocka_unit_test(test_participant_links_from_own_node),
        cmocka_unit_test(test_action_results_reach_participant),
        cmocka_unit_test(test_lead_only_on_copy),
        cmocka_unit_test(test_cli_participant_work_is_sent),
        cmocka_unit_test(test_non_participants_never_receive),
        cmocka_unit_test(test_forged_case_envelopes_refused),
        cmocka_unit_test(test_home_acl_refuses_actions),
        cmocka_unit_test(test_decline_from_own_node),
        cmocka_unit_test(test_bundles_carry_cases),
        cmocka_unit_test(test_copy_not_taken_over),
        cmocka_unit_test(test_summary_has_no_response_times),
        cmocka_unit_test(test_action_user_of_other_org_refused),
        cmocka_unit_test(test_ceiling_binds_entries),
        cmocka_unit_test(test_placeholder_org_not_local),
        cmocka_unit_test(test_no_peer_for_home),
        cmocka_unit_test(test_actions_listed_for_own_org),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
