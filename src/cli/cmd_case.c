/* cmd_case.c — `kizuna case add|list|show|transition|invite|accept|decline|
 * task|comment|link`: joint incident cases from the node's own shell. The
 * operator acts for the org named with --org (recorded as that org and its
 * first publisher, like `event add`), and the same case access rules apply
 * as over HTTP: only the lead manages, an invited org answers for itself,
 * participants comment. Input goes through the API's parsers. On a copy of
 * a case homed on another node, a participant's work goes to that node as
 * a signed action, as over HTTP (docs/cases.md, "Across nodes").
 */
#include "cli.h"

#include <string.h>

#include "formats/formats.h"
#include "sync/sync.h"

/* The org acting, as a principal for kz_acl_case_allows. */
static int actor(kz_store *st, const char *org, kz_arena *a, kz_principal *who)
{
    kz_org o;
    memset(who, 0, sizeof *who);
    int rc = cli_org_resolve(st, org, a, &o);
    if (rc == CLI_OK)
        rc = cli_org_author(st, o.id, a, who->user_id);
    memcpy(who->org_id, o.id, sizeof who->org_id);
    who->role = KZ_ROLE_ORG_ADMIN;
    return rc;
}

static int load(kz_store *st, const char *id, kz_arena *a, kz_case *c)
{
    kz_err err = {0};
    kz_uuid norm;
    if (!kz_uuid_normalize(id, norm)) {
        cli_error("'%s' is not a case id", id);
        return CLI_FAIL;
    }
    if (kz_store_case_get(st, norm, a, c, &err) != 0) {
        cli_report(NULL, &err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int allowed(const kz_principal *who, const kz_case *c, kz_case_action action)
{
    const char *why = NULL;
    if (kz_acl_case_allows(who, c, action, &why))
        return CLI_OK;
    cli_error("not allowed for this org: %s", why);
    return CLI_FAIL;
}

/* Opens the store and resolves --org and the case (positional 0). */
typedef struct ctx {
    cli_args args;
    kz_store *st;
    kz_arena a;
    kz_principal who;
    kz_case c;
} ctx;

/* Lead-only work on a copy of a case homed on another node: refused,
 * naming that node. CLI_OK when the case is homed here. */
static int refuse_copy(ctx *x)
{
    if (!kz_sync_case_is_copy(x->st, &x->c))
        return CLI_OK;
    kz_err err = {0};
    kz_sync_case_refuse_copy(x->st, &x->c, &err);
    cli_report(NULL, &err);
    return CLI_FAIL;
}

static int open_ctx(const cli_spec *spec, int argc, char **argv, ctx *x, bool with_case,
                    kz_case_action action, int *rc)
{
    memset(x, 0, sizeof *x);
    if (!cli_parse(spec, argc, argv, &x->args, rc))
        return -1;
    kz_arena_init(&x->a);
    const char *org = cli_need(&x->args, "org");
    if (!org) {
        *rc = CLI_USAGE;
        return -1;
    }
    if ((*rc = cli_store_open(&x->args, false, &x->st, NULL)) != CLI_OK)
        return -1;
    if ((*rc = actor(x->st, org, &x->a, &x->who)) != CLI_OK)
        return -1;
    if (!with_case)
        return 0;
    if ((*rc = load(x->st, x->args.pos.v[0], &x->a, &x->c)) != CLI_OK)
        return -1;
    /* As over HTTP: nobody manages a copy, whoever asks. */
    if (action == KZ_CASE_MANAGE && (*rc = refuse_copy(x)) != CLI_OK)
        return -1;
    return (*rc = allowed(&x->who, &x->c, action)) == CLI_OK ? 0 : -1;
}

/* A write done: into the audit log, as the org acting. */
static void audit(ctx *x, const char *what, const char *type, const char *id, int tlp)
{
    cli_audit(x->st, x->who.org_id, x->who.user_id, what, type, id, tlp);
}

static int close_ctx(ctx *x, int rc)
{
    kz_arena_free(&x->a);
    if (x->st)
        kz_store_close(x->st);
    cli_args_free(&x->args);
    return rc;
}

/* An optional --name goes into the request object j as member name. */
static void opt_member(json_t *j, const cli_args *args, const char *name)
{
    const char *v = cli_get(args, name, NULL);
    if (v)
        json_object_set_new(j, name, json_string(v));
}

/* A --name value that must be an id; what names the kind in the error. */
static int id_opt(const char *name, const char *what, const char *s, kz_uuid out)
{
    if (kz_uuid_normalize(s, out))
        return CLI_OK;
    cli_error("--%s '%s' is not %s", name, s, what);
    return CLI_FAIL;
}

/* Prints the error ("kizuna: what: field: message") and gives the exit code. */
static int fail(const char *what, const kz_err *err)
{
    cli_report(what, err);
    return CLI_FAIL;
}

/* The participant's work on a copy, sent to the case's home node as a
 * signed action (the fields the action does not use already empty). */
static int forward(ctx *x, kz_sync_case_action *a)
{
    kz_err err = {0};
    if (kz_sync_case_action_submit(x->st, &x->who, &x->c, a, &err) != 0)
        return fail("cannot send the action", &err);
    char what[64], msg[400];
    snprintf(what, sizeof what, "case %s (sent)", a->action);
    audit(x, what, "case", x->c.id, a->tlp >= 0 ? a->tlp : (int)x->c.tlp);
    kz_sync_case_sent_message(x->st, &x->c, msg, sizeof msg);
    printf("%s %s: %s\n", a->action, a->id, msg);
    return CLI_OK;
}

/* ---- add ------------------------------------------------------------------------------------ */

static const cli_opt add_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the lead organisation (name or id)"},
    {"title", CLI_VALUE, "TITLE", "case title"},
    {"category", CLI_VALUE, "CAT", "RSIT classification (intrusions, fraud, ...)"},
    {"subtype", CLI_VALUE, "TYPE", "RSIT incident type of the classification"},
    {"severity", CLI_VALUE, "N", "1 critical ... 4 low (default 3)"},
    {"description", CLI_VALUE, "TEXT", "longer description"},
    {"tlp", CLI_VALUE, "TLP", "clear, green, amber (default), amber+strict or red"},
    {"pap", CLI_VALUE, "PAP", "clear, green, amber (default) or red"},
    {"drill", CLI_FLAG, NULL, "an exercise: kept out of real statistics"},
    {0},
};
static const cli_spec add_spec = {
    "case add",
    "--org ORG --title TITLE --category CAT --subtype TYPE [options]",
    "Opens a case led by ORG and prints its id.",
    add_opts,
    0,
    0,
};

static int case_add(int argc, char **argv)
{
    ctx x;
    int rc;
    if (open_ctx(&add_spec, argc, argv, &x, false, KZ_CASE_SUMMARY, &rc) != 0)
        return close_ctx(&x, rc);
    const char *title = cli_need(&x.args, "title"), *cat = NULL, *sub = NULL;
    uint64_t sev = 3;
    if (!title || !(cat = cli_need(&x.args, "category")) || !(sub = cli_need(&x.args, "subtype")) ||
        cli_get_uint(&x.args, "severity", 3, 1, 4, &sev) != 0)
        return close_ctx(&x, CLI_USAGE);
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:b}", "title", title, "category", cat, "subtype", sub,
                  "severity", (json_int_t)sev, "tlp", cli_get(&x.args, "tlp", "amber"), "pap",
                  cli_get(&x.args, "pap", "amber"), "drill", cli_flag(&x.args, "drill"));
    opt_member(j, &x.args, "description");
    kz_case c;
    kz_err err = {0};
    rc = kz_json_case_parse(j, &x.a, &c, &err);
    json_decref(j);
    if (rc != 0)
        return close_ctx(&x, fail("case", &err));
    kz_uuid_v4(c.id);
    memcpy(c.lead_org, x.who.org_id, sizeof c.lead_org);
    memcpy(c.creator_user, x.who.user_id, sizeof c.creator_user);
    c.created = c.modified = kz_time_now();
    if (kz_store_case_put(x.st, &c, &err) != 0)
        return close_ctx(&x, fail("cannot store the case", &err));
    audit(&x, "case add", "case", c.id, (int)c.tlp);
    printf("%s\n", c.id);
    return close_ctx(&x, CLI_OK);
}

