/* feed_case.c — what a peer gets of a case: a snapshot cut for the peer's
 * org by the case ACL, and only from the case's home node.
 *
 * A case is shared by invitation, so the peer decision is the case one
 * (kz_acl_case_peer_allows, beside the event rule in the access module):
 * the lead or an invited or accepted participant, within the peer's TLP
 * ceiling. An invited org gets the summary it needs to decide; an accepted
 * one the case with every part its people may see — timeline entries one by
 * one (an entry stricter than the case at AMBER+STRICT or RED is for its
 * author's org and the lead only), delivered injects, links to objects the
 * peer may have by the event rules. A declined org gets one last summary
 * saying so (when it had the case), then nothing.
 *
 * Cases are never relayed: a node sends only the cases homed on it, to the
 * participants' own nodes, so a hub that is not a participant never holds
 * one. The envelope names its audience, and the receiver refuses a case cut
 * for another org.
 *
 * Participants' actions go the other way (kz__sync_feed_case_action): to
 * the case's home node, directly. What became of them comes back in the
 * snapshot cut for the acting org (its "actions"): an applied action
 * changed the case, a refused one sends the case again with the reason.
 */
#include "sync_int.h"

#include <sodium.h>
#include <string.h>

/* May the peer have this linked object, by the event rules? */
static bool object_allowed(kz_store *st, const kz_acl_peer *ap, const char *kind, const char *id,
                           kz_arena *a)
{
    kz_err e = {0};
    kz_uuid ind_id, ev_id;
    int tlp = -1;
    if (!strcmp(kind, "sighting")) {
        if (kz_store_case_sighting_indicator(st, id, ind_id, &e))
            return false;
        id = ind_id;
        kind = "indicator";
    }
    if (!strcmp(kind, "indicator")) {
        kz_indicator ind;
        if (kz_store_indicator_get(st, id, a, &ind, &e) || ind.deleted)
            return false;
        snprintf(ev_id, sizeof ev_id, "%s", ind.event_id);
        tlp = ind.tlp;
        id = ev_id;
    }
    kz_event ev;
    kz_acl_object obj;
    if (kz_store_event_get(st, id, false, a, &ev, &e) ||
        kz_store_acl_object_load(st, &ev, a, &obj, &e))
        return false;
    if (tlp > (int)obj.tlp)
        obj.tlp = (kz_tlp)tlp;
    return kz_acl_peer_allows(ap, &obj, NULL);
}

static int cut_links(kz_store *st, const kz_acl_peer *ap, const char *kind, kz_strlist *l,
                     kz_arena *a)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (object_allowed(st, ap, kind, l->v[i], a))
            l->v[k++] = l->v[i];
    l->n = k;
    return 0;
}

/* The case as the peer's org may hold it. */
static int cut(kz_store *st, const kz_acl_peer *ap, kz_case_action level, kz_case_snapshot *s,
               kz_arena *a, kz_err *err)
{
    kz_case *c = &s->c;
    s->summary = level != KZ_CASE_VIEW;
    /* What became of the org's own actions, in either view (an invited
     * org's answer is one). */
    int r = kz_store_case_action_results(st, c->id, ap->org_id, KZ_CASE_RESULTS_MAX, a,
                                         &s->results, &s->n_results, err);
    if (r)
        return r;
    if (s->summary) {
        /* The summary: the case fields (no description) and the org's
         * own invitation, nothing of the others. */
        kz_case_participant *own = NULL;
        for (size_t i = 0; i < c->n_participants && !own; i++)
            if (!strcmp(c->participants[i].org_id, ap->org_id))
                own = &c->participants[i];
        if (own) /* who at the lead's invited it is not in the API's summary either */
            own->invited_by[0] = own->answered_by[0] = '\0';
        c->participants = own;
        c->n_participants = own ? 1 : 0;
        c->description = NULL;
        c->events = c->indicators = c->sightings = (kz_strlist){0};
        /* Nor are the response times (kz_json_case): how fast the lead
         * acted is for those who took part. */
        c->acknowledged_at = c->contained_at = c->resolved_at = c->closed_at = 0;
        return 0;
    }
    r = kz_store_case_tasks(st, c->id, a, &s->tasks, &s->n_tasks, err);
    if (!r)
        r = kz_store_case_observables(st, c->id, a, &s->observables, &s->n_observables, err);
    if (!r)
        r = kz_store_case_entries(st, c->id, a, &s->entries, &s->n_entries, err);
    if (!r)
        r = kz_store_case_transitions(st, c->id, a, &s->transitions, &s->n_transitions, err);
    if (!r)
        r = kz_store_case_injects(st, c->id, a, &s->injects, &s->n_injects, err);
    if (r)
        return r;
    size_t k = 0;
    for (size_t i = 0; i < s->n_entries; i++)
        if (kz_acl_case_peer_entry_allows(ap, c, &s->entries[i]))
            s->entries[k++] = s->entries[i];
    s->n_entries = k;
    k = 0;
    for (size_t i = 0; i < s->n_injects; i++)
        if (s->injects[i].delivered && kz_acl_case_peer_inject_allows(ap, c, &s->injects[i]))
            s->injects[k++] = s->injects[i];
    s->n_injects = k;
    cut_links(st, ap, "event", &c->events, a);
    cut_links(st, ap, "indicator", &c->indicators, a);
    cut_links(st, ap, "sighting", &c->sightings, a);
    /* Where an observable became an indicator the peer may not have:
     * not named (the API says the same to such a participant). */
    for (size_t i = 0; i < s->n_observables; i++)
        if (s->observables[i].indicator_id[0] &&
            !object_allowed(st, ap, "indicator", s->observables[i].indicator_id, a))
            s->observables[i].indicator_id[0] = '\0';
    return 0;
}

