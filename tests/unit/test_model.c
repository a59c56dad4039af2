/* test_model.c — model vocabulary, country codes, tags (machine tags, TLP and
 * PAP tags against the MISP taxonomies), API keys and passwords. */
#include "kz_test.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

/* ---- vocabulary --------------------------------------------------------- */

typedef struct vocab {
    const char *(*name)(int);
    int (*parse)(const char *);
    const char *const *names; /* the wire names, in enum order (docs/api.md) */
    size_t n;
} vocab;

/* Thin int wrappers so that one loop covers every vocabulary. */
static const char *tlp_name(int v)
{
    return kz_tlp_name((kz_tlp)v);
}
static const char *pap_name(int v)
{
    return kz_pap_name((kz_pap)v);
}
static const char *dist_name(int v)
{
    return kz_distribution_name((kz_distribution)v);
}
static const char *role_name(int v)
{
    return kz_role_name((kz_role)v);
}
static const char *org_type_name(int v)
{
    return kz_org_type_name((kz_org_type)v);
}
static const char *sighting_name(int v)
{
    return kz_sighting_type_name((kz_sighting_type)v);
}

static const char *const TLP[] = {"clear", "green", "amber", "amber+strict", "red"};
static const char *const PAP[] = {"clear", "green", "amber", "red"};
static const char *const DIST[] = {"org", "community", "connected", "all", "sharing_group"};
static const char *const ROLE[] = {"admin", "org_admin", "publisher", "analyst", "read_only", "sync"};
static const char *const ORGT[] = {"national_cert", "government", "company", "ngo", "academic"};
static const char *const SIGHT[] = {"seen", "false_positive", "expired"};

static void upper(const char *s, char *out)
{
    size_t i = 0;
    for (; s[i]; i++)
        out[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    out[i] = '\0';
}

static void vocab_round_trips(void **state)
{
    (void)state;
    const vocab vs[] = {
        {tlp_name, kz_tlp_parse, TLP, KZ_ARRAY_LEN(TLP)},
        {pap_name, kz_pap_parse, PAP, KZ_ARRAY_LEN(PAP)},
        {dist_name, kz_distribution_parse, DIST, KZ_ARRAY_LEN(DIST)},
        {role_name, kz_role_parse, ROLE, KZ_ARRAY_LEN(ROLE)},
        {org_type_name, kz_org_type_parse, ORGT, KZ_ARRAY_LEN(ORGT)},
        {sighting_name, kz_sighting_type_parse, SIGHT, KZ_ARRAY_LEN(SIGHT)},
    };
    for (size_t k = 0; k < KZ_ARRAY_LEN(vs); k++) {
        for (size_t i = 0; i < vs[k].n; i++) {
            char up[64], mixed[64];
            assert_string_equal(vs[k].name((int)i), vs[k].names[i]);
            assert_int_equal(vs[k].parse(vs[k].names[i]), (int)i);
            upper(vs[k].names[i], up);
            assert_int_equal(vs[k].parse(up), (int)i);
            strcpy(mixed, vs[k].names[i]);
            mixed[0] = up[0];
            assert_int_equal(vs[k].parse(mixed), (int)i);
        }
        assert_null(vs[k].name((int)vs[k].n));
        assert_null(vs[k].name(-1));
        const char *unknown[] = {"", "purple", " red", "red ", "amber strict", "org-admin", "readonly"};
        for (size_t i = 0; i < KZ_ARRAY_LEN(unknown); i++)
            assert_int_equal(vs[k].parse(unknown[i]), -1);
        assert_int_equal(vs[k].parse(NULL), -1);
    }
    /* TLP 1.0's "white" is only accepted as a tag, not as a field value. */
    assert_int_equal(kz_tlp_parse("white"), -1);
    assert_int_equal(kz_pap_parse("amber+strict"), -1);
}

static void distribution_rank(void **state)
{
    (void)state;
    /* no_wider[a][b], rows and columns in enum order ORG COMMUNITY CONNECTED
     * ALL SHARING_GROUP; reach ranks ORG < SG < COMMUNITY < CONNECTED < ALL. */
    static const bool no_wider[5][5] = {
        /*              org comm conn all  sg */
        /* org  */ {1, 1, 1, 1, 1},
        /* comm */ {0, 1, 1, 1, 0},
        /* conn */ {0, 0, 1, 1, 0},
        /* all  */ {0, 0, 0, 1, 0},
        /* sg   */ {0, 1, 1, 1, 1},
    };
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            if (kz_distribution_no_wider((kz_distribution)a, (kz_distribution)b) != no_wider[a][b])
                fail_msg("kz_distribution_no_wider(%s, %s) should be %d", DIST[a], DIST[b], no_wider[a][b]);
        }
    assert_false(kz_distribution_no_wider((kz_distribution)7, KZ_DIST_ALL));
    assert_false(kz_distribution_no_wider(KZ_DIST_ORG, (kz_distribution)7));
}

