/* feed.c — what one peer may receive: the next page of our change log,
 * turned into signed envelopes.
 *
 * The change log names objects, not contents, so each page folds repeats
 * (an event touched ten times is sent once, as it is now) and loads the
 * current state. Every decision goes through kz_acl_peer_allows, the same
 * access module the API uses, with the peer's org, its communities here and
 * its TLP ceiling; the peer's own filters come after.
 *
 * Local objects (their creator org is homed on this node) are signed here.
 * Objects received from elsewhere are relayed as the envelope we kept, so
 * the third node checks the creator's signature, never ours; that also
 * means a relayed event goes whole or not at all, since its signature
 * covers every indicator. Objects homed on the peer are never echoed back.
 *
 * sync_sent records which events went to the peer, so a deletion (or a
 * revocation, when a local event no longer passes the ACL) reaches exactly
 * the peers that could have had the object.
 *
 * A page stays below the page bytes (limits.c) because the receiver decodes
 * it whole: the object that would cross them starts the next page, and an
 * event heavier than a page goes alone. Proposals travel only towards the
 * creator of their event (feed_proposal).
 */
#include "sync_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define FEED_CHANGES 1000 /* change-log rows read per page */

typedef struct feed {
    kz_store *st;
    const kz_node_identity *id;
    const kz_peer *peer;
    kz_acl_peer ap;
    kz_arena *a;      /* page-long: the peer's communities, orgs sent */
    json_t *objects;
    kz_strlist orgs_sent; /* org envelopes already in this page */
    /* What went (object id, creator org pairs) and what was withdrawn, kept
     * here and written in one short transaction at the end, so building a
     * page never holds the write lock while it signs. */
    kz_strlist marks, clears;
    size_t indicators;
    size_t bytes; /* compact JSON of the objects so far: pages stay below the page bytes */
    kz_err *err;
} feed;

typedef enum { HOME_LOCAL, HOME_PEER, HOME_OTHER, HOME_UNKNOWN } home_kind;

/* Where an org lives: here (no key recorded and the org exists), on the
 * peer we are feeding, or on some third node. */
static int org_home(feed *f, const char *org_id, home_kind *out)
{
    uint8_t key[32];
    int r = kz_store_org_key_get(f->st, org_id, key, NULL, NULL, f->err);
    if (r == 0) {
        *out = sodium_memcmp(key, f->peer->public_key, 32) == 0 ? HOME_PEER : HOME_OTHER;
        return 0;
    }
    if (r != KZ_E_NOTFOUND)
        return r;
    kz_arena tmp;
    kz_arena_init(&tmp);
    kz_org o;
    kz_err e = {0};
    r = kz_store_org_get(f->st, org_id, &tmp, &o, &e);
    kz_arena_free(&tmp);
    if (r == KZ_E_NOTFOUND) {
        *out = HOME_UNKNOWN;
        return 0;
    }
    bool placeholder = false;
    if (!r)
        r = kz_store_org_placeholder(f->st, org_id, &placeholder, &e);
    if (r) {
        *f->err = e;
        return r;
    }
    /* A placeholder a received case named: known by id only, never ours */
    *out = placeholder ? HOME_UNKNOWN : HOME_LOCAL;
    return 0;
}