int kz__sync_feed_case(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                       const kz_acl_peer *ap, const char *case_id, kz_arena *a, json_t **env,
                       bool *was_sent, kz_err *err)
{
    *env = NULL;
    *was_sent = false;
    kz_case_snapshot s;
    memset(&s, 0, sizeof s);
    kz_err e = {0};
    bool homed = false;
    int r = kz_store_case_homed(st, case_id, &homed, &e);
    if (r == KZ_E_NOTFOUND || (!r && !homed))
        return 0; /* gone, or a copy from its home node: never relayed */
    if (!r)
        r = kz_store_case_get(st, case_id, a, &s.c, &e);
    if (r) {
        *err = e;
        return r;
    }
    if (peer->filter_orgs.n && !kz_strlist_has(&peer->filter_orgs, s.c.lead_org))
        return 0;
    /* We sign for the lead org: a case created here for an org homed on
     * another node (the CLI's --org) cannot travel, its receivers would
     * refuse the batch. */
    uint8_t key[32];
    kz_err ignore = {0};
    if (kz_store_org_key_get(st, s.c.lead_org, key, NULL, NULL, &ignore) == 0) {
        kz_log(KZ_LOG_INFO, "sync: case %s not sent to peer %s: its lead org %s is homed on "
                            "another node", case_id, peer->name, s.c.lead_org);
        return 0;
    }
    kz_uuid had;
    int was = kz_store_sync_sent_get(st, peer->id, case_id, had, err);
    if (was != 0 && was != KZ_E_NOTFOUND)
        return was;
    kz_case_action level;
    const char *why = NULL;
    if (!kz_acl_case_peer_allows(ap, &s.c, &level, &why)) {
        bool declined = false;
        for (size_t i = 0; i < s.c.n_participants; i++)
            declined |= !strcmp(s.c.participants[i].org_id, ap->org_id) &&
                        s.c.participants[i].state == KZ_PART_DECLINED;
        if (!(was == 0 && declined))
            return 0;
        /* It had the invitation: one last summary records the answer
         * there (which hides the case from that org), then nothing. */
        level = KZ_CASE_SUMMARY;
    } else {
        *was_sent = true;
    }
    if ((r = cut(st, ap, level, &s, a, err)))
        return r;
    r = kz_sync_envelope_case(id, ap->org_id, &s, env, err);
    if (r == KZ_E_INVALID) {
        /* Something in the case that no receiver would take (a bound the
         * API keeps but another path did not): logged, and the rest of the
         * feed goes on rather than stalling on it. */
        kz_log(KZ_LOG_WARN, "sync: case %s not sent to peer %s: %s", case_id, peer->name,
               err->msg);
        memset(err, 0, sizeof *err);
        *was_sent = false;
        return 0;
    }
    return r;
}

int kz__sync_feed_case_action(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                              const char *action_id, json_t **env, kz_uuid recut, kz_err *err)
{
    *env = NULL;
    recut[0] = '\0';
    kz_arena a;
    kz_arena_init(&a);
    char *body = NULL, *state = NULL;
    kz_uuid case_id = "";
    kz_err e = {0};
    int r = kz_store_case_action_get(st, action_id, &a, &body, &state, case_id, &e);
    if (!r && strcmp(state, "outbox") != 0) {
        /* Received here and refused: the case goes again, with the
         * reason, to the acting org's node (the caller cuts it). */
        if (!strcmp(state, "refused"))
            memcpy(recut, case_id, sizeof(kz_uuid));
        kz_arena_free(&a);
        return 0;
    }
    if (r == KZ_E_NOTFOUND) {
        kz_arena_free(&a);
        return 0;
    }
    json_error_t je;
    json_t *j = r ? NULL : json_loads(body, JSON_REJECT_DUPLICATES, &je);
    kz_sync_case_action x;
    kz_rd rd = {&a, err, "case action", action_id};
    if (r)
        *err = e;
    else if (!j)
        r = kz_fail(err, KZ_E_DB, "", "case action %s: the stored body is not JSON", action_id);
    else
        r = kz__sync_read_case_action(&rd, j, &x);
    json_decref(j);
    if (r) {
        kz_arena_free(&a);
        return r;
    }
    /* Only to the lead's own node (never through a hub), and only for an
     * org this node speaks for. */
    uint8_t key[32];
    kz_err ignore = {0};
    bool to_home = kz_store_org_key_get(st, x.lead_org, key, NULL, NULL, &ignore) == 0 &&
                   sodium_memcmp(key, peer->public_key, 32) == 0;
    bool placeholder = true;
    bool ours = kz_store_org_key_get(st, x.org_id, key, NULL, NULL, &ignore) == KZ_E_NOTFOUND &&
                kz_store_org_placeholder(st, x.org_id, &placeholder, &ignore) == 0 &&
                !placeholder;
    if (to_home && ours)
        r = kz_sync_envelope_case_action(id, &x, env, err);
    kz_arena_free(&a);
    return r;
}
