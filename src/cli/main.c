/* main.c — the `kizuna` command: the node operator's local tool.
 *
 * The table below is the whole command surface; each entry lives in its own
 * cmd_*.c. The CLI opens the database directly (no HTTP), so whoever can run
 * it on the node's files is the node operator and sees everything.
 */
#include "cli.h"

#include <string.h>
#include <sys/stat.h>

/* STIX 2.1 (cmd_stix.c) */
int cli_cmd_stix(int argc, char **argv);

int cli_cmd_misp(int argc, char **argv); /* MISP interoperability (cmd_misp.c) */

/* log sweeps (cmd_sweep.c) */
int cli_cmd_sweep(int argc, char **argv);

/* TAXII 2.1 client (cmd_taxii.c) */
int cli_cmd_taxii(int argc, char **argv);

/* federation (cmd_peer.c, cmd_sync.c, cmd_bundle.c) */
int cli_cmd_peer(int argc, char **argv);
int cli_cmd_sync(int argc, char **argv);
int cli_cmd_bundle(int argc, char **argv);
int cli_cmd_node(int argc, char **argv); /* federation identity (cmd_node.c) */

/* notifications: points of contact, audit log (cmd_contact.c, cmd_audit.c) */
int cli_cmd_contact(int argc, char **argv);
int cli_cmd_audit(int argc, char **argv);

/* cases: joint incident response (cmd_case.c, cmd_report.c) */
int cli_cmd_case(int argc, char **argv);
int cli_cmd_report(int argc, char **argv);

static const cli_sub commands[] = {
    {"init", cli_cmd_init, "create a node's database, its first org and admin key"},
    {"serve", cli_cmd_serve, "serve the REST API over HTTP"},
    {"org", cli_cmd_org, "add and list organisations"},
    {"user", cli_cmd_user, "add and list users"},
    {"key", cli_cmd_key, "create, list and revoke API keys"},
    {"community", cli_cmd_community, "add and list communities"},
    {"event", cli_cmd_event, "add, list, show and publish events"},
    {"indicator", cli_cmd_indicator, "add indicators to an event"},
    {"search", cli_cmd_search, "find indicators by value (IP in CIDR, subdomains)"},
    {"import", cli_cmd_import, "import events and indicators (native JSON / JSON Lines)"},
    {"export", cli_cmd_export, "export events and indicators as JSON Lines"},
    {"demo", cli_cmd_demo, "seed the ASEAN demo community (make run)"},
    /* MISP interoperability (cmd_misp.c) */
    {"misp", cli_cmd_misp, "import MISP events, feeds and sharing groups"},
    /* STIX 2.1 (cmd_stix.c) */
    {"stix", cli_cmd_stix, "import and export STIX 2.1 bundles"},
    /* log sweeps (cmd_sweep.c) */
    {"sweep", cli_cmd_sweep, "sweep logs (Zeek, EVE, CSV, text; plain or gzip) against the intelligence"},
    /* TAXII 2.1 client (cmd_taxii.c) */
    {"taxii", cli_cmd_taxii, "TAXII 2.1 client: pull, push, scheduled pulls (sources)"},
    /* federation (cmd_peer.c, cmd_sync.c, cmd_bundle.c) */
    {"peer", cli_cmd_peer, "add, list, set, pause and remove peer nodes"},
    {"sync", cli_cmd_sync, "sync with a peer now"},
    {"bundle", cli_cmd_bundle, "export and import signed offline bundles"},
    {"node", cli_cmd_node, "show this node's federation identity (id, fingerprint, key)"},
    /* notifications: points of contact, audit log (cmd_contact.c, cmd_audit.c) */
    {"contact", cli_cmd_contact, "add, list and verify organisations' incident contacts"},
    {"audit", cli_cmd_audit, "verify and read the hash-chained audit log"},
    /* cases: joint incident response (cmd_case.c, cmd_report.c) */
    {"case", cli_cmd_case, "open, share and work joint incident cases"},
    {"report", cli_cmd_report, "incident response metrics (text or CSV)"},
    {0},
};

static void list(FILE *f, const cli_sub *subs)
{
    for (const cli_sub *s = subs; s->name; s++)
        fprintf(f, "  %-12s %s\n", s->name, s->summary);
}

static void top_help(FILE *f)
{
    fprintf(f, "usage: kizuna COMMAND [options]\n\n"
               "kizuna %s — federated threat-intelligence exchange node.\n\ncommands:\n",
            KZ_VERSION);
    list(f, commands);
    fprintf(f, "\nRun 'kizuna COMMAND --help' for the options of a command.\n");
}

int cli_dispatch(const char *group, const char *summary, const cli_sub *subs, int argc,
                 char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: kizuna %s SUBCOMMAND [options]\n\n%s\n\nsubcommands:\n", group,
                summary);
        list(f, subs);
        fprintf(f, "\nRun 'kizuna %s SUBCOMMAND --help' for its options.\n", group);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    for (const cli_sub *s = subs; s->name; s++)
        if (strcmp(s->name, argv[1]) == 0)
            return s->fn(argc - 1, argv + 1);
    fprintf(stderr, "kizuna: unknown subcommand '%s %s' (see 'kizuna %s --help')\n", group,
            argv[1], group);
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    /* hardening: the database, its WAL and secret, exports: private to the
     * node's user unless the operator widens them. */
    umask(077);
    if (kz_base_init() != 0) {
        cli_error("cannot initialise (libsodium)");
        return CLI_FAIL;
    }
    if (argc < 2) {
        top_help(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        top_help(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("kizuna %s\n", KZ_VERSION);
        return CLI_OK;
    }
    for (const cli_sub *s = commands; s->name; s++)
        if (strcmp(s->name, cmd) == 0) {
            int rc = s->fn(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == CLI_OK) {
                cli_error("cannot write to stdout");
                rc = CLI_FAIL;
            }
            return rc;
        }
    fprintf(stderr, "kizuna: unknown command '%s' (see 'kizuna --help')\n", cmd);
    return CLI_USAGE;
}
