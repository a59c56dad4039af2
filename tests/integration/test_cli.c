/* test_cli.c — the `kizuna` command as an operator and scripts use it: the
 * real binary (KIZUNA_BIN) run with fork/exec in a temporary directory,
 * checking exit codes, the "kizuna: " messages on stderr, what lands in the
 * database, and the import/export round trip.
 */
#include "kz_run.h"
#include "kz_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

static const char *bin;
static char *tmp; /* one directory for the whole run */

static char *tpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/%s", tmp, name);
    return p;
}

/* Runs kizuna with argv (NULL-terminated), stdin from `input` (or empty). */
static kz_run_out runv(const char *input, const char *const *argv)
{
    char in[1024];
    snprintf(in, sizeof in, "%s/.stdin", tmp);
    kz_test_spit(in, input ? input : "");
    return kz_run(bin, tmp, in, argv);
}

#define RUN(input, ...) runv(input, (const char *const[]){__VA_ARGS__, NULL})

/* The first line of out starting with prefix, rest copied into val. */
static bool line_value(const char *out, const char *prefix, char *val, size_t n)
{
    const char *p = out;
    size_t pl = strlen(prefix);
    while (p && *p) {
        if (strncmp(p, prefix, pl) == 0) {
            size_t len = strcspn(p + pl, "\n");
            snprintf(val, n, "%.*s", (int)len, p + pl);
            return true;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return false;
}

/* A new database under tmp with one org "CERT-Test" (SG); returns its path. */
static const char *fresh_db(const char *name, char key[64])
{
    char *db = tpath(name);
    kz_run_out r = RUN(NULL, "init", "--db", db, "--org", "CERT-Test", "--country", "sg",
                    "--node-name", "test node");
    kz_run_expect(&r, 0);
    char k[128];
    assert_true(line_value(r.out, "admin key: ", k, sizeof k));
    if (key) {
        assert_true(strlen(k) < 64);
        memcpy(key, k, strlen(k) + 1);
    }
    kz_run_free(&r);
    return db;
}

static void chomp_id(char *s)
{
    s[strcspn(s, "\n")] = '\0';
    assert_int_equal(strlen(s), 36);
}

static char *add_org(const char *db, const char *name, const char *cc)
{
    kz_run_out r = RUN(NULL, "org", "add", "--db", db, "--name", name, "--country", cc, "--type",
                    "national_cert");
    kz_run_expect(&r, 0);
    chomp_id(r.out);
    free(r.err);
    return r.out;
}

static char *add_event(const char *db, const char *org, const char *title, const char *tlp)
{
    kz_run_out r = RUN(NULL, "event", "add", "--db", db, "--org", org, "--title", title, "--tlp", tlp,
                    "--tag", "phishing", "--publish");
    kz_run_expect(&r, 0);
    chomp_id(r.out);
    free(r.err);
    return r.out;
}

static json_t *json_of(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fprintf(stderr, "not JSON (%s):\n%s\n", e.text, text);
    assert_non_null(j);
    return j;
}

static size_t count_lines(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && (!needle || memmem(p, len, needle, strlen(needle))))
            n++;
        p += len + (e ? 1 : 0);
    }
    return n;
}

/* ---- help and usage ------------------------------------------------------- */

