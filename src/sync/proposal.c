/* proposal.c — proposals (MISP's shadow attributes): how an org that did
 * not create an event takes part in it without changing it.
 *
 * Only the creator org changes its objects, so everyone else proposes: a
 * new indicator, a change or the deletion of one. The proposal is stored
 * here and travels to the creator's node (feed.c); the creator org decides
 * there. Accepting applies the proposal as an ordinary indicator write of
 * the creator's own event, so it reaches every node as the creator's signed
 * event and nothing else has to be trusted.
 */
#include "sync.h"

#include <string.h>

static bool homed_here(kz_store *st, const char *org_id)
{
    uint8_t k[32];
    kz_err e = {0};
    return kz_store_org_key_get(st, org_id, k, NULL, NULL, &e) == KZ_E_NOTFOUND;
}

int kz_sync_proposal_create(kz_store *st, const char *org_id, const kz_event *ev, kz_proposal *p,
                            kz_arena *a, kz_err *err)
{
    if (strcmp(org_id, ev->creator_org) == 0)
        return kz_fail(err, KZ_E_CONFLICT, "", "your organisation created event %s"
                       ": change its indicators directly instead of proposing", ev->id);
    const char *act = p->action ? p->action : "";
    bool add = !strcmp(act, "add"), del = !strcmp(act, "delete");
    if (!add && !del && strcmp(act, "change") != 0)
        return kz_fail(err, KZ_E_VALUE, "action", "action '%.20s' is not add, change or delete",
                       act);
    if (!add) {
        kz_indicator ind;
        kz_err e = {0};
        int r = kz_uuid_valid(p->indicator_id)
                    ? kz_store_indicator_get(st, p->indicator_id, a, &ind, &e)
                    : KZ_E_NOTFOUND;
        if (r == KZ_E_NOTFOUND || (r == 0 && (ind.deleted || strcmp(ind.event_id, ev->id) != 0)))
            return kz_fail(err, KZ_E_VALUE, "indicator_id",
                           "indicator '%.64s' is not an indicator of event %s",
                           p->indicator_id, ev->id);
        if (r) {
            *err = e;
            return r;
        }
    } else if (p->indicator_id[0]) {
        return kz_fail(err, KZ_E_VALUE, "indicator_id",
                       "a proposal to add an indicator names no indicator_id");
    }
    if (del) {
        p->type = -1;
        p->value = NULL;
    } else {
        if (p->type < 0 || !kz_ioc_type_name((kz_ioc_type)p->type))
            return kz_fail(err, KZ_E_VALUE, "type", "a proposal to %s needs an indicator type",
                           act);
        if (!p->value || !*p->value)
            return kz_fail(err, KZ_E_VALUE, "value", "a proposal to %s needs a value", act);
        kz_buf norm;
        kz_buf_init(&norm);
        int r = kz_ioc_normalize((kz_ioc_type)p->type, p->value, strlen(p->value), &norm, err);
        if (!r && !(p->value = kz_arena_strndup(a, norm.p, norm.len)))
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        kz_buf_free(&norm);
        if (r) {
            snprintf(err->field, sizeof err->field, "value");
            return r;
        }
    }
    kz_uuid_v4(p->id);
    snprintf(p->event_id, sizeof p->event_id, "%s", ev->id);
    snprintf(p->creator_org, sizeof p->creator_org, "%s", ev->creator_org);
    snprintf(p->org_id, sizeof p->org_id, "%s", org_id);
    p->action = add ? "add" : del ? "delete" : "change";
    p->status = "open";
    p->created = kz_time_now();
    bool stored = false;
    return kz_store_proposal_put(st, p, &stored, err);
}

static int apply(kz_store *st, const kz_proposal *p, const kz_event *ev, kz_arena *a, kz_err *err)
{
    kz_time now = kz_time_now();
    if (!strcmp(p->action, "add")) {
        kz_indicator ind;
        memset(&ind, 0, sizeof ind);
        kz_uuid_v7(ind.id);
        snprintf(ind.event_id, sizeof ind.event_id, "%s", ev->id);
        ind.type = (kz_ioc_type)p->type;
        ind.value = p->value;
        ind.to_ids = p->to_ids;
        ind.comment = p->comment;
        ind.tlp = ind.distribution = -1;
        ind.created = ind.modified = now;
        return kz_store_indicators_add(st, ev->id, &ind, 1, err);
    }
    kz_indicator ind;
    kz_err e = {0};
    int r = kz_store_indicator_get(st, p->indicator_id, a, &ind, &e);
    if (r == KZ_E_NOTFOUND || (r == 0 && ind.deleted))
        return kz_fail(err, KZ_E_CONFLICT, "indicator_id",
                       "indicator %s is gone: discard the proposal", p->indicator_id);
    if (r) {
        *err = e;
        return r;
    }
    if (!strcmp(p->action, "delete"))
        return kz_store_indicator_delete(st, p->indicator_id, err);
    ind.type = (kz_ioc_type)p->type;
    ind.value = p->value;
    ind.to_ids = p->to_ids;
    if (p->comment)
        ind.comment = p->comment;
    ind.modified = now;
    return kz_store_indicator_update(st, &ind, err);
}

int kz_sync_proposal_decide(kz_store *st, const char *org_id, const char *proposal_id, bool accept,
                            kz_err *err)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_proposal p;
    kz_event ev;
    int r = kz_store_proposal_get(st, proposal_id, &a, &p, err);
    if (!r && strcmp(p.creator_org, org_id) != 0)
        r = kz_fail(err, KZ_E_FORBIDDEN, "", "only the creator org of event %s"
                    " decides its proposals", p.event_id);
    if (!r && !homed_here(st, p.creator_org))
        r = kz_fail(err, KZ_E_CONFLICT, "", "event %s is not homed on this node: "
                    "its creator decides on its own node", p.event_id);
    if (!r && strcmp(p.status, "open") != 0)
        r = kz_fail(err, KZ_E_CONFLICT, "status", "proposal %s was already %s",
                    p.id, p.status);
    if (!r)
        r = kz_store_event_get(st, p.event_id, false, &a, &ev, err);
    if (!r && !(r = kz_store_begin(st, err))) {
        if (accept)
            r = apply(st, &p, &ev, &a, err);
        if (!r)
            r = kz_store_proposal_decide(st, p.id, accept ? "accepted" : "discarded", err);
        if (r)
            kz_store_rollback(st);
        else
            r = kz_store_commit(st, err);
    }
    kz_arena_free(&a);
    return r;
}
