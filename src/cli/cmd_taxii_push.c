/* cmd_taxii_push.c — `kizuna taxii push`: sends this node's STIX objects to
 * a collection of a TAXII 2.1 server (Add Objects) and reports, per object,
 * what the server made of it.
 *
 * What leaves: the STIX export of each chosen event (the objects it was
 * imported from and, for its own indicators, the objects made for them),
 * exactly as `GET /api/v1/events/{id}/stix` would give it to a member of
 * the pushing org: every event and object goes through the access module
 * for export (TLP:RED never leaves; the org's own rules for the rest), and
 * nothing above --tlp-max is sent. Objects shared by several events are sent
 * once.
 *
 * The objects are cut into envelopes no larger than the server's
 * max_content_length (read from its API root), one POST each; each POST's
 * status resource is polled until it is complete (or --wait runs out), and
 * every object is then reported as ok, failed (with the server's message)
 * or pending.
 */
#include "cmd_taxii.h"
#include "formats/formats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const cli_opt opts[] = {
    CLI_OPT_DB,
    {"collection", CLI_VALUE, "ID", "the collection to add the objects to (required)"},
    CLI_TAXII_AUTH_OPTS,
    {"event", CLI_MULTI, "ID", "push this event (default: every event the filters keep)"},
    {"since", CLI_VALUE, "TIME", "only events modified at or after TIME (RFC 3339)"},
    {"tag", CLI_MULTI, "TAG", "only events with this tag (all of them when repeated)"},
    {"tlp-max", CLI_VALUE, "TLP",
     "send nothing above this TLP (default green: AMBER leaves only when asked)"},
    {"org", CLI_VALUE, "ORG",
     "the pushing organisation, whose access applies (default: the only org)"},
    {"wait", CLI_VALUE, "S", "seconds to wait for pending statuses (default 60)"},
    {0},
};

static const cli_spec spec = {
    "taxii push", "URL --collection ID [--event ID]... [filters] [options]",
    "Send this node's STIX objects to a TAXII 2.1 collection. URL is the server's\n"
    "API root. Each chosen event is exported as its org's members may export it\n"
    "(TLP:RED never leaves; nothing above --tlp-max). Prints one line per object:\n"
    "'ok ID VERSION', 'failed ID VERSION: MESSAGE' or 'pending ID VERSION'.\n"
    "Exit 1 when an object failed or stayed pending, or on an HTTP error.\n"
    "Credentials: --key-file or $KIZUNA_TAXII_KEY (bearer), --user with\n"
    "--password-stdin, --password-file or $KIZUNA_TAXII_PASSWORD (Basic).",
    opts, 1, 1,
};

/* ---- choosing the objects ------------------------------------------------------ */

typedef struct pusher {
    kz_store *st;
    kz_arena *a;
    kz_principal who;
    kz_tlp tlp_max;
    /* The event being exported and its access object (slot for allow_*). */
    kz_acl_object ev_obj;
    /* Objects to send, deduplicated by "id|version". */
    json_t *seen;    /* object: key -> true */
    json_t *objects; /* array of objects */
    size_t n_events, n_refused;
} pusher;

/* The access decision for an event, for the pushing org's export. */
static bool event_allows(pusher *p, const kz_event *ev, kz_acl_object *obj, const char **why)
{
    kz_err err;
    if (kz_store_acl_object_load(p->st, ev, p->a, obj, &err) != 0) {
        *why = "cannot load its access rules";
        return false;
    }
    if (!kz_acl_allows(&p->who, obj, KZ_ACL_EXPORT, why))
        return false;
    if ((int)ev->tlp > (int)p->tlp_max) {
        *why = "its TLP is above --tlp-max";
        return false;
    }
    return true;
}

/* Stored objects are seen through their own event (they may live in
 * another one than the event exported), with their own TLP when stricter. */
static bool allow_obj(void *ctx, const kz_stix_obj *o)
{
    pusher *p = ctx;
    if (!o->event_id[0] || (int)o->tlp > (int)p->tlp_max)
        return false;
    kz_event ev;
    kz_acl_object obj;
    kz_err err;
    const char *why = NULL;
    if (kz_store_event_get(p->st, o->event_id, false, p->a, &ev, &err) != 0 ||
        !event_allows(p, &ev, &obj, &why))
        return false;
    kz_indicator as_ind = {.tlp = (int)o->tlp, .distribution = -1};
    return kz_acl_indicator_allows(&p->who, &obj, &as_ind, KZ_ACL_EXPORT, NULL);
}