static void test_help(void **state)
{
    (void)state;
    kz_run_out r = RUN(NULL, "--help");
    kz_run_expect(&r, 0);
    const char *cmds[] = {"init", "serve", "org", "user", "key", "community", "event",
                          "indicator", "search", "import", "export", "demo"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(cmds); i++)
        kz_expect_contains(r.out, cmds[i]);
    kz_run_free(&r);

    static const struct {
        const char *cmd[3];
        const char *mentions[8];
    } cases[] = {
        {{"init"}, {"--db", "--org", "--country", "--org-type", "--admin-email", "--node-name"}},
        {{"serve"},
         {"--listen", "--name", "--max-body", "--rate", "--burst", "--timeout", "--threads",
          "--no-access-log"}},
        {{"org", "add"}, {"--name", "--country", "--type", "--sector", "--contact"}},
        {{"org", "list"}, {"--json", "--db"}},
        {{"user", "add"}, {"--org", "--email", "--role", "--name", "--password-stdin"}},
        {{"user", "list"}, {"--org", "--json"}},
        {{"key", "create"}, {"--user", "--label", "--expires", "--replace"}},
        {{"key", "revoke"}, {"ID", "--db"}},
        {{"key", "list"}, {"--user"}},
        {{"community", "add"}, {"--name", "--description", "--member", "repeatable"}},
        {{"community", "list"}, {"--json"}},
        {{"event", "add"},
         {"--org", "--title", "--tlp", "--pap", "--distribution", "--tag", "--publish"}},
        {{"event", "list"}, {"--org", "--json", "--limit"}},
        {{"event", "show"}, {"ID"}},
        {{"event", "publish"}, {"ID"}},
        {{"indicator", "add"}, {"--event", "--type", "VALUE", "--comment", "--no-ids", "--tag"}},
        {{"search"}, {"--type", "--limit", "--json", "node operator", "CIDR"}},
        {{"import"}, {"--org", "FILE", "JSON Lines"}},
        {{"export"}, {"--event", "--out"}},
        {{"demo", "seed"}, {"--maltrail", "--db"}},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        const char *argv[5] = {0};
        size_t n = 0;
        for (; n < 3 && cases[i].cmd[n]; n++)
            argv[n] = cases[i].cmd[n];
        argv[n] = "--help";
        r = runv(NULL, argv);
        kz_run_expect(&r, 0);
        assert_string_equal(r.err, "");
        kz_expect_contains(r.out, "usage: kizuna");
        for (size_t k = 0; k < 8 && cases[i].mentions[k]; k++)
            kz_expect_contains(r.out, cases[i].mentions[k]);
        kz_run_free(&r);
    }
    /* Group help lists the subcommands. */
    r = RUN(NULL, "event", "--help");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "add");
    kz_expect_contains(r.out, "publish");
    kz_run_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    kz_run_out r = RUN(NULL, "frobnicate");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "kizuna: unknown command 'frobnicate'");
    kz_run_free(&r);

    r = RUN(NULL, "org", "frob");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "kizuna: unknown subcommand 'org frob'");
    kz_run_free(&r);

    r = RUN(NULL, "org", "add", "--bogus", "x");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "kizuna: unknown option '--bogus'");
    kz_run_free(&r);

    r = RUN(NULL, "org", "list", "-x");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "unknown option '-x'");
    kz_run_free(&r);

    r = RUN(NULL, "org", "add", "--name", "A", "--type", "ngo");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "kizuna: missing required option '--country'");
    kz_run_free(&r);

    r = RUN(NULL, "org", "add", "--name");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "option '--name' needs a value");
    kz_run_free(&r);

    r = RUN(NULL, "event", "show");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "missing argument");
    kz_run_free(&r);

    r = RUN(NULL, "event", "show", "a", "b");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "unexpected argument 'b'");
    kz_run_free(&r);

    r = RUN(NULL, "serve", "--rate", "fast");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "option '--rate': 'fast' is not a number");
    kz_run_free(&r);

    r = RUN(NULL, "org", "list", "--json=yes");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "option '--json' takes no value");
    kz_run_free(&r);

    r = RUN(NULL, "event", "show", "not-a-uuid", "--db", tpath("nodb.db"));
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "'not-a-uuid' is not an event id");
    kz_run_free(&r);

    r = RUN(NULL, NULL);
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "usage: kizuna COMMAND");
    kz_run_free(&r);
}

/* ---- init, serve refusal ------------------------------------------------- */

static void test_init(void **state)
{
    (void)state;
    char key[64];
    const char *db = fresh_db("init.db", key);
    assert_int_equal(strncmp(key, "kz_", 3), 0);
    assert_int_equal(strlen(key), 46);
    char secret[1100];
    snprintf(secret, sizeof secret, "%s.secret", db);
    assert_int_equal(access(secret, R_OK), 0);

    kz_run_out r = RUN(NULL, "init", "--db", db, "--org", "Other", "--country", "JP");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: ");
    kz_expect_contains(r.err, "already initialised");
    assert_null(strstr(r.out, "admin key:"));
    kz_run_free(&r);

    /* The first org and the admin user exist. */
    r = RUN(NULL, "org", "list", "--db", db, "--json");
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "name")),
                        "CERT-Test");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "country")),
                        "SG");
    json_decref(j);
    kz_run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db);
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "admin@localhost");
    kz_expect_contains(r.out, "admin ");
    kz_run_free(&r);

    /* A bad country: exit 1 naming it, and nothing is left half made... */
    const char *db2 = tpath("init2.db");
    r = RUN(NULL, "init", "--db", db2, "--org", "X", "--country", "XX");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: ");
    kz_expect_contains(r.err, "XX");
    kz_run_free(&r);
    /* ...so serve refuses it as not initialised, and init can be retried. */
    r = RUN(NULL, "serve", "--db", db2, "--listen", "127.0.0.1:0");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "not initialised");
    kz_expect_contains(r.err, "kizuna init");
    kz_run_free(&r);
    r = RUN(NULL, "init", "--db", db2, "--org", "X", "--country", "TH", "--admin-email",
            "ops@x.example", "--org-type", "government");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "admin key: kz_");
    kz_run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db2);
    kz_expect_contains(r.out, "ops@x.example");
    kz_run_free(&r);

    /* Data commands do not create a database by accident. */
    r = RUN(NULL, "org", "list", "--db", tpath("missing.db"));
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: no database at");
    kz_run_free(&r);
    assert_int_not_equal(access(tpath("missing.db"), F_OK), 0);
}

/* ---- orgs, users, keys, communities --------------------------------------- */

