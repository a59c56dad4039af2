/* envelope_case.c — the wire form of a case: a snapshot of the case as one
 * participant org may hold it, signed by the case's home node.
 *
 * A case is not one object but a small tree (participants, tasks, timeline,
 * ...), and the home node cuts it per audience org (feed_case.c), so the
 * snapshot names its audience and a receiver refuses one cut for another
 * org. The canonical bytes are the body as jansson writes it with sorted
 * keys, rebuilt from the parsed structs (never the bytes received); the
 * builder runs the same strict reader over what it is about to sign, so a
 * node never signs a case its peers would refuse.
 */
#include "sync_int.h"

#include <string.h>

#define CASE_MAX_ROWS 100000 /* tasks, entries, ... per case: bounds a hostile snapshot */

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *juuid(const char *s) { return s && *s ? json_string(s) : json_null(); }
static json_t *jint(int64_t v) { return json_integer((json_int_t)v); }

/* Sets k to v (taken); remembers an allocation failure in *bad. */
static void put(json_t *o, const char *k, json_t *v, bool *bad)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *bad = true;
}

static void push(json_t *arr, json_t *v, bool *bad)
{
    if (!v || json_array_append_new(arr, v) != 0)
        *bad = true;
}

static json_t *ids(const kz_strlist *l, bool *bad)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        push(a, json_string(l->v[i]), bad);
    if (!a)
        *bad = true;
    return a;
}

static json_t *case_json(const kz_case *c, bool summary, bool *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = true;
        return NULL;
    }
    put(o, "id", json_string(c->id), bad);
    put(o, "title", jstr(c->title), bad);
    put(o, "description", summary ? json_null() : jstr(c->description), bad);
    put(o, "severity", jint(c->severity), bad);
    put(o, "tlp", jstr(kz_tlp_name(c->tlp)), bad);
    put(o, "pap", jstr(kz_pap_name(c->pap)), bad);
    put(o, "category", jstr(c->category), bad);
    put(o, "subtype", jstr(c->subtype), bad);
    put(o, "status", jstr(kz_case_status_name(c->status)), bad);
    put(o, "lead_org", json_string(c->lead_org), bad);
    put(o, "drill", json_boolean(c->drill), bad);
    put(o, "created", jint(c->created), bad);
    put(o, "modified", jint(c->modified), bad);
    put(o, "acknowledged_at", jint(c->acknowledged_at), bad);
    put(o, "contained_at", jint(c->contained_at), bad);
    put(o, "resolved_at", jint(c->resolved_at), bad);
    put(o, "closed_at", jint(c->closed_at), bad);
    return o;
}