static bool allow_ind(void *ctx, const kz_indicator *ind)
{
    pusher *p = ctx;
    if (ind->tlp >= 0 && ind->tlp > (int)p->tlp_max)
        return false;
    return kz_acl_indicator_allows(&p->who, &p->ev_obj, ind, KZ_ACL_EXPORT, NULL);
}

static const char *version_of(json_t *o)
{
    const char *v = json_string_value(json_object_get(o, "modified"));
    return v ? v : json_string_value(json_object_get(o, "created"));
}

/* Adds the export of one event; an event the org may not export is skipped
 * with a note (naming the rule), not an error. */
static int add_event(pusher *p, const char *id, bool named)
{
    kz_event ev;
    kz_err err = {0};
    int rc = kz_store_event_get(p->st, id, false, p->a, &ev, &err);
    if (rc == KZ_E_NOTFOUND && named) {
        cli_error("no event with id '%.64s'", id);
        return CLI_FAIL;
    }
    if (rc != 0) {
        cli_report("cannot read an event", &err);
        return CLI_FAIL;
    }
    const char *why = NULL;
    if (!event_allows(p, &ev, &p->ev_obj, &why)) {
        p->n_refused++;
        if (named)
            fprintf(stderr, "kizuna: event %s not pushed: %s\n", id, why ? why : "not allowed");
        return CLI_OK;
    }
    kz_stix_export_opts eo = {.allow_obj = allow_obj, .allow_ind = allow_ind, .ctx = p};
    kz_buf b;
    kz_buf_init(&b);
    rc = kz_stix_export_event(p->st, id, &eo, &b, NULL, &err);
    json_t *bundle = rc == 0 ? json_loadb(b.p ? b.p : "", b.len, 0, NULL) : NULL;
    kz_buf_free(&b);
    if (rc != 0 || !bundle) {
        if (rc != 0)
            cli_report("cannot export an event as STIX", &err);
        else
            cli_error("event %s: the STIX export is not JSON", id);
        return CLI_FAIL;
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(bundle, "objects"), i, o) {
        const char *oid = json_string_value(json_object_get(o, "id"));
        const char *ver = version_of(o);
        char key[400];
        snprintf(key, sizeof key, "%.300s|%.60s", oid ? oid : "", ver ? ver : "");
        if (!oid || json_object_get(p->seen, key))
            continue;
        json_object_set_new(p->seen, key, json_true());
        json_array_append(p->objects, o);
    }
    json_decref(bundle);
    p->n_events++;
    return CLI_OK;
}

static bool has_tags(const kz_event *ev, const kz_strlist *tags)
{
    for (size_t i = 0; tags && i < tags->n; i++)
        if (!kz_strlist_has(&ev->tags, tags->v[i]))
            return false;
    return true;
}

/* Every event the filters keep, newest first, a page at a time. */
static int add_filtered(pusher *p, kz_time since, const kz_strlist *tags)
{
    kz_event_filter flt = {.published = -1, .since = since, .after_id = "", .limit = 200};
    if (tags && tags->n)
        flt.tag = tags->v[0];
    kz_uuid after = "";
    for (;;) {
        kz_event *evs = NULL;
        size_t n = 0;
        kz_err err = {0};
        if (kz_store_event_list(p->st, &flt, p->a, &evs, &n, &err) != 0) {
            cli_report("cannot list events", &err);
            return CLI_FAIL;
        }
        for (size_t i = 0; i < n; i++)
            if (has_tags(&evs[i], tags) && add_event(p, evs[i].id, false) != CLI_OK)
                return CLI_FAIL;
        if (n < flt.limit)
            return CLI_OK;
        flt.after_time = evs[n - 1].modified;
        memcpy(after, evs[n - 1].id, sizeof after);
        flt.after_id = after;
    }
}

/* ---- sending -------------------------------------------------------------------- */

typedef enum { RES_UNKNOWN, RES_OK, RES_FAILED, RES_PENDING } result;

