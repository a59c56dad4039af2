/* cmd_import.c — `kizuna import`: events and indicators from the native
 * format, stored whole or not at all.
 *
 * The input is JSON Lines as `kizuna export` writes it (an event line, then
 * its indicator lines), read as a stream: each line is parsed on its own and
 * indicators go to the store in batches of 10,000, so memory stays bounded
 * whatever the file size. A single JSON document (an event with inline
 * "indicators", or {"events":[...]}) is accepted too, up to 64 MiB.
 *
 * This file reads and parses; import_write.c stores, in its own thread (see
 * import.h). Everything happens in one transaction. Once any line is bad
 * nothing more is written, but reading goes on so that every bad line is
 * reported in one run, as FILE:LINE: field: message.
 */
#include "import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/formats.h"
#include "http/http.h" /* match engine: kz_warninglists_install */

#define MAX_LINE ((size_t)64 << 20)
#define MAX_DOC ((size_t)64 << 20)

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "creator of every event (default: its creator_org, if on this node)"},
    {"warninglists", CLI_VALUE, "DIR",
     "MISP warninglists folder (lists/<name>/list.json): indicators on one are flagged"},
    {0},
};
static const cli_spec spec = {
    "import", "[--org ORG] FILE|-",
    "Imports events and indicators in the native format: JSON Lines as written by\n"
    "'kizuna export' (an event line, then one line per indicator of it), or one JSON\n"
    "document: an event with inline \"indicators\", or {\"events\":[...]}.\n"
    "All or nothing: if any line is bad nothing is stored, and every bad line is\n"
    "reported as FILE:LINE: field: message. Events keep the ids in the file; an id\n"
    "already on the node is an error.",
    opts, 1, 1,
};

/* ---- errors --------------------------------------------------------------- */

void imp_report(importer *im, long line, const char *field, const char *msg)
{
    atomic_store(&im->failed, true);
    pthread_mutex_lock(&im->report_mu);
    if (!atomic_load(&im->stop)) {
        if (field && field[0] == '.')
            field++;
        msg = cli_err_msg(field, msg);
        char where[32] = "";
        if (line > 0)
            snprintf(where, sizeof where, ":%ld", line);
        fprintf(stderr, "%s%s: %s%s%s\n", im->name, where, field && *field ? field : "",
                field && *field ? ": " : "", msg);
        if (++im->n_errors >= IMP_MAX_ERRORS) {
            fprintf(stderr, "%s: too many errors, stopping after %d\n", im->name,
                    IMP_MAX_ERRORS);
            atomic_store(&im->stop, true);
        }
    }
    pthread_mutex_unlock(&im->report_mu);
}

void imp_report_err(importer *im, long line, const char *prefix, const kz_err *err)
{
    char field[256];
    snprintf(field, sizeof field, "%s%s%s", prefix, *prefix && err->field[0] ? "." : "",
             err->field);
    imp_report(im, line, field, err->msg[0] ? err->msg : kz_err_name(err->code));
}

