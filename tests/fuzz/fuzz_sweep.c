/* fuzz_sweep.c — the log readers of the sweep (Zeek TSV and JSON, Suricata
 * EVE, CSV, free text with defanged values, format detection) over bytes in
 * memory, against a small index that holds a value of every kind a log
 * field can carry, so that the lookup paths run too. The first byte picks
 * the format; the rest is the log. Property (the engine's promise): the
 * hits and problems are the same, in the same order, whatever the chunking
 * and the thread count.
 *
 * Each input is swept whole (one task) and in small chunks (1, 7, 64 or
 * 300 bytes, chosen by a hash of the input: a task per line, or several),
 * both on this thread through kz_sw_inline_mem, the engine without its
 * threads and with its filter built once (sweep.c says why it exists). One
 * input in 32 (by the same hash, so a crash replays) is also swept by
 * kz_sweep_mem itself with two worker threads and 64-byte chunks. Before,
 * every input ran two kz_sweep_mem (three thread starts, the filter and the
 * workers' caches built twice: fresh pages that cost most of the time
 * under ASan), at about 580 inputs a second.
 */
#include "fuzz_common.h"

#include "match/match.h"
#include "match/sweep_int.h"

typedef struct trace {
    uint64_t h; /* running hash of everything reported, in order */
    uint64_t hits, problems;
} trace;

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    return h * 0x100000001b3ull ^ kz_hash64(p, n);
}

static bool on_hit(void *ctx, const kz_sweep_hit *h)
{
    trace *t = ctx;
    t->hits++;
    t->h = mix(t->h, &h->line, sizeof h->line);
    t->h = mix(t->h, h->field, strlen(h->field));
    t->h = mix(t->h, h->value, strlen(h->value));
    t->h = mix(t->h, &h->payload, sizeof h->payload);
    return true;
}

static void on_problem(void *ctx, const kz_sweep_problem *p)
{
    trace *t = ctx;
    t->problems++;
    t->h = mix(t->h, &p->line, sizeof p->line);
    t->h = mix(t->h, &p->code, sizeof p->code);
    t->h = mix(t->h, p->msg, strlen(p->msg));
}

static kz_match_index *index_once(void)
{
    static kz_match_index *idx;
    if (idx)
        return idx;
    static const struct {
        kz_ioc_type t;
        const char *v;
    } e[] = {
        {KZ_IOC_IPV4, "198.51.100.7"},
        {KZ_IOC_IPV4, "10.0.0.1"},
        {KZ_IOC_IPV6, "2001:db8::1"},
        {KZ_IOC_CIDR, "203.0.113.0/24"},
        {KZ_IOC_CIDR, "2001:db8:1::/48"},
        {KZ_IOC_DOMAIN, "evil.example"},
        {KZ_IOC_DOMAIN, "xn--bcher-kva.example"},
        {KZ_IOC_HOSTNAME, "c2.bad.example"},
        {KZ_IOC_URL, "http://evil.example/payload.exe"},
        {KZ_IOC_EMAIL, "phish@evil.example"},
        {KZ_IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e"},
        {KZ_IOC_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {KZ_IOC_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {KZ_IOC_IP_PORT, "198.51.100.9:8443"},
        {KZ_IOC_FILENAME, "evil.exe"},
        {KZ_IOC_USER_AGENT, "EvilBot/1.0"},
    };
    kz_match_builder *b = kz_match_builder_new();
    if (!b)
        abort();
    for (size_t i = 0; i < KZ_ARRAY_LEN(e); i++) {
        char id[32];
        snprintf(id, sizeof id, "ind-%zu", i);
        kz_match_entry me = {.indicator_id = id, .event_id = "ev-1", .org_id = "org-1",
                             .type = e[i].t, .value = e[i].v, .tlp = KZ_TLP_GREEN,
                             .to_ids = true, .tags = "c2"};
        kz_err err;
        if (kz_match_builder_add(b, &me, &err) != 0) {
            fprintf(stderr, "index: '%s': %s\n", e[i].v, err.msg);
            abort();
        }
    }
    kz_err err;
    if (kz_match_build(b, &idx, &err) != 0)
        abort();
    kz_match_builder_free(b);
    return idx;
}

static trace sweep(const kz_match_index *idx, kz_sweep_format f, const uint8_t *p, size_t n,
                   unsigned threads, size_t chunk)
{
    static kz_sw_inline *one;
    kz_err err;
    if (!one && kz_sw_inline_new(idx, &one, &err) != 0)
        abort();
    trace t = {.h = 1469598103934665603ull};
    kz_sweep_opts o = {.format = f, .threads = threads, .chunk_bytes = chunk,
                       .max_line = 4096, .on_hit = on_hit, .on_problem = on_problem, .ctx = &t};
    kz_sweep_stats st;
    /* threads 0: the inline engine, on this thread */
    int rc = threads ? kz_sweep_mem(idx, "fuzz", p, n, &o, &st, &err)
                     : kz_sw_inline_mem(one, "fuzz", p, n, &o, &st, &err);
    FUZZ_CHECK(rc == 0, "sweep failed: %d %s", rc, err.msg);
    FUZZ_CHECK(st.hits + st.warninglisted == t.hits, "stats say %llu hits, %llu reported",
               (unsigned long long)(st.hits + st.warninglisted), (unsigned long long)t.hits);
    return t;
}

static void same(const trace *a, const trace *b, const char *how)
{
    FUZZ_CHECK(a->hits == b->hits && a->problems == b->problems && a->h == b->h,
               "results depend on %s: %llu hits %llu problems vs %llu / %llu", how,
               (unsigned long long)a->hits, (unsigned long long)a->problems,
               (unsigned long long)b->hits, (unsigned long long)b->problems);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1)
        return 0;
    static const kz_sweep_format fmts[] = {KZ_SWEEP_AUTO, KZ_SWEEP_ZEEK, KZ_SWEEP_ZEEK_JSON,
                                           KZ_SWEEP_EVE, KZ_SWEEP_CSV, KZ_SWEEP_TEXT};
    kz_sweep_format f = fmts[data[0] % KZ_ARRAY_LEN(fmts)];
    const kz_match_index *idx = index_once();
    uint64_t h = kz_hash64(data, size);
    static const size_t chunks[] = {1, 7, 64, 300};
    size_t chunk = chunks[h & 3];
    trace whole = sweep(idx, f, data + 1, size - 1, 0, 0);
    trace small = sweep(idx, f, data + 1, size - 1, 0, chunk);
    char how[64];
    snprintf(how, sizeof how, "chunking (%zu-byte chunks)", chunk);
    same(&whole, &small, how);
    if ((h >> 8) % 32 == 0) {
        trace threads = sweep(idx, f, data + 1, size - 1, 2, 64);
        same(&whole, &threads, "threads (two workers, 64-byte chunks)");
    }
    return 0;
}
