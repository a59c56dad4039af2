/* test_cases.c — joint incident cases below HTTP: every status transition
 * (valid and invalid) checked against a literal table, the RSIT pairs, the
 * case access decision (lead, participant, invited, declined, stranger,
 * roles, entry TLP), the response metrics, the case JSON parsers' errors,
 * and the store: workflow with who/when, invitations, tasks, links, the
 * append-only timeline (the SQLite triggers refuse UPDATE and DELETE).
 */
#include "kz_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "store/store.h"

/* ---- workflow ------------------------------------------------------------------------------- */

enum { N = KZ_CASE_STATUS_COUNT };
/* EXPECT[from][to]: the whole workflow, written out by hand. */
static const bool EXPECT[N][N] = {
    /*                 new  ack  inp  con  res  clo */
    /* new        */ {false, true, false, false, false, false},
    /* ack        */ {false, false, true, false, false, false},
    /* in_progress*/ {false, false, false, true, false, false},
    /* contained  */ {false, false, true, false, true, false},
    /* resolved   */ {false, false, true, false, false, true},
    /* closed     */ {false, false, true, false, false, false},
};

static void test_transition_table(void **state)
{
    (void)state;
    size_t valid = 0;
    for (int f = 0; f < N; f++)
        for (int t = 0; t < N; t++) {
            const char *why = "unset";
            bool ok = kz_case_transition_valid((kz_case_status)f, (kz_case_status)t, &why);
            if (ok != EXPECT[f][t])
                fail_msg("%s -> %s: got %d, want %d", kz_case_status_name((kz_case_status)f),
                         kz_case_status_name((kz_case_status)t), ok, EXPECT[f][t]);
            if (ok) {
                assert_null(why);
                valid++;
            } else {
                assert_non_null(why);
            }
        }
    assert_int_equal(valid, 8);
}

static void test_transition_reasons(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_false(kz_case_transition_valid(KZ_CASE_NEW, KZ_CASE_CONTAINED, &why));
    assert_string_equal(why, "a new case can only be acknowledged");
    assert_false(kz_case_transition_valid(KZ_CASE_IN_PROGRESS, KZ_CASE_IN_PROGRESS, &why));
    assert_string_equal(why, "the case already has this status");
    assert_false(kz_case_transition_valid(KZ_CASE_CLOSED, KZ_CASE_NEW, &why));
    assert_string_equal(why, "a closed case can only be reopened (in_progress)");
    assert_false(kz_case_transition_valid(KZ_CASE_NEW, (kz_case_status)9, &why));
    assert_string_equal(why, "unknown status");
    assert_true(kz_case_is_reopen(KZ_CASE_CLOSED, KZ_CASE_IN_PROGRESS));
    assert_true(kz_case_is_reopen(KZ_CASE_RESOLVED, KZ_CASE_IN_PROGRESS));
    assert_false(kz_case_is_reopen(KZ_CASE_CONTAINED, KZ_CASE_IN_PROGRESS));
    assert_true(kz_case_status_open(KZ_CASE_CONTAINED));
    assert_false(kz_case_status_open(KZ_CASE_RESOLVED));
    assert_false(kz_case_status_open(KZ_CASE_CLOSED));
}

static void test_names(void **state)
{
    (void)state;
    static const char *const st[] = {"new",       "acknowledged", "in_progress",
                                     "contained", "resolved",     "closed"};
    for (int i = 0; i < N; i++) {
        assert_string_equal(kz_case_status_name((kz_case_status)i), st[i]);
        assert_int_equal(kz_case_status_parse(st[i]), i);
    }
    assert_int_equal(kz_case_status_parse("New"), -1);
    assert_int_equal(kz_case_status_parse("open"), -1);
    assert_null(kz_case_status_name((kz_case_status)6));
    assert_int_equal(kz_participation_parse("declined"), KZ_PART_DECLINED);
    assert_int_equal(kz_task_status_parse("cancelled"), KZ_TASK_CANCELLED);
    assert_int_equal(kz_task_status_parse("canceled"), -1);
    assert_int_equal(kz_entry_kind_parse("correction"), KZ_ENTRY_CORRECTION);
}

/* ---- RSIT ----------------------------------------------------------------------------------- */

static const char *const RSIT[][6] = {
    {"abusive-content", "spam", "harmful-speech", "violence", NULL},
    {"malicious-code", "infected-system", "c2-server", "malware-distribution",
     "malware-configuration", NULL},
    {"information-gathering", "scanner", "sniffing", "social-engineering", NULL},
    {"intrusion-attempts", "ids-alert", "brute-force", "exploit", NULL},
    {"intrusions", "privileged-account-compromise", "unprivileged-account-compromise",
     "application-compromise", "system-compromise", "burglary"},
    {"availability", "dos", "ddos", "misconfiguration", "sabotage", "outage"},
    {"information-content-security", "unauthorised-information-access",
     "unauthorised-information-modification", "data-loss", "data-leak", NULL},
    {"fraud", "unauthorised-use-of-resources", "copyright", "masquerade", "phishing", NULL},
    {"vulnerable", "weak-crypto", "ddos-amplifier", "potentially-unwanted-accessible",
     "information-disclosure", "vulnerable-system"},
    {"other", "other", "undetermined", NULL},
    {"test", "test", NULL},
};

