/* cmd_event.c — `kizuna event add|list|show|publish`. Events created here
 * are owned by the org named with --org and attributed to one of its
 * publishers; fields go through the same parser as POST /api/v1/events.
 */
#include "cli.h"

#include <string.h>

#include "formats/formats.h"

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the creator organisation (name or id)"},
    {"title", CLI_VALUE, "TITLE", "event title"},
    {"description", CLI_VALUE, "TEXT", "longer description"},
    {"tlp", CLI_VALUE, "TLP", "clear, green, amber (default), amber+strict or red"},
    {"pap", CLI_VALUE, "PAP", "clear, green, amber (default) or red"},
    {"distribution", CLI_VALUE, "DIST", "org, community (default), connected or all"},
    {"community", CLI_VALUE, "NAME", "limit distribution 'community' to this community"},
    {"threat-level", CLI_VALUE, "N", "1 high, 2 medium, 3 low, 4 undefined (default)"},
    {"tag", CLI_MULTI, "TAG", "a tag (free text or namespace:predicate=\"value\")"},
    {"publish", CLI_FLAG, NULL, "publish at once"},
    {0},
};
static const cli_spec add_spec = {
    "event add", "--org ORG --title TITLE [options]",
    "Adds an event (without indicators: see 'kizuna indicator add') and prints its id.",
    add_opts, 0, 0,
};

static int event_add(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&add_spec, argc, argv, &args, &rc))
        return rc;
    const char *org = cli_need(&args, "org"), *title = NULL;
    uint64_t threat = 4;
    if (!org || !(title = cli_need(&args, "title")) ||
        cli_get_uint(&args, "threat-level", 4, 1, 4, &threat) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org o;
    kz_community c;
    kz_err err = {0};
    const char *community = cli_get(&args, "community", NULL);
    rc = cli_org_resolve(st, org, &a, &o);
    if (rc == CLI_OK && community) {
        int r = kz_uuid_valid(community) ? kz_store_community_get(st, community, &a, &c, &err)
                                         : kz_store_community_find(st, community, &a, &c, &err);
        if (r == KZ_E_NOTFOUND) {
            cli_error("no community '%s' (see: kizuna community list)", community);
            rc = CLI_FAIL;
        } else if (r != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        }
    }
    json_t *j = json_object();
    json_object_set_new(j, "title", json_string(title));
    json_object_set_new(j, "tlp", json_string(cli_get(&args, "tlp", "amber")));
    json_object_set_new(j, "pap", json_string(cli_get(&args, "pap", "amber")));
    json_object_set_new(j, "distribution",
                        json_string(cli_get(&args, "distribution", "community")));
    json_object_set_new(j, "threat_level", json_integer((json_int_t)threat));
    if (cli_get(&args, "description", NULL))
        json_object_set_new(j, "description", json_string(cli_get(&args, "description", NULL)));
    if (community && rc == CLI_OK)
        json_object_set_new(j, "community_id", json_string(c.id));
    const kz_strlist *tags = cli_multi(&args, "tag");
    json_t *jt = json_array();
    for (size_t i = 0; i < tags->n; i++)
        json_array_append_new(jt, json_string(tags->v[i]));
    json_object_set_new(j, "tags", jt);

    kz_event ev = {0};
    kz_errlist errs = {0};
    if (rc == CLI_OK && kz_json_event_parse(j, &a, &ev, &errs, &err) != 0) {
        cli_report("event", &err);
        rc = CLI_FAIL;
    }
    json_decref(j);
    if (rc == CLI_OK)
        rc = cli_org_author(st, o.id, &a, ev.creator_user);
    if (rc == CLI_OK) {
        kz_uuid_v4(ev.id);
        memcpy(ev.creator_org, o.id, sizeof ev.creator_org);
        ev.created = ev.modified = kz_time_now();
        if (kz_store_begin(st, &err) != 0 || kz_store_event_put(st, &ev, &err) != 0 ||
            (cli_flag(&args, "publish") &&
             kz_store_event_publish(st, ev.id, kz_time_now(), &err) != 0) ||
            kz_store_commit(st, &err) != 0) {
            kz_store_rollback(st);
            cli_report("cannot store the event", &err);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK)
        printf("%s\n", ev.id);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt list_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "only events created by this organisation"},
    {"limit", CLI_VALUE, "N", "at most N events, newest first (default 100)"},
    CLI_OPT_JSON,
    {0},
};
static const cli_spec list_spec = {
    "event list", "[--org ORG] [--limit N] [--json]",
    "Lists events, most recently modified first. The CLI is the node operator: it sees all.",
    list_opts, 0, 0,
};

static const char *org_name(const kz_org *orgs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(orgs[i].id, id) == 0)
            return orgs[i].name;
    return id;
}