json_t *kz__sync_json_case(const char *audience, const kz_case_snapshot *s)
{
    bool bad = false;
    json_t *b = json_object();
    if (!b)
        return NULL;
    put(b, "audience", json_string(audience), &bad);
    put(b, "view", json_string(s->summary ? "summary" : "full"), &bad);
    put(b, "case", case_json(&s->c, s->summary, &bad), &bad);
    json_t *parts = json_array(), *links = json_object(), *tasks = json_array(),
           *obs = json_array(), *tl = json_array(), *tr = json_array(), *inj = json_array(),
           *res = json_array();
    for (size_t i = 0; parts && i < s->c.n_participants; i++) {
        const kz_case_participant *p = &s->c.participants[i];
        json_t *o = json_object();
        if (o) {
            put(o, "org_id", json_string(p->org_id), &bad);
            put(o, "state", jstr(kz_participation_name(p->state)), &bad);
            put(o, "invited_at", jint(p->invited_at), &bad);
            put(o, "invited_by", juuid(p->invited_by), &bad);
            put(o, "answered_at", jint(p->answered_at), &bad);
            put(o, "answered_by", juuid(p->answered_by), &bad);
        }
        push(parts, o, &bad);
    }
    if (links) {
        put(links, "events", ids(&s->c.events, &bad), &bad);
        put(links, "indicators", ids(&s->c.indicators, &bad), &bad);
        put(links, "sightings", ids(&s->c.sightings, &bad), &bad);
    }
    for (size_t i = 0; tasks && i < s->n_tasks; i++) {
        const kz_case_task *t = &s->tasks[i];
        json_t *o = json_object();
        if (o) {
            put(o, "id", json_string(t->id), &bad);
            put(o, "title", jstr(t->title), &bad);
            put(o, "description", jstr(t->description), &bad);
            put(o, "org_id", json_string(t->org_id), &bad);
            put(o, "user_id", juuid(t->user_id), &bad);
            put(o, "due", jint(t->due), &bad);
            put(o, "status", jstr(kz_task_status_name(t->status)), &bad);
            put(o, "created_by", juuid(t->created_by), &bad);
            put(o, "created", jint(t->created), &bad);
            put(o, "modified", jint(t->modified), &bad);
        }
        push(tasks, o, &bad);
    }
    for (size_t i = 0; obs && i < s->n_observables; i++) {
        const kz_case_observable *x = &s->observables[i];
        json_t *o = json_object();
        if (o) {
            put(o, "id", json_string(x->id), &bad);
            put(o, "type", jstr(kz_ioc_type_name(x->type)), &bad);
            put(o, "value", jstr(x->value), &bad);
            put(o, "comment", jstr(x->comment), &bad);
            put(o, "org_id", juuid(x->org_id), &bad);
            put(o, "user_id", juuid(x->user_id), &bad);
            put(o, "added", jint(x->added), &bad);
            put(o, "indicator_id", juuid(x->indicator_id), &bad);
        }
        push(obs, o, &bad);
    }
    for (size_t i = 0; tl && i < s->n_entries; i++) {
        const kz_case_entry *e = &s->entries[i];
        json_t *o = json_object();
        if (o) {
            put(o, "id", json_string(e->id), &bad);
            put(o, "kind", jstr(kz_entry_kind_name(e->kind)), &bad);
            put(o, "text", jstr(e->text), &bad);
            put(o, "corrects", juuid(e->corrects), &bad);
            put(o, "tlp", e->tlp >= 0 ? jstr(kz_tlp_name((kz_tlp)e->tlp)) : json_null(), &bad);
            put(o, "org_id", juuid(e->org_id), &bad);
            put(o, "user_id", juuid(e->user_id), &bad);
            put(o, "at", jint(e->at), &bad);
        }
        push(tl, o, &bad);
    }
    for (size_t i = 0; tr && i < s->n_transitions; i++) {
        const kz_case_transition *t = &s->transitions[i];
        json_t *o = json_object();
        if (o) {
            put(o, "from", jstr(kz_case_status_name(t->from)), &bad);
            put(o, "to", jstr(kz_case_status_name(t->to)), &bad);
            put(o, "reopen", json_boolean(t->reopen), &bad);
            put(o, "note", jstr(t->note), &bad);
            put(o, "org_id", juuid(t->org_id), &bad);
            put(o, "user_id", juuid(t->user_id), &bad);
            put(o, "at", jint(t->at), &bad);
        }
        push(tr, o, &bad);
    }
    for (size_t i = 0; inj && i < s->n_injects; i++) {
        const kz_case_inject *x = &s->injects[i];
        json_t *o = json_object();
        if (o) {
            put(o, "id", json_string(x->id), &bad);
            put(o, "at", jint(x->at), &bad);
            put(o, "text", jstr(x->text), &bad);
            put(o, "delivered_at", jint(x->delivered_at), &bad);
            put(o, "created_by", juuid(x->created_by), &bad);
            put(o, "created", jint(x->created), &bad);
        }
        push(inj, o, &bad);
    }
    for (size_t i = 0; res && i < s->n_results; i++) {
        const kz_case_action_result *x = &s->results[i];
        json_t *o = json_object();
        if (o) {
            put(o, "id", json_string(x->id), &bad);
            put(o, "state", jstr(x->state), &bad);
            put(o, "note", jstr(x->note), &bad);
        }
        push(res, o, &bad);
    }
    /* Only when there is something to say: a snapshot without results
     * stays what nodes before this field read. */
    if (res && !json_array_size(res))
        json_decref(res);
    else
        put(b, "actions", res, &bad);
    put(b, "participants", parts, &bad);
    put(b, "links", links, &bad);
    put(b, "tasks", tasks, &bad);
    put(b, "observables", obs, &bad);
    put(b, "timeline", tl, &bad);
    put(b, "transitions", tr, &bad);
    put(b, "injects", inj, &bad);
    if (bad) {
        json_decref(b);
        return NULL;
    }
    return b;
}

