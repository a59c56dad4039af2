/* cmd_serve.c — `kizuna serve`: fills kz_http_config from the options and
 * hands over to the HTTP layer until SIGTERM / SIGINT. Refuses a database
 * that was never initialised: a node without organisations has no one who
 * could authenticate, which is always a mistake (usually a wrong --db).
 */
#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "http/http.h"
#include "sync/sync.h" /* federation scheduler */
#include "cmd_taxii.h" /* scheduled TAXII pulls */

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"listen", CLI_VALUE, "ADDR:PORT",
     "address to listen on (default 127.0.0.1:8080; [::1]:8080; port 0 picks one)"},
    {"name", CLI_VALUE, "NAME", "node name shown on GET / (default: the one given to init)"},
    {"max-body", CLI_VALUE, "BYTES",
     "largest request body of the batch routes (default 64 MiB; other routes take 1 MiB)"},
    {"rate", CLI_VALUE, "RPS", "requests per second per API key (0 = unlimited)"},
    {"burst", CLI_VALUE, "N", "requests a key may send at once above the rate"},
    {"timeout", CLI_VALUE, "S", "idle connection time-out in seconds"},
    {"threads", CLI_VALUE, "N", "worker threads (default: one per core)"},
    {"no-access-log", CLI_FLAG, NULL, "do not log requests on stderr"},
    /* hardening */
    {"per-ip-connections", CLI_VALUE, "N",
     "connections one client address may hold open (default 64)"},
    {"warninglists", CLI_VALUE, "DIR",
     "MISP warninglists folder (lists/<name>/list.json): indicators on one are flagged and "
     "their lookup hits reported as warninglisted, not as alerts"},
    /* federation: HTTPS for peers (docs/federation.md) */
    {"tls-cert", CLI_VALUE, "FILE", "serve HTTPS with this PEM certificate (chain); needs --tls-key"},
    {"tls-key", CLI_VALUE, "FILE", "the PEM private key of --tls-cert"},
    {"match-orgs", CLI_VALUE, "N",
     "lookup indexes kept in memory, one per organisation (default 8; least recently used "
     "evicted)"},
    /* notifications: webhook delivery (http/webhook_workers.c) */
    {"webhook-allow-private", CLI_FLAG, NULL,
     "let webhooks call loopback, private and link-local addresses (tests, closed networks; "
     "off by default against SSRF)"},
    {"webhook-poll-ms", CLI_VALUE, "MS", "how often webhooks look for changes (default 1000)"},
    {"webhook-retry-ms", CLI_VALUE, "MS",
     "first retry delay of a failed webhook delivery, doubled each time (default 5000)"},
    {"webhook-max-attempts", CLI_VALUE, "N",
     "attempts at one change before a webhook skips it (default 8)"},
    {"webhook-timeout-s", CLI_VALUE, "S",
     "time a receiver has to answer one delivery, in seconds (default 10)"},
    {"webhook-workers", CLI_VALUE, "N",
     "webhooks delivered at once, so a slow receiver holds up only its own (default 4, "
     "at most 64)"},
    /* federation: push size limit (docs/federation.md) */
    {"sync-max-batch", CLI_VALUE, "MIB",
     "largest federation push accepted, in MiB of inflated JSON (default 64; 16..512); "
     "a page holding one larger event is still taken, one at a time, up to 512"},
    {0},
};
static const cli_spec spec = {
    "serve", "[--db PATH] [--listen ADDR:PORT] [options]",
    "Serves the REST API (/api/v1) until SIGTERM or SIGINT. Prints\n"
    "'kizuna: listening on http://HOST:PORT' once ready.",
    opts, 0, 0,
};

/* Reads what serve needs from the database and closes it again: the HTTP
 * layer opens its own connections, one per thread. */
static int check_node(const cli_args *args, kz_arena *a, char **node_name)
{
    kz_store *st = NULL;
    const char *path = NULL;
    int rc = cli_store_open(args, false, &st, &path);
    if (rc != CLI_OK)
        return rc;
    kz_err err = {0};
    kz_org *orgs = NULL;
    size_t n = 0;
    if (kz_store_org_list(st, a, &orgs, &n, &err) != 0) {
        cli_report("cannot read the database", &err);
        rc = CLI_FAIL;
    } else if (n == 0) {
        cli_error("'%s' is not initialised (no organisations); run first: "
                  "kizuna init --db %s --org NAME --country CC", path, path);
        rc = CLI_FAIL;
    } else {
        int r = kz_store_meta_get(st, "node_name", a, node_name, &err);
        if (r == KZ_E_NOTFOUND)
            *node_name = NULL;
        else if (r != 0) {
            cli_report("cannot read the node name", &err);
            rc = CLI_FAIL;
        }
    }
    kz_store_close(st);
    return rc;
}

