/* test_federation_apply.c — the federation plumbing in one process, without
 * HTTP: feed pages (ACL, per-peer filters, deletions only where the object
 * went), apply (verification, trust and introductions, idempotency, the
 * creator-only rule, connected -> community) and the peer store (API keys
 * sealed at rest). Each node is a store in a temporary directory with its
 * own secret, so each has its own Ed25519 identity.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kz_test.h"
#include "sync/sync.h"

typedef struct tnode {
    char dir[512], db[600];
    kz_store *st;
    kz_node_identity id;
    kz_org org;
} tnode;

static kz_arena A; /* test-long strings */
static char ORG_NAMES[4][16] = {"CERT-A", "CERT-B", "CERT-C", "CERT-D"};

static void node_open(tnode *n, int which)
{
    memset(n, 0, sizeof *n);
    char *d = kz_test_mkdtemp();
    assert_non_null(d);
    snprintf(n->dir, sizeof n->dir, "%s", d);
    free(d);
    snprintf(n->db, sizeof n->db, "%s/n.db", n->dir);
    kz_err err = {0};
    assert_int_equal(kz_store_open(n->db, &n->st, &err), 0);
    kz_uuid_v4(n->org.id);
    n->org.name = ORG_NAMES[which];
    memcpy(n->org.country, "SG", 3);
    n->org.type = KZ_ORG_NATIONAL_CERT;
    n->org.created = n->org.modified = kz_time_now();
    assert_int_equal(kz_store_org_put(n->st, &n->org, &err), 0);
    assert_int_equal(kz_store_meta_set(n->st, "node.org_id", n->org.id, &err), 0);
    assert_int_equal(kz_sync_identity_load(n->st, &n->id, &err), 0);
}

static void node_close(tnode *n)
{
    kz_sync_identity_clear(&n->id);
    kz_store_close(n->st);
    kz_test_rmdir(n->dir);
}

/* `other` becomes a peer of `n`: its org recorded here, homed on its key. */
static void make_peer(tnode *n, const tnode *other, kz_peer *p)
{
    kz_err err = {0};
    assert_int_equal(kz_store_sync_org_put(n->st, &other->org, &err), 0);
    assert_int_equal(kz_store_org_key_set(n->st, other->org.id, other->id.public_key, NULL, &err),
                     0);
    memset(p, 0, sizeof *p);
    kz_uuid_v4(p->id);
    p->name = kz_arena_strdup(&A, other->org.name);
    p->url = "http://127.0.0.1:1";
    snprintf(p->org_id, sizeof p->org_id, "%s", other->org.id);
    memcpy(p->public_key, other->id.public_key, 32);
    p->direction = KZ_PEER_BOTH;
    p->tlp_ceiling = KZ_TLP_AMBER_STRICT;
    p->published_only = true;
    assert_int_equal(kz_store_peer_put(n->st, p, &err), 0);
}

static void make_event(tnode *n, const char *creator_org, kz_tlp tlp, kz_distribution dist,
                       const char *tag, kz_event *ev)
{
    memset(ev, 0, sizeof *ev);
    kz_uuid_v4(ev->id);
    ev->title = "t";
    ev->threat_level = 4;
    ev->tlp = tlp;
    ev->pap = KZ_PAP_AMBER;
    ev->distribution = dist;
    ev->published = true;
    ev->published_at = ev->created = ev->modified = kz_time_now();
    snprintf(ev->creator_org, sizeof ev->creator_org, "%s", creator_org);
    if (tag)
        kz_strlist_push(&A, &ev->tags, tag);
    ev->n_indicators = 2;
    ev->indicators = kz_arena_alloc(&A, 2 * sizeof *ev->indicators);
    memset(ev->indicators, 0, 2 * sizeof *ev->indicators);
    const kz_ioc_type types[2] = {KZ_IOC_IPV4, KZ_IOC_DOMAIN};
    const char *values[2] = {"203.0.113.9", "evil.example"};
    for (int i = 0; i < 2; i++) {
        kz_indicator *x = &ev->indicators[i];
        kz_uuid_v4(x->id);
        snprintf(x->event_id, sizeof x->event_id, "%s", ev->id);
        x->type = types[i];
        x->value = (char *)values[i];
        x->to_ids = true;
        x->tlp = x->distribution = -1;
        x->created = x->modified = ev->created;
    }
    kz_err err = {0};
    assert_int_equal(kz_store_event_put(n->st, ev, &err), 0);
}

static bool has_event(tnode *n, const char *id, kz_event *out)
{
    kz_event tmp;
    kz_err err = {0};
    return kz_store_event_get(n->st, id, true, &A, out ? out : &tmp, &err) == 0;
}

