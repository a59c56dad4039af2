/* formats.h — layer 2: bytes ⇄ model. This header covers the node's native
 * JSON (the REST API's bodies and `kizuna import/export`); STIX, MISP, CSV and
 * sensor formats join it later.
 *
 * Parsers are strict: unknown fields, wrong JSON types, invalid values and
 * invalid UTF-8 are errors that name the field (as a JSON path such as
 * "indicators[3].value") and quote the value. Indicator values are normalised
 * through ioc. Serialisers never decide access: callers pass only what the
 * ACL allowed.
 */
#ifndef KZ_FORMATS_H
#define KZ_FORMATS_H

#include <jansson.h>

#include "model/model.h"

/* Every bad row of a batch, so a client can fix all of them at once. */
typedef struct kz_errlist {
    kz_err *v;
    size_t n;
    size_t cap;
} kz_errlist;

/* Appends a copy of e (arena-owned). */
int kz_errlist_push(kz_arena *a, kz_errlist *l, const kz_err *e);

/* Limits on text fields (bytes). */
#define KZ_MAX_NAME 256
#define KZ_MAX_TITLE 1024
#define KZ_MAX_TEXT 65536
#define KZ_MAX_VALUE 8192
#define KZ_MAX_TAGS 256
/* Limits on documents: bytes kz_json_load accepts (the HTTP body limit is
 * usually lower), indicators in one batch, bad rows listed in a kz_errlist
 * (the count of all bad rows is still in the summary message), and entries
 * in a list of org or user ids. */
#define KZ_MAX_JSON_BYTES ((size_t)1 << 30)
#define KZ_MAX_INDICATORS 1000000
#define KZ_MAX_ERRORS 1000
#define KZ_MAX_IDS 10000

/* ---- parse (create bodies; ids, owners and times are set by the caller) -- */
int kz_json_org_parse(const json_t *j, kz_arena *a, kz_org *out, kz_err *err);
/* Applies the fields present in j to an existing org (PATCH). */
int kz_json_org_patch(const json_t *j, kz_arena *a, kz_org *org, kz_err *err);
/* User create body: email, name, role, org_id (optional), password (optional,
 * returned in *password for the caller to hash; never stored as is). */
int kz_json_user_parse(const json_t *j, kz_arena *a, kz_user *out, const char **password,
                       kz_err *err);
/* API key create body: label, expires (optional), user_id (optional). */
int kz_json_api_key_parse(const json_t *j, kz_arena *a, kz_api_key *out, kz_err *err);
int kz_json_community_parse(const json_t *j, kz_arena *a, kz_community *out, kz_err *err);
int kz_json_sharing_group_parse(const json_t *j, kz_arena *a, kz_sharing_group *out, kz_err *err);
/* An event with optional inline "indicators". Each bad indicator is pushed to
 * errs with field "indicators[i]..."; returns KZ_E_INVALID if anything was bad. */
int kz_json_event_parse(const json_t *j, kz_arena *a, kz_event *out, kz_errlist *errs, kz_err *err);
int kz_json_event_patch(const json_t *j, kz_arena *a, kz_event *ev, kz_err *err);
/* An indicator; path is the prefix for error fields (e.g. "indicators[3]"). */
int kz_json_indicator_parse(const json_t *j, const char *path, kz_arena *a, kz_indicator *out,
                            kz_err *err);
/* A JSON array (or {"indicators":[...]}) of indicators: every bad row in errs. */
int kz_json_indicators_parse(const json_t *j, kz_arena *a, kz_indicator **out, size_t *n,
                             kz_errlist *errs, kz_err *err);
int kz_json_indicator_patch(const json_t *j, kz_arena *a, kz_indicator *ind, kz_err *err);
int kz_json_sighting_parse(const json_t *j, kz_arena *a, kz_sighting *out, kz_err *err);

/* ---- serialise (new references; caller json_decref) --------------------- */
json_t *kz_json_org(const kz_org *o);
json_t *kz_json_user(const kz_user *u); /* never includes the password hash */
json_t *kz_json_api_key(const kz_api_key *k); /* never includes the hash */
json_t *kz_json_community(const kz_community *c);
json_t *kz_json_sharing_group(const kz_sharing_group *g);
/* tags output includes the TLP and PAP machine tags. */
json_t *kz_json_event(const kz_event *ev, bool with_indicators);
json_t *kz_json_indicator(const kz_indicator *ind);
json_t *kz_json_sighting(const kz_sighting *s);
json_t *kz_json_errlist(const kz_errlist *errs);

/* Parses bytes as JSON with limits (depth, size) and a UTF-8 check; err names
 * the line and column of a syntax error. */
int kz_json_load(const char *p, size_t n, json_t **out, kz_err *err);

#endif