/* ---- countries ---------------------------------------------------------- */

static void countries(void **state)
{
    (void)state;
    char out[3];
    assert_true(kz_country_normalize("JP", out));
    assert_string_equal(out, "JP");
    assert_true(kz_country_normalize("th", out));
    assert_string_equal(out, "TH");
    assert_true(kz_country_normalize("Gb", out));
    assert_string_equal(out, "GB");
    /* first and last codes of the sorted table, and recent assignments */
    const char *valid[] = {"AD", "ZW", "SS", "BQ", "CW", "SX", "BL", "MF", "AX", "PS", "TL", "KR",
                           "KP", "SG", "VN", "PH", "MY", "ID", "LA", "KH", "MM", "BN", "AU", "US"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(valid); i++)
        assert_true(kz_country_normalize(valid[i], out));
    /* reserved or user-assigned codes that are not countries, and bad shapes */
    const char *invalid[] = {"XX", "UK", "EU", "UN",  "AC", "TA", "XK", "EZ", "AA",   "ZZ",
                             "QO", "",   "J",  "JPN", "J1", "1J", "J ", " J", "日本", "\xc3\xa9"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(invalid); i++) {
        if (kz_country_normalize(invalid[i], out))
            fail_msg("'%s' was accepted as a country code", invalid[i]);
    }
    assert_false(kz_country_normalize(NULL, out));

    /* Exactly the 249 officially assigned codes. */
    int count = 0;
    char s[3] = {0};
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++) {
            s[0] = a;
            s[1] = b;
            count += kz_country_normalize(s, out);
        }
    assert_int_equal(count, 249);

    /* Cross-check with the system's iso-codes list where the machine has it. */
    json_t *iso = json_load_file("/usr/share/iso-codes/json/iso_3166-1.json", 0, NULL);
    if (iso) {
        json_t *list = json_object_get(iso, "3166-1");
        assert_int_equal(json_array_size(list), 249);
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            const char *a2 = json_string_value(json_object_get(c, "alpha_2"));
            assert_non_null(a2);
            if (!kz_country_normalize(a2, out))
                fail_msg("assigned code %s is refused", a2);
        }
        json_decref(iso);
    } else {
        print_message("note: /usr/share/iso-codes absent; checked the count only\n");
    }
}

/* ---- tags --------------------------------------------------------------- */

