/* cmd_report.c — `kizuna report response --since DATE [--format text|csv]`:
 * the response metrics of GET /api/v1/metrics/response for the node
 * operator, who sees every case. The figures come from the same function
 * (kz_case_metrics_compute); drills are reported only with --drill, and
 * then alone, so exercise times never mix with real ones.
 */
#include "cli.h"

#include <string.h>

static const cli_opt response_opts[] = {
    CLI_OPT_DB,
    {"since", CLI_VALUE, "DATE", "cases created at or after DATE (RFC 3339 or YYYY-MM-DD)"},
    {"format", CLI_VALUE, "FMT", "text (default) or csv"},
    {"drill", CLI_FLAG, NULL, "report the drills (exercises) instead of real cases"},
    {0},
};
static const cli_spec response_spec = {
    "report response",
    "--since DATE [--format text|csv] [--drill]",
    "Time to acknowledge, contain and resolve per case and per org; open cases by severity\n"
    "and country; overdue tasks. Times are in hours (text) or seconds (csv).",
    response_opts,
    0,
    0,
};

/* "-" when not reached. */
static void hours(char *out, size_t n, int64_t us)
{
    if (us < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.1f", (double)us / 3600e6);
}

static void mean_hours(char *out, size_t n, int64_t sum, size_t k)
{
    hours(out, n, k ? sum / (int64_t)k : -1);
}

/* CSV cells: empty when not reached; text quoted with doubled quotes. */
/* Titles and names come from other organisations: a leading = + - @ would
 * make a spreadsheet run it as a formula, so such a cell starts with '. */
static void csv_text(const char *s)
{
    putchar('"');
    if (s && strchr("=+-@", *s) && *s)
        putchar('\'');
    for (; s && *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void csv_secs(int64_t us)
{
    if (us >= 0)
        printf("%lld", (long long)(us / 1000000));
}

static void print_text(const kz_case_metrics *m, const char *since, bool drill)
{
    printf("Response report%s since %s: %zu cases, %zu open, %zu overdue tasks\n\n",
           drill ? " (drills)" : "", since, m->n_cases, m->n_open, m->overdue_tasks);
    printf("Open by severity: 1: %zu  2: %zu  3: %zu  4: %zu\n", m->open_by_severity[1],
           m->open_by_severity[2], m->open_by_severity[3], m->open_by_severity[4]);
    printf("Open by country:");
    for (size_t i = 0; i < m->n_countries; i++)
        printf("  %s: %zu", m->countries[i].country[0] ? m->countries[i].country : "??",
               m->countries[i].open);
    printf("%s\n\n", m->n_countries ? "" : "  none");
    printf("%-36s  %-12s  %3s  %8s  %8s  %8s  %7s  %s\n", "case", "status", "sev", "ack h",
           "cont h", "res h", "overdue", "title");
    for (size_t i = 0; i < m->n_cases; i++) {
        const kz_case_timing *t = &m->cases[i];
        char a[32], c[32], r[32];
        hours(a, sizeof a, t->to_acknowledge);
        hours(c, sizeof c, t->to_contain);
        hours(r, sizeof r, t->to_resolve);
        printf("%-36s  %-12s  %3d  %8s  %8s  %8s  %7zu  %s\n", t->c->id,
               kz_case_status_name(t->c->status), t->c->severity, a, c, r, t->overdue_tasks,
               t->c->title);
    }
    printf("\n%-24s  %-2s  %4s  %5s  %4s  %10s  %10s  %10s  %7s\n", "org", "cc", "led", "part",
           "open", "mean ack h", "mean con h", "mean res h", "overdue");
    for (size_t i = 0; i < m->n_orgs; i++) {
        const kz_case_org_metrics *o = &m->orgs[i];
        char a[32], c[32], r[32];
        mean_hours(a, sizeof a, o->sum_ack, o->n_ack);
        mean_hours(c, sizeof c, o->sum_contain, o->n_contain);
        mean_hours(r, sizeof r, o->sum_resolve, o->n_resolve);
        printf("%-24.24s  %-2s  %4zu  %5zu  %4zu  %10s  %10s  %10s  %7zu\n",
               o->name ? o->name : o->org_id, o->country, o->led, o->participating, o->open, a, c,
               r, o->overdue_tasks);
    }
}

/* One table: a row per case, then a row per org (record = case | org). */
static void print_csv(const kz_case_metrics *m)
{
    printf("record,id,name,country,severity,status,drill,time_to_acknowledge_s,"
           "time_to_contain_s,time_to_resolve_s,overdue_tasks,cases_led,cases_participating,"
           "cases_open\n");
    for (size_t i = 0; i < m->n_cases; i++) {
        const kz_case_timing *t = &m->cases[i];
        printf("case,%s,", t->c->id);
        csv_text(t->c->title);
        printf(",,%d,%s,%s,", t->c->severity, kz_case_status_name(t->c->status),
               t->c->drill ? "true" : "false");
        csv_secs(t->to_acknowledge);
        putchar(',');
        csv_secs(t->to_contain);
        putchar(',');
        csv_secs(t->to_resolve);
        printf(",%zu,,,\n", t->overdue_tasks);
    }
    for (size_t i = 0; i < m->n_orgs; i++) {
        const kz_case_org_metrics *o = &m->orgs[i];
        printf("org,%s,", o->org_id);
        csv_text(o->name);
        printf(",%s,,,,", o->country);
        csv_secs(o->n_ack ? o->sum_ack / (int64_t)o->n_ack : -1);
        putchar(',');
        csv_secs(o->n_contain ? o->sum_contain / (int64_t)o->n_contain : -1);
        putchar(',');
        csv_secs(o->n_resolve ? o->sum_resolve / (int64_t)o->n_resolve : -1);
        printf(",%zu,%zu,%zu,%zu\n", o->overdue_tasks, o->led, o->participating, o->open);
    }
}

static int report_response(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&response_spec, argc, argv, &args, &rc))
        return rc;
    const char *since = cli_need(&args, "since");
    const char *format = cli_get(&args, "format", "text");
    kz_time t0 = 0;
    kz_err err = {0};
    if (!since) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (kz_time_parse(since, &t0, &err) != 0) {
        rc = cli_usage_error(&response_spec, "--since '%s' is not a date: %s", since, err.msg);
        cli_args_free(&args);
        return rc;
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0) {
        rc = cli_usage_error(&response_spec, "--format '%s' is not text or csv", format);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    bool drill = cli_flag(&args, "drill");
    kz_case_filter f = {.status = -1, .drill = drill ? 1 : 0, .since = t0};
    kz_case *cases = NULL;
    kz_case_task *tasks = NULL;
    kz_org *orgs = NULL;
    size_t n = 0, nt = 0, no = 0;
    kz_case_metrics m;
    if (kz_store_case_list(st, &f, &a, &cases, &n, NULL, &err) != 0 ||
        kz_store_case_tasks(st, NULL, &a, &tasks, &nt, &err) != 0 ||
        kz_store_org_list(st, &a, &orgs, &no, &err) != 0 ||
        kz_case_metrics_compute(cases, n, tasks, nt, orgs, no, kz_time_now(), &a, &m, &err) != 0) {
        cli_report("cannot compute the report", &err);
        rc = CLI_FAIL;
    } else if (!strcmp(format, "csv")) {
        print_csv(&m);
    } else {
        print_text(&m, since, drill);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_report(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"response", report_response, "incident response metrics (text or CSV)"},
        {0},
    };
    return cli_dispatch("report", "Reports over the node's data.", subs, argc, argv);
}
