/* cmd_taxii_source.c — `kizuna taxii source add|list|remove|pause|resume|run`:
 * the collections `kizuna serve` pulls on a schedule (cmd_taxii_sched.c).
 *
 * The commands open the database directly, like the other node
 * configuration commands; a running `serve` sees a change at its next
 * scheduler tick. The credential is taken from a file, stdin or the
 * environment (never needed on the command line) and stored sealed with the
 * node secret (store/taxii_sources.c); `list` shows whether a source has one,
 * never what it is.
 */
#include "cmd_taxii.h"

#include <stdlib.h>
#include <string.h>

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"collection", CLI_VALUE, "ID", "the collection to pull (required)"},
    CLI_TAXII_AUTH_OPTS,
    {"every", CLI_VALUE, "INTERVAL", "time between pulls: 90, 90s, 15m, 6h, 1d (default 1h)"},
    {"tlp", CLI_VALUE, "TLP", "TLP for objects without a TLP marking (default amber)"},
    {"org", CLI_VALUE, "ORG",
     "the organisation the objects are attributed to (default: the only org)"},
    {"paused", CLI_FLAG, NULL, "add it paused (resume it later)"},
    {0},
};
static const cli_spec add_spec = {
    "taxii source add", "NAME URL --collection ID [options]",
    "Add a TAXII 2.1 collection that 'kizuna serve' pulls on a schedule. URL is the\n"
    "server's API root. The credential (--key-file, $KIZUNA_TAXII_KEY, or --user\n"
    "with --password-stdin, --password-file or $KIZUNA_TAXII_PASSWORD) is stored\n"
    "sealed with the node secret. Pulls resume where the last pull of the same\n"
    "URL and collection stopped (also one made by 'kizuna taxii pull').",
    add_opts, 2, 2,
};

static const cli_opt list_opts[] = {CLI_OPT_DB, CLI_OPT_JSON, {0}};
static const cli_spec list_spec = {
    "taxii source list", "[--json]",
    "List the scheduled TAXII sources with the outcome of their last pull.",
    list_opts, 0, 0,
};

static const cli_opt one_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec remove_spec = {"taxii source remove", "NAME|ID",
                                     "Remove a scheduled TAXII source.", one_opts, 1, 1};
static const cli_spec pause_spec = {"taxii source pause", "NAME|ID",
                                    "Stop pulling a source until it is resumed.", one_opts, 1, 1};
static const cli_spec resume_spec = {"taxii source resume", "NAME|ID",
                                     "Pull a paused source again.", one_opts, 1, 1};
static const cli_spec run_spec = {
    "taxii source run", "NAME|ID",
    "Pull a source now (paused or not), as 'kizuna serve' does when it is due,\n"
    "and record the outcome on it. Exit 1 when the pull fails.",
    one_opts, 1, 1};

/* "90", "90s", "15m", "6h", "1d" -> seconds; -1 when malformed. */
static int64_t parse_interval(const char *s)
{
    int64_t n = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9' && i < 9; i++)
        n = n * 10 + (s[i] - '0');
    if (i == 0 || n <= 0)
        return -1;
    int64_t mul = 1;
    switch (s[i]) {
    case 0: break;
    case 's': mul = 1; break;
    case 'm': mul = 60; break;
    case 'h': mul = 3600; break;
    case 'd': mul = 86400; break;
    default: return -1;
    }
    if (s[i] && s[i + 1])
        return -1;
    return n * mul <= 366 * 86400 ? n * mul : -1;
}

static int source_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *name = args.pos.v[0], *url = args.pos.v[1];
    const char *coll = cli_need(&args, "collection");
    int tlp = kz_tlp_parse(cli_get(&args, "tlp", "amber"));
    int64_t every = parse_interval(cli_get(&args, "every", "1h"));
    if (!coll) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (tlp < 0 || every < 0) {
        rc = cli_usage_error(&add_spec, "%s",
                             tlp < 0 ? "option '--tlp': not clear, green, amber, amber+strict "
                                       "or red"
                                     : "option '--every': not a positive interval of at most a "
                                       "year (90, 90s, 15m, 6h, 1d)");
        cli_args_free(&args);
        return rc;
    }
    cli_taxii_cred cred;
    if ((rc = cli_taxii_cred_read(&add_spec, &args, &cred)) != CLI_OK) {
        cli_taxii_cred_wipe(&cred);
        cli_args_free(&args);
        return rc;
    }
    /* The URL is kept as the client will use it: one trailing slash; the URL
     * and the credential are checked as every pull will check them. */
    cli_taxii_conn t;
    kz_err err = {0};
    if (cli_taxii_open(&t, url, &cred, &err) != 0) {
        cli_taxii_close(&t);
        cli_taxii_cred_wipe(&cred);
        rc = cli_usage_error(&add_spec, "%s", err.msg);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_taxii_close(&t);
        cli_taxii_cred_wipe(&cred);
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    rc = cli_taxii_org(st, &add_spec, &args, "receiving", &a, &org);
    if (rc == CLI_OK) {
        kz_taxii_source s;
        memset(&s, 0, sizeof s);
        kz_uuid_v4(s.id);
        s.name = (char *)name;
        s.url = t.root;
        s.collection = (char *)coll;
        memcpy(s.org_id, org.id, sizeof s.org_id);
        s.tlp = (kz_tlp)tlp;
        s.interval_s = every;
        s.auth = cred.kind;
        s.username = cred.kind == KZ_TAXII_AUTH_BASIC ? cred.user : NULL;
        s.paused = cli_flag(&args, "paused");
        s.created = kz_time_now();
        if (kz_store_taxii_source_put(st, &s, cred.kind == KZ_TAXII_AUTH_NONE ? NULL : cred.secret,
                                      &err) != 0) {
            cli_report("cannot add the source", &err);
            rc = CLI_FAIL;
        } else {
            printf("%s\n", s.id);
        }
    }
    cli_taxii_close(&t);
    cli_taxii_cred_wipe(&cred);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static json_t *time_or_null(kz_time t)
{
    if (!t)
        return json_null();
    char s[KZ_TIME_STRLEN + 1];
    kz_time_format(t, s);
    return json_string(s);
}

static const char *auth_name(kz_taxii_auth a)
{
    return a == KZ_TAXII_AUTH_BEARER ? "bearer" : a == KZ_TAXII_AUTH_BASIC ? "basic" : "none";
}

static json_t *source_json(const kz_taxii_source *s, const char *org_name)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:s, s:b}", "id", s->id,
                          "name", s->name, "url", s->url, "collection", s->collection, "org_id",
                          s->org_id, "org", org_name, "tlp", kz_tlp_name(s->tlp), "interval_s",
                          (json_int_t)s->interval_s, "auth", auth_name(s->auth), "paused",
                          s->paused);
    if (!j)
        return NULL;
    if (s->username)
        json_object_set_new(j, "user", json_string(s->username));
    json_object_set_new(j, "last_run", time_or_null(s->last_run));
    json_object_set_new(j, "last_ok", time_or_null(s->last_ok));
    json_object_set_new(j, "last_error", s->last_error ? json_string(s->last_error) : json_null());
    json_object_set_new(j, "last_objects", json_integer(s->last_objects));
    json_object_set_new(j, "runs", json_integer(s->runs));
    json_object_set_new(j, "failures", json_integer(s->failures));
    return j;
}

