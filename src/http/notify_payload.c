/* notify_payload.c — one change-log row, as a given principal may be told
 * about it. The stream (api_stream.c) and webhooks (webhook_dispatch.c)
 * both call this, so a subscriber learns exactly what the same principal
 * could read through the API: events through kz_acl_allows, sightings
 * through the ACL of their indicator and its event, cases through the case
 * ACL. Deletions are not told: the change log keeps no trace of what a
 * deleted object was, so there is nothing to check access against, and an
 * id alone would reveal that a hidden object existed.
 */
#include "notify_int.h"

#include <string.h>

static json_t *envelope(const kz_change *c)
{
    char at[KZ_TIME_STRLEN + 1];
    kz_time_format(c->at, at);
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)c->seq, "kind", c->kind, "op",
                     c->op, "id", c->object_id, "at", at);
}

/* NOTFOUND means "not there any more": nothing to tell, not an error. */
static int gone(int rc, kz_err *err)
{
    if (rc == KZ_E_NOTFOUND) {
        kz_err_clear(err);
        return 0;
    }
    return rc;
}

static int event_payload(kz_store *st, const kz_principal *who, const kz_change *c, kz_arena *a,
                         json_t **out, int *tlp, kz_err *err)
{
    kz_event ev;
    int rc = kz_store_event_get(st, c->object_id, false, a, &ev, err);
    if (rc < 0)
        return gone(rc, err);
    kz_acl_object obj;
    memset(&obj, 0, sizeof obj);
    if ((rc = kz_store_acl_object_load(st, &ev, a, &obj, err)) < 0)
        return rc;
    if (!kz_acl_allows(who, &obj, KZ_ACL_VIEW, NULL))
        return 0;
    json_t *j = envelope(c);
    if (!j || json_object_set_new(j, "event", kz_json_event(&ev, false)) < 0) {
        json_decref(j);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    *tlp = (int)ev.tlp;
    *out = j;
    return 1;
}

static int sighting_payload(kz_store *st, const kz_principal *who, const kz_change *c,
                            kz_arena *a, json_t **out, int *tlp, kz_err *err)
{
    kz_sighting s;
    kz_indicator ind;
    kz_event ev;
    int rc = kz_store_notify_sighting_get(st, c->object_id, a, &s, err);
    if (rc == 0)
        rc = kz_store_indicator_get(st, s.indicator_id, a, &ind, err);
    if (rc == 0 && ind.deleted)
        return 0;
    if (rc == 0)
        rc = kz_store_event_get(st, ind.event_id, false, a, &ev, err);
    if (rc < 0)
        return gone(rc, err);
    kz_acl_object obj;
    memset(&obj, 0, sizeof obj);
    if ((rc = kz_store_acl_object_load(st, &ev, a, &obj, err)) < 0)
        return rc;
    if (!kz_acl_indicator_allows(who, &obj, &ind, KZ_ACL_VIEW, NULL))
        return 0;
    json_t *j = envelope(c);
    json_t *sj = kz_json_sighting(&s);
    json_t *ij = kz_json_indicator(&ind);
    if (!j || !sj || !ij || json_object_set_new(j, "sighting", sj) < 0 ||
        json_object_set_new(j, "indicator", ij) < 0) {
        json_decref(j);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    int t = (int)ev.tlp;
    if (ind.tlp > t)
        t = ind.tlp;
    *tlp = t;
    *out = j;
    return 1;
}

static int case_payload(kz_store *st, const kz_principal *who, const kz_change *c, kz_arena *a,
                        json_t **out, int *tlp, kz_err *err)
{
    kz_case cs;
    int rc = kz_store_case_get(st, c->object_id, a, &cs, err);
    if (rc < 0)
        return gone(rc, err);
    if (!kz_acl_case_allows(who, &cs, KZ_CASE_VIEW, NULL))
        return 0;
    char mod[KZ_TIME_STRLEN + 1];
    kz_time_format(cs.modified, mod);
    json_t *j = envelope(c);
    json_t *cj = json_pack("{s:s,s:s?,s:i,s:s,s:s?,s:s,s:b,s:s}", "id", cs.id, "title", cs.title,
                           "severity", cs.severity, "tlp", kz_tlp_name(cs.tlp), "status",
                           kz_case_status_name(cs.status), "lead_org", cs.lead_org, "drill",
                           cs.drill, "modified", mod);
    if (!j || !cj || json_object_set_new(j, "case", cj) < 0) {
        json_decref(j);
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    }
    *tlp = (int)cs.tlp;
    *out = j;
    return 1;
}

int kz_notify_payload(kz_store *st, const kz_principal *who, const kz_change *c, kz_arena *a,
                      json_t **out, int *tlp, kz_err *err)
{
    *out = NULL;
    *tlp = -1;
    if (!c->kind || !c->op || !c->object_id || strcmp(c->op, "delete") == 0)
        return 0;
    if (strcmp(c->kind, "event") == 0)
        return event_payload(st, who, c, a, out, tlp, err);
    if (strcmp(c->kind, "sighting") == 0)
        return sighting_payload(st, who, c, a, out, tlp, err);
    if (strcmp(c->kind, "case") == 0)
        return case_payload(st, who, c, a, out, tlp, err);
    return 0;
}
