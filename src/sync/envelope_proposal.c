/* envelope_proposal.c — the wire form of a proposal: what an org that did
 * not create an event suggests to its creator (an indicator to add, change
 * or delete). Signed by the proposer's node and checked like every other
 * envelope, so the creator's node knows which org proposed what; the
 * creator decides, and only its own signed event carries the result.
 */
#include "sync_int.h"

#include <inttypes.h>
#include <string.h>

static bool action_valid(const char *a)
{
    return a && (!strcmp(a, "add") || !strcmp(a, "change") || !strcmp(a, "delete"));
}

int kz_sync_canon_proposal(const kz_proposal *p, kz_buf *out, kz_err *err)
{
    kz_cw w = {out, err, "proposal", p->id, 0};
    bool add = p->action && !strcmp(p->action, "add");
    bool del = p->action && !strcmp(p->action, "delete");
    if (!action_valid(p->action))
        kz__sync_cw_fail(&w, KZ_E_INVALID, "action", "must be add, change or delete");
    else if (add == (p->indicator_id[0] != '\0'))
        kz__sync_cw_fail(&w, KZ_E_INVALID, "indicator_id", "is required exactly for change and "
                                                           "delete");
    else if (del != (p->value == NULL) || (!del && !kz_ioc_type_name((kz_ioc_type)p->type)))
        kz__sync_cw_fail(&w, KZ_E_INVALID, "value", "a type and value are required exactly for "
                                                    "add and change");
    kz__sync_cw_raw(&w, "{");
    kz__sync_cw_key(&w, true, "action");
    kz__sync_cw_str(&w, "action", p->action, 16, false);
    kz__sync_cw_key(&w, false, "comment");
    kz__sync_cw_str(&w, "comment", p->comment, KZ_MAX_TEXT, true);
    kz__sync_cw_key(&w, false, "created");
    kz__sync_cw_time(&w, "created", p->created);
    kz__sync_cw_key(&w, false, "creator_org");
    kz__sync_cw_uuid(&w, "creator_org", p->creator_org, false);
    kz__sync_cw_key(&w, false, "event_id");
    kz__sync_cw_uuid(&w, "event_id", p->event_id, false);
    kz__sync_cw_key(&w, false, "id");
    kz__sync_cw_uuid(&w, "id", p->id, false);
    kz__sync_cw_key(&w, false, "indicator_id");
    kz__sync_cw_uuid(&w, "indicator_id", p->indicator_id, true);
    kz__sync_cw_key(&w, false, "org_id");
    kz__sync_cw_uuid(&w, "org_id", p->org_id, false);
    kz__sync_cw_key(&w, false, "to_ids");
    kz__sync_cw_bool(&w, p->to_ids);
    kz__sync_cw_key(&w, false, "type");
    kz__sync_cw_name(&w, "type", del ? NULL : kz_ioc_type_name((kz_ioc_type)p->type), true);
    kz__sync_cw_key(&w, false, "value");
    kz__sync_cw_str(&w, "value", p->value, KZ_MAX_VALUE, true);
    kz__sync_cw_raw(&w, "}");
    return w.rc;
}

static const char *ioc_name(int x) { return kz_ioc_type_name((kz_ioc_type)x); }

int kz__sync_read_proposal(kz_rd *r, const json_t *o, kz_proposal *p)
{
    static const char *const keys[] = {"action", "comment", "created",      "creator_org",
                                       "event_id", "id",    "indicator_id", "org_id",
                                       "to_ids",   "type",  "value"};
    r->what = "proposal";
    memset(p, 0, sizeof *p);
    p->type = -1;
    int rc = json_is_object(o) ? kz__sync_rd_uuid(r, o, "id", 0, p->id) : 0;
    r->id = p->id;
    if (!rc)
        rc = kz__sync_rd_keys(r, o, keys, KZ_ARRAY_LEN(keys), NULL);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "action", 16, KZ_RD_NONEMPTY, &p->action);
    if (!rc && !action_valid(p->action))
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "action", "must be add, change or delete");
    if (!rc)
        rc = kz__sync_rd_str(r, o, "comment", KZ_MAX_TEXT, KZ_RD_NULLABLE, &p->comment);
    if (!rc)
        rc = kz__sync_rd_time(r, o, "created", &p->created);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "creator_org", 0, p->creator_org);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "event_id", 0, p->event_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "indicator_id", KZ_RD_NULLABLE, p->indicator_id);
    if (!rc)
        rc = kz__sync_rd_uuid(r, o, "org_id", 0, p->org_id);
    if (!rc)
        rc = kz__sync_rd_bool(r, o, "to_ids", &p->to_ids);
    if (!rc)
        rc = kz__sync_rd_name(r, o, "type", KZ_RD_NULLABLE, kz_ioc_type_parse, ioc_name,
                              "an indicator type such as ipv4, domain, url, sha256", &p->type);
    if (!rc)
        rc = kz__sync_rd_str(r, o, "value", KZ_MAX_VALUE, KZ_RD_NULLABLE, &p->value);
    if (rc)
        return rc;
    bool add = !strcmp(p->action, "add"), del = !strcmp(p->action, "delete");
    if (add == (p->indicator_id[0] != '\0'))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "indicator_id",
                                "is required exactly for change and delete");
    if (del != (p->value == NULL) || del != (p->type < 0))
        return kz__sync_rd_fail(r, KZ_E_INVALID, "value",
                                "a type and value are required exactly for add and change");
    if (del)
        return KZ_OK;
    /* The proposer's node normalised the value, as for indicators. */
    size_t n = strlen(p->value);
    kz_buf norm;
    kz_buf_init(&norm);
    kz_err e;
    kz_err_clear(&e);
    char q[72];
    kz__sync_quote(p->value, n, q);
    if (kz_ioc_normalize((kz_ioc_type)p->type, p->value, n, &norm, &e) != 0)
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "value", "%s", e.msg);
    else if (norm.len != n || memcmp(norm.p, p->value, n) != 0)
        rc = kz__sync_rd_fail(r, KZ_E_INVALID, "value", "'%s' is not in normal form", q);
    kz_buf_free(&norm);
    return rc;
}
