/* cmd_community.c — `kizuna community add|list`. A community is the circle
 * that distribution "community" reaches (e.g. "ASEAN CERTs"); members are
 * given by org name or id and resolved here.
 */
#include "cli.h"

#include "formats/formats.h"

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"name", CLI_VALUE, "NAME", "community name (unique on the node)"},
    {"description", CLI_VALUE, "TEXT", "what the community is for"},
    {"member", CLI_MULTI, "ORG", "a member organisation (name or id)"},
    {0},
};
static const cli_spec add_spec = {
    "community add", "--name NAME [--description TEXT] [--member ORG]...",
    "Adds a community with its member organisations and prints its id.", add_opts, 0, 0,
};

int cli_community_create(kz_store *st, const char *name, const char *description,
                         const kz_strlist *member_ids, kz_arena *a, kz_community *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(name));
    if (description)
        json_object_set_new(j, "description", json_string(description));
    json_t *m = json_array();
    for (size_t i = 0; i < member_ids->n; i++)
        json_array_append_new(m, json_string(member_ids->v[i]));
    json_object_set_new(j, "member_orgs", m);
    kz_err err = {0};
    *out = (kz_community){0};
    int rc = kz_json_community_parse(j, a, out, &err);
    json_decref(j);
    if (rc == 0) {
        kz_uuid_v4(out->id);
        out->created = out->modified = kz_time_now();
        rc = kz_store_community_put(st, out, &err);
        if (rc == KZ_E_CONFLICT) {
            cli_error("a community named '%s' already exists", name);
            return CLI_FAIL;
        }
    }
    if (rc != 0) {
        cli_report("community", &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int community_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *name = cli_need(&args, "name");
    kz_store *st = NULL;
    if (!name || (rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return name ? rc : CLI_USAGE;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_strlist ids = {0};
    const kz_strlist *members = cli_multi(&args, "member");
    for (size_t i = 0; i < members->n && rc == CLI_OK; i++) {
        kz_org o;
        rc = cli_org_resolve(st, members->v[i], &a, &o);
        if (rc == CLI_OK && !kz_strlist_has(&ids, o.id))
            kz_strlist_push(&a, &ids, o.id);
    }
    kz_community c;
    if (rc == CLI_OK)
        rc = cli_community_create(st, name, cli_get(&args, "description", NULL), &ids, &a, &c);
    if (rc == CLI_OK)
        printf("%s\n", c.id);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {CLI_OPT_DB, CLI_OPT_JSON, {0}};
static const cli_spec list_spec = {"community list", "[--json]",
                                   "Lists communities and their member organisations.",
                                   list_opts, 0, 0};

static int community_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_community *cs = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_community_list(st, &a, &cs, &n, &err) != 0) {
        cli_report("cannot list communities", &err);
        rc = CLI_FAIL;
    } else if (cli_flag(&args, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, kz_json_community(&cs[i]));
        rc = cli_print_json(stdout, arr, true);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("%s  %s (%zu member%s)\n", cs[i].id, cs[i].name, cs[i].member_orgs.n,
                   cs[i].member_orgs.n == 1 ? "" : "s");
            for (size_t k = 0; k < cs[i].member_orgs.n; k++) {
                kz_org o;
                if (kz_store_org_get(st, cs[i].member_orgs.v[k], &a, &o, &err) == 0)
                    printf("    %s  %s  %s\n", o.id, o.country, o.name);
                else
                    printf("    %s\n", cs[i].member_orgs.v[k]);
            }
        }
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_community(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", community_add, "add a community"},
        {"list", community_list, "list communities and members"},
        {0},
    };
    return cli_dispatch("community", "Communities: the circles that distribution 'community' reaches.",
                        subs, argc, argv);
}