/* ---- list, show ----------------------------------------------------------------------------- */

static const cli_opt list_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "only cases this org leads or takes part in (default: all)"},
    {"status", CLI_VALUE, "STATUS", "only cases with this status"},
    {"drill", CLI_FLAG, NULL, "only drills"},
    {"real", CLI_FLAG, NULL, "only real cases (no drills)"},
    {"overdue", CLI_FLAG, NULL, "only cases with an overdue task"},
    CLI_OPT_JSON,
    {0},
};
static const cli_spec list_spec = {
    "case list",
    "[--org ORG] [--status S] [--drill|--real] [--overdue] [--json]",
    "Lists cases, oldest first. The CLI is the node operator: without --org it sees all.",
    list_opts,
    0,
    0,
};

static int case_list(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&list_spec, argc, argv, &args, &rc))
        return rc;
    kz_case_filter f = {.status = -1, .drill = -1, .now = kz_time_now()};
    const char *status = cli_get(&args, "status", NULL);
    if (status && (f.status = kz_case_status_parse(status)) < 0) {
        rc = cli_usage_error(&list_spec,
                             "--status '%s' is not one of new, acknowledged,"
                             " in_progress, contained, resolved, closed",
                             status);
        cli_args_free(&args);
        return rc;
    }
    if (cli_flag(&args, "drill") && cli_flag(&args, "real")) {
        rc = cli_usage_error(&list_spec, "--drill and --real exclude each other");
        cli_args_free(&args);
        return rc;
    }
    f.drill = cli_flag(&args, "drill") ? 1 : cli_flag(&args, "real") ? 0 : -1;
    f.overdue = cli_flag(&args, "overdue");
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org o;
    kz_err err = {0};
    const char *org = cli_get(&args, "org", NULL);
    if (org && (rc = cli_org_resolve(st, org, &a, &o)) == CLI_OK)
        f.org_id = o.id;
    kz_case *v = NULL;
    size_t n = 0;
    if (rc == CLI_OK && kz_store_case_list(st, &f, &a, &v, &n, NULL, &err) != 0)
        rc = fail("cannot list cases", &err);
    bool as_json = cli_flag(&args, "json");
    json_t *arr = as_json ? json_array() : NULL;
    /* With --org: the cases that org takes part in, by the case ACL's own
     * reading (an org that declined is not in the case any more). */
    kz_principal as_org = {.role = KZ_ROLE_READONLY};
    if (f.org_id)
        memcpy(as_org.org_id, f.org_id, sizeof as_org.org_id);
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        if (f.org_id && kz_case_role_of(&as_org, &v[i]) == KZ_CASE_ROLE_NONE)
            continue;
        if (as_json)
            json_array_append_new(arr, kz_json_case(&v[i], false));
        else
            printf("%s  %-12s  sev %d  %-12s  %s%s\n", v[i].id, kz_case_status_name(v[i].status),
                   v[i].severity, kz_tlp_name(v[i].tlp), v[i].drill ? "[drill] " : "", v[i].title);
    }
    if (as_json && rc == CLI_OK)
        cli_print_json(stdout, arr, true);
    else
        json_decref(arr);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

