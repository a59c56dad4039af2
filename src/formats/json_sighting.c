/* json_sighting.c — sightings on the wire: "someone saw this indicator"
 * (or reports it as a false positive or expired), with a count and a time. */
#include "json_read.h"
#include "json_write.h"

#include <string.h>

#define KZ_MAX_SIGHTING_COUNT 1000000000000LL

int kz_json_sighting_parse(const json_t *j, kz_arena *a, kz_sighting *out, kz_err *err)
{
    kz_jr r = {a, err, "", -1};
    memset(out, 0, sizeof *out);
    out->count = 1;
    out->type = KZ_SIGHTING_SEEN;
    int rc = kz_jr_object(&r, j);
    if (rc)
        return rc;
    bool has_indicator = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        int x;
        if (!strcmp(k, "indicator_id")) {
            rc = kz_jr_uuid(&r, k, v, 0, out->indicator_id);
            has_indicator = true;
        } else if (!strcmp(k, "time")) {
            rc = kz_jr_time(&r, k, v, &out->time);
        } else if (!strcmp(k, "count")) {
            rc = kz_jr_int(&r, k, v, 1, KZ_MAX_SIGHTING_COUNT, &out->count);
        } else if (!strcmp(k, "source")) {
            rc = kz_jr_string(&r, k, v, KZ_MAX_NAME, KZ_JR_NULLABLE, &out->source);
        } else if (!strcmp(k, "type")) {
            rc = kz_jr_enum(&r, k, v, kz_sighting_type_parse, "seen, false_positive, expired", 0,
                            &x);
            out->type = rc ? out->type : (kz_sighting_type)x;
        } else if (!strcmp(k, "org_id")) {
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->org_id);
        } else if (!strcmp(k, "id")) {
            rc = kz_jr_uuid(&r, k, v, KZ_JR_NULLABLE, out->id);
        } else if (!strcmp(k, "created")) {
            rc = kz_jr_time(&r, k, v, &out->created);
        } else {
            rc = kz_jr_unknown(&r, k);
        }
        if (rc)
            return rc;
    }
    if (!has_indicator)
        return kz_jr_missing(&r, "indicator_id");
    if (!out->time)
        out->time = kz_time_now();
    return KZ_OK;
}

json_t *kz_json_sighting(const kz_sighting *s)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int bad = 0;
    bad |= kz_jw_uuid(j, "id", s->id);
    bad |= kz_jw_uuid(j, "indicator_id", s->indicator_id);
    bad |= kz_jw_uuid(j, "org_id", s->org_id);
    bad |= kz_jw_time(j, "time", s->time);
    bad |= kz_jw_int(j, "count", s->count);
    bad |= kz_jw_str(j, "source", s->source);
    bad |= kz_jw_ascii(j, "type", kz_sighting_type_name(s->type));
    bad |= kz_jw_time(j, "created", s->created);
    return kz_jw_done(j, bad);
}
