/* test_cli.c — the `kizuna` command as an operator and scripts use it: the
 * real binary (KIZUNA_BIN) run with fork/exec in a temporary directory,
 * checking exit codes, the "kizuna: " messages on stderr, what lands in the
 * database, and the import/export round trip.
 */
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

typedef struct run_out {
    int status; /* exit code, or 128 + signal */
    char *out, *err;
} run_out;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    size_t got = fread(p, 1, (size_t)n, f);
    p[got] = '\0';
    fclose(f);
    return p;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *tpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/%s", tmp, name);
    return p;
}

/* Runs kizuna with argv (NULL-terminated), stdin from `input` (or empty). */
static run_out runv(const char *input, const char *const *argv)
{
    char in[1024], out[1024], err[1024];
    snprintf(in, sizeof in, "%s/.stdin", tmp);
    snprintf(out, sizeof out, "%s/.stdout", tmp);
    snprintf(err, sizeof err, "%s/.stderr", tmp);
    spit(in, input ? input : "");
    const char *args[64];
    size_t n = 0;
    args[n++] = bin;
    for (; argv[n - 1] && n < 63; n++)
        args[n] = argv[n - 1];
    args[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fi < 0 || fo < 0 || fe < 0 || chdir(tmp) != 0)
            _exit(127);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    run_out r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), slurp(out), slurp(err)};
    return r;
}

#define RUN(input, ...) runv(input, (const char *const[]){__VA_ARGS__, NULL})

static void run_free(run_out *r)
{
    free(r->out);
    free(r->err);
}

/* Asserts the exit code, showing the output when it is not the expected. */
static void expect(const run_out *r, int status)
{
    if (r->status != status)
        fprintf(stderr, "exit %d (expected %d)\nstdout: %s\nstderr: %s\n", r->status, status,
                r->out, r->err);
    assert_int_equal(r->status, status);
}

static void contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fprintf(stderr, "expected to find '%s' in:\n%s\n", needle, hay);
    assert_non_null(strstr(hay, needle));
}

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
    run_out r = RUN(NULL, "init", "--db", db, "--org", "CERT-Test", "--country", "sg",
                    "--node-name", "test node");
    expect(&r, 0);
    char k[128];
    assert_true(line_value(r.out, "admin key: ", k, sizeof k));
    if (key) {
        assert_true(strlen(k) < 64);
        memcpy(key, k, strlen(k) + 1);
    }
    run_free(&r);
    return db;
}

static void chomp_id(char *s)
{
    s[strcspn(s, "\n")] = '\0';
    assert_int_equal(strlen(s), 36);
}

static char *add_org(const char *db, const char *name, const char *cc)
{
    run_out r = RUN(NULL, "org", "add", "--db", db, "--name", name, "--country", cc, "--type",
                    "national_cert");
    expect(&r, 0);
    chomp_id(r.out);
    free(r.err);
    return r.out;
}

