/* apply_case_action.c — on a case's home node, applying what a participant
 * did on its own node (case_action.c tells the other half).
 *
 * The envelope is verified: its signer speaks for the acting org. Then the
 * action is checked as the home node's API would check a request of that
 * org's people — the same case ACL (answer, contribute, the task rule, the
 * entry rule for corrections), the same TLP rule for entries, the same
 * existence checks — and applied with the same store calls, recorded with
 * the acting org and user. Everything the store would refuse is checked
 * first: the batch is one transaction, and a refused action must not spoil
 * the rest of it. A refused action is logged and recorded as refused; an
 * action id seen before changes nothing.
 */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

/* Why the home ACL refuses x, or NULL when it may be applied. */
static const char *check(kz_store *st, const kz_sync_case_action *x, const kz_principal *who,
                         const kz_case *c, kz_arena *a, kz_case_task *task, kz_err *err, int *rc)
{
    const char *why = NULL;
    const char *act = x->action;
    *rc = 0;
    /* The user is the sending node's word, recorded as who did it: it may
     * not name one of another org's people here (the lead's, say). */
    if (x->user_id[0]) {
        kz_user u;
        kz_err ue = {0};
        int ur = kz_store_user_get(st, x->user_id, a, &u, &ue);
        if (ur == 0 && strcmp(u.org_id, x->org_id) != 0)
            return "user_id: a user of another org on this node";
        if (ur && ur != KZ_E_NOTFOUND) {
            *err = ue;
            *rc = ur;
            return "store";
        }
    }
    if (!strcmp(act, "accept") || !strcmp(act, "decline"))
        return kz_acl_case_allows(who, c, KZ_CASE_ANSWER, &why) ? NULL : why;
    if (!strcmp(act, "task_status")) {
        kz_err e = {0};
        if (kz_store_case_task_get(st, c->id, x->task_id, a, task, &e) != 0)
            return "task: no such task in this case";
        return kz_acl_case_task_allows(who, c, task, &why) ? NULL : why;
    }
    if (!kz_acl_case_allows(who, c, KZ_CASE_CONTRIBUTE, &why))
        return why;
    if (!strcmp(act, "comment") || !strcmp(act, "correction")) {
        /* The rule the API applies; the sending node resolved the TLP, so
         * it is explicit here (an action without one is refused). */
        if (x->tlp < 0)
            return "entry: no tlp";
        kz_case_entry e = {.kind = !strcmp(act, "correction") ? KZ_ENTRY_CORRECTION
                                                               : KZ_ENTRY_COMMENT,
                           .tlp = x->tlp};
        snprintf(e.corrects, sizeof e.corrects, "%s", x->corrects);
        kz_err why_err = {0};
        int ar = kz_store_case_entry_admit(st, who, c, &e, a, &why_err);
        if (ar == 0)
            return NULL;
        if (ar != KZ_E_VALUE) {
            *err = why_err;
            *rc = ar;
            return "store";
        }
        const char *why_text = kz_arena_strdup(a, why_err.msg);
        return why_text ? why_text : "entry: refused";
    }
    if (!strcmp(act, "observable")) {
        kz_case_observable *v = NULL;
        size_t n = 0;
        if ((*rc = kz_store_case_observables(st, c->id, a, &v, &n, err)))
            return "store";
        for (size_t i = 0; i < n; i++)
            if ((int)v[i].type == x->obs_type && !strcmp(v[i].value, x->value))
                return "observable: the case has it already";
        return NULL;
    }
    /* link: an object held here that the acting org may see by the event
     * rules, not linked yet */
    const kz_strlist *l = !strcmp(x->link_kind, "event")       ? &c->events
                          : !strcmp(x->link_kind, "indicator") ? &c->indicators
                                                               : &c->sightings;
    if (kz_strlist_has(l, x->object_id))
        return "link: linked already";
    kz_err e = {0};
    kz_uuid ind_id;
    const char *ev_id = x->object_id;
    kz_indicator ind;
    if (!strcmp(x->link_kind, "sighting")) {
        if (kz_store_case_sighting_indicator(st, x->object_id, ind_id, &e))
            return "link: no such object here";
        if (kz_store_indicator_get(st, ind_id, a, &ind, &e) || ind.deleted)
            return "link: no such object here";
        ev_id = ind.event_id;
    } else if (!strcmp(x->link_kind, "indicator")) {
        if (kz_store_indicator_get(st, x->object_id, a, &ind, &e) || ind.deleted)
            return "link: no such object here";
        ev_id = ind.event_id;
    }
    kz_event ev;
    kz_acl_object obj;
    kz_strlist communities = {0};
    if (kz_store_event_get(st, ev_id, false, a, &ev, &e))
        return "link: no such object here";
    if ((*rc = kz_store_org_communities(st, who->org_id, a, &communities, err)) ||
        (*rc = kz_store_acl_object_load(st, &ev, a, &obj, err)))
        return "store";
    kz_acl_peer ap = {.org_id = who->org_id, .communities = &communities,
                      .tlp_ceiling = KZ_TLP_RED};
    /* A RED object never leaves the node it is on, so no other org's node
     * could have named it: the peer rule says the same. */
    return kz_acl_peer_allows(&ap, &obj, &why) ? NULL : "link: the org may not see that object";
}

