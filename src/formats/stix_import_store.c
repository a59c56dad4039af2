/* stix_import_store.c — the second half of a STIX import: decide what each
 * object means for the node's model and store everything in one
 * transaction.
 *
 * - Each object id is new, or a known id (another version, or a duplicate of
 *   a version already here: skipped, not an error).
 * - A report becomes an event (a newer version of a known report updates
 *   its event, stix_versions.c). The new objects a report lists in
 *   object_refs belong to it.
 * - New objects no report claims go into one catch-all event per import
 *   when any of them is an indicator or the input has no report at all;
 *   otherwise they travel with the input's first report. A new version of a
 *   known object stays in the event of the versions before it.
 * - A new indicator whose pattern is plain comparisons ORed together gives
 *   one kz indicator per observable, in its object's event; stricter
 *   markings than the event's become the indicator's own TLP. A newer
 *   version of a known one updates, adds or deletes them (stix_versions.c).
 * - Identities link to the organisation of the same name (ASCII case
 *   ignored), or become one when asked to and their class is organization.
 * - A new sighting of an indicator becomes a sighting of each kz indicator
 *   made from it.
 *
 * The plan (events, claims, duplicates) is made first, from the skim; then
 * the objects are stored a chunk at a time, in input order, as the readers
 * finish each chunk.
 */
#include "stix_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IND_BATCH 10000

/* ---- small helpers --------------------------------------------------------- */

/* A copy of s cut to at most max bytes on a character boundary, with
 * control characters turned into spaces unless multiline allows them. */
static char *clip(kz_arena *a, const char *s, size_t max, bool multiline)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    char *out = kz_arena_strndup(a, s, n);
    if (!out)
        return NULL;
    for (char *p = out; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
            *p = ' ';
    }
    return out;
}

static void tags_of(kz_arena *a, const kz_strlist *labels, kz_strlist *out)
{
    for (size_t i = 0; i < labels->n && out->n < KZ_MAX_TAGS; i++) {
        char t[256];
        kz_err e;
        kz_tlp tlp;
        kz_pap pap;
        if (kz_tag_normalize(labels->v[i], t, &e) != 0 || kz_tag_as_tlp(t, &tlp) == 0 ||
            kz_tag_as_pap(t, &pap) == 0 || kz_strlist_has(out, t))
            continue;
        kz_strlist_push(a, out, t);
    }
}

static kz_tlp tlp_or_default(const sx_import *im, int tlp)
{
    return tlp >= 0 ? (kz_tlp)tlp : im->o->default_tlp;
}

static int nomem(kz_err *err) { return kz_fail(err, KZ_E_NOMEM, "", "out of memory"); }

/* ---- classification -------------------------------------------------------- */

/* Only the importing org's own events are added to or changed: a new version
 * of an object another org brought in starts afresh in this import's events
 * instead of writing into theirs. Remembers the last answer (most objects of
 * an input share one event). */
int kz__stix_event_is_ours(sx_import *im, const char *id, bool *ours, kz_err *err)
{
    if (strcmp(im->ours_cache, id) == 0 && im->ours_cache[0]) {
        *ours = im->ours_cache_val;
        return 0;
    }
    kz_event ev;
    int rc = kz_store_event_get(im->st, id, false, &im->work, &ev, err);
    if (rc == KZ_E_NOTFOUND) {
        *ours = false;
        return 0;
    }
    if (rc)
        return rc;
    *ours = strcmp(ev.creator_org, im->org.id) == 0;
    memcpy(im->ours_cache, id, sizeof im->ours_cache);
    im->ours_cache_val = *ours;
    return 0;
}

/* (id, version) pairs stored by this import so far, so that a version
 * repeated in the input is a duplicate: an open table keyed by the id's
 * group and the version (linear even when one id comes a million times). */
typedef struct seen {
    sx_rec **slot;
    size_t cap;
} seen;

static size_t seen_hash(const seen *s, const sx_rec *g, kz_time vkey)
{
    uint64_t k[2] = {(uint64_t)(uintptr_t)g, (uint64_t)vkey};
    return (size_t)kz_hash64(k, sizeof k) & (s->cap - 1);
}

