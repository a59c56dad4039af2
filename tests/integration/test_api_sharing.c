/* test_api_sharing.c — who sees what across organisations, over HTTP:
 * communities and their members, sharing groups, and events whose TLP and
 * distribution must hide them from the wrong organisation (404, never 403)
 * while letting the right one read them.
 *
 * Cast: orgs A, B, C. Community "asean" holds A and B; C is alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_node.h"

static kz_node N;
static const char *ADMIN;
static char ORG_A[40], ORG_B[40], ORG_C[40];
static char COMM[40];
static char A_PUB[64], A_ANALYST[64], A_RO[64], B_ANALYST[64], B_PUB[64], C_ANALYST[64];
static char A_ANALYST_ID[40];

static int setup(void **state)
{
    (void)state;
    if (kz_node_init(&N, "CERT-A", "TH") != 0 || kz_node_start(&N, NULL) != 0)
        return -1;
    ADMIN = N.admin_key;
    kz_resp r = kz_get(&N, "/api/v1/me", ADMIN);
    if (r.status != 200)
        return -1;
    snprintf(ORG_A, sizeof ORG_A, "%s", kz_resp_str(&r, "org.id"));
    kz_resp_free(&r);
    kz_make_org(&N, ADMIN, "CERT-B", "JP", ORG_B);
    kz_make_org(&N, ADMIN, "CERT-C", "US", ORG_C);
    char id[40];
    kz_make_user(&N, ADMIN, ORG_A, "pub@a.example", "publisher", id, A_PUB);
    kz_make_user(&N, ADMIN, ORG_A, "an@a.example", "analyst", A_ANALYST_ID, A_ANALYST);
    kz_make_user(&N, ADMIN, ORG_A, "ro@a.example", "read_only", id, A_RO);
    kz_make_user(&N, ADMIN, ORG_B, "an@b.example", "analyst", id, B_ANALYST);
    kz_make_user(&N, ADMIN, ORG_B, "pub@b.example", "publisher", id, B_PUB);
    kz_make_user(&N, ADMIN, ORG_C, "an@c.example", "analyst", id, C_ANALYST);
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"asean\",\"member_orgs\":[\"%s\",\"%s\"]}", ORG_A, ORG_B);
    r = kz_post(&N, "/api/v1/communities", ADMIN, body);
    if (r.status != 201)
        return -1;
    snprintf(COMM, sizeof COMM, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = kz_node_stop(&N);
    kz_node_free(&N);
    return rc == 0 ? 0 : -1;
}

/* ---- communities ------------------------------------------------------- */

static void test_community_read_by_anyone(void **state)
{
    (void)state;
    kz_resp r = kz_get(&N, "/api/v1/communities", C_ANALYST);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "communities", "id", COMM));
    kz_resp_free(&r);
    r = kz_getf(&N, C_ANALYST, "/api/v1/communities/%s", COMM);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "name"), "asean");
    assert_int_equal(kz_resp_count(&r, "member_orgs"), 2);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/communities/00000000-0000-4000-8000-000000000000", C_ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", B_ANALYST);
    assert_int_equal(kz_resp_count(&r, "communities"), 1);
    assert_string_equal(kz_resp_str(&r, "communities.0"), COMM);
    kz_resp_free(&r);
}

static bool community_named(const char *name)
{
    kz_resp r = kz_get(&N, "/api/v1/communities", ADMIN);
    bool has = kz_resp_list_has(&r, "communities", "name", name);
    kz_resp_free(&r);
    return has;
}

static void test_community_create_rules(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/communities", A_PUB, "{\"name\":\"rogue\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    assert_false(community_named("rogue"));

    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"description\":\"no name\"}", 400, "invalid", "name"},
        {"{\"name\":\"c1\",\"member_orgs\":\"all\"}", 400, "invalid", "member_orgs"},
        {"{\"name\":\"c2\",\"member_orgs\":[\"00000000-0000-4000-8000-000000000000\"]}", 422,
         "invalid_value", "member_orgs[0]"},
        {"{\"name\":\"c3\",\"members\":[]}", 400, "invalid", "members"},
        {"{\"name\":\"asean\"}", 409, "conflict", "name"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        r = kz_post(&N, "/api/v1/communities", ADMIN, cases[i].body);
        print_message("case %zu: %s\n", i, cases[i].body);
        KZ_EXPECT_ERR(r, cases[i].status, cases[i].code, cases[i].field);
        kz_resp_free(&r);
    }
    assert_false(community_named("c1"));
    assert_false(community_named("c2"));
    assert_false(community_named("c3"));
}

