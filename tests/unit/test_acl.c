/* test_acl.c — the access decision, over the whole matrix.
 *
 * The expected answers come from a declarative restatement of the rules:
 * literal truth tables (who each TLP level and each distribution admits, per
 * relationship of the principal to the event and per community scope), the
 * publication rule, and the role tables for actions. The code under test is
 * never asked for an expected value. Every combination is checked and every
 * mismatch is printed with its full coordinates.
 *
 * The cast (orgs, communities):
 *   C  creator org (users UC = creator, UC2 = colleague), in K1 and K4
 *   R  named TLP:AMBER recipient org, in no community
 *   N  org of the named TLP:RED recipient user UN, in K1
 *   M  another org in K1
 *   X  an org in K2; K2 shares org B with K1, so K1 is one hop from X
 *   Q  an org in K4 (the creator's other community)
 *   S  member of the sharing group only
 *   U  unrelated, in its own K9
 * The sharing group lists S alone: the creator org is in it implicitly.
 * Connected sets are what the store computes: communities sharing a member
 * org with one of the org's own (own included).
 */
#include "kz_test.h"

#include <stdio.h>
#include <string.h>

#include "model/model.h"

#define ORG_C "00000000-0000-4000-8000-0000000000c0"
#define ORG_R "00000000-0000-4000-8000-0000000000a1"
#define ORG_N "00000000-0000-4000-8000-0000000000b2"
#define ORG_M "00000000-0000-4000-8000-0000000000d3"
#define ORG_X "00000000-0000-4000-8000-0000000000e4"
#define ORG_Q "00000000-0000-4000-8000-0000000000f5"
#define ORG_S "00000000-0000-4000-8000-000000000056"
#define ORG_U "00000000-0000-4000-8000-000000000077"
#define USER_C "10000000-0000-4000-8000-0000000000c0"
#define USER_C2 "10000000-0000-4000-8000-0000000000c2"
#define USER_R "10000000-0000-4000-8000-0000000000a1"
#define USER_N "10000000-0000-4000-8000-0000000000b2"
#define USER_M "10000000-0000-4000-8000-0000000000d3"
#define USER_X "10000000-0000-4000-8000-0000000000e4"
#define USER_Q "10000000-0000-4000-8000-0000000000f5"
#define USER_S "10000000-0000-4000-8000-000000000056"
#define USER_U "10000000-0000-4000-8000-000000000077"
#define K1 "20000000-0000-4000-8000-000000000001"
#define K2 "20000000-0000-4000-8000-000000000002"
#define K4 "20000000-0000-4000-8000-000000000004"
#define K9 "20000000-0000-4000-8000-000000000009"

static char *l_k1k4[] = {K1, K4};
static char *l_k1k4k2[] = {K1, K4, K2};
static char *l_k1[] = {K1};
static char *l_k2[] = {K2};
static char *l_k2k1[] = {K2, K1};
static char *l_k4[] = {K4};
static char *l_k4k1[] = {K4, K1};
static char *l_k9[] = {K9};
static char *l_sg[] = {ORG_S};
static char *l_rorgs[] = {ORG_R};
static char *l_rusers[] = {USER_N};
/* clang-format off */
#define LIST(a) {(a), KZ_ARRAY_LEN(a)}
/* clang-format on */

/* ---- relationships of a principal to the event -------------------------- */

enum { CREATOR, COLLEAGUE, AMBER_RCPT, RED_RCPT, COMMUNITY, CONNECTED, COMMUNITY2, SG_ONLY, UNRELATED, NREL };
static const char *const rel_name[NREL] = {
    "creator user",        "colleague in creator org",  "user of AMBER recipient org",
    "named RED recipient", "org in community K1",       "org in connected community K2",
    "org in community K4", "sharing group member only", "unrelated org"};

typedef struct cast {
    const char *user, *org;
    kz_strlist comm, conn;
} cast;

static const cast people[NREL] = {
    [CREATOR] = {USER_C, ORG_C, LIST(l_k1k4), LIST(l_k1k4k2)},
    [COLLEAGUE] = {USER_C2, ORG_C, LIST(l_k1k4), LIST(l_k1k4k2)},
    [AMBER_RCPT] = {USER_R, ORG_R, {NULL, 0}, {NULL, 0}},
    [RED_RCPT] = {USER_N, ORG_N, LIST(l_k1), LIST(l_k1k4k2)},
    [COMMUNITY] = {USER_M, ORG_M, LIST(l_k1), LIST(l_k1k4k2)},
    [CONNECTED] = {USER_X, ORG_X, LIST(l_k2), LIST(l_k2k1)},
    [COMMUNITY2] = {USER_Q, ORG_Q, LIST(l_k4), LIST(l_k4k1)},
    [SG_ONLY] = {USER_S, ORG_S, {NULL, 0}, {NULL, 0}},
    [UNRELATED] = {USER_U, ORG_U, LIST(l_k9), LIST(l_k9)},
};

