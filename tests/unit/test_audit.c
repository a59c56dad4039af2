/* test_audit.c — the hash-chained audit log (store/audit.c): appending
 * chains entries, the chain verifies, and every kind of tampering with the
 * file — editing one field, deleting a row, reordering rows, cutting off
 * the newest entries, re-hashing an edited entry — is detected and the
 * first bad seq named. Tampering is done as an attacker with the file would:
 * through a raw SQLite connection, after dropping the append-only triggers.
 * The chain is keyed with the node secret: rewriting it whole without the
 * secret is caught; with the secret, or by cutting the tail and moving the
 * head back, only an anchor recorded elsewhere catches it (both limits are
 * asserted here, as docs/notifications.md states them).
 */
#include "kz_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store/store.h"

typedef struct fx {
    char *dir;
    char path[600];
    kz_store *st;
} fx;

#define N_ENTRIES 8

/* Appends entries numbered from..from+n-1 in one batch. */
static void append_n(kz_store *st, int from, int n)
{
    static const char *const actions[] = {"POST /api/v1/events", "read",
                                          "PATCH /api/v1/events/{id}"};
    kz_audit_entry e[16];
    char ids[16][40];
    assert_true(n <= 16);
    memset(e, 0, sizeof e);
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "00000000-0000-4000-8000-%012d", from + i);
        e[i] = (kz_audit_entry){.actor_user = "11111111-1111-4111-8111-111111111111",
                                .actor_org = "22222222-2222-4222-8222-222222222222",
                                .remote = "127.0.0.1",
                                .action = actions[(from + i) % 3],
                                .object_type = "event",
                                .object_id = ids[i],
                                .tlp = (from + i) % 5,
                                .status = 200};
    }
    kz_err err = {0};
    int rc = kz_store_audit_append(st, e, (size_t)n, &err);
    if (rc != 0)
        fail_msg("append: %s", err.msg);
    for (int i = 0; i < n; i++)
        assert_int_equal(e[i].seq, from + i);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = kz_test_mkdtemp();
    snprintf(f->path, sizeof f->path, "%s/kz.db", f->dir);
    kz_err err = {0};
    if (kz_store_open(f->path, &f->st, &err) != 0) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    append_n(f->st, 1, 3);
    append_n(f->st, 4, N_ENTRIES - 3);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    kz_store_close(f->st);
    kz_test_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Runs SQL on the file as an attacker would: without the triggers. */
