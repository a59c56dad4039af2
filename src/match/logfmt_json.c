/* logfmt_json.c — one JSON object per line: Zeek's JSON logs and Suricata's
 * EVE. Lines are parsed with jansson (the project's one JSON parser for
 * hostile input) and walked member by member; a string's dotted path
 * without array indices ("dns.answers.rdata", "id.resp_h") decides what it
 * is (logfmt_fields.c). Nested objects and arrays are followed a few
 * levels deep, which covers both Zeek's flat "id.orig_h" keys and EVE's
 * nested records.
 */
#include "sweep_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 8
#define MAX_PATH 256

typedef struct jwalk {
    kz_sw_worker *w;
    kz_sweep_format fmt;
    const char *zpath; /* Zeek's "_path", NULL when none */
    char path[MAX_PATH];
} jwalk;

static void walk(jwalk *j, json_t *v, size_t plen, json_t *parent, int depth);

static void leaf(jwalk *j, json_t *v, size_t plen, json_t *parent)
{
    kz_swf_kind k = kz_sw_json_kind(j->fmt, j->zpath, j->path, plen);
    if (k == KZ_SWF_NONE)
        return;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || (j->fmt == KZ_SWEEP_ZEEK_JSON && n == 1 && s[0] == '-'))
        return;
    if (k == KZ_SWF_URI) { /* the request target with the host beside it */
        json_t *h = json_is_object(parent)
                        ? json_object_get(parent, j->fmt == KZ_SWEEP_EVE ? "hostname" : "host")
                        : NULL;
        kz_sw_http_url(j->w, "url", 3, json_is_string(h) ? json_string_value(h) : NULL,
                       json_is_string(h) ? json_string_length(h) : 0, s, n);
        return;
    }
    kz_sw_value(j->w, k, j->path, plen, s, n);
}

static void walk(jwalk *j, json_t *v, size_t plen, json_t *parent, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    if (json_is_string(v)) {
        leaf(j, v, plen, parent);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) walk(j, e, plen, parent, depth + 1);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m)
        {
            size_t kl = strlen(key);
            size_t np = plen ? plen + 1 + kl : kl;
            if (np >= MAX_PATH)
                continue;
            if (plen)
                j->path[plen] = '.';
            memcpy(j->path + (plen ? plen + 1 : 0), key, kl);
            j->path[np] = '\0';
            walk(j, m, np, v, depth + 1);
            j->path[plen] = '\0';
        }
    }
}

/* A member by flat key ("id.resp_h") or by nested path ({"id":{"resp_h"}}). */
static json_t *member(json_t *o, const char *flat, const char *outer, const char *inner)
{
    json_t *v = json_object_get(o, flat);
    if (!v && outer) {
        json_t *x = json_object_get(o, outer);
        v = json_is_object(x) ? json_object_get(x, inner) : NULL;
    }
    return v;
}

static void ip_port(kz_sw_worker *w, json_t *o, kz_sweep_format fmt)
{
    json_t *a, *p;
    const char *fname;
    if (fmt == KZ_SWEEP_EVE) {
        a = json_object_get(o, "dest_ip");
        p = json_object_get(o, "dest_port");
        fname = "dest_ip:dest_port";
    } else {
        a = member(o, "id.resp_h", "id", "resp_h");
        p = member(o, "id.resp_p", "id", "resp_p");
        fname = "id.resp_h:id.resp_p";
    }
    if (!json_is_string(a) || !json_is_integer(p))
        return;
    char port[24];
    int pn = snprintf(port, sizeof port, "%lld", (long long)json_integer_value(p));
    kz_sw_ip_port(w, fname, strlen(fname), json_string_value(a), json_string_length(a), port,
                  (size_t)pn);
}

void kz_sw_json_line(kz_sw_worker *w, kz_sweep_format fmt, const char *p, size_t n)
{
    json_error_t e;
    json_t *o = json_loadb(p, n, 0, &e);
    if (!o || !json_is_object(o)) {
        if (o)
            kz_sw_problem(w->out, w->line, KZ_E_INVALID, "not a JSON object: line skipped");
        else
            kz_sw_problem(w->out, w->line, KZ_E_INVALID,
                          "not JSON (%s, column %d): line skipped", e.text, e.column);
        json_decref(o);
        return;
    }
    jwalk j = {.w = w, .fmt = fmt};
    json_t *zp = fmt == KZ_SWEEP_ZEEK_JSON ? json_object_get(o, "_path") : NULL;
    j.zpath = json_is_string(zp) ? json_string_value(zp) : NULL;
    walk(&j, o, 0, NULL, 0);
    if (kz_sw_has(w->env, KZ_IOC_IP_PORT))
        ip_port(w, o, fmt);
    json_decref(o);
}