static void test_rsit_pairs(void **state)
{
    (void)state;
    size_t n_cat = 0, n_pairs = 0;
    while (kz_rsit_categories[n_cat])
        n_cat++;
    assert_int_equal(n_cat, KZ_ARRAY_LEN(RSIT));
    for (size_t i = 0; i < KZ_ARRAY_LEN(RSIT); i++) {
        assert_string_equal(kz_rsit_categories[i], RSIT[i][0]);
        const char *const *types = kz_rsit_types(RSIT[i][0]);
        assert_non_null(types);
        size_t k = 0;
        for (; k < 5 && RSIT[i][k + 1]; k++) {
            kz_err err = {0};
            assert_string_equal(types[k], RSIT[i][k + 1]);
            assert_int_equal(kz_rsit_valid(RSIT[i][0], RSIT[i][k + 1], &err), 0);
            n_pairs++;
        }
        assert_null(types[k]);
    }
    assert_int_equal(n_pairs, 39);
}

static void test_rsit_invalid(void **state)
{
    (void)state;
    kz_err err = {0};
    assert_int_equal(kz_rsit_valid("intrusions", "spam", &err), KZ_E_VALUE);
    assert_string_equal(err.field, "subtype");
    assert_non_null(strstr(err.msg, "'spam' is not an RSIT incident type of 'intrusions'"));
    assert_non_null(strstr(err.msg, "system-compromise"));
    assert_int_equal(kz_rsit_valid("Intrusions", "burglary", &err), KZ_E_VALUE);
    assert_string_equal(err.field, "category");
    assert_non_null(strstr(err.msg, "'Intrusions' is not an RSIT classification"));
    assert_int_equal(kz_rsit_valid("malware", "c2-server", &err), KZ_E_VALUE);
    assert_string_equal(err.field, "category");
    assert_int_equal(kz_rsit_valid("fraud", "unauthorized-use-of-resources", &err), KZ_E_VALUE);
    assert_string_equal(err.field, "subtype");
    assert_int_equal(kz_rsit_valid(NULL, NULL, &err), KZ_E_VALUE);
    assert_null(kz_rsit_types("nope"));
}

/* ---- access --------------------------------------------------------------------------------- */

#define LEAD "11111111-1111-4111-8111-111111111111"
#define PART "22222222-2222-4222-8222-222222222222"
#define INV "33333333-3333-4333-8333-333333333333"
#define DECL "44444444-4444-4444-8444-444444444444"
#define OTHER "55555555-5555-4555-8555-555555555555"

static kz_case_participant PARTS[3];
static kz_case the_case(kz_tlp tlp)
{
    kz_case c = {0};
    snprintf(c.lead_org, sizeof c.lead_org, "%s", LEAD);
    c.tlp = tlp;
    snprintf(PARTS[0].org_id, sizeof(kz_uuid), "%s", PART);
    PARTS[0].state = KZ_PART_ACCEPTED;
    snprintf(PARTS[1].org_id, sizeof(kz_uuid), "%s", INV);
    PARTS[1].state = KZ_PART_INVITED;
    snprintf(PARTS[2].org_id, sizeof(kz_uuid), "%s", DECL);
    PARTS[2].state = KZ_PART_DECLINED;
    c.participants = PARTS;
    c.n_participants = 3;
    return c;
}

/* A person of org (webhooks act with no user: see test_red_case_not_for_machines). */
static kz_principal who(const char *org, kz_role role)
{
    kz_principal p = {0};
    snprintf(p.org_id, sizeof p.org_id, "%s", org);
    snprintf(p.user_id, sizeof p.user_id, "%s", "77777777-7777-4777-8777-777777777777");
    p.role = role;
    return p;
}

/* TLP:RED is for people: the org principal a webhook acts as (no user) is
 * told nothing of a RED case it takes part in, and everything short of RED. */
static void test_red_case_not_for_machines(void **state)
{
    (void)state;
    kz_case c = the_case(KZ_TLP_RED);
    kz_principal lead_hook = who(LEAD, KZ_ROLE_READONLY), part_hook = who(PART, KZ_ROLE_READONLY);
    lead_hook.user_id[0] = part_hook.user_id[0] = '\0';
    kz_principal person = who(PART, KZ_ROLE_READONLY);
    const char *why = NULL;
    assert_true(kz_acl_case_allows(&person, &c, KZ_CASE_VIEW, NULL));
    assert_false(kz_acl_case_allows(&part_hook, &c, KZ_CASE_VIEW, &why));
    assert_string_equal(why, "case: tlp:red is for people, not for an org's machine (webhook)");
    assert_false(kz_acl_case_allows(&lead_hook, &c, KZ_CASE_SUMMARY, NULL));
    kz_case_entry e = {.tlp = -1};
    assert_false(kz_acl_case_entry_allows(&part_hook, &c, &e, NULL));
    c.tlp = KZ_TLP_AMBER_STRICT;
    assert_true(kz_acl_case_allows(&part_hook, &c, KZ_CASE_VIEW, NULL));
    assert_true(kz_acl_case_allows(&lead_hook, &c, KZ_CASE_VIEW, NULL));
}