static json_t *find_kind(const kz_sync_batch *b, const char *kind)
{
    size_t i;
    json_t *e;
    json_array_foreach(b->objects, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0)
            return e;
    }
    return NULL;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_api_key_sealed_at_rest(void **state)
{
    (void)state;
    tnode a, b;
    node_open(&a, 0);
    node_open(&b, 1);
    kz_peer p;
    make_peer(&a, &b, &p);
    kz_err err = {0};
    const char *secret = "kz_SECRETsecretSECRETsecretSECRETsecretSECRETs";
    assert_int_equal(kz_store_peer_set_key(a.st, p.id, secret, &err), 0);
    kz_peer got;
    assert_int_equal(kz_store_peer_get(a.st, p.name, &A, &got, &err), 0);
    assert_string_equal(got.api_key, secret);
    kz_peer *list;
    size_t n;
    assert_int_equal(kz_store_peer_list(a.st, &A, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_null(list[0].api_key);
    /* the database file itself holds no trace of the key */
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(a.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT api_key_sealed FROM sync_peers", -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const void *blob = sqlite3_column_blob(s, 0);
    int len = sqlite3_column_bytes(s, 0);
    assert_true(len > (int)strlen(secret));
    assert_null(memmem(blob, (size_t)len, "SECRETsecret", 12));
    sqlite3_finalize(s);
    sqlite3_close(db);
    /* a peer name used twice is a conflict */
    kz_peer dup = p;
    kz_uuid_v4(dup.id);
    assert_int_equal(kz_store_peer_put(a.st, &dup, &err), KZ_E_CONFLICT);
    assert_string_equal(err.field, "name");
    node_close(&a);
    node_close(&b);
}

static void test_apply_verifies_and_is_idempotent(void **state)
{
    (void)state;
    tnode a, b;
    node_open(&a, 0);
    node_open(&b, 1);
    kz_peer b_on_a, a_on_b;
    make_peer(&a, &b, &b_on_a);
    make_peer(&b, &a, &a_on_b);
    kz_event ev, conn;
    make_event(&a, a.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &ev);
    /* connected reaches B because they share a community on A */
    kz_community c = {.name = "c-ab"};
    kz_uuid_v4(c.id);
    kz_strlist_push(&A, &c.member_orgs, a.org.id);
    kz_strlist_push(&A, &c.member_orgs, b.org.id);
    kz_err err = {0};
    assert_int_equal(kz_store_community_put(a.st, &c, &err), 0);
    make_event(&a, a.org.id, KZ_TLP_GREEN, KZ_DIST_CONNECTED, NULL, &conn);

    kz_sync_batch page;
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &b_on_a, 0, 0, &page, &err), 0);
    assert_false(page.more);
    /* A's org record (so the creator exists on arrival), then the events */
    assert_int_equal(json_array_size(page.objects), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(page.objects, 0), "kind")),
                        "org");

    /* a flipped byte: refused, nothing stored */
    json_t *copy = json_deep_copy(page.objects);
    json_t *body = NULL;
    for (size_t i = 0; i < json_array_size(copy); i++) {
        json_t *bd = json_object_get(json_array_get(copy, i), "body");
        if (strcmp(json_string_value(json_object_get(bd, "id")), ev.id) == 0)
            body = bd;
    }
    assert_non_null(body);
    json_object_set_new(body, "title", json_string("T"));
    kz_sync_batch bad = page;
    bad.objects = copy;
    kz_sync_apply_stats s;
    int rc = kz_sync_apply(b.st, &b.id, &a_on_b, &bad, &s, &err);
    assert_true(rc == KZ_E_INVALID || rc == KZ_E_UNAUTH);
    assert_non_null(strstr(err.msg, ev.id));
    assert_int_equal(s.refused, 1);
    assert_false(has_event(&b, ev.id, NULL));
    assert_false(has_event(&b, conn.id, NULL));
    json_decref(copy);

    /* a batch that claims another node than the peer's key */
    kz_sync_batch wrong = page;
    snprintf(wrong.from_node, sizeof wrong.from_node, "%s", b.id.node_id);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &wrong, &s, &err), KZ_E_UNAUTH);
    assert_string_equal(err.field, "from_node");

    /* the real batch */
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &page, &s, &err), 0);
    assert_int_equal(s.events, 2);
    assert_int_equal(s.indicators, 4);
    kz_event got;
    assert_true(has_event(&b, ev.id, &got));
    assert_string_equal(got.creator_org, a.org.id);
    assert_true(got.created == ev.created && got.modified == ev.modified);
    assert_int_equal(got.n_indicators, 2);
    assert_true(has_event(&b, conn.id, &got));
    assert_int_equal(got.distribution, KZ_DIST_COMMUNITY);

    /* replayed: nothing changes */
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &page, &s, &err), 0);
    assert_int_equal(s.events, 0);
    assert_int_equal(s.unchanged, 3);
    kz_sync_batch_clear(&page);

    /* the same objects in a new page (not the logged batch): still unchanged */
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &b_on_a, 0, 0, &page, &err), 0);
    json_array_append_new(page.objects, json_deep_copy(json_array_get(page.objects, 0)));
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &page, &s, &err), 0);
    assert_int_equal(s.events, 0);
    assert_int_equal(s.unchanged, 3); /* the org went once: not in this page */
    kz_sync_batch_clear(&page);
    node_close(&a);
    node_close(&b);
}