static const cli_opt show_opts[] = {CLI_OPT_DB, {0}};
static const cli_spec show_spec = {
    "case show",
    "CASE_ID",
    "Prints a case with its tasks, timeline and transitions (JSON). The operator sees all.",
    show_opts,
    1,
    1,
};

static int case_show(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&show_spec, argc, argv, &args, &rc))
        return rc;
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_case c;
    kz_err err = {0};
    kz_case_task *t = NULL;
    kz_case_entry *e = NULL;
    kz_case_transition *tr = NULL;
    size_t nt = 0, ne = 0, ntr = 0;
    rc = load(st, args.pos.v[0], &a, &c);
    if (rc == CLI_OK && (kz_store_case_tasks(st, c.id, &a, &t, &nt, &err) != 0 ||
                         kz_store_case_entries(st, c.id, &a, &e, &ne, &err) != 0 ||
                         kz_store_case_transitions(st, c.id, &a, &tr, &ntr, &err) != 0))
        rc = fail(NULL, &err);
    if (rc == CLI_OK) {
        json_t *j = kz_json_case(&c, false);
        json_t *ja = json_array(), *je = json_array(), *jt = json_array();
        kz_time now = kz_time_now();
        for (size_t i = 0; i < nt; i++)
            json_array_append_new(ja, kz_json_case_task(&t[i], now));
        for (size_t i = 0; i < ne; i++)
            json_array_append_new(je, kz_json_case_entry(&e[i]));
        for (size_t i = 0; i < ntr; i++)
            json_array_append_new(jt, kz_json_case_transition(&tr[i]));
        json_object_set_new(j, "tasks", ja);
        json_object_set_new(j, "timeline", je);
        json_object_set_new(j, "transitions", jt);
        cli_print_json(stdout, j, true);
    }
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}

