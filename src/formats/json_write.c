/* json_write.c — the small setters every serialiser uses, so that ids,
 * times and unset values look the same in every object on the wire. */
#include "json_write.h"

#include <string.h>

int kz_jw_set(json_t *o, const char *key, json_t *v)
{
    /* json_object_set_new releases v even when it fails. */
    return v && json_object_set_new_nocheck(o, key, v) == 0 ? 0 : -1;
}

int kz_jw_str(json_t *o, const char *key, const char *s)
{
    return kz_jw_set(o, key, s ? json_string(s) : json_null());
}

int kz_jw_ascii(json_t *o, const char *key, const char *s)
{
    return kz_jw_set(o, key, s ? json_stringn_nocheck(s, strlen(s)) : json_null());
}

int kz_jw_uuid(json_t *o, const char *key, const char *id)
{
    if (!id[0])
        return kz_jw_set(o, key, json_null());
    /* Model ids are validated on the way in; anything else is not sent as is. */
    if (!kz_uuid_valid(id))
        return -1;
    return kz_jw_set(o, key, json_stringn_nocheck(id, KZ_UUID_STRLEN));
}

int kz_jw_time(json_t *o, const char *key, kz_time t)
{
    if (t == 0)
        return kz_jw_set(o, key, json_null());
    char buf[KZ_TIME_STRLEN + 1];
    kz_time_format(t, buf);
    return kz_jw_set(o, key, json_stringn_nocheck(buf, KZ_TIME_STRLEN));
}

int kz_jw_int(json_t *o, const char *key, int64_t x)
{
    return kz_jw_set(o, key, json_integer((json_int_t)x));
}

int kz_jw_bool(json_t *o, const char *key, bool b) { return kz_jw_set(o, key, json_boolean(b)); }

json_t *kz_jw_strlist(const kz_strlist *l)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (json_array_append_new(a, json_string(l->v[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *kz_jw_done(json_t *o, int failed)
{
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}
