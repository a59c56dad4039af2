/* json_write.h — private to formats: building jansson objects from model
 * structs. Each helper returns 0 or -1 so a serialiser can "or" the results
 * and drop the whole object on the first failure (out of memory, or a string
 * that is not UTF-8), instead of emitting a half-filled object. */
#ifndef KZ_FORMATS_JSON_WRITE_H
#define KZ_FORMATS_JSON_WRITE_H

#include "formats.h"

/* Takes ownership of v (may be NULL, which counts as a failure). */
int kz_jw_set(json_t *o, const char *key, json_t *v);
/* A model string; NULL gives null. */
int kz_jw_str(json_t *o, const char *key, const char *s);
/* Text known to be ASCII (enum names, tags written by the model). */
int kz_jw_ascii(json_t *o, const char *key, const char *s);
/* A UUID; "" gives null. */
int kz_jw_uuid(json_t *o, const char *key, const char *id);
/* RFC 3339 with microseconds; 0 gives null. */
int kz_jw_time(json_t *o, const char *key, kz_time t);
int kz_jw_int(json_t *o, const char *key, int64_t x);
int kz_jw_bool(json_t *o, const char *key, bool b);
/* An array of strings. */
json_t *kz_jw_strlist(const kz_strlist *l);
/* Finishes a serialiser: o on success, NULL (and o released) on failure. */
json_t *kz_jw_done(json_t *o, int failed);

#endif