static void tag_machine_and_free(void **state)
{
    (void)state;
    kz_tag_parts p;
    kz_err err;
    struct {
        const char *in, *ns, *pred, *value;
        bool machine;
    } cases[] = {
        {"phishing", "", "", "", false},
        {"tlp:amber", "tlp", "amber", "", true},
        {"PAP:RED", "PAP", "RED", "", true},
        {"tlp:ex:chr", "tlp", "ex:chr", "", true},
        {"misp-galaxy:threat-actor=\"APT 28\"", "misp-galaxy", "threat-actor", "APT 28", true},
        {"  osint:source-type=\"blog-post\"\t", "osint", "source-type", "blog-post", true},
        {"admiralty-scale:source-reliability=a", "admiralty-scale", "source-reliability", "a", true},
        {"ns:pred=\"say \"hi\"\"", "ns", "pred", "say \"hi\"", true},
        {"ms-caro-malware:malware-type=\"日本\"", "ms-caro-malware", "malware-type", "日本", true},
        {"Threat: ransomware", "", "", "", false}, /* space in the predicate */
        {"a b:c", "", "", "", false},              /* space in the namespace */
        {":x", "", "", "", false},
        {"x:", "", "", "", false},
        {"x:=v", "", "", "", false},
        {"ns:pred=", "", "", "", false},
        {"ns:pred=\"\"", "", "", "", false},
        {"ns:pred=\"open", "", "", "", false},
        {"ns:pr\"ed", "", "", "", false},
        {"日本:x", "", "", "", false},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        memset(&p, 0x55, sizeof p);
        if (kz_tag_parse(cases[i].in, &p, &err) != 0)
            fail_msg("'%s' refused: %s", cases[i].in, err.msg);
        if (p.machine != cases[i].machine)
            fail_msg("'%s': machine should be %d", cases[i].in, cases[i].machine);
        assert_string_equal(p.ns, cases[i].ns);
        assert_string_equal(p.predicate, cases[i].pred);
        assert_string_equal(p.value, cases[i].value);
    }

    /* Namespace at most 63 bytes and predicate at most 127; longer ones
     * stay free text rather than being cut. */
    char t[256];
    memset(t, 'n', 63);
    strcpy(t + 63, ":p");
    assert_int_equal(kz_tag_parse(t, &p, &err), 0);
    assert_true(p.machine);
    assert_int_equal(strlen(p.ns), 63);
    memset(t, 'n', 64);
    strcpy(t + 64, ":p");
    assert_int_equal(kz_tag_parse(t, &p, &err), 0);
    assert_false(p.machine);
    strcpy(t, "ns:");
    memset(t + 3, 'p', 127);
    t[130] = '\0';
    assert_int_equal(kz_tag_parse(t, &p, &err), 0);
    assert_true(p.machine);
    assert_int_equal(strlen(p.predicate), 127);
    memset(t + 3, 'p', 128);
    t[131] = '\0';
    assert_int_equal(kz_tag_parse(t, &p, &err), 0);
    assert_false(p.machine);
}

static void tag_rejects_bad(void **state)
{
    (void)state;
    kz_err err;
    kz_tag_parts p;
    char out[256];
    struct {
        const char *in, *msg;
    } bad[] = {
        {"", "tag is empty"},
        {" \t\r\n ", "tag is empty"},
        {"caf\xc3", "tag is not valid UTF-8"},
        {"\xff\xfe", "tag is not valid UTF-8"},
        {"\xc0\xaf", "tag is not valid UTF-8"},     /* overlong '/' */
        {"\xed\xa0\x80", "tag is not valid UTF-8"}, /* surrogate */
        {"a\tb", "tag contains a control character at byte 1"},
        {"ab\x7f", "tag contains a control character at byte 2"},
        {"x\xc2\x85y", "tag contains a control character at byte 1"}, /* U+0085 NEL */
        {"  a\x01", "tag contains a control character at byte 3"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        kz_err_clear(&err);
        assert_int_equal(kz_tag_check(bad[i].in, &err), KZ_E_VALUE);
        assert_string_equal(err.msg, bad[i].msg);
        assert_string_equal(err.field, "tags");
        assert_int_equal(kz_tag_parse(bad[i].in, &p, &err), KZ_E_VALUE);
        assert_false(p.machine);
        assert_int_equal(kz_tag_normalize(bad[i].in, out, &err), KZ_E_VALUE);
    }
    assert_int_equal(kz_tag_check(NULL, &err), KZ_E_VALUE);
    assert_string_equal(err.msg, "tag is missing");

    /* 255 bytes pass (also with white space around them), 256 do not. */
    char t[300];
    memset(t, 'a', 255);
    t[255] = '\0';
    assert_int_equal(kz_tag_check(t, &err), 0);
    char padded[310];
    snprintf(padded, sizeof padded, "  %s \n", t);
    assert_int_equal(kz_tag_normalize(padded, out, &err), 0);
    assert_string_equal(out, t);
    memset(t, 'a', 256);
    t[256] = '\0';
    assert_int_equal(kz_tag_check(t, &err), KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "is longer than 255 bytes (256)"));
    assert_non_null(strstr(err.msg, "'aaaaaaaaaa"));

    /* The quoted prefix of a long tag never splits a UTF-8 character, so the
     * message stays valid UTF-8 for the JSON error body. */
    t[0] = 'a';
    for (int i = 1; i + 1 < 299; i += 2) {
        t[i] = '\xc3';
        t[i + 1] = '\xa9';
    }
    t[299] = '\0';
    assert_int_equal(kz_tag_check(t, &err), KZ_E_VALUE);
    assert_true(kz_utf8_valid(err.msg, strlen(err.msg)));
    assert_non_null(strstr(err.msg, "longer than 255 bytes"));

    /* A huge input is refused without being read to the end of a buffer. */
    size_t big = 1 << 20;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, 'x', big);
    huge[big] = '\0';
    assert_int_equal(kz_tag_check(huge, &err), KZ_E_VALUE);
    assert_string_equal(err.msg, "tag is longer than 255 bytes");
    free(huge);

    assert_int_equal(kz_tag_normalize("  phishing\t", out, &err), 0);
    assert_string_equal(out, "phishing");
}

