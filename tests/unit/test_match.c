/* test_match.c — layer 2: the compiled indicator index and warninglists.
 * Exact IPv4/IPv6 hits and misses, every containing network (nested v4 and
 * v6), domains on label boundaries, URLs exact and by host, pairs, hashes,
 * e-mail, file names, many payloads per value, the builder's refusals, the
 * lock-free publish/acquire/release under a concurrent reader, warninglists
 * of every type (synthetic and the real MISP set), and a randomised
 * comparison of every lookup with a brute-force scan of the entries.
 */
#include "kz_test.h"

#include "match/match.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <dirent.h>

/* ---- helpers ------------------------------------------------------------ */


static void add_ok(kz_match_builder *b, const char *id, const char *event, kz_ioc_type t,
                   const char *value)
{
    kz_match_entry e = {.indicator_id = id,
                        .event_id = event,
                        .org_id = "org-1",
                        .type = t,
                        .value = value,
                        .tlp = KZ_TLP_AMBER,
                        .to_ids = true,
                        .tags = "apt,c2"};
    kz_err err;
    kz_err_clear(&err);
    int rc = kz_match_builder_add(b, &e, &err);
    if (rc != 0)
        fail_msg("add %s '%s': %s", kz_ioc_type_name(t), value, err.msg);
}

static kz_match_index *build(kz_match_builder *b)
{
    kz_match_index *idx = NULL;
    kz_err err;
    assert_int_equal(kz_match_build(b, &idx, &err), 0);
    assert_non_null(idx);
    return idx;
}

static size_t look(const kz_match_index *idx, kz_ioc_type t, const char *v, kz_match_hit *h,
                   size_t max)
{
    return kz_match_lookup(idx, t, v, strlen(v), h, max);
}

static const char *hit_id(const kz_match_index *idx, const kz_match_hit *h)
{
    kz_match_payload p;
    assert_true(kz_match_payload_get(idx, h->payload, &p));
    return p.indicator_id;
}

static const char *hit_value(const kz_match_index *idx, const kz_match_hit *h)
{
    kz_match_payload p;
    assert_true(kz_match_payload_get(idx, h->payload, &p));
    return p.value;
}

/* Asserts the hits are exactly these (indicator id, kind) pairs, in order. */
static void expect_hits(const kz_match_index *idx, kz_ioc_type t, const char *v, size_t n,
                        const char *const *ids, const kz_match_kind *kinds)
{
    kz_match_hit h[32];
    size_t got = look(idx, t, v, h, 32);
    if (got != n)
        fail_msg("%s '%s': %zu hits, expected %zu", kz_ioc_type_name(t), v, got, n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(hit_id(idx, &h[i]), ids[i]) != 0 || h[i].kind != kinds[i])
            fail_msg("%s '%s': hit %zu is %s/%s, expected %s/%s", kz_ioc_type_name(t), v, i,
                     hit_id(idx, &h[i]), kz_match_kind_name(h[i].kind), ids[i],
                     kz_match_kind_name(kinds[i]));
    }
}

#define HITS(idx, t, v, ...)                                                               \
    do {                                                                                   \
        const struct { const char *id; kz_match_kind k; } hh_[] = {__VA_ARGS__};           \
        const char *ids_[KZ_ARRAY_LEN(hh_)];                                               \
        kz_match_kind ks_[KZ_ARRAY_LEN(hh_)];                                              \
        for (size_t i_ = 0; i_ < KZ_ARRAY_LEN(hh_); i_++) {                                \
            ids_[i_] = hh_[i_].id;                                                         \
            ks_[i_] = hh_[i_].k;                                                           \
        }                                                                                  \
        expect_hits(idx, t, v, KZ_ARRAY_LEN(hh_), ids_, ks_);                              \
    } while (0)

#define MISS(idx, t, v) expect_hits(idx, t, v, 0, NULL, NULL)

#define E KZ_MATCH_EXACT
#define C KZ_MATCH_CIDR
#define S KZ_MATCH_SUBDOMAIN
#define U KZ_MATCH_URL_HOST

/* ---- exact addresses ----------------------------------------------------- */

static void exact_addresses(void **state)
{
    (void)state;
    kz_match_builder *b = kz_match_builder_new();
    add_ok(b, "i-v4", "ev-1", KZ_IOC_IPV4, "192.0.2.1");
    add_ok(b, "i-v6", "ev-1", KZ_IOC_IPV6, "2001:db8::1");
    add_ok(b, "i-v4b", "ev-2", KZ_IOC_IPV4, "203.0.113.200");
    kz_match_index *idx = build(b);

    HITS(idx, KZ_IOC_IPV4, "192.0.2.1", {"i-v4", E});
    HITS(idx, KZ_IOC_IPV4, "203.0.113.200", {"i-v4b", E});
    HITS(idx, KZ_IOC_IPV6, "2001:db8::1", {"i-v6", E});
    MISS(idx, KZ_IOC_IPV4, "192.0.2.2");
    MISS(idx, KZ_IOC_IPV4, "192.0.2.0");
    MISS(idx, KZ_IOC_IPV6, "2001:db8::2");
    MISS(idx, KZ_IOC_IPV6, "2001:db8::1:0");
    /* one 16-byte key per address: the mapped form is the same address */
    HITS(idx, KZ_IOC_IPV6, "::ffff:192.0.2.1", {"i-v4", E});
    /* text that is no address finds nothing rather than failing */
    MISS(idx, KZ_IOC_IPV4, "192.0.2.1.5");

    /* the payload record carries everything the entry had */
    kz_match_hit h[4];
    assert_int_equal(look(idx, KZ_IOC_IPV6, "2001:db8::1", h, 4), 1);
    kz_match_payload p;
    assert_true(kz_match_payload_get(idx, h[0].payload, &p));
    assert_string_equal(p.indicator_id, "i-v6");
    assert_string_equal(p.event_id, "ev-1");
    assert_string_equal(p.org_id, "org-1");
    assert_string_equal(p.value, "2001:db8::1");
    assert_string_equal(p.tags, "apt,c2");
    assert_int_equal(p.type, KZ_IOC_IPV6);
    assert_int_equal(p.tlp, KZ_TLP_AMBER);
    assert_true(p.to_ids);
    assert_false(kz_match_payload_get(idx, 3, &p));

    /* the fast path gives the same answer */
    kz_ip ip;
    assert_int_equal(kz_ip_parse("192.0.2.1", 9, &ip), 0);
    assert_int_equal(kz_match_lookup_ip(idx, &ip, h, 4), 1);
    assert_string_equal(hit_id(idx, &h[0]), "i-v4");

    kz_match_stats st;
    kz_match_index_stats(idx, &st);
    assert_int_equal(st.payloads, 3);
    assert_int_equal(st.addresses, 3);
    assert_int_equal(st.networks, 0);
    assert_int_equal(st.strings, 0);
    assert_true(st.bytes > 0);
    kz_match_index_free(idx);
    kz_match_builder_free(b);
}

/* ---- networks ------------------------------------------------------------ */

