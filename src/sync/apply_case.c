/* apply_case.c — taking in a case from its home node.
 *
 * The envelope has been verified (its signer speaks for the case's lead
 * org: only the home node sends a case). What is left to decide here:
 * - it must be cut for this node's org: a snapshot addressed to another org
 *   refuses the batch, since it may hold what this org must not see;
 * - a case homed here is never replaced by a copy (a node cannot be told
 *   about its own case), and a copy held for one lead is never taken over
 *   by an envelope naming another;
 * - the store applies it idempotently (kz_store_sync_case_put: newer wins
 *   for the mutable parts, the timeline and transitions only grow);
 * - the orgs it names exist here: an org this node does not know becomes a
 *   placeholder, replaced by its record when that arrives. Unlike an event
 *   creator's, such an org has no home key here, and an org with none
 *   counts as homed on this node; so the placeholder is recorded as one
 *   (kz_store_org_placeholder_put) and stays an org of unknown home: its
 *   own node's objects are introduced or skipped as before, never refused
 *   as forgeries of a local org, and this node never signs for it.
 * - the snapshot's "actions" settle this org's actions sent from here
 *   (applied, or refused with the home node's reason).
 * Case envelopes are not kept: cases are never relayed.
 */
#include "sync_int.h"

#include <string.h>

int kz__sync_apply_case(kz_store *st, const kz_node_identity *id, kz_sync_object *o,
                        kz_sync_apply_stats *stats, kz_err *err)
{
    kz_case_snapshot *s = &o->case_snap;
    if (strcmp(o->audience, id->org_id) != 0)
        return kz_fail(err, KZ_E_UNAUTH, "audience",
                       "case %s: cut for org %s, not for this node's org %s", s->c.id,
                       o->audience, id->org_id);
    kz_arena a;
    kz_arena_init(&a);
    kz_case cur;
    kz_err e = {0};
    bool homed = false;
    int r = kz_store_case_homed(st, s->c.id, &homed, &e);
    if (r == 0 && homed) {
        kz_log(KZ_LOG_WARN, "sync: case %s is homed on this node: a copy from org %s's node is "
                            "ignored", s->c.id, s->c.lead_org);
        stats->unchanged++;
        kz_arena_free(&a);
        return 0;
    }
    if (r == 0 && (r = kz_store_case_get(st, s->c.id, &a, &cur, err)) == 0 &&
        strcmp(cur.lead_org, s->c.lead_org) != 0)
        r = kz_fail(err, KZ_E_UNAUTH, "lead_org", "case %s: held here for lead org %s, refused "
                    "from %s", s->c.id, cur.lead_org, s->c.lead_org);
    else if (r == KZ_E_NOTFOUND)
        r = 0;
    else if (r && !err->msg[0])
        *err = e;
    kz_arena_free(&a);
    /* The lead is known (its key verified the envelope); the others may
     * not be: placeholders, which do not count as orgs homed here. */
    if (!r)
        r = kz_store_org_placeholder_put(st, s->c.lead_org, err);
    for (size_t i = 0; !r && i < s->c.n_participants; i++)
        r = kz_store_org_placeholder_put(st, s->c.participants[i].org_id, err);
    for (size_t i = 0; !r && i < s->n_tasks; i++)
        r = kz_store_org_placeholder_put(st, s->tasks[i].org_id, err);
    bool changed = false;
    if (!r)
        r = kz_store_sync_case_put(st, s, &changed, err);
    /* What the home node did with this org's actions, on those sent from
     * here and still waiting (GET /cases/{id}/actions shows it). */
    if (!r)
        r = kz_store_case_action_results_apply(st, s->c.id, o->audience, s->results,
                                               s->n_results, err);
    if (r)
        return r;
    if (changed)
        stats->cases++;
    else
        stats->unchanged++;
    return 0;
}