static void tamper(fx *f, const char *sql)
{
    kz_store_close(f->st);
    f->st = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db,
                          "DROP TRIGGER IF EXISTS audit_log_no_update;"
                          "DROP TRIGGER IF EXISTS audit_log_no_delete;",
                          NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("tamper: %s", msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
    kz_err err = {0};
    assert_int_equal(kz_store_open(f->path, &f->st, &err), 0);
}

/* Verifies and expects the chain to break at bad with msg in the message. */
static void expect_broken(fx *f, int64_t bad, const char *msg)
{
    int64_t checked = -1, bad_seq = -1;
    kz_err err = {0};
    int rc = kz_store_audit_verify(f->st, &checked, &bad_seq, &err);
    assert_int_equal(rc, KZ_E_VALUE);
    assert_int_equal(bad_seq, bad);
    if (!strstr(err.msg, msg))
        fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

/* The chain key computed here from the secret file, independently of
 * kz_store_audit_key: BLAKE2b KDF, subkey 1, context "kzaudit_". */
static void key_from_file(const fx *f, uint8_t key[32])
{
    char p[640], hex[80] = "";
    snprintf(p, sizeof p, "%s.secret", f->path);
    FILE *fp = fopen(p, "r");
    assert_non_null(fp);
    assert_non_null(fgets(hex, sizeof hex, fp));
    fclose(fp);
    hex[64] = 0;
    uint8_t secret[32];
    assert_true(kz_hex_decode(hex, secret, 32));
    crypto_kdf_derive_from_key(key, 32, 1, "kzaudit_", secret);
}

static void field(crypto_generichash_state *h, const char *v)
{
    char b[1200];
    int n = v ? snprintf(b, sizeof b, "%zu:%s\n", strlen(v), v) : snprintf(b, sizeof b, "~\n");
    crypto_generichash_update(h, (const unsigned char *)b, (size_t)n);
}

/* The documented canonical form (audit.c), written out again; key NULL is
 * what an attacker without the node secret can compute. */
static void expected_hash(const uint8_t *key, const kz_audit_entry *e, uint8_t out[32])
{
    crypto_generichash_state h;
    char num[4][24];
    snprintf(num[0], 24, "%lld", (long long)e->seq);
    snprintf(num[1], 24, "%lld", (long long)e->at);
    snprintf(num[2], 24, "%d", e->tlp);
    snprintf(num[3], 24, "%d", e->status);
    crypto_generichash_init(&h, key, key ? 32 : 0, 32);
    crypto_generichash_update(&h, e->prev_hash, 32);
    crypto_generichash_update(&h, (const unsigned char *)"kz-audit-2\n", 11);
    field(&h, num[0]);
    field(&h, num[1]);
    field(&h, e->actor_user);
    field(&h, e->actor_org);
    field(&h, e->remote);
    field(&h, e->action);
    field(&h, e->object_type);
    field(&h, e->object_id);
    field(&h, num[2]);
    field(&h, num[3]);
    crypto_generichash_final(&h, out, 32);
}

/* An attacker rewrites the whole chain (entry `edit` gets another remote)
 * with the hash they can compute, and moves the recorded head to match. */
static void rechain(fx *f, const uint8_t *key, int64_t edit)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_audit_filter flt = {.min_tlp = -1, .limit = 1000};
    kz_audit_entry *v = NULL;
    size_t n = 0;
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    kz_buf sql;
    kz_buf_init(&sql);
    uint8_t prev[32] = {0};
    char hex[65], ph[65];
    for (size_t k = n; k-- > 0;) { /* oldest first */
        kz_audit_entry *e = &v[k];
        if (e->seq == edit)
            e->remote = "198.51.100.66";
        memcpy(e->prev_hash, prev, 32);
        expected_hash(key, e, e->hash);
        kz_hex_encode(e->hash, 32, hex);
        kz_hex_encode(prev, 32, ph);
        kz_buf_printf(&sql,
                      "UPDATE audit_log SET remote = '%s', prev_hash = x'%s', hash = x'%s'"
                      " WHERE seq = %lld;",
                      e->remote, ph, hex, (long long)e->seq);
        memcpy(prev, e->hash, 32);
    }
    kz_hex_encode(prev, 32, hex);
    kz_buf_printf(&sql, "UPDATE meta SET value = '%lld:%s' WHERE key = 'audit.head';",
                  (long long)v[0].seq, hex);
    kz_buf_putc(&sql, 0);
    char *text = strdup(sql.p);
    kz_buf_free(&sql);
    kz_arena_free(&a);
    tamper(f, text);
    free(text);
}

static void test_chain_verifies(void **state)
{
    fx *f = *state;
    int64_t checked = 0, bad = -1;
    kz_err err = {0};
    assert_int_equal(kz_store_audit_verify(f->st, &checked, &bad, &err), 0);
    assert_int_equal(checked, N_ENTRIES);
    assert_int_equal(bad, 0);
    /* Each stored entry links to the one before and hashes to itself. */
    kz_arena a;
    kz_arena_init(&a);
    kz_audit_filter flt = {.min_tlp = -1, .limit = 100};
    kz_audit_entry *v = NULL;
    size_t n = 0;
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    assert_int_equal(n, N_ENTRIES);
    static const uint8_t zero[32];
    uint8_t key[32];
    key_from_file(f, key);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].seq, N_ENTRIES - (int64_t)i); /* newest first */
        uint8_t h[32];
        expected_hash(key, &v[i], h);
        assert_memory_equal(h, v[i].hash, 32);
        if (i + 1 < n)
            assert_memory_equal(v[i].prev_hash, v[i + 1].hash, 32);
        else
            assert_memory_equal(v[i].prev_hash, zero, 32);
    }
    kz_arena_free(&a);
    /* Appending more keeps it intact. */
    append_n(f->st, N_ENTRIES + 1, 2);
    assert_int_equal(kz_store_audit_verify(f->st, &checked, &bad, &err), 0);
    assert_int_equal(checked, N_ENTRIES + 2);
}

static void test_empty_log_verifies(void **state)
{
    (void)state;
    char *dir = kz_test_mkdtemp();
    char path[600];
    snprintf(path, sizeof path, "%s/e.db", dir);
    kz_store *st = NULL;
    kz_err err = {0};
    assert_int_equal(kz_store_open(path, &st, &err), 0);
    int64_t checked = -1, bad = -1;
    assert_int_equal(kz_store_audit_verify(st, &checked, &bad, &err), 0);
    assert_int_equal(checked, 0);
    kz_store_close(st);
    kz_test_rmdir(dir);
    free(dir);
}