/* ---- reading ------------------------------------------------------------ */

static const char *tlp_name(int x) { return kz_tlp_name((kz_tlp)x); }
static const char *pap_name(int x) { return kz_pap_name((kz_pap)x); }
static const char *status_name(int x) { return kz_case_status_name((kz_case_status)x); }
static const char *part_name(int x) { return kz_participation_name((kz_participation)x); }
static const char *task_name(int x) { return kz_task_status_name((kz_task_status)x); }
static const char *entry_name(int x) { return kz_entry_kind_name((kz_entry_kind)x); }
static const char *ioc_name(int x)
{
    return x >= 0 && x < KZ_IOC__COUNT ? kz_ioc_type_name((kz_ioc_type)x) : NULL;
}

#define TLP_CHOICES "clear, green, amber, amber+strict, red"
#define STATUS_CHOICES "new, acknowledged, in_progress, contained, resolved, closed"

static int rd_time_or_zero(const kz_rd *r, const json_t *o, const char *key, kz_time *out)
{
    return kz__sync_rd_int(r, o, key, 0, KZ_SYNC_TIME_MAX, out);
}

/* The array at key, at most max entries, each element allocated. */
static int rd_array(const kz_rd *r, const json_t *o, const char *key, size_t elem, void **out,
                    size_t *n)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    *n = 0;
    if (!json_is_array(v))
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "must be an array");
    size_t k = json_array_size(v);
    if (k > CASE_MAX_ROWS)
        return kz__sync_rd_fail(r, KZ_E_INVALID, key, "has %zu entries, at most %d", k,
                                CASE_MAX_ROWS);
    if (k && !(*out = kz_arena_alloc(r->a, k * elem)))
        return kz_fail(r->err, KZ_E_NOMEM, "", "out of memory");
    if (k)
        memset(*out, 0, k * elem);
    *n = k;
    return KZ_OK;
}

static int read_case_fields(kz_rd *r, const json_t *o, kz_case *c, bool summary)
{
    static const char *const keys[] = {
        "acknowledged_at", "category", "closed_at", "contained_at", "created",  "description",
        "drill",           "id",       "lead_org",  "modified",     "pap",      "resolved_at",
        "severity",        "status",   "subtype",   "tlp",          "title"};
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    int x;
    int64_t n64;
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "id", 0, c->id);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "title", KZ_MAX_TITLE, KZ_RD_NONEMPTY, &c->title);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "description", KZ_MAX_TEXT, KZ_RD_NULLABLE, &c->description);
    if (!rc && summary && c->description)
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "description", "must be null in a summary");
    if (!rc && !(rc = kz__sync_rd_int(r, o, "severity", KZ_CASE_SEVERITY_MIN,
                                      KZ_CASE_SEVERITY_MAX, &n64)))
        c->severity = (int)n64;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "tlp", 0, kz_tlp_parse, tlp_name, TLP_CHOICES, &x)))
        c->tlp = (kz_tlp)x;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "pap", 0, kz_pap_parse, pap_name,
                                       "clear, green, amber, red", &x)))
        c->pap = (kz_pap)x;
    if (!rc)
        rc = kz__sync_rd_str(r, o, "category", KZ_MAX_NAME, KZ_RD_NONEMPTY, &c->category);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "subtype", KZ_MAX_NAME, KZ_RD_NONEMPTY, &c->subtype);
    if (!rc) {
        kz_err e = {0};
        if (kz_rsit_valid(c->category, c->subtype, &e) != 0)
            rc = kz__sync_rd_fail(r, KZ_E_INVALID, "subtype", "is not an RSIT type of the category");
    }
    if (!rc && !(rc = kz__sync_rd_name(r, o, "status", 0, kz_case_status_parse, status_name,
                                       STATUS_CHOICES, &x)))
        c->status = (kz_case_status)x;
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "lead_org", 0, c->lead_org);
    if (!rc)
        rc = kz__sync_rd_bool(r, o, "drill", &c->drill);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &c->created);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "modified", &c->modified);
    if (!rc)
        rc = rd_time_or_zero(r, o, "acknowledged_at", &c->acknowledged_at);
    if (!rc)
        rc = rd_time_or_zero(r, o, "contained_at", &c->contained_at);
    if (!rc)
        rc = rd_time_or_zero(r, o, "resolved_at", &c->resolved_at);
    if (!rc)
        rc = rd_time_or_zero(r, o, "closed_at", &c->closed_at);
    return rc;
}

