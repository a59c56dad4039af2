/* misp_doc.c — the documents around MISP events: files and API answers
 * that hold several events, MISP's sharing group list, and a feed's
 * manifest. Each is recognised by its shape, since MISP labels none of
 * them.
 */
#include "misp_int.h"

#include <stdio.h>
#include <string.h>

static bool looks_like_event(const json_t *j)
{
    return json_is_object(j) &&
           (json_is_object(json_object_get(j, "Event")) || json_object_get(j, "Attribute") ||
            json_object_get(j, "Object") || json_object_get(j, "info") ||
            json_object_get(j, "uuid"));
}

json_t *kz_misp_doc_events(const json_t *j, kz_err *err)
{
    const json_t *list = j;
    if (json_is_object(j) && json_is_array(json_object_get(j, "response")))
        list = json_object_get(j, "response");
    json_t *out = json_array();
    if (!out) {
        kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        return NULL;
    }
    if (json_is_array(list)) {
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            if (!looks_like_event(e)) {
                json_decref(out);
                kz_fail(err, KZ_E_INVALID, NULL, "element %zu is not a MISP event", i);
                return NULL;
            }
            json_array_append(out, e);
        }
    } else if (looks_like_event(list)) {
        json_array_append(out, (json_t *)list);
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        kz_fail(err, KZ_E_INVALID, NULL,
                "no MISP event in the document (expected {\"Event\":{...}}, an event object,"
                " an array of them, or {\"response\":[...]})");
        return NULL;
    }
    return out;
}

bool kz_misp_doc_is_sharing_groups(const json_t *j)
{
    if (json_is_object(j) && json_is_array(json_object_get(j, "response")))
        j = json_object_get(j, "response");
    return json_is_array(j) && json_array_size(j) > 0 &&
           json_is_object(json_object_get(json_array_get(j, 0), "SharingGroup"));
}

static int org_of(kz_arena *a, const json_t *v, kz_misp_org_ref *out, const char *path,
                  kz_err *err)
{
    if (kz_mj_org(a, v, out) < 0)
        return kz_fail(err, KZ_E_INVALID, path,
                       "%s: must be an object with a valid \"uuid\" and a \"name\"", path);
    return 0;
}

int kz_misp_sharing_groups_parse(const json_t *j, kz_arena *a,
                                 struct kz_misp_sharing_group **out, size_t *n, kz_err *err)
{
    *out = NULL;
    *n = 0;
    if (json_is_object(j) && json_is_array(json_object_get(j, "response")))
        j = json_object_get(j, "response");
    if (!json_is_array(j))
        return kz_fail(err, KZ_E_INVALID, NULL,
                       "a MISP sharing group list is an array of {\"SharingGroup\":...}");
    size_t cnt = json_array_size(j);
    kz_misp_sharing_group *v = cnt ? kz_arena_alloc(a, cnt * sizeof *v) : NULL;
    if (cnt && !v)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
        char path[96];
        snprintf(path, sizeof path, "[%zu].SharingGroup", i);
        const json_t *sg = json_object_get(e, "SharingGroup");
        if (!json_is_object(sg))
            return kz_fail(err, KZ_E_INVALID, path, "%s: missing or not an object", path);
        kz_misp_sharing_group *g = &v[i];
        memset(g, 0, sizeof *g);
        const char *u = json_string_value(json_object_get(sg, "uuid"));
        if (u && *u && (strlen(u) != KZ_UUID_STRLEN || !kz_uuid_normalize(u, g->uuid)))
            return kz_fail(err, KZ_E_VALUE, path, "%s.uuid: '%.64s' is not a UUID", path, u);
        char *name = NULL, *desc = NULL;
        if (kz_mj_str(a, json_object_get(sg, "name"), 1024, &name) < 0 || !name || !*name)
            return kz_fail(err, KZ_E_INVALID, path, "%s.name: a sharing group needs a name",
                           path);
        if (kz_mj_str(a, json_object_get(sg, "description"), KZ_MAX_TEXT, &desc) < 0)
            return kz_fail(err, KZ_E_INVALID, path, "%s.description: must be a string", path);
        g->name = name;
        g->description = desc && *desc ? desc : NULL;
        snprintf(path, sizeof path, "[%zu].Organisation", i);
        int r = org_of(a, json_object_get(e, "Organisation"), &g->owner, path, err);
        if (r)
            return r;
        const json_t *orgs = json_object_get(e, "SharingGroupOrg");
        size_t m = json_is_array(orgs) ? json_array_size(orgs) : 0;
        g->members = m ? kz_arena_alloc(a, m * sizeof *g->members) : NULL;
        if (m && !g->members)
            return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
        size_t k;
        json_t *so;
        json_array_foreach(orgs, k, so) {
            snprintf(path, sizeof path, "[%zu].SharingGroupOrg[%zu].Organisation", i, k);
            if ((r = org_of(a, json_object_get(so, "Organisation"), &g->members[g->n_members],
                            path, err)))
                return r;
            if (g->members[g->n_members].uuid[0] || g->members[g->n_members].name)
                g->n_members++;
        }
    }
    *out = v;
    *n = cnt;
    return 0;
}

int kz_misp_manifest_parse(const json_t *j, kz_arena *a, kz_misp_manifest_entry **out, size_t *n,
                           kz_err *err)
{
    *out = NULL;
    *n = 0;
    if (!json_is_object(j))
        return kz_fail(err, KZ_E_INVALID, NULL,
                       "manifest.json must be an object of {\"<event uuid>\": {...}}");
    size_t cnt = json_object_size(j);
    kz_misp_manifest_entry *v = cnt ? kz_arena_alloc(a, cnt * sizeof *v) : NULL;
    if (cnt && !v)
        return kz_fail(err, KZ_E_NOMEM, NULL, "out of memory");
    const char *key;
    json_t *e;
    json_object_foreach((json_t *)j, key, e) {
        kz_misp_manifest_entry *m = &v[*n];
        if (strlen(key) != KZ_UUID_STRLEN || !kz_uuid_normalize(key, m->uuid))
            return kz_fail(err, KZ_E_VALUE, NULL, "manifest.json: key '%.64s' is not a UUID",
                           key);
        kz_time t = 0;
        if (!json_is_object(e) || kz_mj_epoch(json_object_get(e, "timestamp"), &t) < 0)
            return kz_fail(err, KZ_E_VALUE, NULL,
                           "manifest.json: entry %s needs a \"timestamp\" in epoch seconds",
                           m->uuid);
        m->timestamp = kz_misp_secs(t);
        (*n)++;
    }
    *out = v;
    return 0;
}
