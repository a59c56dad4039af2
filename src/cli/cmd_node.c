/* cmd_node.c — `kizuna node show|set-org|trust`: this node's federation
 * identity, and (trust) the operator's word on another org's home key.
 *
 * The public key printed here is what a partner pastes into
 * `kizuna peer add --key`; operators compare fingerprints over a second
 * channel (a phone call, a signed e-mail) before trusting a peer, as with
 * SSH host keys.
 */
#include "cli.h"

#include "sync/sync.h"

#include <string.h>

static const cli_opt show_opts[] = {CLI_OPT_DB, CLI_OPT_JSON, {0}};
static const cli_spec show_spec = {
    "node show", "[options]",
    "Prints the node id (<org id>/<fingerprint>), its organisation, the key's\n"
    "fingerprint and the Ed25519 public key (hex) that peers need to add this node.",
    show_opts, 0, 0,
};

static int node_show(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&show_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_node_identity id;
    kz_err err = {0};
    kz_arena a;
    kz_arena_init(&a);
    if (kz_sync_identity_load(st, &id, &err) != 0) {
        cli_report("cannot load the node identity", &err);
        if (err.code == KZ_E_NOTFOUND)
            fprintf(stderr, "hint: record the operator organisation with "
                            "'kizuna node set-org ORG'\n");
        rc = CLI_FAIL;
    } else {
        char hex[65];
        kz_sync_key_format(id.public_key, hex);
        kz_org org = {0};
        kz_err e2 = {0};
        const char *org_name = kz_store_org_get(st, id.org_id, &a, &org, &e2) == 0 ? org.name : NULL;
        if (cli_flag(&args, "json")) {
            json_t *j = json_object();
            json_object_set_new(j, "node_id", json_string(id.node_id));
            json_object_set_new(j, "org_id", json_string(id.org_id));
            json_object_set_new(j, "org_name", org_name ? json_string(org_name) : json_null());
            json_object_set_new(j, "fingerprint", json_string(id.fingerprint));
            json_object_set_new(j, "public_key", json_string(hex));
            rc = cli_print_json(stdout, j, true);
        } else {
            printf("node id:     %s\n", id.node_id);
            printf("org:         %s%s%s%s\n", id.org_id, org_name ? " (" : "",
                   org_name ? org_name : "", org_name ? ")" : " (not in this database)");
            printf("fingerprint: %s\n", id.fingerprint);
            printf("public key:  %s\n", hex);
        }
        kz_sync_identity_clear(&id);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt setorg_opts[] = {
    CLI_OPT_DB,
    {"force", CLI_FLAG, NULL, "replace an operator organisation already recorded"},
    {0},
};
static const cli_spec setorg_spec = {
    "node set-org", "ORG [--force]",
    "Records ORG (a name or id of an organisation on this node) as the node's\n"
    "operator organisation, the org part of the node id. 'kizuna init' does this;\n"
    "use it for a database created before federation existed. Replacing a\n"
    "recorded one changes the node id its peers know, so it takes --force.",
    setorg_opts, 1, 1,
};

static int node_set_org(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&setorg_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    kz_err err = {0};
    rc = cli_org_resolve(st, args.pos.v[0], &a, &org);
    char *cur = NULL;
    kz_err ignored = {0};
    if (rc == CLI_OK && !cli_flag(&args, "force") &&
        kz_store_meta_get(st, "node.org_id", &a, &cur, &ignored) == 0 && cur &&
        strcmp(cur, org.id) != 0) {
        /* Peers trust this node's key for the recorded org: moving it
         * silently would make them refuse everything it sends. */
        cli_error("this node's operator organisation is already %.40s; replacing it changes the "
                  "node id its peers know (use --force to do it anyway)",
                  cur);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && kz_store_meta_set(st, "node.org_id", org.id, &err) != 0) {
        cli_report("cannot record the operator organisation", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        printf("operator organisation: %s (%s)\n", org.id, org.name);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt trust_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec trust_spec = {
    "node trust", "ORG KEY",
    "Records KEY (64 hex, verified out of band) as the home node key of ORG (an\n"
    "organisation id): from then on only that node's signature creates, changes or\n"
    "deletes ORG's objects here. This is the only way to replace a key a relay\n"
    "introduced or a peer's key already known. ORG need not exist here yet.",
    trust_opts, 2, 2,
};

static int node_trust(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&trust_spec, argc, argv, &args, &rc))
        return rc;
    const char *org = args.pos.v[0];
    uint8_t key[32];
    kz_err err = {0};
    if (!kz_uuid_valid(org)) {
        cli_error("ORG must be an organisation id (a UUID), not '%.64s'", org);
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (kz_sync_key_parse(args.pos.v[1], key, &err) != 0) {
        cli_report("KEY", &err);
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_node_identity id;
    if (kz_sync_identity_load(st, &id, &err) == 0) {
        bool own = strcmp(id.org_id, org) == 0;
        kz_sync_identity_clear(&id);
        if (own) {
            cli_error("%s is this node's own organisation: its key is this node's", org);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK && kz_store_org_key_set(st, org, key, NULL, &err) != 0) {
        cli_report("node trust", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        char fp[KZ_NODE_FP_LEN + 1];
        kz_sync_fingerprint(key, fp);
        printf("org %s is now spoken for by key %s\n", org, fp);
    }
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_sub subs[] = {
    {"show", node_show, "print this node's id, organisation, fingerprint and public key"},
    {"set-org", node_set_org, "record the node's operator organisation"},
    {"trust", node_trust, "record or replace the home node key of an organisation"},
    {0},
};

int cli_cmd_node(int argc, char **argv)
{
    return cli_dispatch("node", "This node's federation identity (Ed25519 key derived from the "
                                "node secret).",
                        subs, argc, argv);
}