static char *add_event(const char *db, const char *org, const char *title, const char *tlp)
{
    run_out r = RUN(NULL, "event", "add", "--db", db, "--org", org, "--title", title, "--tlp", tlp,
                    "--tag", "phishing", "--publish");
    expect(&r, 0);
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
    run_out r = RUN(NULL, "--help");
    expect(&r, 0);
    const char *cmds[] = {"init", "serve", "org", "user", "key", "community", "event",
                          "indicator", "search", "import", "export", "demo"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(cmds); i++)
        contains(r.out, cmds[i]);
    run_free(&r);

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
        expect(&r, 0);
        assert_string_equal(r.err, "");
        contains(r.out, "usage: kizuna");
        for (size_t k = 0; k < 8 && cases[i].mentions[k]; k++)
            contains(r.out, cases[i].mentions[k]);
        run_free(&r);
    }
    /* Group help lists the subcommands. */
    r = RUN(NULL, "event", "--help");
    expect(&r, 0);
    contains(r.out, "add");
    contains(r.out, "publish");
    run_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    run_out r = RUN(NULL, "frobnicate");
    expect(&r, 2);
    contains(r.err, "kizuna: unknown command 'frobnicate'");
    run_free(&r);

    r = RUN(NULL, "org", "frob");
    expect(&r, 2);
    contains(r.err, "kizuna: unknown subcommand 'org frob'");
    run_free(&r);

    r = RUN(NULL, "org", "add", "--bogus", "x");
    expect(&r, 2);
    contains(r.err, "kizuna: unknown option '--bogus'");
    run_free(&r);

    r = RUN(NULL, "org", "list", "-x");
    expect(&r, 2);
    contains(r.err, "unknown option '-x'");
    run_free(&r);

    r = RUN(NULL, "org", "add", "--name", "A", "--type", "ngo");
    expect(&r, 2);
    contains(r.err, "kizuna: missing required option '--country'");
    run_free(&r);

    r = RUN(NULL, "org", "add", "--name");
    expect(&r, 2);
    contains(r.err, "option '--name' needs a value");
    run_free(&r);

    r = RUN(NULL, "event", "show");
    expect(&r, 2);
    contains(r.err, "missing argument");
    run_free(&r);

    r = RUN(NULL, "event", "show", "a", "b");
    expect(&r, 2);
    contains(r.err, "unexpected argument 'b'");
    run_free(&r);

    r = RUN(NULL, "serve", "--rate", "fast");
    expect(&r, 2);
    contains(r.err, "option '--rate': 'fast' is not a number");
    run_free(&r);

    r = RUN(NULL, "org", "list", "--json=yes");
    expect(&r, 2);
    contains(r.err, "option '--json' takes no value");
    run_free(&r);

    r = RUN(NULL, "event", "show", "not-a-uuid", "--db", tpath("nodb.db"));
    expect(&r, 2);
    contains(r.err, "'not-a-uuid' is not an event id");
    run_free(&r);

    r = RUN(NULL, NULL);
    expect(&r, 2);
    contains(r.err, "usage: kizuna COMMAND");
    run_free(&r);
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

    run_out r = RUN(NULL, "init", "--db", db, "--org", "Other", "--country", "JP");
    expect(&r, 1);
    contains(r.err, "kizuna: ");
    contains(r.err, "already initialised");
    assert_null(strstr(r.out, "admin key:"));
    run_free(&r);

    /* The first org and the admin user exist. */
    r = RUN(NULL, "org", "list", "--db", db, "--json");
    expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "name")),
                        "CERT-Test");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "country")),
                        "SG");
    json_decref(j);
    run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db);
    expect(&r, 0);
    contains(r.out, "admin@localhost");
    contains(r.out, "admin ");
    run_free(&r);

    /* A bad country: exit 1 naming it, and nothing is left half made... */
    const char *db2 = tpath("init2.db");
    r = RUN(NULL, "init", "--db", db2, "--org", "X", "--country", "XX");
    expect(&r, 1);
    contains(r.err, "kizuna: ");
    contains(r.err, "XX");
    run_free(&r);
    /* ...so serve refuses it as not initialised, and init can be retried. */
    r = RUN(NULL, "serve", "--db", db2, "--listen", "127.0.0.1:0");
    expect(&r, 1);
    contains(r.err, "not initialised");
    contains(r.err, "kizuna init");
    run_free(&r);
    r = RUN(NULL, "init", "--db", db2, "--org", "X", "--country", "TH", "--admin-email",
            "ops@x.example", "--org-type", "government");
    expect(&r, 0);
    contains(r.out, "admin key: kz_");
    run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db2);
    contains(r.out, "ops@x.example");
    run_free(&r);

    /* Data commands do not create a database by accident. */
    r = RUN(NULL, "org", "list", "--db", tpath("missing.db"));
    expect(&r, 1);
    contains(r.err, "kizuna: no database at");
    run_free(&r);
    assert_int_not_equal(access(tpath("missing.db"), F_OK), 0);
}

/* ---- orgs, users, keys, communities --------------------------------------- */

