/* args.c — the one option parser of every subcommand.
 *
 * Long options only ("--db PATH" or "--db=PATH"), repeatable options,
 * positional arguments, "--" to end options and "-" as a positional (stdin).
 * The help text is generated from the same table that drives parsing, so an
 * option cannot exist without being documented.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int opt_index(const cli_spec *spec, const char *name, size_t len)
{
    for (int i = 0; spec->opts && spec->opts[i].name; i++)
        if (strlen(spec->opts[i].name) == len && memcmp(spec->opts[i].name, name, len) == 0)
            return i;
    return -1;
}

void cli_usage(const cli_spec *spec, FILE *f)
{
    fprintf(f, "usage: kizuna %s %s\n", spec->cmd, spec->usage ? spec->usage : "");
    if (spec->summary)
        fprintf(f, "\n%s\n", spec->summary);
    fprintf(f, "\noptions:\n");
    for (int i = 0; spec->opts && spec->opts[i].name; i++) {
        const cli_opt *o = &spec->opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        fprintf(f, "  %-24s %s%s\n", left, o->help, o->kind == CLI_MULTI ? " (repeatable)" : "");
    }
    fprintf(f, "  %-24s %s\n", "--help", "show this help");
}

int cli_usage_error(const cli_spec *spec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kizuna: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: kizuna %s %s\n(see 'kizuna %s --help')\n", spec->cmd,
            spec->usage ? spec->usage : "", spec->cmd);
    return CLI_USAGE;
}

bool cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *args, int *rc)
{
    memset(args, 0, sizeof *args);
    args->spec = spec;
    kz_arena_init(&args->arena);
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
            if (kz_strlist_push(&args->arena, &args->pos, s) != 0)
                goto nomem;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            cli_usage(spec, stdout);
            *rc = CLI_OK;
            goto stop;
        }
        if (s[1] != '-') {
            *rc = cli_usage_error(spec, "unknown option '%s' (options are long: --name)", s);
            goto stop;
        }
        const char *name = s + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int k = opt_index(spec, name, len);
        if (k < 0 || k >= CLI_MAX_OPTS) {
            *rc = cli_usage_error(spec, "unknown option '--%.*s'", (int)len, name);
            goto stop;
        }
        const cli_opt *o = &spec->opts[k];
        const char *val = NULL;
        if (o->kind == CLI_FLAG) {
            if (eq) {
                *rc = cli_usage_error(spec, "option '--%s' takes no value", o->name);
                goto stop;
            }
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            *rc = cli_usage_error(spec, "option '--%s' needs a value (%s)", o->name, o->metavar);
            goto stop;
        }
        args->seen[k] = true;
        if (val) {
            if (o->kind == CLI_VALUE)
                args->vals[k].n = 0; /* the last one wins */
            if (kz_strlist_push(&args->arena, &args->vals[k], val) != 0)
                goto nomem;
        }
    }
    if (args->pos.n < spec->min_pos) {
        *rc = cli_usage_error(spec, "missing argument%s", spec->min_pos > 1 ? "s" : "");
        goto stop;
    }
    if (args->pos.n > spec->max_pos) {
        *rc = cli_usage_error(spec, "unexpected argument '%s'", args->pos.v[spec->max_pos]);
        goto stop;
    }
    return true;
nomem:
    cli_error("out of memory");
    *rc = CLI_FAIL;
stop:
    cli_args_free(args);
    return false;
}

void cli_args_free(cli_args *args)
{
    kz_arena_free(&args->arena);
    memset(args->vals, 0, sizeof args->vals);
    args->pos.n = 0;
}

static int find(const cli_args *args, const char *name)
{
    int k = opt_index(args->spec, name, strlen(name));
    return k >= 0 && k < CLI_MAX_OPTS ? k : -1;
}

const char *cli_get(const cli_args *args, const char *name, const char *def)
{
    int k = find(args, name);
    if (k < 0 || args->vals[k].n == 0)
        return def;
    return args->vals[k].v[args->vals[k].n - 1];
}

bool cli_flag(const cli_args *args, const char *name)
{
    int k = find(args, name);
    return k >= 0 && args->seen[k];
}

const kz_strlist *cli_multi(const cli_args *args, const char *name)
{
    static const kz_strlist empty = {0};
    int k = find(args, name);
    return k >= 0 ? &args->vals[k] : &empty;
}

const char *cli_need(const cli_args *args, const char *name)
{
    const char *v = cli_get(args, name, NULL);
    if (!v)
        cli_usage_error(args->spec, "missing required option '--%s'", name);
    return v;
}

int cli_get_uint(const cli_args *args, const char *name, uint64_t def, uint64_t min, uint64_t max,
                 uint64_t *out)
{
    const char *s = cli_get(args, name, NULL);
    if (!s) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || errno || !end || *end || v < min || v > max)
        return cli_usage_error(args->spec, "option '--%s': '%s' is not a number from %llu to %llu",
                               name, s, (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

int cli_get_double(const cli_args *args, const char *name, double def, double min, double max,
                   double *out)
{
    const char *s = cli_get(args, name, NULL);
    if (!s) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || errno || !end || *end || !(v >= min && v <= max))
        return cli_usage_error(args->spec, "option '--%s': '%s' is not a number from %g to %g",
                               name, s, min, max);
    *out = v;
    return 0;
}