int cli_cmd_serve(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    kz_http_config cfg;
    kz_http_config_defaults(&cfg);
    uint64_t max_body, burst, timeout, threads, match_orgs, per_ip;
    double rate;
    if (cli_get_uint(&args, "max-body", cfg.max_body, 1, (uint64_t)1 << 40, &max_body) ||
        cli_get_uint(&args, "burst", cfg.rate_burst, 0, 1000000, &burst) ||
        cli_get_uint(&args, "timeout", cfg.timeout_s, 1, 86400, &timeout) ||
        cli_get_uint(&args, "threads", cfg.threads, 0, 1024, &threads) ||
        cli_get_double(&args, "rate", cfg.rate_per_sec, 0, 1e9, &rate) ||
        cli_get_uint(&args, "match-orgs", 8, 1, 4096, &match_orgs) ||
        cli_get_uint(&args, "per-ip-connections", cfg.per_ip_connections, 1, 100000, &per_ip)) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    uint64_t sync_mib = 0; /* federation: push size limit */
    kz_err sync_err = {0};
    if (cli_get_uint(&args, "sync-max-batch", KZ_SYNC_PUSH_MAX_DEFAULT >> 20, 1,
                     KZ_SYNC_MAX_BATCH >> 20, &sync_mib) ||
        kz_sync_set_push_max((size_t)sync_mib << 20, &sync_err) != 0) {
        if (sync_err.code)
            cli_report("--sync-max-batch", &sync_err);
        cli_args_free(&args);
        return CLI_USAGE;
    }
    cfg.db_path = cli_get(&args, "db", CLI_DEFAULT_DB);
    cfg.listen = cli_get(&args, "listen", cfg.listen ? cfg.listen : "127.0.0.1:8080");
    cfg.max_body = (size_t)max_body;
    cfg.rate_burst = (unsigned)burst;
    cfg.timeout_s = (unsigned)timeout;
    cfg.threads = (unsigned)threads;
    cfg.rate_per_sec = rate;
    if (cli_flag(&args, "no-access-log"))
        cfg.access_log = false;
    cfg.warninglists = cli_get(&args, "warninglists", NULL);
    cfg.match_orgs = (unsigned)match_orgs;
    cfg.per_ip_connections = (unsigned)per_ip;
    cfg.tls_cert = cli_get(&args, "tls-cert", NULL); /* federation: HTTPS */
    cfg.tls_key = cli_get(&args, "tls-key", NULL);
    kz_arena a;
    kz_arena_init(&a);
    char *stored_name = NULL;
    rc = check_node(&args, &a, &stored_name);
    if (rc == CLI_OK) {
        /* Before the schedulers and webhook workers start here: every
         * thread of the node is born with the stop signals blocked. */
        sigset_t old_mask;
        kz_http_block_stop_signals(NULL, &old_mask);
        cfg.node_name = cli_get(&args, "name", stored_name ? stored_name : cfg.node_name);
        kz_err err = {0};
        /* TAXII: scheduled pulls of the configured sources (cmd_taxii_sched.c). */
        if (cli_taxii_sched_start(cfg.db_path) != 0)
            cli_error("cannot start the scheduled TAXII pulls");
        /* federation: push on publish, pull on schedule (src/sync/schedule.c) */
        kz_sync_scheduler *sync = NULL;
        if (kz_sync_scheduler_start(cfg.db_path, &sync, &err) != 0)
            cli_report("federation is off", &err);
        /* notifications: webhook delivery (http/webhook_workers.c) */
        uint64_t wh_poll = 1000, wh_retry = 5000, wh_max = 8, wh_timeout = 10, wh_workers = 4;
        if (cli_get_uint(&args, "webhook-poll-ms", 1000, 10, 3600000, &wh_poll) ||
            cli_get_uint(&args, "webhook-retry-ms", 5000, 10, 3600000, &wh_retry) ||
            cli_get_uint(&args, "webhook-max-attempts", 8, 1, 100, &wh_max) ||
            cli_get_uint(&args, "webhook-timeout-s", 10, 1, 300, &wh_timeout) ||
            cli_get_uint(&args, "webhook-workers", 4, 1, KZ_WEBHOOK_WORKERS_MAX, &wh_workers))
            rc = CLI_USAGE;
        kz_webhook_config whc = {.db_path = cfg.db_path,
                                 .allow_private = cli_flag(&args, "webhook-allow-private"),
                                 .poll_ms = (unsigned)wh_poll,
                                 .retry_base_ms = (unsigned)wh_retry,
                                 .max_attempts = (unsigned)wh_max,
                                 .timeout_s = (unsigned)wh_timeout,
                                 .workers = (unsigned)wh_workers};
        if (rc == CLI_OK && kz_webhook_dispatcher_start(&whc, &err) != 0)
            cli_report("webhooks are off", &err);
        if (rc == CLI_OK && kz_http_serve(&cfg, &err) != 0) {
            cli_report("serve", &err);
            rc = CLI_FAIL;
        }
        kz_sync_scheduler_stop(sync);
        kz_webhook_dispatcher_stop(); /* notifications */
        cli_taxii_sched_stop();
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    }
    kz_arena_free(&a);
    cli_args_free(&args);
    return rc;
}