static void test_org_user_key_community(void **state)
{
    (void)state;
    const char *db = fresh_db("principals.db", NULL);
    char *jp = add_org(db, "JPCERT-T", "JP");
    char *kr = add_org(db, "KrCERT-T", "KR");

    run_out r = RUN(NULL, "org", "add", "--db", db, "--name", "JPCERT-T", "--country", "JP",
                    "--type", "national_cert");
    expect(&r, 1);
    contains(r.err, "kizuna: an organisation named 'JPCERT-T' already exists");
    run_free(&r);
    r = RUN(NULL, "org", "add", "--db", db, "--name", "Bad", "--country", "ZZ", "--type", "ngo");
    expect(&r, 1);
    contains(r.err, "ZZ");
    run_free(&r);
    r = RUN(NULL, "org", "add", "--db", db, "--name", "Bad", "--country", "JP", "--type",
            "pirate");
    expect(&r, 1);
    contains(r.err, "pirate");
    run_free(&r);

    r = RUN(NULL, "org", "list", "--db", db);
    expect(&r, 0);
    contains(r.out, "JPCERT-T");
    contains(r.out, "KrCERT-T");
    contains(r.out, jp);
    assert_int_equal(count_lines(r.out, NULL), 4); /* header + 3 */
    run_free(&r);

    /* user add: by org name or id; password from stdin only. */
    r = RUN("correct horse battery\n", "user", "add", "--db", db, "--org", "JPCERT-T", "--email",
            "ana@jpcert.example", "--role", "publisher", "--name", "Ana", "--password-stdin");
    expect(&r, 0);
    chomp_id(r.out);
    run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", kr, "--email", "kim@krcert.example", "--role",
            "analyst");
    expect(&r, 0);
    run_free(&r);
    r = RUN("short\n", "user", "add", "--db", db, "--org", kr, "--email", "lee@krcert.example",
            "--role", "analyst", "--password-stdin");
    expect(&r, 1);
    contains(r.err, "password");
    run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", "Nobody", "--email", "x@y.example", "--role",
            "analyst");
    expect(&r, 1);
    contains(r.err, "kizuna: no organisation 'Nobody'");
    run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", kr, "--email", "kim@krcert.example",
            "--role", "analyst");
    expect(&r, 1);
    contains(r.err, "already exists");
    run_free(&r);
    r = RUN(NULL, "user", "add", "--db", db, "--org", kr, "--email", "z@krcert.example", "--role",
            "emperor");
    expect(&r, 1);
    contains(r.err, "emperor");
    run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db, "--org", "JPCERT-T", "--json");
    expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 1);
    json_t *u = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(u, "email")), "ana@jpcert.example");
    assert_true(json_is_true(json_object_get(u, "has_password")));
    assert_null(json_object_get(u, "password_hash"));
    json_decref(j);
    run_free(&r);

    /* keys: create, list, replace by label, revoke. */
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ana@jpcert.example", "--label", "ci");
    expect(&r, 0);
    char id1[64], key1[64];
    assert_true(line_value(r.out, "id: ", id1, sizeof id1));
    assert_true(line_value(r.out, "key: ", key1, sizeof key1));
    assert_int_equal(strncmp(key1, "kz_", 3), 0);
    run_free(&r);
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ana@jpcert.example", "--label", "ci",
            "--replace");
    expect(&r, 0);
    char id2[64], key2[64];
    assert_true(line_value(r.out, "id: ", id2, sizeof id2));
    assert_true(line_value(r.out, "key: ", key2, sizeof key2));
    assert_string_not_equal(key1, key2);
    contains(r.err, "revoked 1 earlier key labelled 'ci'");
    run_free(&r);
    r = RUN(NULL, "key", "list", "--db", db, "--user", "ana@jpcert.example", "--json");
    expect(&r, 0);
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
    run_free(&r);
    r = RUN(NULL, "key", "revoke", "--db", db, id2);
    expect(&r, 0);
    run_free(&r);
    r = RUN(NULL, "key", "revoke", "--db", db, id2);
    expect(&r, 1);
    contains(r.err, "already revoked");
    run_free(&r);
    r = RUN(NULL, "key", "revoke", "--db", db, "00000000-0000-4000-8000-000000000000");
    expect(&r, 1);
    contains(r.err, "no key with id");
    run_free(&r);
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ana@jpcert.example", "--expires",
            "2001-01-01T00:00:00Z");
    expect(&r, 2);
    contains(r.err, "in the past");
    run_free(&r);
    r = RUN(NULL, "key", "create", "--db", db, "--user", "ghost@x.example");
    expect(&r, 1);
    contains(r.err, "no user with e-mail 'ghost@x.example'");
    run_free(&r);

    /* communities */
    r = RUN(NULL, "community", "add", "--db", db, "--name", "North-East Asia", "--description",
            "JP and KR", "--member", "JPCERT-T", "--member", kr);
    expect(&r, 0);
    chomp_id(r.out);
    run_free(&r);
    r = RUN(NULL, "community", "add", "--db", db, "--name", "Lonely", "--member", "Nobody");
    expect(&r, 1);
    contains(r.err, "no organisation 'Nobody'");
    run_free(&r);
    r = RUN(NULL, "community", "list", "--db", db, "--json");
    expect(&r, 0);
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
    run_free(&r);
    r = RUN(NULL, "community", "list", "--db", db);
    expect(&r, 0);
    contains(r.out, "North-East Asia (2 members)");
    contains(r.out, "KrCERT-T");
    run_free(&r);
    free(jp);
    free(kr);
}

