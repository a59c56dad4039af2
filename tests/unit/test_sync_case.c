/* test_sync_case.c — the wire form of cases (issue 7 across nodes): the
 * case snapshot and the case action envelopes, their canonical bytes and
 * what opening them checks; and how a received copy is stored (old
 * snapshots replayed, corrections that name another case's entry).
 *
 * Expectations are independent of the code under test where it matters:
 * the canonical bytes of an action are compared with a literal, and the
 * tampering test flips every byte of a real envelope's body text.
 */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store/store.h"
#include "sync/sync.h"

#define LEAD "0a000000-0000-4000-8000-000000000001"
#define ORGB "0a000000-0000-4000-8000-000000000002"
#define ORGC "0a000000-0000-4000-8000-000000000003"
#define CASE_ID "1c000000-0000-4000-8000-0000000000c1"
#define TASK_ID "2d000000-0000-4000-8000-0000000000d1"
#define ENTRY_ID "3e000000-0000-4000-8000-0000000000e1"
#define ACT_ID "4f000000-0000-4000-8000-0000000000f1"
#define USER_B "9f000000-0000-4000-8000-0000000000f2"

static void make_id(kz_node_identity *id, uint8_t seed_byte, const char *org)
{
    memset(id, 0, sizeof *id);
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair(id->public_key, id->secret_key, seed);
    kz_sync_fingerprint(id->public_key, id->fingerprint);
    snprintf(id->org_id, sizeof id->org_id, "%s", org);
    snprintf(id->node_id, sizeof id->node_id, "%s/%s", org, id->fingerprint);
}

typedef struct trust_ctx {
    const char *org;
    const uint8_t *key;
} trust_ctx;

static bool trust(void *ctx, const char *org_id, const uint8_t key[32])
{
    trust_ctx *t = ctx;
    return !strcmp(org_id, t->org) && !memcmp(key, t->key, 32);
}

/* A full snapshot: two participants, a task, one entry. */
static void fixture(kz_case_snapshot *s, kz_case_participant parts[2], kz_case_task *task,
                    kz_case_entry *entry)
{
    memset(s, 0, sizeof *s);
    kz_case *c = &s->c;
    snprintf(c->id, sizeof c->id, CASE_ID);
    c->title = "Phishing wave";
    c->description = "lures against banks";
    c->severity = 2;
    c->tlp = KZ_TLP_AMBER;
    c->pap = KZ_PAP_AMBER;
    c->category = "fraud";
    c->subtype = "phishing";
    c->status = KZ_CASE_NEW;
    snprintf(c->lead_org, sizeof c->lead_org, LEAD);
    c->created = 1700000000000000;
    c->modified = 1700000000000001;
    memset(parts, 0, 2 * sizeof *parts);
    snprintf(parts[0].org_id, sizeof parts[0].org_id, ORGB);
    parts[0].state = KZ_PART_ACCEPTED;
    parts[0].invited_at = 1700000000000000;
    parts[0].answered_at = 1700000000000001;
    snprintf(parts[1].org_id, sizeof parts[1].org_id, ORGC);
    parts[1].state = KZ_PART_INVITED;
    parts[1].invited_at = 1700000000000000;
    c->participants = parts;
    c->n_participants = 2;
    memset(task, 0, sizeof *task);
    snprintf(task->id, sizeof task->id, TASK_ID);
    snprintf(task->case_id, sizeof task->case_id, CASE_ID);
    task->title = "take the lure down";
    snprintf(task->org_id, sizeof task->org_id, ORGB);
    task->status = KZ_TASK_WAITING;
    task->created = task->modified = 1700000000000000;
    s->tasks = task;
    s->n_tasks = 1;
    memset(entry, 0, sizeof *entry);
    snprintf(entry->id, sizeof entry->id, ENTRY_ID);
    snprintf(entry->case_id, sizeof entry->case_id, CASE_ID);
    entry->kind = KZ_ENTRY_COMMENT;
    entry->text = "seen here too";
    entry->tlp = KZ_TLP_AMBER;
    snprintf(entry->org_id, sizeof entry->org_id, ORGB);
    entry->at = 1700000000000001;
    s->entries = entry;
    s->n_entries = 1;
    /* what became of two of the audience's actions */
    static kz_case_action_result results[2] = {
        {.id = "4f000000-0000-4000-8000-0000000000b1", .state = "applied"},
        {.id = "4f000000-0000-4000-8000-0000000000b2", .state = "refused",
         .note = "link: no such object here"},
    };
    s->results = results;
    s->n_results = 2;
}

