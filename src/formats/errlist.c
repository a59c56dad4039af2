/* errlist.c — every bad row of a batch, so a client fixes them all in one
 * round trip instead of one per request. */
#include "json_write.h"

#include <stdlib.h>
#include <string.h>

int kz_errlist_push(kz_arena *a, kz_errlist *l, const kz_err *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        if (cap > SIZE_MAX / sizeof *l->v)
            return KZ_E_NOMEM;
        kz_err *v = kz_arena_alloc(a, cap * sizeof *v);
        if (!v)
            return KZ_E_NOMEM;
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v; /* the old array stays in the arena until it is freed */
        l->cap = cap;
    }
    l->v[l->n++] = *e;
    return KZ_OK;
}

/* A message cut by snprintf may end inside a UTF-8 sequence; json_string
 * would refuse it, so cut it back to the last whole character. */
static json_t *lossy_string(const char *s)
{
    json_t *v = json_string(s);
    if (v)
        return v;
    size_t n = strlen(s);
    while (n > 0 && !kz_utf8_valid(s, n))
        n--;
    return json_stringn(s, n);
}

json_t *kz_json_errlist(const kz_errlist *errs)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < errs->n; i++) {
        json_t *o = json_object();
        int bad = !o;
        if (o) {
            bad |= kz_jw_set(o, "field", lossy_string(errs->v[i].field));
            bad |= kz_jw_set(o, "message", lossy_string(errs->v[i].msg));
        }
        if (bad || json_array_append_new(arr, o)) {
            if (bad)
                json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
