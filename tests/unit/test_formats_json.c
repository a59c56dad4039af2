/* test_formats_json.c — the native JSON: loading with limits, parsing every
 * object strictly (400 for shape, 422 for values, with the JSON path of the
 * field), defaults, TLP/PAP tags, batches that report every bad row, PATCH,
 * and serialising back with the exact field names of docs/api.md. */
#include "kz_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"

static kz_arena A;

static int setup(void **state)
{
    (void)state;
    kz_arena_init(&A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kz_arena_free(&A);
    return 0;
}

static json_t *load(const char *s)
{
    json_t *j = NULL;
    kz_err e;
    kz_err_clear(&e);
    int rc = kz_json_load(s, strlen(s), &j, &e);
    if (rc)
        fail_msg("load failed: %s (%s)", e.msg, s);
    return j;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* Loads bytes (with explicit length) expecting an error. */
static void load_fails(const char *p, size_t n, int code, const char *frag)
{
    json_t *j = (json_t *)1;
    kz_err e;
    kz_err_clear(&e);
    assert_int_equal(kz_json_load(p, n, &j, &e), code);
    assert_null(j);
    assert_int_equal(e.code, code);
    assert_contains(e.msg, frag);
}

/* ---- kz_json_load -------------------------------------------------------- */

static void load_ok(void **state)
{
    (void)state;
    json_t *j = load(" {\"a\": [1, 2, {\"b\": \"\xe7\xb5\x86\"}]}\n");
    assert_true(json_is_object(j));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "a"), 2), "b")),
                        "\xe7\xb5\x86");
    json_decref(j);
}

static void load_rejects(void **state)
{
    (void)state;
    load_fails("", 0, KZ_E_INVALID, "empty body");
    load_fails(" \n\t ", 4, KZ_E_INVALID, "empty body");
    /* Syntax error: the message names line and column. */
    const char *bad = "{\n  \"a\": 1,\n  \"b\": }";
    load_fails(bad, strlen(bad), KZ_E_INVALID, "malformed JSON at line 3, column ");
    load_fails("{\"a\":1} x", 9, KZ_E_INVALID, "malformed JSON at line 1");
    load_fails("42", 2, KZ_E_INVALID, "malformed JSON");
    /* Duplicate keys are refused, not silently merged. */
    const char *dup = "{\"title\":\"a\",\"title\":\"b\"}";
    load_fails(dup, strlen(dup), KZ_E_INVALID, "duplicate");
    /* Invalid UTF-8: the byte offset is given. */
    load_fails("{\"a\":\"\xff\"}", 9, KZ_E_INVALID, "not valid UTF-8 at byte 6");
    load_fails("{\"a\":\"\xc0\xaf\"}", 10, KZ_E_INVALID, "not valid UTF-8 at byte 6");
    load_fails("{\"a\":\"\xed\xa0\x80\"}", 11, KZ_E_INVALID, "at byte 6"); /* surrogate */
    load_fails("{\"a\":\"x\0\"}", 10, KZ_E_INVALID, "NUL byte");
    /* An escaped NUL inside a string. */
    const char *nul = "{\"a\":\"x\\u0000y\"}";
    load_fails(nul, strlen(nul), KZ_E_INVALID, "\\u0000 (NUL) is not allowed");
}

static void load_depth(void **state)
{
    (void)state;
    char buf[300];
    /* 64 levels pass. */
    memset(buf, '[', 64);
    memset(buf + 64, ']', 64);
    json_t *j = NULL;
    kz_err e;
    assert_int_equal(kz_json_load(buf, 128, &j, &e), 0);
    json_decref(j);
    /* 65 do not. */
    memset(buf, '[', 65);
    memset(buf + 65, ']', 65);
    load_fails(buf, 130, KZ_E_INVALID, "nested deeper than 64 levels at line 1, column 65");
    /* Brackets inside strings (with escaped quotes) do not count. */
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"s\":\"\\\"");
    for (int i = 0; i < 100; i++)
        kz_buf_puts(&b, "[{");
    kz_buf_puts(&b, "\"}");
    assert_int_equal(kz_json_load(b.p, b.len, &j, &e), 0);
    json_decref(j);
    /* A million '[' is refused before jansson recurses into it. */
    kz_buf_reset(&b);
    for (int i = 0; i < 1000000; i++)
        kz_buf_putc(&b, '[');
    load_fails(b.p, b.len, KZ_E_INVALID, "deeper than 64");
    kz_buf_free(&b);
}

/* ---- the parse memory budget (hardening) -------------------------------- */

/* "[x,x,...]" of about n bytes. */
static void repeat_doc(kz_buf *b, const char *item, size_t n)
{
    kz_buf_reset(b);
    kz_buf_putc(b, '[');
    while (b->len < n) {
        kz_buf_puts(b, item);
        kz_buf_putc(b, ',');
    }
    b->p[b->len - 1] = ']';
}