static void reportf(importer *im, long line, const char *prefix, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reportf(importer *im, long line, const char *prefix, const char *field,
                    const char *fmt, ...)
{
    kz_err err = {.code = KZ_E_INVALID};
    snprintf(err.field, sizeof err.field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    imp_report_err(im, line, prefix, &err);
}

static void out_of_memory(importer *im, long line)
{
    reportf(im, line, "", "", "out of memory");
    atomic_store(&im->stop, true);
}

/* ---- indicators ----------------------------------------------------------- */

/* Hands the batch being filled to the writer (or drops it after a failure:
 * it would not be written anyway). */
static void send_batch(importer *im)
{
    imp_unit *b = im->batch;
    im->batch = NULL;
    if (b && b->n && !atomic_load(&im->failed))
        imp_queue_put(&im->q, b);
    else
        imp_unit_free(b);
}

/* One indicator object, from its own line or an event's "indicators". */
static void add_indicator(importer *im, long line, json_t *j, const char *path, bool own_line)
{
    if (!im->have_event) {
        reportf(im, line, path, "", "indicator before any event line");
        return;
    }
    bool keep = im->event_ok && !atomic_load(&im->failed);
    if (keep && !im->batch && !(im->batch = imp_unit_new(IMP_BATCH_UNIT))) {
        out_of_memory(im, line);
        return;
    }
    if (!keep && ++im->n_scratch >= IMP_BATCH) { /* bounds memory after an error */
        kz_arena_free(&im->scratch);
        kz_arena_init(&im->scratch);
        im->n_scratch = 0;
    }
    imp_unit *b = im->batch;
    kz_indicator tmp, *ind = keep ? &b->inds[b->n] : &tmp;
    kz_err err = {0};
    /* The parser reads id, event_id, created and modified as well; its
     * error fields carry the path already. */
    if (kz_json_indicator_parse(j, path, keep ? &b->arena : &im->scratch, ind, &err) != 0) {
        imp_report_err(im, line, "", &err);
        return;
    }
    if (ind->event_id[0] && strcmp(ind->event_id, im->file_event_id) != 0) {
        reportf(im, line, path, "event_id", "'%s' is not the event %s ('%s')", ind->event_id,
                own_line ? "of the preceding event line" : "it is inside",
                im->file_event_id[0] ? im->file_event_id : "(no id)");
        return;
    }
    if (kz_acl_check_indicator_not_looser(&im->acl_ev, ind, &err) != 0) {
        imp_report_err(im, line, path, &err);
        return;
    }
    im->n_parsed++;
    if (!keep)
        return;
    if (!ind->id[0])
        kz_uuid7_next(&im->ids, ind->id);
    memcpy(ind->event_id, im->event_id, sizeof ind->event_id);
    if (!ind->created)
        ind->created = im->now;
    if (!ind->modified)
        ind->modified = ind->created;
    if (b->n++ == 0)
        b->line = line;
    if (b->n == IMP_BATCH)
        send_batch(im);
}

/* ---- events --------------------------------------------------------------- */

/* Removes key from j; the value is returned (a new reference) or NULL. */
static json_t *take(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (!v)
        return NULL;
    json_incref(v);
    json_object_del(j, key);
    return v;
}

/* Parses an event and sends it to the writer; false if it is bad. */
static bool parse_event(importer *im, long line, json_t *j, const char *path)
{
    /* Even for a bad event line, so that its indicator lines still match. */
    json_t *jid = json_object_get(j, "id");
    if (!json_is_string(jid) || !kz_uuid_normalize(json_string_value(jid), im->file_event_id))
        im->file_event_id[0] = '\0';
    imp_unit *u = imp_unit_new(IMP_EVENT);
    if (!u) {
        out_of_memory(im, line);
        return false;
    }
    u->line = line;
    snprintf(u->path, sizeof u->path, "%s", path);
    kz_event *ev = &u->ev;
    kz_errlist errs = {0};
    kz_err err = {0};
    if (kz_json_event_parse(j, &u->arena, ev, &errs, &err) != 0) {
        for (size_t i = 0; i < errs.n; i++)
            imp_report_err(im, line, path, &errs.v[i]);
        if (errs.n == 0)
            imp_report_err(im, line, path, &err);
        imp_unit_free(u);
        return false;
    }
    /* The creator: --org, else the file's creator_org (the writer checks
     * that this node has it). */
    if (im->org_override)
        snprintf(ev->creator_org, sizeof ev->creator_org, "%s", im->org_override);
    if (!ev->creator_org[0]) {
        reportf(im, line, path, "creator_org", "missing (name the creator with --org ORG)");
        imp_unit_free(u);
        return false;
    }
    if (!ev->id[0])
        kz_uuid_v4(ev->id);
    if (!ev->created)
        ev->created = im->now;
    if (!ev->modified)
        ev->modified = ev->created;
    if (!ev->published)
        ev->published_at = 0;
    else if (!ev->published_at)
        ev->published_at = im->now;
    memcpy(im->event_id, ev->id, sizeof im->event_id);
    im->acl_ev.tlp = ev->tlp;
    im->acl_ev.distribution = ev->distribution;
    if (atomic_load(&im->failed)) {
        imp_unit_free(u);
        return false;
    }
    imp_queue_put(&im->q, u);
    return true;
}

static void add_event(importer *im, long line, json_t *j, const char *path)
{
    send_batch(im); /* the previous event's last indicators */
    im->have_event = true;
    im->event_ok = false;
    if (!json_is_object(j)) {
        im->file_event_id[0] = '\0';
        reportf(im, line, path, "", "an event must be a JSON object");
        return;
    }
    /* Inline indicators are streamed like indicator lines rather than
     * parsed all at once by the event parser. */
    json_t *inds = take(j, "indicators");
    im->event_ok = parse_event(im, line, j, path);
    if (inds && !json_is_array(inds)) {
        reportf(im, line, path, "indicators", "must be an array");
    } else if (inds) {
        size_t i;
        json_t *v;
        json_array_foreach(inds, i, v)
        {
            char p[160];
            snprintf(p, sizeof p, "%s%sindicators[%zu]", path, *path ? "." : "", i);
            add_indicator(im, line, v, p, false);
            if (atomic_load(&im->stop))
                break;
        }
    }
    json_decref(inds);
}

/* One line of JSON Lines, or the root of a single document (line 0). */
static void add_object(importer *im, long line, json_t *j)
{
    if (!json_is_object(j)) {
        reportf(im, line, "", "", "expected a JSON object (an event or an indicator)");
        return;
    }
    bool titled = json_object_get(j, "title") != NULL;
    json_t *evs = titled ? NULL : json_object_get(j, "events");
    if (!titled && (json_object_get(j, "value") || json_object_get(j, "type"))) {
        add_indicator(im, line, j, "", true);
    } else if (evs) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            if (strcmp(key, "events") != 0)
                reportf(im, line, "", key, "unknown field (expected only \"events\")");
        }
        if (!json_is_array(evs)) {
            reportf(im, line, "", "events", "must be an array");
            return;
        }
        size_t i;
        json_array_foreach(evs, i, v)
        {
            char p[32];
            snprintf(p, sizeof p, "events[%zu]", i);
            add_event(im, line, v, p);
            if (atomic_load(&im->stop))
                break;
        }
    } else {
        add_event(im, line, j, "");
    }
}

