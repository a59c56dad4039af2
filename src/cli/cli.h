/* cli.h — private to src/cli/: the option parser every subcommand shares,
 * small helpers (error output, opening the store, resolving an org by name or
 * id) and the entry point of each subcommand group.
 *
 * Exit codes are the contract with scripts: 0 success, 1 failure (the message
 * on stderr starts with "kizuna: "), 2 usage error.
 */
#ifndef KZ_CLI_H
#define KZ_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "base/base.h"
#include "model/model.h"
#include "store/store.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

#define CLI_DEFAULT_DB "./var/kizuna.db"

/* ---- options (args.c) ---------------------------------------------------- */

typedef enum {
    CLI_FLAG,  /* --no-ids */
    CLI_VALUE, /* --db PATH (given twice: the last wins) */
    CLI_MULTI, /* --tag T, repeatable */
} cli_kind;

typedef struct cli_opt {
    const char *name; /* without the leading "--" */
    cli_kind kind;
    const char *metavar; /* "PATH"; NULL for flags */
    const char *help;
} cli_opt;

typedef struct cli_spec {
    const char *cmd;         /* "org add" */
    const char *usage;       /* what follows "kizuna org add" on the usage line */
    const char *summary;     /* a few lines printed under the usage line */
    const cli_opt *opts;     /* ends with {0} */
    size_t min_pos, max_pos; /* positional arguments allowed */
} cli_spec;

#define CLI_MAX_OPTS 32
#define CLI_OPT_DB {"db", CLI_VALUE, "PATH", "database file (default " CLI_DEFAULT_DB ")"}
#define CLI_OPT_JSON {"json", CLI_FLAG, NULL, "print JSON instead of a table"}

typedef struct cli_args {
    const cli_spec *spec;
    kz_arena arena;
    kz_strlist vals[CLI_MAX_OPTS];
    bool seen[CLI_MAX_OPTS];
    kz_strlist pos;
} cli_args;

/* Parses argv[1..] (argv[0] is the command's own name). Returns true to go on
 * (the caller then frees args). Otherwise *rc is the exit code to return at
 * once: 0 after printing --help, 2 after a usage error (printed). */
bool cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *args, int *rc);
void cli_args_free(cli_args *args);
void cli_usage(const cli_spec *spec, FILE *f);

/* The last value of a CLI_VALUE option, or def. */
const char *cli_get(const cli_args *args, const char *name, const char *def);
bool cli_flag(const cli_args *args, const char *name);
const kz_strlist *cli_multi(const cli_args *args, const char *name);
/* A required option: prints a usage error naming it when absent. */
const char *cli_need(const cli_args *args, const char *name);
/* An unsigned number within [min, max]; a usage error otherwise. */
int cli_get_uint(const cli_args *args, const char *name, uint64_t def, uint64_t min, uint64_t max,
                 uint64_t *out);
int cli_get_double(const cli_args *args, const char *name, double def, double min, double max,
                   double *out);

/* ---- subcommand groups (main.c) ----------------------------------------- */

typedef int (*cli_fn)(int argc, char **argv);

typedef struct cli_sub {
    const char *name;
    cli_fn fn;
    const char *summary;
} cli_sub;

/* Runs the subcommand named by argv[1] ("org add"), or prints the group's
 * help; argv[0] is the group name. */
int cli_dispatch(const char *group, const char *summary, const cli_sub *subs, int argc,
                 char **argv);

/* ---- helpers (util.c) ---------------------------------------------------- */