/* Whether (r's id, r's version) was seen; if not, remembers it. */
static bool seen_add(seen *s, sx_rec *r)
{
    size_t i = seen_hash(s, r->group, r->vkey);
    for (;; i = (i + 1) & (s->cap - 1)) {
        sx_rec *t = s->slot[i];
        if (!t) {
            s->slot[i] = r;
            return false;
        }
        if (t->group == r->group && t->vkey == r->vkey)
            return true;
    }
}

/* Which ids of the input the node holds no version of, asked once for the
 * whole input (an import of new objects then looks none up one by one). */
static int ask_absent(sx_import *im, kz_err *err)
{
    sx_rec **heads = kz_arena_alloc(&im->work, im->n * sizeof(sx_rec *) + 1);
    const char **ids = kz_arena_alloc(&im->work, im->n * sizeof *ids + 1);
    bool *absent = kz_arena_alloc(&im->work, im->n * sizeof *absent + 1);
    if (!heads || !ids || !absent)
        return nomem(err);
    size_t n = 0;
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = &im->recs[i];
        if (r->status != SX_S_INVALID && r->group == r) {
            heads[n] = r;
            ids[n++] = r->id;
        }
    }
    int rc = kz_store_stix_absent(im->st, ids, n, absent, err);
    for (size_t k = 0; !rc && k < n; k++)
        heads[k]->absent = absent[k];
    return rc;
}

static int classify(sx_import *im, bool empty, kz_err *err)
{
    /* Only ids that come more than once need the table. */
    seen sn = {NULL, 0};
    for (size_t i = 0; i < im->n && !sn.cap; i++)
        if (im->recs[i].status != SX_S_INVALID && im->recs[i].group != &im->recs[i])
            sn.cap = 16;
    if (sn.cap) {
        while (sn.cap < im->n * 2)
            sn.cap *= 2;
        if (!(sn.slot = kz_arena_alloc(&im->work, sn.cap * sizeof(sx_rec *))))
            return nomem(err);
    }
    if (!empty) {
        int rc = ask_absent(im, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = &im->recs[i];
        if (r->status == SX_S_INVALID)
            continue;
        kz_stix_known k;
        memset(&k, 0, sizeof k);
        int rc = empty || r->group->absent ? 0
                                            : kz_store_stix_lookup(im->st, r->id, r->vkey, &k, err);
        if (rc)
            return rc;
        sx_rec *g = r->group;
        if (g == r) {
            g->known_versions = k.n_versions;
            g->known_max = k.max_vkey;
            memcpy(g->known_event, k.event_id, sizeof g->known_event);
            bool ours = true;
            if (g->known_event[0] && (rc = kz__stix_event_is_ours(im, g->known_event, &ours, err)))
                return rc;
            if (!ours)
                g->known_event[0] = '\0';
        }
        r->fresh = k.n_versions == 0 && g == r && !r->next_same;
        if (k.has_vkey)
            r->status = SX_S_DUP;
        else if (r->status == SX_S_STORE && sn.cap && (g != r || g->next_same) && seen_add(&sn, r))
            r->status = SX_S_DUP;
        if (r->status == SX_S_STORE && (!g->latest || r->vkey > g->latest->vkey))
            g->latest = r;
    }
    return 0;
}

/* The record whose properties speak for the id: the newest one stored now,
 * else (all duplicates) the first. */
static sx_rec *speaker(sx_rec *g) { return g->latest ? g->latest : g; }

/* ---- identities ------------------------------------------------------------ */

static kz_org_type org_type_of(const char *sector)
{
    if (!sector)
        return KZ_ORG_COMPANY;
    if (strncmp(sector, "government", 10) == 0 || strcmp(sector, "defense") == 0 ||
        strcmp(sector, "defence") == 0)
        return KZ_ORG_GOVERNMENT;
    if (strcmp(sector, "non-profit") == 0 || strcmp(sector, "ngo") == 0)
        return KZ_ORG_NGO;
    if (strcmp(sector, "education") == 0 || strcmp(sector, "academic") == 0)
        return KZ_ORG_ACADEMIC;
    return KZ_ORG_COMPANY;
}

static int identities(sx_import *im, size_t *created, size_t *linked, kz_err *err)
{
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *g = &im->recs[i];
        if (g->status == SX_S_INVALID || g->group != g || strcmp(g->type, "identity") != 0)
            continue;
        sx_rec *r = speaker(g);
        if (!r->x || !r->x->name)
            continue;
        kz_uuid have;
        int rc = kz_store_stix_identity_org(im->st, g->id, have, err);
        if (rc == 0)
            continue;
        if (rc != KZ_E_NOTFOUND)
            return rc;
        char *name = clip(&im->work, r->x->name, KZ_MAX_NAME, false);
        if (!name)
            return nomem(err);
        /* trim */
        while (*name == ' ')
            name++;
        size_t nl = strlen(name);
        while (nl && name[nl - 1] == ' ')
            name[--nl] = '\0';
        if (!*name)
            continue;
        kz_org org;
        rc = kz_store_org_find(im->st, name, &im->work, &org, err);
        if (rc == KZ_E_NOTFOUND) {
            const char *cls = r->x->identity_class;
            if (!im->o->create_orgs || !cls || strcmp(cls, "organization") != 0)
                continue;
            memset(&org, 0, sizeof org);
            kz_uuid_v7(org.id);
            org.name = name;
            /* STIX identities carry no country; the importing org's is the
             * best guess and is easy to correct (docs/stix.md). */
            memcpy(org.country, im->org.country, sizeof org.country);
            org.type = org_type_of(r->x->sector);
            org.sector = clip(&im->work, r->x->sector, KZ_MAX_NAME, false);
            org.created = org.modified = im->now;
            if ((rc = kz_store_org_put(im->st, &org, err)))
                return rc;
            (*created)++;
        } else if (rc) {
            return rc;
        } else {
            (*linked)++;
        }
        if ((rc = kz_store_stix_identity_link(im->st, g->id, org.id, err)))
            return rc;
    }
    return 0;
}

