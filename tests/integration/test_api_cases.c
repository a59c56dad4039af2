/* test_api_cases.c — joint incident cases over HTTP against the real node:
 * the workflow with who and when recorded, participation (invite, accept,
 * decline; a non-participant gets 404 and finds the case in no list, count
 * or metric), tasks and overdue, the append-only timeline (no route edits
 * it and the database refuses), TLP inside a case, promotion of observables
 * to indicators with the case's TLP, drills kept out of the metrics, and
 * every kind of bad input.
 *
 * Cast: A leads (the admin's org), B takes part, C is a stranger, D is
 * invited and declines. E takes part in the TLP case only.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40], ORG_C[40], ORG_D[40], ORG_E[40];
static char A_AN[64], A_RO[64], B_AN[64], B_RO[64], C_AN[64], D_AN[64], E_AN[64];
static char A_AN_ID[40], B_AN_ID[40];

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp r = kz_get(&N, "/api/v1/me", ADMIN);
    if (r.status != 200 || !kz_resp_str(&r, "org.id"))
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, ADMIN, "CERT-B", "JP", ORG_B);
    kz_make_org(&N, ADMIN, "CERT-C", "US", ORG_C);
    kz_make_org(&N, ADMIN, "CERT-D", "KR", ORG_D);
    kz_make_org(&N, ADMIN, "CERT-E", "AU", ORG_E);
    char id[40];
    kz_make_user(&N, ADMIN, ORG_A, "an@a.example", "analyst", A_AN_ID, A_AN);
    kz_make_user(&N, ADMIN, ORG_A, "ro@a.example", "read_only", id, A_RO);
    kz_make_user(&N, ADMIN, ORG_B, "an@b.example", "analyst", B_AN_ID, B_AN);
    kz_make_user(&N, ADMIN, ORG_B, "ro@b.example", "read_only", id, B_RO);
    kz_make_user(&N, ADMIN, ORG_C, "an@c.example", "analyst", id, C_AN);
    kz_make_user(&N, ADMIN, ORG_D, "an@d.example", "analyst", id, D_AN);
    kz_make_user(&N, ADMIN, ORG_E, "an@e.example", "analyst", id, E_AN);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static void make_case(const char *key, const char *extra, char out[40])
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"title\":\"Phishing against central banks\",\"category\":\"fraud\","
             "\"subtype\":\"phishing\",\"severity\":2%s%s}",
             extra ? "," : "", extra ? extra : "");
    kz_resp r = kz_post(&N, "/api/v1/cases", key, body);
    KZ_EXPECT(r, 201);
    snprintf(out, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

static kz_resp post_to(const char *key, const char *case_id, const char *sub, const char *body)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/cases/%s%s", case_id, sub);
    return kz_post(&N, path, key, body);
}

static void expect_post(const char *key, const char *case_id, const char *sub, const char *body,
                        long status)
{
    kz_resp r = post_to(key, case_id, sub, body);
    if (r.status != status)
        fail_msg("POST %s %s -> %ld (want %ld): %s", sub, body, r.status, status, r.body);
    kz_resp_free(&r);
}

static void invite(const char *case_id, const char *org)
{
    char body[96];
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", org);
    expect_post(A_AN, case_id, "/participants", body, 201);
}

static void answer(const char *key, const char *case_id, const char *org, const char *verb,
                   long status)
{
    char sub[128];
    snprintf(sub, sizeof sub, "/participants/%s/%s", org, verb);
    expect_post(key, case_id, sub, NULL, status);
}

static void move(const char *key, const char *case_id, const char *to, long status)
{
    char body[96];
    snprintf(body, sizeof body, "{\"status\":\"%s\",\"note\":\"to %s\"}", to, to);
    expect_post(key, case_id, "/transition", body, status);
}

static bool list_has(const char *key, const char *query, const char *case_id)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/cases%s", query);
    kz_resp r = kz_get(&N, path, key);
    KZ_EXPECT(r, 200);
    bool has = kz_resp_list_has(&r, "cases", "id", case_id);
    kz_resp_free(&r);
    return has;
}

/* ---- creation and bad input ----------------------------------------------------------------- */

