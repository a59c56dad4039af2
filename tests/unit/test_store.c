/* test_store.c — the SQLite store: schema and migrations, the secret file,
 * CRUD of every object with its not-found / conflict / missing-reference
 * errors, all-or-nothing batches and nested transactions, search by value,
 * address, network, domain and filters, keyset paging, hostile values,
 * sightings and tombstones. Each test gets a fresh database in a temp dir.
 */
#include "kz_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

/* ---- fixture and helpers ---------------------------------------------------- */

typedef struct fx {
    char *dir;
    char path[600];
    kz_store *st;
    kz_arena a;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->dir = kz_test_mkdtemp();
    if (!f->dir) {
        free(f);
        return -1;
    }
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

/* The call fails with exactly this code, and the message names frag. */
#define FAILS(x, want, frag)                                                                       \
    do {                                                                                           \
        memset(&err, 0, sizeof err);                                                               \
        int r_ = (x);                                                                              \
        if (r_ != (want) || err.code != (want))                                                    \
            fail_msg("line %d: %s -> %d (err.code %d, '%s'), want %d", __LINE__, #x, r_,           \
                     err.code, err.msg, (want));                                                   \
        if (!strstr(err.msg, (frag)))                                                              \
            fail_msg("line %d: message '%s' lacks '%s'", __LINE__, err.msg, (frag));               \
    } while (0)

static void org_init(kz_org *o, const char *name, const char *country)
{
    memset(o, 0, sizeof *o);
    kz_uuid_v4(o->id);
    o->name = (char *)name;
    snprintf(o->country, sizeof o->country, "%s", country);
    o->type = KZ_ORG_NATIONAL_CERT;
    o->sector = "government";
    o->contact = "soc@example.org";
}

static void add_org(fx *f, const char *name, const char *country, kz_uuid id)
{
    kz_err err = {0};
    kz_org o;
    org_init(&o, name, country);
    OK(kz_store_org_put(f->st, &o, &err));
    memcpy(id, o.id, sizeof(kz_uuid));
}

static void user_init(kz_user *u, const char *org_id, const char *email)
{
    memset(u, 0, sizeof *u);
    kz_uuid_v4(u->id);
    snprintf(u->org_id, sizeof u->org_id, "%s", org_id);
    u->email = (char *)email;
    u->name = "Analyst";
    u->role = KZ_ROLE_ANALYST;
}

static void event_init(kz_event *ev, const char *org_id, const char *title)
{
    memset(ev, 0, sizeof *ev);
    kz_uuid_v4(ev->id);
    ev->title = (char *)title;
    ev->threat_level = KZ_THREAT_UNDEFINED;
    ev->tlp = KZ_TLP_AMBER;
    ev->pap = KZ_PAP_AMBER;
    ev->distribution = KZ_DIST_ORG;
    snprintf(ev->creator_org, sizeof ev->creator_org, "%s", org_id);
}

static void ind_init(kz_indicator *x, kz_ioc_type t, const char *value)
{
    memset(x, 0, sizeof *x);
    kz_uuid_v4(x->id);
    x->type = t;
    x->value = (char *)value;
    x->to_ids = true;
    x->tlp = -1;
    x->distribution = -1;
}

/* An event with one indicator per (type, value) pair, stored. */
static void add_event(fx *f, const char *org_id, const char *title, const kz_ioc_type *types,
                      const char *const *values, size_t n, kz_event *ev)
{
    kz_err err = {0};
    event_init(ev, org_id, title);
    ev->indicators = kz_arena_alloc(&f->a, (n ? n : 1) * sizeof *ev->indicators);
    for (size_t i = 0; i < n; i++)
        ind_init(&ev->indicators[i], types[i], values[i]);
    ev->n_indicators = n;
    OK(kz_store_event_put(f->st, ev, &err));
}

static kz_search_query q_any(void)
{
    kz_search_query q;
    memset(&q, 0, sizeof q);
    q.type = -1;
    q.tlp = -1;
    q.published = -1;
    q.to_ids = -1;
    q.limit = 100;
    return q;
}

static size_t search(fx *f, const kz_search_query *q, kz_search_hit **hits)
{
    kz_err err = {0};
    size_t n = 0;
    OK(kz_store_search(f->st, q, &f->a, hits, &n, &err));
    for (size_t i = 1; i < n; i++)
        assert_true((*hits)[i - 1].seq < (*hits)[i].seq);
    return n;
}

/* The hits' values, sorted and joined with spaces, for exact comparison. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *hit_values(fx *f, const kz_search_query *q)
{
    kz_search_hit *h;
    size_t n = search(f, q, &h);
    char **v = kz_arena_alloc(&f->a, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = h[i].ind.value;
    qsort(v, n, sizeof *v, cmp_str);
    kz_buf b;
    kz_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        if (i)
            kz_buf_putc(&b, ' ');
        kz_buf_puts(&b, v[i]);
    }
    char *s = kz_arena_strdup(&f->a, b.p ? b.p : "");
    kz_buf_free(&b);
    return s;
}

static void set_ip(kz_search_query *q, const char *cidr)
{
    assert_int_equal(kz_cidr_parse(cidr, strlen(cidr), &q->ip, &q->prefix128), 0);
    q->has_ip = true;
}

/* ---- schema, secret, meta ----------------------------------------------------- */

static void test_open_migrate(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    int v = kz_store_schema_version(f->st);
    assert_true(v >= 1);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT max(version) FROM schema_migrations"), v);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM schema_migrations"), v);
    assert_true(kz_test_sql_int(f->path, "SELECT min(applied_at) FROM schema_migrations") > 0);
    kz_uuid id;
    add_org(f, "CERT-Persist", "SG", id);
    kz_store_close(f->st);
    f->st = NULL;

    /* Reopening applies nothing again and keeps the data. */
    OK(kz_store_open(f->path, &f->st, &err));
    assert_int_equal(kz_store_schema_version(f->st), v);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM schema_migrations"), v);
    kz_org o;
    OK(kz_store_org_get(f->st, id, &f->a, &o, &err));
    assert_string_equal(o.name, "CERT-Persist");

    /* WAL, so readers never wait for the writer. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* A damaged or forged file whose schema versions are all negative is
 * refused, never used to index the migration list. */
static void test_negative_schema_refused(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_store_close(f->st);
    f->st = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM schema_migrations;"
                                  "INSERT INTO schema_migrations VALUES (-1, 1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    kz_store *st = NULL;
    FAILS(kz_store_open(f->path, &st, &err), KZ_E_DB, "invalid schema version -1");
    assert_null(st);
}

static void test_newer_schema_refused(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_store_close(f->st);
    f->st = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 1)", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    kz_store *st = NULL;
    FAILS(kz_store_open(f->path, &st, &err), KZ_E_DB, "schema version 999, newer");
    assert_null(st);
}

