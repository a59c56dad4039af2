/* json_case.c — cases on the wire: the case itself, transitions,
 * invitations, links, tasks, timeline entries, drill injects, observables
 * and the response metrics. Parsing is as strict as for events: every
 * field is known, typed and bounded, and errors name it.
 */
#include "json_read.h"
#include "json_write.h"

#include <string.h>

#define KZ_STATUS_CHOICES "new, acknowledged, in_progress, contained, resolved, closed"
#define KZ_TASK_CHOICES "waiting, in_progress, done, cancelled"

static int rsit(const kz_jr *r, const kz_case *c)
{
    kz_err inner;
    kz_err_clear(&inner);
    if (kz_rsit_valid(c->category, c->subtype, &inner) == 0)
        return 0;
    return kz_fail(r->err, KZ_E_VALUE, inner.field, "%s", inner.msg);
}

static int tlp_field(const kz_jr *r, const char *k, const json_t *v, kz_tlp *out)
{
    int x;
    int rc = kz_jr_enum(r, k, v, kz_tlp_parse, KZ_JR_TLP_CHOICES, 0, &x);
    if (!rc)
        *out = (kz_tlp)x;
    return rc;
}

static int pap_field(const kz_jr *r, const char *k, const json_t *v, kz_pap *out)
{
    int x;
    int rc = kz_jr_enum(r, k, v, kz_pap_parse, KZ_JR_PAP_CHOICES, 0, &x);
    if (!rc)
        *out = (kz_pap)x;
    return rc;
}

/* Fields both create and PATCH take. 1 = not one of them. */
static int common_field(const kz_jr *r, const char *k, const json_t *v, kz_case *c)
{
    int64_t x;
    int rc;
    if (!strcmp(k, "title"))
        return kz_jr_string(r, k, v, KZ_MAX_TITLE, KZ_JR_NONEMPTY, &c->title);
    if (!strcmp(k, "description"))
        return kz_jr_string(r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                            &c->description);
    if (!strcmp(k, "severity")) {
        rc = kz_jr_int(r, k, v, KZ_CASE_SEVERITY_MIN, KZ_CASE_SEVERITY_MAX, &x);
        if (!rc)
            c->severity = (int)x;
        return rc;
    }
    if (!strcmp(k, "tlp"))
        return tlp_field(r, k, v, &c->tlp);
    if (!strcmp(k, "pap"))
        return pap_field(r, k, v, &c->pap);
    if (!strcmp(k, "category"))
        return kz_jr_string(r, k, v, 64, KZ_JR_NONEMPTY, &c->category);
    if (!strcmp(k, "subtype"))
        return kz_jr_string(r, k, v, 64, KZ_JR_NONEMPTY, &c->subtype);
    return 1;
}

/* Reads every member of object j with field(); a field() answer of 1
 * means "not one of mine", which is the unknown-field error. */
typedef int (*field_fn)(const kz_jr *r, const char *k, const json_t *v, void *out);

static int each_field(const kz_jr *r, const json_t *j, field_fn field, void *out)
{
    int rc = kz_jr_object(r, j);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
    {
        rc = field(r, k, v, out);
        if (rc == 1)
            rc = kz_jr_unknown(r, k);
        if (rc)
            return rc;
    }
    return 0;
}

static int create_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    kz_case *c = out;
    int rc = common_field(r, k, v, c);
    if (rc == 1 && !strcmp(k, "drill"))
        rc = kz_jr_bool(r, k, v, &c->drill);
    return rc;
}

int kz_json_case_parse(const json_t *j, kz_arena *a, kz_case *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    out->severity = 3;
    out->tlp = KZ_TLP_AMBER;
    out->pap = KZ_PAP_AMBER;
    out->status = KZ_CASE_NEW;
    int rc = each_field(&r, j, create_field, out);
    if (rc)
        return rc;
    if (!out->title)
        return kz_jr_missing(&r, "title");
    if (!out->category)
        return kz_jr_missing(&r, "category");
    if (!out->subtype)
        return kz_jr_missing(&r, "subtype");
    return rsit(&r, out);
}

