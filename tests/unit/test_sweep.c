/* test_sweep.c — the sweep engine on small samples of every format (Zeek
 * TSV of each log path, Zeek JSON, Suricata EVE, CSV, free text with
 * defanged values, format detection), on the real Zeek logs of the shared
 * data, and on bad input: a truncated gzip, an overlong line (mapped and
 * streamed), binary garbage, a line that does not match its header, a file
 * that cannot be opened. Each bad input must be reported with its file and
 * line, and the sweep must go on. Hits must come out in line order and be
 * the same whatever the thread count and chunk size.
 */
#include "kz_test.h"

#include "match/match.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- helpers ------------------------------------------------------------ */

typedef struct ent {
    kz_ioc_type t;
    const char *v;
} ent;

static kz_match_index *mk_index(const ent *e, size_t n)
{
    kz_match_builder *b = kz_match_builder_new();
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "ind-%zu", i);
        kz_match_entry me = {.indicator_id = id,
                             .event_id = "ev-1",
                             .org_id = "org-1",
                             .type = e[i].t,
                             .value = e[i].v,
                             .tlp = KZ_TLP_GREEN,
                             .to_ids = true,
                             .tags = "c2"};
        kz_err err;
        if (kz_match_builder_add(b, &me, &err) != 0)
            fail_msg("add '%s': %s", e[i].v, err.msg);
    }
    kz_match_index *idx = NULL;
    kz_err err;
    assert_int_equal(kz_match_build(b, &idx, &err), 0);
    kz_match_builder_free(b);
    return idx;
}

typedef struct coll {
    const kz_match_index *idx;
    char **hit;
    size_t nhit;
    char **prob;
    size_t nprob;
    size_t stop_after; /* 0 = never */
    bool with_file;
} coll;

