/* stix_export_native.c — STIX objects for what the node holds natively: an
 * event becomes a report, each indicator an indicator with a pattern built
 * from its normalised value, each value an observable with its deterministic
 * id, and the creating org an identity. Ids are derived from the node's own
 * ids (report--<event id>, indicator--<indicator id>, identity--<UUIDv5 of
 * the org id>), so exporting the same event twice names everything the same
 * way and a consumer sees new versions, not new objects.
 */
#include "stix_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- patterns -------------------------------------------------------------- */

static const char *hash_key(size_t hexlen)
{
    switch (hexlen) {
    case 32: return "MD5";
    case 40: return "'SHA-1'";
    case 64: return "'SHA-256'";
    case 128: return "'SHA-512'";
    default: return NULL;
    }
}

/* "1.2.3.4:443" / "[2001:db8::1]:443" into address and port. */
static bool split_ip_port(const char *v, char *ip, size_t iplen, long *port)
{
    const char *colon = strrchr(v, ':');
    if (!colon)
        return false;
    const char *a = v, *ae = colon;
    if (*a == '[') {
        a++;
        if (ae == a || ae[-1] != ']')
            return false;
        ae--;
    }
    size_t n = (size_t)(ae - a);
    if (n == 0 || n >= iplen)
        return false;
    memcpy(ip, a, n);
    ip[n] = '\0';
    char *end;
    *port = strtol(colon + 1, &end, 10);
    return *end == '\0' && *port >= 0 && *port <= 65535;
}

static void eq(kz_buf *b, const char *path, const char *v)
{
    kz_buf_puts(b, path);
    kz_buf_puts(b, " = ");
    kz__stix_pattern_quote(b, v);
}

int kz_stix_pattern_of(const kz_indicator *ind, kz_buf *out, kz_err *err)
{
    const char *v = ind->value ? ind->value : "";
    kz_buf_putc(out, '[');
    switch (ind->type) {
    case KZ_IOC_IPV4: eq(out, "ipv4-addr:value", v); break;
    case KZ_IOC_IPV6: eq(out, "ipv6-addr:value", v); break;
    case KZ_IOC_CIDR: eq(out, strchr(v, ':') ? "ipv6-addr:value" : "ipv4-addr:value", v); break;
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME: eq(out, "domain-name:value", v); break;
    case KZ_IOC_URL: eq(out, "url:value", v); break;
    case KZ_IOC_EMAIL: eq(out, "email-addr:value", v); break;
    case KZ_IOC_MD5:
    case KZ_IOC_SHA1:
    case KZ_IOC_SHA256:
    case KZ_IOC_SHA512: {
        const char *k = hash_key(strlen(v));
        if (!k)
            return kz_fail(err, KZ_E_VALUE, "value", "'%.64s' is not a hash", v);
        kz_buf_printf(out, "file:hashes.%s = ", k);
        kz__stix_pattern_quote(out, v);
        break;
    }
    case KZ_IOC_FILENAME: eq(out, "file:name", v); break;
    case KZ_IOC_FILENAME_HASH: {
        const char *bar = strrchr(v, '|');
        const char *k = bar ? hash_key(strlen(bar + 1)) : NULL;
        if (!k)
            return kz_fail(err, KZ_E_VALUE, "value", "'%.64s' is not name|hash", v);
        char *name = strndup(v, (size_t)(bar - v));
        if (!name)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        eq(out, "file:name", name);
        free(name);
        kz_buf_printf(out, " AND file:hashes.%s = ", k);
        kz__stix_pattern_quote(out, bar + 1);
        break;
    }
    case KZ_IOC_IP_PORT: {
        char ip[64];
        long port;
        if (!split_ip_port(v, ip, sizeof ip, &port))
            return kz_fail(err, KZ_E_VALUE, "value", "'%.64s' is not address:port", v);
        kz_buf_printf(out, "network-traffic:dst_ref.type = '%s' AND ",
                      strchr(ip, ':') ? "ipv6-addr" : "ipv4-addr");
        eq(out, "network-traffic:dst_ref.value", ip);
        kz_buf_printf(out, " AND network-traffic:dst_port = %ld", port);
        break;
    }
    case KZ_IOC_DOMAIN_IP: {
        const char *bar = strchr(v, '|');
        if (!bar)
            return kz_fail(err, KZ_E_VALUE, "value", "'%.64s' is not domain|ip", v);
        char *dom = strndup(v, (size_t)(bar - v));
        if (!dom)
            return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
        eq(out, "domain-name:value", dom);
        free(dom);
        kz_buf_puts(out, " AND ");
        eq(out, "domain-name:resolves_to_refs[*].value", bar + 1);
        break;
    }
    case KZ_IOC_ASN: {
        const char *d = v;
        while (*d && !(*d >= '0' && *d <= '9'))
            d++;
        if (!*d)
            return kz_fail(err, KZ_E_VALUE, "value", "'%.64s' is not an AS number", v);
        kz_buf_printf(out, "autonomous-system:number = %s", d);
        break;
    }
    case KZ_IOC_BTC: eq(out, "x-kizuna-btc-address:value", v); break;
    case KZ_IOC_USER_AGENT:
        eq(out, "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'", v);
        break;
    case KZ_IOC_MUTEX: eq(out, "mutex:name", v); break;
    case KZ_IOC_REGKEY: eq(out, "windows-registry-key:key", v); break;
    case KZ_IOC_CVE:
    case KZ_IOC_TEXT:
    default:
        return kz_fail(err, KZ_E_VALUE, "type", "a %s indicator has no STIX pattern",
                       kz_ioc_type_name(ind->type) ? kz_ioc_type_name(ind->type) : "?");
    }
    kz_buf_putc(out, ']');
    return out->p ? 0 : kz_fail(err, KZ_E_NOMEM, "", "out of memory");
}