static void test_filters(void **state)
{
    fx *f = *state;
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_audit_entry *v = NULL;
    size_t n = 0;
    /* tlp 2..4 = amber and stricter: entries 2,3,4,7,8 ((seq % 5) >= 2) */
    kz_audit_filter flt = {.min_tlp = 2, .limit = 100};
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    assert_int_equal(n, 5);
    flt = (kz_audit_filter){.min_tlp = -1, .action = "read", .limit = 100};
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(v[i].action, "read");
    assert_int_equal(n, 3); /* seq 1, 4, 7 */
    flt = (kz_audit_filter){.min_tlp = -1, .action = "write", .limit = 100};
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    assert_int_equal(n, N_ENTRIES - 3);
    flt = (kz_audit_filter){.min_tlp = -1, .before_seq = 4, .limit = 2};
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].seq, 3);
    assert_int_equal(v[1].seq, 2);
    flt = (kz_audit_filter){.min_tlp = -1, .object_id = "00000000-0000-4000-8000-000000000006",
                            .limit = 100};
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].seq, 6);
    kz_arena_free(&a);
}

static void test_append_only_triggers(void **state)
{
    fx *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char *msg = NULL;
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE audit_log SET action = 'x' WHERE seq = 2", NULL, NULL, &msg),
        SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    msg = NULL;
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 2", NULL, NULL, &msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    sqlite3_close(db);
    int64_t checked, bad;
    kz_err err = {0};
    assert_int_equal(kz_store_audit_verify(f->st, &checked, &bad, &err), 0);
}

static void test_edited_field(void **state)
{
    fx *f = *state;
    tamper(f, "UPDATE audit_log SET actor_org = '33333333-3333-4333-8333-333333333333'"
              " WHERE seq = 5");
    expect_broken(f, 5, "entry 5 was altered");
}

static void test_edited_time(void **state)
{
    fx *f = *state;
    tamper(f, "UPDATE audit_log SET at = at - 3600000000 WHERE seq = 2");
    expect_broken(f, 2, "entry 2 was altered");
}

static void test_deleted_row(void **state)
{
    fx *f = *state;
    tamper(f, "DELETE FROM audit_log WHERE seq = 4");
    expect_broken(f, 4, "entry 4 is missing");
}

static void test_deleted_first_row(void **state)
{
    fx *f = *state;
    tamper(f, "DELETE FROM audit_log WHERE seq = 1");
    expect_broken(f, 1, "entry 1 is missing");
}

static void test_deleted_and_renumbered(void **state)
{
    fx *f = *state;
    /* Closing the gap: seq 5.. moved down by one. */
    tamper(f, "DELETE FROM audit_log WHERE seq = 4;"
              "UPDATE audit_log SET seq = -seq WHERE seq > 4;"
              "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0;");
    expect_broken(f, 4, "entry 4");
}

static void test_reordered(void **state)
{
    fx *f = *state;
    tamper(f, "UPDATE audit_log SET seq = -3 WHERE seq = 3;"
              "UPDATE audit_log SET seq = 3 WHERE seq = 6;"
              "UPDATE audit_log SET seq = 6 WHERE seq = -3;");
    expect_broken(f, 3, "entry 3 does not follow entry 2");
}

static void test_truncated_tail(void **state)
{
    fx *f = *state;
    tamper(f, "DELETE FROM audit_log WHERE seq >= 7");
    expect_broken(f, 7, "entry 7 is missing");
}

/* An attacker who edits an entry and recomputes its hash still breaks the
 * link from the next entry. */
static void test_rehashed_edit(void **state)
{
    fx *f = *state;
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_audit_filter flt = {.min_tlp = -1, .object_id = "00000000-0000-4000-8000-000000000005",
                           .limit = 1};
    kz_audit_entry *v = NULL;
    size_t n = 0;
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    kz_audit_entry e = v[0];
    e.actor_org = "33333333-3333-4333-8333-333333333333";
    uint8_t h[32], key[32]; /* this attacker holds the node secret too */
    assert_int_equal(kz_store_audit_key(f->st, key, &err), 0);
    kz_store_audit_mac(key, &e, h);
    char hex[65], sql[512];
    kz_hex_encode(h, 32, hex);
    snprintf(sql, sizeof sql,
             "UPDATE audit_log SET actor_org = '%s', hash = x'%s' WHERE seq = 5", e.actor_org, hex);
    kz_arena_free(&a);
    tamper(f, sql);
    expect_broken(f, 6, "entry 6 does not follow entry 5");
}