/* msg without a leading "field:" or "'field' " that the caller prints itself. */
const char *cli_err_msg(const char *field, const char *msg);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "kizuna: [prefix: ][field: ]message" */
void cli_report(const char *prefix, const kz_err *err);
int cli_usage_error(const cli_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens the database named by --db. Unless creating (init), a missing file is
 * an error with a hint to run init, rather than a silently created empty node. */
int cli_store_open(const cli_args *args, bool create, kz_store **out, const char **path);

/* An org by id or by exact name. Prints the error; returns 0 or CLI_FAIL. */
int cli_org_resolve(kz_store *st, const char *name_or_id, kz_arena *a, kz_org *out);

/* The user events created from the CLI for org_id are attributed to: its
 * first publisher (else org_admin, analyst, admin); "" when it has none. */
int cli_org_author(kz_store *st, const char *org_id, kz_arena *a, kz_uuid out);

/* Writes j (compact, or indented when pretty) and a newline; steals j. */
int cli_print_json(FILE *f, json_t *j, bool pretty);

/* Reads all of stdin's first line into buf (without the newline), at most
 * max bytes. */
int cli_read_secret_line(char *buf, size_t max, size_t *len);

/* reliability (http_timeout.c): seconds an HTTP client waits for a silent
 * server: $KIZUNA_HTTP_TIMEOUT when set, else dflt. */
long cli_http_timeout(long dflt);

/* ---- creating the node's principals (cmd_org.c, cmd_user.c, cmd_key.c) ---
 * Shared by init, the add commands and the demo seed. Input goes through the
 * same formats parsers as the REST API, so the CLI and the API accept and
 * refuse the same values. Each prints its error and returns CLI_FAIL. */
int cli_org_create(kz_store *st, const char *name, const char *country, const char *type,
                   const char *sector, const char *contact, kz_arena *a, kz_org *out);
int cli_user_create(kz_store *st, const char *org_id, const char *email, const char *role,
                    const char *name, const char *password, kz_arena *a, kz_user *out);
/* Members are org ids (cmd_community.c). */
int cli_community_create(kz_store *st, const char *name, const char *description,
                         const kz_strlist *member_ids, kz_arena *a, kz_community *out);
/* Generates a key for user_id; text receives the secret (shown once). */
int cli_key_create(kz_store *st, const char *user_id, const char *label, kz_time expires,
                   char text[KZ_KEY_TEXT_LEN + 1], kz_api_key *out);

/* ---- bounded line reader (lines.c) -------------------------------------- */

typedef struct cli_lines {
    FILE *f;
    char *buf;
    size_t cap, start, end;
    size_t max_line;
    bool eof, hold;
    int64_t consumed; /* bytes handed out as lines, with their newlines */
    long lineno;      /* of the last line returned, from 1 */
} cli_lines;

void cli_lines_init(cli_lines *r, FILE *f, size_t max_line);
void cli_lines_free(cli_lines *r);
/* 1 and the line (without its newline, not NUL-terminated, valid until the
 * next call), 0 at the end, or KZ_E_TOOLARGE / KZ_E_IO / KZ_E_NOMEM. */
int cli_lines_next(cli_lines *r, char **line, size_t *len);
/* Keep everything read from now on, so cli_lines_rewind can go back to the
 * start of the input (call before the first line). */
void cli_lines_hold(cli_lines *r);
/* Reads ahead up to limit bytes; *whole when that is all of the input, which
 * is then buf[start..end). */
int cli_lines_hold_all(cli_lines *r, size_t limit, bool *whole);
void cli_lines_rewind(cli_lines *r);
void cli_lines_release(cli_lines *r);

/* ---- progress (progress.c) ---------------------------------------------- */

typedef struct cli_progress {
    bool on;
    int64_t total;      /* bytes; 0 when unknown (a pipe) */
    int64_t start_us, last_us;
    int64_t done_bytes;
    int64_t items;
    const char *unit; /* "indicators" */
} cli_progress;

/* Enabled only when stderr is a terminal. */
void cli_progress_init(cli_progress *p, int64_t total_bytes, const char *unit);
/* Cheap: redraws at most 10 times a second. */
void cli_progress_update(cli_progress *p, int64_t bytes, int64_t items);
/* Clears the bar. */
void cli_progress_done(cli_progress *p);

/* ---- notifications: the audit log (cmd_audit.c) ---------------------------- */

/* Records a write made from the node's shell in the audit log (remote
 * "cli", action "cli <what>"), as the API records its writes; a failure is
 * reported on stderr but does not undo the write. */
void cli_audit(kz_store *st, const char *org_id, const char *user_id, const char *what,
               const char *object_type, const char *object_id, int tlp);

/* ---- commands ------------------------------------------------------------ */

int cli_cmd_init(int argc, char **argv);
int cli_cmd_serve(int argc, char **argv);
int cli_cmd_org(int argc, char **argv);
int cli_cmd_user(int argc, char **argv);
int cli_cmd_key(int argc, char **argv);
int cli_cmd_community(int argc, char **argv);
int cli_cmd_event(int argc, char **argv);
int cli_cmd_indicator(int argc, char **argv);
int cli_cmd_search(int argc, char **argv);
int cli_cmd_import(int argc, char **argv);
int cli_cmd_export(int argc, char **argv);
int cli_cmd_demo(int argc, char **argv);

#endif