/* ---- objects --------------------------------------------------------------- */

typedef struct nctx {
    json_t *out;       /* array of objects being built */
    json_t *seen;      /* object: id -> true, for observables shared by indicators */
    const char *creator;
    kz_strlist *refs;  /* the report's object_refs */
    kz_arena *a;
    bool tlp_used[KZ_TLP_RED + 1];
} nctx;

static int set_time(json_t *o, const char *k, kz_time t)
{
    char s[KZ_TIME_STRLEN + 1];
    kz_time_format(t, s);
    return json_object_set_new(o, k, json_string(s));
}

static int marking(nctx *c, json_t *o, kz_tlp t)
{
    const char *id = kz_stix_tlp_marking_id(t);
    if (!id)
        return -1;
    c->tlp_used[t] = true;
    return json_object_set_new(o, "object_marking_refs", json_pack("[s]", id));
}

/* A string list property, only when non-empty (STIX forbids empty lists). */
static int set_list(json_t *o, const char *k, const kz_strlist *l)
{
    if (!l || l->n == 0)
        return 0;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n; i++)
        if (json_array_append_new(arr, json_string(l->v[i])))
            return -1;
    return json_object_set_new(o, k, arr);
}

/* Appends an SCO once; its id goes to *id_out. */
static int add_sco(nctx *c, json_t *sco, kz_tlp t, char *id_out, kz_err *err)
{
    if (!sco)
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    char id[KZ_STIX_ID_MAX];
    int r = kz_stix_sco_id(sco, id, sizeof id, err);
    if (r) {
        json_decref(sco);
        return r;
    }
    if (id_out)
        memcpy(id_out, id, strlen(id) + 1);
    if (json_object_get(c->seen, id)) {
        json_decref(sco);
        return 0;
    }
    /* id after type and spec_version, as the spec's examples order them. */
    json_t *o = json_pack("{s:O, s:s, s:s}", "type", json_object_get(sco, "type"), "spec_version",
                          "2.1", "id", id);
    json_object_update(o, sco);
    json_decref(sco);
    if (!o || marking(c, o, t) || json_array_append_new(c->out, o) ||
        json_object_set_new(c->seen, id, json_true()) || kz_strlist_push(c->a, c->refs, id))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return 0;
}

static json_t *value_sco(const char *type, const char *value)
{
    return json_pack("{s:s, s:s}", "type", type, "value", value);
}