static void test_org_user_key_community(void **state)
{
    (void)state;
    const char *db = fresh_db("principals.db", NULL);
    char *jp = add_org(db, "JPCERT-T", "JP");
    char *kr = add_org(db, "KrCERT-T", "KR");

    kz_run_out r = RUN(NULL, "org", "add", "--db", db, "--name", "JPCERT-T", "--country", "JP",
                    "--type", "national_cert");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: an organisation named 'JPCERT-T' already exists");
    kz_run_free(&r);
    r = RUN(NULL, "org", "add", "--db", db, "--name", "Bad", "--country", "ZZ", "--type", "ngo");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "ZZ");
    kz_run_free(&r);
    r = RUN(NULL, "org", "add", "--db", db, "--name", "Bad", "--country", "JP", "--type",
            "pirate");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "pirate");
    kz_run_free(&r);

    r = RUN(NULL, "org", "list", "--db", db);
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "JPCERT-T");
    kz_expect_contains(r.out, "KrCERT-T");
    kz_expect_contains(r.out, jp);
    assert_int_equal(count_lines(r.out, NULL), 4); /* header + 3 */
    kz_run_free(&r);

    /* user add: by org name or id; password from stdin only. */
    r = RUN("correct horse battery\n", "user", "add", "--db", db, "--org", "JPCERT-T", "--email",
            "ana@jpcert.example", "--role", "publisher", "--name", "Ana", "--password-stdin");
    kz_run_expect(&r, 0);
    chomp_id(r.out);
    kz_run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", kr, "--email", "kim@krcert.example", "--role",
            "analyst");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN("short\n", "user", "add", "--db", db, "--org", kr, "--email", "lee@krcert.example",
            "--role", "analyst", "--password-stdin");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "password");
    kz_run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", "Nobody", "--email", "x@y.example", "--role",
            "analyst");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: no organisation 'Nobody'");
    kz_run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", kr, "--email", "kim@krcert.example",
            "--role", "analyst");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "already exists");
    kz_run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", kr, "--email", "z@krcert.example", "--role",
            "emperor");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "emperor");
    kz_run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db, "--org", "JPCERT-T", "--json");
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 1);
    json_t *u = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(u, "email")), "ana@jpcert.example");
    assert_true(json_is_true(json_object_get(u, "has_password")));
    assert_null(json_object_get(u, "password_hash"));
    json_decref(j);
    kz_run_free(&r);

    /* keys: create, list, replace by label, revoke. */
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ana@jpcert.example", "--label", "ci");
    kz_run_expect(&r, 0);
    char id1[64], key1[64];
    assert_true(line_value(r.out, "id: ", id1, sizeof id1));
    assert_true(line_value(r.out, "key: ", key1, sizeof key1));
    assert_int_equal(strncmp(key1, "kz_", 3), 0);
    kz_run_free(&r);
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ana@jpcert.example", "--label", "ci",
            "--replace");
    kz_run_expect(&r, 0);
    char id2[64], key2[64];
    assert_true(line_value(r.out, "id: ", id2, sizeof id2));
    assert_true(line_value(r.out, "key: ", key2, sizeof key2));
    assert_string_not_equal(key1, key2);
    kz_expect_contains(r.err, "revoked 1 earlier key labelled 'ci'");
    kz_run_free(&r);
    r = RUN(NULL, "key", "list", "--db", db, "--user", "ana@jpcert.example", "--json");
    kz_run_expect(&r, 0);
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    size_t active = 0;
    for (size_t i = 0; i < 2; i++) {
        json_t *k = json_array_get(j, i);
        assert_null(json_object_get(k, "key"));
        assert_null(json_object_get(k, "hash"));
        json_t *rev = json_object_get(k, "revoked");
        if (!rev || json_is_null(rev)) {
            active++;
            assert_string_equal(json_string_value(json_object_get(k, "id")), id2);
        }
    }
    assert_int_equal(active, 1);
    json_decref(j);
    assert_null(strstr(r.out, key2)); /* secrets are never listed */
    kz_run_free(&r);
    r = RUN(NULL, "key", "revoke", "--db", db, id2);
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN(NULL, "key", "revoke", "--db", db, id2);
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "already revoked");
    kz_run_free(&r);
    r = RUN(NULL, "key", "revoke", "--db", db, "00000000-0000-4000-8000-000000000000");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no key with id");
    kz_run_free(&r);
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ana@jpcert.example", "--expires",
            "2001-01-01T00:00:00Z");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "in the past");
    kz_run_free(&r);
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ghost@x.example");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no user with e-mail 'ghost@x.example'");
    kz_run_free(&r);

    /* communities */
    r = RUN(NULL, "community", "add", "--db", db, "--name", "North-East Asia", "--description",
            "JP and KR", "--member", "JPCERT-T", "--member", kr);
    kz_run_expect(&r, 0);
    chomp_id(r.out);
    kz_run_free(&r);
    r = RUN(NULL, "community", "add", "--db", db, "--name", "Lonely", "--member", "Nobody");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no organisation 'Nobody'");
    kz_run_free(&r);
    r = RUN(NULL, "community", "list", "--db", db, "--json");
    kz_run_expect(&r, 0);
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 1);
    json_t *c = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(c, "name")), "North-East Asia");
    json_t *m = json_object_get(c, "member_orgs");
    assert_int_equal(json_array_size(m), 2);
    bool has_jp = false, has_kr = false;
    for (size_t i = 0; i < 2; i++) {
        has_jp |= strcmp(json_string_value(json_array_get(m, i)), jp) == 0;
        has_kr |= strcmp(json_string_value(json_array_get(m, i)), kr) == 0;
    }
    assert_true(has_jp && has_kr);
    json_decref(j);
    kz_run_free(&r);
    r = RUN(NULL, "community", "list", "--db", db);
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "North-East Asia (2 members)");
    kz_expect_contains(r.out, "KrCERT-T");
    kz_run_free(&r);
    free(jp);
    free(kr);
}

