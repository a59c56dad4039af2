/* test_node_cli.c — `kizuna node show|set-org`, the node's federation
 * identity as the operator sees it: the key printed is the one derived from
 * <db>.secret (recomputed here with libsodium, not taken from the code under
 * test), the secret itself never shows, and the operator org is not
 * replaced by accident.
 */
#include "kz_run.h"
#include "kz_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

static const char *bin;
static char *tmp;

static kz_run_out runv(const char *const *argv) { return kz_run(bin, tmp, NULL, argv); }
#define RUN(...) runv((const char *const[]){__VA_ARGS__, NULL})

/* The value after "prefix" on its line of out. */
static void line_value(const char *out, const char *prefix, char *val, size_t n)
{
    const char *p = strstr(out, prefix);
    if (!p)
        fprintf(stderr, "no '%s' in:\n%s\n", prefix, out);
    assert_non_null(p);
    p += strlen(prefix);
    snprintf(val, n, "%.*s", (int)strcspn(p, "\n"), p);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void sql(const char *db, const char *stmt)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, stmt, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static void test_node_show_and_set_org(void **state)
{
    (void)state;
    char db[1024], secpath[1100];
    snprintf(db, sizeof db, "%s/n.db", tmp);
    snprintf(secpath, sizeof secpath, "%s.secret", db);
    kz_run_out r = RUN("init", "--db", db, "--org", "CERT-N", "--country", "th");
    kz_run_expect(&r, 0);
    kz_run_free(&r);

    /* The expected identity, from the secret file with libsodium. */
    char *sec_hex = kz_test_slurp(secpath);
    sec_hex[strcspn(sec_hex, "\r\n")] = '\0';
    assert_int_equal(strlen(sec_hex), 64);
    uint8_t secret[32], seed[32], pk[32], sk[64], h[32];
    for (int i = 0; i < 32; i++)
        assert_int_equal(sscanf(sec_hex + 2 * i, "%2hhx", &secret[i]), 1);
    assert_int_equal(crypto_kdf_derive_from_key(seed, 32, 1, "kzsign01", secret), 0);
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_generichash(h, 32, pk, 32, NULL, 0);
    char want_pk[65], want_fp[33];
    hex(pk, 32, want_pk);
    hex(h, 16, want_fp);

    r = RUN("node", "show", "--db", db);
    kz_run_expect(&r, 0);
    char pk_s[128], fp_s[128], id_s[128], org_s[256];
    line_value(r.out, "public key:  ", pk_s, sizeof pk_s);
    line_value(r.out, "fingerprint: ", fp_s, sizeof fp_s);
    line_value(r.out, "node id:     ", id_s, sizeof id_s);
    line_value(r.out, "org:         ", org_s, sizeof org_s);
    assert_string_equal(pk_s, want_pk);
    assert_string_equal(fp_s, want_fp);
    kz_expect_contains(org_s, " (CERT-N)");
    char org_id[40];
    snprintf(org_id, sizeof org_id, "%.36s", org_s);
    char want_id[100];
    snprintf(want_id, sizeof want_id, "%s/%s", org_id, want_fp);
    assert_string_equal(id_s, want_id);
    /* neither the node secret nor the signing key ever shows */
    char sk_hex[129];
    hex(sk, 32, sk_hex);
    assert_null(strstr(r.out, sec_hex));
    assert_null(strstr(r.out, sk_hex));
    kz_run_free(&r);

    r = RUN("node", "show", "--db", db, "--json");
    kz_run_expect(&r, 0);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "node_id")), want_id);
    assert_string_equal(json_string_value(json_object_get(j, "org_id")), org_id);
    assert_string_equal(json_string_value(json_object_get(j, "org_name")), "CERT-N");
    assert_string_equal(json_string_value(json_object_get(j, "fingerprint")), want_fp);
    assert_string_equal(json_string_value(json_object_get(j, "public_key")), want_pk);
    assert_int_equal(json_object_size(j), 5);
    json_decref(j);
    kz_run_free(&r);

    /* Another org: replacing the recorded operator org needs --force. */
    r = RUN("org", "add", "--db", db, "--name", "CERT-M", "--country", "my", "--type",
            "national_cert");
    kz_run_expect(&r, 0);
    char other[40];
    snprintf(other, sizeof other, "%.36s", r.out);
    kz_run_free(&r);
    r = RUN("node", "set-org", "--db", db, "CERT-M");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "this node's operator organisation is already ");
    kz_expect_contains(r.err, org_id);
    kz_expect_contains(r.err, "use --force");
    kz_run_free(&r);
    r = RUN("node", "show", "--db", db, "--json");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, want_id); /* unchanged */
    kz_run_free(&r);
    /* the same org again is not a change */
    r = RUN("node", "set-org", "--db", db, "CERT-N");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN("node", "set-org", "--db", db, "CERT-M", "--force");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "operator organisation: ");
    kz_expect_contains(r.out, other);
    kz_run_free(&r);
    r = RUN("node", "show", "--db", db);
    kz_run_expect(&r, 0);
    line_value(r.out, "node id:     ", id_s, sizeof id_s);
    snprintf(want_id, sizeof want_id, "%s/%s", other, want_fp); /* same key, new org */
    assert_string_equal(id_s, want_id);
    kz_run_free(&r);

    /* Bad input: an org the node does not have. */
    r = RUN("node", "set-org", "--db", db, "No-Such-Org");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no organisation 'No-Such-Org' on this node");
    kz_run_free(&r);
    r = RUN("node", "set-org", "--db", db);
    kz_run_expect(&r, 2);
    kz_run_free(&r);

    /* A database without an operator org says how to record one. */
    sql(db, "DELETE FROM meta WHERE key = 'node.org_id'");
    r = RUN("node", "show", "--db", db);
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "this node has no operator organisation (setting 'node.org_id')");
    kz_expect_contains(r.err,
                       "hint: record the operator organisation with 'kizuna node set-org ORG'");
    kz_run_free(&r);

    sodium_memzero(secret, sizeof secret);
    free(sec_hex);
}

int main(void)
{
    kz_base_init();
    bin = getenv("KIZUNA_BIN");
    if (!bin) {
        fprintf(stderr, "KIZUNA_BIN is not set\n");
        return 1;
    }
    tmp = kz_test_mkdtemp();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_show_and_set_org),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kz_test_rmdir(tmp);
    free(tmp);
    return rc;
}