/* The observables an indicator's value describes. */
static int scos_for(nctx *c, const kz_indicator *ind, kz_tlp t, kz_err *err)
{
    const char *v = ind->value ? ind->value : "";
    char ip[64];
    long port;
    switch (ind->type) {
    case KZ_IOC_IPV4: return add_sco(c, value_sco("ipv4-addr", v), t, NULL, err);
    case KZ_IOC_IPV6: return add_sco(c, value_sco("ipv6-addr", v), t, NULL, err);
    case KZ_IOC_CIDR:
        return add_sco(c, value_sco(strchr(v, ':') ? "ipv6-addr" : "ipv4-addr", v), t, NULL, err);
    case KZ_IOC_DOMAIN:
    case KZ_IOC_HOSTNAME: return add_sco(c, value_sco("domain-name", v), t, NULL, err);
    case KZ_IOC_URL: return add_sco(c, value_sco("url", v), t, NULL, err);
    case KZ_IOC_EMAIL: return add_sco(c, value_sco("email-addr", v), t, NULL, err);
    case KZ_IOC_MD5:
    case KZ_IOC_SHA1:
    case KZ_IOC_SHA256:
    case KZ_IOC_SHA512: {
        const char *k = hash_key(strlen(v));
        if (!k)
            return 0;
        char key[16];
        snprintf(key, sizeof key, "%s", k[0] == '\'' ? k + 1 : k);
        key[strcspn(key, "'")] = '\0';
        return add_sco(c, json_pack("{s:s, s:{s:s}}", "type", "file", "hashes", key, v), t, NULL,
                       err);
    }
    case KZ_IOC_FILENAME:
        return add_sco(c, json_pack("{s:s, s:s}", "type", "file", "name", v), t, NULL, err);
    case KZ_IOC_FILENAME_HASH: {
        const char *bar = strrchr(v, '|');
        const char *k = bar ? hash_key(strlen(bar + 1)) : NULL;
        if (!k)
            return 0;
        char key[16];
        snprintf(key, sizeof key, "%s", k[0] == '\'' ? k + 1 : k);
        key[strcspn(key, "'")] = '\0';
        return add_sco(c, json_pack("{s:s, s:{s:s}, s:s%}", "type", "file", "hashes", key, bar + 1,
                                    "name", v, (size_t)(bar - v)),
                       t, NULL, err);
    }
    case KZ_IOC_IP_PORT: {
        if (!split_ip_port(v, ip, sizeof ip, &port))
            return 0;
        bool v6 = strchr(ip, ':') != NULL;
        char ipid[KZ_STIX_ID_MAX];
        int r = add_sco(c, value_sco(v6 ? "ipv6-addr" : "ipv4-addr", ip), t, ipid, err);
        if (r)
            return r;
        return add_sco(c,
                       json_pack("{s:s, s:s, s:I, s:[s]}", "type", "network-traffic", "dst_ref",
                                 ipid, "dst_port", (json_int_t)port, "protocols",
                                 v6 ? "ipv6" : "ipv4"),
                       t, NULL, err);
    }
    case KZ_IOC_DOMAIN_IP: {
        const char *bar = strchr(v, '|');
        if (!bar)
            return 0;
        char ipid[KZ_STIX_ID_MAX];
        int r = add_sco(c, value_sco(strchr(bar + 1, ':') ? "ipv6-addr" : "ipv4-addr", bar + 1),
                        t, ipid, err);
        if (r)
            return r;
        return add_sco(c,
                       json_pack("{s:s, s:s%, s:[s]}", "type", "domain-name", "value", v,
                                 (size_t)(bar - v), "resolves_to_refs", ipid),
                       t, NULL, err);
    }
    case KZ_IOC_ASN: {
        const char *d = v;
        while (*d && !(*d >= '0' && *d <= '9'))
            d++;
        if (!*d)
            return 0;
        return add_sco(c,
                       json_pack("{s:s, s:I}", "type", "autonomous-system", "number",
                                 (json_int_t)strtoll(d, NULL, 10)),
                       t, NULL, err);
    }
    case KZ_IOC_MUTEX:
        return add_sco(c, json_pack("{s:s, s:s}", "type", "mutex", "name", v), t, NULL, err);
    case KZ_IOC_REGKEY:
        return add_sco(c, json_pack("{s:s, s:s}", "type", "windows-registry-key", "key", v), t,
                       NULL, err);
    default: return 0;
    }
}

