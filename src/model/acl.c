/* acl.c — the one access decision. Every egress path (REST, TAXII, MISP API,
 * exports, search, peer sync) asks these functions and filters on nothing of
 * its own, so that a rule changed here is changed everywhere.
 *
 * Two independent rules bind every object and both must allow access (the
 * stricter one wins): its TLP 2.0 label, which says which people may hear it,
 * and its MISP distribution, which says how far the node may carry it. An
 * unpublished object has not been released yet and stays in the creator org.
 *
 * No role bypasses TLP or distribution, not even the node admin: TLP binds
 * people, admins included. Running the node is not a reason to read TLP:RED
 * that was meant for others. Roles only narrow what a reader may do (edit,
 * publish) after the object rules have let them see it.
 *
 * Everything here is pure: no I/O, no globals, no allocation. Denials name the
 * rule in a static string for logs and tests; callers answer 404 regardless.
 */
#include "model.h"

#include <string.h>

static bool present(const char *s)
{
    return s && *s;
}

/* Ids are compared exactly (the store keeps them normalised); an empty or
 * missing id never matches anything, so a half-filled principal or object
 * fails closed. */
static bool same_id(const char *a, const char *b)
{
    return present(a) && present(b) && strcmp(a, b) == 0;
}

static bool list_has(const kz_strlist *l, const char *id)
{
    if (!l || !present(id))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (same_id(l->v[i], id))
            return true;
    return false;
}

static bool lists_meet(const kz_strlist *a, const kz_strlist *b)
{
    if (!a || !b)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (list_has(b, a->v[i]))
            return true;
    return false;
}

/* Is one of `mine` the object's community? A set community_id narrows it to
 * that one; otherwise any community the creator org is in counts. */
static bool reaches_community(const kz_strlist *mine, const kz_acl_object *o)
{
    if (present(o->community_id))
        return list_has(mine, o->community_id);
    return lists_meet(mine, o->creator_communities);
}

static bool tlp_valid(int t)
{
    return t >= KZ_TLP_CLEAR && t <= KZ_TLP_RED;
}

static bool dist_valid(int d)
{
    return d >= KZ_DIST_ORG && d <= KZ_DIST_SHARING_GROUP;
}

/* What the principal is to the object, computed once. */
typedef struct facts {
    bool same_org;     /* a member of the creator org */
    bool named_user;   /* the creator user or a TLP:RED recipient */
    bool named_org;    /* a TLP:AMBER recipient org */
    bool community;    /* in the object's community */
    bool connected;    /* in it or one hop further */
    bool group_member; /* in the sharing group */
} facts;

static facts facts_of(const kz_principal *who, const kz_acl_object *o)
{
    facts f;
    f.same_org = same_id(who->org_id, o->creator_org);
    f.named_user = same_id(who->user_id, o->creator_user) || list_has(o->recipient_users, who->user_id);
    f.named_org = list_has(o->recipient_orgs, who->org_id);
    f.community = reaches_community(&who->communities, o);
    f.connected = f.community || reaches_community(&who->connected_communities, o);
    f.group_member = list_has(o->sharing_group_orgs, who->org_id);
    return f;
}

/* The TLP rule: NULL when it allows, else why not. The creator org hears
 * everything but RED, which is for named people only. */
static const char *tlp_rule(const facts *f, int tlp)
{
    switch (tlp) {
    case KZ_TLP_CLEAR:
        return NULL;
    case KZ_TLP_GREEN:
        return f->same_org || f->community ? NULL : "tlp:green: not in the community";
    case KZ_TLP_AMBER:
        return f->same_org || f->named_org ? NULL : "tlp:amber: not the creator org or a named recipient org";
    case KZ_TLP_AMBER_STRICT:
        return f->same_org ? NULL : "tlp:amber+strict: creator org only";
    case KZ_TLP_RED:
        return f->named_user ? NULL : "tlp:red: not a named recipient";
    }
    return "tlp: unknown level";
}

