/* test_store_tags.c — the tag id cache of a store connection (tags.c): a tag
 * created inside a transaction that rolls back must not keep its cached id
 * (the next new tag reuses that id, so a stale entry would link indicators
 * to the wrong name or to no tag at all), names that share a cache slot
 * must not be confused, and names too long to cache still work. Each test
 * gets a fresh database in a temp dir.
 */
#include "kz_test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

typedef struct fx {
    char *dir;
    char path[600];
    kz_store *st;
    kz_arena a;
    kz_uuid org;
    kz_uuid event;
} fx;

static void check_ok(int rc, const kz_err *err, const char *what, int line)
{
    if (rc != 0)
        fail_msg("line %d: %s -> %d (%s)", line, what, rc, err->msg);
}
#define OK(x) check_ok((x), &err, #x, __LINE__)

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
    kz_org o = {.name = "Tags CERT", .country = "SG", .type = KZ_ORG_NATIONAL_CERT};
    kz_uuid_v4(o.id);
    kz_event ev = {.title = "tags", .threat_level = KZ_THREAT_UNDEFINED, .tlp = KZ_TLP_AMBER,
                   .pap = KZ_PAP_AMBER, .distribution = KZ_DIST_ORG};
    kz_uuid_v4(ev.id);
    memcpy(ev.creator_org, o.id, sizeof o.id);
    if (kz_store_org_put(f->st, &o, &err) || kz_store_event_put(f->st, &ev, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        return -1;
    }
    memcpy(f->org, o.id, sizeof o.id);
    memcpy(f->event, ev.id, sizeof ev.id);
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

/* Adds one indicator carrying the given tags to the fixture's event;
 * returns the store's result and leaves the indicator's id in id. */
static int add_tagged(fx *f, const char *value, const char *const *tags, size_t n, kz_uuid id,
                      kz_err *err)
{
    kz_indicator x;
    memset(&x, 0, sizeof x);
    kz_uuid_v4(x.id);
    x.type = KZ_IOC_DOMAIN;
    x.value = (char *)value;
    x.tlp = -1;
    x.distribution = -1;
    x.tags.v = (char **)tags;
    x.tags.n = n;
    memcpy(id, x.id, sizeof x.id);
    return kz_store_indicators_add(f->st, f->event, &x, 1, err);
}

/* The indicator's tags, as stored, read through a second connection so
 * the answer comes from the database, not from this connection's cache. */
static void assert_tags(fx *f, const kz_uuid id, const char *const *want, size_t n)
{
    kz_err err = {0};
    kz_store *other;
    OK(kz_store_open(f->path, &other, &err));
    kz_indicator got;
    OK(kz_store_indicator_get(other, id, &f->a, &got, &err));
    assert_int_equal(got.tags.n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(got.tags.v[i], want[i]);
    kz_store_close(other);
}

static void test_rollback_forgets_new_tag(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid id;
    static const char *const gone[] = {"rolled-back-tag"};
    static const char *const next[] = {"next-new-tag"};

    /* The tag is created (and cached) inside a transaction that rolls back. */
    OK(kz_store_begin(f->st, &err));
    OK(add_tagged(f, "gone.example.com", gone, 1, id, &err));
    kz_store_rollback(f->st);

    /* The next new tag takes the id the rolled-back one had... */
    kz_uuid id_next;
    OK(add_tagged(f, "next.example.com", next, 1, id_next, &err));
    /* ...so a stale cache entry would link this indicator to it. */
    kz_uuid id_again;
    OK(add_tagged(f, "again.example.com", gone, 1, id_again, &err));
    assert_tags(f, id_next, next, 1);
    assert_tags(f, id_again, gone, 1);
}

static void test_doomed_outer_commit_forgets_new_tag(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    kz_uuid id;
    static const char *const doomed[] = {"doomed-tag"};
    static const char *const fresh[] = {"fresh-tag"};

    /* An inner failure dooms the outer transaction; its commit rolls back. */
    OK(kz_store_begin(f->st, &err));
    OK(add_tagged(f, "doomed.example.com", doomed, 1, id, &err));
    kz_indicator dup;
    memset(&dup, 0, sizeof dup);
    memcpy(dup.id, id, sizeof id);
    dup.type = KZ_IOC_DOMAIN;
    dup.value = "dup.example.com";
    dup.tlp = -1;
    dup.distribution = -1;
    assert_int_equal(kz_store_indicators_add(f->st, f->event, &dup, 1, &err), KZ_E_CONFLICT);
    assert_int_equal(kz_store_commit(f->st, &err), KZ_E_CONFLICT);
    assert_non_null(strstr(err.msg, "rolled back"));

    kz_uuid id_fresh, id_again;
    OK(add_tagged(f, "fresh.example.com", fresh, 1, id_fresh, &err));
    OK(add_tagged(f, "again.example.com", doomed, 1, id_again, &err));
    assert_tags(f, id_fresh, fresh, 1);
    assert_tags(f, id_again, doomed, 1);
}

static void test_committed_tags_reused(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    static const char *const tags[] = {"tlp:amber", "apt-x", "phishing"};
    kz_uuid a_id, b_id;
    OK(add_tagged(f, "a.example.com", tags, 3, a_id, &err));
    OK(add_tagged(f, "b.example.com", tags, 3, b_id, &err));
    assert_tags(f, a_id, tags, 3);
    assert_tags(f, b_id, tags, 3);
    /* One row per name, however many indicators carry it. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), count(DISTINCT name) FROM tags", -1,
                                        &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 3);
    assert_int_equal(sqlite3_column_int(s, 1), 3);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* More names than cache slots: entries that share a slot replace each
 * other, and every indicator still reads back its own tag. */
static void test_many_names_share_slots(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    enum { N = 700 };
    char names[N][32];
    const char *one[N][1];
    kz_uuid ids[N];
    OK(kz_store_begin(f->st, &err));
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(names[i], sizeof names[i], "family-%d", i);
            one[i][0] = names[i];
            char value[64];
            snprintf(value, sizeof value, "h%d-%d.example.com", round, i);
            OK(add_tagged(f, value, one[i], 1, ids[i], &err));
        }
    }
    OK(kz_store_commit(f->st, &err));
    for (int i = 0; i < N; i += 37)
        assert_tags(f, ids[i], one[i], 1);
    assert_tags(f, ids[N - 1], one[N - 1], 1);
}

/* Names longer than a cache entry holds are looked up every time; the
 * longest cacheable one and one byte more both round-trip. */
static void test_long_names(void **state)
{
    fx *f = *state;
    kz_err err = {0};
    char n96[97], n97[98], n300[301];
    memset(n96, 'a', 96);
    n96[96] = '\0';
    memset(n97, 'b', 97);
    n97[97] = '\0';
    memset(n300, 'c', 300);
    n300[300] = '\0';
    const char *tags[] = {n96, n97, n300};
    kz_uuid a_id, b_id;
    OK(add_tagged(f, "long-a.example.com", tags, 3, a_id, &err));
    OK(add_tagged(f, "long-b.example.com", tags, 3, b_id, &err));
    assert_tags(f, a_id, tags, 3);
    assert_tags(f, b_id, tags, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        T(test_rollback_forgets_new_tag),
        T(test_doomed_outer_commit_forgets_new_tag),
        T(test_committed_tags_reused),
        T(test_many_names_share_slots),
        T(test_long_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
