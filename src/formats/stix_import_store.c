/* stix_import_store.c — the second half of a STIX import: decide what each
 * object means for the node's model and store everything in one
 * transaction.
 *
 * - Each object id is new, or a known id (another version, or a duplicate of
 *   a version already here: skipped, not an error).
 * - A report becomes an event (a new version of a known report updates its
 *   event). The new objects a report lists in object_refs belong to it.
 * - New objects no report claims go into one catch-all event per import
 *   when any of them is an indicator or the input has no report at all;
 *   otherwise they travel with the input's first report. A new version of a
 *   known object stays in the event of the versions before it.
 * - A new indicator whose pattern is plain comparisons ORed together gives
 *   one kz indicator per observable, in its object's event; stricter
 *   markings than the event's become the indicator's own TLP.
 * - Identities link to the organisation of the same name (ASCII case
 *   ignored), or become one when asked to and their class is organization.
 * - A new sighting of an indicator becomes a sighting of each kz indicator
 *   made from it.
 */
#include "stix_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OBJ_CHUNK 1000

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
static int event_is_ours(sx_import *im, const char *id, bool *ours, kz_err *err)
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

static int classify(sx_import *im, kz_err *err)
{
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = &im->recs[i];
        if (r->status == SX_S_INVALID)
            continue;
        kz_stix_known k;
        int rc = kz_store_stix_lookup(im->st, r->id, r->vkey, &k, err);
        if (rc)
            return rc;
        sx_rec *g = r->group;
        if (g == r) {
            g->known_versions = k.n_versions;
            g->known_max = k.max_vkey;
            memcpy(g->known_event, k.event_id, sizeof g->known_event);
            bool ours = true;
            if (g->known_event[0] && (rc = event_is_ours(im, g->known_event, &ours, err)))
                return rc;
            if (!ours)
                g->known_event[0] = '\0';
        }
        r->fresh = k.n_versions == 0 && g == r && !r->next_same;
        if (k.has_vkey)
            r->status = SX_S_DUP;
        for (sx_rec *t = g; r->status == SX_S_STORE && t != r; t = t->next_same)
            if (t->status == SX_S_STORE && t->vkey == r->vkey)
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
        int idx, rc;
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

/* The indicator records that give kz indicators: new ids with plain values. */
static sx_rec *ind_source(sx_rec *g)
{
    if (g->status == SX_S_INVALID || g->group != g || strcmp(g->type, "indicator") != 0 ||
        g->known_versions || !g->latest || g->home < 0 || !g->latest->x ||
        g->latest->x->n_values == 0)
        return NULL;
    return g->latest;
}

/* Decides which kz indicators the import makes (their ids go on the
 * records, for the links and sightings) and lists, per event, the records
 * they come from; the indicators themselves are built a batch at a time
 * when written (write_indicators), so a million of them never sit in memory
 * at once. */
static int make_indicators(sx_import *im, size_t *count, kz_err *err)
{
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = ind_source(&im->recs[i]);
        if (r)
            im->events[im->recs[i].home].cap_srcs++;
    }
    for (size_t k = 0; k < im->n_events; k++) {
        sx_event *e = &im->events[k];
        if (e->cap_srcs && !(e->srcs = kz_arena_alloc(&im->work, e->cap_srcs * sizeof *e->srcs)))
            return nomem(err);
    }
    for (size_t i = 0; i < im->n; i++) {
        sx_rec *r = ind_source(&im->recs[i]);
        if (!r)
            continue;
        sx_event *e = &im->events[im->recs[i].home];
        e->srcs[e->n_srcs++] = r;
        for (size_t k = 0; k < r->x->n_values; k++) {
            kz_uuid id;
            kz_uuid_v7(id);
            if (kz_strlist_push(&im->work, &r->x->ind_ids, id))
                return nomem(err);
            (*count)++;
        }
    }
    return 0;
}

#define IND_BATCH 10000

/* Writes the event's indicators in batches; a new event is stored with its
 * first batch (so a small one is stored in one piece), the rest added. */