typedef struct sent {
    json_t *objs;    /* the envelope's objects */
    char status_id[128];
    bool complete;
    json_t *status;  /* last status resource */
} sent;

static int max_content_length(cli_taxii_conn *t, size_t *out, kz_err *err)
{
    cli_taxii_resp r;
    int rc = cli_taxii_request(t, "GET", "", NULL, 0, &r, err);
    if (rc == 0) {
        json_t *j = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, NULL);
        json_int_t m = json_integer_value(json_object_get(j, "max_content_length"));
        json_decref(j);
        if (m <= 0)
            rc = kz_fail(err, KZ_E_VALUE, NULL,
                         "%.300s: the API root gives no positive max_content_length", t->root);
        else
            *out = (size_t)m;
    }
    cli_taxii_resp_free(&r);
    return rc;
}

static json_t *parse_status(cli_taxii_resp *r, const char *what, kz_err *err)
{
    json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
    if (!json_is_object(j) || !json_string_value(json_object_get(j, "status"))) {
        json_decref(j);
        kz_fail(err, KZ_E_VALUE, NULL, "%s: the answer is not a TAXII status resource", what);
        return NULL;
    }
    return j;
}

static int post_envelope(cli_taxii_conn *t, const char *collection, sent *s, kz_err *err)
{
    json_t *env = json_pack("{s:O}", "objects", s->objs);
    char *body = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    if (!body)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    char *esc = curl_easy_escape(t->c, collection, 0);
    char rel[400];
    snprintf(rel, sizeof rel, "collections/%s/objects/", esc ? esc : "");
    curl_free(esc);
    cli_taxii_resp r;
    int rc = cli_taxii_request(t, "POST", rel, body, strlen(body), &r, err);
    free(body);
    if (rc == 0 && !(s->status = parse_status(&r, "Add Objects", err)))
        rc = KZ_E_VALUE;
    if (rc == 0) {
        const char *id = json_string_value(json_object_get(s->status, "id"));
        snprintf(s->status_id, sizeof s->status_id, "%.100s", id ? id : "");
        s->complete = strcmp(json_string_value(json_object_get(s->status, "status")),
                             "complete") == 0;
    }
    cli_taxii_resp_free(&r);
    return rc;
}

static int poll_status(cli_taxii_conn *t, sent *s, kz_err *err)
{
    if (!s->status_id[0])
        return kz_fail(err, KZ_E_VALUE, NULL, "the status resource has no id to poll");
    char *esc = curl_easy_escape(t->c, s->status_id, 0);
    char rel[300];
    snprintf(rel, sizeof rel, "status/%s/", esc ? esc : "");
    curl_free(esc);
    cli_taxii_resp r;
    int rc = cli_taxii_request(t, "GET", rel, NULL, 0, &r, err);
    json_t *j = rc == 0 ? parse_status(&r, "status", err) : NULL;
    if (rc == 0 && !j)
        rc = KZ_E_VALUE;
    if (j) {
        json_decref(s->status);
        s->status = j;
        s->complete = strcmp(json_string_value(json_object_get(j, "status")), "complete") == 0;
    }
    cli_taxii_resp_free(&r);
    return rc;
}

/* The status-details entry for an object in one of the lists, or NULL. */
static json_t *find_detail(json_t *list, const char *id, const char *ver)
{
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d) {
        const char *did = json_string_value(json_object_get(d, "id"));
        const char *dv = json_string_value(json_object_get(d, "version"));
        if (did && strcmp(did, id) == 0 && (!dv || !ver || strcmp(dv, ver) == 0))
            return d;
    }
    return NULL;
}

typedef struct tally {
    size_t ok, failed, pending;
} tally;