/* ---- events ---------------------------------------------------------------- */

static int add_event(sx_import *im, const char *existing, sx_rec *report, kz_tlp tlp, int *idx,
                     kz_err *err)
{
    if (im->n_events == im->cap_events) {
        size_t nc = im->cap_events ? im->cap_events * 2 : 8;
        sx_event *nv = kz_arena_alloc(&im->work, nc * sizeof *nv);
        if (!nv)
            return nomem(err);
        if (im->n_events)
            memcpy(nv, im->events, im->n_events * sizeof *nv);
        im->events = nv;
        im->cap_events = nc;
    }
    sx_event *e = &im->events[im->n_events];
    memset(e, 0, sizeof *e);
    e->report = report;
    if (existing) {
        /* Another version's event, or the one the caller named: it must be
         * there, and its TLP bounds the indicators added to it. */
        kz_event ev;
        int rc = kz_store_event_get(im->st, existing, false, &im->work, &ev, err);
        if (rc == KZ_E_NOTFOUND)
            return kz_fail(err, KZ_E_VALUE, "event_id", "event '%.64s' does not exist", existing);
        if (rc)
            return rc;
        if (strcmp(ev.creator_org, im->org.id) != 0)
            return kz_fail(err, KZ_E_FORBIDDEN, "event_id",
                           "event '%.64s' belongs to another organisation", existing);
        memcpy(e->id, ev.id, sizeof e->id);
        e->tlp = ev.tlp;
    } else {
        kz_uuid_v7(e->id);
        e->is_new = true;
        e->tlp = tlp;
    }
    *idx = (int)im->n_events++;
    return 0;
}

static const char *home_id(const sx_import *im, const sx_rec *g)
{
    if (g->home >= 0)
        return im->events[g->home].id;
    return g->known_event;
}