static int patch_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    kz_case *c = out;
    int rc = common_field(r, k, v, c);
    if (rc != 1)
        return rc;
    if (!strcmp(k, "id") || !strcmp(k, "lead_org"))
        return kz_jr_keep_uuid(r, k, v, !strcmp(k, "id") ? c->id : c->lead_org);
    if (!strcmp(k, "created"))
        return kz_jr_keep_time(r, k, v, c->created);
    if (!strcmp(k, "drill"))
        return kz_jr_keep_bool(r, k, v, c->drill);
    if (!strcmp(k, "status")) {
        int x;
        rc = kz_jr_enum(r, k, v, kz_case_status_parse, KZ_STATUS_CHOICES, 0, &x);
        if (!rc && x != (int)c->status)
            rc = kz_fail(r->err, KZ_E_INVALID, "status",
                         "'status' cannot be changed here: POST /api/v1/cases/{id}/transition");
        return rc;
    }
    if (!strcmp(k, "modified") || !strcmp(k, "participants") || !strcmp(k, "links") ||
        !strcmp(k, "acknowledged_at") || !strcmp(k, "contained_at") ||
        !strcmp(k, "resolved_at") || !strcmp(k, "closed_at") || !strcmp(k, "creator_user") ||
        !strcmp(k, "participation"))
        return 0; /* server-set, ignored when sent back */
    return 1;
}

int kz_json_case_patch(const json_t *j, kz_arena *a, kz_case *c, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    int rc = each_field(&r, j, patch_field, c);
    return rc ? rc : rsit(&r, c);
}

int kz_json_case_transition_parse(const json_t *j, kz_arena *a, kz_case_transition *out,
                                  kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    bool has = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
    {
        if (!strcmp(k, "status")) {
            int x;
            rc = kz_jr_enum(&r, k, v, kz_case_status_parse, KZ_STATUS_CHOICES, 0, &x);
            out->to = (kz_case_status)x;
            has = true;
        } else if (!strcmp(k, "note")) {
            rc = kz_jr_string(&r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE, &out->note);
        } else {
            rc = kz_jr_unknown(&r, k);
        }
        if (rc)
            return rc;
    }
    return has ? 0 : kz_jr_missing(&r, "status");
}

/* The one uuid member of an invite or promote body; out is a kz_uuid. */
static int org_id_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    return strcmp(k, "org_id") ? 1 : kz_jr_uuid(r, k, v, 0, out);
}

static int event_id_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    return strcmp(k, "event_id") ? 1 : kz_jr_uuid(r, k, v, 0, out);
}

int kz_json_case_invite_parse(const json_t *j, kz_uuid org_id, kz_err *err)
{
    kz_jr r = {NULL, err, "", -1};
    org_id[0] = '\0';
    int rc = each_field(&r, j, org_id_field, org_id);
    if (rc)
        return rc;
    return org_id[0] ? 0 : kz_jr_missing(&r, "org_id");
}

int kz_json_case_promote_parse(const json_t *j, kz_uuid event_id, kz_err *err)
{
    kz_jr r = {NULL, err, "", -1};
    event_id[0] = '\0';
    int rc = each_field(&r, j, event_id_field, event_id);
    if (rc)
        return rc;
    return event_id[0] ? 0 : kz_jr_missing(&r, "event_id");
}

static int link_kind(const char *s)
{
    static const char *const K[] = {"event", "indicator", "sighting"};
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, K[i]))
            return i;
    return -1;
}

int kz_json_case_link_parse(const json_t *j, const char **kind, kz_uuid id, kz_err *err)
{
    static const char *const K[] = {"event", "indicator", "sighting"};
    kz_jr r = {NULL, err, "", -1};
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    *kind = NULL;
    bool has_id = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
    {
        if (!strcmp(k, "kind")) {
            int x;
            rc = kz_jr_enum(&r, k, v, link_kind, "event, indicator, sighting", 0, &x);
            if (!rc)
                *kind = K[x];
        } else if (!strcmp(k, "id")) {
            rc = kz_jr_uuid(&r, k, v, 0, id);
            has_id = true;
        } else {
            rc = kz_jr_unknown(&r, k);
        }
        if (rc)
            return rc;
    }
    if (!*kind)
        return kz_jr_missing(&r, "kind");
    return has_id ? 0 : kz_jr_missing(&r, "id");
}

