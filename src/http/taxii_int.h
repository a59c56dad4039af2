/* taxii_int.h — what the TAXII 2.1 files share: the collections a caller
 * has (derived from the sharing model, never stored), the per-object access
 * decision through the object's event, and the TAXII media type, errors and
 * answers.
 */
#ifndef KZ_TAXII_INT_H
#define KZ_TAXII_INT_H

#include "http_int.h"

#define KZ_TAXII_MEDIA "application/taxii+json;version=2.1"
#define KZ_STIX_MEDIA "application/stix+json;version=2.1"
#define KZ_TAXII_ROOT "kizuna"

typedef enum { KZ_TAXII_ORG, KZ_TAXII_COMMUNITY, KZ_TAXII_SHARING_GROUP } kz_taxii_kind;

typedef struct kz_taxii_coll {
    kz_uuid id;           /* UUIDv5: "org:<org>", "community:<id>:<tlp>" or
                           * "sharing-group:<id>" */
    kz_taxii_kind kind;
    kz_uuid community;    /* KZ_TAXII_COMMUNITY */
    kz_uuid group;        /* KZ_TAXII_SHARING_GROUP */
    kz_strlist group_orgs; /* KZ_TAXII_SHARING_GROUP: its members */
    kz_tlp ceiling;       /* objects and events above it are left out */
    char *title, *description;
    bool can_write;
} kz_taxii_coll;

/* The caller's collections, in a fixed order (org first). */
int kz_taxii_collections(kz_req *r, kz_taxii_coll **out, size_t *n);
/* Checks the api root (param 0) and finds collection param 1: 404 if the
 * caller has no such collection. */
int kz_taxii_collection(kz_req *r, kz_taxii_coll *out);
/* Checks the api root (param 0): 404 unless it is ours. */
int kz_taxii_check_root(kz_req *r);

/* Per-request cache of event decisions. */
typedef struct kz_taxii_acl kz_taxii_acl;
kz_taxii_acl *kz_taxii_acl_new(kz_req *r);
/* Whether o belongs to c and the caller may take it (export) or, with
 * edit, change it. */
bool kz_taxii_allows(kz_taxii_acl *a, const kz_taxii_coll *c, const kz_stix_obj *o, bool edit);

/* Whether p[0..n) is application/taxii+json, with version 2.1 if it has a
 * version parameter (or, with wildcards, an Accept range covering it). */
bool kz_taxii_media_ok(const char *p, size_t n, bool wildcards);
/* 406 unless Accept admits the TAXII media type (answered here, since no
 * KZ_E_* maps to 406: the caller just returns the negative code). */
int kz_taxii_check_accept(kz_req *r);
/* Sends body (malloc'd text, taken) with the TAXII media type and, when
 * first/last are set, the X-TAXII-Date-Added-First/-Last headers. */
int kz_taxii_send(kz_req *r, unsigned status, char *body, size_t len, kz_time first,
                  kz_time last);
int kz_taxii_send_json(kz_req *r, unsigned status, json_t *j);
/* The 405 of a TAXII path (request.c): a TAXII error resource naming the
 * allowed methods, with the Allow header from r->allow. */
enum MHD_Result kz_taxii_send_405(kz_req *r);
/* A TAXII error resource for an error code (reply.c uses it for /taxii2/). */
json_t *kz_taxii_error_json(const char *code, unsigned http_status, const char *msg);

#endif