static void test_case_round_trip_and_tamper(void **state)
{
    (void)state;
    kz_node_identity lead, other;
    make_id(&lead, 1, LEAD);
    make_id(&other, 2, ORGC);
    kz_case_snapshot s;
    kz_case_participant parts[2];
    kz_case_task task;
    kz_case_entry entry;
    fixture(&s, parts, &task, &entry);
    json_t *env = NULL;
    kz_err err = {0};
    assert_int_equal(kz_sync_envelope_case(&lead, ORGB, &s, &env, &err), 0);
    assert_string_equal(json_string_value(json_object_get(env, "kind")), "case");

    kz_arena a;
    kz_arena_init(&a);
    trust_ctx t = {LEAD, lead.public_key};
    kz_sync_object o;
    assert_int_equal(kz_sync_envelope_open(env, trust, &t, &a, &o, &err), 0);
    assert_int_equal(o.kind, KZ_SYNC_CASE);
    assert_string_equal(o.audience, ORGB);
    assert_string_equal(o.case_snap.c.title, "Phishing wave");
    assert_int_equal(o.case_snap.n_tasks, 1);
    assert_int_equal(o.case_snap.c.n_participants, 2);
    assert_string_equal(o.case_snap.entries[0].text, "seen here too");
    assert_int_equal(o.case_snap.n_results, 2);
    assert_string_equal(o.case_snap.results[1].state, "refused");
    assert_string_equal(o.case_snap.results[1].note, "link: no such object here");
    assert_null(o.case_snap.results[0].note);
    /* The canonical bytes recomputed from what was read are the signed ones. */
    kz_buf c1, c2;
    kz_buf_init(&c1);
    kz_buf_init(&c2);
    assert_int_equal(kz_sync_canon_case(ORGB, &s, &c1, &err), 0);
    assert_int_equal(kz_sync_canon_case(o.audience, &o.case_snap, &c2, &err), 0);
    assert_int_equal(c1.len, c2.len);
    assert_memory_equal(c1.p, c2.p, c1.len);
    kz_buf_free(&c1);
    kz_buf_free(&c2);

    /* Signed by a node that does not speak for the lead org: refused. */
    trust_ctx wrong = {LEAD, other.public_key};
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_open(env, trust, &wrong, &a, &o, &err), KZ_E_UNAUTH);
    assert_non_null(strstr(err.msg, "not trusted"));

    /* Every byte of the body's text flipped: never opens. */
    json_t *body = json_object_get(env, "body");
    char *text = json_dumps(body, JSON_COMPACT);
    size_t n = strlen(text);
    size_t opened = 0;
    for (size_t i = 0; i < n; i++) {
        char *copy = strdup(text);
        copy[i] ^= 0x01;
        json_t *b2 = json_loads(copy, 0, NULL);
        free(copy);
        if (!b2)
            continue;
        json_t *e2 = json_deep_copy(env);
        json_object_set_new(e2, "body", b2);
        kz_err e = {0};
        if (kz_sync_envelope_open(e2, trust, &t, &a, &o, &e) == 0)
            opened++;
        json_decref(e2);
    }
    free(text);
    assert_int_equal(opened, 0);
    /* Malformed bodies: an unknown field, a wrong type, a list that is
     * not one, the lead named as a participant. Each names what was wrong. */
    struct {
        const char *path, *key;
        json_t *value;
        const char *fragment;
    } bad[] = {
        {"case", "colour", json_string("red"), "unknown field"},
        {"case", "severity", json_string("2"), "severity"},
        {"case", "severity", json_integer(9), "severity"},
        {"case", "subtype", json_string("spam"), "subtype"},
        {NULL, "tasks", json_object(), "tasks"},
        {NULL, "view", json_string("everything"), "view"},
        {NULL, "audience", json_string("not-a-uuid"), "audience"},
        {NULL, "actions", json_object(), "actions"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        json_t *e2 = json_deep_copy(env);
        json_t *b2 = json_object_get(e2, "body");
        json_object_set_new(bad[k].path ? json_object_get(b2, bad[k].path) : b2, bad[k].key,
                            bad[k].value);
        kz_err e = {0};
        int rc = kz_sync_envelope_open(e2, trust, &t, &a, &o, &e);
        if (rc != KZ_E_INVALID || !strstr(e.msg, bad[k].fragment))
            fail_msg("bad %zu: rc %d: %s", k, rc, e.msg);
        json_decref(e2);
    }
    /* An action result: a state other than applied or refused, a note
     * that is not text, more results than a snapshot carries. */
    struct {
        const char *key;
        json_t *value;
        const char *fragment;
    } bad_result[] = {
        {"state", json_string("maybe"), "applied or refused"},
        {"note", json_integer(1), "note"},
        {"id", json_string("not-a-uuid"), "id"},
    };
    for (size_t k = 0; k < sizeof bad_result / sizeof bad_result[0]; k++) {
        json_t *e3 = json_deep_copy(env);
        json_t *r0 = json_array_get(json_object_get(json_object_get(e3, "body"), "actions"), 0);
        json_object_set_new(r0, bad_result[k].key, bad_result[k].value);
        kz_err e = {0};
        int rc = kz_sync_envelope_open(e3, trust, &t, &a, &o, &e);
        if (rc != KZ_E_INVALID || !strstr(e.msg, bad_result[k].fragment))
            fail_msg("bad result %zu: rc %d: %s", k, rc, e.msg);
        json_decref(e3);
    }
    json_t *e4 = json_deep_copy(env);
    json_t *many = json_object_get(json_object_get(e4, "body"), "actions");
    while (json_array_size(many) <= KZ_CASE_RESULTS_MAX)
        json_array_append(many, json_array_get(many, 0));
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_open(e4, trust, &t, &a, &o, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "more than"));
    json_decref(e4);
    json_t *e2 = json_deep_copy(env);
    json_t *p0 = json_array_get(json_object_get(json_object_get(e2, "body"), "participants"), 0);
    json_object_set_new(p0, "org_id", json_string(LEAD));
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_open(e2, trust, &t, &a, &o, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "lead org"));
    json_decref(e2);
    json_decref(env);
    kz_arena_free(&a);
}