/* ---- tasks ---------------------------------------------------------------------------------- */

static int task_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    kz_case_task *t = out;
    if (!strcmp(k, "title"))
        return kz_jr_string(r, k, v, KZ_MAX_TITLE, KZ_JR_NONEMPTY, &t->title);
    if (!strcmp(k, "description"))
        return kz_jr_string(r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                            &t->description);
    if (!strcmp(k, "org_id"))
        return kz_jr_uuid(r, k, v, 0, t->org_id);
    if (!strcmp(k, "user_id"))
        return kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, t->user_id);
    if (!strcmp(k, "due"))
        return kz_jr_time(r, k, v, &t->due);
    if (!strcmp(k, "status")) {
        int x;
        int rc = kz_jr_enum(r, k, v, kz_task_status_parse, KZ_TASK_CHOICES, 0, &x);
        if (!rc)
            t->status = (kz_task_status)x;
        return rc;
    }
    return 1;
}

int kz_json_case_task_parse(const json_t *j, kz_arena *a, kz_case_task *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    out->status = KZ_TASK_WAITING;
    int rc = each_field(&r, j, task_field, out);
    if (rc)
        return rc;
    if (!out->title)
        return kz_jr_missing(&r, "title");
    return out->org_id[0] ? 0 : kz_jr_missing(&r, "org_id");
}

static int task_patch_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    kz_case_task *t = out;
    int rc = task_field(r, k, v, t);
    if (rc != 1)
        return rc;
    if (!strcmp(k, "id") || !strcmp(k, "case_id"))
        return kz_jr_keep_uuid(r, k, v, !strcmp(k, "id") ? t->id : t->case_id);
    if (!strcmp(k, "created") || !strcmp(k, "modified") || !strcmp(k, "overdue") ||
        !strcmp(k, "created_by"))
        return 0; /* server-set, ignored when sent back */
    return 1;
}

int kz_json_case_task_patch(const json_t *j, kz_arena *a, kz_case_task *t, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    return each_field(&r, j, task_patch_field, t);
}

/* ---- timeline, injects, observables --------------------------------------------------------- */

static int user_entry_kind(const char *s)
{
    if (s && !strcmp(s, "comment"))
        return KZ_ENTRY_COMMENT;
    if (s && !strcmp(s, "correction"))
        return KZ_ENTRY_CORRECTION;
    return -1;
}

static int entry_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    kz_case_entry *e = out;
    int x, rc;
    if (!strcmp(k, "kind")) {
        rc = kz_jr_enum(r, k, v, user_entry_kind, "comment, correction", 0, &x);
        e->kind = rc ? e->kind : (kz_entry_kind)x;
        return rc;
    }
    if (!strcmp(k, "text"))
        return kz_jr_string(r, k, v, KZ_MAX_TEXT, KZ_JR_NONEMPTY | KZ_JR_MULTILINE, &e->text);
    if (!strcmp(k, "corrects"))
        return kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, e->corrects);
    if (!strcmp(k, "tlp")) {
        rc = kz_jr_enum(r, k, v, kz_tlp_parse, KZ_JR_TLP_CHOICES, KZ_JR_NULLABLE, &x);
        e->tlp = rc ? e->tlp : x;
        return rc;
    }
    return 1;
}

int kz_json_case_entry_parse(const json_t *j, kz_arena *a, kz_case_entry *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    out->kind = KZ_ENTRY_COMMENT;
    out->tlp = -1;
    int rc = each_field(&r, j, entry_field, out);
    if (rc)
        return rc;
    if (!out->text)
        return kz_jr_missing(&r, "text");
    if (out->kind == KZ_ENTRY_CORRECTION && !out->corrects[0])
        return kz_jr_missing(&r, "corrects");
    if (out->kind != KZ_ENTRY_CORRECTION && out->corrects[0])
        return kz_fail(err, KZ_E_VALUE, "corrects",
                       "corrects: only an entry of kind 'correction' corrects another");
    return 0;
}