static int read_participant(kz_rd *r, const json_t *o, kz_case_participant *p)
{
    static const char *const keys[] = {"answered_at", "answered_by", "invited_at",
                                       "invited_by",  "org_id",      "state"};
    int x;
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", 0, p->org_id);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "state", 0, kz_participation_parse, part_name,
                                       "invited, accepted, declined", &x)))
        p->state = (kz_participation)x;
    if (!rc)
        rc = rd_time_or_zero(r, o, "invited_at", &p->invited_at);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "invited_by", KZ_RD_NULLABLE, p->invited_by);
    if (!rc)
        rc = rd_time_or_zero(r, o, "answered_at", &p->answered_at);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "answered_by", KZ_RD_NULLABLE, p->answered_by);
    return rc;
}

static int read_task(kz_rd *r, const json_t *o, const char *case_id, kz_case_task *t)
{
    static const char *const keys[] = {"created", "created_by", "description", "due",
                                       "id",      "modified",   "org_id",      "status",
                                       "title",   "user_id"};
    int x;
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    snprintf(t->case_id, sizeof t->case_id, "%s", case_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "id", 0, t->id);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "title", KZ_MAX_TITLE, KZ_RD_NONEMPTY, &t->title);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "description", KZ_MAX_TEXT, KZ_RD_NULLABLE, &t->description);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", 0, t->org_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "user_id", KZ_RD_NULLABLE, t->user_id);
    if (!rc)
        rc = rd_time_or_zero(r, o, "due", &t->due);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "status", 0, kz_task_status_parse, task_name,
                                       "waiting, in_progress, done, cancelled", &x)))
        t->status = (kz_task_status)x;
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "created_by", KZ_RD_NULLABLE, t->created_by);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &t->created);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "modified", &t->modified);
    return rc;
}

static int read_observable(kz_rd *r, const json_t *o, const char *case_id, kz_case_observable *x)
{
    static const char *const keys[] = {"added",  "comment", "id",      "indicator_id",
                                       "org_id", "type",    "user_id", "value"};
    int t;
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    snprintf(x->case_id, sizeof x->case_id, "%s", case_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "id", 0, x->id);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "type", 0, kz_ioc_type_parse, ioc_name,
                                       "an indicator type such as ipv4, domain, url", &t)))
        x->type = (kz_ioc_type)t;
    if (!rc)
        rc = kz__sync_rd_str(r, o, "value", KZ_MAX_VALUE, KZ_RD_NONEMPTY, &x->value);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "comment", KZ_MAX_TEXT, KZ_RD_NULLABLE, &x->comment);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", KZ_RD_NULLABLE, x->org_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "user_id", KZ_RD_NULLABLE, x->user_id);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "added", &x->added);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "indicator_id", KZ_RD_NULLABLE, x->indicator_id);
    return rc;
}