/* ---- transition, invite, accept, decline ---------------------------------------------------- */

static const cli_opt transition_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the lead organisation, acting"},
    {"note", CLI_VALUE, "TEXT", "why (recorded with the transition)"},
    {0},
};
static const cli_spec transition_spec = {
    "case transition",
    "CASE_ID STATUS --org ORG [--note TEXT]",
    "Moves a case: new -> acknowledged -> in_progress -> contained -> resolved -> closed;\n"
    "contained, resolved and closed may go back to in_progress (a reopen).",
    transition_opts,
    2,
    2,
};

static int case_transition(int argc, char **argv)
{
    ctx x;
    int rc;
    if (open_ctx(&transition_spec, argc, argv, &x, true, KZ_CASE_MANAGE, &rc) != 0)
        return close_ctx(&x, rc);
    json_t *j = json_pack("{s:s}", "status", x.args.pos.v[1]);
    opt_member(j, &x.args, "note");
    kz_case_transition t;
    kz_err err = {0};
    rc = kz_json_case_transition_parse(j, &x.a, &t, &err);
    json_decref(j);
    if (rc != 0)
        return close_ctx(&x, fail(NULL, &err));
    memcpy(t.org_id, x.who.org_id, sizeof t.org_id);
    memcpy(t.user_id, x.who.user_id, sizeof t.user_id);
    if (kz_store_case_transition(x.st, x.c.id, &t, &err) != 0)
        return close_ctx(&x, fail(NULL, &err));
    audit(&x, "case transition", "case", x.c.id, (int)x.c.tlp);
    printf("%s -> %s\n", kz_case_status_name(t.from), kz_case_status_name(t.to));
    return close_ctx(&x, CLI_OK);
}

static const cli_opt invite_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the lead organisation, acting"},
    {"invite", CLI_VALUE, "ORG", "the organisation to invite (name or id)"},
    {0},
};
static const cli_spec invite_spec = {
    "case invite",
    "CASE_ID --org LEAD --invite ORG",
    "Invites an organisation to a case; it then accepts or declines.",
    invite_opts,
    1,
    1,
};

static int case_invite(int argc, char **argv)
{
    ctx x;
    int rc;
    if (open_ctx(&invite_spec, argc, argv, &x, true, KZ_CASE_MANAGE, &rc) != 0)
        return close_ctx(&x, rc);
    const char *who = cli_need(&x.args, "invite");
    if (!who)
        return close_ctx(&x, CLI_USAGE);
    kz_org o;
    if ((rc = cli_org_resolve(x.st, who, &x.a, &o)) != CLI_OK)
        return close_ctx(&x, rc);
    kz_case_participant p = {.state = KZ_PART_INVITED, .invited_at = kz_time_now()};
    memcpy(p.org_id, o.id, sizeof p.org_id);
    memcpy(p.invited_by, x.who.user_id, sizeof p.invited_by);
    kz_err err = {0};
    if (kz_store_case_invite(x.st, x.c.id, &p, &err) != 0)
        return close_ctx(&x, fail(NULL, &err));
    audit(&x, "case invite", "case", x.c.id, (int)x.c.tlp);
    printf("invited %s\n", o.name);
    return close_ctx(&x, CLI_OK);
}