/* ---- events, indicators, search ------------------------------------------ */

static size_t indicator_count(const char *db, const char *event)
{
    run_out r = RUN(NULL, "event", "show", "--db", db, event);
    expect(&r, 0);
    json_t *j = json_of(r.out);
    size_t n = json_array_size(json_object_get(j, "indicators"));
    json_decref(j);
    run_free(&r);
    return n;
}

static void test_event_indicator_search(void **state)
{
    (void)state;
    const char *db = fresh_db("events.db", NULL);
    char *ev = add_event(db, "CERT-Test", "Phishing wave", "green");

    run_out r = RUN(NULL, "event", "list", "--db", db);
    expect(&r, 0);
    contains(r.out, "Phishing wave");
    contains(r.out, ev);
    contains(r.out, "green");
    run_free(&r);

    r = RUN(NULL, "event", "add", "--db", db, "--org", "CERT-Test", "--title", "x", "--tlp",
            "purple");
    expect(&r, 1);
    contains(r.err, "purple");
    run_free(&r);
    r = RUN(NULL, "event", "add", "--db", db, "--org", "Nobody", "--title", "x");
    expect(&r, 1);
    contains(r.err, "no organisation 'Nobody'");
    run_free(&r);

    /* Defanged input is normalised. */
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "url",
            "hxxp://Evil[.]Example/login", "--comment", "landing page");
    expect(&r, 0);
    contains(r.out, "http://evil.example/login");
    run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "cidr", "10.1.0.0/16");
    expect(&r, 0);
    run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "domain",
            "evil.example", "--no-ids");
    expect(&r, 0);
    run_free(&r);
    assert_int_equal(indicator_count(db, ev), 3);

    /* One bad value among good ones: nothing stored, each bad one named. */
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "ip-dst", "192.0.2.1",
            "300.1.2.3", "198.51.100.7", "1.2.3");
    expect(&r, 1);
    contains(r.err, "kizuna: value 2");
    contains(r.err, "300.1.2.3");
    contains(r.err, "kizuna: value 4");
    contains(r.err, "1.2.3");
    contains(r.err, "2 of 4 values are invalid; nothing stored");
    assert_null(strstr(r.err, "198.51.100.7"));
    run_free(&r);
    assert_int_equal(indicator_count(db, ev), 3);

    r = RUN(NULL, "indicator", "add", "--db", db, "--event", ev, "--type", "wombat", "x");
    expect(&r, 2);
    contains(r.err, "unknown indicator type 'wombat'");
    run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db, "--event", "00000000-0000-4000-8000-000000000000",
            "--type", "ipv4", "192.0.2.1");
    expect(&r, 1);
    contains(r.err, "no event with id");
    run_free(&r);

    /* event show: native JSON with the indicators. */
    r = RUN(NULL, "event", "show", "--db", db, ev);
    expect(&r, 0);
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
    run_free(&r);

    /* search: an IP finds the CIDR containing it; a domain its URLs. */
    r = RUN(NULL, "search", "--db", db, "10.1.200.3", "--json");
    expect(&r, 0);
    j = json_of(r.out);
    json_t *res = json_object_get(j, "results");
    assert_int_equal(json_array_size(res), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "value")),
                        "10.1.0.0/16");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(res, 0), "event"), "id")),
        ev);
    json_decref(j);
    run_free(&r);
    r = RUN(NULL, "search", "--db", db, "10.2.0.1", "--json");
    expect(&r, 0);
    j = json_of(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 0);
    json_decref(j);
    run_free(&r);
    r = RUN(NULL, "search", "--db", db, "evil[.]example");
    expect(&r, 0);
    contains(r.out, "http://evil.example/login");
    contains(r.out, "Phishing wave");
    run_free(&r);

    /* publish */
    r = RUN(NULL, "event", "add", "--db", db, "--org", "CERT-Test", "--title", "Draft");
    expect(&r, 0);
    char draft[64];
    snprintf(draft, sizeof draft, "%s", r.out);
    chomp_id(draft);
    run_free(&r);
    r = RUN(NULL, "event", "publish", "--db", db, draft);
    expect(&r, 0);
    run_free(&r);
    r = RUN(NULL, "event", "publish", "--db", db, draft);
    expect(&r, 1);
    contains(r.err, "already published");
    run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db, "--json", "--org", "CERT-Test");
    expect(&r, 0);
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);
    run_free(&r);
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
    run_out r = RUN(NULL, "indicator", "add", "--db", db1, "--event", e1, "--type", "ipv4",
                    "192.0.2.10", "192.0.2.11", "--comment", "c2");
    expect(&r, 0);
    run_free(&r);
    r = RUN(NULL, "indicator", "add", "--db", db1, "--event", e2, "--type", "sha256",
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    expect(&r, 0);
    run_free(&r);

    r = RUN(NULL, "export", "--db", db1, "--out", "a.jsonl");
    expect(&r, 0);
    run_free(&r);
    char *a = slurp(tpath("a.jsonl"));
    assert_int_equal(count_lines(a, NULL), 5);
    assert_int_equal(count_lines(a, "\"event_id\""), 3);
    assert_null(strstr(a, "\"indicators\""));

    /* Into a fresh node, under its org. */
    const char *db2 = fresh_db("rt2.db", NULL);
    r = RUN(NULL, "import", "--db", db2, "--org", "CERT-Test", "a.jsonl");
    expect(&r, 0);
    contains(r.out, "imported 2 events and 3 indicators");
    run_free(&r);
    r = RUN(NULL, "export", "--db", db2);
    expect(&r, 0);
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
    expect(&r, 1);
    contains(r.err, "a.jsonl:1: id: ");
    contains(r.err, "already exists");
    contains(r.err, "nothing stored");
    run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db2, "--json");
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);
    run_free(&r);

    /* Without --org, the file's creator_org must exist on the node. */
    const char *db3 = fresh_db("rt3.db", NULL);
    r = RUN(NULL, "import", "--db", db3, "a.jsonl");
    expect(&r, 1);
    contains(r.err, "a.jsonl:1: creator_org: organisation '");
    contains(r.err, "is not on this node");
    run_free(&r);
    /* Into the node it came from, with ids new to it: the creator is kept. */
    r = RUN(a, "import", "--db", db1, "-");
    expect(&r, 1); /* same ids: conflict */
    contains(r.err, "<stdin>:1: id:");
    run_free(&r);

    /* Only one event, via --event. */
    r = RUN(NULL, "export", "--db", db1, "--event", e2);
    expect(&r, 0);
    assert_int_equal(count_lines(r.out, NULL), 2);
    contains(r.out, "Round trip two \xe6\xb5\xb7");
    run_free(&r);
    r = RUN(NULL, "export", "--db", db1, "--event", "00000000-0000-4000-8000-000000000000",
            "--out", "none.jsonl");
    expect(&r, 1);
    contains(r.err, "no event with id");
    assert_int_not_equal(access(tpath("none.jsonl"), F_OK), 0);
    assert_int_not_equal(access(tpath("none.jsonl.tmp"), F_OK), 0);
    run_free(&r);
    free(a);
    free(b);
    free(e1);
    free(e2);
}