static int inject_field(const kz_jr *r, const char *k, const json_t *v, void *out)
{
    kz_case_inject *x = out;
    if (!strcmp(k, "at"))
        return kz_jr_time(r, k, v, &x->at);
    if (!strcmp(k, "text"))
        return kz_jr_string(r, k, v, KZ_MAX_TEXT, KZ_JR_NONEMPTY | KZ_JR_MULTILINE, &x->text);
    return 1;
}

int kz_json_case_inject_parse(const json_t *j, kz_arena *a, kz_case_inject *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = each_field(&r, j, inject_field, out);
    if (rc)
        return rc;
    if (!out->at)
        return kz_jr_missing(&r, "at");
    return out->text ? 0 : kz_jr_missing(&r, "text");
}

int kz_json_case_observable_parse(const json_t *j, kz_arena *a, kz_case_observable *out,
                                  kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    char *type = NULL, *value = NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
    {
        if (!strcmp(k, "type"))
            rc = kz_jr_string(&r, k, v, 64, KZ_JR_NONEMPTY, &type);
        else if (!strcmp(k, "value"))
            rc = kz_jr_string(&r, k, v, KZ_MAX_VALUE, KZ_JR_NONEMPTY, &value);
        else if (!strcmp(k, "comment"))
            rc = kz_jr_string(&r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                              &out->comment);
        else
            rc = kz_jr_unknown(&r, k);
        if (rc)
            return rc;
    }
    if (!type)
        return kz_jr_missing(&r, "type");
    if (!value)
        return kz_jr_missing(&r, "value");
    int t = kz_ioc_type_resolve(type, value, strlen(value));
    if (t < 0) {
        char q[80];
        kz_jr_quote(type, strlen(type), q);
        return kz_fail(err, KZ_E_VALUE, "type", "type: '%s' is not an indicator type", q);
    }
    kz_buf norm;
    kz_buf_init(&norm);
    kz_err inner;
    kz_err_clear(&inner);
    rc = kz_ioc_normalize((kz_ioc_type)t, value, strlen(value), &norm, &inner);
    if (rc == 0) {
        out->type = (kz_ioc_type)t;
        out->value = kz_arena_strdup(a, norm.p ? norm.p : "");
        if (!out->value)
            rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    } else {
        rc = kz_jr_fail_from(&r, "value", -1, &inner);
    }
    kz_buf_free(&norm);
    return rc;
}

/* ---- writers -------------------------------------------------------------------------------- */

json_t *kz_json_case_participant(const kz_case_participant *p)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "org_id", p->org_id);
    bad |= kz_jw_ascii(j, "state", kz_participation_name(p->state));
    bad |= kz_jw_time(j, "invited_at", p->invited_at);
    bad |= kz_jw_uuid(j, "invited_by", p->invited_by);
    bad |= kz_jw_time(j, "answered_at", p->answered_at);
    bad |= kz_jw_uuid(j, "answered_by", p->answered_by);
    return kz_jw_done(j, bad);
}