static void load_memory_budget(void **state)
{
    (void)state;
    kz_buf b;
    kz_buf_init(&b);
    json_t *j = NULL;
    kz_err e;
    /* 1.5 MiB of empty objects: jansson holds some 60 times that. */
    repeat_doc(&b, "{}", 3u << 19);
    /* Off by default (the CLI reads the operator's own files). */
    assert_int_equal(kz_json_load(b.p, b.len, &j, &e), 0);
    assert_int_equal(json_array_size(j), (b.len + 1) / 3);
    json_decref(j);

    kz_json_set_load_budget(KZ_JSON_BUDGET_RATIO, KZ_JSON_BUDGET_CAP);
    load_fails(b.p, b.len, KZ_E_TOOLARGE, "JSON document too complex");
    repeat_doc(&b, "[[],[[]]]", 3u << 19);
    load_fails(b.p, b.len, KZ_E_TOOLARGE, "too complex");
    /* A real batch fits: 20,000 indicators (about 13 times its size). */
    kz_buf_reset(&b);
    kz_buf_puts(&b, "{\"title\":\"batch\",\"indicators\":[");
    for (int i = 0; i < 20000; i++)
        kz_buf_printf(&b, "%s{\"type\":\"ipv4\",\"value\":\"10.%d.%d.%d\",\"to_ids\":true}",
                      i ? "," : "", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    kz_buf_puts(&b, "]}");
    assert_int_equal(kz_json_load(b.p, b.len, &j, &e), 0);
    assert_int_equal(json_array_size(json_object_get(j, "indicators")), 20000);
    json_decref(j);
    /* And so do the MISP and STIX samples. */
    static const char *const samples[] = {"misp/very_long_event.json", "misp/long_event.json",
                                          "stix/poisonivy.json"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(samples); i++) {
        char pbuf[1024];
        const char *path = kz_test_data_path(samples[i], pbuf, sizeof pbuf);
        if (!path)
            continue; /* no shared data outside CTest */
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("cannot open %s", path);
        kz_buf_reset(&b);
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            kz_buf_append(&b, chunk, got);
        fclose(f);
        assert_int_equal(kz_json_load(b.p, b.len, &j, &e), 0);
        json_decref(j);
    }
    /* The cap holds whatever the size: 4 MiB is too little for the batch
     * above... */
    kz_json_set_load_budget(KZ_JSON_BUDGET_RATIO, (size_t)4 << 20);
    kz_buf_reset(&b);
    kz_buf_puts(&b, "[");
    for (int i = 0; i < 20000; i++)
        kz_buf_printf(&b, "%s{\"type\":\"ipv4\",\"value\":\"10.0.%d.%d\"}", i ? "," : "",
                      (i >> 8) & 255, i & 255);
    kz_buf_puts(&b, "]");
    load_fails(b.p, b.len, KZ_E_TOOLARGE, "too complex");
    /* ...while a small document still gets the 1 MiB floor. */
    json_decref(load("{\"a\":[1,2,3],\"b\":{\"c\":\"d\"}}"));
    kz_json_set_load_budget(KZ_JSON_BUDGET_RATIO, KZ_JSON_BUDGET_CAP);

    /* A scope for other parsers; kz_json_load inside joins it. */
    repeat_doc(&b, "{}", 200000);
    kz_json_budget_begin(1000); /* the 1 MiB floor; the document needs ~12 MiB */
    json_error_t je;
    j = json_loadb(b.p, b.len, 0, &je);
    assert_null(j);
    assert_true(kz_json_budget_end());
    j = json_loadb(b.p, b.len, 0, &je); /* outside the scope: no limit */
    assert_non_null(j);
    json_decref(j);
    kz_json_budget_begin(100);
    json_decref(load("[1,2,3]"));
    assert_false(kz_json_budget_end());
    assert_false(kz_json_budget_end()); /* no scope open: nothing refused */

    kz_json_set_load_budget(0, 0);
    repeat_doc(&b, "{}", 3u << 19);
    assert_int_equal(kz_json_load(b.p, b.len, &j, &e), 0); /* off again */
    json_decref(j);
    kz_buf_free(&b);
}

/* ---- org ----------------------------------------------------------------- */

static void org_round_trip(void **state)
{
    (void)state;
    json_t *j = load("{\"id\":\"" U1 "\",\"name\":\"JPCERT/CC\",\"country\":\"jp\",\"type\":\"national_cert\","
                     "\"sector\":\"cert\",\"contact\":\"office@jpcert.or.jp\","
                     "\"created\":\"2026-01-02T03:04:05.000006Z\",\"modified\":null}");
    kz_org o;
    kz_err e;
    assert_int_equal(kz_json_org_parse(j, &A, &o, &e), 0);
    json_decref(j);
    assert_string_equal(o.id, U1);
    assert_string_equal(o.name, "JPCERT/CC");
    assert_string_equal(o.country, "JP");
    assert_int_equal(o.type, KZ_ORG_NATIONAL_CERT);
    assert_string_equal(o.sector, "cert");
    assert_int_equal(o.created, 1767323045000006LL);
    assert_int_equal(o.modified, 0);

    json_t *out = kz_json_org(&o);
    assert_non_null(out);
    assert_int_equal(json_object_size(out), 8);
    assert_string_equal(json_string_value(json_object_get(out, "id")), U1);
    assert_string_equal(json_string_value(json_object_get(out, "country")), "JP");
    assert_string_equal(json_string_value(json_object_get(out, "type")), "national_cert");
    assert_string_equal(json_string_value(json_object_get(out, "contact")), "office@jpcert.or.jp");
    assert_string_equal(json_string_value(json_object_get(out, "created")), "2026-01-02T03:04:05.000006Z");
    assert_true(json_is_null(json_object_get(out, "modified")));
    /* And back again. */
    kz_org o2;
    assert_int_equal(kz_json_org_parse(out, &A, &o2, &e), 0);
    assert_string_equal(o2.name, o.name);
    assert_int_equal(o2.created, o.created);
    json_decref(out);
}

static void org_errors(void **state)
{
    (void)state;
    struct {
        const char *body;
        int code;
        const char *field, *frag;
    } cases[] = {
        {"{\"country\":\"JP\",\"type\":\"ngo\"}", KZ_E_INVALID, "name", "missing required field 'name'"},
        {"{\"name\":\"x\",\"type\":\"ngo\"}", KZ_E_INVALID, "country", "missing required field 'country'"},
        {"{\"name\":\"x\",\"country\":\"JP\"}", KZ_E_INVALID, "type", "missing required field 'type'"},
        {"{\"name\":\"x\",\"country\":\"XX\",\"type\":\"ngo\"}", KZ_E_VALUE, "country", "got 'XX'"},
        {"{\"name\":\"x\",\"country\":\"JPN\",\"type\":\"ngo\"}", KZ_E_VALUE, "country", "got 'JPN'"},
        {"{\"name\":\"x\",\"country\":81,\"type\":\"ngo\"}", KZ_E_INVALID, "country", "got integer"},
        {"{\"name\":\"x\",\"country\":\"JP\",\"type\":\"club\"}", KZ_E_VALUE, "type", "got 'club'"},
        {"{\"name\":\"\",\"country\":\"JP\",\"type\":\"ngo\"}", KZ_E_VALUE, "name", "'name' must not be empty"},
        {"{\"name\":\"a\\u0007b\",\"country\":\"JP\",\"type\":\"ngo\"}", KZ_E_VALUE, "name", "control character"},
        {"{\"name\":\"x\",\"country\":\"JP\",\"type\":\"ngo\",\"colour\":1}", KZ_E_INVALID, "colour",
         "unknown field 'colour'"},
        {"{\"name\":\"x\",\"country\":\"JP\",\"type\":\"ngo\",\"id\":\"nope\"}", KZ_E_VALUE, "id",
         "'id' must be a UUID, got 'nope'"},
        {"[1]", KZ_E_INVALID, "", "body must be a JSON object, got array"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        json_t *j = load(cases[i].body);
        kz_org o;
        kz_err e;
        kz_err_clear(&e);
        assert_int_equal(kz_json_org_parse(j, &A, &o, &e), cases[i].code);
        assert_string_equal(e.field, cases[i].field);
        assert_contains(e.msg, cases[i].frag);
        json_decref(j);
    }
}

static void org_too_long(void **state)
{
    (void)state;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"country\":\"JP\",\"type\":\"ngo\",\"name\":\"");
    for (int i = 0; i < KZ_MAX_NAME + 1; i++)
        kz_buf_putc(&b, 'n');
    kz_buf_puts(&b, "\"}");
    json_t *j = load(b.p);
    kz_buf_free(&b);
    kz_org o;
    kz_err e;
    assert_int_equal(kz_json_org_parse(j, &A, &o, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "name");
    assert_contains(e.msg, "'name' is too long: 257 bytes, at most 256");
    json_decref(j);
}

static void org_patch(void **state)
{
    (void)state;
    json_t *j = load("{\"id\":\"" U1 "\",\"name\":\"KrCERT\",\"country\":\"KR\",\"type\":\"government\"}");
    kz_org o;
    kz_err e;
    assert_int_equal(kz_json_org_parse(j, &A, &o, &e), 0);
    json_decref(j);
    o.created = 5;

    j = load("{\"name\":\"KrCERT/CC\",\"sector\":\"cert\",\"id\":\"" U1 "\"}");
    assert_int_equal(kz_json_org_patch(j, &A, &o, &e), 0);
    json_decref(j);
    assert_string_equal(o.name, "KrCERT/CC");
    assert_string_equal(o.sector, "cert");
    assert_string_equal(o.country, "KR");

    /* A server-set field cannot change; nothing else is applied either. */
    j = load("{\"name\":\"other\",\"id\":\"" U2 "\"}");
    assert_int_equal(kz_json_org_patch(j, &A, &o, &e), KZ_E_INVALID);
    assert_string_equal(e.field, "id");
    assert_contains(e.msg, "field 'id' cannot be changed");
    assert_string_equal(o.name, "KrCERT/CC");
    json_decref(j);

    j = load("{\"created\":\"2026-01-01T00:00:00Z\"}");
    assert_int_equal(kz_json_org_patch(j, &A, &o, &e), KZ_E_INVALID);
    assert_contains(e.msg, "field 'created' cannot be changed");
    json_decref(j);

    j = load("{\"country\":\"ZZ\"}");
    assert_int_equal(kz_json_org_patch(j, &A, &o, &e), KZ_E_VALUE);
    assert_string_equal(o.country, "KR");
    json_decref(j);

    /* null clears an optional field, but a required one is a type error. */
    j = load("{\"sector\":null}");
    assert_int_equal(kz_json_org_patch(j, &A, &o, &e), 0);
    assert_null(o.sector);
    json_decref(j);
    j = load("{\"name\":null}");
    assert_int_equal(kz_json_org_patch(j, &A, &o, &e), KZ_E_INVALID);
    assert_contains(e.msg, "'name' must be a string, got null");
    json_decref(j);
}

/* ---- user and key -------------------------------------------------------- */

static void user_parse_and_serialise(void **state)
{
    (void)state;
    json_t *j = load("{\"email\":\"Analyst@ThaiCERT.OR.TH\",\"name\":\"Somchai\",\"role\":\"Analyst\","
                     "\"org_id\":\"" U2 "\",\"password\":\"correct horse battery\",\"has_password\":false}");
    kz_user u;
    const char *pw = NULL;
    kz_err e;
    assert_int_equal(kz_json_user_parse(j, &A, &u, &pw, &e), 0);
    json_decref(j);
    assert_string_equal(u.email, "Analyst@thaicert.or.th");
    assert_int_equal(u.role, KZ_ROLE_ANALYST);
    assert_string_equal(u.org_id, U2);
    assert_string_equal(pw, "correct horse battery");
    assert_null(u.password_hash);

    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    strcpy(u.id, U1);
    json_t *out = kz_json_user(&u);
    assert_non_null(out);
    assert_true(json_is_true(json_object_get(out, "has_password")));
    assert_null(json_object_get(out, "password_hash"));
    assert_null(json_object_get(out, "password"));
    char *text = json_dumps(out, 0);
    assert_null(strstr(text, "argon2id"));
    free(text);
    assert_string_equal(json_string_value(json_object_get(out, "role")), "analyst");
    assert_int_equal(json_object_size(out), 8);
    json_decref(out);
}

static void user_errors(void **state)
{
    (void)state;
    struct {
        const char *body;
        int code;
        const char *field, *frag;
    } cases[] = {
        {"{\"role\":\"admin\"}", KZ_E_INVALID, "email", "missing required field 'email'"},
        {"{\"email\":\"a@b.c\"}", KZ_E_INVALID, "role", "missing required field 'role'"},
        {"{\"email\":\"not-an-address\",\"role\":\"admin\"}", KZ_E_VALUE, "email", "got 'not-an-address'"},
        {"{\"email\":\"a@b@c\",\"role\":\"admin\"}", KZ_E_VALUE, "email", "e-mail address"},
        {"{\"email\":\"a@b.c\",\"role\":\"root\"}", KZ_E_VALUE, "role", "got 'root'"},
        {"{\"email\":\"a@b.c\",\"role\":\"admin\",\"password\":\"short\"}", KZ_E_VALUE, "password",
         "8-1024 bytes long, got 5 bytes"},
        {"{\"email\":\"a@b.c\",\"role\":\"admin\",\"password\":12345678}", KZ_E_INVALID, "password",
         "got integer"},
        {"{\"email\":\"a@b.c\",\"role\":\"admin\",\"password_hash\":\"x\"}", KZ_E_INVALID, "password_hash",
         "unknown field"},
        {"{\"email\":\"a@b.c\",\"role\":\"admin\",\"org_id\":\"" U1 "x\"}", KZ_E_VALUE, "org_id", "UUID"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        json_t *j = load(cases[i].body);
        kz_user u;
        const char *pw;
        kz_err e;
        kz_err_clear(&e);
        assert_int_equal(kz_json_user_parse(j, &A, &u, &pw, &e), cases[i].code);
        assert_string_equal(e.field, cases[i].field);
        assert_contains(e.msg, cases[i].frag);
        /* The password never appears in a message. */
        assert_null(strstr(e.msg, "short"));
        json_decref(j);
    }
}

static void api_key_json(void **state)
{
    (void)state;
    json_t *j = load("{\"label\":\"sensor-1\",\"expires\":\"2027-01-01T00:00:00Z\",\"user_id\":\"" U3 "\"}");
    kz_api_key k;
    kz_err e;
    assert_int_equal(kz_json_api_key_parse(j, &A, &k, &e), 0);
    json_decref(j);
    assert_string_equal(k.label, "sensor-1");
    assert_string_equal(k.user_id, U3);
    assert_int_equal(k.expires, 1798761600000000LL);
    memset(k.hash, 0xab, sizeof k.hash);
    strcpy(k.id, U1);
    json_t *out = kz_json_api_key(&k);
    assert_non_null(out);
    assert_int_equal(json_object_size(out), 7);
    assert_null(json_object_get(out, "hash"));
    assert_true(json_is_null(json_object_get(out, "revoked")));
    assert_string_equal(json_string_value(json_object_get(out, "expires")), "2027-01-01T00:00:00.000000Z");
    char *text = json_dumps(out, 0);
    assert_null(strstr(text, "abab"));
    free(text);
    json_decref(out);

    j = load("{\"label\":\"x\",\"secret\":\"y\"}");
    assert_int_equal(kz_json_api_key_parse(j, &A, &k, &e), KZ_E_INVALID);
    assert_string_equal(e.field, "secret");
    json_decref(j);
}

/* ---- communities and sharing groups -------------------------------------- */

static void community_json(void **state)
{
    (void)state;
    json_t *j = load("{\"name\":\"ASEAN CERTs\",\"description\":\"line 1\\nline 2\","
                     "\"member_orgs\":[\"" U1 "\",\"" U2 "\",\"" U1 "\"]}");
    kz_community c;
    kz_err e;
    assert_int_equal(kz_json_community_parse(j, &A, &c, &e), 0);
    json_decref(j);
    assert_int_equal(c.member_orgs.n, 2); /* the duplicate is dropped */
    assert_string_equal(c.description, "line 1\nline 2");
    json_t *out = kz_json_community(&c);
    assert_int_equal(json_array_size(json_object_get(out, "member_orgs")), 2);
    assert_true(json_is_null(json_object_get(out, "id")));
    assert_int_equal(json_object_size(out), 6);
    json_decref(out);

    j = load("{\"name\":\"x\",\"member_orgs\":[\"" U1 "\",\"zzz\"]}");
    assert_int_equal(kz_json_community_parse(j, &A, &c, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "member_orgs[1]");
    assert_contains(e.msg, "'member_orgs[1]' must be a UUID, got 'zzz'");
    json_decref(j);

    j = load("{\"name\":\"x\",\"member_orgs\":[7]}");
    assert_int_equal(kz_json_community_parse(j, &A, &c, &e), KZ_E_INVALID);
    assert_string_equal(e.field, "member_orgs[0]");
    json_decref(j);

    j = load("{\"description\":\"x\"}");
    assert_int_equal(kz_json_community_parse(j, &A, &c, &e), KZ_E_INVALID);
    assert_string_equal(e.field, "name");
    json_decref(j);

    /* Many ids, each twice (upper-case the second time): order kept, duplicates gone. */
    j = json_pack("{s:s, s:[]}", "name", "big", "member_orgs");
    json_t *m = json_object_get(j, "member_orgs");
    kz_uuid ids[3000];
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(kz_uuid_v5(U1, &i, sizeof i, ids[i]), 0);
        json_array_append_new(m, json_string(ids[i]));
    }
    for (int i = 0; i < 3000; i++) {
        kz_uuid up;
        for (int k = 0; k <= KZ_UUID_STRLEN; k++)
            up[k] = (char)(ids[i][k] >= 'a' && ids[i][k] <= 'f' ? ids[i][k] - 32 : ids[i][k]);
        json_array_append_new(m, json_string(up));
    }
    assert_int_equal(kz_json_community_parse(j, &A, &c, &e), 0);
    assert_int_equal(c.member_orgs.n, 3000);
    assert_string_equal(c.member_orgs.v[2999], ids[2999]);
    /* Past the limit. */
    for (int i = 0; i < KZ_MAX_IDS + 1 - 6000; i++)
        json_array_append_new(m, json_string(U2));
    assert_int_equal(kz_json_community_parse(j, &A, &c, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "member_orgs");
    assert_contains(e.msg, "has 10001 entries, at most 10000");
    json_decref(j);
}

static void sharing_group_json(void **state)
{
    (void)state;
    json_t *j = load("{\"name\":\"Ransomware WG\",\"owner_org\":\"" U3 "\",\"member_orgs\":[\"" U1 "\"]}");
    kz_sharing_group g;
    kz_err e;
    assert_int_equal(kz_json_sharing_group_parse(j, &A, &g, &e), 0);
    json_decref(j);
    assert_string_equal(g.owner_org, U3);
    json_t *out = kz_json_sharing_group(&g);
    assert_string_equal(json_string_value(json_object_get(out, "owner_org")), U3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "member_orgs"), 0)), U1);
    assert_int_equal(json_object_size(out), 7);
    json_decref(out);

    j = load("{\"name\":\"x\"}");
    assert_int_equal(kz_json_sharing_group_parse(j, &A, &g, &e), KZ_E_INVALID);
    assert_string_equal(e.field, "member_orgs");
    json_decref(j);
    j = load("{\"name\":\"x\",\"member_orgs\":null}");
    assert_int_equal(kz_json_sharing_group_parse(j, &A, &g, &e), KZ_E_INVALID);
    assert_contains(e.msg, "got null");
    json_decref(j);
}

/* ---- events -------------------------------------------------------------- */

static int parse_event(const char *body, kz_event *ev, kz_errlist *errs, kz_err *e)
{
    json_t *j = load(body);
    memset(errs, 0, sizeof *errs);
    kz_err_clear(e);
    int rc = kz_json_event_parse(j, &A, ev, errs, e);
    json_decref(j);
    return rc;
}

static void event_defaults(void **state)
{
    (void)state;
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    assert_int_equal(parse_event("{\"title\":\"Phishing wave\"}", &ev, &errs, &e), 0);
    assert_string_equal(ev.title, "Phishing wave");
    assert_int_equal(ev.threat_level, 4);
    assert_int_equal(ev.analysis, 0);
    assert_int_equal(ev.tlp, KZ_TLP_AMBER);
    assert_int_equal(ev.pap, KZ_PAP_AMBER);
    assert_int_equal(ev.distribution, KZ_DIST_ORG);
    assert_false(ev.published);
    assert_int_equal(ev.n_indicators, 0);
    assert_string_equal(ev.id, "");
    assert_int_equal(errs.n, 0);

    json_t *out = kz_json_event(&ev, false);
    assert_non_null(out);
    json_t *tags = json_object_get(out, "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "tlp:amber");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "PAP:AMBER");
    assert_true(json_is_null(json_object_get(out, "id")));
    assert_true(json_is_null(json_object_get(out, "published_at")));
    assert_null(json_object_get(out, "indicators"));
    assert_int_equal(json_object_size(out), 19);
    json_decref(out);
}

static void event_round_trip(void **state)
{
    (void)state;
    const char *body =
        "{\"id\":\"" U1 "\",\"title\":\"APT in the region\",\"description\":\"two\\nlines\","
        "\"threat_level\":1,\"analysis\":2,\"tlp\":\"amber+strict\",\"pap\":\"red\","
        "\"distribution\":\"sharing_group\",\"sharing_group_id\":\"" U2 "\","
        "\"community_id\":null,\"tags\":[\"  apt  \",\"misp-galaxy:threat-actor=\\\"APT40\\\"\",\"apt\"],"
        "\"recipient_orgs\":[\"" U3 "\"],\"recipient_users\":[],\"published\":true,"
        "\"published_at\":\"2026-11-21T23:34:57.123456Z\",\"creator_org\":\"" U3 "\","
        "\"creator_user\":\"" U2 "\",\"created\":\"2026-11-20T00:00:00Z\",\"modified\":\"2026-11-21T00:00:00Z\","
        "\"indicators\":[{\"type\":\"domain\",\"value\":\"evil.example.com\",\"tlp\":\"red\"},"
        "{\"type\":\"ipv4\",\"value\":\"198.51.100.7\",\"to_ids\":false,\"comment\":\"c2\"}]}";
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    assert_int_equal(parse_event(body, &ev, &errs, &e), 0);
    assert_string_equal(ev.id, U1);
    assert_int_equal(ev.threat_level, 1);
    assert_int_equal(ev.analysis, 2);
    assert_int_equal(ev.tlp, KZ_TLP_AMBER_STRICT);
    assert_int_equal(ev.pap, KZ_PAP_RED);
    assert_int_equal(ev.distribution, KZ_DIST_SHARING_GROUP);
    assert_string_equal(ev.sharing_group_id, U2);
    assert_string_equal(ev.community_id, "");
    assert_int_equal(ev.tags.n, 2); /* trimmed, the duplicate dropped */
    assert_string_equal(ev.tags.v[0], "apt");
    assert_string_equal(ev.tags.v[1], "misp-galaxy:threat-actor=\"APT40\"");
    assert_true(ev.published);
    assert_int_equal(ev.n_indicators, 2);
    assert_int_equal(ev.indicators[0].tlp, KZ_TLP_RED);
    assert_int_equal(ev.indicators[1].tlp, -1);
    assert_false(ev.indicators[1].to_ids);

    json_t *out = kz_json_event(&ev, true);
    assert_non_null(out);
    assert_int_equal(json_object_size(out), 20);
    assert_string_equal(json_string_value(json_object_get(out, "tlp")), "amber+strict");
    assert_string_equal(json_string_value(json_object_get(out, "pap")), "red");
    assert_string_equal(json_string_value(json_object_get(out, "distribution")), "sharing_group");
    assert_true(json_is_null(json_object_get(out, "community_id")));
    json_t *tags = json_object_get(out, "tags");
    assert_int_equal(json_array_size(tags), 4);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "tlp:amber+strict");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "PAP:RED");
    assert_string_equal(json_string_value(json_array_get(tags, 2)), "apt");
    assert_string_equal(json_string_value(json_object_get(out, "published_at")), "2026-11-21T23:34:57.123456Z");
    assert_string_equal(json_string_value(json_object_get(out, "created")), "2026-11-20T00:00:00.000000Z");
    json_t *inds = json_object_get(out, "indicators");
    assert_int_equal(json_array_size(inds), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 0), "tlp")), "red");
    assert_true(json_is_null(json_object_get(json_array_get(inds, 1), "tlp")));

    /* The serialised form parses back to the same event (tags and fields agree). */
    kz_event ev2;
    kz_err_clear(&e);
    memset(&errs, 0, sizeof errs);
    if (kz_json_event_parse(out, &A, &ev2, &errs, &e))
        fail_msg("%s: %s (%s)", e.field, e.msg, errs.n ? errs.v[0].msg : "");
    assert_int_equal(ev2.tlp, ev.tlp);
    assert_int_equal(ev2.pap, ev.pap);
    assert_int_equal(ev2.tags.n, 2);
    assert_int_equal(ev2.published_at, ev.published_at);
    assert_int_equal(ev2.n_indicators, 2);
    assert_string_equal(ev2.indicators[0].value, "evil.example.com");
    assert_string_equal(ev2.creator_org, U3);
    json_decref(out);
}

