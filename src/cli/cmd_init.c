/* cmd_init.c — `kizuna init`: turns an empty file into a node. Creates the
 * node secret, the operator's organisation, an admin user and its first API
 * key, all in one transaction. Refuses a database that already has
 * organisations, so a slip of the shell cannot mint a second admin.
 */
#include "cli.h"

#include <string.h>

#include <sodium.h>

#include "sync/sync.h"

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "NAME", "the operator's organisation"},
    {"country", CLI_VALUE, "CC", "its ISO 3166-1 alpha-2 country code"},
    {"org-type", CLI_VALUE, "TYPE",
     "national_cert (default), government, company, ngo or academic"},
    {"admin-email", CLI_VALUE, "EMAIL", "the admin user's e-mail (default admin@localhost)"},
    {"node-name", CLI_VALUE, "NAME", "the node's name, shown on its home page"},
    {0},
};
static const cli_spec spec = {
    "init", "--org NAME --country CC [options]",
    "Creates the database, the node secret (PATH.secret), the organisation, an admin\n"
    "user and an API key for it, printed once as 'admin key: kz_...'.",
    opts, 0, 0,
};

static int setup(kz_store *st, const cli_args *args, const char *org_name, const char *country,
                 kz_arena *a, char key[KZ_KEY_TEXT_LEN + 1], kz_org *org, kz_user *admin)
{
    kz_err err = {0};
    kz_api_key k;
    uint8_t secret[32];
    if (kz_store_node_secret(st, secret, &err) != 0) {
        cli_report("cannot create the node secret", &err);
        return CLI_FAIL;
    }
    sodium_memzero(secret, sizeof secret);
    const char *node_name = cli_get(args, "node-name", NULL);
    if (cli_org_create(st, org_name, country, cli_get(args, "org-type", "national_cert"), NULL,
                       NULL, a, org) != CLI_OK ||
        cli_user_create(st, org->id, cli_get(args, "admin-email", "admin@localhost"), "admin",
                        "node administrator", NULL, a, admin) != CLI_OK ||
        cli_key_create(st, admin->id, "init", 0, key, &k) != CLI_OK)
        return CLI_FAIL;
    if (node_name && kz_store_meta_set(st, "node_name", node_name, &err) != 0) {
        cli_report("cannot store the node name", &err);
        return CLI_FAIL;
    }
    /* federation: the operator org is the org part of the node id */
    if (kz_store_meta_set(st, "node.org_id", org->id, &err) != 0) {
        cli_report("cannot record the operator organisation", &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_cmd_init(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    const char *org_name = cli_need(&args, "org"), *country = NULL;
    if (!org_name || !(country = cli_need(&args, "country"))) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    const char *node_name = cli_get(&args, "node-name", NULL);
    if (node_name && (!*node_name || strlen(node_name) > 256 ||
                      !kz_utf8_valid(node_name, strlen(node_name)))) {
        rc = cli_usage_error(&spec, "option '--node-name': 1 to 256 bytes of UTF-8");
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    const char *path = NULL;
    rc = cli_store_open(&args, true, &st, &path);
    if (rc != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_org *orgs = NULL;
    size_t n = 0;
    char key[KZ_KEY_TEXT_LEN + 1] = "";
    kz_org org;
    kz_user admin;
    if (kz_store_org_list(st, &a, &orgs, &n, &err) != 0) {
        cli_report("cannot read the database", &err);
        rc = CLI_FAIL;
    } else if (n > 0) {
        cli_error("'%s' is already initialised (%zu organisation%s); refusing to init again. "
                  "Use 'kizuna key create' for a new key.",
                  path, n, n == 1 ? "" : "s");
        rc = CLI_FAIL;
    } else if (kz_store_begin(st, &err) != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    } else {
        rc = setup(st, &args, org_name, country, &a, key, &org, &admin);
        if (rc == CLI_OK && kz_store_commit(st, &err) != 0) {
            cli_report("cannot commit", &err);
            rc = CLI_FAIL;
        }
        if (rc != CLI_OK)
            kz_store_rollback(st);
    }
    if (rc == CLI_OK) {
        printf("admin key: %s\n", key);
        printf("\nInitialised %s: organisation '%s' (%s), admin user %s.\n"
               "The key above is shown only once; keep it safe. Start the node with:\n"
               "  kizuna serve --db %s\n",
               path, org.name, org.id, admin.email, path);
        /* federation: what partners compare out of band before peering */
        kz_node_identity nid;
        if (kz_sync_identity_load(st, &nid, &err) == 0) {
            printf("Node fingerprint: %s (node id %s; 'kizuna node show' prints the key)\n",
                   nid.fingerprint, nid.node_id);
            kz_sync_identity_clear(&nid);
        }
    }
    sodium_memzero(key, sizeof key);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}
