/* cmd_misp.c — `kizuna misp import`: MISP events, feeds and sharing group
 * lists into the node, all or nothing.
 *
 * The argument is a file (or - for stdin) holding one event, several, or
 * MISP's sharing group list; or a MISP feed: a directory or an http(s) URL
 * with manifest.json and <uuid>.json per event. A feed is imported
 * incrementally: the node remembers, per feed, the MISP timestamp of each
 * event it imported, and only events whose manifest timestamp is newer are
 * read again. Everything happens in one transaction: if any event is bad,
 * nothing is stored and the error names the file and the attribute. Each
 * document goes through kz_misp_text_import (formats.h), the path the
 * benchmark measures: attachments read from the text, and a big event
 * stored while its attributes are still being parsed on a second thread.
 */
#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/formats.h"

#define MAX_DOC ((size_t)1 << 30)
#define MAX_WARNINGS_SHOWN 20

static const cli_opt import_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "owner of every event (default: the event's Orgc, created if new)"},
    {"tlp", CLI_VALUE, "TLP", "TLP of events without a TLP tag (default amber)"},
    {"distribution", CLI_VALUE, "DIST",
     "distribution of events that give none: org, community, connected, all (default org)"},
    {"quiet", CLI_FLAG, NULL, "do not list warnings (values kept as text, markings clamped)"},
    {"header", CLI_MULTI, "'NAME: VALUE'",
     "an HTTP header for a feed URL (e.g. 'Authorization: KEY'), repeatable"},
    {0},
};
static const cli_spec import_spec = {
    "misp import", "[--org ORG] [--tlp TLP] [--distribution DIST] FILE|DIR|URL|-",
    "Imports MISP events: a file with one event ({\"Event\":...} or bare), several\n"
    "(an array, or {\"response\":[...]}), or MISP's sharing group list; or a MISP feed\n"
    "(a directory or http(s) URL with manifest.json), incrementally: events whose\n"
    "manifest timestamp has not changed since the last import are skipped. A newer\n"
    "copy of an event already on the node replaces it. All or nothing: if anything is\n"
    "bad, nothing is stored. Organisations are matched by their MISP UUID and created\n"
    "when new.",
    import_opts, 1, 1,
};

typedef struct imp {
    kz_store *st;
    const kz_strlist *headers; /* for feed URLs */
    kz_misp_import_opts po;
    kz_misp_put_opts put;
    bool quiet;
    size_t n_new, n_replaced, n_same, n_skipped, n_attrs, n_warn, n_groups;
} imp;

/* ---- reading -------------------------------------------------------------- */

