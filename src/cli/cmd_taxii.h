/* cmd_taxii.h — what the TAXII 2.1 client commands share (cmd_taxii*.c):
 * one HTTP connection to a remote API root with its credentials, the pull
 * loop (used by `taxii pull` and by the scheduled pulls of `serve`), and
 * where credentials come from without putting them on the command line.
 */
#ifndef KZ_CMD_TAXII_H
#define KZ_CMD_TAXII_H

#include "cli.h"

#include <curl/curl.h>

#define CLI_TAXII_MEDIA "application/taxii+json;version=2.1"

/* Environment variables read when no credential option is given. */
#define CLI_TAXII_ENV_KEY "KIZUNA_TAXII_KEY"
#define CLI_TAXII_ENV_PASSWORD "KIZUNA_TAXII_PASSWORD"

/* The credential options every client command takes. */
#define CLI_TAXII_AUTH_OPTS                                                                  \
    {"key", CLI_VALUE, "KEY",                                                                \
     "bearer API key (visible to other local users: prefer --key-file or $" CLI_TAXII_ENV_KEY \
     ")"},                                                                                   \
        {"key-file", CLI_VALUE, "FILE", "read the bearer API key from FILE's first line"},  \
        {"user", CLI_VALUE, "USER",                                                          \
         "HTTP Basic user; the password from --password-stdin, --password-file or $"        \
         CLI_TAXII_ENV_PASSWORD},                                                            \
        {"password-stdin", CLI_FLAG, NULL, "read the Basic password from stdin's first line"}, \
        {"password-file", CLI_VALUE, "FILE", "read the Basic password from FILE's first line"}

typedef struct cli_taxii_cred {
    kz_taxii_auth kind;
    char user[256];
    char secret[1024]; /* wiped by cli_taxii_cred_wipe */
} cli_taxii_cred;

/* Fills c from the options and the environment. Prints a usage error
 * (returns CLI_USAGE) or a failure (CLI_FAIL). */
int cli_taxii_cred_read(const cli_spec *spec, const cli_args *args, cli_taxii_cred *c);
void cli_taxii_cred_wipe(cli_taxii_cred *c);

typedef struct cli_taxii_conn {
    CURL *c;
    struct curl_slist *hdrs;
    char root[1024]; /* the API root, ending in one '/' */
} cli_taxii_conn;

/* The answer of one request. */
typedef struct cli_taxii_resp {
    long status;
    kz_buf body;
    bool too_big;
    char last[64]; /* X-TAXII-Date-Added-Last */
} cli_taxii_resp;

/* url: the API root (http:// or https://). KZ_E_VALUE for a bad URL. */
int cli_taxii_open(cli_taxii_conn *t, const char *url, const cli_taxii_cred *cred, kz_err *err);
void cli_taxii_close(cli_taxii_conn *t);
/* One request to root + rel (body NULL for none; sent as the TAXII media
 * type). 0 with a 2xx answer; else KZ_E_IO with "URL: HTTP 401:
 * description" (the server's TAXII error description) in err. The caller
 * frees out->body. */
int cli_taxii_request(cli_taxii_conn *t, const char *method, const char *rel, const char *body,
                      size_t len, cli_taxii_resp *out, kz_err *err);
void cli_taxii_resp_free(cli_taxii_resp *r);
/* A server's text made fit for a terminal or a log line: control
 * characters (and bytes of invalid UTF-8) become '?', at most cap - 1 bytes. */
void cli_taxii_clean(const char *s, char *out, size_t cap);

typedef struct cli_taxii_pull_stats {
    size_t pages, objects, stored, duplicates, invalid;
} cli_taxii_pull_stats;

/* The org a command acts as: --org, else the node's only org (a usage
 * error naming `role`, e.g. "importing", when there are several). */
int cli_taxii_org(kz_store *st, const cli_spec *spec, const cli_args *args, const char *role,
                  kz_arena *a, kz_org *out);

/* Pulls a collection into st as org (TLP tlp for objects without a
 * marking), page by page (limit objects), resuming from the stored
 * position unless from_start. Invalid objects are printed on stderr when
 * verbose. 0 or a negative code with err filled. */
int cli_taxii_pull_run(kz_store *st, cli_taxii_conn *t, const char *collection, const kz_org *org,
                       kz_tlp tlp, size_t limit, bool from_start, bool verbose,
                       cli_taxii_pull_stats *stats, kz_err *err);

/* Pulls source s now and records the outcome on it (what the scheduler
 * does when s is due). */
int cli_taxii_source_run(kz_store *st, const kz_taxii_source *s, cli_taxii_pull_stats *ps,
                         kz_err *err);

/* The scheduled pulls of `kizuna serve` (cmd_taxii_sched.c): a thread that
 * runs each due source of the database at path, until stopped. */
int cli_taxii_sched_start(const char *db_path);
void cli_taxii_sched_stop(void);

int cli_taxii_push(int argc, char **argv);
int cli_taxii_source(int argc, char **argv);

#endif