static const cli_opt answer_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the invited organisation, answering"},
    {0},
};
static const cli_spec accept_spec = {
    "case accept", "CASE_ID --org ORG", "Accepts an invitation to a case.", answer_opts, 1, 1};
static const cli_spec decline_spec = {
    "case decline", "CASE_ID --org ORG", "Declines an invitation to a case.", answer_opts, 1, 1};

static int answer(const cli_spec *spec, kz_participation state, int argc, char **argv)
{
    ctx x;
    int rc;
    if (open_ctx(spec, argc, argv, &x, true, KZ_CASE_ANSWER, &rc) != 0)
        return close_ctx(&x, rc);
    if (kz_sync_case_is_copy(x.st, &x.c)) {
        kz_sync_case_action a = {.action = state == KZ_PART_ACCEPTED ? "accept" : "decline",
                                 .tlp = -1, .status = -1, .obs_type = -1};
        return close_ctx(&x, forward(&x, &a));
    }
    kz_err err = {0};
    if (kz_store_case_answer(x.st, x.c.id, x.who.org_id, state, x.who.user_id, kz_time_now(),
                             &err) != 0)
        return close_ctx(&x, fail(NULL, &err));
    audit(&x, state == KZ_PART_ACCEPTED ? "case accept" : "case decline", "case", x.c.id,
          (int)x.c.tlp);
    printf("%s\n", kz_participation_name(state));
    return close_ctx(&x, CLI_OK);
}

static int case_accept(int argc, char **argv)
{
    return answer(&accept_spec, KZ_PART_ACCEPTED, argc, argv);
}
static int case_decline(int argc, char **argv)
{
    return answer(&decline_spec, KZ_PART_DECLINED, argc, argv);
}

/* ---- task, comment, link -------------------------------------------------------------------- */

static const cli_opt task_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the organisation acting (the lead to create a task)"},
    {"title", CLI_VALUE, "TITLE", "new task: what to do"},
    {"assign", CLI_VALUE, "ORG", "new task: the organisation that does it (default: the lead)"},
    {"due", CLI_VALUE, "DATE", "new task: due date (RFC 3339 or YYYY-MM-DD)"},
    {"task", CLI_VALUE, "TASK_ID", "an existing task to update"},
    {"status", CLI_VALUE, "STATUS", "waiting, in_progress, done or cancelled"},
    {0},
};
static const cli_spec task_spec = {
    "case task",
    "CASE_ID --org ORG (--title TITLE [--assign ORG] [--due DATE] | --task ID --status S)",
    "Adds a task to a case (lead only), or sets the status of one (the lead or the assigned org).",
    task_opts,
    1,
    1,
};