static void test_trust_rules(void **state)
{
    (void)state;
    tnode a, b, c;
    node_open(&a, 0);
    node_open(&b, 1);
    node_open(&c, 2);
    kz_peer a_on_b;
    make_peer(&b, &a, &a_on_b);
    kz_err err = {0};
    kz_sync_apply_stats s;

    /* C's key speaking for A's org (whose key B knows): refused */
    kz_event forged;
    make_event(&c, c.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &forged);
    forged.n_indicators = 0;
    snprintf(forged.creator_org, sizeof forged.creator_org, "%s", a.org.id);
    json_t *env;
    assert_int_equal(kz_sync_envelope_event(&c.id, &forged, NULL, &env, &err), 0);
    kz_sync_batch b1 = {.cursor = 1, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", a.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_true(kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err) < 0);
    assert_false(has_event(&b, forged.id, NULL));
    kz_sync_batch_clear(&b1);

    /* B's own org, signed by A: only B speaks for it */
    kz_event mine = forged;
    kz_uuid_v4(mine.id);
    snprintf(mine.creator_org, sizeof mine.creator_org, "%s", b.org.id);
    assert_int_equal(kz_sync_envelope_event(&a.id, &mine, NULL, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 1, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", a.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_true(kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err) < 0);
    assert_false(has_event(&b, mine.id, NULL));
    kz_sync_batch_clear(&b1);

    /* C's own event, relayed by A while A is not marked a relay: skipped
     * (not a forgery, so the batch goes through), C's key not introduced */
    kz_event relayed;
    make_event(&c, c.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &relayed);
    json_t *org_env;
    assert_int_equal(kz_sync_envelope_org(&c.id, &c.org, &org_env, &err), 0);
    assert_int_equal(kz_sync_envelope_event(&c.id, &relayed, NULL, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 2, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", a.id.node_id);
    json_array_append_new(b1.objects, org_env);
    json_array_append_new(b1.objects, env);
    assert_false(a_on_b.relay);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err), 0);
    assert_int_equal(s.events, 0);
    assert_int_equal(s.orgs, 0);
    assert_int_equal(s.unchanged, 2);
    assert_false(has_event(&b, relayed.id, NULL));
    uint8_t key[32];
    char *by = NULL;
    assert_int_equal(kz_store_org_key_get(b.st, c.org.id, key, &A, &by, &err), KZ_E_NOTFOUND);

    /* the operator marks A a relay (kept in the store) */
    assert_int_equal(kz_store_peer_set_relay(b.st, a_on_b.id, true, &err), 0);
    kz_peer reread;
    assert_int_equal(kz_store_peer_get(b.st, a_on_b.id, &A, &reread, &err), 0);
    assert_true(reread.relay);
    a_on_b = reread;

    /* even a relay introduces no key for an org that only sends an org
     * record (or sightings): only creators of events it relays */
    json_t *lone_org;
    assert_int_equal(kz_sync_envelope_org(&c.id, &c.org, &lone_org, &err), 0);
    kz_sync_batch b0 = {.cursor = 2, .objects = json_array()};
    snprintf(b0.from_node, sizeof b0.from_node, "%s", a.id.node_id);
    json_array_append_new(b0.objects, lone_org);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &b0, &s, &err), 0);
    assert_int_equal(s.orgs, 0);
    assert_int_equal(kz_store_org_key_get(b.st, c.org.id, key, &A, &by, &err), KZ_E_NOTFOUND);
    kz_sync_batch_clear(&b0);

    /* C's event relayed by the relay A: C's key is introduced by A and kept */
    if (kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err) != 0)
        fail_msg("relayed batch refused: %s", err.msg);
    assert_int_equal(s.orgs, 1);
    assert_int_equal(s.events, 1);
    kz_sync_batch_clear(&b1);
    assert_int_equal(kz_store_org_key_get(b.st, c.org.id, key, &A, &by, &err), 0);
    assert_memory_equal(key, c.id.public_key, 32);
    assert_string_equal(by, a_on_b.id);
    /* ... and from then on A's key may not change C's objects */
    relayed.title = "changed by A";
    relayed.modified += 10;
    assert_int_equal(kz_sync_envelope_event(&a.id, &relayed, NULL, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 3, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", a.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_true(kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err) < 0);
    kz_sync_batch_clear(&b1);
    kz_event got;
    assert_true(has_event(&b, relayed.id, &got));
    assert_string_equal(got.title, "t");

    /* ... nor can the relay introduce another key for C: the first stays */
    tnode en;
    node_open(&en, 3);
    kz_event impostor;
    make_event(&en, en.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &impostor);
    impostor.n_indicators = 0;
    snprintf(impostor.creator_org, sizeof impostor.creator_org, "%s", c.org.id);
    assert_int_equal(kz_sync_envelope_event(&en.id, &impostor, NULL, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 4, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", a.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err), KZ_E_UNAUTH);
    assert_non_null(strstr(err.msg, "not trusted"));
    assert_false(has_event(&b, impostor.id, NULL));
    assert_int_equal(kz_store_org_key_get(b.st, c.org.id, key, &A, &by, &err), 0);
    assert_memory_equal(key, c.id.public_key, 32);
    /* only the operator replaces it (what `kizuna node trust` does) */
    assert_int_equal(kz_store_org_key_set(b.st, c.org.id, en.id.public_key, NULL, &err), 0);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &b1, &s, &err), 0);
    assert_int_equal(s.events, 1);
    assert_true(has_event(&b, impostor.id, NULL));
    kz_sync_batch_clear(&b1);
    assert_int_equal(kz_store_org_key_set(b.st, c.org.id, c.id.public_key, NULL, &err), 0);
    node_close(&en);

    /* B relays C's envelope to a third party unchanged: the kept copy */
    char *kind = NULL, *text = NULL;
    size_t len = 0;
    int64_t version = 0;
    assert_int_equal(kz_store_envelope_get(b.st, relayed.id, &A, &kind, &version, &text, &len,
                                           &err),
                     0);
    assert_string_equal(kind, "event");
    assert_true(version == got.modified);
    assert_non_null(strstr(text, c.id.fingerprint));

    /* B relays it to a fourth node as C signed it: whole, even with a type
     * filter that only one of its indicators matches; not at all when none do. */
    tnode d;
    node_open(&d, 3);
    kz_peer d_on_b;
    make_peer(&b, &d, &d_on_b);
    kz_strlist_push(&A, &d_on_b.filter_types, "domain");
    kz_sync_batch page;
    assert_int_equal(kz_sync_feed_page(b.st, &b.id, &d_on_b, 0, 0, &page, &err), 0);
    json_t *rel = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(page.objects, i, e) {
        const char *id = json_string_value(json_object_get(json_object_get(e, "body"), "id"));
        if (id && strcmp(id, relayed.id) == 0)
            rel = e;
    }
    assert_non_null(rel);
    assert_int_equal(json_array_size(json_object_get(json_object_get(rel, "body"), "indicators")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(rel, "signer"),
                                                          "fingerprint")),
                        c.id.fingerprint);
    /* and D verifies C's signature itself (C introduced by B) */
    kz_peer b_on_d;
    make_peer(&d, &b, &b_on_d);
    assert_int_equal(kz_store_peer_set_relay(d.st, b_on_d.id, true, &err), 0);
    b_on_d.relay = true; /* D takes third-party keys from B, its hub */
    assert_int_equal(kz_sync_apply(d.st, &d.id, &b_on_d, &page, &s, &err), 0);
    assert_true(has_event(&d, relayed.id, NULL));
    kz_sync_batch_clear(&page);
    d_on_b.filter_types = (kz_strlist){0};
    kz_strlist_push(&A, &d_on_b.filter_types, "md5");
    assert_int_equal(kz_sync_feed_page(b.st, &b.id, &d_on_b, 0, 0, &page, &err), 0);
    json_array_foreach(page.objects, i, e) {
        const char *id = json_string_value(json_object_get(json_object_get(e, "body"), "id"));
        assert_true(!id || strcmp(id, relayed.id) != 0);
    }
    kz_sync_batch_clear(&page);
    node_close(&d);
    node_close(&a);
    node_close(&b);
    node_close(&c);
}

static void test_feed_filters_and_deletions(void **state)
{
    (void)state;
    tnode a, b;
    node_open(&a, 0);
    node_open(&b, 1);
    kz_peer p;
    make_peer(&a, &b, &p);
    kz_err err = {0};
    kz_event apt, other, amber;
    make_event(&a, a.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, "apt", &apt);
    make_event(&a, a.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, "crime", &other);
    make_event(&a, a.org.id, KZ_TLP_AMBER, KZ_DIST_ALL, "apt", &amber);

    /* tags: only "apt"; types: only domains; ceiling green: not the amber one */
    kz_strlist_push(&A, &p.filter_tags, "apt");
    kz_strlist_push(&A, &p.filter_types, "domain");
    p.tlp_ceiling = KZ_TLP_GREEN;
    kz_sync_batch page;
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &p, 0, 0, &page, &err), 0);
    size_t events = 0, i;
    json_t *e;
    json_array_foreach(page.objects, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "kind")), "event") != 0)
            continue;
        events++;
        json_t *body = json_object_get(e, "body");
        assert_string_equal(json_string_value(json_object_get(body, "id")), apt.id);
        json_t *inds = json_object_get(body, "indicators");
        assert_int_equal(json_array_size(inds), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 0), "type")),
                            "domain");
    }
    assert_int_equal(events, 1);
    int64_t cursor = page.cursor;
    kz_sync_batch_clear(&page);

    /* deletions go only where the object went */
    assert_int_equal(kz_store_event_delete(a.st, other.id, &err), 0);
    assert_int_equal(kz_store_event_delete(a.st, apt.id, &err), 0);
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &p, cursor, 0, &page, &err), 0);
    assert_int_equal(json_array_size(page.objects), 1);
    json_t *d = find_kind(&page, "deletion");
    assert_non_null(d);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(d, "body"), "object_id")), apt.id);
    kz_sync_batch_clear(&page);

    /* an unpublished event never leaves */
    kz_event draft;
    make_event(&a, a.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, "apt", &draft);
    draft.published = false;
    assert_int_equal(kz_store_event_update(a.st, &draft, &err), 0);
    p.filter_tags = (kz_strlist){0};
    p.filter_types = (kz_strlist){0};
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &p, cursor, 0, &page, &err), 0);
    json_array_foreach(page.objects, i, e) {
        json_t *body = json_object_get(e, "body");
        const char *id = json_string_value(json_object_get(body, "id"));
        assert_true(id == NULL || strcmp(id, draft.id) != 0);
    }
    kz_sync_batch_clear(&page);
    node_close(&a);
    node_close(&b);
}