struct err_case {
    const char *body;
    int code;
    const char *field, *frag;
};

static void check_event_errors(const struct err_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kz_event ev;
        kz_errlist errs;
        kz_err e;
        int rc = parse_event(cases[i].body, &ev, &errs, &e);
        if (rc != cases[i].code || strcmp(e.field, cases[i].field) || !strstr(e.msg, cases[i].frag))
            fail_msg("case %zu %s: got %d field '%s' msg '%s'", i, cases[i].body, rc, e.field, e.msg);
        assert_int_equal(errs.n, 0);
    }
}

static void event_wrong_types(void **state)
{
    (void)state;
    const struct err_case cases[] = {
        {"{}", KZ_E_INVALID, "title", "missing required field 'title'"},
        {"{\"title\":5}", KZ_E_INVALID, "title", "'title' must be a string, got integer"},
        {"{\"title\":\"t\",\"description\":[]}", KZ_E_INVALID, "description", "got array"},
        {"{\"title\":\"t\",\"threat_level\":\"high\"}", KZ_E_INVALID, "threat_level",
         "'threat_level' must be an integer 1-4, got string"},
        {"{\"title\":\"t\",\"threat_level\":2.0}", KZ_E_INVALID, "threat_level", "got number"},
        {"{\"title\":\"t\",\"analysis\":true}", KZ_E_INVALID, "analysis", "integer 0-2, got boolean"},
        {"{\"title\":\"t\",\"tlp\":2}", KZ_E_INVALID, "tlp", "got integer"},
        {"{\"title\":\"t\",\"pap\":null}", KZ_E_INVALID, "pap", "got null"},
        {"{\"title\":\"t\",\"distribution\":{}}", KZ_E_INVALID, "distribution", "got object"},
        {"{\"title\":\"t\",\"sharing_group_id\":1}", KZ_E_INVALID, "sharing_group_id", "UUID string, got integer"},
        {"{\"title\":\"t\",\"community_id\":true}", KZ_E_INVALID, "community_id", "got boolean"},
        {"{\"title\":\"t\",\"tags\":\"apt\"}", KZ_E_INVALID, "tags", "array of strings, got string"},
        {"{\"title\":\"t\",\"tags\":[\"a\",1]}", KZ_E_INVALID, "tags[1]", "'tags[1]' must be a string, got integer"},
        {"{\"title\":\"t\",\"recipient_orgs\":\"" U1 "\"}", KZ_E_INVALID, "recipient_orgs", "got string"},
        {"{\"title\":\"t\",\"recipient_users\":[null]}", KZ_E_INVALID, "recipient_users[0]", "got null"},
        {"{\"title\":\"t\",\"published\":\"yes\"}", KZ_E_INVALID, "published", "boolean"},
        {"{\"title\":\"t\",\"published_at\":5}", KZ_E_INVALID, "published_at", "time string, got integer"},
        {"{\"title\":\"t\",\"creator_org\":[]}", KZ_E_INVALID, "creator_org", "got array"},
        {"{\"title\":\"t\",\"creator_user\":1}", KZ_E_INVALID, "creator_user", "got integer"},
        {"{\"title\":\"t\",\"created\":{}}", KZ_E_INVALID, "created", "got object"},
        {"{\"title\":\"t\",\"modified\":true}", KZ_E_INVALID, "modified", "got boolean"},
        {"{\"title\":\"t\",\"id\":5}", KZ_E_INVALID, "id", "got integer"},
        {"{\"title\":\"t\",\"indicators\":{}}", KZ_E_INVALID, "indicators", "must be an array, got object"},
        {"{\"title\":\"t\",\"Title\":\"u\"}", KZ_E_INVALID, "Title", "unknown field 'Title'"},
        {"{\"title\":\"t\",\"info\":\"u\"}", KZ_E_INVALID, "info", "unknown field 'info'"},
        {"[]", KZ_E_INVALID, "", "body must be a JSON object"},
    };
    check_event_errors(cases, KZ_ARRAY_LEN(cases));
}

