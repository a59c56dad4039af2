/* router.c — the one static table from method + path to handler. Keeping every
 * route in a single array lets the OpenAPI test compare the documentation with
 * what is really served, and lets a wrong method on a known path answer 405
 * with an Allow header instead of a misleading 404.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

/* Flags (http_int.h): a route takes no body unless it has KZ_ROUTE_BODY or
 * KZ_ROUTE_BODY_OPTIONAL, and at most 1 MiB of it unless it has KZ_ROUTE_BULK
 * (then --max-body). Give KZ_ROUTE_BULK only to batch routes. */
static const kz_route ROUTES[] = {
    {"GET", "/", kz_page_home, KZ_ROUTE_PUBLIC | KZ_ROUTE_HTML},
    {"GET", "/api/v1/health", kz_api_health, KZ_ROUTE_PUBLIC},
    {"GET", "/api/v1/me", kz_api_me, 0},

    {"GET", "/api/v1/orgs", kz_api_orgs_list, 0},
    {"POST", "/api/v1/orgs", kz_api_orgs_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/orgs/{id}", kz_api_org_get, 0},
    {"PATCH", "/api/v1/orgs/{id}", kz_api_org_patch, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/orgs/{id}", kz_api_org_delete, 0},

    {"GET", "/api/v1/users", kz_api_users_list, 0},
    {"POST", "/api/v1/users", kz_api_users_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/users/{id}", kz_api_user_get, 0},
    {"PATCH", "/api/v1/users/{id}", kz_api_user_patch, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/users/{id}", kz_api_user_delete, 0},

    {"GET", "/api/v1/keys", kz_api_keys_list, 0},
    {"POST", "/api/v1/keys", kz_api_keys_create, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/keys/{id}", kz_api_key_delete, 0},

    {"GET", "/api/v1/communities", kz_api_communities_list, 0},
    {"POST", "/api/v1/communities", kz_api_communities_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/communities/{id}", kz_api_community_get, 0},
    {"POST", "/api/v1/communities/{id}/members", kz_api_community_member_add, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/communities/{id}/members/{org_id}", kz_api_community_member_remove, 0},

    {"GET", "/api/v1/sharing-groups", kz_api_sharing_groups_list, 0},
    {"POST", "/api/v1/sharing-groups", kz_api_sharing_groups_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/sharing-groups/{id}", kz_api_sharing_group_get, 0},

    {"GET", "/api/v1/events", kz_api_events_list, 0},
    {"POST", "/api/v1/events", kz_api_events_create, KZ_ROUTE_BODY | KZ_ROUTE_BULK},
    {"GET", "/api/v1/events/{id}", kz_api_event_get, 0},
    {"PATCH", "/api/v1/events/{id}", kz_api_event_patch, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/events/{id}", kz_api_event_delete, 0},
    {"POST", "/api/v1/events/{id}/publish", kz_api_event_publish, 0},
    {"POST", "/api/v1/events/{id}/indicators", kz_api_event_indicators_add,
     KZ_ROUTE_BODY | KZ_ROUTE_BULK},

    {"GET", "/api/v1/indicators/{id}", kz_api_indicator_get, 0},
    {"PATCH", "/api/v1/indicators/{id}", kz_api_indicator_patch, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/indicators/{id}", kz_api_indicator_delete, 0},
    {"GET", "/api/v1/indicators/{id}/sightings", kz_api_sightings_list, 0},
    {"POST", "/api/v1/indicators/{id}/sightings", kz_api_sightings_create, KZ_ROUTE_BODY},

    {"GET", "/api/v1/search", kz_api_search, 0},

    /* federation (api_sync.c): node record public, feed and push for peers */
    {"GET", "/api/v1/sync/node", kz_api_sync_node, KZ_ROUTE_PUBLIC},
    {"GET", "/api/v1/sync/changes", kz_api_sync_changes, 0},
    {"POST", "/api/v1/sync/push", kz_api_sync_push, KZ_ROUTE_BODY | KZ_ROUTE_BULK},
    /* proposals (api_proposals.c): others suggest, the creator org decides */
    {"POST", "/api/v1/events/{id}/proposals", kz_api_proposals_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/events/{id}/proposals", kz_api_proposals_list, 0},
    {"POST", "/api/v1/events/{id}/proposals/{pid}/accept", kz_api_proposal_accept, 0},
    {"POST", "/api/v1/events/{id}/proposals/{pid}/discard", kz_api_proposal_discard, 0},

    /* STIX 2.1 (api_stix.c) */
    {"GET", "/api/v1/events/{id}/stix", kz_api_event_stix, 0},
    {"POST", "/api/v1/stix", kz_api_stix_import, KZ_ROUTE_BODY | KZ_ROUTE_BULK},

    /* match engine */
    {"POST", "/api/v1/lookup", kz_api_lookup, KZ_ROUTE_BODY | KZ_ROUTE_BULK},

    /* MISP-compatible API (misp_api*.c), exports (api_export.c), correlation
     * (api_correlations.c). index and restSearch take an optional body. */
    {"GET", "/servers/getVersion", kz_misp_api_version, 0},
    {"POST", "/events/add", kz_misp_api_event_add, KZ_ROUTE_BODY | KZ_ROUTE_BULK},
    {"GET", "/events/view/{id}", kz_misp_api_event_view, 0},
    {"GET", "/events/index", kz_misp_api_events_index, 0},
    {"POST", "/events/index", kz_misp_api_events_index, KZ_ROUTE_BODY_OPTIONAL},
    {"POST", "/events/restSearch", kz_misp_api_events_search, KZ_ROUTE_BODY_OPTIONAL},
    {"POST", "/attributes/restSearch", kz_misp_api_attrs_search, KZ_ROUTE_BODY_OPTIONAL},
    {"POST", "/sightings/add", kz_misp_api_sighting_add, KZ_ROUTE_BODY},
    {"GET", "/api/v1/export/{format}", kz_api_export, 0},
    {"GET", "/api/v1/export/misp-feed/{file}", kz_api_export_feed, 0},
    {"GET", "/api/v1/indicators/{id}/correlations", kz_api_correlations, 0},

    /* notifications: points of contact, webhooks, event stream, audit
     * (api_contacts.c, api_webhooks.c, api_stream.c, api_audit.c) */
    {"GET", "/api/v1/contacts", kz_api_contacts_list, 0},
    {"POST", "/api/v1/contacts", kz_api_contacts_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/contacts/{id}", kz_api_contact_get, 0},
    {"PATCH", "/api/v1/contacts/{id}", kz_api_contact_patch, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/contacts/{id}", kz_api_contact_delete, 0},
    {"POST", "/api/v1/contacts/{id}/verify", kz_api_contact_verify, 0},
    {"GET", "/api/v1/webhooks", kz_api_webhooks_list, 0},
    {"POST", "/api/v1/webhooks", kz_api_webhooks_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/webhooks/{id}", kz_api_webhook_get, 0},
    {"PATCH", "/api/v1/webhooks/{id}", kz_api_webhook_patch, KZ_ROUTE_BODY},
    {"DELETE", "/api/v1/webhooks/{id}", kz_api_webhook_delete, 0},
    {"GET", "/api/v1/webhooks/{id}/deliveries", kz_api_webhook_deliveries, 0},
    {"GET", "/api/v1/stream", kz_api_stream, 0},
    {"GET", "/api/v1/audit", kz_api_audit_list, 0},

    /* cases: joint incident response (api_cases*.c) */
    {"GET", "/api/v1/cases", kz_api_cases_list, 0},
    {"POST", "/api/v1/cases", kz_api_cases_create, KZ_ROUTE_BODY},
    {"GET", "/api/v1/cases/{id}", kz_api_case_get, 0},
    {"PATCH", "/api/v1/cases/{id}", kz_api_case_patch, KZ_ROUTE_BODY},
    {"POST", "/api/v1/cases/{id}/transition", kz_api_case_transition, KZ_ROUTE_BODY},
    {"GET", "/api/v1/cases/{id}/participants", kz_api_case_participants_list, 0},
    {"POST", "/api/v1/cases/{id}/participants", kz_api_case_invite, KZ_ROUTE_BODY},
    {"POST", "/api/v1/cases/{id}/participants/{org_id}/accept", kz_api_case_accept, 0},
    {"POST", "/api/v1/cases/{id}/participants/{org_id}/decline", kz_api_case_decline, 0},
    {"GET", "/api/v1/cases/{id}/tasks", kz_api_case_tasks_list, 0},
    {"POST", "/api/v1/cases/{id}/tasks", kz_api_case_task_create, KZ_ROUTE_BODY},
    {"PATCH", "/api/v1/cases/{id}/tasks/{task_id}", kz_api_case_task_patch, KZ_ROUTE_BODY},
    {"GET", "/api/v1/cases/{id}/timeline", kz_api_case_timeline_list, 0},
    {"POST", "/api/v1/cases/{id}/timeline", kz_api_case_timeline_add, KZ_ROUTE_BODY},
    {"GET", "/api/v1/cases/{id}/links", kz_api_case_links_list, 0},
    {"POST", "/api/v1/cases/{id}/links", kz_api_case_link_add, KZ_ROUTE_BODY},
    {"GET", "/api/v1/cases/{id}/observables", kz_api_case_observables_list, 0},
    {"POST", "/api/v1/cases/{id}/observables", kz_api_case_observable_add, KZ_ROUTE_BODY},
    {"POST", "/api/v1/cases/{id}/observables/{observable_id}/promote",
     kz_api_case_observable_promote, KZ_ROUTE_BODY},
    {"GET", "/api/v1/cases/{id}/injects", kz_api_case_injects_list, 0},
    {"GET", "/api/v1/cases/{id}/actions", kz_api_case_actions_list, 0},
    {"POST", "/api/v1/cases/{id}/injects", kz_api_case_inject_add, KZ_ROUTE_BODY},
    {"GET", "/api/v1/metrics/response", kz_api_metrics_response, 0},

    /* TAXII 2.1 server (taxii*.c). Add Objects takes its own media type, so
     * its body is optional to the request layer and checked by the handler. */
    {"GET", "/taxii2/", kz_taxii_discovery, 0},
    {"GET", "/taxii2/{api_root}/", kz_taxii_api_root, 0},
    {"GET", "/taxii2/{api_root}/collections/", kz_taxii_collections_list, 0},
    {"GET", "/taxii2/{api_root}/collections/{id}/", kz_taxii_collection_get, 0},
    {"GET", "/taxii2/{api_root}/collections/{id}/objects/", kz_taxii_objects_get, 0},
    {"POST", "/taxii2/{api_root}/collections/{id}/objects/", kz_taxii_objects_add,
     KZ_ROUTE_BODY_OPTIONAL | KZ_ROUTE_BULK},
    {"GET", "/taxii2/{api_root}/collections/{id}/manifest/", kz_taxii_manifest, 0},
    {"GET", "/taxii2/{api_root}/collections/{id}/objects/{object_id}/", kz_taxii_object_get, 0},
    {"DELETE", "/taxii2/{api_root}/collections/{id}/objects/{object_id}/",
     kz_taxii_object_delete, 0},
    {"GET", "/taxii2/{api_root}/collections/{id}/objects/{object_id}/versions/",
     kz_taxii_versions, 0},
    {"GET", "/taxii2/{api_root}/status/{status_id}/", kz_taxii_status_get, 0},
};

#define N_ROUTES KZ_ARRAY_LEN(ROUTES)

static kz_route_info g_info[N_ROUTES];
static pthread_once_t g_info_once = PTHREAD_ONCE_INIT;

static void info_init(void)
{
    for (size_t i = 0; i < N_ROUTES; i++) {
        g_info[i].method = ROUTES[i].method;
        g_info[i].path = ROUTES[i].pattern;
    }
}

size_t kz_http_routes(const kz_route_info **out)
{
    pthread_once(&g_info_once, info_init);
    *out = g_info;
    return N_ROUTES;
}

/* Matches path against pattern segment by segment; a {name} segment takes
 * any non-empty segment. Params point into the arena copy of the path. */
static bool match(kz_req *r, const char *pattern, const char *path, const char **params,
                  size_t *n_params)
{
    size_t n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t sl = se ? (size_t)(se - s) : strlen(s);
        if (pl > 0 && p[0] == '{') {
            if (sl == 0 || n >= KZ_HTTP_MAX_PARAMS)
                return false;
            if (params) {
                params[n] = kz_arena_strndup(&r->arena, s, sl);
                if (!params[n])
                    return false;
            }
            n++;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return false;
        }
        p += pl, s += sl;
    }
    if (*p || *s)
        return false;
    *n_params = n;
    return true;
}

int kz_router_match(kz_req *r, const char *method, const char *path, char *allow,
                    size_t allow_len)
{
    /* HEAD is GET without a body; MHD drops the body itself. */
    if (strcmp(method, "HEAD") == 0)
        method = "GET";
    size_t alen = 0;
    if (allow_len)
        allow[0] = 0;
    bool path_known = false;
    for (size_t i = 0; i < N_ROUTES; i++) {
        const kz_route *rt = &ROUTES[i];
        size_t np = 0;
        bool same_method = strcmp(rt->method, method) == 0;
        if (!match(r, rt->pattern, path, same_method ? r->params : NULL, &np))
            continue;
        if (same_method) {
            r->route = rt;
            r->n_params = np;
            return 1;
        }
        path_known = true;
        if (allow_len && !strstr(allow, rt->method)) {
            int w = snprintf(allow + alen, allow_len - alen, "%s%s", alen ? ", " : "", rt->method);
            if (w > 0 && (size_t)w < allow_len - alen)
                alen += (size_t)w;
        }
    }
    return path_known ? 2 : 0;
}
