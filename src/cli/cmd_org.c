/* cmd_org.c — `kizuna org add|list`: the organisations of the node (national
 * CERTs, agencies, companies, NGOs). Creation is shared with init and the
 * demo seed through cli_org_create.
 */
#include "cli.h"

#include "formats/formats.h"

int cli_org_create(kz_store *st, const char *name, const char *country, const char *type,
                   const char *sector, const char *contact, kz_arena *a, kz_org *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(name));
    json_object_set_new(j, "country", json_string(country));
    json_object_set_new(j, "type", json_string(type));
    if (sector)
        json_object_set_new(j, "sector", json_string(sector));
    if (contact)
        json_object_set_new(j, "contact", json_string(contact));
    kz_err err = {0};
    *out = (kz_org){0};
    int rc = kz_json_org_parse(j, a, out, &err);
    json_decref(j);
    if (rc == 0) {
        kz_uuid_v4(out->id);
        out->created = out->modified = kz_time_now();
        rc = kz_store_org_put(st, out, &err);
        if (rc == KZ_E_CONFLICT) {
            cli_error("an organisation named '%s' already exists", name);
            return CLI_FAIL;
        }
    }
    if (rc != 0) {
        cli_report("organisation", &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"name", CLI_VALUE, "NAME", "organisation name (unique on the node)"},
    {"country", CLI_VALUE, "CC", "ISO 3166-1 alpha-2 country code (SG, JP, ...)"},
    {"type", CLI_VALUE, "TYPE", "national_cert, government, company, ngo or academic"},
    {"sector", CLI_VALUE, "SECTOR", "sector (free text)"},
    {"contact", CLI_VALUE, "CONTACT", "contact address (free text)"},
    {0},
};
static const cli_spec add_spec = {
    "org add", "--name NAME --country CC --type TYPE [options]",
    "Adds an organisation and prints its id.", add_opts, 0, 0,
};

static int org_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *name = cli_need(&args, "name"), *country = NULL, *type = NULL;
    if (!name || !(country = cli_need(&args, "country")) || !(type = cli_need(&args, "type"))) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc == CLI_OK) {
        kz_arena a;
        kz_arena_init(&a);
        kz_org org;
        rc = cli_org_create(st, name, country, type, cli_get(&args, "sector", NULL),
                            cli_get(&args, "contact", NULL), &a, &org);
        if (rc == CLI_OK)
            printf("%s\n", org.id);
        kz_arena_free(&a);
        kz_store_close(st);
    }
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {CLI_OPT_DB, CLI_OPT_JSON, {0}};
static const cli_spec list_spec = {"org list", "[--json]", "Lists the organisations of the node.",
                                   list_opts, 0, 0};

static int org_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org *orgs = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_org_list(st, &a, &orgs, &n, &err) != 0) {
        cli_report("cannot list organisations", &err);
        rc = CLI_FAIL;
    } else if (cli_flag(&args, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, kz_json_org(&orgs[i]));
        rc = cli_print_json(stdout, arr, true);
    } else {
        printf("%-36s  %-2s  %-13s  %s\n", "ID", "CC", "TYPE", "NAME");
        for (size_t i = 0; i < n; i++)
            printf("%-36s  %-2s  %-13s  %s\n", orgs[i].id, orgs[i].country,
                   kz_org_type_name(orgs[i].type), orgs[i].name);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_org(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", org_add, "add an organisation"},
        {"list", org_list, "list organisations"},
        {0},
    };
    return cli_dispatch("org", "Organisations: national CERTs, agencies, companies, NGOs.", subs,
                        argc, argv);
}