static int write_indicators(sx_import *im, sx_event *e, kz_event *ev_new, kz_err *err)
{
    /* One buffer for the whole import, sized for the largest batch. */
    if (!im->ind_buf && !(im->ind_buf = kz_arena_alloc(&im->work, IND_BATCH * sizeof(kz_indicator))))
        return nomem(err);
    kz_indicator *buf = im->ind_buf;
    kz_arena batch;
    kz_arena_init(&batch);
    size_t n = 0;
    int rc = 0;
    bool event_done = ev_new == NULL;
    for (size_t i = 0; !rc && i <= e->n_srcs; i++) {
        if (i < e->n_srcs) {
            sx_rec *r = e->srcs[i];
            kz_strlist tags = {0};
            tags_of(&batch, &r->x->labels, &tags);
            char *comment = clip(&batch, r->x->name, KZ_MAX_TEXT, true);
            /* Never looser than the event: a stricter marking is kept on
             * the indicator, a looser one gives way to the event's. */
            kz_tlp own = tlp_or_default(im, r->tlp);
            for (size_t k = 0; k < r->x->n_values; k++) {
                kz_indicator *ind = &buf[n++];
                memset(ind, 0, sizeof *ind);
                memcpy(ind->id, r->x->ind_ids.v[k], sizeof ind->id);
                memcpy(ind->event_id, e->id, sizeof ind->event_id);
                ind->type = r->x->values[k].type;
                ind->value = (char *)r->x->values[k].value;
                ind->to_ids = true;
                ind->comment = comment;
                ind->first_seen = r->x->t1;
                ind->tags = tags;
                ind->tlp = own > e->tlp ? (int)own : -1;
                ind->distribution = -1;
                ind->created = r->created ? r->created : im->now;
                ind->modified = r->modified ? r->modified : ind->created;
            }
            /* Flush before a record could overflow the buffer. */
            if (n + (i + 1 < e->n_srcs ? e->srcs[i + 1]->x->n_values : 0) <= IND_BATCH)
                continue;
        }
        if (!event_done) {
            ev_new->indicators = buf;
            ev_new->n_indicators = n;
            rc = kz_store_event_put(im->st, ev_new, err);
            event_done = true;
        } else if (n) {
            rc = kz_store_indicators_add(im->st, e->id, buf, n, err);
        }
        n = 0;
        kz_arena_free(&batch);
        kz_arena_init(&batch);
    }
    kz_arena_free(&batch);
    return rc;
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

static int write_events(sx_import *im, size_t *made, kz_err *err)
{
    for (size_t i = 0; i < im->n_events; i++) {
        sx_event *e = &im->events[i];
        int rc = 0;
        if (e->is_new) {
            kz_event ev;
            if (fill_event(im, e, &ev))
                return nomem(err);
            rc = write_indicators(im, e, &ev, err);
            (*made)++;
        } else {
            if (e->report)
                rc = update_event(im, e, err);
            if (!rc && e->n_srcs)
                rc = write_indicators(im, e, NULL, err);
        }
        if (rc)
            return rc;
        if (!kz_strlist_has(&im->rep->events, e->id) &&
            kz_strlist_push(im->a, &im->rep->events, e->id))
            return nomem(err);
    }
    return 0;
}

/* ---- objects --------------------------------------------------------------- */

typedef struct chunk {
    kz_stix_obj objs[OBJ_CHUNK];
    sx_rec *recs[OBJ_CHUNK];
    size_t offs[OBJ_CHUNK];
    kz_stix_put_status status[OBJ_CHUNK];
    size_t n;
    kz_buf text;
} chunk;

static int flush(sx_import *im, chunk *c, size_t *stored, size_t *dups, kz_err *err)
{
    if (c->n == 0)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->offs[i] != SIZE_MAX)
            c->objs[i].json = c->text.p + c->offs[i];
    int rc = kz_store_stix_put(im->st, c->objs, c->n, c->status, err);
    for (size_t i = 0; !rc && i < c->n; i++) {
        sx_rec *r = c->recs[i];
        if (c->status[i] == KZ_STIX_DUPLICATE) {
            r->status = SX_S_DUP; /* stored by someone else meanwhile */
            (*dups)++;
            continue;
        }
        (*stored)++;
        r->seq = c->objs[i].seq;
        if (r->x && r->x->ind_ids.n)
            rc = kz_store_stix_map_indicators(im->st, r->seq, &r->x->ind_ids, err);
    }
    c->n = 0;
    kz_buf_reset(&c->text);
    return rc;
}