/* Community scope of the event: community_id unset (NULL or ""), K1, K4. */
enum { SCOPE_ANY, SCOPE_K1, SCOPE_K4, NSCOPE };
static const char *const scope_name[NSCOPE] = {"community_id unset", "community_id=K1", "community_id=K4"};
static const struct {
    const char *community_id;
    int table;
} scopes[] = {{NULL, SCOPE_ANY}, {"", SCOPE_ANY}, {K1, SCOPE_K1}, {K4, SCOPE_K4}};

static const char *const tlp_n[] = {"clear", "green", "amber", "amber+strict", "red"};
static const char *const dist_n[] = {"org", "community", "connected", "all", "sharing_group"};
static const char *const role_n[] = {"admin", "org_admin", "publisher", "analyst", "read_only", "sync"};
static const char *const action_n[] = {"view", "edit", "publish", "export"};

/* ---- the rules, written out --------------------------------------------- */

/* Who each TLP level admits, [scope][tlp][relationship]. Columns:
 * creator, colleague, amber-rcpt, red-rcpt, K1, K2(connected), K4, sg-only, unrelated */
static const bool tlp_allows[NSCOPE][5][NREL] = {
    [SCOPE_ANY] = {
        /* clear        */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
        /* green        */ {1, 1, 0, 1, 1, 0, 1, 0, 0},
        /* amber        */ {1, 1, 1, 0, 0, 0, 0, 0, 0},
        /* amber+strict */ {1, 1, 0, 0, 0, 0, 0, 0, 0},
        /* red          */ {1, 0, 0, 1, 0, 0, 0, 0, 0},
    },
    [SCOPE_K1] = {
        /* clear        */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
        /* green        */ {1, 1, 0, 1, 1, 0, 0, 0, 0},
        /* amber        */ {1, 1, 1, 0, 0, 0, 0, 0, 0},
        /* amber+strict */ {1, 1, 0, 0, 0, 0, 0, 0, 0},
        /* red          */ {1, 0, 0, 1, 0, 0, 0, 0, 0},
    },
    [SCOPE_K4] = {
        /* clear        */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
        /* green        */ {1, 1, 0, 0, 0, 0, 1, 0, 0},
        /* amber        */ {1, 1, 1, 0, 0, 0, 0, 0, 0},
        /* amber+strict */ {1, 1, 0, 0, 0, 0, 0, 0, 0},
        /* red          */ {1, 0, 0, 1, 0, 0, 0, 0, 0},
    },
};

/* Who each distribution admits, [scope][distribution][relationship], same
 * columns. One hop: X reaches K1 (through B); Q reaches K1 (through C); N and
 * M reach K4 (through C); X does not reach K4. */
static const bool dist_allows[NSCOPE][5][NREL] = {
    [SCOPE_ANY] = {
        /* org           */ {1, 1, 0, 0, 0, 0, 0, 0, 0},
        /* community     */ {1, 1, 0, 1, 1, 0, 1, 0, 0},
        /* connected     */ {1, 1, 0, 1, 1, 1, 1, 0, 0},
        /* all           */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
        /* sharing_group */ {1, 1, 0, 0, 0, 0, 0, 1, 0},
    },
    [SCOPE_K1] = {
        /* org           */ {1, 1, 0, 0, 0, 0, 0, 0, 0},
        /* community     */ {1, 1, 0, 1, 1, 0, 0, 0, 0},
        /* connected     */ {1, 1, 0, 1, 1, 1, 1, 0, 0},
        /* all           */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
        /* sharing_group */ {1, 1, 0, 0, 0, 0, 0, 1, 0},
    },
    [SCOPE_K4] = {
        /* org           */ {1, 1, 0, 0, 0, 0, 0, 0, 0},
        /* community     */ {1, 1, 0, 0, 0, 0, 1, 0, 0},
        /* connected     */ {1, 1, 0, 1, 1, 0, 1, 0, 0},
        /* all           */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
        /* sharing_group */ {1, 1, 0, 0, 0, 0, 0, 1, 0},
    },
};

/* Unpublished events: the creator org only. */
static const bool in_creator_org[NREL] = {1, 1, 0, 0, 0, 0, 0, 0, 0};
/* admin, org_admin, publisher, analyst, read_only, sync */
static const bool role_edits[6] = {1, 1, 1, 1, 0, 0};
static const bool role_publishes[6] = {1, 1, 1, 0, 0, 0};

static bool expect(int scope, int tlp, int dist, bool published, int rel, int role, int action)
{
    bool view =
        (published || in_creator_org[rel]) && tlp_allows[scope][tlp][rel] && dist_allows[scope][dist][rel];
    switch (action) {
    case KZ_ACL_VIEW:
        return view;
    case KZ_ACL_EDIT:
        return view && in_creator_org[rel] && role_edits[role];
    case KZ_ACL_PUBLISH:
        return view && in_creator_org[rel] && role_publishes[role];
    case KZ_ACL_EXPORT:
        return view && tlp != KZ_TLP_RED;
    }
    return false;
}

/* ---- fixtures ----------------------------------------------------------- */

static const kz_strlist creator_comms = LIST(l_k1k4);
static const kz_strlist sg_orgs = LIST(l_sg);
static const kz_strlist rcpt_orgs = LIST(l_rorgs);
static const kz_strlist rcpt_users = LIST(l_rusers);