static void test_community_members_add_and_remove(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/communities", ADMIN, "{\"name\":\"apac-wide\"}");
    KZ_EXPECT(r, 201);
    char id[40], path[160], body[128];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    assert_int_equal(kz_resp_count(&r, "member_orgs"), 0);
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/communities/%s/members", id);
    snprintf(body, sizeof body, "{\"org_id\":\"%s\"}", ORG_C);

    r = kz_post(&N, path, C_ANALYST, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, path, ADMIN, "{\"org\":\"x\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "org");
    kz_resp_free(&r);
    r = kz_post(&N, path, ADMIN, "{\"org_id\":42}");
    KZ_EXPECT_ERR(r, 400, "invalid", "org_id");
    kz_resp_free(&r);
    r = kz_post(&N, path, ADMIN, "{}");
    KZ_EXPECT_ERR(r, 400, "invalid", "org_id");
    kz_resp_free(&r);
    r = kz_post(&N, path, ADMIN, "{\"org_id\":\"00000000-0000-4000-8000-000000000000\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "org_id");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/communities/00000000-0000-4000-8000-000000000000/members", ADMIN, body);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "/api/v1/communities/%s", id);
    assert_int_equal(kz_resp_count(&r, "member_orgs"), 0);
    kz_resp_free(&r);

    r = kz_post(&N, path, ADMIN, body);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "member_orgs"), 1);
    assert_string_equal(kz_resp_str(&r, "member_orgs.0"), ORG_C);
    kz_resp_free(&r);
    r = kz_post(&N, path, ADMIN, body);
    KZ_EXPECT_ERR(r, 409, "conflict", "org_id");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", C_ANALYST); /* membership shows at once */
    assert_int_equal(kz_resp_count(&r, "communities"), 1);
    kz_resp_free(&r);

    char del[200];
    snprintf(del, sizeof del, "%s/%s", path, ORG_C);
    r = kz_delete(&N, del, C_ANALYST);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, del, ADMIN);
    KZ_EXPECT(r, 204);
    kz_resp_free(&r);
    r = kz_delete(&N, del, ADMIN);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/me", C_ANALYST);
    assert_int_equal(kz_resp_count(&r, "communities"), 0);
    kz_resp_free(&r);
}

/* ---- sharing groups ------------------------------------------------------ */

static void test_sharing_groups(void **state)
{
    (void)state;
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"op-lantern\",\"member_orgs\":[\"%s\"]}", ORG_B);
    kz_resp r = kz_post(&N, "/api/v1/sharing-groups", A_ANALYST, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/sharing-groups", A_RO, body);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/sharing-groups", ADMIN);
    assert_false(kz_resp_list_has(&r, "sharing_groups", "name", "op-lantern"));
    kz_resp_free(&r);

    r = kz_post(&N, "/api/v1/sharing-groups", A_PUB, "{\"name\":\"sg-missing\"}");
    KZ_EXPECT_ERR(r, 400, "invalid", "member_orgs");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/sharing-groups", A_PUB,
                "{\"name\":\"sg-bad\",\"member_orgs\":[\"00000000-0000-4000-8000-000000000000\"]}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "member_orgs[0]");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/sharing-groups", A_PUB, "{\"name\":\"sg-bad2\",\"member_orgs\":[\"x\"]}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "member_orgs[0]");
    kz_resp_free(&r);

    r = kz_post(&N, "/api/v1/sharing-groups", A_PUB, body);
    KZ_EXPECT(r, 201);
    char id[40];
    snprintf(id, sizeof id, "%s", kz_resp_str(&r, "id"));
    assert_string_equal(kz_resp_str(&r, "owner_org"), ORG_A);
    assert_int_equal(kz_resp_count(&r, "member_orgs"), 2); /* B and the owner */
    kz_resp_free(&r);

    r = kz_get(&N, "/api/v1/sharing-groups", B_ANALYST);
    KZ_EXPECT(r, 200);
    assert_true(kz_resp_list_has(&r, "sharing_groups", "id", id));
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/sharing-groups", C_ANALYST);
    KZ_EXPECT(r, 200);
    assert_false(kz_resp_list_has(&r, "sharing_groups", "id", id));
    assert_false(kz_resp_list_has(&r, "sharing_groups", "name", "sg-missing"));
    kz_resp_free(&r);
    r = kz_getf(&N, B_ANALYST, "/api/v1/sharing-groups/%s", id);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    r = kz_getf(&N, C_ANALYST, "/api/v1/sharing-groups/%s", id);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, ADMIN, "/api/v1/sharing-groups/%s", id);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
}