static void test_import_bad_lines(void **state)
{
    (void)state;
    const char *db = fresh_db("bad.db", NULL);
    spit(tpath("bad.jsonl"),
         "{\"title\":\"Bad lines\",\"tlp\":\"green\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"}\n"
         "{\"type\":\"domain\",\"value\":\"ok.example\"}\n"
         "{\"type\":\"wombat\",\"value\":\"x\"}\n"
         "\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.9\"\n"
         "{\"type\":\"url\",\"value\":\"https://ok.example/a\"}\n");
    run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "bad.jsonl");
    expect(&r, 1);
    contains(r.err, "bad.jsonl:3: value: ");
    contains(r.err, "300.1.2.3");
    contains(r.err, "bad.jsonl:5: type: ");
    contains(r.err, "wombat");
    contains(r.err, "bad.jsonl:7: ");
    contains(r.err, "malformed JSON");
    contains(r.err, "kizuna: import failed: 3 errors; nothing stored");
    assert_int_equal(count_lines(r.err, "bad.jsonl:"), 3);
    assert_string_equal(r.out, "");
    run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db, "--json");
    expect(&r, 0);
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    run_free(&r);
    r = RUN(NULL, "search", "--db", db, "192.0.2.1", "--json");
    j = json_of(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 0);
    json_decref(j);
    run_free(&r);

    /* An indicator line with no event before it. */
    spit(tpath("orphan.jsonl"), "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "orphan.jsonl");
    expect(&r, 1);
    contains(r.err, "orphan.jsonl:1: indicator before any event line");
    run_free(&r);

    /* Stops after 100 reported errors. */
    FILE *f = fopen(tpath("many.jsonl"), "w");
    fprintf(f, "{\"title\":\"Many\"}\n");
    for (int i = 0; i < 150; i++)
        fprintf(f, "{\"type\":\"ipv4\",\"value\":\"999.0.0.%d\"}\n", i);
    fclose(f);
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "many.jsonl");
    expect(&r, 1);
    assert_int_equal(count_lines(r.err, "many.jsonl:"), 101); /* 100 + the stop notice */
    contains(r.err, "too many errors, stopping after 100");
    run_free(&r);

    r = RUN(NULL, "import", "--db", db, "nope.jsonl");
    expect(&r, 1);
    contains(r.err, "kizuna: cannot open 'nope.jsonl'");
    run_free(&r);
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
    run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "large-bad.jsonl");
    expect(&r, 1);
    contains(r.err, "large-bad.jsonl:20002: value: '10.0.0.256'");
    run_free(&r);
    assert_int_equal(json_array_len_of(db, "event"), 0);

    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "large.jsonl");
    expect(&r, 0);
    contains(r.out, "imported 2 events and 25001 indicators");
    run_free(&r);
    r = RUN(NULL, "export", "--db", db);
    expect(&r, 0);
    assert_int_equal(count_lines(r.out, "\"event_id\""), N + 1);
    contains(r.out, "\"10.0.97.167\""); /* the last one: 24999 */
    run_free(&r);
    r = RUN(NULL, "search", "--db", db, "10.0.40.1", "--json");
    json_t *j = json_of(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 1);
    json_decref(j);
    run_free(&r);
}