static int read_entry(kz_rd *r, const json_t *o, const char *case_id, kz_case_entry *e)
{
    static const char *const keys[] = {"at", "corrects", "id", "kind", "org_id", "text", "tlp",
                                       "user_id"};
    int x;
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    snprintf(e->case_id, sizeof e->case_id, "%s", case_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "id", 0, e->id);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "kind", 0, kz_entry_kind_parse, entry_name,
                                       "comment, action, correction", &x)))
        e->kind = (kz_entry_kind)x;
    if (!rc)
        rc = kz__sync_rd_str(r, o, "text", KZ_MAX_TEXT + 4096, KZ_RD_NONEMPTY, &e->text);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "corrects", KZ_RD_NULLABLE, e->corrects);
    if (!rc && (e->kind == KZ_ENTRY_CORRECTION) != (e->corrects[0] != '\0'))
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "corrects", "is required exactly for a correction");
    if (!rc)
        rc = kz__sync_rd_name(r, o, "tlp", KZ_RD_NULLABLE, kz_tlp_parse, tlp_name, TLP_CHOICES,
                              &e->tlp);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", KZ_RD_NULLABLE, e->org_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "user_id", KZ_RD_NULLABLE, e->user_id);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "at", &e->at);
    return rc;
}

static int read_transition(kz_rd *r, const json_t *o, kz_case_transition *t)
{
    static const char *const keys[] = {"at", "from", "note", "org_id", "reopen", "to", "user_id"};
    int x;
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc && !(rc = kz__sync_rd_name(r, o, "from", 0, kz_case_status_parse, status_name,
                                       STATUS_CHOICES, &x)))
        t->from = (kz_case_status)x;
    if (!rc && !(rc = kz__sync_rd_name(r, o, "to", 0, kz_case_status_parse, status_name,
                                       STATUS_CHOICES, &x)))
        t->to = (kz_case_status)x;
    if (!rc)
        rc = kz__sync_rd_bool(r, o, "reopen", &t->reopen);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "note", KZ_MAX_TEXT, KZ_RD_NULLABLE, &t->note);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", KZ_RD_NULLABLE, t->org_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "user_id", KZ_RD_NULLABLE, t->user_id);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "at", &t->at);
    return rc;
}

static int read_inject(kz_rd *r, const json_t *o, const char *case_id, kz_case_inject *x)
{
    static const char *const keys[] = {"at", "created", "created_by", "delivered_at", "id",
                                       "text"};
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    snprintf(x->case_id, sizeof x->case_id, "%s", case_id);
    x->delivered = true;
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "id", 0, x->id);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "at", &x->at);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "text", KZ_MAX_TEXT, KZ_RD_NONEMPTY, &x->text);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "delivered_at", &x->delivered_at);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "created_by", KZ_RD_NULLABLE, x->created_by);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &x->created);
    return rc;
}

/* What became of one of the audience's actions (the home node's word). */
static int read_result(kz_rd *r, const json_t *o, kz_case_action_result *x)
{
    static const char *const keys[] = {"id", "note", "state"};
    char *state = NULL;
    int rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "id", 0, x->id);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "state", 16, 0, &state);
    if (!rc && strcmp(state, "applied") != 0 && strcmp(state, "refused") != 0)
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "actions", "state must be applied or refused");
    if (!rc)
        x->state = !strcmp(state, "refused") ? "refused" : "applied";
    if (!rc)
        rc = kz__sync_rd_str(r, o, "note", 1024, KZ_RD_NULLABLE, &x->note);
    return rc;
}