json_t *kz_json_case(const kz_case *c, bool summary)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", c->id);
    bad |= kz_jw_str(j, "title", c->title);
    bad |= kz_jw_int(j, "severity", c->severity);
    bad |= kz_jw_ascii(j, "tlp", kz_tlp_name(c->tlp));
    bad |= kz_jw_ascii(j, "pap", kz_pap_name(c->pap));
    bad |= kz_jw_str(j, "category", c->category);
    bad |= kz_jw_str(j, "subtype", c->subtype);
    bad |= kz_jw_ascii(j, "status", kz_case_status_name(c->status));
    bad |= kz_jw_uuid(j, "lead_org", c->lead_org);
    bad |= kz_jw_bool(j, "drill", c->drill);
    bad |= kz_jw_time(j, "created", c->created);
    if (summary)
        return kz_jw_done(j, bad);
    bad |= kz_jw_str(j, "description", c->description);
    bad |= kz_jw_uuid(j, "creator_user", c->creator_user);
    bad |= kz_jw_time(j, "modified", c->modified);
    bad |= kz_jw_time(j, "acknowledged_at", c->acknowledged_at);
    bad |= kz_jw_time(j, "contained_at", c->contained_at);
    bad |= kz_jw_time(j, "resolved_at", c->resolved_at);
    bad |= kz_jw_time(j, "closed_at", c->closed_at);
    json_t *parts = json_array();
    for (size_t i = 0; parts && i < c->n_participants; i++)
        if (json_array_append_new(parts, kz_json_case_participant(&c->participants[i])) < 0)
            bad = 1;
    bad |= kz_jw_set(j, "participants", parts);
    json_t *links =
        json_pack("{s:o,s:o,s:o}", "events", kz_jw_strlist(&c->events), "indicators",
                  kz_jw_strlist(&c->indicators), "sightings", kz_jw_strlist(&c->sightings));
    bad |= kz_jw_set(j, "links", links);
    return kz_jw_done(j, bad);
}

json_t *kz_json_case_task(const kz_case_task *t, kz_time now)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", t->id);
    bad |= kz_jw_uuid(j, "case_id", t->case_id);
    bad |= kz_jw_str(j, "title", t->title);
    bad |= kz_jw_str(j, "description", t->description);
    bad |= kz_jw_uuid(j, "org_id", t->org_id);
    bad |= kz_jw_uuid(j, "user_id", t->user_id);
    bad |= kz_jw_time(j, "due", t->due);
    bad |= kz_jw_ascii(j, "status", kz_task_status_name(t->status));
    bad |= kz_jw_bool(j, "overdue", kz_case_task_overdue(t, now));
    bad |= kz_jw_uuid(j, "created_by", t->created_by);
    bad |= kz_jw_time(j, "created", t->created);
    bad |= kz_jw_time(j, "modified", t->modified);
    return kz_jw_done(j, bad);
}

json_t *kz_json_case_entry(const kz_case_entry *e)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", e->id);
    bad |= kz_jw_uuid(j, "case_id", e->case_id);
    bad |= kz_jw_ascii(j, "kind", kz_entry_kind_name(e->kind));
    bad |= kz_jw_str(j, "text", e->text);
    bad |= kz_jw_uuid(j, "corrects", e->corrects);
    bad |= e->tlp >= 0 ? kz_jw_ascii(j, "tlp", kz_tlp_name((kz_tlp)e->tlp))
                       : kz_jw_set(j, "tlp", json_null());
    bad |= kz_jw_uuid(j, "org_id", e->org_id);
    bad |= kz_jw_uuid(j, "user_id", e->user_id);
    bad |= kz_jw_time(j, "at", e->at);
    return kz_jw_done(j, bad);
}

json_t *kz_json_case_transition(const kz_case_transition *t)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_ascii(j, "from", kz_case_status_name(t->from));
    bad |= kz_jw_ascii(j, "to", kz_case_status_name(t->to));
    bad |= kz_jw_bool(j, "reopen", t->reopen);
    bad |= kz_jw_str(j, "note", t->note);
    bad |= kz_jw_uuid(j, "org_id", t->org_id);
    bad |= kz_jw_uuid(j, "user_id", t->user_id);
    bad |= kz_jw_time(j, "at", t->at);
    return kz_jw_done(j, bad);
}

json_t *kz_json_case_inject(const kz_case_inject *x)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", x->id);
    bad |= kz_jw_uuid(j, "case_id", x->case_id);
    bad |= kz_jw_time(j, "at", x->at);
    bad |= kz_jw_str(j, "text", x->text);
    bad |= kz_jw_bool(j, "delivered", x->delivered);
    bad |= kz_jw_time(j, "delivered_at", x->delivered_at);
    bad |= kz_jw_uuid(j, "created_by", x->created_by);
    bad |= kz_jw_time(j, "created", x->created);
    return kz_jw_done(j, bad);
}

