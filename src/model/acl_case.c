/* acl_case.c — the access decision for cases, beside acl.c so there is
 * still one access module. A case is not shared by TLP and distribution
 * like an event: it is shared by invitation. Only the lead org and the orgs
 * that accepted see it; an invited org sees the summary it needs to decide;
 * a declined or uninvited org sees nothing, not even that it exists.
 *
 * TLP still applies inside: the case's TLP binds every participant for
 * what leaves the case, and an entry its author marked stricter than the
 * case at AMBER+STRICT or RED was shared with the coordinator only: it is
 * for the author's org and the lead org. Linked events and indicators keep
 * their own rules (the callers run them through kz_acl_allows).
 *
 * TLP:RED is for people (as in acl.c): a principal with no user, which is
 * how webhooks act for their org, is told nothing about a RED case, so a
 * RED case never leaves the node for a machine endpoint.
 *
 * No role bypasses this, not even the node admin (as in acl.c).
 */
#include "model.h"

#include <stdio.h>
#include <string.h>

static bool same(const char *a, const char *b) { return a && b && *a && !strcmp(a, b); }

static bool role_works(kz_role r)
{
    return r == KZ_ROLE_ADMIN || r == KZ_ROLE_ORG_ADMIN || r == KZ_ROLE_PUBLISHER ||
           r == KZ_ROLE_ANALYST;
}

kz_case_role kz_case_role_of(const kz_principal *who, const kz_case *c)
{
    if (!who || !c || who->role == KZ_ROLE_SYNC)
        return KZ_CASE_ROLE_NONE;
    if (same(who->org_id, c->lead_org))
        return KZ_CASE_ROLE_LEAD;
    for (size_t i = 0; i < c->n_participants; i++)
        if (same(who->org_id, c->participants[i].org_id)) {
            switch (c->participants[i].state) {
            case KZ_PART_ACCEPTED:
                return KZ_CASE_ROLE_PARTICIPANT;
            case KZ_PART_INVITED:
                return KZ_CASE_ROLE_INVITED;
            case KZ_PART_DECLINED:
                return KZ_CASE_ROLE_NONE;
            }
        }
    return KZ_CASE_ROLE_NONE;
}

static const char *decide(const kz_principal *who, const kz_case *c, kz_case_action a)
{
    kz_case_role cr = kz_case_role_of(who, c);
    if (cr == KZ_CASE_ROLE_NONE)
        return "case: not the lead org or a participant";
    if (c->tlp == KZ_TLP_RED && !who->user_id[0])
        return "case: tlp:red is for people, not for an org's machine (webhook)";
    switch (a) {
    case KZ_CASE_SUMMARY:
        return NULL;
    case KZ_CASE_VIEW:
        return cr == KZ_CASE_ROLE_INVITED ? "case: the invitation is not accepted yet" : NULL;
    case KZ_CASE_CONTRIBUTE:
        if (cr == KZ_CASE_ROLE_INVITED)
            return "case: the invitation is not accepted yet";
        return role_works(who->role) ? NULL : "case: role may only read";
    case KZ_CASE_MANAGE:
        if (cr != KZ_CASE_ROLE_LEAD)
            return "case: only the lead org manages the case";
        return role_works(who->role) ? NULL : "case: role may only read";
    case KZ_CASE_ANSWER:
        if (cr != KZ_CASE_ROLE_INVITED)
            return "case: only an invited org answers an invitation";
        return role_works(who->role) ? NULL : "case: role may not answer for the org";
    }
    return "case: unknown action";
}

bool kz_acl_case_allows(const kz_principal *who, const kz_case *c, kz_case_action action,
                        const char **why)
{
    const char *no = decide(who, c, action);
    if (why)
        *why = no;
    return no == NULL;
}

bool kz_acl_case_entry_allows(const kz_principal *who, const kz_case *c, const kz_case_entry *e,
                              const char **why)
{
    const char *no = decide(who, c, KZ_CASE_VIEW);
    if (!no && e->tlp > (int)c->tlp && e->tlp >= KZ_TLP_AMBER_STRICT &&
        !same(who->org_id, e->org_id) && !same(who->org_id, c->lead_org))
        no = e->tlp == KZ_TLP_RED
                 ? "entry: tlp:red for its author's org and the lead only"
                 : "entry: tlp:amber+strict for its author's org and the lead only";
    if (why)
        *why = no;
    return no == NULL;
}