static int push_env(feed *f, json_t *env)
{
    f->bytes += json_dumpb(env, NULL, 0, JSON_COMPACT) + 1;
    if (json_array_append_new(f->objects, env))
        return kz_fail(f->err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

/* Appends the kept envelope of an object if it is of the wanted kind;
 * *found false when there is none. */
static int relay(feed *f, const char *object_id, const char *kind, bool *found)
{
    *found = false;
    kz_arena tmp;
    kz_arena_init(&tmp);
    char *k = NULL, *text = NULL;
    size_t len = 0;
    int64_t version = 0;
    int r = kz_store_envelope_get(f->st, object_id, &tmp, &k, &version, &text, &len, f->err);
    if (r == KZ_E_NOTFOUND) {
        kz_arena_free(&tmp);
        return 0;
    }
    if (!r && k && strcmp(k, kind) == 0) {
        json_error_t je;
        json_t *env = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!env)
            r = kz_fail(f->err, KZ_E_DB, "", "the kept envelope of '%.64s' is not JSON",
                        object_id);
        else if (!(r = push_env(f, env)))
            *found = true;
    }
    kz_arena_free(&tmp);
    return r;
}

static int mark_sent(feed *f, const char *object_id, const char *creator)
{
    if (kz_strlist_push(f->a, &f->marks, object_id) || kz_strlist_push(f->a, &f->marks, creator))
        return kz_fail(f->err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

static int clear_sent(feed *f, const char *object_id)
{
    if (kz_strlist_push(f->a, &f->clears, object_id))
        return kz_fail(f->err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

/* The org record, once per page and once per peer, so a creator, sharing
 * group member or sighting org exists when its objects arrive. */
static int send_org(feed *f, const char *org_id)
{
    if (!org_id || !*org_id || kz_strlist_has(&f->orgs_sent, org_id))
        return 0;
    if (kz_strlist_push(f->a, &f->orgs_sent, org_id))
        return kz_fail(f->err, KZ_E_NOMEM, "", "out of memory");
    kz_uuid had;
    int r = kz_store_sync_sent_get(f->st, f->peer->id, org_id, had, f->err);
    if (r == 0)
        return 0;
    if (r != KZ_E_NOTFOUND)
        return r;
    home_kind h;
    if ((r = org_home(f, org_id, &h)))
        return r;
    if (h == HOME_PEER || h == HOME_UNKNOWN)
        return 0;
    bool found = false;
    if (h == HOME_LOCAL) {
        kz_arena tmp;
        kz_arena_init(&tmp);
        kz_org o;
        json_t *env = NULL;
        r = kz_store_org_get(f->st, org_id, &tmp, &o, f->err);
        if (!r)
            r = kz_sync_envelope_org(f->id, &o, &env, f->err);
        if (!r && !(r = push_env(f, env)))
            found = true;
        kz_arena_free(&tmp);
    } else {
        r = relay(f, org_id, "org", &found);
    }
    if (!r && found)
        r = mark_sent(f, org_id, org_id);
    return r;
}

static bool any_in(const kz_strlist *want, const kz_strlist *have)
{
    for (size_t i = 0; i < have->n; i++)
        if (kz_strlist_has(want, have->v[i]))
            return true;
    return false;
}

/* The peer's own filters, on the event as a whole. */
static bool filters_pass(const kz_peer *p, const kz_event *ev)
{
    if (p->published_only && !ev->published)
        return false;
    if (p->filter_orgs.n && !kz_strlist_has(&p->filter_orgs, ev->creator_org))
        return false;
    if (p->filter_tags.n && !any_in(&p->filter_tags, &ev->tags))
        return false;
    if (p->filter_types.n) {
        for (size_t i = 0; i < ev->n_indicators; i++)
            if (kz_strlist_has(&p->filter_types, kz_ioc_type_name(ev->indicators[i].type)))
                return true;
        return false;
    }
    return true;
}

/* May this indicator of an allowed event go? Its own markings can only be
 * stricter than its event's, and the peer decision applies to them too. */
static bool indicator_allowed(const feed *f, const kz_acl_object *obj, const kz_indicator *ind)
{
    kz_acl_object o = *obj;
    if (ind->tlp >= 0 && ind->tlp > (int)o.tlp)
        o.tlp = (kz_tlp)ind->tlp;
    if (ind->distribution >= 0)
        o.distribution = (kz_distribution)ind->distribution;
    return kz_acl_peer_allows(&f->ap, &o, NULL);
}

/* ... and does the peer want it (its type filter)? */
static bool indicator_passes(const feed *f, const kz_acl_object *obj, const kz_indicator *ind)
{
    return indicator_allowed(f, obj, ind) &&
           (!f->peer->filter_types.n ||
            kz_strlist_has(&f->peer->filter_types, kz_ioc_type_name(ind->type)));
}

static int send_deletion(feed *f, const char *object_id, const char *creator, home_kind h)
{
    int r = 0;
    if (h == HOME_LOCAL) {
        kz_sync_deletion d = {.object_type = "event", .deleted_at = kz_time_now()};
        snprintf(d.object_id, sizeof d.object_id, "%s", object_id);
        snprintf(d.creator_org, sizeof d.creator_org, "%s", creator);
        json_t *env = NULL;
        r = kz_sync_envelope_deletion(f->id, &d, &env, f->err);
        if (!r)
            r = push_env(f, env);
    } else if (h == HOME_OTHER) {
        bool found;
        r = relay(f, object_id, "deletion", &found);
        if (!r && !found)
            kz_log(KZ_LOG_INFO, "sync: deletion of event %s has no signed envelope here to relay "
                                "to peer %s", object_id, f->peer->name);
    }
    if (!r)
        r = clear_sent(f, object_id);
    return r;
}

static int feed_event(feed *f, const char *event_id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_event ev;
    kz_err e = {0};
    int r = kz_store_event_get(f->st, event_id, true, &a, &ev, &e);
    if (r == KZ_E_NOTFOUND) { /* deleted since: its delete row follows */
        kz_arena_free(&a);
        return 0;
    }
    if (r) {
        *f->err = e;
        kz_arena_free(&a);
        return r;
    }
    home_kind h;
    kz_acl_object obj;
    r = org_home(f, ev.creator_org, &h);
    if (!r && h == HOME_PEER)
        goto out; /* never echo an object back to its home node */
    if (!r)
        r = kz_store_acl_object_load(f->st, &ev, &a, &obj, f->err);
    if (r)
        goto out;
    const char *why = NULL;
    bool allowed = kz_acl_peer_allows(&f->ap, &obj, &why) && filters_pass(f->peer, &ev);
    kz_sharing_group sg, *sgp = NULL;
    if (allowed && h == HOME_LOCAL) {
        /* Only what the peer may have of the event's indicators. */
        size_t k = 0;
        for (size_t i = 0; i < ev.n_indicators; i++)
            if (indicator_passes(f, &obj, &ev.indicators[i]))
                ev.indicators[k++] = ev.indicators[i];
        ev.n_indicators = k;
    } else if (allowed) {
        /* A relayed event is signed whole by its creator: it goes only if
         * every indicator in it may go (the type filter then selects whole
         * events: filters_pass wants one indicator of the types). */
        for (size_t i = 0; allowed && i < ev.n_indicators; i++)
            if (!indicator_allowed(f, &obj, &ev.indicators[i])) {
                allowed = false;
                kz_log(KZ_LOG_INFO, "sync: event %s not relayed to peer %s: indicator %s may "
                                    "not go there and the creator's signature covers it",
                       ev.id, f->peer->name, ev.indicators[i].id);
            }
    }
    kz_uuid sent_creator;
    int was = kz_store_sync_sent_get(f->st, f->peer->id, ev.id, sent_creator, f->err);
    if (was != 0 && was != KZ_E_NOTFOUND) {
        r = was;
        goto out;
    }
    if (!allowed) {
        if (was == 0) /* it had it: revoke (only we can sign that for our own) */
            r = send_deletion(f, ev.id, ev.creator_org, h);
        goto out;
    }
    if (ev.distribution == KZ_DIST_SHARING_GROUP && ev.sharing_group_id[0]) {
        r = kz_store_sharing_group_get(f->st, ev.sharing_group_id, &a, &sg, f->err);
        if (r)
            goto out;
        sgp = &sg;
    }
    r = send_org(f, ev.creator_org);
    for (size_t i = 0; !r && sgp && i < sgp->member_orgs.n; i++)
        r = send_org(f, sgp->member_orgs.v[i]);
    if (!r && sgp)
        r = send_org(f, sgp->owner_org);
    for (size_t i = 0; !r && i < ev.recipient_orgs.n; i++)
        r = send_org(f, ev.recipient_orgs.v[i]);
    if (r)
        goto out;
    bool sent = false;
    if (h == HOME_LOCAL) {
        json_t *env = NULL;
        if (!(r = kz_sync_envelope_event(f->id, &ev, sgp, &env, f->err)) && !(r = push_env(f, env)))
            sent = true;
    } else if (h == HOME_OTHER) {
        r = relay(f, ev.id, "event", &sent);
    }
    if (!r && sent) {
        f->indicators += ev.n_indicators;
        r = mark_sent(f, ev.id, ev.creator_org);
    }
out:
    kz_arena_free(&a);
    return r;
}

static int feed_delete(feed *f, const char *event_id)
{
    kz_uuid creator;
    int r = kz_store_sync_sent_get(f->st, f->peer->id, event_id, creator, f->err);
    if (r == KZ_E_NOTFOUND)
        return 0; /* the peer never had it */
    if (r)
        return r;
    home_kind h;
    if ((r = org_home(f, creator, &h)))
        return r;
    if (h == HOME_PEER)
        return clear_sent(f, event_id);
    return send_deletion(f, event_id, creator, h);
}

/* A proposal travels towards its event's creator: to the peer that is the
 * creator's node, or to the relay that introduced the creator's key here
 * (the hub its events came through). Ours are signed here; others' are
 * relayed as their proposer's node signed them. */
static int feed_proposal(feed *f, const char *proposal_id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_proposal p;
    kz_err e = {0};
    int r = kz_store_proposal_get(f->st, proposal_id, &a, &p, &e);
    if (r == KZ_E_NOTFOUND) {
        kz_arena_free(&a);
        return 0;
    }
    if (r) {
        *f->err = e;
        kz_arena_free(&a);
        return r;
    }
    home_kind creator, proposer;
    r = org_home(f, p.creator_org, &creator);
    if (!r)
        r = org_home(f, p.org_id, &proposer);
    bool towards = false;
    if (!r && creator == HOME_PEER) {
        towards = true;
    } else if (!r && creator == HOME_OTHER) {
        uint8_t key[32];
        char *by = NULL;
        kz_err ignore = {0};
        towards = kz_store_org_key_get(f->st, p.creator_org, key, &a, &by, &ignore) == 0 && by &&
                  strcmp(by, f->peer->id) == 0;
    }
    if (!r && towards && proposer == HOME_LOCAL) {
        json_t *env = NULL;
        if (!(r = send_org(f, p.org_id)) &&
            !(r = kz_sync_envelope_proposal(f->id, &p, &env, f->err)))
            r = push_env(f, env);
    } else if (!r && towards && proposer == HOME_OTHER) {
        bool found = false;
        if (!(r = send_org(f, p.org_id)))
            r = relay(f, p.id, "proposal", &found);
    }
    kz_arena_free(&a);
    return r;
}

static int feed_sighting(feed *f, const char *sighting_id)
{
    kz_arena a;
    kz_arena_init(&a);
    kz_sighting s;
    kz_uuid event_id;
    kz_err e = {0};
    int r = kz_store_sync_sighting_get(f->st, sighting_id, &a, &s, event_id, &e);
    if (r == KZ_E_NOTFOUND) {
        kz_arena_free(&a);
        return 0;
    }
    if (r) {
        *f->err = e;
        kz_arena_free(&a);
        return r;
    }
    home_kind h = HOME_UNKNOWN;
    kz_event ev;
    kz_acl_object obj;
    if (s.org_id[0])
        r = org_home(f, s.org_id, &h);
    if (r || h == HOME_PEER || h == HOME_UNKNOWN)
        goto out;
    /* A sighting goes where its event may go (the event's creator always
     * may receive it: sightings travel back to the creator). */
    if ((r = kz_store_event_get(f->st, event_id, false, &a, &ev, f->err)) ||
        (r = kz_store_acl_object_load(f->st, &ev, &a, &obj, f->err)))
        goto out;
    if (!kz_acl_peer_allows(&f->ap, &obj, NULL))
        goto out;
    if ((r = send_org(f, s.org_id)))
        goto out;
    if (h == HOME_LOCAL) {
        json_t *env = NULL;
        if (!(r = kz_sync_envelope_sighting(f->id, &s, &env, f->err)))
            r = push_env(f, env);
    } else {
        bool found;
        r = relay(f, s.id, "sighting", &found);
    }
out:
    kz_arena_free(&a);
    return r;
}

/* A case homed here, cut for the peer's org (feed_case.c); with the lead
 * org's record, so the case's lead exists there. */
static int feed_case(feed *f, const char *case_id)
{
    kz_arena a;
    kz_arena_init(&a);
    json_t *env = NULL;
    bool sent = false;
    int r = kz__sync_feed_case(f->st, f->id, f->peer, &f->ap, case_id, &a, &env, &sent, f->err);
    if (!r && env) {
        const char *lead = json_string_value(
            json_object_get(json_object_get(json_object_get(env, "body"), "case"), "lead_org"));
        char *lead_copy = lead ? kz_arena_strdup(f->a, lead) : NULL;
        if (lead && !lead_copy)
            r = kz_fail(f->err, KZ_E_NOMEM, "", "out of memory");
        if (!r && lead_copy)
            r = send_org(f, lead_copy);
        if (!r) {
            r = push_env(f, env);
            env = NULL;
        }
        if (!r)
            r = sent && lead_copy ? mark_sent(f, case_id, lead_copy) : clear_sent(f, case_id);
    }
    json_decref(env);
    kz_arena_free(&a);
    return r;
}

/* A participant's action, to the case's home node; on the home node, an
 * action refused here: its case again, with the reason (feed_case.c). */
static int feed_case_action(feed *f, const char *action_id)
{
    json_t *env = NULL;
    kz_uuid recut;
    int r = kz__sync_feed_case_action(f->st, f->id, f->peer, action_id, &env, recut, f->err);
    if (!r && env)
        r = push_env(f, env);
    else
        json_decref(env);
    if (!r && recut[0])
        r = feed_case(f, recut);
    return r;
}

int kz_sync_feed_page(kz_store *st, const kz_node_identity *id, const kz_peer *peer,
                      int64_t after, size_t max_indicators, kz_sync_batch *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->from_node, sizeof out->from_node, "%s", id->node_id);
    out->cursor = after;
    kz_arena a;
    kz_arena_init(&a);
    feed f = {.st = st, .id = id, .peer = peer, .a = &a, .err = err};
    kz_strlist communities = {0};
    f.objects = json_array();
    if (!f.objects) {
        kz_arena_free(&a);
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    }
    int r = kz_store_org_communities(st, peer->org_id, &a, &communities, err);
    f.ap = (kz_acl_peer){.org_id = peer->org_id, .communities = &communities,
                         .tlp_ceiling = peer->tlp_ceiling};
    kz_change *ch = NULL;
    size_t n = 0;
    if (!r)
        r = kz_store_changes(st, after, FEED_CHANGES, &a, &ch, &n, err);
    bool stopped = false;
    /* the batch around the objects ({"from_node":..,"cursor":..}) fits in 512 */
    const size_t page = kz_sync_page_bytes();
    const size_t max_bytes = page > 1024 ? page - 512 : page / 2;
    for (size_t i = 0; !r && i < n; i++) {
        /* Where the page stood before this row, to take the row back out
         * when it would push a page of several objects past the bytes. */
        size_t objs0 = json_array_size(f.objects), marks0 = f.marks.n, clears0 = f.clears.n;
        size_t ind0 = f.indicators, bytes0 = f.bytes;
        /* Fold: only the last row of an object in this page counts; its
         * current state is what we send. */
        bool later = false;
        for (size_t j = i + 1; j < n && !later; j++)
            later = strcmp(ch[j].object_id, ch[i].object_id) == 0 &&
                    strcmp(ch[j].kind, ch[i].kind) == 0;
        if (!later) {
            if (strcmp(ch[i].kind, "event") == 0)
                r = strcmp(ch[i].op, "delete") == 0 ? feed_delete(&f, ch[i].object_id)
                                                    : feed_event(&f, ch[i].object_id);
            else if (strcmp(ch[i].kind, "sighting") == 0)
                r = feed_sighting(&f, ch[i].object_id);
            else if (strcmp(ch[i].kind, "proposal") == 0)
                r = feed_proposal(&f, ch[i].object_id);
            else if (strcmp(ch[i].kind, "case") == 0)
                r = feed_case(&f, ch[i].object_id);
            else if (strcmp(ch[i].kind, "case_action") == 0)
                r = feed_case_action(&f, ch[i].object_id);
        }
        if (r)
            break;
        if (f.bytes > max_bytes && objs0 > 0) {
            /* Too heavy with what is already here: this row starts the
             * next page (alone, if it is one event above the bytes). */
            while (json_array_size(f.objects) > objs0)
                json_array_remove(f.objects, json_array_size(f.objects) - 1);
            f.marks.n = marks0, f.clears.n = clears0;
            f.indicators = ind0, f.bytes = bytes0;
            stopped = true;
            break;
        }
        out->cursor = ch[i].seq;
        if (((max_indicators && f.indicators >= max_indicators) || f.bytes >= max_bytes) &&
            i + 1 < n) {
            stopped = true;
            break;
        }
    }
    if (!r) {
        int64_t head = 0;
        r = kz_store_changes_head(st, &head, err);
        out->more = stopped || head > out->cursor;
    }
    if (!r && (f.marks.n || f.clears.n) && !(r = kz_store_begin(st, err))) {
        for (size_t i = 0; !r && i + 1 < f.marks.n; i += 2)
            r = kz_store_sync_sent_mark(st, peer->id, f.marks.v[i], f.marks.v[i + 1], err);
        for (size_t i = 0; !r && i < f.clears.n; i++)
            r = kz_store_sync_sent_clear(st, peer->id, f.clears.v[i], err);
        if (r)
            kz_store_rollback(st);
        else
            r = kz_store_commit(st, err);
    }
    kz_arena_free(&a);
    if (r) {
        json_decref(f.objects);
        return r;
    }
    out->objects = f.objects;
    return 0;
}