/* ---- events, indicators, search ------------------------------------------ */

static size_t indicator_count(const char *db, const char *event)
{
    kz_run_out r = RUN(NULL, "event", "show", "--db", db, event);
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    size_t n = json_array_size(json_object_get(j, "indicators"));
    json_decref(j);
    kz_run_free(&r);
    return n;
}

static void test_event_indicator_search(void **state)
{
    (void)state;
    const char *db = fresh_db("events.db", NULL);
    char *ev = add_event(db, "CERT-Test", "Phishing wave", "green");

    kz_run_out r = RUN(NULL, "event", "list", "--db", db);
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "Phishing wave");
    kz_expect_contains(r.out, ev);
    kz_expect_contains(r.out, "green");
    kz_run_free(&r);

    r = RUN(NULL, "event", "add", "--db", db, "--org", "CERT-Test", "--title", "x", "--tlp",
            "purple");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "purple");
    kz_run_free(&r);
    r = RUN(NULL, "event", "add", "--db", db, "--org", "Nobody", "--title", "x");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no organisation 'Nobody'");
    kz_run_free(&r);

    /* Defanged input is normalised. */
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "url",
            "hxxp://Evil[.]Example/login", "--comment", "landing page");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "http://evil.example/login");
    kz_run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "cidr", "10.1.0.0/16");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "domain",
            "evil.example", "--no-ids");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    assert_int_equal(indicator_count(db, ev), 3);

    /* One bad value among good ones: nothing stored, each bad one named. */
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "ip-dst", "192.0.2.1",
            "300.1.2.3", "198.51.100.7", "1.2.3");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: value 2");
    kz_expect_contains(r.err, "300.1.2.3");
    kz_expect_contains(r.err, "kizuna: value 4");
    kz_expect_contains(r.err, "1.2.3");
    kz_expect_contains(r.err, "2 of 4 values are invalid; nothing stored");
    assert_null(strstr(r.err, "198.51.100.7"));
    kz_run_free(&r);
    assert_int_equal(indicator_count(db, ev), 3);

    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "wombat", "x");
    kz_run_expect(&r, 2);
    kz_expect_contains(r.err, "unknown indicator type 'wombat'");
    kz_run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", "00000000-0000-4000-8000-000000000000",
            "--type", "ipv4", "192.0.2.1");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no event with id");
    kz_run_free(&r);

    /* event show: native JSON with the indicators. */
    r = RUN(NULL, "event", "show", "--db", db, ev);
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "Phishing wave");
    assert_string_equal(json_string_value(json_object_get(j, "tlp")), "green");
    assert_true(json_is_true(json_object_get(j, "published")));
    json_t *inds = json_object_get(j, "indicators");
    bool saw_no_ids = false;
    for (size_t i = 0; i < json_array_size(inds); i++) {
        json_t *ind = json_array_get(inds, i);
        if (!strcmp(json_string_value(json_object_get(ind, "value")), "evil.example"))
            saw_no_ids = json_is_false(json_object_get(ind, "to_ids"));
    }
    assert_true(saw_no_ids);
    json_decref(j);
    kz_run_free(&r);

    /* search: an IP finds the CIDR containing it; a domain its URLs. */
    r = RUN(NULL, "search", "--db", db, "10.1.200.3", "--json");
    kz_run_expect(&r, 0);
    j = json_of(r.out);
    json_t *res = json_object_get(j, "results");
    assert_int_equal(json_array_size(res), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "value")),
                        "10.1.0.0/16");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(res, 0), "event"), "id")),
        ev);
    json_decref(j);
    kz_run_free(&r);
    r = RUN(NULL, "search", "--db", db, "10.2.0.1", "--json");
    kz_run_expect(&r, 0);
    j = json_of(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 0);
    json_decref(j);
    kz_run_free(&r);
    r = RUN(NULL, "search", "--db", db, "evil[.]example");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "http://evil.example/login");
    kz_expect_contains(r.out, "Phishing wave");
    kz_run_free(&r);

    /* publish */
    r = RUN(NULL, "event", "add", "--db", db, "--org", "CERT-Test", "--title", "Draft");
    kz_run_expect(&r, 0);
    char draft[64];
    snprintf(draft, sizeof draft, "%s", r.out);
    chomp_id(draft);
    kz_run_free(&r);
    r = RUN(NULL, "event", "publish", "--db", db, draft);
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN(NULL, "event", "publish", "--db", db, draft);
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "already published");
    kz_run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db, "--json", "--org", "CERT-Test");
    kz_run_expect(&r, 0);
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);
    kz_run_free(&r);
    free(ev);
}

/* ---- import / export ------------------------------------------------------ */

static size_t json_array_len_of(const char *db, const char *what);

/* Drops the fields that name the node's own principals, which differ
 * between two nodes by construction. */
static char *without_creator(const char *line)
{
    json_t *j = json_of(line);
    json_object_del(j, "creator_org");
    json_object_del(j, "creator_user");
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return s;
}

