/* cmd_stix.c — `kizuna stix import|export`: STIX 2.1 bundles in and out.
 *
 * Import is all or nothing: every invalid object is reported as
 * "FILE: object <id>: <property>: <reason>" and nothing is stored. A file is
 * mapped, not read, so a bundle of a million objects costs no copy; the
 * objects are parsed one at a time (formats/stix_import.c). Export writes
 * one event as a bundle, to FILE.tmp and then renamed, like `kizuna export`.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/formats.h"

#define MAX_STDIN ((size_t)1 << 30)

/* ---- import ------------------------------------------------------------------ */

static const cli_opt import_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the importing organisation (default: the node's only org)"},
    {"tlp", CLI_VALUE, "TLP", "TLP for objects without a TLP marking (default amber)"},
    {"distribution", CLI_VALUE, "DIST", "distribution of the events made (default org)"},
    {"publish", CLI_FLAG, NULL, "publish the events made"},
    {"no-orgs", CLI_FLAG, NULL, "do not create organisations from identities"},
    {0},
};
static const cli_spec import_spec = {
    "stix import", "[--org ORG] [--tlp TLP] FILE|-",
    "Imports a STIX 2.1 bundle, a TAXII envelope or one STIX object. Every object is\n"
    "kept verbatim (every version); reports become events, plain indicator patterns\n"
    "become indicators, identities of class organization become (or link to)\n"
    "organisations, sightings of indicators become sightings. All or nothing: each\n"
    "invalid object is reported as FILE: object <id>: <property>: <reason>.\n"
    "Prints the ids of the events made or added to.",
    import_opts, 1, 1,
};

typedef struct input {
    char *p;
    size_t n;
    bool mapped;
} input;

static int read_input(const char *name, input *in)
{
    memset(in, 0, sizeof *in);
    if (strcmp(name, "-") == 0) {
        kz_buf b;
        kz_buf_init(&b);
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
            if (b.len + got > MAX_STDIN || kz_buf_append(&b, chunk, got)) {
                kz_buf_free(&b);
                cli_error("standard input is larger than %zu bytes", MAX_STDIN);
                return CLI_FAIL;
            }
        }
        if (ferror(stdin)) {
            kz_buf_free(&b);
            cli_error("cannot read standard input: %s", strerror(errno));
            return CLI_FAIL;
        }
        in->n = b.len;
        in->p = b.p ? kz_buf_steal(&b) : strdup("");
        return CLI_OK;
    }
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        cli_error("cannot read '%s': %s", name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CLI_FAIL;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        cli_error("'%s' is not a regular file", name);
        return CLI_FAIL;
    }
    in->n = (size_t)sb.st_size;
    if (in->n == 0) {
        close(fd);
        in->p = strdup("");
        return CLI_OK;
    }
    void *m = mmap(NULL, in->n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        cli_error("cannot map '%s': %s", name, strerror(errno));
        return CLI_FAIL;
    }
    madvise(m, in->n, MADV_SEQUENTIAL);
    in->p = m;
    in->mapped = true;
    return CLI_OK;
}

static void free_input(input *in)
{
    if (in->mapped)
        munmap(in->p, in->n);
    else
        free(in->p);
}

/* The org to import as: --org, else the only org of the node. */
static int import_org(kz_store *st, const cli_args *args, kz_arena *a, kz_org *out)
{
    const char *name = cli_get(args, "org", NULL);
    if (name)
        return cli_org_resolve(st, name, a, out);
    kz_org *orgs = NULL;
    size_t n = 0;
    kz_err err = {0};
    if (kz_store_org_list(st, a, &orgs, &n, &err) != 0) {
        cli_report("cannot list organisations", &err);
        return CLI_FAIL;
    }
    if (n != 1)
        return cli_usage_error(&import_spec,
                               "the node has %zu organisations; name the importing one with --org",
                               n);
    *out = orgs[0];
    return CLI_OK;
}

