/* test_index_build.c — the match feed and the per-org index compiled from it:
 * the store scan (seq order, paging, to_ids and deleted rows left out, tags,
 * warninglist flags), the compile step (an org's index holds exactly what the
 * access module lets that org see: named cases per TLP and distribution, then
 * every indicator of a varied store checked against the per-event ACL path
 * that the REST API uses), payload fields, warninglist flags set by the
 * store's check and by a refresh, the change fingerprint, and the aggregated
 * sightings upsert.
 */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "match/match.h"
#include "store/store.h"

/* ---- fixture ------------------------------------------------------------------ */

typedef struct fx {
    char *dir;
    char path[600];
    kz_store *st;
    kz_arena a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f || !(f->dir = kz_test_mkdtemp()))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/kz.db", f->dir);
    kz_err err = {0};
    if (kz_store_open(f->path, &f->st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    kz_arena_init(&f->a);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kz_store_set_warninglist_check(NULL, NULL);
    kz_store_close(f->st);
    kz_arena_free(&f->a);
    kz_test_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void check_ok(int rc, const kz_err *err, const char *what, int line)
{
    if (rc != 0)
        fail_msg("line %d: %s -> %d (%s)", line, what, rc, err->msg);
}
#define OK(x) check_ok((x), &err, #x, __LINE__)

#define FAILS(x, want, field_, frag)                                                               \
    do {                                                                                           \
        memset(&err, 0, sizeof err);                                                               \
        int r_ = (x);                                                                              \
        if (r_ != (want) || err.code != (want))                                                    \
            fail_msg("line %d: %s -> %d ('%s'), want %d", __LINE__, #x, r_, err.msg, (want));      \
        if (!strstr(err.msg, (frag)))                                                              \
            fail_msg("line %d: message '%s' lacks '%s'", __LINE__, err.msg, (frag));               \
        const char *f_ = (field_);                                                                 \
        if (f_ && strcmp(err.field, f_) != 0)                                                      \
            fail_msg("line %d: field '%s', want '%s'", __LINE__, err.field, f_);                   \
    } while (0)

static void add_org(fx *f, const char *name, kz_uuid id)
{
    kz_err err = {0};
    kz_org o;
    memset(&o, 0, sizeof o);
    kz_uuid_v4(o.id);
    o.name = (char *)name;
    snprintf(o.country, sizeof o.country, "SG");
    o.type = KZ_ORG_NATIONAL_CERT;
    OK(kz_store_org_put(f->st, &o, &err));
    memcpy(id, o.id, sizeof(kz_uuid));
}

static void add_user(fx *f, const char *org, const char *email, kz_uuid id)
{
    kz_err err = {0};
    kz_user u;
    memset(&u, 0, sizeof u);
    kz_uuid_v4(u.id);
    snprintf(u.org_id, sizeof u.org_id, "%s", org);
    u.email = (char *)email;
    u.role = KZ_ROLE_ANALYST;
    OK(kz_store_user_put(f->st, &u, &err));
    memcpy(id, u.id, sizeof(kz_uuid));
}

static void add_community(fx *f, const char *name, const char *m1, const char *m2, kz_uuid id)
{
    kz_err err = {0};
    kz_community c = {0};
    kz_uuid_v4(c.id);
    c.name = (char *)name;
    kz_strlist_push(&f->a, &c.member_orgs, m1);
    if (m2)
        kz_strlist_push(&f->a, &c.member_orgs, m2);
    OK(kz_store_community_put(f->st, &c, &err));
    memcpy(id, c.id, sizeof(kz_uuid));
}

static void event_init(kz_event *ev, const char *org, kz_tlp tlp, kz_distribution dist)
{
    memset(ev, 0, sizeof *ev);
    kz_uuid_v4(ev->id);
    ev->title = "t";
    ev->threat_level = KZ_THREAT_UNDEFINED;
    ev->tlp = tlp;
    ev->pap = KZ_PAP_GREEN;
    ev->distribution = dist;
    ev->published = true;
    snprintf(ev->creator_org, sizeof ev->creator_org, "%.36s", org);
}

static kz_indicator *ind_add(fx *f, kz_event *ev, kz_ioc_type t, const char *value)
{
    kz_indicator *old = ev->indicators;
    ev->indicators = kz_arena_alloc(&f->a, (ev->n_indicators + 1) * sizeof *ev->indicators);
    if (ev->n_indicators)
        memcpy(ev->indicators, old, ev->n_indicators * sizeof *old);
    kz_indicator *x = &ev->indicators[ev->n_indicators++];
    memset(x, 0, sizeof *x);
    kz_uuid_v4(x->id);
    x->type = t;
    x->value = (char *)value;
    x->to_ids = true;
    x->tlp = -1;
    x->distribution = -1;
    return x;
}

/* An event with one domain indicator, stored. */
static void one(fx *f, const char *org, kz_tlp tlp, kz_distribution dist, const char *value,
                kz_event *ev)
{
    kz_err err = {0};
    event_init(ev, org, tlp, dist);
    ind_add(f, ev, KZ_IOC_DOMAIN, value);
    OK(kz_store_event_put(f->st, ev, &err));
}

static kz_match_index *build(fx *f, const char *org)
{
    kz_err err = {0};
    kz_match_index *idx = NULL;
    OK(kz_index_build_for_org(f->st, org, &idx, &err));
    assert_non_null(idx);
    return idx;
}

/* Hits of a domain in idx (exact or as a parent), with the first payload. */
static size_t hits(const kz_match_index *idx, const char *domain, kz_match_payload *first)
{
    kz_match_hit h[16];
    size_t n = kz_match_lookup(idx, KZ_IOC_DOMAIN, domain, strlen(domain), h, 16);
    if (n && first)
        assert_true(kz_match_payload_get(idx, h[0].payload, first));
    return n;
}

/* ---- the scan ------------------------------------------------------------------- */

typedef struct collected {
    size_t n;
    int64_t seq[64];
    char value[64][64];
    char tags[64][128];
    char event[64][40];
} collected;

static int collect(void *ctx, const kz_feed_row *r, kz_err *err)
{
    (void)err;
    collected *c = ctx;
    if (c->n >= 64)
        return KZ_E_TOOLARGE;
    c->seq[c->n] = r->seq;
    snprintf(c->value[c->n], sizeof c->value[0], "%s", r->value);
    snprintf(c->tags[c->n], sizeof c->tags[0], "%s", r->tags ? r->tags : "-");
    snprintf(c->event[c->n], sizeof c->event[0], "%s", r->event->ev.id);
    c->n++;
    return 0;
}

static int stop_at_two(void *ctx, const kz_feed_row *r, kz_err *err)
{
    (void)r;
    size_t *n = ctx;
    if (++*n == 2)
        return kz_fail(err, KZ_E_CONFLICT, NULL, "stop here");
    return 0;
}

static void test_scan_rows(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a;
    add_org(f, "A", a);
    kz_event ev;
    event_init(&ev, a, KZ_TLP_GREEN, KZ_DIST_ALL);
    kz_strlist_push(&f->a, &ev.tags, "apt:x");
    kz_indicator *x = ind_add(f, &ev, KZ_IOC_DOMAIN, "one.example");
    kz_strlist_push(&f->a, &x->tags, "first");
    kz_strlist_push(&f->a, &x->tags, "second");
    ind_add(f, &ev, KZ_IOC_DOMAIN, "two.example")->to_ids = false; /* never fed */
    ind_add(f, &ev, KZ_IOC_IPV4, "192.0.2.1");
    x = ind_add(f, &ev, KZ_IOC_URL, "http://three.example/x");
    kz_strlist_push(&f->a, &x->tags, "third");
    kz_indicator *gone = ind_add(f, &ev, KZ_IOC_DOMAIN, "gone.example");
    OK(kz_store_event_put(f->st, &ev, &err));
    OK(kz_store_indicator_delete(f->st, gone->id, &err));

    collected c = {0};
    size_t nev = 99;
    OK(kz_store_indicator_scan(f->st, 0, 0, collect, &c, &nev, &err));
    assert_int_equal(nev, 1);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.value[0], "one.example");
    assert_string_equal(c.tags[0], "first,second");
    assert_string_equal(c.value[1], "192.0.2.1");
    assert_string_equal(c.tags[1], "-");
    assert_string_equal(c.value[2], "http://three.example/x");
    assert_string_equal(c.tags[2], "third");
    assert_string_equal(c.event[0], ev.id);
    assert_true(c.seq[0] < c.seq[1] && c.seq[1] < c.seq[2]);

    /* Paging: after the first row, at most one row. */
    collected p = {0};
    OK(kz_store_indicator_scan(f->st, c.seq[0], 1, collect, &p, NULL, &err));
    assert_int_equal(p.n, 1);
    assert_string_equal(p.value[0], "192.0.2.1");
    /* The tag cursor starts after after_seq too. */
    collected q = {0};
    OK(kz_store_indicator_scan(f->st, c.seq[1], 0, collect, &q, NULL, &err));
    assert_int_equal(q.n, 1);
    assert_string_equal(q.tags[0], "third");

    /* A callback's failure stops the scan and is returned with its message. */
    size_t seen = 0;
    FAILS(kz_store_indicator_scan(f->st, 0, 0, stop_at_two, &seen, NULL, &err), KZ_E_CONFLICT,
          NULL, "stop here");
    assert_int_equal(seen, 2);
    FAILS(kz_store_indicator_scan(f->st, 0, 0, NULL, NULL, NULL, &err), KZ_E_INVALID, NULL,
          "without a callback");
}

/* ---- what each org's index holds ------------------------------------------------- */

static void test_index_per_org(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b, c, d, e, r, comm1, comm2, ua;
    add_org(f, "Creator", a);
    add_org(f, "Community peer", b);
    add_org(f, "Outsider", c);
    add_org(f, "Connected", d);
    add_org(f, "Group member", e);
    add_org(f, "Amber recipient", r);
    add_user(f, a, "analyst@creator.example", ua);
    add_community(f, "C1", a, b, comm1);
    add_community(f, "C2", b, d, comm2); /* D reaches C1 through B */
    kz_sharing_group g = {0};
    kz_uuid_v4(g.id);
    g.name = "G";
    snprintf(g.owner_org, sizeof g.owner_org, "%s", a);
    kz_strlist_push(&f->a, &g.member_orgs, a);
    kz_strlist_push(&f->a, &g.member_orgs, e);
    OK(kz_store_sharing_group_put(f->st, &g, &err));

    kz_event ev;
    one(f, a, KZ_TLP_CLEAR, KZ_DIST_ALL, "clear-all.example", &ev);
    one(f, a, KZ_TLP_GREEN, KZ_DIST_COMMUNITY, "green-community.example", &ev);
    one(f, a, KZ_TLP_CLEAR, KZ_DIST_CONNECTED, "clear-connected.example", &ev);
    one(f, a, KZ_TLP_CLEAR, KZ_DIST_ORG, "clear-org.example", &ev);
    event_init(&ev, a, KZ_TLP_AMBER, KZ_DIST_ALL);
    kz_strlist_push(&f->a, &ev.recipient_orgs, r);
    ind_add(f, &ev, KZ_IOC_DOMAIN, "amber.example");
    OK(kz_store_event_put(f->st, &ev, &err));
    one(f, a, KZ_TLP_AMBER_STRICT, KZ_DIST_ALL, "strict.example", &ev);
    /* RED names people: an org-wide index never holds it, not even the
     * creator's (its creator user is named). */
    event_init(&ev, a, KZ_TLP_RED, KZ_DIST_ALL);
    snprintf(ev.creator_user, sizeof ev.creator_user, "%s", ua);
    ind_add(f, &ev, KZ_IOC_DOMAIN, "red.example");
    OK(kz_store_event_put(f->st, &ev, &err));
    event_init(&ev, a, KZ_TLP_CLEAR, KZ_DIST_SHARING_GROUP);
    snprintf(ev.sharing_group_id, sizeof ev.sharing_group_id, "%s", g.id);
    ind_add(f, &ev, KZ_IOC_DOMAIN, "group.example");
    OK(kz_store_event_put(f->st, &ev, &err));
    event_init(&ev, a, KZ_TLP_CLEAR, KZ_DIST_ALL);
    ev.published = false;
    ind_add(f, &ev, KZ_IOC_DOMAIN, "draft.example");
    OK(kz_store_event_put(f->st, &ev, &err));
    /* An indicator stricter than its open event. */
    kz_event mixed;
    event_init(&mixed, a, KZ_TLP_CLEAR, KZ_DIST_ALL);
    kz_strlist_push(&f->a, &mixed.tags, "campaign:x");
    ind_add(f, &mixed, KZ_IOC_DOMAIN, "open.example");
    ind_add(f, &mixed, KZ_IOC_DOMAIN, "closed.example")->tlp = KZ_TLP_AMBER_STRICT;
    ind_add(f, &mixed, KZ_IOC_DOMAIN, "org-only.example")->distribution = KZ_DIST_ORG;
    ind_add(f, &mixed, KZ_IOC_DOMAIN, "not-for-ids.example")->to_ids = false;
    OK(kz_store_event_put(f->st, &mixed, &err));
    /* An event of another org. */
    one(f, b, KZ_TLP_GREEN, KZ_DIST_COMMUNITY, "from-b.example", &ev);

    static const char *const values[] = {
        "clear-all.example", "green-community.example", "clear-connected.example",
        "clear-org.example", "amber.example",           "strict.example",
        "red.example",       "group.example",           "draft.example",
        "open.example",      "closed.example",          "org-only.example",
        "not-for-ids.example", "from-b.example",
    };
    /* Who sees what: one row per org, one letter per value above. */
    const struct {
        const char *org;
        const char *name;
        const char *sees;
    } want[] = {
        {a, "creator", "11111101111101"},
        {b, "community peer", "11100000010001"},
        {c, "outsider", "10000000010000"},
        {d, "connected", "10100000010001"},
        {e, "group member", "10000001010000"},
        {r, "amber recipient", "10001000010000"},
    };
    for (size_t o = 0; o < KZ_ARRAY_LEN(want); o++) {
        kz_match_index *idx = build(f, want[o].org);
        for (size_t i = 0; i < KZ_ARRAY_LEN(values); i++) {
            bool seen = hits(idx, values[i], NULL) > 0;
            if (seen != (want[o].sees[i] == '1'))
                fail_msg("%s %s %s", want[o].name, seen ? "sees" : "does not see", values[i]);
        }
        kz_match_index_free(idx);
    }

    /* Payload fields: ids, creator org, effective TLP, event tags. */
    kz_match_index *idx = build(f, a);
    kz_match_payload p;
    assert_int_equal(hits(idx, "closed.example", &p), 1);
    assert_string_equal(p.indicator_id, mixed.indicators[1].id);
    assert_string_equal(p.event_id, mixed.id);
    assert_string_equal(p.org_id, a);
    assert_int_equal(p.tlp, KZ_TLP_AMBER_STRICT);
    assert_true(p.to_ids);
    assert_string_equal(p.tags, "campaign:x");
    size_t tl = 99;
    assert_null(kz_index_payload_warninglist(&p, &tl));
    assert_int_equal(tl, strlen("campaign:x"));
    assert_int_equal(hits(idx, "open.example", &p), 1);
    assert_int_equal(p.tlp, KZ_TLP_CLEAR);
    /* Subdomains match on label boundaries only. */
    assert_int_equal(hits(idx, "www.open.example", NULL), 1);
    assert_int_equal(hits(idx, "notopen.example", NULL), 0);
    kz_match_index_free(idx);

    /* Orgs that see the same rows get the same digest (the server shares
     * their index); others do not. */
    kz_uuid c2;
    add_org(f, "Second outsider", c2);
    kz_index_build_stats s1, s2, s3;
    kz_match_index *i1, *i2, *i3;
    OK(kz_index_build(f->st, c, &i1, &s1, &err));
    OK(kz_index_build(f->st, c2, &i2, &s2, &err));
    OK(kz_index_build(f->st, b, &i3, &s3, &err));
    assert_int_equal(s1.indexed, 2);
    assert_int_equal(s1.scanned, s3.scanned);
    assert_true(s1.digest == s2.digest);
    assert_true(s1.digest != s3.digest);
    kz_match_index_free(i1);
    kz_match_index_free(i2);
    kz_match_index_free(i3);

    kz_uuid ghost;
    kz_uuid_v4(ghost);
    kz_match_index *none = NULL;
    FAILS(kz_index_build_for_org(f->st, ghost, &none, &err), KZ_E_NOTFOUND, "org", ghost);
    assert_null(none);
}

/* The bulk-loaded feed against the path the REST API takes for one event
 * (event_get + acl_object_load + principal_load), on a store with every
 * combination of TLP, distribution, publication, recipients and groups. */
static void test_index_matches_acl(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    enum { NORG = 5 };
    kz_uuid org[NORG], comm, comm2, u0;
    char name[32];
    for (int i = 0; i < NORG; i++) {
        snprintf(name, sizeof name, "org%d", i);
        add_org(f, name, org[i]);
    }
    add_user(f, org[0], "u0@example.org", u0);
    add_community(f, "K1", org[0], org[1], comm);
    add_community(f, "K2", org[1], org[2], comm2);
    kz_sharing_group g = {0};
    kz_uuid_v4(g.id);
    g.name = "G";
    snprintf(g.owner_org, sizeof g.owner_org, "%s", org[0]);
    kz_strlist_push(&f->a, &g.member_orgs, org[3]);
    OK(kz_store_sharing_group_put(f->st, &g, &err));

    size_t k = 0;
    char **vals = kz_arena_alloc(&f->a, 4000 * sizeof *vals);
    for (int creator = 0; creator < 3; creator++)
        for (int tlp = KZ_TLP_CLEAR; tlp <= KZ_TLP_RED; tlp++)
            for (int dist = KZ_DIST_ORG; dist <= KZ_DIST_SHARING_GROUP; dist++)
                for (int variant = 0; variant < 4; variant++) {
                    kz_event ev;
                    event_init(&ev, org[creator], (kz_tlp)tlp, (kz_distribution)dist);
                    ev.published = variant != 1;
                    if (dist == KZ_DIST_SHARING_GROUP)
                        snprintf(ev.sharing_group_id, sizeof ev.sharing_group_id, "%s", g.id);
                    if (variant == 2) {
                        kz_strlist_push(&f->a, &ev.recipient_orgs, org[4]);
                        kz_strlist_push(&f->a, &ev.recipient_users, u0);
                    }
                    if (variant == 3 && creator < 2)
                        snprintf(ev.community_id, sizeof ev.community_id, "%s", comm2);
                    for (int own = 0; own < 3; own++) {
                        vals[k] = kz_arena_printf(&f->a, "v%zu.example", k);
                        kz_indicator *x = ind_add(f, &ev, KZ_IOC_DOMAIN, vals[k]);
                        if (own == 1 && tlp < KZ_TLP_RED)
                            x->tlp = tlp + 1;
                        if (own == 2)
                            x->distribution = KZ_DIST_ORG;
                        k++;
                    }
                    OK(kz_store_event_put(f->st, &ev, &err));
                }
    size_t checked = 0, visible = 0;
    for (int o = 0; o < NORG; o++) {
        kz_match_index *idx = build(f, org[o]);
        kz_principal who = {0};
        snprintf(who.org_id, sizeof who.org_id, "%.36s", org[o]);
        who.role = KZ_ROLE_READONLY;
        OK(kz_store_principal_load(f->st, &who, &f->a, &err));
        kz_match_stats ms;
        kz_match_index_stats(idx, &ms);
        size_t expect_n = 0;
        for (size_t i = 0; i < k; i++) {
            kz_search_query q = {.value = vals[i], .type = -1, .tlp = -1, .published = -1,
                                 .to_ids = -1, .limit = 2};
            kz_search_hit *sh;
            size_t n;
            OK(kz_store_search(f->st, &q, &f->a, &sh, &n, &err));
            assert_int_equal(n, 1);
            kz_event ev;
            OK(kz_store_event_get(f->st, sh[0].event.id, false, &f->a, &ev, &err));
            kz_acl_object obj;
            OK(kz_store_acl_object_load(f->st, &ev, &f->a, &obj, &err));
            bool allowed = kz_acl_indicator_allows(&who, &obj, &sh[0].ind, KZ_ACL_VIEW, NULL);
            kz_match_hit h[4];
            bool in = kz_match_lookup(idx, KZ_IOC_DOMAIN, vals[i], strlen(vals[i]), h, 4) > 0;
            if (allowed != in)
                fail_msg("org%d, %s: ACL says %d, index %d", o, vals[i], allowed, in);
            expect_n += allowed;
            checked++;
        }
        assert_int_equal(ms.payloads, expect_n);
        visible += expect_n;
        kz_match_index_free(idx);
    }
    assert_int_equal(checked, (size_t)NORG * k);
    /* The store is varied enough to mean something: some but not all. */
    assert_true(visible > checked / 10 && visible < checked / 2);
}

/* ---- warninglist flags ------------------------------------------------------------ */

static const char *flag_benign(void *ctx, kz_ioc_type t, const char *value)
{
    (void)ctx;
    if (t == KZ_IOC_DOMAIN && (strcmp(value, "benign.example") == 0 ||
                               strcmp(value, "later.example") == 0))
        return "Test list \"benign\"";
    return NULL;
}

static void test_warninglist_flags(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a;
    add_org(f, "A", a);
    kz_event ev;
    event_init(&ev, a, KZ_TLP_CLEAR, KZ_DIST_ALL);
    kz_strlist_push(&f->a, &ev.tags, "ev-tag");
    kz_indicator *x = ind_add(f, &ev, KZ_IOC_DOMAIN, "later.example");
    kz_strlist_push(&f->a, &x->tags, "ind-tag");
    OK(kz_store_event_put(f->st, &ev, &err)); /* no check yet: not flagged */
    kz_uuid later_id;
    memcpy(later_id, x->id, sizeof later_id);

    kz_store_set_warninglist_check(flag_benign, NULL);
    kz_indicator more[2];
    memset(more, 0, sizeof more);
    for (int i = 0; i < 2; i++) {
        kz_uuid_v4(more[i].id);
        more[i].type = KZ_IOC_DOMAIN;
        more[i].to_ids = true;
        more[i].tlp = more[i].distribution = -1;
    }
    more[0].value = "benign.example";
    more[1].value = "evil.example";
    OK(kz_store_indicators_add(f->st, ev.id, more, 2, &err));

    kz_indicator got;
    OK(kz_store_indicator_get(f->st, more[0].id, &f->a, &got, &err));
    assert_string_equal(got.warninglist, "Test list \"benign\"");
    OK(kz_store_indicator_get(f->st, more[1].id, &f->a, &got, &err));
    assert_null(got.warninglist);
    OK(kz_store_indicator_get(f->st, later_id, &f->a, &got, &err));
    assert_null(got.warninglist);

    kz_match_index *idx = build(f, a);
    kz_match_payload p;
    assert_int_equal(hits(idx, "www.benign.example", &p), 1);
    assert_false(p.to_ids);
    size_t tl = 99;
    assert_string_equal(kz_index_payload_warninglist(&p, &tl), "Test list \"benign\"");
    assert_int_equal(tl, strlen("ev-tag"));
    assert_memory_equal(p.tags, "ev-tag", tl);
    assert_int_equal(hits(idx, "evil.example", &p), 1);
    assert_true(p.to_ids);
    assert_null(kz_index_payload_warninglist(&p, NULL));
    kz_match_index_free(idx);

    /* A refresh applies the check to what was stored before it. */
    size_t changed = 0;
    OK(kz_store_warninglist_refresh(f->st, &changed, &err));
    assert_int_equal(changed, 1);
    OK(kz_store_warninglist_refresh(f->st, &changed, &err));
    assert_int_equal(changed, 0);
    idx = build(f, a);
    assert_int_equal(hits(idx, "later.example", &p), 1);
    assert_string_equal(kz_index_payload_warninglist(&p, &tl), "Test list \"benign\"");
    assert_int_equal(tl, strlen("ind-tag,ev-tag"));
    assert_memory_equal(p.tags, "ind-tag,ev-tag", tl);
    kz_match_index_free(idx);

    /* Updates recompute with a check, keep the flag without one. */
    OK(kz_store_indicator_get(f->st, later_id, &f->a, &got, &err));
    got.comment = "still benign";
    kz_store_set_warninglist_check(NULL, NULL);
    OK(kz_store_indicator_update(f->st, &got, &err));
    OK(kz_store_indicator_get(f->st, later_id, &f->a, &got, &err));
    assert_string_equal(got.warninglist, "Test list \"benign\"");
    kz_store_set_warninglist_check(flag_benign, NULL);
    got.value = "changed.example";
    OK(kz_store_indicator_update(f->st, &got, &err));
    OK(kz_store_indicator_get(f->st, later_id, &f->a, &got, &err));
    assert_null(got.warninglist);
    /* Without a check, a refresh changes nothing. */
    kz_store_set_warninglist_check(NULL, NULL);
    OK(kz_store_warninglist_refresh(f->st, &changed, &err));
    assert_int_equal(changed, 0);
}

/* Real MISP lists through kz_warninglists_install, as serve and import use it. */
static void test_warninglists_install(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    char dir[700], path[800];
    snprintf(dir, sizeof dir, "%s/wl/lists/resolvers", f->dir);
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/list.json", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"name\":\"Public DNS resolvers\",\"type\":\"cidr\",\"description\":\"d\","
          "\"version\":1,\"matching_attributes\":[\"ip-dst\",\"ip-src\"],"
          "\"list\":[\"8.8.8.0/24\"]}",
          fp);
    fclose(fp);
    snprintf(dir, sizeof dir, "%s/wl", f->dir);
    const kz_match_warninglists *wl = NULL;
    OK(kz_warninglists_install(dir, &wl, &err));
    assert_int_equal(kz_match_warninglists_count(wl), 1);
    kz_uuid a;
    add_org(f, "A", a);
    kz_event ev;
    event_init(&ev, a, KZ_TLP_CLEAR, KZ_DIST_ALL);
    ind_add(f, &ev, KZ_IOC_IPV4, "8.8.8.8");
    ind_add(f, &ev, KZ_IOC_IPV4, "192.0.2.9");
    OK(kz_store_event_put(f->st, &ev, &err));
    kz_indicator got;
    OK(kz_store_indicator_get(f->st, ev.indicators[0].id, &f->a, &got, &err));
    assert_string_equal(got.warninglist, "Public DNS resolvers");
    OK(kz_store_indicator_get(f->st, ev.indicators[1].id, &f->a, &got, &err));
    assert_null(got.warninglist);
    kz_warninglists_uninstall();

    snprintf(dir, sizeof dir, "%s/no-such-dir", f->dir);
    FAILS(kz_warninglists_install(dir, &wl, &err), KZ_E_IO, NULL, "no-such-dir");
    assert_null(wl);
}

/* ---- change detection ------------------------------------------------------------- */

static void test_fingerprint(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b, comm;
    add_org(f, "A", a);
    add_org(f, "B", b);
    kz_event ev;
    one(f, a, KZ_TLP_GREEN, KZ_DIST_ALL, "x.example", &ev);
    kz_store *other = NULL; /* another connection: what a server's thread sees */
    OK(kz_store_open(f->path, &other, &err));
    uint64_t fp0, fp1, fp2;
    OK(kz_store_match_fingerprint(other, &fp0, &err));
    OK(kz_store_match_fingerprint(other, &fp1, &err));
    assert_true(fp0 == fp1);

    kz_indicator more = {0};
    kz_uuid_v4(more.id);
    more.type = KZ_IOC_DOMAIN;
    more.value = "y.example";
    more.to_ids = true;
    more.tlp = more.distribution = -1;
    OK(kz_store_indicators_add(f->st, ev.id, &more, 1, &err));
    OK(kz_store_match_fingerprint(other, &fp1, &err));
    assert_true(fp1 != fp0);

    /* Marking changes move it (the event's modified time). */
    kz_event cur;
    OK(kz_store_event_get(f->st, ev.id, false, &f->a, &cur, &err));
    cur.tlp = KZ_TLP_AMBER;
    OK(kz_store_event_update(f->st, &cur, &err));
    OK(kz_store_match_fingerprint(other, &fp2, &err));
    assert_true(fp2 != fp1);

    /* So do deletions and community membership. */
    OK(kz_store_indicator_delete(f->st, more.id, &err));
    OK(kz_store_match_fingerprint(other, &fp1, &err));
    assert_true(fp1 != fp2);
    add_community(f, "K", a, NULL, comm);
    OK(kz_store_match_fingerprint(other, &fp2, &err));
    assert_true(fp2 != fp1);
    OK(kz_store_community_add_member(f->st, comm, b, &err));
    OK(kz_store_match_fingerprint(other, &fp1, &err));
    assert_true(fp1 != fp2);

    /* Writes of unrelated state do not. */
    OK(kz_store_meta_set(f->st, "node_name", "n", &err));
    OK(kz_store_match_fingerprint(other, &fp2, &err));
    assert_true(fp2 == fp1);
    kz_store_close(other);
}

/* ---- aggregated sightings ---------------------------------------------------------- */

#define DAY (86400LL * 1000000LL)

static void test_sightings_aggregate(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b;
    add_org(f, "A", a);
    add_org(f, "B", b);
    kz_event ev;
    event_init(&ev, a, KZ_TLP_CLEAR, KZ_DIST_ALL);
    ind_add(f, &ev, KZ_IOC_DOMAIN, "seen.example");
    ind_add(f, &ev, KZ_IOC_DOMAIN, "gone.example");
    OK(kz_store_event_put(f->st, &ev, &err));
    const char *ind = ev.indicators[0].id;
    kz_time d0 = 20000 * DAY; /* 2024-10-04T00:00Z */

    kz_sighting_agg rows[] = {
        {ind, b, d0 + 3600000000LL, 5, "kizuna sweep"},
        {ind, b, d0 + 7200000000LL, 2, "kizuna sweep"}, /* same key: added */
        {ind, b, d0 + DAY + 1, 1, "kizuna sweep"},      /* next day */
        {ind, b, d0 + 60, 4, "sensor-2"},               /* another source */
        {ind, a, d0 + 60, 9, "kizuna sweep"},           /* another org */
    };
    OK(kz_store_sightings_aggregate(f->st, rows, KZ_ARRAY_LEN(rows), &err));
    kz_sighting *s;
    size_t n;
    OK(kz_store_sighting_list(f->st, ind, &f->a, &s, &n, &err));
    assert_int_equal(n, 4);
    int64_t total = 0;
    bool found_first = false;
    for (size_t i = 0; i < n; i++) {
        total += s[i].count;
        assert_int_equal(s[i].type, KZ_SIGHTING_SEEN);
        if (!strcmp(s[i].org_id, b) && !strcmp(s[i].source, "kizuna sweep") &&
            s[i].time < d0 + DAY) {
            assert_int_equal(s[i].count, 7);
            assert_int_equal(s[i].time, d0 + 7200000000LL); /* the latest of the day */
            found_first = true;
        }
    }
    assert_true(found_first);
    assert_int_equal(total, 21);

    /* Reporting again adds to the same rows. */
    kz_sighting_agg again = {ind, b, d0 + 1, 3, "kizuna sweep"};
    OK(kz_store_sightings_aggregate(f->st, &again, 1, &err));
    OK(kz_store_sighting_list(f->st, ind, &f->a, &s, &n, &err));
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].org_id, b) && !strcmp(s[i].source, "kizuna sweep") &&
            s[i].time < d0 + DAY) {
            assert_int_equal(s[i].count, 10);
            assert_int_equal(s[i].time, d0 + 7200000000LL);
        }

    /* Bad rows name themselves; the whole batch is refused. */
    kz_uuid ghost;
    kz_uuid_v4(ghost);
    kz_sighting_agg bad[] = {
        {ind, b, d0, 1, "kizuna sweep"},
        {ind, b, d0, 0, "kizuna sweep"},
    };
    FAILS(kz_store_sightings_aggregate(f->st, bad, 2, &err), KZ_E_VALUE, "rows[1].count",
          "count 0 is out of range");
    bad[1] = (kz_sighting_agg){ind, b, d0, 1, ""};
    FAILS(kz_store_sightings_aggregate(f->st, bad, 2, &err), KZ_E_VALUE, "rows[1].source",
          "must be 1 to 255 bytes");
    bad[1] = (kz_sighting_agg){"not-a-uuid", b, d0, 1, "s"};
    FAILS(kz_store_sightings_aggregate(f->st, bad, 2, &err), KZ_E_VALUE, "rows[1].indicator_id",
          "'not-a-uuid' is not a UUID");
    bad[1] = (kz_sighting_agg){ind, "x", d0, 1, "s"};
    FAILS(kz_store_sightings_aggregate(f->st, bad, 2, &err), KZ_E_VALUE, "rows[1].org_id",
          "'x' is not a UUID");
    bad[1] = (kz_sighting_agg){ind, b, -5, 1, "s"};
    FAILS(kz_store_sightings_aggregate(f->st, bad, 2, &err), KZ_E_VALUE, "rows[1].time",
          "before 1970");
    bad[1] = (kz_sighting_agg){ind, ghost, d0, 1, "s"};
    FAILS(kz_store_sightings_aggregate(f->st, bad, 2, &err), KZ_E_VALUE, "rows[1].org_id",
          "does not exist");
    /* Nothing of the refused batches was stored: row 0 was valid each time. */
    OK(kz_store_sighting_list(f->st, ind, &f->a, &s, &n, &err));
    total = 0;
    for (size_t i = 0; i < n; i++)
        total += s[i].count;
    assert_int_equal(total, 24);

    /* An indicator deleted since the sweep's index was built is skipped. */
    const char *gone = ev.indicators[1].id;
    OK(kz_store_indicator_delete(f->st, gone, &err));
    kz_sighting_agg late[] = {{gone, b, d0, 1, "s"}, {ind, b, d0 + 2 * DAY, 1, "s"}};
    OK(kz_store_sightings_aggregate(f->st, late, 2, &err));
    OK(kz_store_sighting_list(f->st, ind, &f->a, &s, &n, &err));
    assert_int_equal(n, 5);
    OK(kz_store_sightings_aggregate(f->st, NULL, 0, &err));

    /* Counts saturate instead of wrapping. */
    kz_sighting_agg big = {ind, a, d0 + 5 * DAY, 1LL << 62, "big"};
    OK(kz_store_sightings_aggregate(f->st, &big, 1, &err));
    OK(kz_store_sightings_aggregate(f->st, &big, 1, &err));
    OK(kz_store_sightings_aggregate(f->st, &big, 1, &err));
    OK(kz_store_sighting_list(f->st, ind, &f->a, &s, &n, &err));
    bool saw_big = false;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].source, "big")) {
            assert_int_equal(s[i].count, INT64_MAX);
            saw_big = true;
        }
    assert_true(saw_big);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_per_org, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_matches_acl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warninglist_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warninglists_install, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sightings_aggregate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