static int source_list(int argc, char **argv)
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
    kz_taxii_source *v = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_taxii_source_list(st, &a, &v, &n, &err) != 0) {
        cli_report("cannot list TAXII sources", &err);
        rc = CLI_FAIL;
    } else {
        bool as_json = cli_flag(&args, "json");
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            const kz_taxii_source *s = &v[i];
            kz_org o;
            const char *org = kz_store_org_get(st, s->org_id, &a, &o, &err) == 0 ? o.name : NULL;
            if (as_json) {
                json_array_append_new(arr, source_json(s, org));
                continue;
            }
            char last[KZ_TIME_STRLEN + 1] = "never";
            if (s->last_run)
                kz_time_format(s->last_run, last);
            printf("%s  %s%s\n    %s collection %s, every %llds, TLP %s, as %s, auth %s\n"
                   "    last run %s: %s",
                   s->id, s->name, s->paused ? "  (paused)" : "", s->url, s->collection,
                   (long long)s->interval_s, kz_tlp_name(s->tlp), org ? org : s->org_id,
                   auth_name(s->auth), last,
                   !s->last_run ? "-" : s->last_error ? "error: " : "ok, ");
            if (s->last_run && s->last_error)
                printf("%s", s->last_error);
            else if (s->last_run)
                printf("%lld object%s stored", (long long)s->last_objects,
                       s->last_objects == 1 ? "" : "s");
            printf(" (%lld run%s, %lld failed)\n", (long long)s->runs, s->runs == 1 ? "" : "s",
                   (long long)s->failures);
        }
        if (as_json)
            rc = cli_print_json(stdout, arr, true);
        else
            json_decref(arr);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

typedef enum { OP_REMOVE, OP_PAUSE, OP_RESUME, OP_RUN } one_op;

static int source_one(const cli_spec *spec, one_op op, int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_taxii_source s;
    kz_err err = {0};
    int r = kz_store_taxii_source_get(st, args.pos.v[0], &a, &s, &err);
    cli_taxii_pull_stats ps;
    if (r == 0 && op == OP_RUN) {
        r = cli_taxii_source_run(st, &s, &ps, &err);
        fprintf(stderr,
                "pulled %zu page%s, %zu object%s: %zu stored, %zu duplicate%s, %zu invalid\n",
                ps.pages, ps.pages == 1 ? "" : "s", ps.objects, ps.objects == 1 ? "" : "s",
                ps.stored, ps.duplicates, ps.duplicates == 1 ? "" : "s", ps.invalid);
    } else if (r == 0) {
        r = op == OP_REMOVE ? kz_store_taxii_source_delete(st, s.id, &err)
                            : kz_store_taxii_source_pause(st, s.id, op == OP_PAUSE, &err);
    }
    if (r != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static int source_remove(int argc, char **argv)
{
    return source_one(&remove_spec, OP_REMOVE, argc, argv);
}
static int source_pause(int argc, char **argv)
{
    return source_one(&pause_spec, OP_PAUSE, argc, argv);
}
static int source_resume(int argc, char **argv)
{
    return source_one(&resume_spec, OP_RESUME, argc, argv);
}
static int source_run(int argc, char **argv)
{
    return source_one(&run_spec, OP_RUN, argc, argv);
}

int cli_taxii_source(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", source_add, "add a collection to pull on a schedule"},
        {"list", source_list, "list the sources and the outcome of their last pull"},
        {"remove", source_remove, "remove a source"},
        {"pause", source_pause, "stop pulling a source"},
        {"resume", source_resume, "pull a paused source again"},
        {"run", source_run, "pull a source now and record the outcome"},
        {0},
    };
    return cli_dispatch("taxii source", "Scheduled TAXII 2.1 pulls (run by 'kizuna serve').", subs,
                        argc, argv);
}