static void test_export_import_round_trip(void **state)
{
    (void)state;
    const char *db1 = fresh_db("rt1.db", NULL);
    char *e1 = add_event(db1, "CERT-Test", "Round trip one", "amber");
    char *e2 = add_event(db1, "CERT-Test", "Round trip two \xe6\xb5\xb7", "clear");
    kz_run_out r = RUN(NULL, "indicator", "add", "--db", db1, "--event", e1, "--type", "ipv4",
                    "192.0.2.10", "192.0.2.11", "--comment", "c2");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db1, "--event", e2, "--type", "sha256",
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    kz_run_expect(&r, 0);
    kz_run_free(&r);

    r = RUN(NULL, "export", "--db", db1, "--out", "a.jsonl");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    char *a = kz_test_slurp(tpath("a.jsonl"));
    assert_int_equal(count_lines(a, NULL), 5);
    assert_int_equal(count_lines(a, "\"event_id\""), 3);
    assert_null(strstr(a, "\"indicators\""));

    /* Into a fresh node, under its org. */
    const char *db2 = fresh_db("rt2.db", NULL);
    r = RUN(NULL, "import", "--db", db2, "--org", "CERT-Test", "a.jsonl");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "imported 2 events and 3 indicators");
    kz_run_free(&r);
    r = RUN(NULL, "export", "--db", db2);
    kz_run_expect(&r, 0);
    char *b = r.out;
    free(r.err);
    assert_int_equal(count_lines(b, NULL), 5);
    /* Identical line by line but for the creator, which is db2's org. */
    char *pa = a, *pb = b;
    for (int i = 0; i < 5; i++) {
        char *ea = strchr(pa, '\n'), *eb = strchr(pb, '\n');
        assert_non_null(ea);
        assert_non_null(eb);
        *ea = *eb = '\0';
        char *na = without_creator(pa), *nb = without_creator(pb);
        assert_string_equal(na, nb);
        free(na);
        free(nb);
        pa = ea + 1;
        pb = eb + 1;
    }

    /* Re-importing the same file: the event ids exist -> conflict, nothing stored. */
    r = RUN(NULL, "import", "--db", db2, "--org", "CERT-Test", "a.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "a.jsonl:1: id: ");
    kz_expect_contains(r.err, "already exists");
    kz_expect_contains(r.err, "nothing stored");
    kz_run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db2, "--json");
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);
    kz_run_free(&r);

    /* Without --org, the file's creator_org must exist on the node. */
    const char *db3 = fresh_db("rt3.db", NULL);
    r = RUN(NULL, "import", "--db", db3, "a.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "a.jsonl:1: creator_org: organisation '");
    kz_expect_contains(r.err, "is not on this node");
    kz_run_free(&r);
    /* Into the node it came from, with ids new to it: the creator is kept. */
    r = RUN(a, "import", "--db", db1, "-");
    kz_run_expect(&r, 1); /* same ids: conflict */
    kz_expect_contains(r.err, "<stdin>:1: id:");
    kz_run_free(&r);

    /* Only one event, via --event. */
    r = RUN(NULL, "export", "--db", db1, "--event", e2);
    kz_run_expect(&r, 0);
    assert_int_equal(count_lines(r.out, NULL), 2);
    kz_expect_contains(r.out, "Round trip two \xe6\xb5\xb7");
    kz_run_free(&r);
    r = RUN(NULL, "export", "--db", db1, "--event", "00000000-0000-4000-8000-000000000000",
            "--out", "none.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no event with id");
    assert_int_not_equal(access(tpath("none.jsonl"), F_OK), 0);
    assert_int_not_equal(access(tpath("none.jsonl.tmp"), F_OK), 0);
    kz_run_free(&r);
    free(a);
    free(b);
    free(e1);
    free(e2);
}

static void test_import_bad_lines(void **state)
{
    (void)state;
    const char *db = fresh_db("bad.db", NULL);
    kz_test_spit(tpath("bad.jsonl"),
         "{\"title\":\"Bad lines\",\"tlp\":\"green\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"}\n"
         "{\"type\":\"domain\",\"value\":\"ok.example\"}\n"
         "{\"type\":\"wombat\",\"value\":\"x\"}\n"
         "\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.9\"\n"
         "{\"type\":\"url\",\"value\":\"https://ok.example/a\"}\n");
    kz_run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "bad.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "bad.jsonl:3: value: ");
    kz_expect_contains(r.err, "300.1.2.3");
    kz_expect_contains(r.err, "bad.jsonl:5: type: ");
    kz_expect_contains(r.err, "wombat");
    kz_expect_contains(r.err, "bad.jsonl:7: ");
    kz_expect_contains(r.err, "malformed JSON");
    kz_expect_contains(r.err, "kizuna: import failed: 3 errors; nothing stored");
    assert_int_equal(count_lines(r.err, "bad.jsonl:"), 3);
    assert_string_equal(r.out, "");
    kz_run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db, "--json");
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    kz_run_free(&r);
    r = RUN(NULL, "search", "--db", db, "192.0.2.1", "--json");
    j = json_of(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 0);
    json_decref(j);
    kz_run_free(&r);

    /* An indicator line with no event before it. */
    kz_test_spit(tpath("orphan.jsonl"), "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "orphan.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "orphan.jsonl:1: indicator before any event line");
    kz_run_free(&r);

    /* Stops after 100 reported errors. */
    FILE *f = fopen(tpath("many.jsonl"), "w");
    fprintf(f, "{\"title\":\"Many\"}\n");
    for (int i = 0; i < 150; i++)
        fprintf(f, "{\"type\":\"ipv4\",\"value\":\"999.0.0.%d\"}\n", i);
    fclose(f);
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "many.jsonl");
    kz_run_expect(&r, 1);
    assert_int_equal(count_lines(r.err, "many.jsonl:"), 101); /* 100 + the stop notice */
    kz_expect_contains(r.err, "too many errors, stopping after 100");
    kz_run_free(&r);

    r = RUN(NULL, "import", "--db", db, "nope.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "kizuna: cannot open 'nope.jsonl'");
    kz_run_free(&r);
}