/* The distribution rule; the creator org always satisfies it. */
static const char *dist_rule(const facts *f, int dist)
{
    if (!dist_valid(dist))
        return "distribution: unknown level";
    if (f->same_org)
        return NULL;
    switch (dist) {
    case KZ_DIST_ORG:
        return "distribution org: creator org only";
    case KZ_DIST_COMMUNITY:
        return f->community ? NULL : "distribution community: not in the community";
    case KZ_DIST_CONNECTED:
        return f->connected ? NULL : "distribution connected: not in a connected community";
    case KZ_DIST_ALL:
        return NULL;
    case KZ_DIST_SHARING_GROUP:
        return f->group_member ? NULL : "distribution sharing_group: not a member of the sharing group";
    }
    return "distribution: unknown level";
}

static bool role_edits(kz_role r)
{
    return r == KZ_ROLE_ADMIN || r == KZ_ROLE_ORG_ADMIN || r == KZ_ROLE_PUBLISHER || r == KZ_ROLE_ANALYST;
}

static bool role_publishes(kz_role r)
{
    return r == KZ_ROLE_ADMIN || r == KZ_ROLE_ORG_ADMIN || r == KZ_ROLE_PUBLISHER;
}

static const char *decide(const kz_principal *who, const kz_acl_object *o, kz_acl_action action)
{
    if (!who || !o)
        return "acl: no principal or object";
    facts f = facts_of(who, o);
    if (!o->published && !f.same_org)
        return "unpublished: creator org only";
    const char *no = tlp_rule(&f, (int)o->tlp);
    if (!no)
        no = dist_rule(&f, (int)o->distribution);
    if (no)
        return no;
    switch (action) {
    case KZ_ACL_VIEW:
        return NULL;
    case KZ_ACL_EDIT:
        if (!f.same_org)
            return "edit: creator org only";
        return role_edits(who->role) ? NULL : "edit: role may not edit events";
    case KZ_ACL_PUBLISH:
        if (!f.same_org)
            return "publish: creator org only";
        return role_publishes(who->role) ? NULL : "publish: role may not publish events";
    case KZ_ACL_EXPORT:
        /* RED is for named people, never for a file that travels on. */
        return o->tlp == KZ_TLP_RED ? "export: tlp:red never leaves in a bulk export" : NULL;
    }
    return "acl: unknown action";
}

bool kz_acl_allows(const kz_principal *who, const kz_acl_object *obj, kz_acl_action action, const char **why)
{
    const char *no = decide(who, obj, action);
    if (why)
        *why = no;
    return no == NULL;
}

bool kz_acl_indicator_allows(const kz_principal *who, const kz_acl_object *event, const kz_indicator *ind,
                             kz_acl_action action, const char **why)
{
    if (!ind) {
        if (why)
            *why = "acl: no indicator";
        return false;
    }
    if (!kz_acl_allows(who, event, action, why))
        return false;
    if ((ind->tlp != -1 && !tlp_valid(ind->tlp)) ||
        (ind->distribution != -1 && !dist_valid(ind->distribution))) {
        if (why)
            *why = "indicator: unknown tlp or distribution";
        return false;
    }
    /* The indicator's own rule, against the same creator, recipients and
     * groups as its event. */
    kz_acl_object own = *event;
    if (ind->tlp >= 0)
        own.tlp = (kz_tlp)ind->tlp;
    if (ind->distribution >= 0)
        own.distribution = (kz_distribution)ind->distribution;
    return kz_acl_allows(who, &own, action, why);
}

