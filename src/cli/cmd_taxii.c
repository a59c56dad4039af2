/* cmd_taxii.c — `kizuna taxii`: the TAXII 2.1 client. `pull` pages
 * through a collection of another TAXII 2.1 server (kizuna or not) and
 * imports each page into this node's database in partial mode, as the STIX
 * import would, resuming where the last pull of the same source stopped
 * (cmd_taxii_client.c); `push` sends this node's objects to a collection
 * (cmd_taxii_push.c); `source` configures the pulls `kizuna serve` runs on
 * a schedule (cmd_taxii_source.c, cmd_taxii_sched.c).
 */
#include "cmd_taxii.h"

#include <stdlib.h>
#include <string.h>

static const cli_opt pull_opts[] = {
    CLI_OPT_DB,
    {"collection", CLI_VALUE, "ID", "the collection to pull (required)"},
    CLI_TAXII_AUTH_OPTS,
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
    "the next pull of the same URL and collection resumes with added_after.\n"
    "Credentials: --key-file or $KIZUNA_TAXII_KEY (bearer), --user with\n"
    "--password-stdin, --password-file or $KIZUNA_TAXII_PASSWORD (Basic).",
    pull_opts, 1, 1,
};

static int taxii_pull(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&pull_spec, argc, argv, &args, &rc))
        return rc;
    const char *url = args.pos.v[0];
    const char *coll = cli_need(&args, "collection");
    int tlp = kz_tlp_parse(cli_get(&args, "tlp", "amber"));
    uint64_t limit = 1000;
    if (!coll || cli_get_uint(&args, "limit", 1000, 1, 10000, &limit) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (tlp < 0 || strlen(url) > 900 || strlen(coll) > 100 ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        rc = cli_usage_error(&pull_spec, "%s",
                             tlp < 0 ? "option '--tlp': not clear, green, amber, amber+strict "
                                       "or red"
                                     : "URL must be an http:// or https:// API root "
                                       "URL, COLLECTION at most 100 bytes");
        cli_args_free(&args);
        return rc;
    }
    cli_taxii_cred cred;
    if ((rc = cli_taxii_cred_read(&pull_spec, &args, &cred)) != CLI_OK) {
        cli_taxii_cred_wipe(&cred);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_taxii_cred_wipe(&cred);
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    rc = cli_taxii_org(st, &pull_spec, &args, "importing", &a, &org);
    if (rc == CLI_OK) {
        cli_taxii_conn t;
        cli_taxii_pull_stats ps;
        memset(&ps, 0, sizeof ps);
        kz_err err = {0};
        int r = cli_taxii_open(&t, url, &cred, &err);
        if (r == 0)
            r = cli_taxii_pull_run(st, &t, coll, &org, (kz_tlp)tlp, (size_t)limit,
                                   cli_flag(&args, "from-start"), true, &ps, &err);
        if (r != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        }
        fprintf(stderr,
                "pulled %zu page%s, %zu object%s: %zu stored, %zu duplicate%s, %zu invalid\n",
                ps.pages, ps.pages == 1 ? "" : "s", ps.objects, ps.objects == 1 ? "" : "s",
                ps.stored, ps.duplicates, ps.duplicates == 1 ? "" : "s", ps.invalid);
        cli_taxii_close(&t);
    }
    cli_taxii_cred_wipe(&cred);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_taxii(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"pull", taxii_pull, "pull a TAXII 2.1 collection into this node"},
        {"push", cli_taxii_push, "send this node's STIX objects to a TAXII 2.1 collection"},
        {"source", cli_taxii_source, "scheduled pulls: add, list, remove, pause, resume, run"},
        {0},
    };
    return cli_dispatch("taxii", "TAXII 2.1 client.", subs, argc, argv);
}