static void test_case_roles_and_actions(void **state)
{
    (void)state;
    kz_case c = the_case(KZ_TLP_AMBER);
    static const struct {
        const char *org;
        kz_role role;
        kz_case_role cr;
        bool summary, view, contribute, manage, answer;
    } T[] = {
        {LEAD, KZ_ROLE_ANALYST, KZ_CASE_ROLE_LEAD, 1, 1, 1, 1, 0},
        {LEAD, KZ_ROLE_READONLY, KZ_CASE_ROLE_LEAD, 1, 1, 0, 0, 0},
        {LEAD, KZ_ROLE_SYNC, KZ_CASE_ROLE_NONE, 0, 0, 0, 0, 0},
        {PART, KZ_ROLE_PUBLISHER, KZ_CASE_ROLE_PARTICIPANT, 1, 1, 1, 0, 0},
        {PART, KZ_ROLE_READONLY, KZ_CASE_ROLE_PARTICIPANT, 1, 1, 0, 0, 0},
        {INV, KZ_ROLE_ANALYST, KZ_CASE_ROLE_INVITED, 1, 0, 0, 0, 1},
        {INV, KZ_ROLE_READONLY, KZ_CASE_ROLE_INVITED, 1, 0, 0, 0, 0},
        {DECL, KZ_ROLE_ORG_ADMIN, KZ_CASE_ROLE_NONE, 0, 0, 0, 0, 0},
        {OTHER, KZ_ROLE_ANALYST, KZ_CASE_ROLE_NONE, 0, 0, 0, 0, 0},
        /* no role bypasses: the node admin of an outside org sees nothing */
        {OTHER, KZ_ROLE_ADMIN, KZ_CASE_ROLE_NONE, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(T); i++) {
        kz_principal p = who(T[i].org, T[i].role);
        const char *why = NULL;
        assert_int_equal(kz_case_role_of(&p, &c), T[i].cr);
        if (kz_acl_case_allows(&p, &c, KZ_CASE_SUMMARY, NULL) != T[i].summary ||
            kz_acl_case_allows(&p, &c, KZ_CASE_VIEW, NULL) != T[i].view ||
            kz_acl_case_allows(&p, &c, KZ_CASE_CONTRIBUTE, NULL) != T[i].contribute ||
            kz_acl_case_allows(&p, &c, KZ_CASE_MANAGE, &why) != T[i].manage ||
            kz_acl_case_allows(&p, &c, KZ_CASE_ANSWER, NULL) != T[i].answer)
            fail_msg("row %zu: wrong decision", i);
        if (!T[i].manage)
            assert_non_null(why);
    }
    kz_principal stranger = who(OTHER, KZ_ROLE_ANALYST);
    const char *why = NULL;
    assert_false(kz_acl_case_allows(&stranger, &c, KZ_CASE_SUMMARY, &why));
    assert_string_equal(why, "case: not the lead org or a participant");
    kz_principal part = who(PART, KZ_ROLE_ANALYST);
    assert_false(kz_acl_case_allows(&part, &c, KZ_CASE_MANAGE, &why));
    assert_string_equal(why, "case: only the lead org manages the case");
    assert_false(kz_acl_can_create_cases(&(kz_principal){.role = KZ_ROLE_READONLY}));
    assert_true(kz_acl_can_create_cases(&(kz_principal){.role = KZ_ROLE_ANALYST}));
}

static void test_entry_tlp_inside_case(void **state)
{
    (void)state;
    kz_case c = the_case(KZ_TLP_AMBER);
    kz_case_entry e = {.tlp = -1};
    snprintf(e.org_id, sizeof e.org_id, "%s", PART);
    kz_principal lead = who(LEAD, KZ_ROLE_READONLY), part = who(PART, KZ_ROLE_ANALYST);
    kz_principal part2 = who("66666666-6666-4666-8666-666666666666", KZ_ROLE_ANALYST);
    PARTS[1].state = KZ_PART_ACCEPTED; /* INV accepted too: a second participant */
    kz_principal inv = who(INV, KZ_ROLE_ANALYST);
    (void)part2;
    /* inherits the case's TLP: every member */
    assert_true(kz_acl_case_entry_allows(&inv, &c, &e, NULL));
    /* amber inside an amber case: the same */
    e.tlp = KZ_TLP_AMBER;
    assert_true(kz_acl_case_entry_allows(&inv, &c, &e, NULL));
    /* stricter at amber+strict / red: the author's org and the lead */
    const char *why = NULL;
    e.tlp = KZ_TLP_RED;
    assert_false(kz_acl_case_entry_allows(&inv, &c, &e, &why));
    assert_string_equal(why, "entry: tlp:red for its author's org and the lead only");
    assert_true(kz_acl_case_entry_allows(&part, &c, &e, NULL));
    assert_true(kz_acl_case_entry_allows(&lead, &c, &e, NULL));
    e.tlp = KZ_TLP_AMBER_STRICT;
    assert_false(kz_acl_case_entry_allows(&inv, &c, &e, &why));
    assert_string_equal(why, "entry: tlp:amber+strict for its author's org and the lead only");
    /* in a RED case, a RED entry is no stricter than the case: all members */
    c.tlp = KZ_TLP_RED;
    e.tlp = KZ_TLP_RED;
    assert_true(kz_acl_case_entry_allows(&inv, &c, &e, NULL));
    /* and nobody outside sees any entry */
    kz_principal out = who(OTHER, KZ_ROLE_ADMIN);
    e.tlp = -1;
    assert_false(kz_acl_case_entry_allows(&out, &c, &e, NULL));
    PARTS[1].state = KZ_PART_INVITED;
}

static void test_task_and_inject_access(void **state)
{
    (void)state;
    kz_case c = the_case(KZ_TLP_GREEN);
    kz_case_task t = {0};
    snprintf(t.org_id, sizeof t.org_id, "%s", PART);
    kz_principal lead = who(LEAD, KZ_ROLE_ANALYST), part = who(PART, KZ_ROLE_ANALYST);
    kz_principal part_ro = who(PART, KZ_ROLE_READONLY);
    assert_true(kz_acl_case_task_allows(&lead, &c, &t, NULL));
    assert_true(kz_acl_case_task_allows(&part, &c, &t, NULL));
    assert_false(kz_acl_case_task_allows(&part_ro, &c, &t, NULL));
    snprintf(t.org_id, sizeof t.org_id, "%s", LEAD);
    const char *why = NULL;
    assert_false(kz_acl_case_task_allows(&part, &c, &t, &why));
    assert_string_equal(why, "task: only the lead org or the assigned org changes it");
    kz_case_inject inj = {.delivered = false};
    assert_true(kz_acl_case_inject_allows(&lead, &c, &inj));
    assert_false(kz_acl_case_inject_allows(&part, &c, &inj));
    inj.delivered = true;
    assert_true(kz_acl_case_inject_allows(&part, &c, &inj));
    kz_principal inv = who(INV, KZ_ROLE_ANALYST);
    assert_false(kz_acl_case_inject_allows(&inv, &c, &inj));
}

static void test_task_overdue(void **state)
{
    (void)state;
    kz_case_task t = {.due = 1000, .status = KZ_TASK_WAITING};
    assert_true(kz_case_task_overdue(&t, 1001));
    assert_false(kz_case_task_overdue(&t, 1000));
    t.status = KZ_TASK_IN_PROGRESS;
    assert_true(kz_case_task_overdue(&t, 5000));
    t.status = KZ_TASK_DONE;
    assert_false(kz_case_task_overdue(&t, 5000));
    t.status = KZ_TASK_CANCELLED;
    assert_false(kz_case_task_overdue(&t, 5000));
    t.status = KZ_TASK_WAITING;
    t.due = 0;
    assert_false(kz_case_task_overdue(&t, 5000));
}

/* ---- metrics -------------------------------------------------------------------------------- */

#define HOUR ((int64_t)3600 * 1000000)

static void test_metrics(void **state)
{
    (void)state;
    kz_org orgs[2] = {{.name = "CERT-A", .country = "TH"}, {.name = "CERT-B", .country = "JP"}};
    snprintf(orgs[0].id, sizeof(kz_uuid), "%s", LEAD);
    snprintf(orgs[1].id, sizeof(kz_uuid), "%s", PART);
    kz_case_participant p = {.state = KZ_PART_ACCEPTED};
    snprintf(p.org_id, sizeof p.org_id, "%s", PART);
    kz_case c[3] = {0};
    for (int i = 0; i < 3; i++) {
        snprintf(c[i].id, sizeof(kz_uuid), "aaaaaaaa-aaaa-4aaa-8aaa-00000000000%d", i);
        snprintf(c[i].lead_org, sizeof(kz_uuid), "%s", i < 2 ? LEAD : PART);
        c[i].created = 100 * HOUR;
        c[i].severity = i + 1;
    }
    /* case 0: acknowledged after 1 h, contained after 3 h, resolved after 5 h */
    c[0].status = KZ_CASE_RESOLVED;
    c[0].acknowledged_at = 101 * HOUR;
    c[0].contained_at = 103 * HOUR;
    c[0].resolved_at = 105 * HOUR;
    c[0].participants = &p;
    c[0].n_participants = 1;
    /* case 1: acknowledged after 3 h, still in progress */
    c[1].status = KZ_CASE_IN_PROGRESS;
    c[1].acknowledged_at = 103 * HOUR;
    /* case 2 (led by PART): new */
    c[2].status = KZ_CASE_NEW;
    kz_case_task tasks[3] = {0};
    for (int i = 0; i < 3; i++) {
        snprintf(tasks[i].case_id, sizeof(kz_uuid), "%s", c[1].id);
        snprintf(tasks[i].org_id, sizeof(kz_uuid), "%s", i ? PART : LEAD);
        tasks[i].due = 150 * HOUR;
    }
    tasks[2].status = KZ_TASK_DONE; /* done: not overdue */
    kz_arena a;
    kz_arena_init(&a);
    kz_case_metrics m;
    kz_err err = {0};
    assert_int_equal(kz_case_metrics_compute(c, 3, tasks, 3, orgs, 2, 200 * HOUR, &a, &m, &err), 0);
    assert_int_equal(m.n_cases, 3);
    assert_int_equal(m.n_open, 2);
    assert_int_equal(m.overdue_tasks, 2);
    assert_int_equal(m.open_by_severity[2], 1);
    assert_int_equal(m.open_by_severity[3], 1);
    assert_int_equal(m.open_by_severity[1], 0);
    assert_true(m.cases[0].to_acknowledge == 1 * HOUR);
    assert_true(m.cases[0].to_contain == 3 * HOUR);
    assert_true(m.cases[0].to_resolve == 5 * HOUR);
    assert_true(m.cases[1].to_contain == -1);
    assert_int_equal(m.cases[1].overdue_tasks, 2);
    assert_int_equal(m.n_countries, 2);
    assert_string_equal(m.countries[0].country, "TH");
    assert_int_equal(m.countries[0].open, 1);
    assert_string_equal(m.countries[1].country, "JP");
    assert_int_equal(m.n_orgs, 2);
    const kz_case_org_metrics *oa = &m.orgs[0], *ob = &m.orgs[1];
    assert_string_equal(oa->org_id, LEAD);
    assert_int_equal(oa->led, 2);
    assert_int_equal(oa->n_ack, 2);
    assert_true(oa->sum_ack / (int64_t)oa->n_ack == 2 * HOUR); /* (1 h + 3 h) / 2 */
    assert_int_equal(oa->overdue_tasks, 1);
    assert_int_equal(ob->led, 1);
    assert_int_equal(ob->participating, 1);
    assert_int_equal(ob->overdue_tasks, 1);
    json_t *j = kz_json_case_metrics(&m, false);
    assert_non_null(j);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "open_by_country"), "JP")), 1);
    json_t *c0 = json_array_get(json_object_get(j, "cases"), 0);
    assert_int_equal(json_integer_value(json_object_get(c0, "time_to_resolve_s")), 5 * 3600);
    assert_true(json_is_null(
        json_object_get(json_array_get(json_object_get(j, "cases"), 1), "time_to_contain_s")));
    json_decref(j);
    kz_arena_free(&a);
}