static int plan_events(sx_import *im, kz_err *err)
{
    int first_report = -1;
    if (im->o->event_id) {
        /* Named by the caller: checked even when nothing ends up in it. */
        kz_event ev;
        int rc = kz_store_event_get(im->st, im->o->event_id, false, &im->work, &ev, err);
        if (rc == KZ_E_NOTFOUND)
            return kz_fail(err, KZ_E_VALUE, "event_id", "event '%.64s' does not exist",
                           im->o->event_id);
        if (rc)
            return rc;
        if (strcmp(ev.creator_org, im->org.id) != 0)
            return kz_fail(err, KZ_E_FORBIDDEN, "event_id",
                           "event '%.64s' belongs to another organisation", im->o->event_id);
    }
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *g = &im->recs[i];
        if (g->status == SX_S_INVALID || g->group != g || strcmp(g->type, "report") != 0)
            continue;
        sx_rec *r = speaker(g);
        int idx = -1, rc;
        if (g->known_versions && g->known_event[0])
            rc = add_event(im, g->known_event, r, 0, &idx, err);
        else if (g->latest)
            rc = add_event(im, NULL, r, tlp_or_default(im, r->tlp), &idx, err);
        else
            continue;
        if (rc)
            return rc;
        g->home = idx;
        if (first_report < 0)
            first_report = idx;
        /* Its new objects belong to it. */
        for (size_t k = 0; r->x && k < r->x->refs.n; k++) {
            sx_rec *t = kz__stix_find(im, r->x->refs.v[k]);
            if (t && t != g && !t->claimed && t->home < 0 && t->known_versions == 0 && t->latest) {
                t->home = idx;
                t->claimed = true;
            }
        }
    }
    /* Who is left without an event? */
    bool need = im->o->event_id != NULL, any_left = false;
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *g = &im->recs[i];
        if (g->status == SX_S_INVALID || g->group != g || !g->latest || g->home >= 0 ||
            g->known_event[0])
            continue;
        any_left = true;
        if (strcmp(g->type, "indicator") == 0 || first_report < 0)
            need = true;
    }
    if (need && any_left) {
        int rc = add_event(im, im->o->event_id, NULL, im->o->default_tlp, &im->catchall, err);
        if (rc)
            return rc;
    }
    int rest = im->catchall >= 0 ? im->catchall : first_report;
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *g = &im->recs[i];
        if (g->status == SX_S_INVALID || g->group != g || !g->latest || g->home >= 0 ||
            g->known_event[0])
            continue;
        g->home = rest;
    }
    return 0;
}

void kz__stix_fill_indicator(const sx_import *im, const sx_rec *r, kz_tlp event_tlp,
                             kz_arena *a, kz_indicator *ind)
{
    const sx_extra *x = r->x;
    tags_of(a, &x->labels, &ind->tags);
    ind->comment = clip(a, x->name, KZ_MAX_TEXT, true);
    ind->to_ids = true;
    ind->first_seen = x->t1;
    ind->last_seen = x->t2;
    /* Never looser than the event: a stricter marking is kept on the
     * indicator, a looser one gives way to the event's. */
    kz_tlp own = tlp_or_default(im, r->tlp);
    ind->tlp = own > event_tlp ? (int)own : -1;
    ind->distribution = -1;
    ind->created = r->created ? r->created : im->now;
    ind->modified = r->modified ? r->modified : ind->created;
}

static int fill_event(sx_import *im, const sx_event *e, kz_event *ev)
{
    const kz_stix_import_opts *o = im->o;
    memset(ev, 0, sizeof *ev);
    memcpy(ev->id, e->id, sizeof ev->id);
    if (e->report) {
        const sx_extra *x = e->report->x;
        ev->title = clip(&im->work, x && x->name && *x->name ? x->name : e->report->id,
                         KZ_MAX_TITLE, false);
        ev->description = clip(&im->work, x ? x->description : NULL, KZ_MAX_TEXT, true);
        if (x)
            tags_of(&im->work, &x->labels, &ev->tags);
        ev->created = e->report->created;
        ev->modified = e->report->modified;
    } else {
        const char *src = o->source;
        if (!src)
            src = json_string_value(json_object_get(im->doc.top, "id"));
        char title[300];
        snprintf(title, sizeof title, "STIX import %.250s",
                 src ? src : im->doc.kind == SX_DOC_ENVELOPE ? "(TAXII envelope)" : "(object)");
        ev->title = clip(&im->work, title, KZ_MAX_TITLE, false);
        ev->created = ev->modified = im->now;
    }
    if (!ev->title)
        return KZ_E_NOMEM;
    ev->threat_level = KZ_THREAT_UNDEFINED;
    ev->analysis = 0;
    ev->tlp = e->tlp;
    ev->pap = KZ_PAP_AMBER;
    ev->distribution = o->distribution;
    if (o->community_id)
        snprintf(ev->community_id, sizeof ev->community_id, "%s", o->community_id);
    ev->published = o->publish;
    ev->published_at = o->publish ? im->now : 0;
    memcpy(ev->creator_org, im->org.id, sizeof ev->creator_org);
    if (o->user_id)
        snprintf(ev->creator_user, sizeof ev->creator_user, "%s", o->user_id);
    if (!ev->created)
        ev->created = im->now;
    if (!ev->modified)
        ev->modified = ev->created;
    return 0;
}