json_t *kz_json_case_observable(const kz_case_observable *o)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", o->id);
    bad |= kz_jw_uuid(j, "case_id", o->case_id);
    bad |= kz_jw_ascii(j, "type", kz_ioc_type_name(o->type));
    bad |= kz_jw_str(j, "value", o->value);
    bad |= kz_jw_str(j, "comment", o->comment);
    bad |= kz_jw_uuid(j, "org_id", o->org_id);
    bad |= kz_jw_uuid(j, "user_id", o->user_id);
    bad |= kz_jw_time(j, "added", o->added);
    bad |= kz_jw_uuid(j, "indicator_id", o->indicator_id);
    bad |= kz_jw_bool(j, "promoted", o->indicator_id[0] != 0);
    return kz_jw_done(j, bad);
}

/* Seconds, rounded down; null when not reached. */
static json_t *secs(int64_t us) { return us < 0 ? json_null() : json_integer(us / 1000000); }

static json_t *mean(int64_t sum, size_t n)
{
    return n ? json_integer(sum / (int64_t)n / 1000000) : json_null();
}

json_t *kz_json_case_metrics(const kz_case_metrics *m, bool drill)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_bool(j, "drill", drill);
    bad |= kz_jw_int(j, "cases_total", (int64_t)m->n_cases);
    bad |= kz_jw_int(j, "cases_open", (int64_t)m->n_open);
    bad |= kz_jw_int(j, "overdue_tasks", (int64_t)m->overdue_tasks);
    json_t *sev = json_object();
    for (int s = KZ_CASE_SEVERITY_MIN; sev && s <= KZ_CASE_SEVERITY_MAX; s++) {
        char k[4];
        snprintf(k, sizeof k, "%d", s);
        bad |= kz_jw_int(sev, k, (int64_t)m->open_by_severity[s]);
    }
    bad |= kz_jw_set(j, "open_by_severity", sev);
    json_t *cty = json_object();
    for (size_t i = 0; cty && i < m->n_countries; i++)
        bad |= kz_jw_int(cty, m->countries[i].country[0] ? m->countries[i].country : "??",
                         (int64_t)m->countries[i].open);
    bad |= kz_jw_set(j, "open_by_country", cty);
    json_t *cases = json_array();
    for (size_t i = 0; cases && i < m->n_cases; i++) {
        const kz_case_timing *t = &m->cases[i];
        json_t *o = json_pack("{s:s,s:s?,s:s,s:i,s:s,s:b,s:o,s:o,s:o,s:I}", "id", t->c->id, "title",
                              t->c->title, "lead_org", t->c->lead_org, "severity", t->c->severity,
                              "status", kz_case_status_name(t->c->status), "drill", t->c->drill,
                              "time_to_acknowledge_s", secs(t->to_acknowledge), "time_to_contain_s",
                              secs(t->to_contain), "time_to_resolve_s", secs(t->to_resolve),
                              "overdue_tasks", (json_int_t)t->overdue_tasks);
        if (json_array_append_new(cases, o) < 0)
            bad = 1;
    }
    bad |= kz_jw_set(j, "cases", cases);
    json_t *orgs = json_array();
    for (size_t i = 0; orgs && i < m->n_orgs; i++) {
        const kz_case_org_metrics *o = &m->orgs[i];
        json_t *x = json_pack("{s:s,s:s?,s:s?,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "org_id", o->org_id,
                              "name", o->name, "country", o->country[0] ? o->country : NULL,
                              "cases_led", (json_int_t)o->led, "cases_participating",
                              (json_int_t)o->participating, "cases_open", (json_int_t)o->open,
                              "overdue_tasks", (json_int_t)o->overdue_tasks,
                              "mean_time_to_acknowledge_s", mean(o->sum_ack, o->n_ack),
                              "mean_time_to_contain_s", mean(o->sum_contain, o->n_contain),
                              "mean_time_to_resolve_s", mean(o->sum_resolve, o->n_resolve));
        if (json_array_append_new(orgs, x) < 0)
            bad = 1;
    }
    bad |= kz_jw_set(j, "orgs", orgs);
    return kz_jw_done(j, bad);
}
