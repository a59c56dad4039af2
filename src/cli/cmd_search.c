/* cmd_search.c — `kizuna search VALUE`: the API's search semantics from the
 * shell. The value is normalised like an indicator; an IP also finds the
 * CIDRs that contain it, a CIDR what lies inside it, a domain its subdomains
 * and the URLs on them. The CLI is the node operator, so no ACL filter.
 */
#include "cli.h"

#include <string.h>

#include "formats/formats.h"

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"type", CLI_VALUE, "TYPE", "how to read VALUE (default: guessed from its shape)"},
    {"limit", CLI_VALUE, "N", "at most N results (default 100)"},
    CLI_OPT_JSON,
    {0},
};
static const cli_spec spec = {
    "search", "VALUE [--type TYPE] [--limit N] [--json]",
    "Finds indicators. VALUE is normalised like an indicator (defanged input is fine).\n"
    "An IP also finds the CIDRs containing it, a CIDR the IPs and CIDRs inside it, a\n"
    "domain itself, its subdomains and URLs on them. The CLI acts as the node operator:\n"
    "it sees every event, whatever its TLP and distribution.",
    opts, 1, 1,
};

/* Fills q from the value; q->value / q->domain point into norm. */
static int build_query(const char *value, const char *type, kz_buf *norm, kz_search_query *q)
{
    size_t len = strlen(value);
    kz_buf refanged;
    kz_buf_init(&refanged);
    int t;
    if (type) {
        t = kz_ioc_type_resolve(type, value, len);
        if (t < 0) {
            kz_buf_free(&refanged);
            return cli_usage_error(&spec, "option '--type': unknown indicator type '%s'", type);
        }
    } else {
        kz_ioc_refang(value, len, &refanged);
        t = kz_ioc_guess(refanged.p ? refanged.p : value, refanged.p ? refanged.len : len);
    }
    kz_buf_free(&refanged);
    if (t < 0) { /* free text: an exact value of any type */
        if (kz_buf_puts(norm, value) != 0)
            return CLI_FAIL;
        q->value = norm->p;
        return CLI_OK;
    }
    kz_err err = {0};
    if (kz_ioc_normalize((kz_ioc_type)t, value, len, norm, &err) != 0) {
        cli_report(NULL, &err);
        return CLI_FAIL;
    }
    switch (t) {
    case KZ_IOC_IPV4:
    case KZ_IOC_IPV6:
    case KZ_IOC_CIDR:
        if (kz_cidr_parse(norm->p, norm->len, &q->ip, &q->prefix128) != 0) {
            cli_error("'%s' is not an address or network", norm->p);
            return CLI_FAIL;
        }
        q->has_ip = true;
        break;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME:
        q->domain = norm->p;
        break;
    default:
        q->value = norm->p;
        q->type = t;
    }
    return CLI_OK;
}

static json_t *hit_json(const kz_search_hit *h)
{
    json_t *j = kz_json_indicator(&h->ind);
    json_t *e = json_object();
    json_object_set_new(e, "id", json_string(h->event.id));
    json_object_set_new(e, "title", json_string(h->event.title ? h->event.title : ""));
    json_object_set_new(e, "tlp", json_string(kz_tlp_name(h->event.tlp)));
    json_object_set_new(e, "creator_org", json_string(h->event.creator_org));
    json_object_set_new(j, "event", e);
    return j;
}

int cli_cmd_search(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    uint64_t limit;
    if (cli_get_uint(&args, "limit", 100, 1, 10000000, &limit) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_search_query q = {.type = -1, .tlp = -1, .published = -1, .to_ids = -1};
    kz_buf norm;
    kz_buf_init(&norm);
    rc = build_query(args.pos.v[0], cli_get(&args, "type", NULL), &norm, &q);
    kz_store *st = NULL;
    if (rc != CLI_OK || (rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        kz_buf_free(&norm);
        cli_args_free(&args);
        return rc;
    }
    bool json = cli_flag(&args, "json");
    json_t *arr = json ? json_array() : NULL;
    kz_arena page;
    kz_arena_init(&page);
    size_t shown = 0;
    kz_err err = {0};
    while (shown < limit) {
        kz_arena_free(&page);
        kz_arena_init(&page);
        kz_search_hit *hits = NULL;
        size_t n = 0;
        q.limit = limit - shown < 1000 ? limit - shown : 1000;
        if (kz_store_search(st, &q, &page, &hits, &n, &err) != 0) {
            cli_report("search", &err);
            rc = CLI_FAIL;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (json)
                json_array_append_new(arr, hit_json(&hits[i]));
            else
                printf("%-8s  %-40s  %s  %-12s  %s\n", kz_ioc_type_name(hits[i].ind.type),
                       hits[i].ind.value, hits[i].event.id, kz_tlp_name(hits[i].event.tlp),
                       hits[i].event.title ? hits[i].event.title : "");
        }
        shown += n;
        if (n < q.limit)
            break;
        q.after_seq = hits[n - 1].seq;
    }
    if (json) {
        if (rc == CLI_OK) {
            json_t *out = json_object();
            json_object_set_new(out, "results", arr);
            rc = cli_print_json(stdout, out, true);
        } else {
            json_decref(arr);
        }
    } else if (rc == CLI_OK && shown == 0) {
        fprintf(stderr, "no indicator matches '%s'\n", norm.p ? norm.p : "");
    }
    kz_arena_free(&page);
    kz_buf_free(&norm);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}
