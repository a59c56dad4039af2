/* json_event.c — events on the wire. TLP and PAP arrive either as fields or
 * as machine tags and leave as both; the sharing-group id only makes sense
 * with distribution sharing_group. An event-level mistake stops the parse;
 * inline indicators are all read so every bad row is reported together. */
#include "json_read.h"
#include "json_write.h"

#include <string.h>

typedef struct ev_seen {
    bool tlp, pap, sharing_group, title;
    int tlp_tags, pap_tags;
    const json_t *indicators;
} ev_seen;

static int ev_apply(const kz_jr *r, const json_t *j, kz_event *ev, bool patch, ev_seen *s)
{
    int rc = kz_jr_object(r, j);
    if (rc)
        return rc;
    int tlp_field = -1, pap_field = -1;
    s->tlp_tags = s->pap_tags = -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        int x;
        int64_t n;
        if (!strcmp(k, "title")) {
            rc = kz_jr_string(r, k, v, KZ_MAX_TITLE, KZ_JR_NONEMPTY, &ev->title);
            s->title = true;
        } else if (!strcmp(k, "description")) {
            rc = kz_jr_string(r, k, v, KZ_MAX_TEXT, KZ_JR_NULLABLE | KZ_JR_MULTILINE,
                              &ev->description);
        } else if (!strcmp(k, "threat_level")) {
            rc = kz_jr_int(r, k, v, KZ_THREAT_HIGH, KZ_THREAT_UNDEFINED, &n);
            ev->threat_level = rc ? ev->threat_level : (int)n;
        } else if (!strcmp(k, "analysis")) {
            rc = kz_jr_int(r, k, v, 0, 2, &n);
            ev->analysis = rc ? ev->analysis : (int)n;
        } else if (!strcmp(k, "tlp")) {
            rc = kz_jr_enum(r, k, v, kz_tlp_parse, KZ_JR_TLP_CHOICES, 0, &tlp_field);
            s->tlp = true;
        } else if (!strcmp(k, "pap")) {
            rc = kz_jr_enum(r, k, v, kz_pap_parse, KZ_JR_PAP_CHOICES, 0, &pap_field);
            s->pap = true;
        } else if (!strcmp(k, "distribution")) {
            rc = kz_jr_enum(r, k, v, kz_distribution_parse, KZ_JR_DIST_CHOICES, 0, &x);
            ev->distribution = rc ? ev->distribution : (kz_distribution)x;
        } else if (!strcmp(k, "sharing_group_id")) {
            rc = kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, ev->sharing_group_id);
            s->sharing_group = true;
        } else if (!strcmp(k, "community_id")) {
            rc = kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, ev->community_id);
        } else if (!strcmp(k, "tags")) {
            rc = kz_jr_tags(r, k, v, &ev->tags, &s->tlp_tags, &s->pap_tags);
        } else if (!strcmp(k, "recipient_orgs")) {
            rc = kz_jr_uuid_list(r, k, v, KZ_MAX_IDS, &ev->recipient_orgs);
        } else if (!strcmp(k, "recipient_users")) {
            rc = kz_jr_uuid_list(r, k, v, KZ_MAX_IDS, &ev->recipient_users);
        } else if (!strcmp(k, "indicators")) {
            if (patch)
                rc = kz_jr_fail(r, KZ_E_INVALID, k, -1,
                                "cannot be changed here; add indicators with "
                                "POST /api/v1/events/{id}/indicators");
            else if (!json_is_array(v))
                rc = kz_jr_fail(r, KZ_E_INVALID, k, -1, "must be an array, got %s",
                                kz_jr_type(v));
            s->indicators = v;
        } else if (!strcmp(k, "id")) {
            rc = patch ? kz_jr_keep_uuid(r, k, v, ev->id)
                       : kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, ev->id);
        } else if (!strcmp(k, "creator_org")) {
            rc = patch ? kz_jr_keep_uuid(r, k, v, ev->creator_org)
                       : kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, ev->creator_org);
        } else if (!strcmp(k, "creator_user")) {
            rc = patch ? kz_jr_keep_uuid(r, k, v, ev->creator_user)
                       : kz_jr_uuid(r, k, v, KZ_JR_NULLABLE, ev->creator_user);
        } else if (!strcmp(k, "published")) {
            rc = patch ? kz_jr_keep_bool(r, k, v, ev->published)
                       : kz_jr_bool(r, k, v, &ev->published);
        } else if (!strcmp(k, "published_at")) {
            rc = patch ? kz_jr_keep_time(r, k, v, ev->published_at)
                       : kz_jr_time(r, k, v, &ev->published_at);
        } else if (!strcmp(k, "created")) {
            rc = patch ? kz_jr_keep_time(r, k, v, ev->created) : kz_jr_time(r, k, v, &ev->created);
        } else if (!strcmp(k, "modified")) {
            rc = patch ? kz_jr_keep_time(r, k, v, ev->modified)
                       : kz_jr_time(r, k, v, &ev->modified);
        } else {
            rc = kz_jr_unknown(r, k);
        }
        if (rc)
            return rc;
    }
    int tlp = (int)ev->tlp, pap = (int)ev->pap;
    rc = kz_jr_merge_marking(r, "tlp", s->tlp, tlp_field, s->tlp_tags, kz_jr_tlp_name, &tlp);
    if (!rc)
        rc = kz_jr_merge_marking(r, "pap", s->pap, pap_field, s->pap_tags, kz_jr_pap_name, &pap);
    if (rc)
        return rc;
    ev->tlp = (kz_tlp)tlp;
    ev->pap = (kz_pap)pap;

    bool sg = ev->distribution == KZ_DIST_SHARING_GROUP;
    if (!sg && ev->sharing_group_id[0]) {
        /* A PATCH that moves away from a sharing group drops the old group;
         * naming one alongside another distribution is a mistake. */
        if (patch && !s->sharing_group)
            ev->sharing_group_id[0] = '\0';
        else
            return kz_jr_fail(r, KZ_E_VALUE, "sharing_group_id", -1,
                              "is only allowed with distribution sharing_group (distribution is "
                              "%s)",
                              kz_distribution_name(ev->distribution));
    }
    if (sg && !ev->sharing_group_id[0])
        return kz_jr_fail(r, KZ_E_VALUE, "sharing_group_id", -1,
                          "is required when distribution is sharing_group");
    return KZ_OK;
}