static void cidr_returns_every_containing_network(void **state)
{
    (void)state;
    kz_match_builder *b = kz_match_builder_new();
    add_ok(b, "n8", "ev", KZ_IOC_CIDR, "10.0.0.0/8");
    add_ok(b, "n16", "ev", KZ_IOC_CIDR, "10.1.0.0/16");
    add_ok(b, "n24", "ev", KZ_IOC_CIDR, "10.1.2.0/24");
    add_ok(b, "n16b", "ev", KZ_IOC_CIDR, "10.2.0.0/16");
    add_ok(b, "n11", "ev", KZ_IOC_CIDR, "11.0.0.0/8");
    add_ok(b, "n32", "ev", KZ_IOC_CIDR, "10.1.2.9/32");
    add_ok(b, "ip", "ev", KZ_IOC_IPV4, "10.1.2.3");
    add_ok(b, "v6-32", "ev", KZ_IOC_CIDR, "2001:db8::/32");
    add_ok(b, "v6-48", "ev", KZ_IOC_CIDR, "2001:db8:1::/48");
    add_ok(b, "v6-all", "ev", KZ_IOC_CIDR, "::/0");
    add_ok(b, "v4-all", "ev", KZ_IOC_CIDR, "0.0.0.0/0");
    kz_match_index *idx = build(b);

    /* nested v4: most specific first, the exact address before them */
    HITS(idx, KZ_IOC_IPV4, "10.1.2.3", {"ip", E}, {"n24", C}, {"n16", C}, {"n8", C},
         {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "10.1.2.4", {"n24", C}, {"n16", C}, {"n8", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "10.1.2.9", {"n32", C}, {"n24", C}, {"n16", C}, {"n8", C},
         {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "10.1.3.4", {"n16", C}, {"n8", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "10.2.255.255", {"n16b", C}, {"n8", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "10.200.0.1", {"n8", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "11.255.255.255", {"n11", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "12.0.0.1", {"v4-all", C});
    HITS(idx, KZ_IOC_IPV4, "9.255.255.255", {"v4-all", C});
    /* v6: ::/0 is every IPv6 address, but not IPv4 ones; 0.0.0.0/0 not v6 */
    HITS(idx, KZ_IOC_IPV6, "2001:db8:1::5", {"v6-48", C}, {"v6-32", C}, {"v6-all", C});
    HITS(idx, KZ_IOC_IPV6, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", {"v6-48", C}, {"v6-32", C},
         {"v6-all", C});
    HITS(idx, KZ_IOC_IPV6, "2001:db8:2::1", {"v6-32", C}, {"v6-all", C});
    HITS(idx, KZ_IOC_IPV6, "2001:db9::1", {"v6-all", C});
    HITS(idx, KZ_IOC_IPV6, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", {"v6-all", C});
    /* a network asks for itself (exact) and every wider network */
    HITS(idx, KZ_IOC_CIDR, "10.1.2.0/24", {"n24", E}, {"n16", C}, {"n8", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_CIDR, "10.1.0.0/17", {"n16", C}, {"n8", C}, {"v4-all", C});
    HITS(idx, KZ_IOC_CIDR, "10.1.2.3/32", {"ip", E}, {"n24", C}, {"n16", C}, {"n8", C},
         {"v4-all", C});
    HITS(idx, KZ_IOC_CIDR, "2001:db8::/32", {"v6-32", E}, {"v6-all", C});
    HITS(idx, KZ_IOC_CIDR, "2001:db8::/31", {"v6-all", C});

    kz_match_hit h[2];
    assert_int_equal(look(idx, KZ_IOC_IPV4, "10.1.2.3", h, 1), 5); /* the count, not max */
    assert_string_equal(hit_value(idx, &h[0]), "10.1.2.3");
    assert_int_equal(look(idx, KZ_IOC_IPV4, "10.1.2.4", h, 2), 4);
    assert_string_equal(hit_value(idx, &h[0]), "10.1.2.0/24");
    assert_string_equal(hit_value(idx, &h[1]), "10.1.0.0/16");
    kz_match_index_free(idx);

    /* no network at all: nothing, and no crash on an empty set */
    add_ok(b, "x", "ev", KZ_IOC_IPV4, "1.2.3.4");
    idx = build(b);
    MISS(idx, KZ_IOC_IPV4, "10.1.2.3");
    kz_match_index_free(idx);
    kz_match_builder_free(b);
}

/* ---- domains ------------------------------------------------------------- */

static void domains_on_label_boundaries(void **state)
{
    (void)state;
    kz_match_builder *b = kz_match_builder_new();
    add_ok(b, "d-evil", "ev", KZ_IOC_DOMAIN, "evil.com");
    add_ok(b, "d-sub", "ev", KZ_IOC_DOMAIN, "b.evil.com");
    add_ok(b, "h-host", "ev", KZ_IOC_HOSTNAME, "www.host.org");
    add_ok(b, "d-co", "ev", KZ_IOC_DOMAIN, "bad.co.uk");
    kz_match_index *idx = build(b);

    HITS(idx, KZ_IOC_DOMAIN, "evil.com", {"d-evil", E});
    HITS(idx, KZ_IOC_DOMAIN, "a.evil.com", {"d-evil", S});
    HITS(idx, KZ_IOC_DOMAIN, "b.evil.com", {"d-sub", E}, {"d-evil", S});
    HITS(idx, KZ_IOC_DOMAIN, "a.b.evil.com", {"d-sub", S}, {"d-evil", S});
    HITS(idx, KZ_IOC_HOSTNAME, "x.y.z.evil.com", {"d-evil", S});
    MISS(idx, KZ_IOC_DOMAIN, "notevil.com");
    MISS(idx, KZ_IOC_DOMAIN, "evil.com.au");
    MISS(idx, KZ_IOC_DOMAIN, "evil.co");
    MISS(idx, KZ_IOC_DOMAIN, "com");
    MISS(idx, KZ_IOC_DOMAIN, "xevil.com");
    MISS(idx, KZ_IOC_DOMAIN, "a.notevil.com");
    HITS(idx, KZ_IOC_DOMAIN, "mail.bad.co.uk", {"d-co", S});
    MISS(idx, KZ_IOC_DOMAIN, "co.uk");
    /* a hostname indicator names one host, not its subdomains */
    HITS(idx, KZ_IOC_HOSTNAME, "www.host.org", {"h-host", E});
    HITS(idx, KZ_IOC_DOMAIN, "www.host.org", {"h-host", E});
    MISS(idx, KZ_IOC_HOSTNAME, "a.www.host.org");
    MISS(idx, KZ_IOC_DOMAIN, "host.org");

    kz_match_hit h[4];
    assert_int_equal(kz_match_lookup_domain(idx, "a.b.evil.com", 12, h, 4), 2);
    assert_string_equal(hit_value(idx, &h[0]), "b.evil.com");
    assert_string_equal(hit_value(idx, &h[1]), "evil.com");
    /* a slice that is not NUL-terminated is read only up to its length */
    assert_int_equal(kz_match_lookup_domain(idx, "evil.comXYZ", 8, h, 4), 1);
    assert_int_equal(h[0].kind, KZ_MATCH_EXACT);
    kz_match_index_free(idx);
    kz_match_builder_free(b);

    /* a name deeper than the probes batched at once still finds its parents */
    b = kz_match_builder_new();
    add_ok(b, "deep", "ev", KZ_IOC_DOMAIN, "evil.net");
    idx = build(b);
    char deep[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "a.");
    strcat(deep, "evil.net");
    HITS(idx, KZ_IOC_DOMAIN, deep, {"deep", S});
    kz_match_index_free(idx);
    kz_match_builder_free(b);
}

/* ---- URLs ---------------------------------------------------------------- */

static void urls_exact_and_by_host(void **state)
{
    (void)state;
    kz_match_builder *b = kz_match_builder_new();
    add_ok(b, "u-login", "ev", KZ_IOC_URL, "http://phish.net/login.php");
    add_ok(b, "u-evil", "ev", KZ_IOC_URL, "http://evil.com/bad");
    add_ok(b, "d-evil", "ev", KZ_IOC_DOMAIN, "evil.com");
    add_ok(b, "ip", "ev", KZ_IOC_IPV4, "203.0.113.9");
    add_ok(b, "net", "ev", KZ_IOC_CIDR, "198.51.100.0/24");
    add_ok(b, "ip6", "ev", KZ_IOC_IPV6, "2001:db8::1");
    add_ok(b, "h-host", "ev", KZ_IOC_HOSTNAME, "cdn.example.org");
    kz_match_index *idx = build(b);

    HITS(idx, KZ_IOC_URL, "http://phish.net/login.php", {"u-login", E});
    MISS(idx, KZ_IOC_URL, "http://phish.net/other");
    MISS(idx, KZ_IOC_URL, "https://phish.net/login.php");
    HITS(idx, KZ_IOC_URL, "https://a.evil.com/x?y=1", {"d-evil", U});
    HITS(idx, KZ_IOC_URL, "http://evil.com/", {"d-evil", U});
    /* exact first, then the host */
    HITS(idx, KZ_IOC_URL, "http://evil.com/bad", {"u-evil", E}, {"d-evil", U});
    HITS(idx, KZ_IOC_URL, "http://203.0.113.9/x", {"ip", U});
    HITS(idx, KZ_IOC_URL, "http://user@198.51.100.7:8080/", {"net", U});
    HITS(idx, KZ_IOC_URL, "http://[2001:db8::1]/a", {"ip6", U});
    HITS(idx, KZ_IOC_URL, "https://cdn.example.org/lib.js", {"h-host", U});
    MISS(idx, KZ_IOC_URL, "https://x.cdn.example.org/lib.js");
    MISS(idx, KZ_IOC_URL, "http://notevil.com/bad");
    MISS(idx, KZ_IOC_URL, "http://203.0.113.10/x");
    kz_match_index_free(idx);
    kz_match_builder_free(b);
}

/* ---- pairs, hashes, e-mail, file names ----------------------------------- */

/* Adds the value as kz_ioc_normalize gives it, as the store would. */
static void add_norm(kz_match_builder *b, const char *id, kz_ioc_type t, const char *raw)
{
    kz_buf out;
    kz_buf_init(&out);
    kz_err err;
    if (kz_ioc_normalize(t, raw, strlen(raw), &out, &err) != 0)
        fail_msg("normalize '%s': %s", raw, err.msg);
    add_ok(b, id, "ev", t, out.p);
    kz_buf_free(&out);
}

static void raw_hits(const kz_match_index *idx, const char *raw, size_t want, const char *id,
                     kz_ioc_type want_type)
{
    kz_match_hit h[8];
    size_t total = 99;
    kz_ioc_type t = KZ_IOC__COUNT;
    kz_err err;
    kz_err_clear(&err);
    int rc = kz_match_lookup_raw(idx, raw, strlen(raw), h, 8, &total, &t, &err);
    if (rc != 0)
        fail_msg("raw '%s': %s", raw, err.msg);
    if (total != want)
        fail_msg("raw '%s': %zu hits, expected %zu", raw, total, want);
    assert_int_equal(t, want_type);
    if (want)
        assert_string_equal(hit_id(idx, &h[0]), id);
}

static void pairs_hashes_email_filenames(void **state)
{
    (void)state;
    static const char md5[] = "D41D8CD98F00B204E9800998ECF8427E";
    static const char sha1[] = "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709";
    static const char sha256[] = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    static const char sha512[] =
        "CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE47D0D13C5D85F2B0FF8318D2"
        "877EEC2F63B931BD47417A81A538327AF927DA3E";
    kz_match_builder *b = kz_match_builder_new();
    add_norm(b, "pair4", KZ_IOC_IP_PORT, "1.2.3.4:443");
    add_norm(b, "pair6", KZ_IOC_IP_PORT, "[2001:DB8::1]:8443");
    add_norm(b, "dip", KZ_IOC_DOMAIN_IP, "Evil.com|1.2.3.4");
    add_norm(b, "md5", KZ_IOC_MD5, md5);
    add_norm(b, "sha1", KZ_IOC_SHA1, sha1);
    add_norm(b, "sha256", KZ_IOC_SHA256, sha256);
    add_norm(b, "sha512", KZ_IOC_SHA512, sha512);
    add_norm(b, "mail", KZ_IOC_EMAIL, "Bob@Evil.COM");
    add_norm(b, "file", KZ_IOC_FILENAME, "invoice.pdf.exe");
    add_norm(b, "fh", KZ_IOC_FILENAME_HASH, "dropper.exe|D41D8CD98F00B204E9800998ECF8427E");
    add_norm(b, "mutex", KZ_IOC_MUTEX, "Global\\XYZ");
    kz_match_index *idx = build(b);

    HITS(idx, KZ_IOC_IP_PORT, "1.2.3.4:443", {"pair4", E});
    HITS(idx, KZ_IOC_IP_PORT, "[2001:db8::1]:8443", {"pair6", E});
    MISS(idx, KZ_IOC_IP_PORT, "1.2.3.4:80");
    MISS(idx, KZ_IOC_IPV4, "1.2.3.4"); /* a pair is not its address */
    HITS(idx, KZ_IOC_DOMAIN_IP, "evil.com|1.2.3.4", {"dip", E});
    MISS(idx, KZ_IOC_DOMAIN_IP, "evil.com|1.2.3.5");
    MISS(idx, KZ_IOC_DOMAIN, "evil.com");

    /* hashes are stored lower case; raw input is normalised before lookup */
    HITS(idx, KZ_IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e", {"md5", E});
    MISS(idx, KZ_IOC_MD5, md5); /* lookups take normalised text */
    raw_hits(idx, md5, 1, "md5", KZ_IOC_MD5);
    raw_hits(idx, sha1, 1, "sha1", KZ_IOC_SHA1);
    raw_hits(idx, sha256, 1, "sha256", KZ_IOC_SHA256);
    raw_hits(idx, sha512, 1, "sha512", KZ_IOC_SHA512);
    raw_hits(idx, "  D41D8CD98F00B204E9800998ECF8427F ", 0, NULL, KZ_IOC_MD5);
    /* each hash kind is its own set */
    MISS(idx, KZ_IOC_SHA1, "d41d8cd98f00b204e9800998ecf8427e");

    HITS(idx, KZ_IOC_EMAIL, "Bob@evil.com", {"mail", E});
    raw_hits(idx, "Bob@EVIL[.]com", 1, "mail", KZ_IOC_EMAIL);
    MISS(idx, KZ_IOC_EMAIL, "bob@evil.com"); /* the local part keeps its case */
    HITS(idx, KZ_IOC_FILENAME, "invoice.pdf.exe", {"file", E});
    MISS(idx, KZ_IOC_FILENAME, "Invoice.pdf.exe");
    MISS(idx, KZ_IOC_FILENAME, "invoice.pdf");
    HITS(idx, KZ_IOC_FILENAME_HASH, "dropper.exe|d41d8cd98f00b204e9800998ecf8427e", {"fh", E});
    HITS(idx, KZ_IOC_MUTEX, "Global\\XYZ", {"mutex", E});
    MISS(idx, KZ_IOC_FILENAME, "Global\\XYZ"); /* same text, other type */

    /* raw lookups guess, refang and normalise */
    raw_hits(idx, "1.2.3[.]4:443", 1, "pair4", KZ_IOC_IP_PORT);
    kz_match_hit h[4];
    size_t total = 7;
    kz_err err;
    assert_int_equal(kz_match_lookup_raw(idx, "hello world", 11, h, 4, &total, NULL, &err),
                     KZ_E_VALUE);
    assert_int_equal(total, 0);
    assert_string_equal(err.msg, "'hello world' is not a recognisable indicator");
    assert_int_equal(kz_match_lookup_raw(idx, "", 0, h, 4, &total, NULL, &err), KZ_E_VALUE);
    assert_int_equal(kz_match_lookup_raw(idx, "1.2.3.400", 9, h, 4, &total, NULL, &err),
                     KZ_E_VALUE);
    assert_non_null(strstr(err.msg, "'1.2.3.400'"));
    kz_match_index_free(idx);
    kz_match_builder_free(b);
}

/* ---- many payloads ------------------------------------------------------- */

static void one_value_many_payloads(void **state)
{
    (void)state;
    kz_match_builder *b = kz_match_builder_new();
    add_ok(b, "i1", "ev-a", KZ_IOC_IPV4, "8.8.4.4");
    add_ok(b, "i2", "ev-b", KZ_IOC_IPV4, "8.8.4.4");
    add_ok(b, "i3", "ev-c", KZ_IOC_IPV4, "8.8.4.4");
    add_ok(b, "d1", "ev-a", KZ_IOC_DOMAIN, "multi.com");
    add_ok(b, "d2", "ev-b", KZ_IOC_DOMAIN, "multi.com");
    add_ok(b, "n1", "ev-a", KZ_IOC_CIDR, "8.8.4.0/24");
    add_ok(b, "n2", "ev-c", KZ_IOC_CIDR, "8.8.4.0/24");
    kz_match_entry e = {.indicator_id = "d3", .type = KZ_IOC_HOSTNAME, .value = "multi.com",
                        .tlp = KZ_TLP_RED};
    assert_int_equal(kz_match_builder_add(b, &e, NULL), 0);
    kz_match_index *idx = build(b);

    HITS(idx, KZ_IOC_IPV4, "8.8.4.4", {"i1", E}, {"i2", E}, {"i3", E}, {"n1", C}, {"n2", C});
    HITS(idx, KZ_IOC_DOMAIN, "multi.com", {"d1", E}, {"d2", E}, {"d3", E});
    /* the hostname payload of the same key does not cover subdomains */
    HITS(idx, KZ_IOC_DOMAIN, "www.multi.com", {"d1", S}, {"d2", S});

    kz_match_hit h[3];
    memset(h, 0xab, sizeof h);
    assert_int_equal(look(idx, KZ_IOC_IPV4, "8.8.4.4", h, 2), 5);
    assert_string_equal(hit_id(idx, &h[0]), "i1");
    assert_string_equal(hit_id(idx, &h[1]), "i2");
    assert_int_equal(h[2].payload, 0xabababab); /* nothing written past max */
    assert_int_equal(look(idx, KZ_IOC_IPV4, "8.8.4.4", NULL, 0), 5);

    kz_match_payload p1, p2, p3;
    assert_int_equal(look(idx, KZ_IOC_DOMAIN, "multi.com", h, 3), 3);
    assert_true(kz_match_payload_get(idx, h[0].payload, &p1));
    assert_true(kz_match_payload_get(idx, h[1].payload, &p2));
    assert_true(kz_match_payload_get(idx, h[2].payload, &p3));
    assert_string_equal(p1.event_id, "ev-a");
    assert_string_equal(p2.event_id, "ev-b");
    assert_null(p3.event_id);
    assert_null(p3.org_id);
    assert_null(p3.tags);
    assert_int_equal(p3.tlp, KZ_TLP_RED);
    assert_int_equal(p3.type, KZ_IOC_HOSTNAME);
    /* interned: the same org and tag text is one copy */
    assert_ptr_equal(p1.org_id, p2.org_id);
    assert_ptr_equal(p1.tags, p2.tags);
    assert_ptr_equal(p1.value, p2.value);

    kz_match_stats st;
    kz_match_index_stats(idx, &st);
    assert_int_equal(st.payloads, 8);
    assert_int_equal(st.addresses, 1);
    assert_int_equal(st.networks, 1);
    assert_int_equal(st.strings, 1);
    kz_match_index_free(idx);
    kz_match_builder_free(b);
}

/* ---- builder refusals ---------------------------------------------------- */

static void expect_refused(kz_match_builder *b, const kz_match_entry *e, int code,
                           const char *frag)
{
    kz_err err;
    kz_err_clear(&err);
    int rc = kz_match_builder_add(b, e, &err);
    if (rc != code || !strstr(err.msg, frag))
        fail_msg("entry '%s': rc %d msg '%s', expected %d '%s'", e->value ? e->value : "(null)",
                 rc, err.msg, code, frag);
}

static void builder_refuses_bad_entries(void **state)
{
    (void)state;
    kz_match_builder *b = kz_match_builder_new();
    kz_match_entry e = {.indicator_id = "i", .type = KZ_IOC_IPV4, .value = "300.1.2.3"};
    expect_refused(b, &e, KZ_E_VALUE, "indicator 'i': '300.1.2.3' is not an IPv4 address");
    e.value = "2001:db8::1";
    expect_refused(b, &e, KZ_E_VALUE, "'2001:db8::1' is not an IPv4 address");
    e.type = KZ_IOC_IPV6;
    e.value = "1.2.3.4";
    expect_refused(b, &e, KZ_E_VALUE, "'1.2.3.4' is not an IPv6 address");
    e.type = KZ_IOC_CIDR;
    e.value = "10.0.0.0/33";
    expect_refused(b, &e, KZ_E_VALUE, "'10.0.0.0/33' is not a CIDR network");
    e.type = KZ_IOC_DOMAIN;
    e.value = "";
    expect_refused(b, &e, KZ_E_VALUE, "the value is empty");
    e.value = NULL;
    expect_refused(b, &e, KZ_E_VALUE, "the value is missing");
    e.value = "bad\xff.com";
    expect_refused(b, &e, KZ_E_VALUE, "the value is not valid UTF-8");
    char *big = malloc(8194);
    memset(big, 'a', 8193);
    big[8193] = '\0';
    e.value = big;
    expect_refused(b, &e, KZ_E_VALUE, "the value is longer than 8192 bytes");
    free(big);
    e.value = "evil.com";
    e.indicator_id = NULL;
    expect_refused(b, &e, KZ_E_INVALID, "the indicator id is missing");
    e.indicator_id = "";
    expect_refused(b, &e, KZ_E_INVALID, "the indicator id is empty");
    char longid[300];
    memset(longid, 'x', 299);
    longid[299] = '\0';
    e.indicator_id = longid;
    expect_refused(b, &e, KZ_E_INVALID, "the indicator id is longer than 255 bytes");
    e.indicator_id = "i";
    e.event_id = "\xc3(";
    expect_refused(b, &e, KZ_E_INVALID, "the event id is not valid UTF-8");
    e.event_id = NULL;
    e.org_id = "";
    expect_refused(b, &e, KZ_E_INVALID, "the org id is empty");
    e.org_id = NULL;
    e.tags = "\xed\xa0\x80"; /* a surrogate */
    expect_refused(b, &e, KZ_E_INVALID, "the tags is not valid UTF-8");
    e.tags = NULL;
    e.type = (kz_ioc_type)99;
    expect_refused(b, &e, KZ_E_INVALID, "indicator 'i': unknown type 99");
    e.type = KZ_IOC_DOMAIN;
    e.tlp = (kz_tlp)7;
    expect_refused(b, &e, KZ_E_INVALID, "indicator 'i': unknown TLP 7");
    e.tlp = KZ_TLP_CLEAR;
    expect_refused(b, NULL, KZ_E_INVALID, "no entry given");
    /* the builder is still usable and holds only what was accepted */
    assert_int_equal(kz_match_builder_add(b, &e, NULL), 0);
    kz_match_index *idx = build(b);
    kz_match_stats st;
    kz_match_index_stats(idx, &st);
    assert_int_equal(st.payloads, 1);
    HITS(idx, KZ_IOC_DOMAIN, "evil.com", {"i", E});
    kz_match_index_free(idx);
    /* built again empty: a valid index that finds nothing */
    idx = build(b);
    MISS(idx, KZ_IOC_DOMAIN, "evil.com");
    MISS(idx, KZ_IOC_IPV4, "1.2.3.4");
    MISS(idx, KZ_IOC_URL, "http://evil.com/");
    kz_match_index_stats(idx, &st);
    assert_int_equal(st.payloads, 0);
    kz_match_index_free(idx);
    kz_err err;
    assert_int_equal(kz_match_build(NULL, &idx, &err), KZ_E_INVALID);
    kz_match_builder_free(b);
    kz_match_builder_free(NULL);
    kz_match_index_free(NULL);
}

/* ---- publishing ---------------------------------------------------------- */

typedef struct reader_ctx {
    kz_match_handle *h;
    atomic_bool stop;
    atomic_long iterations;
    long bad;
} reader_ctx;

/* Each index k holds "gen.<k>.test" and "always.test" with event "<k>": a
 * reader must find both, consistent with each other, and never see the
 * generation go back. */
static void *reader(void *arg)
{
    reader_ctx *c = arg;
    long last = -1;
    while (!atomic_load(&c->stop)) {
        const kz_match_index *idx = kz_match_acquire(c->h);
        if (!idx)
            continue;
        kz_match_hit h[4];
        size_t n = kz_match_lookup(idx, KZ_IOC_DOMAIN, "always.test", 11, h, 4);
        kz_match_payload p;
        if (n != 1 || !kz_match_payload_get(idx, h[0].payload, &p)) {
            c->bad++;
        } else {
            long gen = atol(p.event_id);
            char name[64];
            snprintf(name, sizeof name, "gen.%ld.test", gen);
            if (gen < last || kz_match_lookup(idx, KZ_IOC_DOMAIN, name, strlen(name), h, 4) != 1)
                c->bad++;
            last = gen;
        }
        atomic_fetch_add(&c->iterations, 1);
        kz_match_release(idx);
    }
    return NULL;
}

static kz_match_index *generation(long k)
{
    kz_match_builder *b = kz_match_builder_new();
    char ev[32], name[64], id[64];
    snprintf(ev, sizeof ev, "%ld", k);
    snprintf(name, sizeof name, "gen.%ld.test", k);
    add_ok(b, "always", ev, KZ_IOC_DOMAIN, "always.test");
    add_ok(b, "gen", ev, KZ_IOC_DOMAIN, name);
    for (int i = 0; i < 200; i++) { /* some bulk, so a free would show */
        snprintf(id, sizeof id, "ip-%d", i);
        snprintf(name, sizeof name, "10.%ld.%d.%d", k % 256, i / 256, i % 256);
        add_ok(b, id, ev, KZ_IOC_IPV4, name);
    }
    kz_match_index *idx = build(b);
    kz_match_builder_free(b);
    return idx;
}

static void publish_under_concurrent_readers(void **state)
{
    (void)state;
    kz_match_handle *h = kz_match_handle_new();
    assert_non_null(h);
    assert_null(kz_match_acquire(h));
    kz_match_publish(h, generation(0));

    /* an index held across a publish stays whole and keeps its content */
    const kz_match_index *held = kz_match_acquire(h);
    assert_non_null(held);
    kz_match_publish(h, generation(1));
    kz_match_hit hit[2];
    assert_int_equal(kz_match_lookup(held, KZ_IOC_DOMAIN, "gen.0.test", 10, hit, 2), 1);
    const kz_match_index *now = kz_match_acquire(h);
    assert_ptr_not_equal(now, held);
    assert_int_equal(kz_match_lookup(now, KZ_IOC_DOMAIN, "gen.1.test", 10, hit, 2), 1);
    assert_int_equal(kz_match_lookup(now, KZ_IOC_DOMAIN, "gen.0.test", 10, hit, 2), 0);
    kz_match_release(now);
    kz_match_release(held);

    reader_ctx c[2] = {{.h = h}, {.h = h}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        atomic_init(&c[i].stop, false);
        atomic_init(&c[i].iterations, 0);
        assert_int_equal(pthread_create(&t[i], NULL, reader, &c[i]), 0);
    }
    for (long k = 2; k < 102; k++) {
        kz_match_publish(h, generation(k));
        if (k % 10 == 0)
            sched_yield();
    }
    /* let the readers see the last generation too */
    for (int spin = 0; spin < 1000 && (atomic_load(&c[0].iterations) < 100 ||
                                       atomic_load(&c[1].iterations) < 100);
         spin++)
        sched_yield();
    for (int i = 0; i < 2; i++) {
        atomic_store(&c[i].stop, true);
        pthread_join(t[i], NULL);
        assert_int_equal(c[i].bad, 0);
        assert_true(atomic_load(&c[i].iterations) > 0);
    }
    const kz_match_index *last = kz_match_acquire(h);
    assert_int_equal(kz_match_lookup(last, KZ_IOC_DOMAIN, "gen.101.test", 12, hit, 2), 1);
    kz_match_release(last);
    /* publishing NULL empties the handle */
    kz_match_publish(h, NULL);
    assert_null(kz_match_acquire(h));
    kz_match_publish(h, generation(7));
    kz_match_handle_free(h);
    kz_match_release(NULL);
}

/* ---- warninglists: synthetic --------------------------------------------- */

static void write_list(const char *root, const char *dir, const char *json)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lists", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/lists/%s", root, dir);
    assert_int_equal(mkdir(path, 0700), 0);
    if (!json)
        return;
    snprintf(path, sizeof path, "%s/lists/%s/list.json", root, dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    fclose(f);
}

#define WL(t, v, want)                                                                      \
    do {                                                                                    \
        const char *got_ = kz_match_warninglist_check(wl, t, v);                            \
        const char *want_ = (want);                                                         \
        if (want_ ? !got_ || strcmp(got_, want_) : got_ != NULL)                            \
            fail_msg("%s '%s': on '%s', expected '%s'", kz_ioc_type_name(t), v,             \
                     got_ ? got_ : "(none)", want_ ? want_ : "(none)");                     \
    } while (0)

static void warninglists_synthetic(void **state)
{
    (void)state;
    char *root = kz_test_mkdtemp();
    assert_non_null(root);
    write_list(root, "a-string",
               "{\"name\":\"A string\",\"type\":\"string\",\"list\":[\"Example.ORG\",\"8.8.4.4\","
               "\"0123456789ABCDEF0123456789ABCDEF\",\" padded.net \",42,\"\"],"
               "\"matching_attributes\":[\"domain\",\"ip-dst\",\"md5\",\"sha224\"]}");
    write_list(root, "b-hostname",
               "{\"name\":\"B hostname\",\"type\":\"hostname\",\"list\":[\"*.cdn.benign.com\","
               "\".static.benign.com.\",\"LOCALHOST\"],\"matching_attributes\":[\"hostname\","
               "\"url\",\"domain|ip\",\"email-src\"]}");
    write_list(root, "c-cidr",
               "{\"name\":\"C cidr\",\"type\":\"cidr\",\"list\":[\"192.0.2.0/24\","
               "\"2001:db8::/32\",\"203.0.113.5\",\"not-a-network\"],\"matching_attributes\":["
               "\"ip-src\",\"ip-dst\",\"domain|ip\",\"ip-dst|port\",\"url\"]}");
    write_list(root, "d-substring",
               "{\"name\":\"D substring\",\"type\":\"substring\",\"list\":[\"tracker\","
               "\"Analytics.\"]}");
    write_list(root, "e-regex",
               "{\"name\":\"E regex\",\"type\":\"regex\",\"list\":["
               "\"/^(abuse|noc)\\\\@.*\\\\..*$/i\",\"/(?:foo)+/\",\"/\\\\d{3}-\\\\d{4}/\","
               "\"/a+?b/\",\"/x/s\"],\"matching_attributes\":[\"email-src\",\"email-dst\"]}");
    write_list(root, "f-regex-pcre", "{\"name\":\"F pcre only\",\"type\":\"regex\","
                                     "\"list\":[\"/(?<=x)y/\"]}");
    write_list(root, "g-empty", NULL);
    write_list(root, "h-late", "{\"name\":\"H late\",\"type\":\"string\",\"list\":[\"8.8.4.4\","
                               "\"example.org\"]}");
    write_list(root, "i-regex-brackets",
               "{\"name\":\"I brackets\",\"type\":\"regex\",\"list\":["
               "\"/^[[:digit:]]+[\\\\.]phone$/\"],\"matching_attributes\":[\"text\"]}");

    kz_match_warninglists *wl = NULL;
    kz_err err;
    kz_err_clear(&err);
    if (kz_match_warninglists_load_dir(root, &wl, &err) != 0)
        fail_msg("load: %s", err.msg);
    kz_match_wl_stats st;
    kz_match_warninglists_stats(wl, &st);
    assert_int_equal(st.lists, 8);
    assert_int_equal(kz_match_warninglists_count(wl), 8);
    assert_int_equal(st.skipped_dirs, 1);
    assert_int_equal(st.regex_ok, 2);
    assert_int_equal(st.regex_skipped, 5);
    assert_int_equal(st.regex_lists_skipped, 1);
    assert_int_equal(st.skipped_values, 3); /* 42, "", not-a-network */
    assert_int_equal(st.entries, 4 + 3 + 3 + 2 + 1 + 0 + 2 + 1);
    kz_match_wl_info info;
    assert_true(kz_match_warninglist_info(wl, 1, &info));
    assert_string_equal(info.name, "B hostname");
    assert_string_equal(info.dir, "b-hostname");
    assert_int_equal(info.type, KZ_WL_HOSTNAME);
    assert_int_equal(info.entries, 3);
    assert_true(kz_match_warninglist_info(wl, 6, &info));
    assert_string_equal(info.dir, "h-late");
    assert_false(kz_match_warninglist_info(wl, 8, &info));

    /* string: exact, on the normalised form, first list wins */
    WL(KZ_IOC_DOMAIN, "example.org", "A string");
    WL(KZ_IOC_DOMAIN, "www.example.org", NULL);
    WL(KZ_IOC_IPV4, "8.8.4.4", "A string");
    WL(KZ_IOC_IPV4, "8.8.4.5", NULL);
    WL(KZ_IOC_MD5, "0123456789abcdef0123456789abcdef", "A string");
    WL(KZ_IOC_DOMAIN, "padded.net", "A string");
    assert_int_equal(kz_match_warninglist_find(wl, KZ_IOC_IPV4, "8.8.4.4"), 0);
    /* a list applies only to its matching attributes: h-late names none */
    WL(KZ_IOC_FILENAME, "8.8.4.4", "H late");
    WL(KZ_IOC_HOSTNAME, "example.org", "A string"); /* domain implies hostname */
    /* composite values by their parts */
    WL(KZ_IOC_DOMAIN_IP, "example.org|192.0.2.1", "C cidr");
    WL(KZ_IOC_IP_PORT, "8.8.4.4:53", "H late");
    /* hostname: the name or its subdomains */
    WL(KZ_IOC_HOSTNAME, "cdn.benign.com", "B hostname");
    WL(KZ_IOC_HOSTNAME, "a.b.cdn.benign.com", "B hostname");
    WL(KZ_IOC_HOSTNAME, "static.benign.com", "B hostname");
    WL(KZ_IOC_HOSTNAME, "notcdn.benign.com", NULL);
    WL(KZ_IOC_HOSTNAME, "benign.com", NULL);
    WL(KZ_IOC_HOSTNAME, "cdn.benign.com.evil.net", NULL);
    WL(KZ_IOC_URL, "https://x.cdn.benign.com/app.js", "B hostname");
    WL(KZ_IOC_EMAIL, "someone@mail.static.benign.com", "B hostname");
    WL(KZ_IOC_DOMAIN_IP, "cdn.benign.com|1.1.1.1", "B hostname");
    WL(KZ_IOC_MD5, "cdn.benign.com", NULL);
    /* cidr: containment, v4 and v6, addresses as host networks */
    WL(KZ_IOC_IPV4, "192.0.2.77", "C cidr");
    WL(KZ_IOC_IPV4, "192.0.3.1", NULL);
    WL(KZ_IOC_IPV6, "2001:db8:5::1", "C cidr");
    WL(KZ_IOC_IPV6, "2001:db9::1", NULL);
    WL(KZ_IOC_IPV4, "203.0.113.5", "C cidr");
    WL(KZ_IOC_IPV4, "203.0.113.6", NULL);
    WL(KZ_IOC_IP_PORT, "192.0.2.1:443", "C cidr");
    WL(KZ_IOC_IP_PORT, "[2001:db8::1]:443", "C cidr");
    WL(KZ_IOC_URL, "http://192.0.2.9:8080/x", "C cidr");
    WL(KZ_IOC_CIDR, "192.0.2.128/25", "C cidr");
    WL(KZ_IOC_CIDR, "192.0.0.0/16", NULL); /* wider than the listed network */
    /* substring: anywhere in the value, ASCII case-insensitively */
    WL(KZ_IOC_URL, "http://x.com/js/tracker.js", "D substring");
    WL(KZ_IOC_DOMAIN, "analytics.example.net", "D substring");
    WL(KZ_IOC_TEXT, "ANALYTICS.", "D substring");
    WL(KZ_IOC_DOMAIN, "analytics-example.net", NULL);
    /* regex: POSIX ERE translated from the PCRE form, flags honoured */
    WL(KZ_IOC_EMAIL, "abuse@corp.net", "E regex");
    WL(KZ_IOC_EMAIL, "NOC@corp.net", "E regex");
    WL(KZ_IOC_EMAIL, "user@corp.net", NULL);
    WL(KZ_IOC_EMAIL, "abuse@corpnet", NULL);
    WL(KZ_IOC_TEXT, "abuse@corp.net", NULL); /* not an e-mail list's type */
    WL(KZ_IOC_TEXT, "555-1234", NULL);       /* \d was not taken as 'd' */
    WL(KZ_IOC_TEXT, "ddd-dddd", NULL);
    WL(KZ_IOC_TEXT, "12.phone", "I brackets");
    WL(KZ_IOC_TEXT, "12x.phone", NULL);
    /* nothing for empty or absent input */
    assert_null(kz_match_warninglist_check(wl, KZ_IOC_DOMAIN, ""));
    assert_null(kz_match_warninglist_check(wl, KZ_IOC_DOMAIN, NULL));
    assert_null(kz_match_warninglist_check(NULL, KZ_IOC_DOMAIN, "example.org"));
    assert_int_equal(kz_match_warninglist_find(wl, (kz_ioc_type)99, "example.org"), -1);
    kz_match_warninglists_free(wl);

    /* broken lists are refused with the file named */
    write_list(root, "j-broken", "{\"name\":\"J\",\"type\":\"string\",\"list\":[");
    assert_int_equal(kz_match_warninglists_load_dir(root, &wl, &err), KZ_E_INVALID);
    assert_null(wl);
    assert_non_null(strstr(err.msg, "j-broken/list.json"));
    kz_test_rmdir(root);
    free(root);

    root = kz_test_mkdtemp();
    write_list(root, "k-type", "{\"name\":\"K\",\"type\":\"glob\",\"list\":[]}");
    assert_int_equal(kz_match_warninglists_load_dir(root, &wl, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "unknown type 'glob'"));
    kz_test_rmdir(root);
    free(root);

    root = kz_test_mkdtemp();
    write_list(root, "l-nolist", "{\"name\":\"L\",\"type\":\"string\"}");
    assert_int_equal(kz_match_warninglists_load_dir(root, &wl, &err), KZ_E_INVALID);
    assert_non_null(strstr(err.msg, "a \"list\" array"));
    kz_test_rmdir(root);
    free(root);

    assert_int_equal(kz_match_warninglists_load_dir("/nonexistent/kizuna-wl", &wl, &err),
                     KZ_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/kizuna-wl"));
    assert_int_equal(kz_match_warninglists_load_dir(NULL, &wl, &err), KZ_E_INVALID);
}

/* The substring automaton against strstr on random text: patterns over a
 * three-letter alphabet overlap and nest, which exercises the failure links. */
static void warninglist_substring_matches_naive_search(void **state)
{
    (void)state;
    srand(7);
    char pats[200][8];
    char *root = kz_test_mkdtemp();
    kz_buf js;
    kz_buf_init(&js);
    kz_buf_puts(&js, "{\"name\":\"S\",\"type\":\"substring\",\"list\":[");
    for (int i = 0; i < 200; i++) {
        int len = 3 + rand() % 5;
        for (int k = 0; k < len; k++)
            pats[i][k] = "abc"[rand() % 3];
        pats[i][len] = '\0';
        kz_buf_printf(&js, "%s\"%s\"", i ? "," : "", pats[i]);
    }
    kz_buf_puts(&js, "]}");
    write_list(root, "s", js.p);
    kz_buf_free(&js);
    kz_match_warninglists *wl;
    kz_err err;
    assert_int_equal(kz_match_warninglists_load_dir(root, &wl, &err), 0);
    int hits = 0;
    for (int q = 0; q < 3000; q++) {
        char s[24];
        int len = rand() % 23;
        for (int k = 0; k < len; k++)
            s[k] = "abcABC"[rand() % 6];
        s[len] = '\0';
        bool naive = false;
        for (int i = 0; i < 200 && !naive; i++)
            naive = strcasestr(s, pats[i]) != NULL;
        bool got = kz_match_warninglist_find(wl, KZ_IOC_TEXT, s) == 0;
        if (got != naive)
            fail_msg("'%s': automaton %d, naive %d", s, got, naive);
        hits += naive;
    }
    assert_true(hits > 100 && hits < 2900); /* both outcomes were exercised */
    kz_match_warninglists_free(wl);
    kz_test_rmdir(root);
    free(root);
}

/* ---- warninglists: the real MISP set ------------------------------------- */

/* An independent, slow reading of one list.json: does the value (an IPv4
 * or IPv6 address or a domain) appear on it, for type t? */
static bool naive_on_list(const char *path, kz_ioc_type t, const char *value)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return false;
    bool hit = false, applies = false, any_known = false;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(root, "matching_attributes"), i, a) {
        const char *m = json_string_value(a);
        if (!m)
            continue;
        bool ipname = !strcmp(m, "ip-src") || !strcmp(m, "ip-dst");
        int mt = kz_ioc_type_parse(m);
        if (ipname || mt >= 0)
            any_known = true;
        if ((t == KZ_IOC_IPV4 || t == KZ_IOC_IPV6) && ipname)
            applies = true;
        if ((t == KZ_IOC_DOMAIN) && (mt == KZ_IOC_DOMAIN || mt == KZ_IOC_HOSTNAME))
            applies = true;
    }
    if (!any_known)
        applies = true;
    const char *type = json_string_value(json_object_get(root, "type"));
    kz_ip v;
    bool is_ip = kz_ip_parse(value, strlen(value), &v) == 0;
    json_array_foreach(json_object_get(root, "list"), i, a) {
        const char *s = json_string_value(a);
        if (!applies || !s || hit)
            break;
        if (!strcmp(type, "cidr") && is_ip) {
            kz_ip net, last;
            int prefix;
            if (kz_cidr_parse(s, strlen(s), &net, &prefix) == 0 && net.v4 == v.v4) {
                kz_cidr_last(&net, prefix, &last);
                hit = memcmp(v.b, net.b, 16) >= 0 && memcmp(v.b, last.b, 16) <= 0;
            }
        } else if (!strcmp(type, "string")) {
            hit = strcasecmp(s, value) == 0;
        } else if (!strcmp(type, "hostname") && !is_ip) {
            while (*s == '*' || *s == '.')
                s++;
            size_t sl = strlen(s), vl = strlen(value);
            hit = sl && (strcasecmp(s, value) == 0 ||
                         (vl > sl && value[vl - sl - 1] == '.' && !strcasecmp(value + vl - sl, s)));
        } else if (!strcmp(type, "substring")) {
            hit = *s && strcasestr(value, s) != NULL;
        }
    }
    json_decref(root);
    return hit;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void warninglists_real_data(void **state)
{
    (void)state;
    char tarball[1024];
    if (!kz_test_data_path("misp/warninglists.tar.xz", tarball, sizeof tarball))
        skip();
    char *root = kz_test_mkdtemp();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "tar -xJf '%s' -C '%s'", tarball, root);
    assert_int_equal(system(cmd), 0);

    /* what is there, counted independently of the loader */
    char lists[1100];
    snprintf(lists, sizeof lists, "%s/lists", root);
    DIR *d = opendir(lists);
    assert_non_null(d);
    char *names[400];
    size_t ndirs = 0, nfiles = 0;
    struct dirent *de;
    while ((de = readdir(d)) && ndirs < 400)
        if (de->d_name[0] != '.')
            names[ndirs++] = strdup(de->d_name);
    closedir(d);
    qsort(names, ndirs, sizeof *names, cmp_names);
    char (*paths)[1400] = calloc(ndirs, sizeof *paths);
    for (size_t i = 0; i < ndirs; i++) {
        char p[1400];
        snprintf(p, sizeof p, "%s/%s/list.json", lists, names[i]);
        struct stat st;
        if (stat(p, &st) == 0)
            strcpy(paths[nfiles++], p);
    }
    assert_int_equal(nfiles, 136); /* and a few folders without a list.json */

    kz_match_warninglists *wl = NULL;
    kz_err err;
    if (kz_match_warninglists_load_dir(root, &wl, &err) != 0)
        fail_msg("load: %s", err.msg);
    kz_match_wl_stats st;
    kz_match_warninglists_stats(wl, &st);
    print_message("warninglists: %zu lists, %zu values, %zu folders without list.json, "
                  "%zu values skipped, regex %zu compiled / %zu not POSIX (%zu lists unusable)\n",
                  st.lists, st.entries, st.skipped_dirs, st.skipped_values, st.regex_ok,
                  st.regex_skipped, st.regex_lists_skipped);
    assert_int_equal(st.lists, nfiles);
    assert_int_equal(st.skipped_dirs, ndirs - nfiles);
    assert_true(st.entries > 500000);
    assert_true(st.regex_ok >= 1);     /* common-contact-emails */
    assert_true(st.regex_skipped >= 1); /* phone_numbers' (?: ... ) */

    /* a well-known public resolver is on a list */
    const char *name = kz_match_warninglist_check(wl, KZ_IOC_IPV4, "8.8.8.8");
    assert_non_null(name);
    /* and for these probes the first list agrees with a naive reading */
    static const struct {
        kz_ioc_type t;
        const char *v;
    } probes[] = {
        {KZ_IOC_IPV4, "8.8.8.8"},        {KZ_IOC_IPV4, "1.1.1.1"},
        {KZ_IOC_IPV4, "198.51.100.7"},   {KZ_IOC_IPV4, "10.1.2.3"},
        {KZ_IOC_IPV4, "185.220.101.47"}, {KZ_IOC_IPV6, "2001:4860:4860::8888"},
        {KZ_IOC_IPV6, "2001:db8::7"},    {KZ_IOC_DOMAIN, "www.google.com"},
        {KZ_IOC_DOMAIN, "kizuna-never-listed-7f3a.com"},
    };
    for (size_t p = 0; p < KZ_ARRAY_LEN(probes); p++) {
        int got = kz_match_warninglist_find(wl, probes[p].t, probes[p].v);
        int want = -1;
        for (size_t i = 0; i < nfiles && want < 0; i++)
            if (naive_on_list(paths[i], probes[p].t, probes[p].v))
                want = (int)i;
        kz_match_wl_info a, b;
        if (got != want)
            fail_msg("%s: loader says list %d (%s), naive reading %d (%s)", probes[p].v, got,
                     kz_match_warninglist_info(wl, (size_t)got, &a) ? a.dir : "-", want,
                     kz_match_warninglist_info(wl, (size_t)want, &b) ? b.dir : "-");
    }
    assert_true(kz_match_warninglist_find(wl, KZ_IOC_DOMAIN, "kizuna-never-listed-7f3a.com") < 0);

    kz_match_warninglists_free(wl);
    for (size_t i = 0; i < ndirs; i++)
        free(names[i]);
    free(paths);
    kz_test_rmdir(root);
    free(root);
}

/* ---- randomised comparison with a brute-force scan ----------------------- */

typedef struct rent {
    kz_ioc_type type;
    char value[128];
    char id[16];
} rent;

static unsigned rnd(unsigned n)
{
    return (unsigned)rand() % n;
}

static const char *const LABELS[] = {"a", "b", "evil", "x", "mail"};
static const char *const TLDS[] = {"com", "net"};

static void rand_domain(char *out, size_t n)
{
    int depth = 1 + (int)rnd(3);
    out[0] = '\0';
    for (int i = 0; i < depth; i++) {
        strncat(out, LABELS[rnd(5)], n - strlen(out) - 1);
        strncat(out, ".", n - strlen(out) - 1);
    }
    strncat(out, TLDS[rnd(2)], n - strlen(out) - 1);
}

static void rand_ip4(char *out, size_t n)
{
    snprintf(out, n, "10.%u.%u.%u", rnd(3), rnd(4), rnd(6));
}

static void rand_ip6(char *out, size_t n)
{
    snprintf(out, n, "2001:db8:%x::%x", rnd(3), rnd(5));
}

/* A random value of type t, in the small spaces above so that values repeat,
 * networks nest and names share parents. */
static void rand_value(kz_ioc_type t, char *out, size_t n)
{
    char a[96];
    switch (t) {
    case KZ_IOC_IPV4: rand_ip4(out, n); break;
    case KZ_IOC_IPV6: rand_ip6(out, n); break;
    case KZ_IOC_CIDR:
        if (rnd(2)) {
            rand_ip4(a, sizeof a);
            snprintf(out, n, "%s/%u", a, 8 + rnd(25));
        } else {
            rand_ip6(a, sizeof a);
            snprintf(out, n, "%s/%u", a, 24 + rnd(105));
        }
        break;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME: rand_domain(out, n); break;
    case KZ_IOC_URL:
        switch (rnd(3)) {
        case 0: rand_domain(a, sizeof a); break;
        case 1: rand_ip4(a, sizeof a); break;
        default:
            a[0] = '[';
            rand_ip6(a + 1, sizeof a - 2);
            strcat(a, "]");
            break;
        }
        snprintf(out, n, "http://%s/p%u", a, rnd(2));
        break;
    case KZ_IOC_IP_PORT:
        rand_ip4(a, sizeof a);
        snprintf(out, n, "%s:%u", a, 80 + rnd(2));
        break;
    case KZ_IOC_MD5: snprintf(out, n, "%032x", rnd(50)); break;
    case KZ_IOC_EMAIL:
        rand_domain(a, sizeof a);
        snprintf(out, n, "%s@%s", rnd(2) ? "Bob" : "bob", a);
        break;
    default: snprintf(out, n, "file%u.exe", rnd(20)); break;
    }
}

static const kz_ioc_type RTYPES[] = {KZ_IOC_IPV4,  KZ_IOC_IPV6,    KZ_IOC_CIDR,
                                     KZ_IOC_DOMAIN, KZ_IOC_HOSTNAME, KZ_IOC_URL,
                                     KZ_IOC_IP_PORT, KZ_IOC_MD5,   KZ_IOC_EMAIL,
                                     KZ_IOC_FILENAME};

typedef struct exp_hit {
    uint32_t payload;
    kz_match_kind kind;
} exp_hit;

static int cmp_hit(const void *a, const void *b)
{
    const exp_hit *x = a, *y = b;
    if (x->payload != y->payload)
        return x->payload < y->payload ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

static bool in_net(const kz_ip *a, const char *cidr)
{
    kz_ip net, last;
    int prefix;
    if (kz_cidr_parse(cidr, strlen(cidr), &net, &prefix) != 0 || net.v4 != a->v4)
        return false;
    kz_cidr_last(&net, prefix, &last);
    return memcmp(a->b, net.b, 16) >= 0 && memcmp(a->b, last.b, 16) <= 0;
}

static bool is_parent(const char *q, const char *d)
{
    size_t ql = strlen(q), dl = strlen(d);
    return ql > dl && q[ql - dl - 1] == '.' && strcmp(q + ql - dl, d) == 0;
}

/* Everything an IP or a name matches, by scanning every entry. */
static size_t brute_addr(const rent *es, size_t n, const kz_ip *a, bool url, exp_hit *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        kz_ip v;
        if ((es[i].type == KZ_IOC_IPV4 || es[i].type == KZ_IOC_IPV6) &&
            kz_ip_parse(es[i].value, strlen(es[i].value), &v) == 0 && !memcmp(v.b, a->b, 16))
            out[k++] = (exp_hit){(uint32_t)i, url ? U : E};
        else if (es[i].type == KZ_IOC_CIDR && in_net(a, es[i].value))
            out[k++] = (exp_hit){(uint32_t)i, url ? U : C};
    }
    return k;
}

static size_t brute_name(const rent *es, size_t n, const char *q, bool url, exp_hit *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (es[i].type != KZ_IOC_DOMAIN && es[i].type != KZ_IOC_HOSTNAME)
            continue;
        if (!strcmp(es[i].value, q))
            out[k++] = (exp_hit){(uint32_t)i, url ? U : E};
        else if (es[i].type == KZ_IOC_DOMAIN && is_parent(q, es[i].value))
            out[k++] = (exp_hit){(uint32_t)i, url ? U : S};
    }
    return k;
}

static size_t brute(const rent *es, size_t n, kz_ioc_type t, const char *q, exp_hit *out)
{
    size_t k = 0;
    kz_ip a;
    int prefix;
    switch (t) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
        assert_int_equal(kz_ip_parse(q, strlen(q), &a), 0);
        return brute_addr(es, n, &a, false, out);
    case KZ_IOC_CIDR:
        assert_int_equal(kz_cidr_parse(q, strlen(q), &a, &prefix), 0);
        for (size_t i = 0; i < n; i++) {
            kz_ip net, v;
            int p2;
            if (es[i].type == KZ_IOC_CIDR &&
                kz_cidr_parse(es[i].value, strlen(es[i].value), &net, &p2) == 0 &&
                p2 <= prefix && in_net(&a, es[i].value))
                out[k++] = (exp_hit){(uint32_t)i, p2 == prefix ? E : C};
            else if (prefix == 128 && (es[i].type == KZ_IOC_IPV4 || es[i].type == KZ_IOC_IPV6) &&
                     kz_ip_parse(es[i].value, strlen(es[i].value), &v) == 0 &&
                     !memcmp(v.b, a.b, 16))
                out[k++] = (exp_hit){(uint32_t)i, E};
        }
        return k;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME:
        return brute_name(es, n, q, false, out);
    case KZ_IOC_URL: {
        for (size_t i = 0; i < n; i++)
            if (es[i].type == KZ_IOC_URL && !strcmp(es[i].value, q))
                out[k++] = (exp_hit){(uint32_t)i, E};
        char host[256];
        assert_true(kz_url_host(q, host, sizeof host));
        if (kz_ip_parse(host, strlen(host), &a) == 0)
            return k + brute_addr(es, n, &a, true, out + k);
        return k + brute_name(es, n, host, true, out + k);
    }
    default:
        for (size_t i = 0; i < n; i++)
            if (es[i].type == t && !strcmp(es[i].value, q))
                out[k++] = (exp_hit){(uint32_t)i, E};
        return k;
    }
}

static void normalize_into(kz_ioc_type t, const char *raw, char *out, size_t n)
{
    kz_buf b;
    kz_buf_init(&b);
    kz_err err;
    if (kz_ioc_normalize(t, raw, strlen(raw), &b, &err) != 0)
        fail_msg("normalize %s '%s': %s", kz_ioc_type_name(t), raw, err.msg);
    snprintf(out, n, "%s", b.p);
    kz_buf_free(&b);
}

static void random_index_matches_brute_force(void **state)
{
    (void)state;
    enum { N = 10000, Q = 4000 };
    srand(20240611);
    rent *es = calloc(N, sizeof *es);
    kz_match_builder *b = kz_match_builder_new();
    for (size_t i = 0; i < N; i++) {
        char raw[128];
        es[i].type = RTYPES[rnd(KZ_ARRAY_LEN(RTYPES))];
        rand_value(es[i].type, raw, sizeof raw);
        normalize_into(es[i].type, raw, es[i].value, sizeof es[i].value);
        snprintf(es[i].id, sizeof es[i].id, "r%zu", i);
        kz_match_entry e = {.indicator_id = es[i].id, .event_id = "ev", .type = es[i].type,
                            .value = es[i].value, .tlp = KZ_TLP_GREEN};
        assert_int_equal(kz_match_builder_add(b, &e, NULL), 0);
    }
    kz_match_index *idx = build(b);
    kz_match_builder_free(b);

    exp_hit *want = calloc(N, sizeof *want), *got = calloc(N, sizeof *got);
    kz_match_hit *hits = calloc(N, sizeof *hits);
    size_t total_hits = 0, kinds[4] = {0};
    for (size_t qi = 0; qi < Q + N; qi++) {
        kz_ioc_type t;
        char raw[128], q[128];
        if (qi < Q) {
            t = RTYPES[rnd(KZ_ARRAY_LEN(RTYPES))];
            rand_value(t, raw, sizeof raw);
            normalize_into(t, raw, q, sizeof q);
        } else { /* every entry's own value is asked for too */
            t = es[qi - Q].type;
            snprintf(q, sizeof q, "%s", es[qi - Q].value);
        }
        size_t nw = brute(es, N, t, q, want);
        size_t ng = kz_match_lookup(idx, t, q, strlen(q), hits, N);
        if (ng != nw)
            fail_msg("%s '%s': index %zu hits, brute force %zu", kz_ioc_type_name(t), q, ng, nw);
        /* exact hits come before the others */
        for (size_t i = 1; i < ng; i++)
            if (hits[i].kind == E && hits[i - 1].kind != E)
                fail_msg("%s '%s': an exact hit after a %s one", kz_ioc_type_name(t), q,
                         kz_match_kind_name(hits[i - 1].kind));
        for (size_t i = 0; i < ng; i++) {
            got[i] = (exp_hit){hits[i].payload, hits[i].kind};
            kinds[hits[i].kind]++;
        }
        qsort(want, nw, sizeof *want, cmp_hit);
        qsort(got, ng, sizeof *got, cmp_hit);
        for (size_t i = 0; i < nw; i++)
            if (want[i].payload != got[i].payload || want[i].kind != got[i].kind)
                fail_msg("%s '%s': hit %zu is %u/%s, brute force %u/%s", kz_ioc_type_name(t), q,
                         i, got[i].payload, kz_match_kind_name(got[i].kind), want[i].payload,
                         kz_match_kind_name(want[i].kind));
        total_hits += ng;
    }
    /* the data exercised every kind of match */
    for (int k = 0; k < 4; k++)
        if (kinds[k] == 0)
            fail_msg("no %s hit in the random data", kz_match_kind_name((kz_match_kind)k));
    assert_true(total_hits > N);
    free(want);
    free(got);
    free(hits);
    free(es);
    kz_match_index_free(idx);
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_addresses),
        cmocka_unit_test(cidr_returns_every_containing_network),
        cmocka_unit_test(domains_on_label_boundaries),
        cmocka_unit_test(urls_exact_and_by_host),
        cmocka_unit_test(pairs_hashes_email_filenames),
        cmocka_unit_test(one_value_many_payloads),
        cmocka_unit_test(builder_refuses_bad_entries),
        cmocka_unit_test(publish_under_concurrent_readers),
        cmocka_unit_test(warninglists_synthetic),
        cmocka_unit_test(warninglist_substring_matches_naive_search),
        cmocka_unit_test(warninglists_real_data),
        cmocka_unit_test(random_index_matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