static void test_create(void **state)
{
    (void)state;
    kz_resp r =
        kz_post(&N, "/api/v1/cases", A_AN,
                "{\"title\":\"Ransomware at a hospital\",\"description\":\"ward systems down\","
                "\"category\":\"malicious-code\",\"subtype\":\"infected-system\","
                "\"severity\":1,\"tlp\":\"amber+strict\",\"pap\":\"red\"}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "lead_org"), ORG_A);
    assert_string_equal(kz_resp_str(&r, "status"), "new");
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber+strict");
    assert_string_equal(kz_resp_str(&r, "pap"), "red");
    assert_string_equal(kz_resp_str(&r, "participation"), "lead");
    assert_string_equal(kz_resp_str(&r, "creator_user"), A_AN_ID);
    assert_true(json_is_false(kz_resp_get(&r, "drill")));
    assert_int_equal(kz_resp_count(&r, "participants"), 0);
    kz_resp_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } BAD[] = {
        {"{\"title\":", 400, "invalid", NULL},
        {"[1,2]", 400, "invalid", "*"},
        {"{\"title\":5,\"category\":\"fraud\",\"subtype\":\"phishing\"}", 400, "invalid", "title"},
        {"{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"phishing\",\"severity\":\"high\"}",
         400, "invalid", "severity"},
        {"{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"phishing\",\"severity\":9}", 422,
         "invalid_value", "severity"},
        {"{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"ddos\"}", 422, "invalid_value",
         "subtype"},
        {"{\"title\":\"x\",\"category\":\"ddos\",\"subtype\":\"ddos\"}", 422, "invalid_value",
         "category"},
        {"{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"phishing\",\"tlp\":\"purple\"}",
         422, "invalid_value", "tlp"},
        {"{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"phishing\",\"owner\":\"me\"}", 400,
         "invalid", "owner"},
        {"{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"phishing\",\"status\":\"closed\"}",
         400, "invalid", "status"},
        {"{\"category\":\"fraud\",\"subtype\":\"phishing\"}", 400, "invalid", "title"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(BAD); i++) {
        kz_resp r = kz_post(&N, "/api/v1/cases", A_AN, BAD[i].body);
        print_message("bad %zu: %s\n", i, BAD[i].body);
        KZ_EXPECT_ERR(r, BAD[i].status, BAD[i].code, BAD[i].field);
        kz_resp_free(&r);
    }
    /* the message names the field and the choices */
    kz_resp r = kz_post(&N, "/api/v1/cases", A_AN,
                        "{\"title\":\"x\",\"category\":\"fraud\",\"subtype\":\"ddos\"}");
    assert_non_null(
        strstr(kz_resp_str(&r, "error.message"), "'ddos' is not an RSIT incident type of 'fraud'"));
    kz_resp_free(&r);
    /* invalid UTF-8 */
    static const char bad_utf8[] = "{\"title\":\"caf\xc3\x28\",\"category\":\"fraud\","
                                   "\"subtype\":\"phishing\"}";
    kz_http(&N, "POST", "/api/v1/cases", A_AN, NULL, bad_utf8, sizeof bad_utf8 - 1, &r);
    KZ_EXPECT_ERR(r, 400, "invalid", "*");
    kz_resp_free(&r);
    /* oversized: above the 1 MiB of a non-batch route */
    size_t big = ((size_t)1 << 20) + 64;
    char *body = malloc(big + 1);
    assert_non_null(body);
    memset(body, ' ', big);
    memcpy(body, "{\"title\":\"", 10);
    memcpy(body + big - 40, "\",\"category\":\"test\",\"subtype\":\"test\"}", 38);
    body[big] = '\0';
    kz_http(&N, "POST", "/api/v1/cases", A_AN, NULL, body, strlen(body), &r);
    KZ_EXPECT_ERR(r, 413, "too_large", "*");
    kz_resp_free(&r);
    free(body);
    /* wrong media type */
    static const char ok[] = "{\"title\":\"x\",\"category\":\"test\",\"subtype\":\"test\"}";
    kz_http(&N, "POST", "/api/v1/cases", A_AN, "text/plain", ok, sizeof ok - 1, &r);
    KZ_EXPECT_ERR(r, 415, "unsupported_media_type", "*");
    kz_resp_free(&r);
    /* unauthorised callers */
    r = kz_post(&N, "/api/v1/cases", NULL, ok);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/cases", "kz_notakeynotakeynotakeynotakeynotakeynotakeyn", ok);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/cases", A_RO, ok);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/cases", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
    /* bad list filters */
    r = kz_get(&N, "/api/v1/cases?status=open", A_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "status");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/cases?severity=7", A_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "severity");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/cases?colour=red", A_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "*");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/cases/not-a-uuid", A_AN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* ---- workflow ------------------------------------------------------------------------------- */