static void test_case_summary_rules(void **state)
{
    (void)state;
    kz_node_identity lead;
    make_id(&lead, 1, LEAD);
    kz_case_snapshot s;
    kz_case_participant parts[2];
    kz_case_task task;
    kz_case_entry entry;
    fixture(&s, parts, &task, &entry);
    /* A summary that still carries tasks is refused before signing. */
    s.summary = true;
    json_t *env = NULL;
    kz_err err = {0};
    assert_int_equal(kz_sync_envelope_case(&lead, ORGC, &s, &env, &err), KZ_E_INVALID);
    assert_null(env);
    /* The summary proper: the audience's own invitation only. */
    s.tasks = NULL, s.n_tasks = 0, s.entries = NULL, s.n_entries = 0;
    s.c.participants = &parts[1];
    s.c.n_participants = 1;
    assert_int_equal(kz_sync_envelope_case(&lead, ORGC, &s, &env, &err), 0);
    json_t *jc = json_object_get(json_object_get(env, "body"), "case");
    assert_true(json_is_null(json_object_get(jc, "description")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(env, "body"), "view")),
                        "summary");
    json_decref(env);
    /* ... for another audience than the row it carries: refused. */
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_case(&lead, ORGB, &s, &env, &err), KZ_E_INVALID);
}