static void event_bad_values(void **state)
{
    (void)state;
    const struct err_case cases[] = {
        {"{\"title\":\"\"}", KZ_E_VALUE, "title", "must not be empty"},
        {"{\"title\":\"   \"}", KZ_E_VALUE, "title", "must not be empty"},
        {"{\"title\":\"a\\nb\"}", KZ_E_VALUE, "title", "control character (0x0a at byte 1)"},
        {"{\"title\":\"t\",\"threat_level\":0}", KZ_E_VALUE, "threat_level", "integer 1-4, got 0"},
        {"{\"title\":\"t\",\"threat_level\":5}", KZ_E_VALUE, "threat_level", "got 5"},
        {"{\"title\":\"t\",\"analysis\":-1}", KZ_E_VALUE, "analysis", "got -1"},
        {"{\"title\":\"t\",\"tlp\":\"purple\"}", KZ_E_VALUE, "tlp", "got 'purple'"},
        {"{\"title\":\"t\",\"tlp\":\"white\"}", KZ_E_VALUE, "tlp", "got 'white'"},
        {"{\"title\":\"t\",\"pap\":\"amber+strict\"}", KZ_E_VALUE, "pap", "got 'amber+strict'"},
        {"{\"title\":\"t\",\"distribution\":\"world\"}", KZ_E_VALUE, "distribution",
         "must be one of org, community, connected, all, sharing_group; got 'world'"},
        {"{\"title\":\"t\",\"community_id\":\"" U1 "0\"}", KZ_E_VALUE, "community_id", "must be a UUID"},
        {"{\"title\":\"t\",\"creator_org\":\"11111111-1111-4111-8111-11111111111g\"}", KZ_E_VALUE, "creator_org",
         "got '11111111-1111-4111-8111-11111111111g'"},
        {"{\"title\":\"t\",\"recipient_orgs\":[\"" U1 "\",\"x\"]}", KZ_E_VALUE, "recipient_orgs[1]", "got 'x'"},
        {"{\"title\":\"t\",\"created\":\"2026-02-30T00:00:00Z\"}", KZ_E_VALUE, "created",
         "RFC 3339 time (e.g. 2026-11-21T09:30:00Z), got '2026-02-30T00:00:00Z'"},
        {"{\"title\":\"t\",\"published_at\":\"yesterday\"}", KZ_E_VALUE, "published_at", "got 'yesterday'"},
        {"{\"title\":\"t\",\"tags\":[\"ok\",\"\"]}", KZ_E_VALUE, "tags[1]", "tags[1]: tag is empty"},
        {"{\"title\":\"t\",\"tags\":[\"a\\u0001b\"]}", KZ_E_VALUE, "tags[0]", "control character"},
        {"{\"title\":\"t\",\"distribution\":\"sharing_group\"}", KZ_E_VALUE, "sharing_group_id",
         "required when distribution is sharing_group"},
        {"{\"title\":\"t\",\"sharing_group_id\":\"" U2 "\"}", KZ_E_VALUE, "sharing_group_id",
         "only allowed with distribution sharing_group"},
    };
    check_event_errors(cases, KZ_ARRAY_LEN(cases));
}