static void test_workflow(void **state)
{
    (void)state;
    char id[40];
    make_case(A_AN, NULL, id);
    invite(id, ORG_B);
    answer(B_AN, id, ORG_B, "accept", 200);
    /* only the lead's working roles move it */
    move(B_AN, id, "acknowledged", 403);
    move(A_RO, id, "acknowledged", 403);
    kz_resp r = post_to(C_AN, id, "/transition", "{\"status\":\"acknowledged\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    /* invalid: skipping steps, same status, unknown status */
    r = post_to(A_AN, id, "/transition", "{\"status\":\"resolved\"}");
    KZ_EXPECT_ERR(r, 409, "conflict", "status");
    assert_string_equal(kz_resp_str(&r, "error.message"),
                        "cannot move the case from 'new' to 'resolved': a new case can only be "
                        "acknowledged");
    kz_resp_free(&r);
    r = post_to(A_AN, id, "/transition", "{\"status\":\"new\"}");
    KZ_EXPECT_ERR(r, 409, "conflict", "status");
    kz_resp_free(&r);
    r = post_to(A_AN, id, "/transition", "{\"status\":\"done\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "status");
    kz_resp_free(&r);
    r = post_to(A_AN, id, "/transition", "{\"to\":\"acknowledged\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "to");
    kz_resp_free(&r);
    r = post_to(A_AN, id, "/transition", "{\"note\":\"no status\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "status");
    kz_resp_free(&r);
    static const char *const path[] = {"acknowledged", "in_progress", "contained", "resolved",
                                       "closed",       "in_progress", "contained", "resolved"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(path); i++)
        move(A_AN, id, path[i], 200);
    move(A_AN, id, "new", 409);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "status"), "resolved");
    assert_string_equal(kz_resp_str(&r, "participation"), "accepted");
    assert_int_equal(kz_resp_count(&r, "transitions"), 8);
    assert_string_equal(kz_resp_str(&r, "transitions.0.from"), "new");
    assert_string_equal(kz_resp_str(&r, "transitions.0.to"), "acknowledged");
    assert_string_equal(kz_resp_str(&r, "transitions.0.user_id"), A_AN_ID);
    assert_string_equal(kz_resp_str(&r, "transitions.0.org_id"), ORG_A);
    assert_string_equal(kz_resp_str(&r, "transitions.0.note"), "to acknowledged");
    assert_non_null(kz_resp_str(&r, "transitions.0.at"));
    assert_true(json_is_true(kz_resp_get(&r, "transitions.5.reopen")));
    assert_string_equal(kz_resp_str(&r, "transitions.5.from"), "closed");
    assert_non_null(kz_resp_str(&r, "acknowledged_at"));
    assert_non_null(kz_resp_str(&r, "resolved_at"));
    /* times are in order */
    assert_true(strcmp(kz_resp_str(&r, "transitions.0.at"), kz_resp_str(&r, "transitions.7.at")) <=
                0);
    kz_resp_free(&r);
    /* status filter */
    assert_true(list_has(B_AN, "?status=resolved", id));
    assert_false(list_has(B_AN, "?status=new", id));
    /* PATCH edits fields, not the status */
    char p[160];
    snprintf(p, sizeof p, "/api/v1/cases/%s", id);
    r = kz_patch(&N, p, A_AN, "{\"severity\":1,\"subtype\":\"masquerade\"}");
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "severity")), 1);
    assert_string_equal(kz_resp_str(&r, "subtype"), "masquerade");
    kz_resp_free(&r);
    /* the edit is in the timeline, by whom */
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/timeline", id);
    assert_true(kz_resp_list_has(&r, "timeline", "text", "edited: severity, subtype"));
    assert_true(
        kz_resp_list_has(&r, "timeline", "text", "status: new -> acknowledged: to acknowledged"));
    assert_true(kz_resp_list_has(&r, "timeline", "user_id", A_AN_ID));
    kz_resp_free(&r);
    r = kz_patch(&N, p, A_AN, "{\"status\":\"closed\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "status");
    kz_resp_free(&r);
    r = kz_patch(&N, p, A_AN, "{\"subtype\":\"spam\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "subtype");
    kz_resp_free(&r);
    r = kz_patch(&N, p, A_AN, "{\"drill\":true}");
    KZ_EXPECT_ERR(r, 400, "invalid", "drill");
    kz_resp_free(&r);
    r = kz_patch(&N, p, B_AN, "{\"severity\":4}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, p, C_AN, "{\"severity\":4}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
}

/* ---- participation -------------------------------------------------------------------------- */

static void test_participation(void **state)
{
    (void)state;
    char id[40];
    make_case(A_AN, "\"description\":\"secret details\"", id);
    /* before any invitation only A knows it */
    kz_resp r = kz_getf(&N, B_AN, "/api/v1/cases/%s", id);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    /* B cannot invite; the lead can; the lead itself or twice is a conflict */
    char body[96];
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", ORG_D);
    expect_post(B_AN, id, "/participants", body, 404);
    invite(id, ORG_B);
    invite(id, ORG_D);
    expect_post(A_AN, id, "/participants", body, 409);
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", ORG_A);
    expect_post(A_AN, id, "/participants", body, 409);
    expect_post(A_AN, id, "/participants", "{\"org_id\":\"00000000-0000-4000-8000-000000000000\"}",
                422);
    expect_post(A_AN, id, "/participants", "{\"org\":\"x\"}", 400);
    /* an invited org sees the summary, not the details */
    r = kz_getf(&N, D_AN, "/api/v1/cases/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "participation"), "invited");
    assert_string_equal(kz_resp_str(&r, "title"), "Phishing against central banks");
    assert_null(kz_resp_get(&r, "description"));
    assert_null(kz_resp_get(&r, "participants"));
    kz_resp_free(&r);
    r = kz_getf(&N, D_AN, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    assert_true(list_has(D_AN, "", id));
    /* answering: only for one's own org, only while invited */
    answer(C_AN, id, ORG_B, "accept", 404);
    answer(D_AN, id, ORG_B, "accept", 403);
    answer(B_RO, id, ORG_B, "accept", 403);
    answer(B_AN, id, ORG_B, "accept", 200);
    answer(B_AN, id, ORG_B, "accept", 409);
    answer(D_AN, id, ORG_D, "decline", 200);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s", id);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "description"), "secret details");
    assert_int_equal(kz_resp_count(&r, "participants"), 2);
    assert_string_equal(kz_resp_str(&r, "participants.0.org_id"), ORG_B);
    assert_string_equal(kz_resp_str(&r, "participants.0.state"), "accepted");
    assert_string_equal(kz_resp_str(&r, "participants.0.answered_by"), B_AN_ID);
    assert_string_equal(kz_resp_str(&r, "participants.1.state"), "declined");
    kz_resp_free(&r);
    /* who declined or was never asked: 404 everywhere, in no list or count */
    static const char *const subs[] = {
        "", "/timeline", "/tasks", "/links", "/participants", "/observables", "/injects"};
    const char *outsiders[] = {C_AN, D_AN};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < KZ_ARRAY_LEN(subs); i++) {
            r = kz_getf(&N, outsiders[k], "/api/v1/cases/%s%s", id, subs[i]);
            KZ_EXPECT_ERR(r, 404, "not_found", NULL);
            assert_null(strstr(r.body, "secret"));
            kz_resp_free(&r);
        }
    assert_false(list_has(C_AN, "", id));
    assert_false(list_has(D_AN, "", id));
    assert_true(list_has(B_AN, "", id));
    expect_post(C_AN, id, "/timeline", "{\"text\":\"hello\"}", 404);
    /* the node admin of A is A: sees it; no role lets an outsider in */
    r = kz_getf(&N, C_AN, "/api/v1/metrics/response");
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "cases_total")), 0);
    assert_int_equal(kz_resp_count(&r, "cases"), 0);
    kz_resp_free(&r);
    /* a declined org may be invited again */
    invite(id, ORG_D);
    assert_true(list_has(D_AN, "", id));
}

/* ---- tasks ---------------------------------------------------------------------------------- */

static void test_tasks_and_overdue(void **state)
{
    (void)state;
    char id[40], other[40];
    make_case(A_AN, NULL, id);
    make_case(A_AN, NULL, other);
    invite(id, ORG_B);
    answer(B_AN, id, ORG_B, "accept", 200);
    char body[300];
    snprintf(body, sizeof body,
             "{\"title\":\"take down the phishing site\",\"org_id\":\"%s\",\"user_id\":\"%s\","
             "\"due\":\"2020-01-01T00:00:00Z\"}",
             ORG_B, B_AN_ID);
    kz_resp r = post_to(A_AN, id, "/tasks", body);
    KZ_EXPECT(r, 201);
    char task[40];
    snprintf(task, sizeof task, "%s", kz_resp_str(&r, "id"));
    assert_string_equal(kz_resp_str(&r, "status"), "waiting");
    assert_true(json_is_true(kz_resp_get(&r, "overdue")));
    kz_resp_free(&r);
    expect_post(B_AN, id, "/tasks",
                "{\"title\":\"x\",\"org_id\":\""
                "00000000-0000-4000-8000-000000000000"
                "\"}",
                403);
    snprintf(body, sizeof body, "{\"title\":\"x\",\"org_id\":\"%s\"}", ORG_C);
    r = post_to(A_AN, id, "/tasks", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "org_id");
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"title\":\"x\",\"org_id\":\"%s\",\"user_id\":\"%s\"}", ORG_A,
             B_AN_ID);
    r = post_to(A_AN, id, "/tasks", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "user_id");
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"title\":\"x\",\"org_id\":\"%s\",\"due\":\"soon\"}", ORG_A);
    r = post_to(A_AN, id, "/tasks", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "due");
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"title\":\"x\",\"org_id\":\"%s\",\"status\":\"finished\"}",
             ORG_A);
    r = post_to(A_AN, id, "/tasks", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "status");
    kz_resp_free(&r);
    /* overdue at a glance: the list filter and the task list */
    assert_true(list_has(A_AN, "?overdue=true", id));
    assert_false(list_has(A_AN, "?overdue=true", other));
    assert_true(list_has(B_AN, "?overdue=true", id));
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/tasks?overdue=true", id);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "tasks"), 1);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "overdue")), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response", B_AN);
    assert_true(json_integer_value(kz_resp_get(&r, "overdue_tasks")) >= 1);
    kz_resp_free(&r);
    /* the assigned org moves its task; only the lead changes what it is */
    char p[200];
    snprintf(p, sizeof p, "/api/v1/cases/%s/tasks/%s", id, task);
    r = kz_patch(&N, p, B_AN, "{\"title\":\"something easier\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, p, B_RO, "{\"status\":\"done\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, p, C_AN, "{\"status\":\"done\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_patch(&N, p, B_AN, "{\"status\":\"done\",\"colour\":1}");
    KZ_EXPECT_ERR(r, 400, "invalid", "colour");
    kz_resp_free(&r);
    r = kz_patch(&N, p, B_AN, "{\"status\":\"in_progress\"}");
    KZ_EXPECT(r, 200);
    assert_true(json_is_true(kz_resp_get(&r, "overdue")));
    kz_resp_free(&r);
    r = kz_patch(&N, p, B_AN, "{\"status\":\"done\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "status"), "done");
    assert_true(json_is_false(kz_resp_get(&r, "overdue")));
    kz_resp_free(&r);
    assert_false(list_has(A_AN, "?overdue=true", id));
    char text[128];
    snprintf(text, sizeof text, "task %s: waiting -> in_progress", task);
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/timeline", id);
    assert_true(kz_resp_list_has(&r, "timeline", "text", text));
    assert_true(kz_resp_list_has(&r, "timeline", "user_id", B_AN_ID));
    kz_resp_free(&r);
    r = kz_patch(&N, p, A_AN, "{\"due\":null,\"title\":\"renamed\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "title"), "renamed");
    kz_resp_free(&r);
}

/* ---- timeline ------------------------------------------------------------------------------- */

static void test_timeline_append_only(void **state)
{
    (void)state;
    char id[40];
    make_case(A_AN, "\"tlp\":\"amber\"", id);
    invite(id, ORG_B);
    invite(id, ORG_E);
    answer(B_AN, id, ORG_B, "accept", 200);
    answer(E_AN, id, ORG_E, "accept", 200);
    kz_resp r =
        post_to(B_AN, id, "/timeline", "{\"text\":\"we see the lure in our constituency\"}");
    KZ_EXPECT(r, 201);
    char first[40];
    snprintf(first, sizeof first, "%s", kz_resp_str(&r, "id"));
    assert_string_equal(kz_resp_str(&r, "kind"), "comment");
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_B);
    assert_string_equal(kz_resp_str(&r, "user_id"), B_AN_ID);
    kz_resp_free(&r);
    char body[200];
    snprintf(body, sizeof body,
             "{\"kind\":\"correction\",\"corrects\":\"%s\",\"text\":\"in two"
             " constituencies\"}",
             first);
    r = post_to(B_AN, id, "/timeline", body);
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "corrects"), first);
    kz_resp_free(&r);
    /* a RED note from B is for B and the lead, not for E */
    r = post_to(B_AN, id, "/timeline", "{\"text\":\"the victim is bank X\",\"tlp\":\"red\"}");
    KZ_EXPECT(r, 201);
    char red[40];
    snprintf(red, sizeof red, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    r = kz_getf(&N, E_AN, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT(r, 200);
    assert_false(kz_resp_list_has(&r, "timeline", "id", red));
    assert_null(strstr(r.body, "bank X"));
    assert_true(kz_resp_list_has(&r, "timeline", "id", first));
    kz_resp_free(&r);
    r = kz_getf(&N, A_RO, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "timeline", "id", red));
    assert_true(kz_resp_list_has(&r, "timeline", "text", "accepted the invitation"));
    kz_resp_free(&r);
    /* E cannot correct (or learn of) what it cannot see */
    snprintf(body, sizeof body, "{\"kind\":\"correction\",\"corrects\":\"%s\",\"text\":\"x\"}",
             red);
    r = post_to(E_AN, id, "/timeline", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "corrects");
    kz_resp_free(&r);
    /* bad entries */
    static const struct {
        const char *body;
        long status;
        const char *field;
    } BAD[] = {
        {"{\"text\":\"\"}", 422, "text"},
        {"{\"text\":7}", 400, "text"},
        {"{}", 400, "text"},
        {"{\"kind\":\"action\",\"text\":\"forged\"}", 422, "kind"},
        {"{\"kind\":\"correction\",\"text\":\"x\"}", 400, "corrects"},
        {"{\"text\":\"x\",\"corrects\":\"00000000-0000-4000-8000-000000000000\"}", 422, "corrects"},
        {"{\"text\":\"x\",\"tlp\":\"green\"}", 422, "tlp"},
        {"{\"text\":\"x\",\"edit\":true}", 400, "edit"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(BAD); i++) {
        r = post_to(B_AN, id, "/timeline", BAD[i].body);
        print_message("timeline bad %zu: %s\n", i, BAD[i].body);
        KZ_EXPECT_ERR(r, BAD[i].status, BAD[i].status == 400 ? "invalid" : "invalid_value",
                      BAD[i].field);
        kz_resp_free(&r);
    }
    expect_post(B_RO, id, "/timeline", "{\"text\":\"read-only people only read\"}", 403);
    /* no route edits or deletes an entry */
    char p[200];
    snprintf(p, sizeof p, "/api/v1/cases/%s/timeline", id);
    r = kz_patch(&N, p, A_AN, "{\"text\":\"rewritten\"}");
    assert_int_equal(r.status, 405);
    kz_resp_free(&r);
    r = kz_delete(&N, p, A_AN);
    assert_int_equal(r.status, 405);
    kz_resp_free(&r);
    snprintf(p, sizeof p, "/api/v1/cases/%s/timeline/%s", id, first);
    r = kz_delete(&N, p, A_AN);
    assert_int_equal(r.status, 404);
    kz_resp_free(&r);
    /* and the database refuses too */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(N.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE case_timeline SET text = 'rewritten'", NULL, NULL, &msg),
        SQLITE_OK);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    msg = NULL;
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM case_timeline", NULL, NULL, &msg),
                         SQLITE_OK);
    sqlite3_free(msg);
    sqlite3_close(db);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/timeline", id);
    assert_true(kz_resp_list_has(&r, "timeline", "text", "we see the lure in our constituency"));
    kz_resp_free(&r);
}

/* ---- links and promotion -------------------------------------------------------------------- */

static void make_event(const char *key, const char *tlp, char out[40])
{
    char body[200];
    snprintf(body, sizeof body,
             "{\"title\":\"lure infrastructure\",\"tlp\":\"%s\",\"distribution\":\"all\"}", tlp);
    kz_resp r = kz_post(&N, "/api/v1/events", key, body);
    KZ_EXPECT(r, 201);
    snprintf(out, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

static void test_links_and_promotion(void **state)
{
    (void)state;
    char id[40], ev[40], c_ev[40];
    make_case(A_AN, "\"tlp\":\"amber+strict\"", id);
    invite(id, ORG_B);
    answer(B_AN, id, ORG_B, "accept", 200);
    make_event(A_AN, "clear", ev);
    make_event(C_AN, "amber", c_ev); /* C's, unpublished: A cannot see it */
    char body[200];
    snprintf(body, sizeof body, "{\"kind\":\"event\",\"id\":\"%s\"}", ev);
    expect_post(A_AN, id, "/links", body, 201);
    expect_post(A_AN, id, "/links", body, 409);
    snprintf(body, sizeof body, "{\"kind\":\"event\",\"id\":\"%s\"}", c_ev);
    kz_resp r = post_to(A_AN, id, "/links", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "id");
    kz_resp_free(&r);
    expect_post(A_AN, id, "/links",
                "{\"kind\":\"file\",\"id\":\"00000000-0000-4000-8000-000000000000\"}", 422);
    expect_post(A_AN, id, "/links", "{\"kind\":\"event\"}", 400);
    /* B may not see A's unpublished event: the link is left out for B */
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/links", id);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "events"), 1);
    kz_resp_free(&r);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/links", id);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "events"), 0);
    kz_resp_free(&r);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s", id);
    assert_int_equal(kz_resp_count(&r, "links.events"), 0);
    kz_resp_free(&r);
    /* B collects an observable (normalised), A promotes it */
    r = post_to(B_AN, id, "/observables",
                "{\"type\":\"ip-dst\",\"value\":\"198.51.100[.]23\",\"comment\":\"lure host\"}");
    KZ_EXPECT(r, 201);
    char obs[40];
    snprintf(obs, sizeof obs, "%s", kz_resp_str(&r, "id"));
    assert_string_equal(kz_resp_str(&r, "value"), "198.51.100.23");
    assert_string_equal(kz_resp_str(&r, "type"), "ipv4");
    kz_resp_free(&r);
    r = post_to(B_AN, id, "/observables", "{\"type\":\"ipv4\",\"value\":\"198.51.100.23\"}");
    KZ_EXPECT_ERR(r, 409, "conflict", "value");
    kz_resp_free(&r);
    r = post_to(B_AN, id, "/observables", "{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "value");
    kz_resp_free(&r);
    r = post_to(B_AN, id, "/observables", "{\"type\":\"nonsense\",\"value\":\"x\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "type");
    kz_resp_free(&r);
    char sub[200];
    snprintf(sub, sizeof sub, "/observables/%s/promote", obs);
    snprintf(body, sizeof body, "{\"event_id\":\"%s\"}", c_ev);
    r = post_to(A_AN, id, sub, body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "event_id");
    kz_resp_free(&r);
    r = post_to(A_AN, id, sub, "{\"event\":1}");
    KZ_EXPECT_ERR(r, 400, "invalid", "event");
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"event_id\":\"%s\"}", ev);
    r = post_to(B_AN, id, sub, body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "event_id"); /* B does not see that link */
    kz_resp_free(&r);
    r = post_to(A_AN, id, sub, body);
    KZ_EXPECT(r, 201);
    char ind[40];
    snprintf(ind, sizeof ind, "%s", kz_resp_str(&r, "indicator.id"));
    assert_string_equal(kz_resp_str(&r, "indicator.tlp"), "amber+strict");
    assert_string_equal(kz_resp_str(&r, "indicator.value"), "198.51.100.23");
    assert_string_equal(kz_resp_str(&r, "observable.indicator_id"), ind);
    kz_resp_free(&r);
    r = kz_getf(&N, A_AN, "/api/v1/indicators/%s", ind);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber+strict");
    assert_string_equal(kz_resp_str(&r, "event_id"), ev);
    kz_resp_free(&r);
    r = post_to(A_AN, id, sub, body);
    KZ_EXPECT_ERR(r, 409, "conflict", NULL);
    kz_resp_free(&r);
    /* the indicator can be linked too */
    snprintf(body, sizeof body, "{\"kind\":\"indicator\",\"id\":\"%s\"}", ind);
    expect_post(A_AN, id, "/links", body, 201);
    /* a sighting of it, linked: B cannot see the event, so not the sighting either */
    char sp[120];
    snprintf(sp, sizeof sp, "/api/v1/indicators/%s/sightings", ind);
    r = kz_post(&N, sp, A_AN, "{\"source\":\"proxy logs\"}");
    KZ_EXPECT(r, 201);
    char sighting[40];
    snprintf(sighting, sizeof sighting, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    snprintf(body, sizeof body, "{\"kind\":\"sighting\",\"id\":\"%s\"}", sighting);
    expect_post(A_AN, id, "/links", body, 201);
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/links", id);
    assert_int_equal(kz_resp_count(&r, "indicators"), 1);
    assert_int_equal(kz_resp_count(&r, "sightings"), 1);
    kz_resp_free(&r);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/links", id);
    assert_int_equal(kz_resp_count(&r, "sightings"), 0);
    kz_resp_free(&r);
    /* once A publishes the event (clear, to all), B sees the event link but
     * still not the sighting: it is of an amber+strict indicator of A's */
    char pub[120];
    snprintf(pub, sizeof pub, "/api/v1/events/%s/publish", ev);
    r = kz_post(&N, pub, ADMIN, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/links", id);
    assert_int_equal(kz_resp_count(&r, "events"), 1);
    assert_int_equal(kz_resp_count(&r, "indicators"), 0);
    assert_int_equal(kz_resp_count(&r, "sightings"), 0);
    kz_resp_free(&r);
    /* the timeline says who promoted which observable, but names no linked
     * object: B reads it too and may not see the indicator or the sighting */
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT(r, 200);
    bool found = false;
    json_t *tl = kz_resp_get(&r, "timeline");
    assert_true(json_array_size(tl) > 0);
    for (size_t i = 0; i < json_array_size(tl); i++) {
        json_t *e = json_array_get(tl, i);
        const char *t = json_string_value(json_object_get(e, "text"));
        assert_non_null(t);
        found |= strstr(t, "promoted observable") && strstr(t, obs) &&
                 !strcmp(json_string_value(json_object_get(e, "org_id")), ORG_A);
        assert_null(strstr(t, ind));
        assert_null(strstr(t, sighting));
        assert_null(strstr(t, c_ev));
    }
    assert_true(found);
    kz_resp_free(&r);
    /* B sees that its observable was promoted, not into which indicator;
     * A, who may see the indicator, gets its id */
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/observables", id);
    KZ_EXPECT(r, 200);
    json_t *o = json_array_get(kz_resp_get(&r, "observables"), 0);
    assert_true(json_is_true(json_object_get(o, "promoted")));
    assert_true(json_is_null(json_object_get(o, "indicator_id")));
    kz_resp_free(&r);
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/observables", id);
    KZ_EXPECT(r, 200);
    o = json_array_get(kz_resp_get(&r, "observables"), 0);
    assert_true(json_is_true(json_object_get(o, "promoted")));
    assert_string_equal(json_string_value(json_object_get(o, "indicator_id")), ind);
    kz_resp_free(&r);
}

/* An entry keeps the marking it was written under: when the lead lowers a
 * RED case to AMBER, a comment B wrote under RED stays RED, for B and the
 * lead only; E, who joined the same case, no longer sees it. */
static void test_entry_keeps_marking(void **state)
{
    (void)state;
    char id[40];
    make_case(A_AN, "\"tlp\":\"red\"", id);
    invite(id, ORG_B);
    invite(id, ORG_E);
    answer(B_AN, id, ORG_B, "accept", 200);
    answer(E_AN, id, ORG_E, "accept", 200);
    kz_resp r = post_to(B_AN, id, "/timeline", "{\"text\":\"written under red\"}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "tlp"), "red");
    char red_entry[40];
    snprintf(red_entry, sizeof red_entry, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    r = kz_getf(&N, E_AN, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT(r, 200);
    assert_non_null(strstr(r.body, "written under red"));
    kz_resp_free(&r);
    char path[120];
    snprintf(path, sizeof path, "/api/v1/cases/%s", id);
    r = kz_patch(&N, path, A_AN, "{\"tlp\":\"amber\"}");
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "tlp"), "amber");
    kz_resp_free(&r);
    r = kz_getf(&N, E_AN, "/api/v1/cases/%s/timeline", id);
    KZ_EXPECT(r, 200);
    assert_null(strstr(r.body, "written under red"));
    kz_resp_free(&r);
    r = kz_getf(&N, B_AN, "/api/v1/cases/%s/timeline", id);
    assert_non_null(strstr(r.body, "written under red"));
    kz_resp_free(&r);
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/timeline", id);
    assert_non_null(strstr(r.body, "written under red"));
    kz_resp_free(&r);
    /* a correction restates what it corrects: at least as strict */
    char body[200];
    snprintf(body, sizeof body,
             "{\"kind\":\"correction\",\"corrects\":\"%s\",\"text\":\"red, corrected\","
             "\"tlp\":\"amber\"}",
             red_entry);
    r = post_to(B_AN, id, "/timeline", body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "tlp");
    kz_resp_free(&r);
    snprintf(body, sizeof body,
             "{\"kind\":\"correction\",\"corrects\":\"%s\",\"text\":\"red, corrected\"}",
             red_entry);
    r = post_to(B_AN, id, "/timeline", body);
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "tlp"), "red");
    kz_resp_free(&r);
    r = kz_getf(&N, E_AN, "/api/v1/cases/%s/timeline", id);
    assert_null(strstr(r.body, "red, corrected"));
    kz_resp_free(&r);
}

/* Reading an AMBER case is a read of AMBER data: audited, one entry per
 * case read, with the case's TLP; a GREEN case read is not. */
static void test_case_reads_audited(void **state)
{
    (void)state;
    char amber[40], green[40];
    make_case(A_AN, "\"tlp\":\"amber\"", amber);
    make_case(A_AN, "\"tlp\":\"green\"", green);
    kz_resp r = kz_getf(&N, A_AN, "/api/v1/cases/%s", green);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/timeline", amber);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    long n = 0;
    for (int tries = 0; tries < 50 && n == 0; tries++) {
        usleep(100000); /* the audit writer batches */
        r = kz_getf(&N, ADMIN, "/api/v1/audit?action=read&object_id=%s", amber);
        KZ_EXPECT(r, 200);
        n = kz_resp_count(&r, "entries");
        if (n) {
            assert_string_equal(kz_resp_str(&r, "entries.0.object_type"), "case");
            assert_string_equal(kz_resp_str(&r, "entries.0.tlp"), "amber");
            assert_string_equal(kz_resp_str(&r, "entries.0.actor_org"), ORG_A);
        }
        kz_resp_free(&r);
    }
    assert_int_equal(n, 1);
    r = kz_getf(&N, ADMIN, "/api/v1/audit?action=read&object_id=%s", green);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "entries"), 0);
    kz_resp_free(&r);
}

/* ---- drills and metrics --------------------------------------------------------------------- */

static void test_drill_and_metrics(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/metrics/response", E_AN);
    KZ_EXPECT(r, 200);
    long real0 = (long)json_integer_value(kz_resp_get(&r, "cases_total"));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response?drill=true", E_AN);
    long drill0 = (long)json_integer_value(kz_resp_get(&r, "cases_total"));
    kz_resp_free(&r);
    char real[40], drill[40];
    make_case(A_AN, NULL, real);
    make_case(A_AN, "\"drill\":true", drill);
    invite(real, ORG_E);
    invite(drill, ORG_E);
    answer(E_AN, real, ORG_E, "accept", 200);
    answer(E_AN, drill, ORG_E, "accept", 200);
    move(A_AN, real, "acknowledged", 200);
    move(A_AN, drill, "acknowledged", 200);
    /* injects only in drills; delivered when due */
    expect_post(A_AN, real, "/injects", "{\"at\":\"2020-01-01T00:00:00Z\",\"text\":\"x\"}", 409);
    expect_post(A_AN, drill, "/injects",
                "{\"at\":\"2020-01-01T00:00:00Z\",\"text\":\"the attackers publish stolen data\"}",
                201);
    expect_post(A_AN, drill, "/injects",
                "{\"at\":\"2999-01-01T00:00:00Z\",\"text\":\"journalists call\"}", 201);
    expect_post(E_AN, drill, "/injects", "{\"at\":\"2020-01-01T00:00:00Z\",\"text\":\"x\"}", 403);
    expect_post(A_AN, drill, "/injects", "{\"text\":\"x\"}", 400);
    expect_post(A_AN, drill, "/injects", "{\"at\":\"yesterday\",\"text\":\"x\"}", 422);
    r = kz_getf(&N, E_AN, "/api/v1/cases/%s/timeline", drill);
    KZ_EXPECT(r, 200);
    assert_true(
        kz_resp_list_has(&r, "timeline", "text", "inject: the attackers publish stolen data"));
    assert_null(strstr(r.body, "journalists"));
    kz_resp_free(&r);
    r = kz_getf(&N, E_AN, "/api/v1/cases/%s/injects", drill);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "injects"), 1);
    assert_true(json_is_true(kz_resp_get(&r, "injects.0.delivered")));
    kz_resp_free(&r);
    r = kz_getf(&N, A_AN, "/api/v1/cases/%s/injects", drill);
    assert_int_equal(kz_resp_count(&r, "injects"), 2);
    kz_resp_free(&r);
    /* drill filter on the list */
    assert_true(list_has(E_AN, "?drill=true", drill));
    assert_false(list_has(E_AN, "?drill=true", real));
    assert_true(list_has(E_AN, "?drill=false", real));
    /* metrics: the drill is not in the real figures, and only there with drill=true */
    r = kz_get(&N, "/api/v1/metrics/response", E_AN);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "cases_total")), real0 + 1);
    assert_true(kz_resp_list_has(&r, "cases", "id", real));
    assert_false(kz_resp_list_has(&r, "cases", "id", drill));
    assert_true(json_is_false(kz_resp_get(&r, "drill")));
    assert_true(json_integer_value(kz_resp_get(&r, "open_by_severity.2")) >= 1);
    assert_true(json_integer_value(kz_resp_get(&r, "open_by_country.TH")) >= 1);
    json_t *cs = kz_resp_get(&r, "cases");
    for (size_t i = 0; i < json_array_size(cs); i++) {
        json_t *c = json_array_get(cs, i);
        if (strcmp(json_string_value(json_object_get(c, "id")), real) != 0)
            continue;
        /* acknowledged within the test run: a few seconds at most */
        json_t *ack = json_object_get(c, "time_to_acknowledge_s");
        assert_true(json_is_integer(ack));
        assert_in_range(json_integer_value(ack), 0, 60);
        assert_true(json_is_null(json_object_get(c, "time_to_contain_s")));
    }
    assert_true(kz_resp_list_has(&r, "orgs", "org_id", ORG_A));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response?drill=true", E_AN);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "cases_total")), drill0 + 1);
    assert_true(kz_resp_list_has(&r, "cases", "id", drill));
    assert_false(kz_resp_list_has(&r, "cases", "id", real));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response?since=2999-01-01", E_AN);
    KZ_EXPECT(r, 200);
    assert_int_equal(json_integer_value(kz_resp_get(&r, "cases_total")), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response?since=someday", E_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "since");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response?drill=maybe", E_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "drill");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/metrics/response", NULL);
    KZ_EXPECT_ERR(r, 401, "unauthorized", "*");
    kz_resp_free(&r);
}