/* An event may name a sharing group; it must not rewrite one held here. */
static void test_sharing_group_owned_elsewhere(void **state)
{
    (void)state;
    tnode a, b, c;
    node_open(&a, 0);
    node_open(&b, 1);
    node_open(&c, 2);
    kz_peer b_on_a, c_on_a;
    make_peer(&a, &b, &b_on_a);
    make_peer(&a, &c, &c_on_a);
    kz_err err = {0};
    kz_sync_apply_stats s;

    /* A's own group: A and C; B is not in it */
    kz_sharing_group g = {.name = "a-and-c", .description = "local"};
    kz_uuid_v4(g.id);
    snprintf(g.owner_org, sizeof g.owner_org, "%s", a.org.id);
    kz_strlist_push(&A, &g.member_orgs, a.org.id);
    kz_strlist_push(&A, &g.member_orgs, c.org.id);
    assert_int_equal(kz_store_sharing_group_put(a.st, &g, &err), 0);
    kz_sharing_group stored_g;
    assert_int_equal(kz_store_sharing_group_get(a.st, g.id, &A, &stored_g, &err), 0);

    /* B signs (validly) an event of its own that carries A's group, newer,
     * with B added and B claimed as owner */
    kz_event ev;
    make_event(&b, b.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &ev);
    ev.distribution = KZ_DIST_SHARING_GROUP;
    snprintf(ev.sharing_group_id, sizeof ev.sharing_group_id, "%s", g.id);
    kz_sharing_group evil = g;
    evil.name = "hijacked";
    evil.member_orgs = (kz_strlist){0};
    kz_strlist_push(&A, &evil.member_orgs, b.org.id);
    kz_strlist_push(&A, &evil.member_orgs, a.org.id);
    snprintf(evil.owner_org, sizeof evil.owner_org, "%s", b.org.id);
    evil.created = stored_g.created;
    evil.modified = stored_g.modified + 1000000;
    json_t *env;
    assert_int_equal(kz_sync_envelope_event(&b.id, &ev, &evil, &env, &err), 0);
    kz_sync_batch b1 = {.cursor = 1, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", b.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_int_equal(kz_sync_apply(a.st, &a.id, &b_on_a, &b1, &s, &err), 0);
    kz_sync_batch_clear(&b1);
    kz_sharing_group after;
    assert_int_equal(kz_store_sharing_group_get(a.st, g.id, &A, &after, &err), 0);
    assert_string_equal(after.owner_org, a.org.id);
    assert_string_equal(after.name, "a-and-c");
    assert_int_equal(after.member_orgs.n, 2);
    assert_false(kz_strlist_has(&after.member_orgs, b.org.id));
    assert_true(after.modified == stored_g.modified);

    /* a group new here is created as sent; later its owner's node (B)
     * changes it when newer, but never its owner; C cannot change it */
    kz_event ev2;
    make_event(&b, b.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &ev2);
    ev2.distribution = KZ_DIST_SHARING_GROUP;
    kz_sharing_group bg = {.name = "b-group", .created = kz_time_now()};
    bg.modified = bg.created;
    kz_uuid_v4(bg.id);
    snprintf(ev2.sharing_group_id, sizeof ev2.sharing_group_id, "%s", bg.id);
    snprintf(bg.owner_org, sizeof bg.owner_org, "%s", b.org.id);
    kz_strlist_push(&A, &bg.member_orgs, b.org.id);
    kz_strlist_push(&A, &bg.member_orgs, a.org.id);
    assert_int_equal(kz_sync_envelope_event(&b.id, &ev2, &bg, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 2, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", b.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_int_equal(kz_sync_apply(a.st, &a.id, &b_on_a, &b1, &s, &err), 0);
    kz_sync_batch_clear(&b1);
    assert_int_equal(kz_store_sharing_group_get(a.st, bg.id, &A, &after, &err), 0);
    assert_string_equal(after.owner_org, b.org.id);
    assert_int_equal(after.member_orgs.n, 2);

    /* C (a peer, not the owner) adds itself: ignored */
    kz_event ev3;
    make_event(&c, c.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &ev3);
    ev3.distribution = KZ_DIST_SHARING_GROUP;
    snprintf(ev3.sharing_group_id, sizeof ev3.sharing_group_id, "%s", bg.id);
    kz_sharing_group cg = bg;
    cg.member_orgs = (kz_strlist){0};
    kz_strlist_push(&A, &cg.member_orgs, c.org.id);
    cg.modified = bg.modified + 5;
    assert_int_equal(kz_sync_envelope_event(&c.id, &ev3, &cg, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 1, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", c.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_int_equal(kz_sync_apply(a.st, &a.id, &c_on_a, &b1, &s, &err), 0);
    kz_sync_batch_clear(&b1);
    assert_int_equal(kz_store_sharing_group_get(a.st, bg.id, &A, &after, &err), 0);
    assert_int_equal(after.member_orgs.n, 2);
    assert_false(kz_strlist_has(&after.member_orgs, c.org.id));

    /* B's newer version (C added, owner claimed as C): members change, owner not */
    ev2.modified += 10;
    kz_sharing_group bg2 = bg;
    bg2.name = "b-group-2";
    bg2.member_orgs = (kz_strlist){0};
    kz_strlist_push(&A, &bg2.member_orgs, b.org.id);
    kz_strlist_push(&A, &bg2.member_orgs, c.org.id);
    snprintf(bg2.owner_org, sizeof bg2.owner_org, "%s", c.org.id);
    bg2.modified = bg.modified + 10;
    assert_int_equal(kz_sync_envelope_event(&b.id, &ev2, &bg2, &env, &err), 0);
    b1 = (kz_sync_batch){.cursor = 3, .objects = json_array()};
    snprintf(b1.from_node, sizeof b1.from_node, "%s", b.id.node_id);
    json_array_append_new(b1.objects, env);
    assert_int_equal(kz_sync_apply(a.st, &a.id, &b_on_a, &b1, &s, &err), 0);
    kz_sync_batch_clear(&b1);
    assert_int_equal(kz_store_sharing_group_get(a.st, bg.id, &A, &after, &err), 0);
    assert_string_equal(after.name, "b-group-2");
    assert_string_equal(after.owner_org, b.org.id);
    assert_true(kz_strlist_has(&after.member_orgs, c.org.id));
    assert_false(kz_strlist_has(&after.member_orgs, a.org.id));
    node_close(&a);
    node_close(&b);
    node_close(&c);
}

/* A node record with a duplicated key is not JSON we accept (the second
 * "public_key" would silently win in jansson's default mode). */
static void test_fetch_node_rejects_duplicate_keys(void **state)
{
    (void)state;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(ls, 4), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *body = "{\"node_id\":\"x\",\"public_key\":\"aa\",\"public_key\":\"bb\"}";
        int cs = accept(ls, NULL, NULL);
        char req[4096];
        ssize_t got = cs >= 0 ? read(cs, req, sizeof req) : -1;
        (void)got;
        char resp[512];
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         strlen(body), body);
        if (cs >= 0 && write(cs, resp, (size_t)n) < 0)
            _exit(1);
        _exit(0);
    }
    close(ls);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    json_t *out = NULL;
    kz_err err = {0};
    assert_int_equal(kz_sync_fetch_node(url, &out, &err), KZ_E_INVALID);
    assert_null(out);
    assert_non_null(strstr(err.msg, "duplicate"));
    int status;
    waitpid(pid, &status, 0);
}

/* An event of `desc_len` bytes of description, published on n. */
static void make_heavy(tnode *n, size_t desc_len, kz_event *ev)
{
    make_event(n, n->org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, ev);
    char *d = kz_arena_alloc(&A, desc_len + 1);
    memset(d, 'x', desc_len);
    d[desc_len] = '\0';
    ev->description = d;
    kz_err err = {0};
    assert_int_equal(kz_store_event_update(n->st, ev, &err), 0);
}

static size_t count_events(const kz_sync_batch *b, const char *id, bool *has)
{
    size_t i, k = 0;
    json_t *e;
    *has = false;
    json_array_foreach(b->objects, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "kind")), "event") != 0)
            continue;
        k++;
        if (strcmp(json_string_value(json_object_get(json_object_get(e, "body"), "id")), id) == 0)
            *has = true;
    }
    return k;
}