static void tlp_and_pap_tags(void **state)
{
    (void)state;
    static const char *const tlp_tags[] = {"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict",
                                           "tlp:red"};
    static const char *const pap_tags[] = {"PAP:CLEAR", "PAP:GREEN", "PAP:AMBER", "PAP:RED"};
    kz_tlp t;
    kz_pap p;
    for (int i = 0; i < 5; i++) {
        assert_string_equal(kz_tlp_tag((kz_tlp)i), tlp_tags[i]);
        t = (kz_tlp)-1;
        assert_int_equal(kz_tag_as_tlp(kz_tlp_tag((kz_tlp)i), &t), 0);
        assert_int_equal(t, i);
    }
    for (int i = 0; i < 4; i++) {
        assert_string_equal(kz_pap_tag((kz_pap)i), pap_tags[i]);
        p = (kz_pap)-1;
        assert_int_equal(kz_tag_as_pap(kz_pap_tag((kz_pap)i), &p), 0);
        assert_int_equal(p, i);
    }
    assert_null(kz_tlp_tag((kz_tlp)5));
    assert_null(kz_pap_tag((kz_pap)4));

    struct {
        const char *in;
        int tlp;
    } tc[] = {
        {"TLP:AMBER+STRICT", KZ_TLP_AMBER_STRICT},
        {"tlp:white", KZ_TLP_CLEAR},
        {"TLP:White", KZ_TLP_CLEAR},
        {"tlp:\"amber\"", KZ_TLP_AMBER},
        {" tlp:red ", KZ_TLP_RED},
        {"Tlp:Green", KZ_TLP_GREEN},
        {"tlp:ex:chr", -1},
        {"tlp:unclear", -1},
        {"tlp:amber strict", -1},
        {"tlp:amber+", -1},
        {"tlp", -1},
        {"tlp:", -1},
        {"PAP:RED", -1},
        {"tlp:red=x", -1},
        {"xtlp:red", -1},
        {"tlp :red", -1},
        {"tlp:\"red", -1},
        {"", -1},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(tc); i++) {
        t = (kz_tlp)99;
        int rc = kz_tag_as_tlp(tc[i].in, &t);
        if (tc[i].tlp < 0) {
            if (rc != -1)
                fail_msg("'%s' taken as a TLP tag", tc[i].in);
            assert_int_equal(t, 99); /* untouched */
        } else {
            if (rc != 0 || (int)t != tc[i].tlp)
                fail_msg("'%s' should be TLP %d", tc[i].in, tc[i].tlp);
        }
    }
    assert_int_equal(kz_tag_as_tlp(NULL, &t), -1);

    struct {
        const char *in;
        int pap;
    } pc[] = {
        {"pap:red", KZ_PAP_RED},
        {"PAP:WHITE", KZ_PAP_CLEAR},
        {"Pap:Amber", KZ_PAP_AMBER},
        {"PAP:\"GREEN\"", KZ_PAP_GREEN},
        {"PAP:AMBER+STRICT", -1},
        {"tlp:red", -1},
        {"PAP", -1},
        {"PAP:", -1},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(pc); i++) {
        int rc = kz_tag_as_pap(pc[i].in, &p);
        if (pc[i].pap < 0) {
            if (rc != -1)
                fail_msg("'%s' taken as a PAP tag", pc[i].in);
        } else if (rc != 0 || (int)p != pc[i].pap) {
            fail_msg("'%s' should be PAP %d", pc[i].in, pc[i].pap);
        }
    }
}