static kz_acl_object object(int tlp, int dist, bool published, const char *community_id)
{
    /* Recipients and the group are always filled in: levels they do not
     * belong to must ignore them. */
    kz_acl_object o = {
        .creator_org = ORG_C,
        .creator_user = USER_C,
        .tlp = (kz_tlp)tlp,
        .distribution = (kz_distribution)dist,
        .published = published,
        .community_id = community_id,
        .creator_communities = &creator_comms,
        .sharing_group_orgs = &sg_orgs,
        .recipient_orgs = &rcpt_orgs,
        .recipient_users = &rcpt_users,
    };
    return o;
}

static kz_principal principal(int rel, int role)
{
    kz_principal p;
    memset(&p, 0, sizeof p);
    strcpy(p.user_id, people[rel].user);
    strcpy(p.org_id, people[rel].org);
    p.role = (kz_role)role;
    p.communities = people[rel].comm;
    p.connected_communities = people[rel].conn;
    return p;
}

/* Checks one answer and its reason; returns 1 on mismatch. */
static int check_answer(bool got, bool want, const char *why, char *where, size_t n_where)
{
    if (got != want) {
        snprintf(where + strlen(where), n_where - strlen(where), ": got %s, want %s (why: %s)",
                 got ? "allow" : "deny", want ? "allow" : "deny", why ? why : "-");
        return 1;
    }
    if (got ? why != NULL : (why == NULL || !why[0])) {
        snprintf(where + strlen(where), n_where - strlen(where), ": why should be %s",
                 got ? "NULL when allowed" : "set when denied");
        return 1;
    }
    return 0;
}

/* ---- the event matrix --------------------------------------------------- */

/* One point of the product. itlp / idist are the indicator's own levels
 * (-1 = the event's); the event matrix leaves them at -1. */
typedef struct combo {
    size_t scope;
    int tlp, dist, pub, itlp, idist, rel, role, action;
} combo;

static void describe(const combo *c, bool indicator, char *out, size_t n)
{
    int sc = scopes[c->scope].table;
    const char *cid = scopes[c->scope].community_id;
    int len = 0;
    if (indicator)
        len = snprintf(out, n, "indicator tlp %s distribution %s in ",
                       c->itlp >= 0 ? tlp_n[c->itlp] : "(event's)",
                       c->idist >= 0 ? dist_n[c->idist] : "(event's)");
    snprintf(out + len, n - (size_t)len, "%s tlp:%s distribution:%s %s, %s as %s, %s (%s)",
             action_n[c->action], tlp_n[c->tlp], dist_n[c->dist], c->pub ? "published" : "unpublished",
             rel_name[c->rel], role_n[c->role], scope_name[sc], cid ? (*cid ? cid : "\"\"") : "NULL");
}

/* Asks the code for one combination and compares with the tables; returns
 * whether it was allowed, counts a mismatch and prints the first ones. */
static bool check_combo(const combo *c, bool indicator, int *mismatches)
{
    int sc = scopes[c->scope].table;
    kz_acl_object o = object(c->tlp, c->dist, c->pub, scopes[c->scope].community_id);
    kz_principal p = principal(c->rel, c->role);
    kz_acl_action act = (kz_acl_action)c->action;
    const char *why = "untouched";
    bool got, want = expect(sc, c->tlp, c->dist, c->pub, c->rel, c->role, c->action);
    if (indicator) {
        kz_indicator ind;
        memset(&ind, 0, sizeof ind);
        ind.tlp = c->itlp;
        ind.distribution = c->idist;
        got = kz_acl_indicator_allows(&p, &o, &ind, act, &why);
        want = want && expect(sc, c->itlp >= 0 ? c->itlp : c->tlp, c->idist >= 0 ? c->idist : c->dist, c->pub,
                              c->rel, c->role, c->action);
    } else {
        got = kz_acl_allows(&p, &o, act, &why);
    }
    char where[512];
    describe(c, indicator, where, sizeof where);
    /* The answer does not depend on whether a reason is asked for. */
    if (!indicator && kz_acl_allows(&p, &o, act, NULL) != got && (*mismatches)++ < 25)
        print_error("MISMATCH %s: the answer changes when why is NULL\n", where);
    if (check_answer(got, want, why, where, sizeof where) && (*mismatches)++ < 25)
        print_error("MISMATCH %s\n", where);
    return got;
}

static void event_matrix(void **state)
{
    (void)state;
    int mismatches = 0, combos = 0, allowed = 0;
    combo c = {.itlp = -1, .idist = -1};
    for (c.scope = 0; c.scope < KZ_ARRAY_LEN(scopes); c.scope++)
        for (c.tlp = 0; c.tlp < 5; c.tlp++)
            for (c.dist = 0; c.dist < 5; c.dist++)
                for (c.pub = 0; c.pub < 2; c.pub++)
                    for (c.rel = 0; c.rel < NREL; c.rel++)
                        for (c.role = 0; c.role < 6; c.role++)
                            for (c.action = 0; c.action < 4; c.action++) {
                                allowed += check_combo(&c, false, &mismatches);
                                combos++;
                            }
    assert_int_equal(combos, 4 * 5 * 5 * 2 * NREL * 6 * 4);
    /* Neither "allow all" nor "deny all" can pass the tables above. */
    assert_true(allowed > 0 && allowed < combos);
    if (mismatches)
        fail_msg("%d of %d combinations disagree with the rules", mismatches, combos);
}