/* Pages of several objects stay below the page bytes; an event above them
 * travels alone; nothing is lost or sent twice across the split. */
static void test_pages_split_by_bytes(void **state)
{
    (void)state;
    tnode a, b;
    node_open(&a, 0);
    node_open(&b, 1);
    kz_peer b_on_a, a_on_b;
    make_peer(&a, &b, &b_on_a);
    make_peer(&b, &a, &a_on_b);
    kz_err err = {0};
    const size_t cap = 8192;
    kz_sync_set_page_bytes(cap);
    kz_event evs[7];
    for (int i = 0; i < 6; i++)
        make_heavy(&a, 2000, &evs[i]);
    make_heavy(&a, 20000, &evs[6]); /* larger than any page */
    int64_t cursor = 0;
    size_t pages = 0, seen[7] = {0};
    bool more = true;
    while (more) {
        kz_sync_batch page;
        assert_int_equal(kz_sync_feed_page(a.st, &a.id, &b_on_a, cursor, 0, &page, &err), 0);
        kz_buf enc;
        kz_buf_init(&enc);
        assert_int_equal(kz_sync_batch_encode(&page, false, &enc, &err), 0);
        bool has_big = false;
        size_t events = count_events(&page, evs[6].id, &has_big);
        if (has_big)
            assert_int_equal(events, 1); /* alone */
        else
            assert_true(enc.len <= cap);
        for (int i = 0; i < 7; i++) {
            bool has;
            count_events(&page, evs[i].id, &has);
            seen[i] += has;
        }
        kz_sync_apply_stats s;
        assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &page, &s, &err), 0);
        kz_buf_free(&enc);
        assert_true(page.cursor > cursor || !page.more);
        cursor = page.cursor;
        more = page.more;
        kz_sync_batch_clear(&page);
        pages++;
        assert_true(pages < 50);
    }
    assert_true(pages >= 4); /* 6 x ~2.3 KB in 8 KB pages, plus the big one */
    for (int i = 0; i < 7; i++) {
        assert_int_equal(seen[i], 1);
        assert_true(has_event(&b, evs[i].id, NULL));
    }
    kz_sync_set_page_bytes(0);
    node_close(&a);
    node_close(&b);
}

