/* cmd_indicator.c — `kizuna indicator add`: values pasted by an analyst,
 * refanged and normalised through the same parser as the API. All or
 * nothing: one bad value stores none, and every bad value is reported so the
 * whole list can be fixed in one go.
 */
#include "cli.h"

#include <string.h>

#include "formats/formats.h"

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"event", CLI_VALUE, "ID", "the event to add to"},
    {"type", CLI_VALUE, "TYPE", "ipv4, ipv6, cidr, domain, url, sha256, ... or a MISP type (ip-dst)"},
    {"comment", CLI_VALUE, "TEXT", "a comment on every value"},
    {"tag", CLI_MULTI, "TAG", "a tag on every value"},
    {"no-ids", CLI_FLAG, NULL, "not for detection (to_ids false)"},
    {0},
};
static const cli_spec add_spec = {
    "indicator add", "--event ID --type TYPE VALUE... [options]",
    "Adds one indicator per VALUE (defanged values like hxxp://evil[.]com are accepted\n"
    "and normalised). If any value is invalid nothing is stored and each bad one is named.",
    add_opts, 1, 100000,
};

static int parse_values(const cli_args *args, const char *type, kz_arena *a, kz_indicator *inds)
{
    const char *comment = cli_get(args, "comment", NULL);
    const kz_strlist *tags = cli_multi(args, "tag");
    size_t bad = 0;
    for (size_t i = 0; i < args->pos.n; i++) {
        const char *v = args->pos.v[i];
        json_t *j = json_object();
        json_object_set_new(j, "type", json_string(type));
        json_object_set_new(j, "value", json_string(v));
        json_object_set_new(j, "to_ids", json_boolean(!cli_flag(args, "no-ids")));
        if (comment)
            json_object_set_new(j, "comment", json_string(comment));
        if (tags->n) {
            json_t *jt = json_array();
            for (size_t k = 0; k < tags->n; k++)
                json_array_append_new(jt, json_string(tags->v[k]));
            json_object_set_new(j, "tags", jt);
        }
        char path[32];
        snprintf(path, sizeof path, "values[%zu]", i);
        kz_err err = {0};
        if (!json_string_value(json_object_get(j, "value"))) {
            cli_error("value %zu is not valid UTF-8", i + 1);
            bad++;
        } else if (kz_json_indicator_parse(j, path, a, &inds[i], &err) != 0) {
            /* Name the value even when the message does not quote it. */
            const char *msg = cli_err_msg(err.field, err.msg);
            if (strstr(msg, v))
                cli_error("value %zu: %s", i + 1, msg);
            else
                cli_error("value %zu '%s': %s", i + 1, v, msg);
            bad++;
        }
        json_decref(j);
    }
    if (bad)
        cli_error("%zu of %zu value%s invalid; nothing stored", bad, args->pos.n,
                  args->pos.n == 1 ? " is" : "s are");
    return bad ? CLI_FAIL : CLI_OK;
}

static int indicator_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *event = cli_need(&args, "event"), *type = NULL;
    kz_uuid eid;
    if (!event || !(type = cli_need(&args, "type"))) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (!kz_uuid_normalize(event, eid) || kz_ioc_type_parse(type) < 0) {
        rc = kz_uuid_valid(event)
                 ? cli_usage_error(&add_spec, "option '--type': unknown indicator type '%s'", type)
                 : cli_usage_error(&add_spec, "option '--event': '%s' is not an event id (a UUID)",
                                   event);
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
    kz_err err = {0};
    kz_event ev;
    int r = kz_store_event_get(st, eid, false, &a, &ev, &err);
    if (r == KZ_E_NOTFOUND) {
        cli_error("no event with id '%s'", eid);
        rc = CLI_FAIL;
    } else if (r != 0) {
        cli_report(NULL, &err);
        rc = CLI_FAIL;
    }
    size_t n = args.pos.n;
    kz_indicator *inds = kz_arena_alloc(&a, n * sizeof *inds);
    if (rc == CLI_OK && !inds) {
        cli_error("out of memory");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = parse_values(&args, type, &a, inds);
    kz_time now = kz_time_now();
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        kz_uuid_v7(inds[i].id);
        memcpy(inds[i].event_id, ev.id, sizeof inds[i].event_id);
        inds[i].created = inds[i].modified = now;
        if (kz_acl_check_indicator_not_looser(&ev, &inds[i], &err) != 0) {
            cli_report("indicator", &err);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK && kz_store_indicators_add(st, ev.id, inds, n, &err) != 0) {
        cli_report("cannot store the indicators", &err);
        rc = CLI_FAIL;
    }
    for (size_t i = 0; rc == CLI_OK && i < n; i++)
        printf("%s  %-8s  %s\n", inds[i].id, kz_ioc_type_name(inds[i].type), inds[i].value);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

int cli_cmd_indicator(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", indicator_add, "add indicators to an event"},
        {0},
    };
    return cli_dispatch("indicator", "Indicators: normalised observables inside an event.", subs,
                        argc, argv);
}