static int write_objects(sx_import *im, size_t *stored, size_t *dups, kz_err *err)
{
    chunk *c = kz_arena_alloc(&im->work, sizeof *c);
    if (!c)
        return nomem(err);
    kz_buf_init(&c->text);
    int rc = 0;
    for (size_t i = 0; !rc && i < im->n; i++) {
        sx_rec *r = &im->recs[i];
        if (r->status == SX_S_DUP)
            (*dups)++;
        if (r->status != SX_S_STORE)
            continue;
        kz_stix_obj *o = &c->objs[c->n];
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
        if (!r->span.ws) {
            /* Already compact: stored straight from the input. */
            c->offs[c->n] = SIZE_MAX;
            o->json = (char *)im->p + r->span.off;
            o->json_len = r->span.len;
        } else {
            c->offs[c->n] = c->text.len;
            if (kz__stix_minify(im->p + r->span.off, r->span.len, &c->text) ||
                kz_buf_putc(&c->text, '\0')) {
                rc = nomem(err);
                break;
            }
            o->json_len = c->text.len - c->offs[c->n] - 1;
        }
        c->recs[c->n++] = r;
        if (c->n == OBJ_CHUNK)
            rc = flush(im, c, stored, dups, err);
    }
    if (!rc)
        rc = flush(im, c, stored, dups, err);
    kz_buf_free(&c->text);
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
        kz_strlist ids = {0};
        sx_rec *t = kz__stix_find(im, x->ref);
        if (t && t->latest && t->latest->x && t->latest->x->ind_ids.n) {
            ids = t->latest->x->ind_ids;
        } else {
            int rc = kz_store_stix_indicators_of(im->st, x->ref, &im->work, &ids, err);
            if (rc)
                return rc;
        }
        if (ids.n == 0)
            continue;
        kz_uuid org = "";
        for (size_t k = 0; !org[0] && k < x->refs.n; k++)
            org_of_identity(im, x->refs.v[k], org);
        if (!org[0])
            org_of_identity(im, r->created_by_ref, org);
        for (size_t k = 0; k < ids.n; k++) {
            kz_indicator ind;
            kz_err e;
            int rc = kz_store_indicator_get(im->st, ids.v[k], &im->work, &ind, &e);
            if (rc == KZ_E_NOTFOUND)
                continue; /* deleted since it was imported */
            if (rc) {
                *err = e;
                return rc;
            }
            kz_sighting s;
            memset(&s, 0, sizeof s);
            kz_uuid_v7(s.id);
            memcpy(s.indicator_id, ind.id, sizeof s.indicator_id);
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

int kz__stix_import_store(sx_import *im, kz_err *err)
{
    size_t orgs_made = 0, orgs_linked = 0, inds = 0, events = 0, stored = 0, dups = 0, sights = 0;
    int rc = kz_store_begin(im->st, err);
    if (rc)
        return rc;
    rc = classify(im, err);
    if (!rc)
        rc = identities(im, &orgs_made, &orgs_linked, err);
    if (!rc)
        rc = plan_events(im, err);
    if (!rc)
        rc = make_indicators(im, &inds, err);
    if (!rc)
        rc = write_events(im, &events, err);
    if (!rc)
        rc = write_objects(im, &stored, &dups, err);
    if (!rc)
        rc = sightings(im, &sights, err);
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
    rep->n_events = events;
    rep->n_indicators = inds;
    rep->n_sightings = sights;
    rep->n_orgs_created = orgs_made;
    rep->n_orgs_linked = orgs_linked;
    return 0;
}
