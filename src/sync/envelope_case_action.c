/* envelope_case_action.c — the wire form of a participant's work on a case
 * homed on another node: accept or decline the invitation, a comment or a
 * correction, a task's status, an observable, a link. Signed by the
 * participant's node, which must speak for the acting org; the case's home
 * node checks it against the case ACL again before applying it.
 *
 * Every field is present in every action (null or -1 when the action does
 * not use it), and which ones are set must fit the action: a comment with
 * a task id is refused rather than half-understood.
 */
#include "sync_int.h"

#include <string.h>

static const char *const ACTIONS[] = {"accept",      "decline",    "comment", "correction",
                                      "task_status", "observable", "link"};

static const char *action_canon(const char *a)
{
    for (size_t i = 0; a && i < KZ_ARRAY_LEN(ACTIONS); i++)
        if (!strcmp(a, ACTIONS[i]))
            return ACTIONS[i];
    return NULL;
}

static const char *link_canon(const char *k)
{
    static const char *const kinds[] = {"event", "indicator", "sighting"};
    for (size_t i = 0; k && i < 3; i++)
        if (!strcmp(k, kinds[i]))
            return kinds[i];
    return NULL;
}

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *juuid(const char *s) { return s && *s ? json_string(s) : json_null(); }

json_t *kz__sync_json_case_action(const kz_sync_case_action *x)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "id", juuid(x->id));
    bad |= json_object_set_new(o, "case_id", juuid(x->case_id));
    bad |= json_object_set_new(o, "lead_org", juuid(x->lead_org));
    bad |= json_object_set_new(o, "org_id", juuid(x->org_id));
    bad |= json_object_set_new(o, "user_id", juuid(x->user_id));
    bad |= json_object_set_new(o, "action", jstr(x->action));
    bad |= json_object_set_new(o, "text", jstr(x->text));
    bad |= json_object_set_new(o, "corrects", juuid(x->corrects));
    bad |= json_object_set_new(o, "tlp", x->tlp >= 0 ? jstr(kz_tlp_name((kz_tlp)x->tlp))
                                                     : json_null());
    bad |= json_object_set_new(o, "task_id", juuid(x->task_id));
    bad |= json_object_set_new(
        o, "status", x->status >= 0 ? jstr(kz_task_status_name((kz_task_status)x->status))
                                    : json_null());
    bad |= json_object_set_new(o, "type", x->obs_type >= 0
                                              ? jstr(kz_ioc_type_name((kz_ioc_type)x->obs_type))
                                              : json_null());
    bad |= json_object_set_new(o, "value", jstr(x->value));
    bad |= json_object_set_new(o, "comment", jstr(x->comment));
    bad |= json_object_set_new(o, "link_kind", jstr(x->link_kind));
    bad |= json_object_set_new(o, "object_id", juuid(x->object_id));
    bad |= json_object_set_new(o, "created", json_integer((json_int_t)x->created));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *tlp_name(int x) { return kz_tlp_name((kz_tlp)x); }
static const char *task_name(int x) { return kz_task_status_name((kz_task_status)x); }
static const char *ioc_name(int x)
{
    return x >= 0 && x < KZ_IOC__COUNT ? kz_ioc_type_name((kz_ioc_type)x) : NULL;
}