static void event_too_long(void **state)
{
    (void)state;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"title\":\"");
    for (int i = 0; i < KZ_MAX_TITLE; i++)
        kz_buf_puts(&b, "\xe3\x81\x82"); /* 3 bytes each: 3072 bytes */
    kz_buf_puts(&b, "\"}");
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    assert_int_equal(parse_event(b.p, &ev, &errs, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "title");
    assert_contains(e.msg, "too long: 3072 bytes, at most 1024");

    /* 257 tags */
    kz_buf_reset(&b);
    kz_buf_puts(&b, "{\"title\":\"t\",\"tags\":[");
    for (int i = 0; i <= KZ_MAX_TAGS; i++)
        kz_buf_printf(&b, "%s\"t%d\"", i ? "," : "", i);
    kz_buf_puts(&b, "]}");
    assert_int_equal(parse_event(b.p, &ev, &errs, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "tags");
    assert_contains(e.msg, "257 tags, at most 256");

    /* a 300-byte tag */
    kz_buf_reset(&b);
    kz_buf_puts(&b, "{\"title\":\"t\",\"tags\":[\"");
    for (int i = 0; i < 300; i++)
        kz_buf_putc(&b, 'x');
    kz_buf_puts(&b, "\"]}");
    assert_int_equal(parse_event(b.p, &ev, &errs, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "tags[0]");
    kz_buf_free(&b);
}

static void event_tlp_tags(void **state)
{
    (void)state;
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    /* Machine tags set the fields and leave the tag list. */
    assert_int_equal(parse_event("{\"title\":\"t\",\"tags\":[\"tlp:RED\",\"x\",\"PAP:GREEN\"]}", &ev, &errs, &e), 0);
    assert_int_equal(ev.tlp, KZ_TLP_RED);
    assert_int_equal(ev.pap, KZ_PAP_GREEN);
    assert_int_equal(ev.tags.n, 1);
    assert_string_equal(ev.tags.v[0], "x");
    /* TLP 1.0 white is clear. */
    assert_int_equal(parse_event("{\"title\":\"t\",\"tags\":[\"tlp:white\"]}", &ev, &errs, &e), 0);
    assert_int_equal(ev.tlp, KZ_TLP_CLEAR);
    assert_int_equal(ev.tags.n, 0);
    /* Field and tag that agree are fine; the same tag twice too. */
    assert_int_equal(parse_event("{\"title\":\"t\",\"tlp\":\"green\",\"tags\":[\"tlp:green\",\"tlp:green\"]}", &ev,
                                 &errs, &e),
                     0);
    assert_int_equal(ev.tlp, KZ_TLP_GREEN);

    const struct err_case cases[] = {
        {"{\"title\":\"t\",\"tlp\":\"green\",\"tags\":[\"tlp:red\"]}", KZ_E_VALUE, "tlp",
         "'tlp' is green but the tags say red"},
        {"{\"title\":\"t\",\"tags\":[\"tlp:red\"],\"tlp\":\"clear\"}", KZ_E_VALUE, "tlp", "is clear but the tags say red"},
        {"{\"title\":\"t\",\"tags\":[\"tlp:red\",\"a\",\"tlp:amber\"]}", KZ_E_VALUE, "tags[2]",
         "'tlp:amber' conflicts with TLP red set by tags[0]"},
        {"{\"title\":\"t\",\"pap\":\"clear\",\"tags\":[\"PAP:RED\"]}", KZ_E_VALUE, "pap", "is clear but the tags say red"},
        {"{\"title\":\"t\",\"tags\":[\"PAP:RED\",\"PAP:WHITE\"]}", KZ_E_VALUE, "tags[1]", "conflicts with PAP red"},
    };
    check_event_errors(cases, KZ_ARRAY_LEN(cases));
}

static void event_indicator_batch(void **state)
{
    (void)state;
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    const char *body = "{\"title\":\"batch\",\"indicators\":["
                       "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"},"
                       "{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"},"
                       "{\"type\":\"domain\",\"value\":\"example.org\"},"
                       "{\"type\":\"sha256\",\"value\":\"abc\"},"
                       "{\"type\":\"url\",\"value\":\"http://example.org/x\"}]}";
    assert_int_equal(parse_event(body, &ev, &errs, &e), KZ_E_VALUE);
    assert_int_equal(errs.n, 2);
    assert_string_equal(errs.v[0].field, "indicators[1].value");
    assert_int_equal(errs.v[0].code, KZ_E_VALUE);
    assert_string_equal(errs.v[0].msg, "indicators[1].value: '300.1.2.3' is not an IPv4 address");
    assert_string_equal(errs.v[1].field, "indicators[3].value");
    assert_contains(errs.v[1].msg, "indicators[3].value: 'abc'");
    assert_string_equal(e.field, "indicators");
    assert_string_equal(e.msg, "2 of 5 indicators are invalid");

    /* One row with a shape error makes the whole answer a 400. */
    body = "{\"title\":\"batch\",\"indicators\":["
           "{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"},"
           "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\",\"to_ids\":\"yes\"},"
           "\"192.0.2.2\","
           "{\"type\":\"ipv4\"},"
           "{\"type\":\"ipv4\",\"value\":\"192.0.2.3\",\"color\":1}]}";
    assert_int_equal(parse_event(body, &ev, &errs, &e), KZ_E_INVALID);
    assert_int_equal(errs.n, 5);
    assert_string_equal(errs.v[1].field, "indicators[1].to_ids");
    assert_string_equal(errs.v[1].msg, "'indicators[1].to_ids' must be a boolean (true or false), got string");
    assert_string_equal(errs.v[2].field, "indicators[2]");
    assert_contains(errs.v[2].msg, "'indicators[2]' must be an object, got string");
    assert_string_equal(errs.v[3].field, "indicators[3].value");
    assert_contains(errs.v[3].msg, "missing required field 'indicators[3].value'");
    assert_string_equal(errs.v[4].field, "indicators[4].color");
    assert_contains(errs.v[4].msg, "unknown field 'indicators[4].color'");

    /* An event-level error stops before the indicators are read. */
    body = "{\"title\":\"batch\",\"tlp\":\"x\",\"indicators\":[{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"}]}";
    assert_int_equal(parse_event(body, &ev, &errs, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "tlp");
    assert_int_equal(errs.n, 0);
}