static int case_task(int argc, char **argv)
{
    ctx x;
    int rc;
    if (open_ctx(&task_spec, argc, argv, &x, true, KZ_CASE_CONTRIBUTE, &rc) != 0)
        return close_ctx(&x, rc);
    kz_err err = {0};
    const char *task_id = cli_get(&x.args, "task", NULL);
    if (task_id) {
        const char *status = cli_need(&x.args, "status");
        if (!status)
            return close_ctx(&x, CLI_USAGE);
        kz_case_task t;
        const char *why = NULL;
        kz_uuid tid;
        if (id_opt("task", "a task id", task_id, tid) != CLI_OK)
            return close_ctx(&x, CLI_FAIL);
        if (kz_store_case_task_get(x.st, x.c.id, tid, &x.a, &t, &err) != 0)
            return close_ctx(&x, fail(NULL, &err));
        if (!kz_acl_case_task_allows(&x.who, &x.c, &t, &why)) {
            cli_error("not allowed for this org: %s", why);
            return close_ctx(&x, CLI_FAIL);
        }
        json_t *j = json_pack("{s:s}", "status", status);
        rc = kz_json_case_task_patch(j, &x.a, &t, &err);
        json_decref(j);
        if (rc != 0)
            return close_ctx(&x, fail(NULL, &err));
        if (kz_sync_case_is_copy(x.st, &x.c)) {
            kz_sync_case_action a = {.action = "task_status", .tlp = -1, .status = (int)t.status,
                                     .obs_type = -1};
            memcpy(a.task_id, t.id, sizeof a.task_id);
            return close_ctx(&x, forward(&x, &a));
        }
        if (kz_store_case_task_update(x.st, &t, &err) != 0)
            return close_ctx(&x, fail(NULL, &err));
        audit(&x, "case task", "case", x.c.id, (int)x.c.tlp);
        printf("%s %s\n", t.id, kz_task_status_name(t.status));
        return close_ctx(&x, CLI_OK);
    }
    const char *title = cli_need(&x.args, "title");
    if (!title)
        return close_ctx(&x, CLI_USAGE);
    if (refuse_copy(&x) != CLI_OK || allowed(&x.who, &x.c, KZ_CASE_MANAGE) != CLI_OK)
        return close_ctx(&x, CLI_FAIL);
    kz_org o;
    const char *assign = cli_get(&x.args, "assign", NULL);
    if (assign && (rc = cli_org_resolve(x.st, assign, &x.a, &o)) != CLI_OK)
        return close_ctx(&x, rc);
    json_t *j = json_pack("{s:s,s:s}", "title", title, "org_id", assign ? o.id : x.c.lead_org);
    opt_member(j, &x.args, "due");
    opt_member(j, &x.args, "status");
    kz_case_task t;
    rc = kz_json_case_task_parse(j, &x.a, &t, &err);
    json_decref(j);
    if (rc != 0)
        return close_ctx(&x, fail("task", &err));
    kz_uuid_v4(t.id);
    memcpy(t.case_id, x.c.id, sizeof t.case_id);
    memcpy(t.created_by, x.who.user_id, sizeof t.created_by);
    if (kz_store_case_task_put(x.st, &t, &err) != 0)
        return close_ctx(&x, fail("cannot store the task", &err));
    audit(&x, "case task", "case", x.c.id, (int)x.c.tlp);
    printf("%s\n", t.id);
    return close_ctx(&x, CLI_OK);
}

static const cli_opt comment_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the organisation writing (lead or participant)"},
    {"text", CLI_VALUE, "TEXT", "the comment"},
    {"corrects", CLI_VALUE, "ENTRY_ID", "make it a correction of this earlier entry"},
    {"tlp", CLI_VALUE, "TLP", "stricter than the case's, e.g. red: only the lead sees it"},
    {0},
};
static const cli_spec comment_spec = {
    "case comment",
    "CASE_ID --org ORG --text TEXT [--corrects ENTRY_ID] [--tlp TLP]",
    "Appends a comment (or a correction) to the case timeline. Nothing there is ever edited.",
    comment_opts,
    1,
    1,
};

static int case_comment(int argc, char **argv)
{
    ctx x;
    int rc;
    if (open_ctx(&comment_spec, argc, argv, &x, true, KZ_CASE_CONTRIBUTE, &rc) != 0)
        return close_ctx(&x, rc);
    const char *text = cli_need(&x.args, "text");
    if (!text)
        return close_ctx(&x, CLI_USAGE);
    json_t *j = json_pack("{s:s}", "text", text);
    const char *corrects = cli_get(&x.args, "corrects", NULL);
    if (corrects) {
        json_object_set_new(j, "kind", json_string("correction"));
        json_object_set_new(j, "corrects", json_string(corrects));
    }
    opt_member(j, &x.args, "tlp");
    kz_case_entry e;
    kz_err err = {0};
    rc = kz_json_case_entry_parse(j, &x.a, &e, &err);
    json_decref(j);
    if (rc != 0)
        return close_ctx(&x, fail(NULL, &err));
    /* The API's rule: no looser than the case, a correction of an entry
     * this org may see and at least as strict. */
    if (kz_store_case_entry_admit(x.st, &x.who, &x.c, &e, &x.a, &err) != 0)
        return close_ctx(&x, fail(NULL, &err));
    if (kz_sync_case_is_copy(x.st, &x.c)) {
        kz_sync_case_action a = {.action = corrects ? "correction" : "comment", .text = e.text,
                                 .tlp = e.tlp, .status = -1, .obs_type = -1};
        memcpy(a.corrects, e.corrects, sizeof a.corrects);
        return close_ctx(&x, forward(&x, &a));
    }
    kz_uuid_v4(e.id);
    memcpy(e.case_id, x.c.id, sizeof e.case_id);
    memcpy(e.org_id, x.who.org_id, sizeof e.org_id);
    memcpy(e.user_id, x.who.user_id, sizeof e.user_id);
    e.at = kz_time_now();
    if (kz_store_case_entry_add(x.st, &e, &err) != 0)
        return close_ctx(&x, fail(NULL, &err));
    audit(&x, "case comment", "case", x.c.id, e.tlp);
    printf("%s\n", e.id);
    return close_ctx(&x, CLI_OK);
}

