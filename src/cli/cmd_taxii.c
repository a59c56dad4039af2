/* cmd_taxii.c — `kizuna taxii pull`: the TAXII 2.1 client. It pages through
 * a collection of another TAXII 2.1 server (kizuna or not) and imports each
 * page into this node's database in partial mode, as the STIX import would.
 *
 * Resuming: after each page is stored, the page's X-TAXII-Date-Added-Last is
 * kept in node meta under the source (API root URL + collection), and the
 * next pull starts with added_after set to it; so an interrupted pull loses
 * at most the page in flight, and a later pull fetches only what is new.
 * Everything pulled from one source goes into one event of the importing
 * org (made on the first pull), reports into events of their own.
 */
#include "cli.h"
#include "formats/formats.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAGE_BYTES ((size_t)512 << 20)

static const cli_opt pull_opts[] = {
    CLI_OPT_DB,
    {"collection", CLI_VALUE, "ID", "the collection to pull (required)"},
    {"key", CLI_VALUE, "KEY", "authenticate with this bearer API key"},
    {"user", CLI_VALUE, "USER", "authenticate with HTTP Basic as USER (see --password-stdin)"},
    {"password-stdin", CLI_FLAG, NULL, "read the Basic password from stdin's first line"},
    {"org", CLI_VALUE, "ORG", "the importing organisation (default: the node's only org)"},
    {"tlp", CLI_VALUE, "TLP", "TLP for objects without a TLP marking (default amber)"},
    {"limit", CLI_VALUE, "N", "objects asked per page (default 1000)"},
    {"from-start", CLI_FLAG, NULL, "ignore the stored position of this source"},
    {0},
};

static const cli_spec pull_spec = {
    "taxii pull", "URL --collection ID [options]",
    "Pull a TAXII 2.1 collection into this node. URL is the server's API root\n"
    "(e.g. https://host/taxii2/kizuna/). Pages are imported as they arrive;\n"
    "the next pull of the same URL and collection resumes with added_after.",
    pull_opts, 1, 1,
};

typedef struct page {
    kz_buf body;
    bool too_big;
    char last[64];
} page;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    page *pg = ud;
    size_t k = sz * n;
    if (pg->body.len + k > MAX_PAGE_BYTES) {
        pg->too_big = true;
        return 0;
    }
    return kz_buf_append(&pg->body, p, k) == 0 ? k : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    page *pg = ud;
    size_t k = sz * n;
    static const char name[] = "X-TAXII-Date-Added-Last:";
    size_t l = sizeof name - 1;
    if (k > l && strncasecmp(p, name, l) == 0) {
        const char *v = p + l;
        size_t vn = k - l;
        while (vn && (*v == ' ' || *v == '\t'))
            v++, vn--;
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
            vn--;
        if (vn < sizeof pg->last)
            snprintf(pg->last, sizeof pg->last, "%.*s", (int)vn, v);
    }
    return k;
}

/* The event of this source: remembered in meta, else made now. */
static int source_event(kz_store *st, const char *key, const kz_org *org, const char *author,
                        const char *url, kz_tlp tlp, kz_arena *a, kz_uuid out)
{
    char mkey[1200];
    snprintf(mkey, sizeof mkey, "taxii.pull.event.%s", key);
    char *v = NULL;
    kz_err err = {0};
    kz_event ev;
    if (kz_store_meta_get(st, mkey, a, &v, &err) == 0 && v &&
        kz_store_event_get(st, v, false, a, &ev, &err) == 0) {
        snprintf(out, sizeof(kz_uuid), "%s", v);
        return CLI_OK;
    }
    memset(&ev, 0, sizeof ev);
    kz_uuid_v4(ev.id);
    char title[300];
    snprintf(title, sizeof title, "TAXII pull: %.250s", url);
    ev.title = title;
    ev.threat_level = 4;
    ev.tlp = tlp;
    ev.distribution = KZ_DIST_ORG;
    memcpy(ev.creator_org, org->id, sizeof ev.creator_org);
    snprintf(ev.creator_user, sizeof ev.creator_user, "%s", author);
    ev.created = ev.modified = kz_time_now();
    if (kz_store_event_put(st, &ev, &err) != 0 || kz_store_meta_set(st, mkey, ev.id, &err) != 0) {
        cli_report("cannot make the event for this source", &err);
        return CLI_FAIL;
    }
    memcpy(out, ev.id, sizeof(kz_uuid));
    return CLI_OK;
}