static const char *peer_decide(const kz_acl_peer *peer, const kz_acl_object *o)
{
    if (!peer || !o)
        return "acl: no peer or object";
    if (!o->published)
        return "unpublished: never sent to a peer";
    if (!tlp_valid((int)o->tlp))
        return "tlp: unknown level";
    if (!dist_valid((int)o->distribution))
        return "distribution: unknown level";
    if (o->tlp == KZ_TLP_RED)
        return "tlp:red: never sent to a peer";
    if ((int)o->tlp > (int)peer->tlp_ceiling)
        return "tlp: above the peer's ceiling";

    bool same_org = same_id(peer->org_id, o->creator_org);
    bool shares = same_org || reaches_community(peer->communities, o);
    switch (o->tlp) {
    case KZ_TLP_AMBER_STRICT:
        if (!same_org)
            return "tlp:amber+strict: peer is not the creator org";
        break;
    case KZ_TLP_AMBER:
        if (!same_org && !list_has(o->recipient_orgs, peer->org_id))
            return "tlp:amber: peer is not the creator org or a named recipient org";
        break;
    case KZ_TLP_GREEN:
        if (!shares)
            return "tlp:green: peer shares no community with the creator";
        break;
    default:
        break;
    }
    switch (o->distribution) {
    case KZ_DIST_ORG:
        return "distribution org: never leaves the node";
    case KZ_DIST_COMMUNITY:
        return shares ? NULL : "distribution community: peer shares no community with the creator";
    case KZ_DIST_CONNECTED:
        /* Peers carry no one-hop view; a connected community is reached
         * through the peers that share one. */
        return shares ? NULL : "distribution connected: peer shares no community with the creator";
    case KZ_DIST_ALL:
        return NULL;
    case KZ_DIST_SHARING_GROUP:
        return same_org || list_has(o->sharing_group_orgs, peer->org_id)
                   ? NULL
                   : "distribution sharing_group: peer org is not a member of the sharing group";
    }
    return "distribution: unknown level";
}

bool kz_acl_peer_allows(const kz_acl_peer *peer, const kz_acl_object *obj, const char **why)
{
    const char *no = peer_decide(peer, obj);
    if (why)
        *why = no;
    return no == NULL;
}

static const char *or_unknown(const char *name)
{
    return name ? name : "unknown";
}

int kz_acl_check_indicator_not_looser(const kz_event *ev, const kz_indicator *ind, kz_err *err)
{
    if (ind->tlp != -1) {
        if (!tlp_valid(ind->tlp))
            return kz_fail(err, KZ_E_VALUE, "tlp", "indicator tlp %d is not a TLP level", ind->tlp);
        if (ind->tlp < (int)ev->tlp)
            return kz_fail(
                err, KZ_E_VALUE, "tlp",
                "indicator tlp '%s' is looser than its event's '%s'; an indicator may only be stricter",
                kz_tlp_name((kz_tlp)ind->tlp), or_unknown(kz_tlp_name(ev->tlp)));
    }
    if (ind->distribution != -1) {
        if (!dist_valid(ind->distribution))
            return kz_fail(err, KZ_E_VALUE, "distribution",
                           "indicator distribution %d is not a distribution level", ind->distribution);
        if (!kz_distribution_no_wider((kz_distribution)ind->distribution, ev->distribution))
            return kz_fail(
                err, KZ_E_VALUE, "distribution",
                "indicator distribution '%s' reaches further than its event's '%s'; an indicator may "
                "only be stricter",
                kz_distribution_name((kz_distribution)ind->distribution),
                or_unknown(kz_distribution_name(ev->distribution)));
    }
    return 0;
}

bool kz_acl_can_manage_orgs(const kz_principal *who)
{
    return who && who->role == KZ_ROLE_ADMIN;
}

bool kz_acl_can_manage_users(const kz_principal *who, const char *org_id)
{
    if (!who)
        return false;
    if (who->role == KZ_ROLE_ADMIN)
        return true;
    return who->role == KZ_ROLE_ORG_ADMIN && same_id(who->org_id, org_id);
}

bool kz_acl_can_create_events(const kz_principal *who)
{
    return who && role_edits(who->role);
}
