/* case_metrics.c — response metrics over a set of cases: how long each took
 * to be acknowledged, contained and resolved, per case and per org; open
 * cases by severity and by the lead's country; overdue tasks. Pure: the
 * caller picks the cases (ACL applied, drills kept apart), so the API and
 * `kizuna report response` compute the same figures.
 */
#include "model.h"

#include <stdio.h>
#include <string.h>

static int64_t since_created(const kz_case *c, kz_time at)
{
    return at ? (at >= c->created ? at - c->created : 0) : -1;
}

static kz_case_org_metrics *org_slot(kz_case_metrics *m, size_t *cap, const char *id,
                                     const kz_org *orgs, size_t n_orgs, kz_arena *a)
{
    for (size_t i = 0; i < m->n_orgs; i++)
        if (!strcmp(m->orgs[i].org_id, id))
            return &m->orgs[i];
    if (m->n_orgs == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        kz_case_org_metrics *nv = kz_arena_alloc(a, nc * sizeof *nv);
        if (!nv)
            return NULL;
        if (m->n_orgs)
            memcpy(nv, m->orgs, m->n_orgs * sizeof *nv);
        m->orgs = nv;
        *cap = nc;
    }
    kz_case_org_metrics *o = &m->orgs[m->n_orgs++];
    memset(o, 0, sizeof *o);
    snprintf(o->org_id, sizeof o->org_id, "%s", id);
    for (size_t i = 0; i < n_orgs; i++)
        if (!strcmp(orgs[i].id, id)) {
            o->name = orgs[i].name;
            memcpy(o->country, orgs[i].country, sizeof o->country);
        }
    return o;
}

int kz_case_metrics_compute(const kz_case *cases, size_t n, const kz_case_task *tasks, size_t nt,
                            const kz_org *orgs, size_t n_orgs, kz_time now, kz_arena *a,
                            kz_case_metrics *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    out->n_cases = n;
    out->cases = n ? kz_arena_alloc(a, n * sizeof *out->cases) : NULL;
    /* at most one country per case */
    out->countries = n ? kz_arena_alloc(a, n * sizeof *out->countries) : NULL;
    if (n && (!out->cases || !out->countries))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    size_t org_cap = 0;
    for (size_t i = 0; i < n; i++) {
        const kz_case *c = &cases[i];
        kz_case_timing *t = &out->cases[i];
        t->c = c;
        t->to_acknowledge = since_created(c, c->acknowledged_at);
        t->to_contain = since_created(c, c->contained_at);
        t->to_resolve = since_created(c, c->resolved_at);
        for (size_t k = 0; k < nt; k++)
            if (!strcmp(tasks[k].case_id, c->id) && kz_case_task_overdue(&tasks[k], now))
                t->overdue_tasks++;
        out->overdue_tasks += t->overdue_tasks;
        bool open = kz_case_status_open(c->status);
        kz_case_org_metrics *lead = org_slot(out, &org_cap, c->lead_org, orgs, n_orgs, a);
        if (!lead)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        lead->led++;
        if (t->to_acknowledge >= 0)
            lead->n_ack++, lead->sum_ack += t->to_acknowledge;
        if (t->to_contain >= 0)
            lead->n_contain++, lead->sum_contain += t->to_contain;
        if (t->to_resolve >= 0)
            lead->n_resolve++, lead->sum_resolve += t->to_resolve;
        if (open) {
            lead->open++;
            out->n_open++;
            if (c->severity >= KZ_CASE_SEVERITY_MIN && c->severity <= KZ_CASE_SEVERITY_MAX)
                out->open_by_severity[c->severity]++;
            size_t k = 0;
            while (k < out->n_countries && strcmp(out->countries[k].country, lead->country))
                k++;
            if (k == out->n_countries) {
                memcpy(out->countries[k].country, lead->country, sizeof lead->country);
                out->countries[k].open = 0;
                out->n_countries++;
            }
            out->countries[k].open++;
        }
        for (size_t p = 0; p < c->n_participants; p++) {
            if (c->participants[p].state != KZ_PART_ACCEPTED)
                continue;
            kz_case_org_metrics *o =
                org_slot(out, &org_cap, c->participants[p].org_id, orgs, n_orgs, a);
            if (!o)
                return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
            o->participating++;
            if (open)
                o->open++;
        }
    }
    /* Overdue tasks by assigned org, counted only for the cases given and
     * only for orgs already in the picture (the lead or a participant). */
    for (size_t k = 0; k < nt; k++) {
        if (!kz_case_task_overdue(&tasks[k], now))
            continue;
        bool in_set = false;
        for (size_t i = 0; i < n && !in_set; i++)
            in_set = !strcmp(tasks[k].case_id, cases[i].id);
        if (!in_set)
            continue;
        for (size_t i = 0; i < out->n_orgs; i++)
            if (!strcmp(out->orgs[i].org_id, tasks[k].org_id))
                out->orgs[i].overdue_tasks++;
    }
    return 0;
}