/* Every predicate of MISP's own taxonomies, as MISP writes it. */
static void taxonomies_from_misp(void **state)
{
    (void)state;
    char path[1024];
    const char *f = kz_test_data_path("misp/taxonomies/tlp.json", path, sizeof path);
    if (!f)
        skip();
    json_t *tax = json_load_file(f, 0, NULL);
    assert_non_null(tax);
    int recognised = 0;
    size_t i;
    json_t *pred;
    json_array_foreach(json_object_get(tax, "predicates"), i, pred)
    {
        const char *v = json_string_value(json_object_get(pred, "value"));
        char tag[128];
        snprintf(tag, sizeof tag, "%s:%s", json_string_value(json_object_get(tax, "namespace")), v);
        kz_tlp t;
        int rc = kz_tag_as_tlp(tag, &t);
        int want = kz_tlp_parse(v);
        if (strcmp(v, "white") == 0)
            want = KZ_TLP_CLEAR;
        if (want < 0) {
            if (rc != -1)
                fail_msg("%s is not a TLP level but was taken as one", tag);
        } else {
            if (rc != 0 || (int)t != want)
                fail_msg("%s should be TLP %d", tag, want);
            recognised++;
        }
    }
    assert_int_equal(recognised, 6); /* clear white green amber amber+strict red */
    json_decref(tax);

    f = kz_test_data_path("misp/taxonomies/PAP.json", path, sizeof path);
    assert_non_null(f);
    tax = json_load_file(f, 0, NULL);
    assert_non_null(tax);
    recognised = 0;
    json_array_foreach(json_object_get(tax, "predicates"), i, pred)
    {
        const char *v = json_string_value(json_object_get(pred, "value"));
        char tag[128];
        snprintf(tag, sizeof tag, "%s:%s", json_string_value(json_object_get(tax, "namespace")), v);
        kz_pap pp;
        assert_int_equal(kz_tag_as_pap(tag, &pp), 0);
        int want = strcmp(v, "WHITE") == 0 ? KZ_PAP_CLEAR : kz_pap_parse(v);
        assert_int_equal(pp, want);
        /* Our output spelling is MISP's own. */
        if (strcmp(v, "WHITE") != 0)
            assert_string_equal(kz_pap_tag(pp), tag);
        recognised++;
    }
    assert_int_equal(recognised, 5);
    json_decref(tax);
}

/* ---- API keys ----------------------------------------------------------- */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void keys(void **state)
{
    (void)state;
    uint8_t secret[32], secret2[32], h1[32], h2[32], h3[32];
    for (int i = 0; i < 32; i++) {
        secret[i] = (uint8_t)i;
        secret2[i] = (uint8_t)(i + 1);
    }
    char text[KZ_KEY_TEXT_LEN + 1], text2[KZ_KEY_TEXT_LEN + 1];
    kz_err err;
    assert_int_equal(kz_key_generate(secret, text, h1), 0);
    assert_int_equal(strlen(text), 46);
    assert_memory_equal(text, "kz_", 3);
    for (int i = 3; i < 46; i++)
        assert_non_null(strchr(B64URL, text[i]));
    assert_int_equal(kz_key_hash(secret, text, h2, &err), 0);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(kz_key_hash(secret2, text, h3, &err), 0);
    assert_memory_not_equal(h1, h3, 32);

    assert_int_equal(kz_key_generate(secret, text2, h3), 0);
    assert_string_not_equal(text, text2);
    assert_memory_not_equal(h1, h3, 32);

    /* The stored hash is BLAKE2b-256 of the 32 raw bytes keyed with the node
     * secret: other tools (and a future store) can rely on that. */
    uint8_t raw[32], want[32];
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)(0xa0 + i);
    char known[KZ_KEY_TEXT_LEN + 1] = "kz_";
    sodium_bin2base64(known + 3, 44, raw, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_generichash(want, 32, raw, 32, secret, 32);
    assert_int_equal(kz_key_hash(secret, known, h2, &err), 0);
    assert_memory_equal(h2, want, 32);

    /* Malformed keys: never accepted, never echoed. */
    char bad[12][64];
    int nb = 0;
    snprintf(bad[nb++], 64, "%s", "");
    snprintf(bad[nb++], 64, "%s", "kz_");
    snprintf(bad[nb++], 64, "%.45s", text);     /* one short */
    snprintf(bad[nb++], 64, "%sA", text);       /* one long */
    snprintf(bad[nb++], 64, "KZ_%s", text + 3); /* prefix is case-sensitive */
    snprintf(bad[nb++], 64, "kx_%s", text + 3);
    snprintf(bad[nb++], 64, "%s", text);
    bad[nb - 1][10] = '+'; /* standard base64, not url-safe */
    snprintf(bad[nb++], 64, "%s", text);
    bad[nb - 1][20] = '=';
    snprintf(bad[nb++], 64, "%s", text);
    bad[nb - 1][5] = ' ';
    /* Non-zero trailing bits: the last character carries 4 bits of data, so
     * a different low 2 bits would be a second spelling of the same key. */
    snprintf(bad[nb++], 64, "%s", text);
    {
        int idx = (int)(strchr(B64URL, text[45]) - B64URL);
        bad[nb - 1][45] = B64URL[idx | 1];
    }
    snprintf(bad[nb++], 64, "Bearer %.39s", text);
    for (int i = 0; i < nb; i++) {
        kz_err_clear(&err);
        if (kz_key_hash(secret, bad[i], h2, &err) != KZ_E_UNAUTH)
            fail_msg("malformed key #%d '%s' accepted", i, bad[i]);
        assert_string_equal(err.msg, "malformed API key");
    }
    assert_int_equal(kz_key_hash(secret, NULL, h2, &err), KZ_E_UNAUTH);
}