static int import_org(kz_store *st, const cli_args *args, kz_arena *a, kz_org *out)
{
    const char *name = cli_get(args, "org", NULL);
    if (name)
        return cli_org_resolve(st, name, a, out);
    kz_org *orgs = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_org_list(st, a, &orgs, &n, &err) != 0) {
        cli_report("cannot list organisations", &err);
        return CLI_FAIL;
    }
    if (n != 1)
        return cli_usage_error(&pull_spec,
                               "the node has %zu organisations; name the importing one with --org",
                               n);
    *out = orgs[0];
    return CLI_OK;
}

typedef struct pull {
    CURL *c;
    struct curl_slist *hdrs;
    kz_store *st;
    kz_stix_import_opts opts;
    const char *root, *collection;
    char state_key[1100];
    size_t limit;
    size_t pages, objects, stored, duplicates, invalid;
} pull;

/* One GET; CLI_OK with the page, or CLI_FAIL after printing why. */
static int get_page(pull *p, const char *after, const char *next, page *pg)
{
    kz_buf url;
    kz_buf_init(&url);
    kz_buf_printf(&url, "%scollections/%s/objects/?limit=%zu", p->root, p->collection, p->limit);
    const char *name = next ? "next" : after ? "added_after" : NULL;
    if (name) {
        char *esc = curl_easy_escape(p->c, next ? next : after, 0);
        kz_buf_printf(&url, "&%s=%s", name, esc ? esc : "");
        curl_free(esc);
    }
    curl_easy_setopt(p->c, CURLOPT_URL, url.p);
    curl_easy_setopt(p->c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(p->c, CURLOPT_WRITEDATA, pg);
    curl_easy_setopt(p->c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(p->c, CURLOPT_HEADERDATA, pg);
    CURLcode cc = curl_easy_perform(p->c);
    long status = 0;
    curl_easy_getinfo(p->c, CURLINFO_RESPONSE_CODE, &status);
    int rc = CLI_OK;
    if (cc != CURLE_OK) {
        cli_error("%s: %s", url.p, pg->too_big ? "page larger than 512 MiB" : curl_easy_strerror(cc));
        rc = CLI_FAIL;
    } else if (status != 200) {
        json_t *j = json_loadb(pg->body.p ? pg->body.p : "", pg->body.len, 0, NULL);
        const char *d = json_string_value(json_object_get(j, "description"));
        cli_error("%s: HTTP %ld%s%.300s", url.p, status, d ? ": " : "", d ? d : "");
        json_decref(j);
        rc = CLI_FAIL;
    }
    kz_buf_free(&url);
    return rc;
}

static int run_pull(pull *p, bool from_start, kz_arena *a)
{
    char *after = NULL;
    kz_err err = {0};
    if (!from_start && kz_store_meta_get(p->st, p->state_key, a, &after, &err) != 0)
        after = NULL;
    char *next = NULL;
    for (;;) {
        page pg;
        memset(&pg, 0, sizeof pg);
        kz_buf_init(&pg.body);
        int rc = get_page(p, after, next, &pg);
        free(next);
        next = NULL;
        if (rc != CLI_OK) {
            kz_buf_free(&pg.body);
            return rc;
        }
        p->pages++;
        json_t *j = json_loadb(pg.body.p ? pg.body.p : "", pg.body.len, 0, NULL);
        if (!json_is_object(j)) {
            cli_error("page %zu is not a TAXII envelope", p->pages);
            json_decref(j);
            kz_buf_free(&pg.body);
            return CLI_FAIL;
        }
        bool more = json_is_true(json_object_get(j, "more"));
        const char *nx = json_string_value(json_object_get(j, "next"));
        next = nx ? strdup(nx) : NULL;
        size_t n_objs = json_array_size(json_object_get(j, "objects"));
        json_decref(j);
        if (n_objs) {
            kz_stix_report rep;
            kz_arena pa;
            kz_arena_init(&pa);
            rc = kz_stix_import(p->st, pg.body.p, pg.body.len, &p->opts, false, &pa, &rep, &err);
            if (rc == 0) {
                p->objects += rep.n_objects;
                p->stored += rep.n_stored;
                p->duplicates += rep.n_duplicates;
                p->invalid += rep.n_invalid;
                for (size_t i = 0; i < rep.n_items; i++)
                    if (rep.items[i].status == KZ_STIX_ITEM_INVALID)
                        fprintf(stderr, "kizuna: skipped: %s\n", rep.items[i].message);
            }
            kz_arena_free(&pa);
            if (rc != 0) {
                cli_report("cannot import a page", &err);
                kz_buf_free(&pg.body);
                free(next);
                return CLI_FAIL;
            }
        }
        kz_buf_free(&pg.body);
        /* The page is stored: remember where it ended. */
        if (pg.last[0]) {
            if (kz_store_meta_set(p->st, p->state_key, pg.last, &err) != 0) {
                cli_report("cannot store the position of this source", &err);
                free(next);
                return CLI_FAIL;
            }
            after = kz_arena_strdup(a, pg.last);
        }
        if (!more || (!next && !pg.last[0])) {
            free(next);
            return CLI_OK;
        }
    }
}

static int taxii_pull(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&pull_spec, argc, argv, &args, &rc))
        return rc;
    const char *url = args.pos.v[0];
    const char *coll = cli_need(&args, "collection");
    const char *key = cli_get(&args, "key", NULL), *user = cli_get(&args, "user", NULL);
    bool pw_stdin = cli_flag(&args, "password-stdin");
    int tlp = kz_tlp_parse(cli_get(&args, "tlp", "amber"));
    uint64_t limit = 1000;
    if (!coll) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (cli_get_uint(&args, "limit", 1000, 1, 10000, &limit) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (tlp < 0 || (key && user) || (user && !pw_stdin) || (!user && pw_stdin) ||
        strlen(url) > 900 || strlen(coll) > 100 ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        rc = cli_usage_error(&pull_spec, "%s",
                             tlp < 0 ? "option '--tlp': not clear, green, amber, amber+strict or red"
                             : key && user ? "give --key or --user, not both"
                             : user && !pw_stdin ? "--user needs --password-stdin"
                             : !user && pw_stdin ? "--password-stdin needs --user"
                                                 : "URL must be an http:// or https:// API root "
                                                   "URL, COLLECTION at most 100 bytes");
        cli_args_free(&args);
        return rc;
    }
    char pw[1024] = "";
    size_t pwlen = 0;
    if (pw_stdin && cli_read_secret_line(pw, sizeof pw, &pwlen) != 0) {
        cli_error("the password on stdin is longer than %zu bytes", sizeof pw - 1);
        cli_args_free(&args);
        return CLI_FAIL;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    kz_uuid author = "", event_id = "";
    /* The API root with exactly one trailing slash. */
    size_t ul = strlen(url);
    while (ul > 8 && url[ul - 1] == '/')
        ul--;
    char root[1024];
    snprintf(root, sizeof root, "%.*s/", (int)ul, url);
    pull p = {.root = root, .collection = coll, .limit = (size_t)limit, .st = st};
    snprintf(p.state_key, sizeof p.state_key, "taxii.pull.%s|%s", root, coll);
    rc = import_org(st, &args, &a, &org);
    if (rc == CLI_OK)
        rc = cli_org_author(st, org.id, &a, author);
    if (rc == CLI_OK)
        rc = source_event(st, p.state_key + 11, &org, author, root, (kz_tlp)tlp, &a, event_id);
    if (rc == CLI_OK) {
        p.opts = (kz_stix_import_opts){
            .org_id = org.id,
            .user_id = author,
            .default_tlp = (kz_tlp)tlp,
            .distribution = KZ_DIST_ORG,
            .source = root,
            .event_id = event_id,
        };
        p.c = curl_easy_init();
        char auth[200];
        if (key) {
            snprintf(auth, sizeof auth, "Authorization: Bearer %.150s", key);
            p.hdrs = curl_slist_append(p.hdrs, auth);
        }
        p.hdrs = curl_slist_append(p.hdrs, "Accept: application/taxii+json;version=2.1");
        curl_easy_setopt(p.c, CURLOPT_HTTPHEADER, p.hdrs);
        curl_easy_setopt(p.c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(p.c, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(p.c, CURLOPT_ACCEPT_ENCODING, "");
        if (user) {
            curl_easy_setopt(p.c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(p.c, CURLOPT_USERNAME, user);
            curl_easy_setopt(p.c, CURLOPT_PASSWORD, pw);
        }
        rc = p.c ? run_pull(&p, cli_flag(&args, "from-start"), &a) : CLI_FAIL;
        fprintf(stderr,
                "pulled %zu page%s, %zu object%s: %zu stored, %zu duplicate%s, %zu invalid\n",
                p.pages, p.pages == 1 ? "" : "s", p.objects, p.objects == 1 ? "" : "s", p.stored,
                p.duplicates, p.duplicates == 1 ? "" : "s", p.invalid);
        curl_slist_free_all(p.hdrs);
        curl_easy_cleanup(p.c);
    }
    sodium_memzero(pw, sizeof pw);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_taxii(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"pull", taxii_pull, "pull a TAXII 2.1 collection into this node"},
        {0},
    };
    return cli_dispatch("taxii", "TAXII 2.1 client.", subs, argc, argv);
}