/* Length-prefixed fields: moving bytes between neighbours changes the hash. */
static void test_canonical_unambiguous(void **state)
{
    (void)state;
    kz_audit_entry x = {.seq = 1, .at = 5, .actor_user = "ab", .actor_org = "c", .action = "read",
                        .tlp = -1};
    kz_audit_entry y = x;
    y.actor_user = "a";
    y.actor_org = "bc";
    kz_audit_entry z = x;
    z.remote = ""; /* empty is not null */
    uint8_t hx[32], hy[32], hz[32], key[32] = {7};
    kz_store_audit_mac(key, &x, hx);
    kz_store_audit_mac(key, &y, hy);
    kz_store_audit_mac(key, &z, hz);
    assert_memory_not_equal(hx, hy, 32);
    assert_memory_not_equal(hx, hz, 32);
    x.prev_hash[0] = 1;
    uint8_t hx2[32];
    kz_store_audit_mac(key, &x, hx2);
    assert_memory_not_equal(hx, hx2, 32);
    /* and the key counts: another key, another hash */
    key[0] = 8;
    kz_store_audit_mac(key, &y, hx2);
    assert_memory_not_equal(hy, hx2, 32);
}

/* Without the node secret (its own file), a rewritten chain does not verify,
 * however consistent its links and recorded head. */
static void test_rewritten_without_secret(void **state)
{
    fx *f = *state;
    rechain(f, NULL, 3);
    expect_broken(f, 1, "entry 1 was altered");
}

/* The limits, stated by test: cutting the tail and moving the head back, or
 * rewriting with the secret, verifies on the node; a head recorded before
 * (`kizuna audit head`) catches both. */
static void test_anchor_catches_what_the_node_cannot(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    char early[KZ_AUDIT_ANCHOR_LEN + 1], late[KZ_AUDIT_ANCHOR_LEN + 1];
    /* an anchor taken at entry 6 still matches after entries 7 and 8 */
    kz_arena a;
    kz_arena_init(&a);
    kz_audit_filter flt = {.min_tlp = -1, .before_seq = 7, .limit = 1};
    kz_audit_entry *v = NULL;
    size_t n = 0;
    assert_int_equal(kz_store_audit_list(f->st, &flt, &a, &v, &n, &err), 0);
    char hex[65];
    kz_hex_encode(v[0].hash, 32, hex);
    snprintf(early, sizeof early, "6:%s", hex);
    kz_arena_free(&a);
    assert_int_equal(kz_store_audit_head_text(f->st, late, &err), 0);
    assert_int_equal(strncmp(late, "8:", 2), 0);
    assert_int_equal(strlen(late), 2 + 64);
    assert_int_equal(kz_store_audit_anchor_check(f->st, early, &err), 0);
    assert_int_equal(kz_store_audit_anchor_check(f->st, late, &err), 0);
    /* not an anchor */
    static const char *const bad[] = {"", "6", "6:", "0:00", "-6:ab", "6:zz", "x:y"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        assert_int_equal(kz_store_audit_anchor_check(f->st, bad[i], &err), KZ_E_INVALID);
        assert_string_equal(err.field, "expect");
    }
    /* cut entries 7 and 8 and move the recorded head back to 6 */
    char sql[300];
    snprintf(sql, sizeof sql,
             "DELETE FROM audit_log WHERE seq >= 7;"
             "UPDATE meta SET value = '%s' WHERE key = 'audit.head';",
             early);
    tamper(f, sql);
    int64_t checked = 0, bad_seq = -1;
    assert_int_equal(kz_store_audit_verify(f->st, &checked, &bad_seq, &err), 0);
    assert_int_equal(checked, 6);
    assert_int_equal(kz_store_audit_anchor_check(f->st, early, &err), 0);
    assert_int_equal(kz_store_audit_anchor_check(f->st, late, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "entry 8, recorded as the head earlier, is missing"));
    /* rewritten with the node secret: intact on the node, not to the anchor */
    uint8_t key[32];
    key_from_file(f, key);
    rechain(f, key, 2);
    assert_int_equal(kz_store_audit_verify(f->st, &checked, &bad_seq, &err), 0);
    assert_int_equal(kz_store_audit_anchor_check(f->st, early, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "entry 6 differs from the head recorded earlier"));
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_verifies, setup, teardown),
        cmocka_unit_test(test_empty_log_verifies),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_only_triggers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_first_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_and_renumbered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehashed_edit, setup, teardown),
        cmocka_unit_test(test_canonical_unambiguous),
        cmocka_unit_test_setup_teardown(test_rewritten_without_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anchor_catches_what_the_node_cannot, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