static void event_indicator_not_looser(void **state)
{
    (void)state;
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    const char *body = "{\"title\":\"t\",\"tlp\":\"amber\",\"distribution\":\"community\",\"indicators\":["
                       "{\"type\":\"ipv4\",\"value\":\"192.0.2.1\",\"tlp\":\"green\"},"
                       "{\"type\":\"ipv4\",\"value\":\"192.0.2.2\",\"tlp\":\"red\",\"distribution\":\"org\"},"
                       "{\"type\":\"ipv4\",\"value\":\"192.0.2.3\",\"distribution\":\"all\"},"
                       "{\"type\":\"ipv4\",\"value\":\"192.0.2.4\",\"tags\":[\"tlp:clear\"]}]}";
    assert_int_equal(parse_event(body, &ev, &errs, &e), KZ_E_VALUE);
    assert_int_equal(errs.n, 3);
    assert_string_equal(errs.v[0].field, "indicators[0].tlp");
    assert_contains(errs.v[0].msg, "indicators[0].tlp: ");
    assert_contains(errs.v[0].msg, "looser");
    assert_string_equal(errs.v[1].field, "indicators[2].distribution");
    assert_string_equal(errs.v[2].field, "indicators[3].tlp");
}

static void event_patch(void **state)
{
    (void)state;
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    assert_int_equal(parse_event("{\"id\":\"" U1 "\",\"title\":\"t\",\"creator_org\":\"" U2 "\","
                                 "\"distribution\":\"sharing_group\",\"sharing_group_id\":\"" U3 "\"}",
                                 &ev, &errs, &e),
                     0);
    json_t *j = load("{\"title\":\"new\",\"tags\":[\"tlp:red\",\"ransomware\"],\"threat_level\":2,"
                     "\"distribution\":\"community\",\"id\":\"" U1 "\"}");
    assert_int_equal(kz_json_event_patch(j, &A, &ev, &e), 0);
    json_decref(j);
    assert_string_equal(ev.title, "new");
    assert_int_equal(ev.tlp, KZ_TLP_RED);
    assert_int_equal(ev.threat_level, 2);
    assert_int_equal(ev.tags.n, 1);
    assert_int_equal(ev.distribution, KZ_DIST_COMMUNITY);
    assert_string_equal(ev.sharing_group_id, ""); /* dropped with the distribution */
    assert_int_equal(ev.pap, KZ_PAP_AMBER);        /* untouched */

    struct {
        const char *body;
        int code;
        const char *field, *frag;
    } bad[] = {
        {"{\"id\":\"" U2 "\"}", KZ_E_INVALID, "id", "field 'id' cannot be changed"},
        {"{\"creator_org\":\"" U1 "\"}", KZ_E_INVALID, "creator_org", "field 'creator_org' cannot be changed"},
        {"{\"creator_user\":\"" U1 "\"}", KZ_E_INVALID, "creator_user", "cannot be changed"},
        {"{\"published\":true}", KZ_E_INVALID, "published", "field 'published' cannot be changed"},
        {"{\"created\":\"2020-01-01\"}", KZ_E_INVALID, "created", "cannot be changed"},
        {"{\"indicators\":[]}", KZ_E_INVALID, "indicators", "POST /api/v1/events/{id}/indicators"},
        {"{\"title\":\"x\",\"tlp\":\"nope\"}", KZ_E_VALUE, "tlp", "got 'nope'"},
        {"{\"title\":\"x\",\"tlp\":\"green\",\"tags\":[\"tlp:red\"]}", KZ_E_VALUE, "tlp", "the tags say red"},
        {"{\"distribution\":\"sharing_group\"}", KZ_E_VALUE, "sharing_group_id", "required"},
        {"{\"bogus\":1}", KZ_E_INVALID, "bogus", "unknown field 'bogus'"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        j = load(bad[i].body);
        kz_err_clear(&e);
        assert_int_equal(kz_json_event_patch(j, &A, &ev, &e), bad[i].code);
        assert_string_equal(e.field, bad[i].field);
        assert_contains(e.msg, bad[i].frag);
        json_decref(j);
        /* A failed PATCH changes nothing. */
        assert_string_equal(ev.title, "new");
        assert_int_equal(ev.tlp, KZ_TLP_RED);
        assert_false(ev.published);
    }
}

/* ---- indicators ---------------------------------------------------------- */

static int parse_ind(const char *body, kz_indicator *ind, kz_err *e)
{
    json_t *j = load(body);
    kz_err_clear(e);
    int rc = kz_json_indicator_parse(j, "", &A, ind, e);
    json_decref(j);
    return rc;
}

static void indicator_defaults_and_round_trip(void **state)
{
    (void)state;
    kz_indicator ind;
    kz_err e;
    assert_int_equal(parse_ind("{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"}", &ind, &e), 0);
    assert_true(ind.to_ids);
    assert_int_equal(ind.tlp, -1);
    assert_int_equal(ind.distribution, -1);
    assert_int_equal(ind.type, KZ_IOC_IPV4);
    json_t *out = kz_json_indicator(&ind);
    assert_int_equal(json_object_size(out), 13);
    assert_true(json_is_null(json_object_get(out, "tlp")));
    assert_true(json_is_null(json_object_get(out, "distribution")));
    assert_true(json_is_true(json_object_get(out, "to_ids")));
    assert_true(json_is_null(json_object_get(out, "first_seen")));
    json_decref(out);

    assert_int_equal(parse_ind("{\"id\":\"" U1 "\",\"event_id\":\"" U2 "\",\"type\":\"url\","
                               "\"value\":\"hxxp://evil[.]example[.]com/login\",\"to_ids\":false,"
                               "\"comment\":\"phish\\tkit\",\"first_seen\":\"2026-01-01T00:00:00+09:00\","
                               "\"last_seen\":\"2026-02-01\",\"tags\":[\"kit\",\"tlp:amber+strict\"],"
                               "\"distribution\":\"community\",\"created\":null,\"modified\":null}",
                               &ind, &e),
                     0);
    assert_string_equal(ind.value, "http://evil.example.com/login");
    assert_int_equal(ind.tlp, KZ_TLP_AMBER_STRICT);
    assert_int_equal(ind.distribution, KZ_DIST_COMMUNITY);
    assert_int_equal(ind.tags.n, 1);
    out = kz_json_indicator(&ind);
    assert_string_equal(json_string_value(json_object_get(out, "type")), "url");
    assert_string_equal(json_string_value(json_object_get(out, "value")), "http://evil.example.com/login");
    assert_string_equal(json_string_value(json_object_get(out, "first_seen")), "2025-12-31T15:00:00.000000Z");
    assert_string_equal(json_string_value(json_object_get(out, "tlp")), "amber+strict");
    assert_string_equal(json_string_value(json_object_get(out, "distribution")), "community");
    assert_string_equal(json_string_value(json_object_get(out, "event_id")), U2);
    kz_indicator back;
    kz_err_clear(&e);
    assert_int_equal(kz_json_indicator_parse(out, NULL, &A, &back, &e), 0);
    assert_string_equal(back.value, ind.value);
    assert_int_equal(back.first_seen, ind.first_seen);
    assert_int_equal(back.last_seen, ind.last_seen);
    assert_int_equal(back.tlp, ind.tlp);
    assert_false(back.to_ids);
    json_decref(out);
}

static void indicator_misp_types_and_refang(void **state)
{
    (void)state;
    kz_indicator ind;
    kz_err e;
    assert_int_equal(parse_ind("{\"type\":\"ip-dst\",\"value\":\"2001:DB8:0:0::1\"}", &ind, &e), 0);
    assert_int_equal(ind.type, KZ_IOC_IPV6);
    assert_string_equal(ind.value, "2001:db8::1");
    assert_int_equal(parse_ind("{\"type\":\"ip-src\",\"value\":\"198.51.100.7\"}", &ind, &e), 0);
    assert_int_equal(ind.type, KZ_IOC_IPV4);
    assert_int_equal(parse_ind("{\"type\":\"ip-dst\",\"value\":\"198.51.100.0/24\"}", &ind, &e), 0);
    assert_int_equal(ind.type, KZ_IOC_CIDR);
    assert_int_equal(parse_ind("{\"type\":\"domain\",\"value\":\"EVIL[.]Example[.]COM\"}", &ind, &e), 0);
    assert_string_equal(ind.value, "evil.example.com");
    assert_int_equal(parse_ind("{\"type\":\"ipv4\",\"value\":\"198[.]51[.]100[.]7\"}", &ind, &e), 0);
    assert_string_equal(ind.value, "198.51.100.7");
    assert_int_equal(parse_ind("{\"type\":\"md5\",\"value\":\"D41D8CD98F00B204E9800998ECF8427E\"}", &ind, &e), 0);
    assert_string_equal(ind.value, "d41d8cd98f00b204e9800998ecf8427e");
}

static void indicator_errors(void **state)
{
    (void)state;
    const struct err_case cases[] = {
        {"{\"value\":\"1.2.3.4\"}", KZ_E_INVALID, "type", "missing required field 'type'"},
        {"{\"type\":\"ipv4\"}", KZ_E_INVALID, "value", "missing required field 'value'"},
        {"{\"type\":1,\"value\":\"1.2.3.4\"}", KZ_E_INVALID, "type", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":16909060}", KZ_E_INVALID, "value", "must be a string, got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"to_ids\":\"true\"}", KZ_E_INVALID, "to_ids", "got string"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"comment\":1}", KZ_E_INVALID, "comment", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"first_seen\":1}", KZ_E_INVALID, "first_seen", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"last_seen\":true}", KZ_E_INVALID, "last_seen", "got boolean"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"tags\":{}}", KZ_E_INVALID, "tags", "got object"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"tlp\":4}", KZ_E_INVALID, "tlp", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"distribution\":0}", KZ_E_INVALID, "distribution", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"id\":1}", KZ_E_INVALID, "id", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"event_id\":1}", KZ_E_INVALID, "event_id", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"created\":1}", KZ_E_INVALID, "created", "got integer"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"modified\":[]}", KZ_E_INVALID, "modified", "got array"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"deleted\":false}", KZ_E_INVALID, "deleted", "unknown field"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"category\":\"Network activity\"}", KZ_E_INVALID, "category",
         "unknown field 'category'"},
        {"{\"type\":\"ip-address\",\"value\":\"1.2.3.4\"}", KZ_E_VALUE, "type", "got 'ip-address'"},
        {"{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"}", KZ_E_VALUE, "value",
         "value: '300.1.2.3' is not an IPv4 address"},
        {"{\"type\":\"ipv4\",\"value\":\"\"}", KZ_E_VALUE, "value", "must not be empty"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"tlp\":\"black\"}", KZ_E_VALUE, "tlp", "got 'black'"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"distribution\":\"everyone\"}", KZ_E_VALUE, "distribution",
         "got 'everyone'"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"event_id\":\"x\"}", KZ_E_VALUE, "event_id", "got 'x'"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"first_seen\":\"2026-01-01T24:00:00Z\"}", KZ_E_VALUE,
         "first_seen", "got '2026-01-01T24:00:00Z'"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"first_seen\":\"2026-02-01\",\"last_seen\":\"2026-01-01\"}",
         KZ_E_VALUE, "last_seen", "before 'first_seen'"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"tlp\":\"red\",\"tags\":[\"tlp:green\"]}", KZ_E_VALUE, "tlp",
         "is red but the tags say green"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"tlp\":null,\"tags\":[\"tlp:green\"]}", KZ_E_VALUE, "tlp",
         "is null but the tags say green"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"tags\":[\"tlp:green\",\"tlp:red\"]}", KZ_E_VALUE, "tags[1]",
         "conflicts with TLP green"},
        {"{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"comment\":\"a\\u001bb\"}", KZ_E_VALUE, "comment",
         "control character (0x1b"},
        {"7", KZ_E_INVALID, "", "body must be a JSON object, got integer"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        kz_indicator ind;
        kz_err e;
        json_t *j = NULL;
        kz_err_clear(&e);
        if (cases[i].body[0] == '{') {
            j = load(cases[i].body);
        } else {
            j = json_loads(cases[i].body, JSON_DECODE_ANY, NULL);
        }
        int rc = kz_json_indicator_parse(j, "", &A, &ind, &e);
        json_decref(j);
        if (rc != cases[i].code || strcmp(e.field, cases[i].field) || !strstr(e.msg, cases[i].frag))
            fail_msg("case %zu %s: got %d field '%s' msg '%s'", i, cases[i].body, rc, e.field, e.msg);
    }
    /* With a path prefix, fields are named in full. */
    json_t *j = load("{\"type\":\"ipv4\",\"value\":\"300.1.2.3\"}");
    kz_indicator ind;
    kz_err e;
    assert_int_equal(kz_json_indicator_parse(j, "indicators[3]", &A, &ind, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "indicators[3].value");
    assert_string_equal(e.msg, "indicators[3].value: '300.1.2.3' is not an IPv4 address");
    json_decref(j);
    /* A value over the limit. */
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"type\":\"text\",\"value\":\"");
    for (int i = 0; i <= KZ_MAX_VALUE; i++)
        kz_buf_putc(&b, 'v');
    kz_buf_puts(&b, "\"}");
    j = load(b.p);
    kz_buf_free(&b);
    assert_int_equal(kz_json_indicator_parse(j, "", &A, &ind, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "value");
    assert_contains(e.msg, "too long: 8193 bytes, at most 8192");
    json_decref(j);
    /* A string built in C with a NUL inside is refused, not truncated. */
    j = json_pack("{s:s, s:s%}", "type", "domain", "value", "evil.com\0.example.org", (size_t)21);
    assert_non_null(j);
    assert_int_equal(kz_json_indicator_parse(j, "", &A, &ind, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "value");
    assert_contains(e.msg, "NUL");
    json_decref(j);
}

static void indicators_batch(void **state)
{
    (void)state;
    kz_indicator *rows;
    size_t n;
    kz_errlist errs;
    kz_err e;
    /* Bare array and wrapped object. */
    const char *bodies[] = {"[{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"},{\"type\":\"AS\",\"value\":\"as64500\"}]",
                            "{\"indicators\":[{\"type\":\"ipv4\",\"value\":\"192.0.2.1\"},"
                            "{\"type\":\"AS\",\"value\":\"as64500\"}]}"};
    for (size_t i = 0; i < 2; i++) {
        json_t *j = load(bodies[i]);
        memset(&errs, 0, sizeof errs);
        assert_int_equal(kz_json_indicators_parse(j, &A, &rows, &n, &errs, &e), 0);
        json_decref(j);
        assert_int_equal(n, 2);
        assert_int_equal(rows[1].type, KZ_IOC_ASN);
        assert_string_equal(rows[1].value, "AS64500");
        assert_int_equal(errs.n, 0);
    }
    /* 5 rows, 2 bad: exactly those 2, with their paths. */
    json_t *j = load("[{\"type\":\"domain\",\"value\":\"ok.example\"},"
                     "{\"type\":\"domain\",\"value\":\"bad..example\"},"
                     "{\"type\":\"sha1\",\"value\":\"da39a3ee5e6b4b0d3255bfef95601890afd80709\"},"
                     "{\"type\":\"email\",\"value\":\"x@example.org\"},"
                     "{\"type\":\"cve\",\"value\":\"CVE-12\"}]");
    memset(&errs, 0, sizeof errs);
    assert_int_equal(kz_json_indicators_parse(j, &A, &rows, &n, &errs, &e), KZ_E_VALUE);
    json_decref(j);
    assert_int_equal(errs.n, 2);
    assert_string_equal(errs.v[0].field, "indicators[1].value");
    assert_contains(errs.v[0].msg, "indicators[1].value: 'bad..example'");
    assert_string_equal(errs.v[1].field, "indicators[4].value");
    assert_contains(errs.v[1].msg, "'CVE-12'");
    assert_null(rows);
    assert_int_equal(n, 0);
    assert_string_equal(e.msg, "2 of 5 indicators are invalid");

    /* The errors serialise as [{field, message}]. */
    json_t *arr = kz_json_errlist(&errs);
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "field")), "indicators[4].value");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "message")), errs.v[1].msg);
    assert_int_equal(json_object_size(json_array_get(arr, 0)), 2);
    json_decref(arr);

    const struct {
        const char *body;
        const char *field, *frag;
    } shape[] = {
        {"{\"indicators\":[],\"event\":1}", "event", "unknown field 'event'"},
        {"{\"indicators\":{}}", "indicators", "must be an array, got object"},
        {"{}", "indicators", "missing required field 'indicators'"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(shape); i++) {
        j = load(shape[i].body);
        memset(&errs, 0, sizeof errs);
        kz_err_clear(&e);
        assert_int_equal(kz_json_indicators_parse(j, &A, &rows, &n, &errs, &e), KZ_E_INVALID);
        assert_string_equal(e.field, shape[i].field);
        assert_contains(e.msg, shape[i].frag);
        json_decref(j);
    }
    j = json_string("x");
    assert_int_equal(kz_json_indicators_parse(j, &A, &rows, &n, &errs, &e), KZ_E_INVALID);
    assert_contains(e.msg, "array of indicators");
    json_decref(j);
}