int kz__sync_read_case(kz_rd *r, const json_t *o, kz_sync_object *obj)
{
    static const char *const keys[] = {"actions",     "audience",     "case",  "injects",
                                       "links",       "observables", "participants", "tasks",
                                       "timeline",    "transitions", "view"};
    kz_case_snapshot *s = &obj->case_snap;
    kz_case *c = &s->c;
    memset(s, 0, sizeof *s);
    r->what = "case";
    const json_t *jc = json_object_get(o, "case");
    int rc = json_is_object(jc) ? kz__sync_rd_uuid(r, jc, "id", 0, c->id) : 0;
    r->id = c->id;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), "actions");
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "audience", 0, obj->audience);
    char *view = NULL;
    if (!rc)
        rc = kz__sync_rd_str(r, o, "view", 16, 0, &view);
    if (!rc && strcmp(view, "summary") != 0 && strcmp(view, "full") != 0)
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "view", "must be summary or full");
    if (rc)
        return rc;
    s->summary = !strcmp(view, "summary");
    if ((rc = read_case_fields(r, jc, c, s->summary)))
        return rc;

    void *v;
    size_t n;
    const json_t *arr;
    size_t i;
    if ((rc = rd_array(r, o, "participants", sizeof *c->participants, &v, &n)))
        return rc;
    c->participants = v, c->n_participants = n;
    arr = json_object_get(o, "participants");
    for (i = 0; i < n && v; i++) {
        if ((rc = read_participant(r, json_array_get(arr, i), &c->participants[i])))
            return rc;
        if (!strcmp(c->participants[i].org_id, c->lead_org))
            return kz__sync_rd_fail(r, KZ_E_INVALID, "participants", "names the lead org");
        for (size_t k = 0; k < i; k++)
            if (!strcmp(c->participants[k].org_id, c->participants[i].org_id))
                return kz__sync_rd_fail(r, KZ_E_INVALID, "participants", "names org %s twice",
                                        c->participants[i].org_id);
    }
    const json_t *links = json_object_get(o, "links");
    static const char *const lkeys[] = {"events", "indicators", "sightings"};
    if ((rc = kz__sync_rd_keys(r, links, lkeys, 3, NULL)) ||
        (rc = kz__sync_rd_uuid_list(r, links, "events", KZ_MAX_IDS, &c->events)) ||
        (rc = kz__sync_rd_uuid_list(r, links, "indicators", KZ_MAX_IDS, &c->indicators)) ||
        (rc = kz__sync_rd_uuid_list(r, links, "sightings", KZ_MAX_IDS, &c->sightings)))
        return rc;

    if ((rc = rd_array(r, o, "tasks", sizeof *s->tasks, &v, &n)))
        return rc;
    s->tasks = v, s->n_tasks = n;
    arr = json_object_get(o, "tasks");
    for (i = 0; i < n && v; i++)
        if ((rc = read_task(r, json_array_get(arr, i), c->id, &s->tasks[i])))
            return rc;
    if ((rc = rd_array(r, o, "observables", sizeof *s->observables, &v, &n)))
        return rc;
    s->observables = v, s->n_observables = n;
    arr = json_object_get(o, "observables");
    for (i = 0; i < n && v; i++)
        if ((rc = read_observable(r, json_array_get(arr, i), c->id, &s->observables[i])))
            return rc;
    if ((rc = rd_array(r, o, "timeline", sizeof *s->entries, &v, &n)))
        return rc;
    s->entries = v, s->n_entries = n;
    arr = json_object_get(o, "timeline");
    for (i = 0; i < n && v; i++)
        if ((rc = read_entry(r, json_array_get(arr, i), c->id, &s->entries[i])))
            return rc;
    if ((rc = rd_array(r, o, "transitions", sizeof *s->transitions, &v, &n)))
        return rc;
    s->transitions = v, s->n_transitions = n;
    arr = json_object_get(o, "transitions");
    for (i = 0; i < n && v; i++)
        if ((rc = read_transition(r, json_array_get(arr, i), &s->transitions[i])))
            return rc;
    if ((rc = rd_array(r, o, "injects", sizeof *s->injects, &v, &n)))
        return rc;
    s->injects = v, s->n_injects = n;
    arr = json_object_get(o, "injects");
    for (i = 0; i < n && v; i++)
        if ((rc = read_inject(r, json_array_get(arr, i), c->id, &s->injects[i])))
            return rc;
    v = NULL, n = 0; /* "actions" is left out when there is nothing to say */
    if (json_object_get(o, "actions") &&
        (rc = rd_array(r, o, "actions", sizeof *s->results, &v, &n)))
        return rc;
    if (n > KZ_CASE_RESULTS_MAX)
        return kz__sync_rd_fail(r, KZ_E_INVALID, "actions", "more than %d action results",
                                KZ_CASE_RESULTS_MAX);
    s->results = v, s->n_results = n;
    arr = json_object_get(o, "actions");
    for (i = 0; i < n && v; i++)
        if ((rc = read_result(r, json_array_get(arr, i), &s->results[i])))
            return rc;
    /* A summary is what an invited org needs to decide: nothing more (not
     * the response times either, as the API's summary). */
    if (s->summary && (s->n_tasks || s->n_observables || s->n_entries || s->n_transitions ||
                       s->n_injects || c->events.n || c->indicators.n || c->sightings.n ||
                       c->n_participants != 1 || strcmp(c->participants[0].org_id, obj->audience)))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "view",
                                "a summary carries only the audience's own invitation");
    if (s->summary && (c->acknowledged_at || c->contained_at || c->resolved_at || c->closed_at))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "view",
                                "a summary carries no response times");
    /* The whole case is for the lead and the orgs that accepted: a full
     * view for anyone else would hand its people what they may not see. */
    if (!s->summary && strcmp(obj->audience, c->lead_org) != 0) {
        bool accepted = false;
        for (i = 0; i < c->n_participants; i++)
            accepted |= !strcmp(c->participants[i].org_id, obj->audience) &&
                        c->participants[i].state == KZ_PART_ACCEPTED;
        if (!accepted)
            return kz__sync_rd_fail(r, KZ_E_INVALID, "view",
                                    "a full view is only for the lead or an org that accepted");
    }
    return KZ_OK;
}