static const cli_opt link_opts[] = {
    CLI_OPT_DB,
    {"org", CLI_VALUE, "ORG", "the organisation linking (lead or participant)"},
    {"event", CLI_VALUE, "ID", "link an event"},
    {"indicator", CLI_VALUE, "ID", "link an indicator"},
    {"sighting", CLI_VALUE, "ID", "link a sighting"},
    {0},
};
static const cli_spec link_spec = {
    "case link",
    "CASE_ID --org ORG (--event ID | --indicator ID | --sighting ID)",
    "Links an event, indicator or sighting to a case.",
    link_opts,
    1,
    1,
};

static int case_link(int argc, char **argv)
{
    static const char *const kinds[] = {"event", "indicator", "sighting"};
    ctx x;
    int rc;
    if (open_ctx(&link_spec, argc, argv, &x, true, KZ_CASE_CONTRIBUTE, &rc) != 0)
        return close_ctx(&x, rc);
    const char *kind = NULL, *id = NULL;
    for (size_t i = 0; i < 3; i++)
        if (cli_get(&x.args, kinds[i], NULL)) {
            if (kind)
                return close_ctx(&x, cli_usage_error(&link_spec, "give one of --event,"
                                                                 " --indicator, --sighting"));
            kind = kinds[i];
            id = cli_get(&x.args, kinds[i], NULL);
        }
    if (!kind)
        return close_ctx(&x, cli_usage_error(&link_spec, "give one of --event, --indicator,"
                                                         " --sighting"));
    kz_uuid norm;
    if (id_opt(kind, "an id", id, norm) != CLI_OK)
        return close_ctx(&x, CLI_FAIL);
    if (kz_sync_case_is_copy(x.st, &x.c)) {
        kz_sync_case_action a = {.action = "link", .link_kind = kind, .tlp = -1, .status = -1,
                                 .obs_type = -1};
        memcpy(a.object_id, norm, sizeof a.object_id);
        return close_ctx(&x, forward(&x, &a));
    }
    kz_err err = {0};
    if (kz_store_case_link(x.st, x.c.id, kind, norm, x.who.org_id, x.who.user_id, &err) != 0)
        return close_ctx(&x, fail(NULL, &err));
    audit(&x, "case link", "case", x.c.id, (int)x.c.tlp);
    printf("linked %s %s\n", kind, norm);
    return close_ctx(&x, CLI_OK);
}

int cli_cmd_case(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"add", case_add, "open a case led by an org"},
        {"list", case_list, "list cases"},
        {"show", case_show, "print a case with its tasks and timeline (JSON)"},
        {"transition", case_transition, "move a case along its workflow"},
        {"invite", case_invite, "invite an org to a case"},
        {"accept", case_accept, "accept an invitation"},
        {"decline", case_decline, "decline an invitation"},
        {"task", case_task, "add a task, or set a task's status"},
        {"comment", case_comment, "append a comment or correction to the timeline"},
        {"link", case_link, "link an event, indicator or sighting"},
        {0},
    };
    return cli_dispatch("case", "Joint incident cases: lead, participants, tasks, timeline.", subs,
                        argc, argv);
}