/* Applies x exactly as the API does for a local caller. */
static int run(kz_store *st, const kz_sync_case_action *x, const kz_case *c,
               const kz_case_task *task, kz_err *err)
{
    kz_time now = kz_time_now();
    const char *act = x->action;
    if (!strcmp(act, "accept") || !strcmp(act, "decline"))
        return kz_store_case_answer(st, c->id, x->org_id,
                                    act[0] == 'a' ? KZ_PART_ACCEPTED : KZ_PART_DECLINED,
                                    x->user_id, now, err);
    if (!strcmp(act, "comment") || !strcmp(act, "correction")) {
        kz_case_entry e = {.kind = act[0] == 'c' && act[1] == 'o' && act[2] == 'm'
                                       ? KZ_ENTRY_COMMENT
                                       : KZ_ENTRY_CORRECTION,
                           .tlp = x->tlp, .at = now};
        kz_uuid_v4(e.id);
        snprintf(e.case_id, sizeof e.case_id, "%s", c->id);
        snprintf(e.corrects, sizeof e.corrects, "%s", x->corrects);
        snprintf(e.org_id, sizeof e.org_id, "%s", x->org_id);
        snprintf(e.user_id, sizeof e.user_id, "%s", x->user_id);
        e.text = x->text;
        return kz_store_case_entry_add(st, &e, err);
    }
    if (!strcmp(act, "task_status")) {
        kz_case_task t = *task;
        t.status = (kz_task_status)x->status;
        char text[160];
        snprintf(text, sizeof text, "task %s: %s -> %s", t.id, kz_task_status_name(task->status),
                 kz_task_status_name(t.status));
        int r = kz_store_case_task_update(st, &t, err);
        if (r)
            return r;
        kz_case_entry e = {.kind = KZ_ENTRY_ACTION, .tlp = -1, .at = now};
        kz_uuid_v4(e.id);
        snprintf(e.case_id, sizeof e.case_id, "%s", c->id);
        snprintf(e.org_id, sizeof e.org_id, "%s", x->org_id);
        snprintf(e.user_id, sizeof e.user_id, "%s", x->user_id);
        e.text = text;
        return kz_store_case_entry_add(st, &e, err);
    }
    if (!strcmp(act, "observable")) {
        kz_case_observable o = {.type = (kz_ioc_type)x->obs_type, .added = now};
        kz_uuid_v4(o.id);
        snprintf(o.case_id, sizeof o.case_id, "%s", c->id);
        snprintf(o.org_id, sizeof o.org_id, "%s", x->org_id);
        snprintf(o.user_id, sizeof o.user_id, "%s", x->user_id);
        o.value = x->value;
        o.comment = x->comment;
        return kz_store_case_observable_put(st, &o, err);
    }
    return kz_store_case_link(st, c->id, x->link_kind, x->object_id, x->org_id, x->user_id, err);
}

int kz__sync_apply_case_action(kz_store *st, kz_sync_object *o, kz_arena *a,
                               kz_sync_apply_stats *stats, kz_err *err)
{
    const kz_sync_case_action *x = &o->case_action;
    kz_err e = {0};
    char *body = NULL, *state = NULL;
    int r = kz_store_case_action_get(st, x->id, a, &body, &state, NULL, &e);
    if (r == 0) { /* seen before (or our own outbox): nothing more */
        stats->unchanged++;
        return 0;
    }
    if (r != KZ_E_NOTFOUND) {
        *err = e;
        return r;
    }
    bool homed = false;
    kz_case c;
    r = kz_store_case_homed(st, x->case_id, &homed, &e);
    if (r == 0 && homed)
        r = kz_store_case_get(st, x->case_id, a, &c, &e);
    if (r == KZ_E_NOTFOUND || (r == 0 && (!homed || strcmp(c.lead_org, x->lead_org) != 0))) {
        kz_log(KZ_LOG_WARN, "sync: case action %s of org %s ignored: case %s is not homed here"
                            "%s", x->id, x->org_id, x->case_id,
               r == 0 && homed ? " for that lead org" : "");
        stats->unchanged++;
        return 0;
    }
    if (r) {
        *err = e;
        return r;
    }
    /* The acting org's people, as the home API would see them: they work
     * (their node checked the role); the ACL decides the rest. */
    kz_principal who;
    memset(&who, 0, sizeof who);
    snprintf(who.org_id, sizeof who.org_id, "%s", x->org_id);
    snprintf(who.user_id, sizeof who.user_id, "%s", x->user_id[0] ? x->user_id : "peer");
    who.role = KZ_ROLE_ANALYST;
    kz_case_task task;
    memset(&task, 0, sizeof task);
    const char *why = check(st, x, &who, &c, a, &task, err, &r);
    if (r)
        return r;
    char *text = json_dumps(json_object_get(o->raw, "body"), JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (why) {
        kz_log(KZ_LOG_WARN, "sync: case action %s (%s) of org %s on case %s refused: %s", x->id,
               x->action, x->org_id, x->case_id, why);
        r = kz_store_case_action_put(st, x->id, x->case_id, x->org_id, text, "refused", why, err);
        if (!r)
            stats->unchanged++;
    } else {
        r = run(st, x, &c, &task, err);
        if (!r)
            r = kz_store_case_action_put(st, x->id, x->case_id, x->org_id, text, "applied", NULL,
                                         err);
        if (!r)
            stats->case_actions++;
    }
    free(text);
    return r;
}