/* What only the node can judge, and what ties lines together. */
static void test_import_checks(void **state)
{
    (void)state;
    const char *db = fresh_db("checks.db", NULL);
    /* Two events with the same id in one file. */
    spit(tpath("dup.jsonl"),
         "{\"id\":\"11111111-2222-4333-8444-555555555555\",\"title\":\"A\"}\n"
         "{\"id\":\"11111111-2222-4333-8444-555555555555\",\"title\":\"B\"}\n");
    run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "dup.jsonl");
    expect(&r, 1);
    contains(r.err, "dup.jsonl:2: id: event '11111111-2222-4333-8444-555555555555' already exists");
    run_free(&r);
    /* An indicator naming another event than the one before it. */
    spit(tpath("mismatch.jsonl"),
         "{\"id\":\"11111111-2222-4333-8444-555555555555\",\"title\":\"A\"}\n"
         "{\"event_id\":\"99999999-2222-4333-8444-555555555555\",\"type\":\"ipv4\","
         "\"value\":\"192.0.2.1\"}\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "mismatch.jsonl");
    expect(&r, 1);
    contains(r.err, "mismatch.jsonl:2: event_id: '99999999-2222-4333-8444-555555555555' is not the "
                    "event of the preceding event line");
    run_free(&r);
    /* No creator anywhere. */
    spit(tpath("nocreator.jsonl"), "{\"title\":\"A\"}\n");
    r = RUN(NULL, "import", "--db", db, "nocreator.jsonl");
    expect(&r, 1);
    contains(r.err, "nocreator.jsonl:1: creator_org: missing (name the creator with --org ORG)");
    run_free(&r);
    /* An indicator looser than its event, an unknown field, a bad event. */
    spit(tpath("mixed.jsonl"),
         "{\"title\":\"A\",\"tlp\":\"red\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\",\"tlp\":\"green\"}\n"
         "{\"type\":\"ipv4\",\"value\":\"192.0.2.2\",\"colour\":\"blue\"}\n"
         "{\"title\":\"\",\"tlp\":\"amber\"}\n"
         "[1,2]\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "mixed.jsonl");
    expect(&r, 1);
    contains(r.err, "mixed.jsonl:2: tlp: ");
    contains(r.err, "looser");
    contains(r.err, "mixed.jsonl:3: ");
    contains(r.err, "colour");
    contains(r.err, "mixed.jsonl:4: title: ");
    contains(r.err, "mixed.jsonl:5: expected a JSON object");
    contains(r.err, "4 errors; nothing stored");
    run_free(&r);
    assert_int_equal(json_array_len_of(db, "event"), 0);
    /* Keeps the file's creator when this node has it: export and re-import
     * a new event under a changed id. */
    spit(tpath("keep.jsonl"), "{\"title\":\"K\"}\n");
    r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "keep.jsonl");
    expect(&r, 0);
    run_free(&r);
    r = RUN(NULL, "export", "--db", db);
    expect(&r, 0);
    json_t *j = json_of(r.out);
    char org[64];
    snprintf(org, sizeof org, "%s", json_string_value(json_object_get(j, "creator_org")));
    json_object_del(j, "id");
    json_object_set_new(j, "title", json_string("K2"));
    char *line = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    run_free(&r);
    r = RUN(line, "import", "--db", db, "-");
    expect(&r, 0);
    run_free(&r);
    free(line);
    r = RUN(NULL, "event", "list", "--db", db, "--json");
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, i), "creator_org")),
                            org);
    json_decref(j);
    run_free(&r);
}

