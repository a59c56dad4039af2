/* cmd_audit.c — `kizuna audit verify|head|list`: checking the hash chain
 * of the audit log on the node's own files (the place where someone could
 * have edited it), printing its head to record elsewhere (the only defence
 * against someone who holds the node's files: see docs/notifications.md),
 * and reading it without the API.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void cli_audit(kz_store *st, const char *org_id, const char *user_id, const char *what,
               const char *object_type, const char *object_id, int tlp)
{
    char action[128];
    snprintf(action, sizeof action, "cli %s", what);
    kz_audit_entry e = {.actor_org = org_id && *org_id ? org_id : NULL,
                        .actor_user = user_id && *user_id ? user_id : NULL,
                        .remote = "cli",
                        .action = action,
                        .object_type = object_type,
                        .object_id = object_id,
                        .tlp = tlp};
    kz_err err = {0};
    if (kz_store_audit_append(st, &e, 1, &err) != 0)
        cli_report("the audit log", &err);
}

static const cli_opt verify_opts[] = {
    CLI_OPT_DB,
    {"expect", CLI_VALUE, "SEQ:HASH",
     "a head printed earlier by `audit head`: the log must still hold it unchanged"},
    {0},
};
static const cli_spec verify_spec = {
    "audit verify", "[--db PATH] [--expect SEQ:HASH]",
    "Checks every entry of the audit log against the hash chain (keyed with the\n"
    "node secret) and the recorded head, and with --expect against a head recorded\n"
    "outside the node. Exits 0 when intact; otherwise 1, naming the first entry\n"
    "(seq) that is missing, altered or out of place.",
    verify_opts, 0, 0,
};

static int audit_verify(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&verify_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    int64_t checked = 0, bad = 0;
    kz_err err = {0};
    int r = kz_store_audit_verify(st, &checked, &bad, &err);
    const char *expect = cli_get(&args, "expect", NULL);
    if (r == 0 && expect && (r = kz_store_audit_anchor_check(st, expect, &err)) == KZ_E_VALUE)
        bad = strtoll(expect, NULL, 10);
    if (r == 0) {
        printf("audit log intact: %" PRId64 " entr%s verified\n", checked,
               checked == 1 ? "y" : "ies");
    } else if (r == KZ_E_VALUE) {
        cli_error("audit log broken at seq %" PRId64 ": %s", bad, err.msg);
        rc = CLI_FAIL;
    } else {
        cli_report("audit verify", &err);
        rc = r == KZ_E_INVALID ? CLI_USAGE : CLI_FAIL;
    }
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt head_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec head_spec = {
    "audit head", "[--db PATH]",
    "Prints the newest audit log entry as SEQ:HASH. Record it outside the node\n"
    "(a ticket, another system); `audit verify --expect SEQ:HASH` later proves\n"
    "that nothing up to that entry was removed or rewritten.",
    head_opts, 0, 0,
};

static int audit_head(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&head_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    char head[KZ_AUDIT_ANCHOR_LEN + 1];
    kz_err err = {0};
    if (kz_store_audit_head_text(st, head, &err) == 0) {
        printf("%s\n", head);
    } else {
        cli_report("audit head", &err);
        rc = CLI_FAIL;
    }
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {
    CLI_OPT_DB,
    CLI_OPT_JSON,
    {"limit", CLI_VALUE, "N", "entries to show, newest first (default 50)"},
    {"org", CLI_VALUE, "ORG", "only entries by this organisation (name or id)"},
    {0},
};
static const cli_spec list_spec = {
    "audit list", "[--limit N] [--org ORG] [--json]",
    "Shows the newest audit log entries: time, who, from where, what, TLP.", list_opts, 0, 0,
};

static int audit_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    uint64_t limit;
    if (cli_get_uint(&args, "limit", 50, 1, 100000, &limit)) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_audit_filter f = {.min_tlp = -1, .limit = (size_t)limit};
    kz_org o;
    const char *org = cli_get(&args, "org", NULL);
    if (org && (rc = cli_org_resolve(st, org, &a, &o)) == CLI_OK)
        f.actor_org = o.id;
    kz_audit_entry *v = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (rc == CLI_OK && kz_store_audit_list(st, &f, &a, &v, &n, &err) != 0) {
        cli_report("audit list", &err);
        rc = CLI_FAIL;
    }
    bool js = cli_flag(&args, "json");
    json_t *arr = js ? json_array() : NULL;
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        char at[KZ_TIME_STRLEN + 1], h[65];
        kz_time_format(v[i].at, at);
        kz_hex_encode(v[i].hash, 32, h);
        const char *tlp = v[i].tlp >= 0 ? kz_tlp_name((kz_tlp)v[i].tlp) : NULL;
        if (js)
            json_array_append_new(
                arr, json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s,s:s?,s:s?,s:s?,s:i,s:s}", "seq",
                               (json_int_t)v[i].seq, "time", at, "actor_user", v[i].actor_user,
                               "actor_org", v[i].actor_org, "remote", v[i].remote, "action",
                               v[i].action, "object_type", v[i].object_type, "object_id",
                               v[i].object_id, "tlp", tlp, "status", v[i].status, "hash", h));
        else
            printf("%" PRId64 "  %s  %s  %s  %s  %s %s  %s\n", v[i].seq, at,
                   v[i].actor_org ? v[i].actor_org : "-", v[i].remote ? v[i].remote : "-",
                   v[i].action, v[i].object_type ? v[i].object_type : "-",
                   v[i].object_id ? v[i].object_id : "-", tlp ? tlp : "-");
    }
    if (js && rc == CLI_OK)
        rc = cli_print_json(stdout, arr, true);
    else
        json_decref(arr);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_audit(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"verify", audit_verify, "check the audit log's hash chain"},
        {"head", audit_head, "print the newest entry (SEQ:HASH) to record elsewhere"},
        {"list", audit_list, "show the newest audit log entries"},
        {0},
    };
    return cli_dispatch("audit", "The append-only, hash-chained audit log of the API.", subs, argc,
                        argv);
}