/* ---- passwords ---------------------------------------------------------- */

static void passwords(void **state)
{
    (void)state;
    kz_arena a;
    kz_arena_init(&a);
    kz_err err;
    char *h1 = NULL, *h2 = NULL, *h8 = NULL;
    assert_int_equal(kz_password_hash("correct horse battery staple", &a, &h1, &err), 0);
    assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
    assert_true(kz_password_verify(h1, "correct horse battery staple"));
    assert_false(kz_password_verify(h1, "correct horse battery stapler"));
    assert_false(kz_password_verify(h1, "Correct horse battery staple"));
    assert_false(kz_password_verify(h1, ""));
    assert_false(kz_password_verify(h1, NULL));
    assert_false(kz_password_verify(NULL, "correct horse battery staple"));
    assert_false(kz_password_verify("not a hash", "correct horse battery staple"));

    /* A fresh salt each time. */
    assert_int_equal(kz_password_hash("correct horse battery staple", &a, &h2, &err), 0);
    assert_string_not_equal(h1, h2);
    assert_true(kz_password_verify(h2, "correct horse battery staple"));

    /* 8 bytes is the shortest accepted. */
    assert_int_equal(kz_password_hash("12345678", &a, &h8, &err), 0);
    assert_true(kz_password_verify(h8, "12345678"));
    assert_false(kz_password_verify(h8, "1234567"));

    char *out = NULL;
    const char *bad[] = {"1234567", "", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "password\xc3"};
    const char *msg[] = {"password must be 8 to 1024 bytes long", "password must be 8 to 1024 bytes long",
                         "password is not valid UTF-8", "password is not valid UTF-8"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        assert_int_equal(kz_password_hash(bad[i], &a, &out, &err), KZ_E_VALUE);
        assert_string_equal(err.field, "password");
        assert_string_equal(err.msg, msg[i]);
        assert_null(out);
    }
    assert_int_equal(kz_password_hash(NULL, &a, &out, &err), KZ_E_VALUE);
    char long_pw[1026];
    memset(long_pw, 'p', 1025);
    long_pw[1025] = '\0';
    assert_int_equal(kz_password_hash(long_pw, &a, &out, &err), KZ_E_VALUE);
    assert_string_equal(err.msg, "password must be 8 to 1024 bytes long");
    assert_false(kz_password_verify(h1, long_pw));
    kz_arena_free(&a);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vocab_round_trips),
        cmocka_unit_test(distribution_rank),
        cmocka_unit_test(countries),
        cmocka_unit_test(tag_machine_and_free),
        cmocka_unit_test(tag_rejects_bad),
        cmocka_unit_test(tlp_and_pap_tags),
        cmocka_unit_test(taxonomies_from_misp),
        cmocka_unit_test(keys),
        cmocka_unit_test(passwords),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