int kz__sync_read_case_action(kz_rd *r, const json_t *o, kz_sync_case_action *x)
{
    static const char *const keys[] = {"action",    "case_id",   "comment", "corrects", "created",
                                       "id",        "lead_org",  "link_kind", "object_id",
                                       "org_id",    "status",    "task_id", "text",     "tlp",
                                       "type",      "user_id",   "value"};
    memset(x, 0, sizeof *x);
    r->what = "case action";
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "id", 0, x->id) : 0;
    r->id = x->id;
    char *action = NULL, *kind = NULL;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "case_id", 0, x->case_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "lead_org", 0, x->lead_org);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", 0, x->org_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "user_id", KZ_RD_NULLABLE, x->user_id);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "action", 16, 0, &action);
    if (!rc && !(x->action = action_canon(action)))
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "action",
                              "must be accept, decline, comment, correction, task_status, "
                              "observable or link");
    if (!rc)
        rc = kz__sync_rd_str(r, o, "text", KZ_MAX_TEXT, KZ_RD_NULLABLE | KZ_RD_NONEMPTY,
                             &x->text);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "corrects", KZ_RD_NULLABLE, x->corrects);
    if (!rc)
        rc = kz__sync_rd_name(r, o, "tlp", KZ_RD_NULLABLE, kz_tlp_parse, tlp_name,
                              "clear, green, amber, amber+strict, red", &x->tlp);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "task_id", KZ_RD_NULLABLE, x->task_id);
    if (!rc)
        rc = kz__sync_rd_name(r, o, "status", KZ_RD_NULLABLE, kz_task_status_parse, task_name,
                              "waiting, in_progress, done, cancelled", &x->status);
    if (!rc)
        rc = kz__sync_rd_name(r, o, "type", KZ_RD_NULLABLE, kz_ioc_type_parse, ioc_name,
                              "an indicator type such as ipv4, domain, url", &x->obs_type);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "value", KZ_MAX_VALUE, KZ_RD_NULLABLE, &x->value);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "comment", KZ_MAX_TEXT, KZ_RD_NULLABLE, &x->comment);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "link_kind", 16, KZ_RD_NULLABLE, &kind);
    if (!rc && kind && !(x->link_kind = link_canon(kind)))
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "link_kind", "must be event, indicator or sighting");
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "object_id", KZ_RD_NULLABLE, x->object_id);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &x->created);
    if (rc)
        return rc;
    /* The fields set must be exactly the action's. */
    const char *a = x->action;
    bool entry = !strcmp(a, "comment") || !strcmp(a, "correction");
    bool task = !strcmp(a, "task_status"), obs = !strcmp(a, "observable"),
         link = !strcmp(a, "link");
    if (entry != (x->text != NULL) || entry != (x->tlp >= 0))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "text", "text and tlp go exactly with a comment "
                                                         "or correction");
    if (!strcmp(a, "correction") != (x->corrects[0] != '\0'))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "corrects", "goes exactly with a correction");
    if (task != (x->task_id[0] != '\0') || task != (x->status >= 0))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "task_id",
                                "task_id and status go exactly with task_status");
    if (obs != (x->obs_type >= 0) || obs != (x->value != NULL) || (!obs && x->comment))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "value",
                                "type, value and comment go exactly with an observable");
    if (link != (x->link_kind != NULL) || link != (x->object_id[0] != '\0'))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "object_id",
                                "link_kind and object_id go exactly with a link");
    if (obs) {
        /* The participant's node normalised the value, as for observables. */
        size_t n = strlen(x->value);
        kz_buf norm;
        kz_buf_init(&norm);
        kz_err e = {0};
        if (kz_ioc_normalize((kz_ioc_type)x->obs_type, x->value, n, &norm, &e) != 0)
            rc = kz__sync_rd_fail(r, KZ_E_INVALID, "value", "%s", e.msg);
        else if (norm.len != n || memcmp(norm.p, x->value, n) != 0)
            rc = kz__sync_rd_fail(r, KZ_E_INVALID, "value", "is not in normal form");
        kz_buf_free(&norm);
    }
    return rc;
}

int kz_sync_canon_case_action(const kz_sync_case_action *x, kz_buf *out, kz_err *err)
{
    json_t *b = kz__sync_json_case_action(x);
    if (!b)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    int rc = kz__sync_canon_json(b, "case action", out, err);
    json_decref(b);
    return rc;
}

int kz__sync_case_action_checked(const kz_sync_case_action *x, json_t **body, kz_buf *canon,
                                 kz_err *err)
{
    *body = kz__sync_json_case_action(x);
    if (!*body)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    kz_arena a;
    kz_arena_init(&a);
    kz_sync_case_action chk;
    kz_rd r = {&a, err, "case action", x->id};
    int rc = kz__sync_read_case_action(&r, *body, &chk);
    kz_arena_free(&a);
    if (!rc)
        rc = kz__sync_canon_json(*body, "case action", canon, err);
    if (rc) {
        json_decref(*body);
        *body = NULL;
    }
    return rc;
}

int kz_sync_envelope_case_action(const kz_node_identity *id, const kz_sync_case_action *x,
                                 json_t **out, kz_err *err)
{
    *out = NULL;
    json_t *b = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz__sync_case_action_checked(x, &b, &canon, err);
    if (!rc)
        rc = kz__sync_wrap(id, KZ_SYNC_CASE_ACTION, &canon, b, out, err);
    kz_buf_free(&canon);
    return rc;
}