static void test_case_action_canon(void **state)
{
    (void)state;
    kz_node_identity nb;
    make_id(&nb, 3, ORGB);
    kz_sync_case_action x = {.action = "task_status", .tlp = -1, .status = KZ_TASK_DONE,
                             .obs_type = -1, .created = 1700000000000002};
    snprintf(x.id, sizeof x.id, ACT_ID);
    snprintf(x.case_id, sizeof x.case_id, CASE_ID);
    snprintf(x.lead_org, sizeof x.lead_org, LEAD);
    snprintf(x.org_id, sizeof x.org_id, ORGB);
    snprintf(x.user_id, sizeof x.user_id, USER_B);
    snprintf(x.task_id, sizeof x.task_id, TASK_ID);
    kz_buf c;
    kz_buf_init(&c);
    kz_err err = {0};
    assert_int_equal(kz_sync_canon_case_action(&x, &c, &err), 0);
    const char *want =
        "{\"action\":\"task_status\",\"case_id\":\"" CASE_ID "\",\"comment\":null,"
        "\"corrects\":null,\"created\":1700000000000002,\"id\":\"" ACT_ID "\","
        "\"lead_org\":\"" LEAD "\",\"link_kind\":null,\"object_id\":null,\"org_id\":\"" ORGB "\","
        "\"status\":\"done\",\"task_id\":\"" TASK_ID "\",\"text\":null,\"tlp\":null,"
        "\"type\":null,\"user_id\":\"" USER_B "\",\"value\":null}";
    assert_int_equal(c.len, strlen(want));
    assert_memory_equal(c.p, want, c.len);
    kz_buf_free(&c);

    json_t *env = NULL;
    assert_int_equal(kz_sync_envelope_case_action(&nb, &x, &env, &err), 0);
    kz_arena a;
    kz_arena_init(&a);
    kz_sync_object o;
    trust_ctx t = {ORGB, nb.public_key};
    assert_int_equal(kz_sync_envelope_open(env, trust, &t, &a, &o, &err), 0);
    assert_int_equal(o.kind, KZ_SYNC_CASE_ACTION);
    assert_int_equal(o.case_action.status, KZ_TASK_DONE);
    /* A field that does not go with the action: refused, not ignored. */
    json_object_set_new(json_object_get(env, "body"), "text", json_string("extra"));
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_open(env, trust, &t, &a, &o, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "text"));
    /* A case action signed as a case (other domain) never verifies. */
    json_object_set_new(json_object_get(env, "body"), "text", json_null());
    json_object_set_new(env, "kind", json_string("case"));
    memset(&err, 0, sizeof err);
    assert_int_not_equal(kz_sync_envelope_open(env, trust, &t, &a, &o, &err), 0);
    json_decref(env);
    kz_arena_free(&a);

    /* An observable whose value is not in normal form is refused before
     * signing. */
    kz_sync_case_action y = {.action = "observable", .tlp = -1, .status = -1,
                             .obs_type = KZ_IOC_DOMAIN, .value = "EVIL.example.com",
                             .created = 1};
    snprintf(y.id, sizeof y.id, ACT_ID);
    snprintf(y.case_id, sizeof y.case_id, CASE_ID);
    snprintf(y.lead_org, sizeof y.lead_org, LEAD);
    snprintf(y.org_id, sizeof y.org_id, ORGB);
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_case_action(&nb, &y, &env, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "normal form"));
}

/* What each view may carry, checked by the reader that the builder runs
 * before signing (and the receiver on arrival): a full view only for the
 * lead or an org that accepted, a summary without the response times (the
 * API's summary has none), an entry action with a text. */