/* ---- reading -------------------------------------------------------------- */

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

static void read_error(importer *im, const cli_lines *r, int rc)
{
    if (rc == KZ_E_TOOLARGE)
        reportf(im, r->lineno + 1, "", "", "line longer than %zu MiB", MAX_LINE >> 20);
    else if (rc == KZ_E_NOMEM)
        reportf(im, r->lineno + 1, "", "", "out of memory");
    else
        reportf(im, r->lineno + 1, "", "", "read error: %s", strerror(errno));
    atomic_store(&im->stop, true);
}

static void one_line(importer *im, long lineno, char *line, size_t len)
{
    if (len && line[len - 1] == '\r')
        len--;
    if (blank(line, len))
        return;
    json_t *j = NULL;
    kz_err err = {0};
    if (kz_json_load(line, len, &j, &err) != 0) {
        imp_report_err(im, lineno, "", &err);
        return;
    }
    add_object(im, lineno, j);
    json_decref(j);
}

static void read_all(importer *im, FILE *f, int64_t size)
{
    cli_lines r;
    cli_lines_init(&r, f, MAX_LINE);
    cli_lines_hold(&r);
    cli_progress prog;
    cli_progress_init(&prog, size, "indicators");
    char *line;
    size_t len;
    int rc;
    /* The first non-blank line decides: a JSON value on its own means JSON
     * Lines, anything else may be one document spread over lines. */
    while ((rc = cli_lines_next(&r, &line, &len)) == 1 && blank(line, len))
        ;
    if (rc == 1) {
        json_t *j = NULL;
        kz_err err = {0};
        if (kz_json_load(line, len, &j, &err) == 0) {
            add_object(im, r.lineno, j);
            json_decref(j);
        } else {
            bool whole = false;
            cli_lines_rewind(&r);
            rc = cli_lines_hold_all(&r, MAX_DOC, &whole);
            if (rc == 0 && whole && kz_json_load(r.buf, r.end, &j, &err) == 0) {
                add_object(im, 0, j);
                json_decref(j);
                r.start = r.end; /* all of it used */
            } else if (rc == 0 && !whole) {
                fprintf(stderr, "%s: first line is not JSON; reading as JSON Lines (a single "
                                "JSON document may be at most %zu MiB)\n",
                        im->name, MAX_DOC >> 20);
            }
        }
    }
    cli_lines_release(&r);
    long n = 0;
    while (!atomic_load(&im->stop) && rc >= 0 && (rc = cli_lines_next(&r, &line, &len)) == 1) {
        one_line(im, r.lineno, line, len);
        if ((++n & 1023) == 0)
            cli_progress_update(&prog, r.consumed, im->n_parsed);
    }
    if (rc < 0)
        read_error(im, &r, rc);
    send_batch(im);
    cli_progress_done(&prog);
    cli_lines_free(&r);
}