static void test_secret_file(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    char sp[700];
    snprintf(sp, sizeof sp, "%s.secret", f->path);
    struct stat sb;
    assert_int_equal(stat(sp, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char text[80] = {0};
    FILE *fp = fopen(sp, "r");
    assert_non_null(fp);
    assert_int_equal(fread(text, 1, sizeof text - 1, fp), 65);
    fclose(fp);
    assert_int_equal(text[64], '\n');
    text[64] = '\0';
    uint8_t want[32], got[32];
    assert_true(kz_hex_decode(text, want, 32));
    OK(kz_store_node_secret(f->st, got, &err));
    assert_memory_equal(got, want, 32);

    /* The same secret after reopening. */
    kz_store_close(f->st);
    OK(kz_store_open(f->path, &f->st, &err));
    OK(kz_store_node_secret(f->st, got, &err));
    assert_memory_equal(got, want, 32);
    kz_store_close(f->st);

    /* Readable by others: refused. */
    assert_int_equal(chmod(sp, 0644), 0);
    OK(kz_store_open(f->path, &f->st, &err));
    FAILS(kz_store_node_secret(f->st, got, &err), KZ_E_IO, "(mode 0644)");
    assert_non_null(strstr(err.msg, "chmod 600"));
    kz_store_close(f->st);

    /* Not 64 hex digits: refused. */
    fp = fopen(sp, "w");
    fputs("not a secret\n", fp);
    fclose(fp);
    assert_int_equal(chmod(sp, 0600), 0);
    OK(kz_store_open(f->path, &f->st, &err));
    FAILS(kz_store_node_secret(f->st, got, &err), KZ_E_IO, "malformed");

    /* An in-memory database has a secret of its own and no file. */
    kz_store *mem;
    OK(kz_store_open(":memory:", &mem, &err));
    uint8_t zero[32] = {0};
    OK(kz_store_node_secret(mem, got, &err));
    assert_memory_not_equal(got, zero, 32);
    kz_store_close(mem);
}

static void test_meta(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    char *v;
    FAILS(kz_store_meta_get(f->st, "node_name", &f->a, &v, &err), KZ_E_NOTFOUND,
          "setting 'node_name' not found");
    OK(kz_store_meta_set(f->st, "node_name", "kizuna-sg", &err));
    OK(kz_store_meta_get(f->st, "node_name", &f->a, &v, &err));
    assert_string_equal(v, "kizuna-sg");
    OK(kz_store_meta_set(f->st, "node_name", "kizuna-jp", &err));
    OK(kz_store_meta_get(f->st, "node_name", &f->a, &v, &err));
    assert_string_equal(v, "kizuna-jp");
    FAILS(kz_store_meta_set(f->st, "", "x", &err), KZ_E_VALUE, "key");
}

/* ---- organisations, users, keys ---------------------------------------------- */

static void test_orgs(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_org o, got;
    org_init(&o, "CERT-X", "SG");
    o.created = 1000;
    o.modified = 2000;
    OK(kz_store_org_put(f->st, &o, &err));
    OK(kz_store_org_get(f->st, o.id, &f->a, &got, &err));
    assert_string_equal(got.id, o.id);
    assert_string_equal(got.name, "CERT-X");
    assert_string_equal(got.country, "SG");
    assert_int_equal(got.type, KZ_ORG_NATIONAL_CERT);
    assert_string_equal(got.sector, "government");
    assert_string_equal(got.contact, "soc@example.org");
    assert_int_equal(got.created, 1000);
    assert_int_equal(got.modified, 2000);

    /* Names are unique without regard to case. */
    OK(kz_store_org_find(f->st, "cert-x", &f->a, &got, &err));
    assert_string_equal(got.id, o.id);
    kz_org dup;
    org_init(&dup, "cert-x", "JP");
    FAILS(kz_store_org_put(f->st, &dup, &err), KZ_E_CONFLICT,
          "an organisation named 'cert-x' exists");
    assert_string_equal(err.field, "name");
    kz_org same_id = o;
    same_id.name = "Other";
    FAILS(kz_store_org_put(f->st, &same_id, &err), KZ_E_CONFLICT, "already exists");

    kz_org bad;
    org_init(&bad, "Bad", "SG");
    snprintf(bad.id, sizeof bad.id, "not-a-uuid");
    FAILS(kz_store_org_put(f->st, &bad, &err), KZ_E_VALUE, "'not-a-uuid' is not a UUID");
    org_init(&bad, "Bad", "SG");
    bad.type = (kz_org_type)42;
    FAILS(kz_store_org_put(f->st, &bad, &err), KZ_E_VALUE, "type 42");

    kz_uuid other;
    add_org(f, "AusCERT", "AU", other);
    o.name = "CERT-Y";
    o.contact = NULL;
    OK(kz_store_org_update(f->st, &o, &err));
    OK(kz_store_org_get(f->st, o.id, &f->a, &got, &err));
    assert_string_equal(got.name, "CERT-Y");
    assert_null(got.contact);
    o.name = "auscert";
    FAILS(kz_store_org_update(f->st, &o, &err), KZ_E_CONFLICT,
          "an organisation named 'auscert' exists");
    kz_org ghost;
    org_init(&ghost, "Ghost", "SG");
    FAILS(kz_store_org_update(f->st, &ghost, &err), KZ_E_NOTFOUND, ghost.id);

    kz_org *list;
    size_t n;
    OK(kz_store_org_list(f->st, &f->a, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "AusCERT");
    assert_string_equal(list[1].name, "CERT-Y");

    FAILS(kz_store_org_get(f->st, ghost.id, &f->a, &got, &err), KZ_E_NOTFOUND, ghost.id);
    FAILS(kz_store_org_find(f->st, "Nobody", &f->a, &got, &err), KZ_E_NOTFOUND,
          "organisation named 'Nobody' not found");
}

static void test_org_delete_refs(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, other;
    add_org(f, "CERT-Del", "SG", org);
    add_org(f, "CERT-Keep", "JP", other);
    kz_user u;
    user_init(&u, org, "a@del.example");
    OK(kz_store_user_put(f->st, &u, &err));
    FAILS(kz_store_org_delete(f->st, org, &err), KZ_E_CONFLICT, "still has users");
    OK(kz_store_user_delete(f->st, u.id, &err));

    kz_event ev;
    add_event(f, org, "owned", NULL, NULL, 0, &ev);
    FAILS(kz_store_org_delete(f->st, org, &err), KZ_E_CONFLICT, "still has events");
    OK(kz_store_event_delete(f->st, ev.id, &err));

    /* Memberships and recipient entries go with the org. */
    kz_community c = {0};
    kz_uuid_v4(c.id);
    c.name = "ASEAN-JP";
    kz_strlist_push(&f->a, &c.member_orgs, org);
    kz_strlist_push(&f->a, &c.member_orgs, other);
    OK(kz_store_community_put(f->st, &c, &err));
    kz_event ev2;
    event_init(&ev2, other, "to the org being deleted");
    kz_strlist_push(&f->a, &ev2.recipient_orgs, org);
    OK(kz_store_event_put(f->st, &ev2, &err));

    OK(kz_store_org_delete(f->st, org, &err));
    FAILS(kz_store_org_get(f->st, org, &f->a, &(kz_org){0}, &err), KZ_E_NOTFOUND, org);
    kz_community got;
    OK(kz_store_community_get(f->st, c.id, &f->a, &got, &err));
    assert_int_equal(got.member_orgs.n, 1);
    assert_string_equal(got.member_orgs.v[0], other);
    kz_event e;
    OK(kz_store_event_get(f->st, ev2.id, false, &f->a, &e, &err));
    assert_int_equal(e.recipient_orgs.n, 0);
    FAILS(kz_store_org_delete(f->st, org, &err), KZ_E_NOTFOUND, "not found");
}

static void test_users(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, org2;
    add_org(f, "CERT-U", "SG", org);
    add_org(f, "CERT-V", "MY", org2);
    kz_user u, got;
    user_init(&u, org, "Alice@Example.org");
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$abc$def";
    u.role = KZ_ROLE_PUBLISHER;
    OK(kz_store_user_put(f->st, &u, &err));
    OK(kz_store_user_get(f->st, u.id, &f->a, &got, &err));
    assert_string_equal(got.org_id, org);
    assert_string_equal(got.email, "Alice@Example.org");
    assert_string_equal(got.name, "Analyst");
    assert_int_equal(got.role, KZ_ROLE_PUBLISHER);
    assert_string_equal(got.password_hash, u.password_hash);
    assert_true(got.created > 0);

    OK(kz_store_user_find_email(f->st, "alice@example.org", &f->a, &got, &err));
    assert_string_equal(got.id, u.id);
    kz_user dup;
    user_init(&dup, org2, "ALICE@example.org");
    FAILS(kz_store_user_put(f->st, &dup, &err), KZ_E_CONFLICT,
          "a user with e-mail 'ALICE@example.org' exists");
    kz_user orphan;
    kz_uuid ghost_org;
    kz_uuid_v4(ghost_org);
    user_init(&orphan, ghost_org, "orphan@example.org");
    FAILS(kz_store_user_put(f->st, &orphan, &err), KZ_E_VALUE, "does not exist");
    assert_non_null(strstr(err.msg, ghost_org));
    kz_user badrole;
    user_init(&badrole, org, "role@example.org");
    badrole.role = (kz_role)99;
    FAILS(kz_store_user_put(f->st, &badrole, &err), KZ_E_VALUE, "role 99");

    kz_user b;
    user_init(&b, org2, "bob@example.org");
    OK(kz_store_user_put(f->st, &b, &err));
    kz_user *list;
    size_t n;
    OK(kz_store_user_list(f->st, NULL, &f->a, &list, &n, &err));
    assert_int_equal(n, 2);
    OK(kz_store_user_list(f->st, org2, &f->a, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(list[0].email, "bob@example.org");

    u.name = "Alice A.";
    u.password_hash = NULL;
    u.role = KZ_ROLE_ORG_ADMIN;
    OK(kz_store_user_update(f->st, &u, &err));
    OK(kz_store_user_get(f->st, u.id, &f->a, &got, &err));
    assert_string_equal(got.name, "Alice A.");
    assert_null(got.password_hash);
    assert_int_equal(got.role, KZ_ROLE_ORG_ADMIN);
    u.email = "bob@example.org";
    FAILS(kz_store_user_update(f->st, &u, &err), KZ_E_CONFLICT, "e-mail 'bob@example.org'");
    FAILS(kz_store_user_update(f->st, &orphan, &err), KZ_E_NOTFOUND, orphan.id);
    FAILS(kz_store_user_get(f->st, orphan.id, &f->a, &got, &err), KZ_E_NOTFOUND, orphan.id);
    FAILS(kz_store_user_find_email(f->st, "nobody@example.org", &f->a, &got, &err),
          KZ_E_NOTFOUND, "nobody@example.org");
    OK(kz_store_user_delete(f->st, b.id, &err));
    FAILS(kz_store_user_delete(f->st, b.id, &err), KZ_E_NOTFOUND, b.id);
}

static void test_keys(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-K", "SG", org);
    kz_user u;
    user_init(&u, org, "k@example.org");
    OK(kz_store_user_put(f->st, &u, &err));

    kz_time now = kz_time_now();
    kz_api_key k = {0}, got;
    kz_uuid_v4(k.id);
    snprintf(k.user_id, sizeof k.user_id, "%s", u.id);
    k.label = "ci";
    memset(k.hash, 0xab, 32);
    k.created = now - 10;
    OK(kz_store_key_put(f->st, &k, &err));
    OK(kz_store_key_find(f->st, k.hash, now, &f->a, &got, &err));
    assert_string_equal(got.id, k.id);
    assert_string_equal(got.user_id, u.id);
    assert_string_equal(got.label, "ci");
    assert_memory_equal(got.hash, k.hash, 32);
    assert_int_equal(got.created, now - 10);

    kz_api_key dup = k;
    kz_uuid_v4(dup.id);
    FAILS(kz_store_key_put(f->st, &dup, &err), KZ_E_CONFLICT, "same hash");
    kz_api_key orphan = k;
    kz_uuid_v4(orphan.id);
    kz_uuid_v4(orphan.user_id);
    orphan.hash[0] = 1;
    FAILS(kz_store_key_put(f->st, &orphan, &err), KZ_E_VALUE, "does not exist");

    /* Expired and revoked keys are not found. */
    kz_api_key exp = k;
    kz_uuid_v4(exp.id);
    memset(exp.hash, 0xcd, 32);
    exp.expires = now - 1;
    OK(kz_store_key_put(f->st, &exp, &err));
    FAILS(kz_store_key_find(f->st, exp.hash, now, &f->a, &got, &err), KZ_E_NOTFOUND,
          "no active key");
    OK(kz_store_key_find(f->st, exp.hash, now - 2, &f->a, &got, &err));

    OK(kz_store_key_touch(f->st, k.id, now + 5, &err));
    OK(kz_store_key_get(f->st, k.id, &f->a, &got, &err));
    assert_int_equal(got.last_used, now + 5);
    OK(kz_store_key_revoke(f->st, k.id, now + 6, &err));
    OK(kz_store_key_revoke(f->st, k.id, now + 9, &err)); /* keeps the first time */
    OK(kz_store_key_get(f->st, k.id, &f->a, &got, &err));
    assert_int_equal(got.revoked, now + 6);
    FAILS(kz_store_key_find(f->st, k.hash, now + 7, &f->a, &got, &err), KZ_E_NOTFOUND,
          "no active key");

    kz_api_key *list;
    size_t n;
    OK(kz_store_key_list(f->st, u.id, &f->a, &list, &n, &err));
    assert_int_equal(n, 2);
    FAILS(kz_store_key_revoke(f->st, orphan.id, now, &err), KZ_E_NOTFOUND, orphan.id);
    FAILS(kz_store_key_touch(f->st, orphan.id, now, &err), KZ_E_NOTFOUND, orphan.id);

    /* A deleted user's keys are gone with it. */
    OK(kz_store_user_delete(f->st, u.id, &err));
    FAILS(kz_store_key_get(f->st, exp.id, &f->a, &got, &err), KZ_E_NOTFOUND, exp.id);
    OK(kz_store_key_list(f->st, u.id, &f->a, &list, &n, &err));
    assert_int_equal(n, 0);
}

/* ---- communities, sharing groups, principal --------------------------------- */

static void test_communities(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b, c;
    add_org(f, "CERT-A", "SG", a);
    add_org(f, "CERT-B", "JP", b);
    add_org(f, "CERT-C", "KR", c);
    kz_community com = {0}, got;
    kz_uuid_v4(com.id);
    com.name = "ASEAN-JP";
    com.description = "CERTs of ASEAN and Japan";
    kz_strlist_push(&f->a, &com.member_orgs, b);
    kz_strlist_push(&f->a, &com.member_orgs, a);
    OK(kz_store_community_put(f->st, &com, &err));
    OK(kz_store_community_get(f->st, com.id, &f->a, &got, &err));
    assert_string_equal(got.name, "ASEAN-JP");
    assert_string_equal(got.description, "CERTs of ASEAN and Japan");
    assert_int_equal(got.member_orgs.n, 2);
    assert_string_equal(got.member_orgs.v[0], b); /* in the order given */
    assert_string_equal(got.member_orgs.v[1], a);
    OK(kz_store_community_find(f->st, "asean-jp", &f->a, &got, &err));
    assert_string_equal(got.id, com.id);

    kz_community dup = {0};
    kz_uuid_v4(dup.id);
    dup.name = "ASEAN-JP";
    FAILS(kz_store_community_put(f->st, &dup, &err), KZ_E_CONFLICT,
          "a community named 'ASEAN-JP' exists");

    /* An unknown member: nothing of the community is stored. */
    kz_community bad = {0};
    kz_uuid_v4(bad.id);
    bad.name = "Broken";
    kz_uuid ghost;
    kz_uuid_v4(ghost);
    kz_strlist_push(&f->a, &bad.member_orgs, a);
    kz_strlist_push(&f->a, &bad.member_orgs, ghost);
    FAILS(kz_store_community_put(f->st, &bad, &err), KZ_E_VALUE, ghost);
    FAILS(kz_store_community_get(f->st, bad.id, &f->a, &got, &err), KZ_E_NOTFOUND, bad.id);

    OK(kz_store_community_add_member(f->st, com.id, c, &err));
    OK(kz_store_community_add_member(f->st, com.id, c, &err)); /* already: no change */
    OK(kz_store_community_get(f->st, com.id, &f->a, &got, &err));
    assert_int_equal(got.member_orgs.n, 3);
    assert_string_equal(got.member_orgs.v[2], c);
    FAILS(kz_store_community_add_member(f->st, bad.id, c, &err), KZ_E_NOTFOUND, bad.id);
    FAILS(kz_store_community_add_member(f->st, com.id, ghost, &err), KZ_E_VALUE, ghost);

    OK(kz_store_community_remove_member(f->st, com.id, b, &err));
    FAILS(kz_store_community_remove_member(f->st, com.id, b, &err), KZ_E_NOTFOUND,
          "is not a member");
    FAILS(kz_store_community_remove_member(f->st, bad.id, a, &err), KZ_E_NOTFOUND, bad.id);
    kz_strlist l;
    OK(kz_store_org_communities(f->st, a, &f->a, &l, &err));
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], com.id);
    OK(kz_store_org_communities(f->st, b, &f->a, &l, &err));
    assert_int_equal(l.n, 0);

    kz_community *list;
    size_t n;
    OK(kz_store_community_list(f->st, &f->a, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].member_orgs.n, 2);
}

static void test_sharing_groups(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b;
    add_org(f, "CERT-A", "SG", a);
    add_org(f, "CERT-B", "JP", b);
    kz_sharing_group g = {0}, got;
    kz_uuid_v4(g.id);
    g.name = "Operation X";
    snprintf(g.owner_org, sizeof g.owner_org, "%s", a);
    kz_strlist_push(&f->a, &g.member_orgs, a);
    kz_strlist_push(&f->a, &g.member_orgs, b);
    OK(kz_store_sharing_group_put(f->st, &g, &err));
    OK(kz_store_sharing_group_get(f->st, g.id, &f->a, &got, &err));
    assert_string_equal(got.name, "Operation X");
    assert_string_equal(got.owner_org, a);
    assert_null(got.description);
    assert_int_equal(got.member_orgs.n, 2);
    assert_string_equal(got.member_orgs.v[1], b);

    kz_sharing_group bad = g;
    kz_uuid_v4(bad.id);
    FAILS(kz_store_sharing_group_put(f->st, &bad, &err), KZ_E_CONFLICT,
          "a sharing group named 'Operation X' exists");
    bad.name = "Other";
    kz_uuid_v4(bad.owner_org);
    FAILS(kz_store_sharing_group_put(f->st, &bad, &err), KZ_E_VALUE,
          "owner organisation");
    FAILS(kz_store_sharing_group_get(f->st, bad.id, &f->a, &got, &err), KZ_E_NOTFOUND, bad.id);

    kz_sharing_group *list;
    size_t n;
    OK(kz_store_sharing_group_list(f->st, &f->a, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].member_orgs.n, 2);
    /* The owner org cannot go while it owns a group. */
    FAILS(kz_store_org_delete(f->st, a, &err), KZ_E_CONFLICT, "sharing groups");
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

static void test_principal_and_acl_object(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b, c, d, x, y, z;
    add_org(f, "A", "SG", a);
    add_org(f, "B", "JP", b);
    add_org(f, "C", "KR", c);
    add_org(f, "D", "AU", d);
    add_community(f, "X", a, b, x); /* A is in X */
    add_community(f, "Y", b, c, y); /* connected to X through B */
    add_community(f, "Z", d, NULL, z);

    kz_principal who = {0};
    snprintf(who.org_id, sizeof who.org_id, "%s", a);
    OK(kz_store_principal_load(f->st, &who, &f->a, &err));
    assert_int_equal(who.communities.n, 1);
    assert_string_equal(who.communities.v[0], x);
    assert_int_equal(who.connected_communities.n, 2);
    assert_true(kz_strlist_has(&who.connected_communities, x));
    assert_true(kz_strlist_has(&who.connected_communities, y));
    assert_false(kz_strlist_has(&who.connected_communities, z));

    kz_principal lonely = {0};
    kz_uuid_v4(lonely.org_id);
    OK(kz_store_principal_load(f->st, &lonely, &f->a, &err));
    assert_int_equal(lonely.communities.n, 0);
    assert_int_equal(lonely.connected_communities.n, 0);

    kz_sharing_group g = {0};
    kz_uuid_v4(g.id);
    g.name = "G";
    snprintf(g.owner_org, sizeof g.owner_org, "%s", b);
    kz_strlist_push(&f->a, &g.member_orgs, c);
    kz_strlist_push(&f->a, &g.member_orgs, d);
    OK(kz_store_sharing_group_put(f->st, &g, &err));
    kz_event ev;
    event_init(&ev, b, "shared");
    ev.distribution = KZ_DIST_SHARING_GROUP;
    snprintf(ev.sharing_group_id, sizeof ev.sharing_group_id, "%s", g.id);
    kz_strlist_push(&f->a, &ev.recipient_orgs, d);
    OK(kz_store_event_put(f->st, &ev, &err));
    kz_event got;
    OK(kz_store_event_get(f->st, ev.id, false, &f->a, &got, &err));
    kz_acl_object obj;
    OK(kz_store_acl_object_load(f->st, &got, &f->a, &obj, &err));
    assert_string_equal(obj.creator_org, b);
    assert_int_equal(obj.distribution, KZ_DIST_SHARING_GROUP);
    assert_int_equal(obj.creator_communities->n, 2);
    assert_true(kz_strlist_has(obj.creator_communities, x));
    assert_true(kz_strlist_has(obj.creator_communities, y));
    assert_non_null(obj.sharing_group_orgs);
    assert_int_equal(obj.sharing_group_orgs->n, 2);
    assert_string_equal(obj.sharing_group_orgs->v[0], c);
    assert_int_equal(obj.recipient_orgs->n, 1);
    assert_string_equal(obj.recipient_orgs->v[0], d);

    got.distribution = KZ_DIST_COMMUNITY; /* no group: no member list */
    OK(kz_store_acl_object_load(f->st, &got, &f->a, &obj, &err));
    assert_null(obj.sharing_group_orgs);
}

/* ---- events and indicators ---------------------------------------------------- */

static void test_event_roundtrip_1000(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, org2;
    add_org(f, "CERT-E", "SG", org);
    add_org(f, "CERT-F", "TH", org2);
    kz_user u;
    user_init(&u, org2, "r@example.org");
    OK(kz_store_user_put(f->st, &u, &err));

    kz_event ev;
    event_init(&ev, org, "Campaign 2026-11");
    ev.description = "phishing wave";
    ev.threat_level = KZ_THREAT_HIGH;
    ev.analysis = 2;
    ev.tlp = KZ_TLP_AMBER_STRICT;
    ev.pap = KZ_PAP_RED;
    ev.distribution = KZ_DIST_COMMUNITY;
    ev.published = true;
    ev.published_at = 1700000000000001;
    ev.created = 1700000000000000;
    ev.modified = 1700000000000002;
    kz_uuid_v4(ev.creator_user);
    kz_strlist_push(&f->a, &ev.tags, "phishing");
    kz_strlist_push(&f->a, &ev.tags, "misp-galaxy:threat-actor=\"APT-X\"");
    kz_strlist_push(&f->a, &ev.recipient_orgs, org2);
    kz_strlist_push(&f->a, &ev.recipient_users, u.id);

    size_t n = 1000;
    ev.indicators = kz_arena_alloc(&f->a, n * sizeof *ev.indicators);
    ev.n_indicators = n;
    for (size_t i = 0; i < n; i++) {
        kz_indicator *x = &ev.indicators[i];
        switch (i % 4) {
        case 0:
            ind_init(x, KZ_IOC_IPV4,
                     kz_arena_printf(&f->a, "10.%zu.%zu.%zu", i / 65536, i / 256 % 256, i % 256));
            break;
        case 1:
            ind_init(x, KZ_IOC_DOMAIN, kz_arena_printf(&f->a, "d%zu.example.com", i));
            break;
        case 2:
            ind_init(x, KZ_IOC_URL,
                     kz_arena_printf(&f->a, "http://u%zu.example.net/p?q=%zu", i, i));
            break;
        default:
            ind_init(x, KZ_IOC_SHA256, kz_arena_printf(&f->a, "%064zx", i));
        }
        x->to_ids = i % 3 != 0;
        x->comment = i % 5 == 0 ? kz_arena_printf(&f->a, "comment %zu", i) : NULL;
        x->first_seen = i % 7 == 0 ? 1600000000000000 + (kz_time)i : 0;
        x->last_seen = x->first_seen ? x->first_seen + 1 : 0;
        x->tlp = i % 11 == 0 ? KZ_TLP_RED : -1;
        x->distribution = i % 13 == 0 ? KZ_DIST_ORG : -1;
        x->created = 1700000000000000 + (kz_time)i;
        x->modified = x->created + 1;
        if (i % 10 == 0) {
            kz_strlist_push(&f->a, &x->tags, "tag-a");
            kz_strlist_push(&f->a, &x->tags, kz_arena_printf(&f->a, "tag-%zu", i));
        }
    }
    OK(kz_store_event_put(f->st, &ev, &err));

    kz_event got;
    OK(kz_store_event_get(f->st, ev.id, true, &f->a, &got, &err));
    assert_string_equal(got.id, ev.id);
    assert_string_equal(got.title, "Campaign 2026-11");
    assert_string_equal(got.description, "phishing wave");
    assert_int_equal(got.threat_level, KZ_THREAT_HIGH);
    assert_int_equal(got.analysis, 2);
    assert_int_equal(got.tlp, KZ_TLP_AMBER_STRICT);
    assert_int_equal(got.pap, KZ_PAP_RED);
    assert_int_equal(got.distribution, KZ_DIST_COMMUNITY);
    assert_string_equal(got.sharing_group_id, "");
    assert_string_equal(got.community_id, "");
    assert_true(got.published);
    assert_int_equal(got.published_at, 1700000000000001);
    assert_string_equal(got.creator_org, org);
    assert_string_equal(got.creator_user, ev.creator_user);
    assert_int_equal(got.created, 1700000000000000);
    assert_int_equal(got.modified, 1700000000000002);
    assert_int_equal(got.tags.n, 2);
    assert_string_equal(got.tags.v[0], "phishing");
    assert_string_equal(got.tags.v[1], "misp-galaxy:threat-actor=\"APT-X\"");
    assert_int_equal(got.recipient_orgs.n, 1);
    assert_string_equal(got.recipient_orgs.v[0], org2);
    assert_int_equal(got.recipient_users.n, 1);
    assert_string_equal(got.recipient_users.v[0], u.id);

    assert_int_equal(got.n_indicators, n);
    for (size_t i = 0; i < n; i++) {
        const kz_indicator *w = &ev.indicators[i], *g = &got.indicators[i];
        assert_string_equal(g->id, w->id);
        assert_string_equal(g->event_id, ev.id);
        assert_int_equal(g->type, w->type);
        assert_string_equal(g->value, w->value);
        assert_int_equal(g->to_ids, w->to_ids);
        if (w->comment)
            assert_string_equal(g->comment, w->comment);
        else
            assert_null(g->comment);
        assert_int_equal(g->first_seen, w->first_seen);
        assert_int_equal(g->last_seen, w->last_seen);
        assert_int_equal(g->tlp, w->tlp);
        assert_int_equal(g->distribution, w->distribution);
        assert_int_equal(g->created, w->created);
        assert_int_equal(g->modified, w->modified);
        assert_false(g->deleted);
        assert_int_equal(g->tags.n, w->tags.n);
        for (size_t t = 0; t < w->tags.n; t++)
            assert_string_equal(g->tags.v[t], w->tags.v[t]);
    }

    kz_event bare;
    OK(kz_store_event_get(f->st, ev.id, false, &f->a, &bare, &err));
    assert_int_equal(bare.n_indicators, 0);
    assert_null(bare.indicators);
    assert_int_equal(bare.tags.n, 2);

    kz_indicator one;
    OK(kz_store_indicator_get(f->st, ev.indicators[10].id, &f->a, &one, &err));
    assert_string_equal(one.value, ev.indicators[10].value);
    assert_string_equal(one.event_id, ev.id);
    assert_int_equal(one.tags.n, 2);
    assert_string_equal(one.tags.v[1], "tag-10");
}

static void test_event_errors(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, ghost;
    add_org(f, "CERT-Err", "SG", org);
    kz_uuid_v4(ghost);

    kz_event ev;
    event_init(&ev, ghost, "no such org");
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "creator org");
    assert_non_null(strstr(err.msg, ghost));
    assert_non_null(strstr(err.msg, "does not exist"));

    event_init(&ev, org, "no such group");
    ev.distribution = KZ_DIST_SHARING_GROUP;
    snprintf(ev.sharing_group_id, sizeof ev.sharing_group_id, "%s", ghost);
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "sharing group");

    event_init(&ev, org, "no such community");
    snprintf(ev.community_id, sizeof ev.community_id, "%s", ghost);
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "community");

    event_init(&ev, org, "no such recipient");
    kz_strlist_push(&f->a, &ev.recipient_users, ghost);
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "recipient user");

    event_init(&ev, org, "bad tlp");
    ev.tlp = (kz_tlp)9;
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "TLP 9");
    event_init(&ev, org, "bad threat level");
    ev.threat_level = 0;
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "threat level 0");
    event_init(&ev, org, NULL);
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_VALUE, "needs a title");

    event_init(&ev, org, "fine");
    OK(kz_store_event_put(f->st, &ev, &err));
    FAILS(kz_store_event_put(f->st, &ev, &err), KZ_E_CONFLICT, "already exists");

    kz_event got;
    FAILS(kz_store_event_get(f->st, ghost, true, &f->a, &got, &err), KZ_E_NOTFOUND,
          "event '");
    assert_non_null(strstr(err.msg, ghost));
    assert_non_null(strstr(err.msg, "not found"));
    FAILS(kz_store_event_delete(f->st, ghost, &err), KZ_E_NOTFOUND, ghost);
    FAILS(kz_store_event_publish(f->st, ghost, 0, &err), KZ_E_NOTFOUND, ghost);
    kz_event upd;
    event_init(&upd, org, "ghost");
    FAILS(kz_store_event_update(f->st, &upd, &err), KZ_E_NOTFOUND, upd.id);
    kz_indicator ind;
    FAILS(kz_store_indicator_get(f->st, ghost, &f->a, &ind, &err), KZ_E_NOTFOUND,
          "indicator '");
}