/* Across several batches of 10,000 (the pipeline, kz_store_indicators_add
 * after the first batch), and a bad line far into a big file. */
static void test_import_large(void **state)
{
    (void)state;
    const char *db = fresh_db("large.db", NULL);
    enum { N = 25000 };
    FILE *f = fopen(tpath("large.jsonl"), "w");
    assert_non_null(f);
    fprintf(f, "{\"title\":\"Large\",\"tlp\":\"green\"}\n");
    for (int i = 0; i < N; i++)
        fprintf(f, "{\"type\":\"ipv4\",\"value\":\"10.%d.%d.%d\"}\n", i >> 16, (i >> 8) & 255,
                i & 255);
    fprintf(f, "{\"title\":\"Second\"}\n{\"type\":\"domain\",\"value\":\"second.example\"}\n");
    fclose(f);
    /* The same with one bad value at line 20,002: nothing is stored. */
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "sed '20002s/.*/{\"type\":\"ipv4\",\"value\":\"10.0.0.256\"}/' '%s' > '%s'",
             tpath("large.jsonl"), tpath("large-bad.jsonl"));
    assert_int_equal(system(cmd), 0);
    kz_run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "large-bad.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "large-bad.jsonl:20002: value: '10.0.0.256'");
    kz_run_free(&r);
    assert_int_equal(json_array_len_of(db, "event"), 0);

    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "large.jsonl");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "imported 2 events and 25001 indicators");
    kz_run_free(&r);
    r = RUN(NULL, "export", "--db", db);
    kz_run_expect(&r, 0);
    assert_int_equal(count_lines(r.out, "\"event_id\""), N + 1);
    kz_expect_contains(r.out, "\"10.0.97.167\""); /* the last one: 24999 */
    kz_run_free(&r);
    r = RUN(NULL, "search", "--db", db, "10.0.40.1", "--json");
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 1);
    json_decref(j);
    kz_run_free(&r);
}

/* What only the node can judge, and what ties lines together. */
static void test_import_checks(void **state)
{
    (void)state;
    const char *db = fresh_db("checks.db", NULL);
    /* Two events with the same id in one file. */
    kz_test_spit(tpath("dup.jsonl"),
         "{\"id\":\"11111111-2222-4333-8444-555555555555\",\"title\":\"A\"}\n"
         "{\"id\":\"11111111-2222-4333-8444-555555555555\",\"title\":\"B\"}\n");
    kz_run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "dup.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "dup.jsonl:2: id: event '11111111-2222-4333-8444-555555555555' already exists");
    kz_run_free(&r);
    /* An indicator naming another event than the one before it. */
    kz_test_spit(tpath("mismatch.jsonl"),
         "{\"id\":\"11111111-2222-4333-8444-555555555555\",\"title\":\"A\"}\n"
         "{\"event_id\":\"99999999-2222-4333-8444-555555555555\",\"type\":\"ipv4\","
         "\"value\":\"192.0.2.1\"}\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "mismatch.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "mismatch.jsonl:2: event_id: '99999999-2222-4333-8444-555555555555' is not the "
                    "event of the preceding event line");
    kz_run_free(&r);
    /* No creator anywhere. */
    kz_test_spit(tpath("nocreator.jsonl"), "{\"title\":\"A\"}\n");
    r = RUN(NULL, "import", "--db", db, "nocreator.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "nocreator.jsonl:1: creator_org: missing (name the creator with --org ORG)");
    kz_run_free(&r);
    /* An indicator looser than its event, an unknown field, a bad event. */
    kz_test_spit(tpath("mixed.jsonl"),
         "{\"title\":\"A\",\"tlp\":\"red\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\",\"tlp\":\"green\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.2\",\"colour\":\"blue\"}\n"
         "{\"title\":\"\",\"tlp\":\"amber\"}\n"
         "[1,2]\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "mixed.jsonl");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "mixed.jsonl:2: tlp: ");
    kz_expect_contains(r.err, "looser");
    kz_expect_contains(r.err, "mixed.jsonl:3: ");
    kz_expect_contains(r.err, "colour");
    kz_expect_contains(r.err, "mixed.jsonl:4: title: ");
    kz_expect_contains(r.err, "mixed.jsonl:5: expected a JSON object");
    kz_expect_contains(r.err, "4 errors; nothing stored");
    kz_run_free(&r);
    assert_int_equal(json_array_len_of(db, "event"), 0);
    /* Keeps the file's creator when this node has it: export and re-import
     * a new event under a changed id. */
    kz_test_spit(tpath("keep.jsonl"), "{\"title\":\"K\"}\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "keep.jsonl");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    r = RUN(NULL, "export", "--db", db);
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    char org[64];
    snprintf(org, sizeof org, "%s", json_string_value(json_object_get(j, "creator_org")));
    json_object_del(j, "id");
    json_object_set_new(j, "title", json_string("K2"));
    char *line = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    kz_run_free(&r);
    r = RUN(line, "import", "--db", db, "-");
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    free(line);
    r = RUN(NULL, "event", "list", "--db", db, "--json");
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, i), "creator_org")),
                            org);
    json_decref(j);
    kz_run_free(&r);
}