static void indicators_limits(void **state)
{
    (void)state;
    kz_indicator *rows;
    size_t n;
    kz_errlist errs;
    kz_err e;
    /* json_null() is a singleton, so a big array costs only its pointers. */
    json_t *arr = json_array();
    for (int i = 0; i < KZ_MAX_INDICATORS + 1; i++)
        json_array_append_new(arr, json_null());
    memset(&errs, 0, sizeof errs);
    assert_int_equal(kz_json_indicators_parse(arr, &A, &rows, &n, &errs, &e), KZ_E_TOOLARGE);
    assert_contains(e.msg, "1000001 indicators in one batch, at most 1000000");
    json_decref(arr);

    /* Past KZ_MAX_ERRORS bad rows the list stops growing; the count does not. */
    arr = json_array();
    for (int i = 0; i < 1500; i++)
        json_array_append_new(arr, json_null());
    memset(&errs, 0, sizeof errs);
    assert_int_equal(kz_json_indicators_parse(arr, &A, &rows, &n, &errs, &e), KZ_E_INVALID);
    assert_int_equal(errs.n, KZ_MAX_ERRORS);
    assert_string_equal(errs.v[999].field, "indicators[999]");
    assert_string_equal(e.msg, "1500 of 1500 indicators are invalid (the first 1000 are listed)");
    json_decref(arr);
}