/* A newer version of a known report: its event follows it. */
static int update_event(sx_import *im, const sx_event *e, kz_err *err)
{
    sx_rec *g = e->report->group;
    if (!g->latest || g->latest->vkey <= g->known_max)
        return 0;
    kz_event ev;
    int rc = kz_store_event_get(im->st, e->id, false, &im->work, &ev, err);
    if (rc)
        return rc;
    kz_event fresh;
    if (fill_event(im, e, &fresh))
        return nomem(err);
    ev.title = fresh.title;
    ev.description = fresh.description;
    ev.tags = fresh.tags;
    if (g->latest->tlp >= 0)
        ev.tlp = (kz_tlp)g->latest->tlp;
    ev.modified = g->latest->modified;
    return kz_store_event_update(im->st, &ev, err);
}

/* A new event, stored empty: its objects follow chunk by chunk. */
static int write_new_event(sx_import *im, sx_event *e, kz_err *err)
{
    kz_event ev;
    if (fill_event(im, e, &ev))
        return nomem(err);
    int rc = kz_store_event_put(im->st, &ev, err);
    if (rc)
        return rc;
    e->written = true;
    im->n_events_made++;
    return kz_strlist_push(im->a, &im->rep->events, e->id) ? nomem(err) : 0;
}

/* The events of reports, before their objects. The catch-all waits for its
 * first object (write_chunk): a partial import may find every object it
 * was made for invalid, and then there is none. */
static int write_events(sx_import *im, kz_err *err)
{
    for (size_t i = 0; i < im->n_events; i++) {
        sx_event *e = &im->events[i];
        int rc = 0;
        if (e->is_new) {
            if (e->report && (rc = write_new_event(im, e, err)))
                return rc;
            continue;
        }
        if (e->report) {
            rc = update_event(im, e, err);
            if (!rc)
                rc = kz__stix_report_version(im, e, err);
        }
        if (rc)
            return rc;
        /* Only existing events can repeat (and are few), so a bundle of
         * many reports is not quadratic here. */
        if (!kz_strlist_has(&im->rep->events, e->id) &&
            kz_strlist_push(im->a, &im->rep->events, e->id))
            return nomem(err);
    }
    return 0;
}

/* ---- objects --------------------------------------------------------------- */

/* The writer's buffers for one chunk of rows. */
typedef struct writer {
    kz_stix_obj objs[KZ_STIX_CHUNK];
    sx_rec *recs[KZ_STIX_CHUNK];
    size_t offs[KZ_STIX_CHUNK];
    kz_stix_put_status status[KZ_STIX_CHUNK];
    size_t n;
    kz_buf text;
    size_t stored, dups, inds;
} writer;

static int flush_indicators(sx_import *im, kz_err *err)
{
    if (im->n_ind == 0)
        return 0;
    int rc = kz_store_indicators_add(im->st, im->events[im->ind_event].id, im->ind_buf, im->n_ind,
                                     err);
    im->n_ind = 0;
    return rc;
}

/* The kz indicators of a new indicator object, into the batch of its event. */
static int new_indicators(sx_import *im, writer *w, sx_rec *r, kz_arena *a, kz_err *err)
{
    sx_rec *g = r->group;
    sx_extra *x = r->x;
    int rc = 0;
    if (!im->ind_buf && !(im->ind_buf = kz_arena_alloc(&im->work, IND_BATCH * sizeof(kz_indicator))))
        return nomem(err);
    if ((im->n_ind && im->ind_event != g->home) || im->n_ind + x->n_values > IND_BATCH)
        rc = flush_indicators(im, err);
    if (rc)
        return rc;
    im->ind_event = g->home;
    const sx_event *e = &im->events[g->home];
    kz_indicator proto;
    memset(&proto, 0, sizeof proto);
    kz__stix_fill_indicator(im, r, e->tlp, a, &proto);
    for (size_t k = 0; k < x->n_values; k++) {
        kz_indicator *ind = &im->ind_buf[im->n_ind++];
        *ind = proto;
        kz_uuid_v7(ind->id);
        memcpy(ind->event_id, e->id, sizeof ind->event_id);
        ind->type = x->values[k].type;
        ind->value = (char *)x->values[k].value;
        if (kz_strlist_push(a, &x->ind_ids, ind->id))
            return nomem(err);
        w->inds++;
    }
    return 0;
}