/* The reasons name the rule that refused. */
static void event_reasons(void **state)
{
    (void)state;
    struct {
        int tlp, dist;
        bool pub;
        int rel, role, action;
        const char *why;
    } cases[] = {
        {KZ_TLP_CLEAR, KZ_DIST_ALL, false, COMMUNITY, KZ_ROLE_ADMIN, KZ_ACL_VIEW,
         "unpublished: creator org only"},
        {KZ_TLP_RED, KZ_DIST_ALL, true, COLLEAGUE, KZ_ROLE_PUBLISHER, KZ_ACL_VIEW,
         "tlp:red: not a named recipient"},
        {KZ_TLP_AMBER_STRICT, KZ_DIST_ALL, true, AMBER_RCPT, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "tlp:amber+strict: creator org only"},
        {KZ_TLP_AMBER, KZ_DIST_ALL, true, COMMUNITY, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "tlp:amber: not the creator org or a named recipient org"},
        {KZ_TLP_GREEN, KZ_DIST_ALL, true, UNRELATED, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "tlp:green: not in the community"},
        {KZ_TLP_CLEAR, KZ_DIST_ORG, true, COMMUNITY, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "distribution org: creator org only"},
        {KZ_TLP_CLEAR, KZ_DIST_COMMUNITY, true, CONNECTED, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "distribution community: not in the community"},
        {KZ_TLP_CLEAR, KZ_DIST_CONNECTED, true, UNRELATED, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "distribution connected: not in a connected community"},
        {KZ_TLP_CLEAR, KZ_DIST_SHARING_GROUP, true, COMMUNITY, KZ_ROLE_ANALYST, KZ_ACL_VIEW,
         "distribution sharing_group: not a member of the sharing group"},
        {KZ_TLP_CLEAR, KZ_DIST_ALL, true, COMMUNITY, KZ_ROLE_ADMIN, KZ_ACL_EDIT, "edit: creator org only"},
        {KZ_TLP_CLEAR, KZ_DIST_ALL, true, COLLEAGUE, KZ_ROLE_READONLY, KZ_ACL_EDIT,
         "edit: role may not edit events"},
        {KZ_TLP_CLEAR, KZ_DIST_ALL, true, COMMUNITY, KZ_ROLE_PUBLISHER, KZ_ACL_PUBLISH,
         "publish: creator org only"},
        {KZ_TLP_CLEAR, KZ_DIST_ALL, true, COLLEAGUE, KZ_ROLE_ANALYST, KZ_ACL_PUBLISH,
         "publish: role may not publish events"},
        {KZ_TLP_RED, KZ_DIST_ORG, true, CREATOR, KZ_ROLE_ADMIN, KZ_ACL_EXPORT,
         "export: tlp:red never leaves in a bulk export"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_acl_object o = object(cases[i].tlp, cases[i].dist, cases[i].pub, NULL);
        kz_principal p = principal(cases[i].rel, cases[i].role);
        const char *why = NULL;
        assert_false(kz_acl_allows(&p, &o, (kz_acl_action)cases[i].action, &why));
        assert_non_null(why);
        assert_string_equal(why, cases[i].why);
    }
}

/* TLP binds people, admins included: a node admin of another org sees no
 * more than any user of that org, and an admin of the creator org does not
 * see TLP:RED meant for named people. */
static void admin_has_no_bypass(void **state)
{
    (void)state;
    const char *why;
    kz_principal admin = principal(UNRELATED, KZ_ROLE_ADMIN);
    for (int tlp = KZ_TLP_GREEN; tlp <= KZ_TLP_RED; tlp++) {
        kz_acl_object o = object(tlp, KZ_DIST_ALL, true, NULL);
        assert_false(kz_acl_allows(&admin, &o, KZ_ACL_VIEW, &why));
    }
    kz_acl_object o = object(KZ_TLP_CLEAR, KZ_DIST_ORG, true, NULL);
    assert_false(kz_acl_allows(&admin, &o, KZ_ACL_VIEW, &why));
    assert_string_equal(why, "distribution org: creator org only");
    kz_principal own_admin = principal(COLLEAGUE, KZ_ROLE_ADMIN);
    o = object(KZ_TLP_RED, KZ_DIST_ORG, true, NULL);
    assert_false(kz_acl_allows(&own_admin, &o, KZ_ACL_VIEW, &why));
    assert_false(kz_acl_allows(&own_admin, &o, KZ_ACL_EDIT, &why));
    assert_string_equal(why, "tlp:red: not a named recipient");
}

/* Missing pieces fail closed. */
static void fails_closed(void **state)
{
    (void)state;
    const char *why = NULL;
    kz_principal p = principal(CREATOR, KZ_ROLE_ADMIN);
    kz_acl_object o = object(KZ_TLP_CLEAR, KZ_DIST_ALL, true, NULL);
    assert_false(kz_acl_allows(NULL, &o, KZ_ACL_VIEW, &why));
    assert_non_null(why);
    assert_false(kz_acl_allows(&p, NULL, KZ_ACL_VIEW, &why));
    assert_false(kz_acl_allows(&p, &o, (kz_acl_action)9, &why));
    assert_string_equal(why, "acl: unknown action");

    o = object(7, KZ_DIST_ALL, true, NULL);
    assert_false(kz_acl_allows(&p, &o, KZ_ACL_VIEW, &why));
    assert_string_equal(why, "tlp: unknown level");
    o = object(KZ_TLP_CLEAR, 9, true, NULL);
    assert_false(kz_acl_allows(&p, &o, KZ_ACL_VIEW, &why));
    assert_string_equal(why, "distribution: unknown level");

    /* An empty org id is nobody's org, even against an empty creator org. */
    kz_principal blank = principal(UNRELATED, KZ_ROLE_ADMIN);
    blank.org_id[0] = '\0';
    blank.user_id[0] = '\0';
    o = object(KZ_TLP_CLEAR, KZ_DIST_ORG, false, NULL);
    o.creator_org = "";
    assert_false(kz_acl_allows(&blank, &o, KZ_ACL_VIEW, &why));
    o = object(KZ_TLP_RED, KZ_DIST_ALL, true, NULL);
    static char *empty_user[] = {""};
    kz_strlist eu = LIST(empty_user);
    o.creator_user = "";
    o.recipient_users = &eu;
    assert_false(kz_acl_allows(&blank, &o, KZ_ACL_VIEW, &why));
    assert_string_equal(why, "tlp:red: not a named recipient");

    /* No group: a sharing-group event stays in the creator org. */
    o = object(KZ_TLP_CLEAR, KZ_DIST_SHARING_GROUP, true, NULL);
    o.sharing_group_orgs = NULL;
    kz_principal s = principal(SG_ONLY, KZ_ROLE_ANALYST);
    assert_false(kz_acl_allows(&s, &o, KZ_ACL_VIEW, &why));
    assert_true(kz_acl_allows(&p, &o, KZ_ACL_VIEW, &why));
    assert_null(why);

    /* No recipients, no communities: only the creator org hears AMBER/GREEN. */
    o = object(KZ_TLP_AMBER, KZ_DIST_ALL, true, NULL);
    o.recipient_orgs = NULL;
    kz_principal r = principal(AMBER_RCPT, KZ_ROLE_ANALYST);
    assert_false(kz_acl_allows(&r, &o, KZ_ACL_VIEW, &why));
    o = object(KZ_TLP_GREEN, KZ_DIST_ALL, true, NULL);
    o.creator_communities = NULL;
    kz_principal m = principal(COMMUNITY, KZ_ROLE_ANALYST);
    assert_false(kz_acl_allows(&m, &o, KZ_ACL_VIEW, &why));
    assert_true(kz_acl_allows(&p, &o, KZ_ACL_VIEW, &why));
}

/* ---- indicators --------------------------------------------------------- */

/* An indicator is seen when its event is and when the same rules, with the
 * indicator's own TLP / distribution where set, allow it too. */
static void indicator_matrix(void **state)
{
    (void)state;
    static const int roles[] = {KZ_ROLE_PUBLISHER, KZ_ROLE_ANALYST, KZ_ROLE_READONLY};
    int mismatches = 0, combos = 0;
    combo c;
    for (c.scope = 0; c.scope < KZ_ARRAY_LEN(scopes); c.scope++)
        for (c.tlp = 0; c.tlp < 5; c.tlp++)
            for (c.dist = 0; c.dist < 5; c.dist++)
                for (c.pub = 0; c.pub < 2; c.pub++)
                    for (c.itlp = -1; c.itlp < 5; c.itlp++)
                        for (c.idist = -1; c.idist < 5; c.idist++)
                            for (c.rel = 0; c.rel < NREL; c.rel++)
                                for (size_t ri = 0; ri < KZ_ARRAY_LEN(roles); ri++)
                                    for (c.action = 0; c.action < 4; c.action++) {
                                        c.role = roles[ri];
                                        check_combo(&c, true, &mismatches);
                                        combos++;
                                    }
    assert_int_equal(combos, 4 * 5 * 5 * 2 * 6 * 6 * NREL * 3 * 4);
    if (mismatches)
        fail_msg("%d of %d indicator combinations disagree with the rules", mismatches, combos);

    /* Stricter than the event: a TLP:RED indicator in a CLEAR/ALL event. */
    kz_acl_object o = object(KZ_TLP_CLEAR, KZ_DIST_ALL, true, NULL);
    kz_indicator ind;
    memset(&ind, 0, sizeof ind);
    ind.tlp = KZ_TLP_RED;
    ind.distribution = -1;
    const char *why;
    kz_principal m = principal(COMMUNITY, KZ_ROLE_ANALYST);
    kz_principal n = principal(RED_RCPT, KZ_ROLE_ANALYST);
    assert_true(kz_acl_allows(&m, &o, KZ_ACL_VIEW, &why));
    assert_false(kz_acl_indicator_allows(&m, &o, &ind, KZ_ACL_VIEW, &why));
    assert_string_equal(why, "tlp:red: not a named recipient");
    assert_true(kz_acl_indicator_allows(&n, &o, &ind, KZ_ACL_VIEW, &why));
    assert_false(kz_acl_indicator_allows(&n, &o, &ind, KZ_ACL_EXPORT, &why));

    /* Out-of-range values and a missing indicator are refused. */
    ind.tlp = 9;
    kz_principal creator = principal(CREATOR, KZ_ROLE_ADMIN);
    assert_false(kz_acl_indicator_allows(&creator, &o, &ind, KZ_ACL_VIEW, &why));
    assert_string_equal(why, "indicator: unknown tlp or distribution");
    ind.tlp = -1;
    ind.distribution = -5;
    assert_false(kz_acl_indicator_allows(&creator, &o, &ind, KZ_ACL_VIEW, &why));
    assert_false(kz_acl_indicator_allows(&creator, &o, NULL, KZ_ACL_VIEW, &why));
    assert_non_null(why);
}

/* Writes: an indicator may only be stricter than its event. */
static void indicator_not_looser(void **state)
{
    (void)state;
    /* Reach of each distribution, by enum order org community connected all sharing_group. */
    static const int reach[5] = {0, 2, 3, 4, 1};
    for (int tlp = 0; tlp < 5; tlp++)
        for (int dist = 0; dist < 5; dist++)
            for (int itlp = -1; itlp < 5; itlp++)
                for (int idist = -1; idist < 5; idist++) {
                    kz_event ev;
                    kz_indicator ind;
                    memset(&ev, 0, sizeof ev);
                    memset(&ind, 0, sizeof ind);
                    ev.tlp = (kz_tlp)tlp;
                    ev.distribution = (kz_distribution)dist;
                    ind.tlp = itlp;
                    ind.distribution = idist;
                    bool tlp_looser = itlp >= 0 && itlp < tlp;
                    bool dist_wider = idist >= 0 && reach[idist] > reach[dist];
                    kz_err err;
                    kz_err_clear(&err);
                    int rc = kz_acl_check_indicator_not_looser(&ev, &ind, &err);
                    char where[160];
                    snprintf(where, sizeof where, "indicator %d/%d in event %s/%s", itlp, idist, tlp_n[tlp],
                             dist_n[dist]);
                    if (!tlp_looser && !dist_wider) {
                        if (rc != 0)
                            fail_msg("%s refused: %s", where, err.msg);
                        continue;
                    }
                    if (rc != KZ_E_VALUE)
                        fail_msg("%s accepted", where);
                    char want[256];
                    if (tlp_looser) {
                        assert_string_equal(err.field, "tlp");
                        snprintf(want, sizeof want,
                                 "indicator tlp '%s' is looser than its event's '%s'; an indicator may only "
                                 "be stricter",
                                 tlp_n[itlp], tlp_n[tlp]);
                    } else {
                        assert_string_equal(err.field, "distribution");
                        snprintf(
                            want, sizeof want,
                            "indicator distribution '%s' reaches further than its event's '%s'; an indicator "
                            "may only be stricter",
                            dist_n[idist], dist_n[dist]);
                    }
                    assert_string_equal(err.msg, want);
                }

    kz_event ev;
    kz_indicator ind;
    kz_err err;
    memset(&ev, 0, sizeof ev);
    memset(&ind, 0, sizeof ind);
    ind.tlp = 5;
    ind.distribution = -1;
    assert_int_equal(kz_acl_check_indicator_not_looser(&ev, &ind, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "tlp");
    assert_string_equal(err.msg, "indicator tlp 5 is not a TLP level");
    ind.tlp = -2;
    assert_int_equal(kz_acl_check_indicator_not_looser(&ev, &ind, &err), KZ_E_VALUE);
    ind.tlp = -1;
    ind.distribution = 5;
    assert_int_equal(kz_acl_check_indicator_not_looser(&ev, &ind, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "distribution");
    assert_string_equal(err.msg, "indicator distribution 5 is not a distribution level");
}

/* ---- peers -------------------------------------------------------------- */

enum { P_CREATOR, P_RCPT, P_REDORG, P_K1, P_K4, P_K2, P_SG, P_UNREL, NPEER };
/* clang-format off */
static const char *const peer_name[NPEER] = {
    "creator org's node", "AMBER recipient org's node", "node of the RED recipient's org", "community K1 peer",
    "community K4 peer",  "connected (K2) peer",        "sharing group member's node",     "unrelated peer"};
/* clang-format on */
static const struct {
    const char *org;
    kz_strlist comm;
} peers[NPEER] = {
    [P_CREATOR] = {ORG_C, LIST(l_k1k4)}, [P_RCPT] = {ORG_R, {NULL, 0}},   [P_REDORG] = {ORG_N, LIST(l_k1)},
    [P_K1] = {ORG_M, LIST(l_k1)},        [P_K4] = {ORG_Q, LIST(l_k4)},    [P_K2] = {ORG_X, LIST(l_k2)},
    [P_SG] = {ORG_S, {NULL, 0}},         [P_UNREL] = {ORG_U, LIST(l_k9)},
};

/* What may be sent to each peer, [scope][tlp][peer]. Columns: creator node,
 * amber-rcpt node, red-rcpt's org node, K1 peer, K4 peer, K2 peer, sg node, unrelated */
static const bool peer_tlp[NSCOPE][5][NPEER] = {
    [SCOPE_ANY] = {
        /* clear        */ {1, 1, 1, 1, 1, 1, 1, 1},
        /* green        */ {1, 0, 1, 1, 1, 0, 0, 0},
        /* amber        */ {1, 1, 0, 0, 0, 0, 0, 0},
        /* amber+strict */ {1, 0, 0, 0, 0, 0, 0, 0},
        /* red          */ {0, 0, 0, 0, 0, 0, 0, 0},
    },
    [SCOPE_K1] = {
        /* clear        */ {1, 1, 1, 1, 1, 1, 1, 1},
        /* green        */ {1, 0, 1, 1, 0, 0, 0, 0},
        /* amber        */ {1, 1, 0, 0, 0, 0, 0, 0},
        /* amber+strict */ {1, 0, 0, 0, 0, 0, 0, 0},
        /* red          */ {0, 0, 0, 0, 0, 0, 0, 0},
    },
    [SCOPE_K4] = {
        /* clear        */ {1, 1, 1, 1, 1, 1, 1, 1},
        /* green        */ {1, 0, 0, 0, 1, 0, 0, 0},
        /* amber        */ {1, 1, 0, 0, 0, 0, 0, 0},
        /* amber+strict */ {1, 0, 0, 0, 0, 0, 0, 0},
        /* red          */ {0, 0, 0, 0, 0, 0, 0, 0},
    },
};
static const bool peer_dist[NSCOPE][5][NPEER] = {
    [SCOPE_ANY] = {
        /* org           */ {0, 0, 0, 0, 0, 0, 0, 0},
        /* community     */ {1, 0, 1, 1, 1, 0, 0, 0},
        /* connected     */ {1, 0, 1, 1, 1, 0, 0, 0},
        /* all           */ {1, 1, 1, 1, 1, 1, 1, 1},
        /* sharing_group */ {1, 0, 0, 0, 0, 0, 1, 0},
    },
    [SCOPE_K1] = {
        /* org           */ {0, 0, 0, 0, 0, 0, 0, 0},
        /* community     */ {1, 0, 1, 1, 0, 0, 0, 0},
        /* connected     */ {1, 0, 1, 1, 0, 0, 0, 0},
        /* all           */ {1, 1, 1, 1, 1, 1, 1, 1},
        /* sharing_group */ {1, 0, 0, 0, 0, 0, 1, 0},
    },
    [SCOPE_K4] = {
        /* org           */ {0, 0, 0, 0, 0, 0, 0, 0},
        /* community     */ {1, 0, 0, 0, 1, 0, 0, 0},
        /* connected     */ {1, 0, 0, 0, 1, 0, 0, 0},
        /* all           */ {1, 1, 1, 1, 1, 1, 1, 1},
        /* sharing_group */ {1, 0, 0, 0, 0, 0, 1, 0},
    },
};
/* under_ceiling[tlp][ceiling]: a peer takes nothing above its ceiling. */
static const bool under_ceiling[5][5] = {
    {1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}, {0, 0, 0, 0, 1},
};

static void peer_matrix(void **state)
{
    (void)state;
    int mismatches = 0, combos = 0, allowed = 0;
    for (size_t s = 0; s < KZ_ARRAY_LEN(scopes); s++)
        for (int tlp = 0; tlp < 5; tlp++)
            for (int dist = 0; dist < 5; dist++)
                for (int pub = 0; pub < 2; pub++)
                    for (int pi = 0; pi < NPEER; pi++)
                        for (int ceil = 0; ceil < 5; ceil++) {
                            int sc = scopes[s].table;
                            kz_acl_object o = object(tlp, dist, pub, scopes[s].community_id);
                            kz_acl_peer peer = {peers[pi].org, &peers[pi].comm, (kz_tlp)ceil};
                            const char *why = "untouched";
                            bool got = kz_acl_peer_allows(&peer, &o, &why);
                            bool want = pub && under_ceiling[tlp][ceil] && peer_tlp[sc][tlp][pi] &&
                                        peer_dist[sc][dist][pi];
                            char where[512];
                            snprintf(where, sizeof where,
                                     "send tlp:%s distribution:%s %s to %s with ceiling %s (%s)", tlp_n[tlp],
                                     dist_n[dist], pub ? "published" : "unpublished", peer_name[pi],
                                     tlp_n[ceil], scope_name[sc]);
                            if (check_answer(got, want, why, where, sizeof where) && mismatches++ < 25)
                                print_error("MISMATCH %s\n", where);
                            combos++;
                            allowed += got;
                        }
    assert_true(allowed > 0 && allowed < combos);
    if (mismatches)
        fail_msg("%d of %d peer combinations disagree with the rules", mismatches, combos);

    struct {
        int tlp, dist;
        bool pub;
        int peer, ceil;
        const char *why;
    } cases[] = {
        {KZ_TLP_CLEAR, KZ_DIST_ALL, false, P_CREATOR, KZ_TLP_RED, "unpublished: never sent to a peer"},
        {KZ_TLP_RED, KZ_DIST_ALL, true, P_CREATOR, KZ_TLP_RED, "tlp:red: never sent to a peer"},
        {KZ_TLP_AMBER, KZ_DIST_ALL, true, P_CREATOR, KZ_TLP_GREEN, "tlp: above the peer's ceiling"},
        {KZ_TLP_AMBER_STRICT, KZ_DIST_ALL, true, P_RCPT, KZ_TLP_RED,
         "tlp:amber+strict: peer is not the creator org"},
        {KZ_TLP_AMBER, KZ_DIST_ALL, true, P_K1, KZ_TLP_RED,
         "tlp:amber: peer is not the creator org or a named recipient org"},
        {KZ_TLP_GREEN, KZ_DIST_ALL, true, P_K2, KZ_TLP_RED,
         "tlp:green: peer shares no community with the creator"},
        {KZ_TLP_CLEAR, KZ_DIST_ORG, true, P_CREATOR, KZ_TLP_RED, "distribution org: never leaves the node"},
        {KZ_TLP_CLEAR, KZ_DIST_COMMUNITY, true, P_UNREL, KZ_TLP_RED,
         "distribution community: peer shares no community with the creator"},
        {KZ_TLP_CLEAR, KZ_DIST_CONNECTED, true, P_K2, KZ_TLP_RED,
         "distribution connected: peer shares no community with the creator"},
        {KZ_TLP_CLEAR, KZ_DIST_SHARING_GROUP, true, P_K1, KZ_TLP_RED,
         "distribution sharing_group: peer org is not a member of the sharing group"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_acl_object o = object(cases[i].tlp, cases[i].dist, cases[i].pub, NULL);
        kz_acl_peer peer = {peers[cases[i].peer].org, &peers[cases[i].peer].comm, (kz_tlp)cases[i].ceil};
        const char *why = NULL;
        assert_false(kz_acl_peer_allows(&peer, &o, &why));
        assert_string_equal(why, cases[i].why);
    }

    const char *why;
    kz_acl_object o = object(KZ_TLP_CLEAR, KZ_DIST_ALL, true, NULL);
    assert_false(kz_acl_peer_allows(NULL, &o, &why));
    kz_acl_peer blank = {NULL, NULL, KZ_TLP_RED};
    assert_true(kz_acl_peer_allows(&blank, &o, &why)); /* CLEAR/ALL goes to anyone */
    o = object(KZ_TLP_GREEN, KZ_DIST_ALL, true, NULL);
    assert_false(kz_acl_peer_allows(&blank, &o, &why));
    kz_acl_peer p = {ORG_C, NULL, KZ_TLP_RED};
    assert_false(kz_acl_peer_allows(&p, NULL, &why));
}

/* ---- role capabilities -------------------------------------------------- */

static void role_helpers(void **state)
{
    (void)state;
    /* admin, org_admin, publisher, analyst, read_only, sync */
    static const bool manage_orgs[6] = {1, 0, 0, 0, 0, 0};
    static const bool create_events[6] = {1, 1, 1, 1, 0, 0};
    /* manage_users[role][target]: own org, another org, "" , NULL */
    static const bool manage_users[6][4] = {
        {1, 1, 1, 1}, {1, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0},
    };
    const char *targets[4] = {ORG_C, ORG_M, "", NULL};
    for (int role = 0; role < 6; role++) {
        kz_principal p = principal(COLLEAGUE, role);
        if (kz_acl_can_manage_orgs(&p) != manage_orgs[role])
            fail_msg("can_manage_orgs(%s)", role_n[role]);
        if (kz_acl_can_create_events(&p) != create_events[role])
            fail_msg("can_create_events(%s)", role_n[role]);
        for (int t = 0; t < 4; t++)
            if (kz_acl_can_manage_users(&p, targets[t]) != manage_users[role][t])
                fail_msg("can_manage_users(%s, target %d)", role_n[role], t);
    }
    assert_false(kz_acl_can_manage_orgs(NULL));
    assert_false(kz_acl_can_manage_users(NULL, ORG_C));
    assert_false(kz_acl_can_create_events(NULL));
    /* An org admin whose own org id is blank manages nobody. */
    kz_principal p = principal(COLLEAGUE, KZ_ROLE_ORG_ADMIN);
    p.org_id[0] = '\0';
    assert_false(kz_acl_can_manage_users(&p, ""));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_matrix),        cmocka_unit_test(event_reasons),
        cmocka_unit_test(admin_has_no_bypass), cmocka_unit_test(fails_closed),
        cmocka_unit_test(indicator_matrix),    cmocka_unit_test(indicator_not_looser),
        cmocka_unit_test(peer_matrix),         cmocka_unit_test(role_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