/* ---- events across organisations ---------------------------------------- */

static void make_event(const char *key, const char *body, char id[40])
{
    kz_resp r = kz_post(&N, "/api/v1/events", key, body);
    KZ_EXPECT(r, 201);
    snprintf(id, 40, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);
}

static void expect_visible(const char *key, const char *ev, bool visible)
{
    kz_resp r = kz_getf(&N, key, "/api/v1/events/%s", ev);
    if (visible)
        KZ_EXPECT(r, 200);
    else
        KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events", key);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_list_has(&r, "events", "id", ev), visible);
    kz_resp_free(&r);
}

static void test_amber_strict_stays_in_the_creator_org(void **state)
{
    (void)state;
    char ev[40];
    make_event(A_PUB,
               "{\"title\":\"strict\",\"tlp\":\"amber+strict\",\"distribution\":\"all\","
               "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.201\"}]}",
               ev);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    kz_resp r = kz_post(&N, path, A_PUB, NULL);
    KZ_EXPECT(r, 200);
    assert_true(json_is_true(kz_resp_get(&r, "published")));
    kz_resp_free(&r);
    expect_visible(A_RO, ev, true);
    expect_visible(B_ANALYST, ev, false);
    expect_visible(C_ANALYST, ev, false);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.201", B_ANALYST);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=192.0.2.201", A_RO);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);
    /* Not even its existence leaks through writes. */
    snprintf(path, sizeof path, "/api/v1/events/%s", ev);
    r = kz_patch(&N, path, B_PUB, "{\"title\":\"mine now\"}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, B_PUB);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_getf(&N, A_RO, "/api/v1/events/%s", ev);
    assert_string_equal(kz_resp_str(&r, "title"), "strict");
    kz_resp_free(&r);
}