/* The common head of an SDO made by this node. */
static json_t *sdo(nctx *c, const char *type, const char *uuid, kz_time created, kz_time modified)
{
    char id[KZ_STIX_ID_MAX];
    snprintf(id, sizeof id, "%s--%s", type, uuid);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "spec_version", "2.1", "id", id,
                          "created_by_ref", c->creator);
    if (!o)
        return NULL;
    if (modified < created)
        modified = created;
    if (set_time(o, "created", created) || set_time(o, "modified", modified)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int one_indicator(nctx *c, const kz_event *ev, const kz_indicator *ind, kz_err *err)
{
    kz_tlp t = ind->tlp > (int)ev->tlp ? (kz_tlp)ind->tlp : ev->tlp;
    json_t *o = NULL;
    if (ind->type == KZ_IOC_CVE) {
        o = sdo(c, "vulnerability", ind->id, ind->created, ind->modified);
        if (!o || json_object_set_new(o, "name", json_string(ind->value)) ||
            json_object_set_new(o, "external_references",
                                json_pack("[{s:s, s:s}]", "source_name", "cve", "external_id",
                                          ind->value)))
            goto oom;
    } else if (ind->type == KZ_IOC_TEXT) {
        char rep[KZ_STIX_ID_MAX];
        snprintf(rep, sizeof rep, "report--%s", ev->id);
        o = sdo(c, "note", ind->id, ind->created, ind->modified);
        if (!o || json_object_set_new(o, "content", json_string(ind->value)) ||
            json_object_set_new(o, "object_refs", json_pack("[s]", rep)))
            goto oom;
    } else {
        kz_buf pat;
        kz_buf_init(&pat);
        int r = kz_stix_pattern_of(ind, &pat, err);
        if (r) {
            kz_buf_free(&pat);
            return r;
        }
        o = sdo(c, "indicator", ind->id, ind->created, ind->modified);
        const char *name = ind->value;
        int bad = !o || json_object_set_new(o, "name", json_string(name)) ||
                  (ind->comment && *ind->comment &&
                   json_object_set_new(o, "description", json_string(ind->comment))) ||
                  json_object_set_new(o, "pattern", json_string(pat.p)) ||
                  json_object_set_new(o, "pattern_type", json_string("stix")) ||
                  json_object_set_new(o, "pattern_version", json_string("2.1")) ||
                  set_time(o, "valid_from", ind->first_seen ? ind->first_seen : ind->created);
        kz_buf_free(&pat);
        if (bad)
            goto oom;
    }
    if (set_list(o, "labels", &ind->tags) || marking(c, o, t))
        goto oom;
    const char *id = json_string_value(json_object_get(o, "id"));
    if (kz_strlist_push(c->a, c->refs, id) || json_array_append_new(c->out, o))
        return kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    return scos_for(c, ind, t, err);
oom:
    json_decref(o);
    return kz_fail(err, KZ_E_VALUE, "", "indicator '%s' cannot be written as STIX (out of memory, "
                                        "or text that is not UTF-8)", ind->id);
}

void kz__stix_identity_id(const char *org_id, char out[KZ_STIX_ID_MAX])
{
    kz_uuid u;
    kz_uuid_v5(KZ_STIX_KIZUNA_NS, org_id, strlen(org_id), u);
    snprintf(out, KZ_STIX_ID_MAX, "identity--%s", u);
}

int kz__stix_native(const kz_event *ev, const kz_org *org, const kz_indicator *const *inds,
                    size_t n, bool with_report, kz_arena *a, json_t *out, kz_err *err)
{
    char creator[KZ_STIX_ID_MAX];
    kz__stix_identity_id(org->id, creator);
    kz_strlist refs = {0};
    nctx c = {.out = json_array(), .seen = json_object(), .creator = creator, .refs = &refs,
              .a = a};
    int r = (!c.out || !c.seen) ? kz_fail(err, KZ_E_NOMEM, "", "out of memory") : 0;
    for (size_t i = 0; !r && i < n; i++)
        r = one_indicator(&c, ev, inds[i], err);
    json_t *head = json_array();
    if (!r && !head)
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    /* The identity, then the markings, then the report: things referenced
     * come before what references them. */
    if (!r) {
        kz_uuid u;
        kz_uuid_v5(KZ_STIX_KIZUNA_NS, org->id, strlen(org->id), u);
        json_t *id = json_pack("{s:s, s:s, s:s}", "type", "identity", "spec_version", "2.1", "id",
                               creator);
        kz_time cr = org->created ? org->created : ev->created;
        kz_time mo = org->modified > cr ? org->modified : cr;
        if (!id || set_time(id, "created", cr) || set_time(id, "modified", mo) ||
            json_object_set_new(id, "name", json_string(org->name)) ||
            json_object_set_new(id, "identity_class", json_string("organization")) ||
            (org->contact && *org->contact &&
             json_object_set_new(id, "contact_information", json_string(org->contact))) ||
            json_array_append_new(head, id))
            r = kz_fail(err, KZ_E_NOMEM, "", "cannot write the organisation as an identity");
        (void)u;
    }
    if (!r && with_report)
        c.tlp_used[ev->tlp] = true;
    for (int t = 0; !r && t <= KZ_TLP_RED; t++)
        if (c.tlp_used[t] && json_array_append_new(head, kz_stix_tlp_marking((kz_tlp)t)))
            r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    if (!r && with_report) {
        json_t *rep = sdo(&c, "report", ev->id, ev->created, ev->modified);
        if (refs.n == 0)
            kz_strlist_push(a, &refs, creator);
        if (!rep || json_object_set_new(rep, "name", json_string(ev->title)) ||
            (ev->description && *ev->description &&
             json_object_set_new(rep, "description", json_string(ev->description))) ||
            set_time(rep, "published", ev->published_at ? ev->published_at : ev->created) ||
            set_list(rep, "labels", &ev->tags) || set_list(rep, "object_refs", &refs) ||
            marking(&c, rep, ev->tlp) || json_array_append_new(head, rep))
            r = kz_fail(err, KZ_E_VALUE, "", "event '%s' cannot be written as a STIX report",
                        ev->id);
    }
    if (!r && (json_array_extend(out, head) || json_array_extend(out, c.out)))
        r = kz_fail(err, KZ_E_NOMEM, "", "out of memory");
    json_decref(head);
    json_decref(c.out);
    json_decref(c.seen);
    return r;
}