/* ---- canonical bytes and the envelope ----------------------------------- */

int kz__sync_canon_json(const json_t *body, const char *what, kz_buf *out, kz_err *err)
{
    size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
    if (!n || kz_buf_reserve(out, n + 1))
        return kz_fail(err, KZ_E_NOMEM, "", "%s: cannot serialise", what);
    if (json_dumpb(body, out->p + out->len, n, JSON_COMPACT | JSON_SORT_KEYS) != n)
        return kz_fail(err, KZ_E_INTERNAL, "", "%s: serialisation changed size", what);
    out->len += n;
    return KZ_OK;
}

int kz_sync_canon_case(const char *audience, const kz_case_snapshot *s, kz_buf *out, kz_err *err)
{
    json_t *b = kz__sync_json_case(audience, s);
    if (!b)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    int rc = kz__sync_canon_json(b, "case", out, err);
    json_decref(b);
    return rc;
}

int kz_sync_envelope_case(const kz_node_identity *id, const char *audience,
                          const kz_case_snapshot *s, json_t **out, kz_err *err)
{
    *out = NULL;
    json_t *b = kz__sync_json_case(audience, s);
    if (!b)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    /* What a receiver would refuse is never signed: read it back first. */
    kz_arena a;
    kz_arena_init(&a);
    kz_sync_object chk;
    memset(&chk, 0, sizeof chk);
    kz_rd r = {&a, err, "case", s->c.id};
    int rc = kz__sync_read_case(&r, b, &chk);
    kz_arena_free(&a);
    kz_buf canon;
    kz_buf_init(&canon);
    if (!rc)
        rc = kz__sync_canon_json(b, "case", &canon, err);
    if (!rc)
        rc = kz__sync_wrap(id, KZ_SYNC_CASE, &canon, b, out, err);
    else
        json_decref(b);
    kz_buf_free(&canon);
    return rc;
}