/* ---- paging --------------------------------------------------------------------------------- */

static void test_list_paging(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/cases?limit=1000", A_AN);
    KZ_EXPECT(r, 200);
    long total = kz_resp_count(&r, "cases");
    assert_true(total >= 8);
    kz_resp_free(&r);
    long seen = 0;
    char cursor[512] = "";
    for (int page = 0; page < 100; page++) {
        char path[700];
        if (cursor[0])
            snprintf(path, sizeof path, "/api/v1/cases?limit=3&cursor=%s", cursor);
        else
            snprintf(path, sizeof path, "/api/v1/cases?limit=3");
        r = kz_get(&N, path, A_AN);
        KZ_EXPECT(r, 200);
        long n = kz_resp_count(&r, "cases");
        assert_true(n <= 3);
        seen += n;
        const char *next = kz_resp_str(&r, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        kz_resp_free(&r);
        if (!cursor[0])
            break;
    }
    assert_int_equal(seen, total);
    r = kz_get(&N, "/api/v1/cases?cursor=bogus", A_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "cursor");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/cases?limit=0", A_AN);
    KZ_EXPECT_ERR(r, 400, "invalid", "limit");
    kz_resp_free(&r);
}

/* ---- CLI ------------------------------------------------------------------------------------ */

static void test_cli(void **state)
{
    (void)state;
    static char out[1 << 22]; /* the whole audit log below */
    const char *add[] = {
        "case",      "add",     "--db",       N.db,         "--org",
        "CERT-B",    "--title", "Scan wave",  "--category", "information-gathering",
        "--subtype", "scanner", "--severity", "4",          NULL};
    assert_int_equal(kz_node_run(add, out, sizeof out), 0);
    char id[40];
    snprintf(id, sizeof id, "%.36s", out);
    /* a write from the shell is in the audit log too, and the chain holds;
     * the whole log is read, since the serving node's audit writer may flush
     * earlier reads after this entry */
    const char *alist[] = {"audit", "list", "--db", N.db, "--json", "--limit", "100000", NULL};
    assert_int_equal(kz_node_run(alist, out, sizeof out), 0);
    json_t *aj = json_loads(out, 0, NULL);
    bool audited = false;
    for (size_t i = 0; i < json_array_size(aj); i++) {
        json_t *e = json_array_get(aj, i);
        const char *oid = json_string_value(json_object_get(e, "object_id"));
        if (oid && !strcmp(oid, id)) {
            assert_string_equal(json_string_value(json_object_get(e, "action")), "cli case add");
            assert_string_equal(json_string_value(json_object_get(e, "remote")), "cli");
            assert_string_equal(json_string_value(json_object_get(e, "actor_org")), ORG_B);
            audited = true;
        }
    }
    json_decref(aj);
    assert_true(audited);
    const char *averify[] = {"audit", "verify", "--db", N.db, NULL};
    assert_int_equal(kz_node_run(averify, out, sizeof out), 0);
    const char *bad[] = {"case",      "add",     "--db", N.db,         "--org",
                         "CERT-B",    "--title", "x",    "--category", "information-gathering",
                         "--subtype", "spam",    NULL};
    assert_int_equal(kz_node_run(bad, out, sizeof out), 1);
    const char *move_bad[] = {"case", "transition", id,       "closed", "--db",
                              N.db,   "--org",      "CERT-B", NULL};
    assert_int_equal(kz_node_run(move_bad, out, sizeof out), 1);
    const char *move_other[] = {"case",  "transition", id,  "acknowledged", "--db", N.db,
                                "--org", "CERT-C",     NULL};
    assert_int_equal(kz_node_run(move_other, out, sizeof out), 1);
    const char *move_ok[] = {"case",  "transition", id,  "acknowledged", "--db", N.db,
                             "--org", "CERT-B",     NULL};
    assert_int_equal(kz_node_run(move_ok, out, sizeof out), 0);
    assert_non_null(strstr(out, "new -> acknowledged"));
    const char *inv[] = {"case",  "invite", id,         "--db",   N.db,
                         "--org", "CERT-B", "--invite", "CERT-C", NULL};
    assert_int_equal(kz_node_run(inv, out, sizeof out), 0);
    const char *acc[] = {"case", "accept", id, "--db", N.db, "--org", "CERT-C", NULL};
    assert_int_equal(kz_node_run(acc, out, sizeof out), 0);
    const char *com[] = {"case",  "comment", id,       "--db",          N.db,
                         "--org", "CERT-C",  "--text", "seen here too", NULL};
    assert_int_equal(kz_node_run(com, out, sizeof out), 0);
    const char *task[] = {"case",    "task",  id,         "--db",   N.db,    "--org",      "CERT-B",
                          "--title", "block", "--assign", "CERT-C", "--due", "2020-01-01", NULL};
    assert_int_equal(kz_node_run(task, out, sizeof out), 0);
    char task_id[40];
    snprintf(task_id, sizeof task_id, "%.36s", out);
    const char *task_other[] = {"case", "task",    id,      "--db",     N.db,   "--org",
                                "CERT-D", "--task", task_id, "--status", "done", NULL};
    assert_int_equal(kz_node_run(task_other, out, sizeof out), 1);
    const char *task_bad[] = {"case", "task",    id,      "--db",     N.db,       "--org",
                              "CERT-C", "--task", task_id, "--status", "finished", NULL};
    assert_int_equal(kz_node_run(task_bad, out, sizeof out), 1);
    const char *show[] = {"case", "show", id, "--db", N.db, NULL};
    assert_int_equal(kz_node_run(show, out, sizeof out), 0);
    assert_non_null(strstr(out, "seen here too"));
    assert_non_null(strstr(out, "\"overdue\": true"));
    const char *list[] = {"case", "list", "--db", N.db, "--org", "CERT-C", "--overdue", NULL};
    assert_int_equal(kz_node_run(list, out, sizeof out), 0);
    assert_non_null(strstr(out, id));
    /* the assigned org finishes its task: no longer overdue */
    const char *task_done[] = {"case", "task",    id,      "--db",     N.db,   "--org",
                               "CERT-C", "--task", task_id, "--status", "done", NULL};
    assert_int_equal(kz_node_run(task_done, out, sizeof out), 0);
    assert_int_equal(kz_node_run(list, out, sizeof out), 0);
    assert_null(strstr(out, id));
    const char *rep[] = {"report",     "response", "--db", N.db, "--since",
                         "2020-01-01", "--format", "csv",  NULL};
    kz_resp r = kz_post(&N, "/api/v1/cases", A_AN,
                        "{\"title\":\"=1+1 looks like a formula\",\"category\":\"test\","
                        "\"subtype\":\"test\"}");
    KZ_EXPECT(r, 201);
    kz_resp_free(&r);
    assert_int_equal(kz_node_run(rep, out, sizeof out), 0);
    assert_true(strncmp(out, "record,id,name,country,", 23) == 0);
    assert_non_null(strstr(out, id));
    /* another org's title never becomes a spreadsheet formula */
    assert_non_null(strstr(out, ",\"'=1+1 looks like a formula\","));
    const char *rep_txt[] = {"report", "response", "--db", N.db, "--since", "2020-01-01", NULL};
    assert_int_equal(kz_node_run(rep_txt, out, sizeof out), 0);
    assert_non_null(strstr(out, "Scan wave"));
    const char *rep_bad[] = {"report", "response", "--db", N.db, "--since", "someday", NULL};
    assert_int_equal(kz_node_run(rep_bad, out, sizeof out), 2);
    const char *rep_fmt[] = {"report",     "response", "--db", N.db, "--since",
                             "2020-01-01", "--format", "xml",  NULL};
    assert_int_equal(kz_node_run(rep_fmt, out, sizeof out), 2);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_workflow),
        cmocka_unit_test(test_participation),
        cmocka_unit_test(test_tasks_and_overdue),
        cmocka_unit_test(test_timeline_append_only),
        cmocka_unit_test(test_links_and_promotion),
        cmocka_unit_test(test_case_reads_audited),
        cmocka_unit_test(test_entry_keeps_marking),
        cmocka_unit_test(test_drill_and_metrics),
        cmocka_unit_test(test_list_paging),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