static int event_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    uint64_t limit;
    if (cli_get_uint(&args, "limit", 100, 1, 10000000, &limit) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a, page;
    kz_arena_init(&a);
    kz_arena_init(&page);
    kz_err err = {0};
    kz_org o, *orgs = NULL;
    size_t n_orgs = 0;
    const char *org = cli_get(&args, "org", NULL);
    if (org)
        rc = cli_org_resolve(st, org, &a, &o);
    if (rc == CLI_OK && kz_store_org_list(st, &a, &orgs, &n_orgs, &err) != 0) {
        cli_report("cannot list organisations", &err);
        rc = CLI_FAIL;
    }
    bool json = cli_flag(&args, "json");
    json_t *arr = json ? json_array() : NULL;
    if (rc == CLI_OK && !json)
        printf("%-36s  %-12s  %-9s  %-3s  %-24s  %s\n", "ID", "TLP", "DIST", "PUB", "ORG",
               "TITLE");
    kz_event_filter f = {.creator_org = org ? o.id : NULL, .published = -1, .after_id = ""};
    kz_uuid after_id = "";
    size_t shown = 0;
    while (rc == CLI_OK && shown < limit) {
        kz_arena_free(&page);
        kz_arena_init(&page);
        kz_event *evs = NULL;
        size_t n = 0;
        f.limit = limit - shown < 500 ? limit - shown : 500;
        if (kz_store_event_list(st, &f, &page, &evs, &n, &err) != 0) {
            cli_report("cannot list events", &err);
            rc = CLI_FAIL;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            const kz_event *e = &evs[i];
            if (json)
                json_array_append_new(arr, kz_json_event(e, false));
            else
                printf("%-36s  %-12s  %-9s  %-3s  %-24.24s  %s\n", e->id, kz_tlp_name(e->tlp),
                       kz_distribution_name(e->distribution), e->published ? "yes" : "no",
                       org_name(orgs, n_orgs, e->creator_org), e->title);
        }
        shown += n;
        if (n < f.limit)
            break;
        f.after_time = evs[n - 1].modified;
        memcpy(after_id, evs[n - 1].id, sizeof after_id);
        f.after_id = after_id;
    }
    if (json) {
        if (rc == CLI_OK)
            rc = cli_print_json(stdout, arr, true);
        else
            json_decref(arr);
    }
    kz_arena_free(&page);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt show_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec show_spec = {"event show", "ID",
                                   "Prints an event with its indicators as native JSON.",
                                   show_opts, 1, 1};

/* Loads the event named by the positional argument. */
static int load_event(const cli_spec *spec, kz_store *st, const char *arg, bool with_ind,
                      kz_arena *a, kz_event *ev)
{
    kz_uuid id;
    if (!kz_uuid_normalize(arg, id))
        return cli_usage_error(spec, "'%s' is not an event id (a UUID)", arg);
    kz_err err = {0};
    int r = kz_store_event_get(st, id, with_ind, a, ev, &err);
    if (r == KZ_E_NOTFOUND) {
        cli_error("no event with id '%s'", id);
        return CLI_FAIL;
    }
    if (r != 0) {
        cli_report(NULL, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int event_show(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&show_spec, argc, argv, &args, &rc))
        return rc;
    if (!kz_uuid_valid(args.pos.v[0])) {
        rc = cli_usage_error(&show_spec, "'%s' is not an event id (a UUID)", args.pos.v[0]);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) == CLI_OK) {
        kz_arena a;
        kz_arena_init(&a);
        kz_event ev;
        rc = load_event(&show_spec, st, args.pos.v[0], true, &a, &ev);
        if (rc == CLI_OK)
            rc = cli_print_json(stdout, kz_json_event(&ev, true), true);
        kz_arena_free(&a);
        kz_store_close(st);
    }
    cli_args_free(&args);
    return rc;
}

static const cli_opt publish_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec publish_spec = {
    "event publish", "ID",
    "Publishes an event: it becomes visible beyond its creator org, as its TLP and\n"
    "distribution allow, and eligible for synchronisation.",
    publish_opts, 1, 1,
};

static int event_publish(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&publish_spec, argc, argv, &args, &rc))
        return rc;
    if (!kz_uuid_valid(args.pos.v[0])) {
        rc = cli_usage_error(&publish_spec, "'%s' is not an event id (a UUID)", args.pos.v[0]);
        cli_args_free(&args);
        return rc;
    }
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) == CLI_OK) {
        kz_arena a;
        kz_arena_init(&a);
        kz_event ev;
        kz_err err = {0};
        rc = load_event(&publish_spec, st, args.pos.v[0], false, &a, &ev);
        if (rc == CLI_OK && ev.published) {
            cli_error("event '%s' is already published", ev.id);
            rc = CLI_FAIL;
        } else if (rc == CLI_OK && kz_store_event_publish(st, ev.id, kz_time_now(), &err) != 0) {
            cli_report("cannot publish", &err);
            rc = CLI_FAIL;
        } else if (rc == CLI_OK) {
            printf("published event %s\n", ev.id);
        }
        kz_arena_free(&a);
        kz_store_close(st);
    }
    cli_args_free(&args);
    return rc;
}

int cli_cmd_event(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", event_add, "add an event"},
        {"list", event_list, "list events"},
        {"show", event_show, "print an event with its indicators (JSON)"},
        {"publish", event_publish, "publish an event"},
        {0},
    };
    return cli_dispatch("event", "Events: a title, TLP, PAP, distribution and indicators.", subs,
                        argc, argv);
}