static void test_import_documents(void **state)
{
    (void)state;
    const char *db = fresh_db("docs.db", NULL);
    /* A single pretty-printed event with inline indicators. */
    kz_test_spit(tpath("one.json"), "{\n"
                            "  \"id\": \"6f1c2a52-3d0e-4b8a-9a51-0c7e9f3b2d11\",\n"
                            "  \"title\": \"Single document\",\n"
                            "  \"tags\": [\"tlp:amber+strict\", \"apt\"],\n"
                            "  \"indicators\": [\n"
                            "    {\"type\": \"ip-dst\", \"value\": \"203.0.113.5\"},\n"
                            "    {\"type\": \"domain\", \"value\": \"bad[.]example\"}\n"
                            "  ]\n"
                            "}\n");
    kz_run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "one.json");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "imported 1 event and 2 indicators");
    kz_run_free(&r);
    r = RUN(NULL, "event", "show", "--db", db, "6f1c2a52-3d0e-4b8a-9a51-0c7e9f3b2d11");
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "tlp")), "amber+strict");
    json_t *inds = json_object_get(j, "indicators");
    assert_int_equal(json_array_size(inds), 2);
    bool saw = false;
    for (size_t i = 0; i < 2; i++)
        saw |= !strcmp(json_string_value(json_object_get(json_array_get(inds, i), "value")),
                       "bad.example");
    assert_true(saw);
    json_decref(j);
    kz_run_free(&r);

    /* {"events":[...]} from stdin; a bad inline indicator is named by path. */
    const char *doc = "{\"events\":[{\"title\":\"E1\",\"indicators\":[{\"type\":\"md5\","
                      "\"value\":\"d41d8cd98f00b204e9800998ecf8427e\"}]},\n"
                      "{\"title\":\"E2\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"1.1.1.1\"},"
                      "{\"type\":\"ipv4\",\"value\":\"1.1.1\"}]}]}\n";
    r = RUN(doc, "import", "--db", db, "--org", "CERT-Test", "-");
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "<stdin>: events[1].indicators[1].value: ");
    kz_run_free(&r);
    const char *good = "{\"events\":[{\"title\":\"E1\",\"indicators\":[{\"type\":\"md5\","
                       "\"value\":\"d41d8cd98f00b204e9800998ecf8427e\"}]},\n"
                       "{\"title\":\"E2\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"1.1.1.1\"}]}]}\n";
    r = RUN(good, "import", "--db", db, "--org", "CERT-Test", "-");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "imported 2 events and 2 indicators");
    kz_run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db, "--json");
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 3);
    json_decref(j);
    kz_run_free(&r);
}

/* ---- demo seed ------------------------------------------------------------ */

static size_t json_array_len_of(const char *db, const char *what)
{
    kz_run_out r = RUN(NULL, what, "list", "--db", db, "--json", "--limit", "100000");
    if (r.status == 2) { /* org / community list have no --limit */
        kz_run_free(&r);
        r = RUN(NULL, what, "list", "--db", db, "--json");
    }
    kz_run_expect(&r, 0);
    json_t *j = json_of(r.out);
    size_t n = json_array_size(j);
    json_decref(j);
    kz_run_free(&r);
    return n;
}

