/* misp_api_int.h — private to the MISP-compatible API (misp_api*.c): the
 * search filters MISP clients send (restSearch, index), the per-request
 * cache of events and their access decisions, and the helpers the
 * handlers share.
 */
#ifndef KZ_HTTP_MISP_API_INT_H
#define KZ_HTTP_MISP_API_INT_H

#include "http_int.h"

/* The version we answer /servers/getVersion with: the MISP API level the
 * supported routes follow. */
#define KZ_MISP_API_VERSION "2.4.180"

enum { KZ_MF_JSON, KZ_MF_CSV, KZ_MF_TEXT };

/* restSearch / index parameters. Lists are "any of"; not_* are "none of";
 * tags_and "all of". */
typedef struct kz_mf {
    kz_strlist values, not_values;
    kz_strlist types, not_types;
    kz_strlist cats, not_cats;
    kz_strlist orgs, not_orgs;
    kz_strlist tags_or, tags_and, tags_not;
    kz_strlist eventids, uuids;
    kz_time from, to;       /* event date, inclusive; 0 = open */
    kz_time published_since; /* "last" */
    kz_time ts_since;       /* "timestamp" */
    int published, to_ids;  /* -1 any */
    size_t limit, page;     /* limit 0 = the default cap */
    int fmt;                /* KZ_MF_* */
    bool event_tags;        /* includeEventTags */
    bool attachments;       /* withAttachments */
    bool attr_filters;      /* some filter looks at attributes */
} kz_mf;

/* Parses the JSON body (absent or empty = no filters), bare or wrapped in
 * {"request": ...}. Unknown parameters are ignored, as MISP does; known
 * ones with a wrong value are a 400 naming them. */
int kz_mf_parse(kz_req *r, kz_mf *f);

/* One event as far as filters and access go, cached per request. */
typedef struct kz_mev {
    kz_uuid id;
    int64_t seq;
    bool loaded, visible;
    kz_event ev;          /* fields only */
    kz_acl_object acl;
    kz_misp_org_ref orgc; /* id (= MISP uuid) and name */
    char *org_name;       /* the creator (owner) org */
} kz_mev;

typedef struct kz_mev_org {
    kz_uuid id;
    char *name;
    kz_strlist *communities; /* NULL until needed */
} kz_mev_org;

typedef struct kz_mev_cache {
    kz_mev **slot;
    size_t cap, n;
    kz_mev_org *orgs; /* the few orgs a request meets */
    size_t n_orgs, cap_orgs;
} kz_mev_cache;

/* The cached entry for an event (loading it and its access decision on
 * first use); known (may be NULL) spares reading the event again, and
 * seq / orgc (0 / NULL when unknown) the queries for them. NULL on failure
 * (r->err set) or when the event does not exist (err clear). */
kz_mev *kz_mev_get(kz_req *r, kz_mev_cache *c, const char *id, const kz_event *known,
                   int64_t seq, const kz_misp_org_ref *orgc);

bool kz_mf_match_event(const kz_mf *f, const kz_mev *m);
/* restSearch values (misp_api_value.c): a '%' pattern matched as MISP's
 * LIKE does; and "want is a value of this attribute": as written,
 * normalised, a pattern, or one part of a composite value. */
bool kz_mf_is_pattern(const char *want);
bool kz_mf_like(const char *pattern, const char *value);
bool kz_mf_value_is(const char *want, const kz_indicator *ind, const kz_misp_attr *ma);
bool kz_mf_match_attr(const kz_mf *f, const kz_mev *m, const kz_indicator *ind,
                      const kz_misp_attr *ma);

/* Calls fn with each attribute r->who may see that matches f (the ACL and
 * every filter applied), from the most selective source f names; fn sets
 * *stop to end the scan. */
typedef int (*kz_misp_attr_fn)(kz_req *r, void *ctx, kz_mev *m, const kz_indicator *ind,
                               const kz_misp_attr *ma, const kz_misp_object *obj, bool *stop);
int kz_misp_api_scan(kz_req *r, const kz_mf *f, kz_mev_cache *cache, kz_misp_attr_fn fn,
                     void *ctx);

/* Keeps only the indicators (and objects still holding one) r->who may
 * see; obj is the event's access object. */
int kz_misp_api_narrow(kz_req *r, const kz_acl_object *obj, kz_misp_event *me);
/* The event as /events/view answers it, RelatedEvent included. */
json_t *kz_misp_api_event_json(kz_req *r, kz_misp_event *me, bool attachments);

/* Answers a text body (csv, plain text). Takes b's memory. */
int kz_misp_api_send_text(kz_req *r, const char *ctype, kz_buf *b);

#endif