static int read_stream(FILE *f, const char *name, kz_buf *out)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > MAX_DOC) {
            cli_error("%s: larger than %zu bytes", name, MAX_DOC);
            return CLI_FAIL;
        }
        if (kz_buf_append(out, chunk, n) < 0) {
            cli_error("out of memory reading %s", name);
            return CLI_FAIL;
        }
    }
    if (ferror(f)) {
        cli_error("cannot read %s: %s", name, strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int read_file(const char *path, kz_buf *out)
{
    if (strcmp(path, "-") == 0)
        return read_stream(stdin, "stdin", out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open '%s': %s", path, strerror(errno));
        return CLI_FAIL;
    }
    int rc = read_stream(f, path, out);
    fclose(f);
    return rc;
}

static size_t curl_sink(char *p, size_t size, size_t n, void *ctx)
{
    kz_buf *b = ctx;
    size_t len = size * n;
    if (b->len + len > MAX_DOC || kz_buf_append(b, p, len) < 0)
        return 0;
    return len;
}

static int fetch_url(const char *url, const kz_strlist *headers, kz_buf *out)
{
    CURL *c = curl_easy_init();
    if (!c) {
        cli_error("cannot start an HTTP client");
        return CLI_FAIL;
    }
    struct curl_slist *h = NULL;
    for (size_t i = 0; headers && i < headers->n; i++)
        h = curl_slist_append(h, headers->v[i]);
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, cli_http_timeout(300L)); /* reliability */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kizuna/" KZ_VERSION);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        cli_error("cannot fetch %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return CLI_FAIL;
    }
    if (status != 200) {
        cli_error("cannot fetch %s: HTTP status %ld", url, status);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static int load_json(const char *name, const kz_buf *b, json_t **out)
{
    kz_err err = {0};
    if (kz_json_load(b->p ? b->p : "", b->len, out, &err) != 0) {
        cli_report(name, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* ---- storing ---------------------------------------------------------------- */

/* One document on its way through kz_misp_text_import. */
typedef struct doc {
    imp *im;
    const char *name;
    int64_t ts; /* MISP timestamp (seconds) of the last event stored */
} doc;

/* "file" or, when the document holds several events, "file: event i". */
static void where_of(const char *name, size_t i, size_t n, char *out, size_t cap)
{
    if (n > 1)
        snprintf(out, cap, "%s: event %zu", name, i);
    else
        snprintf(out, cap, "%s", name);
}

/* kz_misp_text_import's sink: one parsed event into the store (for a big
 * event, while its attributes are still being parsed). */
static int put_event(void *ctx, kz_misp_event *me, size_t i, size_t n, kz_err *err)
{
    doc *d = ctx;
    imp *im = d->im;
    kz_misp_put_result res;
    int rc = kz_store_misp_event_put(im->st, me, &im->put, &res, err);
    if (rc != 0)
        return rc;
    im->n_new += res == KZ_MISP_STORED;
    im->n_replaced += res == KZ_MISP_REPLACED;
    im->n_same += res == KZ_MISP_UNCHANGED;
    im->n_attrs += res == KZ_MISP_UNCHANGED ? 0 : me->ev.n_indicators;
    d->ts = me->ev.modified / 1000000;
    char where[PATH_MAX + 32];
    where_of(d->name, i, n, where, sizeof where);
    for (size_t k = 0; k < me->warnings.n; k++, im->n_warn++)
        if (!im->quiet && im->n_warn < MAX_WARNINGS_SHOWN)
            fprintf(stderr, "%s: warning: %s\n", where, me->warnings.v[k]);
    return 0;
}

static int store_sharing_groups(imp *im, const char *name, const json_t *j)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_sharing_group *g;
    size_t n;
    kz_err err = {0};
    int rc = kz_misp_sharing_groups_parse(j, &a, &g, &n, &err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        kz_uuid id;
        rc = kz_store_misp_sharing_group_resolve(im->st, &g[i], im->put.create_orgs, id, &err);
        im->n_groups += rc == 0;
    }
    if (rc != 0)
        cli_report(name, &err);
    kz_arena_free(&a);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}

/* Every event of a document (or, when groups, a sharing group list) into
 * the store, through the fast path the API shares (kz_misp_text_import);
 * *ts_out (if not NULL) gets the last event's MISP timestamp. */
static int import_doc(imp *im, const char *name, const kz_buf *b, bool groups, int64_t *ts_out)
{
    doc d = {im, name, 0};
    kz_misp_sink sink = {.put = put_event, .ctx = &d, .want_other = groups};
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_event me;
    kz_err err = {0};
    int rc = kz_misp_text_import(b->p ? b->p : "", b->len, &im->po, &sink, &a, &me, &err);
    kz_arena_free(&a);
    if (rc == 0 && sink.other) {
        int r = store_sharing_groups(im, name, sink.other);
        json_decref(sink.other);
        return r;
    }
    if (rc != 0) {
        char where[PATH_MAX + 32];
        where_of(name, sink.at, sink.n, where, sizeof where);
        /* Attribute errors start with their path: say it once. */
        size_t fl = strlen(err.field);
        if (fl && strncmp(err.msg, err.field, fl) == 0)
            cli_error("%s: %s", where, err.msg);
        else
            cli_report(where, &err);
        return CLI_FAIL;
    }
    if (ts_out)
        *ts_out = d.ts;
    return CLI_OK;
}

/* ---- feeds ------------------------------------------------------------------ */

static int feed_read(const imp *im, const char *base, bool url, const char *file, kz_buf *out,
                     char *name, size_t name_len)
{
    snprintf(name, name_len, "%s/%s", base, file);
    kz_buf_reset(out);
    return url ? fetch_url(name, im->headers, out) : read_file(name, out);
}

static int import_feed(imp *im, const char *base, bool url)
{
    /* The feed's identity: its URL, or the directory's real path. */
    char key[PATH_MAX + 1];
    if (url) {
        snprintf(key, sizeof key, "%s", base);
    } else if (!realpath(base, key)) {
        cli_error("cannot resolve '%s': %s", base, strerror(errno));
        return CLI_FAIL;
    }
    size_t kl = strlen(key);
    while (kl > 1 && key[kl - 1] == '/')
        key[--kl] = 0;
    kz_buf b;
    kz_buf_init(&b);
    char name[PATH_MAX + 64];
    int rc = feed_read(im, key, url, "manifest.json", &b, name, sizeof name);
    json_t *mj = NULL;
    if (rc == CLI_OK)
        rc = load_json(name, &b, &mj);
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_manifest_entry *m = NULL;
    size_t n = 0;
    if (rc == CLI_OK) {
        kz_err err = {0};
        if (kz_misp_manifest_parse(mj, &a, &m, &n, &err) != 0) {
            cli_report(name, &err);
            rc = CLI_FAIL;
        }
    }
    json_decref(mj);
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        int64_t last = 0;
        kz_err err = {0};
        int fr = kz_store_misp_feed_get(im->st, key, m[i].uuid, &last, &err);
        if (fr != 0 && fr != KZ_E_NOTFOUND) {
            cli_report(key, &err);
            rc = CLI_FAIL;
            break;
        }
        if (fr == 0 && last >= m[i].timestamp) {
            im->n_skipped++;
            continue;
        }
        char file[64];
        snprintf(file, sizeof file, "%s.json", m[i].uuid);
        rc = feed_read(im, key, url, file, &b, name, sizeof name);
        int64_t ts = 0;
        if (rc == CLI_OK)
            rc = import_doc(im, name, &b, false, &ts);
        if (rc == CLI_OK &&
            kz_store_misp_feed_set(im->st, key, m[i].uuid,
                                   ts > m[i].timestamp ? ts : m[i].timestamp, &err) != 0) {
            cli_report(key, &err);
            rc = CLI_FAIL;
        }
    }
    kz_arena_free(&a);
    kz_buf_free(&b);
    return rc;
}

/* ---- the command -------------------------------------------------------------- */

static int options(imp *im, const cli_args *args, kz_arena *a, kz_org *owner)
{
    im->po.default_tlp = -1;
    im->po.default_distribution = -1;
    const char *t = cli_get(args, "tlp", NULL);
    if (t && (im->po.default_tlp = kz_tlp_parse(t)) < 0)
        return cli_usage_error(&import_spec, "option '--tlp': '%s' is not one of clear, green,"
                                             " amber, amber+strict, red", t);
    const char *d = cli_get(args, "distribution", NULL);
    if (d) {
        int v = kz_distribution_parse(d);
        if (v < 0 || v == KZ_DIST_SHARING_GROUP)
            return cli_usage_error(&import_spec, "option '--distribution': '%s' is not one of"
                                                 " org, community, connected, all", d);
        im->po.default_distribution = v;
    }
    im->quiet = cli_flag(args, "quiet");
    im->headers = cli_multi(args, "header");
    for (size_t i = 0; i < im->headers->n; i++) {
        const char *h = im->headers->v[i];
        const char *colon = strchr(h, ':');
        if (!colon || colon == h || strpbrk(h, "\r\n"))
            return cli_usage_error(&import_spec, "option '--header': '%.60s' is not"
                                                 " 'Name: value' on one line", h);
    }
    im->put.create_orgs = true;
    im->put.replace = true;
    const char *org = cli_get(args, "org", NULL);
    if (org) {
        if (cli_org_resolve(im->st, org, a, owner) != CLI_OK)
            return CLI_FAIL;
        im->put.owner_org = owner->id;
        static kz_uuid author;
        if (cli_org_author(im->st, owner->id, a, author) == CLI_OK && author[0])
            im->put.owner_user = author;
    }
    return CLI_OK;
}

static int cmd_import(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&import_spec, argc, argv, &args, &rc))
        return rc;
    imp im = {0};
    if ((rc = cli_store_open(&args, false, &im.st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org owner;
    const char *src = args.pos.v[0];
    rc = options(&im, &args, &a, &owner);
    kz_err err = {0};
    if (rc == CLI_OK && kz_store_begin(im.st, &err) != 0) {
        cli_report("cannot start the import", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        kz_store_bulk_mode(im.st, true);
        struct stat sb;
        if (is_url(src)) {
            rc = import_feed(&im, src, true);
        } else if (strcmp(src, "-") != 0 && stat(src, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = import_feed(&im, src, false);
        } else {
            kz_buf b;
            kz_buf_init(&b);
            rc = read_file(src, &b);
            if (rc == CLI_OK)
                rc = import_doc(&im, strcmp(src, "-") == 0 ? "stdin" : src, &b, true, NULL);
            kz_buf_free(&b);
        }
        if (rc == CLI_OK && kz_store_commit(im.st, &err) != 0) {
            cli_report("cannot commit the import", &err);
            rc = CLI_FAIL;
        } else if (rc != CLI_OK) {
            kz_store_rollback(im.st);
            cli_error("nothing was imported");
        }
        kz_store_bulk_mode(im.st, false);
    }
    if (rc == CLI_OK) {
        if (im.n_warn > MAX_WARNINGS_SHOWN && !im.quiet)
            fprintf(stderr, "... and %zu more warnings\n", im.n_warn - MAX_WARNINGS_SHOWN);
        if (im.n_groups)
            fprintf(stderr, "imported %zu sharing group%s\n", im.n_groups,
                    im.n_groups == 1 ? "" : "s");
        else
            fprintf(stderr,
                    "imported %zu new and %zu updated event%s (%zu attributes); %zu unchanged,"
                    " %zu skipped by the feed manifest; %zu warning%s\n",
                    im.n_new, im.n_replaced, im.n_new + im.n_replaced == 1 ? "" : "s",
                    im.n_attrs, im.n_same, im.n_skipped, im.n_warn, im.n_warn == 1 ? "" : "s");
    }
    kz_arena_free(&a);
    kz_store_close(im.st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt config_opts[] = {
    CLI_OPT_DB,
    {"correlation-limit", CLI_VALUE, "N",
     "events sharing one value beyond which it is marked over-correlating (default 20)"},
    {0},
};
static const cli_spec config_spec = {
    "misp config", "[--correlation-limit N]",
    "Shows or sets the node's MISP settings. A value shared by more visible events than\n"
    "the correlation limit is reported as over-correlating instead of listed.",
    config_opts, 0, 0,
};

static int cmd_config(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&config_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    uint64_t n = 0;
    rc = CLI_OK;
    bool set = cli_get(&args, "correlation-limit", NULL) != NULL;
    if (set)
        rc = cli_get_uint(&args, "correlation-limit", 20, 1, 1000000, &n);
    if (rc == CLI_OK)
        rc = cli_store_open(&args, false, &st, NULL);
    kz_err err = {0};
    kz_arena a;
    kz_arena_init(&a);
    if (rc == CLI_OK && set) {
        char v[24];
        snprintf(v, sizeof v, "%llu", (unsigned long long)n);
        if (kz_store_meta_set(st, "misp.correlation_limit", v, &err) != 0) {
            cli_report("cannot store the setting", &err);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK) {
        char *v = NULL;
        if (kz_store_meta_get(st, "misp.correlation_limit", &a, &v, &err) != 0)
            v = NULL;
        printf("correlation-limit %s\n", v ? v : "20");
    }
    kz_arena_free(&a);
    if (st)
        kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_misp(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"import", cmd_import, "import MISP events, feeds and sharing group lists"},
        {"config", cmd_config, "show or set the correlation limit"},
        {0},
    };
    return cli_dispatch("misp", "MISP interoperability: import events and feeds.", subs, argc,
                        argv);
}

/* ---- kizuna export --format ... (other than native) ------------------------------
 * cmd_export.c hands over when --format names one of these. */

static const cli_opt export_opts[] = {
    CLI_OPT_DB,
    {"format", CLI_VALUE, "FORMAT",
     "misp, misp-feed, csv, text, zeek, suricata-dataset, suricata-iprep (default: native)"},
    {"type", CLI_MULTI, "TYPE", "only indicators of this type (native or MISP name)"},
    {"tag", CLI_MULTI, "TAG", "only indicators with this tag (on them or their event)"},
    {"tlp-max", CLI_VALUE, "TLP", "only indicators whose TLP is at most this"},
    {"to-ids", CLI_FLAG, NULL, "only indicators meant for detection (to_ids)"},
    {"since", CLI_VALUE, "DATE", "only indicators changed at or after DATE (RFC 3339)"},
    {"event", CLI_MULTI, "ID", "only this event"},
    {"dataset-type", CLI_VALUE, "T",
     "suricata-dataset: string, md5, sha256, ipv4 or ip (default: from --type)"},
    {"base-url", CLI_VALUE, "URL", "zeek: meta.url is URL/api/v1/events/ID"},
    {"out", CLI_VALUE, "PATH", "file (a directory for misp-feed and suricata-iprep)"},
    {0},
};
static const cli_spec export_spec = {
    "export", "--format FORMAT [filters] [--out PATH]",
    "Writes indicators for MISP and for sensors: MISP event JSON, a MISP feed directory\n"
    "(manifest.json, <uuid>.json, hashes.csv), CSV in MISP's columns, a text blocklist,\n"
    "a Zeek Intel file, a Suricata dataset, or a Suricata IP reputation list (with its\n"
    "categories file). TLP:RED never leaves in a bulk export.",
    export_opts, 0, 0,
};

bool cli_export_is_other_format(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            v = argv[i + 1];
        else if (strncmp(argv[i], "--format=", 9) == 0)
            v = argv[i] + 9;
        /* Every format but the native one (and STIX, which cmd_stix.c
         * serves) is ours, so that a mistyped one is refused here rather
         * than silently exported as native. */
        if (v)
            return strcmp(v, "native") != 0 && strncmp(v, "stix", 4) != 0;
    }
    return false;
}

typedef struct xp {
    kz_export_format fmt;
    kz_export_writer *w;
    FILE *out;
    const char *dir;
    const char *base_url;
    kz_buf buf;
    size_t n_events, n_rows;
    json_t *manifest;
    FILE *hashes;
    bool first;
} xp;

static int write_buf(FILE *f, kz_buf *b)
{
    if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
        return KZ_E_IO;
    kz_buf_reset(b);
    return 0;
}

static int put_file(const char *dir, const char *name, const char *data, size_t n)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return KZ_E_IO;
    bool ok = fwrite(data, 1, n, f) == n;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return KZ_E_IO;
    }
    return 0;
}

static json_t *manifest_entry(const json_t *e)
{
    static const char *const keys[] = {"info", "Orgc", "analysis", "Tag", "date",
                                       "threat_level_id", "timestamp"};
    json_t *m = json_object();
    for (size_t i = 0; m && i < KZ_ARRAY_LEN(keys); i++) {
        json_t *v = json_object_get(e, keys[i]);
        if (v)
            json_object_set(m, keys[i], v);
    }
    return m;
}

static int export_event(void *ctx, kz_misp_event *me, kz_err *err)
{
    xp *x = ctx;
    x->n_events++;
    if (x->fmt == KZ_EXPORT_MISP || x->fmt == KZ_EXPORT_MISP_FEED) {
        kz_misp_json_opts o = {.feed = x->fmt == KZ_EXPORT_MISP_FEED,
                               .sightings = x->fmt == KZ_EXPORT_MISP,
                               .attachments = true};
        json_t *j = kz_misp_event_json(me, &o);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        int rc = s ? 0 : kz_fail(err, KZ_E_NOMEM, NULL, "cannot serialise event %s", me->ev.id);
        x->n_rows += me->ev.n_indicators;
        if (!rc && x->fmt == KZ_EXPORT_MISP) {
            if ((!x->first && fputc(',', x->out) == EOF) || fputs(s, x->out) == EOF)
                rc = kz_fail(err, KZ_E_IO, NULL, "cannot write: %s", strerror(errno));
            x->first = false;
        } else if (!rc) {
            char name[64];
            snprintf(name, sizeof name, "%s.json", me->ev.id);
            if (put_file(x->dir, name, s, strlen(s)) != 0)
                rc = kz_fail(err, KZ_E_IO, NULL, "cannot write %s/%s: %s", x->dir, name,
                             strerror(errno));
            json_t *entry = manifest_entry(json_object_get(j, "Event"));
            if (!rc && (!entry || json_object_set_new(x->manifest, me->ev.id, entry) < 0))
                rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
            if (!rc && kz_export_feed_hashes(me, &x->buf) < 0)
                rc = kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
            if (!rc && write_buf(x->hashes, &x->buf) < 0)
                rc = kz_fail(err, KZ_E_IO, NULL, "cannot write hashes.csv: %s", strerror(errno));
        }
        free(s);
        json_decref(j);
        return rc;
    }
    char url[512] = "";
    if (x->base_url)
        snprintf(url, sizeof url, "%s/api/v1/events/%s", x->base_url, me->ev.id);
    for (size_t i = 0; i < me->ev.n_indicators; i++) {
        const kz_misp_attr *ma = &me->attrs[i];
        const kz_misp_object *ob = ma->object >= 0 ? &me->objects[ma->object] : NULL;
        kz_export_row r = {.ind = &me->ev.indicators[i],
                           .ma = ma,
                           .ev = &me->ev,
                           .event_seq = me->seq,
                           .org_name = me->orgc.name,
                           .object_uuid = ob ? ob->uuid : NULL,
                           .object_name = ob ? ob->name : NULL,
                           .object_meta_category = ob ? ob->meta_category : NULL,
                           .event_url = url[0] ? url : NULL};
        if (kz_export_row_write(x->w, &r, &x->buf) < 0)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        x->n_rows++;
    }
    return write_buf(x->out, &x->buf) < 0
               ? kz_fail(err, KZ_E_IO, NULL, "cannot write: %s", strerror(errno))
               : 0;
}

/* The dataset kind a single --type implies. */
static const char *dataset_kind(const kz_strlist *types)
{
    if (types->n != 1)
        return NULL;
    const char *t = types->v[0];
    if (strcmp(t, "md5") == 0 || strcmp(t, "sha256") == 0)
        return t;
    if (strcmp(t, "ipv4") == 0)
        return "ipv4";
    if (strcmp(t, "ipv6") == 0 || strcmp(t, "ip-dst") == 0 || strcmp(t, "ip-src") == 0)
        return "ip";
    return "string";
}

static int export_filter(const cli_args *args, kz_arena *a, kz_misp_filter *f, kz_strlist *ids)
{
    memset(f, 0, sizeof *f);
    f->tlp_max = -1;
    f->types = cli_multi(args, "type");
    f->tags = cli_multi(args, "tag");
    f->to_ids_only = cli_flag(args, "to-ids");
    for (size_t i = 0; i < f->types->n; i++)
        if (kz_ioc_type_parse(f->types->v[i]) < 0 && !kz_misp_type_find(f->types->v[i]))
            return cli_usage_error(&export_spec, "option '--type': '%s' is not an indicator"
                                                 " type (native or MISP)", f->types->v[i]);
    const char *t = cli_get(args, "tlp-max", NULL);
    if (t && (f->tlp_max = kz_tlp_parse(t)) < 0)
        return cli_usage_error(&export_spec, "option '--tlp-max': '%s' is not one of clear,"
                                             " green, amber, amber+strict, red", t);
    const char *since = cli_get(args, "since", NULL);
    kz_err err;
    if (since && kz_time_parse(since, &f->since, &err) != 0)
        return cli_usage_error(&export_spec, "option '--since': '%s' is not an RFC 3339 time"
                                             " or date", since);
    const kz_strlist *ev = cli_multi(args, "event");
    for (size_t i = 0; i < ev->n; i++) {
        kz_uuid id;
        if (!kz_uuid_normalize(ev->v[i], id))
            return cli_usage_error(&export_spec, "option '--event': '%s' is not an event id",
                                   ev->v[i]);
        kz_strlist_push(a, ids, id);
    }
    f->event_ids = ids;
    return CLI_OK;
}

static int open_out(xp *x, const char *out, bool dir, char **tmp)
{
    *tmp = NULL;
    if (dir) {
        if (!out) {
            cli_error("--format %s writes a directory: give it with --out DIR",
                      kz_export_format_name(x->fmt));
            return CLI_USAGE;
        }
        if (mkdir(out, 0755) != 0 && errno != EEXIST) {
            cli_error("cannot create '%s': %s", out, strerror(errno));
            return CLI_FAIL;
        }
        x->dir = out;
        return CLI_OK;
    }
    x->out = stdout;
    if (!out)
        return CLI_OK;
    if (asprintf(tmp, "%s.tmp", out) < 0 || !(x->out = fopen(*tmp, "w"))) {
        cli_error("cannot write '%s': %s", *tmp ? *tmp : out, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int run_export(xp *x, kz_store *st, const kz_misp_filter *f)
{
    kz_err err = {0};
    int rc = 0;
    char hpath[PATH_MAX];
    if (x->fmt == KZ_EXPORT_MISP_FEED) {
        x->manifest = json_object();
        snprintf(hpath, sizeof hpath, "%s/hashes.csv", x->dir);
        x->hashes = fopen(hpath, "w");
        if (!x->manifest || !x->hashes) {
            cli_error("cannot write '%s': %s", hpath, strerror(errno));
            return CLI_FAIL;
        }
    } else if (x->fmt == KZ_EXPORT_SURICATA_IPREP) {
        kz_buf_reset(&x->buf);
        if (kz_export_iprep_categories(&x->buf) < 0 ||
            put_file(x->dir, "categories.txt", x->buf.p, x->buf.len) != 0) {
            cli_error("cannot write '%s/categories.txt': %s", x->dir, strerror(errno));
            return CLI_FAIL;
        }
        kz_buf_reset(&x->buf);
        snprintf(hpath, sizeof hpath, "%s/reputation.list", x->dir);
        if (!(x->out = fopen(hpath, "w"))) {
            cli_error("cannot write '%s': %s", hpath, strerror(errno));
            return CLI_FAIL;
        }
    }
    if (x->fmt == KZ_EXPORT_MISP)
        rc = fputs("{\"response\":[", x->out) == EOF ? KZ_E_IO : 0;
    else if (x->w)
        rc = kz_export_begin(x->w, &x->buf);
    if (!rc)
        rc = kz_store_misp_export_scan(st, NULL, f, export_event, x, &err);
    if (!rc && x->w)
        rc = kz_export_end(x->w, &x->buf);
    if (!rc && x->w)
        rc = write_buf(x->out, &x->buf);
    if (!rc && x->fmt == KZ_EXPORT_MISP)
        rc = fputs("]}\n", x->out) == EOF ? KZ_E_IO : 0;
    if (!rc && x->fmt == KZ_EXPORT_MISP_FEED) {
        char *m = json_dumps(x->manifest, JSON_COMPACT);
        rc = !m || put_file(x->dir, "manifest.json", m, strlen(m)) != 0 ? KZ_E_IO : 0;
        free(m);
    }
    if (x->hashes && fclose(x->hashes) != 0 && !rc)
        rc = KZ_E_IO;
    x->hashes = NULL;
    if (x->fmt == KZ_EXPORT_SURICATA_IPREP && x->out && fclose(x->out) != 0 && !rc)
        rc = KZ_E_IO;
    if (x->fmt == KZ_EXPORT_SURICATA_IPREP)
        x->out = NULL;
    json_decref(x->manifest);
    if (rc) {
        if (err.msg[0])
            cli_report("export failed", &err);
        else
            cli_error("export failed: %s", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_export_other(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&export_spec, argc, argv, &args, &rc))
        return rc;
    xp x = {.first = true};
    kz_buf_init(&x.buf);
    int fmt = kz_export_format_parse(cli_get(&args, "format", ""));
    if (fmt < 0) {
        rc = cli_usage_error(&export_spec, "option '--format': '%s' is not one of native, misp,"
                                           " misp-feed, csv, text, zeek, suricata-dataset,"
                                           " suricata-iprep", cli_get(&args, "format", ""));
        cli_args_free(&args);
        return rc;
    }
    x.fmt = (kz_export_format)fmt;
    kz_arena a;
    kz_arena_init(&a);
    kz_misp_filter f;
    kz_strlist ids = {0};
    kz_store *st = NULL;
    char *tmp = NULL;
    const char *out = cli_get(&args, "out", NULL);
    bool dir = x.fmt == KZ_EXPORT_MISP_FEED || x.fmt == KZ_EXPORT_SURICATA_IPREP;
    x.base_url = cli_get(&args, "base-url", NULL);
    rc = export_filter(&args, &a, &f, &ids);
    if (rc == CLI_OK && x.fmt != KZ_EXPORT_MISP && x.fmt != KZ_EXPORT_MISP_FEED) {
        const char *ds = cli_get(&args, "dataset-type", NULL);
        if (!ds && x.fmt == KZ_EXPORT_SURICATA_DATASET && !(ds = dataset_kind(f.types)))
            rc = cli_usage_error(&export_spec, "a Suricata dataset holds one type: give"
                                               " --dataset-type or exactly one --type");
        kz_err err = {0};
        if (rc == CLI_OK && kz_export_writer_new(x.fmt, ds, &x.w, &err) != 0) {
            cli_report(NULL, &err);
            rc = CLI_USAGE;
        }
    }
    if (rc == CLI_OK)
        rc = cli_store_open(&args, false, &st, NULL);
    if (rc == CLI_OK)
        rc = open_out(&x, out, dir, &tmp);
    if (rc == CLI_OK)
        rc = run_export(&x, st, &f);
    if (tmp) {
        if (fclose(x.out) != 0 && rc == CLI_OK) {
            cli_error("cannot write '%s': %s", tmp, strerror(errno));
            rc = CLI_FAIL;
        }
        if (rc == CLI_OK && rename(tmp, out) != 0) {
            cli_error("cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
            rc = CLI_FAIL;
        }
        if (rc != CLI_OK)
            remove(tmp);
    }
    if (rc == CLI_OK)
        fprintf(stderr, "exported %zu indicator%s of %zu event%s as %s%s%s\n", x.n_rows,
                x.n_rows == 1 ? "" : "s", x.n_events, x.n_events == 1 ? "" : "s",
                kz_export_format_name(x.fmt), out ? " to " : "", out ? out : "");
    free(tmp);
    kz_export_writer_free(x.w);
    kz_buf_free(&x.buf);
    kz_arena_free(&a);
    if (st)
        kz_store_close(st);
    cli_args_free(&args);
    return rc;
}