static void test_event_update_publish(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, other;
    add_org(f, "CERT-Up", "SG", org);
    add_org(f, "CERT-Rcp", "VN", other);
    kz_event ev;
    event_init(&ev, org, "first title");
    ev.modified = 1000;
    ev.created = 1000;
    kz_strlist_push(&f->a, &ev.tags, "old");
    OK(kz_store_event_put(f->st, &ev, &err));

    ev.title = "second title";
    ev.tags = (kz_strlist){0};
    kz_strlist_push(&f->a, &ev.tags, "new-1");
    kz_strlist_push(&f->a, &ev.tags, "new-2");
    kz_strlist_push(&f->a, &ev.recipient_orgs, other);
    ev.modified = 0;
    OK(kz_store_event_update(f->st, &ev, &err));
    kz_event got;
    OK(kz_store_event_get(f->st, ev.id, false, &f->a, &got, &err));
    assert_string_equal(got.title, "second title");
    assert_int_equal(got.tags.n, 2);
    assert_string_equal(got.tags.v[0], "new-1");
    assert_string_equal(got.recipient_orgs.v[0], other);
    assert_true(got.modified > 1000);
    assert_int_equal(got.created, 1000);
    assert_false(got.published);

    kz_time before = got.modified;
    OK(kz_store_event_publish(f->st, ev.id, 5000, &err));
    OK(kz_store_event_get(f->st, ev.id, false, &f->a, &got, &err));
    assert_true(got.published);
    assert_int_equal(got.published_at, 5000);
    assert_true(got.modified > before);

    /* Adding indicators moves modified forward too. */
    before = got.modified;
    kz_indicator x;
    ind_init(&x, KZ_IOC_DOMAIN, "late.example.com");
    OK(kz_store_indicators_add(f->st, ev.id, &x, 1, &err));
    OK(kz_store_event_get(f->st, ev.id, true, &f->a, &got, &err));
    assert_true(got.modified > before);
    assert_int_equal(got.n_indicators, 1);
}