static void test_community_distribution_after_publish(void **state)
{
    (void)state;
    char ev[40];
    make_event(A_ANALYST,
               "{\"title\":\"green for asean\",\"tlp\":\"green\",\"distribution\":\"community\","
               "\"indicators\":[{\"type\":\"domain\",\"value\":\"asean-phish.example\"}]}",
               ev);
    /* Unpublished: creator org only. */
    expect_visible(A_RO, ev, true);
    expect_visible(B_ANALYST, ev, false);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    kz_resp r = kz_post(&N, path, A_ANALYST, NULL); /* analysts cannot publish */
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_post(&N, path, B_PUB, NULL); /* another org cannot even see it */
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    expect_visible(B_ANALYST, ev, false);
    r = kz_post(&N, path, A_PUB, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);

    expect_visible(B_ANALYST, ev, true);
    expect_visible(C_ANALYST, ev, false);
    r = kz_get(&N, "/api/v1/search?value=asean-phish.example", B_ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 1);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/search?value=asean-phish.example", C_ANALYST);
    assert_int_equal(kz_resp_count(&r, "results"), 0);
    kz_resp_free(&r);

    /* B can see it but not change it: 403, and nothing changes. */
    snprintf(path, sizeof path, "/api/v1/events/%s", ev);
    r = kz_patch(&N, path, B_PUB, "{\"title\":\"edited by B\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_delete(&N, path, B_PUB);
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, path, B_ANALYST);
    KZ_EXPECT(r, 200);
    assert_string_equal(kz_resp_str(&r, "title"), "green for asean");
    char ind[40];
    snprintf(ind, sizeof ind, "%s", kz_resp_str(&r, "indicators.0.id"));
    kz_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/indicators/%s", ind);
    r = kz_patch(&N, path, B_PUB, "{\"comment\":\"B was here\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, path, C_ANALYST);
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    /* B may report a sighting of what it can see; C may not. */
    snprintf(path, sizeof path, "/api/v1/indicators/%s/sightings", ind);
    r = kz_post(&N, path, B_ANALYST, "{\"count\":3,\"source\":\"b-ids\"}");
    KZ_EXPECT(r, 201);
    assert_string_equal(kz_resp_str(&r, "org_id"), ORG_B);
    kz_resp_free(&r);
    r = kz_post(&N, path, C_ANALYST, "{\"count\":3}");
    KZ_EXPECT_ERR(r, 404, "not_found", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, path, A_RO);
    KZ_EXPECT(r, 200);
    assert_int_equal(kz_resp_count(&r, "sightings"), 1);
    kz_resp_free(&r);
}

static void test_sharing_group_distribution(void **state)
{
    (void)state;
    char body[512];
    snprintf(body, sizeof body, "{\"name\":\"sg-bc\",\"member_orgs\":[\"%s\"]}", ORG_C);
    kz_resp r = kz_post(&N, "/api/v1/sharing-groups", B_PUB, body);
    KZ_EXPECT(r, 201);
    char sg[40];
    snprintf(sg, sizeof sg, "%s", kz_resp_str(&r, "id"));
    kz_resp_free(&r);

    /* A is not in sg-bc: it cannot share into it. */
    snprintf(body, sizeof body,
             "{\"title\":\"sg event\",\"tlp\":\"clear\",\"distribution\":\"sharing_group\","
             "\"sharing_group_id\":\"%s\"}",
             sg);
    r = kz_post(&N, "/api/v1/events", A_PUB, body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "sharing_group_id");
    kz_resp_free(&r);
    r = kz_post(&N, "/api/v1/events", A_PUB,
                "{\"title\":\"sg event\",\"distribution\":\"sharing_group\"}");
    KZ_EXPECT_ERR(r, 422, "invalid_value", "sharing_group_id");
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events", A_PUB);
    assert_false(kz_resp_list_has(&r, "events", "title", "sg event"));
    kz_resp_free(&r);

    char ev[40];
    make_event(B_PUB, body, ev);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    r = kz_post(&N, path, B_PUB, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    expect_visible(C_ANALYST, ev, true);
    expect_visible(A_PUB, ev, false); /* in B's community, but not in the group */
}

static void test_red_is_for_named_users(void **state)
{
    (void)state;
    char body[256], ev[40];
    snprintf(body, sizeof body,
             "{\"title\":\"red\",\"tlp\":\"red\",\"distribution\":\"all\",\"recipient_users\":[\"%s\"]}",
             A_ANALYST_ID);
    make_event(A_PUB, body, ev);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/events/%s/publish", ev);
    kz_resp r = kz_post(&N, path, A_PUB, NULL);
    KZ_EXPECT(r, 200);
    kz_resp_free(&r);
    expect_visible(A_PUB, ev, true);     /* the creator */
    expect_visible(A_ANALYST, ev, true); /* named */
    expect_visible(A_RO, ev, false);     /* same org, not named */
    expect_visible(ADMIN, ev, false);    /* not even the node admin */
    expect_visible(B_ANALYST, ev, false);
    snprintf(body, sizeof body,
             "{\"title\":\"red2\",\"tlp\":\"red\",\"recipient_users\":[\"00000000-0000-4000-8000-"
             "000000000000\"]}");
    r = kz_post(&N, "/api/v1/events", A_PUB, body);
    KZ_EXPECT_ERR(r, 422, "invalid_value", "recipient_users[0]");
    kz_resp_free(&r);
}

static void test_read_only_cannot_create_events(void **state)
{
    (void)state;
    kz_resp r = kz_post(&N, "/api/v1/events", A_RO, "{\"title\":\"ro event\"}");
    KZ_EXPECT_ERR(r, 403, "forbidden", NULL);
    kz_resp_free(&r);
    r = kz_get(&N, "/api/v1/events", A_PUB);
    assert_false(kz_resp_list_has(&r, "events", "title", "ro event"));
    kz_resp_free(&r);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_community_read_by_anyone),
        cmocka_unit_test(test_community_create_rules),
        cmocka_unit_test(test_community_members_add_and_remove),
        cmocka_unit_test(test_sharing_groups),
        cmocka_unit_test(test_amber_strict_stays_in_the_creator_org),
        cmocka_unit_test(test_community_distribution_after_publish),
        cmocka_unit_test(test_sharing_group_distribution),
        cmocka_unit_test(test_red_is_for_named_users),
        cmocka_unit_test(test_read_only_cannot_create_events),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