static void test_import_documents(void **state)
{
    (void)state;
    const char *db = fresh_db("docs.db", NULL);
    /* A single pretty-printed event with inline indicators. */
    spit(tpath("one.json"), "{\n"
                            "  \"id\": \"6f1c2a52-3d0e-4b8a-9a51-0c7e9f3b2d11\",\n"
                            "  \"title\": \"Single document\",\n"
                            "  \"tags\": [\"tlp:amber+strict\", \"apt\"],\n"
                            "  \"indicators\": [\n"
                            "    {\"type\": \"ip-dst\", \"value\": \"203.0.113.5\"},\n"
                            "    {\"type\": \"domain\", \"value\": \"bad[.]example\"}\n"
                            "  ]\n"
                            "}\n");
    run_out r = RUN(NULL, "import", "--db", db, "--org", "CERT-Test", "one.json");
    expect(&r, 0);
    contains(r.out, "imported 1 event and 2 indicators");
    run_free(&r);
    r = RUN(NULL, "event", "show", "--db", db, "6f1c2a52-3d0e-4b8a-9a51-0c7e9f3b2d11");
    expect(&r, 0);
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
    run_free(&r);

    /* {"events":[...]} from stdin; a bad inline indicator is named by path. */
    const char *doc = "{\"events\":[{\"title\":\"E1\",\"indicators\":[{\"type\":\"md5\","
                      "\"value\":\"d41d8cd98f00b204e9800998ecf8427e\"}]},\n"
                      "{\"title\":\"E2\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"1.1.1.1\"},"
                      "{\"type\":\"ipv4\",\"value\":\"1.1.1\"}]}]}\n";
    r = RUN(doc, "import", "--db", db, "--org", "CERT-Test", "-");
    expect(&r, 1);
    contains(r.err, "<stdin>: events[1].indicators[1].value: ");
    run_free(&r);
    const char *good = "{\"events\":[{\"title\":\"E1\",\"indicators\":[{\"type\":\"md5\","
                       "\"value\":\"d41d8cd98f00b204e9800998ecf8427e\"}]},\n"
                       "{\"title\":\"E2\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"1.1.1.1\"}]}]}\n";
    r = RUN(good, "import", "--db", db, "--org", "CERT-Test", "-");
    expect(&r, 0);
    contains(r.out, "imported 2 events and 2 indicators");
    run_free(&r);
    r = RUN(NULL, "event", "list", "--db", db, "--json");
    j = json_of(r.out);
    assert_int_equal(json_array_size(j), 3);
    json_decref(j);
    run_free(&r);
}

/* ---- demo seed ------------------------------------------------------------ */