/* What a push may weigh: the configured maximum, or one event alone. */
static void test_push_limit(void **state)
{
    (void)state;
    tnode a, b;
    node_open(&a, 0);
    node_open(&b, 1);
    kz_peer b_on_a;
    make_peer(&a, &b, &b_on_a);
    kz_err err = {0};
    kz_sync_set_page_bytes(8192);
    assert_int_equal(kz_sync_set_push_max(4096, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "4096"));
    assert_int_equal(kz_sync_set_push_max(KZ_SYNC_MAX_BATCH + 1, &err), KZ_E_VALUE);
    assert_int_equal(kz_sync_set_push_max(16384, &err), 0);
    assert_true(kz_sync_push_max() == 16384);

    /* several events, 24 KB together: refused, naming the limit */
    kz_event evs[3], big;
    kz_sync_batch many = {.cursor = 1, .objects = json_array()};
    snprintf(many.from_node, sizeof many.from_node, "%s", a.id.node_id);
    for (int i = 0; i < 3; i++) {
        make_heavy(&a, 8000, &evs[i]);
        json_t *env;
        assert_int_equal(kz_sync_envelope_event(&a.id, &evs[i], NULL, &env, &err), 0);
        json_array_append_new(many.objects, env);
    }
    kz_buf enc;
    kz_buf_init(&enc);
    assert_int_equal(kz_sync_batch_encode(&many, true, &enc, &err), 0);
    kz_sync_batch got;
    bool oversized = true;
    assert_int_equal(kz_sync_batch_decode_push(enc.p, enc.len, &got, &oversized, &err),
                     KZ_E_TOOLARGE);
    assert_false(oversized);
    assert_non_null(strstr(err.msg, "16384"));
    kz_buf_free(&enc);
    kz_sync_batch_clear(&many);

    /* one event of 30 KB alone: taken, one such batch at a time */
    make_heavy(&a, 30000, &big);
    json_t *env;
    kz_sync_batch one = {.cursor = 2, .objects = json_array()};
    snprintf(one.from_node, sizeof one.from_node, "%s", a.id.node_id);
    assert_int_equal(kz_sync_envelope_org(&a.id, &a.org, &env, &err), 0);
    json_array_append_new(one.objects, env);
    assert_int_equal(kz_sync_envelope_event(&a.id, &big, NULL, &env, &err), 0);
    json_array_append_new(one.objects, env);
    kz_buf_init(&enc);
    assert_int_equal(kz_sync_batch_encode(&one, true, &enc, &err), 0);
    assert_int_equal(kz_sync_batch_decode_push(enc.p, enc.len, &got, &oversized, &err), 0);
    assert_true(oversized);
    assert_int_equal(json_array_size(got.objects), 2);
    kz_sync_batch got2;
    bool over2 = false;
    assert_int_equal(kz_sync_batch_decode_push(enc.p, enc.len, &got2, &over2, &err), KZ_E_RATE);
    kz_sync_batch_clear(&got);
    kz_sync_oversized_done();
    assert_int_equal(kz_sync_batch_decode_push(enc.p, enc.len, &got2, &over2, &err), 0);
    assert_true(over2);
    kz_sync_batch_clear(&got2);
    kz_sync_oversized_done();
    kz_buf_free(&enc);
    kz_sync_batch_clear(&one);

    assert_int_equal(kz_sync_set_push_max(KZ_SYNC_PUSH_MAX_DEFAULT, &err), 0);
    kz_sync_set_page_bytes(0);
    node_close(&a);
    node_close(&b);
}

