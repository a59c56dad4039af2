/* cmd_sweep.c — `kizuna sweep FILE...`: a CERT member's logs against what
 * the community reported. The index is compiled for one org (what that org
 * may see, by the one ACL) from the store, the engine (src/match/sweep.c)
 * reads the files on all cores, and every hit becomes one JSON line on
 * stdout; problems with the input and a summary go to stderr, with a
 * progress bar when stderr is a terminal.
 *
 * --report turns the alerts into sightings, one row per indicator, org and
 * day whose count grows, so the community sees "seen by CERT-X" without a
 * row per log line.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "match/match.h"

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG",
     "sweep with this org's view of the intelligence (name or id; default: the node's only "
     "org)"},
    {"format", CLI_VALUE, "FORMAT", "auto (default), zeek, zeek-json, eve, csv or text"},
    {"threads", CLI_VALUE, "N", "worker threads (default 0: one per core)"},
    {"warninglists", CLI_VALUE, "DIR",
     "MISP warninglists (lists/<name>/list.json): hits on them are reported as such"},
    {"report", CLI_FLAG, NULL, "record the alerts as sightings (per indicator, org and day)"},
    {"max-line", CLI_VALUE, "BYTES", "longer lines are reported and skipped (default 1048576)"},
    {"quiet", CLI_FLAG, NULL, "no progress bar and no summary"},
    {0},
};
static const cli_spec spec = {
    "sweep", "[options] FILE...",
    "Looks up every address, host, URL, hash and e-mail address in the logs (plain or\n"
    "gzip; '-' is stdin) and prints one JSON line per hit. Formats: Zeek TSV and JSON,\n"
    "Suricata EVE, CSV with a header, free text (defanged values are refanged).\n"
    "Hits on a warninglisted indicator carry \"warninglist\" and are not alerts.",
    opts, 1, SIZE_MAX,
};

typedef struct org_name {
    const char *id, *name;
} org_name;

typedef struct sweep_ctx {
    const kz_match_index *idx;
    const char *org_id;
    org_name *orgs;
    size_t norgs;
    FILE *out;
    bool write_failed;
    uint32_t *seen; /* per payload: alerts, for --report */
    size_t failed_files;
    const char *file; /* the file of the last hit, and its JSON string */
    char *file_json;
    cli_progress progress;
    bool quiet;
} sweep_ctx;

static const char *org_lookup(const sweep_ctx *c, const char *id)
{
    for (size_t i = 0; id && i < c->norgs; i++)
        if (strcmp(c->orgs[i].id, id) == 0)
            return c->orgs[i].name;
    return NULL;
}

static const char *payload_wl(const kz_match_payload *p)
{
    return kz_index_payload_warninglist(p, NULL);
}

static json_t *tags_json(const char *tags, size_t n)
{
    json_t *a = json_array();
    while (a && n) {
        const char *comma = memchr(tags, ',', n);
        size_t k = comma ? (size_t)(comma - tags) : n;
        if (k)
            json_array_append_new(a, json_stringn(tags, k));
        if (!comma)
            break;
        n -= k + 1;
        tags += k + 1;
    }
    return a;
}

/* Everything but file and line, rendered on the worker that found the hit
 * (in parallel); on_hit puts the two in front, in line order. */
static bool format_hit(void *ctx, const kz_sweep_hit *h, kz_buf *out)
{
    const sweep_ctx *c = ctx;
    kz_match_payload p;
    if (!kz_match_payload_get(c->idx, h->payload, &p))
        return false;
    size_t tags_len = 0;
    kz_index_payload_warninglist(&p, &tags_len);
    json_t *j = json_object();
    json_object_set_new(j, "field", json_string(h->field));
    json_object_set_new(j, "value", json_string(h->value));
    json_object_set_new(j, "type", json_string(kz_ioc_type_name(h->value_type)));
    json_object_set_new(j, "match", json_string(kz_match_kind_name(h->kind)));
    json_object_set_new(j, "indicator", json_string(p.indicator_id));
    json_object_set_new(j, "indicator_type", json_string(kz_ioc_type_name(p.type)));
    json_object_set_new(j, "indicator_value", json_string(p.value));
    json_object_set_new(j, "event", p.event_id ? json_string(p.event_id) : json_null());
    json_object_set_new(j, "org", p.org_id ? json_string(p.org_id) : json_null());
    const char *oname = org_lookup(c, p.org_id);
    if (oname)
        json_object_set_new(j, "org_name", json_string(oname));
    json_object_set_new(j, "tlp", json_string(kz_tlp_name(p.tlp)));
    json_object_set_new(j, "tags", tags_json(p.tags ? p.tags : "", tags_len));
    if (h->warninglist)
        json_object_set_new(j, "warninglist", json_string(h->warninglist));
    size_t need = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
    bool ok = need > 2 && kz_buf_reserve(out, need) == 0;
    if (ok) {
        json_dumpb(j, out->p + out->len, need, JSON_COMPACT | JSON_PRESERVE_ORDER);
        out->len += need;
        out->p[out->len] = '\0';
    }
    json_decref(j);
    return ok;
}