/* Prints a line per object of the envelope from its status resource. */
static void report(const sent *s, tally *ty)
{
    json_t *st = s->status;
    json_t *succ = json_object_get(st, "successes"), *fail = json_object_get(st, "failures"),
           *pend = json_object_get(st, "pendings");
    bool listed = succ || fail || pend;
    json_int_t n_fail = json_integer_value(json_object_get(st, "failure_count"));
    json_int_t n_pend = json_integer_value(json_object_get(st, "pending_count"));
    size_t i;
    json_t *o;
    json_array_foreach(s->objs, i, o) {
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *ver = version_of(o);
        json_t *d;
        result res = RES_UNKNOWN;
        const char *msg = NULL;
        if ((d = find_detail(fail, id, ver))) {
            res = RES_FAILED;
            msg = json_string_value(json_object_get(d, "message"));
        } else if (find_detail(pend, id, ver)) {
            res = RES_PENDING;
        } else if (find_detail(succ, id, ver)) {
            res = RES_OK;
        } else if (!listed && n_fail == 0 && n_pend == 0 && s->complete) {
            res = RES_OK; /* counts only, and nothing went wrong */
        } else {
            res = s->complete ? RES_FAILED : RES_PENDING;
            msg = "not listed in the status resource";
        }
        switch (res) {
        case RES_OK:
            printf("ok %s %s\n", id, ver ? ver : "-");
            ty->ok++;
            break;
        case RES_PENDING:
            printf("pending %s %s\n", id, ver ? ver : "-");
            ty->pending++;
            break;
        default: {
            char clean[600]; /* the server's words, kept off the terminal's controls */
            cli_taxii_clean(msg ? msg : "no reason given", clean, sizeof clean);
            printf("failed %s %s: %s\n", id, ver ? ver : "-", clean);
            ty->failed++;
            break;
        }
        }
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Cuts p->objects into envelopes of at most max bytes, posts them, polls
 * the pending ones and reports. */
static int send_all(cli_taxii_conn *t, const char *collection, json_t *objects, size_t max,
                    unsigned wait_s, tally *ty, size_t *n_env)
{
    static const size_t overhead = sizeof "{\"objects\":[]}" - 1;
    size_t n = json_array_size(objects);
    sent *v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t k = 0, i = 0, size = 0;
    int rc = CLI_OK;
    for (; i < n; i++) {
        json_t *o = json_array_get(objects, i);
        char *txt = json_dumps(o, JSON_COMPACT);
        size_t len = txt ? strlen(txt) : 0;
        free(txt);
        if (len + overhead > max) {
            const char *ver = version_of(o);
            printf("failed %s %s: %zu bytes, larger than the server's max_content_length (%zu)\n",
                   json_string_value(json_object_get(o, "id")), ver ? ver : "-", len, max);
            ty->failed++;
            continue;
        }
        if (!v[k].objs || size + 1 + len > max) {
            if (v[k].objs)
                k++;
            v[k].objs = json_array();
            size = overhead - 1;
        }
        json_array_append(v[k].objs, o);
        size += 1 + len;
    }
    size_t n_sent = v[0].objs ? k + 1 : 0;
    kz_err err = {0};
    for (size_t e = 0; e < n_sent && rc == CLI_OK; e++)
        if (post_envelope(t, collection, &v[e], &err) != 0) {
            cli_report("Add Objects", &err);
            rc = CLI_FAIL;
        }
    /* Poll what is still pending, backing off from 0.2 s to 2 s. */
    int64_t deadline = now_ms() + (int64_t)wait_s * 1000;
    unsigned delay_ms = 200;
    for (;;) {
        bool pending = false;
        for (size_t e = 0; e < n_sent && rc == CLI_OK; e++)
            pending |= v[e].status && !v[e].complete;
        if (!pending || rc != CLI_OK || now_ms() >= deadline)
            break;
        usleep(delay_ms * 1000);
        delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
        for (size_t e = 0; e < n_sent && rc == CLI_OK; e++)
            if (v[e].status && !v[e].complete && poll_status(t, &v[e], &err) != 0) {
                cli_report("polling a status", &err);
                rc = CLI_FAIL;
            }
    }
    for (size_t e = 0; e < n_sent; e++) {
        if (v[e].status)
            report(&v[e], ty);
        json_decref(v[e].objs);
        json_decref(v[e].status);
    }
    *n_env = n_sent;
    free(v);
    return rc;
}

/* ---- the command ----------------------------------------------------------------- */

int cli_taxii_push(int argc, char **argv)
{
    cli_args args;
    int rc;
    if (!cli_parse(&spec, argc, argv, &args, &rc))
        return rc;
    const char *url = args.pos.v[0];
    const char *coll = cli_need(&args, "collection");
    /* A TAXII server is outside the org: TLP:AMBER is for need-to-know
     * within it, so it is sent only when the operator says so. */
    int tlp_max = kz_tlp_parse(cli_get(&args, "tlp-max", "green"));
    const char *since_s = cli_get(&args, "since", NULL);
    const kz_strlist *events = cli_multi(&args, "event"), *tags = cli_multi(&args, "tag");
    uint64_t wait_s = 60;
    kz_time since = 0;
    kz_err err = {0};
    if (!coll || cli_get_uint(&args, "wait", 60, 0, 86400, &wait_s) != 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (tlp_max < 0 || strlen(coll) > 100 ||
        (since_s && kz_time_parse(since_s, &since, &err) != 0) ||
        (events && events->n && ((since_s) || (tags && tags->n)))) {
        rc = cli_usage_error(
            &spec, "%s",
            tlp_max < 0      ? "option '--tlp-max': not clear, green, amber, amber+strict or red"
            : strlen(coll) > 100 ? "--collection: at most 100 bytes"
            : events && events->n ? "--event names the events: give no --since or --tag with it"
                                  : "option '--since': not an RFC 3339 time");
        cli_args_free(&args);
        return rc;
    }
    cli_taxii_cred cred;
    if ((rc = cli_taxii_cred_read(&spec, &args, &cred)) != CLI_OK) {
        cli_taxii_cred_wipe(&cred);
        cli_args_free(&args);
        return rc;
    }
    cli_taxii_conn t;
    if (cli_taxii_open(&t, url, &cred, &err) != 0) {
        cli_taxii_cred_wipe(&cred);
        rc = cli_usage_error(&spec, "%s", err.msg);
        cli_taxii_close(&t);
        cli_args_free(&args);
        return rc;
    }
    cli_taxii_cred_wipe(&cred);
    kz_store *st = NULL;
    if ((rc = cli_store_open(&args, false, &st, NULL)) != CLI_OK) {
        cli_taxii_close(&t);
        cli_args_free(&args);
        return rc;
    }
    kz_arena a;
    kz_arena_init(&a);
    kz_org org;
    pusher p = {.st = st, .a = &a, .tlp_max = (kz_tlp)tlp_max, .seen = json_object(),
                .objects = json_array()};
    rc = cli_taxii_org(st, &spec, &args, "pushing", &a, &org);
    if (rc == CLI_OK) {
        /* The pushing org as a reader: its communities decide what it may
         * pass on, no role widens it. */
        memcpy(p.who.org_id, org.id, sizeof p.who.org_id);
        p.who.role = KZ_ROLE_READONLY;
        if (kz_store_principal_load(st, &p.who, &a, &err) != 0) {
            cli_report("cannot load the organisation's communities", &err);
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK && events && events->n)
        for (size_t i = 0; i < events->n && rc == CLI_OK; i++)
            rc = add_event(&p, events->v[i], true);
    else if (rc == CLI_OK)
        rc = add_filtered(&p, since, tags);
    size_t max = 0, n_env = 0;
    tally ty = {0};
    if (rc == CLI_OK && json_array_size(p.objects) > 0) {
        if (max_content_length(&t, &max, &err) != 0) {
            cli_report(NULL, &err);
            rc = CLI_FAIL;
        } else {
            rc = send_all(&t, coll, p.objects, max, (unsigned)wait_s, &ty, &n_env);
        }
    }
    size_t n_obj = json_array_size(p.objects);
    fprintf(stderr,
            "pushed %zu event%s, %zu object%s in %zu envelope%s: %zu ok, %zu failed, %zu pending"
            "%s\n",
            p.n_events, p.n_events == 1 ? "" : "s", n_obj, n_obj == 1 ? "" : "s", n_env,
            n_env == 1 ? "" : "s", ty.ok, ty.failed, ty.pending,
            p.n_refused ? " (events the org may not export were left out)" : "");
    if (rc == CLI_OK && (ty.failed || ty.pending))
        rc = CLI_FAIL;
    json_decref(p.seen);
    json_decref(p.objects);
    cli_taxii_close(&t);
    kz_arena_free(&a);
    kz_store_close(st);
    cli_args_free(&args);
    return rc;
}