int kz_acl_case_entry_admit(const kz_principal *who, const kz_case *c, const kz_case_entry *v,
                            size_t n, kz_case_entry *e, kz_err *err)
{
    if (e->tlp >= 0 && e->tlp < (int)c->tlp)
        return kz_fail(err, KZ_E_VALUE, "tlp",
                       "tlp: '%s' is looser than the case's '%s'; an entry may only be stricter",
                       kz_tlp_name((kz_tlp)e->tlp), kz_tlp_name(c->tlp));
    bool explicit_tlp = e->tlp >= 0;
    /* The author wrote under the case's TLP as it is now: the entry keeps
     * that marking if the lead later lowers the case's (a comment written
     * in a RED case stays RED, for its author's org and the lead). */
    if (!explicit_tlp)
        e->tlp = (int)c->tlp;
    if (e->kind != KZ_ENTRY_CORRECTION)
        return 0;
    /* A correction may not reveal that an entry the caller cannot see
     * exists, and restates what it corrects: at least as strict. */
    const kz_case_entry *old = NULL;
    for (size_t i = 0; i < n && !old; i++)
        if (same(v[i].id, e->corrects) && kz_acl_case_entry_allows(who, c, &v[i], NULL))
            old = &v[i];
    if (!old)
        return kz_fail(err, KZ_E_VALUE, "corrects",
                       "corrects: '%s' is not an entry of this case's timeline", e->corrects);
    if (old->tlp > e->tlp) {
        if (explicit_tlp)
            return kz_fail(err, KZ_E_VALUE, "tlp",
                           "tlp: '%s' is looser than the entry it corrects ('%s')",
                           kz_tlp_name((kz_tlp)e->tlp), kz_tlp_name((kz_tlp)old->tlp));
        e->tlp = old->tlp;
    }
    return 0;
}

bool kz_acl_case_inject_allows(const kz_principal *who, const kz_case *c, const kz_case_inject *inj)
{
    kz_case_role cr = kz_case_role_of(who, c);
    if (cr == KZ_CASE_ROLE_LEAD)
        return true;
    return cr == KZ_CASE_ROLE_PARTICIPANT && inj->delivered;
}

bool kz_acl_can_create_cases(const kz_principal *who) { return who && role_works(who->role); }

bool kz_acl_case_task_allows(const kz_principal *who, const kz_case *c, const kz_case_task *t,
                             const char **why)
{
    const char *no = decide(who, c, KZ_CASE_CONTRIBUTE);
    if (!no && !same(who->org_id, c->lead_org) && !same(who->org_id, t->org_id))
        no = "task: only the lead org or the assigned org changes it";
    if (why)
        *why = no;
    return no == NULL;
}

/* ---- cases and peer nodes ------------------------------------------------
 * A case travels to a node only as far as the same decision lets that
 * node's org see it: the peer stands for its org, as the people of that org
 * reading it here would (a reader: it may look, and what it does comes back
 * as actions checked again by the home node). A case above the peer's TLP
 * ceiling does not go at all; the peer's people are who a RED case is for,
 * so with a ceiling of red it may go. */
static kz_principal peer_principal(const kz_acl_peer *peer)
{
    kz_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.org_id, sizeof p.org_id, "%s", peer && peer->org_id ? peer->org_id : "");
    /* Not a machine with no user (that is a webhook): the org's people. */
    snprintf(p.user_id, sizeof p.user_id, "peer");
    p.role = KZ_ROLE_READONLY;
    return p;
}

bool kz_acl_case_peer_allows(const kz_acl_peer *peer, const kz_case *c, kz_case_action *level,
                             const char **why)
{
    const char *no = NULL;
    kz_principal p = peer_principal(peer);
    *level = KZ_CASE_SUMMARY;
    if (!peer || !c || !peer->org_id || !*peer->org_id)
        no = "case: no peer";
    else if ((int)c->tlp > (int)peer->tlp_ceiling)
        no = "case: tlp above the peer's ceiling";
    else if (!kz_acl_case_allows(&p, c, KZ_CASE_SUMMARY, &no))
        ; /* not the lead, not invited or accepted: nothing */
    else if (kz_acl_case_allows(&p, c, KZ_CASE_VIEW, NULL))
        *level = KZ_CASE_VIEW;
    if (why)
        *why = no;
    return no == NULL;
}

bool kz_acl_case_peer_entry_allows(const kz_acl_peer *peer, const kz_case *c,
                                   const kz_case_entry *e)
{
    kz_principal p = peer_principal(peer);
    /* The ceiling binds entries as it binds the case: an entry marked
     * above it (AMBER in a GREEN case, for a peer held to GREEN) stays
     * home, unless the peer's own org wrote it there. */
    if (e->tlp > (int)peer->tlp_ceiling && !same(peer->org_id, e->org_id))
        return false;
    return kz_acl_case_entry_allows(&p, c, e, NULL);
}

bool kz_acl_case_peer_inject_allows(const kz_acl_peer *peer, const kz_case *c,
                                    const kz_case_inject *inj)
{
    kz_principal p = peer_principal(peer);
    return kz_acl_case_inject_allows(&p, c, inj);
}