static bool on_hit(void *ctx, const kz_sweep_hit *h)
{
    sweep_ctx *c = ctx;
    if (h->file != c->file) { /* the file name as a JSON string, once per file */
        free(c->file_json);
        json_t *f = json_string(h->file);
        c->file_json = f ? json_dumps(f, JSON_ENCODE_ANY) : NULL;
        json_decref(f);
        c->file = h->file;
    }
    if (!c->file_json || !h->text || h->text_len < 2 ||
        fprintf(c->out, "{\"file\":%s,\"line\":%llu,", c->file_json,
                (unsigned long long)h->line) < 0 ||
        fwrite(h->text + 1, 1, h->text_len - 1, c->out) != h->text_len - 1 ||
        fputc('\n', c->out) == EOF) {
        c->write_failed = true;
        return false; /* stdout is gone (a closed pipe): no point going on */
    }
    if (c->seen && !h->warninglist && c->seen[h->payload] < UINT32_MAX)
        c->seen[h->payload]++;
    return true;
}

static void on_problem(void *ctx, const kz_sweep_problem *p)
{
    sweep_ctx *c = ctx;
    if (p->line == 0 && p->code == KZ_E_IO)
        c->failed_files++;
    cli_progress_done(&c->progress);
    if (p->line)
        fprintf(stderr, "kizuna: %s:%llu: %s\n", p->file, (unsigned long long)p->line, p->msg);
    else
        fprintf(stderr, "kizuna: %s: %s\n", p->file, p->msg);
}

static void on_progress(void *ctx, const kz_sweep_stats *s, uint64_t total)
{
    sweep_ctx *c = ctx;
    if (c->progress.total == 0 && total)
        c->progress.total = (int64_t)total;
    cli_progress_update(&c->progress, (int64_t)s->input_bytes, (int64_t)s->lines);
}

/* The org to sweep for: --org, or the node's only org. */
static int pick_org(kz_store *st, const cli_args *args, kz_arena *a, kz_org *org)
{
    const char *name = cli_get(args, "org", NULL);
    if (name)
        return cli_org_resolve(st, name, a, org);
    kz_org *all = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_org_list(st, a, &all, &n, &err) != 0) {
        cli_report("listing organisations", &err);
        return CLI_FAIL;
    }
    if (n != 1)
        return cli_usage_error(&spec, "this node has %zu organisations: say whose view to sweep "
                                      "with --org ORG", n);
    *org = all[0];
    return CLI_OK;
}

static int load_orgs(kz_store *st, kz_arena *a, sweep_ctx *c)
{
    kz_org *all = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_org_list(st, a, &all, &n, &err) != 0) {
        cli_report("listing organisations", &err);
        return CLI_FAIL;
    }
    c->orgs = kz_arena_alloc(a, (n ? n : 1) * sizeof *c->orgs);
    if (!c->orgs)
        return CLI_FAIL;
    for (size_t i = 0; i < n; i++)
        c->orgs[i] = (org_name){.id = all[i].id, .name = all[i].name};
    c->norgs = n;
    return CLI_OK;
}

