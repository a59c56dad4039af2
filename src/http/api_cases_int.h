/* api_cases_int.h — what the api_cases*.c files share and nobody else
 * needs: the common opening of every /cases/{id}/... handler, so that the
 * query check, the case lookup and its access rule read the same everywhere.
 */
#ifndef KZ_API_CASES_INT_H
#define KZ_API_CASES_INT_H

#include "http_int.h"

/* No query parameters, then the case of path parameter 0 loaded for action
 * (kz_http_case_load). 0 or a negative KZ_E_* already in r->err. */
int kz_http_case_begin(kz_req *r, kz_case_action action, kz_case *c);

/* kz_http_case_begin, then the JSON body into *body (the caller decrefs it). */
int kz_http_case_begin_body(kz_req *r, kz_case_action action, kz_case *c, json_t **body);

#endif