static void test_case_view_rules(void **state)
{
    (void)state;
    kz_node_identity lead, nb;
    make_id(&lead, 1, LEAD);
    make_id(&nb, 3, ORGB);
    kz_case_snapshot s;
    kz_case_participant parts[2];
    kz_case_task task;
    kz_case_entry entry;
    fixture(&s, parts, &task, &entry);
    json_t *env = NULL;
    kz_err err = {0};
    /* ORGC is only invited: the whole case is not for it */
    assert_int_equal(kz_sync_envelope_case(&lead, ORGC, &s, &env, &err), KZ_E_INVALID);
    assert_null(env);
    assert_non_null(strstr(err.msg, "full view"));
    /* nor for an org that is no participant at all */
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_case(&lead, "0a000000-0000-4000-8000-000000000009", &s,
                                           &env, &err),
                     KZ_E_INVALID);
    /* the lead's own (second) node may hold it whole */
    assert_int_equal(kz_sync_envelope_case(&lead, LEAD, &s, &env, &err), 0);
    json_decref(env);
    env = NULL;

    /* ORGC's summary, once the lead has acknowledged the case */
    s.summary = true;
    s.tasks = NULL, s.n_tasks = 0, s.entries = NULL, s.n_entries = 0;
    s.c.participants = &parts[1];
    s.c.n_participants = 1;
    s.c.status = KZ_CASE_ACKNOWLEDGED;
    s.c.acknowledged_at = 1700000000000005;
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_case(&lead, ORGC, &s, &env, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "response times"));
    s.c.acknowledged_at = 0;
    assert_int_equal(kz_sync_envelope_case(&lead, ORGC, &s, &env, &err), 0);
    json_decref(env);

    /* a comment with an empty text: the home node's store would refuse it
     * and with it the whole batch, so it is refused here */
    kz_sync_case_action x = {.action = "comment", .text = "", .tlp = KZ_TLP_AMBER,
                             .status = -1, .obs_type = -1, .created = 1};
    snprintf(x.id, sizeof x.id, ACT_ID);
    snprintf(x.case_id, sizeof x.case_id, CASE_ID);
    snprintf(x.lead_org, sizeof x.lead_org, LEAD);
    snprintf(x.org_id, sizeof x.org_id, ORGB);
    env = NULL;
    memset(&err, 0, sizeof err);
    assert_int_equal(kz_sync_envelope_case_action(&nb, &x, &env, &err), KZ_E_INVALID);
    assert_null(env);
    assert_non_null(strstr(err.msg, "'text' must not be empty"));
}

/* ---- the copy in the store (kz_store_sync_case_put) --------------------- */

static kz_store *open_store(char **dir)
{
    *dir = kz_test_mkdtemp();
    assert_non_null(*dir);
    char path[600];
    snprintf(path, sizeof path, "%s/kz.db", *dir);
    kz_store *st = NULL;
    kz_err err = {0};
    if (kz_store_open(path, &st, &err) != 0)
        fail_msg("open: %s", err.msg);
    static const char *const ids[] = {LEAD, ORGB, ORGC};
    static const char *const names[] = {"CERT-A", "CERT-B", "CERT-C"};
    for (int i = 0; i < 3; i++) {
        kz_org o = {.created = 1, .modified = 1};
        snprintf(o.id, sizeof o.id, "%s", ids[i]);
        o.name = (char *)names[i];
        memcpy(o.country, "SG", 3);
        if (kz_store_org_put(st, &o, &err) != 0)
            fail_msg("org: %s", err.msg);
    }
    return st;
}

static void close_store(kz_store *st, char *dir)
{
    kz_store_close(st);
    kz_test_rmdir(dir);
    free(dir);
}

/* An old snapshot replayed does not undo what a newer one said of an
 * observable (it was promoted), and a correction naming an entry of
 * another case is left out, not a store error that refuses the batch. */
