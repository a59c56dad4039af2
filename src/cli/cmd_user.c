/* cmd_user.c — `kizuna user add|list`. A password, when wanted, is read from
 * stdin, never from argv: the command line is visible to every local user
 * (ps, /proc) and lands in shell history.
 */
#include "cli.h"

#include <string.h>

#include <sodium.h>

#include "formats/formats.h"

int cli_user_create(kz_store *st, const char *org_id, const char *email, const char *role,
                    const char *name, const char *password, kz_arena *a, kz_user *out)
{
    json_t *j = json_object();
    json_object_set_new(j, "email", json_string(email));
    json_object_set_new(j, "role", json_string(role));
    json_object_set_new(j, "org_id", json_string(org_id));
    if (name)
        json_object_set_new(j, "name", json_string(name));
    if (password)
        json_object_set_new(j, "password", json_string(password));
    kz_err err = {0};
    *out = (kz_user){0};
    const char *pw = NULL;
    int rc = kz_json_user_parse(j, a, out, &pw, &err);
    if (rc == 0) {
        snprintf(out->org_id, sizeof out->org_id, "%s", org_id);
        kz_uuid_v4(out->id);
        out->created = out->modified = kz_time_now();
        if (pw)
            rc = kz_password_hash(pw, a, &out->password_hash, &err);
    }
    json_decref(j); /* after pw is no longer needed: it points into j */
    if (rc == 0) {
        rc = kz_store_user_put(st, out, &err);
        if (rc == KZ_E_CONFLICT) {
            cli_error("a user with e-mail '%s' already exists", email);
            return CLI_FAIL;
        }
    }
    if (rc != 0) {
        cli_report("user", &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the user's organisation (name or id)"},
    {"email", CLI_VALUE, "EMAIL", "e-mail address (unique on the node)"},
    {"role", CLI_VALUE, "ROLE", "admin, org_admin, publisher, analyst, read_only or sync"},
    {"name", CLI_VALUE, "NAME", "display name"},
    {"password-stdin", CLI_FLAG, NULL,
     "read a password (8-1024 bytes) from the first line of stdin, for HTTP Basic"},
    {0},
};
static const cli_spec add_spec = {
    "user add", "--org ORG --email EMAIL --role ROLE [options]",
    "Adds a user and prints its id. Create an API key for it with 'kizuna key create'.",
    add_opts, 0, 0,
};

static int user_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *org = cli_need(&args, "org"), *email = NULL, *role = NULL;
    if (!org || !(email = cli_need(&args, "email")) || !(role = cli_need(&args, "role"))) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    char password[1100];
    bool with_pw = cli_flag(&args, "password-stdin");
    if (with_pw) {
        size_t len = 0;
        if (cli_read_secret_line(password, sizeof password, &len) != 0) {
            cli_error("password: longer than 1024 bytes");
            cli_args_free(&args);
            return CLI_FAIL;
        }
    }
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc == CLI_OK) {
        kz_arena a;
        kz_arena_init(&a);
        kz_org o;
        kz_user u;
        rc = cli_org_resolve(st, org, &a, &o);
        if (rc == CLI_OK)
            rc = cli_user_create(st, o.id, email, role, cli_get(&args, "name", NULL),
                                 with_pw ? password : NULL, &a, &u);
        if (rc == CLI_OK)
            printf("%s\n", u.id);
        kz_arena_free(&a);
        kz_store_close(st);
    }
    sodium_memzero(password, sizeof password);
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "only users of this organisation (name or id)"},
    CLI_OPT_JSON,
    {0},
};
static const cli_spec list_spec = {"user list", "[--org ORG] [--json]", "Lists users.", list_opts,
                                   0, 0};

static int user_list(int argc, char **argv)
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
    kz_org o;
    const char *org = cli_get(&args, "org", NULL);
    if (org)
        rc = cli_org_resolve(st, org, &a, &o);
    kz_user *users = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (rc == CLI_OK && kz_store_user_list(st, org ? o.id : NULL, &a, &users, &n, &err) != 0) {
        cli_report("cannot list users", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && cli_flag(&args, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, kz_json_user(&users[i]));
        rc = cli_print_json(stdout, arr, true);
    } else if (rc == CLI_OK) {
        printf("%-36s  %-9s  %-36s  %s\n", "ID", "ROLE", "ORG", "EMAIL");
        for (size_t i = 0; i < n; i++)
            printf("%-36s  %-9s  %-36s  %s\n", users[i].id, kz_role_name(users[i].role),
                   users[i].org_id, users[i].email);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_user(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", user_add, "add a user to an organisation"},
        {"list", user_list, "list users"},
        {0},
    };
    return cli_dispatch("user", "Users of the node's organisations.", subs, argc, argv);
}