static size_t json_array_len_of(const char *db, const char *what)
{
    run_out r = RUN(NULL, what, "list", "--db", db, "--json", "--limit", "100000");
    if (r.status == 2) { /* org / community list have no --limit */
        run_free(&r);
        r = RUN(NULL, what, "list", "--db", db, "--json");
    }
    expect(&r, 0);
    json_t *j = json_of(r.out);
    size_t n = json_array_size(j);
    json_decref(j);
    run_free(&r);
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
    spit(path, "# Copyright (c) maltrail\n\n# Aliases: Alpha, AlphaRAT\n\n"
               "# Reference: https://example.org/alpha-report\n\n"
               "198.51.100.20:8080\nalpha-c2.example\nalpha-c2.example\n"
               "198.51.100.0/24\n203.0.113.9/bins/x.sh\n!!not an indicator!!\n");
    snprintf(path, sizeof path, "%s/beta.txt", dir);
    spit(path, "# Reference: https://example.org/beta\nbeta.example\n192.0.2.77\n");
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    spit(path, "# nothing here\n");
    snprintf(dir, sizeof dir, "%s/mt", tmp);

    run_out r = RUN(NULL, "demo", "seed", "--db", db, "--maltrail", dir);
    expect(&r, 0);
    /* alpha: ip:port, domain (its duplicate dropped), CIDR, URL; beta: 2 */
    contains(r.out, "2 events, 6 indicators");
    contains(r.out, "1 trail lines skipped");
    contains(r.out, "empty: no usable indicators, skipped");
    run_free(&r);

    /* 16 demo orgs + the node's own. */
    assert_int_equal(json_array_len_of(db, "org"), 17);
    r = RUN(NULL, "org", "list", "--db", db);
    const char *names[] = {"BruCERT (demo)", "CamCERT (demo)", "Gov-CSIRT/BSSN (demo)",
                           "LaoCERT (demo)", "MyCERT (demo)", "mmCERT (demo)", "CERT-PH (demo)",
                           "SingCERT (demo)", "ThaiCERT (demo)", "VNCERT/CC (demo)",
                           "JPCERT/CC (demo)", "KrCERT/CC (demo)", "CISA (demo)", "ACSC (demo)",
                           "Mekong Threat Labs (demo)", "Open Net Watch (demo)"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(names); i++)
        contains(r.out, names[i]);
    run_free(&r);
    r = RUN(NULL, "community", "list", "--db", db);
    contains(r.out, "ASEAN CERTs (10 members)");
    contains(r.out, "ASEAN\xe2\x80\x93Japan (11 members)");
    contains(r.out, "KR\xe2\x80\x93US\xe2\x80\x93JP trilateral (3 members)");
    run_free(&r);
    r = RUN(NULL, "user", "list", "--db", db);
    contains(r.out, "publisher@singcert.demo.example");
    run_free(&r);

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
    run_free(&r);
    r = RUN(NULL, "event", "show", "--db", db, alpha_id);
    j = json_of(r.out);
    const char *desc = json_string_value(json_object_get(j, "description"));
    assert_non_null(strstr(desc, "Aliases: Alpha, AlphaRAT"));
    assert_non_null(strstr(desc, "https://example.org/alpha-report"));
    /* ip:port, domain (once), cidr, url (scheme added) */
    json_t *inds = json_object_get(j, "indicators");
    assert_int_equal(json_array_size(inds), 4);
    json_decref(j);
    contains(r.out, "\"198.51.100.20:8080\"");
    contains(r.out, "\"http://203.0.113.9/bins/x.sh\"");
    run_free(&r);
    r = RUN(NULL, "search", "--db", db, "198.51.100.99");
    expect(&r, 0);
    contains(r.out, "198.51.100.0/24");
    contains(r.out, "Alpha RAT infrastructure (maltrail)");
    run_free(&r);

    /* Idempotent. */
    r = RUN(NULL, "demo", "seed", "--db", db, "--maltrail", dir);
    expect(&r, 0);
    contains(r.out, "nothing to do");
    run_free(&r);
    assert_int_equal(json_array_len_of(db, "org"), 17);
    assert_int_equal(json_array_len_of(db, "event"), 2);

    /* A directory without trails is an error, and nothing is stored. */
    const char *db2 = fresh_db("demo2.db", NULL);
    r = RUN(NULL, "demo", "seed", "--db", db2, "--maltrail", tpath("no-such-dir"));
    expect(&r, 1);
    contains(r.err, "no maltrail trails under");
    run_free(&r);
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
    run_out r = RUN(NULL, "demo", "seed", "--db", db, "--maltrail", tpath("real"));
    expect(&r, 0);
    run_free(&r);
    assert_true(json_array_len_of(db, "event") > 8);
    r = RUN(NULL, "export", "--db", db);
    expect(&r, 0);
    assert_true(count_lines(r.out, "\"event_id\"") > 1000);
    run_free(&r);
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