int kz_json_event_parse(const json_t *j, kz_arena *a, kz_event *out, kz_errlist *errs, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    out->threat_level = KZ_THREAT_UNDEFINED;
    out->analysis = 0;
    out->tlp = KZ_TLP_AMBER;
    out->pap = KZ_PAP_AMBER;
    out->distribution = KZ_DIST_ORG;
    ev_seen s = {0};
    int rc = ev_apply(&r, j, out, false, &s);
    if (rc)
        return rc;
    if (!s.title)
        return kz_jr_missing(&r, "title");
    if (s.indicators)
        return kz_jr_indicator_rows(s.indicators, a, out, &out->indicators, &out->n_indicators,
                                    errs, err);
    return KZ_OK;
}

int kz_json_event_patch(const json_t *j, kz_arena *a, kz_event *ev, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    kz_event tmp = *ev;
    ev_seen s = {0};
    int rc = ev_apply(&r, j, &tmp, true, &s);
    if (rc)
        return rc;
    *ev = tmp;
    return KZ_OK;
}

json_t *kz_json_event(const kz_event *ev, bool with_indicators)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", ev->id);
    bad |= kz_jw_str(j, "title", ev->title);
    bad |= kz_jw_str(j, "description", ev->description);
    bad |= kz_jw_int(j, "threat_level", ev->threat_level);
    bad |= kz_jw_int(j, "analysis", ev->analysis);
    bad |= kz_jw_ascii(j, "tlp", kz_tlp_name(ev->tlp));
    bad |= kz_jw_ascii(j, "pap", kz_pap_name(ev->pap));
    bad |= kz_jw_ascii(j, "distribution", kz_distribution_name(ev->distribution));
    bad |= kz_jw_uuid(j, "sharing_group_id", ev->sharing_group_id);
    bad |= kz_jw_uuid(j, "community_id", ev->community_id);
    json_t *tags = kz_jw_strlist(&ev->tags);
    if (tags) {
        const char *t = kz_tlp_tag(ev->tlp), *p = kz_pap_tag(ev->pap);
        bad |= json_array_insert_new(tags, 0, json_string(t ? t : ""));
        bad |= json_array_insert_new(tags, 1, json_string(p ? p : ""));
    }
    bad |= kz_jw_set(j, "tags", tags);
    bad |= kz_jw_set(j, "recipient_orgs", kz_jw_strlist(&ev->recipient_orgs));
    bad |= kz_jw_set(j, "recipient_users", kz_jw_strlist(&ev->recipient_users));
    bad |= kz_jw_bool(j, "published", ev->published);
    bad |= kz_jw_time(j, "published_at", ev->published_at);
    bad |= kz_jw_uuid(j, "creator_org", ev->creator_org);
    bad |= kz_jw_uuid(j, "creator_user", ev->creator_user);
    bad |= kz_jw_time(j, "created", ev->created);
    bad |= kz_jw_time(j, "modified", ev->modified);
    if (with_indicators && !bad) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < ev->n_indicators; i++)
            if (json_array_append_new(arr, kz_json_indicator(&ev->indicators[i]))) {
                json_decref(arr);
                arr = NULL;
            }
        bad |= kz_jw_set(j, "indicators", arr);
    }
    return kz_jw_done(j, bad);
}