/* Reads f into the open transaction, the writer thread alongside. */
static int run(importer *im, FILE *f)
{
    struct stat sb;
    int64_t size = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? sb.st_size : 0;
    imp_unit *end = imp_unit_new(IMP_END);
    pthread_t writer;
    if (!end || pthread_create(&writer, NULL, imp_writer, im) != 0) {
        imp_unit_free(end);
        cli_error("cannot start the import's writer thread");
        return CLI_FAIL;
    }
    read_all(im, f, size);
    imp_queue_put(&im->q, end);
    pthread_join(writer, NULL);
    return atomic_load(&im->failed) ? CLI_FAIL : CLI_OK;
}

int cli_cmd_import(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    const char *file = args.pos.v[0];
    bool from_stdin = strcmp(file, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(file, "rb");
    if (!f) {
        cli_error("cannot open '%s': %s", file, strerror(errno));
        cli_args_free(&args);
        return CLI_FAIL;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        if (!from_stdin)
            fclose(f);
        cli_args_free(&args);
        return rc;
    }
    importer *im = calloc(1, sizeof *im);
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    kz_err err = {0};
    const char *org_arg = cli_get(&args, "org", NULL);
    if (!im || imp_queue_init(&im->q) != 0) {
        cli_error("out of memory");
        free(im);
        im = NULL;
        rc = CLI_FAIL;
    } else {
        im->st = st;
        im->name = from_stdin ? "<stdin>" : file;
        im->now = kz_time_now();
        pthread_mutex_init(&im->report_mu, NULL);
        kz_arena_init(&im->scratch);
        if (org_arg && (rc = cli_org_resolve(st, org_arg, &a, &org)) == CLI_OK)
            im->org_override = org.id;
    }
    const char *wl_dir = cli_get(&args, "warninglists", NULL);
    if (rc == CLI_OK && wl_dir && kz_warninglists_install(wl_dir, NULL, &err) != 0) {
        cli_report("cannot load the warninglists", &err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        kz_store_bulk_mode(st, true);
        if (kz_store_begin(st, &err) != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        } else {
            rc = run(im, f);
            if (rc == CLI_OK && kz_store_commit(st, &err) != 0) {
                cli_report("cannot commit the import", &err);
                rc = CLI_FAIL;
            }
            if (rc != CLI_OK)
                kz_store_rollback(st);
        }
        kz_store_bulk_mode(st, false);
        if (rc == CLI_OK)
            printf("imported %zu event%s and %zu indicator%s from %s\n", im->n_events,
                   im->n_events == 1 ? "" : "s", im->n_indicators,
                   im->n_indicators == 1 ? "" : "s", im->name);
        else if (im->n_errors)
            cli_error("import failed: %zu error%s%s; nothing stored", im->n_errors,
                      im->n_errors == 1 ? "" : "s", atomic_load(&im->stop) ? " (stopped early)" : "");
    }
    if (im) {
        imp_unit_free(im->batch);
        imp_queue_destroy(&im->q);
        pthread_mutex_destroy(&im->report_mu);
        kz_arena_free(&im->scratch);
        free(im->orgs);
        free(im->users);
        free(im);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    if (wl_dir)
        kz_warninglists_uninstall();
    if (!from_stdin)
        fclose(f);
    cli_args_free(&args);
    return rc;
}