static int stix_import(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&import_spec, argc, argv, &args, &rc))
        return rc;
    const char *file = args.pos.v[0];
    int tlp = kz_tlp_parse(cli_get(&args, "tlp", "amber"));
    int dist = kz_distribution_parse(cli_get(&args, "distribution", "org"));
    if (tlp < 0 || dist < 0 || dist == KZ_DIST_SHARING_GROUP) {
        rc = cli_usage_error(&import_spec,
                             tlp < 0 ? "option '--tlp': '%s' is not clear, green, amber, "
                                       "amber+strict or red"
                                     : "option '--distribution': '%s' is not org, community, "
                                       "connected or all",
                             tlp < 0 ? cli_get(&args, "tlp", "") : cli_get(&args, "distribution", ""));
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
    kz_org org;
    kz_uuid author = "";
    input in = {0};
    rc = import_org(st, &args, &a, &org);
    if (rc == CLI_OK)
        rc = cli_org_author(st, org.id, &a, author);
    if (rc == CLI_OK)
        rc = read_input(file, &in);
    if (rc == CLI_OK) {
        const char *slash = strrchr(file, '/');
        kz_stix_import_opts o = {
            .org_id = org.id,
            .user_id = author,
            .default_tlp = (kz_tlp)tlp,
            .distribution = (kz_distribution)dist,
            .publish = cli_flag(&args, "publish"),
            .create_orgs = !cli_flag(&args, "no-orgs"),
            .source = strcmp(file, "-") == 0 ? NULL : slash ? slash + 1 : file,
            .input_mapped = in.mapped,
        };
        kz_stix_report rep;
        kz_err err = {0};
        kz_store_bulk_mode(st, in.n > ((size_t)64 << 20));
        int r = kz_stix_import(st, in.p, in.n, &o, true, &a, &rep, &err);
        kz_store_bulk_mode(st, false);
        const char *shown = strcmp(file, "-") == 0 ? "(stdin)" : file;
        for (size_t i = 0; i < rep.errors.n; i++)
            fprintf(stderr, "%s: %s\n", shown, rep.errors.v[i].msg);
        if (rep.n_invalid > rep.errors.n)
            fprintf(stderr, "%s: ... and %zu more invalid objects\n", shown,
                    rep.n_invalid - rep.errors.n);
        for (size_t i = 0; i < rep.warnings.n; i++)
            fprintf(stderr, "%s: warning: %s\n", shown, rep.warnings.v[i].msg);
        if (r != 0) {
            if (rep.errors.n == 0)
                fprintf(stderr, "%s: %s\n", shown, err.msg);
            cli_error("nothing was imported from %s", shown);
            rc = CLI_FAIL;
        } else {
            for (size_t i = 0; i < rep.events.n; i++)
                printf("%s\n", rep.events.v[i]);
            fprintf(stderr,
                    "imported %zu object%s from %s: %zu stored, %zu duplicate%s; %zu new "
                    "event%s, %zu indicator%s, %zu sighting%s, %zu organisation%s created\n",
                    rep.n_objects, rep.n_objects == 1 ? "" : "s", shown, rep.n_stored,
                    rep.n_duplicates, rep.n_duplicates == 1 ? "" : "s", rep.n_events,
                    rep.n_events == 1 ? "" : "s", rep.n_indicators,
                    rep.n_indicators == 1 ? "" : "s", rep.n_sightings,
                    rep.n_sightings == 1 ? "" : "s", rep.n_orgs_created,
                    rep.n_orgs_created == 1 ? "" : "s");
        }
        free_input(&in);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

/* ---- export ------------------------------------------------------------------ */

static const cli_opt export_opts[] = {
    CLI_OPT_DB,
    {"event", CLI_VALUE, "ID", "the event to export (required)"},
    {"out", CLI_VALUE, "FILE", "write to FILE instead of stdout"},
    {0},
};
static const cli_spec export_spec = {
    "stix export", "--event ID [--out FILE]",
    "Writes an event as a STIX 2.1 bundle: what was imported as STIX exactly as it\n"
    "came, and for the event's own indicators a report, indicators with patterns,\n"
    "observables with deterministic ids, the creator identity and TLP 2.0 markings.\n"
    "The CLI acts as the node operator: everything is exported, whatever its TLP.",
    export_opts, 0, 0,
};

static int stix_export(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&export_spec, argc, argv, &args, &rc))
        return rc;
    const char *ev = cli_need(&args, "event");
    kz_uuid id;
    if (!ev) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (!kz_uuid_normalize(ev, id)) {
        rc = cli_usage_error(&export_spec, "option '--event': '%s' is not an event id (a UUID)",
                             ev);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_buf b;
    kz_buf_init(&b);
    kz_err err = {0};
    size_t n = 0;
    int r = kz_stix_export_event(st, id, NULL, &b, &n, &err);
    if (r == KZ_E_NOTFOUND) {
        cli_error("no event with id '%s'", id);
        rc = CLI_FAIL;
    } else if (r != 0) {
        cli_report("cannot export", &err);
        rc = CLI_FAIL;
    }
    const char *out = cli_get(&args, "out", NULL);
    if (rc == CLI_OK && out) {
        char *tmp = NULL;
        FILE *f = NULL;
        if (asprintf(&tmp, "%s.tmp", out) < 0 || !(f = fopen(tmp, "w")) ||
            fwrite(b.p, 1, b.len, f) != b.len || fputc('\n', f) == EOF) {
            cli_error("cannot write '%s': %s", tmp ? tmp : out, strerror(errno));
            rc = CLI_FAIL;
        }
        if (f && fclose(f) != 0 && rc == CLI_OK) {
            cli_error("cannot write '%s': %s", tmp, strerror(errno));
            rc = CLI_FAIL;
        }
        if (rc == CLI_OK && rename(tmp, out) != 0) {
            cli_error("cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
            rc = CLI_FAIL;
        }
        if (rc != CLI_OK && tmp)
            remove(tmp);
        if (rc == CLI_OK)
            fprintf(stderr, "exported %zu STIX object%s to %s\n", n, n == 1 ? "" : "s", out);
        free(tmp);
    } else if (rc == CLI_OK) {
        fwrite(b.p, 1, b.len, stdout);
        putchar('\n');
    }
    kz_buf_free(&b);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_stix(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"import", stix_import, "import a STIX 2.1 bundle (all or nothing)"},
        {"export", stix_export, "write an event as a STIX 2.1 bundle"},
        {0},
    };
    return cli_dispatch("stix", "STIX 2.1 bundles in and out.", subs, argc, argv);
}