static void indicator_patch(void **state)
{
    (void)state;
    kz_indicator ind;
    kz_err e;
    assert_int_equal(parse_ind("{\"id\":\"" U1 "\",\"event_id\":\"" U2 "\",\"type\":\"ip-dst\",\"value\":\"192.0.2.1\"}",
                               &ind, &e),
                     0);
    json_t *j = load("{\"value\":\"192[.]0[.]2[.]99\",\"to_ids\":false,\"tlp\":\"red\",\"comment\":\"moved\"}");
    assert_int_equal(kz_json_indicator_patch(j, &A, &ind, &e), 0);
    json_decref(j);
    assert_string_equal(ind.value, "192.0.2.99");
    assert_int_equal(ind.type, KZ_IOC_IPV4);
    assert_false(ind.to_ids);
    assert_int_equal(ind.tlp, KZ_TLP_RED);
    /* Changing the type re-checks the current value against it. */
    j = load("{\"type\":\"domain\"}");
    assert_int_equal(kz_json_indicator_patch(j, &A, &ind, &e), KZ_E_VALUE);
    assert_string_equal(e.field, "value");
    assert_int_equal(ind.type, KZ_IOC_IPV4);
    json_decref(j);
    j = load("{\"type\":\"cidr\",\"value\":\"192.0.2.0/24\",\"tlp\":null}");
    assert_int_equal(kz_json_indicator_patch(j, &A, &ind, &e), 0);
    assert_int_equal(ind.type, KZ_IOC_CIDR);
    assert_int_equal(ind.tlp, -1);
    json_decref(j);

    const struct err_case bad[] = {
        {"{\"id\":\"" U3 "\"}", KZ_E_INVALID, "id", "field 'id' cannot be changed"},
        {"{\"event_id\":\"" U3 "\"}", KZ_E_INVALID, "event_id", "field 'event_id' cannot be changed"},
        {"{\"created\":\"2026-01-01T00:00:00Z\"}", KZ_E_INVALID, "created", "cannot be changed"},
        {"{\"value\":\"999.0.0.0/8\"}", KZ_E_VALUE, "value", "999.0.0.0/8"},
        {"{\"nope\":1}", KZ_E_INVALID, "nope", "unknown field"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        j = load(bad[i].body);
        kz_err_clear(&e);
        assert_int_equal(kz_json_indicator_patch(j, &A, &ind, &e), bad[i].code);
        assert_string_equal(e.field, bad[i].field);
        assert_contains(e.msg, bad[i].frag);
        json_decref(j);
        assert_string_equal(ind.value, "192.0.2.0/24");
    }
    /* Repeating the current id is not a change. */
    j = load("{\"id\":\"" U1 "\",\"event_id\":\"" U2 "\",\"comment\":null}");
    assert_int_equal(kz_json_indicator_patch(j, &A, &ind, &e), 0);
    assert_null(ind.comment);
    json_decref(j);
}

/* ---- sightings ----------------------------------------------------------- */

static void sighting_json(void **state)
{
    (void)state;
    kz_sighting s;
    kz_err e;
    kz_time before = kz_time_now();
    json_t *j = load("{\"indicator_id\":\"" U1 "\"}");
    assert_int_equal(kz_json_sighting_parse(j, &A, &s, &e), 0);
    json_decref(j);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.type, KZ_SIGHTING_SEEN);
    assert_true(s.time >= before && s.time <= kz_time_now());

    j = load("{\"indicator_id\":\"" U1 "\",\"org_id\":\"" U2 "\",\"time\":\"2026-03-01T10:00:00Z\","
             "\"count\":42,\"source\":\"zeek sensor 3\",\"type\":\"false_positive\"}");
    assert_int_equal(kz_json_sighting_parse(j, &A, &s, &e), 0);
    json_decref(j);
    json_t *out = kz_json_sighting(&s);
    assert_int_equal(json_object_size(out), 8);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 42);
    assert_string_equal(json_string_value(json_object_get(out, "type")), "false_positive");
    assert_string_equal(json_string_value(json_object_get(out, "time")), "2026-03-01T10:00:00.000000Z");
    assert_string_equal(json_string_value(json_object_get(out, "org_id")), U2);
    json_decref(out);

    const struct err_case bad[] = {
        {"{}", KZ_E_INVALID, "indicator_id", "missing required field 'indicator_id'"},
        {"{\"indicator_id\":\"" U1 "\",\"count\":0}", KZ_E_VALUE, "count", "got 0"},
        {"{\"indicator_id\":\"" U1 "\",\"count\":\"3\"}", KZ_E_INVALID, "count", "got string"},
        {"{\"indicator_id\":\"" U1 "\",\"type\":\"maybe\"}", KZ_E_VALUE, "type", "got 'maybe'"},
        {"{\"indicator_id\":\"" U1 "\",\"time\":\"now\"}", KZ_E_VALUE, "time", "got 'now'"},
        {"{\"indicator_id\":\"" U1 "\",\"where\":\"x\"}", KZ_E_INVALID, "where", "unknown field"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        j = load(bad[i].body);
        kz_err_clear(&e);
        assert_int_equal(kz_json_sighting_parse(j, &A, &s, &e), bad[i].code);
        assert_string_equal(e.field, bad[i].field);
        assert_contains(e.msg, bad[i].frag);
        json_decref(j);
    }
}

/* Messages quote hostile values: cut on a character boundary, controls
 * hidden, so the error body is always valid UTF-8. */
static void messages_stay_utf8(void **state)
{
    (void)state;
    kz_buf b;
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"title\":\"t\",\"tlp\":\"");
    for (int i = 0; i < 40; i++)
        kz_buf_puts(&b, "\xe7\xb5\x86");
    kz_buf_puts(&b, "\"}");
    kz_event ev;
    kz_errlist errs;
    kz_err e;
    assert_int_equal(parse_event(b.p, &ev, &errs, &e), KZ_E_VALUE);
    assert_true(kz_utf8_valid(e.msg, strlen(e.msg)));
    assert_contains(e.msg, "...'");
    kz_buf_free(&b);

    /* A long unknown key is quoted, not copied whole into the field. */
    kz_buf_init(&b);
    kz_buf_puts(&b, "{\"title\":\"t\",\"");
    for (int i = 0; i < 200; i++)
        kz_buf_puts(&b, "\xc3\xa9");
    kz_buf_puts(&b, "\":1}");
    assert_int_equal(parse_event(b.p, &ev, &errs, &e), KZ_E_INVALID);
    assert_true(kz_utf8_valid(e.field, strlen(e.field)));
    assert_true(kz_utf8_valid(e.msg, strlen(e.msg)));
    assert_contains(e.msg, "unknown field '");
    kz_buf_free(&b);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(load_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(load_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(load_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(load_memory_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(org_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(org_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(org_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(org_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(user_parse_and_serialise, setup, teardown),
        cmocka_unit_test_setup_teardown(user_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(api_key_json, setup, teardown),
        cmocka_unit_test_setup_teardown(community_json, setup, teardown),
        cmocka_unit_test_setup_teardown(sharing_group_json, setup, teardown),
        cmocka_unit_test_setup_teardown(event_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(event_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(event_wrong_types, setup, teardown),
        cmocka_unit_test_setup_teardown(event_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(event_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(event_tlp_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(event_indicator_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(event_indicator_not_looser, setup, teardown),
        cmocka_unit_test_setup_teardown(event_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(indicator_defaults_and_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(indicator_misp_types_and_refang, setup, teardown),
        cmocka_unit_test_setup_teardown(indicator_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(indicators_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(indicators_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(indicator_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(sighting_json, setup, teardown),
        cmocka_unit_test_setup_teardown(messages_stay_utf8, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
