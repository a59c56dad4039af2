/* case_action.c — participants work on a case from their own node.
 *
 * A case is changed only on its home node (the lead org's), like an event
 * only by its creator's. On another node a participant org's users call the
 * same API; it checks the same ACL against the copy held there, and instead
 * of writing, records a signed action in an outbox that travels to the
 * home node (feed_case.c). The home node checks the action against the
 * case ACL again, for the acting org, and applies it exactly as its own API
 * would, recorded with the acting org and user; the new state goes back as
 * the next snapshot. An action the home ACL refuses is refused there and
 * logged, never applied: a participant's node cannot do more through an
 * action than its people could do on the home node.
 */
#include "sync_int.h"

#include <string.h>

void kz_sync_case_home_name(kz_store *st, const kz_case *c, char *out, size_t n)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_peer p;
    kz_org o;
    kz_err e = {0};
    if (kz_store_peer_by_org(st, c->lead_org, &a, &p, &e) == 0)
        snprintf(out, n, "peer '%s' (%s)", p.name, p.url ? p.url : "offline");
    else if (kz_store_org_get(st, c->lead_org, &a, &o, &e) == 0)
        snprintf(out, n, "the node of %s (org %s)", o.name, c->lead_org);
    else
        snprintf(out, n, "the node of org %s", c->lead_org);
    kz_arena_free(&a);
}

bool kz_sync_case_is_copy(kz_store *st, const kz_case *c)
{
    bool homed = true;
    kz_err e = {0};
    return kz_store_case_homed(st, c->id, &homed, &e) == 0 && !homed;
}

int kz_sync_case_refuse_copy(kz_store *st, const kz_case *c, kz_err *err)
{
    char home[256];
    kz_sync_case_home_name(st, c, home, sizeof home);
    return kz_fail(err, KZ_E_CONFLICT, NULL,
                   "case '%s' is homed on the lead org's node, %s: only the lead manages it "
                   "there",
                   c->id, home);
}

void kz_sync_case_sent_message(kz_store *st, const kz_case *c, char *out, size_t n)
{
    char home[256];
    kz_sync_case_home_name(st, c, home, sizeof home);
    snprintf(out, n,
             "sent to the lead's node (%s); the case here changes once that node has applied it",
             home);
}

int kz_sync_case_action_submit(kz_store *st, const kz_principal *who, const kz_case *c,
                               kz_sync_case_action *x, kz_err *err)
{
    uint8_t key[32];
    kz_err ignore = {0};
    bool elsewhere = kz_store_org_key_get(st, who->org_id, key, NULL, NULL, &ignore) == 0;
    bool placeholder = false; /* known here by id only (a case named it) */
    int pr = kz_store_org_placeholder(st, who->org_id, &placeholder, err);
    if (pr)
        return pr;
    if (elsewhere || placeholder)
        return kz_fail(err, KZ_E_CONFLICT, NULL,
                       "your org %s is homed on another node: this node cannot sign for it, "
                       "act on your own node", who->org_id);
    /* Actions travel to the lead's node directly: with no peer for it
     * here, one would wait in the outbox for ever, so say so now. */
    kz_arena pa;
    kz_arena_init(&pa);
    kz_peer home;
    kz_err pe = {0};
    int hr = kz_store_peer_by_org(st, c->lead_org, &pa, &home, &pe);
    kz_arena_free(&pa);
    if (hr == KZ_E_NOTFOUND)
        return kz_fail(err, KZ_E_CONFLICT, NULL,
                       "case %s is homed on the node of its lead org %s, and this node has no "
                       "peer for that node: the operator adds one (kizuna peer add), then act "
                       "again",
                       c->id, c->lead_org);
    if (hr) {
        *err = pe;
        return hr;
    }
    kz_uuid_v4(x->id);
    snprintf(x->case_id, sizeof x->case_id, "%s", c->id);
    snprintf(x->lead_org, sizeof x->lead_org, "%s", c->lead_org);
    snprintf(x->org_id, sizeof x->org_id, "%s", who->org_id);
    snprintf(x->user_id, sizeof x->user_id, "%s", kz_uuid_valid(who->user_id) ? who->user_id : "");
    x->created = kz_time_now();
    /* Refuse here what the home node would refuse to read. */
    json_t *b = NULL;
    kz_buf canon;
    kz_buf_init(&canon);
    int rc = kz__sync_case_action_checked(x, &b, &canon, err);
    json_decref(b);
    if (!rc && kz_buf_putc(&canon, '\0'))
        rc = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!rc)
        rc = kz_store_case_action_put(st, x->id, c->id, who->org_id, canon.p, "outbox", NULL, err);
    kz_buf_free(&canon);
    return rc;
}