/* What a stored record means beyond its row: the kz indicators of an
 * indicator object whose newest version this is. */
static int map_record(sx_import *im, writer *w, sx_rec *r, kz_arena *a, kz_err *err)
{
    sx_rec *g = r->group;
    if (r != g->latest || !r->x || strcmp(r->type, "indicator") != 0)
        return 0;
    if (g->known_versions == 0) /* a revoked one is kept as STIX only */
        return g->home >= 0 && r->x->n_values && !r->revoked ? new_indicators(im, w, r, a, err)
                                                             : 0;
    /* A newer version of one the node has, in an event of the importing org. */
    if (g->known_event[0] && r->vkey > g->known_max)
        return kz__stix_indicator_version(im, r, g->known_event, a, err);
    return 0;
}

static int add_row(sx_import *im, writer *w, sx_rec *r, kz_err *err)
{
    kz_stix_obj *o = &w->objs[w->n];
    memset(o, 0, sizeof *o);
    o->id = (char *)r->id;
    o->type = (char *)r->type;
    o->spec_version = "2.1";
    o->created = r->created;
    o->modified = r->modified;
    o->vkey = r->vkey;
    o->created_by_ref = (char *)r->created_by_ref;
    o->tlp = tlp_or_default(im, r->tlp);
    memcpy(o->owner_org, im->org.id, sizeof o->owner_org);
    const char *ev = home_id(im, r->group);
    if (ev)
        snprintf(o->event_id, sizeof o->event_id, "%s", ev);
    o->revoked = r->revoked;
    static const kz_stix_known never_seen = {.n_versions = 0};
    o->known = r->fresh ? &never_seen : NULL;
    o->ind_ids = r->x && r->x->ind_ids.n ? &r->x->ind_ids : NULL;
    if (!r->span.ws) {
        /* Already compact: stored straight from the input. */
        w->offs[w->n] = SIZE_MAX;
        o->json = (char *)im->p + r->span.off;
        o->json_len = r->span.len;
    } else {
        w->offs[w->n] = w->text.len;
        if (kz__stix_minify(im->p + r->span.off, r->span.len, &w->text) ||
            kz_buf_putc(&w->text, '\0'))
            return nomem(err);
        o->json_len = w->text.len - w->offs[w->n] - 1;
    }
    w->recs[w->n++] = r;
    return 0;
}

static int flush_rows(sx_import *im, writer *w, kz_err *err)
{
    if (w->n == 0)
        return 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->offs[i] != SIZE_MAX)
            w->objs[i].json = w->text.p + w->offs[i];
    int rc = kz_store_stix_put(im->st, w->objs, w->n, w->status, err);
    for (size_t i = 0; !rc && i < w->n; i++) {
        sx_rec *r = w->recs[i];
        if (w->status[i] == KZ_STIX_DUPLICATE) {
            r->status = SX_S_DUP; /* stored by someone else meanwhile */
            w->dups++;
            continue;
        }
        w->stored++;
        r->seq = w->objs[i].seq;
    }
    w->n = 0;
    kz_buf_reset(&w->text);
    return rc;
}

/* Stores chunk k: the kz indicators its new indicator objects give, then
 * its rows (each with the ids of the indicators made from it). */
static int write_chunk(sx_import *im, writer *w, size_t k, kz_err *err)
{
    sx_chunk *c = &im->chunks[k];
    size_t from = k * im->chunk, to = from + im->chunk;
    if (to > im->n)
        to = im->n;
    int rc = 0;
    for (size_t i = from; !rc && i < to; i++) {
        sx_rec *r = &im->recs[i];
        if (r->status == SX_S_DUP && !r->bad)
            w->dups++;
        if (r->status != SX_S_STORE || r->bad)
            continue;
        int home = r->group->home;
        if (home >= 0 && im->events[home].is_new && !im->events[home].written)
            rc = write_new_event(im, &im->events[home], err);
        if (!rc)
            rc = map_record(im, w, r, &c->data, err);
        if (!rc)
            rc = add_row(im, w, r, err);
    }
    if (!rc)
        rc = flush_indicators(im, err);
    if (!rc)
        rc = flush_rows(im, w, err);
    return rc;
}