static char *fmt_str(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_str(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    assert_true(vasprintf(&s, f, ap) >= 0);
    va_end(ap);
    return s;
}

static bool c_hit(void *ctx, const kz_sweep_hit *h)
{
    coll *c = ctx;
    kz_match_payload p;
    assert_true(kz_match_payload_get(c->idx, h->payload, &p));
    char *s = fmt_str("%s%s%s%llu %s=%s %s %s%s%s", c->with_file ? h->file : "",
                      c->with_file ? ":" : "", "L", (unsigned long long)h->line, h->field,
                      h->value, kz_match_kind_name(h->kind), p.value,
                      h->warninglist ? " wl=" : "", h->warninglist ? h->warninglist : "");
    c->hit = realloc(c->hit, (c->nhit + 1) * sizeof *c->hit);
    c->hit[c->nhit++] = s;
    return !(c->stop_after && c->nhit >= c->stop_after);
}

static void c_prob(void *ctx, const kz_sweep_problem *p)
{
    coll *c = ctx;
    char *s = fmt_str("%s:%llu %s", p->file, (unsigned long long)p->line, p->msg);
    c->prob = realloc(c->prob, (c->nprob + 1) * sizeof *c->prob);
    c->prob[c->nprob++] = s;
}

static void coll_free(coll *c)
{
    for (size_t i = 0; i < c->nhit; i++)
        free(c->hit[i]);
    for (size_t i = 0; i < c->nprob; i++)
        free(c->prob[i]);
    free(c->hit);
    free(c->prob);
    c->hit = c->prob = NULL;
    c->nhit = c->nprob = 0;
}

static kz_sweep_opts opts_for(coll *c, kz_sweep_format f, unsigned threads, size_t chunk)
{
    return (kz_sweep_opts){.format = f,
                           .threads = threads,
                           .chunk_bytes = chunk,
                           .on_hit = c_hit,
                           .on_problem = c_prob,
                           .ctx = c};
}

static kz_sweep_stats sweep_str(const kz_match_index *idx, kz_sweep_format f, const char *data,
                                coll *c)
{
    c->idx = idx;
    kz_sweep_opts o = opts_for(c, f, 2, 0);
    kz_sweep_stats st;
    kz_err err;
    assert_int_equal(kz_sweep_mem(idx, "mem", data, strlen(data), &o, &st, &err), 0);
    return st;
}

static void dump(const coll *c)
{
    for (size_t i = 0; i < c->nhit; i++)
        print_message("  hit  %s\n", c->hit[i]);
    for (size_t i = 0; i < c->nprob; i++)
        print_message("  prob %s\n", c->prob[i]);
}

/* The hits must be exactly these, in this order. */
static void expect_hits(const coll *c, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    bool ok = n == c->nhit;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(want[i], c->hit[i]) == 0;
    if (!ok) {
        print_message("expected:\n");
        for (size_t i = 0; i < n; i++)
            print_message("  hit  %s\n", want[i]);
        print_message("got:\n");
        dump(c);
        fail_msg("hits differ");
    }
}

static void expect_probs(const coll *c, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    bool ok = n == c->nprob;
    for (size_t i = 0; ok && i < n; i++)
        ok = strstr(c->prob[i], want[i]) == c->prob[i] || strstr(c->prob[i], want[i]);
    if (!ok) {
        print_message("expected problems (prefixes):\n");
        for (size_t i = 0; i < n; i++)
            print_message("  prob %s\n", want[i]);
        print_message("got:\n");
        dump(c);
        fail_msg("problems differ");
    }
}

static void mkdirs(const char *d)
{
    char *cmd = fmt_str("mkdir -p '%s'", d);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_gz(const char *path, const char *mode, const void *data, size_t n)
{
    gzFile g = gzopen(path, mode);
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

static const ent base_iocs[] = {
    {KZ_IOC_DOMAIN, "evil.com"},
    {KZ_IOC_HOSTNAME, "host.bad.org"},
    {KZ_IOC_IPV4, "203.0.113.5"},
    {KZ_IOC_CIDR, "10.0.0.0/8"},
    {KZ_IOC_IPV6, "2001:db8::5"},
    {KZ_IOC_URL, "http://evil.com/dl/x.exe"},
    {KZ_IOC_URL, "http://1.2.3.4:8080/gate.php"},
    {KZ_IOC_IP_PORT, "198.51.100.7:8443"},
    {KZ_IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e"},
    {KZ_IOC_SHA256, "b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe"},
    {KZ_IOC_EMAIL, "boss@phish.example"},
    {KZ_IOC_FILENAME, "invoice.pdf.exe"},
    {KZ_IOC_USER_AGENT, "EvilBot/1.0"},
    {KZ_IOC_DOMAIN, "xn--strae-oqa.de"},
};

static kz_match_index *base_index(void)
{
    return mk_index(base_iocs, KZ_ARRAY_LEN(base_iocs));
}

#define ZH(path, fields, types)                                                                 \
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t" path \
    "\n#open\t2024-01-01-00-00-00\n#fields\t" fields "\n#types\t" types "\n"

/* ---- Zeek TSV ------------------------------------------------------------ */

static void test_zeek_dns(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log =
        ZH("dns", "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tanswers",
           "time\tstring\taddr\tport\taddr\tport\tstring\tvector[string]")
        "1.0\tC1\t192.168.1.2\t5353\t8.8.8.8\t53\ta.evil.com\t1.1.1.1,b.evil.com\n"
        "2.0\tC2\t192.168.1.2\t5353\t8.8.8.8\t53\tnotevil.com\t-\n"
        "3.0\tC3\t192.168.1.2\t5353\t10.1.2.3\t53\tEVIL.COM.\t(empty)\n"
        "4.0\tC4\t192.168.1.2\t5353\t8.8.8.8\t53\thost.bad.org\t203.0.113.5\n"
        "5.0\tC5\t192.168.1.2\t5353\t8.8.8.8\t53\tx.host.bad.org\t2001:db8:0:0::5\n"
        "6.0\tC6\t192.168.1.2\t5353\t8.8.8.8\t53\tstraße.de\t::ffff:203.0.113.5\n"
        "#close\t2024-01-01-00-00-01\n";
    coll c = {0};
    kz_sweep_stats st = sweep_str(idx, KZ_SWEEP_ZEEK, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L9 query=a.evil.com subdomain evil.com",
                        "L9 answers=b.evil.com subdomain evil.com",
                        "L11 id.resp_h=10.1.2.3 cidr 10.0.0.0/8",
                        "L11 query=evil.com exact evil.com",
                        "L12 query=host.bad.org exact host.bad.org",
                        "L12 answers=203.0.113.5 exact 203.0.113.5",
                        "L13 answers=2001:db8::5 exact 2001:db8::5",
                        "L14 query=xn--strae-oqa.de exact xn--strae-oqa.de",
                        "L14 answers=203.0.113.5 exact 203.0.113.5",
                        NULL});
    expect_probs(&c, (const char *const[]){NULL});
    assert_int_equal(st.lines, 15);
    assert_int_equal(st.hits, 9);
    assert_int_equal(st.errors, 0);
    coll_free(&c);
    kz_match_index_free(idx);
}

static void test_zeek_conn_http_ssl(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log =
        ZH("conn", "ts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto",
           "time\taddr\tport\taddr\tport\tenum")
        "1\t192.168.1.2\t40000\t198.51.100.7\t8443\ttcp\n"
        "2\t192.168.1.2\t40000\t198.51.100.7\t443\ttcp\n"
        ZH("http", "ts\tid.orig_h\tid.resp_h\tid.resp_p\thost\turi\treferrer\tuser_agent",
           "time\taddr\taddr\tport\tstring\tstring\tstring\tstring")
        "3\t192.168.1.2\t192.0.2.1\t80\tEvil.com\t/dl/x.exe\t-\tMozilla/5.0\n"
        "4\t192.168.1.2\t192.0.2.1\t80\t1.2.3.4:8080\t/gate.php\thttp://www.evil.com/a\t"
        "EvilBot/1.0\n"
        "5\t192.168.1.2\t192.0.2.1\t80\tgood.org\t/dl/x.exe\t-\t-\n"
        ZH("ssl", "ts\tid.orig_h\tid.resp_h\tid.resp_p\tserver_name\tcert_chain_fps",
           "time\taddr\taddr\tport\tstring\tvector[string]")
        "6\t192.168.1.2\t192.0.2.9\t443\tcdn.evil.com\t"
        "00,B2DAFBCDBC75210672F137F27CE882CCB799887631655D4F11191D5A678E44FE\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_ZEEK, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L9 id.resp_h:id.resp_p=198.51.100.7:8443 exact 198.51.100.7:8443",
                        "L19 host=evil.com exact evil.com",
                        "L19 url=http://evil.com/dl/x.exe exact http://evil.com/dl/x.exe",
                        "L20 url=http://1.2.3.4:8080/gate.php exact http://1.2.3.4:8080/gate.php",
                        "L20 referrer=http://www.evil.com/a url-host evil.com",
                        "L20 user_agent=EvilBot/1.0 exact EvilBot/1.0",
                        "L30 server_name=cdn.evil.com subdomain evil.com",
                        "L30 cert_chain_fps="
                        "b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe exact "
                        "b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe",
                        NULL});
    expect_probs(&c, (const char *const[]){NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

static void test_zeek_files_x509_smtp_notice(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log =
        ZH("files", "ts\ttx_hosts\trx_hosts\tfilename\tmd5\tsha256",
           "time\tset[addr]\tset[addr]\tstring\tstring\tstring")
        "1\t203.0.113.5\t192.168.1.2\tinvoice.pdf.exe\tD41D8CD98F00B204E9800998ECF8427E\t-\n"
        ZH("x509", "ts\tfingerprint\tcertificate.subject\tsan.dns\tsan.email\tsan.ip",
           "time\tstring\tstring\tvector[string]\tvector[string]\tvector[addr]")
        "2\tb2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe\t"
        "CN=*.evil.com,O=Evil\\, Inc\tgood.org,mail.evil.com\tboss@phish.example\t10.9.9.9\n"
        ZH("smtp", "ts\tid.orig_h\tid.resp_h\thelo\tmailfrom\trcptto\tfrom\tsubject",
           "time\taddr\taddr\tstring\tstring\tset[string]\tstring\tstring")
        "3\t192.168.1.2\t192.0.2.25\tmx.evil.com\t<boss@PHISH.example>\tme@ok.org,"
        "boss@phish.example\t\"The Boss\" <boss@phish.example>\tCN=evil.com\n"
        ZH("notice", "ts\tsrc\tdst\tmsg", "time\taddr\taddr\tstring")
        "4\t203.0.113.5\t192.0.2.1\tevil.com seen\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_ZEEK, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L9 tx_hosts=203.0.113.5 exact 203.0.113.5",
                        "L9 filename=invoice.pdf.exe exact invoice.pdf.exe",
                        "L9 md5=d41d8cd98f00b204e9800998ecf8427e exact "
                        "d41d8cd98f00b204e9800998ecf8427e",
                        "L18 fingerprint="
                        "b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe exact "
                        "b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe",
                        "L18 certificate.subject=evil.com exact evil.com",
                        "L18 san.dns=mail.evil.com subdomain evil.com",
                        "L18 san.email=boss@phish.example exact boss@phish.example",
                        "L18 san.ip=10.9.9.9 cidr 10.0.0.0/8",
                        "L27 helo=mx.evil.com subdomain evil.com",
                        "L27 mailfrom=boss@phish.example exact boss@phish.example",
                        "L27 rcptto=boss@phish.example exact boss@phish.example",
                        "L27 from=boss@phish.example exact boss@phish.example",
                        "L36 src=203.0.113.5 exact 203.0.113.5",
                        NULL});
    expect_probs(&c, (const char *const[]){NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

/* A log of an unknown path: its addr columns, and names that mean one
 * thing everywhere. A log without #types falls back to the path's list. */
static void test_zeek_unknown_path(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log = "#separator \\x09\n#path\tmy_sensor\n#fields\tts\tpeer\tquery\tnote\n"
                      "#types\ttime\taddr\tstring\tstring\n"
                      "1\t203.0.113.5\tevil.com\tevil.com\n"
                      "#separator \\x09\n#path\tdns\n#fields\tts\tquery\tanswers\n"
                      "2\tevil.com\t203.0.113.5,10.0.0.1\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_ZEEK, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L5 peer=203.0.113.5 exact 203.0.113.5",
                        "L5 query=evil.com exact evil.com",
                        "L9 query=evil.com exact evil.com",
                        "L9 answers=203.0.113.5 exact 203.0.113.5",
                        "L9 answers=10.0.0.1 cidr 10.0.0.0/8",
                        NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

/* Headers that change mid-file: with tiny chunks on several threads most
 * tasks assume the wrong header and must be swept again. The result must be
 * the same as with one thread and one chunk. */
static void test_zeek_header_switch(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    kz_buf log;
    kz_buf_init(&log);
    for (int block = 0; block < 6; block++) {
        if (block % 2 == 0)
            kz_buf_puts(&log, "#separator \\x09\n#path\tdns\n#fields\tts\tquery\tid.resp_h\n");
        else
            kz_buf_puts(&log, "#separator \\x09\n#path\tdns\n#fields\tid.resp_h\tts\tquery\n");
        for (int i = 0; i < 40; i++) {
            const char *q = i % 3 == 0 ? "evil.com" : "fine.org";
            const char *a = i % 5 == 0 ? "203.0.113.5" : "192.0.2.1";
            if (block % 2 == 0)
                kz_buf_printf(&log, "%d\t%s\t%s\n", i, q, a);
            else
                kz_buf_printf(&log, "%s\t%d\t%s\n", a, i, q);
        }
    }
    coll one = {.idx = idx}, many = {.idx = idx};
    kz_sweep_opts o1 = opts_for(&one, KZ_SWEEP_ZEEK, 1, 1 << 20);
    kz_sweep_opts o2 = opts_for(&many, KZ_SWEEP_ZEEK, 4, 64);
    kz_sweep_stats s1, s2;
    kz_err err;
    assert_int_equal(kz_sweep_mem(idx, "m", log.p, log.len, &o1, &s1, &err), 0);
    assert_int_equal(kz_sweep_mem(idx, "m", log.p, log.len, &o2, &s2, &err), 0);
    /* per block: 14 queries on evil.com (i = 0, 3, .., 39) and 8 addresses */
    assert_int_equal(one.nhit, 6 * (14 + 8));
    assert_int_equal(one.nhit, many.nhit);
    for (size_t i = 0; i < one.nhit; i++)
        assert_string_equal(one.hit[i], many.hit[i]);
    assert_string_equal(one.hit[0], "L4 query=evil.com exact evil.com");
    assert_string_equal(one.hit[1], "L4 id.resp_h=203.0.113.5 exact 203.0.113.5");
    assert_string_equal(one.hit[22], "L47 id.resp_h=203.0.113.5 exact 203.0.113.5");
    assert_string_equal(one.hit[23], "L47 query=evil.com exact evil.com");
    assert_int_equal(s1.lines, s2.lines);
    assert_int_equal(one.nprob + many.nprob, 0);
    coll_free(&one);
    coll_free(&many);
    kz_buf_free(&log);
    kz_match_index_free(idx);
}

/* ---- JSON formats --------------------------------------------------------- */

static void test_zeek_json(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log =
        "{\"_path\":\"dns\",\"ts\":1.0,\"uid\":\"C1\",\"id.orig_h\":\"192.168.1.2\","
        "\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":53,\"query\":\"www.evil.com\","
        "\"answers\":[\"203.0.113.5\",\"x.org\"]}\n"
        "{\"_path\":\"conn\",\"ts\":2.0,\"id\":{\"orig_h\":\"192.168.1.2\",\"resp_h\":"
        "\"198.51.100.7\",\"resp_p\":8443}}\n"
        "{\"_path\":\"http\",\"ts\":3.0,\"host\":\"evil.com\",\"uri\":\"/dl/x.exe\"}\n"
        "{\"_path\":\"smtp\",\"subject\":\"evil.com\",\"mailfrom\":\"boss@phish.example\"}\n"
        "{\"_path\":\"dns\", broken\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_ZEEK_JSON, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L1 id.resp_h=10.0.0.53 cidr 10.0.0.0/8",
                        "L1 query=www.evil.com subdomain evil.com",
                        "L1 answers=203.0.113.5 exact 203.0.113.5",
                        "L2 id.resp_h:id.resp_p=198.51.100.7:8443 exact 198.51.100.7:8443",
                        "L3 host=evil.com exact evil.com",
                        "L3 url=http://evil.com/dl/x.exe exact http://evil.com/dl/x.exe",
                        "L4 mailfrom=boss@phish.example exact boss@phish.example",
                        NULL});
    expect_probs(&c, (const char *const[]){"mem:5 not JSON", NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

static void test_eve(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log =
        "{\"timestamp\":\"2024-01-01T00:00:00Z\",\"event_type\":\"dns\",\"src_ip\":"
        "\"192.168.1.2\",\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"dns\":{\"type\":\"answer\","
        "\"rrname\":\"a.evil.com\",\"answers\":[{\"rrname\":\"a.evil.com\",\"rdata\":"
        "\"203.0.113.5\"}]}}\n"
        "{\"event_type\":\"http\",\"src_ip\":\"192.168.1.2\",\"dest_ip\":\"198.51.100.7\","
        "\"dest_port\":8443,\"http\":{\"hostname\":\"evil.com\",\"url\":\"/dl/x.exe\","
        "\"http_user_agent\":\"EvilBot/1.0\"}}\n"
        "{\"event_type\":\"tls\",\"tls\":{\"sni\":\"host.bad.org\",\"subject\":\"CN=evil.com\"}}\n"
        "{\"event_type\":\"fileinfo\",\"fileinfo\":{\"filename\":\"invoice.pdf.exe\",\"md5\":"
        "\"d41d8cd98f00b204e9800998ecf8427e\"}}\n"
        "{\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"mx.evil.com\",\"rcpt_to\":["
        "\"<boss@phish.example>\"]},\"email\":{\"from\":\"Boss <boss@phish.example>\"}}\n"
        "[1,2]\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_EVE, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L1 dest_ip=10.0.0.53 cidr 10.0.0.0/8",
                        "L1 dns.rrname=a.evil.com subdomain evil.com",
                        "L1 dns.answers.rrname=a.evil.com subdomain evil.com",
                        "L1 dns.answers.rdata=203.0.113.5 exact 203.0.113.5",
                        "L2 http.hostname=evil.com exact evil.com",
                        "L2 url=http://evil.com/dl/x.exe exact http://evil.com/dl/x.exe",
                        "L2 http.http_user_agent=EvilBot/1.0 exact EvilBot/1.0",
                        "L2 dest_ip:dest_port=198.51.100.7:8443 exact 198.51.100.7:8443",
                        "L3 tls.sni=host.bad.org exact host.bad.org",
                        "L3 tls.subject=evil.com exact evil.com",
                        "L4 fileinfo.filename=invoice.pdf.exe exact invoice.pdf.exe",
                        "L4 fileinfo.md5=d41d8cd98f00b204e9800998ecf8427e exact "
                        "d41d8cd98f00b204e9800998ecf8427e",
                        "L5 smtp.helo=mx.evil.com subdomain evil.com",
                        "L5 smtp.rcpt_to=boss@phish.example exact boss@phish.example",
                        "L5 email.from=boss@phish.example exact boss@phish.example",
                        NULL});
    expect_probs(&c, (const char *const[]){"mem:6 not a JSON object", NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

/* ---- CSV and text ---------------------------------------------------------- */

static void test_csv(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log = "time,src,dst,url,note\r\n"
                      "1,192.168.1.2,203.0.113.5,http://EVIL.com/dl/x.exe,\"said \"\"hi\"\", ok\"\r\n"
                      "2,10.1.1.1,192.0.2.1,\"http://good.org/?a=1,2\",198.51.100.7:8443\n"
                      "3,192.0.2.1,192.0.2.2\n"
                      "4,\"unclosed,192.0.2.1,x,y\n"
                      "5, a.evil.com ,d41d8cd98f00b204e9800998ecf8427e,evil.com/dl/x.exe,"
                      "[2001:db8::5]:443\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_CSV, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L2 dst=203.0.113.5 exact 203.0.113.5",
                        "L2 url=http://evil.com/dl/x.exe exact http://evil.com/dl/x.exe",
                        "L2 url=http://evil.com/dl/x.exe url-host evil.com",
                        "L3 src=10.1.1.1 cidr 10.0.0.0/8",
                        "L3 note=198.51.100.7:8443 exact 198.51.100.7:8443",
                        "L6 src=a.evil.com subdomain evil.com",
                        "L6 dst=d41d8cd98f00b204e9800998ecf8427e exact "
                        "d41d8cd98f00b204e9800998ecf8427e",
                        "L6 url=http://evil.com/dl/x.exe exact http://evil.com/dl/x.exe",
                        "L6 url=http://evil.com/dl/x.exe url-host evil.com",
                        "L6 note=2001:db8::5 exact 2001:db8::5",
                        NULL});
    expect_probs(&c, (const char *const[]){"mem:4 has 3 columns, the header names 5",
                                           "mem:5 a quoted CSV field is not closed", NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

static void test_text_refang(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log = "The payload came from hxxp://evil[.]com/dl/x[.]exe (see report).\n"
                      "C2 at 203.0.113[.]5 and [2001:db8::5], mail boss[@]phish(.)example.\n"
                      "nothing here: notevil.com, evil.community, 10.0.0\n"
                      "url=http://1.2.3.4:8080/gate.php; ua=\"EvilBot/1.0\"\n"
                      "Visit (sub.evil.com). Also 198.51.100.7:8443, D41D8CD98F00B204E9800998ECF8427E\n";
    coll c = {0};
    sweep_str(idx, KZ_SWEEP_TEXT, log, &c);
    expect_hits(&c, (const char *const[]){
                        "L1 text=http://evil.com/dl/x.exe exact http://evil.com/dl/x.exe",
                        "L1 text=http://evil.com/dl/x.exe url-host evil.com",
                        "L2 text=203.0.113.5 exact 203.0.113.5",
                        "L2 text=2001:db8::5 exact 2001:db8::5",
                        "L2 text=boss@phish.example exact boss@phish.example",
                        "L4 text=http://1.2.3.4:8080/gate.php exact http://1.2.3.4:8080/gate.php",
                        "L5 text=sub.evil.com subdomain evil.com",
                        "L5 text=198.51.100.7:8443 exact 198.51.100.7:8443",
                        "L5 text=d41d8cd98f00b204e9800998ecf8427e exact "
                        "d41d8cd98f00b204e9800998ecf8427e",
                        NULL});
    coll_free(&c);
    kz_match_index_free(idx);
}

/* auto finds each format from its first lines: the hits are those of the
 * format named explicitly. */
static void test_auto_detect(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    static const struct {
        kz_sweep_format f;
        const char *log;
    } cases[] = {
        {KZ_SWEEP_ZEEK, ZH("dns", "ts\tquery", "time\tstring") "1\ta.evil.com\n"},
        {KZ_SWEEP_ZEEK_JSON, "{\"ts\":1,\"uid\":\"C\",\"query\":\"a.evil.com\"}\n"},
        {KZ_SWEEP_EVE, "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"a.evil.com\"}}\n"},
        {KZ_SWEEP_CSV, "ts,name\n1,a.evil.com\n"},
        {KZ_SWEEP_TEXT, "ts name\n1 a.evil.com\n"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        coll a = {0}, b = {0};
        sweep_str(idx, cases[i].f, cases[i].log, &a);
        sweep_str(idx, KZ_SWEEP_AUTO, cases[i].log, &b);
        if (a.nhit != 1)
            fail_msg("%s: %zu hits", kz_sweep_format_name(cases[i].f), a.nhit);
        assert_int_equal(b.nhit, 1);
        assert_string_equal(a.hit[0], b.hit[0]);
        assert_non_null(strstr(a.hit[0], "a.evil.com subdomain evil.com"));
        coll_free(&a);
        coll_free(&b);
    }
    assert_int_equal(kz_sweep_format_parse("zeek-json"), KZ_SWEEP_ZEEK_JSON);
    assert_int_equal(kz_sweep_format_parse("eve"), KZ_SWEEP_EVE);
    assert_int_equal(kz_sweep_format_parse("syslog"), -1);
    assert_string_equal(kz_sweep_format_name(KZ_SWEEP_CSV), "csv");
    kz_match_index_free(idx);
}

/* ---- bad input ------------------------------------------------------------- */

static char *tmpdir;

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static kz_sweep_stats sweep_paths(const kz_match_index *idx, const char *const *paths, size_t n,
                                  kz_sweep_opts *o, coll *c)
{
    c->idx = idx;
    c->with_file = true;
    kz_sweep_stats st;
    kz_err err;
    assert_int_equal(kz_sweep_files(idx, paths, n, o, &st, &err), 0);
    return st;
}

/* A gzip cut in the middle: the lines before the cut are swept, the cut is
 * reported at the line where the data stops, and the next file is swept. */
static void test_truncated_gzip(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    kz_buf data;
    kz_buf_init(&data);
    for (int i = 1; i <= 3000; i++)
        kz_buf_printf(&data, "%d host-%d.example.org %08x evil.com\n", i, i * 7919,
                      (unsigned)i * 2654435761u);
    char a[600], b[600];
    path_in(a, sizeof a, "cut.log.gz");
    path_in(b, sizeof b, "next.log");
    write_gz(a, "wb", data.p, data.len);
    struct stat sb;
    assert_int_equal(stat(a, &sb), 0);
    assert_int_equal(truncate(a, sb.st_size * 6 / 10), 0);
    write_file(b, "one evil.com\n", 13);
    const char *paths[] = {a, b};
    coll c = {0};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_TEXT, 2, 4096);
    kz_sweep_stats st = sweep_paths(idx, paths, 2, &o, &c);
    /* every line holds one hit: the hits number the lines swept */
    assert_true(c.nhit > 100 && c.nhit < 3000);
    size_t k = c.nhit - 1; /* hits of the first file, then one of the second */
    for (size_t i = 0; i < k; i++) {
        char want[700];
        snprintf(want, sizeof want, "%s:L%zu text=evil.com exact evil.com", a, i + 1);
        assert_string_equal(c.hit[i], want);
    }
    char want[700];
    snprintf(want, sizeof want, "%s:L1 text=evil.com exact evil.com", b);
    assert_string_equal(c.hit[k], want);
    assert_int_equal(c.nprob, 1);
    char pfx[700];
    snprintf(pfx, sizeof pfx, "%s:%zu truncated gzip: the file ends inside compressed data", a,
             k + 1);
    if (strncmp(c.prob[0], pfx, strlen(pfx)) != 0)
        fail_msg("problem '%s', expected '%s...'", c.prob[0], pfx);
    assert_int_equal(st.files, 2);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.lines, k + 1);
    coll_free(&c);
    kz_buf_free(&data);
    kz_match_index_free(idx);
}

/* Several gzip members one after the other are one file, numbered on. */
static void test_multi_member_gzip(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    char a[600];
    path_in(a, sizeof a, "multi.log.gz");
    write_gz(a, "wb", "x.org\nevil.com\n", 15);
    write_gz(a, "ab", "203.0.113.5\n", 12);
    write_gz(a, "ab", "fine\nsub.evil.com\n", 18);
    const char *paths[] = {a};
    coll c = {0};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_TEXT, 2, 0);
    kz_sweep_stats st = sweep_paths(idx, paths, 1, &o, &c);
    assert_int_equal(c.nhit, 3);
    assert_non_null(strstr(c.hit[0], ":L2 text=evil.com exact"));
    assert_non_null(strstr(c.hit[1], ":L3 text=203.0.113.5 exact"));
    assert_non_null(strstr(c.hit[2], ":L5 text=sub.evil.com subdomain"));
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.errors, 0);
    coll_free(&c);
    kz_match_index_free(idx);
}

/* An overlong line in a mapped file and in a gzip stream (where it crosses
 * many blocks): reported at its line, the lines around it still swept. */
static void test_overlong_line(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    kz_buf data;
    kz_buf_init(&data);
    kz_buf_puts(&data, "evil.com\nsub.evil.com\n");
    for (int i = 0; i < 5000; i++)
        kz_buf_puts(&data, "evil.com ");
    kz_buf_puts(&data, "\n203.0.113.5\n");
    char a[600], b[600];
    path_in(a, sizeof a, "long.txt");
    path_in(b, sizeof b, "long.txt.gz");
    write_file(a, data.p, data.len);
    write_gz(b, "wb", data.p, data.len);
    for (int round = 0; round < 2; round++) {
        const char *paths[] = {round ? b : a};
        coll c = {0};
        kz_sweep_opts o = opts_for(&c, KZ_SWEEP_AUTO, 2, 256);
        o.max_line = 1000;
        kz_sweep_stats st = sweep_paths(idx, paths, 1, &o, &c);
        assert_int_equal(c.nhit, 3);
        assert_non_null(strstr(c.hit[0], ":L1 text=evil.com"));
        assert_non_null(strstr(c.hit[1], ":L2 text=sub.evil.com"));
        assert_non_null(strstr(c.hit[2], ":L4 text=203.0.113.5"));
        assert_int_equal(c.nprob, 1);
        char pfx[700];
        snprintf(pfx, sizeof pfx, "%s:3 line is longer than 1000 bytes", paths[0]);
        if (strncmp(c.prob[0], pfx, strlen(pfx)) != 0)
            fail_msg("problem '%s', expected '%s...'", c.prob[0], pfx);
        assert_int_equal(st.lines, 4);
        coll_free(&c);
    }
    kz_buf_free(&data);
    kz_match_index_free(idx);
}

/* NUL bytes and invalid UTF-8: the line is reported and skipped. */
static void test_binary_garbage(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    static const char zeek[] = ZH("dns", "ts\tquery", "time\tstring")
        "1\tevil.com\n"
        "2\tev\0il.com evil.com\n"
        "3\t\xff\xfe" "evil.com\n"
        "4\tb\xc3\xa4r.evil.com\n"
        "5\tsub.evil.com\n";
    static const char text[] = "evil.com\n\x01\x02\0\0\x7f evil.com\n\xc0\xaf evil.com\nok evil.com\n";
    char a[600], b[600];
    path_in(a, sizeof a, "bin.log");
    path_in(b, sizeof b, "bin.txt");
    write_file(a, zeek, sizeof zeek - 1);
    write_file(b, text, sizeof text - 1);
    const char *paths[] = {a, b};
    coll c = {0};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_AUTO, 2, 0);
    kz_sweep_stats st = sweep_paths(idx, paths, 2, &o, &c);
    char w[5][700];
    snprintf(w[0], 700, "%s:L9 query=evil.com exact evil.com", a);
    snprintf(w[1], 700, "%s:L12 query=xn--br-via.evil.com subdomain evil.com", a);
    snprintf(w[2], 700, "%s:L13 query=sub.evil.com subdomain evil.com", a);
    snprintf(w[3], 700, "%s:L1 text=evil.com exact evil.com", b);
    snprintf(w[4], 700, "%s:L4 text=evil.com exact evil.com", b);
    expect_hits(&c, (const char *const[]){w[0], w[1], w[2], w[3], w[4], NULL});
    char p[4][700];
    snprintf(p[0], 700, "%s:10 binary data (a NUL byte)", a);
    snprintf(p[1], 700, "%s:11 binary data (not valid UTF-8)", a);
    snprintf(p[2], 700, "%s:2 binary data (a NUL byte)", b);
    snprintf(p[3], 700, "%s:3 binary data (not valid UTF-8)", b);
    expect_probs(&c, (const char *const[]){p[0], p[1], p[2], p[3], NULL});
    assert_int_equal(st.errors, 4);
    coll_free(&c);
    kz_match_index_free(idx);
}

/* A Zeek line with the wrong number of fields, and lines before any
 * #fields header. */
static void test_header_mismatch(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    const char *log = "1\tevil.com\n"
                      "#separator \\x09\n#path\tdns\n#fields\tts\tquery\tanswers\n"
                      "1\tevil.com\t-\n"
                      "2\tevil.com\n"
                      "3\tevil.com\t-\textra\n"
                      "4\tsub.evil.com\t-\n";
    coll c = {0};
    kz_sweep_stats st = sweep_str(idx, KZ_SWEEP_ZEEK, log, &c);
    expect_hits(&c, (const char *const[]){"L5 query=evil.com exact evil.com",
                                          "L8 query=sub.evil.com subdomain evil.com", NULL});
    expect_probs(&c, (const char *const[]){
                         "mem:1 no #fields header before this line",
                         "mem:6 has 2 fields, the #fields header names 3: line skipped",
                         "mem:7 has 4 fields, the #fields header names 3: line skipped", NULL});
    assert_int_equal(st.errors, 3);
    assert_int_equal(st.lines, 8);
    coll_free(&c);
    kz_match_index_free(idx);
}

/* A file that does not exist or is a directory is reported (line 0), and
 * the files after it are swept; stdin ("-") is read like a file. */
static void test_unreadable_and_stdin(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    char missing[600], ok[600], in[600];
    path_in(missing, sizeof missing, "no-such.log");
    path_in(ok, sizeof ok, "ok.log");
    path_in(in, sizeof in, "stdin.txt.gz");
    write_file(ok, "evil.com\n", 9);
    write_gz(in, "wb", "x\n203.0.113.5\n", 14);
    int saved = dup(0);
    int fd = open(in, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    const char *paths[] = {missing, tmpdir, ok, "-"};
    coll c = {0};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_AUTO, 2, 0);
    kz_sweep_stats st = sweep_paths(idx, paths, 4, &o, &c);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    char w[2][700];
    snprintf(w[0], 700, "%s:L1 text=evil.com exact evil.com", ok);
    snprintf(w[1], 700, "-:L2 text=203.0.113.5 exact 203.0.113.5");
    expect_hits(&c, (const char *const[]){w[0], w[1], NULL});
    char p[2][700];
    snprintf(p[0], 700, "%s:0 cannot open: No such file or directory", missing);
    snprintf(p[1], 700, "%s:0 is a directory", tmpdir);
    expect_probs(&c, (const char *const[]){p[0], p[1], NULL});
    assert_int_equal(st.files, 2);
    coll_free(&c);
    kz_match_index_free(idx);
}

/* A file full of bad lines: the first 100 problems are shown, the rest
 * counted in one closing message and in the error count. */
static void test_problem_cap(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    kz_buf log;
    kz_buf_init(&log);
    kz_buf_puts(&log, "#separator \\x09\n#fields\tts\tquery\n");
    for (int i = 0; i < 150; i++)
        kz_buf_puts(&log, "1\tevil.com\textra\n");
    kz_buf_puts(&log, "2\tevil.com\n");
    coll c = {.idx = idx};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_ZEEK, 2, 300);
    kz_sweep_stats st;
    kz_err err;
    assert_int_equal(kz_sweep_mem(idx, "m", log.p, log.len, &o, &st, &err), 0);
    assert_int_equal(c.nprob, 101);
    assert_string_equal(c.prob[0], "m:3 has 3 fields, the #fields header names 2: line skipped");
    assert_string_equal(c.prob[99],
                        "m:102 has 3 fields, the #fields header names 2: line skipped");
    assert_string_equal(c.prob[100], "m:0 50 more problems in this file were not shown");
    assert_int_equal(st.errors, 150);
    assert_int_equal(c.nhit, 1);
    assert_string_equal(c.hit[0], "L153 query=evil.com exact evil.com");
    coll_free(&c);
    kz_buf_free(&log);
    kz_match_index_free(idx);
}

/* ---- warninglists, early stop, determinism -------------------------------- */

static const char *wl_of_payload(const kz_match_payload *p)
{
    return strcmp(p->value, "host.bad.org") == 0 ? "flagged-at-import" : NULL;
}

static void test_warninglists(void **state)
{
    (void)state;
    static const ent iocs[] = {{KZ_IOC_IPV4, "8.8.8.8"},
                               {KZ_IOC_DOMAIN, "google.com"},
                               {KZ_IOC_CIDR, "8.8.0.0/16"},
                               {KZ_IOC_DOMAIN, "evil.com"},
                               {KZ_IOC_HOSTNAME, "host.bad.org"}};
    kz_match_index *idx = mk_index(iocs, KZ_ARRAY_LEN(iocs));
    char dir[600], file[700];
    path_in(dir, sizeof dir, "wl/lists/dns");
    mkdirs(dir);
    snprintf(file, sizeof file, "%s/list.json", dir);
    const char *dns = "{\"name\":\"Public DNS\",\"type\":\"cidr\",\"list\":[\"8.8.8.8/32\"],"
                      "\"matching_attributes\":[\"ip-dst\",\"ip-src\"]}";
    write_file(file, dns, strlen(dns));
    path_in(dir, sizeof dir, "wl/lists/top");
    mkdirs(dir);
    snprintf(file, sizeof file, "%s/list.json", dir);
    const char *top = "{\"name\":\"Top domains\",\"type\":\"hostname\",\"list\":[\"google.com\"],"
                      "\"matching_attributes\":[\"domain\",\"hostname\"]}";
    write_file(file, top, strlen(top));
    path_in(dir, sizeof dir, "wl");
    kz_match_warninglists *wl = NULL;
    kz_err err;
    assert_int_equal(kz_match_warninglists_load_dir(dir, &wl, &err), 0);
    coll c = {.idx = idx};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_TEXT, 2, 0);
    o.wl = wl;
    o.payload_warninglist = wl_of_payload;
    const char *log = "8.8.8.8 8.8.4.4 www.google.com evil.com host.bad.org\n";
    kz_sweep_stats st;
    assert_int_equal(kz_sweep_mem(idx, "m", log, strlen(log), &o, &st, &err), 0);
    expect_hits(&c, (const char *const[]){
                        "L1 text=8.8.8.8 exact 8.8.8.8 wl=Public DNS",
                        "L1 text=8.8.8.8 cidr 8.8.0.0/16 wl=Public DNS",
                        "L1 text=8.8.4.4 cidr 8.8.0.0/16",
                        "L1 text=www.google.com subdomain google.com wl=Top domains",
                        "L1 text=evil.com exact evil.com",
                        "L1 text=host.bad.org exact host.bad.org wl=flagged-at-import",
                        NULL});
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.warninglisted, 4);
    coll_free(&c);
    kz_match_warninglists_free(wl);
    kz_match_index_free(idx);
}

static void test_stop_early(void **state)
{
    (void)state;
    kz_match_index *idx = base_index();
    kz_buf log;
    kz_buf_init(&log);
    for (int i = 0; i < 20000; i++)
        kz_buf_puts(&log, "a evil.com b\n");
    coll c = {.idx = idx, .stop_after = 5};
    kz_sweep_opts o = opts_for(&c, KZ_SWEEP_TEXT, 3, 512);
    kz_sweep_stats st;
    kz_err err;
    assert_int_equal(kz_sweep_mem(idx, "m", log.p, log.len, &o, &st, &err), 0);
    assert_int_equal(c.nhit, 5);
    assert_string_equal(c.hit[4], "L5 text=evil.com exact evil.com");
    assert_true(st.lines < 20000);
    coll_free(&c);
    kz_buf_free(&log);
    kz_match_index_free(idx);
}

/* ---- the real Zeek logs --------------------------------------------------- */

/* Reads a .gz whole (the test's own reader, independent of the engine's). */
static char *gunzip(const char *path, size_t *n)
{
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    kz_buf b;
    kz_buf_init(&b);
    char tmp[65536];
    int r;
    while ((r = gzread(g, tmp, sizeof tmp)) > 0)
        kz_buf_append(&b, tmp, (size_t)r);
    gzclose(g);
    *n = b.len;
    return kz_buf_steal(&b);
}

/* The column of a field named in the log's #fields line. */
static int column(const char *log, const char *name)
{
    const char *f = strstr(log, "#fields\t");
    assert_non_null(f);
    f += 8;
    int col = 0;
    size_t nl = strlen(name);
    while (*f && *f != '\n') {
        size_t k = strcspn(f, "\t\n");
        if (k == nl && memcmp(f, name, nl) == 0)
            return col;
        col++;
        f += k;
        if (*f == '\t')
            f++;
    }
    fail_msg("no field %s", name);
    return -1;
}

/* Counts data lines whose field (column col) is dom or ends in ".dom". */
static size_t count_suffix(const char *log, int col, const char *dom)
{
    size_t hits = 0, dl = strlen(dom);
    for (const char *p = log; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (*p != '#') {
            const char *f = p;
            for (int c = 0; c < col && f; c++) {
                f = memchr(f, '\t', n - (size_t)(f - p));
                if (f)
                    f++;
            }
            if (f) {
                size_t fl = strcspn(f, "\t\n");
                if ((fl == dl && strncasecmp(f, dom, dl) == 0) ||
                    (fl > dl && f[fl - dl - 1] == '.' && strncasecmp(f + fl - dl, dom, dl) == 0))
                    hits++;
            }
        }
        p = e ? e + 1 : p + n;
    }
    return hits;
}

static void test_real_zeek_logs(void **state)
{
    (void)state;
    char dns[512], ssl[512], x509[512], smtp[512], notice[512];
    if (!kz_test_data_path("zeek/dns.log.gz", dns, sizeof dns) ||
        !kz_test_data_path("zeek/ssl.log.gz", ssl, sizeof ssl) ||
        !kz_test_data_path("zeek/x509.log.gz", x509, sizeof x509) ||
        !kz_test_data_path("zeek/smtp.log.gz", smtp, sizeof smtp) ||
        !kz_test_data_path("zeek/notice.log.gz", notice, sizeof notice))
        skip();
    size_t dn, sn;
    char *dtext = gunzip(dns, &dn), *stext = gunzip(ssl, &sn);
    static const ent iocs[] = {{KZ_IOC_DOMAIN, "wrccdc.org"}, {KZ_IOC_DOMAIN, "google.com"}};
    kz_match_index *idx = mk_index(iocs, 2);
    /* the engine's hits on query / server_name against a plain count */
    size_t want_q = count_suffix(dtext, column(dtext, "query"), "wrccdc.org") +
                    count_suffix(dtext, column(dtext, "query"), "google.com");
    size_t want_s = count_suffix(stext, column(stext, "server_name"), "wrccdc.org") +
                    count_suffix(stext, column(stext, "server_name"), "google.com");
    size_t lines = 0;
    for (size_t i = 0; i < dn; i++)
        lines += dtext[i] == '\n';
    for (size_t i = 0; i < sn; i++)
        lines += stext[i] == '\n';
    const char *paths[] = {dns, ssl, x509, smtp, notice};
    coll one = {0}, many = {0};
    kz_sweep_opts o1 = opts_for(&one, KZ_SWEEP_AUTO, 1, 0);
    kz_sweep_opts o2 = opts_for(&many, KZ_SWEEP_AUTO, 4, 100000);
    kz_sweep_stats s1 = sweep_paths(idx, paths, 2, &o1, &one);
    kz_sweep_stats s2 = sweep_paths(idx, paths, 5, &o2, &many);
    size_t got_q = 0, got_s = 0;
    for (size_t i = 0; i < one.nhit; i++) {
        got_q += strstr(one.hit[i], " query=") != NULL;
        got_s += strstr(one.hit[i], " server_name=") != NULL;
    }
    print_message("real logs: %zu lines, %zu query hits, %zu server_name hits, %zu in all\n",
                  (size_t)s1.lines, got_q, got_s, one.nhit);
    assert_true(want_q > 100 && want_s > 100);
    assert_int_equal(got_q, want_q);
    assert_int_equal(got_s, want_s);
    assert_int_equal(s1.lines, lines);
    assert_int_equal(s1.errors, 0);
    assert_int_equal(s2.errors, 0);
    assert_int_equal(s2.files, 5);
    /* the first two files in the bigger run are the same, in the same order */
    assert_true(many.nhit >= one.nhit);
    for (size_t i = 0; i < one.nhit; i++)
        assert_string_equal(one.hit[i], many.hit[i]);
    coll_free(&one);
    coll_free(&many);
    free(dtext);
    free(stext);
    kz_match_index_free(idx);
}

static int setup(void **state)
{
    (void)state;
    tmpdir = kz_test_mkdtemp();
    return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kz_test_rmdir(tmpdir);
    free(tmpdir);
    return 0;
}

int main(void)
{
    kz_base_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeek_dns),
        cmocka_unit_test(test_zeek_conn_http_ssl),
        cmocka_unit_test(test_zeek_files_x509_smtp_notice),
        cmocka_unit_test(test_zeek_unknown_path),
        cmocka_unit_test(test_zeek_header_switch),
        cmocka_unit_test(test_zeek_json),
        cmocka_unit_test(test_eve),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_text_refang),
        cmocka_unit_test(test_auto_detect),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_multi_member_gzip),
        cmocka_unit_test(test_overlong_line),
        cmocka_unit_test(test_binary_garbage),
        cmocka_unit_test(test_header_mismatch),
        cmocka_unit_test(test_unreadable_and_stdin),
        cmocka_unit_test(test_problem_cap),
        cmocka_unit_test(test_warninglists),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_real_zeek_logs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
