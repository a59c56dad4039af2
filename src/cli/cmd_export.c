/* cmd_export.c — `kizuna export`: the node's events as native JSON Lines.
 *
 * One line per event (its fields, no indicators), then one line per
 * indicator of that event (with "event_id"). Line-oriented so that `kizuna
 * import` can stream it back with bounded memory, and so that grep, split
 * and diff work on it. Written to FILE.tmp and renamed, so an interrupted
 * export never leaves a truncated file that looks complete.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"event", CLI_MULTI, "ID", "export only this event (default: all events)"},
    {"out", CLI_VALUE, "FILE", "write to FILE instead of stdout"},
    {"format", CLI_VALUE, "FORMAT",
     "native (default), or misp, misp-feed, csv, text, zeek, suricata-dataset,"
     " suricata-iprep: see 'kizuna export --format csv --help'"},
    {0},
};
static const cli_spec spec = {
    "export", "[--event ID]... [--out FILE]",
    "Writes events as JSON Lines: one line per event, followed by one line per indicator\n"
    "of that event. 'kizuna import' reads it back. The CLI acts as the node operator:\n"
    "everything is exported, whatever its TLP.",
    opts, 0, 0,
};

static int put_line(FILE *f, json_t *j)
{
    if (!j)
        return KZ_E_NOMEM;
    int rc = json_dumpf(j, f, JSON_COMPACT);
    json_decref(j);
    if (rc != 0 || fputc('\n', f) == EOF)
        return KZ_E_IO;
    return 0;
}

static int export_event(kz_store *st, const char *id, FILE *f, size_t *n_ind)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_err err = {0};
    int rc = kz_store_event_get(st, id, true, &a, &ev, &err);
    if (rc == KZ_E_NOTFOUND) {
        cli_error("no event with id '%s'", id);
        kz_arena_free(&a);
        return CLI_FAIL;
    }
    if (rc != 0) {
        cli_report(NULL, &err);
        kz_arena_free(&a);
        return CLI_FAIL;
    }
    rc = put_line(f, kz_json_event(&ev, false));
    for (size_t i = 0; rc == 0 && i < ev.n_indicators; i++) {
        json_t *j = kz_json_indicator(&ev.indicators[i]);
        if (j && !json_object_get(j, "event_id"))
            json_object_set_new(j, "event_id", json_string(ev.id));
        rc = put_line(f, j);
    }
    *n_ind += ev.n_indicators;
    kz_arena_free(&a);
    if (rc != 0) {
        cli_error("cannot write the export: %s", rc == KZ_E_NOMEM ? "out of memory"
                                                                  : strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Every event, newest first, a page at a time. */
static int export_all(kz_store *st, FILE *f, size_t *n_ev, size_t *n_ind)
{
    kz_event_filter flt = {.published = -1, .after_id = "", .limit = 500};
    kz_uuid after = "";
    kz_err err = {0};
    for (;;) {
        kz_arena page;
        kz_arena_init(&page);
        kz_event *evs = NULL;
        size_t n = 0;
        if (kz_store_event_list(st, &flt, &page, &evs, &n, &err) != 0) {
            cli_report("cannot list events", &err);
            kz_arena_free(&page);
            return CLI_FAIL;
        }
        for (size_t i = 0; i < n; i++) {
            if (export_event(st, evs[i].id, f, n_ind) != CLI_OK) {
                kz_arena_free(&page);
                return CLI_FAIL;
            }
            (*n_ev)++;
        }
        bool more = n == flt.limit;
        if (more) {
            flt.after_time = evs[n - 1].modified;
            memcpy(after, evs[n - 1].id, sizeof after);
            flt.after_id = after;
        }
        kz_arena_free(&page);
        if (!more)
            return CLI_OK;
    }
}

/* MISP and sensor formats (cmd_misp.c): --format misp, misp-feed, csv, text,
 * zeek, suricata-dataset, suricata-iprep. */
bool cli_export_is_other_format(int argc, char **argv);
int cli_export_other(int argc, char **argv);

int cli_cmd_export(int argc, char **argv)
{
    if (cli_export_is_other_format(argc, argv))
        return cli_export_other(argc, argv);
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    const kz_strlist *ids = cli_multi(&args, "event");
    kz_uuid *norm = ids->n ? calloc(ids->n, sizeof *norm) : NULL;
    for (size_t i = 0; i < ids->n; i++)
        if (!norm || !kz_uuid_normalize(ids->v[i], norm[i])) {
            rc = norm ? cli_usage_error(&spec, "option '--event': '%s' is not an event id (a UUID)",
                                        ids->v[i])
                      : CLI_FAIL;
            free(norm);
            cli_args_free(&args);
            return rc;
        }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        free(norm);
        cli_args_free(&args);
        return rc;
    }
    const char *out = cli_get(&args, "out", NULL);
    char *tmp = NULL;
    FILE *f = stdout;
    if (out) {
        if (asprintf(&tmp, "%s.tmp", out) < 0 || !(f = fopen(tmp, "w"))) {
            cli_error("cannot write '%s': %s", tmp ? tmp : out, strerror(errno));
            free(tmp);
            free(norm);
            kz_store_close(st);
            cli_args_free(&args);
            return CLI_FAIL;
        }
    }
    size_t n_ev = 0, n_ind = 0;
    /* Each event is read in one snapshot (the store's); a write transaction
     * here would block a serving node for the whole export. */
    if (ids->n)
        for (size_t i = 0; i < ids->n && rc == CLI_OK; i++, n_ev++)
            rc = export_event(st, norm[i], f, &n_ind);
    else
        rc = export_all(st, f, &n_ev, &n_ind);
    if (out) {
        if (fclose(f) != 0 && rc == CLI_OK) {
            cli_error("cannot write '%s': %s", tmp, strerror(errno));
            rc = CLI_FAIL;
        }
        if (rc == CLI_OK && rename(tmp, out) != 0) {
            cli_error("cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
            rc = CLI_FAIL;
        }
        if (rc != CLI_OK)
            remove(tmp);
        else
            fprintf(stderr, "exported %zu event%s and %zu indicator%s to %s\n", n_ev,
                    n_ev == 1 ? "" : "s", n_ind, n_ind == 1 ? "" : "s", out);
    } else if (fflush(stdout) != 0 && rc == CLI_OK) {
        cli_error("cannot write to stdout: %s", strerror(errno));
        rc = CLI_FAIL;
    }
    free(tmp);
    free(norm);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}