static void test_case_copy_rules(void **state)
{
    (void)state;
    char *dir = NULL;
    kz_store *st = open_store(&dir);
    kz_case_snapshot s;
    kz_case_participant parts[2];
    kz_case_task task;
    kz_case_entry entry;
    fixture(&s, parts, &task, &entry);
    kz_case_observable obs = {.type = KZ_IOC_DOMAIN, .value = "lure.example",
                              .added = 1700000000000001};
    snprintf(obs.id, sizeof obs.id, "5a000000-0000-4000-8000-0000000000a1");
    snprintf(obs.case_id, sizeof obs.case_id, CASE_ID);
    snprintf(obs.indicator_id, sizeof obs.indicator_id, "5a000000-0000-4000-8000-0000000000b1");
    s.observables = &obs;
    s.n_observables = 1;
    s.c.modified = 1700000000000009; /* the newer state: promoted */
    bool changed = false;
    kz_err err = {0};
    assert_int_equal(kz_store_sync_case_put(st, &s, &changed, &err), 0);
    assert_true(changed);
    /* the older snapshot, from before the promotion, replayed */
    s.c.modified = 1700000000000002;
    obs.indicator_id[0] = '\0';
    assert_int_equal(kz_store_sync_case_put(st, &s, &changed, &err), 0);
    assert_false(changed);
    kz_arena a;
    kz_arena_init(&a);
    kz_case_observable *v = NULL;
    size_t n = 0;
    assert_int_equal(kz_store_case_observables(st, CASE_ID, &a, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].indicator_id, "5a000000-0000-4000-8000-0000000000b1");

    /* another case held here, and an entry of it */
    kz_case_snapshot s2;
    kz_case_participant parts2[2];
    kz_case_task task2;
    kz_case_entry entry2;
    fixture(&s2, parts2, &task2, &entry2);
    snprintf(s2.c.id, sizeof s2.c.id, "1c000000-0000-4000-8000-0000000000c2");
    snprintf(task2.id, sizeof task2.id, "2d000000-0000-4000-8000-0000000000d2");
    snprintf(entry2.id, sizeof entry2.id, "3e000000-0000-4000-8000-0000000000e2");
    snprintf(task2.case_id, sizeof task2.case_id, "%s", s2.c.id);
    snprintf(entry2.case_id, sizeof entry2.case_id, "%s", s2.c.id);
    assert_int_equal(kz_store_sync_case_put(st, &s2, &changed, &err), 0);
    /* the first case's next snapshot "corrects" that entry */
    kz_case_entry two[2];
    two[0] = entry;
    memset(&two[1], 0, sizeof two[1]);
    snprintf(two[1].id, sizeof two[1].id, "3e000000-0000-4000-8000-0000000000e3");
    snprintf(two[1].case_id, sizeof two[1].case_id, CASE_ID);
    snprintf(two[1].corrects, sizeof two[1].corrects, "%s", entry2.id);
    snprintf(two[1].org_id, sizeof two[1].org_id, LEAD);
    two[1].kind = KZ_ENTRY_CORRECTION;
    two[1].text = "corrects another case";
    two[1].tlp = KZ_TLP_AMBER;
    two[1].at = 1700000000000010;
    s.entries = two;
    s.n_entries = 2;
    s.c.modified = 1700000000000010;
    memset(&err, 0, sizeof err);
    if (kz_store_sync_case_put(st, &s, &changed, &err) != 0)
        fail_msg("put: %s", err.msg);
    kz_case_entry *e = NULL;
    assert_int_equal(kz_store_case_entries(st, CASE_ID, &a, &e, &n, &err), 0);
    assert_int_equal(n, 1); /* the comment; the stray correction left out */
    assert_string_equal(e[0].id, ENTRY_ID);
    kz_arena_free(&a);
    close_store(st, dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_round_trip_and_tamper),
        cmocka_unit_test(test_case_summary_rules),
        cmocka_unit_test(test_case_action_canon),
        cmocka_unit_test(test_case_view_rules),
        cmocka_unit_test(test_case_copy_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