/* Once stored, a chunk's full reads are no longer needed (except what the
 * plan read early and keeps). */
static void drop_chunk(sx_import *im, size_t k)
{
    size_t from = k * im->chunk, to = from + im->chunk;
    if (to > im->n)
        to = im->n;
    for (size_t i = from; i < to; i++) {
        sx_rec *r = &im->recs[i];
        if (!r->early) {
            r->x = NULL;
            r->created_by_ref = NULL;
        }
    }
    kz_arena_free(&im->chunks[k].data);
    kz_arena_init(&im->chunks[k].data);
    kz__stix_drop_input(im, kz__stix_chunk_end(im, k));
}

static int write_objects(sx_import *im, size_t *stored, size_t *dups, size_t *inds, kz_err *err)
{
    writer *w = kz_arena_alloc(&im->work, sizeof *w);
    if (!w)
        return nomem(err);
    kz_buf_init(&w->text);
    int rc = 0;
    for (size_t k = 0; !rc && k < im->n_chunks; k++) {
        kz__stix_chunk_wait(im, k);
        /* All or nothing: after an invalid object there is nothing left to
         * store, only to read (so that every invalid one is listed). */
        if (im->all_or_nothing && im->chunks[k].n_invalid)
            rc = KZ_E_VALUE;
        if (!rc)
            rc = write_chunk(im, w, k, err);
        drop_chunk(im, k);
        kz__stix_chunk_stored(im, k);
    }
    kz_buf_free(&w->text);
    *stored = w->stored;
    *dups = w->dups;
    *inds += w->inds;
    return rc;
}

/* ---- sightings ------------------------------------------------------------- */

static void org_of_identity(sx_import *im, const char *identity, kz_uuid out)
{
    out[0] = '\0';
    kz_err e;
    if (identity && kz_store_stix_identity_org(im->st, identity, out, &e) != 0)
        out[0] = '\0';
}

static int sightings(sx_import *im, size_t *count, kz_err *err)
{
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *g = &im->recs[i];
        if (g->status == SX_S_INVALID || g->group != g || strcmp(g->type, "sighting") != 0 ||
            g->known_versions || !g->latest || !g->latest->x || !g->latest->x->ref)
            continue;
        sx_rec *r = g->latest;
        const sx_extra *x = r->x;
        /* Stored by now when they came in this input too. */
        kz_indicator *live = NULL;
        size_t n_live = 0;
        int lr = kz_store_stix_indicators_live(im->st, x->ref, &im->work, &live, &n_live, err);
        if (lr)
            return lr;
        if (n_live == 0)
            continue;
        kz_uuid org = "";
        for (size_t k = 0; !org[0] && k < x->refs.n; k++)
            org_of_identity(im, x->refs.v[k], org);
        if (!org[0])
            org_of_identity(im, r->created_by_ref, org);
        for (size_t k = 0; k < n_live; k++) {
            const kz_indicator *ind = &live[k];
            int rc;
            kz_sighting s;
            memset(&s, 0, sizeof s);
            kz_uuid_v7(s.id);
            memcpy(s.indicator_id, ind->id, sizeof s.indicator_id);
            memcpy(s.org_id, org, sizeof s.org_id);
            s.time = x->t1 ? x->t1 : r->created ? r->created : im->now;
            s.count = x->count;
            s.source = "stix";
            s.type = KZ_SIGHTING_SEEN;
            s.created = im->now;
            if ((rc = kz_store_sighting_put(im->st, &s, err)))
                return rc;
            (*count)++;
        }
    }
    return 0;
}

/* ---- the transaction ------------------------------------------------------- */

size_t kz__stix_bulk_min = KZ_STIX_BULK_MIN;
_Atomic size_t kz__stix_bulk_loads;

/* Whether the objects can go in with the indexes dropped: a large input
 * into an empty table where each id is stored in one version (copies of it
 * in the input are duplicates already, found by classify). Then no row
 * needs a look-up by id while storing, and each (id, version) goes in once
 * (the store keeps them apart by looking, migration 16). Marks the records
 * fresh so that none is looked up. */