static void test_demo_seed(void **state)
{
    (void)state;
    const char *db = fresh_db("demo.db", NULL);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/mt/trails/static/malware", tmp);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/alpha_rat.txt", dir);
    kz_test_spit(path, "# Copyright (c) maltrail\n\n# Aliases: Alpha, AlphaRAT\n\n"
               "# Reference: https://example.org/alpha-report\n\n"
               "198.51.100.20:8080\nalpha-c2.example\nalpha-c2.example\n"
               "198.51.100.0/24\n203.0.113.9/bins/x.sh\n!!not an indicator!!\n");
    snprintf(path, sizeof path, "%s/beta.txt", dir);
    kz_test_spit(path, "# Reference: https://example.org/beta\nbeta.example\n192.0.2.77\n");
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    kz_test_spit(path, "# nothing here\n");
    snprintf(dir, sizeof dir, "%s/mt", tmp);

    kz_run_out r = RUN(NULL, "demo", "seed", "--db", db, "--maltrail", dir);
    kz_run_expect(&r, 0);
    /* alpha: ip:port, domain (its duplicate dropped), CIDR, URL; beta: 2 */
    kz_expect_contains(r.out, "2 events, 6 indicators");
    kz_expect_contains(r.out, "1 trail lines skipped");
    kz_expect_contains(r.out, "empty: no usable indicators, skipped");
    kz_run_free(&r);

    /* 16 demo orgs + the node's own. */
    assert_int_equal(json_array_len_of(db, "org"), 17);
    r = RUN(NULL, "org", "list", "--db", db);
    const char *names[] = {"BruCERT (demo)", "CamCERT (demo)", "Gov-CSIRT/BSSN (demo)",
                           "LaoCERT (demo)", "MyCERT (demo)", "mmCERT (demo)", "CERT-PH (demo)",
                           "SingCERT (demo)", "ThaiCERT (demo)", "VNCERT/CC (demo)",
                           "JPCERT/CC (demo)", "KrCERT/CC (demo)", "CISA (demo)", "ACSC (demo)",
                           "Mekong Threat Labs (demo)", "Open Net Watch (demo)"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(names); i++)
        kz_expect_contains(r.out, names[i]);
    kz_run_free(&r);
    r = RUN(NULL, "community", "list", "--db", db);
    kz_expect_contains(r.out, "ASEAN CERTs (10 members)");
    kz_expect_contains(r.out, "ASEAN\xe2\x80\x93Japan (11 members)");
    kz_expect_contains(r.out, "KR\xe2\x80\x93US\xe2\x80\x93JP trilateral (3 members)");
    kz_run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db);
    kz_expect_contains(r.out, "publisher@singcert.demo.example");
    kz_run_free(&r);

    r = RUN(NULL, "event", "list", "--db", db, "--json");
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    const char *alpha = NULL;
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(j, i);
        if (!strcmp(json_string_value(json_object_get(e, "title")),
                    "Alpha RAT infrastructure (maltrail)"))
            alpha = json_string_value(json_object_get(e, "id"));
    }
    assert_non_null(alpha);
    char alpha_id[64];
    snprintf(alpha_id, sizeof alpha_id, "%s", alpha);
    json_decref(j);
    kz_run_free(&r);
    r = RUN(NULL, "event", "show", "--db", db, alpha_id);
    j = json_of(r.out);
    const char *desc = json_string_value(json_object_get(j, "description"));
    assert_non_null(strstr(desc, "Aliases: Alpha, AlphaRAT"));
    assert_non_null(strstr(desc, "https://example.org/alpha-report"));
    /* ip:port, domain (once), cidr, url (scheme added) */
    json_t *inds = json_object_get(j, "indicators");
    assert_int_equal(json_array_size(inds), 4);
    json_decref(j);
    kz_expect_contains(r.out, "\"198.51.100.20:8080\"");
    kz_expect_contains(r.out, "\"http://203.0.113.9/bins/x.sh\"");
    kz_run_free(&r);
    r = RUN(NULL, "search", "--db", db, "198.51.100.99");
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "198.51.100.0/24");
    kz_expect_contains(r.out, "Alpha RAT infrastructure (maltrail)");
    kz_run_free(&r);

    /* Idempotent. */
    r = RUN(NULL, "demo", "seed", "--db", db, "--maltrail", dir);
    kz_run_expect(&r, 0);
    kz_expect_contains(r.out, "nothing to do");
    kz_run_free(&r);
    assert_int_equal(json_array_len_of(db, "org"), 17);
    assert_int_equal(json_array_len_of(db, "event"), 2);

    /* A directory without trails is an error, and nothing is stored. */
    const char *db2 = fresh_db("demo2.db", NULL);
    r = RUN(NULL, "demo", "seed", "--db", db2, "--maltrail", tpath("no-such-dir"));
    kz_run_expect(&r, 1);
    kz_expect_contains(r.err, "no maltrail trails under");
    kz_run_free(&r);
    assert_int_equal(json_array_len_of(db2, "org"), 1);
}

static void test_demo_seed_real(void **state)
{
    (void)state;
    char buf[1024];
    const char *tar = kz_test_data_path("maltrail-static.tar.xz", buf, sizeof buf);
    if (!tar) {
        skip();
        return;
    }
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/real' && tar -xJf '%s' -C '%s/real'", tmp, tar, tmp);
    assert_int_equal(system(cmd), 0);
    const char *db = fresh_db("real.db", NULL);
    kz_run_out r = RUN(NULL, "demo", "seed", "--db", db, "--maltrail", tpath("real"));
    kz_run_expect(&r, 0);
    kz_run_free(&r);
    assert_true(json_array_len_of(db, "event") > 8);
    r = RUN(NULL, "export", "--db", db);
    kz_run_expect(&r, 0);
    assert_true(count_lines(r.out, "\"event_id\"") > 1000);
    kz_run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf '%s/real'", tmp);
    assert_int_equal(system(cmd), 0);
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
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_org_user_key_community),
        cmocka_unit_test(test_event_indicator_search),
        cmocka_unit_test(test_export_import_round_trip),
        cmocka_unit_test(test_import_bad_lines),
        cmocka_unit_test(test_import_large),
        cmocka_unit_test(test_import_checks),
        cmocka_unit_test(test_import_documents),
        cmocka_unit_test(test_demo_seed),
        cmocka_unit_test(test_demo_seed_real),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kz_test_rmdir(tmp);
    free(tmp);
    return rc;
}
