/* cmd_key.c — `kizuna key create|list|revoke`. The secret is printed once
 * and never stored: the node keeps a keyed hash only (model/credentials).
 * --replace lets scripts such as `make run` rotate "their" key on each start
 * without piling up live keys.
 */
#include "cli.h"

#include <string.h>

#include <sodium.h>

#include "formats/formats.h"

int cli_key_create(kz_store *st, const char *user_id, const char *label, kz_time expires,
                   char text[KZ_KEY_TEXT_LEN + 1], kz_api_key *out)
{
    kz_err err = {0};
    uint8_t secret[32];
    int rc = kz_store_node_secret(st, secret, &err);
    if (rc != 0) {
        cli_report("node secret", &err);
        return CLI_FAIL;
    }
    *out = (kz_api_key){0};
    rc = kz_key_generate(secret, text, out->hash);
    sodium_memzero(secret, sizeof secret);
    if (rc != 0) {
        cli_error("cannot generate a key");
        return CLI_FAIL;
    }
    kz_uuid_v4(out->id);
    snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
    out->label = (char *)label;
    out->created = kz_time_now();
    out->expires = expires;
    if (kz_store_key_put(st, out, &err) != 0) {
        cli_report("cannot store the key", &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int find_user(kz_store *st, const char *email, kz_arena *a, kz_user *u)
{
    kz_err err = {0};
    int rc = kz_store_user_find_email(st, email, a, u, &err);
    if (rc == KZ_E_NOTFOUND) {
        cli_error("no user with e-mail '%s' (see: kizuna user list)", email);
        return CLI_FAIL;
    }
    if (rc != 0) {
        cli_report(NULL, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Revokes the user's active keys that carry this label. */
static int revoke_label(kz_store *st, const char *user_id, const char *label, kz_arena *a,
                        size_t *revoked)
{
    kz_api_key *keys = NULL;
    size_t n = 0;
    kz_err err = {0};
    *revoked = 0;
    if (kz_store_key_list(st, user_id, a, &keys, &n, &err) != 0) {
        cli_report("cannot list keys", &err);
        return CLI_FAIL;
    }
    kz_time now = kz_time_now();
    for (size_t i = 0; i < n; i++) {
        if (keys[i].revoked || !keys[i].label || strcmp(keys[i].label, label) != 0)
            continue;
        if (kz_store_key_revoke(st, keys[i].id, now, &err) != 0) {
            cli_report("cannot revoke key", &err);
            return CLI_FAIL;
        }
        (*revoked)++;
    }
    return CLI_OK;
}

static const cli_opt create_opts[] = {
    CLI_OPT_DB,
    {"user", CLI_VALUE, "EMAIL", "the user the key acts as"},
    {"label", CLI_VALUE, "LABEL", "a label to recognise the key by"},
    {"expires", CLI_VALUE, "TIME", "expiry, RFC 3339 (2027-01-31T00:00:00Z) or a date"},
    {"replace", CLI_FLAG, NULL, "first revoke the user's active keys with the same --label"},
    {0},
};
static const cli_spec create_spec = {
    "key create", "--user EMAIL [--label LABEL] [--expires TIME] [--replace]",
    "Creates an API key and prints it once, as 'key: kz_...' (the node keeps only a hash).\n"
    "Use it as 'Authorization: Bearer kz_...'.",
    create_opts, 0, 0,
};

static int key_create(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&create_spec, argc, argv, &args, &rc))
        return rc;
    const char *email = cli_need(&args, "user");
    const char *label = cli_get(&args, "label", NULL);
    const char *exp_s = cli_get(&args, "expires", NULL);
    bool replace = cli_flag(&args, "replace");
    kz_time expires = 0;
    kz_err err = {0};
    rc = CLI_OK;
    if (!email)
        rc = CLI_USAGE;
    else if (replace && !label)
        rc = cli_usage_error(&create_spec, "--replace needs --label (the keys to replace)");
    else if (exp_s && kz_time_parse(exp_s, &expires, &err) != 0)
        rc = cli_usage_error(&create_spec, "option '--expires': '%s' is not an RFC 3339 time",
                             exp_s);
    else if (exp_s && expires <= kz_time_now())
        rc = cli_usage_error(&create_spec, "option '--expires': '%s' is in the past", exp_s);
    if (rc != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_user u;
    char text[KZ_KEY_TEXT_LEN + 1];
    kz_api_key k;
    size_t revoked = 0;
    rc = find_user(st, email, &a, &u);
    if (rc == CLI_OK && kz_store_begin(st, &err) != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    } else if (rc == CLI_OK) {
        if (replace)
            rc = revoke_label(st, u.id, label, &a, &revoked);
        if (rc == CLI_OK)
            rc = cli_key_create(st, u.id, label, expires, text, &k);
        if (rc == CLI_OK && kz_store_commit(st, &err) != 0) {
            cli_report("cannot store the key", &err);
            rc = CLI_FAIL;
        }
        if (rc != CLI_OK)
            kz_store_rollback(st);
    }
    if (rc == CLI_OK) {
        printf("id: %s\nkey: %s\n", k.id, text);
        if (replace)
            fprintf(stderr, "revoked %zu earlier key%s labelled '%s'\n", revoked,
                    revoked == 1 ? "" : "s", label);
    }
    sodium_memzero(text, sizeof text);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {
    CLI_OPT_DB,
    {"user", CLI_VALUE, "EMAIL", "whose keys"},
    CLI_OPT_JSON,
    {0},
};
static const cli_spec list_spec = {"key list", "--user EMAIL [--json]",
                                   "Lists a user's keys (never the secrets).", list_opts, 0, 0};

static void fmt_time(kz_time t, char *out)
{
    if (t)
        kz_time_format(t, out);
    else
        snprintf(out, KZ_TIME_STRLEN + 1, "-");
}

static int key_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    const char *email = cli_need(&args, "user");
    kz_store *st = NULL;
    if (!email || (rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return email ? rc : CLI_USAGE;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_user u;
    kz_api_key *keys = NULL;
    size_t n = 0;
    kz_err err = {0};
    rc = find_user(st, email, &a, &u);
    if (rc == CLI_OK && kz_store_key_list(st, u.id, &a, &keys, &n, &err) != 0) {
        cli_report("cannot list keys", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && cli_flag(&args, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, kz_json_api_key(&keys[i]));
        rc = cli_print_json(stdout, arr, true);
    } else if (rc == CLI_OK) {
        printf("%-36s  %-27s  %-27s  %s\n", "ID", "CREATED", "REVOKED", "LABEL");
        for (size_t i = 0; i < n; i++) {
            char c[KZ_TIME_STRLEN + 1], r[KZ_TIME_STRLEN + 1];
            fmt_time(keys[i].created, c);
            fmt_time(keys[i].revoked, r);
            printf("%-36s  %-27s  %-27s  %s\n", keys[i].id, c, r,
                   keys[i].label ? keys[i].label : "");
        }
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt revoke_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec revoke_spec = {"key revoke", "ID",
                                     "Revokes an API key at once (by its id, see 'key list').",
                                     revoke_opts, 1, 1};

static int key_revoke(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&revoke_spec, argc, argv, &args, &rc))
        return rc;
    kz_uuid id;
    if (!kz_uuid_normalize(args.pos.v[0], id)) {
        rc = cli_usage_error(&revoke_spec, "'%s' is not a key id (a UUID)", args.pos.v[0]);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    rc = cli_store_open(&args, false, &st, NULL);
    if (rc == CLI_OK) {
        kz_arena a;
        kz_arena_init(&a);
        kz_api_key k;
        kz_err err = {0};
        int r = kz_store_key_get(st, id, &a, &k, &err);
        if (r == KZ_E_NOTFOUND) {
            cli_error("no key with id '%s'", id);
            rc = CLI_FAIL;
        } else if (r == 0 && k.revoked) {
            cli_error("key '%s' is already revoked", id);
            rc = CLI_FAIL;
        } else if (r != 0 || kz_store_key_revoke(st, id, kz_time_now(), &err) != 0) {
            cli_report("cannot revoke key", &err);
            rc = CLI_FAIL;
        } else {
            printf("revoked key %s\n", id);
        }
        kz_arena_free(&a);
        kz_store_close(st);
    }
    cli_args_free(&args);
    return rc;
}

int cli_cmd_key(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"create", key_create, "create an API key for a user (shown once)"},
        {"list", key_list, "list a user's keys"},
        {"revoke", key_revoke, "revoke a key"},
        {0},
    };
    return cli_dispatch("key", "API keys ('Authorization: Bearer kz_...').", subs, argc, argv);
}
