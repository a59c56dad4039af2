/* api_cases_int.h — what the api_cases*.c files share and nobody else
 * needs: the common opening of every /cases/{id}/... handler, so that the
 * query check, the case lookup and its access rule read the same everywhere.
 */
#ifndef KZ_API_CASES_INT_H
#define KZ_API_CASES_INT_H

#include "http_int.h"
#include "sync/sync.h"

/* No query parameters, then the case of path parameter 0 loaded for action
 * (kz_http_case_load). 0 or a negative KZ_E_* already in r->err. */
int kz_http_case_begin(kz_req *r, kz_case_action action, kz_case *c);

/* kz_http_case_begin, then the JSON body into *body (the caller decrefs it). */
int kz_http_case_begin_body(kz_req *r, kz_case_action action, kz_case *c, json_t **body);

/* Cases across nodes. A case not homed on this node (a copy from its lead
 * org's node, kz_sync_case_is_copy) is changed only there:
 * kz_http_case_load answers 409 naming that node for lead-only operations;
 * the other handlers, once their own checks pass, call
 * kz_http_case_forward, which records the work as a signed action for the
 * home node and answers 202. */
int kz_http_case_forward(kz_req *r, const kz_case *c, kz_sync_case_action *x);

#endif