/* Writes one sighting row per indicator that had alerts. */
static int report(kz_store *st, sweep_ctx *c, size_t *rows_out)
{
    kz_match_stats ms;
    kz_match_index_stats(c->idx, &ms);
    size_t n = 0;
    for (size_t i = 0; i < ms.payloads; i++)
        n += c->seen[i] != 0;
    *rows_out = n;
    if (n == 0)
        return CLI_OK;
    kz_sighting_agg *rows = calloc(n, sizeof *rows);
    if (!rows) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    kz_time now = kz_time_now();
    size_t k = 0;
    for (size_t i = 0; i < ms.payloads; i++) {
        kz_match_payload p;
        if (!c->seen[i] || !kz_match_payload_get(c->idx, (uint32_t)i, &p))
            continue;
        rows[k++] = (kz_sighting_agg){.indicator_id = p.indicator_id,
                                      .org_id = c->org_id,
                                      .time = now,
                                      .count = c->seen[i],
                                      .source = "kizuna sweep"};
    }
    kz_err err = {0};
    int rc = kz_store_sightings_aggregate(st, rows, k, &err);
    free(rows);
    if (rc != 0) {
        cli_report("recording sightings", &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void human(double b, char *out, size_t n)
{
    if (b >= 1e9)
        snprintf(out, n, "%.2f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(out, n, "%.1f MB", b / 1e6);
    else
        snprintf(out, n, "%.1f kB", b / 1e3);
}

int cli_cmd_sweep(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    kz_sweep_opts o = {0};
    uint64_t threads = 0, max_line = KZ_SWEEP_MAX_LINE;
    const char *fmt = cli_get(&args, "format", "auto");
    int f = kz_sweep_format_parse(fmt);
    if (f < 0) {
        rc = cli_usage_error(&spec, "option '--format': '%s' is not one of auto, zeek, "
                                    "zeek-json, eve, csv, text", fmt);
        cli_args_free(&args);
        return rc;
    }
    if (cli_get_uint(&args, "threads", 0, 0, 256, &threads) != 0 ||
        cli_get_uint(&args, "max-line", KZ_SWEEP_MAX_LINE, 64, (uint64_t)1 << 30, &max_line) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    kz_match_index *idx = NULL;
    kz_match_warninglists *wl = NULL;
    sweep_ctx c = {.out = stdout, .quiet = cli_flag(&args, "quiet")};
    kz_err err = {0};
    if ((rc = pick_org(st, &args, &a, &org)) != CLI_OK || (rc = load_orgs(st, &a, &c)) != CLI_OK)
        goto out;
    const char *wldir = cli_get(&args, "warninglists", NULL);
    if (wldir && kz_match_warninglists_load_dir(wldir, &wl, &err) != 0) {
        cli_report("loading warninglists", &err);
        rc = CLI_FAIL;
        goto out;
    }
    kz_index_build_stats bs;
    if (kz_index_build(st, org.id, &idx, &bs, &err) != 0) {
        cli_report("building the index", &err);
        rc = CLI_FAIL;
        goto out;
    }
    c.idx = idx;
    c.org_id = org.id;
    if (cli_flag(&args, "report")) {
        kz_match_stats ms;
        kz_match_index_stats(idx, &ms);
        c.seen = calloc(ms.payloads ? ms.payloads : 1, sizeof *c.seen);
        if (!c.seen) {
            cli_error("out of memory");
            rc = CLI_FAIL;
            goto out;
        }
    }
    if (!c.quiet)
        fprintf(stderr, "kizuna: index for %s: %zu indicators (%zu warninglisted) in %.2f s\n",
                org.name, bs.indexed, bs.warninglisted, bs.seconds);
    /* one big buffer: hits are written from the emitting worker, a line at a time */
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    cli_progress_init(&c.progress, 0, "lines");
    if (c.quiet)
        c.progress.on = false;
    o.format = (kz_sweep_format)f;
    o.threads = (unsigned)threads;
    o.max_line = (size_t)max_line;
    o.wl = wl;
    o.payload_warninglist = payload_wl;
    o.format_hit = format_hit;
    o.on_hit = on_hit;
    o.on_problem = on_problem;
    o.on_progress = on_progress;
    o.ctx = &c;
    kz_sweep_stats s;
    json_object_seed(0); /* before the workers make objects */
    rc = kz_sweep_files(idx, (const char *const *)args.pos.v, args.pos.n, &o, &s, &err);
    cli_progress_done(&c.progress);
    if (fflush(stdout) != 0)
        c.write_failed = true;
    if (rc != 0) {
        cli_report("sweep", &err);
        rc = CLI_FAIL;
        goto out;
    }
    if (c.write_failed) {
        cli_error("cannot write the hits to stdout");
        rc = CLI_FAIL;
        goto out;
    }
    size_t reported = 0;
    if (c.seen && (rc = report(st, &c, &reported)) != CLI_OK)
        goto out;
    if (!c.quiet) {
        char bytes[32];
        human((double)s.bytes, bytes, sizeof bytes);
        double secs = s.seconds > 0 ? s.seconds : 1e-9;
        fprintf(stderr,
                "kizuna: swept %llu files, %llu lines, %s in %.2f s (%.0f lines/s, %.1f MB/s): "
                "%llu hits, %llu warninglisted, %llu errors",
                (unsigned long long)s.files, (unsigned long long)s.lines, bytes, s.seconds,
                (double)s.lines / secs, (double)s.bytes / 1e6 / secs,
                (unsigned long long)s.hits, (unsigned long long)s.warninglisted,
                (unsigned long long)s.errors);
        if (c.seen)
            fprintf(stderr, "; %zu sightings recorded", reported);
        fputc('\n', stderr);
    }
    rc = c.failed_files ? CLI_FAIL : CLI_OK;
out:
    free(c.file_json);
    free(c.seen);
    kz_match_index_free(idx);
    kz_match_warninglists_free(wl);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}
