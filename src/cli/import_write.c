/* import_write.c — the writer thread of `kizuna import`: the only code of
 * the import that touches the store.
 *
 * For each event it checks what only the node knows (does the creator org
 * exist? is the id already taken?), then writes the event together with its
 * first batch of indicators (kz_store_event_put keeps the event's times,
 * while adding to an existing event would bump "modified"); later batches of
 * the same event go through kz_store_indicators_add. After the first failure
 * it only drains the queue.
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>

static imp_known *remember(imp_known **v, size_t *n, const char *id)
{
    if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) { /* capacity 4, 8, 16, ...: full */
        imp_known *p = realloc(*v, (*n ? *n * 2 : 4) * sizeof *p);
        if (!p)
            return NULL;
        *v = p;
    }
    imp_known *k = &(*v)[(*n)++];
    *k = (imp_known){0};
    memcpy(k->id, id, sizeof k->id);
    return k;
}

static imp_known *lookup(imp_known *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].id, id) == 0)
            return &v[i];
    return NULL;
}

/* The org, if on the node, with its default author in ->org. */
static imp_known *org_known(importer *im, const char *id)
{
    imp_known *k = lookup(im->orgs, im->n_orgs, id);
    if (k)
        return k;
    kz_arena a;
    kz_arena_init(&a);
    kz_org o;
    kz_err err = {0};
    bool exists = kz_store_org_get(im->st, id, &a, &o, &err) == 0;
    kz_uuid author = "";
    if (exists)
        cli_org_author(im->st, id, &a, author);
    kz_arena_free(&a);
    if ((k = remember(&im->orgs, &im->n_orgs, id))) {
        k->exists = exists;
        memcpy(k->org, author, sizeof k->org);
    }
    return k;
}

static imp_known *user_known(importer *im, const char *id)
{
    imp_known *k = lookup(im->users, im->n_users, id);
    if (k)
        return k;
    kz_arena a;
    kz_arena_init(&a);
    kz_user u;
    kz_err err = {0};
    bool exists = kz_store_user_get(im->st, id, &a, &u, &err) == 0;
    if ((k = remember(&im->users, &im->n_users, id))) {
        k->exists = exists;
        if (exists)
            memcpy(k->org, u.org_id, sizeof k->org);
    }
    kz_arena_free(&a);
    return k;
}

/* What only the store can tell about a new event. */
static bool check_event(importer *im, imp_unit *u)
{
    kz_event *ev = &u->ev;
    const char *org = ev->creator_org;
    imp_known *ko = org_known(im, org);
    if (!ko) {
        imp_report(im, u->line, "creator_org", "out of memory");
        return false;
    }
    char field[128];
    snprintf(field, sizeof field, "%s%screator_org", u->path, u->path[0] ? "." : "");
    if (!ko->exists) {
        char msg[256];
        snprintf(msg, sizeof msg, "organisation '%s' is not on this node (name one with --org ORG)",
                 org);
        imp_report(im, u->line, field, msg);
        return false;
    }
    /* Keep the creator user if this node has it in that org; else the org's
     * usual author. */
    imp_known *ku = ev->creator_user[0] ? user_known(im, ev->creator_user) : NULL;
    if (!(ku && ku->exists && strcmp(ku->org, ko->id) == 0))
        memcpy(ev->creator_user, ko->org, sizeof ev->creator_user);
    kz_arena a;
    kz_arena_init(&a);
    kz_event old;
    kz_err err = {0};
    int r = kz_store_event_get(im->st, ev->id, false, &a, &old, &err);
    kz_arena_free(&a);
    snprintf(field, sizeof field, "%s%sid", u->path, u->path[0] ? "." : "");
    if (r == 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "event '%s' already exists on this node", ev->id);
        imp_report(im, u->line, field, msg);
        return false;
    }
    if (r != KZ_E_NOTFOUND) {
        imp_report_err(im, u->line, u->path, &err);
        return false;
    }
    return true;
}

/* Writes the current event if it is still waiting for its first batch. */
static void put_event(importer *im, imp_unit *batch)
{
    imp_unit *u = im->cur;
    if (!u || !im->cur_pending)
        return;
    im->cur_pending = false;
    if (atomic_load(&im->failed))
        return;
    u->ev.indicators = batch ? batch->inds : NULL;
    u->ev.n_indicators = batch ? batch->n : 0;
    kz_err err = {0};
    if (kz_store_event_put(im->st, &u->ev, &err) != 0) {
        bool ind = strncmp(err.field, "indicators", 10) == 0;
        imp_report_err(im, ind && batch ? batch->line : u->line, u->path, &err);
    } else {
        im->n_events++;
        im->n_indicators += u->ev.n_indicators;
    }
    u->ev.indicators = NULL;
    u->ev.n_indicators = 0;
}

static void write_batch(importer *im, imp_unit *b)
{
    if (!im->cur_ok || atomic_load(&im->failed))
        return;
    if (im->cur_pending) {
        put_event(im, b);
        return;
    }
    kz_err err = {0};
    if (kz_store_indicators_add(im->st, im->cur->ev.id, b->inds, b->n, &err) != 0)
        imp_report_err(im, b->line, "", &err);
    else
        im->n_indicators += b->n;
}

void *imp_writer(void *arg)
{
    importer *im = arg;
    for (;;) {
        imp_unit *u = imp_queue_take(&im->q);
        switch (u->kind) {
        case IMP_EVENT:
            put_event(im, NULL);
            imp_unit_free(im->cur);
            im->cur = u;
            im->cur_ok = !atomic_load(&im->failed) && check_event(im, u);
            im->cur_pending = im->cur_ok;
            break;
        case IMP_BATCH_UNIT:
            write_batch(im, u);
            imp_unit_free(u);
            break;
        case IMP_END:
            put_event(im, NULL);
            imp_unit_free(im->cur);
            im->cur = NULL;
            imp_unit_free(u);
            return NULL;
        }
    }
}