static void test_event_list_paging(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b;
    add_org(f, "A", "SG", a);
    add_org(f, "B", "JP", b);
    /* Seven events; two share a modified time so ties are broken by id. */
    kz_time mods[7] = {100, 200, 300, 300, 400, 500, 600};
    kz_event evs[7];
    for (int i = 0; i < 7; i++) {
        event_init(&evs[i], i % 2 ? b : a, "e");
        evs[i].created = evs[i].modified = mods[i];
        evs[i].published = i >= 4;
        if (i == 2 || i == 5)
            kz_strlist_push(&f->a, &evs[i].tags, "wanted");
        OK(kz_store_event_put(f->st, &evs[i], &err));
    }
    kz_event_filter flt = {.published = -1, .after_id = "", .limit = 3};
    size_t seen = 0;
    kz_time last_mod = INT64_MAX;
    char last_id[40] = "~";
    for (int page = 0; page < 5; page++) {
        kz_event *l;
        size_t n;
        OK(kz_store_event_list(f->st, &flt, &f->a, &l, &n, &err));
        if (n == 0)
            break;
        assert_true(n <= 3);
        for (size_t i = 0; i < n; i++) {
            /* strictly descending by (modified, id) */
            assert_true(l[i].modified < last_mod ||
                        (l[i].modified == last_mod && strcmp(l[i].id, last_id) < 0));
            last_mod = l[i].modified;
            snprintf(last_id, sizeof last_id, "%s", l[i].id);
            seen++;
        }
        flt.after_time = l[n - 1].modified;
        flt.after_id = kz_arena_strdup(&f->a, l[n - 1].id);
    }
    assert_int_equal(seen, 7);

    kz_event *l;
    size_t n;
    kz_event_filter by_org = {.creator_org = b, .published = -1, .limit = 100};
    OK(kz_store_event_list(f->st, &by_org, &f->a, &l, &n, &err));
    assert_int_equal(n, 3);
    assert_string_equal(l[0].id, evs[5].id);
    kz_event_filter pub = {.published = 1, .limit = 100};
    OK(kz_store_event_list(f->st, &pub, &f->a, &l, &n, &err));
    assert_int_equal(n, 3);
    kz_event_filter tag = {.tag = "wanted", .published = -1, .limit = 100};
    OK(kz_store_event_list(f->st, &tag, &f->a, &l, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(l[0].id, evs[5].id);
    assert_string_equal(l[1].id, evs[2].id);
    assert_int_equal(l[0].tags.n, 1);
    kz_event_filter range = {.published = -1, .since = 300, .until = 400, .limit = 100};
    OK(kz_store_event_list(f->st, &range, &f->a, &l, &n, &err));
    assert_int_equal(n, 3);
    assert_int_equal(l[0].modified, 400);
}

static void test_indicator_update_delete(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-I", "SG", org);
    kz_ioc_type t[] = {KZ_IOC_DOMAIN, KZ_IOC_IPV4};
    const char *v[] = {"old.example.com", "192.0.2.7"};
    kz_event ev;
    add_event(f, org, "e", t, v, 2, &ev);

    kz_indicator x;
    OK(kz_store_indicator_get(f->st, ev.indicators[0].id, &f->a, &x, &err));
    x.value = "new.example.org";
    x.comment = "moved";
    x.tlp = KZ_TLP_RED;
    x.tags = (kz_strlist){0};
    kz_strlist_push(&f->a, &x.tags, "updated");
    OK(kz_store_indicator_update(f->st, &x, &err));
    kz_indicator got;
    OK(kz_store_indicator_get(f->st, x.id, &f->a, &got, &err));
    assert_string_equal(got.value, "new.example.org");
    assert_string_equal(got.comment, "moved");
    assert_int_equal(got.tlp, KZ_TLP_RED);
    assert_int_equal(got.tags.n, 1);
    assert_string_equal(got.tags.v[0], "updated");
    assert_true(got.modified > x.modified);

    /* The derived search columns follow the new value. */
    kz_search_query q = q_any();
    q.domain = "old.example.com";
    assert_string_equal(hit_values(f, &q), "");
    q.domain = "example.org";
    assert_string_equal(hit_values(f, &q), "new.example.org");
    q = q_any();
    q.value = "new.example.org";
    assert_string_equal(hit_values(f, &q), "new.example.org");

    kz_indicator ghost = x;
    kz_uuid_v4(ghost.id);
    FAILS(kz_store_indicator_update(f->st, &ghost, &err), KZ_E_NOTFOUND, ghost.id);
    ghost.type = (kz_ioc_type)77;
    FAILS(kz_store_indicator_update(f->st, &ghost, &err), KZ_E_VALUE, "type 77");
    assert_string_equal(err.field, "type");

    OK(kz_store_indicator_delete(f->st, x.id, &err));
    FAILS(kz_store_indicator_get(f->st, x.id, &f->a, &got, &err), KZ_E_NOTFOUND, x.id);
    FAILS(kz_store_indicator_delete(f->st, x.id, &err), KZ_E_NOTFOUND, x.id);
    kz_event e;
    OK(kz_store_event_get(f->st, ev.id, true, &f->a, &e, &err));
    assert_int_equal(e.n_indicators, 1);
    assert_string_equal(e.indicators[0].value, "192.0.2.7");
}

/* ---- all or nothing ----------------------------------------------------------- */

static size_t count_value(fx *f, const char *value)
{
    kz_search_query q = q_any();
    q.value = value;
    kz_search_hit *h;
    return search(f, &q, &h);
}

static void test_batch_all_or_nothing(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, ghost;
    add_org(f, "CERT-B", "SG", org);
    kz_uuid_v4(ghost);
    kz_ioc_type t[] = {KZ_IOC_DOMAIN};
    const char *v[] = {"first.example.com"};
    kz_event ev;
    add_event(f, org, "batch target", t, v, 1, &ev);
    kz_event before;
    OK(kz_store_event_get(f->st, ev.id, false, &f->a, &before, &err));

    size_t n = 50;
    kz_indicator *b = kz_arena_alloc(&f->a, n * sizeof *b);
    for (size_t i = 0; i < n; i++) {
        ind_init(&b[i], KZ_IOC_DOMAIN, kz_arena_printf(&f->a, "batch%zu.example.com", i));
        kz_strlist_push(&f->a, &b[i].tags, "batch-tag");
    }

    /* Unknown event. */
    FAILS(kz_store_indicators_add(f->st, ghost, b, n, &err), KZ_E_NOTFOUND, ghost);
    assert_int_equal(count_value(f, "batch0.example.com"), 0);

    /* A duplicate id inside the batch (row 30 repeats row 10). */
    memcpy(b[30].id, b[10].id, sizeof b[30].id);
    FAILS(kz_store_indicators_add(f->st, ev.id, b, n, &err), KZ_E_CONFLICT, b[10].id);
    assert_string_equal(err.field, "indicators[30].id");
    for (size_t i = 0; i < n; i++)
        assert_int_equal(count_value(f, b[i].value), 0);
    kz_search_query q = q_any();
    q.tag = "batch-tag";
    assert_string_equal(hit_values(f, &q), "");
    kz_event after;
    OK(kz_store_event_get(f->st, ev.id, true, &f->a, &after, &err));
    assert_int_equal(after.n_indicators, 1);
    assert_int_equal(after.modified, before.modified);

    /* An id that exists already (in another batch). */
    kz_uuid_v4(b[30].id);
    memcpy(b[49].id, ev.indicators[0].id, sizeof b[49].id);
    FAILS(kz_store_indicators_add(f->st, ev.id, b, n, &err), KZ_E_CONFLICT, "already exists");
    assert_int_equal(count_value(f, "batch0.example.com"), 0);

    /* A row that is not valid at all. */
    kz_uuid_v4(b[49].id);
    b[20].type = (kz_ioc_type)KZ_IOC__COUNT;
    FAILS(kz_store_indicators_add(f->st, ev.id, b, n, &err), KZ_E_VALUE, "not valid");
    assert_string_equal(err.field, "indicators[20].type");
    assert_int_equal(count_value(f, "batch0.example.com"), 0);

    /* Fixed, the same batch goes in whole. */
    b[20].type = KZ_IOC_DOMAIN;
    OK(kz_store_indicators_add(f->st, ev.id, b, n, &err));
    OK(kz_store_event_get(f->st, ev.id, true, &f->a, &after, &err));
    assert_int_equal(after.n_indicators, n + 1);

    /* An event whose last indicator is bad: no event at all. */
    kz_event ev2;
    event_init(&ev2, org, "half");
    ev2.indicators = kz_arena_alloc(&f->a, 3 * sizeof *ev2.indicators);
    ind_init(&ev2.indicators[0], KZ_IOC_DOMAIN, "half0.example.com");
    ind_init(&ev2.indicators[1], KZ_IOC_DOMAIN, "half1.example.com");
    ind_init(&ev2.indicators[2], KZ_IOC_DOMAIN, "half2.example.com");
    snprintf(ev2.indicators[2].id, sizeof ev2.indicators[2].id, "nope");
    ev2.n_indicators = 3;
    FAILS(kz_store_event_put(f->st, &ev2, &err), KZ_E_VALUE, "'nope' is not a UUID");
    FAILS(kz_store_event_get(f->st, ev2.id, false, &f->a, &after, &err), KZ_E_NOTFOUND,
          ev2.id);
    assert_int_equal(count_value(f, "half0.example.com"), 0);
}

static void test_nested_transactions(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_store *other;
    OK(kz_store_open(f->path, &other, &err));

    /* Inner commit does not commit; the outer one does. */
    kz_org o1;
    org_init(&o1, "Outer", "SG");
    OK(kz_store_begin(f->st, &err));
    OK(kz_store_org_put(f->st, &o1, &err)); /* no transaction of its own */
    OK(kz_store_begin(f->st, &err));
    kz_event ev;
    event_init(&ev, o1.id, "inner");
    OK(kz_store_event_put(f->st, &ev, &err)); /* nests a third level */
    OK(kz_store_commit(f->st, &err));
    kz_org got;
    FAILS(kz_store_org_get(other, o1.id, &f->a, &got, &err), KZ_E_NOTFOUND, o1.id);
    OK(kz_store_commit(f->st, &err));
    OK(kz_store_org_get(other, o1.id, &f->a, &got, &err));

    /* A rollback at depth 2 dooms the outer transaction. */
    kz_org o2;
    org_init(&o2, "Doomed", "SG");
    OK(kz_store_begin(f->st, &err));
    OK(kz_store_org_put(f->st, &o2, &err));
    OK(kz_store_begin(f->st, &err));
    kz_event ev2;
    event_init(&ev2, o2.id, "doomed");
    OK(kz_store_event_put(f->st, &ev2, &err));
    kz_store_rollback(f->st);
    FAILS(kz_store_begin(f->st, &err), KZ_E_CONFLICT, "already failed");
    FAILS(kz_store_commit(f->st, &err), KZ_E_CONFLICT, "rolled back");
    FAILS(kz_store_org_get(f->st, o2.id, &f->a, &got, &err), KZ_E_NOTFOUND, o2.id);
    kz_event e;
    FAILS(kz_store_event_get(f->st, ev2.id, false, &f->a, &e, &err), KZ_E_NOTFOUND, ev2.id);

    /* A failing store call inside an outer transaction dooms it too. */
    OK(kz_store_begin(f->st, &err));
    kz_event ev3;
    event_init(&ev3, o1.id, "with a bad batch");
    OK(kz_store_event_put(f->st, &ev3, &err));
    kz_indicator x[2];
    ind_init(&x[0], KZ_IOC_DOMAIN, "ok.example.com");
    ind_init(&x[1], KZ_IOC_DOMAIN, "dup.example.com");
    memcpy(x[1].id, x[0].id, sizeof x[0].id);
    FAILS(kz_store_indicators_add(f->st, ev3.id, x, 2, &err), KZ_E_CONFLICT, x[0].id);
    FAILS(kz_store_commit(f->st, &err), KZ_E_CONFLICT, "rolled back");
    FAILS(kz_store_event_get(f->st, ev3.id, false, &f->a, &e, &err), KZ_E_NOTFOUND, ev3.id);

    /* The store works normally afterwards. */
    FAILS(kz_store_commit(f->st, &err), KZ_E_INTERNAL, "without a transaction");
    kz_store_rollback(f->st); /* harmless at depth 0 */
    OK(kz_store_event_put(f->st, &ev3, &err));
    OK(kz_store_event_get(other, ev3.id, false, &f->a, &e, &err));
    kz_store_close(other);
}

static void test_two_connections(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_store *reader;
    OK(kz_store_open(f->path, &reader, &err));
    kz_org o;
    org_init(&o, "Concurrent", "SG");
    OK(kz_store_begin(f->st, &err));
    OK(kz_store_org_put(f->st, &o, &err));
    /* The reader is neither blocked by the open write nor sees it. */
    kz_org *list;
    size_t n;
    OK(kz_store_org_list(reader, &f->a, &list, &n, &err));
    assert_int_equal(n, 0);
    OK(kz_store_commit(f->st, &err));
    OK(kz_store_org_list(reader, &f->a, &list, &n, &err));
    assert_int_equal(n, 1);
    kz_store_close(reader);
}

/* ---- search ------------------------------------------------------------------- */

static void test_search_value(void **state)
{
    fx *f = *state;
    kz_uuid org;
    add_org(f, "CERT-S", "SG", org);
    kz_ioc_type t[] = {KZ_IOC_DOMAIN, KZ_IOC_HOSTNAME, KZ_IOC_IPV4, KZ_IOC_MD5, KZ_IOC_URL,
                       KZ_IOC_TEXT, KZ_IOC_TEXT};
    const char *v[] = {"evil.com", "www.evil.com", "198.51.100.1",
                       "d41d8cd98f00b204e9800998ecf8427e", "http://evil.com/x",
                       "a%b", "axb"};
    kz_event ev, ev2;
    add_event(f, org, "one", t, v, 7, &ev);
    add_event(f, org, "two", t, v, 3, &ev2);
    kz_search_query q = q_any();
    const char *want[] = {"evil.com", "www.evil.com", "198.51.100.1"};
    for (size_t i = 0; i < 3; i++) {
        q.value = want[i];
        kz_search_hit *h;
        assert_int_equal(search(f, &q, &h), 2); /* in both events */
        assert_string_equal(h[0].ind.value, want[i]);
        assert_string_equal(h[0].event.id, ev.id);
        assert_string_equal(h[1].event.id, ev2.id);
    }
    q.value = "d41d8cd98f00b204e9800998ecf8427e";
    assert_string_equal(hit_values(f, &q), "d41d8cd98f00b204e9800998ecf8427e");
    q.value = "http://evil.com/x";
    assert_string_equal(hit_values(f, &q), "http://evil.com/x");
    q.value = "a%b"; /* no pattern matching */
    assert_string_equal(hit_values(f, &q), "a%b");
    q.value = "evil";
    assert_string_equal(hit_values(f, &q), "");
    q.value = "EVIL.COM";
    assert_string_equal(hit_values(f, &q), "");
    q.value = "evil.com";
    q.type = KZ_IOC_HOSTNAME;
    assert_string_equal(hit_values(f, &q), "");
    q.type = KZ_IOC_DOMAIN;
    kz_search_hit *h;
    assert_int_equal(search(f, &q, &h), 2);
}

static void test_search_ip_v4(void **state)
{
    fx *f = *state;
    kz_uuid org;
    add_org(f, "CERT-IP", "SG", org);
    kz_ioc_type t[] = {KZ_IOC_CIDR, KZ_IOC_CIDR, KZ_IOC_CIDR, KZ_IOC_IPV4, KZ_IOC_IPV4,
                       KZ_IOC_IPV4, KZ_IOC_IPV4, KZ_IOC_CIDR, KZ_IOC_IP_PORT, KZ_IOC_URL,
                       KZ_IOC_DOMAIN_IP, KZ_IOC_CIDR};
    const char *v[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.1.2.255",
                       "10.1.3.0", "192.0.2.1", "192.0.2.0/24", "10.1.2.3:443",
                       "http://10.1.2.4/x", "c2.evil.com|10.1.2.5", "::/0"};
    kz_event ev;
    add_event(f, org, "ips", t, v, 12, &ev);

    kz_search_query q = q_any();
    set_ip(&q, "10.1.2.3");
    assert_string_equal(hit_values(f, &q),
                        "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24 10.1.2.3 10.1.2.3:443");
    set_ip(&q, "10.1.2.0/24");
    assert_string_equal(hit_values(f, &q),
                        "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24 10.1.2.255 10.1.2.3 10.1.2.3:443 "
                        "c2.evil.com|10.1.2.5 http://10.1.2.4/x");
    set_ip(&q, "10.1.2.0/25"); /* .255 is outside */
    assert_string_equal(hit_values(f, &q),
                        "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24 10.1.2.3 10.1.2.3:443 "
                        "c2.evil.com|10.1.2.5 http://10.1.2.4/x");
    set_ip(&q, "10.1.0.0/16");
    assert_string_equal(hit_values(f, &q),
                        "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24 10.1.2.255 10.1.2.3 10.1.2.3:443 "
                        "10.1.3.0 c2.evil.com|10.1.2.5 http://10.1.2.4/x");
    set_ip(&q, "192.0.2.1");
    assert_string_equal(hit_values(f, &q), "192.0.2.0/24 192.0.2.1");
    set_ip(&q, "192.0.2.2");
    assert_string_equal(hit_values(f, &q), "192.0.2.0/24");
    set_ip(&q, "11.0.0.1"); /* ::/0 is IPv6 and contains no IPv4 query */
    assert_string_equal(hit_values(f, &q), "");
    set_ip(&q, "10.1.2.3");
    q.type = KZ_IOC_CIDR;
    assert_string_equal(hit_values(f, &q), "10.0.0.0/8 10.1.0.0/16 10.1.2.0/24");
}

static void test_search_ip_v6(void **state)
{
    fx *f = *state;
    kz_uuid org;
    add_org(f, "CERT-IP6", "JP", org);
    kz_ioc_type t[] = {KZ_IOC_CIDR, KZ_IOC_CIDR, KZ_IOC_CIDR, KZ_IOC_IPV6, KZ_IOC_IPV6,
                       KZ_IOC_IPV6, KZ_IOC_IP_PORT, KZ_IOC_IPV4};
    const char *v[] = {"::/0", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::1",
                       "2001:db8:2::1", "2001:db9::1", "[2001:db8:1::2]:8443", "10.0.0.1"};
    kz_event ev;
    add_event(f, org, "v6", t, v, 8, &ev);
    kz_search_query q = q_any();
    set_ip(&q, "2001:db8:1::1");
    assert_string_equal(hit_values(f, &q), "2001:db8:1::/48 2001:db8:1::1 2001:db8::/32 ::/0");
    set_ip(&q, "2001:db8::/32");
    assert_string_equal(hit_values(f, &q),
                        "2001:db8:1::/48 2001:db8:1::1 2001:db8:2::1 2001:db8::/32 "
                        "::/0 [2001:db8:1::2]:8443");
    set_ip(&q, "2001:db8:1::/64");
    assert_string_equal(hit_values(f, &q),
                        "2001:db8:1::/48 2001:db8:1::1 2001:db8::/32 ::/0 [2001:db8:1::2]:8443");
    set_ip(&q, "2001:db9::1");
    assert_string_equal(hit_values(f, &q), "2001:db9::1 ::/0");
}

static void test_search_domain(void **state)
{
    fx *f = *state;
    kz_uuid org;
    add_org(f, "CERT-D", "SG", org);
    kz_ioc_type t[] = {KZ_IOC_DOMAIN, KZ_IOC_HOSTNAME, KZ_IOC_URL, KZ_IOC_EMAIL,
                       KZ_IOC_DOMAIN, KZ_IOC_DOMAIN, KZ_IOC_DOMAIN_IP, KZ_IOC_DOMAIN,
                       KZ_IOC_DOMAIN, KZ_IOC_URL};
    const char *v[] = {"evil.com", "a.evil.com", "http://b.a.evil.com/x", "bob@evil.com",
                       "notevil.com", "evil-twin.com", "c.evil.com|192.0.2.9", "evil.co",
                       "evil.com.au", "https://evil.community/"};
    kz_event ev;
    add_event(f, org, "domains", t, v, 10, &ev);
    kz_search_query q = q_any();
    q.domain = "evil.com";
    assert_string_equal(hit_values(f, &q), "a.evil.com bob@evil.com c.evil.com|192.0.2.9 "
                                           "evil.com http://b.a.evil.com/x");
    q.domain = "a.evil.com";
    assert_string_equal(hit_values(f, &q), "a.evil.com http://b.a.evil.com/x");
    q.domain = "b.a.evil.com";
    assert_string_equal(hit_values(f, &q), "http://b.a.evil.com/x");
    q.domain = "vil.com";
    assert_string_equal(hit_values(f, &q), "");
    q.domain = "evil.com";
    q.type = KZ_IOC_URL;
    assert_string_equal(hit_values(f, &q), "http://b.a.evil.com/x");
}

static void test_search_filters(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid a, b;
    add_org(f, "CERT-SG", "SG", a);
    add_org(f, "CERT-JP", "JP", b);
    kz_user u;
    user_init(&u, b, "recipient@example.org");
    OK(kz_store_user_put(f->st, &u, &err));

    kz_event e1, e2;
    event_init(&e1, a, "green published");
    e1.tlp = KZ_TLP_GREEN;
    e1.published = true;
    kz_strlist_push(&f->a, &e1.tags, "campaign:x");
    kz_strlist_push(&f->a, &e1.recipient_users, u.id);
    e1.indicators = kz_arena_alloc(&f->a, 2 * sizeof *e1.indicators);
    ind_init(&e1.indicators[0], KZ_IOC_IPV4, "1.1.1.1");
    e1.indicators[0].created = 1000;
    kz_strlist_push(&f->a, &e1.indicators[0].tags, "ind-tag");
    ind_init(&e1.indicators[1], KZ_IOC_DOMAIN, "x.com");
    e1.indicators[1].created = 1010;
    e1.indicators[1].to_ids = false;
    e1.indicators[1].tlp = KZ_TLP_RED;
    e1.n_indicators = 2;
    OK(kz_store_event_put(f->st, &e1, &err));

    event_init(&e2, b, "amber draft");
    e2.indicators = kz_arena_alloc(&f->a, 2 * sizeof *e2.indicators);
    ind_init(&e2.indicators[0], KZ_IOC_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    e2.indicators[0].created = 1020;
    ind_init(&e2.indicators[1], KZ_IOC_IPV4, "1.1.1.1");
    e2.indicators[1].created = 1030;
    e2.n_indicators = 2;
    OK(kz_store_event_put(f->st, &e2, &err));

    const char *sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    kz_search_query q = q_any();
    q.type = KZ_IOC_IPV4;
    assert_string_equal(hit_values(f, &q), "1.1.1.1 1.1.1.1");
    q = q_any();
    q.tag = "ind-tag";
    assert_string_equal(hit_values(f, &q), "1.1.1.1");
    q.tag = "campaign:x"; /* the event's tag covers its indicators */
    assert_string_equal(hit_values(f, &q), "1.1.1.1 x.com");
    q.tag = "nothing";
    assert_string_equal(hit_values(f, &q), "");
    q = q_any();
    q.org_id = a;
    assert_string_equal(hit_values(f, &q), "1.1.1.1 x.com");
    q = q_any();
    q.country = "JP";
    kz_buf want;
    kz_buf_init(&want);
    kz_buf_printf(&want, "1.1.1.1 %s", sha);
    assert_string_equal(hit_values(f, &q), want.p);
    q = q_any();
    q.tlp = KZ_TLP_GREEN;
    assert_string_equal(hit_values(f, &q), "1.1.1.1");
    q.tlp = KZ_TLP_RED; /* stricter than its event */
    assert_string_equal(hit_values(f, &q), "x.com");
    q.tlp = KZ_TLP_AMBER;
    assert_string_equal(hit_values(f, &q), want.p);
    q = q_any();
    q.published = 1;
    assert_string_equal(hit_values(f, &q), "1.1.1.1 x.com");
    q.published = 0;
    assert_string_equal(hit_values(f, &q), want.p);
    kz_buf_free(&want);
    q = q_any();
    q.to_ids = 0;
    assert_string_equal(hit_values(f, &q), "x.com");
    q = q_any();
    q.since = 1010;
    assert_string_equal(hit_values(f, &q),
                        "1.1.1.1 da39a3ee5e6b4b0d3255bfef95601890afd80709 x.com");
    q.until = 1020;
    assert_string_equal(hit_values(f, &q), "da39a3ee5e6b4b0d3255bfef95601890afd80709 x.com");
    q = q_any();
    q.until = 1000;
    assert_string_equal(hit_values(f, &q), "1.1.1.1");
    q = q_any();
    q.value = "1.1.1.1";
    q.org_id = b;
    kz_search_hit *h;
    assert_int_equal(search(f, &q, &h), 1);
    assert_string_equal(h[0].ind.id, e2.indicators[1].id);
    assert_string_equal(h[0].event.id, e2.id);
    assert_string_equal(h[0].ind.event_id, e2.id);

    /* What the ACL needs comes with each hit. */
    q = q_any();
    q.value = "1.1.1.1";
    q.org_id = a;
    assert_int_equal(search(f, &q, &h), 1);
    assert_string_equal(h[0].event.title, "green published");
    assert_int_equal(h[0].event.tlp, KZ_TLP_GREEN);
    assert_string_equal(h[0].event.creator_org, a);
    assert_int_equal(h[0].event.tags.n, 1);
    assert_int_equal(h[0].event.recipient_users.n, 1);
    assert_string_equal(h[0].event.recipient_users.v[0], u.id);
    assert_int_equal(h[0].event.n_indicators, 0);
    assert_int_equal(h[0].ind.tags.n, 1);
    assert_string_equal(h[0].ind.tags.v[0], "ind-tag");

    /* Bad filters are refused, not ignored. */
    q = q_any();
    q.type = 99;
    size_t n;
    FAILS(kz_store_search(f->st, &q, &f->a, &h, &n, &err), KZ_E_VALUE, "type 99");
    q = q_any();
    q.has_ip = true;
    assert_int_equal(kz_ip_parse("10.0.0.1", 8, &q.ip), 0);
    q.prefix128 = 90; /* below ::ffff:0:0/96 for an IPv4 address */
    FAILS(kz_store_search(f->st, &q, &f->a, &h, &n, &err), KZ_E_VALUE, "prefix");
}

/* Pages through everything matching q, adding `extra` rows after the first
 * page; returns the ids seen, asserting each is seen once. */
static void page_all(fx *f, kz_search_query q, const char *event_id, const char *tag,
                     const char *value, size_t want)
{
    kz_err err = {0};
    kz_strlist seen = {0};
    q.after_seq = 0;
    q.limit = 100;
    int64_t last = 0;
    for (int page = 0; page < 10; page++) {
        kz_search_hit *h;
        size_t n = search(f, &q, &h);
        if (n == 0)
            break;
        assert_true(n <= 100);
        for (size_t i = 0; i < n; i++) {
            assert_true(h[i].seq > last);
            last = h[i].seq;
            assert_false(kz_strlist_has(&seen, h[i].ind.id));
            kz_strlist_push(&f->a, &seen, h[i].ind.id);
        }
        q.after_seq = h[n - 1].seq;
        if (page == 0) {
            /* Rows added between pages land after the cursor. */
            kz_indicator more[30];
            for (int i = 0; i < 30; i++) {
                ind_init(&more[i], KZ_IOC_DOMAIN,
                         value ? value : kz_arena_printf(&f->a, "late%d.example.com", i));
                if (tag)
                    kz_strlist_push(&f->a, &more[i].tags, tag);
            }
            OK(kz_store_indicators_add(f->st, event_id, more, 30, &err));
        }
    }
    assert_int_equal(seen.n, want);
}

static void test_search_paging(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-P", "SG", org);
    kz_event ev;
    event_init(&ev, org, "pages");
    ev.indicators = kz_arena_alloc(&f->a, 250 * sizeof *ev.indicators);
    for (size_t i = 0; i < 250; i++) {
        ind_init(&ev.indicators[i], KZ_IOC_DOMAIN,
                 i % 2 ? "same.example.com" : kz_arena_printf(&f->a, "p%zu.example.com", i));
        kz_strlist_push(&f->a, &ev.indicators[i].tags, "page");
    }
    ev.n_indicators = 250;
    OK(kz_store_event_put(f->st, &ev, &err));
    /* Unkeyed (tag scan) and keyed (value index) paths both page correctly. */
    kz_search_query q = q_any();
    q.tag = "page";
    page_all(f, q, ev.id, "page", NULL, 280);
    q = q_any();
    q.value = "same.example.com";
    page_all(f, q, ev.id, NULL, "same.example.com", 155);
    q = q_any();
    q.domain = "example.com";
    page_all(f, q, ev.id, NULL, NULL, 340);
}

static void test_sql_metacharacters(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_org o;
    org_init(&o, "O'Brien \"CERT\"; DROP TABLE orgs; -- %s%n", "IE");
    OK(kz_store_org_put(f->st, &o, &err));
    kz_org got;
    OK(kz_store_org_find(f->st, o.name, &f->a, &got, &err));
    assert_string_equal(got.name, o.name);

    const char *evil = "'; DROP TABLE events; --";
    kz_event ev;
    event_init(&ev, o.id, "Robert'); DROP TABLE indicators;--");
    kz_strlist_push(&f->a, &ev.tags, "tag' OR '1'='1");
    ev.indicators = kz_arena_alloc(&f->a, 2 * sizeof *ev.indicators);
    ind_init(&ev.indicators[0], KZ_IOC_TEXT, evil);
    ind_init(&ev.indicators[1], KZ_IOC_TEXT, "harmless");
    ev.n_indicators = 2;
    OK(kz_store_event_put(f->st, &ev, &err));

    kz_search_query q = q_any();
    q.value = evil;
    kz_search_hit *h;
    assert_int_equal(search(f, &q, &h), 1);
    assert_string_equal(h[0].ind.value, evil);
    assert_string_equal(h[0].event.title, "Robert'); DROP TABLE indicators;--");
    q = q_any();
    q.tag = "tag' OR '1'='1";
    assert_int_equal(search(f, &q, &h), 2);
    q.tag = "x' OR '1'='1";
    assert_int_equal(search(f, &q, &h), 0);
    q = q_any();
    q.domain = "' OR 1=1 --";
    assert_int_equal(search(f, &q, &h), 0);
    kz_event e;
    OK(kz_store_event_get(f->st, ev.id, true, &f->a, &e, &err));
    assert_int_equal(e.n_indicators, 2);
    assert_string_equal(e.tags.v[0], "tag' OR '1'='1");
    char *v;
    OK(kz_store_meta_set(f->st, "k'--", "v\"); DROP", &err));
    OK(kz_store_meta_get(f->st, "k'--", &f->a, &v, &err));
    assert_string_equal(v, "v\"); DROP");
}

/* ---- hardening: private files, narrowed markings, sighting pages ------------- */

static void test_database_files_are_private(void **state)
{
    fx *f = *state;
    /* Whatever the umask (the test runs with the usual 022), the database
     * and the WAL files SQLite makes beside it are the owner's alone. */
    static const char *const suffixes[] = {"", "-wal", "-shm", ".secret"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(suffixes); i++) {
        char p[700];
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        struct stat sb;
        if (stat(p, &sb) != 0)
            fail_msg("%s does not exist", p);
        if ((sb.st_mode & 0777) != 0600)
            fail_msg("%s has mode %o, want 600", p, (unsigned)(sb.st_mode & 0777));
    }
}

static void test_indicators_narrow(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-Narrow", "MY", org);
    kz_ioc_type t[] = {KZ_IOC_IPV4, KZ_IOC_IPV4, KZ_IOC_IPV4, KZ_IOC_IPV4};
    const char *v[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"};
    kz_event ev;
    event_init(&ev, org, "narrow");
    ev.tlp = KZ_TLP_CLEAR;
    ev.distribution = KZ_DIST_ALL;
    ev.indicators = kz_arena_alloc(&f->a, 4 * sizeof *ev.indicators);
    for (size_t i = 0; i < 4; i++)
        ind_init(&ev.indicators[i], t[i], v[i]);
    ev.n_indicators = 4;
    /* 0: explicit and loose; 1: stricter than anything; 2: inherits;
     * 3: amber / community. */
    ev.indicators[0].tlp = KZ_TLP_GREEN;
    ev.indicators[0].distribution = KZ_DIST_CONNECTED;
    ev.indicators[1].tlp = KZ_TLP_RED;
    ev.indicators[1].distribution = KZ_DIST_ORG;
    ev.indicators[2].tlp = -1;
    ev.indicators[2].distribution = -1;
    ev.indicators[3].tlp = KZ_TLP_AMBER;
    ev.indicators[3].distribution = KZ_DIST_COMMUNITY;
    OK(kz_store_event_put(f->st, &ev, &err));
    kz_indicator before;
    OK(kz_store_indicator_get(f->st, ev.indicators[0].id, &f->a, &before, &err));

    /* Nothing is looser than clear / all. */
    size_t changed = 99;
    OK(kz_store_indicators_narrow(f->st, ev.id, &changed, &err));
    assert_int_equal(changed, 0);

    /* The event goes amber / community: indicator 0 is looser on both. */
    ev.tlp = KZ_TLP_AMBER;
    ev.distribution = KZ_DIST_COMMUNITY;
    OK(kz_store_event_update(f->st, &ev, &err));
    OK(kz_store_indicators_narrow(f->st, ev.id, &changed, &err));
    assert_int_equal(changed, 1);
    static const int want1[4][2] = {{-1, -1}, {KZ_TLP_RED, KZ_DIST_ORG}, {-1, -1},
                                    {KZ_TLP_AMBER, KZ_DIST_COMMUNITY}};
    for (size_t i = 0; i < 4; i++) {
        kz_indicator x;
        OK(kz_store_indicator_get(f->st, ev.indicators[i].id, &f->a, &x, &err));
        assert_int_equal(x.tlp, want1[i][0]);
        assert_int_equal(x.distribution, want1[i][1]);
        if (i == 0)
            assert_true(x.modified > before.modified);
    }

    /* A sharing group is narrower than a community: indicator 3's community
     * distribution goes, its amber (not looser than amber) stays. */
    kz_sharing_group g;
    memset(&g, 0, sizeof g);
    kz_uuid_v4(g.id);
    g.name = "narrow circle";
    snprintf(g.owner_org, sizeof g.owner_org, "%s", org);
    OK(kz_store_sharing_group_put(f->st, &g, &err));
    ev.distribution = KZ_DIST_SHARING_GROUP;
    snprintf(ev.sharing_group_id, sizeof ev.sharing_group_id, "%s", g.id);
    OK(kz_store_event_update(f->st, &ev, &err));
    OK(kz_store_indicators_narrow(f->st, ev.id, &changed, &err));
    assert_int_equal(changed, 1);
    kz_indicator x;
    OK(kz_store_indicator_get(f->st, ev.indicators[3].id, &f->a, &x, &err));
    assert_int_equal(x.tlp, KZ_TLP_AMBER);
    assert_int_equal(x.distribution, -1);
    OK(kz_store_indicator_get(f->st, ev.indicators[1].id, &f->a, &x, &err));
    assert_int_equal(x.distribution, KZ_DIST_ORG); /* org only is narrower still */

    /* Inside an outer transaction that rolls back, nothing changes. */
    ev.tlp = KZ_TLP_RED;
    OK(kz_store_begin(f->st, &err));
    OK(kz_store_event_update(f->st, &ev, &err));
    OK(kz_store_indicators_narrow(f->st, ev.id, &changed, &err));
    assert_int_equal(changed, 1); /* indicator 3's amber */
    kz_store_rollback(f->st);
    OK(kz_store_indicator_get(f->st, ev.indicators[3].id, &f->a, &x, &err));
    assert_int_equal(x.tlp, KZ_TLP_AMBER);

    kz_uuid missing;
    kz_uuid_v4(missing);
    FAILS(kz_store_indicators_narrow(f->st, missing, &changed, &err), KZ_E_NOTFOUND, missing);
}

static void test_sighting_pages(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-Pages", "TH", org);
    kz_ioc_type t[] = {KZ_IOC_DOMAIN};
    const char *v[] = {"pages.example"};
    kz_event ev;
    add_event(f, org, "paged", t, v, 1, &ev);
    const char *ind = ev.indicators[0].id;
    /* Seven sightings; times repeat, so the row sequence breaks ties. */
    static const kz_time times[] = {5000, 1000, 3000, 3000, 3000, 9000, 1000};
    for (size_t i = 0; i < KZ_ARRAY_LEN(times); i++) {
        kz_sighting s = {0};
        kz_uuid_v4(s.id);
        snprintf(s.indicator_id, sizeof s.indicator_id, "%s", ind);
        s.time = times[i];
        s.count = (int64_t)i + 1;
        s.type = KZ_SIGHTING_SEEN;
        OK(kz_store_sighting_put(f->st, &s, &err));
    }
    kz_sighting *all;
    size_t n_all;
    OK(kz_store_sighting_list(f->st, ind, &f->a, &all, &n_all, &err));
    assert_int_equal(n_all, 7);

    kz_time at = INT64_MIN;
    int64_t seq = 0;
    size_t seen = 0, pages = 0;
    bool more = true;
    while (more) {
        kz_sighting *p;
        size_t n;
        OK(kz_store_sighting_page(f->st, ind, at, seq, 3, &f->a, &p, &n, &more, &at, &seq, &err));
        pages++;
        assert_true(n <= 3);
        for (size_t i = 0; i < n; i++, seen++)
            assert_string_equal(p[i].id, all[seen].id); /* same order, no gap, no repeat */
        assert_true(pages <= 3);
    }
    assert_int_equal(seen, 7);
    assert_int_equal(pages, 3);
    /* The counts in time order: 1000 (2, 7), 3000 (3, 4, 5), 5000 (1), 9000 (6). */
    static const int64_t counts[] = {2, 7, 3, 4, 5, 1, 6};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(all[i].count, counts[i]);

    /* A page that ends exactly at the last row says so. */
    kz_sighting *p;
    size_t n;
    OK(kz_store_sighting_page(f->st, ind, INT64_MIN, 0, 7, &f->a, &p, &n, &more, &at, &seq, &err));
    assert_int_equal(n, 7);
    assert_false(more);
    OK(kz_store_sighting_page(f->st, ind, at, seq, 7, &f->a, &p, &n, &more, &at, &seq, &err));
    assert_int_equal(n, 0);

    FAILS(kz_store_sighting_page(f->st, ind, INT64_MIN, 0, 0, &f->a, &p, &n, &more, &at, &seq,
                                 &err),
          KZ_E_VALUE, "limit 0");
    FAILS(kz_store_sighting_page(f->st, ind, INT64_MIN, 0, 1001, &f->a, &p, &n, &more, &at, &seq,
                                 &err),
          KZ_E_VALUE, "limit 1001");
    kz_uuid missing;
    kz_uuid_v4(missing);
    FAILS(kz_store_sighting_page(f->st, missing, INT64_MIN, 0, 10, &f->a, &p, &n, &more, &at,
                                 &seq, &err),
          KZ_E_NOTFOUND, missing);
}

/* ---- sightings and tombstones -------------------------------------------------- */

static void test_sightings(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org, reporter;
    add_org(f, "CERT-Sight", "SG", org);
    add_org(f, "Reporter", "PH", reporter);
    kz_ioc_type t[] = {KZ_IOC_IPV4};
    const char *v[] = {"203.0.113.5"};
    kz_event ev;
    add_event(f, org, "seen", t, v, 1, &ev);
    const char *ind = ev.indicators[0].id;

    kz_sighting s1 = {0}, s2 = {0};
    kz_uuid_v4(s1.id);
    snprintf(s1.indicator_id, sizeof s1.indicator_id, "%s", ind);
    snprintf(s1.org_id, sizeof s1.org_id, "%s", reporter);
    s1.time = 2000;
    s1.count = 3;
    s1.source = "zeek conn.log";
    s1.type = KZ_SIGHTING_SEEN;
    s2 = s1;
    kz_uuid_v4(s2.id);
    s2.time = 1000;
    s2.type = KZ_SIGHTING_FALSE_POSITIVE;
    s2.source = NULL;
    OK(kz_store_sighting_put(f->st, &s1, &err));
    OK(kz_store_sighting_put(f->st, &s2, &err));
    kz_sighting *l;
    size_t n;
    OK(kz_store_sighting_list(f->st, ind, &f->a, &l, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(l[0].id, s2.id); /* by time */
    assert_int_equal(l[0].type, KZ_SIGHTING_FALSE_POSITIVE);
    assert_null(l[0].source);
    assert_string_equal(l[1].source, "zeek conn.log");
    assert_int_equal(l[1].count, 3);
    assert_string_equal(l[1].org_id, reporter);
    assert_string_equal(l[1].indicator_id, ind);
    assert_true(l[1].created > 0);

    FAILS(kz_store_sighting_put(f->st, &s1, &err), KZ_E_CONFLICT, "already exists");
    kz_sighting bad = s1;
    kz_uuid_v4(bad.id);
    kz_uuid_v4(bad.indicator_id);
    FAILS(kz_store_sighting_put(f->st, &bad, &err), KZ_E_VALUE, bad.indicator_id);
    bad = s1;
    kz_uuid_v4(bad.id);
    kz_uuid_v4(bad.org_id);
    FAILS(kz_store_sighting_put(f->st, &bad, &err), KZ_E_VALUE, bad.org_id);
    FAILS(kz_store_sighting_list(f->st, bad.id, &f->a, &l, &n, &err), KZ_E_NOTFOUND, bad.id);

    /* The reporting org leaves: its sightings stay, without an org. */
    OK(kz_store_org_delete(f->st, reporter, &err));
    OK(kz_store_sighting_list(f->st, ind, &f->a, &l, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(l[0].org_id, "");

    /* The indicator goes: its sightings go with it. */
    OK(kz_store_indicator_delete(f->st, ind, &err));
    FAILS(kz_store_sighting_list(f->st, ind, &f->a, &l, &n, &err), KZ_E_NOTFOUND, ind);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM sightings"), 0);
}

static void test_tombstones(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-T", "SG", org);
    kz_event ev;
    event_init(&ev, org, "to delete");
    ev.indicators = kz_arena_alloc(&f->a, 3 * sizeof *ev.indicators);
    ind_init(&ev.indicators[0], KZ_IOC_DOMAIN, "t1.example.com");
    ind_init(&ev.indicators[1], KZ_IOC_DOMAIN, "t2.example.com");
    ind_init(&ev.indicators[2], KZ_IOC_DOMAIN, "t3.example.com");
    kz_strlist_push(&f->a, &ev.indicators[0].tags, "t-tag");
    kz_strlist_push(&f->a, &ev.indicators[2].tags, "t-tag");
    ev.n_indicators = 3;
    kz_strlist_push(&f->a, &ev.tags, "e-tag");
    OK(kz_store_event_put(f->st, &ev, &err));
    for (int i = 0; i < 3; i++) {
        kz_sighting s = {0};
        kz_uuid_v4(s.id);
        snprintf(s.indicator_id, sizeof s.indicator_id, "%s", ev.indicators[i].id);
        s.count = 1;
        OK(kz_store_sighting_put(f->st, &s, &err));
    }

    kz_tombstone *ts;
    size_t n;
    OK(kz_store_tombstones(f->st, 0, 0, &f->a, &ts, &n, &err));
    assert_int_equal(n, 0);

    kz_time t0 = kz_time_now();
    OK(kz_store_indicator_delete(f->st, ev.indicators[0].id, &err));
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM indicator_tags"), 1);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM sightings"), 2);
    OK(kz_store_event_delete(f->st, ev.id, &err));
    OK(kz_store_tombstones(f->st, 0, 0, &f->a, &ts, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(ts[0].type, "indicator");
    assert_string_equal(ts[0].id, ev.indicators[0].id);
    assert_true(ts[0].deleted_at >= t0);
    assert_string_equal(ts[1].type, "event");
    assert_string_equal(ts[1].id, ev.id);
    assert_true(ts[1].seq > ts[0].seq);
    int64_t first = ts[0].seq;
    OK(kz_store_tombstones(f->st, first, 0, &f->a, &ts, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(ts[0].type, "event");

    /* Really gone, with everything that hung off the event. */
    kz_indicator x;
    FAILS(kz_store_indicator_get(f->st, ev.indicators[1].id, &f->a, &x, &err), KZ_E_NOTFOUND,
          ev.indicators[1].id);
    assert_int_equal(count_value(f, "t2.example.com"), 0);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM indicators"), 0);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM events"), 0);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM indicator_tags"), 0);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM event_tags"), 0);
    assert_int_equal(kz_test_sql_int(f->path, "SELECT count(*) FROM sightings"), 0);
}

/* The change log records, in commit order, every event write (an indicator
 * write touches its event), a publish, a deletion and each new sighting; it
 * pages by seq and takes notes for objects without triggers. */
static void test_change_log(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid org;
    add_org(f, "CERT-C", "SG", org);
    int64_t head;
    OK(kz_store_changes_head(f->st, &head, &err));
    assert_int_equal(head, 0);

    kz_event ev;
    event_init(&ev, org, "change log");
    ev.indicators = kz_arena_alloc(&f->a, sizeof *ev.indicators);
    ind_init(&ev.indicators[0], KZ_IOC_DOMAIN, "c1.example.com");
    ev.n_indicators = 1;
    OK(kz_store_event_put(f->st, &ev, &err));
    kz_indicator more;
    ind_init(&more, KZ_IOC_DOMAIN, "c2.example.com");
    OK(kz_store_indicators_add(f->st, ev.id, &more, 1, &err));
    OK(kz_store_event_publish(f->st, ev.id, kz_time_now(), &err));
    kz_sighting s = {0};
    kz_uuid_v4(s.id);
    snprintf(s.indicator_id, sizeof s.indicator_id, "%s", ev.indicators[0].id);
    s.count = 1;
    OK(kz_store_sighting_put(f->st, &s, &err));
    OK(kz_store_change_note(f->st, "case", "c-1", "put", &err));
    OK(kz_store_event_delete(f->st, ev.id, &err));

    kz_change *c;
    size_t n;
    OK(kz_store_changes(f->st, 0, 0, &f->a, &c, &n, &err));
    assert_true(n >= 6);
    assert_string_equal(c[0].kind, "event");
    assert_string_equal(c[0].object_id, ev.id);
    assert_string_equal(c[0].op, "put");
    /* the indicator add touched the event */
    assert_string_equal(c[1].kind, "event");
    assert_string_equal(c[1].op, "put");
    bool published = false, sighted = false, noted = false;
    for (size_t i = 0; i < n; i++) {
        if (i)
            assert_true(c[i].seq > c[i - 1].seq);
        published |= !strcmp(c[i].op, "publish") && !strcmp(c[i].object_id, ev.id);
        sighted |= !strcmp(c[i].kind, "sighting") && !strcmp(c[i].object_id, s.id);
        noted |= !strcmp(c[i].kind, "case") && !strcmp(c[i].object_id, "c-1");
    }
    assert_true(published && sighted && noted);
    assert_string_equal(c[n - 1].kind, "event");
    assert_string_equal(c[n - 1].op, "delete");
    assert_string_equal(c[n - 1].object_id, ev.id);
    OK(kz_store_changes_head(f->st, &head, &err));
    assert_int_equal(head, c[n - 1].seq);

    kz_change *page;
    size_t np;
    OK(kz_store_changes(f->st, c[1].seq, 2, &f->a, &page, &np, &err));
    assert_int_equal(np, 2);
    assert_int_equal(page[0].seq, c[2].seq);
    OK(kz_store_changes(f->st, head, 0, &f->a, &page, &np, &err));
    assert_int_equal(np, 0);
}

int main(void)
{
    kz_base_init();
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_migrate),
        T(test_newer_schema_refused),
        T(test_negative_schema_refused),
        T(test_secret_file),
        T(test_meta),
        T(test_orgs),
        T(test_org_delete_refs),
        T(test_users),
        T(test_keys),
        T(test_communities),
        T(test_sharing_groups),
        T(test_principal_and_acl_object),
        T(test_event_roundtrip_1000),
        T(test_event_errors),
        T(test_event_update_publish),
        T(test_event_list_paging),
        T(test_indicator_update_delete),
        T(test_batch_all_or_nothing),
        T(test_nested_transactions),
        T(test_two_connections),
        T(test_search_value),
        T(test_search_ip_v4),
        T(test_search_ip_v6),
        T(test_search_domain),
        T(test_search_filters),
        T(test_search_paging),
        T(test_sql_metacharacters),
        T(test_sightings),
        T(test_database_files_are_private),
        T(test_indicators_narrow),
        T(test_sighting_pages),
        T(test_tombstones),
        T(test_change_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