static bool bulk_fits(sx_import *im, bool empty)
{
    if (!empty)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < im->n; i++) {
        const sx_rec *r = &im->recs[i];
        if (r->status != SX_S_STORE)
            continue;
        /* latest is a stored record of the id: any other means two. */
        if (r->group->latest != r)
            return false;
        n++;
    }
    if (n < kz__stix_bulk_min)
        return false;
    for (size_t i = 0; i < im->n; i++)
        if (im->recs[i].status == SX_S_STORE)
            im->recs[i].fresh = true;
    return true;
}

/* Is there any STIX object on the node? When not, no id needs a look-up. */
static int store_empty(sx_import *im, bool *empty, kz_err *err)
{
    kz_stix_query q = {.tlp_max = -1, .limit = 1, .meta_only = true, .versions = {.all = true}};
    kz_stix_obj *rows = NULL;
    size_t n = 0;
    int rc = kz_store_stix_list(im->st, &q, &im->work, &rows, &n, NULL, err);
    *empty = n == 0;
    return rc;
}

int kz__stix_import_store(sx_import *im, kz_err *err)
{
    size_t orgs_made = 0, orgs_linked = 0, inds = 0, stored = 0, dups = 0, sights = 0;
    /* A large load into a node without STIX objects (asked again inside the
     * transaction: this answer only picks the journal) may leave WAL for
     * its transaction (kz_store_begin_bulk). */
    bool empty = false;
    int rc = 0;
    /* Reading what the plan needs already went over the JSON budget: not
     * even the write lock is taken. */
    if (kz__stix_budget_spent(im))
        return kz_stix_too_complex(err, im->budget_doc);
    if (im->all_or_nothing && im->n >= kz__stix_bulk_min)
        rc = store_empty(im, &empty, err);
    if (!rc)
        rc = empty ? kz_store_begin_bulk(im->st, err) : kz_store_begin(im->st, err);
    if (rc)
        return rc;
    const kz_stix_import_opts *o = im->o;
    if (o->txn_begin && (rc = o->txn_begin(o->txn_ctx, im->st, err))) {
        kz_store_rollback(im->st);
        return rc;
    }
    rc = store_empty(im, &empty, err);
    if (!rc)
        rc = classify(im, empty, err);
    if (!rc)
        rc = identities(im, &orgs_made, &orgs_linked, err);
    if (!rc)
        rc = plan_events(im, err);
    if (!rc)
        rc = write_events(im, err);
    kz_strlist bulk = {NULL, 0};
    if (!rc && bulk_fits(im, empty) &&
        !(rc = kz_store_stix_bulk_begin(im->st, &im->work, &bulk, err)) && bulk.n)
        kz__stix_bulk_loads++;
    if (!rc)
        rc = write_objects(im, &stored, &dups, &inds, err);
    /* Before anything looks objects up by id again (sightings). */
    if (!rc && bulk.n)
        rc = kz_store_stix_bulk_end(im->st, &bulk, err);
    if (!rc)
        rc = sightings(im, &sights, err);
    /* The last chunks may still be being read; all or nothing, one invalid
     * object anywhere and nothing is kept. */
    if (!rc && im->all_or_nothing && kz__stix_wait_all(im))
        rc = KZ_E_VALUE;
    /* Every chunk is stored, so every object read: the items are final,
     * and so is whether a reading thread ran out of its JSON budget (the
     * objects it could not read would be listed as invalid JSON). */
    if (!rc && kz__stix_budget_spent(im))
        rc = kz_stix_too_complex(err, im->budget_doc);
    if (!rc && !im->all_or_nothing)
        kz__stix_fill_items(im);
    if (!rc && o->txn_end)
        rc = o->txn_end(o->txn_ctx, im->st, im->rep, err);
    if (rc) {
        kz_store_rollback(im->st);
        im->rep->events.n = 0;
        return rc;
    }
    if ((rc = kz_store_commit(im->st, err))) {
        im->rep->events.n = 0;
        return rc;
    }
    kz_stix_report *rep = im->rep;
    rep->n_stored = stored;
    rep->n_duplicates = dups;
    rep->n_events = im->n_events_made;
    rep->n_indicators = inds + im->n_ind_created;
    rep->n_sightings = sights;
    rep->n_orgs_created = orgs_made;
    rep->n_orgs_linked = orgs_linked;
    rep->n_indicators_updated = im->n_ind_updated;
    rep->n_indicators_deleted = im->n_ind_deleted;
    rep->n_objects_moved = im->n_moved;
    return 0;
}