/* ---- JSON parsers --------------------------------------------------------------------------- */

static int parse_case(const char *text, kz_case *c, kz_err *err, kz_arena *a)
{
    json_t *j = NULL;
    int rc = kz_json_load(text, strlen(text), &j, err);
    if (rc == 0)
        rc = kz_json_case_parse(j, a, c, err);
    json_decref(j);
    return rc;
}

static void test_json_case_parse(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    kz_err err = {0};
    assert_int_equal(
        parse_case("{\"title\":\"Ransomware at ministry\",\"category\":\"malicious-code\","
                   "\"subtype\":\"infected-system\",\"severity\":1,\"tlp\":\"AMBER+STRICT\","
                   "\"pap\":\"red\",\"drill\":true}",
                   &c, &err, &a),
        0);
    assert_string_equal(c.title, "Ransomware at ministry");
    assert_int_equal(c.severity, 1);
    assert_int_equal(c.tlp, KZ_TLP_AMBER_STRICT);
    assert_int_equal(c.pap, KZ_PAP_RED);
    assert_true(c.drill);
    assert_int_equal(c.status, KZ_CASE_NEW);
    static const struct {
        const char *body;
        int code;
        const char *field;
        const char *msg;
    } BAD[] = {
        {"[]", KZ_E_INVALID, "", "must be a JSON object, got array"},
        {"{\"category\":\"test\",\"subtype\":\"test\"}", KZ_E_INVALID, "title", "title"},
        {"{\"title\":\"x\",\"subtype\":\"test\"}", KZ_E_INVALID, "category", "category"},
        {"{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\",\"colour\":1}", KZ_E_INVALID,
         "colour", "colour"},
        {"{\"title\":5,\"category\":\"test\",\"subtype\":\"test\"}", KZ_E_INVALID, "title",
         "string"},
        {"{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\",\"severity\":5}", KZ_E_VALUE,
         "severity", "severity"},
        {"{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\",\"severity\":\"1\"}",
         KZ_E_INVALID, "severity", "integer"},
        {"{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\",\"tlp\":\"white\"}",
         KZ_E_VALUE, "tlp", "white"},
        {"{\"title\":\"x\",\"category\":\"intrusions\",\"subtype\":\"spam\"}", KZ_E_VALUE,
         "subtype", "'spam' is not an RSIT incident type of 'intrusions'"},
        {"{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\",\"status\":\"closed\"}",
         KZ_E_INVALID, "status", "status"},
        {"{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\",\"drill\":\"yes\"}",
         KZ_E_INVALID, "drill", "boolean"},
        {"{\"title\":\"\",\"category\":\"test\",\"subtype\":\"test\"}", KZ_E_VALUE, "title",
         "title"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(BAD); i++) {
        kz_err_clear(&err);
        int rc = parse_case(BAD[i].body, &c, &err, &a);
        if (rc != BAD[i].code || strcmp(err.field, BAD[i].field) != 0 ||
            !strstr(err.msg, BAD[i].msg))
            fail_msg("case %zu (%s): rc %d field '%s' msg '%s'", i, BAD[i].body, rc, err.field,
                     err.msg);
    }
    kz_arena_free(&a);
}

static void test_json_other_parsers(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    json_t *j = json_pack("{s:s,s:s}", "status", "acknowledged", "note", "on it");
    kz_case_transition t;
    assert_int_equal(kz_json_case_transition_parse(j, &a, &t, &err), 0);
    assert_int_equal(t.to, KZ_CASE_ACKNOWLEDGED);
    assert_string_equal(t.note, "on it");
    json_decref(j);
    j = json_pack("{s:s}", "status", "done");
    assert_int_equal(kz_json_case_transition_parse(j, &a, &t, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "status");
    json_decref(j);
    kz_case_entry e;
    j = json_pack("{s:s,s:s}", "kind", "correction", "text", "typo");
    assert_int_equal(kz_json_case_entry_parse(j, &a, &e, &err), KZ_E_INVALID);
    assert_string_equal(err.field, "corrects");
    json_decref(j);
    j = json_pack("{s:s,s:s}", "kind", "action", "text", "forged");
    assert_int_equal(kz_json_case_entry_parse(j, &a, &e, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "kind");
    json_decref(j);
    kz_case_observable o;
    j = json_pack("{s:s,s:s}", "type", "ip-dst", "value", "203.0.113[.]7");
    assert_int_equal(kz_json_case_observable_parse(j, &a, &o, &err), 0);
    assert_int_equal(o.type, KZ_IOC_IPV4);
    assert_string_equal(o.value, "203.0.113.7");
    json_decref(j);
    j = json_pack("{s:s,s:s}", "type", "ipv4", "value", "300.1.2.3");
    assert_int_equal(kz_json_case_observable_parse(j, &a, &o, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "value");
    json_decref(j);
    kz_case_task task;
    j = json_pack("{s:s,s:s,s:s}", "title", "patch", "org_id", LEAD, "due", "tomorrow");
    assert_int_equal(kz_json_case_task_parse(j, &a, &task, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "due");
    json_decref(j);
    kz_case_inject inj;
    j = json_pack("{s:s}", "text", "the attacker leaks data");
    assert_int_equal(kz_json_case_inject_parse(j, &a, &inj, &err), KZ_E_INVALID);
    assert_string_equal(err.field, "at");
    json_decref(j);
    kz_arena_free(&a);
}

/* ---- store ---------------------------------------------------------------------------------- */

typedef struct fx {
    char *dir;
    char path[600];
    kz_store *st;
    kz_arena a;
    kz_org org[3];
    kz_user user;
} fx;

static int teardown(void **state);

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    kz_arena_init(&f->a);
    *state = f;
    kz_err err = {0};
    if (!(f->dir = kz_test_mkdtemp()))
        goto fail;
    snprintf(f->path, sizeof f->path, "%s/kz.db", f->dir);
    if (kz_store_open(f->path, &f->st, &err) != 0)
        goto fail;
    static const char *const names[] = {"CERT-A", "CERT-B", "CERT-C"};
    static const char *const cc[] = {"TH", "JP", "US"};
    for (int i = 0; i < 3; i++) {
        kz_org *o = &f->org[i];
        kz_uuid_v4(o->id);
        o->name = (char *)names[i];
        memcpy(o->country, cc[i], 3);
        o->created = o->modified = kz_time_now();
        if (kz_store_org_put(f->st, o, &err) != 0)
            goto fail;
    }
    kz_uuid_v4(f->user.id);
    memcpy(f->user.org_id, f->org[0].id, sizeof(kz_uuid));
    f->user.email = "a@a.example";
    f->user.role = KZ_ROLE_ANALYST;
    f->user.created = f->user.modified = kz_time_now();
    if (kz_store_user_put(f->st, &f->user, &err) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "setup: %s\n", err.msg);
    teardown(state);
    *state = NULL;
    return -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->st)
        kz_store_close(f->st);
    kz_arena_free(&f->a);
    if (f->dir)
        kz_test_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

#define OK(x)                                                                                      \
    do {                                                                                           \
        kz_err_clear(&err);                                                                        \
        int rc_ = (x);                                                                             \
        if (rc_ != 0)                                                                              \
            fail_msg("%s -> %d (%s)", #x, rc_, err.msg);                                           \
    } while (0)

static void new_case(fx *f, kz_case *c, bool drill)
{
    memset(c, 0, sizeof *c);
    kz_uuid_v4(c->id);
    c->title = "Phishing wave against banks";
    c->severity = 2;
    c->tlp = KZ_TLP_AMBER;
    c->category = "fraud";
    c->subtype = "phishing";
    c->drill = drill;
    memcpy(c->lead_org, f->org[0].id, sizeof(kz_uuid));
    memcpy(c->creator_user, f->user.id, sizeof(kz_uuid));
    kz_err err = {0};
    OK(kz_store_case_put(f->st, c, &err));
}

static void test_store_workflow(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_case c, back;
    new_case(f, &c, false);
    int64_t head0 = 0, head1 = 0;
    OK(kz_store_changes_head(f->st, &head0, &err));
    static const kz_case_status path[] = {KZ_CASE_ACKNOWLEDGED, KZ_CASE_IN_PROGRESS,
                                          KZ_CASE_CONTAINED,    KZ_CASE_RESOLVED,
                                          KZ_CASE_CLOSED,       KZ_CASE_IN_PROGRESS};
    for (size_t i = 0; i < KZ_ARRAY_LEN(path); i++) {
        kz_case_transition t = {.to = path[i], .note = "step"};
        memcpy(t.org_id, f->org[0].id, sizeof(kz_uuid));
        memcpy(t.user_id, f->user.id, sizeof(kz_uuid));
        OK(kz_store_case_transition(f->st, c.id, &t, &err));
        assert_int_equal(t.reopen, i == 5);
    }
    /* invalid: in_progress -> closed */
    kz_case_transition bad = {.to = KZ_CASE_CLOSED};
    assert_int_equal(kz_store_case_transition(f->st, c.id, &bad, &err), KZ_E_CONFLICT);
    assert_string_equal(err.msg, "cannot move the case from 'in_progress' to 'closed': a case in "
                                 "progress can only be contained");
    OK(kz_store_case_get(f->st, c.id, &f->a, &back, &err));
    assert_int_equal(back.status, KZ_CASE_IN_PROGRESS);
    assert_true(back.acknowledged_at > 0 && back.contained_at >= back.acknowledged_at);
    assert_true(back.closed_at >= back.resolved_at && back.resolved_at > 0);
    kz_case_transition *tr;
    size_t ntr;
    OK(kz_store_case_transitions(f->st, c.id, &f->a, &tr, &ntr, &err));
    assert_int_equal(ntr, 6);
    assert_int_equal(tr[0].from, KZ_CASE_NEW);
    assert_int_equal(tr[5].from, KZ_CASE_CLOSED);
    assert_true(tr[5].reopen);
    assert_string_equal(tr[2].user_id, f->user.id);
    assert_string_equal(tr[2].org_id, f->org[0].id);
    assert_true(tr[2].at >= tr[1].at);
    /* each transition is an action in the timeline, and a change-log row */
    kz_case_entry *e;
    size_t ne;
    OK(kz_store_case_entries(f->st, c.id, &f->a, &e, &ne, &err));
    assert_int_equal(ne, 6);
    assert_int_equal(e[0].kind, KZ_ENTRY_ACTION);
    assert_string_equal(e[0].text, "status: new -> acknowledged: step");
    assert_string_equal(e[5].text, "reopened: closed -> in_progress: step");
    OK(kz_store_changes_head(f->st, &head1, &err));
    assert_int_equal(head1 - head0, 6);
    kz_change *ch;
    size_t nch;
    OK(kz_store_changes(f->st, head0, 0, &f->a, &ch, &nch, &err));
    assert_string_equal(ch[0].kind, "case");
    assert_string_equal(ch[0].object_id, c.id);
    assert_string_equal(ch[0].op, "put");
}

static void test_store_participants_links_tasks(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_case c, back;
    new_case(f, &c, false);
    kz_case_participant p = {.state = KZ_PART_INVITED};
    memcpy(p.org_id, f->org[1].id, sizeof(kz_uuid));
    OK(kz_store_case_invite(f->st, c.id, &p, &err));
    assert_int_equal(kz_store_case_invite(f->st, c.id, &p, &err), KZ_E_CONFLICT);
    memcpy(p.org_id, f->org[0].id, sizeof(kz_uuid));
    assert_int_equal(kz_store_case_invite(f->st, c.id, &p, &err), KZ_E_CONFLICT);
    assert_non_null(strstr(err.msg, "leads this case"));
    OK(kz_store_case_answer(f->st, c.id, f->org[1].id, KZ_PART_ACCEPTED, "", 0, &err));
    assert_int_equal(kz_store_case_answer(f->st, c.id, f->org[1].id, KZ_PART_DECLINED, "", 0, &err),
                     KZ_E_CONFLICT);
    assert_int_equal(kz_store_case_answer(f->st, c.id, f->org[2].id, KZ_PART_ACCEPTED, "", 0, &err),
                     KZ_E_CONFLICT);
    OK(kz_store_case_get(f->st, c.id, &f->a, &back, &err));
    assert_int_equal(back.n_participants, 1);
    assert_int_equal(back.participants[0].state, KZ_PART_ACCEPTED);
    /* listing by org: B sees it, C does not */
    kz_case_filter fl = {.org_id = f->org[1].id, .status = -1, .drill = -1};
    kz_case *v;
    size_t n;
    OK(kz_store_case_list(f->st, &fl, &f->a, &v, &n, NULL, &err));
    assert_int_equal(n, 1);
    fl.org_id = f->org[2].id;
    OK(kz_store_case_list(f->st, &fl, &f->a, &v, &n, NULL, &err));
    assert_int_equal(n, 0);
    /* links must name something that exists */
    kz_uuid nothing;
    kz_uuid_v4(nothing);
    assert_int_equal(kz_store_case_link(f->st, c.id, "event", nothing, "", "", &err), KZ_E_VALUE);
    assert_int_equal(kz_store_case_link(f->st, c.id, "file", nothing, "", "", &err), KZ_E_VALUE);
    /* tasks: overdue filter */
    kz_case_task t = {
        .title = "block the domain", .status = KZ_TASK_WAITING, .due = kz_time_now() - 1000000};
    kz_uuid_v4(t.id);
    memcpy(t.case_id, c.id, sizeof(kz_uuid));
    memcpy(t.org_id, f->org[1].id, sizeof(kz_uuid));
    OK(kz_store_case_task_put(f->st, &t, &err));
    kz_case_task t2 = t;
    memcpy(t2.user_id, f->user.id, sizeof(kz_uuid)); /* a user of org A, not B */
    kz_uuid_v4(t2.id);
    assert_int_equal(kz_store_case_task_put(f->st, &t2, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "user_id");
    fl = (kz_case_filter){.status = -1, .drill = -1, .overdue = true, .now = kz_time_now()};
    OK(kz_store_case_list(f->st, &fl, &f->a, &v, &n, NULL, &err));
    assert_int_equal(n, 1);
    t.status = KZ_TASK_DONE;
    OK(kz_store_case_task_update(f->st, &t, &err));
    OK(kz_store_case_list(f->st, &fl, &f->a, &v, &n, NULL, &err));
    assert_int_equal(n, 0);
}

static void test_store_timeline_append_only(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_case c;
    new_case(f, &c, false);
    kz_case_entry e = {.kind = KZ_ENTRY_COMMENT, .text = "first", .tlp = -1};
    kz_uuid_v4(e.id);
    memcpy(e.case_id, c.id, sizeof(kz_uuid));
    OK(kz_store_case_entry_add(f->st, &e, &err));
    kz_case_entry corr = {.kind = KZ_ENTRY_CORRECTION, .text = "first, corrected", .tlp = -1};
    kz_uuid_v4(corr.id);
    memcpy(corr.case_id, c.id, sizeof(kz_uuid));
    kz_uuid_v4(corr.corrects); /* not an entry */
    assert_int_equal(kz_store_case_entry_add(f->st, &corr, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "corrects");
    memcpy(corr.corrects, e.id, sizeof(kz_uuid));
    OK(kz_store_case_entry_add(f->st, &corr, &err));
    kz_case_transition t = {.to = KZ_CASE_ACKNOWLEDGED};
    OK(kz_store_case_transition(f->st, c.id, &t, &err));
    /* the database itself refuses to rewrite history */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE case_timeline SET text = 'rewritten'", NULL, NULL, &msg),
        SQLITE_OK);
    assert_non_null(strstr(msg, "case_timeline is append-only"));
    sqlite3_free(msg);
    msg = NULL;
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM case_timeline", NULL, NULL, &msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    msg = NULL;
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM case_transitions", NULL, NULL, &msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "case_transitions is append-only"));
    sqlite3_free(msg);
    msg = NULL;
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE case_transitions SET to_status = 'closed'", NULL, NULL, &msg),
        SQLITE_OK);
    sqlite3_free(msg);
    sqlite3_close(db);
    kz_case_entry *v;
    size_t n;
    OK(kz_store_case_entries(f->st, c.id, &f->a, &v, &n, &err));
    assert_int_equal(n, 3); /* and the transition's action */
    assert_string_equal(v[0].text, "first");
    assert_string_equal(v[1].corrects, e.id);
    assert_string_equal(v[2].text, "status: new -> acknowledged");
}

static void test_store_injects(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_case c;
    new_case(f, &c, true);
    kz_time now = kz_time_now();
    kz_case_inject a = {.at = now - 1000, .text = "ransom note appears"};
    kz_case_inject b = {.at = now + 3600LL * 1000000, .text = "press calls"};
    kz_uuid_v4(a.id);
    kz_uuid_v4(b.id);
    memcpy(a.case_id, c.id, sizeof(kz_uuid));
    memcpy(b.case_id, c.id, sizeof(kz_uuid));
    OK(kz_store_case_inject_put(f->st, &a, &err));
    OK(kz_store_case_inject_put(f->st, &b, &err));
    size_t d = 9;
    OK(kz_store_case_injects_deliver(f->st, c.id, now, &d, &err));
    assert_int_equal(d, 1);
    OK(kz_store_case_injects_deliver(f->st, c.id, now, &d, &err));
    assert_int_equal(d, 0);
    kz_case_inject *v;
    size_t n;
    OK(kz_store_case_injects(f->st, c.id, &f->a, &v, &n, &err));
    assert_int_equal(n, 2);
    assert_true(v[0].delivered);
    assert_false(v[1].delivered);
    kz_case_entry *e;
    OK(kz_store_case_entries(f->st, c.id, &f->a, &e, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(e[0].text, "inject: ransom note appears");
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_transition_reasons),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rsit_pairs),
        cmocka_unit_test(test_rsit_invalid),
        cmocka_unit_test(test_case_roles_and_actions),
        cmocka_unit_test(test_entry_tlp_inside_case),
        cmocka_unit_test(test_red_case_not_for_machines),
        cmocka_unit_test(test_task_and_inject_access),
        cmocka_unit_test(test_task_overdue),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_json_case_parse),
        cmocka_unit_test(test_json_other_parsers),
        cmocka_unit_test_setup_teardown(test_store_workflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_participants_links_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_timeline_append_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_injects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