static size_t count_kind(const kz_sync_batch *b, const char *kind)
{
    size_t i, k = 0;
    json_t *e;
    json_array_foreach(b->objects, i, e) {
        k += strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0;
    }
    return k;
}

/* Others propose, the proposal travels to the creator's node, the creator
 * decides there, and the accepted change travels back as its own event. */
static void test_proposals_travel_to_the_creator(void **state)
{
    (void)state;
    tnode a, b;
    node_open(&a, 0);
    node_open(&b, 1);
    kz_peer b_on_a, a_on_b;
    make_peer(&a, &b, &b_on_a);
    make_peer(&b, &a, &a_on_b);
    kz_err err = {0};
    kz_sync_apply_stats s;
    kz_event ev;
    make_event(&a, a.org.id, KZ_TLP_CLEAR, KZ_DIST_ALL, NULL, &ev);
    kz_sync_batch page;
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &b_on_a, 0, 0, &page, &err), 0);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &page, &s, &err), 0);
    int64_t a_cursor = page.cursor;
    kz_sync_batch_clear(&page);
    kz_event on_b;
    assert_true(has_event(&b, ev.id, &on_b));

    /* the creator org does not propose to itself */
    kz_proposal p = {.action = "add", .type = KZ_IOC_DOMAIN, .value = "x.example"};
    assert_int_equal(kz_sync_proposal_create(a.st, a.org.id, &ev, &p, &A, &err), KZ_E_CONFLICT);
    /* a change needs an indicator of that event */
    kz_proposal bad = {.action = "change", .type = KZ_IOC_DOMAIN, .value = "x.example"};
    kz_uuid_v4(bad.indicator_id);
    assert_int_equal(kz_sync_proposal_create(b.st, b.org.id, &on_b, &bad, &A, &err), KZ_E_VALUE);
    assert_string_equal(err.field, "indicator_id");
    /* B proposes an indicator (normalised) and the deletion of one */
    kz_proposal add = {.action = "add", .type = KZ_IOC_DOMAIN, .value = "C2.Evil.example",
                       .to_ids = true};
    assert_int_equal(kz_sync_proposal_create(b.st, b.org.id, &on_b, &add, &A, &err), 0);
    assert_string_equal(add.value, "c2.evil.example");
    kz_proposal del = {.action = "delete"};
    snprintf(del.indicator_id, sizeof del.indicator_id, "%s", ev.indicators[0].id);
    assert_int_equal(kz_sync_proposal_create(b.st, b.org.id, &on_b, &del, &A, &err), 0);

    /* B's feed for A carries both, signed by B; A's event is not echoed */
    assert_int_equal(kz_sync_feed_page(b.st, &b.id, &a_on_b, 0, 0, &page, &err), 0);
    assert_int_equal(count_kind(&page, "proposal"), 2);
    assert_int_equal(count_kind(&page, "event"), 0);
    /* a flipped value is refused, nothing stored */
    json_t *copy = json_deep_copy(page.objects);
    size_t i;
    json_t *e;
    json_array_foreach(copy, i, e) {
        json_t *body = json_object_get(e, "body");
        if (json_object_get(body, "value") && json_is_string(json_object_get(body, "value")))
            json_object_set_new(body, "value", json_string("c3.evil.example"));
    }
    kz_sync_batch tampered = page;
    tampered.objects = copy;
    assert_int_equal(kz_sync_apply(a.st, &a.id, &b_on_a, &tampered, &s, &err), KZ_E_UNAUTH);
    json_decref(copy);
    kz_proposal *list;
    size_t n;
    assert_int_equal(kz_store_proposal_list(a.st, ev.id, NULL, &A, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(kz_sync_apply(a.st, &a.id, &b_on_a, &page, &s, &err), 0);
    assert_int_equal(s.proposals, 2);
    kz_sync_batch_clear(&page);
    assert_int_equal(kz_store_proposal_list(a.st, ev.id, NULL, &A, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].org_id, b.org.id);
    assert_string_equal(list[0].status, "open");

    /* only the creator decides, and only where the event is homed */
    assert_int_equal(kz_sync_proposal_decide(a.st, b.org.id, add.id, true, &err), KZ_E_FORBIDDEN);
    assert_int_equal(kz_sync_proposal_decide(b.st, a.org.id, add.id, true, &err), KZ_E_CONFLICT);
    assert_int_equal(kz_sync_proposal_decide(a.st, a.org.id, add.id, true, &err), 0);
    assert_int_equal(kz_sync_proposal_decide(a.st, a.org.id, add.id, false, &err), KZ_E_CONFLICT);
    assert_int_equal(kz_sync_proposal_decide(a.st, a.org.id, del.id, true, &err), 0);
    kz_event now;
    assert_true(has_event(&a, ev.id, &now));
    assert_int_equal(now.n_indicators, 2);
    bool found_new = false, found_old = false;
    for (size_t k = 0; k < now.n_indicators; k++) {
        found_new |= strcmp(now.indicators[k].value, "c2.evil.example") == 0;
        found_old |= strcmp(now.indicators[k].id, ev.indicators[0].id) == 0;
    }
    assert_true(found_new);
    assert_false(found_old);

    /* ... and the result reaches B as A's own signed event */
    assert_int_equal(kz_sync_feed_page(a.st, &a.id, &b_on_a, a_cursor, 0, &page, &err), 0);
    assert_int_equal(kz_sync_apply(b.st, &b.id, &a_on_b, &page, &s, &err), 0);
    assert_int_equal(s.events, 1);
    kz_sync_batch_clear(&page);
    assert_true(has_event(&b, ev.id, &on_b));
    found_new = false;
    for (size_t k = 0; k < on_b.n_indicators; k++)
        found_new |= strcmp(on_b.indicators[k].value, "c2.evil.example") == 0;
    assert_true(found_new);
    assert_int_equal(on_b.n_indicators, 2);
    node_close(&a);
    node_close(&b);
}

int main(void)
{
    kz_base_init();
    kz_arena_init(&A);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_key_sealed_at_rest),
        cmocka_unit_test(test_apply_verifies_and_is_idempotent),
        cmocka_unit_test(test_trust_rules),
        cmocka_unit_test(test_feed_filters_and_deletions),
        cmocka_unit_test(test_sharing_group_owned_elsewhere),
        cmocka_unit_test(test_fetch_node_rejects_duplicate_keys),
        cmocka_unit_test(test_pages_split_by_bytes),
        cmocka_unit_test(test_push_limit),
        cmocka_unit_test(test_proposals_travel_to_the_creator),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kz_arena_free(&A);
    return rc;
}
