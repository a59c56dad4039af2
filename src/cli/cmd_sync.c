/* cmd_sync.c — `kizuna sync now PEER`: one immediate run with a peer, in
 * the directions configured for it (or only --pull / --push), outside the
 * schedule `kizuna serve` keeps. Safe to run while the node serves: the
 * cursors make a run started twice do the work once.
 */
#include "cli.h"

#include <string.h>

#include "sync/sync.h"

static const cli_opt now_opts[] = {
    CLI_OPT_DB,
    {"pull", CLI_FLAG, NULL, "only pull from the peer"},
    {"push", CLI_FLAG, NULL, "only push to the peer"},
    {0},
};
static const cli_spec now_spec = {
    "sync now", "PEER [--pull|--push]",
    "Pulls from and/or pushes to a peer now and prints what moved.", now_opts, 1, 1,
};

static void print_run(const char *what, const kz_sync_run *r)
{
    printf("%s: %zu page(s), %zu object(s), cursor %lld; applied %zu event(s), %zu indicator(s), "
           "%zu sighting(s), %zu deletion(s), %zu org(s), %zu unchanged\n",
           what, r->pages, r->objects, (long long)r->cursor, r->stats.events, r->stats.indicators,
           r->stats.sightings, r->stats.deletions, r->stats.orgs, r->stats.unchanged);
}

static int sync_now(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&now_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_err err = {0};
    kz_peer p = {0};
    kz_node_identity id;
    bool have_id = false;
    if (kz_store_peer_get(st, args.pos.v[0], &a, &p, &err) != 0 ||
        !(have_id = kz_sync_identity_load(st, &id, &err) == 0)) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    }
    bool only_pull = cli_flag(&args, "pull"), only_push = cli_flag(&args, "push");
    bool pull = only_pull || (!only_push && (p.direction & KZ_PEER_PULL));
    bool push = only_push || (!only_pull && (p.direction & KZ_PEER_PUSH));
    if (rc == CLI_OK && strcmp(p.url, "offline") == 0) {
        cli_error("peer '%s' is offline: exchange bundles with it (kizuna bundle)", p.name);
        rc = CLI_FAIL;
    }
    kz_sync_run run;
    if (rc == CLI_OK && pull) {
        if (kz_sync_pull(st, &id, &p, &run, &err) != 0) {
            kz_err ignore = {0};
            kz_store_peer_status(st, p.id, kz_time_now(), err.msg, &ignore);
            cli_report("pull", &err);
            rc = CLI_FAIL;
        } else {
            print_run("pulled", &run);
        }
    }
    if (rc == CLI_OK && push) {
        if (kz_sync_push(st, &id, &p, &run, &err) != 0) {
            kz_err ignore = {0};
            kz_store_peer_status(st, p.id, kz_time_now(), err.msg, &ignore);
            cli_report("push", &err);
            rc = CLI_FAIL;
        } else {
            print_run("pushed", &run);
        }
    }
    if (have_id)
        kz_sync_identity_clear(&id);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_sync(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"now", sync_now, "pull from / push to a peer now"},
        {0},
    };
    return cli_dispatch("sync", "Federation runs outside the schedule (docs/federation.md).", subs,
                        argc, argv);
}
