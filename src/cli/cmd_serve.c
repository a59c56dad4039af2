/* cmd_serve.c — `kizuna serve`: fills kz_http_config from the options and
 * hands over to the HTTP layer until SIGTERM / SIGINT. Refuses a database
 * that was never initialised: a node without organisations has no one who
 * could authenticate, which is always a mistake (usually a wrong --db).
 */
#include "cli.h"

#include <string.h>

#include "http/http.h"

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
    {"match-orgs", CLI_VALUE, "N",
     "lookup indexes kept in memory, one per organisation (default 8; least recently used "
     "evicted)"},
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
    kz_arena a;
    kz_arena_init(&a);
    char *stored_name = NULL;
    rc = check_node(&args, &a, &stored_name);
    if (rc == CLI_OK) {
        cfg.node_name = cli_get(&args, "name", stored_name ? stored_name : cfg.node_name);
        kz_err err = {0};
        if (kz_http_serve(&cfg, &err) != 0) {
            cli_report("serve", &err);
            rc = CLI_FAIL;
        }
    }
    kz_arena_free(&a);
    cli_args_free(&args);
    return rc;
}
